//! Client picker benchmark (`cargo bench --bench clients`; numbers go to BENCHMARKS.md): the
//! POS picker's prefix lookup (name words, phone digits) over 100,000 clients of one company
//! in a real data file, through the same `clients::pick` the till and the API call. Also the
//! reconciliation statement PDF render (300 rows). `DUKAN_BENCH_CLIENTS` (default 100000) and
//! `DUKAN_BENCH_LOOKUPS` (default 20000) scale it.

use std::time::{Duration, Instant};

use dukan::clients::model::{Client, ClientKind, ClientLegal};
use dukan::clients::store::put_client;
use dukan::clock::Ts;
use dukan::ids::{ClientId, CompanyId, UserId};

const SURNAMES: &[&str] = &[
    "Иванов",
    "Петров",
    "Сидоров",
    "Асанов",
    "Усенов",
    "Токтогулов",
    "Садыров",
    "Бекмуратов",
    "Жумабеков",
    "Абдыкадыров",
    "Кузнецов",
    "Смирнов",
    "Орозбаев",
    "Мамытов",
    "Исаков",
    "Алиев",
    "Каримов",
    "Турдубаев",
    "Осмонов",
    "Шаршенов",
];
const NAMES: &[&str] =
    &["Айбек", "Асель", "Бектур", "Гульнара", "Мария", "Иван", "Нурлан", "Айгуль", "Данияр", "Жылдыз", "Эрмек", "Чолпон"];

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e6
}

fn main() {
    let clients = env("DUKAN_BENCH_CLIENTS", 100_000);
    let lookups = env("DUKAN_BENCH_LOOKUPS", 20_000) as usize;
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dukan::schema::open(&dir.path().join("bench.redb"), 256 << 20).expect("open");
    let company = CompanyId(1);
    let t0 = Instant::now();
    let mut next = 0u64;
    while next < clients {
        let end = (next + 5_000).min(clients);
        db.write_blocking(|tx| -> Result<(), dukan::storage::StorageError> {
            for i in next..end {
                let surname = SURNAMES[(i as usize * 7) % SURNAMES.len()];
                let name = NAMES[(i as usize * 13) % NAMES.len()];
                let c = Client {
                    id: ClientId(1_000 + i),
                    kind: ClientKind::Client,
                    name: format!("{surname}{} {name} {i}", if i % 2 == 0 { "а" } else { "" }),
                    phone: Some(format!("+996{:09}", 500_000_000 + i * 37 % 400_000_000)),
                    email: (i % 3 == 0).then(|| format!("client{i}@mail.kg")),
                    legal: ClientLegal::default(),
                    notes: String::new(),
                    archived: false,
                    created: Ts(0),
                    created_by: UserId(2),
                };
                put_client(tx, company, None, &c)?;
            }
            Ok(())
        })
        .expect("seed");
        next = end;
    }
    println!("seeded {clients} clients in {:.1}s", t0.elapsed().as_secs_f64());

    // Queries a cashier types: 2–6 letters of a surname, a first name, surname + name,
    // 3–6 leading phone digits.
    let mut queries: Vec<String> = Vec::new();
    for i in 0..lookups {
        let q = match i % 4 {
            0 => SURNAMES[i % SURNAMES.len()].chars().take(2 + i % 5).collect(),
            1 => NAMES[i % NAMES.len()].chars().take(3 + i % 3).collect(),
            2 => format!("{} {}", SURNAMES[i % SURNAMES.len()], &NAMES[(i / 3) % NAMES.len()][..4]),
            _ => format!("{}", 555_000 + (i * 7919) % 445_000).chars().take(3 + i % 4).collect(),
        };
        queries.push(q);
    }
    let tx = db.read().expect("read");
    let mut times = Vec::with_capacity(lookups);
    let mut hits = 0usize;
    let all = Instant::now();
    for q in &queries {
        let s = Instant::now();
        let found = dukan::clients::pick(&tx, company, q, 20).expect("pick");
        times.push(s.elapsed());
        hits += found.len();
    }
    let total = all.elapsed();
    times.sort();
    println!(
        "picker over {clients} clients: {lookups} lookups (20 results max), {:.0} lookups/s, p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs, {:.1} hits/lookup",
        lookups as f64 / total.as_secs_f64(),
        pct(&times, 0.50),
        pct(&times, 0.99),
        pct(&times, 1.0),
        hits as f64 / lookups as f64
    );
    println!("data file: {:.1} MB", std::fs::metadata(dir.path().join("bench.redb")).map(|m| m.len()).unwrap_or(0) as f64 / 1e6);

    // The statement PDF: 300 rows (6 pages), font subsetted per document.
    let client = dukan::clients::read_client_unchecked(&tx, company, ClientId(1_000)).expect("client").expect("exists");
    let rows = (0..300)
        .map(|i| dukan::clients::statement::StatementRow {
            at: Ts(i),
            date: "2026-12-03".into(),
            document: format!("Продажа в долг П-{i:06}"),
            debit: rust_decimal::Decimal::new(10_050 + i, 2),
            credit: rust_decimal::Decimal::ZERO,
        })
        .collect();
    let statement = dukan::clients::statement::Statement {
        company: "Демо-магазин «Береке»".into(),
        client,
        from: "2026-01-01".into(),
        to: "2026-12-03".into(),
        currency: "KGS",
        currency_unit: dukan::country::Currency::KGS,
        header: dukan::documents::CompanyHeader { name: "Демо-магазин «Береке»".into(), ..Default::default() },
        opening: rust_decimal::Decimal::ZERO,
        rows,
        debit: rust_decimal::Decimal::new(3_463_350, 2),
        credit: rust_decimal::Decimal::ZERO,
        closing: rust_decimal::Decimal::new(3_463_350, 2),
    };
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..30 {
        let s = Instant::now();
        size = dukan::clients::statement::pdf(&statement).expect("pdf").len();
        times.push(s.elapsed());
    }
    times.sort();
    println!("statement PDF, 300 rows: p50 {:.1} ms, max {:.1} ms, {size} bytes", pct(&times, 0.5) / 1000.0, pct(&times, 1.0) / 1000.0);
}
