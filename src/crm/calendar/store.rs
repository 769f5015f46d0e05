//! Calendar tables, the one write path of an event (`put_event`, keeping its week indexes by
//! diff), and `verify`.
//!
//! Reads are by week: an event has one key in `WEEK_EVENTS` per UTC week (Monday-aligned)
//! that one of its occurrences touches — a recurring series one per week of its occurrences,
//! bounded because every series is (`recur::MAX_OCCURRENCES`) — and the same keys behind each
//! participant (`USER_WEEK_EVENTS`) and each resource (`RESOURCE_WEEK_EVENTS`). A week view
//! reads two buckets (the local week straddles two UTC weeks at most), a month view six: what
//! it reads does not grow with the company's history.

use std::collections::BTreeSet;

use super::model::{CalEvent, Occurrence, Resource};
use super::recur;
use crate::clock::Ts;
use crate::ids::{CalEventId, ClientId, CompanyId, ResourceId, UserId};
use crate::storage::{OwnedKey, ReadTx, StorageError, Table, TableInfo, WriteTx};

pub const RESOURCES: Table<(CompanyId, ResourceId), Resource> = Table::new("company_resourceid_calresource");
pub const EVENTS: Table<(CompanyId, CalEventId), CalEvent> = Table::new("company_caleventid_calevent");
pub const WEEK_EVENTS: Table<(CompanyId, u64, CalEventId), u64> = Table::new("company_week_caleventid_unit");
pub const USER_WEEK_EVENTS: Table<(CompanyId, UserId, u64, CalEventId), u64> = Table::new("company_user_week_caleventid_unit");
pub const RESOURCE_WEEK_EVENTS: Table<(CompanyId, ResourceId, u64, CalEventId), u64> = Table::new("company_resource_week_caleventid_unit");
pub const CLIENT_EVENTS: Table<(CompanyId, ClientId, CalEventId), u64> = Table::new("company_client_caleventid_unit");

pub fn tables() -> Vec<TableInfo> {
    vec![
        RESOURCES.info("(CompanyId, ResourceId)", "calendar resources: rooms, chairs, equipment, vehicles; exclusive ones refuse overlaps"),
        EVENTS.info("(CompanyId, CalEventId)", "calendar events and recurring series, with their skipped occurrences"),
        WEEK_EVENTS.info("(CompanyId, UTC week, CalEventId)", "the events touching each week (index kept by put_event)"),
        USER_WEEK_EVENTS
            .info("(CompanyId, participant UserId, UTC week, CalEventId)", "a participant's events by week (index kept by put_event)"),
        RESOURCE_WEEK_EVENTS.info("(CompanyId, ResourceId, UTC week, CalEventId)", "a resource's events by week (index kept by put_event)"),
        CLIENT_EVENTS.info("(CompanyId, ClientId, CalEventId)", "a client's calendar events (index kept by put_event)"),
    ]
}

const WEEK_MS: i64 = 7 * Ts::MS_PER_DAY;
/// 1970-01-05, the first Monday after the epoch.
const MONDAY0_MS: i64 = 4 * Ts::MS_PER_DAY;

/// The UTC week an instant falls in.
pub fn week(t: Ts) -> u64 {
    u64::try_from((t.0 - MONDAY0_MS).div_euclid(WEEK_MS)).unwrap_or(0)
}

/// Every occurrence of an event, skipped ones included (the index spans them all, so skipping
/// one never moves a key).
pub fn occurrences(e: &CalEvent) -> Vec<Occurrence> {
    let dur = e.end.0 - e.start.0;
    let starts = match &e.recurrence {
        None => vec![e.start],
        Some(r) => recur::all_starts(e.start, r, &e.zone).unwrap_or_else(|_| vec![e.start]),
    };
    starts.into_iter().map(|s| Occurrence { event: e.id, start: s, end: s.plus_ms(dur) }).collect()
}

/// The weeks an event's occurrences touch.
pub fn weeks(e: &CalEvent) -> BTreeSet<u64> {
    let mut out = BTreeSet::new();
    for o in occurrences(e) {
        out.extend(week(o.start)..=week(o.end.plus_ms(-1).max(o.start)));
    }
    out
}

/// The one write path of an event: the record, its week keys (company, participants,
/// resources) and the client index, moved by diff.
pub fn put_event(tx: &mut WriteTx, c: CompanyId, old: Option<&CalEvent>, new: &CalEvent) -> Result<(), StorageError> {
    let new_weeks = weeks(new);
    if let Some(o) = old {
        let old_weeks = weeks(o);
        let mut t = tx.open(WEEK_EVENTS)?;
        for w in old_weeks.difference(&new_weeks) {
            t.remove((c, *w, o.id))?;
        }
        drop(t);
        let mut t = tx.open(USER_WEEK_EVENTS)?;
        for u in &o.participants {
            for w in &old_weeks {
                if !(new.participants.contains(u) && new_weeks.contains(w)) {
                    t.remove((c, *u, *w, o.id))?;
                }
            }
        }
        drop(t);
        let mut t = tx.open(RESOURCE_WEEK_EVENTS)?;
        for r in &o.resources {
            for w in &old_weeks {
                if !(new.resources.contains(r) && new_weeks.contains(w)) {
                    t.remove((c, *r, *w, o.id))?;
                }
            }
        }
        drop(t);
        if let Some(client) = o.client
            && o.client != new.client
        {
            tx.remove(CLIENT_EVENTS, (c, client, o.id))?;
        }
    }
    let mut t = tx.open(WEEK_EVENTS)?;
    for w in &new_weeks {
        t.insert((c, *w, new.id), &0)?;
    }
    drop(t);
    let mut t = tx.open(USER_WEEK_EVENTS)?;
    for u in &new.participants {
        for w in &new_weeks {
            t.insert((c, *u, *w, new.id), &0)?;
        }
    }
    drop(t);
    let mut t = tx.open(RESOURCE_WEEK_EVENTS)?;
    for r in &new.resources {
        for w in &new_weeks {
            t.insert((c, *r, *w, new.id), &0)?;
        }
    }
    drop(t);
    if let Some(client) = new.client {
        tx.insert(CLIENT_EVENTS, (c, client, new.id), &0)?;
    }
    tx.insert(EVENTS, (c, new.id), new)
}

/// Recomputes every calendar index from the events and lists each difference; every event's
/// resources exist in its company.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (c0, cmax) = (CompanyId::MIN, CompanyId::MAX);
    let (mut by_week, mut by_user, mut by_resource, mut by_client) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    tx.range(EVENTS, (c0, CalEventId::MIN), (cmax, CalEventId::MAX), false, usize::MAX, |(c, id), e| {
        for w in weeks(&e) {
            by_week.insert((c, w, id));
            by_user.extend(e.participants.iter().map(|u| (c, *u, w, id)));
            by_resource.extend(e.resources.iter().map(|r| (c, *r, w, id)));
        }
        if let Some(client) = e.client {
            by_client.insert((c, client, id));
        }
        for r in &e.resources {
            if tx.get(RESOURCES, (c, *r))?.is_none() {
                problems.push(format!("calendar event {id} (company {c}): resource {r} does not exist"));
            }
        }
        Ok(true)
    })?;
    for k in by_week.symmetric_difference(&stored(tx, WEEK_EVENTS, (c0, 0, CalEventId::MIN), (cmax, u64::MAX, CalEventId::MAX))?) {
        problems.push(format!("calendar week index disagrees with events at company {} week {} event {}", k.0, k.1, k.2));
    }
    let (lo, hi) = ((c0, UserId::MIN, 0, CalEventId::MIN), (cmax, UserId::MAX, u64::MAX, CalEventId::MAX));
    for k in by_user.symmetric_difference(&stored(tx, USER_WEEK_EVENTS, lo, hi)?) {
        problems.push(format!("calendar participant index disagrees with events at company {} user {} event {}", k.0, k.1, k.3));
    }
    let (lo, hi) = ((c0, ResourceId::MIN, 0, CalEventId::MIN), (cmax, ResourceId::MAX, u64::MAX, CalEventId::MAX));
    for k in by_resource.symmetric_difference(&stored(tx, RESOURCE_WEEK_EVENTS, lo, hi)?) {
        problems.push(format!("calendar resource index disagrees with events at company {} resource {} event {}", k.0, k.1, k.3));
    }
    let (lo, hi) = ((c0, ClientId::MIN, CalEventId::MIN), (cmax, ClientId::MAX, CalEventId::MAX));
    for k in by_client.symmetric_difference(&stored(tx, CLIENT_EVENTS, lo, hi)?) {
        problems.push(format!("calendar client index disagrees with events at company {} client {} event {}", k.0, k.1, k.2));
    }
    Ok(problems)
}

/// Every key of an index table between `lo` and `hi`.
fn stored<K: OwnedKey + Ord>(tx: &ReadTx, table: Table<K, u64>, lo: K, hi: K) -> Result<BTreeSet<K>, StorageError> {
    let mut out = BTreeSet::new();
    tx.range(table, lo, hi, false, usize::MAX, |k, _| {
        out.insert(k);
        Ok(true)
    })?;
    Ok(out)
}
