//! The audit log, backups and platform administration (companies, plans, subscriptions).
//! Backups and platform routes act on the whole box and require the platform operator.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use super::dto::{CompanyDto, PlanDto};
use crate::app::App;
use crate::backup::{self, State as BState};
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::http::shared::{self, AuditAsk};
use crate::ids::{BackupId, CompanyId, PlanId, UserId};
use crate::tenancy::{self as ten, CompanyDraft, PlanDraft, query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Only this user's actions.
    pub user: Option<u64>,
    /// Actions starting with this text, e.g. `user.`
    pub action: Option<String>,
    /// YYYY-MM-DD, inclusive, in the company's time zone.
    pub from: Option<String>,
    /// YYYY-MM-DD, inclusive.
    pub to: Option<String>,
    /// Page cursor: entries older than this id.
    pub before: Option<u64>,
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: u64,
    pub at: String,
    pub user: Option<u64>,
    pub user_name: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryDto>,
    /// Pass as `before` for the next page; null on the last page.
    pub next_before: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, body = AuditPage), (status = 403, body = Problem)))]
pub async fn list_audit(State(app): State<App>, a: Auth, Query(q): Query<AuditQuery>) -> Result<Json<AuditPage>> {
    let ask = AuditAsk { user: q.user.map(UserId), action: q.action, from: q.from, to: q.to, before: q.before, limit: q.limit };
    let page = shared::audit_page(&app, &a.actor, &ask)?;
    let items = page
        .entries
        .into_iter()
        .map(|(id, e)| AuditEntryDto {
            id,
            at: e.at.rfc3339(),
            user: e.actor_user.map(|u| u.0),
            user_name: e.actor_name,
            ip: e.ip,
            action: e.action,
            target: e.target,
            detail: e.detail,
        })
        .collect();
    Ok(Json(AuditPage { items, next_before: page.next_before }))
}

#[derive(Serialize, ToSchema)]
pub struct BackupDto {
    pub id: u64,
    pub requested: String,
    /// manual or scheduled
    pub trigger: String,
    pub by: String,
    /// pending, good or failed
    pub state: String,
    pub file: Option<String>,
    pub bytes: Option<u64>,
    pub rows: Option<u64>,
    pub error: Option<String>,
    pub finished: Option<String>,
    pub pruned: bool,
}

impl From<&backup::Backup> for BackupDto {
    fn from(b: &backup::Backup) -> Self {
        let (state, file, bytes, rows, error, finished) = match &b.state {
            BState::Pending => ("pending", None, None, None, None, None),
            BState::Good { file, bytes, rows, finished } => {
                ("good", Some(file.clone()), Some(*bytes), Some(*rows), None, Some(finished.rfc3339()))
            }
            BState::Failed { error, finished } => ("failed", None, None, None, Some(error.clone()), Some(finished.rfc3339())),
        };
        BackupDto {
            id: b.id.0,
            requested: b.requested.rfc3339(),
            trigger: match b.trigger {
                backup::Trigger::Manual => "manual",
                backup::Trigger::Scheduled => "scheduled",
            }
            .into(),
            by: b.by.clone(),
            state: state.into(),
            file,
            bytes,
            rows,
            error,
            finished,
            pruned: b.pruned,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/backups", tag = "backups", security(("bearer" = [])),
    responses((status = 200, body = Vec<BackupDto>), (status = 403, body = Problem)))]
pub async fn list_backups(State(app): State<App>, a: Auth) -> Result<Json<Vec<BackupDto>>> {
    a.actor.require_platform_admin()?;
    Ok(Json(backup::list(&app.db.read()?, 100)?.iter().map(BackupDto::from).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct BackupRequested {
    pub id: u64,
}

#[utoipa::path(post, path = "/api/v1/backups", tag = "backups", security(("bearer" = [])),
    responses((status = 202, body = BackupRequested), (status = 403, body = Problem)))]
pub async fn create_backup(State(app): State<App>, a: Auth) -> Result<(StatusCode, Json<BackupRequested>)> {
    let now = app.now();
    let id = app.db.write(move |tx| backup::request_manual(tx, &a.actor, now)).await?;
    Ok((StatusCode::ACCEPTED, Json(BackupRequested { id: id.0 })))
}

#[utoipa::path(get, path = "/api/v1/backups/{id}/download", tag = "backups", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "the backup file", content_type = "application/octet-stream"), (status = 404, body = Problem)))]
pub async fn download_backup(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Response> {
    shared::download_backup(&app, &a.actor, BackupId(id)).await
}

#[derive(Serialize, ToSchema)]
pub struct PlatformCompanyDto {
    pub company: CompanyDto,
    pub owner_email: String,
    pub users: usize,
    /// full, grace or read_only
    pub access: String,
}

#[utoipa::path(get, path = "/api/v1/platform/companies", tag = "platform", security(("bearer" = [])),
    responses((status = 200, body = Vec<PlatformCompanyDto>), (status = 403, body = Problem)))]
pub async fn list_companies(State(app): State<App>, a: Auth) -> Result<Json<Vec<PlatformCompanyDto>>> {
    a.actor.require_platform_admin()?;
    let tx = app.db.read()?;
    let now = app.now();
    let mut out = Vec::new();
    for c in query::companies(&tx)? {
        let users = query::users(&tx, c.id)?;
        let owner_email = users.iter().find(|u| u.id == c.owner).map(|u| u.email.clone()).unwrap_or_default();
        let access = match c.access(now) {
            ten::model::Access::Full => "full",
            ten::model::Access::Grace { .. } => "grace",
            ten::model::Access::ReadOnly => "read_only",
        };
        out.push(PlatformCompanyDto {
            company: CompanyDto::from(&c),
            owner_email,
            users: users.iter().filter(|u| u.active).count(),
            access: access.into(),
        });
    }
    Ok(Json(out))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCompanyInput {
    pub name: String,
    /// KG or RU
    pub country: String,
    pub owner_name: String,
    pub owner_email: String,
    pub owner_password: String,
    #[serde(default)]
    pub plan: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedCompany {
    pub company_id: u64,
    pub owner_id: u64,
}

#[utoipa::path(post, path = "/api/v1/platform/companies", tag = "platform", security(("bearer" = [])), request_body = NewCompanyInput,
    responses((status = 201, body = CreatedCompany), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_company(State(app): State<App>, a: Auth, Json(i): Json<NewCompanyInput>) -> Result<(StatusCode, Json<CreatedCompany>)> {
    a.actor.require_platform_admin()?;
    let draft = CompanyDraft {
        name: i.name,
        country: i.country,
        owner_name: i.owner_name,
        owner_email: i.owner_email,
        owner_password: i.owner_password,
        plan: i.plan.map(PlanId),
    };
    let (c, u) = shared::create_company(&app, Some(&a.actor), &a.actor.ip, draft).await?;
    Ok((StatusCode::CREATED, Json(CreatedCompany { company_id: c.0, owner_id: u.0 })))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    pub plan: u64,
    /// Last paid day YYYY-MM-DD (company time zone), or null for no end.
    pub end: Option<String>,
    pub grace_days: u32,
    pub active: bool,
}

#[utoipa::path(put, path = "/api/v1/platform/companies/{id}/subscription", tag = "platform", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = SubscriptionInput, responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_subscription(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<SubscriptionInput>,
) -> Result<StatusCode> {
    shared::set_subscription(&app, &a.actor, CompanyId(id), PlanId(i.plan), i.end.as_deref(), i.grace_days, i.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/platform/plans", tag = "platform", security(("bearer" = [])), responses((status = 200, body = Vec<PlanDto>)))]
pub async fn list_plans(State(app): State<App>, a: Auth) -> Result<Json<Vec<PlanDto>>> {
    a.actor.require_platform_admin()?;
    Ok(Json(query::plans(&app.db.read()?)?.iter().map(PlanDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub name: String,
    /// Decimal as a string, e.g. "1500.00"
    pub monthly_price: String,
    pub features: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/platform/plans", tag = "platform", security(("bearer" = [])), request_body = PlanInput,
    responses((status = 201, body = PlanDto), (status = 422, body = Problem)))]
pub async fn create_plan(State(app): State<App>, a: Auth, Json(i): Json<PlanInput>) -> Result<(StatusCode, Json<PlanDto>)> {
    Ok((StatusCode::CREATED, Json(save_plan(app, a, None, i).await?)))
}

#[utoipa::path(put, path = "/api/v1/platform/plans/{id}", tag = "platform", security(("bearer" = [])), params(("id" = u64, Path)), request_body = PlanInput,
    responses((status = 200, body = PlanDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_plan(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<PlanInput>) -> Result<Json<PlanDto>> {
    Ok(Json(save_plan(app, a, Some(PlanId(id)), i).await?))
}

async fn save_plan(app: App, a: Auth, id: Option<PlanId>, i: PlanInput) -> Result<PlanDto> {
    let now = app.now();
    let draft = PlanDraft { name: i.name, monthly_price: i.monthly_price, features: i.features };
    let p = app
        .db
        .write(move |tx| {
            let id = ten::save_plan(tx, &a.actor, now, id, &draft)?;
            query::plan(tx, id)
        })
        .await?;
    Ok(PlanDto::from(&p))
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(list_audit)).routes(routes!(list_backups, create_backup)).routes(routes!(download_backup))
}

/// The platform operator's routes (companies, plans).
pub fn platform_routes() -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_companies, create_company))
        .routes(routes!(put_subscription))
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(put_plan))
}
