//! Catalog tables and the single write path of a product: `put_product` stores it and moves
//! the barcode and PLU indexes by diffing the old and new record; `verify` checks both ways.

use super::model::{Brand, Category, GlobalItem, Product};
use super::promo::PromoRule;
use crate::ids::{CompanyId, ProductId};
use crate::storage::{ReadTx, StorageError, Table, TableInfo, WriteTx};

pub const PRODUCTS: Table<(u64, u64), Product> = Table::new("company_productid_product");
pub const BARCODES: Table<(u64, &'static str), u64> = Table::new("company_barcode_productid");
pub const PLUS: Table<(u64, u64), u64> = Table::new("company_plu_productid");
pub const CATEGORIES: Table<(u64, u64), Category> = Table::new("company_categoryid_category");
pub const BRANDS: Table<(u64, u64), Brand> = Table::new("company_brandid_brand");
pub const GLOBAL: Table<&'static str, GlobalItem> = Table::new("barcode_globalitem");
/// (company, rule) → promo gift rule; `catalog::promo` reads them all per cart.
pub const PROMO_RULES: Table<(u64, u64), PromoRule> = Table::new("company_promoruleid_promorule");
/// A PLU some label scale holds → the product it holds it for. Written only by
/// `set_plu_held`, which `scales::label` calls as scales accept and drop PLUs; a held PLU is
/// never given to another product (`check_product`, `save_checked`).
pub const PLU_HELD: Table<(u64, u64), u64> = Table::new("company_plu_heldproductid");

/// Marks `plu` as held by a label scale for `product`, or no longer held by any (`None`).
pub fn set_plu_held(tx: &mut WriteTx, company: CompanyId, plu: u32, product: Option<ProductId>) -> Result<(), StorageError> {
    match product {
        Some(p) => tx.insert(PLU_HELD, (company.0, u64::from(plu)), &p.0),
        None => tx.remove(PLU_HELD, (company.0, u64::from(plu))).map(|_| ()),
    }
}

/// The product a label scale holds `plu` for, if any scale holds it.
pub fn plu_held(tx: &impl crate::storage::Read, company: CompanyId, plu: u32) -> Result<Option<ProductId>, StorageError> {
    Ok(tx.get(PLU_HELD, (company.0, u64::from(plu)))?.map(ProductId))
}

pub fn tables() -> Vec<TableInfo> {
    vec![
        PRODUCTS.info("(CompanyId, ProductId)", "products, services and bundles (archived ones too)"),
        BARCODES.info("(CompanyId, &str barcode)", "barcode → product; unique per company"),
        PLUS.info("(CompanyId, u64 PLU)", "label-scale PLU → product; unique per company"),
        PLU_HELD.info("(CompanyId, u64 PLU)", "a PLU some label scale holds → its product; kept by scales::label, never reassigned"),
        CATEGORIES.info("(CompanyId, CategoryId)", "category tree (parent links)"),
        BRANDS.info("(CompanyId, BrandId)", "brands"),
        GLOBAL.info("&str barcode", "the shared barcode catalogue of the box (no company data)"),
        PROMO_RULES.info("(CompanyId, PromoRuleId)", "promo gift rules: scope, threshold, gift, priority, dates, branch"),
    ]
}

/// A reaction to a product write (`old` is `None` for a new product), run in the same
/// transaction before the product row is stored; registered in `wiring`.
pub type ProductChanged = fn(&mut WriteTx, CompanyId, Option<&Product>, &Product) -> Result<(), StorageError>;

/// The one write path for products.
pub fn put_product(tx: &mut WriteTx, company: CompanyId, old: Option<&Product>, new: &Product) -> Result<(), StorageError> {
    let c = company.0;
    if let Some(old) = old {
        for b in old.barcodes.iter().filter(|b| !new.barcodes.contains(b)) {
            tx.remove(BARCODES, (c, b.as_str()))?;
        }
        if let Some(p) = old.plu
            && old.plu != new.plu
        {
            tx.remove(PLUS, (c, u64::from(p)))?;
        }
    }
    for b in &new.barcodes {
        tx.insert(BARCODES, (c, b.as_str()), &new.id.0)?;
    }
    if let Some(p) = new.plu {
        tx.insert(PLUS, (c, u64::from(p)), &new.id.0)?;
    }
    crate::storage::outbox::push(tx, c, crate::storage::outbox::JobKind::IndexProduct { product: new.id.0 }, new.updated.0)?;
    // Other domains keep copies of product fields (inventory's stock rows): `wiring`.
    for hook in tx.hooks().of::<ProductChanged>() {
        hook(tx, company, old, new)?;
    }
    tx.insert(PRODUCTS, (c, new.id.0), new)
}

pub fn product(tx: &ReadTx, company: CompanyId, id: ProductId) -> Result<Option<Product>, StorageError> {
    tx.get(PRODUCTS, (company.0, id.0))
}

pub fn by_barcode(tx: &ReadTx, company: CompanyId, barcode: &str) -> Result<Option<Product>, StorageError> {
    match tx.get(BARCODES, (company.0, barcode))? {
        Some(id) => tx.get(PRODUCTS, (company.0, id)),
        None => Ok(None),
    }
}

pub fn by_plu(tx: &ReadTx, company: CompanyId, plu: u32) -> Result<Option<Product>, StorageError> {
    match tx.get(PLUS, (company.0, u64::from(plu)))? {
        Some(id) => tx.get(PRODUCTS, (company.0, id)),
        None => Ok(None),
    }
}

pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let mut barcodes = 0u64;
    let mut plus = 0u64;
    for (cid, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
        tx.range(PRODUCTS, (cid, 0), (cid, u64::MAX), false, usize::MAX, |(_, pid), p| {
            for b in &p.barcodes {
                barcodes += 1;
                match tx.get(BARCODES, (cid, b.as_str()))? {
                    Some(id) if id == pid => {}
                    other => problems.push(format!("barcode {b} of product {cid}/{pid} indexes to {other:?}")),
                }
            }
            if let Some(plu) = p.plu {
                plus += 1;
                match tx.get(PLUS, (cid, u64::from(plu)))? {
                    Some(id) if id == pid => {}
                    other => problems.push(format!("PLU {plu} of product {cid}/{pid} indexes to {other:?}")),
                }
            }
            Ok(true)
        })?;
    }
    let (bl, pl) = (tx.len(BARCODES)?, tx.len(PLUS)?);
    if bl != barcodes {
        problems.push(format!("barcode index has {bl} rows for {barcodes} product barcodes"));
    }
    if pl != plus {
        problems.push(format!("PLU index has {pl} rows for {plus} product PLUs"));
    }
    Ok(problems)
}
