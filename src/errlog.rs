//! The recent-errors ring: a `tracing` layer that keeps the last [`CAPACITY`] warnings and
//! errors in memory, for the operations page and the diagnostics bundle. It holds what the log
//! already printed, nothing more: a log line never carries a secret (tokens, passwords and keys
//! are never formatted into messages), so the ring needs no redaction of its own.

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;

use crate::clock::{Clock, SystemClock, Ts};

/// Entries kept; the oldest goes first.
pub const CAPACITY: usize = 500;
/// Characters kept of one entry's message and fields.
const MAX_TEXT: usize = 2_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Box-wide sequence number (so a reader can tell two identical lines apart).
    pub seq: u64,
    pub at: Ts,
    /// "ERROR" or "WARN".
    pub level: &'static str,
    /// The module that logged it (`dukan::workers`, `tower_http::...`).
    pub target: String,
    /// The message, then `field=value` pairs.
    pub text: String,
}

#[derive(Default)]
struct Ring {
    next: u64,
    entries: VecDeque<Entry>,
}

fn ring() -> &'static Mutex<Ring> {
    static RING: OnceLock<Mutex<Ring>> = OnceLock::new();
    RING.get_or_init(Mutex::default)
}

/// Adds an entry (the layer's step; also usable where an error is handled without a log line).
pub fn record(level: Level, target: &str, text: &str) {
    let level = if level == Level::ERROR { "ERROR" } else { "WARN" };
    let text: String = text.chars().take(MAX_TEXT).collect();
    let at = SystemClock.now();
    let mut r = ring().lock().unwrap_or_else(|p| p.into_inner());
    r.next += 1;
    let seq = r.next;
    if r.entries.len() == CAPACITY {
        r.entries.pop_front();
    }
    r.entries.push_back(Entry { seq, at, level, target: target.to_string(), text });
}

/// What a reader asks of the ring: a level (`"ERROR"` alone, or both), a text found in the
/// target or message (case-insensitive), and how many of the newest to return.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub errors_only: bool,
    pub text: String,
    pub limit: usize,
}

/// The newest entries first, filtered.
pub fn recent(f: &Filter) -> Vec<Entry> {
    let needle = f.text.trim().to_lowercase();
    let r = ring().lock().unwrap_or_else(|p| p.into_inner());
    r.entries
        .iter()
        .rev()
        .filter(|e| !f.errors_only || e.level == "ERROR")
        .filter(|e| needle.is_empty() || e.text.to_lowercase().contains(&needle) || e.target.to_lowercase().contains(&needle))
        .take(if f.limit == 0 { CAPACITY } else { f.limit })
        .cloned()
        .collect()
}

/// The layer to install beside the log's formatter.
pub struct Layer;

impl<S: Subscriber> tracing_subscriber::Layer<S> for Layer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::WARN {
            return;
        }
        let mut v = Text::default();
        event.record(&mut v);
        let mut text = v.message;
        if !v.fields.is_empty() {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&v.fields);
        }
        record(level, event.metadata().target(), &text);
    }
}

#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.push(field, &value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.push(field, value);
        }
    }
}

impl Text {
    fn push(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if self.fields.len() > MAX_TEXT {
            return;
        }
        if !self.fields.is_empty() {
            self.fields.push(' ');
        }
        let _ = write!(self.fields, "{}={value:?}", field.name());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn warnings_and_errors_are_kept_newest_first_filtered_and_bounded() {
        let subscriber = tracing_subscriber::registry().with(Layer);
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!("errlog-unit not kept");
            tracing::warn!(company = 7, "errlog-unit printer offline");
            tracing::error!("errlog-unit backup failed: disk full");
        });
        let all = recent(&Filter { text: "errlog-unit".into(), ..Filter::default() });
        let texts: Vec<&str> = all.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["errlog-unit backup failed: disk full", "errlog-unit printer offline company=7"]);
        assert_eq!(all[0].level, "ERROR");
        assert!(all[0].seq > all[1].seq);
        let errors = recent(&Filter { errors_only: true, text: "ERRLOG-UNIT".into(), limit: 10 });
        assert_eq!(errors.len(), 1, "case-insensitive text, errors only");

        // The ring keeps its capacity and bounds each entry (one test: the ring is shared).
        for i in 0..CAPACITY + 20 {
            record(Level::WARN, "errlog-cap", &format!("errlog-cap {i} {}", "x".repeat(3_000)));
        }
        let kept = recent(&Filter { text: "errlog-cap".into(), ..Filter::default() });
        assert!(kept.len() <= CAPACITY);
        assert!(kept.iter().all(|e| e.text.chars().count() <= MAX_TEXT));
        assert!(kept[0].text.starts_with(&format!("errlog-cap {}", CAPACITY + 19)));
    }
}
