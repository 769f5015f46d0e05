//! The merge's second move list (`store::MergeExtras`): the client-linked records added after
//! the merge log's layout was fixed — reviews, documents made from templates, calendar events,
//! agents' request carts and open till carts. Found through each domain's client index (request
//! carts and till carts have none and are scanned), moved through each record's write path in
//! the merge's transaction, and moved back by the undo only while each is as the merge left it.

use super::fingerprint;
use super::store::MergeExtras;
use crate::agents::request_store::{self as requests, REQUESTS};
use crate::crm::calendar::store::{self as calendar, CLIENT_EVENTS, EVENTS};
use crate::crm::store::{self as crm, CLIENT_DOCS, CLIENT_REVIEWS, DOCS, REVIEWS};
use crate::error::Result;
use crate::ids::{AgentRequestId, CalEventId, ClientId, CompanyId, CrmDocId, ReviewId};
use crate::pos::store::CARTS;
use crate::storage::{Read, WriteTx};

/// The ids of the records of these kinds that name one client.
#[derive(Debug, Default)]
pub(super) struct Extras {
    reviews: Vec<ReviewId>,
    documents: Vec<CrmDocId>,
    calendar_events: Vec<CalEventId>,
    agent_requests: Vec<AgentRequestId>,
    carts: Vec<u64>,
}

impl Extras {
    /// The records a merge moved, to move them back.
    pub(super) fn of(x: &MergeExtras) -> Extras {
        Extras {
            reviews: x.reviews.iter().map(|r| ReviewId(r.0)).collect(),
            documents: x.documents.iter().map(|r| CrmDocId(r.0)).collect(),
            calendar_events: x.calendar_events.iter().map(|r| CalEventId(r.0)).collect(),
            agent_requests: x.agent_requests.iter().map(|r| AgentRequestId(r.0)).collect(),
            carts: x.carts.iter().map(|r| r.0).collect(),
        }
    }
}

pub(super) fn links(tx: &impl Read, c: CompanyId, client: ClientId) -> Result<Extras> {
    let all = usize::MAX;
    let mut x = Extras::default();
    tx.range(CLIENT_REVIEWS, (c, client, ReviewId::MIN), (c, client, ReviewId::MAX), false, all, |k, _| {
        x.reviews.push(k.2);
        Ok(true)
    })?;
    tx.range(CLIENT_DOCS, (c, client, CrmDocId::MIN), (c, client, CrmDocId::MAX), false, all, |k, _| {
        x.documents.push(k.2);
        Ok(true)
    })?;
    tx.range(CLIENT_EVENTS, (c, client, CalEventId::MIN), (c, client, CalEventId::MAX), false, all, |k, _| {
        x.calendar_events.push(k.2);
        Ok(true)
    })?;
    tx.range(REQUESTS, (c, AgentRequestId::MIN), (c, AgentRequestId::MAX), false, all, |k, r| {
        if r.client == Some(client) {
            x.agent_requests.push(k.1);
        }
        Ok(true)
    })?;
    tx.range(CARTS, (c, 0), (c, u64::MAX), false, all, |k, cart| {
        if cart.client == Some(client) {
            x.carts.push(k.1);
        }
        Ok(true)
    })?;
    Ok(x)
}

/// Points every record of `x` at `to` through its write path; returns what moved, each with
/// its fingerprint after the move.
pub(super) fn repoint(tx: &mut WriteTx, c: CompanyId, to: ClientId, x: &Extras) -> Result<MergeExtras> {
    let mut out = MergeExtras::default();
    for &id in &x.reviews {
        let Some(old) = tx.get(REVIEWS, (c, id))? else { continue };
        let new = crate::crm::model::Review { client: to, ..old.clone() };
        crm::put_review(tx, c, Some(&old), &new)?;
        out.reviews.push((id.0, fingerprint(&new)));
    }
    for &id in &x.documents {
        let Some(old) = tx.get(DOCS, (c, id))? else { continue };
        let new = crate::crm::model::CrmDoc { client: Some(to), ..old.clone() };
        crm::put_doc(tx, c, Some(&old), &new, None, None)?;
        out.documents.push((id.0, fingerprint(&new)));
    }
    for &id in &x.calendar_events {
        let Some(old) = tx.get(EVENTS, (c, id))? else { continue };
        let new = crate::crm::calendar::model::CalEvent { client: Some(to), ..old.clone() };
        calendar::put_event(tx, c, Some(&old), &new)?;
        out.calendar_events.push((id.0, fingerprint(&new)));
    }
    for &id in &x.agent_requests {
        let Some(mut r) = tx.get(REQUESTS, (c, id))? else { continue };
        r.client = Some(to);
        requests::put_request(tx, c, &r)?;
        out.agent_requests.push((id.0, fingerprint(&r)));
    }
    for &id in &x.carts {
        let Some(mut cart) = tx.get(CARTS, (c, id))? else { continue };
        cart.client = Some(to);
        tx.insert(CARTS, (c, id), &cart)?;
        out.carts.push((id, fingerprint(&cart)));
    }
    Ok(out)
}

/// Whether every record the merge moved is still there exactly as it left it.
pub(super) fn unchanged(tx: &impl Read, c: CompanyId, x: &MergeExtras) -> Result<bool> {
    for &(id, fp) in &x.reviews {
        if tx.get(REVIEWS, (c, ReviewId(id)))?.is_none_or(|r| fingerprint(&r) != fp) {
            return Ok(false);
        }
    }
    for &(id, fp) in &x.documents {
        if tx.get(DOCS, (c, CrmDocId(id)))?.is_none_or(|d| fingerprint(&d) != fp) {
            return Ok(false);
        }
    }
    for &(id, fp) in &x.calendar_events {
        if tx.get(EVENTS, (c, CalEventId(id)))?.is_none_or(|e| fingerprint(&e) != fp) {
            return Ok(false);
        }
    }
    for &(id, fp) in &x.agent_requests {
        if tx.get(REQUESTS, (c, AgentRequestId(id)))?.is_none_or(|r| fingerprint(&r) != fp) {
            return Ok(false);
        }
    }
    for &(id, fp) in &x.carts {
        if tx.get(CARTS, (c, id))?.is_none_or(|cart| fingerprint(&cart) != fp) {
            return Ok(false);
        }
    }
    Ok(true)
}
