//! E-mail over SMTP (issue 16): the box-wide server from the configuration (`[smtp]`), a
//! company's own server (its password sealed with the box key, never shown back), the mail
//! queue and its delivery log.
//!
//! Invariants. Every e-mail is a `Mail` row plus a `Mail` outbox job written in the
//! transaction that decided to send it; the mail worker (`workers::mail_once`) sends it and
//! records the outcome in one transaction with the job's removal or its backoff. A permanent
//! refusal (an SMTP 5xx reply, a malformed address) fails the mail at once; anything else
//! (a dropped connection, a 4xx, a timeout) is retried with the outbox's backoff up to
//! `MAX_ATTEMPTS`. A mail's state only moves from queued to sent or failed, once. A company's
//! own server must pass the outgoing-address policy (`webhooks::guard`) on save and again at
//! connect time; plain (unencrypted) SMTP is allowed only to this machine or the LAN.

pub mod smtp;
pub mod store;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::audit;
use crate::clock::Ts;
use crate::config::{Config, SmtpConfig};
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, MailId};
use crate::storage::{Read, Record, WriteTx, outbox};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

use super::seal::BoxKey;
use store::{BOX_SMTP, MAIL_SETTINGS, MAILS};

/// Attempts before a mail that keeps failing transiently is marked failed.
pub const MAX_ATTEMPTS: u32 = 6;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only to this machine or the LAN.
    Plain,
}

impl Security {
    pub fn parse(s: &str) -> Option<Security> {
        match s.trim().to_ascii_lowercase().as_str() {
            "starttls" => Some(Security::StartTls),
            "tls" | "ssl" | "smtps" => Some(Security::Tls),
            "plain" | "none" => Some(Security::Plain),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::Tls => "tls",
            Security::Plain => "plain",
        }
    }
}

/// A company's own SMTP server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    /// Sealed with the box key (field `smtp_password`); empty when the server needs no login.
    pub password: Vec<u8>,
    pub from: String,
    pub active: bool,
    pub updated: Ts,
}

impl Record for MailSettings {
    const TYPE: &'static str = "messaging_mailsettings.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailState {
    Queued,
    Sent,
    Failed,
}

impl MailState {
    pub fn code(self) -> &'static str {
        match self {
            MailState::Queued => "queued",
            MailState::Sent => "sent",
            MailState::Failed => "failed",
        }
    }
}

/// One e-mail and its delivery state: a row of the delivery log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Mail {
    pub id: MailId,
    pub to: String,
    pub subject: String,
    pub body: String,
    /// What sent it: `invite`, `test`, `notify:<event>`.
    pub kind: String,
    /// The body carries a sign-in link: it is stored sealed with the box key (base64), opened
    /// only by the worker, never shown in the log, and erased once the mail is decided, so
    /// the data file and its backups never hold a usable link.
    pub sealed: bool,
    pub state: MailState,
    pub attempts: u32,
    pub error: Option<String>,
    pub created: Ts,
    pub finished: Option<Ts>,
}

impl Record for Mail {
    const TYPE: &'static str = "messaging_mail.v1";
}

/// The server a send uses, with its password in clear (only in memory, only in the worker).
#[derive(Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: Option<String>,
    pub from: String,
    pub timeout_secs: u64,
    /// The company's own server: checked against the outgoing-address policy at connect time.
    pub guarded: bool,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Server({}:{} {:?})", self.host, self.port, self.security)
    }
}

/// Whether `host` is this machine or a private LAN address (where plain SMTP is allowed).
pub fn is_local_host(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    match h.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback() || v4.is_private(),
        Ok(IpAddr::V6(v6)) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => h == "localhost" || h.ends_with(".local") || h.ends_with(".lan") || h.ends_with(".internal"),
    }
}

/// The box-wide server, when the configuration names one.
pub fn box_server(cfg: &SmtpConfig) -> Option<Server> {
    let host = cfg.host.trim();
    if host.is_empty() || cfg.from.trim().is_empty() {
        return None;
    }
    let security = Security::parse(&cfg.security)?;
    if security == Security::Plain && !is_local_host(host) {
        tracing::warn!("[smtp] security = plain is allowed only to this machine or the LAN; box-wide e-mail is off");
        return None;
    }
    Some(Server {
        host: host.to_string(),
        port: cfg.port,
        security,
        username: cfg.username.clone(),
        password: cfg.password.clone().filter(|p| !p.is_empty()),
        from: cfg.from.trim().to_string(),
        timeout_secs: cfg.timeout_secs.max(1),
        guarded: false,
    })
}

pub fn settings(tx: &impl Read, c: CompanyId) -> Result<Option<MailSettings>> {
    Ok(tx.get(MAIL_SETTINGS, c.0)?)
}

/// Where the company's mail goes: its own active server, else the box's, else nowhere.
/// `None` from a company server whose password does not open on this box (a restore elsewhere).
pub fn server(tx: &impl Read, key: &BoxKey, config: &Config, c: CompanyId) -> Result<Option<Server>> {
    if let Some(s) = settings(tx, c)?.filter(|s| s.active) {
        let password = if s.password.is_empty() {
            None
        } else {
            match key.open(c, "smtp_password", &s.password) {
                Some(p) => Some(p),
                None => return Ok(None),
            }
        };
        return Ok(Some(Server {
            host: s.host,
            port: s.port,
            security: s.security,
            username: s.username,
            password,
            from: s.from,
            timeout_secs: config.smtp.timeout_secs.max(1),
            guarded: true,
        }));
    }
    Ok(box_server(&config.smtp))
}

/// Whether e-mail would go anywhere for this company (invites then go by e-mail).
pub fn configured(tx: &impl Read, config: &Config, c: CompanyId) -> Result<bool> {
    Ok(settings(tx, c)?.is_some_and(|s| s.active) || box_server(&config.smtp).is_some())
}

/// Whether e-mail would go anywhere for this company, from the data file alone: its own active
/// server, or the box-wide one as the server noted it at start (`note_box_server`).
pub fn configured_stored(tx: &impl Read, c: CompanyId) -> Result<bool> {
    Ok(settings(tx, c)?.is_some_and(|s| s.active) || tx.get(BOX_SMTP, 0)?.is_some())
}

/// Notes in the data file whether the box-wide server is configured (at start; a write only
/// when it changed).
pub fn note_box_server(tx: &mut WriteTx, config: &Config) -> Result<()> {
    let on = box_server(&config.smtp).is_some();
    match (on, tx.get(BOX_SMTP, 0)?.is_some()) {
        (true, false) => tx.insert(BOX_SMTP, 0, &1)?,
        (false, true) => {
            tx.remove(BOX_SMTP, 0)?;
        }
        _ => {}
    }
    Ok(())
}

/// Whether an address looks like `local@domain` (the server has the final word).
pub fn valid_address(a: &str) -> bool {
    let a = a.trim();
    let Some((local, domain)) = a.rsplit_once('@') else {
        return false;
    };
    a.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !a.chars().any(|ch| ch.is_whitespace() || ch.is_control() || "<>,;\"()[]\\".contains(ch))
}

/// Queues an e-mail: its row and its outbox job, in the caller's transaction.
pub fn queue(tx: &mut WriteTx, c: CompanyId, to: &str, subject: &str, body: &str, kind: &str, now: Ts) -> Result<MailId> {
    queue_with(tx, c, to, subject, body.chars().take(20_000).collect(), false, kind, now)
}

/// Queues an e-mail whose body holds a secret (a sign-in link): sealed, see `Mail::sealed`.
#[allow(clippy::too_many_arguments)]
pub fn queue_sealed(
    tx: &mut WriteTx,
    key: &BoxKey,
    c: CompanyId,
    to: &str,
    subject: &str,
    body: &str,
    kind: &str,
    now: Ts,
) -> Result<MailId> {
    use base64::Engine;
    let sealed = base64::engine::general_purpose::STANDARD.encode(key.seal(c, "mail_body", body)?);
    queue_with(tx, c, to, subject, sealed, true, kind, now)
}

/// The body to send: a sealed one opened with the box key (`None` when it does not open).
pub fn body(key: &BoxKey, c: CompanyId, m: &Mail) -> Option<String> {
    use base64::Engine;
    if !m.sealed {
        return Some(m.body.clone());
    }
    let bytes = base64::engine::general_purpose::STANDARD.decode(&m.body).ok()?;
    key.open(c, "mail_body", &bytes)
}

#[allow(clippy::too_many_arguments)]
fn queue_with(tx: &mut WriteTx, c: CompanyId, to: &str, subject: &str, body: String, sealed: bool, kind: &str, now: Ts) -> Result<MailId> {
    if !valid_address(to) {
        return Err(Error::field("to", "invalid_email", "Неверный адрес e-mail", "Invalid e-mail address"));
    }
    let id = MailId(tx.next_id()?);
    let subject: String = subject.chars().filter(|ch| !ch.is_control()).take(200).collect();
    let mail = Mail {
        id,
        to: to.trim().to_string(),
        subject,
        body,
        kind: kind.chars().take(60).collect(),
        sealed,
        state: MailState::Queued,
        attempts: 0,
        error: None,
        created: now,
        finished: None,
    };
    tx.insert(MAILS, (c.0, id.0), &mail)?;
    outbox::push(tx, c.0, outbox::JobKind::Mail { mail: id.0 }, now.0)?;
    Ok(id)
}

/// What one send came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Refused for good (5xx, bad address, no server): no retry.
    Permanent(String),
    /// Worth another try (dropped connection, 4xx, timeout).
    Transient(String),
}

/// Records a send's outcome with the job's removal or backoff. Returns the mail as it is now.
pub fn record(tx: &mut WriteTx, c: CompanyId, job_id: u64, id: MailId, outcome: &Outcome, now: Ts) -> Result<Option<Mail>> {
    let Some(mut m) = tx.get(MAILS, (c.0, id.0))? else {
        outbox::done(tx, job_id)?;
        return Ok(None);
    };
    if m.state != MailState::Queued {
        // Already decided (a job replayed after a crash between send and record): never twice.
        outbox::done(tx, job_id)?;
        return Ok(Some(m));
    }
    m.attempts += 1;
    match outcome {
        Outcome::Sent => {
            m.state = MailState::Sent;
            m.error = None;
            m.finished = Some(now);
            outbox::done(tx, job_id)?;
        }
        Outcome::Permanent(e) => {
            m.state = MailState::Failed;
            m.error = Some(e.clone());
            m.finished = Some(now);
            outbox::done(tx, job_id)?;
        }
        Outcome::Transient(e) if m.attempts >= MAX_ATTEMPTS => {
            m.state = MailState::Failed;
            m.error = Some(e.clone());
            m.finished = Some(now);
            outbox::done(tx, job_id)?;
        }
        Outcome::Transient(e) => {
            m.error = Some(e.clone());
            outbox::failed(tx, job_id, e.clone(), now.0)?;
        }
    }
    if m.sealed && m.state != MailState::Queued {
        m.body.clear();
    }
    tx.insert(MAILS, (c.0, id.0), &m)?;
    Ok(Some(m))
}

pub fn mail(tx: &impl Read, c: CompanyId, id: MailId) -> Result<Mail> {
    tx.get(MAILS, (c.0, id.0))?.ok_or(Error::NotFound)
}

/// The company's newest `limit` e-mails, newest first.
pub fn log(tx: &impl Read, c: CompanyId, limit: usize) -> Result<Vec<Mail>> {
    let mut out = Vec::new();
    tx.range(MAILS, (c.0, 0), (c.0, u64::MAX), true, limit, |_, m| {
        out.push(m);
        Ok(true)
    })?;
    Ok(out)
}

/// Settings and the delivery log.
pub fn require_admin(actor: &Actor) -> Result<()> {
    actor.require(Perm::MAIL_SETTINGS)
}

#[derive(Debug, Clone, Default)]
pub struct SettingsDraft {
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    /// Empty keeps the stored password; `clear_password` removes it.
    pub password: String,
    pub clear_password: bool,
    pub from: String,
    pub active: bool,
}

/// Saves the company's own SMTP server (the password sealed; never returned).
pub fn save_settings(tx: &mut WriteTx, actor: &Actor, key: &BoxKey, config: &Config, now: Ts, d: &SettingsDraft) -> Result<()> {
    require_admin(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = settings(tx, c)?;
    let mut p = Problems::default();
    let host = d.host.trim().to_ascii_lowercase();
    let policy = crate::webhooks::guard::Policy::of(config);
    if host.is_empty() || host.len() > 253 || host.chars().any(|ch| !(ch.is_ascii_alphanumeric() || ".-:[]".contains(ch))) {
        p.push(FieldError::new("host", "invalid", "Имя сервера, например smtp.example.com", "Server name, e.g. smtp.example.com"));
    } else if crate::webhooks::guard::check_url(&format!("http://{host}/"), policy).is_err() {
        p.push(FieldError::new("host", "host_forbidden", "Этот адрес недоступен", "This address is not allowed"));
    }
    let port = d.port.trim().parse::<u16>().ok().filter(|p| *p > 0);
    if port.is_none() {
        p.push(FieldError::new("port", "invalid", "Порт: от 1 до 65535", "Port: 1 to 65535"));
    }
    let security = Security::parse(&d.security);
    match security {
        None => p.push(FieldError::new("security", "invalid", "Выберите защиту соединения", "Choose the connection security")),
        Some(Security::Plain) if !is_local_host(&host) => p.push(FieldError::new(
            "security",
            "plain_not_local",
            "Без шифрования — только для сервера в локальной сети",
            "Unencrypted only for a server on the local network",
        )),
        _ => {}
    }
    let username = d.username.trim().to_string();
    if username.len() > 200 || username.chars().any(char::is_control) {
        p.push(FieldError::new("username", "invalid", "Недопустимое значение", "Invalid value"));
    }
    let password = d.password.trim();
    if password.len() > 500 || password.chars().any(char::is_control) {
        p.push(FieldError::new("password", "invalid", "Недопустимое значение", "Invalid value"));
    }
    let from = d.from.trim().to_string();
    if smtp::mailbox(&from).is_none() {
        p.push(FieldError::new("from", "invalid_email", "Отправитель: адрес e-mail", "Sender: an e-mail address"));
    }
    p.finish()?;
    let (Some(port), Some(security)) = (port, security) else {
        return Err(Error::Internal("checked above".into()));
    };
    let password = if d.clear_password {
        Vec::new()
    } else if !password.is_empty() {
        key.seal(c, "smtp_password", password)?
    } else {
        old.as_ref().map(|o| o.password.clone()).unwrap_or_default()
    };
    let s = MailSettings { host, port, security, username, password, from, active: d.active, updated: now };
    tx.insert(MAIL_SETTINGS, c.0, &s)?;
    audit::record(
        tx,
        c,
        actor,
        now,
        "mail.settings.save",
        format!("smtp:{}", s.host),
        format!("{}:{} {}", s.host, s.port, s.security.code()),
    )?;
    Ok(())
}

/// Queues a test e-mail to `to` (the admin's own address, usually), with the admin's own
/// words when given.
pub fn send_test(tx: &mut WriteTx, actor: &Actor, config: &Config, to: &str, text: Option<&str>, now: Ts) -> Result<MailId> {
    require_admin(actor)?;
    actor.require_writable()?;
    if !configured(tx, config, actor.company)? {
        return Err(Error::refused("mail_not_configured", "Почта не настроена", "E-mail is not set up"));
    }
    let mut body = String::from("Это проверочное письмо Dukan.\nThis is a test e-mail from Dukan.\n");
    if let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) {
        body.push('\n');
        body.extend(t.chars().take(2000));
        body.push('\n');
    }
    let id = queue(tx, actor.company, to, "Dukan: test / проверка", &body, "test", now)?;
    audit::record(tx, actor.company, actor, now, "mail.test", format!("mail:{id}"), to.to_string())?;
    Ok(id)
}

/// The e-mail an invite or a password link goes out as, when e-mail is configured; returns
/// the address it was queued to (`None`: no e-mail, the link is handed over by hand).
pub fn send_link(tx: &mut WriteTx, key: &BoxKey, config: &Config, c: CompanyId, to: &str, url: &str, now: Ts) -> Result<Option<String>> {
    if !configured(tx, config, c)? || !valid_address(to) {
        return Ok(None);
    }
    let company = crate::tenancy::store::company(tx, c)?.map(|co| co.name).unwrap_or_default();
    let body = format!(
        "Здравствуйте!\n\nСсылка для входа в Dukan ({company}) — задайте пароль (действует 7 дней):\n{url}\n\n\
         Hello,\n\nYour link to sign in to Dukan ({company}) and set a password (valid for 7 days):\n{url}\n"
    );
    queue_sealed(tx, key, c, to, "Dukan: вход / sign-in link", &body, "invite", now)?;
    Ok(Some(to.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_hosts_and_addresses() {
        assert!(is_local_host("127.0.0.1"));
        assert!(is_local_host("192.168.1.5"));
        assert!(is_local_host("localhost"));
        assert!(is_local_host("[::1]"));
        assert!(!is_local_host("smtp.gmail.com"));
        assert!(!is_local_host("8.8.8.8"));
        assert!(valid_address("a.b@shop.kg"));
        assert!(!valid_address("a b@shop.kg"));
        assert!(!valid_address("nobody"));
        assert!(!valid_address("x@localhost"));
        assert!(!valid_address("x@y.kg>\r\nRCPT TO:<z@w.kg"));
    }

    #[test]
    fn plain_box_server_only_to_the_lan() {
        let mut cfg = SmtpConfig { host: "smtp.example.com".into(), from: "shop@example.com".into(), ..SmtpConfig::default() };
        assert_eq!(box_server(&cfg).map(|s| s.security), Some(Security::StartTls));
        cfg.security = "plain".into();
        assert!(box_server(&cfg).is_none());
        cfg.host = "127.0.0.1".into();
        assert_eq!(box_server(&cfg).map(|s| s.security), Some(Security::Plain));
        cfg.from = String::new();
        assert!(box_server(&cfg).is_none());
    }
}
