//! The duplicates page (`/crm/duplicates`): candidate pairs of clients with a merge button
//! for either direction, and the merge log with undo while it is allowed.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::form::{flash, refused};
use super::{Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::clients::model::Client;
use crate::dedup::{self, detect};
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{ClientId, MergeId};

pub fn routes() -> Router<App> {
    Router::new().route("/crm/duplicates", get(page)).route("/crm/duplicates/merge", post(merge)).route("/crm/merges/{id}/undo", post(undo))
}

const FLASHES: &[&str] = &["merged", "merge_undone"];

pub struct PairRow {
    pub a_id: u64,
    pub a_name: String,
    pub a_detail: String,
    pub b_id: u64,
    pub b_name: String,
    pub b_detail: String,
    pub reasons: String,
}

pub struct MergeRow {
    pub id: u64,
    pub at: String,
    pub survivor: String,
    pub duplicate: String,
    pub moved: usize,
    pub undone: bool,
    pub undoable: bool,
}

#[derive(Template)]
#[template(path = "crm_duplicates.html")]
pub struct DuplicatesPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub pairs: Vec<PairRow>,
    pub merges: Vec<MergeRow>,
}

fn detail(c: &Client) -> String {
    [c.phone.clone().unwrap_or_default(), c.email.clone().unwrap_or_default(), c.legal.inn.clone()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
}

fn page_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<DuplicatesPage> {
    let tx = app.db.read()?;
    let lang = ui.lang;
    let pairs = detect::candidates(&tx, ui.actor(), 200)?
        .iter()
        .map(|p| PairRow {
            a_id: p.a.id.0,
            a_name: p.a.name.clone(),
            a_detail: detail(&p.a),
            b_id: p.b.id.0,
            b_name: p.b.name.clone(),
            b_detail: detail(&p.b),
            reasons: p.reasons.iter().map(|r| lang.t(&format!("dedup.reason_{}", r.code())).to_string()).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri, FLASHES, "dedup_");
    let name = |id: ClientId| crate::crm::client_of(&tx, ui.actor(), id).map(|c| c.name).unwrap_or_else(|_| format!("#{id}"));
    let now = app.now();
    let mut merges = Vec::new();
    for m in dedup::merges(&tx, ui.actor(), 50)? {
        merges.push(MergeRow {
            id: m.id.0,
            at: m.at.format_local(&shell.timezone),
            survivor: name(m.survivor),
            duplicate: name(m.duplicate),
            moved: m.moved() + dedup::extras(&tx, ui.actor().company, m.id)?.moved(),
            undone: m.undone.is_some(),
            undoable: dedup::undoable(&tx, ui.actor().company, &m, now)?,
        });
    }
    Ok(DuplicatesPage { lang, shell, errs, pairs, merges })
}

pub async fn page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &page_for(&app, &ui, &uri, Errors::default())?)
}

pub async fn merge(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (survivor, duplicate) = (ClientId(f.id("survivor").unwrap_or(0)), ClientId(f.id("duplicate").unwrap_or(0)));
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| dedup::merge(tx, &actor, now, survivor, duplicate)).await {
        Ok(_) => Ok(see_other("/crm/duplicates?ok=merged")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &page_for(&app, &ui, &uri, errs)?)
        }
    }
}

pub async fn undo(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| dedup::undo(tx, &actor, now, MergeId(id))).await {
        Ok(_) => Ok(see_other("/crm/duplicates?ok=merge_undone")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &page_for(&app, &ui, &uri, errs)?)
        }
    }
}
