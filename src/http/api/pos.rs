//! Point of sale: cash boxes, shifts (X report, close), cash in/out, the server-side cart,
//! checkout, sales and returns.

use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::App;
use crate::auth::actor::{Actor, BranchScope};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{BranchId, CashBoxId, ClientId, ProductId, SaleId, ShiftId, WarehouseId};
use crate::pos::model::{Cart, CashBox, CashFlow, FlowStatus, OrderDiscount, Sale, SaleReturn, Shift, ShiftStatus, recalc};
use crate::pos::store::{CASH_BOXES, CASH_FLOWS, CASH_LEDGER, RETURNS, SALES, SHIFTS};
use crate::pos::{self, CashBoxDraft, CheckoutDraft, LineDraft, PaymentDraft, ReturnDraft};
use crate::storage::ReadTx;
use crate::tenancy::perms::Perm;

fn in_scope(actor: &Actor, branch: Option<BranchId>) -> bool {
    match (actor.branch, branch) {
        (BranchScope::Company, _) | (_, None) => true,
        (BranchScope::Branch(b), Some(x)) => b == x,
    }
}

fn require_pos(actor: &Actor) -> Result<()> {
    actor.require_feature("pos")?;
    if [Perm::CASHIER, Perm::CASHBOX, Perm::SHIFTS, Perm::SALES].into_iter().any(|p| actor.can(p)) {
        Ok(())
    } else {
        Err(Error::Forbidden { permission: "cashier" })
    }
}

// ---- cash boxes ----

#[derive(Serialize, ToSchema)]
pub struct CashBoxDto {
    pub id: u64,
    pub name: String,
    pub branch: Option<u64>,
    pub expense_only: bool,
    pub warehouse: Option<u64>,
    pub active: bool,
}

impl From<CashBox> for CashBoxDto {
    fn from(b: CashBox) -> Self {
        CashBoxDto {
            id: b.id.0,
            name: b.name,
            branch: b.branch.map(|x| x.0),
            expense_only: b.expense_only,
            warehouse: b.warehouse.map(|w| w.0),
            active: b.active,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashBoxInput {
    pub name: String,
    #[serde(default)]
    pub branch: Option<u64>,
    #[serde(default)]
    pub expense_only: bool,
    #[serde(default)]
    pub warehouse: Option<u64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// The cash boxes the actor may see (their branch's and the company-wide ones).
pub fn cash_boxes(tx: &ReadTx, actor: &Actor) -> Result<Vec<CashBox>> {
    let c = actor.company.0;
    Ok(tx.list(CASH_BOXES, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|(_, b)| b).filter(|b| in_scope(actor, b.branch)).collect())
}

#[utoipa::path(get, path = "/api/v1/cash-boxes", tag = "pos", security(("bearer" = [])), responses((status = 200, body = Vec<CashBoxDto>)))]
pub async fn list_cash_boxes(State(app): State<App>, a: Auth) -> Result<Json<Vec<CashBoxDto>>> {
    require_pos(&a.actor)?;
    Ok(Json(cash_boxes(&app.db.read()?, &a.actor)?.into_iter().map(CashBoxDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/cash-boxes", tag = "pos", security(("bearer" = [])), request_body = CashBoxInput,
    responses((status = 201, body = CashBoxDto), (status = 422, body = Problem)))]
pub async fn create_cash_box(State(app): State<App>, a: Auth, Json(i): Json<CashBoxInput>) -> Result<(StatusCode, Json<CashBoxDto>)> {
    Ok((StatusCode::CREATED, Json(save_cash_box(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/cash-boxes/{id}", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)), request_body = CashBoxInput,
    responses((status = 200, body = CashBoxDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_cash_box(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<CashBoxInput>) -> Result<Json<CashBoxDto>> {
    Ok(Json(save_cash_box(app, a, Some(CashBoxId(id)), i).await?))
}

async fn save_cash_box(app: App, a: Auth, id: Option<CashBoxId>, i: CashBoxInput) -> Result<CashBoxDto> {
    let now = app.now();
    let d = CashBoxDraft {
        name: i.name,
        branch: i.branch.map(BranchId),
        expense_only: i.expense_only,
        warehouse: i.warehouse.map(WarehouseId),
        active: i.active,
    };
    let b = app
        .db
        .write(move |tx| {
            let id = pos::save_cash_box(tx, &a.actor, now, id, &d)?;
            pos::cash_box(tx, &a.actor, id)
        })
        .await?;
    Ok(b.into())
}

// ---- settings ----

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PosSettingsDto {
    /// Local banks and wallets offered as payment methods (method code `wallet:<name>`).
    pub wallets: Vec<String>,
    /// Weighed-goods barcode rule: prefixes/item digits/weight|price, e.g. "20-29/5/weight".
    pub weight_rule: String,
}

#[utoipa::path(get, path = "/api/v1/pos/settings", tag = "pos", security(("bearer" = [])), responses((status = 200, body = PosSettingsDto)))]
pub async fn get_settings(State(app): State<App>, a: Auth) -> Result<Json<PosSettingsDto>> {
    require_pos(&a.actor)?;
    let s = app.db.read()?.get(crate::pos::store::POS_SETTINGS, a.actor.company.0)?.unwrap_or_default();
    Ok(Json(PosSettingsDto { wallets: s.wallets, weight_rule: pos::format_weight_rule(&s.weight_rule) }))
}

#[utoipa::path(put, path = "/api/v1/pos/settings", tag = "pos", security(("bearer" = [])), request_body = PosSettingsDto,
    responses((status = 200, body = PosSettingsDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(State(app): State<App>, a: Auth, Json(i): Json<PosSettingsDto>) -> Result<Json<PosSettingsDto>> {
    let now = app.now();
    let s = app.db.write(move |tx| pos::set_settings(tx, &a.actor, now, &i.wallets.join(","), &i.weight_rule)).await?;
    Ok(Json(PosSettingsDto { wallets: s.wallets, weight_rule: pos::format_weight_rule(&s.weight_rule) }))
}

// ---- shifts ----

#[derive(Serialize, ToSchema)]
pub struct ShiftDto {
    pub id: u64,
    pub number: String,
    pub cash_box: u64,
    pub cashier: u64,
    /// open, closed
    pub status: String,
    pub opened: String,
    pub closed: Option<String>,
    pub opening_cash: String,
    pub sales: u64,
    pub sales_amount: String,
    pub discounts: String,
    pub cogs: String,
    pub returns: u64,
    pub returns_amount: String,
    /// Payments by method code.
    pub paid: std::collections::BTreeMap<String, String>,
    pub refunded: std::collections::BTreeMap<String, String>,
    pub cash_in: String,
    pub cash_out: String,
    pub debt_cash: String,
    /// opening + cash sales − cash refunds + cash in − cash out + debts repaid in cash
    pub expected_cash: String,
    pub closing_cash: Option<String>,
    /// counted − expected (negative = shortage)
    pub difference: Option<String>,
}

impl From<&Shift> for ShiftDto {
    fn from(s: &Shift) -> Self {
        let t = &s.totals;
        let map = |m: &std::collections::BTreeMap<String, Decimal>| m.iter().map(|(k, v)| (k.clone(), v.to_string())).collect();
        ShiftDto {
            id: s.id.0,
            number: s.number.clone(),
            cash_box: s.cash_box.0,
            cashier: s.cashier.0,
            status: if s.status == ShiftStatus::Open { "open" } else { "closed" }.into(),
            opened: s.opened.rfc3339(),
            closed: s.closed.map(|t| t.rfc3339()),
            opening_cash: s.opening_cash.to_string(),
            sales: t.sales,
            sales_amount: t.sales_amount.to_string(),
            discounts: t.discounts.to_string(),
            cogs: t.cogs.to_string(),
            returns: t.returns,
            returns_amount: t.returns_amount.to_string(),
            paid: map(&t.paid),
            refunded: map(&t.refunded),
            cash_in: t.cash_in.to_string(),
            cash_out: t.cash_out.to_string(),
            debt_cash: t.debt_cash.to_string(),
            expected_cash: s.expected_cash().to_string(),
            closing_cash: s.closing_cash.map(|d| d.to_string()),
            difference: s.difference().map(|d| d.to_string()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenShiftInput {
    pub cash_box: u64,
    #[serde(default)]
    pub opening_cash: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseShiftInput {
    /// The cash counted in the drawer.
    pub closing_cash: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ShiftQuery {
    /// open, closed
    pub status: Option<String>,
    pub cash_box: Option<u64>,
    pub cashier: Option<u64>,
    pub limit: Option<usize>,
}

/// A shift the actor may read: their own, or any in scope with the cash-box right (managers).
pub fn readable_shift(tx: &ReadTx, actor: &Actor, id: ShiftId) -> Result<Shift> {
    match tx.get(SHIFTS, (actor.company.0, id.0))? {
        Some(s) if in_scope(actor, s.branch) && (s.cashier == actor.user || actor.can(Perm::CASHBOX)) => Ok(s),
        _ => Err(Error::NotFound),
    }
}

pub fn list_shifts_in(tx: &ReadTx, actor: &Actor, q: &ShiftQuery) -> Result<Vec<Shift>> {
    let c = actor.company.0;
    let all = actor.can(Perm::CASHBOX);
    let limit = q.limit.unwrap_or(100).min(1000);
    let mut out = Vec::new();
    tx.range(SHIFTS, (c, 0), (c, u64::MAX), true, usize::MAX, |_, s| {
        let ok = in_scope(actor, s.branch)
            && (all || s.cashier == actor.user)
            && q.status.as_deref().is_none_or(|st| (st == "open") == (s.status == ShiftStatus::Open))
            && q.cash_box.is_none_or(|b| b == s.cash_box.0)
            && q.cashier.is_none_or(|u| u == s.cashier.0);
        if ok {
            out.push(s);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/shifts", tag = "pos", security(("bearer" = [])), params(ShiftQuery), responses((status = 200, body = Vec<ShiftDto>)))]
pub async fn list_shifts(State(app): State<App>, a: Auth, Query(q): Query<ShiftQuery>) -> Result<Json<Vec<ShiftDto>>> {
    require_pos(&a.actor)?;
    Ok(Json(list_shifts_in(&app.db.read()?, &a.actor, &q)?.iter().map(ShiftDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/shifts", tag = "pos", security(("bearer" = [])), request_body = OpenShiftInput,
    responses((status = 201, body = ShiftDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn open_shift(State(app): State<App>, a: Auth, Json(i): Json<OpenShiftInput>) -> Result<(StatusCode, Json<ShiftDto>)> {
    let now = app.now();
    let s = app.db.write(move |tx| pos::open_shift(tx, &a.actor, now, CashBoxId(i.cash_box), &i.opening_cash)).await?;
    Ok((StatusCode::CREATED, Json(ShiftDto::from(&s))))
}

/// The X report: the shift's running totals now.
#[utoipa::path(get, path = "/api/v1/shifts/{id}", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ShiftDto), (status = 404, body = Problem)))]
pub async fn get_shift(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ShiftDto>> {
    require_pos(&a.actor)?;
    Ok(Json(ShiftDto::from(&readable_shift(&app.db.read()?, &a.actor, ShiftId(id))?)))
}

/// Closes the shift with the counted cash: the Z report.
#[utoipa::path(post, path = "/api/v1/shifts/{id}/close", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)), request_body = CloseShiftInput,
    responses((status = 200, body = ShiftDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn close_shift(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<CloseShiftInput>) -> Result<Json<ShiftDto>> {
    let now = app.now();
    let s = app.db.write(move |tx| pos::close_shift(tx, &a.actor, now, ShiftId(id), &i.closing_cash)).await?;
    app.wake.notify_waiters();
    Ok(Json(ShiftDto::from(&s)))
}

#[derive(Serialize, ToSchema)]
pub struct CashEntryDto {
    /// opening, sale, refund, cash_in, cash_out, debt_payment
    pub kind: String,
    pub amount: String,
    pub reference: String,
    pub at: String,
    pub user: u64,
}

/// The shift's cash ledger: every change of the drawer.
#[utoipa::path(get, path = "/api/v1/shifts/{id}/cash", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<CashEntryDto>), (status = 404, body = Problem)))]
pub async fn shift_cash(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CashEntryDto>>> {
    require_pos(&a.actor)?;
    let tx = app.db.read()?;
    let s = readable_shift(&tx, &a.actor, ShiftId(id))?;
    let c = a.actor.company.0;
    let rows = tx.list(CASH_LEDGER, (c, s.id.0, 0), (c, s.id.0, u64::MAX), 10_000)?;
    Ok(Json(
        rows.into_iter()
            .map(|(_, e)| CashEntryDto {
                kind: e.kind.code().into(),
                amount: e.amount.to_string(),
                reference: e.reference,
                at: e.at.rfc3339(),
                user: e.user.0,
            })
            .collect(),
    ))
}

// ---- cash in / out ----

#[derive(Serialize, ToSchema)]
pub struct CashFlowDto {
    pub id: u64,
    pub cash_box: u64,
    pub shift: Option<u64>,
    /// in, out
    pub kind: String,
    pub amount: String,
    pub reason: String,
    /// pending, approved, rejected
    pub status: String,
    pub created: String,
    pub created_by: u64,
}

impl From<CashFlow> for CashFlowDto {
    fn from(f: CashFlow) -> Self {
        CashFlowDto {
            id: f.id,
            cash_box: f.cash_box.0,
            shift: f.shift.map(|s| s.0),
            kind: if f.income { "in" } else { "out" }.into(),
            amount: f.amount.to_string(),
            reason: f.reason,
            status: match f.status {
                FlowStatus::Pending => "pending",
                FlowStatus::Approved => "approved",
                FlowStatus::Rejected => "rejected",
            }
            .into(),
            created: f.created.rfc3339(),
            created_by: f.created_by.0,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CashFlowInput {
    pub cash_box: u64,
    /// in, out
    pub kind: String,
    pub amount: String,
    pub reason: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct FlowQuery {
    /// pending, approved, rejected
    pub status: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/cash-flows", tag = "pos", security(("bearer" = [])), params(FlowQuery), responses((status = 200, body = Vec<CashFlowDto>)))]
pub async fn list_flows(State(app): State<App>, a: Auth, Query(q): Query<FlowQuery>) -> Result<Json<Vec<CashFlowDto>>> {
    require_pos(&a.actor)?;
    Ok(Json(flows(&app.db.read()?, &a.actor, q.status.as_deref())?.into_iter().map(CashFlowDto::from).collect()))
}

pub fn flows(tx: &ReadTx, actor: &Actor, status: Option<&str>) -> Result<Vec<CashFlow>> {
    let c = actor.company.0;
    let boxes: Vec<u64> = cash_boxes(tx, actor)?.iter().map(|b| b.id.0).collect();
    let manager = actor.can(Perm::CASHBOX);
    let mut out = Vec::new();
    tx.range(CASH_FLOWS, (c, 0), (c, u64::MAX), true, usize::MAX, |_, f| {
        let st = match f.status {
            FlowStatus::Pending => "pending",
            FlowStatus::Approved => "approved",
            FlowStatus::Rejected => "rejected",
        };
        if boxes.contains(&f.cash_box.0) && (manager || f.created_by == actor.user) && status.is_none_or(|s| s == st) {
            out.push(f);
        }
        Ok(out.len() < 500)
    })?;
    Ok(out)
}

#[utoipa::path(post, path = "/api/v1/cash-flows", tag = "pos", security(("bearer" = [])), request_body = CashFlowInput,
    responses((status = 201, body = CashFlowDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_flow(State(app): State<App>, a: Auth, Json(i): Json<CashFlowInput>) -> Result<(StatusCode, Json<CashFlowDto>)> {
    let income = match i.kind.as_str() {
        "in" => true,
        "out" => false,
        _ => return Err(Error::field("kind", "kind", "Тип: in (внесение) или out (выплата)", "Kind: in or out")),
    };
    let now = app.now();
    let f = app.db.write(move |tx| pos::cash_flow(tx, &a.actor, now, CashBoxId(i.cash_box), income, &i.amount, &i.reason)).await?;
    Ok((StatusCode::CREATED, Json(f.into())))
}

#[utoipa::path(post, path = "/api/v1/cash-flows/{id}/approve", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CashFlowDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn approve_flow(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CashFlowDto>> {
    let now = app.now();
    Ok(Json(app.db.write(move |tx| pos::decide_flow(tx, &a.actor, now, id, true)).await?.into()))
}

#[utoipa::path(post, path = "/api/v1/cash-flows/{id}/reject", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CashFlowDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reject_flow(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CashFlowDto>> {
    let now = app.now();
    Ok(Json(app.db.write(move |tx| pos::decide_flow(tx, &a.actor, now, id, false)).await?.into()))
}

// ---- cart ----

#[derive(Serialize, ToSchema)]
pub struct CartLineDto {
    pub product: Option<u64>,
    pub name: String,
    pub barcode: String,
    pub unit: String,
    pub qty: String,
    pub price: String,
    pub discount: String,
    /// After the line discount, before the order discount.
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct CartDto {
    pub cash_box: u64,
    pub shift: Option<u64>,
    /// The shift this cart was started in, when it outlived it.
    pub carried_from: Option<u64>,
    pub lines: Vec<CartLineDto>,
    pub client: Option<u64>,
    pub discount_percent: Option<String>,
    pub discount_amount: Option<String>,
    pub subtotal: String,
    pub discount_total: String,
    pub total: String,
}

impl From<&Cart> for CartDto {
    fn from(c: &Cart) -> Self {
        let t = recalc(&c.lines, c.discount);
        CartDto {
            cash_box: c.cash_box.0,
            shift: c.shift.map(|s| s.0),
            carried_from: c.carried_from.map(|s| s.0),
            lines: c
                .lines
                .iter()
                .zip(&t.line_amounts)
                .map(|(l, amount)| CartLineDto {
                    product: l.product.map(|p| p.0),
                    name: l.name.clone(),
                    barcode: l.barcode.clone(),
                    unit: l.unit.clone(),
                    qty: l.qty.to_string(),
                    price: l.unit_price.to_string(),
                    discount: l.discount.to_string(),
                    amount: amount.to_string(),
                })
                .collect(),
            client: c.client.map(|x| x.0),
            discount_percent: match c.discount {
                OrderDiscount::Percent(p) => Some(p.to_string()),
                _ => None,
            },
            discount_amount: match c.discount {
                OrderDiscount::Amount(a) => Some(a.to_string()),
                _ => None,
            },
            subtotal: t.subtotal.to_string(),
            discount_total: t.discount_total.to_string(),
            total: t.total.to_string(),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct BoxQuery {
    pub cash_box: u64,
}

#[utoipa::path(get, path = "/api/v1/pos/cart", tag = "pos", security(("bearer" = [])), params(BoxQuery),
    responses((status = 200, body = CartDto), (status = 404, body = Problem)))]
pub async fn get_cart(State(app): State<App>, a: Auth, Query(q): Query<BoxQuery>) -> Result<Json<CartDto>> {
    let now = app.now();
    let cart = app.db.write(move |tx| pos::cart(tx, &a.actor, now, CashBoxId(q.cash_box))).await?;
    Ok(Json(CartDto::from(&cart)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanInput {
    pub cash_box: u64,
    /// A barcode, or a weighed-goods EAN-13 read by the company's rule.
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct ScanDto {
    pub product: u64,
    pub qty: String,
    pub weighed: bool,
    pub cart: CartDto,
}

#[utoipa::path(post, path = "/api/v1/pos/cart/scan", tag = "pos", security(("bearer" = [])), request_body = ScanInput,
    responses((status = 200, body = ScanDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn scan(State(app): State<App>, a: Auth, Json(i): Json<ScanInput>) -> Result<Json<ScanDto>> {
    let now = app.now();
    let s = app.db.write(move |tx| pos::scan(tx, &a.actor, now, CashBoxId(i.cash_box), &i.code)).await?;
    Ok(Json(ScanDto { product: s.product.0, qty: s.qty.to_string(), weighed: s.weighed, cart: CartDto::from(&s.cart) }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddItemInput {
    pub cash_box: u64,
    /// A catalogue product; or leave empty and give `name` and `price` for a custom item.
    #[serde(default)]
    pub product: Option<u64>,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub price: String,
    #[serde(default)]
    pub qty: String,
}

#[utoipa::path(post, path = "/api/v1/pos/cart/items", tag = "pos", security(("bearer" = [])), request_body = AddItemInput,
    responses((status = 200, body = CartDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_item(State(app): State<App>, a: Auth, Json(i): Json<AddItemInput>) -> Result<Json<CartDto>> {
    let now = app.now();
    let cart = app
        .db
        .write(move |tx| match i.product {
            Some(p) => pos::add_product(tx, &a.actor, now, CashBoxId(i.cash_box), ProductId(p), &i.qty),
            None => pos::add_custom(tx, &a.actor, now, CashBoxId(i.cash_box), &i.name, &i.price, &i.qty),
        })
        .await?;
    Ok(Json(CartDto::from(&cart)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub cash_box: u64,
    /// 0 removes the line.
    #[serde(default)]
    pub qty: Option<String>,
    #[serde(default)]
    pub price: Option<String>,
    #[serde(default)]
    pub discount: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/pos/cart/items/{index}", tag = "pos", security(("bearer" = [])), params(("index" = usize, Path)), request_body = LineInput,
    responses((status = 200, body = CartDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_line(State(app): State<App>, a: Auth, Path(index): Path<usize>, Json(i): Json<LineInput>) -> Result<Json<CartDto>> {
    let now = app.now();
    let cart = app
        .db
        .write(move |tx| {
            let edit = pos::LineEdit { qty: i.qty.clone(), price: i.price.clone(), discount: i.discount.clone() };
            pos::update_line(tx, &a.actor, now, CashBoxId(i.cash_box), index, &edit)
        })
        .await?;
    Ok(Json(CartDto::from(&cart)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CartInput {
    pub cash_box: u64,
    /// Order discount: a percentage or an amount, not both.
    #[serde(default)]
    pub discount_percent: String,
    #[serde(default)]
    pub discount_amount: String,
    #[serde(default)]
    pub client: Option<u64>,
}

/// Sets the order discount and the client of the cart.
#[utoipa::path(put, path = "/api/v1/pos/cart", tag = "pos", security(("bearer" = [])), request_body = CartInput,
    responses((status = 200, body = CartDto), (status = 422, body = Problem)))]
pub async fn put_cart(State(app): State<App>, a: Auth, Json(i): Json<CartInput>) -> Result<Json<CartDto>> {
    let now = app.now();
    let cart = app
        .db
        .write(move |tx| {
            let b = CashBoxId(i.cash_box);
            pos::set_discount(tx, &a.actor, now, b, &i.discount_percent, &i.discount_amount)?;
            pos::set_client(tx, &a.actor, now, b, i.client.map(ClientId))
        })
        .await?;
    Ok(Json(CartDto::from(&cart)))
}

#[utoipa::path(delete, path = "/api/v1/pos/cart", tag = "pos", security(("bearer" = [])), params(BoxQuery), responses((status = 200, body = CartDto)))]
pub async fn clear_cart(State(app): State<App>, a: Auth, Query(q): Query<BoxQuery>) -> Result<Json<CartDto>> {
    let now = app.now();
    let cart = app.db.write(move |tx| pos::clear_cart(tx, &a.actor, now, CashBoxId(q.cash_box))).await?;
    Ok(Json(CartDto::from(&cart)))
}

// ---- sales ----

#[derive(Serialize, ToSchema)]
pub struct SaleLineDto {
    pub product: Option<u64>,
    pub name: String,
    pub barcode: String,
    pub unit: String,
    pub qty: String,
    pub price: String,
    pub discount: String,
    pub amount: String,
    /// FIFO cost of the goods at the sale.
    pub cost: String,
    pub returned_qty: String,
}

#[derive(Serialize, ToSchema)]
pub struct PaymentDto {
    /// cash, card, transfer, wallet:<name>, debt
    pub method: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct SaleDto {
    pub id: u64,
    pub number: String,
    /// paid, debt, returned
    pub status: String,
    pub at: String,
    pub cash_box: u64,
    pub shift: u64,
    pub cashier: u64,
    pub client: Option<u64>,
    pub lines: Vec<SaleLineDto>,
    pub subtotal: String,
    pub discount: String,
    pub total: String,
    pub payments: Vec<PaymentDto>,
    pub cash_received: String,
    pub change: String,
    pub cost: String,
    pub returned: String,
    pub returns: Vec<u64>,
}

impl From<&Sale> for SaleDto {
    fn from(s: &Sale) -> Self {
        SaleDto {
            id: s.id.0,
            number: s.number.clone(),
            status: s.status.code().into(),
            at: s.at.rfc3339(),
            cash_box: s.cash_box.0,
            shift: s.shift.0,
            cashier: s.cashier.0,
            client: s.client.map(|c| c.0),
            lines: s
                .lines
                .iter()
                .map(|l| SaleLineDto {
                    product: l.product.map(|p| p.0),
                    name: l.name.clone(),
                    barcode: l.barcode.clone(),
                    unit: l.unit.clone(),
                    qty: l.qty.to_string(),
                    price: l.unit_price.to_string(),
                    discount: l.discount.to_string(),
                    amount: l.amount.to_string(),
                    cost: l.cost.to_string(),
                    returned_qty: l.returned_qty.to_string(),
                })
                .collect(),
            subtotal: s.subtotal.to_string(),
            discount: s.discount.to_string(),
            total: s.total.to_string(),
            payments: s.payments.iter().map(|p| PaymentDto { method: p.method.code(), amount: p.amount.to_string() }).collect(),
            cash_received: s.cash_received.to_string(),
            change: s.change.to_string(),
            cost: s.cost().to_string(),
            returned: s.returned.to_string(),
            returns: s.returns.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SaleLineInput {
    pub product: Option<u64>,
    /// Custom items: name and price.
    pub name: String,
    pub qty: String,
    /// Default: the product's price.
    pub price: String,
    /// Line discount (amount).
    pub discount: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// cash, card, transfer, wallet:<name>, debt
    pub method: String,
    /// For cash, what the client handed over (change is given back).
    pub amount: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutInput {
    /// Chosen by the client (a UUID); a retry with the same key returns the same sale.
    pub idempotency_key: String,
    pub cash_box: u64,
    /// The lines; omit to check out your open cart at this cash box.
    #[serde(default)]
    pub lines: Option<Vec<SaleLineInput>>,
    #[serde(default)]
    pub discount_percent: String,
    #[serde(default)]
    pub discount_amount: String,
    #[serde(default)]
    pub client: Option<u64>,
    pub payments: Vec<PaymentInput>,
}

#[utoipa::path(post, path = "/api/v1/sales", tag = "pos", security(("bearer" = [])), request_body = CheckoutInput,
    responses((status = 201, body = SaleDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn checkout(State(app): State<App>, a: Auth, Json(i): Json<CheckoutInput>) -> Result<(StatusCode, Json<SaleDto>)> {
    let now = app.now();
    let d = CheckoutDraft {
        key: i.idempotency_key,
        cash_box: Some(CashBoxId(i.cash_box)),
        lines: i.lines.map(|ls| {
            ls.into_iter()
                .map(|l| LineDraft { product: l.product.map(ProductId), name: l.name, qty: l.qty, price: l.price, discount: l.discount })
                .collect()
        }),
        discount_percent: i.discount_percent,
        discount_amount: i.discount_amount,
        client: i.client.map(ClientId),
        payments: i.payments.into_iter().map(|p| PaymentDraft { method: p.method, amount: p.amount }).collect(),
    };
    let sale = app.db.write(move |tx| pos::checkout(tx, &a.actor, now, &d)).await?;
    app.wake.notify_one();
    app.wake.notify_waiters();
    Ok((StatusCode::CREATED, Json(SaleDto::from(&sale))))
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SaleQuery {
    /// paid, debt, returned
    pub status: Option<String>,
    pub cashier: Option<u64>,
    pub shift: Option<u64>,
    pub cash_box: Option<u64>,
    /// A payment method code the sale used.
    pub method: Option<String>,
    /// From this day (YYYY-MM-DD, company time zone).
    pub from: Option<String>,
    /// Through this day.
    pub to: Option<String>,
    /// Sales with ids below this one (paging).
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

pub fn list_sales_in(tx: &ReadTx, actor: &Actor, q: &SaleQuery) -> Result<Vec<Sale>> {
    let c = actor.company.0;
    let tz = crate::tenancy::store::company(tx, actor.company)?.map(|c| c.timezone).unwrap_or_default();
    let day = |raw: &Option<String>, field: &str| -> Result<Option<crate::clock::Ts>> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => crate::clock::Ts::parse_date(s, &tz)
                .map(Some)
                .ok_or_else(|| Error::field(field, "date", "Дата в формате ГГГГ-ММ-ДД", "Date as YYYY-MM-DD")),
        }
    };
    let from = day(&q.from, "from")?;
    let to = day(&q.to, "to")?.map(|t| t.plus_days(1));
    if let Some(st) = q.status.as_deref()
        && !["paid", "debt", "returned"].contains(&st)
    {
        return Err(Error::field("status", "status", "Статус: paid, debt, returned", "Status: paid, debt, returned"));
    }
    let own_only = !(actor.can(Perm::SALES) || actor.can(Perm::CASHBOX));
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let hi = q.before.map(|b| b.saturating_sub(1)).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    let range: Box<dyn Iterator<Item = u64>> = match q.shift {
        Some(s) => {
            let mut ids = Vec::new();
            tx.range(crate::pos::store::SHIFT_SALES, (c, s, 0), (c, s, hi), true, usize::MAX, |(_, _, id), _| {
                ids.push(id);
                Ok(true)
            })?;
            Box::new(ids.into_iter())
        }
        None => Box::new(std::iter::empty()),
    };
    let mut consider = |s: Sale| {
        let ok = in_scope(actor, s.branch)
            && (!own_only || s.cashier == actor.user)
            && q.status.as_deref().is_none_or(|st| st == s.status.code())
            && q.cashier.is_none_or(|u| u == s.cashier.0)
            && q.cash_box.is_none_or(|b| b == s.cash_box.0)
            && q.method.as_deref().is_none_or(|m| s.payments.iter().any(|p| p.method.code() == m))
            && from.is_none_or(|f| s.at >= f)
            && to.is_none_or(|t| s.at < t);
        if ok {
            out.push(s);
        }
        out.len() < limit
    };
    if q.shift.is_some() {
        for id in range {
            if let Some(s) = tx.get(SALES, (c, id))?
                && !consider(s)
            {
                break;
            }
        }
    } else {
        tx.range(SALES, (c, 0), (c, hi), true, usize::MAX, |_, s| Ok(consider(s)))?;
    }
    Ok(out)
}

#[utoipa::path(get, path = "/api/v1/sales", tag = "pos", security(("bearer" = [])), params(SaleQuery),
    responses((status = 200, body = Vec<SaleDto>), (status = 422, body = Problem)))]
pub async fn list_sales(State(app): State<App>, a: Auth, Query(q): Query<SaleQuery>) -> Result<Json<Vec<SaleDto>>> {
    require_pos(&a.actor)?;
    Ok(Json(list_sales_in(&app.db.read()?, &a.actor, &q)?.iter().map(SaleDto::from).collect()))
}

/// A sale the actor may read: in their branch scope; cashiers without the sales right see their own.
pub fn readable_sale(tx: &ReadTx, actor: &Actor, id: SaleId) -> Result<Sale> {
    match tx.get(SALES, (actor.company.0, id.0))? {
        Some(s) if in_scope(actor, s.branch) && (s.cashier == actor.user || actor.can(Perm::SALES) || actor.can(Perm::CASHBOX)) => Ok(s),
        _ => Err(Error::NotFound),
    }
}

#[utoipa::path(get, path = "/api/v1/sales/{id}", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = SaleDto), (status = 404, body = Problem)))]
pub async fn get_sale(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<SaleDto>> {
    require_pos(&a.actor)?;
    Ok(Json(SaleDto::from(&readable_sale(&app.db.read()?, &a.actor, SaleId(id))?)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnLineInput {
    /// Index of the sale line (0-based).
    pub line: usize,
    pub qty: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnInput {
    pub idempotency_key: String,
    /// Whose open shift pays the refund; default the sale's cash box.
    #[serde(default)]
    pub cash_box: Option<u64>,
    /// Empty: return everything not yet returned.
    #[serde(default)]
    pub lines: Vec<ReturnLineInput>,
    /// cash (default), card, transfer, wallet:<name>, debt (reduces the client's debt)
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReturnDto {
    pub id: u64,
    pub number: String,
    pub sale: u64,
    pub at: String,
    pub shift: u64,
    pub method: String,
    pub amount: String,
    /// (line index, qty, amount, cost)
    pub lines: Vec<(usize, String, String, String)>,
}

impl From<&SaleReturn> for ReturnDto {
    fn from(r: &SaleReturn) -> Self {
        ReturnDto {
            id: r.id,
            number: r.number.clone(),
            sale: r.sale.0,
            at: r.at.rfc3339(),
            shift: r.shift.0,
            method: r.method.code(),
            amount: r.amount.to_string(),
            lines: r.lines.iter().map(|l| (l.line, l.qty.to_string(), l.amount.to_string(), l.cost.to_string())).collect(),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/sales/{id}/returns", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)), request_body = ReturnInput,
    responses((status = 201, body = ReturnDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn return_sale(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<ReturnInput>,
) -> Result<(StatusCode, Json<ReturnDto>)> {
    let now = app.now();
    let d = ReturnDraft {
        key: i.idempotency_key,
        cash_box: i.cash_box.map(CashBoxId),
        lines: i.lines.into_iter().map(|l| (l.line, l.qty)).collect(),
        method: i.method,
        reason: i.reason,
    };
    let r = app.db.write(move |tx| pos::return_sale(tx, &a.actor, now, SaleId(id), &d)).await?;
    Ok((StatusCode::CREATED, Json(ReturnDto::from(&r))))
}

#[utoipa::path(get, path = "/api/v1/sales/{id}/returns", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<ReturnDto>), (status = 404, body = Problem)))]
pub async fn list_returns(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<ReturnDto>>> {
    require_pos(&a.actor)?;
    let tx = app.db.read()?;
    let sale = readable_sale(&tx, &a.actor, SaleId(id))?;
    let mut out = Vec::new();
    for r in &sale.returns {
        if let Some(ret) = tx.get(RETURNS, (a.actor.company.0, *r))? {
            out.push(ReturnDto::from(&ret));
        }
    }
    Ok(Json(out))
}

/// Users of the company by id, for names in lists.
pub fn user_names(tx: &ReadTx, actor: &Actor) -> Result<std::collections::BTreeMap<u64, String>> {
    let c = actor.company.0;
    Ok(tx.list(crate::tenancy::store::USERS, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|((_, id), u)| (id, u.name)).collect())
}
