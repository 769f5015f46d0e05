//! Messaging (spec A13, issue 16): WhatsApp Business and Instagram channels through Meta's
//! APIs, the shared inbox and the in-app notification centre. A channel's kind lives beside it
//! (`store::CHANNEL_KINDS`, absent: WhatsApp); webhooks are read and replies sent per kind.
//!
//! Invariants. A webhook body is accepted only after its `X-Hub-Signature-256` (HMAC-SHA256 of
//! the channel's app secret over the raw bytes) checked out in constant time, and is stored
//! as it came with a `MessagingInbound` outbox job in one transaction; the worker turns it into
//! messages (`process`): a Meta message id is stored once, a status only moves a message's
//! delivery state forward (`model::Delivery::advance`, failed wins), items naming another
//! phone number id than the channel's are dropped. Free-form text goes out only inside the
//! 24-hour window after the contact's last message (`model::window_open`), templates always;
//! every send is a `MessagingSend` outbox job whose failures keep Meta's error text. Channel
//! secrets are sealed with the box key (`seal`). Live updates are published after commit by
//! whoever committed (`Live`); they are hints, pages re-read what changed.

pub mod inbox;
pub mod mail;
pub mod meta;
pub mod model;
pub mod notify;
pub mod rules;
pub mod seal;
pub mod store;

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{ChannelId, CompanyId, TemplateId};
use crate::storage::{Read, WriteTx, outbox};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;
pub use model::{Channel, Conversation, Delivery, Direction, Kind, Message, Notification, Template};
use seal::BoxKey;
use store::{CHANNEL_KINDS, CHANNELS, INBOUND, TEMPLATES};

/// The plan feature that switches messaging on.
pub const FEATURE: &str = "messaging";

/// Largest webhook body accepted (Meta batches up to a few hundred items; far below this).
pub const WEBHOOK_BODY_LIMIT: usize = 256 * 1024;

/// Send attempts before an outbound message is marked failed.
pub const MAX_SEND_ATTEMPTS: u32 = 6;

/// A live update to publish once the transaction that caused it is durable.
pub type Live = (String, crate::live::Event);

pub fn publish(hub: &crate::live::Hub, company: CompanyId, live: Vec<Live>) {
    for (topic, event) in live {
        hub.publish(company, &topic, event);
    }
}

/// Reading and answering conversations.
pub fn require_inbox(actor: &Actor) -> Result<()> {
    actor.require_feature(FEATURE)?;
    actor.require(Perm::INBOX)
}

/// Channels, templates and assigning conversations to others.
pub fn require_admin(actor: &Actor) -> Result<()> {
    actor.require_feature(FEATURE)?;
    actor.require(Perm::INBOX_ADMIN)
}

#[derive(Debug, Clone, Default)]
pub struct ChannelDraft {
    pub name: String,
    pub phone_number_id: String,
    /// Empty on an edit: keep the stored secret.
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    pub active: bool,
    /// A new channel's kind (`phone_number_id` is then the Instagram account id); an edit keeps
    /// the stored kind.
    pub kind: Kind,
}

fn secret_field(p: &mut Problems, field: &str, value: &str, required: bool) -> Option<String> {
    let v = value.trim();
    if v.is_empty() {
        if required {
            p.push(FieldError::new(field, "required", "Обязательное поле", "Required"));
        }
        return None;
    }
    if v.len() > 1024 || v.chars().any(|c| c.is_control() || c.is_whitespace()) {
        p.push(FieldError::new(field, "invalid", "Недопустимое значение", "Invalid value"));
        return None;
    }
    Some(v.to_string())
}

/// Creates (`id` = None) or edits a channel. Secrets are sealed before they are stored.
pub fn save_channel(tx: &mut WriteTx, actor: &Actor, key: &BoxKey, now: Ts, id: Option<ChannelId>, d: &ChannelDraft) -> Result<ChannelId> {
    require_admin(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) => Some(tx.get(CHANNELS, (c.0, id.0))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let mut p = Problems::default();
    let name = d.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        p.push(FieldError::new("name", "required", "Название: от 1 до 100 символов", "Name: 1 to 100 characters"));
    }
    let kind = match id {
        Some(id) => channel_kind(tx, c, id)?,
        None => d.kind,
    };
    let phone_number_id = d.phone_number_id.trim().to_string();
    if phone_number_id.is_empty() || phone_number_id.len() > 30 || !phone_number_id.chars().all(|ch| ch.is_ascii_digit()) {
        p.push(match kind {
            Kind::WhatsApp => {
                FieldError::new("phone_number_id", "invalid", "Phone number ID — только цифры", "Phone number ID: digits only")
            }
            Kind::Instagram => {
                FieldError::new("phone_number_id", "invalid", "ID аккаунта Instagram — только цифры", "Instagram account ID: digits only")
            }
        });
    }
    let new = old.is_none();
    let token = secret_field(&mut p, "access_token", &d.access_token, new);
    let app_secret = secret_field(&mut p, "app_secret", &d.app_secret, new);
    let verify_token = secret_field(&mut p, "verify_token", &d.verify_token, new);
    p.finish()?;
    let seal = |field: &str, v: Option<String>, kept: Option<&Vec<u8>>| -> Result<Vec<u8>> {
        match (v, kept) {
            (Some(v), _) => key.seal(c, field, &v),
            (None, Some(k)) => Ok(k.clone()),
            (None, None) => Err(Error::Internal("a new channel without its secret".into())),
        }
    };
    let channel = Channel {
        id: match &old {
            Some(o) => o.id,
            None => ChannelId(tx.next_id()?),
        },
        name,
        phone_number_id,
        access_token: seal("access_token", token, old.as_ref().map(|o| &o.access_token))?,
        app_secret: seal("app_secret", app_secret, old.as_ref().map(|o| &o.app_secret))?,
        verify_token: seal("verify_token", verify_token, old.as_ref().map(|o| &o.verify_token))?,
        active: d.active,
        created: old.as_ref().map_or(now, |o| o.created),
    };
    tx.insert(CHANNELS, (c.0, channel.id.0), &channel)?;
    if kind == Kind::Instagram {
        let k = model::ChannelKind { kind, account_id: channel.phone_number_id.clone() };
        tx.insert(CHANNEL_KINDS, (c.0, channel.id.0), &k)?;
    }
    audit::record(tx, c, actor, now, "messaging.channel.save", format!("channel:{}", channel.id), channel.name.clone())?;
    Ok(channel.id)
}

pub fn channels(tx: &impl Read, c: CompanyId) -> Result<Vec<Channel>> {
    Ok(tx.list(CHANNELS, (c.0, 0), (c.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, ch)| ch).collect())
}

pub fn channel(tx: &impl Read, c: CompanyId, id: ChannelId) -> Result<Channel> {
    tx.get(CHANNELS, (c.0, id.0))?.ok_or(Error::NotFound)
}

/// What a channel speaks (WhatsApp unless its kind row says otherwise).
pub fn channel_kind(tx: &impl Read, c: CompanyId, id: ChannelId) -> Result<Kind> {
    Ok(tx.get(CHANNEL_KINDS, (c.0, id.0))?.map_or(Kind::WhatsApp, |k| k.kind))
}

/// Whether all three secrets open with this box's key (false after a restore elsewhere).
pub fn secrets_ok(key: &BoxKey, c: CompanyId, ch: &Channel) -> bool {
    key.open(c, "access_token", &ch.access_token).is_some()
        && key.open(c, "app_secret", &ch.app_secret).is_some()
        && key.open(c, "verify_token", &ch.verify_token).is_some()
}

/// The public path Meta is configured to call for a channel of `kind`.
pub fn webhook_path(c: CompanyId, id: ChannelId, kind: Kind) -> String {
    match kind {
        Kind::WhatsApp => format!("/api/v1/messaging/webhooks/{}/{}", c.0, id.0),
        Kind::Instagram => format!("/api/v1/messaging/instagram/{}/{}", c.0, id.0),
    }
}

/// A kind's own webhook route takes only its own channels: the same answer as for an unknown
/// channel otherwise (`Unauthorized` for a body, `NotFound` for a subscription check).
pub fn require_kind(tx: &impl Read, c: CompanyId, id: ChannelId, kind: Kind, otherwise: Error) -> Result<()> {
    if channel_kind(tx, c, id)? == kind { Ok(()) } else { Err(otherwise) }
}

fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(subtle::ConstantTimeEq::ct_eq(a.as_bytes(), b.as_bytes()))
}

/// Meta's subscription check: the challenge back only for `hub.mode=subscribe` with the
/// channel's verify token; 403 otherwise, 404 for an unknown or inactive channel.
pub fn verify_subscription(
    tx: &impl Read,
    key: &BoxKey,
    c: CompanyId,
    id: ChannelId,
    mode: &str,
    token: &str,
    challenge: &str,
) -> Result<String> {
    let ch = channel(tx, c, id)?;
    if !ch.active {
        return Err(Error::NotFound);
    }
    let expected = key.open(c, "verify_token", &ch.verify_token).ok_or(Error::Forbidden { permission: "verify_token" })?;
    if mode != "subscribe" || !ct_eq(token, &expected) || challenge.is_empty() || challenge.len() > 200 {
        return Err(Error::Forbidden { permission: "verify_token" });
    }
    Ok(challenge.to_string())
}

/// Checks a webhook body's signature header against the channel's app secret, in constant
/// time, before anything reads the body. 401 on any mismatch (and for unknown channels, so
/// a caller learns nothing about which exist).
pub fn check_signature(tx: &impl Read, key: &BoxKey, c: CompanyId, id: ChannelId, body: &[u8], header: &str) -> Result<()> {
    let ch = tx.get(CHANNELS, (c.0, id.0))?.filter(|ch| ch.active).ok_or(Error::Unauthorized)?;
    let secret = key.open(c, "app_secret", &ch.app_secret).ok_or(Error::Unauthorized)?;
    if crate::webhooks::verify(&secret, body, header) { Ok(()) } else { Err(Error::Unauthorized) }
}

/// Stores a verified webhook body for the worker: the event row and its outbox job.
pub fn accept(tx: &mut WriteTx, c: CompanyId, channel: ChannelId, body: Vec<u8>, now: Ts) -> Result<u64> {
    tx.get(CHANNELS, (c.0, channel.0))?.ok_or(Error::NotFound)?;
    let id = tx.next_id()?;
    tx.insert(INBOUND, (c.0, id), &model::InboundEvent { id, channel, body, received: now })?;
    outbox::push(tx, c.0, outbox::JobKind::MessagingInbound { event: id }, now.0)?;
    Ok(id)
}

/// Processes one stored webhook body (the worker's step): messages, reactions and statuses
/// into conversations; the body is removed in the same transaction.
pub fn process(tx: &mut WriteTx, c: CompanyId, event: u64, now: Ts) -> Result<Vec<Live>> {
    let Some(ev) = tx.get(INBOUND, (c.0, event))? else {
        return Ok(Vec::new());
    };
    tx.remove(INBOUND, (c.0, event))?;
    let Some(ch) = tx.get(CHANNELS, (c.0, ev.channel.0))? else {
        return Ok(Vec::new());
    };
    let parsed = match channel_kind(tx, c, ch.id)? {
        Kind::WhatsApp => meta::parse_webhook(&ev.body, &ch.phone_number_id),
        Kind::Instagram => meta::parse_instagram(&ev.body, &ch.phone_number_id),
    };
    let items = match parsed {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(company = c.0, event, "webhook body dropped: {e}");
            return Ok(Vec::new());
        }
    };
    let mut live = Vec::new();
    for item in items {
        inbox::apply(tx, c, &ch, item, ev.received, now, &mut live)?;
    }
    Ok(live)
}

#[derive(Debug, Clone, Default)]
pub struct TemplateDraft {
    pub name: String,
    pub language: String,
    pub body: String,
    pub active: bool,
}

pub fn save_template(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<TemplateId>, d: &TemplateDraft) -> Result<TemplateId> {
    require_admin(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    if let Some(id) = id {
        tx.get(TEMPLATES, (c.0, id.0))?.ok_or(Error::NotFound)?;
    }
    let mut p = Problems::default();
    let name = d.name.trim().to_string();
    if name.is_empty() || name.len() > 512 || !name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_') {
        p.push(FieldError::new("name", "invalid", "Имя шаблона Meta: a-z, 0-9, _", "Meta template name: a-z, 0-9, _"));
    }
    let language = d.language.trim().to_string();
    if language.is_empty() || language.len() > 10 || !language.chars().all(|ch| ch.is_ascii_alphabetic() || ch == '_') {
        p.push(FieldError::new("language", "invalid", "Код языка, например ru или en_US", "Language code, e.g. ru or en_US"));
    }
    let body = d.body.trim().to_string();
    if body.is_empty() || body.chars().count() > 1024 {
        p.push(FieldError::new("body", "required", "Текст: от 1 до 1024 символов", "Body: 1 to 1024 characters"));
    }
    p.finish()?;
    let t = Template {
        id: match id {
            Some(id) => id,
            None => TemplateId(tx.next_id()?),
        },
        params: model::placeholders(&body),
        name,
        language,
        body,
        active: d.active,
    };
    tx.insert(TEMPLATES, (c.0, t.id.0), &t)?;
    audit::record(tx, c, actor, now, "messaging.template.save", format!("template:{}", t.id), t.name.clone())?;
    Ok(t.id)
}

pub fn templates(tx: &impl Read, c: CompanyId) -> Result<Vec<Template>> {
    Ok(tx.list(TEMPLATES, (c.0, 0), (c.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, t)| t).collect())
}

pub fn template(tx: &impl Read, c: CompanyId, id: TemplateId) -> Result<Template> {
    tx.get(TEMPLATES, (c.0, id.0))?.ok_or(Error::NotFound)
}
