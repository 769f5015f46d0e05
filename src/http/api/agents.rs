//! Field agents under `/api/v1/agents/…`: transfers, acceptance, "my goods" and "goods on
//! agents", returns and their decisions, agent sales and their returns (the agent's phone app).

use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::agents::model::{AgentReturn, AgentSale, Lot, ReturnStatus};
use crate::agents::query::{self, GoodsRow};
use crate::agents::sales::{CheckoutDraft, LineDraft};
use crate::agents::{self, TransferDraft, TransferItem, returns, sales};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{AgentReturnId, CashBoxId, ClientId, LotId, ProductId, SaleId, UserId, WarehouseId};
use crate::pos::PaymentDraft;
use crate::tenancy::actor::Actor;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

fn qty(field: &str, s: &str) -> Result<Decimal> {
    crate::money::parse_qty(field, s).map_err(|e| Error::Validation(vec![e]))
}

/// Whose goods a read is about: the named agent; else everyone's for an owner-like caller,
/// the caller's own otherwise.
fn whose(actor: &Actor, agent: Option<u64>) -> Option<UserId> {
    match agent {
        Some(a) => Some(UserId(a)),
        None if actor.owner_like() => None,
        None => Some(actor.user),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AgentDto {
    pub id: u64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct LotDto {
    pub id: u64,
    pub agent: u64,
    pub product: u64,
    pub created: String,
    pub transferred: String,
    pub accepted: String,
    pub returned: String,
    pub sold: String,
    pub reserved: String,
    /// The unaccepted remainder taken back into the warehouse.
    pub cancelled: String,
    pub on_hand: String,
    /// open (something left to accept) or closed
    pub status: String,
    pub unit_cost: String,
    pub price: String,
    pub external_ref: Option<String>,
    pub source: String,
    pub last_movement: String,
}

impl From<&Lot> for LotDto {
    fn from(l: &Lot) -> Self {
        LotDto {
            id: l.id.0,
            agent: l.agent.0,
            product: l.product.0,
            created: l.created.rfc3339(),
            transferred: l.transferred.to_string(),
            accepted: l.accepted.to_string(),
            returned: l.returned.to_string(),
            sold: l.sold.to_string(),
            reserved: l.reserved.to_string(),
            cancelled: l.cancelled.to_string(),
            on_hand: l.free().to_string(),
            status: if l.closed() { "closed" } else { "open" }.into(),
            unit_cost: l.unit_cost.to_string(),
            price: l.price.to_string(),
            external_ref: l.external_ref.clone(),
            source: l.source.clone(),
            last_movement: l.last_movement.rfc3339(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<AgentDto>), (status = 403, body = Problem)))]
pub async fn list_agents(State(app): State<App>, a: Auth) -> Result<Json<Vec<AgentDto>>> {
    a.actor.require_feature("agents")?;
    a.actor.require_owner_like()?;
    let list = agents::agents(&app.db.read()?, a.actor.company)?;
    Ok(Json(list.into_iter().map(|(id, name)| AgentDto { id: id.0, name }).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferItemInput {
    pub product: u64,
    /// A whole number above zero.
    pub qty: String,
    /// Unit price snapshot; default the product's price; 0 for gifts.
    #[serde(default)]
    pub price: Option<String>,
    /// Accept in full at once (trusted flows).
    #[serde(default)]
    pub accept: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferInput {
    pub agent: u64,
    pub warehouse: u64,
    pub items: Vec<TransferItemInput>,
    /// Unique per company: repeating a transfer with it returns the same lots.
    #[serde(default)]
    pub external_ref: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/agents/transfers", tag = "agents", security(("bearer" = [])), request_body = TransferInput,
    responses((status = 201, body = Vec<LotDto>), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_transfer(State(app): State<App>, a: Auth, Json(i): Json<TransferInput>) -> Result<(StatusCode, Json<Vec<LotDto>>)> {
    let now = app.now();
    let lots = app
        .db
        .write(move |tx| {
            let mut items = Vec::with_capacity(i.items.len());
            for (n, it) in i.items.iter().enumerate() {
                let product = ProductId(it.product);
                let price = match &it.price {
                    Some(p) => crate::money::parse_money(&format!("items[{n}].price"), p, false).map_err(|e| Error::Validation(vec![e]))?,
                    None => crate::catalog::query::find_product(tx, a.actor.company, product)?.map(|p| p.price).unwrap_or_default(),
                };
                items.push(TransferItem { product, qty: qty(&format!("items[{n}].qty"), &it.qty)?, price, accept: it.accept });
            }
            let d = TransferDraft {
                agent: UserId(i.agent),
                warehouse: WarehouseId(i.warehouse),
                items,
                external_ref: i.external_ref.clone(),
                source: String::new(),
            };
            agents::transfer(tx, &a.actor, now, &d)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(lots.iter().map(LotDto::from).collect())))
}

#[utoipa::path(get, path = "/api/v1/agents/lots/{id}", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = LotDto), (status = 404, body = Problem)))]
pub async fn get_lot(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<LotDto>> {
    Ok(Json(LotDto::from(&query::lot(&app.db.read()?, &a.actor, LotId(id))?)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AcceptInput {
    /// Default: everything that remains.
    pub qty: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/agents/lots/{id}/accept", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)), request_body = AcceptInput,
    responses((status = 200, body = LotDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn accept_lot(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<AcceptInput>) -> Result<Json<LotDto>> {
    let now = app.now();
    let q = i.qty.as_deref().map(|s| qty("qty", s)).transpose()?;
    let lot = app.db.write(move |tx| agents::accept(tx, &a.actor, now, LotId(id), q)).await?;
    Ok(Json(LotDto::from(&lot)))
}

#[utoipa::path(post, path = "/api/v1/agents/lots/{id}/cancel", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = LotDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn cancel_lot(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<LotDto>> {
    let now = app.now();
    let lot = app.db.write(move |tx| agents::cancel_remainder(tx, &a.actor, now, LotId(id))).await?;
    Ok(Json(LotDto::from(&lot)))
}

#[derive(Serialize, ToSchema)]
pub struct GoodsDto {
    pub agent: u64,
    pub agent_name: String,
    pub product: u64,
    pub name: String,
    pub barcode: String,
    pub price: String,
    pub on_hand: String,
    /// Transferred, not yet accepted.
    pub awaiting: String,
    pub reserved: String,
    pub last_movement: Option<String>,
    pub lots: Vec<LotDto>,
}

impl From<&GoodsRow> for GoodsDto {
    fn from(g: &GoodsRow) -> Self {
        GoodsDto {
            agent: g.agent.0,
            agent_name: g.agent_name.clone(),
            product: g.product.0,
            name: g.name.clone(),
            barcode: g.barcode.clone(),
            price: g.price.to_string(),
            on_hand: g.on_hand().to_string(),
            awaiting: g.awaiting().to_string(),
            reserved: g.holding.reserved.to_string(),
            last_movement: g.holding.last_movement.map(|t| t.rfc3339()),
            lots: g.lots.iter().map(LotDto::from).collect(),
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GoodsQuery {
    /// One agent (owner-like callers); default: the caller's own goods, or every agent's for an
    /// owner-like caller.
    pub agent: Option<u64>,
    /// Name (part), barcode, article, code or PLU.
    pub q: String,
}

#[utoipa::path(get, path = "/api/v1/agents/goods", tag = "agents", security(("bearer" = [])), params(GoodsQuery),
    responses((status = 200, body = Vec<GoodsDto>), (status = 403, body = Problem)))]
pub async fn list_goods(State(app): State<App>, a: Auth, Query(q): Query<GoodsQuery>) -> Result<Json<Vec<GoodsDto>>> {
    let rows = query::goods(&app.db.read()?, &a.actor, whose(&a.actor, q.agent), &q.q)?;
    Ok(Json(rows.iter().map(GoodsDto::from).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct AgentReturnDto {
    pub id: u64,
    pub lot: u64,
    pub agent: u64,
    pub product: u64,
    pub qty: String,
    /// pending, approved, rejected
    pub status: String,
    pub created: String,
    pub decided: Option<String>,
    pub warehouse: Option<u64>,
    pub cost: String,
}

impl From<&AgentReturn> for AgentReturnDto {
    fn from(r: &AgentReturn) -> Self {
        AgentReturnDto {
            id: r.id.0,
            lot: r.lot.0,
            agent: r.agent.0,
            product: r.product.0,
            qty: r.qty.to_string(),
            status: r.status.code().into(),
            created: r.created.rfc3339(),
            decided: r.decided.map(|(t, _)| t.rfc3339()),
            warehouse: r.warehouse.map(|w| w.0),
            cost: r.cost.to_string(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentReturnInput {
    pub product: u64,
    /// A whole number above zero.
    pub qty: String,
    /// Default: the caller.
    #[serde(default)]
    pub agent: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/agents/returns", tag = "agents", security(("bearer" = [])), request_body = AgentReturnInput,
    responses((status = 201, body = AgentReturnDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_return(State(app): State<App>, a: Auth, Json(i): Json<AgentReturnInput>) -> Result<(StatusCode, Json<AgentReturnDto>)> {
    let now = app.now();
    let q = qty("qty", &i.qty)?;
    let agent = UserId(i.agent.unwrap_or(a.actor.user.0));
    let r = app.db.write(move |tx| returns::create(tx, &a.actor, now, agent, ProductId(i.product), q)).await?;
    Ok((StatusCode::CREATED, Json(AgentReturnDto::from(&r))))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ReturnsQuery {
    pub agent: Option<u64>,
    /// pending, approved, rejected
    pub status: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnsDto {
    pub pending_count: usize,
    pub pending_qty: String,
    pub returns: Vec<AgentReturnDto>,
}

#[utoipa::path(get, path = "/api/v1/agents/returns", tag = "agents", security(("bearer" = [])), params(ReturnsQuery),
    responses((status = 200, body = ReturnsDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_returns(State(app): State<App>, a: Auth, Query(q): Query<ReturnsQuery>) -> Result<Json<ReturnsDto>> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some("pending") => Some(ReturnStatus::Pending),
        Some("approved") => Some(ReturnStatus::Approved),
        Some("rejected") => Some(ReturnStatus::Rejected),
        Some(_) => {
            return Err(Error::field("status", "status", "Статус: pending, approved, rejected", "Status: pending, approved, rejected"));
        }
    };
    let list = query::returns(&app.db.read()?, &a.actor, whose(&a.actor, q.agent), status)?;
    let (n, qty) = query::returns_summary(&list);
    Ok(Json(ReturnsDto { pending_count: n, pending_qty: qty.to_string(), returns: list.iter().map(AgentReturnDto::from).collect() }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ApproveInput {
    /// Where the goods go back; default the warehouse the lot came from.
    pub warehouse: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/agents/returns/{id}/approve", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)), request_body = ApproveInput,
    responses((status = 200, body = AgentReturnDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve_return(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<ApproveInput>,
) -> Result<Json<AgentReturnDto>> {
    let now = app.now();
    let r = app.db.write(move |tx| returns::approve(tx, &a.actor, now, AgentReturnId(id), i.warehouse.map(WarehouseId))).await?;
    Ok(Json(AgentReturnDto::from(&r)))
}

#[utoipa::path(post, path = "/api/v1/agents/returns/{id}/reject", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = AgentReturnDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reject_return(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<AgentReturnDto>> {
    let now = app.now();
    let r = app.db.write(move |tx| returns::reject(tx, &a.actor, now, AgentReturnId(id))).await?;
    Ok(Json(AgentReturnDto::from(&r)))
}

#[derive(Serialize, ToSchema)]
pub struct AllocationDto {
    pub lot: u64,
    pub qty: String,
    pub cost: String,
    pub returned: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgentSaleLineDto {
    pub product: u64,
    pub name: String,
    pub qty: String,
    pub price: String,
    pub amount: String,
    pub cost: String,
    pub returned_qty: String,
    pub allocations: Vec<AllocationDto>,
}

#[derive(Serialize, ToSchema)]
pub struct AgentSaleDto {
    pub id: u64,
    pub number: String,
    pub agent: u64,
    pub operator: u64,
    pub at: String,
    pub cash_box: u64,
    pub client: Option<u64>,
    /// paid, debt, returned
    pub status: String,
    pub total: String,
    pub cost: String,
    pub payments: Vec<super::sales::PaymentDto>,
    pub lines: Vec<AgentSaleLineDto>,
    pub returned: String,
}

impl From<&AgentSale> for AgentSaleDto {
    fn from(s: &AgentSale) -> Self {
        AgentSaleDto {
            id: s.id.0,
            number: s.number.clone(),
            agent: s.agent.0,
            operator: s.operator.0,
            at: s.at.rfc3339(),
            cash_box: s.cash_box.0,
            client: s.client.map(|c| c.0),
            status: s.status.code().into(),
            total: s.total.to_string(),
            cost: s.cost().to_string(),
            payments: s
                .payments
                .iter()
                .map(|p| super::sales::PaymentDto { method: p.method.code(), amount: p.amount.to_string() })
                .collect(),
            lines: s
                .lines
                .iter()
                .map(|l| AgentSaleLineDto {
                    product: l.product.0,
                    name: l.name.clone(),
                    qty: l.qty.to_string(),
                    price: l.unit_price.to_string(),
                    amount: l.amount.to_string(),
                    cost: l.cost.to_string(),
                    returned_qty: l.returned_qty.to_string(),
                    allocations: l
                        .allocations
                        .iter()
                        .map(|a| AllocationDto {
                            lot: a.lot.0,
                            qty: a.qty.to_string(),
                            cost: a.cost.to_string(),
                            returned: a.returned.to_string(),
                        })
                        .collect(),
                })
                .collect(),
            returned: s.returns.iter().map(|r| r.amount).sum::<Decimal>().to_string(),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AgentLineInput {
    pub product: Option<u64>,
    /// Instead of the product: a scanned barcode.
    pub barcode: String,
    /// A whole number; default 1.
    pub qty: String,
    /// Default: the product's price.
    pub price: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentCheckoutInput {
    /// Optional; a retry with the same key returns the same sale.
    #[serde(default)]
    pub idempotency_key: String,
    /// Sell on behalf of this agent (owner-like callers); default the caller.
    #[serde(default)]
    pub agent: Option<u64>,
    /// Default: the newest cash box of the branch, else the newest company-wide one.
    #[serde(default)]
    pub cash_box: Option<u64>,
    pub lines: Vec<AgentLineInput>,
    #[serde(default)]
    pub client: Option<u64>,
    /// Default: the total in cash.
    #[serde(default)]
    pub payments: Vec<super::sales::PaymentInput>,
}

#[utoipa::path(post, path = "/api/v1/agents/sales", tag = "agents", security(("bearer" = [])), request_body = AgentCheckoutInput,
    responses((status = 201, body = AgentSaleDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn checkout(State(app): State<App>, a: Auth, Json(i): Json<AgentCheckoutInput>) -> Result<(StatusCode, Json<AgentSaleDto>)> {
    let now = app.now();
    let d = CheckoutDraft {
        key: i.idempotency_key,
        agent: i.agent.map(UserId),
        cash_box: i.cash_box.map(CashBoxId),
        lines: i
            .lines
            .into_iter()
            .map(|l| LineDraft { product: l.product.map(ProductId), barcode: l.barcode, qty: l.qty, price: l.price })
            .collect(),
        client: i.client.map(ClientId),
        payments: i.payments.into_iter().map(|p| PaymentDraft { method: p.method, amount: p.amount }).collect(),
    };
    // Like the till's checkout, a pure function of the transaction: it shares batches.
    let sale = app.db.write_batched(move |tx| sales::checkout(tx, &a.actor, now, &d)).await?;
    Ok((StatusCode::CREATED, Json(AgentSaleDto::from(&sale))))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SalesQuery {
    pub agent: Option<u64>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/agents/sales", tag = "agents", security(("bearer" = [])), params(SalesQuery),
    responses((status = 200, body = Vec<AgentSaleDto>), (status = 403, body = Problem)))]
pub async fn list_sales(State(app): State<App>, a: Auth, Query(q): Query<SalesQuery>) -> Result<Json<Vec<AgentSaleDto>>> {
    let list = query::sales(&app.db.read()?, &a.actor, whose(&a.actor, q.agent), q.limit.unwrap_or(100).min(500))?;
    Ok(Json(list.iter().map(AgentSaleDto::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/agents/sales/{id}", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = AgentSaleDto), (status = 404, body = Problem)))]
pub async fn get_sale(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<AgentSaleDto>> {
    Ok(Json(AgentSaleDto::from(&query::sale(&app.db.read()?, &a.actor, SaleId(id))?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaleReturnInput {
    pub lines: Vec<super::sales::ReturnLineInput>,
    /// One of the sale's payment methods; default cash.
    #[serde(default)]
    pub method: String,
}

#[utoipa::path(post, path = "/api/v1/agents/sales/{id}/returns", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)), request_body = SaleReturnInput,
    responses((status = 201, body = AgentSaleDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn return_sale(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<SaleReturnInput>,
) -> Result<(StatusCode, Json<AgentSaleDto>)> {
    let now = app.now();
    let mut lines = Vec::with_capacity(i.lines.len());
    for (n, l) in i.lines.iter().enumerate() {
        lines.push((l.line, qty(&format!("lines[{n}].qty"), &l.qty)?));
    }
    let method = if i.method.trim().is_empty() { "cash".to_string() } else { i.method };
    let s = app.db.write(move |tx| sales::return_lines(tx, &a.actor, now, SaleId(id), &lines, &method)).await?;
    Ok((StatusCode::CREATED, Json(AgentSaleDto::from(&s))))
}

/// This file's routes for a signed-in caller.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_agents))
        .routes(routes!(create_transfer))
        .routes(routes!(get_lot))
        .routes(routes!(accept_lot))
        .routes(routes!(cancel_lot))
        .routes(routes!(list_goods))
        .routes(routes!(list_returns, create_return))
        .routes(routes!(approve_return))
        .routes(routes!(reject_return))
        .routes(routes!(list_sales, checkout))
        .routes(routes!(get_sale))
        .routes(routes!(return_sale))
}
