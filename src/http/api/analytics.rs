//! Sales analytics: `GET /api/v1/analytics/sales` (spec A11 "market", read from the daily
//! projection).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use axum::extract::Path;
use axum::response::Response;

use crate::analytics::tab::{Cell, Tab, TabReport};
use crate::analytics::{self, Report, Summary};
use crate::app::App;
use crate::error::Error;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Query};
use crate::http::problem::Problem;
use crate::ids::{BranchId, CashBoxId, UserId, WarehouseId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Two places always ("0.00", never "0").
fn money(d: rust_decimal::Decimal) -> String {
    crate::money::round_money(d).to_string()
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsQuery {
    /// day (the `to` day alone), week (7 days to `to`), month (from the 1st of `to`'s month),
    /// custom or empty (from–to).
    pub period: Option<String>,
    /// First day, YYYY-MM-DD in the company's time zone (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, inclusive (default: today). At most 366 days in all.
    pub to: Option<String>,
    pub branch: Option<u64>,
    pub cash_box: Option<u64>,
    pub cashier: Option<u64>,
    /// Stock tab only: one warehouse.
    pub warehouse: Option<u64>,
}

impl AnalyticsQuery {
    pub fn domain(&self) -> analytics::Query {
        analytics::Query {
            period: self.period.clone().unwrap_or_default(),
            warehouse: self.warehouse.map(WarehouseId),
            from: self.from.clone().unwrap_or_default(),
            to: self.to.clone().unwrap_or_default(),
            branch: self.branch.map(BranchId),
            cash_box: self.cash_box.map(CashBoxId),
            cashier: self.cashier.map(UserId),
        }
    }
}

/// Amounts are decimal strings with two places.
#[derive(Serialize, ToSchema)]
pub struct SummaryDto {
    pub sales: u64,
    pub returns: u64,
    /// Σ sale totals before returns.
    pub gross: String,
    pub returned: String,
    /// gross − returned
    pub revenue: String,
    pub discounts: String,
    /// FIFO cost snapshots of the goods sold, net of returns.
    pub cogs: String,
    /// revenue − cogs
    pub margin: String,
    /// margin ÷ revenue × 100, one place; null without revenue
    pub margin_percent: Option<String>,
    /// gross ÷ sales
    pub average_check: String,
}

impl From<&Summary> for SummaryDto {
    fn from(s: &Summary) -> Self {
        SummaryDto {
            sales: s.sales,
            returns: s.returns,
            gross: money(s.gross),
            returned: money(s.returned),
            revenue: money(s.revenue),
            discounts: money(s.discounts),
            cogs: money(s.cogs),
            margin: money(s.margin),
            margin_percent: s.margin_percent.map(|d| d.to_string()),
            average_check: money(s.average_check),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MethodDto {
    /// cash, card, transfer, debt, wallet:<name>
    pub method: String,
    pub paid: String,
    pub refunded: String,
    pub net: String,
}

#[derive(Serialize, ToSchema)]
pub struct ProductRowDto {
    /// null: items typed at the till
    pub product: Option<u64>,
    pub name: String,
    pub qty: String,
    pub revenue: String,
    pub cogs: String,
    pub margin: String,
}

#[derive(Serialize, ToSchema)]
pub struct CashierDto {
    pub user: u64,
    pub name: String,
    #[serde(flatten)]
    pub summary: SummaryDto,
}

#[derive(Serialize, ToSchema)]
pub struct DayDto {
    pub day: String,
    pub sales: u64,
    pub revenue: String,
    pub margin: String,
}

#[derive(Serialize, ToSchema)]
pub struct DiscrepancyDto {
    pub shift: u64,
    pub number: String,
    pub cashier: u64,
    pub cashier_name: String,
    pub cash_box: u64,
    pub closed: String,
    pub expected: String,
    pub counted: String,
    /// counted − expected (negative = shortage)
    pub difference: String,
}

#[derive(Serialize, ToSchema)]
pub struct SalesReportDto {
    pub from: String,
    pub to: String,
    pub summary: SummaryDto,
    pub methods: Vec<MethodDto>,
    pub top_by_revenue: Vec<ProductRowDto>,
    pub top_by_margin: Vec<ProductRowDto>,
    pub cashiers: Vec<CashierDto>,
    /// Every day of the period, empty days included.
    pub days: Vec<DayDto>,
    pub discrepancies: Vec<DiscrepancyDto>,
}

fn product_row(p: &analytics::ProductRow) -> ProductRowDto {
    ProductRowDto {
        product: p.product.map(|p| p.0),
        name: p.name.clone(),
        qty: p.qty.normalize().to_string(),
        revenue: money(p.revenue),
        cogs: money(p.cogs),
        margin: money(p.margin),
    }
}

impl From<&Report> for SalesReportDto {
    fn from(r: &Report) -> Self {
        SalesReportDto {
            from: r.from.clone(),
            to: r.to.clone(),
            summary: SummaryDto::from(&r.summary),
            methods: r
                .methods
                .iter()
                .map(|m| MethodDto { method: m.method.clone(), paid: money(m.paid), refunded: money(m.refunded), net: money(m.net) })
                .collect(),
            top_by_revenue: r.top_by_revenue.iter().map(product_row).collect(),
            top_by_margin: r.top_by_margin.iter().map(product_row).collect(),
            cashiers: r
                .cashiers
                .iter()
                .map(|c| CashierDto { user: c.user.0, name: c.name.clone(), summary: SummaryDto::from(&c.summary) })
                .collect(),
            days: r
                .days
                .iter()
                .map(|d| DayDto { day: d.day.clone(), sales: d.sales, revenue: money(d.revenue), margin: money(d.margin) })
                .collect(),
            discrepancies: r
                .discrepancies
                .iter()
                .map(|d| DiscrepancyDto {
                    shift: d.shift.0,
                    number: d.number.clone(),
                    cashier: d.cashier.0,
                    cashier_name: d.cashier_name.clone(),
                    cash_box: d.cash_box.0,
                    closed: d.closed.rfc3339(),
                    expected: money(d.expected),
                    counted: money(d.counted),
                    difference: money(d.difference),
                })
                .collect(),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/analytics/sales", tag = "analytics", security(("bearer" = [])), params(AnalyticsQuery),
    responses((status = 200, body = SalesReportDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn sales(State(app): State<App>, a: Auth, Query(q): Query<AnalyticsQuery>) -> Result<Json<SalesReportDto>> {
    let report = analytics::sales_report(&app.db.read()?, &a.actor, app.now(), &q.domain())?;
    Ok(Json(SalesReportDto::from(&report)))
}

/// One analytics tab: figures by key, and tables by id, each a list of rows keyed by column.
/// Money is a decimal string with two places, quantities and ratios decimal strings, counts
/// and ids numbers; a ratio without a basis (nothing sold) is null.
#[derive(Serialize, ToSchema)]
pub struct TabDto {
    pub tab: String,
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

impl From<&TabReport> for TabDto {
    fn from(r: &TabReport) -> Self {
        TabDto {
            tab: r.tab.code().to_string(),
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

fn tab_of(raw: &str) -> Result<Tab> {
    Tab::parse(raw).ok_or(Error::NotFound)
}

/// An analytics tab beside sales: stock, cash_boxes, shifts, products, users or finance (the
/// last also needs the finance right). Read from projections and shift records, never sales.
#[utoipa::path(get, path = "/api/v1/analytics/{tab}", tag = "analytics", security(("bearer" = [])),
    params(("tab" = String, Path, description = "stock | cash_boxes | shifts | products | users | finance"), AnalyticsQuery),
    responses((status = 200, body = TabDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn tab(State(app): State<App>, a: Auth, Path(tab): Path<String>, Query(q): Query<AnalyticsQuery>) -> Result<Json<TabDto>> {
    let tab = tab_of(&tab)?;
    let report = analytics::tab::report(&app.db.read()?, &a.actor, app.now(), tab, &q.domain())?;
    Ok(Json(TabDto::from(&report)))
}

/// The tab as an XLSX workbook: a sheet of figures, then a sheet per table (headers in the
/// caller's language, record ids left out).
#[utoipa::path(get, path = "/api/v1/analytics/{tab}/export.xlsx", tag = "analytics", security(("bearer" = [])),
    params(("tab" = String, Path, description = "stock | cash_boxes | shifts | products | users | finance"), AnalyticsQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn tab_xlsx(State(app): State<App>, a: Auth, Path(tab): Path<String>, Query(q): Query<AnalyticsQuery>) -> Result<Response> {
    let tab = tab_of(&tab)?;
    let report = analytics::tab::report(&app.db.read()?, &a.actor, app.now(), tab, &q.domain())?;
    let bytes = analytics::tab::workbook(a.actor.lang, &report)?;
    Ok(super::reports::xlsx_response(&format!("{}-{}-{}", tab.code(), report.from, report.to), bytes))
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(sales)).routes(routes!(tab)).routes(routes!(tab_xlsx))
}
