//! Server-side carts: one open cart per cashier per box, scans (barcodes and weighed-goods
//! codes), lines, the order discount and the client (spec A6).

use rust_decimal::Decimal;
use serde::Serialize;

use super::model::*;
use super::store::*;
use super::*;
use crate::catalog::model::Product;
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CashBoxId, ClientId, ProductId};
use crate::money::{parse_money, parse_percent, parse_qty, round_money, round_qty};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_name;

/// The open cart of the actor at a box (created on first use).
pub fn cart(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId) -> Result<Cart> {
    cashier(actor)?;
    let c = actor.company;
    cash_box(tx, actor, b)?;
    if let Some(id) = tx.get(ACTIVE_CARTS, (c, actor.user, b))?
        && let Some(cart) = tx.get(CARTS, (c, id))?
    {
        return Ok(cart);
    }
    let shift = open_shift_of(tx, actor, b)?.map(|s| s.id);
    let cart = Cart {
        id: tx.next_id()?,
        cash_box: b,
        user: actor.user,
        shift,
        carried_from: None,
        lines: Vec::new(),
        discount: OrderDiscount::None,
        client: None,
        updated: now,
    };
    tx.insert(CARTS, (c, cart.id), &cart)?;
    tx.insert(ACTIVE_CARTS, (c, actor.user, b), &cart.id)?;
    Ok(cart)
}

pub(super) fn save_cart(tx: &mut WriteTx, actor: &Actor, now: Ts, mut cart: Cart) -> Result<Cart> {
    cart.updated = now;
    tx.insert(CARTS, (actor.company, cart.id), &cart)?;
    Ok(cart)
}

pub(super) fn line_of(p: &Product, qty: Decimal) -> CartLine {
    CartLine {
        product: Some(p.id),
        name: p.name.clone(),
        barcode: p.barcodes.first().cloned().unwrap_or_default(),
        unit: p.unit.code().into(),
        qty,
        unit_price: p.price,
        list_price: p.price,
        discount: Decimal::ZERO,
    }
}

pub(super) fn add_to(cart: &mut Cart, line: CartLine) {
    // (cart, product) is unique (spec A6): a repeated scan adds to the line.
    if let Some(existing) = cart.lines.iter_mut().find(|l| l.product.is_some() && l.product == line.product) {
        existing.qty = round_qty(existing.qty + line.qty);
    } else {
        cart.lines.push(line);
    }
}

/// What a scanned code found.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    pub cart: Cart,
    pub product: ProductId,
    pub qty: Decimal,
    pub weighed: bool,
}

/// A scan: the company's barcode first, then a weighed-goods code by the company's rule.
pub fn scan(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, code: &str) -> Result<Scanned> {
    let mut cart = cart(tx, actor, now, b)?;
    let c = actor.company;
    let code = code.trim();
    let found = match tx.get(crate::catalog::store::BARCODES, (c.0, code))? {
        Some(pid) => tx.get(PRODUCTS, (c.0, pid))?.map(|p| (p, Decimal::ONE, false)),
        None => None,
    };
    let found = match found {
        Some(f) => Some(f),
        None => match settings(tx, c)?.weight_rule.parse(code) {
            Some(Weighed::Weight { item, kg }) => product_by_plu(tx, c, item)?.map(|p| (p, kg, true)),
            Some(Weighed::Price { item, amount }) => match product_by_plu(tx, c, item)? {
                Some(p) if p.price > Decimal::ZERO => {
                    let kg = round_qty(amount / p.price);
                    Some((p, kg, true))
                }
                _ => None,
            },
            None => None,
        },
    };
    let Some((p, qty, weighed)) = found.filter(|(p, q, _)| !p.archived && *q > Decimal::ZERO) else {
        return Err(Error::refused(
            "barcode_unknown",
            format!("Товар со штрихкодом {code} не найден"),
            format!("No product with barcode {code}"),
        ));
    };
    add_to(&mut cart, line_of(&p, qty));
    let cart = save_cart(tx, actor, now, cart)?;
    Ok(Scanned { cart, product: p.id, qty, weighed })
}

/// Whether `code` names a weighed product by its plain barcode or PLU — one the till weighs on
/// its scale (a weight-embedded code already carries its weight).
pub fn needs_weighing(tx: &impl Read, c: crate::ids::CompanyId, code: &str) -> Result<bool> {
    Ok(weighed_product(tx, c, code)?.is_some_and(|p| p.weighed))
}

fn weighed_product(tx: &impl Read, c: crate::ids::CompanyId, code: &str) -> Result<Option<Product>> {
    let code = code.trim();
    if let Some(pid) = tx.get(crate::catalog::store::BARCODES, (c.0, code))? {
        return Ok(tx.get(PRODUCTS, (c.0, pid))?);
    }
    match code.parse::<u32>() {
        Ok(plu) if code.len() <= 6 => product_by_plu(tx, c, plu),
        _ => Ok(None),
    }
}

/// Adds a weighed product (by barcode or PLU) with the weight `taken` from the box's scale or
/// typed by hand; the reading is noted for the sale line (`scales::note_cart`).
pub fn weigh(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, code: &str, taken: crate::scales::Taken) -> Result<Scanned> {
    let mut cart = cart(tx, actor, now, b)?;
    let c = actor.company;
    let Some(p) = weighed_product(tx, c, code)?.filter(|p| !p.archived) else {
        return Err(Error::refused(
            "barcode_unknown",
            format!("Товар со штрихкодом {} не найден", code.trim()),
            format!("No product with barcode {}", code.trim()),
        ));
    };
    if !p.weighed {
        return Err(Error::refused(
            "not_weighed",
            format!("«{}» продаётся не на вес", p.name),
            format!("“{}” is not sold by weight", p.name),
        ));
    }
    let qty = taken.kg();
    add_to(&mut cart, line_of(&p, qty));
    crate::scales::note_cart(tx, c, cart.id, p.id, taken)?;
    let cart = save_cart(tx, actor, now, cart)?;
    Ok(Scanned { cart, product: p.id, qty, weighed: true })
}

/// Adds or edits a scale bound to one of the company's cash boxes (pos owns the boxes).
pub fn save_scale(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: Option<crate::ids::ScaleId>,
    d: &crate::scales::ScaleDraft,
    reach: &crate::scales::Reach,
) -> Result<crate::scales::Scale> {
    let found = match d.cash_box {
        Some(b) => Some(tx.get(CASH_BOXES, (actor.company.0, b.0))?.map(|cb| cb.branch)),
        None => None,
    };
    crate::scales::save_scale(tx, actor, now, id, d, found, reach)
}

pub(super) fn product_by_plu(tx: &impl Read, c: crate::ids::CompanyId, plu: u32) -> Result<Option<Product>> {
    match tx.get(crate::catalog::store::PLUS, (c.0, u64::from(plu)))? {
        Some(pid) => Ok(tx.get(PRODUCTS, (c.0, pid))?),
        None => Ok(None),
    }
}

pub fn add_product(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, product: ProductId, qty: &str) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    let qty = if qty.trim().is_empty() { Decimal::ONE } else { parse_qty("qty", qty).map_err(|e| Error::Validation(vec![e]))? };
    let p = match tx.get(PRODUCTS, (actor.company.0, product.0))? {
        Some(p) if !p.archived => p,
        _ => return Err(Error::field("product", "unknown_product", "Нет такого товара", "No such product")),
    };
    add_to(&mut cart, line_of(&p, qty));
    save_cart(tx, actor, now, cart)
}

pub fn add_custom(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, name: &str, price: &str, qty: &str) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    let mut p = Problems::default();
    let name = p.take(parse_name("name", name, 200));
    let price = p.take(parse_money("price", price, false));
    let qty = if qty.trim().is_empty() { Some(Decimal::ONE) } else { p.take(parse_qty("qty", qty)) };
    p.finish()?;
    let (Some(name), Some(price), Some(qty)) = (name, price, qty) else { return Err(Error::Internal("custom item parse".into())) };
    cart.lines.push(CartLine {
        product: None,
        name,
        barcode: String::new(),
        unit: "pcs".into(),
        qty,
        unit_price: price,
        list_price: price,
        discount: Decimal::ZERO,
    });
    save_cart(tx, actor, now, cart)
}

/// A change to one cart line; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct LineEdit {
    /// 0 removes the line.
    pub qty: Option<String>,
    pub price: Option<String>,
    pub discount: Option<String>,
}

/// Changes a line: quantity (0 removes it), unit price, line discount.
pub fn update_line(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, index: usize, edit: &LineEdit) -> Result<Cart> {
    let (qty, price, discount) = (edit.qty.as_deref(), edit.price.as_deref(), edit.discount.as_deref());
    let mut cart = cart(tx, actor, now, b)?;
    if index >= cart.lines.len() {
        return Err(Error::NotFound);
    }
    let mut p = Problems::default();
    if let Some(q) = qty {
        if let Some(pid) = cart.lines[index].product {
            crate::scales::forget_cart(tx, actor.company, cart.id, pid)?;
        }
        if q.trim().parse::<Decimal>().is_ok_and(|d| d.is_zero()) {
            cart.lines.remove(index);
            return save_cart(tx, actor, now, cart);
        }
        if let Some(q) = p.take(parse_qty("qty", q)) {
            cart.lines[index].qty = q;
        }
    }
    if let Some(pr) = price
        && let Some(pr) = p.take(parse_money("price", pr, false))
    {
        cart.lines[index].unit_price = pr;
        if cart.lines[index].product.is_none() {
            cart.lines[index].list_price = pr;
        }
    }
    if let Some(d) = discount
        && let Some(d) = p.take(parse_money("discount", if d.trim().is_empty() { "0" } else { d }, false))
    {
        cart.lines[index].discount = d;
    }
    p.finish()?;
    check_line(tx, actor, &cart.lines[index], index)?;
    save_cart(tx, actor, now, cart)
}

/// The seed's rules for one line: the discount fits the line, and without a line discount the
/// price does not fall below the purchase price.
pub(super) fn check_line(tx: &impl Read, actor: &Actor, l: &CartLine, i: usize) -> Result<()> {
    let mut p = Problems::default();
    line_problems(tx, actor, l, i, &mut p)?;
    p.finish()
}

pub(super) fn line_problems(tx: &impl Read, actor: &Actor, l: &CartLine, i: usize, p: &mut Problems) -> Result<()> {
    if l.discount > round_money(l.unit_price * l.qty) {
        p.push(FieldError::new(
            &format!("lines[{i}].discount"),
            "discount_too_big",
            format!("Строка {}: скидка больше суммы строки", i + 1),
            format!("Line {}: the discount exceeds the line amount", i + 1),
        ));
    }
    if let Some(pid) = l.product
        && l.discount.is_zero()
        && let Some(prod) = tx.get(PRODUCTS, (actor.company.0, pid.0))?
        && l.unit_price < prod.purchase_price
    {
        p.push(FieldError::new(
            &format!("lines[{i}].price"),
            "below_cost",
            format!("Строка {}: цена {} ниже закупочной {} — оформите скидкой", i + 1, l.unit_price, prod.purchase_price),
            format!("Line {}: price {} is below the purchase price {} — give a discount instead", i + 1, l.unit_price, prod.purchase_price),
        ));
    }
    Ok(())
}

pub fn set_discount(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, percent: &str, amount: &str) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    cart.discount = parse_discount(percent, amount)?;
    save_cart(tx, actor, now, cart)
}

/// Percent or amount, never both (spec A6).
pub fn parse_discount(percent: &str, amount: &str) -> Result<OrderDiscount> {
    let (percent, amount) = (percent.trim(), amount.trim());
    let nonzero = |s: &str| !s.is_empty() && !s.replace(',', ".").parse::<Decimal>().is_ok_and(|d| d.is_zero());
    match (nonzero(percent), nonzero(amount)) {
        (true, true) => Err(Error::field(
            "discount",
            "discount_both",
            "Скидка: процент или сумма, не оба",
            "Discount: a percentage or an amount, not both",
        )),
        (true, false) => Ok(OrderDiscount::Percent(parse_percent("discount_percent", percent).map_err(|e| Error::Validation(vec![e]))?)),
        (false, true) => Ok(OrderDiscount::Amount(parse_money("discount_amount", amount, false).map_err(|e| Error::Validation(vec![e]))?)),
        (false, false) => Ok(OrderDiscount::None),
    }
}

/// Sets (or with `None` clears) the cart's client; a client the company does not have is a
/// field error, never stored.
pub fn set_client(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId, client: Option<ClientId>) -> Result<Cart> {
    if let Some(cl) = client {
        let mut p = Problems::default();
        crate::clients::check_sale_client(tx, actor, cl, &mut p)?;
        p.finish()?;
    }
    let mut cart = cart(tx, actor, now, b)?;
    cart.client = client;
    save_cart(tx, actor, now, cart)
}

pub fn clear_cart(tx: &mut WriteTx, actor: &Actor, now: Ts, b: CashBoxId) -> Result<Cart> {
    let mut cart = cart(tx, actor, now, b)?;
    for pid in cart.lines.iter().filter_map(|l| l.product) {
        crate::scales::forget_cart(tx, actor.company, cart.id, pid)?;
    }
    cart.lines.clear();
    cart.discount = OrderDiscount::None;
    cart.client = None;
    cart.carried_from = None;
    save_cart(tx, actor, now, cart)
}
