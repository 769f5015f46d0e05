//! Finance tables, `append_row` — the one write path of the account ledger and everything kept
//! from it (balance, per-day totals, the journal index, the daily money projection) — and
//! `verify`, which recomputes all of them from the ledger.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::daily;
use super::model::*;
use crate::clock::Ts;
use crate::ids::{AccountId, CompanyId, MoneyCategoryId, MoneyDocId};
use crate::pos::daily::day_of;
use crate::storage::{Read, ReadTx, StorageError, Table, TableInfo, WriteTx};
use crate::tenancy::store::COMPANIES;

pub const BANK_ACCOUNTS: Table<(CompanyId, AccountId), BankAccount> = Table::new("company_accountid_bankaccount");
/// Append-only: (company, account key, seq) → one movement.
pub const ACCOUNT_LEDGER: Table<(CompanyId, u64, u64), AccountRow> = Table::new("company_account_seq_accountrow");
pub const ACCOUNT_BALANCES: Table<(CompanyId, u64), AccountBalance> = Table::new("company_account_accountbalance");
/// Σ of an account's rows per local day: the balance at a date is the balance less the days after it.
pub const ACCOUNT_DAYS: Table<(CompanyId, u64, u64), AccountDay> = Table::new("company_account_day_accountday");
/// The journal by date: (company, row date ms, account key, seq) → unit.
pub const MONEY_JOURNAL: Table<(CompanyId, u64, u64, u64), u64> = Table::new("company_at_account_seq_unit");
pub const MONEY_DOCS: Table<(CompanyId, MoneyDocId), MoneyDoc> = Table::new("company_moneydocid_moneydoc");
pub const MONEY_CATEGORIES: Table<(CompanyId, MoneyCategoryId), MoneyCategory> = Table::new("company_moneycategoryid_moneycategory");
pub const FINANCE_SETTINGS: Table<CompanyId, FinanceSettings> = Table::new("companyid_financesettings");
pub const NONCASH_ACCOUNT: Table<CompanyId, NonCashAccount> = Table::new("companyid_noncashaccount");
pub const MONEY_KEYS: Table<(CompanyId, &'static str), MoneyKey> = Table::new("company_key_moneykey");

pub fn tables() -> Vec<TableInfo> {
    let mut t = vec![
        BANK_ACCOUNTS.info("(CompanyId, AccountId)", "company bank accounts (cash boxes are accounts under their own id)"),
        ACCOUNT_LEDGER.info("(CompanyId, account id, seq)", "append-only money movements of an account (signed)"),
        ACCOUNT_BALANCES.info("(CompanyId, account id)", "account balance = Σ its ledger rows, and the row count"),
        ACCOUNT_DAYS.info("(CompanyId, account id, local day YYYYMMDD)", "Σ an account's rows per day (balance at a date)"),
        MONEY_JOURNAL.info("(CompanyId, row date ms, account id, seq) -> unit", "the money journal by date"),
        MONEY_DOCS.info("(CompanyId, MoneyDocId)", "money documents: income, expense, transfer; pending → approved | rejected; reversals"),
        MONEY_CATEGORIES.info("(CompanyId, MoneyCategoryId)", "company money categories and renamed or archived built-ins"),
        FINANCE_SETTINGS.info("CompanyId", "finance settings: whether every money document waits for approval"),
        NONCASH_ACCOUNT.info("CompanyId", "the bank account that takes card, transfer and wallet payments at the tills"),
        MONEY_KEYS.info("(CompanyId, client key)", "idempotency keys of money document creation: fingerprint and document"),
    ];
    t.extend(daily::tables());
    t
}

pub(crate) fn ms(at: Ts) -> u64 {
    u64::try_from(at.0).unwrap_or(0)
}

pub(crate) fn timezone(tx: &impl Read, c: CompanyId) -> Result<String, StorageError> {
    Ok(tx.get(COMPANIES, c.0)?.map(|c| c.timezone).unwrap_or_default())
}

/// Appends a row to an account: the ledger row, the balance, the day's total, the journal index
/// and the daily projection, all in the caller's transaction. A zero row is not written.
pub fn append_row(tx: &mut WriteTx, c: CompanyId, account: AccountRef, row: &AccountRow) -> Result<(), StorageError> {
    if row.amount.is_zero() {
        return Ok(());
    }
    let tz = timezone(tx, c)?;
    let a = account.key();
    let mut bal = tx.get(ACCOUNT_BALANCES, (c, a))?.unwrap_or(AccountBalance { account, balance: Decimal::ZERO, rows: 0 });
    let seq = bal.rows;
    tx.insert(ACCOUNT_LEDGER, (c, a, seq), row)?;
    bal.rows += 1;
    bal.balance += row.amount;
    tx.insert(ACCOUNT_BALANCES, (c, a), &bal)?;
    let day = day_of(row.at, &tz);
    let mut d = tx.get(ACCOUNT_DAYS, (c, a, day))?.unwrap_or_default();
    d.net += row.amount;
    tx.insert(ACCOUNT_DAYS, (c, a, day), &d)?;
    tx.insert(MONEY_JOURNAL, (c, ms(row.at), a, seq), &0)?;
    daily::add(tx, c, day, account, row)
}

/// Rewrites one company's per-day tables from its ledger (after its time zone changed).
pub fn rebuild_company(tx: &mut WriteTx, c: CompanyId) -> Result<(), StorageError> {
    let tz = timezone(tx, c)?;
    let (days, money) = recompute(tx, c, &tz)?;
    let mut old = Vec::new();
    tx.range(ACCOUNT_DAYS, (c, 0, 0), (c, u64::MAX, u64::MAX), false, usize::MAX, |k, _| {
        old.push(k);
        Ok(true)
    })?;
    for k in old {
        tx.remove(ACCOUNT_DAYS, k)?;
    }
    for k in daily::stored(tx, c)?.into_keys() {
        tx.remove(daily::MONEY_DAYS, &k)?;
    }
    for (k, v) in days {
        tx.insert(ACCOUNT_DAYS, k, &v)?;
    }
    for (k, v) in money {
        tx.insert(daily::MONEY_DAYS, &k, &v)?;
    }
    Ok(())
}

type Days = BTreeMap<(CompanyId, u64, u64), AccountDay>;

/// The per-day tables as one company's ledger makes them.
fn recompute(tx: &impl Read, c: CompanyId, tz: &str) -> Result<(Days, daily::Want), StorageError> {
    let mut days = Days::new();
    let mut money = daily::Want::new();
    let mut accounts = Vec::new();
    tx.range(ACCOUNT_BALANCES, (c, 0), (c, u64::MAX), false, usize::MAX, |(_, a), b| {
        accounts.push((a, b.account));
        Ok(true)
    })?;
    for (a, account) in accounts {
        tx.range(ACCOUNT_LEDGER, (c, a, 0), (c, a, u64::MAX), false, usize::MAX, |_, row| {
            let day = day_of(row.at, tz);
            days.entry((c, a, day)).or_default().net += row.amount;
            daily::want_add(&mut money, c, day, account, &row);
            Ok(true)
        })?;
    }
    Ok((days, money))
}

/// For every account: balance = Σ rows and the row count; the journal index lists exactly the
/// rows; the per-day totals and the daily projection equal what the rows add up to; a ledger
/// without a balance record is reported too.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let mut companies = Vec::new();
    tx.range(COMPANIES, 0, u64::MAX, false, usize::MAX, |id, co| {
        companies.push((CompanyId(id), co.timezone));
        Ok(true)
    })?;
    for (c, tz) in companies {
        let mut rows = BTreeSet::new();
        let mut balanced = BTreeSet::new();
        tx.range(ACCOUNT_BALANCES, (c, 0), (c, u64::MAX), false, usize::MAX, |(_, a), bal| {
            balanced.insert(a);
            let mut sum = Decimal::ZERO;
            let mut n = 0u64;
            tx.range(ACCOUNT_LEDGER, (c, a, 0), (c, a, u64::MAX), false, usize::MAX, |(_, _, seq), row| {
                if seq != n {
                    problems.push(format!("account {a} of company {}: ledger row {seq} where {n} was expected", c.0));
                }
                sum += row.amount;
                n += 1;
                rows.insert((ms(row.at), a, seq));
                Ok(true)
            })?;
            if sum != bal.balance || n != bal.rows || bal.account.key() != a {
                problems.push(format!(
                    "account {a} of company {}: ledger sums to {sum} over {n} rows, the balance says {} over {}",
                    c.0, bal.balance, bal.rows
                ));
            }
            Ok(true)
        })?;
        tx.range(ACCOUNT_LEDGER, (c, 0, 0), (c, u64::MAX, u64::MAX), false, usize::MAX, |(_, a, _), _| {
            if !balanced.contains(&a) {
                problems.push(format!("account {a} of company {}: ledger rows without a balance", c.0));
                return Ok(false);
            }
            Ok(true)
        })?;
        let mut indexed = BTreeSet::new();
        tx.range(MONEY_JOURNAL, (c, 0, 0, 0), (c, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(_, at, a, seq), _| {
            indexed.insert((at, a, seq));
            Ok(true)
        })?;
        for k in rows.symmetric_difference(&indexed) {
            problems.push(format!("money journal index of company {} disagrees with the ledger at {k:?}", c.0));
        }
        let (days, money) = recompute(tx, c, &tz)?;
        let mut stored_days = Days::new();
        tx.range(ACCOUNT_DAYS, (c, 0, 0), (c, u64::MAX, u64::MAX), false, usize::MAX, |k, v| {
            stored_days.insert(k, v);
            Ok(true)
        })?;
        for k in days.keys().chain(stored_days.keys()).collect::<BTreeSet<_>>() {
            let (w, h) = (days.get(k), stored_days.get(k));
            if w != h {
                problems.push(format!("account day totals of company {} at {k:?}: recomputed {w:?}, stored {h:?}", c.0));
            }
        }
        let have = daily::stored(tx, c)?;
        for k in money.keys().chain(have.keys()).collect::<BTreeSet<_>>() {
            let (w, h) = (money.get(k), have.get(k));
            if w != h {
                problems.push(format!("money projection of company {} at {k:?}: recomputed {w:?}, stored {h:?}", c.0));
            }
        }
        // An approved document has its rows; a pending or rejected one has none.
        tx.range(MONEY_DOCS, (c, MoneyDocId::MIN), (c, MoneyDocId::MAX), false, usize::MAX, |(_, id), doc| {
            let counted = matches!(doc.status, MoneyDocStatus::Approved | MoneyDocStatus::Reversed);
            if counted != doc.decided.is_some() && doc.status != MoneyDocStatus::Rejected {
                problems.push(format!("money document {id} of company {}: status {:?} without its decision", c.0, doc.status));
            }
            Ok(true)
        })?;
    }
    Ok(problems)
}

/// Builds every company's cash-box accounts from what pos stored before finance existed (the
/// schema's upgrade to version 4): each shift's drawer rows except the opening count, the
/// counted difference of each closed shift, and approved flows on expense-only boxes — the
/// same rows `pos::CashMoved` writes today. A file whose ledger already has rows is left as is.
pub fn build_all(tx: &mut WriteTx) -> Result<(), StorageError> {
    use crate::pos::model::{CashKind, FlowStatus, ShiftStatus};
    use crate::pos::store::{CASH_FLOWS, CASH_LEDGER, SHIFTS};
    if tx.len(ACCOUNT_LEDGER)? > 0 {
        return Ok(());
    }
    let mut rows: Vec<(CompanyId, AccountRef, AccountRow)> = Vec::new();
    tx.range(SHIFTS, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, id), shift| {
        let c = CompanyId(c);
        let account = AccountRef::CashBox(shift.cash_box);
        tx.range(CASH_LEDGER, (c, shift.id, 0), (c, shift.id, u64::MAX), false, usize::MAX, |_, e| {
            if e.kind != CashKind::Opening {
                let kind = RowKind::parse(e.kind.code()).unwrap_or(RowKind::CashIn);
                let row = AccountRow {
                    at: e.at,
                    amount: e.amount,
                    kind,
                    category: kind.code().to_string(),
                    reference: e.reference,
                    counterparty: None,
                    user: e.user,
                };
                rows.push((c, account, row));
            }
            Ok(true)
        })?;
        if shift.status == ShiftStatus::Closed
            && let (Some(diff), Some(at)) = (shift.difference(), shift.closed)
        {
            let kind = RowKind::ShiftDifference;
            let row = AccountRow {
                at,
                amount: diff,
                kind,
                category: kind.code().to_string(),
                reference: format!("shift:{id}"),
                counterparty: None,
                user: shift.cashier,
            };
            rows.push((c, account, row));
        }
        Ok(true)
    })?;
    tx.range(CASH_FLOWS, (CompanyId::MIN, 0), (CompanyId::MAX, u64::MAX), false, usize::MAX, |(c, id), f| {
        if f.shift.is_none() && f.status == FlowStatus::Approved {
            let (kind, amount) = if f.income { (RowKind::CashIn, f.amount) } else { (RowKind::CashOut, -f.amount) };
            let (at, user) = f.decided.unwrap_or((f.created, f.created_by));
            let row = AccountRow {
                at,
                amount,
                kind,
                category: kind.code().to_string(),
                reference: format!("flow:{id}"),
                counterparty: None,
                user,
            };
            rows.push((c, AccountRef::CashBox(f.cash_box), row));
        }
        Ok(true)
    })?;
    rows.sort_by_key(|(c, a, r)| (*c, *a, r.at));
    for (c, account, row) in rows {
        append_row(tx, c, account, &row)?;
    }
    Ok(())
}
