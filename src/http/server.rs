//! The accept loop: HTTP/1.1 connections served by hyper, so that slow or idle clients cannot
//! hold the box.
//!
//! - A client has `header_timeout_secs` to send a request's headers; hyper restarts that
//!   clock while a keep-alive connection waits for its next request, so it is also the idle
//!   limit.
//! - At most `max_connections` connections are open at once, plus `LOOPBACK_RESERVE` for
//!   this machine (the supervisor's `/healthz`). A connection over the cap closes the oldest
//!   connection that has no request in flight (an idle keep-alive, a half-sent header); when
//!   every connection is busy, the new one is closed at once.
//! - A request body that pauses `body_timeout_secs` between two reads, or averages less than
//!   `body_min_rate_kb` KiB/s after its first `body_timeout_secs`, fails with `TooSlow`, which
//!   handlers answer with 408; hyper then closes the connection.
//! - `raise_fd_limit` lifts the soft file-descriptor limit to the hard one at start.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::{Body as HttpBody, Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

use crate::config::Config;

/// Connections from this machine may exceed the cap by this many.
pub const LOOPBACK_RESERVE: usize = 8;

/// File descriptors kept free for the data file, search indexes, backups and logs.
const SPARE_FDS: u64 = 64;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_gap: Duration,
    pub body_min_rate: u64,
}

impl Limits {
    /// The configured limits, with the cap kept below the process's file limit.
    pub fn from_config(c: &Config) -> Limits {
        let mut max_connections = c.max_connections.max(1);
        if let Some((soft, _)) = fd_limits()
            && soft < max_connections as u64 + LOOPBACK_RESERVE as u64 + SPARE_FDS
        {
            let clamped = soft.saturating_sub(LOOPBACK_RESERVE as u64 + SPARE_FDS).max(1) as usize;
            tracing::warn!(configured = max_connections, clamped, file_limit = soft, "max_connections lowered below the file limit");
            max_connections = clamped;
        }
        Limits {
            max_connections,
            header_timeout: Duration::from_secs(c.header_timeout_secs.max(1)),
            body_gap: Duration::from_secs(c.body_timeout_secs.max(1)),
            body_min_rate: c.body_min_rate_kb * 1024,
        }
    }
}

/// The soft and hard limits on open files, where the platform tells.
#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every Linux target
pub fn fd_limits() -> Option<(u64, u64)> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the struct it is given and reads nothing else.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    (rc == 0).then_some((lim.rlim_cur as u64, lim.rlim_max as u64))
}

#[cfg(not(target_os = "linux"))]
pub fn fd_limits() -> Option<(u64, u64)> {
    None
}

/// Raises the soft limit on open files to the hard limit; returns (before, after) soft limits.
#[cfg(target_os = "linux")]
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 on every Linux target
pub fn raise_fd_limit() -> Option<(u64, u64)> {
    let (soft, hard) = fd_limits()?;
    if soft >= hard {
        return Some((soft, soft));
    }
    let lim = libc::rlimit { rlim_cur: hard as libc::rlim_t, rlim_max: hard as libc::rlim_t };
    // SAFETY: setrlimit only reads the struct it is given.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
    Some((soft, if rc == 0 { hard } else { soft }))
}

#[cfg(not(target_os = "linux"))]
pub fn raise_fd_limit() -> Option<(u64, u64)> {
    None
}

/// The open connections, oldest first.
struct Slots {
    max: usize,
    next: AtomicUsize,
    open: Mutex<BTreeMap<usize, Arc<Conn>>>,
    emptied: tokio::sync::Notify,
}

/// One open connection: requests in flight, and the signal that it must make room.
struct Conn {
    busy: AtomicUsize,
    evicted: tokio::sync::Notify,
}

/// Removes its connection from the open set when the connection's task ends.
struct Slot {
    id: usize,
    conn: Arc<Conn>,
    slots: Arc<Slots>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|p| p.into_inner());
        open.remove(&self.id);
        if open.is_empty() {
            self.slots.emptied.notify_waiters();
        }
    }
}

impl Slots {
    fn admit(self: &Arc<Self>, loopback: bool) -> Option<Slot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        // Room is made at the cap; the reserve is only for this machine, when nothing is idle.
        let cap = self.max + if loopback { LOOPBACK_RESERVE } else { 0 };
        while open.len() >= self.max {
            let idle = open.iter().find(|(_, c)| c.busy.load(Ordering::Acquire) == 0).map(|(id, _)| *id);
            match idle.and_then(|id| open.remove(&id)) {
                Some(victim) => victim.evicted.notify_one(),
                None if open.len() < cap => break,
                None => return None,
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn { busy: AtomicUsize::new(0), evicted: tokio::sync::Notify::new() });
        open.insert(id, conn.clone());
        Some(Slot { id, conn, slots: self.clone() })
    }

    fn is_empty(&self) -> bool {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).is_empty()
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish.
pub async fn serve(
    router: Router,
    listener: tokio::net::TcpListener,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Slots {
        max: limits.max_connections,
        next: AtomicUsize::new(0),
        open: Mutex::new(BTreeMap::new()),
        emptied: tokio::sync::Notify::new(),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    // Headers of at most 64 KiB (hyper's default buffer is ~400 KiB per connection).
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_buf_size(64 * 1024);
    let http = Arc::new(http);
    let (closing, _) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = slots.admit(peer.ip().to_canonical().is_loopback()) else {
            tracing::debug!(%peer, "every connection is busy; closing a new one");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let (router, http, closing) = (router.clone(), http.clone(), closing.subscribe());
        tokio::spawn(serve_connection(stream, peer, router, http, limits, slot, closing));
    }
    drop(listener);
    let _ = closing.send(true);
    loop {
        let emptied = slots.emptied.notified();
        if slots.is_empty() {
            return Ok(());
        }
        emptied.await;
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    router: Router,
    http: Arc<hyper::server::conn::http1::Builder>,
    limits: Limits,
    slot: Slot,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let slot = Arc::new(slot);
    let (conn, hold) = (slot.conn.clone(), slot.clone());
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let busy = Busy::enter(conn.clone());
        let mut req = req.map(|body| Body::new(Paced::new(body, limits)));
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut().insert(UpgradeHold(hold.clone()));
        let router = router.clone();
        async move {
            let resp = router.oneshot(req).await;
            // The connection stays busy until the response body has been sent.
            resp.map(|r| r.map(|body| Body::new(Held { body, _busy: busy })))
        }
    });
    // Upgrades (the label-scale agent's WebSocket) hand the socket over once answered.
    let served = http.serve_connection(TokioIo::new(stream), service).with_upgrades();
    tokio::pin!(served);
    let mut shutting_down = false;
    loop {
        tokio::select! {
            done = served.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(%peer, error = %e, "connection ended");
                }
                break;
            }
            () = slot.conn.evicted.notified() => {
                if slot.conn.busy.load(Ordering::Acquire) == 0 {
                    break;
                }
                served.as_mut().graceful_shutdown();
            }
            changed = closing.changed(), if !shutting_down => {
                shutting_down = true;
                if changed.is_ok() {
                    served.as_mut().graceful_shutdown();
                }
            }
        }
    }
    drop(slot);
}

/// What a WebSocket handler keeps for as long as its socket lives. hyper hands an upgraded
/// socket over after the 101 and the connection's own task ends; without this the socket would
/// no longer count against `max_connections`, and could be evicted as idle without closing.
#[derive(Clone)]
pub struct UpgradeHold(Arc<Slot>);

impl UpgradeHold {
    /// Counts the upgraded socket open and busy until the returned guard drops.
    pub fn keep(self) -> Upgraded {
        let busy = Busy::enter(self.0.conn.clone());
        Upgraded { _slot: self.0, _busy: busy }
    }
}

/// See [`UpgradeHold::keep`].
pub struct Upgraded {
    _slot: Arc<Slot>,
    _busy: Busy,
}

/// Counts a request in flight on its connection while alive.
struct Busy(Arc<Conn>);

impl Busy {
    fn enter(conn: Arc<Conn>) -> Busy {
        conn.busy.fetch_add(1, Ordering::AcqRel);
        Busy(conn)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its connection counted busy until it is sent or dropped.
struct Held {
    body: Body,
    _busy: Busy,
}

impl HttpBody for Held {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The error of a request body that paused too long or came too slowly.
#[derive(Debug, thiserror::Error)]
#[error("request body too slow")]
pub struct TooSlow;

/// A request body held to a pace: the clock starts when the handler first reads it.
struct Paced {
    body: Incoming,
    limits: Limits,
    started: Option<Instant>,
    read: u64,
    pause: Pin<Box<Sleep>>,
}

impl Paced {
    fn new(body: Incoming, limits: Limits) -> Paced {
        Paced { body, limits, started: None, read: 0, pause: Box::pin(tokio::time::sleep(limits.body_gap)) }
    }
}

impl HttpBody for Paced {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        let now = Instant::now();
        let started = *this.started.get_or_insert_with(|| {
            this.pause.as_mut().reset(now + this.limits.body_gap);
            now
        });
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.read += data.len() as u64;
                }
                let late = now.duration_since(started).saturating_sub(this.limits.body_gap);
                if (this.read as f64) < this.limits.body_min_rate as f64 * late.as_secs_f64() {
                    return Poll::Ready(Some(Err(Box::new(TooSlow))));
                }
                this.pause.as_mut().reset(now + this.limits.body_gap);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(Box::new(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match this.pause.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(TooSlow)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Whether a body error (however wrapped) came from `TooSlow`.
pub fn is_too_slow(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<TooSlow>() {
            return true;
        }
        cur = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(max: usize) -> Arc<Slots> {
        Arc::new(Slots { max, next: AtomicUsize::new(0), open: Mutex::new(BTreeMap::new()), emptied: tokio::sync::Notify::new() })
    }

    /// An upgraded socket outlives its connection's task: it stays counted, and busy, so it
    /// neither frees a slot nor is picked as an idle victim.
    #[test]
    fn an_upgraded_socket_keeps_its_slot_until_it_closes() {
        let s = slots(1);
        let slot = Arc::new(s.admit(false).expect("first"));
        let socket = UpgradeHold(slot.clone()).keep();
        drop(slot); // the connection's task ends after the 101
        assert_eq!(s.open.lock().expect("lock").len(), 1, "still counted");
        assert!(s.admit(false).is_none(), "not evicted as idle: the cap holds");
        drop(socket);
        assert!(s.is_empty());
        assert!(s.admit(false).is_some());
    }

    #[test]
    fn the_cap_closes_the_oldest_idle_connection_and_keeps_a_reserve_for_loopback() {
        let s = slots(2);
        let a = s.admit(false).expect("first");
        let b = s.admit(false).expect("second");
        a.conn.busy.store(1, Ordering::Release);
        // At the cap: the oldest idle one (b) makes room, the busy one (a) stays.
        let c = s.admit(false).expect("third");
        assert_eq!(s.open.lock().map(|o| o.keys().copied().collect::<Vec<_>>()).ok(), Some(vec![a.id, c.id]));
        c.conn.busy.store(1, Ordering::Release);
        // Every connection busy: one from elsewhere is refused, loopback uses the reserve.
        assert!(s.admit(false).is_none());
        let local: Vec<Slot> = (0..LOOPBACK_RESERVE)
            .map(|_| {
                let l = s.admit(true).expect("reserve");
                l.conn.busy.store(1, Ordering::Release);
                l
            })
            .collect();
        assert_eq!(s.open.lock().map(|o| o.len()).ok(), Some(2 + LOOPBACK_RESERVE));
        assert!(s.admit(true).is_none(), "the reserve is bounded too");
        drop(b);
        drop(local);
        assert_eq!(s.open.lock().map(|o| o.len()).ok(), Some(2));
    }

    #[test]
    fn too_slow_is_found_through_wrapping() {
        let wrapped = axum::Error::new(axum::Error::new(TooSlow));
        assert!(is_too_slow(&wrapped));
        assert!(!is_too_slow(&axum::Error::new(std::io::Error::other("reset"))));
    }
}
