//! Configuration: built-in defaults, then `dukan.toml` (in the data dir, or `--config`), then
//! `DUKAN_*` environment variables, then command-line flags. No secret has a default: the
//! token signing key is generated into the data file on first start unless
//! `DUKAN_JWT_SECRET` supplies one.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    pub data: PathBuf,
    /// "text" or "json".
    pub log_format: String,
    /// redb page cache in MiB (default 64). The idle server's RSS is about 110 MB plus this
    /// once the cache is warm, which keeps it under 200 MB on a 2 GB box.
    pub cache_mb: usize,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub session_hours: i64,
    /// Largest accepted request body for JSON and forms, in KiB (uploads have their own limit).
    pub body_limit_kb: usize,
    pub upload_limit_kb: usize,
    /// Largest product image upload, in KiB (the original; stored sizes are much smaller).
    pub image_limit_kb: usize,
    /// Largest product import file (CSV, XLSX, XLS, ODS), in KiB.
    pub import_limit_kb: usize,
    /// Largest file attached to a client's card, in KiB (default 10 MiB).
    pub attachment_limit_kb: usize,
    /// What one company's attached files may take in all, in MiB (default 1 GiB).
    pub attachment_quota_mb: u64,
    /// Trust `X-Forwarded-For` (only behind a reverse proxy you run).
    pub trusted_proxy: bool,
    /// HS256 key for access tokens, base64; when absent one is generated into the data file.
    pub jwt_secret: Option<String>,
    /// Bearer token a Prometheus scraper on another machine sends for `/metrics`; without it,
    /// only this machine (loopback) may read them.
    pub metrics_token: Option<String>,
    pub argon2_m_kib: u32,
    pub argon2_t: u32,
    pub backup: BackupConfig,
    /// Device-file prefixes a serial or USB printer may use (a printer path outside them is
    /// refused, so a tenant cannot make the server write to an arbitrary file).
    pub printer_paths: Vec<String>,
    /// Open connections served at once (a few more are kept for this machine's own checks);
    /// over it the oldest idle connection is closed, else the new one is. Clamped below the
    /// process's file limit at start.
    pub max_connections: usize,
    /// Seconds a client has to send a request's headers; also how long an idle keep-alive
    /// connection is kept.
    pub header_timeout_secs: u64,
    /// Seconds a request body may pause between two reads before the request is dropped (408).
    pub body_timeout_secs: u64,
    /// Slowest average request body accepted after the first `body_timeout_secs`, in KiB/s.
    pub body_min_rate_kb: u64,
    /// Largest body of the routes anyone may call without signing in (sign-in, first-run
    /// setup, invite acceptance, token refresh), in KiB; they never take multipart.
    pub public_body_limit_kb: usize,
    /// Webhooks may go to private LAN addresses (10/8, 172.16/12, 192.168/16, fc00::/7).
    /// Loopback, link-local and unspecified addresses are never allowed.
    pub webhooks_allow_private: bool,
    /// Webhooks may go to this machine (127/8, ::1): for tests with a local receiver only.
    pub webhooks_allow_loopback: bool,
    /// Base URL of Meta's Graph API (WhatsApp Cloud API); tests point it at a local fake.
    pub meta_graph_url: String,
    /// Largest total a zip-based import (XLSX, XLSB, ODS) may inflate to, in MiB.
    pub import_unpacked_mb: u64,
    /// Spreadsheet parses, and separately image decodes, running at once box-wide.
    pub heavy_jobs: usize,
    /// How long an upload waits for a parse or decode slot before `503 busy`, in ms.
    pub heavy_wait_ms: u64,
    /// Self-registration of new companies: `"open"` or `"closed"` forces it; unset, the
    /// platform operator's choice on the platform page applies (closed until they open it).
    pub signup: Option<String>,
    /// Free space on the data file's disk, in MiB, below which the operations page warns.
    pub disk_warn_mb: u64,
    // The relay link (issue 16, relay).
    /// The public relay this box takes Meta's webhooks from (`dukan relay`); unset: none.
    pub relay: RelayConfig,
    /// The box-wide SMTP server for e-mail (invites, password links, notifications); a company
    /// may set its own on its mail settings page. Empty `host`: no box-wide e-mail.
    pub smtp: SmtpConfig,
}

/// `[relay]`: where the box's link to its public relay goes and the token it signs in with.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RelayConfig {
    /// `wss://relay.example.com` (or `ws://` on a trusted network); the box connects to
    /// `<url>/link`.
    pub url: Option<String>,
    /// The box's token the relay printed (`dukan relay --add-box`); sent in a header only.
    pub token: Option<String>,
}

/// `[smtp]`: the box-wide mail server (`DUKAN_SMTP_HOST`, `_PORT`, `_SECURITY`, `_USERNAME`,
/// `_PASSWORD`, `_FROM`).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// `starttls` (port 587), `tls` (implicit TLS, port 465) or `plain` (only to this machine
    /// or the LAN, e.g. a local relay).
    pub security: String,
    pub username: String,
    pub password: Option<String>,
    /// The sender, `name@domain` or `Name <name@domain>`.
    pub from: String,
    /// Seconds a connection, a command or the message may take.
    pub timeout_secs: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            host: String::new(),
            port: 587,
            security: "starttls".into(),
            username: String::new(),
            password: None,
            from: String::new(),
            timeout_secs: 20,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Folder for backups (a USB stick's mount point, say); default `<data>/backups`.
    pub dir: Option<PathBuf>,
    /// Local time "HH:MM" of the daily backup; empty disables the schedule.
    pub daily_at: String,
    /// Scheduled backups kept in the folder; older ones are deleted after a good new one.
    pub keep: usize,
    /// Time zone of `daily_at`.
    pub timezone: String,
    /// Minutes the server must have been up before it takes a scheduled backup, so a backup
    /// that came due while the box was off does not compete with start-up (and its memory)
    /// for the first minutes. Backups people ask for run at once.
    pub start_delay_minutes: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            data: PathBuf::from("dukan-data"),
            log_format: "text".into(),
            cache_mb: 64,
            access_token_minutes: 15,
            refresh_token_days: 30,
            session_hours: 12,
            body_limit_kb: 1024,
            upload_limit_kb: 4096,
            image_limit_kb: 5 * 1024,
            import_limit_kb: 20 * 1024,
            attachment_limit_kb: 10 * 1024,
            attachment_quota_mb: 1024,
            trusted_proxy: false,
            jwt_secret: None,
            metrics_token: None,
            argon2_m_kib: 19 * 1024,
            argon2_t: 2,
            backup: BackupConfig::default(),
            printer_paths: ["/dev/usb/lp", "/dev/ttyUSB", "/dev/ttyACM", "/dev/ttyS"].map(String::from).to_vec(),
            max_connections: 512,
            header_timeout_secs: 10,
            body_timeout_secs: 20,
            body_min_rate_kb: 4,
            public_body_limit_kb: 32,
            webhooks_allow_private: true,
            webhooks_allow_loopback: false,
            meta_graph_url: "https://graph.facebook.com/v21.0".into(),
            import_unpacked_mb: 256,
            heavy_jobs: 2,
            heavy_wait_ms: 30_000,
            signup: None,
            disk_warn_mb: 2048,
            relay: RelayConfig::default(),
            smtp: SmtpConfig::default(),
        }
    }
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig { dir: None, daily_at: "03:00".into(), keep: 7, timezone: "Asia/Bishkek".into(), start_delay_minutes: 10 }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parse { path: PathBuf, source: toml::de::Error },
    #[error("environment variable {name}: {message}")]
    Env { name: &'static str, message: String },
}

impl Config {
    /// Loads the layered configuration. `data` and `config_file` come from the command line.
    pub fn load(data: Option<&Path>, config_file: Option<&Path>) -> Result<Config, ConfigError> {
        let env_data = std::env::var_os("DUKAN_DATA").map(PathBuf::from);
        let data_dir = data.map(Path::to_path_buf).or(env_data).unwrap_or_else(|| PathBuf::from("dukan-data"));
        let file = config_file.map(Path::to_path_buf).unwrap_or_else(|| data_dir.join("dukan.toml"));
        let mut config = if file.exists() {
            let text = std::fs::read_to_string(&file).map_err(|source| ConfigError::Read { path: file.clone(), source })?;
            toml::from_str(&text).map_err(|source| ConfigError::Parse { path: file.clone(), source })?
        } else {
            Config::default()
        };
        config.data = data_dir;
        config.apply_env()?;
        Ok(config)
    }

    fn apply_env(&mut self) -> Result<(), ConfigError> {
        fn var(name: &'static str) -> Option<String> {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        }
        fn parse<T: std::str::FromStr>(name: &'static str, v: String) -> Result<T, ConfigError> {
            v.parse().map_err(|_| ConfigError::Env { name, message: format!("cannot parse {v:?}") })
        }
        if let Some(v) = var("DUKAN_LISTEN") {
            self.listen = parse("DUKAN_LISTEN", v)?;
        }
        if let Some(v) = var("DUKAN_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = var("DUKAN_CACHE_MB") {
            self.cache_mb = parse("DUKAN_CACHE_MB", v)?;
        }
        if let Some(v) = var("DUKAN_JWT_SECRET") {
            self.jwt_secret = Some(v);
        }
        if let Some(v) = var("DUKAN_METRICS_TOKEN") {
            self.metrics_token = Some(v);
        }
        if let Some(v) = var("DUKAN_TRUSTED_PROXY") {
            self.trusted_proxy = parse("DUKAN_TRUSTED_PROXY", v)?;
        }
        if let Some(v) = var("DUKAN_ARGON2_M_KIB") {
            self.argon2_m_kib = parse("DUKAN_ARGON2_M_KIB", v)?;
        }
        if let Some(v) = var("DUKAN_BACKUP_DIR") {
            self.backup.dir = Some(PathBuf::from(v));
        }
        if let Ok(v) = std::env::var("DUKAN_BACKUP_DAILY_AT") {
            self.backup.daily_at = v;
        }
        if let Some(v) = var("DUKAN_BACKUP_KEEP") {
            self.backup.keep = parse("DUKAN_BACKUP_KEEP", v)?;
        }
        if let Some(v) = var("DUKAN_META_GRAPH_URL") {
            self.meta_graph_url = v;
        }
        if let Some(v) = var("DUKAN_MAX_CONNECTIONS") {
            self.max_connections = parse("DUKAN_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = var("DUKAN_DISK_WARN_MB") {
            self.disk_warn_mb = parse("DUKAN_DISK_WARN_MB", v)?;
        }
        if let Some(v) = var("DUKAN_SIGNUP") {
            self.signup = Some(v);
        }
        if let Some(v) = var("DUKAN_RELAY_URL") {
            self.relay.url = Some(v);
        }
        if let Some(v) = var("DUKAN_RELAY_TOKEN") {
            self.relay.token = Some(v);
        }
        if let Some(v) = var("DUKAN_SMTP_HOST") {
            self.smtp.host = v;
        }
        if let Some(v) = var("DUKAN_SMTP_PORT") {
            self.smtp.port = parse("DUKAN_SMTP_PORT", v)?;
        }
        if let Some(v) = var("DUKAN_SMTP_SECURITY") {
            self.smtp.security = v;
        }
        if let Some(v) = var("DUKAN_SMTP_USERNAME") {
            self.smtp.username = v;
        }
        if let Some(v) = var("DUKAN_SMTP_PASSWORD") {
            self.smtp.password = Some(v);
        }
        if let Some(v) = var("DUKAN_SMTP_FROM") {
            self.smtp.from = v;
        }
        self.check_signup()?;
        Ok(())
    }

    fn check_signup(&self) -> Result<(), ConfigError> {
        match self.signup.as_deref() {
            None | Some("open") | Some("closed") => Ok(()),
            Some(other) => {
                Err(ConfigError::Env { name: "DUKAN_SIGNUP", message: format!("signup is \"open\" or \"closed\", not {other:?}") })
            }
        }
    }

    /// Whether sign-up is forced by the configuration (`Some(open)`), else the operator decides.
    pub fn signup_forced(&self) -> Option<bool> {
        self.signup.as_deref().map(|s| s == "open")
    }

    pub fn db_path(&self) -> PathBuf {
        self.data.join("dukan.redb")
    }

    /// The configuration as a TOML document for the diagnostics bundle, with every secret
    /// (the token key, the metrics token) replaced by whether it is set.
    pub fn redacted_toml(&self) -> String {
        let mut c = self.clone();
        let mark = |v: &Option<String>| v.as_ref().map(|_| "<set, not shown>".to_string());
        c.jwt_secret = mark(&c.jwt_secret);
        c.metrics_token = mark(&c.metrics_token);
        c.relay.token = mark(&c.relay.token);
        c.smtp.password = mark(&c.smtp.password);
        toml::to_string(&c).unwrap_or_else(|e| format!("# not serialisable: {e}\n"))
    }

    pub fn backup_dir(&self) -> PathBuf {
        self.backup.dir.clone().unwrap_or_else(|| self.data.join("backups"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redacted_config_names_secrets_but_never_shows_them() {
        let c = Config {
            jwt_secret: Some("jwt-secret-value-123".into()),
            metrics_token: Some("metrics-token-value-456".into()),
            ..Config::default()
        };
        let text = c.redacted_toml();
        assert!(!text.contains("jwt-secret-value-123") && !text.contains("metrics-token-value-456"), "{text}");
        assert!(text.contains("jwt_secret = \"<set, not shown>\""), "{text}");
        assert!(text.contains("disk_warn_mb = 2048") && text.contains("[backup]"), "{text}");
        // It reads back as a configuration (an operator may start from it).
        let back: Config = toml::from_str(&text).expect("parses");
        assert_eq!(back.disk_warn_mb, 2048);
    }
}
