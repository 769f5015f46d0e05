//! The owner's dashboard: today's takings, open shifts, low stock, debts falling due within a
//! week, printers in trouble, the CRM's open and won deals, and a few counts, each read through its own domain's queries and
//! each only for an actor allowed to see that data (`None` otherwise).
//!
//! Today's takings are [`super::sales_report`] for the one local day, so the dashboard and the
//! analytics page cannot disagree. Backups live above this layer (`backup` sits over
//! `analytics`), so the page handler reads their state itself.

use rust_decimal::Decimal;

use super::{Query, sales_report};
use crate::clients;
use crate::clients::model::DebtKind;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{ClientId, PrinterId, ProductId, ShiftId};
use crate::inventory::report::{OnHandFilter, on_hand};
use crate::pos::model::ShiftStatus;
use crate::pos::store::{CASH_BOXES, SHIFTS};
use crate::printing;
use crate::storage::{Read, ReadTx};
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::perms::Perm;
use crate::tenancy::store as tenancy_store;

/// Rows a list card shows before its link to the full page.
pub const CARD_ROWS: usize = 8;
/// Debts falling due within this many days (today included) are "due this week".
pub const DUE_DAYS: i64 = 7;
/// The oldest job of a printer waiting longer than this is stuck.
pub const STUCK_MS: i64 = 5 * 60_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Today {
    /// "YYYY-MM-DD" in the company's time zone.
    pub day: String,
    /// Net of returns, as the analytics page's revenue.
    pub revenue: Decimal,
    pub sales: u64,
}

#[derive(Debug, Clone)]
pub struct OpenShift {
    pub shift: ShiftId,
    pub number: String,
    pub cash_box: String,
    pub cashier: String,
    pub opened: Ts,
    pub expected_cash: Decimal,
}

#[derive(Debug, Clone)]
pub struct LowStock {
    pub product: ProductId,
    pub name: String,
    pub warehouse: String,
    pub qty: Decimal,
    pub reorder_level: Decimal,
}

#[derive(Debug, Clone)]
pub struct DebtDue {
    pub client: ClientId,
    pub name: String,
    /// The earliest unpaid due date within the week (or before it: overdue).
    pub due: String,
    /// What falls due by the end of the week, overdue included.
    pub amount: Decimal,
    pub overdue: bool,
}

#[derive(Debug, Clone)]
pub struct PrinterTrouble {
    pub printer: PrinterId,
    pub name: String,
    /// The last status the printer reported (`Health::code`), if any.
    pub health: Option<&'static str>,
    pub detail: String,
    pub queued: usize,
    /// The oldest job failed at least once or waits longer than [`STUCK_MS`].
    pub stuck: bool,
}

/// The CRM's deals over every pipeline, read from the stage totals (never the deals
/// themselves): open ones and won ones, each as count and Σ value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deals {
    pub open: u64,
    pub open_value: Decimal,
    pub won: u64,
    pub won_value: Decimal,
}

/// A list card: the first [`CARD_ROWS`] rows and whether there are more.
#[derive(Debug, Clone)]
pub struct Rows<T> {
    pub rows: Vec<T>,
    pub more: bool,
}

impl<T> Rows<T> {
    fn cut(mut rows: Vec<T>) -> Rows<T> {
        let more = rows.len() > CARD_ROWS;
        rows.truncate(CARD_ROWS);
        Rows { rows, more }
    }
}

/// Everything the dashboard shows one actor; each card `None` when the actor may not see it.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    pub today: Option<Today>,
    pub open_shifts: Option<Rows<OpenShift>>,
    pub low_stock: Option<Rows<LowStock>>,
    pub debts_due: Option<Rows<DebtDue>>,
    pub printers: Option<Vec<PrinterTrouble>>,
    pub deals: Option<Deals>,
    /// (active branches, active users), for the dashboard right.
    pub counts: Option<(usize, usize)>,
}

pub fn load(tx: &ReadTx, actor: &Actor, now: Ts) -> Result<Dashboard> {
    let tz = crate::tenancy::timezone(tx, actor.company)?;
    let today = now.date_local(&tz);
    Ok(Dashboard {
        today: today_figures(tx, actor, now, &today)?,
        open_shifts: open_shifts(tx, actor)?,
        low_stock: low_stock(tx, actor)?,
        debts_due: debts_due(tx, actor, &today)?,
        printers: printer_trouble(tx, actor, now)?,
        deals: deals(tx, actor)?,
        counts: counts(tx, actor)?,
    })
}

/// The analytics page's figures for `day`, under the analytics page's rule.
fn today_figures(tx: &ReadTx, actor: &Actor, now: Ts, day: &str) -> Result<Option<Today>> {
    if !(actor.can(Perm::ANALYTICS) && actor.has_feature("analytics")) {
        return Ok(None);
    }
    let q = Query { from: day.to_string(), to: day.to_string(), ..Query::default() };
    let s = sales_report(tx, actor, now, &q)?.summary;
    Ok(Some(Today { day: day.to_string(), revenue: s.revenue, sales: s.sales }))
}

/// Open and won deals as the board's forecast counts them: for those who work deals, only
/// their own unless they see everyone's.
fn deals(tx: &ReadTx, actor: &Actor) -> Result<Option<Deals>> {
    if crate::crm::deals::require_deals(actor).is_err() {
        return Ok(None);
    }
    let mut out = Deals::default();
    for p in crate::crm::deals::pipelines(tx, actor)? {
        let f = crate::crm::deals::forecast(tx, actor, &p)?;
        out.open += f.total.count;
        out.open_value += f.total.value;
        for (_, row) in f.by_stage.iter().filter(|(s, _)| s.kind == crate::crm::model::StageKind::Won) {
            out.won += row.count;
            out.won_value += row.value;
        }
    }
    Ok(Some(out))
}

/// A record of `branch` (`None`: company-wide) is in the actor's branch scope.
fn in_scope(actor: &Actor, branch: Option<crate::ids::BranchId>) -> bool {
    match (actor.branch, branch) {
        (BranchScope::Company, _) | (_, None) => true,
        (BranchScope::Branch(b), Some(x)) => b == x,
    }
}

/// Every open shift in the actor's branch scope, oldest first: for those who see all shifts
/// on the shifts page (the till's plan and the cash-box right).
fn open_shifts(tx: &ReadTx, actor: &Actor) -> Result<Option<Rows<OpenShift>>> {
    if !(actor.has_feature("pos") && actor.can(Perm::CASHBOX)) {
        return Ok(None);
    }
    let c = actor.company.0;
    let mut shifts = Vec::new();
    tx.range(SHIFTS, (c, 0), (c, u64::MAX), false, usize::MAX, |_, s| {
        if s.status == ShiftStatus::Open && in_scope(actor, s.branch) {
            shifts.push(s);
        }
        Ok(true)
    })?;
    let users = tenancy_store::users(tx, actor.company)?;
    let mut rows = Vec::with_capacity(shifts.len());
    for s in shifts {
        rows.push(OpenShift {
            cash_box: tx.get(CASH_BOXES, (c, s.cash_box.0))?.map(|b| b.name).unwrap_or_default(),
            cashier: users.iter().find(|u| u.id == s.cashier).map(|u| u.name.clone()).unwrap_or_default(),
            expected_cash: s.expected_cash(),
            shift: s.id,
            number: s.number,
            opened: s.opened,
        });
    }
    Ok(Some(Rows::cut(rows)))
}

/// Products at or below their reorder level in the active warehouses (the stock page's
/// "low" filter), the emptiest first: for those who read stock, with the catalog module.
fn low_stock(tx: &ReadTx, actor: &Actor) -> Result<Option<Rows<LowStock>>> {
    if !(actor.has_feature("catalog") && (actor.can(Perm::DOCUMENT) || actor.can(Perm::PRODUCTS))) {
        return Ok(None);
    }
    let mut rows = Vec::new();
    for w in crate::inventory::query::warehouses(tx, actor.company)? {
        if !w.active {
            continue;
        }
        let report = on_hand(tx, actor.company, w.id, None, OnHandFilter { category: None, low: true }, CARD_ROWS + 1)?;
        rows.extend(report.rows.into_iter().map(|r| LowStock {
            product: r.product,
            name: r.name,
            warehouse: w.name.clone(),
            qty: r.qty,
            reorder_level: r.reorder_level,
        }));
    }
    rows.sort_by(|a, b| a.qty.cmp(&b.qty).then_with(|| a.name.cmp(&b.name)));
    Ok(Some(Rows::cut(rows)))
}

/// Clients with an unpaid installment or a hand-written debt due within [`DUE_DAYS`] days of
/// `today` (or already overdue), soonest first: for those who may open the debtors page.
fn debts_due(tx: &ReadTx, actor: &Actor, today: &str) -> Result<Option<Rows<DebtDue>>> {
    if clients::require_read(actor).is_err() {
        return Ok(None);
    }
    let start: jiff::civil::Date = today.parse().map_err(|e| Error::Internal(format!("today {today}: {e}")))?;
    let end = start
        .checked_add(jiff::Span::new().days(DUE_DAYS - 1))
        .map_err(|e| Error::Internal(format!("a week after {today}: {e}")))?
        .to_string();
    let c = actor.company;
    let mut rows = Vec::new();
    for debtor in clients::debtors(tx, c, today)? {
        let mut earliest: Option<String> = None;
        let mut amount = Decimal::ZERO;
        let mut note = |due: &str, owed: Decimal| {
            if due <= end.as_str() && owed > Decimal::ZERO {
                amount += owed;
                if earliest.as_deref().is_none_or(|e| due < e) {
                    earliest = Some(due.to_string());
                }
            }
        };
        if debtor.deals > Decimal::ZERO {
            for deal in clients::deals::client_deals(tx, c, debtor.client.id)? {
                if deal.remaining() <= Decimal::ZERO {
                    continue;
                }
                for i in deal.installments.iter().filter(|i| i.paid_on.is_none()) {
                    note(&i.due, i.remaining());
                }
            }
        }
        if debtor.debts > Decimal::ZERO {
            // The ledger keeps one balance, not debts paid off one by one: what falls due is
            // the hand-written debts due by then, never more than the client still owes.
            let manual: Vec<(String, Decimal)> = clients::ledger(tx, c, debtor.client.id)?
                .into_iter()
                .filter(|(_, e)| e.kind == DebtKind::Manual)
                .filter_map(|(_, e)| e.due.filter(|d| d.as_str() <= end.as_str()).map(|d| (d, e.amount)))
                .collect();
            let first = manual.iter().map(|(d, _)| d.clone()).min();
            let sum: Decimal = manual.iter().map(|(_, a)| *a).sum();
            if let Some(first) = first {
                note(&first, sum.min(debtor.debts));
            }
        }
        if let Some(due) = earliest {
            rows.push(DebtDue { client: debtor.client.id, name: debtor.client.name.clone(), overdue: due.as_str() < today, due, amount });
        }
    }
    rows.sort_by(|a, b| a.due.cmp(&b.due).then_with(|| a.name.cmp(&b.name)));
    Ok(Some(Rows::cut(rows)))
}

/// Active printers that cannot print (paper out, cover open, unreachable...) or whose queue
/// is stuck: for those who manage printers (the till's plan and the cash-box right).
fn printer_trouble(tx: &ReadTx, actor: &Actor, now: Ts) -> Result<Option<Vec<PrinterTrouble>>> {
    if !(actor.has_feature("pos") && actor.can(Perm::CASHBOX)) {
        return Ok(None);
    }
    let c = actor.company;
    let mut out = Vec::new();
    for p in printing::printers(tx, c)?.into_iter().filter(|p| p.active) {
        let status = printing::status(tx, c, p.id)?;
        let queue = printing::queue(tx, c, p.id)?;
        let stuck = queue.first().is_some_and(|j| j.last_error.is_some() || now.0 - j.created.0 > STUCK_MS);
        let broken = status.as_ref().is_some_and(|s| !s.health.can_print());
        if stuck || broken {
            out.push(PrinterTrouble {
                printer: p.id,
                name: p.name,
                health: status.as_ref().map(|s| s.health.code()),
                detail: status.map(|s| s.detail).unwrap_or_default(),
                queued: queue.len(),
                stuck,
            });
        }
    }
    Ok(Some(out))
}

fn counts(tx: &impl Read, actor: &Actor) -> Result<Option<(usize, usize)>> {
    if !actor.can(Perm::DASHBOARD) {
        return Ok(None);
    }
    let branches = tenancy_store::branches(tx, actor.company)?.iter().filter(|b| b.active).count();
    let users = tenancy_store::users(tx, actor.company)?.iter().filter(|u| u.active).count();
    Ok(Some((branches, users)))
}
