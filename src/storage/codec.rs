//! Stored values and table definitions: postcard-encoded records behind a redb `Value` whose
//! type name is the record's versioned name, and the `Table` handle domains declare.

use std::fmt::Debug;
use std::marker::PhantomData;

use serde::{Serialize, de::DeserializeOwned};

use super::StorageError;

/// A value stored in a table. `TYPE` is its stable, versioned name ("company.v1"); changing a
/// stored shape means a new name and a migration, never an in-place edit.
pub trait Record: Serialize + DeserializeOwned + Debug + Send + Sync + 'static {
    const TYPE: &'static str;
}

impl Record for u64 {
    const TYPE: &'static str = "u64";
}

/// The redb view of a record: raw postcard bytes, decoded by the transaction wrappers so a
/// decoding failure is an error, not a panic inside redb.
#[derive(Debug)]
pub struct Pc<T>(PhantomData<T>);

impl<T: Record> redb::Value for Pc<T> {
    type SelfType<'a>
        = &'a [u8]
    where
        Self: 'a;
    type AsBytes<'a>
        = &'a [u8]
    where
        Self: 'a;

    fn fixed_width() -> Option<usize> {
        None
    }

    fn from_bytes<'a>(data: &'a [u8]) -> &'a [u8]
    where
        Self: 'a,
    {
        data
    }

    fn as_bytes<'a, 'b: 'a>(value: &'a &'b [u8]) -> &'a [u8]
    where
        Self: 'b,
    {
        value
    }

    fn type_name() -> redb::TypeName {
        redb::TypeName::new(T::TYPE)
    }
}

/// A table: a typed key (an integer or tuple, tenant first for tenant data) and a record.
pub struct Table<K: redb::Key + 'static, V: Record> {
    pub(super) name: &'static str,
    _types: PhantomData<(K, V)>,
}

impl<K: redb::Key + 'static, V: Record> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: redb::Key + 'static, V: Record> Copy for Table<K, V> {}

impl<K: redb::Key + 'static, V: Record> Table<K, V> {
    pub const fn new(name: &'static str) -> Self {
        Table { name, _types: PhantomData }
    }

    pub(super) fn def(self) -> redb::TableDefinition<'static, K, Pc<V>> {
        redb::TableDefinition::new(self.name)
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    /// The registry entry of this table: documentation plus the copy and count functions that
    /// backups and `check` use without knowing the types.
    pub fn info(self, key: &'static str, doc: &'static str) -> TableInfo {
        TableInfo { name: self.name, key, value: V::TYPE, doc, copy: copy_rows::<K, V>, count: count_rows::<K, V> }
    }
}

pub(super) fn encode<V: Record>(value: &V) -> Result<Vec<u8>, StorageError> {
    postcard::to_stdvec(value).map_err(StorageError::Encode)
}

pub(super) fn decode<V: Record>(table: &'static str, bytes: &[u8]) -> Result<V, StorageError> {
    postcard::from_bytes(bytes).map_err(|source| StorageError::Decode { table, source })
}

type CopyFn = fn(&'static str, &redb::ReadTransaction, &redb::Database) -> Result<u64, StorageError>;
type CountFn = fn(&'static str, &redb::ReadTransaction) -> Result<u64, StorageError>;

/// One row of the table registry (rendered to `schema/keyspace.txt`).
#[derive(Clone, Copy)]
pub struct TableInfo {
    pub name: &'static str,
    pub key: &'static str,
    pub value: &'static str,
    pub doc: &'static str,
    copy: CopyFn,
    count: CountFn,
}

impl TableInfo {
    pub(super) fn copy(&self, src: &redb::ReadTransaction, dst: &redb::Database) -> Result<u64, StorageError> {
        (self.copy)(self.name, src, dst)
    }

    pub(super) fn count(&self, src: &redb::ReadTransaction) -> Result<u64, StorageError> {
        (self.count)(self.name, src)
    }
}

/// Rows a backup copies per (non-durable) commit of the new file, so its dirty pages never
/// pile up in memory.
pub(super) const COPY_CHUNK: u64 = 20_000;

fn copy_rows<K: redb::Key + 'static, V: Record>(
    name: &'static str,
    src: &redb::ReadTransaction,
    dst: &redb::Database,
) -> Result<u64, StorageError> {
    use redb::ReadableTable;
    let def = Table::<K, V>::new(name).def();
    let source = match src.open_table(def) {
        Ok(t) => Some(t),
        Err(redb::TableError::TableDoesNotExist(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let mut rows_in = source.as_ref().map(|t| t.iter()).transpose()?;
    let mut rows = 0;
    loop {
        let mut wtx = dst.begin_write()?;
        wtx.set_durability(redb::Durability::None)?;
        let mut more = false;
        {
            let mut out = wtx.open_table(def)?;
            if let Some(iter) = rows_in.as_mut() {
                for row in iter.by_ref() {
                    let (k, v) = row?;
                    out.insert(k.value(), v.value())?;
                    rows += 1;
                    if rows % COPY_CHUNK == 0 {
                        more = true;
                        break;
                    }
                }
            }
        }
        wtx.commit()?;
        if !more {
            return Ok(rows);
        }
    }
}

fn count_rows<K: redb::Key + 'static, V: Record>(name: &'static str, src: &redb::ReadTransaction) -> Result<u64, StorageError> {
    use redb::ReadableTableMetadata;
    match src.open_table(Table::<K, V>::new(name).def()) {
        Ok(t) => Ok(t.len()?),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
        Err(e) => Err(e.into()),
    }
}
