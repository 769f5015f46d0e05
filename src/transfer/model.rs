//! Stored shapes of an import: its header record (file, counts, state, progress) and one
//! record per data row (the cells as read, the product it updates, its problems).

use serde::{Deserialize, Serialize};

use super::columns::{Column, Header};
use crate::clock::Ts;
use crate::error::FieldError;
use crate::i18n::Lang;
use crate::ids::{ImportId, ProductId, UserId};
use crate::storage::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    /// Checked and shown; nothing written to the catalog yet.
    Preview,
    /// Confirmed; the import worker applies `CHUNK` rows per transaction from `next_row`.
    Applying,
    Done,
    /// Stopped before the end (the user who confirmed lost the right to edit products).
    Failed,
}

impl State {
    pub fn code(self) -> &'static str {
        match self {
            State::Preview => "preview",
            State::Applying => "applying",
            State::Done => "done",
            State::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Import {
    pub id: ImportId,
    /// Who uploaded it; the worker applies it with this user's rights as they are then.
    pub user: UserId,
    pub file_name: String,
    /// What the reader detected ("CSV, Windows-1251, «;»").
    pub format: String,
    pub created: Ts,
    /// Recognised columns with the file's own header text.
    pub columns: Vec<(Column, String)>,
    pub unknown_columns: Vec<String>,
    /// Data rows (empty rows skipped).
    pub rows: u32,
    /// Rows that would create a product, update one, or have problems (preview counts).
    pub new: u32,
    pub updates: u32,
    pub errors: u32,
    pub state: State,
    /// Rows with problems are skipped instead of blocking the import (the user's choice).
    pub skip_invalid: bool,
    /// Progress: the index (0-based, in file order) of the next row to apply.
    pub next_row: u32,
    pub created_count: u32,
    pub updated_count: u32,
    /// Rows not applied: invalid at preview and skipped, or refused when applied.
    pub failed_count: u32,
    pub finished: Option<Ts>,
    pub failure: Option<String>,
}

impl Record for Import {
    const TYPE: &'static str = "import.v1";
}

/// What a preview counted: rows read, and how many would create, update, or have problems.
#[derive(Debug, Clone, Copy)]
pub struct PreviewCounts {
    pub rows: u64,
    pub new: u32,
    pub updates: u32,
    pub errors: u32,
}

impl Import {
    /// A checked file waiting for its confirmation: the summary every import kind's preview
    /// stores.
    pub fn preview(
        id: ImportId,
        user: UserId,
        file_name: &str,
        format: &str,
        created: Ts,
        header: &Header,
        counts: PreviewCounts,
    ) -> Import {
        Import {
            id,
            user,
            file_name: file_name.chars().take(200).collect(),
            format: format.to_string(),
            created,
            columns: header.names.clone(),
            unknown_columns: header.unknown.clone(),
            rows: u32::try_from(counts.rows).unwrap_or(u32::MAX),
            new: counts.new,
            updates: counts.updates,
            errors: counts.errors,
            state: State::Preview,
            skip_invalid: false,
            next_row: 0,
            created_count: 0,
            updated_count: 0,
            failed_count: 0,
            finished: None,
            failure: None,
        }
    }
}

/// One problem of one row, in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowError {
    /// The file's header text of the column at fault (empty for the row as a whole).
    pub column: String,
    pub code: String,
    pub ru: String,
    pub en: String,
}

impl RowError {
    pub fn from_field(e: &FieldError, column: String) -> RowError {
        RowError { column, code: e.code.to_string(), ru: e.ru.clone(), en: e.en.clone() }
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.ru, &self.en)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportRow {
    /// Row number as a spreadsheet shows it (the header is row 1).
    pub line: u32,
    /// The recognised cells, trimmed; a column absent from the file is absent here and keeps
    /// the product's current value on update.
    pub cells: Vec<(Column, String)>,
    /// The existing product this row updates (matched by code, then barcode, then article).
    pub target: Option<ProductId>,
    pub errors: Vec<RowError>,
    /// Set when applied: the product written.
    pub applied: Option<ProductId>,
}

impl ImportRow {
    pub fn cell(&self, c: Column) -> Option<&str> {
        self.cells.iter().find(|(x, _)| *x == c).map(|(_, v)| v.as_str())
    }
}

impl Record for ImportRow {
    const TYPE: &'static str = "import_row.v1";
}

/// What an import brings in. Stored beside the import (`store::KINDS`) only for the telecom
/// kinds and clients: an import without that row is a product import, as every import before
/// them was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Products,
    /// A SIM delivery (`iccid, imsi, msisdn, puk, tariff`).
    Sims,
    /// Individual subscribers.
    Subscribers,
    /// Clients (issue 17, crm4): name, phone, e-mail, INN, address, notes.
    Clients,
    /// People at client companies (issue 17): client, name, role, phone, e-mail.
    Contacts,
}

impl Record for Kind {
    const TYPE: &'static str = "import_kind.v1";
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Products, Kind::Sims, Kind::Subscribers, Kind::Clients, Kind::Contacts];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Products => "products",
            Kind::Sims => "sims",
            Kind::Subscribers => "subscribers",
            Kind::Clients => "clients",
            Kind::Contacts => "contacts",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    /// What importing this kind needs: the module's plan feature and right — products the
    /// catalog and `PRODUCTS`; a SIM delivery the telecom desk and the supervisors' bulk SIM
    /// right; subscribers the telecom desk and `TELECOM_CUSTOMERS`; clients `CLIENTS`; contacts
    /// the CRM and `CLIENTS`.
    pub fn require(self, actor: &crate::tenancy::actor::Actor) -> crate::error::Result<()> {
        use crate::tenancy::perms::Perm;
        match self {
            Kind::Products => {
                actor.require(Perm::PRODUCTS)?;
                actor.require_feature("catalog")
            }
            Kind::Sims => {
                actor.require_feature("telecom")?;
                actor.require(Perm::TELECOM_SIMS_BULK)
            }
            Kind::Subscribers => {
                actor.require_feature("telecom")?;
                actor.require(Perm::TELECOM_CUSTOMERS)
            }
            Kind::Clients => actor.require(Perm::CLIENTS),
            Kind::Contacts => {
                actor.require_feature("crm")?;
                actor.require(Perm::CLIENTS)
            }
        }
    }

    /// Whether `actor` may import this kind (the kind picker shows only these).
    pub fn allowed(self, actor: &crate::tenancy::actor::Actor) -> bool {
        self.require(actor).is_ok()
    }
}
