//! The payment gateway: its settings for the desk (header name, a secret shown once when it
//! is rotated) and the public callback the gateway posts to. The callback is answered 401
//! with nothing stored unless the configured header carries the HMAC-SHA256 of the raw body
//! under the company's secret — checked before the body is parsed.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::super::Limits;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::CompanyId;
use crate::telecom::gateway::{self, DEFAULT_HEADER, SEAL_FIELD};
use crate::telecom::{self, billing};
use crate::tenancy::perms::Perm;

#[derive(Serialize, ToSchema)]
pub struct GatewayDto {
    /// Whether a secret was made (callbacks are refused until then).
    pub configured: bool,
    /// The header carrying `sha256=<hex HMAC-SHA256 of the raw body>`.
    pub header: String,
    /// Where the gateway posts its callbacks.
    pub callback_path: String,
    pub rotated: Option<String>,
    /// Only in the answer to a rotation: the new secret, shown this once.
    pub secret: Option<String>,
}

fn dto(c: CompanyId, g: Option<&crate::telecom::model::GatewaySettings>, secret: Option<String>) -> GatewayDto {
    GatewayDto {
        configured: g.is_some(),
        header: g.map_or(DEFAULT_HEADER.to_string(), |g| g.header.clone()),
        callback_path: format!("/api/v1/telecom/gateway/{c}/callback"),
        rotated: g.map(|g| g.rotated.rfc3339()),
        secret,
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GatewayInput {
    /// The signature header's name (default x-signature).
    pub header: String,
}

#[utoipa::path(get, path = "/api/v1/telecom/gateway", tag = "telecom", security(("bearer" = [])),
    responses((status = 200, body = GatewayDto), (status = 403, body = Problem)))]
pub async fn get_gateway(State(app): State<App>, a: Auth) -> Result<Json<GatewayDto>> {
    telecom::require(&a.actor, &[Perm::TELECOM_SIMS_BULK])?;
    let c = a.actor.company;
    Ok(Json(dto(c, gateway::settings(&app.db.read()?, c)?.as_ref(), None)))
}

#[utoipa::path(put, path = "/api/v1/telecom/gateway", tag = "telecom", security(("bearer" = [])), request_body = GatewayInput,
    responses((status = 200, body = GatewayDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_gateway(State(app): State<App>, a: Auth, Json(i): Json<GatewayInput>) -> Result<Json<GatewayDto>> {
    let (now, actor, c) = (app.now(), a.actor.clone(), a.actor.company);
    let g = app.db.write(move |tx| gateway::save(tx, &actor, now, &i.header, None)).await?;
    Ok(Json(dto(c, Some(&g), None)))
}

/// A new random secret, sealed for storage: (plain, sealed).
pub fn new_secret(app: &App, c: CompanyId) -> Result<(String, Vec<u8>)> {
    let plain = hex::encode(rand::random::<[u8; 32]>());
    let sealed = app.box_key.seal(c, SEAL_FIELD, &plain)?;
    Ok((plain, sealed))
}

#[utoipa::path(post, path = "/api/v1/telecom/gateway/rotate", tag = "telecom", security(("bearer" = [])), request_body = GatewayInput,
    responses((status = 200, body = GatewayDto, description = "the new secret, shown once"), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn rotate_gateway(State(app): State<App>, a: Auth, Json(i): Json<GatewayInput>) -> Result<Json<GatewayDto>> {
    telecom::require(&a.actor, &[Perm::TELECOM_SIMS_BULK])?;
    let (now, actor, c) = (app.now(), a.actor.clone(), a.actor.company);
    let (plain, sealed) = new_secret(&app, c)?;
    let g = app.db.write(move |tx| gateway::save(tx, &actor, now, &i.header, Some(sealed))).await?;
    Ok(Json(dto(c, Some(&g), Some(plain))))
}

#[derive(Serialize, ToSchema)]
pub struct CallbackDto {
    /// False for a failed payment (nothing stored).
    pub accepted: bool,
    pub contract: Option<u64>,
    /// The ledger row of the payment.
    pub seq: Option<u64>,
    /// True when the transaction id replayed an earlier callback.
    pub replayed: bool,
    pub balance_after: Option<String>,
}

/// A gateway's payment callback. The company's header must carry `sha256=<hex>` of the
/// HMAC-SHA256 of the raw body under its secret; otherwise 401 and nothing is stored. The body
/// `{"transaction_id", "contract": "YYYYMM-XXXXXXXX", "amount", "status": "completed"|"failed"}`
/// is read only after that.
#[utoipa::path(post, path = "/api/v1/telecom/gateway/{company}/callback", tag = "telecom",
    params(("company" = u64, Path)), request_body(content = String, content_type = "application/json"),
    responses((status = 200, body = CallbackDto), (status = 401, body = Problem), (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn callback(State(app): State<App>, Path(company): Path<u64>, headers: HeaderMap, body: Bytes) -> Result<Json<CallbackDto>> {
    let c = CompanyId(company);
    let g = gateway::settings(&app.db.read()?, c)?.ok_or(Error::Unauthorized)?;
    let secret = app.box_key.open(c, SEAL_FIELD, &g.secret).ok_or(Error::Unauthorized)?;
    let signature = headers.get(g.header.as_str()).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !gateway::signature_ok(&secret, &body, signature) {
        return Err(Error::Unauthorized);
    }
    let now = app.now();
    let body = body.to_vec();
    let posted = app.db.write(move |tx| gateway::callback(tx, c, now, &body)).await?;
    Ok(Json(match posted {
        None => CallbackDto { accepted: false, contract: None, seq: None, replayed: false, balance_after: None },
        Some(p) => CallbackDto {
            accepted: true,
            contract: Some(p.contract.0),
            seq: Some(p.seq),
            replayed: p.replayed,
            balance_after: Some(billing::balance(&app.db.read()?, c, p.contract)?.balance.to_string()),
        },
    }))
}

/// The settings for a signed-in caller.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(get_gateway, put_gateway)).routes(routes!(rotate_gateway))
}

/// The callback: open to anyone, small body, verified by signature.
pub fn public_routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(super::super::public(routes!(callback), gateway::BODY_LIMIT))
}
