//! Agent sales (spec A8 "Agent cart and checkout"): one write allocates each line FIFO across
//! the selling agent's lots, takes exactly those lots' layers out of the ledger (so the sale's
//! cost is theirs), records the sale with one allocation per (line, lot), the client's side
//! and the daily projection. No shift (spec A7); the cash box is the one asked for, else the
//! newest of the branch, else the newest company-wide one. Returning a line gives its units
//! back to the very lots it took them from, newest allocation first, at their cost.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{AgentSale, AgentSaleLine, Allocation, Lot, ReturnLine, SaleReturn, SaleStatus};
use super::store::{self, AGENT_SALES, FREE_LOTS, LOTS, SALE_KEYS, SALES};
use super::{acting_for, daily, feature, whole};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CashBoxId, ClientId, CompanyId, DocumentId, LotId, ProductId, SaleId, ShiftId, UserId};
use crate::inventory::consign::LayerMove;
use crate::inventory::model::Pick;
use crate::money::{parse_money, parse_qty, round_money};
use crate::pos::PaymentDraft;
use crate::pos::model::{CashBox, Method};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::{Actor, BranchScope};

/// A line as typed: a product by id or barcode, a whole quantity, optionally a unit price
/// (the product's price otherwise).
#[derive(Debug, Clone, Default)]
pub struct LineDraft {
    pub product: Option<ProductId>,
    pub barcode: String,
    pub qty: String,
    pub price: String,
}

#[derive(Debug, Clone, Default)]
pub struct CheckoutDraft {
    /// Optional idempotency key (≤ 100 printable ASCII): a retry returns the first sale.
    pub key: String,
    /// The agent whose goods are sold; `None` = the caller. An owner-like user selling on an
    /// agent's behalf names the agent here (the explicit choice of A15 #5).
    pub agent: Option<UserId>,
    pub cash_box: Option<CashBoxId>,
    pub lines: Vec<LineDraft>,
    pub client: Option<ClientId>,
    /// Empty: the total in cash; one payment without an amount: the total by its method.
    pub payments: Vec<PaymentDraft>,
}

impl crate::clients::ClientSale for AgentSale {
    fn id(&self) -> SaleId {
        self.id
    }

    fn client(&self) -> Option<ClientId> {
        self.client
    }

    fn shift(&self) -> Option<ShiftId> {
        None
    }

    fn number(&self) -> &str {
        &self.number
    }

    fn debt(&self) -> Decimal {
        AgentSale::debt(self)
    }
}

/// The FIFO queue of lots with free quantity of one agent and product, read until `need` is
/// covered: `(lot, take)` in order, and what was free in total if it is not.
pub fn allocate(
    tx: &impl Read,
    c: CompanyId,
    agent: UserId,
    product: ProductId,
    need: Decimal,
) -> Result<std::result::Result<Vec<(Lot, Decimal)>, Decimal>> {
    let mut out = Vec::new();
    let mut left = need;
    let mut free = Decimal::ZERO;
    // Lots are read one at a time from the index's head; most sales touch one or two.
    let mut after: Option<(u64, LotId)> = None;
    loop {
        let lo = match after {
            None => (c, agent, product, 0, LotId::MIN),
            Some((d, id)) => (c, agent, product, d, LotId(id.0 + 1)),
        };
        let mut next = None;
        tx.range(FREE_LOTS, lo, (c, agent, product, u64::MAX, LotId::MAX), false, 1, |k, _| {
            next = Some((k.3, k.4));
            Ok(false)
        })?;
        let Some((d, id)) = next else { break };
        after = Some((d, id));
        let lot = tx.get(LOTS, (c, id))?.ok_or_else(|| Error::Internal(format!("free lot {id} is missing")))?;
        let f = lot.free();
        free += f;
        if left > Decimal::ZERO {
            let take = left.min(f);
            left -= take;
            out.push((lot, take));
        }
        if left.is_zero() {
            return Ok(Ok(out));
        }
    }
    Ok(Err(free))
}

/// The cash box of an agent sale (spec A7): the one asked for (active, for sales, in the
/// caller's scope), else the newest active sales box of the caller's branch (for a caller
/// acting company-wide, the agent's primary branch), else the newest company-wide one.
fn resolve_cash_box(tx: &impl Read, actor: &Actor, agent: UserId, asked: Option<CashBoxId>) -> Result<CashBox> {
    let boxes: Vec<CashBox> = crate::pos::query::cash_boxes(tx, actor)?.into_iter().filter(|b| b.active && !b.expense_only).collect();
    if let Some(id) = asked {
        return boxes
            .into_iter()
            .find(|b| b.id == id)
            .ok_or_else(|| Error::field("cash_box", "unknown_cash_box", "Нет такой кассы", "No such cash box"));
    }
    let branch = match actor.branch {
        BranchScope::Branch(b) => Some(b),
        BranchScope::Company => tx.get(crate::tenancy::store::USERS, (actor.company.0, agent.0))?.and_then(|u| u.primary_branch),
    };
    let newest = |want: Option<crate::ids::BranchId>| boxes.iter().filter(|b| b.branch == want).max_by_key(|b| b.id.0).cloned();
    branch.and_then(|b| newest(Some(b))).or_else(|| newest(None)).ok_or_else(|| {
        Error::refused("no_cash_box", "Нет кассы для продажи агента: создайте кассу", "No cash box for an agent sale: create one")
    })
}

/// Checks out an agent sale in one write (see the module notes). Refused without the
/// feature or the right to act for the agent, for a quantity that is not whole, an unknown
/// product, bad payments, or when the agent holds less than a line needs:
/// "Недостаточно у агента: «X». Нужно N, доступно M".
pub fn checkout(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &CheckoutDraft) -> Result<AgentSale> {
    feature(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let agent = d.agent.unwrap_or(actor.user);
    acting_for(tx, actor, agent)?;
    let key = d.key.trim();
    if !key.is_empty() {
        if key.len() > 100 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::field(
                "key",
                "idempotency_key",
                "Ключ идемпотентности: 1–100 печатных ASCII-символов",
                "Idempotency key: 1–100 printable ASCII characters",
            ));
        }
        if let Some(id) = tx.get(SALE_KEYS, (c, key))? {
            let seen = tx.get(SALES, (c, SaleId(id)))?.ok_or_else(|| Error::Internal(format!("agent sale {id} of a key is missing")))?;
            if seen.agent != agent {
                return Err(Error::refused(
                    "idempotency_conflict",
                    "Этот ключ идемпотентности уже использован для другого запроса",
                    "This idempotency key was already used for a different request",
                ));
            }
            return Ok(seen);
        }
    }
    let mut p = Problems::default();
    let mut lines: Vec<(ProductId, String, Decimal, Decimal)> = Vec::new();
    if d.lines.is_empty() {
        p.push(FieldError::new("lines", "required", "Чек пуст: добавьте товар", "The sale is empty: add an item"));
    }
    for (i, l) in d.lines.iter().enumerate() {
        let f = |n: &str| format!("lines[{i}].{n}");
        let product = match (l.product, l.barcode.trim()) {
            (Some(pid), _) => tx.get(crate::catalog::store::PRODUCTS, (c.0, pid.0))?,
            (None, code) if !code.is_empty() => crate::catalog::query::barcode_lookup(tx, c, code)?.0,
            _ => None,
        };
        let product = product.filter(|p| !p.archived);
        if product.is_none() {
            p.push(FieldError::new(
                &f("product"),
                "unknown_product",
                format!("Строка {}: нет такого товара", i + 1),
                format!("Line {}: no such product", i + 1),
            ));
        }
        let qty = if l.qty.trim().is_empty() { Some(Decimal::ONE) } else { p.take(parse_qty(&f("qty"), &l.qty)) };
        let qty = qty.and_then(|q| p.take(whole(&f("qty"), q)));
        let price =
            if l.price.trim().is_empty() { product.as_ref().map(|p| p.price) } else { p.take(parse_money(&f("price"), &l.price, false)) };
        if let (Some(prod), Some(q), Some(pr)) = (product, qty, price) {
            lines.push((prod.id, prod.name, q, pr));
        }
    }
    if let Some(cl) = d.client {
        crate::clients::check_sale_client(tx, actor, cl, &mut p)?;
    }
    p.finish()?;
    let cash_box = resolve_cash_box(tx, actor, agent, d.cash_box)?;

    // Source: every product's FIFO queue, checked whole before anything is written.
    let mut need: BTreeMap<ProductId, (String, Decimal)> = BTreeMap::new();
    for (pid, name, q, _) in &lines {
        need.entry(*pid).or_insert((name.clone(), Decimal::ZERO)).1 += *q;
    }
    let mut queues: BTreeMap<ProductId, Vec<(Lot, Decimal)>> = BTreeMap::new();
    let mut short = Vec::new();
    for (pid, (name, n)) in &need {
        match allocate(tx, c, agent, *pid, *n)? {
            Ok(q) => {
                queues.insert(*pid, q);
            }
            Err(free) => short.push((name.clone(), *n, free)),
        }
    }
    if !short.is_empty() {
        let ru: Vec<String> = short.iter().map(|(x, n, m)| format!("Недостаточно у агента: «{x}». Нужно {n}, доступно {m}")).collect();
        let en: Vec<String> = short.iter().map(|(x, n, m)| format!("The agent is short of “{x}”: {n} needed, {m} available")).collect();
        return Err(Error::refused("agent_short", ru.join("; "), en.join("; ")));
    }

    // Allocate per line, from the head of its product's queue.
    let mut allocs: Vec<Vec<(Lot, Decimal)>> = Vec::with_capacity(lines.len());
    for (pid, _, q, _) in &lines {
        let queue = queues.get_mut(pid).ok_or_else(|| Error::Internal("allocation queue missing".into()))?;
        let mut left = *q;
        let mut mine = Vec::new();
        while left > Decimal::ZERO {
            let Some((lot, avail)) = queue.first_mut() else { return Err(Error::Internal("allocation ran dry".into())) };
            let take = left.min(*avail);
            mine.push((lot.clone(), take));
            *avail -= take;
            left -= take;
            if avail.is_zero() {
                queue.remove(0);
            }
        }
        allocs.push(mine);
    }
    let total: Decimal = lines.iter().map(|(_, _, q, pr)| round_money(*q * *pr)).sum();
    // No payment: the total in cash; one payment without an amount: the total by that method.
    let payments = match d.payments.as_slice() {
        [] => vec![PaymentDraft { method: "cash".into(), amount: total.to_string() }],
        [one] if one.amount.trim().is_empty() => vec![PaymentDraft { method: one.method.clone(), amount: total.to_string() }],
        more => more.to_vec(),
    };
    let wallets = crate::pos::settings(tx, c)?.wallets;
    let mut p = Problems::default();
    let paid = crate::pos::parse_payments(&payments, &wallets, total, d.client, &mut p);
    p.finish()?;
    let (payments, _, _) = paid.ok_or_else(|| Error::Internal("payments parsed with problems".into()))?;

    let loc = super::location_of(tx, c, agent)?.ok_or_else(|| Error::Internal(format!("agent {agent} holds lots without a location")))?;
    let id = SaleId(tx.next_id()?);
    let moves: Vec<LayerMove> = lines
        .iter()
        .zip(&allocs)
        .map(|((pid, ..), a)| LayerMove {
            product: *pid,
            picks: a.iter().map(|(l, q)| Pick { layer_date: l.created.0, layer: l.id.0, qty: *q, amount: Decimal::ZERO }).collect(),
        })
        .collect();
    let taken = crate::inventory::consign::take_from_layers(tx, c, loc, DocumentId(id.0), &moves, now)?;
    let mut sale_lines = Vec::with_capacity(lines.len());
    let mut lots: BTreeMap<LotId, (Lot, Lot)> = BTreeMap::new();
    for (((pid, name, q, pr), a), (_, costs)) in lines.into_iter().zip(allocs).zip(taken) {
        let mut allocations = Vec::with_capacity(a.len());
        for ((lot, take), cost) in a.into_iter().zip(costs) {
            let entry = lots.entry(lot.id).or_insert_with(|| (lot.clone(), lot.clone()));
            entry.1.sold += take;
            allocations.push(Allocation { lot: lot.id, qty: take, cost, returned: Decimal::ZERO });
        }
        let cost = allocations.iter().map(|a| a.cost).sum();
        sale_lines.push(AgentSaleLine {
            product: pid,
            name,
            qty: q,
            unit_price: pr,
            amount: round_money(q * pr),
            cost,
            allocations,
            returned_qty: Decimal::ZERO,
        });
    }
    for (old, new) in lots.values() {
        store::put_lot(tx, c, Some(old), new)?;
    }
    let n = tx.next_counter(c.0, "agent_sale")?;
    let debt = payments.iter().any(|p| p.method == Method::Debt);
    let sale = AgentSale {
        id,
        number: format!("А-{n:06}"),
        agent,
        operator: actor.user,
        at: now,
        cash_box: cash_box.id,
        client: d.client,
        status: if debt { SaleStatus::Debt } else { SaleStatus::Paid },
        lines: sale_lines,
        total,
        payments,
        returns: Vec::new(),
        idempotency_key: key.to_string(),
    };
    tx.insert(SALES, (c, id), &sale)?;
    tx.insert(AGENT_SALES, (c, agent, id), &id.0)?;
    if !key.is_empty() {
        tx.insert(SALE_KEYS, (c, key), &id.0)?;
    }
    let tz = crate::tenancy::timezone(tx, c)?;
    let mut day = daily::Projection::default();
    day.sale(c, &tz, &sale);
    day.store(tx)?;
    crate::clients::on_checkout(tx, actor, now, &sale)?;
    audit::record(tx, c, actor, now, "agent.sale", format!("sale:{id}"), format!("{} {} agent:{agent}", sale.number, sale.total))?;
    Ok(sale)
}

/// Returns `qty` of each listed line `(index, qty)` of an agent sale, refunded by `method`
/// (one of the sale's payment methods; "debt" lowers the client's debt). Each line gives its
/// units back to the lots it took them from, newest allocation first, at their cost. By the
/// agent or an owner-like user.
pub fn return_lines(tx: &mut WriteTx, actor: &Actor, now: Ts, id: SaleId, items: &[(usize, Decimal)], method: &str) -> Result<AgentSale> {
    feature(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let mut sale = tx.get(SALES, (c, id))?.ok_or(Error::NotFound)?;
    acting_for(tx, actor, sale.agent)?;
    let wallets = crate::pos::settings(tx, c)?.wallets;
    let method = Method::parse(method, &wallets).filter(|m| sale.payments.iter().any(|p| &p.method == m)).ok_or_else(|| {
        Error::field("method", "payment_method", "Верните тем способом, которым платили", "Refund by a method the sale was paid with")
    })?;
    if items.is_empty() {
        return Err(Error::field("lines", "required", "Выберите, что возвращается", "Choose what comes back"));
    }
    let mut p = Problems::default();
    let mut wanted: BTreeMap<usize, Decimal> = BTreeMap::new();
    for (i, (line, q)) in items.iter().enumerate() {
        let Some(l) = sale.lines.get(*line) else {
            p.push(FieldError::new(&format!("lines[{i}].line"), "unknown_line", "Нет такой строки", "No such line"));
            continue;
        };
        if let Some(q) = p.take(whole(&format!("lines[{i}].qty"), *q)) {
            let total = wanted.entry(*line).or_default();
            *total += q;
            if *total > l.qty - l.returned_qty {
                p.push(FieldError::new(
                    &format!("lines[{i}].qty"),
                    "exceeds_sold",
                    format!("Можно вернуть не больше {}", l.qty - l.returned_qty),
                    format!("At most {} can come back", l.qty - l.returned_qty),
                ));
            }
        }
    }
    p.finish()?;
    let loc = super::location_of(tx, c, sale.agent)?.ok_or_else(|| Error::Internal("agent without a location".into()))?;
    let mut moves = Vec::new();
    let mut ret_lines = Vec::new();
    let mut lot_gives: BTreeMap<LotId, Decimal> = BTreeMap::new();
    for (&li, &q) in &wanted {
        let line = &mut sale.lines[li];
        let mut left = q;
        let mut picks = Vec::new();
        let mut cost = Decimal::ZERO;
        for a in line.allocations.iter_mut().rev() {
            if left.is_zero() {
                break;
            }
            let give = left.min(a.qty - a.returned);
            if give.is_zero() {
                continue;
            }
            let lot = tx.get(LOTS, (c, a.lot))?.ok_or_else(|| Error::Internal(format!("lot {} is missing", a.lot)))?;
            let amount = if give == a.qty - a.returned {
                a.cost - round_money(a.cost * a.returned / a.qty)
            } else {
                round_money(a.cost * give / a.qty)
            };
            picks.push(Pick { layer_date: lot.created.0, layer: lot.id.0, qty: give, amount });
            *lot_gives.entry(lot.id).or_default() += give;
            a.returned += give;
            cost += amount;
            left -= give;
        }
        let amount = if q == line.qty - line.returned_qty {
            line.amount - round_money(line.amount * line.returned_qty / line.qty)
        } else {
            round_money(line.amount * q / line.qty)
        };
        line.returned_qty += q;
        moves.push(LayerMove { product: line.product, picks });
        ret_lines.push(ReturnLine { line: li as u32, qty: q, amount, cost });
    }
    crate::inventory::consign::restore_layers(tx, c, loc, DocumentId(id.0), &moves, now)?;
    for (lot_id, give) in lot_gives {
        let old = tx.get(LOTS, (c, lot_id))?.ok_or_else(|| Error::Internal(format!("lot {lot_id} is missing")))?;
        let mut lot = old.clone();
        lot.sold -= give;
        store::put_lot(tx, c, Some(&old), &lot)?;
    }
    let amount: Decimal = ret_lines.iter().map(|l| l.amount).sum();
    if method == Method::Debt {
        let client = sale.client.ok_or_else(|| Error::Internal("a debt sale without a client".into()))?;
        crate::clients::reverse_sale_debt(tx, actor, now, client, id, amount, sale.number.clone())?;
    }
    let ret = SaleReturn { at: now, user: actor.user, lines: ret_lines, amount, method: method.code() };
    let tz = crate::tenancy::timezone(tx, c)?;
    let mut day = daily::Projection::default();
    day.sale_return(c, &tz, &sale, &ret);
    day.store(tx)?;
    sale.returns.push(ret);
    if sale.lines.iter().all(|l| l.returned_qty == l.qty) {
        sale.status = SaleStatus::Returned;
    }
    tx.insert(SALES, (c, id), &sale)?;
    audit::record(tx, c, actor, now, "agent.sale_return", format!("sale:{id}"), format!("{} {amount}", sale.number))?;
    Ok(sale)
}
