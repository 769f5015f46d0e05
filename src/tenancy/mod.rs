//! Tenancy: companies (the tenants), their branches, users, roles and subscription plans.
//!
//! Invariants:
//! - every company has exactly one active owner, who cannot be deactivated or demoted;
//! - a login e-mail belongs to at most one active user in the whole box (`LOGINS`);
//! - a user's memberships name branches of their own company, and the primary branch is one
//!   of them;
//! - every write here appends its audit row in the same transaction;
//! - nobody acts on a user more privileged than themselves or hands out a rank, right or
//!   branch they do not hold (`rights`: the one rule, used by every path that changes who can
//!   do what);
//! - refusing an e-mail that another company's user signs in with gives no reason
//!   (`email_unavailable`), since logins stay box-wide: sign-in knows only the e-mail.
//!
//! Use-case functions take the write transaction, the `Actor` and the clock's `now`; the
//! HTTP layer hashes passwords before it opens the transaction (argon2 is slow).

pub mod actor;
pub mod branches;
pub mod model;
pub mod perms;
pub mod query;
pub mod rights;
pub mod roles;
pub mod signup;
pub mod slug;
pub mod store;
pub mod users;

use rust_decimal::Decimal;

use crate::audit;
use crate::clock::Ts;
use crate::country::Country;
use crate::error::{Error, FieldError, Problems, Result};
use crate::i18n::Lang;
use crate::ids::{BranchId, CompanyId, PlanId, RoleId, UserId};
use crate::storage::{Read, ReadTx, WriteTx};
use actor::Actor;
use model::{Branch, Company, Legal, Plan, Role, SystemRole, User};
use store::{BRANCHES, COMPANIES, LOGINS, PLANS, ROLES};

/// A new company with its owner, as typed into the first-run page or the platform page.
#[derive(Debug, Clone, Default)]
pub struct CompanyDraft {
    pub name: String,
    pub country: String,
    pub owner_name: String,
    pub owner_email: String,
    pub owner_password: String,
    pub plan: Option<PlanId>,
}

#[derive(Debug, Clone)]
pub struct ParsedCompany {
    pub name: String,
    pub country: Country,
    pub owner_name: String,
    pub owner_email: String,
    pub owner_password: String,
    pub plan: Option<PlanId>,
}

impl CompanyDraft {
    /// Checks every field at once.
    pub fn parse(&self) -> Result<ParsedCompany> {
        let mut p = Problems::default();
        let name = p.take(model::parse_name("name", &self.name, 200));
        let country = p.take(model::parse_country("country", &self.country));
        let owner_name = p.take(model::parse_name("owner_name", &self.owner_name, 200));
        let owner_email = p.take(model::parse_email("owner_email", &self.owner_email));
        let owner_password = p.take(model::parse_password("owner_password", &self.owner_password));
        p.finish()?;
        match (name, country, owner_name, owner_email, owner_password) {
            (Some(name), Some(country), Some(owner_name), Some(owner_email), Some(owner_password)) => {
                Ok(ParsedCompany { name, country, owner_name, owner_email, owner_password, plan: self.plan })
            }
            _ => Err(Error::Internal("company draft parsed without values".into())),
        }
    }
}

/// Who creates a company: first-run setup (the owner becomes the box's platform operator),
/// the platform operator, or the CLI.
pub enum Creator<'a> {
    FirstRun {
        ip: &'a str,
    },
    Platform(&'a Actor),
    Cli,
    /// The public sign-up page (`signup::register`), when the operator opened it.
    Signup {
        ip: &'a str,
    },
}

/// The company's time zone (an IANA name such as `Asia/Bishkek`): every "today", every day
/// boundary of a report and every printed time is taken in it. A company that does not exist
/// is an error, never a silent fall back to UTC.
pub fn timezone(tx: &impl Read, company: CompanyId) -> Result<String> {
    match store::company(tx, company)? {
        Some(c) => Ok(c.timezone),
        None => Err(Error::NotFound),
    }
}

pub fn is_set_up(tx: &ReadTx) -> Result<bool> {
    Ok(tx.len(COMPANIES)? > 0)
}

/// The plans every box starts with; returns the id of the all-inclusive plan.
pub fn ensure_default_plans(tx: &mut WriteTx, now: Ts) -> Result<PlanId> {
    if let Some((id, _)) = tx.list(PLANS, 0, u64::MAX, 1)?.into_iter().next() {
        return Ok(PlanId(id));
    }
    let defaults: [(&str, Decimal, Vec<String>); 3] = [
        ("Всё включено", Decimal::new(0, 0), model::all_features()),
        ("Магазин", Decimal::new(1500, 0), ["catalog", "pos", "clients", "agents", "analytics", "scales"].map(String::from).to_vec()),
        ("Телеком", Decimal::new(3000, 0), ["telecom", "clients", "analytics"].map(String::from).to_vec()),
    ];
    let mut first = None;
    for (name, price, features) in defaults {
        let id = PlanId(tx.next_id()?);
        tx.insert(PLANS, id.0, &Plan { id, name: name.to_string(), monthly_price: price, features, created: now })?;
        first.get_or_insert(id);
    }
    first.ok_or_else(|| Error::Internal("no default plan".into()))
}

/// Creates a company with its owner, a main branch and the preset roles. `owner_hash` is the
/// owner's argon2 hash, computed before the transaction.
pub fn create_company(
    tx: &mut WriteTx,
    now: Ts,
    draft: &ParsedCompany,
    owner_hash: String,
    creator: Creator<'_>,
) -> Result<(CompanyId, UserId)> {
    if let Creator::FirstRun { .. } = creator
        && tx.list(COMPANIES, 0, u64::MAX, 1)?.into_iter().next().is_some()
    {
        return Err(Error::AlreadySetUp);
    }
    if tx.get(LOGINS, draft.owner_email.as_str())?.is_some() {
        return Err(Error::Validation(vec![email_taken("owner_email", &draft.owner_email)]));
    }
    let default_plan = ensure_default_plans(tx, now)?;
    let plan = match draft.plan {
        Some(p) if tx.get(PLANS, p.0)?.is_some() => p,
        Some(_) => return Err(Error::field("plan", "unknown_plan", "Нет такого тарифа", "No such plan")),
        None => default_plan,
    };
    let company = CompanyId(tx.next_id()?);
    let owner = UserId(tx.next_id()?);
    let branch = BranchId(tx.next_id()?);
    let timezone = draft.country.default_timezone().to_string();
    tx.insert(
        COMPANIES,
        company.0,
        &Company {
            id: company,
            name: draft.name.clone(),
            country: draft.country,
            timezone: timezone.clone(),
            plan,
            owner,
            legal: Legal::default(),
            phones: Vec::new(),
            created: now,
            subscription_end: None,
            grace_days: 7,
            active: true,
            logo: None,
        },
    )?;
    tx.insert(
        BRANCHES,
        (company.0, branch.0),
        &Branch {
            id: branch,
            name: "Главный филиал".into(),
            code: "B001".into(),
            address: String::new(),
            phone: String::new(),
            timezone,
            active: true,
            plan: None,
            created: now,
        },
    )?;
    for (key, name, perms) in perms::presets() {
        let id = RoleId(tx.next_id()?);
        tx.insert(ROLES, (company.0, id.0), &Role { id, name: name.to_string(), perms, preset: Some(key.to_string()), created: now })?;
    }
    let user = User {
        id: owner,
        email: draft.owner_email.clone(),
        name: draft.owner_name.clone(),
        phone: String::new(),
        role: SystemRole::Owner,
        custom_role: None,
        branches: vec![branch],
        primary_branch: Some(branch),
        active: true,
        deactivated: None,
        password: Some(owner_hash),
        lang: Lang::Ru,
        token_version: 0,
        platform_admin: matches!(creator, Creator::FirstRun { .. }),
        created: now,
        last_login: None,
    };
    store::put_user(tx, company, None, &user)?;
    slug::assign_default(tx, company, &draft.name)?;
    let target = format!("company:{company}");
    match creator {
        Creator::FirstRun { ip } => audit::record_system(tx, company, (Some(owner), &user.name), ip, now, "company.setup", target)?,
        Creator::Cli => audit::record_system(tx, company, (None, "cli"), "", now, "company.create", target)?,
        Creator::Signup { ip } => audit::record_system(tx, company, (Some(owner), &user.name), ip, now, "company.signup", target)?,
        Creator::Platform(actor) => audit::record(tx, company, actor, now, "company.create", target, draft.name.clone())?,
    }
    Ok((company, owner))
}

pub(crate) fn email_taken(field: &str, email: &str) -> FieldError {
    FieldError::new(field, "email_taken", format!("E-mail {email} уже занят"), format!("E-mail {email} is already taken"))
}

/// A reaction to a company's settings changing, run in the same transaction (registered in
/// `wiring`: a new time zone rebuilds the daily sales totals).
pub type CompanyChanged = fn(&mut WriteTx, &Company, &Company) -> std::result::Result<(), crate::storage::StorageError>;

/// A reaction to users whose rights changed or who left (deactivated, demoted, their role
/// edited), run in the same transaction; registered in `wiring` (auth drops the
/// invitation links they hold).
pub type UsersRightsChanged = fn(&mut WriteTx, CompanyId, &[UserId]) -> Result<()>;

/// Runs the [`UsersRightsChanged`] reactions.
pub(crate) fn rights_changed(tx: &mut WriteTx, company: CompanyId, users: &[UserId]) -> Result<()> {
    for hook in tx.hooks().of::<UsersRightsChanged>() {
        hook(tx, company, users)?;
    }
    Ok(())
}

/// Company settings as typed into the settings form.
#[derive(Debug, Clone, Default)]
pub struct SettingsDraft {
    pub name: String,
    pub timezone: String,
    /// One phone per line or comma-separated.
    pub phones: String,
    pub inn: String,
    pub okpo: String,
    pub bank_name: String,
    pub bank_account: String,
    pub bik: String,
    pub address: String,
}

pub fn update_settings(tx: &mut WriteTx, actor: &Actor, now: Ts, draft: &SettingsDraft) -> Result<Company> {
    actor.require(perms::Perm::SETTINGS)?;
    actor.require_writable()?;
    let mut company = tx.get(COMPANIES, actor.company.0)?.ok_or(Error::NotFound)?;
    let country = company.country;
    let mut p = Problems::default();
    let name = p.take(model::parse_name("name", &draft.name, 200));
    let timezone = p.take(model::parse_timezone("timezone", &draft.timezone));
    let mut phones = Vec::new();
    for raw in draft.phones.split([',', '\n', ';']).map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(phone) = p.take(country.parse_phone("phones", raw)) {
            phones.push(phone);
        }
    }
    let optional =
        |r: &str, f: &dyn Fn(&str) -> std::result::Result<String, FieldError>| if r.trim().is_empty() { Ok(String::new()) } else { f(r) };
    let legal = Legal {
        inn: p.take(optional(&draft.inn, &|r| country.parse_inn("inn", r))).unwrap_or_default(),
        okpo: p.take(optional(&draft.okpo, &|r| country.parse_digits("okpo", r, &[8], &[8, 10]))).unwrap_or_default(),
        bank_name: p.take(model::parse_optional_text("bank_name", &draft.bank_name, 200)).unwrap_or_default(),
        bank_account: p.take(optional(&draft.bank_account, &|r| country.parse_digits("bank_account", r, &[16], &[20]))).unwrap_or_default(),
        bik: p.take(optional(&draft.bik, &|r| country.parse_digits("bik", r, &[6], &[9]))).unwrap_or_default(),
        address: p.take(model::parse_optional_text("address", &draft.address, 500)).unwrap_or_default(),
    };
    p.finish()?;
    let before = company.clone();
    if let (Some(name), Some(timezone)) = (name, timezone) {
        company.name = name;
        company.timezone = timezone;
    }
    company.phones = phones;
    company.legal = legal;
    tx.insert(COMPANIES, company.id.0, &company)?;
    for hook in tx.hooks().of::<CompanyChanged>() {
        hook(tx, &before, &company)?;
    }
    audit::record(tx, actor.company, actor, now, "company.update", format!("company:{}", company.id), String::new())?;
    Ok(company)
}

/// Logos are small images kept in the data file, so a backup stays one file.
pub fn set_logo(tx: &mut WriteTx, actor: &Actor, now: Ts, logo: Option<model::Logo>) -> Result<()> {
    actor.require(perms::Perm::SETTINGS)?;
    actor.require_writable()?;
    if let Some(l) = &logo
        && !matches!(l.mime.as_str(), "image/png" | "image/jpeg" | "image/webp" | "image/svg+xml")
    {
        return Err(Error::field("logo", "image_type", "Логотип: PNG, JPEG, WebP или SVG", "Logo must be PNG, JPEG, WebP or SVG"));
    }
    let mut company = tx.get(COMPANIES, actor.company.0)?.ok_or(Error::NotFound)?;
    company.logo = logo;
    tx.insert(COMPANIES, company.id.0, &company)?;
    audit::record(tx, actor.company, actor, now, "company.logo", format!("company:{}", company.id), String::new()).map_err(Error::from)
}

/// Platform: a plan as typed into the plans page.
#[derive(Debug, Clone, Default)]
pub struct PlanDraft {
    pub name: String,
    pub monthly_price: String,
    pub features: Vec<String>,
}

pub fn save_plan(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<PlanId>, draft: &PlanDraft) -> Result<PlanId> {
    actor.require_platform_admin()?;
    let mut p = Problems::default();
    let name = p.take(model::parse_name("name", &draft.name, 100));
    let price = p.take(crate::money::parse_money("monthly_price", &draft.monthly_price, false));
    for f in &draft.features {
        if !model::FEATURES.iter().any(|k| k.0 == f) {
            p.push(FieldError::new("features", "unknown_feature", format!("Неизвестный модуль {f}"), format!("Unknown module {f}")));
        }
    }
    p.finish()?;
    let (Some(name), Some(monthly_price)) = (name, price) else {
        return Err(Error::Internal("plan parsed without values".into()));
    };
    let (plan_id, created) = match id {
        Some(id) => (id, tx.get(PLANS, id.0)?.ok_or(Error::NotFound)?.created),
        None => (PlanId(tx.next_id()?), now),
    };
    tx.insert(PLANS, plan_id.0, &Plan { id: plan_id, name, monthly_price, features: draft.features.clone(), created })?;
    audit::record(tx, actor.company, actor, now, "plan.save", format!("plan:{plan_id}"), String::new())?;
    Ok(plan_id)
}

/// Platform: the subscription terms of a company.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub plan: PlanId,
    pub end: Option<Ts>,
    pub grace_days: u32,
    pub active: bool,
}

pub fn set_subscription(tx: &mut WriteTx, actor: &Actor, now: Ts, company: CompanyId, terms: &Subscription) -> Result<()> {
    actor.require_platform_admin()?;
    let mut c = tx.get(COMPANIES, company.0)?.ok_or(Error::NotFound)?;
    if tx.get(PLANS, terms.plan.0)?.is_none() {
        return Err(Error::field("plan", "unknown_plan", "Нет такого тарифа", "No such plan"));
    }
    if terms.grace_days > 365 {
        return Err(Error::field("grace_days", "range", "Льготный период — до 365 дней", "Grace period is at most 365 days"));
    }
    if !terms.active && company == actor.company {
        return Err(Error::field("active", "self", "Нельзя отключить свою компанию", "You cannot deactivate your own company"));
    }
    c.plan = terms.plan;
    c.subscription_end = terms.end;
    c.grace_days = terms.grace_days;
    c.active = terms.active;
    tx.insert(COMPANIES, c.id.0, &c)?;
    let detail = format!("plan={} end={:?} grace={} active={}", terms.plan, terms.end.map(|t| t.rfc3339()), terms.grace_days, terms.active);
    audit::record(tx, company, actor, now, "company.subscription", format!("company:{company}"), detail)?;
    Ok(())
}
