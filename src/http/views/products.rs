//! Products: the list (filters, "next" paging, a search box answering as the user types),
//! the document lines' product picker and the product form (filled from the shared barcode
//! catalogue on request). The product card is in `card`.

pub mod card;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;

use super::catalog::category_choices;
use super::fmt::{amount, money, qty, quantity, unit_label, zero_blank};
use super::form::{refused, stock_flash as flash};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::catalog::model::{Component, Kind, Product, Unit};
use crate::catalog::query::{self, ListFilter, require_module};
use crate::catalog::{self, ProductDraft, barcode};
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{BrandId, CategoryId, CompanyId, ProductId};
use crate::search::Filters;
use crate::storage::ReadTx;
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/products", get(list_page).post(create))
        .route("/products/search", get(search_partial))
        .route("/products/pick", get(pick_partial))
        .route("/products/new", get(new_page))
        .route("/products/{id}", get(card::card_page))
        .route("/products/{id}/edit", get(edit_page).post(save))
        .route("/products/{id}/archive", post(card::archive))
        .route("/products/{id}/restore", post(card::restore))
        .route("/products/{id}/delete", post(card::delete))
        .route("/products/{id}/images", post(card::upload_image))
        .route("/products/{id}/images/{image}/delete", post(card::delete_image))
}

/// Products per page of the list, and hits shown by the search box.
const PAGE: usize = 50;
/// Hits offered by a document line's product picker.
const PICKS: usize = 8;

fn require_read(ui: &Ui) -> Result<()> {
    query::require_read(ui.actor())?;
    require_module(ui.actor())
}

fn require_edit(ui: &Ui) -> Result<()> {
    ui.actor().require(Perm::PRODUCTS)?;
    require_module(ui.actor())
}

pub fn kind_label(lang: Lang, kind: Kind) -> &'static str {
    lang.t(&format!("kinds.{}", kind.code()))
}

// ---- the list and its search box ----

pub struct ProductRow {
    pub id: u64,
    pub name: String,
    pub code: String,
    pub barcodes: String,
    pub unit: &'static str,
    pub price: String,
    /// Σ on hand over the warehouses; empty for services and bundles.
    pub stock: String,
    pub kind: &'static str,
    pub stocked: bool,
    pub archived: bool,
}

fn product_rows(tx: &ReadTx, company: CompanyId, lang: Lang, products: Vec<Product>) -> Result<Vec<ProductRow>> {
    let stocked: Vec<ProductId> = products.iter().filter(|p| p.kind.stocked()).map(|p| p.id).collect();
    let totals = crate::inventory::query::on_hand_totals(tx, company, &stocked)?;
    let mut rows = Vec::with_capacity(products.len());
    for p in products {
        let total = totals.get(&p.id).copied().unwrap_or_default();
        rows.push(ProductRow {
            id: p.id.0,
            code: p.code,
            barcodes: p.barcodes.join(", "),
            unit: unit_label(lang, p.unit),
            price: amount(lang, p.price),
            stock: if p.kind.stocked() { quantity(lang, total) } else { String::new() },
            kind: kind_label(lang, p.kind),
            stocked: p.kind.stocked(),
            archived: p.archived,
            name: p.name,
        });
    }
    Ok(rows)
}

/// The list's filters as given in the query string.
struct ListQuery {
    q: String,
    filter: ListFilter,
    kind: String,
    after: Option<u64>,
}

fn list_query(uri: &Uri) -> ListQuery {
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let kind = f.get("kind");
    ListQuery {
        q: f.get("q").trim().to_string(),
        filter: ListFilter {
            category: f.id("category").map(CategoryId),
            brand: f.id("brand").map(BrandId),
            kind: if kind.trim().is_empty() { None } else { Kind::parse(&kind) },
            archived: f.get("archived") == "1",
        },
        kind,
        after: f.id("after"),
    }
}

fn export_query(f: &ListFilter) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(c) = f.category {
        pairs.push(("category", c.0.to_string()));
    }
    if let Some(b) = f.brand {
        pairs.push(("brand", b.0.to_string()));
    }
    if let Some(k) = f.kind {
        pairs.push(("kind", k.code().to_string()));
    }
    if f.archived {
        pairs.push(("archived", "1".into()));
    }
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The rows a list query asks for, and the link to the next page (none while searching).
async fn results(app: &App, ui: &Ui, lq: &ListQuery) -> Result<(Vec<ProductRow>, Option<String>)> {
    let company = ui.actor().company;
    if !lq.q.is_empty() {
        let filters =
            Filters { include_archived: lq.filter.archived, category: lq.filter.category, brand: lq.filter.brand, kind: lq.filter.kind };
        let mut hits = crate::http::shared::search_products(app, ui.actor(), lq.q.clone(), filters, PAGE).await?;
        hits.retain(|p| p.archived == lq.filter.archived);
        return Ok((product_rows(&app.db.read()?, company, ui.lang, hits)?, None));
    }
    let tx = app.db.read()?;
    let (items, next_after) = query::list_page(&tx, company, &lq.filter, lq.after, PAGE)?;
    let next = next_after.map(|after| {
        let mut pairs = vec![("after", after.to_string())];
        if let Some(c) = lq.filter.category {
            pairs.push(("category", c.0.to_string()));
        }
        if let Some(b) = lq.filter.brand {
            pairs.push(("brand", b.0.to_string()));
        }
        if lq.filter.kind.is_some() {
            pairs.push(("kind", lq.kind.clone()));
        }
        if lq.filter.archived {
            pairs.push(("archived", "1".into()));
        }
        format!("/products?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    });
    Ok((product_rows(&tx, company, ui.lang, items)?, next))
}

#[derive(Template)]
#[template(path = "products.html")]
struct ProductsPage {
    lang: Lang,
    shell: Shell,
    q: String,
    categories: Vec<Choice>,
    brands: Vec<Choice>,
    kinds: Vec<Choice>,
    archived: bool,
    rows: Vec<ProductRow>,
    next: Option<String>,
    searching: bool,
    can_edit: bool,
    /// The list's filters as a query string, carried by the export links.
    export_query: String,
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_read(&ui)?;
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, ui.lang, &uri);
    let lq = list_query(&uri);
    let (rows, next) = results(&app, &ui, &lq).await?;
    let tx = app.db.read()?;
    let company = ui.actor().company;
    let lang = ui.lang;
    let mut brand_choices =
        vec![Choice { value: String::new(), label: lang.t("products.all").into(), selected: lq.filter.brand.is_none() }];
    brand_choices.extend(query::brands_by_name(&tx, company)?.into_iter().map(|b| Choice {
        value: b.id.0.to_string(),
        selected: lq.filter.brand == Some(b.id),
        label: b.name,
    }));
    let mut kinds = vec![Choice { value: String::new(), label: lang.t("products.all").into(), selected: lq.filter.kind.is_none() }];
    kinds.extend([Kind::Goods, Kind::Service, Kind::Bundle].map(|k| Choice {
        value: k.code().into(),
        label: kind_label(lang, k).into(),
        selected: lq.filter.kind == Some(k),
    }));
    let page = ProductsPage {
        lang,
        shell,
        searching: !lq.q.is_empty(),
        q: lq.q,
        categories: category_choices(&tx, company, lang.t("products.all"), lq.filter.category)?,
        brands: brand_choices,
        kinds,
        archived: lq.filter.archived,
        rows,
        next,
        can_edit: ui.actor().can(Perm::PRODUCTS),
        export_query: export_query(&lq.filter),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "products_partial.html")]
struct ProductsPartial {
    lang: Lang,
    rows: Vec<ProductRow>,
    next: Option<String>,
    searching: bool,
}

/// The search box's answer: the list's table for what was typed so far (the first page of
/// the filtered list when the box is empty).
pub async fn search_partial(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_read(&ui)?;
    let lq = list_query(&uri);
    let (rows, next) = results(&app, &ui, &lq).await?;
    render(StatusCode::OK, &ProductsPartial { lang: ui.lang, rows, next, searching: !lq.q.is_empty() })
}

pub struct PickHit {
    pub id: u64,
    pub name: String,
    pub code: String,
    pub unit: &'static str,
    /// The purchase price, offered as a receipt line's cost.
    pub cost: String,
}

#[derive(Template)]
#[template(path = "pick_partial.html")]
struct PickPartial {
    lang: Lang,
    hits: Vec<PickHit>,
    typed: bool,
}

/// Goods matching what was typed in a document line (`line_name`): the picker's choices.
pub async fn pick_partial(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_read(&ui)?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let text = [f.get("line_name"), f.get("q")].into_iter().find(|s| !s.trim().is_empty()).unwrap_or_default();
    let hits = if text.trim().is_empty() {
        Vec::new()
    } else {
        let filters = Filters { kind: Some(Kind::Goods), ..Filters::default() };
        crate::http::shared::search_products(&app, ui.actor(), text.clone(), filters, PICKS).await?
    };
    let hits = hits
        .into_iter()
        .map(|p| PickHit { id: p.id.0, unit: unit_label(ui.lang, p.unit), cost: p.purchase_price.to_string(), code: p.code, name: p.name })
        .collect();
    render(StatusCode::OK, &PickPartial { lang: ui.lang, hits, typed: !text.trim().is_empty() })
}

// ---- the product form ----

/// The form as typed, with the names of a brand or category still to be created (from the
/// shared catalogue) when none of the company's is chosen.
#[derive(Clone, Default)]
struct FormInput {
    draft: ProductDraft,
    new_brand: String,
    new_category: String,
}

fn pairs(f: &Fields, a: &str, b: &str) -> Vec<(String, String)> {
    let (left, right) = (f.all(a), f.all(b));
    (0..left.len().max(right.len()))
        .map(|i| (left.get(i).cloned().unwrap_or_default(), right.get(i).cloned().unwrap_or_default()))
        .filter(|(x, y)| !x.trim().is_empty() || !y.trim().is_empty())
        .collect()
}

fn components(f: &Fields, product: &str, qty: &str) -> Vec<(ProductId, String)> {
    pairs(f, product, qty).into_iter().filter_map(|(p, q)| p.trim().parse().ok().map(|id| (ProductId(id), q))).collect()
}

fn form_input(f: &Fields) -> FormInput {
    let draft = ProductDraft {
        kind: f.get("kind"),
        name: f.get("name"),
        article: f.get("article"),
        barcodes: f.get("barcodes").split(['\n', ',', ';']).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        unit: if f.get("unit").trim().is_empty() { Unit::Piece.code().into() } else { f.get("unit") },
        weighed: f.has("weighed"),
        plu: f.get("plu"),
        brand: f.id("brand").map(BrandId),
        category: f.id("category").map(CategoryId),
        purchase_price: f.get("purchase_price"),
        markup: f.get("markup"),
        price: f.get("price"),
        discount: f.get("discount"),
        country: f.get("country"),
        expiry: f.get("expiry"),
        packages: pairs(f, "package_name", "package_qty"),
        dimensions: f.get("dimensions"),
        weight: f.get("weight"),
        components: components(f, "component_product", "component_qty"),
        recipe: components(f, "recipe_product", "recipe_qty"),
        reorder_level: f.get("reorder_level"),
    };
    let new_brand = if f.get("brand") == "new" { f.get("new_brand") } else { String::new() };
    let new_category = if f.get("category") == "new" { f.get("new_category") } else { String::new() };
    FormInput { draft, new_brand, new_category }
}

fn input_of(p: &Product) -> FormInput {
    let comps = |list: &[Component]| list.iter().map(|c| (c.product, qty(c.qty))).collect();
    let draft = ProductDraft {
        kind: p.kind.code().into(),
        name: p.name.clone(),
        article: p.article.clone(),
        barcodes: p.barcodes.clone(),
        unit: p.unit.code().into(),
        weighed: p.weighed,
        plu: p.plu.map(|n| n.to_string()).unwrap_or_default(),
        brand: p.brand,
        category: p.category,
        purchase_price: if p.purchase_price.is_zero() { String::new() } else { money(p.purchase_price) },
        markup: zero_blank(p.markup),
        price: money(p.price),
        discount: zero_blank(p.discount),
        country: p.country.clone(),
        expiry: p.expiry.clone(),
        packages: p.packages.iter().map(|k| (k.name.clone(), qty(k.qty))).collect(),
        dimensions: p.characteristics.dimensions.clone(),
        weight: p.characteristics.weight.clone(),
        components: comps(&p.components),
        recipe: comps(&p.recipe),
        reorder_level: zero_blank(p.reorder_level),
    };
    FormInput { draft, ..FormInput::default() }
}

pub struct ComponentRow {
    pub goods: Vec<Choice>,
    pub qty: String,
}

/// The form with every choice worked out.
pub struct ProductForm {
    pub kinds: Vec<Choice>,
    pub name: String,
    pub article: String,
    pub barcodes: String,
    pub units: Vec<Choice>,
    pub weighed: bool,
    pub plu: String,
    pub brands: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub new_brand: String,
    pub new_category: String,
    pub purchase_price: String,
    pub markup: String,
    pub price: String,
    /// The price follows the markup (markup > 0): the price field is computed.
    pub markup_on: bool,
    pub discount: String,
    pub country: String,
    pub expiry: String,
    pub packages: Vec<(String, String)>,
    pub dimensions: String,
    pub weight: String,
    pub components: Vec<ComponentRow>,
    pub recipe: Vec<ComponentRow>,
    pub reorder_level: String,
}

fn product_form(app: &App, ui: &Ui, id: Option<u64>, input: &FormInput) -> Result<ProductForm> {
    let lang = ui.lang;
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let d = &input.draft;
    let kind = Kind::parse(&d.kind).unwrap_or(Kind::Goods);
    let unit = Unit::parse(&d.unit).unwrap_or(Unit::Piece);
    let mut brand_choices = vec![Choice { value: String::new(), label: lang.t("products.no_brand").into(), selected: d.brand.is_none() }];
    if !input.new_brand.trim().is_empty() {
        let label = lang.t("products.new_named").replace("{name}", input.new_brand.trim());
        brand_choices.push(Choice { value: "new".into(), label, selected: d.brand.is_none() });
        brand_choices[0].selected = false;
    }
    brand_choices.extend(query::brands_by_name(&tx, company)?.into_iter().map(|b| Choice {
        value: b.id.0.to_string(),
        selected: d.brand == Some(b.id),
        label: b.name,
    }));
    let mut categories = category_choices(&tx, company, lang.t("products.no_category"), d.category)?;
    if !input.new_category.trim().is_empty() {
        let label = lang.t("products.new_named").replace("{name}", input.new_category.trim());
        categories[0].selected = false;
        categories.insert(1, Choice { value: "new".into(), label, selected: d.category.is_none() });
    }
    let mut goods_list: Vec<(u64, String)> = query::active_goods(&tx, company, id.map(ProductId), 2000)?
        .into_iter()
        .map(|p| (p.id.0, format!("{} · {}", p.name, p.code)))
        .collect();
    goods_list.sort_by_key(|(_, n)| n.to_lowercase());
    let goods_choices = |chosen: Option<ProductId>| {
        let mut out = vec![Choice { value: String::new(), label: lang.t("products.choose_goods").into(), selected: chosen.is_none() }];
        out.extend(goods_list.iter().map(|(pid, n)| Choice {
            value: pid.to_string(),
            label: n.clone(),
            selected: chosen == Some(ProductId(*pid)),
        }));
        if let Some(p) = chosen
            && !goods_list.iter().any(|(pid, _)| *pid == p.0)
        {
            out.push(Choice { value: p.0.to_string(), label: format!("#{}", p.0), selected: true });
        }
        out
    };
    // Rows as typed, then one blank row; the page adds more by cloning the last one.
    let rows = |list: &[(ProductId, String)]| {
        let mut out: Vec<ComponentRow> =
            list.iter().map(|(p, q)| ComponentRow { goods: goods_choices(Some(*p)), qty: q.clone() }).collect();
        out.push(ComponentRow { goods: goods_choices(None), qty: String::new() });
        out
    };
    let mut packages = d.packages.clone();
    packages.push(Default::default());
    let markup_on = d.markup.trim().replace(',', ".").parse::<Decimal>().is_ok_and(|m| m > Decimal::ZERO);
    Ok(ProductForm {
        kinds: [Kind::Goods, Kind::Service, Kind::Bundle]
            .into_iter()
            .map(|k| Choice { value: k.code().into(), label: kind_label(lang, k).into(), selected: k == kind })
            .collect(),
        name: d.name.clone(),
        article: d.article.clone(),
        barcodes: d.barcodes.join("\n"),
        units: Unit::ALL
            .into_iter()
            .map(|u| Choice { value: u.code().into(), label: unit_label(lang, u).into(), selected: u == unit })
            .collect(),
        weighed: d.weighed,
        plu: d.plu.clone(),
        brands: brand_choices,
        categories,
        new_brand: input.new_brand.clone(),
        new_category: input.new_category.clone(),
        purchase_price: d.purchase_price.clone(),
        markup: d.markup.clone(),
        price: d.price.clone(),
        markup_on,
        discount: d.discount.clone(),
        country: d.country.clone(),
        expiry: d.expiry.clone(),
        packages,
        dimensions: d.dimensions.clone(),
        weight: d.weight.clone(),
        components: rows(&d.components),
        recipe: rows(&d.recipe),
        reorder_level: d.reorder_level.clone(),
    })
}

/// The "fill from the shared catalogue" box: the barcode asked about and what came of it.
#[derive(Default)]
pub struct Lookup {
    pub code: String,
    /// "ok" (filled), "info" (unknown there) or "error" (invalid, or already the company's).
    pub level: &'static str,
    pub message: String,
    /// The company's own product that already has this barcode: (id, name).
    pub existing: Option<(u64, String)>,
}

#[derive(Template)]
#[template(path = "product_form.html")]
struct ProductFormPage {
    lang: Lang,
    shell: Shell,
    id: Option<u64>,
    form: ProductForm,
    lookup: Lookup,
    errs: Errors,
}

const PRODUCT_FIELDS: &[&str] = &[
    "kind",
    "name",
    "article",
    "barcodes",
    "unit",
    "plu",
    "brand",
    "category",
    "purchase_price",
    "markup",
    "price",
    "discount",
    "country",
    "expiry",
    "packages",
    "dimensions",
    "weight",
    "components",
    "recipe",
    "reorder_level",
];

fn form_page(app: &App, ui: &Ui, id: Option<u64>, input: &FormInput, lookup: Lookup, errs: Errors) -> Result<ProductFormPage> {
    require_edit(ui)?;
    Ok(ProductFormPage { lang: ui.lang, shell: Shell::load(app, ui)?, id, form: product_form(app, ui, id, input)?, lookup, errs })
}

/// Fills a new product from a barcode: refused when the company already has it, copied from
/// the shared catalogue when known there (a brand or category not yet in the company is
/// offered for creation), else only the barcode itself.
fn fill_from_barcode(tx: &ReadTx, ui: &Ui, code: &str) -> Result<(FormInput, Lookup)> {
    let lang = ui.lang;
    let company = ui.actor().company;
    let code = code.trim();
    let mut input = FormInput::default();
    let mut lookup = Lookup { code: code.to_string(), ..Lookup::default() };
    lookup.level = "error";
    if let Err(why) = barcode::classify(code) {
        lookup.message = lang.t(if why == "check_digit" { "products.barcode_check_digit" } else { "products.barcode_invalid" }).into();
        return Ok((input, lookup));
    }
    let (own, global) = query::barcode_lookup(tx, company, code)?;
    if let Some(p) = own {
        lookup.message = lang.t("products.barcode_taken").replace("{name}", &p.name);
        lookup.existing = Some((p.id.0, p.name));
        return Ok((input, lookup));
    }
    input.draft.barcodes = vec![code.to_string()];
    let Some(g) = global else {
        lookup.level = "info";
        lookup.message = lang.t("products.barcode_unknown").into();
        return Ok((input, lookup));
    };
    input.draft.name = g.name;
    input.draft.unit = g.unit.code().into();
    if !g.brand.trim().is_empty() {
        match query::brand_named(tx, company, &g.brand)? {
            Some(b) => input.draft.brand = Some(b.id),
            None => input.new_brand = g.brand,
        }
    }
    if !g.category.trim().is_empty() {
        match query::top_category_named(tx, company, &g.category)? {
            Some(x) => input.draft.category = Some(x.id),
            None => input.new_category = g.category,
        }
    }
    lookup.level = "ok";
    lookup.message = lang.t("products.barcode_filled").into();
    Ok((input, lookup))
}

pub async fn new_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_edit(&ui)?;
    let code = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("barcode");
    let (input, lookup) = if code.trim().is_empty() {
        let mut input = FormInput::default();
        input.draft.unit = Unit::Piece.code().into();
        (input, Lookup::default())
    } else {
        fill_from_barcode(&app.db.read()?, &ui, &code)?
    };
    render(StatusCode::OK, &form_page(&app, &ui, None, &input, lookup, Errors::default())?)
}

pub async fn edit_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    require_edit(&ui)?;
    let p = query::product(&app.db.read()?, ui.actor().company, ProductId(id))?;
    render(StatusCode::OK, &form_page(&app, &ui, Some(id), &input_of(&p), Lookup::default(), Errors::default())?)
}

async fn save_form(app: App, ui: Ui, id: Option<u64>, f: Fields) -> Result<Response> {
    let input = form_input(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), input.clone());
    let saved = app
        .db
        .write(move |tx| {
            let mut d = saving.draft;
            // A brand or category from the shared catalogue is created with the product, in
            // the same transaction, so a refused product leaves none behind.
            if d.brand.is_none() && !saving.new_brand.trim().is_empty() {
                d.brand = catalog::brand_named(tx, &actor, now, &saving.new_brand)?;
            }
            if d.category.is_none() && !saving.new_category.trim().is_empty() {
                d.category = catalog::category_named(tx, &actor, now, &saving.new_category)?;
            }
            catalog::save_product_shared(tx, &actor, now, id.map(ProductId), &d)
        })
        .await;
    match saved {
        Ok(p) => Ok(see_other(&format!("/products/{}?ok=product_saved", p.id.0))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, PRODUCT_FIELDS)?;
            render(status, &form_page(&app, &ui, id, &input, Lookup::default(), errs)?)
        }
    }
}

pub async fn create(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    save_form(app, ui, None, f).await
}

pub async fn save(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    save_form(app, ui, Some(id), f).await
}
