//! Server-sent events for `live::Hub` topics: a page opens `EventSource` on a route that checks
//! the actor's rights, picks the topic, and returns `stream(...)`. The company comes from the
//! session like everywhere else, so a page can only follow its own company. A lagging client
//! gets a `resync` event (reload what you show) instead of a silent gap; a comment line every
//! 15 s keeps proxies and the browser from dropping an idle stream.
use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use futures_util::Stream;
use tokio::sync::broadcast::{Receiver, error::RecvError};

use crate::app::App;
use crate::ids::CompanyId;
use crate::live::Event;

/// The SSE response following `topic` of `company`.
pub fn stream(app: &App, company: CompanyId, topic: &str) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>> + use<>> {
    let rx = app.live.subscribe(company, topic);
    let events = futures_util::stream::unfold(rx, |mut rx: Receiver<Event>| async move {
        let event = match rx.recv().await {
            Ok(e) => SseEvent::default().event(e.kind).data(e.data),
            Err(RecvError::Lagged(_)) => SseEvent::default().event("resync").data(""),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), rx))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
