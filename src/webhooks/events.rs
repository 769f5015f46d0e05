//! The outgoing events' names and payloads: the wire format a receiver parses, documented in
//! `schema/webhooks.md` and in the OpenAPI document (each payload derives `ToSchema`). Domains
//! above fill these shapes where the change commits and hand them to `webhooks::emit_with`;
//! this module knows no domain type. Every body is the envelope `{"event", "delivery",
//! "company", "at", "data"}` with one of these as `data` (`webhooks::emit_with`). Money and quantities are decimal strings ("425.00"),
//! times RFC 3339 in UTC, ids plain numbers. A field is only ever added, never renamed.

use serde::Serialize;
use utoipa::ToSchema;

pub const STOCK_CHANGED: &str = "stock.changed";
pub const AGENT_TRANSFER: &str = "agent.transfer";
pub const SALE_CREATED: &str = "sale.created";
pub const SALE_RETURNED: &str = "sale.returned";
pub const SHIFT_CLOSED: &str = "shift.closed";
pub const DEBT_PAID: &str = "debt.paid";
pub const PRODUCT_CHANGED: &str = "product.changed";

/// Every event an endpoint can subscribe to, in the order the page lists them.
pub const ALL: &[&str] = &[SALE_CREATED, SALE_RETURNED, SHIFT_CLOSED, DEBT_PAID, PRODUCT_CHANGED, STOCK_CHANGED, AGENT_TRANSFER];

/// `sale.created`: a checkout at a till, committed.
#[derive(Debug, Serialize, ToSchema)]
pub struct SaleEvent {
    pub id: u64,
    /// "П-000001", gapless per company.
    pub number: String,
    pub at: String,
    pub cash_box: u64,
    pub shift: u64,
    pub branch: Option<u64>,
    pub cashier: u64,
    pub client: Option<u64>,
    pub subtotal: String,
    pub discount: String,
    pub total: String,
    pub payments: Vec<PaymentEvent>,
    pub lines: Vec<SaleLineEvent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentEvent {
    /// "cash", "card", "transfer", "wallet:<name>", "debt".
    pub method: String,
    pub amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SaleLineEvent {
    /// Empty for a free-text line.
    pub product: Option<u64>,
    pub name: String,
    pub barcode: String,
    pub unit: String,
    pub qty: String,
    pub unit_price: String,
    /// The line's discount plus its share of the order discount.
    pub discount: String,
    /// What the line sold for after every discount.
    pub amount: String,
}

/// `sale.returned`: some or all of a sale's lines given back and refunded.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnEvent {
    pub id: u64,
    /// "В-000001", gapless per company.
    pub number: String,
    pub sale: u64,
    pub sale_number: String,
    pub at: String,
    pub shift: u64,
    pub user: u64,
    /// The refund's payment method code.
    pub method: String,
    pub amount: String,
    pub reason: String,
    pub lines: Vec<ReturnLineEvent>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReturnLineEvent {
    /// The sale line's index (0-based).
    pub line: u64,
    pub product: Option<u64>,
    pub name: String,
    pub qty: String,
    pub amount: String,
}

/// `shift.closed`: a till's shift closed with its counted cash.
#[derive(Debug, Serialize, ToSchema)]
pub struct ShiftClosedEvent {
    pub id: u64,
    /// "С-000001".
    pub number: String,
    pub cash_box: u64,
    pub branch: Option<u64>,
    pub cashier: u64,
    pub opened: String,
    pub closed: String,
    pub opening_cash: String,
    pub expected_cash: String,
    pub counted_cash: String,
    /// Counted − expected: negative is a shortage.
    pub difference: String,
    pub sales: u64,
    pub sales_amount: String,
    pub returns: u64,
    pub returns_amount: String,
}

/// `debt.paid`: a client repaid a debt (`kind` "debt") or an installment of a deal
/// (`kind` "installment").
#[derive(Debug, Serialize, ToSchema)]
pub struct DebtPaidEvent {
    pub kind: String,
    pub client: u64,
    pub amount: String,
    /// Payment method code of a debt repayment; empty for an installment.
    pub method: String,
    pub at: String,
    /// The debt ledger row (kind "debt").
    pub entry: Option<u64>,
    /// What the client still owes afterwards (kind "debt").
    pub owed: Option<String>,
    /// The deal and installment number (kind "installment").
    pub deal: Option<u64>,
    pub installment: Option<u32>,
}

/// `product.changed`: a product created, edited, archived, restored or deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductChangedEvent {
    /// "created", "updated", "archived", "restored" or "deleted".
    pub action: String,
    pub id: u64,
    pub code: String,
    pub name: String,
    pub article: String,
    pub barcodes: Vec<String>,
    pub unit: String,
    pub price: String,
    pub archived: bool,
}
