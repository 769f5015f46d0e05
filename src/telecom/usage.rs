//! Usage rating (issue 13): imported usage records (a call's minutes, SMS, data in MB) are
//! added to their contract's billing period and rated against the tariff revision in force on
//! the period's first day, with its allowances honoured (0 = unlimited) and its overage rates
//! beyond them.
//!
//! Invariants (checked by [`verify`], hence `dukan check`):
//! - a record is counted once: its key (the file's `id` column, else a hash of the row) is
//!   stored in `USAGE_RECORDS`, and a re-imported record is skipped, so importing the same
//!   file twice charges nothing the second time;
//! - per (contract, period, kind), `USAGE_TOTALS.used` = Σ its records, and the usage charges
//!   in the ledger sum to `USAGE_TOTALS.charged` = the overage of `used` at the period's rate,
//!   rounded half-up to money. A later file in the same period charges only the difference, so
//!   the overage of a (contract, period, kind) is charged once however the records arrive;
//! - usage charges are ledger `charge` rows without a monthly period (`period: None`), so they
//!   never mark a monthly fee as charged; the reason names them (`usage <kind> <period>`);
//! - a file with any invalid row writes nothing, and every invalid row is reported at once.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{Contract, ContractStatus, Entry, EntryKind, Method, Revision, Suspension};
use super::store::{self, CONTRACT_NUMBERS, CONTRACTS, LEDGER, SIM_NUMBERS, SIMS, TARIFFS, USAGE_RECORDS, USAGE_TOTALS};
use super::{billing, require};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, ContractId};
use crate::money::round_money;
use crate::storage::{Read, Record, StorageError, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// Rows of one file at most.
pub const MAX_ROWS: usize = 200_000;
/// Periods looked through for a usage date (a hundred years of monthly periods).
const MAX_PERIODS: u32 = 1200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Kind {
    Voice,
    Sms,
    Data,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Voice, Kind::Sms, Kind::Data];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Voice => "voice",
            Kind::Sms => "sms",
            Kind::Data => "data",
        }
    }

    pub fn index(self) -> u8 {
        match self {
            Kind::Voice => 0,
            Kind::Sms => 1,
            Kind::Data => 2,
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim().to_lowercase().as_str() {
            "voice" | "call" | "min" | "minutes" | "звонок" | "минуты" => Some(Kind::Voice),
            "sms" | "смс" => Some(Kind::Sms),
            "data" | "mb" | "internet" | "интернет" | "мб" => Some(Kind::Data),
            _ => None,
        }
    }

    /// The allowance in this kind's unit (minutes, SMS, MB; 0 = unlimited) and the rate per unit.
    pub fn terms(self, r: &Revision) -> (Decimal, Decimal) {
        match self {
            Kind::Voice => (Decimal::from(r.minutes), r.minute_rate),
            Kind::Sms => (Decimal::from(r.sms), r.sms_rate),
            Kind::Data => (Decimal::from(u64::from(r.gb) * 1024), r.gb_rate / Decimal::from(1024)),
        }
    }
}

/// One imported record: which contract, period and kind it counted toward, and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub contract: ContractId,
    pub period: u32,
    pub kind: Kind,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub at: Ts,
}

impl Record for UsageRecord {
    const TYPE: &'static str = "telecom_usage_record.v1";
}

/// What a (contract, period, kind) used and what of it was charged so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotal {
    #[serde(with = "rust_decimal::serde::str")]
    pub used: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub charged: Decimal,
}

impl Record for UsageTotal {
    const TYPE: &'static str = "telecom_usage_total.v1";
}

/// The overage charge of `used` against (allowance, rate): nothing within an allowance, nothing
/// when the allowance is 0 (unlimited), rate × excess rounded half-up beyond it.
pub fn overage(used: Decimal, allowance: Decimal, rate: Decimal) -> Decimal {
    if allowance.is_zero() || used <= allowance {
        return Decimal::ZERO;
    }
    round_money((used - allowance) * rate)
}

/// The contract's billing period a local date falls in: period k runs from the activation date
/// plus k − 1 months up to (not including) plus k months.
pub fn period_of(k: &Contract, date: &str) -> Option<u32> {
    let activated = k.activated.as_deref()?;
    if date < activated {
        return None;
    }
    (1..=MAX_PERIODS).find(|p| k.due_date(*p).is_some_and(|due| date < due.as_str()))
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rated {
    pub rows: u64,
    /// Records counted now (the others were imported before).
    pub new: u64,
    pub repeated: u64,
    pub charges: u64,
    pub amount: Decimal,
}

struct Row {
    key: u128,
    contract: ContractId,
    kind: Kind,
    amount: Decimal,
    at: Ts,
    period: u32,
}

fn record_key(raw: &str) -> u128 {
    let d = Sha256::digest(raw.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    u128::from_be_bytes(b)
}

/// Column positions: from a header row (`msisdn`/`contract`, `kind`, `amount`, `time`, `id`), or
/// the fixed order target, kind, amount, time, id.
struct Columns {
    target: usize,
    by_contract: bool,
    kind: usize,
    amount: usize,
    time: usize,
    id: Option<usize>,
    header: bool,
}

fn columns(first: &[String]) -> Columns {
    let names: Vec<String> = first.iter().map(|s| s.trim().to_lowercase()).collect();
    let at = |n: &[&str]| names.iter().position(|h| n.contains(&h.as_str()));
    match (at(&["msisdn", "phone", "contract", "number"]), at(&["kind", "type"]), at(&["amount", "qty", "quantity"])) {
        (Some(target), Some(kind), Some(amount)) => Columns {
            target,
            by_contract: names[target] == "contract" || names[target] == "number",
            kind,
            amount,
            time: at(&["time", "at", "date", "datetime"]).unwrap_or(usize::MAX),
            id: at(&["id", "record", "record_id"]),
            header: true,
        },
        _ => Columns { target: 0, by_contract: false, kind: 1, amount: 2, time: 3, id: Some(4).filter(|_| first.len() > 4), header: false },
    }
}

/// "2026-11-03T10:15:00+06:00", "2026-11-03 10:15" or "2026-11-03" (local) → the instant.
fn parse_time(raw: &str, tz: &str) -> Option<Ts> {
    let raw = raw.trim();
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Some(Ts(t.as_millisecond()));
    }
    let civil = raw
        .parse::<jiff::civil::DateTime>()
        .ok()
        .or_else(|| raw.parse::<jiff::civil::Date>().ok().map(|d| d.to_datetime(jiff::civil::Time::midnight())))?;
    civil.in_tz(tz).ok().map(|z| Ts(z.timestamp().as_millisecond()))
}

/// The contract a row names: by MSISDN (the SIM's contract) or by contract number.
fn contract_of(tx: &impl Read, c: CompanyId, raw: &str, by_contract: bool) -> Result<Option<Contract>> {
    let id = if by_contract || raw.contains('-') && !raw.starts_with('+') {
        tx.get(CONTRACT_NUMBERS, (c, raw.trim()))?
    } else {
        let n = store::number_key(raw);
        match tx.get(SIM_NUMBERS, (c, 2u8, n))? {
            Some(sim) => tx.get(SIMS, (c, crate::ids::SimId(sim)))?.and_then(|s| s.contract).map(|k| k.0),
            None => None,
        }
    };
    Ok(match id {
        Some(id) => tx.get(CONTRACTS, (c, ContractId(id)))?,
        None => None,
    })
}

/// Imports usage rows (the grid of a CSV or XLSX file, header row optional) and rates them.
/// Needs the payments and tariffs rights (supervisors), like a billing run.
pub fn import(tx: &mut WriteTx, actor: &Actor, now: Ts, rows: &[Vec<String>]) -> Result<Rated> {
    require(actor, &[Perm::TELECOM_PAYMENTS, Perm::TELECOM_TARIFFS])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let Some(first) = rows.first() else {
        return Err(Error::field("file", "empty", "Файл пуст", "The file is empty"));
    };
    let cols = columns(first);
    let body = if cols.header { &rows[1..] } else { rows };
    if body.len() > MAX_ROWS {
        return Err(Error::field("file", "too_many_rows", format!("Не более {MAX_ROWS} строк"), format!("At most {MAX_ROWS} rows")));
    }
    let mut p = Problems::default();
    let mut parsed = Vec::with_capacity(body.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, r) in body.iter().enumerate() {
        let line = i + 1 + usize::from(cols.header);
        let cell = |at: usize| r.get(at).map(|s| s.trim()).unwrap_or("");
        let field = |name: &str| format!("row {line}: {name}");
        if r.iter().all(|s| s.trim().is_empty()) {
            continue;
        }
        let mut errs: Vec<FieldError> = Vec::new();
        let kind = Kind::parse(cell(cols.kind));
        if kind.is_none() {
            errs.push(FieldError::new(&field("kind"), "usage_kind", "Вид: voice, sms или data", "The kind is voice, sms or data"));
        }
        let amount = match cell(cols.amount).replace(',', ".").parse::<Decimal>() {
            Ok(a) if a > Decimal::ZERO && a < Decimal::from(1_000_000) => Some(a.round_dp(3)),
            _ => {
                errs.push(FieldError::new(&field("amount"), "usage_amount", "Количество больше 0", "The amount is a number above 0"));
                None
            }
        };
        let at = match cell(cols.time) {
            "" => Some(now),
            raw => parse_time(raw, &desk.tz),
        };
        if at.is_none() {
            errs.push(FieldError::new(&field("time"), "usage_time", "Время в формате ГГГГ-ММ-ДД ЧЧ:ММ", "The time as YYYY-MM-DD HH:MM"));
        }
        if at.is_some_and(|t| t.0 > now.0) {
            errs.push(FieldError::new(&field("time"), "usage_in_future", "Время в будущем", "The time is in the future"));
        }
        let contract = contract_of(tx, c, cell(cols.target), cols.by_contract)?;
        match &contract {
            None => errs.push(FieldError::new(
                &field("msisdn"),
                "usage_unknown_number",
                "Нет такого номера или договора",
                "No such number or contract",
            )),
            Some(k) if !matches!(k.status, ContractStatus::Active | ContractStatus::Suspended) => {
                errs.push(FieldError::new(&field("msisdn"), "usage_contract_not_live", "Договор не действует", "The contract is not live"));
            }
            Some(_) => {}
        }
        let raw_key = match cols.id.map(cell).filter(|s| !s.is_empty()) {
            Some(id) => format!("id:{id}"),
            None => format!("row:{}", r.iter().map(|s| s.trim()).collect::<Vec<_>>().join("\u{1f}")),
        };
        let key = record_key(&raw_key);
        if !seen.insert(key) {
            errs.push(FieldError::new(
                &field("id"),
                "usage_repeated_in_file",
                "Запись повторяется в файле",
                "The record repeats in the file",
            ));
        }
        if !errs.is_empty() {
            errs.into_iter().for_each(|e| p.push(e));
            continue;
        }
        if let (Some(kind), Some(amount), Some(at), Some(k)) = (kind, amount, at, contract) {
            let date = at.date_local(&desk.tz);
            match period_of(&k, &date) {
                Some(period) => parsed.push(Row { key, contract: k.id, kind, amount, at, period }),
                None => p.push(FieldError::new(
                    &field("time"),
                    "usage_before_activation",
                    "Трафик раньше активации договора",
                    "Usage before the contract was activated",
                )),
            }
        }
    }
    p.finish()?;

    let mut out = Rated { rows: parsed.len() as u64, ..Rated::default() };
    // New usage per (contract, period, kind), then one rating each.
    let mut touched: BTreeMap<(ContractId, u32, Kind), Decimal> = BTreeMap::new();
    for row in &parsed {
        if tx.get(USAGE_RECORDS, (c, row.key))?.is_some() {
            out.repeated += 1;
            continue;
        }
        let rec = UsageRecord { contract: row.contract, period: row.period, kind: row.kind, amount: row.amount, at: row.at };
        tx.insert(USAGE_RECORDS, (c, row.key), &rec)?;
        *touched.entry((row.contract, row.period, row.kind)).or_default() += row.amount;
        out.new += 1;
    }
    for ((contract, period, kind), added) in touched {
        let mut total = tx.get(USAGE_TOTALS, (c, contract, u64::from(period), kind.index()))?.unwrap_or_default();
        total.used += added;
        let k = tx.get(CONTRACTS, (c, contract))?.ok_or(Error::NotFound)?;
        let tariff = tx.get(TARIFFS, (c, k.tariff))?.ok_or_else(|| Error::Internal(format!("contract {contract} without its tariff")))?;
        let start = if period <= 1 { k.activated.clone().unwrap_or_default() } else { k.due_date(period - 1).unwrap_or_default() };
        let Some((rev, terms)) = tariff.revision_on(&start) else { continue };
        let (allowance, rate) = kind.terms(terms);
        let due = overage(total.used, allowance, rate);
        let delta = due - total.charged;
        if delta > Decimal::ZERO {
            let mut e = Entry {
                kind: EntryKind::Charge,
                amount: -delta,
                balance_after: Decimal::ZERO,
                at: now,
                date: desk.today.clone(),
                user: Some(actor.user),
                method: Method::System,
                transaction_id: None,
                period: None,
                revision: u32::try_from(rev).ok(),
                reason: format!("usage {} {period}", kind.code()),
            };
            let (_, bal) = store::append_entry(tx, c, contract, &mut e)?;
            total.charged = due;
            out.charges += 1;
            out.amount += delta;
            if bal.balance < Decimal::ZERO && k.status == ContractStatus::Active {
                billing::set_suspended(tx, c, now, &k, Suspension::Balance)?;
            }
        }
        tx.insert(USAGE_TOTALS, (c, contract, u64::from(period), kind.index()), &total)?;
    }
    audit::record(
        tx,
        c,
        actor,
        now,
        "telecom.usage.import",
        String::new(),
        format!("{} rows, {} new, {} charges, {}", out.rows, out.new, out.charges, out.amount),
    )?;
    Ok(out)
}

/// Recomputes the usage totals from the records and the ledger's usage charges.
pub fn verify(tx: &impl Read) -> std::result::Result<Vec<String>, StorageError> {
    let (c0, c1) = (CompanyId::MIN, CompanyId::MAX);
    let mut want: BTreeMap<(CompanyId, ContractId, u64, u8), Decimal> = BTreeMap::new();
    tx.range(USAGE_RECORDS, (c0, 0), (c1, u128::MAX), false, usize::MAX, |(c, _), r| {
        *want.entry((c, r.contract, u64::from(r.period), r.kind.index())).or_default() += r.amount;
        Ok(true)
    })?;
    let mut charged: BTreeMap<(CompanyId, ContractId, u64, u8), Decimal> = BTreeMap::new();
    tx.range(LEDGER, (c0, ContractId::MIN, 0), (c1, ContractId::MAX, u64::MAX), false, usize::MAX, |(c, k, _), e| {
        if e.kind == EntryKind::Charge
            && e.period.is_none()
            && let Some(rest) = e.reason.strip_prefix("usage ")
            && let Some((kind, period)) = rest.split_once(' ')
            && let (Some(kind), Ok(period)) = (Kind::ALL.into_iter().find(|x| x.code() == kind), period.parse::<u64>())
        {
            *charged.entry((c, k, period, kind.index())).or_default() -= e.amount;
        }
        Ok(true)
    })?;
    let mut problems = Vec::new();
    let mut have = BTreeMap::new();
    tx.range(USAGE_TOTALS, (c0, ContractId::MIN, 0, 0), (c1, ContractId::MAX, u64::MAX, u8::MAX), false, usize::MAX, |k, t| {
        have.insert(k, t);
        Ok(true)
    })?;
    for (k, used) in &want {
        match have.get(k) {
            Some(t) if t.used == *used => {}
            _ => problems.push(format!("telecom usage of contract {} period {} (company {}) disagrees with its records", k.1, k.2, k.0)),
        }
    }
    for (k, t) in &have {
        if !want.contains_key(k) {
            problems.push(format!("telecom usage total of contract {} period {} (company {}) without records", k.1, k.2, k.0));
        }
        if charged.get(k).copied().unwrap_or_default() != t.charged {
            problems.push(format!("telecom usage charges of contract {} period {} (company {}) disagree with the ledger", k.1, k.2, k.0));
        }
    }
    for k in charged.keys() {
        if !have.contains_key(k) {
            problems.push(format!("telecom usage charge of contract {} period {} (company {}) without a total", k.1, k.2, k.0));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowances_are_honoured_at_their_edges() {
        let (allow, rate) = (Decimal::from(100), Decimal::new(150, 2));
        assert_eq!(overage(Decimal::from(99), allow, rate), Decimal::ZERO);
        assert_eq!(overage(Decimal::from(100), allow, rate), Decimal::ZERO);
        assert_eq!(overage(Decimal::from(101), allow, rate), Decimal::new(150, 2));
        assert_eq!(overage(Decimal::new(1005, 1), allow, rate), Decimal::new(75, 2));
        // 0 = unlimited: never an overage.
        assert_eq!(overage(Decimal::from(1_000_000), Decimal::ZERO, rate), Decimal::ZERO);
        // Half-up to money: 0.333 × 1.50 = 0.4995 → 0.50.
        assert_eq!(overage(Decimal::new(100333, 3), allow, rate), Decimal::new(50, 2));
    }

    #[test]
    fn kinds_and_headers() {
        assert_eq!(Kind::parse(" SMS "), Some(Kind::Sms));
        assert_eq!(Kind::parse("video"), None);
        let h = columns(&["id".into(), "msisdn".into(), "kind".into(), "amount".into(), "time".into()]);
        assert!(h.header && !h.by_contract && h.target == 1 && h.id == Some(0) && h.time == 4);
        let plain = columns(&["+996700000001".into(), "voice".into(), "3".into(), "2026-11-03 10:00".into()]);
        assert!(!plain.header && plain.id.is_none());
        assert_eq!(parse_time("2026-11-03 10:00", "Asia/Bishkek"), parse_time("2026-11-03T04:00:00Z", "UTC"));
        assert_eq!(parse_time("2026-11-03", "UTC"), parse_time("2026-11-03T00:00:00Z", "UTC"));
        assert_eq!(parse_time("yesterday", "UTC"), None);
    }
}
