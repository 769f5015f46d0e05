//! Point-of-sale benchmarks (`cargo bench --bench pos`; numbers go to BENCHMARKS.md):
//! - durable checkout of a 5-line sale over HTTP with 64 concurrent tills (each its own cash box
//!   and shift): throughput, p50, p99 — beside the raw redb single-commit rate of the same run
//!   and a probe of the disk's own fdatasync latency;
//! - scan-to-cart latency (one till scanning barcodes);
//! - closing a shift that holds 10,000 sales.
//!
//! The real release server runs as a child process; the load generator shares the two cores.
//! `DUKAN_BENCH_SECS` (default 10), `DUKAN_BENCH_SHIFT_SALES` (default 10000) and
//! `DUKAN_BENCH_RATE` (the open-loop offered rate, default 2000 checkouts/s) scale it;
//! `DUKAN_BENCH_CLIENT_THREADS` (default 2) sets the load generator's threads;
//! `DUKAN_BENCH_DIR` where the data dir goes (default the system temp dir; `/dev/shm` takes the
//! disk out of the measurement).

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::till::{Api, env, ms, pct, start};
use common::{dukan, free_port};
use serde_json::{Value, json};

const TILLS: usize = 64;
const PRODUCTS: usize = 200;

struct Load {
    rate: f64,
    p50: f64,
    p99: f64,
    sales: usize,
    errors: u64,
    /// (batches, operations) the server reported over the run, from /metrics.
    batches: (u64, u64),
    /// Batch commits over 25 ms during the run, and the longest commit since the server started (ms).
    slow_commits: u64,
    max_commit_ms: f64,
    /// fdatasync calls over 25 ms during the run, and the longest since the server started (ms).
    slow_syncs: u64,
    max_sync_ms: f64,
    /// Mean batch commit and mean fdatasync over the run (ms).
    mean_commit_ms: f64,
    mean_sync_ms: f64,
}

/// Runs the tills for `secs`: closed loop when `rate` is `None`, else each till sends on a
/// fixed schedule so that all together offer `rate` checkouts per second.
async fn load(api: &Arc<Api>, boxes: &[u64], products: &Arc<Vec<u64>>, secs: u64, rate: Option<u64>) -> Load {
    static RUN: AtomicU64 = AtomicU64::new(0);
    let run = RUN.fetch_add(1, Ordering::Relaxed);
    let before = batch_metrics(api).await;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    let tills = boxes.len();
    for (t, b) in boxes.iter().copied().enumerate() {
        let (api, products, errors) = (api.clone(), products.clone(), errors.clone());
        let every = rate.map(|r| Duration::from_secs_f64(tills as f64 / r as f64));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut n = 0u64;
            // Tills start spread over one period so they do not send in lockstep.
            let mut due = start + every.map(|e| e.mul_f64(t as f64 / tills as f64)).unwrap_or_default();
            loop {
                if let Some(e) = every {
                    tokio::time::sleep_until(due.into()).await;
                    due += e;
                }
                let t0 = if every.is_some() { due - every.unwrap_or_default() } else { Instant::now() };
                if t0 >= deadline {
                    break;
                }
                let body = checkout_body(format!("load-{run}-{t}-{n}"), b, &products, n);
                if api.post_raw("/api/v1/sales", body).await == 201 {
                    lat.push(t0.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
                n += 1;
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap_or_default());
    }
    let elapsed = start.elapsed().as_secs_f64().max(secs as f64);
    let after = batch_metrics(api).await;
    lat.sort();
    Load {
        rate: lat.len() as f64 / elapsed,
        p50: pct(&lat, 0.5),
        p99: pct(&lat, 0.99),
        sales: lat.len(),
        errors: errors.load(Ordering::Relaxed),
        batches: (after.batches.saturating_sub(before.batches), after.ops.saturating_sub(before.ops)),
        slow_commits: after.slow_commits.saturating_sub(before.slow_commits),
        max_commit_ms: after.max_commit * 1000.0,
        slow_syncs: after.slow_syncs.saturating_sub(before.slow_syncs),
        max_sync_ms: after.max_sync * 1000.0,
        mean_commit_ms: mean_ms(after.commit_seconds - before.commit_seconds, after.batches - before.batches),
        mean_sync_ms: mean_ms(after.sync_seconds - before.sync_seconds, after.syncs - before.syncs),
    }
}

/// What no durable design can beat on this disk: a plain 256 KiB write and fdatasync every
/// 5 ms for `span` (about the bytes a busy batch commit writes), nothing else running.
fn disk_probe(path: &Path, span: Duration) -> Vec<Duration> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::options().create(true).truncate(true).read(true).write(true).open(path);
    let file = file.unwrap_or_else(|e| panic!("probe file: {e}"));
    let block: Vec<u8> = (0..256 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let (start, mut out, mut offset) = (Instant::now(), Vec::new(), 0u64);
    while start.elapsed() < span {
        let t0 = Instant::now();
        file.write_all_at(&block, offset).and_then(|()| file.sync_data()).unwrap_or_else(|e| panic!("probe write: {e}"));
        out.push(t0.elapsed());
        offset = (offset + block.len() as u64) % (64 << 20);
        std::thread::sleep(Duration::from_millis(5));
    }
    let _ = std::fs::remove_file(path);
    out.sort();
    out
}

fn mean_ms(seconds: f64, count: u64) -> f64 {
    seconds * 1000.0 / count.max(1) as f64
}

/// The storage counters of the server's /metrics the report quotes.
struct Metrics {
    batches: u64,
    ops: u64,
    slow_commits: u64,
    max_commit: f64,
    slow_syncs: u64,
    max_sync: f64,
    commit_seconds: f64,
    syncs: u64,
    sync_seconds: f64,
}

async fn batch_metrics(api: &Api) -> Metrics {
    let text = match api.http.get(format!("{}/metrics", api.base)).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    };
    let read = |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).and_then(|v| v.trim().parse::<f64>().ok()).unwrap_or(0.0);
    Metrics {
        batches: read("dukan_storage_batches ") as u64,
        ops: read("dukan_storage_batched_operations ") as u64,
        slow_commits: read("dukan_storage_batch_commits_slow ") as u64,
        max_commit: read("dukan_storage_batch_commit_seconds_max "),
        slow_syncs: read("dukan_storage_fsyncs_slow ") as u64,
        max_sync: read("dukan_storage_fsync_seconds_max "),
        commit_seconds: read("dukan_storage_batch_commit_seconds_total "),
        syncs: read("dukan_storage_fsyncs ") as u64,
        sync_seconds: read("dukan_storage_fsync_seconds_total "),
    }
}

fn checkout_body(key: String, cash_box: u64, products: &[u64], n: u64) -> String {
    let lines: Vec<String> =
        (0..5).map(|i| format!(r#"{{"product":{},"qty":"1"}}"#, products[((n * 7 + i * 13) as usize) % products.len()])).collect();
    format!(
        r#"{{"idempotency_key":"{key}","cash_box":{cash_box},"lines":[{}],"payments":[{{"method":"cash","amount":"10000"}}]}}"#,
        lines.join(",")
    )
}

fn main() {
    let secs = env("DUKAN_BENCH_SECS", 10);
    let shift_sales = env("DUKAN_BENCH_SHIFT_SALES", 10_000);
    let rate = env("DUKAN_BENCH_RATE", 2_000);
    // DUKAN_BENCH_DIR=/dev/shm puts the data file on tmpfs, where fdatasync returns at once:
    // what the software itself does, without the disk's stalls.
    let tmp = match std::env::var_os("DUKAN_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data = tmp.path().join("data");
    let created = dukan()
        .args(["company", "create", "--data", data.to_str().unwrap_or("."), "--name", "Бенч маркет", "--country", "KG"])
        .args(["--owner-email", "pos@bench.local", "--owner-password", "bench-password-1"])
        .stdout(Stdio::null())
        .status();
    assert!(created.is_ok_and(|s| s.success()), "company create failed");
    let port = free_port();
    let child = start(dukan(), &data, port);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(env("DUKAN_BENCH_CLIENT_THREADS", 2) as usize)
        // The tills are other machines in a shop; here they share the server's two cores, so
        // they sit at the server's runtime priority, below its writer thread, rather than
        // taking the writer's CPU. Latency still counts from each send's scheduled moment, so a
        // till that is slow to send is charged to the result.
        .on_thread_start(dukan::storage::yield_cpu_to_writer)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let report = rt.block_on(async move {
        let http = reqwest::Client::builder().pool_max_idle_per_host(TILLS * 2).build().unwrap_or_default();
        let base = format!("http://127.0.0.1:{port}");
        let api = Arc::new(Api::login(http, base, "pos@bench.local", "bench-password-1", None).await);
        let wh = api.post("/api/v1/warehouses", json!({"name": "Торговый зал"})).await["id"].as_u64().unwrap_or(0);
        let mut products = Vec::new();
        let mut barcodes = Vec::new();
        for i in 0..PRODUCTS {
            let body12 = format!("46{:010}", 1000 + i);
            let digits: Vec<u32> = body12.chars().filter_map(|c| c.to_digit(10)).collect();
            let sum: u32 = digits.iter().rev().enumerate().map(|(i, d)| d * if i % 2 == 0 { 3 } else { 1 }).sum();
            let code = format!("{body12}{}", (10 - sum % 10) % 10);
            let p = api
                .post("/api/v1/products", json!({"name": format!("Товар {i}"), "barcodes": [code], "purchase_price": "50", "price": "80"}))
                .await;
            products.push(p["id"].as_u64().unwrap_or(0));
            barcodes.push(code);
        }
        let lines: Vec<Value> = products.iter().map(|p| json!({"product": p, "qty": "1000000", "cost": "50"})).collect();
        api.post("/api/v1/documents", json!({"kind": "receipt", "warehouse": wh, "lines": lines, "post": true})).await;
        let mut boxes = Vec::new();
        let mut shifts = Vec::new();
        for i in 0..TILLS {
            let b =
                api.post("/api/v1/cash-boxes", json!({"name": format!("Касса {i}"), "warehouse": wh})).await["id"].as_u64().unwrap_or(0);
            shifts.push(api.post("/api/v1/shifts", json!({"cash_box": b, "opening_cash": "5000"})).await["id"].as_u64().unwrap_or(0));
            boxes.push(b);
        }
        let products = Arc::new(products);

        // 64 tills checking out for `secs` as fast as they can (closed loop: the saturated rate).
        let saturated = load(&api, &boxes, &products, secs, None).await;
        // The same 64 tills offered a fixed 2,000 checkouts/s in all (open loop: each till sends
        // on its own schedule, and latency counts from the scheduled moment, so a stall that
        // delays later sends is charged to them).
        let offered = load(&api, &boxes, &products, secs, Some(rate)).await;

        // Scan to cart: one till, 2,000 scans.
        let mut scans = Vec::new();
        for i in 0..2000 {
            let t0 = Instant::now();
            let (st, v) = api
                .call(
                    reqwest::Method::POST,
                    "/api/v1/pos/cart/scan",
                    Some(json!({"cash_box": boxes[0], "code": barcodes[i % barcodes.len()]})),
                )
                .await;
            assert_eq!(st, 200, "scan: {v}");
            scans.push(t0.elapsed());
            if i % 50 == 49 {
                api.call(reqwest::Method::DELETE, &format!("/api/v1/pos/cart?cash_box={}", boxes[0]), None).await;
            }
        }
        scans.sort();

        // A shift with `shift_sales` sales (8 tills fill box 1's shift... one cashier per box, so
        // one client sells on it), then its close.
        let (_, x) = api.call(reqwest::Method::GET, &format!("/api/v1/shifts/{}", shifts[1]), None).await;
        let have = x["sales"].as_u64().unwrap_or(0);
        let mut pending = Vec::new();
        for n in (have..shift_sales).map(|i| 1_000_000 + i) {
            let (api, products) = (api.clone(), products.clone());
            let body = checkout_body(format!("fill-{n}"), boxes[1], &products, n);
            pending.push(tokio::spawn(async move { api.post_raw("/api/v1/sales", body).await }));
            if pending.len() == 32 {
                for p in pending.drain(..) {
                    let _ = p.await;
                }
            }
        }
        for p in pending {
            let _ = p.await;
        }
        let (_, x) = api.call(reqwest::Method::GET, &format!("/api/v1/shifts/{}", shifts[1]), None).await;
        let in_shift = x["sales"].as_u64().unwrap_or(0);
        let expected = x["expected_cash"].as_str().unwrap_or("0").to_string();
        let mut closes = Vec::new();
        for (i, s) in shifts.iter().enumerate().skip(1).take(5) {
            let counted = if i == 1 { expected.clone() } else { "5000".into() };
            let t0 = Instant::now();
            let (st, v) =
                api.call(reqwest::Method::POST, &format!("/api/v1/shifts/{s}/close"), Some(json!({"closing_cash": counted}))).await;
            assert_eq!(st, 200, "close: {v}");
            closes.push(t0.elapsed());
        }
        (saturated, offered, scans, in_shift, closes)
    });
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let mut child = child;
    let _ = child.wait();
    let check = dukan().args(["check", "--data", data.to_str().unwrap_or(".")]).output();
    let check_ok = check.as_ref().is_ok_and(|o| o.status.success());

    // The raw limit, same machine, same run: one durable redb commit per write, one writer.
    let db = dukan::schema::open(&tmp.path().join("raw.redb"), 16 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let mut raw = Vec::new();
    let t_raw = Instant::now();
    let mut i = 0u64;
    while t_raw.elapsed() < Duration::from_secs(5) {
        let t0 = Instant::now();
        db.write_unbatched(|tx| tx.set_meta("bench_counter", i)).unwrap_or_else(|e| panic!("commit: {e}"));
        raw.push(t0.elapsed());
        i += 1;
    }
    raw.sort();
    drop(db);
    let disk = disk_probe(&tmp.path().join("probe.bin"), Duration::from_secs(secs));
    let (saturated, offered, scans, in_shift, closes) = report;
    println!("## Point of sale run\n");
    println!("| measure | result | goal |");
    println!("|---|---|---|");
    println!(
        "| durable checkout, 5-line sale, HTTP, {TILLS} tills as fast as they can, {secs} s | {:.0} checkouts/s, p50 {:.1} ms, p99 {:.1} ms ({} sales, {} errors) | ≥ 2,000/s |",
        saturated.rate, saturated.p50, saturated.p99, saturated.sales, saturated.errors
    );
    println!(
        "| durable checkout, 5-line sale, HTTP, {TILLS} tills offered {rate}/s in all, {secs} s (latency from the scheduled send) | {:.0} checkouts/s, p50 {:.1} ms, p99 {:.1} ms ({} sales, {} errors) | 2,000/s with p99 ≤ 25 ms |",
        offered.rate, offered.p50, offered.p99, offered.sales, offered.errors
    );
    for (what, l) in [("as fast as they can", &saturated), ("offered a fixed rate", &offered)] {
        println!(
            "| checkouts per durable batch transaction, {what} | {:.1} ({} batches, mean commit {:.2} ms, mean fsync {:.2} ms; {} commits over 25 ms; longest commit so far {:.1} ms; {} fsyncs over 25 ms; longest fsync so far {:.1} ms) | — |",
            l.batches.1 as f64 / l.batches.0.max(1) as f64,
            l.batches.0,
            l.mean_commit_ms,
            l.mean_sync_ms,
            l.slow_commits,
            l.max_commit_ms,
            l.slow_syncs,
            l.max_sync_ms
        );
    }
    println!(
        "| limit: raw redb durable single-row commit, one writer, 5 s | {:.0} commits/s, p50 {:.2} ms, p99 {:.2} ms | — |",
        raw.len() as f64 / 5.0,
        pct(&raw, 0.5),
        pct(&raw, 0.99)
    );
    println!(
        "| limit: the disk itself — 256 KiB write + fdatasync every 5 ms beside the data file, {secs} s | p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.1} ms, longest {:.1} ms; {} of {} over 25 ms | — |",
        pct(&disk, 0.5),
        pct(&disk, 0.99),
        pct(&disk, 0.999),
        disk.last().copied().map(ms).unwrap_or_default(),
        disk.iter().filter(|d| **d > Duration::from_millis(25)).count(),
        disk.len()
    );
    println!("| scan to cart, one till, 2,000 scans | p50 {:.2} ms, p99 {:.2} ms | p99 ≤ 5 ms |", pct(&scans, 0.5), pct(&scans, 0.99));
    let big = closes.first().copied().map(ms).unwrap_or_default();
    let mut others = closes[1..].to_vec();
    others.sort();
    println!(
        "| close a shift holding {in_shift} sales (HTTP round trip) | {big:.1} ms; shifts with a few sales p50 {:.1} ms | ≤ 50 ms |",
        pct(&others, 0.5)
    );
    println!(
        "| `dukan check` after the run (shifts, cash ledgers, sales, FIFO) | {} | no problems |",
        if check_ok { "0 problems" } else { "PROBLEMS" }
    );
}
