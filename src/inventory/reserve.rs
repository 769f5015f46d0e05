//! Stock reservations: quantities promised to a holder (a CRM order) in one warehouse. A
//! reservation lowers what is *available* (on hand − reserved) without touching the movement
//! ledger; it is released when the holder is cancelled and when its goods are finally taken.
//! Sales through `take::take_for_sale` may take only available stock, so a reserved unit is
//! never sold twice.
//!
//! Invariant (verified by `verify`, hence `dukan check`): the reserved total of every
//! (company, warehouse, product) is Σ of its holders' reservation rows.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::store::{BALANCES, WAREHOUSES};
use crate::error::{Error, Result, Shortage};
use crate::ids::{CompanyId, ProductId, WarehouseId};
use crate::storage::{Read, ReadTx, Record, StorageError, Table, TableInfo, WriteTx};

/// A quantity held for someone (one row per holder) or in total (one row per item).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reserved {
    #[serde(with = "crate::money::compact")]
    pub qty: Decimal,
}

impl Record for Reserved {
    const TYPE: &'static str = "stock_reserved.v1";
}

/// (company, holder, warehouse, product) → the holder's reserved quantity.
pub const RESERVATIONS: Table<(CompanyId, u64, WarehouseId, ProductId), Reserved> = Table::new("company_holder_wh_product_reserved");
/// (company, warehouse, product) → Σ reserved by every holder.
pub const RESERVED: Table<(CompanyId, WarehouseId, ProductId), Reserved> = Table::new("company_wh_product_reservedtotal");

pub fn tables() -> Vec<TableInfo> {
    vec![
        RESERVATIONS
            .info("(CompanyId, holder id, WarehouseId, ProductId)", "stock reserved for a holder (a CRM order); no ledger movement"),
        RESERVED.info("(CompanyId, WarehouseId, ProductId)", "Σ reserved per item (= Σ reservations); available = on hand − this"),
    ]
}

/// Stock reserved for anyone in `wh`.
pub fn reserved(tx: &impl Read, c: CompanyId, wh: WarehouseId, p: ProductId) -> Result<Decimal, StorageError> {
    Ok(tx.get(RESERVED, (c, wh, p))?.map(|r| r.qty).unwrap_or_default())
}

/// On hand minus reserved.
pub fn available(tx: &impl Read, c: CompanyId, wh: WarehouseId, p: ProductId) -> Result<Decimal, StorageError> {
    let on_hand = tx.get(BALANCES, (c, wh, p))?.map(|b| b.qty).unwrap_or_default();
    Ok(on_hand - reserved(tx, c, wh, p)?)
}

/// What `holder` has reserved, per (warehouse, product).
pub fn of_holder(tx: &impl Read, c: CompanyId, holder: u64) -> Result<Vec<(WarehouseId, ProductId, Decimal)>, StorageError> {
    let mut out = Vec::new();
    tx.range(
        RESERVATIONS,
        (c, holder, WarehouseId::MIN, ProductId::MIN),
        (c, holder, WarehouseId::MAX, ProductId::MAX),
        false,
        usize::MAX,
        |(_, _, wh, p), r| {
            out.push((wh, p, r.qty));
            Ok(true)
        },
    )?;
    Ok(out)
}

/// What a list of lines holds in stock: goods as themselves, bundles as their components,
/// services and unknown products not at all; summed per product.
pub fn stocked(tx: &impl Read, c: CompanyId, lines: &[(ProductId, Decimal)]) -> Result<BTreeMap<ProductId, Decimal>, StorageError> {
    use crate::catalog::model::Kind;
    let mut out: BTreeMap<ProductId, Decimal> = BTreeMap::new();
    for (pid, qty) in lines {
        let Some(prod) = tx.get(crate::catalog::store::PRODUCTS, (c.0, pid.0))? else { continue };
        match prod.kind {
            Kind::Goods => *out.entry(*pid).or_default() += *qty,
            Kind::Bundle => {
                for comp in &prod.components {
                    *out.entry(comp.product).or_default() += crate::money::round_qty(comp.qty * *qty);
                }
            }
            Kind::Service => {}
        }
    }
    Ok(out)
}

fn add_total(tx: &mut WriteTx, c: CompanyId, wh: WarehouseId, p: ProductId, delta: Decimal) -> Result<(), StorageError> {
    let qty = reserved(tx, c, wh, p)? + delta;
    if qty.is_zero() { tx.remove(RESERVED, (c, wh, p)).map(|_| ()) } else { tx.insert(RESERVED, (c, wh, p), &Reserved { qty }) }
}

/// Reserves `lines` (goods, bundles as their components) in `wh` for `holder`, adding to what
/// it holds. Refused, naming every short product, when a quantity exceeds what is available —
/// whatever the company's negative-stock setting: a promise needs stock that exists.
pub fn reserve(tx: &mut WriteTx, c: CompanyId, holder: u64, wh: WarehouseId, lines: &[(ProductId, Decimal)]) -> Result<()> {
    let need = stocked(tx, c, lines)?;
    if need.is_empty() {
        return Ok(());
    }
    if tx.get(WAREHOUSES, (c, wh))?.is_none() {
        return Err(Error::field("warehouse", "unknown_warehouse", "Нет такого склада", "No such warehouse"));
    }
    let mut short = Vec::new();
    for (p, q) in &need {
        let have = available(tx, c, wh, *p)?;
        if have < *q {
            short.push((*p, have, *q));
        }
    }
    if !short.is_empty() {
        let warehouse = tx.get(WAREHOUSES, (c, wh))?.map(|w| w.name).unwrap_or_default();
        let mut named = Vec::new();
        for (p, available, needed) in short {
            let product = tx.get(crate::catalog::store::PRODUCTS, (c.0, p.0))?.map(|x| x.name).unwrap_or_default();
            named.push(Shortage { product, warehouse: warehouse.clone(), available: available.max(Decimal::ZERO), needed });
        }
        return Err(Error::OutOfStock(named));
    }
    for (p, q) in need {
        let mine = tx.get(RESERVATIONS, (c, holder, wh, p))?.map(|r| r.qty).unwrap_or_default();
        tx.insert(RESERVATIONS, (c, holder, wh, p), &Reserved { qty: mine + q })?;
        add_total(tx, c, wh, p, q)?;
    }
    Ok(())
}

/// Drops everything `holder` reserved (a cancelled order, or one whose goods are being taken).
pub fn release(tx: &mut WriteTx, c: CompanyId, holder: u64) -> Result<()> {
    for (wh, p, q) in of_holder(tx, c, holder)? {
        tx.remove(RESERVATIONS, (c, holder, wh, p))?;
        add_total(tx, c, wh, p, -q)?;
    }
    Ok(())
}

/// Recomputes every reserved total from the reservation rows.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut want: BTreeMap<(CompanyId, WarehouseId, ProductId), Decimal> = BTreeMap::new();
    tx.range(
        RESERVATIONS,
        (CompanyId::MIN, 0, WarehouseId::MIN, ProductId::MIN),
        (CompanyId::MAX, u64::MAX, WarehouseId::MAX, ProductId::MAX),
        false,
        usize::MAX,
        |(c, _, wh, p), r| {
            *want.entry((c, wh, p)).or_default() += r.qty;
            Ok(true)
        },
    )?;
    let mut have = BTreeMap::new();
    tx.range(
        RESERVED,
        (CompanyId::MIN, WarehouseId::MIN, ProductId::MIN),
        (CompanyId::MAX, WarehouseId::MAX, ProductId::MAX),
        false,
        usize::MAX,
        |k, r| {
            have.insert(k, r.qty);
            Ok(true)
        },
    )?;
    let mut problems = Vec::new();
    let keys: std::collections::BTreeSet<_> = want.keys().chain(have.keys()).copied().collect();
    for k in keys {
        let (w, h) = (want.get(&k).copied().unwrap_or_default(), have.get(&k).copied().unwrap_or_default());
        if w != h {
            problems.push(format!(
                "stock reserved at company {} warehouse {} product {}: reservations add up to {w}, the total says {h}",
                k.0, k.1, k.2
            ));
        }
    }
    Ok(problems)
}
