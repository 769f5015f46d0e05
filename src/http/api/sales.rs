//! Checkout, the sales list and sale card, and returns.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use super::pos::require_pos;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{CashBoxId, ClientId, ProductId, SaleId, ShiftId, UserId};
use crate::pos::model::{Sale, SaleReturn};
use crate::pos::query::{self, SaleFilter};
use crate::pos::{self, CheckoutDraft, LineDraft, PaymentDraft, ReturnDraft};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct SaleLineDto {
    pub product: Option<u64>,
    pub name: String,
    pub barcode: String,
    pub unit: String,
    pub qty: String,
    pub price: String,
    pub discount: String,
    pub amount: String,
    /// FIFO cost of the goods at the sale.
    pub cost: String,
    pub returned_qty: String,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentDto {
    /// cash, card, transfer, wallet:<name>, debt
    pub method: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct SaleDto {
    pub id: u64,
    pub number: String,
    /// paid, debt, returned
    pub status: String,
    pub at: String,
    pub cash_box: u64,
    pub shift: u64,
    pub cashier: u64,
    pub client: Option<u64>,
    pub lines: Vec<SaleLineDto>,
    pub subtotal: String,
    pub discount: String,
    pub total: String,
    pub payments: Vec<PaymentDto>,
    pub cash_received: String,
    pub change: String,
    pub cost: String,
    pub returned: String,
    pub returns: Vec<u64>,
}

impl From<&Sale> for SaleDto {
    fn from(s: &Sale) -> Self {
        SaleDto {
            id: s.id.0,
            number: s.number.clone(),
            status: s.status.code().into(),
            at: s.at.rfc3339(),
            cash_box: s.cash_box.0,
            shift: s.shift.0,
            cashier: s.cashier.0,
            client: s.client.map(|c| c.0),
            lines: s
                .lines
                .iter()
                .map(|l| SaleLineDto {
                    product: l.product.map(|p| p.0),
                    name: l.name.clone(),
                    barcode: l.barcode.clone(),
                    unit: l.unit.clone(),
                    qty: l.qty.to_string(),
                    price: l.unit_price.to_string(),
                    discount: l.discount.to_string(),
                    amount: l.amount.to_string(),
                    cost: l.cost.to_string(),
                    returned_qty: l.returned_qty.to_string(),
                })
                .collect(),
            subtotal: s.subtotal.to_string(),
            discount: s.discount.to_string(),
            total: s.total.to_string(),
            payments: s.payments.iter().map(|p| PaymentDto { method: p.method.code(), amount: p.amount.to_string() }).collect(),
            cash_received: s.cash_received.to_string(),
            change: s.change.to_string(),
            cost: s.cost().to_string(),
            returned: s.returned.to_string(),
            returns: s.returns.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SaleLineInput {
    pub product: Option<u64>,
    /// Custom items: name and price.
    pub name: String,
    pub qty: String,
    /// Default: the product's price.
    pub price: String,
    /// Line discount (amount).
    pub discount: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// cash, card, transfer, wallet:<name>, debt
    pub method: String,
    /// For cash, what the client handed over (change is given back).
    pub amount: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// Chosen by the client (a UUID); a retry with the same key returns the same sale.
    pub idempotency_key: String,
    pub cash_box: u64,
    /// The lines; omit to check out your open cart at this cash box.
    #[serde(default)]
    pub lines: Option<Vec<SaleLineInput>>,
    #[serde(default)]
    pub discount_percent: String,
    #[serde(default)]
    pub discount_amount: String,
    #[serde(default)]
    pub client: Option<u64>,
    pub payments: Vec<PaymentInput>,
}

#[utoipa::path(post, path = "/api/v1/sales", tag = "pos", security(("bearer" = [])), request_body = CheckoutInput,
    responses((status = 201, body = SaleDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn checkout(State(app): State<App>, a: Auth, Json(i): Json<CheckoutInput>) -> Result<(StatusCode, Json<SaleDto>)> {
    let now = app.now();
    let d = CheckoutDraft {
        key: i.idempotency_key,
        cash_box: Some(CashBoxId(i.cash_box)),
        lines: i.lines.map(|ls| {
            ls.into_iter()
                .map(|l| LineDraft { product: l.product.map(ProductId), name: l.name, qty: l.qty, price: l.price, discount: l.discount })
                .collect()
        }),
        discount_percent: i.discount_percent,
        discount_amount: i.discount_amount,
        client: i.client.map(ClientId),
        payments: i.payments.into_iter().map(|p| PaymentDraft { method: p.method, amount: p.amount }).collect(),
    };
    // Checkouts are the hot path: they share batch transactions (checkout is a pure function of
    // the transaction, so it may be re-run if a neighbour in its batch fails).
    let sale = app.db.write_batched(move |tx| pos::checkout(tx, &a.actor, now, &d)).await?;
    Ok((StatusCode::CREATED, Json(SaleDto::from(&sale))))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SaleQuery {
    /// paid, debt, returned
    pub status: Option<String>,
    pub cashier: Option<u64>,
    pub shift: Option<u64>,
    pub cash_box: Option<u64>,
    /// A payment method code the sale used.
    pub method: Option<String>,
    /// From this day (YYYY-MM-DD, company time zone).
    pub from: Option<String>,
    /// Through this day.
    pub to: Option<String>,
    /// Sales with ids below this one (paging).
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

impl From<SaleQuery> for SaleFilter {
    fn from(q: SaleQuery) -> Self {
        SaleFilter {
            status: q.status,
            cashier: q.cashier.map(UserId),
            shift: q.shift.map(ShiftId),
            cash_box: q.cash_box.map(CashBoxId),
            method: q.method,
            from: q.from,
            to: q.to,
            before: q.before.map(SaleId),
            limit: q.limit,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/sales", tag = "pos", security(("bearer" = [])), params(SaleQuery),
    responses((status = 200, body = Vec<SaleDto>), (status = 422, body = Problem)))]
pub async fn list_sales(State(app): State<App>, a: Auth, Query(q): Query<SaleQuery>) -> Result<Json<Vec<SaleDto>>> {
    require_pos(&a.actor)?;
    Ok(Json(query::sales(&app.db.read()?, &a.actor, &q.into())?.iter().map(SaleDto::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/sales/{id}", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = SaleDto), (status = 404, body = Problem)))]
pub async fn get_sale(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<SaleDto>> {
    require_pos(&a.actor)?;
    Ok(Json(SaleDto::from(&query::readable_sale(&app.db.read()?, &a.actor, SaleId(id))?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineInput {
    /// Index of the sale line (0-based).
    pub line: usize,
    pub qty: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    pub idempotency_key: String,
    /// Whose open shift pays the refund; default the sale's cash box.
    #[serde(default)]
    pub cash_box: Option<u64>,
    /// Empty: return everything not yet returned.
    #[serde(default)]
    pub lines: Vec<ReturnLineInput>,
    /// cash (default), card, transfer, wallet:<name>, debt (reduces the client's debt)
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnDto {
    pub id: u64,
    pub number: String,
    pub sale: u64,
    pub at: String,
    pub shift: u64,
    pub method: String,
    pub amount: String,
    /// (line index, qty, amount, cost)
    pub lines: Vec<(usize, String, String, String)>,
}

impl From<&SaleReturn> for ReturnDto {
    fn from(r: &SaleReturn) -> Self {
        ReturnDto {
            id: r.id,
            number: r.number.clone(),
            sale: r.sale.0,
            at: r.at.rfc3339(),
            shift: r.shift.0,
            method: r.method.code(),
            amount: r.amount.to_string(),
            lines: r.lines.iter().map(|l| (l.line, l.qty.to_string(), l.amount.to_string(), l.cost.to_string())).collect(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/sales/{id}/returns", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)), request_body = ReturnInput,
    responses((status = 201, body = ReturnDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn return_sale(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<ReturnInput>,
) -> Result<(StatusCode, Json<ReturnDto>)> {
    let now = app.now();
    let d = ReturnDraft {
        key: i.idempotency_key,
        cash_box: i.cash_box.map(CashBoxId),
        lines: i.lines.into_iter().map(|l| (l.line, l.qty)).collect(),
        method: i.method,
        reason: i.reason,
    };
    let r = app.db.write(move |tx| pos::return_sale(tx, &a.actor, now, SaleId(id), &d)).await?;
    Ok((StatusCode::CREATED, Json(ReturnDto::from(&r))))
}

#[utoipa::path(get, path = "/api/v1/sales/{id}/returns", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<ReturnDto>), (status = 404, body = Problem)))]
pub async fn list_returns(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<ReturnDto>>> {
    require_pos(&a.actor)?;
    let tx = app.db.read()?;
    let sale = query::readable_sale(&tx, &a.actor, SaleId(id))?;
    Ok(Json(query::sale_returns(&tx, &a.actor, &sale)?.iter().map(ReturnDto::from).collect()))
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_sales, checkout)).routes(routes!(get_sale)).routes(routes!(list_returns, return_sale))
}
