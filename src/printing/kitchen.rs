//! Kitchen and bar printers (issue 15, for the cafe to come): a printer bound to a station
//! ("kitchen", "bar", …) receives order tickets — items, quantities, notes, the table or order
//! number and the time — through the same per-printer queue as receipts.
//!
//! Invariants:
//! - [`send_ticket`] writes its jobs (and their outbox rows) in the caller's transaction, so a
//!   ticket is queued exactly when the order that made it commits;
//! - a printer has at most one station; a label printer is never a station's printer.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::escpos::{Align, Block, Doc};
use super::store::{LABEL_SETUPS, PRINTERS, STATIONS};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{CompanyId, PrinterId};
use crate::storage::{Read, Record, WriteTx};
use crate::tenancy::actor::Actor;

/// The station a printer serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Station {
    /// Lower-case letters, digits, `_` and `-`: "kitchen", "bar", "grill".
    pub code: String,
}

impl Record for Station {
    const TYPE: &'static str = "station.v1";
}

/// A station code as typed, or `None` when it is not one.
pub fn parse_station(raw: &str) -> Option<String> {
    let s = raw.trim().to_lowercase();
    let ok = !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    ok.then_some(s)
}

/// One line of an order ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketItem {
    pub name: String,
    pub qty: Decimal,
    /// "без лука"; empty when none.
    pub note: String,
}

/// An order ticket as the caller (the cafe) builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// The order number ("З-000012").
    pub order: String,
    /// The table, or empty for a takeaway.
    pub table: String,
    pub items: Vec<TicketItem>,
    /// A note for the whole order.
    pub note: String,
    pub at: Ts,
}

/// Binds a printer to a station, or unbinds it (`station` empty).
pub fn bind_station(tx: &mut WriteTx, actor: &Actor, now: Ts, printer: PrinterId, station: &str) -> Result<Option<String>> {
    super::manager(actor)?;
    let c = actor.company;
    let p = tx.get(PRINTERS, (c.0, printer.0))?.ok_or(Error::NotFound)?;
    let code = match station.trim() {
        "" => None,
        raw => Some(parse_station(raw).ok_or_else(|| {
            Error::field(
                "station",
                "station",
                "Станция: латинские буквы, цифры, _ или -, например kitchen",
                "Station: letters, digits, _ or -, e.g. kitchen",
            )
        })?),
    };
    match &code {
        Some(code) => {
            if tx.get(LABEL_SETUPS, (c, printer))?.is_some() {
                return Err(Error::refused(
                    "station_label_printer",
                    "Принтер этикеток не печатает заказы",
                    "A label printer does not print orders",
                ));
            }
            tx.insert(STATIONS, (c, printer), &Station { code: code.clone() })?;
        }
        None => {
            tx.remove(STATIONS, (c, printer))?;
        }
    }
    audit::record(
        tx,
        c,
        actor,
        now,
        "printer.station",
        format!("printer:{printer}"),
        format!("{} → {}", p.name, code.clone().unwrap_or_default()),
    )?;
    Ok(code)
}

pub fn station(tx: &impl Read, c: CompanyId, printer: PrinterId) -> Result<Option<String>> {
    Ok(tx.get(STATIONS, (c, printer))?.map(|s| s.code))
}

/// The ESC/POS document of a ticket: the station in large letters, order, table and time,
/// each item with its quantity and note, a cut.
pub fn doc(station: &str, t: &Ticket, tz: &str, chars: usize) -> Doc {
    let mut doc = Doc::default();
    let big = |text: String| Block::Line { text, align: Align::Center, bold: true, big: true };
    doc.blocks.push(big(station.to_uppercase()));
    let mut head = format!("Заказ {}", t.order);
    if !t.table.is_empty() {
        head.push_str(&format!(" · Стол {}", t.table));
    }
    doc.blocks.push(Block::Line { text: head, align: Align::Left, bold: true, big: false });
    doc.line(t.at.format_local(tz), Align::Left);
    doc.line("-".repeat(chars), Align::Left);
    for item in &t.items {
        let qty = item.qty.normalize();
        let text: String = format!("{qty} x {}", item.name).chars().take(chars / 2).collect();
        doc.blocks.push(Block::Line { text, align: Align::Left, bold: true, big: true });
        if !item.note.is_empty() {
            doc.line(format!("  ! {}", item.note).chars().take(chars).collect::<String>(), Align::Left);
        }
    }
    if !t.note.is_empty() {
        doc.line("-".repeat(chars), Align::Left);
        doc.line(t.note.chars().take(chars).collect::<String>(), Align::Left);
    }
    doc.blocks.push(Block::Feed(2));
    doc.cut = true;
    doc
}

/// Queues `ticket` on every active printer of `station`, in the caller's transaction (one
/// job and its outbox `Print` row per printer). Returns how many printers got it; none is not
/// an error here — the caller decides whether an order may go without a ticket.
pub fn send_ticket(tx: &mut WriteTx, company: CompanyId, station: &str, ticket: &Ticket) -> Result<usize> {
    let Some(station) = parse_station(station) else {
        return Ok(0);
    };
    let tz = crate::tenancy::timezone(tx, company)?;
    let mut sent = 0;
    for (_, p) in tx.list(PRINTERS, (company.0, 0), (company.0, u64::MAX), usize::MAX)? {
        let bound = tx.get(STATIONS, (company, p.id))?.is_some_and(|s| s.code == station);
        if !p.active || !bound {
            continue;
        }
        let bytes = super::escpos::encode(&doc(&station, ticket, &tz, p.profile.width.chars()), &p.profile);
        super::enqueue(tx, company, p.id, format!("Заказ {} · {station}", ticket.order), bytes, ticket.at)?;
        sent += 1;
    }
    Ok(sent)
}

/// A sample ticket on a printer's station (the setup page's "test ticket"), through
/// [`send_ticket`] like any order's.
pub fn test_ticket(tx: &mut WriteTx, actor: &Actor, now: Ts, printer: PrinterId) -> Result<usize> {
    super::manager(actor)?;
    let c = actor.company;
    tx.get(PRINTERS, (c.0, printer.0))?.ok_or(Error::NotFound)?;
    let station = tx
        .get(STATIONS, (c, printer))?
        .ok_or_else(|| Error::refused("no_station", "Принтер не привязан к станции", "The printer is not bound to a station"))?;
    let ticket = Ticket {
        order: "ТЕСТ".into(),
        table: "1".into(),
        items: vec![
            TicketItem { name: "Плов".into(), qty: Decimal::TWO, note: "без лука".into() },
            TicketItem { name: "Чай көк".into(), qty: Decimal::ONE, note: String::new() },
        ],
        note: "Тестовый заказ".into(),
        at: now,
    };
    let n = send_ticket(tx, c, &station.code, &ticket)?;
    audit::record(tx, c, actor, now, "printer.test_ticket", format!("printer:{printer}"), station.code)?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::printing::codepage::CodePage;
    use crate::printing::escpos::{self, Model, Op, Profile, Width};

    #[test]
    fn a_ticket_prints_station_order_table_items_and_notes() {
        let t = Ticket {
            order: "З-000012".into(),
            table: "5".into(),
            items: vec![TicketItem { name: "Лагман".into(), qty: Decimal::new(20, 1), note: "острый".into() }],
            note: "Быстрее".into(),
            at: Ts(0),
        };
        let p = Profile { model: Model::Epson, code_page: CodePage::Kz1048, table: 53, width: Width::Mm80, cancel_kanji: false };
        let ops = escpos::decode(&escpos::encode(&doc("kitchen", &t, "Asia/Bishkek", 48), &p), &|n| (n == 53).then_some(CodePage::Kz1048));
        let text = escpos::text_of(&ops);
        for want in ["KITCHEN", "Заказ З-000012 · Стол 5", "1970-01-01 06:00", "2 x Лагман", "  ! острый", "Быстрее"]
        {
            assert!(text.contains(want), "{want:?} missing from\n{text}");
        }
        assert!(ops.contains(&Op::Cut));
        assert_eq!(parse_station(" Bar "), Some("bar".into()));
        assert_eq!(parse_station("a b"), None);
    }
}
