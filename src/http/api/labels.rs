//! Labels: a printer's label setup (TSPL or ESC/POS, size, dpi, text mode), shelf labels of a
//! selection or of everything whose price changed since its last label, weighed-goods labels.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{PrinterId, ProductId};
use crate::printing::labels::{self, LabelSetup, SetupDraft, WeighedDraft};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct LabelSetupDto {
    pub printer: u64,
    pub name: String,
    /// "tspl" or "escpos".
    pub language: String,
    /// "58x40" (mm).
    pub size: String,
    pub gap: u32,
    pub dpi: u32,
    /// "codepage" or "bitmap".
    pub text: String,
}

fn dto(printer: u64, name: String, s: &LabelSetup) -> LabelSetupDto {
    LabelSetupDto {
        printer,
        name,
        language: s.language.code().into(),
        size: format!("{}x{}", s.width_mm, s.height_mm),
        gap: s.gap_mm,
        dpi: s.dpi,
        text: s.text.code().into(),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LabelSetupInput {
    /// "tspl" or "escpos".
    pub language: String,
    /// "58x40" (mm).
    pub size: String,
    #[serde(default)]
    pub gap: Option<u32>,
    #[serde(default)]
    pub dpi: Option<u32>,
    /// "codepage" or "bitmap" (default).
    #[serde(default)]
    pub text: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/label-printers", tag = "labels", security(("bearer" = [])), responses((status = 200, body = Vec<LabelSetupDto>)))]
pub async fn list(State(app): State<App>, a: Auth) -> Result<Json<Vec<LabelSetupDto>>> {
    let printers = labels::label_printers(&app.db.read()?, &a.actor)?;
    Ok(Json(printers.into_iter().map(|(p, s)| dto(p.id.0, p.name, &s)).collect()))
}

#[utoipa::path(put, path = "/api/v1/printers/{id}/label", tag = "labels", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = LabelSetupInput, responses((status = 200, body = LabelSetupDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<LabelSetupInput>) -> Result<Json<LabelSetupDto>> {
    let now = app.now();
    let d = SetupDraft {
        language: i.language,
        size: i.size,
        gap: i.gap.map(|g| g.to_string()).unwrap_or_default(),
        dpi: i.dpi.map(|g| g.to_string()).unwrap_or_default(),
        text: i.text.unwrap_or_default(),
    };
    let actor = a.actor.clone();
    let s = app.db.write(move |tx| labels::set_setup(tx, &actor, now, PrinterId(id), &d)).await?;
    let name = crate::printing::printer(&app.db.read()?, a.actor.company, PrinterId(id))?.name;
    Ok(Json(dto(id, name, &s)))
}

#[utoipa::path(delete, path = "/api/v1/printers/{id}/label", tag = "labels", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| labels::clear_setup(tx, &a.actor, now, PrinterId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShelfInput {
    /// The products to label, in print order; omitted or empty with `changed: true` = every
    /// product whose price changed since its last label.
    #[serde(default)]
    pub products: Vec<u64>,
    #[serde(default)]
    pub changed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct PrintedDto {
    /// Labels queued.
    pub labels: usize,
    /// The weight barcode a weighed label carries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub barcode: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/printers/{id}/labels/shelf", tag = "labels", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = ShelfInput, responses((status = 202, body = PrintedDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn shelf(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<ShelfInput>,
) -> Result<(StatusCode, Json<PrintedDto>)> {
    let now = app.now();
    let ids: Vec<ProductId> = i.products.into_iter().map(ProductId).collect();
    let n = app
        .db
        .write(move |tx| {
            if i.changed && ids.is_empty() {
                labels::print_changed(tx, &a.actor, now, PrinterId(id))
            } else {
                labels::print_shelf(tx, &a.actor, now, PrinterId(id), &ids)
            }
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(PrintedDto { labels: n, barcode: None })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeighedInput {
    pub product: u64,
    /// Kilograms, e.g. "1.234".
    pub weight: String,
    /// Days from today to the expiry date; omitted = the product's own expiry date.
    #[serde(default)]
    pub shelf_life_days: Option<u32>,
    #[serde(default)]
    pub copies: Option<u32>,
}

#[utoipa::path(post, path = "/api/v1/printers/{id}/labels/weighed", tag = "labels", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = WeighedInput, responses((status = 202, body = PrintedDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn weighed(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<WeighedInput>,
) -> Result<(StatusCode, Json<PrintedDto>)> {
    let now = app.now();
    let copies = i.copies.unwrap_or(1) as usize;
    let d = WeighedDraft {
        product: i.product,
        weight: i.weight,
        shelf_life_days: i.shelf_life_days.map(|n| n.to_string()).unwrap_or_default(),
        copies: copies.to_string(),
    };
    let code = app.db.write(move |tx| labels::print_weighed(tx, &a.actor, now, PrinterId(id), &d)).await?;
    Ok((StatusCode::ACCEPTED, Json(PrintedDto { labels: copies, barcode: Some(code) })))
}

#[derive(Serialize, ToSchema)]
pub struct ChangedDto {
    pub product: u64,
    pub name: String,
    pub price: String,
    /// The price its last label showed; null when it never had one.
    pub printed_price: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/labels/changed", tag = "labels", security(("bearer" = [])), responses((status = 200, body = Vec<ChangedDto>)))]
pub async fn changed(State(app): State<App>, a: Auth) -> Result<Json<Vec<ChangedDto>>> {
    let rows = labels::changed_for(&app.db.read()?, &a.actor, labels::MAX_LABELS)?;
    Ok(Json(
        rows.into_iter()
            .map(|(p, last)| ChangedDto {
                product: p.id.0,
                name: p.name,
                price: p.price.to_string(),
                printed_price: last.map(|d| d.to_string()),
            })
            .collect(),
    ))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(put, delete))
        .routes(routes!(shelf))
        .routes(routes!(weighed))
        .routes(routes!(changed))
}
