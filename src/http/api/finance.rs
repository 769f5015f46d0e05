//! Finance under `/api/v1/finance/`: accounts with balances (and at a date), an account's
//! ledger, bank accounts, money documents (create idempotently, approve / reject one or many,
//! reverse), categories, settings, the money journal (JSON and XLSX) and the cash-box summary.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::error::{Error, Result};
use crate::finance::model::{AccountRef, AccountRow, BankAccount, FinanceSettings, MoneyDoc};
use crate::finance::query::{self, DocFilter, JournalAsk};
use crate::finance::{self, BankAccountDraft, MoneyDocForm};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{AccountId, BranchId, CashBoxId, MoneyDocId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct MoneyAccountDto {
    /// "box:ID" (a cash box) or "bank:ID".
    pub account: String,
    pub name: String,
    pub branch: Option<u64>,
    pub active: bool,
    pub balance: String,
    /// At the end of the asked day (`at`), when asked.
    pub balance_at: Option<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MoneyAccountsQuery {
    /// YYYY-MM-DD: also the balance at the end of that day.
    pub at: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/finance/accounts", tag = "finance", security(("bearer" = [])), params(MoneyAccountsQuery),
    responses((status = 200, body = Vec<MoneyAccountDto>), (status = 403, body = Problem)))]
pub async fn accounts(State(app): State<App>, a: Auth, Query(q): Query<MoneyAccountsQuery>) -> Result<Json<Vec<MoneyAccountDto>>> {
    let at = match q.at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(finance::parse_day(raw)?),
        None => None,
    };
    let tx = app.db.read()?;
    let list = query::accounts(&tx, &a.actor, at)?;
    Ok(Json(
        list.into_iter()
            .map(|v| MoneyAccountDto {
                account: v.account.code(),
                name: v.name,
                branch: v.branch.map(|b| b.0),
                active: v.active,
                balance: format!("{:.2}", v.balance),
                balance_at: v.balance_at.map(|b| format!("{b:.2}")),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct MoneyBankAccountDto {
    pub id: u64,
    pub name: String,
    pub branch: Option<u64>,
    pub details: String,
    pub active: bool,
}

impl From<&BankAccount> for MoneyBankAccountDto {
    fn from(b: &BankAccount) -> Self {
        MoneyBankAccountDto {
            id: b.id.0,
            name: b.name.clone(),
            branch: b.branch.map(|x| x.0),
            details: b.details.clone(),
            active: b.active,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyBankAccountInput {
    pub name: String,
    #[serde(default)]
    pub branch: Option<u64>,
    #[serde(default)]
    pub details: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl From<MoneyBankAccountInput> for BankAccountDraft {
    fn from(i: MoneyBankAccountInput) -> Self {
        BankAccountDraft { name: i.name, branch: i.branch.map(BranchId), details: i.details, active: i.active }
    }
}

#[utoipa::path(post, path = "/api/v1/finance/bank-accounts", tag = "finance", security(("bearer" = [])), request_body = MoneyBankAccountInput,
    responses((status = 201, body = MoneyBankAccountDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_bank_account(
    State(app): State<App>,
    a: Auth,
    Json(i): Json<MoneyBankAccountInput>,
) -> Result<(StatusCode, Json<MoneyBankAccountDto>)> {
    let now = app.now();
    let d = BankAccountDraft::from(i);
    let b = app.db.write(move |tx| finance::save_bank_account(tx, &a.actor, now, None, &d)).await?;
    Ok((StatusCode::CREATED, Json(MoneyBankAccountDto::from(&b))))
}

#[utoipa::path(get, path = "/api/v1/finance/bank-accounts/{id}", tag = "finance", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = MoneyBankAccountDto), (status = 404, body = Problem)))]
pub async fn get_bank_account(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<MoneyBankAccountDto>> {
    let tx = app.db.read()?;
    Ok(Json(MoneyBankAccountDto::from(&query::bank_account(&tx, &a.actor, AccountId(id))?)))
}

#[utoipa::path(put, path = "/api/v1/finance/bank-accounts/{id}", tag = "finance", security(("bearer" = [])), params(("id" = u64, Path)), request_body = MoneyBankAccountInput,
    responses((status = 200, body = MoneyBankAccountDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_bank_account(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<MoneyBankAccountInput>,
) -> Result<Json<MoneyBankAccountDto>> {
    let now = app.now();
    let d = BankAccountDraft::from(i);
    let b = app.db.write(move |tx| finance::save_bank_account(tx, &a.actor, now, Some(AccountId(id)), &d)).await?;
    Ok(Json(MoneyBankAccountDto::from(&b)))
}

#[derive(Serialize, ToSchema)]
pub struct MoneyLedgerRowDto {
    pub seq: u64,
    pub at: String,
    pub amount: String,
    /// sale, refund, cash_in, cash_out, debt_payment, income, expense, transfer_in,
    /// transfer_out, shift_difference
    pub kind: String,
    pub category: String,
    pub reference: String,
    pub counterparty: Option<u64>,
    pub user: u64,
}

fn row_dto(seq: u64, r: &AccountRow) -> MoneyLedgerRowDto {
    MoneyLedgerRowDto {
        seq,
        at: r.at.rfc3339(),
        amount: r.amount.to_string(),
        kind: r.kind.code().into(),
        category: r.category.clone(),
        reference: r.reference.clone(),
        counterparty: r.counterparty.map(|c| c.0),
        user: r.user.0,
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MoneyLedgerQuery {
    /// "box:ID" or "bank:ID".
    pub account: String,
    /// Rows older than this sequence number (the last `seq` of the previous page).
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/finance/ledger", tag = "finance", security(("bearer" = [])), params(MoneyLedgerQuery),
    responses((status = 200, body = Vec<MoneyLedgerRowDto>), (status = 404, body = Problem)))]
pub async fn ledger(State(app): State<App>, a: Auth, Query(q): Query<MoneyLedgerQuery>) -> Result<Json<Vec<MoneyLedgerRowDto>>> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let account = AccountRef::parse(&q.account).ok_or(Error::NotFound)?;
    let tx = app.db.read()?;
    let rows = query::ledger(&tx, &a.actor, account, q.before, q.limit.unwrap_or(100))?;
    Ok(Json(rows.iter().map(|(seq, r)| row_dto(*seq, r)).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct MoneyDocDto {
    pub id: u64,
    pub number: String,
    /// income, expense, transfer
    pub kind: String,
    /// pending, approved, rejected, reversed
    pub status: String,
    pub account: String,
    pub to_account: Option<String>,
    pub amount: String,
    pub category: String,
    pub counterparty: Option<u64>,
    pub reference: String,
    pub memo: String,
    pub date: String,
    pub created: String,
    pub created_by: u64,
    pub decided: Option<String>,
    pub decided_by: Option<u64>,
    pub reverses: Option<u64>,
    pub reversed_by: Option<u64>,
}

impl From<&MoneyDoc> for MoneyDocDto {
    fn from(d: &MoneyDoc) -> Self {
        MoneyDocDto {
            id: d.id.0,
            number: d.number.clone(),
            kind: d.kind.code().into(),
            status: d.status.code().into(),
            account: d.account.code(),
            to_account: d.to_account.map(AccountRef::code),
            amount: d.amount.to_string(),
            category: d.category.clone(),
            counterparty: d.counterparty.map(|c| c.0),
            reference: d.reference.clone(),
            memo: d.memo.clone(),
            date: d.date.rfc3339(),
            created: d.created.rfc3339(),
            created_by: d.created_by.0,
            decided: d.decided.map(|(t, _)| t.rfc3339()),
            decided_by: d.decided.map(|(_, u)| u.0),
            reverses: d.reverses.map(|r| r.0),
            reversed_by: d.reversed_by.map(|r| r.0),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MoneyDocsQuery {
    /// pending, approved, rejected, reversed
    pub status: Option<String>,
    /// income, expense, transfer
    pub kind: Option<String>,
    /// "box:ID" or "bank:ID"
    pub account: Option<String>,
    /// Documents older than this id (paging).
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

fn bad(field: &str) -> Error {
    Error::field(field, "unknown_value", "Неизвестное значение", "Unknown value")
}

#[utoipa::path(get, path = "/api/v1/finance/docs", tag = "finance", security(("bearer" = [])), params(MoneyDocsQuery),
    responses((status = 200, body = Vec<MoneyDocDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn docs(State(app): State<App>, a: Auth, Query(q): Query<MoneyDocsQuery>) -> Result<Json<Vec<MoneyDocDto>>> {
    let f = doc_filter(&q)?;
    let tx = app.db.read()?;
    Ok(Json(query::money_docs(&tx, &a.actor, &f)?.iter().map(MoneyDocDto::from).collect()))
}

pub fn doc_filter(q: &MoneyDocsQuery) -> Result<DocFilter> {
    let some = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let status = match some(&q.status) {
        Some(s) => Some(crate::finance::model::MoneyDocStatus::parse(&s).ok_or_else(|| bad("status"))?),
        None => None,
    };
    let kind = match some(&q.kind) {
        Some(s) => Some(crate::finance::model::MoneyDocKind::parse(&s).ok_or_else(|| bad("kind"))?),
        None => None,
    };
    let account = match some(&q.account) {
        Some(s) => Some(AccountRef::parse(&s).ok_or_else(|| bad("account"))?),
        None => None,
    };
    Ok(DocFilter { status, kind, account, before: q.before.map(MoneyDocId), limit: q.limit })
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MoneyDocInput {
    /// income, expense, transfer
    pub kind: String,
    /// "box:ID" or "bank:ID"
    pub account: String,
    /// For transfers: the receiving account.
    pub to_account: String,
    pub amount: String,
    /// A category code (rent, salary, utilities, supplier, taxes, other, or a company's own).
    pub category: String,
    /// A client or supplier id.
    pub counterparty: Option<u64>,
    pub memo: String,
    /// YYYY-MM-DD (company time zone); empty = now.
    pub date: String,
    /// Required here or as the `Idempotency-Key` header: a retry returns the first document.
    pub idempotency_key: String,
}

#[utoipa::path(post, path = "/api/v1/finance/docs", tag = "finance", security(("bearer" = [])), request_body = MoneyDocInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "or `idempotency_key` in the body")),
    responses((status = 201, body = MoneyDocDto), (status = 403, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_doc(
    State(app): State<App>,
    a: Auth,
    headers: HeaderMap,
    Json(i): Json<MoneyDocInput>,
) -> Result<(StatusCode, Json<MoneyDocDto>)> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let now = app.now();
    let key = match headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        Some(k) => k.to_string(),
        None => i.idempotency_key.clone(),
    };
    let form = MoneyDocForm {
        kind: i.kind,
        account: i.account,
        to_account: i.to_account,
        amount: i.amount,
        category: i.category,
        counterparty: i.counterparty,
        memo: i.memo,
        date: i.date,
    };
    let doc = app
        .db
        .write(move |tx| {
            let d = form.parse(tx, a.actor.company)?;
            finance::create_money_doc_once(tx, &a.actor, now, &key, &d)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(MoneyDocDto::from(&doc))))
}

#[utoipa::path(get, path = "/api/v1/finance/docs/{id}", tag = "finance", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = MoneyDocDto), (status = 404, body = Problem)))]
pub async fn get_doc(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<MoneyDocDto>> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let tx = app.db.read()?;
    Ok(Json(MoneyDocDto::from(&finance::money_doc(&tx, &a.actor, MoneyDocId(id))?)))
}

async fn decide_one(app: App, a: Auth, id: u64, approve: bool) -> Result<Json<MoneyDocDto>> {
    let now = app.now();
    let doc = app.db.write(move |tx| finance::decide(tx, &a.actor, now, MoneyDocId(id), approve)).await?;
    Ok(Json(MoneyDocDto::from(&doc)))
}

#[utoipa::path(post, path = "/api/v1/finance/docs/{id}/approve", tag = "finance", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = MoneyDocDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<MoneyDocDto>> {
    decide_one(app, a, id, true).await
}

#[utoipa::path(post, path = "/api/v1/finance/docs/{id}/reject", tag = "finance", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = MoneyDocDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reject(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<MoneyDocDto>> {
    decide_one(app, a, id, false).await
}

#[utoipa::path(post, path = "/api/v1/finance/docs/{id}/reverse", tag = "finance", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = MoneyDocDto, description = "the reversal document"), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reverse(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<MoneyDocDto>> {
    let now = app.now();
    let doc = app.db.write(move |tx| finance::reverse(tx, &a.actor, now, MoneyDocId(id))).await?;
    Ok(Json(MoneyDocDto::from(&doc)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyDecideInput {
    pub ids: Vec<u64>,
    pub approve: bool,
}

/// Approves or rejects many documents in one transaction: all, or none with the first refusal.
#[utoipa::path(post, path = "/api/v1/finance/docs/decide", tag = "finance", security(("bearer" = [])), request_body = MoneyDecideInput,
    responses((status = 200, body = Vec<MoneyDocDto>), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn decide_many(State(app): State<App>, a: Auth, Json(i): Json<MoneyDecideInput>) -> Result<Json<Vec<MoneyDocDto>>> {
    let now = app.now();
    let ids: Vec<MoneyDocId> = i.ids.into_iter().map(MoneyDocId).collect();
    let docs = app.db.write(move |tx| finance::decide_many(tx, &a.actor, now, &ids, i.approve)).await?;
    Ok(Json(docs.iter().map(MoneyDocDto::from).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct MoneyCategoryDto {
    pub code: String,
    pub name: String,
    pub builtin: bool,
    pub archived: bool,
}

#[utoipa::path(get, path = "/api/v1/finance/categories", tag = "finance", security(("bearer" = [])),
    responses((status = 200, body = Vec<MoneyCategoryDto>), (status = 403, body = Problem)))]
pub async fn categories(State(app): State<App>, a: Auth) -> Result<Json<Vec<MoneyCategoryDto>>> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let tx = app.db.read()?;
    let list = query::categories(&tx, a.actor.company, a.actor.lang)?;
    Ok(Json(list.into_iter().map(|c| MoneyCategoryDto { code: c.code, name: c.name, builtin: c.builtin, archived: c.archived }).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyCategoryInput {
    /// Empty: a new category; else the code to rename or archive.
    #[serde(default)]
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub archived: bool,
}

#[utoipa::path(post, path = "/api/v1/finance/categories", tag = "finance", security(("bearer" = [])), request_body = MoneyCategoryInput,
    responses((status = 200, body = MoneyCategoryDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn save_category(State(app): State<App>, a: Auth, Json(i): Json<MoneyCategoryInput>) -> Result<Json<MoneyCategoryDto>> {
    let now = app.now();
    let c = app.db.write(move |tx| finance::save_category(tx, &a.actor, now, &i.code, &i.name, i.archived)).await?;
    Ok(Json(MoneyCategoryDto { code: c.code, name: c.name, builtin: c.builtin, archived: c.archived }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FinanceSettingsDto {
    /// Every money document waits for a decision, even one by a user who may approve.
    pub require_approval: bool,
}

#[utoipa::path(get, path = "/api/v1/finance/settings", tag = "finance", security(("bearer" = [])),
    responses((status = 200, body = FinanceSettingsDto), (status = 403, body = Problem)))]
pub async fn get_settings(State(app): State<App>, a: Auth) -> Result<Json<FinanceSettingsDto>> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let s: FinanceSettings = finance::settings(&app.db.read()?, a.actor.company)?;
    Ok(Json(FinanceSettingsDto { require_approval: s.require_approval }))
}

#[utoipa::path(put, path = "/api/v1/finance/settings", tag = "finance", security(("bearer" = [])), request_body = FinanceSettingsDto,
    responses((status = 200, body = FinanceSettingsDto), (status = 403, body = Problem)))]
pub async fn put_settings(State(app): State<App>, a: Auth, Json(i): Json<FinanceSettingsDto>) -> Result<Json<FinanceSettingsDto>> {
    let now = app.now();
    let s = app.db.write(move |tx| finance::set_settings(tx, &a.actor, now, i.require_approval)).await?;
    Ok(Json(FinanceSettingsDto { require_approval: s.require_approval }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NonCashAccountDto {
    /// The bank account id that takes card, transfer and wallet payments at the tills; null:
    /// they are not put on an account.
    pub account: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/finance/noncash-account", tag = "finance", security(("bearer" = [])),
    responses((status = 200, body = NonCashAccountDto), (status = 403, body = Problem)))]
pub async fn get_noncash(State(app): State<App>, a: Auth) -> Result<Json<NonCashAccountDto>> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let account = finance::noncash_account(&app.db.read()?, a.actor.company)?;
    Ok(Json(NonCashAccountDto { account: account.map(|a| a.0) }))
}

#[utoipa::path(put, path = "/api/v1/finance/noncash-account", tag = "finance", security(("bearer" = [])), request_body = NonCashAccountDto,
    responses((status = 200, body = NonCashAccountDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_noncash(State(app): State<App>, a: Auth, Json(i): Json<NonCashAccountDto>) -> Result<Json<NonCashAccountDto>> {
    a.actor.require_owner_like()?;
    let now = app.now();
    let account = app.db.write(move |tx| finance::set_noncash_account(tx, &a.actor, now, i.account.map(crate::ids::AccountId))).await?;
    Ok(Json(NonCashAccountDto { account: account.map(|a| a.0) }))
}

#[derive(Debug, Default, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MoneyJournalQuery {
    /// First day, YYYY-MM-DD (company time zone).
    pub from: Option<String>,
    /// Last day, inclusive.
    pub to: Option<String>,
    /// "box:ID" or "bank:ID"
    pub account: Option<String>,
    /// A row kind: sale, refund, cash_in, cash_out, debt_payment, income, expense,
    /// transfer_in, transfer_out, shift_difference.
    pub kind: Option<String>,
    pub category: Option<String>,
    pub counterparty: Option<u64>,
    pub author: Option<u64>,
    /// The status of the row's document (rows without one count as approved); `pending` and
    /// `rejected` list those documents, which moved no money yet.
    pub status: Option<String>,
    pub offset: Option<usize>,
    pub limit: Option<usize>,
}

impl From<&MoneyJournalQuery> for JournalAsk {
    fn from(q: &MoneyJournalQuery) -> JournalAsk {
        JournalAsk {
            from: q.from.clone().unwrap_or_default(),
            to: q.to.clone().unwrap_or_default(),
            account: q.account.clone().unwrap_or_default(),
            kind: q.kind.clone().unwrap_or_default(),
            category: q.category.clone().unwrap_or_default(),
            counterparty: q.counterparty,
            author: q.author,
            status: q.status.clone().unwrap_or_default(),
            offset: q.offset.unwrap_or(0),
            limit: q.limit,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MoneyJournalRowDto {
    pub account: String,
    #[serde(flatten)]
    pub row: MoneyLedgerRowDto,
    pub doc: Option<u64>,
    pub doc_number: Option<String>,
    /// The document's status; "approved" for rows no document made.
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct MoneyJournalDto {
    pub rows: Vec<MoneyJournalRowDto>,
    /// Whether more rows match (ask again with `offset` + the rows received).
    pub more: bool,
}

#[utoipa::path(get, path = "/api/v1/finance/journal", tag = "finance", security(("bearer" = [])), params(MoneyJournalQuery),
    responses((status = 200, body = MoneyJournalDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn journal(State(app): State<App>, a: Auth, Query(q): Query<MoneyJournalQuery>) -> Result<Json<MoneyJournalDto>> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let tx = app.db.read()?;
    let f = JournalAsk::from(&q).parse(&tx, a.actor.company)?;
    let page = query::journal(&tx, &a.actor, &f)?;
    Ok(Json(MoneyJournalDto {
        rows: page
            .rows
            .iter()
            .map(|r| MoneyJournalRowDto {
                account: r.account.code(),
                row: row_dto(r.seq, &r.row),
                doc: r.doc.as_ref().map(|d| d.0.0),
                doc_number: r.doc.as_ref().map(|d| d.1.clone()),
                status: r.doc.as_ref().map_or("approved", |d| d.2.code()).to_string(),
            })
            .collect(),
        more: page.more,
    }))
}

#[utoipa::path(get, path = "/api/v1/finance/journal.xlsx", tag = "finance", security(("bearer" = [])), params(MoneyJournalQuery),
    responses((status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = Problem)))]
pub async fn journal_xlsx(State(app): State<App>, a: Auth, Query(q): Query<MoneyJournalQuery>) -> Result<Response> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let tx = app.db.read()?;
    let f = JournalAsk::from(&q).parse(&tx, a.actor.company)?;
    let bytes = query::journal_xlsx(&tx, &a.actor, &f)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"money-journal.xlsx\"".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Serialize, ToSchema)]
pub struct MoneyOpenShiftDto {
    pub id: u64,
    pub number: String,
    pub cashier: u64,
    pub opened: String,
    pub expected_cash: String,
}

#[derive(Serialize, ToSchema)]
pub struct MoneyFlowDto {
    pub id: u64,
    pub income: bool,
    pub reason: String,
    pub amount: String,
    pub created: String,
}

#[derive(Serialize, ToSchema)]
pub struct MoneyCashBoxSummaryDto {
    pub cash_box: u64,
    pub name: String,
    pub balance: String,
    /// Approved cash in / out, newest first (at most 50).
    pub flows: Vec<MoneyFlowDto>,
    /// Method code → paid − refunded over the period.
    pub sales_by_method: std::collections::BTreeMap<String, String>,
    pub sales: u64,
    pub open_shifts: Vec<MoneyOpenShiftDto>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MoneySummaryQuery {
    /// First day, YYYY-MM-DD; default 30 days ago.
    pub from: Option<String>,
    /// Last day, inclusive; default today.
    pub to: Option<String>,
}

/// The summary's days: the asked ones, else the last 30 days.
pub fn summary_days(
    tx: &impl crate::storage::Read,
    a: &crate::tenancy::actor::Actor,
    now: crate::clock::Ts,
    from: &str,
    to: &str,
) -> Result<(u64, u64)> {
    let (back, today) = query::today_and_back(tx, a.company, now, 30)?;
    let from = if from.trim().is_empty() { back } else { finance::parse_day(from)? };
    let to = if to.trim().is_empty() { today } else { finance::parse_day(to)? };
    Ok((from, to))
}

#[utoipa::path(get, path = "/api/v1/finance/cash-boxes/{id}/summary", tag = "finance", security(("bearer" = [])), params(("id" = u64, Path), MoneySummaryQuery),
    responses((status = 200, body = MoneyCashBoxSummaryDto), (status = 404, body = Problem)))]
pub async fn cash_box_summary(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Query(q): Query<MoneySummaryQuery>,
) -> Result<Json<MoneyCashBoxSummaryDto>> {
    a.actor.require(crate::tenancy::perms::Perm::FINANCE)?;
    let tx = app.db.read()?;
    let (from, to) = summary_days(&tx, &a.actor, app.now(), q.from.as_deref().unwrap_or(""), q.to.as_deref().unwrap_or(""))?;
    let s = query::cash_box_summary(&tx, &a.actor, CashBoxId(id), from, to)?;
    Ok(Json(MoneyCashBoxSummaryDto {
        cash_box: s.cash_box.0,
        name: s.name,
        balance: format!("{:.2}", s.balance),
        flows: s
            .flows
            .iter()
            .map(|f| MoneyFlowDto {
                id: f.id,
                income: f.income,
                reason: f.reason.clone(),
                amount: f.amount.to_string(),
                created: f.created.rfc3339(),
            })
            .collect(),
        sales_by_method: s.sales_by_method.iter().map(|(k, v)| (k.clone(), v.to_string())).collect(),
        sales: s.sales,
        open_shifts: s
            .open_shifts
            .iter()
            .map(|sh| MoneyOpenShiftDto {
                id: sh.id.0,
                number: sh.number.clone(),
                cashier: sh.cashier.0,
                opened: sh.opened.rfc3339(),
                expected_cash: sh.expected_cash().to_string(),
            })
            .collect(),
        from: crate::pos::daily::day_text(s.from_day),
        to: crate::pos::daily::day_text(s.to_day),
    }))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(accounts))
        .routes(routes!(create_bank_account))
        .routes(routes!(get_bank_account, put_bank_account))
        .routes(routes!(ledger))
        .routes(routes!(docs, create_doc))
        .routes(routes!(get_doc))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(reverse))
        .routes(routes!(decide_many))
        .routes(routes!(categories, save_category))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(get_noncash, put_noncash))
        .routes(routes!(journal))
        .routes(routes!(journal_xlsx))
        .routes(routes!(cash_box_summary))
}
