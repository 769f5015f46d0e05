//! Analytics tabs benchmark (`cargo bench --bench tabs`; numbers go to BENCHMARKS.md): one
//! company with 1,000,000 sales over a year at two cash boxes, written through `pos::checkout`
//! (so pos's daily projection and the boxes' money accounts are kept as in production), and
//! 50,000 money documents (expenses under rent, salary, utilities, taxes, supplier; some
//! income) through `finance::create_money_doc`, spread over the same year; then
//! - the stock tab over the year (`analytics::stock::report`: stock rows, the year's cost of
//!   sales and units per product);
//! - the finance tab over the year (`analytics::finance::report`: pos's and finance's daily
//!   projections);
//! - the other tabs over the year, for the record.
//!
//! `DUKAN_BENCH_SALES` (default 1000000), `DUKAN_BENCH_DAYS` (default 365) and
//! `DUKAN_BENCH_MONEY_DOCS` (default 50000) scale it.

mod common;

use common::measure::{env, timed};

use std::time::Instant;

use dukan::analytics::tab::Tab;
use dukan::clock::Ts;
use dukan::finance::MoneyDocDraft;
use dukan::finance::model::{AccountRef, MoneyDocKind};
use rust_decimal::Decimal;

const PRODUCTS: usize = 300;
const LIMIT_MS: f64 = 100.0;

fn main() {
    let sales = env("DUKAN_BENCH_SALES", 1_000_000);
    let days = env("DUKAN_BENCH_DAYS", 365).clamp(31, 365) as i64;
    let docs = env("DUKAN_BENCH_MONEY_DOCS", 50_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 1 << 30).expect("open");
    // 2026-09-04 00:00 in Bishkek, then `days` days of trading.
    let start = Ts(1_788_458_400_000);
    let a = common::sales::company(&db, start, "bench@tabs.kg");
    let (products, boxes, _) = common::sales::catalogue(&db, &a, start, PRODUCTS);
    // Sales: evenly over the days, 08:00–20:00 local, alternating boxes, 1–4 lines each.
    let (n, seeding) = common::sales::checkouts(&db, &a, start, days, sales, &products, &boxes);
    let hour = 3_600_000i64;

    // Money documents: evenly over the same days, in commits of 1,000.
    let t1 = Instant::now();
    let categories = ["rent", "salary", "utilities", "taxes", "supplier", "other"];
    let mut k = 0u64;
    while k < docs {
        let upto = (k + 1000).min(docs);
        db.write_blocking(|tx| -> dukan::error::Result<()> {
            for i in k..upto {
                let day = (i * days as u64 / docs.max(1)) as i64;
                let at = Ts(start.0 + day * Ts::MS_PER_DAY + 21 * hour);
                let income = i % 10 == 9;
                let d = MoneyDocDraft {
                    kind: if income { MoneyDocKind::Income } else { MoneyDocKind::Expense },
                    account: AccountRef::CashBox(boxes[(i % 2) as usize]),
                    to_account: None,
                    amount: Decimal::from(10 + i % 90),
                    category: if income { "other".into() } else { categories[(i % 6) as usize].into() },
                    counterparty: None,
                    reference: String::new(),
                    memo: String::new(),
                    date: Some(at),
                };
                dukan::finance::create_money_doc(tx, &a, at, &d)?;
            }
            Ok(())
        })
        .expect("money documents");
        k = upto;
    }
    let money_seeding = t1.elapsed();

    let rx = db.read().expect("read");
    let rows = rx.len(dukan::pos::daily::SALES_DAYS).expect("len");
    let product_rows = rx.len(dukan::pos::daily::PRODUCT_DAYS).expect("len");
    let money_rows = rx.len(dukan::finance::daily::MONEY_DAYS).expect("len");
    let file = std::fs::metadata(dir.path().join("dukan.redb")).map(|m| m.len()).unwrap_or(0);

    // The whole year of trading (the longest period a tab takes is 366 days).
    let now = Ts(start.0 + (days - 1) * Ts::MS_PER_DAY + 22 * hour);
    let to = now.date_local("Asia/Bishkek");
    let from = start.date_local("Asia/Bishkek");
    let q = dukan::analytics::Query { from: from.clone(), to: to.clone(), ..Default::default() };
    println!(
        "tabs bench: {n} sales over {days} days at 2 boxes, {PRODUCTS} products (seeded in {:.1} s, {:.0} checkouts/s batched 1000 per commit); {docs} money documents in {:.1} s",
        seeding.as_secs_f64(),
        n as f64 / seeding.as_secs_f64(),
        money_seeding.as_secs_f64()
    );
    println!(
        "projections: {rows} sales-day rows, {product_rows} product-day rows, {money_rows} money-day rows; data file {:.1} MiB",
        file as f64 / 1_048_576.0
    );
    println!("period {from}..{to}; limit {LIMIT_MS} ms for stock and finance");
    let mut over = Vec::new();
    for tab in [Tab::Stock, Tab::Finance, Tab::CashBoxes, Tab::Shifts, Tab::Products, Tab::Users] {
        let r = dukan::analytics::tab::report(&rx, &a, now, tab, &q).expect("tab");
        let (min, med) = timed(10, || dukan::analytics::tab::report(&rx, &a, now, tab, &q).expect("tab"));
        let shown: Vec<String> =
            r.figures.iter().take(5).map(|f| format!("{}={}", f.key, f.value.plain().unwrap_or_else(|| "—".into()))).collect();
        println!("  {:<10} min {min:7.2} ms, median {med:7.2} ms   {}", tab.code(), shown.join(" "));
        if matches!(tab, Tab::Stock | Tab::Finance) && med > LIMIT_MS {
            over.push(tab.code());
        }
    }
    let sales_report = dukan::analytics::sales_report(&rx, &a, now, &q).expect("sales");
    let finance = dukan::analytics::tab::report(&rx, &a, now, Tab::Finance, &q).expect("finance");
    assert_eq!(
        finance.figure("revenue").and_then(|c| c.plain()),
        Some(dukan::money::round_money(sales_report.summary.revenue).to_string()),
        "the finance tab's revenue is the sales report's"
    );
    if !over.is_empty() {
        println!("OVER THE LIMIT: {over:?}");
    }
}
