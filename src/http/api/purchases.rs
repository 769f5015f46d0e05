//! Purchases (drafts, posting in cash or on credit, cancel, returns, "to pay"), suppliers with
//! their payables, supplier payments (idempotent), the supplier reconciliation act (JSON and
//! PDF) and the one-time matching of free-text suppliers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use super::clients::ClientDto;
use crate::app::App;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{ClientId, DocumentId, ProductId, PurchaseId, WarehouseId};
use crate::money::round_money;
use crate::purchasing::model::{PayableEntry, Purchase, PurchaseReturn, PurchaseStatus, Refund, SupplierPayment, Terms};
use crate::purchasing::query::{self, PurchaseFilter};
use crate::purchasing::{self, PaymentDraft, PurchaseDraft, PurchaseLineDraft, ReturnDraft, act};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct PurchaseLineDto {
    pub product: u64,
    pub qty: String,
    pub price: String,
    pub amount: String,
    pub returned: String,
}

#[derive(Serialize, ToSchema)]
pub struct PurchaseDto {
    pub id: u64,
    pub number: String,
    pub supplier: u64,
    pub warehouse: u64,
    pub date: String,
    /// cash, credit
    pub terms: String,
    /// box:ID or bank:ID
    pub account: Option<String>,
    pub paid_now: String,
    pub due_days: u32,
    /// YYYY-MM-DD, credit purchases once posted.
    pub due: Option<String>,
    pub lines: Vec<PurchaseLineDto>,
    pub total: String,
    /// draft, cash_pending, posted, rejected, cancelled
    pub status: String,
    /// The inventory receipt.
    pub document: Option<u64>,
    pub money_doc: Option<u64>,
    pub payment: Option<u64>,
    pub returns: Vec<u64>,
    pub note: String,
    pub created: String,
}

impl From<&Purchase> for PurchaseDto {
    fn from(p: &Purchase) -> Self {
        PurchaseDto {
            id: p.id.0,
            number: p.number.clone(),
            supplier: p.supplier.0,
            warehouse: p.warehouse.0,
            date: p.date.rfc3339(),
            terms: p.terms.code().into(),
            account: p.account.map(|a| a.code()),
            paid_now: p.paid_now.to_string(),
            due_days: p.due_days,
            due: p.due.clone(),
            lines: p
                .lines
                .iter()
                .map(|l| PurchaseLineDto {
                    product: l.product.0,
                    qty: l.qty.to_string(),
                    price: l.price.to_string(),
                    amount: l.amount.to_string(),
                    returned: l.returned.to_string(),
                })
                .collect(),
            total: p.total.to_string(),
            status: p.status.code().into(),
            document: p.document.map(|d| d.0),
            money_doc: p.money_doc.map(|d| d.0),
            payment: p.payment.map(|d| d.0),
            returns: p.returns.iter().map(|r| r.0).collect(),
            note: p.note.clone(),
            created: p.created.rfc3339(),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseLineInput {
    pub product: u64,
    pub qty: String,
    /// Unit price.
    pub price: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseInput {
    pub supplier: u64,
    pub warehouse: u64,
    /// YYYY-MM-DD (company time zone); empty = now.
    pub date: Option<String>,
    /// cash or credit (default)
    pub terms: String,
    /// box:ID or bank:ID
    pub account: String,
    /// Credit: the part paid at once.
    pub paid_now: String,
    /// Credit: days until due.
    pub due_days: String,
    pub note: String,
    pub lines: Vec<PurchaseLineInput>,
    /// Post right after saving.
    pub post: bool,
}

fn draft_of(i: &PurchaseInput, tz: &str) -> Result<PurchaseDraft> {
    let date = match i.date.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Ts::parse_date(s, tz).ok_or_else(|| Error::field("date", "date", "Дата: ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"))?),
    };
    Ok(PurchaseDraft {
        supplier: Some(ClientId(i.supplier)),
        warehouse: Some(WarehouseId(i.warehouse)),
        date,
        terms: i.terms.clone(),
        account: i.account.clone(),
        paid_now: i.paid_now.clone(),
        due_days: i.due_days.clone(),
        note: i.note.clone(),
        lines: i
            .lines
            .iter()
            .map(|l| PurchaseLineDraft { product: Some(ProductId(l.product)), qty: l.qty.clone(), price: l.price.clone() })
            .collect(),
    })
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseQuery {
    pub supplier: Option<u64>,
    /// draft, cash_pending, posted, rejected, cancelled
    pub status: Option<String>,
    /// cash, credit
    pub terms: Option<String>,
    /// YYYY-MM-DD
    pub from: Option<String>,
    /// YYYY-MM-DD
    pub to: Option<String>,
    /// Paging: purchases with ids below this one.
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

/// The filter of a purchase list as the API and the page both take it.
pub fn filter_of(q: &PurchaseQuery, tz: &str) -> Result<PurchaseFilter> {
    let date = |field: &str, raw: Option<&str>, end: bool| -> Result<Option<Ts>> {
        match raw.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Ts::parse_date(s, tz)
                .map(|t| Some(if end { t.plus_days(1).plus_ms(-1) } else { t }))
                .ok_or_else(|| Error::field(field, "date", "Дата: ГГГГ-ММ-ДД", "Date as YYYY-MM-DD")),
        }
    };
    let status = match q.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(PurchaseStatus::parse(s).ok_or_else(|| Error::field("status", "status", "Нет такого статуса", "No such status"))?),
    };
    let terms = match q.terms.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Terms::parse(s).ok_or_else(|| Error::field("terms", "terms", "Оплата: cash или credit", "Terms: cash or credit"))?),
    };
    Ok(PurchaseFilter {
        supplier: q.supplier.map(ClientId),
        status,
        terms,
        from: date("from", q.from.as_deref(), false)?,
        to: date("to", q.to.as_deref(), true)?,
        before: q.before.map(PurchaseId),
    })
}

#[utoipa::path(get, path = "/api/v1/purchases", tag = "purchases", security(("bearer" = [])), params(PurchaseQuery),
    responses((status = 200, body = Vec<PurchaseDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list(State(app): State<App>, a: Auth, Query(q): Query<PurchaseQuery>) -> Result<Json<Vec<PurchaseDto>>> {
    purchasing::require_read(&a.actor)?;
    let tx = app.db.read()?;
    let tz = crate::tenancy::timezone(&tx, a.actor.company)?;
    let f = filter_of(&q, &tz)?;
    let found = query::purchases(&tx, &a.actor, &f, q.limit.unwrap_or(50).clamp(1, 500))?;
    Ok(Json(found.iter().map(PurchaseDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/purchases", tag = "purchases", security(("bearer" = [])), request_body = PurchaseInput,
    responses((status = 201, body = PurchaseDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create(State(app): State<App>, a: Auth, Json(i): Json<PurchaseInput>) -> Result<(StatusCode, Json<PurchaseDto>)> {
    Ok((StatusCode::CREATED, Json(save(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/purchases/{id}", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)), request_body = PurchaseInput,
    responses((status = 200, body = PurchaseDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<PurchaseInput>) -> Result<Json<PurchaseDto>> {
    Ok(Json(save(app, a, Some(PurchaseId(id)), i).await?))
}

async fn save(app: App, a: Auth, id: Option<PurchaseId>, i: PurchaseInput) -> Result<PurchaseDto> {
    purchasing::require_read(&a.actor)?;
    let tz = crate::tenancy::timezone(&app.db.read()?, a.actor.company)?;
    let d = draft_of(&i, &tz)?;
    let now = app.now();
    let post = i.post;
    let p = app
        .db
        .write(move |tx| {
            let p = purchasing::save_purchase(tx, &a.actor, now, id, &d)?;
            if post { purchasing::post_purchase(tx, &a.actor, now, p.id) } else { Ok(p) }
        })
        .await?;
    Ok(PurchaseDto::from(&p))
}

#[derive(Serialize, ToSchema)]
pub struct PurchaseReturnLineDto {
    pub line: u32,
    pub product: u64,
    pub qty: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct PurchaseReturnDto {
    pub id: u64,
    pub purchase: u64,
    pub supplier: u64,
    pub lines: Vec<PurchaseReturnLineDto>,
    pub amount: String,
    /// payable, or box:ID / bank:ID for a cash refund
    pub refund: String,
    pub document: u64,
    pub money_doc: Option<u64>,
    pub at: String,
}

impl From<&PurchaseReturn> for PurchaseReturnDto {
    fn from(r: &PurchaseReturn) -> Self {
        PurchaseReturnDto {
            id: r.id.0,
            purchase: r.purchase.0,
            supplier: r.supplier.0,
            lines: r
                .lines
                .iter()
                .map(|l| PurchaseReturnLineDto { line: l.line, product: l.product.0, qty: l.qty.to_string(), amount: l.amount.to_string() })
                .collect(),
            amount: r.amount.to_string(),
            refund: match r.refund {
                Refund::Payable => "payable".into(),
                Refund::Cash(a) => a.code(),
            },
            document: r.document.0,
            money_doc: r.money_doc.map(|d| d.0),
            at: r.at.rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SupplierPaymentDto {
    pub id: u64,
    pub supplier: u64,
    pub amount: String,
    pub account: String,
    pub prepayment: bool,
    /// pending, applied, rejected, reversed
    pub status: String,
    pub money_doc: u64,
    pub purchase: Option<u64>,
    pub at: String,
    pub note: String,
}

impl From<&SupplierPayment> for SupplierPaymentDto {
    fn from(p: &SupplierPayment) -> Self {
        SupplierPaymentDto {
            id: p.id.0,
            supplier: p.supplier.0,
            amount: p.amount.to_string(),
            account: p.account.code(),
            prepayment: p.prepayment,
            status: p.status.code().into(),
            money_doc: p.money_doc.0,
            purchase: p.purchase.map(|p| p.0),
            at: p.at.rfc3339(),
            note: p.note.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProductNameDto {
    pub id: u64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct PurchaseCardDto {
    pub purchase: PurchaseDto,
    pub supplier: ClientDto,
    pub warehouse: String,
    /// The names of the purchase's products.
    pub products: Vec<ProductNameDto>,
    pub returns: Vec<PurchaseReturnDto>,
    pub payment: Option<SupplierPaymentDto>,
    /// The inventory receipt's number once posted.
    pub receipt: String,
}

#[utoipa::path(get, path = "/api/v1/purchases/{id}", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = PurchaseCardDto), (status = 404, body = Problem)))]
pub async fn get(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<PurchaseCardDto>> {
    let card = query::purchase(&app.db.read()?, &a.actor, PurchaseId(id))?;
    Ok(Json(PurchaseCardDto {
        purchase: PurchaseDto::from(&card.purchase),
        supplier: ClientDto::from(&card.supplier),
        warehouse: card.warehouse,
        products: card.products.into_iter().map(|(id, name)| ProductNameDto { id: id.0, name }).collect(),
        returns: card.returns.iter().map(PurchaseReturnDto::from).collect(),
        payment: card.payment.as_ref().map(SupplierPaymentDto::from),
        receipt: card.receipt,
    }))
}

#[utoipa::path(delete, path = "/api/v1/purchases/{id}", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| purchasing::delete_draft(tx, &a.actor, now, PurchaseId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/purchases/{id}/post", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = PurchaseDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn post(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<PurchaseDto>> {
    let now = app.now();
    let p = app.db.write(move |tx| purchasing::post_purchase(tx, &a.actor, now, PurchaseId(id))).await?;
    Ok(Json(PurchaseDto::from(&p)))
}

#[utoipa::path(post, path = "/api/v1/purchases/{id}/cancel", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = PurchaseDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn cancel(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<PurchaseDto>> {
    let now = app.now();
    let p = app.db.write(move |tx| purchasing::cancel_purchase(tx, &a.actor, now, PurchaseId(id))).await?;
    Ok(Json(PurchaseDto::from(&p)))
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseReturnLineInput {
    /// Index of the purchase line (0-based).
    pub line: usize,
    pub qty: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PurchaseReturnInput {
    pub lines: Vec<PurchaseReturnLineInput>,
    /// payable (default) or cash
    pub refund: String,
    /// box:ID or bank:ID for a cash refund
    pub account: String,
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/purchases/{id}/returns", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)), request_body = PurchaseReturnInput,
    responses((status = 201, body = PurchaseReturnDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn return_goods(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<PurchaseReturnInput>,
) -> Result<(StatusCode, Json<PurchaseReturnDto>)> {
    purchasing::require_read(&a.actor)?;
    let now = app.now();
    let d =
        ReturnDraft { lines: i.lines.into_iter().map(|l| (l.line, l.qty)).collect(), refund: i.refund, account: i.account, note: i.note };
    let r = app.db.write(move |tx| purchasing::return_goods(tx, &a.actor, now, PurchaseId(id), &d)).await?;
    Ok((StatusCode::CREATED, Json(PurchaseReturnDto::from(&r))))
}

#[derive(Serialize, ToSchema)]
pub struct DueDto {
    pub purchase: PurchaseDto,
    pub supplier: String,
    pub outstanding: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DueQuery {
    /// Due within this many days from today (default 7).
    pub days: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/purchases/due", tag = "purchases", security(("bearer" = [])), params(DueQuery),
    responses((status = 200, body = Vec<DueDto>), (status = 403, body = Problem)))]
pub async fn due(State(app): State<App>, a: Auth, Query(q): Query<DueQuery>) -> Result<Json<Vec<DueDto>>> {
    let rows = query::to_pay(&app.db.read()?, &a.actor, app.now(), q.days.unwrap_or(7).clamp(0, 3650))?;
    Ok(Json(
        rows.iter()
            .map(|d| DueDto {
                purchase: PurchaseDto::from(&d.purchase),
                supplier: d.supplier.name.clone(),
                outstanding: d.outstanding.to_string(),
            })
            .collect(),
    ))
}

// ---- suppliers ----

#[derive(Serialize, ToSchema)]
pub struct SupplierRowDto {
    pub supplier: ClientDto,
    /// What the company owes the supplier (negative: the supplier owes, e.g. a prepayment).
    pub balance: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SupplierQuery {
    pub archived: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/suppliers", tag = "purchases", security(("bearer" = [])), params(SupplierQuery),
    responses((status = 200, body = Vec<SupplierRowDto>), (status = 403, body = Problem)))]
pub async fn suppliers(State(app): State<App>, a: Auth, Query(q): Query<SupplierQuery>) -> Result<Json<Vec<SupplierRowDto>>> {
    let rows = query::suppliers(&app.db.read()?, &a.actor, q.archived.unwrap_or(false))?;
    Ok(Json(
        rows.iter()
            .map(|r| SupplierRowDto { supplier: ClientDto::from(&r.client), balance: round_money(r.balance.owed).to_string() })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct PayableEntryDto {
    pub seq: u64,
    /// purchase, payment, prepayment, return, cancel, payment_reversed
    pub kind: String,
    /// Signed: positive grows what the company owes.
    pub amount: String,
    pub at: String,
    pub purchase: Option<u64>,
    pub payment: Option<u64>,
    pub purchase_return: Option<u64>,
    pub note: String,
}

fn entry_dto(seq: u64, e: &PayableEntry) -> PayableEntryDto {
    PayableEntryDto {
        seq,
        kind: e.kind.code().into(),
        amount: e.amount.to_string(),
        at: e.at.rfc3339(),
        purchase: e.purchase.map(|p| p.0),
        payment: e.payment.map(|p| p.0),
        purchase_return: e.purchase_return.map(|p| p.0),
        note: e.note.clone(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct SupplierCardDto {
    pub supplier: ClientDto,
    pub balance: String,
    pub ledger: Vec<PayableEntryDto>,
    pub purchases: Vec<PurchaseDto>,
    pub payments: Vec<SupplierPaymentDto>,
}

#[utoipa::path(get, path = "/api/v1/suppliers/{id}", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = SupplierCardDto), (status = 404, body = Problem)))]
pub async fn supplier(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<SupplierCardDto>> {
    let card = query::supplier_card(&app.db.read()?, &a.actor, ClientId(id))?;
    Ok(Json(SupplierCardDto {
        supplier: ClientDto::from(&card.client),
        balance: round_money(card.balance.owed).to_string(),
        ledger: card.ledger.iter().map(|(s, e)| entry_dto(*s, e)).collect(),
        purchases: card.purchases.iter().map(PurchaseDto::from).collect(),
        payments: card.payments.iter().map(SupplierPaymentDto::from).collect(),
    }))
}

#[derive(Deserialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields, default)]
pub struct SupplierPaymentInput {
    /// Required: a retry with the same key and body returns the first payment.
    pub idempotency_key: String,
    pub amount: String,
    /// box:ID or bank:ID
    pub account: String,
    /// Stated as a prepayment: may exceed what is owed.
    pub prepayment: bool,
    pub note: String,
}

#[utoipa::path(post, path = "/api/v1/suppliers/{id}/payments", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)), request_body = SupplierPaymentInput,
    responses((status = 200, body = SupplierPaymentDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn pay(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<SupplierPaymentInput>,
) -> Result<Json<SupplierPaymentDto>> {
    purchasing::require_read(&a.actor)?;
    let now = app.now();
    let d = PaymentDraft { key: i.idempotency_key, amount: i.amount, account: i.account, prepayment: i.prepayment, note: i.note };
    let p = app.db.write(move |tx| purchasing::pay_supplier(tx, &a.actor, now, ClientId(id), &d)).await?;
    Ok(Json(SupplierPaymentDto::from(&p)))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct PeriodQuery {
    /// YYYY-MM-DD; empty = since the supplier was created.
    pub from: Option<String>,
    /// YYYY-MM-DD; empty = today.
    pub to: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ActRowDto {
    pub date: String,
    pub document: String,
    pub debit: String,
    pub credit: String,
}

#[derive(Serialize, ToSchema)]
pub struct ActDto {
    pub supplier: ClientDto,
    pub from: String,
    pub to: String,
    pub currency: String,
    /// Positive: the company owes the supplier.
    pub opening: String,
    pub rows: Vec<ActRowDto>,
    pub debit: String,
    pub credit: String,
    pub closing: String,
}

pub fn act_of(app: &App, a: &Auth, id: u64, q: &PeriodQuery) -> Result<act::Act> {
    act::build(&app.db.read()?, &a.actor, app.now(), ClientId(id), q.from.as_deref().unwrap_or(""), q.to.as_deref().unwrap_or(""))
}

#[utoipa::path(get, path = "/api/v1/suppliers/{id}/act", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path), PeriodQuery),
    responses((status = 200, body = ActDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn act_json(State(app): State<App>, a: Auth, Path(id): Path<u64>, Query(q): Query<PeriodQuery>) -> Result<Json<ActDto>> {
    let s = act_of(&app, &a, id, &q)?;
    Ok(Json(ActDto {
        supplier: ClientDto::from(&s.supplier),
        from: s.from,
        to: s.to,
        currency: s.currency.into(),
        opening: s.opening.to_string(),
        rows: s
            .rows
            .iter()
            .map(|r| ActRowDto {
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

#[utoipa::path(get, path = "/api/v1/suppliers/{id}/act.pdf", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path), PeriodQuery),
    responses((status = 200, description = "the act as PDF", content_type = "application/pdf"), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn act_pdf(State(app): State<App>, a: Auth, Path(id): Path<u64>, Query(q): Query<PeriodQuery>) -> Result<Response> {
    let s = act_of(&app, &a, id, &q)?;
    act_response(&s)
}

/// The act as a PDF download (the page's link uses it too).
pub fn act_response(s: &act::Act) -> Result<Response> {
    let name = format!("akt-sverki-postavshchik-{}-{}-{}.pdf", s.supplier.id, s.from, s.to);
    Ok(crate::http::shared::pdf_download(&name, act::pdf(s)?))
}

#[derive(Serialize, ToSchema)]
pub struct UnmatchedDto {
    pub name: String,
    pub documents: usize,
}

#[utoipa::path(get, path = "/api/v1/suppliers/matching", tag = "purchases", security(("bearer" = [])),
    responses((status = 200, body = Vec<UnmatchedDto>), (status = 403, body = Problem)))]
pub async fn unmatched(State(app): State<App>, a: Auth) -> Result<Json<Vec<UnmatchedDto>>> {
    let names = purchasing::unmatched_names(&app.db.read()?, &a.actor)?;
    Ok(Json(names.into_iter().map(|(name, documents)| UnmatchedDto { name, documents }).collect()))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct MatchInput {
    /// The free-text supplier name as the documents carry it.
    pub name: String,
    /// An existing supplier; absent = create a supplier client of that name.
    pub supplier: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct MatchedDto {
    pub supplier: u64,
    pub linked: usize,
}

#[utoipa::path(post, path = "/api/v1/suppliers/matching", tag = "purchases", security(("bearer" = [])), request_body = MatchInput,
    responses((status = 200, body = MatchedDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn match_name(State(app): State<App>, a: Auth, Json(i): Json<MatchInput>) -> Result<Json<MatchedDto>> {
    purchasing::require_read(&a.actor)?;
    let now = app.now();
    let (sid, linked) = app.db.write(move |tx| purchasing::match_name(tx, &a.actor, now, &i.name, i.supplier.map(ClientId))).await?;
    Ok(Json(MatchedDto { supplier: sid.0, linked }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct LinkInput {
    /// A receipt or return to supplier.
    pub document: u64,
}

#[utoipa::path(post, path = "/api/v1/suppliers/{id}/documents", tag = "purchases", security(("bearer" = [])), params(("id" = u64, Path)), request_body = LinkInput,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn link(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<LinkInput>) -> Result<StatusCode> {
    purchasing::require_read(&a.actor)?;
    let now = app.now();
    app.db.write(move |tx| purchasing::link_document(tx, &a.actor, now, DocumentId(i.document), ClientId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(due))
        .routes(routes!(get, put, delete))
        .routes(routes!(post))
        .routes(routes!(cancel))
        .routes(routes!(return_goods))
        .routes(routes!(suppliers))
        .routes(routes!(unmatched, match_name))
        .routes(routes!(supplier))
        .routes(routes!(pay))
        .routes(routes!(act_json))
        .routes(routes!(act_pdf))
        .routes(routes!(link))
}
