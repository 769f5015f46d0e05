//! Employees and roles. Nobody ever sees a password: an admin either sets one (the employee
//! should change it) or gets a one-time invite link, shown once on the page that created it.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};

use super::{Choice, Errors, Fields, Shell, Ui, flash_text, rejected, render, see_other};
use crate::app::App;
use crate::error::{Error, FieldError, Result};
use crate::http::extract::Path;
use crate::http::shared;
use crate::i18n::Lang;
use crate::ids::{BranchId, RoleId, UserId};
use crate::tenancy::model::{SystemRole, User};
use crate::tenancy::perms::{self, Perm};
use crate::tenancy::query;
use crate::tenancy::roles::{self, RoleDraft};
use crate::tenancy::users::{self, UserDraft};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/users", get(users_page).post(create_user))
        .route("/users/{id}", get(user_page).post(save_user))
        .route("/users/{id}/deactivate", post(deactivate))
        .route("/users/{id}/activate", post(activate))
        .route("/users/{id}/invite", post(invite))
        .route("/roles", get(roles_page).post(create_role))
        .route("/roles/new", get(new_role_page))
        .route("/roles/{id}", get(role_page).post(save_role))
        .route("/roles/{id}/delete", post(delete_role))
}

fn role_label(lang: Lang, role: SystemRole) -> &'static str {
    match role {
        SystemRole::Owner => lang.t("role.owner"),
        SystemRole::Admin => lang.t("role.admin"),
        SystemRole::Staff => lang.t("role.staff"),
    }
}

/// The fields of the employee form with every choice worked out.
pub struct UserForm {
    pub email: String,
    pub name: String,
    pub phone: String,
    /// Editing the owner: the system role is fixed.
    pub owner: bool,
    pub roles: Vec<Choice>,
    pub custom_roles: Vec<Choice>,
    pub branches: Vec<Choice>,
    pub primary: Vec<Choice>,
    /// "invite" or "password" (creation only).
    pub access: String,
}

const USER_FIELDS: &[&str] = &["email", "name", "phone", "role", "custom_role", "branches", "primary_branch", "password"];

fn user_form(app: &App, ui: &Ui, draft: &UserDraft, owner: bool, access: String) -> Result<UserForm> {
    let lang = ui.lang;
    let tx = app.db.read()?;
    let company = ui.actor().company;
    let branches = query::branches(&tx, company)?.into_iter().filter(|b| b.active).collect::<Vec<_>>();
    let choice = |value: String, label: String, selected: bool| Choice { value, label, selected };
    let mut custom_roles = vec![choice(String::new(), lang.t("users.no_custom_role").into(), draft.custom_role.is_none())];
    custom_roles
        .extend(query::roles(&tx, company)?.into_iter().map(|r| choice(r.id.0.to_string(), r.name, draft.custom_role == Some(r.id))));
    let mut primary = vec![choice(String::new(), lang.t("users.primary_auto").into(), draft.primary_branch.is_none())];
    primary.extend(branches.iter().map(|b| choice(b.id.0.to_string(), b.name.clone(), draft.primary_branch == Some(b.id))));
    Ok(UserForm {
        email: draft.email.clone(),
        name: draft.name.clone(),
        phone: draft.phone.clone(),
        owner,
        // Only the owner appoints admins; an admin being edited keeps the choice.
        roles: ["staff", "admin"]
            .into_iter()
            .filter(|r| *r == "staff" || ui.actor().role == SystemRole::Owner || draft.role == "admin")
            .map(|r| choice(r.into(), lang.t(&format!("role.{r}")).into(), draft.role == r || (r == "staff" && draft.role.is_empty())))
            .collect(),
        custom_roles,
        branches: branches.iter().map(|b| choice(b.id.0.to_string(), b.name.clone(), draft.branches.contains(&b.id))).collect(),
        primary,
        access,
    })
}

fn user_draft(f: &Fields) -> UserDraft {
    UserDraft {
        email: f.get("email"),
        name: f.get("name"),
        phone: f.get("phone"),
        role: f.get("role"),
        custom_role: f.id("custom_role").map(RoleId),
        branches: f.ids("branches").into_iter().map(BranchId).collect(),
        primary_branch: f.id("primary_branch").map(BranchId),
    }
}

pub struct UserRow {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub role: String,
    pub branches: String,
    pub active: bool,
    pub invited: bool,
    pub last_login: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    lang: Lang,
    shell: Shell,
    active: Vec<UserRow>,
    inactive: Vec<UserRow>,
    form: UserForm,
    errs: Errors,
}

fn users_page_for(app: &App, ui: &Ui, draft: &UserDraft, access: String, errs: Errors) -> Result<UsersPage> {
    ui.actor().require(Perm::EMPLOYEES)?;
    let shell = Shell::load(app, ui)?;
    let tx = app.db.read()?;
    let company = ui.actor().company;
    let branches = query::branches(&tx, company)?;
    let roles = query::roles(&tx, company)?;
    let (mut active, mut inactive) = (Vec::new(), Vec::new());
    for u in query::users(&tx, company)? {
        let custom = u.custom_role.and_then(|r| roles.iter().find(|x| x.id == r)).map(|r| format!(" · {}", r.name)).unwrap_or_default();
        let row = UserRow {
            id: u.id.0,
            role: format!("{}{custom}", role_label(ui.lang, u.role)),
            branches: branches.iter().filter(|b| u.branches.contains(&b.id)).map(|b| b.name.as_str()).collect::<Vec<_>>().join(", "),
            active: u.active,
            invited: u.password.is_none(),
            last_login: u.last_login.map(|t| t.format_local(&shell.timezone)).unwrap_or_default(),
            name: u.name,
            email: u.email,
        };
        if row.active { active.push(row) } else { inactive.push(row) }
    }
    let form = user_form(app, ui, draft, false, access)?;
    Ok(UsersPage { lang: ui.lang, shell, active, inactive, form, errs })
}

pub async fn users_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    let draft = UserDraft { branches: scope_branch(&ui), ..UserDraft::default() };
    render(StatusCode::OK, &users_page_for(&app, &ui, &draft, "invite".into(), Errors::default())?)
}

/// A new employee starts in the branch the admin is working in.
fn scope_branch(ui: &Ui) -> Vec<BranchId> {
    match ui.actor().branch {
        crate::tenancy::actor::BranchScope::Branch(b) => vec![b],
        crate::tenancy::actor::BranchScope::Company => Vec::new(),
    }
}

pub async fn create_user(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    let draft = user_draft(&f);
    let access = if f.get("access") == "password" { "password" } else { "invite" };
    let password = (access == "password").then(|| f.get("password"));
    let created = match &password {
        Some(p) if p.is_empty() => Err(Error::Validation(vec![FieldError::required("password")])),
        _ => shared::create_user(&app, ui.actor(), draft.clone(), password, Some(ui.origin.clone())).await,
    };
    match created {
        Ok((user, None, _)) => Ok(see_other(&format!("/users?ok=user_created#user-{}", user.id))),
        Ok((user, Some(link), mailed)) => {
            let invite = (format!("{}{link}", ui.origin), mailed);
            render(StatusCode::OK, &user_page_for(&app, &ui, &user, None, Errors::default(), Some(invite), Some("user_created"))?)
        }
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, USER_FIELDS);
            render(StatusCode::UNPROCESSABLE_ENTITY, &users_page_for(&app, &ui, &draft, access.into(), errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "user_edit.html")]
struct UserPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    active: bool,
    invited: bool,
    /// Shown once, right after it was made.
    invite_url: Option<String>,
    /// Where the link also went by e-mail (none: hand the link over).
    invite_mailed: Option<String>,
    /// May the viewer change this account (admins cannot touch the owner, staff managers
    /// cannot touch admins)?
    editable: bool,
    form: UserForm,
    errs: Errors,
}

fn user_page_for(
    app: &App,
    ui: &Ui,
    user: &User,
    draft: Option<UserDraft>,
    errs: Errors,
    invite: Option<(String, Option<String>)>,
    flash: Option<&'static str>,
) -> Result<UserPage> {
    let (invite_url, invite_mailed) = match invite {
        Some((url, mailed)) => (Some(url), mailed),
        None => (None, None),
    };
    ui.actor().require(Perm::EMPLOYEES)?;
    let mut shell = Shell::load(app, ui)?;
    shell.flash = flash.map(|k| flash_text(ui.lang, k)).or(shell.flash);
    let draft = draft.unwrap_or_else(|| UserDraft {
        email: user.email.clone(),
        name: user.name.clone(),
        phone: user.phone.clone(),
        role: user.role.code().into(),
        custom_role: user.custom_role,
        branches: user.branches.clone(),
        primary_branch: user.primary_branch,
    });
    let owner = user.role == SystemRole::Owner;
    let editable = match user.role {
        SystemRole::Owner => ui.actor().role == SystemRole::Owner,
        SystemRole::Admin => ui.actor().owner_like(),
        SystemRole::Staff => true,
    };
    Ok(UserPage {
        lang: ui.lang,
        shell,
        id: user.id.0,
        active: user.active,
        invited: user.password.is_none(),
        invite_url,
        invite_mailed,
        editable,
        form: user_form(app, ui, &draft, owner, String::new())?,
        errs,
    })
}

fn load_user(app: &App, ui: &Ui, id: u64) -> Result<User> {
    query::user(&app.db.read()?, ui.actor().company, UserId(id))
}

pub async fn user_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require(Perm::EMPLOYEES)?;
    let user = load_user(&app, &ui, id)?;
    render(StatusCode::OK, &user_page_for(&app, &ui, &user, None, Errors::default(), None, None)?)
}

pub async fn save_user(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let draft = user_draft(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), draft.clone());
    match app.db.write(move |tx| users::update(tx, &actor, now, UserId(id), &saving)).await {
        Ok(()) => Ok(see_other(&format!("/users/{id}?ok=user_saved"))),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, USER_FIELDS);
            let user = load_user(&app, &ui, id)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &user_page_for(&app, &ui, &user, Some(draft), errs, None, None)?)
        }
    }
}

async fn set_active(app: App, ui: Ui, id: u64, active: bool) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| users::set_active(tx, &actor, now, UserId(id), active)).await?;
    let ok = if active { "user_activated" } else { "user_deactivated" };
    Ok(see_other(&format!("/users/{id}?ok={ok}")))
}

pub async fn deactivate(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    set_active(app, ui, id, false).await
}

pub async fn activate(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    set_active(app, ui, id, true).await
}

/// A new one-time password link, shown once on the employee's page.
pub async fn invite(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (link, mailed) = shared::invite(&app, ui.actor(), UserId(id), Some(ui.origin.clone())).await?;
    let user = load_user(&app, &ui, id)?;
    let invite = (format!("{}{link}", ui.origin), mailed);
    render(StatusCode::OK, &user_page_for(&app, &ui, &user, None, Errors::default(), Some(invite), None)?)
}

pub struct RoleRow {
    pub id: u64,
    pub name: String,
    pub perms: usize,
    pub users: usize,
}

#[derive(Template)]
#[template(path = "roles.html")]
struct RolesPage {
    lang: Lang,
    shell: Shell,
    roles: Vec<RoleRow>,
}

pub async fn roles_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    ui.actor().require(Perm::EMPLOYEES)?;
    let shell = Shell::load(&app, &ui)?;
    let tx = app.db.read()?;
    let users = query::users(&tx, ui.actor().company)?;
    let roles = query::roles(&tx, ui.actor().company)?
        .into_iter()
        .map(|r| RoleRow {
            id: r.id.0,
            perms: r.perms.codes().len(),
            users: users.iter().filter(|u| u.active && u.custom_role == Some(r.id)).count(),
            name: r.name,
        })
        .collect();
    render(StatusCode::OK, &RolesPage { lang: ui.lang, shell, roles })
}

pub struct PermChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct PermGroup {
    pub code: &'static str,
    pub label: &'static str,
    pub perms: Vec<PermChoice>,
}

#[derive(Template)]
#[template(path = "role_edit.html")]
struct RolePage {
    lang: Lang,
    shell: Shell,
    id: Option<u64>,
    name: String,
    groups: Vec<PermGroup>,
    errs: Errors,
}

/// The permission checkboxes, grouped by module in the editor's order.
fn perm_groups(lang: Lang, checked: &[String]) -> Vec<PermGroup> {
    perms::GROUPS
        .iter()
        .map(|(code, ru, en)| PermGroup {
            code,
            label: lang.pick(ru, en),
            perms: perms::ALL
                .iter()
                .filter(|p| p.group == *code)
                .map(|p| PermChoice { code: p.code, label: lang.pick(p.ru, p.en), checked: checked.iter().any(|c| c == p.code) })
                .collect(),
        })
        .collect()
}

fn role_page_for(app: &App, ui: &Ui, id: Option<u64>, draft: RoleDraft, errs: Errors) -> Result<RolePage> {
    ui.actor().require(Perm::EMPLOYEES)?;
    let groups = perm_groups(ui.lang, &draft.permissions);
    Ok(RolePage { lang: ui.lang, shell: Shell::load(app, ui)?, id, name: draft.name, groups, errs })
}

pub async fn new_role_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    let draft = RoleDraft { name: String::new(), permissions: vec![Perm::DASHBOARD.code().to_string()] };
    render(StatusCode::OK, &role_page_for(&app, &ui, None, draft, Errors::default())?)
}

pub async fn role_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require(Perm::EMPLOYEES)?;
    let role = query::role(&app.db.read()?, ui.actor().company, RoleId(id))?;
    let draft = RoleDraft { name: role.name, permissions: role.perms.codes().into_iter().map(String::from).collect() };
    render(StatusCode::OK, &role_page_for(&app, &ui, Some(id), draft, Errors::default())?)
}

async fn save(app: App, ui: Ui, id: Option<u64>, f: Fields) -> Result<Response> {
    let draft = RoleDraft { name: f.get("name"), permissions: f.all("permissions") };
    let (now, actor, saving) = (app.now(), ui.actor().clone(), draft.clone());
    match app.db.write(move |tx| roles::save(tx, &actor, now, id.map(RoleId), &saving)).await {
        Ok(_) => Ok(see_other("/roles?ok=role_saved")),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, &["name", "permissions"]);
            render(StatusCode::UNPROCESSABLE_ENTITY, &role_page_for(&app, &ui, id, draft, errs)?)
        }
    }
}

pub async fn create_role(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    save(app, ui, None, f).await
}

pub async fn save_role(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    save(app, ui, Some(id), f).await
}

/// Deletes a role; one still assigned to active employees is refused ("role in use").
pub async fn delete_role(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| roles::delete(tx, &actor, now, RoleId(id))).await?;
    Ok(see_other("/roles?ok=role_deleted"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenancy::perms::PermSet;

    #[test]
    fn every_permission_appears_once_in_the_editor() {
        let groups = perm_groups(Lang::En, &["branch".to_string()]);
        let shown: Vec<&str> = groups.iter().flat_map(|g| g.perms.iter().map(|p| p.code)).collect();
        assert_eq!(shown.len(), perms::ALL.len());
        assert_eq!(PermSet::parse_codes(&shown), Ok(PermSet::all()));
        let checked: Vec<&str> = groups.iter().flat_map(|g| g.perms.iter().filter(|p| p.checked).map(|p| p.code)).collect();
        assert_eq!(checked, vec!["branch"]);
    }
}
