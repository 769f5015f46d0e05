//! The calendar under `/api/v1/crm/calendar`: resources, events (a series edited whole or one
//! occurrence at a time), the day / week / month view of the company, a user or a resource,
//! and a client's events. Saving answers the conflicts it found; a conflict on an exclusive
//! resource is a 409 `resource_busy`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::clock::Ts;
use crate::crm::calendar::model::{CalEvent, Resource};
use crate::crm::calendar::{self, Conflict, EventDraft, Period, RepeatDraft, ResourceDraft, Saved};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{CalEventId, ClientId, ResourceId};

// ---- resources ----

#[derive(Serialize, ToSchema)]
pub struct CalResourceDto {
    pub id: u64,
    pub name: String,
    /// room, chair, equipment, vehicle, other
    pub kind: String,
    pub active: bool,
    /// A conflict on it is refused (409 resource_busy), not only warned about.
    pub exclusive: bool,
    pub branch: Option<u64>,
}

impl From<&Resource> for CalResourceDto {
    fn from(r: &Resource) -> Self {
        CalResourceDto {
            id: r.id.0,
            name: r.name.clone(),
            kind: r.kind.code().into(),
            active: r.active,
            exclusive: r.exclusive,
            branch: r.branch.map(|b| b.0),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CalResourceInput {
    pub name: String,
    /// room, chair, equipment, vehicle, other (default)
    pub kind: String,
    pub active: bool,
    pub exclusive: bool,
    pub branch: Option<u64>,
}

impl Default for CalResourceInput {
    fn default() -> Self {
        CalResourceInput { name: String::new(), kind: String::new(), active: true, exclusive: false, branch: None }
    }
}

impl From<CalResourceInput> for ResourceDraft {
    fn from(i: CalResourceInput) -> Self {
        ResourceDraft { name: i.name, kind: i.kind, active: i.active, exclusive: i.exclusive, branch: i.branch }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CalResourceQuery {
    /// Include inactive resources.
    pub inactive: Option<bool>,
}

#[utoipa::path(get, path = "/api/v1/crm/calendar/resources", tag = "crm", security(("bearer" = [])), params(CalResourceQuery),
    responses((status = 200, body = Vec<CalResourceDto>), (status = 403, body = Problem)))]
pub async fn list_resources(State(app): State<App>, a: Auth, Query(q): Query<CalResourceQuery>) -> Result<Json<Vec<CalResourceDto>>> {
    let tx = app.db.read()?;
    Ok(Json(calendar::resources(&tx, &a.actor, q.inactive.unwrap_or(false))?.iter().map(CalResourceDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/crm/calendar/resources", tag = "crm", security(("bearer" = [])), request_body = CalResourceInput,
    responses((status = 201, body = CalResourceDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_resource(
    State(app): State<App>,
    a: Auth,
    Json(i): Json<CalResourceInput>,
) -> Result<(StatusCode, Json<CalResourceDto>)> {
    let (now, d) = (app.now(), ResourceDraft::from(i));
    let r = app.db.write(move |tx| calendar::save_resource(tx, &a.actor, now, None, &d)).await?;
    Ok((StatusCode::CREATED, Json(CalResourceDto::from(&r))))
}

#[utoipa::path(get, path = "/api/v1/crm/calendar/resources/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CalResourceDto), (status = 404, body = Problem)))]
pub async fn get_resource(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CalResourceDto>> {
    let tx = app.db.read()?;
    Ok(Json(CalResourceDto::from(&calendar::resource(&tx, &a.actor, ResourceId(id))?)))
}

#[utoipa::path(put, path = "/api/v1/crm/calendar/resources/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CalResourceInput, responses((status = 200, body = CalResourceDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_resource(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CalResourceInput>,
) -> Result<Json<CalResourceDto>> {
    let (now, d) = (app.now(), ResourceDraft::from(i));
    let r = app.db.write(move |tx| calendar::save_resource(tx, &a.actor, now, Some(ResourceId(id)), &d)).await?;
    Ok(Json(CalResourceDto::from(&r)))
}

// ---- events ----

#[derive(Serialize, ToSchema)]
pub struct CalRepeatDto {
    /// daily, weekly, monthly
    pub freq: String,
    pub interval: u16,
    /// mon … sun
    pub weekdays: Vec<String>,
    /// YYYY-MM-DD, inclusive
    pub until: Option<String>,
    pub count: Option<u16>,
}

#[derive(Serialize, ToSchema)]
pub struct CalEventDto {
    pub id: u64,
    pub title: String,
    /// meeting, call, appointment, lesson, booking, other
    pub kind: String,
    /// planned, done, cancelled
    pub status: String,
    /// The first occurrence, RFC 3339 UTC.
    pub start: String,
    pub end: String,
    pub all_day: bool,
    /// The IANA zone a series repeats in.
    pub zone: String,
    pub participants: Vec<u64>,
    pub resources: Vec<u64>,
    pub client: Option<u64>,
    pub deal: Option<u64>,
    pub notes: String,
    pub repeat: Option<CalRepeatDto>,
    /// Original starts of occurrences cancelled or edited one by one.
    pub skipped: Vec<String>,
    /// For an edited occurrence: the series and the start it replaces.
    pub series: Option<u64>,
    pub replaces: Option<String>,
}

const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl From<&CalEvent> for CalEventDto {
    fn from(e: &CalEvent) -> Self {
        CalEventDto {
            id: e.id.0,
            title: e.title.clone(),
            kind: e.kind.code().into(),
            status: e.status.code().into(),
            start: e.start.rfc3339(),
            end: e.end.rfc3339(),
            all_day: e.all_day,
            zone: e.zone.clone(),
            participants: e.participants.iter().map(|u| u.0).collect(),
            resources: e.resources.iter().map(|r| r.0).collect(),
            client: e.client.map(|c| c.0),
            deal: e.deal.map(|d| d.0),
            notes: e.notes.clone(),
            repeat: e.recurrence.as_ref().map(|r| CalRepeatDto {
                freq: r.freq.code().into(),
                interval: r.interval,
                weekdays: (0..7).filter(|i| r.weekdays & (1 << i) != 0).map(|i| WEEKDAYS[i].to_string()).collect(),
                until: r.until.clone(),
                count: r.count,
            }),
            skipped: e.skipped.iter().map(|t| t.rfc3339()).collect(),
            series: e.detached.map(|(s, _)| s.0),
            replaces: e.detached.map(|(_, at)| at.rfc3339()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CalConflictDto {
    pub event: u64,
    /// Empty when the caller may not see the other event (it shows as busy).
    pub title: String,
    pub start: String,
    pub end: String,
    /// The participants and resources both events share.
    pub users: Vec<u64>,
    pub resources: Vec<u64>,
}

impl From<&Conflict> for CalConflictDto {
    fn from(c: &Conflict) -> Self {
        CalConflictDto {
            event: c.event.0,
            title: c.title.clone(),
            start: c.start.rfc3339(),
            end: c.end.rfc3339(),
            users: c.users.iter().map(|u| u.0).collect(),
            resources: c.resources.iter().map(|r| r.0).collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CalSavedDto {
    pub event: CalEventDto,
    /// Overlaps on shared participants or (non-exclusive) resources: warnings.
    pub conflicts: Vec<CalConflictDto>,
}

impl From<&Saved> for CalSavedDto {
    fn from(s: &Saved) -> Self {
        CalSavedDto { event: CalEventDto::from(&s.event), conflicts: s.conflicts.iter().map(CalConflictDto::from).collect() }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CalRepeatInput {
    /// daily, weekly, monthly; empty: no repeat
    pub freq: String,
    /// 1–99 (default 1)
    pub interval: Option<u64>,
    /// mon … sun; the start's own weekday always counts
    pub weekdays: Vec<String>,
    /// YYYY-MM-DD, inclusive; at most two years after the start
    pub until: String,
    /// At most 500
    pub count: Option<u64>,
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CalEventInput {
    pub title: String,
    /// meeting (default), call, appointment, lesson, booking, other
    pub kind: String,
    /// planned, done, cancelled; empty keeps it
    pub status: String,
    /// Local time of the company: YYYY-MM-DDTHH:MM (all-day: YYYY-MM-DD)
    pub start: String,
    /// Local; empty: an hour after the start (all-day: the same day, inclusive)
    pub end: String,
    pub all_day: bool,
    /// Users of the company; empty: the caller
    pub participants: Vec<u64>,
    pub resources: Vec<u64>,
    pub client: Option<u64>,
    pub deal: Option<u64>,
    pub notes: String,
    pub repeat: Option<CalRepeatInput>,
}

impl From<CalEventInput> for EventDraft {
    fn from(i: CalEventInput) -> Self {
        let r = i.repeat.unwrap_or_default();
        EventDraft {
            title: i.title,
            kind: i.kind,
            status: i.status,
            start: i.start,
            end: i.end,
            all_day: i.all_day,
            participants: i.participants,
            resources: i.resources,
            client: i.client,
            deal: i.deal,
            notes: i.notes,
            repeat: RepeatDraft { freq: r.freq, interval: r.interval, weekdays: r.weekdays, until: r.until, count: r.count },
        }
    }
}

#[utoipa::path(post, path = "/api/v1/crm/calendar/events", tag = "crm", security(("bearer" = [])), request_body = CalEventInput,
    responses((status = 201, body = CalSavedDto), (status = 403, body = Problem), (status = 409, body = Problem, description = "resource_busy: an exclusive resource is taken"), (status = 422, body = Problem)))]
pub async fn create_event(State(app): State<App>, a: Auth, Json(i): Json<CalEventInput>) -> Result<(StatusCode, Json<CalSavedDto>)> {
    let (now, d) = (app.now(), EventDraft::from(i));
    let s = app.db.write(move |tx| calendar::save_event(tx, &a.actor, now, None, &d)).await?;
    Ok((StatusCode::CREATED, Json(CalSavedDto::from(&s))))
}

#[utoipa::path(get, path = "/api/v1/crm/calendar/events/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CalSavedDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_event(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CalSavedDto>> {
    let tx = app.db.read()?;
    let event = calendar::event(&tx, &a.actor, CalEventId(id))?;
    let conflicts = calendar::conflicts(&tx, &a.actor, &event)?;
    Ok(Json(CalSavedDto::from(&Saved { event, conflicts })))
}

#[utoipa::path(put, path = "/api/v1/crm/calendar/events/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CalEventInput, responses((status = 200, body = CalSavedDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_event(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<CalEventInput>) -> Result<Json<CalSavedDto>> {
    let (now, d) = (app.now(), EventDraft::from(i));
    let s = app.db.write(move |tx| calendar::save_event(tx, &a.actor, now, Some(CalEventId(id)), &d)).await?;
    Ok(Json(CalSavedDto::from(&s)))
}

/// An occurrence's original start in a path: milliseconds since the epoch (UTC).
fn occurrence(at: u64) -> Result<Ts> {
    i64::try_from(at).map(Ts).map_err(|_| Error::NotFound)
}

#[utoipa::path(put, path = "/api/v1/crm/calendar/events/{id}/occurrences/{at}", tag = "crm", security(("bearer" = [])),
    params(("id" = u64, Path), ("at" = u64, Path, description = "the occurrence's original start, ms since the epoch")),
    request_body = CalEventInput, responses((status = 201, body = CalSavedDto, description = "the occurrence as an event of its own"), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_occurrence(
    State(app): State<App>,
    a: Auth,
    Path((id, at)): Path<(u64, u64)>,
    Json(i): Json<CalEventInput>,
) -> Result<(StatusCode, Json<CalSavedDto>)> {
    let (now, d, at) = (app.now(), EventDraft::from(i), occurrence(at)?);
    let s = app.db.write(move |tx| calendar::edit_occurrence(tx, &a.actor, now, CalEventId(id), at, &d)).await?;
    Ok((StatusCode::CREATED, Json(CalSavedDto::from(&s))))
}

#[utoipa::path(post, path = "/api/v1/crm/calendar/events/{id}/occurrences/{at}/cancel", tag = "crm", security(("bearer" = [])),
    params(("id" = u64, Path), ("at" = u64, Path, description = "the occurrence's original start, ms since the epoch")),
    responses((status = 200, body = CalEventDto, description = "the series"), (status = 404, body = Problem)))]
pub async fn cancel_occurrence(State(app): State<App>, a: Auth, Path((id, at)): Path<(u64, u64)>) -> Result<Json<CalEventDto>> {
    let (now, at) = (app.now(), occurrence(at)?);
    let e = app.db.write(move |tx| calendar::cancel_occurrence(tx, &a.actor, now, CalEventId(id), at)).await?;
    Ok(Json(CalEventDto::from(&e)))
}

// ---- views ----

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CalViewQuery {
    /// day, week (default), month
    pub view: Option<String>,
    /// A local date in the period, YYYY-MM-DD; default today
    pub date: Option<String>,
    /// A user's calendar ("me" or an id); otherwise the company's
    pub user: Option<String>,
    /// A resource's calendar
    pub resource: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct CalItemDto {
    pub event: u64,
    pub title: String,
    pub kind: String,
    pub status: String,
    /// This occurrence, RFC 3339 UTC
    pub start: String,
    pub end: String,
    /// ms since the epoch: the `{at}` of this occurrence's routes
    pub at: u64,
    pub all_day: bool,
    pub recurring: bool,
    pub participants: Vec<u64>,
    pub resources: Vec<u64>,
    pub client: Option<u64>,
    /// It overlaps another shown occurrence on a shared participant or resource.
    pub conflict: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CalViewDto {
    /// First and last local date shown
    pub first: String,
    pub last: String,
    pub from: String,
    pub to: String,
    /// The dates that open the previous and the next period
    pub prev: String,
    pub next: String,
    pub items: Vec<CalItemDto>,
}

#[utoipa::path(get, path = "/api/v1/crm/calendar", tag = "crm", security(("bearer" = [])), params(CalViewQuery),
    responses((status = 200, body = CalViewDto), (status = 400, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn view(State(app): State<App>, a: Auth, Query(q): Query<CalViewQuery>) -> Result<Json<CalViewDto>> {
    let period = Period::parse(q.view.as_deref().unwrap_or(""))
        .ok_or(Error::BadRequest { code: "bad_view", detail: "view is day, week or month".into() })?;
    let scope = calendar::scope(q.user.as_deref().unwrap_or(""), q.resource, a.actor.user)?;
    let tx = app.db.read()?;
    calendar::require_calendar(&a.actor)?;
    let tz = crate::tenancy::query::company(&tx, a.actor.company)?.timezone;
    let date = calendar::view_date(q.date.as_deref().unwrap_or(""), app.now(), &tz)?;
    let v = calendar::view(&tx, &a.actor, scope, period, date)?;
    Ok(Json(CalViewDto {
        first: v.days.first().map(|d| d.to_string()).unwrap_or_default(),
        last: v.days.last().map(|d| d.to_string()).unwrap_or_default(),
        from: v.from.rfc3339(),
        to: v.to.rfc3339(),
        prev: v.prev.to_string(),
        next: v.next.to_string(),
        items: v
            .items
            .iter()
            .map(|i| CalItemDto {
                event: i.event.id.0,
                title: i.event.title.clone(),
                kind: i.event.kind.code().into(),
                status: i.event.status.code().into(),
                start: i.start.rfc3339(),
                end: i.end.rfc3339(),
                at: u64::try_from(i.start.0).unwrap_or(0),
                all_day: i.event.all_day,
                recurring: i.event.recurrence.is_some(),
                participants: i.event.participants.iter().map(|u| u.0).collect(),
                resources: i.event.resources.iter().map(|r| r.0).collect(),
                client: i.event.client.map(|c| c.0),
                conflict: i.conflict,
            })
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/v1/crm/clients/{id}/events", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<CalEventDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn client_events(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CalEventDto>>> {
    let tx = app.db.read()?;
    Ok(Json(calendar::of_client(&tx, &a.actor, ClientId(id), 200)?.iter().map(CalEventDto::from).collect()))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_resources, create_resource))
        .routes(routes!(get_resource, put_resource))
        .routes(routes!(create_event))
        .routes(routes!(get_event, put_event))
        .routes(routes!(put_occurrence))
        .routes(routes!(cancel_occurrence))
        .routes(routes!(view))
        .routes(routes!(client_events))
}
