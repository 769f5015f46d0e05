//! Products, categories, brands and the shared barcode catalogue.

use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::catalog::model::{Kind, Product};
use crate::catalog::query::{self, ListFilter, can_see_costs, require_read as require_catalog_read};
use crate::catalog::{self, ProductDraft};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{BrandId, CategoryId, ProductId};
use crate::inventory;
use crate::tenancy::actor::Actor;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackageDto {
    pub name: String,
    /// Decimal string
    pub qty: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentDto {
    pub product: u64,
    /// Decimal string
    pub qty: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProductDto {
    pub id: u64,
    /// goods, service or bundle
    pub kind: String,
    pub name: String,
    pub article: String,
    pub code: String,
    pub barcodes: Vec<String>,
    /// pcs, kg, g, l, m, pack
    pub unit: String,
    pub weighed: bool,
    pub plu: Option<u32>,
    pub brand: Option<u64>,
    pub category: Option<u64>,
    pub purchase_price: String,
    pub markup: String,
    pub price: String,
    pub discount: String,
    pub country: String,
    pub expiry: String,
    pub packages: Vec<PackageDto>,
    pub dimensions: String,
    pub weight: String,
    pub components: Vec<ComponentDto>,
    pub recipe: Vec<ComponentDto>,
    pub reorder_level: String,
    pub archived: bool,
}

impl ProductDto {
    /// The product as `actor` may see it: purchase price and markup empty without
    /// `can_see_costs`.
    pub fn seen_by(p: &Product, actor: &Actor) -> ProductDto {
        let mut dto = ProductDto::from(p);
        if !can_see_costs(actor) {
            dto.purchase_price = String::new();
            dto.markup = String::new();
        }
        dto
    }
}

impl From<&Product> for ProductDto {
    fn from(p: &Product) -> Self {
        let comps = |list: &[crate::catalog::model::Component]| {
            list.iter().map(|c| ComponentDto { product: c.product.0, qty: c.qty.to_string() }).collect()
        };
        ProductDto {
            id: p.id.0,
            kind: p.kind.code().into(),
            name: p.name.clone(),
            article: p.article.clone(),
            code: p.code.clone(),
            barcodes: p.barcodes.clone(),
            unit: p.unit.code().into(),
            weighed: p.weighed,
            plu: p.plu,
            brand: p.brand.map(|b| b.0),
            category: p.category.map(|c| c.0),
            purchase_price: p.purchase_price.to_string(),
            markup: p.markup.to_string(),
            price: p.price.to_string(),
            discount: p.discount.to_string(),
            country: p.country.clone(),
            expiry: p.expiry.clone(),
            packages: p.packages.iter().map(|k| PackageDto { name: k.name.clone(), qty: k.qty.to_string() }).collect(),
            dimensions: p.characteristics.dimensions.clone(),
            weight: p.characteristics.weight.clone(),
            components: comps(&p.components),
            recipe: comps(&p.recipe),
            reorder_level: p.reorder_level.to_string(),
            archived: p.archived,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ProductInput {
    pub kind: String,
    pub name: String,
    pub article: String,
    pub barcodes: Vec<String>,
    pub unit: String,
    pub weighed: bool,
    /// Empty = automatic for weighed goods.
    pub plu: String,
    pub brand: Option<u64>,
    pub category: Option<u64>,
    pub purchase_price: String,
    /// Percent; when non-zero the price is purchase × (1 + markup/100), rounded half-up.
    pub markup: String,
    pub price: String,
    pub discount: String,
    pub country: String,
    /// YYYY-MM-DD
    pub expiry: String,
    pub packages: Vec<PackageDto>,
    pub dimensions: String,
    pub weight: String,
    pub components: Vec<ComponentDto>,
    pub recipe: Vec<ComponentDto>,
    pub reorder_level: String,
}

/// The wire shape is the form's draft field by field (the form builds the same draft from its
/// fields); only ids and the default unit are filled in here.
impl From<ProductInput> for ProductDraft {
    fn from(i: ProductInput) -> ProductDraft {
        ProductDraft {
            kind: i.kind,
            name: i.name,
            article: i.article,
            barcodes: i.barcodes,
            unit: if i.unit.is_empty() { "pcs".into() } else { i.unit },
            weighed: i.weighed,
            plu: i.plu,
            brand: i.brand.map(BrandId),
            category: i.category.map(CategoryId),
            purchase_price: i.purchase_price,
            markup: i.markup,
            price: i.price,
            discount: i.discount,
            country: i.country,
            expiry: i.expiry,
            packages: i.packages.into_iter().map(|p| (p.name, p.qty)).collect(),
            dimensions: i.dimensions,
            weight: i.weight,
            components: i.components.into_iter().map(|c| (ProductId(c.product), c.qty)).collect(),
            recipe: i.recipe.into_iter().map(|c| (ProductId(c.product), c.qty)).collect(),
            reorder_level: i.reorder_level,
        }
    }
}

async fn save(app: &App, a: Auth, id: Option<ProductId>, input: ProductInput) -> Result<ProductDto> {
    let (now, draft) = (app.now(), ProductDraft::from(input));
    let p = app.db.write(move |tx| catalog::save_product_shared(tx, &a.actor, now, id, &draft)).await?;
    Ok(ProductDto::from(&p))
}

#[utoipa::path(post, path = "/api/v1/products", tag = "catalog", security(("bearer" = [])), request_body = ProductInput,
    responses((status = 201, body = ProductDto), (status = 422, body = Problem)))]
pub async fn create_product(State(app): State<App>, a: Auth, Json(input): Json<ProductInput>) -> Result<(StatusCode, Json<ProductDto>)> {
    Ok((StatusCode::CREATED, Json(save(&app, a, None, input).await?)))
}

#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)), request_body = ProductInput,
    responses((status = 200, body = ProductDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_product(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(input): Json<ProductInput>,
) -> Result<Json<ProductDto>> {
    Ok(Json(save(&app, a, Some(ProductId(id)), input).await?))
}

#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ProductDto), (status = 404, body = Problem)))]
pub async fn get_product(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ProductDto>> {
    require_catalog_read(&a.actor)?;
    let p = query::product(&app.db.read()?, a.actor.company, ProductId(id))?;
    Ok(Json(ProductDto::seen_by(&p, &a.actor)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProductQuery {
    pub category: Option<u64>,
    pub brand: Option<u64>,
    /// goods, service or bundle
    pub kind: Option<String>,
    pub archived: Option<bool>,
    /// Page cursor: products with a larger id.
    pub after: Option<u64>,
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct ProductPage {
    pub items: Vec<ProductDto>,
    pub next_after: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", security(("bearer" = [])), params(ProductQuery),
    responses((status = 200, body = ProductPage)))]
pub async fn list_products(State(app): State<App>, a: Auth, Query(q): Query<ProductQuery>) -> Result<Json<ProductPage>> {
    require_catalog_read(&a.actor)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let kind = match q.kind.as_deref() {
        Some(k) => Some(
            Kind::parse(k).ok_or_else(|| Error::field("kind", "kind", "Тип: goods, service, bundle", "Kind: goods, service, bundle"))?,
        ),
        None => None,
    };
    let filter =
        ListFilter { category: q.category.map(CategoryId), brand: q.brand.map(BrandId), kind, archived: q.archived.unwrap_or(false) };
    let (items, next_after) = query::list_page(&app.db.read()?, a.actor.company, &filter, q.after, limit)?;
    Ok(Json(ProductPage { items: items.iter().map(|p| ProductDto::seen_by(p, &a.actor)).collect(), next_after }))
}

#[utoipa::path(post, path = "/api/v1/products/{id}/archive", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn archive_product(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| catalog::set_archived(tx, &a.actor, now, ProductId(id), true)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/products/{id}/restore", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn restore_product(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| catalog::set_archived(tx, &a.actor, now, ProductId(id), false)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a product that never moved; one with stock movements is refused (archive it).
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_product(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| inventory::delete_product(tx, &a.actor, now, ProductId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct BarcodeLookup {
    /// The company's own product with this barcode (or PLU of a weighed label).
    pub product: Option<ProductDto>,
    /// What the shared catalogue knows of it, when the company has no such product.
    pub global: Option<GlobalDto>,
}

#[derive(Serialize, ToSchema)]
pub struct GlobalDto {
    pub name: String,
    pub brand: String,
    pub category: String,
    pub unit: String,
}

#[utoipa::path(get, path = "/api/v1/barcodes/{code}", tag = "catalog", security(("bearer" = [])), params(("code" = String, Path)),
    responses((status = 200, body = BarcodeLookup)))]
pub async fn lookup_barcode(State(app): State<App>, a: Auth, Path(code): Path<String>) -> Result<Json<BarcodeLookup>> {
    require_catalog_read(&a.actor)?;
    let (product, global) = query::barcode_lookup(&app.db.read()?, a.actor.company, &code)?;
    let global = global.map(|g| GlobalDto { name: g.name, brand: g.brand, category: g.category, unit: g.unit.code().into() });
    Ok(Json(BarcodeLookup { product: product.as_ref().map(|p| ProductDto::seen_by(p, &a.actor)), global }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ByBarcodeInput {
    pub barcode: String,
    #[serde(default)]
    pub price: String,
}

/// Creates a product from the shared barcode catalogue (name, brand, category, unit).
#[utoipa::path(post, path = "/api/v1/products/by-barcode", tag = "catalog", security(("bearer" = [])), request_body = ByBarcodeInput,
    responses((status = 201, body = ProductDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_by_barcode(State(app): State<App>, a: Auth, Json(i): Json<ByBarcodeInput>) -> Result<(StatusCode, Json<ProductDto>)> {
    let (now, company) = (app.now(), a.actor.company);
    let p = app
        .db
        .write(move |tx| {
            let id = catalog::create_by_barcode(tx, &a.actor, now, &i.barcode, &i.price)?;
            query::product(tx, company, id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(ProductDto::from(&p))))
}

#[derive(Serialize, ToSchema)]
pub struct NamedDto {
    pub id: u64,
    pub name: String,
    pub parent: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NamedInput {
    pub name: String,
    #[serde(default)]
    pub parent: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", security(("bearer" = [])), responses((status = 200, body = Vec<NamedDto>)))]
pub async fn list_categories(State(app): State<App>, a: Auth) -> Result<Json<Vec<NamedDto>>> {
    require_catalog_read(&a.actor)?;
    let rows = query::categories(&app.db.read()?, a.actor.company)?;
    Ok(Json(rows.into_iter().map(|x| NamedDto { id: x.id.0, name: x.name, parent: x.parent.map(|p| p.0) }).collect()))
}

#[utoipa::path(post, path = "/api/v1/categories", tag = "catalog", security(("bearer" = [])), request_body = NamedInput,
    responses((status = 201, body = NamedDto), (status = 422, body = Problem)))]
pub async fn create_category(State(app): State<App>, a: Auth, Json(i): Json<NamedInput>) -> Result<(StatusCode, Json<NamedDto>)> {
    Ok((StatusCode::CREATED, Json(save_category(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/categories/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)), request_body = NamedInput,
    responses((status = 200, body = NamedDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_category(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<NamedInput>) -> Result<Json<NamedDto>> {
    Ok(Json(save_category(app, a, Some(CategoryId(id)), i).await?))
}

async fn save_category(app: App, a: Auth, id: Option<CategoryId>, i: NamedInput) -> Result<NamedDto> {
    let now = app.now();
    let parent = i.parent.map(CategoryId);
    let name = i.name.clone();
    let id = app.db.write(move |tx| catalog::save_category(tx, &a.actor, now, id, &i.name, parent)).await?;
    Ok(NamedDto { id: id.0, name: name.trim().to_string(), parent: parent.map(|p| p.0) })
}

#[utoipa::path(get, path = "/api/v1/brands", tag = "catalog", security(("bearer" = [])), responses((status = 200, body = Vec<NamedDto>)))]
pub async fn list_brands(State(app): State<App>, a: Auth) -> Result<Json<Vec<NamedDto>>> {
    require_catalog_read(&a.actor)?;
    let rows = query::brands(&app.db.read()?, a.actor.company)?;
    Ok(Json(rows.into_iter().map(|x| NamedDto { id: x.id.0, name: x.name, parent: None }).collect()))
}

#[utoipa::path(post, path = "/api/v1/brands", tag = "catalog", security(("bearer" = [])), request_body = NamedInput,
    responses((status = 201, body = NamedDto), (status = 422, body = Problem)))]
pub async fn create_brand(State(app): State<App>, a: Auth, Json(i): Json<NamedInput>) -> Result<(StatusCode, Json<NamedDto>)> {
    let now = app.now();
    let name = i.name.trim().to_string();
    let id = app.db.write(move |tx| catalog::save_brand(tx, &a.actor, now, None, &i.name)).await?;
    Ok((StatusCode::CREATED, Json(NamedDto { id: id.0, name, parent: None })))
}

#[utoipa::path(put, path = "/api/v1/brands/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)), request_body = NamedInput,
    responses((status = 200, body = NamedDto), (status = 404, body = Problem)))]
pub async fn put_brand(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<NamedInput>) -> Result<Json<NamedDto>> {
    let now = app.now();
    let name = i.name.trim().to_string();
    let id = app.db.write(move |tx| catalog::save_brand(tx, &a.actor, now, Some(BrandId(id)), &i.name)).await?;
    Ok(Json(NamedDto { id: id.0, name, parent: None }))
}

/// Decimal fields on the wire are strings; helpers for the stock DTOs.
pub fn dec(d: Decimal) -> String {
    d.to_string()
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_products, create_product))
        .routes(routes!(create_by_barcode))
        .routes(routes!(get_product, put_product, delete_product))
        .routes(routes!(archive_product))
        .routes(routes!(restore_product))
        .routes(routes!(lookup_barcode))
        .routes(routes!(list_categories, create_category))
        .routes(routes!(put_category))
        .routes(routes!(list_brands, create_brand))
        .routes(routes!(put_brand))
}
