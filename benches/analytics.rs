//! Sales analytics benchmark (`cargo bench --bench analytics`; numbers go to BENCHMARKS.md):
//! one company with 100,000 sales over 90 days at two cash boxes, written through
//! `pos::checkout` (so the daily projection is kept as in production), then
//! - the month report (`analytics::sales_report`, 30 days) read from the projection;
//! - the same month's totals by scanning every sale, the way a report without the projection
//!   would have to;
//! - `check`'s recomputation of the projection (`pos::daily::verify`).
//!
//! `DUKAN_BENCH_SALES` (default 100000) and `DUKAN_BENCH_DAYS` (default 90) scale it.

mod common;

use common::measure::{env, timed};

use dukan::clock::Ts;
use rust_decimal::Decimal;

const PRODUCTS: usize = 300;

fn main() {
    let sales = env("DUKAN_BENCH_SALES", 100_000);
    let days = env("DUKAN_BENCH_DAYS", 90).max(31) as i64;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 256 << 20).expect("open");
    // 2026-09-04 00:00 in Bishkek, then `days` days of trading.
    let start = Ts(1_788_458_400_000);
    let a = common::sales::company(&db, start, "bench@analytics.kg");
    let company = a.company;
    let (products, boxes, _) = common::sales::catalogue(&db, &a, start, PRODUCTS);
    // Sales: evenly over the days, 08:00–20:00 local, alternating boxes, 1–4 lines each.
    let (n, seeding) = common::sales::checkouts(&db, &a, start, days, sales, &products, &boxes);
    let hour = 3_600_000i64;
    let rx = db.read().expect("read");
    let rows = rx.len(dukan::pos::daily::SALES_DAYS).expect("len");
    let product_rows = rx.len(dukan::pos::daily::PRODUCT_DAYS).expect("len");
    let file = std::fs::metadata(dir.path().join("dukan.redb")).map(|m| m.len()).unwrap_or(0);

    // The last 30 days of trading.
    let now = Ts(start.0 + (days - 1) * Ts::MS_PER_DAY + 20 * hour);
    let to = now.date_local("Asia/Bishkek");
    let from = Ts(now.0 - 29 * Ts::MS_PER_DAY).date_local("Asia/Bishkek");
    let q = dukan::analytics::Query { from: from.clone(), to: to.clone(), ..Default::default() };
    let report = dukan::analytics::sales_report(&rx, &a, now, &q).expect("report");
    let (rep_min, rep_med) = timed(20, || dukan::analytics::sales_report(&rx, &a, now, &q).expect("report"));

    // The same month by scanning every sale of the company.
    let lo = Ts::parse_date(&from, "Asia/Bishkek").expect("from");
    let hi = Ts::parse_date(&to, "Asia/Bishkek").expect("to").plus_days(1);
    let scan = || {
        let (mut count, mut revenue, mut cost) = (0u64, Decimal::ZERO, Decimal::ZERO);
        rx.range(dukan::pos::store::SALES, (company.0, 0), (company.0, u64::MAX), false, usize::MAX, |_, s| {
            if s.at >= lo && s.at < hi {
                count += 1;
                revenue += s.total - s.returned;
                cost += s.cost();
            }
            Ok(true)
        })
        .expect("scan");
        (count, revenue, cost)
    };
    let (count, revenue, _) = scan();
    assert_eq!((count, revenue), (report.summary.sales, report.summary.revenue), "the projection and the scan agree");
    let (scan_min, scan_med) = timed(5, scan);
    let (ver_min, _) = timed(3, || dukan::pos::daily::verify(&rx).expect("verify"));
    let problems = dukan::pos::daily::verify(&rx).expect("verify");
    assert!(problems.is_empty(), "{problems:?}");

    println!(
        "analytics bench: {n} sales over {days} days at 2 boxes, {PRODUCTS} products (seeded in {:.1} s, {:.0} checkouts/s batched 1000 per commit)",
        seeding.as_secs_f64(),
        n as f64 / seeding.as_secs_f64()
    );
    println!("projection: {rows} day rows, {product_rows} product-day rows; data file {:.1} MiB", file as f64 / 1_048_576.0);
    println!(
        "month report {from}..{to}: {} sales, revenue {}, margin {}",
        report.summary.sales, report.summary.revenue, report.summary.margin
    );
    println!("  from the projection:   min {rep_min:.2} ms, median {rep_med:.2} ms");
    println!("  scanning every sale:   min {scan_min:.2} ms, median {scan_med:.2} ms (totals only)");
    println!("check of the projection (recompute from {n} sales): {ver_min:.0} ms");
}
