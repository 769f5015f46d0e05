//! Extractors: the authenticated caller (`Auth` for the API and htmx, `Page` for browser
//! navigation), the client address, and JSON/path/query wrappers whose rejections become
//! problem responses instead of axum's plain-text ones.

use std::net::SocketAddr;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;

use crate::app::App;
use crate::auth::{self, Presented};
use crate::error::Error;
use crate::ids::BranchId;
use crate::tenancy::actor::Actor;

pub const SESSION_COOKIE: &str = "dukan_session";
pub const LANG_COOKIE: &str = "dukan_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The client's address: the socket peer, or the first `X-Forwarded-For` hop when a trusted
/// proxy is configured.
pub struct ClientIp(pub String);

impl FromRequestParts<App> for ClientIp {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Error> {
        Ok(ClientIp(client_ip(parts, app)))
    }
}

pub fn client_ip(parts: &Parts, app: &App) -> String {
    if app.config.trusted_proxy
        && let Some(first) = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next())
    {
        return first.trim().to_string();
    }
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default()
}

pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    header_cookie(&parts.headers, name)
}

pub fn header_cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// How the caller proved who they are.
#[derive(Clone)]
pub enum Via {
    Bearer { family: u64 },
    Cookie { token: String, csrf: String },
}

/// An authenticated caller. For cookie sessions, state-changing methods must carry the
/// session's CSRF token (header `X-CSRF-Token` or form field `_csrf`) and, when present, an
/// `Origin` of this host.
pub struct Auth {
    pub actor: Actor,
    pub via: Via,
}

impl FromRequestParts<App> for Auth {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Error> {
        if let Some(cached) = parts.extensions.get::<CachedAuth>() {
            return Ok(Auth { actor: cached.0.clone(), via: cached.1.clone() });
        }
        let now = app.now();
        let ip = client_ip(parts, app);
        let bearer = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let tx = app.db.read()?;
        let (actor, via) = if let Some(token) = bearer {
            let claims = auth::decode_access(&app.keys, token.trim(), now)?;
            if !auth::family_live(&tx, &claims, now)? {
                return Err(Error::TokenInvalid);
            }
            let branch = match parts.headers.get("x-dukan-branch").map(|v| v.to_str().map(str::parse::<u64>)) {
                None => None,
                Some(Ok(Ok(b))) => Some(BranchId(b)),
                Some(_) => {
                    return Err(Error::BadRequest { code: "invalid_branch_header", detail: "X-Dukan-Branch must be a branch id".into() });
                }
            };
            let presented = Presented {
                company: crate::ids::CompanyId(claims.cid),
                user: crate::ids::UserId(claims.sub),
                token_version: claims.tv,
                branch_strict: branch.is_some(),
                branch,
                company_scope: false,
                ip,
            };
            (auth::resolve(&tx, &presented, now)?, Via::Bearer { family: claims.fam })
        } else if let Some(token) = cookie(parts, SESSION_COOKIE) {
            let session = auth::session(&tx, token, now)?.ok_or(Error::Unauthorized)?;
            if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
                if !bool::from(subtle::ConstantTimeEq::ct_eq(sent.as_bytes(), session.csrf.as_bytes())) {
                    return Err(Error::Csrf);
                }
                check_origin(parts)?;
            }
            let presented = Presented {
                company: session.company,
                user: session.user,
                token_version: session.token_version,
                branch_strict: false,
                branch: session.branch,
                company_scope: session.company_scope,
                ip,
            };
            let actor = auth::resolve(&tx, &presented, now)?;
            // Slide the expiry at most every 15 minutes per session.
            let life = app.lifetimes();
            if session.expires.0 - now.0 < life.session_hours * 3_600_000 - 15 * 60_000 {
                let db = app.db.clone();
                let token = token.to_string();
                tokio::spawn(async move {
                    let _ = db.write(move |tx| auth::extend_session(tx, &token, now, life)).await;
                });
            }
            (actor, Via::Cookie { token: token.to_string(), csrf: session.csrf })
        } else {
            return Err(Error::Unauthorized);
        };
        parts.extensions.insert(CachedAuth(actor.clone(), via.clone()));
        Ok(Auth { actor, via })
    }
}

#[derive(Clone)]
struct CachedAuth(Actor, Via);

/// Refuses cross-site form posts: when the browser names an `Origin`, it must be this host.
pub fn check_origin(parts: &Parts) -> Result<(), Error> {
    check_origin_headers(&parts.headers)
}

pub fn check_origin_headers(headers: &axum::http::HeaderMap) -> Result<(), Error> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split("://").nth(1).unwrap_or("");
    if origin == "null" || origin_host != host {
        return Err(Error::Csrf);
    }
    Ok(())
}

/// A signed-in browser user on a page; otherwise a redirect to sign-in (or first-run setup).
pub struct Page(pub Auth);

pub enum PageRejection {
    Redirect(String),
    Error(Error),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::Redirect(to) => Redirect::to(&to).into_response(),
            PageRejection::Error(e) => e.into_response(),
        }
    }
}

impl FromRequestParts<App> for Page {
    type Rejection = PageRejection;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, PageRejection> {
        match Auth::from_request_parts(parts, app).await {
            Ok(a) => Ok(Page(a)),
            Err(Error::Unauthorized | Error::TokenInvalid) => {
                let set_up = app
                    .db
                    .read()
                    .map_err(|e| PageRejection::Error(e.into()))
                    .and_then(|tx| crate::tenancy::is_set_up(&tx).map_err(PageRejection::Error))?;
                if !set_up {
                    return Err(PageRejection::Redirect("/setup".into()));
                }
                // Only a page can be returned to; a form post's path may not answer GET.
                if parts.method != Method::GET {
                    return Err(PageRejection::Redirect("/login".into()));
                }
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let next: String = url_encode(next);
                Err(PageRejection::Redirect(format!("/login?next={next}")))
            }
            Err(e) => Err(PageRejection::Error(e)),
        }
    }
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// JSON body whose rejections are problem responses.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> Error {
    if r.status().as_u16() == 413 {
        return Error::PayloadTooLarge;
    }
    let code = match &r {
        JsonRejection::JsonDataError(_) => "invalid_body",
        JsonRejection::JsonSyntaxError(_) => "malformed_json",
        JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
        _ => "bad_body",
    };
    Error::BadRequest { code, detail: r.body_text() }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters; a wrong shape ("abc" where an id goes) is a 400 problem.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(r) => Err(path_rejection(r)),
        }
    }
}

fn path_rejection(r: PathRejection) -> Error {
    Error::BadRequest { code: "invalid_path", detail: r.body_text() }
}

/// Query parameters; unknown or malformed values are a 400 problem.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(r) => Err(query_rejection(r)),
        }
    }
}

fn query_rejection(r: QueryRejection) -> Error {
    Error::BadRequest { code: "invalid_query", detail: r.body_text() }
}

/// The length a request declares, when it declares one.
pub fn declared_length(headers: &axum::http::HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse().ok())
}

/// Reads a request body of at most `limit` bytes, for handlers that have already checked the
/// caller's rights: a declared length over the limit is refused before a byte is read, a body
/// that grows past it as soon as it does, one that comes too slowly with 408.
pub async fn read_body(headers: &axum::http::HeaderMap, body: axum::body::Body, limit: usize) -> Result<axum::body::Bytes, Error> {
    if declared_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(Error::PayloadTooLarge);
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| match crate::http::server::is_too_slow(&e) {
        true => Error::RequestTimeout,
        false => Error::PayloadTooLarge,
    })
}

/// The part named `field` of a multipart form, read only now: the handler has checked the
/// caller's rights, and `Auth` the form's `_csrf` field (its first field, moved to the CSRF
/// header by the `csrf_form_field` middleware). `limit` bounds the whole body.
pub async fn multipart_part(req: Request, limit: usize, field: &str) -> Result<Option<crate::http::multipart::Part>, Error> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if !content_type.starts_with("multipart/form-data") {
        return Err(Error::BadRequest { code: "unsupported_media_type", detail: "expected multipart/form-data".into() });
    }
    let (parts, body) = req.into_parts();
    let bytes = read_body(&parts.headers, body, limit).await?;
    Ok(crate::http::multipart::part(&content_type, &bytes, field))
}
