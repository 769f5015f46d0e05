//! Agents' request carts as stored (spec A8 AgentRequestCart), their two tables, the one write
//! path `put_request` (which keeps the per-agent index by diff) and `verify`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::store::LOTS;
use crate::clock::Ts;
use crate::ids::{AgentRequestId, BranchId, ClientId, CompanyId, LotId, ProductId, UserId, WarehouseId};
use crate::storage::{Read, ReadTx, Record, StorageError, Table, TableInfo, WriteTx};

/// (company, request) → the request with its items.
pub const REQUESTS: Table<(CompanyId, AgentRequestId), AgentRequest> = Table::new("company_agentrequestid_agentrequest");
/// (company, agent, request) → request id: an agent's requests, newest last.
pub const AGENT_REQUESTS: Table<(CompanyId, UserId, AgentRequestId), u64> = Table::new("company_agent_agentrequestid_agentrequestid");

pub fn tables() -> Vec<TableInfo> {
    vec![
        REQUESTS.info(
            "(CompanyId, AgentRequestId)",
            "agents' request carts: draft → submitted → approved | rejected, items with gifts and lots",
        ),
        AGENT_REQUESTS.info("(CompanyId, agent UserId, AgentRequestId)", "an agent's request carts → AgentRequestId (kept by put_request)"),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequestStatus {
    Draft,
    Submitted,
    Approved,
    Rejected,
}

impl RequestStatus {
    pub fn code(self) -> &'static str {
        match self {
            RequestStatus::Draft => "draft",
            RequestStatus::Submitted => "submitted",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<RequestStatus> {
        [RequestStatus::Draft, RequestStatus::Submitted, RequestStatus::Approved, RequestStatus::Rejected]
            .into_iter()
            .find(|x| x.code() == s)
    }
}

/// One product of a request. `gift` and `price` are set on submit and again on approve;
/// `lots` are the lots approval made (the paid units first, then the gift units).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestItem {
    pub product: ProductId,
    /// Whole units asked for, ≥ 1.
    pub qty: u64,
    pub gift: u64,
    /// Unit price snapshot (the product's sale price at submit, refreshed at approve).
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    pub lots: Vec<LotId>,
}

impl RequestItem {
    /// What leaves the warehouse for this item: requested + gift.
    pub fn total(&self) -> u64 {
        self.qty + self.gift
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRequest {
    pub id: AgentRequestId,
    pub agent: UserId,
    pub client: Option<ClientId>,
    /// The branch the agent worked in when the cart was made: branch promo rules follow it.
    pub branch: Option<BranchId>,
    pub status: RequestStatus,
    pub items: Vec<RequestItem>,
    pub created: Ts,
    pub updated: Ts,
    pub submitted: Option<Ts>,
    /// Approved or rejected: when and by whom.
    pub decided: Option<(Ts, UserId)>,
    /// The warehouse an approval took the goods from.
    pub warehouse: Option<WarehouseId>,
    pub reason: String,
}

impl Record for AgentRequest {
    const TYPE: &'static str = "agent_request.v1";
}

impl AgentRequest {
    /// "request:ID": the `source` of the lots its approval made.
    pub fn source(&self) -> String {
        format!("request:{}", self.id)
    }
}

/// The one write path of a request: the agent index follows.
pub fn put_request(tx: &mut WriteTx, c: CompanyId, new: &AgentRequest) -> Result<(), StorageError> {
    tx.insert(AGENT_REQUESTS, (c, new.agent, new.id), &new.id.0)?;
    tx.insert(REQUESTS, (c, new.id), new)
}

pub fn request(tx: &impl Read, c: CompanyId, id: AgentRequestId) -> Result<Option<AgentRequest>, StorageError> {
    tx.get(REQUESTS, (c, id))
}

/// Checks the agent index both ways, each item's quantities, and that an approved request's
/// items name lots of its agent and product made from it, holding exactly the item's total.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    for (cid, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
        let c = CompanyId(cid);
        let mut count = 0usize;
        tx.range(REQUESTS, (c, AgentRequestId::MIN), (c, AgentRequestId::MAX), false, usize::MAX, |_, r| {
            count += 1;
            if tx.get(AGENT_REQUESTS, (c, r.agent, r.id))?.is_none() {
                problems.push(format!("agent request {cid}/{}: missing from its agent's index", r.id));
            }
            for it in &r.items {
                if it.qty == 0 {
                    problems.push(format!("agent request {cid}/{}: product {} with quantity 0", r.id, it.product));
                }
                if r.status != RequestStatus::Approved {
                    if !it.lots.is_empty() {
                        problems.push(format!("agent request {cid}/{} is {} but names lots", r.id, r.status.code()));
                    }
                    continue;
                }
                let mut held = Decimal::ZERO;
                for lot in &it.lots {
                    match tx.get(LOTS, (c, *lot))? {
                        Some(l) if l.agent == r.agent && l.product == it.product && l.source == r.source() => held += l.transferred,
                        other => problems.push(format!("agent request {cid}/{}: lot {lot} is not its own: {other:?}", r.id)),
                    }
                }
                if held != Decimal::from(it.total()) {
                    problems.push(format!(
                        "agent request {cid}/{} product {}: lots hold {held}, the item's total is {}",
                        r.id,
                        it.product,
                        it.total()
                    ));
                }
            }
            Ok(true)
        })?;
        let index = tx.list(AGENT_REQUESTS, (c, UserId::MIN, AgentRequestId::MIN), (c, UserId::MAX, AgentRequestId::MAX), usize::MAX)?;
        if index.len() != count {
            problems.push(format!("agent request index of company {cid}: {} entries for {count} requests", index.len()));
        }
    }
    Ok(problems)
}
