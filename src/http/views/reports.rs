//! Stock report pages: the movement journal (filters, pages, links to documents and sales)
//! and turnover for a period. Both read their filters and rows through `inventory::report`,
//! as the API does, and link to the same query as an XLSX download.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;

use super::fmt::{amount, quantity};
use super::{Choice, Fields, Shell, Ui, render};
use crate::app::App;
use crate::catalog::query::{self as catalog_query, require_module};
use crate::error::Result;
use crate::i18n::Lang;
use crate::ids::{CategoryId, ProductId};
use crate::inventory::model::MoveKind;
use crate::inventory::query::{require_read as require_stock_read, warehouses};
use crate::inventory::report::{self, JournalAsk, JournalCursor};

pub fn routes() -> Router<App> {
    Router::new().route("/stock/journal", get(journal_page)).route("/stock/turnover", get(turnover_page))
}

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
    let q = JournalAsk {
        warehouse: f.id("warehouse"),
        product: f.id("product"),
        kinds: f.get("kind"),
        from: f.get("from"),
        to: f.get("to"),
        after: f.get("after"),
    };
    let (company, lang) = (ui.actor().company, ui.lang);
    let tx = app.db.read()?;
    let (filter, after) = report::journal_filter(&tx, company, &q)?;
    let j = report::journal(&tx, company, &filter, after, JOURNAL_PAGE)?;
    let tz = crate::tenancy::timezone(&tx, company)?;
    let rows = report::named_rows(&tx, company, j.rows, &|sale| crate::pos::query::sale_number(&tx, company, crate::ids::SaleId(sale.0)))?
        .into_iter()
        .map(|r| {
            let doc = r.row.doc.0;
            JournalLine {
                date: crate::clock::Ts(r.row.date).format_local(&tz),
                warehouse: r.warehouse_name,
                product: r.row.product.0,
                product_name: r.product_name,
                kind: lang.t(&format!("moves.{}", r.row.kind.code())),
                number: r.number,
                href: if r.sale { format!("/sales/{doc}") } else { format!("/documents/{doc}") },
                qty: quantity(lang, r.row.qty),
                value: amount(lang, r.row.value),
                qty_after: quantity(lang, r.row.qty_after),
            }
        })
        .collect();
    let filters = query_of(&[
        ("warehouse", q.warehouse.map(|w| w.to_string()).unwrap_or_default()),
        ("product", q.product.map(|p| p.to_string()).unwrap_or_default()),
        ("kind", q.kinds.clone()),
        ("from", q.from.clone()),
        ("to", q.to.clone()),
    ]);
    let product = match q.product {
        Some(p) => catalog_query::find_product(&tx, company, ProductId(p))?.map(|x| (p, x.name)),
        None => None,
    };
    let mut wh_choices =
        vec![Choice { value: String::new(), label: ui.lang.t("stock.all_warehouses").into(), selected: q.warehouse.is_none() }];
    wh_choices.extend(warehouses(&tx, company)?.into_iter().map(|w| Choice {
        value: w.id.0.to_string(),
        selected: q.warehouse == Some(w.id.0),
        label: w.name,
    }));
    let kind = q.kinds.clone();
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
        from: q.from,
        to: q.to,
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

fn cells(lang: Lang, r: &report::TurnoverRow) -> Vec<String> {
    vec![
        quantity(lang, r.opening_qty),
        amount(lang, r.opening_value),
        quantity(lang, r.in_qty),
        amount(lang, r.in_value),
        quantity(lang, r.out_qty),
        amount(lang, r.out_value),
        quantity(lang, r.closing_qty),
        amount(lang, r.closing_value),
    ]
}

pub async fn turnover_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_stock_read(ui.actor())?;
    require_module(ui.actor())?;
    let shell = Shell::load(&app, &ui)?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let (warehouse, category, from, to) = (f.id("warehouse"), f.id("category"), f.get("from"), f.get("to"));
    let (company, lang) = (ui.actor().company, ui.lang);
    let tx = app.db.read()?;
    let (rows, total) = if from.trim().is_empty() && to.trim().is_empty() {
        (None, Vec::new())
    } else {
        let t = report::turnover_for(&tx, company, warehouse, category, &from, &to)?;
        let rows = t.rows.iter().map(|r| TurnoverLine { product: r.product.0, name: r.name.clone(), cells: cells(lang, r) }).collect();
        (Some(rows), cells(lang, &t.total))
    };
    let mut wh_choices =
        vec![Choice { value: String::new(), label: ui.lang.t("stock.all_warehouses").into(), selected: warehouse.is_none() }];
    wh_choices.extend(warehouses(&tx, company)?.into_iter().map(|w| Choice {
        value: w.id.0.to_string(),
        selected: warehouse == Some(w.id.0),
        label: w.name,
    }));
    let mut categories =
        vec![Choice { value: String::new(), label: ui.lang.t("reports.all_categories").into(), selected: category.is_none() }];
    categories.extend(catalog_query::categories(&tx, company)?.into_iter().map(|c| Choice {
        value: c.id.0.to_string(),
        selected: category.map(CategoryId) == Some(c.id),
        label: c.name,
    }));
    let filters = query_of(&[
        ("warehouse", warehouse.map(|w| w.to_string()).unwrap_or_default()),
        ("category", category.map(|c| c.to_string()).unwrap_or_default()),
        ("from", from.clone()),
        ("to", to.clone()),
    ]);
    let page = TurnoverPage {
        lang: ui.lang,
        shell,
        warehouses: wh_choices,
        categories,
        from,
        to,
        rows,
        total,
        export: format!("/api/v1/stock/turnover.xlsx?{filters}"),
    };
    render(StatusCode::OK, &page)
}
