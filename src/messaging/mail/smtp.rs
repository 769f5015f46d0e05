//! The one place that speaks SMTP (through lettre, rustls for STARTTLS and TLS): builds the
//! message from a queued `Mail`, connects — to a company's own server only at an address the
//! outgoing-address policy allows, resolved here so a name cannot rebind to a forbidden
//! address between check and connect — and classifies lettre's errors into permanent
//! (no retry) and transient ones.

use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::{Mail, Outcome, Security, Server};
use crate::webhooks::guard::Policy;

/// A sender or recipient as lettre takes it (`a@b.c` or `Name <a@b.c>`).
pub fn mailbox(s: &str) -> Option<Mailbox> {
    s.trim().parse::<Mailbox>().ok()
}

/// A transport for one worker step: one connection per message (no pool to go stale).
pub struct Transport {
    inner: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

/// The error text kept in the delivery log: lettre's own words (the server's reply for an
/// SMTP error), one line, bounded.
fn text(e: &impl std::fmt::Display) -> String {
    let t = e.to_string().replace(['\r', '\n'], " ");
    t.chars().take(300).collect()
}

/// Connects nowhere yet: checks the address (for a company's own server) and builds the
/// transport. `Err` is the outcome every mail of this step gets.
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
        Security::Plain => Tls::None,
        Security::StartTls | Security::Tls => {
            let params = TlsParameters::new(tls_name).map_err(|e| Outcome::Permanent(text(&e)))?;
            if server.security == Security::Tls { Tls::Wrapper(params) } else { Tls::Required(params) }
        }
    };
    let hello = from.email.domain().to_string();
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(connect_to)
        .port(server.port)
        .tls(tls)
        .hello_name(ClientId::Domain(hello))
        .timeout(Some(Duration::from_secs(server.timeout_secs)));
    if !server.username.is_empty() {
        b = b.credentials(Credentials::new(server.username.clone(), server.password.clone().unwrap_or_default()));
    }
    Ok(Transport { inner: b.build(), from })
}

/// Sends one mail with its (opened) body; never panics, never retries by itself.
pub async fn send(t: &Transport, m: &Mail, body: String) -> Outcome {
    let Some(to) = mailbox(&m.to) else {
        return Outcome::Permanent("recipient address invalid".into());
    };
    // UTF-8 text as it is (8BITMIME, which every current server offers): readable in the raw
    // message, and a line starting with a dot is dot-stuffed by the transport (RFC 5321
    // §4.5.2). 8bit allows lines of up to 998 octets (RFC 5322 §2.1.1; lettre's own chooser
    // stops at 76, which sends every Russian sentence as base64); a body with a longer line
    // or a NUL falls back to lettre's choice of quoted-printable or base64.
    let body = body.replace("\r\n", "\n").replace('\r', "").replace('\n', "\r\n");
    let fits = !body.contains('\0') && body.split("\r\n").all(|l| l.len() <= 998);
    let body = if fits { Body::dangerous_pre_encoded(body.into_bytes(), ContentTransferEncoding::EightBit) } else { Body::new(body) };
    let message = Message::builder().from(t.from.clone()).to(to).subject(m.subject.clone()).header(ContentType::TEXT_PLAIN).body(body);
    let message = match message {
        Ok(msg) => msg,
        Err(e) => return Outcome::Permanent(text(&e)),
    };
    match t.inner.send(message).await {
        Ok(_) => Outcome::Sent,
        Err(e) if e.is_permanent() => Outcome::Permanent(text(&e)),
        Err(e) => Outcome::Transient(text(&e)),
    }
}
