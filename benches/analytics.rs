//! Sales analytics benchmark (`cargo bench --bench analytics`; numbers go to BENCHMARKS.md):
//! one company with 100,000 sales over 90 days at two cash boxes, written through
//! `pos::checkout` (so the daily projection is kept as in production), then
//! - the month report (`analytics::sales_report`, 30 days) read from the projection;
//! - the same month's totals by scanning every sale, the way a report without the projection
//!   would have to;
//! - `check`'s recomputation of the projection (`pos::daily::verify`).
//!
//! `DUKAN_BENCH_SALES` (default 100000) and `DUKAN_BENCH_DAYS` (default 90) scale it.

use std::time::{Duration, Instant};

use dukan::clock::Ts;
use dukan::i18n::Lang;
use dukan::ids::{CashBoxId, ProductId};
use dukan::pos::{self, CashBoxDraft, CheckoutDraft, LineDraft, PaymentDraft};
use dukan::tenancy::actor::{Actor, BranchScope};
use dukan::tenancy::model::{Access, SystemRole, all_features};
use dukan::tenancy::perms::PermSet;
use dukan::tenancy::{Creator, ParsedCompany};
use rust_decimal::Decimal;

const PRODUCTS: usize = 300;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` `n` times and returns (min, median) in milliseconds.
fn timed<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    let mut runs: Vec<f64> = (0..n)
        .map(|_| {
            let t0 = Instant::now();
            std::hint::black_box(f());
            ms(t0.elapsed())
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    (runs[0], runs[runs.len() / 2])
}

fn main() {
    let sales = env("DUKAN_BENCH_SALES", 100_000);
    let days = env("DUKAN_BENCH_DAYS", 90).max(31) as i64;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 256 << 20).expect("open");
    // 2026-09-04 00:00 in Bishkek, then `days` days of trading.
    let start = Ts(1_788_458_400_000);
    let parsed = ParsedCompany {
        name: "Бенчмарк".into(),
        country: dukan::country::Country::KG,
        owner_name: "Владелец".into(),
        owner_email: "bench@analytics.kg".into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, owner) =
        db.write_blocking(|tx| dukan::tenancy::create_company(tx, start, &parsed, "not-a-hash".into(), Creator::Cli)).expect("company");
    let a = Actor {
        company,
        user: owner,
        user_name: "bench".into(),
        role: SystemRole::Owner,
        perms: PermSet::all(),
        branch: BranchScope::Company,
        ip: String::new(),
        lang: Lang::Ru,
        platform_admin: false,
        access: Access::Full,
        features: all_features(),
    };
    let (products, boxes) = db
        .write_blocking(|tx| -> dukan::error::Result<(Vec<ProductId>, Vec<CashBoxId>)> {
            let wh = dukan::inventory::save_warehouse(tx, &a, start, None, "Склад", None, true)?;
            let mut products = Vec::new();
            for i in 0..PRODUCTS {
                let d = dukan::catalog::ProductDraft {
                    name: format!("Товар {i}"),
                    unit: "pcs".into(),
                    purchase_price: format!("{}", 40 + i % 50),
                    markup: "25".into(),
                    ..dukan::catalog::ProductDraft::default()
                };
                products.push(dukan::catalog::save_product(tx, &a, start, None, &d)?);
            }
            let lines = products
                .iter()
                .map(|p| dukan::inventory::LineDraft { product: Some(*p), qty: "1000000".into(), cost: "50".into(), amount: String::new() })
                .collect();
            let d = dukan::inventory::DocDraft {
                kind: "receipt".into(),
                date: Some(start),
                warehouse: Some(wh),
                supplier: "Поставщик".into(),
                lines,
                ..dukan::inventory::DocDraft::default()
            };
            let id = dukan::inventory::save_draft(tx, &a, start, None, &d)?;
            dukan::inventory::post(tx, &a, start, id)?;
            let mut boxes = Vec::new();
            for name in ["Касса 1", "Касса 2"] {
                let d = CashBoxDraft { name: name.into(), branch: None, expense_only: false, warehouse: Some(wh), active: true };
                boxes.push(pos::save_cash_box(tx, &a, start, None, &d)?);
            }
            Ok((products, boxes))
        })
        .expect("catalogue");

    // Sales: evenly over the days, 08:00–20:00 local, alternating boxes, 1–4 lines each.
    let per_day = sales.div_ceil(days as u64);
    let t0 = Instant::now();
    let mut n = 0u64;
    let hour = 3_600_000i64;
    for day in 0..days {
        let open = Ts(start.0 + day * Ts::MS_PER_DAY + 2 * hour);
        let shifts: Vec<_> = db
            .write_blocking(|tx| boxes.iter().map(|b| pos::open_shift(tx, &a, open, *b, "0")).collect::<dukan::error::Result<Vec<_>>>())
            .expect("open shifts");
        let today = per_day.min(sales - n);
        for chunk in (0..today).collect::<Vec<_>>().chunks(1000) {
            db.write_blocking(|tx| -> dukan::error::Result<()> {
                for i in chunk {
                    let k = n + i;
                    let at = Ts(open.0 + 12 * hour * (*i as i64) / today.max(1) as i64);
                    let lines: Vec<LineDraft> = (0..1 + k % 4)
                        .map(|j| LineDraft {
                            product: Some(products[((k * 7 + j * 13) % PRODUCTS as u64) as usize]),
                            qty: (1 + (k + j) % 3).to_string(),
                            price: "100".into(),
                            ..LineDraft::default()
                        })
                        .collect();
                    let total: u64 = (0..1 + k % 4).map(|j| 100 * (1 + (k + j) % 3)).sum();
                    let method = ["cash", "card", "wallet:MBank", "transfer"][(k % 4) as usize];
                    let d = CheckoutDraft {
                        key: format!("s{k}"),
                        cash_box: Some(boxes[(k % 2) as usize]),
                        lines: Some(lines),
                        payments: vec![PaymentDraft { method: method.into(), amount: total.to_string() }],
                        ..CheckoutDraft::default()
                    };
                    pos::checkout(tx, &a, at, &d)?;
                }
                Ok(())
            })
            .expect("checkout");
        }
        n += today;
        let close = Ts(open.0 + 13 * hour);
        db.write_blocking(|tx| -> dukan::error::Result<()> {
            for s in &shifts {
                let expected = tx.get(dukan::pos::store::SHIFTS, (company.0, s.id.0))?.map(|s| s.expected_cash()).unwrap_or_default();
                pos::close_shift(tx, &a, close, s.id, &expected.to_string())?;
            }
            Ok(())
        })
        .expect("close shifts");
        if n >= sales {
            break;
        }
    }
    let seeding = t0.elapsed();
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
