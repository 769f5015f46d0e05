//! Resource benchmark for a 2 GB box (run with `cargo bench --bench resources`; numbers go to
//! BENCHMARKS.md): on one data dir, the server's idle RSS after start, its peak RSS through a
//! backup (asked for with `dukan backup`, taken by the server) and through `dukan check` (also
//! through the server), its idle RSS after them, the peak RSS of `dukan check` run on its own
//! with the server stopped, and `/healthz` latency (p99, max) sampled every 50 ms throughout.
//!
//! `DUKAN_BENCH_DATA=DIR` measures an existing data dir (say the large demo:
//! `dukan demo --data DIR --size large`); otherwise one is seeded with `dukan bench-seed`
//! (`DUKAN_BENCH_RECORDS`, default 300000).

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` to the end, sampling its peak RSS (VmHWM) until it exits.
fn peak_of(mut cmd: Command) -> (f64, bool) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
    let mut peak: f64 = 0.0;
    loop {
        if let Some(hwm) = common::status_mb(child.id(), "VmHWM:") {
            peak = peak.max(hwm);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return (peak, status.success());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn start(data: &Path, port: u16) -> Child {
    let child = common::dukan()
        .args(["serve", "--data", data.to_str().unwrap_or("."), "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn dukan: {e}"));
    let deadline = Instant::now() + Duration::from_secs(600);
    while common::healthz(port).is_none() {
        assert!(Instant::now() < deadline, "the server did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

fn main() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data = match std::env::var_os("DUKAN_BENCH_DATA") {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            let records = std::env::var("DUKAN_BENCH_RECORDS").unwrap_or_else(|_| "300000".into());
            let data = tmp.path().join("data");
            let ok = common::dukan()
                .args(["bench-seed", "--data", data.to_str().unwrap_or("."), "--records", &records])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "bench-seed failed");
            data
        }
    };
    let file_mb = std::fs::metadata(data.join("dukan.redb")).map(|m| m.len() as f64 / 1048576.0).unwrap_or(0.0);

    let mut check = common::dukan();
    check.args(["check", "--data", data.to_str().unwrap_or(".")]);
    let (check_alone, check_ok) = peak_of(check);

    let port = common::free_port();
    let mut server = start(&data, port);
    let pid = server.id();
    std::thread::sleep(Duration::from_secs(5));
    let idle = common::status_mb(pid, "VmRSS:").unwrap_or(0.0);

    let sampler = common::Sampler::start(port);

    let t0 = Instant::now();
    let out = tmp.path().join("bench-backup.redb");
    let mut backup = common::dukan();
    backup.args(["backup", "--data", data.to_str().unwrap_or("."), "--out", out.to_str().unwrap_or("b.redb")]);
    let (_, backup_ok) = peak_of(backup);
    let backup_s = t0.elapsed().as_secs_f64();
    let after_backup_peak = common::status_mb(pid, "VmHWM:").unwrap_or(0.0);
    std::thread::sleep(Duration::from_secs(3));
    let after_backup_idle = common::status_mb(pid, "VmRSS:").unwrap_or(0.0);

    let t1 = Instant::now();
    let mut check = common::dukan();
    check.args(["check", "--data", data.to_str().unwrap_or(".")]);
    let (_, served_check_ok) = peak_of(check);
    let check_s = t1.elapsed().as_secs_f64();
    let after_check_peak = common::status_mb(pid, "VmHWM:").unwrap_or(0.0);
    std::thread::sleep(Duration::from_secs(3));
    let after_check_idle = common::status_mb(pid, "VmRSS:").unwrap_or(0.0);

    let health = sampler.finish();
    let _ = server.kill();
    let _ = server.wait();

    println!("data file: {file_mb:.0} MB ({})", data.display());
    println!("| measure | value |");
    println!("|---|---|");
    println!("| `dukan check` alone, peak RSS | {check_alone:.0} MB (passed: {check_ok}) |");
    println!("| server idle after start, RSS | {idle:.0} MB |");
    println!("| server peak RSS through a backup | {after_backup_peak:.0} MB ({backup_s:.1} s, ok: {backup_ok}) |");
    println!("| server idle after the backup, RSS | {after_backup_idle:.0} MB |");
    println!("| server peak RSS through `dukan check` | {after_check_peak:.0} MB ({check_s:.1} s, ok: {served_check_ok}) |");
    println!("| server idle after check, RSS | {after_check_idle:.0} MB |");
    println!(
        "| `/healthz` every 50 ms throughout: p99 / max | {:.1} ms / {:.1} ms ({} samples, {} failed) |",
        health.p99_ms, health.max_ms, health.samples, health.failed
    );
}
