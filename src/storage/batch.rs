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
//! One writer thread (`dukan-writer`, started with the database) takes queued operations in
//! order and commits them batch after batch. It is a thread of its own, not a runtime thread,
//! so the server can give the runtime's threads a lower scheduling priority than it: the single
//! writer is the one place every sale waits for, and it should not wait for a core.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

use super::{Db, Group, Hooks, StorageError, Timings, WriteTx};

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
    /// Signalled when an operation is queued.
    work: Condvar,
}

#[derive(Default)]
struct QueueState {
    ops: Vec<Box<dyn Queued>>,
    batches: u64,
    ops_done: u64,
    commits: Timings,
}

/// How long an idle writer sleeps before checking that its database is still open.
const IDLE_CHECK: Duration = Duration::from_millis(250);

/// What the writer thread needs, held weakly: when the last [`Db`] clone is dropped the
/// writer notices within [`IDLE_CHECK`] and ends, closing nothing that is still in use.
#[derive(Clone)]
pub(super) struct Writer {
    db: Weak<redb::Database>,
    group: Weak<Group>,
    queue: Weak<Queue>,
    wake: Weak<tokio::sync::watch::Sender<u64>>,
    hooks: Hooks,
}

impl Writer {
    /// Starts the writer thread. Called from `Db::open`, so the thread takes the opening
    /// thread's scheduling priority (the server lowers its runtime threads below it; see
    /// `main.rs`), not a runtime thread's.
    pub(super) fn spawn(db: &Db) -> Result<(), StorageError> {
        let w = Writer {
            db: Arc::downgrade(&db.inner),
            group: Arc::downgrade(&db.group),
            queue: Arc::downgrade(&db.batch),
            wake: Arc::downgrade(&db.wake),
            hooks: db.hooks.clone(),
        };
        Ok(w.start()?)
    }

    fn start(self) -> std::io::Result<()> {
        std::thread::Builder::new().name("dukan-writer".into()).spawn(move || self.run()).map(drop)
    }

    fn run(self) {
        // Should the writer itself unwind (an operation's panic is caught; this is anything
        // else), a new writer takes over, so queued and later operations still run.
        let _respawn = Respawn(self.clone());
        while let Some(ops) = self.next_ops() {
            let (Some(inner), Some(group)) = (self.db.upgrade(), self.group.upgrade()) else { break };
            let (done, commit, pushed) = run_batch(&inner, &group, &self.hooks, ops);
            if let (true, Some(wake)) = (pushed, self.wake.upgrade()) {
                super::wake_workers(&wake);
            }
            if let (Some(d), Some(queue)) = (commit, self.queue.upgrade())
                && let Ok(mut st) = queue.state.lock()
            {
                st.commits.add(d);
            }
            // Let go of the database before anyone hears back: a caller that drops its last
            // handle on the answer must be able to reopen the file at once.
            drop((inner, group));
            done.into_iter().for_each(|(op, why)| op.finish(why));
        }
    }

    /// Waits for queued operations and takes up to [`MAX_BATCH`] of them; `None` once the
    /// database is closed.
    fn next_ops(&self) -> Option<Vec<Box<dyn Queued>>> {
        loop {
            let queue = self.queue.upgrade()?;
            let mut st = queue.state.lock().ok()?;
            if st.ops.is_empty() {
                st = queue.work.wait_timeout(st, IDLE_CHECK).ok()?.0;
            }
            if st.ops.is_empty() {
                continue;
            }
            let n = st.ops.len().min(MAX_BATCH);
            // Counted as drained, before any of them is answered.
            st.batches += 1;
            st.ops_done += n as u64;
            return Some(st.ops.drain(..n).collect());
        }
    }
}

/// Starts a replacement writer if the current one unwinds.
struct Respawn(Writer);

impl Drop for Respawn {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.clone().start();
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
        {
            let Ok(mut st) = self.batch.state.lock() else {
                return Err(E::from(StorageError::WorkerGone));
            };
            st.ops.push(Box::new(Op { f, out: None, reply }));
        }
        self.batch.work.notify_one();
        answer.await.unwrap_or_else(|_| Err(E::from(StorageError::WorkerGone)))
    }

    /// Batches run so far and the operations they carried — for metrics and benchmarks.
    pub fn batch_stats(&self) -> (u64, u64) {
        self.batch.state.lock().map(|st| (st.batches, st.ops_done)).unwrap_or((0, 0))
    }

    /// How long the batch commits so far took — for metrics.
    pub fn batch_commit_times(&self) -> Timings {
        self.batch.state.lock().map(|st| st.commits).unwrap_or_default()
    }
}

/// What a batch leaves to answer: each operation with the commit failure to answer it with
/// (`None`: its own result stands), how long the commit took when there was one, and whether
/// the committed batch pushed outbox rows (the workers are woken).
type Done = (Vec<(Box<dyn Queued>, Option<String>)>, Option<Duration>, bool);

/// Commits `ops` in one durable transaction, dropping each operation that fails and
/// re-running the rest without it. Answering is left to the caller, after it has let go of the
/// database.
fn run_batch(db: &redb::Database, group: &Group, hooks: &Hooks, mut ops: Vec<Box<dyn Queued>>) -> Done {
    let mut done = Vec::with_capacity(ops.len());
    let mut took = None;
    let mut pushed = false;
    while !ops.is_empty() {
        // Every commit counted before the transaction begins is persisted by its durable
        // commit, so plain group-committed writers waiting on a flush are released too.
        let target = group.state.lock().map(|st| st.committed).unwrap_or(0);
        let mut tx = match WriteTx::begin(db, redb::Durability::Immediate, hooks) {
            Ok(tx) => tx,
            Err(e) => {
                group.note(&e);
                let why = e.to_string();
                done.extend(ops.into_iter().map(|op| (op, Some(why.clone()))));
                break;
            }
        };
        match ops.iter_mut().position(|op| !op.run(&mut tx)) {
            Some(failed) => {
                tx.abort();
                done.push((ops.remove(failed), None));
            }
            None => {
                let pushed_outbox = tx.pushed_outbox;
                let t0 = std::time::Instant::now();
                let why = tx.commit().err().map(|e| {
                    group.note(&e);
                    e.to_string()
                });
                took = Some(t0.elapsed());
                if why.is_none() {
                    group.mark_durable(target);
                    pushed = pushed_outbox;
                }
                done.extend(ops.into_iter().map(|op| (op, why.clone())));
                break;
            }
        }
    }
    (done, took, pushed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Table;

    const ROWS: Table<u64, u64> = Table::new("batch_test_rows");

    fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.redb"), 1 << 20, &[], Hooks::default()).unwrap();
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
        // Answers go out after the commit is timed, so every committed batch is counted.
        let times = db.batch_commit_times();
        assert!((1..=batches).contains(&times.count), "{times:?}");
        assert!(times.total_seconds > 0.0 && times.max_seconds <= times.total_seconds, "{times:?}");
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_lets_go_of_the_file_when_the_database_is_dropped() {
        let (dir, db) = db();
        let path = dir.path().join("t.redb");
        db.write_batched(|tx| tx.insert(ROWS, 1, &1)).await.unwrap();
        drop(db);
        // The writer holds the database only while it runs a batch, so the file reopens at once
        // (redb refuses a second open of a file still held).
        let db = Db::open(&path, 1 << 20, &[], Hooks::default()).unwrap();
        db.write_batched(|tx| tx.insert(ROWS, 2, &2)).await.unwrap();
        let rtx = db.read().unwrap();
        assert_eq!(rtx.get(ROWS, 1u64).unwrap(), Some(1));
        assert_eq!(rtx.get(ROWS, 2u64).unwrap(), Some(2));
    }
}
