//! Product import (upload → preview → confirm → progress) and export of the product list.

use axum::extract::Request;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use super::limited;
use crate::app::App;
use crate::catalog::query::{can_see_costs, require_read as require_catalog_read};
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::i18n::Lang;
use crate::ids::{BrandId, CategoryId, ImportId};
use crate::tenancy::perms::Perm;
use crate::transfer::{self, export, model::Import, model::ImportRow, model::Kind};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Serialize, ToSchema)]
pub struct ImportDto {
    pub id: u64,
    pub file_name: String,
    /// What was detected, e.g. "CSV, Windows-1251, «;»" or "XLSX".
    pub format: String,
    /// products, sims or subscribers
    pub kind: String,
    /// preview, applying, done or failed
    pub state: String,
    /// Recognised columns: the file's header text.
    pub columns: Vec<String>,
    /// Headers that were not recognised (ignored).
    pub unknown_columns: Vec<String>,
    pub rows: u32,
    /// Preview counts: rows that create a product, update one, or have problems.
    pub new: u32,
    pub updates: u32,
    pub errors: u32,
    pub skip_invalid: bool,
    /// Rows applied so far (progress = applied / rows).
    pub applied: u32,
    pub created_count: u32,
    pub updated_count: u32,
    pub failed_count: u32,
    pub failure: Option<String>,
}

impl ImportDto {
    fn of(i: &Import, kind: Kind) -> Self {
        ImportDto {
            kind: kind.code().into(),
            id: i.id.0,
            file_name: i.file_name.clone(),
            format: i.format.clone(),
            state: i.state.code().into(),
            columns: i.columns.iter().map(|(_, n)| n.clone()).collect(),
            unknown_columns: i.unknown_columns.clone(),
            rows: i.rows,
            new: i.new,
            updates: i.updates,
            errors: i.errors,
            skip_invalid: i.skip_invalid,
            applied: i.next_row,
            created_count: i.created_count,
            updated_count: i.updated_count,
            failed_count: i.failed_count,
            failure: i.failure.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RowErrorDto {
    /// The file's header of the column at fault; empty for the row as a whole.
    pub column: String,
    pub code: String,
    /// In the caller's language.
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct ImportRowDto {
    /// Row number as the spreadsheet shows it (the header is row 1).
    pub line: u32,
    /// The existing product this row updates.
    pub target: Option<u64>,
    pub applied: Option<u64>,
    pub cells: Vec<(String, String)>,
    pub errors: Vec<RowErrorDto>,
}

fn row_dto(i: &Import, r: &ImportRow, lang: Lang) -> ImportRowDto {
    let name = |c| i.columns.iter().find(|(x, _)| *x == c).map(|(_, n)| n.clone()).unwrap_or_default();
    ImportRowDto {
        line: r.line,
        target: r.target.map(|t| t.0),
        applied: r.applied.map(|t| t.0),
        cells: r.cells.iter().map(|(c, v)| (name(*c), v.clone())).collect(),
        errors: r
            .errors
            .iter()
            .map(|e| RowErrorDto { column: e.column.clone(), code: e.code.clone(), message: e.message(lang).to_string() })
            .collect(),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name, shown in the list (optional).
    pub file_name: Option<String>,
    /// products (default), sims (a SIM delivery: `iccid, imsi, msisdn, puk, tariff`; the
    /// bulk SIM right), subscribers (individuals; the telecom customers right), clients, or
    /// contacts (people at clients: `client, name, role, phone, e-mail`; written at confirm)
    pub kind: Option<String>,
}

/// Uploads a file (the raw bytes as the body: CSV in UTF-8 or Windows-1251 with `;`, `,` or
/// tab, or XLSX/XLS/ODS) and returns its preview. Nothing is written to the catalog until
/// `confirm`. Rows with problems are listed by `GET /api/v1/imports/{id}/rows?errors_only=true`.
#[utoipa::path(post, path = "/api/v1/imports", tag = "catalog", security(("bearer" = [])), params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ImportDto), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn upload(State(app): State<App>, a: Auth, Query(q): Query<UploadQuery>, req: Request) -> Result<(StatusCode, Json<ImportDto>)> {
    // The kind's right is checked before a byte of the file is read.
    let kind = match q.kind.as_deref() {
        None | Some("") => Kind::Products,
        Some(k) => Kind::parse(k).ok_or_else(|| {
            crate::error::Error::field(
                "kind",
                "kind",
                "Вид импорта: products, sims, subscribers, clients или contacts",
                "Import kind: products, sims, subscribers, clients or contacts",
            )
        })?,
    };
    kind.require(&a.actor)?;
    a.actor.require_writable()?;
    let (parts, body) = req.into_parts();
    let bytes = crate::http::extract::read_body(&parts.headers, body, app.config.import_limit_kb * 1024).await?.to_vec();
    // The file is read off the runtime, within the spreadsheet slots; only its preview is written.
    let limits = transfer::read::Limits { unpacked_bytes: app.config.import_unpacked_mb << 20, ..transfer::read::LIMITS };
    let sheet = app.heavy(crate::app::Heavy::Sheet, move || transfer::read_file(&bytes, &limits)).await?;
    let (now, actor, file_name) = (app.now(), a.actor, q.file_name.unwrap_or_default());
    let import = app.db.write(move |tx| transfer::preview_kind(tx, &actor, now, kind, &file_name, &sheet)).await?;
    Ok((StatusCode::CREATED, Json(ImportDto::of(&import, kind))))
}

/// Reading imports: the right to import one kind at least (products' right first, so a
/// caller with none is refused as before).
fn require_import(a: &Auth) -> Result<()> {
    if Kind::ALL.iter().any(|k| k.allowed(&a.actor)) { Ok(()) } else { a.actor.require(Perm::PRODUCTS) }
}

/// An import of a kind the caller may not import is as missing as another company's.
fn visible(tx: &impl crate::storage::Read, a: &Auth, id: ImportId) -> Result<(Import, Kind)> {
    let import = transfer::import(tx, a.actor.company, id)?;
    let kind = transfer::kind(tx, a.actor.company, id)?;
    if !kind.allowed(&a.actor) {
        return Err(crate::error::Error::NotFound);
    }
    Ok((import, kind))
}

#[utoipa::path(get, path = "/api/v1/imports", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, body = Vec<ImportDto>)))]
pub async fn list(State(app): State<App>, a: Auth) -> Result<Json<Vec<ImportDto>>> {
    require_import(&a)?;
    let tx = app.db.read()?;
    let mut out = Vec::new();
    for i in transfer::imports(&tx, a.actor.company, 200)? {
        let kind = transfer::kind(&tx, a.actor.company, i.id)?;
        if kind.allowed(&a.actor) && out.len() < 50 {
            out.push(ImportDto::of(&i, kind));
        }
    }
    Ok(Json(out))
}

#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ImportDto), (status = 404, body = Problem)))]
pub async fn get(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ImportDto>> {
    require_import(&a)?;
    let (import, kind) = visible(&app.db.read()?, &a, ImportId(id))?;
    Ok(Json(ImportDto::of(&import, kind)))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct RowsQuery {
    /// Row index (0-based, data rows only) to start from.
    pub from: Option<u64>,
    pub limit: Option<usize>,
    /// Only rows with problems.
    pub errors_only: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct RowsPage {
    pub items: Vec<ImportRowDto>,
}

#[utoipa::path(get, path = "/api/v1/imports/{id}/rows", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path), RowsQuery),
    responses((status = 200, body = RowsPage), (status = 404, body = Problem)))]
pub async fn rows(State(app): State<App>, a: Auth, Path(id): Path<u64>, Query(q): Query<RowsQuery>) -> Result<Json<RowsPage>> {
    require_import(&a)?;
    let tx = app.db.read()?;
    let (import, _) = visible(&tx, &a, ImportId(id))?;
    let limit = q.limit.unwrap_or(1000).clamp(1, 10_000);
    let rows = transfer::rows(&tx, a.actor.company, import.id, q.from.unwrap_or(0), limit, q.errors_only.unwrap_or(false))?;
    Ok(Json(RowsPage { items: rows.iter().map(|r| row_dto(&import, r, a.actor.lang)).collect() }))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ConfirmInput {
    /// Apply the valid rows and skip those with problems (otherwise a file with problems is
    /// refused with `import_has_errors`).
    pub skip_invalid: bool,
}

/// Confirms a previewed import; it is applied in the background in chunks of 500 rows (poll
/// `GET /api/v1/imports/{id}` for progress), a contacts import at once (answered `done`).
#[utoipa::path(post, path = "/api/v1/imports/{id}/confirm", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = ConfirmInput,
    responses((status = 202, body = ImportDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<ConfirmInput>,
) -> Result<(StatusCode, Json<ImportDto>)> {
    let (now, skip_invalid) = (app.now(), i.skip_invalid);
    let (import, kind) = app
        .db
        .write(move |tx| {
            let import = transfer::confirm(tx, &a.actor, now, ImportId(id), skip_invalid)?;
            Ok::<_, crate::error::Error>((import, transfer::kind(tx, a.actor.company, ImportId(id))?))
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(ImportDto::of(&import, kind))))
}

/// Discards an import that was not confirmed.
#[utoipa::path(delete, path = "/api/v1/imports/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn discard(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    app.db.write(move |tx| transfer::discard(tx, &a.actor, ImportId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// csv (default) or xlsx
    pub format: Option<String>,
    pub category: Option<u64>,
    pub brand: Option<u64>,
    /// goods, service or bundle
    pub kind: Option<String>,
    pub archived: Option<bool>,
}

impl From<&ExportQuery> for export::ExportAsk {
    fn from(q: &ExportQuery) -> export::ExportAsk {
        export::ExportAsk {
            format: q.format.clone().unwrap_or_else(|| "csv".into()),
            category: q.category.map(CategoryId),
            brand: q.brand.map(BrandId),
            kind: q.kind.clone().unwrap_or_default(),
            archived: q.archived.unwrap_or(false),
        }
    }
}

/// An export file as a download.
fn download(f: export::ExportFile) -> Response {
    let disposition = format!("attachment; filename=\"products.{}\"", f.ext);
    ([(header::CONTENT_TYPE, f.mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], f.bytes).into_response()
}

#[utoipa::path(get, path = "/api/v1/products/export", tag = "catalog", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, description = "the CSV (UTF-8 with BOM, `;`) or XLSX file"), (status = 422, body = Problem)))]
pub async fn export(State(app): State<App>, a: Auth, Query(q): Query<ExportQuery>) -> Result<Response> {
    require_catalog_read(&a.actor)?;
    let file = export::file(&app.db.read()?, a.actor.company, &export::ExportAsk::from(&q), a.actor.lang, can_see_costs(&a.actor))?;
    Ok(download(file))
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(export))
        .routes(limited(routes!(list, upload), limits.import))
        .routes(routes!(get, discard))
        .routes(routes!(rows))
        .routes(routes!(confirm))
}
