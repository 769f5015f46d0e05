//! Sales analytics (spec A11 "market"): for a period of local days and an optional branch,
//! cash box or cashier — revenue net of returns, sales, average check, COGS and gross margin
//! from the FIFO cost snapshots, discounts, payment split, top products, per cashier, per day,
//! and closed shifts whose counted cash differs from the expected.
//!
//! It reads the daily projection `pos::daily` (a row per day, branch, box and cashier), never
//! the sales themselves, so a month costs a month of rows. Unlike the seed it counts debt
//! sales too (revenue is earned when goods leave), takes cost only from the snapshot taken at
//! the sale (never the current purchase price), subtracts partial returns, and is never stale.

pub mod agents;
pub mod cash;
pub mod dashboard;
pub mod finance;
pub mod products;
pub mod shifts;
pub mod stock;
pub mod tab;
pub mod telecom;
pub mod users;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{BranchId, CashBoxId, ProductId, ShiftId, UserId, WarehouseId};
use crate::money::round_money;
use crate::pos::daily::{PRODUCT_DAYS, ProductDay, SALES_DAYS, SalesDay, day_of, day_text};
use crate::pos::model::ShiftStatus;
use crate::pos::store::{CASH_BOXES, SHIFTS};
use crate::storage::{Read, ReadTx};
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::perms::Perm;

/// The longest period one report covers.
pub const MAX_DAYS: i64 = 366;
const TOP: usize = 10;

/// What to report on, as typed: days "YYYY-MM-DD" in the company's time zone (both
/// inclusive; empty = the last 30 days through today), or a named `period` ending on `to`
/// (today when empty): "day", "week" (7 days), "month" (from the 1st), "custom" or "" (from–to);
/// and optional filters. `warehouse` narrows only the stock tab.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub period: String,
    pub from: String,
    pub to: String,
    pub branch: Option<BranchId>,
    pub cash_box: Option<CashBoxId>,
    pub cashier: Option<UserId>,
    pub warehouse: Option<WarehouseId>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub sales: u64,
    pub returns: u64,
    /// Σ sale totals, before returns.
    pub gross: Decimal,
    pub returned: Decimal,
    /// gross − returned.
    pub revenue: Decimal,
    pub discounts: Decimal,
    /// Cost of the goods sold, net of the cost returns took back.
    pub cogs: Decimal,
    /// revenue − cogs.
    pub margin: Decimal,
    /// margin ÷ revenue, in percent to one place; `None` without revenue.
    pub margin_percent: Option<Decimal>,
    /// gross ÷ sales.
    pub average_check: Decimal,
}

fn summarize(d: &SalesDay) -> Summary {
    let revenue = d.gross - d.returned;
    let cogs = d.cogs - d.returned_cost;
    let margin = revenue - cogs;
    Summary {
        sales: d.sales,
        returns: d.returns,
        gross: d.gross,
        returned: d.returned,
        revenue,
        discounts: d.discounts,
        cogs,
        margin,
        margin_percent: (!revenue.is_zero()).then(|| (margin * Decimal::ONE_HUNDRED / revenue).round_dp(1)),
        average_check: if d.sales == 0 { Decimal::ZERO } else { round_money(d.gross / Decimal::from(d.sales)) },
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodRow {
    /// "cash", "card", "transfer", "debt", "wallet:<name>".
    pub method: String,
    pub paid: Decimal,
    pub refunded: Decimal,
    pub net: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    /// `None`: items typed at the till.
    pub product: Option<ProductId>,
    pub name: String,
    /// Net of returns.
    pub qty: Decimal,
    pub revenue: Decimal,
    pub cogs: Decimal,
    pub margin: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CashierRow {
    pub user: UserId,
    pub name: String,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRow {
    /// "YYYY-MM-DD".
    pub day: String,
    pub sales: u64,
    pub revenue: Decimal,
    pub margin: Decimal,
}

/// A closed shift whose counted cash differs from the expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discrepancy {
    pub shift: ShiftId,
    pub number: String,
    pub cashier: UserId,
    pub cashier_name: String,
    pub cash_box: CashBoxId,
    pub closed: Ts,
    pub expected: Decimal,
    pub counted: Decimal,
    /// counted − expected: negative is a shortage.
    pub difference: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub summary: Summary,
    pub methods: Vec<MethodRow>,
    pub top_by_revenue: Vec<ProductRow>,
    pub top_by_margin: Vec<ProductRow>,
    pub cashiers: Vec<CashierRow>,
    /// Every day of the period, empty ones included.
    pub days: Vec<DayRow>,
    pub discrepancies: Vec<Discrepancy>,
}

/// The period as (first day, last day) numbers `YYYYMMDD`, checked.
fn period(q: &Query, tz: &str, now: Ts) -> Result<(jiff::civil::Date, jiff::civil::Date)> {
    let parse = |raw: &str, field: &str| -> Result<Option<jiff::civil::Date>> {
        match raw.trim() {
            "" => Ok(None),
            s => s
                .parse::<jiff::civil::Date>()
                .map(Some)
                .map_err(|_| Error::field(field, "date", "Дата в формате ГГГГ-ММ-ДД", "Date as YYYY-MM-DD")),
        }
    };
    let today: jiff::civil::Date =
        now.date_local(tz).parse().map_err(|e| Error::Internal(format!("local date of {}: {e}", now.rfc3339())))?;
    let to = parse(&q.to, "to")?.unwrap_or(today);
    let back = |days: i64| {
        to.checked_sub(jiff::Span::new().days(days))
            .map_err(|_| Error::field("to", "date", "Дата вне допустимого диапазона", "The date is out of range"))
    };
    let from = match q.period.trim() {
        "day" => to,
        "week" => back(6)?,
        "month" => to.first_of_month(),
        "" | "custom" => match parse(&q.from, "from")? {
            Some(d) => d,
            None => back(29)?,
        },
        _ => {
            return Err(Error::field(
                "period",
                "period",
                "Период: day, week, month или custom",
                "The period is day, week, month or custom",
            ));
        }
    };
    let len = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX);
    if len < 0 {
        return Err(Error::field("to", "period_order", "Конец периода раньше начала", "The period ends before it starts"));
    }
    if i64::from(len) >= MAX_DAYS {
        return Err(Error::field(
            "from",
            "period_too_long",
            format!("Период не длиннее {MAX_DAYS} дней"),
            format!("A period of at most {MAX_DAYS} days"),
        ));
    }
    Ok((from, to))
}

pub(crate) fn number(d: jiff::civil::Date) -> u64 {
    u64::try_from(i64::from(d.year()) * 10000 + i64::from(d.month()) * 100 + i64::from(d.day())).unwrap_or(0)
}

/// A checked request: the company, its time zone, the period as local days and the filters,
/// each filter known to exist in the company and to lie in the actor's branch scope.
pub(crate) struct Scope {
    pub c: u64,
    pub tz: String,
    pub from: jiff::civil::Date,
    pub to: jiff::civil::Date,
    /// `from` and `to` as `YYYYMMDD`.
    pub lo: u64,
    pub hi: u64,
    pub branch_scope: BranchScope,
    pub q: Query,
}

impl Scope {
    /// Whether the actor may see records of `branch` (0 = company-wide, seen from every branch).
    pub fn visible(&self, branch: u64) -> bool {
        match self.branch_scope {
            BranchScope::Company => true,
            BranchScope::Branch(b) => branch == 0 || branch == b.0,
        }
    }

    /// Whether a projection row of (branch, cash box, cashier) passes the filters.
    pub fn wanted(&self, branch: u64, cash_box: u64, cashier: u64) -> bool {
        self.visible(branch)
            && self.q.branch.is_none_or(|b| b.0 == branch)
            && self.q.cash_box.is_none_or(|b| b.0 == cash_box)
            && self.q.cashier.is_none_or(|u| u.0 == cashier)
    }

    /// Days in the period (at least 1).
    pub fn days(&self) -> i64 {
        i64::from(self.from.until(self.to).map(|s| s.get_days()).unwrap_or(0)).max(0) + 1
    }

    /// Σ the daily sales rows of the period that pass the filters.
    pub fn sales_total(&self, tx: &impl Read) -> Result<SalesDay> {
        let mut total = SalesDay::default();
        let c = self.c;
        tx.range(
            SALES_DAYS,
            (c, self.lo, 0, 0, 0),
            (c, self.hi, u64::MAX, u64::MAX, u64::MAX),
            false,
            usize::MAX,
            |(_, _, b, cb, u), row| {
                if self.wanted(b, cb, u) {
                    total.merge(&row);
                }
                Ok(true)
            },
        )?;
        Ok(total)
    }
}

/// Checks the actor's analytics right and plan, the filters and the period of `q`. A filter
/// naming another company's (or another branch's) record is "not found".
pub(crate) fn scope(tx: &impl Read, actor: &Actor, now: Ts, q: &Query) -> Result<Scope> {
    actor.require(Perm::ANALYTICS)?;
    actor.require_feature("analytics")?;
    let c = actor.company.0;
    let tz = crate::tenancy::timezone(tx, actor.company)?;
    let visible = |branch: u64| match actor.branch {
        BranchScope::Company => true,
        BranchScope::Branch(b) => branch == 0 || branch == b.0,
    };
    if let Some(b) = q.branch
        && (tx.get(crate::tenancy::store::BRANCHES, (c, b.0))?.is_none() || !visible(b.0))
    {
        return Err(Error::NotFound);
    }
    if let Some(b) = q.cash_box {
        match tx.get(CASH_BOXES, (c, b.0))? {
            Some(cb) if visible(cb.branch.map_or(0, |x| x.0)) => {}
            _ => return Err(Error::NotFound),
        }
    }
    if let Some(u) = q.cashier
        && tx.get(crate::tenancy::store::USERS, (c, u.0))?.is_none()
    {
        return Err(Error::NotFound);
    }
    if let Some(w) = q.warehouse {
        match tx.get(crate::inventory::store::WAREHOUSES, (actor.company, w))? {
            Some(wh) if visible(wh.branch.map_or(0, |x| x.0)) => {}
            _ => return Err(Error::NotFound),
        }
    }
    let (from, to) = period(q, &tz, now)?;
    Ok(Scope { c, tz, from, to, lo: number(from), hi: number(to), branch_scope: actor.branch, q: q.clone() })
}

/// The sales report of `q` as the actor may see it: analytics right, the plan's analytics
/// module, and the actor's branch scope (their branch plus company-wide boxes, as the sales
/// list shows). A filter naming another company's (or another branch's) record is "not found".
pub fn sales_report(tx: &ReadTx, actor: &Actor, now: Ts, q: &Query) -> Result<Report> {
    let sc = scope(tx, actor, now, q)?;
    let (c, tz, from, to, lo, hi) = (sc.c, sc.tz.clone(), sc.from, sc.to, sc.lo, sc.hi);
    let wanted = |branch: u64, cash_box: u64, cashier: u64| sc.wanted(branch, cash_box, cashier);

    let mut total = SalesDay::default();
    let mut by_day: BTreeMap<u64, SalesDay> = BTreeMap::new();
    let mut by_cashier: BTreeMap<u64, SalesDay> = BTreeMap::new();
    tx.range(SALES_DAYS, (c, lo, 0, 0, 0), (c, hi, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(_, day, b, cb, u), row| {
        if wanted(b, cb, u) {
            total.merge(&row);
            by_day.entry(day).or_default().merge(&row);
            by_cashier.entry(u).or_default().merge(&row);
        }
        Ok(true)
    })?;
    let mut by_product: BTreeMap<u64, ProductDay> = BTreeMap::new();
    tx.range(
        PRODUCT_DAYS,
        (c, lo, 0, 0, 0, 0),
        (c, hi, u64::MAX, u64::MAX, u64::MAX, u64::MAX),
        false,
        usize::MAX,
        |(_, _, b, cb, u, p), row| {
            if wanted(b, cb, u) {
                by_product.entry(p).or_default().merge(&row);
            }
            Ok(true)
        },
    )?;

    let names: BTreeMap<u64, String> = crate::tenancy::store::users(tx, actor.company)?.into_iter().map(|u| (u.id.0, u.name)).collect();
    let mut methods: Vec<MethodRow> = total
        .paid
        .keys()
        .chain(total.refunded.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|m| {
            let paid = total.paid.get(m).copied().unwrap_or_default();
            let refunded = total.refunded.get(m).copied().unwrap_or_default();
            MethodRow { method: m.clone(), paid, refunded, net: paid - refunded }
        })
        .collect();
    methods.sort_by(|a, b| b.net.cmp(&a.net).then_with(|| a.method.cmp(&b.method)));

    let mut products = Vec::with_capacity(by_product.len());
    for (p, row) in by_product {
        let name = match p {
            0 => String::new(),
            id => tx.get(crate::catalog::store::PRODUCTS, (c, id))?.map(|p| p.name).unwrap_or_else(|| format!("#{id}")),
        };
        let revenue = row.amount - row.returned_amount;
        let cogs = row.cost - row.returned_cost;
        products.push(ProductRow {
            product: (p != 0).then_some(ProductId(p)),
            name,
            qty: row.qty - row.returned_qty,
            revenue,
            cogs,
            margin: revenue - cogs,
        });
    }
    let mut top_by_revenue = products.clone();
    top_by_revenue.sort_by(|a, b| b.revenue.cmp(&a.revenue).then_with(|| a.name.cmp(&b.name)));
    top_by_revenue.truncate(TOP);
    let mut top_by_margin = products;
    top_by_margin.sort_by(|a, b| b.margin.cmp(&a.margin).then_with(|| a.name.cmp(&b.name)));
    top_by_margin.truncate(TOP);

    let mut cashiers: Vec<CashierRow> = by_cashier
        .iter()
        .map(|(u, row)| CashierRow { user: UserId(*u), name: names.get(u).cloned().unwrap_or_default(), summary: summarize(row) })
        .collect();
    cashiers.sort_by(|a, b| b.summary.revenue.cmp(&a.summary.revenue).then_with(|| a.name.cmp(&b.name)));

    let mut days = Vec::new();
    let mut d = from;
    while d <= to {
        let row = by_day.get(&number(d)).cloned().unwrap_or_default();
        let s = summarize(&row);
        days.push(DayRow { day: day_text(number(d)), sales: s.sales, revenue: s.revenue, margin: s.margin });
        match d.tomorrow() {
            Ok(next) => d = next,
            Err(_) => break,
        }
    }

    let mut discrepancies = Vec::new();
    tx.range(SHIFTS, (c, 0), (c, u64::MAX), false, usize::MAX, |_, s| {
        if s.status != ShiftStatus::Closed || !wanted(s.branch.map_or(0, |b| b.0), s.cash_box.0, s.cashier.0) {
            return Ok(true);
        }
        let (Some(closed), Some(counted), Some(difference)) = (s.closed, s.closing_cash, s.difference()) else { return Ok(true) };
        let day = day_of(closed, &tz);
        if difference.is_zero() || day < lo || day > hi {
            return Ok(true);
        }
        discrepancies.push(Discrepancy {
            shift: s.id,
            number: s.number.clone(),
            cashier: s.cashier,
            cashier_name: names.get(&s.cashier.0).cloned().unwrap_or_default(),
            cash_box: s.cash_box,
            closed,
            expected: s.expected_cash(),
            counted,
            difference,
        });
        Ok(true)
    })?;
    discrepancies.sort_by_key(|d| std::cmp::Reverse(d.closed));

    Ok(Report {
        from: from.to_string(),
        to: to.to_string(),
        summary: summarize(&total),
        methods,
        top_by_revenue,
        top_by_margin,
        cashiers,
        days,
        discrepancies,
    })
}

/// What the report may be narrowed to, as an actor sees it: the branches in their scope, the
/// cash boxes there that take sales (a box with no branch belongs to every branch), and the
/// company's people by name.
pub struct Choices {
    pub branches: Vec<crate::tenancy::model::Branch>,
    pub cash_boxes: Vec<crate::pos::model::CashBox>,
    pub cashiers: BTreeMap<UserId, String>,
}

pub fn choices(tx: &impl Read, actor: &Actor) -> Result<Choices> {
    let c = actor.company;
    let in_scope = |branch: Option<BranchId>| match (actor.branch, branch) {
        (BranchScope::Company, _) | (_, None) => true,
        (BranchScope::Branch(b), Some(x)) => b == x,
    };
    let branches = crate::tenancy::store::branches(tx, c)?.into_iter().filter(|b| in_scope(Some(b.id))).collect();
    let cash_boxes = tx
        .list(CASH_BOXES, (c.0, 0), (c.0, u64::MAX), usize::MAX)?
        .into_iter()
        .map(|(_, b)| b)
        .filter(|b| in_scope(b.branch) && !b.expense_only)
        .collect();
    let cashiers = crate::tenancy::store::users(tx, c)?.into_iter().map(|u| (u.id, u.name)).collect();
    Ok(Choices { branches, cash_boxes, cashiers })
}

/// The warehouses the stock tab may be narrowed to: those in the actor's branch scope.
pub fn warehouse_choices(tx: &impl Read, actor: &Actor) -> Result<Vec<(WarehouseId, String)>> {
    let in_scope = |branch: Option<BranchId>| match (actor.branch, branch) {
        (BranchScope::Company, _) | (_, None) => true,
        (BranchScope::Branch(b), Some(x)) => b == x,
    };
    Ok(crate::inventory::query::warehouses(tx, actor.company)?.into_iter().filter(|w| in_scope(w.branch)).map(|w| (w.id, w.name)).collect())
}
