//! Calendar benchmark (`cargo bench --bench calendar`; numbers go to BENCHMARKS.md): a company
//! with `DUKAN_BENCH_CAL_EVENTS` (default 10,000) events over a year — 2% of them weekly
//! series of 20 to 52 lessons — across 20 resources and 30 users, written through
//! `crm::calendar::save_event` (conflict checks included) in a real data file. Measured: the
//! week view of one resource and of the whole company, and one user's week, through the same
//! `crm::calendar::view` the page and the API call (goal ≤ 50 ms each); and saving one more
//! event (one durable write transaction with its conflict check).

mod common;

use std::time::Instant;

use common::measure::{env, pct, since};
use dukan::clock::Ts;
use dukan::crm::calendar::{self, EventDraft, Period, RepeatDraft, ResourceDraft, Scope};
use dukan::ids::ResourceId;
use dukan::tenancy::{self, users};

fn report(what: &str, v: Vec<f64>, goal: &str) {
    println!("{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal {goal})", pct(v.clone(), 0.5), pct(v.clone(), 0.99), pct(v, 1.0));
}

/// The local date `n` days after 2026-03-02 (a Monday).
fn day(n: usize) -> jiff::civil::Date {
    jiff::civil::date(2026, 3, 2).checked_add(jiff::Span::new().days(n as i64)).unwrap_or_else(|e| panic!("date: {e}"))
}

fn main() {
    let n_events: usize = env("DUKAN_BENCH_CAL_EVENTS", 10_000);
    let rounds: usize = env("DUKAN_BENCH_ROUNDS", 200);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 256 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let now = Ts(1_772_355_600_000);
    let a = common::sales::company(&db, now, "cal@bench.local");
    let company = a.company;
    let (people, rooms) = db
        .write_blocking(|tx| {
            let branch = tenancy::query::branches(tx, company)?.first().map(|b| b.id);
            let mut people = Vec::new();
            for i in 0..30 {
                let d = users::UserDraft {
                    email: format!("master{i}@cal.bench"),
                    name: format!("Мастер {i}"),
                    role: "admin".into(),
                    branches: branch.into_iter().collect(),
                    primary_branch: branch,
                    ..users::UserDraft::default()
                };
                people.push(users::create(tx, &a, now, &d, None)?);
            }
            let mut rooms = Vec::new();
            for i in 0..20 {
                let d = ResourceDraft {
                    name: format!("Кабинет {i}"), kind: "room".into(), active: true, exclusive: false, branch: None
                };
                rooms.push(calendar::save_resource(tx, &a, now, None, &d)?.id);
            }
            Ok::<_, dukan::error::Error>((people, rooms))
        })
        .unwrap_or_else(|e| panic!("people and rooms: {e}"));

    // Events over 52 weeks, 500 per transaction; every 50th a weekly series.
    let t0 = Instant::now();
    let mut conflicts = 0usize;
    let mut made = 0;
    while made < n_events {
        let end = (made + 500).min(n_events);
        conflicts += db
            .write_blocking(|tx| {
                let mut found = 0;
                for i in made..end {
                    let (date, hour) = (day(i * 37 % 364), 8 + i / 7 % 11);
                    let series = i % 50 == 0;
                    let d = EventDraft {
                        title: format!("Запись {i}"),
                        kind: if series { "lesson".into() } else { "appointment".into() },
                        start: format!("{date}T{hour:02}:00"),
                        end: format!("{date}T{hour:02}:50"),
                        participants: vec![people[i % people.len()].0],
                        resources: if i % 4 == 3 { Vec::new() } else { vec![rooms[i / 3 % rooms.len()].0] },
                        repeat: if series {
                            RepeatDraft { freq: "weekly".into(), count: Some(20 + (i % 33) as u64), ..RepeatDraft::default() }
                        } else {
                            RepeatDraft::default()
                        },
                        ..EventDraft::default()
                    };
                    found += calendar::save_event(tx, &a, now, None, &d)?.conflicts.len();
                }
                Ok::<_, dukan::error::Error>(found)
            })
            .unwrap_or_else(|e| panic!("events: {e}"));
        made = end;
    }
    println!(
        "seeded {n_events} events ({} weekly series) on 20 resources and 30 users in {:.1}s; {conflicts} conflicts warned about",
        n_events.div_ceil(50),
        t0.elapsed().as_secs_f64()
    );

    let week = day(26 * 7 + 2);
    let mut sizes = (0, 0, 0);
    let time = |scope: Scope, size: &mut usize| {
        let mut out = Vec::new();
        for _ in 0..rounds {
            let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
            let t = Instant::now();
            let v = calendar::view(&tx, &a, scope, Period::Week, week).unwrap_or_else(|e| panic!("view: {e}"));
            out.push(since(t));
            *size = v.items.len();
        }
        out
    };
    let company_week = time(Scope::Company, &mut sizes.0);
    let resource_week = time(Scope::Resource(ResourceId(rooms[3].0)), &mut sizes.1);
    let user_week = time(Scope::User(people[5]), &mut sizes.2);
    report(&format!("week view, whole company ({} occurrences)", sizes.0), company_week, "≤ 50 ms");
    report(&format!("week view, one resource ({} occurrences)", sizes.1), resource_week, "≤ 50 ms");
    report(&format!("week view, one user ({} occurrences)", sizes.2), user_week, "≤ 50 ms");
    let mut month = Vec::new();
    for _ in 0..rounds {
        let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
        let t = Instant::now();
        calendar::view(&tx, &a, Scope::Company, Period::Month, week).unwrap_or_else(|e| panic!("view: {e}"));
        month.push(since(t));
    }
    report("month view, whole company", month, "≤ 200 ms");

    // One more booking: a durable write transaction with its conflict check.
    let mut saves = Vec::new();
    for i in 0..rounds.min(100) {
        let d = EventDraft {
            title: format!("Ещё {i}"),
            start: format!("{}T12:00", day(i % 300)),
            participants: vec![people[i % people.len()].0],
            resources: vec![rooms[i % rooms.len()].0],
            ..EventDraft::default()
        };
        let t = Instant::now();
        db.write_blocking(|tx| calendar::save_event(tx, &a, now, None, &d)).unwrap_or_else(|e| panic!("save: {e}"));
        saves.push(since(t));
    }
    report("save one event (durable, with its conflict check)", saves, "≤ 20 ms");
    let problems = db.read().map(|tx| dukan::crm::calendar::store::verify(&tx)).unwrap_or_else(|e| panic!("read: {e}"));
    assert_eq!(problems.map(|p| p.len()).unwrap_or(usize::MAX), 0, "calendar indexes consistent");
}
