//! What the HTTP checkout benches (`pos`, `agents`) share: the server started on a data dir,
//! latency percentiles, and a JSON client that signs in and calls the API as one user.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// An integer from the environment, or `default`.
pub fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `dukan serve` on `data` at 127.0.0.1:`port` (built from `cmd`), once it accepts connections.
pub fn start(mut cmd: Command, data: &Path, port: u16) -> Child {
    let child = cmd
        .args(["serve", "--data", data.to_str().unwrap_or("."), "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn dukan: {e}"));
    let t0 = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t0.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile of sorted latencies, in ms (0 for none).
pub fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    ms(sorted[((sorted.len() as f64 - 1.0) * p).round() as usize])
}

/// The API as one signed-in user.
#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
}

impl Api {
    /// Signs in; `forwarded` is sent as `X-Forwarded-For` (a server started with
    /// `DUKAN_TRUSTED_PROXY=true` then counts each sign-in against its own address).
    pub async fn login(http: reqwest::Client, base: String, email: &str, password: &str, forwarded: Option<String>) -> Api {
        let mut req = http.post(format!("{base}/api/v1/auth/login")).json(&json!({"email": email, "password": password}));
        if let Some(f) = forwarded {
            req = req.header("x-forwarded-for", f);
        }
        let r = req.send().await.unwrap_or_else(|e| panic!("login: {e}"));
        let st = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!((200..300).contains(&st), "POST /api/v1/auth/login: {st} {v}");
        let token = v["access_token"].as_str().unwrap_or_default().to_string();
        Api { http, base, token }
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        match req.send().await {
            Ok(r) => {
                let st = r.status().as_u16();
                (st, r.json().await.unwrap_or(Value::Null))
            }
            Err(e) => (0, json!(e.to_string())),
        }
    }

    /// Posts a ready JSON body and drains the answer without parsing it: the load generator
    /// shares the cores with the server, so it spends as little as it can.
    pub async fn post_raw(&self, path: &str, body: String) -> u16 {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        match req.send().await {
            Ok(r) => {
                let st = r.status().as_u16();
                let _ = r.bytes().await;
                st
            }
            Err(_) => 0,
        }
    }

    /// Posts and insists on a 2xx answer.
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let (st, v) = self.call(reqwest::Method::POST, path, Some(body)).await;
        assert!((200..300).contains(&st), "POST {path}: {st} {v}");
        v
    }
}
