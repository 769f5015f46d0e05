//! The data file as redb sees it: redb's own file backend, with the time spent writing pages,
//! syncing and resizing the file recorded. Every durable answer waits for `sync_data`; when the
//! disk stalls, this is where it shows (on /metrics), before it shows as slow checkouts.

use std::fs::File;
use std::io;
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

/// How long a kind of storage step has taken so far: count, total, longest, and how many took
/// longer than [`Timings::SLOW`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Timings {
    pub count: u64,
    pub total_seconds: f64,
    pub max_seconds: f64,
    pub slow: u64,
}

impl Timings {
    /// Past this, every sale waiting behind the step misses the checkout latency goal.
    pub const SLOW: Duration = Duration::from_millis(25);

    pub(super) fn add(&mut self, d: Duration) {
        self.count += 1;
        self.total_seconds += d.as_secs_f64();
        self.max_seconds = self.max_seconds.max(d.as_secs_f64());
        self.slow += u64::from(d > Self::SLOW);
    }
}

/// What the data file has cost so far, per kind of call redb makes.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FileTimes {
    /// `fdatasync` calls: one or two per durable commit.
    pub sync: Timings,
    /// Page writes (into the OS page cache; slow when the kernel throttles dirty pages).
    pub write: Timings,
    /// File resizes (`ftruncate`): redb doubles a young file, then grows it a region at a time,
    /// and trims free space at its end.
    pub resize: Timings,
}

/// The timings, plus a switch that makes writes fail as on a full disk — for tests only:
/// flipped in-process by `Db::inject_disk_full`, or for the real binary by creating the file
/// named in the `DUKAN_TEST_DISK_FULL_WHEN` environment variable (unset in production, where
/// this costs one branch per write).
#[derive(Debug, Default)]
pub(super) struct Recorder {
    times: Mutex<FileTimes>,
    disk_full: AtomicBool,
    disk_full_when: Option<PathBuf>,
}

impl Recorder {
    pub(super) fn from_env() -> Recorder {
        Recorder { disk_full_when: std::env::var_os("DUKAN_TEST_DISK_FULL_WHEN").map(PathBuf::from), ..Recorder::default() }
    }

    pub(super) fn inject_disk_full(&self, on: bool) {
        self.disk_full.store(on, Ordering::Release);
    }

    /// The injected failure, when one is switched on.
    fn fault(&self) -> Result<(), io::Error> {
        let on = self.disk_full.load(Ordering::Acquire) || self.disk_full_when.as_ref().is_some_and(|p| p.exists());
        if on { Err(io::Error::new(io::ErrorKind::StorageFull, "No space left on device (injected)")) } else { Ok(()) }
    }

    pub(super) fn snapshot(&self) -> FileTimes {
        self.times.lock().map(|t| *t).unwrap_or_default()
    }

    fn timed<T>(&self, pick: fn(&mut FileTimes) -> &mut Timings, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        if let Ok(mut t) = self.times.lock() {
            pick(&mut t).add(start.elapsed());
        }
        out
    }
}

/// redb's [`FileBackend`] with every write, sync and resize timed into a shared [`Recorder`].
#[derive(Debug)]
pub(super) struct TimedFile {
    inner: FileBackend,
    times: Arc<Recorder>,
}

impl TimedFile {
    pub(super) fn new(file: File, times: Arc<Recorder>) -> Result<TimedFile, redb::DatabaseError> {
        Ok(TimedFile { inner: FileBackend::new(file)?, times })
    }
}

impl StorageBackend for TimedFile {
    fn len(&self) -> Result<u64, io::Error> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), io::Error> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> Result<(), io::Error> {
        self.times.fault()?;
        self.times.timed(|t| &mut t.resize, || self.inner.set_len(len))
    }

    fn sync_data(&self) -> Result<(), io::Error> {
        self.times.fault()?;
        self.times.timed(|t| &mut t.sync, || self.inner.sync_data())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), io::Error> {
        self.times.fault()?;
        self.times.timed(|t| &mut t.write, || self.inner.write(offset, data))
    }

    fn close(&self) -> Result<(), io::Error> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
