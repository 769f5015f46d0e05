//! The public sign-up page (`/signup`): a new company with its owner and a trial, when the
//! platform operator (or the config file) opened self-registration. Closed, the page does
//! not exist (404) and the sign-in page shows no link.
//!
//! Abuse guards: the pre-session CSRF token of the other sign-in forms, a per-address limit
//! (`App::signup_limiter`, counted before any work), a honeypot field people never see (a
//! filled one is answered like a success and creates nothing), and the password rules of
//! every other password.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;

use super::auth::{check_pre_session, pre_session, session_cookies};
use super::{Choice, Errors, Fields, PublicAssets, Shell, Ui, rejected, render, see_other, with_cookies};
use crate::app::App;
use crate::auth;
use crate::error::{Error, FieldError, Result};
use crate::http::extract::ClientIp;
use crate::http::extract::Path;
use crate::http::request_lang;
use crate::i18n::Lang;
use crate::ids::CompanyId;
use crate::tenancy::signup::{self, SECTORS, SettingsDraft};
use crate::tenancy::{CompanyDraft, query, users};

pub fn public_routes(public_limit: usize) -> Router<App> {
    Router::new().route("/signup", crate::http::public(get(page).post(submit), public_limit))
}

/// The platform operator's side: the sign-up settings and extending a company.
pub fn platform_routes() -> Router<App> {
    Router::new()
        .route("/platform/signup", get(settings_page).post(save_settings))
        .route("/platform/companies/{id}/extend", axum::routing::post(extend))
}

/// Whether self-registration is open: the config file forces it either way, else the
/// operator's setting (closed by default).
/// A box before its first-run setup has no operator yet, so nobody may register.
pub fn open(app: &App) -> Result<bool> {
    let tx = app.db.read()?;
    if !crate::tenancy::is_set_up(&tx)? {
        return Ok(false);
    }
    match app.config.signup_forced() {
        Some(forced) => Ok(forced),
        None => Ok(signup::settings(&tx)?.open),
    }
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    lang: Lang,
    assets: PublicAssets,
    csrf: String,
    draft: CompanyDraft,
    sectors: Vec<Choice>,
    trial_days: u32,
    errs: Errors,
}

const FIELDS: &[&str] = &["name", "country", "sector", "owner_name", "owner_email", "owner_password", "owner_password2"];

fn sectors(lang: Lang, selected: &str) -> Vec<Choice> {
    SECTORS
        .iter()
        .map(|(code, ru, en)| Choice { value: code.to_string(), label: lang.pick(ru, en).into(), selected: *code == selected })
        .collect()
}

pub async fn page(State(app): State<App>, headers: HeaderMap) -> Result<Response> {
    if !open(&app)? {
        return Err(Error::NotFound);
    }
    let lang = request_lang(&headers);
    let (csrf, set) = pre_session(&app, &headers);
    let trial_days = signup::settings(&app.db.read()?)?.trial_days;
    let draft = CompanyDraft { country: "KG".into(), ..CompanyDraft::default() };
    let page = SignupPage {
        lang,
        assets: PublicAssets::default(),
        csrf,
        draft,
        sectors: sectors(lang, "shop"),
        trial_days,
        errs: Errors::default(),
    };
    Ok(with_cookies(render(StatusCode::OK, &page)?, &set))
}

pub async fn submit(State(app): State<App>, headers: HeaderMap, ClientIp(ip): ClientIp, f: Fields) -> Result<Response> {
    let csrf = check_pre_session(&headers, &f)?;
    if !open(&app)? {
        return Err(Error::NotFound);
    }
    let lang = request_lang(&headers);
    let now = app.now();
    if let Err(retry_after_s) = app.signup_limiter.attempt(&ip, "signup", now) {
        return Err(Error::RateLimited { retry_after_s });
    }
    // A robot fills every field; people never see this one. It is told nothing.
    if !f.get("website").is_empty() {
        tracing::info!(ip = %ip, "sign-up honeypot filled; nothing created");
        return Ok(see_other("/login"));
    }
    let draft = CompanyDraft {
        name: f.get("name"),
        country: f.get("country"),
        owner_name: f.get("owner_name"),
        owner_email: f.get("owner_email"),
        owner_password: f.get("owner_password"),
        plan: None,
    };
    let sector = f.get("sector");
    let created = register(&app, &draft, &sector, &f.get("owner_password2"), &ip, lang).await;
    match created {
        Ok(token) => Ok(with_cookies(see_other("/"), &session_cookies(&app, &headers, &token, lang))),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, lang, FIELDS);
            let trial_days = signup::settings(&app.db.read()?)?.trial_days;
            let draft = CompanyDraft { owner_password: String::new(), ..draft };
            let page = SignupPage { lang, assets: PublicAssets::default(), csrf, draft, sectors: sectors(lang, &sector), trial_days, errs };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// Checks the form, hashes the password, registers the company and opens the owner's
/// session; returns the session token.
async fn register(app: &App, draft: &CompanyDraft, sector: &str, repeat: &str, ip: &str, lang: Lang) -> Result<String> {
    let mut problems = match draft.parse() {
        Ok(_) => Vec::new(),
        Err(Error::Validation(list)) => list,
        Err(e) => return Err(e),
    };
    if !signup::sector_known(sector) {
        problems.push(FieldError::new("sector", "unknown_sector", "Выберите отрасль", "Choose a sector"));
    }
    if repeat != draft.owner_password {
        problems.push(FieldError::new("owner_password2", "password_mismatch", "Пароли не совпадают", "The passwords differ"));
    }
    if !problems.is_empty() {
        return Err(Error::Validation(problems));
    }
    let parsed = draft.parse()?;
    let hash = app.hasher.hash(parsed.owner_password.clone()).await?;
    let (now, life, open) = (app.now(), app.lifetimes(), open(app)?);
    let (sector, ip) = (sector.to_string(), ip.to_string());
    app.db
        .write(move |tx| {
            let (company, owner) = signup::register(tx, now, open, &parsed, &sector, hash, &ip)?;
            users::set_lang(tx, company, owner, lang)?;
            let user = query::user(tx, company, owner)?;
            auth::create_session(tx, now, life, company, &user, &ip)
        })
        .await
}

pub struct SectorRow {
    /// The form field: `plan_<sector code>`.
    pub field: String,
    pub label: String,
    pub plans: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "platform_signup.html")]
struct SettingsPage {
    lang: Lang,
    shell: Shell,
    open: bool,
    /// The config file decides (open or closed), so the checkbox is only informative.
    forced_open: bool,
    forced_closed: bool,
    trial_days: String,
    contact: String,
    sectors: Vec<SectorRow>,
    errs: Errors,
}

fn settings_for(app: &App, ui: &Ui, draft: Option<SettingsDraft>, errs: Errors) -> Result<SettingsPage> {
    ui.actor().require_platform_admin()?;
    let tx = app.db.read()?;
    let stored = signup::settings(&tx)?;
    let plans = query::plans(&tx)?;
    let draft = draft.unwrap_or_else(|| SettingsDraft {
        open: stored.open,
        trial_days: stored.trial_days.to_string(),
        contact: stored.contact.clone(),
        sectors: SECTORS
            .iter()
            .map(|(code, _, _)| (code.to_string(), signup::plan_for(&stored, &plans, code).map(|p| p.0.to_string()).unwrap_or_default()))
            .collect(),
    });
    let lang = ui.lang;
    let sectors = SECTORS
        .iter()
        .map(|(code, ru, en)| {
            let chosen = draft.sectors.iter().find(|(s, _)| s == code).map(|(_, p)| p.as_str()).unwrap_or("");
            SectorRow {
                field: format!("plan_{code}"),
                label: lang.pick(ru, en).into(),
                plans: plans
                    .iter()
                    .map(|p| Choice { value: p.id.0.to_string(), label: p.name.clone(), selected: p.id.0.to_string() == chosen })
                    .collect(),
            }
        })
        .collect();
    Ok(SettingsPage {
        lang,
        shell: Shell::load(app, ui)?,
        open: draft.open,
        forced_open: app.config.signup_forced() == Some(true),
        forced_closed: app.config.signup_forced() == Some(false),
        trial_days: draft.trial_days,
        contact: draft.contact,
        sectors,
        errs,
    })
}

pub async fn settings_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    render(StatusCode::OK, &settings_for(&app, &ui, None, Errors::default())?)
}

pub async fn save_settings(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    ui.actor().require_platform_admin()?;
    let draft = SettingsDraft {
        open: f.has("open"),
        trial_days: f.get("trial_days"),
        contact: f.get("contact"),
        sectors: SECTORS.iter().map(|(code, _, _)| (code.to_string(), f.get(&format!("plan_{code}")))).collect(),
    };
    let (now, actor, saving) = (app.now(), ui.actor().clone(), draft.clone());
    match app.db.write(move |tx| signup::save_settings(tx, &actor, now, &saving)).await {
        Ok(_) => Ok(see_other("/platform/signup?ok=saved")),
        Err(e) => {
            let mut shown = vec!["trial_days", "contact"];
            let plan_fields: Vec<String> = SECTORS.iter().map(|(c, _, _)| format!("plan_{c}")).collect();
            shown.extend(plan_fields.iter().map(String::as_str));
            let errs = Errors::new(&rejected(e)?, ui.lang, &shown);
            render(StatusCode::UNPROCESSABLE_ENTITY, &settings_for(&app, &ui, Some(draft), errs)?)
        }
    }
}

/// The operator extends a company by N×30 days (the company page's form).
pub async fn extend(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    ui.actor().require_platform_admin()?;
    let months = f.get("months").trim().parse::<u32>().unwrap_or(0);
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| signup::extend(tx, &actor, now, CompanyId(id), months)).await?;
    Ok(see_other(&format!("/platform/companies/{id}?ok=saved")))
}
