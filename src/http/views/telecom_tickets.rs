//! The telecom desk's ticket pages: the queues (open, my, unassigned, overdue, all) whose rows
//! reload live when any ticket of the company changes (server-sent events on the hub topic
//! `telecom.tickets`, see `http::live`), the new-ticket form opened from a subscriber, and the
//! ticket card with its log and one form per state-machine action. Works without JavaScript;
//! with it, the queue follows changes without a reload.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::form::refused;
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{SubscriberId, TicketId};
use crate::telecom::model::{TicketCategory, TicketPriority, TicketStatus};
use crate::telecom::tickets::{self, Action, Queue, TicketDraft};
use crate::telecom::{self, query};
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/telecom/tickets", get(tickets_page).post(create_ticket))
        .route("/telecom/tickets/list", get(tickets_list))
        .route("/telecom/tickets/events", get(tickets_events))
        .route("/telecom/tickets/new", get(new_ticket_page))
        .route("/telecom/tickets/{id}", get(ticket_page))
        .route("/telecom/tickets/{id}/{action}", post(ticket_action))
}

fn t(lang: Lang, key: &str) -> &'static str {
    lang.t(&format!("telecom.{key}"))
}

fn query_of(uri: &Uri) -> Fields {
    Fields::parse(uri.query().unwrap_or("").as_bytes())
}

pub struct TicketRow {
    pub id: u64,
    pub subject: String,
    pub subscriber_id: u64,
    pub subscriber: String,
    pub priority: &'static str,
    pub priority_code: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub assignee: String,
    pub due: String,
    pub overdue: bool,
}

fn rows(app: &App, ui: &Ui, queue: Queue, tz: &str) -> Result<Vec<TicketRow>> {
    let lang = ui.lang;
    let now = app.now();
    let tx = app.db.read()?;
    let names = crate::tenancy::query::user_names(&tx, ui.actor().company)?;
    let mut out = Vec::new();
    for x in tickets::queue(&tx, ui.actor(), now, queue, 200)? {
        let subscriber = tickets::subscriber_name(&tx, ui.actor().company, x.subscriber)?;
        out.push(TicketRow {
            id: x.id.0,
            subject: x.subject.clone(),
            subscriber_id: x.subscriber.0,
            subscriber,
            priority: t(lang, &format!("priority_{}", x.priority.code())),
            priority_code: x.priority.code(),
            status: t(lang, &format!("ticket_{}", x.status.code())),
            status_code: x.status.code(),
            assignee: x.assignee.and_then(|u| names.get(&u).cloned()).unwrap_or_default(),
            due: x.due.format_local(tz),
            overdue: x.overdue(now),
        });
    }
    Ok(out)
}

fn queue_of(uri: &Uri) -> Queue {
    Queue::parse(&query_of(uri).get("queue")).unwrap_or(Queue::Open)
}

#[derive(Template)]
#[template(path = "telecom_tickets.html")]
struct TicketsPage {
    lang: Lang,
    shell: Shell,
    queue: &'static str,
    tabs: Vec<Choice>,
    rows: Vec<TicketRow>,
}

#[derive(Template)]
#[template(path = "telecom_tickets_partial.html")]
struct TicketsList {
    lang: Lang,
    rows: Vec<TicketRow>,
}

pub async fn tickets_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    telecom::require_view(ui.actor())?;
    let lang = ui.lang;
    let queue = queue_of(&uri);
    let mut shell = Shell::load(&app, &ui)?;
    if query_of(&uri).get("ok") == "created" {
        shell.flash = Some(t(lang, "ok_ticket_created"));
    }
    let rows = rows(&app, &ui, queue, &shell.timezone)?;
    let tabs = Queue::ALL
        .into_iter()
        .map(|q| Choice { value: q.code().into(), label: t(lang, &format!("queue_{}", q.code())).into(), selected: q == queue })
        .collect();
    render(StatusCode::OK, &TicketsPage { lang, shell, queue: queue.code(), tabs, rows })
}

pub async fn tickets_list(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    telecom::require_view(ui.actor())?;
    let tz = crate::tenancy::query::company(&app.db.read()?, ui.actor().company)?.timezone;
    render(StatusCode::OK, &TicketsList { lang: ui.lang, rows: rows(&app, &ui, queue_of(&uri), &tz)? })
}

pub async fn tickets_events(State(app): State<App>, ui: Ui) -> Result<Response> {
    telecom::require_view(ui.actor())?;
    Ok(crate::http::live::stream(&app, ui.actor().company, tickets::TOPIC).into_response())
}

fn choices<T: Copy + PartialEq>(lang: Lang, all: &[T], code: fn(T) -> &'static str, prefix: &str, chosen: &str) -> Vec<Choice> {
    all.iter()
        .map(|x| Choice { value: code(*x).into(), label: t(lang, &format!("{prefix}{}", code(*x))).into(), selected: code(*x) == chosen })
        .collect()
}

#[derive(Template)]
#[template(path = "telecom_ticket_new.html")]
struct NewTicketPage {
    lang: Lang,
    shell: Shell,
    subscriber_id: u64,
    subscriber: String,
    contracts: Vec<Choice>,
    categories: Vec<Choice>,
    priorities: Vec<Choice>,
    subject: String,
    description: String,
    errs: Errors,
}

fn new_ticket_for(app: &App, ui: &Ui, f: &Fields, errs: Errors) -> Result<NewTicketPage> {
    telecom::require(ui.actor(), &[Perm::TELECOM_TICKETS])?;
    let lang = ui.lang;
    let id = f.id("subscriber").ok_or(Error::NotFound)?;
    let card = query::subscriber(&app.db.read()?, ui.actor(), SubscriberId(id))?;
    let chosen = f.id("contract");
    let mut contracts = vec![Choice { value: String::new(), label: t(lang, "no_contract").into(), selected: chosen.is_none() }];
    contracts.extend(card.contracts.iter().map(|r| Choice {
        value: r.contract.id.0.to_string(),
        label: format!("{} · {}", r.contract.number, r.msisdn),
        selected: chosen == Some(r.contract.id.0),
    }));
    let category = f.get("category");
    let priority = match f.get("priority") {
        p if p.is_empty() => "medium".to_string(),
        p => p,
    };
    Ok(NewTicketPage {
        lang,
        shell: Shell::load(app, ui)?,
        subscriber_id: id,
        subscriber: card.subscriber.display_name(),
        contracts,
        categories: choices(lang, TicketCategory::ALL, TicketCategory::code, "category_", &category),
        priorities: choices(lang, TicketPriority::ALL, TicketPriority::code, "priority_", &priority),
        subject: f.get("subject"),
        description: f.get("description"),
        errs,
    })
}

pub async fn new_ticket_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &new_ticket_for(&app, &ui, &query_of(&uri), Errors::default())?)
}

pub async fn create_ticket(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    let d = TicketDraft {
        subscriber: f.id("subscriber").unwrap_or(0),
        contract: f.id("contract"),
        subject: f.get("subject"),
        description: f.get("description"),
        category: f.get("category"),
        priority: f.get("priority"),
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| tickets::create(tx, &actor, now, &d)).await {
        Ok(x) => {
            app.live.publish(ui.actor().company, tickets::TOPIC, crate::live::Event::new("ticket", x.id.0.to_string()));
            Ok(see_other(&format!("/telecom/tickets/{}?ok=ticket_created", x.id)))
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["subject", "category", "priority", "contract", "subscriber"])?;
            render(status, &new_ticket_for(&app, &ui, &f, errs)?)
        }
    }
}

pub struct NoteRow {
    pub at: String,
    pub user: String,
    pub kind: &'static str,
    pub kind_code: &'static str,
    pub text: String,
}

#[derive(Template)]
#[template(path = "telecom_ticket.html")]
struct TicketPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    subject: String,
    description: String,
    subscriber_id: u64,
    subscriber: String,
    contract: Option<(u64, String)>,
    facts: Vec<(&'static str, String)>,
    status: &'static str,
    status_code: &'static str,
    overdue: bool,
    resolution: String,
    notes: Vec<NoteRow>,
    users: Vec<Choice>,
    priorities: Vec<Choice>,
    errs: Errors,
    can_assign_others: bool,
    can_take: bool,
    can_start: bool,
    can_wait: bool,
    is_open: bool,
    can_reopen: bool,
}

fn ticket_for(app: &App, ui: &Ui, uri: &Uri, id: u64, errs: Errors) -> Result<TicketPage> {
    let lang = ui.lang;
    let tx = app.db.read()?;
    let card = tickets::card(&tx, ui.actor(), TicketId(id))?;
    let x = &card.ticket;
    let c = ui.actor().company;
    let mut shell = Shell::load(app, ui)?;
    let ok = query_of(uri).get("ok");
    if ["ticket_created", "ticket_saved"].contains(&ok.as_str()) {
        shell.flash = Some(t(lang, &format!("ok_{ok}")));
    }
    let tz = shell.timezone.clone();
    let names = crate::tenancy::query::user_names(&tx, c)?;
    let name = |u: crate::ids::UserId| names.get(&u).cloned().unwrap_or_else(|| format!("#{u}"));
    let subscriber = query::subscriber(&tx, ui.actor(), x.subscriber)?;
    let contract = match x.contract {
        Some(k) => Some((k.0, query::contract(&tx, ui.actor(), k)?.contract.number)),
        None => None,
    };
    let facts = vec![
        (t(lang, "category"), t(lang, &format!("category_{}", x.category.code())).to_string()),
        (t(lang, "priority"), t(lang, &format!("priority_{}", x.priority.code())).to_string()),
        (t(lang, "assignee"), x.assignee.map(name).unwrap_or_else(|| t(lang, "nobody").into())),
        (t(lang, "opened"), format!("{} · {}", x.created.format_local(&tz), name(x.created_by))),
        (t(lang, "due"), x.due.format_local(&tz)),
    ];
    let notes = card
        .notes
        .iter()
        .rev()
        .map(|n| NoteRow {
            at: n.at.format_local(&tz),
            user: name(n.user),
            kind: t(lang, &format!("note_{}", n.kind.code())),
            kind_code: n.kind.code(),
            text: n.text.clone(),
        })
        .collect();
    let mut users = vec![Choice { value: "0".into(), label: t(lang, "nobody").into(), selected: x.assignee.is_none() }];
    users.extend(crate::tenancy::query::users(&tx, c)?.into_iter().map(|u| Choice {
        value: u.id.0.to_string(),
        label: u.name.clone(),
        selected: x.assignee == Some(u.id),
    }));
    let actor = ui.actor();
    let open = x.status.is_open();
    Ok(TicketPage {
        lang,
        id,
        subject: x.subject.clone(),
        description: x.description.clone(),
        subscriber_id: x.subscriber.0,
        subscriber: subscriber.subscriber.display_name(),
        contract,
        facts,
        status: t(lang, &format!("ticket_{}", x.status.code())),
        status_code: x.status.code(),
        overdue: x.overdue(app.now()),
        resolution: x.resolution.clone(),
        notes,
        users,
        priorities: choices(lang, TicketPriority::ALL, TicketPriority::code, "priority_", x.priority.code()),
        errs,
        can_assign_others: open && actor.can(Perm::TELECOM_CUSTOMERS),
        can_take: open && x.assignee != Some(actor.user),
        can_start: matches!(x.status, TicketStatus::New | TicketStatus::Waiting) && x.assignee.is_some(),
        can_wait: matches!(x.status, TicketStatus::New | TicketStatus::InProgress),
        is_open: open,
        can_reopen: !open,
        shell,
    })
}

pub async fn ticket_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &ticket_for(&app, &ui, &uri, id, Errors::default())?)
}

/// The card's forms: take, assign, start, wait, resolve, close, reopen, priority, comment.
pub async fn ticket_action(State(app): State<App>, ui: Ui, uri: Uri, Path((id, name)): Path<(u64, String)>, f: Fields) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let text = match name.as_str() {
        "resolve" => f.get("resolution"),
        "close" | "reopen" => f.get("reason"),
        _ => f.get("text"),
    };
    let action = Action::named(&name, actor.user, f.id("user"), text, f.get("priority")).ok_or(Error::NotFound)?;
    match app.db.write(move |tx| tickets::act(tx, &actor, now, TicketId(id), &action)).await {
        Ok(x) => {
            app.live.publish(ui.actor().company, tickets::TOPIC, crate::live::Event::new("ticket", x.id.0.to_string()));
            Ok(see_other(&format!("/telecom/tickets/{id}?ok=ticket_saved")))
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["text", "resolution", "reason", "user", "priority"])?;
            render(status, &ticket_for(&app, &ui, &uri, id, errs)?)
        }
    }
}
