//! Stock reports over the API: the movement journal, turnover for a period, and XLSX exports
//! of stock on hand, low stock, the journal and turnover (headers in the caller's language).
//! Filters are read and rows named by `inventory::report`, which the pages use too.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::clock::Ts;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Query};
use crate::i18n::Lang;
use crate::ids::CompanyId;
use crate::inventory::query::require_read as require_stock_read;
use crate::inventory::report::{self, JournalAsk, JournalCursor};
use crate::storage::ReadTx;
use crate::xlsx::{self, Cell};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The most rows one export or one turnover report holds.
pub const EXPORT_ROWS: usize = 100_000;

/// The journal's filters as typed (ids are checked against the caller's company: another
/// company's id is a 404 like a missing one).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    pub warehouse: Option<u64>,
    pub product: Option<u64>,
    /// Movement kinds, comma-separated: receipt, write_off, transfer_out, transfer_in,
    /// count_gain, count_loss, supplier_return, sale, sale_return.
    pub kind: Option<String>,
    /// First day, YYYY-MM-DD (company time zone).
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
    /// `next` of the previous page.
    pub after: Option<String>,
    pub limit: Option<usize>,
}

impl From<&JournalQuery> for JournalAsk {
    fn from(q: &JournalQuery) -> JournalAsk {
        JournalAsk {
            warehouse: q.warehouse,
            product: q.product,
            kinds: q.kind.clone().unwrap_or_default(),
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            after: q.after.clone().unwrap_or_default(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct JournalRowDto {
    pub id: u64,
    pub date: String,
    pub warehouse: u64,
    pub warehouse_name: String,
    pub product: u64,
    pub product_name: String,
    pub kind: String,
    /// `document` (a stock document) or `sale`.
    pub source: String,
    pub source_id: u64,
    /// The document's or sale's number.
    pub number: String,
    /// The page that shows the document or sale.
    pub href: String,
    pub qty: String,
    pub value: String,
    pub qty_after: String,
    pub value_after: String,
}

#[derive(Serialize, ToSchema)]
pub struct JournalDto {
    pub rows: Vec<JournalRowDto>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<String>,
}

/// Journal rows with the names and numbers a reader needs, sales' numbers included.
fn named(tx: &ReadTx, c: CompanyId, rows: Vec<report::JournalRow>) -> Result<Vec<report::NamedRow>> {
    report::named_rows(tx, c, rows, &|sale| crate::pos::query::sale_number(tx, c, crate::ids::SaleId(sale.0)))
}

impl JournalRowDto {
    fn new(r: report::NamedRow, tz: &str) -> JournalRowDto {
        let (sale, doc) = (r.sale, r.row.doc.0);
        JournalRowDto {
            id: r.row.id,
            date: Ts(r.row.date).format_local(tz),
            warehouse: r.row.warehouse.0,
            warehouse_name: r.warehouse_name,
            product: r.row.product.0,
            product_name: r.product_name,
            kind: r.row.kind.code().into(),
            source: if sale { "sale" } else { "document" }.into(),
            source_id: doc,
            number: r.number,
            href: if sale { format!("/sales/{doc}") } else { format!("/documents/{doc}") },
            qty: r.row.qty.to_string(),
            value: r.row.value.to_string(),
            qty_after: r.row.qty_after.to_string(),
            value_after: r.row.value_after.to_string(),
        }
    }
}

/// The movement journal: filtered by warehouse, product, kind and period, in ledger order,
/// paged with a cursor; each movement links to its document or sale.
#[utoipa::path(get, path = "/api/v1/stock/journal", tag = "stock", security(("bearer" = [])), params(JournalQuery),
    responses((status = 200, body = JournalDto), (status = 404, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn journal(State(app): State<App>, a: Auth, Query(q): Query<JournalQuery>) -> Result<Json<JournalDto>> {
    require_stock_read(&a.actor)?;
    let c = a.actor.company;
    let tx = app.db.read()?;
    let (filter, after) = report::journal_filter(&tx, c, &JournalAsk::from(&q))?;
    let j = report::journal(&tx, c, &filter, after, q.limit.unwrap_or(100).clamp(1, 1000))?;
    let tz = crate::tenancy::timezone(&tx, c)?;
    let rows = named(&tx, c, j.rows)?.into_iter().map(|r| JournalRowDto::new(r, &tz)).collect();
    Ok(Json(JournalDto { rows, next: j.next.map(JournalCursor::render) }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TurnoverQuery {
    /// One warehouse; all when absent.
    pub warehouse: Option<u64>,
    pub category: Option<u64>,
    /// First day, YYYY-MM-DD (company time zone); required.
    pub from: String,
    /// Last day, inclusive; required.
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct TurnoverRowDto {
    pub product: u64,
    pub name: String,
    pub opening_qty: String,
    pub opening_value: String,
    pub in_qty: String,
    pub in_value: String,
    pub out_qty: String,
    pub out_value: String,
    pub closing_qty: String,
    pub closing_value: String,
}

#[derive(Serialize, ToSchema)]
pub struct TurnoverDto {
    pub rows: Vec<TurnoverRowDto>,
    pub total: TurnoverRowDto,
}

fn turnover_dto(r: &report::TurnoverRow) -> TurnoverRowDto {
    TurnoverRowDto {
        product: r.product.0,
        name: r.name.clone(),
        opening_qty: r.opening_qty.to_string(),
        opening_value: r.opening_value.to_string(),
        in_qty: r.in_qty.to_string(),
        in_value: r.in_value.to_string(),
        out_qty: r.out_qty.to_string(),
        out_value: r.out_value.to_string(),
        closing_qty: r.closing_qty.to_string(),
        closing_value: r.closing_value.to_string(),
    }
}

fn run_turnover(tx: &ReadTx, c: CompanyId, q: &TurnoverQuery) -> Result<report::Turnover> {
    report::turnover_for(tx, c, q.warehouse, q.category, &q.from, &q.to)
}

/// Turnover for a period: opening balance, in, out and closing balance per product (quantity
/// and value at cost), for one warehouse or all.
#[utoipa::path(get, path = "/api/v1/stock/turnover", tag = "stock", security(("bearer" = [])), params(TurnoverQuery),
    responses((status = 200, body = TurnoverDto), (status = 404, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn turnover(State(app): State<App>, a: Auth, Query(q): Query<TurnoverQuery>) -> Result<Json<TurnoverDto>> {
    require_stock_read(&a.actor)?;
    let t = run_turnover(&app.db.read()?, a.actor.company, &q)?;
    Ok(Json(TurnoverDto { rows: t.rows.iter().map(turnover_dto).collect(), total: turnover_dto(&t.total) }))
}

pub(crate) fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.xlsx\"")),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OnHandExportQuery {
    pub warehouse: u64,
    pub category: Option<u64>,
    /// Only products at or below their reorder level (the low-stock list).
    pub low: Option<bool>,
}

/// Stock on hand (or, with `low=true`, the low-stock list) of one warehouse as XLSX.
#[utoipa::path(get, path = "/api/v1/stock/export.xlsx", tag = "stock", security(("bearer" = [])), params(OnHandExportQuery),
    responses((status = 200, description = "an XLSX workbook"), (status = 404, body = crate::http::problem::Problem)))]
pub async fn stock_xlsx(State(app): State<App>, a: Auth, Query(q): Query<OnHandExportQuery>) -> Result<Response> {
    require_stock_read(&a.actor)?;
    let (c, lang) = (a.actor.company, a.actor.lang);
    let low = q.low == Some(true);
    let (wh, r) = report::on_hand_of(&app.db.read()?, c, q.warehouse, q.category, low, None, EXPORT_ROWS)?;
    let headers = [lang.t("products.name"), lang.t("card.qty"), lang.t("stock.value"), lang.t("stock.sale_value"), lang.t("stock.reorder")];
    let mut rows: Vec<Vec<Cell>> = r
        .rows
        .into_iter()
        .map(|x| vec![Cell::Text(x.name), Cell::Qty(x.qty), Cell::Money(x.value), Cell::Money(x.sale_value), Cell::Qty(x.reorder_level)])
        .collect();
    rows.push(vec![
        Cell::Text(lang.t("card.total").into()),
        Cell::Text(String::new()),
        Cell::Money(r.total_value),
        Cell::Money(r.total_sale_value),
        Cell::Text(String::new()),
    ]);
    let title = format!("{} — {}", lang.t(if low { "reports.low_stock" } else { "nav.stock" }), wh.name);
    let bytes = xlsx::workbook(&title, &headers, &rows)?;
    Ok(xlsx_response(if low { "low-stock" } else { "stock" }, bytes))
}

/// The movement journal (the same filters, up to 100,000 rows) as XLSX.
#[utoipa::path(get, path = "/api/v1/stock/journal.xlsx", tag = "stock", security(("bearer" = [])), params(JournalQuery),
    responses((status = 200, description = "an XLSX workbook"), (status = 422, body = crate::http::problem::Problem)))]
pub async fn journal_xlsx(State(app): State<App>, a: Auth, Query(q): Query<JournalQuery>) -> Result<Response> {
    require_stock_read(&a.actor)?;
    let (c, lang) = (a.actor.company, a.actor.lang);
    let tx = app.db.read()?;
    let (filter, after) = report::journal_filter(&tx, c, &JournalAsk::from(&q))?;
    let j = report::journal(&tx, c, &filter, after, EXPORT_ROWS)?;
    let tz = crate::tenancy::timezone(&tx, c)?;
    let headers = [
        lang.t("documents.date"),
        lang.t("stock.warehouse"),
        lang.t("products.name"),
        lang.t("reports.kind"),
        lang.t("documents.number"),
        lang.t("card.qty"),
        lang.t("stock.value"),
        lang.t("reports.qty_after"),
        lang.t("reports.value_after"),
    ];
    let rows: Vec<Vec<Cell>> = named(&tx, c, j.rows)?
        .into_iter()
        .map(|r| {
            vec![
                Cell::Text(Ts(r.row.date).format_local(&tz)),
                Cell::Text(r.warehouse_name),
                Cell::Text(r.product_name),
                Cell::Text(lang.t(&format!("moves.{}", r.row.kind.code())).into()),
                Cell::Text(r.number),
                Cell::Qty(r.row.qty),
                Cell::Money(r.row.value),
                Cell::Qty(r.row.qty_after),
                Cell::Money(r.row.value_after),
            ]
        })
        .collect();
    let bytes = xlsx::workbook(lang.t("reports.journal"), &headers, &rows)?;
    Ok(xlsx_response("journal", bytes))
}

/// Turnover rows as spreadsheet cells, totals last.
pub fn turnover_cells(lang: Lang, t: &report::Turnover) -> Vec<Vec<Cell>> {
    let row = |name: String, r: &report::TurnoverRow| -> Vec<Cell> {
        let n = |d: Decimal| Cell::Qty(d);
        let m = |d: Decimal| Cell::Money(d);
        vec![
            Cell::Text(name),
            n(r.opening_qty),
            m(r.opening_value),
            n(r.in_qty),
            m(r.in_value),
            n(r.out_qty),
            m(r.out_value),
            n(r.closing_qty),
            m(r.closing_value),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = t.rows.iter().map(|r| row(r.name.clone(), r)).collect();
    rows.push(row(lang.t("card.total").into(), &t.total));
    rows
}

/// Turnover for a period as XLSX.
#[utoipa::path(get, path = "/api/v1/stock/turnover.xlsx", tag = "stock", security(("bearer" = [])), params(TurnoverQuery),
    responses((status = 200, description = "an XLSX workbook"), (status = 422, body = crate::http::problem::Problem)))]
pub async fn turnover_xlsx(State(app): State<App>, a: Auth, Query(q): Query<TurnoverQuery>) -> Result<Response> {
    require_stock_read(&a.actor)?;
    let lang = a.actor.lang;
    let t = run_turnover(&app.db.read()?, a.actor.company, &q)?;
    let headers = [
        lang.t("products.name"),
        lang.t("reports.opening_qty"),
        lang.t("reports.opening_value"),
        lang.t("reports.in_qty"),
        lang.t("reports.in_value"),
        lang.t("reports.out_qty"),
        lang.t("reports.out_value"),
        lang.t("reports.closing_qty"),
        lang.t("reports.closing_value"),
    ];
    let bytes = xlsx::workbook(lang.t("reports.turnover"), &headers, &turnover_cells(lang, &t))?;
    Ok(xlsx_response("turnover", bytes))
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(stock_xlsx))
        .routes(routes!(journal))
        .routes(routes!(journal_xlsx))
        .routes(routes!(turnover))
        .routes(routes!(turnover_xlsx))
}
