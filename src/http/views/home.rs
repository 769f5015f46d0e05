//! The dashboard: the company, the branch in use, a few counts and, for the platform
//! operator, whether backups are healthy.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::{Shell, Ui, render};
use crate::app::App;
use crate::backup::{self, State as BState};
use crate::clock::Ts;
use crate::error::Result;
use crate::i18n::Lang;
use crate::tenancy::perms::Perm;
use crate::tenancy::store;

/// A good backup older than this is shown as a warning (the schedule is daily).
const STALE_BACKUP_MS: i64 = 36 * 3_600_000;

pub struct BackupHealth {
    /// "" when no backup ever succeeded.
    pub last_good: String,
    pub stale: bool,
    /// (when, error) of a failed backup newer than the last good one.
    pub failed: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    lang: Lang,
    shell: Shell,
    counts: Option<(usize, usize)>,
    backups: Option<BackupHealth>,
}

/// "5 min ago", "3 h ago", "2 days ago".
pub fn ago(lang: Lang, now: Ts, then: Ts) -> String {
    let minutes = (now.0 - then.0).max(0) / 60_000;
    let (key, n) = match minutes {
        0 => return lang.t("time.just_now").to_string(),
        m if m < 60 => ("time.minutes_ago", m),
        m if m < 48 * 60 => ("time.hours_ago", m / 60),
        m => ("time.days_ago", m / (24 * 60)),
    };
    lang.t(key).replace("{n}", &n.to_string())
}

pub async fn dashboard(State(app): State<App>, ui: Ui) -> Result<Response> {
    let shell = Shell::load(&app, &ui)?;
    let actor = ui.actor();
    let tx = app.db.read()?;
    let counts = if actor.can(Perm::DASHBOARD) {
        let branches = store::branches(&tx, actor.company)?.iter().filter(|b| b.active).count();
        let users = store::users(&tx, actor.company)?.iter().filter(|u| u.active).count();
        Some((branches, users))
    } else {
        None
    };
    let backups = if actor.platform_admin {
        let now = app.now();
        let (good, failed) = backup::latest(&tx)?;
        let good_at = good.and_then(|b| match b.state {
            BState::Good { finished, .. } => Some(finished),
            _ => None,
        });
        let failed = failed.and_then(|b| match b.state {
            BState::Failed { finished, error } => Some((finished.format_local(&shell.timezone), error)),
            _ => None,
        });
        Some(BackupHealth {
            last_good: good_at.map(|t| ago(ui.lang, now, t)).unwrap_or_default(),
            stale: good_at.is_none_or(|t| now.0 - t.0 > STALE_BACKUP_MS),
            failed,
        })
    } else {
        None
    };
    render(StatusCode::OK, &Dashboard { lang: ui.lang, shell, counts, backups })
}
