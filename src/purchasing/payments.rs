//! Supplier payments (idempotent, through finance's money documents), the payable room they
//! may take, and purchasing's reaction to finance deciding the documents it asked for.

use rust_decimal::Decimal;
use serde::Serialize;

use super::cash::{self, CashRequest};
use super::model::*;
use super::store::*;
use super::*;
use crate::audit;
use crate::clients::{check_key, fingerprint};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::finance::model::{MoneyDoc, MoneyDocStatus};
use crate::ids::{ClientId, CompanyId, PurchaseId};
use crate::money::parse_money;
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;

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

pub(super) fn make_payment(
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
pub(super) fn apply_payment(tx: &mut WriteTx, actor: &Actor, now: Ts, pay: &mut SupplierPayment) -> Result<()> {
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
