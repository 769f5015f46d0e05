//! Sign-in, token refresh, sign-out, password change and `/me`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Limits;
use super::dto::{BranchDto, CompanyDto, MeDto, UserDto, scope_id};
use super::public;
use crate::app::App;
use crate::auth::limiter::{Pace, SLOW_DOWN};
use crate::auth::{self, Refreshed};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, ClientIp, Json, Via};
use crate::http::problem::Problem;
use crate::ids::CompanyId;
use crate::tenancy::model::{self, Access, User};
use crate::tenancy::{store, users};
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

/// Checks e-mail and password under the sign-in limits; the same path serves the API and the
/// sign-in page.
pub async fn authenticate(app: &App, ip: &str, email: &str, password: &str) -> Result<(CompanyId, User)> {
    let now = app.now();
    let email = email.trim().to_lowercase();
    if email.is_empty() || password.is_empty() || email.len() > 254 || password.len() > 1024 {
        return Err(Error::BadCredentials);
    }
    let pace = app.limiter.attempt(ip, &email, now).map_err(|retry_after_s| Error::RateLimited { retry_after_s })?;
    if pace == Pace::Slow {
        tokio::time::sleep(SLOW_DOWN).await;
    }
    let found = auth::lookup_login(&app.db.read()?, &email)?;
    let hash = found.as_ref().and_then(|(_, u)| u.password.clone());
    let ok = app.hasher.verify(password.to_string(), hash).await?;
    match found {
        Some((company, user)) if ok => {
            app.limiter.succeeded(ip, &email);
            app.metrics.logins_ok.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let c = store::company(&app.db.read()?, company)?.ok_or(Error::BadCredentials)?;
            if !c.active && !user.platform_admin {
                return Err(Error::CompanyInactive);
            }
            Ok((company, user))
        }
        _ => {
            app.limiter.failed(ip, &email, now);
            app.metrics.logins_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Err(Error::BadCredentials)
        }
    }
}

/// Records a successful sign-in (last login and audit row) in the transaction that also
/// creates the session or token family.
pub fn record_login(
    tx: &mut crate::storage::WriteTx,
    company: CompanyId,
    user: &User,
    ip: &str,
    now: crate::clock::Ts,
    how: &str,
) -> Result<()> {
    if let Some(old) = tx.get(store::USERS, (company.0, user.id.0))? {
        let mut new = old.clone();
        new.last_login = Some(now);
        store::put_user(tx, company, Some(&old), &new)?;
    }
    crate::audit::record_system(tx, company, (Some(user.id), &user.name), ip, now, how, format!("user:{}", user.id))?;
    Ok(())
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
pub async fn login(State(app): State<App>, ClientIp(ip): ClientIp, Json(req): Json<LoginRequest>) -> Result<Json<LoginResponse>> {
    let (company, user) = authenticate(&app, &ip, &req.email, &req.password).await?;
    let now = app.now();
    let life = app.lifetimes();
    let a = app.clone();
    let (tokens, company_rec) = app
        .db
        .write(move |tx| {
            record_login(tx, company, &user, &ip, now, "auth.login_api")?;
            let tokens = auth::issue_tokens(tx, &a.keys, now, life, company, &user)?;
            let c = tx.get(store::COMPANIES, company.0)?.ok_or(Error::NotFound)?;
            let u = tx.get(store::USERS, (company.0, user.id.0))?.ok_or(Error::NotFound)?;
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
    change_password_inner(&app, &a, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn change_password_inner(app: &App, a: &Auth, current: &str, new: &str) -> Result<()> {
    let new = model::parse_password("new_password", new).map_err(|e| Error::Validation(vec![e]))?;
    let user = app.db.read()?.get(store::USERS, (a.actor.company.0, a.actor.user.0))?.ok_or(Error::NotFound)?;
    // Guessing the current password is limited like signing in.
    let now = app.now();
    let pace = app.limiter.attempt(&a.actor.ip, &user.email, now).map_err(|retry_after_s| Error::RateLimited { retry_after_s })?;
    if pace == Pace::Slow {
        tokio::time::sleep(SLOW_DOWN).await;
    }
    if !app.hasher.verify(current.to_string(), user.password.clone()).await? {
        app.limiter.failed(&a.actor.ip, &user.email, now);
        return Err(Error::field("current_password", "wrong_password", "Неверный текущий пароль", "The current password is wrong"));
    }
    let hash = app.hasher.hash(new).await?;
    let (company, uid, ip, now) = (a.actor.company, a.actor.user, a.actor.ip.clone(), app.now());
    app.db.write(move |tx| users::set_password(tx, company, uid, hash, now, &ip)).await
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = MeDto), (status = 401, body = Problem)))]
pub async fn me(State(app): State<App>, a: Auth) -> Result<Json<MeDto>> {
    Ok(Json(me_dto(&app, &a)?))
}

pub fn me_dto(app: &App, a: &Auth) -> Result<MeDto> {
    let tx = app.db.read()?;
    let user = tx.get(store::USERS, (a.actor.company.0, a.actor.user.0))?.ok_or(Error::NotFound)?;
    let company = store::company(&tx, a.actor.company)?.ok_or(Error::NotFound)?;
    let branches = store::branches(&tx, a.actor.company)?
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
