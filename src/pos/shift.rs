//! Shifts: open with counted cash, cash in/out with approval, running totals and the cash
//! ledger, close with the counted difference (spec A7).

use rust_decimal::Decimal;

use super::model::*;
use super::store::*;
use super::*;
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CashBoxId, ShiftId};
use crate::money::parse_money;
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_name;
use crate::tenancy::perms::Perm;

pub(super) fn open_shift_of(tx: &impl Read, actor: &Actor, b: CashBoxId) -> Result<Option<Shift>> {
    match tx.get(OPEN_SHIFTS, (actor.company, b, actor.user))? {
        Some(id) => Ok(tx.get(SHIFTS, (actor.company.0, id))?),
        None => Ok(None),
    }
}

pub(super) fn require_open_shift(tx: &impl Read, actor: &Actor, b: CashBoxId) -> Result<Shift> {
    open_shift_of(tx, actor, b)?.ok_or_else(|| {
        Error::refused("shift_not_open", "Смена не открыта: откройте смену на этой кассе", "No open shift: open a shift at this cash box")
    })
}

/// Appends a cash-ledger row to a shift (the caller updates and stores the shift).
pub(super) fn cash_row(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    shift: &mut Shift,
    kind: CashKind,
    amount: Decimal,
    reference: String,
) -> Result<()> {
    if amount.is_zero() {
        return Ok(());
    }
    let seq = shift.cash_rows;
    shift.cash_rows += 1;
    tx.insert(
        CASH_LEDGER,
        (actor.company, shift.id, seq),
        &CashEntry { kind, amount, reference: reference.clone(), at: now, user: actor.user },
    )?;
    // The opening count is cash the box already holds, not a movement of its account.
    if kind != CashKind::Opening {
        cash_moved(tx, actor, now, &CashMove { cash_box: shift.cash_box, kind: kind.code(), amount, reference })?;
    }
    Ok(())
}

/// Cash that entered (+) or left (−) a cash box: a drawer row, a flow on an expense-only box,
/// or a shift's counted difference at close (`kind` "shift_difference").
#[derive(Debug, Clone)]
pub struct CashMove {
    pub cash_box: CashBoxId,
    /// A `CashKind` code, or "shift_difference".
    pub kind: &'static str,
    pub amount: Decimal,
    pub reference: String,
}

/// Told of every cash movement of a box, in its transaction (finance keeps the box's account).
pub type CashMoved = fn(&mut WriteTx, &Actor, Ts, &CashMove) -> Result<()>;

/// Money a sale took (+) or a return gave back (−) by card, transfer or wallet: it never
/// touches the drawer, and lands where the company keeps its non-cash takings.
#[derive(Debug, Clone)]
pub struct NonCashMove {
    pub cash_box: CashBoxId,
    /// The payment method's code (`card`, `transfer`, `wallet:NAME`).
    pub method: String,
    /// "sale" or "refund".
    pub kind: &'static str,
    pub amount: Decimal,
    pub reference: String,
}

/// A shift was closed with its cash counted: told in the close's transaction (messaging tells
/// the owners and admins of a shortage at or above the company's threshold); returns the live
/// events to publish after commit.
pub type ShiftClosed = fn(&mut WriteTx, &Actor, Ts, &Shift) -> Result<Vec<(String, crate::live::Event)>>;

/// What closing a shift came to: the shift and the live events (bells) to publish after commit.
#[derive(Debug)]
pub struct Closed {
    pub shift: Shift,
    pub live: Vec<(String, crate::live::Event)>,
}

/// Told of every non-cash payment and refund, in its transaction (finance puts it on the bank
/// account the company chose for them).
pub type NonCashMoved = fn(&mut WriteTx, &Actor, Ts, &NonCashMove) -> Result<()>;

pub(super) fn non_cash_moved(tx: &mut WriteTx, actor: &Actor, now: Ts, m: &NonCashMove) -> Result<()> {
    if m.amount.is_zero() {
        return Ok(());
    }
    for hook in tx.hooks().of::<NonCashMoved>() {
        hook(tx, actor, now, m)?;
    }
    Ok(())
}

fn cash_moved(tx: &mut WriteTx, actor: &Actor, now: Ts, m: &CashMove) -> Result<()> {
    for hook in tx.hooks().of::<CashMoved>() {
        hook(tx, actor, now, m)?;
    }
    Ok(())
}

/// Money a money document moves on cash box `b`: when the document's `author` has a shift open
/// at the box, the shift's drawer takes it (a cash-in or cash-out row and its running totals;
/// refused when the drawer lacks the cash) and the shift is returned; otherwise nothing is
/// written here. Called by finance in its transaction.
pub fn money_doc_cash(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    b: CashBoxId,
    author: crate::ids::UserId,
    amount: Decimal,
    reference: String,
) -> Result<Option<ShiftId>> {
    let c = actor.company;
    let Some(id) = tx.get(OPEN_SHIFTS, (c, b, author))? else { return Ok(None) };
    let Some(mut shift) = tx.get(SHIFTS, (c.0, id))? else { return Ok(None) };
    if shift.status != ShiftStatus::Open || amount.is_zero() {
        return Ok(None);
    }
    if amount < Decimal::ZERO && -amount > shift.expected_cash() {
        return Err(not_enough_cash(shift.expected_cash()));
    }
    let kind = if amount > Decimal::ZERO {
        shift.totals.cash_in += amount;
        CashKind::CashIn
    } else {
        shift.totals.cash_out -= amount;
        CashKind::CashOut
    };
    cash_row(tx, actor, now, &mut shift, kind, amount, reference)?;
    tx.insert(SHIFTS, (c.0, id), &shift)?;
    Ok(Some(shift.id))
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
    tx.insert(OPEN_SHIFTS, (actor.company, b, actor.user), &id.0)?;
    // An open cart of an earlier shift carries over, flagged, never dropped.
    if let Some(cart_id) = tx.get(ACTIVE_CARTS, (actor.company, actor.user, b))?
        && let Some(mut cart) = tx.get(CARTS, (actor.company, cart_id))?
    {
        if cart.shift.is_some_and(|s| s != id) && !cart.lines.is_empty() {
            cart.carried_from = cart.shift;
        }
        cart.shift = Some(id);
        tx.insert(CARTS, (actor.company, cart_id), &cart)?;
    }
    audit::record(tx, actor.company, actor, now, "shift.open", format!("shift:{id}"), format!("{} opening {opening}", shift.number))?;
    Ok(shift)
}

/// Closes a shift with the counted cash; the difference against the running expected amount is
/// recorded. Does no per-sale work.
pub fn close_shift(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ShiftId, counted: &str) -> Result<Closed> {
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
    tx.remove(OPEN_SHIFTS, (actor.company, shift.cash_box, shift.cashier))?;
    let diff = shift.difference().unwrap_or_default();
    cash_moved(
        tx,
        actor,
        now,
        &CashMove { cash_box: shift.cash_box, kind: "shift_difference", amount: diff, reference: format!("shift:{id}") },
    )?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        "shift.close",
        format!("shift:{id}"),
        format!("{} counted {counted} difference {diff}", shift.number),
    )?;
    crate::storage::outbox::push(tx, actor.company.0, crate::storage::outbox::JobKind::ZReport { shift: id.0 }, now.0)?;
    crate::webhooks::emit_with(tx, actor.company, crate::webhooks::events::SHIFT_CLOSED, now, || {
        crate::webhooks::events::ShiftClosedEvent {
            id: shift.id.0,
            number: shift.number.clone(),
            cash_box: shift.cash_box.0,
            branch: shift.branch.map(|b| b.0),
            cashier: shift.cashier.0,
            opened: shift.opened.rfc3339(),
            closed: now.rfc3339(),
            opening_cash: shift.opening_cash.to_string(),
            expected_cash: shift.expected_cash().to_string(),
            counted_cash: counted.to_string(),
            difference: diff.to_string(),
            sales: shift.totals.sales,
            sales_amount: shift.totals.sales_amount.to_string(),
            returns: shift.totals.returns,
            returns_amount: shift.totals.returns_amount.to_string(),
        }
    })?;
    let mut live = Vec::new();
    for hook in tx.hooks().of::<ShiftClosed>().collect::<Vec<_>>() {
        live.extend(hook(tx, actor, now, &shift)?);
    }
    Ok(Closed { shift, live })
}

/// Cash put in or taken out. A manager's (cash-box right) counts at once; a cashier's waits for
/// approval (spec A7: only approved flows count).
pub fn cash_flow(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, income: bool, amount: &str, reason: &str) -> Result<CashFlow> {
    actor.require_feature(FEATURE)?;
    actor.require_writable()?;
    if !(actor.can(Perm::CASHIER) || actor.can(Perm::CASHBOX)) {
        return Err(Error::Forbidden { permission: "cashier" });
    }
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
    tx.insert(CASH_FLOWS, (actor.company, flow.id), &flow)?;
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
    let mut flow = tx.get(CASH_FLOWS, (actor.company, id))?.ok_or(Error::NotFound)?;
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
    tx.insert(CASH_FLOWS, (actor.company, id), &flow)?;
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

pub(super) fn apply_flow(tx: &mut WriteTx, actor: &Actor, now: Ts, flow: &mut CashFlow) -> Result<()> {
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
    } else {
        // A flow on an expense-only box moves the box's cash without a drawer.
        let (kind, signed) = if flow.income { (CashKind::CashIn, flow.amount) } else { (CashKind::CashOut, -flow.amount) };
        cash_moved(
            tx,
            actor,
            now,
            &CashMove { cash_box: flow.cash_box, kind: kind.code(), amount: signed, reference: format!("flow:{}", flow.id) },
        )?;
    }
    flow.status = FlowStatus::Approved;
    flow.decided = Some((now, actor.user));
    Ok(())
}

pub(super) fn not_enough_cash(have: Decimal) -> Error {
    Error::refused(
        "not_enough_cash",
        format!("В кассе недостаточно наличных: ожидается {have}"),
        format!("Not enough cash in the drawer: {have} expected"),
    )
}
