//! The daily money projection: one row per (company, local day, account, category) with the
//! day's income, expense and row count, added to by every account row in its own transaction
//! (`store::append_row`), so a finance report reads a period's rows, never the ledger.
//!
//! Days are the company's local calendar days (`YYYYMMDD`, as `pos::daily`). Categories are
//! money-category codes for money documents (`rent`, `salary`, `supplier`, `c123`…), and the
//! row kind's code for movements no document made (`sale`, `refund`, `cash_in`, `cash_out`,
//! `debt_payment`, `shift_difference`); transfers are filed under `transfer` on both accounts.
//! For profit: transfers are not income or expense, and `supplier` expenses are payments for
//! purchases (their cost reaches profit through COGS), so operating expenses exclude both.
//! Income-like rows stay income when negative (a reversal lowers income); see
//! `RowKind::is_income`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{AccountRef, AccountRow};
use crate::error::Result;
use crate::ids::CompanyId;
use crate::storage::{Read, Record, StorageError, Table, TableInfo, WriteTx};

/// (company, day, account key, category code).
pub type MoneyDayKey = (CompanyId, u64, u64, String);

pub const MONEY_DAYS: Table<MoneyDayKey, MoneyDayRow> = Table::new("company_day_account_category_moneydayrow");

pub fn tables() -> Vec<TableInfo> {
    vec![MONEY_DAYS.info(
        "(CompanyId, local day YYYYMMDD, account id, category code)",
        "daily money projection: income, expense and row count per account and category",
    )]
}

/// One day's money on one account under one category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyDay {
    #[serde(with = "crate::money::compact")]
    pub income: Decimal,
    #[serde(with = "crate::money::compact")]
    pub expense: Decimal,
    pub count: u64,
}

impl MoneyDay {
    /// Adds one row: income-like rows to income, the others to expense as a positive amount.
    pub fn add(&mut self, row: &AccountRow) {
        if row.kind.is_income(row.amount) {
            self.income += row.amount;
        } else {
            self.expense -= row.amount;
        }
        self.count += 1;
    }
}

/// The stored row: the account (its kind is not in the key) and the day's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyDayRow {
    pub account: AccountRef,
    pub day: MoneyDay,
}

impl Record for MoneyDayRow {
    const TYPE: &'static str = "money_day.v1";
}

/// Adds one account row to the projection (called by `store::append_row` only).
pub(super) fn add(tx: &mut WriteTx, c: CompanyId, day: u64, account: AccountRef, row: &AccountRow) -> Result<(), StorageError> {
    let key = (c, day, account.key(), row.category.clone());
    let mut stored = tx.get(MONEY_DAYS, &key)?.unwrap_or(MoneyDayRow { account, day: MoneyDay::default() });
    stored.day.add(row);
    tx.insert(MONEY_DAYS, &key, &stored)
}

/// Rows of the daily money projection for days `from..=to` (YYYYMMDD): (day, account,
/// category code, totals), by day, then account, then category.
pub fn days(tx: &impl Read, c: CompanyId, from: u64, to: u64) -> Result<Vec<(u64, AccountRef, String, MoneyDay)>> {
    let mut out = Vec::new();
    tx.range(
        MONEY_DAYS,
        (c, from, 0, String::new()),
        (c, to, u64::MAX, "\u{10FFFF}".to_string()),
        false,
        usize::MAX,
        |(_, d, _, cat), r| {
            out.push((d, r.account, cat, r.day));
            Ok(true)
        },
    )?;
    Ok(out)
}

/// What the projection must hold, recomputed from rows.
pub(super) type Want = BTreeMap<MoneyDayKey, MoneyDayRow>;

pub(super) fn want_add(want: &mut Want, c: CompanyId, day: u64, account: AccountRef, row: &AccountRow) {
    want.entry((c, day, account.key(), row.category.clone())).or_insert(MoneyDayRow { account, day: MoneyDay::default() }).day.add(row);
}

/// The stored rows of one company.
pub(super) fn stored(tx: &impl Read, c: CompanyId) -> Result<Want, StorageError> {
    let mut have = Want::new();
    tx.range(MONEY_DAYS, (c, 0, 0, String::new()), (c, u64::MAX, u64::MAX, "\u{10FFFF}".to_string()), false, usize::MAX, |k, v| {
        have.insert(k, v);
        Ok(true)
    })?;
    Ok(have)
}
