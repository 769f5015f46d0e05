//! Catalog and stock pages: the routes of all of them (products, categories and brands,
//! documents live in their own files), the helpers they share, and here the warehouses, the
//! stock-on-hand report and the inventory settings.
//!
//! Every page needs the `catalog` module in the company's plan; reads follow the API's rules
//! (`require_catalog_read`, `require_stock_read`), writes are checked by the domain.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;

use super::{Choice, Errors, Fields, Shell, Ui, flash_text, render, see_other};
use super::{catalog, documents, products, transfer};
use crate::app::App;
use crate::auth::actor::Actor;
use crate::catalog::model::Unit;
use crate::catalog::store::PRODUCTS;
use crate::error::{Error, FieldError, Result};
use crate::http::api::stock::{parse_locked_until, require_stock_read};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{BranchId, WarehouseId};
use crate::inventory::model::{Settings, Warehouse};
use crate::inventory::store::WAREHOUSES;
use crate::inventory::{self, report};
use crate::money::round_money;
use crate::tenancy::store as tenancy_store;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/products", get(products::list_page).post(products::create))
        .route("/products/search", get(products::search_partial))
        .route("/products/export", get(transfer::export))
        .route("/products/import", get(transfer::upload_form).post(transfer::upload))
        .route("/products/import/{id}", get(transfer::view))
        .route("/products/import/{id}/progress", get(transfer::progress_partial))
        .route("/products/import/{id}/confirm", post(transfer::confirm))
        .route("/products/import/{id}/discard", post(transfer::discard))
        .route("/products/pick", get(products::pick_partial))
        .route("/products/new", get(products::new_page))
        .route("/products/{id}", get(products::card::card_page))
        .route("/products/{id}/edit", get(products::edit_page).post(products::save))
        .route("/products/{id}/archive", post(products::card::archive))
        .route("/products/{id}/restore", post(products::card::restore))
        .route("/products/{id}/delete", post(products::card::delete))
        .route("/products/{id}/images", post(products::card::upload_image))
        .route("/products/{id}/images/{image}/delete", post(products::card::delete_image))
        .route("/categories", get(catalog::categories_page).post(catalog::create_category))
        .route("/categories/{id}", get(catalog::category_page).post(catalog::save_category))
        .route("/brands", get(catalog::brands_page).post(catalog::create_brand))
        .route("/brands/{id}", get(catalog::brand_page).post(catalog::save_brand))
        .route("/warehouses", get(warehouses_page).post(create_warehouse))
        .route("/warehouses/{id}", get(warehouse_page).post(save_warehouse))
        .route("/stock", get(stock_page))
        .route("/stock/settings", get(settings_page).post(save_settings))
        .route("/stock/journal", get(super::reports::journal_page))
        .route("/stock/turnover", get(super::reports::turnover_page))
        .route("/documents", get(documents::list_page).post(documents::create))
        .route("/documents/new", get(documents::new_page))
        .route("/documents/{id}", get(documents::view_page))
        .route("/documents/{id}/edit", get(documents::edit_page).post(documents::save))
        .route("/documents/{id}/post", post(documents::post))
        .route("/documents/{id}/cancel", post(documents::cancel))
        .route("/documents/{id}/delete", post(documents::delete))
}

// ---- shared by the catalog and stock pages ----

/// Success messages these pages' redirects may ask for (`?ok=<key>`, each `flash.<key>`).
const FLASHES: &[&str] = &[
    "product_saved",
    "product_archived",
    "product_restored",
    "product_deleted",
    "image_saved",
    "image_removed",
    "category_saved",
    "brand_saved",
    "warehouse_saved",
    "document_saved",
    "document_posted",
    "document_cancelled",
    "document_deleted",
    "stock_settings_saved",
];

/// Puts the success message asked for by the previous redirect on the page.
pub fn flash(shell: &mut Shell, lang: Lang, uri: &Uri) {
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if let Some(key) = FLASHES.iter().find(|k| **k == ok) {
        shell.flash = Some(flash_text(lang, key));
    }
}

/// The catalog and stock pages exist only when the plan has the module.
pub fn require_module(actor: &Actor) -> Result<()> {
    actor.require_feature("catalog")
}

/// Several problems with one field (two bad barcodes) become one message, so none is lost.
pub fn merged(list: Vec<FieldError>) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = Vec::new();
    for f in list {
        match out.iter_mut().find(|o| o.field == f.field) {
            Some(o) => {
                o.ru = format!("{}; {}", o.ru, f.ru);
                o.en = format!("{}; {}", o.en, f.en);
            }
            None => out.push(f),
        }
    }
    out
}

/// What a form shows for a refused write: field messages (422), or a business refusal (out
/// of stock, closed period, wrong state, a product with movements) as the form's own error
/// (409). Anything else goes on to the error page or flash.
pub fn refused(e: Error, lang: Lang, shown: &[&str]) -> Result<(StatusCode, Errors)> {
    match e {
        Error::Validation(list) => Ok((StatusCode::UNPROCESSABLE_ENTITY, Errors::new(&merged(list), lang, shown))),
        e @ (Error::OutOfStock(_) | Error::PeriodClosed { .. } | Error::WrongState { .. } | Error::HasMovements { .. }) => {
            Ok((StatusCode::CONFLICT, Errors::form(e.message(lang))))
        }
        other => Err(other),
    }
}

/// Money with its two places ("270.00").
pub fn money(d: Decimal) -> String {
    round_money(d).to_string()
}

/// A quantity without trailing zeros ("3", "0.125").
pub fn qty(d: Decimal) -> String {
    d.normalize().to_string()
}

pub fn unit_label(lang: Lang, unit: Unit) -> &'static str {
    lang.t(&format!("units.{}", unit.code()))
}

pub fn warehouses(app: &App, actor: &Actor) -> Result<Vec<Warehouse>> {
    let c = actor.company;
    Ok(app.db.read()?.list(WAREHOUSES, (c, WarehouseId::MIN), (c, WarehouseId::MAX), usize::MAX)?.into_iter().map(|(_, w)| w).collect())
}

// ---- warehouses ----

pub struct WarehouseRow {
    pub id: u64,
    pub name: String,
    pub branch: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "warehouses.html")]
struct WarehousesPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<WarehouseRow>,
    name: String,
    branches: Vec<Choice>,
    errs: Errors,
}

const WAREHOUSE_FIELDS: &[&str] = &["name", "branch"];

/// "Whole company" and the active branches (and the chosen one, even if closed since).
fn branch_choices(app: &App, ui: &Ui, chosen: Option<BranchId>) -> Result<Vec<Choice>> {
    let mut out = vec![Choice { value: String::new(), label: ui.lang.t("warehouses.company_wide").into(), selected: chosen.is_none() }];
    for b in tenancy_store::branches(&app.db.read()?, ui.actor().company)? {
        if b.active || Some(b.id) == chosen {
            out.push(Choice { value: b.id.0.to_string(), selected: Some(b.id) == chosen, label: b.name });
        }
    }
    Ok(out)
}

fn warehouses_page_for(app: &App, ui: &Ui, uri: &Uri, name: String, branch: Option<BranchId>, errs: Errors) -> Result<WarehousesPage> {
    ui.actor().require(crate::tenancy::perms::Perm::DOCUMENT)?;
    require_module(ui.actor())?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let branches = tenancy_store::branches(&app.db.read()?, ui.actor().company)?;
    let mut list = warehouses(app, ui.actor())?;
    list.sort_by_key(|w| (!w.active, w.name.to_lowercase()));
    let rows = list
        .into_iter()
        .map(|w| WarehouseRow {
            id: w.id.0,
            branch: match w.branch {
                Some(b) => branches.iter().find(|x| x.id == b).map(|x| x.name.clone()).unwrap_or_default(),
                None => ui.lang.t("warehouses.company_wide").into(),
            },
            name: w.name,
            active: w.active,
        })
        .collect();
    Ok(WarehousesPage { lang: ui.lang, shell, rows, name, branches: branch_choices(app, ui, branch)?, errs })
}

pub async fn warehouses_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &warehouses_page_for(&app, &ui, &uri, String::new(), None, Errors::default())?)
}

pub async fn create_warehouse(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (name, branch) = (f.get("name"), f.id("branch").map(BranchId));
    let (now, actor, saving) = (app.now(), ui.actor().clone(), name.clone());
    match app.db.write(move |tx| inventory::save_warehouse(tx, &actor, now, None, &saving, branch, true)).await {
        Ok(_) => Ok(see_other("/warehouses?ok=warehouse_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, WAREHOUSE_FIELDS)?;
            render(status, &warehouses_page_for(&app, &ui, &uri, name, branch, errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "warehouse_edit.html")]
struct WarehousePage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    branches: Vec<Choice>,
    active: bool,
    errs: Errors,
}

pub async fn warehouse_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require(crate::tenancy::perms::Perm::DOCUMENT)?;
    require_module(ui.actor())?;
    let w = app.db.read()?.get(WAREHOUSES, (ui.actor().company, WarehouseId(id)))?.ok_or(Error::NotFound)?;
    let page = WarehousePage {
        lang: ui.lang,
        shell: Shell::load(&app, &ui)?,
        id,
        branches: branch_choices(&app, &ui, w.branch)?,
        name: w.name,
        active: w.active,
        errs: Errors::default(),
    };
    render(StatusCode::OK, &page)
}

pub async fn save_warehouse(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let (name, branch, active) = (f.get("name"), f.id("branch").map(BranchId), f.has("active"));
    let (now, actor, saving) = (app.now(), ui.actor().clone(), name.clone());
    match app.db.write(move |tx| inventory::save_warehouse(tx, &actor, now, Some(WarehouseId(id)), &saving, branch, active)).await {
        Ok(_) => Ok(see_other("/warehouses?ok=warehouse_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, WAREHOUSE_FIELDS)?;
            let branches = branch_choices(&app, &ui, branch)?;
            render(status, &WarehousePage { lang: ui.lang, shell: Shell::load(&app, &ui)?, id, name, branches, active, errs })
        }
    }
}

// ---- stock on hand ----

pub struct StockLine {
    pub product: u64,
    pub name: String,
    pub code: String,
    pub qty: String,
    pub unit: &'static str,
    pub value: String,
    pub sale_value: String,
    pub reorder_level: String,
    /// At or below the reorder level.
    pub low: bool,
}

pub struct StockSection {
    pub name: String,
    pub active: bool,
    pub rows: Vec<StockLine>,
    pub total_value: String,
    pub total_sale: String,
    /// The next page of this warehouse, when there is more.
    pub more: Option<String>,
    /// This warehouse's report (or low-stock list) as XLSX.
    pub export: String,
}

#[derive(Template)]
#[template(path = "stock.html")]
struct StockPage {
    lang: Lang,
    shell: Shell,
    warehouses: Vec<Choice>,
    low: bool,
    sections: Vec<StockSection>,
    total_value: String,
    total_sale: String,
    settings_link: bool,
}

/// Rows per warehouse on one page.
const STOCK_PAGE: usize = 500;

pub async fn stock_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_stock_read(ui.actor())?;
    require_module(ui.actor())?;
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, ui.lang, &uri);
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let (chosen, low, after) = (f.id("warehouse"), f.get("low") == "1", f.id("after"));
    let all = warehouses(&app, ui.actor())?;
    let mut choices = vec![Choice { value: String::new(), label: ui.lang.t("stock.all_warehouses").into(), selected: chosen.is_none() }];
    choices.extend(all.iter().map(|w| Choice { value: w.id.0.to_string(), label: w.name.clone(), selected: chosen == Some(w.id.0) }));
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let (mut total_value, mut total_sale) = (Decimal::ZERO, Decimal::ZERO);
    let mut sections = Vec::new();
    for w in all.iter().filter(|w| chosen.is_none_or(|c| c == w.id.0)) {
        let r = report::on_hand(
            &tx,
            company,
            w.id,
            after.filter(|_| chosen.is_some()),
            report::OnHandFilter { category: None, low },
            STOCK_PAGE,
        )?;
        if r.rows.is_empty() && chosen.is_none() && !w.active {
            continue;
        }
        let mut rows = Vec::with_capacity(r.rows.len());
        for x in r.rows {
            let product = tx.get(PRODUCTS, (company.0, x.product.0))?;
            rows.push(StockLine {
                product: x.product.0,
                code: product.as_ref().map(|p| p.code.clone()).unwrap_or_default(),
                unit: product.map(|p| unit_label(ui.lang, p.unit)).unwrap_or(""),
                name: x.name,
                qty: qty(x.qty),
                value: money(x.value),
                sale_value: money(x.sale_value),
                reorder_level: if x.reorder_level.is_zero() { String::new() } else { qty(x.reorder_level) },
                low: !x.reorder_level.is_zero() && x.qty <= x.reorder_level,
            });
        }
        total_value += r.total_value;
        total_sale += r.total_sale_value;
        let more = r.next_after.map(|a| format!("/stock?warehouse={}&after={a}{}", w.id.0, if low { "&low=1" } else { "" }));
        sections.push(StockSection {
            export: format!("/api/v1/stock/export.xlsx?warehouse={}{}", w.id.0, if low { "&low=true" } else { "" }),
            name: w.name.clone(),
            active: w.active,
            rows,
            total_value: money(r.total_value),
            total_sale: money(r.total_sale_value),
            more,
        });
    }
    let page = StockPage {
        lang: ui.lang,
        shell,
        warehouses: choices,
        low,
        sections,
        total_value: money(total_value),
        total_sale: money(total_sale),
        settings_link: ui.actor().owner_like(),
    };
    render(StatusCode::OK, &page)
}

// ---- inventory settings ----

#[derive(Template)]
#[template(path = "stock_settings.html")]
struct SettingsPage {
    lang: Lang,
    shell: Shell,
    allow_negative: bool,
    locked_until: String,
    errs: Errors,
}

pub async fn settings_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    ui.actor().require_owner_like()?;
    require_module(ui.actor())?;
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, ui.lang, &uri);
    let s = inventory::store::settings(&app.db.read()?, ui.actor().company)?;
    let page = SettingsPage {
        lang: ui.lang,
        allow_negative: s.allow_negative,
        locked_until: s.locked_until.map(|t| t.date_local(&shell.timezone)).unwrap_or_default(),
        shell,
        errs: Errors::default(),
    };
    render(StatusCode::OK, &page)
}

pub async fn save_settings(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    ui.actor().require_owner_like()?;
    let (allow_negative, raw) = (f.has("allow_negative"), f.get("locked_until"));
    let tz = tenancy_store::company(&app.db.read()?, ui.actor().company)?.map(|c| c.timezone).unwrap_or_default();
    let saved = match parse_locked_until(Some(&raw), &tz) {
        Ok(locked_until) => {
            let (now, actor) = (app.now(), ui.actor().clone());
            app.db.write(move |tx| inventory::set_settings(tx, &actor, now, Settings { allow_negative, locked_until })).await
        }
        Err(e) => Err(e),
    };
    match saved {
        Ok(()) => Ok(see_other("/stock/settings?ok=stock_settings_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["locked_until"])?;
            let mut shell = Shell::load(&app, &ui)?;
            flash(&mut shell, ui.lang, &uri);
            render(status, &SettingsPage { lang: ui.lang, shell, allow_negative, locked_until: raw, errs })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stock_flash_has_a_string_in_both_languages() {
        for key in FLASHES {
            for lang in [Lang::Ru, Lang::En] {
                assert_ne!(flash_text(lang, key), format!("flash.{key}"), "missing flash.{key}");
            }
        }
    }

    #[test]
    fn every_label_built_from_a_code_has_a_string() {
        use crate::catalog::model::Kind;
        use crate::inventory::model::{DocKind, DocStatus};
        let mut keys: Vec<String> = Unit::ALL.iter().map(|u| format!("units.{}", u.code())).collect();
        keys.extend([Kind::Goods, Kind::Service, Kind::Bundle].map(|k| format!("kinds.{}", k.code())));
        keys.extend(DocKind::ALL.map(|k| format!("doc_kinds.{}", k.code())));
        keys.extend(
            [DocStatus::Draft, DocStatus::Posted, DocStatus::Cancelled]
                .map(|s| format!("doc_status.{}", crate::http::api::stock::status_code(s))),
        );
        let moves =
            ["receipt", "write_off", "transfer_out", "transfer_in", "count_gain", "count_loss", "supplier_return", "sale", "sale_return"];
        keys.extend(moves.map(|m| format!("moves.{m}")));
        for key in keys {
            for lang in [Lang::Ru, Lang::En] {
                assert_ne!(lang.t(&key), key, "missing {key}");
            }
        }
    }

    #[test]
    fn messages_for_one_field_are_joined() {
        let list = vec![
            FieldError::new("barcodes", "a", "один", "one"),
            FieldError::new("name", "b", "имя", "name"),
            FieldError::new("barcodes", "c", "два", "two"),
        ];
        let out = merged(list);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].ru.as_str(), out[0].en.as_str()), ("один; два", "one; two"));
        assert_eq!((money("2.345".parse().expect("d")), qty("3.000".parse().expect("d"))), ("2.35".to_string(), "3".to_string()));
    }
}
