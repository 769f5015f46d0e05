//! What pages and the API read: suppliers with their balances, purchase lists and cards, the
//! supplier card (purchases, payments, ledger), and "to pay this week".

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{PayableBalance, PayableEntry, Purchase, PurchaseReturn, PurchaseStatus, SupplierPayment, Terms};
use super::store::{self, PAYMENTS, PURCHASE_RETURNS, PURCHASES, SUPPLIER_PAYMENTS, SUPPLIER_PURCHASES};
use super::{require_read, supplier};
use crate::clients::model::{Client, ClientKind};
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{ClientId, CompanyId, ProductId, PurchaseId, SupplierPaymentId};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

/// One row of the suppliers list.
#[derive(Debug, Clone)]
pub struct SupplierRow {
    pub client: Client,
    pub balance: PayableBalance,
}

/// Every supplier client of the company (archived ones too when asked), with its payable.
pub fn suppliers(tx: &impl Read, actor: &Actor, archived: bool) -> Result<Vec<SupplierRow>> {
    require_read(actor)?;
    let c = actor.company;
    let mut out = Vec::new();
    for (_, client) in tx.list(crate::clients::store::CLIENTS, (c.0, 0), (c.0, u64::MAX), usize::MAX)? {
        if client.kind != ClientKind::Supplier || (client.archived && !archived) {
            continue;
        }
        let balance = store::balance(tx, c, client.id)?;
        out.push(SupplierRow { client, balance });
    }
    out.sort_by(|a, b| b.balance.owed.cmp(&a.balance.owed).then_with(|| a.client.name.cmp(&b.client.name)));
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct PurchaseFilter {
    pub supplier: Option<ClientId>,
    pub status: Option<PurchaseStatus>,
    pub terms: Option<Terms>,
    /// Purchase dates from..to (inclusive instants).
    pub from: Option<Ts>,
    pub to: Option<Ts>,
    /// Paging: purchases with ids below this one (newest first).
    pub before: Option<PurchaseId>,
}

/// Purchases, newest first, filtered.
pub fn purchases(tx: &impl Read, actor: &Actor, f: &PurchaseFilter, limit: usize) -> Result<Vec<Purchase>> {
    require_read(actor)?;
    let c = actor.company;
    let top = f.before.map(|b| PurchaseId(b.0.saturating_sub(1))).unwrap_or(PurchaseId::MAX);
    let keep = |p: &Purchase| {
        f.status.is_none_or(|s| s == p.status)
            && f.terms.is_none_or(|t| t == p.terms)
            && f.from.is_none_or(|from| p.date >= from)
            && f.to.is_none_or(|to| p.date <= to)
    };
    let mut out = Vec::new();
    match f.supplier {
        Some(s) => {
            let mut ids = Vec::new();
            tx.range(SUPPLIER_PURCHASES, (c, s, PurchaseId::MIN), (c, s, top), true, usize::MAX, |(_, _, id), _| {
                ids.push(id);
                Ok(true)
            })?;
            for id in ids {
                if let Some(p) = tx.get(PURCHASES, (c, id))?
                    && keep(&p)
                {
                    out.push(p);
                    if out.len() >= limit {
                        break;
                    }
                }
            }
        }
        None => {
            tx.range(PURCHASES, (c, PurchaseId::MIN), (c, top), true, usize::MAX, |_, p| {
                if keep(&p) {
                    out.push(p);
                }
                Ok(out.len() < limit)
            })?;
        }
    }
    Ok(out)
}

/// A purchase with what its page shows beside it.
#[derive(Debug, Clone)]
pub struct PurchaseCard {
    pub purchase: Purchase,
    pub supplier: Client,
    pub warehouse: String,
    pub products: BTreeMap<ProductId, String>,
    pub returns: Vec<PurchaseReturn>,
    pub payment: Option<SupplierPayment>,
    /// The number of its inventory receipt, once posted.
    pub receipt: String,
}

pub fn purchase(tx: &impl Read, actor: &Actor, id: PurchaseId) -> Result<PurchaseCard> {
    require_read(actor)?;
    let c = actor.company;
    let purchase = tx.get(PURCHASES, (c, id))?.ok_or(Error::NotFound)?;
    let supplier = supplier(tx, c, purchase.supplier)?.ok_or(Error::NotFound)?;
    let warehouse = tx.get(crate::inventory::store::WAREHOUSES, (c, purchase.warehouse))?.map(|w| w.name).unwrap_or_default();
    let mut products = BTreeMap::new();
    for l in &purchase.lines {
        if let std::collections::btree_map::Entry::Vacant(slot) = products.entry(l.product) {
            slot.insert(tx.get(crate::catalog::store::PRODUCTS, (c.0, l.product.0))?.map(|p| p.name).unwrap_or_default());
        }
    }
    let mut returns = Vec::new();
    for r in &purchase.returns {
        if let Some(r) = tx.get(PURCHASE_RETURNS, (c, *r))? {
            returns.push(r);
        }
    }
    let payment = match purchase.payment {
        Some(p) => tx.get(PAYMENTS, (c, p))?,
        None => None,
    };
    let receipt = match purchase.document {
        Some(d) => tx.get(crate::inventory::store::DOCUMENTS, (c, d))?.map(|d| d.number).unwrap_or_default(),
        None => String::new(),
    };
    Ok(PurchaseCard { purchase, supplier, warehouse, products, returns, payment, receipt })
}

/// A supplier's page: the client, the payable, its ledger, purchases and payments.
#[derive(Debug, Clone)]
pub struct SupplierCard {
    pub client: Client,
    pub balance: PayableBalance,
    pub ledger: Vec<(u64, PayableEntry)>,
    pub purchases: Vec<Purchase>,
    pub payments: Vec<SupplierPayment>,
}

pub fn supplier_card(tx: &impl Read, actor: &Actor, id: ClientId) -> Result<SupplierCard> {
    require_read(actor)?;
    let c = actor.company;
    let client = supplier(tx, c, id)?.ok_or(Error::NotFound)?;
    let balance = store::balance(tx, c, id)?;
    let ledger = store::ledger(tx, c, id)?;
    let purchases = purchases(tx, actor, &PurchaseFilter { supplier: Some(id), ..Default::default() }, 200)?;
    let payments = payments(tx, c, id, 200)?;
    Ok(SupplierCard { client, balance, ledger, purchases, payments })
}

/// A supplier's payments, newest first.
pub fn payments(tx: &impl Read, c: CompanyId, id: ClientId, limit: usize) -> Result<Vec<SupplierPayment>> {
    let mut ids = Vec::new();
    tx.range(SUPPLIER_PAYMENTS, (c, id, SupplierPaymentId::MIN), (c, id, SupplierPaymentId::MAX), true, limit, |(_, _, p), _| {
        ids.push(p);
        Ok(true)
    })?;
    let mut out = Vec::with_capacity(ids.len());
    for p in ids {
        if let Some(p) = tx.get(PAYMENTS, (c, p))? {
            out.push(p);
        }
    }
    Ok(out)
}

/// One credit purchase still (partly) unpaid.
#[derive(Debug, Clone)]
pub struct Due {
    pub purchase: Purchase,
    pub supplier: Client,
    /// What is left to pay of this purchase.
    pub outstanding: Decimal,
}

/// Credit purchases with something left to pay, due on or before `today + days` ("to pay this
/// week" with 7), earliest due first, read from the due-date index (`store::DUE_PURCHASES`,
/// kept with every payable row: a supplier's payable is spread over its newest posted credit
/// purchases, payments settling the oldest first).
pub fn to_pay(tx: &impl Read, actor: &Actor, now: Ts, days: i64) -> Result<Vec<Due>> {
    require_read(actor)?;
    let c = actor.company;
    let tz = crate::tenancy::timezone(tx, c)?;
    let until = super::model::day_number(&now.plus_days(days).date_local(&tz));
    let rows = tx.list(store::DUE_PURCHASES, (c, 0, PurchaseId::MIN), (c, until, PurchaseId::MAX), usize::MAX)?;
    let mut clients: BTreeMap<ClientId, Client> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for ((_, _, id), row) in rows {
        let Some(purchase) = tx.get(PURCHASES, (c, id))? else {
            continue;
        };
        if !clients.contains_key(&row.supplier)
            && let Some(s) = supplier(tx, c, row.supplier)?
        {
            clients.insert(row.supplier, s);
        }
        let Some(client) = clients.get(&row.supplier) else {
            continue;
        };
        out.push(Due { purchase, supplier: client.clone(), outstanding: row.outstanding });
    }
    Ok(out)
}

/// The accounts a purchase or payment may name, for pickers: the active cash boxes and bank
/// accounts the actor sees (without the finance right, which lists balances too).
pub fn accounts(tx: &impl Read, actor: &Actor) -> Result<Vec<(super::model::PayFrom, String)>> {
    require_read(actor)?;
    let c = actor.company;
    let mut out = Vec::new();
    for b in crate::pos::query::cash_boxes(tx, actor)? {
        if b.active {
            out.push((super::model::PayFrom::CashBox(b.id), b.name));
        }
    }
    for (_, a) in
        tx.list(crate::finance::store::BANK_ACCOUNTS, (c, crate::ids::AccountId::MIN), (c, crate::ids::AccountId::MAX), usize::MAX)?
    {
        if a.active && crate::finance::account_of(tx, actor, crate::finance::model::AccountRef::Bank(a.id))?.is_some() {
            out.push((super::model::PayFrom::Bank(a.id), a.name));
        }
    }
    Ok(out)
}
