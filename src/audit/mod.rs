//! The audit log: one append-only row per write, in the same transaction as the write, keyed
//! by (company, id) so a company's log is one contiguous, time-ordered range. Rows are never
//! updated or deleted.

use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{CompanyId, UserId};
use crate::storage::{ReadTx, Record, StorageError, Table, TableInfo, WriteTx};

/// (company, entry id) → entry. Entry ids come from the box-wide counter, so they ascend in
/// commit order.
pub const AUDIT: Table<(u64, u64), Entry> = Table::new("company_entryid_audit");

pub fn tables() -> Vec<TableInfo> {
    vec![AUDIT.info("(CompanyId, u64)", "append-only audit log of every write")]
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub at: Ts,
    /// Who acted; the platform operator may act on a company that is not their own.
    pub actor_company: CompanyId,
    pub actor_user: Option<UserId>,
    pub actor_name: String,
    pub ip: String,
    /// Dotted verb, e.g. "user.create".
    pub action: String,
    /// What was acted on, e.g. "user:42".
    pub target: String,
    pub detail: String,
}

impl Record for Entry {
    const TYPE: &'static str = "audit.v1";
}

/// Who wrote, in the plain ids an audit row stores. The audit log sits below tenancy and auth,
/// so it never sees their `Actor`; tenancy implements this for it (`tenancy::actor`), and any
/// other caller can too.
pub trait Author {
    /// The company the author signed in to (the platform operator may act on another one).
    fn company(&self) -> CompanyId;
    fn user(&self) -> UserId;
    fn name(&self) -> &str;
    fn ip(&self) -> &str;
}

impl<T: Author> Author for &T {
    fn company(&self) -> CompanyId {
        (*self).company()
    }

    fn user(&self) -> UserId {
        (*self).user()
    }

    fn name(&self) -> &str {
        (*self).name()
    }

    fn ip(&self) -> &str {
        (*self).ip()
    }
}

/// Appends an audit row for a write by `actor` on `company` (usually the actor's own).
pub fn record(
    tx: &mut WriteTx,
    company: CompanyId,
    actor: &impl Author,
    now: Ts,
    action: &str,
    target: String,
    detail: String,
) -> Result<(), StorageError> {
    let id = tx.next_id()?;
    let entry = Entry {
        at: now,
        actor_company: actor.company(),
        actor_user: Some(actor.user()),
        actor_name: actor.name().to_string(),
        ip: actor.ip().to_string(),
        action: action.to_string(),
        target,
        detail,
    };
    tx.insert(AUDIT, (company.0, id), &entry)
}

/// Appends a row for an action with no signed-in actor (first-run setup, CLI, sign-in).
pub fn record_system(
    tx: &mut WriteTx,
    company: CompanyId,
    who: (Option<UserId>, &str),
    ip: &str,
    now: Ts,
    action: &str,
    target: String,
) -> Result<(), StorageError> {
    let id = tx.next_id()?;
    let entry = Entry {
        at: now,
        actor_company: company,
        actor_user: who.0,
        actor_name: who.1.to_string(),
        ip: ip.to_string(),
        action: action.to_string(),
        target,
        detail: String::new(),
    };
    tx.insert(AUDIT, (company.0, id), &entry)
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub user: Option<UserId>,
    /// Matches actions starting with this text ("user." for every user change).
    pub action: Option<String>,
    pub from: Option<Ts>,
    pub to: Option<Ts>,
}

/// Newest first, `limit` entries with ids below `before`.
pub fn list(
    tx: &ReadTx,
    company: CompanyId,
    filter: &Filter,
    before: Option<u64>,
    limit: usize,
) -> Result<Vec<(u64, Entry)>, StorageError> {
    let hi = before.map(|b| b.saturating_sub(1)).unwrap_or(u64::MAX);
    let mut out = Vec::new();
    tx.range(AUDIT, (company.0, 0), (company.0, hi), true, usize::MAX, |(_, id), e| {
        if let Some(from) = filter.from
            && e.at < from
        {
            return Ok(false);
        }
        let keep = filter.user.is_none_or(|u| e.actor_user == Some(u))
            && filter.action.as_deref().is_none_or(|a| e.action.starts_with(a))
            && filter.to.is_none_or(|to| e.at < to);
        if keep {
            out.push((id, e));
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}
