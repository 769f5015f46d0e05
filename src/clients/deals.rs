//! Installment deals (spec A9 ClientDeal/DealInstallment/DealPayment): the schedule, pay and
//! refund with idempotency keys, no spill-over, terms frozen once paid.
//!
//! Fixed against the original (A15.9): editing a deal that has payments no longer fails when
//! the terms are unchanged (only the title changes; the schedule is kept), and there is no
//! "forced" rebuild that would drop paid amounts. Regular installments are the debt divided by
//! the months rounded *down* to the cent, so the last one (which absorbs the remainder) is
//! never smaller than the others and never negative — rounding half-up made it negative for
//! small debts over many months.

use jiff::civil::Date;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::model::{Deal, DealKind, DealPayment, DealPaymentKind, Installment, KeyUse};
use super::store::{CLIENT_DEALS, CLIENT_KEYS, DEALS};
use super::{check_key, client, country_of, fingerprint, replay, require_write};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{ClientId, CompanyId};
use crate::money::{parse_money, round_money};
use crate::storage::{ReadTx, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_optional_text;
use crate::tenancy::perms::Perm;

pub const MAX_MONTHS: u32 = 120;

fn require_deals(actor: &Actor) -> Result<()> {
    require_write(actor)?;
    if actor.can(Perm::DEBTS) || actor.can(Perm::CLIENTS) { Ok(()) } else { Err(Error::Forbidden { permission: "debts" }) }
}

pub fn parse_date(field: &str, raw: &str) -> std::result::Result<Date, FieldError> {
    raw.trim()
        .parse::<Date>()
        .ok()
        .filter(|d| (2000..=2200).contains(&d.year()))
        .ok_or_else(|| FieldError::new(field, "date", "Дата в формате ГГГГ-ММ-ДД", "A date as YYYY-MM-DD"))
}

/// Installment i (1-based) is due at start + (i − 1) months (month ends clamp: 31 Jan → 28 Feb,
/// always counted from the start so the day does not drift); each is ⌊debt / months⌋ to the
/// cent, the last takes the remainder; balance_after = debt − cumulative.
pub fn schedule(debt: Decimal, months: u32, start: Date) -> Vec<Installment> {
    if months == 0 || debt <= Decimal::ZERO {
        return Vec::new();
    }
    let base = round_money((debt / Decimal::from(months)).round_dp_with_strategy(2, RoundingStrategy::ToZero));
    let mut out = Vec::with_capacity(months as usize);
    let mut cumulative = Decimal::ZERO;
    for i in 1..=months {
        let amount = if i == months { round_money(debt - cumulative) } else { base };
        cumulative += amount;
        let due = start.checked_add(jiff::Span::new().months(i64::from(i - 1))).unwrap_or(start);
        out.push(Installment {
            number: i,
            due: due.to_string(),
            amount,
            balance_after: round_money(debt - cumulative),
            paid: round_money(Decimal::ZERO),
            paid_on: None,
        });
    }
    out
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DealDraft {
    pub kind: String,
    pub title: String,
    pub amount: String,
    pub prepayment: String,
    pub months: u32,
    /// "YYYY-MM-DD"; empty = today + 1 month.
    pub first_due: String,
}

struct Terms {
    kind: DealKind,
    title: String,
    amount: Decimal,
    prepayment: Decimal,
    months: u32,
    first_due: Date,
}

fn parse_terms(d: &DealDraft, today: Date) -> Result<Terms> {
    let mut p = Problems::default();
    let kind = DealKind::parse(if d.kind.trim().is_empty() { "debt" } else { &d.kind });
    if kind.is_none() {
        p.push(FieldError::new("kind", "deal_kind", "Вид: amount, sale, debt или prepayment", "Kind: amount, sale, debt or prepayment"));
    }
    let title = p.take(parse_optional_text("title", &d.title, 200)).unwrap_or_default();
    let amount = p.take(parse_money("amount", &d.amount, false));
    let prepayment = if d.prepayment.trim().is_empty() {
        Some(round_money(Decimal::ZERO))
    } else {
        p.take(parse_money("prepayment", &d.prepayment, false))
    };
    if let (Some(a), Some(pre)) = (amount, prepayment)
        && pre > a
    {
        p.push(FieldError::new(
            "prepayment",
            "prepayment_exceeds_amount",
            "Предоплата больше суммы сделки",
            "The prepayment exceeds the amount",
        ));
    }
    let first_due = if d.first_due.trim().is_empty() {
        Some(today.checked_add(jiff::Span::new().months(1)).unwrap_or(today))
    } else {
        p.take(parse_date("first_due", &d.first_due))
    };
    let months = if kind == Some(DealKind::Debt) { d.months } else { 0 };
    if kind == Some(DealKind::Debt) {
        if !(1..=MAX_MONTHS).contains(&months) {
            p.push(FieldError::new(
                "months",
                "months",
                format!("Срок: от 1 до {MAX_MONTHS} месяцев"),
                format!("Term: 1 to {MAX_MONTHS} months"),
            ));
        }
        if let (Some(a), Some(pre)) = (amount, prepayment) {
            let debt = a - pre;
            if debt <= Decimal::ZERO {
                p.push(FieldError::new(
                    "amount",
                    "deal_no_debt",
                    "Рассрочка: сумма должна быть больше предоплаты",
                    "An installment deal needs amount above the prepayment",
                ));
            } else if (1..=MAX_MONTHS).contains(&months) && debt < Decimal::new(i64::from(months), 2) {
                p.push(FieldError::new(
                    "months",
                    "installment_below_cent",
                    "Взнос меньше 0,01: сократите срок",
                    "An installment below 0.01: shorten the term",
                ));
            }
        }
    }
    p.finish()?;
    match (kind, amount, prepayment, first_due) {
        (Some(kind), Some(amount), Some(prepayment), Some(first_due)) => Ok(Terms { kind, title, amount, prepayment, months, first_due }),
        _ => Err(Error::Internal("deal terms parsed with problems".into())),
    }
}

fn today(tx: &WriteTx, c: CompanyId, now: Ts) -> Result<Date> {
    let (_, tz) = country_of(tx, c)?;
    Ok(now.date_local(&tz).parse::<Date>().unwrap_or(Date::constant(2000, 1, 1)))
}

pub fn deal(tx: &WriteTx, actor: &Actor, id: u64) -> Result<Deal> {
    tx.get(DEALS, (actor.company.0, id))?.ok_or(Error::NotFound)
}

pub fn read_deal(tx: &ReadTx, actor: &Actor, id: u64) -> Result<Deal> {
    tx.get(DEALS, (actor.company.0, id))?.ok_or(Error::NotFound)
}

pub fn client_deals(tx: &ReadTx, c: CompanyId, client: ClientId) -> Result<Vec<Deal>> {
    let mut out = Vec::new();
    for ((_, _, id), _) in tx.list(CLIENT_DEALS, (c.0, client.0, 0), (c.0, client.0, u64::MAX), usize::MAX)? {
        if let Some(d) = tx.get(DEALS, (c.0, id))? {
            out.push(d);
        }
    }
    Ok(out)
}

pub fn create_deal(tx: &mut WriteTx, actor: &Actor, now: Ts, client_id: ClientId, d: &DealDraft) -> Result<Deal> {
    require_deals(actor)?;
    let c = actor.company;
    client(tx, actor, client_id)?;
    let t = parse_terms(d, today(tx, c, now)?)?;
    let id = tx.next_id()?;
    let deal = Deal {
        id,
        client: client_id,
        kind: t.kind,
        title: t.title,
        amount: t.amount,
        prepayment: t.prepayment,
        months: t.months,
        first_due: t.first_due.to_string(),
        installments: if t.kind == DealKind::Debt { schedule(t.amount - t.prepayment, t.months, t.first_due) } else { Vec::new() },
        payments: Vec::new(),
        created: now,
        created_by: actor.user,
    };
    tx.insert(DEALS, (c.0, id), &deal)?;
    tx.insert(CLIENT_DEALS, (c.0, client_id.0, id), &id)?;
    audit::record(tx, c, actor, now, "deal.create", format!("deal:{id}"), format!("client:{client_id} {}", deal.amount))?;
    Ok(deal)
}

/// Edits a deal. Once it has payments its terms are frozen: the same terms save (the title
/// may change), different ones are refused.
pub fn update_deal(tx: &mut WriteTx, actor: &Actor, now: Ts, id: u64, d: &DealDraft) -> Result<Deal> {
    require_deals(actor)?;
    let c = actor.company;
    let mut deal = deal(tx, actor, id)?;
    let t = parse_terms(d, today(tx, c, now)?)?;
    let same = t.kind == deal.kind
        && t.amount == deal.amount
        && t.prepayment == deal.prepayment
        && t.months == deal.months
        && t.first_due.to_string() == deal.first_due;
    if deal.frozen() && !same {
        return Err(Error::refused(
            "deal_frozen",
            "По сделке уже есть платежи: сумму, предоплату, срок и график менять нельзя",
            "The deal has payments: its amount, prepayment, term and schedule are frozen",
        ));
    }
    deal.title = t.title;
    if !same {
        deal.kind = t.kind;
        deal.amount = t.amount;
        deal.prepayment = t.prepayment;
        deal.months = t.months;
        deal.first_due = t.first_due.to_string();
        deal.installments = if t.kind == DealKind::Debt { schedule(t.amount - t.prepayment, t.months, t.first_due) } else { Vec::new() };
    }
    tx.insert(DEALS, (c.0, id), &deal)?;
    audit::record(tx, c, actor, now, "deal.update", format!("deal:{id}"), deal.amount.to_string())?;
    Ok(deal)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DealPayDraft {
    pub key: String,
    /// The installment number; the lowest-numbered unpaid one when absent.
    pub installment: Option<u32>,
    /// Empty = the installment's remainder (pay) or its paid amount (refund).
    pub amount: String,
}

/// Pays one installment. The amount may not exceed that installment's remainder: nothing
/// spills over into the next one. Idempotent by key (a replay returns the current state).
pub fn pay(tx: &mut WriteTx, actor: &Actor, now: Ts, id: u64, d: &DealPayDraft) -> Result<Deal> {
    apply(tx, actor, now, id, d, DealPaymentKind::Pay)
}

/// Refunds (unpays) the highest-numbered paid installment, at most what was paid on it.
pub fn refund(tx: &mut WriteTx, actor: &Actor, now: Ts, id: u64, d: &DealPayDraft) -> Result<Deal> {
    apply(tx, actor, now, id, d, DealPaymentKind::Refund)
}

fn apply(tx: &mut WriteTx, actor: &Actor, now: Ts, id: u64, d: &DealPayDraft, kind: DealPaymentKind) -> Result<Deal> {
    require_deals(actor)?;
    let c = actor.company;
    check_key(&d.key)?;
    let mut deal = deal(tx, actor, id)?;
    let scoped = format!("deal:{id}:{}", d.key.trim());
    let print = fingerprint(&format!("deal:{id}:{kind:?}"), d)?;
    if replay(tx, c, &scoped, print)?.is_some() {
        return Ok(deal);
    }
    if deal.installments.is_empty() {
        return Err(Error::refused("deal_no_schedule", "У сделки нет графика платежей", "The deal has no installment schedule"));
    }
    let index = match (kind, d.installment) {
        (DealPaymentKind::Pay, Some(n)) => deal.installments.iter().position(|i| i.number == n),
        (DealPaymentKind::Pay, None) => deal.installments.iter().position(|i| i.paid_on.is_none()),
        (DealPaymentKind::Refund, _) => deal.installments.iter().rposition(|i| i.paid > Decimal::ZERO),
    };
    let Some(index) = index else {
        return Err(match (kind, d.installment) {
            (DealPaymentKind::Pay, Some(n)) => {
                Error::field("installment", "unknown_installment", format!("Нет взноса №{n}"), format!("No installment #{n}"))
            }
            (DealPaymentKind::Pay, None) => Error::refused("deal_paid", "Все взносы уже оплачены", "Every installment is paid"),
            (DealPaymentKind::Refund, _) => {
                Error::refused("deal_nothing_paid", "По сделке нечего возвращать", "Nothing has been paid on this deal")
            }
        });
    };
    let inst = &deal.installments[index];
    let limit = match kind {
        DealPaymentKind::Pay => inst.remaining(),
        DealPaymentKind::Refund => inst.paid,
    };
    if kind == DealPaymentKind::Pay && limit.is_zero() {
        return Err(Error::refused(
            "installment_paid",
            format!("Взнос №{} уже оплачен", inst.number),
            format!("Installment #{} is already paid", inst.number),
        ));
    }
    let mut p = Problems::default();
    let amount = if d.amount.trim().is_empty() { Some(limit) } else { p.take(parse_money("amount", &d.amount, false)) };
    if let Some(a) = amount {
        if a < Decimal::new(1, 2) {
            p.push(FieldError::new("amount", "amount", "Сумма не меньше 0,01", "At least 0.01"));
        } else if a > limit {
            p.push(match kind {
                DealPaymentKind::Pay => FieldError::new(
                    "amount",
                    "installment_overpaid",
                    format!("Взнос №{}: осталось {limit}; переплата на следующий взнос не переносится", inst.number),
                    format!("Installment #{}: {limit} is left; nothing spills over into the next one", inst.number),
                ),
                DealPaymentKind::Refund => FieldError::new(
                    "amount",
                    "refund_exceeds_paid",
                    format!("По взносу №{} оплачено {limit}", inst.number),
                    format!("Installment #{} has {limit} paid", inst.number),
                ),
            });
        }
    }
    p.finish()?;
    let amount = amount.ok_or_else(|| Error::Internal("amount".into()))?;
    let date = today(tx, c, now)?.to_string();
    let number = inst.number;
    let inst = &mut deal.installments[index];
    match kind {
        DealPaymentKind::Pay => {
            inst.paid += amount;
            if inst.paid == inst.amount {
                inst.paid_on = Some(date.clone());
            }
        }
        DealPaymentKind::Refund => {
            inst.paid -= amount;
            inst.paid_on = None;
        }
    }
    deal.payments.push(DealPayment { kind, installment: number, amount, at: now, date, user: actor.user, key: d.key.trim().to_string() });
    tx.insert(DEALS, (c.0, id), &deal)?;
    tx.insert(CLIENT_KEYS, (c.0, scoped.as_str()), &KeyUse { fingerprint: print, result: format!("deal:{id}"), at: now })?;
    audit::record(
        tx,
        c,
        actor,
        now,
        if kind == DealPaymentKind::Pay { "deal.pay" } else { "deal.refund" },
        format!("deal:{id}"),
        format!("#{number} {amount}"),
    )?;
    if kind == DealPaymentKind::Pay {
        crate::webhooks::emit_with(tx, c, crate::webhooks::events::DEBT_PAID, now, || crate::webhooks::events::DebtPaidEvent {
            kind: "installment".into(),
            client: deal.client.0,
            amount: amount.to_string(),
            method: String::new(),
            at: now.rfc3339(),
            entry: None,
            owed: None,
            deal: Some(id),
            installment: Some(number),
        })?;
    }
    Ok(deal)
}
