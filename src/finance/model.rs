//! Money accounts, account ledger rows, money documents, categories and finance settings as
//! stored (spec A7 cash flows, A9 TransactionRecord, A10 MONEY_RECEIPT / MONEY_EXPENSE).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{AccountId, BranchId, CashBoxId, ClientId, MoneyCategoryId, MoneyDocId, UserId};
use crate::storage::Record;

/// An account money sits on: a cash box (keyed by its own id, no record of its own) or a bank
/// account of the company. Ids come from the one box-wide counter, so the bare `u64` of either
/// kind names one account (`key`), as the ledger tables key it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum AccountRef {
    CashBox(CashBoxId),
    Bank(AccountId),
}

impl AccountRef {
    /// The ledger key of the account.
    pub fn key(self) -> u64 {
        match self {
            AccountRef::CashBox(b) => b.0,
            AccountRef::Bank(a) => a.0,
        }
    }

    /// "box:12" or "bank:34": how forms, the API and filters name an account.
    pub fn code(self) -> String {
        match self {
            AccountRef::CashBox(b) => format!("box:{}", b.0),
            AccountRef::Bank(a) => format!("bank:{}", a.0),
        }
    }

    pub fn parse(code: &str) -> Option<AccountRef> {
        let code = code.trim();
        if let Some(id) = code.strip_prefix("box:") {
            return id.parse().ok().map(|id| AccountRef::CashBox(CashBoxId(id)));
        }
        code.strip_prefix("bank:")?.parse().ok().map(|id| AccountRef::Bank(AccountId(id)))
    }
}

/// A company bank account (current account, card account, e-wallet balance).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BankAccount {
    pub id: AccountId,
    pub name: String,
    /// `None` = company-wide.
    pub branch: Option<BranchId>,
    /// Bank name, account number: free text shown on pages.
    pub details: String,
    pub active: bool,
    pub created: Ts,
}

impl Record for BankAccount {
    const TYPE: &'static str = "bank_account.v1";
}

/// What moved money on an account. Rows that no money document wrote (pos's drawer, flows on
/// expense-only boxes, a shift's counted difference) carry their kind code as their category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RowKind {
    Sale,
    Refund,
    CashIn,
    CashOut,
    DebtPayment,
    Income,
    Expense,
    TransferIn,
    TransferOut,
    /// Counted − expected at a shift's close, so the account holds what was counted.
    ShiftDifference,
}

impl RowKind {
    pub const ALL: [RowKind; 10] = [
        RowKind::Sale,
        RowKind::Refund,
        RowKind::CashIn,
        RowKind::CashOut,
        RowKind::DebtPayment,
        RowKind::Income,
        RowKind::Expense,
        RowKind::TransferIn,
        RowKind::TransferOut,
        RowKind::ShiftDifference,
    ];

    pub fn code(self) -> &'static str {
        match self {
            RowKind::Sale => "sale",
            RowKind::Refund => "refund",
            RowKind::CashIn => "cash_in",
            RowKind::CashOut => "cash_out",
            RowKind::DebtPayment => "debt_payment",
            RowKind::Income => "income",
            RowKind::Expense => "expense",
            RowKind::TransferIn => "transfer_in",
            RowKind::TransferOut => "transfer_out",
            RowKind::ShiftDifference => "shift_difference",
        }
    }

    pub fn parse(code: &str) -> Option<RowKind> {
        RowKind::ALL.into_iter().find(|k| k.code() == code.trim())
    }

    /// Whether a row of this kind and signed amount counts as income (else as expense) in the
    /// daily projection. Income-like kinds stay income even when negative (a reversal lowers
    /// income rather than adding an expense); a shift difference goes by its sign.
    pub fn is_income(self, amount: Decimal) -> bool {
        match self {
            RowKind::Sale | RowKind::CashIn | RowKind::DebtPayment | RowKind::Income | RowKind::TransferIn => true,
            RowKind::Refund | RowKind::CashOut | RowKind::Expense | RowKind::TransferOut => false,
            RowKind::ShiftDifference => amount >= Decimal::ZERO,
        }
    }
}

/// One append-only movement on an account (signed: + in, − out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub at: Ts,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub kind: RowKind,
    /// A money category code for document rows, else the kind code (`transfer` for transfers).
    pub category: String,
    /// "sale:ID", "return:ID", "flow:ID", "shift:ID", "money_doc:ID", "debt:…".
    pub reference: String,
    pub counterparty: Option<ClientId>,
    pub user: UserId,
}

impl Record for AccountRow {
    const TYPE: &'static str = "account_row.v1";
}

/// The stored balance projection of an account: Σ its rows, and how many there are (the next
/// row's sequence number).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountBalance {
    pub account: AccountRef,
    #[serde(with = "crate::money::compact")]
    pub balance: Decimal,
    pub rows: u64,
}

impl Record for AccountBalance {
    const TYPE: &'static str = "account_balance.v1";
}

/// Σ of one account's rows dated on one local day (for the balance at a date).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDay {
    #[serde(with = "crate::money::compact")]
    pub net: Decimal,
}

impl Record for AccountDay {
    const TYPE: &'static str = "account_day.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoneyDocKind {
    Income,
    Expense,
    Transfer,
}

impl MoneyDocKind {
    pub fn code(self) -> &'static str {
        match self {
            MoneyDocKind::Income => "income",
            MoneyDocKind::Expense => "expense",
            MoneyDocKind::Transfer => "transfer",
        }
    }

    pub fn parse(code: &str) -> Option<MoneyDocKind> {
        match code.trim() {
            "income" => Some(MoneyDocKind::Income),
            "expense" => Some(MoneyDocKind::Expense),
            "transfer" => Some(MoneyDocKind::Transfer),
            _ => None,
        }
    }

    /// Number prefix: ПКО (приходный ордер), РКО (расходный ордер), ПЕР (перемещение).
    pub fn prefix(self) -> &'static str {
        match self {
            MoneyDocKind::Income => "ПКО",
            MoneyDocKind::Expense => "РКО",
            MoneyDocKind::Transfer => "ПЕР",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MoneyDocStatus {
    Pending,
    Approved,
    Rejected,
    /// Approved once, then cancelled by a reversal document (`reversed_by`).
    Reversed,
}

impl MoneyDocStatus {
    pub fn code(self) -> &'static str {
        match self {
            MoneyDocStatus::Pending => "pending",
            MoneyDocStatus::Approved => "approved",
            MoneyDocStatus::Rejected => "rejected",
            MoneyDocStatus::Reversed => "reversed",
        }
    }

    pub fn parse(code: &str) -> Option<MoneyDocStatus> {
        match code.trim() {
            "pending" => Some(MoneyDocStatus::Pending),
            "approved" => Some(MoneyDocStatus::Approved),
            "rejected" => Some(MoneyDocStatus::Rejected),
            "reversed" => Some(MoneyDocStatus::Reversed),
            _ => None,
        }
    }
}

/// A money document: income to an account, expense from it, or a transfer between two.
/// Only an approved document has ledger rows; a reversal is itself an approved document whose
/// rows are the original's negated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyDoc {
    pub id: MoneyDocId,
    /// Gapless per company and kind: "РКО-000012".
    pub number: String,
    pub kind: MoneyDocKind,
    pub status: MoneyDocStatus,
    pub account: AccountRef,
    pub to_account: Option<AccountRef>,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// A category code (`rent`, `supplier`, `c123`…); `transfer` for transfers.
    pub category: String,
    pub counterparty: Option<ClientId>,
    /// What another domain recorded this for ("purchase:123"); empty if none.
    pub reference: String,
    pub memo: String,
    /// The business date the money moved (rows are dated by it).
    pub date: Ts,
    pub created: Ts,
    pub created_by: UserId,
    pub decided: Option<(Ts, UserId)>,
    /// Set on a reversal document: the document it cancels.
    pub reverses: Option<MoneyDocId>,
    /// Set on a reversed document: its reversal.
    pub reversed_by: Option<MoneyDocId>,
}

impl Record for MoneyDoc {
    const TYPE: &'static str = "money_doc.v1";
}

/// A company-defined money category. Built-in ones (`BUILTIN`) exist without a record; a stored
/// record with a built-in code renames or archives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyCategory {
    pub id: MoneyCategoryId,
    pub code: String,
    pub name: String,
    pub builtin: bool,
    pub archived: bool,
}

impl Record for MoneyCategory {
    const TYPE: &'static str = "money_category.v1";
}

/// Built-in categories: code, Russian name, English name. `supplier` (payments for purchases)
/// always exists and cannot be archived.
pub const BUILTIN: &[(&str, &str, &str)] = &[
    ("rent", "Аренда", "Rent"),
    ("salary", "Зарплата", "Salary"),
    ("utilities", "Коммунальные услуги", "Utilities"),
    ("supplier", "Оплата поставщикам", "Supplier payments"),
    ("taxes", "Налоги", "Taxes"),
    ("other", "Прочее", "Other"),
];

/// Company finance settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinanceSettings {
    /// Every money document waits for a decision, even one created by a user who may approve.
    /// Off (the default): only documents of users without the approve right wait.
    pub require_approval: bool,
}

impl Record for FinanceSettings {
    const TYPE: &'static str = "finance_settings.v1";
}

/// A creation request seen before under an idempotency key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MoneyKey {
    pub fingerprint: [u8; 32],
    pub doc: MoneyDocId,
    pub at: Ts,
}

impl Record for MoneyKey {
    const TYPE: &'static str = "money_key.v1";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_codes_round_trip() {
        for a in [AccountRef::CashBox(CashBoxId(7)), AccountRef::Bank(AccountId(9))] {
            assert_eq!(AccountRef::parse(&a.code()), Some(a));
        }
        assert_eq!(AccountRef::parse("box:x"), None);
        assert_eq!(AccountRef::parse("7"), None);
        for k in RowKind::ALL {
            assert_eq!(RowKind::parse(k.code()), Some(k));
        }
    }
}

/// The bank account that takes a company's card, transfer and wallet payments at the tills
/// (and gives back their refunds). None stored: non-cash takings are not put on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NonCashAccount {
    pub account: crate::ids::AccountId,
}

impl Record for NonCashAccount {
    const TYPE: &'static str = "noncash_account.v1";
}
