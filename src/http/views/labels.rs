//! The labels page (Settings → Labels): label printers and their setup, shelf labels of the
//! products whose price changed since their last label (all, or a selection), and a
//! weighed-goods label for one packed item.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::{PrinterId, ProductId};
use crate::printing::labels::{self, SetupDraft, WeighedDraft};
use crate::printing::tspl::TextMode;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/labels", get(page))
        .route("/labels/setup", post(setup))
        .route("/labels/shelf", post(shelf))
        .route("/labels/weighed", post(weighed))
}

const SHOWN: &[&str] = &["printer", "language", "size", "gap", "dpi", "text", "product", "weight", "shelf_life_days", "copies"];
const FLASHES: &[&str] = &["setup", "printed"];

pub struct PrinterRow {
    pub id: u64,
    pub name: String,
    pub setup: String,
}

pub struct ChangedRow {
    pub id: u64,
    pub name: String,
    pub price: String,
    pub printed: String,
}

#[derive(Template)]
#[template(path = "labels.html")]
struct Page {
    lang: Lang,
    shell: Shell,
    label_printers: Vec<PrinterRow>,
    /// Every printer, for the setup form.
    printers: Vec<Choice>,
    /// The label printers, for the print forms.
    targets: Vec<Choice>,
    languages: Vec<Choice>,
    texts: Vec<Choice>,
    size: String,
    changed: Vec<ChangedRow>,
    weighed: Vec<Choice>,
    weight: String,
    shelf_life_days: String,
    /// The barcode of the weighed label just queued.
    barcode: String,
    errs: Errors,
}

fn choice(value: impl ToString, label: impl Into<String>, selected: bool) -> Choice {
    Choice { value: value.to_string(), label: label.into(), selected }
}

fn page_for(app: &App, ui: &Ui, uri: &Uri, f: Option<&Fields>, barcode: String, errs: Errors) -> Result<Page> {
    let lang = ui.lang;
    let actor = ui.actor();
    let tx = app.db.read()?;
    let setups = labels::label_printers(&tx, actor)?;
    let get = |k: &str| f.map(|f| f.get(k)).unwrap_or_default();
    let label_printers = setups
        .iter()
        .map(|(p, s)| PrinterRow {
            id: p.id.0,
            name: p.name.clone(),
            setup: format!("{} · {}×{} mm · {} dpi", s.language.code().to_uppercase(), s.width_mm, s.height_mm, s.dpi),
        })
        .collect();
    let printers = crate::printing::printers(&tx, actor.company)?
        .into_iter()
        .map(|p| choice(p.id.0, p.name.clone(), get("printer") == p.id.0.to_string()))
        .collect();
    let targets = setups.iter().map(|(p, _)| choice(p.id.0, p.name.clone(), get("printer") == p.id.0.to_string())).collect();
    let language = get("language");
    let text = get("text");
    let changed = labels::changed_for(&tx, actor, 200)?
        .into_iter()
        .map(|(p, last)| ChangedRow {
            id: p.id.0,
            name: p.name,
            price: crate::money::display::amount(lang, p.price),
            printed: last.map(|d| crate::money::display::amount(lang, d)).unwrap_or_else(|| "—".into()),
        })
        .collect();
    let weighed = labels::weighed_products(&tx, actor, 1000)?
        .into_iter()
        .map(|p| choice(p.id.0, format!("{} (PLU {})", p.name, p.plu.unwrap_or_default()), get("product") == p.id.0.to_string()))
        .collect();
    let mut shell = Shell::load(app, ui)?;
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if let Some(key) = FLASHES.iter().find(|k| **k == ok) {
        shell.flash = Some(lang.t(&format!("labels.flash_{key}")));
    }
    let size = get("size");
    Ok(Page {
        lang,
        shell,
        label_printers,
        printers,
        targets,
        languages: [("tspl", "TSPL"), ("escpos", "ESC/POS")].into_iter().map(|(v, l)| choice(v, l, language == v)).collect(),
        texts: [TextMode::Bitmap, TextMode::Codepage]
            .into_iter()
            .map(|m| choice(m.code(), lang.t(&format!("labels.text_{}", m.code())), text == m.code()))
            .collect(),
        size: if size.is_empty() { "58x40".into() } else { size },
        changed,
        weighed,
        weight: get("weight"),
        shelf_life_days: get("shelf_life_days"),
        barcode,
        errs,
    })
}

async fn page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &page_for(&app, &ui, &uri, None, String::new(), Errors::default())?)
}

/// A refused or invalid form shows the page again with its messages; other errors propagate.
fn again(app: &App, ui: &Ui, uri: &Uri, f: &Fields, e: Error) -> Result<Response> {
    let (status, errs) = match e {
        Error::Validation(list) => (StatusCode::UNPROCESSABLE_ENTITY, Errors::new(&list, ui.lang, SHOWN)),
        e @ Error::Refused { .. } => (StatusCode::CONFLICT, Errors::form(e.message(ui.lang))),
        e => return Err(e),
    };
    render(status, &page_for(app, ui, uri, Some(f), String::new(), errs)?)
}

async fn setup(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let printer = PrinterId(f.id("printer").unwrap_or(0));
    let (now, actor) = (app.now(), ui.actor().clone());
    let result = if f.has("unset") {
        app.db.write(move |tx| labels::clear_setup(tx, &actor, now, printer)).await
    } else {
        let d = SetupDraft { language: f.get("language"), size: f.get("size"), gap: f.get("gap"), dpi: f.get("dpi"), text: f.get("text") };
        app.db.write(move |tx| labels::set_setup(tx, &actor, now, printer, &d).map(|_| ())).await
    };
    match result {
        Ok(()) => Ok(see_other("/labels?ok=setup")),
        Err(e) => again(&app, &ui, &uri, &f, e),
    }
}

async fn shelf(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let printer = PrinterId(f.id("printer").unwrap_or(0));
    let ids: Vec<ProductId> = f.ids("products").into_iter().map(ProductId).collect();
    let all = f.has("all");
    let (now, actor) = (app.now(), ui.actor().clone());
    let result = app
        .db
        .write(
            move |tx| {
                if all { labels::print_changed(tx, &actor, now, printer) } else { labels::print_shelf(tx, &actor, now, printer, &ids) }
            },
        )
        .await;
    match result {
        Ok(_) => Ok(see_other("/labels?ok=printed")),
        Err(e) => again(&app, &ui, &uri, &f, e),
    }
}

async fn weighed(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let printer = PrinterId(f.id("printer").unwrap_or(0));
    let d = WeighedDraft {
        product: f.id("product").unwrap_or(0),
        weight: f.get("weight"),
        shelf_life_days: f.get("shelf_life_days"),
        copies: f.get("copies"),
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| labels::print_weighed(tx, &actor, now, printer, &d)).await {
        Ok(code) => {
            let mut page = page_for(&app, &ui, &uri, Some(&f), code, Errors::default())?;
            page.shell.flash = Some(ui.lang.t("labels.flash_printed"));
            render(StatusCode::OK, &page)
        }
        Err(e) => again(&app, &ui, &uri, &f, e),
    }
}
