//! Custom roles: a named permission set per company. A role in use cannot be deleted; a role
//! is edited or deleted only by someone holding all its rights (`rights`).

use super::actor::Actor;
use super::model::{self, Role};
use super::perms::{Perm, PermSet};
use super::rights::{self, Rights};
use super::store::{self, ROLES};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::RoleId;
use crate::storage::WriteTx;

#[derive(Debug, Clone, Default)]
pub struct RoleDraft {
    pub name: String,
    pub permissions: Vec<String>,
}

pub fn save(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<RoleId>, draft: &RoleDraft) -> Result<RoleId> {
    actor.require(Perm::EMPLOYEES)?;
    actor.require_writable()?;
    let existing = match id {
        Some(id) => Some(tx.get(ROLES, (actor.company.0, id.0))?.ok_or(Error::NotFound)?),
        None => None,
    };
    if let Some(role) = &existing {
        // Its holders would be acted on: the editor must hold everything the role grants.
        rights::may_manage_role(tx, actor, role.perms)?;
    }
    let mut p = Problems::default();
    let name = p.take(model::parse_name("name", &draft.name, 100));
    if let Some(n) = &name {
        let taken = tx
            .list(ROLES, (actor.company.0, 0), (actor.company.0, u64::MAX), usize::MAX)?
            .iter()
            .any(|(_, r)| Some(r.id) != id && r.name.to_lowercase() == n.to_lowercase());
        if taken {
            p.push(FieldError::new("name", "name_taken", "Роль с таким названием уже есть", "A role with this name exists"));
        }
    }
    let perms = match PermSet::parse_codes(&draft.permissions) {
        Ok(set) => set,
        Err(unknown) => {
            p.push(FieldError::new(
                "permissions",
                "unknown_permission",
                format!("Неизвестные права: {}", unknown.join(", ")),
                format!("Unknown permissions: {}", unknown.join(", ")),
            ));
            PermSet::default()
        }
    };
    // Nobody grants a right they do not hold.
    let escalates = PermSet(perms.0 & !Rights::of_actor(tx, actor)?.perms.0);
    if escalates.0 != 0 {
        p.push(FieldError::new(
            "permissions",
            "escalation",
            format!("Нельзя выдать права, которых нет у вас: {}", escalates.codes().join(", ")),
            format!("You cannot grant rights you do not hold: {}", escalates.codes().join(", ")),
        ));
    }
    p.finish()?;
    let name = name.ok_or_else(|| Error::Internal("role name missing after parse".into()))?;
    let role_id = id.unwrap_or(RoleId(tx.next_id()?));
    let role = Role {
        id: role_id,
        name,
        perms,
        preset: existing.as_ref().and_then(|r| r.preset.clone()),
        created: existing.as_ref().map(|r| r.created).unwrap_or(now),
    };
    if let Some(old) = &existing
        && role.perms.0 & !old.perms.0 != 0
    {
        // Its holders gained rights: links made for them before must not carry those.
        let holders: Vec<_> = tx
            .list(store::USERS, (actor.company.0, 0), (actor.company.0, u64::MAX), usize::MAX)?
            .into_iter()
            .filter(|(_, u)| u.custom_role == Some(role_id))
            .map(|(_, u)| u.id)
            .collect();
        super::rights_changed(tx, actor.company, &holders)?;
    }
    tx.insert(ROLES, (actor.company.0, role_id.0), &role)?;
    let action = if existing.is_some() { "role.update" } else { "role.create" };
    audit::record(tx, actor.company, actor, now, action, format!("role:{role_id}"), role.perms.codes().join(","))?;
    Ok(role_id)
}

pub fn delete(tx: &mut WriteTx, actor: &Actor, now: Ts, id: RoleId) -> Result<()> {
    actor.require(Perm::EMPLOYEES)?;
    actor.require_writable()?;
    let role = tx.get(ROLES, (actor.company.0, id.0))?.ok_or(Error::NotFound)?;
    rights::may_manage_role(tx, actor, role.perms)?;
    let users = tx
        .list(store::USERS, (actor.company.0, 0), (actor.company.0, u64::MAX), usize::MAX)?
        .into_iter()
        .filter(|(_, u)| u.active && u.custom_role == Some(id))
        .count();
    if users > 0 {
        return Err(Error::RoleInUse { name: role.name, users });
    }
    // Deactivated users keep their history but lose the deleted role.
    for (_, user) in tx.list(store::USERS, (actor.company.0, 0), (actor.company.0, u64::MAX), usize::MAX)? {
        if user.custom_role == Some(id) {
            let mut new = user.clone();
            new.custom_role = None;
            store::put_user(tx, actor.company, Some(&user), &new)?;
        }
    }
    tx.remove(ROLES, (actor.company.0, id.0))?;
    audit::record(tx, actor.company, actor, now, "role.delete", format!("role:{id}"), role.name)?;
    Ok(())
}
