//! Errors on the wire: `application/problem+json` with a stable `code`, a human message in the
//! caller's language and field errors. Handlers return `Result<_, Error>`; the response
//! carries the error in an extension and the `localize` middleware renders it once the
//! language is known (or as an HTML page for browser navigation).

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::Error;
use crate::i18n::Lang;

/// The error carried from a handler to the localizing middleware.
#[derive(Clone)]
pub struct Carried(pub Arc<Error>);

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if matches!(self, Error::Storage(_) | Error::Internal(_) | Error::Backup(_)) {
            tracing::error!(error = %self, "request failed");
        }
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut resp = status.into_response();
        if let Some(retry_after_s) = self.retry_after()
            && let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp.extensions_mut().insert(Carried(Arc::new(self)));
        resp
    }
}

#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// `urn:dukan:error:<code>`
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code, e.g. `validation`, `not_found`, `forbidden`.
    pub code: String,
    /// Human message in the caller's language.
    pub detail: String,
    /// Per-field problems of a form.
    pub errors: Vec<ProblemField>,
}

#[derive(Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub code: String,
    pub message: String,
}

pub fn problem_body(error: &Error, lang: Lang) -> Problem {
    Problem {
        kind: format!("urn:dukan:error:{}", error.code()),
        title: StatusCode::from_u16(error.status()).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error").to_string(),
        status: error.status(),
        code: error.code().to_string(),
        detail: error.message(lang),
        errors: error
            .fields()
            .iter()
            .map(|f| ProblemField { field: f.field.clone(), code: f.code.to_string(), message: f.message(lang).to_string() })
            .collect(),
    }
}

pub fn problem_response(error: &Error, lang: Lang) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem_body(error, lang)).unwrap_or_default();
    let mut resp = (status, body).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    if let Some(retry_after_s) = error.retry_after()
        && let Ok(v) = HeaderValue::from_str(&retry_after_s.to_string())
    {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// Maps a bare status produced outside our handlers (404 fallback, 405, 413 from a limit,
/// a caught panic) to the matching error.
pub fn error_for_status(status: StatusCode) -> Error {
    match status.as_u16() {
        404 => Error::NotFound,
        405 => Error::MethodNotAllowed,
        413 => Error::PayloadTooLarge,
        415 => Error::BadRequest { code: "unsupported_media_type", detail: "expected application/json".into() },
        s if s >= 500 => Error::Internal(format!("status {s}")),
        _ => Error::BadRequest { code: "bad_request", detail: status.canonical_reason().unwrap_or("bad request").into() },
    }
}
