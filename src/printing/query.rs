//! Printing queries the sale card and the API share: the receipt preview as plain lines, the
//! same layout the printer gets.

use super::escpos::{Align, Block};
use crate::error::Result;
use crate::ids::SaleId;
use crate::storage::ReadTx;
use crate::tenancy::actor::Actor;

/// One line of a receipt preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLine {
    /// "text", "qr" or "feed".
    pub kind: &'static str,
    /// The text, the QR payload, or the number of lines fed.
    pub text: String,
    /// "left", "center" or "right".
    pub align: &'static str,
    pub bold: bool,
    pub big: bool,
}

/// The sale's receipt as preview lines ([`super::preview`]).
pub fn preview_lines(tx: &ReadTx, actor: &Actor, sale: SaleId) -> Result<Vec<PreviewLine>> {
    Ok(super::preview(tx, actor, sale)?.blocks.into_iter().map(preview_line).collect())
}

fn preview_line(b: Block) -> PreviewLine {
    let align = |a: Align| match a {
        Align::Left => "left",
        Align::Center => "center",
        Align::Right => "right",
    };
    match b {
        Block::Line { text, align: a, bold, big } => PreviewLine { kind: "text", text, align: align(a), bold, big },
        Block::Qr(text) => PreviewLine { kind: "qr", text, align: "center", bold: false, big: false },
        Block::Barcode(text) => PreviewLine { kind: "barcode", text, align: "center", bold: false, big: false },
        Block::Feed(n) => PreviewLine { kind: "feed", text: n.to_string(), align: "left", bold: false, big: false },
    }
}
