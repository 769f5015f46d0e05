//! Product images: list, upload (raw body), delete, move, and the JPEG sizes with ETags.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use super::limited;
use crate::app::App;
use crate::catalog::images::{self, ImageMeta};
use crate::catalog::query::{self, require_read as require_catalog_read};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{ImageId, ProductId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct ImageSizeDto {
    /// Longest side tag: 96, 320 or 1024.
    pub size: u32,
    pub width: u32,
    pub height: u32,
    pub bytes: u32,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImageDto {
    pub id: u64,
    pub product: u64,
    /// 0 is the main image.
    pub order: u32,
    /// Content hash; the ETag of every size.
    pub hash: String,
    pub width: u32,
    pub height: u32,
    pub sizes: Vec<ImageSizeDto>,
}

impl From<&ImageMeta> for ImageDto {
    fn from(m: &ImageMeta) -> Self {
        ImageDto {
            id: m.id.0,
            product: m.product.0,
            order: m.order,
            hash: m.hash.clone(),
            width: m.width,
            height: m.height,
            sizes: m
                .sizes
                .iter()
                .map(|&(size, width, height, bytes)| ImageSizeDto {
                    size,
                    width,
                    height,
                    bytes,
                    url: format!("/api/v1/products/{}/images/{}/{size}.jpg", m.product, m.id),
                })
                .collect(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageMoveInput {
    /// New position, 0 = main image.
    pub position: u32,
}

#[utoipa::path(get, path = "/api/v1/products/{id}/images", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<ImageDto>), (status = 404, body = Problem)))]
pub async fn list(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<ImageDto>>> {
    require_catalog_read(&a.actor)?;
    let tx = app.db.read()?;
    query::product(&tx, a.actor.company, ProductId(id))?;
    Ok(Json(images::images(&tx, a.actor.company, ProductId(id))?.iter().map(ImageDto::from).collect()))
}

/// Uploads an image (JPEG, PNG or WebP as the raw body; at most `image_limit_kb`). It is stored
/// as JPEGs of 96, 320 and 1024 px (longest side) in the data file.
#[utoipa::path(post, path = "/api/v1/products/{id}/images", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 201, body = ImageDto), (status = 404, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn upload(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    req: axum::extract::Request,
) -> Result<(StatusCode, Json<ImageDto>)> {
    let product = ProductId(id);
    // The right and the product are checked before the body is read.
    images::may_add(&app.db.read()?, &a.actor, product)?;
    let (parts, body) = req.into_parts();
    let limit = app.config.image_limit_kb * 1024;
    let bytes = crate::http::extract::read_body(&parts.headers, body, limit).await?.to_vec();
    // Decoded and resized off the runtime, then stored in one write.
    let prepared = app.heavy(crate::app::Heavy::Image, move || images::prepare_image(&bytes, limit)).await?;
    let (now, actor) = (app.now(), a.actor.clone());
    let image = app.db.write(move |tx| images::add_image(tx, &actor, now, product, prepared)).await?;
    let meta = images::image(&app.db.read()?, a.actor.company, product, image)?;
    Ok((StatusCode::CREATED, Json(ImageDto::from(&meta))))
}

#[utoipa::path(delete, path = "/api/v1/products/{id}/images/{image}", tag = "catalog", security(("bearer" = [])),
    params(("id" = u64, Path), ("image" = u64, Path)), responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path((id, image)): Path<(u64, u64)>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| images::remove_image(tx, &a.actor, now, ProductId(id), ImageId(image))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/products/{id}/images/{image}/move", tag = "catalog", security(("bearer" = [])),
    params(("id" = u64, Path), ("image" = u64, Path)), request_body = ImageMoveInput, responses((status = 204), (status = 404, body = Problem)))]
pub async fn move_to(
    State(app): State<App>,
    a: Auth,
    Path((id, image)): Path<(u64, u64)>,
    Json(body): Json<ImageMoveInput>,
) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| images::move_image(tx, &a.actor, now, ProductId(id), ImageId(image), body.position)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One size as JPEG. The ETag is the content hash; `If-None-Match` with it answers 304.
#[utoipa::path(get, path = "/api/v1/products/{id}/images/{image}/{size}", tag = "catalog", security(("bearer" = [])),
    params(("id" = u64, Path), ("image" = u64, Path), ("size" = String, Path, description = "96.jpg, 320.jpg or 1024.jpg")),
    responses((status = 200, description = "image/jpeg"), (status = 304), (status = 404, body = Problem)))]
pub async fn bytes(
    State(app): State<App>,
    a: Auth,
    Path((id, image, size)): Path<(u64, u64, String)>,
    headers: HeaderMap,
) -> Result<Response> {
    require_catalog_read(&a.actor)?;
    let size: u32 = size.strip_suffix(".jpg").and_then(|s| s.parse().ok()).ok_or(Error::NotFound)?;
    let (meta, jpeg) =
        images::image_bytes(&app.db.read()?, a.actor.company, ProductId(id), ImageId(image), size)?.ok_or(Error::NotFound)?;
    let etag = format!("\"{}-{size}\"", meta.hash);
    let cache = (header::CACHE_CONTROL, "private, max-age=86400".to_string());
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag), cache]).into_response());
    }
    Ok(([(header::CONTENT_TYPE, "image/jpeg".to_string()), (header::ETAG, etag), cache], jpeg).into_response())
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(limited(routes!(list, upload), limits.image))
        .routes(routes!(delete))
        .routes(routes!(move_to))
        .routes(routes!(bytes))
}
