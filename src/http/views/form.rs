//! What a page shows after a form post: the success message a redirect asked for (each page
//! group's allow-list of `?ok=` keys), and a refused write turned into the form's messages.
//! A leaf: nothing is routed through it.

use axum::http::{StatusCode, Uri};

use super::{Errors, Fields, Shell, flash_text};
use crate::error::{Error, FieldError, Result};
use crate::i18n::Lang;

/// Success messages the catalog and stock pages' redirects may ask for (`?ok=<key>`, each
/// `flash.<key>`).
pub const STOCK_FLASHES: &[&str] = &[
    "product_saved",
    "product_archived",
    "product_restored",
    "product_deleted",
    "image_saved",
    "image_removed",
    "category_saved",
    "brand_saved",
    "warehouse_saved",
    "document_saved",
    "document_posted",
    "document_cancelled",
    "document_deleted",
    "stock_settings_saved",
];

/// Puts the success message asked for by the previous redirect on the page, when its key is
/// one of `allowed`: `flash.<prefix><key>` in the string tables. Anything else is ignored.
pub fn flash(shell: &mut Shell, lang: Lang, uri: &Uri, allowed: &[&str], prefix: &str) {
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if let Some(key) = allowed.iter().find(|k| **k == ok) {
        shell.flash = Some(flash_text(lang, &format!("{prefix}{key}")));
    }
}

/// The catalog and stock pages' success message (`STOCK_FLASHES`).
pub fn stock_flash(shell: &mut Shell, lang: Lang, uri: &Uri) {
    flash(shell, lang, uri, STOCK_FLASHES, "");
}

/// Several problems with one field (two bad barcodes) become one message, so none is lost.
pub fn merged(list: Vec<FieldError>) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = Vec::new();
    for f in list {
        match out.iter_mut().find(|o| o.field == f.field) {
            Some(o) => {
                o.ru = format!("{}; {}", o.ru, f.ru);
                o.en = format!("{}; {}", o.en, f.en);
            }
            None => out.push(f),
        }
    }
    out
}

/// A business refusal a form shows as its own error rather than an error page: out of stock,
/// a closed period, a wrong state, a product with movements, a rule of the domain.
pub fn is_refusal(e: &Error) -> bool {
    matches!(
        e,
        Error::OutOfStock(_) | Error::PeriodClosed { .. } | Error::WrongState { .. } | Error::HasMovements { .. } | Error::Refused { .. }
    )
}

/// What a form shows for a refused write: field messages (422; those of fields the form does
/// not show become its general error), or a business refusal as the form's own error (409).
/// Anything else goes on to the error page or flash.
pub fn refused(e: Error, lang: Lang, shown: &[&str]) -> Result<(StatusCode, Errors)> {
    match e {
        Error::Validation(list) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Errors::new(&merged(list), lang, shown))),
        e if is_refusal(&e) => Ok((StatusCode::CONFLICT, Errors::form(e.message(lang)))),
        other => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stock_flash_has_a_string_in_both_languages() {
        for key in STOCK_FLASHES {
            for lang in [Lang::Ru, Lang::En] {
                assert_ne!(flash_text(lang, key), format!("flash.{key}"), "missing flash.{key}");
            }
        }
    }

    #[test]
    fn messages_for_one_field_are_joined() {
        let list = vec![
            FieldError::new("barcodes", "a", "один", "one"),
            FieldError::new("name", "b", "имя", "name"),
            FieldError::new("barcodes", "c", "два", "two"),
        ];
        let out = merged(list);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].ru.as_str(), out[0].en.as_str()), ("один; два", "one; two"));
    }

    #[test]
    fn refusals_are_the_form_s_own_error_and_field_messages_stay_with_their_field() {
        let (status, errs) = refused(Error::HasMovements { name: "Молоко".into() }, Lang::En, &[]).expect("a refusal");
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(errs.general.len(), 1);
        let (status, errs) =
            refused(Error::Validation(vec![FieldError::new("name", "x", "имя", "name")]), Lang::En, &["name"]).expect("fields");
        assert_eq!((status, errs.msg("name")), (StatusCode::UNPROCESSABLE_ENTITY, "name"));
        assert!(refused(Error::NotFound, Lang::En, &[]).is_err());
    }
}
