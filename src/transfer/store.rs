//! Import tables. An import's header and its rows are written by `transfer` only: rows once
//! at preview and again when applied (result or refusal), the header as progress moves.

use super::model::{Import, ImportRow};
use crate::ids::{CompanyId, ImportId};
use crate::storage::{ReadTx, StorageError, Table, TableInfo};

pub const IMPORTS: Table<(u64, u64), Import> = Table::new("company_importid_import");
pub const ROWS: Table<(u64, u64, u64), ImportRow> = Table::new("company_importid_index_importrow");

pub fn tables() -> Vec<TableInfo> {
    vec![
        IMPORTS.info("(CompanyId, ImportId)", "product imports: file, counts, state, progress"),
        ROWS.info("(CompanyId, ImportId, u64 row index)", "an import's data rows in file order, with their problems"),
    ]
}

pub fn import(tx: &ReadTx, company: CompanyId, id: ImportId) -> Result<Option<Import>, StorageError> {
    tx.get(IMPORTS, (company.0, id.0))
}
