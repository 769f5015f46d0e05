//! The scale workers: one supervised task per active scale polls it (`Weigh` every
//! [`POLL`]), keeps its live [`Status`] in memory and publishes every change to the live hub
//! (topic `scale:<id>`). A port that fails to open or stops answering turns the scale
//! `disconnected`, and the task reconnects with backoff by itself. Zero and tare are orders
//! the task runs between polls, so only it ever talks to the port.
//!
//! What the till may take is decided here ([`Devices::take`]): a stable reading above zero,
//! fresh, and the first since the weight last returned to zero.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use super::proto::{Answer, Command, Decoded, Line, MAX_FRAME, Parity, Protocol, SETTLE, State};
use super::{Link, Reach, Scale, Taken};
use crate::clock::{Clock, Ts};
use crate::error::{Error, Result};
use crate::ids::{CompanyId, LabelScaleId, ScaleId};
use crate::live::{Event, Hub};

/// Time between polls of a connected scale.
pub const POLL: Duration = Duration::from_millis(50);
/// How long an answer may take.
const ANSWER: Duration = Duration::from_millis(500);
/// How long Detect waits for each probe's answer.
const PROBE: Duration = Duration::from_millis(400);
const CONNECT: Duration = Duration::from_secs(3);
/// Unanswered polls in a row that make a connected scale `disconnected` (and reconnect).
const MISSES: u32 = 3;
/// A stable reading older than this is not taken (the worker is stuck or the scale is gone).
const FRESH_MS: i64 = 2_000;

/// The live condition of a scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Condition {
    Stable,
    Unstable,
    Overload,
    Underload,
    Disconnected,
}

impl Condition {
    pub fn code(self) -> &'static str {
        match self {
            Condition::Stable => "stable",
            Condition::Unstable => "unstable",
            Condition::Overload => "overload",
            Condition::Underload => "underload",
            Condition::Disconnected => "disconnected",
        }
    }

    fn of(s: State) -> Condition {
        match s {
            State::Stable => Condition::Stable,
            State::Unstable => Condition::Unstable,
            State::Overload => Condition::Overload,
            State::Underload => Condition::Underload,
        }
    }
}

/// What a scale shows now (memory only).
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub state: Condition,
    /// Net grams at the scale's resolution.
    pub grams: i64,
    pub tare_grams: i64,
    /// When the scale last answered with a weight.
    pub last_good: Option<Ts>,
    /// Failed opens, unanswered polls and broken connections since start.
    pub errors: u64,
    /// Why it is disconnected, in a fixed vocabulary.
    pub detail: &'static str,
    /// The weight returned to zero since the last take.
    #[serde(skip)]
    armed: bool,
    /// Equal weights in a row (for protocols without a stability flag).
    #[serde(skip)]
    same: u32,
}

impl Status {
    fn new() -> Status {
        Status {
            state: Condition::Disconnected,
            grams: 0,
            tare_grams: 0,
            last_good: None,
            errors: 0,
            detail: "connecting",
            armed: true,
            same: 0,
        }
    }

    pub fn kg(&self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::new(self.grams, 3)
    }

    /// The live event pages and the bench read: `{"scale":…,"state":…,"grams":…,"kg":"1.234",…}`.
    pub fn event(&self, id: ScaleId) -> Event {
        let data = serde_json::json!({
            "scale": id.0,
            "state": self.state.code(),
            "grams": self.grams,
            "kg": self.kg().to_string(),
            "tare_grams": self.tare_grams,
            "last_good": self.last_good.map(|t| t.0),
            "errors": self.errors,
        });
        Event::new("weight", data.to_string())
    }
}

type Order = (Command, oneshot::Sender<bool>);

struct Entry {
    scale: Scale,
    status: Arc<Mutex<Status>>,
    orders: mpsc::Sender<Order>,
    task: tokio::task::JoinHandle<()>,
}

/// Every running scale worker, owned by `App`.
pub struct Devices {
    live: Arc<Hub>,
    clock: Arc<dyn Clock>,
    reach: Reach,
    entries: Mutex<HashMap<(CompanyId, ScaleId), Entry>>,
    /// The connected agent of each label scale: a newer connection with the same token takes
    /// the scale over and the older one is told to leave, so two agents never sync one scale.
    agents: Mutex<HashMap<(CompanyId, LabelScaleId), AgentSlot>>,
    next_agent: std::sync::atomic::AtomicU64,
}

/// The connection id of a scale's agent and the signal that tells it to leave.
type AgentSlot = (u64, Arc<tokio::sync::Notify>);

/// A label-scale agent's claim on its scale (see [`Devices::claim_agent`]); released on drop.
pub struct AgentClaim<'d> {
    devices: &'d Devices,
    key: (CompanyId, LabelScaleId),
    id: u64,
    replaced: Arc<tokio::sync::Notify>,
}

impl AgentClaim<'_> {
    /// Resolves when a newer connection for the same scale has taken over.
    pub async fn replaced(&self) {
        self.replaced.notified().await
    }
}

impl Drop for AgentClaim<'_> {
    fn drop(&mut self) {
        let mut agents = lock(&self.devices.agents);
        if agents.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
            agents.remove(&self.key);
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Devices {
    pub fn new(live: Arc<Hub>, clock: Arc<dyn Clock>, reach: Reach) -> Devices {
        Devices {
            live,
            clock,
            reach,
            entries: Mutex::new(HashMap::new()),
            agents: Mutex::new(HashMap::new()),
            next_agent: std::sync::atomic::AtomicU64::new(1),
        }
    }

    /// Registers the agent connection of a label scale; an earlier one is told to leave
    /// (newest wins: the usual cause is the same agent reconnecting before its old half-open
    /// connection timed out).
    pub fn claim_agent(&self, c: CompanyId, scale: LabelScaleId) -> AgentClaim<'_> {
        let id = self.next_agent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let replaced = Arc::new(tokio::sync::Notify::new());
        if let Some((_, older)) = lock(&self.agents).insert((c, scale), (id, replaced.clone())) {
            // `notify_one` stores a permit, so the older session leaves even if it is not
            // waiting at this instant.
            older.notify_one();
        }
        AgentClaim { devices: self, key: (c, scale), id, replaced }
    }

    /// Label scales with an agent connected now.
    pub fn agents_connected(&self, c: CompanyId) -> Vec<LabelScaleId> {
        lock(&self.agents).keys().filter(|(company, _)| *company == c).map(|(_, id)| *id).collect()
    }

    pub fn reach(&self) -> &Reach {
        &self.reach
    }

    /// Starts (or restarts with new settings) the worker of `scale`, or stops it when the
    /// scale is gone or inactive. Must run on the tokio runtime.
    pub fn apply(&self, c: CompanyId, id: ScaleId, scale: Option<Scale>) {
        let mut entries = lock(&self.entries);
        if let Some(old) = entries.remove(&(c, id)) {
            old.task.abort();
        }
        let Some(scale) = scale.filter(|s| s.active) else { return };
        let status = Arc::new(Mutex::new(Status::new()));
        let (orders, rx) = mpsc::channel(4);
        let worker = Worker {
            company: c,
            scale: scale.clone(),
            status: status.clone(),
            live: self.live.clone(),
            clock: self.clock.clone(),
            reach: self.reach.clone(),
        };
        let task = tokio::spawn(worker.run(rx));
        entries.insert((c, id), Entry { scale, status, orders, task });
    }

    /// Starts the workers of every active scale (at server start).
    pub fn start_all(&self, scales: Vec<(CompanyId, Scale)>) {
        for (c, s) in scales {
            self.apply(c, s.id, Some(s));
        }
    }

    /// Stops every worker (tests and shutdown).
    pub fn stop_all(&self) {
        for (_, e) in lock(&self.entries).drain() {
            e.task.abort();
        }
    }

    /// Publishes the scale's current status to its topic: a page that just subscribed gets
    /// what changed between its render and its subscription.
    pub fn announce(&self, c: CompanyId, id: ScaleId) {
        if let Some(st) = self.status(c, id) {
            self.live.publish(c, &format!("scale:{id}"), st.event(id));
        }
    }

    /// Every running scale with its name and status, by company and id (the operations page).
    pub fn states(&self) -> Vec<(CompanyId, ScaleId, String, Status)> {
        let entries = lock(&self.entries);
        let mut out: Vec<_> = entries.iter().map(|(k, e)| (k.0, k.1, e.scale.name.clone(), lock(&e.status).clone())).collect();
        out.sort_by_key(|r| (r.0, r.1));
        out
    }

    pub fn status(&self, c: CompanyId, id: ScaleId) -> Option<Status> {
        lock(&self.entries).get(&(c, id)).map(|e| lock(&e.status).clone())
    }

    /// The reading the till takes from `id`, or why not. Taking disarms the scale until its
    /// weight returns to zero; a till whose transaction then fails calls [`Devices::untake`].
    pub fn take(&self, c: CompanyId, id: ScaleId) -> Result<Taken> {
        let entries = lock(&self.entries);
        let Some(e) = entries.get(&(c, id)) else { return Err(offline()) };
        let mut st = lock(&e.status);
        let now = self.clock.now();
        let fresh = st.last_good.is_some_and(|t| now.0.saturating_sub(t.0) <= FRESH_MS);
        match st.state {
            Condition::Stable if fresh => {}
            Condition::Stable | Condition::Disconnected => return Err(offline()),
            Condition::Unstable => {
                return Err(Error::refused("scale_unstable", "Вес не успокоился: подождите", "The weight is not stable yet: wait"));
            }
            Condition::Overload => return Err(Error::refused("scale_overload", "Весы перегружены", "The scale is overloaded")),
            Condition::Underload => {
                return Err(Error::refused("scale_underload", "Весы показывают меньше нуля", "The scale reads below zero"));
            }
        }
        if st.grams <= 0 {
            return Err(Error::refused("scale_empty", "На весах ничего нет", "Nothing is on the scale"));
        }
        if !st.armed {
            return Err(Error::refused(
                "scale_not_zeroed",
                "Этот вес уже взят: снимите товар, чтобы весы вернулись к нулю",
                "This weight was already taken: clear the scale so it returns to zero",
            ));
        }
        st.armed = false;
        Ok(Taken { scale: Some(id), grams: st.grams, tare_grams: st.tare_grams, at: st.last_good.unwrap_or(now), manual: false })
    }

    /// A taken reading was not used (the sale line was refused): it may be taken again.
    pub fn untake(&self, c: CompanyId, id: ScaleId) {
        if let Some(e) = lock(&self.entries).get(&(c, id)) {
            lock(&e.status).armed = true;
        }
    }

    /// Zero or tare, run by the scale's worker between polls.
    pub async fn order(&self, c: CompanyId, id: ScaleId, cmd: Command) -> Result<()> {
        let (sender, protocol) = match lock(&self.entries).get(&(c, id)) {
            Some(e) => (e.orders.clone(), e.scale.protocol),
            None => return Err(offline()),
        };
        if !protocol.zero_tare() {
            return Err(Error::refused(
                "scale_no_zero_tare",
                "Эти весы нельзя обнулить или тарировать отсюда: нажмите кнопку на весах",
                "This scale cannot be zeroed or tared from here: use its own keys",
            ));
        }
        let (tx, rx) = oneshot::channel();
        if sender.send((cmd, tx)).await.is_err() {
            return Err(offline());
        }
        match tokio::time::timeout(Duration::from_secs(3), rx).await {
            Ok(Ok(true)) => Ok(()),
            Ok(Ok(false)) => Err(Error::refused("scale_refused", "Весы не выполнили команду", "The scale refused the command")),
            _ => Err(offline()),
        }
    }

    /// Prometheus lines: per scale its state and error count.
    pub fn metrics(&self) -> String {
        let mut out = String::from("# TYPE dukan_scale_state gauge\n# TYPE dukan_scale_errors_total counter\n");
        let entries = lock(&self.entries);
        let mut keys: Vec<_> = entries.keys().copied().collect();
        keys.sort();
        for k in keys {
            let Some(e) = entries.get(&k) else { continue };
            let st = lock(&e.status);
            let labels = format!("company=\"{}\",scale=\"{}\"", k.0, k.1);
            for c in [Condition::Stable, Condition::Unstable, Condition::Overload, Condition::Underload, Condition::Disconnected] {
                out.push_str(&format!("dukan_scale_state{{{labels},state=\"{}\"}} {}\n", c.code(), u8::from(st.state == c)));
            }
            out.push_str(&format!("dukan_scale_errors_total{{{labels}}} {}\n", st.errors));
        }
        out
    }

    /// Stops the worker of an existing scale while `f` uses its port (Detect), then restarts it.
    pub fn pause(&self, c: CompanyId, id: ScaleId) -> Option<Scale> {
        let e = lock(&self.entries).remove(&(c, id))?;
        e.task.abort();
        Some(e.scale)
    }
}

fn offline() -> Error {
    Error::refused("scale_offline", "Весы не на связи", "The scale is not connected")
}

struct Worker {
    company: CompanyId,
    scale: Scale,
    status: Arc<Mutex<Status>>,
    live: Arc<Hub>,
    clock: Arc<dyn Clock>,
    reach: Reach,
}

impl Worker {
    fn topic(&self) -> String {
        format!("scale:{}", self.scale.id)
    }

    fn publish(&self, st: &Status) {
        self.live.publish(self.company, &self.topic(), st.event(self.scale.id));
    }

    fn disconnected(&self, why: &'static str) {
        let mut st = lock(&self.status);
        st.errors += 1;
        st.detail = why;
        st.same = 0;
        if st.state != Condition::Disconnected {
            st.state = Condition::Disconnected;
            self.publish(&st);
        }
    }

    /// A weight came back: update the status and publish when what it shows changed.
    fn reading(&self, r: super::proto::Reading) {
        let now = self.clock.now();
        let mut st = lock(&self.status);
        let Some(grams) = r.grams(self.scale.resolution_g) else {
            st.errors += 1;
            st.detail = "unit";
            return;
        };
        let tare = r.tare.and_then(|t| super::proto::Reading::new(t, r.unit, State::Stable).grams(self.scale.resolution_g)).unwrap_or(0);
        st.same = if grams == st.grams && st.state != Condition::Disconnected { st.same.saturating_add(1) } else { 1 };
        let mut state = Condition::of(r.state);
        if !self.scale.protocol.reports_stability() && state == Condition::Unstable && st.same >= SETTLE {
            state = Condition::Stable;
        }
        if state == Condition::Stable && grams <= 0 {
            st.armed = true;
        }
        let changed = st.state != state || st.grams != grams || st.tare_grams != tare;
        st.state = state;
        st.grams = grams;
        st.tare_grams = tare;
        st.last_good = Some(now);
        st.detail = "";
        if changed {
            self.publish(&st);
        }
    }

    async fn run(self, mut orders: mpsc::Receiver<Order>) {
        let mut backoff = Duration::from_millis(250);
        loop {
            let mut port = match open(&self.scale.link, &self.reach).await {
                Ok(p) => p,
                Err(why) => {
                    self.disconnected(why);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            backoff = Duration::from_millis(250);
            let why = self.connected(&mut port, &mut orders).await;
            self.disconnected(why);
            drop(port);
            tokio::time::sleep(backoff).await;
        }
    }

    /// Polls until the connection fails; returns why.
    async fn connected(&self, port: &mut Box<dyn Port>, orders: &mut mpsc::Receiver<Order>) -> &'static str {
        let mut buf = Vec::with_capacity(MAX_FRAME);
        let mut misses = 0;
        loop {
            while let Ok((cmd, reply)) = orders.try_recv() {
                let done = exchange(port.as_mut(), &mut buf, self.scale.protocol, cmd, ANSWER).await;
                let _ = reply.send(matches!(done, Ok(Some(Answer::Ack | Answer::Weight(_))) | Err(Fault::Timeout)));
            }
            match exchange(port.as_mut(), &mut buf, self.scale.protocol, Command::Weigh, ANSWER).await {
                Ok(Some(Answer::Weight(r))) => {
                    misses = 0;
                    self.reading(r);
                }
                Ok(_) => misses = 0,
                Err(Fault::Timeout) => {
                    misses += 1;
                    lock(&self.status).errors += 1;
                    if misses >= MISSES {
                        return "timeout";
                    }
                }
                Err(Fault::Closed) => return "connection closed",
                Err(Fault::Io) => return "read failed",
            }
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                order = orders.recv() => match order {
                    Some((cmd, reply)) => {
                        let done = exchange(port.as_mut(), &mut buf, self.scale.protocol, cmd, ANSWER).await;
                        let _ = reply.send(matches!(done, Ok(Some(Answer::Ack | Answer::Weight(_))) | Err(Fault::Timeout)));
                    }
                    None => return "stopped",
                },
            }
        }
    }
}

/// A connection to a scale: a TCP stream or a serial port.
pub trait Port: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Port for T {}

/// Opens a link; errors are a fixed vocabulary (never the socket's text: the status page must
/// not become a port scanner).
pub async fn open(link: &Link, reach: &Reach) -> std::result::Result<Box<dyn Port>, &'static str> {
    match link {
        Link::Tcp { host, port } => {
            let addrs = match tokio::time::timeout(CONNECT, tokio::net::lookup_host((host.as_str(), *port))).await {
                Ok(Ok(a)) => a.collect::<Vec<_>>(),
                _ => return Err("unknown host"),
            };
            let Some(addr) = addrs.into_iter().find(|a| reach.policy.allows(a.ip())) else { return Err("address not allowed") };
            match tokio::time::timeout(CONNECT, tokio::net::TcpStream::connect(addr)).await {
                Ok(Ok(s)) => {
                    let _ = s.set_nodelay(true);
                    Ok(Box::new(s))
                }
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Err("connection refused"),
                _ => Err("connection failed"),
            }
        }
        Link::Serial { path, line } => {
            if !reach.path_ok(path) {
                return Err("port not allowed");
            }
            let data_bits = if line.data_bits == 7 { tokio_serial::DataBits::Seven } else { tokio_serial::DataBits::Eight };
            let parity = match line.parity {
                Parity::None => tokio_serial::Parity::None,
                Parity::Even => tokio_serial::Parity::Even,
                Parity::Odd => tokio_serial::Parity::Odd,
            };
            let builder = tokio_serial::new(path, line.baud).data_bits(data_bits).parity(parity).stop_bits(tokio_serial::StopBits::One);
            match tokio_serial::SerialStream::open(&builder) {
                Ok(s) => Ok(Box::new(s)),
                Err(_) => Err("cannot open the port"),
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Timeout,
    Closed,
    Io,
}

/// Sends `cmd` and reads its answer (through the ACK of a two-step exchange). `Ok(None)`: the
/// protocol has no such command. Stale bytes are dropped before each request.
pub async fn exchange(
    port: &mut dyn Port,
    buf: &mut Vec<u8>,
    protocol: Protocol,
    cmd: Command,
    wait: Duration,
) -> std::result::Result<Option<Answer>, Fault> {
    let requests = protocol.exchanges(cmd);
    let last = requests.len().saturating_sub(1);
    for (i, req) in requests.iter().enumerate() {
        buf.clear();
        port.write_all(req).await.map_err(|_| Fault::Io)?;
        let answer = read_answer(port, buf, protocol, wait).await?;
        if i == last || answer != Answer::Ack {
            return Ok(Some(answer));
        }
    }
    Ok(None)
}

async fn read_answer(port: &mut dyn Port, buf: &mut Vec<u8>, protocol: Protocol, wait: Duration) -> std::result::Result<Answer, Fault> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut chunk = [0u8; 64];
    loop {
        match protocol.decode(buf) {
            Decoded::Frame(a, n) => {
                buf.drain(..n.min(buf.len()));
                return Ok(a);
            }
            Decoded::Skip(n) => {
                buf.drain(..n.min(buf.len()));
                continue;
            }
            Decoded::Need => {}
        }
        if buf.len() > 2 * MAX_FRAME {
            buf.clear();
        }
        match tokio::time::timeout_at(deadline, port.read(&mut chunk)).await {
            Err(_) => return Err(Fault::Timeout),
            Ok(Ok(0)) => return Err(Fault::Closed),
            Ok(Err(_)) => return Err(Fault::Io),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// What Detect found: the protocol and, for a serial port, the line settings that answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub protocol: Protocol,
    pub line: Option<Line>,
}

/// Probes each protocol's weigh request on the common line settings and recognises the
/// answer; the first protocol whose decoder reads a weight wins.
pub async fn detect(link: &Link, reach: &Reach) -> Option<Found> {
    for protocol in Protocol::ALL {
        let lines: Vec<Option<Line>> = match link {
            Link::Tcp { .. } => vec![None],
            Link::Serial { .. } => {
                let mut l = vec![
                    protocol.line(),
                    Line::new(9600, 8, Parity::None),
                    Line::new(9600, 7, Parity::Even),
                    Line::new(4800, 8, Parity::None),
                ];
                l.dedup();
                let mut seen = Vec::new();
                l.retain(|x| {
                    if seen.contains(x) {
                        false
                    } else {
                        seen.push(*x);
                        true
                    }
                });
                l.into_iter().map(Some).collect()
            }
        };
        for line in lines {
            let probe = match (link, line) {
                (Link::Serial { path, .. }, Some(line)) => Link::Serial { path: path.clone(), line },
                _ => link.clone(),
            };
            let Ok(mut port) = open(&probe, reach).await else {
                if matches!(link, Link::Tcp { .. }) {
                    return None;
                }
                continue;
            };
            let mut buf = Vec::new();
            if let Ok(Some(Answer::Weight(_))) = exchange(port.as_mut(), &mut buf, protocol, Command::Weigh, PROBE).await {
                return Some(Found { protocol, line });
            }
        }
    }
    None
}
