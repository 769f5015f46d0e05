//! Server-rendered pages (askama + htmx).

use axum::Router;
use axum::response::{Html, IntoResponse, Response};

use crate::app::App;
use crate::error::Error;
use crate::i18n::Lang;

pub fn routes(_app: &App) -> Router<App> {
    Router::new()
}

pub fn error_page(error: &Error, lang: Lang) -> Response {
    let status = axum::http::StatusCode::from_u16(error.status()).unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    (status, Html(format!("<!doctype html><title>{}</title><p>{}</p>", error.code(), error.message(lang)))).into_response()
}

pub fn flash_error(error: &Error, lang: Lang) -> Response {
    error_page(error, lang)
}
