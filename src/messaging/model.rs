//! Messaging's stored shapes and the two rules with no I/O: the delivery-state machine and the
//! 24-hour customer-service window.

use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{ChannelId, ClientId, ConversationId, MessageId, NotificationId, TemplateId, UserId};
use crate::storage::Record;

/// Meta's customer-service window: free-form messages may be sent for 24 hours after the
/// contact's last message; after that only approved templates.
pub const WINDOW_MS: i64 = 24 * 3_600_000;

/// Whether free-form text may be sent now: the last inbound message is less than 24 hours
/// old (at exactly 24 hours the window is closed).
pub fn window_open(last_inbound: Option<Ts>, now: Ts) -> bool {
    last_inbound.is_some_and(|t| now.0 >= t.0 && now.0 - t.0 < WINDOW_MS)
}

/// When the window closes (for the composer's hint), if it is open.
pub fn window_closes(last_inbound: Option<Ts>, now: Ts) -> Option<Ts> {
    last_inbound.filter(|t| window_open(Some(*t), now)).map(|t| t.plus_ms(WINDOW_MS))
}

/// A channel's secrets, each sealed with the box key (`seal.rs`); never stored in clear.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    pub name: String,
    /// Meta's phone number id: where messages are sent from and what webhooks name.
    pub phone_number_id: String,
    pub access_token: Vec<u8>,
    pub app_secret: Vec<u8>,
    pub verify_token: Vec<u8>,
    pub active: bool,
    pub created: Ts,
}

impl Record for Channel {
    const TYPE: &'static str = "messaging_channel.v1";
}

/// What a channel speaks. A channel without a `store::CHANNEL_KINDS` row is WhatsApp, so the
/// stored `Channel` keeps its shape.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    #[default]
    WhatsApp,
    Instagram,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::WhatsApp => "whatsapp",
            Kind::Instagram => "instagram",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "" | "whatsapp" => Some(Kind::WhatsApp),
            "instagram" => Some(Kind::Instagram),
            _ => None,
        }
    }
}

/// A channel's kind and, for Instagram, its ids. An Instagram channel's `Channel::phone_number_id`
/// holds the same account id: where messages are sent from (`POST {base}/{account_id}/messages`)
/// and what its webhooks name (`entry[].id`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelKind {
    pub kind: Kind,
    /// The Instagram professional account id.
    pub account_id: String,
}

impl Record for ChannelKind {
    const TYPE: &'static str = "messaging_channelkind.v1";
}

/// A raw webhook body, stored as received (after its signature was checked) and processed by
/// the messaging worker from the outbox.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboundEvent {
    pub id: u64,
    pub channel: ChannelId,
    pub body: Vec<u8>,
    pub received: Ts,
}

impl Record for InboundEvent {
    const TYPE: &'static str = "messaging_inbound.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub channel: ChannelId,
    /// The contact's WhatsApp id (digits of the E.164 number).
    pub wa_id: String,
    /// `+<wa_id>`, the E.164 form clients are stored with.
    pub phone: String,
    /// The profile name WhatsApp sent.
    pub name: String,
    pub client: Option<ClientId>,
    pub assignee: Option<UserId>,
    /// Inbound messages since an agent last opened the conversation.
    pub unread: u32,
    pub last_inbound: Option<Ts>,
    pub last_at: Ts,
    pub preview: String,
    pub created: Ts,
}

impl Record for Conversation {
    const TYPE: &'static str = "messaging_conversation.v1";
}

/// Where a message stands. Outbound messages move Queued → Sent → Delivered → Read and never
/// back; Failed wins over everything and keeps Meta's error text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// An inbound message (nothing to deliver).
    Received,
    Queued,
    Sent,
    Delivered,
    Read,
    Failed {
        error: String,
    },
}

impl Delivery {
    fn rank(&self) -> u8 {
        match self {
            Delivery::Received | Delivery::Queued => 0,
            Delivery::Sent => 1,
            Delivery::Delivered => 2,
            Delivery::Read => 3,
            Delivery::Failed { .. } => 4,
        }
    }

    /// The state after `incoming` is reported in state `self`: the later of the two on
    /// sent < delivered < read, and failed once failed, whatever arrives after.
    pub fn advance(&self, incoming: Delivery) -> Delivery {
        match (self, &incoming) {
            (Delivery::Failed { .. }, _) => self.clone(),
            (_, Delivery::Failed { .. }) => incoming,
            _ if incoming.rank() > self.rank() => incoming,
            _ => self.clone(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Delivery::Received => "received",
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Read => "read",
            Delivery::Failed { .. } => "failed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    In,
    Out,
    /// An agent's internal note: never sent.
    Note,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Note => "note",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub conversation: ConversationId,
    pub direction: Direction,
    /// "text", "template", "image", … as Meta names it; "note" for notes.
    pub kind: String,
    pub text: String,
    /// Meta's message id (`wamid…`): inbound from the webhook, outbound once sent.
    pub wamid: Option<String>,
    pub state: Delivery,
    /// The agent who wrote an outbound message or a note.
    pub author: Option<UserId>,
    /// A template send: its name, language and variables.
    pub template: Option<TemplateSend>,
    /// A reaction's emoji on this message, from the contact.
    pub reaction: Option<String>,
    pub at: Ts,
}

impl Record for Message {
    const TYPE: &'static str = "messaging_message.v1";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSend {
    pub name: String,
    pub language: String,
    pub params: Vec<String>,
}

/// A template the company had approved by Meta, entered by hand: its name, language and body
/// with `{{1}}`…`{{n}}` placeholders.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Template {
    pub id: TemplateId,
    pub name: String,
    pub language: String,
    pub body: String,
    pub params: u8,
    pub active: bool,
}

impl Record for Template {
    const TYPE: &'static str = "messaging_template.v1";
}

impl Template {
    /// The body with its placeholders filled, as the contact will read it.
    pub fn render(&self, params: &[String]) -> String {
        let mut out = self.body.clone();
        for (i, p) in params.iter().enumerate() {
            out = out.replace(&format!("{{{{{}}}}}", i + 1), p);
        }
        out
    }
}

/// How many `{{n}}` placeholders a body uses (the highest n, at most 20).
pub fn placeholders(body: &str) -> u8 {
    (1..=20u8).filter(|n| body.contains(&format!("{{{{{n}}}}}"))).max().unwrap_or(0)
}

/// An in-app notification of one user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    pub kind: String,
    pub text: String,
    /// A page of the app to open (`/inbox/12`).
    pub link: String,
    pub read: bool,
    pub at: Ts,
}

impl Record for Notification {
    const TYPE: &'static str = "notification.v1";
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn state(i: u8) -> Delivery {
        match i % 4 {
            0 => Delivery::Sent,
            1 => Delivery::Delivered,
            2 => Delivery::Read,
            _ => Delivery::Failed { error: format!("error {i}") },
        }
    }

    proptest! {
        /// Any order of reports ends in: the first failure if any failed, else the furthest
        /// of sent/delivered/read; and no step ever moves backwards.
        #[test]
        fn reports_in_any_order_end_in_the_furthest_state_and_failed_wins(reports in proptest::collection::vec(0u8..16, 0..12)) {
            let mut s = Delivery::Queued;
            for &r in &reports {
                let next = s.advance(state(r));
                prop_assert!(next.rank() >= s.rank());
                s = next;
            }
            let first_failure = reports.iter().map(|&r| state(r)).find(|d| matches!(d, Delivery::Failed { .. }));
            let expected = match first_failure {
                Some(f) => f,
                None => reports.iter().map(|&r| state(r)).max_by_key(Delivery::rank).unwrap_or(Delivery::Queued),
            };
            prop_assert_eq!(s, expected);
        }
    }

    #[test]
    fn every_pair_of_transitions() {
        let all = [Delivery::Queued, Delivery::Sent, Delivery::Delivered, Delivery::Read, Delivery::Failed { error: "x".into() }];
        for a in &all {
            for b in &all {
                let got = a.advance(b.clone());
                let want = if matches!(a, Delivery::Failed { .. }) {
                    a.clone()
                } else if matches!(b, Delivery::Failed { .. }) || b.rank() > a.rank() {
                    b.clone()
                } else {
                    a.clone()
                };
                assert_eq!(got, want, "{a:?} then {b:?}");
            }
        }
    }

    #[test]
    fn the_window_is_open_for_24_hours_less_a_millisecond() {
        let t = Ts(1_000_000_000);
        assert!(!window_open(None, t));
        assert!(window_open(Some(t), t));
        assert!(window_open(Some(t), t.plus_ms(WINDOW_MS - 1)));
        assert!(!window_open(Some(t), t.plus_ms(WINDOW_MS)));
        assert_eq!(window_closes(Some(t), t), Some(t.plus_ms(WINDOW_MS)));
        assert_eq!(window_closes(Some(t), t.plus_ms(WINDOW_MS)), None);
    }

    #[test]
    fn templates_fill_their_placeholders() {
        let t = Template {
            id: TemplateId(1),
            name: "due".into(),
            language: "ru".into(),
            body: "Здравствуйте, {{1}}! Платёж {{2}} завтра.".into(),
            params: 2,
            active: true,
        };
        assert_eq!(placeholders(&t.body), 2);
        assert_eq!(t.render(&["Айгуль".into(), "1 500 сом".into()]), "Здравствуйте, Айгуль! Платёж 1 500 сом завтра.");
    }
}
