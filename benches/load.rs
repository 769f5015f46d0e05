//! Foundation benchmarks (run with `cargo bench --bench load`; numbers go to BENCHMARKS.md):
//! - start to first `/healthz` 200, on an empty data dir and with 1,000,000 stored records;
//! - idle RSS of the server process, and the release binary's size;
//! - authenticated reads (`GET /api/v1/me`) at 64 concurrent keep-alive connections:
//!   throughput, p50, p99 — client and server share the machine's two cores;
//! - the raw redb durable single-row commit rate, measured in the same run as the limit row.
//!
//! `DUKAN_BENCH_RECORDS` (default 1000000) and `DUKAN_BENCH_SECS` (default 10) scale it down.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn dukan() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dukan"));
    c.env("DUKAN_BACKUP_DAILY_AT", "").env("DUKAN_LOG", "warn");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18_081)
}

fn start(data: &Path, port: u16) -> Child {
    dukan()
        .args(["serve", "--data", data.to_str().unwrap_or("."), "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn dukan: {e}"))
}

/// Milliseconds from spawn to the first 200 from /healthz. The child is returned running; the
/// caller stops and waits for it.
#[allow(clippy::zombie_processes)]
fn time_to_health(data: &Path) -> (f64, Child, u16) {
    let port = free_port();
    let t0 = Instant::now();
    let mut child = start(data, port);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            use std::io::{Read, Write};
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut buf = [0u8; 16];
            if s.read(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.1 200") {
                return (t0.elapsed().as_secs_f64() * 1000.0, child, port);
            }
        }
        if t0.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("server did not become healthy");
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn stop(mut child: Child) {
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let _ = child.wait();
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn startup_series(data: &Path, runs: usize) -> (f64, f64) {
    let mut ms = Vec::new();
    for _ in 0..runs {
        let (t, child, _) = time_to_health(data);
        ms.push(t);
        stop(child);
    }
    ms.sort_by(f64::total_cmp);
    (ms[ms.len() / 2], ms[ms.len() - 1])
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn me_load(port: u16, secs: u64, conns: usize) -> (f64, f64, f64, usize, usize) {
    let http = reqwest::Client::builder().pool_max_idle_per_host(conns).build().unwrap_or_default();
    let base = format!("http://127.0.0.1:{port}");
    let login: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "bench1@bench.local", "password": dukan::seed::BENCH_PASSWORD}))
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("bench login: {e}"))
        .json()
        .await
        .unwrap_or_default();
    let token = Arc::new(login["access_token"].as_str().unwrap_or_default().to_string());
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (http, url, token) = (http.clone(), format!("{base}/api/v1/me"), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0usize;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match http.get(&url).bearer_auth(token.as_str()).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t0.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    all.sort();
    let rps = all.len() as f64 / secs as f64;
    (rps, percentile(&all, 0.5), percentile(&all, 0.99), all.len(), errors)
}

/// Single-row durable commits, one writer, for `secs`: (commits per second, p50 ms, p99 ms).
fn redb_commit_rate(dir: &Path, secs: u64) -> (f64, f64, f64) {
    let db = dukan::schema::open(&dir.join("commit-rate.redb"), 16 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut lat = Vec::new();
    let mut n = 0u64;
    while Instant::now() < deadline {
        let t0 = Instant::now();
        let r = db.write_unbatched(|tx| tx.set_meta("bench_counter", n));
        r.unwrap_or_else(|e| panic!("commit: {e}"));
        lat.push(t0.elapsed());
        n += 1;
    }
    lat.sort();
    (lat.len() as f64 / secs as f64, percentile(&lat, 0.5), percentile(&lat, 0.99))
}

fn main() {
    let records: u64 = std::env::var("DUKAN_BENCH_RECORDS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let secs: u64 = std::env::var("DUKAN_BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let bin = std::fs::metadata(env!("CARGO_BIN_EXE_dukan")).map(|m| m.len()).unwrap_or(0);

    let empty = tmp.path().join("empty");
    let (empty_p50, empty_max) = startup_series(&empty, 10);

    let seeded = tmp.path().join("seeded");
    let t0 = Instant::now();
    let seed = dukan()
        .args(["bench-seed", "--data", seeded.to_str().unwrap_or("."), "--records", &records.to_string(), "--companies", "20"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    assert!(seed.is_ok_and(|s| s.success()), "bench-seed failed");
    let seed_secs = t0.elapsed().as_secs_f64();
    let file_mb = std::fs::metadata(seeded.join("dukan.redb")).map(|m| m.len()).unwrap_or(0) as f64 / 1_048_576.0;
    let (seeded_p50, seeded_max) = startup_series(&seeded, 10);

    let (_, child, port) = time_to_health(&seeded);
    std::thread::sleep(Duration::from_secs(2));
    let idle_rss = rss_mb(child.id());
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    let (rps, p50, p99, n, errors) = rt.block_on(me_load(port, secs, 64));
    let loaded_rss = rss_mb(child.id());
    stop(child);
    let (commits, c50, c99) = redb_commit_rate(tmp.path(), 5);

    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    println!("## Foundation run {date}\n");
    println!(
        "Machine: {} cores ({cpu}), {} GiB; release build (thin LTO).\n",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        mem_gib()
    );
    println!("| measure | result | goal |");
    println!("|---|---|---|");
    println!("| release binary size | {:.1} MB | recorded |", bin as f64 / 1_048_576.0);
    println!("| start → first /healthz 200, empty data dir (10 runs) | p50 {empty_p50:.0} ms, max {empty_max:.0} ms | ≤ 300 ms |");
    println!(
        "| start → first /healthz 200, {records} records ({file_mb:.0} MB file, seeded in {seed_secs:.0} s) | p50 {seeded_p50:.0} ms, max {seeded_max:.0} ms | ≤ 1 s |"
    );
    println!("| idle RSS after start ({records} records) | {idle_rss:.1} MB | ≤ 40 MB |");
    println!(
        "| GET /api/v1/me, 64 connections, {secs} s | {rps:.0} req/s, p50 {p50:.2} ms, p99 {p99:.2} ms ({n} ok, {errors} errors); RSS under load {loaded_rss:.1} MB | recorded |"
    );
    println!("| limit: redb durable single-row commit, one writer, 5 s | {commits:.0} commits/s, p50 {c50:.2} ms, p99 {c99:.2} ms | — |");
}

fn mem_gib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| (kb + 524_288) / 1_048_576)
        .unwrap_or(0)
}
