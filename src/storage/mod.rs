//! Storage: the only module that imports redb. It owns the database handle, the
//! transaction wrappers every domain writes through, the table type, the id allocator,
//! the migration mechanism (the steps belong to `schema`) and the outbox.
//!
//! Invariants kept here:
//! - every business operation is one write transaction, and its caller hears of success only
//!   once it is durable. Transactions commit without an fsync of their own and then wait for a
//!   group flush — one durable commit that persists every commit before it (group commit), so
//!   concurrent writers share an fsync. A reader may see a commit up to one flush before it is
//!   durable; no writer is ever told "done" before it is;
//! - keys are typed redb keys (integers and tuples); tenant tables begin with the company id;
//! - values are postcard-encoded records whose redb type name carries their version
//!   ("company.v1"), so opening a table with the wrong shape fails loudly;
//! - ids come from one box-wide counter, so an id names at most one record of any company.

mod batch;
mod codec;
mod file;
mod hooks;
mod keys;
mod migrate;
pub mod outbox;
pub mod private;
mod tx;

pub use codec::{Record, Table, TableInfo};
pub use file::{FileTimes, Timings};
pub use hooks::{Hooks, HooksBuilder};
pub use migrate::{Migration, Schema, Upgrade, Upgraded, backup_path, version_after};
pub use tx::{OwnedKey, Read, ReadTx, TableMut, WriteTx};

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

/// Failure of the storage engine or of a stored value's decoding. Business rules never
/// produce this; it maps to an opaque 500 with the cause logged.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Db(#[from] redb::Error),
    #[error("decoding {table}: {source}")]
    Decode { table: &'static str, source: postcard::Error },
    #[error("encoding: {0}")]
    Encode(postcard::Error),
    #[error("the data file was written by a newer Dukan (schema {found}, this binary knows {known})")]
    TooNew { found: u64, known: u64 },
    #[error("the data file is already open by another process (is a server running?)")]
    Locked,
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("the write worker stopped")]
    WorkerGone,
    #[error("the operation panicked")]
    Panicked,
    #[error("the batch transaction failed: {0}")]
    BatchFailed(String),
}

impl StorageError {
    /// Whether the data file can take no more writes until it is reopened: redb latches
    /// after a failed page write or sync (a full disk, say) and answers `PreviousIo` from then
    /// on, even once space is freed.
    pub fn needs_reopen(&self) -> bool {
        matches!(self, StorageError::Db(redb::Error::PreviousIo | redb::Error::Io(_)))
    }
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StorageError {
            fn from(e: $t) -> Self { StorageError::Db(e.into()) }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::CompactionError,
    redb::SetDurabilityError
);

impl From<redb::DatabaseError> for StorageError {
    fn from(e: redb::DatabaseError) -> Self {
        match e {
            redb::DatabaseError::DatabaseAlreadyOpen => StorageError::Locked,
            other => StorageError::Db(other.into()),
        }
    }
}

/// The data file. Cheap to clone; all clones share one redb handle.
#[derive(Clone)]
pub struct Db {
    inner: Arc<redb::Database>,
    path: Arc<PathBuf>,
    group: Arc<Group>,
    batch: Arc<batch::Queue>,
    file: Arc<file::Recorder>,
    /// Every write transaction carries these (see `storage::hooks`).
    hooks: Hooks,
    /// Bumped after each durable commit that pushed outbox rows; workers wait on it.
    wake: Arc<tokio::sync::watch::Sender<u64>>,
    /// Set when opening upgraded an older file (see `migrate`).
    upgraded: Arc<Option<Upgraded>>,
}

/// Group commit bookkeeping: commits are numbered as they finish; a flush makes every commit
/// numbered at or below its target durable. One waiter at a time flushes (the leader); the
/// others sleep until a flush covers them.
#[derive(Default)]
struct Group {
    state: Mutex<GroupState>,
    flushed: Condvar,
    /// Set once a write failed in a way that needs the file reopened (see
    /// [`StorageError::needs_reopen`]); the cause, for logs and `/healthz`.
    broken: Mutex<Option<String>>,
}

impl Group {
    /// Remembers a write failure that leaves the file unwritable until reopened.
    fn note(&self, e: &StorageError) {
        if !e.needs_reopen() {
            return;
        }
        if let Ok(mut b) = self.broken.lock()
            && b.is_none()
        {
            tracing::error!("the data file needs to be reopened after a failed write: {e}");
            *b = Some(e.to_string());
        }
    }

    /// Records that a durable commit made after commit number `target` finished, releasing the
    /// writers waiting for a flush that covers them.
    fn mark_durable(&self, target: u64) {
        if let Ok(mut st) = self.state.lock() {
            st.durable = st.durable.max(target);
        }
        self.flushed.notify_all();
    }
}

#[derive(Default)]
struct GroupState {
    committed: u64,
    durable: u64,
    flushing: bool,
    flushes: u64,
}

impl Db {
    /// Opens (or creates) the data file, refusing a file from a newer version and upgrading an
    /// older one with `migrations` (the list `schema` owns; `schema::open` passes it),
    /// step by step inside one write transaction. A new file is stamped with the version after
    /// the last step.
    /// `hooks` are the cross-domain reactions (`wiring::hooks`); every write
    /// transaction carries them, the migrations' too.
    /// An older file is first copied aside and the copy verified ([`Upgrade::BackUpFirst`]).
    pub fn open(path: &Path, cache_bytes: usize, migrations: &[Migration], hooks: Hooks) -> Result<Db, StorageError> {
        Db::open_with(path, cache_bytes, migrations, hooks, Upgrade::BackUpFirst)
    }

    /// [`Db::open`] for a scratch copy this process made and verifies (a backup, a restore): an
    /// older one is upgraded without a copy of its own.
    pub fn open_copy(path: &Path, cache_bytes: usize, migrations: &[Migration], hooks: Hooks) -> Result<Db, StorageError> {
        Db::open_with(path, cache_bytes, migrations, hooks, Upgrade::InPlace)
    }

    fn open_with(path: &Path, cache_bytes: usize, migrations: &[Migration], hooks: Hooks, upgrade: Upgrade) -> Result<Db, StorageError> {
        let mut builder = redb::Database::builder();
        builder.set_cache_size(cache_bytes);
        let times = Arc::new(file::Recorder::from_env());
        // Opened as redb's own `Builder::create` opens it: an existing file is kept as it is.
        // Created (or tightened to) 0600 before redb writes a byte.
        let f = private::open_file(path)?;
        let inner = builder.create_with_backend(file::TimedFile::new(f, times.clone())?)?;
        let db = Db {
            inner: Arc::new(inner),
            path: Arc::new(path.to_path_buf()),
            group: Arc::default(),
            batch: Arc::default(),
            file: times,
            hooks,
            wake: Arc::new(tokio::sync::watch::Sender::new(0)),
            upgraded: Arc::new(None),
        };
        let upgraded = migrate::run(&db, migrations, upgrade)?;
        let db = Db { upgraded: Arc::new(upgraded), ..db };
        batch::Writer::spawn(&db)?;
        Ok(db)
    }

    /// What opening did to an older file: the versions and the verified pre-upgrade copy.
    pub fn upgraded(&self) -> Option<&Upgraded> {
        self.upgraded.as_ref().as_ref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn read(&self) -> Result<ReadTx, StorageError> {
        use redb::ReadableDatabase;
        Ok(ReadTx::new(self.inner.begin_read()?))
    }

    /// Runs `f` in one durable write transaction on a blocking thread. `f` returning `Err`
    /// aborts the transaction: nothing it wrote becomes visible.
    pub async fn write<T, E, F>(&self, f: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StorageError> + Send + 'static,
        F: FnOnce(&mut WriteTx) -> Result<T, E> + Send + 'static,
    {
        let db = self.clone();
        match tokio::task::spawn_blocking(move || db.write_blocking(f)).await {
            Ok(result) => result,
            Err(_) => Err(E::from(StorageError::WorkerGone)),
        }
    }

    /// The blocking form of [`Db::write`], for CLI commands and workers already off the runtime.
    /// Returns once the transaction is durable (see the module notes on group commit).
    pub fn write_blocking<T, E, F>(&self, f: F) -> Result<T, E>
    where
        E: From<StorageError>,
        F: FnOnce(&mut WriteTx) -> Result<T, E>,
    {
        let mut tx = self.noted(WriteTx::begin(&self.inner, redb::Durability::None, &self.hooks)).map_err(E::from)?;
        match f(&mut tx) {
            Ok(value) => {
                let pushed = tx.pushed_outbox;
                self.noted(tx.commit()).map_err(E::from)?;
                self.noted(self.await_durable()).map_err(E::from)?;
                if pushed {
                    wake_workers(&self.wake);
                }
                Ok(value)
            }
            Err(e) => {
                tx.abort();
                Err(e)
            }
        }
    }

    /// Numbers the commit that just finished and waits until a flush covers it, flushing
    /// ourselves when no one else is.
    fn await_durable(&self) -> Result<(), StorageError> {
        let g = &self.group;
        let mut st = g.state.lock().map_err(|_| StorageError::WorkerGone)?;
        st.committed += 1;
        let mine = st.committed;
        loop {
            if st.durable >= mine {
                return Ok(());
            }
            if !st.flushing {
                st.flushing = true;
                // Every commit numbered so far finished before this point, so a durable commit
                // that starts now persists them all.
                let target = st.committed;
                drop(st);
                let flushed = self.flush();
                st = g.state.lock().map_err(|_| StorageError::WorkerGone)?;
                st.flushing = false;
                g.flushed.notify_all();
                flushed?;
                st.durable = st.durable.max(target);
                st.flushes += 1;
                continue;
            }
            st = g.flushed.wait(st).map_err(|_| StorageError::WorkerGone)?;
        }
    }

    /// Passes `r` through, remembering a failure that needs the file reopened.
    fn noted<T>(&self, r: Result<T, StorageError>) -> Result<T, StorageError> {
        if let Err(e) = &r {
            self.group.note(e);
        }
        r
    }

    /// A receiver that sees a new value after every durable commit that pushed outbox rows
    /// (`outbox::push`), from `Db::write` and `write_batched` alike: workers wait on it instead
    /// of being woken by hand after each write. A commit made while a worker was busy is still
    /// seen when it next waits.
    pub fn outbox_wakeups(&self) -> tokio::sync::watch::Receiver<u64> {
        self.wake.subscribe()
    }

    /// Why the data file takes no more writes, once a write failed in a way only reopening it
    /// repairs (a full disk). The server answers 503 on `/healthz` and exits non-zero, so its
    /// supervisor restarts it (see `main.rs`).
    pub fn broken(&self) -> Option<String> {
        self.group.broken.lock().ok().and_then(|b| b.clone())
    }

    /// Makes every later page write, sync and resize of the data file fail as on a full disk
    /// (or stop failing). For tests of the full-disk path only.
    #[doc(hidden)]
    pub fn inject_disk_full(&self, on: bool) {
        self.file.inject_disk_full(on);
    }

    /// One durable commit: persists every earlier commit made without an fsync.
    fn flush(&self) -> Result<(), StorageError> {
        let tx = WriteTx::begin(&self.inner, redb::Durability::Immediate, &self.hooks)?;
        tx.commit()
    }

    /// One durable commit of its own, outside group commit: only for measuring the raw
    /// single-commit rate that group commit is compared against.
    #[doc(hidden)]
    pub fn write_unbatched(&self, f: impl FnOnce(&mut WriteTx) -> Result<(), StorageError>) -> Result<(), StorageError> {
        let mut tx = WriteTx::begin(&self.inner, redb::Durability::Immediate, &self.hooks)?;
        f(&mut tx)?;
        tx.commit()
    }

    /// How many group flushes (fsyncs) writes have needed so far, and how many commits they
    /// covered — for metrics and benchmarks.
    pub fn commit_stats(&self) -> (u64, u64) {
        self.group.state.lock().map(|st| (st.flushes, st.committed)).unwrap_or((0, 0))
    }

    /// A write that is not fsynced on its own (it becomes durable with the next durable
    /// commit). Used only by the health probe, which must not cost an fsync per call.
    pub fn write_volatile(&self, f: impl FnOnce(&mut WriteTx) -> Result<(), StorageError>) -> Result<(), StorageError> {
        let mut tx = self.noted(WriteTx::begin(&self.inner, redb::Durability::None, &self.hooks))?;
        self.noted(f(&mut tx))?;
        self.noted(tx.commit())
    }

    /// Copies every registered table, as seen by one read transaction, into a new `0600` data
    /// file at `out`, then fsyncs it. Writers keep running meanwhile (MVCC). Returns rows per
    /// table as counted in the source snapshot. Memory stays bounded: the copy has a
    /// [`SCRATCH_CACHE`] cache and commits every [`codec::COPY_CHUNK`] rows (without fsync; one
    /// durable commit at the end), so a large file streams through instead of being held.
    pub fn snapshot_to(&self, out: &Path, tables: &[TableInfo]) -> Result<Vec<(&'static str, u64)>, StorageError> {
        use redb::ReadableDatabase;
        let src = self.inner.begin_read()?;
        let file = private::create_file(out)?;
        let mut builder = redb::Database::builder();
        builder.set_cache_size(SCRATCH_CACHE);
        let dst = builder.create_with_backend(redb::backends::FileBackend::new(file)?)?;
        let mut counts = Vec::with_capacity(tables.len());
        for info in tables {
            counts.push((info.name, info.copy(&src, &dst)?));
        }
        let mut wtx = dst.begin_write()?;
        wtx.set_durability(redb::Durability::Immediate)?;
        wtx.commit()?;
        drop(dst);
        std::fs::File::open(out)?.sync_all()?;
        if let Some(dir) = out.parent() {
            // The new directory entry must survive a power cut too.
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(counts)
    }

    /// Opens a data file read-only-in-spirit (nothing is written unless it must be migrated),
    /// checks redb's own integrity, refuses a file newer than `schema`, and counts rows per
    /// registered table.
    pub fn verify_file(path: &Path, schema: &Schema) -> Result<Vec<(&'static str, u64)>, StorageError> {
        use redb::ReadableDatabase;
        let mut db = redb::Database::builder().set_cache_size(SCRATCH_CACHE).open(path)?;
        if !db.check_integrity().map_err(StorageError::from)? {
            return Err(StorageError::Db(redb::Error::Corrupted("integrity check repaired the file".into())));
        }
        let found = migrate::schema_version_of(&db)?;
        if found > schema.version() {
            return Err(StorageError::TooNew { found, known: schema.version() });
        }
        let rtx = db.begin_read()?;
        let mut counts = Vec::with_capacity(schema.tables.len());
        for info in &schema.tables {
            counts.push((info.name, info.count(&rtx)?));
        }
        Ok(counts)
    }

    /// Rewrites a closed data file so it holds only live pages (for committed test fixtures).
    pub fn compact_file(path: &Path) -> Result<(), StorageError> {
        let mut db = redb::Database::open(path)?;
        while db.compact()? {}
        Ok(())
    }

    /// How long the data file's page writes, syncs and resizes have taken so far — for metrics.
    pub fn file_times(&self) -> FileTimes {
        self.file.snapshot()
    }

    /// Bytes the data file takes on disk.
    pub fn file_bytes(&self) -> u64 {
        std::fs::metadata(self.path.as_path()).map(|m| m.len()).unwrap_or(0)
    }
}

/// Tells the workers waiting in [`Db::outbox_wakeups`] that durable outbox rows arrived.
fn wake_workers(wake: &tokio::sync::watch::Sender<u64>) {
    wake.send_modify(|n| *n = n.wrapping_add(1));
}

/// Page cache of the files a backup writes and verifies: enough to stream through them, far
/// below a second copy of the server's cache.
pub const SCRATCH_CACHE: usize = 16 << 20;

/// Registry entries of the tables storage itself owns.
pub fn meta_tables() -> Vec<TableInfo> {
    vec![
        tx::META.info("&str name", "box-level counters: schema_version, next_id"),
        tx::COUNTERS.info("(CompanyId, &str name)", "per-company gapless counters: product codes, PLUs, document numbers"),
    ]
}

/// How far the runtime's threads sit below the writer thread in CPU priority (Linux nice).
const RUNTIME_NICE: i32 = 10;

/// Lowers the calling thread's CPU priority below the writer thread's, which keeps the
/// priority the process started with. The server calls it on every runtime thread: when the
/// cores are busy, committing the sales everyone waits for goes first and parsing the next
/// requests waits. Raising a thread's nice needs no privilege; where it fails (or off Linux)
/// nothing changes.
pub fn yield_cpu_to_writer() {
    #[cfg(target_os = "linux")]
    {
        let nice = std::env::var("DUKAN_RUNTIME_NICE").ok().and_then(|v| v.parse().ok()).unwrap_or(RUNTIME_NICE);
        // SAFETY: setpriority and gettid only read their integer arguments; PRIO_PROCESS with a
        // thread id changes that one thread's nice value on Linux.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, nice);
        }
    }
}
