//! Point of sale: cash boxes, POS settings, shifts (X report, close), cash in/out and the
//! server-side cart. Checkout, sales and returns are in `sales`.

use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{BranchId, CashBoxId, ClientId, ProductId, ShiftId, UserId, WarehouseId};
use crate::pos::model::{Cart, CashBox, CashFlow, OrderDiscount, Shift, ShiftStatus, recalc};
use crate::pos::query::{self, ShiftFilter};
use crate::pos::{self, CashBoxDraft};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn require_pos(actor: &Actor) -> Result<()> {
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

#[utoipa::path(get, path = "/api/v1/cash-boxes", tag = "pos", security(("bearer" = [])), responses((status = 200, body = Vec<CashBoxDto>)))]
pub async fn list_cash_boxes(State(app): State<App>, a: Auth) -> Result<Json<Vec<CashBoxDto>>> {
    require_pos(&a.actor)?;
    Ok(Json(query::cash_boxes(&app.db.read()?, &a.actor)?.into_iter().map(CashBoxDto::from).collect()))
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
    let s = pos::settings(&app.db.read()?, a.actor.company)?;
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

impl From<ShiftQuery> for ShiftFilter {
    fn from(q: ShiftQuery) -> Self {
        ShiftFilter {
            open: q.status.map(|st| st == "open"),
            cash_box: q.cash_box.map(CashBoxId),
            cashier: q.cashier.map(UserId),
            limit: q.limit,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/shifts", tag = "pos", security(("bearer" = [])), params(ShiftQuery), responses((status = 200, body = Vec<ShiftDto>)))]
pub async fn list_shifts(State(app): State<App>, a: Auth, Query(q): Query<ShiftQuery>) -> Result<Json<Vec<ShiftDto>>> {
    require_pos(&a.actor)?;
    Ok(Json(query::shifts(&app.db.read()?, &a.actor, &q.into())?.iter().map(ShiftDto::from).collect()))
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
    Ok(Json(ShiftDto::from(&query::readable_shift(&app.db.read()?, &a.actor, ShiftId(id))?)))
}

/// Closes the shift with the counted cash: the Z report.
#[utoipa::path(post, path = "/api/v1/shifts/{id}/close", tag = "pos", security(("bearer" = [])), params(("id" = u64, Path)), request_body = CloseShiftInput,
    responses((status = 200, body = ShiftDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn close_shift(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<CloseShiftInput>) -> Result<Json<ShiftDto>> {
    let (now, c) = (app.now(), a.actor.company);
    let closed = app.db.write(move |tx| pos::close_shift(tx, &a.actor, now, ShiftId(id), &i.closing_cash)).await?;
    crate::messaging::publish(&app.live, c, closed.live);
    Ok(Json(ShiftDto::from(&closed.shift)))
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
    let s = query::readable_shift(&tx, &a.actor, ShiftId(id))?;
    Ok(Json(
        query::cash_ledger(&tx, &a.actor, &s, 10_000)?
            .into_iter()
            .map(|e| CashEntryDto {
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
            status: query::flow_status_code(f.status).into(),
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
    Ok(Json(query::flows(&app.db.read()?, &a.actor, q.status.as_deref())?.into_iter().map(CashFlowDto::from).collect()))
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

/// The cash boxes the actor may see: [`query::cash_boxes`]. Kept only for `views/analytics.rs`
/// (another branch moves it onto `pos::query`); delete once nothing calls it.
pub fn cash_boxes(tx: &crate::storage::ReadTx, actor: &Actor) -> Result<Vec<CashBox>> {
    query::cash_boxes(tx, actor)
}

/// Users of the company by id, for names in lists: [`crate::tenancy::query::user_names`]. Kept
/// only for `views/analytics.rs`, like [`cash_boxes`].
pub fn user_names(tx: &crate::storage::ReadTx, actor: &Actor) -> Result<std::collections::BTreeMap<u64, String>> {
    Ok(crate::tenancy::query::user_names(tx, actor.company)?.into_iter().map(|(id, name)| (id.0, name)).collect())
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_cash_boxes, create_cash_box))
        .routes(routes!(put_cash_box))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_shifts, open_shift))
        .routes(routes!(get_shift))
        .routes(routes!(close_shift))
        .routes(routes!(shift_cash))
        .routes(routes!(list_flows, create_flow))
        .routes(routes!(approve_flow))
        .routes(routes!(reject_flow))
        .routes(routes!(get_cart, put_cart, clear_cart))
        .routes(routes!(scan))
        .routes(routes!(add_item))
        .routes(routes!(put_line))
}
