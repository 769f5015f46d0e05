//! The supplier reconciliation act (акт сверки) for a period, from the company's side: the
//! opening payable, every purchase on credit (credit: the company's debt grows), payment,
//! prepayment, return and cancel (debit), turnovers and the closing payable; as data for JSON
//! and as a PDF drawn by `crate::documents` with the same header and look as the client
//! statement.

use rust_decimal::Decimal;

use super::model::PayableKind;
use super::{require_read, store, supplier};
use crate::clients::model::Client;
use crate::clients::statement::company_header;
use crate::clock::Ts;
use crate::country::Currency;
use crate::documents::{self, Align, Block, Column, CompanyHeader, Row, Table};
use crate::error::{Error, FieldError, Problems, Result};
use crate::i18n::Lang;
use crate::ids::ClientId;
use crate::money::{display, round_money};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

#[derive(Debug, Clone)]
pub struct ActRow {
    pub at: Ts,
    pub date: String,
    pub document: String,
    /// What reduced the payable (payments, returns, cancels).
    pub debit: Decimal,
    /// What grew it (purchases on credit, reversed payments).
    pub credit: Decimal,
}

#[derive(Debug, Clone)]
pub struct Act {
    pub company: String,
    pub supplier: Client,
    pub from: String,
    pub to: String,
    pub currency: &'static str,
    pub currency_unit: Currency,
    pub header: CompanyHeader,
    /// Payable at the start of the period: positive = the company owes the supplier.
    pub opening: Decimal,
    pub rows: Vec<ActRow>,
    pub debit: Decimal,
    pub credit: Decimal,
    pub closing: Decimal,
}

fn parse_date(field: &str, raw: &str) -> std::result::Result<String, FieldError> {
    jiff::civil::Date::strptime("%Y-%m-%d", raw.trim())
        .map(|d| d.to_string())
        .map_err(|_| FieldError::new(field, "date", "Дата в виде ГГГГ-ММ-ДД", "A date as YYYY-MM-DD"))
}

/// The act for `from..=to` ("YYYY-MM-DD" in the company's zone; empty = since the supplier
/// was created / until today).
pub fn build(tx: &impl Read, actor: &Actor, now: Ts, id: ClientId, from: &str, to: &str) -> Result<Act> {
    require_read(actor)?;
    let c = actor.company;
    let sup = supplier(tx, c, id)?.ok_or(Error::NotFound)?;
    let company = tx.get(crate::tenancy::store::COMPANIES, c.0)?.ok_or(Error::NotFound)?;
    let tz = company.timezone.clone();
    let mut p = Problems::default();
    let from = if from.trim().is_empty() { Some(sup.created.date_local(&tz)) } else { p.take(parse_date("from", from)) };
    let to = if to.trim().is_empty() { Some(now.date_local(&tz)) } else { p.take(parse_date("to", to)) };
    if let (Some(f), Some(t)) = (&from, &to)
        && f > t
    {
        p.push(FieldError::new("to", "period", "Конец периода раньше начала", "The period ends before it starts"));
    }
    p.finish()?;
    let (from, to) = (from.unwrap_or_default(), to.unwrap_or_default());
    let start = Ts::parse_date(&from, &tz).ok_or_else(|| Error::Internal("period start".into()))?;
    let end = Ts::parse_date(&to, &tz).ok_or_else(|| Error::Internal("period end".into()))?.plus_days(1);
    let (mut opening, mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    let mut rows = Vec::new();
    for (_, e) in store::ledger(tx, c, id)? {
        let document = match e.kind {
            PayableKind::Purchase => format!("Закупка {}", e.note),
            PayableKind::Payment => "Оплата поставщику".to_string(),
            PayableKind::Prepayment => "Предоплата поставщику".to_string(),
            PayableKind::Return => format!("Возврат по закупке {}", e.note),
            PayableKind::Cancel => format!("Отмена закупки {}", e.note),
            PayableKind::PaymentReversed => "Отмена оплаты".to_string(),
        };
        let (d, cr) = if e.amount >= Decimal::ZERO { (Decimal::ZERO, e.amount) } else { (-e.amount, Decimal::ZERO) };
        if e.at < start {
            opening += cr - d;
        } else if e.at < end {
            debit += d;
            credit += cr;
            rows.push(ActRow { at: e.at, date: e.at.date_local(&tz), document, debit: round_money(d), credit: round_money(cr) });
        }
    }
    Ok(Act {
        company: company.name.clone(),
        supplier: sup,
        from,
        to,
        currency: company.country.currency().code(),
        currency_unit: company.country.currency(),
        header: company_header(&company),
        opening: round_money(opening),
        debit: round_money(debit),
        credit: round_money(credit),
        closing: round_money(opening + credit - debit),
        rows,
    })
}

/// An amount cell: empty for zero, as the paper form leaves it.
fn cell(d: Decimal) -> String {
    if d.is_zero() { String::new() } else { display::amount(Lang::Ru, d) }
}

/// A payable split into its debit and credit cells (owed by the company = credit).
fn balance(d: Decimal) -> (String, String) {
    if d >= Decimal::ZERO { (String::new(), cell(d)) } else { (cell(-d), String::new()) }
}

/// The act as a document: header, title, period and parties, one table (opening balance,
/// every movement, turnovers, closing balance), the closing sentence, two signature lines.
pub fn document(a: &Act) -> documents::Document {
    let mut subtitle = vec![format!("за период с {} по {}", a.from, a.to), format!("между {} и {}", a.company, a.supplier.name)];
    if !a.supplier.legal.inn.is_empty() {
        subtitle.push(format!("ИНН поставщика: {}", a.supplier.legal.inn));
    }
    subtitle.push(format!("Валюта: {}", a.currency));
    let column = |title: &str, width: f32, align: Align| Column { title: title.into(), width, align };
    let (od, oc) = balance(a.opening);
    let mut rows = vec![Row::body(vec![a.from.clone(), "Сальдо на начало периода".into(), od, oc])];
    for r in &a.rows {
        rows.push(Row::body(vec![r.date.clone(), r.document.clone(), cell(r.debit), cell(r.credit)]));
    }
    rows.push(Row::total(vec![String::new(), "Обороты за период".into(), cell(a.debit), cell(a.credit)]));
    let (cd, cc) = balance(a.closing);
    rows.push(Row::total(vec![a.to.clone(), "Сальдо на конец периода".into(), cd, cc]));
    let owed = display::money(Lang::Ru, a.closing.abs(), a.currency_unit);
    let sentence = if a.closing > Decimal::ZERO {
        format!("На {} задолженность {} перед {}: {owed}", a.to, a.company, a.supplier.name)
    } else if a.closing < Decimal::ZERO {
        format!("На {} задолженность {} перед {}: {owed}", a.to, a.supplier.name, a.company)
    } else {
        format!("На {} задолженности нет.", a.to)
    };
    documents::Document {
        header: a.header.clone(),
        title: "АКТ СВЕРКИ ВЗАИМНЫХ РАСЧЁТОВ С ПОСТАВЩИКОМ".into(),
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
            Block::Signatures(vec![a.company.clone(), a.supplier.name.clone()]),
        ],
        page_label: documents::PAGE_RU.into(),
        metadata_title: format!("Акт сверки: {}", a.supplier.name),
    }
}

/// The act as an A4 PDF.
pub fn pdf(a: &Act) -> Result<Vec<u8>> {
    documents::render(&document(a)).map_err(|e| Error::Internal(e.to_string()))
}
