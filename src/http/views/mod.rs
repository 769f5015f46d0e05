//! Server-rendered pages (askama + htmx). Every page is a full HTML document; the `<body>`
//! carries `hx-boost`, so with JavaScript links and forms swap the body in place, and without
//! it the same forms post normally. Both paths share one contract: success answers `303 See
//! Other`, a rejected form re-renders its page with the field messages (422), other errors
//! become the localized error page or, for htmx requests, a flash message (`flash_error`).
//!
//! Files by page group: `auth` (setup, sign-in, invites, account, language and branch
//! switches), `home` (dashboard), `nav` (the shell's grouped navigation and who sees each
//! page), `company` (settings, logo, branches), `people` (users,
//! roles), `ops` (audit, backups), `platform` (companies, plans).

mod agents;
mod analytics;
mod analytics_tabs;
mod auth;
mod box_ops;
mod cashier;
mod catalog;
mod clients;
mod company;
mod crm;
// The CRM calendar (issue 17, calendar).
mod crm_calendar;
mod crm_merge;
mod crm_orders;
mod documents;
mod finance;
mod fmt;
mod form;
mod home;
mod messaging;
// E-mail and notification rules (issue 16, msg3).
mod mail;
pub mod nav;
mod notify_rules;
mod ops;
mod people;
mod platform;
mod pos;
mod printing;
// Issue 15, second slice: labels.
mod label_scales;
mod labels;
mod products;
mod promo;
mod purchases;
mod reports;
mod sales;
mod scales;
mod stock;
mod telecom;
mod transfer;
// Field agents' request carts and report (issue 12).
mod agent_analytics;
mod agent_requests;
// Sign-up and trials, operations, the user guide (issue 18).
mod help;
mod signup;
// Telecom tickets, gateway and documents (issue 13, tele2).
mod telecom_gateway;
mod telecom_print;
mod telecom_stock;
mod telecom_subscriber_edit;
mod telecom_tickets;
// Telecom reports and usage (issue 13, slice B).
mod telecom_reports;
// tele4: the bulk SIM assignment page.
mod telecom_assign;
// Outgoing webhooks' page (issue 16, second slice).
mod webhooks;
// The public request form and reviews (issue 17, crm4).
mod crm_public;
// Documents from templates (issue 17, tmpl).
mod crm_docs;
// Files attached to a client's card (issue 17, attachments).
mod crm_attachments;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::app::App;
use crate::country::Currency;
use crate::error::{Error, FieldError, Result};
use crate::http::assets;
use crate::http::extract::{Auth, Page, PageRejection, Via};
use crate::i18n::Lang;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::Access;
use crate::tenancy::store;
use nav::Nav;

/// The pages anyone may open (small bodies, no multipart: see [`crate::http::public`]).
pub fn public_routes(app: &App) -> Router<App> {
    auth::public_routes(app.config.public_body_limit_kb * 1024)
        .merge(signup::public_routes(app.config.public_body_limit_kb * 1024))
        .merge(crm_public::public_routes(app.config.public_body_limit_kb * 1024))
}

/// A signed-in company user's pages; each file declares its own.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home::dashboard))
        .merge(auth::routes())
        .merge(analytics::routes())
        .merge(analytics_tabs::routes())
        .merge(products::routes())
        .merge(transfer::routes())
        .merge(catalog::routes())
        .merge(promo::routes())
        .merge(stock::routes())
        .merge(reports::routes())
        .merge(documents::routes())
        .merge(pos::routes())
        .merge(sales::routes())
        .merge(agents::routes())
        .merge(clients::routes())
        .merge(finance::routes())
        .merge(purchases::routes())
        .merge(printing::routes())
        .merge(labels::routes())
        .merge(telecom::routes())
        .merge(scales::routes())
        .merge(label_scales::routes())
        .merge(crm::routes())
        .merge(crm_orders::routes())
        // Duplicate clients (issue 17, crm3).
        .merge(crm_merge::routes())
        .merge(company::routes())
        .merge(people::routes())
        .merge(ops::routes())
        .merge(messaging::routes())
        .merge(mail::routes())
        .merge(notify_rules::routes())
        .merge(agent_requests::routes())
        .merge(agent_analytics::routes())
        .merge(help::routes())
        .merge(telecom_tickets::routes())
        .merge(telecom_gateway::routes())
        .merge(telecom_print::routes())
        .merge(telecom_subscriber_edit::routes())
        .merge(telecom_reports::routes())
        .merge(telecom_assign::routes())
        .merge(webhooks::routes())
        .merge(crm_public::routes())
        .merge(crm_calendar::routes())
        .merge(crm_docs::routes())
        .merge(crm_attachments::routes())
}

/// The platform operator's pages (companies, plans).
pub fn platform_routes() -> Router<App> {
    platform::routes().merge(signup::platform_routes()).merge(box_ops::routes())
}

// ---- errors: the full error page and the htmx flash fragment ----

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    lang: Lang,
    css: String,
    status: u16,
    title: &'static str,
    message: String,
    details: Vec<&'a str>,
    sign_in: bool,
}

#[derive(Template)]
#[template(path = "flash_partial.html")]
struct FlashPartial<'a> {
    lang: Lang,
    kind: &'static str,
    message: String,
    details: Vec<&'a str>,
}

fn status_of(error: &Error) -> StatusCode {
    StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The localized error page for browser navigation (404, 403, 409, 500...).
pub fn error_page(error: &Error, lang: Lang) -> Response {
    let status = status_of(error);
    let title = match status.as_u16() {
        401 => lang.t("error.title_401"),
        403 => lang.t("error.title_403"),
        404 => lang.t("error.title_404"),
        409 => lang.t("error.title_409"),
        413 => lang.t("error.title_413"),
        429 => lang.t("error.title_429"),
        s if s >= 500 => lang.t("error.title_500"),
        _ => lang.t("error.title"),
    };
    let page = ErrorPage {
        lang,
        css: assets::url("app.css"),
        status: status.as_u16(),
        title,
        message: error.message(lang),
        details: error.fields().iter().map(|f| f.message(lang)).collect(),
        sign_in: matches!(status.as_u16(), 401 | 403),
    };
    match page.render() {
        Ok(body) => (status, no_store(), Html(body)).into_response(),
        Err(_) => (status, error.message(lang)).into_response(),
    }
}

/// The error as a flash message for an htmx request: it replaces the content of `#flash`
/// whatever the request targeted.
pub fn flash_error(error: &Error, lang: Lang) -> Response {
    let status = status_of(error);
    let flash = FlashPartial {
        lang,
        kind: "error",
        message: error.message(lang),
        details: error.fields().iter().map(|f| f.message(lang)).collect(),
    };
    let body = flash.render().unwrap_or_else(|_| error.message(lang));
    let mut resp = (status, Html(body)).into_response();
    let h = resp.headers_mut();
    h.insert("hx-retarget", HeaderValue::from_static("#flash"));
    h.insert("hx-reswap", HeaderValue::from_static("innerHTML"));
    resp
}

// ---- rendering helpers ----

fn no_store() -> [(header::HeaderName, &'static str); 1] {
    [(header::CACHE_CONTROL, "no-store")]
}

/// Renders a page with `status`. Pages are never cached: they show one user's data.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<Response> {
    let body = page.render().map_err(|e| Error::Internal(format!("template: {e}")))?;
    Ok((status, no_store(), Html(body)).into_response())
}

/// The answer to a successful form post.
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// Splits a domain error into the field messages a form shows and everything else, which
/// goes on to the error page or flash.
pub fn rejected(error: Error) -> Result<Vec<FieldError>> {
    match error {
        Error::Validation(fields) => Ok(fields),
        other => Err(other),
    }
}

/// A `Set-Cookie` header value. Cookies are HttpOnly unless a script needs them (none do).
pub fn cookie(name: &str, value: &str, max_age_s: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_s {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

pub fn with_cookies(mut resp: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp
}

/// Only local paths are followed after sign-in or a switch: "/x", never "//host" or a URL.
pub fn safe_local(path: &str) -> Option<&str> {
    let ok = path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") && !path.chars().any(char::is_control);
    ok.then_some(path)
}

/// Success messages a redirect may ask a page to show (`?ok=<key>`), each `flash.<key>` in
/// the string tables. Anything else in `ok` is ignored.
const FLASHES: &[&str] = &[
    "saved",
    "branch_saved",
    "user_created",
    "user_saved",
    "user_deactivated",
    "user_activated",
    "role_saved",
    "role_deleted",
    "logo_saved",
    "logo_removed",
    "backup_requested",
    "company_created",
    "subscription_saved",
    "plan_saved",
    "password_set",
    "password_changed",
    "signed_out",
];

fn flash_key(query: Option<&str>) -> Option<&'static str> {
    let ok = Fields::parse(query.unwrap_or("").as_bytes()).get("ok");
    FLASHES.iter().find(|k| **k == ok).copied()
}

pub fn flash_text(lang: Lang, key: &str) -> &'static str {
    lang.t(&format!("flash.{key}"))
}

/// Messages of a rejected form in the page's language. Messages for fields the form does not
/// show are collected as its general error, so nothing is lost.
#[derive(Default)]
pub struct Errors {
    fields: Vec<(String, String)>,
    pub general: Vec<String>,
}

impl Errors {
    pub fn new(list: &[FieldError], lang: Lang, shown: &[&str]) -> Errors {
        let mut e = Errors::default();
        for f in list {
            if shown.contains(&f.field.as_str()) {
                e.fields.push((f.field.clone(), f.message(lang).to_string()));
            } else {
                e.general.push(f.message(lang).to_string());
            }
        }
        e
    }

    pub fn form(message: String) -> Errors {
        Errors { fields: Vec::new(), general: vec![message] }
    }

    /// The message for `field`, or "" when it is fine.
    pub fn msg(&self, field: &str) -> &str {
        self.fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.as_str()).unwrap_or("")
    }

    pub fn any(&self) -> bool {
        !self.fields.is_empty() || !self.general.is_empty()
    }
}

// ---- request data ----

/// The fields of an url-encoded form (or a query string), in order; repeated names (checkbox
/// groups) keep every value.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn parse(bytes: &[u8]) -> Fields {
        Fields(serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default())
    }

    /// The first value of `name`, trimmed of nothing; "" when absent.
    pub fn get(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    /// A numeric id field; empty or malformed is `None`.
    pub fn id(&self, name: &str) -> Option<u64> {
        self.get(name).trim().parse().ok()
    }

    pub fn ids(&self, name: &str) -> Vec<u64> {
        self.all(name).iter().filter_map(|v| v.trim().parse().ok()).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(Error::BadRequest { code: "unsupported_media_type", detail: "expected a form".into() });
        }
        let bytes = axum::body::Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                Error::PayloadTooLarge
            } else {
                Error::BadRequest { code: "bad_body", detail: r.body_text() }
            }
        })?;
        Ok(Fields::parse(&bytes))
    }
}

/// A signed-in browser user on a page, with what every page needs from the request: the
/// language, the current path (for "back" fields), a success message asked for by the
/// previous redirect and this server's origin (for links given to other people).
pub struct Ui {
    pub auth: Auth,
    pub lang: Lang,
    pub path: String,
    pub ok: Option<&'static str>,
    pub origin: String,
}

impl Ui {
    pub fn actor(&self) -> &Actor {
        &self.auth.actor
    }
}

impl FromRequestParts<App> for Ui {
    type Rejection = PageRejection;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, PageRejection> {
        let Page(auth) = Page::from_request_parts(parts, app).await?;
        let lang = auth.actor.lang;
        let path = parts.uri.path().to_string();
        Ok(Ui { auth, lang, path, ok: flash_key(parts.uri.query()), origin: origin(&parts.headers, app) })
    }
}

/// The scheme and host the browser used, e.g. "http://192.168.1.10:8080".
pub fn origin(headers: &HeaderMap, app: &App) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    format!("{}://{host}", if is_https(headers, app) { "https" } else { "http" })
}

/// True behind a trusted TLS-terminating proxy; cookies then get `Secure`.
pub fn is_https(headers: &HeaderMap, app: &App) -> bool {
    app.config.trusted_proxy && headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https")
}

// ---- the application shell every signed-in page extends ----

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// What `base.html` shows around a page: company, branch switcher, navigation, banners.
pub struct Shell {
    pub csrf: String,
    pub company: String,
    pub timezone: String,
    pub user_name: String,
    pub branches: Vec<Choice>,
    pub branch_name: String,
    /// The company's currency, for amounts the shell's pages show.
    pub currency: Currency,
    pub nav: Nav,
    /// ("warn" | "error", message) for the subscription state.
    pub banner: Option<(&'static str, String)>,
    /// A success message from the previous step.
    pub flash: Option<&'static str>,
    pub path: String,
    pub css: String,
    pub js: String,
    pub htmx: String,
    /// The user's unread notifications (the bell).
    pub bell: u64,
    /// A self-registered company in its trial: the banner's text, the operator's contact and
    /// its link (`mailto:`, `tel:` or a web address; empty when there is none).
    pub trial: Option<Trial>,
}

pub struct Trial {
    pub text: String,
    pub contact: String,
    pub href: String,
}

impl Trial {
    fn load(tx: &impl crate::storage::Read, company: crate::ids::CompanyId, now: crate::clock::Ts, lang: Lang) -> Result<Option<Trial>> {
        let Some(days) = crate::tenancy::signup::trial_days_left(tx, company, now)? else {
            return Ok(None);
        };
        let contact = crate::tenancy::signup::settings(tx)?.contact;
        let c = contact.trim();
        let href = if c.starts_with("http://") || c.starts_with("https://") {
            c.to_string()
        } else if c.contains('@') {
            format!("mailto:{c}")
        } else if !c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit() || " +-()".contains(ch)) {
            format!("tel:{}", c.chars().filter(|ch| ch.is_ascii_digit() || *ch == '+').collect::<String>())
        } else {
            String::new()
        };
        Ok(Some(Trial { text: lang.t("trial.banner").replace("{days}", &days.to_string()), contact: c.to_string(), href }))
    }
}

impl Shell {
    pub fn load(app: &App, ui: &Ui) -> Result<Shell> {
        let actor = ui.actor();
        let lang = ui.lang;
        let tx = app.db.read()?;
        let company = store::company(&tx, actor.company)?.ok_or(Error::NotFound)?;
        let user = crate::tenancy::query::user(&tx, actor.company, actor.user)?;
        let mut branches: Vec<Choice> = store::branches(&tx, actor.company)?
            .into_iter()
            .filter(|b| b.active && (actor.owner_like() || user.branches.contains(&b.id)))
            .map(|b| Choice { value: b.id.0.to_string(), selected: actor.branch == BranchScope::Branch(b.id), label: b.name })
            .collect();
        if actor.owner_like() {
            branches.insert(
                0,
                Choice {
                    value: "company".into(),
                    label: lang.t("shell.whole_company").into(),
                    selected: actor.branch == BranchScope::Company,
                },
            );
        }
        let branch_name = branches.iter().find(|c| c.selected).map(|c| c.label.clone()).unwrap_or_default();
        let nav = Nav::build(actor, lang, &ui.path);
        let banner = match actor.access {
            Access::Full => None,
            Access::Grace { ends } => Some(("warn", lang.t("shell.grace").replace("{date}", &ends.date_local(&company.timezone)))),
            Access::ReadOnly => Some(("error", lang.t("shell.read_only").to_string())),
        };
        let csrf = match &ui.auth.via {
            Via::Cookie { csrf, .. } => csrf.clone(),
            Via::Bearer { .. } => String::new(),
        };
        Ok(Shell {
            csrf,
            company: company.name,
            timezone: company.timezone,
            user_name: user.name,
            branches,
            branch_name,
            currency: company.country.currency(),
            nav,
            banner,
            flash: ui.ok.map(|k| flash_text(lang, k)),
            path: ui.path.clone(),
            css: assets::url("app.css"),
            js: assets::url("app.js"),
            htmx: assets::url("vendor/htmx-2.0.11.min.js"),
            bell: crate::messaging::notify::unread(&tx, actor.company, actor.user)?,
            trial: Trial::load(&tx, actor.company, app.now(), lang)?,
        })
    }
}

/// Asset URLs for the pages outside the shell (setup, sign-in, invite).
pub struct PublicAssets {
    pub css: String,
    pub js: String,
    pub htmx: String,
}

impl Default for PublicAssets {
    fn default() -> PublicAssets {
        PublicAssets { css: assets::url("app.css"), js: assets::url("app.js"), htmx: assets::url("vendor/htmx-2.0.11.min.js") }
    }
}

/// Common IANA zones offered in time-zone fields (any valid zone is accepted).
pub const TIMEZONES: &[&str] = &[
    "Asia/Bishkek",
    "Asia/Almaty",
    "Asia/Tashkent",
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Krasnoyarsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
    "UTC",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flash_has_a_string_in_both_languages() {
        for key in FLASHES {
            for lang in [Lang::Ru, Lang::En] {
                assert_ne!(flash_text(lang, key), format!("flash.{key}"), "missing flash.{key}");
            }
        }
    }

    #[test]
    fn only_local_paths_are_followed() {
        let check = |input: &str, expected: Option<&str>| assert_eq!(safe_local(input), expected, "{input}");
        check("/users?x=1", Some("/users?x=1"));
        check("/", Some("/"));
        check("//evil.example/", None);
        check("/\\evil.example", None);
        check("https://evil.example/", None);
        check("", None);
        check("/a\nb", None);
    }

    #[test]
    fn form_fields_keep_repeated_values() {
        let f = Fields::parse(b"name=%D0%94&branches=1&branches=2&branches=x&primary=&_csrf=t");
        assert_eq!(f.get("name"), "Д");
        assert_eq!(f.ids("branches"), vec![1, 2]);
        assert_eq!(f.id("primary"), None);
        assert!(f.has("primary") && !f.has("missing"));
        assert_eq!(flash_key(Some("ok=saved&x=1")), Some("saved"));
        assert_eq!(flash_key(Some("ok=<script>")), None);
    }
}
