//! Who may act on whom, and what may be handed out: the one privilege rule every path that
//! changes who can do what goes through (user create and edit, role assignment, role edit and
//! delete, activation, deactivation, password-reset links, branch access).
//!
//! A user's **rights** are their rank (owner > admin > staff), their permission set (owners and
//! admins hold every permission; staff hold their custom role's set) and their branches (owners
//! and admins reach every branch; staff only their memberships), plus the platform-operator
//! flag.
//!
//! A target is **more privileged** than the actor when any of these holds:
//! - the target is the owner and the actor is not;
//! - the target is the platform operator and the actor is not;
//! - the target is an admin and the actor is staff;
//! - the actor is staff and the target holds a permission the actor lacks, or belongs to a
//!   branch the actor does not.
//!
//! Every check reads inside the write transaction of the change it guards.
//! `may_manage` refuses to act on a more privileged user (403 `forbidden`, "outranked"), and
//! `grant_problems` refuses a proposed state (role, custom role, branches) that would be more
//! privileged than the actor (422 `escalation` on the field). Only the owner appoints admins.
//! A role is handled like the users holding it: it can be edited or deleted only by someone
//! holding every permission it has, and may only be given permissions the editor holds.

use super::actor::Actor;
use super::model::{SystemRole, User};
use super::perms::PermSet;
use super::store::{ROLES, USERS};
use crate::error::{Error, FieldError, Result};
use crate::ids::{BranchId, CompanyId, RoleId};
use crate::storage::WriteTx;

/// What a user (or a proposed user state) can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rights {
    pub rank: SystemRole,
    pub perms: PermSet,
    /// `None` = every branch (owners and admins).
    pub branches: Option<Vec<BranchId>>,
    pub platform_admin: bool,
}

fn rank_order(r: SystemRole) -> u8 {
    match r {
        SystemRole::Staff => 0,
        SystemRole::Admin => 1,
        SystemRole::Owner => 2,
    }
}

/// The permissions of a custom role (none when it is missing).
pub fn role_perms(tx: &WriteTx, company: CompanyId, role: Option<RoleId>) -> Result<PermSet> {
    Ok(match role {
        Some(r) => tx.get(ROLES, (company.0, r.0))?.map(|r| r.perms).unwrap_or_default(),
        None => PermSet::default(),
    })
}

impl Rights {
    /// The rights a user with this rank, role and memberships would hold.
    pub fn of(rank: SystemRole, perms: PermSet, branches: &[BranchId], platform_admin: bool) -> Rights {
        match rank {
            SystemRole::Owner | SystemRole::Admin => Rights { rank, perms: PermSet::all(), branches: None, platform_admin },
            SystemRole::Staff => Rights { rank, perms, branches: Some(branches.to_vec()), platform_admin },
        }
    }

    pub fn of_user(tx: &WriteTx, company: CompanyId, user: &User) -> Result<Rights> {
        Ok(Rights::of(user.role, role_perms(tx, company, user.custom_role)?, &user.branches, user.platform_admin))
    }

    /// The acting user's rights as stored now (branch memberships are not on the `Actor`).
    pub fn of_actor(tx: &WriteTx, actor: &Actor) -> Result<Rights> {
        let branches = match actor.owner_like() {
            true => Vec::new(),
            false => tx.get(USERS, (actor.company.0, actor.user.0))?.map(|u| u.branches).unwrap_or_default(),
        };
        Ok(Rights::of(actor.role, actor.perms, &branches, actor.platform_admin))
    }
}

/// What `target` holds beyond `actor`; empty when the actor covers the target.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Excess {
    /// The target's rank is above what the actor may act on or appoint.
    pub rank: bool,
    pub platform_admin: bool,
    pub perms: PermSet,
    pub branches: Vec<BranchId>,
}

impl Excess {
    pub fn is_empty(&self) -> bool {
        *self == Excess::default()
    }
}

/// The privilege rule (see the module doc). Owners are acted on only by the owner; admins by
/// owners and admins; staff by anyone holding all their permissions and branches.
pub fn excess(actor: &Rights, target: &Rights) -> Excess {
    let rank = match (actor.rank, target.rank) {
        (a, SystemRole::Owner) => a != SystemRole::Owner,
        (a, t) => rank_order(a) < rank_order(t),
    };
    let perms = PermSet(target.perms.0 & !actor.perms.0);
    let branches = match (&actor.branches, &target.branches) {
        (None, _) => Vec::new(),
        (Some(_), None) => Vec::new(), // covered by `rank`: only owners and admins reach every branch
        (Some(mine), Some(theirs)) => theirs.iter().filter(|b| !mine.contains(b)).copied().collect(),
    };
    Excess { rank, platform_admin: target.platform_admin && !actor.platform_admin, perms, branches }
}

/// Refuses to act on a user more privileged than the actor.
pub fn may_manage(tx: &WriteTx, actor: &Actor, target: &User) -> Result<()> {
    let mine = Rights::of_actor(tx, actor)?;
    let theirs = Rights::of_user(tx, actor.company, target)?;
    if excess(&mine, &theirs).is_empty() { Ok(()) } else { Err(Error::Forbidden { permission: "outranked" }) }
}

/// Refuses to edit or delete a role that holds a permission the actor lacks.
pub fn may_manage_role(tx: &WriteTx, actor: &Actor, role_perms: PermSet) -> Result<()> {
    let mine = Rights::of_actor(tx, actor)?;
    if role_perms.0 & !mine.perms.0 == 0 { Ok(()) } else { Err(Error::Forbidden { permission: "outranked" }) }
}

/// Field errors for a proposed user state the actor may not hand out. `current` is the
/// target's rank today (`None` for a new user): an admin stays an admin when an admin edits
/// them, but only the owner makes one.
pub fn grant_problems(tx: &WriteTx, actor: &Actor, current: Option<SystemRole>, proposed: &Rights) -> Result<Vec<FieldError>> {
    let mine = Rights::of_actor(tx, actor)?;
    let e = excess(&mine, proposed);
    let mut problems = Vec::new();
    let appoints_admin = proposed.rank == SystemRole::Admin && current != Some(SystemRole::Admin) && mine.rank != SystemRole::Owner;
    if e.rank || e.platform_admin || appoints_admin {
        problems.push(FieldError::new(
            "role",
            "escalation",
            "Назначать администраторов может только владелец",
            "Only the owner can appoint admins",
        ));
    }
    if e.perms.0 != 0 {
        let codes = e.perms.codes().join(", ");
        problems.push(FieldError::new(
            "custom_role",
            "escalation",
            format!("Нельзя выдать права, которых нет у вас: {codes}"),
            format!("You cannot grant rights you do not hold: {codes}"),
        ));
    }
    if !e.branches.is_empty() {
        problems.push(FieldError::new(
            "branches",
            "escalation",
            "Нельзя дать доступ к филиалу, которого нет у вас",
            "You cannot grant access to a branch you do not have",
        ));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::perms::Perm;

    fn staff(perms: &[Perm], branches: &[u64]) -> Rights {
        Rights::of(SystemRole::Staff, PermSet::of(perms), &branches.iter().copied().map(BranchId).collect::<Vec<_>>(), false)
    }

    fn check(actor: &Rights, target: &Rights, covered: bool) {
        assert_eq!(excess(actor, target).is_empty(), covered, "{actor:?} over {target:?}");
    }

    #[test]
    fn the_privilege_rule() {
        let owner = Rights::of(SystemRole::Owner, PermSet::default(), &[], false);
        let operator = Rights::of(SystemRole::Owner, PermSet::default(), &[], true);
        let admin = Rights::of(SystemRole::Admin, PermSet::default(), &[], false);
        let hr = staff(&[Perm::EMPLOYEES], &[1]);
        let cashier = staff(&[Perm::SALE, Perm::CASHIER], &[1]);
        check(&owner, &owner, true);
        check(&owner, &operator, false);
        check(&operator, &owner, true);
        check(&admin, &owner, false);
        check(&admin, &admin, true);
        check(&admin, &cashier, true);
        check(&hr, &admin, false);
        check(&hr, &cashier, false);
        check(&hr, &hr, true);
        check(&hr, &staff(&[], &[1]), true);
        check(&hr, &staff(&[Perm::EMPLOYEES], &[1, 2]), false);
        check(&staff(&[Perm::EMPLOYEES, Perm::SALE, Perm::CASHIER], &[1, 2]), &cashier, true);
        assert_eq!(excess(&hr, &cashier).perms, PermSet::of(&[Perm::SALE, Perm::CASHIER]));
    }
}
