//! Product search benchmark (run with `cargo bench --bench search`; the table goes to
//! BENCHMARKS.md): one company with 300,000 synthetic Russian product names plus 19 small
//! companies, written through `catalog::store::put_product` into a real data file, then
//! - full reindex time of the big company from redb (`Search::rebuild`);
//! - incremental indexing throughput through the outbox (`Search::apply_jobs`, batches of 1000);
//! - typeahead latency p50/p99 over ~2,000 prefix, typo, multi-word and barcode queries;
//! - index size on disk and the process's RSS.
//!
//! `DUKAN_BENCH_PRODUCTS` (default 300000) scales it down.

use std::time::{Duration, Instant};

use dukan::catalog::barcode::ean13_with_check;
use dukan::catalog::model::{Characteristics, Kind, Product, Unit};
use dukan::clock::Ts;
use dukan::ids::{CompanyId, ProductId};
use dukan::search::{Filters, Search};
use dukan::storage::Db;
use rust_decimal::Decimal;

const TYPES: &str = "Молоко|Кефир|Йогурт|Сметана|Творог|Сыр|Масло сливочное|Ряженка|Хлеб|Батон|Печенье|Шоколад|Конфеты|\
    Чай|Кофе|Сок|Вода минеральная|Лимонад|Колбаса|Сосиски|Пельмени|Макароны|Рис|Гречка|Мука|Сахар|Соль|\
    Масло подсолнечное|Майонез|Кетчуп|Горошек зелёный|Кукуруза|Тушёнка|Шампунь|Мыло|Зубная паста|\
    Стиральный порошок|Салфетки|Туалетная бумага|Подгузники|Сгущённое молоко|Мороженое|Пряники|Вафли|\
    Чипсы|Сухарики|Орехи|Кофе растворимый|Какао|Хлопья овсяные";
const BRANDS: &str = "Простоквашино|Домик в деревне|Весёлый молочник|Агуша|Danone|Alpen Gold|Милка|Nestle|Nescafe|Jacobs|\
    Lipton|Greenfield|Добрый|J7|Coca-Cola|Махеев|Мираторг|Останкино|Barilla|Макфа|Увелка|Colgate|Fairy|\
    Tide|Zewa|Pampers|Lays|Кириешки|Бабаевский|Красный Октябрь|Рот Фронт|Экомилк|Савушкин|Брест-Литовск|\
    Белебеевский|Кубанский молочник|Святой источник|Borjomi|Золотая семечка|Слобода";
const ATTRS: &str = "3,2%|2,5%|1,5%|6%|20%|ультрапастеризованное|классический|с клубникой|ванильный|без сахара|шоколадный|\
    отборный|традиционный|детский|натуральный|фруктовый|с черникой|молочный|горький|цельнозерновой|\
    газированная|негазированная|копчёная|варёная|сливочный|мягкий|твёрдый|лёгкий|яблочный|апельсиновый";
const SIZES: &str = "1 л|0,5 л|1,5 л|900 г|450 г|200 г|90 г|100 г|250 мл|500 г|1 кг|2 кг|5 кг|10 шт|3 шт";

/// A small deterministic generator (xorshift64*), so every run sees the same catalogue.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// One of the `|`-separated words of `list`.
    fn pick(&mut self, list: &'static str) -> &'static str {
        let n = list.split('|').count();
        list.split('|').nth(self.below(n)).unwrap_or(list)
    }
}

fn name(rng: &mut Rng) -> String {
    format!("{} {} {} {}", rng.pick(TYPES), rng.pick(BRANDS), rng.pick(ATTRS), rng.pick(SIZES))
}

fn product(id: u64, n: u64, name: String, barcode: String) -> Product {
    Product {
        id: ProductId(id),
        kind: Kind::Goods,
        name,
        article: String::new(),
        code: format!("{n:06}"),
        barcodes: vec![barcode],
        unit: Unit::Piece,
        weighed: false,
        plu: None,
        brand: None,
        category: None,
        purchase_price: Decimal::new(8500, 2),
        markup: Decimal::new(20, 0),
        price: Decimal::new(10200, 2),
        discount: Decimal::ZERO,
        country: String::new(),
        expiry: String::new(),
        packages: Vec::new(),
        characteristics: Characteristics::default(),
        components: Vec::new(),
        recipe: Vec::new(),
        reorder_level: Decimal::ZERO,
        archived: false,
        created: Ts(0),
        updated: Ts(0),
    }
}

/// Writes `count` products for `company` in transactions of 20,000; returns (name, barcode)s.
fn fill(db: &Db, company: CompanyId, count: u64, rng: &mut Rng, first_code: u64) -> Vec<(String, String)> {
    let mut made = Vec::with_capacity(count as usize);
    let mut n = 0;
    while n < count {
        let batch: Vec<(String, String)> =
            (n..(n + 20_000).min(count)).map(|i| (name(rng), ean13_with_check(&format!("46{:010}", first_code + i)))).collect();
        let rows = batch.clone();
        db.write_blocking(|tx| -> Result<(), dukan::storage::StorageError> {
            for (i, (name, code)) in rows.into_iter().enumerate() {
                let id = tx.next_id()?;
                dukan::catalog::store::put_product(tx, company, None, &product(id, n + i as u64 + 1, name, code))?;
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("write products: {e}"));
        n += batch.len() as u64;
        made.extend(batch);
    }
    made
}

/// A typo a person makes: an unstressed о/а swap, a dropped letter or a doubled one.
fn typo(word: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = word.chars().collect();
    let at = 1 + rng.below(chars.len().saturating_sub(2).max(1));
    let mut out = chars.clone();
    match rng.below(3) {
        0 => {
            if let Some(i) = chars.iter().position(|c| *c == 'о' || *c == 'а') {
                out[i] = if chars[i] == 'о' { 'а' } else { 'о' };
            } else {
                out.remove(at.min(out.len() - 1));
            }
        }
        1 => {
            out.remove(at.min(out.len() - 1));
        }
        _ => out.insert(at.min(out.len()), chars[at.min(chars.len() - 1)]),
    }
    out.into_iter().collect()
}

fn queries(made: &[(String, String)], rng: &mut Rng) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for i in 0..2000 {
        let (name, barcode) = &made[rng.below(made.len())];
        let words: Vec<&str> = name.split(' ').collect();
        let q = match i % 20 {
            // Typing the first word, then the start of the second ("мол", "молоко прост").
            0..=7 => {
                let take = |w: &str, n: usize| w.chars().take(n).collect::<String>().to_lowercase();
                if i % 2 == 0 {
                    ("prefix", take(words[0], 2 + rng.below(4)))
                } else {
                    ("prefix", format!("{} {}", words[0].to_lowercase(), take(words[1], 2 + rng.below(4))))
                }
            }
            // A misspelt word, sometimes with the next one.
            8..=12 => {
                let long = words.iter().find(|w| w.chars().count() >= 5).copied().unwrap_or(words[0]);
                let t = typo(&long.to_lowercase(), rng);
                if i % 2 == 0 { ("typo", t) } else { ("typo", format!("{t} {}", words[1].to_lowercase())) }
            }
            // Whole words: type, brand and attribute.
            13..=16 => ("words", words[..3.min(words.len())].join(" ").to_lowercase()),
            _ => ("barcode", barcode.clone()),
        };
        out.push(q);
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn dir_bytes(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .map(|rd| rd.flatten().map(|e| e.metadata().map(|m| if m.is_dir() { dir_bytes(&e.path()) } else { m.len() }).unwrap_or(0)).sum())
        .unwrap_or(0)
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<f64>().ok());
    kb.unwrap_or(0.0) / 1024.0
}

fn main() {
    let big: u64 = std::env::var("DUKAN_BENCH_PRODUCTS").ok().and_then(|v| v.parse().ok()).unwrap_or(300_000);
    let small: u64 = 500;
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = dukan::schema::open(&tmp.path().join("dukan.redb"), 256 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let hasher = dukan::auth::password::Hasher::new(1024, 1).unwrap_or_else(|e| panic!("hasher: {e}"));
    dukan::seed::bench(&db, &hasher, Ts(0), 0, 20, |_| {}).unwrap_or_else(|e| panic!("companies: {e}"));
    let companies: Vec<CompanyId> = db
        .read()
        .and_then(|tx| tx.list(dukan::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX))
        .unwrap_or_else(|e| panic!("companies: {e}"))
        .into_iter()
        .map(|(id, _)| CompanyId(id))
        .collect();
    let mut rng = Rng(0x5eed_d0c5_u64);

    let t = Instant::now();
    let made = fill(&db, companies[0], big, &mut rng, 0);
    for (n, c) in companies[1..].iter().enumerate() {
        fill(&db, *c, small, &mut rng, 10_000_000 + n as u64 * 1000);
    }
    let write_s = t.elapsed().as_secs_f64();
    eprintln!("wrote {} products in {write_s:.1} s", big + small * 19);

    let search = Search::open(&tmp.path().join("search")).unwrap_or_else(|e| panic!("search: {e}"));
    let t = Instant::now();
    let docs = search.rebuild(&db, companies[0], &|_, _| {}).unwrap_or_else(|e| panic!("rebuild: {e}"));
    let rebuild_s = t.elapsed().as_secs_f64();
    assert_eq!(docs, big);
    let t = Instant::now();
    for c in &companies[1..] {
        search.rebuild(&db, *c, &|_, _| {}).unwrap_or_else(|e| panic!("rebuild: {e}"));
    }
    let small_rebuild_s = t.elapsed().as_secs_f64();
    let index_mb = dir_bytes(&search.dir(companies[0])) as f64 / (1 << 20) as f64;
    eprintln!("rebuilt in {rebuild_s:.1} s; small companies in {small_rebuild_s:.2} s");

    // The writes above queued one job per product; replay 20 batches to time the worker.
    let t = Instant::now();
    let mut replayed = 0;
    for _ in 0..20 {
        replayed += search.apply_jobs(&db, i64::MAX).unwrap_or_else(|e| panic!("apply: {e}"));
    }
    let apply_s = t.elapsed().as_secs_f64();
    let docs_after = search.docs(companies[0]).unwrap_or_else(|e| panic!("docs: {e}"));
    assert_eq!(docs_after, big, "replayed jobs replace documents, never duplicate them");
    search.close_idle_writers(Duration::ZERO);

    let qs = queries(&made, &mut rng);
    let filters = Filters::default();
    // A second `Search` over the same directory: its first query opens the index and reader.
    let reopened = Search::open(&tmp.path().join("search")).unwrap_or_else(|e| panic!("search: {e}"));
    let cold = Instant::now();
    let _ = reopened.search(companies[0], "молоко", &filters, 20);
    let cold_ms = cold.elapsed().as_secs_f64() * 1000.0;
    drop(reopened);
    // Warm-up pass, then the measured pass.
    for (_, q) in qs.iter().take(200) {
        let _ = search.search(companies[0], q, &filters, 20);
    }
    let mut by_kind: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
    let mut empty = std::collections::BTreeMap::<&str, usize>::new();
    for (kind, q) in &qs {
        let t = Instant::now();
        let hits = search.search(companies[0], q, &filters, 20).unwrap_or_else(|e| panic!("search {q:?}: {e}"));
        by_kind.entry(kind).or_default().push(t.elapsed());
        if hits.is_empty() {
            *empty.entry(kind).or_default() += 1;
            eprintln!("no hit for {kind} query {q:?}");
        }
    }
    let mut small_lat = Vec::new();
    for (_, q) in qs.iter().take(500) {
        let t = Instant::now();
        let _ = search.search(companies[5], q, &filters, 20);
        small_lat.push(t.elapsed());
    }
    small_lat.sort();
    let mut all: Vec<Duration> = by_kind.values().flatten().copied().collect();
    all.sort();

    let date = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("\n### Product search ({date}, release, 2 cores; tantivy 0.27, one index per company)\n");
    println!("| measurement | value | notes |");
    println!("|---|---|---|");
    println!(
        "| catalogue | {big} products in company 1 + 19 × {small} | synthetic Russian names: type, brand, attribute, size; one EAN-13 each |"
    );
    println!("| write products (redb, put_product + outbox job) | {write_s:.1} s | batches of 20,000 per transaction |");
    println!(
        "| **full reindex of {big} products from redb** | **{rebuild_s:.1} s** ({:.0} products/s) | `Search::rebuild`, 50 MB writer heap, one indexing thread |",
        big as f64 / rebuild_s
    );
    println!("| reindex of 19 small companies | {small_rebuild_s:.2} s | |");
    println!(
        "| incremental indexing through the outbox | {:.0} products/s | {replayed} jobs in batches of 1,000, one commit each |",
        replayed as f64 / apply_s
    );
    println!("| index size on disk (big company) | {index_mb:.0} MB | stemmed words, typing prefixes, sound prefixes, exact keys |");
    println!("| first query after opening | {cold_ms:.1} ms | opens the index and its reader |");
    for (kind, lat) in by_kind.iter_mut() {
        lat.sort();
        let n = lat.len();
        let misses = empty.get(kind).copied().unwrap_or(0);
        println!(
            "| {kind} queries: p50 / p99 | {:.2} / {:.2} ms | {n} queries, {misses} with no hit, limit 20 |",
            percentile(lat, 0.5),
            percentile(lat, 0.99)
        );
    }
    println!(
        "| **all typeahead queries: p50 / p99** | **{:.2} / {:.2} ms** | {} queries on the {big}-product company |",
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        all.len()
    );
    println!(
        "| same queries on a {small}-product company: p50 / p99 | {:.2} / {:.2} ms | |",
        percentile(&small_lat, 0.5),
        percentile(&small_lat, 0.99)
    );
    println!("| process RSS after the run | {:.0} MB | redb cache 256 MB configured; all 20 readers open |", rss_mb());
}
