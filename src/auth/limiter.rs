//! Sign-in rate limits, in memory: per client address (attempts) and per account (failures).
//! A restart forgets them, which is acceptable for a LAN appliance; argon2 cost bounds the
//! damage meanwhile.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::Ts;

pub struct Limiter {
    inner: Mutex<HashMap<String, Window>>,
    per_ip: u32,
    per_account_failures: u32,
    window_ms: i64,
}

#[derive(Clone, Copy)]
struct Window {
    start: Ts,
    count: u32,
}

impl Limiter {
    pub fn new(per_ip: u32, per_account_failures: u32, window_ms: i64) -> Limiter {
        Limiter { inner: Mutex::new(HashMap::new()), per_ip, per_account_failures, window_ms }
    }

    /// Counts an attempt from `ip` and refuses it (with seconds to wait) when the address or
    /// the account is over its limit.
    pub fn attempt(&self, ip: &str, account: &str, now: Ts) -> Result<(), u64> {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window_ms;
            map.retain(|_, w| now.0 - w.start.0 < window);
        }
        if let Some(w) = map.get(&format!("acct:{account}"))
            && now.0 - w.start.0 < self.window_ms
            && w.count >= self.per_account_failures
        {
            return Err(self.wait(w.start, now));
        }
        let w = map.entry(format!("ip:{ip}")).or_insert(Window { start: now, count: 0 });
        if now.0 - w.start.0 >= self.window_ms {
            *w = Window { start: now, count: 0 };
        }
        if w.count >= self.per_ip {
            return Err(self.wait(w.start, now));
        }
        w.count += 1;
        Ok(())
    }

    pub fn failed(&self, account: &str, now: Ts) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let w = map.entry(format!("acct:{account}")).or_insert(Window { start: now, count: 0 });
        if now.0 - w.start.0 >= self.window_ms {
            *w = Window { start: now, count: 0 };
        }
        w.count += 1;
    }

    pub fn succeeded(&self, account: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("acct:{account}"));
    }

    fn wait(&self, start: Ts, now: Ts) -> u64 {
        (((start.0 + self.window_ms) - now.0).max(1000) / 1000) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_locks_after_failures_and_ip_after_attempts() {
        let l = Limiter::new(10, 3, 60_000);
        let t = Ts(0);
        for _ in 0..3 {
            assert!(l.attempt("1.1.1.1", "a@x.kg", t).is_ok());
            l.failed("a@x.kg", t);
        }
        assert_eq!(l.attempt("2.2.2.2", "a@x.kg", Ts(1_000)), Err(59));
        assert!(l.attempt("2.2.2.2", "b@x.kg", Ts(1_000)).is_ok());
        assert!(l.attempt("2.2.2.2", "a@x.kg", Ts(61_000)).is_ok(), "window passed");
        // Three attempts from 1.1.1.1 above; seven more reach its limit of ten.
        for _ in 0..7 {
            assert!(l.attempt("1.1.1.1", "c@x.kg", t).is_ok());
        }
        assert!(l.attempt("1.1.1.1", "d@x.kg", t).is_err(), "ip over its limit");
    }
}
