//! `App`: everything a request or a worker needs, opened once and passed as axum state (no
//! globals): the data file, configuration, clock, token keys, password hasher, sign-in
//! limiter, metrics, worker board, search indexes and the table registry.

use std::sync::Arc;

use tokio::sync::Notify;

use crate::auth::limiter::Limiter;
use crate::auth::password::Hasher;
use crate::auth::{Keys, Lifetimes};
use crate::clock::{Clock, Ts};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::search::Search;
use crate::storage::{Db, TableInfo};
use crate::workers::Board;

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
    /// Outgoing HTTP (webhooks), with a 10-second timeout.
    pub http: reqwest::Client,
    /// Notified after a transaction that queued outbox work.
    pub wake: Arc<Notify>,
    pub tables: Arc<Vec<TableInfo>>,
    pub started: Ts,
}

impl App {
    /// Opens (creating if needed) the data dir and file, and loads or generates the keys.
    pub fn open(config: Config, clock: Arc<dyn Clock>) -> Result<App> {
        crate::storage::private::create_dir(&config.data)
            .map_err(|e| Error::Internal(format!("cannot create {}: {e}", config.data.display())))?;
        let db = Db::open(&config.db_path(), config.cache_mb << 20)?;
        crate::pos::daily::ensure_built(&db)?;
        let keys = Keys::load_or_create(&db, &config.data.join(crate::auth::KEY_FILE), config.jwt_secret.as_deref())?;
        let hasher = Hasher::new(config.argon2_m_kib, config.argon2_t)?;
        let started = clock.now();
        let search = Search::open(&config.data.join("search")).map_err(Error::from)?;
        Ok(App {
            db,
            keys: Arc::new(keys),
            hasher,
            limiter: Arc::new(Limiter::new(30, 5, 15 * 60_000)),
            metrics: Arc::new(Metrics::default()),
            workers: Arc::new(Board::default()),
            search: Arc::new(search),
            wake: Arc::new(Notify::new()),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .user_agent(concat!("Dukan/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| Error::Internal(format!("http client: {e}")))?,
            tables: Arc::new(crate::schema::all_tables()),
            config: Arc::new(config),
            clock,
            started,
        })
    }

    pub fn lifetimes(&self) -> Lifetimes {
        Lifetimes {
            access_minutes: self.config.access_token_minutes,
            refresh_days: self.config.refresh_token_days,
            session_hours: self.config.session_hours,
        }
    }

    pub fn now(&self) -> Ts {
        self.clock.now()
    }
}
