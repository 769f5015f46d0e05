//! Read and write transaction wrappers: typed get/insert/remove/range over [`Table`]s, with
//! decoding errors surfaced as [`StorageError`] and the box-wide id counter.

use std::borrow::Borrow;

use redb::{ReadableTable, ReadableTableMetadata};

use super::StorageError;
use super::codec::{Raw, Record, StoredKey, Table, decode, encode};

/// Keys whose decoded form owns its data (integers, tuples of integers): only these can be
/// returned from range scans.
pub trait OwnedKey: StoredKey + for<'a> redb::Value<SelfType<'a> = Self> {}
impl<T> OwnedKey for T where T: StoredKey + for<'a> redb::Value<SelfType<'a> = T> {}

/// `meta`: box-level settings and counters ("schema_version", "next_id").
pub(super) const META: Table<&'static str, u64> = Table::new("meta_u64");

/// `company_counter_u64`: per-company gapless counters (product codes, PLUs, document numbers).
pub(super) const COUNTERS: Table<(u64, &'static str), u64> = Table::new("company_counter_u64");

pub struct ReadTx {
    tx: redb::ReadTransaction,
}

pub struct WriteTx {
    tx: redb::WriteTransaction,
    /// The next free id, loaded on first use and written back on commit.
    next_id: Option<u64>,
    /// The data file's hook table (see `storage::hooks`).
    hooks: super::Hooks,
    /// Set by `outbox::push`: after its durable commit, `Db` wakes the workers.
    pub(super) pushed_outbox: bool,
}

fn get_in<'k, K: StoredKey, V: Record, T: ReadableTable<K::Raw, Raw>>(
    table: &T,
    name: &'static str,
    key: impl Borrow<K::SelfType<'k>>,
) -> Result<Option<V>, StorageError> {
    match table.get(K::to_raw(key.borrow())).map_err(StorageError::from)? {
        Some(guard) => Ok(Some(decode(name, guard.value())?)),
        None => Ok(None),
    }
}

fn range_in<K: OwnedKey, V: Record, T: ReadableTable<K::Raw, Raw>>(
    table: &T,
    name: &'static str,
    lo: K,
    hi: K,
    reverse: bool,
    limit: usize,
    f: &mut dyn FnMut(K, V) -> Result<bool, StorageError>,
) -> Result<(), StorageError> {
    let range = table.range(K::to_raw(&lo)..=K::to_raw(&hi)).map_err(StorageError::from)?;
    let mut step =
        |row: Result<(redb::AccessGuard<'_, K::Raw>, redb::AccessGuard<'_, Raw>), redb::StorageError>| -> Result<bool, StorageError> {
            let (k, v) = row?;
            let value = decode(name, v.value())?;
            f(K::from_raw(k.value()), value)
        };
    let mut seen = 0usize;
    if reverse {
        for row in range.rev() {
            if seen >= limit || !step(row)? {
                break;
            }
            seen += 1;
        }
    } else {
        for row in range {
            if seen >= limit || !step(row)? {
                break;
            }
            seen += 1;
        }
    }
    Ok(())
}

/// The rows of `lo..=hi` in key order, at most `limit`.
fn list_in<K: OwnedKey, V: Record, T: ReadableTable<K::Raw, Raw>>(
    table: &T,
    name: &'static str,
    lo: K,
    hi: K,
    limit: usize,
) -> Result<Vec<(K, V)>, StorageError> {
    let mut out = Vec::new();
    range_in(table, name, lo, hi, false, limit, &mut |k, v| {
        out.push((k, v));
        Ok(true)
    })?;
    Ok(out)
}

/// Reads that work the same in both transaction kinds. A query written once over
/// `tx: &impl Read` serves a page (inside a read transaction) and a command (inside its write
/// transaction, seeing its own uncommitted rows); nothing needs a `_w` twin.
pub trait Read {
    fn get<'k, K: StoredKey, V: Record>(&self, table: Table<K, V>, key: impl Borrow<K::SelfType<'k>>) -> Result<Option<V>, StorageError>;

    /// Calls `f` for each row with `lo <= key <= hi`, ascending (or descending), at most
    /// `limit` rows, until `f` returns `false`.
    fn range<K: OwnedKey, V: Record>(
        &self,
        table: Table<K, V>,
        lo: K,
        hi: K,
        reverse: bool,
        limit: usize,
        f: impl FnMut(K, V) -> Result<bool, StorageError>,
    ) -> Result<(), StorageError>;

    /// Collects up to `limit` rows of `lo..=hi`.
    fn list<K: OwnedKey, V: Record>(&self, table: Table<K, V>, lo: K, hi: K, limit: usize) -> Result<Vec<(K, V)>, StorageError>;

    /// Rows in the table.
    fn len<K: StoredKey, V: Record>(&self, table: Table<K, V>) -> Result<u64, StorageError>;

    /// A box-level meta value.
    fn meta(&self, key: &str) -> Result<Option<u64>, StorageError>;
}

macro_rules! read_by_inherent {
    ($tx:ty) => {
        impl Read for $tx {
            fn get<'k, K: StoredKey, V: Record>(
                &self,
                table: Table<K, V>,
                key: impl Borrow<K::SelfType<'k>>,
            ) -> Result<Option<V>, StorageError> {
                <$tx>::get(self, table, key)
            }

            fn range<K: OwnedKey, V: Record>(
                &self,
                table: Table<K, V>,
                lo: K,
                hi: K,
                reverse: bool,
                limit: usize,
                f: impl FnMut(K, V) -> Result<bool, StorageError>,
            ) -> Result<(), StorageError> {
                <$tx>::range(self, table, lo, hi, reverse, limit, f)
            }

            fn list<K: OwnedKey, V: Record>(&self, table: Table<K, V>, lo: K, hi: K, limit: usize) -> Result<Vec<(K, V)>, StorageError> {
                <$tx>::list(self, table, lo, hi, limit)
            }

            fn len<K: StoredKey, V: Record>(&self, table: Table<K, V>) -> Result<u64, StorageError> {
                <$tx>::len(self, table)
            }

            fn meta(&self, key: &str) -> Result<Option<u64>, StorageError> {
                <$tx>::meta(self, key)
            }
        }
    };
}

read_by_inherent!(ReadTx);
read_by_inherent!(WriteTx);

impl ReadTx {
    pub(super) fn new(tx: redb::ReadTransaction) -> ReadTx {
        ReadTx { tx }
    }

    pub fn get<'k, K: StoredKey, V: Record>(
        &self,
        table: Table<K, V>,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<Option<V>, StorageError> {
        let t = match table.open_read(&self.tx) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        get_in::<K, V, _>(&t, table.name, key)
    }

    /// Calls `f` for each row with `lo <= key <= hi`, ascending (or descending), at most
    /// `limit` rows, until `f` returns `false`.
    pub fn range<K: OwnedKey, V: Record>(
        &self,
        table: Table<K, V>,
        lo: K,
        hi: K,
        reverse: bool,
        limit: usize,
        mut f: impl FnMut(K, V) -> Result<bool, StorageError>,
    ) -> Result<(), StorageError> {
        let t = match table.open_read(&self.tx) {
            Ok(t) => t,
            Err(redb::TableError::TableDoesNotExist(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        range_in(&t, table.name, lo, hi, reverse, limit, &mut f)
    }

    /// Collects up to `limit` rows of `lo..=hi`.
    pub fn list<K: OwnedKey, V: Record>(&self, table: Table<K, V>, lo: K, hi: K, limit: usize) -> Result<Vec<(K, V)>, StorageError> {
        match table.open_read(&self.tx) {
            Ok(t) => list_in(&t, table.name, lo, hi, limit),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    pub fn len<K: StoredKey, V: Record>(&self, table: Table<K, V>) -> Result<u64, StorageError> {
        match table.open_read(&self.tx) {
            Ok(t) => Ok(t.len()?),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    pub fn meta(&self, key: &str) -> Result<Option<u64>, StorageError> {
        self.get(META, key)
    }
}

impl WriteTx {
    pub(super) fn begin(db: &redb::Database, durability: redb::Durability, hooks: &super::Hooks) -> Result<WriteTx, StorageError> {
        let mut tx = db.begin_write()?;
        tx.set_durability(durability)?;
        Ok(WriteTx { tx, next_id: None, hooks: hooks.clone(), pushed_outbox: false })
    }

    /// The hooks other domains registered for changes made in this transaction.
    pub fn hooks(&self) -> super::Hooks {
        self.hooks.clone()
    }

    pub(super) fn commit(mut self) -> Result<(), StorageError> {
        if let Some(next) = self.next_id.take() {
            META.open_write(&self.tx)?.insert("next_id", encode(&next)?.as_slice())?;
        }
        self.tx.commit()?;
        Ok(())
    }

    pub(super) fn abort(self) {
        // Dropping an uncommitted redb write transaction aborts it; an explicit abort only adds
        // an error we could not act on.
        let _ = self.tx.abort();
    }

    pub fn get<'k, K: StoredKey, V: Record>(
        &self,
        table: Table<K, V>,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<Option<V>, StorageError> {
        let t = table.open_write(&self.tx)?;
        get_in::<K, V, _>(&t, table.name, key)
    }

    pub fn insert<'k, K: StoredKey, V: Record>(
        &mut self,
        table: Table<K, V>,
        key: impl Borrow<K::SelfType<'k>>,
        value: &V,
    ) -> Result<(), StorageError> {
        let bytes = encode(value)?;
        let mut t = table.open_write(&self.tx)?;
        t.insert(K::to_raw(key.borrow()), bytes.as_slice())?;
        Ok(())
    }

    /// Removes a row; returns whether it existed.
    pub fn remove<'k, K: StoredKey, V: Record>(
        &mut self,
        table: Table<K, V>,
        key: impl Borrow<K::SelfType<'k>>,
    ) -> Result<bool, StorageError> {
        let mut t = table.open_write(&self.tx)?;
        let existed = t.remove(K::to_raw(key.borrow()))?.is_some();
        Ok(existed)
    }

    pub fn range<K: OwnedKey, V: Record>(
        &self,
        table: Table<K, V>,
        lo: K,
        hi: K,
        reverse: bool,
        limit: usize,
        mut f: impl FnMut(K, V) -> Result<bool, StorageError>,
    ) -> Result<(), StorageError> {
        let t = table.open_write(&self.tx)?;
        range_in(&t, table.name, lo, hi, reverse, limit, &mut f)
    }

    pub fn list<K: OwnedKey, V: Record>(&self, table: Table<K, V>, lo: K, hi: K, limit: usize) -> Result<Vec<(K, V)>, StorageError> {
        list_in(&table.open_write(&self.tx)?, table.name, lo, hi, limit)
    }

    pub fn len<K: StoredKey, V: Record>(&self, table: Table<K, V>) -> Result<u64, StorageError> {
        Ok(table.open_write(&self.tx)?.len()?)
    }

    /// A fresh id, unique across the whole box and increasing.
    pub fn next_id(&mut self) -> Result<u64, StorageError> {
        let next = match self.next_id {
            Some(n) => n,
            None => self.get(META, "next_id")?.unwrap_or(1),
        };
        self.next_id = Some(next + 1);
        Ok(next)
    }

    pub fn meta(&self, key: &str) -> Result<Option<u64>, StorageError> {
        self.get(META, key)
    }

    /// The next value of a per-company counter, starting at 1. Committed with the operation, so
    /// numbers have no gaps and never repeat.
    pub fn next_counter(&mut self, company: u64, name: &str) -> Result<u64, StorageError> {
        let next = self.get(COUNTERS, (company, name))?.unwrap_or(0) + 1;
        self.insert(COUNTERS, (company, name), &next)?;
        Ok(next)
    }

    /// Raises a counter to at least `value` (when a number was typed by hand).
    pub fn bump_counter(&mut self, company: u64, name: &str, value: u64) -> Result<(), StorageError> {
        if self.get(COUNTERS, (company, name))?.unwrap_or(0) < value {
            self.insert(COUNTERS, (company, name), &value)?;
        }
        Ok(())
    }

    pub fn set_meta(&mut self, key: &str, value: u64) -> Result<(), StorageError> {
        self.insert(META, key, &value)
    }

    /// One table held open for several reads and writes (each [`WriteTx::get`] or
    /// [`WriteTx::insert`] opens and closes its table, which costs as much as a small lookup).
    pub fn open<K: StoredKey, V: Record>(&self, table: Table<K, V>) -> Result<TableMut<'_, K, V>, StorageError> {
        Ok(TableMut { t: table.open_write(&self.tx)?, name: table.name, _record: std::marker::PhantomData })
    }
}

/// A table opened once in a write transaction; see [`WriteTx::open`].
pub struct TableMut<'t, K: StoredKey, V: Record> {
    t: redb::Table<'t, K::Raw, Raw>,
    name: &'static str,
    _record: std::marker::PhantomData<V>,
}

impl<K: StoredKey, V: Record> TableMut<'_, K, V> {
    pub fn get<'k>(&self, key: impl Borrow<K::SelfType<'k>>) -> Result<Option<V>, StorageError> {
        get_in::<K, V, _>(&self.t, self.name, key)
    }

    pub fn insert<'k>(&mut self, key: impl Borrow<K::SelfType<'k>>, value: &V) -> Result<(), StorageError> {
        let bytes = encode(value)?;
        self.t.insert(K::to_raw(key.borrow()), bytes.as_slice())?;
        Ok(())
    }

    pub fn remove<'k>(&mut self, key: impl Borrow<K::SelfType<'k>>) -> Result<bool, StorageError> {
        Ok(self.t.remove(K::to_raw(key.borrow()))?.is_some())
    }
}

impl<K: OwnedKey, V: Record> TableMut<'_, K, V> {
    pub fn list(&self, lo: K, hi: K, limit: usize) -> Result<Vec<(K, V)>, StorageError> {
        list_in(&self.t, self.name, lo, hi, limit)
    }

    pub fn range(
        &self,
        lo: K,
        hi: K,
        reverse: bool,
        limit: usize,
        mut f: impl FnMut(K, V) -> Result<bool, StorageError>,
    ) -> Result<(), StorageError> {
        range_in(&self.t, self.name, lo, hi, reverse, limit, &mut f)
    }
}
