//! Stored shapes of the telecom desk: subscribers, SIMs with their binding history, tariffs with
//! dated revisions, contracts, the append-only balance ledger with its projection, idempotent
//! payment keys, the event feed and the company's telecom settings.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::validate::DocKind;
use crate::clock::Ts;
use crate::ids::{BranchId, ContractId, SimId, SubscriberId, TariffId, TicketId, UserId};
use crate::storage::Record;

macro_rules! codes {
    ($name:ident { $($variant:ident = $code:literal),* $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|k| k.code() == s.trim())
            }

            /// A small number for index keys.
            pub fn index(self) -> u8 {
                Self::ALL.iter().position(|k| *k == self).unwrap_or(0) as u8
            }
        }
    };
}

codes!(SubscriberKind { Individual = "individual", Organization = "organization" });
codes!(SubscriberStatus { Active = "active", Suspended = "suspended", Blocked = "blocked", Archived = "archived" });
codes!(SimStatus { Free = "free", Active = "active", Suspended = "suspended", Blocked = "blocked", Closed = "closed" });
codes!(ContractStatus { Draft = "draft", Active = "active", Suspended = "suspended", Terminated = "terminated" });
codes!(PayKind { Prepaid = "prepaid", Postpaid = "postpaid" });
codes!(EntryKind { Payment = "payment", Charge = "charge", Refund = "refund", Correction = "correction" });
codes!(Method { Cash = "cash", Card = "card", BankTransfer = "bank_transfer", MobilePayment = "mobile_payment", Terminal = "terminal", System = "system" });
codes!(EventKind { LowBalance = "low_balance", Suspended = "suspended", Resumed = "resumed", PaymentReceived = "payment_received" });

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdDocument {
    pub kind: DocKind,
    pub series: String,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscriber {
    pub id: SubscriberId,
    pub kind: SubscriberKind,
    pub last_name: String,
    pub first_name: String,
    pub patronymic: String,
    /// "YYYY-MM-DD".
    pub birth_date: Option<String>,
    /// Organisations: the name and the taxpayer number.
    pub org_name: String,
    pub org_inn: Option<String>,
    pub document: Option<IdDocument>,
    /// KG: the 14-digit personal number; RU: the person's 12-digit INN.
    pub personal_no: Option<String>,
    /// E.164.
    pub phone: String,
    /// Lower-cased.
    pub email: Option<String>,
    pub address: String,
    pub status: SubscriberStatus,
    pub notes: String,
    pub created: Ts,
    pub created_by: UserId,
}

impl Subscriber {
    /// The organisation's name, or "Last First Patronymic".
    pub fn display_name(&self) -> String {
        match self.kind {
            SubscriberKind::Organization => self.org_name.clone(),
            SubscriberKind::Individual => [&self.last_name, &self.first_name, &self.patronymic]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

impl Record for Subscriber {
    const TYPE: &'static str = "telecom_subscriber.v1";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sim {
    pub id: SimId,
    pub iccid: String,
    pub imsi: String,
    /// E.164.
    pub msisdn: String,
    pub puk: Option<String>,
    pub status: SimStatus,
    /// The branch whose stock holds it.
    pub branch: BranchId,
    /// The contract holding it: set while active, suspended (or blocked while bound).
    pub contract: Option<ContractId>,
    pub created: Ts,
}

impl Record for Sim {
    const TYPE: &'static str = "telecom_sim.v1";
}

/// One period of a SIM in a contract: bound on activation, released on termination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    pub bound: Ts,
    pub released: Option<Ts>,
}

impl Record for Binding {
    const TYPE: &'static str = "telecom_binding.v1";
}

/// The terms of a tariff from `valid_from` on. Allowances of 0 mean unlimited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// "YYYY-MM-DD": in force from this local date until the next revision's.
    pub valid_from: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub monthly_fee: Decimal,
    pub minutes: u32,
    pub sms: u32,
    pub gb: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub minute_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub sms_rate: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub gb_rate: Decimal,
    pub created: Ts,
    pub created_by: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tariff {
    pub id: TariffId,
    pub name: String,
    pub pay_kind: PayKind,
    pub priority: i32,
    /// Archived tariffs take no new contracts; existing ones keep it.
    pub archived: bool,
    /// Ascending by `valid_from`, never empty; a revision is never changed once written.
    pub revisions: Vec<Revision>,
    pub created: Ts,
}

impl Tariff {
    /// The revision in force on `date` ("YYYY-MM-DD"): the last one starting on or before it.
    /// Before the first revision the first one applies (a contract signed on the tariff's
    /// first day reads it).
    pub fn revision_on(&self, date: &str) -> Option<(usize, &Revision)> {
        let mut found = self.revisions.first().map(|r| (0, r));
        for (i, r) in self.revisions.iter().enumerate() {
            if r.valid_from.as_str() <= date {
                found = Some((i, r));
            }
        }
        found
    }
}

impl Record for Tariff {
    const TYPE: &'static str = "telecom_tariff.v1";
}

/// Why a contract is suspended: by a person (stays until someone resumes it) or by its
/// balance going below zero (resumes by itself once a top-up brings it above zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Suspension {
    Manual,
    Balance,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub id: ContractId,
    /// `YYYYMM-XXXXXXXX`, gapless per month per company, never changed.
    pub number: String,
    pub subscriber: SubscriberId,
    pub tariff: TariffId,
    /// The SIM chosen at creation or activation; bound from activation to termination.
    pub sim: Option<SimId>,
    pub status: ContractStatus,
    /// "YYYY-MM-DD" local dates: signed ≤ activated ≤ terminated.
    pub signed: String,
    pub activated: Option<String>,
    pub terminated: Option<String>,
    pub suspension: Option<Suspension>,
    /// The next monthly period to charge: period k (k ≥ 1) is due on activation + k months.
    pub next_period: u32,
    pub notes: String,
    pub created: Ts,
    pub created_by: UserId,
}

impl Contract {
    /// The date period `k` falls due: the activation date plus `k` whole months, counted from
    /// the activation day each time (31 Jan → 28 Feb → 31 Mar), never drifting.
    pub fn due_date(&self, k: u32) -> Option<String> {
        let start: jiff::civil::Date = self.activated.as_deref()?.parse().ok()?;
        start.checked_add(jiff::Span::new().months(i64::from(k))).ok().map(|d| d.to_string())
    }
}

impl Record for Contract {
    const TYPE: &'static str = "telecom_contract.v1";
}

/// One row of a contract's balance ledger. `amount` is signed: a payment or a positive
/// correction adds, a charge or a refund subtracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: EntryKind,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance_after: Decimal,
    pub at: Ts,
    /// "YYYY-MM-DD" local date the entry belongs to (a charge: its period's due date).
    pub date: String,
    /// None for the billing run.
    pub user: Option<UserId>,
    pub method: Method,
    /// Payments: the gateway's or the desk's transaction id (unique per company).
    pub transaction_id: Option<String>,
    /// Charges: the monthly period and the tariff revision that priced it.
    pub period: Option<u32>,
    pub revision: Option<u32>,
    /// Corrections and refunds: why.
    pub reason: String,
}

impl Record for Entry {
    const TYPE: &'static str = "telecom_entry.v1";
}

/// The projection of a contract's ledger: balance = Σ amounts; charged = Σ −charges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub charged: Decimal,
    /// Ledger rows so far (the next row's sequence number).
    pub rows: u64,
}

impl Record for Balance {
    const TYPE: &'static str = "telecom_balance.v1";
}

/// What a transaction id produced: the contract and the ledger row, and the request's
/// fingerprint (a replay with other content is refused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentKey {
    pub contract: ContractId,
    pub seq: u64,
    pub fingerprint: String,
}

impl Record for PaymentKey {
    const TYPE: &'static str = "telecom_paymentkey.v1";
}

/// An event of the in-app feed (and, later, a notification for the messaging module).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub contract: ContractId,
    pub subscriber: SubscriberId,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    pub at: Ts,
}

impl Record for Event {
    const TYPE: &'static str = "telecom_event.v1";
}

/// The company's telecom settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub mcc: String,
    pub mnc: String,
    /// A charge that takes the balance below this sends a low-balance warning.
    #[serde(with = "rust_decimal::serde::str")]
    pub low_balance: Decimal,
}

impl Record for Settings {
    const TYPE: &'static str = "telecom_settings.v1";
}

/// The date of the last billing run per company ("YYYY-MM-DD"), for the scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingRun {
    pub date: String,
    pub at: Ts,
    pub charged: u64,
}

impl Record for BillingRun {
    const TYPE: &'static str = "telecom_billingrun.v1";
}

// ---- tickets ----

codes!(TicketCategory { Technical = "technical", Billing = "billing", Tariff = "tariff", Sim = "sim", Complaint = "complaint", Other = "other" });
codes!(TicketPriority { Low = "low", Medium = "medium", High = "high", Critical = "critical" });
codes!(TicketStatus { New = "new", InProgress = "in_progress", Waiting = "waiting", Resolved = "resolved", Closed = "closed" });
codes!(NoteKind { Comment = "comment", Status = "status", Assigned = "assigned", Priority = "priority" });

impl TicketPriority {
    /// The service level: how long after opening (or reopening) a ticket may stay open.
    pub fn sla_hours(self) -> i64 {
        match self {
            TicketPriority::Low => 72,
            TicketPriority::Medium => 24,
            TicketPriority::High => 8,
            TicketPriority::Critical => 4,
        }
    }
}

impl TicketStatus {
    /// New, in progress and waiting tickets are open: they sit in the queues and can go overdue.
    pub fn is_open(self) -> bool {
        !matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }
}

/// A subscriber's support ticket (spec B2/B3). An in-progress ticket has an assignee; a
/// resolved one has a resolution text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub subscriber: SubscriberId,
    pub contract: Option<ContractId>,
    /// At most 200 characters.
    pub subject: String,
    pub description: String,
    pub category: TicketCategory,
    pub priority: TicketPriority,
    pub status: TicketStatus,
    pub assignee: Option<UserId>,
    /// The SLA due time: opened (or reopened) + the priority's hours.
    pub due: Ts,
    /// When the SLA clock started: creation, or the last reopening.
    pub sla_from: Ts,
    pub resolution: String,
    pub created: Ts,
    pub created_by: UserId,
    pub updated: Ts,
    pub resolved_at: Option<Ts>,
    pub closed_at: Option<Ts>,
    /// Rows in the ticket's note log (the next row's sequence number).
    pub notes: u64,
}

impl Ticket {
    /// Open and past its SLA due time.
    pub fn overdue(&self, now: Ts) -> bool {
        self.status.is_open() && now > self.due
    }
}

impl Record for Ticket {
    const TYPE: &'static str = "telecom_ticket.v1";
}

/// One row of a ticket's log: a comment, or what changed (status, assignee, priority) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketNote {
    pub kind: NoteKind,
    pub text: String,
    pub user: UserId,
    pub at: Ts,
}

impl Record for TicketNote {
    const TYPE: &'static str = "telecom_ticketnote.v1";
}

// ---- payment gateway ----

/// A company's payment gateway: where its callbacks carry the signature, and the shared
/// secret sealed under the box key (`messaging::seal`, field `gateway::SEAL_FIELD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewaySettings {
    /// Lower-case header name.
    pub header: String,
    pub secret: Vec<u8>,
    pub rotated: Ts,
    pub rotated_by: UserId,
}

impl Record for GatewaySettings {
    const TYPE: &'static str = "telecom_gateway.v1";
}
