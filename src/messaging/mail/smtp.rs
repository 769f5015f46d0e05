//! The one place that speaks SMTP (through lettre's client, rustls for STARTTLS and TLS):
//! builds the message from a queued `Mail`, connects — to a company's own server only at an
//! address the outgoing-address policy allows, resolved here so a name cannot rebind to a
//! forbidden address between check and connect — sends a step's mails over a few reused
//! sessions (`send_all`), and classifies lettre's errors into permanent (no retry) and
//! transient ones.
//!
//! Sessions, not a connection per mail: each of at most `sessions` sessions sends the mails
//! it takes from the step's queue one after another (MAIL, RCPT, DATA each), so a mail's
//! outcome is its own reply: a 550 for one recipient fails that mail only (lettre closes the
//! session after any refusal; the next mail opens a new one), and a connection dropped before
//! the 250 after DATA makes only that mail transient. The socket has TCP_NODELAY: lettre
//! writes a message's data and its closing dot in two writes before reading, which with
//! Nagle's algorithm waits for the server's delayed ACK (40 ms on Linux) on every mail of a
//! reused session. Implicit TLS (port 465) connects through lettre's own connector, which
//! does not set it.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use super::{Mail, Outcome, Security, Server};
use crate::webhooks::guard::Policy;

/// A sender or recipient as lettre takes it (`a@b.c` or `Name <a@b.c>`).
pub fn mailbox(s: &str) -> Option<Mailbox> {
    s.trim().parse::<Mailbox>().ok()
}

/// Where and how a step's sessions connect; connects nowhere by itself.
pub struct Transport {
    connect_to: String,
    port: u16,
    security: Security,
    tls: Option<TlsParameters>,
    hello: ClientId,
    credentials: Option<Credentials>,
    timeout: Duration,
    from: Mailbox,
}

/// One open SMTP session.
pub struct Session {
    conn: AsyncSmtpConnection,
    /// A command timed out: the session's state is unknown, it is not used again.
    lost: bool,
}

/// The error text kept in the delivery log: lettre's own words (the server's reply for an
/// SMTP error), one line, bounded.
fn text(e: &impl std::fmt::Display) -> String {
    let t = e.to_string().replace(['\r', '\n'], " ");
    t.chars().take(300).collect()
}

/// Checks the address (for a company's own server) and prepares the transport. `Err` is the
/// outcome every mail of this step gets.
pub async fn transport(server: &Server, policy: Policy) -> Result<Transport, Outcome> {
    let from = mailbox(&server.from).ok_or_else(|| Outcome::Permanent("sender address invalid".into()))?;
    let connect_to = if server.guarded {
        let addrs = tokio::net::lookup_host((server.host.as_str(), server.port))
            .await
            .map_err(|_| Outcome::Transient("host not found".into()))?
            .collect::<Vec<_>>();
        let ip = addrs.iter().map(|a| a.ip()).find(|ip| policy.allows(*ip));
        match ip {
            Some(ip) => ip.to_string(),
            None if addrs.is_empty() => return Err(Outcome::Transient("host not found".into())),
            None => return Err(Outcome::Permanent("address not allowed".into())),
        }
    } else {
        server.host.clone()
    };
    let tls_name = server.host.trim_start_matches('[').trim_end_matches(']').to_string();
    let tls = match server.security {
        Security::Plain => None,
        Security::StartTls | Security::Tls => Some(TlsParameters::new(tls_name).map_err(|e| Outcome::Permanent(text(&e)))?),
    };
    let hello = ClientId::Domain(from.email.domain().to_string());
    let credentials =
        (!server.username.is_empty()).then(|| Credentials::new(server.username.clone(), server.password.clone().unwrap_or_default()));
    Ok(Transport {
        connect_to,
        port: server.port,
        security: server.security,
        tls,
        hello,
        credentials,
        timeout: Duration::from_secs(server.timeout_secs),
        from,
    })
}

fn failed(e: &lettre::transport::smtp::Error) -> Outcome {
    if e.is_permanent() { Outcome::Permanent(text(e)) } else { Outcome::Transient(text(e)) }
}

impl Transport {
    /// Opens a session: greeting, EHLO, STARTTLS when required, AUTH when configured.
    pub async fn connect(&self) -> Result<Session, Outcome> {
        let open = async {
            let host = self.connect_to.trim_start_matches('[').trim_end_matches(']');
            let mut conn = match (self.security, &self.tls) {
                (Security::Tls, Some(tls)) => {
                    AsyncSmtpConnection::connect_tokio1((host, self.port), Some(self.timeout), &self.hello, Some(tls.clone()), None)
                        .await
                        .map_err(|e| failed(&e))?
                }
                _ => {
                    let stream = tokio::net::TcpStream::connect((host, self.port)).await.map_err(|e| Outcome::Transient(text(&e)))?;
                    stream.set_nodelay(true).map_err(|e| Outcome::Transient(text(&e)))?;
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await.map_err(|e| failed(&e))?
                }
            };
            if let (Security::StartTls, Some(tls)) = (self.security, &self.tls) {
                conn.starttls(tls.clone(), &self.hello).await.map_err(|e| failed(&e))?;
            }
            if let Some(credentials) = &self.credentials {
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials).await.map_err(|e| failed(&e))?;
            }
            Ok(Session { conn, lost: false })
        };
        match tokio::time::timeout(self.timeout, open).await {
            Ok(session) => session,
            Err(_) => Err(Outcome::Transient("connection timed out".into())),
        }
    }

    /// Sends one mail with its (opened) body on `session`; never panics, never retries.
    pub async fn send(&self, session: &mut Session, m: &Mail, body: String) -> Outcome {
        let Some(to) = mailbox(&m.to) else {
            return Outcome::Permanent("recipient address invalid".into());
        };
        // UTF-8 text as it is (8BITMIME, which every current server offers): readable in the raw
        // message, and a line starting with a dot is dot-stuffed by the client (RFC 5321
        // §4.5.2). 8bit allows lines of up to 998 octets (RFC 5322 §2.1.1; lettre's own chooser
        // stops at 76, which sends every Russian sentence as base64); a body with a longer line
        // or a NUL falls back to lettre's choice of quoted-printable or base64.
        let body = body.replace("\r\n", "\n").replace('\r', "").replace('\n', "\r\n");
        let fits = !body.contains('\0') && body.split("\r\n").all(|l| l.len() <= 998);
        let body = if fits { Body::dangerous_pre_encoded(body.into_bytes(), ContentTransferEncoding::EightBit) } else { Body::new(body) };
        let message =
            Message::builder().from(self.from.clone()).to(to).subject(m.subject.clone()).header(ContentType::TEXT_PLAIN).body(body);
        let message = match message {
            Ok(msg) => msg,
            Err(e) => return Outcome::Permanent(text(&e)),
        };
        match tokio::time::timeout(self.timeout, session.conn.send(message.envelope(), &message.formatted())).await {
            Ok(Ok(_)) => Outcome::Sent,
            Ok(Err(e)) => failed(&e),
            Err(_) => {
                session.lost = true;
                Outcome::Transient("timed out".into())
            }
        }
    }
}

impl Session {
    /// Whether the session can take another mail (lettre closes it after any error).
    pub fn usable(&self) -> bool {
        !self.lost && !self.conn.has_broken()
    }

    /// Ends the session politely (QUIT), bounded by a short wait.
    pub async fn quit(mut self) {
        if self.usable() {
            let _ = tokio::time::timeout(Duration::from_secs(2), self.conn.quit()).await;
        }
    }
}

/// Sends `mails` (each with its opened body and a tag the caller knows it by) over at most
/// `sessions` sessions at once, each session holding one of `limit`'s permits while it is open,
/// so every company's mails together never open more than the worker's bound. Returns one
/// outcome per mail. A failed connect gives its outcome to the mail that needed it and to every
/// mail still waiting (the server is down or refuses us; they back off together).
pub async fn send_all<T: Send>(
    t: &Transport,
    mails: Vec<(T, Mail, String)>,
    sessions: usize,
    limit: &tokio::sync::Semaphore,
) -> Vec<(T, Outcome)> {
    let queue = Mutex::new(mails.into_iter().collect::<VecDeque<_>>());
    let lanes = (0..sessions.max(1)).map(|_| lane(t, &queue, limit));
    futures_util::future::join_all(lanes).await.into_iter().flatten().collect()
}

/// One session's share of `send_all`: takes mails from the queue until it is empty.
async fn lane<T>(t: &Transport, queue: &Mutex<VecDeque<(T, Mail, String)>>, limit: &tokio::sync::Semaphore) -> Vec<(T, Outcome)> {
    let next = || queue.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
    let mut out = Vec::new();
    let Ok(_permit) = limit.acquire().await else {
        return out;
    };
    let mut session: Option<Session> = None;
    while let Some((tag, m, body)) = next() {
        let open = match session.take().filter(Session::usable) {
            Some(s) => s,
            None => match t.connect().await {
                Ok(s) => s,
                Err(o) => {
                    out.push((tag, o.clone()));
                    while let Some((tag, _, _)) = next() {
                        out.push((tag, o.clone()));
                    }
                    break;
                }
            },
        };
        let s = session.insert(open);
        out.push((tag, t.send(s, &m, body).await));
    }
    if let Some(s) = session {
        s.quit().await;
    }
    out
}
