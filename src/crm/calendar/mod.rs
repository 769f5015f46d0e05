//! The calendar (issue 17): resources (rooms, chairs, equipment, vehicles) and events with
//! participants, resources, an optional client and deal, and recurrence (daily, weekly on
//! chosen weekdays, monthly by day; always bounded, expanded at read time for the asked
//! range). "This occurrence" is edited or cancelled as an exception: the series skips its
//! original start, and an edit becomes an event of its own. The verticals put their
//! appointments, lessons and bookings here as events of their kind on their resources.
//!
//! Conflicts: an occurrence that overlaps another (start < other end and end > other start,
//! neither cancelled) sharing a participant or a resource. Saving lists them as warnings;
//! on an exclusive resource it is refused (409 `resource_busy`). Views mark them.
//!
//! Rights, as tasks: the CRM and `crm_tasks` to use the calendar; `crm_settings` to manage
//! resources; without `crm_all_deals` a user sees and edits only the events they take part in
//! or made, and other people's events show in conflicts as "busy", without a title.

pub mod model;
pub mod recur;
pub mod store;
mod views;

pub use views::{Item, Period, Scope, View, names, of_client, scope, view, view_date};

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::{Date, DateTime};

use super::model::{Event as TimelineEvent, EventKind as TimelineKind};
use super::{client_of, deals, tasks};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{BranchId, CalEventId, ClientId, CompanyId, ResourceId, UserId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{parse_name, parse_optional_text};
use crate::tenancy::perms::Perm;
use model::{CalEvent, EventKind, EventStatus, Freq, Occurrence, Recurrence, Resource, ResourceKind};
use store::{CLIENT_EVENTS, EVENTS, RESOURCE_WEEK_EVENTS, RESOURCES, USER_WEEK_EVENTS, WEEK_EVENTS};

/// The longest single event (a month's room booking fits).
pub const MAX_DURATION_DAYS: i64 = 366;
/// Conflicts listed on save at the most.
pub const MAX_CONFLICTS: usize = 50;

pub fn require_calendar(actor: &Actor) -> Result<()> {
    tasks::require_tasks(actor)
}

fn require_resource_admin(actor: &Actor) -> Result<()> {
    require_calendar(actor)?;
    actor.require(Perm::CRM_SETTINGS)
}

/// Whether the actor sees an event's details: a participant, its author, or `crm_all_deals`.
pub fn sees(actor: &Actor, e: &CalEvent) -> bool {
    deals::sees_all(actor) || e.participants.contains(&actor.user) || e.created_by == actor.user
}

fn zone_of(tx: &impl Read, c: CompanyId) -> Result<String> {
    Ok(crate::tenancy::query::company(tx, c)?.timezone)
}

// ---- resources ----

#[derive(Debug, Clone, Default)]
pub struct ResourceDraft {
    pub name: String,
    pub kind: String,
    pub active: bool,
    pub exclusive: bool,
    pub branch: Option<u64>,
}

/// The company's resources by name; inactive ones only when asked.
pub fn resources(tx: &impl Read, actor: &Actor, inactive: bool) -> Result<Vec<Resource>> {
    require_calendar(actor)?;
    let c = actor.company;
    let mut out: Vec<Resource> = Vec::new();
    tx.range(RESOURCES, (c, ResourceId::MIN), (c, ResourceId::MAX), false, usize::MAX, |_, r| {
        if inactive || r.active {
            out.push(r);
        }
        Ok(true)
    })?;
    out.sort_by_key(|a| a.name.to_lowercase());
    Ok(out)
}

pub fn resource(tx: &impl Read, actor: &Actor, id: ResourceId) -> Result<Resource> {
    require_calendar(actor)?;
    tx.get(RESOURCES, (actor.company, id))?.ok_or(Error::NotFound)
}

pub fn save_resource(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<ResourceId>, d: &ResourceDraft) -> Result<Resource> {
    require_resource_admin(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) => Some(tx.get(RESOURCES, (c, id))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 120));
    let kind = ResourceKind::parse(if d.kind.trim().is_empty() { "other" } else { &d.kind });
    if kind.is_none() {
        p.push(FieldError::new(
            "kind",
            "resource_kind",
            "Вид: room, chair, equipment, vehicle или other",
            "Kind: room, chair, equipment, vehicle or other",
        ));
    }
    let branch = match d.branch {
        Some(b) => match crate::tenancy::query::branch(tx, c, BranchId(b)) {
            Ok(b) => Some(b.id),
            Err(Error::NotFound) => {
                p.push(FieldError::new("branch", "unknown_branch", "Нет такого филиала", "No such branch"));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    p.finish()?;
    let (Some(name), Some(kind)) = (name, kind) else {
        return Err(Error::Internal("resource draft parsed with problems".into()));
    };
    let new = Resource {
        id: match id {
            Some(id) => id,
            None => ResourceId(tx.next_id()?),
        },
        name,
        kind,
        active: d.active,
        exclusive: d.exclusive,
        branch,
        created: old.as_ref().map_or(now, |o| o.created),
    };
    tx.insert(RESOURCES, (c, new.id), &new)?;
    let action = if old.is_some() { "crm.resource.update" } else { "crm.resource.create" };
    audit::record(tx, c, actor, now, action, format!("resource:{}", new.id), new.name.clone())?;
    Ok(new)
}

// ---- events: parsing ----

#[derive(Debug, Clone, Default)]
pub struct RepeatDraft {
    /// "" (no repeat), daily, weekly, monthly.
    pub freq: String,
    pub interval: Option<u64>,
    /// mon … sun (or 1 … 7).
    pub weekdays: Vec<String>,
    /// "YYYY-MM-DD", inclusive.
    pub until: String,
    pub count: Option<u64>,
}

#[derive(Debug, Clone, Default)]
pub struct EventDraft {
    pub title: String,
    pub kind: String,
    /// "" keeps the status (planned for a new event).
    pub status: String,
    /// Local "YYYY-MM-DDTHH:MM" (an all-day event: "YYYY-MM-DD").
    pub start: String,
    /// Local; "" is an hour after the start (an all-day event: the same day). All-day ends are
    /// inclusive dates.
    pub end: String,
    pub all_day: bool,
    /// Empty: the actor.
    pub participants: Vec<u64>,
    pub resources: Vec<u64>,
    pub client: Option<u64>,
    pub deal: Option<u64>,
    pub notes: String,
    pub repeat: RepeatDraft,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn parse_local(field: &str, raw: &str, all_day: bool, z: &jiff::tz::TimeZone) -> std::result::Result<DateTime, FieldError> {
    let bad = || FieldError::new(field, "datetime", "Время в виде ГГГГ-ММ-ДД ЧЧ:ММ", "Time as YYYY-MM-DD HH:MM");
    let raw = raw.trim().replace(' ', "T");
    if raw.is_empty() {
        return Err(FieldError::required(field));
    }
    let dt = match raw.parse::<DateTime>() {
        Ok(dt) => dt,
        Err(_) => raw.parse::<Date>().map_err(|_| bad())?.at(0, 0, 0, 0),
    };
    let dt = if all_day { dt.date().at(0, 0, 0, 0) } else { dt };
    recur::instant(dt, z).map(|_| dt).ok_or_else(bad)
}

/// Start and end instants of a draft, or its field problems.
fn parse_times(p: &mut Problems, d: &EventDraft, tz: &str) -> Option<(Ts, Ts)> {
    let z = recur::zone(tz);
    let start = p.take(parse_local("start", &d.start, d.all_day, &z));
    let end = match d.end.trim().is_empty() {
        true => None,
        false => Some(p.take(parse_local("end", &d.end, d.all_day, &z))?),
    };
    let start = start?;
    let next_day = |dt: DateTime| dt.date().tomorrow().ok().map(|x| x.at(0, 0, 0, 0));
    let end = match (end, d.all_day) {
        (None, true) => next_day(start),
        (None, false) => start.checked_add(jiff::Span::new().hours(1)).ok(),
        // An all-day end is an inclusive date: the event lasts until the next midnight.
        (Some(e), true) => next_day(e),
        (Some(e), false) => Some(e),
    };
    let Some((start, end)) = end.and_then(|e| Some((recur::instant(start, &z)?, recur::instant(e, &z)?))) else {
        p.push(FieldError::new("end", "datetime", "Время в виде ГГГГ-ММ-ДД ЧЧ:ММ", "Time as YYYY-MM-DD HH:MM"));
        return None;
    };
    if end <= start {
        p.push(FieldError::new("end", "end_before_start", "Конец должен быть позже начала", "The end must be after the start"));
        return None;
    }
    if end.0 - start.0 > MAX_DURATION_DAYS * Ts::MS_PER_DAY {
        p.push(FieldError::new("end", "too_long", "Событие не длиннее года", "An event lasts a year at most"));
        return None;
    }
    Some((start, end))
}

fn parse_repeat(p: &mut Problems, r: &RepeatDraft) -> Option<Option<Recurrence>> {
    let freq = match r.freq.trim() {
        "" | "none" => return Some(None),
        s => match Freq::parse(s) {
            Some(f) => f,
            None => {
                p.push(FieldError::new("repeat", "repeat", "Повтор: daily, weekly или monthly", "Repeat: daily, weekly or monthly"));
                return None;
            }
        },
    };
    let interval = r.interval.unwrap_or(1);
    if !(1..=99).contains(&interval) {
        p.push(FieldError::new("interval", "interval", "Интервал от 1 до 99", "Interval from 1 to 99"));
        return None;
    }
    let mut weekdays = 0u8;
    for w in &r.weekdays {
        let w = w.trim().to_lowercase();
        match WEEKDAYS.iter().position(|x| *x == w).or_else(|| w.parse::<usize>().ok().filter(|n| (1..=7).contains(n)).map(|n| n - 1)) {
            Some(i) => weekdays |= 1 << i,
            None => {
                p.push(FieldError::new("weekdays", "weekday", "Дни недели: mon … sun", "Weekdays: mon … sun"));
                return None;
            }
        }
    }
    let until = match r.until.trim() {
        "" => None,
        s => match s.parse::<Date>() {
            Ok(d) => Some(d.to_string()),
            Err(_) => {
                p.push(FieldError::new("until", "date", "Дата в виде ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"));
                return None;
            }
        },
    };
    let count = match r.count {
        None => None,
        Some(n) if (1..=recur::MAX_OCCURRENCES as u64).contains(&n) => u16::try_from(n).ok(),
        Some(_) => {
            p.push(FieldError::new("count", "too_many_occurrences", "Не больше 500 повторов", "At most 500 occurrences"));
            return None;
        }
    };
    if until.is_none() && count.is_none() {
        p.push(FieldError::new(
            "until",
            "repeat_end",
            "Укажите конец повтора: дату или число раз",
            "Give the repeat an end: a date or a count",
        ));
        return None;
    }
    Some(Some(Recurrence { freq, interval: u16::try_from(interval).unwrap_or(1), weekdays, until, count }))
}

// ---- events: conflicts ----

/// Another event overlapping one of ours, sharing participants or resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub event: CalEventId,
    /// Empty when the actor may not see the other event ("busy").
    pub title: String,
    pub start: Ts,
    pub end: Ts,
    pub users: Vec<UserId>,
    pub resources: Vec<ResourceId>,
}

/// The occurrences of `e` meeting `[lo, hi)`, skipped ones left out.
pub fn occurrences_between(e: &CalEvent, lo: Ts, hi: Ts) -> Vec<Occurrence> {
    let dur = e.end.0 - e.start.0;
    let starts = match &e.recurrence {
        None if e.start < hi && e.end > lo => vec![e.start],
        None => Vec::new(),
        Some(r) => recur::starts_between(e.start, dur, r, &e.zone, lo, hi),
    };
    starts.into_iter().filter(|s| !e.skipped.contains(s)).map(|s| Occurrence { event: e.id, start: s, end: s.plus_ms(dur) }).collect()
}

/// Whether `at` is the start of one of the series' live (not skipped) occurrences.
pub fn is_occurrence(e: &CalEvent, at: Ts) -> bool {
    !e.skipped.contains(&at) && store::occurrences(e).iter().any(|o| o.start == at)
}

fn live_occurrences(e: &CalEvent) -> Vec<Occurrence> {
    if e.status == EventStatus::Cancelled {
        return Vec::new();
    }
    store::occurrences(e).into_iter().filter(|o| !e.skipped.contains(&o.start)).collect()
}

/// The events overlapping `e`'s live occurrences on a shared participant or resource.
pub fn conflicts(tx: &impl Read, actor: &Actor, e: &CalEvent) -> Result<Vec<Conflict>> {
    let c = actor.company;
    let mine = live_occurrences(e);
    let (Some(lo), Some(hi)) = (mine.iter().map(|o| o.start).min(), mine.iter().map(|o| o.end).max()) else {
        return Ok(Vec::new());
    };
    let (w0, w1) = (store::week(lo), store::week(hi.plus_ms(-1)));
    let mut ids = BTreeSet::new();
    for u in &e.participants {
        tx.range(USER_WEEK_EVENTS, (c, *u, w0, CalEventId::MIN), (c, *u, w1, CalEventId::MAX), false, usize::MAX, |k, _| {
            ids.insert(k.3);
            Ok(true)
        })?;
    }
    for r in &e.resources {
        tx.range(RESOURCE_WEEK_EVENTS, (c, *r, w0, CalEventId::MIN), (c, *r, w1, CalEventId::MAX), false, usize::MAX, |k, _| {
            ids.insert(k.3);
            Ok(true)
        })?;
    }
    ids.remove(&e.id);
    let mut out = Vec::new();
    for id in ids {
        let Some(other) = tx.get(EVENTS, (c, id))? else { continue };
        if other.status == EventStatus::Cancelled {
            continue;
        }
        let users: Vec<UserId> = other.participants.iter().copied().filter(|u| e.participants.contains(u)).collect();
        let resources: Vec<ResourceId> = other.resources.iter().copied().filter(|r| e.resources.contains(r)).collect();
        if users.is_empty() && resources.is_empty() {
            continue;
        }
        for o in occurrences_between(&other, lo, hi) {
            if mine.iter().any(|m| m.start < o.end && m.end > o.start) {
                let title = if sees(actor, &other) { other.title.clone() } else { String::new() };
                out.push(Conflict { event: id, title, start: o.start, end: o.end, users: users.clone(), resources: resources.clone() });
                if out.len() >= MAX_CONFLICTS {
                    return Ok(out);
                }
            }
        }
    }
    out.sort_by_key(|x| (x.start, x.event));
    Ok(out)
}

/// Refuses a conflict on an exclusive resource.
fn refuse_exclusive(tx: &impl Read, c: CompanyId, found: &[Conflict], tz: &str) -> Result<()> {
    for x in found {
        for r in &x.resources {
            if let Some(res) = tx.get(RESOURCES, (c, *r))?
                && res.exclusive
            {
                let when = x.start.format_local(tz);
                return Err(Error::refused(
                    "resource_busy",
                    format!("«{}» занят в это время ({when})", res.name),
                    format!("{} is busy at that time ({when})", res.name),
                ));
            }
        }
    }
    Ok(())
}

// ---- events: writing ----

/// An event as saved, with the conflicts it has (warnings: none of them on an exclusive
/// resource, which refuses).
#[derive(Debug, Clone)]
pub struct Saved {
    pub event: CalEvent,
    pub conflicts: Vec<Conflict>,
}

fn visible(tx: &impl Read, actor: &Actor, id: CalEventId) -> Result<CalEvent> {
    let e = tx.get(EVENTS, (actor.company, id))?.ok_or(Error::NotFound)?;
    if sees(actor, &e) { Ok(e) } else { Err(Error::Forbidden { permission: "crm_all_deals" }) }
}

pub fn event(tx: &impl Read, actor: &Actor, id: CalEventId) -> Result<CalEvent> {
    require_calendar(actor)?;
    visible(tx, actor, id)
}

fn timeline(tx: &mut WriteTx, actor: &Actor, now: Ts, e: &CalEvent, kind: TimelineKind, at: Ts) -> Result<()> {
    if let Some(client) = e.client {
        let text = format!("{} · {}", e.title, at.format_local(&e.zone));
        let row = TimelineEvent { kind, user: actor.user, deal: e.deal, task: None, contact: None, text };
        super::store::add_event(tx, actor.company, client, now, &row)?;
    }
    Ok(())
}

/// Builds the event a draft describes over `old` (None: a new one), or the draft's problems.
fn build(tx: &mut WriteTx, actor: &Actor, now: Ts, old: Option<&CalEvent>, d: &EventDraft) -> Result<CalEvent> {
    let c = actor.company;
    let tz = old.map_or_else(|| zone_of(tx, c), |o| Ok(o.zone.clone()))?;
    let mut p = Problems::default();
    let title = p.take(parse_name("title", &d.title, 200));
    let kind = EventKind::parse(if d.kind.trim().is_empty() { "meeting" } else { &d.kind });
    if kind.is_none() {
        p.push(FieldError::new(
            "kind",
            "event_kind",
            "Вид: meeting, call, appointment, lesson, booking или other",
            "Kind: meeting, call, appointment, lesson, booking or other",
        ));
    }
    let status = match d.status.trim() {
        "" => Some(old.map_or(EventStatus::Planned, |o| o.status)),
        s => EventStatus::parse(s),
    };
    if status.is_none() {
        p.push(FieldError::new("status", "event_status", "Статус: planned, done или cancelled", "Status: planned, done or cancelled"));
    }
    let notes = p.take(parse_optional_text("notes", &d.notes, 2000)).unwrap_or_default();
    let times = parse_times(&mut p, d, &tz);
    let recurrence = parse_repeat(&mut p, &d.repeat);
    let mut participants: Vec<UserId> = Vec::new();
    for u in d.participants.iter().map(|u| UserId(*u)) {
        if participants.contains(&u) {
            continue;
        }
        match crate::tenancy::query::user(tx, c, u) {
            Ok(user) if user.active || old.is_some_and(|o| o.participants.contains(&u)) => participants.push(u),
            Ok(_) | Err(Error::NotFound) => {
                p.push(FieldError::new("participants", "unknown_user", "Нет такого сотрудника", "No such employee"))
            }
            Err(e) => return Err(e),
        }
    }
    if participants.is_empty() {
        participants.push(actor.user);
    }
    let mut resources: Vec<ResourceId> = Vec::new();
    for r in d.resources.iter().map(|r| ResourceId(*r)) {
        if resources.contains(&r) {
            continue;
        }
        match tx.get(RESOURCES, (c, r))? {
            Some(res) if res.active || old.is_some_and(|o| o.resources.contains(&r)) => resources.push(r),
            _ => p.push(FieldError::new("resources", "unknown_resource", "Нет такого ресурса", "No such resource")),
        }
    }
    if participants.len() > 50 || resources.len() > 20 {
        p.push(FieldError::new(
            "participants",
            "too_many",
            "Не больше 50 участников и 20 ресурсов",
            "At most 50 participants and 20 resources",
        ));
    }
    let (deal, client) = super::links(tx, actor, &mut p, d.deal, d.client)?;
    p.finish()?;
    let (Some(title), Some(kind), Some(status), Some((start, end)), Some(recurrence)) = (title, kind, status, times, recurrence) else {
        return Err(Error::Internal("event draft parsed with problems".into()));
    };
    let last_end = match &recurrence {
        None => end,
        Some(r) => match recur::all_starts(start, r, &tz) {
            Ok(starts) => starts.last().copied().unwrap_or(start).plus_ms(end.0 - start.0),
            Err(recur::Unbounded::TooMany) => {
                return Err(Error::field("count", "too_many_occurrences", "Не больше 500 повторов", "At most 500 occurrences"));
            }
            Err(recur::Unbounded::TooLong) => {
                return Err(Error::field("until", "repeat_too_long", "Повтор не дольше двух лет", "A repeat spans two years at most"));
            }
        },
    };
    // A series keeps the skipped starts that are still its occurrences.
    let skipped = match (old, &recurrence) {
        (Some(o), Some(r)) => {
            let starts = recur::all_starts(start, r, &tz).unwrap_or_default();
            o.skipped.iter().copied().filter(|s| starts.contains(s)).collect()
        }
        _ => Vec::new(),
    };
    Ok(CalEvent {
        id: match old {
            Some(o) => o.id,
            None => CalEventId(tx.next_id()?),
        },
        title,
        kind,
        status,
        start,
        end,
        all_day: d.all_day,
        zone: tz,
        participants,
        resources,
        client,
        deal,
        notes,
        recurrence,
        skipped,
        last_end,
        detached: old.and_then(|o| o.detached),
        created: old.map_or(now, |o| o.created),
        created_by: old.map_or(actor.user, |o| o.created_by),
        updated: now,
    })
}

/// Writes `new`, after checking its conflicts: refused on an exclusive resource, listed
/// otherwise.
fn commit(tx: &mut WriteTx, actor: &Actor, old: Option<&CalEvent>, new: CalEvent) -> Result<Saved> {
    let found = conflicts(tx, actor, &new)?;
    refuse_exclusive(tx, actor.company, &found, &new.zone)?;
    store::put_event(tx, actor.company, old, &new)?;
    Ok(Saved { event: new, conflicts: found })
}

/// Creates (`id` = None) or edits an event — for a series, the whole series.
pub fn save_event(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<CalEventId>, d: &EventDraft) -> Result<Saved> {
    require_calendar(actor)?;
    actor.require_writable()?;
    let old = match id {
        Some(id) => Some(visible(tx, actor, id)?),
        None => None,
    };
    let new = build(tx, actor, now, old.as_ref(), d)?;
    let saved = commit(tx, actor, old.as_ref(), new)?;
    let e = &saved.event;
    match (&old, e.status) {
        (None, _) => timeline(tx, actor, now, e, TimelineKind::CalendarPlanned, e.start)?,
        (Some(o), EventStatus::Done) if o.status != EventStatus::Done => timeline(tx, actor, now, e, TimelineKind::CalendarDone, e.start)?,
        (Some(o), EventStatus::Cancelled) if o.status != EventStatus::Cancelled => {
            timeline(tx, actor, now, e, TimelineKind::CalendarCancelled, e.start)?
        }
        _ => {}
    }
    let action = if old.is_some() { "crm.calendar.update" } else { "crm.calendar.create" };
    audit::record(tx, actor.company, actor, now, action, format!("calevent:{}", e.id), e.title.clone())?;
    Ok(saved)
}

/// The series `id` with the occurrence starting at `at` skipped; 404 when `at` is not one of
/// its live occurrences.
fn skip(tx: &mut WriteTx, actor: &Actor, now: Ts, id: CalEventId, at: Ts) -> Result<(CalEvent, CalEvent)> {
    require_calendar(actor)?;
    actor.require_writable()?;
    let old = visible(tx, actor, id)?;
    if old.recurrence.is_none() || !is_occurrence(&old, at) {
        return Err(Error::NotFound);
    }
    let mut new = old.clone();
    new.skipped.push(at);
    new.skipped.sort();
    new.updated = now;
    store::put_event(tx, actor.company, Some(&old), &new)?;
    Ok((old, new))
}

/// Cancels one occurrence of a series (the series skips it).
pub fn cancel_occurrence(tx: &mut WriteTx, actor: &Actor, now: Ts, id: CalEventId, at: Ts) -> Result<CalEvent> {
    let (_, series) = skip(tx, actor, now, id, at)?;
    timeline(tx, actor, now, &series, TimelineKind::CalendarCancelled, at)?;
    audit::record(tx, actor.company, actor, now, "crm.calendar.occurrence_cancel", format!("calevent:{id}"), at.rfc3339())?;
    Ok(series)
}

/// Edits one occurrence of a series: the series skips it and the draft (which may not
/// repeat) becomes an event of its own, detached from the series at `at`.
pub fn edit_occurrence(tx: &mut WriteTx, actor: &Actor, now: Ts, id: CalEventId, at: Ts, d: &EventDraft) -> Result<Saved> {
    if !d.repeat.freq.trim().is_empty() && d.repeat.freq.trim() != "none" {
        return Err(Error::field(
            "repeat",
            "occurrence_repeats",
            "Одно повторение не повторяется само",
            "A single occurrence does not repeat",
        ));
    }
    let (_, series) = skip(tx, actor, now, id, at)?;
    let mut new = build(tx, actor, now, None, d)?;
    new.zone = series.zone.clone();
    new.detached = Some((id, at));
    let saved = commit(tx, actor, None, new)?;
    audit::record(tx, actor.company, actor, now, "crm.calendar.occurrence_edit", format!("calevent:{id}"), saved.event.id.to_string())?;
    Ok(saved)
}
