//! Instant product search for the till and the catalog: `GET /api/v1/products/search`. The
//! company comes from `Auth`, so a company only ever searches its own index.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::error::Result;
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
    let hits = crate::http::shared::search_products(&app, &a.actor, q.q, filters, limit).await?;
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

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(search_products))
}
