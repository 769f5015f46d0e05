//! Sales analytics: `GET /api/v1/analytics/sales` (spec A11 "market", read from the daily
//! projection).

use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::analytics::{self, Report, Summary};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Query};
use crate::http::problem::Problem;
use crate::ids::{BranchId, CashBoxId, UserId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Two places always ("0.00", never "0").
fn money(d: rust_decimal::Decimal) -> String {
    crate::money::round_money(d).to_string()
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AnalyticsQuery {
    /// First day, YYYY-MM-DD in the company's time zone (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day, inclusive (default: today). At most 366 days in all.
    pub to: Option<String>,
    pub branch: Option<u64>,
    pub cash_box: Option<u64>,
    pub cashier: Option<u64>,
}

impl AnalyticsQuery {
    pub fn domain(&self) -> analytics::Query {
        analytics::Query {
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

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(sales))
}
