//! Instant product search for the till and the catalog: `GET /api/v1/products/search`. The
//! company comes from `Auth`, so a company only ever searches its own index.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::auth::actor::Actor;
use crate::catalog::model::Product;
use crate::catalog::query::require_read as require_catalog_read;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Query};
use crate::http::problem::Problem;
use crate::search::Filters;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

const DEFAULT_LIMIT: usize = 20;
const MAX_LIMIT: usize = 100;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// What was typed or scanned: words of the name (typos and unfinished words are fine), or
    /// an exact barcode, PLU, internal code or article.
    #[serde(default)]
    pub q: String,
    /// At most this many products (default 20, at most 100).
    pub limit: Option<usize>,
    /// Include archived products (default false).
    #[serde(default)]
    pub include_archived: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ProductHitDto {
    pub id: u64,
    pub name: String,
    /// Internal code ("0001").
    pub code: String,
    pub barcodes: Vec<String>,
    /// Sale price, a decimal as a string.
    pub price: String,
    /// pcs, kg, g, l, m or pack.
    pub unit: String,
}

#[utoipa::path(get, path = "/api/v1/products/search", tag = "products", security(("bearer" = [])), params(SearchQuery),
    responses((status = 200, body = Vec<ProductHitDto>), (status = 403, body = Problem)))]
pub async fn search_products(State(app): State<App>, a: Auth, Query(q): Query<SearchQuery>) -> Result<Json<Vec<ProductHitDto>>> {
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let filters = Filters { include_archived: q.include_archived, ..Filters::default() };
    let hits = search(&app, &a.actor, q.q, filters, limit).await?;
    Ok(Json(
        hits.into_iter()
            .map(|p| ProductHitDto {
                id: p.id.0,
                name: p.name,
                code: p.code,
                barcodes: p.barcodes,
                price: p.price.to_string(),
                unit: p.unit.code().to_string(),
            })
            .collect(),
    ))
}

/// The products matching `text`, best first, as stored now (`Search::products` re-reads the
/// hits, since the index may lag a moment behind the data file). Off the runtime: the index
/// reads files. The till's page still calls this one.
pub async fn search(app: &App, actor: &Actor, text: String, filters: Filters, limit: usize) -> Result<Vec<Product>> {
    require_catalog_read(actor)?;
    let (app, company) = (app.clone(), actor.company);
    tokio::task::spawn_blocking(move || Ok::<_, Error>(app.search.products(&app.db, company, &text, &filters, limit)?))
        .await
        .map_err(|e| Error::Internal(format!("search task: {e}")))?
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(search_products))
}
