//! Clients (spec A9): clients, suppliers, consignees and contractors with phones normalised to
//! E.164 for the company's country, legal details and a duplicate warning; the debt ledger
//! wired into the POS; installment deals (`deals`); the reconciliation statement (`statement`).
//!
//! Invariants (verified by `store::verify`, hence `dukan check`):
//! - per client, debt balance = Σ ledger rows = Σ debt sales + Σ manual debts − Σ payments −
//!   Σ reversals, and the running balance is never negative (a payment or a reversal larger
//!   than the balance is refused);
//! - Σ ledger sale rows = Σ debt parts of the client's sales; every sale with a client is in
//!   the client's purchase index, and every sale's client exists;
//! - a deal's schedule sums to its debt; 0 ≤ paid ≤ amount per installment; pays − refunds =
//!   Σ paid.
//!
//! The POS calls `on_checkout` and `reverse_sale_debt` inside its own transactions; a debt
//! repaid in cash at a till calls `pos::take_debt_cash`, so the money lands in the cashier's
//! open shift (not the sale's, possibly closed, shift: spec A15.7).

pub mod deals;
pub mod model;
pub mod statement;
pub mod store;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::clock::Ts;
use crate::country::Country;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CashBoxId, ClientId, CompanyId, SaleId, ShiftId};
use crate::money::parse_money;
use crate::storage::{ReadTx, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{parse_name, parse_optional_text};
use crate::tenancy::perms::Perm;
use model::*;
use store::*;

/// Reading clients: the clients module, or a till (the POS picker).
pub fn require_read(actor: &Actor) -> Result<()> {
    if !(actor.has_feature("clients") || actor.has_feature("pos")) {
        return Err(Error::FeatureDisabled { feature: "clients" });
    }
    if [Perm::CLIENTS, Perm::DEBTS, Perm::CASHIER, Perm::SALES].into_iter().any(|p| actor.can(p)) {
        Ok(())
    } else {
        Err(Error::Forbidden { permission: "clients" })
    }
}

fn require_write(actor: &Actor) -> Result<()> {
    require_read(actor)?;
    actor.require_writable()
}

fn require_debts(actor: &Actor) -> Result<()> {
    require_write(actor)?;
    if actor.can(Perm::DEBTS) || actor.can(Perm::CASHIER) { Ok(()) } else { Err(Error::Forbidden { permission: "debts" }) }
}

pub fn country_of(tx: &WriteTx, c: CompanyId) -> Result<(Country, String)> {
    let company = tx.get(crate::tenancy::store::COMPANIES, c.0)?.ok_or(Error::NotFound)?;
    Ok((company.country, company.timezone))
}

/// A client of the actor's company; another company's id is "not found".
pub fn client(tx: &WriteTx, actor: &Actor, id: ClientId) -> Result<Client> {
    tx.get(CLIENTS, (actor.company.0, id.0))?.ok_or(Error::NotFound)
}

/// A client by company and id, for tools without an actor (benchmarks, the CLI).
pub fn read_client_unchecked(tx: &ReadTx, c: CompanyId, id: ClientId) -> Result<Option<Client>> {
    Ok(tx.get(CLIENTS, (c.0, id.0))?)
}

pub fn read_client(tx: &ReadTx, actor: &Actor, id: ClientId) -> Result<Client> {
    tx.get(CLIENTS, (actor.company.0, id.0))?.ok_or(Error::NotFound)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientDraft {
    pub kind: String,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub inn: String,
    pub okpo: String,
    pub bank: String,
    pub bik: String,
    pub account: String,
    pub address: String,
    pub notes: String,
}

impl ClientDraft {
    /// The draft that edits `c`: its stored fields as a form shows them.
    pub fn of(c: &Client) -> ClientDraft {
        ClientDraft {
            kind: c.kind.code().into(),
            name: c.name.clone(),
            phone: c.phone.clone().unwrap_or_default(),
            email: c.email.clone().unwrap_or_default(),
            inn: c.legal.inn.clone(),
            okpo: c.legal.okpo.clone(),
            bank: c.legal.bank.clone(),
            bik: c.legal.bik.clone(),
            account: c.legal.account.clone(),
            address: c.legal.address.clone(),
            notes: c.notes.clone(),
        }
    }
}

fn parse_email(raw: &str) -> std::result::Result<Option<String>, FieldError> {
    let s = raw.trim().to_lowercase();
    if s.is_empty() {
        return Ok(None);
    }
    crate::tenancy::model::refuse_invisible("email", &s)?;
    let ok = s.len() <= 200
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.') && !host.contains('@')
        });
    if ok { Ok(Some(s)) } else { Err(FieldError::new("email", "email", "Неверный e-mail", "Invalid e-mail")) }
}

/// A client's editable fields, parsed.
pub struct ClientFields {
    pub kind: ClientKind,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub legal: ClientLegal,
    pub notes: String,
}

/// Parses a draft for `country` into a client's fields, collecting every field error.
pub fn parse_draft(country: Country, d: &ClientDraft, p: &mut Problems) -> Option<ClientFields> {
    let kind = ClientKind::parse(&d.kind);
    if kind.is_none() {
        p.push(FieldError::new(
            "kind",
            "client_kind",
            "Тип: client, supplier, consignee или contractor",
            "Kind: client, supplier, consignee or contractor",
        ));
    }
    let name = p.take(parse_name("name", &d.name, 200));
    let phone = if d.phone.trim().is_empty() { Some(None) } else { p.take(country.parse_phone("phone", &d.phone)).map(Some) };
    let email = p.take(parse_email(&d.email));
    let opt = |p: &mut Problems, r: std::result::Result<String, FieldError>, raw: &str| -> String {
        if raw.trim().is_empty() { String::new() } else { p.take(r).unwrap_or_default() }
    };
    let legal = ClientLegal {
        inn: opt(p, country.parse_inn("inn", &d.inn), &d.inn),
        okpo: opt(p, country.parse_digits("okpo", &d.okpo, &[8, 10], &[8, 10]), &d.okpo),
        bank: p.take(parse_optional_text("bank", &d.bank, 200)).unwrap_or_default(),
        bik: opt(p, country.parse_digits("bik", &d.bik, &[6, 8], &[9]), &d.bik),
        account: opt(p, country.parse_digits("account", &d.account, &[16], &[20]), &d.account),
        address: p.take(parse_optional_text("address", &d.address, 300)).unwrap_or_default(),
    };
    let notes = p.take(parse_optional_text("notes", &d.notes, 2000)).unwrap_or_default();
    Some(ClientFields { kind: kind?, name: name?, phone: phone?, email: email?, legal, notes })
}

/// Other clients sharing this client's phone or e-mail: a warning, never a refusal (two
/// family members may share a phone).
pub fn duplicates(tx: &WriteTx, c: CompanyId, client: &Client) -> Result<Vec<Client>> {
    let mut ids = BTreeSet::new();
    let mut hashes = Vec::new();
    if let Some(p) = &client.phone {
        hashes.push(contact_hash("p", p));
    }
    if let Some(e) = &client.email {
        hashes.push(contact_hash("e", e));
    }
    for h in hashes {
        tx.range(CLIENT_CONTACTS, (c.0, h, 0), (c.0, h, u64::MAX), false, 50, |(_, _, id), _| {
            if id != client.id.0 {
                ids.insert(id);
            }
            Ok(true)
        })?;
    }
    let mut out = Vec::new();
    for id in ids {
        if let Some(x) = tx.get(CLIENTS, (c.0, id))? {
            out.push(x);
        }
    }
    Ok(out)
}

/// `duplicates` for a read transaction (the client card).
pub fn duplicates_read(tx: &ReadTx, c: CompanyId, client: &Client) -> Result<Vec<Client>> {
    let mut ids = BTreeSet::new();
    let hashes: Vec<u64> =
        client.phone.iter().map(|p| contact_hash("p", p)).chain(client.email.iter().map(|e| contact_hash("e", e))).collect();
    for h in hashes {
        tx.range(CLIENT_CONTACTS, (c.0, h, 0), (c.0, h, u64::MAX), false, 50, |(_, _, id), _| {
            if id != client.id.0 {
                ids.insert(id);
            }
            Ok(true)
        })?;
    }
    let mut out = Vec::new();
    for id in ids {
        if let Some(x) = tx.get(CLIENTS, (c.0, id))? {
            out.push(x);
        }
    }
    Ok(out)
}

/// Creates (`id` = None) or edits a client. Returns it with the clients that share its phone or
/// e-mail.
pub fn save_client(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<ClientId>, d: &ClientDraft) -> Result<(Client, Vec<Client>)> {
    require_write(actor)?;
    if id.is_some() && !actor.can(Perm::CLIENTS) {
        return Err(Error::Forbidden { permission: "clients" });
    }
    let c = actor.company;
    let old = match id {
        Some(id) => Some(client(tx, actor, id)?),
        None => None,
    };
    let (country, _) = country_of(tx, c)?;
    let mut p = Problems::default();
    let parsed = parse_draft(country, d, &mut p);
    p.finish()?;
    let ClientFields { kind, name, phone, email, legal, notes } =
        parsed.ok_or_else(|| Error::Internal("client draft parsed with problems".into()))?;
    let new = Client {
        id: id.unwrap_or(ClientId(0)),
        kind,
        name,
        phone,
        email,
        legal,
        notes,
        archived: old.as_ref().is_some_and(|o| o.archived),
        created: old.as_ref().map_or(now, |o| o.created),
        created_by: old.as_ref().map_or(actor.user, |o| o.created_by),
    };
    let new = Client { id: if id.is_some() { new.id } else { ClientId(tx.next_id()?) }, ..new };
    put_client(tx, c, old.as_ref(), &new)?;
    audit::record(
        tx,
        c,
        actor,
        now,
        if old.is_some() { "client.update" } else { "client.create" },
        format!("client:{}", new.id),
        new.name.clone(),
    )?;
    let dups = duplicates(tx, c, &new)?;
    Ok((new, dups))
}

pub fn set_archived(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ClientId, archived: bool) -> Result<Client> {
    require_write(actor)?;
    actor.require(Perm::CLIENTS)?;
    let old = client(tx, actor, id)?;
    let new = Client { archived, ..old.clone() };
    put_client(tx, actor.company, Some(&old), &new)?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        if archived { "client.archive" } else { "client.restore" },
        format!("client:{id}"),
        new.name.clone(),
    )?;
    Ok(new)
}

/// Deletes a client nothing refers to; a client with sales, debts or deals is archived instead.
pub fn delete(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ClientId) -> Result<()> {
    require_write(actor)?;
    actor.require(Perm::CLIENTS)?;
    let c = actor.company.0;
    let old = client(tx, actor, id)?;
    let mut referenced = false;
    for t in [CLIENT_SALES, CLIENT_DEALS] {
        tx.range(t, (c, id.0, 0), (c, id.0, u64::MAX), false, 1, |_, _| {
            referenced = true;
            Ok(false)
        })?;
    }
    referenced |= tx.get(DEBT_BALANCES, (c, id.0))?.is_some();
    if referenced {
        return Err(Error::refused(
            "client_referenced",
            "У клиента есть продажи, долги или сделки: его можно только архивировать",
            "The client has sales, debts or deals: archive it instead",
        ));
    }
    delete_client(tx, actor.company, &old)?;
    audit::record(tx, actor.company, actor, now, "client.delete", format!("client:{id}"), old.name)?;
    Ok(())
}

/// The picker: clients whose name words, phone digits or e-mail start with every word of `q`,
/// active first-found in index order, at most `limit`.
/// How many index entries of each query word the picker counts before choosing which to scan.
const RAREST_CAP: usize = 512;

pub fn pick(tx: &ReadTx, c: CompanyId, q: &str, limit: usize) -> Result<Vec<Client>> {
    let q = fold(q.trim());
    let phone_like = !q.is_empty() && q.chars().all(|ch| ch.is_ascii_digit() || " +-()".contains(ch));
    let words: Vec<String> = if phone_like {
        vec![q.chars().filter(char::is_ascii_digit).collect()]
    } else {
        q.split(|ch: char| ch.is_whitespace() || ch == ',').filter(|w| !w.is_empty()).map(str::to_string).collect()
    };
    let Some(first) = words.first() else {
        // No query: the first clients by id.
        let mut out = Vec::new();
        tx.range(CLIENTS, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, cl| {
            if !cl.archived {
                out.push(cl);
            }
            Ok(out.len() < limit)
        })?;
        return Ok(out);
    };
    if words.len() > 1 {
        return pick_all_words(tx, c, &words, limit);
    }
    let (lo, hi) = (pack(first, 0x00), pack(first, 0xFF));
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut failure = None;
    tx.range(CLIENT_TOKENS, (c.0, lo, 0), (c.0, hi, u64::MAX), false, usize::MAX, |(_, _, id), _| {
        if !seen.insert(id) {
            return Ok(true);
        }
        match tx.get(CLIENTS, (c.0, id)) {
            Ok(Some(cl)) => {
                let toks = tokens(&cl);
                if !cl.archived && words.iter().all(|w| toks.iter().any(|t| t.starts_with(w.as_str()))) {
                    out.push(cl);
                }
            }
            Ok(None) => {}
            Err(e) => failure = Some(e),
        }
        Ok(out.len() < limit && failure.is_none())
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(out)
}

/// Several words: the clients whose index entries hold every word, found by intersecting the
/// words' id sets over index keys alone (rarest word first) before any client is decoded — a
/// common surname beside a first name nobody with it has must not decode every namesake.
fn pick_all_words(tx: &ReadTx, c: CompanyId, words: &[String], limit: usize) -> Result<Vec<Client>> {
    let mut sized = Vec::with_capacity(words.len());
    for w in words {
        let mut n = 0usize;
        tx.range(CLIENT_TOKENS, (c.0, pack(w, 0x00), 0), (c.0, pack(w, 0xFF), u64::MAX), false, RAREST_CAP, |_, _| {
            n += 1;
            Ok(true)
        })?;
        sized.push((n, w));
    }
    sized.sort();
    let mut ids: Option<BTreeSet<u64>> = None;
    for (_, w) in sized {
        let mut next = BTreeSet::new();
        tx.range(CLIENT_TOKENS, (c.0, pack(w, 0x00), 0), (c.0, pack(w, 0xFF), u64::MAX), false, usize::MAX, |(_, _, id), _| {
            if ids.as_ref().is_none_or(|have| have.contains(&id)) {
                next.insert(id);
            }
            Ok(true)
        })?;
        let empty = next.is_empty();
        ids = Some(next);
        if empty {
            break;
        }
    }
    let mut out = Vec::new();
    for id in ids.unwrap_or_default() {
        // The index keeps 16-byte prefixes: the words are checked again on the client itself.
        if let Some(cl) = tx.get(CLIENTS, (c.0, id))? {
            let toks = tokens(&cl);
            if !cl.archived && words.iter().all(|w| toks.iter().any(|t| t.starts_with(w.as_str()))) {
                out.push(cl);
                if out.len() >= limit {
                    break;
                }
            }
        }
    }
    Ok(out)
}

/// A page of the company's clients by id.
pub fn list(tx: &ReadTx, c: CompanyId, after: u64, limit: usize, archived: bool) -> Result<Vec<Client>> {
    let mut out = Vec::new();
    tx.range(CLIENTS, (c.0, after.saturating_add(1)), (c.0, u64::MAX), false, usize::MAX, |_, cl| {
        if cl.archived == archived {
            out.push(cl);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

// ---- the debt ledger ----

pub fn balance(tx: &ReadTx, c: CompanyId, client: ClientId) -> Result<DebtBalance> {
    Ok(tx.get(DEBT_BALANCES, (c.0, client.0))?.unwrap_or_default())
}

pub fn ledger(tx: &ReadTx, c: CompanyId, client: ClientId) -> Result<Vec<(u64, DebtEntry)>> {
    Ok(tx.list(DEBT_LEDGER, (c.0, client.0, 0), (c.0, client.0, u64::MAX), usize::MAX)?.into_iter().map(|((_, _, s), e)| (s, e)).collect())
}

/// Checks the client of a checkout exists (called before anything is written).
pub fn check_sale_client(tx: &WriteTx, actor: &Actor, client: ClientId, p: &mut Problems) -> Result<()> {
    if tx.get(CLIENTS, (actor.company.0, client.0))?.is_none() {
        p.push(FieldError::new("client", "unknown_client", "Нет такого клиента", "No such client"));
    }
    Ok(())
}

/// What the client ledger needs of a sale. Sales belong to pos, which sits above clients and
/// implements this for its `Sale`.
pub trait ClientSale {
    fn id(&self) -> SaleId;
    fn client(&self) -> Option<ClientId>;
    /// The till shift it was sold in; `None` for a sale without one (a field agent's).
    fn shift(&self) -> Option<ShiftId>;
    fn number(&self) -> &str;
    /// The part paid as debt.
    fn debt(&self) -> Decimal;
}

/// The reaction that takes a debt repaid in cash into a till: puts `amount` into the
/// cashier's open shift at the cash box and answers with that shift. Registered in
/// `wiring` (pos owns shifts).
pub type DebtCashTaken = fn(&mut WriteTx, &Actor, Ts, CashBoxId, Decimal, String) -> Result<ShiftId>;

/// Called by checkout in its transaction: the purchase index and, for a debt sale, the
/// receivable.
pub fn on_checkout(tx: &mut WriteTx, actor: &Actor, now: Ts, sale: &impl ClientSale) -> Result<()> {
    let Some(client) = sale.client() else { return Ok(()) };
    let c = actor.company;
    tx.get(CLIENTS, (c.0, client.0))?.ok_or_else(|| Error::field("client", "unknown_client", "Нет такого клиента", "No such client"))?;
    tx.insert(CLIENT_SALES, (c.0, client.0, sale.id().0), &sale.id().0)?;
    let debt = sale.debt();
    if !debt.is_zero() {
        let entry = DebtEntry {
            kind: DebtKind::Sale,
            amount: debt,
            at: now,
            user: actor.user,
            sale: Some(sale.id()),
            shift: sale.shift(),
            method: String::new(),
            note: sale.number().to_string(),
            due: None,
        };
        append_debt(tx, c, client, &entry)?;
    }
    Ok(())
}

/// Called by a return refunded to the debt: the receivable shrinks by `amount`, never below 0.
pub fn reverse_sale_debt(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    client: ClientId,
    sale: SaleId,
    amount: Decimal,
    note: String,
) -> Result<()> {
    let c = actor.company;
    let bal = tx.get(DEBT_BALANCES, (c.0, client.0))?.unwrap_or_default();
    if amount > bal.owed {
        return Err(Error::field(
            "method",
            "refund_exceeds_debt",
            format!("Долг клиента {}: вернуть в счёт долга больше нельзя, остаток верните деньгами", bal.owed),
            format!("The client owes {}: refund the rest in money", bal.owed),
        ));
    }
    let entry = DebtEntry {
        kind: DebtKind::Reversal,
        amount: -amount,
        at: now,
        user: actor.user,
        sale: Some(sale),
        shift: None,
        method: String::new(),
        note,
        due: None,
    };
    append_debt(tx, c, client, &entry)?;
    Ok(())
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DebtPaymentDraft {
    /// Required; a retry with the same key returns the first result.
    pub key: String,
    pub amount: String,
    /// "cash" (needs `cash_box` with the cashier's open shift), "card", "transfer" or a wallet.
    pub method: String,
    pub cash_box: Option<CashBoxId>,
    pub note: String,
}

/// The request's fingerprint under an idempotency key (also used by purchasing).
pub(crate) fn fingerprint<T: Serialize>(scope: &str, value: &T) -> Result<[u8; 32]> {
    let json = serde_json::to_vec(value).map_err(|e| Error::Internal(format!("fingerprint: {e}")))?;
    let mut h = Sha256::new();
    h.update(scope.as_bytes());
    h.update(&json);
    Ok(h.finalize().into())
}

/// Checks an idempotency key; returns the earlier result of the same request, refuses the key
/// reused for a different request.
pub(crate) fn replay(tx: &WriteTx, c: CompanyId, scoped: &str, print: [u8; 32]) -> Result<Option<String>> {
    match tx.get(CLIENT_KEYS, (c.0, scoped))? {
        Some(k) if k.fingerprint == print => Ok(Some(k.result)),
        Some(_) => Err(Error::refused(
            "idempotency_key_reused",
            "Этот ключ уже использован для другого запроса",
            "This idempotency key was used for a different request",
        )),
        None => Ok(None),
    }
}

pub(crate) fn check_key(key: &str) -> Result<()> {
    let k = key.trim();
    if k.is_empty() || k.len() > 100 || k.chars().any(char::is_control) {
        return Err(Error::field(
            "idempotency_key",
            "idempotency_key",
            "Нужен ключ идемпотентности (до 100 символов)",
            "An idempotency key (up to 100 characters) is required",
        ));
    }
    Ok(())
}

/// A repayment: at least 0.01 and at most the balance. In cash at a till it lands in the
/// cashier's open shift at that box, in the same transaction. Idempotent by `d.key`.
pub fn pay_debt(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ClientId, d: &DebtPaymentDraft) -> Result<(u64, DebtEntry, DebtBalance)> {
    require_debts(actor)?;
    let c = actor.company;
    check_key(&d.key)?;
    client(tx, actor, id)?;
    let scoped = format!("debtpay:{}", d.key.trim());
    let print = fingerprint(&format!("debtpay:{id}"), d)?;
    if let Some(result) = replay(tx, c, &scoped, print)? {
        let seq = result
            .rsplit(':')
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| Error::Internal(format!("debt key result {result}")))?;
        let entry = tx.get(DEBT_LEDGER, (c.0, id.0, seq))?.ok_or_else(|| Error::Internal(format!("debt row {seq} missing")))?;
        let bal = tx.get(DEBT_BALANCES, (c.0, id.0))?.unwrap_or_default();
        return Ok((seq, entry, bal));
    }
    let mut p = Problems::default();
    let amount = p.take(parse_money("amount", &d.amount, false));
    let method = if d.method.trim().is_empty() { "cash".to_string() } else { d.method.trim().to_lowercase() };
    if method == "debt" || method.len() > 40 || method.chars().any(char::is_control) {
        p.push(FieldError::new("method", "payment_method", "Выберите способ оплаты", "Choose a payment method"));
    }
    if method == "cash" && d.cash_box.is_none() {
        p.push(FieldError::new(
            "cash_box",
            "required",
            "Наличные принимаются в кассу: выберите кассу",
            "Cash goes into a till: choose the cash box",
        ));
    }
    let bal = tx.get(DEBT_BALANCES, (c.0, id.0))?.unwrap_or_default();
    if let Some(a) = amount {
        if a < Decimal::new(1, 2) {
            p.push(FieldError::new("amount", "amount", "Сумма не меньше 0,01", "At least 0.01"));
        } else if a > bal.owed {
            p.push(FieldError::new(
                "amount",
                "payment_exceeds_debt",
                format!("Долг клиента {}: больше принять нельзя", bal.owed),
                format!("The client owes {}: a larger payment is refused", bal.owed),
            ));
        }
    }
    p.finish()?;
    let amount = amount.ok_or_else(|| Error::Internal("amount parsed with problems".into()))?;
    let shift = match (method.as_str(), d.cash_box) {
        ("cash", Some(b)) => {
            let take = tx.hooks().of::<DebtCashTaken>().next().ok_or_else(|| Error::Internal("no till takes debt cash".into()))?;
            Some(take(tx, actor, now, b, amount, format!("debt:{id}:{}", bal.rows))?)
        }
        _ => None,
    };
    let entry = DebtEntry {
        kind: DebtKind::Payment,
        amount: -amount,
        at: now,
        user: actor.user,
        sale: None,
        shift,
        method,
        note: d.note.trim().chars().take(200).collect(),
        due: None,
    };
    let (seq, bal) = append_debt(tx, c, id, &entry)?;
    tx.insert(CLIENT_KEYS, (c.0, scoped.as_str()), &KeyUse { fingerprint: print, result: format!("debt:{id}:{seq}"), at: now })?;
    audit::record(tx, c, actor, now, "debt.pay", format!("client:{id}"), amount.to_string())?;
    crate::webhooks::emit_with(tx, c, crate::webhooks::events::DEBT_PAID, now, || crate::webhooks::events::DebtPaidEvent {
        kind: "debt".into(),
        client: id.0,
        amount: amount.to_string(),
        method: entry.method.clone(),
        at: now.rfc3339(),
        entry: Some(seq),
        owed: Some(bal.owed.to_string()),
        deal: None,
        installment: None,
    })?;
    Ok((seq, entry, bal))
}

/// A debt written by hand (goods given outside the till, an opening balance).
pub fn add_manual_debt(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: ClientId,
    amount: &str,
    due: &str,
    note: &str,
) -> Result<(u64, DebtEntry, DebtBalance)> {
    require_write(actor)?;
    actor.require(Perm::DEBTS)?;
    client(tx, actor, id)?;
    let mut p = Problems::default();
    let amount = p.take(parse_money("amount", amount, false));
    if amount.is_some_and(|a| a < Decimal::new(1, 2)) {
        p.push(FieldError::new("amount", "amount", "Сумма не меньше 0,01", "At least 0.01"));
    }
    let due = if due.trim().is_empty() { None } else { p.take(deals::parse_date("due", due)).map(|d| Some(d.to_string())).unwrap_or(None) };
    let note = p.take(parse_optional_text("note", note, 200)).unwrap_or_default();
    p.finish()?;
    let amount = amount.ok_or_else(|| Error::Internal("amount".into()))?;
    let entry =
        DebtEntry { kind: DebtKind::Manual, amount, at: now, user: actor.user, sale: None, shift: None, method: String::new(), note, due };
    let (seq, bal) = append_debt(tx, actor.company, id, &entry)?;
    audit::record(tx, actor.company, actor, now, "debt.add", format!("client:{id}"), amount.to_string())?;
    Ok((seq, entry, bal))
}

/// One row of "clients with debts".
#[derive(Debug, Clone)]
pub struct Debtor {
    pub client: Client,
    pub debts: Decimal,
    pub deals: Decimal,
    pub overdue: Decimal,
}

impl Debtor {
    pub fn total(&self) -> Decimal {
        self.debts + self.deals
    }
}

/// Clients owing anything (ledger balance or unpaid debt-deal installments), largest first.
pub fn debtors(tx: &ReadTx, c: CompanyId, today: &str) -> Result<Vec<Debtor>> {
    let mut by: std::collections::BTreeMap<u64, (Decimal, Decimal, Decimal)> = std::collections::BTreeMap::new();
    tx.range(DEBT_BALANCES, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |(_, id), b| {
        if b.owed > Decimal::ZERO {
            by.entry(id).or_default().0 += b.owed;
        }
        Ok(true)
    })?;
    tx.range(DEALS, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, d| {
        let r = d.remaining();
        if r > Decimal::ZERO {
            let slot = by.entry(d.client.0).or_default();
            slot.1 += r;
            slot.2 += d.overdue(today);
        }
        Ok(true)
    })?;
    let mut out = Vec::with_capacity(by.len());
    for (id, (debts, deals, overdue)) in by {
        if let Some(client) = tx.get(CLIENTS, (c.0, id))? {
            out.push(Debtor { client, debts, deals, overdue });
        }
    }
    out.sort_by(|a, b| b.total().cmp(&a.total()).then(a.client.id.cmp(&b.client.id)));
    Ok(out)
}
