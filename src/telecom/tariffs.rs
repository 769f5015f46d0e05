//! Tariffs with dated revisions (BillRun-style): a price change is a new revision from a date
//! on, never an edit of the old one, so every charge is reproducible from the revision in
//! force on its due date. Archiving stops new contracts and keeps the existing ones.

use rust_decimal::Decimal;

use super::model::{PayKind, Revision, Tariff};
use super::store::{TARIFF_NAMES, TARIFFS, fold, put_tariff};
use super::{require, validate};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::TariffId;
use crate::money::parse_money;
use crate::storage::WriteTx;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// The priced terms of a revision as typed (the form's fields and the API's body).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RevisionDraft {
    /// YYYY-MM-DD; empty: today.
    pub valid_from: String,
    pub monthly_fee: String,
    /// Included minutes, SMS, GB; 0 or empty = unlimited.
    pub minutes: String,
    pub sms: String,
    pub gb: String,
    pub minute_rate: String,
    pub sms_rate: String,
    pub gb_rate: String,
}

/// A new tariff as typed: its first revision's terms in `terms`.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TariffDraft {
    pub name: String,
    /// prepaid (default) or postpaid
    pub pay_kind: String,
    pub priority: String,
    pub terms: RevisionDraft,
}

fn whole(p: &mut Problems, field: &str, raw: &str) -> u32 {
    match raw.trim() {
        "" => 0,
        s => s.parse::<u32>().unwrap_or_else(|_| {
            p.push(FieldError::new(field, "whole", "Целое число не меньше 0", "A whole number ≥ 0"));
            0
        }),
    }
}

fn money_or_zero(p: &mut Problems, field: &str, raw: &str) -> Decimal {
    if raw.trim().is_empty() {
        return Decimal::ZERO;
    }
    p.take(parse_money(field, raw, false)).unwrap_or_default()
}

fn parse_revision(p: &mut Problems, d: &RevisionDraft, today: &str, actor: &Actor, now: Ts) -> Revision {
    let valid_from = match d.valid_from.trim() {
        "" => today.to_string(),
        raw => p.take(validate::date("valid_from", raw)).unwrap_or_default(),
    };
    let monthly_fee = match d.monthly_fee.trim() {
        "" => {
            p.push(FieldError::required("monthly_fee"));
            Decimal::ZERO
        }
        raw => p.take(parse_money("monthly_fee", raw, false)).unwrap_or_default(),
    };
    Revision {
        valid_from,
        monthly_fee,
        minutes: whole(p, "minutes", &d.minutes),
        sms: whole(p, "sms", &d.sms),
        gb: whole(p, "gb", &d.gb),
        minute_rate: money_or_zero(p, "minute_rate", &d.minute_rate),
        sms_rate: money_or_zero(p, "sms_rate", &d.sms_rate),
        gb_rate: money_or_zero(p, "gb_rate", &d.gb_rate),
        created: now,
        created_by: actor.user,
    }
}

fn parse_name(p: &mut Problems, raw: &str) -> String {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().count() < 2 || name.chars().count() > 100 {
        p.push(FieldError::new("name", "name", "Название: от 2 до 100 символов", "Name: 2 to 100 characters"));
    }
    name
}

fn check_name(tx: &WriteTx, actor: &Actor, name: &str, own: Option<TariffId>) -> Result<()> {
    match tx.get(TARIFF_NAMES, (actor.company, fold(name).as_str()))? {
        Some(other) if Some(TariffId(other)) != own => {
            Err(Error::field("name", "name_taken", "Тариф с таким названием уже есть", "A tariff with this name exists"))
        }
        _ => Ok(()),
    }
}

pub fn create_tariff(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &TariffDraft) -> Result<Tariff> {
    require(actor, &[Perm::TELECOM_TARIFFS])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let mut p = Problems::default();
    let name = parse_name(&mut p, &d.name);
    let pay_kind = match d.pay_kind.trim() {
        "" => Some(PayKind::Prepaid),
        raw => PayKind::parse(raw),
    };
    if pay_kind.is_none() {
        p.push(FieldError::new("pay_kind", "pay_kind", "Оплата: prepaid или postpaid", "Payment: prepaid or postpaid"));
    }
    let priority = match d.priority.trim() {
        "" => 0,
        raw => raw.parse::<i32>().unwrap_or_else(|_| {
            p.push(FieldError::new("priority", "whole", "Приоритет: целое число", "Priority: a whole number"));
            0
        }),
    };
    let first = parse_revision(&mut p, &d.terms, &desk.today, actor, now);
    p.finish()?;
    check_name(tx, actor, &name, None)?;
    let t = Tariff {
        id: TariffId(tx.next_id()?),
        name,
        pay_kind: pay_kind.unwrap_or(PayKind::Prepaid),
        priority,
        archived: false,
        revisions: vec![first],
        created: now,
    };
    put_tariff(tx, c, None, &t)?;
    audit::record(tx, c, actor, now, "telecom.tariff.create", format!("tariff {}", t.id), t.name.clone())?;
    Ok(t)
}

/// Renames a tariff or changes its priority or payment kind (never its prices: see `revise`).
pub fn update_tariff(tx: &mut WriteTx, actor: &Actor, now: Ts, id: TariffId, name: &str, priority: &str) -> Result<Tariff> {
    require(actor, &[Perm::TELECOM_TARIFFS])?;
    let c = actor.company;
    let old = tx.get(TARIFFS, (c, id))?.ok_or(Error::NotFound)?;
    let mut p = Problems::default();
    let name = parse_name(&mut p, name);
    let priority = match priority.trim() {
        "" => old.priority,
        raw => raw.parse::<i32>().unwrap_or_else(|_| {
            p.push(FieldError::new("priority", "whole", "Приоритет: целое число", "Priority: a whole number"));
            0
        }),
    };
    p.finish()?;
    check_name(tx, actor, &name, Some(id))?;
    let new = Tariff { name, priority, ..old.clone() };
    put_tariff(tx, c, Some(&old), &new)?;
    audit::record(tx, c, actor, now, "telecom.tariff.update", format!("tariff {id}"), new.name.clone())?;
    Ok(new)
}

/// Adds a revision from `valid_from` on: today or later, and after the newest revision.
pub fn revise(tx: &mut WriteTx, actor: &Actor, now: Ts, id: TariffId, d: &RevisionDraft) -> Result<Tariff> {
    require(actor, &[Perm::TELECOM_TARIFFS])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let old = tx.get(TARIFFS, (c, id))?.ok_or(Error::NotFound)?;
    let mut p = Problems::default();
    let r = parse_revision(&mut p, d, &desk.today, actor, now);
    p.finish()?;
    let last = old.revisions.last().map(|r| r.valid_from.clone()).unwrap_or_default();
    if r.valid_from < desk.today || r.valid_from <= last {
        return Err(Error::field(
            "valid_from",
            "revision_date",
            format!("Новая редакция действует с сегодняшнего дня или позже и после {last}"),
            format!("A new revision starts today or later, and after {last}"),
        ));
    }
    let mut new = old.clone();
    new.revisions.push(r);
    put_tariff(tx, c, Some(&old), &new)?;
    audit::record(tx, c, actor, now, "telecom.tariff.revise", format!("tariff {id}"), new.revisions.len().to_string())?;
    Ok(new)
}

/// Archives (no new contracts; existing ones keep it) or restores a tariff.
pub fn set_archived(tx: &mut WriteTx, actor: &Actor, now: Ts, id: TariffId, archived: bool) -> Result<Tariff> {
    require(actor, &[Perm::TELECOM_TARIFFS])?;
    let c = actor.company;
    let old = tx.get(TARIFFS, (c, id))?.ok_or(Error::NotFound)?;
    let new = Tariff { archived, ..old.clone() };
    put_tariff(tx, c, Some(&old), &new)?;
    let action = if archived { "telecom.tariff.archive" } else { "telecom.tariff.restore" };
    audit::record(tx, c, actor, now, action, format!("tariff {id}"), new.name.clone())?;
    Ok(new)
}
