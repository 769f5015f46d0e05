//! Field agents' benchmarks (`cargo bench --bench agents`; numbers go to BENCHMARKS.md):
//! - FIFO allocation for an agent holding 10,000 open lots of one product: domain time of
//!   `agents::sales::allocate` (the free-lot index, never a scan), for the head lot and for a
//!   need spanning 10 lots; goal ≤ 1 ms;
//! - durable agent checkout over HTTP with 32 agents selling at once (each its own user and
//!   lots), beside the till's checkout with 32 tills in the same run: throughput, p50, p99.
//!
//! `DUKAN_BENCH_SECS` (default 10) sets each HTTP run's length; `DUKAN_BENCH_DIR` where the
//! data dir goes.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::{Value, json};

const AGENTS: usize = 32;
const PRODUCTS: usize = 5;
const LOTS: u64 = 10_000;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn dukan() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dukan"));
    // Every sign-in comes from 127.0.0.1; the server trusts `X-Forwarded-For` here so that each
    // of the 64 sign-ins counts against its own address, not the per-address limit of 30.
    c.env("DUKAN_BACKUP_DAILY_AT", "").env("DUKAN_LOG", "warn").env("DUKAN_TRUSTED_PROXY", "true");
    c
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(18_083)
}

fn start(data: &Path, port: u16) -> Child {
    let child = dukan()
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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    ms(sorted[((sorted.len() as f64 - 1.0) * p).round() as usize])
}

/// 10,000 accepted one-unit lots of one product for one agent, written through the lots'
/// one write path (the ledger is not needed to time the allocation, which reads only the
/// free-lot index and the lots), then `allocate` timed for 1 and for 10 units.
fn allocation(dir: &Path) -> (f64, f64, f64) {
    use dukan::agents::model::Lot;
    use dukan::ids::{CompanyId, LotId, ProductId, UserId, WarehouseId};
    let db = dukan::schema::open(&dir.join("alloc.redb"), 64 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let (c, agent, product) = (CompanyId(1), UserId(2), ProductId(3));
    for chunk in 0..(LOTS / 1000) {
        db.write_blocking(|tx| -> Result<(), dukan::storage::StorageError> {
            for i in 0..1000 {
                let n = chunk * 1000 + i;
                let lot = Lot {
                    id: LotId(1_000 + n),
                    agent,
                    product,
                    created: dukan::clock::Ts(1_700_000_000_000 + n as i64),
                    transferred: Decimal::ONE,
                    accepted: Decimal::ONE,
                    returned: Decimal::ZERO,
                    sold: Decimal::ZERO,
                    reserved: Decimal::ZERO,
                    cancelled: Decimal::ZERO,
                    unit_cost: Decimal::new(50, 0),
                    price: Decimal::new(80, 0),
                    external_ref: None,
                    source: String::new(),
                    issuer: UserId(1),
                    warehouse: WarehouseId(9),
                    cost: Decimal::new(50, 0),
                    last_movement: dukan::clock::Ts(1_700_000_000_000),
                };
                dukan::agents::store::put_lot(tx, c, None, &lot)?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("lots: {e}"));
    }
    let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
    let time = |need: i64, runs: usize| {
        let mut v = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t0 = Instant::now();
            let got =
                dukan::agents::sales::allocate(&tx, c, agent, product, Decimal::from(need)).unwrap_or_else(|e| panic!("allocate: {e}"));
            v.push(t0.elapsed());
            assert!(got.is_ok_and(|lots| lots.len() == need as usize));
        }
        v.sort();
        v
    };
    let one = time(1, 2_000);
    let ten = time(10, 2_000);
    let short = {
        // A need larger than everything held reads every free lot: the refusal's cost.
        let t0 = Instant::now();
        let r = dukan::agents::sales::allocate(&tx, c, agent, product, Decimal::from(LOTS as i64 + 1)).unwrap_or_else(|e| panic!("{e}"));
        assert!(r.is_err());
        ms(t0.elapsed())
    };
    (pct(&one, 0.99), pct(&ten, 0.99), short)
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(&self, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(token);
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

    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let (st, v) = self.call(token, reqwest::Method::POST, path, Some(body)).await;
        assert!((200..300).contains(&st), "POST {path}: {st} {v}");
        v
    }

    async fn login(&self, email: &str, password: &str) -> String {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .header("x-forwarded-for", format!("10.9.{}.{}", n / 250, n % 250 + 1))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("login: {e}"));
        let st = r.status().as_u16();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!((200..300).contains(&st), "POST /api/v1/auth/login: {st} {v}");
        v["access_token"].as_str().unwrap_or_default().to_string()
    }

    async fn post_raw(&self, token: &str, path: &str, body: String) -> u16 {
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
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
}

/// Makes the JSON body of a sender's `n`-th request.
type Body = Arc<dyn Fn(u64) -> String + Send + Sync>;

struct Run {
    rate: f64,
    p50: f64,
    p99: f64,
    sales: usize,
    errors: usize,
}

/// Closed loop for `secs`: each (token, body maker) sends as fast as its answers come.
async fn run(api: &Arc<Api>, senders: Vec<(String, Body)>, path: &'static str, secs: u64) -> Run {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (token, body) in senders {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut n) = (Vec::new(), 0usize, 0u64);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                if api.post_raw(&token, path, body(n)).await == 201 {
                    lat.push(t0.elapsed());
                } else {
                    errors += 1;
                }
                n += 1;
            }
            (lat, errors)
        }));
    }
    let (mut lat, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await.unwrap_or_default();
        lat.extend(l);
        errors += e;
    }
    lat.sort();
    let elapsed = start.elapsed().as_secs_f64().max(secs as f64);
    Run { rate: lat.len() as f64 / elapsed, p50: pct(&lat, 0.5), p99: pct(&lat, 0.99), sales: lat.len(), errors }
}

fn main() {
    let secs = env("DUKAN_BENCH_SECS", 10);
    let tmp = match std::env::var_os("DUKAN_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (one, ten, short) = allocation(tmp.path());

    let data = tmp.path().join("data");
    let created = dukan()
        .args(["company", "create", "--data", data.to_str().unwrap_or("."), "--name", "Бенч агенты", "--country", "KG"])
        .args(["--owner-email", "agents@bench.local", "--owner-password", "bench-password-1"])
        .stdout(Stdio::null())
        .status();
    assert!(created.is_ok_and(|s| s.success()), "company create failed");
    let port = free_port();
    let child = start(&data, port);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(dukan::storage::yield_cpu_to_writer)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let (agents_run, pos_run) = rt.block_on(async move {
        let http = reqwest::Client::builder().pool_max_idle_per_host(AGENTS * 2).build().unwrap_or_default();
        let api = Arc::new(Api { http, base: format!("http://127.0.0.1:{port}") });
        let owner = api.login("agents@bench.local", "bench-password-1").await;
        let wh = api.post(&owner, "/api/v1/warehouses", json!({"name": "Склад"})).await["id"].as_u64().unwrap_or(0);
        let mut products = Vec::new();
        for i in 0..PRODUCTS {
            let p = api.post(&owner, "/api/v1/products", json!({"name": format!("Товар {i}"), "purchase_price": "50", "price": "80"})).await;
            products.push(p["id"].as_u64().unwrap_or(0));
        }
        let lines: Vec<Value> = products.iter().map(|p| json!({"product": p, "qty": "10000000", "cost": "50"})).collect();
        api.post(&owner, "/api/v1/documents", json!({"kind": "receipt", "warehouse": wh, "lines": lines, "post": true})).await;
        let role = api.post(&owner, "/api/v1/roles", json!({"name": "Агент", "permissions": ["agent"]})).await;
        let (_, branches) = api.call(&owner, reqwest::Method::GET, "/api/v1/branches", None).await;
        let mut agents = Vec::new();
        for i in 0..AGENTS {
            let email = format!("agent{i}@bench.local");
            let body = json!({"email": email, "name": format!("Агент {i}"), "role": "staff", "custom_role": role["id"], "branches": [branches[0]["id"]], "password": "bench-password-2"});
            let u = api.post(&owner, "/api/v1/users", body).await;
            let items: Vec<Value> = products.iter().map(|p| json!({"product": p, "qty": "100000", "accept": true})).collect();
            api.post(&owner, "/api/v1/agents/transfers", json!({"agent": u["user"]["id"], "warehouse": wh, "items": items})).await;
            agents.push(api.login(&email, "bench-password-2").await);
        }
        let mut tills = Vec::new();
        for i in 0..AGENTS {
            let b = api.post(&owner, "/api/v1/cash-boxes", json!({"name": format!("Касса {i}"), "warehouse": wh})).await["id"].as_u64().unwrap_or(0);
            api.post(&owner, "/api/v1/shifts", json!({"cash_box": b, "opening_cash": "5000"})).await;
            tills.push(b);
        }
        let products = Arc::new(products);
        let lines = |products: &[u64], n: u64| -> String {
            (0..5).map(|i| format!(r#"{{"product":{},"qty":"1"}}"#, products[((n + i) as usize) % products.len()])).collect::<Vec<_>>().join(",")
        };
        let senders: Vec<(String, Body)> = agents
            .iter()
            .enumerate()
            .map(|(a, token)| {
                let products = products.clone();
                let f: Body =
                    Arc::new(move |n| format!(r#"{{"idempotency_key":"a-{a}-{n}","lines":[{}]}}"#, lines(&products, n)));
                (token.clone(), f)
            })
            .collect();
        let agents_run = run(&api, senders, "/api/v1/agents/sales", secs).await;
        let senders: Vec<(String, Body)> = tills
            .iter()
            .map(|b| {
                let (products, b) = (products.clone(), *b);
                let f: Body = Arc::new(move |n| {
                    format!(
                        r#"{{"idempotency_key":"p-{b}-{n}","cash_box":{b},"lines":[{}],"payments":[{{"method":"cash","amount":"10000"}}]}}"#,
                        lines(&products, n)
                    )
                });
                (owner.clone(), f)
            })
            .collect();
        let pos_run = run(&api, senders, "/api/v1/sales", secs).await;
        (agents_run, pos_run)
    });
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let mut child = child;
    let _ = child.wait();
    let check = dukan().args(["check", "--data", data.to_str().unwrap_or(".")]).output();
    let check_ok = check.as_ref().is_ok_and(|o| o.status.success());
    println!("## Field agents run\n");
    println!("| measure | result | goal |");
    println!("|---|---|---|");
    println!("| FIFO allocation, 10,000 open lots of one product, 1 unit (head lot), p99 of 2,000 | {one:.3} ms | ≤ 1 ms |");
    println!("| FIFO allocation, 10,000 open lots, 10 units across 10 lots, p99 of 2,000 | {ten:.3} ms | ≤ 1 ms |");
    println!("| refused allocation reading all 10,000 free lots | {short:.1} ms | — |");
    for (what, r) in
        [("agent checkout, 5-line sale, HTTP, 32 agents", &agents_run), ("till checkout, 5-line sale, HTTP, 32 tills (same run)", &pos_run)]
    {
        println!(
            "| {what}, {secs} s closed loop | {:.0} sales/s, p50 {:.1} ms, p99 {:.1} ms ({} sales, {} errors) | beside each other |",
            r.rate, r.p50, r.p99, r.sales, r.errors
        );
    }
    println!("\n`dukan check` after the run: {}", if check_ok { "clean" } else { "PROBLEMS" });
}
