//! CRM (spec A12, issue 17): contacts at client companies, pipelines with ordered stages,
//! deals on a kanban board with a forecast (`deals`), tasks and activities with reminders
//! (`tasks`), and the client timeline merged from the CRM's own events and the clients' and
//! tills' existing indexes (`timeline`), the public request form that turns a visitor's
//! request into a lead (`requests`), client reviews (`reviews`), and documents made from
//! company-editable templates (`docs`, sandboxed by `templating`), and files attached to a
//! client's card (`attachments`).
//!
//! Rights: the plan feature `crm`, then `crm_deals` (own deals), `crm_all_deals` (everyone's),
//! `crm_tasks`, `crm_settings` (pipelines). A salesperson without `crm_all_deals` sees and
//! moves only the deals they own.
//!
//! Invariants (verified by `store::verify`, hence `dukan check`): every deal's stage is on its
//! pipeline; the board, owner-board and client indexes hold exactly one key per deal at its
//! current (pipeline, stage, updated, owner); the stage totals are what the deals add up to;
//! the open-task indexes hold exactly the tasks that are not done; every timeline row names
//! an existing client. Every change writes its audit row and, for a client, its timeline row
//! in the same transaction.

// Files attached to a client's card (issue 17, attachments).
pub mod attachments;
// The calendar: resources and events (issue 17, calendar).
pub mod calendar;
pub mod deals;
pub mod docs;
pub mod model;
pub mod orders;
pub mod requests;
pub mod reviews;
pub mod store;
pub mod tasks;
pub mod templating;
pub mod timeline;

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{ClientId, CompanyId, ContactId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{parse_name, parse_optional_text};
use crate::tenancy::perms::Perm;
use model::{Contact, Event, EventKind};
use store::{CLIENT_CONTACTS, CONTACTS};

/// Any CRM use: the plan feature and one of the CRM rights.
pub fn require_crm(actor: &Actor) -> Result<()> {
    actor.require_feature("crm")?;
    if [Perm::CRM_DEALS, Perm::CRM_ALL_DEALS, Perm::CRM_TASKS, Perm::CRM_SETTINGS].into_iter().any(|p| actor.can(p)) {
        Ok(())
    } else {
        Err(Error::Forbidden { permission: "crm_deals" })
    }
}

/// Contacts are read and edited by whoever works deals or clients.
fn require_contacts(actor: &Actor) -> Result<()> {
    actor.require_feature("crm")?;
    if [Perm::CRM_DEALS, Perm::CRM_ALL_DEALS, Perm::CRM_TASKS, Perm::CLIENTS].into_iter().any(|p| actor.can(p)) {
        Ok(())
    } else {
        Err(Error::Forbidden { permission: "crm_deals" })
    }
}

/// A client of the actor's company; another company's is "not found".
pub fn client_of(tx: &impl Read, actor: &Actor, id: ClientId) -> Result<crate::clients::model::Client> {
    tx.get(crate::clients::store::CLIENTS, (actor.company.0, id.0))?.ok_or(Error::NotFound)
}

/// The deal and client an activity (a task, a calendar event) links to: a deal the actor may
/// see, and a client of the company — the deal's when none is given. Unknown ones are field
/// problems.
fn links(
    tx: &impl Read,
    actor: &Actor,
    p: &mut Problems,
    deal: Option<u64>,
    client: Option<u64>,
) -> Result<(Option<crate::ids::CrmDealId>, Option<ClientId>)> {
    let deal = match deal {
        Some(id) => match tx.get(store::DEALS, (actor.company, crate::ids::CrmDealId(id)))? {
            Some(deal) if deals::sees_all(actor) || deal.owner == actor.user => Some(deal),
            _ => {
                p.push(FieldError::new("deal", "unknown_deal", "Нет такой сделки", "No such deal"));
                None
            }
        },
        None => None,
    };
    let client = match client {
        Some(cl) => match client_of(tx, actor, ClientId(cl)) {
            Ok(x) => Some(x.id),
            Err(Error::NotFound) => {
                p.push(FieldError::new("client", "unknown_client", "Нет такого клиента", "No such client"));
                None
            }
            Err(e) => return Err(e),
        },
        None => deal.as_ref().and_then(|x| x.client),
    };
    Ok((deal.map(|x| x.id), client))
}

fn country(tx: &impl Read, c: CompanyId) -> Result<crate::country::Country> {
    Ok(crate::tenancy::query::company(tx, c)?.country)
}

#[derive(Debug, Clone, Default)]
pub struct ContactDraft {
    pub name: String,
    pub position: String,
    /// Phones separated by commas or new lines.
    pub phones: Vec<String>,
    pub email: String,
    pub notes: String,
}

impl ContactDraft {
    pub fn of(c: &Contact) -> ContactDraft {
        ContactDraft {
            name: c.name.clone(),
            position: c.position.clone(),
            phones: c.phones.clone(),
            email: c.email.clone().unwrap_or_default(),
            notes: c.notes.clone(),
        }
    }
}

/// A lower-cased e-mail with a user, a dot in the host and nothing invisible.
pub fn parse_email(raw: &str) -> std::result::Result<Option<String>, FieldError> {
    let s = raw.trim().to_lowercase();
    if s.is_empty() {
        return Ok(None);
    }
    crate::tenancy::model::refuse_invisible("email", &s)?;
    let ok = s.len() <= 200
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.') && !host.contains('@')
        });
    if ok { Ok(Some(s)) } else { Err(FieldError::new("email", "email", "Неверный e-mail", "Invalid e-mail")) }
}

/// The contacts of a client, in creation order.
pub fn contacts(tx: &impl Read, actor: &Actor, client: ClientId) -> Result<Vec<Contact>> {
    require_contacts(actor)?;
    client_of(tx, actor, client)?;
    let c = actor.company;
    let mut out = Vec::new();
    for ((_, _, id), _) in tx.list(CLIENT_CONTACTS, (c, client, ContactId::MIN), (c, client, ContactId::MAX), 500)? {
        if let Some(k) = tx.get(CONTACTS, (c, id))? {
            out.push(k);
        }
    }
    Ok(out)
}

pub fn contact(tx: &impl Read, actor: &Actor, id: ContactId) -> Result<Contact> {
    require_contacts(actor)?;
    tx.get(CONTACTS, (actor.company, id))?.ok_or(Error::NotFound)
}

/// A contact draft checked: the name, the position, the phones in E.164 for `country` (at
/// most five, repeats dropped), the lower-cased e-mail, the notes.
#[derive(Debug, Clone)]
pub struct ParsedContact {
    pub name: String,
    pub position: String,
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub notes: String,
}

/// The contact form's rules (the import checks its rows with them too); every problem at once.
pub fn parse_contact(country: crate::country::Country, d: &ContactDraft) -> Result<ParsedContact> {
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 200));
    let position = p.take(parse_optional_text("position", &d.position, 200)).unwrap_or_default();
    let mut phones = Vec::new();
    for raw in d.phones.iter().flat_map(|s| s.split([',', '\n'])).map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(ph) = p.take(country.parse_phone("phones", raw))
            && !phones.contains(&ph)
        {
            phones.push(ph);
        }
    }
    if phones.len() > 5 {
        p.push(FieldError::new("phones", "too_many_phones", "Не больше 5 телефонов", "At most 5 phones"));
    }
    let email = p.take(parse_email(&d.email));
    let notes = p.take(parse_optional_text("notes", &d.notes, 2000)).unwrap_or_default();
    p.finish()?;
    let (Some(name), Some(email)) = (name, email) else {
        return Err(Error::Internal("contact draft parsed with problems".into()));
    };
    Ok(ParsedContact { name, position, phones, email, notes })
}

/// Creates a contact of `client` (`id` = None) or edits one.
pub fn save_contact(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    client: Option<ClientId>,
    id: Option<ContactId>,
    d: &ContactDraft,
) -> Result<Contact> {
    require_contacts(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) => Some(tx.get(CONTACTS, (c, id))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let client = match (&old, client) {
        (Some(o), _) => o.client,
        (None, Some(cl)) => client_of(tx, actor, cl)?.id,
        (None, None) => return Err(Error::NotFound),
    };
    let f = parse_contact(country(tx, c)?, d)?;
    let new = Contact {
        id: match id {
            Some(id) => id,
            None => ContactId(tx.next_id()?),
        },
        client,
        name: f.name,
        position: f.position,
        phones: f.phones,
        email: f.email,
        notes: f.notes,
        created: old.as_ref().map_or(now, |o| o.created),
        created_by: old.as_ref().map_or(actor.user, |o| o.created_by),
    };
    store::put_contact(tx, c, old.as_ref(), &new)?;
    let kind = if old.is_some() { EventKind::ContactEdited } else { EventKind::ContactAdded };
    let text = if new.position.is_empty() { new.name.clone() } else { format!("{} ({})", new.name, new.position) };
    store::add_event(tx, c, client, now, &Event { kind, user: actor.user, deal: None, task: None, contact: Some(new.id), text })?;
    audit::record(
        tx,
        c,
        actor,
        now,
        if old.is_some() { "crm.contact.update" } else { "crm.contact.create" },
        format!("contact:{}", new.id),
        new.name.clone(),
    )?;
    Ok(new)
}

/// Removes a contact; its timeline rows stay (they are history). Deals naming it keep the id
/// and show no contact.
pub fn delete_contact(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ContactId) -> Result<()> {
    require_contacts(actor)?;
    actor.require_writable()?;
    let old = tx.get(CONTACTS, (actor.company, id))?.ok_or(Error::NotFound)?;
    store::delete_contact(tx, actor.company, &old)?;
    audit::record(tx, actor.company, actor, now, "crm.contact.delete", format!("contact:{id}"), old.name)?;
    Ok(())
}
