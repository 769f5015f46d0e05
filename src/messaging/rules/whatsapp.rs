//! WhatsApp templates to staff (issue 16): the third channel of a user's notification
//! preferences, beside the bell and e-mail. A company chooses one of its WhatsApp channels and
//! one approved template for staff notifications (`StaffWhatsApp`, table
//! `company_staffwhatsapp`); a user who asked for an event by WhatsApp (`WaPrefs`, table
//! `company_user_notifywhatsapp`, beside the unchanged `Prefs`) and has a phone gets it as
//! that template through the inbox's own send path: the user's conversation on the channel
//! (found by phone, created when missing), a queued template message with its outbox job,
//! the delivery state and Meta's errors in that conversation — the send's log.
//!
//! The template's variables are filled in order from: 1 — the notification text, 2 — its
//! subject, 3 — the page it links to; each on one line (WhatsApp refuses new lines and tabs
//! in variables) and at most 200 characters. A template with more variables is refused on save.

use serde::{Deserialize, Serialize};

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{ChannelId, CompanyId, MessageId, TemplateId, UserId};
use crate::messaging::Kind;
use crate::messaging::store::{CHANNELS, TEMPLATES};
use crate::storage::{Read, Record, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::User;

use super::Live;
use super::store::{STAFF_WA, WA_PREFS};

/// Variables a staff template may have: the text, the subject, the link.
pub const MAX_VARS: u8 = 3;

/// The company's choice for staff notifications by WhatsApp.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffWhatsApp {
    pub channel: ChannelId,
    pub template: TemplateId,
    pub updated: Ts,
}

impl Record for StaffWhatsApp {
    const TYPE: &'static str = "messaging_staffwhatsapp.v1";
}

/// The events a user wants by WhatsApp template (absent: none).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WaPrefs {
    pub events: Vec<String>,
}

impl Record for WaPrefs {
    const TYPE: &'static str = "messaging_notifywhatsapp.v1";
}

pub fn settings(tx: &impl Read, c: CompanyId) -> Result<Option<StaffWhatsApp>> {
    Ok(tx.get(STAFF_WA, c.0)?)
}

/// The events `user` wants by WhatsApp.
pub fn wanted(tx: &impl Read, c: CompanyId, user: UserId) -> Result<Vec<String>> {
    Ok(tx.get(WA_PREFS, (c.0, user.0))?.unwrap_or_default().events)
}

/// Whether `user` has a phone a staff template can go to.
pub fn reachable(tx: &impl Read, c: CompanyId, user: UserId) -> Result<bool> {
    Ok(crate::tenancy::store::users(tx, c)?.into_iter().any(|x| x.id == user && !x.phone.is_empty()))
}

/// Stores a user's WhatsApp events (already checked by the caller); none removes the row.
pub(super) fn put_wanted(tx: &mut WriteTx, c: CompanyId, user: UserId, events: Vec<String>) -> Result<()> {
    if events.is_empty() {
        tx.remove(WA_PREFS, (c.0, user.0))?;
    } else {
        tx.insert(WA_PREFS, (c.0, user.0), &WaPrefs { events })?;
    }
    Ok(())
}

/// Chooses the channel and template for staff notifications (both None: switched off); the
/// rules right. The channel must be one of the company's active WhatsApp channels, the template
/// one of its active templates with at most `MAX_VARS` variables.
pub fn save(tx: &mut WriteTx, actor: &Actor, now: Ts, channel: Option<u64>, template: Option<u64>) -> Result<Option<StaffWhatsApp>> {
    super::require_admin(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    if channel.is_none() && template.is_none() {
        tx.remove(STAFF_WA, c.0)?;
        audit::record(tx, c, actor, now, "notify.staff_whatsapp.save", "notify:staff_whatsapp".into(), "off".into())?;
        return Ok(None);
    }
    let mut p = Problems::default();
    let ch = match channel {
        Some(id) => tx.get(CHANNELS, (c.0, id))?.filter(|ch| ch.active),
        None => None,
    };
    match &ch {
        Some(ch) if crate::messaging::channel_kind(tx, c, ch.id)? == Kind::WhatsApp => {}
        _ => p.push(FieldError::new("channel", "invalid", "Выберите включённый канал WhatsApp", "Choose an active WhatsApp channel")),
    }
    let t = match template {
        Some(id) => tx.get(TEMPLATES, (c.0, id))?.filter(|t| t.active),
        None => None,
    };
    match &t {
        None => p.push(FieldError::new("template", "invalid", "Выберите включённый шаблон", "Choose an active template")),
        Some(t) if t.params > MAX_VARS => p.push(FieldError::new(
            "template",
            "template_params",
            "В шаблоне для сотрудников не больше 3 переменных: текст, тема, ссылка",
            "A staff template has at most 3 variables: the text, the subject, the link",
        )),
        Some(_) => {}
    }
    p.finish()?;
    let (Some(ch), Some(t)) = (ch, t) else {
        return Err(Error::Internal("checked above".into()));
    };
    let s = StaffWhatsApp { channel: ch.id, template: t.id, updated: now };
    tx.insert(STAFF_WA, c.0, &s)?;
    audit::record(tx, c, actor, now, "notify.staff_whatsapp.save", "notify:staff_whatsapp".into(), format!("{} / {}", ch.name, t.name))?;
    Ok(Some(s))
}

/// One line of at most 200 characters, control characters as spaces and no runs of spaces:
/// what WhatsApp takes as a template variable (other spaces, as in amounts, are kept).
fn variable(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars().map(|ch| if ch.is_control() { ' ' } else { ch }) {
        if ch == ' ' && (out.is_empty() || out.ends_with(' ')) {
            continue;
        }
        out.push(ch);
    }
    out.trim_end().chars().take(200).collect()
}

/// Queues the company's staff template to `user`: Ok(Ok(message)) when queued, Ok(Err(why))
/// when it cannot be (nothing written then).
#[allow(clippy::too_many_arguments)]
pub(super) fn send(
    tx: &mut WriteTx,
    c: CompanyId,
    user: &User,
    subject: &str,
    text: &str,
    link: &str,
    now: Ts,
    live: &mut Vec<Live>,
) -> Result<std::result::Result<MessageId, String>> {
    let Some(s) = settings(tx, c)? else {
        return Ok(Err("no staff template chosen".into()));
    };
    let wa_id: String = user.phone.chars().filter(char::is_ascii_digit).collect();
    if wa_id.is_empty() {
        return Ok(Err("no phone".into()));
    }
    match tx.get(CHANNELS, (c.0, s.channel.0))? {
        Some(ch) if ch.active && crate::messaging::channel_kind(tx, c, ch.id)? == Kind::WhatsApp => {}
        _ => return Ok(Err("the WhatsApp channel is off or deleted".into())),
    }
    let t = match tx.get(TEMPLATES, (c.0, s.template.0))? {
        Some(t) if t.active && t.params <= MAX_VARS => t,
        _ => return Ok(Err("the template is off or deleted".into())),
    };
    let Ok(actor) = super::system_actor(tx, c) else {
        return Ok(Err("no owner to send as".into()));
    };
    let params: Vec<String> = [text, subject, link].iter().take(usize::from(t.params)).map(|v| variable(v)).collect();
    let conv = crate::messaging::inbox::conversation_with(tx, c, s.channel, &wa_id, &user.name, now)?;
    match crate::messaging::inbox::send_template(tx, &actor, now, conv, t.id, &params) {
        Ok((m, l)) => {
            live.extend(l);
            Ok(Ok(m.id))
        }
        Err(e) => Ok(Err(e.message(crate::i18n::Lang::En))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_variable_is_one_bounded_line() {
        assert_eq!(super::variable("Смена 12\nзакрыта\t с недостачей"), "Смена 12 закрыта с недостачей");
        assert_eq!(super::variable("150,00\u{a0}сом "), "150,00\u{a0}сом", "a no-break space in an amount stays");
        assert_eq!(super::variable(&"я".repeat(300)).chars().count(), 200);
        assert_eq!(super::variable("  "), "");
    }
}
