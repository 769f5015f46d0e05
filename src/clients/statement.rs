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
use crate::documents::reconciliation::{Movement, Reconciliation};
use crate::documents::{self, CompanyHeader, ImageKind, Logo};
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

/// The statement as a document: the shared reconciliation act, a positive balance being the
/// client's debt (the debit column).
pub fn document(s: &Statement) -> documents::Document {
    let rows: Vec<Movement> =
        s.rows.iter().map(|r| Movement { date: r.date.clone(), document: r.document.clone(), debit: r.debit, credit: r.credit }).collect();
    documents::reconciliation::reconciliation(&Reconciliation {
        header: s.header.clone(),
        title: "АКТ СВЕРКИ ВЗАИМНЫХ РАСЧЁТОВ",
        company: &s.company,
        party: &s.client.name,
        party_inn: ("ИНН контрагента", &s.client.legal.inn),
        currency: s.currency,
        from: &s.from,
        to: &s.to,
        company_owes: false,
        opening: s.opening,
        rows: &rows,
        debit: s.debit,
        credit: s.credit,
        closing: s.closing,
        amount: &|d| display::amount(Lang::Ru, d),
        owed: display::money(Lang::Ru, s.closing.abs(), s.currency_unit),
    })
}

/// The statement as an A4 PDF.
pub fn pdf(s: &Statement) -> Result<Vec<u8>> {
    documents::render(&document(s)).map_err(|e| Error::Internal(e.to_string()))
}
