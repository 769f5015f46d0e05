//! Files attached to a client's card under `/api/v1/crm/` (`crm::attachments`): list, upload
//! (the raw bytes as the body, the name in `?name=`), metadata, download (always as an
//! attachment) and removal. Rights, the client and the quota are checked before the body is
//! read; the body is read up to the per-file limit only.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Limits, limited};
use crate::app::App;
use crate::crm::attachments::{self, Attachment};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{AttachmentId, ClientId};

#[derive(Serialize, ToSchema)]
pub struct CrmAttachmentDto {
    pub id: u64,
    pub client: u64,
    /// The file's name as uploaded, cleaned of paths and control characters.
    pub name: String,
    /// The content type it is downloaded with (`application/octet-stream` for unknown types).
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub created: String,
    pub created_by: u64,
    /// Where to download it.
    pub url: String,
}

impl From<&Attachment> for CrmAttachmentDto {
    fn from(a: &Attachment) -> Self {
        CrmAttachmentDto {
            id: a.id.0,
            client: a.client.0,
            name: a.name.clone(),
            content_type: a.mime.clone(),
            size: a.size,
            sha256: a.sha256.clone(),
            created: a.created.rfc3339(),
            created_by: a.created_by.0,
            url: format!("/api/v1/crm/attachments/{}/file", a.id),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AttachmentQuery {
    /// The file's name ("Договор.pdf"); its extension decides the download's content type.
    pub name: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/crm/clients/{id}/attachments", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "newest first, at most 200", body = Vec<CrmAttachmentDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn list(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CrmAttachmentDto>>> {
    let tx = app.db.read()?;
    Ok(Json(attachments::of_client(&tx, &a.actor, ClientId(id))?.iter().map(CrmAttachmentDto::from).collect()))
}

/// Attaches a file to the client's card: the raw bytes as the body, any type, at most
/// `attachment_limit_kb` (413 `attachment_too_large`); the company's files together at most
/// `attachment_quota_mb` (409 `attachment_quota_exceeded`).
#[utoipa::path(post, path = "/api/v1/crm/clients/{id}/attachments", tag = "crm", security(("bearer" = [])),
    params(("id" = u64, Path), AttachmentQuery), request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = CrmAttachmentDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 413, body = Problem), (status = 422, body = Problem)))]
pub async fn upload(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Query(q): Query<AttachmentQuery>,
    req: Request,
) -> Result<(StatusCode, Json<CrmAttachmentDto>)> {
    let limits = attachments::Limits::from_config(&app.config);
    let client = ClientId(id);
    // The rights, the client and the quota before a byte of the body.
    attachments::may_add(&app.db.read()?, &a.actor, client, limits)?;
    let (parts, body) = req.into_parts();
    let bytes = crate::http::extract::read_body(&parts.headers, body, limits.file_bytes as usize).await.map_err(|e| match e {
        Error::PayloadTooLarge => attachments::too_large(limits),
        other => other,
    })?;
    let (now, actor, name) = (app.now(), a.actor, q.name.unwrap_or_default());
    let saved = app.db.write(move |tx| attachments::add(tx, &actor, now, client, &name, &bytes, limits)).await?;
    Ok((StatusCode::CREATED, Json(CrmAttachmentDto::from(&saved))))
}

#[utoipa::path(get, path = "/api/v1/crm/attachments/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmAttachmentDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_one(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmAttachmentDto>> {
    Ok(Json(CrmAttachmentDto::from(&attachments::attachment(&app.db.read()?, &a.actor, AttachmentId(id))?)))
}

/// The file's bytes, always as a download (`Content-Disposition: attachment`).
#[utoipa::path(get, path = "/api/v1/crm/attachments/{id}/file", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "the file, as an attachment"), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn download(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Response> {
    let (meta, bytes) = attachments::file(&app.db.read()?, &a.actor, AttachmentId(id))?;
    Ok(crate::http::shared::file_download(&meta.name, &meta.mime, bytes))
}

#[utoipa::path(delete, path = "/api/v1/crm/attachments/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn delete(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| attachments::remove(tx, &a.actor, now, AttachmentId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes(limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(limited(routes!(list, upload), limits.attachment))
        .routes(routes!(get_one, delete))
        .routes(routes!(download))
}
