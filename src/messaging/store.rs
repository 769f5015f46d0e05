//! Messaging tables. Every key starts with the company; a conversation's messages sit under
//! it in id order (ids come from the box-wide counter, so id order is arrival order), and a
//! user's notifications under the user. `put_message` is the one write path of a message and
//! keeps the Meta-id index; `put_conversation` keeps the contact index and the inbox indexes
//! (newest first for the company, per assignee and per client, and the unread counters) by
//! diffing the stored row against the new one; `put_notification` keeps the unread counter.

use serde::{Deserialize, Serialize};

use super::model::{Channel, ChannelKind, Conversation, InboundEvent, Message, Notification, Template};
use crate::ids::{CompanyId, ConversationId, MessageId, UserId};
use crate::storage::{ReadTx, Record, StorageError, Table, TableInfo, WriteTx};

pub const CHANNELS: Table<(u64, u64), Channel> = Table::new("company_channelid_channel");
/// (company, channel) → its kind and Instagram ids; absent for a WhatsApp channel.
pub const CHANNEL_KINDS: Table<(u64, u64), ChannelKind> = Table::new("company_channel_channelkind");
/// Webhook bodies accepted and not yet processed (each has a `MessagingInbound` outbox job).
pub const INBOUND: Table<(u64, u64), InboundEvent> = Table::new("company_eventid_inboundevent");
pub const CONVERSATIONS: Table<(u64, u64), Conversation> = Table::new("company_conversationid_conversation");
/// (company, channel, contact's wa_id) → conversation: unique.
pub const CONTACTS: Table<(u64, u64, &'static str), u64> = Table::new("company_channel_waid_conversationid");
pub const MESSAGES: Table<(u64, u64, u64), Message> = Table::new("company_conversation_messageid_message");
/// (company, Meta message id) → the message it names: dedupes inbound messages and finds the
/// message a status or a reaction is about.
pub const WAMIDS: Table<(u64, &'static str), MessageRef> = Table::new("company_wamid_messageref");
pub const TEMPLATES: Table<(u64, u64), Template> = Table::new("company_templateid_template");
pub const NOTIFICATIONS: Table<(u64, u64, u64), Notification> = Table::new("company_user_notificationid_notification");
/// Unread notifications per user: a projection of `NOTIFICATIONS`.
pub const UNREAD: Table<(u64, u64), u64> = Table::new("company_user_unreadcount");
/// (company, last activity ms, conversation) → conversation: the inbox list, read newest first.
pub const RECENT: Table<(u64, u64, u64), u64> = Table::new("company_lastat_conversationid_conversationid");
/// (company, assignee or 0 when unassigned, last activity ms, conversation) → conversation:
/// an agent's list ("mine") and the unassigned queue, newest first.
pub const ASSIGNED: Table<(u64, u64, u64, u64), u64> = Table::new("company_assignee_lastat_conversationid_conversationid");
/// (company, client, conversation) → conversation: the client card's conversations.
pub const BY_CLIENT: Table<(u64, u64, u64), u64> = Table::new("company_client_conversationid_conversationid");
/// (company, assignee or 0) → conversations with unread messages: a projection of
/// `CONVERSATIONS`; the company's total is the sum over its few assignees.
pub const UNREAD_CONVS: Table<(u64, u64), u64> = Table::new("company_assignee_unreadconversations");

pub fn tables() -> Vec<TableInfo> {
    vec![
        CHANNELS.info("(CompanyId, ChannelId)", "WhatsApp channels: phone number id and secrets sealed with the box key"),
        CHANNEL_KINDS.info("(CompanyId, ChannelId)", "an Instagram channel's kind and account id (absent: WhatsApp)"),
        INBOUND.info("(CompanyId, u64 event id)", "verified webhook bodies waiting for the messaging worker"),
        CONVERSATIONS.info("(CompanyId, ConversationId)", "conversations: contact, client link, assignee, unread count, last inbound"),
        CONTACTS.info("(CompanyId, ChannelId, wa_id)", "the conversation of a contact on a channel (unique)"),
        MESSAGES.info("(CompanyId, ConversationId, MessageId)", "messages in, out and notes, with their delivery state"),
        WAMIDS.info("(CompanyId, Meta message id)", "the message a Meta id names (dedupe, statuses, reactions)"),
        TEMPLATES.info("(CompanyId, TemplateId)", "approved message templates entered by the company"),
        NOTIFICATIONS.info("(CompanyId, UserId, NotificationId)", "in-app notifications per user"),
        UNREAD.info("(CompanyId, UserId)", "unread notifications per user (projection)"),
        RECENT.info("(CompanyId, last activity ms, ConversationId)", "the inbox list, newest first (index of conversations)"),
        ASSIGNED.info(
            "(CompanyId, assignee UserId or 0, last activity ms, ConversationId)",
            "conversations per assignee and the unassigned queue, newest first (index)",
        ),
        BY_CLIENT.info("(CompanyId, ClientId, ConversationId)", "a client's conversations (index)"),
        UNREAD_CONVS.info("(CompanyId, assignee UserId or 0)", "conversations with unread messages per assignee (projection)"),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageRef {
    pub conversation: ConversationId,
    pub message: MessageId,
}

impl Record for MessageRef {
    const TYPE: &'static str = "messaging_messageref.v1";
}

/// The one write path of a conversation: keeps the contact index and, by diff against the
/// stored row, the inbox indexes and unread counters.
pub fn put_conversation(tx: &mut WriteTx, c: CompanyId, conv: &Conversation) -> Result<(), StorageError> {
    let old = tx.get(CONVERSATIONS, (c.0, conv.id.0))?;
    if let Some(o) = &old {
        unindex(tx, c, o)?;
    }
    index(tx, c, conv)?;
    tx.insert(CONTACTS, (c.0, conv.channel.0, conv.wa_id.as_str()), &conv.id.0)?;
    tx.insert(CONVERSATIONS, (c.0, conv.id.0), conv)
}

fn at_key(v: &Conversation) -> u64 {
    u64::try_from(v.last_at.0).unwrap_or(0)
}

fn index(tx: &mut WriteTx, c: CompanyId, v: &Conversation) -> Result<(), StorageError> {
    let (id, who) = (v.id.0, v.assignee.map_or(0, |u| u.0));
    tx.insert(RECENT, (c.0, at_key(v), id), &id)?;
    tx.insert(ASSIGNED, (c.0, who, at_key(v), id), &id)?;
    if let Some(client) = v.client {
        tx.insert(BY_CLIENT, (c.0, client.0, id), &id)?;
    }
    if v.unread > 0 {
        let n = tx.get(UNREAD_CONVS, (c.0, who))?.unwrap_or(0);
        tx.insert(UNREAD_CONVS, (c.0, who), &(n + 1))?;
    }
    Ok(())
}

fn unindex(tx: &mut WriteTx, c: CompanyId, v: &Conversation) -> Result<(), StorageError> {
    let (id, who) = (v.id.0, v.assignee.map_or(0, |u| u.0));
    tx.remove(RECENT, (c.0, at_key(v), id))?;
    tx.remove(ASSIGNED, (c.0, who, at_key(v), id))?;
    if let Some(client) = v.client {
        tx.remove(BY_CLIENT, (c.0, client.0, id))?;
    }
    if v.unread > 0 {
        let n = tx.get(UNREAD_CONVS, (c.0, who))?.unwrap_or(0).saturating_sub(1);
        if n == 0 {
            tx.remove(UNREAD_CONVS, (c.0, who))?;
        } else {
            tx.insert(UNREAD_CONVS, (c.0, who), &n)?;
        }
    }
    Ok(())
}

/// Builds the inbox indexes of conversations stored before they existed (an upgrade step;
/// idempotent: it clears them first).
pub fn build_inbox_indexes(tx: &mut WriteTx) -> Result<(), StorageError> {
    for (k, _) in tx.list(RECENT, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), usize::MAX)? {
        tx.remove(RECENT, k)?;
    }
    for (k, _) in tx.list(ASSIGNED, (0, 0, 0, 0), (u64::MAX, u64::MAX, u64::MAX, u64::MAX), usize::MAX)? {
        tx.remove(ASSIGNED, k)?;
    }
    for (k, _) in tx.list(BY_CLIENT, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), usize::MAX)? {
        tx.remove(BY_CLIENT, k)?;
    }
    for (k, _) in tx.list(UNREAD_CONVS, (0, 0), (u64::MAX, u64::MAX), usize::MAX)? {
        tx.remove(UNREAD_CONVS, k)?;
    }
    let all = tx.list(CONVERSATIONS, (0, 0), (u64::MAX, u64::MAX), usize::MAX)?;
    for ((c, _), v) in all {
        index(tx, CompanyId(c), &v)?;
    }
    Ok(())
}

/// The one write path of a message: keeps the Meta-id index.
pub fn put_message(tx: &mut WriteTx, c: CompanyId, m: &Message) -> Result<(), StorageError> {
    if let Some(w) = &m.wamid {
        tx.insert(WAMIDS, (c.0, w.as_str()), &MessageRef { conversation: m.conversation, message: m.id })?;
    }
    tx.insert(MESSAGES, (c.0, m.conversation.0, m.id.0), m)
}

/// The one write path of a notification: keeps the user's unread counter.
pub fn put_notification(
    tx: &mut WriteTx,
    c: CompanyId,
    user: UserId,
    old: Option<&Notification>,
    new: &Notification,
) -> Result<(), StorageError> {
    let (was_unread, is_unread) = (old.is_some_and(|o| !o.read), !new.read);
    if was_unread != is_unread {
        let n = tx.get(UNREAD, (c.0, user.0))?.unwrap_or(0);
        let n = if new.read { n.saturating_sub(1) } else { n + 1 };
        tx.insert(UNREAD, (c.0, user.0), &n)?;
    }
    tx.insert(NOTIFICATIONS, (c.0, user.0, new.id.0), new)
}

/// Checks the indexes and the projection against their primaries.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let mut contacts = 0u64;
    tx.range(CONVERSATIONS, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, id), conv| {
        contacts += 1;
        if tx.get(CONTACTS, (c, conv.channel.0, conv.wa_id.as_str()))? != Some(id) {
            problems.push(format!("messaging: conversation {id} of company {c} is missing from the contact index"));
        }
        Ok(true)
    })?;
    if tx.len(CONTACTS)? != contacts {
        problems.push("messaging: the contact index has rows without a conversation".into());
    }
    problems.extend(verify_inbox(tx)?);
    let mut wamids = 0u64;
    tx.range(MESSAGES, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(c, conv, id), m| {
        if let Some(w) = &m.wamid {
            wamids += 1;
            if tx.get(WAMIDS, (c, w.as_str()))? != Some(MessageRef { conversation: ConversationId(conv), message: MessageId(id) }) {
                problems.push(format!("messaging: message {id} of company {c} is missing from the Meta-id index"));
            }
        }
        Ok(true)
    })?;
    if tx.len(WAMIDS)? != wamids {
        problems.push("messaging: the Meta-id index has rows without a message".into());
    }
    let mut counted: std::collections::BTreeMap<(u64, u64), u64> = Default::default();
    tx.range(NOTIFICATIONS, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(c, u, _), n| {
        if !n.read {
            *counted.entry((c, u)).or_default() += 1;
        }
        Ok(true)
    })?;
    tx.range(UNREAD, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, u), n| {
        let want = counted.remove(&(c, u)).unwrap_or(0);
        if n != want {
            problems.push(format!("messaging: user {u} of company {c} has {n} unread notifications counted, {want} stored"));
        }
        Ok(true)
    })?;
    for ((c, u), n) in counted {
        problems.push(format!("messaging: user {u} of company {c} has {n} unread notifications and no counter"));
    }
    Ok(problems)
}

/// The inbox indexes and unread counters recomputed from the conversations.
fn verify_inbox(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (mut rows, mut clients) = (0u64, 0u64);
    let mut unread: std::collections::BTreeMap<(u64, u64), u64> = Default::default();
    tx.range(CONVERSATIONS, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, id), v| {
        rows += 1;
        let who = v.assignee.map_or(0, |u| u.0);
        let listed = tx.get(RECENT, (c, at_key(&v), id))?.is_some() && tx.get(ASSIGNED, (c, who, at_key(&v), id))?.is_some();
        let by_client = match v.client {
            Some(client) => {
                clients += 1;
                tx.get(BY_CLIENT, (c, client.0, id))?.is_some()
            }
            None => true,
        };
        if !listed || !by_client {
            problems.push(format!("messaging: conversation {id} of company {c} is missing from the inbox indexes"));
        }
        if v.unread > 0 {
            *unread.entry((c, who)).or_default() += 1;
        }
        Ok(true)
    })?;
    if tx.len(RECENT)? != rows || tx.len(ASSIGNED)? != rows || tx.len(BY_CLIENT)? != clients {
        problems.push("messaging: the inbox indexes have rows without a conversation".into());
    }
    tx.range(UNREAD_CONVS, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, who), n| {
        let want = unread.remove(&(c, who)).unwrap_or(0);
        if n != want {
            problems.push(format!("messaging: assignee {who} of company {c} has {want} unread conversations, {n} counted"));
        }
        Ok(true)
    })?;
    for ((c, who), n) in unread {
        problems.push(format!("messaging: assignee {who} of company {c} has {n} unread conversations and no counter"));
    }
    Ok(problems)
}
