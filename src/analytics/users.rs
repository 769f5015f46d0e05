//! The users tab (spec A11 market "users"): per cashier, sales, returns, revenue net of
//! returns, average check, gross profit and share of revenue over the period (pos's daily
//! projection), and their closed shifts' cash discrepancies (shift records).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tab::{Cell, Chart, Tab, TabReport, Table, fig, sort_desc};
use super::{Query, scope};
use crate::clock::Ts;
use crate::error::Result;
use crate::money::round_money;
use crate::pos::daily::{SALES_DAYS, SalesDay, day_of};
use crate::pos::model::ShiftStatus;
use crate::pos::store::SHIFTS;
use crate::storage::Read;
use crate::tenancy::actor::Actor;

pub fn report(tx: &impl Read, actor: &Actor, now: Ts, q: &Query) -> Result<TabReport> {
    let sc = scope(tx, actor, now, q)?;
    let c = sc.c;
    let names: BTreeMap<u64, String> = crate::tenancy::store::users(tx, actor.company)?.into_iter().map(|u| (u.id.0, u.name)).collect();
    let mut by_user: BTreeMap<u64, SalesDay> = BTreeMap::new();
    tx.range(SALES_DAYS, (c, sc.lo, 0, 0, 0), (c, sc.hi, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(_, _, b, cb, u), row| {
        if sc.wanted(b, cb, u) {
            by_user.entry(u).or_default().merge(&row);
        }
        Ok(true)
    })?;
    // cashier → (shifts with a difference, Σ differences)
    let mut gaps: BTreeMap<u64, (u64, Decimal)> = BTreeMap::new();
    tx.range(SHIFTS, (c, 0), (c, u64::MAX), false, usize::MAX, |_, s| {
        if s.status == ShiftStatus::Closed
            && sc.wanted(s.branch.map_or(0, |b| b.0), s.cash_box.0, s.cashier.0)
            && let (Some(at), Some(diff)) = (s.closed, s.difference())
            && !diff.is_zero()
            && (sc.lo..=sc.hi).contains(&day_of(at, &sc.tz))
        {
            let g = gaps.entry(s.cashier.0).or_default();
            g.0 += 1;
            g.1 += diff;
        }
        Ok(true)
    })?;
    let mut total = SalesDay::default();
    for d in by_user.values() {
        total.merge(d);
    }
    let total_revenue = total.gross - total.returned;
    let mut t = Table::new(
        "cashiers",
        &["user", "name", "sales", "returns", "revenue", "average_check", "profit", "share", "discrepancies", "difference"],
    )
    .chart(Chart::Bars { label: 1, value: 4 });
    let users: std::collections::BTreeSet<u64> = by_user.keys().chain(gaps.keys()).copied().collect();
    for u in users {
        let d = by_user.get(&u).cloned().unwrap_or_default();
        let (n, diff) = gaps.get(&u).copied().unwrap_or_default();
        let revenue = d.gross - d.returned;
        t.rows.push(vec![
            Cell::Id(Some(u)),
            Cell::Text(names.get(&u).cloned().unwrap_or_default()),
            Cell::Count(d.sales),
            Cell::Count(d.returns),
            Cell::money(revenue),
            Cell::money(if d.sales == 0 { Decimal::ZERO } else { round_money(d.gross / Decimal::from(d.sales)) }),
            Cell::money(revenue - (d.cogs - d.returned_cost)),
            Cell::share(revenue, total_revenue),
            Cell::Count(n),
            Cell::money(diff),
        ]);
    }
    sort_desc(&mut t.rows, 4);
    Ok(TabReport {
        tab: Tab::Users,
        from: sc.from.to_string(),
        to: sc.to.to_string(),
        figures: vec![
            fig("cashiers", Cell::Count(t.rows.len() as u64)),
            fig("revenue", Cell::money(total_revenue)),
            fig("sales", Cell::Count(total.sales)),
            fig(
                "average_check",
                Cell::money(if total.sales == 0 { Decimal::ZERO } else { round_money(total.gross / Decimal::from(total.sales)) }),
            ),
        ],
        tables: vec![t],
    })
}
