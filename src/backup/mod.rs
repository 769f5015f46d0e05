//! Backups that keep the promise "backup = one file".
//!
//! A backup is taken in-process from one read transaction into a new redb file (writers keep
//! going), fsynced, then reopened, integrity-checked, counted table by table against the
//! source snapshot and run through `check`; only then is it renamed into place and reported
//! good. Requests travel through the outbox, so a backup asked for before a restart still
//! happens. Backups hold every company of the box, so only the platform operator sees them.
//!
//! Files: the backup directory is `0700` and every file in it `0600`; the token signing key
//! is not in the data file (see `auth::Keys`), so no backup carries it. One backup runs at a
//! time in a process; the `.partial` file of a backup killed midway (and the `.verify` scratch
//! copy older versions made) is removed when the server starts and before each backup.

use std::sync::Mutex;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::BackupId;
use crate::storage::{Db, ReadTx, Record, Schema, StorageError, Table, TableInfo, WriteTx, outbox};
use crate::tenancy::actor::Actor;

pub const BACKUPS: Table<u64, Backup> = Table::new("backupid_backup");

pub fn tables() -> Vec<TableInfo> {
    vec![BACKUPS.info("BackupId", "backup runs and their outcome (box level)")]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Trigger {
    Manual,
    Scheduled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Pending,
    Good { file: String, bytes: u64, rows: u64, finished: Ts },
    Failed { error: String, finished: Ts },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Backup {
    pub id: BackupId,
    pub requested: Ts,
    pub trigger: Trigger,
    pub by: String,
    pub state: State,
    /// Scheduled backups past the retention count are deleted from the folder.
    pub pruned: bool,
}

impl Record for Backup {
    const TYPE: &'static str = "backup.v1";
}

/// Asks for a backup; the backup worker takes it from the outbox.
pub fn request(tx: &mut WriteTx, by: &str, trigger: Trigger, now: Ts) -> Result<BackupId> {
    let id = BackupId(tx.next_id()?);
    tx.insert(BACKUPS, id.0, &Backup { id, requested: now, trigger, by: by.to_string(), state: State::Pending, pruned: false })?;
    outbox::push(tx, 0, outbox::JobKind::Backup { backup_id: id.0 }, now.0)?;
    Ok(id)
}

pub fn request_manual(tx: &mut WriteTx, actor: &Actor, now: Ts) -> Result<BackupId> {
    actor.require_platform_admin()?;
    let id = request(tx, &actor.user_name, Trigger::Manual, now)?;
    crate::audit::record(tx, actor.company, actor, now, "backup.request", format!("backup:{id}"), String::new())?;
    Ok(id)
}

pub fn list(tx: &ReadTx, limit: usize) -> Result<Vec<Backup>> {
    let mut out = Vec::new();
    tx.range(BACKUPS, 0, u64::MAX, true, limit, |_, b| {
        out.push(b);
        Ok(true)
    })?;
    Ok(out)
}

pub fn get(tx: &ReadTx, id: BackupId) -> Result<Backup> {
    tx.get(BACKUPS, id.0)?.ok_or(Error::NotFound)
}

/// The newest good and the newest failed backup (for the dashboard, metrics and alerts).
pub fn latest(tx: &ReadTx) -> Result<(Option<Backup>, Option<Backup>)> {
    let mut good = None;
    let mut failed = None;
    tx.range(BACKUPS, 0, u64::MAX, true, usize::MAX, |_, b| {
        match b.state {
            State::Good { .. } if good.is_none() => good = Some(b),
            State::Failed { .. } if failed.is_none() && good.is_none() => failed = Some(b),
            _ => {}
        }
        Ok(good.is_none())
    })?;
    Ok((good, failed))
}

/// What `/metrics` reports of the box's background work: outbox jobs waiting, and the finish
/// times of the newest good backup and of a failed one newer than it. A part that cannot be
/// read is left empty (its gauge reads 0): a scrape never fails on it.
#[derive(Debug, Clone, Default)]
pub struct BoxStatus {
    pub outbox_pending: u64,
    pub last_good: Option<Ts>,
    pub last_failed: Option<Ts>,
}

pub fn box_status(tx: &ReadTx) -> BoxStatus {
    let finished = |b: Option<Backup>| match b.map(|b| b.state) {
        Some(State::Good { finished, .. }) | Some(State::Failed { finished, .. }) => Some(finished),
        _ => None,
    };
    let (good, failed) = latest(tx).unwrap_or((None, None));
    BoxStatus { outbox_pending: outbox::pending(tx).unwrap_or(0), last_good: finished(good), last_failed: finished(failed) }
}

/// The write of the health probe: a box-level meta value, written without a durable flush.
pub fn probe_write(tx: &mut WriteTx, now: Ts) -> Result<(), StorageError> {
    tx.set_meta("health_probe", now.0 as u64)
}

/// Summary of a verified backup file.
#[derive(Debug, Clone)]
pub struct Verified {
    pub bytes: u64,
    pub rows: u64,
    pub tables: Vec<(&'static str, u64)>,
}

/// Held while a backup is written, so the clean-up of leftovers never removes the `.partial`
/// file of a backup still running (the scheduler and the control socket may start one each).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Removes the `.partial` and `.verify` files a killed backup left in `dir` (only names this
/// module makes: `dukan-*.partial`, `dukan-*.verify`). Returns how many it removed.
pub fn remove_leftovers(dir: &Path) -> usize {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    remove_leftovers_locked(dir)
}

fn remove_leftovers_locked(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let leftover = name.starts_with("dukan-") && (name.ends_with(".partial") || name.ends_with(".verify"));
        if leftover && std::fs::remove_file(entry.path()).is_ok() {
            tracing::info!(file = %entry.path().display(), "removed the leftover of an interrupted backup");
            removed += 1;
        }
    }
    removed
}

/// Writes a verified copy of the data file to `out` (`0600`). The file appears under its
/// final name only after verification.
pub fn take(db: &Db, schema: &Schema, out: &Path) -> Result<Verified> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    take_locked(db, schema, out)
}

fn take_locked(db: &Db, schema: &Schema, out: &Path) -> Result<Verified> {
    let partial = out.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let result = (|| {
        let counts = db.snapshot_to(&partial, &schema.tables).map_err(|e| Error::Backup(format!("{}: {e}", partial.display())))?;
        let verified = verify_in_place(&partial, schema)?;
        if verified.tables != counts {
            return Err(Error::Backup(format!("row counts differ after copy: {:?} vs {:?}", verified.tables, counts)));
        }
        std::fs::rename(&partial, out).map_err(|e| Error::Backup(format!("rename: {e}")))?;
        sync_dir(out);
        Ok(verified)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Opens a copy this process just wrote and proves it usable: redb integrity, schema version,
/// row counts and every invariant `check` knows. Opening it may write to it (the schema stamp),
/// so callers pass only their own fresh copy (`.partial`, `.restoring`), never the user's
/// file. Both opens use a small page cache ([`crate::storage::SCRATCH_CACHE`]): verifying
/// streams through the file instead of holding a second copy of the server's cache.
pub fn verify_in_place(path: &Path, schema: &Schema) -> Result<Verified> {
    let counts = Db::verify_file(path, schema).map_err(|e| Error::Backup(e.to_string()))?;
    let outcome = (|| {
        let db = Db::open_copy(path, crate::storage::SCRATCH_CACHE, schema.migrations, schema.hooks.clone())
            .map_err(|e| Error::Backup(e.to_string()))?;
        let problems = crate::check::run(&db)?;
        if !problems.is_empty() {
            return Err(Error::Backup(format!("check found {} problems: {}", problems.len(), problems.join("; "))));
        }
        Ok(())
    })();
    crate::release_memory();
    outcome?;
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    Ok(Verified { bytes, rows: counts.iter().map(|c| c.1).sum(), tables: counts })
}

fn sync_dir(file: &Path) {
    if let Some(dir) = file.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
}

/// File name for a backup: sortable UTC stamp plus id.
pub fn file_name(id: BackupId, now: Ts) -> String {
    let stamp = now.to_jiff().strftime("%Y%m%d-%H%M%S");
    format!("dukan-{stamp}-{id}.redb")
}

/// Runs one requested backup and records its outcome. Returns the outcome for the worker.
pub fn run(db: &Db, schema: &Schema, dir: &Path, id: BackupId, now: impl Fn() -> Ts, keep: usize) -> Result<State> {
    let name = file_name(id, now());
    let taken = crate::storage::private::create_dir(dir)
        .map_err(|e| Error::Backup(format!("cannot create {}: {e}", dir.display())))
        .and_then(|()| {
            let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
            remove_leftovers_locked(dir);
            take_locked(db, schema, &dir.join(&name))
        });
    let state = match taken {
        Ok(v) => State::Good { file: name, bytes: v.bytes, rows: v.rows, finished: now() },
        Err(e) => State::Failed { error: e.to_string(), finished: now() },
    };
    let finished = state.clone();
    let to_prune = db.write_blocking(|tx| -> Result<Vec<(u64, String)>> {
        let Some(mut b) = tx.get(BACKUPS, id.0)? else {
            return Ok(Vec::new());
        };
        b.state = finished;
        tx.insert(BACKUPS, id.0, &b)?;
        prune(tx, keep)
    })?;
    for (_, file) in to_prune {
        let _ = std::fs::remove_file(dir.join(file));
    }
    Ok(state)
}

/// Marks scheduled good backups beyond the newest `keep` as pruned and returns their files.
fn prune(tx: &mut WriteTx, keep: usize) -> Result<Vec<(u64, String)>> {
    let mut good = Vec::new();
    tx.range(BACKUPS, 0, u64::MAX, true, usize::MAX, |id, b| {
        if let (Trigger::Scheduled, State::Good { file, .. }, false) = (&b.trigger, &b.state, b.pruned) {
            good.push((id, file.clone()));
        }
        Ok(true)
    })?;
    let old: Vec<(u64, String)> = good.into_iter().skip(keep.max(1)).collect();
    for (id, _) in &old {
        if let Some(mut b) = tx.get(BACKUPS, *id)? {
            b.pruned = true;
            tx.insert(BACKUPS, *id, &b)?;
        }
    }
    Ok(old)
}

/// Whether the daily backup of `today` (local date in `tz`) is due at `now`.
pub fn scheduled_due(tx: &ReadTx, daily_at: &str, tz: &str, now: Ts) -> Result<bool> {
    let Some((h, m)) = daily_at.split_once(':').and_then(|(h, m)| Some((h.parse::<i64>().ok()?, m.parse::<i64>().ok()?))) else {
        return Ok(false);
    };
    let today = now.date_local(tz);
    let Some(midnight) = Ts::parse_date(&today, tz) else {
        return Ok(false);
    };
    let at = midnight.plus_ms((h * 60 + m) * 60_000);
    if now < at {
        return Ok(false);
    }
    let mut done = false;
    tx.range(BACKUPS, 0, u64::MAX, true, usize::MAX, |_, b| {
        if b.requested < at {
            return Ok(false);
        }
        if b.trigger == Trigger::Scheduled {
            done = true;
            return Ok(false);
        }
        Ok(true)
    })?;
    Ok(!done)
}

/// Restores `file` into `data_dir` with the server stopped: verifies the file first, keeps
/// the current data file aside as `dukan.redb.before-restore-<stamp>`, and swaps by rename.
pub fn restore(data_dir: &Path, file: &Path, schema: &Schema, now: Ts) -> Result<(Verified, Option<PathBuf>)> {
    let target = data_dir.join("dukan.redb");
    if target.exists() {
        // Opening takes redb's exclusive lock: a running server makes this fail.
        match Db::open(&target, 1 << 20, schema.migrations, schema.hooks.clone()) {
            Ok(db) => drop(db),
            Err(StorageError::Locked) => return Err(Error::Backup("the data file is in use: stop the server first".into())),
            Err(e) => tracing::warn!("current data file does not open ({e}); restoring over it"),
        }
    }
    crate::storage::private::create_dir(data_dir).map_err(|e| Error::Backup(e.to_string()))?;
    let incoming = data_dir.join("dukan.redb.restoring");
    crate::storage::private::copy_file(file, &incoming).map_err(|e| Error::Backup(format!("copy: {e}")))?;
    let verified = match verify_in_place(&incoming, schema) {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&incoming);
            return Err(e);
        }
    };
    let aside = if target.exists() {
        let stamp = now.to_jiff().strftime("%Y%m%d-%H%M%S");
        let aside = data_dir.join(format!("dukan.redb.before-restore-{stamp}"));
        std::fs::rename(&target, &aside).map_err(|e| Error::Backup(e.to_string()))?;
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&incoming, &target).map_err(|e| Error::Backup(e.to_string()))?;
    sync_dir(&target);
    Ok((verified, aside))
}
