//! Money on contracts: payments (idempotent on `transaction_id`), refunds, corrections, the
//! billing run, the event feed and the desk's settings.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::contracts::{EntryDto, entry_dto};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::ContractId;
use crate::telecom;
use crate::telecom::billing::{self, BillReport, PaymentDraft, Posted};
use crate::telecom::model::{Event, Settings};
use crate::telecom::query;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

#[derive(Serialize, ToSchema)]
pub struct PostedDto {
    pub contract: u64,
    pub entry: EntryDto,
    /// The contract's balance now.
    pub balance: String,
    /// True when the transaction id replayed an earlier payment.
    pub replayed: bool,
}

fn posted(app: &App, a: &Actor, p: &Posted) -> Result<PostedDto> {
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

#[utoipa::path(post, path = "/api/v1/telecom/contracts/{id}/payments", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)), request_body = PaymentDraft,
    responses((status = 201, body = PostedDto), (status = 200, body = PostedDto, description = "a replay of the same transaction id"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pay(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(d): Json<PaymentDraft>,
) -> Result<(StatusCode, Json<PostedDto>)> {
    telecom::require(&a.actor, &[Perm::TELECOM_PAYMENTS])?;
    let now = app.now();
    let actor = a.actor.clone();
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
    telecom::require(&a.actor, &[Perm::TELECOM_PAYMENTS])?;
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
    telecom::require(&a.actor, &[Perm::TELECOM_PAYMENTS, Perm::TELECOM_TARIFFS])?;
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
    telecom::require(&a.actor, &[Perm::TELECOM_PAYMENTS, Perm::TELECOM_TARIFFS])?;
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
    telecom::require(&a.actor, &[Perm::TELECOM_SIMS_BULK])?;
    let now = app.now();
    let s = app.db.write(move |tx| telecom::save_settings(tx, &a.actor, now, &i.mcc, &i.mnc, &i.low_balance)).await?;
    Ok(Json(TelecomSettingsDto::from(&s)))
}

/// This file's routes for a signed-in caller.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(pay))
        .routes(routes!(refund))
        .routes(routes!(correct))
        .routes(routes!(run_billing))
        .routes(routes!(events))
        .routes(routes!(get_settings, put_settings))
}
