//! Receipt printers: setup, test page, queue, status; re-printing a sale and its receipt preview.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{CashBoxId, PrinterId, SaleId};
use crate::printing::{self, Printer, PrinterDraft, Transport};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

fn require_view(actor: &Actor) -> Result<()> {
    actor.require_feature("pos")?;
    if [Perm::CASHIER, Perm::CASHBOX].into_iter().any(|p| actor.can(p)) { Ok(()) } else { Err(Error::Forbidden { permission: "cashier" }) }
}

#[derive(Serialize, ToSchema)]
pub struct PrinterDto {
    pub id: u64,
    pub name: String,
    /// "tcp", "serial" or "usb".
    pub transport: String,
    /// host:port or device path.
    pub address: String,
    pub baud: Option<u32>,
    pub model: String,
    pub code_page: String,
    /// The `ESC t n` number sent for the code page.
    pub table: u8,
    /// "58" or "80" (mm).
    pub width: String,
    pub cancel_kanji: bool,
    pub cash_boxes: Vec<u64>,
    pub active: bool,
    /// ready, paper_near_end, paper_out, cover_open, offline, unknown, unreachable; null before the first job.
    pub status: Option<String>,
    pub status_detail: String,
    pub printed: u64,
    pub queued: usize,
}

fn dto(p: Printer, s: Option<printing::PrinterStatus>, queued: usize) -> PrinterDto {
    PrinterDto {
        id: p.id.0,
        name: p.name,
        transport: p.transport.kind().into(),
        address: p.transport.address(),
        baud: match p.transport {
            Transport::Serial { baud, .. } => Some(baud),
            _ => None,
        },
        model: p.profile.model.code().into(),
        code_page: p.profile.code_page.code().into(),
        table: p.profile.table,
        width: p.profile.width.code().into(),
        cancel_kanji: p.profile.cancel_kanji,
        cash_boxes: p.cash_boxes.iter().map(|b| b.0).collect(),
        active: p.active,
        status: s.as_ref().map(|s| s.health.code().to_string()),
        status_detail: s.as_ref().map(|s| s.detail.clone()).unwrap_or_default(),
        printed: s.map_or(0, |s| s.printed),
        queued,
    }
}

fn load(app: &App, actor: &Actor, id: PrinterId) -> Result<PrinterDto> {
    let tx = app.db.read()?;
    let p = printing::printer(&tx, actor.company, id)?;
    let s = printing::status(&tx, actor.company, id)?;
    let q = printing::queue(&tx, actor.company, id)?.len();
    Ok(dto(p, s, q))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrinterInput {
    pub name: String,
    /// "tcp", "serial" or "usb".
    pub transport: String,
    /// host:port (port 9100 by default) or a device path such as /dev/usb/lp0 or /dev/ttyUSB0.
    pub address: String,
    #[serde(default)]
    pub baud: Option<u32>,
    /// "epson", "xprinter" or "custom".
    pub model: String,
    /// "pc866", "wpc1251" or "kz1048".
    pub code_page: String,
    /// `ESC t n` override; default: the model's number for the code page.
    #[serde(default)]
    pub table: Option<u8>,
    /// "58" or "80".
    pub width: String,
    #[serde(default)]
    pub cancel_kanji: bool,
    #[serde(default)]
    pub cash_boxes: Vec<u64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl From<PrinterInput> for PrinterDraft {
    fn from(i: PrinterInput) -> Self {
        PrinterDraft {
            name: i.name,
            transport: i.transport,
            address: i.address,
            baud: i.baud.map(|b| b.to_string()).unwrap_or_default(),
            model: i.model,
            code_page: i.code_page,
            table: i.table.map(|t| t.to_string()).unwrap_or_default(),
            width: i.width,
            cancel_kanji: i.cancel_kanji,
            cash_boxes: i.cash_boxes.into_iter().map(CashBoxId).collect(),
            active: i.active,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/printers", tag = "printing", security(("bearer" = [])), responses((status = 200, body = Vec<PrinterDto>)))]
pub async fn list(State(app): State<App>, a: Auth) -> Result<Json<Vec<PrinterDto>>> {
    require_view(&a.actor)?;
    let tx = app.db.read()?;
    let mut out = Vec::new();
    for p in printing::printers(&tx, a.actor.company)? {
        let s = printing::status(&tx, a.actor.company, p.id)?;
        let q = printing::queue(&tx, a.actor.company, p.id)?.len();
        out.push(dto(p, s, q));
    }
    Ok(Json(out))
}

#[utoipa::path(post, path = "/api/v1/printers", tag = "printing", security(("bearer" = [])), request_body = PrinterInput,
    responses((status = 201, body = PrinterDto), (status = 422, body = Problem)))]
pub async fn create(State(app): State<App>, a: Auth, Json(i): Json<PrinterInput>) -> Result<(StatusCode, Json<PrinterDto>)> {
    Ok((StatusCode::CREATED, Json(save(app, a, None, i).await?)))
}

#[utoipa::path(get, path = "/api/v1/printers/{id}", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = PrinterDto), (status = 404, body = Problem)))]
pub async fn get(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<PrinterDto>> {
    require_view(&a.actor)?;
    Ok(Json(load(&app, &a.actor, PrinterId(id))?))
}

#[utoipa::path(put, path = "/api/v1/printers/{id}", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)), request_body = PrinterInput,
    responses((status = 200, body = PrinterDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<PrinterInput>) -> Result<Json<PrinterDto>> {
    Ok(Json(save(app, a, Some(PrinterId(id)), i).await?))
}

async fn save(app: App, a: Auth, id: Option<PrinterId>, i: PrinterInput) -> Result<PrinterDto> {
    let now = app.now();
    let d = PrinterDraft::from(i);
    let allowed = app.config.printer_paths.clone();
    let actor = a.actor.clone();
    let id = app.db.write(move |tx| printing::save_printer(tx, &actor, now, id, &d, &allowed)).await?;
    load(&app, &a.actor, id)
}

#[derive(Serialize, ToSchema)]
pub struct QueuedDto {
    pub id: u64,
    pub title: String,
    pub created: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub bytes: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Queued {
    /// Jobs queued (test page, re-print: one per printer).
    pub jobs: usize,
}

#[utoipa::path(post, path = "/api/v1/printers/{id}/test", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 202, body = Queued), (status = 404, body = Problem)))]
pub async fn test(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<(StatusCode, Json<Queued>)> {
    let now = app.now();
    app.db.write(move |tx| printing::test_print(tx, &a.actor, now, PrinterId(id))).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { jobs: 1 })))
}

#[utoipa::path(get, path = "/api/v1/printers/{id}/queue", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<QueuedDto>), (status = 404, body = Problem)))]
pub async fn queue(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<QueuedDto>>> {
    require_view(&a.actor)?;
    let tx = app.db.read()?;
    printing::printer(&tx, a.actor.company, PrinterId(id))?;
    let q = printing::queue(&tx, a.actor.company, PrinterId(id))?;
    Ok(Json(
        q.into_iter()
            .map(|j| QueuedDto {
                id: j.id,
                title: j.title,
                created: j.created.rfc3339(),
                attempts: j.attempts,
                last_error: j.last_error,
                bytes: j.bytes,
            })
            .collect(),
    ))
}

#[utoipa::path(delete, path = "/api/v1/printers/{id}/queue", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Queued), (status = 404, body = Problem)))]
pub async fn clear_queue(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Queued>> {
    let now = app.now();
    let jobs = app.db.write(move |tx| printing::clear_queue(tx, &a.actor, now, PrinterId(id))).await?;
    Ok(Json(Queued { jobs }))
}

#[utoipa::path(post, path = "/api/v1/sales/{id}/reprint", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 202, body = Queued), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn reprint(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<(StatusCode, Json<Queued>)> {
    let now = app.now();
    let jobs = app.db.write(move |tx| printing::reprint(tx, &a.actor, now, SaleId(id))).await?;
    Ok((StatusCode::ACCEPTED, Json(Queued { jobs })))
}

#[derive(Serialize, ToSchema)]
pub struct PreviewLine {
    /// "text", "qr" or "feed".
    pub kind: String,
    pub text: String,
    /// "left", "center" or "right".
    pub align: String,
    pub bold: bool,
    pub big: bool,
}

#[utoipa::path(get, path = "/api/v1/sales/{id}/receipt", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<PreviewLine>), (status = 404, body = Problem)))]
pub async fn receipt(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<PreviewLine>>> {
    require_view(&a.actor)?;
    let lines = printing::query::preview_lines(&app.db.read()?, &a.actor, SaleId(id))?;
    Ok(Json(
        lines
            .into_iter()
            .map(|l| PreviewLine { kind: l.kind.into(), text: l.text, align: l.align.into(), bold: l.bold, big: l.big })
            .collect(),
    ))
}

#[utoipa::path(get, path = "/api/v1/sales/{id}/receipt.png", tag = "printing", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, content_type = "image/png", body = Vec<u8>), (status = 404, body = Problem)))]
pub async fn receipt_png(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<axum::response::Response> {
    require_view(&a.actor)?;
    let png = printing::preview_png(&app.db.read()?, &a.actor, SaleId(id))?;
    Ok(png_response(png))
}

pub fn png_response(png: Vec<u8>) -> axum::response::Response {
    use axum::response::IntoResponse;
    ([(axum::http::header::CONTENT_TYPE, "image/png"), (axum::http::header::CACHE_CONTROL, "private, no-store")], png).into_response()
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(reprint))
        .routes(routes!(receipt))
        .routes(routes!(receipt_png))
        .routes(routes!(list, create))
        .routes(routes!(get, put))
        .routes(routes!(test))
        .routes(routes!(queue, clear_queue))
}
