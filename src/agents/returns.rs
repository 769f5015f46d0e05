//! Returns from an agent (spec A8 "Agent return"): created by the agent against the newest
//! single lot that can hold them, reserving that quantity while pending; approved (goods back
//! into a warehouse at the lot's cost) or rejected by an owner-like user. A decision is final:
//! repeating it changes nothing, and the other decision is refused.

use rust_decimal::Decimal;

use super::model::{AgentReturn, ReturnStatus};
use super::store::{self, LOTS, RETURNS};
use super::{acting_for, daily, feature, whole};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{AgentReturnId, DocumentId, ProductId, UserId, WarehouseId};
use crate::storage::WriteTx;
use crate::tenancy::actor::Actor;

/// Creates a pending return of `qty` of `product` by `agent`: it attaches to the newest lot
/// whose free quantity holds all of it (never split); otherwise "На руках N".
pub fn create(tx: &mut WriteTx, actor: &Actor, now: Ts, agent: UserId, product: ProductId, qty: Decimal) -> Result<AgentReturn> {
    feature(actor)?;
    actor.require_writable()?;
    acting_for(tx, actor, agent)?;
    let c = actor.company;
    let qty = whole("qty", qty).map_err(|e| Error::Validation(vec![e]))?;
    let lots = store::lots_of(tx, c, agent, product)?;
    let Some(old) = lots.iter().rev().find(|l| l.free() >= qty).cloned() else {
        let on_hand: Decimal = lots.iter().map(|l| l.free()).sum();
        return Err(Error::field("qty", "not_on_hand", format!("На руках {on_hand}"), format!("On hand: {on_hand}")));
    };
    let mut lot = old.clone();
    lot.reserved += qty;
    store::put_lot(tx, c, Some(&old), &lot)?;
    let id = AgentReturnId(tx.next_id()?);
    let r = AgentReturn {
        id,
        lot: lot.id,
        agent,
        product,
        qty,
        status: ReturnStatus::Pending,
        created: now,
        decided: None,
        warehouse: None,
        cost: Decimal::ZERO,
    };
    tx.insert(RETURNS, (c, id), &r)?;
    audit::record(tx, c, actor, now, "agent.return", format!("agent_return:{id}"), format!("lot:{} {qty}", lot.id))?;
    Ok(r)
}

/// Approves a pending return: the reserve is released, the goods leave the lot's layer into
/// `warehouse` (the lot's own when `None`) at the lot's cost, and `returned` grows. Approving
/// an approved return returns it unchanged; a rejected one is refused.
pub fn approve(tx: &mut WriteTx, actor: &Actor, now: Ts, id: AgentReturnId, warehouse: Option<WarehouseId>) -> Result<AgentReturn> {
    decide(tx, actor, now, id, Some(warehouse))
}

/// Rejects a pending return: the reserve is released, nothing moves.
pub fn reject(tx: &mut WriteTx, actor: &Actor, now: Ts, id: AgentReturnId) -> Result<AgentReturn> {
    decide(tx, actor, now, id, None)
}

fn decide(tx: &mut WriteTx, actor: &Actor, now: Ts, id: AgentReturnId, approve: Option<Option<WarehouseId>>) -> Result<AgentReturn> {
    feature(actor)?;
    actor.require_owner_like()?;
    actor.require_writable()?;
    let c = actor.company;
    let mut r = tx.get(RETURNS, (c, id))?.ok_or(Error::NotFound)?;
    let wanted = if approve.is_some() { ReturnStatus::Approved } else { ReturnStatus::Rejected };
    match r.status {
        ReturnStatus::Pending => {}
        s if s == wanted => return Ok(r),
        _ => return Err(Error::WrongState { state: r.status.code() }),
    }
    let old = tx.get(LOTS, (c, r.lot))?.ok_or_else(|| Error::Internal(format!("lot {} of return {id} is missing", r.lot)))?;
    let mut lot = old.clone();
    // The reserve is this return's own: releasing it leaves exactly what the approval may take,
    // and a sale can never have taken the reserved units.
    lot.reserved -= r.qty;
    if let Some(wh) = approve {
        let wh = wh.unwrap_or(lot.warehouse);
        if !crate::inventory::warehouse_active(tx, c, wh)? {
            return Err(Error::field("warehouse", "unknown_warehouse", "Выберите активный склад", "Choose an active warehouse"));
        }
        if lot.free() < r.qty {
            return Err(Error::field("qty", "not_on_hand", format!("На руках {}", lot.free()), format!("On hand: {}", lot.free())));
        }
        let loc = super::location_of(tx, c, r.agent)?.ok_or_else(|| Error::Internal(format!("agent {} has no location", r.agent)))?;
        let doc = DocumentId(id.0);
        r.cost = crate::inventory::consign::unconsign(tx, c, loc, r.product, (lot.created.0, lot.id.0), r.qty, wh, doc, now)?;
        lot.returned += r.qty;
        lot.last_movement = now;
        r.warehouse = Some(wh);
    }
    r.status = wanted;
    r.decided = Some((now, actor.user));
    store::put_lot(tx, c, Some(&old), &lot)?;
    tx.insert(RETURNS, (c, id), &r)?;
    if r.status == ReturnStatus::Approved {
        let tz = crate::tenancy::timezone(tx, c)?;
        let mut day = daily::Projection::default();
        day.returned(c, &tz, &r);
        day.store(tx)?;
    }
    audit::record(tx, c, actor, now, "agent.return_decide", format!("agent_return:{id}"), r.status.code().into())?;
    Ok(r)
}
