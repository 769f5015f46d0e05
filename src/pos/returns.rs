//! Returns: full or partial, stock back at the sale's FIFO cost, refund from the current
//! shift, idempotent by key.

use rust_decimal::Decimal;
use serde::Serialize;

use super::model::*;
use super::store::*;
use super::*;
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CashBoxId, DocumentId, SaleId};
use crate::inventory::take::ReturnItem;
use crate::money::{parse_qty, round_money};
use crate::storage::WriteTx;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

#[derive(Debug, Clone, Default, Serialize)]
pub struct ReturnDraft {
    pub key: String,
    /// The box whose open shift pays the refund; the sale's box by default.
    pub cash_box: Option<CashBoxId>,
    /// (line index, quantity); empty = everything not yet returned.
    pub lines: Vec<(usize, String)>,
    pub method: String,
    pub reason: String,
}

/// Returns some or all of a sale: stock comes back at the sale's FIFO cost, the refund is paid
/// from the current shift. Idempotent by `d.key`.
pub fn return_sale(tx: &mut WriteTx, actor: &Actor, now: Ts, sale_id: SaleId, d: &ReturnDraft) -> Result<SaleReturn> {
    cashier(actor)?;
    actor.require(Perm::SALES)?;
    let c = actor.company;
    check_key(&d.key)?;
    let key = d.key.trim();
    let print = fingerprint(&format!("return:{sale_id}"), d)?;
    let mut sale = match tx.get(SALES, (c.0, sale_id.0))? {
        Some(s) if in_scope(actor, s.branch) => s,
        _ => return Err(Error::NotFound),
    };
    if let Some(result) = replay(tx, actor, key, print)? {
        let id = result
            .strip_prefix("return:")
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| Error::Internal(format!("idempotency result {result}")))?;
        return tx.get(RETURNS, (c.0, id))?.ok_or_else(|| Error::Internal(format!("return {id} of an idempotency key is missing")));
    }
    if sale.status == SaleStatus::Returned {
        return Err(Error::refused(
            "sale_returned",
            format!("Продажа {} уже полностью возвращена", sale.number),
            format!("Sale {} is already fully returned", sale.number),
        ));
    }
    let b = d.cash_box.unwrap_or(sale.cash_box);
    cash_box(tx, actor, b)?;
    let mut shift = require_open_shift(tx, actor, b)?;
    let pos = settings(tx, c)?;
    let mut p = Problems::default();
    let method = match Method::parse(if d.method.trim().is_empty() { "cash" } else { &d.method }, &pos.wallets) {
        Some(Method::Debt) if sale.debt().is_zero() => {
            p.push(FieldError::new("method", "payment_method", "Эта продажа была не в долг", "This sale was not on credit"));
            None
        }
        Some(m) => Some(m),
        None => {
            p.push(FieldError::new(
                "method",
                "payment_method",
                format!("Способ возврата «{}» не настроен", d.method),
                format!("Refund method “{}” is not set up", d.method),
            ));
            None
        }
    };
    let wanted: Vec<(usize, Decimal)> = if d.lines.is_empty() {
        sale.lines.iter().enumerate().map(|(i, l)| (i, l.qty - l.returned_qty)).filter(|(_, q)| *q > Decimal::ZERO).collect()
    } else {
        let mut out = Vec::new();
        for (n, (i, q)) in d.lines.iter().enumerate() {
            let Some(line) = sale.lines.get(*i) else {
                p.push(FieldError::new(
                    &format!("lines[{n}].line"),
                    "unknown_line",
                    format!("В продаже нет строки {}", i + 1),
                    format!("The sale has no line {}", i + 1),
                ));
                continue;
            };
            if let Some(q) = p.take(parse_qty(&format!("lines[{n}].qty"), q)) {
                let left = line.qty - line.returned_qty;
                if q > left || out.iter().any(|(j, _)| j == i) {
                    p.push(FieldError::new(
                        &format!("lines[{n}].qty"),
                        "return_too_much",
                        format!("«{}»: можно вернуть не больше {left}", line.name),
                        format!("“{}”: at most {left} can be returned", line.name),
                    ));
                } else {
                    out.push((*i, q));
                }
            }
        }
        out
    };
    if wanted.is_empty() {
        p.push(FieldError::new("lines", "required", "Выберите, что вернуть", "Choose what to return"));
    }
    p.finish()?;
    let method = method.ok_or_else(|| Error::Internal("refund method".into()))?;

    let rid = tx.next_id()?;
    let items: Vec<ReturnItem<'_>> =
        wanted.iter().map(|&(i, q)| ReturnItem { moves: &sale.lines[i].moves, qty: q, of: sale.lines[i].qty }).collect();
    let back = crate::inventory::take::put_back_for_return(tx, c, DocumentId(sale.id.0), &items, now)?;
    let mut rlines = Vec::with_capacity(wanted.len());
    let mut amount = Decimal::ZERO;
    let mut cost = Decimal::ZERO;
    for ((i, q), taken) in wanted.into_iter().zip(back) {
        let l = &mut sale.lines[i];
        let full = q == l.qty - l.returned_qty;
        let line_amount = if full { l.amount - l.returned_amount } else { round_money(l.amount * q / l.qty) };
        l.returned_qty += q;
        l.returned_amount += line_amount;
        amount += line_amount;
        cost += taken.cost;
        rlines.push(ReturnLine { line: i, qty: q, amount: line_amount, cost: taken.cost, moves: taken.moves });
    }
    if method == Method::Cash && amount > shift.expected_cash() {
        return Err(not_enough_cash(shift.expected_cash()));
    }
    if method == Method::Debt && amount > sale.debt() {
        return Err(Error::field(
            "method",
            "refund_exceeds_debt",
            "Сумма возврата больше долга по продаже",
            "The refund exceeds the sale's debt",
        ));
    }
    let n = tx.next_counter(c.0, "return")?;
    let ret = SaleReturn {
        id: rid,
        number: format!("В-{n:06}"),
        sale: sale.id,
        at: now,
        shift: shift.id,
        user: actor.user,
        lines: rlines,
        method: method.clone(),
        amount,
        reason: d.reason.trim().chars().take(200).collect(),
        idempotency_key: key.to_string(),
    };
    sale.returned += amount;
    sale.returns.push(rid);
    if sale.lines.iter().all(|l| l.returned_qty >= l.qty) {
        sale.status = SaleStatus::Returned;
    }
    let t = &mut shift.totals;
    t.returns += 1;
    t.returns_amount += amount;
    t.cogs -= cost;
    *t.refunded.entry(method.code()).or_default() += amount;
    if method == Method::Cash {
        cash_row(tx, actor, now, &mut shift, CashKind::Refund, -amount, format!("return:{rid}"))?;
    } else if method != Method::Debt {
        let m = NonCashMove {
            cash_box: shift.cash_box,
            method: method.code(),
            kind: "refund",
            amount: -amount,
            reference: format!("return:{rid}"),
        };
        non_cash_moved(tx, actor, now, &m)?;
    }
    if method == Method::Debt {
        let client = sale.client.ok_or_else(|| Error::Internal(format!("debt sale {} without a client", sale.number)))?;
        crate::clients::reverse_sale_debt(tx, actor, now, client, sale.id, amount, format!("{} / {}", sale.number, ret.number))?;
    }
    tx.insert(SHIFTS, (c.0, shift.id.0), &shift)?;
    tx.insert(SALES, (c.0, sale.id.0), &sale)?;
    tx.insert(RETURNS, (c.0, rid), &ret)?;
    daily::record_return(tx, c, &sale, &ret)?;
    tx.insert(IDEMPOTENCY, (c, key), &Idempotent { fingerprint: print, result: format!("return:{rid}"), at: now })?;
    audit::record(tx, c, actor, now, "sale.return", format!("sale:{}", sale.id), format!("{} {} {}", ret.number, sale.number, amount))?;
    crate::webhooks::emit_with(tx, c, crate::webhooks::events::SALE_RETURNED, now, || {
        use crate::webhooks::events::{ReturnEvent, ReturnLineEvent};
        ReturnEvent {
            id: ret.id,
            number: ret.number.clone(),
            sale: sale.id.0,
            sale_number: sale.number.clone(),
            at: ret.at.rfc3339(),
            shift: ret.shift.0,
            user: ret.user.0,
            method: ret.method.code(),
            amount: ret.amount.to_string(),
            reason: ret.reason.clone(),
            lines: ret
                .lines
                .iter()
                .map(|l| ReturnLineEvent {
                    line: l.line as u64,
                    product: sale.lines.get(l.line).and_then(|s| s.product).map(|p| p.0),
                    name: sale.lines.get(l.line).map(|s| s.name.clone()).unwrap_or_default(),
                    qty: l.qty.to_string(),
                    amount: l.amount.to_string(),
                })
                .collect(),
        }
    })?;
    Ok(ret)
}
