//! Recurrence expansion, pure: the occurrence starts of a series from its first start, its
//! rule and the company's zone. The start's local wall-clock time repeats on each local
//! date (so a 10:00 lesson stays at 10:00 whatever the UTC offset); dates are walked as civil
//! dates and turned into instants only near the asked window, so a view of one week costs a
//! few steps per series, not one zone conversion per occurrence.
//!
//! Bounds (checked on save, so every stored series is finite and small): at most
//! [`MAX_OCCURRENCES`] occurrences, the last one starting at most [`MAX_SPAN_DAYS`] after the
//! first.

use jiff::Span;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

use super::model::{Freq, Recurrence};
use crate::clock::Ts;

pub const MAX_OCCURRENCES: usize = 500;
pub const MAX_SPAN_DAYS: i64 = 731;

/// Why a rule was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unbounded {
    TooMany,
    TooLong,
}

pub fn zone(tz: &str) -> TimeZone {
    TimeZone::get(tz).unwrap_or(TimeZone::UTC)
}

pub fn local(t: Ts, tz: &TimeZone) -> DateTime {
    t.to_jiff().to_zoned_datetime(tz.clone()).datetime()
}

pub fn instant(dt: DateTime, tz: &TimeZone) -> Option<Ts> {
    dt.to_zoned_datetime(tz.clone()).ok().map(|z| Ts(z.timestamp().as_millisecond()))
}

fn plus_days(d: Date, n: i64) -> Option<Date> {
    d.checked_add(Span::new().try_days(n).ok()?).ok()
}

/// Monday = 0 … Sunday = 6.
pub fn weekday(d: Date) -> u8 {
    d.weekday().to_monday_zero_offset() as u8
}

/// Walks the local dates of a series in order, calling `each(date, index)` until it returns
/// false; stops at the rule's end (`until`, `count`) or the hard bounds, whichever is first.
/// Returns `Err` when the rule would pass the hard bounds.
fn walk(first: Date, rule: &Recurrence, mut each: impl FnMut(Date) -> bool) -> Result<(), Unbounded> {
    let until: Option<Date> = rule.until.as_deref().and_then(|u| u.parse().ok());
    let count = rule.count.map(usize::from);
    let cap = plus_days(first, MAX_SPAN_DAYS).unwrap_or(first);
    let interval = i64::from(rule.interval.max(1));
    let mut n = 0usize;
    // Emits one date; Ok(false) stops the walk.
    let mut emit = |d: Date, n: &mut usize| -> Result<bool, Unbounded> {
        if until.is_some_and(|u| d > u) || count.is_some_and(|c| *n >= c) {
            return Ok(false);
        }
        if d > cap {
            return Err(Unbounded::TooLong);
        }
        if *n >= MAX_OCCURRENCES {
            return Err(Unbounded::TooMany);
        }
        *n += 1;
        Ok(each(d))
    };
    match rule.freq {
        Freq::Daily => {
            for k in 0.. {
                let Some(d) = plus_days(first, k * interval) else { return Ok(()) };
                if !emit(d, &mut n)? {
                    return Ok(());
                }
            }
        }
        Freq::Weekly => {
            let monday = plus_days(first, -i64::from(weekday(first))).unwrap_or(first);
            let mask = rule.weekdays | (1 << weekday(first));
            for k in 0.. {
                for wd in 0..7u8 {
                    if mask & (1 << wd) == 0 {
                        continue;
                    }
                    let Some(d) = plus_days(monday, k * 7 * interval + i64::from(wd)) else { return Ok(()) };
                    if d < first {
                        continue;
                    }
                    if !emit(d, &mut n)? {
                        return Ok(());
                    }
                }
            }
        }
        Freq::Monthly => {
            let day = first.day();
            for k in 0.. {
                let m = Span::new().try_months(k * interval).ok().and_then(|s| first.first_of_month().checked_add(s).ok());
                let Some(m) = m else { return Ok(()) };
                // A month without the day (the 31st in April) is skipped, as RFC 5545 does.
                if day > m.days_in_month() {
                    if until.is_some_and(|u| m > u) {
                        return Ok(());
                    }
                    if m > cap {
                        return Err(Unbounded::TooLong);
                    }
                    continue;
                }
                let Ok(d) = Date::new(m.year(), m.month(), day) else { continue };
                if !emit(d, &mut n)? {
                    return Ok(());
                }
            }
        }
    }
    Ok(())
}

/// Every occurrence start of a series (skipped ones included), or why the rule is refused.
pub fn all_starts(start: Ts, rule: &Recurrence, tz: &str) -> Result<Vec<Ts>, Unbounded> {
    let z = zone(tz);
    let first = local(start, &z);
    let mut out = Vec::new();
    walk(first.date(), rule, |d| {
        if let Some(t) = instant(DateTime::from_parts(d, first.time()), &z) {
            out.push(t);
        }
        true
    })?;
    Ok(out)
}

/// The occurrence starts of a series whose occurrence (`dur_ms` long) meets `[lo, hi)`.
pub fn starts_between(start: Ts, dur_ms: i64, rule: &Recurrence, tz: &str, lo: Ts, hi: Ts) -> Vec<Ts> {
    let z = zone(tz);
    let first = local(start, &z);
    // Civil-date margins: an occurrence starting before `lo_date` cannot reach `lo`, one
    // after `hi_date` starts after `hi`.
    let span_days = dur_ms.max(0) / Ts::MS_PER_DAY + 2;
    let lo_date = plus_days(local(lo, &z).date(), -span_days).unwrap_or(first.date());
    let hi_date = plus_days(local(hi, &z).date(), 1).unwrap_or(first.date());
    let mut out = Vec::new();
    let _ = walk(first.date(), rule, |d| {
        if d > hi_date {
            return false;
        }
        if d >= lo_date
            && let Some(t) = instant(DateTime::from_parts(d, first.time()), &z)
            && t < hi
            && t.plus_ms(dur_ms) > lo
        {
            out.push(t);
        }
        true
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: &str = "Asia/Bishkek";

    fn at(s: &str) -> Ts {
        let dt: DateTime = s.parse().expect("datetime");
        instant(dt, &zone(TZ)).expect("instant")
    }

    fn shown(v: &[Ts]) -> Vec<String> {
        v.iter().map(|t| t.format_local(TZ)).collect()
    }

    fn rule(freq: Freq, interval: u16, weekdays: u8, until: Option<&str>, count: Option<u16>) -> Recurrence {
        Recurrence { freq, interval, weekdays, until: until.map(str::to_string), count }
    }

    fn check(start: &str, r: Recurrence, expected: &[&str]) {
        let got = all_starts(at(start), &r, TZ).expect("bounded");
        assert_eq!(shown(&got), expected, "{r:?}");
    }

    #[test]
    fn series_expand_in_the_company_zone() {
        check("2026-03-01T10:00", rule(Freq::Daily, 2, 0, None, Some(3)), &["2026-03-01 10:00", "2026-03-03 10:00", "2026-03-05 10:00"]);
        // Monday and Wednesday, from a Wednesday: the start's own weekday always counts.
        check(
            "2026-03-04T09:30",
            rule(Freq::Weekly, 1, 0b001, Some("2026-03-16"), None),
            &["2026-03-04 09:30", "2026-03-09 09:30", "2026-03-11 09:30", "2026-03-16 09:30"],
        );
        check("2026-03-02T18:00", rule(Freq::Weekly, 2, 0, None, Some(3)), &["2026-03-02 18:00", "2026-03-16 18:00", "2026-03-30 18:00"]);
        // The 31st: months without it are skipped, not moved.
        check(
            "2026-01-31T12:00",
            rule(Freq::Monthly, 1, 0, None, Some(4)),
            &["2026-01-31 12:00", "2026-03-31 12:00", "2026-05-31 12:00", "2026-07-31 12:00"],
        );
        check(
            "2026-02-28T08:00",
            rule(Freq::Monthly, 12, 0, Some("2028-02-28"), None),
            &["2026-02-28 08:00", "2027-02-28 08:00", "2028-02-28 08:00"],
        );
    }

    #[test]
    fn rules_past_the_bounds_are_refused() {
        assert_eq!(all_starts(at("2026-03-01T10:00"), &rule(Freq::Daily, 1, 0, None, Some(501)), TZ), Err(Unbounded::TooMany));
        assert_eq!(all_starts(at("2026-03-01T10:00"), &rule(Freq::Daily, 1, 0, Some("2027-12-31"), None), TZ), Err(Unbounded::TooMany));
        assert_eq!(all_starts(at("2026-03-01T10:00"), &rule(Freq::Monthly, 1, 0, None, Some(30)), TZ), Err(Unbounded::TooLong));
        assert_eq!(all_starts(at("2026-03-01T10:00"), &rule(Freq::Weekly, 1, 0, Some("2028-03-05"), None), TZ), Err(Unbounded::TooLong));
        assert_eq!(all_starts(at("2026-03-01T10:00"), &rule(Freq::Daily, 1, 0, None, Some(500)), TZ).map(|v| v.len()), Ok(500));
    }

    #[test]
    fn a_window_sees_only_its_occurrences() {
        let r = rule(Freq::Daily, 1, 0, None, Some(400));
        let start = at("2026-03-01T23:30");
        // An hour long: the occurrence of the 9th reaches into the 10th.
        let got = starts_between(start, 3_600_000, &r, TZ, at("2026-03-10T00:00"), at("2026-03-11T00:00"));
        assert_eq!(shown(&got), ["2026-03-09 23:30", "2026-03-10 23:30"]);
        let all = all_starts(start, &r, TZ).expect("bounded");
        let (lo, hi) = (at("2026-09-01T00:00"), at("2026-09-08T00:00"));
        let want: Vec<Ts> = all.into_iter().filter(|t| *t < hi && t.plus_ms(3_600_000) > lo).collect();
        assert_eq!(starts_between(start, 3_600_000, &r, TZ, lo, hi), want);
    }
}
