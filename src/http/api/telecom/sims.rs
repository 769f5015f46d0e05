//! SIM stock: the list by status or number, one SIM, generation from templates, the card with
//! its binding history, block and unblock.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_status;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{BranchId, SimId};
use crate::telecom;
use crate::telecom::model::{Sim, SimStatus};
use crate::telecom::query;
use crate::telecom::sims::{self, GenerateDraft, SimDraft};
use crate::tenancy::perms::Perm;

#[derive(Serialize, ToSchema)]
pub struct SimDto {
    pub id: u64,
    pub iccid: String,
    pub imsi: String,
    pub msisdn: String,
    pub puk: Option<String>,
    /// free, active, suspended, blocked, closed
    pub status: String,
    pub branch: u64,
    pub contract: Option<u64>,
}

impl From<&Sim> for SimDto {
    fn from(s: &Sim) -> Self {
        SimDto {
            id: s.id.0,
            iccid: s.iccid.clone(),
            imsi: s.imsi.clone(),
            msisdn: s.msisdn.clone(),
            puk: s.puk.clone(),
            status: s.status.code().into(),
            branch: s.branch.0,
            contract: s.contract.map(|c| c.0),
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SimQuery {
    /// free, active, suspended, blocked, closed
    pub status: Option<String>,
    /// An exact ICCID, IMSI or MSISDN.
    pub number: String,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/telecom/sims", tag = "telecom", security(("bearer" = [])), params(SimQuery),
    responses((status = 200, body = Vec<SimDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn sims_list(State(app): State<App>, a: Auth, Query(q): Query<SimQuery>) -> Result<Json<Vec<SimDto>>> {
    telecom::require_view(&a.actor)?;
    let status = parse_status(q.status.as_deref(), SimStatus::parse)?;
    let found = query::sims(&app.db.read()?, &a.actor, status, &q.number, q.limit.unwrap_or(100).clamp(1, 1000))?;
    Ok(Json(found.iter().map(SimDto::from).collect()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SimInput {
    pub iccid: String,
    pub imsi: String,
    pub msisdn: String,
    pub puk: String,
    pub branch: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/telecom/sims", tag = "telecom", security(("bearer" = [])), request_body = SimInput,
    responses((status = 201, body = SimDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_sim(State(app): State<App>, a: Auth, Json(i): Json<SimInput>) -> Result<(StatusCode, Json<SimDto>)> {
    telecom::require(&a.actor, &[Perm::TELECOM_SIMS])?;
    let now = app.now();
    let d = SimDraft { iccid: i.iccid, imsi: i.imsi, msisdn: i.msisdn, puk: i.puk, branch: i.branch.map(BranchId) };
    let s = app.db.write(move |tx| sims::create_sim(tx, &a.actor, now, &d)).await?;
    Ok((StatusCode::CREATED, Json(SimDto::from(&s))))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct GenerateInput {
    /// 1–1000
    pub count: String,
    /// The first {num} (default 1).
    pub start: String,
    /// ICCID template without the check digit, e.g. 8999601000{num:08}; the Luhn digit is appended.
    pub iccid: String,
    /// IMSI template, e.g. 43701{num:010}
    pub imsi: String,
    /// MSISDN template, e.g. +996555{num:06}
    pub msisdn: String,
    pub branch: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct SkippedDto {
    pub iccid: String,
    /// The number already in stock: iccid, imsi, msisdn
    pub taken: String,
}

#[derive(Serialize, ToSchema)]
pub struct GeneratedDto {
    pub created: usize,
    pub sims: Vec<SimDto>,
    pub skipped: Vec<SkippedDto>,
}

#[utoipa::path(post, path = "/api/v1/telecom/sims/generate", tag = "telecom", security(("bearer" = [])), request_body = GenerateInput,
    responses((status = 201, body = GeneratedDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn generate_sims(State(app): State<App>, a: Auth, Json(i): Json<GenerateInput>) -> Result<(StatusCode, Json<GeneratedDto>)> {
    telecom::require(&a.actor, &[Perm::TELECOM_SIMS_BULK])?;
    let now = app.now();
    let d =
        GenerateDraft { count: i.count, start: i.start, iccid: i.iccid, imsi: i.imsi, msisdn: i.msisdn, branch: i.branch.map(BranchId) };
    let g = app.db.write(move |tx| sims::generate(tx, &a.actor, now, &d)).await?;
    Ok((
        StatusCode::CREATED,
        Json(GeneratedDto {
            created: g.created.len(),
            sims: g.created.iter().map(SimDto::from).collect(),
            skipped: g.skipped.into_iter().map(|(iccid, taken)| SkippedDto { iccid, taken: taken.into() }).collect(),
        }),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct BindingDto {
    pub contract: u64,
    pub number: String,
    pub bound: String,
    pub released: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SimCardDto {
    pub sim: SimDto,
    /// Which contract held this SIM, from when to when (oldest first).
    pub bindings: Vec<BindingDto>,
}

#[utoipa::path(get, path = "/api/v1/telecom/sims/{id}", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = SimCardDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn sim(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<SimCardDto>> {
    let card = query::sim(&app.db.read()?, &a.actor, SimId(id))?;
    Ok(Json(SimCardDto {
        sim: SimDto::from(&card.sim),
        bindings: card
            .bindings
            .iter()
            .map(|(k, number, b)| BindingDto {
                contract: k.0,
                number: number.clone(),
                bound: b.bound.rfc3339(),
                released: b.released.map(|r| r.rfc3339()),
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/telecom/sims/{id}/block", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = SimDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn block_sim(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<SimDto>> {
    let now = app.now();
    let s = app.db.write(move |tx| sims::block(tx, &a.actor, now, SimId(id))).await?;
    Ok(Json(SimDto::from(&s)))
}

#[utoipa::path(post, path = "/api/v1/telecom/sims/{id}/unblock", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = SimDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn unblock_sim(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<SimDto>> {
    let now = app.now();
    let s = app.db.write(move |tx| sims::unblock(tx, &a.actor, now, SimId(id))).await?;
    Ok(Json(SimDto::from(&s)))
}

#[derive(Serialize, ToSchema)]
pub struct AssignedDto {
    /// The active contracts made, one a SIM.
    pub contracts: Vec<super::contracts::ContractDto>,
    /// The SIMs moved to another branch.
    pub moved: Vec<SimDto>,
}

#[utoipa::path(post, path = "/api/v1/telecom/sims/assign", tag = "telecom", security(("bearer" = [])), request_body = crate::telecom::merge::AssignDraft,
    responses((status = 201, body = AssignedDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn assign_sims(
    State(app): State<App>,
    a: Auth,
    Json(d): Json<crate::telecom::merge::AssignDraft>,
) -> Result<(StatusCode, Json<AssignedDto>)> {
    let now = app.now();
    let r = app.db.write(move |tx| crate::telecom::merge::assign_free_sims(tx, &a.actor, now, &d)).await?;
    Ok((
        StatusCode::CREATED,
        Json(AssignedDto {
            contracts: r.contracts.iter().map(super::contracts::ContractDto::from).collect(),
            moved: r.moved.iter().map(SimDto::from).collect(),
        }),
    ))
}

/// This file's routes for a signed-in caller.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(sims_list, create_sim))
        .routes(routes!(generate_sims))
        .routes(routes!(assign_sims))
        .routes(routes!(sim))
        .routes(routes!(block_sim))
        .routes(routes!(unblock_sim))
}
