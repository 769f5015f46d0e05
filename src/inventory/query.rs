//! Inventory reads the pages and the API share: who may read stock, warehouses, documents (one,
//! and a page of them), balances, the settings with their closed day, a product's stock card;
//! and the document save both answer with (draft, then posting when asked, in one transaction).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{Balance, DocStatus, Document, MoveKind, Settings, Warehouse};
use super::store::{BALANCES, DOCUMENTS, MOVES, WAREHOUSES};
use super::{DocDraft, post, save_draft};
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{CompanyId, DocumentId, ProductId, WarehouseId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// Reading stock: whoever keeps stock documents or manages products.
pub fn require_read(actor: &Actor) -> Result<()> {
    if actor.can(Perm::DOCUMENT) || actor.can(Perm::PRODUCTS) { Ok(()) } else { Err(Error::Forbidden { permission: "document" }) }
}

/// The company's warehouses in id order (closed ones too).
pub fn warehouses(tx: &impl Read, company: CompanyId) -> Result<Vec<Warehouse>> {
    Ok(tx.list(WAREHOUSES, (company, WarehouseId::MIN), (company, WarehouseId::MAX), usize::MAX)?.into_iter().map(|(_, w)| w).collect())
}

/// The company's warehouse `id`; another company's is as missing as an unknown one.
pub fn warehouse(tx: &impl Read, company: CompanyId, id: WarehouseId) -> Result<Warehouse> {
    tx.get(WAREHOUSES, (company, id))?.ok_or(Error::NotFound)
}

pub fn document(tx: &impl Read, company: CompanyId, id: DocumentId) -> Result<Document> {
    tx.get(DOCUMENTS, (company, id))?.ok_or(Error::NotFound)
}

/// The wire name of a document status: draft, posted, cancelled.
pub fn status_code(s: DocStatus) -> &'static str {
    match s {
        DocStatus::Draft => "draft",
        DocStatus::Posted => "posted",
        DocStatus::Cancelled => "cancelled",
    }
}

/// Up to `limit` documents with an id below `before`, newest first, of the given kind and
/// status codes (any when `None`).
pub fn documents_page(
    tx: &impl Read,
    company: CompanyId,
    kind: Option<&str>,
    status: Option<&str>,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<Document>> {
    let hi = DocumentId(before.map(|b| b.saturating_sub(1)).unwrap_or(u64::MAX));
    let mut out = Vec::new();
    tx.range(DOCUMENTS, (company, DocumentId::MIN), (company, hi), true, usize::MAX, |_, d| {
        if kind.is_none_or(|k| k == d.kind.code()) && status.is_none_or(|s| s == status_code(d.status)) {
            out.push(d);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// Saves a draft and, when `post`, posts it in the same transaction (a refused posting keeps
/// nothing); returns the stored document. The document editor and the API save this way.
pub fn save_document(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<DocumentId>, d: &DocDraft, post_it: bool) -> Result<Document> {
    let id = save_draft(tx, actor, now, id, d)?;
    if post_it {
        return post(tx, actor, now, id);
    }
    document(tx, actor.company, id)
}

/// What is on hand of `product` in one warehouse (zero when it never moved there).
pub fn balance(tx: &impl Read, company: CompanyId, warehouse: WarehouseId, product: ProductId) -> Result<Balance> {
    Ok(super::store::balance(tx, company, warehouse, product)?)
}

/// Σ on hand of each product over every warehouse of the company, by product.
pub fn on_hand_totals(tx: &impl Read, company: CompanyId, products: &[ProductId]) -> Result<BTreeMap<ProductId, Decimal>> {
    let warehouses = warehouses(tx, company)?;
    let mut out = BTreeMap::new();
    for p in products {
        let mut total = Decimal::ZERO;
        for w in &warehouses {
            total += balance(tx, company, w.id, *p)?.qty;
        }
        out.insert(*p, total);
    }
    Ok(out)
}

/// The company's inventory settings (defaults when never set).
pub fn settings(tx: &impl Read, company: CompanyId) -> Result<Settings> {
    Ok(super::store::settings(tx, company)?)
}

/// The last closed day "YYYY-MM-DD" (company time zone) as the last instant of that day;
/// empty is no closed period.
pub fn parse_locked_until(raw: Option<&str>, tz: &str) -> Result<Option<Ts>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => Ok(Some(
            Ts::parse_date(s, tz)
                .ok_or_else(|| Error::field("locked_until", "date", "Дата в формате ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"))?
                .plus_days(1)
                .plus_ms(-1),
        )),
    }
}

/// A product's stock card: balances by warehouse and the newest `limit` movements.
pub struct Card {
    pub balances: Vec<(Warehouse, Balance)>,
    pub moves: Vec<CardMove>,
}

pub struct CardMove {
    pub id: u64,
    pub date: Ts,
    pub warehouse: WarehouseId,
    pub kind: MoveKind,
    pub doc: DocumentId,
    /// The document's number ("ПР-000012").
    pub number: String,
    pub qty: Decimal,
    pub value: Decimal,
    pub qty_after: Decimal,
    pub value_after: Decimal,
    /// For outbound movements: the receipts' layers consumed, oldest first.
    pub layers: Vec<CardLayer>,
}

/// `qty` units taken from the layer a document's receipt created, costing `amount` in all.
pub struct CardLayer {
    pub doc: DocumentId,
    pub number: String,
    pub qty: Decimal,
    pub amount: Decimal,
}

pub fn card(tx: &impl Read, company: CompanyId, product: ProductId, limit: usize) -> Result<Card> {
    let (c, id) = (company.0, product.0);
    tx.get(PRODUCTS, (c, id))?.ok_or(Error::NotFound)?;
    let mut balances = Vec::new();
    let mut moves = Vec::new();
    let mut doc_numbers: BTreeMap<u64, String> = BTreeMap::new();
    let mut layer_docs: BTreeMap<u64, u64> = BTreeMap::new();
    for w in warehouses(tx, company)? {
        if let Some(b) = tx.get(BALANCES, (company, w.id, product))? {
            balances.push((w.clone(), b));
        }
        tx.range(
            MOVES,
            (company, w.id, product, 0, 0, 0),
            (company, w.id, product, u64::MAX, u64::MAX, u64::MAX),
            false,
            usize::MAX,
            |(_, wh, _, date, _, _), m| {
                layer_docs.insert(m.id, m.doc.0);
                moves.push((wh, date, m));
                Ok(true)
            },
        )?;
    }
    let mut number = |doc: u64| -> Result<String> {
        if let Some(n) = doc_numbers.get(&doc) {
            return Ok(n.clone());
        }
        let n = tx.get(DOCUMENTS, (company, DocumentId(doc)))?.map(|d| d.number).unwrap_or_default();
        doc_numbers.insert(doc, n.clone());
        Ok(n)
    };
    // Newest first across warehouses: by date, then by id (ids come from one counter).
    moves.sort_by_key(|(_, date, m)| (*date, m.id));
    let mut out = Vec::new();
    for (wh, date, m) in moves.iter().rev().take(limit) {
        let mut layers = Vec::new();
        for e in m.effects.iter().filter(|e| e.dq < Decimal::ZERO && e.layer != m.id) {
            let doc = layer_docs.get(&e.layer).copied().unwrap_or(0);
            layers.push(CardLayer { doc: DocumentId(doc), number: number(doc)?, qty: -e.dq, amount: -e.da });
        }
        out.push(CardMove {
            id: m.id,
            date: Ts(*date as i64),
            warehouse: *wh,
            kind: m.kind,
            doc: m.doc,
            number: number(m.doc.0)?,
            qty: m.qty,
            value: m.value,
            qty_after: m.qty_after,
            value_after: m.value_after,
            layers,
        });
    }
    Ok(Card { balances, moves: out })
}
