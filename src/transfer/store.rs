//! Import tables. An import's header and its rows are written by `transfer` only: rows once
//! at preview and again when applied (result or refusal), the header as progress moves.

use super::model::{Import, ImportRow, Kind};
use crate::ids::{CompanyId, ImportId};
use crate::storage::{ReadTx, StorageError, Table, TableInfo};

pub const IMPORTS: Table<(u64, u64), Import> = Table::new("company_importid_import");
pub const ROWS: Table<(u64, u64, u64), ImportRow> = Table::new("company_importid_index_importrow");
/// The kind of a telecom import (SIMs, subscribers); no row = a product import.
pub const KINDS: Table<(u64, u64), Kind> = Table::new("company_importid_importkind");

pub fn tables() -> Vec<TableInfo> {
    vec![
        IMPORTS.info("(CompanyId, ImportId)", "imports (products, SIM deliveries, subscribers): file, counts, state, progress"),
        ROWS.info("(CompanyId, ImportId, u64 row index)", "an import's data rows in file order, with their problems"),
        KINDS.info("(CompanyId, ImportId)", "what a telecom import brings in (SIMs, subscribers); absent for products"),
    ]
}

pub fn import(tx: &ReadTx, company: CompanyId, id: ImportId) -> Result<Option<Import>, StorageError> {
    tx.get(IMPORTS, (company.0, id.0))
}

/// What import `id` brings in (products when no kind is stored).
pub fn kind(tx: &impl crate::storage::Read, company: CompanyId, id: ImportId) -> Result<Kind, StorageError> {
    Ok(tx.get(KINDS, (company.0, id.0))?.unwrap_or(Kind::Products))
}
