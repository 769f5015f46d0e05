//! Orders (spec A12): catalogue lines with prices for a client, placed from a form or from a
//! won deal. Placing an order reserves its goods in one warehouse (`inventory::reserve`, held
//! by the order's id); cancelling releases them; completing turns the order into a sale at a
//! till — the reservation released and the goods taken by `pos::checkout::checkout`, with the
//! order's lines and prices, in the one transaction that marks the order completed.
//!
//! new → pending → completed | cancelled (new → cancelled and new → completed too). A
//! completion retried with the same idempotency key answers with the completed order; any
//! other second completion is refused.

use rust_decimal::Decimal;

use super::model::{DealLine, Event, EventKind, Order, OrderStatus};
use super::store::{self, CLIENT_ORDERS, DEAL_ORDERS, DEALS, ORDERS, ORDERS_BY_STATUS};
use super::{client_of, require_crm};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CashBoxId, ClientId, CrmDealId, OrderId, ProductId, WarehouseId};
use crate::inventory::reserve;
use crate::money::{parse_money, parse_qty};
use crate::pos::{CheckoutDraft, LineDraft as SaleLineDraft, PaymentDraft};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_optional_text;
use crate::tenancy::perms::Perm;

/// Reading and working orders.
pub fn require_orders(actor: &Actor) -> Result<()> {
    require_crm(actor)?;
    actor.require(Perm::CRM_ORDERS)
}

#[derive(Debug, Clone, Default)]
pub struct OrderLineDraft {
    pub product: u64,
    pub qty: String,
    /// Empty: the product's price.
    pub price: String,
}

#[derive(Debug, Clone, Default)]
pub struct OrderDraft {
    pub client: Option<u64>,
    pub warehouse: Option<u64>,
    pub lines: Vec<OrderLineDraft>,
    pub notes: String,
}

fn event(tx: &mut WriteTx, actor: &Actor, now: Ts, o: &Order, kind: EventKind, text: String) -> Result<()> {
    if let Some(client) = o.client {
        store::add_event(tx, actor.company, client, now, &Event { kind, user: actor.user, deal: o.deal, task: None, contact: None, text })?;
    }
    Ok(())
}

fn parse_lines(tx: &impl Read, actor: &Actor, drafts: &[OrderLineDraft], p: &mut Problems) -> Result<Vec<DealLine>> {
    let mut lines = Vec::new();
    for (i, l) in drafts.iter().enumerate() {
        let field = format!("lines[{i}]");
        let product = match crate::catalog::query::find_product(tx, actor.company, ProductId(l.product))? {
            Some(pr) if !pr.archived => Some(pr),
            _ => {
                p.push(FieldError::new(&field, "unknown_product", "Нет такого товара", "No such product"));
                None
            }
        };
        let qty = if l.qty.trim().is_empty() { Some(Decimal::ONE) } else { p.take(parse_qty(&field, &l.qty)) };
        if qty.is_some_and(|q| q <= Decimal::ZERO) {
            p.push(FieldError::new(&field, "qty_positive", "Количество больше нуля", "Quantity above zero"));
        }
        let price = match (l.price.trim(), &product) {
            ("", Some(pr)) => Some(pr.price),
            ("", None) => None,
            (raw, _) => p.take(parse_money(&field, raw, false)),
        };
        if price.is_some_and(|x| x < Decimal::ZERO) {
            p.push(FieldError::new(&field, "price_negative", "Цена не меньше нуля", "Price not below zero"));
        }
        if let (Some(pr), Some(qty), Some(price)) = (product, qty, price) {
            lines.push(DealLine { product: pr.id, name: pr.name, qty, price });
        }
    }
    if drafts.is_empty() {
        p.push(FieldError::new("lines", "required", "Добавьте хотя бы одну строку", "Add at least one line"));
    }
    if drafts.len() > 200 {
        p.push(FieldError::new("lines", "too_many_lines", "Не больше 200 строк", "At most 200 lines"));
    }
    Ok(lines)
}

/// The order and what it must reserve: writes it, reserves its goods (refused when short),
/// and records the event and the audit row.
fn place(tx: &mut WriteTx, actor: &Actor, now: Ts, mut order: Order) -> Result<Order> {
    let c = actor.company;
    let lines: Vec<_> = order.lines.iter().map(|l| (l.product, l.qty)).collect();
    reserve::reserve(tx, c, order.id.0, order.warehouse, &lines)?;
    order.number = format!("З-{:06}", tx.next_counter(c.0, "crm_order")?);
    store::put_order(tx, c, None, &order)?;
    event(tx, actor, now, &order, EventKind::OrderPlaced, format!("{} · {}", order.number, order.total))?;
    audit::record(tx, c, actor, now, "crm.order.create", format!("order:{}", order.id), format!("{} {}", order.number, order.total))?;
    Ok(order)
}

fn warehouse_of(tx: &impl Read, actor: &Actor, raw: Option<u64>, p: &mut Problems) -> Result<Option<WarehouseId>> {
    match raw {
        Some(w) if tx.get(crate::inventory::store::WAREHOUSES, (actor.company, WarehouseId(w)))?.is_some_and(|w| w.active) => {
            Ok(Some(WarehouseId(w)))
        }
        Some(_) => {
            p.push(FieldError::new("warehouse", "unknown_warehouse", "Нет такого склада", "No such warehouse"));
            Ok(None)
        }
        None => {
            p.push(FieldError::new("warehouse", "required", "Выберите склад", "Choose a warehouse"));
            Ok(None)
        }
    }
}

/// Places an order from a form: client (optional), warehouse, lines at the products' prices
/// unless given. Its goods are reserved in the same transaction.
pub fn create(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &OrderDraft) -> Result<Order> {
    require_orders(actor)?;
    actor.require_writable()?;
    let mut p = Problems::default();
    let client = match d.client {
        Some(cl) => match client_of(tx, actor, ClientId(cl)) {
            Ok(x) => Some(x.id),
            Err(Error::NotFound) => {
                p.push(FieldError::new("client", "unknown_client", "Нет такого клиента", "No such client"));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let warehouse = warehouse_of(tx, actor, d.warehouse, &mut p)?;
    let lines = parse_lines(tx, actor, &d.lines, &mut p)?;
    let notes = p.take(parse_optional_text("notes", &d.notes, 2000)).unwrap_or_default();
    p.finish()?;
    let warehouse = warehouse.ok_or_else(|| Error::Internal("order draft parsed with problems".into()))?;
    let total = lines.iter().map(DealLine::amount).sum();
    let order = Order {
        id: OrderId(tx.next_id()?),
        number: String::new(),
        status: OrderStatus::New,
        client,
        deal: None,
        warehouse,
        lines,
        total,
        notes,
        created: now,
        created_by: actor.user,
        updated: now,
        sale: None,
        completion_key: String::new(),
    };
    place(tx, actor, now, order)
}

/// "Create order" on a won deal: its client and product lines at the deal's prices. One live
/// (not cancelled) order per deal.
pub fn from_deal(tx: &mut WriteTx, actor: &Actor, now: Ts, deal: CrmDealId, warehouse: Option<u64>) -> Result<Order> {
    require_orders(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let d = super::deals::deal(tx, actor, deal)?;
    if d.status() != "won" {
        return Err(Error::refused("deal_not_won", "Заказ создаётся из выигранной сделки", "An order is made from a won deal"));
    }
    if d.lines.is_empty() {
        return Err(Error::refused("deal_no_lines", "В сделке нет товаров", "The deal has no product lines"));
    }
    for ((_, _, oid), _) in tx.list(DEAL_ORDERS, (c, deal, OrderId::MIN), (c, deal, OrderId::MAX), 100)? {
        if let Some(o) = tx.get(ORDERS, (c, oid))?
            && o.status != OrderStatus::Cancelled
        {
            return Err(Error::refused(
                "deal_has_order",
                format!("По сделке уже есть заказ {}", o.number),
                format!("The deal already has order {}", o.number),
            ));
        }
    }
    let mut p = Problems::default();
    let warehouse = warehouse_of(tx, actor, warehouse, &mut p)?;
    p.finish()?;
    let warehouse = warehouse.ok_or_else(|| Error::Internal("warehouse parsed with problems".into()))?;
    let order = Order {
        id: OrderId(tx.next_id()?),
        number: String::new(),
        status: OrderStatus::New,
        client: d.client,
        deal: Some(d.id),
        warehouse,
        total: d.lines.iter().map(DealLine::amount).sum(),
        lines: d.lines.clone(),
        notes: d.title.clone(),
        created: now,
        created_by: actor.user,
        updated: now,
        sale: None,
        completion_key: String::new(),
    };
    place(tx, actor, now, order)
}

pub fn order(tx: &impl Read, actor: &Actor, id: OrderId) -> Result<Order> {
    require_orders(actor)?;
    tx.get(ORDERS, (actor.company, id))?.ok_or(Error::NotFound)
}

fn closed(o: &Order) -> Error {
    Error::refused(
        "order_closed",
        format!("Заказ {} уже {}", o.number, if o.status == OrderStatus::Completed { "выполнен" } else { "отменён" }),
        format!("Order {} is already {}", o.number, o.status.code()),
    )
}

/// new → pending: the order is confirmed and being prepared.
pub fn confirm(tx: &mut WriteTx, actor: &Actor, now: Ts, id: OrderId) -> Result<Order> {
    require_orders(actor)?;
    actor.require_writable()?;
    let old = tx.get(ORDERS, (actor.company, id))?.ok_or(Error::NotFound)?;
    match old.status {
        OrderStatus::New => {}
        OrderStatus::Pending => return Ok(old),
        _ => return Err(closed(&old)),
    }
    let new = Order { status: OrderStatus::Pending, updated: now, ..old.clone() };
    store::put_order(tx, actor.company, Some(&old), &new)?;
    audit::record(tx, actor.company, actor, now, "crm.order.confirm", format!("order:{id}"), new.number.clone())?;
    Ok(new)
}

/// new | pending → cancelled: the reservation is released.
pub fn cancel(tx: &mut WriteTx, actor: &Actor, now: Ts, id: OrderId) -> Result<Order> {
    require_orders(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = tx.get(ORDERS, (c, id))?.ok_or(Error::NotFound)?;
    if !old.status.is_open() {
        return Err(closed(&old));
    }
    reserve::release(tx, c, id.0)?;
    let new = Order { status: OrderStatus::Cancelled, updated: now, ..old.clone() };
    store::put_order(tx, c, Some(&old), &new)?;
    event(tx, actor, now, &new, EventKind::OrderCancelled, new.number.clone())?;
    audit::record(tx, c, actor, now, "crm.order.cancel", format!("order:{id}"), new.number.clone())?;
    Ok(new)
}

#[derive(Debug, Clone, Default)]
pub struct CompleteDraft {
    /// The checkout's idempotency key; a retry sends the same one.
    pub key: String,
    pub cash_box: Option<CashBoxId>,
    pub payments: Vec<PaymentDraft>,
}

/// Completes an open order at a till: releases its reservation, checks the order's lines out
/// at their prices for its client (the cashier's open shift, payments as given), and marks it
/// completed with the sale — one transaction, so a refused checkout (short stock, no shift,
/// underpaid) leaves the order open and its stock reserved.
pub fn complete(tx: &mut WriteTx, actor: &Actor, now: Ts, id: OrderId, d: &CompleteDraft) -> Result<Order> {
    require_orders(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = tx.get(ORDERS, (c, id))?.ok_or(Error::NotFound)?;
    if old.status == OrderStatus::Completed && !old.completion_key.is_empty() && old.completion_key == d.key.trim() {
        return Ok(old);
    }
    if !old.status.is_open() {
        return Err(closed(&old));
    }
    if let Some(cb) = d.cash_box
        && crate::pos::cash_box(tx, actor, cb)?.warehouse != Some(old.warehouse)
    {
        return Err(Error::field(
            "cash_box",
            "warehouse_mismatch",
            "Касса списывает с другого склада, чем тот, где зарезервирован заказ",
            "The cash box takes goods from another warehouse than the one the order is reserved in",
        ));
    }
    reserve::release(tx, c, id.0)?;
    let draft = CheckoutDraft {
        key: d.key.clone(),
        cash_box: d.cash_box,
        lines: Some(
            old.lines
                .iter()
                .map(|l| SaleLineDraft {
                    product: Some(l.product),
                    name: l.name.clone(),
                    qty: l.qty.to_string(),
                    price: l.price.to_string(),
                    discount: String::new(),
                })
                .collect(),
        ),
        discount_percent: String::new(),
        discount_amount: String::new(),
        client: old.client,
        payments: d.payments.clone(),
    };
    let sale = crate::pos::checkout(tx, actor, now, &draft)?;
    let new = Order {
        status: OrderStatus::Completed,
        updated: now,
        sale: Some(sale.id),
        completion_key: d.key.trim().to_string(),
        ..old.clone()
    };
    store::put_order(tx, c, Some(&old), &new)?;
    event(tx, actor, now, &new, EventKind::OrderCompleted, format!("{} → {}", new.number, sale.number))?;
    audit::record(tx, c, actor, now, "crm.order.complete", format!("order:{id}"), format!("{} → sale:{}", new.number, sale.id))?;
    Ok(new)
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub client: Option<u64>,
    pub deal: Option<u64>,
    pub limit: usize,
}

/// Orders newest first, from the narrowest index the filter names.
pub fn list(tx: &impl Read, actor: &Actor, f: &OrderFilter) -> Result<Vec<Order>> {
    require_orders(actor)?;
    let c = actor.company;
    let limit = f.limit.clamp(1, 500);
    let mut ids = Vec::new();
    if let Some(cl) = f.client {
        client_of(tx, actor, ClientId(cl))?;
        tx.range(CLIENT_ORDERS, (c, ClientId(cl), OrderId::MIN), (c, ClientId(cl), OrderId::MAX), true, usize::MAX, |k, _| {
            ids.push(k.2);
            Ok(true)
        })?;
    } else if let Some(d) = f.deal {
        if tx.get(DEALS, (c, CrmDealId(d)))?.is_none() {
            return Err(Error::NotFound);
        }
        tx.range(DEAL_ORDERS, (c, CrmDealId(d), OrderId::MIN), (c, CrmDealId(d), OrderId::MAX), true, usize::MAX, |k, _| {
            ids.push(k.2);
            Ok(true)
        })?;
    } else {
        let statuses: Vec<OrderStatus> = match f.status {
            Some(s) => vec![s],
            None => OrderStatus::ALL.to_vec(),
        };
        for s in statuses {
            tx.range(ORDERS_BY_STATUS, (c, s.key(), OrderId::MIN), (c, s.key(), OrderId::MAX), true, limit, |k, _| {
                ids.push(k.2);
                Ok(true)
            })?;
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
    }
    let mut out = Vec::new();
    for id in ids {
        if let Some(o) = tx.get(ORDERS, (c, id))?
            && f.status.is_none_or(|s| o.status == s)
        {
            out.push(o);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// What an order holds reserved, per product (nothing once completed or cancelled).
pub fn reserved(tx: &impl Read, actor: &Actor, o: &Order) -> Result<Vec<(ProductId, Decimal)>> {
    require_orders(actor)?;
    Ok(reserve::of_holder(tx, actor.company, o.id.0)?.into_iter().map(|(_, p, q)| (p, q)).collect())
}
