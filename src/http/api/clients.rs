//! Clients, their debts (ledger, payments), installment deals, "clients with debts" and the
//! reconciliation statement (JSON and PDF).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::clients::deals::{self, DealDraft, DealPayDraft};
use crate::clients::model::{Client, Deal, DealPaymentKind, DebtBalance, DebtEntry};
use crate::clients::{self, ClientDraft, DebtPaymentDraft, statement};
use crate::error::Result;
use crate::http::api::sales::SaleDto;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{CashBoxId, ClientId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct ClientLegalDto {
    pub inn: String,
    pub okpo: String,
    pub bank: String,
    pub bik: String,
    pub account: String,
    pub address: String,
}

#[derive(Serialize, ToSchema)]
pub struct ClientDto {
    pub id: u64,
    /// client, supplier, consignee, contractor
    pub kind: String,
    pub name: String,
    /// E.164
    pub phone: Option<String>,
    pub email: Option<String>,
    pub legal: ClientLegalDto,
    pub notes: String,
    pub archived: bool,
    pub created: String,
}

impl From<&Client> for ClientDto {
    fn from(c: &Client) -> Self {
        ClientDto {
            id: c.id.0,
            kind: c.kind.code().into(),
            name: c.name.clone(),
            phone: c.phone.clone(),
            email: c.email.clone(),
            legal: ClientLegalDto {
                inn: c.legal.inn.clone(),
                okpo: c.legal.okpo.clone(),
                bank: c.legal.bank.clone(),
                bik: c.legal.bik.clone(),
                account: c.legal.account.clone(),
                address: c.legal.address.clone(),
            },
            notes: c.notes.clone(),
            archived: c.archived,
            created: c.created.rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SavedClientDto {
    pub client: ClientDto,
    /// Other clients with the same phone or e-mail: a warning, the client is saved anyway.
    pub duplicates: Vec<ClientDto>,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ClientInput {
    pub kind: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub inn: String,
    pub okpo: String,
    pub bank: String,
    pub bik: String,
    pub account: String,
    pub address: String,
    pub notes: String,
}

impl From<ClientInput> for ClientDraft {
    fn from(i: ClientInput) -> Self {
        ClientDraft {
            kind: i.kind,
            name: i.name,
            phone: i.phone,
            email: i.email,
            inn: i.inn,
            okpo: i.okpo,
            bank: i.bank,
            bik: i.bik,
            account: i.account,
            address: i.address,
            notes: i.notes,
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ClientQuery {
    /// Picker: prefix of a name word, phone digits or e-mail (every word must match).
    pub q: Option<String>,
    /// Paging without `q`: clients with ids above this one.
    pub after: Option<u64>,
    pub limit: Option<usize>,
    pub archived: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", security(("bearer" = [])), params(ClientQuery),
    responses((status = 200, body = Vec<ClientDto>), (status = 403, body = Problem)))]
pub async fn list(State(app): State<App>, a: Auth, Query(q): Query<ClientQuery>) -> Result<Json<Vec<ClientDto>>> {
    clients::require_read(&a.actor)?;
    let tx = app.db.read()?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let found = match q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => clients::pick(&tx, a.actor.company, text, limit)?,
        None => clients::list(&tx, a.actor.company, q.after.unwrap_or(0), limit, q.archived.unwrap_or(false))?,
    };
    Ok(Json(found.iter().map(ClientDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", security(("bearer" = [])), request_body = ClientInput,
    responses((status = 201, body = SavedClientDto), (status = 422, body = Problem)))]
pub async fn create(State(app): State<App>, a: Auth, Json(i): Json<ClientInput>) -> Result<(StatusCode, Json<SavedClientDto>)> {
    Ok((StatusCode::CREATED, Json(save(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/clients/{id}", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)), request_body = ClientInput,
    responses((status = 200, body = SavedClientDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<ClientInput>) -> Result<Json<SavedClientDto>> {
    Ok(Json(save(app, a, Some(ClientId(id)), i).await?))
}

async fn save(app: App, a: Auth, id: Option<ClientId>, i: ClientInput) -> Result<SavedClientDto> {
    let now = app.now();
    let d = ClientDraft::from(i);
    let (c, dups) = app.db.write(move |tx| clients::save_client(tx, &a.actor, now, id, &d)).await?;
    Ok(SavedClientDto { client: ClientDto::from(&c), duplicates: dups.iter().map(ClientDto::from).collect() })
}

#[derive(Serialize, ToSchema)]
pub struct ClientCardDto {
    pub client: ClientDto,
    /// What the client owes on the debt ledger.
    pub debt: String,
    /// Unpaid installments of debt deals.
    pub deals_remaining: String,
}

#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ClientCardDto), (status = 404, body = Problem)))]
pub async fn get(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ClientCardDto>> {
    clients::require_read(&a.actor)?;
    let tx = app.db.read()?;
    let c = clients::read_client(&tx, &a.actor, ClientId(id))?;
    let bal = clients::balance(&tx, a.actor.company, c.id)?;
    let remaining: Decimal = deals::client_deals(&tx, a.actor.company, c.id)?.iter().map(Deal::remaining).sum();
    Ok(Json(ClientCardDto {
        client: ClientDto::from(&c),
        debt: crate::money::round_money(bal.owed).to_string(),
        deals_remaining: crate::money::round_money(remaining).to_string(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/clients/{id}", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| clients::delete(tx, &a.actor, now, ClientId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/archive", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ClientDto), (status = 404, body = Problem)))]
pub async fn archive(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ClientDto>> {
    let now = app.now();
    let c = app.db.write(move |tx| clients::set_archived(tx, &a.actor, now, ClientId(id), true)).await?;
    Ok(Json(ClientDto::from(&c)))
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/restore", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ClientDto), (status = 404, body = Problem)))]
pub async fn restore(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ClientDto>> {
    let now = app.now();
    let c = app.db.write(move |tx| clients::set_archived(tx, &a.actor, now, ClientId(id), false)).await?;
    Ok(Json(ClientDto::from(&c)))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/sales", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<SaleDto>), (status = 404, body = Problem)))]
pub async fn sales(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<SaleDto>>> {
    clients::require_read(&a.actor)?;
    let tx = app.db.read()?;
    let c = clients::read_client(&tx, &a.actor, ClientId(id))?;
    Ok(Json(crate::pos::client_purchases(&tx, a.actor.company, c.id, 200)?.iter().map(SaleDto::from).collect()))
}

// ---- debts ----

#[derive(Serialize, ToSchema)]
pub struct DebtEntryDto {
    pub seq: u64,
    /// sale, manual, payment, reversal
    pub kind: String,
    /// Signed: positive grows the debt.
    pub amount: String,
    pub at: String,
    pub sale: Option<u64>,
    pub shift: Option<u64>,
    pub method: String,
    pub note: String,
    pub due: Option<String>,
}

fn entry_dto(seq: u64, e: &DebtEntry) -> DebtEntryDto {
    DebtEntryDto {
        seq,
        kind: e.kind.code().into(),
        amount: e.amount.to_string(),
        at: e.at.rfc3339(),
        sale: e.sale.map(|s| s.0),
        shift: e.shift.map(|s| s.0),
        method: e.method.clone(),
        note: e.note.clone(),
        due: e.due.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct DebtsDto {
    pub balance: String,
    pub entries: Vec<DebtEntryDto>,
}

#[derive(Serialize, ToSchema)]
pub struct DebtMoveDto {
    pub entry: DebtEntryDto,
    pub balance: String,
}

fn move_dto(seq: u64, e: &DebtEntry, b: &DebtBalance) -> DebtMoveDto {
    DebtMoveDto { entry: entry_dto(seq, e), balance: crate::money::round_money(b.owed).to_string() }
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/debts", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = DebtsDto), (status = 404, body = Problem)))]
pub async fn debts(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<DebtsDto>> {
    clients::require_read(&a.actor)?;
    let tx = app.db.read()?;
    let c = clients::read_client(&tx, &a.actor, ClientId(id))?;
    let bal = clients::balance(&tx, a.actor.company, c.id)?;
    let entries = clients::ledger(&tx, a.actor.company, c.id)?.iter().map(|(s, e)| entry_dto(*s, e)).collect();
    Ok(Json(DebtsDto { balance: crate::money::round_money(bal.owed).to_string(), entries }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ManualDebtInput {
    pub amount: String,
    /// YYYY-MM-DD
    pub due: String,
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/debts", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)), request_body = ManualDebtInput,
    responses((status = 201, body = DebtMoveDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_debt(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<ManualDebtInput>,
) -> Result<(StatusCode, Json<DebtMoveDto>)> {
    let now = app.now();
    let (s, e, b) = app.db.write(move |tx| clients::add_manual_debt(tx, &a.actor, now, ClientId(id), &i.amount, &i.due, &i.note)).await?;
    Ok((StatusCode::CREATED, Json(move_dto(s, &e, &b))))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DebtPaymentInput {
    pub idempotency_key: String,
    pub amount: String,
    /// cash (needs cash_box: the cashier's open shift there takes the money), card, transfer or a wallet
    pub method: String,
    pub cash_box: Option<u64>,
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/debts/payments", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)), request_body = DebtPaymentInput,
    responses((status = 201, body = DebtMoveDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pay_debt(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<DebtPaymentInput>,
) -> Result<(StatusCode, Json<DebtMoveDto>)> {
    let now = app.now();
    let d =
        DebtPaymentDraft { key: i.idempotency_key, amount: i.amount, method: i.method, cash_box: i.cash_box.map(CashBoxId), note: i.note };
    let (s, e, b) = app.db.write(move |tx| clients::pay_debt(tx, &a.actor, now, ClientId(id), &d)).await?;
    Ok((StatusCode::CREATED, Json(move_dto(s, &e, &b))))
}

#[derive(Serialize, ToSchema)]
pub struct DebtorDto {
    pub client: ClientDto,
    pub debts: String,
    pub deals: String,
    pub overdue: String,
    pub total: String,
}

#[utoipa::path(get, path = "/api/v1/debtors", tag = "clients", security(("bearer" = [])),
    responses((status = 200, body = Vec<DebtorDto>)))]
pub async fn debtors(State(app): State<App>, a: Auth) -> Result<Json<Vec<DebtorDto>>> {
    clients::require_read(&a.actor)?;
    let tx = app.db.read()?;
    let tz = crate::tenancy::timezone(&tx, a.actor.company)?;
    let today = app.now().date_local(&tz);
    let rows = clients::debtors(&tx, a.actor.company, &today)?;
    Ok(Json(
        rows.iter()
            .map(|d| DebtorDto {
                client: ClientDto::from(&d.client),
                debts: d.debts.to_string(),
                deals: d.deals.to_string(),
                overdue: d.overdue.to_string(),
                total: d.total().to_string(),
            })
            .collect(),
    ))
}

// ---- deals ----

#[derive(Serialize, ToSchema)]
pub struct InstallmentDto {
    pub number: u32,
    pub due: String,
    pub amount: String,
    pub balance_after: String,
    pub paid: String,
    pub paid_on: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct DealPaymentDto {
    /// pay or refund
    pub kind: String,
    pub installment: u32,
    pub amount: String,
    pub date: String,
    pub idempotency_key: String,
}

#[derive(Serialize, ToSchema)]
pub struct DealDto {
    pub id: u64,
    pub client: u64,
    /// amount, sale, debt, prepayment
    pub kind: String,
    pub title: String,
    pub amount: String,
    pub prepayment: String,
    pub debt: String,
    pub paid: String,
    pub remaining: String,
    pub months: u32,
    pub first_due: String,
    /// Terms can no longer change (payments exist).
    pub frozen: bool,
    pub installments: Vec<InstallmentDto>,
    pub payments: Vec<DealPaymentDto>,
}

impl From<&Deal> for DealDto {
    fn from(d: &Deal) -> Self {
        DealDto {
            id: d.id,
            client: d.client.0,
            kind: d.kind.code().into(),
            title: d.title.clone(),
            amount: d.amount.to_string(),
            prepayment: d.prepayment.to_string(),
            debt: d.debt().to_string(),
            paid: crate::money::round_money(d.paid()).to_string(),
            remaining: crate::money::round_money(d.remaining()).to_string(),
            months: d.months,
            first_due: d.first_due.clone(),
            frozen: d.frozen(),
            installments: d
                .installments
                .iter()
                .map(|i| InstallmentDto {
                    number: i.number,
                    due: i.due.clone(),
                    amount: i.amount.to_string(),
                    balance_after: i.balance_after.to_string(),
                    paid: i.paid.to_string(),
                    paid_on: i.paid_on.clone(),
                })
                .collect(),
            payments: d
                .payments
                .iter()
                .map(|p| DealPaymentDto {
                    kind: if p.kind == DealPaymentKind::Pay { "pay".into() } else { "refund".into() },
                    installment: p.installment,
                    amount: p.amount.to_string(),
                    date: p.date.clone(),
                    idempotency_key: p.key.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DealInput {
    /// amount, sale, debt (default), prepayment
    pub kind: String,
    pub title: String,
    pub amount: String,
    pub prepayment: String,
    pub months: u32,
    /// YYYY-MM-DD; empty = today + 1 month
    pub first_due: String,
}

impl From<DealInput> for DealDraft {
    fn from(i: DealInput) -> Self {
        DealDraft { kind: i.kind, title: i.title, amount: i.amount, prepayment: i.prepayment, months: i.months, first_due: i.first_due }
    }
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/deals", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<DealDto>), (status = 404, body = Problem)))]
pub async fn client_deals(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<DealDto>>> {
    clients::require_read(&a.actor)?;
    let tx = app.db.read()?;
    let c = clients::read_client(&tx, &a.actor, ClientId(id))?;
    Ok(Json(deals::client_deals(&tx, a.actor.company, c.id)?.iter().map(DealDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/clients/{id}/deals", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)), request_body = DealInput,
    responses((status = 201, body = DealDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_deal(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<DealInput>,
) -> Result<(StatusCode, Json<DealDto>)> {
    let now = app.now();
    let d = DealDraft::from(i);
    let deal = app.db.write(move |tx| deals::create_deal(tx, &a.actor, now, ClientId(id), &d)).await?;
    Ok((StatusCode::CREATED, Json(DealDto::from(&deal))))
}

#[utoipa::path(get, path = "/api/v1/deals/{id}", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = DealDto), (status = 404, body = Problem)))]
pub async fn get_deal(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<DealDto>> {
    clients::require_read(&a.actor)?;
    Ok(Json(DealDto::from(&deals::read_deal(&app.db.read()?, &a.actor, id)?)))
}

#[utoipa::path(put, path = "/api/v1/deals/{id}", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)), request_body = DealInput,
    responses((status = 200, body = DealDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_deal(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<DealInput>) -> Result<Json<DealDto>> {
    let now = app.now();
    let d = DealDraft::from(i);
    let deal = app.db.write(move |tx| deals::update_deal(tx, &a.actor, now, id, &d)).await?;
    Ok(Json(DealDto::from(&deal)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DealPayInput {
    pub idempotency_key: String,
    /// Pay: the installment number (default: the lowest unpaid one). Ignored by refunds.
    pub installment: Option<u32>,
    /// Default: the installment's remainder (pay) or what was paid on it (refund).
    pub amount: String,
}

impl From<DealPayInput> for DealPayDraft {
    fn from(i: DealPayInput) -> Self {
        DealPayDraft { key: i.idempotency_key, installment: i.installment, amount: i.amount }
    }
}

#[utoipa::path(post, path = "/api/v1/deals/{id}/pay", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)), request_body = DealPayInput,
    responses((status = 200, body = DealDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pay_deal(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<DealPayInput>) -> Result<Json<DealDto>> {
    let now = app.now();
    let d = DealPayDraft::from(i);
    let deal = app.db.write(move |tx| deals::pay(tx, &a.actor, now, id, &d)).await?;
    Ok(Json(DealDto::from(&deal)))
}

#[utoipa::path(post, path = "/api/v1/deals/{id}/refund", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path)), request_body = DealPayInput,
    responses((status = 200, body = DealDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn refund_deal(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<DealPayInput>) -> Result<Json<DealDto>> {
    let now = app.now();
    let d = DealPayDraft::from(i);
    let deal = app.db.write(move |tx| deals::refund(tx, &a.actor, now, id, &d)).await?;
    Ok(Json(DealDto::from(&deal)))
}

// ---- the reconciliation statement ----

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PeriodQuery {
    /// YYYY-MM-DD; default: when the client was created.
    pub from: Option<String>,
    /// YYYY-MM-DD; default: today.
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct StatementRowDto {
    pub date: String,
    pub document: String,
    pub debit: String,
    pub credit: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatementDto {
    pub company: String,
    pub client: ClientDto,
    pub from: String,
    pub to: String,
    pub currency: String,
    /// Positive: the client owes the company.
    pub opening: String,
    pub rows: Vec<StatementRowDto>,
    pub debit: String,
    pub credit: String,
    pub closing: String,
}

pub fn statement_of(app: &App, a: &Auth, id: u64, q: &PeriodQuery) -> Result<statement::Statement> {
    statement::build(&app.db.read()?, &a.actor, app.now(), ClientId(id), q.from.as_deref().unwrap_or(""), q.to.as_deref().unwrap_or(""))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/statement", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path), PeriodQuery),
    responses((status = 200, body = StatementDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn statement_json(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Query(q): Query<PeriodQuery>,
) -> Result<Json<StatementDto>> {
    let s = statement_of(&app, &a, id, &q)?;
    Ok(Json(StatementDto {
        company: s.company.clone(),
        client: ClientDto::from(&s.client),
        from: s.from.clone(),
        to: s.to.clone(),
        currency: s.currency.into(),
        opening: s.opening.to_string(),
        rows: s
            .rows
            .iter()
            .map(|r| StatementRowDto {
                date: r.date.clone(),
                document: r.document.clone(),
                debit: r.debit.to_string(),
                credit: r.credit.to_string(),
            })
            .collect(),
        debit: s.debit.to_string(),
        credit: s.credit.to_string(),
        closing: s.closing.to_string(),
    }))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}/statement.pdf", tag = "clients", security(("bearer" = [])), params(("id" = u64, Path), PeriodQuery),
    responses((status = 200, description = "the statement as PDF", content_type = "application/pdf"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn statement_pdf(State(app): State<App>, a: Auth, Path(id): Path<u64>, Query(q): Query<PeriodQuery>) -> Result<Response> {
    let s = statement_of(&app, &a, id, &q)?;
    pdf_response(&s)
}

pub fn pdf_response(s: &statement::Statement) -> Result<Response> {
    let name = format!("akt-sverki-{}-{}-{}.pdf", s.client.id, s.from, s.to);
    Ok(crate::http::shared::pdf_download(&name, statement::pdf(s)?))
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(get, put, delete))
        .routes(routes!(archive))
        .routes(routes!(restore))
        .routes(routes!(sales))
        .routes(routes!(debts, add_debt))
        .routes(routes!(pay_debt))
        .routes(routes!(client_deals, create_deal))
        .routes(routes!(statement_json))
        .routes(routes!(statement_pdf))
        .routes(routes!(debtors))
        .routes(routes!(get_deal, put_deal))
        .routes(routes!(pay_deal))
        .routes(routes!(refund_deal))
}
