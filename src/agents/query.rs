//! What pages and the API read: an agent's goods ("my goods") and every agent's ("goods on
//! agents") with the per-lot breakdown, lots awaiting acceptance, returns with their summary,
//! and agent sales. Every read checks the feature and who may see whose goods.

use rust_decimal::Decimal;

use super::model::{AgentReturn, AgentSale, Holding, Lot, ReturnStatus};
use super::store::{self, AGENT_SALES, HOLDINGS, RETURNS, SALES};
use super::{acting_for, feature};
use crate::error::{Error, Result};
use crate::ids::{AgentReturnId, CompanyId, ProductId, SaleId, UserId};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

/// One product an agent holds, with its lots in FIFO order.
#[derive(Debug, Clone)]
pub struct GoodsRow {
    pub agent: UserId,
    pub agent_name: String,
    pub product: ProductId,
    pub name: String,
    pub barcode: String,
    pub price: Decimal,
    pub holding: Holding,
    pub lots: Vec<Lot>,
}

impl GoodsRow {
    pub fn on_hand(&self) -> Decimal {
        self.holding.on_hand()
    }

    /// Transferred but not yet accepted.
    pub fn awaiting(&self) -> Decimal {
        self.holding.transferred - self.holding.accepted
    }
}

/// Whose goods the actor may read: `Some(agent)` — that agent's (the agent or an owner-like
/// user); `None` — every agent's (owner-like only).
fn may_read(tx: &impl Read, actor: &Actor, agent: Option<UserId>) -> Result<Vec<(UserId, String)>> {
    feature(actor)?;
    match agent {
        Some(a) => {
            // A user of no company of the actor's is not found, like any other record.
            let name = crate::tenancy::query::user(tx, actor.company, a)?.name;
            acting_for(tx, actor, a)?;
            Ok(vec![(a, name)])
        }
        None => {
            actor.require_owner_like()?;
            super::agents(tx, actor.company)
        }
    }
}

fn matches(p: &crate::catalog::model::Product, q: &str) -> bool {
    if q.is_empty() {
        return true;
    }
    let lower = q.to_lowercase();
    p.name.to_lowercase().contains(&lower)
        || p.article.to_lowercase() == lower
        || p.code.to_lowercase() == lower
        || p.barcodes.iter().any(|b| b == q)
        || p.plu.is_some_and(|plu| plu.to_string() == q)
}

/// Goods held by one agent or by all, searchable by name (part), barcode, article, code or PLU;
/// rows with nothing on hand, awaiting acceptance or reserved are left out.
pub fn goods(tx: &impl Read, actor: &Actor, agent: Option<UserId>, q: &str) -> Result<Vec<GoodsRow>> {
    let c = actor.company;
    let q = q.trim();
    let mut out = Vec::new();
    for (a, agent_name) in may_read(tx, actor, agent)? {
        for ((_, _, pid), h) in tx.list(HOLDINGS, (c, a, ProductId::MIN), (c, a, ProductId::MAX), usize::MAX)? {
            if h.on_hand().is_zero() && h.transferred == h.accepted && h.reserved.is_zero() {
                continue;
            }
            let Some(p) = crate::catalog::query::find_product(tx, c, pid)? else { continue };
            if !matches(&p, q) {
                continue;
            }
            let lots = store::lots_of(tx, c, a, pid)?;
            out.push(GoodsRow {
                agent: a,
                agent_name: agent_name.clone(),
                product: pid,
                name: p.name,
                barcode: p.barcodes.first().cloned().unwrap_or_default(),
                price: p.price,
                holding: h,
                lots,
            });
        }
    }
    out.sort_by_key(|x| (x.agent_name.to_lowercase(), x.name.to_lowercase()));
    Ok(out)
}

/// One lot, for the agent or an owner-like user.
pub fn lot(tx: &impl Read, actor: &Actor, id: crate::ids::LotId) -> Result<Lot> {
    feature(actor)?;
    let l = store::lot(tx, actor.company, id)?.ok_or(Error::NotFound)?;
    acting_for(tx, actor, l.agent).map_err(|_| Error::NotFound)?;
    Ok(l)
}

/// Returns, newest first: one agent's or (owner-like) everyone's, optionally by status.
pub fn returns(tx: &impl Read, actor: &Actor, agent: Option<UserId>, status: Option<ReturnStatus>) -> Result<Vec<AgentReturn>> {
    let allowed: Vec<UserId> = may_read(tx, actor, agent)?.into_iter().map(|(a, _)| a).collect();
    let c = actor.company;
    let mut out = Vec::new();
    tx.range(RETURNS, (c, AgentReturnId::MIN), (c, AgentReturnId::MAX), true, usize::MAX, |_, r| {
        if (agent.is_none() || allowed.contains(&r.agent)) && status.is_none_or(|s| s == r.status) {
            out.push(r);
        }
        Ok(out.len() < 500)
    })?;
    Ok(out)
}

/// The seed's `returns_summary`: how many returns are pending and their quantity.
pub fn returns_summary(list: &[AgentReturn]) -> (usize, Decimal) {
    let pending: Vec<&AgentReturn> = list.iter().filter(|r| r.status == ReturnStatus::Pending).collect();
    (pending.len(), pending.iter().map(|r| r.qty).sum())
}

/// Agent sales, newest first: one agent's or (owner-like) everyone's, at most `limit`.
pub fn sales(tx: &impl Read, actor: &Actor, agent: Option<UserId>, limit: usize) -> Result<Vec<AgentSale>> {
    let allowed = may_read(tx, actor, agent)?;
    let c = actor.company;
    let mut out = Vec::new();
    match agent {
        Some(a) => {
            for ((_, _, id), _) in tx.list(AGENT_SALES, (c, a, SaleId::MIN), (c, a, SaleId::MAX), usize::MAX)?.into_iter().rev().take(limit)
            {
                if let Some(s) = tx.get(SALES, (c, id))? {
                    out.push(s);
                }
            }
        }
        None => {
            drop(allowed);
            tx.range(SALES, (c, SaleId::MIN), (c, SaleId::MAX), true, limit, |_, s| {
                out.push(s);
                Ok(true)
            })?;
        }
    }
    Ok(out)
}

/// One agent sale, for its agent or an owner-like user (anyone else: not found).
pub fn sale(tx: &impl Read, actor: &Actor, id: SaleId) -> Result<AgentSale> {
    feature(actor)?;
    let s = tx.get(SALES, (actor.company, id))?.ok_or(Error::NotFound)?;
    if s.agent != actor.user && !actor.owner_like() {
        return Err(Error::NotFound);
    }
    Ok(s)
}

/// The agent's on hand of every product they hold (for the sale page's pre-check).
pub fn on_hand_all(tx: &impl Read, c: CompanyId, agent: UserId) -> Result<Vec<(ProductId, Decimal)>> {
    Ok(tx
        .list(HOLDINGS, (c, agent, ProductId::MIN), (c, agent, ProductId::MAX), usize::MAX)?
        .into_iter()
        .map(|((_, _, p), h)| (p, h.on_hand()))
        .filter(|(_, q)| *q > Decimal::ZERO)
        .collect())
}
