//! The reconciliation statement (акт сверки) of a client for a period: opening balance, every
//! debit (sales on credit, debts written by hand, installment debts, refunded installments) and
//! credit (repayments, returns to the debt, installments paid), turnovers and the closing
//! balance; as data for JSON and as a PDF drawn by `crate::documents` under the company's
//! header (name, legal details, logo).

use rust_decimal::Decimal;

use super::deals::{client_deals, parse_date};
use super::model::{Client, DealKind, DealPaymentKind, DebtKind};
use super::{ledger, read_client};
use crate::clock::Ts;
use crate::country::Currency;
use crate::documents::{self, Align, Block, Column, CompanyHeader, ImageKind, Logo, Row, Table};
use crate::error::{Error, FieldError, Problems, Result};
use crate::i18n::Lang;
use crate::ids::ClientId;
use crate::money::{display, round_money};
use crate::storage::ReadTx;
use crate::tenancy::actor::Actor;

#[derive(Debug, Clone)]
pub struct StatementRow {
    pub at: Ts,
    pub date: String,
    pub document: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub company: String,
    pub client: Client,
    pub from: String,
    pub to: String,
    pub currency: &'static str,
    /// The same currency, for amounts written for people.
    pub currency_unit: Currency,
    /// The company as the document's header shows it.
    pub header: CompanyHeader,
    pub opening: Decimal,
    pub rows: Vec<StatementRow>,
    pub debit: Decimal,
    pub credit: Decimal,
    pub closing: Decimal,
}

/// Every movement of the client's account, in time order: (instant, document, debit, credit).
fn movements(tx: &ReadTx, actor: &Actor, id: ClientId) -> Result<Vec<(Ts, String, Decimal, Decimal)>> {
    let c = actor.company;
    let mut out = Vec::new();
    for (_, e) in ledger(tx, c, id)? {
        let doc = match e.kind {
            DebtKind::Sale => format!("Продажа в долг {}", e.note),
            DebtKind::Manual => format!("Долг: {}", e.note),
            DebtKind::Payment => format!("Оплата долга ({})", e.method),
            DebtKind::Reversal => format!("Возврат в счёт долга {}", e.note),
        };
        let (debit, credit) = if e.amount >= Decimal::ZERO { (e.amount, Decimal::ZERO) } else { (Decimal::ZERO, -e.amount) };
        out.push((e.at, doc, debit, credit));
    }
    for d in client_deals(tx, c, id)? {
        if d.kind != DealKind::Debt {
            continue;
        }
        out.push((d.created, format!("Рассрочка №{} {}", d.id, d.title), d.debt(), Decimal::ZERO));
        for p in &d.payments {
            match p.kind {
                DealPaymentKind::Pay => {
                    out.push((p.at, format!("Взнос №{} по рассрочке №{}", p.installment, d.id), Decimal::ZERO, p.amount))
                }
                DealPaymentKind::Refund => {
                    out.push((p.at, format!("Возврат взноса №{} по рассрочке №{}", p.installment, d.id), p.amount, Decimal::ZERO))
                }
            }
        }
    }
    out.sort_by_key(|m| m.0);
    Ok(out)
}

/// The statement for `from..=to` ("YYYY-MM-DD" in the company's zone; empty = since the
/// client was created / until today).
pub fn build(tx: &ReadTx, actor: &Actor, now: Ts, id: ClientId, from: &str, to: &str) -> Result<Statement> {
    super::require_read(actor)?;
    let client = read_client(tx, actor, id)?;
    let company = tx.get(crate::tenancy::store::COMPANIES, actor.company.0)?.ok_or(Error::NotFound)?;
    let tz = company.timezone.clone();
    let mut p = Problems::default();
    let from =
        if from.trim().is_empty() { Some(client.created.date_local(&tz)) } else { p.take(parse_date("from", from)).map(|d| d.to_string()) };
    let to = if to.trim().is_empty() { Some(now.date_local(&tz)) } else { p.take(parse_date("to", to)).map(|d| d.to_string()) };
    if let (Some(f), Some(t)) = (&from, &to)
        && f > t
    {
        p.push(FieldError::new("to", "period", "Конец периода раньше начала", "The period ends before it starts"));
    }
    p.finish()?;
    let (from, to) = (from.unwrap_or_default(), to.unwrap_or_default());
    let start = Ts::parse_date(&from, &tz).ok_or_else(|| Error::Internal("period start".into()))?;
    let end = Ts::parse_date(&to, &tz).ok_or_else(|| Error::Internal("period end".into()))?.plus_days(1);
    let mut opening = Decimal::ZERO;
    let mut rows = Vec::new();
    let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
    for (at, document, d, cr) in movements(tx, actor, id)? {
        if at < start {
            opening += d - cr;
        } else if at < end {
            debit += d;
            credit += cr;
            rows.push(StatementRow { at, date: at.date_local(&tz), document, debit: round_money(d), credit: round_money(cr) });
        }
    }
    let closing = round_money(opening + debit - credit);
    let header = company_header(&company);
    Ok(Statement {
        company: company.name,
        client,
        from,
        to,
        currency: company.country.currency().code(),
        currency_unit: company.country.currency(),
        header,
        opening: round_money(opening),
        rows,
        debit: round_money(debit),
        credit: round_money(credit),
        closing,
    })
}

/// The company's name, legal details and logo as a document header; empty details are left
/// out, and a logo a PDF cannot carry (SVG) is not drawn.
pub fn company_header(c: &crate::tenancy::model::Company) -> CompanyHeader {
    let l = &c.legal;
    let labelled = |label: &str, value: &str| if value.trim().is_empty() { String::new() } else { format!("{label} {value}") };
    let bank = [labelled("Р/с", &l.bank_account), labelled("в", &l.bank_name), labelled("БИК", &l.bik)]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let phones = c.phones.iter().filter(|p| !p.trim().is_empty()).cloned().collect::<Vec<_>>().join(", ");
    CompanyHeader {
        name: c.name.clone(),
        details: vec![
            [labelled("ИНН", &l.inn), labelled("ОКПО", &l.okpo)].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(", "),
            l.address.clone(),
            labelled("Тел.:", &phones),
            bank,
        ],
        logo: c.logo.as_ref().and_then(|logo| ImageKind::from_mime(&logo.mime).map(|kind| Logo { kind, bytes: logo.bytes.clone() })),
    }
}

// ---- PDF ----

/// An amount cell: empty for zero, as the paper form leaves it.
fn cell(d: Decimal) -> String {
    if d.is_zero() { String::new() } else { display::amount(Lang::Ru, d) }
}

/// A balance split into its debit and credit cells.
fn balance(d: Decimal) -> (String, String) {
    if d >= Decimal::ZERO { (cell(d), String::new()) } else { (String::new(), cell(-d)) }
}

/// The statement as a document: header, title, the period and parties, one table (opening
/// balance, every movement, turnovers, closing balance), the closing sentence and the two
/// signature lines.
pub fn document(s: &Statement) -> documents::Document {
    let mut subtitle = vec![format!("за период с {} по {}", s.from, s.to), format!("между {} и {}", s.company, s.client.name)];
    if !s.client.legal.inn.is_empty() {
        subtitle.push(format!("ИНН контрагента: {}", s.client.legal.inn));
    }
    subtitle.push(format!("Валюта: {}", s.currency));
    let column = |title: &str, width: f32, align: Align| Column { title: title.into(), width, align };
    let (od, oc) = balance(s.opening);
    let mut rows = vec![Row::body(vec![s.from.clone(), "Сальдо на начало периода".into(), od, oc])];
    for r in &s.rows {
        rows.push(Row::body(vec![r.date.clone(), r.document.clone(), cell(r.debit), cell(r.credit)]));
    }
    rows.push(Row::total(vec![String::new(), "Обороты за период".into(), cell(s.debit), cell(s.credit)]));
    let (cd, cc) = balance(s.closing);
    rows.push(Row::total(vec![s.to.clone(), "Сальдо на конец периода".into(), cd, cc]));
    let owed = display::money(Lang::Ru, s.closing.abs(), s.currency_unit);
    let sentence = if s.closing > Decimal::ZERO {
        format!("На {} задолженность {} перед {}: {owed}", s.to, s.client.name, s.company)
    } else if s.closing < Decimal::ZERO {
        format!("На {} задолженность {} перед {}: {owed}", s.to, s.company, s.client.name)
    } else {
        format!("На {} задолженности нет.", s.to)
    };
    documents::Document {
        header: s.header.clone(),
        title: "АКТ СВЕРКИ ВЗАИМНЫХ РАСЧЁТОВ".into(),
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
            Block::Signatures(vec![s.company.clone(), s.client.name.clone()]),
        ],
        page_label: documents::PAGE_RU.into(),
        metadata_title: format!("Акт сверки: {}", s.client.name),
    }
}

/// The statement as an A4 PDF.
pub fn pdf(s: &Statement) -> Result<Vec<u8>> {
    documents::render(&document(s)).map_err(|e| Error::Internal(e.to_string()))
}
