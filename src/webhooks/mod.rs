//! Outgoing webhooks (spec A13): a company registers URLs for events ("stock.changed"); each
//! event appends a delivery row and an outbox job in the transaction that caused it, and the
//! webhook worker POSTs it with `X-Dukan-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`,
//! retrying with backoff. Every attempt's outcome is kept in the delivery log, as a generic
//! error class (`guard::error_class`). Where a webhook may point is `guard`'s to say.

pub mod guard;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::CompanyId;
use crate::storage::{Record, StorageError, Table, TableInfo, WriteTx, outbox};
use crate::tenancy::actor::Actor;

pub const HOOKS: Table<(u64, u64), Webhook> = Table::new("company_webhookid_webhook");
pub const DELIVERIES: Table<(u64, u64), Delivery> = Table::new("company_deliveryid_delivery");

pub fn tables() -> Vec<TableInfo> {
    vec![
        HOOKS.info("(CompanyId, u64 webhook id)", "webhook endpoints with their signing secret and events"),
        DELIVERIES.info("(CompanyId, u64 delivery id)", "webhook delivery log: body, attempts, outcome"),
    ]
}

/// Events a webhook can subscribe to.
pub const EVENTS: &[&str] = &["stock.changed", "agent.transfer"];

/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: u32 = 8;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Webhook {
    pub id: u64,
    pub url: String,
    /// Hex of 32 random bytes; shared with the receiver to verify signatures.
    pub secret: String,
    pub events: Vec<String>,
    pub active: bool,
    pub created: Ts,
}

impl Record for Webhook {
    const TYPE: &'static str = "webhook.v1";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    Pending,
    Delivered { status: u16, at: Ts },
    Failed { at: Ts },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    pub id: u64,
    pub webhook: u64,
    pub event: String,
    /// The exact bytes sent (JSON text), so the signature can be re-checked.
    pub body: String,
    pub created: Ts,
    pub attempts: u32,
    pub state: DeliveryState,
    pub last_error: Option<String>,
}

impl Record for Delivery {
    const TYPE: &'static str = "webhook_delivery.v1";
}

/// `sha256=<hex>` of HMAC-SHA256 over the raw body.
pub fn sign(secret: &str, body: &[u8]) -> String {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        // HMAC takes keys of any length: this arm never runs, and an empty signature never
        // verifies.
        Err(_) => String::new(),
    }
}

/// Checks a received signature in constant time (what a receiver should do).
pub fn verify(secret: &str, body: &[u8], header: &str) -> bool {
    let expected = sign(secret, body);
    !expected.is_empty()
        && expected.len() == header.len()
        && bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), header.as_bytes()))
}

fn parse(d: &WebhookDraft, policy: guard::Policy) -> Result<(String, Vec<String>)> {
    let mut p = Problems::default();
    let url = match guard::check_url(d.url.trim(), policy) {
        Ok(url) => url.to_string(),
        Err(e) => {
            p.push(e);
            String::new()
        }
    };
    let mut events = Vec::new();
    for e in &d.events {
        if EVENTS.contains(&e.as_str()) {
            events.push(e.clone());
        } else {
            p.push(FieldError::new("events", "unknown_event", format!("Неизвестное событие {e}"), format!("Unknown event {e}")));
        }
    }
    if d.events.is_empty() {
        p.push(FieldError::new("events", "required", "Выберите события", "Choose events"));
    }
    p.finish()?;
    Ok((url, events))
}

#[derive(Debug, Clone, Default)]
pub struct WebhookDraft {
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
}

pub fn save(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<u64>, d: &WebhookDraft, policy: guard::Policy) -> Result<u64> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let c = actor.company.0;
    let old = match id {
        Some(id) => Some(tx.get(HOOKS, (c, id))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let (url, events) = parse(d, policy)?;
    let hook = match old {
        Some(o) => Webhook { url, events, active: d.active, ..o },
        None => {
            let (token, _) = crate::auth::random_token();
            Webhook { id: tx.next_id()?, url, secret: hex::encode(token.as_bytes()), events, active: d.active, created: now }
        }
    };
    tx.insert(HOOKS, (c, hook.id), &hook)?;
    audit::record(tx, actor.company, actor, now, "webhook.save", format!("webhook:{}", hook.id), hook.url.clone())?;
    Ok(hook.id)
}

pub fn delete(tx: &mut WriteTx, actor: &Actor, now: Ts, id: u64) -> Result<()> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let hook = tx.get(HOOKS, (actor.company.0, id))?.ok_or(Error::NotFound)?;
    tx.remove(HOOKS, (actor.company.0, id))?;
    audit::record(tx, actor.company, actor, now, "webhook.delete", format!("webhook:{id}"), hook.url)?;
    Ok(())
}

/// The company's webhooks, oldest first.
pub fn hooks(tx: &impl crate::storage::Read, company: CompanyId) -> Result<Vec<Webhook>> {
    Ok(tx.list(HOOKS, (company.0, 0), (company.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, h)| h).collect())
}

pub fn hook(tx: &impl crate::storage::Read, company: CompanyId, id: u64) -> Result<Webhook> {
    tx.get(HOOKS, (company.0, id))?.ok_or(Error::NotFound)
}

/// The newest `limit` deliveries of one webhook, newest first.
pub fn deliveries(tx: &impl crate::storage::Read, company: CompanyId, webhook: u64, limit: usize) -> Result<Vec<Delivery>> {
    let mut out = Vec::new();
    tx.range(DELIVERIES, (company.0, 0), (company.0, u64::MAX), true, usize::MAX, |_, d| {
        if d.webhook == webhook {
            out.push(d);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// Queues `event` with `payload` to every active webhook of the company subscribed to it.
pub fn emit(tx: &mut WriteTx, company: CompanyId, event: &str, payload: &serde_json::Value, now: Ts) -> Result<(), StorageError> {
    let hooks = tx.list(HOOKS, (company.0, 0), (company.0, u64::MAX), usize::MAX)?;
    for (_, hook) in hooks.into_iter().filter(|(_, h)| h.active && h.events.iter().any(|e| e == event)) {
        let id = tx.next_id()?;
        let body =
            serde_json::json!({"event": event, "delivery": id, "company": company.0, "at": now.rfc3339(), "data": payload}).to_string();
        let delivery = Delivery {
            id,
            webhook: hook.id,
            event: event.into(),
            body,
            created: now,
            attempts: 0,
            state: DeliveryState::Pending,
            last_error: None,
        };
        tx.insert(DELIVERIES, (company.0, id), &delivery)?;
        outbox::push(tx, company.0, outbox::JobKind::Webhook { delivery: id }, now.0)?;
    }
    Ok(())
}

/// Records one attempt's outcome; returns whether the job is finished (delivered or given up).
pub fn record_attempt(
    tx: &mut WriteTx,
    company: CompanyId,
    delivery: u64,
    outcome: std::result::Result<u16, String>,
    now: Ts,
) -> Result<bool, StorageError> {
    let Some(mut d) = tx.get(DELIVERIES, (company.0, delivery))? else {
        return Ok(true);
    };
    d.attempts += 1;
    let finished = match outcome {
        Ok(status) if (200..300).contains(&status) => {
            d.state = DeliveryState::Delivered { status, at: now };
            d.last_error = None;
            true
        }
        Ok(status) => {
            d.last_error = Some(format!("HTTP {status}"));
            d.attempts >= MAX_ATTEMPTS
        }
        Err(e) => {
            d.last_error = Some(e);
            d.attempts >= MAX_ATTEMPTS
        }
    };
    if finished && d.state == DeliveryState::Pending {
        d.state = DeliveryState::Failed { at: now };
    }
    tx.insert(DELIVERIES, (company.0, delivery), &d)?;
    Ok(finished)
}
