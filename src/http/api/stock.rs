//! Warehouses, inventory settings, stock documents, the stock report and a product's stock
//! card (balances per warehouse and movements with the cost layers they consumed).

use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{BranchId, DocumentId, ProductId, WarehouseId};
use crate::inventory::model::{Document, Settings, Warehouse};
use crate::inventory::query::{self, card, parse_locked_until, require_read as require_stock_read, status_code};
use crate::inventory::{self, DocDraft, LineDraft};
use crate::tenancy::actor::Actor;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct WarehouseDto {
    pub id: u64,
    pub name: String,
    pub branch: Option<u64>,
    pub active: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarehouseInput {
    pub name: String,
    #[serde(default)]
    pub branch: Option<u64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(get, path = "/api/v1/warehouses", tag = "stock", security(("bearer" = [])), responses((status = 200, body = Vec<WarehouseDto>)))]
pub async fn list_warehouses(State(app): State<App>, a: Auth) -> Result<Json<Vec<WarehouseDto>>> {
    require_stock_read(&a.actor)?;
    let rows = query::warehouses(&app.db.read()?, a.actor.company)?;
    Ok(Json(rows.iter().map(WarehouseDto::from).collect()))
}

impl From<&Warehouse> for WarehouseDto {
    fn from(w: &Warehouse) -> WarehouseDto {
        WarehouseDto { id: w.id.0, name: w.name.clone(), branch: w.branch.map(|b| b.0), active: w.active }
    }
}

#[utoipa::path(post, path = "/api/v1/warehouses", tag = "stock", security(("bearer" = [])), request_body = WarehouseInput,
    responses((status = 201, body = WarehouseDto), (status = 422, body = Problem)))]
pub async fn create_warehouse(State(app): State<App>, a: Auth, Json(i): Json<WarehouseInput>) -> Result<(StatusCode, Json<WarehouseDto>)> {
    Ok((StatusCode::CREATED, Json(save_warehouse(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/warehouses/{id}", tag = "stock", security(("bearer" = [])), params(("id" = u64, Path)), request_body = WarehouseInput,
    responses((status = 200, body = WarehouseDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_warehouse(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<WarehouseInput>,
) -> Result<Json<WarehouseDto>> {
    Ok(Json(save_warehouse(app, a, Some(WarehouseId(id)), i).await?))
}

async fn save_warehouse(app: App, a: Auth, id: Option<WarehouseId>, i: WarehouseInput) -> Result<WarehouseDto> {
    let now = app.now();
    let w = app
        .db
        .write(move |tx| {
            let id = inventory::save_warehouse(tx, &a.actor, now, id, &i.name, i.branch.map(BranchId), i.active)?;
            query::warehouse(tx, a.actor.company, id)
        })
        .await?;
    Ok(WarehouseDto::from(&w))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsDto {
    pub allow_negative: bool,
    /// Last closed day YYYY-MM-DD (company time zone), or null.
    pub locked_until: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/inventory/settings", tag = "stock", security(("bearer" = [])), responses((status = 200, body = SettingsDto)))]
pub async fn get_settings(State(app): State<App>, a: Auth) -> Result<Json<SettingsDto>> {
    require_stock_read(&a.actor)?;
    let tx = app.db.read()?;
    let s = query::settings(&tx, a.actor.company)?;
    let tz = crate::tenancy::timezone(&tx, a.actor.company)?;
    Ok(Json(SettingsDto { allow_negative: s.allow_negative, locked_until: s.locked_until.map(|t| t.date_local(&tz)) }))
}

#[utoipa::path(put, path = "/api/v1/inventory/settings", tag = "stock", security(("bearer" = [])), request_body = SettingsDto,
    responses((status = 204), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(State(app): State<App>, a: Auth, Json(i): Json<SettingsDto>) -> Result<StatusCode> {
    let tz = crate::tenancy::timezone(&app.db.read()?, a.actor.company)?;
    let locked_until = parse_locked_until(i.locked_until.as_deref(), &tz)?;
    let now = app.now();
    app.db.write(move |tx| inventory::set_settings(tx, &a.actor, now, Settings { allow_negative: i.allow_negative, locked_until })).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LineDto {
    pub product: u64,
    /// Decimal string; for a count, the counted quantity.
    pub qty: String,
    /// Receipts: unit cost (or give `amount`, the line total).
    pub cost: String,
    pub amount: String,
    /// Counts: the quantity expected at posting (read-only).
    pub expected: String,
}

#[derive(Serialize, ToSchema)]
pub struct DocumentDto {
    pub id: u64,
    /// receipt, write_off, transfer, count, supplier_return
    pub kind: String,
    pub number: String,
    /// draft, posted, cancelled
    pub status: String,
    pub date: String,
    pub warehouse: u64,
    pub to_warehouse: Option<u64>,
    pub supplier: String,
    pub reason: String,
    pub note: String,
    pub lines: Vec<LineDto>,
    /// Σ line amounts (receipts) in the company currency.
    pub total: String,
}

impl From<&Document> for DocumentDto {
    fn from(d: &Document) -> Self {
        DocumentDto {
            id: d.id.0,
            kind: d.kind.code().into(),
            number: d.number.clone(),
            status: status_code(d.status).into(),
            date: d.date.rfc3339(),
            warehouse: d.warehouse.0,
            to_warehouse: d.to_warehouse.map(|w| w.0),
            supplier: d.supplier.clone(),
            reason: d.reason.clone(),
            note: d.note.clone(),
            lines: d
                .lines
                .iter()
                .map(|l| LineDto {
                    product: l.product.0,
                    qty: l.qty.to_string(),
                    cost: String::new(),
                    amount: l.amount.to_string(),
                    expected: l.expected.to_string(),
                })
                .collect(),
            total: d.lines.iter().map(|l| l.amount).sum::<Decimal>().to_string(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentInput {
    pub kind: String,
    /// RFC 3339 instant or YYYY-MM-DD (start of that day, company time zone); default now.
    #[serde(default)]
    pub date: Option<String>,
    pub warehouse: u64,
    #[serde(default)]
    pub to_warehouse: Option<u64>,
    #[serde(default)]
    pub supplier: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
    pub lines: Vec<LineDto>,
    /// Post at once (one transaction: draft and posting).
    #[serde(default)]
    pub post: bool,
}

fn parse_date(raw: Option<&str>, tz: &str) -> Result<Option<Ts>> {
    let Some(s) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Ok(Some(Ts(t.as_millisecond())));
    }
    Ts::parse_date(s, tz).map(Some).ok_or_else(|| Error::field("date", "date", "Дата: ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"))
}

fn draft(i: &DocumentInput, tz: &str) -> Result<DocDraft> {
    Ok(DocDraft {
        kind: i.kind.clone(),
        date: parse_date(i.date.as_deref(), tz)?,
        warehouse: Some(WarehouseId(i.warehouse)),
        to_warehouse: i.to_warehouse.map(WarehouseId),
        supplier: i.supplier.clone(),
        reason: i.reason.clone(),
        note: i.note.clone(),
        lines: i
            .lines
            .iter()
            .map(|l| LineDraft { product: Some(ProductId(l.product)), qty: l.qty.clone(), cost: l.cost.clone(), amount: l.amount.clone() })
            .collect(),
    })
}

async fn save_document(app: App, a: Auth, id: Option<DocumentId>, i: DocumentInput) -> Result<DocumentDto> {
    let tz = crate::tenancy::timezone(&app.db.read()?, a.actor.company)?;
    let (d, post, now) = (draft(&i, &tz)?, i.post, app.now());
    let doc = app.db.write(move |tx| query::save_document(tx, &a.actor, now, id, &d, post)).await?;
    Ok(DocumentDto::from(&doc))
}

#[utoipa::path(post, path = "/api/v1/documents", tag = "stock", security(("bearer" = [])), request_body = DocumentInput,
    responses((status = 201, body = DocumentDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_document(State(app): State<App>, a: Auth, Json(i): Json<DocumentInput>) -> Result<(StatusCode, Json<DocumentDto>)> {
    Ok((StatusCode::CREATED, Json(save_document(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/documents/{id}", tag = "stock", security(("bearer" = [])), params(("id" = u64, Path)), request_body = DocumentInput,
    responses((status = 200, body = DocumentDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_document(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<DocumentInput>) -> Result<Json<DocumentDto>> {
    Ok(Json(save_document(app, a, Some(DocumentId(id)), i).await?))
}

#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "stock", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = DocumentDto), (status = 404, body = Problem)))]
pub async fn get_document(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<DocumentDto>> {
    require_stock_read(&a.actor)?;
    let d = query::document(&app.db.read()?, a.actor.company, DocumentId(id))?;
    Ok(Json(DocumentDto::from(&d)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    pub kind: Option<String>,
    pub status: Option<String>,
    /// Page cursor: documents with a smaller id (newest first).
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/documents", tag = "stock", security(("bearer" = [])), params(DocumentQuery), responses((status = 200, body = Vec<DocumentDto>)))]
pub async fn list_documents(State(app): State<App>, a: Auth, Query(q): Query<DocumentQuery>) -> Result<Json<Vec<DocumentDto>>> {
    require_stock_read(&a.actor)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let docs = query::documents_page(&app.db.read()?, a.actor.company, q.kind.as_deref(), q.status.as_deref(), q.before, limit)?;
    Ok(Json(docs.iter().map(DocumentDto::from).collect()))
}

/// Posts (or, with `cancel`, cancels) a document.
async fn transition(app: &App, actor: Actor, id: DocumentId, cancel: bool) -> Result<Document> {
    let now = app.now();
    let doc =
        app.db.write(move |tx| if cancel { inventory::cancel(tx, &actor, now, id) } else { inventory::post(tx, &actor, now, id) }).await?;
    Ok(doc)
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/post", tag = "stock", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = DocumentDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn post_document(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<DocumentDto>> {
    Ok(Json(DocumentDto::from(&transition(&app, a.actor, DocumentId(id), false).await?)))
}

#[utoipa::path(post, path = "/api/v1/documents/{id}/cancel", tag = "stock", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = DocumentDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_document(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<DocumentDto>> {
    Ok(Json(DocumentDto::from(&transition(&app, a.actor, DocumentId(id), true).await?)))
}

#[utoipa::path(delete, path = "/api/v1/documents/{id}", tag = "stock", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_document(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| inventory::delete_draft(tx, &a.actor, now, DocumentId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StockQuery {
    pub warehouse: u64,
    /// Only products at or below their reorder level.
    pub low: Option<bool>,
    pub category: Option<u64>,
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct StockRow {
    pub product: u64,
    pub name: String,
    pub qty: String,
    /// At FIFO cost.
    pub value: String,
    /// At the current sale price.
    pub sale_value: String,
    pub reorder_level: String,
}

#[derive(Serialize, ToSchema)]
pub struct StockReport {
    pub rows: Vec<StockRow>,
    pub total_value: String,
    pub total_sale_value: String,
    /// The whole warehouse, whatever the filters and page.
    pub warehouse_value: String,
    pub warehouse_sale_value: String,
    pub next_after: Option<u64>,
}

/// Stock on hand of one warehouse, read from the balance projection (never a ledger scan).
#[utoipa::path(get, path = "/api/v1/stock", tag = "stock", security(("bearer" = [])), params(StockQuery), responses((status = 200, body = StockReport)))]
pub async fn stock(State(app): State<App>, a: Auth, Query(q): Query<StockQuery>) -> Result<Json<StockReport>> {
    require_stock_read(&a.actor)?;
    let limit = q.limit.unwrap_or(500).clamp(1, 100_000);
    let (_, r) =
        inventory::report::on_hand_of(&app.db.read()?, a.actor.company, q.warehouse, q.category, q.low == Some(true), q.after, limit)?;
    let rows = r
        .rows
        .into_iter()
        .map(|x| StockRow {
            product: x.product.0,
            name: x.name,
            qty: x.qty.to_string(),
            value: x.value.to_string(),
            sale_value: x.sale_value.to_string(),
            reorder_level: x.reorder_level.to_string(),
        })
        .collect();
    Ok(Json(StockReport {
        rows,
        total_value: r.total_value.to_string(),
        total_sale_value: r.total_sale_value.to_string(),
        warehouse_value: r.warehouse.value.to_string(),
        warehouse_sale_value: r.warehouse.sale_value.to_string(),
        next_after: r.next_after,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct LayerUse {
    /// The document whose receipt created the layer.
    pub document: String,
    pub qty: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct MoveDto {
    pub id: u64,
    pub date: String,
    pub warehouse: u64,
    pub kind: String,
    pub document: String,
    pub qty: String,
    pub value: String,
    pub qty_after: String,
    pub value_after: String,
    /// For outbound movements: which receipts' layers were consumed, at what cost.
    pub layers: Vec<LayerUse>,
}

#[derive(Serialize, ToSchema)]
pub struct StockCard {
    pub product: u64,
    pub warehouses: Vec<CardBalance>,
    pub moves: Vec<MoveDto>,
}

#[derive(Serialize, ToSchema)]
pub struct CardBalance {
    pub warehouse: u64,
    pub name: String,
    pub qty: String,
    pub value: String,
}

/// A product's stock per warehouse and its latest movements, each outbound one explained by
/// the cost layers it consumed ("3 from ПР-000012 at 85.00").
#[utoipa::path(get, path = "/api/v1/products/{id}/stock", tag = "stock", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = StockCard), (status = 404, body = Problem)))]
pub async fn stock_card(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<StockCard>> {
    require_stock_read(&a.actor)?;
    let card = card(&app.db.read()?, a.actor.company, ProductId(id), 200)?;
    let warehouses = card
        .balances
        .into_iter()
        .map(|(w, b)| CardBalance { warehouse: w.id.0, name: w.name, qty: b.qty.to_string(), value: b.value.to_string() })
        .collect();
    let moves = card
        .moves
        .into_iter()
        .map(|m| MoveDto {
            id: m.id,
            date: m.date.rfc3339(),
            warehouse: m.warehouse.0,
            kind: m.kind.code().into(),
            document: m.number,
            qty: m.qty.to_string(),
            value: m.value.to_string(),
            qty_after: m.qty_after.to_string(),
            value_after: m.value_after.to_string(),
            layers: m
                .layers
                .into_iter()
                .map(|l| LayerUse { document: l.number, qty: l.qty.to_string(), amount: l.amount.to_string() })
                .collect(),
        })
        .collect();
    Ok(Json(StockCard { product: id, warehouses, moves }))
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(stock_card))
        .routes(routes!(list_warehouses, create_warehouse))
        .routes(routes!(put_warehouse))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_documents, create_document))
        .routes(routes!(get_document, put_document, delete_document))
        .routes(routes!(post_document))
        .routes(routes!(cancel_document))
        .routes(routes!(stock))
}
