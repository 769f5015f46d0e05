//! Prometheus text metrics: request counts and latency by status class, sign-ins, and gauges
//! read at scrape time (data file size, outbox depth, backup age, worker health).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Latency bucket bounds in milliseconds.
const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000];

#[derive(Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    latency: [AtomicU64; BUCKETS_MS.len() + 1],
    latency_sum_us: AtomicU64,
    pub logins_ok: AtomicU64,
    pub logins_failed: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, status: u16, micros: u64) {
        let class = ((status / 100).clamp(1, 5) - 1) as usize;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        let ms = micros / 1000;
        let bucket = BUCKETS_MS.iter().position(|b| ms < *b).unwrap_or(BUCKETS_MS.len());
        self.latency[bucket].fetch_add(1, Ordering::Relaxed);
        self.latency_sum_us.fetch_add(micros, Ordering::Relaxed);
    }

    /// Renders counters plus the gauges the caller measured.
    pub fn render(&self, gauges: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP dukan_http_requests_total HTTP responses by status class\n# TYPE dukan_http_requests_total counter");
        for (i, c) in self.by_class.iter().enumerate() {
            let _ = writeln!(out, "dukan_http_requests_total{{class=\"{}xx\"}} {}", i + 1, c.load(Ordering::Relaxed));
        }
        let _ = writeln!(
            out,
            "# HELP dukan_http_request_duration_seconds Request latency\n# TYPE dukan_http_request_duration_seconds histogram"
        );
        let mut cumulative = 0;
        for (i, bound) in BUCKETS_MS.iter().enumerate() {
            cumulative += self.latency[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "dukan_http_request_duration_seconds_bucket{{le=\"{}\"}} {cumulative}", *bound as f64 / 1000.0);
        }
        cumulative += self.latency[BUCKETS_MS.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "dukan_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}");
        let _ = writeln!(out, "dukan_http_request_duration_seconds_sum {}", self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6);
        let _ = writeln!(out, "dukan_http_request_duration_seconds_count {cumulative}");
        let _ = writeln!(out, "# TYPE dukan_logins_total counter");
        let _ = writeln!(out, "dukan_logins_total{{outcome=\"ok\"}} {}", self.logins_ok.load(Ordering::Relaxed));
        let _ = writeln!(out, "dukan_logins_total{{outcome=\"failed\"}} {}", self.logins_failed.load(Ordering::Relaxed));
        for (name, help, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
        }
        out
    }
}
