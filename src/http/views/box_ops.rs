//! The operations page of the box (the platform operator): what runs, how full the disk is,
//! backups, workers and devices, the recent errors with filters, and the diagnostics bundle.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::ops::human_size;
use super::{Fields, Shell, Ui, render};
use crate::app::App;
use crate::backup::State as BState;
use crate::clock::Ts;
use crate::errlog::Filter;
use crate::error::Result;
use crate::i18n::Lang;
use crate::ops::{self, NextBackup};

pub fn routes() -> Router<App> {
    Router::new().route("/platform/ops", get(page)).route("/platform/ops/diagnostics", get(diagnostics))
}

pub struct Fact {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    /// "ok", "warn" or "" (no badge).
    pub tone: &'static str,
}

pub struct WorkerLine {
    pub name: String,
    pub runs: u64,
    pub last_run: String,
    pub pending: u64,
    pub retrying: u64,
    pub oldest: String,
    pub error: String,
}

pub struct DeviceLine {
    pub kind: &'static str,
    pub company: String,
    pub name: String,
    /// A CSS class too: "ok", "warn" or "bad".
    pub tone: &'static str,
    pub state: String,
    pub detail: String,
    pub at: String,
}

pub struct ErrorLine {
    pub at: String,
    pub level: &'static str,
    pub target: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "box_ops.html")]
struct OpsPage {
    lang: Lang,
    shell: Shell,
    facts: Vec<Fact>,
    workers: Vec<WorkerLine>,
    outbox_complete: bool,
    devices: Vec<DeviceLine>,
    errors: Vec<ErrorLine>,
    errors_only: bool,
    q: String,
}

/// The relay link as one line for people and its badge tone ("ok", "warn", or "" when no
/// relay is configured): the operations page and the messaging settings show it.
pub fn relay_line(lang: Lang, s: &crate::relay::link::Status, when: impl Fn(Option<Ts>) -> String) -> (String, &'static str) {
    if !s.configured {
        return (lang.t("relay.not_configured").to_string(), "");
    }
    if s.connected {
        let depth = s.depth.map_or_else(|| "—".to_string(), |d| d.to_string());
        let line = format!(
            "{} {} · {}: {} · {}: {}",
            lang.t("relay.connected"),
            when(s.since),
            lang.t("relay.last_message"),
            when(s.last_message),
            lang.t("relay.queued"),
            depth
        );
        (line, "ok")
    } else {
        let why = s.error.as_ref().map(|e| format!(" — {e}")).unwrap_or_default();
        (format!("{} {}{why}", lang.t("relay.disconnected"), when(s.since)), "warn")
    }
}

fn duration(lang: Lang, secs: i64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    let (ud, uh, um) = (lang.t("ops.unit_d"), lang.t("ops.unit_h"), lang.t("ops.unit_m"));
    if d > 0 {
        format!("{d} {ud} {h} {uh}")
    } else if h > 0 {
        format!("{h} {uh} {m} {um}")
    } else {
        format!("{m} {um}")
    }
}

async fn page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let o = ops::overview(&app, ui.actor())?;
    let shell = Shell::load(&app, &ui)?;
    let (lang, tz) = (ui.lang, shell.timezone.clone());
    let when = |t: Option<Ts>| t.map(|t| t.format_local(&tz)).unwrap_or_else(|| "—".to_string());
    let mut facts = vec![
        Fact {
            id: "version",
            label: lang.t("ops.version"),
            value: format!("{} · schema v{} · {}", o.version, o.schema_version, o.arch),
            tone: "",
        },
        Fact {
            id: "uptime",
            label: lang.t("ops.uptime"),
            value: format!("{} ({} {})", duration(lang, o.uptime_secs), lang.t("ops.since"), when(Some(o.started))),
            tone: "",
        },
        Fact { id: "companies", label: lang.t("ops.companies"), value: o.companies.to_string(), tone: "" },
        Fact { id: "data-size", label: lang.t("ops.data_file"), value: human_size(lang, o.data_bytes), tone: "" },
        Fact {
            id: "growth",
            label: lang.t("ops.growth"),
            value: match o.growth_per_day {
                Some(g) if g < 0 => format!("−{} {}", human_size(lang, g.unsigned_abs()), lang.t("ops.per_day")),
                Some(g) => format!("+{} {}", human_size(lang, g as u64), lang.t("ops.per_day")),
                None => lang.t("ops.growth_unknown").to_string(),
            },
            tone: "",
        },
    ];
    facts.push(match o.disk {
        Some(d) => Fact {
            id: "disk",
            label: lang.t("ops.disk_free"),
            value: format!(
                "{} {} {}{}",
                human_size(lang, d.free),
                lang.t("ops.of"),
                human_size(lang, d.total),
                if d.low { format!(" — {} {}", lang.t("ops.disk_low"), human_size(lang, d.warn_below)) } else { String::new() }
            ),
            tone: if d.low { "warn" } else { "ok" },
        },
        None => Fact { id: "disk", label: lang.t("ops.disk_free"), value: "—".into(), tone: "warn" },
    });
    let (last, last_tone) = match o.last_backup.as_ref().map(|b| &b.state) {
        Some(BState::Good { bytes, finished, .. }) => (format!("{} · {}", when(Some(*finished)), human_size(lang, *bytes)), "ok"),
        _ => (lang.t("ops.never").to_string(), "warn"),
    };
    facts.push(Fact { id: "last-backup", label: lang.t("ops.last_backup"), value: last, tone: last_tone });
    if let Some(BState::Failed { error, finished }) = o.failed_backup.as_ref().map(|b| &b.state) {
        facts.push(Fact {
            id: "failed-backup",
            label: lang.t("ops.failed_backup"),
            value: format!("{} · {error}", when(Some(*finished))),
            tone: "warn",
        });
    }
    facts.push(Fact {
        id: "next-backup",
        label: lang.t("ops.next_backup"),
        value: match o.next_backup {
            NextBackup::Off => lang.t("backups.schedule_off").to_string(),
            NextBackup::Due => lang.t("ops.backup_due").to_string(),
            NextBackup::At(t) => when(Some(t)),
        },
        tone: "",
    });
    // The relay link (issue 16, relay).
    let (value, tone) = relay_line(lang, &o.relay, when);
    facts.push(Fact { id: "relay", label: lang.t("relay.title"), value, tone });

    let workers = o
        .workers
        .iter()
        .map(|w| WorkerLine {
            name: w.name.clone(),
            runs: w.runs,
            last_run: when(w.last_run),
            pending: w.pending,
            retrying: w.retrying,
            oldest: when(w.oldest),
            error: w.last_error.clone().or_else(|| w.last_job_error.clone()).unwrap_or_default(),
        })
        .collect();
    let mut devices: Vec<DeviceLine> = o
        .printers
        .iter()
        .map(|p| DeviceLine {
            kind: lang.t("ops.printer"),
            company: p.company_name.clone(),
            name: format!("{} ({})", p.name, p.kind),
            tone: match p.health.as_str() {
                "ready" => "ok",
                "never" | "unknown" | "paper_near_end" => "warn",
                _ => "bad",
            },
            state: if p.active { lang.t(&format!("ops.health_{}", p.health)).to_string() } else { lang.t("ops.inactive").to_string() },
            detail: p.detail.clone(),
            at: when(p.at),
        })
        .collect();
    devices.extend(o.scales.iter().map(|s| DeviceLine {
        kind: lang.t("ops.scale"),
        company: s.company_name.clone(),
        name: s.name.clone(),
        tone: match s.state {
            "stable" | "unstable" => "ok",
            "disconnected" => "bad",
            _ => "warn",
        },
        state: format!("{} · {} {}", lang.t(&format!("ops.scale_{}", s.state)), s.errors, lang.t("ops.errors_count")),
        detail: s.detail.to_string(),
        at: when(s.last_good),
    }));

    let errors_only = f.get("level") == "error";
    let q: String = f.get("q").chars().take(200).collect();
    let errors = ops::recent_errors(ui.actor(), &Filter { errors_only, text: q.clone(), limit: 200 })?
        .into_iter()
        .map(|e| ErrorLine { at: e.at.format_local(&tz), level: e.level, target: e.target, text: e.text })
        .collect();
    let page = OpsPage { lang, shell, facts, workers, outbox_complete: o.outbox_complete, devices, errors, errors_only, q };
    render(StatusCode::OK, &page)
}

async fn diagnostics(State(app): State<App>, ui: Ui) -> Result<Response> {
    let bytes = ops::bundle(&app, ui.actor()).await?;
    let stamp = app.now().rfc3339().replace([':', '-'], "").chars().take(13).collect::<String>();
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"dukan-diagnostics-{stamp}.zip\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
