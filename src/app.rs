//! `App`: everything a request or a worker needs, opened once and passed as axum state (no
//! globals): the data file, configuration, clock, token keys, password hasher, sign-in
//! limiter, metrics, worker board, search indexes and the table registry.

use std::sync::Arc;

use crate::auth::limiter::Limiter;
use crate::auth::password::Hasher;
use crate::auth::{Keys, Lifetimes};
use crate::clock::{Clock, Ts};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::search::Search;
use crate::storage::{Db, Schema};
use crate::workers::{Board, Ctx};

#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<Keys>,
    pub hasher: Hasher,
    pub limiter: Arc<Limiter>,
    pub metrics: Arc<Metrics>,
    pub workers: Arc<Board>,
    /// Per-company product search indexes under `<data>/search/`.
    pub search: Arc<Search>,
    /// Outgoing HTTP (webhooks): 10-second timeout, no redirects, resolved addresses vetted.
    pub http: reqwest::Client,
    /// Every table and migration: what a backup copies and how it is verified.
    pub schema: Arc<Schema>,
    pub started: Ts,
    /// Slots for spreadsheet parses (`Heavy::Sheet`) and image decodes (`Heavy::Image`):
    /// `heavy_jobs` of each box-wide, so a burst of uploads cannot multiply their memory.
    pub sheet_slots: Arc<tokio::sync::Semaphore>,
    pub image_slots: Arc<tokio::sync::Semaphore>,
    /// The storage probe behind `/healthz`.
    pub liveness: Arc<Liveness>,
    /// Live updates for open pages (`live::Hub`, followed through `http::live`).
    pub live: Arc<crate::live::Hub>,
    /// Seals messaging channels' secrets (`DIR/box.key`, outside the data file).
    pub box_key: Arc<crate::messaging::seal::BoxKey>,
    /// The scale workers and their live readings (`scales::device`).
    pub scales: Arc<crate::scales::device::Devices>,
    /// Attempts of the public sign-up page per client address (`http::views::signup`).
    pub signup_limiter: Arc<Limiter>,
    /// Requests through the public request forms (`/r/<slug>`), per client address and per
    /// company (keyed `company:<id>`), so neither one visitor nor a crowd floods a shop.
    pub request_ip_limiter: Arc<Limiter>,
    pub request_company_limiter: Arc<Limiter>,
    // The relay link (issue 16, relay).
    /// The state of the link to the public relay for Meta's webhooks (`relay::link`).
    pub relay: Arc<crate::relay::link::LinkState>,
}

/// The storage write probe of `/healthz`: one at a time, and when did one last succeed. A
/// long write (an import's preview) holds the single writer for a second or more; meanwhile a
/// probe that succeeded within [`Liveness::FRESH`] still counts, so a supervisor gets its
/// answer in milliseconds, while a writer stuck for longer turns `/healthz` into 503.
pub struct Liveness {
    in_flight: std::sync::atomic::AtomicBool,
    last_ok: std::sync::Mutex<std::time::Instant>,
}

impl Liveness {
    /// How long a successful probe vouches for the writer.
    pub const FRESH: std::time::Duration = std::time::Duration::from_secs(30);

    fn new() -> Liveness {
        // Opening the data file wrote to it (schema stamp, migrations): that was a probe.
        Liveness { in_flight: std::sync::atomic::AtomicBool::new(false), last_ok: std::sync::Mutex::new(std::time::Instant::now()) }
    }

    /// Claims the probe; `false` when one is already running.
    pub fn begin(&self) -> bool {
        !self.in_flight.swap(true, std::sync::atomic::Ordering::AcqRel)
    }

    /// Ends the claimed probe with its outcome.
    pub fn end(&self, ok: bool) {
        if ok && let Ok(mut last) = self.last_ok.lock() {
            *last = std::time::Instant::now();
        }
        self.in_flight.store(false, std::sync::atomic::Ordering::Release);
    }

    /// A probe succeeded within [`Liveness::FRESH`].
    pub fn fresh(&self) -> bool {
        self.last_ok.lock().map(|last| last.elapsed() < Self::FRESH).unwrap_or(false)
    }
}

/// Which kind of heavy parse a job is, each with its own slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heavy {
    Sheet,
    Image,
}

/// What the workers get of the app: they sit below it and never see `App` itself.
impl From<App> for Ctx {
    fn from(app: App) -> Ctx {
        Ctx {
            db: app.db,
            clock: app.clock,
            config: app.config,
            schema: app.schema,
            search: app.search,
            http: app.http,
            board: app.workers,
            started: app.started,
            live: app.live,
            box_key: app.box_key,
            scales: app.scales,
        }
    }
}

impl App {
    /// Opens (creating if needed) the data dir and file, and loads or generates the keys.
    pub fn open(config: Config, clock: Arc<dyn Clock>) -> Result<App> {
        crate::storage::private::create_dir(&config.data)
            .map_err(|e| Error::Internal(format!("cannot create {}: {e}", config.data.display())))?;
        let db = crate::schema::open(&config.db_path(), config.cache_mb << 20)?;
        let keys = Keys::load_or_create(&db, &config.data.join(crate::auth::KEY_FILE), config.jwt_secret.as_deref())?;
        let box_key = crate::messaging::seal::BoxKey::load_or_create(&config.data.join(crate::messaging::seal::KEY_FILE))?;
        db.write_blocking(|tx| crate::messaging::mail::note_box_server(tx, &config))?;
        let hasher = Hasher::new(config.argon2_m_kib, config.argon2_t)?;
        let started = clock.now();
        let search = Search::open(&config.data.join("search")).map_err(Error::from)?;
        let live = Arc::new(crate::live::Hub::new());
        let relay = Arc::new(crate::relay::link::LinkState::new(&config.relay));
        let scales = Arc::new(crate::scales::device::Devices::new(live.clone(), clock.clone(), crate::scales::Reach::of(&config)));
        Ok(App {
            db,
            keys: Arc::new(keys),
            hasher,
            limiter: Arc::new(Limiter::new(30, 5, 15 * 60_000)),
            metrics: Arc::new(Metrics::default()),
            workers: Arc::new(Board::default()),
            search: Arc::new(search),
            http: crate::webhooks::guard::client(crate::webhooks::guard::Policy::of(&config))
                .map_err(|e| Error::Internal(format!("http client: {e}")))?,
            schema: Arc::new(crate::schema::current()),
            sheet_slots: Arc::new(tokio::sync::Semaphore::new(config.heavy_jobs.max(1))),
            liveness: Arc::new(Liveness::new()),
            box_key: Arc::new(box_key),
            live,
            scales,
            image_slots: Arc::new(tokio::sync::Semaphore::new(config.heavy_jobs.max(1))),
            config: Arc::new(config),
            clock,
            started,
            // Five sign-ups an hour from one address: a shop registers once.
            signup_limiter: Arc::new(Limiter::new(5, u32::MAX, 60 * 60_000)),
            // Ten requests an hour from one address, two hundred an hour into one company.
            request_ip_limiter: Arc::new(Limiter::new(10, u32::MAX, 60 * 60_000)),
            request_company_limiter: Arc::new(Limiter::new(200, u32::MAX, 60 * 60_000)),
            relay,
        })
    }

    pub fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            access_minutes: self.config.access_token_minutes,
            refresh_days: self.config.refresh_token_days,
            session_hours: self.config.session_hours,
        }
    }

    /// Starts the link to the public relay when `[relay]` names one (url and token); the
    /// handle ends it when aborted.
    pub fn start_relay_link(&self) -> Option<tokio::task::JoinHandle<()>> {
        let (url, token) = (self.config.relay.url.clone()?, self.config.relay.token.clone()?);
        if url.is_empty() || token.is_empty() {
            return None;
        }
        Some(crate::relay::link::spawn(crate::relay::link::LinkCtx {
            db: self.db.clone(),
            clock: self.clock.clone(),
            box_key: self.box_key.clone(),
            url,
            token,
            policy: crate::webhooks::guard::Policy::of(&self.config),
            state: self.relay.clone(),
        }))
    }

    pub fn now(&self) -> Ts {
        self.clock.now()
    }

    /// Runs a heavy parse of uploaded data on the blocking pool once one of its slots is
    /// free. A request waits at most `heavy_wait_ms` for a slot, then gets `503 busy` with
    /// `Retry-After`; the slot is held until the job ends, even if the client went away.
    pub async fn heavy<T: Send + 'static>(&self, kind: Heavy, job: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
        let slots = match kind {
            Heavy::Sheet => self.sheet_slots.clone(),
            Heavy::Image => self.image_slots.clone(),
        };
        let wait = std::time::Duration::from_millis(self.config.heavy_wait_ms);
        let permit = match tokio::time::timeout(wait, slots.acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(Error::Internal("parse slots closed".into())),
            Err(_) => return Err(Error::Busy { retry_after_s: 5 }),
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let done = job();
            // A decode or parse touches up to a few hundred megabytes; hand what it freed back.
            crate::release_memory();
            done
        })
        .await
        .map_err(|e| Error::Internal(format!("{kind:?} job: {e}")))?
    }
}
