//! Field agents' records as stored: lots (one per transferred item), returns, agent sales
//! with their per-lot allocations, and the per-(agent, product) stock projection.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{AgentReturnId, CashBoxId, ClientId, LotId, ProductId, SaleId, UserId, WarehouseId};
use crate::pos::model::Payment;
use crate::storage::Record;

/// Where an agent's goods live: a location in the stock ledger (a warehouse id with no
/// warehouse row, see `inventory::consign`), made at the agent's first transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub warehouse: WarehouseId,
}

impl Record for Location {
    const TYPE: &'static str = "agent_location.v1";
}

/// One transferred item (the seed's ManufactureSubreal). Its id is the id of the inbound
/// movement into the agent's location, so the cost layer that movement opened, keyed
/// `(created, id)`, is this lot's: the ledger's layer order is the lots' FIFO order.
/// Counters only grow except `sold` (a sale return gives back) and `reserved` (a decided
/// return releases); every change is a movement or a decision, never an overwrite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub id: LotId,
    pub agent: UserId,
    pub product: ProductId,
    pub created: Ts,
    #[serde(with = "rust_decimal::serde::str")]
    pub transferred: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub accepted: Decimal,
    /// Approved returns.
    #[serde(with = "rust_decimal::serde::str")]
    pub returned: Decimal,
    /// Allocated to agent sales, net of their returns.
    #[serde(with = "rust_decimal::serde::str")]
    pub sold: Decimal,
    /// Pending returns attached to this lot.
    #[serde(with = "rust_decimal::serde::str")]
    pub reserved: Decimal,
    /// The unaccepted remainder taken back into the warehouse (A15 #4: the seed lost it).
    #[serde(with = "rust_decimal::serde::str")]
    pub cancelled: Decimal,
    /// Cost at transfer ÷ quantity (the ledger's layer holds the exact amount).
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_cost: Decimal,
    /// Unit price snapshot at transfer (0 for gifts).
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    pub external_ref: Option<String>,
    /// "request:ID" for a lot made by approving a request cart, "" otherwise.
    pub source: String,
    pub issuer: UserId,
    /// The warehouse the goods left.
    pub warehouse: WarehouseId,
    /// Total cost that travelled with the goods at transfer.
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// Last transfer, acceptance or return decision.
    pub last_movement: Ts,
}

impl Record for Lot {
    const TYPE: &'static str = "agent_lot.v1";
}

impl Lot {
    /// Transferred but neither accepted nor cancelled.
    pub fn remaining(&self) -> Decimal {
        self.transferred - self.accepted - self.cancelled
    }

    /// Nothing left to accept: closed for acceptance, still read by FIFO.
    pub fn closed(&self) -> bool {
        self.remaining().is_zero()
    }

    /// What the agent may sell or return now: accepted − returned − sold − reserved.
    pub fn free(&self) -> Decimal {
        self.accepted - self.returned - self.sold - self.reserved
    }

    /// What the ledger's layer of this lot holds: transferred − cancelled − returned − sold.
    pub fn in_layer(&self) -> Decimal {
        self.transferred - self.cancelled - self.returned - self.sold
    }
}

/// Σ of one agent's lots of one product, kept with every lot change (the "my goods" row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holding {
    #[serde(with = "rust_decimal::serde::str")]
    pub transferred: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub accepted: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub sold: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub reserved: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cancelled: Decimal,
    pub last_movement: Option<Ts>,
}

impl Record for Holding {
    const TYPE: &'static str = "agent_holding.v1";
}

impl Holding {
    pub fn on_hand(&self) -> Decimal {
        self.accepted - self.returned - self.sold - self.reserved
    }

    pub fn add(&mut self, l: &Lot) {
        self.transferred += l.transferred;
        self.accepted += l.accepted;
        self.returned += l.returned;
        self.sold += l.sold;
        self.reserved += l.reserved;
        self.cancelled += l.cancelled;
        self.last_movement = self.last_movement.max(Some(l.last_movement));
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnStatus {
    Pending,
    Approved,
    Rejected,
}

impl ReturnStatus {
    pub fn code(self) -> &'static str {
        match self {
            ReturnStatus::Pending => "pending",
            ReturnStatus::Approved => "approved",
            ReturnStatus::Rejected => "rejected",
        }
    }
}

/// Goods an agent hands back (the seed's ReturnFromAgent), attached to one lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentReturn {
    pub id: AgentReturnId,
    pub lot: LotId,
    pub agent: UserId,
    pub product: ProductId,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    pub status: ReturnStatus,
    pub created: Ts,
    /// Approved or rejected: when, by whom, and (approved) into which warehouse at what cost.
    pub decided: Option<(Ts, UserId)>,
    pub warehouse: Option<WarehouseId>,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
}

impl Record for AgentReturn {
    const TYPE: &'static str = "agent_return.v1";
}

/// One (sale line, lot) share: the seed's AgentSaleAllocation, unique per line and lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub lot: LotId,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// The cost the lot's layer gave up for it.
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// Units of this allocation given back by sale returns.
    #[serde(with = "rust_decimal::serde::str")]
    pub returned: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSaleLine {
    pub product: ProductId,
    pub name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// In the lots' FIFO order.
    pub allocations: Vec<Allocation>,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned_qty: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaleStatus {
    Paid,
    Debt,
    /// Every line returned.
    Returned,
}

impl SaleStatus {
    pub fn code(self) -> &'static str {
        match self {
            SaleStatus::Paid => "paid",
            SaleStatus::Debt => "debt",
            SaleStatus::Returned => "returned",
        }
    }
}

/// One line of a sale return: the quantity, the amount refunded, the cost given back to lots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    pub line: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
}

/// A return of some lines of an agent sale, refunded by one method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleReturn {
    pub at: Ts,
    pub user: UserId,
    pub lines: Vec<ReturnLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub method: String,
}

/// A sale made in the field from an agent's lots: no shift (spec A7), the cash box resolved
/// from the request, the branch's newest, or the company's newest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSale {
    pub id: SaleId,
    /// Per company, gapless: "А-000001".
    pub number: String,
    pub agent: UserId,
    /// Who operated the screen: the agent, or an owner selling on the agent's behalf.
    pub operator: UserId,
    pub at: Ts,
    pub cash_box: CashBoxId,
    pub client: Option<ClientId>,
    pub status: SaleStatus,
    pub lines: Vec<AgentSaleLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub payments: Vec<Payment>,
    pub returns: Vec<SaleReturn>,
    pub idempotency_key: String,
}

impl Record for AgentSale {
    const TYPE: &'static str = "agent_sale.v1";
}

impl AgentSale {
    pub fn cost(&self) -> Decimal {
        self.lines.iter().map(|l| l.cost).sum()
    }

    pub fn debt(&self) -> Decimal {
        self.payments.iter().filter(|p| p.method == crate::pos::model::Method::Debt).map(|p| p.amount).sum()
    }
}

/// An external reference seen before: the lots its transfer made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefLots {
    pub agent: UserId,
    pub lots: Vec<LotId>,
}

impl Record for RefLots {
    const TYPE: &'static str = "agent_ref_lots.v1";
}

/// One acceptance of part or all of a lot (append-only; Σ per lot = the lot's `accepted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acceptance {
    pub at: Ts,
    pub by: UserId,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
}

impl Record for Acceptance {
    const TYPE: &'static str = "agent_acceptance.v1";
}
