//! The daily sales projection: one row per (company, local day, branch, cash box, cashier) and
//! one per product under it, updated in the checkout's and the return's own transaction, so a
//! month's report reads a month of rows instead of every sale of all time.
//!
//! Days are the company's local calendar days (`YYYYMMDD` as a number). A return counts on the
//! day it is made, under its sale's branch, cash box and cashier, at the cost it took back.
//! The projection is derived: `verify` recomputes it from sales and returns, `rebuild_company`
//! rewrites one company's rows (after a time-zone change, wired in `wiring`), and
//! `build_all` fills it for a data file written before it existed (the schema's upgrade to
//! version 3, see `schema::MIGRATIONS`).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{Sale, SaleReturn, decimal_map};
use super::store::{RETURNS, SALES};
use crate::clock::Ts;
use crate::ids::CompanyId;
use crate::storage::{ReadTx, Record, StorageError, Table, TableInfo, WriteTx};
use crate::tenancy::store::COMPANIES;

/// (company, day, branch or 0, cash box, cashier).
pub type DayKey = (u64, u64, u64, u64, u64);
/// A `DayKey` plus the product (0 = items typed at the till).
pub type ProductKey = (u64, u64, u64, u64, u64, u64);

pub const SALES_DAYS: Table<DayKey, SalesDay> = Table::new("company_day_branch_cashbox_cashier_salesday");
pub const PRODUCT_DAYS: Table<ProductKey, ProductDay> = Table::new("company_day_branch_cashbox_cashier_product_productday");

/// The meta key releases before schema version 3 set once they had built the projection on
/// open. A file carrying it already has the projection, so the upgrade step skips it.
const BUILT: &str = "sales_days_v1";

pub fn tables() -> Vec<TableInfo> {
    vec![
        SALES_DAYS.info(
            "(CompanyId, local day YYYYMMDD, BranchId|0, CashBoxId, cashier UserId)",
            "daily sales projection: counts, amounts, COGS, payment split (checkout and return keep it)",
        ),
        PRODUCT_DAYS.info(
            "(CompanyId, local day, BranchId|0, CashBoxId, cashier UserId, ProductId|0)",
            "daily sales projection per product: quantity, amount, cost, returns",
        ),
    ]
}

/// What one day of one cashier at one box sold and took back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesDay {
    pub sales: u64,
    pub returns: u64,
    /// Σ sale totals (after discounts).
    #[serde(with = "rust_decimal::serde::str")]
    pub gross: Decimal,
    /// Σ refunds.
    #[serde(with = "rust_decimal::serde::str")]
    pub returned: Decimal,
    /// Σ discounts given at checkout (line and order).
    #[serde(with = "rust_decimal::serde::str")]
    pub discounts: Decimal,
    /// Σ FIFO cost snapshots of the sales' lines.
    #[serde(with = "rust_decimal::serde::str")]
    pub cogs: Decimal,
    /// Σ cost taken back by returns.
    #[serde(with = "rust_decimal::serde::str")]
    pub returned_cost: Decimal,
    #[serde(with = "decimal_map")]
    pub paid: BTreeMap<String, Decimal>,
    #[serde(with = "decimal_map")]
    pub refunded: BTreeMap<String, Decimal>,
}

impl Record for SalesDay {
    const TYPE: &'static str = "sales_day.v1";
}

impl SalesDay {
    pub fn merge(&mut self, o: &SalesDay) {
        self.sales += o.sales;
        self.returns += o.returns;
        self.gross += o.gross;
        self.returned += o.returned;
        self.discounts += o.discounts;
        self.cogs += o.cogs;
        self.returned_cost += o.returned_cost;
        for (m, a) in &o.paid {
            *self.paid.entry(m.clone()).or_default() += *a;
        }
        for (m, a) in &o.refunded {
            *self.refunded.entry(m.clone()).or_default() += *a;
        }
    }
}

/// One product's share of a `SalesDay`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDay {
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned_qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned_cost: Decimal,
}

impl Record for ProductDay {
    const TYPE: &'static str = "product_day.v1";
}

impl ProductDay {
    pub fn merge(&mut self, o: &ProductDay) {
        self.qty += o.qty;
        self.amount += o.amount;
        self.cost += o.cost;
        self.returned_qty += o.returned_qty;
        self.returned_amount += o.returned_amount;
        self.returned_cost += o.returned_cost;
    }
}

/// The local calendar day of `at` in `tz` as `YYYYMMDD`.
pub fn day_of(at: Ts, tz: &str) -> u64 {
    at.date_local(tz).replace('-', "").parse().unwrap_or(0)
}

/// `YYYYMMDD` back to "YYYY-MM-DD".
pub fn day_text(day: u64) -> String {
    format!("{:04}-{:02}-{:02}", day / 10000, day / 100 % 100, day % 100)
}

/// Rows being summed: what a sale or a return adds, or everything recomputed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Projection {
    pub days: BTreeMap<DayKey, SalesDay>,
    pub products: BTreeMap<ProductKey, ProductDay>,
}

fn dims(c: CompanyId, day: u64, sale: &Sale) -> DayKey {
    (c.0, day, sale.branch.map_or(0, |b| b.0), sale.cash_box.0, sale.cashier.0)
}

impl Projection {
    pub fn add_sale(&mut self, c: CompanyId, tz: &str, sale: &Sale) {
        let k = dims(c, day_of(sale.at, tz), sale);
        let row = self.days.entry(k).or_default();
        row.sales += 1;
        row.gross += sale.total;
        row.discounts += sale.discount;
        row.cogs += sale.cost();
        for p in &sale.payments {
            *row.paid.entry(p.method.code()).or_default() += p.amount;
        }
        for l in &sale.lines {
            let p = self.products.entry((k.0, k.1, k.2, k.3, k.4, l.product.map_or(0, |p| p.0))).or_default();
            p.qty += l.qty;
            p.amount += l.amount;
            p.cost += l.cost;
        }
    }

    pub fn add_return(&mut self, c: CompanyId, tz: &str, sale: &Sale, ret: &SaleReturn) {
        let k = dims(c, day_of(ret.at, tz), sale);
        let row = self.days.entry(k).or_default();
        row.returns += 1;
        row.returned += ret.amount;
        row.returned_cost += ret.lines.iter().map(|l| l.cost).sum::<Decimal>();
        *row.refunded.entry(ret.method.code()).or_default() += ret.amount;
        for l in &ret.lines {
            let product = sale.lines.get(l.line).and_then(|s| s.product).map_or(0, |p| p.0);
            let p = self.products.entry((k.0, k.1, k.2, k.3, k.4, product)).or_default();
            p.returned_qty += l.qty;
            p.returned_amount += l.amount;
            p.returned_cost += l.cost;
        }
    }

    /// Adds these rows to the stored ones.
    fn store(&self, tx: &mut WriteTx) -> Result<(), StorageError> {
        let mut days = tx.open(SALES_DAYS)?;
        for (k, add) in &self.days {
            let mut row = days.get(*k)?.unwrap_or_default();
            row.merge(add);
            days.insert(*k, &row)?;
        }
        drop(days);
        let mut products = tx.open(PRODUCT_DAYS)?;
        for (k, add) in &self.products {
            let mut row = products.get(*k)?.unwrap_or_default();
            row.merge(add);
            products.insert(*k, &row)?;
        }
        Ok(())
    }
}

fn timezone(tx: &WriteTx, c: CompanyId) -> Result<String, StorageError> {
    Ok(tx.get(COMPANIES, c.0)?.map(|c| c.timezone).unwrap_or_default())
}

/// Adds a new sale to the projection (called by checkout, in its transaction).
pub fn record_sale(tx: &mut WriteTx, c: CompanyId, sale: &Sale) -> Result<(), StorageError> {
    let tz = timezone(tx, c)?;
    let mut p = Projection::default();
    p.add_sale(c, &tz, sale);
    p.store(tx)
}

/// Adds a new return of `sale` to the projection (called by return_sale, in its transaction).
pub fn record_return(tx: &mut WriteTx, c: CompanyId, sale: &Sale, ret: &SaleReturn) -> Result<(), StorageError> {
    let tz = timezone(tx, c)?;
    let mut p = Projection::default();
    p.add_return(c, &tz, sale, ret);
    p.store(tx)
}

/// Rewrites one company's rows from its sales and returns (after its time zone changed, or
/// for a file written before the projection existed).
pub fn rebuild_company(tx: &mut WriteTx, c: CompanyId) -> Result<(), StorageError> {
    let tz = timezone(tx, c)?;
    let mut old_days = Vec::new();
    tx.range(SALES_DAYS, (c.0, 0, 0, 0, 0), (c.0, u64::MAX, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |k, _| {
        old_days.push(k);
        Ok(true)
    })?;
    for k in old_days {
        tx.remove(SALES_DAYS, k)?;
    }
    let mut old_products = Vec::new();
    tx.range(PRODUCT_DAYS, (c.0, 0, 0, 0, 0, 0), (c.0, u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |k, _| {
        old_products.push(k);
        Ok(true)
    })?;
    for k in old_products {
        tx.remove(PRODUCT_DAYS, k)?;
    }
    // Sales one at a time (a company may hold millions); returns look their sale up.
    let mut p = Projection::default();
    tx.range(SALES, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, s| {
        p.add_sale(c, &tz, &s);
        Ok(true)
    })?;
    tx.range(RETURNS, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, r| {
        if let Some(s) = tx.get(SALES, (c.0, r.sale.0))? {
            p.add_return(c, &tz, &s, &r);
        }
        Ok(true)
    })?;
    p.store(tx)
}

/// Builds the projection for every company of a data file whose sales predate it (the upgrade
/// to schema version 3). A file that earlier releases already built it in (their meta flag
/// [`BUILT`]) is left as it is; rebuilding it would be harmless, only slow on a large file.
pub fn build_all(tx: &mut WriteTx) -> Result<(), StorageError> {
    if tx.meta(BUILT)?.is_some() {
        return Ok(());
    }
    let mut companies = Vec::new();
    tx.range(COMPANIES, 0, u64::MAX, false, usize::MAX, |id, _| {
        companies.push(CompanyId(id));
        Ok(true)
    })?;
    for c in companies {
        rebuild_company(tx, c)?;
    }
    Ok(())
}

/// Recomputes every company's projection from its sales and returns and lists each difference.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let mut companies = Vec::new();
    tx.range(COMPANIES, 0, u64::MAX, false, usize::MAX, |id, co| {
        companies.push((CompanyId(id), co.timezone));
        Ok(true)
    })?;
    for (c, tz) in companies {
        let mut want = Projection::default();
        tx.range(SALES, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, s| {
            want.add_sale(c, &tz, &s);
            Ok(true)
        })?;
        tx.range(RETURNS, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, r| {
            if let Some(s) = tx.get(SALES, (c.0, r.sale.0))? {
                want.add_return(c, &tz, &s, &r);
            }
            Ok(true)
        })?;
        let mut have = Projection::default();
        tx.range(SALES_DAYS, (c.0, 0, 0, 0, 0), (c.0, u64::MAX, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |k, v| {
            have.days.insert(k, v);
            Ok(true)
        })?;
        tx.range(
            PRODUCT_DAYS,
            (c.0, 0, 0, 0, 0, 0),
            (c.0, u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX),
            false,
            usize::MAX,
            |k, v| {
                have.products.insert(k, v);
                Ok(true)
            },
        )?;
        for k in want.days.keys().chain(have.days.keys()).collect::<std::collections::BTreeSet<_>>() {
            let (w, h) = (want.days.get(k), have.days.get(k));
            if w != h {
                problems.push(format!("sales projection of company {} at {k:?}: recomputed {w:?}, stored {h:?}", c.0));
            }
        }
        for k in want.products.keys().chain(have.products.keys()).collect::<std::collections::BTreeSet<_>>() {
            let (w, h) = (want.products.get(k), have.products.get(k));
            if w != h {
                problems.push(format!("product sales projection of company {} at {k:?}: recomputed {w:?}, stored {h:?}", c.0));
            }
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_local_calendar_days() {
        // 2026-12-02 19:30 UTC is already 2026-12-03 in Bishkek (UTC+6), still the 2nd in Moscow.
        let at = Ts(jiff::Timestamp::from_second(1_796_239_800).map(|t| t.as_millisecond()).unwrap_or(0));
        assert_eq!(at.rfc3339().get(..16), Some("2026-12-02T19:30"));
        assert_eq!(day_of(at, "Asia/Bishkek"), 20261203);
        assert_eq!(day_of(at, "Europe/Moscow"), 20261202);
        assert_eq!(day_text(20261203), "2026-12-03");
    }
}
