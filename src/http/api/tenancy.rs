//! Company settings, branches, users and roles. Every read is keyed by the caller's company
//! (from `Auth`), so another company's id is simply not found.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use super::dto::{BranchDto, CompanyDto, LegalDto, RoleDto, UserDto};
use super::limited;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{BranchId, PlanId, RoleId, UserId};
use crate::tenancy::branches::{self, BranchDraft};
use crate::tenancy::perms::{self, Perm};
use crate::tenancy::roles::{self, RoleDraft};
use crate::tenancy::users::{self, UserDraft};
use crate::tenancy::{self as ten, SettingsDraft, query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[utoipa::path(get, path = "/api/v1/company", tag = "company", security(("bearer" = [])), responses((status = 200, body = CompanyDto)))]
pub async fn get_company(State(app): State<App>, a: Auth) -> Result<Json<CompanyDto>> {
    let c = query::company(&app.db.read()?, a.actor.company)?;
    Ok(Json(CompanyDto::from(&c)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    pub name: String,
    pub timezone: String,
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub legal: LegalDto,
}

#[utoipa::path(put, path = "/api/v1/company", tag = "company", security(("bearer" = [])), request_body = CompanyInput,
    responses((status = 200, body = CompanyDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_company(State(app): State<App>, a: Auth, Json(input): Json<CompanyInput>) -> Result<Json<CompanyDto>> {
    let draft = SettingsDraft {
        name: input.name,
        timezone: input.timezone,
        phones: input.phones.join("\n"),
        inn: input.legal.inn,
        okpo: input.legal.okpo,
        bank_name: input.legal.bank_name,
        bank_account: input.legal.bank_account,
        bik: input.legal.bik,
        address: input.legal.address,
    };
    let now = app.now();
    let c = app.db.write(move |tx| ten::update_settings(tx, &a.actor, now, &draft)).await?;
    Ok(Json(CompanyDto::from(&c)))
}

#[utoipa::path(get, path = "/api/v1/branches", tag = "branches", security(("bearer" = [])), responses((status = 200, body = Vec<BranchDto>)))]
pub async fn list_branches(State(app): State<App>, a: Auth) -> Result<Json<Vec<BranchDto>>> {
    a.actor.require(Perm::BRANCH)?;
    Ok(Json(query::branches(&app.db.read()?, a.actor.company)?.iter().map(BranchDto::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/branches/{id}", tag = "branches", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = BranchDto), (status = 404, body = Problem)))]
pub async fn get_branch(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<BranchDto>> {
    a.actor.require(Perm::BRANCH)?;
    let b = query::branch(&app.db.read()?, a.actor.company, BranchId(id))?;
    Ok(Json(BranchDto::from(&b)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BranchInput {
    pub name: String,
    /// Empty = assigned automatically (B001, B002…).
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub phone: String,
    /// Empty = the company's time zone.
    #[serde(default)]
    pub timezone: String,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub plan: Option<u64>,
}

fn yes() -> bool {
    true
}

impl From<BranchInput> for BranchDraft {
    fn from(i: BranchInput) -> Self {
        BranchDraft {
            name: i.name,
            code: i.code,
            address: i.address,
            phone: i.phone,
            timezone: i.timezone,
            active: i.active,
            plan: i.plan.map(PlanId),
        }
    }
}

#[utoipa::path(post, path = "/api/v1/branches", tag = "branches", security(("bearer" = [])), request_body = BranchInput,
    responses((status = 201, body = BranchDto), (status = 422, body = Problem)))]
pub async fn create_branch(State(app): State<App>, a: Auth, Json(input): Json<BranchInput>) -> Result<(StatusCode, Json<BranchDto>)> {
    let (now, company, draft) = (app.now(), a.actor.company, BranchDraft::from(input));
    let b = app
        .db
        .write(move |tx| {
            let id = branches::save(tx, &a.actor, now, None, &draft)?;
            query::branch(tx, company, id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(BranchDto::from(&b))))
}

#[utoipa::path(put, path = "/api/v1/branches/{id}", tag = "branches", security(("bearer" = [])), params(("id" = u64, Path)), request_body = BranchInput,
    responses((status = 200, body = BranchDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_branch(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(input): Json<BranchInput>) -> Result<Json<BranchDto>> {
    let (now, company, draft) = (app.now(), a.actor.company, BranchDraft::from(input));
    let b = app
        .db
        .write(move |tx| {
            let id = branches::save(tx, &a.actor, now, Some(BranchId(id)), &draft)?;
            query::branch(tx, company, id)
        })
        .await?;
    Ok(Json(BranchDto::from(&b)))
}

#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses((status = 200, body = Vec<UserDto>)))]
pub async fn list_users(State(app): State<App>, a: Auth) -> Result<Json<Vec<UserDto>>> {
    a.actor.require(Perm::EMPLOYEES)?;
    Ok(Json(query::users(&app.db.read()?, a.actor.company)?.iter().map(UserDto::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = Problem)))]
pub async fn get_user(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<UserDto>> {
    a.actor.require(Perm::EMPLOYEES)?;
    let u = query::user(&app.db.read()?, a.actor.company, UserId(id))?;
    Ok(Json(UserDto::from(&u)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    #[serde(default)]
    pub phone: String,
    /// admin or staff
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub custom_role: Option<u64>,
    pub branches: Vec<u64>,
    #[serde(default)]
    pub primary_branch: Option<u64>,
    /// Set by the admin (the user should change it); omit to get a one-time invite link.
    #[serde(default)]
    pub password: Option<String>,
}

impl UserInput {
    fn draft(&self) -> UserDraft {
        UserDraft {
            email: self.email.clone(),
            name: self.name.clone(),
            phone: self.phone.clone(),
            role: self.role.clone(),
            custom_role: self.custom_role.map(RoleId),
            branches: self.branches.iter().copied().map(BranchId).collect(),
            primary_branch: self.primary_branch.map(BranchId),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    pub user: UserDto,
    /// Path of the one-time link where the user sets their password (when no password was given).
    pub invite_path: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = UserInput,
    responses((status = 201, body = CreatedUser), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_user(State(app): State<App>, a: Auth, Json(input): Json<UserInput>) -> Result<(StatusCode, Json<CreatedUser>)> {
    let (user, invite_path, _) = crate::http::shared::create_user(&app, &a.actor, input.draft(), input.password.clone(), None).await?;
    Ok((StatusCode::CREATED, Json(CreatedUser { user: UserDto::from(&user), invite_path })))
}

#[utoipa::path(put, path = "/api/v1/users/{id}", tag = "users", security(("bearer" = [])), params(("id" = u64, Path)), request_body = UserInput,
    responses((status = 200, body = UserDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_user(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(input): Json<UserInput>) -> Result<Json<UserDto>> {
    if input.password.is_some() {
        return Err(Error::field(
            "password",
            "not_here",
            "Пароль меняет сам сотрудник (или по ссылке-приглашению)",
            "Users change their own password (or use an invite link)",
        ));
    }
    let (now, company, draft) = (app.now(), a.actor.company, input.draft());
    let u = app
        .db
        .write(move |tx| {
            users::update(tx, &a.actor, now, UserId(id), &draft)?;
            query::user(tx, company, UserId(id))
        })
        .await?;
    Ok(Json(UserDto::from(&u)))
}

async fn set_active(app: App, a: Auth, id: u64, active: bool) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| users::set_active(tx, &a.actor, now, UserId(id), active)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/v1/users/{id}/deactivate", tag = "users", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn deactivate_user(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    set_active(app, a, id, false).await
}

#[utoipa::path(post, path = "/api/v1/users/{id}/activate", tag = "users", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn activate_user(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    set_active(app, a, id, true).await
}

#[derive(Serialize, ToSchema)]
pub struct InviteDto {
    pub invite_path: String,
}

/// A new one-time password link for a user (for a forgotten password); the old password keeps
/// working until the link is used.
#[utoipa::path(post, path = "/api/v1/users/{id}/invite", tag = "users", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = InviteDto), (status = 404, body = Problem)))]
pub async fn invite_user(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<InviteDto>> {
    // The API does not know the address people open the box at, so the link is not e-mailed.
    Ok(Json(InviteDto { invite_path: crate::http::shared::invite(&app, &a.actor, UserId(id), None).await?.0 }))
}

#[utoipa::path(get, path = "/api/v1/roles", tag = "roles", security(("bearer" = [])), responses((status = 200, body = Vec<RoleDto>)))]
pub async fn list_roles(State(app): State<App>, a: Auth) -> Result<Json<Vec<RoleDto>>> {
    a.actor.require(Perm::EMPLOYEES)?;
    Ok(Json(query::roles(&app.db.read()?, a.actor.company)?.iter().map(RoleDto::from).collect()))
}

#[utoipa::path(get, path = "/api/v1/roles/{id}", tag = "roles", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = RoleDto), (status = 404, body = Problem)))]
pub async fn get_role(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<RoleDto>> {
    a.actor.require(Perm::EMPLOYEES)?;
    let r = query::role(&app.db.read()?, a.actor.company, RoleId(id))?;
    Ok(Json(RoleDto::from(&r)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    pub name: String,
    /// Permission codes, see `GET /api/v1/permissions`.
    pub permissions: Vec<String>,
}

#[utoipa::path(post, path = "/api/v1/roles", tag = "roles", security(("bearer" = [])), request_body = RoleInput,
    responses((status = 201, body = RoleDto), (status = 422, body = Problem)))]
pub async fn create_role(State(app): State<App>, a: Auth, Json(input): Json<RoleInput>) -> Result<(StatusCode, Json<RoleDto>)> {
    let r = save_role(app, a, None, input).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

#[utoipa::path(put, path = "/api/v1/roles/{id}", tag = "roles", security(("bearer" = [])), params(("id" = u64, Path)), request_body = RoleInput,
    responses((status = 200, body = RoleDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_role(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(input): Json<RoleInput>) -> Result<Json<RoleDto>> {
    Ok(Json(save_role(app, a, Some(RoleId(id)), input).await?))
}

async fn save_role(app: App, a: Auth, id: Option<RoleId>, input: RoleInput) -> Result<RoleDto> {
    let (now, company) = (app.now(), a.actor.company);
    let draft = RoleDraft { name: input.name, permissions: input.permissions };
    let r = app
        .db
        .write(move |tx| {
            let id = roles::save(tx, &a.actor, now, id, &draft)?;
            query::role(tx, company, id)
        })
        .await?;
    Ok(RoleDto::from(&r))
}

#[utoipa::path(delete, path = "/api/v1/roles/{id}", tag = "roles", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn delete_role(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| roles::delete(tx, &a.actor, now, RoleId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct PermissionDto {
    pub code: String,
    pub group: String,
    pub ru: String,
    pub en: String,
}

#[utoipa::path(get, path = "/api/v1/permissions", tag = "roles", security(("bearer" = [])), responses((status = 200, body = Vec<PermissionDto>)))]
pub async fn list_permissions(_a: Auth) -> Json<Vec<PermissionDto>> {
    Json(
        perms::ALL.iter().map(|p| PermissionDto { code: p.code.into(), group: p.group.into(), ru: p.ru.into(), en: p.en.into() }).collect(),
    )
}

/// Uploads the company logo (PNG, JPEG or WebP; at most `upload_limit_kb` and 40 megapixels).
/// It is decoded, shrunk to at most 512 px and stored re-encoded as PNG in the data file, so
/// that a backup stays one file; anything that does not decode is refused.
#[utoipa::path(put, path = "/api/v1/company/logo", tag = "company", security(("bearer" = [])),
    request_body(content = Vec<u8>, content_type = "image/png"),
    responses((status = 204), (status = 413, body = Problem), (status = 422, body = Problem), (status = 503, body = Problem)))]
pub async fn put_logo(State(app): State<App>, a: Auth, req: axum::extract::Request) -> Result<StatusCode> {
    // The right is checked before a byte of the file is read.
    a.actor.require(perms::Perm::SETTINGS)?;
    a.actor.require_writable()?;
    let (parts, body) = req.into_parts();
    let body = crate::http::extract::read_body(&parts.headers, body, app.config.upload_limit_kb * 1024).await?;
    if body.is_empty() {
        return Err(Error::field("logo", "required", "Выберите файл", "Choose a file"));
    }
    let bytes = body.to_vec();
    let (mime, bytes) = app.heavy(crate::app::Heavy::Image, move || crate::catalog::images::prepare_logo(&bytes)).await?;
    let logo = crate::tenancy::model::Logo { mime, bytes };
    let now = app.now();
    app.db.write(move |tx| ten::set_logo(tx, &a.actor, now, Some(logo))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/company/logo", tag = "company", security(("bearer" = [])), responses((status = 204)))]
pub async fn delete_logo(State(app): State<App>, a: Auth) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| ten::set_logo(tx, &a.actor, now, None)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/company/logo", tag = "company", security(("bearer" = [])),
    responses((status = 200, description = "the logo image"), (status = 404, body = Problem)))]
pub async fn get_logo(State(app): State<App>, a: Auth) -> Result<axum::response::Response> {
    use axum::response::IntoResponse;
    let c = query::company(&app.db.read()?, a.actor.company)?;
    let logo = c.logo.ok_or(Error::NotFound)?;
    Ok(([(axum::http::header::CONTENT_TYPE, logo.mime), (axum::http::header::CACHE_CONTROL, "private, no-cache".to_string())], logo.bytes)
        .into_response())
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(get_company, put_company))
        .routes(limited(routes!(get_logo, put_logo, delete_logo), limits.upload))
        .routes(routes!(list_branches, create_branch))
        .routes(routes!(get_branch, put_branch))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, put_user))
        .routes(routes!(deactivate_user))
        .routes(routes!(activate_user))
        .routes(routes!(invite_user))
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, put_role, delete_role))
        .routes(routes!(list_permissions))
}
