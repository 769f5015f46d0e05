//! Simulated scales for tests and benches: one answers its protocol's requests with a weight
//! and state the test sets, over a TCP socket or a pty pair (the worker opens the pty's slave
//! path as it would `/dev/ttyUSB0`). `pull_cable` makes it go silent, `cut_next` sends only
//! the first half of its next answer — the cases a worker must survive without a bad reading.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::proto::{self, Command, Protocol, Reading, Req, State, Unit};

/// What the simulated platform holds and shows.
#[derive(Debug, Clone, Copy)]
struct Platform {
    /// The load on the platform in grams.
    grams: i64,
    /// The zero point set by Zero.
    zero: i64,
    /// The tare set by Tare.
    tare: i64,
    state: State,
}

/// A simulated scale; clones share the same platform.
#[derive(Clone)]
pub struct Sim {
    pub protocol: Protocol,
    platform: Arc<Mutex<Platform>>,
    silent: Arc<AtomicBool>,
    cut: Arc<AtomicBool>,
    /// Requests answered (for tests that wait for a poll).
    pub polls: Arc<std::sync::atomic::AtomicU64>,
}

impl Sim {
    pub fn new(protocol: Protocol) -> Sim {
        Sim {
            protocol,
            platform: Arc::new(Mutex::new(Platform { grams: 0, zero: 0, tare: 0, state: State::Stable })),
            silent: Arc::new(AtomicBool::new(false)),
            cut: Arc::new(AtomicBool::new(false)),
            polls: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    fn platform(&self) -> std::sync::MutexGuard<'_, Platform> {
        self.platform.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Puts `grams` on the platform, reported in `state`.
    pub fn set(&self, grams: i64, state: State) {
        let mut p = self.platform();
        p.grams = grams;
        p.state = state;
    }

    /// The net weight the display shows, in grams.
    pub fn shown(&self) -> i64 {
        let p = self.platform();
        p.grams - p.zero - p.tare
    }

    pub fn tare(&self) -> i64 {
        self.platform().tare
    }

    /// Stops answering (a cable pulled) or answers again.
    pub fn pull_cable(&self, pulled: bool) {
        self.silent.store(pulled, Ordering::SeqCst);
    }

    /// The next answer is cut in half, then the scale goes silent.
    pub fn cut_next(&self) {
        self.cut.store(true, Ordering::SeqCst);
    }

    /// Answers every whole request at the start of `input`, draining it.
    pub fn respond(&self, input: &mut Vec<u8>) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let req = match self.protocol {
                Protocol::Mt8217 => proto::mt8217::request_of(input),
                Protocol::Sics => proto::sics::request_of(input),
                Protocol::Cas => proto::cas::request_of(input),
                Protocol::CasPd2 => match proto::cas::request_of(input) {
                    Req::Enquiry(n) => Req::Skip(n),
                    Req::Cmd(Command::Weigh, 1) if input.first() != Some(&b'W') => Req::Skip(1),
                    other => other,
                },
                Protocol::Esp => proto::esp::request_of(input),
                Protocol::Pos2 => proto::pos2::request_of(input),
                Protocol::Digi => proto::digi::request_of(input),
                Protocol::Sma => proto::sma::request_of(input),
            };
            match req {
                Req::Need => break,
                Req::Skip(n) => {
                    input.drain(..n.min(input.len()));
                }
                Req::Enquiry(n) => {
                    input.drain(..n.min(input.len()));
                    out.extend(proto::cas::ack());
                }
                Req::Cmd(cmd, n) => {
                    input.drain(..n.min(input.len()));
                    out.extend(self.answer(cmd));
                }
            }
        }
        if self.silent.load(Ordering::SeqCst) {
            return Vec::new();
        }
        if !out.is_empty() {
            self.polls.fetch_add(1, Ordering::SeqCst);
            if self.cut.swap(false, Ordering::SeqCst) {
                out.truncate(out.len() / 2);
                self.silent.store(true, Ordering::SeqCst);
            }
        }
        out
    }

    fn answer(&self, cmd: Command) -> Vec<u8> {
        let mut p = self.platform();
        match cmd {
            Command::Zero if p.state == State::Stable => p.zero = p.grams - p.tare,
            Command::Tare if p.state == State::Stable => p.tare = p.grams - p.zero,
            _ => {}
        }
        let net = p.grams - p.zero - p.tare;
        let reading = Reading::new(Decimal::new(net, 3), Unit::Kg, p.state);
        let tare = Decimal::new(p.tare, 3);
        match (self.protocol, cmd) {
            (Protocol::Mt8217, Command::Weigh) => proto::mt8217::answer(&reading, p.tare != 0),
            (Protocol::Mt8217, _) => Vec::new(),
            (Protocol::Sics, Command::Weigh) => proto::sics::answer(&reading),
            (Protocol::Sics, cmd) => proto::sics::ack(cmd, tare),
            (Protocol::Cas | Protocol::CasPd2, Command::Weigh) => proto::cas::answer(&reading),
            (Protocol::Cas | Protocol::CasPd2, _) => proto::cas::ack(),
            (Protocol::Esp, Command::Weigh) if matches!(p.state, State::Stable | State::Unstable) => proto::esp::answer(&reading),
            (Protocol::Digi, Command::Weigh) if matches!(p.state, State::Stable | State::Unstable) => proto::digi::answer(net),
            (Protocol::Esp | Protocol::Digi, _) => Vec::new(),
            (Protocol::Pos2, Command::Weigh) => {
                proto::pos2::answer(&reading, i32::try_from(net).unwrap_or(i32::MAX), u16::try_from(p.tare).unwrap_or(u16::MAX))
            }
            (Protocol::Pos2, Command::Zero) => proto::pos2::ack(proto::pos2::ZERO),
            (Protocol::Pos2, Command::Tare) => proto::pos2::ack(proto::pos2::TARE),
            (Protocol::Sma, _) => proto::sma::answer(&reading, p.tare != 0),
        }
    }

    /// Serves the scale on 127.0.0.1 (a TCP serial server); returns its port. Every
    /// connection talks to the same platform.
    pub async fn serve_tcp(&self) -> io::Result<u16> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let sim = self.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let sim = sim.clone();
                tokio::spawn(async move {
                    let mut input = Vec::new();
                    let mut chunk = [0u8; 256];
                    loop {
                        let n = match stream.read(&mut chunk).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        input.extend_from_slice(&chunk[..n]);
                        let out = sim.respond(&mut input);
                        if !out.is_empty() && stream.write_all(&out).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        Ok(port)
    }

    /// Serves the scale on a new pty pair; returns the slave's path (`/dev/pts/N`) for the
    /// scale's settings. The simulator keeps the slave open too, so the worker may close and
    /// reopen it (a reconnect) without the pair hanging up.
    #[cfg(target_os = "linux")]
    pub fn serve_pty(&self) -> io::Result<String> {
        use std::os::fd::{FromRawFd, OwnedFd};
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two descriptors into the given ints; name, termios and window
        // size are optional and passed as null.
        let rc = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just opened by openpty and are owned here alone.
        let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let path = std::fs::read_link(format!("/proc/self/fd/{}", std::os::fd::AsRawFd::as_raw_fd(&slave)))?;
        // SAFETY: a termios struct is plain data; tcgetattr fills it before it is used.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(std::os::fd::AsRawFd::as_raw_fd(&slave), &mut t) == 0 {
                libc::cfmakeraw(&mut t);
                libc::tcsetattr(std::os::fd::AsRawFd::as_raw_fd(&slave), libc::TCSANOW, &t);
            }
        }
        let sim = self.clone();
        let mut file = std::fs::File::from(master);
        std::thread::Builder::new().name("scale-sim".into()).spawn(move || {
            use std::io::{Read, Write};
            let _slave = slave;
            let mut input = Vec::new();
            let mut chunk = [0u8; 256];
            loop {
                let n = match file.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => n,
                    // EIO while no slave is open: wait for the worker to reopen it.
                    Err(_) => {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        continue;
                    }
                };
                input.extend_from_slice(&chunk[..n]);
                let out = sim.respond(&mut input);
                if !out.is_empty() && file.write_all(&out).is_err() {
                    break;
                }
            }
        })?;
        Ok(path.to_string_lossy().into_owned())
    }
}
