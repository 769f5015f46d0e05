//! Sign-in, token refresh, sign-out, password change and `/me`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use super::dto::{BranchDto, CompanyDto, MeDto, UserDto, scope_id};
use super::public;
use crate::app::App;
use crate::auth::{self, Refreshed};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, ClientIp, Json, Via};
use crate::http::problem::Problem;
use crate::http::shared;
use crate::tenancy::model::Access;
use crate::tenancy::{query, users};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    pub user: UserDto,
    pub company: CompanyDto,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct RefreshResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    pub expires_in: i64,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn login(State(app): State<App>, ClientIp(ip): ClientIp, Json(req): Json<LoginRequest>) -> Result<Json<LoginResponse>> {
    let (company, user) = shared::authenticate(&app, &ip, &req.email, &req.password).await?;
    let now = app.now();
    let life = app.lifetimes();
    let a = app.clone();
    let (tokens, company_rec) = app
        .db
        .write(move |tx| {
            users::record_login(tx, company, &user, &ip, now, "auth.login_api")?;
            let tokens = auth::issue_tokens(tx, &a.keys, now, life, company, &user)?;
            let c = query::company(tx, company)?;
            let u = query::user(tx, company, user.id)?;
            Ok::<_, Error>(((tokens, u), c))
        })
        .await?;
    let ((tokens, user), company) = (tokens, company_rec);
    Ok(Json(LoginResponse {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        token_type: "Bearer".into(),
        expires_in: tokens.expires_in,
        user: UserDto::from(&user),
        company: CompanyDto::from(&company),
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = RefreshResponse), (status = 401, body = Problem)))]
pub async fn refresh(State(app): State<App>, Json(req): Json<RefreshRequest>) -> Result<Json<RefreshResponse>> {
    let now = app.now();
    let life = app.lifetimes();
    let a = app.clone();
    let outcome = app.db.write(move |tx| auth::refresh(tx, &a.keys, now, life, &req.refresh_token)).await?;
    match outcome {
        Refreshed::Rotated(t) => Ok(Json(RefreshResponse {
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            token_type: "Bearer".into(),
            expires_in: t.expires_in,
        })),
        Refreshed::ReuseDetected => Err(Error::TokenInvalid),
    }
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = Problem)))]
pub async fn logout(State(app): State<App>, a: Auth) -> Result<StatusCode> {
    let via = a.via.clone();
    app.db
        .write(move |tx| match via {
            Via::Bearer { family } => auth::revoke_family(tx, family),
            Via::Cookie { token, .. } => auth::end_session(tx, &token),
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the caller's password; every other session and token of theirs ends.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordRequest,
    responses((status = 204), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn change_password(State(app): State<App>, a: Auth, Json(req): Json<PasswordRequest>) -> Result<StatusCode> {
    shared::change_password(&app, &a.actor, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeDto), (status = 401, body = Problem)))]
pub async fn me(State(app): State<App>, a: Auth) -> Result<Json<MeDto>> {
    Ok(Json(me_dto(&app, &a)?))
}

pub fn me_dto(app: &App, a: &Auth) -> Result<MeDto> {
    let tx = app.db.read()?;
    let user = query::user(&tx, a.actor.company, a.actor.user)?;
    let company = query::company(&tx, a.actor.company)?;
    let branches = query::branches(&tx, a.actor.company)?
        .iter()
        .filter(|b| b.active && (a.actor.owner_like() || user.branches.contains(&b.id)))
        .map(BranchDto::from)
        .collect();
    let permissions = if a.actor.owner_like() { crate::tenancy::perms::PermSet::all() } else { a.actor.perms };
    Ok(MeDto {
        user: UserDto::from(&user),
        company: CompanyDto::from(&company),
        branches,
        active_branch: scope_id(&a.actor),
        permissions: permissions.codes().into_iter().map(String::from).collect(),
        features: a.actor.features.clone(),
        access: match a.actor.access {
            Access::Full => "full",
            Access::Grace { .. } => "grace",
            Access::ReadOnly => "read_only",
        }
        .into(),
    })
}

/// The routes anyone may call, small bodies only (see [`crate::http::public`]).
pub fn public_routes(limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(public(routes!(login), limits.public)).routes(public(routes!(refresh), limits.public))
}

/// This file's routes for a signed-in caller; each handler's `#[utoipa::path]` is its
/// OpenAPI entry, so a route and its documentation are one declaration.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(logout)).routes(routes!(change_password)).routes(routes!(me))
}
