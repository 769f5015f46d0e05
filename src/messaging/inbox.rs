//! The inbox: conversations (one per channel and contact), their messages and notes, the
//! 24-hour rule on every send, assignment, the client link, and what the worker does with
//! each webhook item and each send attempt.

use crate::audit;
use crate::clients;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{ChannelId, ClientId, CompanyId, ConversationId, MessageId, TemplateId, UserId};
use crate::live::Event;
use crate::storage::{Read, WriteTx, outbox};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

use super::meta::{Inbound, SendOutcome};
use super::model::{Channel, Conversation, Delivery, Direction, Message, TemplateSend, window_open};
use super::store::{ASSIGNED, BY_CLIENT, CONTACTS, CONVERSATIONS, MESSAGES, RECENT, UNREAD_CONVS, WAMIDS, put_conversation, put_message};
use super::{Live, notify, require_admin, require_inbox};

fn conv_live(c: &Conversation, message: Option<MessageId>) -> Vec<Live> {
    let mut out = vec![("inbox".to_string(), Event::new("conversation", c.id.0.to_string()))];
    if let Some(m) = message {
        out.push((format!("conv:{}", c.id), Event::new("message", m.0.to_string())));
    }
    out
}

fn preview(text: &str) -> String {
    text.chars().take(80).collect()
}

/// Applies one webhook item. `received` is when the body came in.
pub fn apply(tx: &mut WriteTx, c: CompanyId, ch: &Channel, item: Inbound, received: Ts, now: Ts, live: &mut Vec<Live>) -> Result<()> {
    match item {
        Inbound::Message { wamid, from, name, kind, text, at_s } => {
            if tx.get(WAMIDS, (c.0, wamid.as_str()))?.is_some() {
                return Ok(()); // Meta redelivers; a message is stored once.
            }
            // The window runs from Meta's timestamp, never later than our receipt.
            let at = if at_s > 0 { Ts(received.0.min(at_s.saturating_mul(1000))) } else { received };
            let mut conv = conversation_of(tx, c, ch.id, &from, &name, now)?;
            let first_unread = conv.unread == 0;
            let m = Message {
                id: MessageId(tx.next_id()?),
                conversation: conv.id,
                direction: Direction::In,
                kind: kind.clone(),
                text: text.clone(),
                wamid: Some(wamid),
                state: Delivery::Received,
                author: None,
                template: None,
                reaction: None,
                at,
            };
            put_message(tx, c, &m)?;
            conv.unread += 1;
            conv.last_inbound = Some(conv.last_inbound.map_or(at, |t| Ts(t.0.max(at.0))));
            conv.last_at = now;
            conv.preview = preview(if text.is_empty() { &kind } else { &text });
            if !name.is_empty() {
                conv.name = name;
            }
            put_conversation(tx, c, &conv)?;
            live.extend(conv_live(&conv, Some(m.id)));
            if conv.assignee.is_none() && first_unread {
                let who = if conv.name.is_empty() { conv.phone.clone() } else { conv.name.clone() };
                let text = format!("{who}: {}", conv.preview);
                live.extend(notify::notify(
                    tx,
                    c,
                    notify::Target::Perm(Perm::INBOX),
                    "inbox.message",
                    &text,
                    &format!("/inbox/{}", conv.id),
                    now,
                )?);
            }
        }
        Inbound::Reaction { target, emoji, .. } => {
            let Some(r) = tx.get(WAMIDS, (c.0, target.as_str()))? else {
                return Ok(()); // A reaction to a message this box never saw: ignored.
            };
            if let Some(mut m) = tx.get(MESSAGES, (c.0, r.conversation.0, r.message.0))? {
                m.reaction = (!emoji.is_empty()).then_some(emoji);
                put_message(tx, c, &m)?;
                live.push((format!("conv:{}", r.conversation), Event::new("message", m.id.0.to_string())));
            }
        }
        Inbound::Echo { wamid, to, kind, text, at_s } => {
            // The business wrote from elsewhere: shown as sent, stored once (Meta id).
            if tx.get(WAMIDS, (c.0, wamid.as_str()))?.is_some() {
                return Ok(());
            }
            let at = if at_s > 0 { Ts(received.0.min(at_s.saturating_mul(1000))) } else { received };
            let mut conv = conversation_of(tx, c, ch.id, &to, "", now)?;
            let m = Message {
                id: MessageId(tx.next_id()?),
                conversation: conv.id,
                direction: Direction::Out,
                kind: kind.clone(),
                text: text.clone(),
                wamid: Some(wamid),
                state: Delivery::Sent,
                author: None,
                template: None,
                reaction: None,
                at,
            };
            put_message(tx, c, &m)?;
            conv.last_at = now;
            conv.preview = preview(if text.is_empty() { &kind } else { &text });
            put_conversation(tx, c, &conv)?;
            live.extend(conv_live(&conv, Some(m.id)));
        }
        Inbound::Status { wamid, state } => {
            let Some(r) = tx.get(WAMIDS, (c.0, wamid.as_str()))? else {
                // A status for a send whose answer is not recorded yet, or not ours: dropped.
                return Ok(());
            };
            if let Some(mut m) = tx.get(MESSAGES, (c.0, r.conversation.0, r.message.0))?
                && m.direction == Direction::Out
            {
                let next = m.state.advance(state);
                if next != m.state {
                    m.state = next;
                    put_message(tx, c, &m)?;
                    live.push((format!("conv:{}", r.conversation), Event::new("message", m.id.0.to_string())));
                }
            }
        }
    }
    Ok(())
}

/// The conversation with `wa_id` on `channel`, stored when it is new: where a template to a
/// staff member (`rules::whatsapp`) is sent and its delivery logged.
pub fn conversation_with(tx: &mut WriteTx, c: CompanyId, channel: ChannelId, wa_id: &str, name: &str, now: Ts) -> Result<ConversationId> {
    let conv = conversation_of(tx, c, channel, wa_id, name, now)?;
    if tx.get(CONVERSATIONS, (c.0, conv.id.0))?.is_none() {
        put_conversation(tx, c, &conv)?;
    }
    Ok(conv.id)
}

fn conversation_of(tx: &mut WriteTx, c: CompanyId, channel: ChannelId, wa_id: &str, name: &str, now: Ts) -> Result<Conversation> {
    if let Some(id) = tx.get(CONTACTS, (c.0, channel.0, wa_id))?
        && let Some(conv) = tx.get(CONVERSATIONS, (c.0, id))?
    {
        return Ok(conv);
    }
    // An Instagram contact is a scoped id, not a phone: no phone, no client found by it, and a
    // name that says where the contact writes from (Instagram's webhooks carry no names).
    let (phone, client, name) = match super::channel_kind(tx, c, channel)? {
        super::Kind::WhatsApp => {
            let phone = format!("+{wa_id}");
            let client = clients_by_phone(tx, c, &phone)?.into_iter().next();
            (phone, client, name.to_string())
        }
        super::Kind::Instagram => (String::new(), None, if name.is_empty() { format!("Instagram {wa_id}") } else { name.to_string() }),
    };
    Ok(Conversation {
        id: ConversationId(tx.next_id()?),
        channel,
        wa_id: wa_id.to_string(),
        phone,
        name,
        client,
        assignee: None,
        unread: 0,
        last_inbound: None,
        last_at: now,
        preview: String::new(),
        created: now,
    })
}

/// Clients whose stored (E.164) phone is `phone`.
pub fn clients_by_phone(tx: &impl Read, c: CompanyId, phone: &str) -> Result<Vec<ClientId>> {
    let h = clients::store::contact_hash("p", phone);
    let mut out = Vec::new();
    for ((_, _, id), _) in tx.list(clients::store::CLIENT_CONTACTS, (c.0, h, 0), (c.0, h, u64::MAX), 20)? {
        if let Some(cl) = tx.get(clients::store::CLIENTS, (c.0, id))?
            && cl.phone.as_deref() == Some(phone)
            && !cl.archived
        {
            out.push(cl.id);
        }
    }
    Ok(out)
}

pub fn conversation(tx: &impl Read, actor: &Actor, id: ConversationId) -> Result<Conversation> {
    require_inbox(actor)?;
    tx.get(CONVERSATIONS, (actor.company.0, id.0))?.ok_or(Error::NotFound)
}

/// How many conversations a list shows (the newest).
pub const LIST_LIMIT: usize = 500;

/// The company's conversations, most recent first; `mine` keeps the actor's own. Index-backed
/// (`store::RECENT`, `store::ASSIGNED`): one reverse range read of at most `LIST_LIMIT` rows
/// and one lookup per conversation shown, whatever the company's total.
pub fn conversations(tx: &impl Read, actor: &Actor, mine: bool) -> Result<Vec<Conversation>> {
    require_inbox(actor)?;
    let c = actor.company.0;
    let mut ids = Vec::new();
    if mine {
        let u = actor.user.0;
        tx.range(ASSIGNED, (c, u, 0, 0), (c, u, u64::MAX, u64::MAX), true, LIST_LIMIT, |_, id| {
            ids.push(id);
            Ok(true)
        })?;
    } else {
        tx.range(RECENT, (c, 0, 0), (c, u64::MAX, u64::MAX), true, LIST_LIMIT, |_, id| {
            ids.push(id);
            Ok(true)
        })?;
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(v) = tx.get(CONVERSATIONS, (c, id))? {
            out.push(v);
        }
    }
    Ok(out)
}

/// Conversations with unread messages: (the company's, the actor's own). One short range
/// read over the company's assignees (`store::UNREAD_CONVS`), never over conversations.
pub fn unread_counts(tx: &impl Read, actor: &Actor) -> Result<(u64, u64)> {
    require_inbox(actor)?;
    let c = actor.company.0;
    let (mut total, mut mine) = (0, 0);
    tx.range(UNREAD_CONVS, (c, 0), (c, u64::MAX), false, usize::MAX, |(_, who), n| {
        total += n;
        if who == actor.user.0 {
            mine = n;
        }
        Ok(true)
    })?;
    Ok((total, mine))
}

/// Conversations linked to a client (the client card): one range read of `store::BY_CLIENT`.
pub fn of_client(tx: &impl Read, actor: &Actor, client: ClientId) -> Result<Vec<Conversation>> {
    if require_inbox(actor).is_err() {
        return Ok(Vec::new());
    }
    let c = actor.company.0;
    let mut ids = Vec::new();
    tx.range(BY_CLIENT, (c, client.0, 0), (c, client.0, u64::MAX), true, LIST_LIMIT, |_, id| {
        ids.push(id);
        Ok(true)
    })?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(v) = tx.get(CONVERSATIONS, (c, id))? {
            out.push(v);
        }
    }
    out.sort_by(|a, b| b.last_at.0.cmp(&a.last_at.0).then(b.id.0.cmp(&a.id.0)));
    Ok(out)
}

/// A conversation's messages and notes, oldest first (the newest `limit`).
pub fn messages(tx: &impl Read, actor: &Actor, id: ConversationId, limit: usize) -> Result<Vec<Message>> {
    let conv = conversation(tx, actor, id)?;
    let c = actor.company.0;
    let mut out = Vec::new();
    tx.range(MESSAGES, (c, conv.id.0, 0), (c, conv.id.0, u64::MAX), true, limit, |_, m| {
        out.push(m);
        Ok(true)
    })?;
    out.reverse();
    Ok(out)
}

pub fn message(tx: &impl Read, actor: &Actor, conv: ConversationId, id: MessageId) -> Result<Message> {
    conversation(tx, actor, conv)?;
    tx.get(MESSAGES, (actor.company.0, conv.0, id.0))?.ok_or(Error::NotFound)
}

fn writable_conv(tx: &WriteTx, actor: &Actor, id: ConversationId) -> Result<Conversation> {
    require_inbox(actor)?;
    actor.require_writable()?;
    tx.get(CONVERSATIONS, (actor.company.0, id.0))?.ok_or(Error::NotFound)
}

fn queue(tx: &mut WriteTx, actor: &Actor, now: Ts, mut conv: Conversation, m: Message) -> Result<(Message, Vec<Live>)> {
    let c = actor.company;
    put_message(tx, c, &m)?;
    if m.direction == Direction::Out {
        outbox::push(tx, c.0, outbox::JobKind::MessagingSend { conversation: conv.id.0, message: m.id.0 }, now.0)?;
        conv.preview = preview(&m.text);
        conv.last_at = now;
    }
    put_conversation(tx, c, &conv)?;
    let action = if m.direction == Direction::Note { "messaging.note" } else { "messaging.send" };
    audit::record(tx, c, actor, now, action, format!("conversation:{}", conv.id), preview(&m.text))?;
    let live = conv_live(&conv, Some(m.id));
    Ok((m, live))
}

fn text_of(text: &str, max: usize) -> Result<String> {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(Error::field("text", "text_length", format!("Текст: от 1 до {max} символов"), format!("Text: 1 to {max} characters")));
    }
    Ok(t.to_string())
}

/// Queues free-form text; refused outside the 24-hour window (only templates go then).
pub fn send_text(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ConversationId, text: &str) -> Result<(Message, Vec<Live>)> {
    let conv = writable_conv(tx, actor, id)?;
    let text = text_of(text, 4096)?;
    if !window_open(conv.last_inbound, now) {
        return Err(Error::refused(
            "window_closed",
            "Прошло больше 24 часов с последнего сообщения клиента: можно отправить только одобренный шаблон",
            "More than 24 hours since the contact's last message: only an approved template can be sent",
        ));
    }
    let m = outbound(tx, actor, &conv, now, "text", text, None)?;
    queue(tx, actor, now, conv, m)
}

/// Queues an approved template with its variables (allowed at any time).
pub fn send_template(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: ConversationId,
    template: TemplateId,
    params: &[String],
) -> Result<(Message, Vec<Live>)> {
    let conv = writable_conv(tx, actor, id)?;
    let t = super::template(tx, actor.company, template)?;
    if super::channel_kind(tx, actor.company, conv.channel)? == super::Kind::Instagram {
        return Err(Error::refused(
            "template_whatsapp_only",
            "Шаблоны — только для WhatsApp; в Instagram ответьте текстом в течение 24 часов",
            "Templates are for WhatsApp only; answer an Instagram contact with text within 24 hours",
        ));
    }
    if !t.active {
        return Err(Error::field("template", "template_inactive", "Шаблон выключен", "The template is switched off"));
    }
    let params: Vec<String> = params.iter().map(|p| p.trim().to_string()).collect();
    if params.len() != usize::from(t.params) || params.iter().any(|p| p.is_empty() || p.chars().count() > 200) {
        return Err(Error::field(
            "params",
            "template_params",
            format!("Шаблону нужно {} значений (каждое до 200 символов)", t.params),
            format!("The template needs {} values (each up to 200 characters)", t.params),
        ));
    }
    let send = TemplateSend { name: t.name.clone(), language: t.language.clone(), params: params.clone() };
    let m = outbound(tx, actor, &conv, now, "template", t.render(&params), Some(send))?;
    queue(tx, actor, now, conv, m)
}

fn outbound(
    tx: &mut WriteTx,
    actor: &Actor,
    conv: &Conversation,
    now: Ts,
    kind: &str,
    text: String,
    template: Option<TemplateSend>,
) -> Result<Message> {
    Ok(Message {
        id: MessageId(tx.next_id()?),
        conversation: conv.id,
        direction: Direction::Out,
        kind: kind.into(),
        text,
        wamid: None,
        state: Delivery::Queued,
        author: Some(actor.user),
        template,
        reaction: None,
        at: now,
    })
}

/// An internal note: stays in the box, never sent.
pub fn add_note(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ConversationId, text: &str) -> Result<(Message, Vec<Live>)> {
    let conv = writable_conv(tx, actor, id)?;
    let m = Message {
        id: MessageId(tx.next_id()?),
        conversation: conv.id,
        direction: Direction::Note,
        kind: "note".into(),
        text: text_of(text, 4096)?,
        wamid: None,
        state: Delivery::Received,
        author: Some(actor.user),
        template: None,
        reaction: None,
        at: now,
    };
    queue(tx, actor, now, conv, m)
}

/// Assigns to `user` (None: unassigns). Taking a conversation yourself needs the inbox
/// right; assigning others (or unassigning someone else's) needs the admin right.
pub fn assign(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ConversationId, user: Option<UserId>) -> Result<(Conversation, Vec<Live>)> {
    let mut conv = writable_conv(tx, actor, id)?;
    let own = user == Some(actor.user) && conv.assignee.is_none_or(|a| a == actor.user);
    let drop_own = user.is_none() && conv.assignee == Some(actor.user);
    if !own && !drop_own {
        require_admin(actor)?;
    }
    let mut live = Vec::new();
    if let Some(u) = user {
        if !notify::users_with(tx, actor.company, Perm::INBOX)?.contains(&u) {
            return Err(Error::field("user", "not_an_agent", "Этот сотрудник не работает с перепиской", "This user has no inbox access"));
        }
        if u != actor.user {
            let text = format!("{}: {}", if conv.name.is_empty() { &conv.phone } else { &conv.name }, conv.preview);
            live.extend(notify::notify(
                tx,
                actor.company,
                notify::Target::User(u),
                "inbox.assigned",
                &text,
                &format!("/inbox/{}", conv.id),
                now,
            )?);
        }
    }
    conv.assignee = user;
    put_conversation(tx, actor.company, &conv)?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        "messaging.assign",
        format!("conversation:{}", conv.id),
        user.map(|u| u.to_string()).unwrap_or_default(),
    )?;
    live.extend(conv_live(&conv, None));
    Ok((conv, live))
}

/// The agent opened the conversation: its unread count goes to zero.
pub fn mark_read(tx: &mut WriteTx, actor: &Actor, id: ConversationId) -> Result<Vec<Live>> {
    let mut conv = writable_conv(tx, actor, id)?;
    if conv.unread == 0 {
        return Ok(Vec::new());
    }
    conv.unread = 0;
    put_conversation(tx, actor.company, &conv)?;
    Ok(conv_live(&conv, None))
}

/// Links the conversation to an existing client (None: unlinks).
pub fn link_client(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ConversationId, client: Option<ClientId>) -> Result<Conversation> {
    let mut conv = writable_conv(tx, actor, id)?;
    if let Some(cl) = client {
        clients::client(tx, actor, cl)?;
    }
    conv.client = client;
    put_conversation(tx, actor.company, &conv)?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        "messaging.link_client",
        format!("conversation:{}", conv.id),
        client.map(|c| c.to_string()).unwrap_or_default(),
    )?;
    Ok(conv)
}

/// Creates a client from the conversation (its phone, the given name) and links it.
pub fn create_client(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ConversationId, name: &str) -> Result<Conversation> {
    let conv = writable_conv(tx, actor, id)?;
    let draft = clients::ClientDraft { kind: "client".into(), name: name.into(), phone: conv.phone.clone(), ..Default::default() };
    let (client, _) = clients::save_client(tx, actor, now, None, &draft)?;
    link_client(tx, actor, now, id, Some(client.id))
}

/// What a send job needs: the message, where it goes and through which channel.
pub struct SendJob {
    pub message: Message,
    pub to: String,
    pub channel: Channel,
    pub kind: super::Kind,
}

pub fn send_job(tx: &impl Read, c: CompanyId, conv: ConversationId, message: MessageId) -> Result<Option<SendJob>> {
    let Some(m) = tx.get(MESSAGES, (c.0, conv.0, message.0))? else { return Ok(None) };
    let Some(cv) = tx.get(CONVERSATIONS, (c.0, conv.0))? else { return Ok(None) };
    let Some(ch) = tx.get(super::store::CHANNELS, (c.0, cv.channel.0))? else { return Ok(None) };
    let kind = super::channel_kind(tx, c, ch.id)?;
    Ok(Some(SendJob { message: m, to: cv.wa_id, channel: ch, kind }))
}

/// Records a send attempt: sent (with Meta's id), failed for good, or failed for now (the
/// outbox retries with backoff until `MAX_SEND_ATTEMPTS`, then it is failed for good).
pub fn record_send(
    tx: &mut WriteTx,
    c: CompanyId,
    job: u64,
    conv: ConversationId,
    message: MessageId,
    outcome: SendOutcome,
    now: Ts,
) -> Result<Vec<Live>> {
    let attempts = tx.get(outbox::OUTBOX, job)?.map_or(0, |j| j.attempts) + 1;
    let Some(mut m) = tx.get(MESSAGES, (c.0, conv.0, message.0))? else {
        outbox::done(tx, job)?;
        return Ok(Vec::new());
    };
    match outcome {
        SendOutcome::Sent(wamid) => {
            m.wamid = Some(wamid);
            m.state = m.state.advance(Delivery::Sent);
            outbox::done(tx, job)?;
        }
        SendOutcome::Refused(error) => {
            m.state = m.state.advance(Delivery::Failed { error });
            outbox::done(tx, job)?;
        }
        SendOutcome::Retry(error) if attempts >= super::MAX_SEND_ATTEMPTS => {
            m.state = m.state.advance(Delivery::Failed { error });
            outbox::done(tx, job)?;
        }
        SendOutcome::Retry(error) => {
            outbox::failed(tx, job, error, now.0)?;
            return Ok(Vec::new());
        }
    }
    put_message(tx, c, &m)?;
    Ok(vec![(format!("conv:{conv}"), Event::new("message", m.id.0.to_string()))])
}
