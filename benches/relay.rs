//! Inbound webhooks through `dukan relay` (`cargo bench --bench relay`; numbers go to
//! BENCHMARKS.md): the relay and a box in this process, the box linked to the relay over its
//! WebSocket. A fake Meta posts signed webhooks to the relay at a steady rate (1,000 a minute by
//! default) for the run; a third of the way in the relay cuts the box's link, two thirds in the
//! box is stopped for `RELAY_OFF_SECS` and started again on the same data file. Reports the
//! posts Meta got 200 for, the messages stored on the box (each Meta id exactly once), the
//! delay from the relay's 200 to the message stored in its conversation (p50/p99 outside the
//! outages, and max), the relay's deepest queue and the drain time after the last post.
//! `RELAY_RATE` (per minute, 1000), `RELAY_SECS` (60), `RELAY_OFF_SECS` (5) set the size.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dukan::app::App;
use dukan::clock::{Clock, SystemClock};
use dukan::config::Config;
use dukan::relay::server::Relay;
use serde_json::{Value, json};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn body(i: u64) -> String {
    let at = SystemClock.now().0 / 1000;
    let from = format!("9965551{:05}", i % 50);
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "996700000000", "phone_number_id": "1065403522"},
        "contacts": [{"profile": {"name": "Айгуль"}, "wa_id": from}],
        "messages": [{"from": from, "id": format!("wamid.R{i}"), "timestamp": at.to_string(), "type": "text", "text": {"body": format!("сообщение {i}")}}]
    }}]}]})
    .to_string()
}

/// A running box: its app, the link, the messaging worker loop and the HTTP server.
struct Box_ {
    app: App,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    stop_http: tokio::sync::oneshot::Sender<()>,
    base: String,
}

async fn start_box(config: Config) -> Box_ {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let app = App::open(config, clock).expect("open box");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop_http, rx) = tokio::sync::oneshot::channel::<()>();
    let served = app.clone();
    tokio::spawn(async move {
        let _ = dukan::http::serve(served, listener, async move {
            let _ = rx.await;
        })
        .await;
    });
    let mut tasks = vec![app.start_relay_link().expect("relay configured")];
    let worker = app.clone();
    tasks.push(tokio::spawn(async move {
        let mut wake = worker.db.outbox_wakeups();
        loop {
            while dukan::workers::messaging_once(worker.clone()).await.unwrap_or(false) {}
            let _ = tokio::time::timeout(Duration::from_millis(50), wake.changed()).await;
        }
    }));
    Box_ { app, tasks, stop_http, base }
}

async fn stop_box(b: Box_) {
    for t in &b.tasks {
        t.abort();
    }
    for t in b.tasks {
        let _ = t.await;
    }
    let _ = b.stop_http.send(());
    drop(b.app);
    // The server task drops its App clone when its graceful shutdown completes.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn stored(app: &App) -> u64 {
    app.db.read().and_then(|tx| tx.len(dukan::messaging::store::WAMIDS)).unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let rate = env("RELAY_RATE", 1000).max(1);
    let secs = env("RELAY_SECS", 60).max(3);
    let off = env("RELAY_OFF_SECS", 5);
    let total = rate * secs / 60;

    let rdir = tempfile::tempdir().expect("tempdir");
    let relay = Arc::new(Relay::open(&rdir.path().join("relay.redb"), Arc::new(SystemClock)).expect("relay"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let raddr = listener.local_addr().expect("addr");
    let served = relay.clone();
    tokio::spawn(async move {
        let _ = dukan::http::relay::serve(served, listener, std::future::pending()).await;
    });
    let (box_id, token) = relay.db.write(|tx| dukan::relay::store::add_box(tx, "bench", SystemClock.now())).await.expect("box");

    let dir = tempfile::tempdir().expect("tempdir");
    let config = Config {
        data: dir.path().to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("addr"),
        argon2_m_kib: 1024,
        argon2_t: 1,
        webhooks_allow_loopback: true,
        relay: dukan::config::RelayConfig { url: Some(format!("ws://{raddr}")), token: Some(token) },
        ..Config::default()
    };
    let b = start_box(config.clone()).await;
    let draft = dukan::tenancy::CompanyDraft {
        name: "Бенч".into(),
        country: "KG".into(),
        owner_name: "Владелец".into(),
        owner_email: "bench@relay.kg".into(),
        owner_password: "password-123".into(),
        plan: None,
    };
    let (company, _) = dukan::http::shared::create_company(&b.app, None, "127.0.0.1", draft).await.expect("company");
    let company = company.0;
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/api/v1/auth/login", b.base))
        .json(&json!({"email": "bench@relay.kg", "password": "password-123"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("login json");
    let ch: Value = http
        .post(format!("{}/api/v1/messaging/channels", b.base))
        .bearer_auth(login["access_token"].as_str().expect("token"))
        .json(&json!({"name": "WA", "phone_number_id": "1065403522", "access_token": "t", "app_secret": "s3cret", "verify_token": "v"}))
        .send()
        .await
        .expect("channel")
        .json()
        .await
        .expect("channel json");
    let channel = ch["id"].as_u64().expect("channel id");
    let hook = format!("http://{raddr}{}", dukan::relay::hook_path(box_id, company, channel));
    while !relay.connected(box_id) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Meta: one post every 60/rate seconds, on schedule whatever the answers take.
    let t0 = Instant::now();
    let posted_at: Arc<Vec<AtomicU64>> = Arc::new((0..total).map(|_| AtomicU64::new(0)).collect());
    let ok = Arc::new(AtomicU64::new(0));
    let poster = {
        let (posted_at, ok, http, hook) = (posted_at.clone(), ok.clone(), http.clone(), hook.clone());
        tokio::spawn(async move {
            let every = Duration::from_secs_f64(60.0 / rate as f64);
            let mut posts = Vec::new();
            for i in 0..total {
                tokio::time::sleep_until((t0 + every * i as u32).into()).await;
                let (posted_at, ok, http, hook) = (posted_at.clone(), ok.clone(), http.clone(), hook.clone());
                posts.push(tokio::spawn(async move {
                    let b = body(i);
                    let sig = dukan::webhooks::sign("s3cret", b.as_bytes());
                    let r = http.post(hook).header("x-hub-signature-256", sig).body(b).send().await.expect("post");
                    if r.status().is_success() {
                        posted_at[i as usize].store(t0.elapsed().as_micros() as u64, Ordering::Relaxed);
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                }));
            }
            for p in posts {
                let _ = p.await;
            }
        })
    };

    // Watch the box's store and the relay's queue; cut the link, then stop and start the box.
    let mut stored_at: Vec<u64> = Vec::with_capacity(total as usize);
    let mut max_depth = 0;
    let (mut cut_at, mut off_from, mut off_to) = (None, None, None);
    let mut current = Some(b);
    let mut last_post_done = None;
    loop {
        let el = t0.elapsed();
        if cut_at.is_none() && el >= Duration::from_secs(secs / 3) {
            relay.kick(box_id);
            cut_at = Some(el);
        }
        if off_from.is_none()
            && el >= Duration::from_secs(2 * secs / 3)
            && let Some(b) = current.take()
        {
            off_from = Some(el);
            stop_box(b).await;
            tokio::time::sleep(Duration::from_secs(off)).await;
            current = Some(start_box(config.clone()).await);
            off_to = Some(t0.elapsed());
        }
        if let Some(b) = &current {
            let n = stored(&b.app);
            while (stored_at.len() as u64) < n {
                stored_at.push(t0.elapsed().as_micros() as u64);
            }
        }
        max_depth = max_depth.max(relay.depth(box_id).unwrap_or(0));
        if poster.is_finished() && last_post_done.is_none() {
            last_post_done = Some(t0.elapsed());
        }
        if last_post_done.is_some() && stored_at.len() as u64 >= ok.load(Ordering::Relaxed) && relay.depth(box_id).unwrap_or(1) == 0 {
            break;
        }
        if t0.elapsed() > Duration::from_secs(secs * 3 + 60) {
            println!("gave up waiting: {} stored of {} posted", stored_at.len(), ok.load(Ordering::Relaxed));
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = t0.elapsed();
    let b = current.expect("box");
    let stored_now = stored(&b.app);
    // Each Meta id exactly once: the Meta-id index has one row per stored message, and every
    // id the fake posted is in it.
    let tx = b.app.db.read().expect("read");
    let c = company;
    let missing = (0..total)
        .filter(|i| tx.get(dukan::messaging::store::WAMIDS, (c, format!("wamid.R{i}").as_str())).ok().flatten().is_none())
        .count();
    drop(tx);
    let problems = dukan::check::run(&b.app.db).map(|p| p.len()).unwrap_or(usize::MAX);

    // Delay per message: the k-th stored against the k-th posted (in-order delivery), outside
    // the outages (the cut link, the stopped box) and the catch-up after each.
    let mut posted: Vec<u64> = posted_at.iter().map(|a| a.load(Ordering::Relaxed)).filter(|&t| t > 0).collect();
    posted.sort();
    let mut lat: Vec<(u64, u64)> = posted.iter().zip(&stored_at).map(|(&p, &s)| (p, s.saturating_sub(p))).collect();
    let all_max = lat.iter().map(|l| l.1).max().unwrap_or(0);
    let calm = |t: u64| {
        let t = Duration::from_micros(t);
        let near = |a: Option<Duration>, b: Option<Duration>| match (a, b) {
            (Some(a), Some(b)) => t + Duration::from_secs(1) >= a && t <= b + Duration::from_secs(5),
            _ => false,
        };
        !near(cut_at, cut_at.map(|c| c + Duration::from_secs(2))) && !near(off_from, off_to)
    };
    lat.retain(|l| calm(l.0));
    let mut steady: Vec<u64> = lat.iter().map(|l| l.1).collect();
    steady.sort();
    let pct = |p: f64| {
        if steady.is_empty() { 0 } else { steady[((steady.len() as f64 * p).ceil() as usize).saturating_sub(1).min(steady.len() - 1)] }
    };
    println!(
        "relay: {total} webhooks at {rate}/min over {secs} s; Meta got 200 for {}; stored on the box {stored_now} ({missing} missing, {} duplicates); dukan check: {problems} problems",
        ok.load(Ordering::Relaxed),
        stored_now.saturating_sub(total - missing as u64),
    );
    println!(
        "link cut at {:.1} s; box off {:.1}–{:.1} s; deepest relay queue {max_depth}; all stored {:.1} s after the last post",
        cut_at.unwrap_or_default().as_secs_f64(),
        off_from.unwrap_or_default().as_secs_f64(),
        off_to.unwrap_or_default().as_secs_f64(),
        (done - last_post_done.unwrap_or(done)).as_secs_f64()
    );
    println!(
        "relay 200 → stored in its conversation, outside the outages: p50 {:.1} ms, p99 {:.1} ms ({} messages); max over the run {:.1} s",
        pct(0.50) as f64 / 1000.0,
        pct(0.99) as f64 / 1000.0,
        steady.len(),
        all_max as f64 / 1_000_000.0
    );
    stop_box(b).await;
}
