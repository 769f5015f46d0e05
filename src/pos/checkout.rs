//! Checkout: the sale, its FIFO stock movements, shift totals, cash row, receivable, print and
//! audit rows in one transaction, idempotent by key (spec A6).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::*;
use super::store::*;
use super::*;
use crate::audit;
use crate::auth::actor::Actor;
use crate::catalog::model::Kind;
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result, Shortage};
use crate::ids::{CashBoxId, ClientId, ProductId, SaleId};
use crate::inventory::model::{Intent, MoveKey, MoveKind};
use crate::inventory::store::{BALANCES, MOVES, SETTINGS, WAREHOUSES, move_key};
use crate::money::{parse_money, parse_qty, round_money, round_qty};
use crate::storage::WriteTx;
use crate::tenancy::model::parse_name;

/// A sale line sent by an API client (a till without a server cart).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LineDraft {
    pub product: Option<ProductId>,
    pub name: String,
    pub qty: String,
    pub price: String,
    pub discount: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PaymentDraft {
    pub method: String,
    pub amount: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckoutDraft {
    /// Chosen by the client, at most 100 characters; a retry sends the same key.
    pub key: String,
    pub cash_box: Option<CashBoxId>,
    /// `None`: check out the caller's open cart at the box.
    pub lines: Option<Vec<LineDraft>>,
    pub discount_percent: String,
    pub discount_amount: String,
    pub client: Option<ClientId>,
    pub payments: Vec<PaymentDraft>,
}

pub(super) fn fingerprint<T: Serialize>(kind: &str, value: &T) -> Result<[u8; 32]> {
    let body = serde_json::to_vec(value).map_err(|e| Error::Internal(format!("fingerprint: {e}")))?;
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update(&body);
    Ok(h.finalize().into())
}

pub(super) fn check_key(key: &str) -> Result<()> {
    let k = key.trim();
    if k.is_empty() || k.len() > 100 || !k.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Error::field(
            "idempotency_key",
            "idempotency_key",
            "Ключ идемпотентности: 1–100 печатных ASCII-символов",
            "Idempotency key: 1–100 printable ASCII characters",
        ));
    }
    Ok(())
}

/// A key seen before: the same request gets its earlier result; another request is refused.
pub(super) fn replay(tx: &WriteTx, actor: &Actor, key: &str, print: [u8; 32]) -> Result<Option<String>> {
    match tx.get(IDEMPOTENCY, (actor.company.0, key))? {
        Some(seen) if seen.fingerprint == print => Ok(Some(seen.result)),
        Some(_) => Err(Error::refused(
            "idempotency_conflict",
            "Этот ключ идемпотентности уже использован для другого запроса",
            "This idempotency key was already used for a different request",
        )),
        None => Ok(None),
    }
}

/// Checks out: one transaction writes the sale, its stock movements (FIFO), the shift's running
/// totals and cash row, and the audit row. Idempotent by `d.key`.
pub fn checkout(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &CheckoutDraft) -> Result<Sale> {
    cashier(actor)?;
    let c = actor.company;
    check_key(&d.key)?;
    let key = d.key.trim();
    let print = fingerprint("checkout", d)?;
    if let Some(result) = replay(tx, actor, key, print)? {
        let id = result
            .strip_prefix("sale:")
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| Error::Internal(format!("idempotency result {result}")))?;
        return tx.get(SALES, (c.0, id))?.ok_or_else(|| Error::Internal(format!("sale {id} of an idempotency key is missing")));
    }
    let b = d.cash_box.ok_or_else(|| Error::field("cash_box", "required", "Выберите кассу", "Choose a cash box"))?;
    let cb = cash_box(tx, actor, b)?;
    let mut shift = require_open_shift(tx, actor, b)?;
    let pos = settings(tx, c)?;
    let mut p = Problems::default();

    // The lines: the request's, or the open cart's.
    let mut cart_used = None;
    let (lines, discount, client) = match &d.lines {
        Some(drafts) => {
            let mut lines = Vec::with_capacity(drafts.len());
            for (i, l) in drafts.iter().enumerate() {
                if let Some(line) = parse_line(tx, actor, l, i, &mut p)? {
                    lines.push(line);
                }
            }
            let discount = match parse_discount(&d.discount_percent, &d.discount_amount) {
                Ok(x) => x,
                Err(e) => {
                    e.fields().iter().for_each(|f| p.push(f.clone()));
                    OrderDiscount::None
                }
            };
            (lines, discount, d.client)
        }
        None => {
            let cart = cart(tx, actor, now, b)?;
            let out = (cart.lines.clone(), cart.discount, d.client.or(cart.client));
            cart_used = Some(cart);
            out
        }
    };
    if lines.is_empty() {
        p.push(FieldError::new("lines", "required", "Чек пуст: добавьте товар", "The sale is empty: add an item"));
    }
    for (i, l) in lines.iter().enumerate() {
        line_problems(tx, actor, l, i, &mut p)?;
    }
    if let Some(cl) = client {
        crate::clients::check_sale_client(tx, actor, cl, &mut p)?;
    }
    let totals = recalc(&lines, discount);
    let payments = parse_payments(&d.payments, &pos.wallets, totals.total, client, &mut p);
    p.finish()?;
    let (payments, cash_received, change) = payments.ok_or_else(|| Error::Internal("payments parsed with problems".into()))?;

    // Stock: what each line takes, checked all at once so every short line is named.
    let warehouse = cb.warehouse;
    let mut takes: Vec<Vec<(ProductId, Decimal)>> = Vec::with_capacity(lines.len());
    let mut needed: BTreeMap<u64, Decimal> = BTreeMap::new();
    let products = tx.open(PRODUCTS)?;
    for l in &lines {
        let mut t = Vec::new();
        if let Some(pid) = l.product
            && let Some(prod) = products.get((c.0, pid.0))?
        {
            match prod.kind {
                Kind::Goods => t.push((pid, l.qty)),
                Kind::Bundle => t.extend(prod.components.iter().map(|comp| (comp.product, round_qty(comp.qty * l.qty)))),
                Kind::Service => {}
            }
        }
        for (pid, q) in &t {
            *needed.entry(pid.0).or_default() += *q;
        }
        takes.push(t);
    }
    drop(products);
    let inv = tx.get(SETTINGS, c.0)?.unwrap_or_default();
    if !needed.is_empty() {
        let Some(wh) = warehouse else {
            return Err(Error::refused(
                "no_warehouse",
                "У кассы не указан склад для списания товара",
                "The cash box has no warehouse to take goods from",
            ));
        };
        if let Some(until) = inv.locked_until
            && now <= until
        {
            return Err(Error::PeriodClosed { until: until.rfc3339() });
        }
        if !inv.allow_negative {
            let balances = tx.open(BALANCES)?;
            let mut short = Vec::new();
            for (pid, need) in &needed {
                let have = balances.get((c.0, wh.0, *pid))?.map(|b| b.qty).unwrap_or_default();
                if have < *need {
                    short.push((*pid, have, *need));
                }
            }
            drop(balances);
            if !short.is_empty() {
                let wname = tx.get(WAREHOUSES, (c.0, wh.0))?.map(|w| w.name).unwrap_or_default();
                let mut named = Vec::with_capacity(short.len());
                for (pid, available, needed) in short {
                    let product = tx.get(PRODUCTS, (c.0, pid))?.map(|p| p.name).unwrap_or_default();
                    named.push(Shortage { product, warehouse: wname.clone(), available, needed });
                }
                return Err(Error::OutOfStock(named));
            }
        }
    }

    let id = SaleId(tx.next_id()?);
    let mut starts: BTreeMap<(u64, u64), (i64, u64, u64)> = BTreeMap::new();
    let mut line_moves: Vec<Vec<MoveKey>> = Vec::with_capacity(lines.len());
    let mut new_moves = Vec::new();
    for t in &takes {
        let mut keys = Vec::new();
        if let Some(wh) = warehouse {
            for (pid, q) in t {
                let mid = tx.next_id()?;
                let key = MoveKey { warehouse: wh, product: *pid, date: now.0, order: mid, id: mid };
                new_moves.push((
                    key,
                    crate::inventory::blank_move(mid, crate::ids::DocumentId(id.0), MoveKind::Sale, Intent::Out { qty: *q }, None),
                ));
                starts.entry((wh.0, pid.0)).or_insert((now.0, mid, mid));
                keys.push(key);
            }
        }
        line_moves.push(keys);
    }
    crate::inventory::store::put_new_moves(tx, c, &new_moves)?;
    crate::inventory::recost_items(tx, c, starts, &inv)?;

    let shares = allocate(totals.order_discount, &totals.line_amounts);
    let mut sale_lines = Vec::with_capacity(lines.len());
    let moves = tx.open(MOVES)?;
    for (i, (l, keys)) in lines.iter().zip(line_moves).enumerate() {
        let mut cost = Decimal::ZERO;
        for k in &keys {
            cost -= moves.get(move_key(c, k))?.map(|m| m.value).unwrap_or_default();
        }
        let base = round_money(l.list_price * l.qty);
        let actual = totals.line_amounts[i];
        sale_lines.push(SaleLine {
            product: l.product,
            name: l.name.clone(),
            barcode: l.barcode.clone(),
            unit: l.unit.clone(),
            qty: l.qty,
            unit_price: l.unit_price,
            discount: (base - actual).max(Decimal::ZERO) + shares[i],
            amount: actual - shares[i],
            cost,
            moves: keys,
            returned_qty: Decimal::ZERO,
            returned_amount: Decimal::ZERO,
        });
    }
    drop(moves);
    let n = tx.next_counter(c.0, "sale")?;
    let debt = payments.iter().any(|p| p.method == Method::Debt);
    let sale = Sale {
        id,
        number: format!("П-{n:06}"),
        status: if debt { SaleStatus::Debt } else { SaleStatus::Paid },
        at: now,
        cash_box: b,
        shift: shift.id,
        branch: cb.branch,
        warehouse,
        cashier: actor.user,
        client,
        lines: sale_lines,
        subtotal: totals.subtotal,
        discount: totals.discount_total,
        total: totals.total,
        payments,
        cash_received,
        change,
        returned: Decimal::ZERO,
        returns: Vec::new(),
        idempotency_key: key.to_string(),
    };

    // The shift's running totals and its cash row.
    let t = &mut shift.totals;
    t.sales += 1;
    t.sales_amount += sale.total;
    t.discounts += sale.discount;
    t.cogs += sale.cost();
    for pay in &sale.payments {
        *t.paid.entry(pay.method.code()).or_default() += pay.amount;
    }
    let cash: Decimal = sale.payments.iter().filter(|p| p.method == Method::Cash).map(|p| p.amount).sum();
    cash_row(tx, actor, now, &mut shift, CashKind::Sale, cash, format!("sale:{id}"))?;
    tx.insert(SHIFTS, (c.0, shift.id.0), &shift)?;
    tx.insert(SALES, (c.0, id.0), &sale)?;
    tx.insert(SHIFT_SALES, (c.0, shift.id.0, id.0), &id.0)?;
    daily::record_sale(tx, c, &sale)?;
    crate::clients::on_checkout(tx, actor, now, &sale)?;
    tx.insert(IDEMPOTENCY, (c.0, key), &Idempotent { fingerprint: print, result: format!("sale:{id}"), at: now })?;
    if let Some(mut cart) = cart_used {
        cart.lines.clear();
        cart.discount = OrderDiscount::None;
        cart.client = None;
        cart.carried_from = None;
        save_cart(tx, actor, now, cart)?;
    }
    audit::record(tx, c, actor, now, "sale.checkout", format!("sale:{id}"), format!("{} {}", sale.number, sale.total))?;
    crate::storage::outbox::push(tx, c.0, crate::storage::outbox::JobKind::Receipt { sale: id.0 }, now.0)?;
    Ok(sale)
}

pub(super) fn parse_line(tx: &WriteTx, actor: &Actor, l: &LineDraft, i: usize, p: &mut Problems) -> Result<Option<CartLine>> {
    let f = |name: &str| format!("lines[{i}].{name}");
    let qty = if l.qty.trim().is_empty() { Some(Decimal::ONE) } else { p.take(parse_qty(&f("qty"), &l.qty)) };
    let price = if l.price.trim().is_empty() { None } else { p.take(parse_money(&f("price"), &l.price, false)).map(Some).unwrap_or(None) };
    let discount = if l.discount.trim().is_empty() { Some(Decimal::ZERO) } else { p.take(parse_money(&f("discount"), &l.discount, false)) };
    let line = match l.product {
        Some(pid) => match tx.get(PRODUCTS, (actor.company.0, pid.0))? {
            Some(prod) if !prod.archived => qty.map(|q| {
                let mut line = line_of(&prod, q);
                if let Some(pr) = price {
                    line.unit_price = pr;
                }
                line
            }),
            _ => {
                p.push(FieldError::new(
                    &f("product"),
                    "unknown_product",
                    format!("Строка {}: нет такого товара", i + 1),
                    format!("Line {}: no such product", i + 1),
                ));
                None
            }
        },
        None => {
            let name = p.take(parse_name(&f("name"), &l.name, 200));
            if price.is_none() && !l.price.trim().is_empty() {
                None
            } else if let (Some(name), Some(q)) = (name, qty) {
                match price {
                    Some(pr) => Some(CartLine {
                        product: None,
                        name,
                        barcode: String::new(),
                        unit: "pcs".into(),
                        qty: q,
                        unit_price: pr,
                        list_price: pr,
                        discount: Decimal::ZERO,
                    }),
                    None => {
                        p.push(FieldError::new(
                            &f("price"),
                            "required",
                            format!("Строка {}: укажите цену", i + 1),
                            format!("Line {}: enter a price", i + 1),
                        ));
                        None
                    }
                }
            } else {
                None
            }
        }
    };
    Ok(match (line, discount) {
        (Some(mut line), Some(disc)) => {
            line.discount = disc;
            Some(line)
        }
        _ => None,
    })
}

/// Payments against `total`: amounts by method; cash may exceed what is due (change); a debt
/// part needs a client. Returns (payments as applied, cash received, change).
pub(super) fn parse_payments(
    drafts: &[PaymentDraft],
    wallets: &[String],
    total: Decimal,
    client: Option<ClientId>,
    p: &mut Problems,
) -> Option<(Vec<Payment>, Decimal, Decimal)> {
    if drafts.is_empty() {
        p.push(FieldError::new("payments", "required", "Укажите оплату", "Enter the payment"));
        return None;
    }
    let mut by: BTreeMap<Method, Decimal> = BTreeMap::new();
    let mut ok = true;
    for (i, d) in drafts.iter().enumerate() {
        let method = Method::parse(&d.method, wallets);
        if method.is_none() {
            p.push(FieldError::new(
                &format!("payments[{i}].method"),
                "payment_method",
                format!("Способ оплаты «{}» не настроен", d.method),
                format!("Payment method “{}” is not set up", d.method),
            ));
        }
        let amount = p.take(parse_money(&format!("payments[{i}].amount"), &d.amount, false));
        match (method, amount) {
            (Some(m), Some(a)) => *by.entry(m).or_default() += a,
            _ => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if by.contains_key(&Method::Debt) && client.is_none() {
        p.push(FieldError::new("client", "client_required", "Продажа в долг: выберите клиента", "A sale on credit needs a client"));
        return None;
    }
    let paid: Decimal = by.values().copied().sum();
    let cash = by.get(&Method::Cash).copied().unwrap_or_default();
    if paid < total {
        p.push(FieldError::new(
            "payments",
            "underpaid",
            format!("Оплачено {paid} из {total}: не хватает {}", total - paid),
            format!("Paid {paid} of {total}: {} missing", total - paid),
        ));
        return None;
    }
    let change = paid - total;
    if change > cash {
        p.push(FieldError::new(
            "payments",
            "overpaid",
            "Сумма оплаты больше итога: сдача возможна только с наличных",
            "The payments exceed the total: only cash can give change",
        ));
        return None;
    }
    let payments: Vec<Payment> = by
        .into_iter()
        .map(|(method, amount)| {
            let amount = if method == Method::Cash { amount - change } else { amount };
            Payment { method, amount }
        })
        .filter(|p| !p.amount.is_zero())
        .collect();
    Some((payments, cash, change))
}
