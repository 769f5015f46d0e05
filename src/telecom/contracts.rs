//! Contracts and their state machine (spec B3): draft → active → suspended ⇄ active →
//! terminated. Activation binds a free SIM (a binding row opens), termination frees it (the
//! row closes); the SIM's status follows the contract's. Dates: signed ≤ activated ≤
//! terminated, all local dates of the company.

use super::billing;
use super::model::{Binding, Contract, ContractStatus, Sim, SimStatus, SubscriberStatus, Suspension};
use super::store::{CONTRACTS, SIM_BINDINGS, SIMS, SUBSCRIBERS, TARIFFS, put_contract, put_sim};
use super::{require, validate};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, ContractId, SimId, SubscriberId, TariffId};
use crate::storage::WriteTx;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

#[derive(Debug, Clone, Default)]
pub struct ContractDraft {
    pub subscriber: Option<SubscriberId>,
    pub tariff: Option<TariffId>,
    /// A free SIM chosen now (it is bound only on activation).
    pub sim: Option<SimId>,
    /// YYYY-MM-DD, not in the future; empty: today.
    pub signed: String,
    pub notes: String,
}

fn free_sim(tx: &WriteTx, c: CompanyId, id: SimId) -> Result<Sim> {
    let sim = tx.get(SIMS, (c, id))?.ok_or_else(|| Error::field("sim", "unknown_sim", "Нет такой SIM-карты", "No such SIM"))?;
    if sim.status != SimStatus::Free {
        return Err(Error::field("sim", "sim_not_free", "SIM-карта не свободна", "The SIM is not free"));
    }
    Ok(sim)
}

pub fn create_contract(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &ContractDraft) -> Result<Contract> {
    require(actor, &[Perm::TELECOM_SIMS])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let mut p = Problems::default();
    let subscriber = match d.subscriber {
        Some(id) => tx.get(SUBSCRIBERS, (c, id))?,
        None => None,
    };
    match &subscriber {
        None => p.push(FieldError::new("subscriber", "unknown_subscriber", "Выберите абонента", "Choose a subscriber")),
        Some(s) if s.status != SubscriberStatus::Active => {
            p.push(FieldError::new("subscriber", "subscriber_not_active", "Абонент не активен", "The subscriber is not active"));
        }
        Some(_) => {}
    }
    let tariff = match d.tariff {
        Some(id) => tx.get(TARIFFS, (c, id))?,
        None => None,
    };
    match &tariff {
        None => p.push(FieldError::new("tariff", "unknown_tariff", "Выберите тариф", "Choose a tariff")),
        Some(t) if t.archived => p.push(FieldError::new("tariff", "tariff_archived", "Тариф в архиве", "The tariff is archived")),
        Some(_) => {}
    }
    let signed = match d.signed.trim() {
        "" => Some(desk.today.clone()),
        raw => p.take(validate::date("signed", raw)),
    };
    if signed.as_deref().is_some_and(|s| s > desk.today.as_str()) {
        p.push(FieldError::new("signed", "signed_in_future", "Дата подписания в будущем", "The signing date is in the future"));
    }
    if let Some(id) = d.sim
        && let Err(Error::Validation(e)) = free_sim(tx, c, id)
    {
        e.into_iter().for_each(|e| p.push(e));
    }
    p.finish()?;
    let (Some(s), Some(t), Some(signed)) = (subscriber, tariff, signed) else {
        return Err(Error::Internal("contract parsed with problems".into()));
    };
    // Gapless per month and company: the counter commits with the contract.
    let month: String = desk.today.chars().filter(char::is_ascii_digit).take(6).collect();
    let seq = tx.next_counter(c.0, &format!("telecom.contract.{month}"))?;
    let k = Contract {
        id: ContractId(tx.next_id()?),
        number: validate::format_contract_number(&desk.today, seq),
        subscriber: s.id,
        tariff: t.id,
        sim: d.sim,
        status: ContractStatus::Draft,
        signed,
        activated: None,
        terminated: None,
        suspension: None,
        next_period: 1,
        notes: d.notes.trim().chars().take(2000).collect(),
        created: now,
        created_by: actor.user,
    };
    put_contract(tx, c, None, &k)?;
    audit::record(tx, c, actor, now, "telecom.contract.create", format!("contract {}", k.id), k.number.clone())?;
    Ok(k)
}

fn load(tx: &WriteTx, c: CompanyId, id: ContractId) -> Result<Contract> {
    tx.get(CONTRACTS, (c, id))?.ok_or(Error::NotFound)
}

/// Draft → active: binds a free SIM (the one named, else the one chosen at creation), dated
/// today; the first monthly fee falls due one month later (spec B4).
pub fn activate(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ContractId, sim: Option<SimId>) -> Result<Contract> {
    require(actor, &[Perm::TELECOM_SIMS])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let old = load(tx, c, id)?;
    if old.status != ContractStatus::Draft {
        return Err(Error::WrongState { state: old.status.code() });
    }
    let Some(sim_id) = sim.or(old.sim) else {
        return Err(Error::field("sim", "required", "Выберите свободную SIM-карту", "Choose a free SIM"));
    };
    let sim = free_sim(tx, c, sim_id)?;
    if desk.today < old.signed {
        return Err(Error::refused(
            "activation_before_signing",
            "Договор нельзя активировать раньше даты подписания",
            "A contract is not activated before it is signed",
        ));
    }
    if tx.get(SUBSCRIBERS, (c, old.subscriber))?.is_none_or(|s| s.status != SubscriberStatus::Active) {
        return Err(Error::refused("subscriber_not_active", "Абонент не активен", "The subscriber is not active"));
    }
    let new =
        Contract { status: ContractStatus::Active, sim: Some(sim.id), activated: Some(desk.today.clone()), next_period: 1, ..old.clone() };
    let bound = Sim { status: SimStatus::Active, contract: Some(id), ..sim.clone() };
    put_sim(tx, c, Some(&sim), &bound)?;
    tx.insert(SIM_BINDINGS, (c, sim.id, id), &Binding { bound: now, released: None })?;
    put_contract(tx, c, Some(&old), &new)?;
    audit::record(tx, c, actor, now, "telecom.contract.activate", format!("contract {id}"), format!("{} {}", new.number, sim.iccid))?;
    Ok(new)
}

/// Moves the contract's SIM to `status` unless it is blocked (a block outlives the contract's
/// moves) and sets or clears its contract.
pub(super) fn follow(tx: &mut WriteTx, c: CompanyId, k: &Contract, status: SimStatus) -> Result<()> {
    let Some(sim_id) = k.sim else { return Ok(()) };
    let Some(sim) = tx.get(SIMS, (c, sim_id))? else { return Ok(()) };
    let contract = if status == SimStatus::Free { None } else { Some(k.id) };
    let status = if sim.status == SimStatus::Blocked { SimStatus::Blocked } else { status };
    let new = Sim { status, contract, ..sim.clone() };
    put_sim(tx, c, Some(&sim), &new)?;
    Ok(())
}

/// Active → suspended by a person (resumed only by a person).
pub fn suspend(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ContractId) -> Result<Contract> {
    require(actor, &[Perm::TELECOM_CUSTOMERS])?;
    let c = actor.company;
    let old = load(tx, c, id)?;
    if old.status != ContractStatus::Active {
        return Err(Error::WrongState { state: old.status.code() });
    }
    let new = billing::set_suspended(tx, c, now, &old, Suspension::Manual)?;
    audit::record(tx, c, actor, now, "telecom.contract.suspend", format!("contract {id}"), new.number.clone())?;
    Ok(new)
}

/// Suspended → active. A contract suspended for its balance resumes only above zero; fees
/// that fell due meanwhile are caught up while the balance covers them.
pub fn resume(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ContractId) -> Result<Contract> {
    require(actor, &[Perm::TELECOM_CUSTOMERS])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let old = load(tx, c, id)?;
    if old.status != ContractStatus::Suspended {
        return Err(Error::WrongState { state: old.status.code() });
    }
    if billing::balance(tx, c, id)?.balance < rust_decimal::Decimal::ZERO {
        return Err(Error::refused(
            "balance_negative",
            "Баланс отрицательный: сначала пополните счёт",
            "The balance is below zero: top it up first",
        ));
    }
    let new = billing::set_active(tx, c, now, &old)?;
    audit::record(tx, c, actor, now, "telecom.contract.resume", format!("contract {id}"), new.number.clone())?;
    billing::catch_up(tx, c, now, id, &desk.today)?;
    load(tx, c, id)
}

/// Draft, active or suspended → terminated, dated today; the SIM is freed and its binding
/// closes. The balance stays on the ledger (refund it first if owed).
pub fn terminate(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ContractId) -> Result<Contract> {
    require(actor, &[Perm::TELECOM_TERMINATE])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let old = load(tx, c, id)?;
    if old.status == ContractStatus::Terminated {
        return Err(Error::WrongState { state: old.status.code() });
    }
    let held = matches!(old.status, ContractStatus::Active | ContractStatus::Suspended);
    let new = Contract { status: ContractStatus::Terminated, terminated: Some(desk.today.clone()), suspension: None, ..old.clone() };
    if held {
        follow(tx, c, &old, SimStatus::Free)?;
        if let Some(sim) = old.sim
            && let Some(mut b) = tx.get(SIM_BINDINGS, (c, sim, id))?
        {
            b.released = Some(now);
            tx.insert(SIM_BINDINGS, (c, sim, id), &b)?;
        }
    }
    put_contract(tx, c, Some(&old), &new)?;
    audit::record(tx, c, actor, now, "telecom.contract.terminate", format!("contract {id}"), new.number.clone())?;
    Ok(new)
}
