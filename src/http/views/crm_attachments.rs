//! Files on the client card (issue 17, attachments): the upload form (multipart, read only
//! after the rights, the client and the quota are checked, bounded by the per-file limit),
//! the download (always as an attachment) and the removal. The card's CRM panel lists the
//! files through `card_files`.

use axum::Router;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{get, post};

use super::{Errors, Ui, render, see_other};
use crate::app::App;
use crate::crm::attachments::{self, Attachment};
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{AttachmentId, ClientId};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/crm/clients/{id}/attachments", post(upload))
        .route("/crm/attachments/{id}/file", get(download))
        .route("/crm/attachments/{id}/delete", post(delete))
}

/// One file as the card lists it.
pub struct AttachmentRow {
    pub id: u64,
    pub name: String,
    /// "1.4 MB", "820 KB", "12 B".
    pub size: String,
    pub at: String,
}

/// "1.4 MB", "820 KB", "12 B" (decimal point in English, comma in Russian).
fn human_size(lang: Lang, bytes: u64) -> String {
    let (value, unit) = match bytes {
        b if b >= 1024 * 1024 => (b as f64 / (1024.0 * 1024.0), lang.pick("МБ", "MB")),
        b if b >= 1024 => (b as f64 / 1024.0, lang.pick("КБ", "KB")),
        b => return format!("{b} {}", lang.pick("Б", "B")),
    };
    let text = format!("{value:.1}");
    let text = if lang == Lang::Ru { text.replace('.', ",") } else { text };
    format!("{text} {unit}")
}

fn rows(lang: Lang, tz: &str, list: Vec<Attachment>) -> Vec<AttachmentRow> {
    list.into_iter()
        .map(|a| AttachmentRow { id: a.id.0, size: human_size(lang, a.size), name: a.name, at: a.created.format_local(tz) })
        .collect()
}

/// The card's files section: the client's files (none for readers without the CRM) and the
/// per-file limit in MB for the form's hint.
pub struct CardFiles {
    pub rows: Vec<AttachmentRow>,
    pub limit_mb: String,
}

pub(super) fn card_files(app: &App, ui: &Ui, tz: &str, client: ClientId) -> Result<CardFiles> {
    let mb = attachments::Limits::from_config(&app.config).file_bytes as f64 / (1024.0 * 1024.0);
    let rows = match crate::crm::require_crm(ui.actor()) {
        Ok(()) => rows(ui.lang, tz, attachments::of_client(&app.db.read()?, ui.actor(), client)?),
        Err(_) => Vec::new(),
    };
    Ok(CardFiles { rows, limit_mb: format!("{mb:.0}") })
}

pub async fn upload(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, req: axum::extract::Request) -> Result<Response> {
    let limits = attachments::Limits::from_config(&app.config);
    let client = ClientId(id);
    // The rights, the client and the quota are checked before the body is read; the body is
    // the file plus a little room for the form's other parts.
    attachments::may_add(&app.db.read()?, ui.actor(), client, limits)?;
    let read = crate::http::extract::multipart_part(req, limits.file_bytes as usize + 16 * 1024, "file").await;
    let saved = match read {
        Ok(Some(part)) if part.file_name.is_some() && !part.bytes.is_empty() => {
            let (now, actor, name) = (app.now(), ui.actor().clone(), part.file_name.unwrap_or_default());
            app.db.write(move |tx| attachments::add(tx, &actor, now, client, &name, &part.bytes, limits)).await
        }
        Ok(_) => Err(Error::field("file", "required", "Выберите файл", "Choose a file")),
        Err(Error::PayloadTooLarge) => Err(attachments::too_large(limits)),
        Err(e) => Err(e),
    };
    match saved {
        Ok(_) => Ok(see_other(&format!("/clients/{id}?ok=attachment_saved#attachments"))),
        Err(e @ (Error::TooLarge { .. } | Error::Refused { .. } | Error::Validation(_))) => {
            let status = axum::http::StatusCode::from_u16(e.status()).unwrap_or(axum::http::StatusCode::UNPROCESSABLE_ENTITY);
            let mut message = e.message(ui.lang);
            for f in e.fields() {
                message = format!("{message}: {}", f.message(ui.lang));
            }
            render(status, &super::clients::card_for(&app, &ui, &uri, id, None, Errors::form(message))?)
        }
        Err(e) => Err(e),
    }
}

pub async fn download(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (meta, bytes) = attachments::file(&app.db.read()?, ui.actor(), AttachmentId(id))?;
    Ok(crate::http::shared::file_download(&meta.name, &meta.mime, bytes))
}

pub async fn delete(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let removed = app.db.write(move |tx| attachments::remove(tx, &actor, now, AttachmentId(id))).await?;
    Ok(see_other(&format!("/clients/{}?ok=attachment_deleted#attachments", removed.client)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        for (lang, bytes, text) in
            [(Lang::En, 12, "12 B"), (Lang::Ru, 2048, "2,0 КБ"), (Lang::En, 1_468_006, "1.4 MB"), (Lang::Ru, 10 * 1024 * 1024, "10,0 МБ")]
        {
            assert_eq!(human_size(lang, bytes), text);
        }
    }
}
