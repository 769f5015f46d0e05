//! Label-scale benchmarks (`cargo bench --bench scales`; numbers go to BENCHMARKS.md):
//! - PLU sync of 5,000 weighed products to the simulated Mertech label scale over TCP, the
//!   way the worker runs it (`scales::upload::job`: plan, 50 batches of 100, one durable
//!   transaction per answered batch with its stored results and holds, progress published);
//!   limit 10 s;
//! - 200 weighed-goods labels laid out and encoded to TSPL (code page text, EAN-13 weight
//!   barcodes by the company rule); limit 1 s.
//!
//! - live weight at the till: the release server as a child process reads a simulated MT-SICS
//!   scale on a pty (the way a USB-serial scale is attached), and a client follows the till's
//!   event stream (`GET /api/v1/scales/{id}/live`, what the till page's EventSource opens);
//!   from the instant the simulated platform settles on a new weight until the `weight` event
//!   with that stable reading arrives; `DUKAN_BENCH_WEIGHINGS` rounds (default 200); limit
//!   p99 ≤ 150 ms.
//!
//! The first two in-process through the domain functions. Scale with `DUKAN_BENCH_PLUS`
//! (default 5000).

mod common;

use common::measure::{env, since};

use std::time::Instant;

use dukan::clock::{ManualClock, Ts};
use dukan::ids::LabelScaleId;
use dukan::printing::labels::{self, LabelSetup, Language};
use dukan::printing::tspl::TextMode;
use dukan::scales::label::{self, LabelScaleDraft};
use dukan::scales::label_sim::LabelSim;
use dukan::scales::upload::{self, Outcome};
use dukan::scales::{Reach, label_sim};
use dukan::storage::outbox;
use dukan::webhooks::guard::Policy;

fn main() {
    let n = env("DUKAN_BENCH_PLUS", 5_000usize);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 256 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let now = Ts(1_772_355_600_000);
    let a = common::sales::company(&db, now, "scales@bench.local");
    let t = Instant::now();
    let products = db
        .write_blocking(|tx| -> dukan::error::Result<Vec<dukan::ids::ProductId>> {
            let mut ids = Vec::new();
            for i in 0..n {
                let d = dukan::catalog::ProductDraft {
                    name: format!("Сыр весовой №{i}"),
                    unit: "kg".into(),
                    weighed: true,
                    price: format!("{}.50", 300 + i % 400),
                    ..dukan::catalog::ProductDraft::default()
                };
                ids.push(dukan::catalog::save_product(tx, &a, now, None, &d)?);
            }
            Ok(ids)
        })
        .unwrap_or_else(|e| panic!("products: {e}"));
    println!("seed: {n} weighed products in {:.1} s", t.elapsed().as_secs_f64());

    // PLU sync to the simulator.
    let sim = LabelSim::new(*b"0030");
    let port = rt.block_on(sim.serve()).unwrap_or_else(|e| panic!("sim: {e}"));
    let reach = Reach { paths: Vec::new(), policy: Policy { allow_private: true, allow_loopback: true } };
    let draft = LabelScaleDraft {
        name: "Весы в гастрономии".into(),
        link: "mertech".into(),
        address: format!("127.0.0.1:{port}"),
        password: "0030".into(),
        active: true,
    };
    let (scale, _) = db.write_blocking(|tx| label::save(tx, &a, now, None, &draft, &reach)).unwrap_or_else(|e| panic!("label scale: {e}"));
    let id: LabelScaleId = scale.id;
    let hub = dukan::live::Hub::new();
    let mut progress = hub.subscribe(a.company, &upload::topic(id));
    let clock = ManualClock::new(now);
    let jobs =
        outbox::due(&db.read().unwrap_or_else(|e| panic!("read: {e}")), "label_sync", i64::MAX, 10).unwrap_or_else(|e| panic!("due: {e}"));
    let (job, _) = jobs.into_iter().next().unwrap_or_else(|| panic!("no label sync job queued"));
    let t = Instant::now();
    let outcome = rt.block_on(upload::job(&db, &hub, &clock, &reach, a.company, id, job)).unwrap_or_else(|e| panic!("sync: {e}"));
    let sync_s = t.elapsed().as_secs_f64();
    let mut events = 0;
    while progress.try_recv().is_ok() {
        events += 1;
    }
    assert_eq!(outcome, Outcome::Done { accepted: n as u32, rejected: 0 }, "every PLU accepted");
    assert_eq!(sim.count(), n, "the simulator holds every PLU");
    let held = label::held_count(&db.read().unwrap_or_else(|e| panic!("read: {e}")), a.company, id).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held, n as u64);
    println!(
        "PLU sync: {n} products to the simulated Mertech scale in {sync_s:.2} s ({} batches of {}, {events} progress events; limit 10 s) {}",
        n.div_ceil(label::BATCH),
        label::BATCH,
        if sync_s <= 10.0 { "OK" } else { "OVER" }
    );
    let _ = label_sim::CAPACITY;

    // 200 weighed-goods labels to TSPL.
    let setup = LabelSetup { language: Language::Tspl, width_mm: 58, height_mm: 40, gap_mm: 2, dpi: 203, text: TextMode::Codepage };
    let rule = dukan::pos::model::WeightRule::default();
    let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
    let chosen: Vec<_> = products
        .iter()
        .take(200)
        .map(|p| dukan::catalog::store::product(&tx, a.company, *p).ok().flatten().unwrap_or_else(|| panic!("product {p}")))
        .collect();
    let mut best = f64::MAX;
    let mut bytes = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let contents: Vec<_> = chosen
            .iter()
            .enumerate()
            .map(|(i, p)| {
                labels::weighed_content(p, 250 + i as i64 * 7, &rule, "07.12.2026", "10.12.2026").unwrap_or_else(|e| panic!("label: {e}"))
            })
            .collect();
        let laid: Vec<_> = contents.iter().map(|c| labels::layout(c, &setup)).collect();
        bytes = dukan::printing::tspl::encode(&laid, setup.dpi, setup.text).len();
        best = best.min(since(t));
    }
    println!(
        "TSPL: 200 weighed labels laid out and encoded in {best:.1} ms ({bytes} bytes; limit 1000 ms) {}",
        if best <= 1000.0 { "OK" } else { "OVER" }
    );
    live_weight();
}

/// A stable reading on the scale → the till's event stream, over HTTP from the real server.
fn live_weight() {
    use common::till::{self, Api};
    use dukan::scales::proto::{Protocol, State};
    use dukan::scales::sim::Sim;
    use serde_json::json;

    let rounds = till::env("DUKAN_BENCH_WEIGHINGS", 200) as usize;
    let tmp = common::sales::tempdir();
    let data = tmp.path().to_path_buf();
    let (email, password) = ("weigh@bench.local", "bench-weigh-password-1");
    let out = common::dukan()
        .args(["company", "create", "--data", data.to_str().unwrap_or("."), "--name", "Весовой бенч", "--country", "KG"])
        .args(["--owner-email", email, "--owner-password", password])
        .output()
        .unwrap_or_else(|e| panic!("dukan company create: {e}"));
    assert!(out.status.success(), "company create: {}", String::from_utf8_lossy(&out.stderr));
    // A pty stands in for the USB-serial adapter: allow its path beside the usual ones.
    let config = "printer_paths = [\"/dev/usb/lp\", \"/dev/ttyUSB\", \"/dev/ttyACM\", \"/dev/ttyS\", \"/dev/pts/\"]\n";
    std::fs::write(data.join("dukan.toml"), config).unwrap_or_else(|e| panic!("config: {e}"));
    let sim = Sim::new(Protocol::Sics);
    sim.set(0, State::Stable);
    let path = sim.serve_pty().unwrap_or_else(|e| panic!("pty: {e}"));
    let port = common::free_port();
    let mut server = till::start(common::dukan(), &data, port);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    let lat = rt.block_on(async {
        let base = format!("http://127.0.0.1:{port}");
        let api = Api::login(reqwest::Client::new(), base.clone(), email, password, None).await;
        let scale =
            api.post("/api/v1/scales", json!({"name": "Весы у кассы", "link": "serial", "address": path, "protocol": "sics"})).await;
        let id = scale["id"].as_u64().unwrap_or_else(|| panic!("scale: {scale}"));
        let mut res = api
            .http
            .get(format!("{base}/api/v1/scales/{id}/live"))
            .bearer_auth(&api.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("live stream: {e}"));
        assert_eq!(res.status().as_u16(), 200);
        let mut seen = String::new();
        // The stream first shows the empty platform, settled.
        let settled = |seen: &str, grams: i64| seen.contains("\"state\":\"stable\"") && seen.contains(&format!("\"grams\":{grams},"));
        while !settled(&seen, 0) {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(20), res.chunk()).await;
            let Ok(Ok(Some(c))) = chunk else { panic!("no reading of the empty platform: {seen}") };
            seen.push_str(&String::from_utf8_lossy(&c));
        }
        let mut lat = Vec::with_capacity(rounds);
        for i in 0..rounds {
            // Goods on, goods off: a new stable weight each round, zero in between.
            let grams = if i % 2 == 0 { 250 + (i as i64) * 3 } else { 0 };
            seen.clear();
            let t = Instant::now();
            sim.set(grams, State::Stable);
            loop {
                let event_done = seen.rsplit("event: weight").next().is_some_and(|e| e.contains("\n\n"));
                if event_done && seen.rsplit("event: weight").next().is_some_and(|e| settled(e, grams)) {
                    break;
                }
                let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), res.chunk()).await;
                let Ok(Ok(Some(c))) = chunk else { panic!("round {i}: no event for {grams} g: {seen}") };
                seen.push_str(&String::from_utf8_lossy(&c));
            }
            lat.push(t.elapsed());
        }
        lat
    });
    let _ = server.kill();
    let _ = server.wait();
    let mut sorted = lat;
    sorted.sort();
    let p99 = till::pct(&sorted, 0.99);
    println!(
        "live weight: stable reading on the scale (MT-SICS on a pty, polled every {} ms) → the till's event stream over HTTP, {} weighings: p50 {:.1} ms, p99 {p99:.1} ms, max {:.1} ms (limit p99 150 ms) {}",
        dukan::scales::device::POLL.as_millis(),
        sorted.len(),
        till::pct(&sorted, 0.5),
        till::pct(&sorted, 1.0),
        if p99 <= 150.0 { "OK" } else { "OVER" }
    );
}
