//! The public request form (`/r/<slug>`, and `/r/<slug>/embed` without chrome for a shop's
//! own site), its settings page (`/crm/request-form`), and the review forms of the client
//! card and the order page.
//!
//! The public form has no session, so no CSRF token: a forged post can do nothing a visitor
//! could not do directly. Abuse is bounded instead by signup's guards — a per-address limit
//! and a per-company limit counted before any work, a honeypot field (filled, the visitor is
//! thanked and nothing is stored) — and by bounded fields and the public body limit. Only the
//! embed variant may be framed, and only by the sites the company listed
//! (`frame-ancestors`; any site while the list is empty).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::{get, post};

use super::form::flash;
use super::{Errors, Fields, PublicAssets, Shell, Ui, render, see_other};
use crate::app::App;
use crate::crm::model::RequestForm;
use crate::crm::requests::{self, FormDraft, RequestDraft};
use crate::crm::reviews::{self, ReviewDraft};
use crate::error::{Error, Result};
use crate::http::extract::{ClientIp, Path};
use crate::http::request_lang;
use crate::i18n::Lang;
use crate::ids::{ClientId, OrderId};

pub fn public_routes(public_limit: usize) -> Router<App> {
    Router::new()
        .route("/r/{slug}", crate::http::public(get(page).post(submit), public_limit))
        .route("/r/{slug}/embed", crate::http::public(get(embed_page).post(embed_submit), public_limit))
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/crm/request-form", get(settings_page).post(save_settings))
        .route("/crm/clients/{id}/reviews", post(review_client))
        .route("/crm/orders/{id}/reviews", post(review_order))
}

const FIELDS: &[&str] = &["name", "phone", "email", "message"];

#[derive(Template)]
#[template(path = "crm_request.html")]
struct RequestPage {
    lang: Lang,
    assets: PublicAssets,
    embed: bool,
    action: String,
    company: String,
    form: RequestForm,
    draft: RequestDraft,
    errs: Errors,
    sent: bool,
}

/// The page's answer, with the frame policy of its variant.
fn framed(status: StatusCode, page: &RequestPage) -> Result<Response> {
    let mut resp = render(status, page)?;
    if page.embed {
        let ancestors = if page.form.embed_origins.is_empty() { "*".to_string() } else { page.form.embed_origins.join(" ") };
        let csp = format!(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; form-action 'self'; frame-ancestors {ancestors}"
        );
        let value = HeaderValue::from_str(&csp).map_err(|e| Error::Internal(format!("csp: {e}")))?;
        resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    Ok(resp)
}

fn action(slug: &str, embed: bool) -> String {
    if embed { format!("/r/{slug}/embed") } else { format!("/r/{slug}") }
}

async fn show(app: App, headers: HeaderMap, ip: String, slug: String, embed: bool) -> Result<Response> {
    let tx = app.db.read()?;
    let Some((actor, form)) = requests::public_company(&tx, &slug, app.now(), &ip)? else {
        return Err(Error::NotFound);
    };
    let company = crate::tenancy::query::company(&tx, actor.company)?.name;
    let page = RequestPage {
        lang: request_lang(&headers),
        assets: PublicAssets::default(),
        embed,
        action: action(&slug, embed),
        company,
        form,
        draft: RequestDraft::default(),
        errs: Errors::default(),
        sent: false,
    };
    framed(StatusCode::OK, &page)
}

async fn take(app: App, headers: HeaderMap, ip: String, slug: String, embed: bool, f: Fields) -> Result<Response> {
    let now = app.now();
    app.request_ip_limiter.attempt(&ip, "request", now).map_err(|retry_after_s| Error::RateLimited { retry_after_s })?;
    let found = requests::public_company(&app.db.read()?, &slug, now, &ip)?;
    let Some((actor, form)) = found else {
        return Err(Error::NotFound);
    };
    app.request_company_limiter
        .attempt(&format!("company:{}", actor.company), "request", now)
        .map_err(|retry_after_s| Error::RateLimited { retry_after_s })?;
    let lang = request_lang(&headers);
    let company = crate::tenancy::query::company(&app.db.read()?, actor.company)?.name;
    let draft = RequestDraft { name: f.get("name"), phone: f.get("phone"), email: f.get("email"), message: f.get("message") };
    let mut page = RequestPage {
        lang,
        assets: PublicAssets::default(),
        embed,
        action: action(&slug, embed),
        company,
        form,
        draft: RequestDraft::default(),
        errs: Errors::default(),
        sent: true,
    };
    // A robot fills every field; people never see this one. It is thanked and nothing is kept.
    if !f.get("website").is_empty() {
        tracing::info!(ip = %ip, "request form honeypot filled; nothing created");
        return framed(StatusCode::OK, &page);
    }
    let (writer, sent) = (actor.clone(), draft.clone());
    match app.db.write(move |tx| requests::submit(tx, &writer, now, &sent)).await {
        Ok(got) => {
            app.live.publish(actor.company, crate::crm::deals::BOARD_TOPIC, crate::crm::deals::board_event(&got.deal));
            for (topic, event) in got.live {
                app.live.publish(actor.company, &topic, event);
            }
            framed(StatusCode::OK, &page)
        }
        Err(Error::Validation(list)) => {
            page.sent = false;
            page.errs = Errors::new(&list, lang, FIELDS);
            page.draft = draft;
            framed(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

pub async fn page(State(app): State<App>, headers: HeaderMap, ClientIp(ip): ClientIp, Path(slug): Path<String>) -> Result<Response> {
    show(app, headers, ip, slug, false).await
}

pub async fn embed_page(State(app): State<App>, headers: HeaderMap, ClientIp(ip): ClientIp, Path(slug): Path<String>) -> Result<Response> {
    show(app, headers, ip, slug, true).await
}

pub async fn submit(
    State(app): State<App>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    f: Fields,
) -> Result<Response> {
    take(app, headers, ip, slug, false, f).await
}

pub async fn embed_submit(
    State(app): State<App>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    f: Fields,
) -> Result<Response> {
    take(app, headers, ip, slug, true, f).await
}

#[derive(Template)]
#[template(path = "crm_request_form.html")]
struct SettingsPage {
    lang: Lang,
    shell: Shell,
    errs: Errors,
    form: RequestForm,
    origins: String,
    /// The form's addresses on this box, for the link and the embed code.
    link: String,
    embed: String,
}

fn settings_for(app: &App, ui: &Ui, uri: &Uri, draft: Option<FormDraft>, errs: Errors) -> Result<SettingsPage> {
    let tx = app.db.read()?;
    let stored = requests::settings(&tx, ui.actor())?;
    let (form, origins) = match draft {
        Some(d) => (
            RequestForm {
                enabled: d.enabled,
                ask_email: d.ask_email,
                ask_message: d.ask_message,
                intro: d.intro,
                embed_origins: Vec::new(),
            },
            d.embed_origins,
        ),
        None => {
            let origins = stored.embed_origins.join("\n");
            (stored, origins)
        }
    };
    let slug = crate::tenancy::query::company_slug(&tx, ui.actor().company)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, &["form_saved"], "crm_public.");
    Ok(SettingsPage {
        lang: ui.lang,
        shell,
        errs,
        form,
        origins,
        link: format!("{}/r/{slug}", ui.origin),
        embed: format!("{}/r/{slug}/embed", ui.origin),
    })
}

pub async fn settings_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &settings_for(&app, &ui, &uri, None, Errors::default())?)
}

pub async fn save_settings(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    crate::crm::require_crm(ui.actor())?;
    ui.actor().require(crate::tenancy::perms::Perm::CRM_SETTINGS)?;
    let draft = FormDraft {
        enabled: f.has("enabled"),
        ask_email: f.has("ask_email"),
        ask_message: f.has("ask_message"),
        intro: f.get("intro"),
        embed_origins: f.get("embed_origins"),
    };
    let (now, actor, saving) = (app.now(), ui.actor().clone(), draft.clone());
    match app.db.write(move |tx| requests::save_settings(tx, &actor, now, &saving)).await {
        Ok(_) => Ok(see_other("/crm/request-form?ok=form_saved")),
        Err(e) => {
            let (status, errs) = super::form::refused(e, ui.lang, &["intro", "embed_origins"])?;
            render(status, &settings_for(&app, &ui, &uri, Some(draft), errs)?)
        }
    }
}

fn review_draft(f: &Fields) -> ReviewDraft {
    ReviewDraft { rating: f.get("rating"), text: f.get("text") }
}

pub async fn review_client(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    crate::crm::require_crm(ui.actor())?;
    ui.actor().require(crate::tenancy::perms::Perm::CRM_REVIEWS)?;
    let (now, actor, d) = (app.now(), ui.actor().clone(), review_draft(&f));
    match app.db.write(move |tx| reviews::add(tx, &actor, now, Some(ClientId(id)), None, &d)).await {
        Ok(_) => Ok(see_other(&format!("/clients/{id}?ok=client_saved"))),
        Err(e @ Error::Validation(_)) => Ok(super::flash_error(&e, ui.lang)),
        Err(e) => Err(e),
    }
}

pub async fn review_order(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    crate::crm::require_crm(ui.actor())?;
    ui.actor().require(crate::tenancy::perms::Perm::CRM_REVIEWS)?;
    let (now, actor, d) = (app.now(), ui.actor().clone(), review_draft(&f));
    match app.db.write(move |tx| reviews::add(tx, &actor, now, None, Some(OrderId(id)), &d)).await {
        Ok(_) => Ok(see_other(&format!("/crm/orders/{id}"))),
        Err(e @ Error::Validation(_)) => Ok(super::flash_error(&e, ui.lang)),
        Err(e) => Err(e),
    }
}

/// A review as the client card and the order page list it.
pub struct ReviewRow {
    pub at: String,
    pub stars: String,
    pub rating: u8,
    pub text: String,
}

/// The reviews of a client (`order` None) or of an order, for a reader with a CRM right;
/// empty for anyone else, since the pages that show them are read without the CRM too.
pub(super) fn review_rows(app: &App, ui: &Ui, tz: &str, client: Option<u64>, order: Option<u64>) -> Result<Vec<ReviewRow>> {
    if crate::crm::require_crm(ui.actor()).is_err() {
        return Ok(Vec::new());
    }
    let tx = app.db.read()?;
    let list = match (client, order) {
        (_, Some(o)) => reviews::of_order(&tx, ui.actor(), OrderId(o))?,
        (Some(c), None) => reviews::of_client(&tx, ui.actor(), ClientId(c))?,
        (None, None) => Vec::new(),
    };
    Ok(list
        .into_iter()
        .map(|r| ReviewRow {
            at: r.created.format_local(tz),
            stars: format!("{}{}", "★".repeat(usize::from(r.rating)), "☆".repeat(usize::from(5 - r.rating.min(5)))),
            rating: r.rating,
            text: r.text,
        })
        .collect())
}

/// Whether the actor may record reviews.
pub(super) fn can_review(ui: &Ui) -> bool {
    crate::crm::require_crm(ui.actor()).is_ok() && ui.actor().can(crate::tenancy::perms::Perm::CRM_REVIEWS)
}
