//! Stock held on consignment at a location that is not a warehouse (a field agent's): the one
//! door through which agents move stock. A consignee's location is a warehouse id with no
//! `WAREHOUSES` row, so no document, picker or cash box can name it; its movements live in the
//! same ledger, so `verify` (and `dukan check`) replays them with everything else.
//!
//! Each consignment's inbound movement creates one cost layer keyed `(date, movement id)`: the
//! caller's lot. Everything that later leaves or re-enters the location names its layers
//! (`Intent::Take` / `Intent::Restore`), so the caller's allocation, not the engine's FIFO,
//! decides which lot goods come from — and the cost that leaves is exactly that lot's.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{Intent, MoveKey, MoveKind, Pick};
use super::store::{self, Ledger, WAREHOUSES, move_key};
use super::{blank_move, recost_with};
use crate::clock::Ts;
use crate::error::{Error, Result, Shortage};
use crate::ids::{CompanyId, DocumentId, ProductId, WarehouseId};
use crate::storage::WriteTx;

/// What one consigned item became: the inbound movement (its id is the layer's, the lot's)
/// and the cost that travelled with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Consigned {
    pub layer_date: i64,
    pub layer: u64,
    pub cost: Decimal,
}

/// Goods of one product leaving (or re-entering) a consignee's named layers.
#[derive(Debug, Clone)]
pub struct LayerMove {
    pub product: ProductId,
    pub picks: Vec<Pick>,
}

fn check_period(tx: &WriteTx, c: CompanyId, now: Ts) -> Result<super::model::Settings> {
    let settings = store::settings(tx, c)?;
    match settings.locked_until {
        Some(until) if now <= until => Err(Error::PeriodClosed { until: until.rfc3339() }),
        _ => Ok(settings),
    }
}

/// Moves `items` from warehouse `from` to the consignee's location `to` at `now`, one pair of
/// movements per item: FIFO out of the warehouse, one new layer in. Refused when the warehouse
/// holds less than asked — whatever the negative-stock setting, since a lot's cost must come
/// from real layers — naming every short product.
pub fn consign(
    tx: &mut WriteTx,
    c: CompanyId,
    from: WarehouseId,
    to: WarehouseId,
    doc: DocumentId,
    items: &[(ProductId, Decimal)],
    now: Ts,
) -> Result<Vec<Consigned>> {
    let settings = check_period(tx, c, now)?;
    let mut needed: BTreeMap<ProductId, Decimal> = BTreeMap::new();
    for (p, q) in items {
        *needed.entry(*p).or_default() += *q;
    }
    let mut keys = Vec::with_capacity(items.len());
    for (p, _) in items {
        let (out, inn) = (tx.next_id()?, tx.next_id()?);
        keys.push((
            MoveKey { warehouse: from, product: *p, date: now.0, order: out, id: out },
            MoveKey { warehouse: to, product: *p, date: now.0, order: inn, id: inn },
        ));
    }
    let warehouse_name = tx.get(WAREHOUSES, (c, from))?.map(|w| w.name).unwrap_or_default();
    let mut l = Ledger::open(tx, c)?;
    let mut short = Vec::new();
    for (p, need) in &needed {
        let have = l.balances.get((c, from, *p))?.map(|b| b.qty).unwrap_or_default();
        if have < *need {
            let product = l.products.get((c.0, p.0))?.map(|p| p.name).unwrap_or_default();
            short.push(Shortage { product, warehouse: warehouse_name.clone(), available: have.max(Decimal::ZERO), needed: *need });
        }
    }
    if !short.is_empty() {
        return Err(Error::OutOfStock(short));
    }
    let mut starts: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)> = BTreeMap::new();
    for ((out, inn), (_, q)) in keys.iter().zip(items) {
        l.put_new_move(inn, &blank_move(inn.id, doc, MoveKind::AgentIn, Intent::In { qty: *q, amount: Decimal::ZERO }, Some(*out)))?;
        l.put_new_move(out, &blank_move(out.id, doc, MoveKind::ToAgent, Intent::Out { qty: *q }, Some(*inn)))?;
        starts.entry((from, out.product)).or_insert((out.date, out.order, out.id));
        starts.entry((to, inn.product)).or_insert((inn.date, inn.order, inn.id));
    }
    recost_with(tx, &mut l, starts, &settings)?;
    let mut out = Vec::with_capacity(keys.len());
    for (_, inn) in &keys {
        let cost = l.moves.get(move_key(c, inn))?.map(|m| m.value).unwrap_or_default();
        out.push(Consigned { layer_date: inn.date, layer: inn.id, cost });
    }
    Ok(out)
}

/// Takes goods out of the consignee's named layers (an agent sale): one movement per item,
/// returned with the cost of each pick, in order. Refused if a layer holds less than picked.
pub fn take_from_layers(
    tx: &mut WriteTx,
    c: CompanyId,
    location: WarehouseId,
    doc: DocumentId,
    items: &[LayerMove],
    now: Ts,
) -> Result<Vec<(MoveKey, Vec<Decimal>)>> {
    let settings = check_period(tx, c, now)?;
    write_picks(tx, c, location, doc, items, now, &settings, MoveKind::AgentSale)
}

/// Puts goods back into the consignee's named layers at the picks' amounts (an agent sale's
/// return): one movement per item.
pub fn restore_layers(
    tx: &mut WriteTx,
    c: CompanyId,
    location: WarehouseId,
    doc: DocumentId,
    items: &[LayerMove],
    now: Ts,
) -> Result<Vec<(MoveKey, Vec<Decimal>)>> {
    let settings = check_period(tx, c, now)?;
    write_picks(tx, c, location, doc, items, now, &settings, MoveKind::AgentSaleReturn)
}

#[allow(clippy::too_many_arguments)]
fn write_picks(
    tx: &mut WriteTx,
    c: CompanyId,
    location: WarehouseId,
    doc: DocumentId,
    items: &[LayerMove],
    now: Ts,
    settings: &super::model::Settings,
    kind: MoveKind,
) -> Result<Vec<(MoveKey, Vec<Decimal>)>> {
    let mut keys = Vec::with_capacity(items.len());
    for it in items {
        let id = tx.next_id()?;
        keys.push(MoveKey { warehouse: location, product: it.product, date: now.0, order: id, id });
    }
    let mut l = Ledger::open(tx, c)?;
    let mut starts: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)> = BTreeMap::new();
    for (k, it) in keys.iter().zip(items) {
        let intent = match kind {
            MoveKind::AgentSaleReturn => Intent::Restore { picks: it.picks.clone() },
            _ => Intent::Take { picks: it.picks.clone() },
        };
        l.put_new_move(k, &blank_move(k.id, doc, kind, intent, None))?;
        starts.entry((location, k.product)).or_insert((k.date, k.order, k.id));
    }
    recost_with(tx, &mut l, starts, settings)?;
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let m = l.moves.get(move_key(c, &k))?.ok_or_else(|| Error::Internal(format!("movement {} vanished", k.id)))?;
        out.push((k, m.effects.iter().map(|e| e.da.abs()).collect()));
    }
    Ok(out)
}

/// Moves `qty` out of one of the consignee's layers back into warehouse `to` at that layer's
/// cost (an approved return): a pair of movements. Returns the cost that came back.
#[allow(clippy::too_many_arguments)]
pub fn unconsign(
    tx: &mut WriteTx,
    c: CompanyId,
    location: WarehouseId,
    product: ProductId,
    layer: (i64, u64),
    qty: Decimal,
    to: WarehouseId,
    doc: DocumentId,
    now: Ts,
) -> Result<Decimal> {
    let settings = check_period(tx, c, now)?;
    let (out, inn) = (tx.next_id()?, tx.next_id()?);
    let out = MoveKey { warehouse: location, product, date: now.0, order: out, id: out };
    let inn = MoveKey { warehouse: to, product, date: now.0, order: inn, id: inn };
    let mut l = Ledger::open(tx, c)?;
    let pick = Pick { layer_date: layer.0, layer: layer.1, qty, amount: Decimal::ZERO };
    l.put_new_move(&out, &blank_move(out.id, doc, MoveKind::FromAgent, Intent::Take { picks: vec![pick] }, Some(inn)))?;
    l.put_new_move(&inn, &blank_move(inn.id, doc, MoveKind::AgentReturnIn, Intent::In { qty, amount: Decimal::ZERO }, Some(out)))?;
    let mut starts: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)> = BTreeMap::new();
    starts.insert((location, product), (out.date, out.order, out.id));
    starts.insert((to, product), (inn.date, inn.order, inn.id));
    recost_with(tx, &mut l, starts, &settings)?;
    Ok(l.moves.get(move_key(c, &inn))?.map(|m| m.value).unwrap_or_default())
}

/// The open layer of a consignee's lot: `(qty, amount)`, zero when drained.
pub fn layer(
    tx: &impl crate::storage::Read,
    c: CompanyId,
    location: WarehouseId,
    product: ProductId,
    key: (i64, u64),
) -> Result<(Decimal, Decimal)> {
    let l = tx.get(store::LAYERS, (c, location, product, store::date_key(key.0), key.1))?;
    Ok(l.map(|l| (l.qty, l.amount)).unwrap_or_default())
}
