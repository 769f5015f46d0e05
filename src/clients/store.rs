//! Clients tables, the one write path of a client (`put_client`, which keeps the picker and
//! contact indexes by diff), the debt ledger append, and `verify`.
//!
//! Picker tokens are the first 16 bytes of a lower-cased word packed big-endian into a
//! `u128`, so a byte-prefix search is a numeric range: `prefix‖00…` ..= `prefix‖FF…`. Longer
//! queries are cut to 16 bytes for the scan and checked against the full words afterwards.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::ClientSale;
use super::model::{Client, DealKind, DebtBalance, DebtEntry, DebtKind, KeyUse};
use crate::ids::{ClientId, CompanyId};
use crate::storage::{ReadTx, StorageError, Table, TableInfo, WriteTx};

pub const CLIENTS: Table<(u64, u64), Client> = Table::new("company_clientid_client");
/// Picker index: (company, packed word prefix, client).
pub const CLIENT_TOKENS: Table<(u64, u128, u64), u64> = Table::new("company_token_clientid_unit");
/// Duplicate warning index: (company, hash of "p:<phone>" or "e:<email>", client); not unique.
pub const CLIENT_CONTACTS: Table<(u64, u64, u64), u64> = Table::new("company_contacthash_clientid_unit");
/// Purchase history: written by POS checkout for sales with a client.
pub const CLIENT_SALES: Table<(u64, u64, u64), u64> = Table::new("company_client_saleid_unit");
pub const DEBT_LEDGER: Table<(u64, u64, u64), DebtEntry> = Table::new("company_client_seq_debtentry");
pub const DEBT_BALANCES: Table<(u64, u64), DebtBalance> = Table::new("company_clientid_debtbalance");
pub const DEALS: Table<(u64, u64), super::model::Deal> = Table::new("company_dealid_clientdeal");
pub const CLIENT_DEALS: Table<(u64, u64, u64), u64> = Table::new("company_client_dealid_unit");
pub const CLIENT_KEYS: Table<(u64, &'static str), KeyUse> = Table::new("company_key_clientop");

pub fn tables() -> Vec<TableInfo> {
    vec![
        CLIENTS.info("(CompanyId, ClientId)", "clients, suppliers, consignees, contractors"),
        CLIENT_TOKENS.info("(CompanyId, u128 packed word prefix, ClientId)", "picker prefix index over name words, phone digits, e-mail"),
        CLIENT_CONTACTS.info("(CompanyId, u64 hash of phone or e-mail, ClientId)", "duplicate warning index (not unique)"),
        CLIENT_SALES.info("(CompanyId, ClientId, SaleId)", "a client's sales (purchase history), written by checkout"),
        DEBT_LEDGER.info("(CompanyId, ClientId, seq)", "append-only debt ledger: sale debts, manual debts, payments, reversals"),
        DEBT_BALANCES.info("(CompanyId, ClientId)", "debt balance = Σ ledger rows, never negative"),
        DEALS.info("(CompanyId, deal id)", "installment deals with schedule and payments"),
        CLIENT_DEALS.info("(CompanyId, ClientId, deal id)", "a client's deals"),
        CLIENT_KEYS.info("(CompanyId, scoped idempotency key)", "idempotency keys of debt payments and deal payments"),
    ]
}

/// The first 16 bytes of `word`, big-endian, padded with `pad`.
pub fn pack(word: &str, pad: u8) -> u128 {
    let mut buf = [pad; 16];
    for (slot, b) in buf.iter_mut().zip(word.as_bytes()) {
        *slot = *b;
    }
    u128::from_be_bytes(buf)
}

/// Lower-case, ё → е.
pub fn fold(s: &str) -> String {
    s.to_lowercase().replace('ё', "е")
}

/// The words a client is found by.
pub fn tokens(c: &Client) -> BTreeSet<String> {
    let mut out: BTreeSet<String> =
        fold(&c.name).split(|ch: char| !ch.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect();
    if let Some(p) = &c.phone {
        let digits: String = p.chars().filter(char::is_ascii_digit).collect();
        for cc in ["996", "7"] {
            if let Some(national) = digits.strip_prefix(cc) {
                out.insert(national.to_string());
            }
        }
        out.insert(digits);
    }
    if let Some(e) = &c.email {
        out.insert(e.clone());
    }
    out
}

pub fn contact_hash(kind: &str, value: &str) -> u64 {
    let d = Sha256::digest(format!("{kind}:{value}").as_bytes());
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

fn contacts(c: &Client) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    if let Some(p) = &c.phone {
        out.insert(contact_hash("p", p));
    }
    if let Some(e) = &c.email {
        out.insert(contact_hash("e", e));
    }
    out
}

/// The one write path of a client: stores it and moves its index rows by diff.
pub fn put_client(tx: &mut WriteTx, company: CompanyId, old: Option<&Client>, new: &Client) -> Result<(), StorageError> {
    let c = company.0;
    let id = new.id.0;
    let old_tokens: BTreeSet<u128> = old.map(|o| tokens(o).iter().map(|t| pack(t, 0)).collect()).unwrap_or_default();
    let new_tokens: BTreeSet<u128> = tokens(new).iter().map(|t| pack(t, 0)).collect();
    for t in old_tokens.difference(&new_tokens) {
        tx.remove(CLIENT_TOKENS, (c, *t, id))?;
    }
    for t in new_tokens.difference(&old_tokens) {
        tx.insert(CLIENT_TOKENS, (c, *t, id), &id)?;
    }
    let old_contacts = old.map(contacts).unwrap_or_default();
    let new_contacts = contacts(new);
    for h in old_contacts.difference(&new_contacts) {
        tx.remove(CLIENT_CONTACTS, (c, *h, id))?;
    }
    for h in new_contacts.difference(&old_contacts) {
        tx.insert(CLIENT_CONTACTS, (c, *h, id), &id)?;
    }
    tx.insert(CLIENTS, (c, id), new)
}

/// Removes a client and its index rows (only for clients nothing refers to).
pub fn delete_client(tx: &mut WriteTx, company: CompanyId, old: &Client) -> Result<(), StorageError> {
    let c = company.0;
    for t in tokens(old) {
        tx.remove(CLIENT_TOKENS, (c, pack(&t, 0), old.id.0))?;
    }
    for h in contacts(old) {
        tx.remove(CLIENT_CONTACTS, (c, h, old.id.0))?;
    }
    tx.remove(CLIENTS, (c, old.id.0))?;
    Ok(())
}

/// Appends a ledger row and moves the balance. The caller has checked that the balance stays
/// at or above zero.
pub fn append_debt(tx: &mut WriteTx, company: CompanyId, client: ClientId, entry: &DebtEntry) -> Result<(u64, DebtBalance), StorageError> {
    let c = company.0;
    let mut bal = tx.get(DEBT_BALANCES, (c, client.0))?.unwrap_or_default();
    let seq = bal.rows;
    bal.rows += 1;
    bal.owed += entry.amount;
    tx.insert(DEBT_LEDGER, (c, client.0, seq), entry)?;
    tx.insert(DEBT_BALANCES, (c, client.0), &bal)?;
    Ok((seq, bal))
}

/// Recomputes every clients index and projection and lists each difference.
/// Every sale of the box, handed to a visitor as `(company, sale id, sale)` (pos owns sales; the
/// caller, `check`, walks them). The visitor returns `false` to stop.
pub type SaleVisitor<'a> = dyn FnMut(u64, u64, &dyn ClientSale) -> Result<bool, StorageError> + 'a;

pub fn verify(tx: &ReadTx, each_sale: &mut dyn FnMut(&mut SaleVisitor) -> Result<(), StorageError>) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let all = (0u64, 0u64);
    let top = (u64::MAX, u64::MAX);

    // Indexes of clients.
    let mut want_tokens = BTreeSet::new();
    let mut want_contacts = BTreeSet::new();
    tx.range(CLIENTS, all, top, false, usize::MAX, |(c, id), client| {
        want_tokens.extend(tokens(&client).iter().map(|t| (c, pack(t, 0), id)));
        want_contacts.extend(contacts(&client).into_iter().map(|h| (c, h, id)));
        Ok(true)
    })?;
    let mut have_tokens = BTreeSet::new();
    tx.range(CLIENT_TOKENS, (0, 0, 0), (u64::MAX, u128::MAX, u64::MAX), false, usize::MAX, |k, _| {
        have_tokens.insert(k);
        Ok(true)
    })?;
    for k in want_tokens.symmetric_difference(&have_tokens) {
        problems.push(format!("client picker index disagrees with clients at company {} client {}", k.0, k.2));
    }
    let mut have_contacts = BTreeSet::new();
    tx.range(CLIENT_CONTACTS, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |k, _| {
        have_contacts.insert(k);
        Ok(true)
    })?;
    for k in want_contacts.symmetric_difference(&have_contacts) {
        problems.push(format!("client contact index disagrees with clients at company {} client {}", k.0, k.2));
    }

    // Sales with a client: the history index and Σ debt sales per client.
    let mut want_sales = BTreeSet::new();
    let mut sale_debt: BTreeMap<(u64, u64), Decimal> = BTreeMap::new();
    each_sale(&mut |c, id, sale| {
        if let Some(client) = sale.client() {
            want_sales.insert((c, client.0, id));
            if tx.get(CLIENTS, (c, client.0))?.is_none() {
                problems.push(format!("sale {} of company {c}: client {client} does not exist", sale.number()));
            }
            let debt = sale.debt();
            if !debt.is_zero() {
                *sale_debt.entry((c, client.0)).or_default() += debt;
            }
        } else if !sale.debt().is_zero() {
            problems.push(format!("sale {} of company {c}: a debt sale without a client", sale.number()));
        }
        Ok(true)
    })?;
    let mut have_sales = BTreeSet::new();
    tx.range(CLIENT_SALES, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |k, _| {
        have_sales.insert(k);
        Ok(true)
    })?;
    for k in want_sales.symmetric_difference(&have_sales) {
        problems.push(format!("client purchase index disagrees with sales at company {} client {} sale {}", k.0, k.1, k.2));
    }

    // The debt ledger: running balance never negative, Σ rows = balance, sale rows = debt sales.
    let mut ledger: BTreeMap<(u64, u64), (Decimal, u64, Decimal)> = BTreeMap::new();
    tx.range(DEBT_LEDGER, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(c, client, seq), e| {
        let slot = ledger.entry((c, client)).or_default();
        if seq != slot.1 {
            problems.push(format!("debt ledger of client {client} (company {c}): row {seq} where {} was expected", slot.1));
        }
        slot.0 += e.amount;
        slot.1 += 1;
        if e.kind == DebtKind::Sale {
            slot.2 += e.amount;
        }
        if slot.0 < Decimal::ZERO {
            problems.push(format!("debt ledger of client {client} (company {c}): balance {} after row {seq}", slot.0));
        }
        Ok(true)
    })?;
    let mut balances = BTreeMap::new();
    tx.range(DEBT_BALANCES, all, top, false, usize::MAX, |k, b| {
        balances.insert(k, b);
        Ok(true)
    })?;
    let keys: BTreeSet<(u64, u64)> = ledger.keys().chain(balances.keys()).chain(sale_debt.keys()).copied().collect();
    for k in keys {
        let (sum, rows, sales) = ledger.get(&k).copied().unwrap_or_default();
        let bal = balances.get(&k).cloned().unwrap_or_default();
        if sum != bal.owed || rows != bal.rows {
            problems.push(format!(
                "client {} (company {}): ledger sums to {sum} in {rows} rows, balance says {} in {}",
                k.1, k.0, bal.owed, bal.rows
            ));
        }
        let sold = sale_debt.get(&k).copied().unwrap_or_default();
        if sold != sales {
            problems.push(format!("client {} (company {}): debt sales {sold} but ledger sale rows {sales}", k.1, k.0));
        }
    }

    // Deals: schedule sums, paid within bounds, payments add up, the client index.
    let mut want_deals = BTreeSet::new();
    tx.range(DEALS, all, top, false, usize::MAX, |(c, id), d| {
        want_deals.insert((c, d.client.0, id));
        let sched: Decimal = d.installments.iter().map(|i| i.amount).sum();
        let expect = if d.kind == DealKind::Debt { d.debt() } else { Decimal::ZERO };
        if sched != expect {
            problems.push(format!("deal {id} (company {c}): schedule sums to {sched}, debt is {expect}"));
        }
        let mut net = Decimal::ZERO;
        for p in &d.payments {
            match p.kind {
                super::model::DealPaymentKind::Pay => net += p.amount,
                super::model::DealPaymentKind::Refund => net -= p.amount,
            }
        }
        if net != d.paid() {
            problems.push(format!("deal {id} (company {c}): payments net {net}, installments paid {}", d.paid()));
        }
        for i in &d.installments {
            if i.paid < Decimal::ZERO || i.paid > i.amount || (i.paid_on.is_some() != (i.paid == i.amount && !i.amount.is_zero())) {
                problems.push(format!("deal {id} (company {c}): installment {} paid {} of {}", i.number, i.paid, i.amount));
            }
        }
        Ok(true)
    })?;
    let mut have_deals = BTreeSet::new();
    tx.range(CLIENT_DEALS, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |k, _| {
        have_deals.insert(k);
        Ok(true)
    })?;
    for k in want_deals.symmetric_difference(&have_deals) {
        problems.push(format!("client deal index disagrees with deals at company {} deal {}", k.0, k.2));
    }
    Ok(problems)
}
