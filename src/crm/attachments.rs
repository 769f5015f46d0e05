//! Files attached to a client's card (issue 17): contracts signed on paper and scanned,
//! photos, price lists, office documents — any type, kept in the data file so that a backup
//! stays one file. The bytes are stored in chunks of `CHUNK` (1 MiB) beside the metadata, so
//! no single value grows with the file and a removal frees pages chunk by chunk.
//!
//! Limits: one file at most `attachment_limit_kb` (10 MiB by default), one company's files
//! together at most `attachment_quota_mb` (1 GiB), both from the configuration. The HTTP layer
//! checks the rights, the client and whether the quota is already spent (`may_add`) before it
//! reads a byte of the body, and reads at most the per-file limit; `add` checks both again
//! inside the transaction that stores the file.
//!
//! Rights: any CRM right (`crm::require_crm`) reads, adds and removes a client's files.
//! Download: always `Content-Disposition: attachment`, with a content type from a short
//! allow-list by extension (PDF, images, text, office formats) and `application/octet-stream`
//! for everything else, so nothing uploaded is ever rendered by the browser as a page.
//!
//! Invariants (verified by `verify`, hence `dukan check`): every attachment has exactly the
//! chunks its size needs and they add up to it; the client index holds exactly one key per
//! attachment; the per-company usage is the sum of its attachments' sizes and their count.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::model::{Event, EventKind};
use super::{client_of, require_crm, store};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{AttachmentId, ClientId, CompanyId, UserId};
use crate::storage::{Read, ReadTx, Record, StorageError, Table, TableInfo, WriteTx};
use crate::tenancy::actor::Actor;

/// Bytes per stored chunk.
pub const CHUNK: usize = 1024 * 1024;
/// Files a client card lists, newest first.
pub const SHOWN: usize = 200;
/// Longest stored file name, in characters.
pub const NAME_MAX: usize = 200;

pub const ATTACHMENTS: Table<(CompanyId, AttachmentId), Attachment> = Table::new("company_attachmentid_crmattachment");
pub const ATTACHMENT_CHUNKS: Table<(CompanyId, AttachmentId, u64), AttachmentChunk> =
    Table::new("company_attachmentid_chunk_crmattachmentchunk");
pub const CLIENT_ATTACHMENTS: Table<(CompanyId, ClientId, AttachmentId), u64> = Table::new("company_client_attachmentid_unit");
pub const ATTACHMENT_USAGE: Table<CompanyId, AttachmentUsage> = Table::new("company_crmattachmentusage");

pub fn tables() -> Vec<TableInfo> {
    vec![
        ATTACHMENTS.info("(CompanyId, AttachmentId)", "files attached to a client's card: name, content type, size, SHA-256"),
        ATTACHMENT_CHUNKS.info("(CompanyId, AttachmentId, chunk n)", "an attached file's bytes, 1 MiB a chunk, in order"),
        CLIENT_ATTACHMENTS.info("(CompanyId, ClientId, AttachmentId)", "a client's attached files (index kept by add/remove)"),
        ATTACHMENT_USAGE.info("CompanyId", "bytes and count of a company's attached files (= Σ attachments), for the quota"),
    ]
}

/// An attached file's metadata; its bytes are in `ATTACHMENT_CHUNKS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: AttachmentId,
    pub client: ClientId,
    /// The uploaded file's own name, cleaned (`clean_name`).
    pub name: String,
    /// The content type it is served with (`content_type`).
    pub mime: String,
    pub size: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    pub created: Ts,
    pub created_by: UserId,
}

impl Record for Attachment {
    const TYPE: &'static str = "crmattachment.v1";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentChunk {
    pub bytes: Vec<u8>,
}

impl Record for AttachmentChunk {
    const TYPE: &'static str = "crmattachmentchunk.v1";
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentUsage {
    pub bytes: u64,
    pub count: u64,
}

impl Record for AttachmentUsage {
    const TYPE: &'static str = "crmattachmentusage.v1";
}

/// The per-file and per-company limits, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub file_bytes: u64,
    pub quota_bytes: u64,
}

impl Limits {
    pub fn from_config(config: &crate::config::Config) -> Limits {
        Limits { file_bytes: config.attachment_limit_kb as u64 * 1024, quota_bytes: config.attachment_quota_mb * 1024 * 1024 }
    }
}

/// The refusal of a file over the per-file limit: 413 with the code `attachment_too_large`.
pub fn too_large(limits: Limits) -> Error {
    let (n, ru, en) = match limits.file_bytes {
        b if b % (1024 * 1024) == 0 => (b / (1024 * 1024), "МБ", "MB"),
        b => (b / 1024, "КБ", "KB"),
    };
    Error::TooLarge {
        code: "attachment_too_large", ru: format!("Файл больше {n} {ru}"), en: format!("The file is larger than {n} {en}")
    }
}

fn quota_spent(limits: Limits) -> Error {
    let mb = limits.quota_bytes / (1024 * 1024);
    Error::refused(
        "attachment_quota_exceeded",
        format!("Место для файлов компании ({mb} МБ) закончилось: удалите ненужные файлы"),
        format!("The company's file space ({mb} MB) is used up: delete files you no longer need"),
    )
}

/// A file name safe to store and to send back: the last path component, no control or
/// invisible characters, no quotes or backslashes, at most `NAME_MAX` characters; "file" when
/// nothing is left.
pub fn clean_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .take(NAME_MAX)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() { "file".to_string() } else { cleaned }
}

/// The content type a stored file is served with, from its extension: a short allow-list of
/// types no browser runs as a page; everything else (HTML, SVG, scripts) is a byte stream.
pub fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "txt" | "csv" => "text/plain; charset=utf-8",
        "doc" => "application/msword",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xls" => "application/vnd.ms-excel",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "ppt" => "application/vnd.ms-powerpoint",
        "pptx" => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" => "application/vnd.oasis.opendocument.text",
        "ods" => "application/vnd.oasis.opendocument.spreadsheet",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// What the company's files take now.
pub fn usage(tx: &impl Read, c: CompanyId) -> Result<AttachmentUsage> {
    Ok(tx.get(ATTACHMENT_USAGE, c)?.unwrap_or_default())
}

/// Whether `actor` may attach a file to `client` at all: the rights, a writable company, the
/// client, and room left under the quota. Checked before an upload's body is read, so a
/// refused upload costs no bytes. Another company's client is "not found".
pub fn may_add(tx: &impl Read, actor: &Actor, client: ClientId, limits: Limits) -> Result<()> {
    require_crm(actor)?;
    actor.require_writable()?;
    client_of(tx, actor, client)?;
    if usage(tx, actor.company)?.bytes >= limits.quota_bytes {
        return Err(quota_spent(limits));
    }
    Ok(())
}

/// Stores a file on a client's card: the metadata, its chunks, the client index, the usage,
/// a timeline row and the audit row, in one transaction. Over the per-file limit it is a 413,
/// over the company's quota a 409 (`attachment_quota_exceeded`); an empty file is a 422.
pub fn add(tx: &mut WriteTx, actor: &Actor, now: Ts, client: ClientId, name: &str, bytes: &[u8], limits: Limits) -> Result<Attachment> {
    may_add(tx, actor, client, limits)?;
    let size = bytes.len() as u64;
    if size > limits.file_bytes {
        return Err(too_large(limits));
    }
    if bytes.is_empty() {
        return Err(Error::field("file", "file_empty", "Файл пустой", "The file is empty"));
    }
    let c = actor.company;
    let mut used = usage(tx, c)?;
    if used.bytes + size > limits.quota_bytes {
        return Err(quota_spent(limits));
    }
    let name = clean_name(name);
    let a = Attachment {
        id: AttachmentId(tx.next_id()?),
        client,
        mime: content_type(&name).to_string(),
        name,
        size,
        sha256: hex::encode(Sha256::digest(bytes)),
        created: now,
        created_by: actor.user,
    };
    for (n, chunk) in bytes.chunks(CHUNK).enumerate() {
        tx.insert(ATTACHMENT_CHUNKS, (c, a.id, n as u64), &AttachmentChunk { bytes: chunk.to_vec() })?;
    }
    tx.insert(CLIENT_ATTACHMENTS, (c, client, a.id), &0)?;
    tx.insert(ATTACHMENTS, (c, a.id), &a)?;
    used.bytes += size;
    used.count += 1;
    tx.insert(ATTACHMENT_USAGE, c, &used)?;
    let event = Event { kind: EventKind::AttachmentAdded, user: actor.user, deal: None, task: None, contact: None, text: a.name.clone() };
    store::add_event(tx, c, client, now, &event)?;
    audit::record(tx, c, actor, now, "crm.attachment.create", format!("attachment:{}", a.id), format!("{} ({} B)", a.name, a.size))?;
    Ok(a)
}

/// One attached file's metadata; another company's is "not found".
pub fn attachment(tx: &impl Read, actor: &Actor, id: AttachmentId) -> Result<Attachment> {
    require_crm(actor)?;
    tx.get(ATTACHMENTS, (actor.company, id))?.ok_or(Error::NotFound)
}

/// A client's files, newest first.
pub fn of_client(tx: &impl Read, actor: &Actor, client: ClientId) -> Result<Vec<Attachment>> {
    require_crm(actor)?;
    client_of(tx, actor, client)?;
    let c = actor.company;
    let mut ids = Vec::new();
    tx.range(CLIENT_ATTACHMENTS, (c, client, AttachmentId::MIN), (c, client, AttachmentId::MAX), true, SHOWN, |(_, _, id), _| {
        ids.push(id);
        Ok(true)
    })?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(a) = tx.get(ATTACHMENTS, (c, id))? {
            out.push(a);
        }
    }
    Ok(out)
}

/// A file's metadata and bytes, the chunks joined in order.
pub fn file(tx: &impl Read, actor: &Actor, id: AttachmentId) -> Result<(Attachment, Vec<u8>)> {
    let a = attachment(tx, actor, id)?;
    let c = actor.company;
    let mut bytes = Vec::with_capacity(a.size as usize);
    tx.range(ATTACHMENT_CHUNKS, (c, id, 0), (c, id, u64::MAX), false, usize::MAX, |_, chunk| {
        bytes.extend_from_slice(&chunk.bytes);
        Ok(true)
    })?;
    if bytes.len() as u64 != a.size {
        return Err(Error::Internal(format!("attachment {id}: {} bytes stored, {} recorded", bytes.len(), a.size)));
    }
    Ok((a, bytes))
}

/// Removes a file from a client's card: the metadata, its chunks, the index key, its share of
/// the usage; a timeline row and the audit row say who removed what.
pub fn remove(tx: &mut WriteTx, actor: &Actor, now: Ts, id: AttachmentId) -> Result<Attachment> {
    let a = attachment(tx, actor, id)?;
    actor.require_writable()?;
    let c = actor.company;
    for n in 0..a.size.div_ceil(CHUNK as u64) {
        tx.remove(ATTACHMENT_CHUNKS, (c, id, n))?;
    }
    tx.remove(CLIENT_ATTACHMENTS, (c, a.client, id))?;
    tx.remove(ATTACHMENTS, (c, id))?;
    let mut used = usage(tx, c)?;
    used.bytes = used.bytes.saturating_sub(a.size);
    used.count = used.count.saturating_sub(1);
    if used == AttachmentUsage::default() {
        tx.remove(ATTACHMENT_USAGE, c)?;
    } else {
        tx.insert(ATTACHMENT_USAGE, c, &used)?;
    }
    let event = Event { kind: EventKind::AttachmentRemoved, user: actor.user, deal: None, task: None, contact: None, text: a.name.clone() };
    store::add_event(tx, c, a.client, now, &event)?;
    audit::record(tx, c, actor, now, "crm.attachment.delete", format!("attachment:{id}"), a.name.clone())?;
    Ok(a)
}

/// Recomputes the chunks, the client index and the usage from the attachments and lists every
/// difference.
pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (c0, cmax) = (CompanyId::MIN, CompanyId::MAX);
    let (mut want_index, mut sizes, mut usage) = (BTreeSet::new(), BTreeMap::new(), BTreeMap::<CompanyId, AttachmentUsage>::new());
    tx.range(ATTACHMENTS, (c0, AttachmentId::MIN), (cmax, AttachmentId::MAX), false, usize::MAX, |(c, id), a| {
        want_index.insert((c, a.client, id));
        sizes.insert((c, id), a.size);
        let u = usage.entry(c).or_default();
        u.bytes += a.size;
        u.count += 1;
        Ok(true)
    })?;
    let mut stored: BTreeMap<(CompanyId, AttachmentId), (u64, u64)> = BTreeMap::new();
    tx.range(ATTACHMENT_CHUNKS, (c0, AttachmentId::MIN, 0), (cmax, AttachmentId::MAX, u64::MAX), false, usize::MAX, |(c, id, n), ch| {
        let e = stored.entry((c, id)).or_default();
        if n != e.1 {
            problems.push(format!("crm attachment {id} (company {c}): chunk {n} where {} was expected", e.1));
        }
        e.0 += ch.bytes.len() as u64;
        e.1 = n + 1;
        Ok(true)
    })?;
    for (k, size) in &sizes {
        let got = stored.get(k).map_or(0, |s| s.0);
        if got != *size {
            problems.push(format!("crm attachment {} (company {}): {got} bytes stored, {size} recorded", k.1, k.0));
        }
    }
    for k in stored.keys().filter(|k| !sizes.contains_key(k)) {
        problems.push(format!("crm attachment chunks {} (company {}) have no attachment", k.1, k.0));
    }
    let mut have = BTreeSet::new();
    tx.range(
        CLIENT_ATTACHMENTS,
        (c0, ClientId::MIN, AttachmentId::MIN),
        (cmax, ClientId::MAX, AttachmentId::MAX),
        false,
        usize::MAX,
        |k, _| {
            have.insert(k);
            Ok(true)
        },
    )?;
    for k in want_index.symmetric_difference(&have) {
        problems.push(format!("crm client attachment index disagrees with attachments at company {} attachment {}", k.0, k.2));
    }
    let mut recorded = BTreeMap::new();
    tx.range(ATTACHMENT_USAGE, c0, cmax, false, usize::MAX, |c, u| {
        recorded.insert(c, u);
        Ok(true)
    })?;
    if recorded != usage {
        problems.push(format!("crm attachment usage {recorded:?} disagrees with the attachments {usage:?}"));
    }
    for (c, id, client) in want_index.iter().map(|(c, client, id)| (*c, *id, *client)) {
        if tx.get(crate::clients::store::CLIENTS, (c.0, client.0))?.is_none() {
            problems.push(format!("crm attachment {id} (company {c}) names a missing client {client}"));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_quotes_and_types_come_from_an_allow_list() {
        for (raw, name, mime) in [
            ("Договор №5.PDF", "Договор №5.PDF", "application/pdf"),
            ("C:\\Users\\a\\скан.jpg", "скан.jpg", "image/jpeg"),
            ("../../etc/passwd", "passwd", "application/octet-stream"),
            ("evil\".html\r\n", "evil.html", "application/octet-stream"),
            ("pic.svg", "pic.svg", "application/octet-stream"),
            ("  .hidden.txt ", "hidden.txt", "text/plain; charset=utf-8"),
            ("\u{202e}fdp.exe", "fdp.exe", "application/octet-stream"),
            ("", "file", "application/octet-stream"),
            ("price.xlsx", "price.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ] {
            let got = clean_name(raw);
            assert_eq!((got.as_str(), content_type(&got)), (name, mime), "{raw:?}");
        }
        assert_eq!(clean_name(&"я".repeat(300)).chars().count(), NAME_MAX);
    }
}
