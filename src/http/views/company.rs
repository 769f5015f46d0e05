//! Company settings (legal details, phones, time zone, logo) and branches.
//!
//! The logo arrives as `multipart/form-data`; it is read, up to `upload_limit_kb`, only after
//! the settings right is checked, decoded whatever the browser claims it is, and stored
//! re-encoded as PNG (`catalog::images::prepare_logo`).

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::{Errors, Fields, Shell, TIMEZONES, Ui, rejected, render, see_other};
use crate::app::App;
use crate::error::{Error, FieldError, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::BranchId;
use crate::tenancy::branches::{self, BranchDraft};
use crate::tenancy::model::{Branch, Logo, SystemRole};
use crate::tenancy::perms::Perm;
use crate::tenancy::{self, SettingsDraft, query};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/settings", get(settings_page).post(save_settings))
        .route("/settings/logo", get(logo).post(upload_logo))
        .route("/settings/logo/delete", post(delete_logo))
        .route("/settings/slug", post(save_slug))
        .route("/branches", get(branches_page).post(create_branch))
        .route("/branches/{id}", get(branch_page).post(save_branch))
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    lang: Lang,
    shell: Shell,
    draft: SettingsDraft,
    country: &'static str,
    has_logo: bool,
    upload_kb: usize,
    timezones: &'static [&'static str],
    errs: Errors,
    logo_errs: Errors,
    /// The company's slug (or what the owner just typed), the form only for the owner.
    slug: String,
    slug_editable: bool,
    slug_errs: Errors,
}

const SETTINGS_FIELDS: &[&str] = &["name", "timezone", "phones", "inn", "okpo", "bank_name", "bank_account", "bik", "address"];

fn settings(app: &App, ui: &Ui, draft: Option<SettingsDraft>, errs: Errors, logo_errs: Errors) -> Result<SettingsPage> {
    settings_with_slug(app, ui, draft, errs, logo_errs, None, Errors::default())
}

fn settings_with_slug(
    app: &App,
    ui: &Ui,
    draft: Option<SettingsDraft>,
    errs: Errors,
    logo_errs: Errors,
    slug: Option<String>,
    slug_errs: Errors,
) -> Result<SettingsPage> {
    ui.actor().require(Perm::SETTINGS)?;
    let shell = Shell::load(app, ui)?;
    let tx = app.db.read()?;
    let c = query::company(&tx, ui.actor().company)?;
    let slug = match slug {
        Some(s) => s,
        None => query::company_slug(&tx, c.id).unwrap_or_default(),
    };
    let draft = draft.unwrap_or_else(|| SettingsDraft {
        name: c.name.clone(),
        timezone: c.timezone.clone(),
        phones: c.phones.join("\n"),
        inn: c.legal.inn.clone(),
        okpo: c.legal.okpo.clone(),
        bank_name: c.legal.bank_name.clone(),
        bank_account: c.legal.bank_account.clone(),
        bik: c.legal.bik.clone(),
        address: c.legal.address.clone(),
    });
    Ok(SettingsPage {
        lang: ui.lang,
        shell,
        draft,
        country: c.country.code(),
        has_logo: c.logo.is_some(),
        upload_kb: app.config.upload_limit_kb,
        timezones: TIMEZONES,
        errs,
        logo_errs,
        slug,
        slug_editable: ui.actor().role == SystemRole::Owner || ui.actor().platform_admin,
        slug_errs,
    })
}

/// The owner changes the company's slug (the address of its public pages).
pub async fn save_slug(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    ui.actor().require(Perm::SETTINGS)?;
    let (now, actor, raw) = (app.now(), ui.actor().clone(), f.get("slug"));
    let company = actor.company;
    match app.db.write(move |tx| tenancy::slug::set_slug(tx, &actor, now, company, &raw)).await {
        Ok(_) => Ok(see_other("/settings?ok=saved")),
        Err(e) => {
            let slug_errs = Errors::new(&rejected(e)?, ui.lang, &["slug"]);
            let page = settings_with_slug(&app, &ui, None, Errors::default(), Errors::default(), Some(f.get("slug")), slug_errs)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

pub async fn settings_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    render(StatusCode::OK, &settings(&app, &ui, None, Errors::default(), Errors::default())?)
}

pub async fn save_settings(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    let draft = SettingsDraft {
        name: f.get("name"),
        timezone: f.get("timezone"),
        phones: f.get("phones"),
        inn: f.get("inn"),
        okpo: f.get("okpo"),
        bank_name: f.get("bank_name"),
        bank_account: f.get("bank_account"),
        bik: f.get("bik"),
        address: f.get("address"),
    };
    let (now, actor, saving) = (app.now(), ui.actor().clone(), draft.clone());
    match app.db.write(move |tx| tenancy::update_settings(tx, &actor, now, &saving)).await {
        Ok(_) => Ok(see_other("/settings?ok=saved")),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, SETTINGS_FIELDS);
            render(StatusCode::UNPROCESSABLE_ENTITY, &settings(&app, &ui, Some(draft), errs, Errors::default())?)
        }
    }
}

/// The logo form: the right is checked before the body is read.
pub async fn upload_logo(State(app): State<App>, ui: Ui, req: Request) -> Result<Response> {
    ui.actor().require(crate::tenancy::perms::Perm::SETTINGS)?;
    ui.actor().require_writable()?;
    let limit_kb = app.config.upload_limit_kb;
    // Room for the part headers and the other fields around the file itself.
    let file = crate::http::extract::multipart_part(req, limit_kb * 1024 + 16 * 1024, "logo")
        .await?
        .filter(|p| p.file_name.is_some() && !p.bytes.is_empty())
        .map(|p| (p.mime, p.bytes));
    let problem = |code: &'static str, key: &str| {
        let text = |lang: Lang| lang.t(key).replace("{kb}", &limit_kb.to_string());
        Error::Validation(vec![FieldError::new("logo", code, text(Lang::Ru), text(Lang::En))])
    };
    let logo = match file {
        None => Err(problem("required", "settings.logo_missing")),
        Some((_, bytes)) if bytes.len() > limit_kb * 1024 => Err(problem("too_large", "settings.logo_too_big")),
        // Decoded and re-encoded under the pixel budget; the uploaded bytes are never stored.
        Some((_, bytes)) => app
            .heavy(crate::app::Heavy::Image, move || crate::catalog::images::prepare_logo(&bytes))
            .await
            .map(|(mime, bytes)| Logo { mime, bytes }),
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    let saved = match logo {
        Ok(logo) => app.db.write(move |tx| tenancy::set_logo(tx, &actor, now, Some(logo))).await,
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(see_other("/settings?ok=logo_saved")),
        Err(e) => {
            let logo_errs = Errors::new(&rejected(e)?, ui.lang, &["logo"]);
            render(StatusCode::UNPROCESSABLE_ENTITY, &settings(&app, &ui, None, Errors::default(), logo_errs)?)
        }
    }
}

pub async fn delete_logo(State(app): State<App>, ui: Ui) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| tenancy::set_logo(tx, &actor, now, None)).await?;
    Ok(see_other("/settings?ok=logo_removed"))
}

/// The company's logo for its signed-in users. An SVG opened directly cannot run scripts:
/// the response is sandboxed.
pub async fn logo(State(app): State<App>, ui: Ui) -> Result<Response> {
    let c = query::company(&app.db.read()?, ui.actor().company)?;
    let logo = c.logo.ok_or(Error::NotFound)?;
    let headers = [
        (header::CONTENT_TYPE, logo.mime),
        (header::CACHE_CONTROL, "private, no-cache".to_string()),
        (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; sandbox".to_string()),
    ];
    Ok((headers, logo.bytes).into_response())
}

#[derive(Template)]
#[template(path = "branches.html")]
struct BranchesPage {
    lang: Lang,
    shell: Shell,
    branches: Vec<Branch>,
    draft: BranchDraft,
    timezones: &'static [&'static str],
    errs: Errors,
}

const BRANCH_FIELDS: &[&str] = &["name", "code", "address", "phone", "timezone", "active"];

fn branch_draft(f: &Fields, active: bool) -> BranchDraft {
    BranchDraft {
        name: f.get("name"),
        code: f.get("code"),
        address: f.get("address"),
        phone: f.get("phone"),
        timezone: f.get("timezone"),
        active,
        plan: None,
    }
}

fn branches_page_for(app: &App, ui: &Ui, draft: BranchDraft, errs: Errors) -> Result<BranchesPage> {
    ui.actor().require(Perm::BRANCH)?;
    let shell = Shell::load(app, ui)?;
    let mut branches = query::branches(&app.db.read()?, ui.actor().company)?;
    branches.sort_by_key(|b| (!b.active, b.code.clone()));
    Ok(BranchesPage { lang: ui.lang, shell, branches, draft, timezones: TIMEZONES, errs })
}

pub async fn branches_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    let draft = BranchDraft { active: true, ..BranchDraft::default() };
    render(StatusCode::OK, &branches_page_for(&app, &ui, draft, Errors::default())?)
}

pub async fn create_branch(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    let draft = branch_draft(&f, true);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), draft.clone());
    match app.db.write(move |tx| branches::save(tx, &actor, now, None, &saving)).await {
        Ok(_) => Ok(see_other("/branches?ok=branch_saved")),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, BRANCH_FIELDS);
            render(StatusCode::UNPROCESSABLE_ENTITY, &branches_page_for(&app, &ui, draft, errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "branch_edit.html")]
struct BranchPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    draft: BranchDraft,
    timezones: &'static [&'static str],
    errs: Errors,
}

pub async fn branch_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require(Perm::BRANCH)?;
    let b = query::branch(&app.db.read()?, ui.actor().company, BranchId(id))?;
    let draft = BranchDraft {
        name: b.name,
        code: b.code,
        address: b.address,
        phone: b.phone,
        timezone: b.timezone,
        active: b.active,
        plan: b.plan,
    };
    let page = BranchPage { lang: ui.lang, shell: Shell::load(&app, &ui)?, id, draft, timezones: TIMEZONES, errs: Errors::default() };
    render(StatusCode::OK, &page)
}

pub async fn save_branch(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let draft = branch_draft(&f, f.has("active"));
    let (now, actor, mut saving) = (app.now(), ui.actor().clone(), draft.clone());
    let saved = app
        .db
        .write(move |tx| {
            // The page does not show the branch's own plan; it keeps the stored one.
            saving.plan = match query::branch(tx, actor.company, BranchId(id)) {
                Ok(b) => b.plan,
                Err(Error::NotFound) => None,
                Err(e) => return Err(e),
            };
            branches::save(tx, &actor, now, Some(BranchId(id)), &saving)
        })
        .await;
    match saved {
        Ok(_) => Ok(see_other("/branches?ok=branch_saved")),
        Err(e) => {
            let errs = Errors::new(&rejected(e)?, ui.lang, BRANCH_FIELDS);
            let page = BranchPage { lang: ui.lang, shell: Shell::load(&app, &ui)?, id, draft, timezones: TIMEZONES, errs };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[cfg(test)]
mod tests {
    fn check(body: &[u8], expected: Option<(&str, &[u8])>) {
        let got = crate::http::multipart::part("multipart/form-data; boundary=XyZ", body, "logo").filter(|p| p.file_name.is_some());
        assert_eq!(got.as_ref().map(|p| (p.mime.as_str(), p.bytes.as_slice())), expected);
    }

    #[test]
    fn multipart_finds_the_logo_file() {
        check(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\ntok\r\n--XyZ\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--X\r\n--XyZ--\r\n",
            Some(("image/png", b"\x89PNG\r\n--X")),
        );
        check(b"--XyZ\r\nContent-Disposition: form-data; name=\"logo\"\r\n\r\nnot a file\r\n--XyZ--\r\n", None);
        check(b"--XyZ\r\nContent-Disposition: form-data; name=\"logo\"; filename=\"a.png\"\r\n\r\nunterminated", None);
        check(b"garbage", None);
    }
}
