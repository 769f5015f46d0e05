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
use crate::documents::reconciliation::{Movement, Reconciliation};
use crate::documents::{self, CompanyHeader};
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

/// The act as a document: the shared reconciliation act, a positive balance being the
/// company's payable (the credit column).
pub fn document(a: &Act) -> documents::Document {
    let rows: Vec<Movement> =
        a.rows.iter().map(|r| Movement { date: r.date.clone(), document: r.document.clone(), debit: r.debit, credit: r.credit }).collect();
    documents::reconciliation::reconciliation(&Reconciliation {
        header: a.header.clone(),
        title: "АКТ СВЕРКИ ВЗАИМНЫХ РАСЧЁТОВ С ПОСТАВЩИКОМ",
        company: &a.company,
        party: &a.supplier.name,
        party_inn: ("ИНН поставщика", &a.supplier.legal.inn),
        currency: a.currency,
        from: &a.from,
        to: &a.to,
        company_owes: true,
        opening: a.opening,
        rows: &rows,
        debit: a.debit,
        credit: a.credit,
        closing: a.closing,
        amount: &|d| display::amount(Lang::Ru, d),
        owed: display::money(Lang::Ru, a.closing.abs(), a.currency_unit),
    })
}

/// The act as an A4 PDF.
pub fn pdf(a: &Act) -> Result<Vec<u8>> {
    documents::render(&document(a)).map_err(|e| Error::Internal(e.to_string()))
}
