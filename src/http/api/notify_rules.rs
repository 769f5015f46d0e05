//! Notification rules and preferences API: `/api/v1/notify/rules` (right `notify_rules`, plan
//! feature `messaging`) with each rule's firing log, `/api/v1/notify/staff-whatsapp` (the
//! company's WhatsApp channel and template for staff), and `/api/v1/notify/preferences` (the
//! caller's own, per event: bell, e-mail and WhatsApp).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::RuleId;
use crate::messaging::rules::{self, Rule, RuleDraft, shift};

#[derive(Serialize, ToSchema)]
pub struct RuleDto {
    pub id: u64,
    pub name: String,
    /// `installment_due`, `debt_overdue`, `low_stock`, `telecom_low_balance`, `telecom_payment`.
    pub trigger: String,
    /// `debt_overdue`: at least this many days overdue.
    pub days: u32,
    /// `staff`, `email` or `whatsapp`.
    pub action: String,
    pub perm: String,
    pub email: String,
    pub template: Option<u64>,
    pub active: bool,
}

fn dto(r: &Rule) -> RuleDto {
    RuleDto {
        id: r.id.0,
        name: r.name.clone(),
        trigger: r.trigger.code().into(),
        days: r.days,
        action: r.action.code().into(),
        perm: r.perm.clone(),
        email: r.email.clone(),
        template: r.template.map(|t| t.0),
        active: r.active,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    pub trigger: String,
    #[serde(default)]
    pub days: u32,
    pub action: String,
    /// `staff`: the right whose holders are told (a permission code).
    #[serde(default)]
    pub perm: String,
    /// `email`: the address.
    #[serde(default)]
    pub email: String,
    /// `whatsapp`: the template id.
    #[serde(default)]
    pub template: Option<u64>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

impl RuleInput {
    fn draft(self) -> RuleDraft {
        RuleDraft {
            name: self.name,
            trigger: self.trigger,
            days: self.days.to_string(),
            action: self.action,
            perm: self.perm,
            email: self.email,
            template: self.template,
            active: self.active,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/notify/rules", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = Vec<RuleDto>), (status = 403, body = Problem)))]
pub async fn list(State(app): State<App>, a: Auth) -> Result<Json<Vec<RuleDto>>> {
    rules::require_admin(&a.actor)?;
    Ok(Json(rules::rules(&app.db.read()?, a.actor.company)?.iter().map(dto).collect()))
}

async fn save(app: App, a: Auth, id: Option<RuleId>, i: RuleInput) -> Result<RuleDto> {
    rules::require_admin(&a.actor)?;
    let (now, c, d) = (app.now(), a.actor.company, i.draft());
    let r = app
        .db
        .write(move |tx| {
            let id = rules::save_rule(tx, &a.actor, now, id, &d)?;
            rules::rule(tx, c, id)
        })
        .await?;
    Ok(dto(&r))
}

#[utoipa::path(post, path = "/api/v1/notify/rules", tag = "notify", security(("bearer" = [])), request_body = RuleInput,
    responses((status = 201, body = RuleDto), (status = 422, body = Problem)))]
pub async fn create(State(app): State<App>, a: Auth, Json(i): Json<RuleInput>) -> Result<(StatusCode, Json<RuleDto>)> {
    Ok((StatusCode::CREATED, Json(save(app, a, None, i).await?)))
}

#[utoipa::path(get, path = "/api/v1/notify/rules/{id}", tag = "notify", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = RuleDto), (status = 404, body = Problem)))]
pub async fn one(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<RuleDto>> {
    rules::require_admin(&a.actor)?;
    Ok(Json(dto(&rules::rule(&app.db.read()?, a.actor.company, RuleId(id))?)))
}

#[utoipa::path(put, path = "/api/v1/notify/rules/{id}", tag = "notify", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = RuleInput, responses((status = 200, body = RuleDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<RuleInput>) -> Result<Json<RuleDto>> {
    Ok(Json(save(app, a, Some(RuleId(id)), i).await?))
}

#[utoipa::path(delete, path = "/api/v1/notify/rules/{id}", tag = "notify", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    rules::require_admin(&a.actor)?;
    let now = app.now();
    app.db.write(move |tx| rules::delete_rule(tx, &a.actor, now, RuleId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct FiredDto {
    /// The company's local day, YYYYMMDD.
    pub day: u32,
    pub subject: u64,
    pub at_ms: i64,
    pub text: String,
    pub outcome: String,
}

fn fired_dtos(rows: Vec<(u32, u64, rules::Fired)>) -> Vec<FiredDto> {
    rows.into_iter().map(|(day, subject, f)| FiredDto { day, subject, at_ms: f.at.0, text: f.text, outcome: f.outcome }).collect()
}

#[utoipa::path(get, path = "/api/v1/notify/rules/{id}/log", tag = "notify", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<FiredDto>), (status = 404, body = Problem)))]
pub async fn log(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<FiredDto>>> {
    rules::require_admin(&a.actor)?;
    let tx = app.db.read()?;
    let r = rules::rule(&tx, a.actor.company, RuleId(id))?;
    let rows = rules::fired(&tx, a.actor.company, r.id, 200)?;
    Ok(Json(fired_dtos(rows)))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefsDto {
    /// Events not shown in the bell (`installment_due`, …, `inbox`).
    pub muted: Vec<String>,
    /// Events also sent by e-mail.
    pub email: Vec<String>,
    /// Events also sent as the company's staff WhatsApp template (to the user's phone).
    #[serde(default)]
    pub whatsapp: Vec<String>,
}

#[utoipa::path(get, path = "/api/v1/notify/preferences", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = PrefsDto)))]
pub async fn get_prefs(State(app): State<App>, a: Auth) -> Result<Json<PrefsDto>> {
    let tx = app.db.read()?;
    let p = rules::prefs(&tx, a.actor.company, a.actor.user)?;
    let whatsapp = rules::whatsapp::wanted(&tx, a.actor.company, a.actor.user)?;
    Ok(Json(PrefsDto { muted: p.muted, email: p.email, whatsapp }))
}

#[utoipa::path(put, path = "/api/v1/notify/preferences", tag = "notify", security(("bearer" = [])), request_body = PrefsDto,
    responses((status = 200, body = PrefsDto), (status = 422, body = Problem)))]
pub async fn put_prefs(State(app): State<App>, a: Auth, Json(i): Json<PrefsDto>) -> Result<Json<PrefsDto>> {
    let (c, u) = (a.actor.company, a.actor.user);
    let (p, whatsapp) = app
        .db
        .write(move |tx| {
            let p = rules::save_prefs(tx, &a.actor, &i.muted, &i.email, &i.whatsapp)?;
            Ok::<_, crate::error::Error>((p, rules::whatsapp::wanted(tx, c, u)?))
        })
        .await?;
    Ok(Json(PrefsDto { muted: p.muted, email: p.email, whatsapp }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftShortDto {
    /// Tell the owners and admins of a shift closed at least this much short ("0": any shortage).
    pub threshold: String,
    #[serde(default = "yes")]
    pub active: bool,
}

/// The built-in "shift closed short" rule: its threshold and switch.
#[utoipa::path(get, path = "/api/v1/notify/shift-short", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = ShiftShortDto), (status = 403, body = Problem)))]
pub async fn get_shift_short(State(app): State<App>, a: Auth) -> Result<Json<ShiftShortDto>> {
    rules::require_admin(&a.actor)?;
    let s = shift::settings(&app.db.read()?, a.actor.company)?;
    Ok(Json(ShiftShortDto { threshold: s.threshold.to_string(), active: s.active }))
}

#[utoipa::path(put, path = "/api/v1/notify/shift-short", tag = "notify", security(("bearer" = [])), request_body = ShiftShortDto,
    responses((status = 200, body = ShiftShortDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_shift_short(State(app): State<App>, a: Auth, Json(i): Json<ShiftShortDto>) -> Result<Json<ShiftShortDto>> {
    rules::require_admin(&a.actor)?;
    let now = app.now();
    let s = app.db.write(move |tx| shift::save(tx, &a.actor, now, &i.threshold, i.active)).await?;
    Ok(Json(ShiftShortDto { threshold: s.threshold.to_string(), active: s.active }))
}

/// The built-in rule's firings, newest first (the subject is the shift id).
#[utoipa::path(get, path = "/api/v1/notify/shift-short/log", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = Vec<FiredDto>), (status = 403, body = Problem)))]
pub async fn shift_short_log(State(app): State<App>, a: Auth) -> Result<Json<Vec<FiredDto>>> {
    rules::require_admin(&a.actor)?;
    let rows = rules::fired(&app.db.read()?, a.actor.company, shift::SHIFT_RULE, 200)?;
    Ok(Json(fired_dtos(rows)))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffWhatsAppDto {
    /// The company's WhatsApp channel staff notifications go out from (null with `template`: off).
    pub channel: Option<u64>,
    /// An active template with at most 3 variables: {{1}} the text, {{2}} the subject, {{3}} the link.
    pub template: Option<u64>,
}

/// The WhatsApp channel and template for staff who want notifications by WhatsApp.
#[utoipa::path(get, path = "/api/v1/notify/staff-whatsapp", tag = "notify", security(("bearer" = [])),
    responses((status = 200, body = StaffWhatsAppDto), (status = 403, body = Problem)))]
pub async fn get_staff_whatsapp(State(app): State<App>, a: Auth) -> Result<Json<StaffWhatsAppDto>> {
    rules::require_admin(&a.actor)?;
    let s = rules::whatsapp::settings(&app.db.read()?, a.actor.company)?;
    Ok(Json(StaffWhatsAppDto { channel: s.as_ref().map(|s| s.channel.0), template: s.map(|s| s.template.0) }))
}

#[utoipa::path(put, path = "/api/v1/notify/staff-whatsapp", tag = "notify", security(("bearer" = [])), request_body = StaffWhatsAppDto,
    responses((status = 200, body = StaffWhatsAppDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn put_staff_whatsapp(State(app): State<App>, a: Auth, Json(i): Json<StaffWhatsAppDto>) -> Result<Json<StaffWhatsAppDto>> {
    rules::require_admin(&a.actor)?;
    let now = app.now();
    let s = app.db.write(move |tx| rules::whatsapp::save(tx, &a.actor, now, i.channel, i.template)).await?;
    Ok(Json(StaffWhatsAppDto { channel: s.as_ref().map(|s| s.channel.0), template: s.map(|s| s.template.0) }))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one, put, delete))
        .routes(routes!(log))
        .routes(routes!(get_prefs, put_prefs))
        .routes(routes!(get_shift_short, put_shift_short))
        .routes(routes!(shift_short_log))
        .routes(routes!(get_staff_whatsapp, put_staff_whatsapp))
}
