//! Upgrade of a large data file (issue 18): "migration of a 1 GB data file ≤ 60 s with
//! progress".
//!
//! Workload: a data file grown through the real write paths to `DUKAN_BENCH_UPGRADE_MB`
//! (default 1024) — one shop with a year of checkouts (`DUKAN_BENCH_SALES`, default 200,000:
//! sales, stock movements and layers, shifts, the cash ledger) and, to reach the size, the
//! audit rows of `dukan bench-seed` in further companies. The file is then put back into the
//! shape of schema v1: the projections the upgrade steps build (stock rows and totals, the
//! journal index, the daily sales tables, the money accounts) are emptied and the schema
//! version is stamped 1. Opening it with this binary is timed, as the server opens it: the
//! verified pre-upgrade copy first, then every step in one write transaction. `dukan check`
//! must find nothing afterwards — which also proves the v1 shape was complete (a projection
//! left behind would be counted twice).
//!
//! `DUKAN_BENCH_DIR` chooses where the file lives (the default temp dir is on the disk).

mod common;

use std::time::Instant;

use common::measure::{env, since};
use common::sales;
use dukan::clock::Ts;
use dukan::ids::{CompanyId, ProductId, WarehouseId};
use dukan::storage::{StorageError, WriteTx};

fn main() {
    let target_mb: u64 = env("DUKAN_BENCH_UPGRADE_MB", 1024);
    let n_sales: u64 = env("DUKAN_BENCH_SALES", 200_000);
    let dir = sales::tempdir();
    let path = dir.path().join("dukan.redb");
    let start = Ts(1_735_689_600_000); // 2025-01-01

    let t = Instant::now();
    {
        let db = dukan::schema::open(&path, 256 << 20).expect("open");
        let a = sales::company(&db, start, "upgrade@bench.local");
        let (products, boxes, _) = sales::catalogue(&db, &a, start, 2_000);
        let (n, took) = sales::checkouts(&db, &a, start, 365, n_sales, &products, &boxes);
        eprintln!("seeded {n} checkouts in {:.1} s", took.as_secs_f64());
        let hasher = dukan::auth::password::Hasher::new(8, 1).expect("hasher");
        while mb(&path) < target_mb {
            let need = (target_mb - mb(&path)).max(8);
            // ~160 bytes of file per audit row, measured on the first round.
            dukan::seed::bench(&db, &hasher, start, need * 6_000, 4, |_| {}).expect("filler");
        }
        db.write_blocking(to_v1).expect("back to the v1 shape");
    }
    let size = mb(&path);
    eprintln!("seeded a {size} MB file at schema v1 in {:.0} s", since(t) / 1000.0);

    let t = Instant::now();
    let db = dukan::schema::open(&path, 256 << 20).expect("upgrade");
    let took = since(t) / 1000.0;
    let problems = dukan::check::run(&db).expect("check");
    let backups: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".before-upgrade-v1-"))
        .collect();
    println!("| data file | {size} MB at schema v1 ({n_sales} checkouts + audit filler) |");
    println!(
        "| open with upgrade to v{}: verified copy + {} steps | {took:.1} s |",
        dukan::schema::SCHEMA_VERSION,
        dukan::schema::MIGRATIONS.len()
    );
    println!("| pre-upgrade copy kept | {} |", backups.join(", "));
    println!("| `dukan check` after | {} problems |", problems.len());
    assert!(problems.is_empty(), "{:?}", &problems[..problems.len().min(5)]);
    assert_eq!(backups.len(), 1, "one verified pre-upgrade copy");
}

fn mb(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len() >> 20).unwrap_or(0)
}

/// Empties what the upgrade steps build and stamps the file as schema v1.
fn to_v1(tx: &mut WriteTx) -> Result<(), StorageError> {
    use dukan::finance::store as f;
    use dukan::inventory::store as i;
    use dukan::pos::daily as d;
    let (lo, hi) = (CompanyId::MIN, CompanyId::MAX);
    macro_rules! empty {
        ($table:expr, $lo:expr, $hi:expr) => {
            for (k, _) in tx.list($table, $lo, $hi, usize::MAX)? {
                tx.remove($table, k)?;
            }
        };
    }
    let (w0, w1, p0, p1) = (WarehouseId::MIN, WarehouseId::MAX, ProductId::MIN, ProductId::MAX);
    empty!(i::STOCK_ROWS, (lo, w0, p0), (hi, w1, p1));
    empty!(i::STOCK_TOTALS, (lo, w0), (hi, w1));
    empty!(i::MOVES_BY_DATE, (lo, 0, 0, 0), (hi, u64::MAX, u64::MAX, u64::MAX));
    empty!(d::SALES_DAYS, (0, 0, 0, 0, 0), (u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX));
    empty!(d::PRODUCT_DAYS, (0, 0, 0, 0, 0, 0), (u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX));
    empty!(f::ACCOUNT_LEDGER, (lo, 0, 0), (hi, u64::MAX, u64::MAX));
    empty!(f::ACCOUNT_BALANCES, (lo, 0), (hi, u64::MAX));
    empty!(f::ACCOUNT_DAYS, (lo, 0, 0), (hi, u64::MAX, u64::MAX));
    empty!(f::MONEY_JOURNAL, (lo, 0, 0, 0), (hi, u64::MAX, u64::MAX, u64::MAX));
    empty!(dukan::finance::daily::MONEY_DAYS, (lo, 0, 0, String::new()), (hi, u64::MAX, u64::MAX, "\u{10FFFF}".to_string()));
    tx.set_meta("schema_version", 1)
}
