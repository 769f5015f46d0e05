//! Sending a job to a printer: TCP (port 9100), serial (tokio-serial) or a USB printer device
//! file. Bidirectional transports first ask for status (`DLE EOT 1/2/4`); a printer that says
//! paper out, cover open or offline gets nothing and the job waits. A printer that does not
//! answer within `STATUS_WAIT` is treated as one that cannot report (most clones over USB).
//! The error a send returns is a fixed vocabulary (`connection refused`, `timeout`, …), never
//! the socket's text, so the printer status cannot be used to probe hosts and ports.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::Transport;
use super::escpos::{Health, STATUS_QUERY};

const CONNECT: Duration = Duration::from_secs(3);
const STATUS_WAIT: Duration = Duration::from_millis(700);
const WRITE: Duration = Duration::from_secs(20);

/// Sends `bytes`; returns what the printer reported and the error when the job did not print.
pub async fn send(t: &Transport, bytes: &[u8]) -> (Health, Option<String>) {
    send_to(t, bytes, true).await
}

/// Sends `bytes`, first asking for ESC/POS status over a two-way link when `ask` (a TSPL
/// label printer is not asked: `DLE EOT` means nothing to it).
pub async fn send_to(t: &Transport, bytes: &[u8], ask: bool) -> (Health, Option<String>) {
    match t {
        Transport::Tcp { host, port } => {
            let addr = format!("{host}:{port}");
            match tokio::time::timeout(CONNECT, tokio::net::TcpStream::connect(&addr)).await {
                Ok(Ok(stream)) => talk(stream, bytes, ask).await,
                Ok(Err(e)) => (Health::Unreachable, Some(io_class(&e).into())),
                Err(_) => (Health::Unreachable, Some("timeout".into())),
            }
        }
        Transport::Serial { path, baud } => {
            let opened = tokio_serial::SerialStream::open(&tokio_serial::new(path, *baud).timeout(CONNECT));
            match opened {
                Ok(stream) => talk(stream, bytes, ask).await,
                Err(_) => (Health::Unreachable, Some("cannot open the port".into())),
            }
        }
        Transport::Usb { path } => {
            let opened = tokio::fs::OpenOptions::new().write(true).open(path).await;
            match opened {
                Ok(file) => talk(file, bytes, false).await,
                Err(e) => (Health::Unreachable, Some(io_class(&e).into())),
            }
        }
    }
}

async fn talk<S: AsyncRead + AsyncWrite + Unpin>(mut s: S, bytes: &[u8], ask: bool) -> (Health, Option<String>) {
    let mut health = Health::Unknown;
    if ask {
        if s.write_all(&STATUS_QUERY).await.is_err() {
            return (Health::Unreachable, Some("write failed".into()));
        }
        let mut answers = [0u8; 3];
        let mut got = 0;
        let read = tokio::time::timeout(STATUS_WAIT, async {
            while got < 3 {
                match s.read(&mut answers[got..]).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got += n,
                }
            }
        })
        .await;
        if read.is_ok() && got == 3 {
            health = Health::from_answers(answers);
        }
        if !health.can_print() {
            return (health, Some(format!("printer reports {}", health.code())));
        }
    }
    let written = tokio::time::timeout(WRITE, async {
        s.write_all(bytes).await?;
        s.flush().await?;
        s.shutdown().await
    })
    .await;
    match written {
        Ok(Ok(())) => (health, None),
        Ok(Err(_)) => (Health::Unreachable, Some("write failed".into())),
        Err(_) => (Health::Unreachable, Some("timeout".into())),
    }
}

/// A connect or open error as one of a few fixed words.
fn io_class(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused",
        std::io::ErrorKind::TimedOut => "timeout",
        std::io::ErrorKind::NotFound => "no such device",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::HostUnreachable | std::io::ErrorKind::NetworkUnreachable => "unreachable",
        _ => "connection failed",
    }
}
