//! Resource benchmark for a 2 GB box (run with `cargo bench --bench resources`; numbers go to
//! BENCHMARKS.md): on one data dir, the server's idle RSS after start, its peak RSS through a
//! backup (asked for with `dukan backup`, taken by the server) and through `dukan check` (also
//! through the server), its idle RSS after them, the peak RSS of `dukan check` run on its own
//! with the server stopped, and `/healthz` latency (p99, max) sampled every 50 ms throughout.
//!
//! `DUKAN_BENCH_DATA=DIR` measures an existing data dir (say the large demo:
//! `dukan demo --data DIR --size large`); otherwise one is seeded with `dukan bench-seed`
//! (`DUKAN_BENCH_RECORDS`, default 300000).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn dukan() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dukan"));
    c.env("DUKAN_BACKUP_DAILY_AT", "").env("DUKAN_LOG", "warn");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18_082)
}

/// A field of /proc/<pid>/status in MB (VmRSS: now; VmHWM: peak so far).
fn status_mb(pid: u32, field: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One `GET /healthz` over a fresh connection: its status line and how long it took.
fn healthz(port: u16) -> Option<(bool, Duration)> {
    let t0 = Instant::now();
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").ok()?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).ok()?;
    Some((out.starts_with(b"HTTP/1.1 200"), t0.elapsed()))
}

/// Runs `cmd` to the end, sampling its peak RSS (VmHWM) until it exits.
fn peak_of(mut cmd: Command) -> (f64, bool) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap_or_else(|e| panic!("spawn: {e}"));
    let mut peak: f64 = 0.0;
    loop {
        if let Some(hwm) = status_mb(child.id(), "VmHWM:") {
            peak = peak.max(hwm);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return (peak, status.success());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn start(data: &Path, port: u16) -> Child {
    let child = dukan()
        .args(["serve", "--data", data.to_str().unwrap_or("."), "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn dukan: {e}"));
    let deadline = Instant::now() + Duration::from_secs(600);
    while !healthz(port).is_some_and(|(ok, _)| ok) {
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
            let ok = dukan()
                .args(["bench-seed", "--data", data.to_str().unwrap_or("."), "--records", &records])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "bench-seed failed");
            data
        }
    };
    let file_mb = std::fs::metadata(data.join("dukan.redb")).map(|m| m.len() as f64 / 1048576.0).unwrap_or(0.0);

    let mut check = dukan();
    check.args(["check", "--data", data.to_str().unwrap_or(".")]);
    let (check_alone, check_ok) = peak_of(check);

    let port = free_port();
    let mut server = start(&data, port);
    let pid = server.id();
    std::thread::sleep(Duration::from_secs(5));
    let idle = status_mb(pid, "VmRSS:").unwrap_or(0.0);

    let stop = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let failures = Arc::new(Mutex::new(0u32));
    let sampler = {
        let (stop, samples, failures) = (stop.clone(), samples.clone(), failures.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match healthz(port) {
                    Some((true, d)) => samples.lock().map(|mut s| s.push(d)).unwrap_or(()),
                    _ => *failures.lock().unwrap_or_else(|p| p.into_inner()) += 1,
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };

    let t0 = Instant::now();
    let out = tmp.path().join("bench-backup.redb");
    let mut backup = dukan();
    backup.args(["backup", "--data", data.to_str().unwrap_or("."), "--out", out.to_str().unwrap_or("b.redb")]);
    let (_, backup_ok) = peak_of(backup);
    let backup_s = t0.elapsed().as_secs_f64();
    let after_backup_peak = status_mb(pid, "VmHWM:").unwrap_or(0.0);
    std::thread::sleep(Duration::from_secs(3));
    let after_backup_idle = status_mb(pid, "VmRSS:").unwrap_or(0.0);

    let t1 = Instant::now();
    let mut check = dukan();
    check.args(["check", "--data", data.to_str().unwrap_or(".")]);
    let (_, served_check_ok) = peak_of(check);
    let check_s = t1.elapsed().as_secs_f64();
    let after_check_peak = status_mb(pid, "VmHWM:").unwrap_or(0.0);
    std::thread::sleep(Duration::from_secs(3));
    let after_check_idle = status_mb(pid, "VmRSS:").unwrap_or(0.0);

    stop.store(true, Ordering::Relaxed);
    let _ = sampler.join();
    let _ = server.kill();
    let _ = server.wait();

    let mut lat = samples.lock().map(|s| s.clone()).unwrap_or_default();
    lat.sort();
    let ms = |d: Option<&Duration>| d.map(|d| d.as_secs_f64() * 1000.0).unwrap_or(f64::NAN);
    let p99 = lat.get((lat.len() * 99 / 100).min(lat.len().saturating_sub(1)));
    let failed = *failures.lock().unwrap_or_else(|p| p.into_inner());
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
        "| `/healthz` every 50 ms throughout: p99 / max | {:.1} ms / {:.1} ms ({} samples, {failed} failed) |",
        ms(p99),
        ms(lat.last()),
        lat.len()
    );
}
