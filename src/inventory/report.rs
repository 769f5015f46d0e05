//! Stock reports. On hand and low stock read the stock-row projection (one range scan, never
//! the ledger); the movement journal reads the by-date index; turnover seeks each item's
//! ledger twice (the last movement before the period, then the period's movements).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{Move, MoveKind, MoveRef, StockTotal};
use super::store::{DOCUMENTS, MOVES, MOVES_BY_DATE, STOCK_ROWS, STOCK_TOTALS, WAREHOUSES, date_key};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CategoryId, CompanyId, DocumentId, ProductId, WarehouseId};
use crate::money::round_money;
use crate::storage::{Read, ReadTx, StorageError};

#[derive(Debug, Clone)]
pub struct Row {
    pub product: ProductId,
    pub name: String,
    pub category: Option<CategoryId>,
    pub qty: Decimal,
    pub value: Decimal,
    pub sale_value: Decimal,
    pub reorder_level: Decimal,
}

#[derive(Debug, Default)]
pub struct OnHand {
    pub rows: Vec<Row>,
    /// Totals of the rows returned.
    pub total_value: Decimal,
    pub total_sale_value: Decimal,
    /// The whole warehouse (every product with a balance), whatever the filters and page.
    pub warehouse: StockTotal,
    /// Cursor for the next page when `rows` is full.
    pub next_after: Option<u64>,
}

/// What the on-hand report keeps.
#[derive(Debug, Clone, Copy, Default)]
pub struct OnHandFilter {
    pub category: Option<CategoryId>,
    /// Only products at or below their (non-zero) reorder level.
    pub low: bool,
}

/// Up to `limit` products of one warehouse after the `after` cursor, in product id order.
pub fn on_hand(
    tx: &ReadTx,
    c: CompanyId,
    wh: WarehouseId,
    after: Option<u64>,
    filter: OnHandFilter,
    limit: usize,
) -> Result<OnHand, StorageError> {
    let mut out = OnHand { warehouse: tx.get(STOCK_TOTALS, (c, wh))?.unwrap_or_default(), ..OnHand::default() };
    let lo = after.map(|a| a.saturating_add(1)).unwrap_or(0);
    let mut last = None;
    tx.range(STOCK_ROWS, (c, wh, ProductId(lo)), (c, wh, ProductId::MAX), false, usize::MAX, |(_, _, ProductId(pid)), r| {
        if filter.category.is_some() && r.category != filter.category {
            return Ok(true);
        }
        if filter.low && (r.reorder_level.is_zero() || r.qty > r.reorder_level) {
            return Ok(true);
        }
        let sale = round_money(r.qty * r.price);
        out.total_value += r.value;
        out.total_sale_value += sale;
        out.rows.push(Row {
            product: ProductId(pid),
            name: r.name,
            category: r.category,
            qty: r.qty,
            value: r.value,
            sale_value: sale,
            reorder_level: r.reorder_level,
        });
        last = Some(pid);
        Ok(out.rows.len() < limit)
    })?;
    if out.rows.len() == limit {
        out.next_after = last;
    }
    Ok(out)
}

/// Where a journal page starts: just after this movement (its ledger position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct JournalCursor {
    pub date: u64,
    pub order: u64,
    pub id: u64,
}

impl JournalCursor {
    /// `"date.order.id"`, as handed out in `next`.
    pub fn parse(s: &str) -> Option<JournalCursor> {
        let mut it = s.split('.').map(|p| p.parse::<u64>().ok());
        let c = JournalCursor { date: it.next()??, order: it.next()??, id: it.next()?? };
        if it.next().is_some() { None } else { Some(c) }
    }

    pub fn render(self) -> String {
        format!("{}.{}.{}", self.date, self.order, self.id)
    }
}

#[derive(Debug, Clone, Default)]
pub struct JournalFilter {
    pub warehouse: Option<WarehouseId>,
    pub product: Option<ProductId>,
    pub kinds: Vec<MoveKind>,
    /// Inclusive lower bound, ms.
    pub from: Option<i64>,
    /// Exclusive upper bound, ms.
    pub to: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct JournalRow {
    pub date: i64,
    pub id: u64,
    pub warehouse: WarehouseId,
    pub product: ProductId,
    pub kind: MoveKind,
    /// A stock document, or for `sale`/`sale_return` the sale.
    pub doc: DocumentId,
    pub qty: Decimal,
    pub value: Decimal,
    pub qty_after: Decimal,
    pub value_after: Decimal,
}

#[derive(Debug, Default)]
pub struct Journal {
    pub rows: Vec<JournalRow>,
    pub next: Option<JournalCursor>,
}

/// Movements in ledger order (date, then posting order) matching the filter, `limit` per page.
/// With a product, each warehouse's slice of that item is read directly; otherwise the
/// by-date index is scanned over the period and filtered on what the index entry carries.
pub fn journal(tx: &ReadTx, c: CompanyId, f: &JournalFilter, after: Option<JournalCursor>, limit: usize) -> Result<Journal, StorageError> {
    let lo = match after {
        Some(a) => JournalCursor { id: a.id.saturating_add(1), ..a },
        None => JournalCursor { date: date_key(f.from.unwrap_or(0)), order: 0, id: 0 },
    };
    let lo = lo.max(JournalCursor { date: date_key(f.from.unwrap_or(0)), order: 0, id: 0 });
    // `to` is exclusive: the last included instant is to − 1.
    let hi_date = match f.to {
        Some(to) if to <= 0 => return Ok(Journal::default()),
        Some(to) => date_key(to - 1),
        None => u64::MAX,
    };
    let mut found: Vec<(JournalCursor, JournalRow)> = Vec::new();
    let keep = |kind: MoveKind| f.kinds.is_empty() || f.kinds.contains(&kind);
    let row = |wh: u64, p: u64, k: JournalCursor, m: Move| JournalRow {
        date: k.date as i64,
        id: k.id,
        warehouse: WarehouseId(wh),
        product: ProductId(p),
        kind: m.kind,
        doc: m.doc,
        qty: m.qty,
        value: m.value,
        qty_after: m.qty_after,
        value_after: m.value_after,
    };
    match f.product {
        Some(p) => {
            let warehouses: Vec<u64> = match f.warehouse {
                Some(w) => vec![w.0],
                None => tx
                    .list(WAREHOUSES, (c, WarehouseId::MIN), (c, WarehouseId::MAX), usize::MAX)?
                    .into_iter()
                    .map(|((_, w), _)| w.0)
                    .collect(),
            };
            for wh in warehouses {
                let mut taken = 0;
                tx.range(
                    MOVES,
                    (c, WarehouseId(wh), p, lo.date, lo.order, lo.id),
                    (c, WarehouseId(wh), p, hi_date, u64::MAX, u64::MAX),
                    false,
                    usize::MAX,
                    |(_, _, _, date, order, id), m| {
                        if keep(m.kind) {
                            let k = JournalCursor { date, order, id };
                            found.push((k, row(wh, p.0, k, m)));
                            taken += 1;
                        }
                        Ok(taken <= limit)
                    },
                )?;
            }
            found.sort_by_key(|(k, _)| *k);
        }
        None => {
            let mut refs: Vec<(JournalCursor, MoveRef)> = Vec::new();
            tx.range(
                MOVES_BY_DATE,
                (c, lo.date, lo.order, lo.id),
                (c, hi_date, u64::MAX, u64::MAX),
                false,
                usize::MAX,
                |(_, date, order, id), r| {
                    if f.warehouse.is_none_or(|w| w == r.warehouse) && keep(r.kind) {
                        refs.push((JournalCursor { date, order, id }, r));
                    }
                    Ok(refs.len() <= limit)
                },
            )?;
            for (k, r) in refs {
                if let Some(m) = tx.get(MOVES, (c, r.warehouse, r.product, k.date, k.order, k.id))? {
                    found.push((k, row(r.warehouse.0, r.product.0, k, m)));
                }
            }
        }
    }
    let mut out = Journal::default();
    if found.len() > limit {
        found.truncate(limit);
        out.next = found.last().map(|(k, _)| *k);
    }
    out.rows = found.into_iter().map(|(_, r)| r).collect();
    Ok(out)
}

/// One product's turnover over a period (summed over the warehouses asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnoverRow {
    pub product: ProductId,
    pub name: String,
    pub opening_qty: Decimal,
    pub opening_value: Decimal,
    pub in_qty: Decimal,
    pub in_value: Decimal,
    pub out_qty: Decimal,
    pub out_value: Decimal,
    pub closing_qty: Decimal,
    pub closing_value: Decimal,
}

impl TurnoverRow {
    fn empty(product: ProductId, name: String) -> TurnoverRow {
        let z = Decimal::ZERO;
        TurnoverRow {
            product,
            name,
            opening_qty: z,
            opening_value: z,
            in_qty: z,
            in_value: z,
            out_qty: z,
            out_value: z,
            closing_qty: z,
            closing_value: z,
        }
    }
}

#[derive(Debug)]
pub struct Turnover {
    pub rows: Vec<TurnoverRow>,
    pub total: TurnoverRow,
}

/// Opening balance, receipts, issues and closing balance per product for `[from, to)`, for one
/// warehouse or all. Inbound means a positive quantity change (a reversal of an issue counts
/// as inbound), so closing = opening + in − out exactly. The items are those with a stock row;
/// each costs two seeks into its own slice of the ledger, never a scan of other items.
pub fn turnover(
    tx: &ReadTx,
    c: CompanyId,
    wh: Option<WarehouseId>,
    category: Option<CategoryId>,
    from: i64,
    to: i64,
) -> Result<Turnover, StorageError> {
    let warehouses: Vec<u64> = match wh {
        Some(w) => vec![w.0],
        None => tx.list(WAREHOUSES, (c, WarehouseId::MIN), (c, WarehouseId::MAX), usize::MAX)?.into_iter().map(|((_, w), _)| w.0).collect(),
    };
    let (from_key, last_key) = (date_key(from), date_key(to.saturating_sub(1)));
    let mut rows: BTreeMap<u64, TurnoverRow> = BTreeMap::new();
    for w in warehouses {
        let mut items = Vec::new();
        tx.range(
            STOCK_ROWS,
            (c, WarehouseId(w), ProductId::MIN),
            (c, WarehouseId(w), ProductId::MAX),
            false,
            usize::MAX,
            |(_, _, ProductId(p)), r| {
                if category.is_none() || r.category == category {
                    items.push((p, r.name));
                }
                Ok(true)
            },
        )?;
        for (p, name) in items {
            let mut t = TurnoverRow::empty(ProductId(p), String::new());
            if from_key > 0 {
                tx.range(
                    MOVES,
                    (c, WarehouseId(w), ProductId(p), 0, 0, 0),
                    (c, WarehouseId(w), ProductId(p), from_key - 1, u64::MAX, u64::MAX),
                    true,
                    1,
                    |_, m| {
                        t.opening_qty = m.qty_after;
                        t.opening_value = m.value_after;
                        Ok(false)
                    },
                )?;
            }
            if to > from {
                tx.range(
                    MOVES,
                    (c, WarehouseId(w), ProductId(p), from_key, 0, 0),
                    (c, WarehouseId(w), ProductId(p), last_key, u64::MAX, u64::MAX),
                    false,
                    usize::MAX,
                    |_, m| {
                        if m.qty > Decimal::ZERO || (m.qty.is_zero() && m.value > Decimal::ZERO) {
                            t.in_qty += m.qty;
                            t.in_value += m.value;
                        } else {
                            t.out_qty -= m.qty;
                            t.out_value -= m.value;
                        }
                        Ok(true)
                    },
                )?;
            }
            if t == TurnoverRow::empty(ProductId(p), String::new()) {
                continue;
            }
            let r = rows.entry(p).or_insert_with(|| TurnoverRow::empty(ProductId(p), name));
            r.opening_qty += t.opening_qty;
            r.opening_value += t.opening_value;
            r.in_qty += t.in_qty;
            r.in_value += t.in_value;
            r.out_qty += t.out_qty;
            r.out_value += t.out_value;
        }
    }
    let mut out = Turnover { rows: Vec::new(), total: TurnoverRow::empty(ProductId(0), String::new()) };
    for (_, mut r) in rows {
        r.closing_qty = r.opening_qty + r.in_qty - r.out_qty;
        r.closing_value = r.opening_value + r.in_value - r.out_value;
        let t = &mut out.total;
        t.opening_qty += r.opening_qty;
        t.opening_value += r.opening_value;
        t.in_qty += r.in_qty;
        t.in_value += r.in_value;
        t.out_qty += r.out_qty;
        t.out_value += r.out_value;
        t.closing_qty += r.closing_qty;
        t.closing_value += r.closing_value;
        out.rows.push(r);
    }
    Ok(out)
}

/// A period of whole local days, `from` and `to` inclusive ("YYYY-MM-DD"), as `[start, end)`
/// in ms. A missing end is open; a missing start is the beginning.
pub fn parse_period(from: &str, to: &str, tz: &str) -> Result<(Option<i64>, Option<i64>)> {
    let mut p = Problems::default();
    let mut day = |field: &str, raw: &str, next: bool| {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match Ts::parse_date(raw, tz) {
            Some(t) if t.0 >= 0 => Some(if next { Ts::parse_date(&next_day(raw)?, tz)?.0 } else { t.0 }),
            _ => {
                p.push(FieldError::new(field, "date", "Дата: ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"));
                None
            }
        }
    };
    let start = day("from", from, false);
    let end = day("to", to, true);
    if let (Some(s), Some(e)) = (start, end)
        && e <= s
    {
        p.push(FieldError::new("to", "period", "Конец периода раньше начала", "The period ends before it starts"));
    }
    p.finish()?;
    Ok((start, end))
}

fn next_day(date: &str) -> Option<String> {
    let d: jiff::civil::Date = date.trim().parse().ok()?;
    d.tomorrow().ok().map(|d| d.to_string())
}

/// The company's warehouse `id` when one is asked for: another company's is a 404 like a
/// missing one.
fn chosen_warehouse(tx: &impl Read, c: CompanyId, id: Option<u64>) -> Result<Option<WarehouseId>> {
    match id {
        Some(w) => Ok(Some(super::query::warehouse(tx, c, WarehouseId(w))?.id)),
        None => Ok(None),
    }
}

fn chosen_category(tx: &impl Read, c: CompanyId, id: Option<u64>) -> Result<Option<CategoryId>> {
    match id {
        Some(k) => Ok(Some(crate::catalog::query::category(tx, c, CategoryId(k))?.id)),
        None => Ok(None),
    }
}

/// The journal's filters as typed into the page or the API's query: ids are checked against
/// the company, days read in its time zone, kinds comma-separated codes, `after` the `next`
/// of the previous page.
#[derive(Debug, Clone, Default)]
pub struct JournalAsk {
    pub warehouse: Option<u64>,
    pub product: Option<u64>,
    pub kinds: String,
    pub from: String,
    pub to: String,
    pub after: String,
}

pub fn journal_filter(tx: &ReadTx, c: CompanyId, ask: &JournalAsk) -> Result<(JournalFilter, Option<JournalCursor>)> {
    let tz = crate::tenancy::timezone(tx, c)?;
    let (from, to) = parse_period(&ask.from, &ask.to, &tz)?;
    let mut kinds = Vec::new();
    for k in ask.kinds.split(',').filter(|k| !k.trim().is_empty()) {
        match MoveKind::parse(k) {
            Some(k) => kinds.push(k),
            None => {
                return Err(Error::field(
                    "kind",
                    "kind",
                    "Вид движения: receipt, write_off, transfer_out, transfer_in, count_gain, count_loss, supplier_return, sale, sale_return",
                    "Movement kind: receipt, write_off, transfer_out, transfer_in, count_gain, count_loss, supplier_return, sale, sale_return",
                ));
            }
        }
    }
    let after = match Some(ask.after.trim()).filter(|s| !s.is_empty()) {
        Some(s) => {
            Some(JournalCursor::parse(s).ok_or_else(|| Error::field("after", "cursor", "Неверная позиция страницы", "Bad page cursor"))?)
        }
        None => None,
    };
    let product = match ask.product {
        Some(p) => Some(crate::catalog::query::product(tx, c, ProductId(p))?.id),
        None => None,
    };
    Ok((JournalFilter { warehouse: chosen_warehouse(tx, c, ask.warehouse)?, product, kinds, from, to }, after))
}

/// A journal row with what a reader needs besides the ids: names and the source's number.
#[derive(Debug, Clone)]
pub struct NamedRow {
    pub row: JournalRow,
    pub warehouse_name: String,
    pub product_name: String,
    /// The row comes from a sale or its return (`doc` is the sale), not a stock document.
    pub sale: bool,
    /// The document's or sale's number.
    pub number: String,
}

/// Journal rows with their names and numbers (looked up once per page). Sales belong to a
/// domain above this one, so their numbers come from `sale_number`.
pub fn named_rows(
    tx: &impl Read,
    c: CompanyId,
    rows: Vec<JournalRow>,
    sale_number: &dyn Fn(DocumentId) -> Result<Option<String>>,
) -> Result<Vec<NamedRow>> {
    let warehouses: BTreeMap<WarehouseId, String> = super::query::warehouses(tx, c)?.into_iter().map(|w| (w.id, w.name)).collect();
    let mut products: BTreeMap<ProductId, String> = BTreeMap::new();
    let mut sources: BTreeMap<DocumentId, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let sale = r.kind.from_sale();
        if let std::collections::btree_map::Entry::Vacant(e) = products.entry(r.product) {
            e.insert(crate::catalog::query::find_product(tx, c, r.product)?.map(|p| p.name).unwrap_or_default());
        }
        if let std::collections::btree_map::Entry::Vacant(e) = sources.entry(r.doc) {
            let number = if sale { sale_number(r.doc)? } else { tx.get(DOCUMENTS, (c, r.doc))?.map(|d| d.number) };
            e.insert(number.unwrap_or_default());
        }
        out.push(NamedRow {
            warehouse_name: warehouses.get(&r.warehouse).cloned().unwrap_or_default(),
            product_name: products.get(&r.product).cloned().unwrap_or_default(),
            number: sources.get(&r.doc).cloned().unwrap_or_default(),
            sale,
            row: r,
        });
    }
    Ok(out)
}

/// Turnover as asked on the page or the API: a required period of local days, one warehouse
/// or all, one category or all (ids checked against the company).
pub fn turnover_for(tx: &ReadTx, c: CompanyId, warehouse: Option<u64>, category: Option<u64>, from: &str, to: &str) -> Result<Turnover> {
    let tz = crate::tenancy::timezone(tx, c)?;
    let (from, to) = parse_period(from, to, &tz)?;
    let (Some(from), Some(to)) = (from, to) else {
        return Err(Error::field("from", "required", "Укажите период: с какого и по какое число", "Enter the period: from and to"));
    };
    turnover(tx, c, chosen_warehouse(tx, c, warehouse)?, chosen_category(tx, c, category)?, from, to).map_err(Error::from)
}

/// Stock on hand (or the low-stock list) of one warehouse of the company, with the category
/// checked against it: what the stock export holds.
pub fn on_hand_of(
    tx: &ReadTx,
    c: CompanyId,
    warehouse: u64,
    category: Option<u64>,
    low: bool,
    after: Option<u64>,
    limit: usize,
) -> Result<(super::model::Warehouse, OnHand)> {
    let wh = super::query::warehouse(tx, c, WarehouseId(warehouse))?;
    let filter = OnHandFilter { category: chosen_category(tx, c, category)?, low };
    let r = on_hand(tx, c, wh.id, after, filter, limit)?;
    Ok((wh, r))
}
