//! Sign-in rate limits, in memory: per client address (attempts), per account and address
//! (failures), and per account (failures, from anywhere).
//!
//! Wrong passwords lock out only the address they came from: after `per_account_failures`
//! failures for one account from one address, that address waits out the window for that
//! account. The account as a whole is never locked — when failures from all addresses pass
//! the same limit, every attempt on it is only slowed down (`Pace::Slow`, the caller waits
//! `SLOW_DOWN`), so a guesser elsewhere cannot keep the owner out. A restart forgets the
//! counts, which is acceptable for a LAN appliance; argon2 cost bounds the damage meanwhile.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::Ts;

/// How long an attempt on an account under attack waits before its password is checked.
pub const SLOW_DOWN: Duration = Duration::from_secs(1);

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

/// Whether an allowed attempt goes at once or waits `SLOW_DOWN` first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    Normal,
    Slow,
}

fn pair(account: &str, ip: &str) -> String {
    format!("acct:{account}|ip:{ip}")
}

impl Limiter {
    pub fn new(per_ip: u32, per_account_failures: u32, window_ms: i64) -> Limiter {
        Limiter { inner: Mutex::new(HashMap::new()), per_ip, per_account_failures, window_ms }
    }

    /// Counts an attempt from `ip` and refuses it (with seconds to wait) when the address is
    /// over its limit, or has failed too often on this account.
    pub fn attempt(&self, ip: &str, account: &str, now: Ts) -> Result<Pace, u64> {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            let window = self.window_ms;
            map.retain(|_, w| now.0 - w.start.0 < window);
        }
        let over = |w: Option<&Window>| w.filter(|w| now.0 - w.start.0 < self.window_ms && w.count >= self.per_account_failures).copied();
        if let Some(w) = over(map.get(&pair(account, ip))) {
            return Err(self.wait(w.start, now));
        }
        let pace = if over(map.get(&format!("acct:{account}"))).is_some() { Pace::Slow } else { Pace::Normal };
        let w = map.entry(format!("ip:{ip}")).or_insert(Window { start: now, count: 0 });
        if now.0 - w.start.0 >= self.window_ms {
            *w = Window { start: now, count: 0 };
        }
        if w.count >= self.per_ip {
            return Err(self.wait(w.start, now));
        }
        w.count += 1;
        Ok(pace)
    }

    /// Counts a wrong password for the account, from this address and overall.
    pub fn failed(&self, ip: &str, account: &str, now: Ts) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        for key in [pair(account, ip), format!("acct:{account}")] {
            let w = map.entry(key).or_insert(Window { start: now, count: 0 });
            if now.0 - w.start.0 >= self.window_ms {
                *w = Window { start: now, count: 0 };
            }
            w.count += 1;
        }
    }

    /// A correct password clears this address's failures on the account.
    pub fn succeeded(&self, ip: &str, account: &str) {
        let mut map = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&pair(account, ip));
    }

    fn wait(&self, start: Ts, now: Ts) -> u64 {
        (((start.0 + self.window_ms) - now.0).max(1000) / 1000) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_lock_the_address_and_only_slow_the_account() {
        let l = Limiter::new(10, 3, 60_000);
        let t = Ts(0);
        for _ in 0..3 {
            assert_eq!(l.attempt("1.1.1.1", "a@x.kg", t), Ok(Pace::Normal));
            l.failed("1.1.1.1", "a@x.kg", t);
        }
        assert_eq!(l.attempt("1.1.1.1", "a@x.kg", Ts(1_000)), Err(59), "the guessing address waits");
        assert_eq!(l.attempt("2.2.2.2", "a@x.kg", Ts(1_000)), Ok(Pace::Slow), "another address is only slowed");
        assert_eq!(l.attempt("2.2.2.2", "b@x.kg", Ts(1_000)), Ok(Pace::Normal));
        assert_eq!(l.attempt("1.1.1.1", "a@x.kg", Ts(61_000)), Ok(Pace::Normal), "window passed");
        for _ in 0..10 {
            assert!(l.attempt("3.3.3.3", "c@x.kg", t).is_ok());
        }
        assert!(l.attempt("3.3.3.3", "d@x.kg", t).is_err(), "ip over its limit");
    }
}
