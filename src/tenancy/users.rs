//! Users of a company: create (with a password set by the admin, or none until the invite is
//! used), edit, deactivate (soft: history is kept and the e-mail becomes free), reactivate,
//! change password. Passwords never appear in a response, a log or an e-mail.

use super::actor::Actor;
use super::model::{self, SystemRole, User};
use super::perms::Perm;
use super::rights::{self, Rights};
use super::store::{self, BRANCHES, LOGINS, ROLES, USERS};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::i18n::Lang;
use crate::ids::{BranchId, CompanyId, RoleId, UserId};
use crate::storage::WriteTx;

#[derive(Debug, Clone, Default)]
pub struct UserDraft {
    pub email: String,
    pub name: String,
    pub phone: String,
    /// "admin" or "staff" ("owner" is never assignable).
    pub role: String,
    pub custom_role: Option<RoleId>,
    pub branches: Vec<BranchId>,
    pub primary_branch: Option<BranchId>,
}

struct Parsed {
    email: String,
    name: String,
    phone: String,
    role: SystemRole,
    custom_role: Option<RoleId>,
    branches: Vec<BranchId>,
    primary: Option<BranchId>,
}

fn parse(tx: &WriteTx, actor: &Actor, self_id: Option<UserId>, current: Option<SystemRole>, d: &UserDraft) -> Result<Parsed> {
    let company = tx.get(store::COMPANIES, actor.company.0)?.ok_or(Error::NotFound)?;
    let mut p = Problems::default();
    let email = p.take(model::parse_email("email", &d.email));
    if let Some(e) = &email
        && let Some(r) = tx.get(LOGINS, e.as_str())?
        && Some(r.user) != self_id
    {
        p.push(email_in_use(actor, r.company, e));
    }
    let name = p.take(model::parse_name("name", &d.name, 200));
    let phone = match d.phone.trim() {
        "" => String::new(),
        raw => p.take(company.country.parse_phone("phone", raw)).unwrap_or_default(),
    };
    let role = match (current, d.role.trim()) {
        (Some(SystemRole::Owner), _) => SystemRole::Owner,
        (_, "admin") => SystemRole::Admin,
        (_, "staff" | "") => SystemRole::Staff,
        _ => {
            p.push(FieldError::new("role", "role", "Роль: admin или staff", "Role must be admin or staff"));
            SystemRole::Staff
        }
    };
    if let Some(r) = d.custom_role
        && tx.get(ROLES, (actor.company.0, r.0))?.is_none()
    {
        p.push(FieldError::new("custom_role", "unknown_role", "Нет такой роли", "No such role"));
    }
    let mut branches = Vec::new();
    for b in &d.branches {
        match tx.get(BRANCHES, (actor.company.0, b.0))? {
            Some(branch) if branch.active => {
                if !branches.contains(b) {
                    branches.push(*b);
                }
            }
            _ => p.push(FieldError::new("branches", "unknown_branch", "Нет такого активного филиала", "No such active branch")),
        }
    }
    if branches.is_empty() {
        p.push(FieldError::new("branches", "required", "Выберите хотя бы один филиал", "Choose at least one branch"));
    }
    let primary = match d.primary_branch {
        Some(pb) if branches.contains(&pb) => Some(pb),
        Some(_) => {
            p.push(FieldError::new(
                "primary_branch",
                "not_member",
                "Основной филиал должен быть среди выбранных",
                "The primary branch must be one of the chosen",
            ));
            None
        }
        None => branches.first().copied(),
    };
    // Nobody hands out a rank, a right or a branch they do not hold themselves.
    let proposed = Rights::of(role, rights::role_perms(tx, actor.company, d.custom_role)?, &branches, false);
    for problem in rights::grant_problems(tx, actor, current, &proposed)? {
        p.push(problem);
    }
    p.finish()?;
    match (email, name) {
        (Some(email), Some(name)) => Ok(Parsed { email, name, phone, role, custom_role: d.custom_role, branches, primary }),
        _ => Err(Error::Internal("user parsed without values".into())),
    }
}

/// Creates a user. `password_hash` is `None` for an invited user (they set it through the
/// one-time link created in the same transaction by the caller).
pub fn create(tx: &mut WriteTx, actor: &Actor, now: Ts, draft: &UserDraft, password_hash: Option<String>) -> Result<UserId> {
    actor.require(Perm::EMPLOYEES)?;
    actor.require_writable()?;
    let p = parse(tx, actor, None, None, draft)?;
    let id = UserId(tx.next_id()?);
    let user = User {
        id,
        email: p.email,
        name: p.name,
        phone: p.phone,
        role: p.role,
        custom_role: p.custom_role,
        branches: p.branches,
        primary_branch: p.primary,
        active: true,
        deactivated: None,
        password: password_hash,
        lang: actor.lang,
        token_version: 0,
        platform_admin: false,
        created: now,
        last_login: None,
    };
    store::put_user(tx, actor.company, None, &user)?;
    audit::record(tx, actor.company, actor, now, "user.create", format!("user:{id}"), format!("{} {}", user.email, user.role.code()))?;
    Ok(id)
}

fn load_editable(tx: &WriteTx, actor: &Actor, id: UserId) -> Result<User> {
    actor.require(Perm::EMPLOYEES)?;
    actor.require_writable()?;
    let user = tx.get(USERS, (actor.company.0, id.0))?.ok_or(Error::NotFound)?;
    rights::may_manage(tx, actor, &user)?;
    Ok(user)
}

/// Allows a new one-time password link for an active user the actor may manage (a forgotten
/// password): the link signs its holder in as that user, so it is a password reset.
pub fn authorize_reset(tx: &mut WriteTx, actor: &Actor, now: Ts, id: UserId) -> Result<()> {
    let user = load_editable(tx, actor, id)?;
    if !user.active {
        return Err(Error::NotFound);
    }
    audit::record(tx, actor.company, actor, now, "user.invite", format!("user:{id}"), String::new())?;
    Ok(())
}

/// The refusal for an e-mail some active user signs in with. Inside the actor's company it
/// says so; for another company's user it gives no reason, so the form does not tell who
/// has accounts elsewhere on the box (logins are box-wide: sign-in knows only the e-mail).
pub(crate) fn email_in_use(actor: &Actor, owner: CompanyId, email: &str) -> FieldError {
    match owner == actor.company {
        true => super::email_taken("email", email),
        false => FieldError::new(
            "email",
            "email_unavailable",
            "Этот e-mail нельзя использовать, укажите другой",
            "This e-mail cannot be used, choose another",
        ),
    }
}

pub fn update(tx: &mut WriteTx, actor: &Actor, now: Ts, id: UserId, draft: &UserDraft) -> Result<()> {
    let old = load_editable(tx, actor, id)?;
    let p = parse(tx, actor, Some(id), Some(old.role), draft)?;
    let mut new = old.clone();
    new.email = p.email;
    new.name = p.name;
    new.phone = p.phone;
    new.role = p.role;
    new.custom_role = p.custom_role;
    new.branches = p.branches;
    new.primary_branch = p.primary;
    if new.role != old.role {
        // A demotion must take effect at once.
        new.token_version += 1;
    }
    if (new.role, new.custom_role, &new.branches) != (old.role, old.custom_role, &old.branches) {
        super::rights_changed(tx, actor.company, &[id])?;
    }
    store::put_user(tx, actor.company, Some(&old), &new)?;
    audit::record(tx, actor.company, actor, now, "user.update", format!("user:{id}"), new.email.clone())?;
    Ok(())
}

pub fn set_active(tx: &mut WriteTx, actor: &Actor, now: Ts, id: UserId, active: bool) -> Result<()> {
    let old = load_editable(tx, actor, id)?;
    if old.role == SystemRole::Owner {
        return Err(Error::OwnerProtected);
    }
    if old.active == active {
        return Ok(());
    }
    let mut new = old.clone();
    new.active = active;
    if active {
        if let Some(r) = tx.get(LOGINS, new.email.as_str())? {
            return Err(Error::Validation(vec![email_in_use(actor, r.company, &new.email)]));
        }
        new.deactivated = None;
    } else {
        new.deactivated = Some(now);
        new.token_version += 1;
        super::rights_changed(tx, actor.company, &[id])?;
    }
    store::put_user(tx, actor.company, Some(&old), &new)?;
    let action = if active { "user.activate" } else { "user.deactivate" };
    audit::record(tx, actor.company, actor, now, action, format!("user:{id}"), new.email.clone())?;
    Ok(())
}

/// Stores a new password hash and ends every session and token issued before.
pub fn set_password(tx: &mut WriteTx, company: CompanyId, id: UserId, hash: String, now: Ts, ip: &str) -> Result<()> {
    let old = tx.get(USERS, (company.0, id.0))?.ok_or(Error::NotFound)?;
    if !old.active {
        return Err(Error::NotFound);
    }
    let mut new = old.clone();
    new.password = Some(hash);
    new.token_version += 1;
    store::put_user(tx, company, Some(&old), &new)?;
    audit::record_system(tx, company, (Some(id), &new.name), ip, now, "user.password", format!("user:{id}"))?;
    Ok(())
}

pub fn set_lang(tx: &mut WriteTx, company: CompanyId, id: UserId, lang: Lang) -> Result<()> {
    let old = tx.get(USERS, (company.0, id.0))?.ok_or(Error::NotFound)?;
    let mut new = old.clone();
    new.lang = lang;
    store::put_user(tx, company, Some(&old), &new)?;
    Ok(())
}

/// Records a successful sign-in (last login and audit row) in the transaction that also
/// creates the session or token family.
pub fn record_login(tx: &mut WriteTx, company: CompanyId, user: &User, ip: &str, now: Ts, how: &str) -> Result<()> {
    if let Some(old) = tx.get(USERS, (company.0, user.id.0))? {
        let mut new = old.clone();
        new.last_login = Some(now);
        store::put_user(tx, company, Some(&old), &new)?;
    }
    audit::record_system(tx, company, (Some(user.id), &user.name), ip, now, how, format!("user:{}", user.id))?;
    Ok(())
}
