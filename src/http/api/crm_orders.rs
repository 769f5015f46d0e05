//! CRM orders under `/api/v1/crm/orders`: place (reserving stock), from a won deal, confirm,
//! cancel (releasing it), complete at a till (a sale, idempotent by key), list and read.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use super::crm::CrmLineDto;
use crate::app::App;
use crate::crm::model::{Order, OrderStatus};
use crate::crm::orders::{self, CompleteDraft, OrderDraft, OrderFilter, OrderLineDraft};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{CashBoxId, CrmDealId, OrderId};
use crate::pos::PaymentDraft;

#[derive(Serialize, ToSchema)]
pub struct CrmOrderDto {
    pub id: u64,
    /// "З-000001", per company
    pub number: String,
    /// new, pending, completed, cancelled
    pub status: String,
    pub client: Option<u64>,
    /// The won deal it was made from.
    pub deal: Option<u64>,
    pub warehouse: u64,
    pub lines: Vec<CrmLineDto>,
    pub total: String,
    pub notes: String,
    pub created: String,
    pub updated: String,
    /// The till's sale once completed.
    pub sale: Option<u64>,
}

impl From<&Order> for CrmOrderDto {
    fn from(o: &Order) -> Self {
        CrmOrderDto {
            id: o.id.0,
            number: o.number.clone(),
            status: o.status.code().into(),
            client: o.client.map(|c| c.0),
            deal: o.deal.map(|d| d.0),
            warehouse: o.warehouse.0,
            lines: o
                .lines
                .iter()
                .map(|l| CrmLineDto {
                    product: l.product.0,
                    name: l.name.clone(),
                    qty: l.qty.normalize().to_string(),
                    price: l.price.to_string(),
                    amount: l.amount().to_string(),
                })
                .collect(),
            total: o.total.to_string(),
            notes: o.notes.clone(),
            created: o.created.rfc3339(),
            updated: o.updated.rfc3339(),
            sale: o.sale.map(|s| s.0),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmOrderLineInput {
    pub product: u64,
    /// Default 1.
    pub qty: String,
    /// Default: the product's price.
    pub price: String,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmOrderInput {
    pub client: Option<u64>,
    /// Where the goods are reserved (and later taken from).
    pub warehouse: Option<u64>,
    pub lines: Vec<CrmOrderLineInput>,
    pub notes: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmOrderQuery {
    /// new, pending, completed, cancelled
    pub status: Option<String>,
    pub client: Option<u64>,
    pub deal: Option<u64>,
    /// At most 500, default 100.
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/crm/orders", tag = "crm", security(("bearer" = [])), params(CrmOrderQuery),
    responses((status = 200, body = Vec<CrmOrderDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_orders(State(app): State<App>, a: Auth, Query(q): Query<CrmOrderQuery>) -> Result<Json<Vec<CrmOrderDto>>> {
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(OrderStatus::parse(s).ok_or_else(|| {
            Error::field(
                "status",
                "order_status",
                "Статус: new, pending, completed или cancelled",
                "Status: new, pending, completed or cancelled",
            )
        })?),
    };
    let f = OrderFilter { status, client: q.client, deal: q.deal, limit: q.limit.unwrap_or(100) };
    let tx = app.db.read()?;
    Ok(Json(orders::list(&tx, &a.actor, &f)?.iter().map(CrmOrderDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/crm/orders", tag = "crm", security(("bearer" = [])), request_body = CrmOrderInput,
    responses((status = 201, body = CrmOrderDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_order(State(app): State<App>, a: Auth, Json(i): Json<CrmOrderInput>) -> Result<(StatusCode, Json<CrmOrderDto>)> {
    let now = app.now();
    let d = OrderDraft {
        client: i.client,
        warehouse: i.warehouse,
        lines: i.lines.into_iter().map(|l| OrderLineDraft { product: l.product, qty: l.qty, price: l.price }).collect(),
        notes: i.notes,
    };
    let o = app.db.write(move |tx| orders::create(tx, &a.actor, now, &d)).await?;
    Ok((StatusCode::CREATED, Json(CrmOrderDto::from(&o))))
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmDealOrderInput {
    pub warehouse: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/crm/deals/{id}/order", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmDealOrderInput,
    responses((status = 201, body = CrmOrderDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn order_from_deal(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmDealOrderInput>,
) -> Result<(StatusCode, Json<CrmOrderDto>)> {
    let now = app.now();
    let o = app.db.write(move |tx| orders::from_deal(tx, &a.actor, now, CrmDealId(id), i.warehouse)).await?;
    Ok((StatusCode::CREATED, Json(CrmOrderDto::from(&o))))
}

#[utoipa::path(get, path = "/api/v1/crm/orders/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmOrderDto), (status = 404, body = Problem)))]
pub async fn get_order(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmOrderDto>> {
    let tx = app.db.read()?;
    Ok(Json(CrmOrderDto::from(&orders::order(&tx, &a.actor, OrderId(id))?)))
}

#[utoipa::path(post, path = "/api/v1/crm/orders/{id}/confirm", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmOrderDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm_order(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmOrderDto>> {
    let now = app.now();
    let o = app.db.write(move |tx| orders::confirm(tx, &a.actor, now, OrderId(id))).await?;
    Ok(Json(CrmOrderDto::from(&o)))
}

#[utoipa::path(post, path = "/api/v1/crm/orders/{id}/cancel", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmOrderDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_order(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmOrderDto>> {
    let now = app.now();
    let o = app.db.write(move |tx| orders::cancel(tx, &a.actor, now, OrderId(id))).await?;
    Ok(Json(CrmOrderDto::from(&o)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrmOrderPaymentInput {
    /// cash, card, transfer, wallet:<name>, debt
    pub method: String,
    pub amount: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrmOrderCompleteInput {
    /// A retry with the same key returns the same completed order.
    pub idempotency_key: String,
    /// A cash box with an open shift, taking goods from the order's warehouse.
    pub cash_box: u64,
    pub payments: Vec<CrmOrderPaymentInput>,
}

#[utoipa::path(post, path = "/api/v1/crm/orders/{id}/complete", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmOrderCompleteInput,
    responses((status = 200, body = CrmOrderDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn complete_order(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmOrderCompleteInput>,
) -> Result<Json<CrmOrderDto>> {
    let now = app.now();
    let d = CompleteDraft {
        key: i.idempotency_key,
        cash_box: Some(CashBoxId(i.cash_box)),
        payments: i.payments.into_iter().map(|p| PaymentDraft { method: p.method, amount: p.amount }).collect(),
    };
    let o = app.db.write(move |tx| orders::complete(tx, &a.actor, now, OrderId(id), &d)).await?;
    Ok(Json(CrmOrderDto::from(&o)))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_orders, create_order))
        .routes(routes!(get_order))
        .routes(routes!(order_from_deal))
        .routes(routes!(confirm_order))
        .routes(routes!(cancel_order))
        .routes(routes!(complete_order))
}
