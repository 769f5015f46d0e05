//! Duplicate clients (issue 17): detection of likely pairs (`detect`) and the merge of a
//! duplicate into a survivor, with its undo within the day.
//!
//! A merge moves every record linked to the duplicate to the survivor in ONE write
//! transaction: till sales (the record's client and the purchase index), field agents' sales,
//! the debt ledger (the duplicate's rows are appended to the survivor's ledger in their order,
//! so Σ rows = balance and the running balance never goes below zero) and its balance,
//! installment deals, CRM deals, tasks, contacts, orders, timeline events and conversations,
//! and (`extras`) reviews, documents made from templates, calendar events, agents' request
//! carts and open till carts. The duplicate is archived (its history reads as the survivor's)
//! and indexed in `MERGED`; the merge row keeps the move list with a fingerprint of each moved
//! record, and `MERGE_EXTRAS` the same for the kinds `extras` moves (the merge row's stored
//! layout predates them).
//!
//! Undo is allowed on the merge's local calendar day and only while every moved record is as
//! the merge left it and the survivor's ledger has no row after the moved ones; it puts every
//! record back on the duplicate and unarchives it (unless it was archived before).
//!
//! Not moved: money documents and money journal rows that name the duplicate as their
//! counterparty (the money journal is append-only history; the archived duplicate still
//! resolves), and a duplicate that is a supplier (purchases, payables) is refused: suppliers
//! are merged by hand.
//!
//! Rights: the owner, an admin, or `crm_settings` with the `clients` right and, when the
//! duplicate has deals owned by others, `crm_all_deals`, and (working in one branch) no sale
//! of another branch: nobody merges what they cannot see.

pub mod detect;
mod extras;
pub mod store;
#[cfg(test)]
mod tests;

use rust_decimal::Decimal;

use crate::audit;
use crate::clients::model::Client;
use crate::clients::store as cs;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{ClientId, CompanyId, ContactId, CrmDealId, MergeId, OrderId, SaleId, TaskId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::perms::Perm;
use store::{ClientMerge, MERGE_EXTRAS, MERGED, MERGES, MergeExtras};

/// Finding and merging duplicates: the owner, an admin or `crm_settings`, with the clients
/// right.
pub fn require_merge(actor: &Actor) -> Result<()> {
    actor.require_feature("crm")?;
    let trusted = actor.owner_like() || actor.can(Perm::CRM_SETTINGS);
    if !trusted {
        return Err(Error::Forbidden { permission: "crm_settings" });
    }
    actor.require(Perm::CLIENTS)
}

/// A stable fingerprint of a record's current content (FNV-1a over its Debug form): undo
/// compares it with the one the merge stored.
fn fingerprint(v: &impl std::fmt::Debug) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{v:?}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn client(tx: &impl Read, c: CompanyId, id: ClientId) -> Result<Client> {
    tx.get(cs::CLIENTS, (c.0, id.0))?.ok_or(Error::NotFound)
}

fn changed() -> Error {
    Error::refused(
        "merge_changed",
        "После объединения записи изменились: отменить его уже нельзя",
        "Records changed after the merge: it can no longer be undone",
    )
}

/// The ids linked to `client`, read from each domain's client index (tasks and agents' sales
/// have none and are scanned).
struct Links {
    sales: Vec<u64>,
    agent_sales: Vec<SaleId>,
    installment_deals: Vec<u64>,
    crm_deals: Vec<CrmDealId>,
    tasks: Vec<TaskId>,
    contacts: Vec<ContactId>,
    orders: Vec<OrderId>,
    conversations: Vec<u64>,
    events: Vec<(u64, u64)>,
}

fn links(tx: &impl Read, c: CompanyId, client: ClientId) -> Result<Links> {
    let (cl, all) = (client.0, usize::MAX);
    let mut l = Links {
        sales: Vec::new(),
        agent_sales: Vec::new(),
        installment_deals: Vec::new(),
        crm_deals: Vec::new(),
        tasks: Vec::new(),
        contacts: Vec::new(),
        orders: Vec::new(),
        conversations: Vec::new(),
        events: Vec::new(),
    };
    tx.range(cs::CLIENT_SALES, (c.0, cl, 0), (c.0, cl, u64::MAX), false, all, |k, _| {
        l.sales.push(k.2);
        Ok(true)
    })?;
    tx.range(crate::agents::store::SALES, (c, SaleId::MIN), (c, SaleId::MAX), false, all, |k, s| {
        if s.client == Some(client) {
            l.agent_sales.push(k.1);
        }
        Ok(true)
    })?;
    tx.range(cs::CLIENT_DEALS, (c.0, cl, 0), (c.0, cl, u64::MAX), false, all, |k, _| {
        l.installment_deals.push(k.2);
        Ok(true)
    })?;
    tx.range(crate::crm::store::CLIENT_DEALS, (c, client, CrmDealId::MIN), (c, client, CrmDealId::MAX), false, all, |k, _| {
        l.crm_deals.push(k.2);
        Ok(true)
    })?;
    tx.range(crate::crm::store::TASKS, (c, TaskId::MIN), (c, TaskId::MAX), false, all, |k, t| {
        if t.client == Some(client) {
            l.tasks.push(k.1);
        }
        Ok(true)
    })?;
    tx.range(crate::crm::store::CLIENT_CONTACTS, (c, client, ContactId::MIN), (c, client, ContactId::MAX), false, all, |k, _| {
        l.contacts.push(k.2);
        Ok(true)
    })?;
    tx.range(crate::crm::store::CLIENT_ORDERS, (c, client, OrderId::MIN), (c, client, OrderId::MAX), false, all, |k, _| {
        l.orders.push(k.2);
        Ok(true)
    })?;
    tx.range(crate::messaging::store::BY_CLIENT, (c.0, cl, 0), (c.0, cl, u64::MAX), false, all, |k, _| {
        l.conversations.push(k.2);
        Ok(true)
    })?;
    tx.range(crate::crm::store::TIMELINE, (c, client, 0, 0), (c, client, u64::MAX, u64::MAX), false, all, |k, _| {
        l.events.push((k.2, k.3));
        Ok(true)
    })?;
    Ok(l)
}

/// Points every record of `links` at `to`; returns the (id, fingerprint after) lists in the
/// order of [`ClientMerge`]'s fields. Each record goes through its domain's write path.
fn repoint(tx: &mut WriteTx, c: CompanyId, from: ClientId, to: ClientId, l: &Links) -> Result<[Vec<(u64, u64)>; 9]> {
    let mut out: [Vec<(u64, u64)>; 9] = Default::default();
    for &id in &l.sales {
        let Some(mut s) = tx.get(crate::pos::store::SALES, (c.0, id))? else { continue };
        s.client = Some(to);
        tx.insert(crate::pos::store::SALES, (c.0, id), &s)?;
        tx.remove(cs::CLIENT_SALES, (c.0, from.0, id))?;
        tx.insert(cs::CLIENT_SALES, (c.0, to.0, id), &id)?;
        out[0].push((id, fingerprint(&s)));
    }
    for &id in &l.agent_sales {
        let Some(mut s) = tx.get(crate::agents::store::SALES, (c, id))? else { continue };
        s.client = Some(to);
        tx.insert(crate::agents::store::SALES, (c, id), &s)?;
        out[1].push((id.0, fingerprint(&s)));
    }
    for &id in &l.installment_deals {
        let Some(mut d) = tx.get(cs::DEALS, (c.0, id))? else { continue };
        d.client = to;
        tx.insert(cs::DEALS, (c.0, id), &d)?;
        tx.remove(cs::CLIENT_DEALS, (c.0, from.0, id))?;
        tx.insert(cs::CLIENT_DEALS, (c.0, to.0, id), &id)?;
        out[2].push((id, fingerprint(&d)));
    }
    for &id in &l.crm_deals {
        let Some(old) = tx.get(crate::crm::store::DEALS, (c, id))? else { continue };
        let new = crate::crm::model::Deal { client: Some(to), ..old.clone() };
        crate::crm::store::put_deal(tx, c, Some(&old), &new)?;
        out[3].push((id.0, fingerprint(&new)));
    }
    for &id in &l.tasks {
        let Some(old) = tx.get(crate::crm::store::TASKS, (c, id))? else { continue };
        let new = crate::crm::model::Task { client: Some(to), ..old.clone() };
        crate::crm::store::put_task(tx, c, Some(&old), &new)?;
        out[4].push((id.0, fingerprint(&new)));
    }
    for &id in &l.contacts {
        let Some(old) = tx.get(crate::crm::store::CONTACTS, (c, id))? else { continue };
        let new = crate::crm::model::Contact { client: to, ..old.clone() };
        crate::crm::store::put_contact(tx, c, Some(&old), &new)?;
        out[5].push((id.0, fingerprint(&new)));
    }
    for &id in &l.orders {
        let Some(old) = tx.get(crate::crm::store::ORDERS, (c, id))? else { continue };
        let new = crate::crm::model::Order { client: Some(to), ..old.clone() };
        crate::crm::store::put_order(tx, c, Some(&old), &new)?;
        out[6].push((id.0, fingerprint(&new)));
    }
    for &id in &l.conversations {
        let Some(mut v) = tx.get(crate::messaging::store::CONVERSATIONS, (c.0, id))? else { continue };
        v.client = Some(to);
        crate::messaging::store::put_conversation(tx, c, &v)?;
        out[7].push((id, fingerprint(&v)));
    }
    for &(at, seq) in &l.events {
        let Some(e) = tx.get(crate::crm::store::TIMELINE, (c, from, at, seq))? else { continue };
        tx.remove(crate::crm::store::TIMELINE, (c, from, at, seq))?;
        tx.insert(crate::crm::store::TIMELINE, (c, to, at, seq), &e)?;
        out[8].push((at, seq));
    }
    Ok(out)
}

/// Moves the whole debt ledger of `from` onto the end of `to`'s, row by row in order, and
/// removes `from`'s ledger and balance. Returns (first row at `to`, rows moved).
fn move_ledger(tx: &mut WriteTx, c: CompanyId, from: ClientId, to: ClientId) -> Result<(u64, u64)> {
    let rows: Vec<_> = tx.list(cs::DEBT_LEDGER, (c.0, from.0, 0), (c.0, from.0, u64::MAX), usize::MAX)?;
    let start = tx.get(cs::DEBT_BALANCES, (c.0, to.0))?.unwrap_or_default().rows;
    for ((_, _, seq), e) in &rows {
        cs::append_debt(tx, c, to, e)?;
        tx.remove(cs::DEBT_LEDGER, (c.0, from.0, *seq))?;
    }
    tx.remove(cs::DEBT_BALANCES, (c.0, from.0))?;
    Ok((start, rows.len() as u64))
}

/// Merges `duplicate` into `survivor` (see the module header). Returns the merge row.
pub fn merge(tx: &mut WriteTx, actor: &Actor, now: Ts, survivor: ClientId, duplicate: ClientId) -> Result<ClientMerge> {
    require_merge(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let keep = client(tx, c, survivor)?;
    let dup = client(tx, c, duplicate)?;
    if survivor == duplicate {
        return Err(Error::field("duplicate", "merge_same", "Выберите двух разных клиентов", "Choose two different clients"));
    }
    for id in [survivor, duplicate] {
        if tx.get(MERGED, (c, id))?.is_some() {
            return Err(Error::refused("merge_merged", "Клиент уже объединён с другим", "The client has already been merged into another"));
        }
    }
    let supplier = !tx
        .list(
            crate::purchasing::store::SUPPLIER_PURCHASES,
            (c, duplicate, crate::ids::PurchaseId::MIN),
            (c, duplicate, crate::ids::PurchaseId::MAX),
            1,
        )?
        .is_empty()
        || tx.get(crate::purchasing::store::PAYABLE_BALANCES, (c, duplicate))?.is_some();
    if supplier {
        return Err(Error::refused(
            "merge_supplier",
            "Клиент — поставщик с закупками: поставщиков объединяют вручную",
            "The client is a supplier with purchases: suppliers are merged by hand",
        ));
    }
    let l = links(tx, c, duplicate)?;
    // Someone working in one branch does not move another branch's sales.
    if let (BranchScope::Branch(b), false) = (actor.branch, actor.owner_like()) {
        for id in &l.sales {
            if tx.get(crate::pos::store::SALES, (c.0, *id))?.is_some_and(|s| s.branch.is_some_and(|sb| sb != b)) {
                return Err(Error::Forbidden { permission: "branch" });
            }
        }
    }
    if !crate::crm::deals::sees_all(actor) {
        for id in &l.crm_deals {
            if tx.get(crate::crm::store::DEALS, (c, *id))?.is_some_and(|d| d.owner != actor.user) {
                return Err(Error::Forbidden { permission: "crm_all_deals" });
            }
        }
    }
    let [sales, agent_sales, installment_deals, crm_deals, tasks, contacts, orders, conversations, events] =
        repoint(tx, c, duplicate, survivor, &l)?;
    let linked_extras = extras::links(tx, c, duplicate)?;
    let moved_extras = extras::repoint(tx, c, survivor, &linked_extras)?;
    let (debt_from, debt_rows) = move_ledger(tx, c, duplicate, survivor)?;
    cs::put_client(tx, c, Some(&dup), &Client { archived: true, ..dup.clone() })?;
    let m = ClientMerge {
        id: MergeId(tx.next_id()?),
        survivor,
        duplicate,
        at: now,
        user: actor.user,
        was_archived: dup.archived,
        sales,
        agent_sales,
        installment_deals,
        crm_deals,
        tasks,
        contacts,
        orders,
        conversations,
        events,
        debt_from,
        debt_rows,
        undone: None,
    };
    tx.insert(MERGES, (c, m.id), &m)?;
    tx.insert(MERGED, (c, duplicate), &m.id.0)?;
    tx.insert(MERGE_EXTRAS, (c, m.id), &moved_extras)?;
    audit::record(
        tx,
        c,
        actor,
        now,
        "client.merge",
        format!("client:{survivor}"),
        format!("{} ← {} ({} records)", keep.name, dup.name, m.moved() + moved_extras.moved()),
    )?;
    Ok(m)
}

/// The company's merges, newest first.
pub fn merges(tx: &impl Read, actor: &Actor, limit: usize) -> Result<Vec<ClientMerge>> {
    require_merge(actor)?;
    let c = actor.company;
    let mut out = Vec::new();
    tx.range(MERGES, (c, MergeId::MIN), (c, MergeId::MAX), true, limit, |_, m| {
        out.push(m);
        Ok(true)
    })?;
    Ok(out)
}

/// The records of the later-added kinds merge `id` moved (none for a merge made before them).
pub fn extras(tx: &impl Read, c: CompanyId, id: MergeId) -> Result<MergeExtras> {
    Ok(tx.get(MERGE_EXTRAS, (c, id))?.unwrap_or_default())
}

/// Whether `m` may still be undone at `now`: not undone yet and on the merge's local day.
pub fn undoable(tx: &impl Read, c: CompanyId, m: &ClientMerge, now: Ts) -> Result<bool> {
    let tz = crate::tenancy::timezone(tx, c)?;
    Ok(m.undone.is_none() && m.at.date_local(&tz) == now.date_local(&tz))
}

/// Undoes a merge: every moved record back on the duplicate, the ledger rows back, the
/// duplicate unarchived. Refused after the merge's day or when anything moved changed since.
pub fn undo(tx: &mut WriteTx, actor: &Actor, now: Ts, id: MergeId) -> Result<ClientMerge> {
    require_merge(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let m = tx.get(MERGES, (c, id))?.ok_or(Error::NotFound)?;
    if m.undone.is_some() {
        return Err(Error::refused("merge_undone", "Объединение уже отменено", "The merge has already been undone"));
    }
    if !undoable(tx, c, &m, now)? {
        return Err(Error::refused(
            "merge_too_late",
            "Объединение можно отменить только в тот же день",
            "A merge can be undone on its own day only",
        ));
    }
    let (to, from) = (m.duplicate, m.survivor);
    // Everything is checked before anything is written back.
    for &(id, fp) in &m.sales {
        if tx.get(crate::pos::store::SALES, (c.0, id))?.is_none_or(|s| fingerprint(&s) != fp) {
            return Err(changed());
        }
    }
    for &(id, fp) in &m.agent_sales {
        if tx.get(crate::agents::store::SALES, (c, SaleId(id)))?.is_none_or(|s| fingerprint(&s) != fp) {
            return Err(changed());
        }
    }
    for &(id, fp) in &m.installment_deals {
        if tx.get(cs::DEALS, (c.0, id))?.is_none_or(|d| fingerprint(&d) != fp) {
            return Err(changed());
        }
    }
    for &(id, fp) in &m.crm_deals {
        if tx.get(crate::crm::store::DEALS, (c, CrmDealId(id)))?.is_none_or(|d| fingerprint(&d) != fp) {
            return Err(changed());
        }
    }
    for &(id, fp) in &m.tasks {
        if tx.get(crate::crm::store::TASKS, (c, TaskId(id)))?.is_none_or(|t| fingerprint(&t) != fp) {
            return Err(changed());
        }
    }
    for &(id, fp) in &m.contacts {
        if tx.get(crate::crm::store::CONTACTS, (c, ContactId(id)))?.is_none_or(|k| fingerprint(&k) != fp) {
            return Err(changed());
        }
    }
    for &(id, fp) in &m.orders {
        if tx.get(crate::crm::store::ORDERS, (c, OrderId(id)))?.is_none_or(|o| fingerprint(&o) != fp) {
            return Err(changed());
        }
    }
    for &(id, fp) in &m.conversations {
        if tx.get(crate::messaging::store::CONVERSATIONS, (c.0, id))?.is_none_or(|v| fingerprint(&v) != fp) {
            return Err(changed());
        }
    }
    let moved_extras = extras(tx, c, id)?;
    if !extras::unchanged(tx, c, &moved_extras)? {
        return Err(changed());
    }
    let bal = tx.get(cs::DEBT_BALANCES, (c.0, from.0))?.unwrap_or_default();
    if m.debt_rows > 0 && bal.rows != m.debt_from + m.debt_rows {
        return Err(changed());
    }
    let dup = client(tx, c, to)?;

    let back = Links {
        sales: m.sales.iter().map(|x| x.0).collect(),
        agent_sales: m.agent_sales.iter().map(|x| SaleId(x.0)).collect(),
        installment_deals: m.installment_deals.iter().map(|x| x.0).collect(),
        crm_deals: m.crm_deals.iter().map(|x| CrmDealId(x.0)).collect(),
        tasks: m.tasks.iter().map(|x| TaskId(x.0)).collect(),
        contacts: m.contacts.iter().map(|x| ContactId(x.0)).collect(),
        orders: m.orders.iter().map(|x| OrderId(x.0)).collect(),
        conversations: m.conversations.iter().map(|x| x.0).collect(),
        events: m.events.clone(),
    };
    repoint(tx, c, from, to, &back)?;
    extras::repoint(tx, c, to, &extras::Extras::of(&moved_extras))?;
    if m.debt_rows > 0 {
        let rows = tx.list(cs::DEBT_LEDGER, (c.0, from.0, m.debt_from), (c.0, from.0, u64::MAX), usize::MAX)?;
        let mut moved = Decimal::ZERO;
        for ((_, _, seq), e) in &rows {
            tx.remove(cs::DEBT_LEDGER, (c.0, from.0, *seq))?;
            moved += e.amount;
            cs::append_debt(tx, c, to, e)?;
        }
        let left = crate::clients::model::DebtBalance { owed: bal.owed - moved, rows: m.debt_from };
        if left.rows == 0 {
            tx.remove(cs::DEBT_BALANCES, (c.0, from.0))?;
        } else {
            tx.insert(cs::DEBT_BALANCES, (c.0, from.0), &left)?;
        }
    }
    cs::put_client(tx, c, Some(&dup), &Client { archived: m.was_archived, ..dup.clone() })?;
    tx.remove(MERGED, (c, to))?;
    let done = ClientMerge { undone: Some(now), ..m };
    tx.insert(MERGES, (c, id), &done)?;
    audit::record(tx, c, actor, now, "client.merge.undo", format!("client:{to}"), format!("merge {id}"))?;
    Ok(done)
}
