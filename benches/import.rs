//! Product import benchmark (run with `cargo bench --bench import`; the table goes to
//! BENCHMARKS.md): a 50,000-row CSV (Windows-1251, `;`: name, EAN-13, unit, purchase price,
//! markup, category path of 40 × 5 categories, brand of 40) into an empty company, in-process
//! through the functions the API and the import worker call:
//! - read (decode, split; outside any transaction), then preview: map, check every row with
//!   the catalog rules, store the import (one write transaction);
//! - apply: `transfer::apply_chunk` of 500 rows per durable commit until done (the longest
//!   chunk is the longest time other writers wait);
//! - the same file again (every row an update by barcode): preview and apply;
//! - export of the 50,000 products to CSV and XLSX.
//!
//! `DUKAN_BENCH_ROWS` (default 50000) scales it.

use std::time::{Duration, Instant};

use dukan::catalog::barcode::ean13_with_check;
use dukan::clock::Ts;
use dukan::ids::ImportId;
use dukan::tenancy::{self, Creator, ParsedCompany};
use dukan::transfer;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn csv(rows: usize) -> Vec<u8> {
    let mut text = String::from("Название;Штрихкод;Ед.;Цена закупки;Наценка;Категория;Бренд;Артикул\n");
    for i in 0..rows {
        let barcode = ean13_with_check(&format!("46{:010}", i));
        let unit = if i % 10 == 0 { "кг" } else { "шт" };
        text.push_str(&format!(
            "Товар номер {i} вкусный;{barcode};{unit};{}.{:02};{};Отдел {} / Группа {};Бренд {};A-{i}\n",
            10 + i % 500,
            i % 100,
            10 + i % 30,
            i % 40,
            i % 5,
            i % 40
        ));
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&text);
    bytes.into_owned()
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let rows = env("DUKAN_BENCH_ROWS", 50_000);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 256 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let now = Ts(1_772_355_600_000);
    let parsed = ParsedCompany {
        name: "Бенч".into(),
        country: dukan::country::Country::KG,
        owner_name: "Владелец".into(),
        owner_email: "import@bench.local".into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, owner) = db
        .write_blocking(|tx| tenancy::create_company(tx, now, &parsed, "unused".into(), Creator::Cli))
        .unwrap_or_else(|e| panic!("company: {e}"));
    let actor = dukan::auth::actor_for_user(&db.read().unwrap_or_else(|e| panic!("read: {e}")), company, owner, now, "bench")
        .unwrap_or_else(|e| panic!("actor: {e}"));
    let file = csv(rows);
    println!("file: {rows} rows, {:.1} MB (Windows-1251, «;»)", file.len() as f64 / 1e6);

    for pass in ["new products", "same file again (updates)"] {
        let t = Instant::now();
        let sheet = transfer::read_file(&file, &transfer::read::LIMITS).unwrap_or_else(|e| panic!("read: {e}"));
        let read = t.elapsed();
        let t = Instant::now();
        let import =
            db.write_blocking(|tx| transfer::preview(tx, &actor, now, "bench.csv", &sheet)).unwrap_or_else(|e| panic!("preview: {e}"));
        let preview = t.elapsed();
        assert_eq!(import.errors, 0, "the bench file is valid");
        db.write_blocking(|tx| transfer::confirm(tx, &actor, now, import.id, false)).unwrap_or_else(|e| panic!("confirm: {e}"));
        let (id, mut chunks) = (import.id, Vec::new());
        let t = Instant::now();
        loop {
            let c = Instant::now();
            let state = db
                .write_blocking(|tx| transfer::apply_chunk(tx, &actor, now, ImportId(id.0), transfer::CHUNK))
                .unwrap_or_else(|e| panic!("apply: {e}"));
            chunks.push(c.elapsed());
            if state.state != transfer::model::State::Applying {
                assert_eq!((state.created_count + state.updated_count) as usize, rows);
                break;
            }
        }
        let apply = t.elapsed();
        chunks.sort();
        println!(
            "{pass}: read {}, preview transaction {} ({} new, {} updates), apply {} ({:.0} rows/s), chunk of {} p50 {} max {}",
            ms(read),
            ms(preview),
            import.new,
            import.updates,
            ms(apply),
            rows as f64 / apply.as_secs_f64(),
            transfer::CHUNK,
            ms(chunks[chunks.len() / 2]),
            ms(chunks[chunks.len() - 1]),
        );
    }

    let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
    let t = Instant::now();
    let filter = dukan::catalog::query::ListFilter::default();
    let (products, _) = dukan::catalog::query::list_page(&tx, company, &filter, None, usize::MAX).unwrap_or_else(|e| panic!("list: {e}"));
    let names = transfer::export::Names { categories: Default::default(), brands: Default::default() };
    let listed = t.elapsed();
    let t = Instant::now();
    let csv_out = transfer::export::csv(&products, &names, dukan::i18n::Lang::Ru, true).unwrap_or_else(|e| panic!("csv: {e}"));
    let csv_time = t.elapsed();
    let t = Instant::now();
    let xlsx_out = transfer::export::xlsx(&products, &names, dukan::i18n::Lang::Ru, true).unwrap_or_else(|e| panic!("xlsx: {e}"));
    let xlsx_time = t.elapsed();
    println!(
        "export of {} products: read {}, CSV {} ({:.1} MB), XLSX {} ({:.1} MB)",
        products.len(),
        ms(listed),
        ms(csv_time),
        csv_out.len() as f64 / 1e6,
        ms(xlsx_time),
        xlsx_out.len() as f64 / 1e6
    );
    let problems = dukan::check::run(&db).unwrap_or_else(|e| panic!("check: {e}"));
    println!("check: {} problems; data file {:.0} MB", problems.len(), db.file_bytes() as f64 / 1e6);
}
