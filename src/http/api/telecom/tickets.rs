//! Support tickets: the queues (my, unassigned, open, overdue, all), opening one, the card with
//! its log, and the state machine's actions. Every change is published on the live topic
//! `telecom.tickets` after its commit, so open queue pages reload their rows.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::TicketId;
use crate::telecom::model::{Ticket, TicketNote};
use crate::telecom::tickets::{self, Action, Queue, TicketDraft};

#[derive(Serialize, ToSchema)]
pub struct TicketDto {
    pub id: u64,
    pub subscriber: u64,
    pub contract: Option<u64>,
    pub subject: String,
    pub description: String,
    /// technical, billing, tariff, sim, complaint, other
    pub category: String,
    /// low, medium, high, critical
    pub priority: String,
    /// new, in_progress, waiting, resolved, closed
    pub status: String,
    pub assignee: Option<u64>,
    /// The SLA due time.
    pub due: String,
    /// Open and past its due time.
    pub overdue: bool,
    pub resolution: String,
    pub created: String,
    pub created_by: u64,
    pub updated: String,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
}

fn ticket_dto(t: &Ticket, now: Ts) -> TicketDto {
    TicketDto {
        id: t.id.0,
        subscriber: t.subscriber.0,
        contract: t.contract.map(|k| k.0),
        subject: t.subject.clone(),
        description: t.description.clone(),
        category: t.category.code().into(),
        priority: t.priority.code().into(),
        status: t.status.code().into(),
        assignee: t.assignee.map(|u| u.0),
        due: t.due.rfc3339(),
        overdue: t.overdue(now),
        resolution: t.resolution.clone(),
        created: t.created.rfc3339(),
        created_by: t.created_by.0,
        updated: t.updated.rfc3339(),
        resolved_at: t.resolved_at.map(|x| x.rfc3339()),
        closed_at: t.closed_at.map(|x| x.rfc3339()),
    }
}

#[derive(Serialize, ToSchema)]
pub struct TicketNoteDto {
    /// comment, status, assigned, priority
    pub kind: String,
    pub text: String,
    pub user: u64,
    pub at: String,
}

impl From<&TicketNote> for TicketNoteDto {
    fn from(n: &TicketNote) -> Self {
        TicketNoteDto { kind: n.kind.code().into(), text: n.text.clone(), user: n.user.0, at: n.at.rfc3339() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TicketCardDto {
    pub ticket: TicketDto,
    /// Oldest first.
    pub notes: Vec<TicketNoteDto>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TicketQuery {
    /// open (default), my, unassigned, overdue, all
    pub queue: String,
    pub limit: Option<usize>,
}

/// Tells the open queue pages that tickets changed (after the commit; a hint, not durable).
fn publish(app: &App, a: &Auth, t: &Ticket) {
    app.live.publish(a.actor.company, tickets::TOPIC, crate::live::Event::new("ticket", t.id.0.to_string()));
}

#[utoipa::path(get, path = "/api/v1/telecom/tickets", tag = "telecom", security(("bearer" = [])), params(TicketQuery),
    responses((status = 200, body = Vec<TicketDto>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn tickets_list(State(app): State<App>, a: Auth, Query(q): Query<TicketQuery>) -> Result<Json<Vec<TicketDto>>> {
    crate::telecom::require_view(&a.actor)?;
    let queue = match q.queue.trim() {
        "" => Queue::Open,
        s => Queue::parse(s).ok_or_else(|| Error::field("queue", "queue", "Нет такой очереди", "No such queue"))?,
    };
    let now = app.now();
    let found = tickets::queue(&app.db.read()?, &a.actor, now, queue, q.limit.unwrap_or(100).clamp(1, 500))?;
    Ok(Json(found.iter().map(|t| ticket_dto(t, now)).collect()))
}

#[utoipa::path(post, path = "/api/v1/telecom/tickets", tag = "telecom", security(("bearer" = [])), request_body = TicketDraft,
    responses((status = 201, body = TicketDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_ticket(State(app): State<App>, a: Auth, Json(d): Json<TicketDraft>) -> Result<(StatusCode, Json<TicketDto>)> {
    let now = app.now();
    let actor = a.actor.clone();
    let t = app.db.write(move |tx| tickets::create(tx, &actor, now, &d)).await?;
    publish(&app, &a, &t);
    Ok((StatusCode::CREATED, Json(ticket_dto(&t, now))))
}

#[utoipa::path(get, path = "/api/v1/telecom/tickets/{id}", tag = "telecom", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = TicketCardDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn ticket(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<TicketCardDto>> {
    let card = tickets::card(&app.db.read()?, &a.actor, TicketId(id))?;
    Ok(Json(TicketCardDto { ticket: ticket_dto(&card.ticket, app.now()), notes: card.notes.iter().map(TicketNoteDto::from).collect() }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TicketActionInput {
    /// assign: the user to assign (absent: nobody).
    pub user: Option<u64>,
    /// resolve: the resolution; close and reopen: the reason; comment: the comment.
    pub text: String,
    /// priority: low, medium, high, critical
    pub priority: String,
}

#[utoipa::path(post, path = "/api/v1/telecom/tickets/{id}/{action}", tag = "telecom", security(("bearer" = [])),
    params(("id" = u64, Path), ("action" = String, Path, description = "assign, take (assign to me), start, wait, resolve, close, reopen, priority, comment")),
    request_body = TicketActionInput,
    responses((status = 200, body = TicketDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn ticket_action(
    State(app): State<App>,
    a: Auth,
    Path((id, action)): Path<(u64, String)>,
    Json(i): Json<TicketActionInput>,
) -> Result<Json<TicketDto>> {
    let action = Action::named(&action, a.actor.user, i.user, i.text, i.priority).ok_or(Error::NotFound)?;
    let now = app.now();
    let actor = a.actor.clone();
    let t = app.db.write(move |tx| tickets::act(tx, &actor, now, TicketId(id), &action)).await?;
    publish(&app, &a, &t);
    Ok(Json(ticket_dto(&t, now)))
}

/// This file's routes for a signed-in caller.
pub fn routes() -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(tickets_list, create_ticket)).routes(routes!(ticket)).routes(routes!(ticket_action))
}
