//! Stored values and table definitions: postcard-encoded records behind a redb `Value` whose
//! type name is the record's versioned name, and the `Table` handle domains declare.

use std::cell::Cell;
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

/// The one redb value type of every table: a record's raw postcard bytes, decoded by the
/// transaction wrappers so a decoding failure is an error, not a panic inside redb.
///
/// One type for all tables is what keeps the binary small: redb's B-tree code is generic over
/// the (key, value) types, and one value type per record (there are 180 tables) compiled that
/// code once per table, 7.5 MB of it (BENCHMARKS.md, issue 18). redb still records and checks
/// a per-table value type name, the record's versioned name: `type_name()` answers the name
/// [`Table::open_write`] / [`Table::open_read`] set for the duration of the `open_table` call,
/// the only moment redb asks (it compares the name with the one stored when the table was
/// created). Outside that window it answers [`UNNAMED`], which matches no stored table, so an
/// open that bypassed the wrappers fails with a type mismatch instead of reading a table as
/// the wrong record.
#[derive(Debug)]
pub struct Raw;

/// The value type name outside an open: no table was ever created under it.
const UNNAMED: &str = "dukan.unnamed-open";

thread_local! {
    static OPENING: Cell<&'static str> = const { Cell::new(UNNAMED) };
}

/// Names the value type of the table being opened on this thread, until dropped.
struct Opening;

impl Opening {
    fn name(value_type: &'static str) -> Opening {
        OPENING.with(|cell| cell.set(value_type));
        Opening
    }
}

impl Drop for Opening {
    fn drop(&mut self) {
        OPENING.with(|cell| cell.set(UNNAMED));
    }
}

impl redb::Value for Raw {
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
        redb::TypeName::new(OPENING.with(Cell::get))
    }
}

/// A table key as the data file stores it. Every key type has a raw twin with the same bytes,
/// order and type name — an id is its `u64`, a tuple is the tuple of its parts' twins — and
/// redb is only ever handed the twin, so its B-tree code exists once per key *shape* ((u64,
/// u64), (u64, &str), ...) rather than once per typed key ((CompanyId, ProductId), (CompanyId,
/// ClientId), ...). `storage::keys` tests that each twin keeps the type name and width.
pub trait StoredKey: redb::Key + 'static {
    type Raw: redb::Key + 'static;

    fn to_raw<'a, 'b: 'a>(key: &'a Self::SelfType<'b>) -> <Self::Raw as redb::Value>::SelfType<'a>;

    fn from_raw<'a>(raw: <Self::Raw as redb::Value>::SelfType<'a>) -> Self::SelfType<'a>;
}

/// Key types that are their own raw twin (integers, byte arrays, strings).
macro_rules! own_twin {
    ($($t:ty),* $(,)?) => {$(
        impl StoredKey for $t {
            type Raw = $t;

            #[allow(clippy::clone_on_copy)]
            fn to_raw<'a, 'b: 'a>(key: &'a Self::SelfType<'b>) -> <Self::Raw as redb::Value>::SelfType<'a> {
                key.clone()
            }

            fn from_raw<'a>(raw: <Self::Raw as redb::Value>::SelfType<'a>) -> Self::SelfType<'a> {
                raw
            }
        }
    )*};
}

own_twin!(u8, u16, u32, u64, u128, i64, [u8; 32], &'static str, String);

macro_rules! tuple_twin {
    ($($t:ident $i:tt),+) => {
        impl<$($t: StoredKey),+> StoredKey for ($($t,)+) {
            type Raw = ($($t::Raw,)+);

            fn to_raw<'a, 'b: 'a>(key: &'a Self::SelfType<'b>) -> <Self::Raw as redb::Value>::SelfType<'a> {
                ($($t::to_raw(&key.$i),)+)
            }

            fn from_raw<'a>(raw: <Self::Raw as redb::Value>::SelfType<'a>) -> Self::SelfType<'a> {
                ($($t::from_raw(raw.$i),)+)
            }
        }
    };
}

tuple_twin!(A 0, B 1);
tuple_twin!(A 0, B 1, C 2);
tuple_twin!(A 0, B 1, C 2, D 3);
tuple_twin!(A 0, B 1, C 2, D 3, E 4);
tuple_twin!(A 0, B 1, C 2, D 3, E 4, F 5);

/// A table: a typed key (an integer or tuple, tenant first for tenant data) and a record.
pub struct Table<K: StoredKey, V: Record> {
    pub(super) name: &'static str,
    _types: PhantomData<(K, V)>,
}

impl<K: StoredKey, V: Record> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<K: StoredKey, V: Record> Copy for Table<K, V> {}

impl<K: StoredKey, V: Record> Table<K, V> {
    pub const fn new(name: &'static str) -> Self {
        Table { name, _types: PhantomData }
    }

    /// Opens (creating it if needed) the table in a write transaction.
    pub(super) fn open_write(self, tx: &redb::WriteTransaction) -> Result<redb::Table<'_, K::Raw, Raw>, redb::TableError> {
        open_write::<K::Raw>(self.name, V::TYPE, tx)
    }

    /// Opens the table in a read transaction (`TableDoesNotExist` until its first row).
    pub(super) fn open_read(self, tx: &redb::ReadTransaction) -> Result<redb::ReadOnlyTable<K::Raw, Raw>, redb::TableError> {
        open_read::<K::Raw>(self.name, V::TYPE, tx)
    }

    pub fn name(self) -> &'static str {
        self.name
    }

    /// The registry entry of this table: documentation plus the copy and count functions that
    /// backups and `check` use without knowing the types.
    pub fn info(self, key: &'static str, doc: &'static str) -> TableInfo {
        TableInfo {
            name: self.name,
            key,
            value: V::TYPE,
            doc,
            copy: copy_rows::<K::Raw>,
            count: count_rows::<K::Raw>,
            twin: twin_matches::<K>,
        }
    }
}

pub(super) fn encode<V: Record>(value: &V) -> Result<Vec<u8>, StorageError> {
    postcard::to_stdvec(value).map_err(StorageError::Encode)
}

pub(super) fn decode<V: Record>(table: &'static str, bytes: &[u8]) -> Result<V, StorageError> {
    postcard::from_bytes(bytes).map_err(|source| StorageError::Decode { table, source })
}

fn open_write<'t, KR: redb::Key + 'static>(
    name: &'static str,
    value_type: &'static str,
    tx: &'t redb::WriteTransaction,
) -> Result<redb::Table<'t, KR, Raw>, redb::TableError> {
    let _named = Opening::name(value_type);
    tx.open_table(redb::TableDefinition::<KR, Raw>::new(name))
}

fn open_read<KR: redb::Key + 'static>(
    name: &'static str,
    value_type: &'static str,
    tx: &redb::ReadTransaction,
) -> Result<redb::ReadOnlyTable<KR, Raw>, redb::TableError> {
    let _named = Opening::name(value_type);
    tx.open_table(redb::TableDefinition::<KR, Raw>::new(name))
}

type CopyFn = fn(&'static str, &'static str, &redb::ReadTransaction, &redb::Database) -> Result<u64, StorageError>;
type CountFn = fn(&'static str, &'static str, &redb::ReadTransaction) -> Result<u64, StorageError>;

/// One row of the table registry (rendered to `schema/keyspace.txt`).
#[derive(Clone, Copy)]
pub struct TableInfo {
    pub name: &'static str,
    pub key: &'static str,
    pub value: &'static str,
    pub doc: &'static str,
    copy: CopyFn,
    count: CountFn,
    twin: fn() -> Result<(), String>,
}

impl TableInfo {
    /// Whether redb sees the same key type through the raw twin as through the typed key (name
    /// and width): what lets a file written with either open with the other.
    pub fn key_twin_matches(&self) -> Result<(), String> {
        (self.twin)().map_err(|e| format!("{}: {e}", self.name))
    }

    pub(super) fn copy(&self, src: &redb::ReadTransaction, dst: &redb::Database) -> Result<u64, StorageError> {
        (self.copy)(self.name, self.value, src, dst)
    }

    pub(super) fn count(&self, src: &redb::ReadTransaction) -> Result<u64, StorageError> {
        (self.count)(self.name, self.value, src)
    }
}

fn twin_matches<K: StoredKey>() -> Result<(), String> {
    use redb::Value;
    let (typed, raw) = (K::type_name(), K::Raw::type_name());
    if typed != raw {
        return Err(format!("key type {} is stored as {}", typed.name(), raw.name()));
    }
    if K::fixed_width() != K::Raw::fixed_width() {
        return Err(format!("key type {} changes width through its twin", typed.name()));
    }
    Ok(())
}

/// Rows a backup copies per (non-durable) commit of the new file, so its dirty pages never
/// pile up in memory.
pub(super) const COPY_CHUNK: u64 = 20_000;

fn copy_rows<KR: redb::Key + 'static>(
    name: &'static str,
    value_type: &'static str,
    src: &redb::ReadTransaction,
    dst: &redb::Database,
) -> Result<u64, StorageError> {
    use redb::ReadableTable;
    let source = match open_read::<KR>(name, value_type, src) {
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
            let mut out = open_write::<KR>(name, value_type, &wtx)?;
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

fn count_rows<KR: redb::Key + 'static>(
    name: &'static str,
    value_type: &'static str,
    src: &redb::ReadTransaction,
) -> Result<u64, StorageError> {
    use redb::ReadableTableMetadata;
    match open_read::<KR>(name, value_type, src) {
        Ok(t) => Ok(t.len()?),
        Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use redb::ReadableDatabase;

    use super::*;
    use crate::ids::{CompanyId, ProductId};

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Thing {
        n: u64,
    }
    impl Record for Thing {
        const TYPE: &'static str = "thing.v1";
    }

    /// The representation before the one value type: one redb value type per record, naming
    /// the record. Files written by it must keep opening.
    #[derive(Debug)]
    struct Legacy;
    impl redb::Value for Legacy {
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
            redb::TypeName::new(Thing::TYPE)
        }
    }

    const THINGS: Table<(CompanyId, ProductId), Thing> = Table::new("company_product_thing");

    #[test]
    fn a_table_written_with_a_per_record_value_type_opens_through_the_raw_twins() {
        let dir = tempfile::tempdir().expect("dir");
        let db = redb::Database::create(dir.path().join("codec.redb")).expect("create");
        let w = db.begin_write().expect("write");
        {
            let legacy: redb::TableDefinition<(CompanyId, ProductId), Legacy> = redb::TableDefinition::new(THINGS.name());
            let mut t = w.open_table(legacy).expect("legacy table");
            let bytes = encode(&Thing { n: 42 }).expect("encode");
            t.insert((CompanyId(1), ProductId(2)), bytes.as_slice()).expect("insert");
        }
        w.commit().expect("commit");

        let r = db.begin_read().expect("read");
        let t = THINGS.open_read(&r).expect("opens through the raw twins");
        let row = t.get((1u64, 2u64)).expect("get").expect("row");
        assert_eq!(decode::<Thing>(THINGS.name(), row.value()).expect("decode"), Thing { n: 42 });
        drop(t);

        // A record of another type under the same table name is refused, as before.
        const OTHER: Table<(CompanyId, ProductId), u64> = Table::new("company_product_thing");
        assert!(matches!(OTHER.open_read(&r), Err(redb::TableError::TableTypeMismatch { .. })));
        // And so is an open that did not go through the wrappers (no value type named).
        let bare: redb::TableDefinition<(u64, u64), Raw> = redb::TableDefinition::new(THINGS.name());
        assert!(matches!(r.open_table(bare), Err(redb::TableError::TableTypeMismatch { .. })));
    }

    #[test]
    fn twins_keep_the_key_type_name_and_width() {
        assert_eq!(twin_matches::<(CompanyId, ProductId)>(), Ok(()));
        assert_eq!(twin_matches::<(CompanyId, &'static str)>(), Ok(()));
        assert_eq!(twin_matches::<(CompanyId, u64, u64, String)>(), Ok(()));
        assert_eq!(THINGS.info("k", "d").key_twin_matches(), Ok(()));
    }
}
