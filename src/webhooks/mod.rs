//! Outgoing webhooks (spec A13): a company registers URLs for events ("stock.changed"); each
//! event appends a delivery row and an outbox job in the transaction that caused it, and the
//! webhook worker POSTs it with `X-Dukan-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`,
//! retrying with backoff. Every attempt's outcome is kept in the delivery log, as a generic
//! error class (`guard::error_class`). Where a webhook may point is `guard`'s to say.

pub mod events;
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
pub const EVENTS: &[&str] = events::ALL;

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
            // 32 random bytes, hex: 64 characters.
            let (_, bytes) = crate::auth::random_token();
            Webhook { id: tx.next_id()?, url, secret: hex::encode(bytes), events, active: d.active, created: now }
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

/// Turns an endpoint on or off; a disabled endpoint gets no new deliveries (queued ones still go).
pub fn set_active(tx: &mut WriteTx, actor: &Actor, now: Ts, id: u64, active: bool) -> Result<Webhook> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let mut hook = tx.get(HOOKS, (actor.company.0, id))?.ok_or(Error::NotFound)?;
    hook.active = active;
    tx.insert(HOOKS, (actor.company.0, id), &hook)?;
    let action = if active { "webhook.enable" } else { "webhook.disable" };
    audit::record(tx, actor.company, actor, now, action, format!("webhook:{id}"), hook.url.clone())?;
    Ok(hook)
}

/// Replaces the signing secret with a fresh one; the caller shows it once. Deliveries still
/// queued are signed with the new secret when they are sent (the worker signs at send time).
pub fn rotate_secret(tx: &mut WriteTx, actor: &Actor, now: Ts, id: u64) -> Result<Webhook> {
    actor.require_owner_like()?;
    actor.require_writable()?;
    let mut hook = tx.get(HOOKS, (actor.company.0, id))?.ok_or(Error::NotFound)?;
    let (_, bytes) = crate::auth::random_token();
    hook.secret = hex::encode(bytes);
    tx.insert(HOOKS, (actor.company.0, id), &hook)?;
    audit::record(tx, actor.company, actor, now, "webhook.rotate", format!("webhook:{id}"), hook.url.clone())?;
    Ok(hook)
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
pub fn emit(tx: &mut WriteTx, company: CompanyId, event: &str, payload: &serde_json::Value, now: Ts) -> Result<()> {
    emit_with(tx, company, event, now, || payload.clone())
}

/// Like `emit`, but builds the payload only when some endpoint wants the event: the till's
/// checkout calls this for every sale, and most companies have no endpoint at all.
pub fn emit_with<T: Serialize>(tx: &mut WriteTx, company: CompanyId, event: &str, now: Ts, payload: impl FnOnce() -> T) -> Result<()> {
    let hooks = tx.list(HOOKS, (company.0, 0), (company.0, u64::MAX), usize::MAX)?;
    let wanted: Vec<Webhook> = hooks.into_iter().map(|(_, h)| h).filter(|h| h.active && h.events.iter().any(|e| e == event)).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let data = serde_json::to_value(payload()).map_err(|e| Error::Internal(format!("webhook payload of {event}: {e}")))?;
    for hook in wanted {
        let id = tx.next_id()?;
        let body = serde_json::json!({"event": event, "delivery": id, "company": company.0, "at": now.rfc3339(), "data": data}).to_string();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectors of `schema/webhooks.md`: a receiver in any language must get these.
    #[test]
    fn signature_test_vectors() {
        let long = "8f3a1c0e5b7d4f2a9c6e1b3d5f7a9c0e2b4d6f8a1c3e5b7d9f0a2c4e6b8d0f1a";
        let sale = r#"{"event":"sale.created","delivery":1042,"company":7,"at":"2026-12-07T09:15:00Z","data":{"id":1041,"number":"П-000123","total":"250.00"}}"#;
        for (secret, body, header) in [
            ("secret", r#"{"event":"ping"}"#, "sha256=4f4bb3a54e99c4a20e243485229f9b08c66e09104ba6f79c23ce647242a4ce84"),
            (long, "", "sha256=7c762526307bb09582a16a5718edddffe8a9445c161c56404949e749a4bd5d0a"),
            (long, sale, "sha256=77e06b24ae3b9ec1c354292b41af3c11202700bc6e0a97566fda034ce63a8560"),
        ] {
            assert_eq!(sign(secret, body.as_bytes()), header, "{secret} {body}");
            assert!(verify(secret, body.as_bytes(), header));
            assert!(!verify(secret, body.as_bytes(), &header.to_uppercase()));
        }
        let doc = include_str!("../../schema/webhooks.md");
        assert!(doc.contains("77e06b24ae3b9ec1c354292b41af3c11202700bc6e0a97566fda034ce63a8560"), "the documented vectors match");
    }

    #[test]
    fn every_event_has_a_label_on_the_page() {
        for e in EVENTS {
            for lang in [crate::i18n::Lang::Ru, crate::i18n::Lang::En] {
                let key = format!("webhooks.event_{}", e.replace('.', "_"));
                assert_ne!(lang.t(&key), key, "missing {key}");
            }
        }
    }
}
