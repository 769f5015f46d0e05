//! The running relay's control socket: `<data file>.sock`, a Unix socket only the relay's OS
//! user can open (0600). While `dukan relay` serves, it holds its file's exclusive lock, so
//! `dukan relay --add-box`, `--rotate-box` and `--list-boxes` ask it through this socket and
//! the change takes effect at once, without a restart: a box's token is looked up in the file
//! on every link sign-in, a new box signs in right away, and a rotation also ends the box's
//! current link, so the old token stops working then and there. Queued webhooks stay queued.
//!
//! Protocol (as the box's `control`): one request line, one reply line (then rows).
//! `add-box <name>` → `ok <id> <token>`; `rotate-box <id>` → `ok <id> <token>` or
//! `err no box <id>`; `list-boxes` → `ok <n>` then per box `<id>\t<name>\tqueued <depth>\t
//! <connected|offline>`; anything else → `err <text>`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::server::Relay;
use super::store;

/// The socket beside the relay's data file.
pub fn socket_path(data: &Path) -> PathBuf {
    let mut s = data.as_os_str().to_owned();
    s.push(".sock");
    PathBuf::from(s)
}

/// Listens on the socket until the runtime ends (a stale socket file is replaced).
#[cfg(unix)]
pub fn serve(relay: Arc<Relay>, path: &Path) -> std::io::Result<tokio::task::JoinHandle<()>> {
    listen(path, move |line| {
        let relay = relay.clone();
        async move { handle(&relay, &line).await }
    })
}

#[cfg(not(unix))]
pub fn serve(_relay: Arc<Relay>, _path: &Path) -> std::io::Result<tokio::task::JoinHandle<()>> {
    Ok(tokio::spawn(async {}))
}

/// Answers one request line.
pub async fn handle(relay: &Relay, line: &str) -> String {
    let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
    let now = relay.clock.now();
    match cmd {
        "add-box" => {
            let name: String = arg.chars().filter(|c| !c.is_control()).collect();
            if name.trim().is_empty() {
                return "err a box needs a name\n".into();
            }
            match relay.db.write(move |tx| store::add_box(tx, &name, now)).await {
                Ok((id, token)) => {
                    tracing::info!(box_id = id, "relay: box added");
                    format!("ok {id} {token}\n")
                }
                Err(e) => format!("err {e}\n"),
            }
        }
        "rotate-box" => {
            let Ok(id) = arg.trim().parse::<u64>() else {
                return "err rotate-box takes a box id\n".into();
            };
            match relay.db.write(move |tx| store::rotate(tx, id, now)).await {
                Ok(Some(token)) => {
                    // The link signed in with the old token ends now; the box's next sign-in
                    // needs the new one.
                    relay.kick(id);
                    tracing::info!(box_id = id, "relay: box token rotated");
                    format!("ok {id} {token}\n")
                }
                Ok(None) => format!("err no box {id}\n"),
                Err(e) => format!("err {e}\n"),
            }
        }
        "list-boxes" => {
            let boxes = match relay.db.read().map_err(|e| e.to_string()).and_then(|tx| store::boxes(&tx).map_err(|e| e.to_string())) {
                Ok(b) => b,
                Err(e) => return format!("err {e}\n"),
            };
            let mut out = format!("ok {}\n", boxes.len());
            for b in boxes {
                let state = if relay.connected(b.id) { "connected" } else { "offline" };
                out.push_str(&format!("{}\t{}\tqueued {}\t{state}\n", b.id, b.name, b.depth));
            }
            out
        }
        other => format!("err unknown command {other:?}\n"),
    }
}

/// Sends one request to a running relay; `None` when none listens on the socket.
pub fn request(data: &Path, line: &str) -> Option<std::io::Result<String>> {
    request_at(&socket_path(data), line)
}

/// Answers one-line requests on the Unix socket at `path` (mode 0600; a stale file is
/// replaced): each connection's first line (at most 64 KiB) goes to `answer`, whose reply is
/// written back. The relay's socket and the box's (`control`) listen through it.
#[cfg(unix)]
pub fn listen<F, Fut>(path: &Path, answer: F) -> std::io::Result<tokio::task::JoinHandle<()>>
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = String> + Send + 'static,
{
    use std::os::unix::fs::PermissionsExt;
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let _ = std::fs::remove_file(path);
    let listener = tokio::net::UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    let answer = std::sync::Arc::new(answer);
    Ok(tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let answer = answer.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                if BufReader::new(read).take(64 * 1024).read_line(&mut line).await.is_err() {
                    return;
                }
                let reply = answer(line.trim().to_string()).await;
                let _ = write.write_all(reply.as_bytes()).await;
            });
        }
    }))
}

/// Sends one request line to the control socket at `socket` (the relay's, or the box's:
/// `control`) and reads the reply to its end; `None` when nothing listens there.
#[cfg(unix)]
pub fn request_at(socket: &Path, line: &str) -> Option<std::io::Result<String>> {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket).ok()?;
    let mut run = || -> std::io::Result<String> {
        stream.write_all(format!("{line}\n").as_bytes())?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        Ok(reply)
    };
    Some(run())
}

#[cfg(not(unix))]
pub fn request_at(_socket: &Path, _line: &str) -> Option<std::io::Result<String>> {
    None
}
