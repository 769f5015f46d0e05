//! Purchases benchmark (`cargo bench --bench purchases`; numbers go to BENCHMARKS.md, issue 14):
//! posting a purchase of 1,000 lines on credit (draft + post in one durable transaction: the
//! draft receipt, its posting with FIFO layers, the payable row and balance, the due-date
//! index, the audit row), beside a plain stock receipt of 1,000 lines in the same run, and a
//! supplier payment against the grown payable.
//!
//! In-process through the domain functions the API calls. `DUKAN_BENCH_RUNS` (default 20) sets
//! the runs; `DUKAN_BENCH_DIR=/dev/shm` keeps fdatasync off the disk.

mod common;

use common::measure::{pct, since as ms};

use std::time::Instant;

use dukan::clients::ClientDraft;
use dukan::clock::Ts;
use dukan::ids::ProductId;
use dukan::purchasing::{PaymentDraft, PurchaseDraft, PurchaseLineDraft};

const LINES: usize = 1000;
const LIMIT_MS: f64 = 200.0;

fn main() {
    let runs: usize = std::env::var("DUKAN_BENCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20).max(1);
    let dir = common::sales::tempdir();
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 256 << 20).expect("open");
    let start = Ts(1_788_458_400_000);
    let a = common::sales::company(&db, start, "bench@purchases.kg");
    let (products, _, wh) = common::sales::catalogue(&db, &a, start, 5 * LINES);
    let supplier = db
        .write_blocking(|tx| {
            let d = ClientDraft { kind: "supplier".into(), name: "ОсОО «Поставщик»".into(), ..ClientDraft::default() };
            dukan::clients::save_client(tx, &a, start, None, &d).map(|(c, _)| c.id)
        })
        .expect("supplier");

    let slice = |run: usize| -> &[ProductId] { &products[(run * LINES) % (4 * LINES)..][..LINES] };
    let mut now = start;
    let mut purchase = Vec::new();
    let mut receipt = Vec::new();
    let mut total = rust_decimal::Decimal::ZERO;
    for run in 0..runs {
        now = now.plus_ms(1000);
        let d = PurchaseDraft {
            supplier: Some(supplier),
            warehouse: Some(wh),
            terms: "credit".into(),
            due_days: "7".into(),
            lines: slice(run)
                .iter()
                .enumerate()
                .map(|(i, p)| PurchaseLineDraft { product: Some(*p), qty: format!("{}", 1 + i % 9), price: "70.55".into() })
                .collect(),
            ..PurchaseDraft::default()
        };
        let t = Instant::now();
        let p = db
            .write_blocking(|tx| {
                let p = dukan::purchasing::save_purchase(tx, &a, now, None, &d)?;
                dukan::purchasing::post_purchase(tx, &a, now, p.id)
            })
            .expect("purchase");
        purchase.push(ms(t));
        total += p.total;

        // The same lines as a plain stock receipt, for the figure the issue compares with.
        now = now.plus_ms(1000);
        let r = dukan::inventory::DocDraft {
            kind: "receipt".into(),
            warehouse: Some(wh),
            lines: slice(run)
                .iter()
                .map(|p| dukan::inventory::LineDraft { product: Some(*p), qty: "3".into(), cost: "70.55".into(), amount: String::new() })
                .collect(),
            ..dukan::inventory::DocDraft::default()
        };
        let t = Instant::now();
        db.write_blocking(|tx| {
            let id = dukan::inventory::save_draft(tx, &a, now, None, &r)?;
            dukan::inventory::post(tx, &a, now, id).map(|_| ())
        })
        .expect("receipt");
        receipt.push(ms(t));
    }

    // Paying part of the payable from a bank account (approved at once: the owner decides).
    let bank = db
        .write_blocking(|tx| {
            let d = dukan::finance::BankAccountDraft { name: "Банк".into(), branch: None, details: String::new(), active: true };
            dukan::finance::save_bank_account(tx, &a, now, None, &d).map(|b| b.id)
        })
        .expect("bank account");
    let mut pay = Vec::new();
    for run in 0..runs {
        now = now.plus_ms(1000);
        let d = PaymentDraft {
            key: format!("pay-{run}"),
            amount: "1000".into(),
            account: format!("bank:{bank}"),
            prepayment: false,
            note: String::new(),
        };
        let t = Instant::now();
        db.write_blocking(|tx| dukan::purchasing::pay_supplier(tx, &a, now, supplier, &d)).expect("payment");
        pay.push(ms(t));
    }
    let rx = db.read().expect("read");
    let t = Instant::now();
    let due = dukan::purchasing::query::to_pay(&rx, &a, now, 7).expect("to pay");
    let due_ms = ms(t);
    drop(rx);
    let t = Instant::now();
    let problems = dukan::check::run(&db).expect("check");
    let check_s = t.elapsed().as_secs_f64();
    assert!(problems.is_empty(), "{problems:?}");

    println!("## Purchases run\n");
    println!("Setup: {} products, one supplier, {runs} purchases of {LINES} lines on credit (total {total}).\n", products.len());
    println!("| measure | result | goal |");
    println!("|---|---|---|");
    println!(
        "| post a purchase of {LINES} lines on credit (draft + post, one durable commit; {runs} runs) | p50 {:.0} ms, max {:.0} ms | ≤ {LIMIT_MS:.0} ms |",
        pct(purchase.clone(), 0.5),
        pct(purchase.clone(), 1.0)
    );
    println!(
        "| post a stock receipt of the same {LINES} lines (same run) | p50 {:.0} ms, max {:.0} ms | recorded |",
        pct(receipt.clone(), 0.5),
        pct(receipt, 1.0)
    );
    println!(
        "| supplier payment from a bank account ({runs} runs) | p50 {:.1} ms, max {:.1} ms | recorded |",
        pct(pay.clone(), 0.5),
        pct(pay, 1.0)
    );
    println!("| \"to pay this week\" ({} purchases listed) | {due_ms:.2} ms | recorded |", due.len());
    println!("| `dukan check` over the file | {check_s:.2} s, 0 problems | recorded |");
    if pct(purchase, 0.5) > LIMIT_MS {
        println!("OVER THE LIMIT");
    }
}
