//! Inventory tables, the storage-backed layers of one item, `recost` (the engine run against
//! the data file), and `verify`, which replays every item from scratch and compares.

use rust_decimal::Decimal;

use super::engine::{self, Failure, Layers, Policy, Refusal};
use super::model::{Balance, Document, Intent, Layer, Move, MoveKey, MoveKind, Settings, Warehouse};
use crate::ids::{CompanyId, ProductId, WarehouseId};
use crate::storage::{ReadTx, StorageError, Table, TableInfo, WriteTx};

pub const WAREHOUSES: Table<(u64, u64), Warehouse> = Table::new("company_warehouseid_warehouse");
pub const DOCUMENTS: Table<(u64, u64), Document> = Table::new("company_documentid_document");
pub const MOVES: Table<(u64, u64, u64, u64, u64, u64), Move> = Table::new("company_wh_product_date_order_id_move");
pub const LAYERS: Table<(u64, u64, u64, u64, u64), Layer> = Table::new("company_wh_product_date_id_layer");
pub const BALANCES: Table<(u64, u64, u64), Balance> = Table::new("company_wh_product_balance");
pub const SETTINGS: Table<u64, Settings> = Table::new("companyid_inventorysettings");

pub fn tables() -> Vec<TableInfo> {
    vec![
        WAREHOUSES.info("(CompanyId, WarehouseId)", "warehouses (branch or company-wide)"),
        DOCUMENTS.info("(CompanyId, DocumentId)", "stock documents: drafts, posted, cancelled (never deleted once posted)"),
        MOVES.info(
            "(CompanyId, WarehouseId, ProductId, date_ms, order, move id)",
            "the stock movement ledger; append-only intents, costs recomputed on back-dated postings",
        ),
        LAYERS.info("(CompanyId, WarehouseId, ProductId, date_ms, layer id)", "open FIFO cost layers (deficit layers negative)"),
        BALANCES.info("(CompanyId, WarehouseId, ProductId)", "stock on hand and value at cost: projection of the ledger"),
        SETTINGS.info("CompanyId", "inventory settings: negative stock, closed period"),
    ]
}

/// Dates are stored as unsigned milliseconds; documents before 1970 are refused at the edge.
pub fn date_key(date_ms: i64) -> u64 {
    date_ms.max(0) as u64
}

pub fn move_key(c: CompanyId, k: &MoveKey) -> (u64, u64, u64, u64, u64, u64) {
    (c.0, k.warehouse.0, k.product.0, date_key(k.date), k.order, k.id)
}

/// The layers of one item in the data file.
pub struct StoredLayers<'a> {
    pub tx: &'a mut WriteTx,
    pub c: u64,
    pub wh: u64,
    pub p: u64,
}

impl Layers for StoredLayers<'_> {
    type Err = StorageError;

    fn open(&self) -> Result<engine::OpenLayers, StorageError> {
        let rows = self.tx.list(LAYERS, (self.c, self.wh, self.p, 0, 0), (self.c, self.wh, self.p, u64::MAX, u64::MAX), usize::MAX)?;
        Ok(rows.into_iter().map(|((_, _, _, d, id), l)| ((d as i64, id), l)).collect())
    }

    fn adjust(&mut self, key: (i64, u64), dq: Decimal, da: Decimal) -> Result<(), StorageError> {
        let k = (self.c, self.wh, self.p, date_key(key.0), key.1);
        let mut l = self.tx.get(LAYERS, k)?.unwrap_or(Layer { qty: Decimal::ZERO, amount: Decimal::ZERO });
        l.qty += dq;
        l.amount += da;
        if l.qty.is_zero() && l.amount.is_zero() {
            self.tx.remove(LAYERS, k)?;
        } else {
            self.tx.insert(LAYERS, k, &l)?;
        }
        Ok(())
    }
}

/// A transfer-out whose cost changed: its partner transfer-in must take the new amount.
pub struct PartnerChange {
    pub partner: MoveKey,
    pub amount: Decimal,
}

/// Re-applies one item's movements from `from` (its `(date, order, id)`) on: undo the later
/// movements, redo them in order, write them and the balance back.
pub fn recost(
    tx: &mut WriteTx,
    c: CompanyId,
    wh: WarehouseId,
    p: ProductId,
    from: (i64, u64, u64),
    policy: Policy,
) -> Result<Result<Vec<PartnerChange>, Refusal>, StorageError> {
    let lo = (c.0, wh.0, p.0, date_key(from.0), from.1, from.2);
    let hi = (c.0, wh.0, p.0, u64::MAX, u64::MAX, u64::MAX);
    let mut moves = tx.list(MOVES, lo, hi, usize::MAX)?;
    let mut prev: Option<Move> = None;
    tx.range(MOVES, (c.0, wh.0, p.0, 0, 0, 0), lo, true, 2, |k, m| {
        if k != lo && prev.is_none() {
            prev = Some(m);
            return Ok(false);
        }
        Ok(true)
    })?;
    let old_values: Vec<Decimal> = moves.iter().map(|(_, m)| m.value).collect();
    {
        let mut layers = StoredLayers { tx, c: c.0, wh: wh.0, p: p.0 };
        for (_, m) in moves.iter().rev() {
            engine::undo(&mut layers, m)?;
        }
    }
    let (mut q, mut v) = prev.as_ref().map(|m| (m.qty_after, m.value_after)).unwrap_or_default();
    let mut changes = Vec::new();
    // Indexing, not iterating: the movement before is borrowed while this one is rewritten.
    #[allow(clippy::needless_range_loop)]
    for i in 0..moves.len() {
        let (before, rest) = moves.split_at_mut(i);
        let before_move = before.last().map(|(_, m)| m).or(prev.as_ref());
        let (key, m) = &mut rest[0];
        let mut layers = StoredLayers { tx, c: c.0, wh: wh.0, p: p.0 };
        match engine::redo(&mut layers, m, key.3 as i64, before_move, policy) {
            Ok(()) => {}
            Err(Failure::Refused(r)) => return Ok(Err(r)),
            Err(Failure::Store(e)) => return Err(e),
        }
        q += m.qty;
        v += m.value;
        m.qty_after = q;
        m.value_after = v;
        if m.kind == MoveKind::TransferOut
            && matches!(m.intent, Intent::Out { .. })
            && m.value != old_values[i]
            && let Some(partner) = m.pair
        {
            changes.push(PartnerChange { partner, amount: -m.value });
        }
    }
    for (k, m) in &moves {
        tx.insert(MOVES, *k, m)?;
    }
    if moves.is_empty() && prev.is_none() {
        tx.remove(BALANCES, (c.0, wh.0, p.0))?;
    } else {
        tx.insert(BALANCES, (c.0, wh.0, p.0), &Balance { qty: q, value: v })?;
    }
    Ok(Ok(changes))
}

pub fn balance(tx: &ReadTx, c: CompanyId, wh: WarehouseId, p: ProductId) -> Result<Balance, StorageError> {
    Ok(tx.get(BALANCES, (c.0, wh.0, p.0))?.unwrap_or_default())
}

pub fn settings(tx: &ReadTx, c: CompanyId) -> Result<Settings, StorageError> {
    Ok(tx.get(SETTINGS, c.0)?.unwrap_or_default())
}

/// Replays every item from scratch and compares movements, layers and balances with what is
/// stored: stock on hand = Σ movements, layers = Σ receipts − Σ consumptions, Σ layer amounts =
/// stock value at cost.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    for (cid, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
        let allow_negative = settings(tx, CompanyId(cid))?.allow_negative;
        let mut items: Vec<(u64, u64)> = Vec::new();
        tx.range(BALANCES, (cid, 0, 0), (cid, u64::MAX, u64::MAX), false, usize::MAX, |(_, wh, p), _| {
            items.push((wh, p));
            Ok(true)
        })?;
        let mut moved: Vec<(u64, u64)> = Vec::new();
        tx.range(
            MOVES,
            (cid, 0, 0, 0, 0, 0),
            (cid, u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX),
            false,
            usize::MAX,
            |(_, wh, p, _, _, _), _| {
                if moved.last() != Some(&(wh, p)) {
                    moved.push((wh, p));
                }
                Ok(true)
            },
        )?;
        for item in &moved {
            if !items.contains(item) {
                problems.push(format!("stock {cid}/{}/{}: movements without a balance", item.0, item.1));
            }
        }
        for (wh, p) in items {
            let stored = tx.list(MOVES, (cid, wh, p, 0, 0, 0), (cid, wh, p, u64::MAX, u64::MAX, u64::MAX), usize::MAX)?;
            let mut fresh: Vec<(i64, Move)> = stored
                .iter()
                .map(|((_, _, _, d, _, _), m)| {
                    let mut blank = m.clone();
                    blank.effects.clear();
                    (*d as i64, blank)
                })
                .collect();
            // The policy only matters for refusals; a stored history was accepted, so replay it
            // permissively and compare the costs it produces.
            let policy = Policy { allow_negative: true, fallback_unit_cost: Decimal::ZERO };
            let layers = match engine::replay(&mut fresh, policy) {
                Ok(l) => l,
                Err(r) => {
                    problems.push(format!("stock {cid}/{wh}/{p}: replay refused: {r:?}"));
                    continue;
                }
            };
            // With negative stock allowed, overdrawn units are estimated at the purchase price of
            // the moment, which a replay cannot know: compare only the sums below.
            if !allow_negative {
                for ((_, a), (_, b)) in stored.iter().zip(fresh.iter()) {
                    if a.effects != b.effects || a.value != b.value || a.qty_after != b.qty_after || a.value_after != b.value_after {
                        problems.push(format!("stock {cid}/{wh}/{p}: movement {} differs from a replay", a.id));
                    }
                }
            }
            let bal = tx.get(BALANCES, (cid, wh, p))?.unwrap_or_default();
            let sum_q: Decimal = stored.iter().map(|(_, m)| m.qty).sum();
            let sum_v: Decimal = stored.iter().map(|(_, m)| m.value).sum();
            if bal.qty != sum_q || bal.value != sum_v {
                problems.push(format!("stock {cid}/{wh}/{p}: balance {}/{} but movements sum to {sum_q}/{sum_v}", bal.qty, bal.value));
            }
            let open = tx.list(LAYERS, (cid, wh, p, 0, 0), (cid, wh, p, u64::MAX, u64::MAX), usize::MAX)?;
            let (lq, la): (Decimal, Decimal) =
                open.iter().fold((Decimal::ZERO, Decimal::ZERO), |acc, (_, l)| (acc.0 + l.qty, acc.1 + l.amount));
            if lq != bal.qty || la != bal.value {
                problems.push(format!("stock {cid}/{wh}/{p}: layers hold {lq}/{la} but the balance is {}/{}", bal.qty, bal.value));
            }
            let replayed: Vec<((i64, u64), Layer)> = layers.0.into_iter().collect();
            let stored_layers: Vec<((i64, u64), Decimal, Decimal)> =
                open.iter().map(|((_, _, _, d, id), l)| ((*d as i64, *id), l.qty, l.amount)).collect();
            let replayed_layers: Vec<((i64, u64), Decimal, Decimal)> = replayed.iter().map(|(k, l)| (*k, l.qty, l.amount)).collect();
            if !allow_negative && stored_layers != replayed_layers {
                problems.push(format!("stock {cid}/{wh}/{p}: open layers differ from a replay"));
            }
        }
    }
    Ok(problems)
}
