//! Categories (a tree: create under a parent, rename, move) and brands (create, rename), with
//! how many products each holds.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;

use super::form::{refused, stock_flash as flash};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::catalog;
use crate::catalog::query::{self, require_module};
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{BrandId, CategoryId, CompanyId};
use crate::storage::Read;
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/categories", get(categories_page).post(create_category))
        .route("/categories/{id}", get(category_page).post(save_category))
        .route("/brands", get(brands_page).post(create_brand))
        .route("/brands/{id}", get(brand_page).post(save_brand))
}

/// Category choices for a select, indented by depth, with a first "none" choice.
pub fn category_choices(tx: &impl Read, company: CompanyId, none: &str, chosen: Option<CategoryId>) -> Result<Vec<Choice>> {
    let mut out = vec![Choice { value: String::new(), label: none.to_string(), selected: chosen.is_none() }];
    for (cat, depth) in query::category_tree(tx, company)? {
        out.push(Choice {
            value: cat.id.0.to_string(),
            label: format!("{}{}", "— ".repeat(depth), cat.name),
            selected: chosen == Some(cat.id),
        });
    }
    Ok(out)
}

fn require_read(ui: &Ui) -> Result<()> {
    query::require_read(ui.actor())?;
    require_module(ui.actor())
}

// ---- categories ----

pub struct CategoryRow {
    pub id: u64,
    pub name: String,
    pub depth: usize,
    pub products: usize,
}

#[derive(Template)]
#[template(path = "categories.html")]
struct CategoriesPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<CategoryRow>,
    can_edit: bool,
    name: String,
    parents: Vec<Choice>,
    errs: Errors,
}

const CATEGORY_FIELDS: &[&str] = &["name", "parent"];

fn categories_page_for(app: &App, ui: &Ui, uri: &Uri, name: String, parent: Option<CategoryId>, errs: Errors) -> Result<CategoriesPage> {
    require_read(ui)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let (by_category, _) = query::product_counts(&tx, company)?;
    let rows = query::category_tree(&tx, company)?
        .into_iter()
        .map(|(c, depth)| CategoryRow { id: c.id.0, products: by_category.get(&c.id).copied().unwrap_or(0), name: c.name, depth })
        .collect();
    let parents = category_choices(&tx, company, ui.lang.t("categories.top_level"), parent)?;
    Ok(CategoriesPage { lang: ui.lang, shell, rows, can_edit: ui.actor().can(Perm::BRAND_CATEGORY), name, parents, errs })
}

pub async fn categories_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let parent = Fields::parse(uri.query().unwrap_or("").as_bytes()).id("parent").map(CategoryId);
    render(StatusCode::OK, &categories_page_for(&app, &ui, &uri, String::new(), parent, Errors::default())?)
}

pub async fn create_category(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (name, parent) = (f.get("name"), f.id("parent").map(CategoryId));
    let (now, actor, saving) = (app.now(), ui.actor().clone(), name.clone());
    match app.db.write(move |tx| catalog::save_category(tx, &actor, now, None, &saving, parent)).await {
        Ok(id) => Ok(see_other(&format!("/categories?ok=category_saved#category-{id}"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, CATEGORY_FIELDS)?;
            render(status, &categories_page_for(&app, &ui, &uri, name, parent, errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "category_edit.html")]
struct CategoryPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    parents: Vec<Choice>,
    errs: Errors,
}

fn category_page_for(app: &App, ui: &Ui, id: u64, name: String, parent: Option<CategoryId>, errs: Errors) -> Result<CategoryPage> {
    ui.actor().require(Perm::BRAND_CATEGORY)?;
    require_module(ui.actor())?;
    let tx = app.db.read()?;
    let mut parents = category_choices(&tx, ui.actor().company, ui.lang.t("categories.top_level"), parent)?;
    // A category cannot move under itself; deeper cycles are refused by the domain.
    parents.retain(|c| c.value != id.to_string());
    Ok(CategoryPage { lang: ui.lang, shell: Shell::load(app, ui)?, id, name, parents, errs })
}

pub async fn category_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require(Perm::BRAND_CATEGORY)?;
    let cat = query::category(&app.db.read()?, ui.actor().company, CategoryId(id))?;
    render(StatusCode::OK, &category_page_for(&app, &ui, id, cat.name, cat.parent, Errors::default())?)
}

pub async fn save_category(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let (name, parent) = (f.get("name"), f.id("parent").map(CategoryId));
    let (now, actor, saving) = (app.now(), ui.actor().clone(), name.clone());
    match app.db.write(move |tx| catalog::save_category(tx, &actor, now, Some(CategoryId(id)), &saving, parent)).await {
        Ok(_) => Ok(see_other(&format!("/categories?ok=category_saved#category-{id}"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, CATEGORY_FIELDS)?;
            render(status, &category_page_for(&app, &ui, id, name, parent, errs)?)
        }
    }
}

// ---- brands ----

pub struct BrandRow {
    pub id: u64,
    pub name: String,
    pub products: usize,
}

#[derive(Template)]
#[template(path = "brands.html")]
struct BrandsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<BrandRow>,
    can_edit: bool,
    name: String,
    errs: Errors,
}

fn brands_page_for(app: &App, ui: &Ui, uri: &Uri, name: String, errs: Errors) -> Result<BrandsPage> {
    require_read(ui)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let (_, by_brand) = query::product_counts(&tx, company)?;
    let rows = query::brands_by_name(&tx, company)?
        .into_iter()
        .map(|b| BrandRow { id: b.id.0, products: by_brand.get(&b.id).copied().unwrap_or(0), name: b.name })
        .collect();
    Ok(BrandsPage { lang: ui.lang, shell, rows, can_edit: ui.actor().can(Perm::BRAND_CATEGORY), name, errs })
}

pub async fn brands_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &brands_page_for(&app, &ui, &uri, String::new(), Errors::default())?)
}

pub async fn create_brand(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let name = f.get("name");
    let (now, actor, saving) = (app.now(), ui.actor().clone(), name.clone());
    match app.db.write(move |tx| catalog::save_brand(tx, &actor, now, None, &saving)).await {
        Ok(id) => Ok(see_other(&format!("/brands?ok=brand_saved#brand-{id}"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["name"])?;
            render(status, &brands_page_for(&app, &ui, &uri, name, errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "brand_edit.html")]
struct BrandPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    errs: Errors,
}

pub async fn brand_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require(Perm::BRAND_CATEGORY)?;
    require_module(ui.actor())?;
    let b = query::brand(&app.db.read()?, ui.actor().company, BrandId(id))?;
    render(StatusCode::OK, &BrandPage { lang: ui.lang, shell: Shell::load(&app, &ui)?, id, name: b.name, errs: Errors::default() })
}

pub async fn save_brand(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let name = f.get("name");
    let (now, actor, saving) = (app.now(), ui.actor().clone(), name.clone());
    match app.db.write(move |tx| catalog::save_brand(tx, &actor, now, Some(BrandId(id)), &saving)).await {
        Ok(_) => Ok(see_other(&format!("/brands?ok=brand_saved#brand-{id}"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["name"])?;
            render(status, &BrandPage { lang: ui.lang, shell: Shell::load(&app, &ui)?, id, name, errs })
        }
    }
}
