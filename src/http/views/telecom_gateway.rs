//! The payment gateway's settings page (`/telecom/gateway`): the callback address, the
//! signature header, and a new secret on request — shown once on the page that made it,
//! never again (only its sealed form is stored).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::form::refused;
use super::{Errors, Fields, Shell, Ui, render};
use crate::app::App;
use crate::error::Result;
use crate::i18n::Lang;
use crate::telecom::gateway::{self, DEFAULT_HEADER, SEAL_FIELD};
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new().route("/telecom/gateway", get(gateway_page).post(save_gateway))
}

#[derive(Template)]
#[template(path = "telecom_gateway.html")]
struct GatewayPage {
    lang: Lang,
    shell: Shell,
    configured: bool,
    header: String,
    callback_path: String,
    rotated: String,
    secret: String,
    errs: Errors,
}

fn page_for(app: &App, ui: &Ui, secret: String, errs: Errors) -> Result<GatewayPage> {
    crate::telecom::require(ui.actor(), &[Perm::TELECOM_SIMS_BULK])?;
    let c = ui.actor().company;
    let g = gateway::settings(&app.db.read()?, c)?;
    let shell = Shell::load(app, ui)?;
    Ok(GatewayPage {
        lang: ui.lang,
        configured: g.is_some(),
        header: g.as_ref().map_or(DEFAULT_HEADER.to_string(), |g| g.header.clone()),
        callback_path: format!("/api/v1/telecom/gateway/{c}/callback"),
        rotated: g.as_ref().map(|g| g.rotated.format_local(&shell.timezone)).unwrap_or_default(),
        secret,
        errs,
        shell,
    })
}

pub async fn gateway_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    render(StatusCode::OK, &page_for(&app, &ui, String::new(), Errors::default())?)
}

/// Saves the header; with `rotate` set, also a new secret, which this answer shows once.
pub async fn save_gateway(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    crate::telecom::require(ui.actor(), &[Perm::TELECOM_SIMS_BULK])?;
    let (now, actor, c) = (app.now(), ui.actor().clone(), ui.actor().company);
    let header = f.get("header");
    let fresh = if f.has("rotate") {
        let plain = hex::encode(rand::random::<[u8; 32]>());
        Some((app.box_key.seal(c, SEAL_FIELD, &plain)?, plain))
    } else {
        None
    };
    let (sealed, plain) = match fresh {
        Some((s, p)) => (Some(s), p),
        None => (None, String::new()),
    };
    match app.db.write(move |tx| gateway::save(tx, &actor, now, &header, sealed)).await {
        Ok(_) => render(StatusCode::OK, &page_for(&app, &ui, plain, Errors::default())?),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["header"])?;
            render(status, &page_for(&app, &ui, String::new(), errs)?)
        }
    }
}
