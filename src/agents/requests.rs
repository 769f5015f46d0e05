//! Agents' request carts (spec A8 AgentRequestCart): the agent asks for goods, an owner-like
//! user approves or rejects.
//!
//! - **States**: draft → submitted → approved | rejected. Items (whole quantities ≥ 1, one line
//!   per product) change only in a draft; the client may be set only in a draft.
//! - **Gifts**: submit computes each item's gift from the promo rules (`catalog::promo`, at the
//!   company-local day and the cart's branch) and snapshots the product's price; approve does
//!   both again, so a rule changed in between counts as of the decision.
//! - **Approve** requires stock for every item's total (requested + gift) in the chosen
//!   warehouse, then makes one `agents::transfer` with `accept: true` (the seed's sawmill lots)
//!   and the reference "request:ID": per item a lot of the requested units at the snapshot
//!   price and, when there is a gift, a separate lot of the gift units at price 0 — both at
//!   their real FIFO cost. Each item names its lots.
//! - **Reject** moves nothing. Repeating a decision returns the request unchanged; the other
//!   decision on a decided request is refused (`wrong_state`).
//! - Rights: the feature `agents`; the cart is its agent's (a user holding `Perm::AGENT`);
//!   deciding and reading everyone's carts is for owner-like users and holders of
//!   `Perm::REQUEST` (approval also needs the stock right `transfer` asks for).

use rust_decimal::Decimal;

use super::request_store::{self, AgentRequest, RequestItem, RequestStatus, put_request};
use super::{TransferDraft, TransferItem, feature, is_agent};
use crate::audit;
use crate::catalog::model::Kind;
use crate::catalog::promo;
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, Result, Shortage};
use crate::ids::{AgentRequestId, ClientId, CompanyId, ProductId, WarehouseId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::perms::Perm;

/// The request is not in the state the operation needs (409 `wrong_state`).
fn wrong_state(s: RequestStatus) -> Error {
    let (ru, en) = match s {
        RequestStatus::Draft => ("черновик", "a draft"),
        RequestStatus::Submitted => ("отправлена", "submitted"),
        RequestStatus::Approved => ("одобрена", "approved"),
        RequestStatus::Rejected => ("отклонена", "rejected"),
    };
    Error::refused("wrong_state", format!("Заявка уже: {ru}"), format!("The request is {en}"))
}

/// Whether the actor decides requests and reads everyone's.
pub fn manages(actor: &Actor) -> bool {
    actor.owner_like() || actor.perms.has(Perm::REQUEST)
}

fn require_manager(actor: &Actor) -> Result<()> {
    if manages(actor) { Ok(()) } else { Err(Error::Forbidden { permission: Perm::REQUEST.code() }) }
}

/// The actor must be an agent of the company to build a cart.
fn require_agent(tx: &impl Read, actor: &Actor) -> Result<()> {
    if !actor.perms.has(Perm::AGENT) || !is_agent(tx, actor.company, actor.user)? {
        return Err(Error::Forbidden { permission: Perm::AGENT.code() });
    }
    Ok(())
}

/// A request the actor may see: their own, or any for a manager; another's is `NotFound`.
pub fn get(tx: &impl Read, actor: &Actor, id: AgentRequestId) -> Result<AgentRequest> {
    feature(actor)?;
    let r = request_store::request(tx, actor.company, id)?.ok_or(Error::NotFound)?;
    if r.agent != actor.user && !manages(actor) {
        return Err(Error::NotFound);
    }
    Ok(r)
}

/// The actor's own carts (an agent), or every cart (a manager), newest first, optionally of
/// one status; at most `limit`.
pub fn list(tx: &impl Read, actor: &Actor, status: Option<RequestStatus>, limit: usize) -> Result<Vec<AgentRequest>> {
    feature(actor)?;
    let c = actor.company;
    let mut out = Vec::new();
    if manages(actor) {
        tx.range(request_store::REQUESTS, (c, AgentRequestId::MIN), (c, AgentRequestId::MAX), true, usize::MAX, |_, r| {
            if status.is_none_or(|s| s == r.status) {
                out.push(r);
            }
            Ok(out.len() < limit)
        })?;
        return Ok(out);
    }
    require_agent(tx, actor)?;
    let ids =
        tx.list(request_store::AGENT_REQUESTS, (c, actor.user, AgentRequestId::MIN), (c, actor.user, AgentRequestId::MAX), usize::MAX)?;
    for ((_, _, id), _) in ids.into_iter().rev() {
        if let Some(r) = request_store::request(tx, c, id)?
            && status.is_none_or(|s| s == r.status)
        {
            out.push(r);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

fn check_client(tx: &impl Read, c: CompanyId, client: Option<ClientId>) -> Result<()> {
    if let Some(id) = client {
        match tx.get(crate::clients::store::CLIENTS, (c.0, id.0))? {
            Some(cl) if !cl.archived => {}
            _ => return Err(Error::field("client", "unknown", "Нет такого клиента", "No such client")),
        }
    }
    Ok(())
}

/// A new empty draft of the acting agent, for an optional client.
pub fn create(tx: &mut WriteTx, actor: &Actor, now: Ts, client: Option<ClientId>) -> Result<AgentRequest> {
    feature(actor)?;
    actor.require_writable()?;
    require_agent(tx, actor)?;
    check_client(tx, actor.company, client)?;
    let r = AgentRequest {
        id: AgentRequestId(tx.next_id()?),
        agent: actor.user,
        client,
        branch: match actor.branch {
            BranchScope::Branch(b) => Some(b),
            BranchScope::Company => None,
        },
        status: RequestStatus::Draft,
        items: Vec::new(),
        created: now,
        updated: now,
        submitted: None,
        decided: None,
        warehouse: None,
        reason: String::new(),
    };
    put_request(tx, actor.company, &r)?;
    audit::record(tx, actor.company, actor, now, "agent_request.create", format!("agent_request:{}", r.id), String::new())?;
    Ok(r)
}

/// A change to a draft's items or client.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Adds units of a product (a new line, or more on its line).
    Add {
        product: ProductId,
        qty: Decimal,
    },
    /// Sets a product's line to this quantity.
    Set {
        product: ProductId,
        qty: Decimal,
    },
    Remove {
        product: ProductId,
    },
    Client(Option<ClientId>),
}

fn whole(qty: Decimal) -> Result<u64> {
    let q = super::whole("qty", qty).map_err(|e| Error::Validation(vec![e]))?;
    u64::try_from(q.mantissa())
        .ok()
        .filter(|n| *n <= 1_000_000 && q.scale() == 0)
        .ok_or_else(|| Error::field("qty", "whole_qty", "Не больше 1 000 000 штук", "At most 1,000,000 units"))
}

fn check_product(tx: &impl Read, c: CompanyId, product: ProductId) -> Result<()> {
    match tx.get(PRODUCTS, (c.0, product.0))? {
        Some(p) if p.kind == Kind::Goods && !p.archived => Ok(()),
        _ => Err(Error::field("product", "unknown_product", "Нет такого товара", "No such product")),
    }
}

/// Loads the actor's own draft for a change: another's is `NotFound`, a decided or submitted
/// one is `wrong_state`.
fn own_draft(tx: &impl Read, actor: &Actor, id: AgentRequestId) -> Result<AgentRequest> {
    let r = request_store::request(tx, actor.company, id)?.ok_or(Error::NotFound)?;
    if r.agent != actor.user {
        return Err(Error::NotFound);
    }
    if r.status != RequestStatus::Draft {
        return Err(wrong_state(r.status));
    }
    Ok(r)
}

/// Changes a draft's items or client (the agent's own draft only).
pub fn edit(tx: &mut WriteTx, actor: &Actor, now: Ts, id: AgentRequestId, e: &Edit) -> Result<AgentRequest> {
    feature(actor)?;
    actor.require_writable()?;
    require_agent(tx, actor)?;
    let c = actor.company;
    let mut r = own_draft(tx, actor, id)?;
    let line = |r: &AgentRequest, p: ProductId| r.items.iter().position(|i| i.product == p);
    match e {
        Edit::Add { product, qty } => {
            let qty = whole(*qty)?;
            check_product(tx, c, *product)?;
            match line(&r, *product) {
                Some(i) if r.items[i].qty + qty > 1_000_000 => {
                    return Err(Error::field("qty", "whole_qty", "Не больше 1 000 000 штук", "At most 1,000,000 units"));
                }
                Some(i) => r.items[i].qty += qty,
                None if r.items.len() >= 500 => {
                    return Err(Error::field("product", "too_many", "Не больше 500 товаров в заявке", "At most 500 products in a request"));
                }
                None => r.items.push(RequestItem { product: *product, qty, gift: 0, price: Decimal::ZERO, lots: Vec::new() }),
            }
        }
        Edit::Set { product, qty } => {
            let qty = whole(*qty)?;
            let i = line(&r, *product).ok_or(Error::NotFound)?;
            r.items[i].qty = qty;
        }
        Edit::Remove { product } => {
            let i = line(&r, *product).ok_or(Error::NotFound)?;
            r.items.remove(i);
        }
        Edit::Client(client) => {
            check_client(tx, c, *client)?;
            r.client = *client;
        }
    }
    r.updated = now;
    put_request(tx, c, &r)?;
    Ok(r)
}

/// Gifts and price snapshots for every item, as of `now`.
fn price_and_gifts(tx: &impl Read, c: CompanyId, now: Ts, r: &mut AgentRequest) -> Result<()> {
    let rules = promo::rules(tx, c)?;
    let day = promo::today(tx, c, now)?;
    for it in &mut r.items {
        let product = tx.get(PRODUCTS, (c.0, it.product.0))?.ok_or(Error::NotFound)?;
        let facts = promo::Facts { product: it.product, brand: product.brand, category: product.category };
        it.gift = promo::gift_of(&rules, &facts, it.qty, day, r.branch);
        it.price = product.price;
    }
    Ok(())
}

/// The agent sends a non-empty draft: gifts computed, prices snapshotted.
pub fn submit(tx: &mut WriteTx, actor: &Actor, now: Ts, id: AgentRequestId) -> Result<AgentRequest> {
    feature(actor)?;
    actor.require_writable()?;
    require_agent(tx, actor)?;
    let c = actor.company;
    let mut r = own_draft(tx, actor, id)?;
    if r.items.is_empty() {
        return Err(Error::refused("request_empty", "Добавьте в заявку хотя бы один товар", "Add at least one product to the request"));
    }
    price_and_gifts(tx, c, now, &mut r)?;
    r.status = RequestStatus::Submitted;
    r.submitted = Some(now);
    r.updated = now;
    put_request(tx, c, &r)?;
    let gifts: u64 = r.items.iter().map(|i| i.gift).sum();
    audit::record(
        tx,
        c,
        actor,
        now,
        "agent_request.submit",
        format!("agent_request:{id}"),
        format!("{} items, {gifts} gift units", r.items.len()),
    )?;
    Ok(r)
}

/// Approves a submitted request from `warehouse`: gifts again, stock for every total, one
/// transfer of accepted lots, each item linked to its lots. Approving again returns it as is.
pub fn approve(tx: &mut WriteTx, actor: &Actor, now: Ts, id: AgentRequestId, warehouse: WarehouseId) -> Result<AgentRequest> {
    feature(actor)?;
    require_manager(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let mut r = request_store::request(tx, c, id)?.ok_or(Error::NotFound)?;
    match r.status {
        RequestStatus::Approved => return Ok(r),
        RequestStatus::Submitted => {}
        other => return Err(wrong_state(other)),
    }
    if !crate::inventory::warehouse_active(tx, c, warehouse)? {
        return Err(Error::field("warehouse", "unknown_warehouse", "Выберите активный склад", "Choose an active warehouse"));
    }
    price_and_gifts(tx, c, now, &mut r)?;
    let mut short = Vec::new();
    for it in &r.items {
        let have = crate::inventory::query::balance(tx, c, warehouse, it.product)?.qty;
        let need = Decimal::from(it.total());
        if have < need {
            let name = tx.get(PRODUCTS, (c.0, it.product.0))?.map(|p| p.name).unwrap_or_default();
            let wname = crate::inventory::query::warehouse(tx, c, warehouse).map(|w| w.name).unwrap_or_default();
            short.push(Shortage { product: name, warehouse: wname, available: have.max(Decimal::ZERO), needed: need });
        }
    }
    if !short.is_empty() {
        return Err(Error::OutOfStock(short));
    }
    let mut items = Vec::with_capacity(r.items.len() * 2);
    for it in &r.items {
        items.push(TransferItem { product: it.product, qty: Decimal::from(it.qty), price: it.price, accept: true });
        if it.gift > 0 {
            items.push(TransferItem { product: it.product, qty: Decimal::from(it.gift), price: Decimal::ZERO, accept: true });
        }
    }
    let draft = TransferDraft { agent: r.agent, warehouse, items, external_ref: Some(r.source()), source: r.source() };
    let lots = super::transfer(tx, actor, now, &draft)?;
    let mut made = lots.into_iter();
    for it in &mut r.items {
        it.lots = made.by_ref().take(if it.gift > 0 { 2 } else { 1 }).map(|l| l.id).collect();
    }
    r.status = RequestStatus::Approved;
    r.decided = Some((now, actor.user));
    r.warehouse = Some(warehouse);
    r.updated = now;
    put_request(tx, c, &r)?;
    audit::record(tx, c, actor, now, "agent_request.approve", format!("agent_request:{id}"), format!("warehouse:{warehouse}"))?;
    Ok(r)
}

/// Rejects a submitted request; nothing moves. Rejecting again returns it as is.
pub fn reject(tx: &mut WriteTx, actor: &Actor, now: Ts, id: AgentRequestId, reason: &str) -> Result<AgentRequest> {
    feature(actor)?;
    require_manager(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let mut r = request_store::request(tx, c, id)?.ok_or(Error::NotFound)?;
    match r.status {
        RequestStatus::Rejected => return Ok(r),
        RequestStatus::Submitted => {}
        other => return Err(wrong_state(other)),
    }
    let reason = crate::tenancy::model::parse_optional_text("reason", reason, 500).map_err(|e| Error::Validation(vec![e]))?;
    r.status = RequestStatus::Rejected;
    r.decided = Some((now, actor.user));
    r.reason = reason.clone();
    r.updated = now;
    put_request(tx, c, &r)?;
    audit::record(tx, c, actor, now, "agent_request.reject", format!("agent_request:{id}"), reason)?;
    Ok(r)
}
