//! What an API handler and a page both run and that needs more of the app than one
//! transaction: the password hasher and the sign-in limiter (signing in, changing a password,
//! creating users and companies), invite links (tenancy below auth cannot make them), the
//! audit log's day filter in the company's time zone, subscription terms, and the backup
//! folder. A leaf of `http`: `api` and `views` call it, it calls neither.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::app::App;
use crate::audit;
use crate::auth::limiter::{Pace, SLOW_DOWN};
use crate::backup::{self, State as BState};
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{BackupId, CompanyId, PlanId, UserId};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{self, User};
use crate::tenancy::users::{self, UserDraft};
use crate::tenancy::{self as ten, CompanyDraft, Creator, Subscription, query};

/// Checks e-mail and password under the sign-in limits; the same path serves the API and the
/// sign-in page.
pub async fn authenticate(app: &App, ip: &str, email: &str, password: &str) -> Result<(CompanyId, User)> {
    let now = app.now();
    let email = email.trim().to_lowercase();
    if email.is_empty() || password.is_empty() || email.len() > 254 || password.len() > 1024 {
        return Err(Error::BadCredentials);
    }
    let pace = app.limiter.attempt(ip, &email, now).map_err(|retry_after_s| Error::RateLimited { retry_after_s })?;
    if pace == Pace::Slow {
        tokio::time::sleep(SLOW_DOWN).await;
    }
    let found = crate::auth::lookup_login(&app.db.read()?, &email)?;
    let hash = found.as_ref().and_then(|(_, u)| u.password.clone());
    let ok = app.hasher.verify(password.to_string(), hash).await?;
    match found {
        Some((company, user)) if ok => {
            app.limiter.succeeded(ip, &email);
            app.metrics.logins_ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let c = query::company(&app.db.read()?, company).map_err(|e| match e {
                Error::NotFound => Error::BadCredentials,
                other => other,
            })?;
            if !c.active && !user.platform_admin {
                return Err(Error::CompanyInactive);
            }
            Ok((company, user))
        }
        _ => {
            app.limiter.failed(ip, &email, now);
            app.metrics.logins_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(Error::BadCredentials)
        }
    }
}

/// Changes the actor's own password; every other session and token of theirs ends.
pub async fn change_password(app: &App, actor: &Actor, current: &str, new: &str) -> Result<()> {
    let new = model::parse_password("new_password", new).map_err(|e| Error::Validation(vec![e]))?;
    let user = query::user(&app.db.read()?, actor.company, actor.user)?;
    // Guessing the current password is limited like signing in.
    let now = app.now();
    let pace = app.limiter.attempt(&actor.ip, &user.email, now).map_err(|retry_after_s| Error::RateLimited { retry_after_s })?;
    if pace == Pace::Slow {
        tokio::time::sleep(SLOW_DOWN).await;
    }
    if !app.hasher.verify(current.to_string(), user.password.clone()).await? {
        app.limiter.failed(&actor.ip, &user.email, now);
        return Err(Error::field("current_password", "wrong_password", "Неверный текущий пароль", "The current password is wrong"));
    }
    let hash = app.hasher.hash(new).await?;
    let (company, uid, ip, now) = (actor.company, actor.user, actor.ip.clone(), app.now());
    app.db.write(move |tx| users::set_password(tx, company, uid, hash, now, &ip)).await
}

/// Creates a user, hashing an admin-set password before the transaction; without a password
/// the user gets a one-time invite link (its path is returned).
pub async fn create_user(
    app: &App,
    actor: &Actor,
    draft: UserDraft,
    password: Option<String>,
    origin: Option<String>,
) -> Result<(User, Option<String>, Option<String>)> {
    let hash = match password.filter(|p| !p.is_empty()) {
        Some(p) => Some(app.hasher.hash(model::parse_password("password", &p).map_err(|e| Error::Validation(vec![e]))?).await?),
        None => None,
    };
    let (now, actor, config, key) = (app.now(), actor.clone(), app.config.clone(), app.box_key.clone());
    app.db
        .write(move |tx| {
            let invite = hash.is_none();
            let id = users::create(tx, &actor, now, &draft, hash)?;
            let (link, mailed) = if invite {
                let link = format!("/invite/{}", crate::auth::create_invite(tx, actor.company, id, now)?);
                let mailed = mail_link(tx, &key, &config, actor.company, id, origin.as_deref(), &link, now)?;
                (Some(link), mailed)
            } else {
                (None, None)
            };
            Ok((query::user(tx, actor.company, id)?, link, mailed))
        })
        .await
}

/// Queues the e-mail of an invite or password link when e-mail is set up and the caller knows
/// this box's address; returns the address it went to (else the link is handed over by hand).
#[allow(clippy::too_many_arguments)]
fn mail_link(
    tx: &mut crate::storage::WriteTx,
    key: &crate::messaging::seal::BoxKey,
    config: &crate::config::Config,
    c: CompanyId,
    user: UserId,
    origin: Option<&str>,
    link: &str,
    now: Ts,
) -> Result<Option<String>> {
    let Some(origin) = origin else {
        return Ok(None);
    };
    let to = query::user(tx, c, user)?.email;
    crate::messaging::mail::send_link(tx, key, config, c, &to, &format!("{origin}{link}"), now)
}

/// A new one-time password link for a user (for a forgotten password); the old password keeps
/// working until the link is used. With e-mail set up (and `origin`, this box's address as the
/// browser sees it) the link also goes to the user by e-mail: the second value says where.
pub async fn invite(app: &App, actor: &Actor, id: UserId, origin: Option<String>) -> Result<(String, Option<String>)> {
    let (now, actor, config, key) = (app.now(), actor.clone(), app.config.clone(), app.box_key.clone());
    app.db
        .write(move |tx| {
            users::authorize_reset(tx, &actor, now, id)?;
            let token = crate::auth::create_invite(tx, actor.company, id, now)?;
            let link = format!("/invite/{token}");
            let mailed = mail_link(tx, &key, &config, actor.company, id, origin.as_deref(), &link, now)?;
            Ok((link, mailed))
        })
        .await
}

/// Creates a company with its owner: by the platform operator (`creator`), or at first run.
pub async fn create_company(app: &App, creator: Option<&Actor>, ip: &str, draft: CompanyDraft) -> Result<(CompanyId, UserId)> {
    let parsed = draft.parse()?;
    let hash = app.hasher.hash(parsed.owner_password.clone()).await?;
    let now = app.now();
    let actor = creator.cloned();
    let ip = ip.to_string();
    app.db
        .write(move |tx| {
            let creator = match &actor {
                Some(a) => Creator::Platform(a),
                None => Creator::FirstRun { ip: &ip },
            };
            ten::create_company(tx, now, &parsed, hash, creator)
        })
        .await
}

/// A day typed by a person (YYYY-MM-DD) in the company's time zone; empty is no day.
fn day(field: &str, raw: Option<&str>, tz: &str) -> Result<Option<Ts>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => {
            Ts::parse_date(s, tz).map(Some).ok_or_else(|| Error::field(field, "date", "Дата в формате ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"))
        }
    }
}

/// Sets a company's plan and paid period (the platform operator); `end` is the last paid day,
/// in the company's time zone, or none for no end.
pub async fn set_subscription(
    app: &App,
    actor: &Actor,
    company: CompanyId,
    plan: PlanId,
    end: Option<&str>,
    grace_days: u32,
    active: bool,
) -> Result<()> {
    actor.require_platform_admin()?;
    let tz = ten::timezone(&app.db.read()?, company)?;
    // The paid period covers the whole last day.
    let end = day("end", end, &tz)?.map(|t| t.plus_days(1).plus_ms(-1));
    let terms = Subscription { plan, end, grace_days, active };
    let (now, actor) = (app.now(), actor.clone());
    app.db.write(move |tx| ten::set_subscription(tx, &actor, now, company, &terms)).await
}

/// What the audit log shows: one user's actions, actions starting with a text, and days
/// (inclusive, in the company's time zone).
#[derive(Debug, Clone, Default)]
pub struct AuditAsk {
    pub user: Option<UserId>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Entries older than this id (the page cursor).
    pub before: Option<u64>,
    /// Default 50, 1..=500.
    pub limit: Option<usize>,
}

/// One page of the audit log: entries by id, newest first, and the cursor of the next page.
pub struct AuditRows {
    pub entries: Vec<(u64, audit::Entry)>,
    pub next_before: Option<u64>,
}

/// A page of the audit log (owners and admins).
pub fn audit_page(app: &App, actor: &Actor, ask: &AuditAsk) -> Result<AuditRows> {
    actor.require_owner_like()?;
    let tx = app.db.read()?;
    let tz = ten::timezone(&tx, actor.company)?;
    let filter = audit::Filter {
        user: ask.user,
        action: ask.action.clone().filter(|s| !s.is_empty()),
        from: day("from", ask.from.as_deref(), &tz)?,
        to: day("to", ask.to.as_deref(), &tz)?.map(|t| t.plus_days(1)),
    };
    let limit = ask.limit.unwrap_or(50).clamp(1, 500);
    let mut rows = audit::list(&tx, actor.company, &filter, ask.before, limit + 1)?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_before = if more { rows.last().map(|(id, _)| *id) } else { None };
    Ok(AuditRows { entries: rows, next_before })
}

/// Streams a good backup file from the backup folder (never a path from the request).
pub async fn download_backup(app: &App, actor: &Actor, id: BackupId) -> Result<Response> {
    actor.require_platform_admin()?;
    let b = backup::get(&app.db.read()?, id)?;
    let BState::Good { file, bytes, .. } = b.state else {
        return Err(Error::NotFound);
    };
    if b.pruned {
        return Err(Error::NotFound);
    }
    let path = app.config.backup_dir().join(&file);
    let f = tokio::fs::File::open(&path).await.map_err(|_| Error::NotFound)?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, bytes.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
        ],
        Body::from_stream(chunks(f)),
    )
        .into_response())
}

/// Reads a file as a stream of 64 KiB chunks.
fn chunks(file: tokio::fs::File) -> impl futures_core::Stream<Item = std::io::Result<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    futures_util::stream::unfold(file, |mut f| async move {
        let mut buf = vec![0u8; 64 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}

/// The products matching `text`, best first, as stored now (the search index may lag a moment
/// behind the data file; `Search::products` re-reads its hits). Off the runtime: the index
/// reads files. The API's search, the product list and the till's picker all ask this.
pub async fn search_products(
    app: &App,
    actor: &Actor,
    text: String,
    filters: crate::search::Filters,
    limit: usize,
) -> Result<Vec<crate::catalog::model::Product>> {
    crate::catalog::query::require_read(actor)?;
    let (app, company) = (app.clone(), actor.company);
    tokio::task::spawn_blocking(move || Ok::<_, Error>(app.search.products(&app.db, company, &text, &filters, limit)?))
        .await
        .map_err(|e| Error::Internal(format!("search task: {e}")))?
}

/// Whether a till scan of `code` at box `b` is weighed on the box's scale: the plan has
/// scales, the box has an active scale, and the code names a weighed product by its plain
/// barcode or PLU.
pub fn scan_weighs(app: &App, actor: &Actor, b: crate::ids::CashBoxId, code: &str) -> Result<bool> {
    if !actor.has_feature("scales") {
        return Ok(false);
    }
    let tx = app.db.read()?;
    Ok(crate::scales::for_cash_box(&tx, actor.company, b)?.is_some() && crate::pos::needs_weighing(&tx, actor.company, code)?)
}

/// The till weighs a product: the box's scale's stable reading — or a weight typed by a user
/// allowed to (`manual_kg`), marked manual — goes into the cart in one transaction. A reading
/// the transaction did not use is given back to the scale (`Devices::untake`).
pub async fn weigh(
    app: &App,
    actor: &Actor,
    b: crate::ids::CashBoxId,
    code: String,
    manual_kg: Option<String>,
) -> Result<crate::pos::Scanned> {
    actor.require_feature("scales")?;
    let now = app.now();
    let (taken, scale) = match manual_kg {
        Some(raw) => (crate::scales::manual(actor, now, &raw)?, None),
        None => {
            let tx = app.db.read()?;
            if !crate::pos::query::cash_boxes(&tx, actor)?.iter().any(|cb| cb.id == b) {
                return Err(Error::NotFound);
            }
            let found = crate::scales::for_cash_box(&tx, actor.company, b)?;
            drop(tx);
            let scale = found.ok_or_else(|| Error::refused("no_scale", "К этой кассе не подключены весы", "This cash box has no scale"))?;
            (app.scales.take(actor.company, scale.id)?, Some(scale.id))
        }
    };
    let a = actor.clone();
    let done = app.db.write(move |tx| crate::pos::weigh(tx, &a, now, b, &code, taken)).await;
    if done.is_err()
        && let Some(id) = scale
    {
        app.scales.untake(actor.company, id);
    }
    done
}

/// Saves a scale (through pos, which owns the cash boxes) and restarts its worker.
pub async fn save_scale(
    app: &App,
    actor: &Actor,
    id: Option<crate::ids::ScaleId>,
    d: crate::scales::ScaleDraft,
) -> Result<crate::scales::Scale> {
    let (now, a, reach) = (app.now(), actor.clone(), app.scales.reach().clone());
    let scale = app.db.write(move |tx| crate::pos::save_scale(tx, &a, now, id, &d, &reach)).await?;
    app.scales.apply(actor.company, scale.id, Some(scale.clone()));
    Ok(scale)
}

pub async fn delete_scale(app: &App, actor: &Actor, id: crate::ids::ScaleId) -> Result<()> {
    let (now, a) = (app.now(), actor.clone());
    app.db.write(move |tx| crate::scales::delete_scale(tx, &a, now, id)).await?;
    app.scales.apply(actor.company, id, None);
    Ok(())
}

/// Detect on a link typed in the form: `None` when no protocol answered.
pub async fn detect_scale(app: &App, actor: &Actor, link: &str, address: &str) -> Result<Option<crate::scales::device::Found>> {
    crate::scales::manager(actor)?;
    let mut p = crate::error::Problems::default();
    let reach = app.scales.reach().clone();
    let parsed = crate::scales::parse_link(&mut p, link, address, "", Some(crate::scales::proto::Protocol::Sics), &reach);
    p.finish()?;
    let Some(parsed) = parsed else { return Err(Error::Internal("link parsed without a value".into())) };
    // A running worker on the same link would take the answers: pause it meanwhile.
    let tx = app.db.read()?;
    let same: Vec<_> = crate::scales::scales(&tx, actor.company)?.into_iter().filter(|s| s.link.address() == parsed.address()).collect();
    drop(tx);
    let paused: Vec<_> = same.iter().filter_map(|s| app.scales.pause(actor.company, s.id)).collect();
    let found = crate::scales::device::detect(&parsed, &reach).await;
    for s in paused {
        app.scales.apply(actor.company, s.id, Some(s));
    }
    Ok(found)
}

/// Zero or tare a scale from its page (managers, and cashiers at the box's scale).
pub async fn scale_order(app: &App, actor: &Actor, id: crate::ids::ScaleId, cmd: crate::scales::proto::Command) -> Result<()> {
    crate::scales::scale(&app.db.read()?, actor, id)?;
    app.scales.order(actor.company, id, cmd).await
}

/// A PDF handed over as a download named `name` (statements, acts).
pub fn pdf_download(name: &str, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))],
        bytes,
    )
        .into_response()
}

/// Saves a webhook endpoint: a host name is resolved before the transaction (never inside
/// it) and refused when it names this box or a forbidden range; delivery vets the addresses
/// again when it connects.
pub async fn save_webhook(
    app: &App,
    actor: &Actor,
    id: Option<u64>,
    draft: crate::webhooks::WebhookDraft,
) -> Result<crate::webhooks::Webhook> {
    use crate::webhooks::{self, guard};
    let (now, c, actor) = (app.now(), actor.company, actor.clone());
    let policy = guard::Policy::of(&app.config);
    if let Ok(url) = guard::check_url(draft.url.trim(), policy) {
        guard::check_resolved(&url, policy).await.map_err(|e| Error::Validation(vec![e]))?;
    }
    app.db
        .write(move |tx| {
            let id = webhooks::save(tx, &actor, now, id, &draft, policy)?;
            webhooks::hook(tx, c, id)
        })
        .await
}

/// Saves a label scale (a new one's token comes back once) with the company's list version.
pub async fn save_label_scale(
    app: &App,
    actor: &Actor,
    id: Option<crate::ids::LabelScaleId>,
    d: crate::scales::label::LabelScaleDraft,
) -> Result<(crate::scales::label::LabelScale, Option<String>, u64)> {
    let (now, a, reach) = (app.now(), actor.clone(), app.scales.reach().clone());
    app.db
        .write(move |tx| {
            let (s, token) = crate::scales::label::save(tx, &a, now, id, &d, &reach)?;
            let version = crate::scales::label::version(&*tx, a.company)?;
            Ok((s, token, version))
        })
        .await
}

/// "Sync now" on a label scale: queued for the worker (which hands an agent's to its
/// connection).
pub async fn sync_label_scale(app: &App, actor: &Actor, id: crate::ids::LabelScaleId) -> Result<(crate::scales::label::LabelScale, u64)> {
    let (now, a) = (app.now(), actor.clone());
    let (s, version) = app
        .db
        .write(move |tx| {
            let s = crate::scales::label::request_sync(tx, &a, now, id)?;
            let version = crate::scales::label::version(&*tx, a.company)?;
            Ok::<_, crate::error::Error>((s, version))
        })
        .await?;
    crate::scales::upload::publish(&app.live, actor.company, &s, "progress");
    Ok((s, version))
}

/// A stored file handed over as a download, never shown inline: `Content-Disposition:
/// attachment` with an ASCII fallback name and the real one in RFC 5987 form, the content
/// type the domain chose from its allow-list, and no caching outside the browser.
pub fn file_download(name: &str, mime: &str, bytes: Vec<u8>) -> Response {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%') || c == ' ' { c } else { '_' }).collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => encoded.push(b as char),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}
