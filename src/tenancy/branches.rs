//! Branches: create, edit, deactivate. Names and codes are unique per company; a branch is
//! never deleted (records and history point at it), only deactivated.

use super::actor::Actor;
use super::model::{self, Branch};
use super::perms::Perm;
use super::store::{self, BRANCHES, COMPANIES};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{BranchId, PlanId};
use crate::storage::WriteTx;

#[derive(Debug, Clone, Default)]
pub struct BranchDraft {
    pub name: String,
    /// Empty = next free "B00N".
    pub code: String,
    pub address: String,
    pub phone: String,
    /// Empty = the company's time zone.
    pub timezone: String,
    pub active: bool,
    pub plan: Option<PlanId>,
}

pub fn save(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<BranchId>, draft: &BranchDraft) -> Result<BranchId> {
    actor.require(Perm::BRANCH)?;
    actor.require_writable()?;
    let company = tx.get(COMPANIES, actor.company.0)?.ok_or(Error::NotFound)?;
    let existing = match id {
        Some(id) => Some(tx.get(BRANCHES, (actor.company.0, id.0))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let others: Vec<Branch> = tx
        .list(BRANCHES, (actor.company.0, 0), (actor.company.0, u64::MAX), usize::MAX)?
        .into_iter()
        .map(|(_, b)| b)
        .filter(|b| Some(b.id) != id)
        .collect();
    let mut p = Problems::default();
    let name = p.take(model::parse_name("name", &draft.name, 100));
    if let Some(n) = &name
        && others.iter().any(|b| b.name.to_lowercase() == n.to_lowercase())
    {
        p.push(FieldError::new("name", "name_taken", "Филиал с таким названием уже есть", "A branch with this name exists"));
    }
    let code = match draft.code.trim() {
        "" => match &existing {
            Some(b) => b.code.clone(),
            None => (1..).map(|n| format!("B{n:03}")).find(|c| !others.iter().any(|b| &b.code == c)).unwrap_or_default(),
        },
        c if c.len() > 20 || !c.chars().all(|ch| ch.is_alphanumeric() || ch == '-' || ch == '_') => {
            p.push(FieldError::new("code", "code", "Код: до 20 букв, цифр, - или _", "Code: up to 20 letters, digits, - or _"));
            String::new()
        }
        c => {
            if others.iter().any(|b| b.code.eq_ignore_ascii_case(c)) {
                p.push(FieldError::new("code", "code_taken", "Такой код уже есть", "This code is already used"));
            }
            c.to_string()
        }
    };
    let address = p.take(model::parse_optional_text("address", &draft.address, 300)).unwrap_or_default();
    let phone = match draft.phone.trim() {
        "" => String::new(),
        raw => p.take(company.country.parse_phone("phone", raw)).unwrap_or_default(),
    };
    let timezone = match draft.timezone.trim() {
        "" => company.timezone.clone(),
        raw => p.take(model::parse_timezone("timezone", raw)).unwrap_or_default(),
    };
    // A branch's own plan is a subscription matter: only the platform operator changes it.
    let current_plan = existing.as_ref().and_then(|b| b.plan);
    if draft.plan != current_plan && !actor.platform_admin {
        p.push(FieldError::new(
            "plan",
            "forbidden",
            "Тариф филиала меняет оператор платформы",
            "Only the platform operator changes a branch's plan",
        ));
    }
    if let Some(plan) = draft.plan
        && tx.get(store::PLANS, plan.0)?.is_none()
    {
        p.push(FieldError::new("plan", "unknown_plan", "Нет такого тарифа", "No such plan"));
    }
    if !draft.active && existing.is_some() {
        let still_active = others.iter().filter(|b| b.active).count();
        if still_active == 0 {
            p.push(FieldError::new(
                "active",
                "last_branch",
                "Нельзя отключить последний филиал",
                "The last active branch cannot be deactivated",
            ));
        }
    }
    p.finish()?;
    let name = name.ok_or_else(|| Error::Internal("branch name missing after parse".into()))?;
    let branch_id = match id {
        Some(id) => id,
        None => BranchId(tx.next_id()?),
    };
    let branch = Branch {
        id: branch_id,
        name,
        code,
        address,
        phone,
        timezone,
        active: draft.active || existing.is_none(),
        plan: draft.plan,
        created: existing.as_ref().map(|b| b.created).unwrap_or(now),
    };
    tx.insert(BRANCHES, (actor.company.0, branch_id.0), &branch)?;
    let action = match (&existing, branch.active) {
        (None, _) => "branch.create",
        (Some(old), false) if old.active => "branch.deactivate",
        (Some(old), true) if !old.active => "branch.activate",
        _ => "branch.update",
    };
    audit::record(tx, actor.company, actor, now, action, format!("branch:{branch_id}"), branch.name.clone())?;
    Ok(branch_id)
}
