//! What finance pages and the API read: accounts with balances, an account's ledger, money
//! documents, categories, the journal (every money movement, filtered and paged, with its XLSX
//! export) and the cash-box summary (spec A7). Every query takes `Perm::FINANCE` and shows only
//! accounts in the actor's branch scope.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::*;
use super::store::*;
use super::{account_of, balance, balance_at, in_scope};
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::{BranchId, CashBoxId, ClientId, CompanyId, MoneyCategoryId, MoneyDocId, UserId};
use crate::pos::daily::{SALES_DAYS, day_of};
use crate::pos::model::{CashFlow, FlowStatus, Shift};
use crate::storage::Read;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// An account as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    pub account: AccountRef,
    pub name: String,
    pub branch: Option<BranchId>,
    pub active: bool,
    pub balance: Decimal,
    /// At the end of the asked day, when one was asked.
    pub balance_at: Option<Decimal>,
}

/// Every account the actor sees — cash boxes first, then bank accounts — with its balance, and
/// its balance at the end of local day `at` (YYYYMMDD) when given.
pub fn accounts(tx: &impl Read, actor: &Actor, at: Option<u64>) -> Result<Vec<AccountView>> {
    actor.require(Perm::FINANCE)?;
    let c = actor.company;
    let mut out = Vec::new();
    for b in crate::pos::query::cash_boxes(tx, actor)? {
        out.push((AccountRef::CashBox(b.id), b.name, b.branch, b.active));
    }
    for (_, a) in tx.list(BANK_ACCOUNTS, (c, crate::ids::AccountId::MIN), (c, crate::ids::AccountId::MAX), usize::MAX)? {
        if in_scope(actor, a.branch) {
            out.push((AccountRef::Bank(a.id), a.name, a.branch, a.active));
        }
    }
    out.into_iter()
        .map(|(account, name, branch, active)| {
            let at = match at {
                Some(day) => Some(balance_at(tx, c, account, day)?),
                None => None,
            };
            Ok(AccountView { account, name, branch, active, balance: balance(tx, c, account)?, balance_at: at })
        })
        .collect()
}

/// One account the actor sees, or "not found".
pub fn account(tx: &impl Read, actor: &Actor, account: AccountRef) -> Result<AccountView> {
    actor.require(Perm::FINANCE)?;
    accounts(tx, actor, None)?.into_iter().find(|a| a.account == account).ok_or(Error::NotFound)
}

pub fn bank_account(tx: &impl Read, actor: &Actor, id: crate::ids::AccountId) -> Result<BankAccount> {
    actor.require(Perm::FINANCE)?;
    match tx.get(BANK_ACCOUNTS, (actor.company, id))? {
        Some(a) if in_scope(actor, a.branch) => Ok(a),
        _ => Err(Error::NotFound),
    }
}

/// An account's rows, newest first, from sequence number `before` down (all when `None`).
pub fn ledger(tx: &impl Read, actor: &Actor, account: AccountRef, before: Option<u64>, limit: usize) -> Result<Vec<(u64, AccountRow)>> {
    actor.require(Perm::FINANCE)?;
    if account_of(tx, actor, account)?.is_none() {
        return Err(Error::NotFound);
    }
    let c = actor.company;
    let hi = before.map_or(u64::MAX, |b| b.saturating_sub(1));
    if before == Some(0) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    tx.range(ACCOUNT_LEDGER, (c, account.key(), 0), (c, account.key(), hi), true, limit.clamp(1, 1000), |(_, _, seq), row| {
        out.push((seq, row));
        Ok(true)
    })?;
    Ok(out)
}

/// Which documents a list shows; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct DocFilter {
    pub status: Option<MoneyDocStatus>,
    pub kind: Option<MoneyDocKind>,
    pub account: Option<AccountRef>,
    /// Documents older than this one (paging).
    pub before: Option<MoneyDocId>,
    /// At most this many (default 100, at most 500).
    pub limit: Option<usize>,
}

/// Money documents on accounts the actor sees, newest first.
pub fn money_docs(tx: &impl Read, actor: &Actor, f: &DocFilter) -> Result<Vec<MoneyDoc>> {
    actor.require(Perm::FINANCE)?;
    let c = actor.company;
    let visible: Vec<AccountRef> = accounts(tx, actor, None)?.into_iter().map(|a| a.account).collect();
    let limit = f.limit.unwrap_or(100).clamp(1, 500);
    let hi = f.before.map_or(MoneyDocId::MAX, |b| MoneyDocId(b.0.saturating_sub(1)));
    let mut out = Vec::new();
    tx.range(MONEY_DOCS, (c, MoneyDocId::MIN), (c, hi), true, usize::MAX, |_, d| {
        let keep = visible.contains(&d.account)
            && f.status.is_none_or(|s| s == d.status)
            && f.kind.is_none_or(|k| k == d.kind)
            && f.account.is_none_or(|a| a == d.account || Some(a) == d.to_account);
        if keep {
            out.push(d);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// A category as lists show it: the stored name, else the built-in name in `lang`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryView {
    pub code: String,
    pub name: String,
    pub builtin: bool,
    pub archived: bool,
}

/// Built-in categories (renamed or archived ones as stored), then the company's own.
pub fn categories(tx: &impl Read, c: CompanyId, lang: Lang) -> Result<Vec<CategoryView>> {
    let stored = tx.list(MONEY_CATEGORIES, (c, MoneyCategoryId::MIN), (c, MoneyCategoryId::MAX), usize::MAX)?;
    let mut out: Vec<CategoryView> = BUILTIN
        .iter()
        .map(|(code, ru, en)| match stored.iter().find(|(_, s)| s.code == *code) {
            Some((_, s)) => CategoryView { code: s.code.clone(), name: s.name.clone(), builtin: true, archived: s.archived },
            None => CategoryView {
                code: code.to_string(),
                name: (if lang == Lang::Ru { ru } else { en }).to_string(),
                builtin: true,
                archived: false,
            },
        })
        .collect();
    out.extend(stored.into_iter().filter(|(_, s)| !s.builtin).map(|(_, s)| CategoryView {
        code: s.code,
        name: s.name,
        builtin: false,
        archived: s.archived,
    }));
    Ok(out)
}

/// The name of a category code for people (kind codes of non-document rows are named by the
/// caller's templates; they come back as themselves).
pub fn category_names(tx: &impl Read, c: CompanyId, lang: Lang) -> Result<BTreeMap<String, String>> {
    Ok(categories(tx, c, lang)?.into_iter().map(|v| (v.code, v.name)).collect())
}

/// Which journal rows to show; `None` fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub from: Option<Ts>,
    pub to: Option<Ts>,
    pub account: Option<AccountRef>,
    pub kind: Option<RowKind>,
    pub category: Option<String>,
    pub counterparty: Option<ClientId>,
    pub author: Option<UserId>,
    /// The status of the row's document; rows no document made count as approved.
    pub status: Option<MoneyDocStatus>,
    /// Rows to skip (paging), newest first.
    pub offset: usize,
    /// At most this many (default 100, at most 5000).
    pub limit: Option<usize>,
}

/// One money movement as the journal shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalRow {
    pub account: AccountRef,
    pub seq: u64,
    pub row: AccountRow,
    /// The document that made it: id, number, status.
    pub doc: Option<(MoneyDocId, String, MoneyDocStatus)>,
}

#[derive(Debug, Clone, Default)]
pub struct JournalPage {
    pub rows: Vec<JournalRow>,
    /// Whether rows beyond this page match.
    pub more: bool,
}

/// The journal: every movement on accounts the actor sees, newest first, read through the
/// by-date index within the period. Pending and rejected documents moved nothing, so they
/// have no rows: filtered by those statuses the journal lists the documents themselves.
pub fn journal(tx: &impl Read, actor: &Actor, f: &JournalFilter) -> Result<JournalPage> {
    actor.require(Perm::FINANCE)?;
    let c = actor.company;
    let visible: Vec<u64> = accounts(tx, actor, None)?.into_iter().map(|a| a.account.key()).collect();
    let limit = f.limit.unwrap_or(100).clamp(1, 5000);
    let lo = f.from.map_or(0, ms);
    let hi = f.to.map_or(u64::MAX, ms);
    if matches!(f.status, Some(MoneyDocStatus::Pending | MoneyDocStatus::Rejected)) {
        return undecided(tx, c, &visible, f, (lo, hi), limit);
    }
    let mut page = JournalPage::default();
    let mut skipped = 0usize;
    tx.range(MONEY_JOURNAL, (c, lo, 0, 0), (c, hi, u64::MAX, u64::MAX), true, usize::MAX, |(_, _, a, seq), _| {
        if !visible.contains(&a) || f.account.is_some_and(|x| x.key() != a) {
            return Ok(true);
        }
        let Some(row) = tx.get(ACCOUNT_LEDGER, (c, a, seq))? else { return Ok(true) };
        let Some(bal) = tx.get(ACCOUNT_BALANCES, (c, a))? else { return Ok(true) };
        let doc = match row.reference.strip_prefix("money_doc:").and_then(|id| id.parse::<u64>().ok()) {
            Some(id) => tx.get(MONEY_DOCS, (c, MoneyDocId(id)))?.map(|d| (d.id, d.number, d.status)),
            None => None,
        };
        let status = doc.as_ref().map_or(MoneyDocStatus::Approved, |d| d.2);
        let keep = f.kind.is_none_or(|k| k == row.kind)
            && f.category.as_ref().is_none_or(|cat| *cat == row.category)
            && f.counterparty.is_none_or(|cp| Some(cp) == row.counterparty)
            && f.author.is_none_or(|u| u == row.user)
            && f.status.is_none_or(|s| s == status);
        if !keep {
            return Ok(true);
        }
        if skipped < f.offset {
            skipped += 1;
            return Ok(true);
        }
        if page.rows.len() == limit {
            page.more = true;
            return Ok(false);
        }
        page.rows.push(JournalRow { account: bal.account, seq, row, doc });
        Ok(true)
    })?;
    Ok(page)
}

/// Documents that moved no money (pending or rejected) as journal rows: the amount signed as
/// it would move the account, sequence 0.
fn undecided(tx: &impl Read, c: CompanyId, visible: &[u64], f: &JournalFilter, (lo, hi): (u64, u64), limit: usize) -> Result<JournalPage> {
    let mut page = JournalPage::default();
    let mut skipped = 0usize;
    tx.range(MONEY_DOCS, (c, MoneyDocId::MIN), (c, MoneyDocId::MAX), true, usize::MAX, |_, d| {
        let kind = match d.kind {
            MoneyDocKind::Income => RowKind::Income,
            MoneyDocKind::Expense => RowKind::Expense,
            MoneyDocKind::Transfer => RowKind::TransferOut,
        };
        let at = ms(d.date);
        let keep = Some(d.status) == f.status
            && (lo..=hi).contains(&at)
            && visible.contains(&d.account.key())
            && f.account.is_none_or(|x| x == d.account)
            && f.kind.is_none_or(|k| k == kind)
            && f.category.as_ref().is_none_or(|cat| *cat == d.category)
            && f.counterparty.is_none_or(|cp| Some(cp) == d.counterparty)
            && f.author.is_none_or(|u| u == d.created_by);
        if !keep {
            return Ok(true);
        }
        if skipped < f.offset {
            skipped += 1;
            return Ok(true);
        }
        if page.rows.len() == limit {
            page.more = true;
            return Ok(false);
        }
        let amount = if kind == RowKind::Income { d.amount } else { -d.amount };
        let row = AccountRow {
            at: d.date,
            amount,
            kind,
            category: d.category.clone(),
            reference: format!("money_doc:{}", d.id),
            counterparty: d.counterparty,
            user: d.created_by,
        };
        page.rows.push(JournalRow { account: d.account, seq: 0, row, doc: Some((d.id, d.number, d.status)) });
        Ok(true)
    })?;
    Ok(page)
}

/// The journal as a workbook (at most 5000 rows of the filter).
pub fn journal_xlsx(tx: &impl Read, actor: &Actor, f: &JournalFilter) -> Result<Vec<u8>> {
    use crate::xlsx::Cell;
    let page = journal(tx, actor, &JournalFilter { limit: Some(5000), offset: 0, ..f.clone() })?;
    let tz = timezone(tx, actor.company)?;
    let names: BTreeMap<u64, String> = accounts(tx, actor, None)?.into_iter().map(|a| (a.account.key(), a.name)).collect();
    let cats = category_names(tx, actor.company, actor.lang)?;
    let ru = actor.lang == Lang::Ru;
    let headers: &[&str] = if ru {
        &["Дата", "Счёт", "Операция", "Статья", "Сумма", "Документ", "Статус", "Основание"]
    } else {
        &["Date", "Account", "Kind", "Category", "Amount", "Document", "Status", "Reference"]
    };
    let rows: Vec<Vec<Cell>> = page
        .rows
        .into_iter()
        .map(|r| {
            vec![
                Cell::Text(r.row.at.format_local(&tz)),
                Cell::Text(names.get(&r.account.key()).cloned().unwrap_or_default()),
                Cell::Text(r.row.kind.code().to_string()),
                Cell::Text(cats.get(&r.row.category).cloned().unwrap_or_else(|| r.row.category.clone())),
                Cell::Money(r.row.amount),
                Cell::Text(r.doc.as_ref().map(|d| d.1.clone()).unwrap_or_default()),
                Cell::Text(r.doc.as_ref().map_or("approved", |d| d.2.code()).to_string()),
                Cell::Text(r.row.reference),
            ]
        })
        .collect();
    crate::xlsx::workbook(if ru { "Журнал денег" } else { "Money journal" }, headers, &rows)
}

/// The cash-box summary (spec A7): balance, approved flows, paid sales by method over the
/// period, open shifts with their expected cash.
#[derive(Debug, Clone)]
pub struct CashBoxSummary {
    pub cash_box: CashBoxId,
    pub name: String,
    pub balance: Decimal,
    pub flows: Vec<CashFlow>,
    /// Method code → Σ paid − Σ refunded over the period.
    pub sales_by_method: BTreeMap<String, Decimal>,
    pub sales: u64,
    pub open_shifts: Vec<Shift>,
    pub from_day: u64,
    pub to_day: u64,
}

/// The summary of a cash box over local days `from..=to` (YYYYMMDD), read from the daily
/// sales projection.
pub fn cash_box_summary(tx: &impl Read, actor: &Actor, b: CashBoxId, from: u64, to: u64) -> Result<CashBoxSummary> {
    actor.require(Perm::FINANCE)?;
    let c = actor.company;
    let Some((name, _)) = account_of(tx, actor, AccountRef::CashBox(b))? else { return Err(Error::NotFound) };
    let flows: Vec<CashFlow> = crate::pos::query::flows(tx, actor, None)?
        .into_iter()
        .filter(|f| f.cash_box == b && f.status == FlowStatus::Approved)
        .take(50)
        .collect();
    let mut by_method: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut sales = 0u64;
    tx.range(SALES_DAYS, (c.0, from, 0, 0, 0), (c.0, to, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(_, _, _, bx, _), d| {
        if bx == b.0 {
            sales += d.sales;
            for (m, a) in &d.paid {
                *by_method.entry(m.clone()).or_default() += *a;
            }
            for (m, a) in &d.refunded {
                *by_method.entry(m.clone()).or_default() -= *a;
            }
        }
        Ok(true)
    })?;
    let mut open_shifts = Vec::new();
    let mut ids = Vec::new();
    tx.range(crate::pos::store::OPEN_SHIFTS, (c, b, UserId::MIN), (c, b, UserId::MAX), false, usize::MAX, |_, id| {
        ids.push(id);
        Ok(true)
    })?;
    for id in ids {
        if let Some(s) = tx.get(crate::pos::store::SHIFTS, (c.0, id))? {
            open_shifts.push(s);
        }
    }
    Ok(CashBoxSummary {
        cash_box: b,
        name,
        balance: balance(tx, c, AccountRef::CashBox(b))?,
        flows,
        sales_by_method: by_method,
        sales,
        open_shifts,
        from_day: from,
        to_day: to,
    })
}

/// Today's local day of the company (YYYYMMDD) and the day `days` before it.
pub fn today_and_back(tx: &impl Read, c: CompanyId, now: Ts, days: i64) -> Result<(u64, u64)> {
    let tz = timezone(tx, c)?;
    Ok((day_of(now.plus_days(-days), &tz), day_of(now, &tz)))
}

/// A journal request as text (query string or form).
#[derive(Debug, Clone, Default)]
pub struct JournalAsk {
    pub from: String,
    pub to: String,
    pub account: String,
    pub kind: String,
    pub category: String,
    pub counterparty: Option<u64>,
    pub author: Option<u64>,
    pub status: String,
    pub offset: usize,
    pub limit: Option<usize>,
}

impl JournalAsk {
    /// The filter, or every malformed field as a problem.
    pub fn parse(&self, tx: &impl Read, c: CompanyId) -> Result<JournalFilter> {
        let tz = timezone(tx, c)?;
        let (from, to) = crate::inventory::report::parse_period(&self.from, &self.to, &tz)?;
        let mut p = crate::error::Problems::default();
        let mut pick = |field: &'static str, raw: &str, ok: bool| {
            if !raw.trim().is_empty() && !ok {
                p.push(crate::error::FieldError::new(field, field, "Неизвестное значение", "Unknown value"));
            }
        };
        let account = AccountRef::parse(&self.account);
        pick("account", &self.account, account.is_some());
        let kind = RowKind::parse(&self.kind);
        pick("kind", &self.kind, kind.is_some());
        let status = MoneyDocStatus::parse(&self.status);
        pick("status", &self.status, status.is_some());
        p.finish()?;
        Ok(JournalFilter {
            from: from.map(Ts),
            to: to.map(|t| Ts(t - 1)),
            account,
            kind,
            category: Some(self.category.trim().to_string()).filter(|s| !s.is_empty()),
            counterparty: self.counterparty.map(ClientId),
            author: self.author.map(UserId),
            status,
            offset: self.offset,
            limit: self.limit,
        })
    }
}
