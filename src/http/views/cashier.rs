//! What the till, the shift pages and the sale card share (a leaf: no page routes through it):
//! their flash allow-list, how a refused cashier action reads, payment method labels, form
//! keys for idempotent posts, quantities as the receipt prints them, and printer states.

use axum::http::Uri;
use rust_decimal::Decimal;

use super::fmt::qty;
use super::{Errors, Fields, Shell, Ui, flash_text};
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::CashBoxId;

const FLASHES: &[&str] = &["shift_opened", "sold", "returned", "shift_closed", "flow_saved", "cash_box_saved", "reprinted"];

pub fn flash(shell: &mut Shell, lang: Lang, uri: &Uri) {
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if let Some(key) = FLASHES.iter().find(|k| **k == ok) {
        shell.flash = Some(flash_text(lang, &format!("pos_{key}")));
    }
}

/// What a rejected till form shows: field messages and business refusals in one list.
pub fn problem(e: Error, lang: Lang) -> Result<Errors> {
    match e {
        Error::Validation(list) => Ok(Errors::new(&list, lang, &[])),
        e @ (Error::OutOfStock(_) | Error::PeriodClosed { .. } | Error::Refused { .. } | Error::WrongState { .. }) => {
            Ok(Errors::form(e.message(lang)))
        }
        other => Err(other),
    }
}

pub fn method_label(lang: Lang, code: &str) -> String {
    match code {
        "cash" | "card" | "transfer" | "debt" => lang.t(&format!("pos.method_{code}")).to_string(),
        other => other.strip_prefix("wallet:").unwrap_or(other).to_string(),
    }
}

pub fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// A line's quantity as the till and the receipt show it: weighed goods (kg) to the gram.
pub fn line_qty(q: Decimal, unit: &str) -> String {
    if unit == "kg" { format!("{:.3}", q.round_dp(3)) } else { qty(q) }
}

/// (name, status code, status words) of the active printers of a cash box.
pub fn printer_states(tx: &crate::storage::ReadTx, ui: &Ui, b: CashBoxId) -> Result<Vec<(String, String, String)>> {
    Ok(crate::printing::for_cash_box(tx, ui.actor().company, b)?
        .into_iter()
        .map(|(p, s)| {
            let code = s.map(|s| s.health.code());
            (p.name, code.unwrap_or("none").to_string(), super::printing::status_label(ui.lang, code))
        })
        .collect())
}
