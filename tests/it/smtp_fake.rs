//! An SMTP server written to RFC 5321 for tests and the notification bench: the 220 greeting,
//! EHLO/HELO, MAIL FROM, RCPT TO (a recipient on the refused list gets `550`), DATA with
//! dot-stuffing undone (§4.5.2) up to the lone `.` line, RSET, NOOP, QUIT. A message counts
//! as delivered only once the server has answered `250` after its data; `drop_next(n)` makes
//! the next `n` messages end with the connection closed instead of that answer, as a server
//! that crashes mid-transaction does — the client must retry, and the message is delivered
//! once. Also used by `benches/messaging_mail.rs` (included by path).

#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// A message the fake accepted.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body), dot-stuffing undone, CRLF line ends.
    pub data: String,
}

#[derive(Clone, Default)]
pub struct SmtpFake {
    pub port: u16,
    pub messages: Arc<Mutex<Vec<Received>>>,
    refused: Arc<Mutex<HashSet<String>>>,
    drops: Arc<AtomicUsize>,
    /// Connections accepted (each SMTP session).
    pub sessions: Arc<AtomicUsize>,
}

impl SmtpFake {
    pub async fn start() -> SmtpFake {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp fake");
        let fake = SmtpFake { port: listener.local_addr().expect("addr").port(), ..SmtpFake::default() };
        let f = fake.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                f.sessions.fetch_add(1, Ordering::SeqCst);
                let f = f.clone();
                tokio::spawn(async move {
                    let _ = f.session(socket).await;
                });
            }
        });
        fake
    }

    /// Refuses this recipient with `550` at RCPT TO.
    pub fn refuse(&self, address: &str) {
        self.refused.lock().expect("lock").insert(address.to_ascii_lowercase());
    }

    /// The next `n` messages end with the connection dropped after their data.
    pub fn drop_next(&self, n: usize) {
        self.drops.store(n, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.messages.lock().expect("lock").clone()
    }

    pub fn count(&self) -> usize {
        self.messages.lock().expect("lock").len()
    }

    /// Waits until `n` messages arrived (or panics after `secs`).
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(std::time::Instant::now() < until, "the SMTP fake got {} of {n} messages", got.len());
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    async fn session(&self, socket: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 fake.test ESMTP ready\r\n").await?;
        let (mut from, mut to): (Option<String>, Vec<String>) = (None, Vec::new());
        let mut greeted = false;
        loop {
            let mut line = String::new();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let cmd = line.trim_end_matches(['\r', '\n']);
            let verb = cmd.split([' ', ':']).next().unwrap_or("").to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => {
                    greeted = true;
                    from = None;
                    to.clear();
                    write.write_all(b"250-fake.test greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n").await?;
                }
                "HELO" => {
                    greeted = true;
                    write.write_all(b"250 fake.test\r\n").await?;
                }
                "MAIL" if !greeted => write.write_all(b"503 5.5.1 EHLO first\r\n").await?,
                "MAIL" => {
                    from = Some(path_of(cmd));
                    to.clear();
                    write.write_all(b"250 2.1.0 OK\r\n").await?;
                }
                "RCPT" if from.is_none() => write.write_all(b"503 5.5.1 MAIL first\r\n").await?,
                "RCPT" => {
                    let rcpt = path_of(cmd);
                    if self.refused.lock().expect("lock").contains(&rcpt.to_ascii_lowercase()) {
                        write.write_all(format!("550 5.1.1 <{rcpt}>: mailbox unavailable\r\n").as_bytes()).await?;
                    } else {
                        to.push(rcpt);
                        write.write_all(b"250 2.1.5 OK\r\n").await?;
                    }
                }
                "DATA" if to.is_empty() => write.write_all(b"554 5.5.1 no valid recipients\r\n").await?,
                "DATA" => {
                    write.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n").await?;
                    let mut data = String::new();
                    loop {
                        let mut l = String::new();
                        if lines.read_line(&mut l).await? == 0 {
                            return Ok(());
                        }
                        let bare = l.trim_end_matches(['\r', '\n']);
                        if bare == "." {
                            break;
                        }
                        // §4.5.2: a leading dot was doubled by the client; take one away.
                        let bare = bare.strip_prefix('.').unwrap_or(bare);
                        data.push_str(bare);
                        data.push_str("\r\n");
                    }
                    let dropped = self.drops.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    if dropped {
                        // The server "crashes": no reply, the message is not accepted.
                        return Ok(());
                    }
                    self.messages.lock().expect("lock").push(Received {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                        data,
                    });
                    write.write_all(b"250 2.0.0 OK queued\r\n").await?;
                }
                "RSET" => {
                    from = None;
                    to.clear();
                    write.write_all(b"250 2.0.0 OK\r\n").await?;
                }
                "NOOP" => write.write_all(b"250 2.0.0 OK\r\n").await?,
                "QUIT" => {
                    write.write_all(b"221 2.0.0 bye\r\n").await?;
                    return Ok(());
                }
                _ => write.write_all(b"500 5.5.2 command not recognized\r\n").await?,
            }
        }
    }
}

/// The address inside `<...>` of a MAIL FROM / RCPT TO command.
fn path_of(cmd: &str) -> String {
    cmd.split_once('<').and_then(|(_, rest)| rest.split_once('>')).map(|(a, _)| a.to_string()).unwrap_or_default()
}
