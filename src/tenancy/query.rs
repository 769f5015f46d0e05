//! Tenancy queries the pages and the API ask: a company, its users, branches, roles, and the
//! box's plans. Each works in either transaction kind ([`Read`]); a missing record is
//! [`Error::NotFound`], so a handler never unwraps an `Option` of its own.

use std::collections::BTreeMap;

use super::model::{Branch, Company, Plan, Role, User};
use super::store::{self, BRANCHES, COMPANIES, PLANS, ROLES, USERS};
use crate::error::{Error, Result};
use crate::ids::{BranchId, CompanyId, PlanId, RoleId, UserId};
use crate::storage::Read;

pub fn company(tx: &impl Read, id: CompanyId) -> Result<Company> {
    store::company(tx, id)?.ok_or(Error::NotFound)
}

/// Every company of the box (the platform operator's list).
pub fn companies(tx: &impl Read) -> Result<Vec<Company>> {
    Ok(tx.list(COMPANIES, 0, u64::MAX, usize::MAX)?.into_iter().map(|(_, c)| c).collect())
}

/// How many companies the box holds (a gauge of `/metrics`).
pub fn company_count(tx: &impl Read) -> Result<u64> {
    Ok(tx.len(COMPANIES)?)
}

pub fn user(tx: &impl Read, company: CompanyId, id: UserId) -> Result<User> {
    tx.get(USERS, (company.0, id.0))?.ok_or(Error::NotFound)
}

/// Every user of the company, deactivated ones included.
pub fn users(tx: &impl Read, company: CompanyId) -> Result<Vec<User>> {
    Ok(store::users(tx, company)?)
}

/// Users of the company by id, for the names in lists (cashiers of sales and shifts).
pub fn user_names(tx: &impl Read, company: CompanyId) -> Result<BTreeMap<UserId, String>> {
    Ok(store::users(tx, company)?.into_iter().map(|u| (u.id, u.name)).collect())
}

pub fn branch(tx: &impl Read, company: CompanyId, id: BranchId) -> Result<Branch> {
    tx.get(BRANCHES, (company.0, id.0))?.ok_or(Error::NotFound)
}

pub fn branches(tx: &impl Read, company: CompanyId) -> Result<Vec<Branch>> {
    Ok(store::branches(tx, company)?)
}

pub fn role(tx: &impl Read, company: CompanyId, id: RoleId) -> Result<Role> {
    tx.get(ROLES, (company.0, id.0))?.ok_or(Error::NotFound)
}

pub fn roles(tx: &impl Read, company: CompanyId) -> Result<Vec<Role>> {
    Ok(store::roles(tx, company)?)
}

pub fn plan(tx: &impl Read, id: PlanId) -> Result<Plan> {
    tx.get(PLANS, id.0)?.ok_or(Error::NotFound)
}

pub fn plans(tx: &impl Read) -> Result<Vec<Plan>> {
    Ok(store::plans(tx)?)
}

/// The company's slug (the address of its public pages); every company has one.
pub fn company_slug(tx: &impl Read, company: CompanyId) -> Result<String> {
    super::slug::of(tx, company)?.ok_or(Error::NotFound)
}

/// The company a public page's slug names; `None` for an unknown slug. Lookup is
/// case-insensitive; the slug names a company and nothing else.
pub fn company_by_slug(tx: &impl Read, slug: &str) -> Result<Option<CompanyId>> {
    Ok(super::slug::company_by_slug(tx, slug)?)
}
