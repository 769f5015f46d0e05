//! The finance tab (spec A11 market "finance", owner expense breakdown): per month of the
//! period, revenue, cost of goods sold and gross profit from pos's daily sales projection, and
//! operating expenses from finance's daily money projection; net profit = gross profit −
//! operating expenses. Beside it, money in and out by category.
//!
//! Which expenses are operating: those of money documents (rent, salary, utilities, taxes, the
//! company's own categories) — not `supplier` (payments for purchases: stock, whose cost
//! reaches profit through COGS when sold), not transfers between accounts, and not the rows
//! pos files by itself (`sale`, `refund`, cash in/out, debt payments, shift differences),
//! whose effect on profit the sales side already counts or which only move cash. Money rows
//! are narrowed by branch and cash box through their account; the cashier filter narrows
//! nothing here (money is not a cashier's).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tab::{Cell, Chart, Tab, TabReport, Table, fig, sort_desc};
use super::{Query, scope};
use crate::clock::Ts;
use crate::error::Result;
use crate::finance::model::AccountRef;
use crate::pos::daily::SALES_DAYS;
use crate::storage::Read;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// Codes the money projection files movements under that no money document made.
const MOVEMENTS: [&str; 6] = ["sale", "refund", "cash_in", "cash_out", "debt_payment", "shift_difference"];
const TRANSFER: &str = "transfer";
const SUPPLIER: &str = "supplier";

/// Whether an expense under `category` is an operating expense (see the module note).
pub fn is_operating(category: &str) -> bool {
    category != TRANSFER && category != SUPPLIER && !MOVEMENTS.contains(&category)
}

#[derive(Default, Clone)]
struct Month {
    revenue: Decimal,
    cogs: Decimal,
    operating: Decimal,
    income: Decimal,
    expense: Decimal,
}

pub fn report(tx: &impl Read, actor: &Actor, now: Ts, q: &Query) -> Result<TabReport> {
    let sc = scope(tx, actor, now, q)?;
    actor.require(Perm::FINANCE)?;
    let c = sc.c;
    // The accounts whose money counts: cash boxes and bank accounts in the actor's scope and
    // the branch asked for; with a cash box asked, that box alone.
    let accounts: BTreeMap<u64, AccountRef> = crate::finance::query::accounts(tx, actor, None)?
        .into_iter()
        .filter(|a| {
            let b = a.branch.map_or(0, |b| b.0);
            sc.visible(b) && q.branch.is_none_or(|x| x.0 == b) && q.cash_box.is_none_or(|x| a.account == AccountRef::CashBox(x))
        })
        .map(|a| (a.account.key(), a.account))
        .collect();

    let mut months: BTreeMap<u64, Month> = BTreeMap::new();
    for day in [sc.lo, sc.hi] {
        months.entry(day / 100).or_default();
    }
    let (lo, hi) = (sc.lo, sc.hi);
    // Every month between the first and the last, so an empty month shows as zero.
    let mut m = lo / 100;
    while m < hi / 100 {
        months.entry(m).or_default();
        m = if m % 100 == 12 { (m / 100 + 1) * 100 + 1 } else { m + 1 };
    }
    tx.range(SALES_DAYS, (c, lo, 0, 0, 0), (c, hi, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(_, day, b, cb, _), d| {
        if sc.visible(b) && q.branch.is_none_or(|x| x.0 == b) && q.cash_box.is_none_or(|x| x.0 == cb) {
            let m = months.entry(day / 100).or_default();
            m.revenue += d.gross - d.returned;
            m.cogs += d.cogs - d.returned_cost;
        }
        Ok(true)
    })?;
    let mut income: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut expense: BTreeMap<String, Decimal> = BTreeMap::new();
    for (day, account, category, d) in crate::finance::daily::days(tx, actor.company, lo, hi)? {
        if accounts.get(&account.key()) != Some(&account) || category == TRANSFER {
            continue;
        }
        let m = months.entry(day / 100).or_default();
        m.income += d.income;
        m.expense += d.expense;
        if is_operating(&category) {
            m.operating += d.expense;
        }
        if !d.income.is_zero() {
            *income.entry(category.clone()).or_default() += d.income;
        }
        if !d.expense.is_zero() {
            *expense.entry(category).or_default() += d.expense;
        }
    }

    let names = crate::finance::query::category_names(tx, actor.company, actor.lang)?;
    let name = |code: &str| match names.get(code) {
        Some(n) => n.clone(),
        None if MOVEMENTS.contains(&code) => actor.lang.t(&format!("tabs.kind.{code}")).to_string(),
        None => code.to_string(),
    };
    let mut t = Month::default();
    let mut by_month =
        Table::new("months", &["month", "revenue", "cogs", "gross_profit", "operating_expense", "net_profit", "money_in", "money_out"])
            .chart(Chart::Series { label: 0, bars: 3, line: Some(5) });
    for (m, v) in &months {
        t.revenue += v.revenue;
        t.cogs += v.cogs;
        t.operating += v.operating;
        t.income += v.income;
        t.expense += v.expense;
        let gross = v.revenue - v.cogs;
        by_month.rows.push(vec![
            Cell::Text(format!("{:04}-{:02}", m / 100, m % 100)),
            Cell::money(v.revenue),
            Cell::money(v.cogs),
            Cell::money(gross),
            Cell::money(v.operating),
            Cell::money(gross - v.operating),
            Cell::money(v.income),
            Cell::money(v.expense),
        ]);
    }
    let operating_total = t.operating;
    let mut expenses = Table::new("expenses", &["code", "name", "amount", "share"]).chart(Chart::Bars { label: 1, value: 2 });
    let mut other = Table::new("other_expenses", &["code", "name", "amount"]);
    for (code, amount) in &expense {
        if is_operating(code) {
            expenses.rows.push(vec![
                Cell::Text(code.clone()),
                Cell::Text(name(code)),
                Cell::money(*amount),
                Cell::share(*amount, operating_total),
            ]);
        } else {
            other.rows.push(vec![Cell::Text(code.clone()), Cell::Text(name(code)), Cell::money(*amount)]);
        }
    }
    sort_desc(&mut expenses.rows, 2);
    sort_desc(&mut other.rows, 2);
    let mut incomes = Table::new("income", &["code", "name", "amount", "share"]);
    for (code, amount) in &income {
        incomes.rows.push(vec![Cell::Text(code.clone()), Cell::Text(name(code)), Cell::money(*amount), Cell::share(*amount, t.income)]);
    }
    sort_desc(&mut incomes.rows, 2);
    let gross = t.revenue - t.cogs;
    Ok(TabReport {
        tab: Tab::Finance,
        from: sc.from.to_string(),
        to: sc.to.to_string(),
        figures: vec![
            fig("revenue", Cell::money(t.revenue)),
            fig("cogs", Cell::money(t.cogs)),
            fig("gross_profit", Cell::money(gross)),
            fig("operating_expense", Cell::money(t.operating)),
            fig("net_profit", Cell::money(gross - t.operating)),
            fig("money_in", Cell::money(t.income)),
            fig("money_out", Cell::money(t.expense)),
            fig("supplier_payments", Cell::money(expense.get(SUPPLIER).copied().unwrap_or_default())),
        ],
        tables: vec![by_month, expenses, incomes, other],
    })
}

#[cfg(test)]
mod tests {
    use super::is_operating;

    #[test]
    fn purchases_transfers_and_till_movements_are_not_operating_expenses() {
        for code in ["rent", "salary", "utilities", "taxes", "other", "c123"] {
            assert!(is_operating(code), "{code}");
        }
        for code in ["supplier", "transfer", "sale", "refund", "cash_in", "cash_out", "debt_payment", "shift_difference"] {
            assert!(!is_operating(code), "{code}");
        }
    }
}
