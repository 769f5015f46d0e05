//! The schema of the data file: every table of every domain in one list, and the named
//! migrations that upgrade an older file. Backups copy exactly these tables, `check` counts
//! them, and a test renders them to `schema/keyspace.txt` so that a change to the keyspace is
//! a reviewed diff, never an accident. Storage runs the migrations but never names them: every
//! data file is opened through [`open`], which also hands storage the reactions of
//! `crate::wiring`.

use std::path::Path;

use crate::storage::{Db, Migration, Schema, StorageError, TableInfo};

/// Upgrade steps, oldest first: `MIGRATIONS[i]` takes a file from version `i + 1` to `i + 2`.
/// Append only; a released step never changes.
pub const MIGRATIONS: &[Migration] = &[
    // Version 2: the stock-report rows, warehouse totals and the movement journal index, built
    // from the ledger.
    Migration { name: "stock_rows_and_journal_index", run: crate::inventory::store::build_projections },
    // Version 3: the daily sales projection, built from sales and returns (releases before it
    // built it on open behind a meta flag; the step skips a file that has that flag).
    Migration { name: "daily_sales_projection", run: crate::pos::daily::build_all },
    // Version 4: cash-box accounts, built from shifts' drawer rows, closed shifts' counted
    // differences and flows on expense-only boxes, with the money projections.
    Migration { name: "money_accounts_from_shifts", run: crate::finance::store::build_all },
    // Version 5: the due-date index of purchases on credit ("to pay this week"), spread over
    // each supplier's newest posted credit purchases.
    Migration { name: "purchases_due_index", run: crate::purchasing::store::build_due },
    // Version 6: the agents' daily totals per agent and per product, beside the agent ×
    // product rows, rebuilt from the agents' sales.
    Migration { name: "agent_daily_totals", run: crate::agents::daily::build_totals },
    // Version 7: every company's slug (its public pages' address), transliterated from its
    // name, with the box-wide slug index.
    Migration { name: "company_slugs", run: crate::tenancy::slug::build_all },
    // Version 8: the inbox indexes (newest first, per assignee, per client) and the unread
    // counts per assignee, built from the stored conversations.
    Migration { name: "inbox_indexes", run: crate::messaging::store::build_inbox_indexes },
];

/// The layout this binary writes.
pub const SCHEMA_VERSION: u64 = crate::storage::version_after(MIGRATIONS);

/// Opens (or creates) a data file, upgrading an older one with [`MIGRATIONS`]; its write
/// transactions carry the cross-domain reactions of [`crate::wiring::hooks`].
pub fn open(path: &Path, cache_bytes: usize) -> Result<Db, StorageError> {
    Db::open(path, cache_bytes, MIGRATIONS, crate::wiring::hooks())
}

/// The tables, migrations and hooks together, for backups and their verification.
pub fn current() -> Schema {
    Schema { tables: all_tables(), migrations: MIGRATIONS, hooks: crate::wiring::hooks() }
}

pub fn all_tables() -> Vec<TableInfo> {
    let mut t = vec![crate::storage::outbox::OUTBOX.info("u64 job id", "side effects waiting for their worker (box level)")];
    t.extend(crate::storage::meta_tables());
    t.extend(crate::tenancy::store::tables());
    t.extend(crate::auth::store::tables());
    t.extend(crate::audit::tables());
    t.extend(crate::catalog::store::tables());
    t.extend(crate::catalog::images::tables());
    t.extend(crate::inventory::store::tables());
    t.extend(crate::pos::store::tables());
    t.extend(crate::pos::daily::tables());
    t.extend(crate::agents::store::tables());
    t.extend(crate::agents::daily::tables());
    t.extend(crate::agents::request_store::tables());
    t.extend(crate::clients::store::tables());
    t.extend(crate::finance::store::tables());
    t.extend(crate::purchasing::store::tables());
    t.extend(crate::transfer::store::tables());
    t.extend(crate::printing::store::tables());
    t.extend(crate::webhooks::tables());
    t.extend(crate::scales::store::tables());
    t.extend(crate::backup::tables());
    t.extend(crate::messaging::store::tables());
    t.extend(crate::telecom::store::tables());
    t.extend(crate::crm::store::tables());
    t.extend(crate::inventory::reserve::tables());
    t.extend(crate::tenancy::slug::tables());
    t.extend(crate::tenancy::signup::tables());
    t.extend(crate::telecom::store::ticket_tables());
    // Duplicate clients (issue 17, crm3).
    t.extend(crate::dedup::store::tables());
    // E-mail and notification rules (issue 16, msg3).
    t.extend(crate::messaging::mail::store::tables());
    t.extend(crate::messaging::rules::store::tables());
    // The CRM calendar (issue 17, calendar).
    t.extend(crate::crm::calendar::store::tables());
    // Files attached to a client's card (issue 17, attachments).
    t.extend(crate::crm::attachments::tables());
    t
}

/// The text of `schema/keyspace.txt`.
pub fn render_keyspace() -> String {
    let mut out = String::from(
        "# Dukan keyspace: table | key | value type (version) | what it holds\n# generated by `cargo test schema` (DUKAN_BLESS=1 rewrites it); review every diff\n",
    );
    let mut tables = all_tables();
    tables.sort_by_key(|t| t.name);
    for t in tables {
        out.push_str(&format!("{} | {} | {} | {}\n", t.name, t.key, t.value, t.doc));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_matches_the_committed_snapshot() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/keyspace.txt");
        let rendered = render_keyspace();
        if std::env::var_os("DUKAN_BLESS").is_some() {
            std::fs::write(&path, &rendered).expect("write keyspace");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed, rendered,
            "the keyspace changed: document it (DUKAN_BLESS=1 cargo test) and add a migration if a stored shape changed"
        );
    }

    /// Every table's key reaches redb through its raw twin (`storage::codec::StoredKey`); the
    /// twin must keep the key's stored type name and width, or old files stop opening.
    #[test]
    fn every_key_twin_matches_its_typed_key() {
        for table in all_tables() {
            assert_eq!(table.key_twin_matches(), Ok(()));
        }
    }

    #[test]
    fn table_names_are_unique() {
        let mut names: Vec<_> = all_tables().iter().map(|t| t.name).collect();
        names.sort();
        let before = names.len();
        names.dedup();
        assert_eq!(before, names.len());
    }
}
