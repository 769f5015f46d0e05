//! Agents' tables, the one write path of lots (`put_lot`, which keeps the FIFO index, the
//! free-lot index and the holdings by diff), and `verify`.

use rust_decimal::Decimal;

use super::model::{Acceptance, AgentReturn, AgentSale, Holding, Location, Lot, RefLots, ReturnStatus};
use crate::ids::{AgentReturnId, CompanyId, LotId, ProductId, SaleId, UserId};
use crate::storage::{Read, ReadTx, StorageError, Table, TableInfo, WriteTx};

/// A lot's place in its agent's FIFO queue: company, agent, product, created (ms), lot.
pub type QueueKey = (CompanyId, UserId, ProductId, u64, LotId);

pub const LOCATIONS: Table<(CompanyId, UserId), Location> = Table::new("company_agent_location");
pub const LOTS: Table<(CompanyId, LotId), Lot> = Table::new("company_lotid_lot");
pub const ACCEPTANCES: Table<(CompanyId, LotId, u64), Acceptance> = Table::new("company_lotid_id_acceptance");
pub const LOT_QUEUE: Table<QueueKey, u64> = Table::new("company_agent_product_created_lotid_lotid");
pub const FREE_LOTS: Table<QueueKey, u64> = Table::new("company_agent_product_created_lotid_freelot");
pub const HOLDINGS: Table<(CompanyId, UserId, ProductId), Holding> = Table::new("company_agent_product_holding");
pub const REFS: Table<(CompanyId, &str), RefLots> = Table::new("company_externalref_reflots");
pub const RETURNS: Table<(CompanyId, AgentReturnId), AgentReturn> = Table::new("company_agentreturnid_agentreturn");
pub const SALES: Table<(CompanyId, SaleId), AgentSale> = Table::new("company_saleid_agentsale");
pub const AGENT_SALES: Table<(CompanyId, UserId, SaleId), u64> = Table::new("company_agent_saleid_saleid");
pub const SALE_KEYS: Table<(CompanyId, &str), u64> = Table::new("company_idempotencykey_agentsaleid");

pub fn tables() -> Vec<TableInfo> {
    vec![
        LOCATIONS.info("(CompanyId, agent UserId)", "the agent's location in the stock ledger (a warehouse id without a warehouse row)"),
        LOTS.info("(CompanyId, LotId)", "agents' lots (one per transferred item; LotId = the inbound movement, hence the cost layer)"),
        ACCEPTANCES.info("(CompanyId, LotId, id)", "acceptances of each lot (append-only; Σ = the lot's accepted)"),
        LOT_QUEUE.info("(CompanyId, agent, ProductId, created_ms, LotId)", "every lot in its agent's FIFO order → LotId"),
        FREE_LOTS.info(
            "(CompanyId, agent, ProductId, created_ms, LotId)",
            "lots with free quantity, FIFO order → LotId (allocation reads it, never scans)",
        ),
        HOLDINGS.info("(CompanyId, agent, ProductId)", "Σ of the agent's lots of a product (projection kept by put_lot)"),
        REFS.info("(CompanyId, external_ref)", "a transfer's external reference → its agent and lots (unique per company; idempotency)"),
        RETURNS.info("(CompanyId, AgentReturnId)", "agents' returns: pending, approved, rejected"),
        SALES.info("(CompanyId, SaleId)", "agent sales with their per-lot allocations and returns"),
        AGENT_SALES.info("(CompanyId, agent, SaleId)", "an agent's sales → SaleId"),
        SALE_KEYS.info("(CompanyId, idempotency key)", "agent checkout idempotency: key → SaleId"),
    ]
}

fn queue_key(c: CompanyId, l: &Lot) -> QueueKey {
    (c, l.agent, l.product, crate::inventory::store::date_key(l.created.0), l.id)
}

/// The one write path of a lot: the queue, the free-lot index and the holding follow by diff.
pub fn put_lot(tx: &mut WriteTx, c: CompanyId, old: Option<&Lot>, new: &Lot) -> Result<(), StorageError> {
    let k = queue_key(c, new);
    if old.is_none() {
        tx.insert(LOT_QUEUE, k, &new.id.0)?;
    }
    let was_free = old.is_some_and(|o| o.free() > Decimal::ZERO);
    let is_free = new.free() > Decimal::ZERO;
    if is_free && !was_free {
        tx.insert(FREE_LOTS, k, &new.id.0)?;
    } else if was_free && !is_free {
        tx.remove(FREE_LOTS, k)?;
    }
    let hk = (c, new.agent, new.product);
    let mut h = tx.get(HOLDINGS, hk)?.unwrap_or_default();
    if let Some(o) = old {
        h.transferred -= o.transferred;
        h.accepted -= o.accepted;
        h.returned -= o.returned;
        h.sold -= o.sold;
        h.reserved -= o.reserved;
        h.cancelled -= o.cancelled;
    }
    h.transferred += new.transferred;
    h.accepted += new.accepted;
    h.returned += new.returned;
    h.sold += new.sold;
    h.reserved += new.reserved;
    h.cancelled += new.cancelled;
    h.last_movement = h.last_movement.max(Some(new.last_movement));
    tx.insert(HOLDINGS, hk, &h)?;
    tx.insert(LOTS, (c, new.id), new)
}

pub fn lot(tx: &impl Read, c: CompanyId, id: LotId) -> Result<Option<Lot>, StorageError> {
    tx.get(LOTS, (c, id))
}

/// The agent's lots of a product in FIFO order.
pub fn lots_of(tx: &impl Read, c: CompanyId, agent: UserId, product: ProductId) -> Result<Vec<Lot>, StorageError> {
    let keys = tx.list(LOT_QUEUE, (c, agent, product, 0, LotId::MIN), (c, agent, product, u64::MAX, LotId::MAX), usize::MAX)?;
    let mut out = Vec::with_capacity(keys.len());
    for ((_, _, _, _, id), _) in keys {
        if let Some(l) = tx.get(LOTS, (c, id))? {
            out.push(l);
        }
    }
    Ok(out)
}

/// Recomputes holdings, the queue and the free-lot index from the lots; checks every lot's
/// counters and that its ledger layer holds exactly transferred − returned − sold; and that
/// each sale line's allocations sum to its quantity.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    use std::collections::BTreeMap;
    let mut problems = Vec::new();
    for (cid, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
        let c = CompanyId(cid);
        let mut holdings: BTreeMap<(UserId, ProductId), Holding> = BTreeMap::new();
        let mut queue = 0usize;
        let mut free = 0usize;
        tx.range(LOTS, (c, LotId::MIN), (c, LotId::MAX), false, usize::MAX, |_, l| {
            holdings.entry((l.agent, l.product)).or_default().add(&l);
            let k = queue_key(c, &l);
            if tx.get(LOT_QUEUE, k)?.is_none() {
                problems.push(format!("agent lot {cid}/{}: missing from the FIFO queue", l.id));
            }
            queue += 1;
            let indexed = tx.get(FREE_LOTS, k)?.is_some();
            if indexed != (l.free() > Decimal::ZERO) {
                problems.push(format!("agent lot {cid}/{}: free {} but free-lot index says {indexed}", l.id, l.free()));
            }
            if indexed {
                free += 1;
            }
            let zero = Decimal::ZERO;
            if !(l.returned <= l.accepted
                && l.accepted + l.cancelled <= l.transferred
                && l.cancelled >= zero
                && l.sold >= zero
                && l.reserved >= zero
                && l.free() >= zero)
            {
                problems.push(format!("agent lot {cid}/{}: counters break returned ≤ accepted ≤ transferred, free ≥ 0: {l:?}", l.id));
            }
            match tx.get(LOCATIONS, (c, l.agent))? {
                Some(loc) => {
                    let (q, _) =
                        crate::inventory::consign::layer(tx, c, loc.warehouse, l.product, (l.created.0, l.id.0)).unwrap_or_default();
                    if q != l.in_layer() {
                        problems.push(format!("agent lot {cid}/{}: its ledger layer holds {q}, the lot says {}", l.id, l.in_layer()));
                    }
                }
                None => problems.push(format!("agent lot {cid}/{}: the agent has no location", l.id)),
            }
            Ok(true)
        })?;
        let all = |t| {
            tx.list(t, (c, UserId::MIN, ProductId::MIN, 0, LotId::MIN), (c, UserId::MAX, ProductId::MAX, u64::MAX, LotId::MAX), usize::MAX)
        };
        if all(LOT_QUEUE)?.len() != queue {
            problems.push(format!("agent lot queue of company {cid}: entries without lots"));
        }
        if all(FREE_LOTS)?.len() != free {
            problems.push(format!("agent free-lot index of company {cid}: entries without free lots"));
        }
        let stored: BTreeMap<(UserId, ProductId), Holding> = tx
            .list(HOLDINGS, (c, UserId::MIN, ProductId::MIN), (c, UserId::MAX, ProductId::MAX), usize::MAX)?
            .into_iter()
            .map(|((_, a, p), h)| ((a, p), h))
            .collect();
        if stored != holdings {
            problems.push(format!("agent holdings of company {cid}: stored {stored:?}, recomputed {holdings:?}"));
        }
        // Each lot's counters against what recorded them: sold = Σ allocations net of sale
        // returns, reserved = Σ pending returns, returned = Σ approved, accepted = Σ acceptances.
        let mut sold: BTreeMap<LotId, Decimal> = BTreeMap::new();
        tx.range(SALES, (c, SaleId::MIN), (c, SaleId::MAX), false, usize::MAX, |_, s| {
            for (i, line) in s.lines.iter().enumerate() {
                let sum: Decimal = line.allocations.iter().map(|a| a.qty).sum();
                if sum != line.qty {
                    problems.push(format!("agent sale {cid}/{} line {i}: allocations sum to {sum}, the line is {}", s.id, line.qty));
                }
                let back: Decimal = line.allocations.iter().map(|a| a.returned).sum();
                if back != line.returned_qty {
                    problems.push(format!(
                        "agent sale {cid}/{} line {i}: allocations took back {back}, the line says {}",
                        s.id, line.returned_qty
                    ));
                }
                for a in &line.allocations {
                    *sold.entry(a.lot).or_default() += a.qty - a.returned;
                }
            }
            Ok(true)
        })?;
        let mut reserved: BTreeMap<LotId, Decimal> = BTreeMap::new();
        let mut returned: BTreeMap<LotId, Decimal> = BTreeMap::new();
        tx.range(RETURNS, (c, AgentReturnId::MIN), (c, AgentReturnId::MAX), false, usize::MAX, |_, r| {
            match r.status {
                ReturnStatus::Pending => *reserved.entry(r.lot).or_default() += r.qty,
                ReturnStatus::Approved => *returned.entry(r.lot).or_default() += r.qty,
                ReturnStatus::Rejected => {}
            }
            Ok(true)
        })?;
        tx.range(LOTS, (c, LotId::MIN), (c, LotId::MAX), false, usize::MAX, |_, l| {
            let accepted: Decimal =
                tx.list(ACCEPTANCES, (c, l.id, 0), (c, l.id, u64::MAX), usize::MAX)?.into_iter().map(|(_, a)| a.qty).sum();
            let want = (
                sold.get(&l.id).copied().unwrap_or_default(),
                reserved.get(&l.id).copied().unwrap_or_default(),
                returned.get(&l.id).copied().unwrap_or_default(),
                accepted,
            );
            if want != (l.sold, l.reserved, l.returned, l.accepted) {
                problems.push(format!(
                    "agent lot {cid}/{}: sold/reserved/returned/accepted recorded as {want:?}, the lot says {:?}",
                    l.id,
                    (l.sold, l.reserved, l.returned, l.accepted)
                ));
            }
            Ok(true)
        })?;
    }
    Ok(problems)
}
