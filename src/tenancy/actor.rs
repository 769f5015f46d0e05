//! `Actor`: who is acting, for which company and branch, with which effective rights. It lives
//! with tenancy (companies, users, roles, plans are what it is made of) and is built only by
//! `auth::resolve` from a verified session or token, so the tenant of every
//! domain call comes from authentication, never from a URL or a body.

use super::model::{Access, SystemRole};
use super::perms::{Perm, PermSet};
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::{BranchId, CompanyId, UserId};

/// Where branch-scoped records are read and written: one branch, or the company-wide rows
/// (spec A2: a NULL branch means a company-wide record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchScope {
    Company,
    Branch(BranchId),
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub company: CompanyId,
    pub user: UserId,
    pub user_name: String,
    pub role: SystemRole,
    pub perms: PermSet,
    pub branch: BranchScope,
    pub ip: String,
    pub lang: Lang,
    pub platform_admin: bool,
    pub access: Access,
    /// Modules the effective plan (branch plan, else company plan) switches on.
    pub features: Vec<String>,
}

impl Actor {
    /// Owners and admins hold every permission (spec A3 "owner-like").
    pub fn owner_like(&self) -> bool {
        matches!(self.role, SystemRole::Owner | SystemRole::Admin)
    }

    pub fn can(&self, perm: Perm) -> bool {
        self.owner_like() || self.perms.has(perm)
    }

    pub fn require(&self, perm: Perm) -> Result<()> {
        if self.can(perm) { Ok(()) } else { Err(Error::Forbidden { permission: perm.code() }) }
    }

    pub fn require_owner_like(&self) -> Result<()> {
        if self.owner_like() { Ok(()) } else { Err(Error::Forbidden { permission: "owner" }) }
    }

    pub fn require_platform_admin(&self) -> Result<()> {
        if self.platform_admin { Ok(()) } else { Err(Error::Forbidden { permission: "platform_admin" }) }
    }

    pub fn has_feature(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    pub fn require_feature(&self, feature: &'static str) -> Result<()> {
        if self.has_feature(feature) { Ok(()) } else { Err(Error::FeatureDisabled { feature }) }
    }

    /// Refuses writes once the subscription and its grace period have ended.
    pub fn require_writable(&self) -> Result<()> {
        match self.access {
            Access::ReadOnly => Err(Error::ReadOnly),
            _ => Ok(()),
        }
    }
}

/// The audit log records an actor by its plain ids.
impl crate::audit::Author for Actor {
    fn company(&self) -> CompanyId {
        self.company
    }

    fn user(&self) -> UserId {
        self.user
    }

    fn name(&self) -> &str {
        &self.user_name
    }

    fn ip(&self) -> &str {
        &self.ip
    }
}
