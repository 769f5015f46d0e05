//! Pages around signing in: first-run setup, sign-in and sign-out, invite links, the account
//! page (password, language) and the language and branch switches of the shell.
//!
//! The session cookie is HttpOnly and SameSite=Lax; its CSRF token is rendered into every
//! page of the shell. Sign-in, sign-out and setup forms are not boosted, so the page (and
//! the token on `<body>`) is loaded afresh whenever the session changes.
//!
//! The forms shown before there is a session (first-run setup, sign-in, invite acceptance)
//! carry a pre-session token instead (login CSRF): a random value in the `dukan_pre` cookie,
//! rendered into the form's `_csrf` field; the post must send both, equal, and an `Origin` of
//! this host when it names one (double submit: another site can neither read nor set the
//! cookie). The JSON API's sign-in takes no cookie and needs no token.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::{
    Errors, Fields, PublicAssets, Shell, Ui, cookie, flash_key, flash_text, is_https, rejected, render, safe_local, see_other, with_cookies,
};
use crate::app::App;
use crate::auth;
use crate::error::{Error, FieldError, Problems, Result};
use crate::http::extract::{Auth, ClientIp, LANG_COOKIE, Path, SESSION_COOKIE, Via, check_origin_headers, header_cookie};
use crate::http::request_lang;
use crate::http::shared;
use crate::i18n::Lang;
use crate::ids::{BranchId, CompanyId, UserId};
use crate::tenancy::actor::BranchScope;
use crate::tenancy::model::{SystemRole, parse_password};
use crate::tenancy::{self, CompanyDraft, query, users};

/// The pages anyone may open: first run, sign-in, invite acceptance, the language switch.
pub fn public_routes(public_limit: usize) -> Router<App> {
    Router::new()
        .route("/setup", crate::http::public(get(setup_page).post(setup), public_limit))
        .route("/login", crate::http::public(get(login_page).post(login), public_limit))
        .route("/invite/{token}", crate::http::public(get(invite_page).post(invite), public_limit))
        .route("/lang", crate::http::public(post(set_lang), public_limit))
}

/// A signed-in user's own session: sign out, branch switch, account and password.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/logout", post(logout))
        .route("/branch", post(choose_branch))
        .route("/account", get(account_page).post(change_password))
}

const YEAR_S: i64 = 365 * 24 * 3600;

/// The cookie of the pre-session token of the sign-in forms.
const PRE_COOKIE: &str = "dukan_pre";

/// This browser's pre-session token, and the cookie to set when it had none.
pub(super) fn pre_session(app: &App, headers: &HeaderMap) -> (String, Vec<String>) {
    let valid = |t: &&str| t.len() == 48 && t.bytes().all(|b| b.is_ascii_hexdigit());
    match header_cookie(headers, PRE_COOKIE).filter(valid) {
        Some(token) => (token.to_string(), Vec::new()),
        None => {
            let token = hex::encode(rand::random::<[u8; 24]>());
            let set = cookie(PRE_COOKIE, &token, None, is_https(headers, app));
            (token, vec![set])
        }
    }
}

/// Refuses a pre-session form post whose `_csrf` field is not this browser's token.
pub(super) fn check_pre_session(headers: &HeaderMap, f: &Fields) -> Result<String> {
    let expected = header_cookie(headers, PRE_COOKIE).unwrap_or("");
    let sent = f.get("_csrf");
    if expected.is_empty() || !bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), expected.as_bytes())) {
        return Err(Error::Csrf);
    }
    check_origin_headers(headers)?;
    Ok(sent)
}

pub(super) fn session_cookies(app: &App, headers: &HeaderMap, token: &str, lang: Lang) -> [String; 2] {
    let secure = is_https(headers, app);
    [cookie(SESSION_COOKIE, token, None, secure), cookie(LANG_COOKIE, lang.code(), Some(YEAR_S), secure)]
}

/// A field message in both languages from the string tables.
fn field_error(field: &str, code: &'static str, key: &str) -> FieldError {
    FieldError::new(field, code, Lang::Ru.t(key), Lang::En.t(key))
}

#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage {
    lang: Lang,
    assets: PublicAssets,
    csrf: String,
    draft: CompanyDraft,
    errs: Errors,
}

const SETUP_FIELDS: &[&str] = &["name", "country", "owner_name", "owner_email", "owner_password"];

pub async fn setup_page(State(app): State<App>, headers: HeaderMap) -> Result<Response> {
    if tenancy::is_set_up(&app.db.read()?)? {
        return Ok(see_other("/login"));
    }
    let draft = CompanyDraft { country: "KG".into(), ..CompanyDraft::default() };
    let (csrf, set) = pre_session(&app, &headers);
    let page = SetupPage { lang: request_lang(&headers), assets: PublicAssets::default(), csrf, draft, errs: Errors::default() };
    Ok(with_cookies(render(StatusCode::OK, &page)?, &set))
}

pub async fn setup(State(app): State<App>, headers: HeaderMap, ClientIp(ip): ClientIp, f: Fields) -> Result<Response> {
    let csrf = check_pre_session(&headers, &f)?;
    if tenancy::is_set_up(&app.db.read()?)? {
        return Ok(see_other("/login"));
    }
    let lang = request_lang(&headers);
    let draft = CompanyDraft {
        name: f.get("name"),
        country: f.get("country"),
        owner_name: f.get("owner_name"),
        owner_email: f.get("owner_email"),
        owner_password: f.get("owner_password"),
        plan: None,
    };
    match shared::create_company(&app, None, &ip, draft.clone()).await {
        Ok((company, owner)) => {
            let (now, life) = (app.now(), app.lifetimes());
            // The owner keeps the language the setup page was shown in.
            let token = app
                .db
                .write(move |tx| {
                    users::set_lang(tx, company, owner, lang)?;
                    let user = query::user(tx, company, owner)?;
                    auth::create_session(tx, now, life, company, &user, &ip)
                })
                .await?;
            Ok(with_cookies(see_other("/"), &session_cookies(&app, &headers, &token, lang)))
        }
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, lang, SETUP_FIELDS);
            let draft = CompanyDraft { owner_password: String::new(), ..draft };
            render(StatusCode::UNPROCESSABLE_ENTITY, &SetupPage { lang, assets: PublicAssets::default(), csrf, draft, errs })
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    assets: PublicAssets,
    csrf: String,
    email: String,
    next: String,
    /// A success message from the previous step ("" for none).
    flash: &'static str,
    errs: Errors,
    /// Self-registration is open: the page links to `/signup`.
    signup: bool,
}

pub async fn login_page(State(app): State<App>, headers: HeaderMap, uri: Uri, auth: Result<Auth, Error>) -> Result<Response> {
    if !tenancy::is_set_up(&app.db.read()?)? {
        return Ok(see_other("/setup"));
    }
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let next = q.get("next");
    if auth.is_ok() {
        return Ok(see_other(safe_local(&next).unwrap_or("/")));
    }
    let (csrf, set) = pre_session(&app, &headers);
    let page = LoginPage {
        lang: request_lang(&headers),
        assets: PublicAssets::default(),
        csrf,
        email: String::new(),
        next,
        flash: flash_key(uri.query()).map(|k| flash_text(request_lang(&headers), k)).unwrap_or(""),
        errs: Errors::default(),
        signup: super::signup::open(&app)?,
    };
    Ok(with_cookies(render(StatusCode::OK, &page)?, &set))
}

pub async fn login(State(app): State<App>, headers: HeaderMap, ClientIp(ip): ClientIp, f: Fields) -> Result<Response> {
    let csrf = check_pre_session(&headers, &f)?;
    let lang = request_lang(&headers);
    let (email, password, next) = (f.get("email"), f.get("password"), f.get("next"));
    let signup = super::signup::open(&app)?;
    let form = |status: StatusCode, errs: Errors| {
        let page = LoginPage {
            lang,
            assets: PublicAssets::default(),
            csrf: csrf.clone(),
            email: email.clone(),
            next: next.clone(),
            flash: "",
            errs,
            signup,
        };
        render(status, &page)
    };
    let mut missing = Problems::default();
    for (name, value) in [("email", email.trim()), ("password", password.as_str())] {
        if value.is_empty() {
            missing.push(FieldError::required(name));
        }
    }
    if let Err(e) = missing.finish() {
        return form(StatusCode::UNPROCESSABLE_ENTITY, Errors::new(e.fields(), lang, &["email", "password"]));
    }
    let (company, user) = match shared::authenticate(&app, &ip, &email, &password).await {
        Ok(found) => found,
        Err(e @ (Error::BadCredentials | Error::RateLimited { .. } | Error::CompanyInactive)) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::UNAUTHORIZED);
            let mut resp = form(status, Errors::form(e.message(lang)))?;
            if let Error::RateLimited { retry_after_s } = e
                && let Ok(v) = retry_after_s.to_string().parse()
            {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(resp);
        }
        Err(e) => return Err(e),
    };
    let (now, life, user_lang) = (app.now(), app.lifetimes(), user.lang);
    let token = app
        .db
        .write(move |tx| {
            users::record_login(tx, company, &user, &ip, now, "auth.login")?;
            auth::create_session(tx, now, life, company, &user, &ip)
        })
        .await?;
    Ok(with_cookies(see_other(safe_local(&next).unwrap_or("/")), &session_cookies(&app, &headers, &token, user_lang)))
}

/// Ends the session. A session that no longer resolves (say, its branch was deactivated) is
/// only forgotten by the browser; it expires on the server.
pub async fn logout(State(app): State<App>, headers: HeaderMap, auth: Result<Auth, Error>) -> Result<Response> {
    match auth {
        Ok(Auth { via: Via::Cookie { token, .. }, .. }) => app.db.write(move |tx| auth::end_session(tx, &token)).await?,
        Ok(_) => {}
        Err(Error::Csrf) => return Err(Error::Csrf),
        Err(_) => {}
    }
    let gone = cookie(SESSION_COOKIE, "", Some(0), is_https(&headers, &app));
    Ok(with_cookies(see_other("/login?ok=signed_out"), &[gone]))
}

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    lang: Lang,
    assets: PublicAssets,
    csrf: String,
    /// The invited user's e-mail; `None` when the link is unknown, used or expired.
    email: Option<String>,
    /// This page's path, for the language switch.
    back: String,
    errs: Errors,
}

fn invited(app: &App, token: &str) -> Result<Option<(CompanyId, UserId, String)>> {
    let tx = app.db.read()?;
    let inv = match auth::invite(&tx, token, app.now()) {
        Ok(inv) => inv,
        Err(Error::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    let user = match query::user(&tx, inv.company, inv.user) {
        Ok(u) => Some(u),
        Err(Error::NotFound) => None,
        Err(e) => return Err(e),
    };
    Ok(user.filter(|u| u.active).map(|u| (inv.company, inv.user, u.email)))
}

pub async fn invite_page(State(app): State<App>, headers: HeaderMap, Path(token): Path<String>) -> Result<Response> {
    let email = invited(&app, &token)?.map(|(_, _, e)| e);
    let status = if email.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    let (csrf, set) = pre_session(&app, &headers);
    let page = InvitePage {
        lang: request_lang(&headers),
        assets: PublicAssets::default(),
        csrf,
        email,
        back: format!("/invite/{token}"),
        errs: Errors::default(),
    };
    Ok(with_cookies(render(status, &page)?, &set))
}

pub async fn invite(
    State(app): State<App>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    f: Fields,
) -> Result<Response> {
    let csrf = check_pre_session(&headers, &f)?;
    let lang = request_lang(&headers);
    let back = format!("/invite/{token}");
    let page = |email: Option<String>, errs: Errors| InvitePage {
        lang,
        assets: PublicAssets::default(),
        csrf: csrf.clone(),
        email,
        back: back.clone(),
        errs,
    };
    let Some((_, _, email)) = invited(&app, &token)? else {
        return render(StatusCode::NOT_FOUND, &page(None, Errors::default()));
    };
    let (password, again) = (f.get("password"), f.get("password2"));
    let problem = match parse_password("password", &password) {
        Err(e) => Some(e),
        Ok(_) if password != again => Some(field_error("password2", "mismatch", "form.passwords_differ")),
        Ok(_) => None,
    };
    if let Some(e) = problem {
        let errs = Errors::new(&[e], lang, &["password", "password2"]);
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page(Some(email), errs));
    }
    let hash = app.hasher.hash(password).await?;
    let now = app.now();
    let used = app
        .db
        .write(move |tx| {
            let inv = auth::consume_invite(tx, &token, now)?;
            users::set_password(tx, inv.company, inv.user, hash, now, &ip)
        })
        .await;
    match used {
        Ok(()) => Ok(see_other("/login?ok=password_set")),
        Err(Error::NotFound) => render(StatusCode::NOT_FOUND, &page(None, Errors::default())),
        Err(e) => Err(e),
    }
}

/// Switches the language: remembered in a cookie, and for a signed-in user on their account.
pub async fn set_lang(State(app): State<App>, headers: HeaderMap, auth: Result<Auth, Error>, f: Fields) -> Result<Response> {
    let lang = Lang::parse(&f.get("lang")).unwrap_or_default();
    if let Ok(a) = auth {
        let (company, user) = (a.actor.company, a.actor.user);
        app.db.write(move |tx| users::set_lang(tx, company, user, lang)).await?;
    }
    let back = f.get("back");
    let lang_cookie = cookie(LANG_COOKIE, lang.code(), Some(YEAR_S), is_https(&headers, &app));
    Ok(with_cookies(see_other(safe_local(&back).unwrap_or("/")), &[lang_cookie]))
}

/// The branch switcher: only the choices the shell offers this user are accepted, so a
/// session never remembers a branch the user may not act in.
pub async fn choose_branch(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    let Via::Cookie { token, .. } = ui.auth.via.clone() else {
        return Err(Error::Unauthorized);
    };
    let choice = f.get("branch");
    if !Shell::load(&app, &ui)?.branches.iter().any(|c| c.value == choice) {
        return Err(Error::Forbidden { permission: "branch" });
    }
    let branch = choice.parse::<u64>().ok().map(BranchId);
    app.db.write(move |tx| auth::choose_branch(tx, &token, branch)).await?;
    Ok(see_other(safe_local(&f.get("back")).unwrap_or("/")))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    lang: Lang,
    shell: Shell,
    email: String,
    role: &'static str,
    scope: String,
    errs: Errors,
}

const PASSWORD_FIELDS: &[&str] = &["current_password", "new_password", "new_password2"];

fn account(app: &App, ui: &Ui, errs: Errors) -> Result<AccountPage> {
    let shell = Shell::load(app, ui)?;
    let user = query::user(&app.db.read()?, ui.actor().company, ui.actor().user)?;
    let role = match user.role {
        SystemRole::Owner => ui.lang.t("role.owner"),
        SystemRole::Admin => ui.lang.t("role.admin"),
        SystemRole::Staff => ui.lang.t("role.staff"),
    };
    let scope = match ui.actor().branch {
        BranchScope::Company => ui.lang.t("shell.whole_company").to_string(),
        BranchScope::Branch(_) => shell.branch_name.clone(),
    };
    Ok(AccountPage { lang: ui.lang, shell, email: user.email, role, scope, errs })
}

pub async fn account_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    render(StatusCode::OK, &account(&app, &ui, Errors::default())?)
}

/// Changes the password; every session of the user ends with it, this one included.
pub async fn change_password(State(app): State<App>, headers: HeaderMap, ui: Ui, f: Fields) -> Result<Response> {
    let (current, new, again) = (f.get("current_password"), f.get("new_password"), f.get("new_password2"));
    let outcome = if new != again {
        Err(Error::Validation(vec![field_error("new_password2", "mismatch", "form.passwords_differ")]))
    } else {
        shared::change_password(&app, ui.actor(), &current, &new).await
    };
    match outcome {
        Ok(()) => {
            let gone = cookie(SESSION_COOKIE, "", Some(0), is_https(&headers, &app));
            Ok(with_cookies(see_other("/login?ok=password_changed"), &[gone]))
        }
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, PASSWORD_FIELDS);
            render(StatusCode::UNPROCESSABLE_ENTITY, &account(&app, &ui, errs)?)
        }
    }
}
