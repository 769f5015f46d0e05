//! Label scales: setup (agent or Mertech TCP), token rotation, "sync now", sync state and
//! every stored batch result; and the agent's WebSocket (spec A13's protocol, kept for the
//! local agents already in shops), authenticated by the scale's token in `X-Scale-Token`.
//!
//! The agent protocol: on connect the server says `{"type":"hello","company_id","scale_id"}`;
//! the agent must answer `{"action":"hello","name"}` within `HELLO`. Whenever the scale is
//! out of date the server sends `{"action":"plu_batch","batch","version","items":[{
//! product_uuid, plu_number, code, name, price, shelf_life_days, is_piece, barcode}]}` and the
//! agent answers `{"action":"plu_batch_result","batch","items":[{plu_number, ok, message}]}`
//! within `upload::ANSWER`. Messages are at most `MAX_MESSAGE` bytes, a result names at most
//! two PLUs per PLU sent, and more than `STRAY` unexpected messages close the connection.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{CompanyId, LabelScaleId};
use crate::scales::label::{self, ItemResult, LabelLink, LabelScale, LabelScaleDraft, PluItem};
use crate::scales::upload::{self, Answer, Uplink};

/// The largest message an agent may send.
pub const MAX_MESSAGE: usize = 256 * 1024;
/// How long the agent has to say hello.
pub const HELLO: std::time::Duration = std::time::Duration::from_secs(10);
/// Unexpected messages tolerated on one connection.
pub const STRAY: u32 = 20;
/// A ping this often keeps an idle connection (and the NAT in front of it) alive.
const PING: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Serialize, ToSchema)]
pub struct LabelScaleDto {
    pub id: u64,
    pub name: String,
    /// "agent" or "mertech".
    pub link: String,
    /// host:port of a Mertech scale; empty for an agent.
    pub address: String,
    pub active: bool,
    /// The PLU list version the scale holds, and the company's current one.
    pub held_version: u64,
    pub version: u64,
    pub up_to_date: bool,
    /// A sync waits in the queue.
    pub queued: bool,
    /// The sync under way: PLUs answered of the total.
    pub running: Option<ProgressDto>,
    pub last_sync: Option<String>,
    pub last_accepted: u32,
    pub last_rejected: u32,
    pub last_error: Option<String>,
    pub last_seen: Option<String>,
    pub agent: Option<String>,
    /// Only when the scale is created or its token rotated: the token, shown this once.
    pub token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProgressDto {
    pub done: u32,
    pub total: u32,
    pub accepted: u32,
    pub rejected: u32,
}

pub fn dto(s: LabelScale, version: u64, token: Option<String>) -> LabelScaleDto {
    LabelScaleDto {
        id: s.id.0,
        address: s.link.address(),
        link: s.link.kind().into(),
        name: s.name,
        active: s.active,
        held_version: s.sync.held_version,
        version,
        up_to_date: s.sync.held_version >= version.max(1),
        queued: s.sync.queued,
        running: s.sync.running.map(|r| ProgressDto { done: r.done, total: r.total, accepted: r.accepted, rejected: r.rejected }),
        last_sync: s.sync.last_sync.map(|t| t.rfc3339()),
        last_accepted: s.sync.last_accepted,
        last_rejected: s.sync.last_rejected,
        last_error: s.sync.last_error,
        last_seen: s.sync.last_seen.map(|t| t.rfc3339()),
        agent: s.sync.agent,
        token,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelScaleInput {
    pub name: String,
    /// "agent" or "mertech".
    pub link: String,
    /// host:port of a Mertech scale (e.g. 192.168.1.70:5001).
    #[serde(default)]
    pub address: String,
    /// The Mertech password, 4 characters (default "0030").
    #[serde(default)]
    pub password: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl From<LabelScaleInput> for LabelScaleDraft {
    fn from(i: LabelScaleInput) -> Self {
        LabelScaleDraft { name: i.name, link: i.link, address: i.address, password: i.password, active: i.active }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BatchDto {
    pub id: u64,
    pub sync: u64,
    pub version: u64,
    pub at: String,
    pub items: Vec<BatchItemDto>,
}

#[derive(Serialize, ToSchema)]
pub struct BatchItemDto {
    pub plu: u32,
    pub product: u64,
    pub name: String,
    pub accepted: bool,
    /// The scale's message (empty when it said nothing).
    pub message: String,
}

#[utoipa::path(get, path = "/api/v1/label-scales", tag = "scales", security(("bearer" = [])), responses((status = 200, body = Vec<LabelScaleDto>)))]
pub async fn list(State(app): State<App>, a: Auth) -> Result<Json<Vec<LabelScaleDto>>> {
    let tx = app.db.read()?;
    let version = label::version(&tx, a.actor.company)?;
    Ok(Json(label::list(&tx, &a.actor)?.into_iter().map(|s| dto(s, version, None)).collect()))
}

#[utoipa::path(post, path = "/api/v1/label-scales", tag = "scales", security(("bearer" = [])), request_body = LabelScaleInput,
    responses((status = 201, body = LabelScaleDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(State(app): State<App>, a: Auth, Json(i): Json<LabelScaleInput>) -> Result<(StatusCode, Json<LabelScaleDto>)> {
    let (s, token, version) = crate::http::shared::save_label_scale(&app, &a.actor, None, i.into()).await?;
    Ok((StatusCode::CREATED, Json(dto(s, version, token))))
}

#[utoipa::path(get, path = "/api/v1/label-scales/{id}", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = LabelScaleDto), (status = 404, body = Problem)))]
pub async fn get(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<LabelScaleDto>> {
    let tx = app.db.read()?;
    let s = label::get(&tx, &a.actor, LabelScaleId(id))?;
    Ok(Json(dto(s, label::version(&tx, a.actor.company)?, None)))
}

#[utoipa::path(put, path = "/api/v1/label-scales/{id}", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)), request_body = LabelScaleInput,
    responses((status = 200, body = LabelScaleDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<LabelScaleInput>) -> Result<Json<LabelScaleDto>> {
    let (s, _, version) = crate::http::shared::save_label_scale(&app, &a.actor, Some(LabelScaleId(id)), i.into()).await?;
    Ok(Json(dto(s, version, None)))
}

#[utoipa::path(delete, path = "/api/v1/label-scales/{id}", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let (now, actor) = (app.now(), a.actor.clone());
    app.db.write(move |tx| label::delete(tx, &actor, now, LabelScaleId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/label-scales/{id}/token", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = LabelScaleDto, description = "the new token in `token`, shown this once"), (status = 404, body = Problem)))]
pub async fn rotate(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<LabelScaleDto>> {
    let (now, actor) = (app.now(), a.actor.clone());
    let token = app.db.write(move |tx| label::rotate_token(tx, &actor, now, LabelScaleId(id))).await?;
    let tx = app.db.read()?;
    let s = label::get(&tx, &a.actor, LabelScaleId(id))?;
    Ok(Json(dto(s, label::version(&tx, a.actor.company)?, Some(token))))
}

#[utoipa::path(post, path = "/api/v1/label-scales/{id}/sync", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 202, body = LabelScaleDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn sync(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<(StatusCode, Json<LabelScaleDto>)> {
    let (s, version) = crate::http::shared::sync_label_scale(&app, &a.actor, LabelScaleId(id)).await?;
    Ok((StatusCode::ACCEPTED, Json(dto(s, version, None))))
}

#[utoipa::path(get, path = "/api/v1/label-scales/{id}/results", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<BatchDto>, description = "the newest 50 batches, newest first"), (status = 404, body = Problem)))]
pub async fn results(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<BatchDto>>> {
    let batches = label::batches(&app.db.read()?, &a.actor, LabelScaleId(id), 50)?;
    Ok(Json(
        batches
            .into_iter()
            .map(|(id, b)| BatchDto {
                id,
                sync: b.sync,
                version: b.version,
                at: b.at.rfc3339(),
                items: b
                    .items
                    .into_iter()
                    .map(|i| BatchItemDto { plu: i.plu, product: i.product.0, name: i.name, accepted: i.accepted, message: i.message })
                    .collect(),
            })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/scale-agent", tag = "scales",
    params(("X-Scale-Token" = String, Header, description = "the label scale's token")),
    responses((status = 101, description = "WebSocket: the agent protocol (see the module notes)"), (status = 401, body = Problem)))]
pub async fn agent(
    State(app): State<App>,
    hold: Option<axum::Extension<crate::http::server::UpgradeHold>>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Result<Response> {
    let token = headers.get("x-scale-token").and_then(|v| v.to_str().ok()).ok_or(Error::TokenInvalid)?;
    let (c, scale) = label::by_token(&app.db.read()?, token)?;
    if !matches!(scale.link, LabelLink::Agent) {
        return Err(Error::refused(
            "label_scale_not_agent",
            "Эти весы подключены напрямую, не через агента",
            "This scale is not set up for an agent",
        ));
    }
    let id = scale.id;
    Ok(ws.max_message_size(MAX_MESSAGE).max_frame_size(MAX_MESSAGE).on_upgrade(move |socket| async move {
        let _counted = hold.map(|axum::Extension(h)| h.keep());
        session(app, c, id, socket).await
    }))
}

/// The agent's side of a sync: one `plu_batch` message, one `plu_batch_result` answer.
struct Agent {
    socket: WebSocket,
    batch: u64,
    version: u64,
    stray: u32,
}

fn item_json(i: &PluItem) -> String {
    let text = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    format!(
        r#"{{"product_uuid":"{}","plu_number":{},"code":{},"name":{},"price":{},"shelf_life_days":{},"is_piece":false,"barcode":{}}}"#,
        i.product,
        i.plu,
        i.plu,
        text(&i.name),
        crate::money::round_money(i.price),
        i.shelf_life_days,
        i.barcode.as_deref().map_or("null".to_string(), text),
    )
}

/// Reads a `plu_batch_result`: `None` when the message is something else.
fn parse_result(text: &str, batch: u64, sent: usize) -> Option<std::result::Result<Vec<ItemResult>, String>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    if v.get("action").and_then(|a| a.as_str()) != Some("plu_batch_result") {
        return None;
    }
    if let Some(b) = v.get("batch").and_then(|b| b.as_u64())
        && b != batch
    {
        return None;
    }
    let items = v.get("items").and_then(|i| i.as_array()).map(Vec::as_slice).unwrap_or_default();
    if items.len() > 2 * sent {
        return Some(Err("too many results".into()));
    }
    let results = items
        .iter()
        .filter_map(|r| {
            let plu = r.get("plu_number").or_else(|| r.get("plu")).and_then(|p| p.as_u64()).and_then(|p| u32::try_from(p).ok())?;
            let accepted = match (r.get("ok").and_then(|o| o.as_bool()), r.get("status").and_then(|s| s.as_str())) {
                (Some(ok), _) => ok,
                (None, Some(s)) => matches!(s, "ok" | "success" | "accepted"),
                (None, None) => false,
            };
            let message = r.get("message").or_else(|| r.get("error")).and_then(|m| m.as_str()).unwrap_or_default().to_string();
            Some(ItemResult { plu, accepted, message })
        })
        .collect();
    Some(Ok(results))
}

impl Agent {
    async fn say(&mut self, text: String) -> std::result::Result<(), String> {
        match tokio::time::timeout(upload::ANSWER, self.socket.send(Message::Text(text.into()))).await {
            Ok(Ok(())) => Ok(()),
            _ => Err("connection broken".into()),
        }
    }

    /// The next text message before `deadline`; pings and pongs are skipped.
    async fn next_text(&mut self, deadline: tokio::time::Instant) -> std::result::Result<String, String> {
        loop {
            match tokio::time::timeout_at(deadline, self.socket.recv()).await {
                Err(_) => return Err("no answer".into()),
                Ok(None) | Ok(Some(Err(_))) | Ok(Some(Ok(Message::Close(_)))) => return Err("connection broken".into()),
                Ok(Some(Ok(Message::Text(t)))) => return Ok(t.to_string()),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(Some(Ok(Message::Binary(_)))) => self.stray()?,
            }
        }
    }

    fn stray(&mut self) -> std::result::Result<(), String> {
        self.stray += 1;
        if self.stray > STRAY { Err("too many unexpected messages".into()) } else { Ok(()) }
    }
}

impl Uplink for Agent {
    async fn send(&mut self, batch: &[PluItem]) -> std::result::Result<Answer, String> {
        self.batch += 1;
        let items: Vec<String> = batch.iter().map(item_json).collect();
        let msg = format!(r#"{{"action":"plu_batch","batch":{},"version":{},"items":[{}]}}"#, self.batch, self.version, items.join(","));
        self.say(msg).await?;
        let deadline = tokio::time::Instant::now() + upload::ANSWER;
        loop {
            let text = self.next_text(deadline).await?;
            match parse_result(&text, self.batch, batch.len()) {
                Some(Ok(results)) => return Ok(Ok(results)),
                Some(Err(e)) => return Err(e),
                None => self.stray()?,
            }
        }
    }
}

/// One agent connection: hello both ways, then a sync whenever the scale is out of date
/// (at once, and on every `sync` event the worker publishes), pings while idle.
async fn session(app: App, c: CompanyId, id: LabelScaleId, socket: WebSocket) {
    let mut agent = Agent { socket, batch: 0, version: 0, stray: 0 };
    let claim = app.scales.claim_agent(c, id);
    let outcome = tokio::select! {
        served = serve(&app, c, id, &mut agent) => served,
        () = claim.replaced() => Err("another agent connected with this scale's token".into()),
    };
    drop(claim);
    if let Err(why) = outcome {
        tracing::info!(company = c.0, scale = id.0, "label scale agent left: {why}");
    }
    let _ = agent.socket.send(Message::Close(None)).await;
}

async fn serve(app: &App, c: CompanyId, id: LabelScaleId, agent: &mut Agent) -> std::result::Result<(), String> {
    agent.say(format!(r#"{{"type":"hello","company_id":{c},"scale_id":{id}}}"#)).await?;
    let deadline = tokio::time::Instant::now() + HELLO;
    let name = loop {
        let text = agent.next_text(deadline).await?;
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        if v.get("action").and_then(|a| a.as_str()) == Some("hello") {
            break v.get("name").and_then(|n| n.as_str()).unwrap_or("agent").to_string();
        }
        agent.stray()?;
    };
    let now = app.now();
    app.db.write(move |tx| label::seen(tx, c, id, now, Some(name))).await.map_err(|e: Error| e.to_string())?;
    let mut events = app.live.subscribe(c, &upload::topic(id));
    loop {
        // A company blocked, or moved to a plan without scales, since the agent connected.
        label::company_allows(&app.db.read().map_err(|e| e.to_string())?, c).map_err(|e| e.to_string())?;
        let now = app.now();
        let plan = app.db.write(move |tx| label::begin(tx, c, id, now, false)).await.map_err(|e: Error| e.to_string())?;
        if let Some(plan) = plan {
            agent.version = plan.version;
            match upload::run(&app.db, &app.live, app.clock.as_ref(), plan, agent, None).await {
                Ok(upload::Outcome::Failed(why)) => return Err(why),
                Ok(_) => {}
                Err(e) => return Err(e.to_string()),
            }
        }
        // Wait for the next `sync` (progress events, ours included, are not a reason to look).
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(e) if e.kind == "sync" => break,
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => break,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return Err("server stopping".into()),
                },
                message = agent.socket.recv() => match message {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Err("closed by the agent".into()),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                    Some(Ok(_)) => agent.stray()?,
                },
                () = tokio::time::sleep(PING) => {
                    if agent.socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                        return Err("connection broken".into());
                    }
                }
            }
        }
    }
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, put, delete))
        .routes(routes!(rotate))
        .routes(routes!(sync))
        .routes(routes!(results))
}

/// The agent's WebSocket: no session, the scale's token instead.
pub fn public_routes(limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(super::public(routes!(agent), limits.public))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProductId;
    use rust_decimal::Decimal;

    #[test]
    fn an_item_goes_out_in_the_seeds_shape_with_an_exact_price() {
        let i = PluItem {
            plu: 12,
            product: ProductId(77),
            code: "0003".into(),
            name: "Сыр \"Гауда\"".into(),
            price: Decimal::new(45050, 2),
            barcode: None,
            shelf_life_days: 0,
        };
        assert_eq!(
            item_json(&i),
            r#"{"product_uuid":"77","plu_number":12,"code":12,"name":"Сыр \"Гауда\"","price":450.50,"shelf_life_days":0,"is_piece":false,"barcode":null}"#
        );
        let v: serde_json::Value = serde_json::from_str(&item_json(&i)).unwrap();
        assert_eq!(v["plu_number"], 12);
    }

    #[test]
    fn results_are_read_in_either_spelling_and_bounded() {
        let text = r#"{"action":"plu_batch_result","batch":3,"items":[{"plu_number":1,"ok":true},{"plu":2,"status":"error","error":"нет места"}]}"#;
        let got = parse_result(text, 3, 2).unwrap().unwrap();
        assert_eq!(
            got,
            vec![
                ItemResult { plu: 1, accepted: true, message: String::new() },
                ItemResult { plu: 2, accepted: false, message: "нет места".into() }
            ]
        );
        assert!(parse_result(text, 4, 2).is_none(), "another batch's answer");
        assert!(parse_result(r#"{"action":"hello"}"#, 3, 2).is_none());
        assert!(parse_result(text, 3, 0).unwrap().is_err(), "more results than PLUs sent");
    }
}
