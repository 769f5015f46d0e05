//! Subscribers: the list and search, create and edit (with the likely duplicates found), the
//! card with contracts and duplicates, the status change.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::contracts::ContractRowDto;
use super::parse_status;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::SubscriberId;
use crate::telecom::model::{Subscriber, SubscriberStatus};
use crate::telecom::query;
use crate::telecom::{self, Duplicate, SubscriberDraft};
use crate::tenancy::perms::Perm;

#[derive(Serialize, ToSchema)]
pub struct SubscriberDto {
    pub id: u64,
    /// individual, organization
    pub kind: String,
    pub name: String,
    pub last_name: String,
    pub first_name: String,
    pub patronymic: String,
    pub birth_date: Option<String>,
    pub org_name: String,
    pub org_inn: Option<String>,
    /// passport, id_card, driver_license, foreign_passport
    pub doc_kind: Option<String>,
    pub doc_series: Option<String>,
    pub doc_number: Option<String>,
    pub personal_no: Option<String>,
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
    /// active, suspended, blocked, archived
    pub status: String,
    pub notes: String,
    pub created: String,
}

impl From<&Subscriber> for SubscriberDto {
    fn from(s: &Subscriber) -> Self {
        SubscriberDto {
            id: s.id.0,
            kind: s.kind.code().into(),
            name: s.display_name(),
            last_name: s.last_name.clone(),
            first_name: s.first_name.clone(),
            patronymic: s.patronymic.clone(),
            birth_date: s.birth_date.clone(),
            org_name: s.org_name.clone(),
            org_inn: s.org_inn.clone(),
            doc_kind: s.document.as_ref().map(|d| d.kind.code().into()),
            doc_series: s.document.as_ref().map(|d| d.series.clone()),
            doc_number: s.document.as_ref().map(|d| d.number.clone()),
            personal_no: s.personal_no.clone(),
            phone: s.phone.clone(),
            email: s.email.clone(),
            address: s.address.clone(),
            status: s.status.code().into(),
            notes: s.notes.clone(),
            created: s.created.rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DuplicateDto {
    pub id: u64,
    pub name: String,
    pub phone: String,
    /// What is shared: document, personal_no, org_inn, phone, email, name
    pub reasons: Vec<String>,
}

impl From<&Duplicate> for DuplicateDto {
    fn from(d: &Duplicate) -> Self {
        DuplicateDto {
            id: d.subscriber.id.0,
            name: d.subscriber.display_name(),
            phone: d.subscriber.phone.clone(),
            reasons: d.reasons.iter().map(|r| r.to_string()).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SavedSubscriberDto {
    pub subscriber: SubscriberDto,
    /// Likely duplicates (shared phone, e-mail, name with birth date) to look at.
    pub duplicates: Vec<DuplicateDto>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SubscriberQuery {
    /// Words of the name, phone digits, document, ПИН/INN, e-mail.
    pub q: String,
    /// active, suspended, blocked, archived
    pub status: Option<String>,
    /// Paging: subscribers with ids below this one.
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/telecom/subscribers", tag = "telecom", security(("bearer" = [])), params(SubscriberQuery),
    responses((status = 200, body = Vec<SubscriberDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn subscribers(State(app): State<App>, a: Auth, Query(q): Query<SubscriberQuery>) -> Result<Json<Vec<SubscriberDto>>> {
    telecom::require_view(&a.actor)?;
    let status = parse_status(q.status.as_deref(), SubscriberStatus::parse)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let found = query::subscribers(&app.db.read()?, &a.actor, &q.q, status, q.before.map(SubscriberId), limit)?;
    Ok(Json(found.iter().map(SubscriberDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/telecom/subscribers", tag = "telecom", security(("bearer" = [])), request_body = SubscriberDraft,
    responses((status = 201, body = SavedSubscriberDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_subscriber(
    State(app): State<App>,
    a: Auth,
    Json(i): Json<SubscriberDraft>,
) -> Result<(StatusCode, Json<SavedSubscriberDto>)> {
    Ok((StatusCode::CREATED, Json(save_subscriber(app, a, None, i).await?)))
}

async fn save_subscriber(app: App, a: Auth, id: Option<SubscriberId>, d: SubscriberDraft) -> Result<SavedSubscriberDto> {
    telecom::require(&a.actor, &[Perm::TELECOM_CUSTOMERS])?;
    let now = app.now();
    let (s, dups) = app.db.write(move |tx| telecom::save_subscriber(tx, &a.actor, now, id, &d)).await?;
    Ok(SavedSubscriberDto { subscriber: SubscriberDto::from(&s), duplicates: dups.iter().map(DuplicateDto::from).collect() })
}

#[derive(Serialize, ToSchema)]
pub struct SubscriberCardDto {
    pub subscriber: SubscriberDto,
    pub contracts: Vec<ContractRowDto>,
    pub duplicates: Vec<DuplicateDto>,
}

#[utoipa::path(get, path = "/api/v1/telecom/subscribers/{id}", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = SubscriberCardDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn subscriber(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<SubscriberCardDto>> {
    let card = query::subscriber(&app.db.read()?, &a.actor, SubscriberId(id))?;
    Ok(Json(SubscriberCardDto {
        subscriber: SubscriberDto::from(&card.subscriber),
        contracts: card.contracts.iter().map(ContractRowDto::from).collect(),
        duplicates: card.duplicates.iter().map(DuplicateDto::from).collect(),
    }))
}

#[utoipa::path(put, path = "/api/v1/telecom/subscribers/{id}", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = SubscriberDraft,
    responses((status = 200, body = SavedSubscriberDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_subscriber(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<SubscriberDraft>,
) -> Result<Json<SavedSubscriberDto>> {
    Ok(Json(save_subscriber(app, a, Some(SubscriberId(id)), i).await?))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct StatusInput {
    /// active, suspended, blocked, archived
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/telecom/subscribers/{id}/status", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = StatusInput,
    responses((status = 200, body = SubscriberDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn subscriber_status(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<StatusInput>,
) -> Result<Json<SubscriberDto>> {
    let now = app.now();
    let s = app.db.write(move |tx| telecom::set_subscriber_status(tx, &a.actor, now, SubscriberId(id), &i.status)).await?;
    Ok(Json(SubscriberDto::from(&s)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MergeInput {
    /// The subscriber merged into this one (archived afterwards).
    pub duplicate: u64,
}

#[derive(Serialize, ToSchema)]
pub struct MergedDto {
    pub subscriber: SubscriberDto,
    /// Contracts (with their payments) moved over.
    pub contracts: usize,
    pub tickets: usize,
}

#[utoipa::path(post, path = "/api/v1/telecom/subscribers/{id}/merge", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = MergeInput,
    responses((status = 200, body = MergedDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn merge_subscriber(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<MergeInput>) -> Result<Json<MergedDto>> {
    let now = app.now();
    let m = app
        .db
        .write(move |tx| crate::telecom::merge::merge_subscribers(tx, &a.actor, now, SubscriberId(id), SubscriberId(i.duplicate)))
        .await?;
    Ok(Json(MergedDto { subscriber: SubscriberDto::from(&m.survivor), contracts: m.contracts, tickets: m.tickets }))
}

/// This file's routes for a signed-in caller.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(subscribers, create_subscriber))
        .routes(routes!(subscriber, update_subscriber))
        .routes(routes!(subscriber_status))
        .routes(routes!(merge_subscriber))
}
