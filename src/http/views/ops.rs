//! The audit log (owners and admins) and backups (the platform operator).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;

use super::{Choice, Errors, Fields, Shell, Ui, rejected, render, see_other};
use crate::app::App;
use crate::backup::{self, State as BState, Trigger};
use crate::error::Result;
use crate::http::extract::Path;
use crate::http::shared::{self, AuditAsk};
use crate::i18n::Lang;
use crate::ids::{BackupId, UserId};
use crate::tenancy::query;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/audit", get(audit_page))
        .route("/backups", get(backups_page).post(request_backup))
        .route("/backups/{id}/download", get(download))
}

pub struct AuditRow {
    pub at: String,
    pub user: String,
    pub ip: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<AuditRow>,
    users: Vec<Choice>,
    action: String,
    from: String,
    to: String,
    /// The link to the next, older page.
    older: Option<String>,
    errs: Errors,
}

pub async fn audit_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    ui.actor().require_owner_like()?;
    let shell = Shell::load(&app, &ui)?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let q = AuditAsk {
        user: f.id("user").map(UserId),
        action: Some(f.get("action").trim().to_string()),
        from: Some(f.get("from")),
        to: Some(f.get("to")),
        before: f.id("before"),
        limit: None,
    };
    let (rows, older, errs) = match shared::audit_page(&app, ui.actor(), &q) {
        Ok(page) => {
            let rows = page
                .entries
                .into_iter()
                .map(|(_, e)| AuditRow {
                    at: e.at.format_local(&shell.timezone),
                    user: e.actor_name,
                    ip: e.ip,
                    action: e.action,
                    target: e.target,
                    detail: e.detail,
                })
                .collect();
            let older = page.next_before.map(|before| {
                let mut pairs: Vec<(&str, String)> = vec![("before", before.to_string())];
                for key in ["user", "action", "from", "to"] {
                    if !f.get(key).is_empty() {
                        pairs.push((key, f.get(key)));
                    }
                }
                format!("/audit?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
            });
            (rows, older, Errors::default())
        }
        Err(e) => (Vec::new(), None, Errors::new(&rejected(e)?, ui.lang, &["from", "to"])),
    };
    let mut users = vec![Choice { value: String::new(), label: ui.lang.t("audit.all_users").into(), selected: q.user.is_none() }];
    users.extend(query::users(&app.db.read()?, ui.actor().company)?.into_iter().map(|u| Choice {
        value: u.id.0.to_string(),
        selected: q.user == Some(u.id),
        label: u.name,
    }));
    let status = if errs.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = AuditPage { lang: ui.lang, shell, rows, users, action: f.get("action"), from: f.get("from"), to: f.get("to"), older, errs };
    render(status, &page)
}

pub struct BackupRow {
    pub id: u64,
    pub requested: String,
    pub trigger: &'static str,
    pub by: String,
    /// "pending", "good" or "failed" (a CSS class too).
    pub state: &'static str,
    pub state_label: &'static str,
    pub size: String,
    pub rows: String,
    pub error: String,
    pub download: bool,
}

#[derive(Template)]
#[template(path = "backups.html")]
struct BackupsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<BackupRow>,
    dir: String,
    daily_at: String,
    keep: usize,
    timezone: String,
    /// While a backup runs the list refreshes itself.
    pending: bool,
}

/// "12.3 MB" with the unit names of the page's language.
pub fn human_size(lang: Lang, bytes: u64) -> String {
    let units = [lang.t("unit.b"), lang.t("unit.kb"), lang.t("unit.mb"), lang.t("unit.gb")];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < units.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} {}", units[0]) } else { format!("{value:.1} {}", units[unit]) }
}

pub async fn backups_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    ui.actor().require_platform_admin()?;
    let shell = Shell::load(&app, &ui)?;
    let lang = ui.lang;
    let rows: Vec<BackupRow> = backup::list(&app.db.read()?, 100)?
        .into_iter()
        .map(|b| {
            let (state, size, rows, error, download) = match &b.state {
                BState::Pending => ("pending", String::new(), String::new(), String::new(), false),
                BState::Good { bytes, rows, .. } => ("good", human_size(lang, *bytes), rows.to_string(), String::new(), !b.pruned),
                BState::Failed { error, .. } => ("failed", String::new(), String::new(), error.clone(), false),
            };
            BackupRow {
                id: b.id.0,
                requested: b.requested.format_local(&shell.timezone),
                trigger: match b.trigger {
                    Trigger::Manual => lang.t("backups.manual"),
                    Trigger::Scheduled => lang.t("backups.scheduled"),
                },
                by: b.by,
                state,
                state_label: match (state, b.pruned) {
                    ("good", true) => lang.t("backups.pruned"),
                    _ => lang.t(&format!("backups.state_{state}")),
                },
                size,
                rows,
                error,
                download,
            }
        })
        .collect();
    let config = &app.config.backup;
    let page = BackupsPage {
        lang,
        pending: rows.iter().any(|r| r.state == "pending"),
        rows,
        dir: app.config.backup_dir().display().to_string(),
        daily_at: config.daily_at.clone(),
        keep: config.keep,
        timezone: config.timezone.clone(),
        shell,
    };
    render(StatusCode::OK, &page)
}

pub async fn request_backup(State(app): State<App>, ui: Ui) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| backup::request_manual(tx, &actor, now)).await?;
    Ok(see_other("/backups?ok=backup_requested"))
}

pub async fn download(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    shared::download_backup(&app, ui.actor(), BackupId(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_readable() {
        assert_eq!(human_size(Lang::En, 512), "512 B");
        assert_eq!(human_size(Lang::En, 1536), "1.5 KB");
        assert_eq!(human_size(Lang::Ru, 5 * 1024 * 1024), "5.0 МБ");
    }
}
