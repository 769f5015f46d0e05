//! The telecom desk's API under `/api/v1/telecom/`: subscribers (with likely duplicates),
//! SIM stock (create, generate, block, unblock, the binding history), tariffs with revisions,
//! contracts and their state machine, payments (idempotent on `transaction_id`), refunds,
//! corrections, the billing run, the event feed and the settings. Rights: see `telecom`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{BranchId, ContractId, SimId, SubscriberId, TariffId};
use crate::telecom::billing::{self, BillReport, PaymentDraft, Posted};
use crate::telecom::contracts::{self, ContractDraft};
use crate::telecom::model::{
    Contract, ContractStatus, Entry, Event, Revision, Settings, Sim, SimStatus, Subscriber, SubscriberStatus, Tariff,
};
use crate::telecom::query::{self, ContractRow};
use crate::telecom::sims::{self, GenerateDraft, SimDraft};
use crate::telecom::tariffs::{self, RevisionDraft, TariffDraft};
use crate::telecom::{self, Duplicate, SubscriberDraft};

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

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SubscriberInput {
    /// individual (default) or organization
    pub kind: String,
    pub last_name: String,
    pub first_name: String,
    pub patronymic: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    pub org_name: String,
    pub org_inn: String,
    /// passport (default), id_card, driver_license, foreign_passport
    pub doc_kind: String,
    pub doc_series: String,
    pub doc_number: String,
    /// KG: the 14-digit ПИН; RU: the person's 12-digit INN.
    pub personal_no: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub notes: String,
}

impl From<SubscriberInput> for SubscriberDraft {
    fn from(i: SubscriberInput) -> Self {
        SubscriberDraft {
            kind: i.kind,
            last_name: i.last_name,
            first_name: i.first_name,
            patronymic: i.patronymic,
            birth_date: i.birth_date,
            org_name: i.org_name,
            org_inn: i.org_inn,
            doc_kind: i.doc_kind,
            doc_series: i.doc_series,
            doc_number: i.doc_number,
            personal_no: i.personal_no,
            phone: i.phone,
            email: i.email,
            address: i.address,
            notes: i.notes,
        }
    }
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

fn parse_status<T>(raw: Option<&str>, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| Error::field("status", "status", "Нет такого статуса", "No such status")),
    }
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

#[utoipa::path(post, path = "/api/v1/telecom/subscribers", tag = "telecom", security(("bearer" = [])), request_body = SubscriberInput,
    responses((status = 201, body = SavedSubscriberDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_subscriber(
    State(app): State<App>,
    a: Auth,
    Json(i): Json<SubscriberInput>,
) -> Result<(StatusCode, Json<SavedSubscriberDto>)> {
    Ok((StatusCode::CREATED, Json(save_subscriber(app, a, None, i).await?)))
}

async fn save_subscriber(app: App, a: Auth, id: Option<SubscriberId>, i: SubscriberInput) -> Result<SavedSubscriberDto> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_CUSTOMERS])?;
    let now = app.now();
    let d = SubscriberDraft::from(i);
    let (s, dups) = app.db.write(move |tx| telecom::save_subscriber(tx, &a.actor, now, id, &d)).await?;
    Ok(SavedSubscriberDto { subscriber: SubscriberDto::from(&s), duplicates: dups.iter().map(DuplicateDto::from).collect() })
}

#[derive(Serialize, ToSchema)]
pub struct ContractDto {
    pub id: u64,
    pub number: String,
    pub subscriber: u64,
    pub tariff: u64,
    pub sim: Option<u64>,
    /// draft, active, suspended, terminated
    pub status: String,
    /// manual, balance (why a suspended contract is suspended)
    pub suspension: Option<String>,
    pub signed: String,
    pub activated: Option<String>,
    pub terminated: Option<String>,
    /// The due date of the next monthly fee (active contracts).
    pub next_bill: Option<String>,
    pub notes: String,
}

impl From<&Contract> for ContractDto {
    fn from(k: &Contract) -> Self {
        ContractDto {
            id: k.id.0,
            number: k.number.clone(),
            subscriber: k.subscriber.0,
            tariff: k.tariff.0,
            sim: k.sim.map(|s| s.0),
            status: k.status.code().into(),
            suspension: k.suspension.map(|s| match s {
                crate::telecom::model::Suspension::Manual => "manual".into(),
                crate::telecom::model::Suspension::Balance => "balance".into(),
            }),
            signed: k.signed.clone(),
            activated: k.activated.clone(),
            terminated: k.terminated.clone(),
            next_bill: if k.status == ContractStatus::Terminated { None } else { k.due_date(k.next_period) },
            notes: k.notes.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContractRowDto {
    pub contract: ContractDto,
    pub balance: String,
    pub msisdn: String,
    pub tariff_name: String,
}

impl From<&ContractRow> for ContractRowDto {
    fn from(r: &ContractRow) -> Self {
        ContractRowDto {
            contract: ContractDto::from(&r.contract),
            balance: r.balance.balance.to_string(),
            msisdn: r.msisdn.clone(),
            tariff_name: r.tariff.clone(),
        }
    }
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

#[utoipa::path(put, path = "/api/v1/telecom/subscribers/{id}", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = SubscriberInput,
    responses((status = 200, body = SavedSubscriberDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn update_subscriber(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<SubscriberInput>,
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
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_SIMS])?;
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
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_SIMS_BULK])?;
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

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RevisionInput {
    /// YYYY-MM-DD, today or later (empty: today).
    pub valid_from: String,
    pub monthly_fee: String,
    pub minutes: String,
    pub sms: String,
    pub gb: String,
    pub minute_rate: String,
    pub sms_rate: String,
    pub gb_rate: String,
}

impl From<RevisionInput> for RevisionDraft {
    fn from(i: RevisionInput) -> Self {
        RevisionDraft {
            valid_from: i.valid_from,
            monthly_fee: i.monthly_fee,
            minutes: i.minutes,
            sms: i.sms,
            gb: i.gb,
            minute_rate: i.minute_rate,
            sms_rate: i.sms_rate,
            gb_rate: i.gb_rate,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TariffInput {
    pub name: String,
    /// prepaid (default) or postpaid
    pub pay_kind: String,
    pub priority: String,
    /// The first revision's terms.
    pub terms: RevisionInput,
}

#[utoipa::path(get, path = "/api/v1/telecom/tariffs", tag = "telecom", security(("bearer" = [])),
    responses((status = 200, body = Vec<TariffDto>), (status = 403, body = Problem)))]
pub async fn tariffs_list(State(app): State<App>, a: Auth) -> Result<Json<Vec<TariffDto>>> {
    Ok(Json(query::tariffs(&app.db.read()?, &a.actor)?.iter().map(TariffDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/telecom/tariffs", tag = "telecom", security(("bearer" = [])), request_body = TariffInput,
    responses((status = 201, body = TariffDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_tariff(State(app): State<App>, a: Auth, Json(i): Json<TariffInput>) -> Result<(StatusCode, Json<TariffDto>)> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_TARIFFS])?;
    let now = app.now();
    let d = TariffDraft { name: i.name, pay_kind: i.pay_kind, priority: i.priority, terms: i.terms.into() };
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

#[utoipa::path(post, path = "/api/v1/telecom/tariffs/{id}/revisions", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = RevisionInput,
    responses((status = 201, body = TariffDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn revise_tariff(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<RevisionInput>,
) -> Result<(StatusCode, Json<TariffDto>)> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_TARIFFS])?;
    let now = app.now();
    let d = RevisionDraft::from(i);
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

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ContractQuery {
    /// draft, active, suspended, terminated
    pub status: Option<String>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/telecom/contracts", tag = "telecom", security(("bearer" = [])), params(ContractQuery),
    responses((status = 200, body = Vec<ContractRowDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn contracts_list(State(app): State<App>, a: Auth, Query(q): Query<ContractQuery>) -> Result<Json<Vec<ContractRowDto>>> {
    telecom::require_view(&a.actor)?;
    let status = parse_status(q.status.as_deref(), ContractStatus::parse)?;
    let rows = query::contracts(&app.db.read()?, &a.actor, status, q.limit.unwrap_or(100).clamp(1, 500))?;
    Ok(Json(rows.iter().map(ContractRowDto::from).collect()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ContractInput {
    pub subscriber: u64,
    pub tariff: u64,
    /// A free SIM (bound on activation).
    pub sim: Option<u64>,
    /// YYYY-MM-DD, not in the future (empty: today).
    pub signed: String,
    pub notes: String,
    /// Activate right away (needs the SIM).
    pub activate: bool,
}

#[utoipa::path(post, path = "/api/v1/telecom/contracts", tag = "telecom", security(("bearer" = [])), request_body = ContractInput,
    responses((status = 201, body = ContractDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_contract(State(app): State<App>, a: Auth, Json(i): Json<ContractInput>) -> Result<(StatusCode, Json<ContractDto>)> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_SIMS])?;
    let now = app.now();
    let activate = i.activate;
    let d = ContractDraft {
        subscriber: Some(SubscriberId(i.subscriber)),
        tariff: Some(TariffId(i.tariff)),
        sim: i.sim.map(SimId),
        signed: i.signed,
        notes: i.notes,
    };
    let k = app
        .db
        .write(move |tx| {
            let k = contracts::create_contract(tx, &a.actor, now, &d)?;
            if activate { contracts::activate(tx, &a.actor, now, k.id, None) } else { Ok(k) }
        })
        .await?;
    Ok((StatusCode::CREATED, Json(ContractDto::from(&k))))
}

#[derive(Serialize, ToSchema)]
pub struct EntryDto {
    pub seq: u64,
    /// payment, charge, refund, correction
    pub kind: String,
    /// Signed: payments and positive corrections add.
    pub amount: String,
    pub balance_after: String,
    pub at: String,
    pub date: String,
    pub user: Option<u64>,
    pub method: String,
    pub transaction_id: Option<String>,
    /// Charges: the monthly period (1 = the first month after activation).
    pub period: Option<u32>,
    /// Charges: the index of the tariff revision that priced it.
    pub revision: Option<u32>,
    pub reason: String,
}

fn entry_dto(seq: u64, e: &Entry) -> EntryDto {
    EntryDto {
        seq,
        kind: e.kind.code().into(),
        amount: e.amount.to_string(),
        balance_after: e.balance_after.to_string(),
        at: e.at.rfc3339(),
        date: e.date.clone(),
        user: e.user.map(|u| u.0),
        method: e.method.code().into(),
        transaction_id: e.transaction_id.clone(),
        period: e.period,
        revision: e.revision,
        reason: e.reason.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContractCardDto {
    pub contract: ContractDto,
    pub subscriber: SubscriberDto,
    pub tariff: TariffDto,
    pub sim: Option<SimDto>,
    pub balance: String,
    /// Σ charges.
    pub charged: String,
    /// Oldest first.
    pub ledger: Vec<EntryDto>,
}

#[utoipa::path(get, path = "/api/v1/telecom/contracts/{id}", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ContractCardDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn contract(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ContractCardDto>> {
    let card = query::contract(&app.db.read()?, &a.actor, ContractId(id))?;
    Ok(Json(ContractCardDto {
        contract: ContractDto::from(&card.contract),
        subscriber: SubscriberDto::from(&card.subscriber),
        tariff: TariffDto::from(&card.tariff),
        sim: card.sim.as_ref().map(SimDto::from),
        balance: card.balance.balance.to_string(),
        charged: card.balance.charged.to_string(),
        ledger: card.ledger.iter().map(|(seq, e)| entry_dto(*seq, e)).collect(),
    }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ActivateInput {
    /// A free SIM; absent: the one chosen at creation.
    pub sim: Option<u64>,
}

#[utoipa::path(post, path = "/api/v1/telecom/contracts/{id}/activate", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = ActivateInput,
    responses((status = 200, body = ContractDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn activate(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<ActivateInput>) -> Result<Json<ContractDto>> {
    let now = app.now();
    let k = app.db.write(move |tx| contracts::activate(tx, &a.actor, now, ContractId(id), i.sim.map(SimId))).await?;
    Ok(Json(ContractDto::from(&k)))
}

#[utoipa::path(post, path = "/api/v1/telecom/contracts/{id}/suspend", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ContractDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn suspend(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ContractDto>> {
    let now = app.now();
    let k = app.db.write(move |tx| contracts::suspend(tx, &a.actor, now, ContractId(id))).await?;
    Ok(Json(ContractDto::from(&k)))
}

#[utoipa::path(post, path = "/api/v1/telecom/contracts/{id}/resume", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ContractDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn resume(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ContractDto>> {
    let now = app.now();
    let k = app.db.write(move |tx| contracts::resume(tx, &a.actor, now, ContractId(id))).await?;
    Ok(Json(ContractDto::from(&k)))
}

#[utoipa::path(post, path = "/api/v1/telecom/contracts/{id}/terminate", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ContractDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn terminate(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ContractDto>> {
    let now = app.now();
    let k = app.db.write(move |tx| contracts::terminate(tx, &a.actor, now, ContractId(id))).await?;
    Ok(Json(ContractDto::from(&k)))
}

#[derive(Serialize, ToSchema)]
pub struct PostedDto {
    pub contract: u64,
    pub entry: EntryDto,
    /// The contract's balance now.
    pub balance: String,
    /// True when the transaction id replayed an earlier payment.
    pub replayed: bool,
}

fn posted(app: &App, a: &crate::tenancy::actor::Actor, p: &Posted) -> Result<PostedDto> {
    let bal = billing::balance(&app.db.read()?, a.company, p.contract)?;
    Ok(PostedDto { contract: p.contract.0, entry: entry_dto(p.seq, &p.entry), balance: bal.balance.to_string(), replayed: p.replayed })
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TopUpInput {
    pub amount: String,
    /// cash (default), card, bank_transfer, mobile_payment, terminal
    pub method: String,
    /// Makes the payment idempotent: a retry with it returns the first payment.
    pub transaction_id: String,
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/telecom/contracts/{id}/payments", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = TopUpInput,
    responses((status = 201, body = PostedDto), (status = 200, body = PostedDto, description = "a replay of the same transaction id"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pay(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<TopUpInput>) -> Result<(StatusCode, Json<PostedDto>)> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_PAYMENTS])?;
    let now = app.now();
    let actor = a.actor.clone();
    let d = PaymentDraft { amount: i.amount, method: i.method, transaction_id: i.transaction_id, note: i.note };
    let p = app.db.write(move |tx| billing::pay(tx, &actor, now, ContractId(id), &d)).await?;
    let status = if p.replayed { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(posted(&app, &a.actor, &p)?)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RefundInput {
    pub amount: String,
    pub method: String,
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/telecom/contracts/{id}/refunds", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = RefundInput,
    responses((status = 201, body = PostedDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn refund(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<RefundInput>,
) -> Result<(StatusCode, Json<PostedDto>)> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_PAYMENTS])?;
    let now = app.now();
    let actor = a.actor.clone();
    let p = app.db.write(move |tx| billing::refund(tx, &actor, now, ContractId(id), &i.amount, &i.method, &i.reason)).await?;
    Ok((StatusCode::CREATED, Json(posted(&app, &a.actor, &p)?)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CorrectionInput {
    /// Signed, not zero.
    pub amount: String,
    pub reason: String,
}

#[utoipa::path(post, path = "/api/v1/telecom/contracts/{id}/corrections", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = CorrectionInput,
    responses((status = 201, body = PostedDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn correct(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CorrectionInput>,
) -> Result<(StatusCode, Json<PostedDto>)> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_PAYMENTS, crate::tenancy::perms::Perm::TELECOM_TARIFFS])?;
    let now = app.now();
    let actor = a.actor.clone();
    let p = app.db.write(move |tx| billing::correct(tx, &actor, now, ContractId(id), &i.amount, &i.reason)).await?;
    Ok((StatusCode::CREATED, Json(posted(&app, &a.actor, &p)?)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BillingInput {
    /// YYYY-MM-DD, not after today (empty: today).
    pub date: String,
}

#[derive(Serialize, ToSchema)]
pub struct BillReportDto {
    pub date: String,
    /// Contracts charged.
    pub contracts: u64,
    /// Monthly fees charged (0 when the date was already billed).
    pub charges: u64,
    pub amount: String,
}

impl From<&BillReport> for BillReportDto {
    fn from(r: &BillReport) -> Self {
        BillReportDto { date: r.date.clone(), contracts: r.contracts, charges: r.charges, amount: r.amount.to_string() }
    }
}

#[utoipa::path(post, path = "/api/v1/telecom/billing/run", tag = "telecom", security(("bearer" = [])), request_body = BillingInput,
    responses((status = 200, body = BillReportDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn run_billing(State(app): State<App>, a: Auth, Json(i): Json<BillingInput>) -> Result<Json<BillReportDto>> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_PAYMENTS, crate::tenancy::perms::Perm::TELECOM_TARIFFS])?;
    let now = app.now();
    let r = app.db.write(move |tx| billing::run_billing(tx, &a.actor, now, &i.date)).await?;
    Ok(Json(BillReportDto::from(&r)))
}

#[derive(Serialize, ToSchema)]
pub struct EventDto {
    pub id: u64,
    /// low_balance, suspended, resumed, payment_received
    pub kind: String,
    pub contract: u64,
    pub subscriber: u64,
    pub balance: String,
    pub at: String,
}

fn event_dto(id: u64, e: &Event) -> EventDto {
    EventDto {
        id,
        kind: e.kind.code().into(),
        contract: e.contract.0,
        subscriber: e.subscriber.0,
        balance: e.balance.to_string(),
        at: e.at.rfc3339(),
    }
}

#[utoipa::path(get, path = "/api/v1/telecom/events", tag = "telecom", security(("bearer" = [])),
    responses((status = 200, body = Vec<EventDto>), (status = 403, body = Problem)))]
pub async fn events(State(app): State<App>, a: Auth) -> Result<Json<Vec<EventDto>>> {
    let found = query::events(&app.db.read()?, &a.actor, 100)?;
    Ok(Json(found.iter().map(|(id, e)| event_dto(*id, e)).collect()))
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TelecomSettingsDto {
    /// 3 digits
    pub mcc: String,
    /// 2 or 3 digits
    pub mnc: String,
    /// A charge taking the balance below this warns.
    pub low_balance: String,
}

impl From<&Settings> for TelecomSettingsDto {
    fn from(s: &Settings) -> Self {
        TelecomSettingsDto { mcc: s.mcc.clone(), mnc: s.mnc.clone(), low_balance: s.low_balance.to_string() }
    }
}

#[utoipa::path(get, path = "/api/v1/telecom/settings", tag = "telecom", security(("bearer" = [])),
    responses((status = 200, body = TelecomSettingsDto), (status = 403, body = Problem)))]
pub async fn get_settings(State(app): State<App>, a: Auth) -> Result<Json<TelecomSettingsDto>> {
    telecom::require_view(&a.actor)?;
    Ok(Json(TelecomSettingsDto::from(&telecom::settings(&app.db.read()?, a.actor.company)?)))
}

#[utoipa::path(put, path = "/api/v1/telecom/settings", tag = "telecom", security(("bearer" = [])), request_body = TelecomSettingsDto,
    responses((status = 200, body = TelecomSettingsDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(State(app): State<App>, a: Auth, Json(i): Json<TelecomSettingsDto>) -> Result<Json<TelecomSettingsDto>> {
    telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_SIMS_BULK])?;
    let now = app.now();
    let s = app.db.write(move |tx| telecom::save_settings(tx, &a.actor, now, &i.mcc, &i.mnc, &i.low_balance)).await?;
    Ok(Json(TelecomSettingsDto::from(&s)))
}

/// This file's routes for a signed-in caller.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(subscribers, create_subscriber))
        .routes(routes!(subscriber, update_subscriber))
        .routes(routes!(subscriber_status))
        .routes(routes!(sims_list, create_sim))
        .routes(routes!(generate_sims))
        .routes(routes!(sim))
        .routes(routes!(block_sim))
        .routes(routes!(unblock_sim))
        .routes(routes!(tariffs_list, create_tariff))
        .routes(routes!(tariff, update_tariff))
        .routes(routes!(revise_tariff))
        .routes(routes!(archive_tariff))
        .routes(routes!(restore_tariff))
        .routes(routes!(contracts_list, create_contract))
        .routes(routes!(contract))
        .routes(routes!(activate))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(terminate))
        .routes(routes!(pay))
        .routes(routes!(refund))
        .routes(routes!(correct))
        .routes(routes!(run_billing))
        .routes(routes!(events))
        .routes(routes!(get_settings, put_settings))
}
