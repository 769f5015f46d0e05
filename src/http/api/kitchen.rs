//! Kitchen and bar printers: binding a printer to a station, and a test ticket through the
//! same `printing::kitchen::send_ticket` the cafe's orders will use.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::PrinterId;
use crate::printing::kitchen;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StationDto {
    /// "kitchen", "bar", …; empty or null = not bound.
    #[serde(default)]
    pub station: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/printers/{id}/station", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = StationDto), (status = 404, body = Problem)))]
pub async fn get(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<StationDto>> {
    crate::printing::require_manager(&a.actor)?;
    let tx = app.db.read()?;
    crate::printing::printer(&tx, a.actor.company, PrinterId(id))?;
    Ok(Json(StationDto { station: kitchen::station(&tx, a.actor.company, PrinterId(id))? }))
}

#[utoipa::path(put, path = "/api/v1/printers/{id}/station", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = StationDto, responses((status = 200, body = StationDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<StationDto>) -> Result<Json<StationDto>> {
    let now = app.now();
    let raw = i.station.unwrap_or_default();
    let station = app.db.write(move |tx| kitchen::bind_station(tx, &a.actor, now, PrinterId(id), &raw)).await?;
    Ok(Json(StationDto { station }))
}

#[derive(Serialize, ToSchema)]
pub struct TicketsDto {
    /// Printers the ticket was queued on.
    pub printers: usize,
}

#[utoipa::path(post, path = "/api/v1/printers/{id}/station/test", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 202, body = TicketsDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn test(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<(StatusCode, Json<TicketsDto>)> {
    let now = app.now();
    let printers = app.db.write(move |tx| kitchen::test_ticket(tx, &a.actor, now, PrinterId(id))).await?;
    Ok((StatusCode::ACCEPTED, Json(TicketsDto { printers })))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(get, put)).routes(routes!(test))
}
