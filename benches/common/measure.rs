//! The benches' small measuring tools: knobs from the environment, milliseconds, percentiles
//! and repeated timing.

use std::str::FromStr;
use std::time::{Duration, Instant};

/// A knob from the environment (`DUKAN_BENCH_…`), or `default` when unset or unreadable.
pub fn env<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A duration in milliseconds.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Milliseconds since `t`.
pub fn since(t: Instant) -> f64 {
    ms(t.elapsed())
}

/// The `p` percentile (0.0–1.0, nearest rank) of samples in milliseconds; 0 for none.
pub fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// Runs `f` `n` times (at least once) and returns (min, median) in milliseconds.
pub fn timed<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    let mut runs: Vec<f64> = (0..n.max(1))
        .map(|_| {
            let t0 = Instant::now();
            std::hint::black_box(f());
            since(t0)
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    (runs[0], runs[runs.len() / 2])
}
