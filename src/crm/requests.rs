//! The public request form (the seed's Bid, issue 17): a company's page `/r/<slug>` that
//! anyone may fill in. A request becomes a lead — a deal on the first open stage of the
//! company's default pipeline, owned by the company's owner — for the client found by the
//! normalised phone (or a new one), with a timeline row, an audit row and an in-app
//! notification to the CRM users (`RequestReceived`, wired to messaging), all in one
//! transaction.
//!
//! Isolation: the visitor names only a slug. `public_company` turns it into a company and the
//! actor requests are written as; an unknown slug, a deactivated or read-only company, a plan
//! without the CRM and a switched-off form are all the same `None`, so the answer never tells
//! them apart. Every read and write after that is keyed by that one company.

use super::deals::{self, DealDraft};
use super::model::{Deal, Event, EventKind, RequestForm};
use super::store::{self, REQUEST_FORMS};
use crate::audit;
use crate::clients::ClientDraft;
use crate::clients::store::{CLIENT_CONTACTS, CLIENTS, contact_hash};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{ClientId, CompanyId};
use crate::storage::{Read, ReadTx, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{Access, parse_name, parse_optional_text};
use crate::tenancy::perms::Perm;

/// A request arrived through the public form: `wiring` tells the company's CRM users (in-app
/// notifications); returns the live events to publish after commit.
pub type RequestReceived = fn(&mut WriteTx, CompanyId, &Deal, Ts) -> Result<Vec<(String, crate::live::Event)>>;

/// The longest message a visitor may send.
pub const MESSAGE_MAX: usize = 2000;
/// Embed origins a company may list.
const ORIGINS_MAX: usize = 10;

/// The company's form settings (defaults until first saved: switched off).
pub fn form(tx: &impl Read, c: CompanyId) -> Result<RequestForm> {
    Ok(tx.get(REQUEST_FORMS, c)?.unwrap_or_default())
}

/// The settings page's read: the CRM settings right.
pub fn settings(tx: &impl Read, actor: &Actor) -> Result<RequestForm> {
    super::require_crm(actor)?;
    actor.require(Perm::CRM_SETTINGS)?;
    form(tx, actor.company)
}

#[derive(Debug, Clone, Default)]
pub struct FormDraft {
    pub enabled: bool,
    pub ask_email: bool,
    pub ask_message: bool,
    pub intro: String,
    /// Origins separated by spaces, commas or new lines.
    pub embed_origins: String,
}

/// An origin a browser sends: `https://host[:port]` (or `http://`), no path, no wildcard.
fn parse_origin(raw: &str) -> std::result::Result<String, FieldError> {
    let s = raw.trim().trim_end_matches('/').to_lowercase();
    let bad = || FieldError::new("embed_origins", "origin", "Адрес сайта: https://site.example", "A site address: https://site.example");
    let host = s.strip_prefix("https://").or_else(|| s.strip_prefix("http://")).ok_or_else(bad)?;
    let ok = !host.is_empty()
        && host.len() <= 200
        && host.chars().all(|c| c.is_ascii_alphanumeric() || "-.:".contains(c))
        && !host.starts_with(['.', '-', ':']);
    if ok { Ok(s) } else { Err(bad()) }
}

pub fn save_settings(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &FormDraft) -> Result<RequestForm> {
    super::require_crm(actor)?;
    actor.require(Perm::CRM_SETTINGS)?;
    actor.require_writable()?;
    let mut p = Problems::default();
    let intro = p.take(parse_optional_text("intro", &d.intro, 300)).unwrap_or_default();
    let mut embed_origins = Vec::new();
    for raw in d.embed_origins.split([' ', ',', '\n', '\r']).filter(|s| !s.trim().is_empty()) {
        if let Some(o) = p.take(parse_origin(raw))
            && !embed_origins.contains(&o)
        {
            embed_origins.push(o);
        }
    }
    if embed_origins.len() > ORIGINS_MAX {
        p.push(FieldError::new("embed_origins", "too_many_origins", "Не больше 10 сайтов", "At most 10 sites"));
    }
    p.finish()?;
    let new = RequestForm { enabled: d.enabled, ask_email: d.ask_email, ask_message: d.ask_message, intro, embed_origins };
    tx.insert(REQUEST_FORMS, actor.company, &new)?;
    let state = if new.enabled { "on" } else { "off" };
    audit::record(tx, actor.company, actor, now, "crm.request_form.update", "request_form".to_string(), state.to_string())?;
    Ok(new)
}

/// The company behind a public slug, with the actor its requests are written as (the owner,
/// from the visitor's address) and its form — or `None` when the form must not answer.
pub fn public_company(tx: &ReadTx, slug: &str, now: Ts, ip: &str) -> Result<Option<(Actor, RequestForm)>> {
    let Some(c) = crate::tenancy::query::company_by_slug(tx, slug)? else {
        return Ok(None);
    };
    let company = crate::tenancy::query::company(tx, c)?;
    let form = form(tx, c)?;
    if !company.active || !form.enabled {
        return Ok(None);
    }
    let actor = match crate::auth::actor_for_user(tx, c, company.owner, now, &format!("public form {ip}")) {
        Ok(a) => a,
        Err(Error::TokenInvalid | Error::CompanyInactive) => return Ok(None),
        Err(e) => return Err(e),
    };
    if !actor.has_feature("crm") || actor.access == Access::ReadOnly {
        return Ok(None);
    }
    Ok(Some((actor, form)))
}

/// What a visitor sent; fields the form does not ask for are ignored.
#[derive(Debug, Clone, Default)]
pub struct RequestDraft {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub message: String,
}

/// What a request made: the lead and its client (found or new).
#[derive(Debug, Clone)]
pub struct Received {
    pub deal: Deal,
    pub client: ClientId,
    pub new_client: bool,
    /// Bells to ring after commit.
    pub live: Vec<(String, crate::live::Event)>,
}

/// The oldest active client of the company with this E.164 phone.
fn client_by_phone(tx: &WriteTx, c: CompanyId, phone: &str) -> Result<Option<ClientId>> {
    let h = contact_hash("p", phone);
    let mut ids = Vec::new();
    tx.range(CLIENT_CONTACTS, (c.0, h, 0), (c.0, h, u64::MAX), false, 50, |(_, _, id), _| {
        ids.push(id);
        Ok(true)
    })?;
    for id in ids {
        if let Some(cl) = tx.get(CLIENTS, (c.0, id))?
            && !cl.archived
            && cl.phone.as_deref() == Some(phone)
        {
            return Ok(Some(cl.id));
        }
    }
    Ok(None)
}

/// Records a visitor's request as a lead (see the module notes). `actor` and `form` come from
/// `public_company`; the form is re-read here so a form switched off meanwhile refuses.
pub fn submit(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &RequestDraft) -> Result<Received> {
    let c = actor.company;
    let form = form(tx, c)?;
    if !form.enabled {
        return Err(Error::NotFound);
    }
    let country = crate::tenancy::query::company(tx, c)?.country;
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 100));
    let phone = p.take(country.parse_phone("phone", &d.phone));
    let email = match form.ask_email {
        true => p.take(super::parse_email(&d.email)).flatten(),
        false => None,
    };
    let message = match form.ask_message {
        true => p.take(parse_optional_text("message", &d.message, MESSAGE_MAX)).unwrap_or_default(),
        false => String::new(),
    };
    p.finish()?;
    let (Some(name), Some(phone)) = (name, phone) else {
        return Err(Error::Internal("request parsed with problems".into()));
    };
    let (client, new_client) = match client_by_phone(tx, c, &phone)? {
        Some(id) => (id, false),
        None => {
            let draft = ClientDraft {
                kind: "client".into(),
                name: name.clone(),
                phone: phone.clone(),
                email: email.clone().unwrap_or_default(),
                ..ClientDraft::default()
            };
            (crate::clients::save_client(tx, actor, now, None, &draft)?.0.id, true)
        }
    };
    let mut notes = format!("{name}, {phone}");
    if let Some(e) = &email {
        notes.push_str(&format!(", {e}"));
    }
    if !message.is_empty() {
        notes.push_str("\n\n");
        notes.push_str(&message);
    }
    let title: String = format!("Заявка: {name}").chars().take(200).collect();
    let draft = DealDraft { title, client: Some(client.0), notes, ..DealDraft::default() };
    let deal = deals::save_deal(tx, actor, now, None, &draft)?;
    let text: String = if message.is_empty() { name.clone() } else { format!("{name}: {message}") }.chars().take(300).collect();
    store::add_event(
        tx,
        c,
        client,
        now,
        &Event { kind: EventKind::Request, user: actor.user, deal: Some(deal.id), task: None, contact: None, text },
    )?;
    audit::record(tx, c, actor, now, "crm.request.create", format!("deal:{}", deal.id), actor.ip.clone())?;
    let mut live = Vec::new();
    for hook in tx.hooks().of::<RequestReceived>().collect::<Vec<_>>() {
        live.extend(hook(tx, c, &deal, now)?);
    }
    Ok(Received { deal, client, new_client, live })
}

#[cfg(test)]
mod tests {
    use super::parse_origin;

    #[test]
    fn origins_are_scheme_and_host_only() {
        assert_eq!(parse_origin(" https://Shop.example/ ").as_deref(), Ok("https://shop.example"));
        assert_eq!(parse_origin("http://localhost:8080").as_deref(), Ok("http://localhost:8080"));
        for bad in ["shop.example", "https://", "https://a.example/path", "javascript:alert(1)", "https://*.example", "https://a b"] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
