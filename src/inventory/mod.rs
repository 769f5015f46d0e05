//! Inventory: warehouses, stock documents (receipt, write-off, transfer, count, return to
//! supplier), the movement ledger with FIFO cost layers, and balances.
//!
//! Invariants (verified by `store::verify`, hence `dukan check`, and by property tests):
//! - stock on hand = Σ movements, for every (company, warehouse, product), at all times;
//! - open layers = Σ receipts − Σ consumptions, and Σ layer amounts = stock value at cost;
//! - a posted document is never edited or deleted: cancelling it appends reversals;
//! - a posting dated inside a closed period is refused; a back-dated posting in an open period
//!   re-costs the later movements of its items (and transfers' partners) in the same
//!   transaction; negative stock is refused unless the company allows it.

pub mod consign;
pub mod engine;
pub mod model;
pub mod query;
pub mod report;
pub mod reserve;
pub mod store;
pub mod take;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::audit;
use crate::catalog::model::Kind;
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result, Shortage};
use crate::ids::{BranchId, CompanyId, DocumentId, ProductId, WarehouseId};
use crate::money::{parse_money, parse_qty, round_money};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_name;
use crate::tenancy::perms::Perm;
use engine::{Policy, Refusal};
use model::{DocKind, DocLine, DocStatus, Document, Intent, Move, MoveKey, MoveKind, Settings, Warehouse};
use store::{BALANCES, DOCUMENTS, MOVES, SETTINGS, WAREHOUSES, move_key};

pub fn save_warehouse(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: Option<WarehouseId>,
    name: &str,
    branch: Option<BranchId>,
    active: bool,
) -> Result<WarehouseId> {
    actor.require(Perm::DOCUMENT)?;
    actor.require_feature("catalog")?;
    actor.require_writable()?;
    let c = actor.company;
    if let Some(id) = id
        && tx.get(WAREHOUSES, (c, id))?.is_none()
    {
        return Err(Error::NotFound);
    }
    let mut p = Problems::default();
    let name = p.take(parse_name("name", name, 100));
    if let Some(b) = branch
        && tx.get(crate::tenancy::store::BRANCHES, (c.0, b.0))?.is_none()
    {
        p.push(FieldError::new("branch", "unknown_branch", "Нет такого филиала", "No such branch"));
    }
    if let Some(n) = &name {
        let clash = tx
            .list(WAREHOUSES, (c, WarehouseId::MIN), (c, WarehouseId::MAX), usize::MAX)?
            .iter()
            .any(|(_, w)| Some(w.id) != id && w.name.to_lowercase() == n.to_lowercase());
        if clash {
            p.push(FieldError::new("name", "name_taken", "Склад с таким названием уже есть", "A warehouse with this name exists"));
        }
    }
    p.finish()?;
    let name = name.ok_or_else(|| Error::Internal("warehouse name missing".into()))?;
    let wid = id.unwrap_or(WarehouseId(tx.next_id()?));
    tx.insert(WAREHOUSES, (c, wid), &Warehouse { id: wid, name: name.clone(), branch, active })?;
    audit::record(tx, actor.company, actor, now, "warehouse.save", format!("warehouse:{wid}"), name)?;
    Ok(wid)
}

/// Whether `w` is an active warehouse of the company: the only kind a document, or a cash box
/// selling from it, may name.
pub fn warehouse_active(tx: &impl Read, c: CompanyId, w: WarehouseId) -> Result<bool> {
    Ok(tx.get(WAREHOUSES, (c, w))?.is_some_and(|w| w.active))
}

pub fn set_settings(tx: &mut WriteTx, actor: &Actor, now: Ts, settings: Settings) -> Result<()> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let detail = format!("negative={} locked_until={:?}", settings.allow_negative, settings.locked_until.map(|t| t.rfc3339()));
    tx.insert(SETTINGS, actor.company, &settings)?;
    audit::record(tx, actor.company, actor, now, "inventory.settings", format!("company:{}", actor.company), detail)?;
    Ok(())
}

/// A document as typed: lines carry strings so every bad line is reported at once.
#[derive(Debug, Clone, Default)]
pub struct DocDraft {
    pub kind: String,
    pub date: Option<Ts>,
    pub warehouse: Option<WarehouseId>,
    pub to_warehouse: Option<WarehouseId>,
    pub supplier: String,
    pub reason: String,
    pub note: String,
    pub lines: Vec<LineDraft>,
}

#[derive(Debug, Clone, Default)]
pub struct LineDraft {
    pub product: Option<ProductId>,
    /// Quantity (for a count: the counted quantity, which may be 0).
    pub qty: String,
    /// Receipts: unit cost, or `amount` for the line total.
    pub cost: String,
    pub amount: String,
}

/// 2000-01-01: documents dated earlier are refused (dates are stored as unsigned keys).
const EARLIEST: i64 = 946_684_800_000;

pub fn save_draft(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<DocumentId>, d: &DocDraft) -> Result<DocumentId> {
    actor.require(Perm::DOCUMENT)?;
    actor.require_feature("catalog")?;
    actor.require_writable()?;
    write_draft(tx, actor, now, id, d)
}

/// [`save_draft`] for a domain above that checked its own right first (purchasing checks
/// `Perm::PURCHASES`: a buyer records a purchase's receipt without the stock-document right).
pub fn write_draft(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<DocumentId>, d: &DocDraft) -> Result<DocumentId> {
    let c = actor.company;
    let existing = match id {
        Some(id) => {
            let doc = tx.get(DOCUMENTS, (c, id))?.ok_or(Error::NotFound)?;
            if doc.status != DocStatus::Draft {
                return Err(Error::WrongState { state: "posted" });
            }
            Some(doc)
        }
        None => None,
    };
    let mut p = Problems::default();
    let kind = DocKind::parse(&d.kind);
    if kind.is_none() {
        p.push(FieldError::new(
            "kind",
            "kind",
            "Тип документа: receipt, write_off, transfer, count, supplier_return",
            "Kind: receipt, write_off, transfer, count, supplier_return",
        ));
    }
    let date = d.date.unwrap_or(now);
    if date.0 < EARLIEST || date.0 > now.plus_days(366).0 {
        p.push(FieldError::new("date", "date", "Дата документа вне допустимого диапазона", "The document date is out of range"));
    }
    let warehouse = match d.warehouse {
        Some(w) if warehouse_active(tx, c, w)? => Some(w),
        _ => {
            p.push(FieldError::new("warehouse", "unknown_warehouse", "Выберите активный склад", "Choose an active warehouse"));
            None
        }
    };
    let to_warehouse = match (kind, d.to_warehouse) {
        (Some(DocKind::Transfer), Some(w)) if Some(w) != warehouse && warehouse_active(tx, c, w)? => Some(w),
        (Some(DocKind::Transfer), _) => {
            p.push(FieldError::new(
                "to_warehouse",
                "unknown_warehouse",
                "Выберите другой активный склад",
                "Choose another active warehouse",
            ));
            None
        }
        _ => None,
    };
    let mut lines = Vec::with_capacity(d.lines.len());
    if d.lines.is_empty() {
        p.push(FieldError::new("lines", "required", "Добавьте хотя бы одну строку", "Add at least one line"));
    }
    let mut products: BTreeMap<u64, (String, Kind)> = BTreeMap::new();
    for (i, l) in d.lines.iter().enumerate() {
        let field = format!("lines[{i}]");
        let product = match l.product {
            Some(pid) => match products.get(&pid.0) {
                Some(known) => Some((pid, known.1)),
                None => match tx.get(PRODUCTS, (c.0, pid.0))? {
                    Some(prod) => {
                        products.insert(pid.0, (prod.name.clone(), prod.kind));
                        Some((pid, prod.kind))
                    }
                    None => None,
                },
            },
            None => None,
        };
        let Some((pid, pkind)) = product else {
            p.push(FieldError::new(
                &format!("{field}.product"),
                "unknown_product",
                format!("Строка {}: нет такого товара", i + 1),
                format!("Line {}: no such product", i + 1),
            ));
            continue;
        };
        if !pkind.stocked() {
            p.push(FieldError::new(
                &format!("{field}.product"),
                "not_stocked",
                format!("Строка {}: услуги и комплекты не хранятся на складе", i + 1),
                format!("Line {}: services and bundles have no stock", i + 1),
            ));
            continue;
        }
        let qty = if kind == Some(DocKind::Count) && l.qty.trim() == "0" {
            Some(Decimal::ZERO)
        } else {
            p.take(parse_qty(&format!("{field}.qty"), &l.qty).map_err(|e| line_error(e, i)))
        };
        let amount = if kind == Some(DocKind::Receipt) {
            if !l.amount.trim().is_empty() {
                p.take(parse_money(&format!("{field}.amount"), &l.amount, false).map_err(|e| line_error(e, i)))
            } else if !l.cost.trim().is_empty() {
                // Parsed even when the quantity is bad, so both problems are reported.
                let unit = p.take(parse_money(&format!("{field}.cost"), &l.cost, false).map_err(|e| line_error(e, i)));
                unit.zip(qty).map(|(u, q)| round_money(u * q))
            } else {
                p.push(FieldError::new(
                    &format!("{field}.cost"),
                    "required",
                    format!("Строка {}: укажите цену закупки", i + 1),
                    format!("Line {}: enter the purchase cost", i + 1),
                ));
                None
            }
        } else {
            Some(Decimal::ZERO)
        };
        if let (Some(qty), Some(amount)) = (qty, amount) {
            lines.push(DocLine { product: pid, qty, amount, expected: Decimal::ZERO });
        }
    }
    p.finish()?;
    let (Some(kind), Some(warehouse)) = (kind, warehouse) else {
        return Err(Error::Internal("document parsed without kind or warehouse".into()));
    };
    let doc_id = id.unwrap_or(DocumentId(tx.next_id()?));
    let doc = Document {
        id: doc_id,
        kind,
        number: String::new(),
        status: DocStatus::Draft,
        date,
        warehouse,
        to_warehouse,
        supplier: d.supplier.trim().chars().take(200).collect(),
        reason: d.reason.trim().chars().take(200).collect(),
        note: d.note.trim().chars().take(1000).collect(),
        lines,
        created: existing.as_ref().map(|e| e.created).unwrap_or(now),
        created_by: existing.as_ref().map(|e| e.created_by).unwrap_or(actor.user),
        posted: None,
        cancelled: None,
        moves: Vec::new(),
    };
    tx.insert(DOCUMENTS, (c, doc_id), &doc)?;
    audit::record(tx, actor.company, actor, now, "document.save", format!("document:{doc_id}"), kind.code().into())?;
    Ok(doc_id)
}

fn line_error(mut e: FieldError, i: usize) -> FieldError {
    e.ru = format!("Строка {}: {}", i + 1, e.ru);
    e.en = format!("Line {}: {}", i + 1, e.en);
    e
}

fn check_period(settings: &Settings, date: Ts, tz: &str) -> Result<()> {
    match settings.locked_until {
        Some(until) if date <= until => Err(Error::PeriodClosed { until: until.date_local(tz) }),
        _ => Ok(()),
    }
}

/// Posts a draft: numbers it, writes its movements and re-costs the items they touch.
pub fn post(tx: &mut WriteTx, actor: &Actor, now: Ts, id: DocumentId) -> Result<Document> {
    actor.require(Perm::DOCUMENT)?;
    actor.require_writable()?;
    post_document(tx, actor, now, id)
}

/// [`post`] for a domain above that checked its own right first (see [`write_draft`]).
pub fn post_document(tx: &mut WriteTx, actor: &Actor, now: Ts, id: DocumentId) -> Result<Document> {
    let c = actor.company;
    let mut doc = tx.get(DOCUMENTS, (c, id))?.ok_or(Error::NotFound)?;
    if doc.status != DocStatus::Draft {
        return Err(Error::WrongState { state: if doc.status == DocStatus::Posted { "posted" } else { "cancelled" } });
    }
    let settings = store::settings(tx, c)?;
    let tz = crate::tenancy::timezone(tx, c)?;
    check_period(&settings, doc.date, &tz)?;
    for w in std::iter::once(doc.warehouse).chain(doc.to_warehouse) {
        if !warehouse_active(tx, c, w)? {
            return Err(Error::field("warehouse", "unknown_warehouse", "Склад отключён", "The warehouse is deactivated"));
        }
    }
    let date = doc.date.0;
    let mut starts: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)> = BTreeMap::new();
    let mut new_moves = Vec::new();
    for line in doc.lines.iter_mut() {
        let wh = doc.warehouse;
        let (kind, intent) = match doc.kind {
            DocKind::Receipt => (MoveKind::Receipt, Intent::In { qty: line.qty, amount: line.amount }),
            DocKind::WriteOff => (MoveKind::WriteOff, Intent::Out { qty: line.qty }),
            DocKind::SupplierReturn => (MoveKind::SupplierReturn, Intent::Out { qty: line.qty }),
            DocKind::Transfer => (MoveKind::TransferOut, Intent::Out { qty: line.qty }),
            DocKind::Count => {
                let expected = qty_before(tx, c, wh, line.product, date)?;
                line.expected = expected;
                let diff = line.qty - expected;
                if diff.is_zero() {
                    continue;
                }
                if diff > Decimal::ZERO {
                    let unit = unit_cost(tx, c, wh, line.product)?;
                    (MoveKind::CountGain, Intent::In { qty: diff, amount: round_money(diff * unit) })
                } else {
                    (MoveKind::CountLoss, Intent::Out { qty: -diff })
                }
            }
        };
        let mid = tx.next_id()?;
        let key = MoveKey { warehouse: wh, product: line.product, date, order: mid, id: mid };
        let mut pair = None;
        if let (DocKind::Transfer, Some(to)) = (doc.kind, doc.to_warehouse) {
            let pid = tx.next_id()?;
            let pkey = MoveKey { warehouse: to, product: line.product, date, order: pid, id: pid };
            let partner = blank_move(pid, doc.id, MoveKind::TransferIn, Intent::In { qty: line.qty, amount: Decimal::ZERO }, Some(key));
            store::put_new_move(tx, c, &pkey, &partner)?;
            new_moves.push(pkey);
            starts.entry((to, line.product)).or_insert((date, pid, pid));
            pair = Some(pkey);
        }
        store::put_new_move(tx, c, &key, &blank_move(mid, doc.id, kind, intent, pair))?;
        new_moves.push(key);
        starts.entry((wh, line.product)).or_insert((date, mid, mid));
    }
    recost_items(tx, c, starts, &settings)?;
    let n = tx.next_counter(c.0, &format!("document.{}", doc.kind.code()))?;
    doc.number = format!("{}-{n:06}", doc.kind.prefix());
    doc.status = DocStatus::Posted;
    doc.posted = Some((now, actor.user));
    doc.moves = new_moves;
    tx.insert(DOCUMENTS, (c, id), &doc)?;
    audit::record(tx, c, actor, now, "document.post", format!("document:{id}"), doc.number.clone())?;
    stock_event(tx, c, &doc, now)?;
    Ok(doc)
}

/// Cancels a posted document by appending a reversal right after each of its movements.
pub fn cancel(tx: &mut WriteTx, actor: &Actor, now: Ts, id: DocumentId) -> Result<Document> {
    actor.require(Perm::DOCUMENT)?;
    actor.require_writable()?;
    cancel_document(tx, actor, now, id)
}

/// [`cancel`] for a domain above that checked its own right first (see [`write_draft`]).
pub fn cancel_document(tx: &mut WriteTx, actor: &Actor, now: Ts, id: DocumentId) -> Result<Document> {
    let c = actor.company;
    let mut doc = tx.get(DOCUMENTS, (c, id))?.ok_or(Error::NotFound)?;
    if doc.status != DocStatus::Posted {
        return Err(Error::WrongState { state: if doc.status == DocStatus::Draft { "draft" } else { "cancelled" } });
    }
    let settings = store::settings(tx, c)?;
    let tz = crate::tenancy::timezone(tx, c)?;
    check_period(&settings, doc.date, &tz)?;
    let mut starts: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)> = BTreeMap::new();
    let mut reversals = Vec::new();
    let originals = doc.moves.clone();
    let mut pairs: BTreeMap<u64, MoveKey> = BTreeMap::new();
    for k in &originals {
        let rid = tx.next_id()?;
        pairs.insert(k.id, MoveKey { warehouse: k.warehouse, product: k.product, date: k.date, order: k.order, id: rid });
    }
    for k in &originals {
        let orig =
            tx.get(MOVES, move_key(c, k))?.ok_or_else(|| Error::Internal(format!("movement {} of document {id} is missing", k.id)))?;
        let rkey = pairs[&k.id];
        let pair = orig.pair.and_then(|p| pairs.get(&p.id).copied());
        store::put_new_move(tx, c, &rkey, &blank_move(rkey.id, doc.id, orig.kind, Intent::Reverse { of: k.id }, pair))?;
        reversals.push(rkey);
        let start = starts.entry((k.warehouse, k.product)).or_insert((rkey.date, rkey.order, rkey.id));
        *start = (*start).min((rkey.date, rkey.order, rkey.id));
    }
    recost_items(tx, c, starts, &settings)?;
    doc.status = DocStatus::Cancelled;
    doc.cancelled = Some((now, actor.user));
    doc.moves.extend(reversals);
    tx.insert(DOCUMENTS, (c, id), &doc)?;
    audit::record(tx, c, actor, now, "document.cancel", format!("document:{id}"), doc.number.clone())?;
    stock_event(tx, c, &doc, now)?;
    Ok(doc)
}

pub fn delete_draft(tx: &mut WriteTx, actor: &Actor, now: Ts, id: DocumentId) -> Result<()> {
    actor.require(Perm::DOCUMENT)?;
    actor.require_writable()?;
    let doc = tx.get(DOCUMENTS, (actor.company, id))?.ok_or(Error::NotFound)?;
    if doc.status != DocStatus::Draft {
        return Err(Error::WrongState { state: "posted" });
    }
    tx.remove(DOCUMENTS, (actor.company, id))?;
    audit::record(tx, actor.company, actor, now, "document.delete_draft", format!("document:{id}"), String::new())?;
    Ok(())
}

/// Deletes a product that never moved; one with movements must be archived instead.
pub fn delete_product(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ProductId) -> Result<()> {
    actor.require(Perm::PRODUCTS)?;
    actor.require_writable()?;
    let c = actor.company;
    let product = tx.get(PRODUCTS, (c.0, id.0))?.ok_or(Error::NotFound)?;
    for ((_, wh), _) in tx.list(WAREHOUSES, (c, WarehouseId::MIN), (c, WarehouseId::MAX), usize::MAX)? {
        let mut moved = false;
        tx.range(MOVES, (c, wh, id, 0, 0, 0), (c, wh, id, u64::MAX, u64::MAX, u64::MAX), false, 1, |_, _| {
            moved = true;
            Ok(false)
        })?;
        if moved {
            return Err(Error::HasMovements { name: product.name });
        }
    }
    let mut old = product.clone();
    old.barcodes.clear();
    old.plu = None;
    // Drop the indexes through the single write path, then the row.
    crate::catalog::store::put_product(tx, actor.company, Some(&product), &old)?;
    tx.remove(PRODUCTS, (c.0, id.0))?;
    crate::catalog::images::remove_all(tx, actor.company, id)?;
    crate::catalog::product_event(tx, actor.company, now, "deleted", &product)?;
    audit::record(tx, actor.company, actor, now, "product.delete", format!("product:{id}"), product.name)?;
    Ok(())
}

/// Tells webhooks which balances a document changed (in its own transaction, via the outbox).
fn stock_event(tx: &mut WriteTx, c: CompanyId, doc: &Document, now: Ts) -> Result<()> {
    let mut items: Vec<(WarehouseId, ProductId)> = doc.moves.iter().map(|k| (k.warehouse, k.product)).collect();
    items.sort_unstable();
    items.dedup();
    let mut rows = Vec::with_capacity(items.len());
    for (wh, p) in items {
        let b = tx.get(BALANCES, (c, wh, p))?.unwrap_or_default();
        rows.push(serde_json::json!({"warehouse": wh, "product": p, "qty": b.qty.to_string(), "value": b.value.to_string()}));
    }
    let status = match doc.status {
        DocStatus::Draft => "draft",
        DocStatus::Posted => "posted",
        DocStatus::Cancelled => "cancelled",
    };
    let payload =
        serde_json::json!({"document": {"id": doc.id.0, "number": doc.number, "kind": doc.kind.code(), "status": status}, "items": rows});
    crate::webhooks::emit(tx, c, "stock.changed", &payload, now)?;
    Ok(())
}

/// A movement with only its identity and intent set; re-costing fills in the rest.
pub(crate) fn blank_move(id: u64, doc: DocumentId, kind: MoveKind, intent: Intent, pair: Option<MoveKey>) -> Move {
    Move {
        id,
        doc,
        kind,
        intent,
        pair,
        qty: Decimal::ZERO,
        value: Decimal::ZERO,
        effects: Vec::new(),
        variance: Decimal::ZERO,
        qty_after: Decimal::ZERO,
        value_after: Decimal::ZERO,
    }
}

/// Stock on hand just before `date` (movements dated earlier, and those of the same instant).
fn qty_before(tx: &impl Read, c: CompanyId, wh: WarehouseId, p: ProductId, date: i64) -> Result<Decimal> {
    let mut q = Decimal::ZERO;
    tx.range(MOVES, (c, wh, p, 0, 0, 0), (c, wh, p, store::date_key(date), u64::MAX, u64::MAX), true, 1, |_, m| {
        q = m.qty_after;
        Ok(false)
    })?;
    Ok(q)
}

/// The unit cost a count surplus enters at: the average of what is on hand, else the purchase
/// price.
fn unit_cost(tx: &impl Read, c: CompanyId, wh: WarehouseId, p: ProductId) -> Result<Decimal> {
    let bal = store::balance(tx, c, wh, p)?;
    if bal.qty > Decimal::ZERO && bal.value > Decimal::ZERO {
        return Ok(bal.value / bal.qty);
    }
    Ok(tx.get(PRODUCTS, (c.0, p.0))?.map(|p| p.purchase_price).unwrap_or_default())
}

/// Re-costs items from their earliest touched movement, following transfer partners whose
/// cost changed, until nothing changes. A refusal names the product and warehouse.
pub fn recost_items(
    tx: &mut WriteTx,
    c: CompanyId,
    work: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)>,
    settings: &Settings,
) -> Result<()> {
    let mut l = store::Ledger::open(tx, c)?;
    recost_with(tx, &mut l, work, settings)
}

/// [`recost_items`] through a ledger the caller already holds open (`tx` only names the
/// warehouse of a refusal).
pub(crate) fn recost_with(
    tx: &WriteTx,
    l: &mut store::Ledger<'_>,
    mut work: BTreeMap<(WarehouseId, ProductId), (i64, u64, u64)>,
    settings: &Settings,
) -> Result<()> {
    let c = l.c;
    let mut rounds = 0usize;
    while let Some((&(wh, p), &from)) = work.iter().next() {
        work.remove(&(wh, p));
        rounds += 1;
        if rounds > 100_000 {
            return Err(Error::Internal("re-costing did not settle".into()));
        }
        let purchase = l.products.get((c.0, p.0))?.map(|p| p.purchase_price).unwrap_or_default();
        let policy = Policy { allow_negative: settings.allow_negative, fallback_unit_cost: purchase };
        match store::recost(l, wh, p, from, policy)? {
            Ok(changes) => {
                for ch in changes {
                    let k = move_key(c, &ch.partner);
                    if let Some(mut partner) = l.moves.get(k)? {
                        if let Intent::In { qty, .. } = partner.intent {
                            partner.intent = Intent::In { qty, amount: ch.amount };
                        }
                        l.moves.insert(k, &partner)?;
                        let start = (ch.partner.date, ch.partner.order, ch.partner.id);
                        let e = work.entry((ch.partner.warehouse, ch.partner.product)).or_insert(start);
                        *e = (*e).min(start);
                    }
                }
            }
            Err(Refusal::Short { available, needed, .. }) => {
                let product = l.products.get((c.0, p.0))?.map(|p| p.name).unwrap_or_default();
                let warehouse = tx.get(WAREHOUSES, (c, wh))?.map(|w| w.name).unwrap_or_default();
                return Err(Error::OutOfStock(vec![Shortage { product, warehouse, available, needed }]));
            }
            Err(Refusal::Orphan { move_id }) => return Err(Error::Internal(format!("reversal {move_id} without its original"))),
        }
    }
    Ok(())
}
