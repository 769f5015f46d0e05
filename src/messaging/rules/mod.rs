//! Notification rules and preferences (issue 16): a company's rules (an event, its
//! conditions, an action) and each user's choice of channel per event; `run`, the scheduler's
//! step for one company, evaluates every active rule.
//!
//! Invariants. A rule fires at most once per (rule, subject, local day): the `FIRED` row is
//! written in the same transaction as what the firing sends, so a restart or a second tick
//! never sends twice. Date-driven rules (installment due tomorrow, debt overdue, low stock)
//! are evaluated against the company's local date; feed-driven rules (telecom low balance,
//! payment received) read the telecom event feed after the last id read (`MARKS`), advanced
//! in the same transaction. Every send is an outbox job with its own log: in-app notifications
//! are the bell's rows, e-mail goes through `mail::queue` (only when e-mail is set up: nothing
//! is queued that could only fail), WhatsApp through the inbox's template send (the
//! conversation log) — to a client, or to staff who asked for it (`whatsapp`); a firing that
//! cannot send says why in its log row.

pub mod shift;
pub mod store;
pub mod whatsapp;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::clock::Ts;
use crate::config::Config;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, RuleId, TemplateId, UserId};
use crate::storage::{Read, Record, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

use super::Live;
use super::notify::{self, Target};
use store::{FIRED, MARKS, PREFS, RULES};

/// What a rule reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    /// An unpaid installment of a deal falls due tomorrow (subject: the deal and installment).
    InstallmentDue,
    /// A client's unpaid installment has been overdue for at least `days` days (subject: the client).
    DebtOverdue,
    /// A product is at or below its reorder level in a warehouse (subject: the product).
    LowStock,
    /// A telecom contract's balance fell below the low-balance level (subject: the event).
    TelecomLowBalance,
    /// A telecom payment arrived (subject: the event).
    TelecomPayment,
}

impl Trigger {
    pub const ALL: [Trigger; 5] =
        [Trigger::InstallmentDue, Trigger::DebtOverdue, Trigger::LowStock, Trigger::TelecomLowBalance, Trigger::TelecomPayment];

    pub fn code(self) -> &'static str {
        match self {
            Trigger::InstallmentDue => "installment_due",
            Trigger::DebtOverdue => "debt_overdue",
            Trigger::LowStock => "low_stock",
            Trigger::TelecomLowBalance => "telecom_low_balance",
            Trigger::TelecomPayment => "telecom_payment",
        }
    }

    pub fn parse(s: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|t| t.code() == s.trim())
    }

    /// Whether its subject is a client who can get a WhatsApp template.
    pub fn has_client(self) -> bool {
        matches!(self, Trigger::InstallmentDue | Trigger::DebtOverdue)
    }
}

/// What a rule does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Tell every active user holding `perm` (in-app and, by their preferences, e-mail).
    Staff,
    /// An e-mail to a fixed address.
    Email,
    /// An approved WhatsApp template to the client, in the client's newest conversation.
    WhatsApp,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Staff, Action::Email, Action::WhatsApp];

    pub fn code(self) -> &'static str {
        match self {
            Action::Staff => "staff",
            Action::Email => "email",
            Action::WhatsApp => "whatsapp",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.code() == s.trim())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Rule {
    pub id: RuleId,
    pub name: String,
    pub trigger: Trigger,
    /// `DebtOverdue`: at least this many days overdue.
    pub days: u32,
    pub action: Action,
    /// `Staff`: the right whose holders are told (a permission code).
    pub perm: String,
    /// `Email`: the address.
    pub email: String,
    /// `WhatsApp`: the template (its variables get the client's name, the amount, the date).
    pub template: Option<TemplateId>,
    pub active: bool,
    pub created: Ts,
}

impl Record for Rule {
    const TYPE: &'static str = "messaging_rule.v1";
}

/// One firing: the rule log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fired {
    pub at: Ts,
    pub text: String,
    /// What was sent, or why nothing could be.
    pub outcome: String,
}

impl Record for Fired {
    const TYPE: &'static str = "messaging_fired.v1";
}

/// A user's preferences: per event code, whether the bell shows it and whether it is e-mailed.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Prefs {
    /// Events the user does not want in the bell (default: every event is shown).
    pub muted: Vec<String>,
    /// Events the user also wants by e-mail (default: none).
    pub email: Vec<String>,
}

impl Record for Prefs {
    const TYPE: &'static str = "messaging_notifyprefs.v1";
}

/// The events a preference can name: the rule triggers and the inbox's own notifications.
pub fn pref_events() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Trigger::ALL.iter().map(|t| t.code()).collect();
    v.push(shift::EVENT);
    v.push("backup_failed");
    v.push("inbox");
    v
}

pub fn prefs(tx: &impl Read, c: CompanyId, user: UserId) -> Result<Prefs> {
    Ok(tx.get(PREFS, (c.0, user.0))?.unwrap_or_default())
}

/// Saves the actor's own preferences: events muted in the bell, wanted by e-mail and by
/// WhatsApp template (unknown event codes are refused).
pub fn save_prefs(tx: &mut WriteTx, actor: &Actor, muted: &[String], email: &[String], whatsapp: &[String]) -> Result<Prefs> {
    let known = pref_events();
    let clean = |list: &[String]| -> Result<Vec<String>> {
        let mut out: Vec<String> = Vec::new();
        for e in list {
            let e = e.trim();
            if !known.contains(&e) {
                return Err(Error::field("events", "unknown_event", "Неизвестное событие", "Unknown event"));
            }
            if !out.iter().any(|x| x == e) {
                out.push(e.to_string());
            }
        }
        Ok(out)
    };
    let p = Prefs { muted: clean(muted)?, email: clean(email)? };
    let wa = clean(whatsapp)?;
    tx.insert(PREFS, (actor.company.0, actor.user.0), &p)?;
    whatsapp::put_wanted(tx, actor.company, actor.user, wa)?;
    Ok(p)
}

/// Managing rules.
pub fn require_admin(actor: &Actor) -> Result<()> {
    actor.require_feature(super::FEATURE)?;
    actor.require(Perm::NOTIFY_RULES)
}

#[derive(Debug, Clone, Default)]
pub struct RuleDraft {
    pub name: String,
    pub trigger: String,
    pub days: String,
    pub action: String,
    pub perm: String,
    pub email: String,
    pub template: Option<u64>,
    pub active: bool,
}

/// Creates (`id` = None) or edits a rule.
pub fn save_rule(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<RuleId>, d: &RuleDraft) -> Result<RuleId> {
    require_admin(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) => Some(tx.get(RULES, (c.0, id.0))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let mut p = Problems::default();
    let name = d.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        p.push(FieldError::new("name", "required", "Название: от 1 до 100 символов", "Name: 1 to 100 characters"));
    }
    let trigger = Trigger::parse(&d.trigger);
    if trigger.is_none() {
        p.push(FieldError::new("trigger", "invalid", "Выберите событие", "Choose an event"));
    }
    let days = if d.days.trim().is_empty() { Some(0) } else { d.days.trim().parse::<u32>().ok().filter(|n| *n <= 3650) };
    if days.is_none() {
        p.push(FieldError::new("days", "invalid", "Дней: от 0 до 3650", "Days: 0 to 3650"));
    }
    let action = Action::parse(&d.action);
    match action {
        None => p.push(FieldError::new("action", "invalid", "Выберите действие", "Choose an action")),
        Some(Action::Staff) if Perm::parse(d.perm.trim()).is_none() => {
            p.push(FieldError::new("perm", "invalid", "Выберите право", "Choose a right"));
        }
        Some(Action::Email) if !super::mail::valid_address(&d.email) => {
            p.push(FieldError::new("email", "invalid_email", "Неверный адрес e-mail", "Invalid e-mail address"));
        }
        Some(Action::WhatsApp) => {
            if !trigger.is_some_and(Trigger::has_client) {
                p.push(FieldError::new(
                    "action",
                    "no_client",
                    "WhatsApp клиенту — только для рассрочки и долга",
                    "WhatsApp to the client only for installments and debts",
                ));
            }
            match d.template {
                Some(t) if tx.get(super::store::TEMPLATES, (c.0, t))?.is_some() => {}
                _ => p.push(FieldError::new("template", "invalid", "Выберите шаблон", "Choose a template")),
            }
        }
        _ => {}
    }
    p.finish()?;
    let (Some(trigger), Some(days), Some(action)) = (trigger, days, action) else {
        return Err(Error::Internal("checked above".into()));
    };
    let rule = Rule {
        id: match &old {
            Some(o) => o.id,
            None => RuleId(tx.next_id()?),
        },
        name,
        trigger,
        days,
        action,
        perm: if action == Action::Staff { d.perm.trim().to_string() } else { String::new() },
        email: if action == Action::Email { d.email.trim().to_string() } else { String::new() },
        template: if action == Action::WhatsApp { d.template.map(TemplateId) } else { None },
        active: d.active,
        created: old.as_ref().map_or(now, |o| o.created),
    };
    tx.insert(RULES, (c.0, rule.id.0), &rule)?;
    audit::record(tx, c, actor, now, "notify.rule.save", format!("rule:{}", rule.id), rule.name.clone())?;
    Ok(rule.id)
}

pub fn delete_rule(tx: &mut WriteTx, actor: &Actor, now: Ts, id: RuleId) -> Result<()> {
    require_admin(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let r = tx.get(RULES, (c.0, id.0))?.ok_or(Error::NotFound)?;
    tx.remove(RULES, (c.0, id.0))?;
    audit::record(tx, c, actor, now, "notify.rule.delete", format!("rule:{id}"), r.name)?;
    Ok(())
}

pub fn rules(tx: &impl Read, c: CompanyId) -> Result<Vec<Rule>> {
    Ok(tx.list(RULES, (c.0, 0), (c.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, r)| r).collect())
}

pub fn rule(tx: &impl Read, c: CompanyId, id: RuleId) -> Result<Rule> {
    tx.get(RULES, (c.0, id.0))?.ok_or(Error::NotFound)
}

/// A rule's newest `limit` firings, newest first: (day, subject, firing).
pub fn fired(tx: &impl Read, c: CompanyId, rule: RuleId, limit: usize) -> Result<Vec<(u32, u64, Fired)>> {
    let mut out = Vec::new();
    tx.range(FIRED, (c.0, rule.0, 0, 0), (c.0, rule.0, u32::MAX, u64::MAX), true, limit, |(_, _, day, subject), f| {
        out.push((day, subject, f));
        Ok(true)
    })?;
    Ok(out)
}

/// Companies with at least one active rule (the scheduler's list).
pub fn companies_with_rules(tx: &impl Read) -> Result<Vec<CompanyId>> {
    let mut out: Vec<CompanyId> = Vec::new();
    tx.range(RULES, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, _), r| {
        if r.active && out.last() != Some(&CompanyId(c)) {
            out.push(CompanyId(c));
        }
        Ok(true)
    })?;
    Ok(out)
}

fn day_key(date: &str) -> u32 {
    date.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
}

/// One thing a rule fired about.
struct Subject {
    id: u64,
    client: Option<crate::ids::ClientId>,
    text: String,
    link: String,
    /// Template variables: the client's name, the amount, the date.
    vars: Vec<String>,
}

/// What one scheduler run did for a company.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub fired: u64,
}

/// Evaluates every active rule of the company once (the scheduler's step, one transaction).
pub fn run(tx: &mut WriteTx, config: &Config, c: CompanyId, now: Ts, live: &mut Vec<Live>) -> Result<Report> {
    let active: Vec<Rule> = rules(tx, c)?.into_iter().filter(|r| r.active).collect();
    if active.is_empty() {
        return Ok(Report::default());
    }
    let tz = crate::tenancy::timezone(tx, c)?;
    let today = now.date_local(&tz);
    let tomorrow = now.plus_days(1).date_local(&tz);
    let mut report = Report::default();
    // Feed-driven rules read the telecom events after the mark, once for all their rules.
    let telecom = if active.iter().any(|r| matches!(r.trigger, Trigger::TelecomLowBalance | Trigger::TelecomPayment)) {
        let from = tx.get(MARKS, (c.0, "telecom"))?.unwrap_or(0);
        let events = tx.list(crate::telecom::store::EVENTS, (c, from.saturating_add(1)), (c, u64::MAX), 10_000)?;
        if let Some(((_, last), _)) = events.last() {
            tx.insert(MARKS, (c.0, "telecom"), last)?;
        }
        events
    } else {
        Vec::new()
    };
    for rule in active {
        let subjects = subjects(tx, c, &rule, &today, &tomorrow, &telecom)?;
        let day = day_key(&today);
        for s in subjects {
            if tx.get(FIRED, (c.0, rule.id.0, day, s.id))?.is_some() {
                continue;
            }
            let outcome = act(tx, config, c, &rule, &s, now, live)?;
            tx.insert(FIRED, (c.0, rule.id.0, day, s.id), &Fired { at: now, text: s.text.clone(), outcome })?;
            report.fired += 1;
        }
    }
    Ok(report)
}

fn money(d: Decimal) -> String {
    crate::money::round_money(d).to_string()
}

fn subjects(
    tx: &WriteTx,
    c: CompanyId,
    rule: &Rule,
    today: &str,
    tomorrow: &str,
    telecom: &[((CompanyId, u64), crate::telecom::model::Event)],
) -> Result<Vec<Subject>> {
    use crate::clients::store::{CLIENTS, DEALS};
    let mut out = Vec::new();
    let client_name = |tx: &WriteTx, id: crate::ids::ClientId| -> Result<String> {
        Ok(tx.get(CLIENTS, (c.0, id.0))?.map(|cl| cl.name).unwrap_or_default())
    };
    match rule.trigger {
        Trigger::InstallmentDue => {
            for (_, deal) in tx.list(DEALS, (c.0, 0), (c.0, u64::MAX), usize::MAX)? {
                for i in deal.installments.iter().filter(|i| i.paid_on.is_none() && i.due == tomorrow && i.remaining() > Decimal::ZERO) {
                    let name = client_name(tx, deal.client)?;
                    out.push(Subject {
                        id: deal.id.saturating_mul(1000).saturating_add(u64::from(i.number)),
                        client: Some(deal.client),
                        text: format!("Завтра платёж по рассрочке: {name}, {} ({})", money(i.remaining()), i.due),
                        link: format!("/clients/{}", deal.client.0),
                        vars: vec![name, money(i.remaining()), i.due.clone()],
                    });
                }
            }
        }
        Trigger::DebtOverdue => {
            let limit = jiff::civil::Date::strptime("%Y-%m-%d", today)
                .ok()
                .and_then(|d| d.checked_sub(jiff::Span::new().days(i64::from(rule.days))).ok())
                .map(|d| d.to_string())
                .unwrap_or_default();
            let mut by_client: std::collections::BTreeMap<u64, (Decimal, String)> = Default::default();
            for (_, deal) in tx.list(DEALS, (c.0, 0), (c.0, u64::MAX), usize::MAX)? {
                for i in deal.installments.iter().filter(|i| i.paid_on.is_none() && i.due.as_str() < today && i.due <= limit) {
                    let e = by_client.entry(deal.client.0).or_insert((Decimal::ZERO, i.due.clone()));
                    e.0 += i.remaining();
                    if i.due < e.1 {
                        e.1 = i.due.clone();
                    }
                }
            }
            for (client, (amount, since)) in by_client.into_iter().filter(|(_, (a, _))| *a > Decimal::ZERO) {
                let id = crate::ids::ClientId(client);
                let name = client_name(tx, id)?;
                out.push(Subject {
                    id: client,
                    client: Some(id),
                    text: format!("Просрочен долг: {name}, {} (с {since})", money(amount)),
                    link: format!("/clients/{client}"),
                    vars: vec![name, money(amount), since],
                });
            }
        }
        Trigger::LowStock => {
            let mut seen = std::collections::BTreeSet::new();
            for (_, wh) in tx.list(
                crate::inventory::store::WAREHOUSES,
                (c, crate::ids::WarehouseId::MIN),
                (c, crate::ids::WarehouseId::MAX),
                usize::MAX,
            )? {
                let rows = tx.list(
                    crate::inventory::store::STOCK_ROWS,
                    (c, wh.id, crate::ids::ProductId::MIN),
                    (c, wh.id, crate::ids::ProductId::MAX),
                    usize::MAX,
                )?;
                for ((_, _, pid), r) in rows {
                    if r.reorder_level.is_zero() || r.qty > r.reorder_level || !seen.insert(pid.0) {
                        continue;
                    }
                    let name = &r.name;
                    out.push(Subject {
                        id: pid.0,
                        client: None,
                        text: format!(
                            "Мало на складе «{}»: {name} — {} (минимум {})",
                            wh.name,
                            r.qty.normalize(),
                            r.reorder_level.normalize()
                        ),
                        link: format!("/products/{}", pid.0),
                        vars: Vec::new(),
                    });
                }
            }
        }
        Trigger::TelecomLowBalance | Trigger::TelecomPayment => {
            use crate::telecom::model::EventKind;
            let want = if rule.trigger == Trigger::TelecomLowBalance { EventKind::LowBalance } else { EventKind::PaymentReceived };
            for ((_, id), e) in telecom.iter().filter(|(_, e)| e.kind == want) {
                let what = if want == EventKind::LowBalance { "Низкий баланс" } else { "Платёж получен" };
                out.push(Subject {
                    id: *id,
                    client: None,
                    text: format!("{what}: договор {}, баланс {}", e.contract.0, money(e.balance)),
                    link: format!("/telecom/contracts/{}", e.contract.0),
                    vars: Vec::new(),
                });
            }
        }
    }
    Ok(out)
}

/// Does what the rule says for one subject; returns the log's outcome text.
fn act(tx: &mut WriteTx, config: &Config, c: CompanyId, rule: &Rule, s: &Subject, now: Ts, live: &mut Vec<Live>) -> Result<String> {
    match rule.action {
        Action::Staff => {
            let Some(perm) = Perm::parse(&rule.perm) else {
                return Ok("right no longer exists".into());
            };
            let users = notify::users_with(tx, c, perm)?;
            let can_mail = super::mail::configured(tx, config, c)?;
            let note = Note { event: rule.trigger.code(), subject: &format!("Dukan: {}", rule.name), text: &s.text, link: &s.link };
            tell(tx, c, &users, &note, can_mail, now, live)
        }
        Action::Email => {
            if !super::mail::configured(tx, config, c)? {
                return Ok("e-mail is not set up".into());
            }
            let id = super::mail::queue(
                tx,
                c,
                &rule.email,
                &format!("Dukan: {}", rule.name),
                &s.text,
                &format!("notify:{}", rule.trigger.code()),
                now,
            )?;
            Ok(format!("e-mail queued (mail {id})"))
        }
        Action::WhatsApp => whatsapp(tx, c, rule, s, now, live),
    }
}

/// What one notification says, on every channel.
struct Note<'a> {
    /// The event code preferences name.
    event: &'a str,
    /// The e-mail's subject (and a staff template's second variable).
    subject: &'a str,
    text: &'a str,
    link: &'a str,
}

/// Tells each of `users`: in the bell unless they muted the event, by e-mail when they asked
/// for it and `can_mail`, by the company's staff WhatsApp template when they asked for it.
/// Returns the log's outcome text, with why a wanted channel was not used.
fn tell(tx: &mut WriteTx, c: CompanyId, users: &[UserId], note: &Note, can_mail: bool, now: Ts, live: &mut Vec<Live>) -> Result<String> {
    let (mut shown, mut mailed, mut unmailed, mut wa_wanted, mut wa_sent) = (0, 0, 0, 0, 0);
    let mut wa_failed: Vec<String> = Vec::new();
    let kind = format!("rule:{}", note.event);
    let people = crate::tenancy::store::users(tx, c)?;
    for &u in users {
        let Some(person) = people.iter().find(|x| x.id == u) else { continue };
        let p = prefs(tx, c, u)?;
        if !p.muted.iter().any(|e| e == note.event) {
            live.extend(notify::notify(tx, c, Target::User(u), &kind, note.text, note.link, now)?);
            shown += 1;
        }
        if p.email.iter().any(|e| e == note.event) {
            if !can_mail {
                unmailed += 1;
            } else if super::mail::valid_address(&person.email) {
                super::mail::queue(tx, c, &person.email, note.subject, note.text, &format!("notify:{}", note.event), now)?;
                mailed += 1;
            }
        }
        if whatsapp::wanted(tx, c, u)?.iter().any(|e| e == note.event) {
            wa_wanted += 1;
            match whatsapp::send(tx, c, person, note.subject, note.text, note.link, now, live)? {
                Ok(_) => wa_sent += 1,
                Err(why) => {
                    tracing::info!(company = c.0, user = u.0, event = note.event, "staff WhatsApp not sent: {why}");
                    if !wa_failed.contains(&why) {
                        wa_failed.push(why);
                    }
                }
            }
        }
    }
    let mut out = format!("in-app: {shown}, e-mail: {mailed}");
    if wa_wanted > 0 {
        out.push_str(&format!(", WhatsApp: {wa_sent}"));
    }
    if unmailed > 0 {
        tracing::info!(company = c.0, event = note.event, users = unmailed, "notification e-mail not queued: e-mail is not set up");
        out.push_str(&format!("; e-mail is not set up ({unmailed} wanted it)"));
    }
    if !wa_failed.is_empty() {
        out.push_str(&format!("; WhatsApp not sent: {}", wa_failed.join(", ")));
    }
    Ok(out)
}

/// The template to the client's newest conversation (WhatsApp allows templates at any time).
fn whatsapp(tx: &mut WriteTx, c: CompanyId, rule: &Rule, s: &Subject, now: Ts, live: &mut Vec<Live>) -> Result<String> {
    let (Some(client), Some(template)) = (s.client, rule.template) else {
        return Ok("no client or template".into());
    };
    let convs = tx.list(super::store::BY_CLIENT, (c.0, client.0, 0), (c.0, client.0, u64::MAX), usize::MAX)?;
    let Some((_, conv)) = convs.last() else {
        return Ok("no WhatsApp conversation with this client".into());
    };
    let Some(t) = tx.get(super::store::TEMPLATES, (c.0, template.0))? else {
        return Ok("template deleted".into());
    };
    let params: Vec<String> = s.vars.iter().take(usize::from(t.params)).map(|v| v.chars().take(200).collect()).collect();
    if params.len() != usize::from(t.params) || params.iter().any(String::is_empty) {
        return Ok(format!("the template needs {} values, the rule has {}", t.params, s.vars.len()));
    }
    let actor = system_actor(tx, c)?;
    match super::inbox::send_template(tx, &actor, now, crate::ids::ConversationId(*conv), template, &params) {
        Ok((m, l)) => {
            live.extend(l);
            Ok(format!("WhatsApp template queued (message {})", m.id))
        }
        Err(e) => Ok(format!("not sent: {}", e.message(crate::i18n::Lang::En))),
    }
}

/// The rules' own author: the company's owner acting for the scheduler (the message log
/// names them as the sender, as a person sending the template would be).
fn system_actor(tx: &WriteTx, c: CompanyId) -> Result<Actor> {
    use crate::tenancy::model::SystemRole;
    let owner = crate::tenancy::store::users(tx, c)?.into_iter().find(|u| u.role == SystemRole::Owner).ok_or(Error::NotFound)?;
    Ok(Actor {
        company: c,
        user: owner.id,
        user_name: owner.name,
        role: SystemRole::Owner,
        perms: crate::tenancy::perms::PermSet::all(),
        branch: crate::tenancy::actor::BranchScope::Company,
        ip: "scheduler".into(),
        lang: crate::i18n::Lang::Ru,
        platform_admin: false,
        access: crate::tenancy::model::Access::Full,
        features: vec![super::FEATURE.to_string()],
    })
}

/// A failed backup, told to the box's platform operators (in their bell, as the `backup_failed`
/// event their preferences may mute) in the transaction that records nothing else.
pub fn backup_failed(tx: &mut WriteTx, error: &str, now: Ts) -> Result<Vec<(CompanyId, Live)>> {
    let operators: Vec<(CompanyId, UserId)> = tx
        .list(crate::tenancy::store::USERS, (0, 0), (u64::MAX, u64::MAX), usize::MAX)?
        .into_iter()
        .filter(|(_, u)| u.platform_admin && u.active)
        .map(|((c, u), _)| (CompanyId(c), UserId(u)))
        .collect();
    let text = format!("Резервная копия не сделана / Backup failed: {}", error.chars().take(200).collect::<String>());
    let mut out = Vec::new();
    for (c, u) in operators {
        for l in notify::notify(tx, c, Target::User(u), "rule:backup_failed", &text, "/backups", now)? {
            out.push((c, l));
        }
    }
    Ok(out)
}
