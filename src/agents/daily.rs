//! The agents' daily projection, kept in the same transactions as transfers, acceptances,
//! approved returns, agent sales and their returns, so agent analytics read days, not every
//! sale. The same `AgentDay` sums at three grains:
//! - per (company, local day, agent, product) — one agent's report by product;
//! - per (company, local day, agent) — the days and agents of every report, with the exact
//!   sale count (a sale of several products counts once);
//! - per (company, local day, product), over every agent — the owner's report by product;
//!
//! so the owner's report over a year reads days × (agents + products) rows, never
//! days × agents × products.
//!
//! Days are the company's local calendar days (`YYYYMMDD`, as `pos::daily`). A transfer counts
//! on the day it is made, an acceptance and an approved return on theirs; in a product row a
//! sale counts once for each product it sold; a sale return takes its quantity, amount and
//! cost off the day it is made (and takes no sale back). `verify` recomputes everything from
//! lots, acceptances, returns and sales; `rebuild_company` rewrites a company's rows after its
//! time zone changed (wired in `wiring`).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model::{AgentReturn, AgentSale, Lot, ReturnStatus, SaleReturn};
use super::store::{ACCEPTANCES, LOTS, RETURNS, SALES};
use crate::clock::Ts;
use crate::ids::{AgentReturnId, CompanyId, LotId, ProductId, SaleId, UserId};
use crate::pos::daily::day_of;
use crate::storage::{Read, ReadTx, Record, StorageError, Table, TableInfo, WriteTx};
use crate::tenancy::store::COMPANIES;

/// (company, day YYYYMMDD, agent, product).
pub type DayKey = (u64, u64, u64, u64);
/// (company, day YYYYMMDD, agent or product).
pub type DayOfKey = (u64, u64, u64);

pub const AGENT_DAYS: Table<DayKey, AgentDay> = Table::new("company_day_agent_product_agentday");
pub const AGENT_TOTAL_DAYS: Table<DayOfKey, AgentDay> = Table::new("company_day_agent_agentday");
pub const PRODUCT_AGENT_DAYS: Table<DayOfKey, AgentDay> = Table::new("company_day_product_agentday");

pub fn tables() -> Vec<TableInfo> {
    vec![
        AGENT_DAYS.info(
            "(CompanyId, local day YYYYMMDD, agent UserId, ProductId)",
            "agents' daily projection: transfers, acceptances, returns, sales at amount and cost",
        ),
        AGENT_TOTAL_DAYS.info(
            "(CompanyId, local day YYYYMMDD, agent UserId)",
            "agents' daily projection per agent over every product, with the exact sale count",
        ),
        PRODUCT_AGENT_DAYS.info("(CompanyId, local day YYYYMMDD, ProductId)", "agents' daily projection per product over every agent"),
    ]
}

/// What one agent did with one product on one local day (or the sum over products or agents).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentDay {
    pub transfers: u64,
    #[serde(with = "crate::money::compact")]
    pub qty_transferred: Decimal,
    /// At the cost that left the warehouse.
    #[serde(with = "crate::money::compact")]
    pub value_transferred: Decimal,
    #[serde(with = "crate::money::compact")]
    pub qty_accepted: Decimal,
    /// Approved returns.
    #[serde(with = "crate::money::compact")]
    pub qty_returned: Decimal,
    pub sales: u64,
    /// Net of sale returns made that day.
    #[serde(with = "crate::money::compact")]
    pub qty_sold: Decimal,
    #[serde(with = "crate::money::compact")]
    pub amount: Decimal,
    /// Σ allocation costs.
    #[serde(with = "crate::money::compact")]
    pub cost: Decimal,
}

impl Record for AgentDay {
    const TYPE: &'static str = "agent_day.v1";
}

impl AgentDay {
    pub fn merge(&mut self, o: &AgentDay) {
        self.transfers += o.transfers;
        self.qty_transferred += o.qty_transferred;
        self.value_transferred += o.value_transferred;
        self.qty_accepted += o.qty_accepted;
        self.qty_returned += o.qty_returned;
        self.sales += o.sales;
        self.qty_sold += o.qty_sold;
        self.amount += o.amount;
        self.cost += o.cost;
    }
}

/// Rows being summed: what one operation adds, or everything recomputed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Projection {
    pub rows: BTreeMap<DayKey, AgentDay>,
    pub agents: BTreeMap<DayOfKey, AgentDay>,
    pub products: BTreeMap<DayOfKey, AgentDay>,
}

impl Projection {
    /// Applies `f` to the three rows of (day of `at`, agent, product).
    fn add(&mut self, c: CompanyId, tz: &str, at: Ts, agent: UserId, product: ProductId, f: impl Fn(&mut AgentDay)) {
        let day = day_of(at, tz);
        f(self.rows.entry((c.0, day, agent.0, product.0)).or_default());
        f(self.agents.entry((c.0, day, agent.0)).or_default());
        f(self.products.entry((c.0, day, product.0)).or_default());
    }

    pub fn transfer(&mut self, c: CompanyId, tz: &str, lot: &Lot) {
        self.add(c, tz, lot.created, lot.agent, lot.product, |r| {
            r.transfers += 1;
            r.qty_transferred += lot.transferred;
            r.value_transferred += lot.cost;
        });
    }

    pub fn accept(&mut self, c: CompanyId, tz: &str, lot: &Lot, at: Ts, qty: Decimal) {
        self.add(c, tz, at, lot.agent, lot.product, |r| r.qty_accepted += qty);
    }

    pub fn returned(&mut self, c: CompanyId, tz: &str, r: &AgentReturn) {
        if let (ReturnStatus::Approved, Some((at, _))) = (r.status, r.decided) {
            self.add(c, tz, at, r.agent, r.product, |row| row.qty_returned += r.qty);
        }
    }

    pub fn sale(&mut self, c: CompanyId, tz: &str, s: &AgentSale) {
        let day = day_of(s.at, tz);
        self.agents.entry((c.0, day, s.agent.0)).or_default().sales += 1;
        let mut seen: Vec<ProductId> = Vec::new();
        for l in &s.lines {
            if !seen.contains(&l.product) {
                seen.push(l.product);
                self.rows.entry((c.0, day, s.agent.0, l.product.0)).or_default().sales += 1;
                self.products.entry((c.0, day, l.product.0)).or_default().sales += 1;
            }
            self.add(c, tz, s.at, s.agent, l.product, |r| {
                r.qty_sold += l.qty;
                r.amount += l.amount;
                r.cost += l.cost;
            });
        }
    }

    pub fn sale_return(&mut self, c: CompanyId, tz: &str, s: &AgentSale, ret: &SaleReturn) {
        for rl in &ret.lines {
            let Some(line) = s.lines.get(rl.line as usize) else { continue };
            self.add(c, tz, ret.at, s.agent, line.product, |r| {
                r.qty_sold -= rl.qty;
                r.amount -= rl.amount;
                r.cost -= rl.cost;
            });
        }
    }

    /// Adds these rows to the stored ones (a row summing to zero is kept: it says the day
    /// had activity that cancelled out).
    pub fn store(&self, tx: &mut WriteTx) -> Result<(), StorageError> {
        let mut t = tx.open(AGENT_DAYS)?;
        for (k, add) in &self.rows {
            let mut row = t.get(*k)?.unwrap_or_default();
            row.merge(add);
            t.insert(*k, &row)?;
        }
        drop(t);
        for (table, rows) in [(AGENT_TOTAL_DAYS, &self.agents), (PRODUCT_AGENT_DAYS, &self.products)] {
            let mut t = tx.open(table)?;
            for (k, add) in rows {
                let mut row = t.get(*k)?.unwrap_or_default();
                row.merge(add);
                t.insert(*k, &row)?;
            }
        }
        Ok(())
    }
}

/// Rows for days `from..=to` (YYYYMMDD), in (day, agent, product) order.
pub fn days(tx: &impl Read, c: CompanyId, from: u64, to: u64) -> crate::error::Result<Vec<(u64, UserId, ProductId, AgentDay)>> {
    let rows = tx.list(AGENT_DAYS, (c.0, from, 0, 0), (c.0, to, u64::MAX, u64::MAX), usize::MAX)?;
    Ok(rows.into_iter().map(|((_, d, a, p), r)| (d, UserId(a), ProductId(p), r)).collect())
}

/// Per-agent rows for days `from..=to`, in (day, agent) order.
pub fn agent_days(tx: &impl Read, c: CompanyId, from: u64, to: u64) -> crate::error::Result<Vec<(u64, UserId, AgentDay)>> {
    let rows = tx.list(AGENT_TOTAL_DAYS, (c.0, from, 0), (c.0, to, u64::MAX), usize::MAX)?;
    Ok(rows.into_iter().map(|((_, d, a), r)| (d, UserId(a), r)).collect())
}

/// Per-product rows over every agent for days `from..=to`, in (day, product) order.
pub fn product_days(tx: &impl Read, c: CompanyId, from: u64, to: u64) -> crate::error::Result<Vec<(u64, ProductId, AgentDay)>> {
    let rows = tx.list(PRODUCT_AGENT_DAYS, (c.0, from, 0), (c.0, to, u64::MAX), usize::MAX)?;
    Ok(rows.into_iter().map(|((_, d, p), r)| (d, ProductId(p), r)).collect())
}

/// One agent's per-agent row of one day.
pub fn agent_total(tx: &impl Read, c: CompanyId, day: u64, agent: UserId) -> crate::error::Result<Option<AgentDay>> {
    Ok(tx.get(AGENT_TOTAL_DAYS, (c.0, day, agent.0))?)
}

/// One agent's rows of one day by product (a seek, not a scan of every agent's day).
pub fn agent_day(tx: &impl Read, c: CompanyId, day: u64, agent: UserId) -> crate::error::Result<Vec<(ProductId, AgentDay)>> {
    let rows = tx.list(AGENT_DAYS, (c.0, day, agent.0, 0), (c.0, day, agent.0, u64::MAX), usize::MAX)?;
    Ok(rows.into_iter().map(|((_, _, _, p), r)| (ProductId(p), r)).collect())
}

/// Everything of one company recomputed from its primary records.
fn recompute(tx: &impl Read, c: CompanyId, tz: &str) -> Result<Projection, StorageError> {
    let mut p = Projection::default();
    let lots = tx.list(LOTS, (c, LotId::MIN), (c, LotId::MAX), usize::MAX)?;
    for (_, lot) in &lots {
        p.transfer(c, tz, lot);
        for (_, a) in tx.list(ACCEPTANCES, (c, lot.id, 0), (c, lot.id, u64::MAX), usize::MAX)? {
            p.accept(c, tz, lot, a.at, a.qty);
        }
    }
    for (_, r) in tx.list(RETURNS, (c, AgentReturnId::MIN), (c, AgentReturnId::MAX), usize::MAX)? {
        p.returned(c, tz, &r);
    }
    let mut sales = Vec::new();
    tx.range(SALES, (c, SaleId::MIN), (c, SaleId::MAX), false, usize::MAX, |_, s| {
        sales.push(s);
        Ok(true)
    })?;
    for s in &sales {
        p.sale(c, tz, s);
        for r in &s.returns {
            p.sale_return(c, tz, s, r);
        }
    }
    Ok(p)
}

fn stored(tx: &impl Read, c: CompanyId) -> Result<BTreeMap<DayKey, AgentDay>, StorageError> {
    Ok(tx.list(AGENT_DAYS, (c.0, 0, 0, 0), (c.0, u64::MAX, u64::MAX, u64::MAX), usize::MAX)?.into_iter().collect())
}

fn stored_of(tx: &impl Read, table: Table<DayOfKey, AgentDay>, c: CompanyId) -> Result<BTreeMap<DayOfKey, AgentDay>, StorageError> {
    Ok(tx.list(table, (c.0, 0, 0), (c.0, u64::MAX, u64::MAX), usize::MAX)?.into_iter().collect())
}

/// Upgrade step: files written before the per-agent and per-product rows existed hold only
/// the agent × product rows; every company is rebuilt from its sales. A file that already has
/// the new rows, or has no agent sales at all, is left as it is.
pub fn build_totals(tx: &mut WriteTx) -> Result<(), StorageError> {
    if tx.len(AGENT_TOTAL_DAYS)? > 0 || tx.len(AGENT_DAYS)? == 0 {
        return Ok(());
    }
    let companies: Vec<CompanyId> = tx.list(COMPANIES, 0, u64::MAX, usize::MAX)?.into_iter().map(|(id, _)| CompanyId(id)).collect();
    for c in companies {
        rebuild_company(tx, c)?;
    }
    Ok(())
}

/// Rewrites one company's rows (after its time zone changed).
pub fn rebuild_company(tx: &mut WriteTx, c: CompanyId) -> Result<(), StorageError> {
    let tz = tx.get(COMPANIES, c.0)?.map(|c| c.timezone).unwrap_or_default();
    for k in stored(tx, c)?.into_keys() {
        tx.remove(AGENT_DAYS, k)?;
    }
    for table in [AGENT_TOTAL_DAYS, PRODUCT_AGENT_DAYS] {
        for k in stored_of(tx, table, c)?.into_keys() {
            tx.remove(table, k)?;
        }
    }
    recompute(tx, c, &tz)?.store(tx)
}

/// Recomputes every company's rows and lists each difference.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    for (cid, co) in tx.list(COMPANIES, 0, u64::MAX, usize::MAX)? {
        let c = CompanyId(cid);
        let want = recompute(tx, c, &co.timezone)?;
        let have = stored(tx, c)?;
        for k in want.rows.keys().chain(have.keys()).collect::<std::collections::BTreeSet<_>>() {
            let (w, h) = (want.rows.get(k), have.get(k));
            if w != h {
                problems.push(format!("agent projection of company {cid} at {k:?}: recomputed {w:?}, stored {h:?}"));
            }
        }
        for (what, table, want) in [("agent", AGENT_TOTAL_DAYS, &want.agents), ("product", PRODUCT_AGENT_DAYS, &want.products)] {
            let have = stored_of(tx, table, c)?;
            for k in want.keys().chain(have.keys()).collect::<std::collections::BTreeSet<_>>() {
                let (w, h) = (want.get(k), have.get(k));
                if w != h {
                    problems.push(format!("agent projection per {what} of company {cid} at {k:?}: recomputed {w:?}, stored {h:?}"));
                }
            }
        }
    }
    Ok(problems)
}
