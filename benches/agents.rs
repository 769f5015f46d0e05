//! Field agents' benchmarks (`cargo bench --bench agents`; numbers go to BENCHMARKS.md):
//! - FIFO allocation for an agent holding 10,000 open lots of one product: domain time of
//!   `agents::sales::allocate` (the free-lot index, never a scan), for the head lot and for a
//!   need spanning 10 lots; goal ≤ 1 ms;
//! - durable agent checkout over HTTP with 32 agents selling at once (each its own user and
//!   lots), beside the till's checkout with 32 tills in the same run: throughput, p50, p99;
//! - agent and owner analytics (`analytics::agents::report`) over 1,000,000 agent sales by
//!   100 agents over a year, written through `agents::sales::checkout` (so the daily
//!   projection is kept as in production); goal ≤ 100 ms per report.
//!
//! `DUKAN_BENCH_SECS` (default 10) sets each HTTP run's length; `DUKAN_BENCH_AGENT_SALES`
//! (default 1000000) the analytics workload; `DUKAN_BENCH_DIR` where the data dir goes.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::till::{Api, env, ms, pct, start};
use rust_decimal::Decimal;
use serde_json::{Value, json};

const AGENTS: usize = 32;
const PRODUCTS: usize = 5;
const LOTS: u64 = 10_000;
const LIMIT_MS: f64 = 100.0;

fn dukan() -> Command {
    let mut c = common::dukan();
    // Every sign-in comes from 127.0.0.1; the server trusts `X-Forwarded-For` here so that each
    // of the 64 sign-ins counts against its own address, not the per-address limit of 30.
    c.env("DUKAN_TRUSTED_PROXY", "true");
    c
}

/// Signs in as a user of its own forwarded address (see `dukan`).
async fn login(http: &reqwest::Client, base: &str, email: &str, password: &str) -> Api {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    Api::login(http.clone(), base.to_string(), email, password, Some(format!("10.9.{}.{}", n / 250, n % 250 + 1))).await
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

/// Makes the JSON body of a sender's `n`-th request.
type Body = Arc<dyn Fn(u64) -> String + Send + Sync>;

struct Run {
    rate: f64,
    p50: f64,
    p99: f64,
    sales: usize,
    errors: usize,
}

/// Closed loop for `secs`: each (user, body maker) sends as fast as its answers come.
async fn run(senders: Vec<(Api, Body)>, path: &'static str, secs: u64) -> Run {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for (api, body) in senders {
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut n) = (Vec::new(), 0usize, 0u64);
            while Instant::now() < deadline {
                let t0 = Instant::now();
                if api.post_raw(path, body(n)).await == 201 {
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

/// Runs `f` `n` times and returns (min, median) in milliseconds.
fn timed<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    let mut runs: Vec<f64> = (0..n)
        .map(|_| {
            let t0 = Instant::now();
            std::hint::black_box(f());
            ms(t0.elapsed())
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    (runs[0], runs[runs.len() / 2])
}

const REPORT_AGENTS: usize = 100;
const REPORT_PRODUCTS: usize = 30;

/// 100 agents, each handed 2,000 units of each of 30 products on the first day, then
/// `DUKAN_BENCH_AGENT_SALES` sales (default 1,000,000; 1–3 lines of 1–2 units) spread evenly
/// over 365 days and the agents, sold by the owner on each agent's behalf through
/// `agents::sales::checkout` in commits of 1,000; then the owner's report and one agent's,
/// for the default 30 days and for the whole year. Returns (what, min ms, median ms).
fn analytics(dir: &Path) -> Vec<(String, f64, f64)> {
    use dukan::agents::sales::{CheckoutDraft, LineDraft};
    use dukan::agents::{TransferDraft, TransferItem};
    use dukan::analytics::agents::{AgentQuery, report};
    use dukan::clock::Ts;
    use dukan::ids::{ProductId, UserId};
    use dukan::tenancy::actor::{Actor, BranchScope};
    use dukan::tenancy::model::{Access, SystemRole, all_features};
    use dukan::tenancy::perms::PermSet;
    use dukan::tenancy::{Creator, ParsedCompany, roles, users};

    let sales = env("DUKAN_BENCH_AGENT_SALES", 1_000_000);
    let days = 365i64;
    let db = dukan::schema::open(&dir.join("analytics.redb"), 1 << 30).unwrap_or_else(|e| panic!("open: {e}"));
    // 2026-01-01 00:00 in Bishkek.
    let start = Ts(1_767_204_000_000);
    let parsed = ParsedCompany {
        name: "Агенты".into(),
        country: dukan::country::Country::KG,
        owner_name: "Владелец".into(),
        owner_email: "bench@agents.kg".into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, owner) = db
        .write_blocking(|tx| dukan::tenancy::create_company(tx, start, &parsed, "not-a-hash".into(), Creator::Cli))
        .unwrap_or_else(|e| panic!("company: {e}"));
    let a = Actor {
        company,
        user: owner,
        user_name: "bench".into(),
        role: SystemRole::Owner,
        perms: PermSet::all(),
        branch: BranchScope::Company,
        ip: String::new(),
        lang: dukan::i18n::Lang::Ru,
        platform_admin: false,
        access: Access::Full,
        features: all_features(),
    };
    let branch = db
        .read()
        .ok()
        .and_then(|tx| dukan::tenancy::query::branches(&tx, company).ok())
        .and_then(|b| b.first().map(|b| b.id))
        .unwrap_or_else(|| panic!("the company's first branch"));
    let t0 = Instant::now();
    let (products, agents) = db
        .write_blocking(|tx| -> dukan::error::Result<(Vec<ProductId>, Vec<UserId>)> {
            let wh = dukan::inventory::save_warehouse(tx, &a, start, None, "Склад", None, true)?;
            let mut products = Vec::new();
            for i in 0..REPORT_PRODUCTS {
                let d = dukan::catalog::ProductDraft {
                    name: format!("Товар {i}"),
                    unit: "pcs".into(),
                    purchase_price: format!("{}", 40 + i),
                    price: "100".into(),
                    ..dukan::catalog::ProductDraft::default()
                };
                products.push(dukan::catalog::save_product(tx, &a, start, None, &d)?);
            }
            let lines = products
                .iter()
                .map(|p| dukan::inventory::LineDraft { product: Some(*p), qty: "1000000".into(), cost: "50".into(), amount: String::new() })
                .collect();
            let d = dukan::inventory::DocDraft {
                kind: "receipt".into(),
                date: Some(start),
                warehouse: Some(wh),
                supplier: "Поставщик".into(),
                lines,
                ..dukan::inventory::DocDraft::default()
            };
            let id = dukan::inventory::save_draft(tx, &a, start, None, &d)?;
            dukan::inventory::post(tx, &a, start, id)?;
            let d = dukan::pos::CashBoxDraft {
                name: "Касса".into(), branch: None, expense_only: false, warehouse: Some(wh), active: true
            };
            dukan::pos::save_cash_box(tx, &a, start, None, &d)?;
            let role = roles::save(tx, &a, start, None, &roles::RoleDraft { name: "Агент".into(), permissions: vec!["agent".into()] })?;
            let mut agents = Vec::new();
            for i in 0..REPORT_AGENTS {
                let d = users::UserDraft {
                    email: format!("agent{i}@agents.kg"),
                    name: format!("Агент {i}"),
                    role: "staff".into(),
                    custom_role: Some(role),
                    branches: vec![branch],
                    primary_branch: Some(branch),
                    ..users::UserDraft::default()
                };
                let agent = users::create(tx, &a, start, &d, None)?;
                let items = products
                    .iter()
                    .map(|p| TransferItem { product: *p, qty: Decimal::from(2000), price: Decimal::from(100), accept: true })
                    .collect();
                dukan::agents::transfer(
                    tx,
                    &a,
                    start,
                    &TransferDraft { agent, warehouse: wh, items, external_ref: None, source: String::new() },
                )?;
                agents.push(agent);
            }
            Ok((products, agents))
        })
        .unwrap_or_else(|e| panic!("setup: {e}"));
    let per_day = sales.div_ceil(days as u64);
    let hour = 3_600_000i64;
    let mut n = 0u64;
    'days: for day in 0..days {
        let open = start.0 + day * Ts::MS_PER_DAY + 8 * hour;
        let today = per_day.min(sales - n);
        let mut done = 0u64;
        while done < today {
            let upto = (done + 1000).min(today);
            db.write_blocking(|tx| -> dukan::error::Result<()> {
                for i in done..upto {
                    let k = n + i;
                    let (agent, m) = ((k % REPORT_AGENTS as u64) as usize, k / REPORT_AGENTS as u64);
                    let at = Ts(open + 10 * hour * i as i64 / today.max(1) as i64);
                    let lines = (0..1 + k % 3)
                        .map(|j| LineDraft {
                            product: Some(products[((m * 7 + j * 11 + agent as u64) % REPORT_PRODUCTS as u64) as usize]),
                            qty: (1 + (k + j) % 2).to_string(),
                            ..LineDraft::default()
                        })
                        .collect();
                    let d = CheckoutDraft { agent: Some(agents[agent]), lines, ..CheckoutDraft::default() };
                    dukan::agents::sales::checkout(tx, &a, at, &d)?;
                }
                Ok(())
            })
            .unwrap_or_else(|e| panic!("agent checkout: {e}"));
            done = upto;
        }
        n += today;
        if n >= sales {
            break 'days;
        }
    }
    let seeding = t0.elapsed();
    let rx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
    let rows = rx.len(dukan::agents::daily::AGENT_DAYS).unwrap_or(0);
    let file = std::fs::metadata(dir.join("analytics.redb")).map(|m| m.len()).unwrap_or(0);
    println!(
        "agent analytics: {n} sales by {REPORT_AGENTS} agents over {days} days, {REPORT_PRODUCTS} products, seeded in {:.1} s ({:.0} sales/s, 1,000 per commit); {rows} agent-day rows; data file {:.1} MiB",
        seeding.as_secs_f64(),
        n as f64 / seeding.as_secs_f64(),
        file as f64 / 1_048_576.0
    );
    let now = Ts(start.0 + (days - 1) * Ts::MS_PER_DAY + 20 * hour);
    let year = (start.date_local("Asia/Bishkek"), now.date_local("Asia/Bishkek"));
    let whole = |agent: Option<UserId>| AgentQuery { period: "custom".into(), from: year.0.clone(), to: year.1.clone(), agent };
    let all = report(&rx, &a, now, &whole(None)).unwrap_or_else(|e| panic!("report: {e}"));
    assert_eq!(all.summary.sales, n, "the year's report counts every sale once");
    let mut out = Vec::new();
    let cases = [
        ("owner's report, all 100 agents, last 30 days (the default)", AgentQuery::default()),
        ("one agent's report, last 30 days", AgentQuery { agent: Some(agents[7]), ..AgentQuery::default() }),
        ("owner's report, all 100 agents, the whole year", whole(None)),
        ("one agent's report, the whole year", whole(Some(agents[7]))),
    ];
    for (what, q) in cases {
        let (min, med) = timed(10, || report(&rx, &a, now, &q).unwrap_or_else(|e| panic!("report: {e}")));
        out.push((what.to_string(), min, med));
    }
    out
}

fn main() {
    let secs = env("DUKAN_BENCH_SECS", 10);
    let tmp = match std::env::var_os("DUKAN_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (one, ten, short) = allocation(tmp.path());
    let reports = analytics(tmp.path());

    let data = tmp.path().join("data");
    let created = dukan()
        .args(["company", "create", "--data", data.to_str().unwrap_or("."), "--name", "Бенч агенты", "--country", "KG"])
        .args(["--owner-email", "agents@bench.local", "--owner-password", "bench-password-1"])
        .stdout(Stdio::null())
        .status();
    assert!(created.is_ok_and(|s| s.success()), "company create failed");
    let port = common::free_port();
    let child = start(dukan(), &data, port);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .on_thread_start(dukan::storage::yield_cpu_to_writer)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let (agents_run, pos_run) = rt.block_on(async move {
        let http = reqwest::Client::builder().pool_max_idle_per_host(AGENTS * 2).build().unwrap_or_default();
        let base = format!("http://127.0.0.1:{port}");
        let api = login(&http, &base, "agents@bench.local", "bench-password-1").await;
        let wh = api.post("/api/v1/warehouses", json!({"name": "Склад"})).await["id"].as_u64().unwrap_or(0);
        let mut products = Vec::new();
        for i in 0..PRODUCTS {
            let p = api.post("/api/v1/products", json!({"name": format!("Товар {i}"), "purchase_price": "50", "price": "80"})).await;
            products.push(p["id"].as_u64().unwrap_or(0));
        }
        let lines: Vec<Value> = products.iter().map(|p| json!({"product": p, "qty": "10000000", "cost": "50"})).collect();
        api.post("/api/v1/documents", json!({"kind": "receipt", "warehouse": wh, "lines": lines, "post": true})).await;
        let role = api.post("/api/v1/roles", json!({"name": "Агент", "permissions": ["agent"]})).await;
        let (_, branches) = api.call(reqwest::Method::GET, "/api/v1/branches", None).await;
        let mut agents = Vec::new();
        for i in 0..AGENTS {
            let email = format!("agent{i}@bench.local");
            let body = json!({"email": email, "name": format!("Агент {i}"), "role": "staff", "custom_role": role["id"], "branches": [branches[0]["id"]], "password": "bench-password-2"});
            let u = api.post("/api/v1/users", body).await;
            let items: Vec<Value> = products.iter().map(|p| json!({"product": p, "qty": "100000", "accept": true})).collect();
            api.post("/api/v1/agents/transfers", json!({"agent": u["user"]["id"], "warehouse": wh, "items": items})).await;
            agents.push(login(&http, &base, &email, "bench-password-2").await);
        }
        let mut tills = Vec::new();
        for i in 0..AGENTS {
            let b = api.post("/api/v1/cash-boxes", json!({"name": format!("Касса {i}"), "warehouse": wh})).await["id"].as_u64().unwrap_or(0);
            api.post("/api/v1/shifts", json!({"cash_box": b, "opening_cash": "5000"})).await;
            tills.push(b);
        }
        let products = Arc::new(products);
        let lines = |products: &[u64], n: u64| -> String {
            (0..5).map(|i| format!(r#"{{"product":{},"qty":"1"}}"#, products[((n + i) as usize) % products.len()])).collect::<Vec<_>>().join(",")
        };
        let senders: Vec<(Api, Body)> = agents
            .iter()
            .enumerate()
            .map(|(a, user)| {
                let products = products.clone();
                let f: Body =
                    Arc::new(move |n| format!(r#"{{"idempotency_key":"a-{a}-{n}","lines":[{}]}}"#, lines(&products, n)));
                (user.clone(), f)
            })
            .collect();
        let agents_run = run(senders, "/api/v1/agents/sales", secs).await;
        let senders: Vec<(Api, Body)> = tills
            .iter()
            .map(|b| {
                let (products, b) = (products.clone(), *b);
                let f: Body = Arc::new(move |n| {
                    format!(
                        r#"{{"idempotency_key":"p-{b}-{n}","cash_box":{b},"lines":[{}],"payments":[{{"method":"cash","amount":"10000"}}]}}"#,
                        lines(&products, n)
                    )
                });
                (api.clone(), f)
            })
            .collect();
        let pos_run = run(senders, "/api/v1/sales", secs).await;
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
    for (what, min, med) in &reports {
        let over = if *med > LIMIT_MS { " OVER" } else { "" };
        println!("| {what}, min {min:.2} ms | median {med:.2} ms{over} | ≤ {LIMIT_MS} ms |");
    }
    println!("\n`dukan check` after the run: {}", if check_ok { "clean" } else { "PROBLEMS" });
}
