//! The outbox: side effects (backups on request, printing, messages, search indexing,
//! webhooks) are appended as rows in the same write transaction as the business change and
//! drained by workers, which delete a row only after its effect is done.

use serde::{Deserialize, Serialize};

use super::{ReadTx, Record, StorageError, Table, WriteTx};

/// `outbox_job`: job id (box-wide counter, so ascending = oldest first) → job.
pub const OUTBOX: Table<u64, Job> = Table::new("outbox_job");

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    /// The company the effect belongs to (0 for box-level jobs).
    pub company: u64,
    pub kind: JobKind,
    pub created_ms: i64,
    pub attempts: u32,
    /// Not before this instant (backoff after a failure).
    pub not_before_ms: i64,
    pub last_error: Option<String>,
}

impl Record for Job {
    const TYPE: &'static str = "outbox_job.v1";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobKind {
    /// Take a verified backup into the backup folder, recorded under this backup id.
    Backup { backup_id: u64 },
    /// Bring the product into the company's search index as it is now (or drop it when gone).
    IndexProduct { product: u64 },
    /// POST a webhook delivery (its body and target are in the delivery row).
    Webhook { delivery: u64 },
    /// Apply the next chunk of a confirmed product import (the job stays until the last one).
    ImportApply { import: u64 },
    /// Send a queued print job (`printing::store::PRINT_JOBS`) to its printer.
    Print { printer: u64, job: u64 },
    /// Queue a checked-out sale's receipt on every printer of its cash box (pushed by checkout;
    /// the print worker fans it out into `Print` jobs, see `printing::fan_out`).
    Receipt { sale: u64 },
    /// Queue a closed shift's Z report on every printer of its cash box (pushed by the close).
    ZReport { shift: u64 },
    /// Process a verified WhatsApp webhook body (`messaging::store::INBOUND`).
    MessagingInbound { event: u64 },
    /// Send an outbound message through Meta's Cloud API.
    MessagingSend { conversation: u64, message: u64 },
    /// Send the company's PLU list to a label scale (`scales::label`); pushed when a weighed
    /// product changes, on "sync now" and for a new scale. Retried with backoff while the
    /// scale is unreachable.
    LabelSync { scale: u64 },
    /// Send a queued e-mail (`messaging::mail::store::MAILS`) over SMTP; transient failures
    /// back off and retry, a permanent refusal fails the mail.
    Mail { mail: u64 },
}

impl JobKind {
    pub fn worker(&self) -> &'static str {
        match self {
            JobKind::Backup { .. } => "backup",
            JobKind::IndexProduct { .. } => "search",
            JobKind::Webhook { .. } => "webhook",
            JobKind::ImportApply { .. } => "import",
            JobKind::Print { .. } | JobKind::Receipt { .. } | JobKind::ZReport { .. } => "print",
            JobKind::MessagingInbound { .. } | JobKind::MessagingSend { .. } => "messaging",
            JobKind::LabelSync { .. } => "label_sync",
            JobKind::Mail { .. } => "mail",
        }
    }
}

/// Appends a job. Once the transaction is durable, `Db` wakes the workers by itself.
pub fn push(tx: &mut WriteTx, company: u64, kind: JobKind, now_ms: i64) -> Result<u64, StorageError> {
    tx.pushed_outbox = true;
    let id = tx.next_id()?;
    let job = Job { company, kind, created_ms: now_ms, attempts: 0, not_before_ms: now_ms, last_error: None };
    tx.insert(OUTBOX, id, &job)?;
    Ok(id)
}

/// Makes the waiting jobs of exactly this kind and company due now (a person pressed "sync
/// now" while the job was backing off); returns how many. The workers are woken on commit.
pub fn hurry(tx: &mut WriteTx, company: u64, kind: &JobKind, now_ms: i64) -> Result<u64, StorageError> {
    let mut waiting = Vec::new();
    tx.range(OUTBOX, 0, u64::MAX, false, usize::MAX, |id, job| {
        if job.company == company && &job.kind == kind && job.not_before_ms > now_ms {
            waiting.push((id, job));
        }
        Ok(true)
    })?;
    for (id, mut job) in waiting.iter().cloned() {
        job.not_before_ms = now_ms;
        tx.insert(OUTBOX, id, &job)?;
    }
    if !waiting.is_empty() {
        tx.pushed_outbox = true;
    }
    Ok(waiting.len() as u64)
}

/// Jobs for `worker` that are due, oldest first.
pub fn due(tx: &ReadTx, worker: &str, now_ms: i64, limit: usize) -> Result<Vec<(u64, Job)>, StorageError> {
    let mut out = Vec::new();
    tx.range(OUTBOX, 0, u64::MAX, false, usize::MAX, |id, job| {
        if job.kind.worker() == worker && job.not_before_ms <= now_ms {
            out.push((id, job));
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// One worker's queue as the operations page shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Queue {
    pub worker: &'static str,
    pub pending: u64,
    /// Jobs that failed at least once and wait for their next attempt.
    pub retrying: u64,
    pub oldest_ms: Option<i64>,
    /// The error of the most recent failed job.
    pub last_error: Option<String>,
}

/// Waiting jobs per worker, reading at most `cap` rows (the outbox is normally near empty; a
/// stuck one is summarised from its oldest `cap` jobs, and `complete` says so).
pub fn queues(tx: &ReadTx, cap: usize) -> Result<(Vec<Queue>, bool), StorageError> {
    let mut out: Vec<Queue> = Vec::new();
    let mut seen = 0usize;
    tx.range(OUTBOX, 0, u64::MAX, false, cap, |_, job| {
        seen += 1;
        let worker = job.kind.worker();
        let i = match out.iter().position(|q| q.worker == worker) {
            Some(i) => i,
            None => {
                out.push(Queue { worker, ..Queue::default() });
                out.len() - 1
            }
        };
        let q = &mut out[i];
        q.pending += 1;
        q.oldest_ms = Some(q.oldest_ms.map_or(job.created_ms, |o| o.min(job.created_ms)));
        if job.attempts > 0 {
            q.retrying += 1;
            q.last_error = job.last_error.clone();
        }
        Ok(true)
    })?;
    out.sort_by_key(|q| q.worker);
    Ok((out, seen < cap))
}

pub fn pending(tx: &ReadTx) -> Result<u64, StorageError> {
    tx.len(OUTBOX)
}

/// Records a failed attempt with exponential backoff (capped at 10 minutes).
pub fn failed(tx: &mut WriteTx, id: u64, error: String, now_ms: i64) -> Result<(), StorageError> {
    if let Some(mut job) = tx.get(OUTBOX, id)? {
        job.attempts += 1;
        let backoff = 1_000i64.saturating_mul(1 << job.attempts.min(10)).min(600_000);
        job.not_before_ms = now_ms + backoff;
        job.last_error = Some(error);
        tx.insert(OUTBOX, id, &job)?;
    }
    Ok(())
}

pub fn done(tx: &mut WriteTx, id: u64) -> Result<(), StorageError> {
    tx.remove(OUTBOX, id)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::storage::{Db, Hooks, Table};

    const ROWS: Table<u64, u64> = Table::new("outbox_test_rows");

    /// Waits for the next wake-up, or fails after a generous timeout.
    async fn woken(rx: &mut tokio::sync::watch::Receiver<u64>) -> bool {
        tokio::time::timeout(Duration::from_secs(10), rx.changed()).await.is_ok_and(|r| r.is_ok())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_durable_write_that_pushes_a_job_wakes_a_waiting_worker_by_itself() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb"), 1 << 20, &[], Hooks::default()).unwrap();
        let mut rx = db.outbox_wakeups();

        // A write without outbox rows wakes nobody.
        db.write(|tx| tx.insert(ROWS, 1, &1)).await.unwrap();
        assert!(!rx.has_changed().unwrap(), "no outbox row, no wake-up");

        // A worker already waiting when the job is pushed (group commit path).
        let waiter = {
            let mut rx = rx.clone();
            tokio::spawn(async move { woken(&mut rx).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        db.write(|tx| push(tx, 7, JobKind::IndexProduct { product: 1 }, 0)).await.unwrap();
        assert!(waiter.await.unwrap(), "the waiting worker woke");
        assert!(woken(&mut rx).await, "a worker that was busy sees it at its next wait");

        // The batched path (checkouts) wakes them too.
        db.write_batched(|tx| push(tx, 7, JobKind::Receipt { sale: 2 }, 0)).await.unwrap();
        assert!(woken(&mut rx).await);

        // A refused operation's job is never committed, so it wakes nobody.
        let refused = db
            .write_batched(|tx| -> Result<(), StorageError> {
                push(tx, 7, JobKind::Receipt { sale: 3 }, 0)?;
                Err(StorageError::BatchFailed("refused".into()))
            })
            .await;
        assert!(refused.is_err());
        assert!(!rx.has_changed().unwrap());
        assert_eq!(pending(&db.read().unwrap()).unwrap(), 2);
    }
}
