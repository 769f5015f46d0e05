//! `TestApp`: the real server (router, storage, workers' steps) on 127.0.0.1:0 over a
//! temporary data dir, with a manual clock and helpers to sign in and call the API.

#![allow(dead_code)]

pub mod child;

use std::sync::Arc;

use dukan::app::App;
use dukan::clock::{Clock, ManualClock, Ts};
use dukan::config::Config;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct TestApp {
    pub app: App,
    pub base: String,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub http: reqwest::Client,
}

/// 2026-03-01T09:00:00Z: a fixed start so dates in tests are predictable.
pub const START: Ts = Ts(1_772_355_600_000);

pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        data: dir.to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        argon2_m_kib: 1024,
        argon2_t: 1,
        cache_mb: 16,
        // The serial fake printer is a pty.
        printer_paths: vec!["/dev/pts/".into()],
        ..Config::default()
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::spawn_in(dir).await
    }

    pub async fn spawn_in(dir: tempfile::TempDir) -> TestApp {
        Self::spawn_configured(dir, |_| {}).await
    }

    /// A server whose configuration `tweak` changes from the test defaults.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_configured(tempfile::tempdir().expect("tempdir"), tweak).await
    }

    pub async fn spawn_configured(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let clock = Arc::new(ManualClock::new(START));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let mut config = test_config(dir.path());
        config.backup.daily_at = String::new();
        tweak(&mut config);
        let app = App::open(config, dyn_clock).expect("open app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let served = app.clone();
        tokio::spawn(async move {
            let _ = dukan::http::serve(served, listener, async move {
                let _ = rx.await;
            })
            .await;
        });
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        TestApp { app, base, clock, dir, shutdown: Some(tx), http }
    }

    /// Stops serving and releases the data file (for restart tests).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("tempdir"));
        drop(self);
        // The server task drops its App clone when the graceful shutdown completes.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        dir
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a company with its owner through the same function the CLI uses.
    pub async fn company(&self, name: &str, email: &str, password: &str) -> u64 {
        let draft = dukan::tenancy::CompanyDraft {
            name: name.into(),
            country: "KG".into(),
            owner_name: format!("Владелец {name}"),
            owner_email: email.into(),
            owner_password: password.into(),
            plan: None,
        };
        let parsed = draft.parse().expect("valid company");
        let hash = self.app.hasher.hash(password.into()).await.expect("hash");
        let now = self.app.now();
        let (c, _) = self
            .app
            .db
            .write(move |tx| dukan::tenancy::create_company(tx, now, &parsed, hash, dukan::tenancy::Creator::Cli))
            .await
            .expect("create company");
        c.0
    }

    /// The first-run company: its owner is the box's platform operator.
    pub async fn first_run(&self, email: &str, password: &str) -> Client {
        let (status, body) = {
            let draft = dukan::tenancy::CompanyDraft {
                name: "Первая компания".into(),
                country: "KG".into(),
                owner_name: "Оператор".into(),
                owner_email: email.into(),
                owner_password: password.into(),
                plan: None,
            };
            let r = dukan::http::shared::create_company(&self.app, None, "127.0.0.1", draft).await;
            (r.is_ok(), format!("{r:?}"))
        };
        assert!(status, "first run: {body}");
        self.login(email, password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Client {
        let (status, body) = self.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": password}))).await;
        assert_eq!(status, StatusCode::OK, "login {email}: {body}");
        Client {
            token: body["access_token"].as_str().expect("token").to_string(),
            refresh: body["refresh_token"].as_str().expect("refresh").to_string(),
            body,
        }
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.expect("body");
        let value = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, value)
    }

    pub async fn get(&self, c: &Client, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(&c.token), None).await
    }

    pub async fn post(&self, c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(&c.token), Some(body)).await
    }

    pub async fn put(&self, c: &Client, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(&c.token), Some(body)).await
    }

    /// `dukan check` on the live data: every index and projection agrees with its primaries.
    pub fn assert_consistent(&self) {
        let problems = dukan::check::run(&self.app.db).expect("check runs");
        assert!(problems.is_empty(), "check found problems: {problems:#?}");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A signed-in API client.
pub struct Client {
    pub token: String,
    pub refresh: String,
    pub body: Value,
}

impl Client {
    pub fn company_id(&self) -> u64 {
        self.body["company"]["id"].as_u64().expect("company id")
    }
}
