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
pub mod model;
pub mod query;
pub mod store;
#[cfg(test)]
mod tests;

use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::clients::model::{Client, ClientKind};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::finance::model::{MoneyDoc, MoneyDocStatus};
use crate::ids::{ClientId, CompanyId, DocumentId, ProductId, PurchaseId, PurchaseReturnId, SupplierPaymentId, WarehouseId};
use crate::inventory::model::DocStatus;
use crate::inventory::{self, DocDraft, LineDraft};
use crate::money::{parse_money, parse_qty, round_money};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;
use cash::{Cash, CashRequest};
use model::{
    PayFrom, PayableEntry, PayableKind, PaymentStatus, Purchase, PurchaseKey, PurchaseLine, PurchaseReturn, PurchaseStatus, Refund,
    ReturnLine, SupplierLink, SupplierPayment, Terms,
};
use store::{DOC_SUPPLIERS, PAYMENTS, PURCHASE_KEYS, PURCHASE_RETURNS, PURCHASES, append_payable, put_payment, put_purchase};

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

/// Goods going back to the supplier.
#[derive(Debug, Clone, Default)]
pub struct ReturnDraft {
    /// (purchase line index, quantity).
    pub lines: Vec<(usize, String)>,
    /// "payable" (the default) or "cash".
    pub refund: String,
    /// "box:ID" or "bank:ID" for a cash refund.
    pub account: String,
    pub note: String,
}

/// Returns goods of a posted purchase: never more of a line than was bought minus what was
/// returned. The stock leaves through an inventory return to supplier (at the FIFO cost of
/// the layers it takes); the supplier settles by the purchase prices, against the payable
/// (refused when that would take it below zero) or in cash (an income money document).
pub fn return_goods(tx: &mut WriteTx, actor: &Actor, now: Ts, id: PurchaseId, d: &ReturnDraft) -> Result<PurchaseReturn> {
    require_write(actor)?;
    let c = actor.company;
    let old = get_purchase(tx, c, id)?;
    if old.status != PurchaseStatus::Posted {
        return Err(Error::WrongState { state: old.status.code() });
    }
    let mut p = Problems::default();
    let refund_cash = match d.refund.trim() {
        "" | "payable" => false,
        "cash" => true,
        _ => {
            p.push(FieldError::new("refund", "refund", "Возврат: payable или cash", "Refund: payable or cash"));
            false
        }
    };
    let account = if refund_cash { parse_account("account", &d.account, true, &mut p) } else { None };
    let mut purchase = old.clone();
    let mut lines = Vec::new();
    for (i, (line, raw)) in d.lines.iter().enumerate() {
        let Some(pl) = purchase.lines.get_mut(*line) else {
            p.push(FieldError::new(&format!("lines[{i}].line"), "unknown_line", "Нет такой строки закупки", "No such purchase line"));
            continue;
        };
        let Some(qty) = p.take(parse_qty(&format!("lines[{i}].qty"), raw).map_err(|e| line_error(e, i))) else {
            continue;
        };
        let left = pl.qty - pl.returned;
        if qty > left {
            p.push(FieldError::new(
                &format!("lines[{i}].qty"),
                "return_exceeds_purchase",
                format!("Строка {}: вернуть можно не больше {left}", line + 1),
                format!("Line {}: at most {left} can be returned", line + 1),
            ));
            continue;
        }
        pl.returned += qty;
        lines.push(ReturnLine { line: *line as u32, product: pl.product, qty, amount: round_money(qty * pl.price) });
    }
    if d.lines.is_empty() {
        p.push(FieldError::new("lines", "required", "Укажите, что вернуть", "Choose what to return"));
    }
    p.finish()?;
    let amount: Decimal = lines.iter().map(|l| l.amount).sum();
    let sup = supplier(tx, c, purchase.supplier)?.ok_or(Error::NotFound)?;
    if account.is_none() {
        let room = payable_room(tx, c, sup.id)?;
        if room < amount {
            return Err(Error::refused(
                "payable_negative",
                format!("Долг поставщику {room}: верните {amount} деньгами"),
                format!("The supplier is owed {room}: take {amount} back in cash"),
            ));
        }
    }
    let draft = DocDraft {
        kind: "supplier_return".into(),
        date: None,
        warehouse: Some(purchase.warehouse),
        to_warehouse: None,
        supplier: sup.name.clone(),
        reason: format!("Возврат по закупке {}", purchase.number),
        note: d.note.trim().chars().take(1000).collect(),
        lines: lines
            .iter()
            .map(|l| LineDraft { product: Some(l.product), qty: l.qty.to_string(), cost: String::new(), amount: String::new() })
            .collect(),
    };
    let doc = inventory::write_draft(tx, actor, now, None, &draft)?;
    inventory::post_document(tx, actor, now, doc)?;
    link(tx, c, doc, sup.id, now, actor)?;
    let rid = PurchaseReturnId(tx.next_id()?);
    let (refund, money_doc) = match account {
        Some(account) => {
            let memo = format!("Возврат по закупке {}", purchase.number);
            let cash = cash::request(
                tx,
                actor,
                now,
                &CashRequest {
                    income: true,
                    account,
                    amount,
                    supplier: sup.id,
                    reference: format!("purchase_return:{rid}"),
                    memo: &memo,
                    date: now,
                },
            )?;
            (Refund::Cash(account), Some(cash.doc))
        }
        None => {
            let entry = PayableEntry {
                kind: PayableKind::Return,
                amount: -amount,
                at: now,
                user: actor.user,
                purchase: Some(purchase.id),
                payment: None,
                purchase_return: Some(rid),
                note: purchase.number.clone(),
            };
            append_payable(tx, c, sup.id, &entry)?;
            (Refund::Payable, None)
        }
    };
    let ret = PurchaseReturn {
        id: rid,
        purchase: purchase.id,
        supplier: sup.id,
        lines,
        amount,
        refund,
        document: doc,
        money_doc,
        at: now,
        user: actor.user,
        note: d.note.trim().chars().take(1000).collect(),
    };
    tx.insert(PURCHASE_RETURNS, (c, rid), &ret)?;
    purchase.returns.push(rid);
    put_purchase(tx, c, Some(&old), &purchase)?;
    audit::record(tx, c, actor, now, "purchase.return", format!("purchase:{id}"), amount.to_string())?;
    Ok(ret)
}

/// A payment to a supplier as typed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PaymentDraft {
    /// Idempotency key: a replay of the same request returns the first payment.
    pub key: String,
    pub amount: String,
    /// "box:ID" or "bank:ID".
    pub account: String,
    /// Stated as a prepayment: may exceed what is owed.
    pub prepayment: bool,
    pub note: String,
}

fn fingerprint<T: Serialize>(scope: &str, value: &T) -> Result<[u8; 32]> {
    let json = serde_json::to_vec(value).map_err(|e| Error::Internal(format!("fingerprint: {e}")))?;
    let mut h = Sha256::new();
    h.update(scope.as_bytes());
    h.update(&json);
    Ok(h.finalize().into())
}

fn check_key(key: &str) -> Result<()> {
    let k = key.trim();
    if k.is_empty() || k.len() > 100 || k.chars().any(char::is_control) {
        return Err(Error::field(
            "idempotency_key",
            "idempotency_key",
            "Нужен ключ идемпотентности (до 100 символов)",
            "An idempotency key (up to 100 characters) is required",
        ));
    }
    Ok(())
}

/// Pays a supplier from a cash box or bank account through an expense money document.
/// Approved at once, the payable shrinks now; pending, when finance approves it. At most what
/// is owed (less payments still pending) unless stated as a prepayment. Idempotent by `d.key`.
pub fn pay_supplier(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ClientId, d: &PaymentDraft) -> Result<SupplierPayment> {
    require_write(actor)?;
    let c = actor.company;
    check_key(&d.key)?;
    if supplier(tx, c, id)?.is_none() {
        return Err(Error::NotFound);
    }
    let scoped = format!("supplierpay:{}", d.key.trim());
    let print = fingerprint(&format!("supplierpay:{id}"), d)?;
    match tx.get(PURCHASE_KEYS, (c, scoped.as_str()))? {
        Some(k) if k.fingerprint == print => {
            return tx
                .get(PAYMENTS, (c, SupplierPaymentId(k.result)))?
                .ok_or_else(|| Error::Internal(format!("payment {} missing", k.result)));
        }
        Some(_) => {
            return Err(Error::refused(
                "idempotency_key_reused",
                "Этот ключ уже использован для другого запроса",
                "This idempotency key was used for a different request",
            ));
        }
        None => {}
    }
    let pay = make_payment(tx, actor, now, id, d, None)?;
    tx.insert(PURCHASE_KEYS, (c, scoped.as_str()), &PurchaseKey { fingerprint: print, result: pay.id.0, at: now })?;
    Ok(pay)
}

/// What is owed less the payments still waiting for approval: the most a payment may be.
pub fn payable_room(tx: &impl Read, c: CompanyId, supplier: ClientId) -> Result<Decimal> {
    let owed = store::balance(tx, c, supplier)?.owed;
    let mut pending = Decimal::ZERO;
    for ((_, _, pid), _) in
        tx.list(store::SUPPLIER_PAYMENTS, (c, supplier, SupplierPaymentId::MIN), (c, supplier, SupplierPaymentId::MAX), usize::MAX)?
    {
        if let Some(p) = tx.get(PAYMENTS, (c, pid))?
            && p.status == PaymentStatus::Pending
            && !p.prepayment
        {
            pending += p.amount;
        }
    }
    Ok(owed - pending)
}

fn make_payment(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: ClientId,
    d: &PaymentDraft,
    purchase: Option<PurchaseId>,
) -> Result<SupplierPayment> {
    let c = actor.company;
    let mut p = Problems::default();
    let amount = p.take(parse_money("amount", &d.amount, false));
    let account = parse_account("account", &d.account, true, &mut p);
    if let Some(a) = amount {
        let room = payable_room(tx, c, id)?;
        if a < Decimal::new(1, 2) {
            p.push(FieldError::new("amount", "amount", "Сумма не меньше 0,01", "At least 0.01"));
        } else if !d.prepayment && a > room {
            p.push(FieldError::new(
                "amount",
                "payment_exceeds_payable",
                format!("Долг поставщику {}: больше платить нельзя, кроме предоплаты", room.max(Decimal::ZERO)),
                format!("The supplier is owed {}: pay more only as a prepayment", room.max(Decimal::ZERO)),
            ));
        }
    }
    p.finish()?;
    let (Some(amount), Some(account)) = (amount, account) else {
        return Err(Error::Internal("payment parsed with problems".into()));
    };
    let pid = SupplierPaymentId(tx.next_id()?);
    let note: String = d.note.trim().chars().take(200).collect();
    let memo = if note.is_empty() {
        "Оплата поставщику".to_string()
    } else {
        format!("Оплата поставщику: {note}")
    };
    let Cash { doc, approved } = cash::request(
        tx,
        actor,
        now,
        &CashRequest { income: false, account, amount, supplier: id, reference: format!("supplier_payment:{pid}"), memo: &memo, date: now },
    )?;
    let mut pay = SupplierPayment {
        id: pid,
        supplier: id,
        amount,
        account,
        prepayment: d.prepayment,
        status: PaymentStatus::Pending,
        money_doc: doc,
        purchase,
        at: now,
        user: actor.user,
        note,
    };
    if approved {
        apply_payment(tx, actor, now, &mut pay)?;
    }
    put_payment(tx, c, &pay)?;
    audit::record(tx, c, actor, now, "supplier.pay", format!("client:{id}"), amount.to_string())?;
    Ok(pay)
}

/// Writes an approved payment's payable row; refuses one that would now take the payable
/// below zero unless it is a prepayment.
fn apply_payment(tx: &mut WriteTx, actor: &Actor, now: Ts, pay: &mut SupplierPayment) -> Result<()> {
    let c = actor.company;
    let bal = store::balance(tx, c, pay.supplier)?;
    if !pay.prepayment && pay.amount > bal.owed {
        return Err(Error::refused(
            "payment_exceeds_payable",
            format!("Долг поставщику {}: платёж {} больше долга", bal.owed, pay.amount),
            format!("The supplier is owed {}: the payment of {} is more", bal.owed, pay.amount),
        ));
    }
    let entry = PayableEntry {
        kind: if pay.prepayment { PayableKind::Prepayment } else { PayableKind::Payment },
        amount: -pay.amount,
        at: now,
        user: actor.user,
        purchase: pay.purchase,
        payment: Some(pay.id),
        purchase_return: None,
        note: pay.note.clone(),
    };
    append_payable(tx, c, pay.supplier, &entry)?;
    pay.status = PaymentStatus::Applied;
    Ok(())
}

/// Finance decided (or reversed) a money document purchasing asked for; its `reference` says
/// which: a cash purchase waiting for its expense is posted (approved) or rejected; a pending
/// supplier payment is applied or rejected, an applied one reversed outside purchasing grows
/// the payable back; a cash refund the supplier's income document did not bring (rejected or
/// reversed) becomes a `Return` row, so the supplier owes it. A cash purchase's expense is
/// reversed only by cancelling the purchase.
pub fn money_doc_decided(tx: &mut WriteTx, actor: &Actor, now: Ts, doc: &MoneyDoc) -> Result<()> {
    let c = actor.company;
    let Some((kind, id)) = doc.reference.split_once(':') else {
        return Ok(());
    };
    let Ok(id) = id.parse::<u64>() else {
        return Ok(());
    };
    match kind {
        "purchase" => {
            let Some(old) = tx.get(PURCHASES, (c, PurchaseId(id)))? else {
                return Ok(());
            };
            if old.money_doc != Some(doc.id) {
                return Ok(());
            }
            if doc.status == MoneyDocStatus::Reversed {
                if old.status == PurchaseStatus::Posted {
                    return Err(Error::refused(
                        "cancel_the_purchase",
                        format!("Это оплата закупки {}: отмените закупку", old.number),
                        format!("This pays purchase {}: cancel the purchase instead", old.number),
                    ));
                }
                return Ok(());
            }
            if old.status != PurchaseStatus::CashPending {
                return Ok(());
            }
            let mut p = old.clone();
            match doc.status {
                MoneyDocStatus::Approved => post_stock(tx, actor, now, &mut p)?,
                MoneyDocStatus::Rejected => {
                    p.status = PurchaseStatus::Rejected;
                    if let Some(d) = p.document {
                        // The receipt never posts: the draft goes with the rejected purchase.
                        if tx.get(crate::inventory::store::DOCUMENTS, (c, d))?.is_some_and(|d| d.status == DocStatus::Draft) {
                            tx.remove(crate::inventory::store::DOCUMENTS, (c, d))?;
                            tx.remove(DOC_SUPPLIERS, (c, d))?;
                        }
                        p.document = None;
                    }
                }
                MoneyDocStatus::Pending | MoneyDocStatus::Reversed => return Ok(()),
            }
            put_purchase(tx, c, Some(&old), &p)?;
            audit::record(tx, c, actor, now, "purchase.cash_decided", format!("purchase:{id}"), p.status.code().into())?;
        }
        "supplier_payment" => {
            let Some(mut pay) = tx.get(PAYMENTS, (c, SupplierPaymentId(id)))? else {
                return Ok(());
            };
            if pay.money_doc != doc.id {
                return Ok(());
            }
            match (pay.status, doc.status) {
                (PaymentStatus::Pending, MoneyDocStatus::Approved) => apply_payment(tx, actor, now, &mut pay)?,
                (PaymentStatus::Pending, MoneyDocStatus::Rejected) => pay.status = PaymentStatus::Rejected,
                (PaymentStatus::Applied, MoneyDocStatus::Reversed) => {
                    let entry = PayableEntry {
                        kind: PayableKind::PaymentReversed,
                        amount: pay.amount,
                        at: now,
                        user: actor.user,
                        purchase: pay.purchase,
                        payment: Some(pay.id),
                        purchase_return: None,
                        note: doc.number.clone(),
                    };
                    append_payable(tx, c, pay.supplier, &entry)?;
                    pay.status = PaymentStatus::Reversed;
                }
                _ => return Ok(()),
            }
            put_payment(tx, c, &pay)?;
            audit::record(tx, c, actor, now, "supplier.payment_decided", format!("client:{}", pay.supplier), pay.status.code().into())?;
        }
        "purchase_return" => {
            let Some(ret) = tx.get(PURCHASE_RETURNS, (c, PurchaseReturnId(id)))? else {
                return Ok(());
            };
            if ret.money_doc != Some(doc.id) || !matches!(doc.status, MoneyDocStatus::Rejected | MoneyDocStatus::Reversed) {
                return Ok(());
            }
            let entry = PayableEntry {
                kind: PayableKind::Return,
                amount: -ret.amount,
                at: now,
                user: actor.user,
                purchase: Some(ret.purchase),
                payment: None,
                purchase_return: Some(ret.id),
                note: doc.number.clone(),
            };
            append_payable(tx, c, ret.supplier, &entry)?;
        }
        _ => {}
    }
    Ok(())
}

/// Free-text supplier names of stock documents not linked to a supplier yet, with how many
/// documents carry each (trimmed, compared without case): the matching step's list.
pub fn unmatched_names(tx: &impl Read, actor: &Actor) -> Result<Vec<(String, usize)>> {
    require_read(actor)?;
    let c = actor.company;
    let mut names: std::collections::BTreeMap<String, (String, usize)> = std::collections::BTreeMap::new();
    let mut docs = Vec::new();
    tx.range(crate::inventory::store::DOCUMENTS, (c, DocumentId::MIN), (c, DocumentId::MAX), false, usize::MAX, |(_, id), d| {
        if !d.supplier.trim().is_empty() {
            docs.push((id, d.supplier.trim().to_string()));
        }
        Ok(true)
    })?;
    for (id, name) in docs {
        if tx.get(DOC_SUPPLIERS, (c, id))?.is_none() {
            names.entry(name.to_lowercase()).or_insert((name, 0)).1 += 1;
        }
    }
    Ok(names.into_values().collect())
}

/// The matching step for one free-text name: links every unlinked document carrying it to
/// `supplier`, or to a new supplier client of that name when `supplier` is `None`. Linking
/// twice changes nothing. Returns the supplier and how many documents were linked.
pub fn match_name(tx: &mut WriteTx, actor: &Actor, now: Ts, name: &str, supplier_id: Option<ClientId>) -> Result<(ClientId, usize)> {
    require_write(actor)?;
    let c = actor.company;
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::field("name", "required", "Укажите название поставщика", "Enter the supplier name"));
    }
    let sid = match supplier_id {
        Some(id) => {
            supplier(tx, c, id)?.ok_or_else(|| Error::field("supplier", "unknown_supplier", "Выберите поставщика", "Choose a supplier"))?.id
        }
        None => {
            let draft = crate::clients::ClientDraft { kind: "supplier".into(), name: name.into(), ..Default::default() };
            crate::clients::save_client(tx, actor, now, None, &draft)?.0.id
        }
    };
    let key = name.to_lowercase();
    let mut docs = Vec::new();
    tx.range(crate::inventory::store::DOCUMENTS, (c, DocumentId::MIN), (c, DocumentId::MAX), false, usize::MAX, |(_, id), d| {
        if d.supplier.trim().to_lowercase() == key {
            docs.push(id);
        }
        Ok(true)
    })?;
    let mut linked = 0;
    for id in docs {
        if tx.get(DOC_SUPPLIERS, (c, id))?.is_none() {
            link(tx, c, id, sid, now, actor)?;
            linked += 1;
        }
    }
    audit::record(tx, c, actor, now, "supplier.match", format!("client:{sid}"), format!("{name}: {linked}"))?;
    Ok((sid, linked))
}

/// Links one stock document (a receipt or a return to supplier made outside purchasing) to a
/// supplier client; its free text stays as it was.
pub fn link_document(tx: &mut WriteTx, actor: &Actor, now: Ts, doc: DocumentId, supplier_id: ClientId) -> Result<()> {
    require_write(actor)?;
    let c = actor.company;
    let d = tx.get(crate::inventory::store::DOCUMENTS, (c, doc))?.ok_or(Error::NotFound)?;
    if !matches!(d.kind, crate::inventory::model::DocKind::Receipt | crate::inventory::model::DocKind::SupplierReturn) {
        return Err(Error::refused(
            "not_a_supplier_document",
            "Поставщика указывают у прихода или возврата",
            "Only receipts and returns name a supplier",
        ));
    }
    if supplier(tx, c, supplier_id)?.is_none() {
        return Err(Error::field("supplier", "unknown_supplier", "Выберите поставщика", "Choose a supplier"));
    }
    link(tx, c, doc, supplier_id, now, actor)?;
    audit::record(tx, c, actor, now, "supplier.link", format!("document:{doc}"), format!("client:{supplier_id}"))?;
    Ok(())
}
