//! Point of sale: cash boxes, cashier shifts with running totals and a cash ledger, server-side
//! carts, checkout, returns (spec A6, A7).
//!
//! Invariants (verified by `store::verify`, hence `dukan check`):
//! - for every shift, expected cash = opening + cash sales − cash refunds + cash in − cash out
//!   (+ debts repaid in cash) = Σ its cash-ledger rows;
//! - for every sale, Σ payments = Σ line amounts = total;
//! - a checkout or a return is one write transaction — sale, stock movements (FIFO through the
//!   inventory engine), shift totals, cash row, audit and outbox rows — and is idempotent: a
//!   retried request with the same key returns the first result and changes nothing;
//! - the daily sales projection (`daily`) equals what its sales and returns add up to.

mod cart;
mod checkout;
pub mod daily;
pub mod model;
pub mod query;
mod returns;
mod shift;
pub mod store;

pub use cart::*;
pub use checkout::*;
pub use returns::*;
pub use shift::*;

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{BranchId, CashBoxId, WarehouseId};
use crate::storage::WriteTx;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::parse_name;
use crate::tenancy::perms::Perm;
use model::*;
use store::*;

const FEATURE: &str = "pos";

fn cashier(actor: &Actor) -> Result<()> {
    actor.require(Perm::CASHIER)?;
    actor.require_feature(FEATURE)?;
    actor.require_writable()
}

fn in_scope(actor: &Actor, branch: Option<BranchId>) -> bool {
    match (actor.branch, branch) {
        (BranchScope::Company, _) | (_, None) => true,
        (BranchScope::Branch(b), Some(x)) => b == x,
    }
}

/// A cash box the actor may use: another company's or another branch's is "not found".
pub fn cash_box(tx: &WriteTx, actor: &Actor, id: CashBoxId) -> Result<CashBox> {
    match tx.get(CASH_BOXES, (actor.company.0, id.0))? {
        Some(b) if in_scope(actor, b.branch) => Ok(b),
        _ => Err(Error::NotFound),
    }
}

pub fn settings(tx: &impl crate::storage::Read, c: crate::ids::CompanyId) -> Result<PosSettings> {
    Ok(tx.get(POS_SETTINGS, c.0)?.unwrap_or_default())
}

pub fn set_settings(tx: &mut WriteTx, actor: &Actor, now: Ts, wallets: &str, rule: &str) -> Result<PosSettings> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let mut p = Problems::default();
    let wallets: Vec<String> =
        wallets.split([',', '\n']).map(|w| w.trim().chars().take(40).collect::<String>()).filter(|w| !w.is_empty()).collect();
    if wallets.len() > 20 || wallets.iter().any(|w| w.contains(':')) {
        p.push(FieldError::new("wallets", "wallets", "До 20 названий через запятую, без «:»", "Up to 20 names, comma-separated, no “:”"));
    }
    let weight_rule = p.take(parse_weight_rule(rule));
    p.finish()?;
    let s = PosSettings { wallets, weight_rule: weight_rule.unwrap_or_default() };
    tx.insert(POS_SETTINGS, actor.company.0, &s)?;
    audit::record(tx, actor.company, actor, now, "pos.settings", format!("company:{}", actor.company), rule.to_string())?;
    Ok(s)
}

/// "20-29/5/weight" or "20,21/5/price": prefixes, item digits, value kind.
pub fn parse_weight_rule(raw: &str) -> std::result::Result<WeightRule, FieldError> {
    let bad = || {
        FieldError::new(
            "weight_rule",
            "weight_rule",
            "Формат: префиксы/цифр кода/weight|price, например 20-29/5/weight",
            "Format: prefixes/item digits/weight|price, e.g. 20-29/5/weight",
        )
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(WeightRule::default());
    }
    let parts: Vec<&str> = raw.split('/').map(str::trim).collect();
    let [prefixes, digits, kind] = parts.as_slice() else { return Err(bad()) };
    let mut list = Vec::new();
    for part in prefixes.split(',').map(str::trim) {
        let (lo, hi) = part.split_once('-').unwrap_or((part, part));
        let (Ok(lo), Ok(hi)) = (lo.trim().parse::<u8>(), hi.trim().parse::<u8>()) else { return Err(bad()) };
        if lo > hi || hi > 99 {
            return Err(bad());
        }
        list.extend(lo..=hi);
    }
    let item_digits = digits.parse::<u8>().map_err(|_| bad())?;
    if list.is_empty() || !(1..=8).contains(&item_digits) {
        return Err(bad());
    }
    let price_embedded = match *kind {
        "weight" => false,
        "price" => true,
        _ => return Err(bad()),
    };
    list.sort_unstable();
    list.dedup();
    Ok(WeightRule { prefixes: list, item_digits, price_embedded })
}

pub fn format_weight_rule(r: &WeightRule) -> String {
    let mut ranges: Vec<String> = Vec::new();
    let mut i = 0;
    while i < r.prefixes.len() {
        let lo = r.prefixes[i];
        let mut hi = lo;
        while i + 1 < r.prefixes.len() && r.prefixes[i + 1] == hi + 1 {
            i += 1;
            hi = r.prefixes[i];
        }
        ranges.push(if lo == hi { lo.to_string() } else { format!("{lo}-{hi}") });
        i += 1;
    }
    format!("{}/{}/{}", ranges.join(","), r.item_digits, if r.price_embedded { "price" } else { "weight" })
}

#[derive(Debug, Clone, Default)]
pub struct CashBoxDraft {
    pub name: String,
    pub branch: Option<BranchId>,
    pub expense_only: bool,
    pub warehouse: Option<WarehouseId>,
    pub active: bool,
}

pub fn save_cash_box(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<CashBoxId>, d: &CashBoxDraft) -> Result<CashBoxId> {
    actor.require(Perm::CASHBOX)?;
    actor.require_feature(FEATURE)?;
    actor.require_writable()?;
    let c = actor.company.0;
    if let Some(id) = id {
        cash_box(tx, actor, id)?;
    }
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 100));
    if let Some(b) = d.branch
        && (tx.get(crate::tenancy::store::BRANCHES, (c, b.0))?.is_none() || !in_scope(actor, Some(b)))
    {
        p.push(FieldError::new("branch", "unknown_branch", "Нет такого филиала", "No such branch"));
    }
    if d.branch.is_none() && actor.branch != BranchScope::Company && !actor.owner_like() {
        p.push(FieldError::new("branch", "branch_scope", "Выберите свой филиал", "Choose your branch"));
    }
    if let Some(w) = d.warehouse
        && !crate::inventory::warehouse_active(tx, actor.company, w)?
    {
        p.push(FieldError::new("warehouse", "unknown_warehouse", "Выберите активный склад", "Choose an active warehouse"));
    }
    if let Some(n) = &name {
        // Unique per branch, or per company for company-wide boxes (spec A7).
        let clash = tx
            .list(CASH_BOXES, (c, 0), (c, u64::MAX), usize::MAX)?
            .iter()
            .any(|(_, b)| Some(b.id) != id && b.branch == d.branch && b.name.to_lowercase() == n.to_lowercase());
        if clash {
            p.push(FieldError::new("name", "name_taken", "Касса с таким названием уже есть", "A cash box with this name exists"));
        }
    }
    p.finish()?;
    let name = name.ok_or_else(|| Error::Internal("cash box name missing".into()))?;
    let bid = id.unwrap_or(CashBoxId(tx.next_id()?));
    let b =
        CashBox { id: bid, name: name.clone(), branch: d.branch, expense_only: d.expense_only, warehouse: d.warehouse, active: d.active };
    tx.insert(CASH_BOXES, (c, bid.0), &b)?;
    audit::record(tx, actor.company, actor, now, "cash_box.save", format!("cash_box:{bid}"), name)?;
    Ok(bid)
}

/// The client ledger reads a sale through this (clients sits below pos).
impl crate::clients::ClientSale for Sale {
    fn id(&self) -> crate::ids::SaleId {
        self.id
    }

    fn client(&self) -> Option<crate::ids::ClientId> {
        self.client
    }

    fn shift(&self) -> Option<crate::ids::ShiftId> {
        Some(self.shift)
    }

    fn number(&self) -> &str {
        &self.number
    }

    fn debt(&self) -> rust_decimal::Decimal {
        Sale::debt(self)
    }
}

/// A client's sales, newest first (the purchase index is kept by `clients::on_checkout`).
pub fn client_purchases(
    tx: &impl crate::storage::Read,
    c: crate::ids::CompanyId,
    client: crate::ids::ClientId,
    limit: usize,
) -> Result<Vec<Sale>> {
    let mut ids = Vec::new();
    tx.range(crate::clients::store::CLIENT_SALES, (c.0, client.0, 0), (c.0, client.0, u64::MAX), true, limit, |(_, _, id), _| {
        ids.push(id);
        Ok(true)
    })?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(s) = tx.get(SALES, (c.0, id))? {
            out.push(s);
        }
    }
    Ok(out)
}
