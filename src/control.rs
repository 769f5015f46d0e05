//! The control socket: `<data>/dukan.sock`, a Unix socket only the server's OS user can open.
//! While the server runs it holds redb's exclusive lock, so `dukan backup` and `dukan check`
//! ask the running server through this socket instead of opening the file themselves.
//!
//! Protocol: one request line, one reply line. `backup <absolute path>` → `ok <bytes> <rows>`;
//! `check` → `ok 0` or `problems <n>` followed by one line per problem; errors → `err <text>`.

use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::app::App;

pub fn socket_path(data: &Path) -> PathBuf {
    data.join("dukan.sock")
}

#[cfg(unix)]
pub async fn serve(app: App) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let path = socket_path(&app.config.data);
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let app = app.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut line = String::new();
                if BufReader::new(read).read_line(&mut line).await.is_err() {
                    return;
                }
                let reply = handle(&app, line.trim()).await;
                let _ = write.write_all(reply.as_bytes()).await;
            });
        }
    });
    Ok(())
}

#[cfg(not(unix))]
pub async fn serve(_app: App) -> std::io::Result<()> {
    Ok(())
}

async fn handle(app: &App, line: &str) -> String {
    let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
    match cmd {
        "backup" => {
            let out = PathBuf::from(arg);
            let a = app.clone();
            match tokio::task::spawn_blocking(move || crate::backup::take(&a.db, &a.tables, &out)).await {
                Ok(Ok(v)) => format!("ok {} {}\n", v.bytes, v.rows),
                Ok(Err(e)) => format!("err {e}\n"),
                Err(e) => format!("err {e}\n"),
            }
        }
        "check" => match crate::check::run(&app.db) {
            Ok(p) if p.is_empty() => "ok 0\n".to_string(),
            Ok(p) => format!("problems {}\n{}\n", p.len(), p.join("\n")),
            Err(e) => format!("err {e}\n"),
        },
        _ => "err unknown command\n".to_string(),
    }
}

/// Sends one request to a running server; `None` when no server listens.
#[cfg(unix)]
pub fn request(data: &Path, line: &str) -> Option<std::io::Result<String>> {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket_path(data)).ok()?;
    let mut run = || -> std::io::Result<String> {
        stream.write_all(format!("{line}\n").as_bytes())?;
        let mut reply = String::new();
        stream.read_to_string(&mut reply)?;
        Ok(reply)
    };
    Some(run())
}

#[cfg(not(unix))]
pub fn request(_data: &Path, _line: &str) -> Option<std::io::Result<String>> {
    None
}
