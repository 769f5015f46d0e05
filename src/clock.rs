//! Time as a parameter: the `Clock` trait, the system clock (the only caller of
//! `SystemTime::now` in the crate), a manual clock for tests, and `Ts`, the stored instant.

use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

/// An instant, stored as milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ts(pub i64);

impl Ts {
    pub const MS_PER_DAY: i64 = 86_400_000;

    pub fn plus_ms(self, ms: i64) -> Ts {
        Ts(self.0.saturating_add(ms))
    }

    pub fn plus_days(self, days: i64) -> Ts {
        self.plus_ms(days.saturating_mul(Self::MS_PER_DAY))
    }

    pub fn to_jiff(self) -> jiff::Timestamp {
        jiff::Timestamp::from_millisecond(self.0).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
    }

    /// "2026-11-23 18:04" in the given IANA zone (UTC if the zone is unknown).
    pub fn format_local(self, tz: &str) -> String {
        let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
        self.to_jiff().to_zoned_datetime(zone).strftime("%Y-%m-%d %H:%M").to_string()
    }

    /// RFC 3339 in UTC, for JSON.
    pub fn rfc3339(self) -> String {
        self.to_jiff().to_string()
    }

    /// Parses "YYYY-MM-DD" as the start of that day in `tz`.
    pub fn parse_date(date: &str, tz: &str) -> Option<Ts> {
        let d: jiff::civil::Date = date.trim().parse().ok()?;
        let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
        let z = d.to_zoned_datetime(zone).ok()?;
        Some(Ts(z.timestamp().as_millisecond()))
    }

    /// The local calendar date "YYYY-MM-DD" of this instant in `tz`.
    pub fn date_local(self, tz: &str) -> String {
        let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
        self.to_jiff().to_zoned_datetime(zone).date().to_string()
    }
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Ts;
}

pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)]
    fn now(&self) -> Ts {
        let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Ts(since.as_millis() as i64)
    }
}

/// A clock tests move by hand.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Ts) -> ManualClock {
        ManualClock(AtomicI64::new(start.0))
    }

    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Ts {
        Ts(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_formatting_follows_the_zone() {
        // 2026-01-01T00:00:00Z is 06:00 in Bishkek and 03:00 in Moscow.
        let t = Ts(1_767_225_600_000);
        assert_eq!(t.format_local("Asia/Bishkek"), "2026-01-01 06:00");
        assert_eq!(t.format_local("Europe/Moscow"), "2026-01-01 03:00");
        assert_eq!(Ts::parse_date("2026-01-01", "Asia/Bishkek"), Some(Ts(1_767_225_600_000 - 6 * 3_600_000)));
        assert_eq!(Ts::parse_date("2026-13-01", "UTC"), None);
    }
}
