//! The products tab (spec A11 market "products"): the top products by revenue, quantity and
//! gross profit over the period, and the same figures per category and per brand — from the
//! per-product rows of pos's daily projection (net of returns, at the FIFO cost snapshots),
//! with each product's current category and brand.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tab::{Cell, Chart, Tab, TabReport, Table, fig, sort_desc};
use super::{Query, scope};
use crate::catalog::store::{BRANDS, CATEGORIES, PRODUCTS};
use crate::clock::Ts;
use crate::error::Result;
use crate::pos::daily::{PRODUCT_DAYS, ProductDay};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

const TOP: usize = 10;

#[derive(Default, Clone, Copy)]
struct Sums {
    qty: Decimal,
    revenue: Decimal,
    cogs: Decimal,
    products: u64,
}

impl Sums {
    fn add(&mut self, d: &ProductDay) {
        self.qty += d.qty - d.returned_qty;
        self.revenue += d.amount - d.returned_amount;
        self.cogs += d.cost - d.returned_cost;
    }
}

fn group_table(id: &'static str, rows: BTreeMap<u64, Sums>, name: impl Fn(u64) -> Result<String>, total: Decimal) -> Result<Table> {
    let mut t =
        Table::new(id, &["id", "name", "products", "qty", "revenue", "cogs", "profit", "share"]).chart(Chart::Bars { label: 1, value: 4 });
    for (id, s) in rows {
        t.rows.push(vec![
            Cell::Id((id != 0).then_some(id)),
            Cell::Text(name(id)?),
            Cell::Count(s.products),
            Cell::Qty(s.qty),
            Cell::money(s.revenue),
            Cell::money(s.cogs),
            Cell::money(s.revenue - s.cogs),
            Cell::share(s.revenue, total),
        ]);
    }
    sort_desc(&mut t.rows, 4);
    Ok(t)
}

pub fn report(tx: &impl Read, actor: &Actor, now: Ts, q: &Query) -> Result<TabReport> {
    let sc = scope(tx, actor, now, q)?;
    let c = sc.c;
    let mut by_product: BTreeMap<u64, Sums> = BTreeMap::new();
    tx.range(
        PRODUCT_DAYS,
        (c, sc.lo, 0, 0, 0, 0),
        (c, sc.hi, u64::MAX, u64::MAX, u64::MAX, u64::MAX),
        false,
        usize::MAX,
        |(_, _, b, cb, u, p), row| {
            if sc.wanted(b, cb, u) {
                by_product.entry(p).or_default().add(&row);
            }
            Ok(true)
        },
    )?;
    let mut total = Sums::default();
    let mut categories: BTreeMap<u64, Sums> = BTreeMap::new();
    let mut brands: BTreeMap<u64, Sums> = BTreeMap::new();
    let mut rows = Vec::with_capacity(by_product.len());
    for (p, s) in &by_product {
        let product = if *p == 0 { None } else { tx.get(PRODUCTS, (c, *p))? };
        let name = match &product {
            Some(x) => x.name.clone(),
            None if *p == 0 => actor.lang.t("analytics.custom_items").to_string(),
            None => format!("#{p}"),
        };
        for (map, key) in [
            (&mut categories, product.as_ref().and_then(|x| x.category).map_or(0, |x| x.0)),
            (&mut brands, product.as_ref().and_then(|x| x.brand).map_or(0, |x| x.0)),
        ] {
            let g = map.entry(key).or_default();
            g.qty += s.qty;
            g.revenue += s.revenue;
            g.cogs += s.cogs;
            g.products += 1;
        }
        total.qty += s.qty;
        total.revenue += s.revenue;
        total.cogs += s.cogs;
        rows.push(vec![
            Cell::Id((*p != 0).then_some(*p)),
            Cell::Text(name),
            Cell::Qty(s.qty),
            Cell::money(s.revenue),
            Cell::money(s.cogs),
            Cell::money(s.revenue - s.cogs),
        ]);
    }
    let top = |id: &'static str, col: usize| {
        let mut t = Table::new(id, &["product", "name", "qty", "revenue", "cogs", "profit"]);
        t.rows = rows.clone();
        sort_desc(&mut t.rows, col);
        t.rows.truncate(TOP);
        t
    };
    let by_revenue = top("top_revenue", 3).chart(Chart::Bars { label: 1, value: 3 });
    let by_qty = top("top_qty", 2);
    let by_profit = top("top_profit", 5);
    let category_name = |id: u64| -> Result<String> {
        Ok(if id == 0 {
            actor.lang.t("tabs.no_category").to_string()
        } else {
            tx.get(CATEGORIES, (c, id))?.map(|x| x.name).unwrap_or_else(|| format!("#{id}"))
        })
    };
    let brand_name = |id: u64| -> Result<String> {
        Ok(if id == 0 {
            actor.lang.t("tabs.no_brand").to_string()
        } else {
            tx.get(BRANDS, (c, id))?.map(|x| x.name).unwrap_or_else(|| format!("#{id}"))
        })
    };
    let cats = group_table("categories", categories, category_name, total.revenue)?;
    let brs = group_table("brands", brands, brand_name, total.revenue)?;
    Ok(TabReport {
        tab: Tab::Products,
        from: sc.from.to_string(),
        to: sc.to.to_string(),
        figures: vec![
            fig("products_sold", Cell::Count(by_product.keys().filter(|p| **p != 0).count() as u64)),
            fig("qty", Cell::Qty(total.qty)),
            fig("revenue", Cell::money(total.revenue)),
            fig("cogs", Cell::money(total.cogs)),
            fig("profit", Cell::money(total.revenue - total.cogs)),
        ],
        tables: vec![by_revenue, by_qty, by_profit, cats, brs],
    })
}
