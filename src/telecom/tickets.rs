//! Support tickets (spec B2 Ticket, B3): opening against a subscriber (and one of its
//! contracts), the state machine, comments, the SLA due time per priority, and the queues —
//! my / unassigned / open / overdue — read from index rows, never by scanning tickets.
//!
//! The state machine (B3, with the original's refusals made real):
//! - assign (to someone, or to nobody): only while open; a new ticket that gets an assignee
//!   goes in progress, an in-progress one that loses it goes back to new;
//! - start: new or waiting → in progress, needs an assignee;
//! - wait: new or in progress → waiting;
//! - resolve: any open status → resolved, needs a resolution text;
//! - close: resolved → closed; from an open status only with a reason;
//! - reopen: resolved or closed → in progress (assigned to whoever reopens it when nobody
//!   is), with a fresh SLA from now;
//! - a priority change (open tickets) moves the due time and is logged.
//!
//! Rights: everything needs `TELECOM_TICKETS`; assigning a ticket to someone other than
//! oneself needs `TELECOM_CUSTOMERS` too (operators and supervisors hand out work, employees
//! take it).

use super::model::{NoteKind, Ticket, TicketCategory, TicketNote, TicketPriority, TicketStatus};
use super::store::{
    CONTRACTS, SUBSCRIBER_TICKETS, SUBSCRIBERS, TICKET_DUE, TICKET_NOTES, TICKET_QUEUE, TICKETS, add_note, put_ticket, ts_key,
};
use super::{require, require_view};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, ContractId, SubscriberId, TicketId, UserId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// The live-hub topic the ticket queues follow.
pub const TOPIC: &str = "telecom.tickets";

const HOUR_MS: i64 = 3_600_000;

/// A new ticket as typed (the form's fields and the API's body).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TicketDraft {
    pub subscriber: u64,
    /// One of the subscriber's contracts, or none.
    pub contract: Option<u64>,
    /// 1–200 characters.
    pub subject: String,
    pub description: String,
    /// technical, billing, tariff, sim, complaint, other (default)
    pub category: String,
    /// low, medium (default), high, critical
    pub priority: String,
}

/// What to do with a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// To this user, or to nobody.
    Assign(Option<UserId>),
    Start,
    Wait,
    Resolve(String),
    Close(String),
    Reopen(String),
    Priority(String),
    Comment(String),
}

impl Action {
    /// The action a path segment or a form's button names, with its fields: `user` for
    /// assign (0 or absent: nobody), `text` for resolve, close, reopen and comment.
    pub fn named(name: &str, me: UserId, user: Option<u64>, text: String, priority: String) -> Option<Action> {
        Some(match name {
            "assign" => Action::Assign(user.filter(|u| *u != 0).map(UserId)),
            "take" => Action::Assign(Some(me)),
            "start" => Action::Start,
            "wait" => Action::Wait,
            "resolve" => Action::Resolve(text),
            "close" => Action::Close(text),
            "reopen" => Action::Reopen(text),
            "priority" => Action::Priority(priority),
            "comment" => Action::Comment(text),
            _ => return None,
        })
    }
}

fn refused_move(t: &Ticket, action: &str) -> Error {
    Error::refused(
        "ticket_transition",
        format!("Обращение в статусе «{}»: действие «{action}» недоступно", t.status.code()),
        format!("The ticket is {}: “{action}” is not allowed", t.status.code()),
    )
}

fn priority_of(raw: &str) -> std::result::Result<TicketPriority, FieldError> {
    match raw.trim() {
        "" => Ok(TicketPriority::Medium),
        p => TicketPriority::parse(p).ok_or_else(|| FieldError::new("priority", "priority", "Нет такого приоритета", "No such priority")),
    }
}

fn note(kind: NoteKind, text: impl Into<String>, actor: &Actor, now: Ts) -> TicketNote {
    TicketNote { kind, text: text.into(), user: actor.user, at: now }
}

fn clean(raw: &str, max: usize) -> String {
    raw.trim().chars().filter(|c| !c.is_control() || *c == '\n').take(max).collect()
}

/// Opens a ticket: status new, unassigned, due after the priority's SLA hours.
pub fn create(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &TicketDraft) -> Result<Ticket> {
    require(actor, &[Perm::TELECOM_TICKETS])?;
    let c = actor.company;
    let mut p = Problems::default();
    let subscriber = SubscriberId(d.subscriber);
    if tx.get(SUBSCRIBERS, (c, subscriber))?.is_none() {
        p.push(FieldError::new("subscriber", "unknown_subscriber", "Нет такого абонента", "No such subscriber"));
    }
    let contract = match d.contract.filter(|k| *k != 0).map(ContractId) {
        None => None,
        Some(k) => match tx.get(CONTRACTS, (c, k))? {
            Some(found) if found.subscriber == subscriber => Some(k),
            _ => {
                p.push(FieldError::new(
                    "contract",
                    "unknown_contract",
                    "Нет такого договора у абонента",
                    "The subscriber has no such contract",
                ));
                None
            }
        },
    };
    let subject = clean(&d.subject, 1000).replace('\n', " ");
    let n = subject.chars().count();
    if n == 0 || n > 200 {
        p.push(FieldError::new("subject", "subject", "Тема: от 1 до 200 символов", "Subject: 1 to 200 characters"));
    }
    let category = match d.category.trim() {
        "" => Some(TicketCategory::Other),
        k => TicketCategory::parse(k),
    };
    if category.is_none() {
        p.push(FieldError::new("category", "category", "Нет такой категории", "No such category"));
    }
    let priority = p.take(priority_of(&d.priority));
    p.finish()?;
    let (Some(category), Some(priority)) = (category, priority) else {
        return Err(Error::Internal("ticket parsed with problems".into()));
    };
    let t = Ticket {
        id: TicketId(tx.next_id()?),
        subscriber,
        contract,
        subject,
        description: clean(&d.description, 5000),
        category,
        priority,
        status: TicketStatus::New,
        assignee: None,
        due: now.plus_ms(priority.sla_hours() * HOUR_MS),
        sla_from: now,
        resolution: String::new(),
        created: now,
        created_by: actor.user,
        updated: now,
        resolved_at: None,
        closed_at: None,
        notes: 0,
    };
    put_ticket(tx, c, None, &t)?;
    audit::record(tx, c, actor, now, "telecom.ticket.create", format!("ticket {}", t.id), t.subject.clone())?;
    Ok(t)
}

/// Applies `action` to a ticket per the state machine above; logs and audits the change.
pub fn act(tx: &mut WriteTx, actor: &Actor, now: Ts, id: TicketId, action: &Action) -> Result<Ticket> {
    require(actor, &[Perm::TELECOM_TICKETS])?;
    let c = actor.company;
    let old = tx.get(TICKETS, (c, id))?.ok_or(Error::NotFound)?;
    let mut t = old.clone();
    let open = t.status.is_open();
    let (audit_action, log) = match action {
        Action::Assign(to) => {
            if !open {
                return Err(refused_move(&t, "assign"));
            }
            if let Some(u) = to {
                if *u != actor.user {
                    actor.require(Perm::TELECOM_CUSTOMERS)?;
                }
                let user = crate::tenancy::query::user(tx, c, *u)
                    .map_err(|_| Error::field("user", "unknown_user", "Нет такого сотрудника", "No such user"))?;
                t.status = if t.status == TicketStatus::New { TicketStatus::InProgress } else { t.status };
                t.assignee = Some(*u);
                ("telecom.ticket.assign", note(NoteKind::Assigned, user.name, actor, now))
            } else {
                if t.assignee.is_some_and(|a| a != actor.user) {
                    actor.require(Perm::TELECOM_CUSTOMERS)?;
                }
                t.status = if t.status == TicketStatus::InProgress { TicketStatus::New } else { t.status };
                t.assignee = None;
                ("telecom.ticket.assign", note(NoteKind::Assigned, "", actor, now))
            }
        }
        Action::Start => {
            if !matches!(t.status, TicketStatus::New | TicketStatus::Waiting) {
                return Err(refused_move(&t, "start"));
            }
            if t.assignee.is_none() {
                return Err(Error::refused(
                    "ticket_needs_assignee",
                    "В работу — только с исполнителем",
                    "A ticket goes in progress only with an assignee",
                ));
            }
            t.status = TicketStatus::InProgress;
            ("telecom.ticket.start", note(NoteKind::Status, t.status.code(), actor, now))
        }
        Action::Wait => {
            if !matches!(t.status, TicketStatus::New | TicketStatus::InProgress) {
                return Err(refused_move(&t, "wait"));
            }
            t.status = TicketStatus::Waiting;
            ("telecom.ticket.wait", note(NoteKind::Status, t.status.code(), actor, now))
        }
        Action::Resolve(text) => {
            if !open {
                return Err(refused_move(&t, "resolve"));
            }
            let text = clean(text, 5000);
            if text.is_empty() {
                return Err(Error::field("resolution", "ticket_needs_resolution", "Опишите решение", "Describe the resolution"));
            }
            t.status = TicketStatus::Resolved;
            t.resolution = text.clone();
            t.resolved_at = Some(now);
            ("telecom.ticket.resolve", note(NoteKind::Status, format!("{}: {text}", t.status.code()), actor, now))
        }
        Action::Close(reason) => {
            let reason = clean(reason, 2000);
            match t.status {
                TicketStatus::Closed => return Err(refused_move(&t, "close")),
                TicketStatus::Resolved => {}
                _ if reason.is_empty() => {
                    return Err(Error::field(
                        "reason",
                        "ticket_close_needs_reason",
                        "Нерешённое обращение закрывается с причиной",
                        "An unresolved ticket is closed with a reason",
                    ));
                }
                _ => {}
            }
            t.status = TicketStatus::Closed;
            t.closed_at = Some(now);
            let text = if reason.is_empty() { t.status.code().to_string() } else { format!("{}: {reason}", t.status.code()) };
            ("telecom.ticket.close", note(NoteKind::Status, text, actor, now))
        }
        Action::Reopen(reason) => {
            if open {
                return Err(refused_move(&t, "reopen"));
            }
            t.status = TicketStatus::InProgress;
            t.assignee = t.assignee.or(Some(actor.user));
            t.resolved_at = None;
            t.closed_at = None;
            t.sla_from = now;
            t.due = now.plus_ms(t.priority.sla_hours() * HOUR_MS);
            let reason = clean(reason, 2000);
            let text = if reason.is_empty() { t.status.code().to_string() } else { format!("{}: {reason}", t.status.code()) };
            ("telecom.ticket.reopen", note(NoteKind::Status, text, actor, now))
        }
        Action::Priority(raw) => {
            if !open {
                return Err(refused_move(&t, "priority"));
            }
            let p = priority_of(raw).map_err(|e| Error::Validation(vec![e]))?;
            if p == t.priority {
                return Ok(t);
            }
            let text = format!("{} → {}", t.priority.code(), p.code());
            t.priority = p;
            t.due = t.sla_from.plus_ms(p.sla_hours() * HOUR_MS);
            ("telecom.ticket.priority", note(NoteKind::Priority, text, actor, now))
        }
        Action::Comment(text) => {
            let text = clean(text, 5000);
            if text.is_empty() {
                return Err(Error::field("text", "required", "Напишите комментарий", "Write a comment"));
            }
            ("telecom.ticket.comment", note(NoteKind::Comment, text, actor, now))
        }
    };
    t.updated = now;
    add_note(tx, c, &mut t, &log)?;
    put_ticket(tx, c, Some(&old), &t)?;
    audit::record(tx, c, actor, now, audit_action, format!("ticket {id}"), log.text)?;
    Ok(t)
}

/// Which tickets a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Open tickets assigned to the caller, soonest due first.
    Mine,
    /// Open tickets nobody holds, soonest due first.
    Unassigned,
    /// Open tickets past their due time, most overdue first.
    Overdue,
    /// Every open ticket, soonest due first.
    Open,
    /// Every ticket, newest first.
    All,
}

impl Queue {
    pub const ALL: [Queue; 5] = [Queue::Open, Queue::Mine, Queue::Unassigned, Queue::Overdue, Queue::All];

    pub fn code(self) -> &'static str {
        match self {
            Queue::Mine => "my",
            Queue::Unassigned => "unassigned",
            Queue::Overdue => "overdue",
            Queue::Open => "open",
            Queue::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.code() == s.trim())
    }
}

fn load(tx: &impl Read, c: CompanyId, ids: impl IntoIterator<Item = TicketId>) -> Result<Vec<Ticket>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(t) = tx.get(TICKETS, (c, id))? {
            out.push(t);
        }
    }
    Ok(out)
}

/// A queue's tickets, at most `limit`, each read from its index: no queue scans tickets.
pub fn queue(tx: &impl Read, actor: &Actor, now: Ts, q: Queue, limit: usize) -> Result<Vec<Ticket>> {
    require_view(actor)?;
    let c = actor.company;
    let ids: Vec<TicketId> = match q {
        Queue::Mine | Queue::Unassigned => {
            let who = if q == Queue::Mine { actor.user.0 } else { 0 };
            tx.list(TICKET_QUEUE, (c, who, 0, TicketId::MIN), (c, who, u64::MAX, TicketId::MAX), limit)?
                .into_iter()
                .map(|(k, _)| k.3)
                .collect()
        }
        Queue::Overdue | Queue::Open => {
            let hi = if q == Queue::Overdue { ts_key(now).saturating_sub(1) } else { u64::MAX };
            tx.list(TICKET_DUE, (c, 0, TicketId::MIN), (c, hi, TicketId::MAX), limit)?.into_iter().map(|(k, _)| k.2).collect()
        }
        Queue::All => {
            let mut ids = Vec::new();
            tx.range(TICKETS, (c, TicketId::MIN), (c, TicketId::MAX), true, limit, |(_, id), _| {
                ids.push(id);
                Ok(true)
            })?;
            ids
        }
    };
    load(tx, c, ids)
}

/// A subscriber's tickets, newest first.
pub fn of_subscriber(tx: &impl Read, c: CompanyId, s: SubscriberId) -> Result<Vec<Ticket>> {
    let ids = tx.list(SUBSCRIBER_TICKETS, (c, s, TicketId::MIN), (c, s, TicketId::MAX), usize::MAX)?;
    let mut out = load(tx, c, ids.into_iter().map(|(k, _)| k.2))?;
    out.reverse();
    Ok(out)
}

/// The display name of a subscriber of the company (empty when there is none), for queue rows.
pub fn subscriber_name(tx: &impl Read, c: CompanyId, s: SubscriberId) -> Result<String> {
    Ok(tx.get(SUBSCRIBERS, (c, s))?.map(|x| x.display_name()).unwrap_or_default())
}

/// A ticket with its log, oldest row first.
pub struct TicketCard {
    pub ticket: Ticket,
    pub notes: Vec<TicketNote>,
}

pub fn card(tx: &impl Read, actor: &Actor, id: TicketId) -> Result<TicketCard> {
    require_view(actor)?;
    let c = actor.company;
    let ticket = tx.get(TICKETS, (c, id))?.ok_or(Error::NotFound)?;
    let notes = tx.list(TICKET_NOTES, (c, id, 0), (c, id, u64::MAX), usize::MAX)?.into_iter().map(|(_, n)| n).collect();
    Ok(TicketCard { ticket, notes })
}
