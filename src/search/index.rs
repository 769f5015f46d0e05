//! One company's index on disk: the schema, the document of a product, opening and creating
//! the directory, and the commit payload that says how far the index has caught up.

use std::path::Path;

use serde::{Deserialize, Serialize};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument};

use super::SearchError;
use super::analysis;
use crate::catalog::model::{Kind, Product};

/// Bumped whenever fields or analysis change: an index with another version is rebuilt.
pub const SCHEMA_VERSION: u32 = 1;

/// Writer heap for the indexing worker's small batches (tantivy's minimum).
pub const INCREMENTAL_HEAP: usize = 15 << 20;
/// Writer heap for a full rebuild: fewer, larger segments.
pub const REBUILD_HEAP: usize = 50 << 20;

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    /// Stemmed words of the name (Russian, then English).
    pub name: Field,
    /// Name words as written, lowercased: what typos are measured against.
    pub words: Field,
    /// Every typing prefix of every name word, lowercased and unstemmed.
    pub prefix: Field,
    /// Every prefix of every name word's sound key.
    pub sound: Field,
    /// Exact keys, lowercased: barcodes, PLU, internal code, article.
    pub keys: Field,
    pub category: Field,
    pub brand: Field,
    pub archived: Field,
    pub kind: Field,
}

fn text(tokenizer: &str, record: IndexRecordOption) -> TextOptions {
    TextOptions::default().set_indexing_options(TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(record))
}

pub fn schema() -> Schema {
    let mut b = Schema::builder();
    b.add_u64_field("id", INDEXED | STORED | FAST);
    b.add_text_field("name", text(analysis::STEMMED, IndexRecordOption::WithFreqs));
    b.add_text_field("words", text(analysis::WORDS, IndexRecordOption::WithFreqs));
    b.add_text_field("prefix", text(analysis::PREFIX, IndexRecordOption::WithFreqs));
    b.add_text_field("sound", text(analysis::SOUND, IndexRecordOption::WithFreqs));
    b.add_text_field("keys", text("raw", IndexRecordOption::Basic));
    b.add_u64_field("category", INDEXED);
    b.add_u64_field("brand", INDEXED);
    b.add_bool_field("archived", INDEXED);
    b.add_u64_field("kind", INDEXED);
    b.build()
}

impl Fields {
    pub fn of(schema: &Schema) -> Result<Fields, SearchError> {
        let f = |name: &str| schema.get_field(name).map_err(SearchError::from);
        Ok(Fields {
            id: f("id")?,
            name: f("name")?,
            words: f("words")?,
            prefix: f("prefix")?,
            sound: f("sound")?,
            keys: f("keys")?,
            category: f("category")?,
            brand: f("brand")?,
            archived: f("archived")?,
            kind: f("kind")?,
        })
    }
}

pub fn kind_code(kind: Kind) -> u64 {
    match kind {
        Kind::Goods => 0,
        Kind::Service => 1,
        Kind::Bundle => 2,
    }
}

/// Exact keys are compared trimmed and lowercased on both sides.
pub fn key(raw: &str) -> String {
    raw.trim().to_lowercase()
}

pub fn document(f: &Fields, p: &Product) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_u64(f.id, p.id.0);
    doc.add_text(f.name, &p.name);
    doc.add_text(f.words, &p.name);
    doc.add_text(f.prefix, &p.name);
    doc.add_text(f.sound, &p.name);
    let plu = p.plu.map(|n| n.to_string());
    for k in p.barcodes.iter().map(String::as_str).chain([p.code.as_str(), p.article.as_str()]).chain(plu.as_deref()) {
        let k = key(k);
        if !k.is_empty() {
            doc.add_text(f.keys, &k);
        }
    }
    doc.add_u64(f.category, p.category.map_or(0, |c| c.0));
    doc.add_u64(f.brand, p.brand.map_or(0, |b| b.0));
    doc.add_bool(f.archived, p.archived);
    doc.add_u64(f.kind, kind_code(p.kind));
    doc
}

/// What the last commit of an index covered, stored as its commit payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub schema: u32,
    /// Every product change queued at or before this outbox id (a box-wide id) is in the index.
    pub applied: u64,
}

impl Payload {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn of(index: &Index) -> Result<Option<Payload>, SearchError> {
        let metas = index.load_metas()?;
        Ok(metas.payload.and_then(|p| serde_json::from_str(&p).ok()))
    }
}

/// An open index with its reader. Readers reload only when the worker commits.
pub struct Shard {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
}

fn register(index: &Index) {
    for (name, analyzer) in analysis::analyzers() {
        index.tokenizers().register(name, analyzer);
    }
}

impl Shard {
    pub fn open(dir: &Path) -> Result<Shard, SearchError> {
        let index = Index::open_in_dir(dir)?;
        Shard::with(index)
    }

    pub fn create(dir: &Path) -> Result<Shard, SearchError> {
        std::fs::create_dir_all(dir)?;
        let index = Index::create_in_dir(dir, schema())?;
        Shard::with(index)
    }

    fn with(index: Index) -> Result<Shard, SearchError> {
        register(&index);
        let fields = Fields::of(&index.schema())?;
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Shard { index, reader, fields })
    }

    /// A writer with one indexing thread and one merge thread.
    pub fn writer(&self, heap: usize) -> Result<IndexWriter, SearchError> {
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .memory_budget_per_thread(heap)
            .num_worker_threads(1)
            .num_merge_threads(1)
            .build();
        Ok(self.index.writer_with_options(options)?)
    }

    pub fn docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Product ids of the given hits, read from the `id` fast field.
    pub fn ids(&self, searcher: &tantivy::Searcher, hits: &[(f32, tantivy::DocAddress)]) -> Result<Vec<u64>, SearchError> {
        let mut out = Vec::with_capacity(hits.len());
        for (_, addr) in hits {
            let column = searcher.segment_reader(addr.segment_ord).fast_fields().u64("id")?;
            if let Some(id) = column.first(addr.doc_id) {
                out.push(id);
            }
        }
        Ok(out)
    }
}
