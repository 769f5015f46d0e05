//! The box's side of the relay: one outbound WebSocket to `<relay url>/link`, signed in with
//! the box's token in the `Authorization` header, reconnecting with backoff and jitter. Each
//! webhook that comes down is verified and stored exactly as a direct one
//! (`messaging::check_signature`, `messaging::accept`) and acknowledged only once that
//! transaction is durable; Meta's subscription checks are answered from the channel's verify
//! token. The link's state (connected, last message, the relay's queue depth) is kept in
//! [`LinkState`] for the channels page and the operations page.
//!
//! The relay's address is vetted like every outgoing request (`webhooks::guard::Policy`):
//! the name is resolved here and the connection goes to a vetted address, so loopback and
//! link-local are never reached unless the configuration allows loopback (tests only).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::{Down, Up};
use crate::clock::{Clock, Ts};
use crate::config::RelayConfig;
use crate::error::Error;
use crate::ids::{ChannelId, CompanyId};
use crate::messaging;
use crate::messaging::seal::BoxKey;
use crate::storage::Db;
use crate::webhooks::guard::Policy;

/// The first pause before reconnecting; it doubles per failure up to [`BACKOFF_MAX`].
pub const BACKOFF_START: Duration = Duration::from_millis(250);
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A link that stayed up this long starts the backoff over.
const STABLE: Duration = Duration::from_secs(30);
/// Pings keep NAT mappings open; a relay silent for three of them is taken as gone.
const PING_EVERY: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The link as pages show it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Status {
    /// A relay URL and token are configured.
    pub configured: bool,
    pub url: String,
    pub connected: bool,
    /// Since when connected (or disconnected).
    pub since: Option<Ts>,
    /// When the last webhook came down the link.
    pub last_message: Option<Ts>,
    /// Webhooks the relay still holds for this box, as it last reported.
    pub depth: Option<u64>,
    /// Webhooks received over the link since the server started.
    pub received: u64,
    /// Why the last attempt failed or the link ended.
    pub error: Option<String>,
}

/// The link's state, shared by the link task and the pages.
#[derive(Default)]
pub struct LinkState(Mutex<Status>);

impl LinkState {
    pub fn new(config: &RelayConfig) -> LinkState {
        let configured = config.url.as_deref().is_some_and(|u| !u.is_empty()) && config.token.as_deref().is_some_and(|t| !t.is_empty());
        LinkState(Mutex::new(Status { configured, url: config.url.clone().unwrap_or_default(), ..Status::default() }))
    }

    pub fn status(&self) -> Status {
        self.0.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn update(&self, f: impl FnOnce(&mut Status)) {
        if let Ok(mut s) = self.0.lock() {
            f(&mut s);
        }
    }
}

/// What the link task needs of the box.
#[derive(Clone)]
pub struct LinkCtx {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub box_key: Arc<BoxKey>,
    pub url: String,
    pub token: String,
    pub policy: Policy,
    pub state: Arc<LinkState>,
}

/// Starts the link task; it runs until the handle is aborted (or the runtime ends).
pub fn spawn(ctx: LinkCtx) -> tokio::task::JoinHandle<()> {
    tokio::spawn(run(ctx))
}

/// The pause before attempt `failures + 1`: exponential, capped, with jitter (a random point
/// in the upper half), so boxes cut off together do not come back together.
pub fn backoff(failures: u32) -> Duration {
    let exp = BACKOFF_START.saturating_mul(1u32 << failures.min(16)).min(BACKOFF_MAX);
    let half = exp / 2;
    let jitter_ms = rand::random_range(0..=half.as_millis().max(1) as u64);
    half + Duration::from_millis(jitter_ms)
}

async fn run(ctx: LinkCtx) {
    let mut failures = 0u32;
    loop {
        let started = Instant::now();
        let ended = session(&ctx).await;
        let now = ctx.clock.now();
        ctx.state.update(|s| {
            if s.connected {
                s.since = Some(now);
            }
            s.connected = false;
            s.error = Some(ended.clone());
        });
        tracing::warn!("relay link: {ended}");
        if started.elapsed() >= STABLE {
            failures = 0;
        }
        tokio::time::sleep(backoff(failures)).await;
        failures = failures.saturating_add(1);
    }
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Resolves the relay's host, keeps the addresses the policy allows, connects to the first
/// that answers and opens the WebSocket with the token in the `Authorization` header.
async fn connect(ctx: &LinkCtx) -> Result<Ws, String> {
    let link = format!("{}/link", ctx.url.trim_end_matches('/'));
    let url = reqwest::Url::parse(&link).map_err(|e| format!("relay url: {e}"))?;
    let port = match url.scheme() {
        "wss" => url.port().unwrap_or(443),
        "ws" => url.port().unwrap_or(80),
        other => return Err(format!("relay url: ws:// or wss://, not {other}://")),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("relay url: no user-info".into());
    }
    let host = url.host_str().ok_or("relay url: no host")?.trim_start_matches('[').trim_end_matches(']').to_string();
    let addrs: Vec<SocketAddr> =
        tokio::net::lookup_host((host.as_str(), port)).await.map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    let allowed: Vec<SocketAddr> = addrs.into_iter().filter(|a| ctx.policy.allows(a.ip())).collect();
    if allowed.is_empty() {
        return Err(format!("{host} resolves to no address this box may connect to"));
    }
    let mut last = String::new();
    for addr in allowed {
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                let mut req = link.as_str().into_client_request().map_err(|e| format!("relay url: {e}"))?;
                let auth =
                    format!("Bearer {}", ctx.token).parse().map_err(|_| "the relay token is not a valid header value".to_string())?;
                req.headers_mut().insert("authorization", auth);
                let handshake = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::client_async_tls(req, stream)).await;
                return match handshake {
                    Ok(Ok((ws, _))) => Ok(ws),
                    Ok(Err(tokio_tungstenite::tungstenite::Error::Http(r))) if r.status().as_u16() == 401 => {
                        Err("the relay refused this box's token".into())
                    }
                    Ok(Err(e)) => Err(format!("relay handshake: {e}")),
                    Err(_) => Err("relay handshake timed out".into()),
                };
            }
            Ok(Err(e)) => last = format!("cannot connect to {addr}: {e}"),
            Err(_) => last = format!("cannot connect to {addr}: timed out"),
        }
    }
    Err(last)
}

/// One connected session; returns why it ended.
async fn session(ctx: &LinkCtx) -> String {
    let mut ws = match connect(ctx).await {
        Ok(ws) => ws,
        Err(e) => return e,
    };
    let now = ctx.clock.now();
    ctx.state.update(|s| {
        s.connected = true;
        s.since = Some(now);
        s.error = None;
    });
    tracing::info!(url = %ctx.url, "relay link connected");
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut heard = Instant::now();
    loop {
        tokio::select! {
            frame = ws.next() => {
                heard = Instant::now();
                let text = match frame {
                    Some(Ok(WsMessage::Text(t))) => t,
                    Some(Ok(WsMessage::Close(_))) | None => return "the relay closed the link".into(),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return format!("relay link: {e}"),
                };
                let down: Down = match serde_json::from_str(text.as_str()) {
                    Ok(d) => d,
                    Err(e) => {
                        tracing::warn!("relay link: unreadable frame: {e}");
                        continue;
                    }
                };
                let up = match handle(ctx, down).await {
                    Ok(Some(up)) => up,
                    Ok(None) => continue,
                    Err(e) => return e,
                };
                let Ok(text) = serde_json::to_string(&up) else { continue };
                if let Err(e) = ws.send(WsMessage::Text(text.into())).await {
                    return format!("relay link: {e}");
                }
            }
            _ = ping.tick() => {
                if heard.elapsed() > PING_EVERY * 3 {
                    return "the relay stopped answering".into();
                }
                if let Err(e) = ws.send(WsMessage::Ping(Vec::new().into())).await {
                    return format!("relay link: {e}");
                }
            }
        }
    }
}

/// Handles one frame; an error ends the session without acknowledging (the relay resends).
async fn handle(ctx: &LinkCtx, down: Down) -> Result<Option<Up>, String> {
    match down {
        Down::Hook { seq, company, channel, signature, body, .. } => {
            let Some(body) = super::decode_body(&body) else {
                return Ok(Some(Up::Ack { seqs: vec![seq] }));
            };
            store_hook(ctx, CompanyId(company), ChannelId(channel), signature, body).await?;
            let now = ctx.clock.now();
            ctx.state.update(|s| {
                s.last_message = Some(now);
                s.received += 1;
            });
            Ok(Some(Up::Ack { seqs: vec![seq] }))
        }
        Down::Verify { ask, company, channel, mode, token, challenge } => {
            let answer = ctx.db.read().map_err(Error::from).and_then(|tx| {
                messaging::verify_subscription(&tx, &ctx.box_key, CompanyId(company), ChannelId(channel), &mode, &token, &challenge)
            });
            Ok(Some(match answer {
                Ok(challenge) => Up::Answer { ask, status: 200, body: challenge },
                Err(Error::NotFound) => Up::Answer { ask, status: 404, body: String::new() },
                Err(_) => Up::Answer { ask, status: 403, body: String::new() },
            }))
        }
        Down::State { depth } => {
            ctx.state.update(|s| s.depth = Some(depth));
            Ok(None)
        }
    }
}

/// Verifies and stores one webhook as the direct route does. A body refused for good (bad
/// signature, unknown channel) is dropped and acknowledged; a storage failure is not.
async fn store_hook(ctx: &LinkCtx, c: CompanyId, ch: ChannelId, signature: String, body: Vec<u8>) -> Result<(), String> {
    let checked = ctx.db.read().map_err(Error::from).and_then(|tx| messaging::check_signature(&tx, &ctx.box_key, c, ch, &body, &signature));
    match checked {
        Ok(()) => {}
        Err(Error::Unauthorized) => {
            tracing::warn!(company = c.0, channel = ch.0, "relayed webhook refused: signature does not match");
            return Ok(());
        }
        Err(e) => return Err(format!("cannot read the data file: {e}")),
    }
    let now = ctx.clock.now();
    match ctx.db.write(move |tx| messaging::accept(tx, c, ch, body, now)).await {
        Ok(_) | Err(Error::NotFound) => Ok(()),
        Err(e) => Err(format!("cannot store a relayed webhook: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_its_cap_with_jitter() {
        for f in 0..40 {
            let d = backoff(f);
            let exp = BACKOFF_START.saturating_mul(1u32 << f.min(16)).min(BACKOFF_MAX);
            assert!(d >= exp / 2 && d <= exp, "{f}: {d:?}");
        }
        assert!(backoff(30) <= BACKOFF_MAX);
    }
}
