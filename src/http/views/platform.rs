//! The platform operator's pages: every company of the box with its subscription, new
//! companies with their owner, and the plans that switch modules on.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use super::{Choice, Errors, Fields, Shell, Ui, rejected, render, see_other};
use crate::app::App;
use crate::error::{Error, FieldError, Result};
use crate::http::extract::Path;
use crate::http::shared;
use crate::i18n::Lang;
use crate::ids::{CompanyId, PlanId};
use crate::tenancy::model::{Access, FEATURES, Plan};
use crate::tenancy::{self, CompanyDraft, PlanDraft, query};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/platform", get(page))
        .route("/platform/companies", post(create_company))
        .route("/platform/companies/{id}", get(company_page).post(save_subscription))
        .route("/platform/companies/{id}/slug", post(save_slug))
        .route("/platform/plans", post(create_plan))
        .route("/platform/plans/new", get(new_plan_page))
        .route("/platform/plans/{id}", get(plan_page).post(save_plan))
}

pub struct CompanyRow {
    pub id: u64,
    pub name: String,
    pub country: &'static str,
    pub owner_email: String,
    /// "full", "grace", "read_only" or "inactive" (a CSS class too).
    pub access: &'static str,
    pub access_label: &'static str,
    pub plan: String,
    pub end: String,
    pub users: usize,
}

pub struct PlanRow {
    pub id: u64,
    pub name: String,
    pub price: String,
    pub features: String,
}

#[derive(Template)]
#[template(path = "platform.html")]
struct PlatformPage {
    lang: Lang,
    shell: Shell,
    companies: Vec<CompanyRow>,
    plans: Vec<PlanRow>,
    draft: CompanyDraft,
    plan_choices: Vec<Choice>,
    errs: Errors,
}

const COMPANY_FIELDS: &[&str] = &["name", "country", "owner_name", "owner_email", "owner_password", "plan"];

fn plan_choices(plans: &[Plan], selected: Option<PlanId>) -> Vec<Choice> {
    plans.iter().map(|p| Choice { value: p.id.0.to_string(), label: p.name.clone(), selected: selected == Some(p.id) }).collect()
}

fn feature_label(lang: Lang, code: &str) -> &str {
    FEATURES.iter().find(|f| f.0 == code).map(|f| lang.pick(f.1, f.2)).unwrap_or(code)
}

fn platform_page_for(app: &App, ui: &Ui, draft: CompanyDraft, errs: Errors) -> Result<PlatformPage> {
    ui.actor().require_platform_admin()?;
    let shell = Shell::load(app, ui)?;
    let lang = ui.lang;
    let (tx, now) = (app.db.read()?, app.now());
    let plans = query::plans(&tx)?;
    let mut companies = Vec::new();
    for c in query::companies(&tx)? {
        let users = query::users(&tx, c.id)?;
        let access = match (c.active, c.access(now)) {
            (false, _) => "inactive",
            (true, Access::Full) => "full",
            (true, Access::Grace { .. }) => "grace",
            (true, Access::ReadOnly) => "read_only",
        };
        companies.push(CompanyRow {
            id: c.id.0,
            country: c.country.code(),
            owner_email: users.iter().find(|u| u.id == c.owner).map(|u| u.email.clone()).unwrap_or_default(),
            access,
            access_label: lang.t(&format!("platform.access_{access}")),
            plan: plans.iter().find(|p| p.id == c.plan).map(|p| p.name.clone()).unwrap_or_default(),
            end: c.subscription_end.map(|t| t.date_local(&c.timezone)).unwrap_or_default(),
            users: users.iter().filter(|u| u.active).count(),
            name: c.name,
        });
    }
    let plan_rows = plans
        .iter()
        .map(|p| PlanRow {
            id: p.id.0,
            name: p.name.clone(),
            price: p.monthly_price.to_string(),
            features: p.features.iter().map(|f| feature_label(lang, f)).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let plan_choices = plan_choices(&plans, draft.plan);
    Ok(PlatformPage { lang, shell, companies, plans: plan_rows, draft, plan_choices, errs })
}

pub async fn page(State(app): State<App>, ui: Ui) -> Result<Response> {
    let draft = CompanyDraft { country: "KG".into(), ..CompanyDraft::default() };
    render(StatusCode::OK, &platform_page_for(&app, &ui, draft, Errors::default())?)
}

pub async fn create_company(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    ui.actor().require_platform_admin()?;
    let draft = CompanyDraft {
        name: f.get("name"),
        country: f.get("country"),
        owner_name: f.get("owner_name"),
        owner_email: f.get("owner_email"),
        owner_password: f.get("owner_password"),
        plan: f.id("plan").map(PlanId),
    };
    match shared::create_company(&app, Some(ui.actor()), &ui.actor().ip, draft.clone()).await {
        Ok(_) => Ok(see_other("/platform?ok=company_created")),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, COMPANY_FIELDS);
            let draft = CompanyDraft { owner_password: String::new(), ..draft };
            render(StatusCode::UNPROCESSABLE_ENTITY, &platform_page_for(&app, &ui, draft, errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "company_edit.html")]
struct CompanyPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    timezone: String,
    plans: Vec<Choice>,
    end: String,
    grace_days: String,
    active: bool,
    errs: Errors,
    slug: String,
    slug_errs: Errors,
}

const SUBSCRIPTION_FIELDS: &[&str] = &["plan", "end", "grace_days", "active"];

pub async fn company_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require_platform_admin()?;
    let tx = app.db.read()?;
    let c = query::company(&tx, CompanyId(id))?;
    let page = CompanyPage {
        lang: ui.lang,
        shell: Shell::load(&app, &ui)?,
        id,
        plans: plan_choices(&query::plans(&tx)?, Some(c.plan)),
        end: c.subscription_end.map(|t| t.date_local(&c.timezone)).unwrap_or_default(),
        grace_days: c.grace_days.to_string(),
        active: c.active,
        slug: query::company_slug(&tx, c.id).unwrap_or_default(),
        name: c.name,
        timezone: c.timezone,
        errs: Errors::default(),
        slug_errs: Errors::default(),
    };
    render(StatusCode::OK, &page)
}

pub async fn save_subscription(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    // Before anything else: the 422 page below shows the company's name.
    ui.actor().require_platform_admin()?;
    let number = |field: &str, key: &str| FieldError::new(field, "number", Lang::Ru.t(key), Lang::En.t(key));
    let input = match (f.id("plan"), f.get("grace_days").trim().parse::<u32>()) {
        (Some(plan), Ok(grace_days)) => Ok((PlanId(plan), grace_days)),
        (None, _) => Err(Error::Validation(vec![FieldError::required("plan")])),
        (_, Err(_)) => Err(Error::Validation(vec![number("grace_days", "platform.grace_number")])),
    };
    let saved = match input {
        Ok((plan, grace_days)) => {
            shared::set_subscription(&app, ui.actor(), CompanyId(id), plan, Some(&f.get("end")), grace_days, f.has("active")).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(see_other("/platform?ok=subscription_saved")),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, SUBSCRIPTION_FIELDS);
            let tx = app.db.read()?;
            let c = query::company(&tx, CompanyId(id))?;
            let page = CompanyPage {
                lang: ui.lang,
                shell: Shell::load(&app, &ui)?,
                id,
                name: c.name,
                timezone: c.timezone,
                plans: plan_choices(&query::plans(&tx)?, f.id("plan").map(PlanId)),
                end: f.get("end"),
                grace_days: f.get("grace_days"),
                active: f.has("active"),
                errs,
                slug: query::company_slug(&tx, CompanyId(id)).unwrap_or_default(),
                slug_errs: Errors::default(),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// The platform operator changes any company's slug.
pub async fn save_slug(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    ui.actor().require_platform_admin()?;
    let (now, actor, raw) = (app.now(), ui.actor().clone(), f.get("slug"));
    match app.db.write(move |tx| tenancy::slug::set_slug(tx, &actor, now, CompanyId(id), &raw)).await {
        Ok(_) => Ok(see_other(&format!("/platform/companies/{id}?ok=saved"))),
        Err(e) => {
            let slug_errs = Errors::new(&rejected(e)?, ui.lang, &["slug"]);
            let tx = app.db.read()?;
            let c = query::company(&tx, CompanyId(id))?;
            let page = CompanyPage {
                lang: ui.lang,
                shell: Shell::load(&app, &ui)?,
                id,
                plans: plan_choices(&query::plans(&tx)?, Some(c.plan)),
                end: c.subscription_end.map(|t| t.date_local(&c.timezone)).unwrap_or_default(),
                grace_days: c.grace_days.to_string(),
                active: c.active,
                slug: f.get("slug"),
                name: c.name,
                timezone: c.timezone,
                errs: Errors::default(),
                slug_errs,
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "plan_edit.html")]
struct PlanPage {
    lang: Lang,
    shell: Shell,
    id: Option<u64>,
    name: String,
    price: String,
    features: Vec<Choice>,
    errs: Errors,
}

fn plan_page_for(app: &App, ui: &Ui, id: Option<u64>, draft: PlanDraft, errs: Errors) -> Result<PlanPage> {
    ui.actor().require_platform_admin()?;
    let features = FEATURES
        .iter()
        .map(|(code, ru, en)| Choice {
            value: code.to_string(),
            label: ui.lang.pick(ru, en).into(),
            selected: draft.features.iter().any(|f| f == code),
        })
        .collect();
    Ok(PlanPage { lang: ui.lang, shell: Shell::load(app, ui)?, id, name: draft.name, price: draft.monthly_price, features, errs })
}

pub async fn new_plan_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    let draft = PlanDraft { monthly_price: "0".into(), ..PlanDraft::default() };
    render(StatusCode::OK, &plan_page_for(&app, &ui, None, draft, Errors::default())?)
}

pub async fn plan_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require_platform_admin()?;
    let p = query::plan(&app.db.read()?, PlanId(id))?;
    let draft = PlanDraft { name: p.name, monthly_price: p.monthly_price.to_string(), features: p.features };
    render(StatusCode::OK, &plan_page_for(&app, &ui, Some(id), draft, Errors::default())?)
}

async fn save(app: App, ui: Ui, id: Option<u64>, f: Fields) -> Result<Response> {
    ui.actor().require_platform_admin()?;
    let draft = PlanDraft { name: f.get("name"), monthly_price: f.get("monthly_price"), features: f.all("features") };
    let (now, actor, saving) = (app.now(), ui.actor().clone(), draft.clone());
    match app.db.write(move |tx| tenancy::save_plan(tx, &actor, now, id.map(PlanId), &saving)).await {
        Ok(_) => Ok(see_other("/platform?ok=plan_saved")),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, &["name", "monthly_price", "features"]);
            render(StatusCode::UNPROCESSABLE_ENTITY, &plan_page_for(&app, &ui, id, draft, errs)?)
        }
    }
}

pub async fn create_plan(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    save(app, ui, None, f).await
}

pub async fn save_plan(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    save(app, ui, Some(id), f).await
}
