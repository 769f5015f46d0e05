//! Newtype ids. Every id comes from one box-wide counter (`storage::WriteTx::next_id`), so an
//! id names at most one record of one company; the company is still always part of the key.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u64);

        impl $name {
            /// The lowest and highest ids, the bounds of a range scan over "every id".
            pub const MIN: $name = $name(0);
            pub const MAX: $name = $name(u64::MAX);
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    /// A company: the tenant. Every tenant key starts with it.
    CompanyId,
    BranchId,
    UserId,
    RoleId,
    PlanId,
    BackupId,
    ProductId,
    CategoryId,
    BrandId,
    WarehouseId,
    DocumentId,
    CashBoxId,
    ShiftId,
    SaleId,
    ClientId,
    PrinterId,
    /// A product import: the uploaded file's rows, checked, waiting for confirmation or being applied.
    ImportId,
    /// A product image (its sizes share the id).
    ImageId,
    /// A money account: a bank account (cash boxes are accounts under their own `CashBoxId`).
    AccountId,
    /// A money document: income, expense or a transfer between accounts.
    MoneyDocId,
    /// A company's category of money documents (rent, salary, utilities, …).
    MoneyCategoryId,
    /// A consignment lot: goods transferred from a warehouse to a field agent.
    LotId,
    /// Goods an agent hands back, pending the owner's decision.
    AgentReturnId,
    /// An agent's request cart.
    AgentRequestId,
    /// A promo gift rule (spec A5 PromoRule).
    PromoRuleId,
    /// A purchase: goods bought from a supplier, paid in cash or on credit.
    PurchaseId,
    /// A return of goods of one purchase to its supplier.
    PurchaseReturnId,
    /// A payment to a supplier (or a prepayment), through a money document.
    SupplierPaymentId,
    /// A messaging channel (a WhatsApp Business number).
    ChannelId,
    /// A conversation: one channel and one contact's phone.
    ConversationId,
    /// A message (in, out, or an internal note) of a conversation.
    MessageId,
    /// A company's approved message template.
    TemplateId,
    /// A user's in-app notification.
    NotificationId,
    /// A telecom subscriber: a person or an organisation (spec B2 Customer).
    SubscriberId,
    /// A SIM card of the telecom stock.
    SimId,
    /// A telecom tariff with its dated revisions.
    TariffId,
    /// A telecom contract: subscriber, SIM, tariff and the balance ledger.
    ContractId,
    /// A scale attached to the box (serial or TCP), usually bound to a cash box.
    ScaleId,
    /// A person at a client company (CRM contact).
    ContactId,
    /// A CRM sales pipeline.
    PipelineId,
    /// A stage of a CRM pipeline.
    StageId,
    /// A CRM deal (an opportunity on a pipeline; not an installment deal).
    CrmDealId,
    /// A CRM task or activity (call, meeting, message, to-do).
    TaskId,
    /// A CRM order (spec A12): items from the catalogue, reserving stock until completed.
    OrderId,
    /// A telecom support ticket (spec B2 Ticket).
    TicketId,
);

id_type!(
    /// A merge of two duplicate clients (issue 17), kept for its undo.
    MergeId,
    /// A label scale that receives the PLU list (through a local agent or Mertech's TCP protocol).
    LabelScaleId,
);

// CRM reviews (issue 17, crm4).
id_type!(
    /// A client's review (rating and text), of the client or of one of its orders.
    ReviewId,
);

id_type!(
    /// An e-mail queued for sending over SMTP, with its delivery state (issue 16).
    MailId,
    /// A company's notification rule: an event, its conditions and an action (issue 16).
    RuleId,
);

// The CRM calendar (issue 17, calendar).
id_type!(
    /// A bookable resource of a company: a room, a chair, equipment, a vehicle.
    ResourceId,
    /// A calendar event (a single one, or a recurring series and its exceptions).
    CalEventId,
);

// Documents from templates (issue 17, tmpl).
id_type!(
    /// A company's document template (offer, invoice, act, contract).
    DocTemplateId,
    /// A document made from a template, with its stored PDF.
    CrmDocId,
);

// Files attached to a client's card (issue 17, attachments).
id_type!(
    /// A file attached to a client's card, stored in the data file in chunks.
    AttachmentId,
);
