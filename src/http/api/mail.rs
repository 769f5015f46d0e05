//! E-mail API (`/api/v1/mail/…`): the company's own SMTP server (the password write-only),
//! a test e-mail, and the delivery log. Right `mail_settings`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::MailId;
use crate::messaging::mail::{self, Mail, SettingsDraft};

#[derive(Serialize, ToSchema)]
pub struct MailSettingsDto {
    /// Whether e-mail goes anywhere (the company's server while active, else the box's).
    pub configured: bool,
    /// `company`, `box` or `none`: which server mail goes through now.
    pub source: String,
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `plain`.
    pub security: String,
    pub username: String,
    /// Whether a password is stored (it is never returned).
    pub password_set: bool,
    /// Whether the stored password opens on this box (false after a restore elsewhere).
    pub password_ok: bool,
    pub from: String,
    pub active: bool,
}

fn settings_dto(app: &App, a: &Auth) -> Result<MailSettingsDto> {
    let tx = app.db.read()?;
    let c = a.actor.company;
    let own = mail::settings(&tx, c)?;
    let source = match &own {
        Some(s) if s.active => "company",
        _ if mail::box_server(&app.config.smtp).is_some() => "box",
        _ => "none",
    };
    Ok(match own {
        Some(s) => MailSettingsDto {
            configured: source != "none",
            source: source.into(),
            password_ok: s.password.is_empty() || app.box_key.open(c, "smtp_password", &s.password).is_some(),
            password_set: !s.password.is_empty(),
            host: s.host,
            port: s.port,
            security: s.security.code().into(),
            username: s.username,
            from: s.from,
            active: s.active,
        },
        None => MailSettingsDto {
            configured: source != "none",
            source: source.into(),
            host: String::new(),
            port: 587,
            security: "starttls".into(),
            username: String::new(),
            password_set: false,
            password_ok: true,
            from: String::new(),
            active: false,
        },
    })
}

#[utoipa::path(get, path = "/api/v1/mail/settings", tag = "mail", security(("bearer" = [])),
    responses((status = 200, body = MailSettingsDto), (status = 403, body = Problem)))]
pub async fn get_settings(State(app): State<App>, a: Auth) -> Result<Json<MailSettingsDto>> {
    mail::require_admin(&a.actor)?;
    Ok(Json(settings_dto(&app, &a)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailSettingsInput {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `plain` (plain only to a server on this machine or the LAN).
    pub security: String,
    #[serde(default)]
    pub username: String,
    /// Empty keeps the stored password.
    #[serde(default)]
    pub password: String,
    /// Removes the stored password.
    #[serde(default)]
    pub clear_password: bool,
    pub from: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[utoipa::path(put, path = "/api/v1/mail/settings", tag = "mail", security(("bearer" = [])), request_body = MailSettingsInput,
    responses((status = 200, body = MailSettingsDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(State(app): State<App>, a: Auth, Json(i): Json<MailSettingsInput>) -> Result<Json<MailSettingsDto>> {
    mail::require_admin(&a.actor)?;
    let d = SettingsDraft {
        host: i.host,
        port: i.port.to_string(),
        security: i.security,
        username: i.username,
        password: i.password,
        clear_password: i.clear_password,
        from: i.from,
        active: i.active,
    };
    let (now, actor, key, config) = (app.now(), a.actor.clone(), app.box_key.clone(), app.config.clone());
    app.db.write(move |tx| mail::save_settings(tx, &actor, &key, &config, now, &d)).await?;
    Ok(Json(settings_dto(&app, &a)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestInput {
    pub to: String,
    /// Words of your own added to the test message.
    #[serde(default)]
    pub text: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MailDto {
    pub id: u64,
    pub to: String,
    pub subject: String,
    /// `invite`, `test`, `notify:<event>`.
    pub kind: String,
    /// `queued`, `sent` or `failed`.
    pub state: String,
    pub attempts: u32,
    /// The last error (the server's reply for an SMTP refusal).
    pub error: Option<String>,
    pub created_ms: i64,
    pub finished_ms: Option<i64>,
}

fn mail_dto(m: &Mail) -> MailDto {
    MailDto {
        id: m.id.0,
        to: m.to.clone(),
        subject: m.subject.clone(),
        kind: m.kind.clone(),
        state: m.state.code().into(),
        attempts: m.attempts,
        error: m.error.clone(),
        created_ms: m.created.0,
        finished_ms: m.finished.map(|t| t.0),
    }
}

#[utoipa::path(post, path = "/api/v1/mail/test", tag = "mail", security(("bearer" = [])), request_body = TestInput,
    responses((status = 202, body = MailDto), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn send_test(State(app): State<App>, a: Auth, Json(i): Json<TestInput>) -> Result<(StatusCode, Json<MailDto>)> {
    mail::require_admin(&a.actor)?;
    let (now, actor, config) = (app.now(), a.actor.clone(), app.config.clone());
    let m = app
        .db
        .write(move |tx| {
            let id = mail::send_test(tx, &actor, &config, &i.to, i.text.as_deref(), now)?;
            mail::mail(tx, actor.company, id)
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(mail_dto(&m))))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/mail/log", tag = "mail", security(("bearer" = [])), params(LogQuery),
    responses((status = 200, body = Vec<MailDto>), (status = 403, body = Problem)))]
pub async fn log(State(app): State<App>, a: Auth, Query(q): Query<LogQuery>) -> Result<Json<Vec<MailDto>>> {
    mail::require_admin(&a.actor)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(mail::log(&app.db.read()?, a.actor.company, limit)?.iter().map(mail_dto).collect()))
}

#[utoipa::path(get, path = "/api/v1/mail/log/{id}", tag = "mail", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = MailDto), (status = 404, body = Problem)))]
pub async fn one(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<MailDto>> {
    mail::require_admin(&a.actor)?;
    Ok(Json(mail_dto(&mail::mail(&app.db.read()?, a.actor.company, MailId(id))?)))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(get_settings, put_settings)).routes(routes!(send_test)).routes(routes!(log)).routes(routes!(one))
}
