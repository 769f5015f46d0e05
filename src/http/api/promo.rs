//! Promo gift rules (`/api/v1/promo-rules`): list, create, read, replace, delete.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::catalog::promo::{self, PromoDraft, PromoRule, day_text};
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{BranchId, PromoRuleId};

#[derive(Serialize, ToSchema)]
pub struct PromoRuleDto {
    pub id: u64,
    pub name: String,
    /// "all" | "category" | "brand" | "product".
    pub scope: String,
    /// The scoped product, brand or category; absent for all goods.
    pub target: Option<u64>,
    pub min_qty: u64,
    pub inclusive: bool,
    pub gift_qty: u64,
    pub priority: i64,
    /// "YYYY-MM-DD", company-local, inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub branch: Option<u64>,
    pub active: bool,
}

impl From<PromoRule> for PromoRuleDto {
    fn from(r: PromoRule) -> PromoRuleDto {
        PromoRuleDto {
            id: r.id.0,
            name: r.name,
            scope: r.scope.kind().to_string(),
            target: (r.scope.kind() != "all").then(|| r.scope.target()),
            min_qty: r.min_qty,
            inclusive: r.inclusive,
            gift_qty: r.gift_qty,
            priority: r.priority,
            from: r.from.map(day_text),
            to: r.to.map(day_text),
            branch: r.branch.map(|b| b.0),
            active: r.active,
        }
    }
}

fn default_true() -> bool {
    true
}

/// A rule to create or replace. Numbers may be sent as JSON numbers or strings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromoRuleInput {
    pub name: String,
    /// "all" (default) | "category" | "brand" | "product".
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub target: Option<u64>,
    #[schema(value_type = String)]
    pub min_qty: serde_json::Value,
    /// Default true: `qty >= min_qty`; false: `qty > min_qty`.
    #[serde(default = "default_true")]
    pub inclusive: bool,
    #[schema(value_type = String)]
    pub gift_qty: serde_json::Value,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub priority: Option<serde_json::Value>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub branch: Option<u64>,
    #[serde(default = "default_true")]
    pub active: bool,
}

/// A JSON number or string as the text the domain parses.
fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl From<PromoRuleInput> for PromoDraft {
    fn from(i: PromoRuleInput) -> PromoDraft {
        PromoDraft {
            name: i.name,
            scope: i.scope,
            target: i.target,
            min_qty: text(&i.min_qty),
            inclusive: i.inclusive,
            gift_qty: text(&i.gift_qty),
            priority: i.priority.as_ref().map(text).unwrap_or_default(),
            from: i.from.unwrap_or_default(),
            to: i.to.unwrap_or_default(),
            branch: i.branch.map(BranchId),
            active: i.active,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/promo-rules", tag = "catalog", security(("bearer" = [])),
    responses((status = 200, body = Vec<PromoRuleDto>), (status = 403, body = Problem)))]
pub async fn list_rules(State(app): State<App>, a: Auth) -> Result<Json<Vec<PromoRuleDto>>> {
    promo::require_access(&a.actor)?;
    let rows = promo::list(&app.db.read()?, &a.actor)?;
    Ok(Json(rows.into_iter().map(PromoRuleDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/promo-rules", tag = "catalog", security(("bearer" = [])), request_body = PromoRuleInput,
    responses((status = 201, body = PromoRuleDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_rule(State(app): State<App>, a: Auth, Json(i): Json<PromoRuleInput>) -> Result<(StatusCode, Json<PromoRuleDto>)> {
    let now = app.now();
    let draft = PromoDraft::from(i);
    let rule = app.db.write(move |tx| promo::save_rule(tx, &a.actor, now, None, &draft)).await?;
    Ok((StatusCode::CREATED, Json(rule.into())))
}

#[utoipa::path(get, path = "/api/v1/promo-rules/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = PromoRuleDto), (status = 404, body = Problem)))]
pub async fn get_rule(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<PromoRuleDto>> {
    Ok(Json(promo::rule(&app.db.read()?, &a.actor, PromoRuleId(id))?.into()))
}

#[utoipa::path(put, path = "/api/v1/promo-rules/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = PromoRuleInput, responses((status = 200, body = PromoRuleDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_rule(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<PromoRuleInput>) -> Result<Json<PromoRuleDto>> {
    let now = app.now();
    let draft = PromoDraft::from(i);
    let rule = app.db.write(move |tx| promo::save_rule(tx, &a.actor, now, Some(PromoRuleId(id)), &draft)).await?;
    Ok(Json(rule.into()))
}

#[utoipa::path(delete, path = "/api/v1/promo-rules/{id}", tag = "catalog", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_rule(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| promo::delete_rule(tx, &a.actor, now, PromoRuleId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_rules, create_rule)).routes(routes!(get_rule, put_rule, delete_rule))
}
