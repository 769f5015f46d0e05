//! The telecom desk's dashboard and report page, `/telecom/reports` (spec B8): the period form,
//! the figures as tiles and each table with its chart (the analytics tabs' inline SVG, which
//! scales to a phone's width), and the exports (CSV UTF-8, CSV Windows-1251, XLSX).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;

use super::analytics_tabs::{FigureTile, TableView, table_view, text, urlencoding};
use super::{Fields, Shell, Ui, render};
use crate::analytics::tab::Cell;
use crate::analytics::telecom::{self as report, TelecomReport};
use crate::app::App;
use crate::error::{Error, Result};
use crate::i18n::Lang;

pub fn routes() -> Router<App> {
    Router::new().route("/telecom/reports", get(page))
}

#[derive(Template)]
#[template(path = "telecom_reports.html")]
struct ReportPage {
    lang: Lang,
    shell: Shell,
    from: String,
    to: String,
    error: Option<String>,
    figures: Vec<FigureTile>,
    tables: Vec<TableView>,
    /// The export links: (format, i18n key, href).
    exports: Vec<(&'static str, &'static str, String)>,
}

/// Status codes in people's words before the shared table view renders the table.
fn labelled(lang: Lang, t: &crate::analytics::tab::Table) -> crate::analytics::tab::Table {
    let mut t = t.clone();
    for row in &mut t.rows {
        for (i, c) in row.iter_mut().enumerate() {
            if let Some(l) = t.columns.get(i).and_then(|col| report::status_label(lang, t.id, col, c)) {
                *c = Cell::Text(l.to_string());
            }
        }
    }
    t
}

fn views(lang: Lang, r: &TelecomReport) -> (Vec<FigureTile>, Vec<TableView>) {
    let figures = r
        .figures
        .iter()
        .map(|fg| FigureTile {
            key: format!("telecom_reports.fig.{}", fg.key),
            value: text(lang, fg.key, &fg.value).0,
            id: format!("fig-{}", fg.key.replace('_', "-")),
        })
        .collect();
    let tables = r
        .tables
        .iter()
        .map(|t| {
            // The shared view names tables and columns under `tabs.`; this report's own keys.
            let mut v = table_view(lang, &labelled(lang, t));
            v.title = lang.t(&format!("telecom_reports.table.{}", t.id)).to_string();
            for (h, c) in v.headers.iter_mut().zip(&t.columns) {
                h.0 = lang.t(&format!("telecom_reports.col.{c}")).to_string();
            }
            v
        })
        .collect();
    (figures, tables)
}

pub async fn page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let fields = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let lang = ui.lang;
    let actor = ui.actor();
    let found = report::report(&app.db.read()?, actor, app.now(), &fields.get("from"), &fields.get("to"));
    let (r, error) = match found {
        Ok(r) => (Some(r), None),
        Err(Error::Validation(list)) => (None, Some(list.iter().map(|e| e.message(lang)).collect::<Vec<_>>().join("; "))),
        Err(e) => return Err(e),
    };
    let (figures, tables) = r.as_ref().map(|r| views(lang, r)).unwrap_or_default();
    let (from, to) = match &r {
        Some(r) => (r.from.clone(), r.to.clone()),
        None => (fields.get("from"), fields.get("to")),
    };
    let q = format!("from={}&to={}", urlencoding(&from), urlencoding(&to));
    let exports = [("csv", "telecom_reports.csv_utf8"), ("csv1251", "telecom_reports.csv_1251"), ("xlsx", "telecom_reports.xlsx")]
        .into_iter()
        .map(|(f, k)| (f, k, format!("/api/v1/telecom/reports/export?format={f}&{q}")))
        .collect();
    let page = ReportPage { lang, shell: Shell::load(&app, &ui)?, from, to, figures, tables, exports, error };
    render(if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &page)
}
