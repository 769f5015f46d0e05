//! Scale pages under Devices: the list with live weight and state, add and edit (link, line
//! settings, protocol or Detect, division, cash box), zero and tare; the live stream a page
//! (the till too) follows.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::{Choice, Errors, Fields, Shell, Ui, flash_text, render, see_other};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{CashBoxId, ScaleId};
use crate::scales::device::Status;
use crate::scales::proto::{Command, Protocol};
use crate::scales::{self, Link, Scale, ScaleDraft};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/scales", get(list_page).post(create))
        .route("/scales/detect", post(detect_new))
        .route("/scales/{id}", get(edit_page).post(save))
        .route("/scales/{id}/zero", post(zero))
        .route("/scales/{id}/tare", post(tare))
        .route("/scales/{id}/delete", post(delete))
        .route("/scales/{id}/live", get(live))
}

const FLASHES: &[&str] = &["saved", "zeroed", "tared"];
const SHOWN: &[&str] = &["name", "link", "address", "line", "protocol", "resolution_g", "cash_box"];

fn shell(app: &App, ui: &Ui, uri: &Uri) -> Result<Shell> {
    let mut shell = Shell::load(app, ui)?;
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if let Some(key) = FLASHES.iter().find(|k| **k == ok) {
        shell.flash = Some(flash_text(ui.lang, &format!("scale_{key}")));
    }
    Ok(shell)
}

/// A live weight widget: what the page shows before the first event, and the labels the
/// script switches between (`app.js`, `[data-scale-live]`).
pub struct Live {
    pub id: u64,
    pub state: String,
    pub state_label: String,
    pub kg: String,
    pub last_good: String,
    pub labels: String,
}

pub fn live_widget(lang: Lang, id: ScaleId, st: Option<Status>) -> Live {
    let state = st.as_ref().map_or("disconnected", |s| s.state.code()).to_string();
    let labels: serde_json::Map<String, serde_json::Value> = ["stable", "unstable", "overload", "underload", "disconnected"]
        .into_iter()
        .map(|s| (s.to_string(), serde_json::Value::String(lang.t(&format!("scales.state_{s}")).to_string())))
        .collect();
    Live {
        id: id.0,
        state_label: lang.t(&format!("scales.state_{state}")).to_string(),
        state,
        kg: st.as_ref().map_or_else(|| "—".to_string(), |s| crate::money::display::number(lang, s.kg(), 3)),
        last_good: st.and_then(|s| s.last_good).map(|t| t.rfc3339()).unwrap_or_default(),
        labels: serde_json::Value::Object(labels).to_string(),
    }
}

pub struct Row {
    pub id: u64,
    pub name: String,
    pub address: String,
    pub protocol: String,
    pub cash_box: String,
    pub active: bool,
    pub live: Live,
}

pub struct Form {
    pub name: String,
    pub links: Vec<Choice>,
    pub address: String,
    pub line: String,
    pub protocols: Vec<Choice>,
    pub resolutions: Vec<Choice>,
    pub boxes: Vec<Choice>,
    pub active: bool,
}

fn form(app: &App, ui: &Ui, d: &ScaleDraft) -> Result<Form> {
    let lang = ui.lang;
    let tx = app.db.read()?;
    let mut boxes = vec![Choice { value: String::new(), label: lang.t("scales.no_box").to_string(), selected: d.cash_box.is_none() }];
    boxes.extend(crate::pos::query::cash_boxes(&tx, ui.actor())?.into_iter().map(|b| Choice {
        value: b.id.0.to_string(),
        label: b.name,
        selected: d.cash_box == Some(b.id),
    }));
    let res = if d.resolution_g.is_empty() { "1" } else { d.resolution_g.as_str() };
    Ok(Form {
        name: d.name.clone(),
        links: ["tcp", "serial"]
            .into_iter()
            .map(|l| Choice { value: l.into(), label: lang.t(&format!("scales.link_{l}")).to_string(), selected: d.link == l })
            .collect(),
        address: d.address.clone(),
        line: d.line.clone(),
        protocols: Protocol::ALL
            .into_iter()
            .map(|p| Choice { value: p.code().into(), label: p.label().into(), selected: d.protocol == p.code() })
            .collect(),
        resolutions: ["1", "2", "5", "10", "20", "50"]
            .into_iter()
            .map(|r| Choice { value: r.into(), label: format!("{r} g"), selected: r == res })
            .collect(),
        boxes,
        active: d.active,
    })
}

fn draft_of(f: &Fields) -> ScaleDraft {
    ScaleDraft {
        name: f.get("name"),
        link: f.get("link"),
        address: f.get("address"),
        line: f.get("line"),
        protocol: f.get("protocol"),
        resolution_g: f.get("resolution_g"),
        cash_box: f.id("cash_box").map(CashBoxId),
        active: f.has("active"),
    }
}

fn draft_from(s: &Scale) -> ScaleDraft {
    ScaleDraft {
        name: s.name.clone(),
        link: s.link.kind().into(),
        address: s.link.address(),
        line: match &s.link {
            Link::Serial { line, .. } => line.label(),
            Link::Tcp { .. } => String::new(),
        },
        protocol: s.protocol.code().into(),
        resolution_g: s.resolution_g.to_string(),
        cash_box: s.cash_box,
        active: s.active,
    }
}

fn rows(app: &App, ui: &Ui) -> Result<Vec<Row>> {
    let tx = app.db.read()?;
    let c = ui.actor().company;
    let names: Vec<(CashBoxId, String)> = crate::pos::query::cash_boxes(&tx, ui.actor())?.into_iter().map(|b| (b.id, b.name)).collect();
    Ok(scales::list(&tx, ui.actor())?
        .into_iter()
        .map(|s| Row {
            id: s.id.0,
            address: match &s.link {
                Link::Serial { path, line } => format!("{path} · {}", line.label()),
                Link::Tcp { .. } => s.link.address(),
            },
            protocol: s.protocol.label().into(),
            cash_box: names.iter().find(|(id, _)| Some(*id) == s.cash_box).map(|(_, n)| n.clone()).unwrap_or_default(),
            active: s.active,
            live: live_widget(ui.lang, s.id, app.scales.status(c, s.id)),
            name: s.name,
        })
        .collect())
}

#[derive(Template)]
#[template(path = "scales.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<Row>,
    form: Form,
    errs: Errors,
    detected: String,
}

fn new_draft() -> ScaleDraft {
    ScaleDraft { link: "serial".into(), protocol: "sics".into(), resolution_g: "1".into(), active: true, ..ScaleDraft::default() }
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    scales::manager(ui.actor())?;
    let page = ListPage {
        lang: ui.lang,
        shell: shell(&app, &ui, &uri)?,
        rows: rows(&app, &ui)?,
        form: form(&app, &ui, &new_draft())?,
        errs: Errors::default(),
        detected: String::new(),
    };
    render(StatusCode::OK, &page)
}

async fn list_with(app: &App, ui: &Ui, uri: &Uri, d: &ScaleDraft, errs: Errors, detected: String, status: StatusCode) -> Result<Response> {
    let page = ListPage { lang: ui.lang, shell: shell(app, ui, uri)?, rows: rows(app, ui)?, form: form(app, ui, d)?, errs, detected };
    render(status, &page)
}

pub async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    scales::manager(ui.actor())?;
    let mut d = draft_of(&f);
    d.active = true;
    match crate::http::shared::save_scale(&app, ui.actor(), None, d.clone()).await {
        Ok(s) => Ok(see_other(&format!("/scales/{}?ok=saved", s.id))),
        Err(Error::Validation(list)) => {
            let errs = Errors::new(&list, ui.lang, SHOWN);
            list_with(&app, &ui, &uri, &d, errs, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

/// Detect on the add form: fills in the protocol and line settings that answered.
pub async fn detect_new(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    scales::manager(ui.actor())?;
    let mut d = draft_of(&f);
    d.active = true;
    match crate::http::shared::detect_scale(&app, ui.actor(), &d.link, &d.address).await {
        Ok(Some(found)) => {
            d.protocol = found.protocol.code().into();
            d.line = found.line.map(|l| l.label()).unwrap_or_default();
            let text = format!(
                "{} {}{}",
                ui.lang.t("scales.detected"),
                found.protocol.label(),
                found.line.map(|l| format!(", {}", l.label())).unwrap_or_default()
            );
            list_with(&app, &ui, &uri, &d, Errors::default(), text, StatusCode::OK).await
        }
        Ok(None) => {
            let errs = Errors::form(ui.lang.t("scales.not_detected").to_string());
            list_with(&app, &ui, &uri, &d, errs, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(Error::Validation(list)) => {
            let errs = Errors::new(&list, ui.lang, SHOWN);
            list_with(&app, &ui, &uri, &d, errs, String::new(), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "scale_edit.html")]
struct EditPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    live: Live,
    zero_tare: bool,
    form: Form,
    errs: Errors,
}

fn edit_page_for(app: &App, ui: &Ui, uri: &Uri, id: ScaleId, draft: Option<ScaleDraft>, errs: Errors) -> Result<EditPage> {
    scales::manager(ui.actor())?;
    let s = scales::scale(&app.db.read()?, ui.actor(), id)?;
    let d = draft.unwrap_or_else(|| draft_from(&s));
    Ok(EditPage {
        lang: ui.lang,
        shell: shell(app, ui, uri)?,
        id: id.0,
        live: live_widget(ui.lang, id, app.scales.status(ui.actor().company, id)),
        zero_tare: s.protocol.zero_tare(),
        name: s.name,
        form: form(app, ui, &d)?,
        errs,
    })
}

pub async fn edit_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &edit_page_for(&app, &ui, &uri, ScaleId(id), None, Errors::default())?)
}

pub async fn save(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = draft_of(&f);
    match crate::http::shared::save_scale(&app, ui.actor(), Some(ScaleId(id)), d.clone()).await {
        Ok(_) => Ok(see_other(&format!("/scales/{id}?ok=saved"))),
        Err(Error::Validation(list)) => {
            let errs = Errors::new(&list, ui.lang, SHOWN);
            render(StatusCode::UNPROCESSABLE_ENTITY, &edit_page_for(&app, &ui, &uri, ScaleId(id), Some(d), errs)?)
        }
        Err(e) => Err(e),
    }
}

async fn order(app: App, ui: Ui, uri: Uri, id: u64, cmd: Command, ok: &str) -> Result<Response> {
    match crate::http::shared::scale_order(&app, ui.actor(), ScaleId(id), cmd).await {
        Ok(()) => Ok(see_other(&format!("/scales/{id}?ok={ok}"))),
        Err(e @ Error::Refused { .. }) => {
            let errs = Errors::form(e.message(ui.lang));
            render(StatusCode::CONFLICT, &edit_page_for(&app, &ui, &uri, ScaleId(id), None, errs)?)
        }
        Err(e) => Err(e),
    }
}

pub async fn zero(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    order(app, ui, uri, id, Command::Zero, "zeroed").await
}

pub async fn tare(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    order(app, ui, uri, id, Command::Tare, "tared").await
}

pub async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    crate::http::shared::delete_scale(&app, ui.actor(), ScaleId(id)).await?;
    Ok(see_other("/scales?ok=saved"))
}

/// The scale's `weight` events for a page (managers, and cashiers at the till).
pub async fn live(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let s = scales::scale(&app.db.read()?, ui.actor(), ScaleId(id))?;
    let stream = crate::http::live::stream(&app, ui.actor().company, &format!("scale:{}", s.id));
    app.scales.announce(ui.actor().company, s.id);
    Ok(stream.into_response())
}
