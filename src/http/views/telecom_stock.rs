//! The telecom desk's stock pages: SIMs (list by status, add one, generate from templates) and
//! tariffs with their revisions. Split from `telecom.rs`, which keeps the routes and the shared
//! helpers. Every form works without JavaScript.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use super::fmt::amount;
use super::form::refused;
use super::telecom::{Typed, flash, query_of, t};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::TariffId;
use crate::telecom::model::SimStatus;
use crate::telecom::sims::{self, GenerateDraft, SimDraft};
use crate::telecom::tariffs::{self, RevisionDraft, TariffDraft};
use crate::telecom::{self, query};

// ---- SIMs ----

pub struct SimRow {
    pub iccid: String,
    pub imsi: String,
    pub msisdn: String,
    pub status: &'static str,
    pub status_code: &'static str,
}

#[derive(Template)]
#[template(path = "telecom_sims.html")]
struct SimsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<SimRow>,
    statuses: Vec<Choice>,
    number: String,
    form: Typed,
    errs: Errors,
    gen_errs: Errors,
    generated: Option<(usize, Vec<(String, &'static str)>)>,
    can_create: bool,
    can_generate: bool,
}

fn sims_for(
    app: &App,
    ui: &Ui,
    uri: &Uri,
    form: Fields,
    errs: Errors,
    gen_errs: Errors,
    generated: Option<(usize, Vec<(String, &'static str)>)>,
) -> Result<SimsPage> {
    telecom::require_view(ui.actor())?;
    let lang = ui.lang;
    let q = query_of(uri);
    let status = SimStatus::parse(&q.get("status"));
    let number = q.get("number");
    let rows = query::sims(&app.db.read()?, ui.actor(), status, &number, 300)?
        .iter()
        .map(|s| SimRow {
            iccid: s.iccid.clone(),
            imsi: s.imsi.clone(),
            msisdn: s.msisdn.clone(),
            status: t(lang, &format!("sim_{}", s.status.code())),
            status_code: s.status.code(),
        })
        .collect();
    let mut statuses = vec![Choice { value: String::new(), label: t(lang, "all").into(), selected: status.is_none() }];
    statuses.extend(SimStatus::ALL.iter().map(|s| Choice {
        value: s.code().into(),
        label: t(lang, &format!("sim_{}", s.code())).into(),
        selected: Some(*s) == status,
    }));
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri);
    let actor = ui.actor();
    Ok(SimsPage {
        lang,
        shell,
        rows,
        statuses,
        number,
        form: Typed(form),
        errs,
        gen_errs,
        generated,
        can_create: actor.can(crate::tenancy::perms::Perm::TELECOM_SIMS),
        can_generate: actor.can(crate::tenancy::perms::Perm::TELECOM_SIMS_BULK),
    })
}

pub async fn sims_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &sims_for(&app, &ui, &uri, Fields::parse(b""), Errors::default(), Errors::default(), None)?)
}

pub async fn create_sim(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = SimDraft { iccid: f.get("iccid"), imsi: f.get("imsi"), msisdn: f.get("msisdn"), puk: f.get("puk"), branch: None };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| sims::create_sim(tx, &actor, now, &d)).await {
        Ok(_) => Ok(see_other("/telecom/sims?ok=created")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["iccid", "imsi", "msisdn", "puk"])?;
            render(status, &sims_for(&app, &ui, &uri, f, errs, Errors::default(), None)?)
        }
    }
}

pub async fn generate_sims(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = GenerateDraft {
        count: f.get("count"),
        start: f.get("start"),
        iccid: f.get("iccid_template"),
        imsi: f.get("imsi_template"),
        msisdn: f.get("msisdn_template"),
        branch: None,
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| sims::generate(tx, &actor, now, &d)).await {
        Ok(g) => {
            let generated = Some((g.created.len(), g.skipped));
            render(StatusCode::OK, &sims_for(&app, &ui, &uri, Fields::parse(b""), Errors::default(), Errors::default(), generated)?)
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["count", "start"])?;
            render(status, &sims_for(&app, &ui, &uri, f, Errors::default(), errs, None)?)
        }
    }
}

// ---- tariffs ----

pub struct TariffRow {
    pub id: u64,
    pub name: String,
    pub fee: String,
    pub pay_kind: &'static str,
    pub revisions: usize,
    pub archived: bool,
}

#[derive(Template)]
#[template(path = "telecom_tariffs.html")]
struct TariffsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<TariffRow>,
    form: Typed,
    errs: Errors,
    can_edit: bool,
}

fn tariffs_for(app: &App, ui: &Ui, uri: &Uri, form: Fields, errs: Errors) -> Result<TariffsPage> {
    let lang = ui.lang;
    let rows = query::tariffs(&app.db.read()?, ui.actor())?
        .iter()
        .map(|x| TariffRow {
            id: x.id.0,
            name: x.name.clone(),
            fee: x.revisions.last().map(|r| amount(lang, r.monthly_fee)).unwrap_or_default(),
            pay_kind: t(lang, &format!("pay_{}", x.pay_kind.code())),
            revisions: x.revisions.len(),
            archived: x.archived,
        })
        .collect();
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri);
    let can_edit = ui.actor().can(crate::tenancy::perms::Perm::TELECOM_TARIFFS);
    Ok(TariffsPage { lang, shell, rows, form: Typed(form), errs, can_edit })
}

pub async fn tariffs_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &tariffs_for(&app, &ui, &uri, Fields::parse(b""), Errors::default())?)
}

fn revision_draft(f: &Fields) -> RevisionDraft {
    RevisionDraft {
        valid_from: f.get("valid_from"),
        monthly_fee: f.get("monthly_fee"),
        minutes: f.get("minutes"),
        sms: f.get("sms"),
        gb: f.get("gb"),
        minute_rate: f.get("minute_rate"),
        sms_rate: f.get("sms_rate"),
        gb_rate: f.get("gb_rate"),
    }
}

const REVISION_FIELDS: &[&str] = &["valid_from", "monthly_fee", "minutes", "sms", "gb", "minute_rate", "sms_rate", "gb_rate"];

pub async fn create_tariff(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = TariffDraft { name: f.get("name"), pay_kind: f.get("pay_kind"), priority: f.get("priority"), terms: revision_draft(&f) };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| tariffs::create_tariff(tx, &actor, now, &d)).await {
        Ok(x) => Ok(see_other(&format!("/telecom/tariffs/{}?ok=created", x.id))),
        Err(e) => {
            let shown = [REVISION_FIELDS, &["name", "pay_kind", "priority"]].concat();
            let (status, errs) = refused(e, ui.lang, &shown)?;
            render(status, &tariffs_for(&app, &ui, &uri, f, errs)?)
        }
    }
}

pub struct RevisionRow {
    pub valid_from: String,
    pub fee: String,
    pub allowances: String,
    pub rates: String,
}

#[derive(Template)]
#[template(path = "telecom_tariff.html")]
struct TariffPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    archived: bool,
    revisions: Vec<RevisionRow>,
    form: Typed,
    errs: Errors,
    can_edit: bool,
}

fn tariff_for(app: &App, ui: &Ui, uri: &Uri, id: u64, form: Fields, errs: Errors) -> Result<TariffPage> {
    let lang = ui.lang;
    let x = query::tariff(&app.db.read()?, ui.actor(), TariffId(id))?;
    let unlimited = t(lang, "unlimited");
    let allowance = |n: u32| if n == 0 { unlimited.to_string() } else { n.to_string() };
    let revisions = x
        .revisions
        .iter()
        .map(|r| RevisionRow {
            valid_from: r.valid_from.clone(),
            fee: amount(lang, r.monthly_fee),
            allowances: format!("{} {} · {} SMS · {} GB", allowance(r.minutes), t(lang, "min"), allowance(r.sms), allowance(r.gb)),
            rates: format!("{} / {} / {}", amount(lang, r.minute_rate), amount(lang, r.sms_rate), amount(lang, r.gb_rate)),
        })
        .collect();
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri);
    let can_edit = ui.actor().can(crate::tenancy::perms::Perm::TELECOM_TARIFFS);
    Ok(TariffPage { lang, shell, id, name: x.name, archived: x.archived, revisions, form: Typed(form), errs, can_edit })
}

pub async fn tariff_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &tariff_for(&app, &ui, &uri, id, Fields::parse(b""), Errors::default())?)
}

pub async fn revise_tariff(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = revision_draft(&f);
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| tariffs::revise(tx, &actor, now, TariffId(id), &d)).await {
        Ok(_) => Ok(see_other(&format!("/telecom/tariffs/{id}?ok=revised"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, REVISION_FIELDS)?;
            render(status, &tariff_for(&app, &ui, &uri, id, f, errs)?)
        }
    }
}

pub async fn archive_tariff(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let archived = f.get("archived") != "0";
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| tariffs::set_archived(tx, &actor, now, TariffId(id), archived)).await?;
    Ok(see_other(&format!("/telecom/tariffs/{id}?ok={}", if archived { "archived" } else { "saved" })))
}
