//! Catalog: products (goods, services, bundles), barcodes, PLUs, categories, brands, the
//! box-wide barcode catalogue, and promo gift rules (`promo`).
//!
//! Invariants:
//! - a barcode and a PLU each name at most one product of a company (indexes maintained only by
//!   `store::put_product`; a collision is refused naming the product that holds it);
//! - internal codes and PLUs are assigned from per-company counters in the same transaction;
//! - the sale price follows the seed's rule (`model::price_from_markup`);
//! - a product is never deleted once it has stock movements (see `inventory::delete_product`).

pub mod barcode;
pub mod images;
pub mod model;
pub mod promo;
pub mod query;
pub mod store;

use rust_decimal::Decimal;

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{BrandId, CategoryId, CompanyId, ProductId};
use crate::money;
use crate::storage::WriteTx;
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{parse_name, parse_optional_text};
use crate::tenancy::perms::Perm;
use model::{Brand, Category, Characteristics, Component, Kind, Package, Product, Unit, price_from_markup};
use store::{BARCODES, BRANDS, CATEGORIES, GLOBAL, PLUS, PRODUCTS};

/// A product as typed into the form or sent to the API (strings are parsed here, all
/// problems reported at once).
#[derive(Debug, Clone, Default)]
pub struct ProductDraft {
    pub kind: String,
    pub name: String,
    pub article: String,
    pub barcodes: Vec<String>,
    pub unit: String,
    pub weighed: bool,
    /// Empty = keep or assign automatically for weighed goods.
    pub plu: String,
    pub brand: Option<BrandId>,
    pub category: Option<CategoryId>,
    pub purchase_price: String,
    pub markup: String,
    pub price: String,
    pub discount: String,
    pub country: String,
    pub expiry: String,
    pub packages: Vec<(String, String)>,
    pub dimensions: String,
    pub weight: String,
    pub components: Vec<(ProductId, String)>,
    pub recipe: Vec<(ProductId, String)>,
    pub reorder_level: String,
}

impl ProductDraft {
    /// The draft that would save `p` unchanged: the starting point of an edit that changes
    /// only some fields (an import row with fewer columns).
    pub fn from_product(p: &Product) -> ProductDraft {
        let pairs = |list: &[Component]| list.iter().map(|c| (c.product, c.qty.to_string())).collect();
        ProductDraft {
            kind: p.kind.code().to_string(),
            name: p.name.clone(),
            article: p.article.clone(),
            barcodes: p.barcodes.clone(),
            unit: p.unit.code().to_string(),
            weighed: p.weighed,
            plu: p.plu.map(|n| n.to_string()).unwrap_or_default(),
            brand: p.brand,
            category: p.category,
            purchase_price: if p.purchase_price.is_zero() { String::new() } else { p.purchase_price.to_string() },
            markup: p.markup.to_string(),
            price: p.price.to_string(),
            discount: p.discount.to_string(),
            country: p.country.clone(),
            expiry: p.expiry.clone(),
            packages: p.packages.iter().map(|k| (k.name.clone(), k.qty.to_string())).collect(),
            dimensions: p.characteristics.dimensions.clone(),
            weight: p.characteristics.weight.clone(),
            components: pairs(&p.components),
            recipe: pairs(&p.recipe),
            // Zero is "no threshold", which the form and the rule spell as empty.
            reorder_level: if p.reorder_level.is_zero() { String::new() } else { p.reorder_level.to_string() },
        }
    }
}

fn money_or_zero(p: &mut Problems, field: &str, raw: &str) -> Decimal {
    if raw.trim().is_empty() {
        return Decimal::ZERO;
    }
    p.take(money::parse_money(field, raw, false)).unwrap_or_default()
}

/// Creates (`id` = None) or updates a product.
pub fn save_product(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<ProductId>, d: &ProductDraft) -> Result<ProductId> {
    let checked = check_product(tx, actor, id, d)?;
    save_checked(tx, actor, now, checked)
}

/// The product save of the form and the API: every rule, the write, then the product's
/// barcodes taught to the shared catalogue; returns the stored record.
pub fn save_product_shared(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<ProductId>, d: &ProductDraft) -> Result<Product> {
    let checked = check_product(tx, actor, id, d)?;
    let id = save_shared(tx, actor, now, checked)?;
    query::product(tx, actor.company, id)
}

/// Stores a checked product and teaches its barcodes to the shared catalogue: the one write
/// of a product a person made (the form, the API, an import row).
pub fn save_shared(tx: &mut WriteTx, actor: &Actor, now: Ts, checked: CheckedProduct) -> Result<ProductId> {
    let id = save_checked(tx, actor, now, checked)?;
    share_barcodes(tx, actor, id)?;
    Ok(id)
}

/// A draft that passed every product rule against the data as of the check; `save_checked`
/// stores it. Imports check whole files this way before anything is written.
#[derive(Debug, Clone)]
pub struct CheckedProduct {
    old: Option<Product>,
    /// The product to store; its id, code, timestamps and an automatic PLU are filled in by
    /// `save_checked`.
    new: Product,
}

impl CheckedProduct {
    pub fn product(&self) -> &Product {
        &self.new
    }

    pub fn is_update(&self) -> bool {
        self.old.is_some()
    }
}

/// Applies every product rule to a draft without writing: rights, parsing, barcode check
/// digits, barcode and PLU uniqueness within the company, brand and category existence, the
/// price rule. All problems are reported at once.
pub fn check_product(tx: &WriteTx, actor: &Actor, id: Option<ProductId>, d: &ProductDraft) -> Result<CheckedProduct> {
    actor.require(Perm::PRODUCTS)?;
    actor.require_feature("catalog")?;
    actor.require_writable()?;
    let c = actor.company.0;
    let old = match id {
        Some(id) => Some(tx.get(PRODUCTS, (c, id.0))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let self_id = id.map(|i| i.0);
    let mut p = Problems::default();
    let kind = Kind::parse(&d.kind).unwrap_or_else(|| {
        p.push(FieldError::new("kind", "kind", "Тип: товар, услуга или комплект", "Kind: goods, service or bundle"));
        Kind::Goods
    });
    let name = p.take(parse_name("name", &d.name, 300));
    let article = p.take(parse_optional_text("article", &d.article, 100)).unwrap_or_default();
    let mut barcodes: Vec<String> = Vec::new();
    for raw in &d.barcodes {
        let code = raw.trim().to_string();
        if code.is_empty() || barcodes.contains(&code) {
            continue;
        }
        match barcode::classify(&code) {
            Ok(_) => {}
            Err(why) => {
                let (ru, en) = match why {
                    "check_digit" => (format!("Штрихкод {code}: неверная контрольная цифра"), format!("Barcode {code}: wrong check digit")),
                    _ => (
                        format!("Штрихкод {code}: недопустимые символы или длина"),
                        format!("Barcode {code}: invalid characters or length"),
                    ),
                };
                p.push(FieldError::new("barcodes", "barcode", ru, en));
                continue;
            }
        }
        if let Some(holder) = tx.get(BARCODES, (c, code.as_str()))?
            && Some(holder) != self_id
        {
            let other = tx.get(PRODUCTS, (c, holder))?.map(|o| o.name).unwrap_or_default();
            p.push(FieldError::new(
                "barcodes",
                "barcode_taken",
                format!("Штрихкод {code} уже у товара «{other}»"),
                format!("Barcode {code} already belongs to “{other}”"),
            ));
            continue;
        }
        barcodes.push(code);
    }
    let unit = Unit::parse(&d.unit).unwrap_or_else(|| {
        p.push(FieldError::new("unit", "unit", "Единица: шт, кг, г, л, м, уп", "Unit: pcs, kg, g, l, m, pack"));
        Unit::Piece
    });
    let weighed = d.weighed && kind == Kind::Goods;
    let plu = match d.plu.trim() {
        "" => old.as_ref().and_then(|o| o.plu),
        raw => match raw.parse::<u32>() {
            Ok(n) if (1..=99_999).contains(&n) => Some(n),
            _ => {
                p.push(FieldError::new("plu", "plu", "PLU — число от 1 до 99999", "PLU is a number from 1 to 99999"));
                None
            }
        },
    };
    if let Some(n) = plu
        && let Some(holder) = tx.get(PLUS, (c, u64::from(n)))?
        && Some(holder) != self_id
    {
        let other = tx.get(PRODUCTS, (c, holder))?.map(|o| o.name).unwrap_or_default();
        p.push(FieldError::new(
            "plu",
            "plu_taken",
            format!("PLU {n} уже у товара «{other}»"),
            format!("PLU {n} already belongs to “{other}”"),
        ));
    }
    // A label scale still holds this PLU for another product: giving it away would print that
    // product's labels under this one's code until the scale is synced again.
    if let Some(n) = plu
        && let Some(held) = store::plu_held(tx, actor.company, n)?
        && Some(held.0) != self_id
    {
        p.push(FieldError::new(
            "plu",
            "plu_held",
            format!("PLU {n} ещё записан в весах для другого товара; синхронизируйте весы"),
            format!("PLU {n} is still held by a label scale for another product; sync the scales first"),
        ));
    }
    if let Some(b) = d.brand
        && tx.get(BRANDS, (c, b.0))?.is_none()
    {
        p.push(FieldError::new("brand", "unknown", "Нет такого бренда", "No such brand"));
    }
    if let Some(cat) = d.category
        && tx.get(CATEGORIES, (c, cat.0))?.is_none()
    {
        p.push(FieldError::new("category", "unknown", "Нет такой категории", "No such category"));
    }
    let purchase_price = money_or_zero(&mut p, "purchase_price", &d.purchase_price);
    let markup =
        if d.markup.trim().is_empty() { Decimal::ZERO } else { p.take(money::parse_percent_any("markup", &d.markup)).unwrap_or_default() };
    let manual = money_or_zero(&mut p, "price", &d.price);
    let discount = if d.discount.trim().is_empty() {
        Decimal::ZERO
    } else {
        p.take(money::parse_percent("discount", &d.discount)).unwrap_or_default()
    };
    let country = p.take(parse_optional_text("country", &d.country, 60)).unwrap_or_default();
    let expiry = match d.expiry.trim() {
        "" => String::new(),
        s => match s.parse::<jiff::civil::Date>() {
            Ok(date) => date.to_string(),
            Err(_) => {
                p.push(FieldError::new("expiry", "date", "Дата в формате ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"));
                String::new()
            }
        },
    };
    let mut packages = Vec::new();
    for (pname, qty) in &d.packages {
        if pname.trim().is_empty() && qty.trim().is_empty() {
            continue;
        }
        if let (Some(n), Some(q)) = (p.take(parse_name("packages", pname, 60)), p.take(money::parse_qty("packages", qty))) {
            packages.push(Package { name: n, qty: q });
        }
    }
    let parse_components = |field: &str, list: &[(ProductId, String)], p: &mut Problems| -> Result<Vec<Component>> {
        let mut out = Vec::new();
        for (pid, qty) in list {
            if Some(pid.0) == self_id {
                p.push(FieldError::new(field, "self", "Товар не может входить в себя", "A product cannot contain itself"));
                continue;
            }
            match tx.get(PRODUCTS, (c, pid.0))? {
                Some(comp) if comp.kind == Kind::Goods => {
                    if let Some(q) = p.take(money::parse_qty(field, qty)) {
                        out.push(Component { product: *pid, qty: q });
                    }
                }
                _ => p.push(FieldError::new(field, "unknown", "Состав: только существующие товары", "Components must be existing goods")),
            }
        }
        Ok(out)
    };
    let components = if kind == Kind::Bundle { parse_components("components", &d.components, &mut p)? } else { Vec::new() };
    if kind == Kind::Bundle && components.is_empty() {
        p.push(FieldError::new("components", "required", "У комплекта должен быть состав", "A bundle needs components"));
    }
    let recipe = parse_components("recipe", &d.recipe, &mut p)?;
    let reorder_level = if d.reorder_level.trim().is_empty() {
        Decimal::ZERO
    } else {
        p.take(money::parse_qty("reorder_level", &d.reorder_level)).unwrap_or_default()
    };
    p.finish()?;
    let name = name.ok_or_else(|| Error::Internal("product name missing after parse".into()))?;
    let new = Product {
        id: old.as_ref().map(|o| o.id).unwrap_or(ProductId(0)),
        kind,
        name,
        article,
        code: old.as_ref().map(|o| o.code.clone()).unwrap_or_default(),
        barcodes,
        unit,
        weighed,
        plu,
        brand: d.brand,
        category: d.category,
        purchase_price,
        markup,
        price: price_from_markup(purchase_price, markup, manual),
        discount,
        country,
        expiry,
        packages,
        characteristics: Characteristics { dimensions: d.dimensions.trim().to_string(), weight: d.weight.trim().to_string() },
        components,
        recipe,
        reorder_level,
        archived: old.as_ref().is_some_and(|o| o.archived),
        created: old.as_ref().map(|o| o.created).unwrap_or(Ts(0)),
        updated: Ts(0),
    };
    Ok(CheckedProduct { old, new })
}

/// Stores a checked product: assigns an automatic PLU to weighed goods without one, the id
/// and internal code of a new product, writes it through `store::put_product` and audits it.
/// Uniqueness was checked against the same transaction, so callers that write several
/// products in one transaction check each just before saving it.
pub fn save_checked(tx: &mut WriteTx, actor: &Actor, now: Ts, checked: CheckedProduct) -> Result<ProductId> {
    let CheckedProduct { old, new: mut product } = checked;
    let c = actor.company.0;
    let mut plu = product.plu;
    if product.weighed && plu.is_none() {
        loop {
            let n = tx.next_counter(c, "plu")?;
            if n > 99_999 {
                return Err(Error::field("plu", "plu_exhausted", "Свободные PLU закончились", "No free PLU left"));
            }
            if tx.get(PLUS, (c, n))?.is_none() && store::plu_held(tx, actor.company, n as u32)?.is_none() {
                plu = Some(n as u32);
                break;
            }
        }
    }
    if let Some(n) = plu {
        tx.bump_counter(c, "plu", u64::from(n))?;
    }
    if old.is_none() {
        product.id = ProductId(tx.next_id()?);
        product.code = format!("{:04}", tx.next_counter(c, "product_code")?);
        product.created = now;
    }
    product.plu = plu;
    product.updated = now;
    let pid = product.id;
    store::put_product(tx, actor.company, old.as_ref(), &product)?;
    let action = if old.is_some() { "product.update" } else { "product.create" };
    audit::record(tx, actor.company, actor, now, action, format!("product:{pid}"), product.name.clone())?;
    product_event(tx, actor.company, now, if old.is_some() { "updated" } else { "created" }, &product)?;
    Ok(pid)
}

pub fn set_archived(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ProductId, archived: bool) -> Result<()> {
    actor.require(Perm::PRODUCTS)?;
    actor.require_writable()?;
    let old = tx.get(PRODUCTS, (actor.company.0, id.0))?.ok_or(Error::NotFound)?;
    let mut new = old.clone();
    new.archived = archived;
    new.updated = now;
    store::put_product(tx, actor.company, Some(&old), &new)?;
    let action = if archived { "product.archive" } else { "product.restore" };
    audit::record(tx, actor.company, actor, now, action, format!("product:{id}"), new.name.clone())?;
    product_event(tx, actor.company, now, if archived { "archived" } else { "restored" }, &new)?;
    Ok(())
}

/// Queues `product.changed` for the company's endpoints (in the caller's transaction).
pub fn product_event(tx: &mut WriteTx, company: CompanyId, now: Ts, action: &str, p: &Product) -> Result<()> {
    crate::webhooks::emit_with(tx, company, crate::webhooks::events::PRODUCT_CHANGED, now, || {
        crate::webhooks::events::ProductChangedEvent {
            action: action.into(),
            id: p.id.0,
            code: p.code.clone(),
            name: p.name.clone(),
            article: p.article.clone(),
            barcodes: p.barcodes.clone(),
            unit: p.unit.code().into(),
            price: p.price.to_string(),
            archived: p.archived,
        }
    })
}

pub fn save_category(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: Option<CategoryId>,
    name: &str,
    parent: Option<CategoryId>,
) -> Result<CategoryId> {
    actor.require(Perm::BRAND_CATEGORY)?;
    actor.require_writable()?;
    let c = actor.company.0;
    if let Some(id) = id
        && tx.get(CATEGORIES, (c, id.0))?.is_none()
    {
        return Err(Error::NotFound);
    }
    let name = parse_name("name", name, 100).map_err(|e| Error::Validation(vec![e]))?;
    // Walk up from the new parent: reaching `id` would close a cycle.
    let mut cursor = parent;
    let mut depth = 0;
    while let Some(p) = cursor {
        if Some(p) == id {
            return Err(Error::field("parent", "cycle", "Категория не может быть внутри себя", "A category cannot be inside itself"));
        }
        let cat =
            tx.get(CATEGORIES, (c, p.0))?.ok_or_else(|| Error::field("parent", "unknown", "Нет такой категории", "No such category"))?;
        cursor = cat.parent;
        depth += 1;
        if depth > 1000 {
            return Err(Error::Internal("category tree too deep".into()));
        }
    }
    let siblings_clash = tx
        .list(CATEGORIES, (c, 0), (c, u64::MAX), usize::MAX)?
        .iter()
        .any(|(_, cat)| Some(cat.id) != id && cat.parent == parent && cat.name.to_lowercase() == name.to_lowercase());
    if siblings_clash {
        return Err(Error::field(
            "name",
            "name_taken",
            "Такая категория уже есть на этом уровне",
            "This category already exists at this level",
        ));
    }
    let cid = id.unwrap_or(CategoryId(tx.next_id()?));
    tx.insert(CATEGORIES, (c, cid.0), &Category { id: cid, name: name.clone(), parent })?;
    audit::record(tx, actor.company, actor, now, "category.save", format!("category:{cid}"), name)?;
    Ok(cid)
}

pub fn save_brand(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<BrandId>, name: &str) -> Result<BrandId> {
    actor.require(Perm::BRAND_CATEGORY)?;
    actor.require_writable()?;
    let c = actor.company.0;
    if let Some(id) = id
        && tx.get(BRANDS, (c, id.0))?.is_none()
    {
        return Err(Error::NotFound);
    }
    let name = parse_name("name", name, 100).map_err(|e| Error::Validation(vec![e]))?;
    let clash = tx
        .list(BRANDS, (c, 0), (c, u64::MAX), usize::MAX)?
        .iter()
        .any(|(_, b)| Some(b.id) != id && b.name.to_lowercase() == name.to_lowercase());
    if clash {
        return Err(Error::field("name", "name_taken", "Такой бренд уже есть", "This brand already exists"));
    }
    let bid = id.unwrap_or(BrandId(tx.next_id()?));
    tx.insert(BRANDS, (c, bid.0), &Brand { id: bid, name: name.clone() })?;
    audit::record(tx, actor.company, actor, now, "brand.save", format!("brand:{bid}"), name)?;
    Ok(bid)
}

/// Finds (or creates, by name) a brand — for imports and create-by-barcode.
pub fn brand_named(tx: &mut WriteTx, actor: &Actor, now: Ts, name: &str) -> Result<Option<BrandId>> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if let Some(b) = query::brand_named(tx, actor.company, name)? {
        return Ok(Some(b.id));
    }
    save_brand(tx, actor, now, None, name).map(Some)
}

/// Finds (or creates) a top-level category by name.
pub fn category_named(tx: &mut WriteTx, actor: &Actor, now: Ts, name: &str) -> Result<Option<CategoryId>> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    if let Some(cat) = query::top_category_named(tx, actor.company, name)? {
        return Ok(Some(cat.id));
    }
    save_category(tx, actor, now, None, name, None).map(Some)
}

/// The separator of category paths in files and lists: "Напитки / Соки".
pub const PATH_SEPARATOR: &str = " / ";

/// Every category's full path ("Напитки / Соки"), by id, from the company's categories.
pub fn category_paths(categories: Vec<Category>) -> std::collections::HashMap<CategoryId, String> {
    let all: std::collections::HashMap<CategoryId, Category> = categories.into_iter().map(|cat| (cat.id, cat)).collect();
    let mut out = std::collections::HashMap::with_capacity(all.len());
    for (id, cat) in &all {
        let mut names = vec![cat.name.clone()];
        let mut cursor = cat.parent;
        // The tree is acyclic (save_category refuses cycles); the bound guards a damaged file.
        while let Some(p) = cursor
            && names.len() < 100
        {
            let Some(parent) = all.get(&p) else { break };
            names.push(parent.name.clone());
            cursor = parent.parent;
        }
        names.reverse();
        out.insert(*id, names.join(PATH_SEPARATOR));
    }
    out
}

/// Finds the category at `path` ("A / B", case-insensitive), creating the missing levels.
pub fn category_path(tx: &mut WriteTx, actor: &Actor, now: Ts, path: &str) -> Result<Option<CategoryId>> {
    let c = actor.company.0;
    let mut parent: Option<CategoryId> = None;
    for segment in path.split('/').map(str::trim).filter(|s| !s.is_empty()) {
        let wanted = segment.to_lowercase();
        let found = tx
            .list(CATEGORIES, (c, 0), (c, u64::MAX), usize::MAX)?
            .into_iter()
            .find(|(_, cat)| cat.parent == parent && cat.name.to_lowercase() == wanted)
            .map(|(_, cat)| cat.id);
        parent = Some(match found {
            Some(id) => id,
            None => save_category(tx, actor, now, None, segment, parent)?,
        });
    }
    Ok(parent)
}

/// Spec A5 "create-by-barcode": copies name, brand and category from the shared catalogue,
/// refusing a barcode the company already has.
pub fn create_by_barcode(tx: &mut WriteTx, actor: &Actor, now: Ts, code: &str, price: &str) -> Result<ProductId> {
    let item = tx.get(GLOBAL, code.trim())?.ok_or(Error::NotFound)?;
    let brand = brand_named(tx, actor, now, &item.brand)?;
    let category = category_named(tx, actor, now, &item.category)?;
    let draft = ProductDraft {
        name: item.name,
        barcodes: vec![code.trim().to_string()],
        unit: item.unit.code().to_string(),
        brand,
        category,
        price: price.to_string(),
        ..ProductDraft::default()
    };
    save_product(tx, actor, now, None, &draft)
}

/// Spec A5 "create-manual": a product with an unknown valid GTIN also teaches the shared
/// catalogue (name, brand, category, unit only; never prices or stock).
pub fn share_barcodes(tx: &mut WriteTx, actor: &Actor, id: ProductId) -> Result<()> {
    let Some(p) = tx.get(PRODUCTS, (actor.company.0, id.0))? else {
        return Ok(());
    };
    let brand = match p.brand {
        Some(b) => tx.get(BRANDS, (actor.company.0, b.0))?.map(|b| b.name).unwrap_or_default(),
        None => String::new(),
    };
    let category = match p.category {
        Some(c) => tx.get(CATEGORIES, (actor.company.0, c.0))?.map(|c| c.name).unwrap_or_default(),
        None => String::new(),
    };
    for code in &p.barcodes {
        let gtin = matches!(barcode::classify(code), Ok(barcode::Symbology::Ean13 | barcode::Symbology::Ean8 | barcode::Symbology::UpcA));
        // In-store codes (prefix 2) belong to one shop, not to the shared catalogue.
        if gtin && !code.starts_with('2') && tx.get(GLOBAL, code.as_str())?.is_none() {
            let item = model::GlobalItem { name: p.name.clone(), brand: brand.clone(), category: category.clone(), unit: p.unit };
            tx.insert(GLOBAL, code.as_str(), &item)?;
        }
    }
    Ok(())
}
