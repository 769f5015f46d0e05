//! What the benches that drive the real server share: the release binary, a free port, the
//! server's memory from `/proc`, and `/healthz` sampled on fresh connections.

#![allow(dead_code)]

/// Knobs, milliseconds, percentiles and repeated timing.
pub mod measure;
/// The HTTP checkout benches' server, percentiles and API client.
pub mod till;

use std::io::{Read, Write};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The release binary with scheduled backups off and quiet logs.
pub fn dukan() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dukan"));
    c.env("DUKAN_BACKUP_DAILY_AT", "").env("DUKAN_LOG", "warn");
    c
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18_082)
}

/// A field of /proc/<pid>/status in MB (`VmRSS:` now, `VmHWM:` the peak so far).
pub fn status_mb(pid: u32, field: &str) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// One `GET /healthz` over a fresh connection: `Some(time)` for a 200, `None` otherwise.
pub fn healthz(port: u16) -> Option<Duration> {
    let t0 = Instant::now();
    let mut s = std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n").ok()?;
    let mut buf = [0u8; 16];
    let n = s.read(&mut buf).ok()?;
    buf[..n].starts_with(b"HTTP/1.1 200").then(|| t0.elapsed())
}

/// Samples `/healthz` every 50 ms on a thread until finished.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    samples: Arc<Mutex<(Vec<Duration>, usize)>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What a [`Sampler`] saw: answered samples, p99 and max in ms, failures.
pub struct Health {
    pub samples: usize,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub failed: usize,
}

impl Sampler {
    pub fn start(port: u16) -> Sampler {
        let stop = Arc::new(AtomicBool::new(false));
        let samples = Arc::new(Mutex::new((Vec::new(), 0usize)));
        let (s, out) = (stop.clone(), samples.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let r = healthz(port);
                if let Ok(mut o) = out.lock() {
                    match r {
                        Some(d) => o.0.push(d),
                        None => o.1 += 1,
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Sampler { stop, samples, thread: Some(thread) }
    }

    pub fn finish(mut self) -> Health {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let (mut lat, failed) = self.samples.lock().map(|o| o.clone()).unwrap_or_default();
        lat.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let p99 = lat.get(((lat.len() as f64 - 1.0) * 0.99).round() as usize).copied().map(ms).unwrap_or(0.0);
        let max = lat.last().copied().map(ms).unwrap_or(0.0);
        Health { samples: lat.len(), p99_ms: p99, max_ms: max, failed }
    }
}
pub mod sales;
