//! Inventory tables, the storage-backed layers of one item, `recost` (the engine run against
//! the data file), and `verify`, which replays every item from scratch and compares.

use rust_decimal::Decimal;

use super::engine::{self, Failure, Layers, Policy, Refusal};
use super::model::{Balance, Document, Intent, Layer, Move, MoveKey, MoveRef, Settings, StockRow, StockTotal, Warehouse};
use crate::catalog::model::Product;
use crate::catalog::store::PRODUCTS;
use crate::ids::{CompanyId, DocumentId, ProductId, WarehouseId};
use crate::money::round_money;
use crate::storage::{Read, ReadTx, StorageError, Table, TableInfo, TableMut, WriteTx};

/// A movement's key: company, warehouse, product, date (ms), order, move id.
pub type MoveRow = (CompanyId, WarehouseId, ProductId, u64, u64, u64);
/// An open layer's key: company, warehouse, product, date (ms), layer id.
pub type LayerRow = (CompanyId, WarehouseId, ProductId, u64, u64);
/// A journal index key: company, date (ms), order, move id.
pub type JournalRow = (CompanyId, u64, u64, u64);

pub const WAREHOUSES: Table<(CompanyId, WarehouseId), Warehouse> = Table::new("company_warehouseid_warehouse");
pub const DOCUMENTS: Table<(CompanyId, DocumentId), Document> = Table::new("company_documentid_document");
pub const MOVES: Table<MoveRow, Move> = Table::new("company_wh_product_date_order_id_move");
pub const LAYERS: Table<LayerRow, Layer> = Table::new("company_wh_product_date_id_layer");
pub const BALANCES: Table<(CompanyId, WarehouseId, ProductId), Balance> = Table::new("company_wh_product_balance");
pub const SETTINGS: Table<CompanyId, Settings> = Table::new("companyid_inventorysettings");
pub const STOCK_ROWS: Table<(CompanyId, WarehouseId, ProductId), StockRow> = Table::new("company_wh_product_stockrow");
pub const STOCK_TOTALS: Table<(CompanyId, WarehouseId), StockTotal> = Table::new("company_wh_stocktotal");
pub const MOVES_BY_DATE: Table<JournalRow, MoveRef> = Table::new("company_date_order_id_moveref");

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
        STOCK_ROWS.info(
            "(CompanyId, WarehouseId, ProductId)",
            "stock-on-hand report rows: balance + product name, price, category, threshold (projection)",
        ),
        STOCK_TOTALS.info("(CompanyId, WarehouseId)", "running totals of a warehouse's stock rows (projection)"),
        MOVES_BY_DATE.info("(CompanyId, date_ms, order, move id)", "movement journal index: where each movement lives, by date"),
    ]
}

/// Dates are stored as unsigned milliseconds; documents before 1970 are refused at the edge.
pub fn date_key(date_ms: i64) -> u64 {
    date_ms.max(0) as u64
}

pub fn move_key(c: CompanyId, k: &MoveKey) -> MoveRow {
    (c, k.warehouse, k.product, date_key(k.date), k.order, k.id)
}

/// The first and last possible movement keys of a company: the bounds of a scan over its
/// whole ledger.
pub fn first_move(c: CompanyId) -> MoveRow {
    (c, WarehouseId::MIN, ProductId::MIN, 0, 0, 0)
}

pub fn last_move(c: CompanyId) -> MoveRow {
    (c, WarehouseId::MAX, ProductId::MAX, u64::MAX, u64::MAX, u64::MAX)
}

/// The layers of one item in the data file (through the ledger's open layers table).
pub struct StoredLayers<'a, 't> {
    pub t: &'a mut TableMut<'t, LayerRow, Layer>,
    pub c: CompanyId,
    pub wh: WarehouseId,
    pub p: ProductId,
}

impl Layers for StoredLayers<'_, '_> {
    type Err = StorageError;

    fn open(&self) -> Result<engine::OpenLayers, StorageError> {
        let rows = self.t.list((self.c, self.wh, self.p, 0, 0), (self.c, self.wh, self.p, u64::MAX, u64::MAX), usize::MAX)?;
        Ok(rows.into_iter().map(|((_, _, _, d, id), l)| ((d as i64, id), l)).collect())
    }

    fn get(&self, key: (i64, u64)) -> Result<Option<Layer>, StorageError> {
        self.t.get((self.c, self.wh, self.p, date_key(key.0), key.1))
    }

    fn adjust(&mut self, key: (i64, u64), dq: Decimal, da: Decimal) -> Result<(), StorageError> {
        let k = (self.c, self.wh, self.p, date_key(key.0), key.1);
        let mut l = self.t.get(k)?.unwrap_or(Layer { qty: Decimal::ZERO, amount: Decimal::ZERO });
        l.qty += dq;
        l.amount += da;
        if l.qty.is_zero() && l.amount.is_zero() {
            self.t.remove(k)?;
        } else {
            self.t.insert(k, &l)?;
        }
        Ok(())
    }
}

/// The tables re-costing reads and writes, opened once for a whole operation (every line of a
/// sale, every item of a document): opening a redb table costs about as much as a lookup, and
/// one sale line touches seven of them. While a ledger is open these tables must be reached
/// through it (redb refuses to open a table twice).
pub struct Ledger<'t> {
    pub c: CompanyId,
    pub moves: TableMut<'t, MoveRow, Move>,
    pub by_date: TableMut<'t, JournalRow, MoveRef>,
    pub layers: TableMut<'t, LayerRow, Layer>,
    pub balances: TableMut<'t, (CompanyId, WarehouseId, ProductId), Balance>,
    pub products: TableMut<'t, (u64, u64), Product>,
    pub rows: TableMut<'t, (CompanyId, WarehouseId, ProductId), StockRow>,
    pub totals: TableMut<'t, (CompanyId, WarehouseId), StockTotal>,
}

impl<'t> Ledger<'t> {
    pub fn open(tx: &'t WriteTx, c: CompanyId) -> Result<Ledger<'t>, StorageError> {
        Ok(Ledger {
            c,
            moves: tx.open(MOVES)?,
            by_date: tx.open(MOVES_BY_DATE)?,
            layers: tx.open(LAYERS)?,
            balances: tx.open(BALANCES)?,
            products: tx.open(PRODUCTS)?,
            rows: tx.open(STOCK_ROWS)?,
            totals: tx.open(STOCK_TOTALS)?,
        })
    }

    /// Writes a new movement and its journal index entry; the only way a movement is created.
    /// (Re-costing rewrites movements in place: their keys, kinds and documents never change.)
    pub fn put_new_move(&mut self, key: &MoveKey, m: &Move) -> Result<(), StorageError> {
        put_new_move_in(&mut self.moves, &mut self.by_date, self.c, key, m)
    }

    /// Sets one stock report row (None removes it) and keeps the warehouse total in step.
    pub fn put_stock_row(&mut self, wh: WarehouseId, p: ProductId, new: Option<StockRow>) -> Result<(), StorageError> {
        put_stock_row_in(&mut self.rows, &mut self.totals, self.c, wh, p, new)
    }
}

fn put_new_move_in(
    moves: &mut TableMut<'_, MoveRow, Move>,
    by_date: &mut TableMut<'_, JournalRow, MoveRef>,
    c: CompanyId,
    key: &MoveKey,
    m: &Move,
) -> Result<(), StorageError> {
    moves.insert(move_key(c, key), m)?;
    let r = MoveRef { warehouse: key.warehouse, product: key.product, kind: m.kind, doc: m.doc };
    by_date.insert((c, date_key(key.date), key.order, key.id), &r)
}

fn put_stock_row_in(
    rows: &mut TableMut<'_, (CompanyId, WarehouseId, ProductId), StockRow>,
    totals: &mut TableMut<'_, (CompanyId, WarehouseId), StockTotal>,
    c: CompanyId,
    wh: WarehouseId,
    p: ProductId,
    new: Option<StockRow>,
) -> Result<(), StorageError> {
    let old = rows.get((c, wh, p))?;
    if old == new {
        return Ok(());
    }
    let mut total = totals.get((c, wh))?.unwrap_or_default();
    if let Some(o) = &old {
        total.items -= 1;
        total.value -= o.value;
        total.sale_value -= round_money(o.qty * o.price);
    }
    match &new {
        Some(n) => {
            total.items += 1;
            total.value += n.value;
            total.sale_value += round_money(n.qty * n.price);
            rows.insert((c, wh, p), n)?;
        }
        None => {
            rows.remove((c, wh, p))?;
        }
    }
    if total.items == 0 { totals.remove((c, wh)).map(|_| ()) } else { totals.insert((c, wh), &total) }
}

/// A transfer-out whose cost changed: its partner transfer-in must take the new amount.
pub struct PartnerChange {
    pub partner: MoveKey,
    pub amount: Decimal,
}

/// Re-applies one item's movements from `from` (its `(date, order, id)`) on: undo the later
/// movements, redo them in order, write them and the balance back.
pub fn recost(
    l: &mut Ledger<'_>,
    wh: WarehouseId,
    p: ProductId,
    from: (i64, u64, u64),
    policy: Policy,
) -> Result<Result<Vec<PartnerChange>, Refusal>, StorageError> {
    let c = l.c;
    let lo = (c, wh, p, date_key(from.0), from.1, from.2);
    let hi = (c, wh, p, u64::MAX, u64::MAX, u64::MAX);
    let mut moves = l.moves.list(lo, hi, usize::MAX)?;
    let mut prev: Option<Move> = None;
    l.moves.range((c, wh, p, 0, 0, 0), lo, true, 2, |k, m| {
        if k != lo && prev.is_none() {
            prev = Some(m);
            return Ok(false);
        }
        Ok(true)
    })?;
    let old_values: Vec<Decimal> = moves.iter().map(|(_, m)| m.value).collect();
    let mut layers = StoredLayers { t: &mut l.layers, c, wh, p };
    for (_, m) in moves.iter().rev() {
        engine::undo(&mut layers, m)?;
    }
    let (mut q, mut v) = prev.as_ref().map(|m| (m.qty_after, m.value_after)).unwrap_or_default();
    let mut changes = Vec::new();
    // Indexing, not iterating: the movement before is borrowed while this one is rewritten.
    #[allow(clippy::needless_range_loop)]
    for i in 0..moves.len() {
        let (before, rest) = moves.split_at_mut(i);
        let before_move = before.last().map(|(_, m)| m).or(prev.as_ref());
        let (key, m) = &mut rest[0];
        match engine::redo(&mut layers, m, key.3 as i64, before_move, policy) {
            Ok(()) => {}
            Err(Failure::Refused(r)) => return Ok(Err(r)),
            Err(Failure::Store(e)) => return Err(e),
        }
        q += m.qty;
        v += m.value;
        m.qty_after = q;
        m.value_after = v;
        if m.kind.passes_cost()
            && matches!(m.intent, Intent::Out { .. } | Intent::Take { .. })
            && m.value != old_values[i]
            && let Some(partner) = m.pair
        {
            changes.push(PartnerChange { partner, amount: -m.value });
        }
    }
    for (k, m) in &moves {
        l.moves.insert(*k, m)?;
    }
    if moves.is_empty() && prev.is_none() {
        l.balances.remove((c, wh, p))?;
        l.put_stock_row(wh, p, None)?;
    } else {
        let bal = Balance { qty: q, value: v };
        l.balances.insert((c, wh, p), &bal)?;
        let product = l.products.get((c.0, p.0))?;
        l.put_stock_row(wh, p, Some(stock_row(&bal, product.as_ref())))?;
    }
    Ok(Ok(changes))
}

/// [`Ledger::put_new_move`] for several movements, without a ledger open.
pub fn put_new_moves(tx: &mut WriteTx, c: CompanyId, new: &[(MoveKey, Move)]) -> Result<(), StorageError> {
    let (mut moves, mut by_date) = (tx.open(MOVES)?, tx.open(MOVES_BY_DATE)?);
    new.iter().try_for_each(|(key, m)| put_new_move_in(&mut moves, &mut by_date, c, key, m))
}

/// [`Ledger::put_new_move`] for a caller without a ledger open.
pub fn put_new_move(tx: &mut WriteTx, c: CompanyId, key: &MoveKey, m: &Move) -> Result<(), StorageError> {
    put_new_move_in(&mut tx.open(MOVES)?, &mut tx.open(MOVES_BY_DATE)?, c, key, m)
}

/// The report row a balance and its product make.
pub fn stock_row(bal: &Balance, product: Option<&Product>) -> StockRow {
    StockRow {
        qty: bal.qty,
        value: bal.value,
        price: product.map(|p| p.price).unwrap_or_default(),
        reorder_level: product.map(|p| p.reorder_level).unwrap_or_default(),
        category: product.and_then(|p| p.category),
        name: product.map(|p| p.name.clone()).unwrap_or_default(),
    }
}

/// The one write path of stock rows: replaces (or with `None` removes) the row and moves the
/// warehouse's running totals by the difference.
pub fn put_stock_row(tx: &mut WriteTx, c: CompanyId, wh: WarehouseId, p: ProductId, new: Option<StockRow>) -> Result<(), StorageError> {
    put_stock_row_in(&mut tx.open(STOCK_ROWS)?, &mut tx.open(STOCK_TOTALS)?, c, wh, p, new)
}

/// Called by the product write path: refreshes the product's stock rows in every warehouse
/// when a field the report shows changed.
pub fn product_changed(tx: &mut WriteTx, c: CompanyId, old: Option<&Product>, new: &Product) -> Result<(), StorageError> {
    let Some(old) = old else { return Ok(()) };
    if old.name == new.name && old.price == new.price && old.category == new.category && old.reorder_level == new.reorder_level {
        return Ok(());
    }
    for ((_, wh), _) in tx.list(WAREHOUSES, (c, WarehouseId::MIN), (c, WarehouseId::MAX), usize::MAX)? {
        if let Some(bal) = tx.get(BALANCES, (c, wh, new.id))? {
            put_stock_row(tx, c, wh, new.id, Some(stock_row(&bal, Some(new))))?;
        }
    }
    Ok(())
}

/// Builds the stock rows, their totals and the journal index from balances, products and
/// movements (the upgrade to schema version 2).
pub fn build_projections(tx: &mut WriteTx) -> Result<(), StorageError> {
    for (cid, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
        let c = CompanyId(cid);
        let balances = tx.list(BALANCES, (c, WarehouseId::MIN, ProductId::MIN), (c, WarehouseId::MAX, ProductId::MAX), usize::MAX)?;
        for ((_, wh, p), bal) in balances {
            let product = tx.get(PRODUCTS, (cid, p.0))?;
            put_stock_row(tx, c, wh, p, Some(stock_row(&bal, product.as_ref())))?;
        }
        let mut refs = Vec::new();
        tx.range(MOVES, first_move(c), last_move(c), false, usize::MAX, |(_, wh, p, d, order, id), m| {
            refs.push(((c, d, order, id), MoveRef { warehouse: wh, product: p, kind: m.kind, doc: m.doc }));
            Ok(true)
        })?;
        for (k, r) in refs {
            tx.insert(MOVES_BY_DATE, k, &r)?;
        }
    }
    Ok(())
}

pub fn balance(tx: &impl Read, c: CompanyId, wh: WarehouseId, p: ProductId) -> Result<Balance, StorageError> {
    Ok(tx.get(BALANCES, (c, wh, p))?.unwrap_or_default())
}

pub fn settings(tx: &impl Read, c: CompanyId) -> Result<Settings, StorageError> {
    Ok(tx.get(SETTINGS, c)?.unwrap_or_default())
}

/// Replays every item from scratch and compares movements, layers and balances with what is
/// stored: stock on hand = Σ movements, layers = Σ receipts − Σ consumptions, Σ layer amounts =
/// stock value at cost.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = verify_projections(tx)?;
    for (cid, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
        let c = CompanyId(cid);
        let allow_negative = settings(tx, c)?.allow_negative;
        let mut items: Vec<(WarehouseId, ProductId)> = Vec::new();
        tx.range(
            BALANCES,
            (c, WarehouseId::MIN, ProductId::MIN),
            (c, WarehouseId::MAX, ProductId::MAX),
            false,
            usize::MAX,
            |(_, wh, p), _| {
                items.push((wh, p));
                Ok(true)
            },
        )?;
        let mut moved: Vec<(WarehouseId, ProductId)> = Vec::new();
        tx.range(MOVES, first_move(c), last_move(c), false, usize::MAX, |(_, wh, p, _, _, _), _| {
            if moved.last() != Some(&(wh, p)) {
                moved.push((wh, p));
            }
            Ok(true)
        })?;
        for (wh, p) in &moved {
            if tx.get(BALANCES, (c, *wh, *p))?.is_none() {
                problems.push(format!("stock {cid}/{wh}/{p}: movements without a balance"));
            }
        }
        for (wh, p) in items {
            let stored = tx.list(MOVES, (c, wh, p, 0, 0, 0), (c, wh, p, u64::MAX, u64::MAX, u64::MAX), usize::MAX)?;
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
            let bal = tx.get(BALANCES, (c, wh, p))?.unwrap_or_default();
            let sum_q: Decimal = stored.iter().map(|(_, m)| m.qty).sum();
            let sum_v: Decimal = stored.iter().map(|(_, m)| m.value).sum();
            if bal.qty != sum_q || bal.value != sum_v {
                problems.push(format!("stock {cid}/{wh}/{p}: balance {}/{} but movements sum to {sum_q}/{sum_v}", bal.qty, bal.value));
            }
            let open = tx.list(LAYERS, (c, wh, p, 0, 0), (c, wh, p, u64::MAX, u64::MAX), usize::MAX)?;
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

/// Rebuilds the stock rows, their running totals and the journal index from balances,
/// products and movements, and reports every difference from what is stored.
fn verify_projections(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    for (cid, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
        // Row by row with lookups, never both tables in memory: a 300,000-product company
        // would otherwise hold two maps of every stock row at once.
        let c = CompanyId(cid);
        let mut totals: std::collections::BTreeMap<WarehouseId, StockTotal> = std::collections::BTreeMap::new();
        tx.range(
            BALANCES,
            (c, WarehouseId::MIN, ProductId::MIN),
            (c, WarehouseId::MAX, ProductId::MAX),
            false,
            usize::MAX,
            |(_, wh, p), bal| {
                let row = stock_row(&bal, tx.get(PRODUCTS, (cid, p.0))?.as_ref());
                let t = totals.entry(wh).or_default();
                t.items += 1;
                t.value += row.value;
                t.sale_value += round_money(row.qty * row.price);
                let stored = tx.get(STOCK_ROWS, (c, wh, p))?;
                if stored.as_ref() != Some(&row) {
                    problems.push(format!("stock row {cid}/{wh}/{p}: stored {stored:?}, expected {row:?}"));
                }
                Ok(true)
            },
        )?;
        tx.range(
            STOCK_ROWS,
            (c, WarehouseId::MIN, ProductId::MIN),
            (c, WarehouseId::MAX, ProductId::MAX),
            false,
            usize::MAX,
            |(_, wh, p), _: StockRow| {
                if tx.get(BALANCES, (c, wh, p))?.is_none() {
                    problems.push(format!("stock row {cid}/{wh}/{p}: no balance behind it"));
                }
                Ok(true)
            },
        )?;
        let stored_totals: std::collections::BTreeMap<WarehouseId, StockTotal> = tx
            .list(STOCK_TOTALS, (c, WarehouseId::MIN), (c, WarehouseId::MAX), usize::MAX)?
            .into_iter()
            .map(|((_, wh), t)| (wh, t))
            .collect();
        if stored_totals != totals {
            problems.push(format!("stock totals of company {cid}: stored {stored_totals:?}, expected {totals:?}"));
        }
        // Every index entry names a stored movement of that kind and document, and there are
        // as many entries as movements (lookups, so memory stays flat on a big ledger).
        let mut moves = 0usize;
        tx.range(MOVES, first_move(c), last_move(c), false, usize::MAX, |_, _: Move| {
            moves += 1;
            Ok(true)
        })?;
        let mut entries = 0usize;
        tx.range(MOVES_BY_DATE, (c, 0, 0, 0), (c, u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(_, d, order, id), r| {
            entries += 1;
            match tx.get(MOVES, (c, r.warehouse, r.product, d, order, id))? {
                Some(m) if m.kind == r.kind && m.doc == r.doc => {}
                _ => problems.push(format!("journal index {cid}/{d}/{order}/{id}: points to no such movement")),
            }
            Ok(true)
        })?;
        if entries != moves {
            problems.push(format!("journal index of company {cid}: {entries} entries for {moves} movements"));
        }
    }
    Ok(problems)
}
