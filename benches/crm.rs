//! CRM benchmark (`cargo bench --bench crm`; numbers go to BENCHMARKS.md): a pipeline with
//! `DUKAN_BENCH_DEALS` (default 10,000) open deals in a real data file — the board's first
//! screen (30 cards per stage and the stage totals, through the same `crm::deals::board` the
//! page and the API call; goal ≤ 100 ms) and moving a deal (one durable write transaction
//! through `crm::deals::move_deal`; goal ≤ 20 ms); a client with `DUKAN_BENCH_EVENTS`
//! (default 5,000) timeline events — one page of 50 (`crm::timeline::page`; goal ≤ 50 ms);
//! merging a duplicate client with `DUKAN_BENCH_LINKED` (default 10,000) linked records
//! (deals, tasks and their timeline events) into another, one durable write transaction
//! through `dedup::merge` (goal ≤ 1 s), and its undo.

use std::time::Instant;

use dukan::clock::Ts;
use dukan::crm::deals::{self, DealDraft};
use dukan::crm::tasks::{self, TaskDraft};
use dukan::crm::timeline;
use dukan::i18n::Lang;
use dukan::ids::{CompanyId, CrmDealId, UserId};
use dukan::tenancy::actor::{Actor, BranchScope};
use dukan::tenancy::model::{Access, SystemRole, all_features};
use dukan::tenancy::perms::PermSet;
use dukan::tenancy::{self, Creator, ParsedCompany};

fn actor(company: CompanyId, user: UserId) -> Actor {
    Actor {
        company,
        user,
        user_name: "bench".into(),
        role: SystemRole::Owner,
        perms: PermSet::all(),
        branch: BranchScope::Company,
        ip: "127.0.0.1".into(),
        lang: Lang::Ru,
        platform_admin: false,
        access: Access::Full,
        features: all_features(),
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let n_deals = env("DUKAN_BENCH_DEALS", 10_000);
    let n_events = env("DUKAN_BENCH_EVENTS", 5_000);
    let rounds = env("DUKAN_BENCH_ROUNDS", 200);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let path = dir.path().join("dukan.redb");
    let db = dukan::schema::open(&path, 256 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let mut now = Ts(1_772_355_600_000);
    let parsed = ParsedCompany {
        name: "Бенч".into(),
        country: dukan::country::Country::KG,
        owner_name: "Владелец".into(),
        owner_email: "crm@bench.local".into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, owner) = db
        .write_blocking(|tx| tenancy::create_company(tx, now, &parsed, "unused".into(), Creator::Cli))
        .unwrap_or_else(|e| panic!("company: {e}"));
    let a = actor(company, owner);
    let client = db
        .write_blocking(|tx| {
            let d = dukan::clients::ClientDraft { name: "Клиент с историей".into(), ..Default::default() };
            dukan::clients::save_client(tx, &a, now, None, &d).map(|(c, _)| c.id)
        })
        .unwrap_or_else(|e| panic!("client: {e}"));

    // Deals spread over the pipeline's three open stages, 1,000 per transaction.
    let t0 = Instant::now();
    let mut ids: Vec<CrmDealId> = Vec::with_capacity(n_deals);
    let mut made = 0;
    while made < n_deals {
        let end = (made + 1_000).min(n_deals);
        let chunk = db
            .write_blocking(|tx| {
                let mut out = Vec::new();
                for i in made..end {
                    let d = DealDraft {
                        title: format!("Сделка {i}"), value: format!("{}", 1_000 + i % 97 * 100), ..DealDraft::default()
                    };
                    out.push(deals::save_deal(tx, &a, now.plus_ms(i as i64), None, &d)?.id);
                }
                Ok::<_, dukan::error::Error>(out)
            })
            .unwrap_or_else(|e| panic!("deals: {e}"));
        ids.extend(chunk);
        made = end;
    }
    let p = {
        let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
        deals::pipelines(&tx, &a).unwrap_or_else(|e| panic!("pipelines: {e}")).remove(0)
    };
    let open: Vec<_> = p.stages.iter().filter(|s| s.kind == dukan::crm::model::StageKind::Open).map(|s| s.id).collect();
    // A third of the deals to each open stage, as real boards spread.
    for (n, chunk) in ids.chunks(1_000).enumerate() {
        db.write_blocking(|tx| {
            for (i, id) in chunk.iter().enumerate() {
                let stage = open[(n * 1_000 + i) % open.len()];
                if stage != open[0] {
                    deals::move_deal(tx, &a, now, *id, stage, "")?;
                }
            }
            Ok::<_, dukan::error::Error>(())
        })
        .unwrap_or_else(|e| panic!("spread: {e}"));
    }
    println!("seeded {n_deals} open deals in {:.1}s", t0.elapsed().as_secs_f64());

    // The board's first screen.
    let mut board = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
        let cols = deals::board(&tx, &a, &p, 30).unwrap_or_else(|e| panic!("board: {e}"));
        let f = deals::forecast(&tx, &a, &p).unwrap_or_else(|e| panic!("forecast: {e}"));
        assert_eq!(cols.iter().map(|c| c.count).sum::<u64>(), n_deals as u64);
        assert_eq!(f.total.count, n_deals as u64);
        board.push(ms(t));
    }
    println!(
        "board first screen + forecast over {n_deals} deals: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal ≤ 100 ms)",
        pct(board.clone(), 0.5),
        pct(board.clone(), 0.99),
        pct(board, 1.0)
    );

    // Moving a deal: one durable write transaction each.
    let mut moves = Vec::new();
    for i in 0..rounds.min(ids.len()) {
        now = now.plus_ms(1);
        let (id, stage) = (ids[i * 37 % ids.len()], open[(i + 1) % open.len()]);
        let t = Instant::now();
        db.write_blocking(|tx| deals::move_deal(tx, &a, now, id, stage, "")).unwrap_or_else(|e| panic!("move: {e}"));
        moves.push(ms(t));
    }
    println!(
        "move a deal (durable): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal ≤ 20 ms)",
        pct(moves.clone(), 0.5),
        pct(moves.clone(), 0.99),
        pct(moves, 1.0)
    );

    // A client with a long history: tasks created for it, 500 per transaction.
    let t0 = Instant::now();
    let mut made = 0;
    while made < n_events {
        let end = (made + 500).min(n_events);
        db.write_blocking(|tx| {
            for i in made..end {
                let d =
                    TaskDraft {
                        title: format!("Звонок {i}"), due: "2026-03-05".into(), client: Some(client.0), ..TaskDraft::default()
                    };
                tasks::save_task(tx, &a, now.plus_ms(i as i64), None, &d)?;
            }
            Ok::<_, dukan::error::Error>(())
        })
        .unwrap_or_else(|e| panic!("events: {e}"));
        made = end;
    }
    println!("seeded {n_events} timeline events in {:.1}s", t0.elapsed().as_secs_f64());
    let mut first = Vec::new();
    let mut deep = Vec::new();
    for _ in 0..rounds {
        let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
        let t = Instant::now();
        let page = timeline::page(&tx, &a, client, timeline::Cursor::START, 50).unwrap_or_else(|e| panic!("page: {e}"));
        first.push(ms(t));
        assert_eq!(page.items.len(), 50);
        // Page 40: the cursor makes a deep page cost what the first does.
        let mut cursor = page.next;
        for _ in 0..38 {
            cursor = cursor.and_then(|c| timeline::page(&tx, &a, client, c, 50).ok().and_then(|p| p.next));
        }
        let t = Instant::now();
        let page = timeline::page(&tx, &a, client, cursor.unwrap_or(timeline::Cursor::START), 50).unwrap_or_else(|e| panic!("page: {e}"));
        deep.push(ms(t));
        assert_eq!(page.items.len(), 50);
    }
    println!(
        "client timeline of {n_events} events, one page of 50: first p50 {:.2} ms, p99 {:.2} ms; page 40 p50 {:.2} ms, p99 {:.2} ms (goal ≤ 50 ms)",
        pct(first.clone(), 0.5),
        pct(first, 0.99),
        pct(deep.clone(), 0.5),
        pct(deep, 0.99)
    );
    // Merging a duplicate with `n_linked` linked records: half deals, half tasks, each with
    // its timeline event (so deals + tasks + events = n_linked).
    let n_linked = env("DUKAN_BENCH_LINKED", 10_000);
    let (keep, dup) = db
        .write_blocking(|tx| {
            let d = dukan::clients::ClientDraft { name: "Асанов Бакыт".into(), ..Default::default() };
            let keep = dukan::clients::save_client(tx, &a, now, None, &d)?.0.id;
            let d = dukan::clients::ClientDraft { name: "Бакыт Асанов".into(), ..Default::default() };
            Ok::<_, dukan::error::Error>((keep, dukan::clients::save_client(tx, &a, now, None, &d)?.0.id))
        })
        .unwrap_or_else(|e| panic!("clients: {e}"));
    let t0 = Instant::now();
    let mut made = 0;
    while made < n_linked / 2 {
        let end = (made + 500).min(n_linked / 2);
        db.write_blocking(|tx| {
            for i in made..end {
                if i % 2 == 0 {
                    let d =
                        DealDraft { title: format!("Дубль {i}"), value: "100".into(), client: Some(dup.0), ..DealDraft::default() };
                    deals::save_deal(tx, &a, now.plus_ms(i as i64), None, &d)?;
                } else {
                    let d =
                        TaskDraft {
                            title: format!("Дубль {i}"), due: "2026-03-05".into(), client: Some(dup.0), ..TaskDraft::default()
                        };
                    tasks::save_task(tx, &a, now.plus_ms(i as i64), None, &d)?;
                }
            }
            Ok::<_, dukan::error::Error>(())
        })
        .unwrap_or_else(|e| panic!("linked: {e}"));
        made = end;
    }
    println!("seeded a duplicate with {} linked records in {:.1}s", made * 2, t0.elapsed().as_secs_f64());
    now = now.plus_ms(1_000);
    let t = Instant::now();
    let m = db.write_blocking(|tx| dukan::dedup::merge(tx, &a, now, keep, dup)).unwrap_or_else(|e| panic!("merge: {e}"));
    let merge_ms = ms(t);
    assert_eq!(m.moved(), made * 2);
    let t = Instant::now();
    db.write_blocking(|tx| dukan::dedup::undo(tx, &a, now, m.id)).unwrap_or_else(|e| panic!("undo: {e}"));
    let undo_ms = ms(t);
    println!(
        "merge a duplicate client with {} linked records (durable, one transaction): {merge_ms:.1} ms; undo {undo_ms:.1} ms (goal ≤ 1000 ms)",
        m.moved()
    );
    let problems = dukan::check::run(&db).unwrap_or_else(|e| panic!("check: {e}"));
    assert!(problems.is_empty(), "{problems:?}");
    println!("data file: {:.1} MB; dukan check clean", std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6);
}
