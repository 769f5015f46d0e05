//! Reading the calendar: the day, week and month views of a company, a user or a resource,
//! with conflicts marked, and a client's events.

use super::*;

/// Whose events a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everyone's (with `crm_all_deals`; otherwise the actor's own).
    Company,
    User(UserId),
    Resource(ResourceId),
}

/// The scope a view asks for: `user` ("me" or an id) or `resource`, else the company's.
pub fn scope(user: &str, resource: Option<u64>, me: UserId) -> Result<Scope> {
    match (user.trim(), resource) {
        ("", None) => Ok(Scope::Company),
        ("", Some(r)) => Ok(Scope::Resource(ResourceId(r))),
        (_, Some(_)) => Err(Error::BadRequest { code: "bad_scope", detail: "ask for a user or a resource, not both".into() }),
        ("me", None) => Ok(Scope::User(me)),
        (u, None) => u
            .parse()
            .map(|u| Scope::User(UserId(u)))
            .map_err(|_| Error::BadRequest { code: "bad_user", detail: "user is me or an id".into() }),
    }
}

/// How much time a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        match s.trim() {
            "day" => Some(Period::Day),
            "" | "week" => Some(Period::Week),
            "month" => Some(Period::Month),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
        }
    }
}

/// One occurrence in a view.
#[derive(Debug, Clone)]
pub struct Item {
    pub event: std::sync::Arc<CalEvent>,
    pub start: Ts,
    pub end: Ts,
    /// It overlaps another shown occurrence sharing a participant or a resource.
    pub conflict: bool,
}

#[derive(Debug, Clone)]
pub struct View {
    /// The local dates shown, first to last.
    pub days: Vec<Date>,
    pub from: Ts,
    pub to: Ts,
    /// The dates of the previous and next view.
    pub prev: Date,
    pub next: Date,
    pub items: Vec<Item>,
}

fn day_start(d: Date, z: &jiff::tz::TimeZone) -> Ts {
    recur::instant(d.at(0, 0, 0, 0), z).unwrap_or(Ts(0))
}

fn monday(d: Date) -> Date {
    d.checked_sub(jiff::Span::new().days(i64::from(recur::weekday(d)))).unwrap_or(d)
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(jiff::Span::new().days(n)).unwrap_or(d)
}

/// Parses a view's date ("" is today in the company's zone); a bad one is a 400.
pub fn view_date(raw: &str, now: Ts, tz: &str) -> Result<Date> {
    match raw.trim() {
        "" => Ok(recur::local(now, &recur::zone(tz)).date()),
        s => s.parse().map_err(|_| Error::BadRequest { code: "bad_date", detail: "date is YYYY-MM-DD".into() }),
    }
}

/// Marks every pair of occurrences that overlap and share a participant or a resource
/// (cancelled events take no time). `items` sorted by start.
fn mark_conflicts(items: &mut [Item]) {
    for i in 0..items.len() {
        if items[i].event.status == EventStatus::Cancelled {
            continue;
        }
        for j in i + 1..items.len() {
            if items[j].start >= items[i].end {
                break;
            }
            let (a, b) = (&items[i].event, &items[j].event);
            if b.status == EventStatus::Cancelled || a.id == b.id {
                continue;
            }
            let shared = a.participants.iter().any(|u| b.participants.contains(u)) || a.resources.iter().any(|r| b.resources.contains(r));
            if shared {
                items[i].conflict = true;
                items[j].conflict = true;
            }
        }
    }
}

/// A day, week (Monday first) or month (whole weeks) of occurrences, read from the week
/// indexes: only the weeks shown are read.
pub fn view(tx: &impl Read, actor: &Actor, scope: Scope, period: Period, date: Date) -> Result<View> {
    require_calendar(actor)?;
    let c = actor.company;
    let all = deals::sees_all(actor);
    let tz = zone_of(tx, c)?;
    let z = recur::zone(&tz);
    let (first, last, prev, next) = match period {
        Period::Day => (date, date, add_days(date, -1), add_days(date, 1)),
        Period::Week => {
            let m = monday(date);
            (m, add_days(m, 6), add_days(m, -7), add_days(m, 7))
        }
        Period::Month => {
            let m1 = date.first_of_month();
            let last_day = date.last_of_month();
            let prev = m1.checked_sub(jiff::Span::new().months(1)).unwrap_or(m1);
            let next = m1.checked_add(jiff::Span::new().months(1)).unwrap_or(m1);
            (monday(m1), add_days(monday(last_day), 6), prev, next)
        }
    };
    let (from, to) = (day_start(first, &z), day_start(add_days(last, 1), &z));
    let (w0, w1) = (store::week(from), store::week(to.plus_ms(-1)));
    let mut ids = BTreeSet::new();
    match scope {
        Scope::Company if all => tx.range(WEEK_EVENTS, (c, w0, CalEventId::MIN), (c, w1, CalEventId::MAX), false, usize::MAX, |k, _| {
            ids.insert(k.2);
            Ok(true)
        })?,
        Scope::Company => {
            let u = actor.user;
            tx.range(USER_WEEK_EVENTS, (c, u, w0, CalEventId::MIN), (c, u, w1, CalEventId::MAX), false, usize::MAX, |k, _| {
                ids.insert(k.3);
                Ok(true)
            })?
        }
        Scope::User(u) => {
            if u != actor.user && !all {
                return Err(Error::Forbidden { permission: "crm_all_deals" });
            }
            crate::tenancy::query::user(tx, c, u)?;
            tx.range(USER_WEEK_EVENTS, (c, u, w0, CalEventId::MIN), (c, u, w1, CalEventId::MAX), false, usize::MAX, |k, _| {
                ids.insert(k.3);
                Ok(true)
            })?
        }
        Scope::Resource(r) => {
            tx.get(RESOURCES, (c, r))?.ok_or(Error::NotFound)?;
            tx.range(RESOURCE_WEEK_EVENTS, (c, r, w0, CalEventId::MIN), (c, r, w1, CalEventId::MAX), false, usize::MAX, |k, _| {
                ids.insert(k.3);
                Ok(true)
            })?
        }
    }
    let mut items = Vec::new();
    for id in ids {
        let Some(e) = tx.get(EVENTS, (c, id))? else { continue };
        if !sees(actor, &e) {
            continue;
        }
        let occ = occurrences_between(&e, from, to);
        if occ.is_empty() {
            continue;
        }
        let e = std::sync::Arc::new(e);
        items.extend(occ.into_iter().map(|o| Item { event: e.clone(), start: o.start, end: o.end, conflict: false }));
    }
    items.sort_by_key(|i| (i.start, i.event.id));
    mark_conflicts(&mut items);
    let days = (0..42).map_while(|n| first.checked_add(jiff::Span::new().days(n)).ok()).take_while(|d| *d <= last).collect();
    Ok(View { days, from, to, prev, next, items })
}

/// A client's events, newest first, for the client card.
pub fn of_client(tx: &impl Read, actor: &Actor, client: ClientId, limit: usize) -> Result<Vec<CalEvent>> {
    require_calendar(actor)?;
    client_of(tx, actor, client)?;
    let c = actor.company;
    let mut ids = Vec::new();
    tx.range(CLIENT_EVENTS, (c, client, CalEventId::MIN), (c, client, CalEventId::MAX), true, usize::MAX, |k, _| {
        ids.push(k.2);
        Ok(true)
    })?;
    let mut out = Vec::new();
    for id in ids {
        if out.len() >= limit {
            break;
        }
        if let Some(e) = tx.get(EVENTS, (c, id))?
            && sees(actor, &e)
        {
            out.push(e);
        }
    }
    Ok(out)
}

/// The users' names of a company, for pages and conflicts.
pub fn names(tx: &impl Read, c: CompanyId) -> Result<BTreeMap<UserId, String>> {
    crate::tenancy::query::user_names(tx, c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: u64, start: i64, end: i64, users: &[u64], resources: &[u64], status: EventStatus) -> Item {
        let e = CalEvent {
            id: CalEventId(id),
            title: format!("e{id}"),
            kind: EventKind::Meeting,
            status,
            start: Ts(start),
            end: Ts(end),
            all_day: false,
            zone: "Asia/Bishkek".into(),
            participants: users.iter().map(|u| UserId(*u)).collect(),
            resources: resources.iter().map(|r| ResourceId(*r)).collect(),
            client: None,
            deal: None,
            notes: String::new(),
            recurrence: None,
            skipped: Vec::new(),
            last_end: Ts(end),
            detached: None,
            created: Ts(0),
            created_by: UserId(1),
            updated: Ts(0),
        };
        Item { event: std::sync::Arc::new(e), start: Ts(start), end: Ts(end), conflict: false }
    }

    #[test]
    fn conflicts_need_overlap_and_something_shared() {
        let mut items = vec![
            ev(1, 0, 10, &[1], &[], EventStatus::Planned),
            // Shares user 1 and overlaps 1.
            ev(2, 5, 15, &[1, 2], &[], EventStatus::Planned),
            // Overlaps 2 but shares nothing.
            ev(3, 6, 8, &[3], &[7], EventStatus::Planned),
            // Touches 2's end: no overlap.
            ev(4, 15, 20, &[2], &[], EventStatus::Planned),
            // Shares resource 7 with 3 but is cancelled.
            ev(5, 6, 9, &[4], &[7], EventStatus::Cancelled),
        ];
        mark_conflicts(&mut items);
        let marked: Vec<bool> = items.iter().map(|i| i.conflict).collect();
        assert_eq!(marked, [true, true, false, false, false]);
    }
}
