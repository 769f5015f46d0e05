//! Purchasing: suppliers (clients of the supplier kind), purchases paid in cash or on credit,
//! their returns, the per-supplier payable ledger, supplier payments, and the reconciliation
//! act (spec A10 PURCHASE / PURCHASE_RETURN, A9 suppliers).
//!
//! A purchase moves stock through an inventory receipt (FIFO layers at the purchase prices);
//! a return through an inventory return to supplier; money moves only through finance's money
//! documents (`cash.rs`). Statuses: DRAFT → CASH_PENDING (cash terms, the expense waits for
//! approval, no stock moved) → POSTED | REJECTED; POSTED → CANCELLED by reversal.
//!
//! Invariants (verified by `store::verify`, hence `dukan check`, and by the property test):
//! - payable = Σ ledger rows = Σ credit purchases − payments − returns − cancels, per supplier;
//! - the payable never goes below zero, except by a payment stated as a prepayment or a cash
//!   refund the supplier's money document did not bring (then the supplier owes the company);
//! - a purchase line's returned quantity never exceeds what was bought;
//! - every step is one write transaction: stock, payable row, money document, purchase record
//!   and audit row commit together, and a refused step writes nothing.

pub mod act;
pub mod cash;
mod matching;
pub mod model;
mod payments;
pub mod query;
mod returns;
pub mod store;
#[cfg(test)]
mod tests;

pub use matching::*;
pub use payments::*;
pub use returns::*;

use rust_decimal::Decimal;

use crate::audit;
use crate::clients::model::{Client, ClientKind};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{ClientId, CompanyId, DocumentId, ProductId, PurchaseId, PurchaseReturnId, SupplierPaymentId, WarehouseId};
use crate::inventory::model::DocStatus;
use crate::inventory::{self, DocDraft, LineDraft};
use crate::money::{parse_money, parse_qty, round_money};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;
use cash::{Cash, CashRequest};
use model::{PayFrom, PayableEntry, PayableKind, Purchase, PurchaseLine, PurchaseStatus, SupplierLink, Terms};
use store::{DOC_SUPPLIERS, PURCHASES, append_payable, put_purchase};

/// Reading purchases, suppliers' balances and acts: the purchases right and the catalog module.
pub fn require_read(actor: &Actor) -> Result<()> {
    actor.require_feature("catalog")?;
    actor.require(Perm::PURCHASES)
}

fn require_write(actor: &Actor) -> Result<()> {
    require_read(actor)?;
    actor.require_writable()
}

/// The supplier a new purchase or payment may name: a client of the supplier kind, not archived.
pub fn supplier(tx: &impl Read, c: CompanyId, id: ClientId) -> Result<Option<Client>> {
    Ok(tx.get(crate::clients::store::CLIENTS, (c.0, id.0))?.filter(|s| s.kind == ClientKind::Supplier))
}

fn active_supplier(tx: &impl Read, c: CompanyId, id: Option<ClientId>, p: &mut Problems) -> Result<Option<Client>> {
    let found = match id {
        Some(id) => supplier(tx, c, id)?.filter(|s| !s.archived),
        None => None,
    };
    if found.is_none() {
        p.push(FieldError::new("supplier", "unknown_supplier", "Выберите поставщика", "Choose a supplier"));
    }
    Ok(found)
}

/// A purchase as typed.
#[derive(Debug, Clone, Default)]
pub struct PurchaseDraft {
    pub supplier: Option<ClientId>,
    pub warehouse: Option<WarehouseId>,
    pub date: Option<Ts>,
    /// "cash" or "credit" (the default).
    pub terms: String,
    /// "box:ID" or "bank:ID": pays the whole total (cash) or `paid_now` (credit).
    pub account: String,
    /// Credit terms: the part paid at once.
    pub paid_now: String,
    /// Credit terms: days until payment is due (default 0: due on the purchase date).
    pub due_days: String,
    pub note: String,
    pub lines: Vec<PurchaseLineDraft>,
}

#[derive(Debug, Clone, Default)]
pub struct PurchaseLineDraft {
    pub product: Option<ProductId>,
    pub qty: String,
    /// Unit price.
    pub price: String,
}

fn parse_account(field: &str, raw: &str, required: bool, p: &mut Problems) -> Option<PayFrom> {
    if raw.trim().is_empty() {
        if required {
            p.push(FieldError::new(field, "required", "Выберите кассу или счёт", "Choose a cash box or account"));
        }
        return None;
    }
    let found = PayFrom::parse(raw);
    if found.is_none() {
        p.push(FieldError::new(field, "unknown_account", "Нет такой кассы или счёта", "No such cash box or account"));
    }
    found
}

/// Saves a draft purchase (new or edited) with its draft inventory receipt.
pub fn save_purchase(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<PurchaseId>, d: &PurchaseDraft) -> Result<Purchase> {
    require_write(actor)?;
    let c = actor.company;
    let existing = match id {
        Some(id) => {
            let p = tx.get(PURCHASES, (c, id))?.ok_or(Error::NotFound)?;
            if p.status != PurchaseStatus::Draft {
                return Err(Error::WrongState { state: p.status.code() });
            }
            Some(p)
        }
        None => None,
    };
    let mut p = Problems::default();
    let sup = active_supplier(tx, c, d.supplier, &mut p)?;
    let terms = Terms::parse(&d.terms);
    if terms.is_none() {
        p.push(FieldError::new("terms", "terms", "Оплата: cash или credit", "Terms: cash or credit"));
    }
    let account = parse_account("account", &d.account, terms == Some(Terms::Cash), &mut p);
    let paid_now = if terms == Some(Terms::Credit) && !d.paid_now.trim().is_empty() {
        p.take(parse_money("paid_now", &d.paid_now, false)).unwrap_or_default()
    } else {
        Decimal::ZERO
    };
    if paid_now > Decimal::ZERO && account.is_none() {
        p.push(FieldError::new("account", "required", "Выберите кассу или счёт для оплаты", "Choose the cash box or account paying"));
    }
    let due_days = if d.due_days.trim().is_empty() {
        Some(0)
    } else {
        match d.due_days.trim().parse::<u32>() {
            Ok(n) if n <= 3650 => Some(n),
            _ => {
                p.push(FieldError::new("due_days", "due_days", "Отсрочка: от 0 до 3650 дней", "Terms: 0 to 3650 days"));
                None
            }
        }
    };
    let mut lines = Vec::with_capacity(d.lines.len());
    let mut doc_lines = Vec::with_capacity(d.lines.len());
    for (i, l) in d.lines.iter().enumerate() {
        let qty = p.take(parse_qty(&format!("lines[{i}].qty"), &l.qty).map_err(|e| line_error(e, i)));
        let price = p.take(parse_money(&format!("lines[{i}].price"), &l.price, false).map_err(|e| line_error(e, i)));
        if let (Some(qty), Some(price)) = (qty, price) {
            let amount = round_money(qty * price);
            doc_lines.push(LineDraft { product: l.product, qty: qty.to_string(), cost: String::new(), amount: amount.to_string() });
            lines.push(PurchaseLine { product: l.product.unwrap_or(ProductId(0)), qty, price, amount, returned: Decimal::ZERO });
        }
    }
    let total: Decimal = lines.iter().map(|l| l.amount).sum();
    if paid_now > total && !lines.is_empty() {
        p.push(FieldError::new(
            "paid_now",
            "paid_now",
            "Оплата сразу больше суммы закупки",
            "Paid at once is more than the purchase total",
        ));
    }
    let note: String = d.note.trim().chars().take(1000).collect();
    p.finish()?;
    let (Some(sup), Some(terms), Some(due_days)) = (sup, terms, due_days) else {
        return Err(Error::Internal("purchase parsed with problems".into()));
    };
    // The receipt's own checks: warehouse, date, products (stocked, known), at least one line.
    let draft = DocDraft {
        kind: "receipt".into(),
        date: d.date,
        warehouse: d.warehouse,
        to_warehouse: None,
        supplier: sup.name.clone(),
        reason: String::new(),
        note: note.clone(),
        lines: doc_lines,
    };
    let doc = inventory::write_draft(tx, actor, now, existing.as_ref().and_then(|e| e.document), &draft)?;
    let receipt = inventory::query::document(tx, c, doc)?;
    let pid = match &existing {
        Some(e) => e.id,
        None => PurchaseId(tx.next_id()?),
    };
    let purchase = Purchase {
        id: pid,
        number: String::new(),
        supplier: sup.id,
        warehouse: receipt.warehouse,
        date: receipt.date,
        terms,
        account,
        paid_now,
        due_days: if terms == Terms::Credit { due_days } else { 0 },
        due: None,
        lines,
        total,
        status: PurchaseStatus::Draft,
        document: Some(doc),
        money_doc: None,
        payment: None,
        returns: Vec::new(),
        note,
        created: existing.as_ref().map(|e| e.created).unwrap_or(now),
        created_by: existing.as_ref().map(|e| e.created_by).unwrap_or(actor.user),
        posted: None,
        cancelled: None,
    };
    put_purchase(tx, c, existing.as_ref(), &purchase)?;
    link(tx, c, doc, sup.id, now, actor)?;
    audit::record(tx, c, actor, now, "purchase.save", format!("purchase:{pid}"), purchase.total.to_string())?;
    Ok(purchase)
}

fn line_error(mut e: FieldError, i: usize) -> FieldError {
    e.ru = format!("Строка {}: {}", i + 1, e.ru);
    e.en = format!("Line {}: {}", i + 1, e.en);
    e
}

fn link(tx: &mut WriteTx, c: CompanyId, doc: DocumentId, supplier: ClientId, now: Ts, actor: &Actor) -> Result<()> {
    tx.insert(DOC_SUPPLIERS, (c, doc), &SupplierLink { supplier, at: now, user: actor.user })?;
    Ok(())
}

fn get_purchase(tx: &impl Read, c: CompanyId, id: PurchaseId) -> Result<Purchase> {
    tx.get(PURCHASES, (c, id))?.ok_or(Error::NotFound)
}

/// Posts a draft purchase. Credit: the receipt is posted, the payable grows by the total, and
/// a part paid at once becomes a supplier payment. Cash: an expense money document for the
/// total; approved at once, the receipt is posted; pending, the purchase waits (CASH_PENDING).
pub fn post_purchase(tx: &mut WriteTx, actor: &Actor, now: Ts, id: PurchaseId) -> Result<Purchase> {
    require_write(actor)?;
    let c = actor.company;
    let old = get_purchase(tx, c, id)?;
    if old.status != PurchaseStatus::Draft {
        return Err(Error::WrongState { state: old.status.code() });
    }
    if supplier(tx, c, old.supplier)?.is_none_or(|s| s.archived) {
        return Err(Error::field("supplier", "unknown_supplier", "Поставщик в архиве", "The supplier is archived"));
    }
    let mut p = old.clone();
    let n = tx.next_counter(c.0, "purchase")?;
    p.number = format!("ЗК-{n:06}");
    let tz = crate::tenancy::timezone(tx, c)?;
    match p.terms {
        Terms::Credit => {
            p.due = Some(p.date.plus_days(i64::from(p.due_days)).date_local(&tz));
            post_stock(tx, actor, now, &mut p)?;
            let entry = PayableEntry {
                kind: PayableKind::Purchase,
                amount: p.total,
                at: now,
                user: actor.user,
                purchase: Some(p.id),
                payment: None,
                purchase_return: None,
                note: p.number.clone(),
            };
            append_payable(tx, c, p.supplier, &entry)?;
            if p.paid_now > Decimal::ZERO {
                let account = p.account.ok_or_else(|| Error::Internal("paid at once without an account".into()))?;
                let draft = PaymentDraft {
                    key: format!("purchase:{}", p.id),
                    amount: p.paid_now.to_string(),
                    account: account.code(),
                    prepayment: false,
                    note: p.number.clone(),
                };
                let pay = make_payment(tx, actor, now, p.supplier, &draft, Some(p.id))?;
                p.payment = Some(pay.id);
            }
        }
        Terms::Cash => {
            let account = p.account.ok_or_else(|| Error::Internal("cash purchase without an account".into()))?;
            let memo = format!("Закупка {}", p.number);
            let cash = cash::request(
                tx,
                actor,
                now,
                &CashRequest {
                    income: false,
                    account,
                    amount: p.total,
                    supplier: p.supplier,
                    reference: format!("purchase:{}", p.id),
                    memo: &memo,
                    date: p.date,
                },
            )?;
            p.money_doc = Some(cash.doc);
            if cash.approved {
                post_stock(tx, actor, now, &mut p)?;
            } else {
                p.status = PurchaseStatus::CashPending;
            }
        }
    }
    put_purchase(tx, c, Some(&old), &p)?;
    audit::record(tx, c, actor, now, "purchase.post", format!("purchase:{id}"), format!("{} {}", p.number, p.status.code()))?;
    Ok(p)
}

/// Posts the purchase's receipt and marks it posted.
fn post_stock(tx: &mut WriteTx, actor: &Actor, now: Ts, p: &mut Purchase) -> Result<()> {
    let doc = p.document.ok_or_else(|| Error::Internal(format!("purchase {} has no receipt", p.id)))?;
    inventory::post_document(tx, actor, now, doc)?;
    p.status = PurchaseStatus::Posted;
    p.posted = Some((now, actor.user));
    Ok(())
}

pub fn delete_draft(tx: &mut WriteTx, actor: &Actor, now: Ts, id: PurchaseId) -> Result<()> {
    require_write(actor)?;
    let c = actor.company;
    let p = get_purchase(tx, c, id)?;
    if p.status != PurchaseStatus::Draft {
        return Err(Error::WrongState { state: p.status.code() });
    }
    if let Some(doc) = p.document {
        tx.remove(crate::inventory::store::DOCUMENTS, (c, doc))?;
        tx.remove(DOC_SUPPLIERS, (c, doc))?;
    }
    tx.remove(PURCHASES, (c, id))?;
    tx.remove(store::SUPPLIER_PURCHASES, (c, p.supplier, id))?;
    audit::record(tx, c, actor, now, "purchase.delete_draft", format!("purchase:{id}"), String::new())?;
    Ok(())
}

/// Cancels a posted purchase by reversal: the receipt's movements are reversed; on credit what
/// it added to the payable leaves it (refused when the supplier was already paid more than the
/// payable would keep); in cash the expense is reversed. A purchase with returns is not
/// cancelled (its returns moved stock and money of their own).
pub fn cancel_purchase(tx: &mut WriteTx, actor: &Actor, now: Ts, id: PurchaseId) -> Result<Purchase> {
    require_write(actor)?;
    let c = actor.company;
    let old = get_purchase(tx, c, id)?;
    if old.status != PurchaseStatus::Posted {
        return Err(Error::WrongState { state: old.status.code() });
    }
    if !old.returns.is_empty() {
        return Err(Error::refused(
            "purchase_has_returns",
            "По закупке были возвраты: отменить её нельзя",
            "The purchase has returns: it cannot be cancelled",
        ));
    }
    let mut p = old.clone();
    if p.terms == Terms::Credit {
        let room = payable_room(tx, c, p.supplier)?;
        if room < p.total {
            return Err(Error::refused(
                "payable_negative",
                format!("Долг поставщику {room}: отмена закупки на {} увела бы его в минус", p.total),
                format!("The supplier is owed {room}: cancelling a purchase of {} would take it below zero", p.total),
            ));
        }
    }
    let doc = p.document.ok_or_else(|| Error::Internal(format!("purchase {id} has no receipt")))?;
    inventory::cancel_document(tx, actor, now, doc)?;
    match p.terms {
        Terms::Credit => {
            let entry = PayableEntry {
                kind: PayableKind::Cancel,
                amount: -p.total,
                at: now,
                user: actor.user,
                purchase: Some(p.id),
                payment: None,
                purchase_return: None,
                note: p.number.clone(),
            };
            append_payable(tx, c, p.supplier, &entry)?;
        }
        Terms::Cash => {}
    }
    p.status = PurchaseStatus::Cancelled;
    p.cancelled = Some((now, actor.user));
    put_purchase(tx, c, Some(&old), &p)?;
    if p.terms == Terms::Cash {
        // After the purchase says cancelled, so finance's reaction sees a reversal it asked for.
        let doc = p.money_doc.ok_or_else(|| Error::Internal(format!("cash purchase {id} has no money document")))?;
        cash::reverse(tx, actor, now, doc)?;
    }
    audit::record(tx, c, actor, now, "purchase.cancel", format!("purchase:{id}"), p.number.clone())?;
    Ok(p)
}
