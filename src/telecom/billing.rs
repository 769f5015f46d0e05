//! The balance ledger's operations and billing (spec B4, with the original's bugs fixed):
//! payments (idempotent on `transaction_id`), refunds (they subtract), corrections (a reason
//! and a supervisor), and the monthly fee — `bill_day` charges every active contract's due
//! periods once per (contract, period), with the tariff revision in force on the due date.
//!
//! Entitlement is separate from billing (Kill Bill-style): a charge that takes an active
//! contract below zero suspends it for its balance; a top-up that brings such a contract
//! above zero resumes it and catches up the fees that fell due while the balance covers
//! each. A person's suspension is never lifted by money.

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::model::{
    Balance, BillingRun, Contract, ContractStatus, Entry, EntryKind, Event, EventKind, Method, PaymentKey, SimStatus, Suspension,
};
use super::store::{
    BALANCES, BILLING_RUNS, CHARGED, CONTRACT_STATUS, CONTRACTS, LEDGER, PAYMENT_KEYS, TARIFFS, append_entry, push_event, put_contract,
};
use super::{contracts, require, settings, validate};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, ContractId};
use crate::money::parse_money;
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

pub fn balance(tx: &impl Read, c: CompanyId, id: ContractId) -> Result<Balance> {
    Ok(tx.get(BALANCES, (c, id))?.unwrap_or_default())
}

fn event(tx: &mut WriteTx, c: CompanyId, k: &Contract, kind: EventKind, balance: Decimal, now: Ts) -> Result<()> {
    push_event(tx, c, &Event { kind, contract: k.id, subscriber: k.subscriber, balance, at: now })?;
    Ok(())
}

/// Active → suspended (for `why`); the SIM follows; a `suspended` event.
pub(super) fn set_suspended(tx: &mut WriteTx, c: CompanyId, now: Ts, old: &Contract, why: Suspension) -> Result<Contract> {
    let new = Contract { status: ContractStatus::Suspended, suspension: Some(why), ..old.clone() };
    contracts::follow(tx, c, &new, SimStatus::Suspended)?;
    put_contract(tx, c, Some(old), &new)?;
    let bal = balance(tx, c, old.id)?.balance;
    event(tx, c, &new, EventKind::Suspended, bal, now)?;
    Ok(new)
}

/// Suspended → active; the SIM follows; a `resumed` event.
pub(super) fn set_active(tx: &mut WriteTx, c: CompanyId, now: Ts, old: &Contract) -> Result<Contract> {
    let new = Contract { status: ContractStatus::Active, suspension: None, ..old.clone() };
    contracts::follow(tx, c, &new, SimStatus::Active)?;
    put_contract(tx, c, Some(old), &new)?;
    let bal = balance(tx, c, old.id)?.balance;
    event(tx, c, &new, EventKind::Resumed, bal, now)?;
    Ok(new)
}

/// Charges period `k` of an active contract: the fee of the tariff revision in force on the
/// period's due date. A zero fee writes no row. Returns the amount charged.
fn charge_period(tx: &mut WriteTx, c: CompanyId, now: Ts, k: &Contract, period: u32, due: &str) -> Result<Decimal> {
    if tx.get(CHARGED, (c, k.id, u64::from(period)))?.is_some() {
        return Ok(Decimal::ZERO);
    }
    let tariff = tx.get(TARIFFS, (c, k.tariff))?.ok_or_else(|| Error::Internal(format!("contract {} without its tariff", k.id)))?;
    let Some((rev, terms)) = tariff.revision_on(due) else { return Ok(Decimal::ZERO) };
    let fee = terms.monthly_fee;
    if fee <= Decimal::ZERO {
        return Ok(Decimal::ZERO);
    }
    let before = balance(tx, c, k.id)?.balance;
    let mut e = Entry {
        kind: EntryKind::Charge,
        amount: -fee,
        balance_after: Decimal::ZERO,
        at: now,
        date: due.to_string(),
        user: None,
        method: Method::System,
        transaction_id: None,
        period: Some(period),
        revision: u32::try_from(rev).ok(),
        reason: String::new(),
    };
    let (_, after) = append_entry(tx, c, k.id, &mut e)?;
    let low = settings(tx, c)?.low_balance;
    if before >= low && after.balance < low {
        event(tx, c, k, EventKind::LowBalance, after.balance, now)?;
    }
    Ok(fee)
}

/// The fee of the contract's next period and its due date, when that date is on or before
/// `date`.
fn next_due(tx: &impl Read, c: CompanyId, k: &Contract, date: &str) -> Result<Option<(String, Decimal)>> {
    let Some(due) = k.due_date(k.next_period) else { return Ok(None) };
    if due.as_str() > date {
        return Ok(None);
    }
    let fee = match tx.get(TARIFFS, (c, k.tariff))? {
        Some(t) => t.revision_on(&due).map(|(_, r)| r.monthly_fee).unwrap_or_default(),
        None => Decimal::ZERO,
    };
    Ok(Some((due, fee)))
}

/// Charges an active contract's periods due on or before `date`, oldest first. With
/// `covered_only` (a catch-up after money came in) it stops at the first fee the balance does
/// not cover; otherwise a charge may take the balance below zero, which suspends the
/// contract and stops. Returns (periods charged, amount).
fn bill_contract(tx: &mut WriteTx, c: CompanyId, now: Ts, id: ContractId, date: &str, covered_only: bool) -> Result<(u64, Decimal)> {
    let (mut n, mut total) = (0u64, Decimal::ZERO);
    loop {
        let Some(k) = tx.get(CONTRACTS, (c, id))? else { break };
        if k.status != ContractStatus::Active {
            break;
        }
        let Some((due, fee)) = next_due(tx, c, &k, date)? else { break };
        if covered_only && balance(tx, c, id)?.balance < fee {
            break;
        }
        let charged = charge_period(tx, c, now, &k, k.next_period, &due)?;
        if charged > Decimal::ZERO {
            n += 1;
            total += charged;
        }
        let moved = Contract { next_period: k.next_period + 1, ..k.clone() };
        put_contract(tx, c, Some(&k), &moved)?;
        if balance(tx, c, id)?.balance < Decimal::ZERO {
            set_suspended(tx, c, now, &moved, Suspension::Balance)?;
            break;
        }
    }
    Ok((n, total))
}

/// After money came in: fees due up to `today` while the balance covers each (spec B4).
pub(super) fn catch_up(tx: &mut WriteTx, c: CompanyId, now: Ts, id: ContractId, today: &str) -> Result<()> {
    bill_contract(tx, c, now, id, today, true)?;
    Ok(())
}

/// What a billing run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillReport {
    pub date: String,
    pub contracts: u64,
    pub charges: u64,
    pub amount: Decimal,
}

/// Charges every active contract of `company` whose periods fell due on or before `date`
/// ("YYYY-MM-DD"). A period already charged is never charged again, so running the same day
/// twice, or a day already covered by a later run, charges nothing.
pub fn bill_day(tx: &mut WriteTx, company: CompanyId, date: &str, now: Ts) -> Result<BillReport> {
    let date = validate::date("date", date).map_err(|e| Error::Validation(vec![e]))?;
    let active = ContractStatus::Active.index();
    let ids: Vec<ContractId> = tx
        .list(CONTRACT_STATUS, (company, active, ContractId::MIN), (company, active, ContractId::MAX), usize::MAX)?
        .into_iter()
        .map(|((_, _, id), _)| id)
        .collect();
    let mut report = BillReport { date: date.clone(), ..Default::default() };
    for id in ids {
        let (n, amount) = bill_contract(tx, company, now, id, &date, false)?;
        if n > 0 {
            report.contracts += 1;
            report.charges += n;
            report.amount += amount;
        }
    }
    let last = tx.get(BILLING_RUNS, company)?.map(|r| r.date).unwrap_or_default();
    if date > last {
        tx.insert(BILLING_RUNS, company, &BillingRun { date: date.clone(), at: now, charged: report.charges })?;
    }
    Ok(report)
}

/// The supervisors' "run billing for a date" (not after today).
pub fn run_billing(tx: &mut WriteTx, actor: &Actor, now: Ts, date: &str) -> Result<BillReport> {
    require(actor, &[Perm::TELECOM_PAYMENTS, Perm::TELECOM_TARIFFS])?;
    let desk = super::desk(tx, actor.company, now)?;
    let date = match date.trim() {
        "" => desk.today.clone(),
        raw => validate::date("date", raw).map_err(|e| Error::Validation(vec![e]))?,
    };
    if date > desk.today {
        return Err(Error::field(
            "date",
            "billing_date_in_future",
            "Биллинг не запускается на будущую дату",
            "Billing does not run for a future date",
        ));
    }
    let r = bill_day(tx, actor.company, &date, now)?;
    audit::record(tx, actor.company, actor, now, "telecom.billing.run", date, format!("{} charges, {}", r.charges, r.amount))?;
    Ok(r)
}

/// A payment as typed (the form's fields and the API's body).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentDraft {
    pub amount: String,
    /// cash (default), card, bank_transfer, mobile_payment, terminal
    pub method: String,
    /// The gateway's or the desk's id: a second payment with it returns the first.
    pub transaction_id: String,
    pub note: String,
}

/// A recorded ledger row with its place.
#[derive(Debug, Clone)]
pub struct Posted {
    pub contract: ContractId,
    pub seq: u64,
    pub entry: Entry,
    /// True when a transaction id replayed an earlier payment (nothing new was written).
    pub replayed: bool,
}

pub(super) fn positive(p: &mut Problems, raw: &str) -> Decimal {
    match p.take(parse_money("amount", raw, false)) {
        Some(a) if a > Decimal::ZERO => a,
        Some(_) => {
            p.push(FieldError::new("amount", "amount_positive", "Сумма больше нуля", "The amount must be above zero"));
            Decimal::ZERO
        }
        None => Decimal::ZERO,
    }
}

fn open_contract(tx: &WriteTx, c: CompanyId, id: ContractId) -> Result<Contract> {
    let k = tx.get(CONTRACTS, (c, id))?.ok_or(Error::NotFound)?;
    if !matches!(k.status, ContractStatus::Active | ContractStatus::Suspended) {
        return Err(Error::WrongState { state: k.status.code() });
    }
    Ok(k)
}

/// After a balance moved: an active contract below zero is suspended for its balance; one
/// suspended for its balance and now above zero resumes and catches up.
fn settle(tx: &mut WriteTx, c: CompanyId, now: Ts, id: ContractId, today: &str) -> Result<()> {
    let Some(k) = tx.get(CONTRACTS, (c, id))? else { return Ok(()) };
    let bal = balance(tx, c, id)?.balance;
    match (k.status, k.suspension) {
        (ContractStatus::Active, _) if bal < Decimal::ZERO => {
            set_suspended(tx, c, now, &k, Suspension::Balance)?;
        }
        (ContractStatus::Suspended, Some(Suspension::Balance)) if bal > Decimal::ZERO => {
            set_active(tx, c, now, &k)?;
            catch_up(tx, c, now, id, today)?;
        }
        (ContractStatus::Active, _) => catch_up(tx, c, now, id, today)?,
        _ => {}
    }
    Ok(())
}

fn fingerprint(contract: ContractId, amount: Decimal, method: Method) -> String {
    hex::encode(Sha256::digest(format!("{contract}|{amount}|{}", method.code()).as_bytes()))
}

/// Takes a payment onto an active or suspended contract. With a transaction id seen before,
/// the same request returns the first payment and writes nothing; other content is refused.
pub fn pay(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ContractId, d: &PaymentDraft) -> Result<Posted> {
    require(actor, &[Perm::TELECOM_PAYMENTS])?;
    let c = actor.company;
    let mut p = Problems::default();
    let amount = positive(&mut p, &d.amount);
    let method = match d.method.trim() {
        "" => Some(Method::Cash),
        raw => Method::parse(raw).filter(|m| *m != Method::System),
    };
    if method.is_none() {
        p.push(FieldError::new("method", "method", "Нет такого способа оплаты", "No such payment method"));
    }
    let txid = d.transaction_id.trim().to_string();
    if txid.chars().count() > 100 || txid.chars().any(char::is_control) {
        p.push(FieldError::new(
            "transaction_id",
            "transaction_id",
            "ID транзакции: до 100 символов",
            "Transaction id: up to 100 characters",
        ));
    }
    p.finish()?;
    let method = method.unwrap_or(Method::Cash);
    let posted = post_payment(tx, c, now, id, amount, method, &txid, d.note.trim(), Some(actor.user))?;
    if !posted.replayed {
        audit::record(tx, c, actor, now, "telecom.payment", format!("contract {id}"), format!("{amount} {}", method.code()))?;
    }
    Ok(posted)
}

/// Records a checked payment: with a transaction id seen before, the same content returns
/// the first payment and writes nothing, other content is refused; otherwise the ledger row,
/// the transaction key, the feed event and the suspension/catch-up that follow. The caller
/// checked the rights and writes the audit row.
#[allow(clippy::too_many_arguments)]
pub(super) fn post_payment(
    tx: &mut WriteTx,
    c: CompanyId,
    now: Ts,
    id: ContractId,
    amount: Decimal,
    method: Method,
    txid: &str,
    note: &str,
    user: Option<crate::ids::UserId>,
) -> Result<Posted> {
    let txid = txid.to_string();
    let print = fingerprint(id, amount, method);
    if !txid.is_empty()
        && let Some(key) = tx.get(PAYMENT_KEYS, (c, txid.as_str()))?
    {
        if key.fingerprint != print {
            return Err(Error::refused(
                "transaction_id_reused",
                "Этот ID транзакции уже использован для другого платежа",
                "This transaction id was used for another payment",
            ));
        }
        let entry = tx.get(LEDGER, (c, key.contract, key.seq))?.ok_or(Error::NotFound)?;
        return Ok(Posted { contract: key.contract, seq: key.seq, entry, replayed: true });
    }
    let k = open_contract(tx, c, id)?;
    let desk = super::desk(tx, c, now)?;
    let mut e = Entry {
        kind: EntryKind::Payment,
        amount,
        balance_after: Decimal::ZERO,
        at: now,
        date: desk.today.clone(),
        user,
        method,
        transaction_id: if txid.is_empty() { None } else { Some(txid.clone()) },
        period: None,
        revision: None,
        reason: note.chars().take(500).collect(),
    };
    let (seq, after) = append_entry(tx, c, id, &mut e)?;
    if !txid.is_empty() {
        tx.insert(PAYMENT_KEYS, (c, txid.as_str()), &PaymentKey { contract: id, seq, fingerprint: print })?;
    }
    event(tx, c, &k, EventKind::PaymentReceived, after.balance, now)?;
    settle(tx, c, now, id, &desk.today)?;
    Ok(Posted { contract: id, seq, entry: e, replayed: false })
}

/// Gives money back: subtracts, at most the balance, with a reason.
pub fn refund(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ContractId, amount: &str, method: &str, reason: &str) -> Result<Posted> {
    require(actor, &[Perm::TELECOM_PAYMENTS])?;
    let c = actor.company;
    let mut p = Problems::default();
    let amount = positive(&mut p, amount);
    let method = match method.trim() {
        "" => Some(Method::Cash),
        raw => Method::parse(raw).filter(|m| *m != Method::System),
    };
    if method.is_none() {
        p.push(FieldError::new("method", "method", "Нет такого способа оплаты", "No such payment method"));
    }
    let reason: String = reason.trim().chars().take(500).collect();
    if reason.is_empty() {
        p.push(FieldError::new("reason", "required", "Укажите причину", "Give the reason"));
    }
    p.finish()?;
    let k = tx.get(CONTRACTS, (c, id))?.ok_or(Error::NotFound)?;
    if k.status == ContractStatus::Draft {
        return Err(Error::WrongState { state: k.status.code() });
    }
    let bal = balance(tx, c, id)?.balance;
    if amount > bal {
        return Err(Error::field(
            "amount",
            "refund_exceeds_balance",
            format!("Можно вернуть не больше {bal}"),
            format!("At most {bal} can be refunded"),
        ));
    }
    let desk = super::desk(tx, c, now)?;
    let mut e = Entry {
        kind: EntryKind::Refund,
        amount: -amount,
        balance_after: Decimal::ZERO,
        at: now,
        date: desk.today.clone(),
        user: Some(actor.user),
        method: method.unwrap_or(Method::Cash),
        transaction_id: None,
        period: None,
        revision: None,
        reason,
    };
    let (seq, _) = append_entry(tx, c, id, &mut e)?;
    audit::record(tx, c, actor, now, "telecom.refund", format!("contract {id}"), amount.to_string())?;
    Ok(Posted { contract: id, seq, entry: e, replayed: false })
}

/// A supervisor's correction: a signed amount (not zero) with a reason, recorded with its user.
pub fn correct(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ContractId, amount: &str, reason: &str) -> Result<Posted> {
    require(actor, &[Perm::TELECOM_PAYMENTS, Perm::TELECOM_TARIFFS])?;
    let c = actor.company;
    let mut p = Problems::default();
    let parsed = p.take(parse_money("amount", amount, true));
    let amount = parsed.unwrap_or_default();
    if parsed.is_some_and(|a| a.is_zero()) {
        p.push(FieldError::new("amount", "amount_zero", "Сумма не равна нулю", "The amount is not zero"));
    }
    let reason: String = reason.trim().chars().take(500).collect();
    if reason.is_empty() {
        p.push(FieldError::new("reason", "required", "Укажите причину", "Give the reason"));
    }
    p.finish()?;
    let k = tx.get(CONTRACTS, (c, id))?.ok_or(Error::NotFound)?;
    if k.status == ContractStatus::Draft {
        return Err(Error::WrongState { state: k.status.code() });
    }
    let desk = super::desk(tx, c, now)?;
    let mut e = Entry {
        kind: EntryKind::Correction,
        amount,
        balance_after: Decimal::ZERO,
        at: now,
        date: desk.today.clone(),
        user: Some(actor.user),
        method: Method::System,
        transaction_id: None,
        period: None,
        revision: None,
        reason,
    };
    let (seq, _) = append_entry(tx, c, id, &mut e)?;
    if k.status != ContractStatus::Terminated {
        settle(tx, c, now, id, &desk.today)?;
    }
    audit::record(tx, c, actor, now, "telecom.correction", format!("contract {id}"), amount.to_string())?;
    Ok(Posted { contract: id, seq, entry: e, replayed: false })
}

/// The scheduler's run for a company's `today`, recorded in the audit log as the system's.
pub fn scheduled_run(tx: &mut WriteTx, company: CompanyId, today: &str, now: Ts) -> Result<BillReport> {
    let r = bill_day(tx, company, today, now)?;
    audit::record_system(tx, company, (None, "billing"), "", now, "telecom.billing.run", r.date.clone())?;
    Ok(r)
}

/// The local hour from which the scheduler bills a day (spec B4: 02:00).
const BILLING_HOUR: i8 = 2;

/// Every company with active contracts whose last billing run is before its local `today`,
/// once it is 02:00 there: what the daily scheduler bills.
pub fn companies_due(tx: &impl Read, now: Ts) -> Result<Vec<(CompanyId, String)>> {
    let mut out = Vec::new();
    for co in crate::tenancy::query::companies(tx)? {
        let zone = jiff::tz::TimeZone::get(&co.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
        if now.to_jiff().to_zoned_datetime(zone).hour() < BILLING_HOUR {
            continue;
        }
        let active = ContractStatus::Active.index();
        if tx.list(CONTRACT_STATUS, (co.id, active, ContractId::MIN), (co.id, active, ContractId::MAX), 1)?.is_empty() {
            continue;
        }
        let today = now.date_local(&co.timezone);
        if tx.get(BILLING_RUNS, co.id)?.is_none_or(|r| r.date < today) {
            out.push((co.id, today));
        }
    }
    Ok(out)
}
