//! Scales: setup, Detect, zero and tare, live status (JSON and server-sent events), weighing
//! at the till and the weights recorded on a sale's lines.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use super::pos::CartDto;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{CashBoxId, SaleId, ScaleId};
use crate::scales::device::Status;
use crate::scales::proto::{Command, Protocol};
use crate::scales::{self, Link, Scale, ScaleDraft};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct ScaleDto {
    pub id: u64,
    pub name: String,
    /// "tcp" or "serial".
    pub link: String,
    /// host:port or the device path.
    pub address: String,
    /// Serial line settings ("9600 8N1"); null for TCP.
    pub line: Option<String>,
    /// mt8217, sics, cas, cas_pd2, esp, pos2, digi, sma.
    pub protocol: String,
    pub resolution_g: u32,
    pub cash_box: Option<u64>,
    pub active: bool,
    /// Live: stable, unstable, overload, underload or disconnected (null: not running).
    pub state: Option<String>,
    pub grams: Option<i64>,
    /// RFC 3339; null before the first reading.
    pub last_good: Option<String>,
    pub errors: u64,
}

fn dto(s: Scale, st: Option<Status>) -> ScaleDto {
    ScaleDto {
        id: s.id.0,
        name: s.name,
        link: s.link.kind().into(),
        address: s.link.address(),
        line: match s.link {
            Link::Serial { line, .. } => Some(line.label()),
            Link::Tcp { .. } => None,
        },
        protocol: s.protocol.code().into(),
        resolution_g: s.resolution_g,
        cash_box: s.cash_box.map(|b| b.0),
        active: s.active,
        state: st.as_ref().map(|x| x.state.code().to_string()),
        grams: st.as_ref().map(|x| x.grams),
        last_good: st.as_ref().and_then(|x| x.last_good).map(|t| t.rfc3339()),
        errors: st.map_or(0, |x| x.errors),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleInput {
    pub name: String,
    /// "tcp" or "serial".
    pub link: String,
    /// host:port of a TCP serial server, or a device path such as /dev/ttyUSB0.
    pub address: String,
    /// "9600 8N1", "9600 7E1"…; default: the protocol's usual settings.
    #[serde(default)]
    pub line: String,
    pub protocol: String,
    /// 1, 2, 5, 10, 20 or 50 (grams); default 1.
    #[serde(default)]
    pub resolution_g: Option<u32>,
    #[serde(default)]
    pub cash_box: Option<u64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl From<ScaleInput> for ScaleDraft {
    fn from(i: ScaleInput) -> Self {
        ScaleDraft {
            name: i.name,
            link: i.link,
            address: i.address,
            line: i.line,
            protocol: i.protocol,
            resolution_g: i.resolution_g.map(|r| r.to_string()).unwrap_or_default(),
            cash_box: i.cash_box.map(CashBoxId),
            active: i.active,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/scales", tag = "scales", security(("bearer" = [])), responses((status = 200, body = Vec<ScaleDto>)))]
pub async fn list(State(app): State<App>, a: Auth) -> Result<Json<Vec<ScaleDto>>> {
    let all = scales::list(&app.db.read()?, &a.actor)?;
    Ok(Json(
        all.into_iter()
            .map(|s| {
                let st = app.scales.status(a.actor.company, s.id);
                dto(s, st)
            })
            .collect(),
    ))
}

#[utoipa::path(post, path = "/api/v1/scales", tag = "scales", security(("bearer" = [])), request_body = ScaleInput,
    responses((status = 201, body = ScaleDto), (status = 422, body = Problem)))]
pub async fn create(State(app): State<App>, a: Auth, Json(i): Json<ScaleInput>) -> Result<(StatusCode, Json<ScaleDto>)> {
    let s = crate::http::shared::save_scale(&app, &a.actor, None, i.into()).await?;
    Ok((StatusCode::CREATED, Json(dto(s, None))))
}

#[utoipa::path(get, path = "/api/v1/scales/{id}", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ScaleDto), (status = 404, body = Problem)))]
pub async fn get(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ScaleDto>> {
    let s = scales::scale(&app.db.read()?, &a.actor, ScaleId(id))?;
    let st = app.scales.status(a.actor.company, s.id);
    Ok(Json(dto(s, st)))
}

#[utoipa::path(put, path = "/api/v1/scales/{id}", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)), request_body = ScaleInput,
    responses((status = 200, body = ScaleDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<ScaleInput>) -> Result<Json<ScaleDto>> {
    let s = crate::http::shared::save_scale(&app, &a.actor, Some(ScaleId(id)), i.into()).await?;
    Ok(Json(dto(s, None)))
}

#[utoipa::path(delete, path = "/api/v1/scales/{id}", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    crate::http::shared::delete_scale(&app, &a.actor, ScaleId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

#[utoipa::path(post, path = "/api/v1/scales/{id}/zero", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Done), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn zero(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Done>> {
    crate::http::shared::scale_order(&app, &a.actor, ScaleId(id), Command::Zero).await?;
    Ok(Json(Done { ok: true }))
}

#[utoipa::path(post, path = "/api/v1/scales/{id}/tare", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Done), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn tare(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Done>> {
    crate::http::shared::scale_order(&app, &a.actor, ScaleId(id), Command::Tare).await?;
    Ok(Json(Done { ok: true }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DetectInput {
    /// "tcp" or "serial".
    pub link: String,
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct DetectDto {
    pub protocol: String,
    pub label: String,
    /// The serial line settings that answered; null over TCP.
    pub line: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/scales/detect", tag = "scales", security(("bearer" = [])), request_body = DetectInput,
    responses((status = 200, body = DetectDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn detect(State(app): State<App>, a: Auth, Json(i): Json<DetectInput>) -> Result<Json<DetectDto>> {
    match crate::http::shared::detect_scale(&app, &a.actor, &i.link, &i.address).await? {
        Some(f) => {
            Ok(Json(DetectDto { protocol: f.protocol.code().into(), label: f.protocol.label().into(), line: f.line.map(|l| l.label()) }))
        }
        None => Err(Error::refused(
            "scale_not_detected",
            "Весы не ответили ни на один протокол: проверьте кабель, порт и питание",
            "The scale answered no protocol: check the cable, the port and the power",
        )),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProtocolDto {
    pub code: String,
    pub label: String,
    /// The usual serial line settings.
    pub line: String,
    pub zero_tare: bool,
}

#[utoipa::path(get, path = "/api/v1/scales/protocols", tag = "scales", security(("bearer" = [])), responses((status = 200, body = Vec<ProtocolDto>)))]
pub async fn protocols(a: Auth) -> Result<Json<Vec<ProtocolDto>>> {
    scales::manager(&a.actor)?;
    Ok(Json(
        Protocol::ALL
            .into_iter()
            .map(|p| ProtocolDto { code: p.code().into(), label: p.label().into(), line: p.line().label(), zero_tare: p.zero_tare() })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/scales/{id}/live", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, content_type = "text/event-stream", description = "`weight` events: {scale, state, grams, kg, tare_grams, last_good, errors}"), (status = 404, body = Problem)))]
pub async fn live(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<axum::response::Response> {
    let s = scales::scale(&app.db.read()?, &a.actor, ScaleId(id))?;
    let stream = crate::http::live::stream(&app, a.actor.company, &format!("scale:{}", s.id));
    app.scales.announce(a.actor.company, s.id);
    Ok(stream.into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeighInput {
    pub cash_box: u64,
    /// The weighed product's barcode or PLU.
    pub code: String,
    /// A weight typed by hand, kg (needs the `scales_manual` right); omitted: the box's scale.
    #[serde(default)]
    pub manual_kg: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WeighDto {
    pub product: u64,
    /// kg, 3 places.
    pub qty: String,
    pub cart: CartDto,
}

#[utoipa::path(post, path = "/api/v1/pos/cart/weigh", tag = "scales", security(("bearer" = [])), request_body = WeighInput,
    responses((status = 200, body = WeighDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn weigh(State(app): State<App>, a: Auth, Json(i): Json<WeighInput>) -> Result<Json<WeighDto>> {
    let s = crate::http::shared::weigh(&app, &a.actor, CashBoxId(i.cash_box), i.code, i.manual_kg).await?;
    Ok(Json(WeighDto { product: s.product.0, qty: s.qty.to_string(), cart: CartDto::from(&s.cart) }))
}

#[derive(Serialize, ToSchema)]
pub struct LineWeightDto {
    /// The sale line's index.
    pub line: u32,
    pub product: u64,
    pub grams: i64,
    pub manual: bool,
    pub readings: Vec<ReadingDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ReadingDto {
    pub scale: Option<u64>,
    pub grams: i64,
    pub tare_grams: i64,
    pub at: String,
    pub manual: bool,
}

#[utoipa::path(get, path = "/api/v1/sales/{id}/weights", tag = "scales", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<LineWeightDto>), (status = 404, body = Problem)))]
pub async fn sale_weights(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<LineWeightDto>>> {
    let weights = crate::pos::query::sale_weights(&app.db.read()?, &a.actor, SaleId(id))?;
    Ok(Json(
        weights
            .into_iter()
            .map(|(line, w)| LineWeightDto {
                line,
                product: w.product.0,
                grams: w.grams(),
                manual: w.manual(),
                readings: w
                    .readings
                    .iter()
                    .map(|r| ReadingDto {
                        scale: r.scale.map(|s| s.0),
                        grams: r.grams,
                        tare_grams: r.tare_grams,
                        at: r.at.rfc3339(),
                        manual: r.manual,
                    })
                    .collect(),
            })
            .collect(),
    ))
}

/// This file's routes for a signed-in caller.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(protocols))
        .routes(routes!(detect))
        .routes(routes!(get, put, delete))
        .routes(routes!(zero))
        .routes(routes!(tare))
        .routes(routes!(live))
        .routes(routes!(weigh))
        .routes(routes!(sale_weights))
}
