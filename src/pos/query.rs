//! Point-of-sale queries the till, the sales and shift pages and the API share: what the actor
//! may see of cash boxes, shifts, cash movements, sales and returns. Every query applies the
//! same visibility rule: the actor's branch scope, and cashiers without the managing right see
//! only their own shifts, flows and sales.

use super::in_scope;
use super::model::{CashBox, CashEntry, CashFlow, FlowStatus, Sale, SaleReturn, Shift, ShiftStatus};
use super::store::{CASH_BOXES, CASH_FLOWS, CASH_LEDGER, OPEN_SHIFTS, RETURNS, SALES, SHIFT_SALES, SHIFTS};
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{CashBoxId, SaleId, ShiftId, UserId};
use crate::storage::Read;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// The cash boxes the actor may see (their branch's and the company-wide ones).
pub fn cash_boxes(tx: &impl Read, actor: &Actor) -> Result<Vec<CashBox>> {
    let c = actor.company.0;
    Ok(tx.list(CASH_BOXES, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|(_, b)| b).filter(|b| in_scope(actor, b.branch)).collect())
}

/// The actor's own open shift at a cash box, if any.
pub fn open_shift(tx: &impl Read, actor: &Actor, cash_box: CashBoxId) -> Result<Option<Shift>> {
    let c = actor.company.0;
    match tx.get(OPEN_SHIFTS, (actor.company, cash_box, actor.user))? {
        Some(id) => Ok(tx.get(SHIFTS, (c, id))?),
        None => Ok(None),
    }
}

/// How many shifts (of any cashier) are open at a cash box.
pub fn open_shift_count(tx: &impl Read, actor: &Actor, cash_box: CashBoxId) -> Result<usize> {
    let c = actor.company;
    let mut open = 0;
    tx.range(OPEN_SHIFTS, (c, cash_box, UserId::MIN), (c, cash_box, UserId::MAX), false, usize::MAX, |_, _| {
        open += 1;
        Ok(true)
    })?;
    Ok(open)
}

/// A shift the actor may read: their own, or any in scope with the cash-box right (managers).
pub fn readable_shift(tx: &impl Read, actor: &Actor, id: ShiftId) -> Result<Shift> {
    match tx.get(SHIFTS, (actor.company.0, id.0))? {
        Some(s) if in_scope(actor, s.branch) && (s.cashier == actor.user || actor.can(Perm::CASHBOX)) => Ok(s),
        _ => Err(Error::NotFound),
    }
}

/// Which shifts a list shows; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct ShiftFilter {
    /// Open (`true`) or closed (`false`) shifts only.
    pub open: Option<bool>,
    pub cash_box: Option<CashBoxId>,
    pub cashier: Option<UserId>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// The shifts the actor may see, newest first.
pub fn shifts(tx: &impl Read, actor: &Actor, f: &ShiftFilter) -> Result<Vec<Shift>> {
    let c = actor.company.0;
    let all = actor.can(Perm::CASHBOX);
    let limit = f.limit.unwrap_or(100).min(1000);
    let mut out = Vec::new();
    tx.range(SHIFTS, (c, 0), (c, u64::MAX), true, usize::MAX, |_, s| {
        let ok = in_scope(actor, s.branch)
            && (all || s.cashier == actor.user)
            && f.open.is_none_or(|open| open == (s.status == ShiftStatus::Open))
            && f.cash_box.is_none_or(|b| b == s.cash_box)
            && f.cashier.is_none_or(|u| u == s.cashier);
        if ok {
            out.push(s);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// The shift's cash ledger, oldest first: every change of the drawer (at most `limit` rows).
pub fn cash_ledger(tx: &impl Read, actor: &Actor, shift: &Shift, limit: usize) -> Result<Vec<CashEntry>> {
    let (c, s) = (actor.company, shift.id);
    Ok(tx.list(CASH_LEDGER, (c, s, 0), (c, s, u64::MAX), limit)?.into_iter().map(|(_, e)| e).collect())
}

/// The code of a cash flow's approval state, as lists filter by it.
pub fn flow_status_code(status: FlowStatus) -> &'static str {
    match status {
        FlowStatus::Pending => "pending",
        FlowStatus::Approved => "approved",
        FlowStatus::Rejected => "rejected",
    }
}

/// Cash in/out of the boxes the actor sees, newest first (at most 500): managers see all,
/// cashiers their own; `status` filters by [`flow_status_code`].
pub fn flows(tx: &impl Read, actor: &Actor, status: Option<&str>) -> Result<Vec<CashFlow>> {
    let c = actor.company;
    let boxes: Vec<CashBoxId> = cash_boxes(tx, actor)?.iter().map(|b| b.id).collect();
    let manager = actor.can(Perm::CASHBOX);
    let mut out = Vec::new();
    tx.range(CASH_FLOWS, (c, 0), (c, u64::MAX), true, usize::MAX, |_, f| {
        let st = flow_status_code(f.status);
        if boxes.contains(&f.cash_box) && (manager || f.created_by == actor.user) && status.is_none_or(|s| s == st) {
            out.push(f);
        }
        Ok(out.len() < 500)
    })?;
    Ok(out)
}

/// Which sales a list shows; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct SaleFilter {
    /// paid, debt, returned
    pub status: Option<String>,
    pub cashier: Option<UserId>,
    pub shift: Option<ShiftId>,
    pub cash_box: Option<CashBoxId>,
    /// A payment method code the sale used.
    pub method: Option<String>,
    /// From this day (YYYY-MM-DD, company time zone).
    pub from: Option<String>,
    /// Through this day.
    pub to: Option<String>,
    /// Sales with ids below this one (paging).
    pub before: Option<SaleId>,
    /// At most this many (default 100, 1..=1000).
    pub limit: Option<usize>,
}

/// The sales the actor may see, newest first: in their branch scope; cashiers without the
/// sales right see their own.
pub fn sales(tx: &impl Read, actor: &Actor, q: &SaleFilter) -> Result<Vec<Sale>> {
    let c = actor.company.0;
    let tz = crate::tenancy::timezone(tx, actor.company)?;
    let day = |raw: &Option<String>, field: &str| -> Result<Option<Ts>> {
        match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Ts::parse_date(s, &tz)
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
    let hi = q.before.map(|b| b.0.saturating_sub(1)).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    let mut consider = |s: Sale| {
        let ok = in_scope(actor, s.branch)
            && (!own_only || s.cashier == actor.user)
            && q.status.as_deref().is_none_or(|st| st == s.status.code())
            && q.cashier.is_none_or(|u| u == s.cashier)
            && q.cash_box.is_none_or(|b| b == s.cash_box)
            && q.method.as_deref().is_none_or(|m| s.payments.iter().any(|p| p.method.code() == m))
            && from.is_none_or(|f| s.at >= f)
            && to.is_none_or(|t| s.at < t);
        if ok {
            out.push(s);
        }
        out.len() < limit
    };
    match q.shift {
        Some(shift) => {
            let mut ids = Vec::new();
            tx.range(SHIFT_SALES, (c, shift.0, 0), (c, shift.0, hi), true, usize::MAX, |(_, _, id), _| {
                ids.push(id);
                Ok(true)
            })?;
            for id in ids {
                if let Some(s) = tx.get(SALES, (c, id))?
                    && !consider(s)
                {
                    break;
                }
            }
        }
        None => tx.range(SALES, (c, 0), (c, hi), true, usize::MAX, |_, s| Ok(consider(s)))?,
    }
    Ok(out)
}

/// A sale the actor may read: in their branch scope; cashiers without the sales right see their own.
pub fn readable_sale(tx: &impl Read, actor: &Actor, id: SaleId) -> Result<Sale> {
    match tx.get(SALES, (actor.company.0, id.0))? {
        Some(s) if in_scope(actor, s.branch) && (s.cashier == actor.user || actor.can(Perm::SALES) || actor.can(Perm::CASHBOX)) => Ok(s),
        _ => Err(Error::NotFound),
    }
}

/// The returns of a sale, oldest first.
pub fn sale_returns(tx: &impl Read, actor: &Actor, sale: &Sale) -> Result<Vec<SaleReturn>> {
    let mut out = Vec::with_capacity(sale.returns.len());
    for r in &sale.returns {
        if let Some(ret) = tx.get(RETURNS, (actor.company.0, *r))? {
            out.push(ret);
        }
    }
    Ok(out)
}

/// A sale's number (for the stock journal's links), `None` when the company has no such sale.
pub fn sale_number(tx: &impl Read, company: crate::ids::CompanyId, sale: SaleId) -> Result<Option<String>> {
    Ok(super::store::sale_number(tx, company, sale.0)?)
}

/// The weights recorded on a readable sale's lines (`scales::SALE_WEIGHTS`).
pub fn sale_weights(tx: &impl Read, actor: &Actor, id: SaleId) -> Result<Vec<(u32, crate::scales::SaleWeight)>> {
    let sale = readable_sale(tx, actor, id)?;
    crate::scales::sale_weights(tx, actor.company, sale.id)
}
