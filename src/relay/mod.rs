//! The relay for Meta's webhooks (issue 16): Meta delivers only to public HTTPS, a shop's box
//! sits behind NAT. The same binary runs as `dukan relay` on a public server (`server`, its
//! queue file `store`, its routes in `http::relay`) and the box keeps one outbound WebSocket
//! open to it (`link`).
//!
//! Invariants. The relay holds no Meta secret: it queues each webhook POST as it came (raw
//! bytes and the `X-Hub-Signature-256` header) in its own redb file, durably, before it
//! answers 200, and the box verifies the signature exactly as for a direct webhook — a relay
//! that is broken into can drop messages but never forge one. A queued webhook is deleted
//! only when the box acknowledges it, and the box acknowledges only after the transaction
//! that stored it is durable (or after refusing its signature for good); the box's handling
//! is idempotent by Meta's message id, so a redelivery after a lost ack is harmless. A box
//! signs in with its own token, sent in the `Authorization` header (never in a URL); the
//! relay stores only the token's SHA-256. Meta's GET subscription check is forwarded live to
//! the connected box (the verify token never leaves it); with no box connected it is 503.
//! Boxes are added and tokens rotated while the relay runs, through its control socket
//! (`control`): a token is looked up on every sign-in, and a rotation ends the link that
//! signed in with the old one.

pub mod control;
pub mod link;
pub mod server;
pub mod store;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// What the relay sends down the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Down {
    /// A queued webhook POST: the box verifies `signature` over `body` (base64 of the raw
    /// bytes) with the channel's app secret and stores it; then acknowledges `seq`.
    Hook { seq: u64, company: u64, channel: u64, signature: String, body: String, received_ms: i64 },
    /// Meta's subscription check, to be answered with `Up::Answer { ask }`.
    Verify { ask: u64, company: u64, channel: u64, mode: String, token: String, challenge: String },
    /// Webhooks still queued for this box (after the ones in flight are acknowledged).
    State { depth: u64 },
}

/// What the box sends up the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Up {
    /// These queued webhooks are durable on the box (or refused for good): delete them.
    Ack { seqs: Vec<u64> },
    /// The answer to a `Down::Verify`: HTTP status and body for Meta.
    Answer { ask: u64, status: u16, body: String },
}

pub fn encode_body(body: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(body)
}

pub fn decode_body(body: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// The relay's path Meta is configured to call for a box's channel.
pub fn hook_path(box_id: u64, company: u64, channel: u64) -> String {
    format!("/hook/{box_id}/{company}/{channel}")
}

/// A new box token: `<box id>.<64 hex digits>` (the id lets the relay find the box's hash).
pub fn new_token(box_id: u64) -> String {
    let secret: [u8; 32] = rand::random();
    format!("{box_id}.{}", hex::encode(secret))
}

/// What the relay stores of a token.
pub fn token_hash(token: &str) -> [u8; 32] {
    sha2::Sha256::digest(token.as_bytes()).into()
}

/// The box id a token names, if it is shaped like one.
pub fn token_box(token: &str) -> Option<u64> {
    let (id, secret) = token.split_once('.')?;
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())).then_some(())?;
    id.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_tokens_name_their_box() {
        let d = Down::Hook { seq: 7, company: 1, channel: 2, signature: "sha256=ab".into(), body: encode_body(b"{}"), received_ms: 5 };
        let text = serde_json::to_string(&d).unwrap();
        assert!(text.starts_with(r#"{"t":"hook""#), "{text}");
        assert_eq!(serde_json::from_str::<Down>(&text).unwrap(), d);
        let up: Up = serde_json::from_str(r#"{"t":"ack","seqs":[1,2]}"#).unwrap();
        assert_eq!(up, Up::Ack { seqs: vec![1, 2] });
        let t = new_token(42);
        assert_eq!(token_box(&t), Some(42));
        assert_ne!(new_token(42), t);
        assert_eq!(token_box("42.short"), None);
        assert_eq!(token_box("x"), None);
        assert_eq!(decode_body(&encode_body(b"\x00\xffraw")).unwrap(), b"\x00\xffraw");
    }
}
