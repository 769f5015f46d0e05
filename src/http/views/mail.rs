//! The e-mail page (`/mail`, right `mail_settings`): which server mail goes through, the
//! company's own SMTP server (the password is write-only: the form only says whether one is
//! stored), a test e-mail, and the delivery log with each mail's state, attempts and error
//! (`/mail/log/{id}` shows one).

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
use crate::ids::MailId;
use crate::messaging::mail::{self, Mail, SettingsDraft};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/mail", get(page))
        .route("/mail/settings", post(save))
        .route("/mail/test", post(test))
        .route("/mail/log/{id}", get(one))
}

const FLASHES: &[&str] = &["saved", "queued"];
const FIELDS: &[&str] = &["host", "port", "security", "username", "password", "from", "to"];

pub struct MailRow {
    pub id: u64,
    pub to: String,
    pub subject: String,
    pub kind: String,
    pub state: &'static str,
    pub attempts: u32,
    pub error: String,
    pub at: String,
}

fn row(m: &Mail, tz: &str) -> MailRow {
    MailRow {
        id: m.id.0,
        to: m.to.clone(),
        subject: m.subject.clone(),
        kind: m.kind.clone(),
        state: m.state.code(),
        attempts: m.attempts,
        error: m.error.clone().unwrap_or_default(),
        at: m.created.format_local(tz),
    }
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailPage {
    lang: Lang,
    shell: Shell,
    /// `company`, `box` or `none`.
    source: &'static str,
    form: SettingsDraft,
    securities: Vec<Choice>,
    password_set: bool,
    password_ok: bool,
    test_to: String,
    rows: Vec<MailRow>,
    errs: Errors,
}

fn page_for(app: &App, ui: &Ui, uri: &Uri, form: Option<SettingsDraft>, errs: Errors) -> Result<MailPage> {
    mail::require_admin(ui.actor())?;
    let c = ui.actor().company;
    let tx = app.db.read()?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "mail.");
    let own = mail::settings(&tx, c)?;
    let source = match &own {
        Some(s) if s.active => "company",
        _ if mail::box_server(&app.config.smtp).is_some() => "box",
        _ => "none",
    };
    let (password_set, password_ok) = match &own {
        Some(s) => (!s.password.is_empty(), s.password.is_empty() || app.box_key.open(c, "smtp_password", &s.password).is_some()),
        None => (false, true),
    };
    let form = form.unwrap_or_else(|| match &own {
        Some(s) => SettingsDraft {
            host: s.host.clone(),
            port: s.port.to_string(),
            security: s.security.code().into(),
            username: s.username.clone(),
            password: String::new(),
            clear_password: false,
            from: s.from.clone(),
            active: s.active,
        },
        None => SettingsDraft { port: "587".into(), security: "starttls".into(), active: true, ..Default::default() },
    });
    let securities = ["starttls", "tls", "plain"]
        .iter()
        .map(|code| Choice {
            value: (*code).into(),
            label: ui.lang.t(&format!("mail.security_{code}")).into(),
            selected: form.security == *code,
        })
        .collect();
    let test_to = crate::tenancy::query::user(&tx, c, ui.actor().user).map(|u| u.email).unwrap_or_default();
    let rows = mail::log(&tx, c, 100)?.iter().map(|m| row(m, &shell.timezone)).collect();
    Ok(MailPage { lang: ui.lang, shell, source, form, securities, password_set, password_ok, test_to, rows, errs })
}

async fn page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &page_for(&app, &ui, &uri, None, Errors::default())?)
}

async fn save(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    mail::require_admin(ui.actor())?;
    let d = SettingsDraft {
        host: f.get("host"),
        port: f.get("port"),
        security: f.get("security"),
        username: f.get("username"),
        password: f.get("password"),
        clear_password: f.has("clear_password"),
        from: f.get("from"),
        active: f.has("active"),
    };
    let (actor, now, key, config, draft) = (ui.actor().clone(), app.now(), app.box_key.clone(), app.config.clone(), d.clone());
    match app.db.write(move |tx| mail::save_settings(tx, &actor, &key, &config, now, &draft)).await {
        Ok(()) => Ok(see_other("/mail?ok=saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, FIELDS)?;
            // The password typed is never sent back to the browser.
            let d = SettingsDraft { password: String::new(), ..d };
            render(status, &page_for(&app, &ui, &uri, Some(d), errs)?)
        }
    }
}

async fn test(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    mail::require_admin(ui.actor())?;
    let to = f.get("to");
    let (actor, now, config) = (ui.actor().clone(), app.now(), app.config.clone());
    match app.db.write(move |tx| mail::send_test(tx, &actor, &config, &to, None, now)).await {
        Ok(_) => Ok(see_other("/mail?ok=queued")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, FIELDS)?;
            render(status, &page_for(&app, &ui, &uri, None, errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "mail_one.html")]
struct OnePage {
    lang: Lang,
    shell: Shell,
    mail: MailRow,
    body: String,
}

async fn one(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    mail::require_admin(ui.actor())?;
    let m = mail::mail(&app.db.read()?, ui.actor().company, MailId(id))?;
    let shell = Shell::load(&app, &ui)?;
    let body = if m.sealed { String::new() } else { m.body.clone() };
    render(StatusCode::OK, &OnePage { lang: ui.lang, mail: row(&m, &shell.timezone), shell, body })
}
