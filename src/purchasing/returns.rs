//! Purchase returns: goods of a posted purchase back to the supplier, settled against the
//! payable or in cash.

use rust_decimal::Decimal;

use super::cash::{self, CashRequest};
use super::model::*;
use super::store::*;
use super::*;
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::PurchaseId;
use crate::money::{parse_qty, round_money};
use crate::storage::WriteTx;
use crate::tenancy::actor::Actor;

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
