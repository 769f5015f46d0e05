//! Stock report pages: the movement journal (filters, pages, links to documents and sales)
//! and turnover for a period. Both parse their filters and build rows through
//! `api::reports`, and link to the same query as an XLSX download.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use super::stock::{money, qty, require_module, warehouses};
use super::{Choice, Fields, Shell, Ui, render};
use crate::app::App;
use crate::catalog::store::{CATEGORIES, PRODUCTS};
use crate::error::Result;
use crate::http::api::reports::{JournalQuery, TurnoverQuery, journal_filter, journal_rows, run_turnover};
use crate::http::api::stock::require_stock_read;
use crate::i18n::Lang;
use crate::inventory::model::MoveKind;
use crate::inventory::report::{self, JournalCursor};

/// Rows per journal page.
const JOURNAL_PAGE: usize = 100;

pub struct JournalLine {
    pub date: String,
    pub warehouse: String,
    pub product: u64,
    pub product_name: String,
    pub kind: &'static str,
    pub number: String,
    pub href: String,
    pub qty: String,
    pub value: String,
    pub qty_after: String,
}

#[derive(Template)]
#[template(path = "stock_journal.html")]
struct JournalPage {
    lang: Lang,
    shell: Shell,
    warehouses: Vec<Choice>,
    kinds: Vec<Choice>,
    product: Option<(u64, String)>,
    from: String,
    to: String,
    rows: Vec<JournalLine>,
    more: Option<String>,
    export: String,
}

fn opt(s: String) -> Option<String> {
    if s.trim().is_empty() { None } else { Some(s) }
}

/// The query string of the filters (without the page cursor), for the next page and export.
fn query_of(pairs: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> = pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.as_str())).collect();
    serde_urlencoded::to_string(kept).unwrap_or_default()
}

pub async fn journal_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_stock_read(ui.actor())?;
    require_module(ui.actor())?;
    let shell = Shell::load(&app, &ui)?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let q = JournalQuery {
        warehouse: f.id("warehouse"),
        product: f.id("product"),
        kind: opt(f.get("kind")),
        from: opt(f.get("from")),
        to: opt(f.get("to")),
        after: opt(f.get("after")),
        limit: None,
    };
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let (filter, after) = journal_filter(&tx, company, &q)?;
    let j = report::journal(&tx, company, &filter, after, JOURNAL_PAGE)?;
    let rows = journal_rows(&tx, company, j.rows)?
        .into_iter()
        .map(|r| JournalLine {
            date: r.date,
            warehouse: r.warehouse_name,
            product: r.product,
            product_name: r.product_name,
            kind: ui.lang.t(&format!("moves.{}", r.kind)),
            number: r.number,
            href: r.href,
            qty: qty(r.qty.parse().unwrap_or_default()),
            value: money(r.value.parse().unwrap_or_default()),
            qty_after: qty(r.qty_after.parse().unwrap_or_default()),
        })
        .collect();
    let filters = query_of(&[
        ("warehouse", q.warehouse.map(|w| w.to_string()).unwrap_or_default()),
        ("product", q.product.map(|p| p.to_string()).unwrap_or_default()),
        ("kind", q.kind.clone().unwrap_or_default()),
        ("from", q.from.clone().unwrap_or_default()),
        ("to", q.to.clone().unwrap_or_default()),
    ]);
    let product = match q.product {
        Some(p) => tx.get(PRODUCTS, (company.0, p))?.map(|x| (p, x.name)),
        None => None,
    };
    let mut wh_choices =
        vec![Choice { value: String::new(), label: ui.lang.t("stock.all_warehouses").into(), selected: q.warehouse.is_none() }];
    wh_choices.extend(warehouses(&app, ui.actor())?.into_iter().map(|w| Choice {
        value: w.id.0.to_string(),
        selected: q.warehouse == Some(w.id.0),
        label: w.name,
    }));
    let kind = q.kind.clone().unwrap_or_default();
    let mut kinds = vec![Choice { value: String::new(), label: ui.lang.t("reports.all_kinds").into(), selected: kind.is_empty() }];
    kinds.extend(MoveKind::ALL.iter().map(|k| Choice {
        value: k.code().into(),
        label: ui.lang.t(&format!("moves.{}", k.code())).into(),
        selected: kind == k.code(),
    }));
    let page = JournalPage {
        lang: ui.lang,
        shell,
        warehouses: wh_choices,
        kinds,
        product,
        from: q.from.unwrap_or_default(),
        to: q.to.unwrap_or_default(),
        rows,
        more: j
            .next
            .map(|n| format!("/stock/journal?{filters}{}after={}", if filters.is_empty() { "" } else { "&" }, JournalCursor::render(n))),
        export: format!("/api/v1/stock/journal.xlsx?{filters}"),
    };
    render(StatusCode::OK, &page)
}

pub struct TurnoverLine {
    pub product: u64,
    pub name: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "stock_turnover.html")]
struct TurnoverPage {
    lang: Lang,
    shell: Shell,
    warehouses: Vec<Choice>,
    categories: Vec<Choice>,
    from: String,
    to: String,
    /// `None` until a period is chosen.
    rows: Option<Vec<TurnoverLine>>,
    total: Vec<String>,
    export: String,
}

fn cells(r: &report::TurnoverRow) -> Vec<String> {
    vec![
        qty(r.opening_qty),
        money(r.opening_value),
        qty(r.in_qty),
        money(r.in_value),
        qty(r.out_qty),
        money(r.out_value),
        qty(r.closing_qty),
        money(r.closing_value),
    ]
}

pub async fn turnover_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_stock_read(ui.actor())?;
    require_module(ui.actor())?;
    let shell = Shell::load(&app, &ui)?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let q = TurnoverQuery { warehouse: f.id("warehouse"), category: f.id("category"), from: f.get("from"), to: f.get("to") };
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let (rows, total) = if q.from.trim().is_empty() && q.to.trim().is_empty() {
        (None, Vec::new())
    } else {
        let t = run_turnover(&tx, company, &q)?;
        let rows = t.rows.iter().map(|r| TurnoverLine { product: r.product.0, name: r.name.clone(), cells: cells(r) }).collect();
        (Some(rows), cells(&t.total))
    };
    let mut wh_choices =
        vec![Choice { value: String::new(), label: ui.lang.t("stock.all_warehouses").into(), selected: q.warehouse.is_none() }];
    wh_choices.extend(warehouses(&app, ui.actor())?.into_iter().map(|w| Choice {
        value: w.id.0.to_string(),
        selected: q.warehouse == Some(w.id.0),
        label: w.name,
    }));
    let mut categories =
        vec![Choice { value: String::new(), label: ui.lang.t("reports.all_categories").into(), selected: q.category.is_none() }];
    categories.extend(tx.list(CATEGORIES, (company.0, 0), (company.0, u64::MAX), usize::MAX)?.into_iter().map(|((_, id), c)| Choice {
        value: id.to_string(),
        selected: q.category == Some(id),
        label: c.name,
    }));
    let filters = query_of(&[
        ("warehouse", q.warehouse.map(|w| w.to_string()).unwrap_or_default()),
        ("category", q.category.map(|c| c.to_string()).unwrap_or_default()),
        ("from", q.from.clone()),
        ("to", q.to.clone()),
    ]);
    let page = TurnoverPage {
        lang: ui.lang,
        shell,
        warehouses: wh_choices,
        categories,
        from: q.from,
        to: q.to,
        rows,
        total,
        export: format!("/api/v1/stock/turnover.xlsx?{filters}"),
    };
    render(StatusCode::OK, &page)
}
