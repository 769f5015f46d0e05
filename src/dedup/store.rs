//! The merge log of duplicate clients: one row per merge with the move list its undo replays,
//! and the index from a merged-away client to its merge.

use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{ClientId, CompanyId, MergeId, UserId};
use crate::storage::{Record, Table, TableInfo};

/// A merge of `duplicate` into `survivor`. Each moved record is kept as (id, fingerprint of
/// the record right after the merge): undo puts back only records nobody changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientMerge {
    pub id: MergeId,
    pub survivor: ClientId,
    pub duplicate: ClientId,
    pub at: Ts,
    pub user: UserId,
    /// Whether the duplicate was archived before the merge archived it.
    pub was_archived: bool,
    pub sales: Vec<(u64, u64)>,
    pub agent_sales: Vec<(u64, u64)>,
    pub installment_deals: Vec<(u64, u64)>,
    pub crm_deals: Vec<(u64, u64)>,
    pub tasks: Vec<(u64, u64)>,
    pub contacts: Vec<(u64, u64)>,
    pub orders: Vec<(u64, u64)>,
    pub conversations: Vec<(u64, u64)>,
    /// Timeline events moved, as (at ms, seq): their keys are the same under either client.
    pub events: Vec<(u64, u64)>,
    /// The duplicate's debt ledger rows were appended to the survivor's from this row on.
    pub debt_from: u64,
    pub debt_rows: u64,
    pub undone: Option<Ts>,
}

impl Record for ClientMerge {
    const TYPE: &'static str = "clientmerge.v1";
}

impl ClientMerge {
    /// How many linked records the merge moved.
    pub fn moved(&self) -> usize {
        self.sales.len()
            + self.agent_sales.len()
            + self.installment_deals.len()
            + self.crm_deals.len()
            + self.tasks.len()
            + self.contacts.len()
            + self.orders.len()
            + self.conversations.len()
            + self.events.len()
            + self.debt_rows as usize
    }
}

/// What a merge moved beyond the kinds [`ClientMerge`] lists, kept in a table of its own so
/// that record's stored layout stays as it was: reviews, documents made from templates,
/// calendar events, agents' request carts and open till carts, each as (id, fingerprint of
/// the record right after the merge). A merge made before these moved has no row: it moved
/// none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeExtras {
    pub reviews: Vec<(u64, u64)>,
    pub documents: Vec<(u64, u64)>,
    pub calendar_events: Vec<(u64, u64)>,
    pub agent_requests: Vec<(u64, u64)>,
    pub carts: Vec<(u64, u64)>,
}

impl Record for MergeExtras {
    const TYPE: &'static str = "clientmergeextras.v1";
}

impl MergeExtras {
    /// How many records these lists moved.
    pub fn moved(&self) -> usize {
        self.reviews.len() + self.documents.len() + self.calendar_events.len() + self.agent_requests.len() + self.carts.len()
    }
}

/// (company, merge) → the merge with its move list.
pub const MERGES: Table<(CompanyId, MergeId), ClientMerge> = Table::new("company_mergeid_clientmerge");
/// (company, merged-away client) → the merge that holds it (removed by undo).
pub const MERGED: Table<(CompanyId, ClientId), u64> = Table::new("company_client_mergeid");
/// (company, merge) → the records of the later-added kinds the merge moved.
pub const MERGE_EXTRAS: Table<(CompanyId, MergeId), MergeExtras> = Table::new("company_mergeid_clientmergeextras");

pub fn tables() -> Vec<TableInfo> {
    vec![
        MERGES.info("(CompanyId, MergeId)", "merges of duplicate clients: survivor, duplicate, the moved records for the undo"),
        MERGED.info("(CompanyId, merged-away ClientId) → MergeId", "clients merged into another (index kept by merge and undo)"),
        MERGE_EXTRAS.info(
            "(CompanyId, MergeId)",
            "what a merge moved besides its own move list: reviews, documents, calendar events, agents' requests, till carts",
        ),
    ]
}
