//! Stock reports over the API: the movement journal, turnover for a period, and XLSX exports
//! of stock on hand, low stock, the journal and turnover (headers in the caller's language).
//! The page handlers in `views/reports.rs` reuse the parsing and row building here.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::stock::require_stock_read;
use crate::app::App;
use crate::catalog::store::{CATEGORIES, PRODUCTS};
use crate::clock::Ts;
use crate::error::{Error, Problems, Result};
use crate::http::extract::{Auth, Json, Query};
use crate::i18n::Lang;
use crate::ids::{CategoryId, CompanyId, ProductId, WarehouseId};
use crate::inventory::model::MoveKind;
use crate::inventory::report::{self, JournalCursor, JournalFilter, OnHandFilter};
use crate::inventory::store::{DOCUMENTS, WAREHOUSES};
use crate::storage::ReadTx;
use crate::xlsx::{self, Cell};

/// The most rows one export or one turnover report holds.
pub const EXPORT_ROWS: usize = 100_000;

/// The company's time zone: report dates are its local calendar days.
pub fn timezone(tx: &ReadTx, c: CompanyId) -> Result<String> {
    Ok(crate::tenancy::store::company(tx, c)?.map(|co| co.timezone).unwrap_or_default())
}

/// A period of whole local days, `from` and `to` inclusive ("YYYY-MM-DD"), as `[start, end)`
/// in ms. A missing end is open; a missing start is the beginning.
pub fn parse_period(from: &str, to: &str, tz: &str) -> Result<(Option<i64>, Option<i64>)> {
    let mut p = Problems::default();
    let mut day = |field: &str, raw: &str, next: bool| {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match Ts::parse_date(raw, tz) {
            Some(t) if t.0 >= 0 => Some(if next { Ts::parse_date(&next_day(raw)?, tz)?.0 } else { t.0 }),
            _ => {
                p.push(crate::error::FieldError::new(field, "date", "Дата: ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"));
                None
            }
        }
    };
    let start = day("from", from, false);
    let end = day("to", to, true);
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        p.push(crate::error::FieldError::new("to", "period", "Конец периода раньше начала", "The period ends before it starts"));
    }
    p.finish()?;
    Ok((start, end))
}

fn next_day(date: &str) -> Option<String> {
    let d: jiff::civil::Date = date.trim().parse().ok()?;
    d.tomorrow().ok().map(|d| d.to_string())
}

fn warehouse(tx: &ReadTx, c: CompanyId, id: Option<u64>) -> Result<Option<WarehouseId>> {
    match id {
        Some(w) => tx.get(WAREHOUSES, (c, WarehouseId(w)))?.map(|_| Some(WarehouseId(w))).ok_or(Error::NotFound),
        None => Ok(None),
    }
}

fn category(tx: &ReadTx, c: CompanyId, id: Option<u64>) -> Result<Option<CategoryId>> {
    match id {
        Some(k) => tx.get(CATEGORIES, (c.0, k))?.map(|_| Some(CategoryId(k))).ok_or(Error::NotFound),
        None => Ok(None),
    }
}

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

pub fn journal_filter(tx: &ReadTx, c: CompanyId, q: &JournalQuery) -> Result<(JournalFilter, Option<JournalCursor>)> {
    let tz = timezone(tx, c)?;
    let (from, to) = parse_period(q.from.as_deref().unwrap_or(""), q.to.as_deref().unwrap_or(""), &tz)?;
    let mut kinds = Vec::new();
    for k in q.kind.as_deref().unwrap_or("").split(',').filter(|k| !k.trim().is_empty()) {
        match MoveKind::parse(k) {
            Some(k) => kinds.push(k),
            None => {
                return Err(Error::field(
                    "kind",
                    "kind",
                    "Вид движения: receipt, write_off, transfer_out, transfer_in, count_gain, count_loss, supplier_return, sale, sale_return",
                    "Movement kind: receipt, write_off, transfer_out, transfer_in, count_gain, count_loss, supplier_return, sale, sale_return",
                ));
            }
        }
    }
    let after = match q.after.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(JournalCursor::parse(s).ok_or_else(|| Error::field("after", "cursor", "Неверная позиция страницы", "Bad page cursor"))?)
        }
        None => None,
    };
    let product = match q.product {
        Some(p) => Some(tx.get(PRODUCTS, (c.0, p))?.map(|_| ProductId(p)).ok_or(Error::NotFound)?),
        None => None,
    };
    Ok((JournalFilter { warehouse: warehouse(tx, c, q.warehouse)?, product, kinds, from, to }, after))
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

/// Journal rows with the names and numbers a reader needs (looked up per page, cached).
pub fn journal_rows(tx: &ReadTx, c: CompanyId, rows: Vec<report::JournalRow>) -> Result<Vec<JournalRowDto>> {
    let tz = timezone(tx, c)?;
    let warehouses: BTreeMap<u64, String> = tx
        .list(WAREHOUSES, (c, WarehouseId::MIN), (c, WarehouseId::MAX), usize::MAX)?
        .into_iter()
        .map(|((_, w), x)| (w.0, x.name))
        .collect();
    let mut products: BTreeMap<u64, String> = BTreeMap::new();
    let mut sources: BTreeMap<u64, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let sale = r.kind.from_sale();
        if let std::collections::btree_map::Entry::Vacant(e) = products.entry(r.product.0) {
            e.insert(tx.get(PRODUCTS, (c.0, r.product.0))?.map(|p| p.name).unwrap_or_default());
        }
        if let std::collections::btree_map::Entry::Vacant(e) = sources.entry(r.doc.0) {
            let number = if sale {
                tx.get(crate::pos::store::SALES, (c.0, r.doc.0))?.map(|s| s.number)
            } else {
                tx.get(DOCUMENTS, (c, r.doc))?.map(|d| d.number)
            };
            e.insert(number.unwrap_or_default());
        }
        out.push(JournalRowDto {
            id: r.id,
            date: Ts(r.date).format_local(&tz),
            warehouse: r.warehouse.0,
            warehouse_name: warehouses.get(&r.warehouse.0).cloned().unwrap_or_default(),
            product: r.product.0,
            product_name: products.get(&r.product.0).cloned().unwrap_or_default(),
            kind: r.kind.code().into(),
            source: if sale { "sale" } else { "document" }.into(),
            source_id: r.doc.0,
            number: sources.get(&r.doc.0).cloned().unwrap_or_default(),
            href: if sale { format!("/sales/{}", r.doc.0) } else { format!("/documents/{}", r.doc.0) },
            qty: r.qty.to_string(),
            value: r.value.to_string(),
            qty_after: r.qty_after.to_string(),
            value_after: r.value_after.to_string(),
        });
    }
    Ok(out)
}

/// The movement journal: filtered by warehouse, product, kind and period, in ledger order,
/// paged with a cursor; each movement links to its document or sale.
#[utoipa::path(get, path = "/api/v1/stock/journal", tag = "stock", security(("bearer" = [])), params(JournalQuery),
    responses((status = 200, body = JournalDto), (status = 404, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
pub async fn journal(State(app): State<App>, a: Auth, Query(q): Query<JournalQuery>) -> Result<Json<JournalDto>> {
    require_stock_read(&a.actor)?;
    let c = a.actor.company;
    let tx = app.db.read()?;
    let (filter, after) = journal_filter(&tx, c, &q)?;
    let j = report::journal(&tx, c, &filter, after, q.limit.unwrap_or(100).clamp(1, 1000))?;
    Ok(Json(JournalDto { rows: journal_rows(&tx, c, j.rows)?, next: j.next.map(JournalCursor::render) }))
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

pub fn run_turnover(tx: &ReadTx, c: CompanyId, q: &TurnoverQuery) -> Result<report::Turnover> {
    let tz = timezone(tx, c)?;
    let (from, to) = parse_period(&q.from, &q.to, &tz)?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(Error::field("from", "required", "Укажите период: с какого и по какое число", "Enter the period: from and to"));
    };
    report::turnover(tx, c, warehouse(tx, c, q.warehouse)?, category(tx, c, q.category)?, from, to).map_err(Error::from)
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

fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
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
    let tx = app.db.read()?;
    let wh = tx.get(WAREHOUSES, (c, WarehouseId(q.warehouse)))?.ok_or(Error::NotFound)?;
    let filter = OnHandFilter { category: category(&tx, c, q.category)?, low: q.low == Some(true) };
    let r = report::on_hand(&tx, c, wh.id, None, filter, EXPORT_ROWS)?;
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
    let title = format!("{} — {}", lang.t(if filter.low { "reports.low_stock" } else { "nav.stock" }), wh.name);
    let bytes = xlsx::workbook(&title, &headers, &rows)?;
    Ok(xlsx_response(if filter.low { "low-stock" } else { "stock" }, bytes))
}

/// The movement journal (the same filters, up to 100,000 rows) as XLSX.
#[utoipa::path(get, path = "/api/v1/stock/journal.xlsx", tag = "stock", security(("bearer" = [])), params(JournalQuery),
    responses((status = 200, description = "an XLSX workbook"), (status = 422, body = crate::http::problem::Problem)))]
pub async fn journal_xlsx(State(app): State<App>, a: Auth, Query(q): Query<JournalQuery>) -> Result<Response> {
    require_stock_read(&a.actor)?;
    let (c, lang) = (a.actor.company, a.actor.lang);
    let tx = app.db.read()?;
    let (filter, after) = journal_filter(&tx, c, &q)?;
    let j = report::journal(&tx, c, &filter, after, EXPORT_ROWS)?;
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
    let rows: Vec<Vec<Cell>> = journal_rows(&tx, c, j.rows)?
        .into_iter()
        .map(|r| {
            vec![
                Cell::Text(r.date),
                Cell::Text(r.warehouse_name),
                Cell::Text(r.product_name),
                Cell::Text(lang.t(&format!("moves.{}", r.kind)).into()),
                Cell::Text(r.number),
                Cell::Qty(r.qty.parse().unwrap_or_default()),
                Cell::Money(r.value.parse().unwrap_or_default()),
                Cell::Qty(r.qty_after.parse().unwrap_or_default()),
                Cell::Money(r.value_after.parse().unwrap_or_default()),
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
