//! The relay's own data file (`dukan relay --data FILE`, never a box's data file): the boxes
//! registered with it and each box's queue of webhooks. Every key starts with the box id, the
//! relay's tenant. These tables are not in the box schema (`schema.rs`): no box file holds
//! them. `enqueue` and `ack` are the one write path of a queue and keep the box's depth.

use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::storage::{Read, Record, StorageError, Table, WriteTx};

/// Box id → the box: name, token hash, queue depth (a projection of `QUEUE`).
pub const BOXES: Table<u64, RelayBox> = Table::new("relaybox_relaybox");
/// (box id, sequence) → a webhook waiting for the box's acknowledgement, oldest first.
pub const QUEUE: Table<(u64, u64), Queued> = Table::new("relaybox_seq_queuedhook");

/// Webhooks a box may have waiting; beyond that Meta is answered 503 and retries later.
pub const MAX_DEPTH: u64 = 200_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RelayBox {
    pub id: u64,
    pub name: String,
    /// SHA-256 of the box's token; the token itself is shown once, when made.
    pub token_hash: Vec<u8>,
    pub depth: u64,
    pub created: Ts,
    pub rotated: Ts,
}

impl Record for RelayBox {
    const TYPE: &'static str = "relay_box.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Queued {
    pub seq: u64,
    pub company: u64,
    pub channel: u64,
    /// `X-Hub-Signature-256` as Meta sent it.
    pub signature: String,
    /// The body's raw bytes, exactly as they came.
    pub body: Vec<u8>,
    pub received: Ts,
}

impl Record for Queued {
    const TYPE: &'static str = "relay_queued.v1";
}

/// Registers a box; returns its id and its token (shown once).
pub fn add_box(tx: &mut WriteTx, name: &str, now: Ts) -> Result<(u64, String), StorageError> {
    let id = tx.next_id()?;
    let token = super::new_token(id);
    let b = RelayBox {
        id,
        name: name.trim().chars().take(100).collect(),
        token_hash: super::token_hash(&token).to_vec(),
        depth: 0,
        created: now,
        rotated: now,
    };
    tx.insert(BOXES, id, &b)?;
    Ok((id, token))
}

/// Gives a box a new token; the old one is refused from now on. None: no such box.
pub fn rotate(tx: &mut WriteTx, id: u64, now: Ts) -> Result<Option<String>, StorageError> {
    let Some(mut b) = tx.get(BOXES, id)? else {
        return Ok(None);
    };
    let token = super::new_token(id);
    b.token_hash = super::token_hash(&token).to_vec();
    b.rotated = now;
    tx.insert(BOXES, id, &b)?;
    Ok(Some(token))
}

pub fn boxes(tx: &impl Read) -> Result<Vec<RelayBox>, StorageError> {
    Ok(tx.list(BOXES, 0, u64::MAX, usize::MAX)?.into_iter().map(|(_, b)| b).collect())
}

pub fn get_box(tx: &impl Read, id: u64) -> Result<Option<RelayBox>, StorageError> {
    tx.get(BOXES, id)
}

/// The box a token signs in, compared in constant time against the stored hash.
pub fn authenticate(tx: &impl Read, token: &str) -> Result<Option<u64>, StorageError> {
    let Some(id) = super::token_box(token) else {
        return Ok(None);
    };
    let Some(b) = tx.get(BOXES, id)? else {
        return Ok(None);
    };
    let given = super::token_hash(token);
    let same: bool = subtle::ConstantTimeEq::ct_eq(given.as_slice(), b.token_hash.as_slice()).into();
    Ok(same.then_some(id))
}

/// What queuing a webhook came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enqueued {
    Queued { seq: u64, depth: u64 },
    UnknownBox,
    Full,
}

/// Queues one webhook for a box.
pub fn enqueue(
    tx: &mut WriteTx,
    box_id: u64,
    company: u64,
    channel: u64,
    signature: &str,
    body: Vec<u8>,
    now: Ts,
) -> Result<Enqueued, StorageError> {
    let Some(mut b) = tx.get(BOXES, box_id)? else {
        return Ok(Enqueued::UnknownBox);
    };
    if b.depth >= MAX_DEPTH {
        return Ok(Enqueued::Full);
    }
    let seq = tx.next_id()?;
    tx.insert(QUEUE, (box_id, seq), &Queued { seq, company, channel, signature: signature.to_string(), body, received: now })?;
    b.depth += 1;
    tx.insert(BOXES, box_id, &b)?;
    Ok(Enqueued::Queued { seq, depth: b.depth })
}

/// Up to `limit` queued webhooks of a box with `seq >= from`, oldest first.
pub fn pending(tx: &impl Read, box_id: u64, from: u64, limit: usize) -> Result<Vec<Queued>, StorageError> {
    Ok(tx.list(QUEUE, (box_id, from), (box_id, u64::MAX), limit)?.into_iter().map(|(_, q)| q).collect())
}

/// Deletes acknowledged webhooks (unknown or already deleted sequences are ignored); returns
/// the box's depth after.
pub fn ack(tx: &mut WriteTx, box_id: u64, seqs: &[u64]) -> Result<u64, StorageError> {
    let Some(mut b) = tx.get(BOXES, box_id)? else {
        return Ok(0);
    };
    let mut removed = 0;
    for &s in seqs {
        if tx.remove(QUEUE, (box_id, s))? {
            removed += 1;
        }
    }
    if removed > 0 {
        b.depth = b.depth.saturating_sub(removed);
        tx.insert(BOXES, box_id, &b)?;
    }
    Ok(b.depth)
}

/// Each box's stored depth against its queue (the relay's consistency check, run at start).
pub fn verify(tx: &impl Read) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    for b in boxes(tx)? {
        let mut n = 0u64;
        tx.range(QUEUE, (b.id, 0), (b.id, u64::MAX), false, usize::MAX, |_, _| {
            n += 1;
            Ok(true)
        })?;
        if n != b.depth {
            problems.push(format!("relay: box {} has {n} queued webhooks, {} counted", b.id, b.depth));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Db, Hooks};

    #[test]
    fn a_queue_keeps_its_depth_and_tokens_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("relay.redb"), 1 << 20, &[], Hooks::default()).unwrap();
        let (id, token) = db.write_blocking(|tx| add_box(tx, "Магазин", Ts(1))).unwrap();
        assert_eq!(authenticate(&db.read().unwrap(), &token).unwrap(), Some(id));
        assert_eq!(authenticate(&db.read().unwrap(), &format!("{id}.{}", "0".repeat(64))).unwrap(), None);
        let mut seqs = Vec::new();
        for i in 0..5u8 {
            let e = db.write_blocking(|tx| enqueue(tx, id, 1, 2, "sha256=x", vec![i], Ts(2))).unwrap();
            let Enqueued::Queued { seq, depth } = e else { panic!("{e:?}") };
            assert_eq!(depth, u64::from(i) + 1);
            seqs.push(seq);
        }
        assert_eq!(db.write_blocking(|tx| enqueue(tx, id + 1000, 1, 2, "", vec![], Ts(2))).unwrap(), Enqueued::UnknownBox);
        let got = pending(&db.read().unwrap(), id, seqs[2], 10).unwrap();
        assert_eq!(got.iter().map(|q| q.body[0]).collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!(db.write_blocking(|tx| ack(tx, id, &[seqs[0], seqs[1], seqs[1], 999_999])).unwrap(), 3);
        assert!(verify(&db.read().unwrap()).unwrap().is_empty());
        let new = db.write_blocking(|tx| rotate(tx, id, Ts(3))).unwrap().unwrap();
        assert_eq!(authenticate(&db.read().unwrap(), &token).unwrap(), None, "the old token is refused");
        assert_eq!(authenticate(&db.read().unwrap(), &new).unwrap(), Some(id));
    }
}
