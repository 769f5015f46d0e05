//! Product import pages: upload (multipart, read only after the right is checked),
//! the preview with counts, the first rows and every problem, confirm (optionally skipping
//! rows with problems) or discard, and the progress bar polled while the worker applies it.
//! Export downloads of the product list (CSV, XLSX) keep the list's filters.

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::{Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::catalog::query::{can_see_costs, require_module, require_read as require_catalog_read};
use crate::error::{Error, FieldError, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{BrandId, CategoryId, ImportId};
use crate::tenancy::perms::Perm;
use crate::transfer::model::{Import, ImportRow, Kind, State as ImportState};
use crate::transfer::{self, export};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/products/export", get(export))
        .route("/products/import", get(upload_form).post(upload))
        .route("/products/import/{id}", get(view))
        .route("/products/import/{id}/progress", get(progress_partial))
        .route("/products/import/{id}/confirm", post(confirm))
        .route("/products/import/{id}/discard", post(discard))
}

/// Rows shown in the preview table; problems are listed in full (up to `MAX_PROBLEMS`).
const SAMPLE: usize = 20;
const MAX_PROBLEMS: usize = 5_000;

/// The import pages: the right to import one kind at least (products' right and module
/// first, so a caller with none is refused as before).
fn require_import(ui: &Ui) -> Result<()> {
    if Kind::ALL.iter().any(|k| k.allowed(ui.actor())) {
        return Ok(());
    }
    ui.actor().require(Perm::PRODUCTS)?;
    require_module(ui.actor())
}

/// The kind a page address names (`?kind=sims`); absent: the first kind the user may import.
fn kind_of_query(ui: &Ui, uri: &Uri) -> Result<Kind> {
    let asked = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("kind");
    let kind = match asked.as_str() {
        "" => Kind::ALL.into_iter().find(|k| k.allowed(ui.actor())).unwrap_or(Kind::Products),
        k => Kind::parse(k).ok_or(Error::NotFound)?,
    };
    kind.require(ui.actor())?;
    Ok(kind)
}

/// An import of a kind the user may not import is as missing as another company's.
fn visible(tx: &impl crate::storage::Read, ui: &Ui, id: ImportId) -> Result<(Import, Kind)> {
    let import = transfer::import(tx, ui.actor().company, id)?;
    let kind = transfer::kind(tx, ui.actor().company, id)?;
    if !kind.allowed(ui.actor()) {
        return Err(Error::NotFound);
    }
    Ok((import, kind))
}

/// Per kind: the page title, the columns hint, where "done" leads and its label.
fn kind_text(kind: Kind) -> (&'static str, &'static str, &'static str, &'static str) {
    match kind {
        Kind::Products => ("import.title", "import.columns_hint", "/products", "import.to_products"),
        Kind::Sims => ("import.title_sims", "import.columns_hint_sims", "/telecom/sims", "import.to_sims"),
        Kind::Subscribers => {
            ("import.title_subscribers", "import.columns_hint_subscribers", "/telecom/subscribers", "import.to_subscribers")
        }
        Kind::Clients => ("import.title_clients", "import.columns_hint_clients", "/clients", "import.to_clients"),
        Kind::Contacts => ("import.title_contacts", "import.columns_hint_contacts", "/clients", "import.to_clients"),
    }
}

pub struct KindTab {
    pub href: String,
    pub key: String,
    pub active: bool,
}

pub struct ImportLine {
    pub id: u64,
    pub file_name: String,
    pub created: String,
    pub state: &'static str,
    pub rows: u32,
}

#[derive(Template)]
#[template(path = "import.html")]
struct UploadPage {
    lang: Lang,
    shell: Shell,
    errs: Errors,
    limit_mb: usize,
    imports: Vec<ImportLine>,
    kind: &'static str,
    title_key: &'static str,
    columns_key: &'static str,
    back_href: &'static str,
    /// The kind picker: the kinds this user may import (telecom kinds only with the plan's
    /// `telecom` feature); hidden when there is only one.
    kinds: Vec<KindTab>,
}

fn state_label(lang: Lang, s: ImportState) -> &'static str {
    lang.t(&format!("import.state_{}", s.code()))
}

fn upload_page(app: &App, ui: &Ui, kind: Kind, errs: Errors) -> Result<UploadPage> {
    let tx = app.db.read()?;
    let mut mine = Vec::new();
    for i in transfer::imports(&tx, ui.actor().company, 200)? {
        if mine.len() < 20 && transfer::kind(&tx, ui.actor().company, i.id)? == kind {
            mine.push(i);
        }
    }
    drop(tx);
    let imports = mine
        .into_iter()
        .map(|i| ImportLine {
            id: i.id.0,
            file_name: i.file_name,
            created: i.created.rfc3339(),
            state: state_label(ui.lang, i.state),
            rows: i.rows,
        })
        .collect();
    let (title_key, columns_key, back_href, _) = kind_text(kind);
    let allowed: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.allowed(ui.actor())).collect();
    let kinds = if allowed.len() > 1 {
        allowed
            .into_iter()
            .map(|k| KindTab {
                href: format!("/products/import?kind={}", k.code()),
                key: format!("import.kind_{}", k.code()),
                active: k == kind,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(UploadPage {
        lang: ui.lang,
        shell: Shell::load(app, ui)?,
        errs,
        limit_mb: app.config.import_limit_kb / 1024,
        imports,
        kind: kind.code(),
        title_key,
        columns_key,
        back_href,
        kinds,
    })
}

pub async fn upload_form(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_import(&ui)?;
    let kind = kind_of_query(&ui, &uri)?;
    render(StatusCode::OK, &upload_page(&app, &ui, kind, Errors::default())?)
}

pub async fn upload(State(app): State<App>, ui: Ui, uri: Uri, req: Request) -> Result<Response> {
    // The kind (from the address) and its right are checked before the body is read.
    require_import(&ui)?;
    let kind = kind_of_query(&ui, &uri)?;
    ui.actor().require_writable()?;
    let limit = app.config.import_limit_kb * 1024 + 64 * 1024;
    let file = crate::http::extract::multipart_part(req, limit, "file")
        .await?
        .filter(|p| !p.bytes.is_empty())
        .map(|p| (p.file_name.unwrap_or_default(), p.bytes));
    let outcome = match file {
        None => Err(Error::Validation(vec![FieldError::new("file", "required", "Выберите файл", "Choose a file")])),
        Some((name, bytes)) => start(&app, &ui, kind, name, bytes).await,
    };
    match outcome {
        Ok(import) => Ok(see_other(&format!("/products/import/{}", import.id))),
        Err(Error::Validation(list)) => {
            render(StatusCode::UNPROCESSABLE_ENTITY, &upload_page(&app, &ui, kind, Errors::new(&list, ui.lang, &["file"]))?)
        }
        Err(Error::PayloadTooLarge) => {
            let errs = Errors::form(Error::PayloadTooLarge.message(ui.lang));
            render(StatusCode::PAYLOAD_TOO_LARGE, &upload_page(&app, &ui, kind, errs)?)
        }
        Err(e) => Err(e),
    }
}

/// Reads the file off the runtime (within the spreadsheet slots) and stores its preview.
async fn start(app: &App, ui: &Ui, kind: Kind, file_name: String, bytes: Vec<u8>) -> Result<Import> {
    if bytes.len() > app.config.import_limit_kb * 1024 {
        return Err(Error::PayloadTooLarge);
    }
    let limits = transfer::read::Limits { unpacked_bytes: app.config.import_unpacked_mb << 20, ..transfer::read::LIMITS };
    let sheet = app.heavy(crate::app::Heavy::Sheet, move || transfer::read_file(&bytes, &limits)).await?;
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| transfer::preview_kind(tx, &actor, now, kind, &file_name, &sheet)).await
}

pub struct ProblemLine {
    pub line: u32,
    pub column: String,
    pub message: String,
}

pub struct SampleRow {
    pub line: u32,
    pub action: &'static str,
    pub cells: Vec<String>,
    pub bad: bool,
}

/// The progress part of the import page, polled every second while the worker applies it.
#[derive(Template)]
#[template(path = "import_progress_partial.html")]
struct ProgressPartial {
    lang: Lang,
    id: u64,
    state: &'static str,
    applying: bool,
    finished: bool,
    percent: u32,
    applied: u32,
    rows: u32,
    created: u32,
    updated: u32,
    failed: u32,
    failure: String,
    done_href: &'static str,
    done_key: &'static str,
}

fn progress(lang: Lang, i: &Import, kind: Kind) -> ProgressPartial {
    let (_, _, done_href, done_key) = kind_text(kind);
    let percent = if i.rows == 0 { 100 } else { (u64::from(i.next_row) * 100 / u64::from(i.rows)) as u32 };
    ProgressPartial {
        lang,
        id: i.id.0,
        state: state_label(lang, i.state),
        applying: i.state == ImportState::Applying,
        finished: matches!(i.state, ImportState::Done | ImportState::Failed),
        percent,
        applied: i.next_row,
        rows: i.rows,
        created: i.created_count,
        updated: i.updated_count,
        failed: i.failed_count,
        failure: i.failure.clone().unwrap_or_default(),
        done_href,
        done_key,
    }
}

#[derive(Template)]
#[template(path = "import_view.html")]
struct ViewPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    kind: &'static str,
    title_key: &'static str,
    file_name: String,
    format: String,
    columns: Vec<String>,
    unknown: String,
    rows: u32,
    new: u32,
    updates: u32,
    errors: u32,
    preview: bool,
    sample: Vec<SampleRow>,
    problems: Vec<ProblemLine>,
    more_problems: bool,
    /// The rendered `ProgressPartial` (the same fragment the poll replaces).
    progress_html: String,
}

fn sample_row(r: &ImportRow, columns: &[(crate::transfer::columns::Column, String)], lang: Lang) -> SampleRow {
    let action = match (!r.errors.iter().any(transfer::telecom::blocks), r.target) {
        (false, _) => lang.t("import.action_error"),
        (true, Some(_)) => lang.t("import.action_update"),
        (true, None) => lang.t("import.action_new"),
    };
    SampleRow {
        line: r.line,
        action,
        cells: columns.iter().map(|(c, _)| r.cell(*c).unwrap_or("").to_string()).collect(),
        bad: r.errors.iter().any(transfer::telecom::blocks),
    }
}

pub async fn view(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    require_import(&ui)?;
    let lang = ui.lang;
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let (import, kind) = visible(&tx, &ui, ImportId(id))?;
    let preview = import.state == ImportState::Preview;
    let sample = transfer::rows(&tx, company, import.id, 0, SAMPLE, false)?.iter().map(|r| sample_row(r, &import.columns, lang)).collect();
    let bad = transfer::rows(&tx, company, import.id, 0, MAX_PROBLEMS + 1, true)?;
    let more_problems = bad.len() > MAX_PROBLEMS;
    let problems = bad
        .iter()
        .take(MAX_PROBLEMS)
        .flat_map(|r| r.errors.iter().map(|e| ProblemLine { line: r.line, column: e.column.clone(), message: e.message(lang).to_string() }))
        .collect();
    drop(tx);
    let page = ViewPage {
        lang,
        shell: Shell::load(&app, &ui)?,
        id,
        kind: kind.code(),
        title_key: kind_text(kind).0,
        file_name: import.file_name.clone(),
        format: import.format.clone(),
        columns: import.columns.iter().map(|(_, n)| n.clone()).collect(),
        unknown: import.unknown_columns.join(", "),
        rows: import.rows,
        new: import.new,
        updates: import.updates,
        errors: import.errors,
        preview,
        sample,
        problems,
        more_problems,
        progress_html: progress(lang, &import, kind).render().map_err(|e| Error::Internal(format!("template: {e}")))?,
    };
    render(StatusCode::OK, &page)
}

pub async fn progress_partial(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    require_import(&ui)?;
    let (import, kind) = visible(&app.db.read()?, &ui, ImportId(id))?;
    render(StatusCode::OK, &progress(ui.lang, &import, kind))
}

pub async fn confirm(State(app): State<App>, ui: Ui, Path(id): Path<u64>, body: axum::body::Bytes) -> Result<Response> {
    require_import(&ui)?;
    let skip = Fields::parse(&body).get("skip_invalid") == "1";
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| transfer::confirm(tx, &actor, now, ImportId(id), skip)).await?;
    Ok(see_other(&format!("/products/import/{id}")))
}

pub async fn discard(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    require_import(&ui)?;
    let actor = ui.actor().clone();
    let kind = app
        .db
        .write(move |tx| {
            let kind = transfer::kind(tx, actor.company, ImportId(id))?;
            crate::transfer::discard(tx, &actor, ImportId(id))?;
            Ok::<_, Error>(kind)
        })
        .await?;
    Ok(see_other(&format!("/products/import?kind={}", kind.code())))
}

/// `/products/export?format=csv|xlsx&category=…&brand=…&kind=…&archived=1`: the list's
/// filters as the products page writes them.
pub async fn export(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_catalog_read(ui.actor())?;
    require_module(ui.actor())?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let format = f.get("format");
    let ask = export::ExportAsk {
        format: if format.is_empty() { "csv".into() } else { format },
        category: f.id("category").map(CategoryId),
        brand: f.id("brand").map(BrandId),
        kind: f.get("kind"),
        archived: f.get("archived") == "1",
    };
    let file = export::file(&app.db.read()?, ui.actor().company, &ask, ui.lang, can_see_costs(ui.actor()))?;
    let disposition = format!("attachment; filename=\"products.{}\"", file.ext);
    Ok(([(header::CONTENT_TYPE, file.mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], file.bytes).into_response())
}
