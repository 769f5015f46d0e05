//! Stock benchmarks (`cargo bench --bench stock`; numbers go to BENCHMARKS.md):
//! - posting a receipt of 1,000 lines (draft + post, one durable transaction);
//! - posting a stock count of 20,000 lines, and refusing one with 500 invalid lines (all listed);
//! - the stock-on-hand report of a warehouse with 50,000 products and 5,000,000 movements;
//! - turnover of that warehouse over half the ledger, and movement journal pages.
//!
//! Everything runs in-process through the domain functions the API calls. Scale down with
//! `DUKAN_BENCH_PRODUCTS` (default 50000) and `DUKAN_BENCH_MOVES` (default 5000000).

mod common;

use common::measure::{env, pct, since as ms};

use std::time::Instant;

use dukan::catalog::{self, ProductDraft};
use dukan::clock::Ts;
use dukan::ids::{CompanyId, ProductId, UserId, WarehouseId};
use dukan::inventory::{self, DocDraft, LineDraft};
use dukan::storage::Db;
use dukan::tenancy::actor::Actor;
use dukan::tenancy::{self, Creator, ParsedCompany};

fn actor(company: CompanyId, user: UserId) -> Actor {
    Actor { platform_admin: true, ip: "127.0.0.1".into(), ..common::sales::owner(company, user) }
}

fn lines(products: &[ProductId], qty: &str, cost: &str) -> Vec<LineDraft> {
    products.iter().map(|p| LineDraft { product: Some(*p), qty: qty.into(), cost: cost.into(), amount: String::new() }).collect()
}

fn post(db: &Db, a: &Actor, now: Ts, kind: &str, wh: WarehouseId, lines: Vec<LineDraft>) -> Result<(), dukan::error::Error> {
    let draft = DocDraft { kind: kind.into(), warehouse: Some(wh), lines, ..DocDraft::default() };
    db.write_blocking(|tx| {
        let id = inventory::save_draft(tx, a, now, None, &draft)?;
        inventory::post(tx, a, now, id).map(|_| ())
    })
}

fn main() {
    let n_products = env("DUKAN_BENCH_PRODUCTS", 50_000);
    let n_moves = env("DUKAN_BENCH_MOVES", 5_000_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 512 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let mut now = Ts(1_772_355_600_000);
    let parsed = ParsedCompany {
        name: "Бенч".into(),
        country: dukan::country::Country::KG,
        owner_name: "Владелец".into(),
        owner_email: "stock@bench.local".into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, owner) = db
        .write_blocking(|tx| tenancy::create_company(tx, now, &parsed, "unused".into(), Creator::Cli))
        .unwrap_or_else(|e| panic!("company: {e}"));
    let a = actor(company, owner);
    let wh = db
        .write_blocking(|tx| inventory::save_warehouse(tx, &a, now, None, "Основной", None, true))
        .unwrap_or_else(|e| panic!("warehouse: {e}"));
    let t0 = Instant::now();
    let mut products = Vec::with_capacity(n_products);
    for chunk in 0..n_products.div_ceil(5000) {
        let ids = db
            .write_blocking(|tx| {
                let mut ids = Vec::new();
                for i in chunk * 5000..((chunk + 1) * 5000).min(n_products) {
                    let draft = ProductDraft {
                        name: format!("Товар {i}"),
                        unit: "pcs".into(),
                        price: "100".into(),
                        purchase_price: "70".into(),
                        ..ProductDraft::default()
                    };
                    ids.push(catalog::save_product(tx, &a, now, None, &draft)?);
                }
                Ok::<_, dukan::error::Error>(ids)
            })
            .unwrap_or_else(|e| panic!("products: {e}"));
        products.extend(ids);
    }
    let products_s = t0.elapsed().as_secs_f64();

    // Receipts of 1,000 lines.
    let mut receipt = Vec::new();
    for run in 0..20 {
        now = now.plus_ms(1000);
        let slice = &products[(run * 1000) % n_products.max(1000)..][..1000.min(n_products)];
        let t = Instant::now();
        post(&db, &a, now, "receipt", wh, lines(slice, "10", "70.50")).unwrap_or_else(|e| panic!("receipt: {e}"));
        receipt.push(ms(t));
    }

    // A count of 20,000 lines, and one with 500 invalid lines.
    let count_n = 20_000.min(n_products);
    now = now.plus_ms(1000);
    post(&db, &a, now, "receipt", wh, lines(&products[..count_n], "5", "70")).unwrap_or_else(|e| panic!("receipt: {e}"));
    now = now.plus_ms(1000);
    let counted: Vec<LineDraft> = products[..count_n]
        .iter()
        .enumerate()
        .map(|(i, p)| LineDraft { product: Some(*p), qty: format!("{}", 3 + i % 9), ..LineDraft::default() })
        .collect();
    let t = Instant::now();
    post(&db, &a, now, "count", wh, counted).unwrap_or_else(|e| panic!("count: {e}"));
    let count_ms = ms(t);
    let mut bad: Vec<LineDraft> =
        products[..count_n].iter().map(|p| LineDraft { product: Some(*p), qty: "4".into(), ..LineDraft::default() }).collect();
    for (i, l) in bad.iter_mut().enumerate().filter(|(i, _)| i % 40 == 0) {
        l.qty = if i % 80 == 0 { "-1".into() } else { "abc".into() };
    }
    let t = Instant::now();
    let refused = post(&db, &a, now, "count", wh, bad);
    let bad_ms = ms(t);
    let listed = refused.as_ref().err().map(|e| e.fields().len()).unwrap_or(0);

    // Fill the ledger to the target movement count with alternating receipts and write-offs
    // over every product.
    let t_fill = Instant::now();
    let mut moves = 20 * 1000 + 2 * count_n;
    let mut receiving = true;
    while moves < n_moves {
        now = now.plus_ms(1000);
        let (kind, qty) = if receiving { ("receipt", "3") } else { ("write_off", "2") };
        post(&db, &a, now, kind, wh, lines(&products, qty, "71.25")).unwrap_or_else(|e| panic!("fill {kind}: {e}"));
        moves += products.len();
        receiving = !receiving;
    }
    let fill_s = t_fill.elapsed().as_secs_f64();
    let file_mb = std::fs::metadata(dir.path().join("dukan.redb")).map(|m| m.len()).unwrap_or(0) as f64 / 1_048_576.0;

    let mut report = Vec::new();
    let mut rows = 0;
    for _ in 0..20 {
        let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
        let t = Instant::now();
        let r = inventory::report::on_hand(&tx, company, wh, None, inventory::report::OnHandFilter::default(), 100_000)
            .unwrap_or_else(|e| panic!("report: {e}"));
        report.push(ms(t));
        rows = r.rows.len();
    }
    let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
    let t = Instant::now();
    let low = inventory::report::on_hand(&tx, company, wh, None, inventory::report::OnHandFilter { category: None, low: true }, 100_000)
        .unwrap_or_else(|e| panic!("report: {e}"));
    let low_ms = ms(t);
    let sale_total = (low.warehouse.items, low.warehouse.sale_value);

    // Turnover over the whole ledger's last half (every product, two seeks each), and journal
    // pages of 100 rows: the whole company by date, and one product.
    // Each fill round is one second later and touches every product once.
    let rounds = (moves / n_products.max(1)) as i64;
    let (from, to) = (now.0 - rounds / 2 * 1000, now.0 + 1);
    let mut turnover = Vec::new();
    let mut turnover_rows = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let r = inventory::report::turnover(&tx, company, Some(wh), None, from, to).unwrap_or_else(|e| panic!("turnover: {e}"));
        turnover.push(ms(t));
        turnover_rows = r.rows.len();
    }
    let mut journal = Vec::new();
    let mut journal_product = Vec::new();
    let filter = inventory::report::JournalFilter { from: Some(from), ..Default::default() };
    let one = inventory::report::JournalFilter { product: Some(products[n_products / 2]), warehouse: Some(wh), ..Default::default() };
    for _ in 0..20 {
        let t = Instant::now();
        let j = inventory::report::journal(&tx, company, &filter, None, 100).unwrap_or_else(|e| panic!("journal: {e}"));
        journal.push(ms(t));
        assert_eq!(j.rows.len(), 100);
        let t = Instant::now();
        let j = inventory::report::journal(&tx, company, &one, None, 100).unwrap_or_else(|e| panic!("journal: {e}"));
        journal_product.push(ms(t));
        assert!(!j.rows.is_empty());
    }
    drop(tx);
    let t = Instant::now();
    let problems = dukan::check::run(&db).unwrap_or_else(|e| panic!("check: {e}"));
    let check_s = t.elapsed().as_secs_f64();

    println!("## Stock run\n");
    println!(
        "Setup: {n_products} products created in {products_s:.1} s; ledger filled to {moves} movements in {fill_s:.0} s ({file_mb:.0} MB data file).\n"
    );
    println!("| measure | result | goal |");
    println!("|---|---|---|");
    println!(
        "| post a receipt of 1,000 lines (draft + post, one durable commit; 20 runs) | p50 {:.0} ms, max {:.0} ms | ≤ 200 ms |",
        pct(receipt.clone(), 0.5),
        pct(receipt, 1.0)
    );
    println!("| post a stock count of {count_n} lines | {count_ms:.0} ms | ≤ 5 s |");
    println!(
        "| refuse a count of {count_n} lines with 500 invalid ones, all listed | {bad_ms:.0} ms, {listed} errors listed | all in one response |"
    );
    println!(
        "| stock-on-hand report, {rows} products, {moves} movements (20 runs) | p50 {:.1} ms, max {:.1} ms | ≤ 100 ms |",
        pct(report.clone(), 0.5),
        pct(report, 1.0)
    );
    println!("| low-stock report, same warehouse | {low_ms:.1} ms ({} rows) | recorded |", low.rows.len());
    println!("| warehouse running total ({} items, at sale price {}) | read with the report | recorded |", sale_total.0, sale_total.1);
    println!(
        "| turnover of one warehouse over the last half of the ledger, {turnover_rows} products (5 runs) | p50 {:.0} ms, max {:.0} ms | recorded |",
        pct(turnover.clone(), 0.5),
        pct(turnover, 1.0)
    );
    println!(
        "| movement journal page (100 rows) over a period, whole company (20 runs) | p50 {:.2} ms, max {:.2} ms | recorded |",
        pct(journal.clone(), 0.5),
        pct(journal, 1.0)
    );
    println!(
        "| movement journal page (100 rows) of one product (20 runs) | p50 {:.2} ms, max {:.2} ms | recorded |",
        pct(journal_product.clone(), 0.5),
        pct(journal_product, 1.0)
    );
    println!("| `dukan check` over the whole file (replays every item) | {check_s:.1} s, {} problems | recorded |", problems.len());
}
