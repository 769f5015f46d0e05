//! Schema versions of the data file and how a file is upgraded step by step.
//!
//! Storage knows the mechanism, not the steps: `schema` owns the list of named
//! [`Migration`]s (each is a domain's knowledge — projections, indexes) and hands it to
//! [`Db::open`](super::Db::open). Version 1 is the first released layout; `migrations[i]` takes a
//! file from version `i + 1` to `i + 2`, so the layout a binary writes is `migrations.len() + 1`.
//! A step runs inside the same write transaction as the version bump, so an upgrade either
//! completes or leaves the file as it was.

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

pub(super) fn run(db: &Db, migrations: &[Migration]) -> Result<(), StorageError> {
    let known = version_after(migrations);
    db.write_blocking(|tx| {
        let found = tx.get(META, "schema_version")?;
        let mut version = match found {
            None => {
                tx.set_meta("schema_version", known)?;
                return Ok(());
            }
            Some(v) if v > known => return Err(StorageError::TooNew { found: v, known }),
            Some(v) => v,
        };
        while version < known {
            let Some(step) = migrations.get((version - 1) as usize) else {
                break;
            };
            tracing::info!(from = version, step = step.name, "upgrading data file");
            (step.run)(tx)?;
            version += 1;
        }
        tx.set_meta("schema_version", version)
    })
}

pub(super) fn schema_version_of(db: &redb::Database) -> Result<u64, StorageError> {
    use redb::ReadableDatabase;
    let tx = super::ReadTx::new(db.begin_read()?);
    Ok(tx.get(META, "schema_version")?.unwrap_or(0))
}
