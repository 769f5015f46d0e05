//! Tasks and activities (call, meeting, message, to-do): create and edit, the status machine
//! pending → in_progress → done (done is final), the "my", "overdue" and "today" lists and
//! the reminders (a user's open tasks due within the next hour or overdue), all read from the
//! open-task indexes by due time.

use super::model::{Event, EventKind, Task, TaskKind, TaskStatus};
use super::store::{self, DEAL_TASKS, MY_TASKS, OPEN_TASKS, TASKS};
use super::{deals, require_crm};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CrmDealId, TaskId, UserId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{parse_name, parse_optional_text};
use crate::tenancy::perms::Perm;

pub fn require_tasks(actor: &Actor) -> Result<()> {
    require_crm(actor)?;
    actor.require(Perm::CRM_TASKS)
}

/// A task is the actor's when they are its assignee or its author; everyone's deals' holder
/// sees every task.
fn require_visible(actor: &Actor, t: &Task) -> Result<()> {
    if deals::sees_all(actor) || t.assignee == actor.user || t.created_by == actor.user {
        Ok(())
    } else {
        Err(Error::Forbidden { permission: "crm_all_deals" })
    }
}

#[derive(Debug, Clone, Default)]
pub struct TaskDraft {
    pub kind: String,
    pub title: String,
    pub notes: String,
    /// "YYYY-MM-DDTHH:MM" (local) or "YYYY-MM-DD" (start of the day).
    pub due: String,
    /// None: the actor (on create) or unchanged.
    pub assignee: Option<u64>,
    pub client: Option<u64>,
    pub deal: Option<u64>,
}

/// Parses a local due time in the company's zone.
pub fn parse_due(raw: &str, tz: &str) -> std::result::Result<Ts, FieldError> {
    let bad = || FieldError::new("due", "due", "Срок в виде ГГГГ-ММ-ДД ЧЧ:ММ", "Due as YYYY-MM-DD HH:MM");
    let raw = raw.trim().replace(' ', "T");
    if raw.is_empty() {
        return Err(FieldError::required("due"));
    }
    if let Ok(dt) = raw.parse::<jiff::civil::DateTime>() {
        let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
        return dt.to_zoned_datetime(zone).map(|z| Ts(z.timestamp().as_millisecond())).map_err(|_| bad());
    }
    Ts::parse_date(&raw, tz).ok_or_else(bad)
}

fn event(tx: &mut WriteTx, actor: &Actor, now: Ts, t: &Task, kind: EventKind) -> Result<()> {
    if let Some(client) = t.client {
        let e = Event { kind, user: actor.user, deal: t.deal, task: Some(t.id), contact: None, text: t.title.clone() };
        store::add_event(tx, actor.company, client, now, &e)?;
    }
    Ok(())
}

/// Creates (`id` = None) or edits a task. A deal link must be one the actor may see; the
/// task's client defaults to the deal's.
pub fn save_task(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<TaskId>, d: &TaskDraft) -> Result<Task> {
    require_tasks(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) => {
            let o = tx.get(TASKS, (c, id))?.ok_or(Error::NotFound)?;
            require_visible(actor, &o)?;
            if o.status == TaskStatus::Done {
                return Err(Error::refused("task_done", "Задача выполнена: её нельзя менять", "The task is done: it cannot change"));
            }
            Some(o)
        }
        None => None,
    };
    let tz = crate::tenancy::query::company(tx, c)?.timezone;
    let mut p = Problems::default();
    let kind = TaskKind::parse(&d.kind);
    if kind.is_none() {
        p.push(FieldError::new("kind", "task_kind", "Вид: call, meeting, message или todo", "Kind: call, meeting, message or todo"));
    }
    let title = p.take(parse_name("title", &d.title, 200));
    let notes = p.take(parse_optional_text("notes", &d.notes, 2000)).unwrap_or_default();
    let due = p.take(parse_due(&d.due, &tz));
    let (deal, client) = super::links(tx, actor, &mut p, d.deal, d.client)?;
    let assignee = match d.assignee.map(UserId) {
        None => old.as_ref().map_or(actor.user, |o| o.assignee),
        Some(u) if u == actor.user => u,
        Some(u) => match crate::tenancy::query::user(tx, c, u) {
            Ok(user) if user.active => u,
            Ok(_) | Err(Error::NotFound) => {
                p.push(FieldError::new("assignee", "unknown_user", "Нет такого сотрудника", "No such employee"));
                actor.user
            }
            Err(e) => return Err(e),
        },
    };
    p.finish()?;
    let (Some(kind), Some(title), Some(due)) = (kind, title, due) else {
        return Err(Error::Internal("task draft parsed with problems".into()));
    };
    let new = Task {
        id: match id {
            Some(id) => id,
            None => TaskId(tx.next_id()?),
        },
        kind,
        title,
        notes,
        status: old.as_ref().map_or(TaskStatus::Pending, |o| o.status),
        due,
        assignee,
        client,
        deal,
        created: old.as_ref().map_or(now, |o| o.created),
        created_by: old.as_ref().map_or(actor.user, |o| o.created_by),
        done_at: None,
    };
    store::put_task(tx, c, old.as_ref(), &new)?;
    if old.is_none() {
        event(tx, actor, now, &new, EventKind::TaskCreated)?;
    }
    audit::record(
        tx,
        c,
        actor,
        now,
        if old.is_some() { "crm.task.update" } else { "crm.task.create" },
        format!("task:{}", new.id),
        new.title.clone(),
    )?;
    Ok(new)
}

/// Moves a task along pending → in_progress → done; anything else is refused.
pub fn set_status(tx: &mut WriteTx, actor: &Actor, now: Ts, id: TaskId, to: TaskStatus) -> Result<Task> {
    require_tasks(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = tx.get(TASKS, (c, id))?.ok_or(Error::NotFound)?;
    require_visible(actor, &old)?;
    if old.status == to {
        return Ok(old);
    }
    if !old.status.may_become(to) {
        return Err(Error::refused(
            "task_status",
            format!("Задачу нельзя перевести из «{}» в «{}»", old.status.code(), to.code()),
            format!("A task cannot go from {} to {}", old.status.code(), to.code()),
        ));
    }
    let new = Task { status: to, done_at: (to == TaskStatus::Done).then_some(now), ..old.clone() };
    store::put_task(tx, c, Some(&old), &new)?;
    event(tx, actor, now, &new, if to == TaskStatus::Done { EventKind::TaskDone } else { EventKind::TaskStarted })?;
    audit::record(tx, c, actor, now, &format!("crm.task.{}", to.code()), format!("task:{id}"), new.title.clone())?;
    Ok(new)
}

pub fn task(tx: &impl Read, actor: &Actor, id: TaskId) -> Result<Task> {
    require_tasks(actor)?;
    let t = tx.get(TASKS, (actor.company, id))?.ok_or(Error::NotFound)?;
    require_visible(actor, &t)?;
    Ok(t)
}

/// Which open tasks a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskList {
    /// The actor's open tasks by due time.
    Mine,
    /// Open tasks due before now (the actor's; everyone's with `crm_all_deals`).
    Overdue,
    /// Open tasks due today, local time.
    Today,
    /// Every open task (needs `crm_all_deals`).
    All,
}

impl TaskList {
    pub fn parse(s: &str) -> Option<TaskList> {
        match s.trim() {
            "" | "my" => Some(TaskList::Mine),
            "overdue" => Some(TaskList::Overdue),
            "today" => Some(TaskList::Today),
            "all" => Some(TaskList::All),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            TaskList::Mine => "my",
            TaskList::Overdue => "overdue",
            TaskList::Today => "today",
            TaskList::All => "all",
        }
    }
}

fn ms(t: Ts) -> u64 {
    u64::try_from(t.0).unwrap_or(0)
}

/// Open tasks with due in `lo..=hi`, the actor's own or (with `crm_all_deals` and `everyone`)
/// the company's, by due time.
fn open_between(tx: &impl Read, actor: &Actor, lo: u64, hi: u64, everyone: bool, limit: usize) -> Result<Vec<Task>> {
    let c = actor.company;
    let mut ids = Vec::new();
    if everyone && deals::sees_all(actor) {
        tx.range(OPEN_TASKS, (c, lo, TaskId::MIN), (c, hi, TaskId::MAX), false, limit, |k, _| {
            ids.push(k.2);
            Ok(true)
        })?;
    } else {
        tx.range(MY_TASKS, (c, actor.user, lo, TaskId::MIN), (c, actor.user, hi, TaskId::MAX), false, limit, |k, _| {
            ids.push(k.3);
            Ok(true)
        })?;
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(t) = tx.get(TASKS, (c, id))? {
            out.push(t);
        }
    }
    Ok(out)
}

pub fn list(tx: &impl Read, actor: &Actor, which: TaskList, now: Ts, limit: usize) -> Result<Vec<Task>> {
    require_tasks(actor)?;
    let limit = limit.clamp(1, 500);
    match which {
        TaskList::Mine => open_between(tx, actor, 0, u64::MAX, false, limit),
        TaskList::Overdue => open_between(tx, actor, 0, ms(now).saturating_sub(1), true, limit),
        TaskList::Today => {
            let tz = crate::tenancy::query::company(tx, actor.company)?.timezone;
            let start = Ts::parse_date(&now.date_local(&tz), &tz).unwrap_or(now);
            open_between(tx, actor, ms(start), ms(start.plus_days(1)).saturating_sub(1), true, limit)
        }
        TaskList::All => {
            if !deals::sees_all(actor) {
                return Err(Error::Forbidden { permission: "crm_all_deals" });
            }
            open_between(tx, actor, 0, u64::MAX, true, limit)
        }
    }
}

/// How far ahead a reminder looks.
pub const REMINDER_AHEAD_MS: i64 = 60 * 60 * 1000;

/// The actor's open tasks due within the next hour or already overdue, soonest first. Empty
/// (not an error) for users without the CRM, so the shell can always ask.
pub fn reminders(tx: &impl Read, actor: &Actor, now: Ts, limit: usize) -> Result<Vec<Task>> {
    if require_tasks(actor).is_err() {
        return Ok(Vec::new());
    }
    open_between(tx, actor, 0, ms(now.plus_ms(REMINDER_AHEAD_MS)), false, limit)
}

/// The tasks of a deal (open and done), newest first.
pub fn of_deal(tx: &impl Read, actor: &Actor, deal: CrmDealId) -> Result<Vec<Task>> {
    require_tasks(actor)?;
    let c = actor.company;
    let mut out = Vec::new();
    for ((_, _, id), _) in tx.list(DEAL_TASKS, (c, deal, TaskId::MIN), (c, deal, TaskId::MAX), 200)? {
        if let Some(t) = tx.get(TASKS, (c, id))? {
            out.push(t);
        }
    }
    out.reverse();
    Ok(out)
}
