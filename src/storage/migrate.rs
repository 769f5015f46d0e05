//! Schema versions of the data file and how a file is upgraded step by step.
//!
//! Storage knows the mechanism, not the steps: `schema` owns the list of named
//! [`Migration`]s (each is a domain's knowledge — projections, indexes) and hands it to
//! [`Db::open`](super::Db::open). Version 1 is the first released layout; `migrations[i]` takes a
//! file from version `i + 1` to `i + 2`, so the layout a binary writes is `migrations.len() + 1`.
//! A step runs inside the same write transaction as the version bump, so an upgrade either
//! completes or leaves the file as it was.
//!
//! Before the first step touches a user's file, the file is copied beside itself as
//! `<name>.before-upgrade-v<old>-<UTC stamp>` (`0600`) and the copy is proven good: redb's
//! integrity check passes, it carries the old schema version, and every table holds as many
//! rows as the original. Only then does the upgrade start; a copy that cannot be made (a full
//! disk) stops the open with the original untouched. Rolling back an upgrade is restoring that
//! file with the older binary (`dukan restore`). Scratch copies the program verifies itself
//! (backups, restores) are upgraded in place ([`Upgrade::InPlace`]).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use redb::{ReadableDatabase, ReadableTableMetadata};

use super::tx::META;
use super::{Db, Hooks, StorageError, TableInfo, WriteTx};

/// A named upgrade step from one schema version to the next.
#[derive(Clone, Copy)]
pub struct Migration {
    pub name: &'static str,
    pub run: fn(&mut WriteTx) -> Result<(), StorageError>,
}

/// What a data file holds, as `schema` declares it: every table (backups copy and count
/// exactly these), the steps that upgrade an older file, and the hooks its writes carry (a
/// backup being verified is migrated with them).
pub struct Schema {
    pub tables: Vec<TableInfo>,
    pub migrations: &'static [Migration],
    pub hooks: Hooks,
}

impl Schema {
    /// The layout a binary with these steps writes.
    pub fn version(&self) -> u64 {
        version_after(self.migrations)
    }
}

/// The schema version a file has once every step of `migrations` ran.
pub const fn version_after(migrations: &[Migration]) -> u64 {
    migrations.len() as u64 + 1
}

/// Whether an older file is copied aside before it is upgraded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upgrade {
    /// The user's data file: keep a verified copy of the old version first.
    BackUpFirst,
    /// A scratch copy this process made (a backup or restore being verified).
    InPlace,
}

/// What opening did to an older file: the version it had and where its pre-upgrade copy is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upgraded {
    pub from: u64,
    pub to: u64,
    pub backup: Option<PathBuf>,
}

pub(super) fn run(db: &Db, migrations: &[Migration], upgrade: Upgrade) -> Result<Option<Upgraded>, StorageError> {
    let known = version_after(migrations);
    let found = schema_version_of(&db.inner)?;
    if found > known {
        return Err(StorageError::TooNew { found, known });
    }
    if found == 0 {
        // A new file (nothing stamped it yet): it is written in this binary's layout.
        db.write_blocking(|tx| tx.set_meta("schema_version", known))?;
        return Ok(None);
    }
    if found == known {
        return Ok(None);
    }
    let backup = match upgrade {
        Upgrade::BackUpFirst => Some(back_up(db, found)?),
        Upgrade::InPlace => None,
    };
    let steps: Vec<&Migration> = migrations.iter().skip((found - 1) as usize).collect();
    let progress = Progress::new(steps.len() as u64);
    let started = std::time::Instant::now();
    db.write_blocking(|tx| {
        for (i, step) in steps.iter().enumerate() {
            let from = found + i as u64;
            progress.step(i as u64, format!("v{from} → v{}: {}", from + 1, step.name));
            let t = std::time::Instant::now();
            (step.run)(tx)?;
            tracing::info!(from, step = step.name, ms = t.elapsed().as_millis() as u64, "upgrade step done");
        }
        progress.step(steps.len() as u64, "committing".to_string());
        tx.set_meta("schema_version", known)
    })?;
    progress.finish(format!("data file upgraded from schema v{found} to v{known} in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(Some(Upgraded { from: found, to: known, backup }))
}

pub(super) fn schema_version_of(db: &redb::Database) -> Result<u64, StorageError> {
    let tx = super::ReadTx::new(db.begin_read()?);
    Ok(tx.get(META, "schema_version")?.unwrap_or(0))
}

/// Where the pre-upgrade copy of `path` at schema `version` goes, stamped `stamp`.
pub fn backup_path(path: &Path, version: u64, stamp: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "dukan.redb".into());
    path.with_file_name(format!("{name}.before-upgrade-v{version}-{stamp}"))
}

/// Copies the open, still unchanged file beside itself and verifies the copy. No write
/// transaction has begun on `db` (this runs inside `Db::open`, which holds redb's file lock),
/// so the bytes on disk are one committed state: the copy opens like a file after a power cut
/// at rest, which redb recovers exactly.
fn back_up(db: &Db, version: u64) -> Result<PathBuf, StorageError> {
    use crate::clock::Clock;
    let stamp = crate::clock::SystemClock.now().to_jiff().strftime("%Y%m%d-%H%M%S").to_string();
    let out = backup_path(&db.path, version, &stamp);
    let partial = out.with_extension("partial");
    let failed = |why: String| {
        let _ = std::fs::remove_file(&partial);
        StorageError::Io(std::io::Error::other(format!(
            "cannot back up the data file before upgrading it (schema v{version}); it was not changed: {why}"
        )))
    };
    eprintln!("Backing up the data file before upgrading it from schema v{version}: {}", out.display());
    let started = std::time::Instant::now();
    let bytes = super::private::copy_file(&db.path, &partial).map_err(|e| failed(format!("copy to {}: {e}", partial.display())))?;
    let expected = row_counts(&db.inner).map_err(|e| failed(e.to_string()))?;
    verify_copy(&partial, version, &expected).map_err(failed)?;
    std::fs::rename(&partial, &out).map_err(|e| failed(format!("rename: {e}")))?;
    if let Some(dir) = out.parent()
        && let Ok(d) = std::fs::File::open(dir)
    {
        let _ = d.sync_all();
    }
    tracing::warn!(
        file = %out.display(), bytes, ms = started.elapsed().as_millis() as u64,
        "backed up the data file before upgrading it from schema v{version}; restore it with the older binary to roll back"
    );
    eprintln!("Backup verified ({bytes} bytes). To roll back: stop the server, `dukan restore` this file with the older binary.");
    Ok(out)
}

/// Proves the copy good: redb's integrity check, the old schema version, and the same row count
/// in every table as the original (tables are counted untyped, so a table whose stored shape a
/// later step replaces still counts).
fn verify_copy(path: &Path, version: u64, expected: &[(String, u64)]) -> Result<(), String> {
    let mut copy =
        redb::Database::builder().set_cache_size(super::SCRATCH_CACHE).open(path).map_err(|e| format!("the copy does not open: {e}"))?;
    if !copy.check_integrity().map_err(|e| format!("integrity check: {e}"))? {
        return Err("the copy needed repairs".into());
    }
    let found = schema_version_of(&copy).map_err(|e| e.to_string())?;
    if found != version {
        return Err(format!("the copy has schema v{found}, not v{version}"));
    }
    let counts = row_counts(&copy).map_err(|e| e.to_string())?;
    if counts != expected {
        return Err("the copy's row counts differ from the original's".into());
    }
    Ok(())
}

/// Rows per table of every table in the file, by name.
fn row_counts(db: &redb::Database) -> Result<Vec<(String, u64)>, StorageError> {
    let tx = db.begin_read()?;
    let mut out = Vec::new();
    for handle in tx.list_tables()? {
        let name = redb::TableHandle::name(&handle).to_string();
        let table = tx.open_untyped_table(handle)?;
        out.push((name, table.len()?));
    }
    out.sort();
    Ok(out)
}

/// Progress of an upgrade: an indicatif bar when stderr is a terminal, otherwise one line per
/// step on stderr; every step is also logged.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: u64,
}

impl Progress {
    fn new(total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total + 1);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} upgrading the data file [{bar:30}] {pos}/{len} {msg} ({elapsed})")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        });
        Progress { bar, total }
    }

    fn step(&self, done: u64, what: String) {
        tracing::info!(step = done + 1, of = self.total + 1, "upgrading the data file: {what}");
        match &self.bar {
            Some(bar) => {
                bar.set_position(done);
                bar.set_message(what);
            }
            None => eprintln!("upgrading the data file [{}/{}] {what}", done + 1, self.total + 1),
        }
    }

    fn finish(&self, summary: String) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
        tracing::info!("{summary}");
        eprintln!("{summary}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Hooks;

    fn bump(tx: &mut WriteTx) -> Result<(), StorageError> {
        tx.set_meta("stepped", 1)
    }

    const STEPS: &[Migration] = &[Migration { name: "bump", run: bump }];

    #[test]
    fn an_older_file_is_copied_and_verified_before_it_is_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dukan.redb");
        let db = Db::open(&path, 1 << 20, &[], Hooks::default()).unwrap();
        assert!(db.upgraded().is_none(), "a new file is stamped, not upgraded");
        db.write_blocking(|tx| tx.set_meta("kept", 7)).unwrap();
        drop(db);

        let db = Db::open(&path, 1 << 20, STEPS, Hooks::default()).unwrap();
        let up = db.upgraded().cloned().unwrap();
        assert_eq!((up.from, up.to), (1, 2));
        let backup = up.backup.unwrap();
        assert!(backup.file_name().unwrap().to_string_lossy().starts_with("dukan.redb.before-upgrade-v1-"));
        // Verifying the copy opened it, so redb may have rewritten its header: compare contents.
        let copy = redb::Database::open(&backup).unwrap();
        assert_eq!(schema_version_of(&copy).unwrap(), 1);
        assert!(row_counts(&copy).unwrap().contains(&("meta_u64".to_string(), 2)), "schema_version and kept");
        drop(copy);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&backup).unwrap().permissions().mode() & 0o777, 0o600);
        let tx = db.read().unwrap();
        assert_eq!(
            (tx.meta("schema_version").unwrap(), tx.meta("stepped").unwrap(), tx.meta("kept").unwrap()),
            (Some(2), Some(1), Some(7))
        );
        drop(tx);
        drop(db);
        assert!(Db::open(&path, 1 << 20, STEPS, Hooks::default()).unwrap().upgraded().is_none(), "the current version opens as is");

        // A scratch copy is upgraded in place, and a copy that differs from its original fails.
        let copy = dir.path().join("copy.redb");
        std::fs::copy(&backup, &copy).unwrap();
        let up = Db::open_copy(&copy, 1 << 20, STEPS, Hooks::default()).unwrap().upgraded().cloned().unwrap();
        assert_eq!((up.from, up.backup), (1, None));
        let expected = vec![("meta_u64".to_string(), 99)];
        assert!(verify_copy(&backup, 1, &expected).unwrap_err().contains("row counts"));
        assert!(verify_copy(&backup, 2, &[]).unwrap_err().contains("schema v1"));
    }
}
