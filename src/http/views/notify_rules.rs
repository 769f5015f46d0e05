//! Notification pages: the company's rules (`/notify/rules`, right `notify_rules`: list, new
//! rule, delete, the built-in "shift closed short" rule's threshold (`/notify/shift-short`) and
//! its newest firings, the WhatsApp channel and template for staff (`/notify/staff-whatsapp`);
//! `/notify/rules/{id}`: the rule's firing log) and each user's own preferences
//! (`/notify/preferences`: per event, the bell, e-mail and WhatsApp).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::RuleId;
use crate::messaging::rules::{self, Action, RuleDraft, Trigger, shift};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/notify/rules", get(rules_page).post(create))
        .route("/notify/rules/{id}", get(rule_page))
        .route("/notify/rules/{id}/delete", post(delete))
        .route("/notify/shift-short", post(save_shift_short))
        .route("/notify/staff-whatsapp", post(save_staff_whatsapp))
        .route("/notify/preferences", get(prefs_page).post(save_prefs))
}

const FLASHES: &[&str] = &["saved", "deleted"];
const FIELDS: &[&str] = &["name", "trigger", "days", "action", "perm", "email", "template"];

pub struct RuleRow {
    pub id: u64,
    pub name: String,
    pub trigger: &'static str,
    pub action: &'static str,
    pub target: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "notify_rules.html")]
struct RulesPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<RuleRow>,
    form: RuleDraft,
    triggers: Vec<Choice>,
    actions: Vec<Choice>,
    perms: Vec<Choice>,
    templates: Vec<Choice>,
    errs: Errors,
    /// The built-in "shift closed short" rule: threshold, switch, newest firings.
    shift_threshold: String,
    shift_active: bool,
    shift_log: Vec<FiredRow>,
    /// The staff WhatsApp choice: the company's WhatsApp channels and its active templates,
    /// each with a "none" first.
    wa_channels: Vec<Choice>,
    wa_templates: Vec<Choice>,
}

fn choices(lang: Lang, prefix: &str, codes: &[&str], selected: &str) -> Vec<Choice> {
    codes.iter().map(|c| Choice { value: (*c).into(), label: lang.t(&format!("{prefix}{c}")).into(), selected: *c == selected }).collect()
}

fn rules_for(app: &App, ui: &Ui, uri: &Uri, form: RuleDraft, errs: Errors) -> Result<RulesPage> {
    rules::require_admin(ui.actor())?;
    let c = ui.actor().company;
    let tx = app.db.read()?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "notify.");
    let rows = rules::rules(&tx, c)?
        .into_iter()
        .map(|r| RuleRow {
            id: r.id.0,
            target: match r.action {
                Action::Staff => r.perm.clone(),
                Action::Email => r.email.clone(),
                Action::WhatsApp => r.template.map(|t| t.to_string()).unwrap_or_default(),
            },
            name: r.name,
            trigger: r.trigger.code(),
            action: r.action.code(),
            active: r.active,
        })
        .collect();
    let triggers = choices(ui.lang, "notify.trigger_", &Trigger::ALL.map(Trigger::code), &form.trigger);
    let actions = choices(ui.lang, "notify.action_", &Action::ALL.map(Action::code), &form.action);
    let perms = crate::tenancy::perms::ALL
        .iter()
        .map(|p| Choice {
            value: p.code.into(),
            label: if matches!(ui.lang, Lang::Ru) { p.ru.into() } else { p.en.into() },
            selected: p.code == form.perm,
        })
        .collect();
    let templates = crate::messaging::templates(&tx, c)?
        .into_iter()
        .map(|t| Choice { value: t.id.0.to_string(), label: t.name, selected: form.template == Some(t.id.0) })
        .collect();
    let staff = rules::whatsapp::settings(&tx, c)?;
    let none = |lang: Lang, selected: bool| Choice { value: String::new(), label: lang.t("notify.wa_none").into(), selected };
    let mut wa_channels = vec![none(ui.lang, staff.is_none())];
    for ch in crate::messaging::channels(&tx, c)? {
        if crate::messaging::channel_kind(&tx, c, ch.id)? == crate::messaging::Kind::WhatsApp {
            let selected = staff.as_ref().is_some_and(|s| s.channel == ch.id);
            wa_channels.push(Choice { value: ch.id.0.to_string(), label: ch.name, selected });
        }
    }
    let mut wa_templates = vec![none(ui.lang, staff.is_none())];
    for t in crate::messaging::templates(&tx, c)?.into_iter().filter(|t| t.active && t.params <= rules::whatsapp::MAX_VARS) {
        let selected = staff.as_ref().is_some_and(|s| s.template == t.id);
        wa_templates.push(Choice { value: t.id.0.to_string(), label: format!("{} ({})", t.name, t.language), selected });
    }
    let short = shift::settings(&tx, c)?;
    let shift_log = fired_rows(&tx, c, shift::SHIFT_RULE, 10, &shell.timezone)?;
    Ok(RulesPage {
        lang: ui.lang,
        shell,
        rows,
        form,
        triggers,
        actions,
        perms,
        templates,
        errs,
        shift_threshold: short.threshold.to_string(),
        shift_active: short.active,
        shift_log,
        wa_channels,
        wa_templates,
    })
}

async fn rules_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let form = RuleDraft { active: true, perm: "clients".into(), ..Default::default() };
    render(StatusCode::OK, &rules_for(&app, &ui, &uri, form, Errors::default())?)
}

async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    rules::require_admin(ui.actor())?;
    let d = RuleDraft {
        name: f.get("name"),
        trigger: f.get("trigger"),
        days: f.get("days"),
        action: f.get("action"),
        perm: f.get("perm"),
        email: f.get("email"),
        template: f.id("template"),
        active: true,
    };
    let (actor, now, draft) = (ui.actor().clone(), app.now(), d.clone());
    match app.db.write(move |tx| rules::save_rule(tx, &actor, now, None, &draft)).await {
        Ok(_) => Ok(see_other("/notify/rules?ok=saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, FIELDS)?;
            render(status, &rules_for(&app, &ui, &uri, d, errs)?)
        }
    }
}

async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    rules::require_admin(ui.actor())?;
    let (actor, now) = (ui.actor().clone(), app.now());
    app.db.write(move |tx| rules::delete_rule(tx, &actor, now, RuleId(id))).await?;
    Ok(see_other("/notify/rules?ok=deleted"))
}

pub struct FiredRow {
    pub at: String,
    pub text: String,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "notify_rule.html")]
struct RulePage {
    lang: Lang,
    shell: Shell,
    name: String,
    rows: Vec<FiredRow>,
}

async fn rule_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    rules::require_admin(ui.actor())?;
    let tx = app.db.read()?;
    let r = rules::rule(&tx, ui.actor().company, RuleId(id))?;
    let shell = Shell::load(&app, &ui)?;
    let rows = fired_rows(&tx, ui.actor().company, r.id, 200, &shell.timezone)?;
    render(StatusCode::OK, &RulePage { lang: ui.lang, shell, name: r.name, rows })
}

fn fired_rows(tx: &impl crate::storage::Read, c: crate::ids::CompanyId, rule: RuleId, limit: usize, tz: &str) -> Result<Vec<FiredRow>> {
    Ok(rules::fired(tx, c, rule, limit)?
        .into_iter()
        .map(|(_, _, f)| FiredRow { at: f.at.format_local(tz), text: f.text, outcome: f.outcome })
        .collect())
}

async fn save_shift_short(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    rules::require_admin(ui.actor())?;
    let (actor, now, threshold, active) = (ui.actor().clone(), app.now(), f.get("threshold"), f.has("active"));
    match app.db.write(move |tx| shift::save(tx, &actor, now, &threshold, active)).await {
        Ok(_) => Ok(see_other("/notify/rules?ok=saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["threshold"])?;
            let form = RuleDraft { active: true, perm: "clients".into(), ..Default::default() };
            render(status, &rules_for(&app, &ui, &uri, form, errs)?)
        }
    }
}

async fn save_staff_whatsapp(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    rules::require_admin(ui.actor())?;
    let (actor, now, channel, template) = (ui.actor().clone(), app.now(), f.id("wa_channel"), f.id("wa_template"));
    match app.db.write(move |tx| rules::whatsapp::save(tx, &actor, now, channel, template)).await {
        Ok(_) => Ok(see_other("/notify/rules?ok=saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            let form = RuleDraft { active: true, perm: "clients".into(), ..Default::default() };
            render(status, &rules_for(&app, &ui, &uri, form, errs)?)
        }
    }
}

pub struct PrefRow {
    pub code: &'static str,
    pub bell: bool,
    pub email: bool,
    pub wa: bool,
}

#[derive(Template)]
#[template(path = "notify_prefs.html")]
struct PrefsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<PrefRow>,
    mail_ready: bool,
    /// The company chose a staff WhatsApp template.
    wa_ready: bool,
    /// The user has a phone for it.
    has_phone: bool,
}

async fn prefs_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let (c, u) = (ui.actor().company, ui.actor().user);
    let tx = app.db.read()?;
    let p = rules::prefs(&tx, c, u)?;
    let wa = rules::whatsapp::wanted(&tx, c, u)?;
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, ui.lang, &uri, FLASHES, "notify.");
    let rows = rules::pref_events()
        .into_iter()
        .map(|code| PrefRow {
            code,
            bell: !p.muted.iter().any(|e| e == code),
            email: p.email.iter().any(|e| e == code),
            wa: wa.iter().any(|e| e == code),
        })
        .collect();
    let mail_ready = crate::messaging::mail::configured(&tx, &app.config, c)?;
    let wa_ready = rules::whatsapp::settings(&tx, c)?.is_some();
    let has_phone = rules::whatsapp::reachable(&tx, c, u)?;
    render(StatusCode::OK, &PrefsPage { lang: ui.lang, shell, rows, mail_ready, wa_ready, has_phone })
}

async fn save_prefs(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    let events = rules::pref_events();
    let muted: Vec<String> = events.iter().filter(|e| !f.has(&format!("bell_{e}"))).map(|e| (*e).to_string()).collect();
    let email: Vec<String> = events.iter().filter(|e| f.has(&format!("email_{e}"))).map(|e| (*e).to_string()).collect();
    let whatsapp: Vec<String> = events.iter().filter(|e| f.has(&format!("wa_{e}"))).map(|e| (*e).to_string()).collect();
    let actor = ui.actor().clone();
    app.db.write(move |tx| rules::save_prefs(tx, &actor, &muted, &email, &whatsapp)).await?;
    Ok(see_other("/notify/preferences?ok=saved"))
}
