//! Contracts: the list, create (and activate at once), the card with its ledger, and the state
//! machine draft → active → suspended ⇄ active → terminated.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_status;
use super::sims::SimDto;
use super::subscribers::SubscriberDto;
use super::tariffs::TariffDto;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{ContractId, SimId, SubscriberId, TariffId};
use crate::telecom;
use crate::telecom::contracts::{self, ContractDraft};
use crate::telecom::model::{Contract, ContractStatus, Entry, Suspension};
use crate::telecom::print;
use crate::telecom::query::{self, ContractRow};
use crate::tenancy::perms::Perm;

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
                Suspension::Manual => "manual".into(),
                Suspension::Balance => "balance".into(),
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
    telecom::require(&a.actor, &[Perm::TELECOM_SIMS])?;
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

pub fn entry_dto(seq: u64, e: &Entry) -> EntryDto {
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

#[utoipa::path(get, path = "/api/v1/telecom/contracts/{id}/contract.pdf", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "the printable contract", content_type = "application/pdf"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn contract_pdf(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Response> {
    let doc = print::contract_document(&app.db.read()?, &a.actor, ContractId(id))?;
    Ok(crate::http::shared::pdf_download(&format!("contract-{id}.pdf"), print::pdf(&doc)?))
}

#[utoipa::path(get, path = "/api/v1/telecom/contracts/{id}/receipts/{seq}", tag = "telecom", security(("bearer" = [])),
    params(("id" = u64, Path), ("seq" = u64, Path, description = "the payment's ledger row")),
    responses((status = 200, description = "the payment receipt", content_type = "application/pdf"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn receipt_pdf(State(app): State<App>, a: Auth, Path((id, seq)): Path<(u64, u64)>) -> Result<Response> {
    let doc = print::receipt_document(&app.db.read()?, &a.actor, ContractId(id), seq)?;
    Ok(crate::http::shared::pdf_download(&format!("receipt-{id}-{seq}.pdf"), print::pdf(&doc)?))
}

/// This file's routes for a signed-in caller.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(contracts_list, create_contract))
        .routes(routes!(contract))
        .routes(routes!(activate))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(terminate))
        .routes(routes!(contract_pdf))
        .routes(routes!(receipt_pdf))
}
