//! Subscriber merge and bulk SIM assignment.
//!
//! Merge (TODO 2.8's "true duplicates"): every contract — and with it its ledger, so every
//! payment — and every ticket of the duplicate moves to the survivor in one transaction; the
//! duplicate's identity (document, personal number, INN) moves too when the survivor has
//! none. A personal number (ПИН, a person's INN) or an organisation's INN is a person's for
//! life, so two different ones are refused as two different people; a passport is reissued
//! and mistyped, so the survivor keeps its own and the duplicate's stays on its archived
//! record. The duplicate is archived with a note naming the survivor; the audit row names
//! both.
//!
//! Bulk assignment (spec B7, the sane version of "N free SIMs + 1 tariff → N contracts"):
//! N free SIMs of a branch become N active contracts of one subscriber on one tariff, all or
//! nothing; or N free SIMs move to another branch's stock (a dealer's).

use super::contracts::{self, ContractDraft};
use super::model::{Contract, Sim, SimStatus, Subscriber, SubscriberStatus};
use super::store::{SIM_STATUS, SIMS, SUBSCRIBERS, put_contract, put_sim, put_subscriber, put_ticket};
use super::{query, require, tickets};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Result};
use crate::ids::{BranchId, SimId, SubscriberId, TariffId};
use crate::storage::WriteTx;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// What a merge moved.
#[derive(Debug, Clone)]
pub struct Merged {
    pub survivor: Subscriber,
    pub contracts: usize,
    pub tickets: usize,
}

/// Moves the duplicate's value of an identity field to a survivor without one; two different
/// values are refused when the field is `lifelong`, else the survivor keeps its own.
fn take_over<T: Clone + PartialEq>(field: &str, lifelong: bool, keep: &mut Option<T>, gone: &mut Option<T>) -> Result<()> {
    match (keep.as_ref(), gone.as_ref()) {
        (Some(a), Some(b)) if a != b && !lifelong => Ok(()),
        (Some(a), Some(b)) if a != b => Err(Error::refused(
            "merge_documents_conflict",
            format!("У абонентов разные {field}: это разные люди"),
            format!("The subscribers have different {field}: they are different people"),
        )),
        (None, Some(_)) => {
            *keep = gone.take();
            Ok(())
        }
        _ => {
            *gone = None;
            Ok(())
        }
    }
}

/// Merges subscriber `duplicate` into `survivor`.
pub fn merge_subscribers(tx: &mut WriteTx, actor: &Actor, now: Ts, survivor: SubscriberId, duplicate: SubscriberId) -> Result<Merged> {
    require(actor, &[Perm::TELECOM_CUSTOMERS])?;
    let c = actor.company;
    let old_keep = tx.get(SUBSCRIBERS, (c, survivor))?.ok_or(Error::NotFound)?;
    let old_gone = tx
        .get(SUBSCRIBERS, (c, duplicate))?
        .ok_or_else(|| Error::field("duplicate", "unknown_subscriber", "Нет такого абонента", "No such subscriber"))?;
    if survivor == duplicate {
        return Err(Error::field("duplicate", "merge_same", "Выберите другого абонента", "Choose another subscriber"));
    }
    if old_keep.kind != old_gone.kind {
        return Err(Error::refused(
            "merge_kinds",
            "Нельзя объединить человека и организацию",
            "A person and an organisation cannot be merged",
        ));
    }
    let (mut keep, mut gone) = (old_keep.clone(), old_gone.clone());
    take_over("document", false, &mut keep.document, &mut gone.document)?;
    take_over("personal_no", true, &mut keep.personal_no, &mut gone.personal_no)?;
    take_over("org_inn", true, &mut keep.org_inn, &mut gone.org_inn)?;
    if keep.email.is_none() {
        keep.email = gone.email.clone();
    }
    if keep.birth_date.is_none() {
        keep.birth_date = gone.birth_date.clone();
    }
    if keep.address.is_empty() {
        keep.address = gone.address.clone();
    }
    let moved = query::contracts_of(tx, c, duplicate)?;
    for k in &moved {
        let mut new = k.clone();
        new.subscriber = survivor;
        put_contract(tx, c, Some(k), &new)?;
    }
    let their_tickets = tickets::of_subscriber(tx, c, duplicate)?;
    for t in &their_tickets {
        let mut new = t.clone();
        new.subscriber = survivor;
        put_ticket(tx, c, Some(t), &new)?;
    }
    gone.status = SubscriberStatus::Archived;
    gone.notes = format!("{}\nОбъединён с абонентом #{survivor}", gone.notes).trim().to_string();
    // The duplicate first: its identity marks leave before the survivor's arrive.
    put_subscriber(tx, c, Some(&old_gone), &gone)?;
    put_subscriber(tx, c, Some(&old_keep), &keep)?;
    audit::record(
        tx,
        c,
        actor,
        now,
        "telecom.subscriber.merge",
        format!("subscriber {survivor}"),
        format!("from subscriber {duplicate}: {} contracts, {} tickets", moved.len(), their_tickets.len()),
    )?;
    Ok(Merged { survivor: keep, contracts: moved.len(), tickets: their_tickets.len() })
}

/// The bulk request as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct AssignDraft {
    /// 1–500.
    pub count: String,
    /// Free SIMs of this branch only (absent: any branch).
    pub branch: Option<u64>,
    /// N active contracts of this subscriber on `tariff` …
    pub subscriber: Option<u64>,
    pub tariff: Option<u64>,
    /// … or, instead, move the SIMs to this branch's stock.
    pub to_branch: Option<u64>,
}

/// What a bulk assignment made: the contracts, or the SIMs moved.
#[derive(Debug, Clone, Default)]
pub struct Assigned {
    pub contracts: Vec<Contract>,
    pub moved: Vec<Sim>,
}

fn count_of(raw: &str) -> Result<usize> {
    match raw.trim().parse::<usize>() {
        Ok(n) if (1..=500).contains(&n) => Ok(n),
        _ => Err(Error::field("count", "count", "Количество: от 1 до 500", "Count: 1 to 500")),
    }
}

/// Takes `count` free SIMs (of `branch`, lowest id first) and either opens an active contract
/// on each for one subscriber and tariff, or moves them to another branch. All or nothing:
/// fewer free SIMs than asked is refused and writes nothing.
pub fn assign_free_sims(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &AssignDraft) -> Result<Assigned> {
    require(actor, &[Perm::TELECOM_SIMS_BULK, Perm::TELECOM_SIMS])?;
    let c = actor.company;
    let count = count_of(&d.count)?;
    let branches = crate::tenancy::query::branches(tx, c)?;
    let branch_of = |field: &str, id: Option<u64>| -> Result<Option<BranchId>> {
        match id {
            None => Ok(None),
            Some(b) => match branches.iter().find(|x| x.id.0 == b) {
                Some(x) => Ok(Some(x.id)),
                None => Err(Error::field(field, "unknown_branch", "Нет такого филиала", "No such branch")),
            },
        }
    };
    let from = branch_of("branch", d.branch)?;
    let to = branch_of("to_branch", d.to_branch)?;
    if to.is_none() && (d.subscriber.is_none() || d.tariff.is_none()) {
        return Err(Error::Validation(vec![FieldError::new(
            "subscriber",
            "required",
            "Укажите абонента и тариф или филиал-получатель",
            "Name a subscriber and a tariff, or the branch to move them to",
        )]));
    }
    let mut picked: Vec<Sim> = Vec::new();
    let free = SimStatus::Free.index();
    tx.range(SIM_STATUS, (c, free, SimId::MIN), (c, free, SimId::MAX), false, usize::MAX, |(_, _, id), _| {
        if let Some(sim) = tx.get(SIMS, (c, id))?
            && from.is_none_or(|b| sim.branch == b)
            && to.is_none_or(|b| sim.branch != b)
        {
            picked.push(sim);
        }
        Ok(picked.len() < count)
    })?;
    if picked.len() < count {
        return Err(Error::refused(
            "not_enough_free_sims",
            format!("Свободных SIM-карт: {}, нужно {count}", picked.len()),
            format!("{} free SIMs, {count} needed", picked.len()),
        ));
    }
    let mut out = Assigned::default();
    match to {
        Some(b) => {
            for old in picked {
                let new = Sim { branch: b, ..old.clone() };
                put_sim(tx, c, Some(&old), &new)?;
                out.moved.push(new);
            }
            audit::record(tx, c, actor, now, "telecom.sims.move", format!("branch {b}"), format!("{count} SIMs"))?;
        }
        None => {
            for sim in picked {
                let draft = ContractDraft {
                    subscriber: d.subscriber.map(SubscriberId),
                    tariff: d.tariff.map(TariffId),
                    sim: Some(sim.id),
                    ..Default::default()
                };
                let k = contracts::create_contract(tx, actor, now, &draft)?;
                out.contracts.push(contracts::activate(tx, actor, now, k.id, None)?);
            }
            let who = d.subscriber.unwrap_or_default();
            audit::record(tx, c, actor, now, "telecom.sims.assign", format!("subscriber {who}"), format!("{count} contracts"))?;
        }
    }
    Ok(out)
}
