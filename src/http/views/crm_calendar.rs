//! Calendar pages: the day / week / month view of the company, "my calendar" and a resource's
//! (`/crm/calendar`, prev / today / next, conflicts marked; days stack into a list on a
//! phone), the new-event form on it, the event page (`/crm/calendar/events/{id}`: the
//! conflicts, the whole series' form, and for a series "this occurrence" edited or cancelled),
//! the resources page (`/crm/calendar/resources`), and the client card's list of events.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use jiff::civil::Date;

use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::clock::Ts;
use crate::crm::calendar::model::{CalEvent, EventKind, EventStatus, Freq, ResourceKind};
use crate::crm::calendar::{self, Conflict, EventDraft, Period, RepeatDraft, ResourceDraft, Scope, recur};
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{CalEventId, ClientId, ResourceId};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/crm/calendar", get(calendar_page))
        .route("/crm/calendar/events", post(create_event))
        .route("/crm/calendar/events/{id}", get(event_page).post(save_event))
        .route("/crm/calendar/events/{id}/occurrences/{at}", post(save_occurrence))
        .route("/crm/calendar/events/{id}/occurrences/{at}/cancel", post(cancel_occurrence))
        .route("/crm/calendar/resources", get(resources_page).post(create_resource))
        .route("/crm/calendar/resources/{id}", post(save_resource))
}

const FLASHES: &[&str] = &["event_saved", "occurrence_cancelled", "resource_saved"];
const EVENT_FIELDS: &[&str] =
    &["title", "kind", "status", "start", "end", "participants", "resources", "client", "repeat", "interval", "until", "count"];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The values and choices of an event form (new, a whole series, or one occurrence).
pub struct EventForm {
    pub action: String,
    pub title: String,
    pub kinds: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub start: String,
    pub end: String,
    pub all_day: bool,
    pub users: Vec<Choice>,
    pub resources: Vec<Choice>,
    pub clients: Vec<Choice>,
    pub deal: String,
    pub notes: String,
    pub freqs: Vec<Choice>,
    pub interval: String,
    pub weekdays: Vec<Choice>,
    pub until: String,
    pub count: String,
    pub back: String,
}

fn choices<T: Copy + PartialEq>(lang: Lang, all: &[T], code: fn(T) -> &'static str, prefix: &str, chosen: Option<T>) -> Vec<Choice> {
    all.iter()
        .map(|k| Choice { value: code(*k).into(), label: lang.t(&format!("{prefix}{}", code(*k))).into(), selected: Some(*k) == chosen })
        .collect()
}

fn local_input(t: Ts, tz: &str, date_only: bool) -> String {
    let dt = recur::local(t, &recur::zone(tz));
    if date_only { dt.date().to_string() } else { dt.strftime("%Y-%m-%dT%H:%M").to_string() }
}

fn draft_of(f: &Fields) -> EventDraft {
    EventDraft {
        title: f.get("title"),
        kind: f.get("kind"),
        status: f.get("status"),
        start: f.get("start"),
        end: f.get("end"),
        all_day: f.has("all_day"),
        participants: f.ids("participants"),
        resources: f.ids("resources"),
        client: f.id("client"),
        deal: f.id("deal"),
        notes: f.get("notes"),
        repeat: RepeatDraft {
            freq: f.get("repeat"),
            interval: f.id("interval"),
            weekdays: f.all("weekdays"),
            until: f.get("until"),
            count: f.id("count"),
        },
    }
}

impl EventForm {
    /// A form filled from a draft (a new event, or a rejected post shown again).
    fn of(app: &App, ui: &Ui, action: String, back: String, d: &EventDraft) -> Result<EventForm> {
        let lang = ui.lang;
        let tx = app.db.read()?;
        let users = crate::tenancy::query::users(&tx, ui.actor().company)?
            .into_iter()
            .filter(|u| u.active)
            .map(|u| Choice { value: u.id.0.to_string(), selected: d.participants.contains(&u.id.0), label: u.name })
            .collect();
        let resources = calendar::resources(&tx, ui.actor(), false)?
            .into_iter()
            .map(|r| Choice { value: r.id.0.to_string(), selected: d.resources.contains(&r.id.0), label: r.name })
            .collect();
        let mut freqs =
            vec![Choice { value: String::new(), label: lang.t("calendar.repeat_none").into(), selected: d.repeat.freq.is_empty() }];
        freqs.extend(choices(lang, Freq::ALL, Freq::code, "calendar.freq_", Freq::parse(&d.repeat.freq)));
        let weekdays = WEEKDAYS
            .iter()
            .map(|w| Choice {
                value: (*w).into(),
                label: lang.t(&format!("calendar.wd_{w}")).into(),
                selected: d.repeat.weekdays.iter().any(|x| x == w),
            })
            .collect();
        Ok(EventForm {
            action,
            title: d.title.clone(),
            kinds: choices(lang, EventKind::ALL, EventKind::code, "calendar.kind_", EventKind::parse(&d.kind)),
            statuses: choices(lang, EventStatus::ALL, EventStatus::code, "calendar.status_", EventStatus::parse(&d.status)),
            start: d.start.clone(),
            end: d.end.clone(),
            all_day: d.all_day,
            users,
            resources,
            clients: super::crm::client_choices(app, ui, d.client.map(ClientId))?,
            deal: d.deal.map(|x| x.to_string()).unwrap_or_default(),
            notes: d.notes.clone(),
            freqs,
            interval: d.repeat.interval.map(|x| x.to_string()).unwrap_or_default(),
            weekdays,
            until: d.repeat.until.clone(),
            count: d.repeat.count.map(|x| x.to_string()).unwrap_or_default(),
            back,
        })
    }
}

/// The draft an existing event (or one occurrence of it, at `at`) shows in its form.
fn draft_from(e: &CalEvent, at: Option<Ts>) -> EventDraft {
    let start = at.unwrap_or(e.start);
    let end = start.plus_ms(e.end.0 - e.start.0);
    let shown_end = if e.all_day { end.plus_ms(-1) } else { end };
    let r = e.recurrence.as_ref().filter(|_| at.is_none());
    EventDraft {
        title: e.title.clone(),
        kind: e.kind.code().into(),
        status: e.status.code().into(),
        start: local_input(start, &e.zone, e.all_day),
        end: local_input(shown_end, &e.zone, e.all_day),
        all_day: e.all_day,
        participants: e.participants.iter().map(|u| u.0).collect(),
        resources: e.resources.iter().map(|r| r.0).collect(),
        client: e.client.map(|c| c.0),
        deal: e.deal.map(|d| d.0),
        notes: e.notes.clone(),
        repeat: RepeatDraft {
            freq: r.map(|r| r.freq.code().to_string()).unwrap_or_default(),
            interval: r.map(|r| u64::from(r.interval)),
            weekdays: r
                .map(|r| (0..7).filter(|i| r.weekdays & (1 << i) != 0).map(|i| WEEKDAYS[i].to_string()).collect())
                .unwrap_or_default(),
            until: r.and_then(|r| r.until.clone()).unwrap_or_default(),
            count: r.and_then(|r| r.count.map(u64::from)),
        },
    }
}

// ---- the calendar ----

pub struct ItemRow {
    pub href: String,
    pub time: String,
    pub title: String,
    pub kind: String,
    pub status: &'static str,
    pub conflict: bool,
    pub recurring: bool,
}

pub struct DayCol {
    pub id: String,
    pub label: String,
    pub today: bool,
    /// Outside the month a month view shows.
    pub outside: bool,
    pub items: Vec<ItemRow>,
}

#[derive(Template)]
#[template(path = "crm_calendar.html")]
pub struct CalendarPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub title: String,
    pub period: &'static str,
    pub periods: Vec<(String, &'static str, bool)>,
    pub scopes: Vec<(String, String, bool)>,
    pub users: Vec<Choice>,
    pub can_pick_user: bool,
    pub prev: String,
    pub today: String,
    pub next: String,
    pub days: Vec<DayCol>,
    pub form: EventForm,
    pub open_form: bool,
}

struct Query {
    period: Period,
    date: String,
    user: String,
    resource: Option<u64>,
}

impl Query {
    fn parse(uri: &Uri) -> Result<Query> {
        let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
        let period =
            Period::parse(&q.get("view")).ok_or(Error::BadRequest { code: "bad_view", detail: "view is day, week or month".into() })?;
        Ok(Query { period, date: q.get("date"), user: q.get("user"), resource: q.id("resource") })
    }

    fn href(&self, period: Period, date: &str) -> String {
        let mut s = format!("/crm/calendar?view={}&date={date}", period.code());
        if !self.user.is_empty() {
            s.push_str(&format!("&user={}", self.user));
        }
        if let Some(r) = self.resource {
            s.push_str(&format!("&resource={r}"));
        }
        s
    }
}

fn weekday_label(lang: Lang, d: Date) -> String {
    format!("{} {:02}.{:02}", lang.t(&format!("calendar.wd_{}", WEEKDAYS[usize::from(recur::weekday(d))])), d.day(), d.month())
}

fn calendar_for(app: &App, ui: &Ui, uri: &Uri, form: Option<EventForm>, errs: Errors) -> Result<CalendarPage> {
    calendar::require_calendar(ui.actor())?;
    let lang = ui.lang;
    let q = Query::parse(uri)?;
    let actor = ui.actor();
    let scope = calendar::scope(&q.user, q.resource, actor.user)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri, FLASHES, "calendar.");
    let tz = shell.timezone.clone();
    let now = app.now();
    let date = calendar::view_date(&q.date, now, &tz)?;
    let tx = app.db.read()?;
    let view = calendar::view(&tx, actor, scope, q.period, date)?;
    let resources = calendar::resources(&tx, actor, false)?;
    let names = calendar::names(&tx, actor.company)?;
    let title = match scope {
        Scope::Company => lang.t("calendar.company").to_string(),
        Scope::User(u) if u == actor.user => lang.t("calendar.mine").to_string(),
        Scope::User(u) => names.get(&u).cloned().unwrap_or_default(),
        Scope::Resource(r) => calendar::resource(&tx, actor, r)?.name,
    };
    let today = recur::local(now, &recur::zone(&tz)).date();
    let mut days: Vec<DayCol> = view
        .days
        .iter()
        .map(|d| DayCol {
            id: format!("day-{d}"),
            label: weekday_label(lang, *d),
            today: *d == today,
            outside: q.period == Period::Month && d.month() != date.month(),
            items: Vec::new(),
        })
        .collect();
    let z = recur::zone(&tz);
    for i in &view.items {
        let first = recur::local(i.start, &z).date();
        let Some(col) = days.iter_mut().find(|c| c.id == format!("day-{}", first.max(view.days[0]))) else { continue };
        let e = &i.event;
        let time = if e.all_day {
            lang.t("calendar.all_day").to_string()
        } else {
            format!("{}–{}", recur::local(i.start, &z).strftime("%H:%M"), recur::local(i.end, &z).strftime("%H:%M"))
        };
        col.items.push(ItemRow {
            href: format!("/crm/calendar/events/{}?at={}", e.id, i.start.0),
            time,
            title: e.title.clone(),
            kind: lang.t(&format!("calendar.kind_{}", e.kind.code())).to_string(),
            status: e.status.code(),
            conflict: i.conflict,
            recurring: e.recurrence.is_some(),
        });
    }
    let mut scopes = vec![
        (q_scope_href(&q, "", None), lang.t("calendar.company").to_string(), scope == Scope::Company),
        (q_scope_href(&q, "me", None), lang.t("calendar.mine").to_string(), scope == Scope::User(actor.user)),
    ];
    scopes.extend(resources.iter().map(|r| (q_scope_href(&q, "", Some(r.id.0)), r.name.clone(), scope == Scope::Resource(r.id))));
    let can_pick_user = crate::crm::deals::sees_all(actor);
    let chosen = match scope {
        Scope::User(u) => Some(u),
        _ => None,
    };
    let mut users = vec![Choice { value: String::new(), label: "—".into(), selected: chosen.is_none() }];
    if can_pick_user {
        users.extend(names.iter().map(|(id, n)| Choice { value: id.0.to_string(), label: n.clone(), selected: Some(*id) == chosen }));
    }
    let periods =
        [Period::Day, Period::Week, Period::Month].into_iter().map(|p| (q.href(p, &date.to_string()), p.code(), p == q.period)).collect();
    let open_form = form.is_some();
    let form = match form {
        Some(f) => f,
        None => {
            let qf = Fields::parse(uri.query().unwrap_or("").as_bytes());
            let start = date.at(10, 0, 0, 0);
            let d = EventDraft {
                start: start.strftime("%Y-%m-%dT%H:%M").to_string(),
                participants: vec![actor.user.0],
                resources: q.resource.into_iter().collect(),
                client: qf.id("client"),
                ..EventDraft::default()
            };
            EventForm::of(app, ui, "/crm/calendar/events".into(), q.href(q.period, &date.to_string()), &d)?
        }
    };
    Ok(CalendarPage {
        lang,
        errs,
        title,
        period: q.period.code(),
        periods,
        scopes,
        users,
        can_pick_user,
        prev: q.href(q.period, &view.prev.to_string()),
        today: q.href(q.period, ""),
        next: q.href(q.period, &view.next.to_string()),
        days,
        form,
        open_form,
        shell,
    })
}

fn q_scope_href(q: &Query, user: &str, resource: Option<u64>) -> String {
    let other = Query { period: q.period, date: q.date.clone(), user: user.into(), resource };
    other.href(q.period, &q.date)
}

pub async fn calendar_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &calendar_for(&app, &ui, &uri, None, Errors::default())?)
}

/// Where a calendar form returns to: only the calendar itself.
fn back(f: &Fields, default: &str) -> String {
    let b = f.get("back");
    let ours = b.starts_with("/crm/calendar") && !b.contains("//") && !b.contains('\\');
    if ours { b } else { default.to_string() }
}

fn with_ok(to: &str, key: &str) -> String {
    let sep = if to.contains('?') { '&' } else { '?' };
    format!("{to}{sep}ok={key}")
}

/// After a save: the event's page when it has conflicts (they are listed there), else back.
fn after_save(s: &calendar::Saved, back_to: String) -> Response {
    if s.conflicts.is_empty() {
        see_other(&with_ok(&back_to, "event_saved"))
    } else {
        see_other(&format!("/crm/calendar/events/{}?ok=event_saved", s.event.id))
    }
}

pub async fn create_event(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = draft_of(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| calendar::save_event(tx, &actor, now, None, &saving)).await {
        Ok(s) => Ok(after_save(&s, back(&f, "/crm/calendar"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, EVENT_FIELDS)?;
            let form = EventForm::of(&app, &ui, "/crm/calendar/events".into(), back(&f, "/crm/calendar"), &d)?;
            render(status, &calendar_for(&app, &ui, &uri, Some(form), errs)?)
        }
    }
}

// ---- an event ----

pub struct ConflictRow {
    pub href: String,
    pub title: String,
    pub when: String,
    pub with: String,
}

#[derive(Template)]
#[template(path = "crm_cal_event.html")]
pub struct EventPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub id: u64,
    pub title: String,
    pub when: String,
    pub kind: String,
    pub status: &'static str,
    pub status_label: String,
    pub people: String,
    pub places: String,
    pub client: Option<(u64, String)>,
    pub notes: String,
    pub recurring: bool,
    pub series: Option<u64>,
    pub conflicts: Vec<ConflictRow>,
    pub form: EventForm,
    /// For one occurrence of a series: its start (ms) and its own form.
    pub occurrence: Option<(i64, EventForm)>,
    pub calendar_href: String,
}

fn conflict_rows(lang: Lang, tx: &impl crate::storage::Read, ui: &Ui, list: &[Conflict], tz: &str) -> Result<Vec<ConflictRow>> {
    let names = calendar::names(tx, ui.actor().company)?;
    let mut out = Vec::new();
    for c in list {
        let mut with: Vec<String> = c.users.iter().filter_map(|u| names.get(u).cloned()).collect();
        for r in &c.resources {
            if let Ok(res) = calendar::resource(tx, ui.actor(), *r) {
                with.push(res.name);
            }
        }
        let visible = !c.title.is_empty();
        out.push(ConflictRow {
            href: if visible { format!("/crm/calendar/events/{}?at={}", c.event, c.start.0) } else { String::new() },
            title: if visible { c.title.clone() } else { lang.t("calendar.busy").to_string() },
            when: format!("{} – {}", c.start.format_local(tz), c.end.format_local(tz)),
            with: with.join(", "),
        });
    }
    Ok(out)
}

fn event_for(app: &App, ui: &Ui, uri: &Uri, id: u64, at: Option<i64>, forms: Option<(EventForm, bool)>, errs: Errors) -> Result<EventPage> {
    let lang = ui.lang;
    let tx = app.db.read()?;
    let e = calendar::event(&tx, ui.actor(), CalEventId(id))?;
    let at = at.map(Ts).filter(|t| e.recurrence.is_some() && calendar::is_occurrence(&e, *t));
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri, FLASHES, "calendar.");
    let tz = e.zone.clone();
    let found = calendar::conflicts(&tx, ui.actor(), &e)?;
    let names = calendar::names(&tx, ui.actor().company)?;
    let shown = at.unwrap_or(e.start);
    let shown_end = shown.plus_ms(e.end.0 - e.start.0);
    let when = if e.all_day {
        format!("{} – {}", local_input(shown, &tz, true), local_input(shown_end.plus_ms(-1), &tz, true))
    } else {
        format!("{} – {}", shown.format_local(&tz), shown_end.format_local(&tz))
    };
    let mut places = Vec::new();
    for r in &e.resources {
        if let Ok(res) = calendar::resource(&tx, ui.actor(), *r) {
            places.push(res.name);
        }
    }
    let client = match e.client {
        Some(c) => match crate::clients::read_client(&tx, ui.actor(), c) {
            Ok(cl) => Some((c.0, cl.name)),
            Err(_) => None,
        },
        None => None,
    };
    let (form, occurrence) = match forms {
        Some((f, true)) => {
            (EventForm::of(app, ui, format!("/crm/calendar/events/{id}"), String::new(), &draft_from(&e, None))?, at.map(|t| (t.0, f)))
        }
        Some((f, false)) => (f, None),
        None => {
            let series = EventForm::of(app, ui, format!("/crm/calendar/events/{id}"), String::new(), &draft_from(&e, None))?;
            let one = match at {
                Some(t) => Some((
                    t.0,
                    EventForm::of(
                        app,
                        ui,
                        format!("/crm/calendar/events/{id}/occurrences/{}", t.0),
                        String::new(),
                        &draft_from(&e, Some(t)),
                    )?,
                )),
                None => None,
            };
            (series, one)
        }
    };
    Ok(EventPage {
        lang,
        errs,
        id,
        title: e.title.clone(),
        when,
        kind: lang.t(&format!("calendar.kind_{}", e.kind.code())).to_string(),
        status: e.status.code(),
        status_label: lang.t(&format!("calendar.status_{}", e.status.code())).to_string(),
        people: e.participants.iter().filter_map(|u| names.get(u).cloned()).collect::<Vec<_>>().join(", "),
        places: places.join(", "),
        client,
        notes: e.notes.clone(),
        recurring: e.recurrence.is_some(),
        series: e.detached.map(|(s, _)| s.0),
        conflicts: conflict_rows(lang, &tx, ui, &found, &tz)?,
        form,
        occurrence,
        calendar_href: format!("/crm/calendar?view=week&date={}", local_input(shown, &tz, true)),
        shell,
    })
}

fn at_of(uri: &Uri) -> Option<i64> {
    Fields::parse(uri.query().unwrap_or("").as_bytes()).get("at").trim().parse().ok()
}

pub async fn event_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &event_for(&app, &ui, &uri, id, at_of(&uri), None, Errors::default())?)
}

pub async fn save_event(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = draft_of(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| calendar::save_event(tx, &actor, now, Some(CalEventId(id)), &saving)).await {
        Ok(s) => Ok(see_other(&format!("/crm/calendar/events/{}?ok=event_saved", s.event.id))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, EVENT_FIELDS)?;
            let form = EventForm::of(&app, &ui, format!("/crm/calendar/events/{id}"), String::new(), &d)?;
            render(status, &event_for(&app, &ui, &uri, id, None, Some((form, false)), errs)?)
        }
    }
}

pub async fn save_occurrence(State(app): State<App>, ui: Ui, uri: Uri, Path((id, at)): Path<(u64, i64)>, f: Fields) -> Result<Response> {
    let d = draft_of(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| calendar::edit_occurrence(tx, &actor, now, CalEventId(id), Ts(at), &saving)).await {
        Ok(s) => Ok(see_other(&format!("/crm/calendar/events/{}?ok=event_saved", s.event.id))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            let form = EventForm::of(&app, &ui, format!("/crm/calendar/events/{id}/occurrences/{at}"), String::new(), &d)?;
            render(status, &event_for(&app, &ui, &uri, id, Some(at), Some((form, true)), errs)?)
        }
    }
}

pub async fn cancel_occurrence(State(app): State<App>, ui: Ui, Path((id, at)): Path<(u64, i64)>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let e = app.db.write(move |tx| calendar::cancel_occurrence(tx, &actor, now, CalEventId(id), Ts(at))).await?;
    Ok(see_other(&format!("/crm/calendar?view=week&date={}&ok=occurrence_cancelled", local_input(Ts(at), &e.zone, true))))
}

// ---- resources ----

pub struct ResourceRow {
    pub id: u64,
    pub name: String,
    pub kinds: Vec<Choice>,
    pub active: bool,
    pub exclusive: bool,
}

#[derive(Template)]
#[template(path = "crm_resources.html")]
pub struct ResourcesPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub rows: Vec<ResourceRow>,
    pub kinds: Vec<Choice>,
    pub name: String,
}

fn resources_for(app: &App, ui: &Ui, uri: &Uri, name: String, errs: Errors) -> Result<ResourcesPage> {
    ui.actor().require(crate::tenancy::perms::Perm::CRM_SETTINGS)?;
    let lang = ui.lang;
    let tx = app.db.read()?;
    let rows = calendar::resources(&tx, ui.actor(), true)?
        .into_iter()
        .map(|r| ResourceRow {
            id: r.id.0,
            kinds: choices(lang, ResourceKind::ALL, ResourceKind::code, "calendar.rkind_", Some(r.kind)),
            name: r.name,
            active: r.active,
            exclusive: r.exclusive,
        })
        .collect();
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri, FLASHES, "calendar.");
    Ok(ResourcesPage {
        lang,
        shell,
        errs,
        rows,
        kinds: choices(lang, ResourceKind::ALL, ResourceKind::code, "calendar.rkind_", None),
        name,
    })
}

pub async fn resources_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &resources_for(&app, &ui, &uri, String::new(), Errors::default())?)
}

fn resource_draft(f: &Fields) -> ResourceDraft {
    ResourceDraft { name: f.get("name"), kind: f.get("kind"), active: f.has("active"), exclusive: f.has("exclusive"), branch: None }
}

pub async fn create_resource(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = resource_draft(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| calendar::save_resource(tx, &actor, now, None, &saving)).await {
        Ok(_) => Ok(see_other("/crm/calendar/resources?ok=resource_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["name", "kind"])?;
            render(status, &resources_for(&app, &ui, &uri, d.name, errs)?)
        }
    }
}

pub async fn save_resource(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = resource_draft(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| calendar::save_resource(tx, &actor, now, Some(ResourceId(id)), &saving)).await {
        Ok(_) => Ok(see_other("/crm/calendar/resources?ok=resource_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &resources_for(&app, &ui, &uri, String::new(), errs)?)
        }
    }
}

// ---- the client card ----

pub struct ClientEventRow {
    pub href: String,
    pub when: String,
    pub title: String,
    pub status: &'static str,
    pub status_label: String,
}

/// The client card's events (newest first), or None for users without the calendar.
pub fn client_rows(app: &App, ui: &Ui, client: u64) -> Result<Option<Vec<ClientEventRow>>> {
    if calendar::require_calendar(ui.actor()).is_err() {
        return Ok(None);
    }
    let lang = ui.lang;
    let tx = app.db.read()?;
    let list = calendar::of_client(&tx, ui.actor(), ClientId(client), 10)?;
    Ok(Some(
        list.iter()
            .map(|e| ClientEventRow {
                href: format!("/crm/calendar/events/{}", e.id),
                when: e.start.format_local(&e.zone),
                title: if e.recurrence.is_some() { format!("{} ↻", e.title) } else { e.title.clone() },
                status: e.status.code(),
                status_label: lang.t(&format!("calendar.status_{}", e.status.code())).to_string(),
            })
            .collect(),
    ))
}
