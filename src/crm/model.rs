//! Stored shapes of the CRM: contacts at client companies, pipelines with ordered stages,
//! deals with product lines, tasks and activities, client timeline events, and the per-stage
//! totals the board and the forecast read.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::i18n::Lang;
use crate::ids::{
    ClientId, ContactId, CrmDealId, CrmDocId, DocTemplateId, OrderId, PipelineId, ProductId, ReviewId, SaleId, StageId, TaskId, UserId,
    WarehouseId,
};
use crate::storage::Record;

/// A person at a client company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: ContactId,
    pub client: ClientId,
    pub name: String,
    /// Role or position at the client ("бухгалтер", "director").
    pub position: String,
    /// E.164 for the company's country.
    pub phones: Vec<String>,
    /// Lower-cased.
    pub email: Option<String>,
    pub notes: String,
    pub created: Ts,
    pub created_by: UserId,
}

impl Record for Contact {
    const TYPE: &'static str = "crmcontact.v1";
}

/// Where a stage sits in a deal's life: open stages are worked on; won and lost are terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StageKind {
    Open,
    Won,
    Lost,
}

impl StageKind {
    pub const ALL: [StageKind; 3] = [StageKind::Open, StageKind::Won, StageKind::Lost];

    pub fn code(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<StageKind> {
        let s = s.trim();
        if s.is_empty() {
            return Some(StageKind::Open);
        }
        StageKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stage {
    pub id: StageId,
    pub name: String,
    /// Win probability in percent, 0–100 (won stages 100, lost 0).
    pub probability: u8,
    pub kind: StageKind,
}

/// A pipeline: stages in board order, and the reasons a deal may be lost for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: PipelineId,
    pub name: String,
    pub stages: Vec<Stage>,
    pub lost_reasons: Vec<String>,
    pub created: Ts,
}

impl Record for Pipeline {
    const TYPE: &'static str = "crmpipeline.v1";
}

impl Pipeline {
    pub fn stage(&self, id: StageId) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// The stage new deals start in: the first open one.
    pub fn first_open(&self) -> Option<&Stage> {
        self.stages.iter().find(|s| s.kind == StageKind::Open)
    }
}

/// A product line of a deal, priced when it was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealLine {
    pub product: ProductId,
    /// The product's name when the line was written.
    pub name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
}

impl DealLine {
    pub fn amount(&self) -> Decimal {
        crate::money::round_money(self.qty * self.price)
    }
}

/// An opportunity on a pipeline. `value` is in the company's currency; with product lines it
/// is their sum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deal {
    pub id: CrmDealId,
    pub pipeline: PipelineId,
    pub stage: StageId,
    pub title: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    pub client: Option<ClientId>,
    pub contact: Option<ContactId>,
    pub owner: UserId,
    /// "YYYY-MM-DD".
    pub expected_close: Option<String>,
    pub lines: Vec<DealLine>,
    /// Set when the deal reached a lost stage.
    pub lost_reason: String,
    pub notes: String,
    pub created: Ts,
    pub created_by: UserId,
    /// The last change; the board shows a stage's cards newest change first.
    pub updated: Ts,
    /// When the deal reached a won or lost stage.
    pub closed: Option<Ts>,
}

impl Record for Deal {
    const TYPE: &'static str = "crmdeal.v1";
}

impl Deal {
    /// open, won or lost: a closed deal with a lost reason was lost (lost needs a reason).
    pub fn status(&self) -> &'static str {
        match (self.closed, self.lost_reason.is_empty()) {
            (None, _) => "open",
            (Some(_), true) => "won",
            (Some(_), false) => "lost",
        }
    }
}

/// The board's projection per (pipeline, stage, owner): how many deals and their Σ value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageTotal {
    pub count: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
}

impl Record for StageTotal {
    const TYPE: &'static str = "crmstagetotal.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskKind {
    Call,
    Meeting,
    Message,
    Todo,
}

impl TaskKind {
    pub const ALL: [TaskKind; 4] = [TaskKind::Call, TaskKind::Meeting, TaskKind::Message, TaskKind::Todo];

    pub fn code(self) -> &'static str {
        match self {
            TaskKind::Call => "call",
            TaskKind::Meeting => "meeting",
            TaskKind::Message => "message",
            TaskKind::Todo => "todo",
        }
    }

    pub fn parse(s: &str) -> Option<TaskKind> {
        let s = s.trim();
        if s.is_empty() {
            return Some(TaskKind::Todo);
        }
        TaskKind::ALL.into_iter().find(|k| k.code() == s)
    }
}

/// pending → in_progress → done (pending → done directly too); done is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskStatus {
    Pending,
    InProgress,
    Done,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 3] = [TaskStatus::Pending, TaskStatus::InProgress, TaskStatus::Done];

    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::InProgress => "in_progress",
            TaskStatus::Done => "done",
        }
    }

    pub fn parse(s: &str) -> Option<TaskStatus> {
        TaskStatus::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    /// Whether a task may go from `self` to `to`.
    pub fn may_become(self, to: TaskStatus) -> bool {
        matches!(
            (self, to),
            (TaskStatus::Pending, TaskStatus::InProgress)
                | (TaskStatus::Pending, TaskStatus::Done)
                | (TaskStatus::InProgress, TaskStatus::Done)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub kind: TaskKind,
    pub title: String,
    pub notes: String,
    pub status: TaskStatus,
    pub due: Ts,
    pub assignee: UserId,
    pub client: Option<ClientId>,
    pub deal: Option<CrmDealId>,
    pub created: Ts,
    pub created_by: UserId,
    pub done_at: Option<Ts>,
}

impl Record for Task {
    const TYPE: &'static str = "crmtask.v1";
}

/// What happened to a client, as the CRM records it (sales and debts are read from their own
/// indexes and merged in on read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    ContactAdded,
    ContactEdited,
    DealCreated,
    DealEdited,
    DealMoved,
    DealWon,
    DealLost,
    TaskCreated,
    TaskStarted,
    TaskDone,
    OrderPlaced,
    OrderCompleted,
    OrderCancelled,
    /// A request came through the public form (issue 17, crm4).
    Request,
    /// A review of the client or one of its orders was recorded.
    Review,
    /// A calendar event with the client was planned, done or cancelled (issue 17, calendar);
    /// the text names the event and its local time.
    CalendarPlanned,
    CalendarDone,
    CalendarCancelled,
    /// A document (offer, invoice, act, contract) was made from a template (issue 17, tmpl).
    Document,
    /// A file was attached to the client's card, or removed from it (issue 17, attachments);
    /// the text is the file's name.
    AttachmentAdded,
    AttachmentRemoved,
}

impl EventKind {
    pub fn code(self) -> &'static str {
        match self {
            EventKind::ContactAdded => "contact_added",
            EventKind::ContactEdited => "contact_edited",
            EventKind::DealCreated => "deal_created",
            EventKind::DealEdited => "deal_edited",
            EventKind::DealMoved => "deal_moved",
            EventKind::DealWon => "deal_won",
            EventKind::DealLost => "deal_lost",
            EventKind::TaskCreated => "task_created",
            EventKind::TaskStarted => "task_started",
            EventKind::TaskDone => "task_done",
            EventKind::OrderPlaced => "order_placed",
            EventKind::OrderCompleted => "order_completed",
            EventKind::OrderCancelled => "order_cancelled",
            EventKind::Request => "request",
            EventKind::Review => "review",
            EventKind::CalendarPlanned => "calendar_planned",
            EventKind::CalendarDone => "calendar_done",
            EventKind::CalendarCancelled => "calendar_cancelled",
            EventKind::Document => "document",
            EventKind::AttachmentAdded => "attachment_added",
            EventKind::AttachmentRemoved => "attachment_removed",
        }
    }
}

/// One row of a client's CRM timeline, written in the transaction of what it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub user: UserId,
    pub deal: Option<CrmDealId>,
    pub task: Option<TaskId>,
    pub contact: Option<ContactId>,
    /// A short description for people: the deal's title and stage, the task's title.
    pub text: String,
}

impl Record for Event {
    const TYPE: &'static str = "crmevent.v1";
}

/// new → pending → completed | cancelled (spec A12); new → cancelled too. Completed and
/// cancelled are final. An order holds its stock reservation while it is new or pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OrderStatus {
    New,
    Pending,
    Completed,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] = [OrderStatus::New, OrderStatus::Pending, OrderStatus::Completed, OrderStatus::Cancelled];

    pub fn code(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::Pending => "pending",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    /// The status's place in the by-status index.
    pub fn key(self) -> u8 {
        self as u8
    }

    /// Whether the order still holds its reservation and may be completed or cancelled.
    pub fn is_open(self) -> bool {
        matches!(self, OrderStatus::New | OrderStatus::Pending)
    }
}

/// A customer order: catalogue lines with prices, reserving their goods in one warehouse until
/// it is completed at a till (becoming a sale) or cancelled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    /// "З-000001", per company, gapless.
    pub number: String,
    pub status: OrderStatus,
    pub client: Option<ClientId>,
    /// The won deal it was made from.
    pub deal: Option<CrmDealId>,
    pub warehouse: WarehouseId,
    pub lines: Vec<DealLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub notes: String,
    pub created: Ts,
    pub created_by: UserId,
    pub updated: Ts,
    /// The till's sale once completed.
    pub sale: Option<SaleId>,
    /// The idempotency key the completing checkout used: a retry with it gets the same order.
    pub completion_key: String,
}

impl Record for Order {
    const TYPE: &'static str = "crmorder.v1";
}

/// The company's public request form (`/r/<slug>`): whether it answers at all, which optional
/// fields it asks for, and which sites may embed it. Name and phone are always asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestForm {
    pub enabled: bool,
    pub ask_email: bool,
    pub ask_message: bool,
    /// A line shown above the form ("Оставьте заявку — перезвоним").
    pub intro: String,
    /// Origins (`https://shop.example`) allowed to frame the embed variant; empty: any site.
    pub embed_origins: Vec<String>,
}

impl Default for RequestForm {
    fn default() -> RequestForm {
        RequestForm { enabled: false, ask_email: true, ask_message: true, intro: String::new(), embed_origins: Vec::new() }
    }
}

impl Record for RequestForm {
    const TYPE: &'static str = "crmrequestform.v1";
}

/// A client's review (rating 1–5 and text), of the client as a whole or of one of its orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    pub id: ReviewId,
    pub client: ClientId,
    pub order: Option<OrderId>,
    pub rating: u8,
    pub text: String,
    pub created: Ts,
    pub created_by: UserId,
}

impl Record for Review {
    const TYPE: &'static str = "crmreview.v1";
}

/// The kinds of documents made from templates; each is numbered on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocKind {
    Offer,
    Invoice,
    Act,
    Contract,
}

impl DocKind {
    pub const ALL: [DocKind; 4] = [DocKind::Offer, DocKind::Invoice, DocKind::Act, DocKind::Contract];

    pub fn code(self) -> &'static str {
        match self {
            DocKind::Offer => "offer",
            DocKind::Invoice => "invoice",
            DocKind::Act => "act",
            DocKind::Contract => "contract",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }

    /// The number's prefix: КП-2026-0001.
    pub fn prefix(self) -> &'static str {
        match self {
            DocKind::Offer => "КП",
            DocKind::Invoice => "СЧ",
            DocKind::Act => "АКТ",
            DocKind::Contract => "ДГ",
        }
    }
}

/// A company's document template: a minijinja body producing the document markup
/// (`documents::markup`), rendered against the context `crm::templating` documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocTemplate {
    pub id: DocTemplateId,
    pub kind: DocKind,
    pub name: String,
    /// How amounts, dates and the page line are written.
    pub lang: Lang,
    pub body: String,
    pub created: Ts,
    pub created_by: UserId,
    pub updated: Ts,
}

impl Record for DocTemplate {
    const TYPE: &'static str = "crmdoctemplate.v1";
}

/// A document made from a template: its number and where it came from. The PDF, as issued,
/// is stored beside it (`DocFile`), so a later change of the template or the company's details
/// never changes a document already given to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrmDoc {
    pub id: CrmDocId,
    pub kind: DocKind,
    /// "КП-2026-0001": per company, kind and year, gapless.
    pub number: String,
    /// The template's name when the document was made (a built-in one has no id).
    pub template: String,
    pub client: Option<ClientId>,
    pub deal: Option<CrmDealId>,
    /// The document's title as its markup said.
    pub title: String,
    pub size: u64,
    pub created: Ts,
    pub created_by: UserId,
}

impl Record for CrmDoc {
    const TYPE: &'static str = "crmdoc.v1";
}

/// The bytes of a stored file (a generated PDF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocFile {
    pub bytes: Vec<u8>,
}

impl Record for DocFile {
    const TYPE: &'static str = "crmdocfile.v1";
}
