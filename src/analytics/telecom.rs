//! The telecom desk's dashboard and report (spec B8, issue 13): counts of subscribers, SIMs and
//! contracts by status; per month of the period the money in (payments − refunds), the fees
//! and usage charged, new subscribers and contracts, terminations, ARPU and churn; subscribers
//! per tariff; the top payers. One shape (`analytics::tab` figures and tables) serves the JSON
//! API, the page and the CSV/XLSX exports, so they never disagree on a number.
//!
//! Cost, per request, all in one read transaction of the company's own key ranges:
//! SIM and contract counts walk the status indexes (keys only, O(SIMs + contracts));
//! subscribers are one pass over their records (O(subscribers): about a second at a million),
//! contracts one pass (O(contracts)), the ledger one pass over the rows (O(ledger rows));
//! nothing outside the company is read. Tickets are one pass over the company's tickets
//! (O(tickets)): open, overdue (open past their SLA due time now), opened and resolved in the
//! period (created / `resolved_at` on a local date within it), and a table by status.
//!
//! Definitions: *revenue* = payments − refunds dated in the month; *charged* = fees and usage
//! charges (the ledger's `charge` rows) dated in the month; *ARPU* = charged ÷ contracts live
//! in the month (activated on or before its last day, not terminated before its first);
//! *churn* = contracts terminated in the month ÷ contracts live at its start, in percent.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tab::{Cell, Chart, Figure, Table, fig, sort_desc};
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{ContractId, SimId, SubscriberId, TicketId};
use crate::storage::Read;
use crate::telecom::model::{ContractStatus, EntryKind, SimStatus, SubscriberStatus, TicketStatus};
use crate::telecom::store::{CONTRACT_STATUS, CONTRACTS, LEDGER, SIM_STATUS, SUBSCRIBERS, TARIFFS, TICKETS};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// Longest period: 24 months.
pub const MAX_DAYS: i32 = 731;
/// Rows of the top payers table.
pub const TOP: usize = 20;

/// The report over `from..=to` (local dates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelecomReport {
    pub from: String,
    pub to: String,
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
}

impl TelecomReport {
    pub fn figure(&self, key: &str) -> Option<&Cell> {
        self.figures.iter().find(|f| f.key == key).map(|f| &f.value)
    }

    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }
}

fn date(raw: &str, field: &str) -> Result<Option<jiff::civil::Date>> {
    match raw.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| Error::field(field, "date", "Дата в формате ГГГГ-ММ-ДД", "Date as YYYY-MM-DD")),
    }
}

/// The period: `to` (default today), `from` (default the first day of the month eleven months
/// before `to`'s, so twelve whole months show).
pub fn period(today: &str, from: &str, to: &str) -> Result<(jiff::civil::Date, jiff::civil::Date)> {
    let today: jiff::civil::Date = today.parse().map_err(|e| Error::Internal(format!("today {today}: {e}")))?;
    let to = date(to, "to")?.unwrap_or(today);
    let from = match date(from, "from")? {
        Some(d) => d,
        None => to
            .first_of_month()
            .checked_sub(jiff::Span::new().months(11))
            .map_err(|_| Error::field("to", "date", "Дата вне допустимого диапазона", "The date is out of range"))?,
    };
    let len = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX);
    if len < 0 {
        return Err(Error::field("to", "period_order", "Конец периода раньше начала", "The period ends before it starts"));
    }
    if len >= MAX_DAYS {
        return Err(Error::field("from", "period_too_long", "Период не длиннее двух лет", "A period of at most two years"));
    }
    Ok((from, to))
}

#[derive(Default, Clone)]
struct Month {
    revenue: Decimal,
    charged: Decimal,
    new_subscribers: u64,
    new_contracts: u64,
    terminated: u64,
    live: u64,
    live_at_start: u64,
}

/// "YYYY-MM" of a "YYYY-MM-DD".
fn month_of(d: &str) -> &str {
    d.get(..7).unwrap_or("")
}

/// Rows of an index within `lo..=hi` (keys only; the values are units).
macro_rules! count_index {
    ($tx:expr, $table:expr, $lo:expr, $hi:expr) => {{
        let mut n = 0u64;
        $tx.range($table, $lo, $hi, false, usize::MAX, |_, _| {
            n += 1;
            Ok(true)
        })?;
        n
    }};
}

/// The dashboard and report. Needs the telecom view right and the payments right (the figures
/// are money): operators and supervisors, not employees.
pub fn report(tx: &impl Read, actor: &Actor, now: Ts, from: &str, to: &str) -> Result<TelecomReport> {
    crate::telecom::require_view(actor)?;
    actor.require(Perm::TELECOM_PAYMENTS)?;
    let c = actor.company;
    let tz = crate::tenancy::timezone(tx, c)?;
    let today = now.date_local(&tz);
    let (from, to) = period(&today, from, to)?;
    let (lo, hi) = (from.to_string(), to.to_string());
    let in_period = |d: &str| d >= lo.as_str() && d <= hi.as_str();

    // Every month of the period, so an empty one shows as zero.
    let mut months: BTreeMap<String, Month> = BTreeMap::new();
    let mut m = from.first_of_month();
    while m <= to {
        months.insert(month_of(&m.to_string()).to_string(), Month::default());
        m = m.checked_add(jiff::Span::new().months(1)).map_err(|e| Error::Internal(e.to_string()))?;
    }

    let mut figures = Vec::new();
    // Subscribers: one pass over the records.
    let mut subs_by_status: BTreeMap<u8, u64> = BTreeMap::new();
    let mut names: BTreeMap<SubscriberId, String> = BTreeMap::new();
    let mut subscribers = 0u64;
    let mut new_subscribers = 0u64;
    tx.range(SUBSCRIBERS, (c, SubscriberId::MIN), (c, SubscriberId::MAX), false, usize::MAX, |_, s| {
        subscribers += 1;
        *subs_by_status.entry(s.status.index()).or_default() += 1;
        let d = s.created.date_local(&tz);
        if in_period(&d) {
            new_subscribers += 1;
            if let Some(m) = months.get_mut(month_of(&d)) {
                m.new_subscribers += 1;
            }
        }
        Ok(true)
    })?;
    figures.push(fig("subscribers", Cell::Count(subscribers)));
    for st in SubscriberStatus::ALL {
        if *st != SubscriberStatus::Active && *st != SubscriberStatus::Suspended {
            continue;
        }
        figures.push(fig(
            if *st == SubscriberStatus::Active { "subscribers_active" } else { "subscribers_suspended" },
            Cell::Count(subs_by_status.get(&st.index()).copied().unwrap_or(0)),
        ));
    }
    figures.push(fig("new_subscribers", Cell::Count(new_subscribers)));

    // SIMs and contracts by status: keys of the status indexes only.
    let mut sims = Table::new("telecom_sims", &["status", "count"]);
    for st in SimStatus::ALL {
        let n = count_index!(tx, SIM_STATUS, (c, st.index(), SimId::MIN), (c, st.index(), SimId::MAX));
        sims.rows.push(vec![Cell::Text(st.code().to_string()), Cell::Count(n)]);
    }
    let mut contracts_t = Table::new("telecom_contracts", &["status", "count"]);
    let mut live_now = 0;
    for st in ContractStatus::ALL {
        let n = count_index!(tx, CONTRACT_STATUS, (c, st.index(), ContractId::MIN), (c, st.index(), ContractId::MAX));
        if matches!(st, ContractStatus::Active | ContractStatus::Suspended) {
            live_now += n;
        }
        contracts_t.rows.push(vec![Cell::Text(st.code().to_string()), Cell::Count(n)]);
    }
    let free = sims.rows.first().and_then(|r| r.get(1).cloned()).unwrap_or(Cell::Count(0));
    figures.push(fig("sims_free", free));
    figures.push(fig("contracts_live", Cell::Count(live_now)));

    // Contracts: one pass — tariffs, monthly new, terminated and live counts.
    let mut per_tariff: BTreeMap<u64, (u64, u64)> = BTreeMap::new();
    let mut holders: BTreeMap<ContractId, (SubscriberId, String)> = BTreeMap::new();
    let month_ends: Vec<(String, String, String)> = months
        .keys()
        .map(|k| {
            let first = format!("{k}-01");
            let last = first.parse::<jiff::civil::Date>().ok().map(|d| d.last_of_month().to_string()).unwrap_or_else(|| format!("{k}-31"));
            (k.clone(), first, last)
        })
        .collect();
    let mut terminated_in_period = 0u64;
    let mut live_at_from = 0u64;
    tx.range(CONTRACTS, (c, ContractId::MIN), (c, ContractId::MAX), false, usize::MAX, |_, k| {
        holders.insert(k.id, (k.subscriber, k.number.clone()));
        let slot = per_tariff.entry(k.tariff.0).or_default();
        if matches!(k.status, ContractStatus::Active | ContractStatus::Suspended) {
            slot.0 += 1;
        }
        slot.1 += 1;
        let Some(act) = k.activated.as_deref() else { return Ok(true) };
        if in_period(act)
            && let Some(m) = months.get_mut(month_of(act))
        {
            m.new_contracts += 1;
        }
        if let Some(t) = k.terminated.as_deref()
            && in_period(t)
        {
            terminated_in_period += 1;
            if let Some(m) = months.get_mut(month_of(t)) {
                m.terminated += 1;
            }
        }
        let ended_before = |d: &str| k.terminated.as_deref().is_some_and(|t| t < d);
        if act < lo.as_str() && !ended_before(&lo) {
            live_at_from += 1;
        }
        for (key, first, last) in &month_ends {
            if act <= last.as_str()
                && !ended_before(first)
                && let Some(m) = months.get_mut(key)
            {
                m.live += 1;
                if act < first.as_str() {
                    m.live_at_start += 1;
                }
            }
        }
        Ok(true)
    })?;

    // The ledger: money in, charges, and what each contract paid in the period.
    let mut paid: BTreeMap<ContractId, Decimal> = BTreeMap::new();
    let (mut revenue, mut charged) = (Decimal::ZERO, Decimal::ZERO);
    tx.range(LEDGER, (c, ContractId::MIN, 0), (c, ContractId::MAX, u64::MAX), false, usize::MAX, |(_, k, _), e| {
        if !in_period(&e.date) {
            return Ok(true);
        }
        let m = months.get_mut(month_of(&e.date));
        match e.kind {
            EntryKind::Payment | EntryKind::Refund => {
                revenue += e.amount;
                *paid.entry(k).or_default() += e.amount;
                if let Some(m) = m {
                    m.revenue += e.amount;
                }
            }
            EntryKind::Charge => {
                charged -= e.amount;
                if let Some(m) = m {
                    m.charged -= e.amount;
                }
            }
            EntryKind::Correction => {}
        }
        Ok(true)
    })?;
    figures.push(fig("revenue", Cell::money(revenue)));
    figures.push(fig("charged", Cell::money(charged)));
    let live_months: u64 = months.values().map(|m| m.live).sum();
    figures.push(fig("arpu", ratio(charged, live_months)));
    figures.push(fig("churn", Cell::share(Decimal::from(terminated_in_period), Decimal::from(live_at_from))));

    let mut by_month = Table::new(
        "telecom_months",
        &["month", "revenue", "charged", "new_subscribers", "new_contracts", "terminated", "live_contracts", "arpu", "churn"],
    )
    .chart(Chart::Series { label: 0, bars: 1, line: Some(2) });
    for (key, m) in &months {
        by_month.rows.push(vec![
            Cell::Text(key.clone()),
            Cell::money(m.revenue),
            Cell::money(m.charged),
            Cell::Count(m.new_subscribers),
            Cell::Count(m.new_contracts),
            Cell::Count(m.terminated),
            Cell::Count(m.live),
            ratio(m.charged, m.live),
            Cell::share(Decimal::from(m.terminated), Decimal::from(m.live_at_start)),
        ]);
    }

    let mut tariffs = Table::new("telecom_tariffs", &["tariff", "live_contracts", "contracts"]).chart(Chart::Bars { label: 0, value: 1 });
    for (id, (live, all)) in per_tariff {
        let name = tx.get(TARIFFS, (c, crate::ids::TariffId(id)))?.map(|t| t.name).unwrap_or_else(|| format!("#{id}"));
        tariffs.rows.push(vec![Cell::Text(name), Cell::Count(live), Cell::Count(all)]);
    }
    sort_desc(&mut tariffs.rows, 1);

    let mut top: Vec<(ContractId, Decimal)> = paid.into_iter().filter(|(_, d)| *d > Decimal::ZERO).collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut payers = Table::new("telecom_top_payers", &["subscriber", "contract", "paid"]).chart(Chart::Bars { label: 0, value: 2 });
    for (k, amount) in top.into_iter().take(TOP) {
        let (sub, number) = holders.get(&k).cloned().unwrap_or((SubscriberId(0), String::new()));
        let name = match names.get(&sub) {
            Some(n) => n.clone(),
            None => {
                let n = tx.get(SUBSCRIBERS, (c, sub))?.map(|s| s.display_name()).unwrap_or_default();
                names.insert(sub, n.clone());
                n
            }
        };
        payers.rows.push(vec![Cell::Text(name), Cell::Text(number), Cell::money(amount)]);
    }

    let tickets = tickets(tx, c, now, &tz, &in_period, &mut figures)?;

    Ok(TelecomReport { from: lo, to: hi, figures, tables: vec![by_month, tariffs, payers, contracts_t, sims, tickets] })
}

/// Tickets: one pass — the figures open, overdue now, opened and resolved in the period, and
/// the table by status.
fn tickets(
    tx: &impl Read,
    c: crate::ids::CompanyId,
    now: Ts,
    tz: &str,
    in_period: &dyn Fn(&str) -> bool,
    figures: &mut Vec<Figure>,
) -> Result<Table> {
    let mut by_status: BTreeMap<u8, u64> = BTreeMap::new();
    let (mut open, mut overdue, mut opened, mut resolved) = (0u64, 0u64, 0u64, 0u64);
    tx.range(TICKETS, (c, TicketId::MIN), (c, TicketId::MAX), false, usize::MAX, |_, t| {
        *by_status.entry(t.status.index()).or_default() += 1;
        if t.status.is_open() {
            open += 1;
        }
        if t.overdue(now) {
            overdue += 1;
        }
        if in_period(&t.created.date_local(tz)) {
            opened += 1;
        }
        if t.resolved_at.is_some_and(|r| in_period(&r.date_local(tz))) {
            resolved += 1;
        }
        Ok(true)
    })?;
    figures.push(fig("tickets_open", Cell::Count(open)));
    figures.push(fig("tickets_overdue", Cell::Count(overdue)));
    figures.push(fig("tickets_opened", Cell::Count(opened)));
    figures.push(fig("tickets_resolved", Cell::Count(resolved)));
    let mut table = Table::new("telecom_tickets", &["status", "count"]);
    for st in TicketStatus::ALL {
        table.rows.push(vec![Cell::Text(st.code().to_string()), Cell::Count(by_status.get(&st.index()).copied().unwrap_or(0))]);
    }
    Ok(table)
}

/// `amount ÷ n` as money, a dash when `n` is zero.
fn ratio(amount: Decimal, n: u64) -> Cell {
    if n == 0 { Cell::Percent(None) } else { Cell::money(amount / Decimal::from(n)) }
}

/// A status cell in people's words (`telecom.sim_free`, `telecom.contract_active`); other
/// cells as they are.
pub fn status_label(lang: crate::i18n::Lang, table: &str, column: &str, c: &Cell) -> Option<&'static str> {
    match (table, column, c) {
        ("telecom_sims", "status", Cell::Text(code)) => Some(lang.t(&format!("telecom.sim_{code}"))),
        ("telecom_contracts", "status", Cell::Text(code)) => Some(lang.t(&format!("telecom.contract_{code}"))),
        ("telecom_tickets", "status", Cell::Text(code)) => Some(lang.t(&format!("telecom.ticket_{code}"))),
        _ => None,
    }
}

/// The report as CSV text: the figures, then each table under its title, `;`-separated (what
/// spreadsheets in ru/kg locales open by default), numbers plain (`1234.50`).
pub fn csv(lang: crate::i18n::Lang, r: &TelecomReport) -> String {
    let q = |s: &str| {
        if s.contains([';', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut out = String::new();
    out.push_str(&format!("{};{}\r\n", q(lang.t("telecom_reports.title")), q(&format!("{} … {}", r.from, r.to))));
    for f in &r.figures {
        out.push_str(&format!("{};{}\r\n", q(lang.t(&format!("telecom_reports.fig.{}", f.key))), f.value.plain().unwrap_or_default()));
    }
    for t in &r.tables {
        out.push_str("\r\n");
        out.push_str(&q(lang.t(&format!("telecom_reports.table.{}", t.id))));
        out.push_str("\r\n");
        let headers: Vec<String> = t.columns.iter().map(|c| q(lang.t(&format!("telecom_reports.col.{c}")))).collect();
        out.push_str(&headers.join(";"));
        out.push_str("\r\n");
        for row in &t.rows {
            let cells: Vec<String> = row
                .iter()
                .zip(&t.columns)
                .map(|(c, col)| q(&status_label(lang, t.id, col, c).map(str::to_string).or_else(|| c.plain()).unwrap_or_default()))
                .collect();
            out.push_str(&cells.join(";"));
            out.push_str("\r\n");
        }
    }
    out
}

/// The report as an XLSX workbook: a sheet of figures, then a sheet per table.
pub fn workbook(lang: crate::i18n::Lang, r: &TelecomReport) -> Result<Vec<u8>> {
    use crate::xlsx::{Cell as X, Sheet};
    let x = |c: &Cell| match c {
        Cell::Text(s) => X::Text(s.clone()),
        Cell::Count(n) => X::Qty(Decimal::from(*n)),
        Cell::Money(d) => X::Money(*d),
        Cell::Qty(d) => X::Qty(*d),
        Cell::Percent(p) | Cell::Days(p) => p.map(X::Qty).unwrap_or_else(|| X::Text("—".into())),
        Cell::Id(id) => X::Text(id.map(|i| i.to_string()).unwrap_or_default()),
    };
    let figures: Vec<Vec<X>> =
        r.figures.iter().map(|f| vec![X::Text(lang.t(&format!("telecom_reports.fig.{}", f.key)).to_string()), x(&f.value)]).collect();
    let tables: Vec<(String, Vec<String>, Vec<Vec<X>>)> = r
        .tables
        .iter()
        .map(|t| {
            let headers = t.columns.iter().map(|c| lang.t(&format!("telecom_reports.col.{c}")).to_string()).collect();
            let rows = t
                .rows
                .iter()
                .map(|row| {
                    row.iter()
                        .zip(&t.columns)
                        .map(|(c, col)| status_label(lang, t.id, col, c).map(|l| X::Text(l.to_string())).unwrap_or_else(|| x(c)))
                        .collect()
                })
                .collect();
            (lang.t(&format!("telecom_reports.table.{}", t.id)).to_string(), headers, rows)
        })
        .collect();
    let title = format!("{} {}…{}", lang.t("telecom_reports.title"), r.from, r.to);
    let mut sheets =
        vec![Sheet { title, headers: vec![lang.t("tabs.figure").to_string(), lang.t("tabs.value").to_string()], rows: &figures }];
    for (title, headers, rows) in &tables {
        sheets.push(Sheet { title: title.clone(), headers: headers.clone(), rows });
    }
    crate::xlsx::workbook_sheets(&sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_default_to_twelve_months_and_are_checked() {
        let (f, t) = period("2026-12-07", "", "").unwrap();
        assert_eq!((f.to_string(), t.to_string()), ("2026-01-01".to_string(), "2026-12-07".to_string()));
        assert!(period("2026-12-07", "2026-12-08", "2026-12-01").is_err());
        assert!(period("2026-12-07", "2020-01-01", "").is_err());
        assert!(period("2026-12-07", "junk", "").is_err());
    }
}
