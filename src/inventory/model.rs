//! Warehouses, stock documents, the movement ledger, FIFO cost layers and balances as stored.
//!
//! Key layout (all tenant-first):
//! - a movement is keyed `(company, warehouse, product, date_ms, order, id)`; `order` is the
//!   movement's own id, except for a reversal, which takes its original's id so it sorts right
//!   after it — the reversal then undoes exactly what the original did at that point;
//! - an open cost layer is keyed `(company, warehouse, product, date_ms, id)` where `id` is the
//!   inbound movement that created it (or, for a deficit layer of allowed negative stock, the
//!   outbound movement that overdrew). Layers are consumed and settled in key order (FIFO).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{BranchId, DocumentId, ProductId, UserId, WarehouseId};
use crate::storage::Record;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Warehouse {
    pub id: WarehouseId,
    pub name: String,
    /// `None` = company-wide (spec A2 global row).
    pub branch: Option<BranchId>,
    pub active: bool,
}

impl Record for Warehouse {
    const TYPE: &'static str = "warehouse.v1";
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Settings {
    pub allow_negative: bool,
    /// Postings dated at or before this instant are refused (closed period).
    pub locked_until: Option<Ts>,
}

impl Record for Settings {
    const TYPE: &'static str = "inventory_settings.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocKind {
    Receipt,
    WriteOff,
    Transfer,
    Count,
    SupplierReturn,
}

impl DocKind {
    pub const ALL: [DocKind; 5] = [DocKind::Receipt, DocKind::WriteOff, DocKind::Transfer, DocKind::Count, DocKind::SupplierReturn];

    pub fn code(self) -> &'static str {
        match self {
            DocKind::Receipt => "receipt",
            DocKind::WriteOff => "write_off",
            DocKind::Transfer => "transfer",
            DocKind::Count => "count",
            DocKind::SupplierReturn => "supplier_return",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    /// Number prefix, per company and kind: ПР-000001.
    pub fn prefix(self) -> &'static str {
        match self {
            DocKind::Receipt => "ПР",
            DocKind::WriteOff => "СП",
            DocKind::Transfer => "ПМ",
            DocKind::Count => "ИН",
            DocKind::SupplierReturn => "ВП",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocStatus {
    Draft,
    Posted,
    /// Posted, then reversed by reversing movements (never deleted).
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocLine {
    pub product: ProductId,
    /// Quantity moved; for a count, the counted quantity.
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// Receipts: the line's total cost (stored, not only the unit price).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Counts: the expected quantity found at posting.
    #[serde(with = "rust_decimal::serde::str")]
    pub expected: Decimal,
}

/// Where a movement lives: `(warehouse, product, date_ms, order, id)` under the company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MoveKey {
    pub warehouse: WarehouseId,
    pub product: ProductId,
    pub date: i64,
    pub order: u64,
    pub id: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Document {
    pub id: DocumentId,
    pub kind: DocKind,
    /// Assigned at posting, gapless per company and kind; empty for drafts.
    pub number: String,
    pub status: DocStatus,
    pub date: Ts,
    pub warehouse: WarehouseId,
    pub to_warehouse: Option<WarehouseId>,
    pub supplier: String,
    pub reason: String,
    pub note: String,
    pub lines: Vec<DocLine>,
    pub created: Ts,
    pub created_by: UserId,
    pub posted: Option<(Ts, UserId)>,
    pub cancelled: Option<(Ts, UserId)>,
    /// Movements written by posting (and then by cancelling).
    pub moves: Vec<MoveKey>,
}

impl Record for Document {
    const TYPE: &'static str = "stock_document.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoveKind {
    Receipt,
    WriteOff,
    TransferOut,
    TransferIn,
    CountGain,
    CountLoss,
    SupplierReturn,
    Sale,
    SaleReturn,
    /// Out of a warehouse to a field agent's location (paired with `AgentIn`).
    ToAgent,
    /// Into an agent's location: the layer it creates is the agent's lot.
    AgentIn,
    /// Out of an agent's lot back to a warehouse (an approved return; paired with `AgentReturnIn`).
    FromAgent,
    /// Into a warehouse from an agent's lot, at the lot's cost.
    AgentReturnIn,
    /// Out of an agent's lots, sold in the field.
    AgentSale,
    /// Back into the agent's lots an agent sale took from.
    AgentSaleReturn,
}

impl MoveKind {
    pub const ALL: [MoveKind; 15] = [
        MoveKind::Receipt,
        MoveKind::WriteOff,
        MoveKind::TransferOut,
        MoveKind::TransferIn,
        MoveKind::CountGain,
        MoveKind::CountLoss,
        MoveKind::SupplierReturn,
        MoveKind::Sale,
        MoveKind::SaleReturn,
        MoveKind::ToAgent,
        MoveKind::AgentIn,
        MoveKind::FromAgent,
        MoveKind::AgentReturnIn,
        MoveKind::AgentSale,
        MoveKind::AgentSaleReturn,
    ];

    pub fn parse(s: &str) -> Option<MoveKind> {
        MoveKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    /// Sales and their returns name a sale in `doc`; every other kind names a stock document.
    pub fn from_sale(self) -> bool {
        matches!(self, MoveKind::Sale | MoveKind::SaleReturn)
    }

    pub fn code(self) -> &'static str {
        match self {
            MoveKind::Receipt => "receipt",
            MoveKind::WriteOff => "write_off",
            MoveKind::TransferOut => "transfer_out",
            MoveKind::TransferIn => "transfer_in",
            MoveKind::CountGain => "count_gain",
            MoveKind::CountLoss => "count_loss",
            MoveKind::SupplierReturn => "supplier_return",
            MoveKind::Sale => "sale",
            MoveKind::SaleReturn => "sale_return",
            MoveKind::ToAgent => "to_agent",
            MoveKind::AgentIn => "agent_in",
            MoveKind::FromAgent => "from_agent",
            MoveKind::AgentReturnIn => "agent_return_in",
            MoveKind::AgentSale => "agent_sale",
            MoveKind::AgentSaleReturn => "agent_sale_return",
        }
    }

    /// An outbound movement whose cost its paired inbound movement takes over: when re-costing
    /// changes it, the partner's amount follows.
    pub fn passes_cost(self) -> bool {
        matches!(self, MoveKind::TransferOut | MoveKind::ToAgent | MoveKind::FromAgent)
    }
}

/// What a movement means to do; its cost effect is computed from it by the engine and may be
/// recomputed when an earlier-dated movement arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Intent {
    /// Goods come in with this total cost.
    In {
        #[serde(with = "rust_decimal::serde::str")]
        qty: Decimal,
        #[serde(with = "rust_decimal::serde::str")]
        amount: Decimal,
    },
    /// Goods go out, consuming cost layers first in, first out.
    Out {
        #[serde(with = "rust_decimal::serde::str")]
        qty: Decimal,
    },
    /// Reverses the movement sorted right before it (same warehouse and product).
    Reverse { of: u64 },
    /// Goods go out of the named layers (a field agent's lots), each at its layer's average
    /// cost; refused when a layer holds less than picked, whatever the negative-stock setting.
    Take { picks: Vec<Pick> },
    /// Goods come back into the named layers at the given amounts (an agent sale's return).
    Restore { picks: Vec<Pick> },
}

/// One layer named by a `Take` or `Restore`: its key, the quantity, and for a restore the
/// amount put back (ignored by a take, which computes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    pub layer_date: i64,
    pub layer: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

/// One change a movement made to one cost layer: `(dq, da)` added to the layer's quantity and
/// amount. Consumption is negative; a new layer, or the settlement of a deficit, positive. The
/// list of effects is the explanation of a movement's cost ("3 from receipt #12 at 85.00").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effect {
    pub layer_date: i64,
    pub layer: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub dq: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub da: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Move {
    pub id: u64,
    pub doc: DocumentId,
    pub kind: MoveKind,
    pub intent: Intent,
    /// The transfer partner (the other warehouse's movement).
    pub pair: Option<MoveKey>,
    // ---- computed by the engine ----
    /// Signed quantity change of the balance.
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// Signed value change of the balance at cost (= the sum of the effects' amounts).
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    pub effects: Vec<Effect>,
    /// Actual minus estimated cost of deficit units settled by this inbound movement.
    #[serde(with = "rust_decimal::serde::str")]
    pub variance: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty_after: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub value_after: Decimal,
}

impl Record for Move {
    const TYPE: &'static str = "stock_move.v1";
}

/// An open cost layer (rows with zero quantity and amount are deleted).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Layer {
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

impl Record for Layer {
    const TYPE: &'static str = "cost_layer.v1";
}

/// Stock on hand of one product in one warehouse: the projection of its movements.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
}

impl Record for Balance {
    const TYPE: &'static str = "stock_balance.v1";
}

/// The stock-on-hand report's row for one (warehouse, product): the balance and the product
/// fields the report shows, in one compact value so a report is one range scan. Written only
/// by `store::put_stock_row`, from `recost` (balance changed) and `catalog::store::put_product`
/// (name, price, category or threshold changed); `verify` rebuilds it from both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRow {
    #[serde(with = "crate::money::compact")]
    pub qty: Decimal,
    /// At FIFO cost (= the balance value).
    #[serde(with = "crate::money::compact")]
    pub value: Decimal,
    /// The product's current sale price.
    #[serde(with = "crate::money::compact")]
    pub price: Decimal,
    #[serde(with = "crate::money::compact")]
    pub reorder_level: Decimal,
    pub category: Option<crate::ids::CategoryId>,
    pub name: String,
}

impl Record for StockRow {
    const TYPE: &'static str = "stock_row.v1";
}

/// Running totals of one warehouse's stock rows, so a paged report still shows the whole
/// warehouse's value. Maintained by the same write path as the rows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockTotal {
    pub items: u64,
    #[serde(with = "crate::money::compact")]
    pub value: Decimal,
    /// Σ round_money(qty × price) over the rows.
    #[serde(with = "crate::money::compact")]
    pub sale_value: Decimal,
}

impl Record for StockTotal {
    const TYPE: &'static str = "stock_total.v1";
}

/// The movement journal's index entry: where a movement lives and what it is, keyed
/// `(company, date_ms, order, id)` so a period is one range scan in ledger order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoveRef {
    pub warehouse: WarehouseId,
    pub product: ProductId,
    pub kind: MoveKind,
    pub doc: DocumentId,
}

impl Record for MoveRef {
    const TYPE: &'static str = "stock_move_ref.v1";
}
