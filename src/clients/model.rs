//! Stored shapes of the clients domain: clients with legal details, the append-only debt
//! ledger and its balance projection, installment deals with their schedule and payments.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{ClientId, SaleId, ShiftId, UserId};
use crate::storage::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientKind {
    Client,
    Supplier,
    Consignee,
    Contractor,
}

impl ClientKind {
    pub const ALL: [ClientKind; 4] = [ClientKind::Client, ClientKind::Supplier, ClientKind::Consignee, ClientKind::Contractor];

    pub fn code(self) -> &'static str {
        match self {
            ClientKind::Client => "client",
            ClientKind::Supplier => "supplier",
            ClientKind::Consignee => "consignee",
            ClientKind::Contractor => "contractor",
        }
    }

    pub fn parse(s: &str) -> Option<ClientKind> {
        let s = s.trim();
        if s.is_empty() {
            return Some(ClientKind::Client);
        }
        ClientKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// Legal details; every field is optional and, when present, valid for the company's country.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientLegal {
    pub inn: String,
    pub okpo: String,
    pub bank: String,
    pub bik: String,
    pub account: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub id: ClientId,
    pub kind: ClientKind,
    pub name: String,
    /// E.164 for the company's country.
    pub phone: Option<String>,
    /// Lower-cased.
    pub email: Option<String>,
    pub legal: ClientLegal,
    pub notes: String,
    /// Archived clients keep their history but leave the picker; referenced clients are never
    /// deleted.
    pub archived: bool,
    pub created: Ts,
    pub created_by: UserId,
}

impl Record for Client {
    const TYPE: &'static str = "client.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DebtKind {
    /// The debt part of a POS sale: the receivable grows.
    Sale,
    /// A debt written by hand (goods given outside the till, an opening balance).
    Manual,
    /// A repayment: the receivable shrinks.
    Payment,
    /// A return of a debt sale refunded to the debt: the receivable shrinks.
    Reversal,
}

impl DebtKind {
    pub fn code(self) -> &'static str {
        match self {
            DebtKind::Sale => "sale",
            DebtKind::Manual => "manual",
            DebtKind::Payment => "payment",
            DebtKind::Reversal => "reversal",
        }
    }
}

/// One row of a client's debt ledger. `amount` is signed: positive grows what the client owes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtEntry {
    pub kind: DebtKind,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub at: Ts,
    pub user: UserId,
    pub sale: Option<SaleId>,
    /// The shift whose drawer took a cash repayment.
    pub shift: Option<ShiftId>,
    /// Payment method code of a repayment ("cash", "card", …).
    pub method: String,
    pub note: String,
    /// "YYYY-MM-DD", for manual debts.
    pub due: Option<String>,
}

impl Record for DebtEntry {
    const TYPE: &'static str = "debtentry.v1";
}

/// The projection of a client's ledger: balance = Σ amounts, never negative.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtBalance {
    #[serde(with = "rust_decimal::serde::str")]
    pub owed: Decimal,
    /// Ledger rows written so far (the next row's sequence number).
    pub rows: u64,
}

impl Record for DebtBalance {
    const TYPE: &'static str = "debtbalance.v1";
}

/// A replayable operation: the request fingerprint and what it produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyUse {
    pub fingerprint: [u8; 32],
    pub result: String,
    pub at: Ts,
}

impl Record for KeyUse {
    const TYPE: &'static str = "clientkey.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DealKind {
    Amount,
    Sale,
    Debt,
    Prepayment,
}

impl DealKind {
    pub const ALL: [DealKind; 4] = [DealKind::Amount, DealKind::Sale, DealKind::Debt, DealKind::Prepayment];

    pub fn code(self) -> &'static str {
        match self {
            DealKind::Amount => "amount",
            DealKind::Sale => "sale",
            DealKind::Debt => "debt",
            DealKind::Prepayment => "prepayment",
        }
    }

    pub fn parse(s: &str) -> Option<DealKind> {
        DealKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installment {
    /// 1-based, unique per deal.
    pub number: u32,
    /// "YYYY-MM-DD".
    pub due: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// debt − Σ amounts up to and including this one.
    #[serde(with = "rust_decimal::serde::str")]
    pub balance_after: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub paid: Decimal,
    /// Set when `paid` reaches `amount`, cleared by a refund.
    pub paid_on: Option<String>,
}

impl Installment {
    pub fn remaining(&self) -> Decimal {
        self.amount - self.paid
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DealPaymentKind {
    Pay,
    Refund,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealPayment {
    pub kind: DealPaymentKind,
    pub installment: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub at: Ts,
    /// "YYYY-MM-DD" in the company's zone.
    pub date: String,
    pub user: UserId,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deal {
    pub id: u64,
    pub client: ClientId,
    pub kind: DealKind,
    pub title: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub prepayment: Decimal,
    pub months: u32,
    /// "YYYY-MM-DD": the first installment's due date.
    pub first_due: String,
    pub installments: Vec<Installment>,
    pub payments: Vec<DealPayment>,
    pub created: Ts,
    pub created_by: UserId,
}

impl Deal {
    /// amount − prepayment.
    pub fn debt(&self) -> Decimal {
        self.amount - self.prepayment
    }

    pub fn paid(&self) -> Decimal {
        self.installments.iter().map(|i| i.paid).sum()
    }

    pub fn remaining(&self) -> Decimal {
        match self.kind {
            DealKind::Debt => self.debt() - self.paid(),
            _ => Decimal::ZERO,
        }
    }

    /// Terms (amount, prepayment, months, first due date, kind) are frozen once any payment
    /// was recorded, refunded or not: the payment history names installments.
    pub fn frozen(&self) -> bool {
        !self.payments.is_empty()
    }

    /// Unpaid installments due before `today` ("YYYY-MM-DD" compares as text).
    pub fn overdue(&self, today: &str) -> Decimal {
        self.installments.iter().filter(|i| i.paid_on.is_none() && i.due.as_str() < today).map(Installment::remaining).sum()
    }
}

impl Record for Deal {
    const TYPE: &'static str = "clientdeal.v1";
}
