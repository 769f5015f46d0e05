//! The telecom operator desk (spec part B, issue 13): subscribers with duplicate detection,
//! SIM stock with its binding history, tariffs with dated revisions, contracts, the balance
//! ledger with payments, refunds and corrections, monthly billing, and support tickets.
//!
//! Invariants (verified by `store::verify`, hence `dukan check`, and by the property test):
//! - a contract's balance = Σ its ledger rows; nothing changes a balance but `store::append_entry`;
//! - a monthly period of a contract is charged at most once (`store::CHARGED`), so a billing
//!   run repeated for the same date charges nothing;
//! - a SIM is free ⇔ no active or suspended contract holds it; an active contract holds
//!   exactly one SIM, which names it back, with an open binding row;
//! - every operation is one write transaction: records, indexes, ledger, events and the audit
//!   row commit together, and a refused operation writes nothing.
//!
//! Rights (spec B5, the preset roles employee < operator < supervisor): reading needs the plan
//! feature `telecom` and `TELECOM_VIEW`; subscribers `TELECOM_CUSTOMERS`; SIMs and contracts
//! (create, activate) `TELECOM_SIMS`; generation and settings `TELECOM_SIMS_BULK`; tariffs
//! `TELECOM_TARIFFS`; payments and refunds `TELECOM_PAYMENTS`; suspend/resume
//! `TELECOM_CUSTOMERS`; terminate `TELECOM_TERMINATE`; corrections and billing runs both
//! `TELECOM_PAYMENTS` and `TELECOM_TARIFFS` (supervisors); tickets `TELECOM_TICKETS` (every
//! preset), handing a ticket to someone else also `TELECOM_CUSTOMERS` (see `tickets`).

pub mod billing;
pub mod contracts;
pub mod model;
pub mod query;
pub mod sims;
pub mod store;
pub mod tariffs;
#[cfg(test)]
mod tests;
pub mod validate;
// Slice B: subscriber search, usage rating.
pub mod search;
pub mod usage;

// Slice A of issue 13 (tele2).
pub mod gateway;
pub mod merge;
pub mod print;
pub mod tickets;

use rust_decimal::Decimal;

use crate::audit;
use crate::clock::Ts;
use crate::country::Country;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, SubscriberId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;
use model::{ContractStatus, IdDocument, Settings, Subscriber, SubscriberKind, SubscriberStatus};
use store::{SETTINGS, SUBSCRIBER_MARKS, SUBSCRIBERS};
use validate::DocKind;

/// Reading anything of the desk: the plan feature and the view right.
pub fn require_view(actor: &Actor) -> Result<()> {
    actor.require_feature("telecom")?;
    actor.require(Perm::TELECOM_VIEW)
}

/// Writing: the plan feature, each of `perms`, and a writable subscription.
pub fn require(actor: &Actor, perms: &[Perm]) -> Result<()> {
    actor.require_feature("telecom")?;
    for p in perms {
        actor.require(*p)?;
    }
    actor.require_writable()
}

/// The company's country, time zone and today's local date.
pub struct Desk {
    pub company: CompanyId,
    pub country: Country,
    pub tz: String,
    pub today: String,
}

pub fn desk(tx: &impl Read, company: CompanyId, now: Ts) -> Result<Desk> {
    let co = crate::tenancy::query::company(tx, company)?;
    let today = now.date_local(&co.timezone);
    Ok(Desk { company, country: co.country, tz: co.timezone, today })
}

/// The company's settings, or the country's defaults (KG 437-01, RU 250-01; warn below 100).
pub fn settings(tx: &impl Read, company: CompanyId) -> Result<Settings> {
    if let Some(s) = tx.get(SETTINGS, company)? {
        return Ok(s);
    }
    let country = crate::tenancy::query::company(tx, company)?.country;
    let mcc = match country {
        Country::KG => "437",
        Country::RU => "250",
    };
    Ok(Settings { mcc: mcc.into(), mnc: "01".into(), low_balance: Decimal::new(100, 0) })
}

pub fn save_settings(tx: &mut WriteTx, actor: &Actor, now: Ts, mcc: &str, mnc: &str, low_balance: &str) -> Result<Settings> {
    require(actor, &[Perm::TELECOM_SIMS_BULK])?;
    let mut p = Problems::default();
    let codes = p.take(validate::mcc_mnc(mcc, mnc));
    let low = p.take(crate::money::parse_money("low_balance", low_balance, false));
    p.finish()?;
    let (Some((mcc, mnc)), Some(low_balance)) = (codes, low) else {
        return Err(Error::Internal("settings parsed with problems".into()));
    };
    let s = Settings { mcc, mnc, low_balance };
    tx.insert(SETTINGS, actor.company, &s)?;
    audit::record(tx, actor.company, actor, now, "telecom.settings", String::new(), format!("{} {} {}", s.mcc, s.mnc, s.low_balance))?;
    Ok(s)
}

/// A subscriber as typed (the form's fields and the API's body).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct SubscriberDraft {
    /// individual (default) or organization
    pub kind: String,
    pub last_name: String,
    pub first_name: String,
    pub patronymic: String,
    /// YYYY-MM-DD
    pub birth_date: String,
    pub org_name: String,
    pub org_inn: String,
    /// passport (default), id_card, driver_license, foreign_passport
    pub doc_kind: String,
    pub doc_series: String,
    pub doc_number: String,
    /// KG: the ПИН; RU: the person's INN.
    pub personal_no: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub notes: String,
}

fn name_part(p: &mut Problems, field: &str, raw: &str, required: bool) -> String {
    let s = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = s.chars().count();
    if (required && n < 2) || n > 100 || (!required && n == 1) {
        p.push(FieldError::new(field, "name", "От 2 до 100 символов", "2 to 100 characters"));
    }
    if s.chars().any(char::is_control) {
        p.push(FieldError::new(field, "name", "Недопустимые символы", "Characters not allowed"));
    }
    s
}

fn text(raw: &str, max: usize) -> String {
    raw.trim().chars().filter(|c| !c.is_control() || *c == '\n').take(max).collect()
}

/// Checks a draft against the country's rules and builds the record (id and status kept from
/// `base` when editing).
fn parse_subscriber(d: &Desk, draft: &SubscriberDraft, base: Subscriber) -> Result<Subscriber> {
    let mut p = Problems::default();
    let kind = match draft.kind.trim() {
        "" => Some(SubscriberKind::Individual),
        k => SubscriberKind::parse(k),
    };
    if kind.is_none() {
        p.push(FieldError::new("kind", "kind", "Тип: individual или organization", "Kind: individual or organization"));
    }
    let kind = kind.unwrap_or(SubscriberKind::Individual);
    let person = kind == SubscriberKind::Individual;
    let last_name = name_part(&mut p, "last_name", &draft.last_name, person);
    let first_name = name_part(&mut p, "first_name", &draft.first_name, person);
    let patronymic = name_part(&mut p, "patronymic", &draft.patronymic, false);
    let mut birth_date = match draft.birth_date.trim() {
        "" => None,
        raw => p.take(validate::date("birth_date", raw)),
    };
    if birth_date.as_deref().is_some_and(|b| b > d.today.as_str()) {
        p.push(FieldError::new("birth_date", "birth_date", "Дата рождения в будущем", "Birth date in the future"));
    }
    let org_name = text(&draft.org_name, 200);
    let org_inn = match (kind, draft.org_inn.trim()) {
        (SubscriberKind::Organization, "") => {
            p.push(FieldError::new("org_inn", "required", "Укажите ИНН организации", "Enter the organisation's INN"));
            None
        }
        (SubscriberKind::Organization, raw) => p.take(validate::org_inn(d.country, "org_inn", raw)),
        _ => None,
    };
    if kind == SubscriberKind::Organization && org_name.chars().count() < 2 {
        p.push(FieldError::new("org_name", "required", "Укажите название организации", "Enter the organisation's name"));
    }
    let has_doc = !(draft.doc_series.trim().is_empty() && draft.doc_number.trim().is_empty());
    let document =
        if has_doc {
            let doc_kind = match draft.doc_kind.trim() {
                "" => Some(DocKind::Passport),
                k => DocKind::parse(k),
            };
            match doc_kind {
                None => {
                    p.push(FieldError::new("doc_kind", "doc_kind", "Нет такого вида документа", "No such kind of document"));
                    None
                }
                Some(k) => p
                    .take(validate::document(d.country, k, &draft.doc_series, &draft.doc_number))
                    .map(|(series, number)| IdDocument { kind: k, series, number }),
            }
        } else {
            if person {
                p.push(FieldError::new("document", "required", "Укажите документ, удостоверяющий личность", "Enter an identity document"));
            }
            None
        };
    let personal_no = match draft.personal_no.trim() {
        "" => None,
        raw => match d.country {
            Country::KG => match p.take(validate::kg_pin("personal_no", raw)) {
                Some((pin, born)) => {
                    match &birth_date {
                        Some(b) if *b != born => p.push(FieldError::new(
                            "personal_no",
                            "pin_birth_date",
                            "ПИН не совпадает с датой рождения",
                            "The PIN does not match the birth date",
                        )),
                        Some(_) => {}
                        None if person => birth_date = Some(born),
                        None => {}
                    }
                    Some(pin)
                }
                None => None,
            },
            Country::RU => p.take(validate::person_inn(d.country, "personal_no", raw)),
        },
    };
    let phone = match draft.phone.trim() {
        "" => {
            p.push(FieldError::required("phone"));
            String::new()
        }
        raw => p.take(d.country.parse_phone("phone", raw)).unwrap_or_default(),
    };
    let email = match draft.email.trim() {
        "" => None,
        raw => p.take(validate::email("email", raw)),
    };
    p.finish()?;
    Ok(Subscriber {
        kind,
        last_name,
        first_name,
        patronymic,
        birth_date,
        org_name: if person { String::new() } else { org_name },
        org_inn,
        document,
        personal_no,
        phone,
        email,
        address: text(&draft.address, 300),
        notes: text(&draft.notes, 2000),
        ..base
    })
}

/// A subscriber who shares something with another, and what.
#[derive(Debug, Clone)]
pub struct Duplicate {
    pub subscriber: Subscriber,
    /// document, personal_no, org_inn, phone, email, name
    pub reasons: Vec<&'static str>,
}

/// The other subscribers sharing a document, personal number, INN, phone, e-mail, or a name with
/// the same birth date with `s`.
pub fn duplicates(tx: &impl Read, c: CompanyId, s: &Subscriber) -> Result<Vec<Duplicate>> {
    let mut found: Vec<Duplicate> = Vec::new();
    for (reason, h) in store::identity_marks(s).into_iter().chain(store::likely_marks(s)) {
        for ((_, _, other), _) in tx.list(SUBSCRIBER_MARKS, (c, h, SubscriberId::MIN), (c, h, SubscriberId::MAX), 50)? {
            if other == s.id {
                continue;
            }
            match found.iter_mut().find(|d| d.subscriber.id == other) {
                Some(d) => d.reasons.push(reason),
                None => {
                    if let Some(subscriber) = tx.get(SUBSCRIBERS, (c, other))? {
                        found.push(Duplicate { subscriber, reasons: vec![reason] });
                    }
                }
            }
        }
    }
    Ok(found)
}

/// Creates (`id` None) or edits a subscriber. An identical document, personal number or INN
/// of another subscriber is refused; shared phones, e-mails or name + birth date are saved and
/// returned as likely duplicates for the person at the desk to look at.
pub fn save_subscriber(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: Option<SubscriberId>,
    draft: &SubscriberDraft,
) -> Result<(Subscriber, Vec<Duplicate>)> {
    require(actor, &[Perm::TELECOM_CUSTOMERS])?;
    let c = actor.company;
    let d = desk(tx, c, now)?;
    let old = match id {
        Some(id) => Some(tx.get(SUBSCRIBERS, (c, id))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let (mut new, dups) = check_subscriber(tx, actor, &d, now, old.clone(), draft)?;
    if old.is_none() {
        new.id = SubscriberId(tx.next_id()?);
    }
    store::put_subscriber(tx, c, old.as_ref(), &new)?;
    let action = if old.is_some() { "telecom.subscriber.update" } else { "telecom.subscriber.create" };
    audit::record(tx, c, actor, now, action, format!("subscriber {}", new.id), new.display_name())?;
    Ok((new, dups))
}

/// Checks a subscriber as typed without writing: the record (id 0 when new, `old`'s when
/// editing) and its likely duplicates; an identical document, personal number or INN of
/// another subscriber is refused. Imports check each row with this.
pub fn check_subscriber(
    tx: &impl Read,
    actor: &Actor,
    d: &Desk,
    now: Ts,
    old: Option<Subscriber>,
    draft: &SubscriberDraft,
) -> Result<(Subscriber, Vec<Duplicate>)> {
    let c = actor.company;
    let base = match old {
        Some(o) => o,
        None => Subscriber {
            id: SubscriberId(0),
            kind: SubscriberKind::Individual,
            last_name: String::new(),
            first_name: String::new(),
            patronymic: String::new(),
            birth_date: None,
            org_name: String::new(),
            org_inn: None,
            document: None,
            personal_no: None,
            phone: String::new(),
            email: None,
            address: String::new(),
            status: SubscriberStatus::Active,
            notes: String::new(),
            created: now,
            created_by: actor.user,
        },
    };
    let new = parse_subscriber(d, draft, base)?;
    let dups = duplicates(tx, c, &new)?;
    let mut p = Problems::default();
    for dup in &dups {
        for reason in &dup.reasons {
            if matches!(*reason, "document" | "personal_no" | "org_inn") {
                p.push(FieldError::new(
                    reason,
                    "duplicate_document",
                    format!("Этот документ уже у абонента «{}»", dup.subscriber.display_name()),
                    format!("This document already belongs to subscriber “{}”", dup.subscriber.display_name()),
                ));
            }
        }
    }
    p.finish()?;
    Ok((new, dups))
}

/// Moves a subscriber between active, suspended, blocked and archived. Archiving needs every
/// contract terminated (or never activated).
pub fn set_subscriber_status(tx: &mut WriteTx, actor: &Actor, now: Ts, id: SubscriberId, status: &str) -> Result<Subscriber> {
    require(actor, &[Perm::TELECOM_CUSTOMERS])?;
    let c = actor.company;
    let old = tx.get(SUBSCRIBERS, (c, id))?.ok_or(Error::NotFound)?;
    let Some(status) = SubscriberStatus::parse(status) else {
        return Err(Error::field("status", "status", "Нет такого статуса", "No such status"));
    };
    if status == SubscriberStatus::Archived {
        for k in query::contracts_of(tx, c, id)? {
            if matches!(k.status, ContractStatus::Active | ContractStatus::Suspended) {
                return Err(Error::refused(
                    "subscriber_has_contracts",
                    format!("У абонента действует договор {}", k.number),
                    format!("Contract {} of the subscriber is in force", k.number),
                ));
            }
        }
    }
    let mut new = old.clone();
    new.status = status;
    store::put_subscriber(tx, c, Some(&old), &new)?;
    audit::record(tx, c, actor, now, "telecom.subscriber.status", format!("subscriber {id}"), status.code().into())?;
    Ok(new)
}
