//! Product search: the only module that imports tantivy. One index per company under
//! `<data>/search/<company id>/`, derived from the catalog tables and rebuildable from them at
//! any time.
//!
//! Invariants:
//! - the index is never a source of truth: a missing, corrupt, outdated or foreign index is
//!   rebuilt from redb (`find_stale` at the worker's first step, `dukan reindex` by hand);
//! - every product write queues `JobKind::IndexProduct` in its own transaction
//!   (`catalog::store::put_product`), and the search worker applies those jobs idempotently
//!   (delete by id, then add the current record), so replaying a job is harmless;
//! - each commit stores a [`index::Payload`] naming the highest outbox id it covers;
//! - one reader per company, reloaded only after the worker commits; writers are created
//!   lazily by the worker, at most [`MAX_WRITERS`] at once, and dropped after [`WRITER_IDLE`];
//! - a company's search reads only that company's directory: the tenant is the directory.

pub mod analysis;
pub mod index;
pub mod query;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use tantivy::collector::TopDocs;
use tantivy::{IndexWriter, Term};

use crate::catalog::model::{Kind, Product};
use crate::catalog::store::PRODUCTS;
use crate::ids::{BrandId, CategoryId, CompanyId, ProductId};
use crate::storage::outbox::{self, JobKind};
use crate::storage::{Db, ReadTx, StorageError};
use index::{Payload, SCHEMA_VERSION, Shard};

/// Outbox jobs applied per worker step.
pub const BATCH: usize = 1000;
/// Writers kept open at once (each holds an indexing heap and two threads).
pub const MAX_WRITERS: usize = 2;
/// A writer unused this long is closed.
pub const WRITER_IDLE: Duration = Duration::from_secs(60);
/// The worker name of `JobKind::IndexProduct` jobs.
pub const WORKER: &str = "search";

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("search index files: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no company {0}")]
    NoCompany(CompanyId),
}

impl From<SearchError> for crate::error::Error {
    fn from(e: SearchError) -> Self {
        match e {
            SearchError::Storage(s) => crate::error::Error::Storage(s),
            other => crate::error::Error::Internal(other.to_string()),
        }
    }
}

/// Narrows a search; archived products are left out unless asked for.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub include_archived: bool,
    pub category: Option<CategoryId>,
    pub brand: Option<BrandId>,
    pub kind: Option<Kind>,
}

struct OpenWriter {
    company: u64,
    writer: IndexWriter,
    last_used: Instant,
}

/// The search indexes of the box.
pub struct Search {
    root: PathBuf,
    shards: RwLock<HashMap<u64, Arc<Shard>>>,
    /// Used only by the worker (and `reindex`); the mutex makes that explicit.
    writers: Mutex<Vec<OpenWriter>>,
    /// Companies whose index must be rebuilt before their jobs are applied.
    stale: Mutex<VecDeque<u64>>,
    checked: AtomicBool,
}

/// What one worker step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Idle,
    Rebuilt { company: CompanyId, docs: u64 },
    Applied { jobs: usize },
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn count_products(tx: &ReadTx, company: u64) -> Result<u64, StorageError> {
    let mut n = 0;
    tx.range(PRODUCTS, (company, 0), (company, u64::MAX), false, usize::MAX, |_, _| {
        n += 1;
        Ok(true)
    })?;
    Ok(n)
}

impl Search {
    /// Prepares `root` (normally `<data>/search`); indexes open lazily.
    pub fn open(root: &Path) -> Result<Search, SearchError> {
        std::fs::create_dir_all(root)?;
        Ok(Search {
            root: root.to_path_buf(),
            shards: RwLock::new(HashMap::new()),
            writers: Mutex::new(Vec::new()),
            stale: Mutex::new(VecDeque::new()),
            checked: AtomicBool::new(false),
        })
    }

    pub fn dir(&self, company: CompanyId) -> PathBuf {
        self.root.join(company.0.to_string())
    }

    /// The open index of `company`; `create` makes an empty one when there is none on disk.
    fn shard(&self, company: u64, create: bool) -> Result<Option<Arc<Shard>>, SearchError> {
        if let Some(s) = self.shards.read().unwrap_or_else(|p| p.into_inner()).get(&company) {
            return Ok(Some(s.clone()));
        }
        let mut shards = self.shards.write().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = shards.get(&company) {
            return Ok(Some(s.clone()));
        }
        let dir = self.dir(CompanyId(company));
        let shard = match (dir.join("meta.json").exists(), create) {
            (true, _) => Shard::open(&dir)?,
            (false, true) => Shard::create(&dir)?,
            (false, false) => return Ok(None),
        };
        let shard = Arc::new(shard);
        shards.insert(company, shard.clone());
        Ok(Some(shard))
    }

    /// Product ids matching `text` in `company`, best first: exact barcode, PLU, internal code
    /// or article matches, then name matches.
    pub fn search(&self, company: CompanyId, text: &str, filters: &Filters, limit: usize) -> Result<Vec<ProductId>, SearchError> {
        let limit = limit.clamp(1, 1000);
        let Some(shard) = self.shard(company.0, false)? else {
            return Ok(Vec::new());
        };
        let plan = query::plan(text);
        let searcher = shard.reader.searcher();
        let mut ids: Vec<u64> = Vec::new();
        for q in [query::exact_query(&plan, &shard.fields, filters), query::text_query(&plan, &shard.fields, filters)].into_iter().flatten()
        {
            if ids.len() >= limit {
                break;
            }
            let hits = searcher.search(&q, &TopDocs::with_limit(limit).order_by_score())?;
            for id in shard.ids(&searcher, &hits)? {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        ids.truncate(limit);
        Ok(ids.into_iter().map(ProductId).collect())
    }

    /// The products matching `text`, best first, as stored now: the index may lag a moment
    /// behind the data file, so hits are re-read and checked against `filters` again. What the
    /// till's and the catalog's typeahead show.
    pub fn products(&self, db: &Db, company: CompanyId, text: &str, filters: &Filters, limit: usize) -> Result<Vec<Product>, SearchError> {
        let ids = self.search(company, text, filters, limit)?;
        let tx = db.read()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(p) = tx.get(PRODUCTS, (company.0, id.0))? else {
                continue;
            };
            let keep = (filters.include_archived || !p.archived)
                && filters.category.is_none_or(|c| p.category == Some(c))
                && filters.brand.is_none_or(|b| p.brand == Some(b))
                && filters.kind.is_none_or(|k| p.kind == k);
            if keep {
                out.push(p);
            }
        }
        Ok(out)
    }

    /// Documents in the company's index (archived products included).
    pub fn docs(&self, company: CompanyId) -> Result<u64, SearchError> {
        Ok(self.shard(company.0, false)?.map_or(0, |s| s.docs()))
    }

    /// Companies whose index is missing, unreadable, of another schema, ahead of the data file
    /// (a restored older backup) or off from the product count by more than the company's
    /// queued jobs can explain (a stop with a few jobs pending is not worth a rebuild).
    pub fn find_stale(&self, db: &Db) -> Result<Vec<CompanyId>, SearchError> {
        let tx = db.read()?;
        let next_id = tx.meta("next_id")?.unwrap_or(1);
        let mut pending: HashMap<u64, u64> = HashMap::new();
        for (_, job) in outbox::due(&tx, WORKER, i64::MAX, usize::MAX)? {
            *pending.entry(job.company).or_default() += 1;
        }
        let mut stale = Vec::new();
        for (company, _) in tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)? {
            let products = count_products(&tx, company)?;
            let queued = pending.get(&company).copied().unwrap_or(0);
            let verdict = match self.shard(company, false) {
                Ok(None) => products > 0,
                Ok(Some(shard)) => match Payload::of(&shard.index) {
                    Ok(Some(p)) => p.schema != SCHEMA_VERSION || p.applied >= next_id || shard.docs().abs_diff(products) > queued,
                    Ok(None) => shard.docs() != 0 || products > 0,
                    Err(_) => true,
                },
                Err(e) => {
                    tracing::warn!(company, "search index unreadable, it will be rebuilt: {e}");
                    true
                }
            };
            if verdict {
                stale.push(CompanyId(company));
            }
        }
        Ok(stale)
    }

    fn close_writer(&self, company: u64) {
        let mut writers = lock(&self.writers);
        if let Some(at) = writers.iter().position(|w| w.company == company) {
            let w = writers.swap_remove(at);
            if let Err(e) = w.writer.wait_merging_threads() {
                tracing::warn!(company, "closing search writer: {e}");
            }
        }
    }

    /// Closes writers unused for `idle`; returns how many are still open.
    pub fn close_idle_writers(&self, idle: Duration) -> usize {
        let mut writers = lock(&self.writers);
        let (old, keep): (Vec<_>, Vec<_>) = writers.drain(..).partition(|w| w.last_used.elapsed() >= idle);
        *writers = keep;
        for w in old {
            if let Err(e) = w.writer.wait_merging_threads() {
                tracing::warn!(company = w.company, "closing search writer: {e}");
            }
        }
        writers.len()
    }

    /// Rebuilds the company's index from the data file into a fresh directory, then swaps it
    /// in; searches keep using the old index until the swap. `progress(done, total)` is called
    /// every few thousand products.
    pub fn rebuild(&self, db: &Db, company: CompanyId, progress: &dyn Fn(u64, u64)) -> Result<u64, SearchError> {
        self.close_writer(company.0);
        let fresh = self.root.join(format!("{}.rebuild", company.0));
        if fresh.exists() {
            std::fs::remove_dir_all(&fresh)?;
        }
        let shard = Shard::create(&fresh)?;
        let mut writer = shard.writer(index::REBUILD_HEAP)?;
        let tx = db.read()?;
        // Every job queued before this snapshot is covered by it; later ones are applied after.
        let applied = tx.meta("next_id")?.unwrap_or(1).saturating_sub(1);
        let total = count_products(&tx, company.0)?;
        progress(0, total);
        let mut done = 0u64;
        let mut failure = None;
        tx.range(PRODUCTS, (company.0, 0), (company.0, u64::MAX), false, usize::MAX, |_, p| {
            if let Err(e) = writer.add_document(index::document(&shard.fields, &p)) {
                failure = Some(e);
                return Ok(false);
            }
            done += 1;
            if done.is_multiple_of(5000) {
                progress(done, total);
            }
            Ok(true)
        })?;
        drop(tx);
        if let Some(e) = failure {
            return Err(e.into());
        }
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&Payload { schema: SCHEMA_VERSION, applied }.encode());
        commit.commit()?;
        writer.wait_merging_threads()?;
        drop(shard);
        let dir = self.dir(company);
        let old = self.root.join(format!("{}.old", company.0));
        let mut shards = self.shards.write().unwrap_or_else(|p| p.into_inner());
        if old.exists() {
            std::fs::remove_dir_all(&old)?;
        }
        if dir.exists() {
            std::fs::rename(&dir, &old)?;
        }
        std::fs::rename(&fresh, &dir)?;
        // Open readers of the old index keep their mapped files; the directory can go.
        let _ = std::fs::remove_dir_all(&old);
        let shard = Arc::new(Shard::open(&dir)?);
        shards.insert(company.0, shard);
        progress(done, total);
        Ok(done)
    }

    /// Applies due `IndexProduct` jobs (at most [`BATCH`]): per company, delete and re-add each
    /// product as it is now, commit with the highest job id, reload the reader, then delete the
    /// jobs. A company whose index fails is queued for a rebuild and its jobs retried later.
    pub fn apply_jobs(&self, db: &Db, now_ms: i64) -> Result<usize, SearchError> {
        let jobs = outbox::due(&db.read()?, WORKER, now_ms, BATCH)?;
        if jobs.is_empty() {
            return Ok(0);
        }
        let mut by_company: BTreeMap<u64, Vec<(u64, u64)>> = BTreeMap::new();
        for (job_id, job) in &jobs {
            if let JobKind::IndexProduct { product } = job.kind {
                by_company.entry(job.company).or_default().push((*job_id, product));
            }
        }
        // Read after the jobs: every product is at least as new as the job that named it.
        let tx = db.read()?;
        let mut done = Vec::new();
        let mut failed = Vec::new();
        for (company, items) in by_company {
            match self.apply_company(&tx, company, &items) {
                Ok(()) => done.extend(items.iter().map(|(j, _)| *j)),
                Err(e) => {
                    tracing::warn!(company, "search indexing failed, rebuilding the index: {e}");
                    self.close_writer(company);
                    self.shards.write().unwrap_or_else(|p| p.into_inner()).remove(&company);
                    let mut stale = lock(&self.stale);
                    if !stale.contains(&company) {
                        stale.push_back(company);
                    }
                    failed.extend(items.iter().map(|(j, _)| (*j, e.to_string())));
                }
            }
        }
        drop(tx);
        let applied = jobs.len();
        db.write_blocking(|w| {
            for id in &done {
                outbox::done(w, *id)?;
            }
            for (id, error) in &failed {
                outbox::failed(w, *id, error.clone(), now_ms)?;
            }
            Ok::<(), StorageError>(())
        })?;
        Ok(applied)
    }

    fn apply_company(&self, tx: &ReadTx, company: u64, items: &[(u64, u64)]) -> Result<(), SearchError> {
        let Some(shard) = self.shard(company, true)? else {
            return Ok(());
        };
        let mut writers = lock(&self.writers);
        let at = match writers.iter().position(|w| w.company == company) {
            Some(at) => at,
            None => {
                if writers.len() >= MAX_WRITERS
                    && let Some(oldest) = writers.iter().enumerate().min_by_key(|(_, w)| w.last_used).map(|(i, _)| i)
                {
                    let w = writers.swap_remove(oldest);
                    if let Err(e) = w.writer.wait_merging_threads() {
                        tracing::warn!(company = w.company, "closing search writer: {e}");
                    }
                }
                writers.push(OpenWriter { company, writer: shard.writer(index::INCREMENTAL_HEAP)?, last_used: Instant::now() });
                writers.len() - 1
            }
        };
        let slot = &mut writers[at];
        slot.last_used = Instant::now();
        let mut seen = Vec::with_capacity(items.len());
        for (_, product) in items {
            if seen.contains(product) {
                continue;
            }
            seen.push(*product);
            slot.writer.delete_term(Term::from_field_u64(shard.fields.id, *product));
            if let Some(p) = tx.get(PRODUCTS, (company, *product))? {
                slot.writer.add_document(index::document(&shard.fields, &p))?;
            }
        }
        let applied = items.iter().map(|(j, _)| *j).max().unwrap_or(0);
        let mut commit = slot.writer.prepare_commit()?;
        commit.set_payload(&Payload { schema: SCHEMA_VERSION, applied }.encode());
        commit.commit()?;
        shard.reader.reload()?;
        Ok(())
    }

    /// One step of the search worker: find stale indexes once, rebuild one of them, or apply
    /// a batch of jobs; closes idle writers when there is nothing to do.
    pub fn run_once(&self, db: &Db, now_ms: i64, progress: &dyn Fn(CompanyId, u64, u64)) -> Result<Step, SearchError> {
        if !self.checked.swap(true, Ordering::SeqCst) {
            let found = self.find_stale(db);
            match found {
                Ok(found) => lock(&self.stale).extend(found.into_iter().map(|c| c.0)),
                Err(e) => {
                    self.checked.store(false, Ordering::SeqCst);
                    return Err(e);
                }
            }
        }
        let next = lock(&self.stale).pop_front();
        if let Some(company) = next {
            let company = CompanyId(company);
            tracing::info!(company = company.0, "rebuilding the search index");
            let docs = match self.rebuild(db, company, &|done, total| progress(company, done, total)) {
                Ok(docs) => docs,
                Err(e) => {
                    lock(&self.stale).push_back(company.0);
                    return Err(e);
                }
            };
            return Ok(Step::Rebuilt { company, docs });
        }
        let jobs = self.apply_jobs(db, now_ms)?;
        if jobs > 0 {
            return Ok(Step::Applied { jobs });
        }
        self.close_idle_writers(WRITER_IDLE);
        Ok(Step::Idle)
    }

    /// Rebuilds the indexes of `only` (or of every company) in turn; for `dukan reindex`.
    pub fn reindex(
        &self,
        db: &Db,
        only: Option<CompanyId>,
        progress: &dyn Fn(CompanyId, u64, u64),
    ) -> Result<Vec<(CompanyId, u64)>, SearchError> {
        let companies: Vec<CompanyId> = {
            let tx = db.read()?;
            let all = tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)?;
            all.into_iter().map(|(id, _)| CompanyId(id)).filter(|c| only.is_none_or(|o| o == *c)).collect()
        };
        if let Some(c) = only
            && companies.is_empty()
        {
            return Err(SearchError::NoCompany(c));
        }
        let mut out = Vec::with_capacity(companies.len());
        for c in companies {
            out.push((c, self.rebuild(db, c, &|done, total| progress(c, done, total))?));
        }
        Ok(out)
    }

    /// Companies waiting for a rebuild.
    pub fn pending_rebuilds(&self) -> usize {
        lock(&self.stale).len()
    }
}
