//! Tenancy tables and their single write path. Every change to a user goes through
//! `put_user`, which maintains the login index by diffing the old and new record; `verify`
//! walks the primaries and the index and reports every mismatch.

use serde::{Deserialize, Serialize};

use super::model::{Branch, Company, Plan, Role, SystemRole, User};
use crate::ids::{CompanyId, UserId};
use crate::storage::{Read, ReadTx, Record, StorageError, Table, TableInfo, WriteTx};

pub const COMPANIES: Table<u64, Company> = Table::new("companyid_company");
pub const BRANCHES: Table<(u64, u64), Branch> = Table::new("company_branchid_branch");
pub const USERS: Table<(u64, u64), User> = Table::new("company_userid_user");
pub const ROLES: Table<(u64, u64), Role> = Table::new("company_roleid_role");
pub const LOGINS: Table<&'static str, UserRef> = Table::new("email_userref");
pub const PLANS: Table<u64, Plan> = Table::new("planid_plan");

pub fn tables() -> Vec<TableInfo> {
    vec![
        COMPANIES.info("CompanyId", "companies (tenants): box level"),
        BRANCHES.info("(CompanyId, BranchId)", "branches of a company"),
        USERS.info("(CompanyId, UserId)", "users, including deactivated ones (history is kept)"),
        ROLES.info("(CompanyId, RoleId)", "custom roles with their permission sets"),
        LOGINS.info("&str email", "login index: active users' lower-cased e-mail → user; unique across the box"),
        PLANS.info("PlanId", "subscription plans and their features: box level"),
    ]
}

/// Where a login e-mail points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    pub company: CompanyId,
    pub user: UserId,
}

impl Record for UserRef {
    const TYPE: &'static str = "userref.v1";
}

/// The one write path for users: stores `new` and moves the login index from `old`.
pub fn put_user(tx: &mut WriteTx, company: CompanyId, old: Option<&User>, new: &User) -> Result<(), StorageError> {
    if let Some(old) = old
        && old.active
        && (!new.active || old.email != new.email)
    {
        tx.remove(LOGINS, old.email.as_str())?;
    }
    if new.active {
        tx.insert(LOGINS, new.email.as_str(), &UserRef { company, user: new.id })?;
    }
    tx.insert(USERS, (company.0, new.id.0), new)
}

pub fn company(tx: &impl Read, id: CompanyId) -> Result<Option<Company>, StorageError> {
    tx.get(COMPANIES, id.0)
}

pub fn users(tx: &impl Read, company: CompanyId) -> Result<Vec<User>, StorageError> {
    Ok(tx.list(USERS, (company.0, 0), (company.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, u)| u).collect())
}

pub fn branches(tx: &impl Read, company: CompanyId) -> Result<Vec<Branch>, StorageError> {
    Ok(tx.list(BRANCHES, (company.0, 0), (company.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, b)| b).collect())
}

pub fn roles(tx: &impl Read, company: CompanyId) -> Result<Vec<Role>, StorageError> {
    Ok(tx.list(ROLES, (company.0, 0), (company.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, r)| r).collect())
}

pub fn plans(tx: &impl Read) -> Result<Vec<Plan>, StorageError> {
    Ok(tx.list(PLANS, 0, u64::MAX, usize::MAX)?.into_iter().map(|(_, p)| p).collect())
}

/// Every mismatch between primaries and indexes, and every dangling reference.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let companies = tx.list(COMPANIES, 0, u64::MAX, usize::MAX)?;
    let plan_ids: Vec<u64> = tx.list(PLANS, 0, u64::MAX, usize::MAX)?.into_iter().map(|(id, _)| id).collect();
    let mut active_logins = 0u64;
    for (cid, company) in &companies {
        let c = CompanyId(*cid);
        if company.id != c {
            problems.push(format!("company {cid}: stored id {} differs from key", company.id));
        }
        if !plan_ids.contains(&company.plan.0) {
            problems.push(format!("company {cid}: plan {} does not exist", company.plan));
        }
        let branch_ids: Vec<u64> = branches(tx, c)?.iter().map(|b| b.id.0).collect();
        let role_ids: Vec<u64> = roles(tx, c)?.iter().map(|r| r.id.0).collect();
        let mut owner_ok = false;
        for user in users(tx, c)? {
            let u = user.id;
            if u == company.owner && user.role == SystemRole::Owner && user.active {
                owner_ok = true;
            }
            if user.active {
                active_logins += 1;
                match tx.get(LOGINS, user.email.as_str())? {
                    Some(r) if r == (UserRef { company: c, user: u }) => {}
                    Some(r) => problems.push(format!("login {}: points to {}/{} instead of {cid}/{u}", user.email, r.company, r.user)),
                    None => problems.push(format!("login {}: missing for active user {cid}/{u}", user.email)),
                }
            }
            for b in &user.branches {
                if !branch_ids.contains(&b.0) {
                    problems.push(format!("user {cid}/{u}: member of missing branch {b}"));
                }
            }
            if let Some(p) = user.primary_branch
                && !user.branches.contains(&p)
            {
                problems.push(format!("user {cid}/{u}: primary branch {p} is not a membership"));
            }
            if let Some(r) = user.custom_role
                && !role_ids.contains(&r.0)
            {
                problems.push(format!("user {cid}/{u}: role {r} does not exist"));
            }
        }
        if !owner_ok {
            problems.push(format!("company {cid}: owner {} is missing, inactive or not an owner", company.owner));
        }
    }
    let logins = tx.len(LOGINS)?;
    if logins != active_logins {
        problems.push(format!("login index has {logins} rows but there are {active_logins} active users"));
    }
    Ok(problems)
}
