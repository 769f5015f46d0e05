//! The cash boxes tab (spec A11 market "cashboxes", A7 summary): per box, what it took over
//! the period by payment method (from pos's daily projection), its approved cash in and out,
//! its open shifts and the cash they expect to hold now, and its balance as a money account
//! (`finance::balance`: Σ the account's ledger, kept by every cash movement's transaction).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tab::{Cell, Chart, Tab, TabReport, Table, fig, sort_desc};
use super::{Query, scope};
use crate::clock::Ts;
use crate::error::Result;
use crate::ids::CashBoxId;
use crate::pos::daily::{SALES_DAYS, day_of};
use crate::pos::model::{FlowStatus, ShiftStatus};
use crate::pos::store::{CASH_BOXES, CASH_FLOWS, SHIFTS};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

#[derive(Default)]
struct BoxRow {
    sales: u64,
    revenue: Decimal,
    cash: Decimal,
    other: Decimal,
    cash_in: Decimal,
    cash_out: Decimal,
    open_shifts: u64,
    in_shifts: Decimal,
    balance: Decimal,
}

pub fn report(tx: &impl Read, actor: &Actor, now: Ts, q: &Query) -> Result<TabReport> {
    let sc = scope(tx, actor, now, q)?;
    let c = sc.c;
    let boxes: Vec<_> = tx
        .list(CASH_BOXES, (c, 0), (c, u64::MAX), usize::MAX)?
        .into_iter()
        .map(|(_, b)| b)
        .filter(|b| {
            let br = b.branch.map_or(0, |x| x.0);
            sc.visible(br) && q.branch.is_none_or(|x| x.0 == br) && q.cash_box.is_none_or(|x| x == b.id)
        })
        .collect();
    let mut rows: BTreeMap<u64, BoxRow> = boxes.iter().map(|b| (b.id.0, BoxRow::default())).collect();

    tx.range(SALES_DAYS, (c, sc.lo, 0, 0, 0), (c, sc.hi, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(_, _, b, cb, u), d| {
        if let Some(r) = rows.get_mut(&cb)
            && sc.wanted(b, cb, u)
        {
            r.sales += d.sales;
            r.revenue += d.gross - d.returned;
            for (m, a) in &d.paid {
                if m == "cash" { r.cash += *a } else { r.other += *a }
            }
            for (m, a) in &d.refunded {
                if m == "cash" { r.cash -= *a } else { r.other -= *a }
            }
        }
        Ok(true)
    })?;
    // Approved flows count on the day they were approved.
    tx.range(CASH_FLOWS, (crate::ids::CompanyId(c), 0), (crate::ids::CompanyId(c), u64::MAX), false, usize::MAX, |_, f| {
        if f.status != FlowStatus::Approved {
            return Ok(true);
        }
        let at = f.decided.map_or(f.created, |(t, _)| t);
        let day = day_of(at, &sc.tz);
        if let Some(r) = rows.get_mut(&f.cash_box.0)
            && (sc.lo..=sc.hi).contains(&day)
        {
            if f.income { r.cash_in += f.amount } else { r.cash_out += f.amount }
        }
        Ok(true)
    })?;
    tx.range(SHIFTS, (c, 0), (c, u64::MAX), false, usize::MAX, |_, s| {
        if s.status == ShiftStatus::Open
            && let Some(r) = rows.get_mut(&s.cash_box.0)
        {
            r.open_shifts += 1;
            r.in_shifts += s.expected_cash();
        }
        Ok(true)
    })?;

    for (id, r) in rows.iter_mut() {
        r.balance = crate::finance::balance(tx, actor.company, crate::finance::model::AccountRef::CashBox(CashBoxId(*id)))?;
    }
    let names: BTreeMap<CashBoxId, String> = boxes.iter().map(|b| (b.id, b.name.clone())).collect();
    let mut table = Table::new(
        "boxes",
        &["cash_box", "name", "sales", "revenue", "cash", "non_cash", "cash_in", "cash_out", "open_shifts", "in_shifts", "balance"],
    )
    .chart(Chart::Bars { label: 1, value: 3 });
    let mut t = BoxRow::default();
    for (id, r) in &rows {
        t.sales += r.sales;
        t.revenue += r.revenue;
        t.cash_in += r.cash_in;
        t.cash_out += r.cash_out;
        t.open_shifts += r.open_shifts;
        t.in_shifts += r.in_shifts;
        t.balance += r.balance;
        table.rows.push(vec![
            Cell::Id(Some(*id)),
            Cell::Text(names.get(&CashBoxId(*id)).cloned().unwrap_or_default()),
            Cell::Count(r.sales),
            Cell::money(r.revenue),
            Cell::money(r.cash),
            Cell::money(r.other),
            Cell::money(r.cash_in),
            Cell::money(r.cash_out),
            Cell::Count(r.open_shifts),
            Cell::money(r.in_shifts),
            Cell::money(r.balance),
        ]);
    }
    sort_desc(&mut table.rows, 3);
    Ok(TabReport {
        tab: Tab::CashBoxes,
        from: sc.from.to_string(),
        to: sc.to.to_string(),
        figures: vec![
            fig("balance", Cell::money(t.balance)),
            fig("revenue", Cell::money(t.revenue)),
            fig("sales", Cell::Count(t.sales)),
            fig("cash_in", Cell::money(t.cash_in)),
            fig("cash_out", Cell::money(t.cash_out)),
            fig("open_shifts", Cell::Count(t.open_shifts)),
            fig("in_shifts", Cell::money(t.in_shifts)),
        ],
        tables: vec![table],
    })
}
