//! The bulk SIM assignment page (`/telecom/sims/assign`, spec B7): N free SIMs become N
//! active contracts of one subscriber (an organisation, typically) on one tariff, or move to
//! another branch's stock — all or nothing, through `telecom::merge::assign_free_sims` (the
//! same call as `POST /api/v1/telecom/sims/assign`); the page shows what was made.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;

use super::form::refused;
use super::{Choice, Errors, Fields, Shell, Ui, render};
use crate::app::App;
use crate::error::Result;
use crate::i18n::Lang;
use crate::telecom::merge::{self, AssignDraft, Assigned};
use crate::telecom::model::{SubscriberKind, SubscriberStatus};
use crate::telecom::query;
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new().route("/telecom/sims/assign", get(assign_page).post(assign))
}

/// One line of the result: a contract made (number, MSISDN, ICCID) or a SIM moved.
pub struct MadeRow {
    pub number: String,
    pub msisdn: String,
    pub iccid: String,
}

#[derive(Template)]
#[template(path = "telecom_sims_assign.html")]
struct AssignPage {
    lang: Lang,
    shell: Shell,
    errs: Errors,
    count: String,
    subscribers: Vec<Choice>,
    tariffs: Vec<Choice>,
    branches: Vec<Choice>,
    to_branches: Vec<Choice>,
    /// After a successful assignment: contracts made (true) or SIMs moved (false), and the rows.
    made: Option<(bool, Vec<MadeRow>)>,
}

/// Subscribers offered: active organisations first (the usual case), then active people.
const SUBSCRIBERS_SHOWN: usize = 500;

fn page_for(app: &App, ui: &Ui, f: &Fields, errs: Errors, made: Option<(bool, Vec<MadeRow>)>) -> Result<AssignPage> {
    crate::telecom::require(ui.actor(), &[Perm::TELECOM_SIMS_BULK, Perm::TELECOM_SIMS])?;
    let lang = ui.lang;
    let tx = app.db.read()?;
    let actor = ui.actor();
    let mut subs = query::subscribers(&tx, actor, "", Some(SubscriberStatus::Active), None, SUBSCRIBERS_SHOWN)?;
    subs.sort_by_key(|s| (s.kind != SubscriberKind::Organization, s.display_name()));
    let picked = |field: &str, v: String| f.get(field) == v;
    let none = |key: &str| Choice { value: String::new(), label: lang.t(key).into(), selected: false };
    let mut subscribers = vec![none("telecom.assign_pick")];
    subscribers.extend(subs.iter().map(|s| Choice {
        value: s.id.0.to_string(),
        label: format!("{} · {}", s.display_name(), s.phone),
        selected: picked("subscriber", s.id.0.to_string()),
    }));
    let mut tariffs = vec![none("telecom.assign_pick")];
    tariffs.extend(query::tariffs(&tx, actor)?.into_iter().filter(|t| !t.archived).map(|t| Choice {
        value: t.id.0.to_string(),
        selected: picked("tariff", t.id.0.to_string()),
        label: t.name,
    }));
    let all = crate::tenancy::query::branches(&tx, actor.company)?;
    let branch_choices = |field: &str, empty: &str| {
        let mut out = vec![none(empty)];
        out.extend(all.iter().map(|b| Choice {
            value: b.id.0.to_string(),
            label: b.name.clone(),
            selected: picked(field, b.id.0.to_string()),
        }));
        out
    };
    let branches = branch_choices("branch", "telecom.assign_any_branch");
    let to_branches = branch_choices("to_branch", "telecom.assign_no_move");
    drop(tx);
    Ok(AssignPage { lang, shell: Shell::load(app, ui)?, errs, count: f.get("count"), subscribers, tariffs, branches, to_branches, made })
}

pub async fn assign_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    render(StatusCode::OK, &page_for(&app, &ui, &Fields::parse(b""), Errors::default(), None)?)
}

fn made_rows(app: &App, ui: &Ui, a: &Assigned) -> Result<(bool, Vec<MadeRow>)> {
    if !a.moved.is_empty() {
        let rows = a.moved.iter().map(|s| MadeRow { number: String::new(), msisdn: s.msisdn.clone(), iccid: s.iccid.clone() }).collect();
        return Ok((false, rows));
    }
    let tx = app.db.read()?;
    let mut rows = Vec::new();
    for k in &a.contracts {
        let (msisdn, iccid) = match k.sim {
            Some(s) => query::sim(&tx, ui.actor(), s).map(|c| (c.sim.msisdn, c.sim.iccid)).unwrap_or_default(),
            None => Default::default(),
        };
        rows.push(MadeRow { number: k.number.clone(), msisdn, iccid });
    }
    Ok((true, rows))
}

pub async fn assign(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    crate::telecom::require(ui.actor(), &[Perm::TELECOM_SIMS_BULK, Perm::TELECOM_SIMS])?;
    let d = AssignDraft {
        count: f.get("count"),
        branch: f.id("branch"),
        subscriber: f.id("subscriber"),
        tariff: f.id("tariff"),
        to_branch: f.id("to_branch"),
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| merge::assign_free_sims(tx, &actor, now, &d)).await {
        Ok(a) => {
            let made = made_rows(&app, &ui, &a)?;
            render(StatusCode::OK, &page_for(&app, &ui, &Fields::parse(b""), Errors::default(), Some(made))?)
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["count", "subscriber", "tariff", "branch", "to_branch"])?;
            render(status, &page_for(&app, &ui, &f, errs, None)?)
        }
    }
}
