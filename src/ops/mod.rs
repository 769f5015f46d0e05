//! The operations page's facts for the box owner (the platform operator): version and uptime,
//! the data file and its growth, free disk against the warning threshold, the last and next
//! backup, every worker with its queue, printers and scales, and the recent-errors ring; and
//! the diagnostics bundle, a zip of those facts that carries no secret and no company data
//! (no keys, tokens, password hashes, names of clients or goods — only counts, states and the
//! log's own warning lines).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::app::App;
use crate::backup::{self, Backup};
use crate::clock::Ts;
use crate::errlog::{self, Entry, Filter};
use crate::error::{Error, Result};
use crate::ids::CompanyId;

/// Printers listed at most (a box serves a handful of shops).
const MAX_PRINTERS: usize = 500;
/// Outbox rows read for the queue summary.
const MAX_OUTBOX_ROWS: usize = 50_000;

#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub version: &'static str,
    pub schema_version: u64,
    pub arch: &'static str,
    pub started: Ts,
    pub now: Ts,
    pub uptime_secs: i64,
    pub companies: u64,
    pub data_bytes: u64,
    /// Data file growth per day, from the oldest and newest good backup of the last 30 days.
    pub growth_per_day: Option<i64>,
    pub disk: Option<Disk>,
    pub last_backup: Option<Backup>,
    /// A failed backup newer than the last good one.
    pub failed_backup: Option<Backup>,
    pub next_backup: NextBackup,
    pub workers: Vec<WorkerRow>,
    /// Whether every outbox row was read (a stuck outbox is summarised from its oldest rows).
    pub outbox_complete: bool,
    pub printers: Vec<PrinterRow>,
    pub scales: Vec<ScaleRow>,
    /// The link to the public relay for Meta's webhooks (issue 16, relay).
    pub relay: crate::relay::link::Status,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Disk {
    pub free: u64,
    pub total: u64,
    pub warn_below: u64,
    /// Free space is under the configured threshold.
    pub low: bool,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(tag = "state", content = "at", rename_all = "snake_case")]
pub enum NextBackup {
    /// No daily time configured.
    Off,
    /// Today's backup is due and waits for the worker (or for the start-up delay).
    Due,
    At(Ts),
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkerRow {
    pub name: String,
    pub runs: u64,
    pub last_run: Option<Ts>,
    pub last_error: Option<String>,
    pub progress: Option<String>,
    pub pending: u64,
    pub retrying: u64,
    pub oldest: Option<Ts>,
    pub last_job_error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrinterRow {
    pub company: CompanyId,
    pub company_name: String,
    pub name: String,
    pub kind: &'static str,
    pub active: bool,
    /// `ready`, `paper_out`, `unreachable`, … or `never` before the first job.
    pub health: String,
    pub detail: String,
    pub at: Option<Ts>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleRow {
    pub company: CompanyId,
    pub company_name: String,
    pub name: String,
    pub state: &'static str,
    pub detail: &'static str,
    pub errors: u64,
    pub last_good: Option<Ts>,
}

/// Everything the page shows, read now. Only the platform operator may ask.
pub fn overview(app: &App, actor: &crate::tenancy::actor::Actor) -> Result<Overview> {
    actor.require_platform_admin()?;
    let now = app.now();
    let tx = app.db.read()?;
    let companies = crate::tenancy::query::companies(&tx)?;
    let names: BTreeMap<CompanyId, String> = companies.iter().map(|c| (c.id, c.name.clone())).collect();
    let name_of = |c: CompanyId| names.get(&c).cloned().unwrap_or_else(|| format!("#{c}"));

    let backups = backup::list(&tx, 200)?;
    let (last_backup, failed_backup) = backup::latest(&tx)?;
    let next_backup = next_backup(&tx, &app.config.backup.daily_at, &app.config.backup.timezone, now)?;

    let (queues, outbox_complete) = crate::storage::outbox::queues(&tx, MAX_OUTBOX_ROWS)?;
    let mut workers: Vec<WorkerRow> = app
        .workers
        .snapshot()
        .into_iter()
        .map(|(name, s)| WorkerRow {
            name: name.to_string(),
            runs: s.runs,
            last_run: s.last_run,
            last_error: s.last_error,
            progress: s.progress,
            pending: 0,
            retrying: 0,
            oldest: None,
            last_job_error: None,
        })
        .collect();
    for q in queues {
        let i = match workers.iter().position(|w| w.name == q.worker) {
            Some(i) => i,
            None => {
                workers.push(WorkerRow {
                    name: q.worker.to_string(),
                    runs: 0,
                    last_run: None,
                    last_error: None,
                    progress: None,
                    pending: 0,
                    retrying: 0,
                    oldest: None,
                    last_job_error: None,
                });
                workers.len() - 1
            }
        };
        let w = &mut workers[i];
        w.pending = q.pending;
        w.retrying = q.retrying;
        w.oldest = q.oldest_ms.map(Ts);
        w.last_job_error = q.last_error;
    }
    workers.sort_by(|a, b| a.name.cmp(&b.name));

    let printers = crate::printing::every_printer(&tx, MAX_PRINTERS)?
        .into_iter()
        .map(|(c, p, st)| PrinterRow {
            company: c,
            company_name: name_of(c),
            kind: p.transport.kind(),
            name: p.name,
            active: p.active,
            health: st.as_ref().map_or("never", |s| s.health.code()).to_string(),
            detail: st.as_ref().map(|s| s.detail.clone()).unwrap_or_default(),
            at: st.map(|s| s.at),
        })
        .collect();
    let scales = app
        .scales
        .states()
        .into_iter()
        .map(|(c, _, name, s)| ScaleRow {
            company: c,
            company_name: name_of(c),
            name,
            state: s.state.code(),
            detail: s.detail,
            errors: s.errors,
            last_good: s.last_good,
        })
        .collect();

    let data_bytes = app.db.file_bytes();
    let disk = disk(&app.config.data).map(|(free, total)| {
        let warn_below = app.config.disk_warn_mb.saturating_mul(1 << 20);
        Disk { free, total, warn_below, low: free < warn_below }
    });
    Ok(Overview {
        version: env!("CARGO_PKG_VERSION"),
        schema_version: crate::schema::SCHEMA_VERSION,
        arch: std::env::consts::ARCH,
        started: app.started,
        now,
        uptime_secs: (now.0 - app.started.0).max(0) / 1000,
        companies: companies.len() as u64,
        data_bytes,
        growth_per_day: growth_per_day(&backups, now),
        disk,
        last_backup,
        failed_backup,
        next_backup,
        workers,
        outbox_complete,
        printers,
        scales,
        relay: app.relay.status(),
    })
}

/// Bytes per day between the oldest and the newest good backup of the last 30 days (the same
/// measure at both ends: a verified copy's size), or nothing with fewer than two a day apart.
pub fn growth_per_day(backups: &[Backup], now: Ts) -> Option<i64> {
    let since = now.plus_days(-30);
    let good: Vec<(Ts, u64)> = backups
        .iter()
        .filter_map(|b| match &b.state {
            backup::State::Good { bytes, finished, .. } if *finished >= since => Some((*finished, *bytes)),
            _ => None,
        })
        .collect();
    let newest = good.iter().max_by_key(|g| g.0)?;
    let oldest = good.iter().min_by_key(|g| g.0)?;
    let ms = newest.0.0 - oldest.0.0;
    if ms < Ts::MS_PER_DAY {
        return None;
    }
    let diff = newest.1 as i128 - oldest.1 as i128;
    i64::try_from(diff * Ts::MS_PER_DAY as i128 / ms as i128).ok()
}

/// When the scheduled backup runs next: today at `daily_at` (local in `tz`) unless it ran,
/// else tomorrow; `Due` when today's time has passed and it has not run yet.
pub fn next_backup(tx: &crate::storage::ReadTx, daily_at: &str, tz: &str, now: Ts) -> Result<NextBackup> {
    let Some((h, m)) = daily_at.split_once(':').and_then(|(h, m)| Some((h.trim().parse::<i64>().ok()?, m.trim().parse::<i64>().ok()?)))
    else {
        return Ok(NextBackup::Off);
    };
    let Some(midnight) = Ts::parse_date(&now.date_local(tz), tz) else {
        return Ok(NextBackup::Off);
    };
    let at = midnight.plus_ms((h * 60 + m) * 60_000);
    if now < at {
        return Ok(NextBackup::At(at));
    }
    if backup::scheduled_due(tx, daily_at, tz, now)? {
        return Ok(NextBackup::Due);
    }
    // Tomorrow's time, from tomorrow's own midnight (a clock change keeps "03:00" at 03:00).
    let tomorrow = now.plus_days(1).date_local(tz);
    Ok(Ts::parse_date(&tomorrow, tz).map_or(NextBackup::Off, |t| NextBackup::At(t.plus_ms((h * 60 + m) * 60_000))))
}

/// Free and total bytes of the file system holding `path`.
pub fn disk(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: `statvfs` writes only into the zeroed struct we own; the path is NUL-terminated.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &mut s) };
    if rc != 0 {
        return None;
    }
    // The field widths differ between 32- and 64-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let (avail, blocks, frsize) = (s.f_bavail as u64, s.f_blocks as u64, s.f_frsize as u64);
    Some((avail.saturating_mul(frsize), blocks.saturating_mul(frsize)))
}

/// The log lines the page lists, newest first.
pub fn recent_errors(actor: &crate::tenancy::actor::Actor, f: &Filter) -> Result<Vec<Entry>> {
    actor.require_platform_admin()?;
    Ok(errlog::recent(f))
}

/// The diagnostics bundle: `overview.json`, `errors.log` (the whole ring), `config.toml`
/// (secrets replaced by whether they are set) and a README saying what is left out. Each
/// download leaves an audit row.
pub async fn bundle(app: &App, actor: &crate::tenancy::actor::Actor) -> Result<Vec<u8>> {
    let o = overview(app, actor)?;
    let (who, now) = (actor.clone(), app.now());
    app.db.write(move |tx| crate::audit::record(tx, who.company, &who, now, "ops.diagnostics", "box".to_string(), String::new())).await?;
    let errors = errlog::recent(&Filter::default());
    let mut log = String::new();
    for e in errors.iter().rev() {
        log.push_str(&format!("{} {:5} {} {}\n", e.at.rfc3339(), e.level, e.target, e.text));
    }
    let json = serde_json::to_vec_pretty(&o).map_err(|e| Error::Internal(e.to_string()))?;
    let config = app.config.redacted_toml();
    let files: [(&str, &[u8]); 4] = [
        ("README.txt", BUNDLE_README.as_bytes()),
        ("overview.json", &json),
        ("errors.log", log.as_bytes()),
        ("config.toml", config.as_bytes()),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).unix_permissions(0o600);
    for (name, bytes) in files {
        zip.start_file(name, opts).map_err(|e| Error::Internal(e.to_string()))?;
        zip.write_all(bytes).map_err(|e| Error::Internal(e.to_string()))?;
    }
    Ok(zip.finish().map_err(|e| Error::Internal(e.to_string()))?.into_inner())
}

const BUNDLE_README: &str = "Dukan diagnostics bundle\n\
\n\
overview.json  version, uptime, data file and disk, backups, workers and their queues,\n\
               printers and scales (names and states), as the operations page shows them\n\
errors.log     the last warnings and errors of the log (oldest first)\n\
config.toml    the configuration; secrets (token key, metrics token) are replaced by\n\
               whether they are set\n\
\n\
Not included: the data file, backups, the box key, password hashes, tokens, and any\n\
client, sale or product record.\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::{State, Trigger};
    use crate::ids::BackupId;

    fn good(id: u64, day: i64, bytes: u64) -> Backup {
        let at = Ts(0).plus_days(day);
        Backup {
            id: BackupId(id),
            requested: at,
            trigger: Trigger::Scheduled,
            by: "schedule".into(),
            state: State::Good { file: format!("b{id}"), bytes, rows: 0, finished: at },
            pruned: false,
        }
    }

    #[test]
    fn growth_is_measured_between_good_backups_of_the_last_30_days() {
        let now = Ts(0).plus_days(40);
        assert_eq!(growth_per_day(&[], now), None);
        assert_eq!(growth_per_day(&[good(1, 39, 100)], now), None, "one backup measures nothing");
        let list = [good(1, 5, 1), good(2, 30, 1_000), good(3, 35, 6_000), good(4, 40, 11_000)];
        assert_eq!(growth_per_day(&list, now), Some(1_000), "the backup from day 5 is too old");
        let shrink = [good(1, 30, 5_000), good(2, 35, 0)];
        assert_eq!(growth_per_day(&shrink, now), Some(-1_000));
    }

    #[test]
    fn the_disk_of_a_real_directory_has_room() {
        let (free, total) = disk(Path::new(".")).expect("statvfs");
        assert!(total > 0 && free <= total);
        assert!(disk(Path::new("/no/such/dir/anywhere")).is_none());
    }
}
