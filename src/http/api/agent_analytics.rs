//! Agent analytics (`/api/v1/agents/analytics`, and `.xlsx`): an agent's own report, or the
//! owner's over every agent (or one, `agent=`).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::analytics::agents::{self, AgentQuery, AgentReport, Totals};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Query};
use crate::http::problem::Problem;
use crate::ids::UserId;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, default)]
pub struct AgentAnalyticsQuery {
    /// day | week | month (default, the last 30 days) | custom
    pub period: String,
    /// YYYY-MM-DD (the day of `period=day`, the start of `custom`)
    pub from: String,
    pub to: String,
    /// One agent (owner only; an agent always gets their own report).
    pub agent: Option<u64>,
}

impl From<AgentAnalyticsQuery> for AgentQuery {
    fn from(q: AgentAnalyticsQuery) -> AgentQuery {
        AgentQuery { period: q.period, from: q.from, to: q.to, agent: q.agent.map(UserId) }
    }
}

/// Sums of a period; decimals as strings.
#[derive(Serialize, ToSchema)]
pub struct AgentTotalsDto {
    pub transfers: u64,
    pub qty_transferred: String,
    pub value_transferred: String,
    pub qty_accepted: String,
    pub qty_returned: String,
    /// Sales made (a product line counts the sales that sold that product).
    pub sales: u64,
    pub qty_sold: String,
    pub amount: String,
    pub cost: String,
    pub gross_profit: String,
}

fn totals(t: &Totals) -> AgentTotalsDto {
    AgentTotalsDto {
        transfers: t.transfers,
        qty_transferred: t.qty_transferred.normalize().to_string(),
        value_transferred: t.value_transferred.to_string(),
        qty_accepted: t.qty_accepted.normalize().to_string(),
        qty_returned: t.qty_returned.normalize().to_string(),
        sales: t.sales,
        qty_sold: t.qty_sold.normalize().to_string(),
        amount: t.amount.to_string(),
        cost: t.cost.to_string(),
        gross_profit: t.gross_profit.to_string(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct AgentDayDto {
    pub day: String,
    pub totals: AgentTotalsDto,
}

#[derive(Serialize, ToSchema)]
pub struct AgentProductDto {
    pub product: u64,
    pub name: String,
    pub totals: AgentTotalsDto,
    /// Percent of the period's sales amount.
    pub share: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgentLineDto {
    pub agent: u64,
    pub name: String,
    pub totals: AgentTotalsDto,
}

#[derive(Serialize, ToSchema)]
pub struct AgentStockDto {
    pub product: u64,
    pub name: String,
    pub qty: String,
    /// At the current price.
    pub value: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgentTransferDto {
    pub lot: u64,
    pub agent: u64,
    pub product: u64,
    pub name: String,
    pub created: String,
    pub qty: String,
    pub price: String,
    pub cost: String,
    pub source: String,
}

/// Operating expenses of one category in the period.
#[derive(Serialize, ToSchema)]
pub struct AgentExpenseDto {
    pub category: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct AgentReportDto {
    pub from: String,
    pub to: String,
    pub agent: Option<u64>,
    pub summary: AgentTotalsDto,
    pub on_hand_qty: String,
    pub on_hand_value: String,
    pub days: Vec<AgentDayDto>,
    pub products: Vec<AgentProductDto>,
    pub top_transferred: Vec<AgentProductDto>,
    pub agents: Vec<AgentLineDto>,
    pub on_hand: Vec<AgentStockDto>,
    pub transfers: Vec<AgentTransferDto>,
    /// The owner's expense breakdown (null in one agent's report or without the finance right).
    pub expenses: Option<Vec<AgentExpenseDto>>,
}

fn dto(r: AgentReport) -> AgentReportDto {
    let product = |l: &agents::ProductLine| AgentProductDto {
        product: l.product.0,
        name: l.name.clone(),
        totals: totals(&l.t),
        share: l.share.to_string(),
    };
    AgentReportDto {
        from: r.from,
        to: r.to,
        agent: r.agent.map(|a| a.0),
        summary: totals(&r.summary),
        on_hand_qty: r.on_hand_qty.normalize().to_string(),
        on_hand_value: r.on_hand_value.to_string(),
        days: r.days.iter().map(|d| AgentDayDto { day: d.day.clone(), totals: totals(&d.t) }).collect(),
        products: r.products.iter().map(product).collect(),
        top_transferred: r.top_transferred.iter().map(product).collect(),
        agents: r.agents.iter().map(|a| AgentLineDto { agent: a.agent.0, name: a.name.clone(), totals: totals(&a.t) }).collect(),
        on_hand: r
            .on_hand
            .iter()
            .map(|s| AgentStockDto {
                product: s.product.0,
                name: s.name.clone(),
                qty: s.qty.normalize().to_string(),
                value: s.value.to_string(),
            })
            .collect(),
        transfers: r
            .transfers
            .iter()
            .map(|t| AgentTransferDto {
                lot: t.lot.0,
                agent: t.agent.0,
                product: t.product.0,
                name: t.name.clone(),
                created: t.created.rfc3339(),
                qty: t.qty.normalize().to_string(),
                price: t.price.to_string(),
                cost: t.cost.to_string(),
                source: t.source.clone(),
            })
            .collect(),
        expenses: r
            .expenses
            .map(|list| list.into_iter().map(|(category, amount)| AgentExpenseDto { category, amount: amount.to_string() }).collect()),
    }
}

#[utoipa::path(get, path = "/api/v1/agents/analytics", tag = "agents", security(("bearer" = [])), params(AgentAnalyticsQuery),
    responses((status = 200, body = AgentReportDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn report(State(app): State<App>, a: Auth, Query(q): Query<AgentAnalyticsQuery>) -> Result<Json<AgentReportDto>> {
    let r = agents::report(&app.db.read()?, &a.actor, app.now(), &q.into())?;
    Ok(Json(dto(r)))
}

/// The report as a workbook: a sheet of figures, then a sheet per table (by day, by product,
/// transfers, on hand, agents, expenses, the last 200 lots) — what the page shows.
#[utoipa::path(get, path = "/api/v1/agents/analytics.xlsx", tag = "agents", security(("bearer" = [])), params(AgentAnalyticsQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = 403, body = Problem)))]
pub async fn report_xlsx(State(app): State<App>, a: Auth, Query(q): Query<AgentAnalyticsQuery>) -> Result<Response> {
    let r = agents::report(&app.db.read()?, &a.actor, app.now(), &q.into())?;
    let lang = a.actor.lang;
    let title = format!("{} {}…{}", lang.t("nav.agents_analytics"), r.from, r.to);
    let (figures, tables) = agents::tables(&r);
    let bytes = crate::analytics::tab::workbook_of(lang, title, &figures, &tables)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"agents-analytics.xlsx\"".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(report)).routes(routes!(report_xlsx))
}
