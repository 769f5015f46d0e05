//! Self-registration and trials, for a box that hosts several shops: the platform operator's
//! sign-up settings (open or closed, trial length, the plan each sector preselects, the
//! contact a trial company is shown), the registration itself, and the extension of a
//! company's paid period by N×30 days.
//!
//! Invariants:
//! - sign-up is closed unless the operator (or the config file) opens it; a closed box
//!   creates companies only through the operator, the first-run page and the CLI;
//! - a self-registered company starts with `subscription_end = now + trial days` and a
//!   `CompanySignup` row naming its sector; the trial ends when the operator first extends
//!   the company (`paid`), after which the trial banner is gone for good;
//! - an extension moves the end to `max(end, now) + 30·N days` and is audited.

use serde::{Deserialize, Serialize};

use super::actor::Actor;
use super::model::Plan;
use super::store::{COMPANIES, PLANS};
use super::{Creator, ParsedCompany};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, PlanId, UserId};
use crate::storage::{Read, Record, StorageError, Table, TableInfo, WriteTx};

/// The box's sign-up settings: one row under key 0 (the box itself, not a company).
pub const SIGNUP: Table<u64, SignupSettings> = Table::new("box_signupsettings");
/// How a self-registered company came in: its sector and whether its trial became paid.
pub const COMPANY_SIGNUPS: Table<u64, CompanySignup> = Table::new("companyid_signup");

pub fn tables() -> Vec<TableInfo> {
    vec![
        SIGNUP.info("0 (the box)", "sign-up settings of the box: open or closed, trial days, sector → plan, contact (box level)"),
        COMPANY_SIGNUPS.info("CompanyId", "a self-registered company's sector and trial state"),
    ]
}

/// Sectors a new company picks from (spec A2–A4: industry and sector preselect the plan):
/// code, Russian, English.
pub static SECTORS: &[(&str, &str, &str)] = &[
    ("shop", "Магазин, маркет", "Shop, market"),
    ("distribution", "Оптовая торговля, агенты", "Wholesale with field agents"),
    ("cafe", "Кафе, ресторан", "Cafe, restaurant"),
    ("barber", "Барбершоп, салон", "Barbershop, salon"),
    ("telecom", "Телеком-дилер", "Telecom dealer"),
    ("construction", "Строительство", "Construction"),
    ("consulting", "Консалтинг, услуги", "Consulting, services"),
    ("education", "Образование", "Education"),
    ("booking", "Хостел, бронирование", "Hostel, booking"),
    ("logistics", "Логистика", "Logistics"),
];

pub const DEFAULT_TRIAL_DAYS: u32 = 10;
pub const MAX_EXTEND_MONTHS: u32 = 36;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupSettings {
    pub open: bool,
    pub trial_days: u32,
    /// Shown in the trial banner ("write to …"): a phone, e-mail or link of the operator.
    pub contact: String,
    /// Sector code → plan; a sector missing here takes [`default_plan_for`].
    pub sectors: Vec<(String, PlanId)>,
}

impl Record for SignupSettings {
    const TYPE: &'static str = "signupsettings.v1";
}

impl Default for SignupSettings {
    fn default() -> Self {
        SignupSettings { open: false, trial_days: DEFAULT_TRIAL_DAYS, contact: String::new(), sectors: Vec::new() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySignup {
    pub sector: String,
    pub registered: Ts,
    /// Set when the operator first extends the company: the trial is over, the banner gone.
    pub paid: bool,
}

impl Record for CompanySignup {
    const TYPE: &'static str = "companysignup.v1";
}

/// The stored settings, or the defaults (closed, 10 days) on a box that never saved them.
pub fn settings(tx: &impl Read) -> std::result::Result<SignupSettings, StorageError> {
    Ok(tx.get(SIGNUP, 0)?.unwrap_or_default())
}

/// The plan a sector preselects: the operator's choice, else the built-in plan named for the
/// sector ("Магазин" for shops and wholesale, "Телеком" for telecom dealers), else the first
/// plan (all-inclusive).
pub fn plan_for(settings: &SignupSettings, plans: &[Plan], sector: &str) -> Option<PlanId> {
    if let Some((_, p)) = settings.sectors.iter().find(|(s, _)| s == sector)
        && plans.iter().any(|plan| plan.id == *p)
    {
        return Some(*p);
    }
    default_plan_for(plans, sector)
}

pub fn default_plan_for(plans: &[Plan], sector: &str) -> Option<PlanId> {
    let named = match sector {
        "shop" | "distribution" => Some("Магазин"),
        "telecom" => Some("Телеком"),
        _ => None,
    };
    named.and_then(|n| plans.iter().find(|p| p.name == n)).or_else(|| plans.first()).map(|p| p.id)
}

pub fn sector_known(code: &str) -> bool {
    SECTORS.iter().any(|s| s.0 == code)
}

/// The operator's sign-up settings as typed.
#[derive(Debug, Clone, Default)]
pub struct SettingsDraft {
    pub open: bool,
    pub trial_days: String,
    pub contact: String,
    /// Sector code → plan id as typed (the form's selects).
    pub sectors: Vec<(String, String)>,
}

pub fn save_settings(tx: &mut WriteTx, actor: &Actor, now: Ts, draft: &SettingsDraft) -> Result<SignupSettings> {
    actor.require_platform_admin()?;
    let mut p = Problems::default();
    let trial_days = match draft.trial_days.trim().parse::<u32>() {
        Ok(n) if (1..=365).contains(&n) => n,
        _ => {
            p.push(FieldError::new("trial_days", "range", "Пробный период — от 1 до 365 дней", "The trial is 1 to 365 days"));
            0
        }
    };
    let contact = p.take(super::model::parse_optional_text("contact", &draft.contact, 200)).unwrap_or_default();
    let mut sectors = Vec::new();
    for (sector, plan) in &draft.sectors {
        let field = format!("plan_{sector}");
        if !sector_known(sector) {
            p.push(FieldError::new(&field, "unknown_sector", "Неизвестная отрасль", "Unknown sector"));
            continue;
        }
        // An empty choice leaves the sector on the default plan.
        if plan.trim().is_empty() {
            continue;
        }
        match plan.trim().parse::<u64>() {
            Ok(id) if tx.get(PLANS, id)?.is_some() => sectors.push((sector.clone(), PlanId(id))),
            _ => p.push(FieldError::new(&field, "unknown_plan", "Нет такого тарифа", "No such plan")),
        }
    }
    p.finish()?;
    let saved = SignupSettings { open: draft.open, trial_days, contact, sectors };
    tx.insert(SIGNUP, 0, &saved)?;
    let detail = format!("open={} trial_days={}", saved.open, saved.trial_days);
    audit::record(tx, actor.company, actor, now, "platform.signup_settings", "box".to_string(), detail)?;
    Ok(saved)
}

/// Registers a company from the public sign-up page: company, owner, main branch, roles, the
/// sector's plan and a trial ending `trial_days` from now. `open` is the effective setting
/// (the config file may force it); a closed box refuses.
pub fn register(
    tx: &mut WriteTx,
    now: Ts,
    open: bool,
    draft: &ParsedCompany,
    sector: &str,
    owner_hash: String,
    ip: &str,
) -> Result<(CompanyId, UserId)> {
    if !open {
        return Err(Error::NotFound);
    }
    if !sector_known(sector) {
        return Err(Error::field("sector", "unknown_sector", "Выберите отрасль", "Choose a sector"));
    }
    let settings = settings(tx)?;
    super::ensure_default_plans(tx, now)?;
    let plans = super::store::plans(tx)?;
    let plan = plan_for(&settings, &plans, sector);
    let parsed = ParsedCompany { plan, ..draft.clone() };
    let (company, owner) = super::create_company(tx, now, &parsed, owner_hash, Creator::Signup { ip })?;
    let mut c = tx.get(COMPANIES, company.0)?.ok_or(Error::NotFound)?;
    c.subscription_end = Some(now.plus_days(settings.trial_days as i64));
    tx.insert(COMPANIES, company.0, &c)?;
    tx.insert(COMPANY_SIGNUPS, company.0, &CompanySignup { sector: sector.to_string(), registered: now, paid: false })?;
    Ok((company, owner))
}

/// The company's trial, if it is in one: `Some(days left)` (0 on the last day and after).
pub fn trial_days_left(tx: &impl Read, company: CompanyId, now: Ts) -> std::result::Result<Option<i64>, StorageError> {
    let Some(s) = tx.get(COMPANY_SIGNUPS, company.0)? else {
        return Ok(None);
    };
    if s.paid {
        return Ok(None);
    }
    let Some(end) = tx.get(COMPANIES, company.0)?.and_then(|c| c.subscription_end) else {
        return Ok(None);
    };
    let left_ms = (end.0 - now.0).max(0);
    Ok(Some((left_ms + Ts::MS_PER_DAY - 1) / Ts::MS_PER_DAY))
}

/// The platform operator extends a company's paid period by `months`×30 days from its end,
/// or from now when that has passed; a trial becomes paid.
pub fn extend(tx: &mut WriteTx, actor: &Actor, now: Ts, company: CompanyId, months: u32) -> Result<Ts> {
    actor.require_platform_admin()?;
    if !(1..=MAX_EXTEND_MONTHS).contains(&months) {
        return Err(Error::field("months", "range", "Продление — от 1 до 36 периодов по 30 дней", "Extend by 1 to 36 periods of 30 days"));
    }
    let mut c = tx.get(COMPANIES, company.0)?.ok_or(Error::NotFound)?;
    let from = match c.subscription_end {
        Some(end) if end.0 > now.0 => end,
        _ => now,
    };
    let end = from.plus_days(30 * months as i64);
    c.subscription_end = Some(end);
    tx.insert(COMPANIES, company.0, &c)?;
    if let Some(mut s) = tx.get(COMPANY_SIGNUPS, company.0)?
        && !s.paid
    {
        s.paid = true;
        tx.insert(COMPANY_SIGNUPS, company.0, &s)?;
    }
    let detail = format!("months={months} end={}", end.rfc3339());
    audit::record(tx, company, actor, now, "company.extend", format!("company:{company}"), detail)?;
    Ok(end)
}
