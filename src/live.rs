//! Live updates for open pages: an in-process hub of per-company topics that domains publish
//! to after their transaction commits and that pages follow over server-sent events
//! (`http::live`). A topic is a short string the publisher chooses (`"scale:7"`, `"inbox"`,
//! `"tickets"`); the company is part of the key, so a subscriber only ever hears its own
//! company. Nothing here is durable: an event is a hint that something changed, and a page
//! that missed some (it lagged, or reconnected) is told to reload what it shows.
use crate::ids::CompanyId;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// How many events a slow subscriber may fall behind before it is told to resync.
const BACKLOG: usize = 64;

/// One event: `kind` names the SSE event, `data` is its payload (usually JSON or an HTML
/// fragment for htmx's SSE extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub data: String,
}

impl Event {
    pub fn new(kind: impl Into<String>, data: impl Into<String>) -> Event {
        Event { kind: kind.into(), data: data.into() }
    }
}

/// The hub. Topics are created on the first subscription and dropped when a publish finds
/// nobody listening, so an idle box holds no channels.
#[derive(Default)]
pub struct Hub {
    topics: Mutex<HashMap<(CompanyId, String), broadcast::Sender<Event>>>,
}

impl Hub {
    pub fn new() -> Hub {
        Hub::default()
    }

    /// Follows `topic` of `company` from now on.
    pub fn subscribe(&self, company: CompanyId, topic: &str) -> broadcast::Receiver<Event> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.entry((company, topic.to_string())).or_insert_with(|| broadcast::channel(BACKLOG).0).subscribe()
    }

    /// Tells everyone following `topic` of `company`; returns how many heard it. Never blocks:
    /// a subscriber that is `BACKLOG` events behind loses the oldest and is told to resync.
    pub fn publish(&self, company: CompanyId, topic: &str, event: Event) -> usize {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        let key = (company, topic.to_string());
        let Some(sender) = topics.get(&key) else { return 0 };
        match sender.send(event) {
            Ok(n) => n,
            Err(_) => {
                topics.remove(&key);
                0
            }
        }
    }

    /// Open topics (for `/metrics` and tests).
    pub fn topics(&self) -> usize {
        self.topics.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_subscriber_hears_only_its_company_and_topic() {
        let hub = Hub::new();
        let (a, b) = (CompanyId(1), CompanyId(2));
        let mut rx = hub.subscribe(a, "inbox");
        let mut other = hub.subscribe(b, "inbox");
        assert_eq!(hub.publish(a, "tickets", Event::new("x", "1")), 0);
        assert_eq!(hub.publish(a, "inbox", Event::new("message", "{\"id\":1}")), 1);
        assert_eq!(rx.recv().await.ok(), Some(Event::new("message", "{\"id\":1}")));
        assert!(other.try_recv().is_err());
    }

    #[test]
    fn a_topic_nobody_follows_is_dropped() {
        let hub = Hub::new();
        let rx = hub.subscribe(CompanyId(1), "scale:1");
        assert_eq!(hub.topics(), 1);
        drop(rx);
        assert_eq!(hub.publish(CompanyId(1), "scale:1", Event::new("weight", "0")), 0);
        assert_eq!(hub.topics(), 0);
    }
}
