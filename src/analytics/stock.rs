//! The stock tab (spec A11 market "stock"): stock value at FIFO cost now, low and critical
//! items, turnover days = stock value ÷ average daily cost of sales over the period, units sold
//! per day, and each category's share of the value.
//!
//! Stock comes from inventory's stock-row projection (one row per warehouse and product, kept
//! by every posting); sales come from pos's daily projection. Unlike the seed, turnover divides
//! by the cost of sales, not revenue, so both sides of the ratio are at cost. "Critical" is at
//! or below half the reorder level (the seed's max(1, min/2) with our decimal quantities).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tab::{Cell, Chart, Tab, TabReport, Table, fig, sort_desc};
use super::{Query, scope};
use crate::catalog::store::CATEGORIES;
use crate::clock::Ts;
use crate::error::Result;
use crate::ids::{CategoryId, ProductId, WarehouseId};
use crate::inventory::store::{STOCK_ROWS, WAREHOUSES};
use crate::money::round_money;
use crate::pos::daily::PRODUCT_DAYS;
use crate::storage::Read;
use crate::tenancy::actor::Actor;

/// Products shown in the by-value table.
const TOP: usize = 50;

#[derive(Default)]
struct Item {
    name: String,
    category: Option<CategoryId>,
    qty: Decimal,
    value: Decimal,
}

pub fn report(tx: &impl Read, actor: &Actor, now: Ts, q: &Query) -> Result<TabReport> {
    let sc = scope(tx, actor, now, q)?;
    let company = actor.company;
    let warehouses: Vec<_> = tx
        .list(WAREHOUSES, (company, WarehouseId::MIN), (company, WarehouseId::MAX), usize::MAX)?
        .into_iter()
        .map(|(_, w)| w)
        .filter(|w| {
            let b = w.branch.map_or(0, |b| b.0);
            sc.visible(b) && q.branch.is_none_or(|x| x.0 == b) && q.warehouse.is_none_or(|x| x == w.id)
        })
        .collect();

    let mut items: BTreeMap<u64, Item> = BTreeMap::new();
    let mut low = Table::new("low_stock", &["product", "name", "warehouse", "qty", "reorder_level", "level"]);
    let mut value = Decimal::ZERO;
    let (mut low_count, mut critical_count) = (0u64, 0u64);
    for w in &warehouses {
        tx.range(STOCK_ROWS, (company, w.id, ProductId::MIN), (company, w.id, ProductId::MAX), false, usize::MAX, |(_, _, p), r| {
            value += r.value;
            let it = items.entry(p.0).or_default();
            it.qty += r.qty;
            it.value += r.value;
            it.category = r.category;
            if it.name.is_empty() {
                it.name = r.name.clone();
            }
            if !r.reorder_level.is_zero() && r.qty <= r.reorder_level {
                let critical = r.qty <= r.reorder_level / Decimal::TWO;
                low_count += 1;
                critical_count += u64::from(critical);
                low.rows.push(vec![
                    Cell::Id(Some(p.0)),
                    Cell::Text(r.name),
                    Cell::Text(w.name.clone()),
                    Cell::Qty(r.qty),
                    Cell::Qty(r.reorder_level),
                    Cell::Text(if critical { "critical" } else { "low" }.into()),
                ]);
            }
            Ok(true)
        })?;
    }
    // Critical first, then the lowest stock.
    low.rows.sort_by(|a, b| {
        let lvl = |r: &Vec<Cell>| matches!(r.get(5), Some(Cell::Text(s)) if s == "low");
        let qty = |r: &Vec<Cell>| match r.get(3) {
            Some(Cell::Qty(d)) => *d,
            _ => Decimal::ZERO,
        };
        lvl(a).cmp(&lvl(b)).then_with(|| qty(a).cmp(&qty(b)))
    });

    // Cost of sales and units over the period, from the sales projection.
    let sales = sc.sales_total(tx)?;
    let cogs = sales.cogs - sales.returned_cost;
    let days = Decimal::from(sc.days());
    let mut sold: BTreeMap<u64, Decimal> = BTreeMap::new();
    let c = sc.c;
    tx.range(
        PRODUCT_DAYS,
        (c, sc.lo, 0, 0, 0, 0),
        (c, sc.hi, u64::MAX, u64::MAX, u64::MAX, u64::MAX),
        false,
        usize::MAX,
        |(_, _, b, cb, u, p), row| {
            if sc.wanted(b, cb, u) {
                *sold.entry(p).or_default() += row.qty - row.returned_qty;
            }
            Ok(true)
        },
    )?;
    let units: Decimal = sold.values().copied().sum();
    let daily_cost = cogs / days;
    let turnover = |value: Decimal, per_day: Decimal| (per_day > Decimal::ZERO).then(|| (value / per_day).round_dp(1));

    let mut by_value = Table::new("by_value", &["product", "name", "qty", "value", "share", "units_per_day", "cover_days"]);
    let mut categories: BTreeMap<u64, (Decimal, Decimal, u64)> = BTreeMap::new();
    for (p, it) in &items {
        let cat = categories.entry(it.category.map_or(0, |c| c.0)).or_default();
        cat.0 += it.qty;
        cat.1 += it.value;
        cat.2 += 1;
        let per_day = sold.get(p).copied().unwrap_or_default() / days;
        by_value.rows.push(vec![
            Cell::Id(Some(*p)),
            Cell::Text(it.name.clone()),
            Cell::Qty(it.qty),
            Cell::money(it.value),
            Cell::share(it.value, value),
            Cell::Qty(per_day.round_dp(3)),
            Cell::Days(turnover(it.qty, per_day)),
        ]);
    }
    sort_desc(&mut by_value.rows, 3);
    by_value.rows.truncate(TOP);

    let mut cats =
        Table::new("categories", &["category", "name", "items", "qty", "value", "share"]).chart(Chart::Bars { label: 1, value: 4 });
    for (id, (qty, v, n)) in categories {
        let name = match id {
            0 => actor.lang.t("tabs.no_category").to_string(),
            id => tx.get(CATEGORIES, (c, id))?.map(|c| c.name).unwrap_or_else(|| format!("#{id}")),
        };
        cats.rows.push(vec![
            Cell::Id((id != 0).then_some(id)),
            Cell::Text(name),
            Cell::Count(n),
            Cell::Qty(qty),
            Cell::money(v),
            Cell::share(v, value),
        ]);
    }
    sort_desc(&mut cats.rows, 4);

    Ok(TabReport {
        tab: Tab::Stock,
        from: sc.from.to_string(),
        to: sc.to.to_string(),
        figures: vec![
            fig("stock_value", Cell::money(value)),
            fig("items", Cell::Count(items.values().filter(|i| !i.qty.is_zero()).count() as u64)),
            fig("low_stock", Cell::Count(low_count)),
            fig("critical_stock", Cell::Count(critical_count)),
            fig("cogs", Cell::money(cogs)),
            fig("daily_cogs", Cell::money(round_money(daily_cost))),
            fig("turnover_days", Cell::Days(turnover(value, daily_cost))),
            fig("units_per_day", Cell::Qty((units / days).round_dp(3))),
        ],
        tables: vec![cats, low, by_value],
    })
}
