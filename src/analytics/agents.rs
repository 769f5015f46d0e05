//! Agent analytics (spec A11): one agent's own report and the owner's report over every agent,
//! read from the agents' daily projection (`agents::daily::days`) for the period, the
//! holdings for on hand, and the newest lots for the transfer history — never from sales, so
//! a month costs a month of day rows whatever the number of sales.
//!
//! Sales count: the projection counts a sale once in the row of each product it sold, so the
//! count here is "sales per product" summed (a sale of two products counts twice); the
//! projection has no per-agent sale count yet. Gross profit = Σ amount − Σ allocation cost.
//! On-hand value is at the product's current price, as A11 asks. Expenses: finance's expense
//! cash flows are not available to this module yet, so the report has no expense breakdown.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::agents::daily::{AgentDay, days};
use crate::agents::store::{HOLDINGS, LOTS};
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{CompanyId, LotId, ProductId, UserId};
use crate::pos::daily::day_text;
use crate::storage::Read;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// The report asked for: `period` = day | week | month (default: the last 30 days) | custom
/// with `from`/`to` ("YYYY-MM-DD", company-local, inclusive); `agent` narrows the owner's
/// report to one agent (an agent's own report is always theirs).
#[derive(Debug, Clone, Default)]
pub struct AgentQuery {
    pub period: String,
    pub from: String,
    pub to: String,
    pub agent: Option<UserId>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub transfers: u64,
    pub qty_transferred: Decimal,
    pub value_transferred: Decimal,
    pub qty_accepted: Decimal,
    pub qty_returned: Decimal,
    pub sales: u64,
    pub qty_sold: Decimal,
    pub amount: Decimal,
    pub cost: Decimal,
    pub gross_profit: Decimal,
}

impl Totals {
    fn add(&mut self, d: &AgentDay) {
        self.transfers += d.transfers;
        self.qty_transferred += d.qty_transferred;
        self.value_transferred += d.value_transferred;
        self.qty_accepted += d.qty_accepted;
        self.qty_returned += d.qty_returned;
        self.sales += d.sales;
        self.qty_sold += d.qty_sold;
        self.amount += d.amount;
        self.cost += d.cost;
        self.gross_profit = self.amount - self.cost;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayLine {
    pub day: String,
    pub t: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLine {
    pub product: ProductId,
    pub name: String,
    pub t: Totals,
    /// Share of the period's sales amount, percent with one place.
    pub share: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentLine {
    pub agent: UserId,
    pub name: String,
    pub t: Totals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    pub product: ProductId,
    pub name: String,
    pub qty: Decimal,
    pub value: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferLine {
    pub lot: LotId,
    pub agent: UserId,
    pub product: ProductId,
    pub name: String,
    pub created: Ts,
    pub qty: Decimal,
    pub price: Decimal,
    pub cost: Decimal,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentReport {
    pub from: String,
    pub to: String,
    pub agent: Option<UserId>,
    pub summary: Totals,
    pub on_hand_qty: Decimal,
    pub on_hand_value: Decimal,
    /// Every day of the period that had activity, in order.
    pub days: Vec<DayLine>,
    /// By sales amount, highest first (all products sold or transferred in the period).
    pub products: Vec<ProductLine>,
    /// Top 10 by quantity transferred.
    pub top_transferred: Vec<ProductLine>,
    /// By sales amount, highest first (the owner's report; one line in an agent's).
    pub agents: Vec<AgentLine>,
    pub on_hand: Vec<StockLine>,
    /// The newest 200 lots.
    pub transfers: Vec<TransferLine>,
}

const MAX_DAYS: i64 = 366;

fn date(raw: &str, field: &str) -> Result<Option<jiff::civil::Date>> {
    match raw.trim() {
        "" => Ok(None),
        s => s.parse().map(Some).map_err(|_| Error::field(field, "date", "Дата в формате ГГГГ-ММ-ДД", "Date as YYYY-MM-DD")),
    }
}

fn number(d: jiff::civil::Date) -> u64 {
    u64::try_from(i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())).unwrap_or(0)
}

/// (first day, last day) as `YYYYMMDD`, checked.
pub fn period(q: &AgentQuery, tz: &str, now: Ts) -> Result<(u64, u64)> {
    let today: jiff::civil::Date = now.date_local(tz).parse().map_err(|e| Error::Internal(format!("local date: {e}")))?;
    let back = |n: i64| today.checked_sub(jiff::Span::new().days(n)).map_err(|_| Error::Internal("date out of range".into()));
    let (from, to) = match q.period.trim() {
        "day" => (date(&q.from, "from")?.unwrap_or(today), date(&q.from, "from")?.unwrap_or(today)),
        "week" => (back(6)?, today),
        "month" | "" if q.from.trim().is_empty() && q.to.trim().is_empty() => (back(29)?, today),
        "custom" | "" => {
            let to = date(&q.to, "to")?.unwrap_or(today);
            let from = match date(&q.from, "from")? {
                Some(d) => d,
                None => to
                    .checked_sub(jiff::Span::new().days(29))
                    .map_err(|_| Error::field("to", "date", "Дата вне диапазона", "Date out of range"))?,
            };
            (from, to)
        }
        "month" => (back(29)?, today),
        _ => return Err(Error::field("period", "unknown", "Период: day, week, month или custom", "Period: day, week, month or custom")),
    };
    let len = from.until(to).map(|s| s.get_days()).unwrap_or(i32::MAX);
    if len < 0 {
        return Err(Error::field("to", "period_order", "Конец периода раньше начала", "The period ends before it starts"));
    }
    if i64::from(len) >= MAX_DAYS {
        return Err(Error::field(
            "from",
            "period_too_long",
            format!("Период не длиннее {MAX_DAYS} дней"),
            format!("A period of at most {MAX_DAYS} days"),
        ));
    }
    Ok((number(from), number(to)))
}

/// Who the report is about: an agent sees only themself; owner-like users and holders of the
/// analytics right see every agent, or the one they name.
fn scope(tx: &impl Read, actor: &Actor, asked: Option<UserId>) -> Result<Option<UserId>> {
    actor.require_feature("agents")?;
    if actor.owner_like() || actor.perms.has(Perm::ANALYTICS) {
        if let Some(a) = asked
            && !crate::agents::is_agent(tx, actor.company, a)?
            && tx.get(crate::agents::store::LOCATIONS, (actor.company, a))?.is_none()
        {
            return Err(Error::NotFound);
        }
        return Ok(asked);
    }
    if actor.perms.has(Perm::AGENT) {
        return match asked {
            Some(a) if a != actor.user => Err(Error::NotFound),
            _ => Ok(Some(actor.user)),
        };
    }
    Err(Error::Forbidden { permission: Perm::ANALYTICS.code() })
}

fn product_name(
    tx: &impl Read,
    c: CompanyId,
    p: ProductId,
    cache: &mut BTreeMap<ProductId, (String, Decimal)>,
) -> Result<(String, Decimal)> {
    if let Some(v) = cache.get(&p) {
        return Ok(v.clone());
    }
    let v = tx.get(PRODUCTS, (c.0, p.0))?.map(|x| (x.name, x.price)).unwrap_or_default();
    cache.insert(p, v.clone());
    Ok(v)
}

/// The report (module header). `agent_name` names agents for the owner's lines.
pub fn report(tx: &impl Read, actor: &Actor, now: Ts, q: &AgentQuery) -> Result<AgentReport> {
    let who = scope(tx, actor, q.agent)?;
    let c = actor.company;
    let tz = crate::tenancy::timezone(tx, c)?;
    let (from, to) = period(q, &tz, now)?;
    let mut summary = Totals::default();
    let mut by_day: BTreeMap<u64, Totals> = BTreeMap::new();
    let mut by_product: BTreeMap<ProductId, Totals> = BTreeMap::new();
    let mut by_agent: BTreeMap<UserId, Totals> = BTreeMap::new();
    for (day, agent, product, row) in days(tx, c, from, to)? {
        if who.is_some_and(|w| w != agent) {
            continue;
        }
        summary.add(&row);
        by_day.entry(day).or_default().add(&row);
        by_product.entry(product).or_default().add(&row);
        by_agent.entry(agent).or_default().add(&row);
    }
    let mut names = BTreeMap::new();
    let share = |amount: Decimal| {
        if summary.amount.is_zero() { Decimal::ZERO } else { (amount * Decimal::ONE_HUNDRED / summary.amount).round_dp(1) }
    };
    let mut products = Vec::with_capacity(by_product.len());
    for (p, t) in by_product {
        let (name, _) = product_name(tx, c, p, &mut names)?;
        products.push(ProductLine { product: p, name, share: share(t.amount), t });
    }
    let mut top_transferred = products.clone();
    top_transferred.sort_by(|a, b| b.t.qty_transferred.cmp(&a.t.qty_transferred).then(a.product.cmp(&b.product)));
    top_transferred.retain(|l| l.t.qty_transferred > Decimal::ZERO);
    top_transferred.truncate(10);
    products.sort_by(|a, b| b.t.amount.cmp(&a.t.amount).then(a.product.cmp(&b.product)));
    let mut agents = Vec::with_capacity(by_agent.len());
    for (a, t) in by_agent {
        let name = tx.get(crate::tenancy::store::USERS, (c.0, a.0))?.map(|u| u.name).unwrap_or_default();
        agents.push(AgentLine { agent: a, name, t });
    }
    agents.sort_by(|a, b| b.t.amount.cmp(&a.t.amount).then(a.agent.cmp(&b.agent)));

    // On hand now, from the holdings (one row per agent and product).
    let (lo, hi) = match who {
        Some(a) => ((c, a, ProductId::MIN), (c, a, ProductId::MAX)),
        None => ((c, UserId::MIN, ProductId::MIN), (c, UserId::MAX, ProductId::MAX)),
    };
    let mut stock: BTreeMap<ProductId, Decimal> = BTreeMap::new();
    for ((_, _, p), h) in tx.list(HOLDINGS, lo, hi, usize::MAX)? {
        let q = h.on_hand();
        if !q.is_zero() {
            *stock.entry(p).or_default() += q;
        }
    }
    let (mut on_hand_qty, mut on_hand_value) = (Decimal::ZERO, Decimal::ZERO);
    let mut on_hand = Vec::with_capacity(stock.len());
    for (p, qty) in stock {
        let (name, price) = product_name(tx, c, p, &mut names)?;
        let value = crate::money::round_money(qty * price);
        on_hand_qty += qty;
        on_hand_value += value;
        on_hand.push(StockLine { product: p, name, qty, value });
    }
    on_hand.sort_by(|a, b| b.value.cmp(&a.value).then(a.product.cmp(&b.product)));

    // The newest 200 lots (lot ids grow with time).
    let mut transfers = Vec::new();
    let mut pending = Vec::new();
    tx.range(LOTS, (c, LotId::MIN), (c, LotId::MAX), true, usize::MAX, |_, l| {
        if who.is_none_or(|w| w == l.agent) {
            pending.push(l);
        }
        Ok(pending.len() < 200)
    })?;
    for l in pending {
        let (name, _) = product_name(tx, c, l.product, &mut names)?;
        transfers.push(TransferLine {
            lot: l.id,
            agent: l.agent,
            product: l.product,
            name,
            created: l.created,
            qty: l.transferred,
            price: l.price,
            cost: l.cost,
            source: l.source,
        });
    }
    Ok(AgentReport {
        from: day_text(from),
        to: day_text(to),
        agent: who,
        summary,
        on_hand_qty,
        on_hand_value,
        days: by_day.into_iter().map(|(d, t)| DayLine { day: day_text(d), t }).collect(),
        products,
        top_transferred,
        agents,
        on_hand,
        transfers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let now = Ts::parse_date("2026-12-07", "UTC").expect("date").plus_ms(3_600_000);
        let q = |period: &str, from: &str, to: &str| AgentQuery { period: period.into(), from: from.into(), to: to.into(), agent: None };
        assert_eq!(period(&q("", "", ""), "UTC", now).ok(), Some((20_261_108, 20_261_207)), "30 days by default");
        assert_eq!(period(&q("day", "", ""), "UTC", now).ok(), Some((20_261_207, 20_261_207)));
        assert_eq!(period(&q("day", "2026-12-01", ""), "UTC", now).ok(), Some((20_261_201, 20_261_201)));
        assert_eq!(period(&q("week", "", ""), "UTC", now).ok(), Some((20_261_201, 20_261_207)));
        assert_eq!(period(&q("custom", "2026-01-01", "2026-01-31"), "UTC", now).ok(), Some((20_260_101, 20_260_131)));
        assert!(period(&q("custom", "2026-02-01", "2026-01-31"), "UTC", now).is_err());
        assert!(period(&q("custom", "2024-01-01", "2026-01-31"), "UTC", now).is_err());
        assert!(period(&q("year", "", ""), "UTC", now).is_err());
        assert!(period(&q("custom", "01.01.2026", ""), "UTC", now).is_err());
    }
}
