//! The in-app notification centre: per-user notifications with an unread counter, and
//! `notify`, the one call other domains use (through `wiring`) to tell a user, or everyone
//! holding a right, that something needs them.

use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{CompanyId, NotificationId, UserId};
use crate::live::Event;
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::SystemRole;
use crate::tenancy::perms::Perm;

use super::Live;
use super::model::Notification;
use super::store::{NOTIFICATIONS, UNREAD, put_notification};

/// Who a notification is for.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    User(UserId),
    /// Every active user holding the right (owners and admins hold every right).
    Perm(Perm),
}

/// The live topic of a user's bell.
pub fn topic(user: UserId) -> String {
    format!("notify:{user}")
}

/// Active users of the company who hold `perm`.
pub fn users_with(tx: &impl Read, c: CompanyId, perm: Perm) -> Result<Vec<UserId>> {
    let roles = crate::tenancy::store::roles(tx, c)?;
    Ok(crate::tenancy::store::users(tx, c)?
        .into_iter()
        .filter(|u| u.active)
        .filter(|u| match u.role {
            SystemRole::Owner | SystemRole::Admin => true,
            SystemRole::Staff => u.custom_role.is_some_and(|r| roles.iter().any(|x| x.id == r && x.perms.has(perm))),
        })
        .map(|u| u.id)
        .collect())
}

/// Adds a notification for each user `to` names who has not muted its event (their
/// preferences); returns the bells to ring after commit.
pub fn notify(tx: &mut WriteTx, c: CompanyId, to: Target, kind: &str, text: &str, link: &str, now: Ts) -> Result<Vec<Live>> {
    let users = match to {
        Target::User(u) => vec![u],
        Target::Perm(p) => users_with(tx, c, p)?,
    };
    let text: String = text.chars().take(300).collect();
    let mut live = Vec::new();
    // The event a user's preferences name: `inbox` for the inbox's own, the trigger for a rule's.
    let event = if kind.starts_with("inbox") { "inbox" } else { kind.strip_prefix("rule:").unwrap_or(kind) };
    for u in users {
        if super::rules::prefs(tx, c, u)?.muted.iter().any(|e| e == event) {
            continue;
        }
        let n = Notification {
            id: NotificationId(tx.next_id()?),
            kind: kind.into(),
            text: text.clone(),
            link: link.into(),
            read: false,
            at: now,
        };
        put_notification(tx, c, u, None, &n)?;
        live.push((topic(u), Event::new("notification", unread(tx, c, u)?.to_string())));
    }
    Ok(live)
}

pub fn unread(tx: &impl Read, c: CompanyId, user: UserId) -> Result<u64> {
    Ok(tx.get(UNREAD, (c.0, user.0))?.unwrap_or(0))
}

/// The actor's newest `limit` notifications, newest first.
pub fn list(tx: &impl Read, actor: &Actor, limit: usize) -> Result<Vec<Notification>> {
    let (c, u) = (actor.company.0, actor.user.0);
    let mut out = Vec::new();
    tx.range(NOTIFICATIONS, (c, u, 0), (c, u, u64::MAX), true, limit, |_, n| {
        out.push(n);
        Ok(true)
    })?;
    Ok(out)
}

/// Marks one of the actor's notifications read (another user's is not found).
pub fn mark_read(tx: &mut WriteTx, actor: &Actor, id: NotificationId) -> Result<Vec<Live>> {
    let (c, u) = (actor.company, actor.user);
    let old = tx.get(NOTIFICATIONS, (c.0, u.0, id.0))?.ok_or(Error::NotFound)?;
    if !old.read {
        put_notification(tx, c, u, Some(&old), &Notification { read: true, ..old.clone() })?;
    }
    Ok(vec![(topic(u), Event::new("notification", unread(tx, c, u)?.to_string()))])
}

/// Marks every notification of the actor read.
pub fn mark_all_read(tx: &mut WriteTx, actor: &Actor) -> Result<Vec<Live>> {
    let (c, u) = (actor.company, actor.user);
    let unread_rows: Vec<Notification> =
        tx.list(NOTIFICATIONS, (c.0, u.0, 0), (c.0, u.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, n)| n).filter(|n| !n.read).collect();
    for n in unread_rows {
        put_notification(tx, c, u, Some(&n), &Notification { read: true, ..n.clone() })?;
    }
    Ok(vec![(topic(u), Event::new("notification", "0"))])
}
