//! Payment gateway callbacks (spec B3/B4; the original accepted any callback unsigned): a
//! per-company gateway setting — the header that carries the signature and the shared
//! secret, stored sealed (the caller seals and opens it with the box key, so the plain secret
//! is never in the data file or its backups) — and the callback itself.
//!
//! A callback is trusted only after `signature_ok` matched `sha256=<hex HMAC-SHA256 of the
//! raw body>` in constant time; nothing is parsed before that. A completed callback becomes a
//! payment idempotent on the gateway's `transaction_id` (a replay returns the first payment
//! and writes nothing; the same id with other content is refused); a failed one is
//! acknowledged and stores nothing.

use rust_decimal::Decimal;
use serde::Deserialize;

use super::billing::{Posted, positive, post_payment};
use super::model::{GatewaySettings, Method};
use super::require;
use super::store::{CONTRACT_NUMBERS, GATEWAYS};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, ContractId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// The field name the secret is sealed under (binds the sealed bytes to this use).
pub const SEAL_FIELD: &str = "telecom_gateway_secret";
/// The signature header when the company chose none.
pub const DEFAULT_HEADER: &str = "x-signature";
/// The largest callback body read.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The company's gateway setting, if one was made.
pub fn settings(tx: &impl Read, c: CompanyId) -> Result<Option<GatewaySettings>> {
    Ok(tx.get(GATEWAYS, c)?)
}

/// A header name as HTTP knows it: lower case, letters, digits and dashes.
fn header_name(raw: &str) -> std::result::Result<String, FieldError> {
    let h = match raw.trim() {
        "" => DEFAULT_HEADER.to_string(),
        h => h.to_ascii_lowercase(),
    };
    if h.len() > 64 || !h.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') {
        return Err(FieldError::new("header", "header", "Заголовок: латиница, цифры и дефис", "Header: letters, digits and dashes"));
    }
    Ok(h)
}

/// Saves the header name and, when `sealed_secret` is given, a new secret (sealed by the
/// caller); the first save needs a secret.
pub fn save(tx: &mut WriteTx, actor: &Actor, now: Ts, header: &str, sealed_secret: Option<Vec<u8>>) -> Result<GatewaySettings> {
    require(actor, &[Perm::TELECOM_SIMS_BULK])?;
    let c = actor.company;
    let header = header_name(header).map_err(|e| Error::Validation(vec![e]))?;
    let old = tx.get(GATEWAYS, c)?;
    let rotated = sealed_secret.is_some();
    let g = match (old, sealed_secret) {
        (_, Some(secret)) => GatewaySettings { header, secret, rotated: now, rotated_by: actor.user },
        (Some(o), None) => GatewaySettings { header, ..o },
        (None, None) => {
            return Err(Error::refused("gateway_no_secret", "Сначала создайте секрет шлюза", "Create the gateway secret first"));
        }
    };
    tx.insert(GATEWAYS, c, &g)?;
    let detail = if rotated { format!("{} (new secret)", g.header) } else { g.header.clone() };
    audit::record(tx, c, actor, now, "telecom.gateway", String::new(), detail)?;
    Ok(g)
}

/// Does `header` carry `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`? Compared
/// in constant time; a bare hex digest is read as if prefixed.
pub fn signature_ok(secret: &str, body: &[u8], header: &str) -> bool {
    let header = header.trim();
    if header.starts_with("sha256=") {
        crate::webhooks::verify(secret, body, header)
    } else {
        crate::webhooks::verify(secret, body, &format!("sha256={header}"))
    }
}

/// The callback body, read only after the signature matched.
#[derive(Debug, Deserialize)]
struct Callback {
    transaction_id: String,
    /// The contract number `YYYYMM-XXXXXXXX`.
    contract: String,
    amount: String,
    /// completed or failed
    status: String,
}

/// A verified callback: the posted payment, or `None` for a failed payment (nothing stored).
pub fn callback(tx: &mut WriteTx, c: CompanyId, now: Ts, body: &[u8]) -> Result<Option<Posted>> {
    let cb: Callback = serde_json::from_slice(body).map_err(|_| {
        Error::refused("gateway_body", "Непонятное тело уведомления шлюза", "The gateway's callback body is not understood")
    })?;
    let mut p = Problems::default();
    let txid = cb.transaction_id.trim().to_string();
    if txid.is_empty() || txid.chars().count() > 100 || txid.chars().any(char::is_control) {
        p.push(FieldError::new(
            "transaction_id",
            "transaction_id",
            "ID транзакции: от 1 до 100 символов",
            "Transaction id: 1 to 100 characters",
        ));
    }
    let completed = match cb.status.trim() {
        "completed" | "success" => true,
        "failed" => false,
        _ => {
            p.push(FieldError::new("status", "status", "Статус: completed или failed", "Status: completed or failed"));
            false
        }
    };
    let amount = positive(&mut p, &cb.amount);
    let contract = match tx.get(CONTRACT_NUMBERS, (c, cb.contract.trim().to_ascii_uppercase().as_str()))? {
        Some(id) => Some(ContractId(id)),
        None => {
            p.push(FieldError::new("contract", "unknown_contract", "Нет такого договора", "No such contract"));
            None
        }
    };
    p.finish()?;
    let Some(contract) = contract.filter(|_| completed && amount > Decimal::ZERO) else {
        return Ok(None);
    };
    let posted = post_payment(tx, c, now, contract, amount, Method::MobilePayment, &txid, "gateway", None)?;
    if !posted.replayed {
        audit::record_system(tx, c, (None, "gateway"), "", now, "telecom.payment.gateway", format!("contract {contract} {amount} {txid}"))?;
    }
    Ok(Some(posted))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const SECRET: &str = "shh-gateway-secret";
    const BODY: &[u8] = br#"{"transaction_id":"t-1","contract":"202612-0000000A","amount":"100.00","status":"completed"}"#;

    #[test]
    fn the_right_signature_passes_with_or_without_its_prefix() {
        let sig = crate::webhooks::sign(SECRET, BODY);
        assert!(signature_ok(SECRET, BODY, &sig));
        assert!(signature_ok(SECRET, BODY, sig.trim_start_matches("sha256=")));
        assert!(!signature_ok(SECRET, BODY, ""));
        assert!(!signature_ok("other", BODY, &sig));
    }

    proptest! {
        #[test]
        fn any_flipped_bit_of_body_or_signature_is_refused(bit in 0usize..(BODY.len() * 8), in_header in any::<bool>()) {
            let sig = crate::webhooks::sign(SECRET, BODY);
            if in_header {
                let mut h = sig.clone().into_bytes();
                let i = (bit / 8) % h.len();
                h[i] ^= 1 << (bit % 8);
                let h = String::from_utf8_lossy(&h).to_string();
                prop_assert!(!signature_ok(SECRET, BODY, &h));
            } else {
                let mut b = BODY.to_vec();
                b[bit / 8] ^= 1 << (bit % 8);
                prop_assert!(!signature_ok(SECRET, &b, &sig));
            }
        }
    }
}
