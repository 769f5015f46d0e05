//! Label scales and their PLU list (issue 15): a label scale is reached through a local agent
//! (the seed's WebSocket protocol, spec A13) or natively over Mertech's TCP protocol
//! (`mertech`). Each holds a rotatable token (stored as SHA-256, shown once) and a sync state:
//! the PLU list version it holds, the sync running now with its progress, the last sync and
//! the last error. Every batch the scale answered is stored (`LabelBatch`: accepted or
//! rejected per PLU, with the scale's message).
//!
//! Invariants:
//! - the company's PLU list has a version (`LABEL_VERSION`) raised by every change of a
//!   weighed product a label shows (name, price, PLU, barcodes, archived); a scale whose held
//!   version is below it is out of date, and a `LabelSync` outbox job is queued for it at most
//!   once at a time (`SyncState::queued`);
//! - what a scale holds (`LABEL_HOLDS`) only grows during a sync; a completed sync drops the
//!   PLUs it did not send again. `catalog::store::PLU_HELD` is the union over the company's
//!   scales, so a PLU is never given to another product while any scale holds it;
//! - a sync, its batches and the holds they change are written one batch per transaction: a
//!   restart resumes from the stored state and the outbox job, never from memory.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use super::store::{LABEL_BATCHES, LABEL_HOLDS, LABEL_SCALES, LABEL_VERSION};
use super::{Link, Reach, manager, parse_link};
use crate::audit;
use crate::catalog::model::Product;
use crate::catalog::store::{PLUS, PRODUCTS, set_plu_held};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, LabelScaleId, ProductId};
use crate::storage::outbox::{self, JobKind};
use crate::storage::{Read, ReadTx, Record, StorageError, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_name;

/// PLUs sent in one batch (one agent message or one Mertech command).
pub const BATCH: usize = 100;

/// How the box reaches a label scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum LabelLink {
    /// A local agent connects to us with the token and receives `plu_batch` messages.
    Agent,
    /// Mertech's TCP protocol straight to the scale (`mertech`), with its 4-byte password.
    Mertech { host: String, port: u16, password: [u8; 4] },
}

impl LabelLink {
    pub fn kind(&self) -> &'static str {
        match self {
            LabelLink::Agent => "agent",
            LabelLink::Mertech { .. } => "mertech",
        }
    }

    pub fn address(&self) -> String {
        match self {
            LabelLink::Agent => String::new(),
            LabelLink::Mertech { host, port, .. } => format!("{host}:{port}"),
        }
    }
}

/// A sync under way: which list version it sends and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    pub sync: u64,
    pub version: u64,
    pub total: u32,
    pub done: u32,
    pub accepted: u32,
    pub rejected: u32,
    pub started: Ts,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// The PLU list version the scale holds (0: never synced).
    pub held_version: u64,
    /// A `LabelSync` job is queued and not yet taken by the worker.
    pub queued: bool,
    pub running: Option<Running>,
    /// The last complete sync: when, and how many PLUs were accepted and rejected.
    pub last_sync: Option<Ts>,
    pub last_accepted: u32,
    pub last_rejected: u32,
    /// Why the last attempt failed (a fixed vocabulary), cleared by a complete sync.
    pub last_error: Option<String>,
    /// When the agent last connected or the scale last answered.
    pub last_seen: Option<Ts>,
    /// The agent's own name and address, as it said in `hello`.
    pub agent: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabelScale {
    pub id: LabelScaleId,
    pub name: String,
    pub link: LabelLink,
    /// SHA-256 of the token (`auth::hash_token`); the token itself is shown once.
    pub token_hash: [u8; 32],
    pub active: bool,
    pub sync: SyncState,
}

impl Record for LabelScale {
    const TYPE: &'static str = "labelscale.v1";
}

/// One PLU as a label scale receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluItem {
    pub plu: u32,
    pub product: ProductId,
    /// The product's internal code.
    pub code: String,
    pub name: String,
    /// Price per kg.
    pub price: Decimal,
    pub barcode: Option<String>,
    pub shelf_life_days: u32,
}

/// The scale's answer for one PLU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub plu: u32,
    pub accepted: bool,
    /// The scale's (or agent's) message, verbatim and bounded.
    pub message: String,
}

/// A stored batch result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabelBatch {
    pub sync: u64,
    pub version: u64,
    pub at: Ts,
    pub items: Vec<BatchItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchItem {
    pub plu: u32,
    pub product: ProductId,
    pub name: String,
    pub accepted: bool,
    pub message: String,
}

impl Record for LabelBatch {
    const TYPE: &'static str = "labelbatch.v1";
}

/// A PLU a scale holds: for which product, since which sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    pub product: ProductId,
    pub sync: u64,
}

impl Record for Hold {
    const TYPE: &'static str = "plu_hold.v1";
}

/// The label scale form as typed.
#[derive(Debug, Clone, Default)]
pub struct LabelScaleDraft {
    pub name: String,
    /// "agent" or "mertech".
    pub link: String,
    /// host:port of a Mertech scale.
    pub address: String,
    /// The Mertech password: 4 characters (default "0030").
    pub password: String,
    pub active: bool,
}

/// A token names its company and scale, so the agent's request finds the row without a
/// box-wide index; the secret part is compared by hash in constant time.
fn new_token(c: CompanyId, id: LabelScaleId) -> (String, [u8; 32]) {
    let (secret, _) = crate::auth::random_token();
    let token = format!("ls.{}.{}.{}", c.0, id.0, secret);
    let hash = crate::auth::hash_token(&token);
    (token, hash)
}

fn parse_password(p: &mut Problems, raw: &str) -> [u8; 4] {
    let raw = if raw.trim().is_empty() { "0030" } else { raw.trim() };
    match <[u8; 4]>::try_from(raw.as_bytes()) {
        Ok(b) if raw.is_ascii() => b,
        _ => {
            p.push(FieldError::new(
                "password",
                "label_scale_password",
                "Пароль весов — 4 символа, обычно 0030",
                "The scale's password is 4 characters, usually 0030",
            ));
            [0; 4]
        }
    }
}

/// Adds or edits a label scale. A new one gets a token (returned once) and is out of date.
pub fn save(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: Option<LabelScaleId>,
    d: &LabelScaleDraft,
    reach: &Reach,
) -> Result<(LabelScale, Option<String>)> {
    manager(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) => Some(tx.get(LABEL_SCALES, (c, id))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 100));
    let link = match d.link.trim() {
        "agent" => Some(LabelLink::Agent),
        "mertech" => {
            let password = parse_password(&mut p, &d.password);
            match parse_link(&mut p, "tcp", &d.address, "", None, reach) {
                Some(Link::Tcp { host, port }) => Some(LabelLink::Mertech { host, port, password }),
                _ => None,
            }
        }
        _ => {
            p.push(FieldError::new(
                "link",
                "label_scale_link",
                "Выберите подключение: агент или Mertech по сети",
                "Choose a connection: agent or Mertech over the network",
            ));
            None
        }
    };
    p.finish()?;
    let (Some(name), Some(link)) = (name, link) else {
        return Err(Error::Internal("label scale draft parsed without values".into()));
    };
    let (scale, token) = match old {
        Some(mut s) => {
            if s.link != link {
                // Another address (or a scale swapped for another) holds nothing we sent: the
                // whole list goes again. PLUs the old scale held stay held (it may still
                // have them) until it is deleted.
                s.sync.held_version = 0;
            }
            s.name = name;
            s.link = link;
            s.active = d.active;
            (s, None)
        }
        None => {
            let sid = LabelScaleId(tx.next_id()?);
            let (token, token_hash) = new_token(c, sid);
            let s = LabelScale { id: sid, name, link, token_hash, active: d.active, sync: SyncState::default() };
            (s, Some(token))
        }
    };
    tx.insert(LABEL_SCALES, (c, scale.id), &scale)?;
    audit::record(tx, c, actor, now, "label_scale.save", format!("label_scale:{}", scale.id), scale.name.clone())?;
    let scale = queue(tx, c, scale.id, now)?.unwrap_or(scale);
    Ok((scale, token))
}

/// Replaces the scale's token; the old one stops working at once. Returns the new token.
pub fn rotate_token(tx: &mut WriteTx, actor: &Actor, now: Ts, id: LabelScaleId) -> Result<String> {
    manager(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let mut s = tx.get(LABEL_SCALES, (c, id))?.ok_or(Error::NotFound)?;
    let (token, hash) = new_token(c, id);
    s.token_hash = hash;
    tx.insert(LABEL_SCALES, (c, id), &s)?;
    audit::record(tx, c, actor, now, "label_scale.rotate_token", format!("label_scale:{id}"), s.name)?;
    Ok(token)
}

/// Removes a label scale with its results; the PLUs only it held become free again.
pub fn delete(tx: &mut WriteTx, actor: &Actor, now: Ts, id: LabelScaleId) -> Result<()> {
    manager(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let s = tx.get(LABEL_SCALES, (c, id))?.ok_or(Error::NotFound)?;
    tx.remove(LABEL_SCALES, (c, id))?;
    for (key, _) in tx.list(LABEL_BATCHES, (c, id, 0), (c, id, u64::MAX), usize::MAX)? {
        tx.remove(LABEL_BATCHES, key)?;
    }
    for ((_, _, plu), _) in tx.list(LABEL_HOLDS, (c, id, 0), (c, id, u64::MAX), usize::MAX)? {
        tx.remove(LABEL_HOLDS, (c, id, plu))?;
        refresh_held(tx, c, plu as u32)?;
    }
    audit::record(tx, c, actor, now, "label_scale.delete", format!("label_scale:{id}"), s.name)?;
    Ok(())
}

/// "Sync now": queues a sync of the whole list, even when the scale is up to date.
pub fn request_sync(tx: &mut WriteTx, actor: &Actor, now: Ts, id: LabelScaleId) -> Result<LabelScale> {
    manager(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let mut s = tx.get(LABEL_SCALES, (c, id))?.ok_or(Error::NotFound)?;
    if !s.active {
        return Err(Error::refused("label_scale_inactive", "Весы отключены", "The scale is switched off"));
    }
    // Forget the held version, so the worker (or the agent's connection) sends everything.
    s.sync.held_version = 0;
    tx.insert(LABEL_SCALES, (c, id), &s)?;
    audit::record(tx, c, actor, now, "label_scale.sync", format!("label_scale:{id}"), s.name.clone())?;
    if s.sync.queued {
        // A job is already waiting, perhaps backing off after the scale was unreachable: the
        // person asking now expects an attempt now, not after the backoff.
        outbox::hurry(tx, c.0, &JobKind::LabelSync { scale: id.0 }, now.0)?;
    }
    Ok(queue(tx, c, id, now)?.unwrap_or(s))
}

/// Queues a `LabelSync` job for an active scale unless one is queued already.
fn queue(tx: &mut WriteTx, c: CompanyId, id: LabelScaleId, now: Ts) -> std::result::Result<Option<LabelScale>, StorageError> {
    let Some(mut s) = tx.get(LABEL_SCALES, (c, id))? else { return Ok(None) };
    if !s.active || s.sync.queued {
        return Ok(Some(s));
    }
    s.sync.queued = true;
    tx.insert(LABEL_SCALES, (c, id), &s)?;
    outbox::push(tx, c.0, JobKind::LabelSync { scale: id.0 }, now.0)?;
    Ok(Some(s))
}

/// The company's PLU list version.
pub fn version(tx: &impl Read, c: CompanyId) -> Result<u64> {
    Ok(tx.get(LABEL_VERSION, c)?.unwrap_or(0))
}

/// Whether a product change is one a label shows.
fn shown_changed(old: Option<&Product>, new: &Product) -> bool {
    let was = old.is_some_and(|o| o.weighed && o.plu.is_some() && !o.archived);
    let is = new.weighed && new.plu.is_some() && !new.archived;
    match old {
        None => is,
        Some(o) => {
            (was || is)
                && (was != is
                    || o.name != new.name
                    || o.price != new.price
                    || o.plu != new.plu
                    || o.barcodes != new.barcodes
                    || o.code != new.code)
        }
    }
}

/// Catalogue's `ProductChanged` reaction (registered in `wiring`): a change a label shows
/// raises the list version and queues a sync of every active label scale of the company.
pub fn product_changed(tx: &mut WriteTx, c: CompanyId, old: Option<&Product>, new: &Product) -> std::result::Result<(), StorageError> {
    if !shown_changed(old, new) {
        return Ok(());
    }
    let next = tx.get(LABEL_VERSION, c)?.unwrap_or(0) + 1;
    tx.insert(LABEL_VERSION, c, &next)?;
    let scales = tx.list(LABEL_SCALES, (c, LabelScaleId::MIN), (c, LabelScaleId::MAX), usize::MAX)?;
    for (_, s) in scales {
        if s.active && !s.sync.queued {
            queue(tx, c, s.id, new.updated)?;
        }
    }
    Ok(())
}

/// The company's PLU list as label scales receive it: weighed, live goods with a PLU, by PLU.
pub fn plu_list(tx: &impl Read, c: CompanyId) -> Result<Vec<PluItem>> {
    let mut out = Vec::new();
    let mut ids = Vec::new();
    tx.range(PLUS, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |(_, plu), product| {
        ids.push((plu, product));
        Ok(true)
    })?;
    for (plu, product) in ids {
        let Some(p) = tx.get(PRODUCTS, (c.0, product))? else { continue };
        if !p.weighed || p.archived {
            continue;
        }
        out.push(PluItem {
            plu: plu as u32,
            product: p.id,
            code: p.code,
            name: p.name,
            price: p.price,
            barcode: p.barcodes.first().cloned(),
            shelf_life_days: 0,
        });
    }
    Ok(out)
}

/// What one sync sends.
#[derive(Debug, Clone)]
pub struct Plan {
    pub company: CompanyId,
    pub scale: LabelScale,
    pub sync: u64,
    pub version: u64,
    pub items: Vec<PluItem>,
}

/// Starts a sync of `id` when it is active and out of date (or `force`): the running state
/// is stored and the queued flag cleared. `None` when there is nothing to send.
pub fn begin(tx: &mut WriteTx, c: CompanyId, id: LabelScaleId, now: Ts, force: bool) -> Result<Option<Plan>> {
    let Some(mut s) = tx.get(LABEL_SCALES, (c, id))? else { return Ok(None) };
    s.sync.queued = false;
    let version = version(tx, c)?;
    if !s.active || (!force && s.sync.held_version >= version.max(1)) {
        s.sync.running = None;
        tx.insert(LABEL_SCALES, (c, id), &s)?;
        return Ok(None);
    }
    let items = plu_list(tx, c)?;
    let sync = tx.next_id()?;
    s.sync.running = Some(Running { sync, version, total: items.len() as u32, done: 0, accepted: 0, rejected: 0, started: now });
    tx.insert(LABEL_SCALES, (c, id), &s)?;
    Ok(Some(Plan { company: c, scale: s, sync, version, items }))
}

/// Bounds a scale's message before it is stored.
fn bounded(message: &str) -> String {
    message.chars().filter(|ch| !ch.is_control()).take(200).collect()
}

/// Stores one answered batch: a result per PLU sent (a PLU the scale did not mention is
/// rejected as "no answer"), the holds of the accepted ones, the progress. Returns the
/// scale as stored.
pub fn record_batch(
    tx: &mut WriteTx,
    c: CompanyId,
    id: LabelScaleId,
    sync: u64,
    now: Ts,
    sent: &[PluItem],
    results: &[ItemResult],
) -> Result<LabelScale> {
    let mut s = tx.get(LABEL_SCALES, (c, id))?.ok_or(Error::NotFound)?;
    let Some(running) = s.sync.running.as_mut().filter(|r| r.sync == sync) else {
        return Err(Error::refused("label_sync_stale", "Синхронизация уже завершена", "This sync is no longer running"));
    };
    let mut items = Vec::with_capacity(sent.len());
    for item in sent {
        let answer = results.iter().find(|r| r.plu == item.plu);
        let (accepted, message) = match answer {
            Some(r) => (r.accepted, bounded(&r.message)),
            None => (false, "no answer".to_string()),
        };
        if accepted {
            running.accepted += 1;
            tx.insert(LABEL_HOLDS, (c, id, u64::from(item.plu)), &Hold { product: item.product, sync })?;
            set_plu_held(tx, c, item.plu, Some(item.product))?;
        } else {
            running.rejected += 1;
        }
        items.push(BatchItem { plu: item.plu, product: item.product, name: item.name.clone(), accepted, message });
    }
    running.done = (running.done + sent.len() as u32).min(running.total);
    let version = running.version;
    s.sync.last_seen = Some(now);
    let batch = tx.next_id()?;
    tx.insert(LABEL_BATCHES, (c, id, batch), &LabelBatch { sync, version, at: now, items })?;
    tx.insert(LABEL_SCALES, (c, id), &s)?;
    Ok(s)
}

/// Ends a sync. Complete (`error` is `None`): the scale holds the sync's version, the PLUs it
/// was not sent again are dropped from its holds, and if the list changed meanwhile another
/// sync is queued. Failed: the error is kept and the holds stay as they are (the scale may
/// still have them); `retrying` says the caller's outbox job stays queued for a retry.
pub fn finish(
    tx: &mut WriteTx,
    c: CompanyId,
    id: LabelScaleId,
    sync: u64,
    now: Ts,
    error: Option<&str>,
    retrying: bool,
) -> Result<LabelScale> {
    let mut s = tx.get(LABEL_SCALES, (c, id))?.ok_or(Error::NotFound)?;
    let Some(running) = s.sync.running.take().filter(|r| r.sync == sync) else {
        return Ok(s);
    };
    match error {
        Some(e) => {
            s.sync.last_error = Some(bounded(e));
            // A worker's job stays in the outbox and retries with backoff: it is still the
            // queued one. An agent's failed sync is retried when the agent comes back.
            s.sync.queued = retrying;
        }
        None => {
            s.sync.held_version = running.version;
            s.sync.last_sync = Some(now);
            s.sync.last_seen = Some(now);
            s.sync.last_accepted = running.accepted;
            s.sync.last_rejected = running.rejected;
            s.sync.last_error = None;
            for ((_, _, plu), hold) in tx.list(LABEL_HOLDS, (c, id, 0), (c, id, u64::MAX), usize::MAX)? {
                if hold.sync != sync {
                    tx.remove(LABEL_HOLDS, (c, id, plu))?;
                    refresh_held(tx, c, plu as u32)?;
                }
            }
        }
    }
    tx.insert(LABEL_SCALES, (c, id), &s)?;
    if error.is_none() && version(tx, c)? > s.sync.held_version {
        return Ok(queue(tx, c, id, now)?.unwrap_or(s));
    }
    Ok(s)
}

/// Recomputes `PLU_HELD` for one PLU from every scale's holds.
fn refresh_held(tx: &mut WriteTx, c: CompanyId, plu: u32) -> Result<()> {
    let mut holder = None;
    for (_, s) in tx.list(LABEL_SCALES, (c, LabelScaleId::MIN), (c, LabelScaleId::MAX), usize::MAX)? {
        if let Some(h) = tx.get(LABEL_HOLDS, (c, s.id, u64::from(plu)))? {
            holder = Some(h.product);
            break;
        }
    }
    set_plu_held(tx, c, plu, holder)?;
    Ok(())
}

/// An agent's scale: the worker handed the queued sync to the agent's connection.
pub fn handed_over(tx: &mut WriteTx, c: CompanyId, id: LabelScaleId) -> Result<Option<LabelScale>> {
    let Some(mut s) = tx.get(LABEL_SCALES, (c, id))? else { return Ok(None) };
    s.sync.queued = false;
    tx.insert(LABEL_SCALES, (c, id), &s)?;
    Ok(Some(s))
}

/// Notes that the agent connected (its name and address) in one small write.
pub fn seen(tx: &mut WriteTx, c: CompanyId, id: LabelScaleId, now: Ts, agent: Option<String>) -> Result<()> {
    let Some(mut s) = tx.get(LABEL_SCALES, (c, id))? else { return Ok(()) };
    s.sync.last_seen = Some(now);
    if let Some(a) = agent {
        s.sync.agent = Some(bounded(&a));
    }
    tx.insert(LABEL_SCALES, (c, id), &s)?;
    Ok(())
}

/// The agent's token → its company and scale. Unknown, malformed, rotated and inactive
/// tokens are all the same refusal.
/// Whether the company may still use its label scales: active, and on a plan with the scales
/// module. Checked when an agent connects and before each sync it is sent.
pub fn company_allows(tx: &impl Read, c: CompanyId) -> Result<()> {
    let company = crate::tenancy::query::company(tx, c)?;
    if !company.active {
        return Err(Error::CompanyInactive);
    }
    let plan = crate::tenancy::query::plan(tx, company.plan).map(|p| p.features).unwrap_or_default();
    if !plan.iter().any(|f| f == "scales") {
        return Err(Error::FeatureDisabled { feature: "scales" });
    }
    Ok(())
}

pub fn by_token(tx: &ReadTx, token: &str) -> Result<(CompanyId, LabelScale)> {
    let refused = || Error::TokenInvalid;
    let mut parts = token.trim().splitn(4, '.');
    let (Some("ls"), Some(c), Some(id), Some(_)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err(refused());
    };
    let (Ok(c), Ok(id)) = (c.parse::<u64>(), id.parse::<u64>()) else { return Err(refused()) };
    let (c, id) = (CompanyId(c), LabelScaleId(id));
    let s = tx.get(LABEL_SCALES, (c, id))?.ok_or_else(refused)?;
    let hash = crate::auth::hash_token(token.trim());
    if !bool::from(hash.ct_eq(&s.token_hash)) || !s.active {
        return Err(refused());
    }
    company_allows(tx, c)?;
    Ok((c, s))
}

pub fn list(tx: &ReadTx, actor: &Actor) -> Result<Vec<LabelScale>> {
    manager(actor)?;
    let c = actor.company;
    Ok(tx.list(LABEL_SCALES, (c, LabelScaleId::MIN), (c, LabelScaleId::MAX), usize::MAX)?.into_iter().map(|(_, s)| s).collect())
}

pub fn get(tx: &ReadTx, actor: &Actor, id: LabelScaleId) -> Result<LabelScale> {
    manager(actor)?;
    tx.get(LABEL_SCALES, (actor.company, id))?.ok_or(Error::NotFound)
}

/// The scale's newest batch results, newest first.
pub fn batches(tx: &ReadTx, actor: &Actor, id: LabelScaleId, limit: usize) -> Result<Vec<(u64, LabelBatch)>> {
    let s = get(tx, actor, id)?;
    let c = actor.company;
    let mut out = Vec::new();
    tx.range(LABEL_BATCHES, (c, s.id, 0), (c, s.id, u64::MAX), true, limit, |(_, _, b), batch| {
        out.push((b, batch));
        Ok(true)
    })?;
    Ok(out)
}

/// How many PLUs the scale holds.
pub fn held_count(tx: &ReadTx, c: CompanyId, id: LabelScaleId) -> Result<u64> {
    let mut n = 0;
    tx.range(LABEL_HOLDS, (c, id, 0), (c, id, u64::MAX), false, usize::MAX, |_, _| {
        n += 1;
        Ok(true)
    })?;
    Ok(n)
}

/// `PLU_HELD` is exactly the union of every scale's holds, and each hold belongs to a scale.
pub fn verify(tx: &ReadTx) -> std::result::Result<Vec<String>, StorageError> {
    use std::collections::BTreeMap;
    let mut problems = Vec::new();
    let mut want: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    let lo = (CompanyId::MIN, LabelScaleId::MIN, 0);
    let hi = (CompanyId::MAX, LabelScaleId::MAX, u64::MAX);
    let mut holds = Vec::new();
    tx.range(LABEL_HOLDS, lo, hi, false, usize::MAX, |(c, s, plu), h| {
        holds.push((c, s, plu, h));
        Ok(true)
    })?;
    for (c, s, plu, h) in holds {
        if tx.get(LABEL_SCALES, (c, s))?.is_none() {
            problems.push(format!("company {c}: label scale {s} holds PLU {plu} but does not exist"));
        }
        if let Some(other) = want.insert((c.0, plu), h.product.0)
            && other != h.product.0
        {
            problems.push(format!("company {c}: PLU {plu} held for two products ({other}, {})", h.product));
        }
    }
    let mut have = BTreeMap::new();
    tx.range(crate::catalog::store::PLU_HELD, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |k, v| {
        have.insert(k, v);
        Ok(true)
    })?;
    for (k, v) in &want {
        if have.get(k) != Some(v) {
            problems.push(format!("company {}: PLU {} held by a scale for product {v} but not marked held", k.0, k.1));
        }
    }
    for (k, v) in &have {
        if !want.contains_key(k) {
            problems.push(format!("company {}: PLU {} marked held for product {v} but no scale holds it", k.0, k.1));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(name: &str, price: i64, plu: Option<u32>, weighed: bool) -> Product {
        let mut p: Product = serde_json::from_value(serde_json::json!({
            "id": 1, "kind": "Goods", "name": name, "article": "", "code": "0001", "barcodes": [], "unit": "Kg",
            "weighed": weighed, "plu": plu, "brand": null, "category": null, "purchase_price": "0", "markup": "0",
            "price": "0", "discount": "0", "country": "", "expiry": "", "packages": [],
            "characteristics": {"dimensions": "", "weight": ""}, "components": [], "recipe": [], "reorder_level": "0",
            "archived": false, "created": 0, "updated": 0
        }))
        .unwrap();
        p.price = Decimal::new(price, 2);
        p
    }

    #[test]
    fn only_changes_a_label_shows_raise_the_list_version() {
        let a = product("Сыр", 50000, Some(1), true);
        let check = |old: Option<&Product>, new: &Product, want: bool| assert_eq!(shown_changed(old, new), want, "{old:?} → {new:?}");
        check(None, &a, true);
        check(Some(&a), &a, false);
        let mut b = a.clone();
        b.price = Decimal::new(51000, 2);
        check(Some(&a), &b, true);
        let mut b = a.clone();
        b.name = "Сыр голландский".into();
        check(Some(&a), &b, true);
        let mut b = a.clone();
        b.reorder_level = Decimal::ONE;
        check(Some(&a), &b, false);
        let mut b = a.clone();
        b.archived = true;
        check(Some(&a), &b, true);
        let piece = product("Хлеб", 3000, None, false);
        let mut dearer = piece.clone();
        dearer.price = Decimal::new(3500, 2);
        check(None, &piece, false);
        check(Some(&piece), &dearer, false);
    }

    #[test]
    fn a_password_is_four_ascii_characters_defaulting_to_0030() {
        let mut p = Problems::default();
        assert_eq!(parse_password(&mut p, ""), *b"0030");
        assert_eq!(parse_password(&mut p, " 1234 "), *b"1234");
        assert!(p.finish().is_ok());
        for bad in ["123", "12345", "пар1"] {
            let mut p = Problems::default();
            parse_password(&mut p, bad);
            assert!(p.finish().is_err(), "{bad}");
        }
    }
}
