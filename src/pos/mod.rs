//! Point of sale: cash boxes, cashier shifts with running totals and a cash ledger, server-side
//! carts, checkout, returns (spec A6, A7).
//!
//! Invariants (verified by `store::verify`, hence `dukan check`):
//! - for every shift, expected cash = opening + cash sales − cash refunds + cash in − cash out
//!   (+ debts repaid in cash) = Σ its cash-ledger rows;
//! - for every sale, Σ payments = Σ line amounts = total;
//! - a checkout or a return is one write transaction — sale, stock movements (FIFO through the
//!   inventory engine), shift totals, cash row, audit and outbox rows — and is idempotent: a
//!   retried request with the same key returns the first result and changes nothing;
//! - the daily sales projection (`daily`) equals what its sales and returns add up to.

pub mod daily;
pub mod model;
pub mod store;

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::auth::actor::{Actor, BranchScope};
use crate::catalog::model::{Kind, Product};
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result, Shortage};
use crate::ids::{BranchId, CashBoxId, ClientId, ProductId, SaleId, ShiftId, WarehouseId};
use crate::inventory::model::{Intent, Move, MoveKey, MoveKind};
use crate::inventory::store::{BALANCES, MOVES, SETTINGS, WAREHOUSES, move_key};
use crate::money::{parse_money, parse_percent, parse_qty, round_money, round_qty};
use crate::storage::WriteTx;
use crate::tenancy::model::parse_name;
use crate::tenancy::perms::Perm;
use model::*;
use store::*;

const FEATURE: &str = "pos";

fn cashier(actor: &Actor) -> Result<()> {
    actor.require(Perm::CASHIER)?;
    actor.require_feature(FEATURE)?;
    actor.require_writable()
}

fn in_scope(actor: &Actor, branch: Option<BranchId>) -> bool {
    match (actor.branch, branch) {
        (BranchScope::Company, _) | (_, None) => true,
        (BranchScope::Branch(b), Some(x)) => b == x,
    }
}

/// A cash box the actor may use: another company's or another branch's is "not found".
pub fn cash_box(tx: &WriteTx, actor: &Actor, id: CashBoxId) -> Result<CashBox> {
    match tx.get(CASH_BOXES, (actor.company.0, id.0))? {
        Some(b) if in_scope(actor, b.branch) => Ok(b),
        _ => Err(Error::NotFound),
    }
}

pub fn settings(tx: &WriteTx, c: crate::ids::CompanyId) -> Result<PosSettings> {
    Ok(tx.get(POS_SETTINGS, c.0)?.unwrap_or_default())
}

pub fn set_settings(tx: &mut WriteTx, actor: &Actor, now: Ts, wallets: &str, rule: &str) -> Result<PosSettings> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let mut p = Problems::default();
    let wallets: Vec<String> =
        wallets.split([',', '\n']).map(|w| w.trim().chars().take(40).collect::<String>()).filter(|w| !w.is_empty()).collect();
    if wallets.len() > 20 || wallets.iter().any(|w| w.contains(':')) {
        p.push(FieldError::new("wallets", "wallets", "До 20 названий через запятую, без «:»", "Up to 20 names, comma-separated, no “:”"));
    }
    let weight_rule = p.take(parse_weight_rule(rule));
    p.finish()?;
    let s = PosSettings { wallets, weight_rule: weight_rule.unwrap_or_default() };
    tx.insert(POS_SETTINGS, actor.company.0, &s)?;
    audit::record(tx, actor.company, actor, now, "pos.settings", format!("company:{}", actor.company), rule.to_string())?;
    Ok(s)
}

/// "20-29/5/weight" or "20,21/5/price": prefixes, item digits, value kind.
pub fn parse_weight_rule(raw: &str) -> std::result::Result<WeightRule, FieldError> {
    let bad = || {
        FieldError::new(
            "weight_rule",
            "weight_rule",
            "Формат: префиксы/цифр кода/weight|price, например 20-29/5/weight",
            "Format: prefixes/item digits/weight|price, e.g. 20-29/5/weight",
        )
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(WeightRule::default());
    }
    let parts: Vec<&str> = raw.split('/').map(str::trim).collect();
    let [prefixes, digits, kind] = parts.as_slice() else { return Err(bad()) };
    let mut list = Vec::new();
    for part in prefixes.split(',').map(str::trim) {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let (Ok(lo), Ok(hi)) = (lo.trim().parse::<u8>(), hi.trim().parse::<u8>()) else { return Err(bad()) };
        if lo > hi || hi > 99 {
            return Err(bad());
        }
        list.extend(lo..=hi);
    }
    let item_digits = digits.parse::<u8>().map_err(|_| bad())?;
    if list.is_empty() || !(1..=8).contains(&item_digits) {
        return Err(bad());
    }
    let price_embedded = match *kind {
        "weight" => false,
        "price" => true,
        _ => return Err(bad()),
    };
    list.sort_unstable();
    list.dedup();
    Ok(WeightRule { prefixes: list, item_digits, price_embedded })
}

pub fn format_weight_rule(r: &WeightRule) -> String {
    let mut ranges: Vec<String> = Vec::new();
    let mut i = 0;
    while i < r.prefixes.len() {
        let lo = r.prefixes[i];
        let mut hi = lo;
        while i + 1 < r.prefixes.len() && r.prefixes[i + 1] == hi + 1 {
            i += 1;
            hi = r.prefixes[i];
        }
        ranges.push(if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") });
        i += 1;
    }
    format!("{}/{}/{}", ranges.join(","), r.item_digits, if r.price_embedded { "price" } else { "weight" })
}

#[derive(Debug, Clone, Default)]
pub struct CashBoxDraft {
    pub name: String,
    pub branch: Option<BranchId>,
    pub expense_only: bool,
    pub warehouse: Option<WarehouseId>,
    pub active: bool,
}

pub fn save_cash_box(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<CashBoxId>, d: &CashBoxDraft) -> Result<CashBoxId> {
    actor.require(Perm::CASHBOX)?;
    actor.require_feature(FEATURE)?;
    actor.require_writable()?;
    let c = actor.company.0;
    if let Some(id) = id {
        cash_box(tx, actor, id)?;
    }
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 100));
    if let Some(b) = d.branch
        && (tx.get(crate::tenancy::store::BRANCHES, (c, b.0))?.is_none() || !in_scope(actor, Some(b)))
    {
        p.push(FieldError::new("branch", "unknown_branch", "Нет такого филиала", "No such branch"));
    }
    if d.branch.is_none() && actor.branch != BranchScope::Company && !actor.owner_like() {
        p.push(FieldError::new("branch", "branch_scope", "Выберите свой филиал", "Choose your branch"));
    }
    if let Some(w) = d.warehouse
        && !tx.get(WAREHOUSES, (c, w.0))?.is_some_and(|w| w.active)
    {
        p.push(FieldError::new("warehouse", "unknown_warehouse", "Выберите активный склад", "Choose an active warehouse"));
    }
    if let Some(n) = &name {
        // Unique per branch, or per company for company-wide boxes (spec A7).
        let clash = tx
            .list(CASH_BOXES, (c, 0), (c, u64::MAX), usize::MAX)?
            .iter()
            .any(|(_, b)| Some(b.id) != id && b.branch == d.branch && b.name.to_lowercase() == n.to_lowercase());
        if clash {
            p.push(FieldError::new("name", "name_taken", "Касса с таким названием уже есть", "A cash box with this name exists"));
        }
    }
    p.finish()?;
    let name = name.ok_or_else(|| Error::Internal("cash box name missing".into()))?;
    let bid = id.unwrap_or(CashBoxId(tx.next_id()?));
    let b =
        CashBox { id: bid, name: name.clone(), branch: d.branch, expense_only: d.expense_only, warehouse: d.warehouse, active: d.active };
    tx.insert(CASH_BOXES, (c, bid.0), &b)?;
    audit::record(tx, actor.company, actor, now, "cash_box.save", format!("cash_box:{bid}"), name)?;
    Ok(bid)
}

fn open_shift_of(tx: &WriteTx, actor: &Actor, b: CashBoxId) -> Result<Option<Shift>> {
    let c = actor.company.0;
    match tx.get(OPEN_SHIFTS, (c, b.0, actor.user.0))? {
        Some(id) => Ok(tx.get(SHIFTS, (c, id))?),
        None => Ok(None),
    }
}

fn require_open_shift(tx: &WriteTx, actor: &Actor, b: CashBoxId) -> Result<Shift> {
    open_shift_of(tx, actor, b)?.ok_or_else(|| {
        Error::refused("shift_not_open", "Смена не открыта: откройте смену на этой кассе", "No open shift: open a shift at this cash box")
    })
}

/// Appends a cash-ledger row to a shift (the caller updates and stores the shift).
fn cash_row(tx: &mut WriteTx, actor: &Actor, now: Ts, shift: &mut Shift, kind: CashKind, amount: Decimal, reference: String) -> Result<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let seq = shift.cash_rows;
    shift.cash_rows += 1;
    tx.insert(CASH_LEDGER, (actor.company.0, shift.id.0, seq), &CashEntry { kind, amount, reference, at: now, user: actor.user })?;
    Ok(())
}

/// A debt repaid in cash at a till: the cash goes into the cashier's open shift at box `b`
/// (never the sale's, possibly closed, shift). Called by `clients::pay_debt` in its
/// transaction; returns the shift.
pub fn take_debt_cash(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, amount: Decimal, reference: String) -> Result<ShiftId> {
    cashier(actor)?;
    let cb = cash_box(tx, actor, b)?;
    if !cb.active {
        return Err(Error::field("cash_box", "cash_box_inactive", "Касса отключена", "The cash box is inactive"));
    }
    let mut shift = require_open_shift(tx, actor, b)?;
    shift.totals.debt_cash += amount;
    cash_row(tx, actor, now, &mut shift, CashKind::DebtPayment, amount, reference)?;
    tx.insert(SHIFTS, (actor.company.0, shift.id.0), &shift)?;
    Ok(shift.id)
}

pub fn open_shift(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, opening: &str) -> Result<Shift> {
    cashier(actor)?;
    let c = actor.company.0;
    let cb = cash_box(tx, actor, b)?;
    if !cb.active || cb.expense_only {
        return Err(Error::refused(
            "cash_box_not_for_sales",
            "На этой кассе нельзя открыть смену (касса отключена или только для расходов)",
            "This cash box cannot hold a shift (deactivated or expense-only)",
        ));
    }
    let opening = if opening.trim().is_empty() {
        Decimal::ZERO
    } else {
        parse_money("opening_cash", opening, false).map_err(|e| Error::Validation(vec![e]))?
    };
    if let Some(s) = open_shift_of(tx, actor, b)? {
        return Err(Error::refused(
            "shift_already_open",
            format!("У вас уже открыта смена {} на этой кассе", s.number),
            format!("You already have shift {} open at this cash box", s.number),
        ));
    }
    let id = ShiftId(tx.next_id()?);
    let n = tx.next_counter(c, "shift")?;
    let mut shift = Shift {
        id,
        number: format!("С-{n:06}"),
        cash_box: b,
        branch: cb.branch,
        cashier: actor.user,
        status: ShiftStatus::Open,
        opened: now,
        closed: None,
        opening_cash: opening,
        closing_cash: None,
        totals: ShiftTotals::default(),
        cash_rows: 0,
    };
    cash_row(tx, actor, now, &mut shift, CashKind::Opening, opening, format!("shift:{id}"))?;
    tx.insert(SHIFTS, (c, id.0), &shift)?;
    tx.insert(OPEN_SHIFTS, (c, b.0, actor.user.0), &id.0)?;
    // An open cart of an earlier shift carries over, flagged, never dropped.
    if let Some(cart_id) = tx.get(ACTIVE_CARTS, (c, actor.user.0, b.0))?
        && let Some(mut cart) = tx.get(CARTS, (c, cart_id))?
    {
        if cart.shift.is_some_and(|s| s != id) && !cart.lines.is_empty() {
            cart.carried_from = cart.shift;
        }
        cart.shift = Some(id);
        tx.insert(CARTS, (c, cart_id), &cart)?;
    }
    audit::record(tx, actor.company, actor, now, "shift.open", format!("shift:{id}"), format!("{} opening {opening}", shift.number))?;
    Ok(shift)
}

/// Closes a shift with the counted cash; the difference against the running expected amount is
/// recorded. Does no per-sale work.
pub fn close_shift(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ShiftId, counted: &str) -> Result<Shift> {
    actor.require_feature(FEATURE)?;
    actor.require_writable()?;
    let c = actor.company.0;
    let mut shift = match tx.get(SHIFTS, (c, id.0))? {
        Some(s) if in_scope(actor, s.branch) => s,
        _ => return Err(Error::NotFound),
    };
    if shift.cashier == actor.user {
        actor.require(Perm::CASHIER)?;
    } else {
        actor.require(Perm::CASHBOX)?;
    }
    if shift.status != ShiftStatus::Open {
        return Err(Error::refused(
            "shift_closed",
            format!("Смена {} уже закрыта", shift.number),
            format!("Shift {} is already closed", shift.number),
        ));
    }
    let counted = parse_money("closing_cash", counted, false).map_err(|e| Error::Validation(vec![e]))?;
    shift.status = ShiftStatus::Closed;
    shift.closed = Some(now);
    shift.closing_cash = Some(counted);
    tx.insert(SHIFTS, (c, id.0), &shift)?;
    tx.remove(OPEN_SHIFTS, (c, shift.cash_box.0, shift.cashier.0))?;
    let diff = shift.difference().unwrap_or_default();
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        "shift.close",
        format!("shift:{id}"),
        format!("{} counted {counted} difference {diff}", shift.number),
    )?;
    crate::printing::enqueue_z_report(tx, actor.company, &shift, now)?;
    Ok(shift)
}

/// Cash put in or taken out. A manager's (cash-box right) counts at once; a cashier's waits for
/// approval (spec A7: only approved flows count).
pub fn cash_flow(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, income: bool, amount: &str, reason: &str) -> Result<CashFlow> {
    actor.require_feature(FEATURE)?;
    actor.require_writable()?;
    if !(actor.can(Perm::CASHIER) || actor.can(Perm::CASHBOX)) {
        return Err(Error::Forbidden { permission: "cashier" });
    }
    let c = actor.company.0;
    let cb = cash_box(tx, actor, b)?;
    let mut p = Problems::default();
    let amount = p.take(parse_money("amount", amount, false));
    if amount.is_some_and(|a| a.is_zero()) {
        p.push(FieldError::new("amount", "amount", "Сумма больше нуля", "The amount must be above zero"));
    }
    let reason = p.take(parse_name("reason", reason, 200));
    p.finish()?;
    let (Some(amount), Some(reason)) = (amount, reason) else { return Err(Error::Internal("flow parsed without amount".into())) };
    let shift = if cb.expense_only { None } else { Some(require_open_shift(tx, actor, b)?.id) };
    let approved = actor.can(Perm::CASHBOX);
    let mut flow = CashFlow {
        id: tx.next_id()?,
        cash_box: b,
        shift,
        income,
        reason,
        amount,
        status: FlowStatus::Pending,
        created: now,
        created_by: actor.user,
        decided: None,
    };
    if approved {
        apply_flow(tx, actor, now, &mut flow)?;
    }
    tx.insert(CASH_FLOWS, (c, flow.id), &flow)?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        "cash_flow.create",
        format!("cash_flow:{}", flow.id),
        format!("{} {}", if income { "+" } else { "-" }, amount),
    )?;
    Ok(flow)
}

pub fn decide_flow(tx: &mut WriteTx, actor: &Actor, now: Ts, id: u64, approve: bool) -> Result<CashFlow> {
    actor.require(Perm::CASHBOX)?;
    actor.require_feature(FEATURE)?;
    actor.require_writable()?;
    let c = actor.company.0;
    let mut flow = tx.get(CASH_FLOWS, (c, id))?.ok_or(Error::NotFound)?;
    cash_box(tx, actor, flow.cash_box)?;
    if flow.status != FlowStatus::Pending {
        return Err(Error::refused("flow_decided", "Решение по этой операции уже принято", "This cash operation is already decided"));
    }
    if approve {
        apply_flow(tx, actor, now, &mut flow)?;
    } else {
        flow.status = FlowStatus::Rejected;
        flow.decided = Some((now, actor.user));
    }
    tx.insert(CASH_FLOWS, (c, id), &flow)?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        if approve { "cash_flow.approve" } else { "cash_flow.reject" },
        format!("cash_flow:{id}"),
        String::new(),
    )?;
    Ok(flow)
}

fn apply_flow(tx: &mut WriteTx, actor: &Actor, now: Ts, flow: &mut CashFlow) -> Result<()> {
    let c = actor.company.0;
    if let Some(sid) = flow.shift {
        let mut shift = tx.get(SHIFTS, (c, sid.0))?.ok_or(Error::NotFound)?;
        if shift.status != ShiftStatus::Open {
            return Err(Error::refused(
                "shift_closed",
                format!("Смена {} уже закрыта", shift.number),
                format!("Shift {} is already closed", shift.number),
            ));
        }
        if !flow.income && flow.amount > shift.expected_cash() {
            return Err(not_enough_cash(shift.expected_cash()));
        }
        let (kind, signed) = if flow.income { (CashKind::CashIn, flow.amount) } else { (CashKind::CashOut, -flow.amount) };
        cash_row(tx, actor, now, &mut shift, kind, signed, format!("flow:{}", flow.id))?;
        if flow.income {
            shift.totals.cash_in += flow.amount;
        } else {
            shift.totals.cash_out += flow.amount;
        }
        tx.insert(SHIFTS, (c, sid.0), &shift)?;
    }
    flow.status = FlowStatus::Approved;
    flow.decided = Some((now, actor.user));
    Ok(())
}

fn not_enough_cash(have: Decimal) -> Error {
    Error::refused(
        "not_enough_cash",
        format!("В кассе недостаточно наличных: ожидается {have}"),
        format!("Not enough cash in the drawer: {have} expected"),
    )
}

// ---- carts ----

/// The open cart of the actor at a box (created on first use).
pub fn cart(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId) -> Result<Cart> {
    cashier(actor)?;
    let c = actor.company.0;
    cash_box(tx, actor, b)?;
    if let Some(id) = tx.get(ACTIVE_CARTS, (c, actor.user.0, b.0))?
        && let Some(cart) = tx.get(CARTS, (c, id))?
    {
        return Ok(cart);
    }
    let shift = open_shift_of(tx, actor, b)?.map(|s| s.id);
    let cart = Cart {
        id: tx.next_id()?,
        cash_box: b,
        user: actor.user,
        shift,
        carried_from: None,
        lines: Vec::new(),
        discount: OrderDiscount::None,
        client: None,
        updated: now,
    };
    tx.insert(CARTS, (c, cart.id), &cart)?;
    tx.insert(ACTIVE_CARTS, (c, actor.user.0, b.0), &cart.id)?;
    Ok(cart)
}

fn save_cart(tx: &mut WriteTx, actor: &Actor, now: Ts, mut cart: Cart) -> Result<Cart> {
    cart.updated = now;
    tx.insert(CARTS, (actor.company.0, cart.id), &cart)?;
    Ok(cart)
}

fn line_of(p: &Product, qty: Decimal) -> CartLine {
    CartLine {
        product: Some(p.id),
        name: p.name.clone(),
        barcode: p.barcodes.first().cloned().unwrap_or_default(),
        unit: p.unit.code().into(),
        qty,
        unit_price: p.price,
        list_price: p.price,
        discount: Decimal::ZERO,
    }
}

fn add_to(cart: &mut Cart, line: CartLine) {
    // (cart, product) is unique (spec A6): a repeated scan adds to the line.
    if let Some(existing) = cart.lines.iter_mut().find(|l| l.product.is_some() && l.product == line.product) {
        existing.qty = round_qty(existing.qty + line.qty);
    } else {
        cart.lines.push(line);
    }
}

/// What a scanned code found.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    pub cart: Cart,
    pub product: ProductId,
    pub qty: Decimal,
    pub weighed: bool,
}

/// A scan: the company's barcode first, then a weighed-goods code by the company's rule.
pub fn scan(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, code: &str) -> Result<Scanned> {
    let mut cart = cart(tx, actor, now, b)?;
    let c = actor.company;
    let code = code.trim();
    let found = match tx.get(crate::catalog::store::BARCODES, (c.0, code))? {
        Some(pid) => tx.get(PRODUCTS, (c.0, pid))?.map(|p| (p, Decimal::ONE, false)),
        None => None,
    };
    let found = match found {
        Some(f) => Some(f),
        None => match settings(tx, c)?.weight_rule.parse(code) {
            Some(Weighed::Weight { item, kg }) => product_by_plu(tx, c, item)?.map(|p| (p, kg, true)),
            Some(Weighed::Price { item, amount }) => match product_by_plu(tx, c, item)? {
                Some(p) if p.price > Decimal::ZERO => {
                    let kg = round_qty(amount / p.price);
                    Some((p, kg, true))
                }
                _ => None,
            },
            None => None,
        },
    };
    let Some((p, qty, weighed)) = found.filter(|(p, q, _)| !p.archived && *q > Decimal::ZERO) else {
        return Err(Error::refused(
            "barcode_unknown",
            format!("Товар со штрихкодом {code} не найден"),
            format!("No product with barcode {code}"),
        ));
    };
    add_to(&mut cart, line_of(&p, qty));
    let cart = save_cart(tx, actor, now, cart)?;
    Ok(Scanned { cart, product: p.id, qty, weighed })
}

fn product_by_plu(tx: &WriteTx, c: crate::ids::CompanyId, plu: u32) -> Result<Option<Product>> {
    match tx.get(crate::catalog::store::PLUS, (c.0, u64::from(plu)))? {
        Some(pid) => Ok(tx.get(PRODUCTS, (c.0, pid))?),
        None => Ok(None),
    }
}

pub fn add_product(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, product: ProductId, qty: &str) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    let qty = if qty.trim().is_empty() { Decimal::ONE } else { parse_qty("qty", qty).map_err(|e| Error::Validation(vec![e]))? };
    let p = match tx.get(PRODUCTS, (actor.company.0, product.0))? {
        Some(p) if !p.archived => p,
        _ => return Err(Error::field("product", "unknown_product", "Нет такого товара", "No such product")),
    };
    add_to(&mut cart, line_of(&p, qty));
    save_cart(tx, actor, now, cart)
}

pub fn add_custom(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, name: &str, price: &str, qty: &str) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    let mut p = Problems::default();
    let name = p.take(parse_name("name", name, 200));
    let price = p.take(parse_money("price", price, false));
    let qty = if qty.trim().is_empty() { Some(Decimal::ONE) } else { p.take(parse_qty("qty", qty)) };
    p.finish()?;
    let (Some(name), Some(price), Some(qty)) = (name, price, qty) else { return Err(Error::Internal("custom item parse".into())) };
    cart.lines.push(CartLine {
        product: None,
        name,
        barcode: String::new(),
        unit: "pcs".into(),
        qty,
        unit_price: price,
        list_price: price,
        discount: Decimal::ZERO,
    });
    save_cart(tx, actor, now, cart)
}

/// A change to one cart line; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct LineEdit {
    /// 0 removes the line.
    pub qty: Option<String>,
    pub price: Option<String>,
    pub discount: Option<String>,
}

/// Changes a line: quantity (0 removes it), unit price, line discount.
pub fn update_line(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, index: usize, edit: &LineEdit) -> Result<Cart> {
    let (qty, price, discount) = (edit.qty.as_deref(), edit.price.as_deref(), edit.discount.as_deref());
    let mut cart = cart(tx, actor, now, b)?;
    if index >= cart.lines.len() {
        return Err(Error::NotFound);
    }
    let mut p = Problems::default();
    if let Some(q) = qty {
        if q.trim().parse::<Decimal>().is_ok_and(|d| d.is_zero()) {
            cart.lines.remove(index);
            return save_cart(tx, actor, now, cart);
        }
        if let Some(q) = p.take(parse_qty("qty", q)) {
            cart.lines[index].qty = q;
        }
    }
    if let Some(pr) = price
        && let Some(pr) = p.take(parse_money("price", pr, false))
    {
        cart.lines[index].unit_price = pr;
        if cart.lines[index].product.is_none() {
            cart.lines[index].list_price = pr;
        }
    }
    if let Some(d) = discount
        && let Some(d) = p.take(parse_money("discount", if d.trim().is_empty() { "0" } else { d }, false))
    {
        cart.lines[index].discount = d;
    }
    p.finish()?;
    check_line(tx, actor, &cart.lines[index], index)?;
    save_cart(tx, actor, now, cart)
}

/// The seed's rules for one line: the discount fits the line, and without a line discount the
/// price does not fall below the purchase price.
fn check_line(tx: &WriteTx, actor: &Actor, l: &CartLine, i: usize) -> Result<()> {
    let mut p = Problems::default();
    line_problems(tx, actor, l, i, &mut p)?;
    p.finish()
}

fn line_problems(tx: &WriteTx, actor: &Actor, l: &CartLine, i: usize, p: &mut Problems) -> Result<()> {
    if l.discount > round_money(l.unit_price * l.qty) {
        p.push(FieldError::new(
            &format!("lines[{i}].discount"),
            "discount_too_big",
            format!("Строка {}: скидка больше суммы строки", i + 1),
            format!("Line {}: the discount exceeds the line amount", i + 1),
        ));
    }
    if let Some(pid) = l.product
        && l.discount.is_zero()
        && let Some(prod) = tx.get(PRODUCTS, (actor.company.0, pid.0))?
        && l.unit_price < prod.purchase_price
    {
        p.push(FieldError::new(
            &format!("lines[{i}].price"),
            "below_cost",
            format!("Строка {}: цена {} ниже закупочной {} — оформите скидкой", i + 1, l.unit_price, prod.purchase_price),
            format!("Line {}: price {} is below the purchase price {} — give a discount instead", i + 1, l.unit_price, prod.purchase_price),
        ));
    }
    Ok(())
}

pub fn set_discount(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, percent: &str, amount: &str) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    cart.discount = parse_discount(percent, amount)?;
    save_cart(tx, actor, now, cart)
}

/// Percent or amount, never both (spec A6).
pub fn parse_discount(percent: &str, amount: &str) -> Result<OrderDiscount> {
    let (percent, amount) = (percent.trim(), amount.trim());
    let nonzero = |s: &str| !s.is_empty() && !s.replace(',', ".").parse::<Decimal>().is_ok_and(|d| d.is_zero());
    match (nonzero(percent), nonzero(amount)) {
        (true, true) => Err(Error::field(
            "discount",
            "discount_both",
            "Скидка: процент или сумма, не оба",
            "Discount: a percentage or an amount, not both",
        )),
        (true, false) => Ok(OrderDiscount::Percent(parse_percent("discount_percent", percent).map_err(|e| Error::Validation(vec![e]))?)),
        (false, true) => Ok(OrderDiscount::Amount(parse_money("discount_amount", amount, false).map_err(|e| Error::Validation(vec![e]))?)),
        (false, false) => Ok(OrderDiscount::None),
    }
}

pub fn set_client(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, client: Option<ClientId>) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    cart.client = client;
    save_cart(tx, actor, now, cart)
}

pub fn clear_cart(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    cart.lines.clear();
    cart.discount = OrderDiscount::None;
    cart.client = None;
    cart.carried_from = None;
    save_cart(tx, actor, now, cart)
}

// ---- checkout ----

/// A sale line sent by an API client (a till without a server cart).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LineDraft {
    pub product: Option<ProductId>,
    pub name: String,
    pub qty: String,
    pub price: String,
    pub discount: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PaymentDraft {
    pub method: String,
    pub amount: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckoutDraft {
    /// Chosen by the client, at most 100 characters; a retry sends the same key.
    pub key: String,
    pub cash_box: Option<CashBoxId>,
    /// `None`: check out the caller's open cart at the box.
    pub lines: Option<Vec<LineDraft>>,
    pub discount_percent: String,
    pub discount_amount: String,
    pub client: Option<ClientId>,
    pub payments: Vec<PaymentDraft>,
}

fn fingerprint<T: Serialize>(kind: &str, value: &T) -> Result<[u8; 32]> {
    let body = serde_json::to_vec(value).map_err(|e| Error::Internal(format!("fingerprint: {e}")))?;
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update(&body);
    Ok(h.finalize().into())
}

fn check_key(key: &str) -> Result<()> {
    let k = key.trim();
    if k.is_empty() || k.len() > 100 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::field(
            "idempotency_key",
            "idempotency_key",
            "Ключ идемпотентности: 1–100 печатных ASCII-символов",
            "Idempotency key: 1–100 printable ASCII characters",
        ));
    }
    Ok(())
}

/// A key seen before: the same request gets its earlier result; another request is refused.
fn replay(tx: &WriteTx, actor: &Actor, key: &str, print: [u8; 32]) -> Result<Option<String>> {
    match tx.get(IDEMPOTENCY, (actor.company.0, key))? {
        Some(seen) if seen.fingerprint == print => Ok(Some(seen.result)),
        Some(_) => Err(Error::refused(
            "idempotency_conflict",
            "Этот ключ идемпотентности уже использован для другого запроса",
            "This idempotency key was already used for a different request",
        )),
        None => Ok(None),
    }
}

/// Checks out: one transaction writes the sale, its stock movements (FIFO), the shift's running
/// totals and cash row, and the audit row. Idempotent by `d.key`.
pub fn checkout(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &CheckoutDraft) -> Result<Sale> {
    cashier(actor)?;
    let c = actor.company;
    check_key(&d.key)?;
    let key = d.key.trim();
    let print = fingerprint("checkout", d)?;
    if let Some(result) = replay(tx, actor, key, print)? {
        let id = result
            .strip_prefix("sale:")
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| Error::Internal(format!("idempotency result {result}")))?;
        return tx.get(SALES, (c.0, id))?.ok_or_else(|| Error::Internal(format!("sale {id} of an idempotency key is missing")));
    }
    let b = d.cash_box.ok_or_else(|| Error::field("cash_box", "required", "Выберите кассу", "Choose a cash box"))?;
    let cb = cash_box(tx, actor, b)?;
    let mut shift = require_open_shift(tx, actor, b)?;
    let pos = settings(tx, c)?;
    let mut p = Problems::default();

    // The lines: the request's, or the open cart's.
    let mut cart_used = None;
    let (lines, discount, client) = match &d.lines {
        Some(drafts) => {
            let mut lines = Vec::with_capacity(drafts.len());
            for (i, l) in drafts.iter().enumerate() {
                if let Some(line) = parse_line(tx, actor, l, i, &mut p)? {
                    lines.push(line);
                }
            }
            let discount = match parse_discount(&d.discount_percent, &d.discount_amount) {
                Ok(x) => x,
                Err(e) => {
                    e.fields().iter().for_each(|f| p.push(f.clone()));
                    OrderDiscount::None
                }
            };
            (lines, discount, d.client)
        }
        None => {
            let cart = cart(tx, actor, now, b)?;
            let out = (cart.lines.clone(), cart.discount, d.client.or(cart.client));
            cart_used = Some(cart);
            out
        }
    };
    if lines.is_empty() {
        p.push(FieldError::new("lines", "required", "Чек пуст: добавьте товар", "The sale is empty: add an item"));
    }
    for (i, l) in lines.iter().enumerate() {
        line_problems(tx, actor, l, i, &mut p)?;
    }
    if let Some(cl) = client {
        crate::clients::check_sale_client(tx, actor, cl, &mut p)?;
    }
    let totals = recalc(&lines, discount);
    let payments = parse_payments(&d.payments, &pos.wallets, totals.total, client, &mut p);
    p.finish()?;
    let (payments, cash_received, change) = payments.ok_or_else(|| Error::Internal("payments parsed with problems".into()))?;

    // Stock: what each line takes, checked all at once so every short line is named.
    let warehouse = cb.warehouse;
    let mut takes: Vec<Vec<(ProductId, Decimal)>> = Vec::with_capacity(lines.len());
    let mut needed: BTreeMap<u64, Decimal> = BTreeMap::new();
    for l in &lines {
        let mut t = Vec::new();
        if let Some(pid) = l.product
            && let Some(prod) = tx.get(PRODUCTS, (c.0, pid.0))?
        {
            match prod.kind {
                Kind::Goods => t.push((pid, l.qty)),
                Kind::Bundle => t.extend(prod.components.iter().map(|comp| (comp.product, round_qty(comp.qty * l.qty)))),
                Kind::Service => {}
            }
        }
        for (pid, q) in &t {
            *needed.entry(pid.0).or_default() += *q;
        }
        takes.push(t);
    }
    let inv = tx.get(SETTINGS, c.0)?.unwrap_or_default();
    if !needed.is_empty() {
        let Some(wh) = warehouse else {
            return Err(Error::refused(
                "no_warehouse",
                "У кассы не указан склад для списания товара",
                "The cash box has no warehouse to take goods from",
            ));
        };
        if let Some(until) = inv.locked_until
            && now <= until
        {
            return Err(Error::PeriodClosed { until: until.rfc3339() });
        }
        if !inv.allow_negative {
            let wname = tx.get(WAREHOUSES, (c.0, wh.0))?.map(|w| w.name).unwrap_or_default();
            let mut short = Vec::new();
            for (pid, need) in &needed {
                let have = tx.get(BALANCES, (c.0, wh.0, *pid))?.map(|b| b.qty).unwrap_or_default();
                if have < *need {
                    let product = tx.get(PRODUCTS, (c.0, *pid))?.map(|p| p.name).unwrap_or_default();
                    short.push(Shortage { product, warehouse: wname.clone(), available: have, needed: *need });
                }
            }
            if !short.is_empty() {
                return Err(Error::OutOfStock(short));
            }
        }
    }

    let id = SaleId(tx.next_id()?);
    let mut starts: BTreeMap<(u64, u64), (i64, u64, u64)> = BTreeMap::new();
    let mut line_moves: Vec<Vec<MoveKey>> = Vec::with_capacity(lines.len());
    for t in &takes {
        let mut keys = Vec::new();
        if let Some(wh) = warehouse {
            for (pid, q) in t {
                let mid = tx.next_id()?;
                let key = MoveKey { warehouse: wh, product: *pid, date: now.0, order: mid, id: mid };
                crate::inventory::store::put_new_move(tx, c, &key, &sale_move(mid, id, MoveKind::Sale, Intent::Out { qty: *q }))?;
                starts.entry((wh.0, pid.0)).or_insert((now.0, mid, mid));
                keys.push(key);
            }
        }
        line_moves.push(keys);
    }
    crate::inventory::recost_items(tx, c, starts, &inv)?;

    let shares = allocate(totals.order_discount, &totals.line_amounts);
    let mut sale_lines = Vec::with_capacity(lines.len());
    for (i, (l, keys)) in lines.iter().zip(line_moves).enumerate() {
        let mut cost = Decimal::ZERO;
        for k in &keys {
            cost -= tx.get(MOVES, move_key(c, k))?.map(|m| m.value).unwrap_or_default();
        }
        let base = round_money(l.list_price * l.qty);
        let actual = totals.line_amounts[i];
        sale_lines.push(SaleLine {
            product: l.product,
            name: l.name.clone(),
            barcode: l.barcode.clone(),
            unit: l.unit.clone(),
            qty: l.qty,
            unit_price: l.unit_price,
            discount: (base - actual).max(Decimal::ZERO) + shares[i],
            amount: actual - shares[i],
            cost,
            moves: keys,
            returned_qty: Decimal::ZERO,
            returned_amount: Decimal::ZERO,
        });
    }
    let n = tx.next_counter(c.0, "sale")?;
    let debt = payments.iter().any(|p| p.method == Method::Debt);
    let sale = Sale {
        id,
        number: format!("П-{n:06}"),
        status: if debt { SaleStatus::Debt } else { SaleStatus::Paid },
        at: now,
        cash_box: b,
        shift: shift.id,
        branch: cb.branch,
        warehouse,
        cashier: actor.user,
        client,
        lines: sale_lines,
        subtotal: totals.subtotal,
        discount: totals.discount_total,
        total: totals.total,
        payments,
        cash_received,
        change,
        returned: Decimal::ZERO,
        returns: Vec::new(),
        idempotency_key: key.to_string(),
    };

    // The shift's running totals and its cash row.
    let t = &mut shift.totals;
    t.sales += 1;
    t.sales_amount += sale.total;
    t.discounts += sale.discount;
    t.cogs += sale.cost();
    for pay in &sale.payments {
        *t.paid.entry(pay.method.code()).or_default() += pay.amount;
    }
    let cash: Decimal = sale.payments.iter().filter(|p| p.method == Method::Cash).map(|p| p.amount).sum();
    cash_row(tx, actor, now, &mut shift, CashKind::Sale, cash, format!("sale:{id}"))?;
    tx.insert(SHIFTS, (c.0, shift.id.0), &shift)?;
    tx.insert(SALES, (c.0, id.0), &sale)?;
    tx.insert(SHIFT_SALES, (c.0, shift.id.0, id.0), &id.0)?;
    daily::record_sale(tx, c, &sale)?;
    crate::clients::on_checkout(tx, actor, now, &sale)?;
    tx.insert(IDEMPOTENCY, (c.0, key), &Idempotent { fingerprint: print, result: format!("sale:{id}"), at: now })?;
    if let Some(mut cart) = cart_used {
        cart.lines.clear();
        cart.discount = OrderDiscount::None;
        cart.client = None;
        cart.carried_from = None;
        save_cart(tx, actor, now, cart)?;
    }
    audit::record(tx, c, actor, now, "sale.checkout", format!("sale:{id}"), format!("{} {}", sale.number, sale.total))?;
    crate::printing::enqueue_sale(tx, c, &sale, now, false)?;
    Ok(sale)
}

fn sale_move(id: u64, sale: SaleId, kind: MoveKind, intent: Intent) -> Move {
    Move {
        id,
        // A sale's movements name the sale; ids are box-wide, and the kind says which it is.
        doc: crate::ids::DocumentId(sale.0),
        kind,
        intent,
        pair: None,
        qty: Decimal::ZERO,
        value: Decimal::ZERO,
        effects: Vec::new(),
        variance: Decimal::ZERO,
        qty_after: Decimal::ZERO,
        value_after: Decimal::ZERO,
    }
}

fn parse_line(tx: &WriteTx, actor: &Actor, l: &LineDraft, i: usize, p: &mut Problems) -> Result<Option<CartLine>> {
    let f = |name: &str| format!("lines[{i}].{name}");
    let qty = if l.qty.trim().is_empty() { Some(Decimal::ONE) } else { p.take(parse_qty(&f("qty"), &l.qty)) };
    let price = if l.price.trim().is_empty() { None } else { p.take(parse_money(&f("price"), &l.price, false)).map(Some).unwrap_or(None) };
    let discount = if l.discount.trim().is_empty() { Some(Decimal::ZERO) } else { p.take(parse_money(&f("discount"), &l.discount, false)) };
    let line = match l.product {
        Some(pid) => match tx.get(PRODUCTS, (actor.company.0, pid.0))? {
            Some(prod) if !prod.archived => qty.map(|q| {
                let mut line = line_of(&prod, q);
                if let Some(pr) = price {
                    line.unit_price = pr;
                }
                line
            }),
            _ => {
                p.push(FieldError::new(
                    &f("product"),
                    "unknown_product",
                    format!("Строка {}: нет такого товара", i + 1),
                    format!("Line {}: no such product", i + 1),
                ));
                None
            }
        },
        None => {
            let name = p.take(parse_name(&f("name"), &l.name, 200));
            if price.is_none() && !l.price.trim().is_empty() {
                None
            } else if let (Some(name), Some(q)) = (name, qty) {
                match price {
                    Some(pr) => Some(CartLine {
                        product: None,
                        name,
                        barcode: String::new(),
                        unit: "pcs".into(),
                        qty: q,
                        unit_price: pr,
                        list_price: pr,
                        discount: Decimal::ZERO,
                    }),
                    None => {
                        p.push(FieldError::new(
                            &f("price"),
                            "required",
                            format!("Строка {}: укажите цену", i + 1),
                            format!("Line {}: enter a price", i + 1),
                        ));
                        None
                    }
                }
            } else {
                None
            }
        }
    };
    Ok(match (line, discount) {
        (Some(mut line), Some(disc)) => {
            line.discount = disc;
            Some(line)
        }
        _ => None,
    })
}

/// Payments against `total`: amounts by method; cash may exceed what is due (change); a debt
/// part needs a client. Returns (payments as applied, cash received, change).
fn parse_payments(
    drafts: &[PaymentDraft],
    wallets: &[String],
    total: Decimal,
    client: Option<ClientId>,
    p: &mut Problems,
) -> Option<(Vec<Payment>, Decimal, Decimal)> {
    if drafts.is_empty() {
        p.push(FieldError::new("payments", "required", "Укажите оплату", "Enter the payment"));
        return None;
    }
    let mut by: BTreeMap<Method, Decimal> = BTreeMap::new();
    let mut ok = true;
    for (i, d) in drafts.iter().enumerate() {
        let method = Method::parse(&d.method, wallets);
        if method.is_none() {
            p.push(FieldError::new(
                &format!("payments[{i}].method"),
                "payment_method",
                format!("Способ оплаты «{}» не настроен", d.method),
                format!("Payment method “{}” is not set up", d.method),
            ));
        }
        let amount = p.take(parse_money(&format!("payments[{i}].amount"), &d.amount, false));
        match (method, amount) {
            (Some(m), Some(a)) => *by.entry(m).or_default() += a,
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if by.contains_key(&Method::Debt) && client.is_none() {
        p.push(FieldError::new("client", "client_required", "Продажа в долг: выберите клиента", "A sale on credit needs a client"));
        return None;
    }
    let paid: Decimal = by.values().copied().sum();
    let cash = by.get(&Method::Cash).copied().unwrap_or_default();
    if paid < total {
        p.push(FieldError::new(
            "payments",
            "underpaid",
            format!("Оплачено {paid} из {total}: не хватает {}", total - paid),
            format!("Paid {paid} of {total}: {} missing", total - paid),
        ));
        return None;
    }
    let change = paid - total;
    if change > cash {
        p.push(FieldError::new(
            "payments",
            "overpaid",
            "Сумма оплаты больше итога: сдача возможна только с наличных",
            "The payments exceed the total: only cash can give change",
        ));
        return None;
    }
    let payments: Vec<Payment> = by
        .into_iter()
        .map(|(method, amount)| {
            let amount = if method == Method::Cash { amount - change } else { amount };
            Payment { method, amount }
        })
        .filter(|p| !p.amount.is_zero())
        .collect();
    Some((payments, cash, change))
}

// ---- returns ----

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReturnDraft {
    pub key: String,
    /// The box whose open shift pays the refund; the sale's box by default.
    pub cash_box: Option<CashBoxId>,
    /// (line index, quantity); empty = everything not yet returned.
    pub lines: Vec<(usize, String)>,
    pub method: String,
    pub reason: String,
}

/// Returns some or all of a sale: stock comes back at the sale's FIFO cost, the refund is paid
/// from the current shift. Idempotent by `d.key`.
pub fn return_sale(tx: &mut WriteTx, actor: &Actor, now: Ts, sale_id: SaleId, d: &ReturnDraft) -> Result<SaleReturn> {
    cashier(actor)?;
    actor.require(Perm::SALES)?;
    let c = actor.company;
    check_key(&d.key)?;
    let key = d.key.trim();
    let print = fingerprint(&format!("return:{sale_id}"), d)?;
    let mut sale = match tx.get(SALES, (c.0, sale_id.0))? {
        Some(s) if in_scope(actor, s.branch) => s,
        _ => return Err(Error::NotFound),
    };
    if let Some(result) = replay(tx, actor, key, print)? {
        let id = result
            .strip_prefix("return:")
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| Error::Internal(format!("idempotency result {result}")))?;
        return tx.get(RETURNS, (c.0, id))?.ok_or_else(|| Error::Internal(format!("return {id} of an idempotency key is missing")));
    }
    if sale.status == SaleStatus::Returned {
        return Err(Error::refused(
            "sale_returned",
            format!("Продажа {} уже полностью возвращена", sale.number),
            format!("Sale {} is already fully returned", sale.number),
        ));
    }
    let b = d.cash_box.unwrap_or(sale.cash_box);
    cash_box(tx, actor, b)?;
    let mut shift = require_open_shift(tx, actor, b)?;
    let pos = settings(tx, c)?;
    let mut p = Problems::default();
    let method = match Method::parse(if d.method.trim().is_empty() { "cash" } else { &d.method }, &pos.wallets) {
        Some(Method::Debt) if sale.debt().is_zero() => {
            p.push(FieldError::new("method", "payment_method", "Эта продажа была не в долг", "This sale was not on credit"));
            None
        }
        Some(m) => Some(m),
        None => {
            p.push(FieldError::new(
                "method",
                "payment_method",
                format!("Способ возврата «{}» не настроен", d.method),
                format!("Refund method “{}” is not set up", d.method),
            ));
            None
        }
    };
    let wanted: Vec<(usize, Decimal)> = if d.lines.is_empty() {
        sale.lines.iter().enumerate().map(|(i, l)| (i, l.qty - l.returned_qty)).filter(|(_, q)| *q > Decimal::ZERO).collect()
    } else {
        let mut out = Vec::new();
        for (n, (i, q)) in d.lines.iter().enumerate() {
            let Some(line) = sale.lines.get(*i) else {
                p.push(FieldError::new(
                    &format!("lines[{n}].line"),
                    "unknown_line",
                    format!("В продаже нет строки {}", i + 1),
                    format!("The sale has no line {}", i + 1),
                ));
                continue;
            };
            if let Some(q) = p.take(parse_qty(&format!("lines[{n}].qty"), q)) {
                let left = line.qty - line.returned_qty;
                if q > left || out.iter().any(|(j, _)| j == i) {
                    p.push(FieldError::new(
                        &format!("lines[{n}].qty"),
                        "return_too_much",
                        format!("«{}»: можно вернуть не больше {left}", line.name),
                        format!("“{}”: at most {left} can be returned", line.name),
                    ));
                } else {
                    out.push((*i, q));
                }
            }
        }
        out
    };
    if wanted.is_empty() {
        p.push(FieldError::new("lines", "required", "Выберите, что вернуть", "Choose what to return"));
    }
    p.finish()?;
    let method = method.ok_or_else(|| Error::Internal("refund method".into()))?;

    let inv = tx.get(SETTINGS, c.0)?.unwrap_or_default();
    if let Some(until) = inv.locked_until
        && now <= until
    {
        return Err(Error::PeriodClosed { until: until.rfc3339() });
    }
    let rid = tx.next_id()?;
    let mut starts: BTreeMap<(u64, u64), (i64, u64, u64)> = BTreeMap::new();
    let mut rlines = Vec::with_capacity(wanted.len());
    let mut amount = Decimal::ZERO;
    let mut cost = Decimal::ZERO;
    for (i, q) in wanted {
        let line = &sale.lines[i];
        let full = q == line.qty - line.returned_qty;
        let line_amount = if full { line.amount - line.returned_amount } else { round_money(line.amount * q / line.qty) };
        let mut keys = Vec::new();
        let mut line_cost = Decimal::ZERO;
        for k in &line.moves {
            let Some(orig) = tx.get(MOVES, move_key(c, k))? else { continue };
            let Intent::Out { qty: out_qty } = orig.intent else { continue };
            let back_qty = round_qty(out_qty * q / line.qty);
            let back_amount = round_money(-orig.value * q / line.qty);
            let mid = tx.next_id()?;
            let key = MoveKey { warehouse: k.warehouse, product: k.product, date: now.0, order: mid, id: mid };
            crate::inventory::store::put_new_move(
                tx,
                c,
                &key,
                &sale_move(mid, sale.id, MoveKind::SaleReturn, Intent::In { qty: back_qty, amount: back_amount }),
            )?;
            starts.entry((k.warehouse.0, k.product.0)).or_insert((now.0, mid, mid));
            keys.push(key);
            line_cost += back_amount;
        }
        let l = &mut sale.lines[i];
        l.returned_qty += q;
        l.returned_amount += line_amount;
        amount += line_amount;
        cost += line_cost;
        rlines.push(ReturnLine { line: i, qty: q, amount: line_amount, cost: line_cost, moves: keys });
    }
    crate::inventory::recost_items(tx, c, starts, &inv)?;
    if method == Method::Cash && amount > shift.expected_cash() {
        return Err(not_enough_cash(shift.expected_cash()));
    }
    if method == Method::Debt && amount > sale.debt() {
        return Err(Error::field(
            "method",
            "refund_exceeds_debt",
            "Сумма возврата больше долга по продаже",
            "The refund exceeds the sale's debt",
        ));
    }
    let n = tx.next_counter(c.0, "return")?;
    let ret = SaleReturn {
        id: rid,
        number: format!("В-{n:06}"),
        sale: sale.id,
        at: now,
        shift: shift.id,
        user: actor.user,
        lines: rlines,
        method: method.clone(),
        amount,
        reason: d.reason.trim().chars().take(200).collect(),
        idempotency_key: key.to_string(),
    };
    sale.returned += amount;
    sale.returns.push(rid);
    if sale.lines.iter().all(|l| l.returned_qty >= l.qty) {
        sale.status = SaleStatus::Returned;
    }
    let t = &mut shift.totals;
    t.returns += 1;
    t.returns_amount += amount;
    t.cogs -= cost;
    *t.refunded.entry(method.code()).or_default() += amount;
    if method == Method::Cash {
        cash_row(tx, actor, now, &mut shift, CashKind::Refund, -amount, format!("return:{rid}"))?;
    }
    if method == Method::Debt {
        let client = sale.client.ok_or_else(|| Error::Internal(format!("debt sale {} without a client", sale.number)))?;
        crate::clients::reverse_sale_debt(tx, actor, now, client, sale.id, amount, format!("{} / {}", sale.number, ret.number))?;
    }
    tx.insert(SHIFTS, (c.0, shift.id.0), &shift)?;
    tx.insert(SALES, (c.0, sale.id.0), &sale)?;
    tx.insert(RETURNS, (c.0, rid), &ret)?;
    daily::record_return(tx, c, &sale, &ret)?;
    tx.insert(IDEMPOTENCY, (c.0, key), &Idempotent { fingerprint: print, result: format!("return:{rid}"), at: now })?;
    audit::record(tx, c, actor, now, "sale.return", format!("sale:{}", sale.id), format!("{} {} {}", ret.number, sale.number, amount))?;
    Ok(ret)
}
