//! Telecom tables, the one write path of each record (subscribers keep their duplicate marks,
//! SIMs their number and status indexes, contracts their number, subscriber and status
//! indexes — all by diff), the ledger append (the one place a balance moves), and `verify`.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use super::model::GatewaySettings;
use super::model::{
    Balance, BillingRun, Binding, Contract, ContractStatus, Entry, EntryKind, Event, PaymentKey, Settings, Sim, SimStatus, Subscriber,
    SubscriberKind, Tariff, Ticket, TicketNote, TicketStatus,
};
use crate::clock::Ts;
use crate::ids::{CompanyId, ContractId, SimId, SubscriberId, TariffId, TicketId};
use crate::storage::{Read, StorageError, Table, TableInfo, WriteTx};

pub const SUBSCRIBERS: Table<(CompanyId, SubscriberId), Subscriber> = Table::new("company_subscriberid_subscriber");
pub const SUBSCRIBER_MARKS: Table<(CompanyId, u64, SubscriberId), u64> = Table::new("company_markhash_subscriberid_unit");
pub const SIMS: Table<(CompanyId, SimId), Sim> = Table::new("company_simid_sim");
pub const SIM_NUMBERS: Table<(CompanyId, u8, u128), u64> = Table::new("company_numberkind_number_simid");
pub const SIM_STATUS: Table<(CompanyId, u8, SimId), u64> = Table::new("company_simstatus_simid_unit");
pub const SIM_BINDINGS: Table<(CompanyId, SimId, ContractId), Binding> = Table::new("company_simid_contractid_binding");
pub const TARIFFS: Table<(CompanyId, TariffId), Tariff> = Table::new("company_tariffid_tariff");
pub const TARIFF_NAMES: Table<(CompanyId, &'static str), u64> = Table::new("company_tariffname_tariffid");
pub const CONTRACTS: Table<(CompanyId, ContractId), Contract> = Table::new("company_contractid_contract");
pub const CONTRACT_NUMBERS: Table<(CompanyId, &'static str), u64> = Table::new("company_contractnumber_contractid");
pub const SUBSCRIBER_CONTRACTS: Table<(CompanyId, SubscriberId, ContractId), u64> = Table::new("company_subscriberid_contractid_unit");
pub const CONTRACT_STATUS: Table<(CompanyId, u8, ContractId), u64> = Table::new("company_contractstatus_contractid_unit");
pub const LEDGER: Table<(CompanyId, ContractId, u64), Entry> = Table::new("company_contractid_seq_telecomentry");
pub const BALANCES: Table<(CompanyId, ContractId), Balance> = Table::new("company_contractid_telecombalance");
pub const CHARGED: Table<(CompanyId, ContractId, u64), u64> = Table::new("company_contractid_period_seq");
pub const PAYMENT_KEYS: Table<(CompanyId, &'static str), PaymentKey> = Table::new("company_transactionid_paymentkey");
pub const EVENTS: Table<(CompanyId, u64), Event> = Table::new("company_eventid_telecomevent");
pub const SETTINGS: Table<CompanyId, Settings> = Table::new("company_telecomsettings");
pub const BILLING_RUNS: Table<CompanyId, BillingRun> = Table::new("company_telecombillingrun");

// Slice B (search, usage rating, reports).
/// Subscriber search terms (`telecom::search`): (company, packed term, subscriber) → sources.
pub const SEARCH_TERMS: Table<(CompanyId, u128, u128, SubscriberId), u64> = Table::new("company_termhi_termlo_subscriberid_count");
/// Imported usage records (`telecom::usage`): (company, record key hash) → what it counted.
pub const USAGE_RECORDS: Table<(CompanyId, u128), super::usage::UsageRecord> = Table::new("company_recordkey_telecomusage");
/// Usage per (company, contract, period, kind 0 voice 1 sms 2 data): used and charged so far.
pub const USAGE_TOTALS: Table<(CompanyId, ContractId, u64, u8), super::usage::UsageTotal> =
    Table::new("company_contractid_period_kind_telecomusagetotal");

pub fn tables() -> Vec<TableInfo> {
    vec![
        SUBSCRIBERS.info("(CompanyId, SubscriberId)", "telecom subscribers: people and organisations"),
        SUBSCRIBER_MARKS.info(
            "(CompanyId, u64 hash of a document, personal number, INN, phone, e-mail or name+birth date, SubscriberId)",
            "duplicate detection index (not unique; identical documents are refused on save)",
        ),
        SIMS.info("(CompanyId, SimId)", "SIM cards of the stock with their status and contract"),
        SIM_NUMBERS.info("(CompanyId, u8 kind 0 ICCID 1 IMSI 2 MSISDN, u128 digits)", "unique SIM numbers → SIM"),
        SIM_STATUS.info("(CompanyId, u8 SimStatus, SimId)", "SIMs by status (the free-SIM picker)"),
        SIM_BINDINGS.info("(CompanyId, SimId, ContractId)", "binding history: which contract held which SIM, from when to when"),
        TARIFFS.info("(CompanyId, TariffId)", "tariffs with their dated revisions"),
        TARIFF_NAMES.info("(CompanyId, lower-cased name)", "unique tariff names → tariff"),
        CONTRACTS.info("(CompanyId, ContractId)", "contracts: subscriber, SIM, tariff, status and dates"),
        CONTRACT_NUMBERS.info("(CompanyId, contract number)", "unique contract numbers → contract"),
        SUBSCRIBER_CONTRACTS.info("(CompanyId, SubscriberId, ContractId)", "a subscriber's contracts"),
        CONTRACT_STATUS.info("(CompanyId, u8 ContractStatus, ContractId)", "contracts by status (the billing run's active list)"),
        LEDGER.info("(CompanyId, ContractId, seq)", "append-only balance ledger: payments, charges, refunds, corrections"),
        BALANCES.info("(CompanyId, ContractId)", "balance = Σ ledger rows, charged = Σ charges"),
        CHARGED
            .info("(CompanyId, ContractId, period)", "the ledger row of each charged monthly period: at most one per (contract, period)"),
        PAYMENT_KEYS.info("(CompanyId, transaction id)", "idempotent payments: what a transaction id produced"),
        EVENTS.info("(CompanyId, event id)", "the telecom event feed: low balance, suspended, resumed, payment received"),
        SETTINGS.info("CompanyId", "telecom settings: MCC, MNC, low-balance threshold"),
        BILLING_RUNS.info("CompanyId", "the last billing run per company (the scheduler's mark)"),
        // Slice B.
        SEARCH_TERMS.info(
            "(CompanyId, u128+u128 packed term: tag byte n/f/t/k then UTF-8, SubscriberId)",
            "subscriber search: name words, number suffixes, document/ICCID/contract keys → how many sources give the term",
        ),
        USAGE_RECORDS.info("(CompanyId, u128 hash of the record's id or row)", "imported usage records: each counted once"),
        USAGE_TOTALS.info(
            "(CompanyId, ContractId, period, u8 kind 0 voice 1 sms 2 data)",
            "usage per contract period and kind: used, and the overage charged so far",
        ),
    ]
}

pub fn hash(kind: &str, value: &str) -> u64 {
    let d = Sha256::digest(format!("{kind}:{value}").as_bytes());
    u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
}

/// Lower-case, ё → е, single spaces: how names are compared for duplicates.
pub fn fold(s: &str) -> String {
    s.to_lowercase().replace('ё', "е").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What identifies a subscriber for sure: its document, personal number, INN.
pub fn identity_marks(s: &Subscriber) -> Vec<(&'static str, u64)> {
    let mut out = Vec::new();
    if let Some(d) = &s.document {
        out.push(("document", hash("d", &format!("{}:{}:{}", d.kind.code(), d.series, d.number))));
    }
    if let Some(p) = &s.personal_no {
        out.push(("personal_no", hash("p", p)));
    }
    if let Some(i) = &s.org_inn {
        out.push(("org_inn", hash("i", i)));
    }
    out
}

/// What only suggests a duplicate: phone, e-mail, a person's name with the birth date.
pub fn likely_marks(s: &Subscriber) -> Vec<(&'static str, u64)> {
    let mut out = vec![("phone", hash("t", &s.phone))];
    if let Some(e) = &s.email {
        out.push(("email", hash("e", e)));
    }
    if let (SubscriberKind::Individual, Some(b)) = (s.kind, &s.birth_date) {
        out.push(("name", hash("n", &format!("{} {}:{b}", fold(&s.last_name), fold(&s.first_name)))));
    }
    out
}

fn marks(s: &Subscriber) -> BTreeSet<u64> {
    identity_marks(s).into_iter().chain(likely_marks(s)).map(|(_, h)| h).collect()
}

/// The one write path of a subscriber: the record and its duplicate marks by diff.
pub fn put_subscriber(tx: &mut WriteTx, c: CompanyId, old: Option<&Subscriber>, new: &Subscriber) -> Result<(), StorageError> {
    let before = old.map(marks).unwrap_or_default();
    let after = marks(new);
    for h in before.difference(&after) {
        tx.remove(SUBSCRIBER_MARKS, (c, *h, new.id))?;
    }
    for h in after.difference(&before) {
        tx.insert(SUBSCRIBER_MARKS, (c, *h, new.id), &new.id.0)?;
    }
    super::search::on_subscriber(tx, c, old, new)?;
    tx.insert(SUBSCRIBERS, (c, new.id), new)
}

/// The digits of a SIM number as an index key (`+996…` loses its plus).
pub fn number_key(s: &str) -> u128 {
    s.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap_or(0)
}

fn sim_numbers(s: &Sim) -> [(u8, u128); 3] {
    [(0, number_key(&s.iccid)), (1, number_key(&s.imsi)), (2, number_key(&s.msisdn))]
}

/// The one write path of a SIM: the record, its unique numbers and its status index.
pub fn put_sim(tx: &mut WriteTx, c: CompanyId, old: Option<&Sim>, new: &Sim) -> Result<(), StorageError> {
    if let Some(o) = old {
        for (k, n) in sim_numbers(o) {
            tx.remove(SIM_NUMBERS, (c, k, n))?;
        }
        tx.remove(SIM_STATUS, (c, o.status.index(), o.id))?;
    }
    for (k, n) in sim_numbers(new) {
        tx.insert(SIM_NUMBERS, (c, k, n), &new.id.0)?;
    }
    tx.insert(SIM_STATUS, (c, new.status.index(), new.id), &new.id.0)?;
    tx.insert(SIMS, (c, new.id), new)
}

/// The one write path of a tariff: the record and its unique name.
pub fn put_tariff(tx: &mut WriteTx, c: CompanyId, old: Option<&Tariff>, new: &Tariff) -> Result<(), StorageError> {
    if let Some(o) = old {
        tx.remove(TARIFF_NAMES, (c, fold(&o.name).as_str()))?;
    }
    tx.insert(TARIFF_NAMES, (c, fold(&new.name).as_str()), &new.id.0)?;
    tx.insert(TARIFFS, (c, new.id), new)
}

/// The one write path of a contract: the record, its number, subscriber and status indexes.
pub fn put_contract(tx: &mut WriteTx, c: CompanyId, old: Option<&Contract>, new: &Contract) -> Result<(), StorageError> {
    super::search::on_contract(tx, c, old, new)?;
    match old {
        Some(o) => {
            tx.remove(CONTRACT_STATUS, (c, o.status.index(), o.id))?;
            tx.remove(SUBSCRIBER_CONTRACTS, (c, o.subscriber, o.id))?;
        }
        None => tx.insert(CONTRACT_NUMBERS, (c, new.number.as_str()), &new.id.0)?,
    }
    tx.insert(CONTRACT_STATUS, (c, new.status.index(), new.id), &new.id.0)?;
    tx.insert(SUBSCRIBER_CONTRACTS, (c, new.subscriber, new.id), &new.id.0)?;
    tx.insert(CONTRACTS, (c, new.id), new)
}

/// Appends a ledger row and moves the balance with it: the only way a balance changes.
/// Fills in the row's `balance_after`; returns its sequence number and the new balance.
pub fn append_entry(tx: &mut WriteTx, c: CompanyId, contract: ContractId, entry: &mut Entry) -> Result<(u64, Balance), StorageError> {
    let mut bal = tx.get(BALANCES, (c, contract))?.unwrap_or_default();
    let seq = bal.rows;
    bal.rows += 1;
    bal.balance += entry.amount;
    if entry.kind == EntryKind::Charge {
        bal.charged -= entry.amount;
    }
    entry.balance_after = bal.balance;
    if let (EntryKind::Charge, Some(p)) = (entry.kind, entry.period) {
        tx.insert(CHARGED, (c, contract, u64::from(p)), &seq)?;
    }
    tx.insert(LEDGER, (c, contract, seq), entry)?;
    tx.insert(BALANCES, (c, contract), &bal)?;
    Ok((seq, bal))
}

pub fn push_event(tx: &mut WriteTx, c: CompanyId, event: &Event) -> Result<(), StorageError> {
    let id = tx.next_id()?;
    tx.insert(EVENTS, (c, id), event)
}

/// Every key of a unit-valued index table within `lo..=hi`.
macro_rules! keys_of {
    ($tx:expr, $table:expr, $lo:expr, $hi:expr) => {{
        let mut out = BTreeSet::new();
        $tx.range($table, $lo, $hi, false, usize::MAX, |k, _| {
            out.insert(k);
            Ok(true)
        })?;
        out
    }};
}

/// Recomputes every telecom index and projection from the records and lists each difference:
/// balance = Σ ledger rows per contract; a charged period at most once and indexed; a SIM is
/// free ⇔ no active or suspended contract holds it; an active contract has exactly one SIM,
/// which names it back; the number, status, subscriber and duplicate indexes.
pub fn verify(tx: &impl Read) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (c0, c1) = (CompanyId::MIN, CompanyId::MAX);

    // Subscribers and their marks.
    let mut want_marks = BTreeSet::new();
    let mut subscribers = BTreeSet::new();
    tx.range(SUBSCRIBERS, (c0, SubscriberId::MIN), (c1, SubscriberId::MAX), false, usize::MAX, |(c, id), s| {
        subscribers.insert((c, id));
        want_marks.extend(marks(&s).into_iter().map(|h| (c, h, id)));
        Ok(true)
    })?;
    let have_marks = keys_of!(tx, SUBSCRIBER_MARKS, (c0, 0, SubscriberId::MIN), (c1, u64::MAX, SubscriberId::MAX));
    for k in want_marks.symmetric_difference(&have_marks) {
        problems.push(format!("telecom duplicate index disagrees with subscribers at company {} subscriber {}", k.0, k.2));
    }

    // SIMs: numbers and status indexes.
    let mut sims = BTreeMap::new();
    tx.range(SIMS, (c0, SimId::MIN), (c1, SimId::MAX), false, usize::MAX, |(c, id), s| {
        sims.insert((c, id), s);
        Ok(true)
    })?;
    let mut want_numbers = BTreeMap::new();
    let mut want_status = BTreeSet::new();
    for ((c, id), s) in &sims {
        for (k, n) in sim_numbers(s) {
            if want_numbers.insert((*c, k, n), id.0).is_some() {
                problems.push(format!("SIM {id} (company {c}) shares a number with another SIM"));
            }
        }
        want_status.insert((*c, s.status.index(), *id));
        if (s.status == SimStatus::Free || s.status == SimStatus::Closed) && s.contract.is_some() {
            problems.push(format!("SIM {id} (company {c}) is {} but names a contract", s.status.code()));
        }
    }
    let mut have_numbers = BTreeMap::new();
    tx.range(SIM_NUMBERS, (c0, 0, 0), (c1, u8::MAX, u128::MAX), false, usize::MAX, |k, v| {
        have_numbers.insert(k, v);
        Ok(true)
    })?;
    if want_numbers != have_numbers {
        problems.push("telecom SIM number index disagrees with SIMs".to_string());
    }
    let have_status = keys_of!(tx, SIM_STATUS, (c0, 0, SimId::MIN), (c1, u8::MAX, SimId::MAX));
    for k in want_status.symmetric_difference(&have_status) {
        problems.push(format!("telecom SIM status index disagrees at company {} SIM {}", k.0, k.2));
    }

    // Contracts: indexes and the SIM rules.
    let mut contracts = BTreeMap::new();
    tx.range(CONTRACTS, (c0, ContractId::MIN), (c1, ContractId::MAX), false, usize::MAX, |(c, id), k| {
        contracts.insert((c, id), k);
        Ok(true)
    })?;
    let mut want_status = BTreeSet::new();
    let mut want_subs = BTreeSet::new();
    let mut holders: BTreeMap<(CompanyId, SimId), Vec<ContractId>> = BTreeMap::new();
    for ((c, id), k) in &contracts {
        want_status.insert((*c, k.status.index(), *id));
        want_subs.insert((*c, k.subscriber, *id));
        if !subscribers.contains(&(*c, k.subscriber)) {
            problems.push(format!("contract {} (company {c}): subscriber {} does not exist", k.number, k.subscriber));
        }
        if tx.get(CONTRACT_NUMBERS, (*c, k.number.as_str()))? != Some(id.0) {
            problems.push(format!("contract {} (company {c}): the number index does not name it", k.number));
        }
        let holds = matches!(k.status, ContractStatus::Active | ContractStatus::Suspended);
        match (holds, k.sim) {
            (true, Some(sim)) => {
                holders.entry((*c, sim)).or_default().push(*id);
                if tx.get(SIM_BINDINGS, (*c, sim, *id))?.is_none_or(|b| b.released.is_some()) {
                    problems.push(format!("contract {} (company {c}): no open binding of SIM {sim}", k.number));
                }
            }
            (true, None) => problems.push(format!("contract {} (company {c}) is {} without a SIM", k.number, k.status.code())),
            (false, _) => {}
        }
    }
    if tx.len(CONTRACT_NUMBERS)? != contracts.len() as u64 {
        problems.push("telecom contract number index has rows for no contract".to_string());
    }
    let have_status = keys_of!(tx, CONTRACT_STATUS, (c0, 0, ContractId::MIN), (c1, u8::MAX, ContractId::MAX));
    for k in want_status.symmetric_difference(&have_status) {
        problems.push(format!("telecom contract status index disagrees at company {} contract {}", k.0, k.2));
    }
    let have_subs = keys_of!(tx, SUBSCRIBER_CONTRACTS, (c0, SubscriberId::MIN, ContractId::MIN), (c1, SubscriberId::MAX, ContractId::MAX));
    for k in want_subs.symmetric_difference(&have_subs) {
        problems.push(format!("telecom subscriber contract index disagrees at company {} contract {}", k.0, k.2));
    }
    // A SIM is free ⇔ no active or suspended contract holds it; a held SIM names its holder.
    for ((c, id), s) in &sims {
        let held_by = holders.get(&(*c, *id)).cloned().unwrap_or_default();
        match held_by.as_slice() {
            [] if s.status != SimStatus::Free && s.status != SimStatus::Closed && s.status != SimStatus::Blocked => {
                problems.push(format!("SIM {id} (company {c}) is {} but no contract holds it", s.status.code()));
            }
            [] if s.contract.is_some() => problems.push(format!("SIM {id} (company {c}) names a contract that does not hold it")),
            [one] if s.contract != Some(*one) || s.status == SimStatus::Free || s.status == SimStatus::Closed => {
                problems.push(format!("SIM {id} (company {c}) is held by contract {one} but is {}", s.status.code()));
            }
            [_, _, ..] => problems.push(format!("SIM {id} (company {c}) is held by {} contracts", held_by.len())),
            _ => {}
        }
    }

    // The ledger: Σ rows = balance, rows numbered densely, one charge per period, indexed.
    let mut sums: BTreeMap<(CompanyId, ContractId), (Decimal, Decimal, u64)> = BTreeMap::new();
    let mut want_charged = BTreeMap::new();
    let mut keys = 0u64;
    tx.range(LEDGER, (c0, ContractId::MIN, 0), (c1, ContractId::MAX, u64::MAX), false, usize::MAX, |(c, k, seq), e| {
        let slot = sums.entry((c, k)).or_default();
        if seq != slot.2 {
            problems.push(format!("telecom ledger of contract {k} (company {c}): row {seq} where {} was expected", slot.2));
        }
        slot.0 += e.amount;
        slot.2 += 1;
        if slot.0 != e.balance_after {
            problems
                .push(format!("telecom ledger of contract {k} (company {c}): row {seq} says {} after, sum is {}", e.balance_after, slot.0));
        }
        if e.kind == EntryKind::Charge {
            slot.1 -= e.amount;
            if let Some(p) = e.period
                && want_charged.insert((c, k, u64::from(p)), seq).is_some()
            {
                problems.push(format!("telecom contract {k} (company {c}): period {p} charged twice"));
            }
        }
        if let Some(t) = &e.transaction_id {
            keys += 1;
            match tx.get(PAYMENT_KEYS, (c, t.as_str()))? {
                Some(pk) if pk.contract == k && pk.seq == seq => {}
                _ => problems.push(format!("telecom contract {k} (company {c}): transaction {t} is not indexed to row {seq}")),
            }
        }
        Ok(true)
    })?;
    if tx.len(PAYMENT_KEYS)? != keys {
        problems.push("telecom payment key index has rows for no payment".to_string());
    }
    let mut balances = BTreeMap::new();
    tx.range(BALANCES, (c0, ContractId::MIN), (c1, ContractId::MAX), false, usize::MAX, |k, b| {
        balances.insert(k, b);
        Ok(true)
    })?;
    let ids: BTreeSet<_> = sums.keys().chain(balances.keys()).copied().collect();
    for k in ids {
        let (sum, charged, rows) = sums.get(&k).copied().unwrap_or_default();
        let b = balances.get(&k).cloned().unwrap_or_default();
        if (sum, charged, rows) != (b.balance, b.charged, b.rows) {
            problems.push(format!(
                "telecom contract {} (company {}): ledger sums to {sum} (charged {charged}) in {rows} rows, balance says {} ({}) in {}",
                k.1, k.0, b.balance, b.charged, b.rows
            ));
        }
        if !contracts.contains_key(&k) {
            problems.push(format!("telecom ledger of contract {} (company {}) without a contract", k.1, k.0));
        }
    }
    let mut have_charged = BTreeMap::new();
    tx.range(CHARGED, (c0, ContractId::MIN, 0), (c1, ContractId::MAX, u64::MAX), false, usize::MAX, |k, v| {
        have_charged.insert(k, v);
        Ok(true)
    })?;
    if want_charged != have_charged {
        problems.push("telecom charged-period index disagrees with the ledger's charges".to_string());
    }
    Ok(problems)
}

// ---- tickets ----

/// Tickets by id.
pub const TICKETS: Table<(CompanyId, TicketId), Ticket> = Table::new("company_ticketid_ticket");
/// Each ticket's log: comments and changes, numbered densely from 0.
pub const TICKET_NOTES: Table<(CompanyId, TicketId, u64), TicketNote> = Table::new("company_ticketid_seq_ticketnote");
/// Open tickets by assignee (0 = unassigned) and SLA due time: the "my" and "unassigned" queues.
pub const TICKET_QUEUE: Table<(CompanyId, u64, u64, TicketId), u64> = Table::new("company_assignee_due_ticketid_unit");
/// Open tickets by SLA due time: the open and overdue queues.
pub const TICKET_DUE: Table<(CompanyId, u64, TicketId), u64> = Table::new("company_due_ticketid_unit");
/// The payment gateway's header and sealed secret per company.
pub const GATEWAYS: Table<CompanyId, GatewaySettings> = Table::new("company_telecomgateway");
/// Every ticket of a subscriber.
pub const SUBSCRIBER_TICKETS: Table<(CompanyId, SubscriberId, TicketId), u64> = Table::new("company_subscriberid_ticketid_unit");

pub fn ticket_tables() -> Vec<TableInfo> {
    vec![
        TICKETS
            .info("(CompanyId, TicketId)", "telecom support tickets: subscriber, contract, category, priority, status, assignee, SLA due"),
        TICKET_NOTES.info("(CompanyId, TicketId, seq)", "a ticket's log: comments, status, assignee and priority changes"),
        TICKET_QUEUE.info("(CompanyId, u64 assignee user id or 0, u64 SLA due ms, TicketId)", "open tickets per assignee by due time"),
        TICKET_DUE.info("(CompanyId, u64 SLA due ms, TicketId)", "open tickets by due time (overdue = due before now)"),
        SUBSCRIBER_TICKETS.info("(CompanyId, SubscriberId, TicketId)", "a subscriber's tickets"),
        GATEWAYS.info("CompanyId", "the payment gateway's signature header and secret (sealed under DIR/box.key)"),
    ]
}

/// A timestamp as an index key part (instants before 1970 sort first).
pub fn ts_key(t: Ts) -> u64 {
    u64::try_from(t.0).unwrap_or(0)
}

/// A ticket's queue key (assignee or 0, due, id) and due key (due, id).
type TicketKeys = ((u64, u64, TicketId), (u64, TicketId));

fn ticket_keys(t: &Ticket) -> Option<TicketKeys> {
    t.status.is_open().then(|| ((t.assignee.map_or(0, |u| u.0), ts_key(t.due), t.id), (ts_key(t.due), t.id)))
}

/// The one write path of a ticket: the record, its queue rows (open tickets only) and the
/// subscriber index, by diff.
pub fn put_ticket(tx: &mut WriteTx, c: CompanyId, old: Option<&Ticket>, new: &Ticket) -> Result<(), StorageError> {
    if let Some(o) = old {
        if let Some(((a, d, id), (d2, id2))) = ticket_keys(o) {
            tx.remove(TICKET_QUEUE, (c, a, d, id))?;
            tx.remove(TICKET_DUE, (c, d2, id2))?;
        }
        tx.remove(SUBSCRIBER_TICKETS, (c, o.subscriber, o.id))?;
    }
    if let Some(((a, d, id), (d2, id2))) = ticket_keys(new) {
        tx.insert(TICKET_QUEUE, (c, a, d, id), &id.0)?;
        tx.insert(TICKET_DUE, (c, d2, id2), &id2.0)?;
    }
    tx.insert(SUBSCRIBER_TICKETS, (c, new.subscriber, new.id), &new.id.0)?;
    tx.insert(TICKETS, (c, new.id), new)
}

/// Appends a row to a ticket's log and counts it on the ticket (which the caller then puts).
pub fn add_note(tx: &mut WriteTx, c: CompanyId, t: &mut Ticket, note: &TicketNote) -> Result<(), StorageError> {
    tx.insert(TICKET_NOTES, (c, t.id, t.notes), note)?;
    t.notes += 1;
    Ok(())
}

/// Tickets against their indexes and rules: each open ticket has exactly its queue and due
/// rows, closed ones none; the subscriber index names every ticket; the log is dense; an
/// in-progress ticket has an assignee and a resolved one a resolution.
pub fn verify_tickets(tx: &impl Read) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (c0, c1) = (CompanyId::MIN, CompanyId::MAX);
    let (mut want_queue, mut want_due, mut want_subs) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut tickets = Vec::new();
    tx.range(TICKETS, (c0, TicketId::MIN), (c1, TicketId::MAX), false, usize::MAX, |(c, id), t| {
        if let Some(((a, d, _), _)) = ticket_keys(&t) {
            want_queue.insert((c, a, d, id));
            want_due.insert((c, d, id));
        }
        want_subs.insert((c, t.subscriber, id));
        tickets.push((c, t));
        Ok(true)
    })?;
    for (c, t) in &tickets {
        if tx.get(SUBSCRIBERS, (*c, t.subscriber))?.is_none() {
            problems.push(format!("ticket {} (company {c}): subscriber {} does not exist", t.id, t.subscriber));
        }
        if t.status == TicketStatus::InProgress && t.assignee.is_none() {
            problems.push(format!("ticket {} (company {c}) is in progress without an assignee", t.id));
        }
        if t.status == TicketStatus::Resolved && t.resolution.trim().is_empty() {
            problems.push(format!("ticket {} (company {c}) is resolved without a resolution", t.id));
        }
        let rows = tx.list(TICKET_NOTES, (*c, t.id, 0), (*c, t.id, u64::MAX), usize::MAX)?;
        if rows.iter().enumerate().any(|(i, ((_, _, seq), _))| *seq != i as u64) || rows.len() as u64 != t.notes {
            problems.push(format!("ticket {} (company {c}): {} log rows, the ticket counts {}", t.id, rows.len(), t.notes));
        }
    }
    let have_queue = keys_of!(tx, TICKET_QUEUE, (c0, 0, 0, TicketId::MIN), (c1, u64::MAX, u64::MAX, TicketId::MAX));
    for k in want_queue.symmetric_difference(&have_queue) {
        problems.push(format!("telecom ticket queue disagrees at company {} ticket {}", k.0, k.3));
    }
    let have_due = keys_of!(tx, TICKET_DUE, (c0, 0, TicketId::MIN), (c1, u64::MAX, TicketId::MAX));
    for k in want_due.symmetric_difference(&have_due) {
        problems.push(format!("telecom ticket due index disagrees at company {} ticket {}", k.0, k.2));
    }
    let have_subs = keys_of!(tx, SUBSCRIBER_TICKETS, (c0, SubscriberId::MIN, TicketId::MIN), (c1, SubscriberId::MAX, TicketId::MAX));
    for k in want_subs.symmetric_difference(&have_subs) {
        problems.push(format!("telecom subscriber ticket index disagrees at company {} ticket {}", k.0, k.2));
    }
    Ok(problems)
}
