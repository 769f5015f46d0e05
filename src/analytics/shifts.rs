//! The shifts tab (spec A11 market "shifts"): open shifts live with their sales and expected
//! cash, the average revenue of a shift closed in the period, the best cashiers by revenue per
//! shift, and closed shifts whose counted cash differs from the expected.
//!
//! A shift carries its running totals (kept by every checkout, return and cash flow in their
//! transactions), so this reads shift records only — one per shift, never a sale. A shift
//! belongs to the period of the day it closed; an open shift is shown whatever the period.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tab::{Cell, Chart, Tab, TabReport, Table, fig, sort_desc};
use super::{Query, scope};
use crate::clock::Ts;
use crate::error::Result;
use crate::money::round_money;
use crate::pos::daily::day_of;
use crate::pos::model::ShiftStatus;
use crate::pos::store::{CASH_BOXES, SHIFTS};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

pub fn report(tx: &impl Read, actor: &Actor, now: Ts, q: &Query) -> Result<TabReport> {
    let sc = scope(tx, actor, now, q)?;
    let c = sc.c;
    let users: BTreeMap<u64, String> = crate::tenancy::store::users(tx, actor.company)?.into_iter().map(|u| (u.id.0, u.name)).collect();
    let boxes: BTreeMap<u64, String> =
        tx.list(CASH_BOXES, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|((_, id), b)| (id, b.name)).collect();
    let user = |id: u64| users.get(&id).cloned().unwrap_or_default();

    let mut open = Table::new("open_shifts", &["shift", "number", "cash_box", "cashier", "opened", "sales", "revenue", "expected"]);
    let mut gaps = Table::new("discrepancies", &["shift", "number", "cashier", "closed", "expected", "counted", "difference"]);
    let (mut closed, mut closed_revenue, mut shortage, mut surplus) = (0u64, Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let (mut live_sales, mut live_revenue) = (0u64, Decimal::ZERO);
    // cashier → (shifts, sales, revenue)
    let mut cashiers: BTreeMap<u64, (u64, u64, Decimal)> = BTreeMap::new();
    tx.range(SHIFTS, (c, 0), (c, u64::MAX), false, usize::MAX, |_, s| {
        if !sc.wanted(s.branch.map_or(0, |b| b.0), s.cash_box.0, s.cashier.0) {
            return Ok(true);
        }
        let revenue = s.totals.sales_amount - s.totals.returns_amount;
        match s.status {
            ShiftStatus::Open => {
                live_sales += s.totals.sales;
                live_revenue += revenue;
                open.rows.push(vec![
                    Cell::Id(Some(s.id.0)),
                    Cell::Text(s.number.clone()),
                    Cell::Text(boxes.get(&s.cash_box.0).cloned().unwrap_or_default()),
                    Cell::Text(user(s.cashier.0)),
                    Cell::Text(s.opened.format_local(&sc.tz)),
                    Cell::Count(s.totals.sales),
                    Cell::money(revenue),
                    Cell::money(s.expected_cash()),
                ]);
            }
            ShiftStatus::Closed => {
                let Some(at) = s.closed else { return Ok(true) };
                if !(sc.lo..=sc.hi).contains(&day_of(at, &sc.tz)) {
                    return Ok(true);
                }
                closed += 1;
                closed_revenue += revenue;
                let e = cashiers.entry(s.cashier.0).or_default();
                e.0 += 1;
                e.1 += s.totals.sales;
                e.2 += revenue;
                if let (Some(counted), Some(diff)) = (s.closing_cash, s.difference())
                    && !diff.is_zero()
                {
                    if diff < Decimal::ZERO {
                        shortage -= diff
                    } else {
                        surplus += diff
                    }
                    gaps.rows.push(vec![
                        Cell::Id(Some(s.id.0)),
                        Cell::Text(s.number.clone()),
                        Cell::Text(user(s.cashier.0)),
                        Cell::Text(at.format_local(&sc.tz)),
                        Cell::money(s.expected_cash()),
                        Cell::money(counted),
                        Cell::money(diff),
                    ]);
                }
            }
        }
        Ok(true)
    })?;
    // Newest first (shift numbers grow with time).
    gaps.rows.reverse();

    let mut best = Table::new("best_cashiers", &["cashier", "name", "shifts", "sales", "revenue", "per_shift"])
        .chart(Chart::Bars { label: 1, value: 5 });
    for (u, (n, sales, revenue)) in cashiers {
        best.rows.push(vec![
            Cell::Id(Some(u)),
            Cell::Text(user(u)),
            Cell::Count(n),
            Cell::Count(sales),
            Cell::money(revenue),
            Cell::money(revenue / Decimal::from(n.max(1))),
        ]);
    }
    sort_desc(&mut best.rows, 5);
    Ok(TabReport {
        tab: Tab::Shifts,
        from: sc.from.to_string(),
        to: sc.to.to_string(),
        figures: vec![
            fig("open_shifts", Cell::Count(open.rows.len() as u64)),
            fig("live_sales", Cell::Count(live_sales)),
            fig("live_revenue", Cell::money(live_revenue)),
            fig("closed_shifts", Cell::Count(closed)),
            fig("per_shift", Cell::money(if closed == 0 { Decimal::ZERO } else { round_money(closed_revenue / Decimal::from(closed)) })),
            fig("shortage", Cell::money(shortage)),
            fig("surplus", Cell::money(surplus)),
        ],
        tables: vec![open, best, gaps],
    })
}
