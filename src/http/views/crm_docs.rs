//! Documents from templates (issue 17): the templates page (built-in templates to use or
//! copy, the company's own), the editor (kind, language, name, body, the fields the context
//! offers, the markup, a PDF preview against a sample or a deal), making a document on the
//! deal page and on the order page, and its download. The deal page and the client card list documents through
//! `deal_docs` and `client_docs`.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::crm::deals::{self, DealFilter};
use crate::crm::docs::{self, TemplateDraft};
use crate::crm::model::{CrmDoc, DocKind};
use crate::crm::templating::{self, BUILTINS};
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{ClientId, CrmDealId, CrmDocId, DocTemplateId, OrderId};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/crm/templates", get(list_page).post(create))
        .route("/crm/templates/new", get(new_page))
        .route("/crm/templates/preview", post(preview))
        .route("/crm/templates/{id}", get(edit_page).post(save))
        .route("/crm/templates/{id}/delete", post(delete))
        .route("/crm/deals/{id}/documents", post(generate))
        .route("/crm/orders/{id}/documents", post(generate_for_order))
        .route("/crm/documents/{id}/pdf", get(download))
}

const FIELDS: &[&str] = &["kind", "lang", "name", "body"];
const FLASHES: &[&str] = &["template_saved", "template_deleted"];

fn kind_label(lang: Lang, kind: DocKind) -> &'static str {
    lang.t(&format!("crm_docs.kind_{}", kind.code()))
}

// ---- the templates page ----

pub struct TemplateRow {
    /// A stored template's id, or a built-in one's key ("offer.ru").
    pub key: String,
    pub name: String,
    pub kind: &'static str,
    pub lang: &'static str,
}

#[derive(Template)]
#[template(path = "crm_templates.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    builtins: Vec<TemplateRow>,
    own: Vec<TemplateRow>,
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    docs::require_settings(ui.actor())?;
    let lang = ui.lang;
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, lang, &uri, FLASHES, "crm_docs.");
    let own = docs::templates(&app.db.read()?, ui.actor())?
        .into_iter()
        .map(|t| TemplateRow { key: t.id.to_string(), name: t.name, kind: kind_label(lang, t.kind), lang: t.lang.code() })
        .collect();
    let builtins = BUILTINS
        .iter()
        .map(|b| TemplateRow { key: b.key(), name: b.name(), kind: kind_label(lang, b.kind), lang: b.lang.code() })
        .collect();
    render(StatusCode::OK, &ListPage { lang, shell, builtins, own })
}

// ---- the editor ----

#[derive(Template)]
#[template(path = "crm_template.html")]
struct EditorPage {
    lang: Lang,
    shell: Shell,
    errs: Errors,
    /// None for a template not yet saved.
    id: Option<u64>,
    draft: TemplateDraft,
    kinds: Vec<Choice>,
    langs: Vec<Choice>,
    /// The deals a preview may be drawn against (a sample first).
    deals: Vec<Choice>,
    fields: Vec<(&'static str, &'static str)>,
}

fn editor(app: &App, ui: &Ui, uri: &Uri, id: Option<u64>, draft: TemplateDraft, errs: Errors) -> Result<EditorPage> {
    docs::require_settings(ui.actor())?;
    let lang = ui.lang;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri, FLASHES, "crm_docs.");
    let kinds = DocKind::ALL
        .iter()
        .map(|k| Choice { value: k.code().into(), label: kind_label(lang, *k).into(), selected: draft.kind == k.code() })
        .collect();
    let langs = [Lang::Ru, Lang::En]
        .iter()
        .map(|l| Choice { value: l.code().into(), label: l.code().into(), selected: draft.lang == l.code() })
        .collect();
    let mut deal_choices = vec![Choice { value: String::new(), label: lang.t("crm_docs.sample").into(), selected: true }];
    if deals::require_deals(ui.actor()).is_ok() {
        let list = deals::list(&app.db.read()?, ui.actor(), &DealFilter { limit: 50, ..Default::default() })?;
        deal_choices.extend(list.into_iter().map(|d| Choice { value: d.id.to_string(), label: d.title, selected: false }));
    }
    Ok(EditorPage {
        lang,
        shell,
        errs,
        id,
        draft,
        kinds,
        langs,
        deals: deal_choices,
        fields: templating::FIELDS.iter().map(|(name, ru, en)| (*name, lang.pick(ru, en))).collect(),
    })
}

fn draft_of(f: &Fields) -> TemplateDraft {
    TemplateDraft { kind: f.get("kind"), name: f.get("name"), lang: f.get("lang"), body: f.get("body") }
}

/// A new template, filled from a built-in one (`?from=offer.ru`) or one of the company's
/// (`?from=<id>`).
pub async fn new_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    docs::require_settings(ui.actor())?;
    let from = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("from");
    let draft = match (from.parse::<u64>(), templating::builtin(&from)) {
        (Ok(id), _) => {
            let t = docs::template(&app.db.read()?, ui.actor(), DocTemplateId(id))?;
            TemplateDraft { name: format!("{} (2)", t.name), ..TemplateDraft::of(&t) }
        }
        (_, Some(b)) => TemplateDraft { kind: b.kind.code().into(), name: b.name(), lang: b.lang.code().into(), body: b.body.into() },
        _ => TemplateDraft { kind: "offer".into(), lang: ui.lang.code().into(), ..Default::default() },
    };
    render(StatusCode::OK, &editor(&app, &ui, &uri, None, draft, Errors::default())?)
}

pub async fn edit_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let t = docs::template(&app.db.read()?, ui.actor(), DocTemplateId(id))?;
    render(StatusCode::OK, &editor(&app, &ui, &uri, Some(id), TemplateDraft::of(&t), Errors::default())?)
}

async fn save_draft(app: App, ui: Ui, uri: Uri, id: Option<u64>, f: Fields) -> Result<Response> {
    docs::require_settings(ui.actor())?;
    let draft = draft_of(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), draft.clone());
    match app.db.write(move |tx| docs::save_template(tx, &actor, now, id.map(DocTemplateId), &saving)).await {
        Ok(t) => Ok(see_other(&format!("/crm/templates/{}?ok=template_saved", t.id))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, FIELDS)?;
            render(status, &editor(&app, &ui, &uri, id, draft, errs)?)
        }
    }
}

pub async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    save_draft(app, ui, uri, None, f).await
}

pub async fn save(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    save_draft(app, ui, uri, Some(id), f).await
}

pub async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    docs::require_settings(ui.actor())?;
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| docs::delete_template(tx, &actor, now, DocTemplateId(id))).await?;
    Ok(see_other("/crm/templates?ok=template_deleted"))
}

/// The editor's text drawn as a PDF shown in the browser (the form opens it in a new tab);
/// a refused body comes back as the editor with its message.
pub async fn preview(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    docs::require_settings(ui.actor())?;
    let draft = draft_of(&f);
    let deal = f.id("deal").map(CrmDealId);
    let id = f.id("id");
    let drawn = {
        let tx = app.db.read()?;
        docs::preview(&tx, ui.actor(), app.now(), &draft, deal)
    };
    match drawn {
        Ok(bytes) => Ok((
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (header::CONTENT_DISPOSITION, "inline; filename=\"preview.pdf\"".into()),
            ],
            bytes,
        )
            .into_response()),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, FIELDS)?;
            render(status, &editor(&app, &ui, &uri, id, draft, errs)?)
        }
    }
}

// ---- documents ----

pub struct DocRow {
    pub id: u64,
    pub number: String,
    pub title: String,
    pub at: String,
    /// "/crm/deals/<id>" or "/crm/orders/<id>": what it was made from.
    pub source: String,
}

fn doc_rows(tx: &impl crate::storage::Read, ui: &Ui, list: Vec<CrmDoc>, tz: &str) -> Result<Vec<DocRow>> {
    let mut out = Vec::with_capacity(list.len());
    for d in list {
        let source = match (d.deal, docs::order_of(tx, ui.actor(), &d)?) {
            (Some(id), _) => format!("/crm/deals/{id}"),
            (None, Some(id)) => format!("/crm/orders/{id}"),
            (None, None) => String::new(),
        };
        out.push(DocRow { id: d.id.0, number: d.number, title: d.title, at: d.created.format_local(tz), source });
    }
    Ok(out)
}

/// A deal's documents and the templates it may be made from: the company's own first, then
/// the built-in ones.
pub(super) fn deal_docs(app: &App, ui: &Ui, tz: &str, deal: CrmDealId) -> Result<(Vec<DocRow>, Vec<Choice>)> {
    let tx = app.db.read()?;
    let rows = doc_rows(&tx, ui, docs::of_deal(&tx, ui.actor(), deal)?, tz)?;
    Ok((rows, template_choices(&tx, ui)?))
}

/// An order's documents and the templates it may be made from.
pub(super) fn order_docs(app: &App, ui: &Ui, tz: &str, order: OrderId) -> Result<(Vec<DocRow>, Vec<Choice>)> {
    let tx = app.db.read()?;
    let rows = doc_rows(&tx, ui, docs::of_order(&tx, ui.actor(), order)?, tz)?;
    Ok((rows, template_choices(&tx, ui)?))
}

/// The templates a document may be made from: the company's own first, then the built-in ones.
fn template_choices(tx: &impl crate::storage::Read, ui: &Ui) -> Result<Vec<Choice>> {
    let lang = ui.lang;
    let mut choices: Vec<Choice> = docs::templates(tx, ui.actor())?
        .into_iter()
        .map(|t| Choice { value: t.id.to_string(), label: format!("{} · {}", t.name, kind_label(lang, t.kind)), selected: false })
        .collect();
    choices.extend(BUILTINS.iter().map(|b| Choice { value: b.key(), label: b.name(), selected: false }));
    if let Some(first) = choices.first_mut() {
        first.selected = true;
    }
    Ok(choices)
}

/// A client's documents for its card; empty for readers without the CRM.
pub(super) fn client_docs(app: &App, ui: &Ui, tz: &str, client: ClientId) -> Result<Vec<DocRow>> {
    if crate::crm::require_crm(ui.actor()).is_err() {
        return Ok(Vec::new());
    }
    let tx = app.db.read()?;
    doc_rows(&tx, ui, docs::of_client(&tx, ui.actor(), client)?, tz)
}

pub async fn generate(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    deals::require_deals(ui.actor())?;
    let (now, actor, choice) = (app.now(), ui.actor().clone(), f.get("template"));
    match app.db.write(move |tx| docs::generate(tx, &actor, now, CrmDealId(id), &choice)).await {
        Ok(_) => Ok(see_other(&format!("/crm/deals/{id}?ok=document_created#documents"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &super::crm::deal_for(&app, &ui, &uri, id, None, errs)?)
        }
    }
}

pub async fn generate_for_order(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    crate::crm::orders::require_orders(ui.actor())?;
    let (now, actor, choice) = (app.now(), ui.actor().clone(), f.get("template"));
    match app.db.write(move |tx| docs::generate_for_order(tx, &actor, now, OrderId(id), &choice)).await {
        Ok(_) => Ok(see_other(&format!("/crm/orders/{id}?ok=document_created#documents"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &super::crm_orders::order_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

pub async fn download(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (doc, bytes) = docs::file(&app.db.read()?, ui.actor(), CrmDocId(id))?;
    Ok(crate::http::shared::pdf_download(&docs::pdf_name(&doc), bytes))
}
