//! HTTP: the only module that imports axum, askama and rust-embed. It builds the router
//! (public routes, the JSON API, the pages), the middleware (metrics, localized problem
//! responses, CSRF form fields, security headers, body limits, panics → 500 problems) and
//! serves it through the accept loop of `server`.

pub mod api;
pub mod assets;
pub mod extract;
pub mod live;
pub mod multipart;
pub mod problem;
pub mod relay;
pub mod server;
pub mod shared;
pub mod views;

use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use axum::{Json, Router};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;
use crate::error::Error;
use crate::i18n::Lang;
use problem::{Carried, error_for_status, problem_response};

/// The whole HTTP surface in three guard groups: what anyone may call (health, metrics,
/// assets, sign-in and first run: small bodies, no multipart), what a signed-in company user
/// calls (the `Auth`/`Page` extractors refuse anyone else before a byte of the body is read),
/// and the platform operator's pages and API. Each `api/<x>.rs` and `views/<x>.rs` declares
/// its own routes; an API route and its OpenAPI entry are one declaration (utoipa-axum).
pub fn router(app: App) -> Router {
    let body_limit = app.config.body_limit_kb * 1024;
    let limits = api::Limits::from_config(&app.config);
    // The OpenAPI parts are dropped here: held for the server's life they were ~5 MB of idle
    // heap (issue 19); `/api/openapi.json` assembles the document again when asked.
    let [(public_api, _), (signed_in_api, _), (platform_api, _)] = api_groups(&limits);
    let public = Router::new()
        .route("/metrics", get(metrics))
        .route("/api/openapi.json", get(openapi))
        .route("/api/docs", get(api_docs))
        .route("/static/{*path}", get(assets::serve))
        .merge(public_api)
        .merge(views::public_routes(&app));
    let signed_in = Router::new().merge(signed_in_api).merge(views::routes());
    let platform = Router::new().merge(platform_api).merge(views::platform_routes());
    Router::new()
        .merge(public)
        .merge(signed_in)
        .merge(platform)
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(middleware::from_fn_with_state(app.clone(), csrf_form_field))
        .layer(middleware::from_fn_with_state(app.clone(), localize))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            Error::Internal("panic".into()).into_response()
        }))
        .layer(middleware::from_fn_with_state(app.clone(), observe))
        .with_state(app)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    app: App,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = server::Limits::from_config(&app.config);
    server::serve(router(app), listener, limits, shutdown).await
}

/// The guard of the routes anyone may call (sign-in, first-run setup, invite acceptance, token
/// refresh): small bodies only, never multipart, and a declared length over the limit is
/// refused before a byte of the body is read.
pub fn public<S: Clone + Send + Sync + 'static>(route: MethodRouter<S>, limit: usize) -> MethodRouter<S> {
    route
        .layer::<_, std::convert::Infallible>(middleware::from_fn(move |req: Request, next: Next| public_body(limit, req, next)))
        .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(limit))
}

async fn public_body(limit: usize, req: Request, next: Next) -> Response {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if content_type.starts_with("multipart/") {
        return Error::BadRequest { code: "unsupported_media_type", detail: "file uploads need a signed-in session".into() }
            .into_response();
    }
    if extract::declared_length(req.headers()).is_some_and(|n| n > limit as u64) {
        return Error::PayloadTooLarge.into_response();
    }
    next.run(req).await
}

async fn fallback() -> Error {
    Error::NotFound
}

/// Counts requests by status class and latency, and adds security headers.
async fn observe(State(app): State<App>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let mut resp = next.run(req).await;
    app.metrics.observe(resp.status().as_u16(), start.elapsed().as_micros() as u64);
    let h = resp.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // A page that sets its own policy (the embeddable request form) says who may frame it
    // there; every other page may be framed by nobody.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
    ));
    resp
}

/// The language of a request: the language cookie, else `Accept-Language`, else Russian.
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == extract::LANG_COOKIE)
        .and_then(|(_, v)| Lang::parse(v));
    from_cookie
        .unwrap_or_else(|| Lang::from_accept_language(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("")))
}

/// Renders errors for the caller: problem+json for the API and scripts, an HTML page for
/// browser navigation, a flash message for htmx requests.
async fn localize(req: Request, next: Next) -> Response {
    let lang = request_lang(req.headers());
    let path = req.uri().path().to_string();
    let htmx = req.headers().contains_key("hx-request");
    let wants_html = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let resp = next.run(req).await;
    let status = resp.status();
    let carried = resp.extensions().get::<Carried>().cloned();
    // 101: a WebSocket upgrade (the label-scale agent) passes through untouched.
    let passes = status.is_success() || status.is_redirection() || status.is_informational() || status == StatusCode::NOT_MODIFIED;
    if carried.is_none() && passes {
        return resp;
    }
    // A handler answers 503 on purpose, with its own problem (`/healthz` when storage cannot
    // write): a supervisor or load balancer must see that 503 and its code, not a generic 500.
    if carried.is_none() && status == StatusCode::SERVICE_UNAVAILABLE {
        return resp;
    }
    let error = match &carried {
        Some(c) => c.0.clone(),
        None if resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html")) => return resp,
        None => std::sync::Arc::new(error_for_status(status)),
    };
    let is_api = path.starts_with("/api/") || path == "/healthz" || path == "/metrics";
    let mut out = if htmx && !is_api {
        views::flash_error(&error, lang)
    } else if wants_html && !is_api {
        views::error_page(&error, lang)
    } else {
        problem_response(&error, lang)
    };
    for (k, v) in resp.headers() {
        if k == header::RETRY_AFTER || k == header::SET_COOKIE {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// Plain HTML forms send the CSRF token as the `_csrf` field; move it to the header the
/// `Auth` extractor checks, so handlers see one mechanism. Only the forms of a live session
/// are read here; anyone else's body is left to the handler, whose extractor refuses the
/// caller before reading a byte. An url-encoded form is read up to `body_limit_kb`; of a
/// multipart form (file uploads) only the start, up to its `_csrf` field (the forms put it
/// first; at most `CSRF_PART_LIMIT` bytes), and the rest streams on to the handler, which
/// reads it after checking the caller's rights.
async fn csrf_form_field(State(app): State<App>, req: Request, next: Next) -> Response {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    let is_multipart = content_type.starts_with("multipart/form-data");
    if req.method() != axum::http::Method::POST || !(is_form || is_multipart) || req.headers().contains_key(extract::CSRF_HEADER) {
        return next.run(req).await;
    }
    if !live_session(&app, req.headers()) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let read = match is_multipart {
        true => multipart_csrf(&content_type, body).await,
        false => extract::read_body(&parts.headers, body, app.config.body_limit_kb * 1024)
            .await
            .map(|bytes| (form_urlencoded_value(&bytes, "_csrf"), Body::from(bytes))),
    };
    let (token, body) = match read {
        Ok(read) => read,
        Err(e) => return e.into_response(),
    };
    if let Some(token) = token
        && let Ok(v) = HeaderValue::from_str(token.trim())
    {
        parts.headers.insert(extract::CSRF_HEADER, v);
    }
    next.run(Request::from_parts(parts, body)).await
}

/// How much of a multipart body is read to find its `_csrf` field.
const CSRF_PART_LIMIT: usize = 16 * 1024;

/// Reads the start of a multipart body until its `_csrf` part is complete (or
/// `CSRF_PART_LIMIT` bytes came without it) and puts those bytes back in front of the rest.
async fn multipart_csrf(content_type: &str, body: Body) -> Result<(Option<String>, Body), Error> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut head = Vec::new();
    let token = loop {
        if let Some(p) = multipart::part(content_type, &head, "_csrf") {
            break String::from_utf8(p.bytes).ok();
        }
        if head.len() >= CSRF_PART_LIMIT {
            break None;
        }
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) if server::is_too_slow(&e) => return Err(Error::RequestTimeout),
            Some(Err(_)) => return Err(Error::BadRequest { code: "bad_body", detail: "the body could not be read".into() }),
            None => break None,
        }
    };
    let head = futures_util::stream::iter([Ok::<_, axum::Error>(axum::body::Bytes::from(head))]);
    Ok((token, Body::from_stream(head.chain(stream))))
}

/// Whether the request carries the cookie of a session that is still open.
fn live_session(app: &App, headers: &axum::http::HeaderMap) -> bool {
    let Some(token) = extract::header_cookie(headers, extract::SESSION_COOKIE) else {
        return false;
    };
    let now = app.now();
    app.db.read().ok().and_then(|tx| crate::auth::session(&tx, token, now).ok().flatten()).is_some()
}

fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    serde_urlencoded_pairs(body).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// "ok"
    pub status: String,
}

/// Liveness plus a write through the storage engine (not fsynced on its own), answered within
/// about 50 ms even while a long write holds the writer (see [`crate::app::Liveness`]).
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200, body = Health), (status = 503, body = problem::Problem)))]
pub async fn healthz(State(app): State<App>) -> Response {
    let now = app.now();
    let db = app.db.clone();
    // A write probe, unless one is already running; its answer is awaited at most 50 ms.
    // Meanwhile (a long import preview holds the writer) a recent successful probe counts.
    let probed = match app.liveness.begin() {
        true => {
            let (probe, liveness) = (db.clone(), app.liveness.clone());
            let run = tokio::task::spawn_blocking(move || {
                let ok = probe.write_volatile(|tx| crate::backup::probe_write(tx, now)).is_ok();
                liveness.end(ok);
                ok
            });
            tokio::time::timeout(std::time::Duration::from_millis(50), run).await.ok().map(|r| r.unwrap_or(false))
        }
        false => None,
    };
    let ok = match probed {
        Some(ok) => ok,
        None => app.liveness.fresh(),
    };
    match ok {
        true if db.broken().is_none() => Json(Health { status: "ok".into() }).into_response(),
        _ => {
            // 503, kept by `localize`: the server cannot write and (when the file needs to be
            // reopened) is about to exit for its supervisor to restart it.
            let unavailable = Error::refused(
                "storage_unavailable",
                "Хранилище недоступно для записи, сервер перезапускается",
                "Storage is not writable; the server is restarting",
            );
            let mut r = problem_response(&unavailable, Lang::En);
            *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            r
        }
    }
}

/// `/metrics` tells how busy the shop is and how its disk behaves: readable from this machine,
/// or from elsewhere with the configured `metrics_token` as a bearer token.
fn metrics_allowed(app: &App, ip: &str, headers: &axum::http::HeaderMap) -> bool {
    if ip.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return true;
    }
    let sent = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match (&app.config.metrics_token, sent) {
        (Some(token), Some(sent)) => bool::from(subtle::ConstantTimeEq::ct_eq(token.as_bytes(), sent.trim().as_bytes())),
        _ => false,
    }
}

async fn metrics(State(app): State<App>, ip: extract::ClientIp, headers: axum::http::HeaderMap) -> Result<Response, Error> {
    if !metrics_allowed(&app, &ip.0, &headers) {
        return Err(Error::Unauthorized);
    }
    let now = app.now();
    let (pending, last_good, last_failed, companies) = match app.db.read() {
        Ok(tx) => {
            let status = crate::backup::box_status(&tx);
            let seconds = |t: Option<crate::clock::Ts>| t.map_or(0.0, |t| t.0 as f64 / 1000.0);
            let companies = crate::tenancy::query::company_count(&tx).unwrap_or(0);
            (status.outbox_pending, seconds(status.last_good), seconds(status.last_failed), companies)
        }
        Err(_) => (0, 0.0, 0.0, 0),
    };
    let workers_failing = app.workers.snapshot().iter().filter(|(_, s)| s.last_error.is_some()).count();
    let (flushes, committed) = app.db.commit_stats();
    let (batches, batched) = app.db.batch_stats();
    let commits = app.db.batch_commit_times();
    let file = app.db.file_times();
    let gauges = [
        ("dukan_up", "1 while the server runs", 1.0),
        ("dukan_uptime_seconds", "seconds since start", (now.0 - app.started.0) as f64 / 1000.0),
        ("dukan_data_file_bytes", "size of the data file", app.db.file_bytes() as f64),
        ("dukan_outbox_pending", "outbox jobs waiting", pending as f64),
        ("dukan_backup_last_success_timestamp_seconds", "finish time of the newest good backup (0 = never)", last_good),
        (
            "dukan_backup_last_failure_timestamp_seconds",
            "finish time of a failed backup newer than the last good one (0 = none)",
            last_failed,
        ),
        ("dukan_companies", "companies in the box", companies as f64),
        ("dukan_workers_failing", "workers whose last step failed", workers_failing as f64),
        ("dukan_storage_group_flushes", "durable flushes shared by group-committed writes", flushes as f64),
        ("dukan_storage_group_commits", "group-committed writes", committed as f64),
        ("dukan_storage_batches", "durable batch transactions (checkouts share these)", batches as f64),
        ("dukan_storage_batched_operations", "operations carried by batch transactions", batched as f64),
        (
            "dukan_storage_batch_commit_seconds_total",
            "time spent committing batch transactions (page writes and fsync)",
            commits.total_seconds,
        ),
        ("dukan_storage_batch_commit_seconds_max", "longest batch commit since start (a slow disk shows here)", commits.max_seconds),
        (
            "dukan_storage_batch_commits_slow",
            "batch commits that took over 25 ms; every sale arriving meanwhile waits",
            commits.slow as f64,
        ),
        ("dukan_storage_fsyncs", "fdatasync calls on the data file", file.sync.count as f64),
        ("dukan_storage_fsync_seconds_total", "time spent in fdatasync on the data file", file.sync.total_seconds),
        ("dukan_storage_fsync_seconds_max", "longest fdatasync since start (the disk's own stalls)", file.sync.max_seconds),
        ("dukan_storage_fsyncs_slow", "fdatasync calls that took over 25 ms", file.sync.slow as f64),
        ("dukan_storage_page_write_seconds_total", "time spent writing pages to the data file", file.write.total_seconds),
        ("dukan_storage_page_write_seconds_max", "longest single page write since start", file.write.max_seconds),
        ("dukan_storage_file_resizes", "times the data file was extended or trimmed", file.resize.count as f64),
        ("dukan_storage_file_resize_seconds_max", "longest resize of the data file since start", file.resize.max_seconds),
    ];
    // Per scale: its live state and error count (`scales::device::Devices::metrics`).
    let body = app.metrics.render(&gauges) + &app.scales.metrics();
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response())
}

/// The API's routes in their three guard groups (public, signed in, platform), each with its
/// part of the OpenAPI document: one source for the router and for the document.
fn api_groups(limits: &api::Limits) -> [(Router<App>, utoipa::openapi::OpenApi); 3] {
    [
        OpenApiRouter::with_openapi(api::ApiDoc::openapi()).routes(routes!(healthz)).merge(api::public_routes(limits)).split_for_parts(),
        api::signed_in_routes(limits).split_for_parts(),
        api::platform_routes().split_for_parts(),
    ]
}

/// The OpenAPI document of every API route, built from the same declarations as the router.
/// Built per request (a few milliseconds, asked for rarely) rather than held: the utoipa
/// structures of ~150 operations take ~5 MB.
pub fn openapi_doc(limits: &api::Limits) -> utoipa::openapi::OpenApi {
    let [(_, mut doc), (_, signed_in), (_, platform)] = api_groups(limits);
    doc.merge(signed_in);
    doc.merge(platform);
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    doc
}

async fn openapi(State(app): State<App>) -> Response {
    Json(openapi_doc(&api::Limits::from_config(&app.config))).into_response()
}

async fn api_docs() -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Dukan API</title>\
         <link rel=\"stylesheet\" href=\"{}\"></head><body><div id=\"swagger-ui\"></div>\
         <script src=\"{}\"></script><script src=\"{}\"></script></body></html>",
        assets::url("vendor/swagger-ui-5.35.0.css"),
        assets::url("vendor/swagger-ui-5.35.0-bundle.js"),
        assets::url("api-docs.js")
    ))
}
