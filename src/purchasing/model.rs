//! Stored shapes of purchasing: purchases and their returns, supplier payments, the payable
//! ledger with its balance projection, the link of stock documents to supplier clients, and
//! idempotency keys.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{
    AccountId, CashBoxId, ClientId, DocumentId, MoneyDocId, ProductId, PurchaseId, PurchaseReturnId, SupplierPaymentId, UserId, WarehouseId,
};
use crate::storage::Record;

/// Where money for a supplier leaves from (or comes back to): a cash box or a bank account.
/// Purchasing keeps its own copy of finance's account reference so its stored shapes do not
/// change when finance's do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayFrom {
    CashBox(CashBoxId),
    Bank(AccountId),
}

impl PayFrom {
    /// `box:ID` or `bank:ID`, as forms and the API name an account (finance's codes).
    pub fn parse(s: &str) -> Option<PayFrom> {
        let (kind, id) = s.trim().split_once(':')?;
        let id = id.trim().parse::<u64>().ok()?;
        match kind.trim() {
            "box" => Some(PayFrom::CashBox(CashBoxId(id))),
            "bank" => Some(PayFrom::Bank(AccountId(id))),
            _ => None,
        }
    }

    pub fn code(self) -> String {
        match self {
            PayFrom::CashBox(id) => format!("box:{id}"),
            PayFrom::Bank(id) => format!("bank:{id}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Terms {
    /// Paid in full from an account; the stock is posted once the money document is approved.
    Cash,
    /// Owed to the supplier: the payable grows by the total when the purchase is posted.
    Credit,
}

impl Terms {
    pub fn code(self) -> &'static str {
        match self {
            Terms::Cash => "cash",
            Terms::Credit => "credit",
        }
    }

    pub fn parse(s: &str) -> Option<Terms> {
        match s.trim() {
            "cash" => Some(Terms::Cash),
            "credit" | "" => Some(Terms::Credit),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PurchaseStatus {
    Draft,
    /// Cash terms: the money document waits for approval; no stock moved yet.
    CashPending,
    Posted,
    /// The money document was rejected; nothing moved.
    Rejected,
    /// Posted, then reversed (stock, payable row or money document).
    Cancelled,
}

impl PurchaseStatus {
    pub const ALL: [PurchaseStatus; 5] =
        [PurchaseStatus::Draft, PurchaseStatus::CashPending, PurchaseStatus::Posted, PurchaseStatus::Rejected, PurchaseStatus::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            PurchaseStatus::Draft => "draft",
            PurchaseStatus::CashPending => "cash_pending",
            PurchaseStatus::Posted => "posted",
            PurchaseStatus::Rejected => "rejected",
            PurchaseStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<PurchaseStatus> {
        PurchaseStatus::ALL.into_iter().find(|k| k.code() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseLine {
    pub product: ProductId,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    /// Unit price paid to the supplier.
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    /// round_money(qty × price): what the line adds to the total and to the stock value.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// Returned so far (Σ of this line's return lines); never above `qty`.
    #[serde(with = "rust_decimal::serde::str")]
    pub returned: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    pub id: PurchaseId,
    /// "ЗК-000001", assigned at posting (or when it waits for cash), gapless per company.
    pub number: String,
    pub supplier: ClientId,
    pub warehouse: WarehouseId,
    pub date: Ts,
    pub terms: Terms,
    /// Cash terms: the account paying the whole total. Credit terms: the account of the part
    /// paid at once, if any.
    pub account: Option<PayFrom>,
    /// Credit terms: paid at once through a supplier payment made when the purchase posts.
    #[serde(with = "rust_decimal::serde::str")]
    pub paid_now: Decimal,
    /// Credit terms: days until payment is due, from the purchase date.
    pub due_days: u32,
    /// "YYYY-MM-DD" in the company's zone, for credit purchases.
    pub due: Option<String>,
    pub lines: Vec<PurchaseLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub status: PurchaseStatus,
    /// The inventory receipt that moves the stock (a draft until the purchase posts).
    pub document: Option<DocumentId>,
    /// Cash terms: the expense money document.
    pub money_doc: Option<MoneyDocId>,
    /// Credit terms: the payment made at once.
    pub payment: Option<SupplierPaymentId>,
    pub returns: Vec<PurchaseReturnId>,
    pub note: String,
    pub created: Ts,
    pub created_by: UserId,
    pub posted: Option<(Ts, UserId)>,
    pub cancelled: Option<(Ts, UserId)>,
}

impl Purchase {
    /// The value of the goods returned so far, at the purchase prices.
    pub fn returned_amount(&self) -> Decimal {
        self.lines.iter().map(|l| crate::money::round_money(l.returned * l.price)).sum()
    }
}

impl Record for Purchase {
    const TYPE: &'static str = "purchase.v1";
}

/// How a return settles with the supplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refund {
    /// The payable shrinks by the returned value.
    Payable,
    /// The supplier brings the money back into an account (an income money document).
    Cash(PayFrom),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// Index of the purchase line.
    pub line: u32,
    pub product: ProductId,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurchaseReturn {
    pub id: PurchaseReturnId,
    pub purchase: PurchaseId,
    pub supplier: ClientId,
    pub lines: Vec<ReturnLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub refund: Refund,
    /// The inventory return to supplier that took the goods out.
    pub document: DocumentId,
    pub money_doc: Option<MoneyDocId>,
    pub at: Ts,
    pub user: UserId,
    pub note: String,
}

impl Record for PurchaseReturn {
    const TYPE: &'static str = "purchase_return.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentStatus {
    /// The money document waits for approval; the payable is not reduced yet.
    Pending,
    /// The payable row is written.
    Applied,
    Rejected,
    /// Applied, then reversed (its purchase was cancelled, or the money document reversed).
    Reversed,
}

impl PaymentStatus {
    pub fn code(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Applied => "applied",
            PaymentStatus::Rejected => "rejected",
            PaymentStatus::Reversed => "reversed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierPayment {
    pub id: SupplierPaymentId,
    pub supplier: ClientId,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub account: PayFrom,
    /// Stated as a prepayment: it may take the payable below zero.
    pub prepayment: bool,
    pub status: PaymentStatus,
    pub money_doc: MoneyDocId,
    /// The purchase this payment was made with (paid at once), if any.
    pub purchase: Option<PurchaseId>,
    pub at: Ts,
    pub user: UserId,
    pub note: String,
}

impl Record for SupplierPayment {
    const TYPE: &'static str = "supplier_payment.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayableKind {
    /// A purchase on credit was posted: the payable grows by its total.
    Purchase,
    /// A supplier payment was applied.
    Payment,
    /// A payment stated as a prepayment (may take the balance below zero).
    Prepayment,
    /// Goods returned against the payable, or a cash refund the supplier did not pay.
    Return,
    /// A credit purchase was cancelled: what was left of it leaves the payable.
    Cancel,
    /// An applied payment was reversed: the payable grows back.
    PaymentReversed,
}

impl PayableKind {
    pub fn code(self) -> &'static str {
        match self {
            PayableKind::Purchase => "purchase",
            PayableKind::Payment => "payment",
            PayableKind::Prepayment => "prepayment",
            PayableKind::Return => "return",
            PayableKind::Cancel => "cancel",
            PayableKind::PaymentReversed => "payment_reversed",
        }
    }
}

/// One row of a supplier's payable ledger. `amount` is signed: positive grows what the company
/// owes the supplier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayableEntry {
    pub kind: PayableKind,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub at: Ts,
    pub user: UserId,
    pub purchase: Option<PurchaseId>,
    pub payment: Option<SupplierPaymentId>,
    pub purchase_return: Option<PurchaseReturnId>,
    pub note: String,
}

impl Record for PayableEntry {
    const TYPE: &'static str = "payable_entry.v1";
}

/// The projection of a supplier's ledger: owed = Σ amounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayableBalance {
    #[serde(with = "rust_decimal::serde::str")]
    pub owed: Decimal,
    /// Ledger rows written so far (the next row's sequence number).
    pub rows: u64,
}

impl Record for PayableBalance {
    const TYPE: &'static str = "payable_balance.v1";
}

/// A replayable operation: the request fingerprint and what it produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PurchaseKey {
    pub fingerprint: [u8; 32],
    pub result: u64,
    pub at: Ts,
}

impl Record for PurchaseKey {
    const TYPE: &'static str = "purchase_key.v1";
}

/// A stock document (receipt or return to supplier) linked to a supplier client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplierLink {
    pub supplier: ClientId,
    pub at: Ts,
    pub user: UserId,
}

impl Record for SupplierLink {
    const TYPE: &'static str = "supplier_link.v1";
}

/// A posted credit purchase in its supplier's date order: what settling the payable reads
/// instead of the purchase itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRow {
    /// The due date as YYYYMMDD in the company's zone.
    pub due: u64,
    /// The total less what was returned.
    #[serde(with = "rust_decimal::serde::str")]
    pub net: Decimal,
}

impl Record for CreditRow {
    const TYPE: &'static str = "credit_row.v1";
}

/// A credit purchase with something left to pay, in the due-date index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueRow {
    pub supplier: ClientId,
    #[serde(with = "rust_decimal::serde::str")]
    pub outstanding: Decimal,
}

impl Record for DueRow {
    const TYPE: &'static str = "due_row.v1";
}

/// "YYYY-MM-DD" as the number YYYYMMDD (0 for anything else), so due dates sort as keys.
pub fn day_number(date: &str) -> u64 {
    let digits: String = date.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() == 8 { digits.parse().unwrap_or(0) } else { 0 }
}
