//! Field agents (spec A8, "subreal"): company users holding goods on consignment as lots,
//! accepting them, handing them back, and selling them in the field.
//!
//! Design, and the invariants it keeps:
//! - **An agent is a stock location.** Each agent gets, at the first transfer, a location in
//!   inventory's ledger: a warehouse id with no warehouse row (`inventory::consign`), so no
//!   document, warehouse picker or cash box can name it, while `dukan check` replays its
//!   movements with every other item. Company stock, agents' stock and cost are one ledger.
//! - **A lot is a cost layer.** A transfer moves each item warehouse → agent through the
//!   ledger (FIFO out of the warehouse, one inbound movement in); the inbound movement's id is
//!   the `LotId`, and the layer it opens, keyed `(created, id)`, is the lot's. Stock leaves the
//!   warehouse at transfer, before acceptance (A8 step 3).
//! - **Counters**: transferred, accepted, returned (approved), sold (net of sale returns),
//!   reserved (pending returns), cancelled (an unaccepted remainder taken back). Per lot
//!   returned ≤ accepted, accepted + cancelled ≤ transferred, and
//!   free = accepted − returned − sold − reserved ≥ 0; the lot's layer holds exactly
//!   transferred − cancelled − returned − sold. Quantities are whole numbers. Every change is a movement
//!   or a decision; no endpoint sets a counter (A15 #4).
//! - **FIFO**: lots of one agent and product are ordered (product, created, id) — the queue
//!   index — and those with free quantity are also in the free-lot index, so an allocation
//!   reads only the lots it takes from. A sale takes from exactly the lots its allocation
//!   chose (`Intent::Take` names their layers), so its cost is those lots' cost, and a return
//!   of the sale puts the units back into the same lots at the same cost.
//! - **Rights** (A15 #2, where the seed checked nothing): everything needs the plan feature
//!   `agents`. An agent is an active user whose role holds `Perm::AGENT`. Transfers are made
//!   by owner-like users or holders of `Perm::DOCUMENT` (stock documents). Acceptance is the
//!   agent's, or an owner-like user's on the agent's behalf — narrower than A8's "any company
//!   user", as the issue asks. Returns are created by the agent and decided by owner-like
//!   users. Agent sales are made by the agent, or by an owner-like user who chose the agent
//!   explicitly (never a hidden cache, A15 #5).
//! - Every operation is one write transaction: lots, movements, holdings, indexes, the daily
//!   projection (`daily`), the audit row and outbox rows together.

pub mod daily;
pub mod model;
pub mod query;
pub mod request_store;
pub mod requests;
pub mod returns;
pub mod sales;
pub mod store;
#[cfg(test)]
mod tests;

use rust_decimal::Decimal;

use crate::audit;
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, DocumentId, LotId, ProductId, UserId, WarehouseId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;
use model::{Location, Lot, RefLots};
use store::{LOCATIONS, LOTS, REFS};

/// One item of a transfer.
#[derive(Debug, Clone)]
pub struct TransferItem {
    pub product: ProductId,
    /// Whole, > 0.
    pub qty: Decimal,
    /// Unit price snapshot; 0 for gifts.
    pub price: Decimal,
    /// Accept in full at once (the seed's `is_sawmill`, for trusted flows).
    pub accept: bool,
}

#[derive(Debug, Clone)]
pub struct TransferDraft {
    pub agent: UserId,
    pub warehouse: WarehouseId,
    pub items: Vec<TransferItem>,
    /// Unique per company: a repeated transfer with it returns the lots of the first.
    pub external_ref: Option<String>,
    /// "request:ID" or "".
    pub source: String,
}

/// Whether `user` is an agent of the company: active, and their role holds `Perm::AGENT`.
pub fn is_agent(tx: &impl Read, c: CompanyId, user: UserId) -> Result<bool> {
    let Some(u) = tx.get(crate::tenancy::store::USERS, (c.0, user.0))? else { return Ok(false) };
    if !u.active {
        return Ok(false);
    }
    let perms = match u.custom_role {
        Some(r) => tx.get(crate::tenancy::store::ROLES, (c.0, r.0))?.map(|r| r.perms).unwrap_or_default(),
        None => return Ok(false),
    };
    Ok(perms.has(Perm::AGENT))
}

/// The company's agents: (id, name), by name.
pub fn agents(tx: &impl Read, c: CompanyId) -> Result<Vec<(UserId, String)>> {
    let mut out = Vec::new();
    for u in crate::tenancy::query::users(tx, c)? {
        if is_agent(tx, c, u.id)? {
            out.push((u.id, u.name));
        }
    }
    out.sort_by_key(|a| a.1.to_lowercase());
    Ok(out)
}

/// Refuses unless the plan has agents.
pub(crate) fn feature(actor: &Actor) -> Result<()> {
    actor.require_feature("agents")
}

/// Refuses unless the actor may act for `agent`: the agent themself (holding `Perm::AGENT`),
/// or an owner-like user naming an agent of the company.
pub(crate) fn acting_for(tx: &impl Read, actor: &Actor, agent: UserId) -> Result<()> {
    if actor.user == agent {
        if !actor.perms.has(Perm::AGENT) && !actor.owner_like() {
            return Err(Error::Forbidden { permission: Perm::AGENT.code() });
        }
    } else if !actor.owner_like() {
        return Err(Error::Forbidden { permission: "owner" });
    }
    if !is_agent(tx, actor.company, agent)? {
        return Err(Error::field("agent", "not_agent", "Этот сотрудник не агент", "This user is not an agent"));
    }
    Ok(())
}

fn location(tx: &mut WriteTx, c: CompanyId, agent: UserId) -> Result<WarehouseId> {
    if let Some(l) = tx.get(LOCATIONS, (c, agent))? {
        return Ok(l.warehouse);
    }
    let warehouse = WarehouseId(tx.next_id()?);
    tx.insert(LOCATIONS, (c, agent), &Location { warehouse })?;
    Ok(warehouse)
}

/// The agent's location, if goods were ever transferred to them.
pub fn location_of(tx: &impl Read, c: CompanyId, agent: UserId) -> Result<Option<WarehouseId>> {
    Ok(tx.get(LOCATIONS, (c, agent))?.map(|l| l.warehouse))
}

/// A whole quantity > 0, or the seed's error text.
pub(crate) fn whole(field: &str, qty: Decimal) -> std::result::Result<Decimal, FieldError> {
    if qty <= Decimal::ZERO || !qty.fract().is_zero() {
        return Err(FieldError::new(
            field,
            "whole_qty",
            "Для агента количество должно быть целым и больше нуля",
            "For an agent the quantity must be a whole number above zero",
        ));
    }
    Ok(qty.normalize())
}

/// Transfers goods from a warehouse to an agent: one write, one lot per item, the goods
/// leaving the warehouse through the ledger at their FIFO cost now. Refused without the
/// feature, without rights (owner-like or `Perm::DOCUMENT`), for a user who is not an agent,
/// an inactive warehouse, a product that is not stocked goods, a quantity that is not whole,
/// or short stock. With an external reference seen before, returns the lots made then.
pub fn transfer(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &TransferDraft) -> Result<Vec<Lot>> {
    feature(actor)?;
    actor.require(Perm::DOCUMENT)?;
    actor.require_writable()?;
    let c = actor.company;
    let external_ref = d.external_ref.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if let Some(r) = external_ref {
        if r.len() > 100 {
            return Err(Error::field(
                "external_ref",
                "too_long",
                "Внешний номер: не длиннее 100 символов",
                "External reference: at most 100 characters",
            ));
        }
        if let Some(seen) = tx.get(REFS, (c, r))? {
            if seen.agent != d.agent {
                return Err(Error::refused(
                    "external_ref_taken",
                    "Этот внешний номер уже использован для другого агента",
                    "This external reference was already used for another agent",
                ));
            }
            let mut lots = Vec::with_capacity(seen.lots.len());
            for id in seen.lots {
                lots.push(tx.get(LOTS, (c, id))?.ok_or_else(|| Error::Internal(format!("lot {id} of a reference is missing")))?);
            }
            return Ok(lots);
        }
    }
    let mut p = Problems::default();
    if !is_agent(tx, c, d.agent)? {
        p.push(FieldError::new("agent", "not_agent", "Выберите агента", "Choose an agent"));
    }
    if !crate::inventory::warehouse_active(tx, c, d.warehouse)? {
        p.push(FieldError::new("warehouse", "unknown_warehouse", "Выберите активный склад", "Choose an active warehouse"));
    }
    if d.items.is_empty() {
        p.push(FieldError::new("items", "required", "Добавьте хотя бы один товар", "Add at least one item"));
    }
    let mut names = Vec::with_capacity(d.items.len());
    for (i, it) in d.items.iter().enumerate() {
        match tx.get(PRODUCTS, (c.0, it.product.0))? {
            Some(prod) if prod.kind == crate::catalog::model::Kind::Goods && !prod.archived => names.push(prod.name),
            _ => p.push(FieldError::new(
                &format!("items[{i}].product"),
                "unknown_product",
                format!("Строка {}: нет такого товара (передаются только товары)", i + 1),
                format!("Line {}: no such product (only goods are transferred)", i + 1),
            )),
        }
        p.take(whole(&format!("items[{i}].qty"), it.qty));
        if it.price < Decimal::ZERO {
            p.push(FieldError::new(
                &format!("items[{i}].price"),
                "negative",
                "Цена не может быть отрицательной",
                "The price cannot be negative",
            ));
        }
    }
    p.finish()?;
    let loc = location(tx, c, d.agent)?;
    let doc = DocumentId(tx.next_id()?);
    let items: Vec<(ProductId, Decimal)> = d.items.iter().map(|it| (it.product, it.qty.normalize())).collect();
    let consigned = crate::inventory::consign::consign(tx, c, d.warehouse, loc, doc, &items, now)?;
    let mut lots = Vec::with_capacity(items.len());
    let tz = crate::tenancy::timezone(tx, c)?;
    let mut day = daily::Projection::default();
    for (it, k) in d.items.iter().zip(&consigned) {
        let qty = it.qty.normalize();
        let mut lot = Lot {
            id: LotId(k.layer),
            agent: d.agent,
            product: it.product,
            created: now,
            transferred: qty,
            accepted: Decimal::ZERO,
            returned: Decimal::ZERO,
            sold: Decimal::ZERO,
            reserved: Decimal::ZERO,
            cancelled: Decimal::ZERO,
            unit_cost: crate::money::round_money(k.cost / qty),
            price: it.price,
            external_ref: external_ref.map(str::to_string),
            source: d.source.chars().take(100).collect(),
            issuer: actor.user,
            warehouse: d.warehouse,
            cost: k.cost,
            last_movement: now,
        };
        day.transfer(c, &tz, &lot);
        if it.accept {
            lot.accepted = qty;
            day.accept(c, &tz, &lot, now, qty);
            let aid = tx.next_id()?;
            tx.insert(store::ACCEPTANCES, (c, lot.id, aid), &model::Acceptance { at: now, by: actor.user, qty })?;
        }
        store::put_lot(tx, c, None, &lot)?;
        lots.push(lot);
    }
    day.store(tx)?;
    if let Some(r) = external_ref {
        tx.insert(REFS, (c, r), &RefLots { agent: d.agent, lots: lots.iter().map(|l| l.id).collect() })?;
    }
    let detail = lots.iter().map(|l| format!("{}×{}", l.product, l.transferred)).collect::<Vec<_>>().join(" ");
    audit::record(tx, c, actor, now, "agent.transfer", format!("user:{}", d.agent), detail)?;
    let rows: Vec<serde_json::Value> = lots
        .iter()
        .map(|l| serde_json::json!({"lot": l.id, "product": l.product, "qty": l.transferred.to_string(), "accepted": l.accepted.to_string()}))
        .collect();
    let payload = serde_json::json!({"agent": d.agent, "warehouse": d.warehouse, "external_ref": external_ref, "lots": rows});
    crate::webhooks::emit(tx, c, "agent.transfer", &payload, now)?;
    Ok(lots)
}

/// Accepts `qty` of a lot (all that remains when `None`): only while the lot is open and never
/// more than remains. By the agent, or an owner-like user on the agent's behalf.
pub fn accept(tx: &mut WriteTx, actor: &Actor, now: Ts, id: LotId, qty: Option<Decimal>) -> Result<Lot> {
    feature(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = tx.get(LOTS, (c, id))?.ok_or(Error::NotFound)?;
    acting_for(tx, actor, old.agent)?;
    if old.closed() {
        return Err(Error::refused("lot_closed", "Партия уже принята полностью", "The lot is already fully accepted"));
    }
    let qty = match qty {
        Some(q) => whole("qty", q).map_err(|e| Error::Validation(vec![e]))?,
        None => old.remaining(),
    };
    if qty > old.remaining() {
        return Err(Error::field(
            "qty",
            "exceeds_remaining",
            format!("Осталось принять {}", old.remaining()),
            format!("Left to accept: {}", old.remaining()),
        ));
    }
    let mut lot = old.clone();
    lot.accepted += qty;
    lot.last_movement = now;
    store::put_lot(tx, c, Some(&old), &lot)?;
    let aid = tx.next_id()?;
    tx.insert(store::ACCEPTANCES, (c, id, aid), &model::Acceptance { at: now, by: actor.user, qty })?;
    let tz = crate::tenancy::timezone(tx, c)?;
    let mut day = daily::Projection::default();
    day.accept(c, &tz, &lot, now, qty);
    day.store(tx)?;
    audit::record(tx, c, actor, now, "agent.accept", format!("lot:{id}"), qty.to_string())?;
    Ok(lot)
}

/// Takes the unaccepted remainder of a lot back into the warehouse it came from, at the lot's
/// cost (A15 #4: in the seed it could never be cancelled and was lost). Owner-like users only;
/// the lot closes for acceptance.
pub fn cancel_remainder(tx: &mut WriteTx, actor: &Actor, now: Ts, id: LotId) -> Result<Lot> {
    feature(actor)?;
    actor.require_owner_like()?;
    actor.require_writable()?;
    let c = actor.company;
    let old = tx.get(LOTS, (c, id))?.ok_or(Error::NotFound)?;
    let qty = old.remaining();
    if qty.is_zero() {
        return Err(Error::refused("lot_closed", "Партия уже принята полностью", "The lot is already fully accepted"));
    }
    if !crate::inventory::warehouse_active(tx, c, old.warehouse)? {
        return Err(Error::refused("warehouse_inactive", "Склад партии отключён", "The lot's warehouse is deactivated"));
    }
    let loc = location_of(tx, c, old.agent)?.ok_or_else(|| Error::Internal(format!("agent {} has no location", old.agent)))?;
    crate::inventory::consign::unconsign(tx, c, loc, old.product, (old.created.0, old.id.0), qty, old.warehouse, DocumentId(id.0), now)?;
    let mut lot = old.clone();
    lot.cancelled += qty;
    lot.last_movement = now;
    store::put_lot(tx, c, Some(&old), &lot)?;
    audit::record(tx, c, actor, now, "agent.cancel_remainder", format!("lot:{id}"), qty.to_string())?;
    Ok(lot)
}

/// The agent's on hand of a product: Σ over their lots of accepted − returned − sold − reserved.
pub fn on_hand(tx: &impl Read, c: CompanyId, agent: UserId, product: ProductId) -> Result<Decimal> {
    Ok(tx.get(store::HOLDINGS, (c, agent, product))?.map(|h| h.on_hand()).unwrap_or_default())
}
