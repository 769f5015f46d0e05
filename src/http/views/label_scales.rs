//! Label-scale pages under Devices: the list with each scale's sync state and the add form;
//! a scale's page with live progress (its status fragment reloads on the scale's events),
//! "sync now", token rotation (the token is shown once, on the page that made it), settings,
//! and the newest batch results per PLU.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::LabelScaleId;
use crate::scales::label::{self, LabelLink, LabelScale, LabelScaleDraft};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/label-scales", get(list_page).post(create))
        .route("/label-scales/{id}", get(scale_page).post(save))
        .route("/label-scales/{id}/token", post(rotate))
        .route("/label-scales/{id}/sync", post(sync))
        .route("/label-scales/{id}/delete", post(delete))
        .route("/label-scales/{id}/status", get(status))
        .route("/label-scales/{id}/events", get(events))
}

const SHOWN: &[&str] = &["name", "link", "address", "password"];

fn shell(app: &App, ui: &Ui, uri: &Uri) -> Result<Shell> {
    let mut shell = Shell::load(app, ui)?;
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if ["saved", "sync", "deleted"].contains(&ok.as_str()) {
        shell.flash = Some(ui.lang.t(&format!("label_scales.flash_{ok}")));
    }
    Ok(shell)
}

/// A scale's sync state as the list and its page show it.
pub struct StatusView {
    /// up_to_date, out_of_date, syncing, failed or off.
    pub state: String,
    pub state_label: String,
    pub done: u32,
    pub total: u32,
    pub percent: u32,
    pub last_sync: String,
    pub last_accepted: u32,
    pub last_rejected: u32,
    pub last_error: String,
    pub last_seen: String,
    pub agent: String,
    pub held: u64,
}

fn status_of(lang: Lang, s: &LabelScale, version: u64, held: u64) -> StatusView {
    let state = match (&s.sync.running, &s.sync.last_error) {
        _ if !s.active => "off",
        (Some(_), _) => "syncing",
        (None, Some(_)) if s.sync.held_version < version.max(1) => "failed",
        _ if s.sync.held_version >= version.max(1) => "up_to_date",
        _ => "out_of_date",
    };
    let (done, total) = s.sync.running.as_ref().map_or((0, 0), |r| (r.done, r.total));
    StatusView {
        state_label: lang.t(&format!("label_scales.state_{state}")).to_string(),
        state: state.into(),
        done,
        total,
        percent: (done * 100).checked_div(total).unwrap_or(0),
        last_sync: s.sync.last_sync.map(|t| t.rfc3339()).unwrap_or_default(),
        last_accepted: s.sync.last_accepted,
        last_rejected: s.sync.last_rejected,
        last_error: s.sync.last_error.clone().unwrap_or_default(),
        last_seen: s.sync.last_seen.map(|t| t.rfc3339()).unwrap_or_default(),
        agent: s.sync.agent.clone().unwrap_or_default(),
        held,
    }
}

pub struct Row {
    pub id: u64,
    pub name: String,
    pub link: String,
    pub status: StatusView,
}

pub struct Form {
    pub name: String,
    pub links: Vec<Choice>,
    pub address: String,
    pub password: String,
    pub active: bool,
}

fn form(lang: Lang, d: &LabelScaleDraft) -> Form {
    Form {
        name: d.name.clone(),
        links: ["agent", "mertech"]
            .into_iter()
            .map(|l| Choice { value: l.into(), label: lang.t(&format!("label_scales.link_{l}")).to_string(), selected: d.link == l })
            .collect(),
        address: d.address.clone(),
        password: d.password.clone(),
        active: d.active,
    }
}

fn draft_of(f: &Fields) -> LabelScaleDraft {
    LabelScaleDraft {
        name: f.get("name"),
        link: f.get("link"),
        address: f.get("address"),
        password: f.get("password"),
        active: f.has("active"),
    }
}

fn draft_from(s: &LabelScale) -> LabelScaleDraft {
    let password = match &s.link {
        LabelLink::Mertech { password, .. } => String::from_utf8_lossy(password).into_owned(),
        LabelLink::Agent => String::new(),
    };
    LabelScaleDraft { name: s.name.clone(), link: s.link.kind().into(), address: s.link.address(), password, active: s.active }
}

fn link_label(lang: Lang, s: &LabelScale) -> String {
    match &s.link {
        LabelLink::Agent => lang.t("label_scales.link_agent").to_string(),
        LabelLink::Mertech { .. } => format!("Mertech · {}", s.link.address()),
    }
}

#[derive(Template)]
#[template(path = "label_scales.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<Row>,
    form: Form,
    errs: Errors,
}

fn rows(app: &App, ui: &Ui) -> Result<Vec<Row>> {
    let tx = app.db.read()?;
    let c = ui.actor().company;
    let version = label::version(&tx, c)?;
    let mut out = Vec::new();
    for s in label::list(&tx, ui.actor())? {
        let held = label::held_count(&tx, c, s.id)?;
        out.push(Row { id: s.id.0, link: link_label(ui.lang, &s), status: status_of(ui.lang, &s, version, held), name: s.name });
    }
    Ok(out)
}

async fn list_with(app: &App, ui: &Ui, uri: &Uri, d: &LabelScaleDraft, errs: Errors, status: StatusCode) -> Result<Response> {
    crate::scales::manager(ui.actor())?;
    let page = ListPage { lang: ui.lang, shell: shell(app, ui, uri)?, rows: rows(app, ui)?, form: form(ui.lang, d), errs };
    render(status, &page)
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let d = LabelScaleDraft { link: "agent".into(), active: true, ..LabelScaleDraft::default() };
    list_with(&app, &ui, &uri, &d, Errors::default(), StatusCode::OK).await
}

pub async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    crate::scales::manager(ui.actor())?;
    let mut d = draft_of(&f);
    d.active = true;
    match crate::http::shared::save_label_scale(&app, ui.actor(), None, d.clone()).await {
        Ok((s, token, _)) => render(StatusCode::CREATED, &page_for(&app, &ui, &uri, s.id, None, Errors::default(), token)?),
        Err(Error::Validation(list)) => {
            let errs = Errors::new(&list, ui.lang, SHOWN);
            list_with(&app, &ui, &uri, &d, errs, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

pub struct ResultRow {
    pub at: String,
    pub plu: u32,
    pub name: String,
    pub accepted: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "label_scale.html")]
struct ScalePage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    link: String,
    agent: bool,
    status: StatusView,
    token: String,
    form: Form,
    errs: Errors,
    results: Vec<ResultRow>,
}

/// The newest results shown: the last 10 batches, at most 200 PLUs.
const RESULTS_SHOWN: usize = 200;

fn page_for(
    app: &App,
    ui: &Ui,
    uri: &Uri,
    id: LabelScaleId,
    draft: Option<LabelScaleDraft>,
    errs: Errors,
    token: Option<String>,
) -> Result<ScalePage> {
    let tx = app.db.read()?;
    let s = label::get(&tx, ui.actor(), id)?;
    let c = ui.actor().company;
    let version = label::version(&tx, c)?;
    let held = label::held_count(&tx, c, id)?;
    let mut results = Vec::new();
    for (_, b) in label::batches(&tx, ui.actor(), id, 10)? {
        for i in b.items {
            if results.len() < RESULTS_SHOWN {
                results.push(ResultRow { at: b.at.rfc3339(), plu: i.plu, name: i.name, accepted: i.accepted, message: i.message });
            }
        }
    }
    let d = draft.unwrap_or_else(|| draft_from(&s));
    Ok(ScalePage {
        lang: ui.lang,
        shell: shell(app, ui, uri)?,
        id: id.0,
        link: link_label(ui.lang, &s),
        agent: matches!(s.link, LabelLink::Agent),
        status: status_of(ui.lang, &s, version, held),
        name: s.name,
        token: token.unwrap_or_default(),
        form: form(ui.lang, &d),
        errs,
        results,
    })
}

pub async fn scale_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &page_for(&app, &ui, &uri, LabelScaleId(id), None, Errors::default(), None)?)
}

pub async fn save(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = draft_of(&f);
    match crate::http::shared::save_label_scale(&app, ui.actor(), Some(LabelScaleId(id)), d.clone()).await {
        Ok(_) => Ok(see_other(&format!("/label-scales/{id}?ok=saved"))),
        Err(Error::Validation(list)) => {
            let errs = Errors::new(&list, ui.lang, SHOWN);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page_for(&app, &ui, &uri, LabelScaleId(id), Some(d), errs, None)?)
        }
        Err(e) => Err(e),
    }
}

pub async fn rotate(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let token = app.db.write(move |tx| label::rotate_token(tx, &actor, now, LabelScaleId(id))).await?;
    render(StatusCode::OK, &page_for(&app, &ui, &uri, LabelScaleId(id), None, Errors::default(), Some(token))?)
}

pub async fn sync(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    match crate::http::shared::sync_label_scale(&app, ui.actor(), LabelScaleId(id)).await {
        Ok(_) => Ok(see_other(&format!("/label-scales/{id}?ok=sync"))),
        Err(e @ Error::Refused { .. }) => {
            let errs = Errors::form(e.message(ui.lang));
            render(StatusCode::CONFLICT, &page_for(&app, &ui, &uri, LabelScaleId(id), None, errs, None)?)
        }
        Err(e) => Err(e),
    }
}

pub async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| label::delete(tx, &actor, now, LabelScaleId(id))).await?;
    Ok(see_other("/label-scales?ok=deleted"))
}

#[derive(Template)]
#[template(path = "label_scale_status.html")]
struct StatusPartial {
    lang: Lang,
    status: StatusView,
}

/// The status fragment the page reloads on every event of the scale.
pub async fn status(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let tx = app.db.read()?;
    let s = label::get(&tx, ui.actor(), LabelScaleId(id))?;
    let version = label::version(&tx, ui.actor().company)?;
    let held = label::held_count(&tx, ui.actor().company, s.id)?;
    render(StatusCode::OK, &StatusPartial { lang: ui.lang, status: status_of(ui.lang, &s, version, held) })
}

/// The scale's `progress` and `sync` events for its page.
pub async fn events(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let s = label::get(&app.db.read()?, ui.actor(), LabelScaleId(id))?;
    Ok(crate::http::live::stream(&app, ui.actor().company, &crate::scales::upload::topic(s.id)).into_response())
}
