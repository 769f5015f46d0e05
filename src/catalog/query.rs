//! Catalog reads the pages and the API share: who may read the catalog and see costs, one
//! product, the product list, categories (as a tree too) and brands, product counts, and what
//! a scanned barcode is. Every read takes `&impl Read`, so a write transaction reads the same way.

use std::collections::HashMap;

use super::model::{Brand, Category, GlobalItem, Kind, Product};
use super::store::{BARCODES, BRANDS, CATEGORIES, GLOBAL, PRODUCTS};
use crate::error::{Error, Result};
use crate::ids::{BrandId, CategoryId, CompanyId, ProductId};
use crate::storage::Read;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// Reading the catalog: whoever manages products, sells, or keeps stock documents.
pub fn require_read(actor: &Actor) -> Result<()> {
    if actor.can(Perm::PRODUCTS) || actor.can(Perm::SALE) || actor.can(Perm::CASHIER) || actor.can(Perm::DOCUMENT) {
        Ok(())
    } else {
        Err(Error::Forbidden { permission: "products" })
    }
}

/// Purchase prices and markups (which give them away) are for those who work with stock: the
/// rule of the stock reports (`inventory::query::require_read`). A till-only role sells at the
/// price and never sees what the goods cost.
pub fn can_see_costs(actor: &Actor) -> bool {
    actor.can(Perm::PRODUCTS) || actor.can(Perm::DOCUMENT)
}

/// The company's product `id`; another company's id is as missing as an unknown one.
pub fn product(tx: &impl Read, company: CompanyId, id: ProductId) -> Result<Product> {
    tx.get(PRODUCTS, (company.0, id.0))?.ok_or(Error::NotFound)
}

/// The company's product `id`, or `None` (a line naming a product deleted since).
pub fn find_product(tx: &impl Read, company: CompanyId, id: ProductId) -> Result<Option<Product>> {
    Ok(tx.get(PRODUCTS, (company.0, id.0))?)
}

/// Which products a list shows; archived ones only when asked, and then only those.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub category: Option<CategoryId>,
    pub brand: Option<BrandId>,
    pub kind: Option<Kind>,
    pub archived: bool,
}

/// Up to `limit` products after the `after` cursor (by id) that pass `filter`, and the cursor
/// of the next page when there may be one.
pub fn list_page(
    tx: &impl Read,
    company: CompanyId,
    filter: &ListFilter,
    after: Option<u64>,
    limit: usize,
) -> Result<(Vec<Product>, Option<u64>)> {
    let c = company.0;
    let mut items = Vec::new();
    let mut last = None;
    tx.range(PRODUCTS, (c, after.map(|a| a.saturating_add(1)).unwrap_or(0)), (c, u64::MAX), false, usize::MAX, |(_, id), p| {
        let keep = p.archived == filter.archived
            && filter.category.is_none_or(|cat| p.category == Some(cat))
            && filter.brand.is_none_or(|b| p.brand == Some(b))
            && filter.kind.is_none_or(|k| p.kind == k);
        if keep {
            if items.len() == limit {
                return Ok(false);
            }
            items.push(p);
            last = Some(id);
        }
        Ok(true)
    })?;
    let next_after = if items.len() == limit { last } else { None };
    Ok((items, next_after))
}

/// Goods that are not archived (the choices of a bundle's components), at most `limit`, in id
/// order, leaving out `except` (a bundle is not its own component).
pub fn active_goods(tx: &impl Read, company: CompanyId, except: Option<ProductId>, limit: usize) -> Result<Vec<Product>> {
    let c = company.0;
    let mut out = Vec::new();
    tx.range(PRODUCTS, (c, 0), (c, u64::MAX), false, usize::MAX, |(_, pid), p| {
        if p.kind == Kind::Goods && !p.archived && Some(ProductId(pid)) != except {
            out.push(p);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// The company's categories in id order.
pub fn categories(tx: &impl Read, company: CompanyId) -> Result<Vec<Category>> {
    let c = company.0;
    Ok(tx.list(CATEGORIES, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|(_, x)| x).collect())
}

pub fn category(tx: &impl Read, company: CompanyId, id: CategoryId) -> Result<Category> {
    tx.get(CATEGORIES, (company.0, id.0))?.ok_or(Error::NotFound)
}

/// The top-level category named `name` (case-insensitive), if the company has one.
pub fn top_category_named(tx: &impl Read, company: CompanyId, name: &str) -> Result<Option<Category>> {
    let wanted = name.trim().to_lowercase();
    Ok(categories(tx, company)?.into_iter().find(|x| x.parent.is_none() && x.name.to_lowercase() == wanted))
}

/// The category tree in display order (each parent before its children, siblings by name)
/// with each category's depth.
pub fn category_tree(tx: &impl Read, company: CompanyId) -> Result<Vec<(Category, usize)>> {
    let mut all = categories(tx, company)?;
    all.sort_by_key(|x| x.name.to_lowercase());
    let mut out = Vec::with_capacity(all.len());
    // Depth-first from the roots; a category whose parent is missing counts as a root.
    let known: Vec<CategoryId> = all.iter().map(|x| x.id).collect();
    let mut stack: Vec<(Category, usize)> =
        all.iter().filter(|x| x.parent.is_none_or(|p| !known.contains(&p))).rev().map(|x| (x.clone(), 0)).collect();
    while let Some((cat, depth)) = stack.pop() {
        if out.len() > all.len() {
            break;
        }
        stack.extend(all.iter().filter(|x| x.parent == Some(cat.id)).rev().map(|x| (x.clone(), depth + 1)));
        out.push((cat, depth));
    }
    Ok(out)
}

/// The company's brands in id order.
pub fn brands(tx: &impl Read, company: CompanyId) -> Result<Vec<Brand>> {
    let c = company.0;
    Ok(tx.list(BRANDS, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|(_, b)| b).collect())
}

/// The company's brands by name, as lists and choices show them.
pub fn brands_by_name(tx: &impl Read, company: CompanyId) -> Result<Vec<Brand>> {
    let mut list = brands(tx, company)?;
    list.sort_by_key(|b| b.name.to_lowercase());
    Ok(list)
}

pub fn brand(tx: &impl Read, company: CompanyId, id: BrandId) -> Result<Brand> {
    tx.get(BRANDS, (company.0, id.0))?.ok_or(Error::NotFound)
}

/// The brand named `name` (case-insensitive), if the company has one.
pub fn brand_named(tx: &impl Read, company: CompanyId, name: &str) -> Result<Option<Brand>> {
    let wanted = name.trim().to_lowercase();
    Ok(brands(tx, company)?.into_iter().find(|b| b.name.to_lowercase() == wanted))
}

/// Products per category and per brand (archived ones included).
pub fn product_counts(tx: &impl Read, company: CompanyId) -> Result<(HashMap<CategoryId, usize>, HashMap<BrandId, usize>)> {
    let (mut by_category, mut by_brand) = (HashMap::new(), HashMap::new());
    tx.range(PRODUCTS, (company.0, 0), (company.0, u64::MAX), false, usize::MAX, |_, p| {
        if let Some(c) = p.category {
            *by_category.entry(c).or_insert(0) += 1;
        }
        if let Some(b) = p.brand {
            *by_brand.entry(b).or_insert(0) += 1;
        }
        Ok(true)
    })?;
    Ok((by_category, by_brand))
}

/// What a scanned barcode is: the company's own product, else what the shared catalogue knows.
pub fn barcode_lookup(tx: &impl Read, company: CompanyId, code: &str) -> Result<(Option<Product>, Option<GlobalItem>)> {
    let code = code.trim();
    let product = match tx.get(BARCODES, (company.0, code))? {
        Some(id) => tx.get(PRODUCTS, (company.0, id))?,
        None => None,
    };
    let global = match product {
        Some(_) => None,
        None => tx.get(GLOBAL, code)?,
    };
    Ok((product, global))
}

/// The catalog and stock pages exist only when the plan has the module.
pub fn require_module(actor: &Actor) -> Result<()> {
    actor.require_feature("catalog")
}
