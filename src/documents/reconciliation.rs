//! The reconciliation act (акт сверки взаимных расчётов) as a document: one builder for the
//! client statement and the supplier act, which differ only in title, the party's tax-id label
//! and which side a positive balance stands on. Amounts arrive as numbers with the caller's
//! formatter, so the document shows them exactly as the pages do.

use rust_decimal::Decimal;

use super::{Align, Block, Column, CompanyHeader, Document, PAGE_RU, Row, Table};

/// One movement: date, document, debit, credit.
#[derive(Debug, Clone)]
pub struct Movement {
    pub date: String,
    pub document: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

/// Everything an act shows.
pub struct Reconciliation<'a> {
    pub header: CompanyHeader,
    pub title: &'a str,
    pub company: &'a str,
    pub party: &'a str,
    /// "ИНН контрагента" / "ИНН поставщика" and the party's tax id (left out when empty).
    pub party_inn: (&'a str, &'a str),
    pub currency: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    /// A positive balance means the company owes the party (a supplier's payable, in the
    /// credit column); otherwise the party owes the company (a client's debt, in the debit
    /// column).
    pub company_owes: bool,
    pub opening: Decimal,
    pub rows: &'a [Movement],
    pub debit: Decimal,
    pub credit: Decimal,
    pub closing: Decimal,
    /// Formats an amount cell (the caller's `money::display`).
    pub amount: &'a dyn Fn(Decimal) -> String,
    /// The closing balance's magnitude with its currency, for the closing sentence.
    pub owed: String,
}

/// Header, title, period and parties, one table (opening balance, every movement, turnovers,
/// closing balance), the closing sentence, two signature lines.
pub fn reconciliation(r: &Reconciliation) -> Document {
    let cell = |d: Decimal| if d.is_zero() { String::new() } else { (r.amount)(d) };
    // A balance split into its debit and credit cells.
    let balance = |d: Decimal| {
        let (debit, credit) = if (d >= Decimal::ZERO) == r.company_owes { (Decimal::ZERO, d.abs()) } else { (d.abs(), Decimal::ZERO) };
        (cell(debit), cell(credit))
    };
    let mut subtitle = vec![format!("за период с {} по {}", r.from, r.to), format!("между {} и {}", r.company, r.party)];
    if !r.party_inn.1.is_empty() {
        subtitle.push(format!("{}: {}", r.party_inn.0, r.party_inn.1));
    }
    subtitle.push(format!("Валюта: {}", r.currency));
    let column = |title: &str, width: f32, align: Align| Column { title: title.into(), width, align };
    let (od, oc) = balance(r.opening);
    let mut rows = vec![Row::body(vec![r.from.to_string(), "Сальдо на начало периода".into(), od, oc])];
    for m in r.rows {
        rows.push(Row::body(vec![m.date.clone(), m.document.clone(), cell(m.debit), cell(m.credit)]));
    }
    rows.push(Row::total(vec![String::new(), "Обороты за период".into(), cell(r.debit), cell(r.credit)]));
    let (cd, cc) = balance(r.closing);
    rows.push(Row::total(vec![r.to.to_string(), "Сальдо на конец периода".into(), cd, cc]));
    let (debtor, creditor) = if (r.closing > Decimal::ZERO) == r.company_owes { (r.company, r.party) } else { (r.party, r.company) };
    let sentence = if r.closing.is_zero() {
        format!("На {} задолженности нет.", r.to)
    } else {
        format!("На {} задолженность {debtor} перед {creditor}: {}", r.to, r.owed)
    };
    Document {
        header: r.header.clone(),
        title: r.title.into(),
        subtitle,
        blocks: vec![
            Block::Table(Table {
                columns: vec![
                    column("Дата", 14.0, Align::Left),
                    column("Документ", 50.0, Align::Left),
                    column("Дебет", 18.0, Align::Right),
                    column("Кредит", 18.0, Align::Right),
                ],
                rows,
            }),
            Block::Paragraph { text: sentence, bold: false },
            Block::Space(12.0),
            Block::Signatures(vec![r.company.to_string(), r.party.to_string()]),
        ],
        page_label: PAGE_RU.into(),
        metadata_title: format!("Акт сверки: {}", r.party),
    }
}
