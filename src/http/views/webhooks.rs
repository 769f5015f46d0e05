//! The webhooks page (`/webhooks`, owners and admins): endpoints with their events, a form
//! for a new one, and an endpoint's own page to choose events, disable it, rotate its secret
//! and read its delivery log with each delivery's retry state. A secret is shown once, on
//! the page that answers the create or the rotation, and never in a URL.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::form::{flash, refused};
use super::{Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::webhooks::{self, DeliveryState, Webhook, WebhookDraft};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/webhooks", get(list_page).post(create))
        .route("/webhooks/{id}", get(hook_page).post(save))
        .route("/webhooks/{id}/active", post(set_active))
        .route("/webhooks/{id}/rotate", post(rotate))
        .route("/webhooks/{id}/delete", post(delete))
}

const FLASHES: &[&str] = &["webhook_saved", "webhook_deleted"];
const SHOWN: &[&str] = &["url", "events"];

/// One event's checkbox.
pub struct EventBox {
    pub name: &'static str,
    pub label: String,
    pub checked: bool,
}

fn event_boxes(lang: Lang, chosen: &[String]) -> Vec<EventBox> {
    webhooks::EVENTS
        .iter()
        .copied()
        .map(|e| EventBox {
            name: e,
            label: lang.t(&format!("webhooks.event_{}", e.replace('.', "_"))).to_string(),
            checked: chosen.iter().any(|c| c.as_str() == e),
        })
        .collect()
}

pub struct HookRow {
    pub id: u64,
    pub url: String,
    pub events: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<HookRow>,
    url: String,
    events: Vec<EventBox>,
    errs: Errors,
}

fn list_for(app: &App, ui: &Ui, uri: &Uri, url: String, chosen: &[String], errs: Errors) -> Result<ListPage> {
    ui.actor().require_owner_like()?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "webhooks.");
    let rows = webhooks::hooks(&app.db.read()?, ui.actor().company)?
        .into_iter()
        .map(|h| HookRow { id: h.id, url: h.url, events: h.events.join(", "), active: h.active })
        .collect();
    Ok(ListPage { lang: ui.lang, shell, rows, url, events: event_boxes(ui.lang, chosen), errs })
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &list_for(&app, &ui, &uri, String::new(), &[], Errors::default())?)
}

pub async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    ui.actor().require_owner_like()?;
    let (url, events) = (f.get("url"), f.all("events"));
    let draft = WebhookDraft { url: url.clone(), events: events.clone(), active: true };
    match crate::http::shared::save_webhook(&app, ui.actor(), None, draft).await {
        Ok(hook) => render(StatusCode::CREATED, &hook_for(&app, &ui, &uri, hook.id, Some(hook.secret), None, Errors::default())?),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, SHOWN)?;
            render(status, &list_for(&app, &ui, &uri, url, &events, errs)?)
        }
    }
}

pub struct DeliveryRow {
    pub id: u64,
    pub event: String,
    pub created: String,
    /// "pending", "delivered" or "failed": the row's class and its label's key.
    pub state: &'static str,
    pub state_text: String,
    pub attempts: u32,
    pub last_error: String,
    pub body: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct HookPage {
    lang: Lang,
    shell: Shell,
    hook: Webhook,
    /// The secret, only right after a create or a rotation.
    secret: Option<String>,
    url: String,
    events: Vec<EventBox>,
    deliveries: Vec<DeliveryRow>,
    errs: Errors,
}

fn hook_for(
    app: &App,
    ui: &Ui,
    uri: &Uri,
    id: u64,
    secret: Option<String>,
    form: Option<(String, Vec<String>)>,
    errs: Errors,
) -> Result<HookPage> {
    let actor = ui.actor();
    actor.require_owner_like()?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "webhooks.");
    let tx = app.db.read()?;
    let hook = webhooks::hook(&tx, actor.company, id)?;
    let (url, chosen) = form.unwrap_or_else(|| (hook.url.clone(), hook.events.clone()));
    let lang = ui.lang;
    let deliveries = webhooks::deliveries(&tx, actor.company, id, 100)?
        .into_iter()
        .map(|d| {
            let (state, state_text) = match d.state {
                DeliveryState::Pending if d.attempts == 0 => ("pending", lang.t("webhooks.state_queued").to_string()),
                DeliveryState::Pending => {
                    ("pending", format!("{} {}/{}", lang.t("webhooks.state_retrying"), d.attempts, webhooks::MAX_ATTEMPTS))
                }
                DeliveryState::Delivered { status, .. } => ("delivered", format!("{} (HTTP {status})", lang.t("webhooks.state_delivered"))),
                DeliveryState::Failed { .. } => ("failed", lang.t("webhooks.state_failed").to_string()),
            };
            DeliveryRow {
                id: d.id,
                event: d.event,
                created: d.created.format_local(&shell.timezone),
                state,
                state_text,
                attempts: d.attempts,
                last_error: d.last_error.unwrap_or_default(),
                body: d.body,
            }
        })
        .collect();
    Ok(HookPage { lang, shell, hook, secret, url, events: event_boxes(lang, &chosen), deliveries, errs })
}

pub async fn hook_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &hook_for(&app, &ui, &uri, id, None, None, Errors::default())?)
}

pub async fn save(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    ui.actor().require_owner_like()?;
    let active = webhooks::hook(&app.db.read()?, ui.actor().company, id)?.active;
    let (url, events) = (f.get("url"), f.all("events"));
    let draft = WebhookDraft { url: url.clone(), events: events.clone(), active };
    match crate::http::shared::save_webhook(&app, ui.actor(), Some(id), draft).await {
        Ok(_) => Ok(see_other(&format!("/webhooks/{id}?ok=webhook_saved"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, SHOWN)?;
            render(status, &hook_for(&app, &ui, &uri, id, None, Some((url, events)), errs)?)
        }
    }
}

pub async fn set_active(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let (now, actor, active) = (app.now(), ui.actor().clone(), f.get("active") == "1");
    app.db.write(move |tx| webhooks::set_active(tx, &actor, now, id, active)).await?;
    Ok(see_other(&format!("/webhooks/{id}?ok=webhook_saved")))
}

pub async fn rotate(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let hook = app.db.write(move |tx| webhooks::rotate_secret(tx, &actor, now, id)).await?;
    render(StatusCode::OK, &hook_for(&app, &ui, &uri, id, Some(hook.secret), None, Errors::default())?)
}

pub async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| webhooks::delete(tx, &actor, now, id)).await?;
    Ok(see_other("/webhooks?ok=webhook_deleted"))
}
