//! The relay's HTTP surface (`dukan relay`, see `relay`): Meta's webhooks for the registered
//! boxes (`/hook/{box}/{company}/{channel}`, GET check and POST) and the boxes' links
//! (`/link`, a WebSocket signed in with a box token in the `Authorization` header). A POST is
//! answered 200 only once it is durable in the relay's queue; the link sends a box its queue
//! oldest first, at most `relay::server::WINDOW` unacknowledged at a time, and deletes only
//! what the box acknowledges. A link that drops loses nothing: the next one starts over from
//! the oldest queued webhook.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::config::Config;
use crate::relay::server::{Enqueued, Relay, WINDOW, hook_frame};
use crate::relay::{Down, Up};

/// Largest frame a box may send (acks and answers are small).
const MAX_FRAME: usize = 64 * 1024;
/// How often a link looks at its queue even without a wake (a wake taken by a link being
/// replaced is not lost for long).
const SWEEP: Duration = Duration::from_secs(2);
const PING: Duration = Duration::from_secs(20);

pub fn router(relay: Arc<Relay>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/hook/{box_id}/{company}/{channel}",
            get(verify).post(hook).layer(DefaultBodyLimit::max(crate::messaging::WEBHOOK_BODY_LIMIT)),
        )
        .route("/link", get(link))
        .with_state(relay)
}

/// Serves the relay on `listener` until `shutdown` resolves.
pub async fn serve(
    relay: Arc<Relay>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    super::server::serve(router(relay), listener, super::server::Limits::from_config(&Config::default()), shutdown).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Challenge {
    #[serde(rename = "hub.mode", default)]
    mode: String,
    #[serde(rename = "hub.verify_token", default)]
    verify_token: String,
    #[serde(rename = "hub.challenge", default)]
    challenge: String,
}

/// Meta's subscription check, answered by the connected box (503 when none is).
async fn verify(
    State(r): State<Arc<Relay>>,
    Path((box_id, company, channel)): Path<(u64, u64, u64)>,
    Query(q): Query<Challenge>,
) -> Response {
    match r.verify(box_id, company, channel, q.mode, q.verify_token, q.challenge).await {
        Some((status, body)) => (StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN), body).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "the box is not connected to the relay").into_response(),
    }
}

/// Whether a header has the shape of Meta's signature (`sha256=` and 64 hex digits): anything
/// else is refused at once, the box would refuse it anyway.
fn signature_shape(v: &str) -> bool {
    v.strip_prefix("sha256=").is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A webhook POST: queued durably for the box as it came, then 200.
async fn hook(
    State(r): State<Arc<Relay>>,
    Path((box_id, company, channel)): Path<(u64, u64, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let signature = headers.get("x-hub-signature-256").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if !signature_shape(&signature) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match r.receive(box_id, company, channel, signature, body.to_vec()).await {
        Ok(Enqueued::Queued { .. }) => StatusCode::OK.into_response(),
        Ok(Enqueued::UnknownBox) => StatusCode::NOT_FOUND.into_response(),
        Ok(Enqueued::Full) => (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", "60")]).into_response(),
        Err(e) => {
            tracing::error!("relay queue: {e}");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// A box's link: 401 without a valid token.
async fn link(State(r): State<Arc<Relay>>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    match r.authenticate(token.trim()) {
        Ok(Some(box_id)) => {
            let token = token.trim().to_string();
            ws.max_message_size(MAX_FRAME).max_frame_size(MAX_FRAME).on_upgrade(move |socket| session(r, box_id, token, socket))
        }
        Ok(None) => StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => {
            tracing::error!("relay: {e}");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

async fn send(socket: &mut WebSocket, d: &Down) -> bool {
    match serde_json::to_string(d) {
        Ok(text) => socket.send(Message::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

async fn session(r: Arc<Relay>, box_id: u64, token: String, mut socket: WebSocket) {
    let (s, mut asks) = r.attach(box_id);
    // A rotation between the sign-in and the attach: its kick came too early, so the token is
    // checked again now that a later kick would reach this link.
    if !matches!(r.authenticate(&token), Ok(Some(id)) if id == box_id) {
        r.detach(&s);
        return;
    }
    tracing::info!(box_id, "relay: box connected");
    let wake = r.wake_of(box_id);
    let mut next = 0u64;
    let mut inflight: BTreeSet<u64> = BTreeSet::new();
    let mut sweep = tokio::time::interval(SWEEP);
    let mut ping = tokio::time::interval(PING);
    if let Ok(depth) = r.depth(box_id)
        && !send(&mut socket, &Down::State { depth }).await
    {
        r.detach(&s);
        return;
    }
    'link: loop {
        if inflight.len() < WINDOW {
            match r.pending(box_id, next, WINDOW - inflight.len()) {
                Ok(items) => {
                    for q in items {
                        if !send(&mut socket, &hook_frame(&q)).await {
                            break 'link;
                        }
                        inflight.insert(q.seq);
                        next = q.seq + 1;
                    }
                }
                Err(e) => {
                    tracing::error!("relay queue: {e}");
                    break;
                }
            }
        }
        tokio::select! {
            () = wake.notified() => {}
            () = s.replaced.notified() => break,
            _ = sweep.tick() => {}
            Some(d) = asks.recv() => {
                if !send(&mut socket, &d).await {
                    break;
                }
            }
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
            }
            msg = socket.recv() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                let Ok(up) = serde_json::from_str::<Up>(text.as_str()) else {
                    continue;
                };
                if let Up::Ack { seqs } = &up {
                    for q in seqs {
                        inflight.remove(q);
                    }
                }
                match r.from_box(&s, up).await {
                    Ok(Some(depth)) => {
                        if !send(&mut socket, &Down::State { depth }).await {
                            break;
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::error!("relay queue: {e}");
                        break;
                    }
                }
            }
        }
    }
    r.detach(&s);
    tracing::info!(box_id, "relay: box disconnected");
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_signature_shaped_headers_pass() {
        assert!(super::signature_shape(&format!("sha256={}", "a".repeat(64))));
        assert!(!super::signature_shape("sha256=abc"));
        assert!(!super::signature_shape(&format!("sha1={}", "a".repeat(64))));
        assert!(!super::signature_shape(""));
    }
}
