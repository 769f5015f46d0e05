//! The telecom desk's report API (issue 13, slice B): the dashboard/report as JSON and its
//! exports (CSV in UTF-8 or Windows-1251, XLSX), and the usage import that rates calls, SMS and
//! data against the tariff in force. Rights: see `analytics::telecom` and `telecom::usage`.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::analytics::tab::Cell;
use crate::analytics::telecom::{self as report, TelecomReport};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Query};
use crate::http::problem::Problem;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, default)]
pub struct ReportQuery {
    /// First day, YYYY-MM-DD (default: the 1st of the month eleven months before `to`).
    pub from: String,
    /// Last day, YYYY-MM-DD (default: today).
    pub to: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, default)]
pub struct ExportQuery {
    pub from: String,
    pub to: String,
    /// csv (UTF-8 with a byte-order mark), csv1251 (Windows-1251) or xlsx.
    pub format: String,
}

/// The report: figures by key, tables by id (each a list of rows keyed by column). Money is a
/// decimal string with two places, counts numbers, ratios without a basis null.
#[derive(Serialize, ToSchema)]
pub struct TelecomReportDto {
    pub from: String,
    pub to: String,
    #[schema(value_type = Object)]
    pub figures: serde_json::Map<String, serde_json::Value>,
    #[schema(value_type = Object)]
    pub tables: serde_json::Map<String, serde_json::Value>,
}

fn cell_json(c: &Cell) -> serde_json::Value {
    match c {
        Cell::Count(n) => serde_json::Value::from(*n),
        Cell::Id(id) => id.map(serde_json::Value::from).unwrap_or(serde_json::Value::Null),
        other => other.plain().map(serde_json::Value::from).unwrap_or(serde_json::Value::Null),
    }
}

impl From<&TelecomReport> for TelecomReportDto {
    fn from(r: &TelecomReport) -> Self {
        TelecomReportDto {
            from: r.from.clone(),
            to: r.to.clone(),
            figures: r.figures.iter().map(|f| (f.key.to_string(), cell_json(&f.value))).collect(),
            tables: r
                .tables
                .iter()
                .map(|t| {
                    let rows = t
                        .rows
                        .iter()
                        .map(|row| {
                            serde_json::Value::Object(t.columns.iter().zip(row).map(|(k, c)| (k.to_string(), cell_json(c))).collect())
                        })
                        .collect();
                    (t.id.to_string(), serde_json::Value::Array(rows))
                })
                .collect(),
        }
    }
}

/// Subscribers, SIMs and contracts by status, revenue and charges by month (with ARPU and
/// churn), subscribers per tariff, top payers. Operators and supervisors (view + payments).
#[utoipa::path(get, path = "/api/v1/telecom/reports", tag = "telecom", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, body = TelecomReportDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn telecom_report(State(app): State<App>, a: Auth, Query(q): Query<ReportQuery>) -> Result<Json<TelecomReportDto>> {
    let r = report::report(&app.db.read()?, &a.actor, app.now(), &q.from, &q.to)?;
    Ok(Json(TelecomReportDto::from(&r)))
}

/// Windows-1251 bytes of `text`; a character the code page lacks becomes a numeric reference.
pub fn windows_1251(text: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1251.encode(text).0.into_owned()
}

fn file(name: &str, mime: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The report as a file in `format`, headers in the caller's language.
pub fn export_file(lang: crate::i18n::Lang, r: &TelecomReport, format: &str) -> Result<Response> {
    let name = format!("telecom-{}-{}", r.from, r.to);
    match format.trim() {
        "" | "csv" => {
            let mut bytes = "\u{feff}".as_bytes().to_vec();
            bytes.extend(report::csv(lang, r).into_bytes());
            Ok(file(&format!("{name}.csv"), "text/csv; charset=utf-8", bytes))
        }
        "csv1251" => Ok(file(&format!("{name}.csv"), "text/csv; charset=windows-1251", windows_1251(&report::csv(lang, r)))),
        "xlsx" => Ok(file(
            &format!("{name}.xlsx"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            report::workbook(lang, r)?,
        )),
        _ => Err(Error::field("format", "format", "Формат: csv, csv1251 или xlsx", "The format is csv, csv1251 or xlsx")),
    }
}

/// The report as CSV (UTF-8 or Windows-1251, `;`-separated) or XLSX.
#[utoipa::path(get, path = "/api/v1/telecom/reports/export", tag = "telecom", security(("bearer" = [])), params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = Vec<u8>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn telecom_report_export(State(app): State<App>, a: Auth, Query(q): Query<ExportQuery>) -> Result<Response> {
    let r = report::report(&app.db.read()?, &a.actor, app.now(), &q.from, &q.to)?;
    export_file(a.actor.lang, &r, &q.format)
}

/// What a usage import did.
#[derive(Serialize, ToSchema)]
pub struct RatedDto {
    /// Valid rows in the file.
    pub rows: u64,
    /// Records counted now; `repeated` were imported before and counted nothing.
    pub new: u64,
    pub repeated: u64,
    /// Overage charges written to the ledger and their sum.
    pub charges: u64,
    pub amount: String,
}

impl From<&crate::telecom::usage::Rated> for RatedDto {
    fn from(r: &crate::telecom::usage::Rated) -> Self {
        RatedDto { rows: r.rows, new: r.new, repeated: r.repeated, charges: r.charges, amount: r.amount.to_string() }
    }
}

/// Reads an uploaded usage file (CSV in UTF-8 or Windows-1251, or XLSX/XLS/ODS) into rows, off
/// the runtime; the caller checked the rights first.
pub async fn usage_rows(app: &App, bytes: Vec<u8>) -> Result<Vec<Vec<String>>> {
    let limits = crate::transfer::read::Limits { unpacked_bytes: app.config.import_unpacked_mb << 20, ..crate::transfer::read::LIMITS };
    let sheet = app.heavy(crate::app::Heavy::Sheet, move || crate::transfer::read_file(&bytes, &limits)).await?;
    Ok(sheet.rows)
}

/// Imports usage records (the file's raw bytes as the body; columns `msisdn` or `contract`,
/// `kind` voice/sms/data, `amount` in minutes/SMS/MB, `time`, optional `id`) and rates them:
/// overage beyond the tariff's allowances becomes ledger charges. Every invalid row is reported
/// at once and nothing is written; a record imported before counts nothing again.
#[utoipa::path(post, path = "/api/v1/telecom/usage", tag = "telecom", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 200, body = RatedDto), (status = 403, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn import_usage(State(app): State<App>, a: Auth, req: axum::extract::Request) -> Result<Json<RatedDto>> {
    // The rights are checked before a byte of the file is read.
    crate::telecom::require(&a.actor, &[crate::tenancy::perms::Perm::TELECOM_PAYMENTS, crate::tenancy::perms::Perm::TELECOM_TARIFFS])?;
    let (parts, body) = req.into_parts();
    let bytes = crate::http::extract::read_body(&parts.headers, body, app.config.import_limit_kb * 1024).await?.to_vec();
    let rows = usage_rows(&app, bytes).await?;
    let (now, actor) = (app.now(), a.actor);
    let rated = app.db.write(move |tx| crate::telecom::usage::import(tx, &actor, now, &rows)).await?;
    Ok(Json(RatedDto::from(&rated)))
}

/// This file's routes for a signed-in caller; the usage upload takes files up to the import
/// limit.
pub fn routes(limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(telecom_report))
        .routes(routes!(telecom_report_export))
        .routes(super::limited(routes!(import_usage), limits.import))
}
