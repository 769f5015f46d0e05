//! What the telecom pages and the API read: subscribers (list with a text filter, card),
//! SIMs (by status, card with the binding history), tariffs, contracts (card with SIM,
//! tariff, balance and ledger), the event feed. Every read checks the view right first.

use super::model::{Balance, Binding, Contract, ContractStatus, Entry, Event, Sim, SimStatus, Subscriber, SubscriberStatus, Tariff};
use super::store::{
    self, BALANCES, CONTRACTS, EVENTS, LEDGER, SIM_BINDINGS, SIM_NUMBERS, SIM_STATUS, SIMS, SUBSCRIBER_CONTRACTS, SUBSCRIBERS, TARIFFS,
};
use super::{Duplicate, duplicates, require_view};
use crate::error::{Error, Result};
use crate::ids::{CompanyId, ContractId, SimId, SubscriberId, TariffId};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

/// A subscriber's contracts, oldest first.
pub fn contracts_of(tx: &impl Read, c: CompanyId, s: SubscriberId) -> Result<Vec<Contract>> {
    let mut out = Vec::new();
    for ((_, _, id), _) in tx.list(SUBSCRIBER_CONTRACTS, (c, s, ContractId::MIN), (c, s, ContractId::MAX), usize::MAX)? {
        if let Some(k) = tx.get(CONTRACTS, (c, id))? {
            out.push(k);
        }
    }
    Ok(out)
}

/// Newest first, at most `limit`, ids below `before`, optionally filtered by status and text.
pub fn subscribers(
    tx: &impl Read,
    actor: &Actor,
    q: &str,
    status: Option<SubscriberStatus>,
    before: Option<SubscriberId>,
    limit: usize,
) -> Result<Vec<Subscriber>> {
    require_view(actor)?;
    let c = actor.company;
    if !q.trim().is_empty() {
        // Typed text goes through the search index (`telecom::search`), not a scan.
        let found = super::search::find_in(tx, c, q, limit)?;
        return Ok(found.into_iter().filter(|s| status.is_none_or(|st| s.status == st) && before.is_none_or(|b| s.id < b)).collect());
    }
    let hi = before.map_or(SubscriberId::MAX, |b| SubscriberId(b.0.saturating_sub(1)));
    let mut out = Vec::new();
    tx.range(SUBSCRIBERS, (c, SubscriberId::MIN), (c, hi), true, usize::MAX, |_, s| {
        if status.is_none_or(|st| s.status == st) {
            out.push(s);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

pub struct ContractRow {
    pub contract: Contract,
    pub balance: Balance,
    pub msisdn: String,
    pub tariff: String,
}

fn contract_row(tx: &impl Read, c: CompanyId, k: Contract) -> Result<ContractRow> {
    let balance = tx.get(BALANCES, (c, k.id))?.unwrap_or_default();
    let msisdn = match k.sim {
        Some(s) => tx.get(SIMS, (c, s))?.map(|s| s.msisdn).unwrap_or_default(),
        None => String::new(),
    };
    let tariff = tx.get(TARIFFS, (c, k.tariff))?.map(|t| t.name).unwrap_or_default();
    Ok(ContractRow { contract: k, balance, msisdn, tariff })
}

pub struct SubscriberCard {
    pub subscriber: Subscriber,
    pub contracts: Vec<ContractRow>,
    pub duplicates: Vec<Duplicate>,
}

pub fn subscriber(tx: &impl Read, actor: &Actor, id: SubscriberId) -> Result<SubscriberCard> {
    require_view(actor)?;
    let c = actor.company;
    let subscriber = tx.get(SUBSCRIBERS, (c, id))?.ok_or(Error::NotFound)?;
    let mut contracts = Vec::new();
    for k in contracts_of(tx, c, id)? {
        contracts.push(contract_row(tx, c, k)?);
    }
    let duplicates = duplicates(tx, c, &subscriber)?;
    Ok(SubscriberCard { subscriber, contracts, duplicates })
}

/// SIMs, newest first: of one status (through its index) or all; or the one with a number.
pub fn sims(tx: &impl Read, actor: &Actor, status: Option<SimStatus>, number: &str, limit: usize) -> Result<Vec<Sim>> {
    require_view(actor)?;
    let c = actor.company;
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        let key = store::number_key(&digits);
        let mut out = Vec::new();
        for kind in 0..3u8 {
            if let Some(id) = tx.get(SIM_NUMBERS, (c, kind, key))?
                && let Some(s) = tx.get(SIMS, (c, SimId(id)))?
                && !out.iter().any(|o: &Sim| o.id == s.id)
            {
                out.push(s);
            }
        }
        return Ok(out);
    }
    match status {
        Some(st) => {
            let mut out = Vec::new();
            let i = st.index();
            for ((_, _, id), _) in tx.list(SIM_STATUS, (c, i, SimId::MIN), (c, i, SimId::MAX), usize::MAX)?.into_iter().rev().take(limit) {
                if let Some(s) = tx.get(SIMS, (c, id))? {
                    out.push(s);
                }
            }
            Ok(out)
        }
        None => {
            let mut out = Vec::new();
            tx.range(SIMS, (c, SimId::MIN), (c, SimId::MAX), true, limit, |_, s| {
                out.push(s);
                Ok(true)
            })?;
            Ok(out)
        }
    }
}

pub struct SimCard {
    pub sim: Sim,
    /// (contract, its number, the binding), oldest first.
    pub bindings: Vec<(ContractId, String, Binding)>,
}

pub fn sim(tx: &impl Read, actor: &Actor, id: SimId) -> Result<SimCard> {
    require_view(actor)?;
    let c = actor.company;
    let sim = tx.get(SIMS, (c, id))?.ok_or(Error::NotFound)?;
    let mut bindings = Vec::new();
    for ((_, _, k), b) in tx.list(SIM_BINDINGS, (c, id, ContractId::MIN), (c, id, ContractId::MAX), usize::MAX)? {
        let number = tx.get(CONTRACTS, (c, k))?.map(|k| k.number).unwrap_or_default();
        bindings.push((k, number, b));
    }
    Ok(SimCard { sim, bindings })
}

/// Every tariff, by priority (higher first) then name.
pub fn tariffs(tx: &impl Read, actor: &Actor) -> Result<Vec<Tariff>> {
    require_view(actor)?;
    let c = actor.company;
    let mut out: Vec<Tariff> = tx.list(TARIFFS, (c, TariffId::MIN), (c, TariffId::MAX), usize::MAX)?.into_iter().map(|(_, t)| t).collect();
    out.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.name.cmp(&b.name)));
    Ok(out)
}

pub fn tariff(tx: &impl Read, actor: &Actor, id: TariffId) -> Result<Tariff> {
    require_view(actor)?;
    tx.get(TARIFFS, (actor.company, id))?.ok_or(Error::NotFound)
}

/// Contracts, newest first, optionally of one status.
pub fn contracts(tx: &impl Read, actor: &Actor, status: Option<ContractStatus>, limit: usize) -> Result<Vec<ContractRow>> {
    require_view(actor)?;
    let c = actor.company;
    let mut found = Vec::new();
    tx.range(CONTRACTS, (c, ContractId::MIN), (c, ContractId::MAX), true, usize::MAX, |_, k| {
        if status.is_none_or(|s| k.status == s) {
            found.push(k);
        }
        Ok(found.len() < limit)
    })?;
    found.into_iter().map(|k| contract_row(tx, c, k)).collect()
}

pub struct ContractCard {
    pub contract: Contract,
    pub subscriber: Subscriber,
    pub tariff: Tariff,
    pub sim: Option<Sim>,
    pub balance: Balance,
    /// (seq, row), oldest first.
    pub ledger: Vec<(u64, Entry)>,
}

pub fn contract(tx: &impl Read, actor: &Actor, id: ContractId) -> Result<ContractCard> {
    require_view(actor)?;
    let c = actor.company;
    let contract = tx.get(CONTRACTS, (c, id))?.ok_or(Error::NotFound)?;
    let subscriber = tx.get(SUBSCRIBERS, (c, contract.subscriber))?.ok_or(Error::NotFound)?;
    let tariff = tx.get(TARIFFS, (c, contract.tariff))?.ok_or(Error::NotFound)?;
    let sim = match contract.sim {
        Some(s) => tx.get(SIMS, (c, s))?,
        None => None,
    };
    let balance = tx.get(BALANCES, (c, id))?.unwrap_or_default();
    let ledger = tx.list(LEDGER, (c, id, 0), (c, id, u64::MAX), usize::MAX)?.into_iter().map(|((_, _, seq), e)| (seq, e)).collect();
    Ok(ContractCard { contract, subscriber, tariff, sim, balance, ledger })
}

/// The newest events of the feed.
pub fn events(tx: &impl Read, actor: &Actor, limit: usize) -> Result<Vec<(u64, Event)>> {
    require_view(actor)?;
    let c = actor.company;
    let mut out = Vec::new();
    tx.range(EVENTS, (c, 0), (c, u64::MAX), true, limit, |(_, id), e| {
        out.push((id, e));
        Ok(true)
    })?;
    Ok(out)
}
