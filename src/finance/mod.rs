//! Finance: money accounts (every cash box, plus company bank accounts), their append-only
//! ledgers, money documents (income, expense, transfer — the seed's MONEY_RECEIPT /
//! MONEY_EXPENSE and TransactionRecord) with approval, the money journal and the daily money
//! projection (spec A7, A9, A10, A11).
//!
//! Invariants (verified by `store::verify`, hence `dukan check`):
//! - for every account, balance = Σ its ledger rows; the journal index, the per-day totals and
//!   the daily projection (`daily`) are exactly what the rows add up to;
//! - only an approved document has rows; a decision is final (repeating it is a no-op); an
//!   approved document is cancelled only by a reversal document with the opposite rows;
//! - every operation is one write transaction: document, rows, projections, the shift's cash
//!   row when a cash box's open shift holds the money, audit row.
//!
//! How pos's drawer reaches a cash box's account: pos calls the `pos::CashMoved` hook from its
//! one cash-row writer (sales, refunds, cash in/out, debts repaid in cash), from flows on
//! expense-only boxes and with a shift's counted difference at close; `wiring` registers
//! [`cash_moved`], which appends the row in the same transaction. A shift's opening count is
//! not a movement: it is cash the box already holds. The close difference (counted −
//! expected) is a `shift_difference` row, so after a close the account moved exactly as the
//! counted cash did. A box's starting cash is recorded with an income document.
//!
//! Who may do what: seeing and creating documents takes `Perm::FINANCE`; approving, rejecting,
//! reversing and managing bank accounts and categories take an owner-like user or one holding
//! both `Perm::CASHBOX` and `Perm::FINANCE` ([`may_approve`]). A document another domain
//! creates for its own record (a non-empty `reference`, e.g. a cash purchase) is covered by that
//! domain's own right check. Finance has no plan feature of its own: a company's money is part
//! of every plan.

pub mod daily;
pub mod model;
pub mod query;
pub mod store;
#[cfg(test)]
mod tests;

use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{AccountId, BranchId, ClientId, CompanyId, MoneyCategoryId, MoneyDocId};
use crate::money::round_money;
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::perms::Perm;
use model::*;
use store::*;

/// A money document as another domain or a form asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MoneyDocDraft {
    pub kind: MoneyDocKind,
    pub account: AccountRef,
    pub to_account: Option<AccountRef>,
    pub amount: Decimal,
    /// A category code; ignored for transfers (filed under `transfer`).
    pub category: String,
    pub counterparty: Option<ClientId>,
    /// What another domain records this for ("purchase:123"); empty if none.
    pub reference: String,
    pub memo: String,
    /// The business date; `None` = now.
    pub date: Option<Ts>,
}

/// Called with a document after a decision: `Approved` or `Rejected` from [`decide`] (not
/// when a repeated decision changes nothing), and the original marked `Reversed` from
/// [`reverse`]. Not called when [`create_money_doc`] approves at once — its caller has the
/// result. Registered in `wiring` (purchases follow their cash documents this way).
pub type MoneyDocDecided = fn(&mut WriteTx, &Actor, Ts, &MoneyDoc) -> Result<()>;

/// Whether the actor approves, rejects and reverses documents and manages accounts and
/// categories: owner-like, or both the cash-box and the finance right.
pub fn may_approve(actor: &Actor) -> bool {
    actor.owner_like() || (actor.can(Perm::CASHBOX) && actor.can(Perm::FINANCE))
}

fn require_approver(actor: &Actor) -> Result<()> {
    actor.require(Perm::FINANCE)?;
    if may_approve(actor) { Ok(()) } else { Err(Error::Forbidden { permission: "cashbox" }) }
}

fn in_scope(actor: &Actor, branch: Option<BranchId>) -> bool {
    match (actor.branch, branch) {
        (BranchScope::Company, _) | (_, None) => true,
        (BranchScope::Branch(b), Some(x)) => b == x,
    }
}

/// The account if the actor may use it: another company's, another branch's or a missing one
/// is `None`. Returns its name and whether it is active.
pub fn account_of(tx: &impl Read, actor: &Actor, account: AccountRef) -> Result<Option<(String, bool)>> {
    let c = actor.company;
    Ok(match account {
        AccountRef::CashBox(b) => match tx.get(crate::pos::store::CASH_BOXES, (c.0, b.0))? {
            Some(cb) if in_scope(actor, cb.branch) => Some((cb.name, cb.active)),
            _ => None,
        },
        AccountRef::Bank(a) => match tx.get(BANK_ACCOUNTS, (c, a))? {
            Some(ba) if in_scope(actor, ba.branch) => Some((ba.name, ba.active)),
            _ => None,
        },
    })
}

pub fn settings(tx: &impl Read, c: CompanyId) -> Result<FinanceSettings> {
    Ok(tx.get(FINANCE_SETTINGS, c)?.unwrap_or_default())
}

pub fn set_settings(tx: &mut WriteTx, actor: &Actor, now: Ts, require_approval: bool) -> Result<FinanceSettings> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let s = FinanceSettings { require_approval };
    tx.insert(FINANCE_SETTINGS, actor.company, &s)?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        "finance.settings",
        format!("company:{}", actor.company),
        format!("require_approval {require_approval}"),
    )?;
    Ok(s)
}

/// The balance of an account now (0 for an account without rows).
pub fn balance(tx: &impl Read, c: CompanyId, account: AccountRef) -> Result<Decimal> {
    Ok(tx.get(ACCOUNT_BALANCES, (c, account.key()))?.map(|b| b.balance).unwrap_or_default())
}

/// The balance at the end of local day `day` (YYYYMMDD): today's balance less the days after
/// it, read from the per-day totals.
pub fn balance_at(tx: &impl Read, c: CompanyId, account: AccountRef, day: u64) -> Result<Decimal> {
    let mut later = Decimal::ZERO;
    tx.range(ACCOUNT_DAYS, (c, account.key(), day.saturating_add(1)), (c, account.key(), u64::MAX), false, usize::MAX, |_, d| {
        later += d.net;
        Ok(true)
    })?;
    Ok(balance(tx, c, account)? - later)
}

/// A category code usable on a new document: built-in or the company's, not archived.
fn category_usable(tx: &impl Read, c: CompanyId, code: &str) -> Result<bool> {
    let stored = tx.list(MONEY_CATEGORIES, (c, MoneyCategoryId::MIN), (c, MoneyCategoryId::MAX), usize::MAX)?;
    if let Some((_, cat)) = stored.iter().find(|(_, cat)| cat.code == code) {
        return Ok(!cat.archived);
    }
    Ok(BUILTIN.iter().any(|b| b.0 == code))
}

/// Creates the document; approved at once (ledger row written) when the actor may approve and
/// the company does not ask for approval, else Pending. Checks rights, the account, the amount
/// (> 0, money-rounded).
pub fn create_money_doc(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &MoneyDocDraft) -> Result<MoneyDoc> {
    actor.require_writable()?;
    if d.reference.is_empty() {
        actor.require(Perm::FINANCE)?;
    }
    let c = actor.company;
    let mut p = Problems::default();
    let amount = round_money(d.amount);
    if amount <= Decimal::ZERO {
        p.push(FieldError::new("amount", "amount", "Сумма больше нуля", "The amount must be above zero"));
    } else if amount >= Decimal::from(1_000_000_000_000i64) {
        p.push(FieldError::new("amount", "amount", "Слишком большая сумма", "The amount is too large"));
    }
    match account_of(tx, actor, d.account)? {
        Some((_, true)) => {}
        Some((_, false)) => p.push(FieldError::new("account", "account_inactive", "Счёт отключён", "The account is inactive")),
        None => p.push(FieldError::new("account", "unknown_account", "Нет такого счёта", "No such account")),
    }
    let to_account = match (d.kind, d.to_account) {
        (MoneyDocKind::Transfer, Some(to)) if to == d.account => {
            p.push(FieldError::new("to_account", "same_account", "Выберите другой счёт", "Choose another account"));
            None
        }
        (MoneyDocKind::Transfer, Some(to)) => {
            match account_of(tx, actor, to)? {
                Some((_, true)) => {}
                Some((_, false)) => p.push(FieldError::new("to_account", "account_inactive", "Счёт отключён", "The account is inactive")),
                None => p.push(FieldError::new("to_account", "unknown_account", "Нет такого счёта", "No such account")),
            }
            Some(to)
        }
        (MoneyDocKind::Transfer, None) => {
            p.push(FieldError::new("to_account", "required", "Выберите счёт получателя", "Choose the receiving account"));
            None
        }
        (_, _) => None,
    };
    let category = match d.kind {
        MoneyDocKind::Transfer => "transfer".to_string(),
        _ => {
            let code = d.category.trim().to_string();
            if !category_usable(tx, c, &code)? {
                p.push(FieldError::new("category", "unknown_category", "Выберите статью", "Choose a category"));
            }
            code
        }
    };
    if let Some(cp) = d.counterparty
        && tx.get(crate::clients::store::CLIENTS, (c.0, cp.0))?.is_none()
    {
        p.push(FieldError::new("counterparty", "unknown_client", "Нет такого контрагента", "No such counterparty"));
    }
    let memo: String = d.memo.trim().chars().filter(|ch| !ch.is_control()).collect();
    if memo.chars().count() > 500 {
        p.push(FieldError::new("memo", "too_long", "Не длиннее 500 символов", "At most 500 characters"));
    }
    if d.reference.len() > 100 {
        p.push(FieldError::new("reference", "too_long", "Не длиннее 100 символов", "At most 100 characters"));
    }
    let date = d.date.unwrap_or(now);
    if date > now.plus_days(1) || date.0 < 0 {
        p.push(FieldError::new("date", "date_in_future", "Дата не может быть в будущем", "The date cannot be in the future"));
    }
    p.finish()?;
    let id = MoneyDocId(tx.next_id()?);
    let n = tx.next_counter(c.0, &format!("money_{}", d.kind.code()))?;
    let mut doc = MoneyDoc {
        id,
        number: format!("{}-{n:06}", d.kind.prefix()),
        kind: d.kind,
        status: MoneyDocStatus::Pending,
        account: d.account,
        to_account,
        amount,
        category,
        counterparty: d.counterparty,
        reference: d.reference.clone(),
        memo,
        date,
        created: now,
        created_by: actor.user,
        decided: None,
        reverses: None,
        reversed_by: None,
    };
    if may_approve(actor) && !settings(tx, c)?.require_approval {
        apply(tx, actor, now, &mut doc)?;
    }
    tx.insert(MONEY_DOCS, (c, id), &doc)?;
    audit::record(
        tx,
        c,
        actor,
        now,
        "money_doc.create",
        format!("money_doc:{id}"),
        format!("{} {} {} {}", doc.number, doc.category, doc.amount, doc.status.code()),
    )?;
    Ok(doc)
}

/// [`create_money_doc`] under a client-chosen idempotency key: a retry of the same request
/// returns the first document; the key reused for another request is refused.
pub fn create_money_doc_once(tx: &mut WriteTx, actor: &Actor, now: Ts, key: &str, d: &MoneyDocDraft) -> Result<MoneyDoc> {
    let k = key.trim();
    if k.is_empty() || k.len() > 100 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::field(
            "idempotency_key",
            "idempotency_key",
            "Ключ идемпотентности: 1–100 печатных ASCII-символов",
            "Idempotency key: 1–100 printable ASCII characters",
        ));
    }
    let json = serde_json::to_vec(d).map_err(|e| Error::Internal(format!("fingerprint: {e}")))?;
    let print: [u8; 32] = Sha256::digest(&json).into();
    if let Some(seen) = tx.get(MONEY_KEYS, (actor.company, k))? {
        if seen.fingerprint != print {
            return Err(Error::refused(
                "idempotency_conflict",
                "Этот ключ идемпотентности уже использован для другого запроса",
                "This idempotency key was already used for a different request",
            ));
        }
        return tx.get(MONEY_DOCS, (actor.company, seen.doc))?.ok_or_else(|| Error::Internal(format!("money doc {} of a key", seen.doc)));
    }
    let doc = create_money_doc(tx, actor, now, d)?;
    tx.insert(MONEY_KEYS, (actor.company, k), &MoneyKey { fingerprint: print, doc: doc.id, at: now })?;
    Ok(doc)
}

/// The rows an approved document writes: (account, kind, signed amount); a reversal's are the
/// original's negated.
fn doc_rows(doc: &MoneyDoc) -> Vec<(AccountRef, RowKind, Decimal)> {
    let sign = if doc.reverses.is_some() { -Decimal::ONE } else { Decimal::ONE };
    let a = doc.amount * sign;
    match (doc.kind, doc.to_account) {
        (MoneyDocKind::Income, _) => vec![(doc.account, RowKind::Income, a)],
        (MoneyDocKind::Expense, _) => vec![(doc.account, RowKind::Expense, -a)],
        (MoneyDocKind::Transfer, Some(to)) => vec![(doc.account, RowKind::TransferOut, -a), (to, RowKind::TransferIn, a)],
        (MoneyDocKind::Transfer, None) => vec![],
    }
}

/// Approves: writes the document's rows (and, on a cash box where the document's author has an
/// open shift, the shift's cash row, refused when the drawer lacks the cash).
fn apply(tx: &mut WriteTx, actor: &Actor, now: Ts, doc: &mut MoneyDoc) -> Result<()> {
    let c = actor.company;
    let reference = format!("money_doc:{}", doc.id);
    // Money leaving goes first, so a drawer short of cash refuses before anything is written.
    let mut rows = doc_rows(doc);
    rows.sort_by_key(|r| r.2 >= Decimal::ZERO);
    for (account, kind, amount) in rows {
        if let AccountRef::CashBox(b) = account {
            crate::pos::money_doc_cash(tx, actor, now, b, doc.created_by, amount, reference.clone())?;
        }
        let row = AccountRow {
            at: doc.date,
            amount,
            kind,
            category: doc.category.clone(),
            reference: reference.clone(),
            counterparty: doc.counterparty,
            user: actor.user,
        };
        append_row(tx, c, account, &row)?;
    }
    doc.status = MoneyDocStatus::Approved;
    doc.decided = Some((now, actor.user));
    Ok(())
}

/// A document the actor may see: another company's or one on an account outside the actor's
/// branch is "not found".
pub fn money_doc(tx: &impl Read, actor: &Actor, id: MoneyDocId) -> Result<MoneyDoc> {
    let doc = tx.get(MONEY_DOCS, (actor.company, id))?.ok_or(Error::NotFound)?;
    if account_of(tx, actor, doc.account)?.is_none() {
        return Err(Error::NotFound);
    }
    Ok(doc)
}

/// Approve or reject a pending document; repeating the same decision returns the document
/// unchanged. Calls every hook `MoneyDocDecided` (registered in wiring) with the decided document.
pub fn decide(tx: &mut WriteTx, actor: &Actor, now: Ts, id: MoneyDocId, approve: bool) -> Result<MoneyDoc> {
    actor.require_writable()?;
    require_approver(actor)?;
    let mut doc = money_doc(tx, actor, id)?;
    match (doc.status, approve) {
        (MoneyDocStatus::Pending, true) => apply(tx, actor, now, &mut doc)?,
        (MoneyDocStatus::Pending, false) => {
            doc.status = MoneyDocStatus::Rejected;
            doc.decided = Some((now, actor.user));
        }
        (MoneyDocStatus::Approved | MoneyDocStatus::Reversed, true) | (MoneyDocStatus::Rejected, false) => return Ok(doc),
        _ => {
            return Err(Error::refused(
                "money_doc_decided",
                format!("Решение по документу {} уже принято", doc.number),
                format!("Document {} is already decided", doc.number),
            ));
        }
    }
    tx.insert(MONEY_DOCS, (actor.company, id), &doc)?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        if approve { "money_doc.approve" } else { "money_doc.reject" },
        format!("money_doc:{id}"),
        doc.number.clone(),
    )?;
    for hook in tx.hooks().of::<MoneyDocDecided>() {
        hook(tx, actor, now, &doc)?;
    }
    Ok(doc)
}

/// Decides several documents in one transaction: all or none (the first refusal names its
/// document and nothing is written).
pub fn decide_many(tx: &mut WriteTx, actor: &Actor, now: Ts, ids: &[MoneyDocId], approve: bool) -> Result<Vec<MoneyDoc>> {
    if ids.is_empty() || ids.len() > 500 {
        return Err(Error::field("ids", "ids", "Отметьте от 1 до 500 документов", "Select 1 to 500 documents"));
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(decide(tx, actor, now, *id, approve)?);
    }
    Ok(out)
}

/// Reverses an approved document (a new document with the opposite rows); returns the reversal.
pub fn reverse(tx: &mut WriteTx, actor: &Actor, now: Ts, id: MoneyDocId) -> Result<MoneyDoc> {
    actor.require_writable()?;
    require_approver(actor)?;
    let c = actor.company;
    let mut doc = money_doc(tx, actor, id)?;
    if doc.status != MoneyDocStatus::Approved || doc.reverses.is_some() {
        return Err(Error::refused(
            "money_doc_not_reversible",
            format!("Документ {} нельзя сторнировать: он не проведён или сам является сторно", doc.number),
            format!("Document {} cannot be reversed: it is not approved, or is a reversal itself", doc.number),
        ));
    }
    let rid = MoneyDocId(tx.next_id()?);
    let n = tx.next_counter(c.0, &format!("money_{}", doc.kind.code()))?;
    let mut reversal = MoneyDoc {
        id: rid,
        number: format!("{}-{n:06}", doc.kind.prefix()),
        status: MoneyDocStatus::Pending,
        memo: format!("Сторно {}", doc.number),
        date: now,
        created: now,
        created_by: actor.user,
        decided: None,
        reverses: Some(doc.id),
        reversed_by: None,
        ..doc.clone()
    };
    apply(tx, actor, now, &mut reversal)?;
    tx.insert(MONEY_DOCS, (c, rid), &reversal)?;
    doc.status = MoneyDocStatus::Reversed;
    doc.reversed_by = Some(rid);
    tx.insert(MONEY_DOCS, (c, id), &doc)?;
    audit::record(tx, c, actor, now, "money_doc.reverse", format!("money_doc:{id}"), format!("{} by {}", doc.number, reversal.number))?;
    for hook in tx.hooks().of::<MoneyDocDecided>() {
        hook(tx, actor, now, &doc)?;
    }
    Ok(reversal)
}

/// The reaction to `pos::CashMoved` (registered in `wiring`): the drawer's movement becomes a
/// row of the cash box's account. Movements a money document made are skipped — the document
/// writes its own row with its kind and category.
pub fn cash_moved(tx: &mut WriteTx, actor: &Actor, now: Ts, m: &crate::pos::CashMove) -> Result<()> {
    if m.reference.starts_with("money_doc:") {
        return Ok(());
    }
    till_row(tx, actor, now, AccountRef::CashBox(m.cash_box), m.kind, m.amount, &m.reference)
}

/// A till's movement (sale, refund, cash in/out…) as a row of `account`, its kind code as
/// its category.
fn till_row(tx: &mut WriteTx, actor: &Actor, now: Ts, account: AccountRef, kind: &str, amount: Decimal, reference: &str) -> Result<()> {
    let kind = RowKind::parse(kind).ok_or_else(|| Error::Internal(format!("till movement kind {kind}")))?;
    let row = AccountRow {
        at: now,
        amount,
        kind,
        category: kind.code().to_string(),
        reference: reference.to_string(),
        counterparty: None,
        user: actor.user,
    };
    Ok(append_row(tx, actor.company, account, &row)?)
}

/// The bank account the company's non-cash till payments land on, if it chose one.
pub fn noncash_account(tx: &impl Read, c: CompanyId) -> Result<Option<AccountId>> {
    Ok(tx.get(NONCASH_ACCOUNT, c)?.map(|n| n.account))
}

/// Chooses (or, with `None`, forgets) the bank account for card, transfer and wallet payments
/// at the tills: an active bank account of the company. Takings before the choice stay where
/// they were (nowhere); the choice applies from the next sale.
pub fn set_noncash_account(tx: &mut WriteTx, actor: &Actor, now: Ts, account: Option<AccountId>) -> Result<Option<AccountId>> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let c = actor.company;
    match account {
        Some(id) => {
            if !tx.get(BANK_ACCOUNTS, (c, id))?.is_some_and(|b| b.active) {
                return Err(Error::field("account", "unknown_account", "Нет такого счёта", "No such bank account"));
            }
            tx.insert(NONCASH_ACCOUNT, c, &NonCashAccount { account: id })?;
        }
        None => {
            tx.remove(NONCASH_ACCOUNT, c)?;
        }
    }
    let detail = account.map_or_else(|| "none".to_string(), |a| format!("bank:{a}"));
    audit::record(tx, c, actor, now, "finance.noncash_account", format!("company:{c}"), detail)?;
    Ok(account)
}

/// The reaction to `pos::NonCashMoved` (registered in `wiring`): a card, transfer or wallet
/// payment (or its refund) becomes a row of the bank account the company chose; without a
/// choice nothing is written (the shift totals still count it by method).
pub fn non_cash_moved(tx: &mut WriteTx, actor: &Actor, now: Ts, m: &crate::pos::NonCashMove) -> Result<()> {
    let Some(account) = noncash_account(tx, actor.company)? else {
        return Ok(());
    };
    till_row(tx, actor, now, AccountRef::Bank(account), m.kind, m.amount, &m.reference)
}

#[derive(Debug, Clone, Default)]
pub struct BankAccountDraft {
    pub name: String,
    pub branch: Option<BranchId>,
    pub details: String,
    pub active: bool,
}

pub fn save_bank_account(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<AccountId>, d: &BankAccountDraft) -> Result<BankAccount> {
    actor.require_writable()?;
    require_approver(actor)?;
    let c = actor.company;
    let old = match id {
        Some(id) => match tx.get(BANK_ACCOUNTS, (c, id))? {
            Some(a) if in_scope(actor, a.branch) => Some(a),
            _ => return Err(Error::NotFound),
        },
        None => None,
    };
    let mut p = Problems::default();
    let name = p.take(crate::tenancy::model::parse_name("name", &d.name, 100));
    if let Some(b) = d.branch
        && (tx.get(crate::tenancy::store::BRANCHES, (c.0, b.0))?.is_none() || !in_scope(actor, Some(b)))
    {
        p.push(FieldError::new("branch", "unknown_branch", "Нет такого филиала", "No such branch"));
    }
    if d.branch.is_none() && actor.branch != BranchScope::Company && !actor.owner_like() {
        p.push(FieldError::new("branch", "branch_scope", "Выберите свой филиал", "Choose your branch"));
    }
    let details: String = d.details.trim().chars().filter(|ch| !ch.is_control()).take(300).collect();
    p.finish()?;
    let name = name.ok_or_else(|| Error::Internal("bank account name missing".into()))?;
    let id = match id {
        Some(id) => id,
        None => AccountId(tx.next_id()?),
    };
    let a = BankAccount { id, name, branch: d.branch, details, active: d.active, created: old.map_or(now, |o| o.created) };
    tx.insert(BANK_ACCOUNTS, (c, id), &a)?;
    audit::record(tx, c, actor, now, "bank_account.save", format!("bank_account:{id}"), a.name.clone())?;
    Ok(a)
}

/// Adds a category (`code` empty: a new code `c<id>`), or renames / archives one by code
/// (a built-in one gets its stored record on first change). `supplier` is never archived.
pub fn save_category(tx: &mut WriteTx, actor: &Actor, now: Ts, code: &str, name: &str, archived: bool) -> Result<MoneyCategory> {
    actor.require_writable()?;
    require_approver(actor)?;
    let c = actor.company;
    let name = crate::tenancy::model::parse_name("name", name, 60).map_err(|e| Error::Validation(vec![e]))?;
    let code = code.trim();
    if code == "supplier" && archived {
        return Err(Error::refused(
            "category_required",
            "Статью «Оплата поставщикам» нельзя архивировать",
            "The supplier category cannot be archived",
        ));
    }
    let stored = tx.list(MONEY_CATEGORIES, (c, MoneyCategoryId::MIN), (c, MoneyCategoryId::MAX), usize::MAX)?;
    let clash = stored.iter().any(|(_, cat)| cat.code != code && cat.name.to_lowercase() == name.to_lowercase());
    if clash {
        return Err(Error::field("name", "name_taken", "Статья с таким названием уже есть", "A category with this name exists"));
    }
    let cat = match stored.into_iter().find(|(_, cat)| !code.is_empty() && cat.code == code) {
        Some((_, cat)) => MoneyCategory { name, archived, ..cat },
        None if code.is_empty() => {
            let id = MoneyCategoryId(tx.next_id()?);
            MoneyCategory { id, code: format!("c{id}"), name, builtin: false, archived }
        }
        None if BUILTIN.iter().any(|b| b.0 == code) => {
            MoneyCategory { id: MoneyCategoryId(tx.next_id()?), code: code.to_string(), name, builtin: true, archived }
        }
        None => return Err(Error::NotFound),
    };
    tx.insert(MONEY_CATEGORIES, (c, cat.id), &cat)?;
    audit::record(tx, c, actor, now, "money_category.save", format!("money_category:{}", cat.code), cat.name.clone())?;
    Ok(cat)
}

/// A money document as a form or the API sends it: text fields, parsed by [`MoneyDocForm::parse`].
#[derive(Debug, Clone, Default)]
pub struct MoneyDocForm {
    pub kind: String,
    pub account: String,
    pub to_account: String,
    pub amount: String,
    pub category: String,
    pub counterparty: Option<u64>,
    pub memo: String,
    /// "YYYY-MM-DD" in the company's zone (noon of that day), empty = now.
    pub date: String,
}

impl MoneyDocForm {
    /// Every field's problem at once, or the draft (rights and records are checked by
    /// [`create_money_doc`]).
    pub fn parse(&self, tx: &impl Read, c: CompanyId) -> Result<MoneyDocDraft> {
        let mut p = Problems::default();
        let kind = MoneyDocKind::parse(&self.kind);
        if kind.is_none() {
            p.push(FieldError::new("kind", "kind", "Вид: income, expense или transfer", "Kind: income, expense or transfer"));
        }
        let account = AccountRef::parse(&self.account);
        if account.is_none() {
            p.push(FieldError::new("account", "unknown_account", "Выберите счёт", "Choose an account"));
        }
        let to_account = match self.to_account.trim() {
            "" => None,
            code => {
                let a = AccountRef::parse(code);
                if a.is_none() {
                    p.push(FieldError::new("to_account", "unknown_account", "Выберите счёт", "Choose an account"));
                }
                a
            }
        };
        let amount = p.take(crate::money::parse_money("amount", &self.amount, false));
        let date = match self.date.trim() {
            "" => None,
            raw => {
                let tz = timezone(tx, c)?;
                match Ts::parse_date(raw, &tz) {
                    Some(t) => Some(t.plus_ms(12 * 3_600_000)),
                    None => {
                        p.push(FieldError::new("date", "date", "Дата: ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"));
                        None
                    }
                }
            }
        };
        p.finish()?;
        let (Some(kind), Some(account), Some(amount)) = (kind, account, amount) else {
            return Err(Error::Internal("money document parsed without its fields".into()));
        };
        Ok(MoneyDocDraft {
            kind,
            account,
            to_account,
            amount,
            category: self.category.trim().to_string(),
            counterparty: self.counterparty.map(ClientId),
            reference: String::new(),
            memo: self.memo.clone(),
            date,
        })
    }
}

/// The local day (YYYYMMDD) of "YYYY-MM-DD", for the balance at a date.
pub fn parse_day(raw: &str) -> Result<u64> {
    let d: jiff::civil::Date = raw.trim().parse().map_err(|_| Error::field("at", "date", "Дата: ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"))?;
    Ok(u64::try_from(d.year()).unwrap_or(0) * 10000 + u64::try_from(d.month()).unwrap_or(0) * 100 + u64::try_from(d.day()).unwrap_or(0))
}
