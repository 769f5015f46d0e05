//! Printer pages: list with status and queue size, add and edit (transport, model, code page,
//! width, `FS .`, cash boxes), test print, the queue with its errors; the sale page's re-print.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::{Choice, Errors, Fields, Shell, Ui, flash_text, render, see_other};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{CashBoxId, PrinterId, SaleId};
use crate::printing::codepage::CodePage;
use crate::printing::{self, PrinterDraft, Transport};
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/printers", get(list_page).post(create))
        .route("/printers/{id}", get(edit_page).post(save))
        .route("/printers/{id}/test", post(test))
        .route("/printers/{id}/clear", post(clear))
        .route("/sales/{id}/reprint", post(reprint))
        .route("/sales/{id}/receipt.png", get(receipt_png))
}

const FLASHES: &[&str] = &["saved", "test", "cleared"];

fn shell(app: &App, ui: &Ui, uri: &Uri) -> Result<Shell> {
    let mut shell = Shell::load(app, ui)?;
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if let Some(key) = FLASHES.iter().find(|k| **k == ok) {
        shell.flash = Some(flash_text(ui.lang, &format!("print_{key}")));
    }
    Ok(shell)
}

/// The status word shown to people (printer page and POS page).
pub fn status_label(lang: Lang, code: Option<&str>) -> String {
    lang.t(&format!("printing.status_{}", code.unwrap_or("none"))).to_string()
}

pub struct Row {
    pub id: u64,
    pub name: String,
    pub transport: String,
    pub profile: String,
    pub boxes: String,
    pub status: String,
    pub status_code: String,
    pub detail: String,
    pub queued: usize,
    pub printed: u64,
    pub active: bool,
}

/// The form's values, as typed or as stored.
pub struct Form {
    pub name: String,
    pub transports: Vec<Choice>,
    pub address: String,
    pub baud: String,
    pub models: Vec<Choice>,
    pub pages: Vec<Choice>,
    pub table: String,
    pub widths: Vec<Choice>,
    pub cancel_kanji: bool,
    pub boxes: Vec<Choice>,
    pub active: bool,
}

fn choices(items: &[(&str, String)], selected: &str) -> Vec<Choice> {
    items.iter().map(|(v, l)| Choice { value: v.to_string(), label: l.clone(), selected: *v == selected }).collect()
}

fn form(app: &App, ui: &Ui, d: &PrinterDraft) -> Result<Form> {
    let lang = ui.lang;
    let t = |k: &str| lang.t(k).to_string();
    let tx = app.db.read()?;
    let boxes = crate::pos::query::cash_boxes(&tx, ui.actor())?
        .into_iter()
        .map(|b| Choice { value: b.id.0.to_string(), label: b.name, selected: d.cash_boxes.contains(&b.id) })
        .collect();
    Ok(Form {
        name: d.name.clone(),
        transports: choices(
            &[("tcp", t("printing.transport_tcp")), ("serial", t("printing.transport_serial")), ("usb", t("printing.transport_usb"))],
            &d.transport,
        ),
        address: d.address.clone(),
        baud: d.baud.clone(),
        models: choices(
            &[("epson", t("printing.model_epson")), ("xprinter", t("printing.model_xprinter")), ("custom", t("printing.model_custom"))],
            &d.model,
        ),
        pages: choices(&CodePage::ALL.map(|p| (p.code(), p.label().to_string())), &d.code_page),
        table: d.table.clone(),
        widths: choices(&[("58", "58 mm".to_string()), ("80", "80 mm".to_string())], &d.width),
        cancel_kanji: d.cancel_kanji,
        boxes,
        active: d.active,
    })
}

fn draft_of(f: &Fields) -> PrinterDraft {
    PrinterDraft {
        name: f.get("name"),
        transport: f.get("transport"),
        address: f.get("address"),
        baud: f.get("baud"),
        model: f.get("model"),
        code_page: f.get("code_page"),
        table: f.get("table"),
        width: f.get("width"),
        cancel_kanji: f.has("cancel_kanji"),
        cash_boxes: f.ids("cash_boxes").into_iter().map(CashBoxId).collect(),
        active: f.has("active"),
    }
}

const SHOWN: &[&str] = &["name", "transport", "address", "baud", "model", "code_page", "table", "width", "cash_boxes"];

#[derive(Template)]
#[template(path = "printers.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<Row>,
    form: Form,
    errs: Errors,
}

fn manage(ui: &Ui) -> Result<()> {
    ui.actor().require_feature("pos")?;
    ui.actor().require(Perm::CASHBOX)
}

fn rows(app: &App, ui: &Ui) -> Result<Vec<Row>> {
    let tx = app.db.read()?;
    let c = ui.actor().company;
    let names: Vec<(CashBoxId, String)> = crate::pos::query::cash_boxes(&tx, ui.actor())?.into_iter().map(|b| (b.id, b.name)).collect();
    let mut out = Vec::new();
    for p in printing::printers(&tx, c)? {
        let s = printing::status(&tx, c, p.id)?;
        let code = s.as_ref().map(|s| s.health.code());
        out.push(Row {
            id: p.id.0,
            transport: p.transport.address(),
            profile: format!("{} · ESC t {} · {} mm", p.profile.code_page.label(), p.profile.table, p.profile.width.code()),
            boxes: names.iter().filter(|(id, _)| p.cash_boxes.contains(id)).map(|(_, n)| n.clone()).collect::<Vec<_>>().join(", "),
            status: status_label(ui.lang, code),
            status_code: code.unwrap_or("none").to_string(),
            detail: s.as_ref().map(|s| s.detail.clone()).unwrap_or_default(),
            queued: printing::queue(&tx, c, p.id)?.len(),
            printed: s.map_or(0, |s| s.printed),
            active: p.active,
            name: p.name,
        });
    }
    Ok(out)
}

fn new_draft() -> PrinterDraft {
    PrinterDraft {
        transport: "tcp".into(),
        model: "epson".into(),
        code_page: "pc866".into(),
        width: "80".into(),
        active: true,
        ..PrinterDraft::default()
    }
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    manage(&ui)?;
    let page = ListPage {
        lang: ui.lang,
        shell: shell(&app, &ui, &uri)?,
        rows: rows(&app, &ui)?,
        form: form(&app, &ui, &new_draft())?,
        errs: Errors::default(),
    };
    render(StatusCode::OK, &page)
}

pub async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    manage(&ui)?;
    let mut d = draft_of(&f);
    d.active = true;
    let (now, actor, allowed, draft) = (app.now(), ui.actor().clone(), app.config.printer_paths.clone(), d.clone());
    match app.db.write(move |tx| printing::save_printer(tx, &actor, now, None, &draft, &allowed)).await {
        Ok(id) => Ok(see_other(&format!("/printers/{id}?ok=saved"))),
        Err(Error::Validation(list)) => {
            let errs = Errors::new(&list, ui.lang, SHOWN);
            let page = ListPage { lang: ui.lang, shell: shell(&app, &ui, &uri)?, rows: rows(&app, &ui)?, form: form(&app, &ui, &d)?, errs };
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e),
    }
}

pub struct QueueRow {
    pub title: String,
    pub created: String,
    pub attempts: u32,
    pub error: String,
}

#[derive(Template)]
#[template(path = "printer_edit.html")]
struct EditPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    row: Row,
    form: Form,
    queue: Vec<QueueRow>,
    errs: Errors,
}

fn edit_page_for(app: &App, ui: &Ui, uri: &Uri, id: PrinterId, draft: Option<PrinterDraft>, errs: Errors) -> Result<EditPage> {
    let tx = app.db.read()?;
    let c = ui.actor().company;
    let p = printing::printer(&tx, c, id)?;
    let d = draft.unwrap_or_else(|| PrinterDraft {
        name: p.name.clone(),
        transport: p.transport.kind().into(),
        address: p.transport.address(),
        baud: match &p.transport {
            Transport::Serial { baud, .. } => baud.to_string(),
            _ => String::new(),
        },
        model: p.profile.model.code().into(),
        code_page: p.profile.code_page.code().into(),
        table: if p.profile.model.table(p.profile.code_page) == Some(p.profile.table) {
            String::new()
        } else {
            p.profile.table.to_string()
        },
        width: p.profile.width.code().into(),
        cancel_kanji: p.profile.cancel_kanji,
        cash_boxes: p.cash_boxes.clone(),
        active: p.active,
    });
    let tz = crate::tenancy::timezone(&tx, c)?;
    let queue = printing::queue(&tx, c, id)?
        .into_iter()
        .map(|j| QueueRow {
            title: j.title,
            created: j.created.format_local(&tz),
            attempts: j.attempts,
            error: j.last_error.unwrap_or_default(),
        })
        .collect();
    drop(tx);
    let row = rows(app, ui)?.into_iter().find(|r| r.id == id.0).ok_or(Error::NotFound)?;
    Ok(EditPage { lang: ui.lang, shell: shell(app, ui, uri)?, id: id.0, row, form: form(app, ui, &d)?, queue, errs })
}

pub async fn edit_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    manage(&ui)?;
    render(StatusCode::OK, &edit_page_for(&app, &ui, &uri, PrinterId(id), None, Errors::default())?)
}

pub async fn save(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    manage(&ui)?;
    let d = draft_of(&f);
    let (now, actor, allowed, draft) = (app.now(), ui.actor().clone(), app.config.printer_paths.clone(), d.clone());
    match app.db.write(move |tx| printing::save_printer(tx, &actor, now, Some(PrinterId(id)), &draft, &allowed)).await {
        Ok(_) => Ok(see_other(&format!("/printers/{id}?ok=saved"))),
        Err(Error::Validation(list)) => {
            let errs = Errors::new(&list, ui.lang, SHOWN);
            render(StatusCode::UNPROCESSABLE_ENTITY, &edit_page_for(&app, &ui, &uri, PrinterId(id), Some(d), errs)?)
        }
        Err(e) => Err(e),
    }
}

pub async fn test(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| printing::test_print(tx, &actor, now, PrinterId(id))).await?;
    Ok(see_other(&format!("/printers/{id}?ok=test")))
}

pub async fn clear(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| printing::clear_queue(tx, &actor, now, PrinterId(id))).await?;
    Ok(see_other(&format!("/printers/{id}?ok=cleared")))
}

pub async fn reprint(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| printing::reprint(tx, &actor, now, SaleId(id))).await?;
    Ok(see_other(&format!("/sales/{id}?ok=reprinted")))
}

pub async fn receipt_png(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    let png = printing::preview_png(&app.db.read()?, ui.actor(), SaleId(id))?;
    Ok(([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "private, no-store")], png).into_response())
}
