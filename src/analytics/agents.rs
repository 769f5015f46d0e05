//! Agent analytics (spec A11): one agent's own report and the owner's report over every agent,
//! read from the agents' daily projection (`agents::daily::days`) for the period, the
//! holdings for on hand, and the newest lots for the transfer history — never from sales, so
//! a month costs a month of day rows whatever the number of sales.
//!
//! Sales count: the totals, days and agents count sales from the per-agent rows (a sale of
//! two products counts once); a product line counts the sales that sold it. The owner's
//! report reads the per-agent and per-product day rows, never the per (agent, product) ones.
//! Gross profit = Σ amount − Σ allocation cost. On-hand value is at the product's current
//! price, as A11 asks. Expense breakdown (the owner's report, for holders of the finance
//! right): approved operating expenses of the period by category, from finance's daily money
//! projection (`analytics::finance::is_operating`). One agent's report seeks that agent's
//! rows day by day instead of reading every agent's.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::tab::{Cell, Chart, Figure, Table, fig};
use crate::agents::daily::{AgentDay, agent_day, agent_days, agent_total, product_days};
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
    pub agent_name: String,
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
    /// Operating expenses by category name, largest first; `None` when the report is one
    /// agent's or the actor lacks the finance right.
    pub expenses: Option<Vec<(String, Decimal)>>,
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
    // Days and agents from the per-agent rows (exact sale counts); products from the
    // per-product rows over every agent, or one agent's own rows seeked day by day.
    let mut add = |day: u64, agent: UserId, row: &AgentDay| {
        summary.add(row);
        by_day.entry(day).or_default().add(row);
        by_agent.entry(agent).or_default().add(row);
    };
    match who {
        Some(a) => {
            for day in calendar(from, to) {
                if let Some(row) = agent_total(tx, c, day, a)? {
                    add(day, a, &row);
                }
                for (p, row) in agent_day(tx, c, day, a)? {
                    by_product.entry(p).or_default().add(&row);
                }
            }
        }
        None => {
            for (day, agent, row) in agent_days(tx, c, from, to)? {
                add(day, agent, &row);
            }
            for (_, p, row) in product_days(tx, c, from, to)? {
                by_product.entry(p).or_default().add(&row);
            }
        }
    }
    let expenses = match who {
        None if actor.can(Perm::FINANCE) => Some(expenses(tx, actor, from, to)?),
        _ => None,
    };
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
    let user_names = crate::tenancy::query::user_names(tx, c)?;
    let user_name = |a: UserId| user_names.get(&a).cloned().unwrap_or_default();
    let mut agents = Vec::with_capacity(by_agent.len());
    for (a, t) in by_agent {
        agents.push(AgentLine { agent: a, name: user_name(a), t });
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
            agent_name: user_name(l.agent),
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
        expenses,
    })
}

/// Every local day `from..=to` (YYYYMMDD numbers), at most a period's length.
fn calendar(from: u64, to: u64) -> Vec<u64> {
    let parse = |d: u64| day_text(d).parse::<jiff::civil::Date>().ok();
    let (Some(mut d), Some(last)) = (parse(from), parse(to)) else { return Vec::new() };
    let mut out = Vec::new();
    while d <= last && out.len() <= MAX_DAYS as usize {
        out.push(number(d));
        let Ok(next) = d.tomorrow() else { break };
        d = next;
    }
    out
}

/// Approved operating expenses of the period by category name, largest first.
fn expenses(tx: &impl Read, actor: &Actor, from: u64, to: u64) -> Result<Vec<(String, Decimal)>> {
    let mut by: BTreeMap<String, Decimal> = BTreeMap::new();
    for (_, _, category, d) in crate::finance::daily::days(tx, actor.company, from, to)? {
        if !d.expense.is_zero() && super::finance::is_operating(&category) {
            *by.entry(category).or_default() += d.expense;
        }
    }
    let names = crate::finance::query::category_names(tx, actor.company, actor.lang)?;
    let mut out: Vec<(String, Decimal)> = by.into_iter().map(|(code, v)| (names.get(&code).cloned().unwrap_or(code), v)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// The report as figures and tables in the analytics tabs' shape: the page draws them with
/// the tabs' charts and the XLSX export writes a sheet per table.
pub fn tables(r: &AgentReport) -> (Vec<Figure>, Vec<Table>) {
    let t = &r.summary;
    let figures = vec![
        fig("transfers", Cell::Count(t.transfers)),
        fig("qty_transferred", Cell::Qty(t.qty_transferred)),
        fig("qty_accepted", Cell::Qty(t.qty_accepted)),
        fig("sales", Cell::Count(t.sales)),
        fig("revenue", Cell::money(t.amount)),
        fig("gross_profit", Cell::money(t.gross_profit)),
        fig("on_hand_qty", Cell::Qty(r.on_hand_qty)),
        fig("on_hand_value", Cell::money(r.on_hand_value)),
    ];
    let mut days = Table::new("agent_days", &["day", "sales", "qty", "revenue", "cogs", "gross_profit"]).chart(Chart::Series {
        label: 0,
        bars: 3,
        line: Some(5),
    });
    let mut moved = Table::new("agent_transfer_days", &["day", "transfers", "qty_transferred", "value", "qty_accepted", "returns"])
        .chart(Chart::Series { label: 0, bars: 2, line: None });
    for d in &r.days {
        if d.t.sales > 0 || !d.t.amount.is_zero() || !d.t.qty_sold.is_zero() {
            days.rows.push(vec![
                Cell::Text(d.day.clone()),
                Cell::Count(d.t.sales),
                Cell::Qty(d.t.qty_sold),
                Cell::money(d.t.amount),
                Cell::money(d.t.cost),
                Cell::money(d.t.gross_profit),
            ]);
        }
        if d.t.transfers > 0 || !d.t.qty_accepted.is_zero() || !d.t.qty_returned.is_zero() {
            moved.rows.push(vec![
                Cell::Text(d.day.clone()),
                Cell::Count(d.t.transfers),
                Cell::Qty(d.t.qty_transferred),
                Cell::money(d.t.value_transferred),
                Cell::Qty(d.t.qty_accepted),
                Cell::Qty(d.t.qty_returned),
            ]);
        }
    }
    let mut products = Table::new("agent_products", &["product", "id", "sales", "qty", "revenue", "gross_profit", "share"])
        .chart(Chart::Bars { label: 0, value: 4 });
    for l in r.products.iter().filter(|l| l.t.sales > 0 || !l.t.amount.is_zero()) {
        products.rows.push(vec![
            Cell::Text(l.name.clone()),
            Cell::Id(Some(l.product.0)),
            Cell::Count(l.t.sales),
            Cell::Qty(l.t.qty_sold),
            Cell::money(l.t.amount),
            Cell::money(l.t.gross_profit),
            Cell::Percent(Some(l.share)),
        ]);
    }
    let mut top =
        Table::new("agent_top_transferred", &["product", "id", "qty_transferred", "value"]).chart(Chart::Bars { label: 0, value: 2 });
    for l in &r.top_transferred {
        top.rows.push(vec![
            Cell::Text(l.name.clone()),
            Cell::Id(Some(l.product.0)),
            Cell::Qty(l.t.qty_transferred),
            Cell::money(l.t.value_transferred),
        ]);
    }
    let mut stock = Table::new("agent_on_hand", &["product", "id", "qty", "value"]).chart(Chart::Bars { label: 0, value: 3 });
    for l in &r.on_hand {
        stock.rows.push(vec![Cell::Text(l.name.clone()), Cell::Id(Some(l.product.0)), Cell::Qty(l.qty), Cell::money(l.value)]);
    }
    let mut out = vec![days, products, moved, top, stock];
    if r.agent.is_none() {
        let mut agents = Table::new("agent_agents", &["user", "id", "sales", "qty", "revenue", "gross_profit", "qty_transferred"])
            .chart(Chart::Bars { label: 0, value: 4 });
        for a in r.agents.iter().take(10) {
            agents.rows.push(vec![
                Cell::Text(a.name.clone()),
                Cell::Id(Some(a.agent.0)),
                Cell::Count(a.t.sales),
                Cell::Qty(a.t.qty_sold),
                Cell::money(a.t.amount),
                Cell::money(a.t.gross_profit),
                Cell::Qty(a.t.qty_transferred),
            ]);
        }
        out.push(agents);
    }
    if let Some(list) = &r.expenses {
        let mut ex = Table::new("agent_expenses", &["category", "amount"]).chart(Chart::Bars { label: 0, value: 1 });
        for (name, v) in list {
            ex.rows.push(vec![Cell::Text(name.clone()), Cell::money(*v)]);
        }
        out.push(ex);
    }
    let mut history = Table::new("agent_transfers", &["lot", "created", "user", "product", "qty", "price", "cogs"]);
    for l in &r.transfers {
        history.rows.push(vec![
            Cell::Count(l.lot.0),
            Cell::Text(l.created.rfc3339()),
            Cell::Text(l.agent_name.clone()),
            Cell::Text(l.name.clone()),
            Cell::Qty(l.qty),
            Cell::money(l.price),
            Cell::money(l.cost),
        ]);
    }
    out.push(history);
    (figures, out)
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
