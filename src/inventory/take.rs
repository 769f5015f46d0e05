//! Stock taken by a sale and put back by its return: the one door through which the till (and
//! later field agents and the cafe) moves stock. It owns what a sale must not know: bundles
//! taken as their components, the warehouse's balances, the closed period, negative stock, and
//! the FIFO cost each line leaves with.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{Intent, MoveKey, MoveKind, Settings};
use super::store::{self, Ledger, MOVES, WAREHOUSES, move_key};
use super::{blank_move, recost_with};
use crate::catalog::model::Kind;
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, Result, Shortage};
use crate::ids::{CompanyId, DocumentId, ProductId, WarehouseId};
use crate::money::{round_money, round_qty};
use crate::storage::WriteTx;

/// One line of a sale as stock sees it: a catalog product (or a custom item, `None`) and the
/// quantity sold.
#[derive(Debug, Clone, Copy)]
pub struct SaleItem {
    pub product: Option<ProductId>,
    pub qty: Decimal,
}

/// What one line took (or put back): its movements and their FIFO cost, positive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Taken {
    pub moves: Vec<MoveKey>,
    pub cost: Decimal,
}

/// Takes a sale's goods out of `warehouse` at `now`, in one pass for all lines so every short
/// product is named at once. Goods are taken as themselves, bundles as their components,
/// services not at all. Refused without a warehouse when anything is stocked, inside a closed
/// period, or short of stock unless the company allows negative stock. Returns one [`Taken`]
/// per line, in order; `doc` is the sale the movements belong to.
pub fn take_for_sale(
    tx: &mut WriteTx,
    c: CompanyId,
    warehouse: Option<WarehouseId>,
    doc: DocumentId,
    items: &[SaleItem],
    now: Ts,
) -> Result<Vec<Taken>> {
    let takes = components(tx, c, items)?;
    let mut needed: BTreeMap<ProductId, Decimal> = BTreeMap::new();
    for (pid, q) in takes.iter().flatten() {
        *needed.entry(*pid).or_default() += *q;
    }
    let wh = match warehouse {
        Some(wh) => wh,
        None if needed.is_empty() => return Ok(vec![Taken::default(); items.len()]),
        None => {
            return Err(Error::refused(
                "no_warehouse",
                "У кассы не указан склад для списания товара",
                "The cash box has no warehouse to take goods from",
            ));
        }
    };
    let settings = store::settings(tx, c)?;
    if !needed.is_empty() {
        check_sale_period(&settings, now)?;
    }
    let mut new_moves = Vec::with_capacity(takes.len());
    for t in &takes {
        let mut keys = Vec::with_capacity(t.len());
        for (pid, q) in t {
            let mid = tx.next_id()?;
            keys.push((MoveKey { warehouse: wh, product: *pid, date: now.0, order: mid, id: mid }, *q));
        }
        new_moves.push(keys);
    }

    // Stock reserved for orders is not for sale: only what is available may be taken.
    let mut reserved = BTreeMap::new();
    for pid in needed.keys() {
        reserved.insert(*pid, super::reserve::reserved(tx, c, wh, *pid)?);
    }
    let mut l = Ledger::open(tx, c)?;
    if !settings.allow_negative && !needed.is_empty() {
        let mut short = Vec::new();
        for (pid, need) in &needed {
            let on_hand = l.balances.get((c, wh, *pid))?.map(|b| b.qty).unwrap_or_default();
            let have = on_hand - reserved.get(pid).copied().unwrap_or_default();
            if have < *need {
                short.push((*pid, have, *need));
            }
        }
        if !short.is_empty() {
            let warehouse = tx.get(WAREHOUSES, (c, wh))?.map(|w| w.name).unwrap_or_default();
            let mut named = Vec::with_capacity(short.len());
            for (pid, available, needed) in short {
                let product = l.products.get((c.0, pid.0))?.map(|p| p.name).unwrap_or_default();
                named.push(Shortage { product, warehouse: warehouse.clone(), available, needed });
            }
            return Err(Error::OutOfStock(named));
        }
    }
    let mut starts: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)> = BTreeMap::new();
    for (key, q) in new_moves.iter().flatten() {
        l.put_new_move(key, &blank_move(key.id, doc, MoveKind::Sale, Intent::Out { qty: *q }, None))?;
        starts.entry((key.warehouse, key.product)).or_insert((key.date, key.order, key.id));
    }
    recost_with(tx, &mut l, starts, &settings)?;
    let mut out = Vec::with_capacity(new_moves.len());
    for keys in new_moves {
        let mut cost = Decimal::ZERO;
        for (k, _) in &keys {
            cost -= l.moves.get(move_key(c, k))?.map(|m| m.value).unwrap_or_default();
        }
        out.push(Taken { moves: keys.into_iter().map(|(k, _)| k).collect(), cost });
    }
    Ok(out)
}

/// What each line takes from stock: the product itself, a bundle's components scaled by the
/// quantity, nothing for a service or a custom item.
fn components(tx: &WriteTx, c: CompanyId, items: &[SaleItem]) -> Result<Vec<Vec<(ProductId, Decimal)>>> {
    let products = tx.open(PRODUCTS)?;
    let mut takes = Vec::with_capacity(items.len());
    for item in items {
        let mut t = Vec::new();
        if let Some(pid) = item.product
            && let Some(prod) = products.get((c.0, pid.0))?
        {
            match prod.kind {
                Kind::Goods => t.push((pid, item.qty)),
                Kind::Bundle => t.extend(prod.components.iter().map(|comp| (comp.product, round_qty(comp.qty * item.qty)))),
                Kind::Service => {}
            }
        }
        takes.push(t);
    }
    Ok(takes)
}

/// A sale or a return is dated now, so only a period closed up to now (or later) refuses it.
fn check_sale_period(settings: &Settings, now: Ts) -> Result<()> {
    match settings.locked_until {
        Some(until) if now <= until => Err(Error::PeriodClosed { until: until.rfc3339() }),
        _ => Ok(()),
    }
}

/// Part of a sale line coming back: the movements the line took and the share returned,
/// `qty` of the line's `of`.
#[derive(Debug, Clone, Copy)]
pub struct ReturnItem<'a> {
    pub moves: &'a [MoveKey],
    pub qty: Decimal,
    pub of: Decimal,
}

/// Puts returned goods back where the sale took them, at the cost they left with (the same
/// share of each original movement), dated `now`. Refused inside a closed period. Returns one
/// [`Taken`] per item, its cost being the value that came back.
pub fn put_back_for_return(tx: &mut WriteTx, c: CompanyId, doc: DocumentId, items: &[ReturnItem<'_>], now: Ts) -> Result<Vec<Taken>> {
    let settings = store::settings(tx, c)?;
    check_sale_period(&settings, now)?;
    let mut backs: Vec<Vec<(MoveKey, Decimal, Decimal)>> = Vec::with_capacity(items.len());
    {
        let mut originals = Vec::with_capacity(items.len());
        let moves = tx.open(MOVES)?;
        for item in items {
            let mut shares = Vec::with_capacity(item.moves.len());
            for k in item.moves {
                let Some(orig) = moves.get(move_key(c, k))? else { continue };
                let Intent::Out { qty: out_qty } = orig.intent else { continue };
                shares.push((*k, round_qty(out_qty * item.qty / item.of), round_money(-orig.value * item.qty / item.of)));
            }
            originals.push(shares);
        }
        drop(moves);
        for shares in originals {
            let mut line = Vec::with_capacity(shares.len());
            for (k, qty, amount) in shares {
                let mid = tx.next_id()?;
                line.push((MoveKey { warehouse: k.warehouse, product: k.product, date: now.0, order: mid, id: mid }, qty, amount));
            }
            backs.push(line);
        }
    }
    let mut l = Ledger::open(tx, c)?;
    let mut starts: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)> = BTreeMap::new();
    let mut out = Vec::with_capacity(backs.len());
    for line in backs {
        let mut taken = Taken::default();
        for (key, qty, amount) in line {
            l.put_new_move(&key, &blank_move(key.id, doc, MoveKind::SaleReturn, Intent::In { qty, amount }, None))?;
            starts.entry((key.warehouse, key.product)).or_insert((key.date, key.order, key.id));
            taken.moves.push(key);
            taken.cost += amount;
        }
        out.push(taken);
    }
    recost_with(tx, &mut l, starts, &settings)?;
    Ok(out)
}
