//! The relay's side (`dukan relay`): its queue file, which box is connected now, and the
//! subscription checks waiting for a box's answer. The HTTP routes and the WebSocket session
//! loop that use it live in `http::relay` (the only axum importer).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};

pub use super::store::Enqueued;
use super::store::{self, Queued};
use super::{Down, Up};
use crate::clock::Clock;
use crate::storage::{Db, Hooks, StorageError};

/// How long Meta's subscription check waits for the box's answer.
pub const VERIFY_WAIT: Duration = Duration::from_secs(10);

/// Webhooks sent down a link and not yet acknowledged, at most.
pub const WINDOW: usize = 256;

pub struct Relay {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    links: Mutex<HashMap<u64, Arc<Session>>>,
    wakes: Mutex<HashMap<u64, Arc<Notify>>>,
    next_conn: AtomicU64,
    next_ask: AtomicU64,
}

/// One box's connected link.
pub struct Session {
    pub box_id: u64,
    pub conn: u64,
    /// Frames other tasks want sent down this link (subscription checks).
    out: mpsc::Sender<Down>,
    asks: Mutex<HashMap<u64, oneshot::Sender<(u16, String)>>>,
    /// Notified when a newer link of the same box replaced this one.
    pub replaced: Notify,
}

impl Relay {
    /// Opens (or creates) the relay's file. A box's data file is refused (it is of a newer
    /// schema version than the relay's, which has no migrations).
    pub fn open(path: &Path, clock: Arc<dyn Clock>) -> Result<Relay, StorageError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::storage::private::create_dir(dir)?;
        }
        let db = Db::open(path, 32 << 20, &[], Hooks::default())?;
        for p in store::verify(&db.read()?)? {
            tracing::warn!("{p}");
        }
        Ok(Relay { db, clock, links: Mutex::default(), wakes: Mutex::default(), next_conn: AtomicU64::new(1), next_ask: AtomicU64::new(1) })
    }

    /// The signal a box's link waits on for new webhooks.
    pub fn wake_of(&self, box_id: u64) -> Arc<Notify> {
        let mut w = self.wakes.lock().unwrap_or_else(|p| p.into_inner());
        w.entry(box_id).or_default().clone()
    }

    /// Queues a webhook durably, then wakes the box's link.
    pub async fn receive(
        &self,
        box_id: u64,
        company: u64,
        channel: u64,
        signature: String,
        body: Vec<u8>,
    ) -> Result<Enqueued, StorageError> {
        let now = self.clock.now();
        let e = self.db.write(move |tx| store::enqueue(tx, box_id, company, channel, &signature, body, now)).await?;
        if matches!(e, Enqueued::Queued { .. }) {
            self.wake_of(box_id).notify_one();
        }
        Ok(e)
    }

    pub fn authenticate(&self, token: &str) -> Result<Option<u64>, StorageError> {
        store::authenticate(&self.db.read()?, token)
    }

    /// Registers a box's new link, replacing (and ending) the one it had.
    pub fn attach(&self, box_id: u64) -> (Arc<Session>, mpsc::Receiver<Down>) {
        let (out, rx) = mpsc::channel(16);
        let s = Arc::new(Session {
            box_id,
            conn: self.next_conn.fetch_add(1, Ordering::Relaxed),
            out,
            asks: Mutex::default(),
            replaced: Notify::new(),
        });
        let old = self.links.lock().unwrap_or_else(|p| p.into_inner()).insert(box_id, s.clone());
        if let Some(old) = old {
            old.replaced.notify_one();
        }
        (s, rx)
    }

    /// Forgets a link that ended, unless a newer one already replaced it.
    pub fn detach(&self, s: &Session) {
        let mut links = self.links.lock().unwrap_or_else(|p| p.into_inner());
        if links.get(&s.box_id).is_some_and(|cur| cur.conn == s.conn) {
            links.remove(&s.box_id);
        }
    }

    /// Ends a box's current link (it reconnects by itself): for token rotation and tests.
    pub fn kick(&self, box_id: u64) {
        if let Some(s) = self.links.lock().unwrap_or_else(|p| p.into_inner()).get(&box_id) {
            s.replaced.notify_one();
        }
    }

    pub fn connected(&self, box_id: u64) -> bool {
        self.links.lock().unwrap_or_else(|p| p.into_inner()).contains_key(&box_id)
    }

    /// Asks the connected box to answer Meta's subscription check. None: no box connected
    /// or no answer in time.
    pub async fn verify(
        &self,
        box_id: u64,
        company: u64,
        channel: u64,
        mode: String,
        token: String,
        challenge: String,
    ) -> Option<(u16, String)> {
        let s = self.links.lock().unwrap_or_else(|p| p.into_inner()).get(&box_id).cloned()?;
        let ask = self.next_ask.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        s.asks.lock().unwrap_or_else(|p| p.into_inner()).insert(ask, tx);
        let sent = s.out.send(Down::Verify { ask, company, channel, mode, token, challenge }).await;
        let answer = match sent {
            Ok(()) => tokio::time::timeout(VERIFY_WAIT, rx).await.ok().and_then(Result::ok),
            Err(_) => None,
        };
        s.asks.lock().unwrap_or_else(|p| p.into_inner()).remove(&ask);
        answer
    }

    /// Handles one frame from a box: deletes acknowledged webhooks (returns the depth after)
    /// or hands an answer to the waiting subscription check.
    pub async fn from_box(&self, s: &Session, up: Up) -> Result<Option<u64>, StorageError> {
        match up {
            Up::Ack { seqs } => {
                let box_id = s.box_id;
                let depth = self.db.write(move |tx| store::ack(tx, box_id, &seqs)).await?;
                Ok(Some(depth))
            }
            Up::Answer { ask, status, body } => {
                if let Some(tx) = s.asks.lock().unwrap_or_else(|p| p.into_inner()).remove(&ask) {
                    let _ = tx.send((status, body.chars().take(500).collect()));
                }
                Ok(None)
            }
        }
    }

    pub fn pending(&self, box_id: u64, from: u64, limit: usize) -> Result<Vec<Queued>, StorageError> {
        store::pending(&self.db.read()?, box_id, from, limit)
    }

    pub fn depth(&self, box_id: u64) -> Result<u64, StorageError> {
        Ok(store::get_box(&self.db.read()?, box_id)?.map_or(0, |b| b.depth))
    }
}

/// The frame that carries a queued webhook down the link.
pub fn hook_frame(q: &Queued) -> Down {
    Down::Hook {
        seq: q.seq,
        company: q.company,
        channel: q.channel,
        signature: q.signature.clone(),
        body: super::encode_body(&q.body),
        received_ms: q.received.0,
    }
}
