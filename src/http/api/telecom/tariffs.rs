//! Tariffs: the list, create, rename, dated revisions, archive and restore.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::TariffId;
use crate::telecom;
use crate::telecom::model::{Revision, Tariff};
use crate::telecom::query;
use crate::telecom::tariffs::{self, RevisionDraft, TariffDraft};
use crate::tenancy::perms::Perm;

#[derive(Serialize, ToSchema)]
pub struct RevisionDto {
    pub valid_from: String,
    pub monthly_fee: String,
    /// Included minutes, SMS, GB (0 = unlimited).
    pub minutes: u32,
    pub sms: u32,
    pub gb: u32,
    pub minute_rate: String,
    pub sms_rate: String,
    pub gb_rate: String,
}

impl From<&Revision> for RevisionDto {
    fn from(r: &Revision) -> Self {
        RevisionDto {
            valid_from: r.valid_from.clone(),
            monthly_fee: r.monthly_fee.to_string(),
            minutes: r.minutes,
            sms: r.sms,
            gb: r.gb,
            minute_rate: r.minute_rate.to_string(),
            sms_rate: r.sms_rate.to_string(),
            gb_rate: r.gb_rate.to_string(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TariffDto {
    pub id: u64,
    pub name: String,
    /// prepaid, postpaid
    pub pay_kind: String,
    pub priority: i32,
    pub archived: bool,
    /// Oldest first.
    pub revisions: Vec<RevisionDto>,
}

impl From<&Tariff> for TariffDto {
    fn from(t: &Tariff) -> Self {
        TariffDto {
            id: t.id.0,
            name: t.name.clone(),
            pay_kind: t.pay_kind.code().into(),
            priority: t.priority,
            archived: t.archived,
            revisions: t.revisions.iter().map(RevisionDto::from).collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/telecom/tariffs", tag = "telecom", security(("bearer" = [])),
    responses((status = 200, body = Vec<TariffDto>), (status = 403, body = Problem)))]
pub async fn tariffs_list(State(app): State<App>, a: Auth) -> Result<Json<Vec<TariffDto>>> {
    Ok(Json(query::tariffs(&app.db.read()?, &a.actor)?.iter().map(TariffDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/telecom/tariffs", tag = "telecom", security(("bearer" = [])), request_body = TariffDraft,
    responses((status = 201, body = TariffDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_tariff(State(app): State<App>, a: Auth, Json(d): Json<TariffDraft>) -> Result<(StatusCode, Json<TariffDto>)> {
    telecom::require(&a.actor, &[Perm::TELECOM_TARIFFS])?;
    let now = app.now();
    let t = app.db.write(move |tx| tariffs::create_tariff(tx, &a.actor, now, &d)).await?;
    Ok((StatusCode::CREATED, Json(TariffDto::from(&t))))
}

#[utoipa::path(get, path = "/api/v1/telecom/tariffs/{id}", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = TariffDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn tariff(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<TariffDto>> {
    Ok(Json(TariffDto::from(&query::tariff(&app.db.read()?, &a.actor, TariffId(id))?)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TariffUpdateInput {
    pub name: String,
    pub priority: String,
}

#[utoipa::path(put, path = "/api/v1/telecom/tariffs/{id}", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = TariffUpdateInput,
    responses((status = 200, body = TariffDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_tariff(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<TariffUpdateInput>,
) -> Result<Json<TariffDto>> {
    let now = app.now();
    let t = app.db.write(move |tx| tariffs::update_tariff(tx, &a.actor, now, TariffId(id), &i.name, &i.priority)).await?;
    Ok(Json(TariffDto::from(&t)))
}

#[utoipa::path(post, path = "/api/v1/telecom/tariffs/{id}/revisions", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = RevisionDraft,
    responses((status = 201, body = TariffDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_tariff(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(d): Json<RevisionDraft>,
) -> Result<(StatusCode, Json<TariffDto>)> {
    telecom::require(&a.actor, &[Perm::TELECOM_TARIFFS])?;
    let now = app.now();
    let t = app.db.write(move |tx| tariffs::revise(tx, &a.actor, now, TariffId(id), &d)).await?;
    Ok((StatusCode::CREATED, Json(TariffDto::from(&t))))
}

#[utoipa::path(post, path = "/api/v1/telecom/tariffs/{id}/archive", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = TariffDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn archive_tariff(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<TariffDto>> {
    let now = app.now();
    let t = app.db.write(move |tx| tariffs::set_archived(tx, &a.actor, now, TariffId(id), true)).await?;
    Ok(Json(TariffDto::from(&t)))
}

#[utoipa::path(post, path = "/api/v1/telecom/tariffs/{id}/restore", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = TariffDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn restore_tariff(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<TariffDto>> {
    let now = app.now();
    let t = app.db.write(move |tx| tariffs::set_archived(tx, &a.actor, now, TariffId(id), false)).await?;
    Ok(Json(TariffDto::from(&t)))
}

/// This file's routes for a signed-in caller.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(tariffs_list, create_tariff))
        .routes(routes!(tariff, update_tariff))
        .routes(routes!(revise_tariff))
        .routes(routes!(archive_tariff))
        .routes(routes!(restore_tariff))
}
