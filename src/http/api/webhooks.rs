//! Webhook endpoints and their delivery log (owners and admins). The signing secret is shown
//! once — in the answer to a create or a rotation — and never listed again. The event
//! payloads' schemas join the OpenAPI document from `webhooks::events` (`PayloadSchemas`).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::webhooks::{self, DeliveryState, WebhookDraft};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: u64,
    pub url: String,
    /// Shared secret, only in the answer to a create or a rotation: the receiver checks
    /// `X-Dukan-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub events: Vec<String>,
    pub active: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    pub url: String,
    /// e.g. ["stock.changed"]
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn dto(h: webhooks::Webhook) -> WebhookDto {
    WebhookDto { id: h.id, url: h.url, secret: None, events: h.events, active: h.active }
}

fn dto_with_secret(h: webhooks::Webhook) -> WebhookDto {
    let secret = Some(h.secret.clone());
    WebhookDto { secret, ..dto(h) }
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), responses((status = 200, body = Vec<WebhookDto>)))]
pub async fn list(State(app): State<App>, a: Auth) -> Result<Json<Vec<WebhookDto>>> {
    a.actor.require_owner_like()?;
    Ok(Json(webhooks::hooks(&app.db.read()?, a.actor.company)?.into_iter().map(dto).collect()))
}

async fn save(app: App, a: Auth, id: Option<u64>, i: WebhookInput) -> Result<webhooks::Webhook> {
    a.actor.require_owner_like()?;
    crate::http::shared::save_webhook(&app, &a.actor, id, WebhookDraft { url: i.url, events: i.events, active: i.active }).await
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])), request_body = WebhookInput,
    responses((status = 201, body = WebhookDto), (status = 422, body = Problem)))]
pub async fn create(State(app): State<App>, a: Auth, Json(i): Json<WebhookInput>) -> Result<(StatusCode, Json<WebhookDto>)> {
    Ok((StatusCode::CREATED, Json(dto_with_secret(save(app, a, None, i).await?))))
}

#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = u64, Path)), request_body = WebhookInput,
    responses((status = 200, body = WebhookDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<WebhookInput>) -> Result<Json<WebhookDto>> {
    Ok(Json(dto(save(app, a, Some(id), i).await?)))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| webhooks::delete(tx, &a.actor, now, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryDto {
    pub id: u64,
    pub event: String,
    pub created: String,
    pub attempts: u32,
    /// pending, delivered or failed
    pub state: String,
    pub status: Option<u16>,
    pub last_error: Option<String>,
    /// The exact body sent.
    pub body: String,
}

/// The newest 100 deliveries of a webhook.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<DeliveryDto>), (status = 404, body = Problem)))]
pub async fn deliveries(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<DeliveryDto>>> {
    a.actor.require_owner_like()?;
    let tx = app.db.read()?;
    webhooks::hook(&tx, a.actor.company, id)?;
    let out = webhooks::deliveries(&tx, a.actor.company, id, 100)?
        .into_iter()
        .map(|d| {
            let (state, status) = match d.state {
                DeliveryState::Pending => ("pending", None),
                DeliveryState::Delivered { status, .. } => ("delivered", Some(status)),
                DeliveryState::Failed { .. } => ("failed", None),
            };
            DeliveryDto {
                id: d.id,
                event: d.event,
                created: d.created.rfc3339(),
                attempts: d.attempts,
                state: state.into(),
                status,
                last_error: d.last_error,
                body: d.body,
            }
        })
        .collect();
    Ok(Json(out))
}

/// Replaces the signing secret; the answer is the only time the new one is shown.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate", tag = "webhooks", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = WebhookDto), (status = 404, body = Problem)))]
pub async fn rotate(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<WebhookDto>> {
    let now = app.now();
    let h = app.db.write(move |tx| webhooks::rotate_secret(tx, &a.actor, now, id)).await?;
    Ok(Json(dto_with_secret(h)))
}

/// The events an endpoint may subscribe to. Each body is `{"event", "delivery", "company",
/// "at", "data"}`; `data` is `SaleEvent`, `ReturnEvent`, `ShiftClosedEvent`, `DebtPaidEvent`
/// or `ProductChangedEvent` (schemas below; `schema/webhooks.md` has examples and signature
/// test vectors).
#[utoipa::path(get, path = "/api/v1/webhooks/events", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<String>)))]
pub async fn events(a: Auth) -> Result<Json<Vec<String>>> {
    a.actor.require_owner_like()?;
    Ok(Json(webhooks::EVENTS.iter().map(|e| e.to_string()).collect()))
}

/// The event payloads as OpenAPI components (no route returns them: they are what Dukan sends).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(
    webhooks::events::SaleEvent,
    webhooks::events::ReturnEvent,
    webhooks::events::ShiftClosedEvent,
    webhooks::events::DebtPaidEvent,
    webhooks::events::ProductChangedEvent
)))]
struct PayloadSchemas;

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    use utoipa::OpenApi;
    OpenApiRouter::with_openapi(PayloadSchemas::openapi())
        .routes(routes!(list, create))
        .routes(routes!(put, delete))
        .routes(routes!(deliveries))
        .routes(routes!(rotate))
        .routes(routes!(events))
}
