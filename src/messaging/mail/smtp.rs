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
//! reused session. Both ways in set it: STARTTLS and plain hand lettre a socket opened here;
//! implicit TLS (port 465) opens its socket here too, has lettre upgrade it to TLS (its
//! certificate checks, its rustls configuration) and hands lettre the TLS stream as the
//! transport (`TlsStream`), since lettre's own implicit-TLS connector leaves Nagle on.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
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
            let stream = tokio::net::TcpStream::connect((host, self.port)).await.map_err(|e| Outcome::Transient(text(&e)))?;
            stream.set_nodelay(true).map_err(|e| Outcome::Transient(text(&e)))?;
            let mut conn = match (self.security, &self.tls) {
                (Security::Tls, Some(tls)) => {
                    let stream = TlsStream::over(stream, tls.clone()).await.map_err(|e| failed(&e))?;
                    AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await.map_err(|e| failed(&e))?
                }
                _ => AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await.map_err(|e| failed(&e))?,
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

/// An implicit-TLS stream over a socket opened here (with TCP_NODELAY): lettre's own TLS
/// upgrade, handed back to lettre as a plain transport. lettre's stream type is public but
/// deprecated ("not meant to be made public"); it is the only way to keep lettre's TLS setup
/// while choosing the socket, and a lettre upgrade that drops it fails to compile here.
#[allow(deprecated)]
#[derive(Debug)]
struct TlsStream(AsyncNetworkStream);

#[allow(deprecated)]
impl TlsStream {
    async fn over(stream: tokio::net::TcpStream, tls: TlsParameters) -> Result<TlsStream, lettre::transport::smtp::Error> {
        let mut net = AsyncNetworkStream::use_existing_tokio1(Box::new(stream));
        net.upgrade_tls(tls).await?;
        Ok(TlsStream(net))
    }
}

#[allow(deprecated)]
impl tokio::io::AsyncRead for TlsStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut tokio::io::ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        match futures_io::AsyncRead::poll_read(Pin::new(&mut self.0), cx, buf.initialize_unfilled()) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[allow(deprecated)]
impl tokio::io::AsyncWrite for TlsStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        futures_io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        futures_io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        futures_io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

#[allow(deprecated)]
impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

    use super::*;

    /// A self-signed certificate for `localhost` (P-256, valid until 2126) and its key, DER in base64.
    const CERT: &str = "MIIBlTCCATugAwIBAgIUdhE4GeyAsRHKjqXtJCC5NZNMc18wCgYIKoZIzj0EAwIwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNzIyMzkwNFoYDzIxMjYxMTEzMjIzOTA0WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASONdu7gK0QXW95r7pVF8YlyzLJ04z+4uBo+aVzhTTeZe/gdC6dXVXOVUwTyrCQf4tXOrlS16f7NsgPYHkbRaHco2kwZzAdBgNVHQ4EFgQU8M+QrZ5JSU+zFzOhPHcX69+JWVgwHwYDVR0jBBgwFoAU8M+QrZ5JSU+zFzOhPHcX69+JWVgwDwYDVR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwIDSAAwRQIhAJ2BMdMrSxo0KnVy/66btFRDZjpCo3Vo90FahFhf5VERAiBzc0X2JzbxyVFd9georTdw18kyOMdaYI4eXf/6S63BeQ==";
    const KEY: &str = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgwq7jLn6S4qtvS/56SDBcXQYBNwvPPe6vbblYN6aFCaKhRANCAASONdu7gK0QXW95r7pVF8YlyzLJ04z+4uBo+aVzhTTeZe/gdC6dXVXOVUwTyrCQf4tXOrlS16f7NsgPYHkbRaHc";

    /// Greets, answers EHLO and QUIT as an SMTP server does (enough for a session to open).
    async fn converse(stream: impl AsyncRead + AsyncWrite) {
        let (r, mut w) = tokio::io::split(stream);
        let mut lines = BufReader::new(r).lines();
        let _ = w.write_all(b"220 localhost ESMTP test\r\n").await;
        while let Ok(Some(l)) = lines.next_line().await {
            let reply: &[u8] = match l.get(..4) {
                Some("EHLO") => b"250-localhost\r\n250 8BITMIME\r\n",
                Some("QUIT") => b"221 bye\r\n",
                _ => b"502 not here\r\n",
            };
            let _ = w.write_all(reply).await;
            if l.starts_with("QUIT") {
                break;
            }
        }
    }

    /// An SMTP server on loopback, on implicit TLS when `tls`; reports each client's port.
    async fn server(tls: bool) -> (u16, tokio::sync::mpsc::Receiver<u16>) {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let cert = rustls::pki_types::CertificateDer::from(b64.decode(CERT).unwrap());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(b64.decode(KEY).unwrap().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (seen, peers) = tokio::sync::mpsc::channel(4);
        tokio::spawn(async move {
            while let Ok((tcp, peer)) = listener.accept().await {
                let _ = seen.send(peer.port()).await;
                if tls {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        tokio::spawn(converse(stream));
                    }
                } else {
                    tokio::spawn(converse(tcp));
                }
            }
        });
        (port, peers)
    }

    /// TCP_NODELAY of this process's socket from local port `local` to `remote` on loopback.
    fn nodelay(local: u16, remote: u16) -> Option<bool> {
        let port_of = |f: unsafe extern "C" fn(libc::c_int, *mut libc::sockaddr, *mut libc::socklen_t) -> libc::c_int, fd| {
            // SAFETY: a zeroed sockaddr_in is valid; the call writes at most `len` bytes into it.
            let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
            let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let rc = unsafe { f(fd, (&raw mut addr).cast(), &mut len) };
            (rc == 0 && i32::from(addr.sin_family) == libc::AF_INET).then(|| u16::from_be(addr.sin_port))
        };
        (0..4096).find(|&fd| port_of(libc::getsockname, fd) == Some(local) && port_of(libc::getpeername, fd) == Some(remote)).map(|fd| {
            let mut on: libc::c_int = 0;
            let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
            // SAFETY: `on` is a c_int and `len` its size, as TCP_NODELAY takes.
            let rc = unsafe { libc::getsockopt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, (&raw mut on).cast(), &mut len) };
            rc == 0 && on != 0
        })
    }

    fn transport(port: u16, security: Security) -> Transport {
        let tls = (security == Security::Tls)
            .then(|| TlsParameters::builder("localhost".into()).dangerous_accept_invalid_certs(true).build_rustls().unwrap());
        Transport {
            connect_to: "127.0.0.1".into(),
            port,
            security,
            tls,
            hello: ClientId::Domain("shop.kg".into()),
            credentials: None,
            timeout: Duration::from_secs(10),
            from: mailbox("box@shop.kg").unwrap(),
        }
    }

    #[tokio::test]
    async fn implicit_tls_and_plain_sessions_open_with_tcp_nodelay() {
        for security in [Security::Tls, Security::Plain] {
            let (port, mut peers) = server(security == Security::Tls).await;
            let session = transport(port, security).connect().await.unwrap_or_else(|o| panic!("{security:?}: {o:?}"));
            assert!(session.usable());
            let client = peers.recv().await.unwrap();
            assert_eq!(nodelay(client, port), Some(true), "{security:?}");
            session.quit().await;
        }
    }
}
