//! Agents' request carts (`/api/v1/agents/requests`): the agent's draft and its items, submit,
//! and an owner's approve or reject.

use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::agents::request_store::{AgentRequest, RequestStatus};
use crate::agents::requests::{self, Edit};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{AgentRequestId, ClientId, ProductId, WarehouseId};

#[derive(Serialize, ToSchema)]
pub struct RequestItemDto {
    pub product: u64,
    pub qty: u64,
    pub gift: u64,
    /// qty + gift.
    pub total: u64,
    /// Unit price snapshot, a decimal string ("0" until submitted).
    pub price: String,
    /// Lots made by the approval: the paid units first, then the gift units.
    pub lots: Vec<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct RequestDto {
    pub id: u64,
    pub agent: u64,
    pub client: Option<u64>,
    pub branch: Option<u64>,
    /// "draft" | "submitted" | "approved" | "rejected".
    pub status: String,
    pub items: Vec<RequestItemDto>,
    pub created: String,
    pub submitted: Option<String>,
    pub decided: Option<String>,
    pub decided_by: Option<u64>,
    pub warehouse: Option<u64>,
    pub reason: String,
}

impl From<AgentRequest> for RequestDto {
    fn from(r: AgentRequest) -> RequestDto {
        RequestDto {
            id: r.id.0,
            agent: r.agent.0,
            client: r.client.map(|c| c.0),
            branch: r.branch.map(|b| b.0),
            status: r.status.code().into(),
            items: r
                .items
                .iter()
                .map(|i| RequestItemDto {
                    product: i.product.0,
                    qty: i.qty,
                    gift: i.gift,
                    total: i.total(),
                    price: i.price.to_string(),
                    lots: i.lots.iter().map(|l| l.0).collect(),
                })
                .collect(),
            created: r.created.rfc3339(),
            submitted: r.submitted.map(|t| t.rfc3339()),
            decided: r.decided.map(|(t, _)| t.rfc3339()),
            decided_by: r.decided.map(|(_, u)| u.0),
            warehouse: r.warehouse.map(|w| w.0),
            reason: r.reason,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RequestListQuery {
    /// Only requests of this status.
    pub status: Option<String>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct NewRequest {
    pub client: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestItemInput {
    pub product: u64,
    /// Whole units ≥ 1, a string or a number.
    #[schema(value_type = String)]
    pub qty: serde_json::Value,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestQtyInput {
    #[schema(value_type = String)]
    pub qty: serde_json::Value,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestClientInput {
    pub client: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestApproveInput {
    /// The warehouse the goods leave.
    pub warehouse: u64,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RequestRejectInput {
    pub reason: String,
}

/// A whole quantity from a JSON number or string; anything else is a 422 on `qty`.
fn qty(v: &serde_json::Value) -> Result<Decimal> {
    let text = match v {
        serde_json::Value::String(s) => s.trim().to_string(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    text.parse::<Decimal>()
        .map_err(|_| Error::field("qty", "whole_qty", "Количество — целое число больше нуля", "The quantity is a whole number above zero"))
}

#[utoipa::path(get, path = "/api/v1/agents/requests", tag = "agents", security(("bearer" = [])), params(RequestListQuery),
    responses((status = 200, body = Vec<RequestDto>), (status = 403, body = Problem)))]
pub async fn list(State(app): State<App>, a: Auth, Query(q): Query<RequestListQuery>) -> Result<Json<Vec<RequestDto>>> {
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => {
            Some(RequestStatus::parse(s).ok_or_else(|| Error::field("status", "unknown", "Нет такого состояния", "No such status"))?)
        }
    };
    let rows = requests::list(&app.db.read()?, &a.actor, status, 500)?;
    Ok(Json(rows.into_iter().map(RequestDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/agents/requests", tag = "agents", security(("bearer" = [])), request_body = NewRequest,
    responses((status = 201, body = RequestDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(State(app): State<App>, a: Auth, Json(i): Json<NewRequest>) -> Result<(StatusCode, Json<RequestDto>)> {
    let now = app.now();
    let r = app.db.write(move |tx| requests::create(tx, &a.actor, now, i.client.map(ClientId))).await?;
    Ok((StatusCode::CREATED, Json(r.into())))
}

#[utoipa::path(get, path = "/api/v1/agents/requests/{id}", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = RequestDto), (status = 404, body = Problem)))]
pub async fn get(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<RequestDto>> {
    Ok(Json(requests::get(&app.db.read()?, &a.actor, AgentRequestId(id))?.into()))
}

async fn edit(app: App, a: Auth, id: u64, e: Edit) -> Result<Json<RequestDto>> {
    let now = app.now();
    let r = app.db.write(move |tx| requests::edit(tx, &a.actor, now, AgentRequestId(id), &e)).await?;
    Ok(Json(r.into()))
}

#[utoipa::path(post, path = "/api/v1/agents/requests/{id}/items", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = RequestItemInput, responses((status = 200, body = RequestDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_item(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<RequestItemInput>) -> Result<Json<RequestDto>> {
    let e = Edit::Add { product: ProductId(i.product), qty: qty(&i.qty)? };
    edit(app, a, id, e).await
}

#[utoipa::path(put, path = "/api/v1/agents/requests/{id}/items/{product}", tag = "agents", security(("bearer" = [])),
    params(("id" = u64, Path), ("product" = u64, Path)), request_body = RequestQtyInput,
    responses((status = 200, body = RequestDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_item(
    State(app): State<App>,
    a: Auth,
    Path((id, product)): Path<(u64, u64)>,
    Json(i): Json<RequestQtyInput>,
) -> Result<Json<RequestDto>> {
    let e = Edit::Set { product: ProductId(product), qty: qty(&i.qty)? };
    edit(app, a, id, e).await
}

#[utoipa::path(delete, path = "/api/v1/agents/requests/{id}/items/{product}", tag = "agents", security(("bearer" = [])),
    params(("id" = u64, Path), ("product" = u64, Path)),
    responses((status = 200, body = RequestDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn remove_item(State(app): State<App>, a: Auth, Path((id, product)): Path<(u64, u64)>) -> Result<Json<RequestDto>> {
    edit(app, a, id, Edit::Remove { product: ProductId(product) }).await
}

#[utoipa::path(put, path = "/api/v1/agents/requests/{id}/client", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = RequestClientInput, responses((status = 200, body = RequestDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn set_client(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<RequestClientInput>,
) -> Result<Json<RequestDto>> {
    edit(app, a, id, Edit::Client(i.client.map(ClientId))).await
}

#[utoipa::path(post, path = "/api/v1/agents/requests/{id}/submit", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = RequestDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn submit(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<RequestDto>> {
    let now = app.now();
    let r = app.db.write(move |tx| requests::submit(tx, &a.actor, now, AgentRequestId(id))).await?;
    Ok(Json(r.into()))
}

#[utoipa::path(post, path = "/api/v1/agents/requests/{id}/approve", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = RequestApproveInput,
    responses((status = 200, body = RequestDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn approve(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<RequestApproveInput>) -> Result<Json<RequestDto>> {
    let now = app.now();
    let r = app.db.write(move |tx| requests::approve(tx, &a.actor, now, AgentRequestId(id), WarehouseId(i.warehouse))).await?;
    Ok(Json(r.into()))
}

#[utoipa::path(post, path = "/api/v1/agents/requests/{id}/reject", tag = "agents", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = RequestRejectInput, responses((status = 200, body = RequestDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reject(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<RequestRejectInput>) -> Result<Json<RequestDto>> {
    let now = app.now();
    let r = app.db.write(move |tx| requests::reject(tx, &a.actor, now, AgentRequestId(id), &i.reason)).await?;
    Ok(Json(r.into()))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get))
        .routes(routes!(add_item))
        .routes(routes!(set_item, remove_item))
        .routes(routes!(set_client))
        .routes(routes!(submit))
        .routes(routes!(approve))
        .routes(routes!(reject))
}
