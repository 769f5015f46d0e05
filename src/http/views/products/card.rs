//! The product card: details, stock per warehouse (quantity, value at cost), the movements
//! with the FIFO layers each outbound one consumed ("3 из ПР-000012 по 85.00"), and archive,
//! restore and delete (refused, with the reason, for a product that has movements).

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use rust_decimal::Decimal;

use super::kind_label;
use crate::app::App;
use crate::catalog;
use crate::catalog::images;
use crate::catalog::model::{Component, Product};
use crate::catalog::query::{self, require_module};
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::http::views::fmt::{amount, quantity, unit_label, zero_blank};
use crate::http::views::form::{refused, stock_flash as flash};
use crate::http::views::{Errors, Shell, Ui, render, see_other};
use crate::i18n::Lang;
use crate::ids::{CompanyId, ImageId, ProductId};
use crate::inventory::query::{card, require_read as require_stock_read};
use crate::storage::ReadTx;
use crate::tenancy::perms::Perm;

pub struct BalanceRow {
    pub name: String,
    pub qty: String,
    pub value: String,
}

pub struct MoveRow {
    pub date: String,
    pub warehouse: String,
    pub kind: &'static str,
    pub doc: u64,
    pub number: String,
    pub qty: String,
    pub value: String,
    pub qty_after: String,
    pub value_after: String,
    /// "3 из ПР-000012 по 85.00" for each cost layer an outbound movement consumed.
    pub layers: Vec<String>,
}

pub struct CardStock {
    pub balances: Vec<BalanceRow>,
    pub total_qty: String,
    pub total_value: String,
    pub moves: Vec<MoveRow>,
}

#[derive(Template)]
#[template(path = "product_card.html")]
struct CardPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    archived: bool,
    facts: Vec<(&'static str, String)>,
    unit: &'static str,
    stocked: bool,
    stock: Option<CardStock>,
    can_edit: bool,
    /// (image id, 320 px width, height) in display order.
    images: Vec<(u64, u32, u32)>,
    image_limit_kb: usize,
    errs: Errors,
}

/// The product's details as (label, value), leaving out what is empty.
fn facts(tx: &ReadTx, lang: Lang, company: CompanyId, p: &Product) -> Result<Vec<(&'static str, String)>> {
    let name_of =
        |id: ProductId| -> Result<String> { Ok(query::find_product(tx, company, id)?.map(|x| x.name).unwrap_or_else(|| format!("#{id}"))) };
    let list = |comps: &[Component]| -> Result<String> {
        let mut parts = Vec::new();
        for x in comps {
            parts.push(format!("{} × {}", name_of(x.product)?, quantity(lang, x.qty)));
        }
        Ok(parts.join("; "))
    };
    let mut out = vec![
        (lang.t("products.kind"), kind_label(lang, p.kind).to_string()),
        (lang.t("products.code"), p.code.clone()),
        (lang.t("products.article"), p.article.clone()),
        (lang.t("products.barcodes"), p.barcodes.join(", ")),
        (lang.t("products.unit"), unit_label(lang, p.unit).to_string()),
        (lang.t("products.plu"), p.plu.map(|n| n.to_string()).unwrap_or_default()),
        (lang.t("products.brand"), p.brand.and_then(|b| query::brand(tx, company, b).ok()).map(|b| b.name).unwrap_or_default()),
        (lang.t("products.category"), p.category.and_then(|x| query::category(tx, company, x).ok()).map(|x| x.name).unwrap_or_default()),
        (lang.t("products.purchase_price"), amount(lang, p.purchase_price)),
        (lang.t("products.markup"), zero_blank(p.markup)),
        (lang.t("products.price"), amount(lang, p.price)),
        (lang.t("products.discount"), zero_blank(p.discount)),
        (lang.t("products.country"), p.country.clone()),
        (lang.t("products.expiry"), p.expiry.clone()),
        (
            lang.t("products.packages"),
            p.packages.iter().map(|k| format!("{} = {}", k.name, quantity(lang, k.qty))).collect::<Vec<_>>().join("; "),
        ),
        (lang.t("products.dimensions"), p.characteristics.dimensions.clone()),
        (lang.t("products.weight"), p.characteristics.weight.clone()),
        (lang.t("products.components"), list(&p.components)?),
        (lang.t("products.recipe"), list(&p.recipe)?),
        (lang.t("products.reorder_level"), zero_blank(p.reorder_level)),
    ];
    if p.weighed {
        out.push((lang.t("products.weighed"), lang.t("products.yes").into()));
    }
    out.retain(|(_, v)| !v.is_empty());
    Ok(out)
}

fn card_page_for(app: &App, ui: &Ui, uri: &Uri, id: u64, errs: Errors) -> Result<CardPage> {
    query::require_read(ui.actor())?;
    require_module(ui.actor())?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let lang = ui.lang;
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let p = query::product(&tx, company, ProductId(id))?;
    let stock = match require_stock_read(ui.actor()) {
        Ok(()) if p.kind.stocked() => {
            let card = card(&tx, company, ProductId(id), 200)?;
            let names: Vec<(u64, String)> = card.balances.iter().map(|(w, _)| (w.id.0, w.name.clone())).collect();
            let (total_qty, total_value) =
                card.balances.iter().fold((Decimal::ZERO, Decimal::ZERO), |(q, v), (_, b)| (q + b.qty, v + b.value));
            let moves = card
                .moves
                .into_iter()
                .map(|m| MoveRow {
                    date: m.date.format_local(&shell.timezone),
                    warehouse: names.iter().find(|(w, _)| *w == m.warehouse.0).map(|(_, n)| n.clone()).unwrap_or_default(),
                    kind: lang.t(&format!("moves.{}", m.kind.code())),
                    doc: m.doc.0,
                    number: m.number,
                    qty: quantity(lang, m.qty),
                    value: amount(lang, m.value),
                    qty_after: quantity(lang, m.qty_after),
                    value_after: amount(lang, m.value_after),
                    layers: m
                        .layers
                        .iter()
                        .map(|l| {
                            let unit = if l.qty.is_zero() { Decimal::ZERO } else { l.amount / l.qty };
                            lang.t("card.layer")
                                .replace("{qty}", &quantity(lang, l.qty))
                                .replace("{doc}", &l.number)
                                .replace("{price}", &amount(lang, unit))
                        })
                        .collect(),
                })
                .collect();
            Some(CardStock {
                balances: card
                    .balances
                    .into_iter()
                    .map(|(w, b)| BalanceRow { name: w.name, qty: quantity(lang, b.qty), value: amount(lang, b.value) })
                    .collect(),
                total_qty: quantity(lang, total_qty),
                total_value: amount(lang, total_value),
                moves,
            })
        }
        _ => None,
    };
    Ok(CardPage {
        lang,
        facts: facts(&tx, lang, company, &p)?,
        shell,
        id,
        unit: unit_label(lang, p.unit),
        stocked: p.kind.stocked(),
        name: p.name,
        archived: p.archived,
        stock,
        can_edit: ui.actor().can(Perm::PRODUCTS),
        images: images::images(&tx, company, ProductId(id))?
            .iter()
            .map(|m| {
                let (w, h) = m.sizes.iter().find(|z| z.0 == 320).map(|z| (z.1, z.2)).unwrap_or((320, 320));
                (m.id.0, w, h)
            })
            .collect(),
        image_limit_kb: app.config.image_limit_kb,
        errs,
    })
}

pub async fn card_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &card_page_for(&app, &ui, &uri, id, Errors::default())?)
}

async fn set_archived(app: App, ui: Ui, id: u64, archived: bool) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| catalog::set_archived(tx, &actor, now, ProductId(id), archived)).await?;
    let ok = if archived { "product_archived" } else { "product_restored" };
    Ok(see_other(&format!("/products/{id}?ok={ok}")))
}

pub async fn archive(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    set_archived(app, ui, id, true).await
}

pub async fn restore(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    set_archived(app, ui, id, false).await
}

/// Deletes a product that never moved; one with movements stays, and the card says why.
pub async fn delete(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| crate::inventory::delete_product(tx, &actor, now, ProductId(id))).await {
        Ok(()) => Ok(see_other("/products?ok=product_deleted")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &card_page_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

pub async fn upload_image(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, req: axum::extract::Request) -> Result<Response> {
    // The right and the product are checked before the body is read.
    images::may_add(&app.db.read()?, ui.actor(), ProductId(id))?;
    let limit = app.config.image_limit_kb * 1024 + 16 * 1024;
    let bytes = crate::http::extract::multipart_part(req, limit, "image")
        .await?
        .filter(|p| p.file_name.is_some())
        .map(|p| p.bytes)
        .unwrap_or_default();
    match store_upload(&app, &ui, ProductId(id), bytes).await {
        Ok(_) => Ok(see_other(&format!("/products/{id}?ok=image_saved"))),
        Err(Error::PayloadTooLarge) => {
            let kb = app.config.image_limit_kb.to_string();
            let text = |lang: Lang| lang.t("card.image_too_big").replace("{kb}", &kb);
            let e = Error::Validation(vec![crate::error::FieldError::new("image", "too_large", text(Lang::Ru), text(Lang::En))]);
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &card_page_for(&app, &ui, &uri, id, errs)?)
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &card_page_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

/// Decodes and resizes off the runtime, then stores the image in one write.
async fn store_upload(app: &App, ui: &Ui, product: ProductId, bytes: Vec<u8>) -> Result<ImageId> {
    let limit = app.config.image_limit_kb * 1024;
    let prepared = app.heavy(crate::app::Heavy::Image, move || images::prepare_image(&bytes, limit)).await?;
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| images::add_image(tx, &actor, now, product, prepared)).await
}

pub async fn delete_image(State(app): State<App>, ui: Ui, Path((id, image)): Path<(u64, u64)>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| images::remove_image(tx, &actor, now, ProductId(id), ImageId(image))).await?;
    Ok(see_other(&format!("/products/{id}?ok=image_removed")))
}
