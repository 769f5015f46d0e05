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
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CashBoxId, ClientId, DocumentId, ProductId, SaleId};
use crate::inventory::take::SaleItem;
use crate::money::{parse_money, parse_qty, round_money};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
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
pub(super) fn replay(tx: &impl Read, actor: &Actor, key: &str, print: [u8; 32]) -> Result<Option<String>> {
    match tx.get(IDEMPOTENCY, (actor.company, key))? {
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
/// totals and cash row, and the audit row. Idempotent by `d.key`. Reads as its four steps:
/// parse the order, price its lines, take the stock, record the sale.
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
    let order = parse(tx, actor, now, d, Idempotency { key: key.to_string(), print })?;
    let mut lines = price(&order);
    let id = SaleId(tx.next_id()?);
    let items: Vec<SaleItem> = order.lines.iter().map(|l| SaleItem { product: l.product, qty: l.qty }).collect();
    let taken = crate::inventory::take::take_for_sale(tx, c, order.cash_box.warehouse, DocumentId(id.0), &items, now)?;
    for (line, t) in lines.iter_mut().zip(taken) {
        line.cost = t.cost;
        line.moves = t.moves;
    }
    record(tx, actor, now, id, order, lines)
}

/// A checkout request made sense of: the box and its open shift, the lines (the request's or
/// the open cart's), the client, the totals and the payments against them.
struct Order {
    idempotency: Idempotency,
    box_id: CashBoxId,
    cash_box: CashBox,
    shift: Shift,
    /// The open cart the lines came from, emptied once the sale is recorded.
    cart: Option<Cart>,
    lines: Vec<CartLine>,
    client: Option<ClientId>,
    totals: Totals,
    payments: Vec<Payment>,
    cash_received: Decimal,
    change: Decimal,
}

/// The request's idempotency key and the fingerprint a retry must match.
struct Idempotency {
    key: String,
    print: [u8; 32],
}

/// Parses the request, reporting every problem of its lines, client and payments at once.
fn parse(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &CheckoutDraft, idempotency: Idempotency) -> Result<Order> {
    let b = d.cash_box.ok_or_else(|| Error::field("cash_box", "required", "Выберите кассу", "Choose a cash box"))?;
    let cb = cash_box(tx, actor, b)?;
    let shift = require_open_shift(tx, actor, b)?;
    let pos = settings(tx, actor.company)?;
    let mut p = Problems::default();
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
    Ok(Order { idempotency, box_id: b, cash_box: cb, shift, cart: cart_used, lines, client, totals, payments, cash_received, change })
}

/// The sale lines at their final amounts: each line's own discount plus its share of the
/// order discount. Cost and movements are filled in once stock is taken.
fn price(order: &Order) -> Vec<SaleLine> {
    let totals = &order.totals;
    let shares = allocate(totals.order_discount, &totals.line_amounts);
    let mut lines = Vec::with_capacity(order.lines.len());
    for (i, l) in order.lines.iter().enumerate() {
        let base = round_money(l.list_price * l.qty);
        let actual = totals.line_amounts[i];
        lines.push(SaleLine {
            product: l.product,
            name: l.name.clone(),
            barcode: l.barcode.clone(),
            unit: l.unit.clone(),
            qty: l.qty,
            unit_price: l.unit_price,
            discount: (base - actual).max(Decimal::ZERO) + shares[i],
            amount: actual - shares[i],
            cost: Decimal::ZERO,
            moves: Vec::new(),
            returned_qty: Decimal::ZERO,
            returned_amount: Decimal::ZERO,
        });
    }
    lines
}

/// Writes the sale with everything that moves with it: the shift's running totals and cash
/// row, the daily projection, the client's side, the idempotency key, the emptied cart, the
/// audit row and the receipt.
fn record(tx: &mut WriteTx, actor: &Actor, now: Ts, id: SaleId, order: Order, lines: Vec<SaleLine>) -> Result<Sale> {
    let c = actor.company;
    let Order {
        idempotency: Idempotency { key, print },
        box_id: b,
        cash_box: cb,
        mut shift,
        cart: cart_used,
        client,
        totals,
        payments,
        cash_received,
        change,
        ..
    } = order;
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
        warehouse: cb.warehouse,
        cashier: actor.user,
        client,
        lines,
        subtotal: totals.subtotal,
        discount: totals.discount_total,
        total: totals.total,
        payments,
        cash_received,
        change,
        returned: Decimal::ZERO,
        returns: Vec::new(),
        idempotency_key: key.clone(),
    };

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
    for pay in sale.payments.iter().filter(|p| !matches!(p.method, Method::Cash | Method::Debt)) {
        let m = NonCashMove { cash_box: b, method: pay.method.code(), kind: "sale", amount: pay.amount, reference: format!("sale:{id}") };
        non_cash_moved(tx, actor, now, &m)?;
    }
    tx.insert(SHIFTS, (c.0, shift.id.0), &shift)?;
    tx.insert(SALES, (c.0, id.0), &sale)?;
    tx.insert(SHIFT_SALES, (c.0, shift.id.0, id.0), &id.0)?;
    daily::record_sale(tx, c, &sale)?;
    crate::clients::on_checkout(tx, actor, now, &sale)?;
    tx.insert(IDEMPOTENCY, (c, key.as_str()), &Idempotent { fingerprint: print, result: format!("sale:{id}"), at: now })?;
    if let Some(mut cart) = cart_used {
        let weighed: Vec<_> = sale.lines.iter().map(|l| (l.product, l.qty)).collect();
        crate::scales::on_checkout(tx, c, cart.id, id, &weighed)?;
        cart.lines.clear();
        cart.discount = OrderDiscount::None;
        cart.client = None;
        cart.carried_from = None;
        save_cart(tx, actor, now, cart)?;
    }
    audit::record(tx, c, actor, now, "sale.checkout", format!("sale:{id}"), format!("{} {}", sale.number, sale.total))?;
    crate::webhooks::emit_with(tx, c, crate::webhooks::events::SALE_CREATED, now, || sale_event(&sale))?;
    crate::storage::outbox::push(tx, c.0, crate::storage::outbox::JobKind::Receipt { sale: id.0 }, now.0)?;
    Ok(sale)
}

/// The `sale.created` payload: what the receipt shows, without the cost snapshots.
fn sale_event(sale: &Sale) -> crate::webhooks::events::SaleEvent {
    use crate::webhooks::events::{PaymentEvent, SaleEvent, SaleLineEvent};
    SaleEvent {
        id: sale.id.0,
        number: sale.number.clone(),
        at: sale.at.rfc3339(),
        cash_box: sale.cash_box.0,
        shift: sale.shift.0,
        branch: sale.branch.map(|b| b.0),
        cashier: sale.cashier.0,
        client: sale.client.map(|c| c.0),
        subtotal: sale.subtotal.to_string(),
        discount: sale.discount.to_string(),
        total: sale.total.to_string(),
        payments: sale.payments.iter().map(|p| PaymentEvent { method: p.method.code(), amount: p.amount.to_string() }).collect(),
        lines: sale
            .lines
            .iter()
            .map(|l| SaleLineEvent {
                product: l.product.map(|p| p.0),
                name: l.name.clone(),
                barcode: l.barcode.clone(),
                unit: l.unit.clone(),
                qty: l.qty.to_string(),
                unit_price: l.unit_price.to_string(),
                discount: l.discount.to_string(),
                amount: l.amount.to_string(),
            })
            .collect(),
    }
}

pub(super) fn parse_line(tx: &impl Read, actor: &Actor, l: &LineDraft, i: usize, p: &mut Problems) -> Result<Option<CartLine>> {
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
pub(crate) fn parse_payments(
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
