//! Batched writes: many small business operations (checkouts) share one durable redb
//! transaction, so the per-commit cost (dirty pages written, checksums, the fsync) is paid once
//! per batch instead of once per operation.
//!
//! The contract is still "one operation, all or nothing": when an operation fails, the whole
//! batch transaction is aborted and the batch runs again without it, so nothing a failed
//! operation wrote is ever committed. That is why a batched operation is `FnMut` and must be a
//! pure function of the transaction it is given (and of what it captured): it may run more than
//! once, and only its last run counts. Callers hear of success only after the batch's durable
//! commit.
//!
//! There is no writer thread: the first caller to find no batch running becomes the leader on a
//! blocking thread and keeps committing batches until the queue is empty.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;

use super::{Db, StorageError, WriteTx};

/// The most operations one batch transaction takes; more wait for the next batch.
const MAX_BATCH: usize = 128;

/// One queued operation with its reply channel, type-erased.
trait Queued: Send {
    /// Runs the operation; `false` when it failed (its error is kept for [`Queued::finish`]).
    fn run(&mut self, tx: &mut WriteTx) -> bool;
    /// Sends the result of the last run, or `commit_failed` when the batch did not commit.
    fn finish(self: Box<Self>, commit_failed: Option<String>);
}

struct Op<T, E, F> {
    f: F,
    out: Option<Result<T, E>>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<T, E, F> Queued for Op<T, E, F>
where
    T: Send,
    E: From<StorageError> + Send,
    F: FnMut(&mut WriteTx) -> Result<T, E> + Send,
{
    fn run(&mut self, tx: &mut WriteTx) -> bool {
        let f = &mut self.f;
        let out = match catch_unwind(AssertUnwindSafe(|| f(tx))) {
            Ok(out) => out,
            Err(_) => Err(E::from(StorageError::Panicked)),
        };
        let ok = out.is_ok();
        self.out = Some(out);
        ok
    }

    fn finish(self: Box<Self>, commit_failed: Option<String>) {
        let result = match (commit_failed, self.out) {
            (Some(why), _) => Err(E::from(StorageError::BatchFailed(why))),
            (None, Some(out)) => out,
            (None, None) => Err(E::from(StorageError::BatchFailed("the operation never ran".into()))),
        };
        // The caller may have gone away (client disconnected); the commit stands regardless.
        let _ = self.reply.send(result);
    }
}

#[derive(Default)]
pub(super) struct Queue {
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    ops: Vec<Box<dyn Queued>>,
    leading: bool,
    batches: u64,
    ops_done: u64,
}

/// Clears `leading` if the leader unwinds, so a panic cannot wedge every later writer. (A
/// leader that finds the queue empty clears it itself, under the same lock, so no operation is
/// ever queued with nobody to run it.)
struct Leading<'a>(&'a Queue);

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Ok(mut st) = self.0.state.lock()
        {
            st.leading = false;
        }
    }
}

impl Db {
    /// Runs `f` as one all-or-nothing operation inside a shared, durable batch transaction (see
    /// the module notes of `storage::batch`). `f` may run more than once and must depend only on
    /// the transaction and what it captured. Returns once the batch is durable.
    pub async fn write_batched<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
        F: FnMut(&mut WriteTx) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let lead = {
            let Ok(mut st) = self.batch.state.lock() else {
                return Err(E::from(StorageError::WorkerGone));
            };
            st.ops.push(Box::new(Op { f, out: None, reply }));
            !std::mem::replace(&mut st.leading, true)
        };
        if lead {
            let db = self.clone();
            tokio::task::spawn_blocking(move || db.lead_batches());
        }
        answer.await.unwrap_or_else(|_| Err(E::from(StorageError::WorkerGone)))
    }

    /// Batches run so far and the operations they carried — for metrics and benchmarks.
    pub fn batch_stats(&self) -> (u64, u64) {
        self.batch.state.lock().map(|st| (st.batches, st.ops_done)).unwrap_or((0, 0))
    }

    fn lead_batches(&self) {
        let _leading = Leading(&self.batch);
        loop {
            let ops = {
                let Ok(mut st) = self.batch.state.lock() else { return };
                if st.ops.is_empty() {
                    st.leading = false;
                    return;
                }
                let n = st.ops.len().min(MAX_BATCH);
                // Counted as drained, before any of them is answered.
                st.batches += 1;
                st.ops_done += n as u64;
                st.ops.drain(..n).collect::<Vec<_>>()
            };
            self.run_batch(ops);
        }
    }

    /// Commits `ops` in one durable transaction, dropping (and answering) each operation that
    /// fails and re-running the rest without it.
    fn run_batch(&self, mut ops: Vec<Box<dyn Queued>>) {
        while !ops.is_empty() {
            // Every commit counted before the transaction begins is persisted by its durable
            // commit, so plain group-committed writers waiting on a flush are released too.
            let target = self.group.state.lock().map(|st| st.committed).unwrap_or(0);
            let mut tx = match WriteTx::begin(&self.inner, redb::Durability::Immediate) {
                Ok(tx) => tx,
                Err(e) => {
                    let why = e.to_string();
                    ops.into_iter().for_each(|op| op.finish(Some(why.clone())));
                    return;
                }
            };
            match ops.iter_mut().position(|op| !op.run(&mut tx)) {
                Some(failed) => {
                    tx.abort();
                    ops.remove(failed).finish(None);
                }
                None => {
                    let why = tx.commit().err().map(|e| e.to_string());
                    if why.is_none() {
                        self.mark_durable(target);
                    }
                    ops.into_iter().for_each(|op| op.finish(why.clone()));
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Table;

    const ROWS: Table<u64, u64> = Table::new("batch_test_rows");

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb"), 1 << 20).unwrap();
        (dir, db)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_operation_leaves_nothing_and_the_others_commit() {
        let (_dir, db) = db();
        let mut tasks = Vec::new();
        for i in 0..200u64 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                db.write_batched(move |tx| -> Result<u64, StorageError> {
                    tx.insert(ROWS, i, &i)?;
                    if i % 7 == 3 {
                        // Written, then refused: the write must vanish with the refusal.
                        return Err(StorageError::BatchFailed(format!("refused {i}")));
                    }
                    Ok(i)
                })
                .await
            }));
        }
        for (i, t) in tasks.into_iter().enumerate() {
            let r = t.await.unwrap();
            assert_eq!(r.is_ok(), i % 7 != 3, "op {i}: {r:?}");
        }
        let rtx = db.read().unwrap();
        for i in 0..200u64 {
            assert_eq!(rtx.get(ROWS, i).unwrap(), (i % 7 != 3).then_some(i), "row {i}");
        }
        let (batches, ops) = db.batch_stats();
        assert_eq!(ops, 200, "every operation is drained into exactly one batch");
        assert!((1..=200).contains(&batches), "{batches} batches");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_operation_fails_alone_and_the_queue_keeps_working() {
        let (_dir, db) = db();
        let r = db
            .write_batched(|tx| -> Result<(), StorageError> {
                tx.insert(ROWS, 1, &1)?;
                panic!("boom")
            })
            .await;
        assert!(matches!(r, Err(StorageError::Panicked)), "{r:?}");
        db.write_batched(|tx| tx.insert(ROWS, 2, &2)).await.unwrap();
        let rtx = db.read().unwrap();
        assert_eq!(rtx.get(ROWS, 1u64).unwrap(), None);
        assert_eq!(rtx.get(ROWS, 2u64).unwrap(), Some(2));
    }
}
