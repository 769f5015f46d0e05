//! Schema versions of the data file and the named steps that upgrade an older file.
//!
//! Version 1 is the first released layout. Version 2 adds the stock-report rows and the
//! movement journal index, built from the ledger by the inventory domain (the one step that
//! calls up into a domain: projections are that domain's knowledge). A step is a function from version N to N+1 that
//! runs inside the same write transaction as the version bump, so an upgrade either
//! completes or leaves the file as it was.

use super::tx::META;
use super::{Db, StorageError, WriteTx};

/// The layout this binary writes.
pub const SCHEMA_VERSION: u64 = 2;

/// Upgrade steps: `STEPS[i]` takes a file from version `i + 1` to `i + 2`.
type Step = fn(&mut WriteTx) -> Result<(), StorageError>;
const STEPS: &[(&str, Step)] = &[("stock_rows_and_journal_index", crate::inventory::store::build_projections)];

pub(super) fn run(db: &Db) -> Result<(), StorageError> {
    db.write_blocking(|tx| {
        let found = tx.get(META, "schema_version")?;
        let mut version = match found {
            None => {
                tx.set_meta("schema_version", SCHEMA_VERSION)?;
                return Ok(());
            }
            Some(v) if v > SCHEMA_VERSION => return Err(StorageError::TooNew { found: v, known: SCHEMA_VERSION }),
            Some(v) => v,
        };
        while version < SCHEMA_VERSION {
            let Some((name, step)) = STEPS.get((version - 1) as usize) else {
                break;
            };
            tracing::info!(from = version, step = name, "upgrading data file");
            step(tx)?;
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
