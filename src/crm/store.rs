//! CRM tables, the one write path of each record (`put_contact`, `put_deal`, `put_task`, which
//! keep their indexes and the board totals by diff), the timeline append, and `verify`.
//!
//! The board reads `BOARD` (company, pipeline, stage, updated ms, deal): a stage's first
//! screen is one reverse range, newest change first; a salesperson's own board reads
//! `OWNER_BOARD`, the same key behind the owner. `STAGE_TOTALS` per (pipeline, stage, owner)
//! holds count and Σ value, so column headers and the forecast never walk the deals.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{
    Contact, CrmDoc, Deal, DocFile, DocTemplate, Event, Order, Pipeline, RequestForm, Review, StageTotal, Task, TaskStatus,
};
use crate::ids::{
    ClientId, CompanyId, ContactId, CrmDealId, CrmDocId, DocTemplateId, OrderId, PipelineId, ReviewId, StageId, TaskId, UserId,
};
use crate::storage::{Read, ReadTx, StorageError, Table, TableInfo, WriteTx};

pub const CONTACTS: Table<(CompanyId, ContactId), Contact> = Table::new("company_contactid_crmcontact");
pub const CLIENT_CONTACTS: Table<(CompanyId, ClientId, ContactId), u64> = Table::new("company_client_contactid_unit");
pub const PIPELINES: Table<(CompanyId, PipelineId), Pipeline> = Table::new("company_pipelineid_crmpipeline");
pub const DEALS: Table<(CompanyId, CrmDealId), Deal> = Table::new("company_crmdealid_crmdeal");
pub const BOARD: Table<(CompanyId, PipelineId, StageId, u64, CrmDealId), u64> =
    Table::new("company_pipeline_stage_updated_crmdealid_owner");
pub const OWNER_BOARD: Table<(CompanyId, UserId, PipelineId, StageId, u64, CrmDealId), u64> =
    Table::new("company_owner_pipeline_stage_updated_crmdealid_unit");
pub const STAGE_TOTALS: Table<(CompanyId, PipelineId, StageId, UserId), StageTotal> =
    Table::new("company_pipeline_stage_owner_crmstagetotal");
pub const CLIENT_DEALS: Table<(CompanyId, ClientId, CrmDealId), u64> = Table::new("company_client_crmdealid_unit");
pub const TASKS: Table<(CompanyId, TaskId), Task> = Table::new("company_taskid_crmtask");
pub const OPEN_TASKS: Table<(CompanyId, u64, TaskId), u64> = Table::new("company_due_taskid_assignee");
pub const MY_TASKS: Table<(CompanyId, UserId, u64, TaskId), u64> = Table::new("company_assignee_due_taskid_unit");
pub const DEAL_TASKS: Table<(CompanyId, CrmDealId, TaskId), u64> = Table::new("company_crmdeal_taskid_unit");
pub const TIMELINE: Table<(CompanyId, ClientId, u64, u64), Event> = Table::new("company_client_at_seq_crmevent");
pub const ORDERS: Table<(CompanyId, OrderId), Order> = Table::new("company_orderid_crmorder");
pub const ORDERS_BY_STATUS: Table<(CompanyId, u8, OrderId), u64> = Table::new("company_status_orderid_unit");
pub const CLIENT_ORDERS: Table<(CompanyId, ClientId, OrderId), u64> = Table::new("company_client_orderid_unit");
pub const DEAL_ORDERS: Table<(CompanyId, CrmDealId, OrderId), u64> = Table::new("company_crmdeal_orderid_unit");
// The public request form and reviews (issue 17, crm4).
pub const REQUEST_FORMS: Table<CompanyId, RequestForm> = Table::new("company_crmrequestform");
pub const REVIEWS: Table<(CompanyId, ReviewId), Review> = Table::new("company_reviewid_crmreview");
pub const CLIENT_REVIEWS: Table<(CompanyId, ClientId, ReviewId), u64> = Table::new("company_client_reviewid_unit");
pub const ORDER_REVIEWS: Table<(CompanyId, OrderId, ReviewId), u64> = Table::new("company_order_reviewid_unit");
// Documents from templates (issue 17, tmpl).
pub const DOC_TEMPLATES: Table<(CompanyId, DocTemplateId), DocTemplate> = Table::new("company_doctemplateid_crmdoctemplate");
pub const DOCS: Table<(CompanyId, CrmDocId), CrmDoc> = Table::new("company_crmdocid_crmdoc");
pub const DOC_FILES: Table<(CompanyId, CrmDocId), DocFile> = Table::new("company_crmdocid_crmdocfile");
pub const CLIENT_DOCS: Table<(CompanyId, ClientId, CrmDocId), u64> = Table::new("company_client_crmdocid_unit");
pub const DEAL_DOCS: Table<(CompanyId, CrmDealId, CrmDocId), u64> = Table::new("company_crmdeal_crmdocid_unit");
// Documents made from an order (issue 17, order documents): `CrmDoc` keeps its stored shape,
// so the order a document came from is a table of its own.
pub const DOC_ORDERS: Table<(CompanyId, CrmDocId), u64> = Table::new("company_crmdocid_orderid");
pub const ORDER_DOCS: Table<(CompanyId, OrderId, CrmDocId), u64> = Table::new("company_order_crmdocid_unit");

pub fn tables() -> Vec<TableInfo> {
    vec![
        CONTACTS.info("(CompanyId, ContactId)", "people at client companies: name, position, E.164 phones, e-mail"),
        CLIENT_CONTACTS.info("(CompanyId, ClientId, ContactId)", "a client's contacts (index kept by put_contact)"),
        PIPELINES.info("(CompanyId, PipelineId)", "CRM pipelines with their ordered stages and lost reasons"),
        DEALS.info("(CompanyId, CrmDealId)", "CRM deals: value, client, contact, owner, stage, product lines"),
        BOARD.info(
            "(CompanyId, PipelineId, StageId, updated ms, CrmDealId) → owner",
            "the kanban board: a stage's deals, newest change last",
        ),
        OWNER_BOARD.info("(CompanyId, owner UserId, PipelineId, StageId, updated ms, CrmDealId)", "a salesperson's own board"),
        STAGE_TOTALS.info("(CompanyId, PipelineId, StageId, owner UserId)", "count and Σ value of deals per stage and owner (= Σ deals)"),
        CLIENT_DEALS.info("(CompanyId, ClientId, CrmDealId)", "a client's CRM deals"),
        TASKS.info("(CompanyId, TaskId)", "CRM tasks and activities: call, meeting, message, to-do"),
        OPEN_TASKS.info("(CompanyId, due ms, TaskId) → assignee", "pending and in-progress tasks by due time"),
        MY_TASKS.info("(CompanyId, assignee UserId, due ms, TaskId)", "a user's pending and in-progress tasks by due time"),
        DEAL_TASKS.info("(CompanyId, CrmDealId, TaskId)", "a deal's tasks"),
        TIMELINE.info("(CompanyId, ClientId, at ms, seq)", "a client's CRM events (append-only), merged on read with sales and debts"),
        ORDERS
            .info("(CompanyId, OrderId)", "CRM orders: lines, warehouse, status new|pending|completed|cancelled, the sale once completed"),
        ORDERS_BY_STATUS.info("(CompanyId, status, OrderId)", "orders by status (index kept by put_order)"),
        CLIENT_ORDERS.info("(CompanyId, ClientId, OrderId)", "a client's orders (index kept by put_order)"),
        DEAL_ORDERS.info("(CompanyId, CrmDealId, OrderId)", "the orders made from a deal (index kept by put_order)"),
        REQUEST_FORMS.info("CompanyId", "the public request form's settings: on/off, asked fields, sites allowed to embed it"),
        REVIEWS.info("(CompanyId, ReviewId)", "client reviews: rating 1–5 and text, of the client or of one of its orders"),
        CLIENT_REVIEWS.info("(CompanyId, ClientId, ReviewId)", "a client's reviews (index kept by put_review)"),
        ORDER_REVIEWS.info("(CompanyId, OrderId, ReviewId)", "an order's reviews (index kept by put_review)"),
        DOC_TEMPLATES
            .info("(CompanyId, DocTemplateId)", "document templates: kind offer|invoice|act|contract, name, language, minijinja body"),
        DOCS.info("(CompanyId, CrmDocId)", "documents made from templates: kind, number (per kind and year, gapless), client, deal"),
        DOC_FILES.info("(CompanyId, CrmDocId)", "the PDF of a document made from a template, as issued"),
        CLIENT_DOCS.info("(CompanyId, ClientId, CrmDocId)", "a client's documents (index kept by put_doc)"),
        DEAL_DOCS.info("(CompanyId, CrmDealId, CrmDocId)", "a deal's documents (index kept by put_doc)"),
        DOC_ORDERS.info("(CompanyId, CrmDocId) → OrderId", "the order a document was made from (kept by put_doc)"),
        ORDER_DOCS.info("(CompanyId, OrderId, CrmDocId)", "an order's documents (index kept by put_doc)"),
    ]
}

fn ms(t: crate::clock::Ts) -> u64 {
    u64::try_from(t.0).unwrap_or(0)
}

/// The one write path of a contact: the record and its client index.
pub fn put_contact(tx: &mut WriteTx, c: CompanyId, old: Option<&Contact>, new: &Contact) -> Result<(), StorageError> {
    if let Some(old) = old
        && old.client != new.client
    {
        tx.remove(CLIENT_CONTACTS, (c, old.client, old.id))?;
    }
    tx.insert(CLIENT_CONTACTS, (c, new.client, new.id), &0)?;
    tx.insert(CONTACTS, (c, new.id), new)
}

pub fn delete_contact(tx: &mut WriteTx, c: CompanyId, old: &Contact) -> Result<(), StorageError> {
    tx.remove(CLIENT_CONTACTS, (c, old.client, old.id))?;
    tx.remove(CONTACTS, (c, old.id))?;
    Ok(())
}

fn add_total(tx: &mut WriteTx, c: CompanyId, d: &Deal, sign: i64) -> Result<(), StorageError> {
    let key = (c, d.pipeline, d.stage, d.owner);
    let mut t = tx.get(STAGE_TOTALS, key)?.unwrap_or_default();
    if sign > 0 {
        t.count += 1;
        t.value += d.value;
    } else {
        t.count = t.count.saturating_sub(1);
        t.value -= d.value;
    }
    if t.count == 0 && t.value.is_zero() {
        tx.remove(STAGE_TOTALS, key)?;
        Ok(())
    } else {
        tx.insert(STAGE_TOTALS, key, &t)
    }
}

/// The one write path of a deal: the record, the board and owner-board keys, the client
/// index and the stage totals, each moved by diff.
pub fn put_deal(tx: &mut WriteTx, c: CompanyId, old: Option<&Deal>, new: &Deal) -> Result<(), StorageError> {
    if let Some(o) = old {
        tx.remove(BOARD, (c, o.pipeline, o.stage, ms(o.updated), o.id))?;
        tx.remove(OWNER_BOARD, (c, o.owner, o.pipeline, o.stage, ms(o.updated), o.id))?;
        if o.client != new.client
            && let Some(client) = o.client
        {
            tx.remove(CLIENT_DEALS, (c, client, o.id))?;
        }
        if (o.pipeline, o.stage, o.owner, o.value) != (new.pipeline, new.stage, new.owner, new.value) {
            add_total(tx, c, o, -1)?;
            add_total(tx, c, new, 1)?;
        }
    } else {
        add_total(tx, c, new, 1)?;
    }
    tx.insert(BOARD, (c, new.pipeline, new.stage, ms(new.updated), new.id), &new.owner.0)?;
    tx.insert(OWNER_BOARD, (c, new.owner, new.pipeline, new.stage, ms(new.updated), new.id), &0)?;
    if let Some(client) = new.client {
        tx.insert(CLIENT_DEALS, (c, client, new.id), &0)?;
    }
    tx.insert(DEALS, (c, new.id), new)
}

fn open(t: &Task) -> bool {
    t.status != TaskStatus::Done
}

/// The one write path of a task: the record, the open-task indexes (only while it is not
/// done) and the deal index.
pub fn put_task(tx: &mut WriteTx, c: CompanyId, old: Option<&Task>, new: &Task) -> Result<(), StorageError> {
    if let Some(o) = old {
        if open(o) {
            tx.remove(OPEN_TASKS, (c, ms(o.due), o.id))?;
            tx.remove(MY_TASKS, (c, o.assignee, ms(o.due), o.id))?;
        }
        if o.deal != new.deal
            && let Some(deal) = o.deal
        {
            tx.remove(DEAL_TASKS, (c, deal, o.id))?;
        }
    }
    if open(new) {
        tx.insert(OPEN_TASKS, (c, ms(new.due), new.id), &new.assignee.0)?;
        tx.insert(MY_TASKS, (c, new.assignee, ms(new.due), new.id), &0)?;
    }
    if let Some(deal) = new.deal {
        tx.insert(DEAL_TASKS, (c, deal, new.id), &0)?;
    }
    tx.insert(TASKS, (c, new.id), new)
}

/// The one write path of an order: the record and its status, client and deal indexes.
pub fn put_order(tx: &mut WriteTx, c: CompanyId, old: Option<&Order>, new: &Order) -> Result<(), StorageError> {
    if let Some(o) = old {
        tx.remove(ORDERS_BY_STATUS, (c, o.status.key(), o.id))?;
        if let Some(client) = o.client {
            tx.remove(CLIENT_ORDERS, (c, client, o.id))?;
        }
        if let Some(deal) = o.deal {
            tx.remove(DEAL_ORDERS, (c, deal, o.id))?;
        }
    }
    tx.insert(ORDERS_BY_STATUS, (c, new.status.key(), new.id), &0)?;
    if let Some(client) = new.client {
        tx.insert(CLIENT_ORDERS, (c, client, new.id), &0)?;
    }
    if let Some(deal) = new.deal {
        tx.insert(DEAL_ORDERS, (c, deal, new.id), &0)?;
    }
    tx.insert(ORDERS, (c, new.id), new)
}

/// The one write path of a review: the record and its client and order indexes, moved by
/// diff. A review is never edited; the one change it sees is a merge of its client.
pub fn put_review(tx: &mut WriteTx, c: CompanyId, old: Option<&Review>, new: &Review) -> Result<(), StorageError> {
    if let Some(o) = old {
        if o.client != new.client {
            tx.remove(CLIENT_REVIEWS, (c, o.client, o.id))?;
        }
        if let Some(order) = o.order
            && o.order != new.order
        {
            tx.remove(ORDER_REVIEWS, (c, order, o.id))?;
        }
    }
    tx.insert(CLIENT_REVIEWS, (c, new.client, new.id), &0)?;
    if let Some(order) = new.order {
        tx.insert(ORDER_REVIEWS, (c, order, new.id), &0)?;
    }
    tx.insert(REVIEWS, (c, new.id), new)
}

/// The one write path of a document: the record, its client, deal and order indexes (client
/// and deal moved by diff) and, when the document is made, its PDF and its order link. A
/// document is never edited; the one change it sees is a merge of its client, which leaves the
/// PDF as issued.
pub fn put_doc(
    tx: &mut WriteTx,
    c: CompanyId,
    old: Option<&CrmDoc>,
    new: &CrmDoc,
    file: Option<&DocFile>,
    order: Option<OrderId>,
) -> Result<(), StorageError> {
    if let Some(order) = order {
        tx.insert(DOC_ORDERS, (c, new.id), &order.0)?;
        tx.insert(ORDER_DOCS, (c, order, new.id), &0)?;
    }
    if let Some(o) = old {
        if let Some(client) = o.client
            && o.client != new.client
        {
            tx.remove(CLIENT_DOCS, (c, client, o.id))?;
        }
        if let Some(deal) = o.deal
            && o.deal != new.deal
        {
            tx.remove(DEAL_DOCS, (c, deal, o.id))?;
        }
    }
    if let Some(client) = new.client {
        tx.insert(CLIENT_DOCS, (c, client, new.id), &0)?;
    }
    if let Some(deal) = new.deal {
        tx.insert(DEAL_DOCS, (c, deal, new.id), &0)?;
    }
    if let Some(file) = file {
        tx.insert(DOC_FILES, (c, new.id), file)?;
    }
    tx.insert(DOCS, (c, new.id), new)
}

/// Appends an event to a client's timeline (append-only).
pub fn add_event(tx: &mut WriteTx, c: CompanyId, client: ClientId, at: crate::clock::Ts, e: &Event) -> Result<(), StorageError> {
    let seq = tx.next_id()?;
    tx.insert(TIMELINE, (c, client, ms(at), seq), e)
}

/// Recomputes every CRM index and projection from the records and lists each difference.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (c0, cmax) = (CompanyId::MIN, CompanyId::MAX);

    let mut want = BTreeSet::new();
    tx.range(CONTACTS, (c0, ContactId::MIN), (cmax, ContactId::MAX), false, usize::MAX, |(c, id), k| {
        want.insert((c, k.client, id));
        Ok(true)
    })?;
    let mut have = BTreeSet::new();
    tx.range(CLIENT_CONTACTS, (c0, ClientId::MIN, ContactId::MIN), (cmax, ClientId::MAX, ContactId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in want.symmetric_difference(&have) {
        problems.push(format!("crm contact index disagrees with contacts at company {} contact {}", k.0, k.2));
    }

    let mut pipelines = BTreeMap::new();
    tx.range(PIPELINES, (c0, PipelineId::MIN), (cmax, PipelineId::MAX), false, usize::MAX, |(c, id), p| {
        pipelines.insert((c, id), p);
        Ok(true)
    })?;
    let mut board = BTreeSet::new();
    let mut owners = BTreeSet::new();
    let mut clients = BTreeSet::new();
    let mut totals: BTreeMap<(CompanyId, PipelineId, StageId, UserId), StageTotal> = BTreeMap::new();
    tx.range(DEALS, (c0, CrmDealId::MIN), (cmax, CrmDealId::MAX), false, usize::MAX, |(c, id), d| {
        match pipelines.get(&(c, d.pipeline)) {
            Some(p) if p.stage(d.stage).is_some() => {}
            _ => problems.push(format!("crm deal {id} (company {c}): stage {} is not on pipeline {}", d.stage, d.pipeline)),
        }
        board.insert((c, d.pipeline, d.stage, ms(d.updated), id, d.owner.0));
        owners.insert((c, d.owner, d.pipeline, d.stage, ms(d.updated), id));
        if let Some(client) = d.client {
            clients.insert((c, client, id));
        }
        let t = totals.entry((c, d.pipeline, d.stage, d.owner)).or_default();
        t.count += 1;
        t.value += d.value;
        Ok(true)
    })?;
    let mut have_board = BTreeSet::new();
    tx.range(
        BOARD,
        (c0, PipelineId::MIN, StageId::MIN, 0, CrmDealId::MIN),
        (cmax, PipelineId::MAX, StageId::MAX, u64::MAX, CrmDealId::MAX),
        false,
        usize::MAX,
        |(c, p, s, u, id), owner| {
            have_board.insert((c, p, s, u, id, owner));
            Ok(true)
        },
    )?;
    for k in board.symmetric_difference(&have_board) {
        problems.push(format!("crm board index disagrees with deals at company {} deal {}", k.0, k.4));
    }
    let mut have_owners = BTreeSet::new();
    tx.range(
        OWNER_BOARD,
        (c0, UserId::MIN, PipelineId::MIN, StageId::MIN, 0, CrmDealId::MIN),
        (cmax, UserId::MAX, PipelineId::MAX, StageId::MAX, u64::MAX, CrmDealId::MAX),
        false,
        usize::MAX,
        |k, _| {
            have_owners.insert(k);
            Ok(true)
        },
    )?;
    for k in owners.symmetric_difference(&have_owners) {
        problems.push(format!("crm owner board disagrees with deals at company {} deal {}", k.0, k.5));
    }
    let mut have_clients = BTreeSet::new();
    tx.range(CLIENT_DEALS, (c0, ClientId::MIN, CrmDealId::MIN), (cmax, ClientId::MAX, CrmDealId::MAX), false, usize::MAX, |k, _| {
        have_clients.insert(k);
        Ok(true)
    })?;
    for k in clients.symmetric_difference(&have_clients) {
        problems.push(format!("crm client deal index disagrees with deals at company {} deal {}", k.0, k.2));
    }
    let mut have_totals = BTreeMap::new();
    tx.range(
        STAGE_TOTALS,
        (c0, PipelineId::MIN, StageId::MIN, UserId::MIN),
        (cmax, PipelineId::MAX, StageId::MAX, UserId::MAX),
        false,
        usize::MAX,
        |k, t| {
            have_totals.insert(k, t);
            Ok(true)
        },
    )?;
    let keys: BTreeSet<_> = totals.keys().chain(have_totals.keys()).copied().collect();
    for k in keys {
        let (w, h) = (totals.get(&k).cloned().unwrap_or_default(), have_totals.get(&k).cloned().unwrap_or_default());
        if w != h {
            problems.push(format!(
                "crm stage totals of company {} pipeline {} stage {} owner {}: deals add up to {} / {}, the projection says {} / {}",
                k.0, k.1, k.2, k.3, w.count, w.value, h.count, h.value
            ));
        }
    }

    let mut open_want = BTreeSet::new();
    let mut my_want = BTreeSet::new();
    let mut deal_want = BTreeSet::new();
    tx.range(TASKS, (c0, TaskId::MIN), (cmax, TaskId::MAX), false, usize::MAX, |(c, id), t| {
        if open(&t) {
            open_want.insert((c, ms(t.due), id, t.assignee.0));
            my_want.insert((c, t.assignee, ms(t.due), id));
        }
        if let Some(deal) = t.deal {
            deal_want.insert((c, deal, id));
            if tx.get(DEALS, (c, deal))?.is_none() {
                problems.push(format!("crm task {id} (company {c}): deal {deal} does not exist"));
            }
        }
        Ok(true)
    })?;
    let mut open_have = BTreeSet::new();
    tx.range(OPEN_TASKS, (c0, 0, TaskId::MIN), (cmax, u64::MAX, TaskId::MAX), false, usize::MAX, |(c, due, id), a| {
        open_have.insert((c, due, id, a));
        Ok(true)
    })?;
    for k in open_want.symmetric_difference(&open_have) {
        problems.push(format!("crm open-task index disagrees with tasks at company {} task {}", k.0, k.2));
    }
    let mut my_have = BTreeSet::new();
    tx.range(MY_TASKS, (c0, UserId::MIN, 0, TaskId::MIN), (cmax, UserId::MAX, u64::MAX, TaskId::MAX), false, usize::MAX, |k, _| {
        my_have.insert(k);
        Ok(true)
    })?;
    for k in my_want.symmetric_difference(&my_have) {
        problems.push(format!("crm my-task index disagrees with tasks at company {} task {}", k.0, k.3));
    }
    let mut deal_have = BTreeSet::new();
    tx.range(DEAL_TASKS, (c0, CrmDealId::MIN, TaskId::MIN), (cmax, CrmDealId::MAX, TaskId::MAX), false, usize::MAX, |k, _| {
        deal_have.insert(k);
        Ok(true)
    })?;
    for k in deal_want.symmetric_difference(&deal_have) {
        problems.push(format!("crm deal-task index disagrees with tasks at company {} task {}", k.0, k.2));
    }

    problems.extend(verify_orders(tx)?);
    problems.extend(verify_reviews(tx)?);
    problems.extend(super::calendar::store::verify(tx)?);
    problems.extend(verify_docs(tx)?);
    problems.extend(super::attachments::verify(tx)?);

    // Every timeline row names a client of its company.
    let mut last: Option<(CompanyId, ClientId)> = None;
    tx.range(
        TIMELINE,
        (c0, ClientId::MIN, 0, 0),
        (cmax, ClientId::MAX, u64::MAX, u64::MAX),
        false,
        usize::MAX,
        |(c, client, _, seq), _| {
            if last != Some((c, client)) {
                last = Some((c, client));
                if tx.get(crate::clients::store::CLIENTS, (c.0, client.0))?.is_none() {
                    problems.push(format!("crm timeline row {seq} (company {c}): client {client} does not exist"));
                }
            }
            Ok(true)
        },
    )?;
    Ok(problems)
}

/// Σ of the stage totals of one stage (every owner, or one).
pub fn stage_total(tx: &impl Read, c: CompanyId, p: PipelineId, s: StageId, owner: Option<UserId>) -> Result<StageTotal, StorageError> {
    let mut out = StageTotal::default();
    match owner {
        Some(u) => {
            if let Some(t) = tx.get(STAGE_TOTALS, (c, p, s, u))? {
                out = t;
            }
        }
        None => tx.range(STAGE_TOTALS, (c, p, s, UserId::MIN), (c, p, s, UserId::MAX), false, usize::MAX, |_, t| {
            out.count += t.count;
            out.value += t.value;
            Ok(true)
        })?,
    }
    Ok(out)
}

/// Every (owner, total) row of one stage.
pub fn stage_owner_totals(tx: &impl Read, c: CompanyId, p: PipelineId, s: StageId) -> Result<Vec<(UserId, StageTotal)>, StorageError> {
    let mut out = Vec::new();
    tx.range(STAGE_TOTALS, (c, p, s, UserId::MIN), (c, p, s, UserId::MAX), false, usize::MAX, |(_, _, _, u), t| {
        out.push((u, t));
        Ok(true)
    })?;
    Ok(out)
}

/// The order indexes hold exactly one key per order, and stock reservations are exactly the
/// open orders' lines (goods, bundles as components) in their warehouses: a completed or
/// cancelled order holds none, and no reservation names anything but an open order.
fn verify_orders(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    use crate::ids::{ProductId, WarehouseId};
    use crate::inventory::reserve::{self, RESERVATIONS};
    use rust_decimal::Decimal;
    let mut problems = Vec::new();
    let (c0, cmax) = (CompanyId::MIN, CompanyId::MAX);
    let (mut by_status, mut by_client, mut by_deal) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut want: BTreeMap<(CompanyId, u64, WarehouseId, ProductId), Decimal> = BTreeMap::new();
    tx.range(ORDERS, (c0, OrderId::MIN), (cmax, OrderId::MAX), false, usize::MAX, |(c, id), o| {
        by_status.insert((c, o.status.key(), id));
        if let Some(cl) = o.client {
            by_client.insert((c, cl, id));
        }
        if let Some(d) = o.deal {
            by_deal.insert((c, d, id));
        }
        if o.status.is_open() {
            let lines: Vec<_> = o.lines.iter().map(|l| (l.product, l.qty)).collect();
            for (p, q) in reserve::stocked(tx, c, &lines)? {
                want.insert((c, id.0, o.warehouse, p), q);
            }
        }
        Ok(true)
    })?;
    let mut have = BTreeSet::new();
    tx.range(ORDERS_BY_STATUS, (c0, 0, OrderId::MIN), (cmax, u8::MAX, OrderId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in by_status.symmetric_difference(&have) {
        problems.push(format!("crm order status index disagrees with orders at company {} order {}", k.0, k.2));
    }
    let mut have = BTreeSet::new();
    tx.range(CLIENT_ORDERS, (c0, ClientId::MIN, OrderId::MIN), (cmax, ClientId::MAX, OrderId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in by_client.symmetric_difference(&have) {
        problems.push(format!("crm client order index disagrees with orders at company {} order {}", k.0, k.2));
    }
    let mut have = BTreeSet::new();
    tx.range(DEAL_ORDERS, (c0, CrmDealId::MIN, OrderId::MIN), (cmax, CrmDealId::MAX, OrderId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in by_deal.symmetric_difference(&have) {
        problems.push(format!("crm deal order index disagrees with orders at company {} order {}", k.0, k.2));
    }
    let mut held = BTreeMap::new();
    tx.range(
        RESERVATIONS,
        (c0, 0, WarehouseId::MIN, ProductId::MIN),
        (cmax, u64::MAX, WarehouseId::MAX, ProductId::MAX),
        false,
        usize::MAX,
        |k, r| {
            held.insert(k, r.qty);
            Ok(true)
        },
    )?;
    let keys: BTreeSet<_> = want.keys().chain(held.keys()).copied().collect();
    for k in keys {
        let (w, h) = (want.get(&k).copied().unwrap_or_default(), held.get(&k).copied().unwrap_or_default());
        if w != h {
            problems.push(format!(
                "stock reserved for order {} (company {}) of product {} in warehouse {}: its open lines need {w}, {h} is reserved",
                k.1, k.0, k.3, k.2
            ));
        }
    }
    Ok(problems)
}

/// The review indexes hold exactly one key per review (and per reviewed order), and each
/// review names a client of its company.
fn verify_reviews(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (c0, cmax) = (CompanyId::MIN, CompanyId::MAX);
    let (mut by_client, mut by_order) = (BTreeSet::new(), BTreeSet::new());
    tx.range(REVIEWS, (c0, ReviewId::MIN), (cmax, ReviewId::MAX), false, usize::MAX, |(c, id), r| {
        by_client.insert((c, r.client, id));
        if let Some(o) = r.order {
            by_order.insert((c, o, id));
        }
        if tx.get(crate::clients::store::CLIENTS, (c.0, r.client.0))?.is_none() {
            problems.push(format!("crm review {id} (company {c}): client {} does not exist", r.client));
        }
        Ok(true)
    })?;
    let mut have = BTreeSet::new();
    tx.range(CLIENT_REVIEWS, (c0, ClientId::MIN, ReviewId::MIN), (cmax, ClientId::MAX, ReviewId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in by_client.symmetric_difference(&have) {
        problems.push(format!("crm client review index disagrees with reviews at company {} review {}", k.0, k.2));
    }
    let mut have = BTreeSet::new();
    tx.range(ORDER_REVIEWS, (c0, OrderId::MIN, ReviewId::MIN), (cmax, OrderId::MAX, ReviewId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in by_order.symmetric_difference(&have) {
        problems.push(format!("crm order review index disagrees with reviews at company {} review {}", k.0, k.2));
    }
    Ok(problems)
}

/// Every document has its PDF (of the size it records) and exactly its client and deal index
/// keys; every PDF belongs to a document.
fn verify_docs(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (c0, cmax) = (CompanyId::MIN, CompanyId::MAX);
    let (mut by_client, mut by_deal, mut sizes) = (BTreeSet::new(), BTreeSet::new(), BTreeMap::new());
    tx.range(DOCS, (c0, CrmDocId::MIN), (cmax, CrmDocId::MAX), false, usize::MAX, |(c, id), d| {
        sizes.insert((c, id), d.size);
        if let Some(client) = d.client {
            by_client.insert((c, client, id));
        }
        if let Some(deal) = d.deal {
            by_deal.insert((c, deal, id));
        }
        Ok(true)
    })?;
    let mut files = BTreeMap::new();
    tx.range(DOC_FILES, (c0, CrmDocId::MIN), (cmax, CrmDocId::MAX), false, usize::MAX, |k, f| {
        files.insert(k, f.bytes.len() as u64);
        Ok(true)
    })?;
    for (k, size) in &sizes {
        if files.get(k) != Some(size) {
            problems.push(format!("crm document {} (company {}): its PDF has {:?} bytes, the record says {size}", k.1, k.0, files.get(k)));
        }
    }
    for k in files.keys().filter(|k| !sizes.contains_key(k)) {
        problems.push(format!("crm document file {} (company {}) has no document", k.1, k.0));
    }
    let mut have = BTreeSet::new();
    tx.range(CLIENT_DOCS, (c0, ClientId::MIN, CrmDocId::MIN), (cmax, ClientId::MAX, CrmDocId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in by_client.symmetric_difference(&have) {
        problems.push(format!("crm client document index disagrees with documents at company {} document {}", k.0, k.2));
    }
    let mut have = BTreeSet::new();
    tx.range(DEAL_DOCS, (c0, CrmDealId::MIN, CrmDocId::MIN), (cmax, CrmDealId::MAX, CrmDocId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in by_deal.symmetric_difference(&have) {
        problems.push(format!("crm deal document index disagrees with documents at company {} document {}", k.0, k.2));
    }
    let mut by_order = BTreeSet::new();
    tx.range(DOC_ORDERS, (c0, CrmDocId::MIN), (cmax, CrmDocId::MAX), false, usize::MAX, |(c, id), order| {
        if !sizes.contains_key(&(c, id)) {
            problems.push(format!("crm document order link {id} (company {c}) has no document"));
        }
        by_order.insert((c, OrderId(order), id));
        Ok(true)
    })?;
    let mut have = BTreeSet::new();
    tx.range(ORDER_DOCS, (c0, OrderId::MIN, CrmDocId::MIN), (cmax, OrderId::MAX, CrmDocId::MAX), false, usize::MAX, |k, _| {
        have.insert(k);
        Ok(true)
    })?;
    for k in by_order.symmetric_difference(&have) {
        problems.push(format!("crm order document index disagrees with documents at company {} document {}", k.0, k.2));
    }
    Ok(problems)
}
