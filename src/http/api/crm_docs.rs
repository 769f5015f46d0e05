//! Documents from templates under `/api/v1/crm/` (`crm::docs`, `crm::templating`): the
//! company's templates (list, read, create, edit, delete; a body the sandbox refuses is a 422
//! whose field message names the line), the built-in ones, the context's fields, a PDF
//! preview, and documents made from a deal or an order — listed per deal, order and client and
//! downloaded as PDF. Templates are `crm_settings`; a deal's documents follow the deal, an
//! order's the orders' right.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::crm::docs::{self, Source, TemplateDraft};
use crate::crm::model::{CrmDoc, DocTemplate};
use crate::crm::templating::{self, BUILTINS, Builtin};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{ClientId, CrmDealId, CrmDocId, DocTemplateId, OrderId};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

#[derive(Serialize, ToSchema)]
pub struct CrmTemplateDto {
    /// A stored template's id; none for a built-in one.
    pub id: Option<u64>,
    /// What `template` takes when making a document: the id as text, or a built-in key
    /// ("offer.ru").
    pub key: String,
    pub builtin: bool,
    /// offer, invoice, act or contract.
    pub kind: String,
    pub name: String,
    /// ru or en: how amounts and dates are written.
    pub lang: String,
    /// The minijinja text; left out of lists.
    pub body: Option<String>,
    pub updated: Option<String>,
}

impl CrmTemplateDto {
    fn of(t: &DocTemplate, with_body: bool) -> CrmTemplateDto {
        CrmTemplateDto {
            id: Some(t.id.0),
            key: t.id.to_string(),
            builtin: false,
            kind: t.kind.code().into(),
            name: t.name.clone(),
            lang: t.lang.code().into(),
            body: with_body.then(|| t.body.clone()),
            updated: Some(t.updated.rfc3339()),
        }
    }

    fn builtin(b: &Builtin, with_body: bool) -> CrmTemplateDto {
        CrmTemplateDto {
            id: None,
            key: b.key(),
            builtin: true,
            kind: b.kind.code().into(),
            name: b.name(),
            lang: b.lang.code().into(),
            body: with_body.then(|| b.body.to_string()),
            updated: None,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmTemplateInput {
    /// offer, invoice, act or contract.
    pub kind: String,
    pub name: String,
    /// ru or en.
    pub lang: String,
    /// At most 64 KiB of minijinja; see `GET /api/v1/crm/templates/fields`.
    pub body: String,
}

impl From<CrmTemplateInput> for TemplateDraft {
    fn from(i: CrmTemplateInput) -> Self {
        TemplateDraft { kind: i.kind, name: i.name, lang: i.lang, body: i.body }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmPreviewInput {
    pub kind: String,
    pub lang: String,
    pub body: String,
    /// A deal to draw the preview against; a made-up sample without it.
    pub deal: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CrmDocumentInput {
    /// A stored template's id ("12" or 12) or a built-in key ("offer.ru").
    #[schema(value_type = String)]
    pub template: serde_json::Value,
}

impl CrmDocumentInput {
    fn choice(&self) -> String {
        match &self.template {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => String::new(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CrmFieldDto {
    /// How a template writes it: `client.name`.
    pub name: String,
    pub description: String,
}

#[derive(Serialize, ToSchema)]
pub struct CrmDocDto {
    pub id: u64,
    /// offer, invoice, act or contract.
    pub kind: String,
    /// "КП-2026-0001": per company, kind and year, gapless.
    pub number: String,
    /// The template's name when the document was made.
    pub template: String,
    pub title: String,
    pub client: Option<u64>,
    /// The deal it was made from.
    pub deal: Option<u64>,
    /// The order it was made from.
    pub order: Option<u64>,
    /// The PDF's size in bytes.
    pub size: u64,
    pub created: String,
    pub created_by: u64,
    /// Where to download the PDF.
    pub pdf: String,
}

fn doc_dto(tx: &impl Read, actor: &Actor, d: &CrmDoc) -> Result<CrmDocDto> {
    Ok(CrmDocDto {
        id: d.id.0,
        kind: d.kind.code().into(),
        number: d.number.clone(),
        template: d.template.clone(),
        title: d.title.clone(),
        client: d.client.map(|c| c.0),
        deal: d.deal.map(|x| x.0),
        order: docs::order_of(tx, actor, d)?.map(|o| o.0),
        size: d.size,
        created: d.created.rfc3339(),
        created_by: d.created_by.0,
        pdf: format!("/api/v1/crm/documents/{}/pdf", d.id),
    })
}

fn doc_dtos(tx: &impl Read, actor: &Actor, list: &[CrmDoc]) -> Result<Vec<CrmDocDto>> {
    list.iter().map(|d| doc_dto(tx, actor, d)).collect()
}

fn pdf(name: &str, disposition: &str, bytes: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

/// The company's templates (by kind, then name), then the built-in ones; bodies left out.
#[utoipa::path(get, path = "/api/v1/crm/templates", tag = "crm", security(("bearer" = [])),
    responses((status = 200, body = Vec<CrmTemplateDto>), (status = 403, body = Problem)))]
pub async fn list_templates(State(app): State<App>, a: Auth) -> Result<Json<Vec<CrmTemplateDto>>> {
    let own = docs::templates(&app.db.read()?, &a.actor)?;
    let mut out: Vec<CrmTemplateDto> = own.iter().map(|t| CrmTemplateDto::of(t, false)).collect();
    out.extend(BUILTINS.iter().map(|b| CrmTemplateDto::builtin(b, false)));
    Ok(Json(out))
}

#[utoipa::path(post, path = "/api/v1/crm/templates", tag = "crm", security(("bearer" = [])), request_body = CrmTemplateInput,
    responses((status = 201, body = CrmTemplateDto), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, description = "a field refused; a body's message names the line", body = Problem)))]
pub async fn create_template(
    State(app): State<App>,
    a: Auth,
    Json(i): Json<CrmTemplateInput>,
) -> Result<(StatusCode, Json<CrmTemplateDto>)> {
    docs::require_settings(&a.actor)?;
    let (now, d) = (app.now(), TemplateDraft::from(i));
    let t = app.db.write(move |tx| docs::save_template(tx, &a.actor, now, None, &d)).await?;
    Ok((StatusCode::CREATED, Json(CrmTemplateDto::of(&t, true))))
}

#[utoipa::path(get, path = "/api/v1/crm/templates/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmTemplateDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_template(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmTemplateDto>> {
    Ok(Json(CrmTemplateDto::of(&docs::template(&app.db.read()?, &a.actor, DocTemplateId(id))?, true)))
}

#[utoipa::path(put, path = "/api/v1/crm/templates/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmTemplateInput,
    responses((status = 200, body = CrmTemplateDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "a field refused; a body's message names the line", body = Problem)))]
pub async fn put_template(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmTemplateInput>,
) -> Result<Json<CrmTemplateDto>> {
    docs::require_settings(&a.actor)?;
    let (now, d) = (app.now(), TemplateDraft::from(i));
    let t = app.db.write(move |tx| docs::save_template(tx, &a.actor, now, Some(DocTemplateId(id)), &d)).await?;
    Ok(Json(CrmTemplateDto::of(&t, true)))
}

#[utoipa::path(delete, path = "/api/v1/crm/templates/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete_template(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| docs::delete_template(tx, &a.actor, now, DocTemplateId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A built-in template with its body ("offer.ru"), to use as it is or to copy.
#[utoipa::path(get, path = "/api/v1/crm/templates/builtin/{key}", tag = "crm", security(("bearer" = [])), params(("key" = String, Path)),
    responses((status = 200, body = CrmTemplateDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_builtin(a: Auth, Path(key): Path<String>) -> Result<Json<CrmTemplateDto>> {
    crate::crm::require_crm(&a.actor)?;
    let b = templating::builtin(&key).ok_or(Error::NotFound)?;
    Ok(Json(CrmTemplateDto::builtin(b, true)))
}

/// What a template may print.
#[utoipa::path(get, path = "/api/v1/crm/templates/fields", tag = "crm", security(("bearer" = [])),
    responses((status = 200, body = Vec<CrmFieldDto>), (status = 403, body = Problem)))]
pub async fn fields(a: Auth, headers: axum::http::HeaderMap) -> Result<Json<Vec<CrmFieldDto>>> {
    crate::crm::require_crm(&a.actor)?;
    let lang = crate::http::request_lang(&headers);
    Ok(Json(
        templating::FIELDS
            .iter()
            .map(|(name, ru, en)| CrmFieldDto { name: (*name).into(), description: lang.pick(ru, en).into() })
            .collect(),
    ))
}

/// A body (not yet saved) drawn as a PDF against a sample or a deal; nothing is numbered or
/// stored.
#[utoipa::path(post, path = "/api/v1/crm/templates/preview", tag = "crm", security(("bearer" = [])), request_body = CrmPreviewInput,
    responses((status = 200, description = "application/pdf"), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "a field refused; a body's message names the line", body = Problem)))]
pub async fn preview(State(app): State<App>, a: Auth, Json(i): Json<CrmPreviewInput>) -> Result<Response> {
    let draft = TemplateDraft { kind: i.kind, name: String::new(), lang: i.lang, body: i.body };
    let bytes = docs::preview(&app.db.read()?, &a.actor, app.now(), &draft, i.deal.map(CrmDealId))?;
    Ok(pdf("preview.pdf", "inline", bytes))
}

/// Makes a numbered document of the deal from a template (its lines, client and contact).
#[utoipa::path(post, path = "/api/v1/crm/deals/{id}/documents", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmDocumentInput,
    responses((status = 201, body = CrmDocDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn generate_for_deal(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmDocumentInput>,
) -> Result<(StatusCode, Json<CrmDocDto>)> {
    create_document(app, a, Source::Deal(CrmDealId(id)), i).await
}

/// Makes a document of `source` and answers it as created.
async fn create_document(app: App, a: Auth, source: Source, i: CrmDocumentInput) -> Result<(StatusCode, Json<CrmDocDto>)> {
    let (now, actor, choice) = (app.now(), a.actor.clone(), i.choice());
    let d = app.db.write(move |tx| docs::make(tx, &actor, now, source, &choice)).await?;
    Ok((StatusCode::CREATED, Json(doc_dto(&app.db.read()?, &a.actor, &d)?)))
}

/// Makes a numbered document of the order from a template: its lines, its client the buyer.
#[utoipa::path(post, path = "/api/v1/crm/orders/{id}/documents", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmDocumentInput,
    responses((status = 201, body = CrmDocDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn generate_for_order(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmDocumentInput>,
) -> Result<(StatusCode, Json<CrmDocDto>)> {
    create_document(app, a, Source::Order(OrderId(id)), i).await
}

#[utoipa::path(get, path = "/api/v1/crm/deals/{id}/documents", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "newest first, at most 100", body = Vec<CrmDocDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn deal_documents(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CrmDocDto>>> {
    let tx = app.db.read()?;
    Ok(Json(doc_dtos(&tx, &a.actor, &docs::of_deal(&tx, &a.actor, CrmDealId(id))?)?))
}

#[utoipa::path(get, path = "/api/v1/crm/orders/{id}/documents", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "newest first, at most 100", body = Vec<CrmDocDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn order_documents(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CrmDocDto>>> {
    let tx = app.db.read()?;
    Ok(Json(doc_dtos(&tx, &a.actor, &docs::of_order(&tx, &a.actor, OrderId(id))?)?))
}

/// The client's documents the caller may see (of deals they may see, of orders with the
/// orders' right), newest first.
#[utoipa::path(get, path = "/api/v1/crm/clients/{id}/documents", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "newest first, at most 100", body = Vec<CrmDocDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn client_documents(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CrmDocDto>>> {
    let tx = app.db.read()?;
    Ok(Json(doc_dtos(&tx, &a.actor, &docs::of_client(&tx, &a.actor, ClientId(id))?)?))
}

#[utoipa::path(get, path = "/api/v1/crm/documents/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmDocDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_document(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmDocDto>> {
    let tx = app.db.read()?;
    let d = docs::document(&tx, &a.actor, CrmDocId(id))?;
    Ok(Json(doc_dto(&tx, &a.actor, &d)?))
}

/// The PDF as issued, as a download.
#[utoipa::path(get, path = "/api/v1/crm/documents/{id}/pdf", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "application/pdf"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn document_pdf(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Response> {
    let (doc, bytes) = docs::file(&app.db.read()?, &a.actor, CrmDocId(id))?;
    Ok(pdf(&docs::pdf_name(&doc), "attachment", bytes))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(list_templates, create_template))
        .routes(routes!(get_template, put_template, delete_template))
        .routes(routes!(get_builtin))
        .routes(routes!(fields))
        .routes(routes!(preview))
        .routes(routes!(generate_for_deal, deal_documents))
        .routes(routes!(generate_for_order, order_documents))
        .routes(routes!(client_documents))
        .routes(routes!(get_document))
        .routes(routes!(document_pdf))
}
