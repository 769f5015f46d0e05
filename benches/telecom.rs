//! Telecom desk benchmark (`cargo bench --bench telecom`; numbers go to BENCHMARKS.md), one
//! company in a real data file:
//! - `DUKAN_BENCH_SUBSCRIBERS` (default 1,000,000) subscribers written through the subscriber's
//!   one write path (`telecom::store::put_subscriber`, which keeps the search index) in
//!   transactions of 50,000; `DUKAN_BENCH_CONTRACTS` (default 100,000) SIMs generated and
//!   contracts created, activated and paid through the domain functions;
//! - billing: `bill_day` over every active contract on the day their first fee falls due
//!   (limit 10 s), then the same day again, which must charge nothing;
//! - search through HTTP (`GET /api/v1/telecom/subscribers?q=`) by name prefix, phone
//!   fragment, ICCID and document number: p50/p99 per kind (limit p99 ≤ 10 ms).
//!
//! - a SIM delivery of `DUKAN_BENCH_SIM_FILE` (default 50,000) rows imported through HTTP —
//!   upload (preview: every row checked), confirm, then the import job's progress polled until
//!   done (limit 20 s from upload to the last SIM written).
//!
//! `DUKAN_BENCH_DIR` puts the data directory there (e.g. `/dev/shm`) instead of a temp dir.

#[path = "common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::till::{self, Api, pct};
use dukan::clock::Ts;
use dukan::i18n::Lang;
use dukan::ids::{CompanyId, SubscriberId, UserId};
use dukan::telecom::model::{IdDocument, Subscriber, SubscriberKind, SubscriberStatus};
use dukan::telecom::validate::DocKind;
use dukan::tenancy::actor::{Actor, BranchScope};
use dukan::tenancy::model::{Access, SystemRole, all_features};
use dukan::tenancy::perms::PermSet;

const LAST: &str = "Иванов|Петров|Сидоров|Смирнов|Кузнецов|Попов|Васильев|Соколов|Михайлов|Новиков|Фёдоров|Морозов|Волков|\
    Алексеев|Лебедев|Семёнов|Егоров|Павлов|Козлов|Степанов|Николаев|Орлов|Андреев|Макаров|Никитин|Захаров|Зайцев|Соловьёв|\
    Борисов|Яковлев|Григорьев|Романов|Воробьёв|Сергеев|Кузьмин|Фролов|Александров|Дмитриев|Королёв|Гусев|Киселёв|Ильин|\
    Максимов|Поляков|Сорокин|Виноградов|Ковалёв|Белов|Медведев|Антонов|Тарасов|Жуков|Баранов|Филиппов|Комаров|Давыдов|\
    Беляев|Герасимов|Богданов|Осипов|Асанов|Садыков|Токтогулов|Абдыкадыров|Исаков|Жумабеков|Осмонов|Маматов|Турдуев|Бакиев";
const FIRST: &str = "Александр|Сергей|Дмитрий|Андрей|Алексей|Максим|Иван|Михаил|Артём|Никита|Азамат|Нурлан|Бакыт|Эркин|\
    Тимур|Руслан|Данияр|Эльдар|Айбек|Улан|Мария|Анна|Елена|Ольга|Наталья|Айгерим|Жазгуль|Асель|Динара|Гульнара|Айжан|Нурия";
const PATRONYMIC: &str = "Александрович|Сергеевич|Дмитриевич|Андреевич|Алексеевич|Иванович|Михайлович|Петрович|Николаевич|\
    Владимирович|Юрьевич|Викторович|Олегович|Игоревич|Бакытович|Асанович|Нурланович|Эркинович";

fn words(list: &'static str) -> Vec<&'static str> {
    list.split('|').collect()
}

/// xorshift64*: the same data and queries every run.
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
}

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

fn phone(i: u64) -> String {
    // Unique per subscriber, spread over the numbering plan: +996 5XX XXX XXX.
    format!("+996{}", 500_000_000 + (i * 7_919) % 500_000_000)
}

fn document(i: u64) -> String {
    format!("{:07}", i + 1_000_000)
}

fn subscriber(i: u64, id: u64, rng: &mut Rng, lists: &[Vec<&'static str>; 3], user: UserId) -> Subscriber {
    let female = rng.below(3) == 0;
    let (last, first) = (lists[0][rng.below(lists[0].len())], lists[1][rng.below(lists[1].len())]);
    let pat = lists[2][rng.below(lists[2].len())];
    Subscriber {
        id: SubscriberId(id),
        kind: SubscriberKind::Individual,
        last_name: if female { format!("{last}а") } else { last.to_string() },
        first_name: first.to_string(),
        patronymic: pat.to_string(),
        birth_date: Some(format!("19{:02}-{:02}-{:02}", 50 + i % 50, 1 + i % 12, 1 + i % 28)),
        org_name: String::new(),
        org_inn: None,
        document: Some(IdDocument { kind: DocKind::Passport, series: "AN".into(), number: document(i) }),
        personal_no: None,
        phone: phone(i),
        email: None,
        address: "Бишкек".into(),
        status: SubscriberStatus::Active,
        notes: String::new(),
        created: Ts(0),
        created_by: user,
    }
}

fn run_cli(args: &[&str]) -> String {
    let out = common::dukan().args(args).output().unwrap_or_else(|e| panic!("dukan {args:?}: {e}"));
    assert!(out.status.success(), "dukan {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

fn main() {
    let n_subs = till::env("DUKAN_BENCH_SUBSCRIBERS", 1_000_000);
    let n_contracts = till::env("DUKAN_BENCH_CONTRACTS", 100_000).min(n_subs);
    let rounds = till::env("DUKAN_BENCH_ROUNDS", 500) as usize;
    let base = std::env::var("DUKAN_BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(|_| std::env::temp_dir());
    let tmp = tempfile::tempdir_in(&base).unwrap_or_else(|e| panic!("tempdir: {e}"));
    let data = tmp.path().to_path_buf();
    let ds = data.to_str().unwrap_or(".");
    let password = "bench-telecom-password-1";
    let email = "telecom@bench.local";
    let out = run_cli(&[
        "company",
        "create",
        "--data",
        ds,
        "--name",
        "Бенч Телеком",
        "--country",
        "KG",
        "--owner-email",
        email,
        "--owner-password",
        password,
    ]);
    let company =
        CompanyId(out.trim().lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("company id in {out:?}")));

    let db = dukan::schema::open(&data.join("dukan.redb"), 512 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let owner = {
        let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
        dukan::tenancy::query::users(&tx, company).unwrap_or_else(|e| panic!("users: {e}"))[0].id
    };
    let a = actor(company, owner);
    // Activation on 2026-11-01 (Bishkek); the first fee falls due on 2026-12-01.
    let activated = Ts(1_793_469_600_000 + 6 * 3_600_000);
    let tariff = db
        .write_blocking(|tx| {
            let d = dukan::telecom::tariffs::TariffDraft {
                name: "Бенч 300".into(),
                terms: dukan::telecom::tariffs::RevisionDraft {
                    valid_from: "2026-01-01".into(),
                    monthly_fee: "300".into(),
                    minutes: "500".into(),
                    minute_rate: "1.5".into(),
                    ..Default::default()
                },
                ..Default::default()
            };
            dukan::telecom::tariffs::create_tariff(tx, &a, activated, &d)
        })
        .unwrap_or_else(|e| panic!("tariff: {e}"));

    // Subscribers through their write path (index included), 50,000 per transaction.
    let lists = [words(LAST), words(FIRST), words(PATRONYMIC)];
    let mut rng = Rng(0x5eed_7e1e);
    let mut sub_ids = Vec::with_capacity(n_subs as usize);
    let mut names = Vec::with_capacity(n_subs as usize);
    let t0 = Instant::now();
    let mut made = 0u64;
    while made < n_subs {
        let end = (made + 50_000).min(n_subs);
        let batch: Vec<(u64, Subscriber)> = db
            .write_blocking(|tx| {
                let mut out = Vec::new();
                for i in made..end {
                    let s = subscriber(i, tx.next_id()?, &mut rng, &lists, owner);
                    dukan::telecom::store::put_subscriber(tx, company, None, &s)?;
                    out.push((i, s));
                }
                Ok::<_, dukan::storage::StorageError>(out)
            })
            .unwrap_or_else(|e| panic!("subscribers: {e}"));
        for (_, s) in batch {
            sub_ids.push(s.id);
            names.push((s.last_name, s.first_name));
        }
        made = end;
    }
    println!("seeded {n_subs} subscribers (with their search terms) in {:.1} s", secs(t0));

    // SIMs (generated, 1,000 per call as the desk does) and contracts, activated and paid.
    let t0 = Instant::now();
    let mut iccids = Vec::new();
    let mut made = 0u64;
    while made < n_contracts {
        let end = (made + 5_000).min(n_contracts);
        let got = db
            .write_blocking(|tx| {
                let mut out = Vec::new();
                for start in (made..end).step_by(1_000) {
                    let d = dukan::telecom::sims::GenerateDraft {
                        count: (end - start).min(1_000).to_string(),
                        start: (start + 1).to_string(),
                        iccid: "899960100{num:010}".into(),
                        imsi: "43701{num:010}".into(),
                        msisdn: "+996700{num:06}".into(),
                        branch: None,
                    };
                    let g = dukan::telecom::sims::generate(tx, &a, activated, &d)?;
                    assert!(g.skipped.is_empty(), "skipped SIMs: {:?}", &g.skipped[..g.skipped.len().min(3)]);
                    for (k, sim) in g.created.into_iter().enumerate() {
                        let i = (start as usize) + k;
                        let draft = dukan::telecom::contracts::ContractDraft {
                            subscriber: Some(sub_ids[i]),
                            tariff: Some(tariff.id),
                            sim: Some(sim.id),
                            ..Default::default()
                        };
                        let k = dukan::telecom::contracts::create_contract(tx, &a, activated, &draft)?;
                        dukan::telecom::contracts::activate(tx, &a, activated, k.id, None)?;
                        let pay = dukan::telecom::billing::PaymentDraft { amount: "1000".into(), ..Default::default() };
                        dukan::telecom::billing::pay(tx, &a, activated, k.id, &pay)?;
                        out.push(sim.iccid);
                    }
                }
                Ok::<_, dukan::error::Error>(out)
            })
            .unwrap_or_else(|e| panic!("contracts: {e}"));
        iccids.extend(got);
        made = end;
    }
    println!("seeded {n_contracts} SIMs and active paid contracts in {:.1} s", secs(t0));

    // Billing: every contract's first fee, then the same day again.
    let due = "2026-12-01";
    let run_at = Ts(activated.0 + 30 * 86_400_000);
    let t0 = Instant::now();
    let first = db.write_blocking(|tx| dukan::telecom::billing::bill_day(tx, company, due, run_at)).unwrap_or_else(|e| panic!("bill: {e}"));
    let first_s = secs(t0);
    let t0 = Instant::now();
    let second =
        db.write_blocking(|tx| dukan::telecom::billing::bill_day(tx, company, due, run_at)).unwrap_or_else(|e| panic!("bill: {e}"));
    let second_s = secs(t0);
    assert_eq!(first.charges, n_contracts, "every contract charged once: {first:?}");
    assert_eq!(second.charges, 0, "the second run of the same day charges nothing: {second:?}");
    println!(
        "bill_day over {n_contracts} active contracts: {first_s:.2} s ({} charges, {} KGS) — limit 10 s: {}",
        first.charges,
        first.amount,
        if first_s <= 10.0 { "PASS" } else { "FAIL" }
    );
    println!("bill_day again, same day: {second_s:.2} s, {} charges (must be 0)", second.charges);
    drop(db);

    // Search through HTTP on the served data file.
    let port = common::free_port();
    let mut server = till::start(common::dukan(), &data, port);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"));
    let base_url = format!("http://127.0.0.1:{port}");
    let api = rt.block_on(Api::login(reqwest::Client::new(), base_url, email, password, None));
    let mut rng = Rng(0xfeed_beef);
    let mut kinds: Vec<(&str, Vec<String>)> =
        vec![("name prefix", vec![]), ("phone fragment", vec![]), ("ICCID", vec![]), ("document", vec![])];
    for _ in 0..rounds {
        let i = rng.below(n_subs as usize);
        let (last, first) = &names[i];
        let q = match rng.below(3) {
            0 => last.chars().take(4).collect::<String>(),
            1 => format!("{last} {}", first.chars().take(2).collect::<String>()),
            _ => last.clone(),
        };
        kinds[0].1.push(q);
        let p = phone(i as u64);
        let from = 4 + rng.below(4);
        kinds[1].1.push(p[from..from + 6].to_string());
        kinds[2].1.push(iccids[rng.below(iccids.len())].clone());
        kinds[3].1.push(format!("AN{}", document(i as u64)));
    }
    let limit_ms = 10.0;
    let mut all_pass = true;
    for (kind, queries) in &kinds {
        let mut lat = Vec::with_capacity(queries.len());
        let mut empty = 0;
        for q in queries {
            let path = format!("/api/v1/telecom/subscribers?limit=20&q={}", urlencoding(q));
            let t = Instant::now();
            let (st, v) = rt.block_on(api.call(reqwest::Method::GET, &path, None));
            lat.push(t.elapsed());
            assert_eq!(st, 200, "GET {path}: {v}");
            if v.as_array().is_none_or(|a| a.is_empty()) {
                empty += 1;
            }
        }
        lat.sort();
        let p99 = pct(&lat, 0.99);
        all_pass &= p99 <= limit_ms;
        assert_eq!(empty, 0, "{kind}: {empty} queries found nothing");
        println!(
            "search by {kind} over {n_subs} subscribers via HTTP: {} queries, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms — limit p99 ≤ {limit_ms} ms: {}",
            queries.len(),
            pct(&lat, 0.5),
            p99,
            pct(&lat, 1.0),
            if p99 <= limit_ms { "PASS" } else { "FAIL" }
        );
    }
    println!("search overall: {}", if all_pass { "PASS" } else { "FAIL" });

    // A SIM delivery through the import module, over HTTP, with its progress.
    let n_file = till::env("DUKAN_BENCH_SIM_FILE", 50_000);
    let mut csv = String::from("iccid,imsi,msisdn,puk,tariff\n");
    for i in 0..n_file {
        let body = format!("899960200{i:010}");
        let check = dukan::telecom::validate::luhn_digit(&body).unwrap_or('0');
        csv.push_str(&format!("{body}{check},437015{i:09},+996701{i:06},{:08},Бенч 300\n", 10_000_000 + i));
    }
    let bytes = csv.into_bytes();
    let size_mb = bytes.len() as f64 / 1_048_576.0;
    let t0 = Instant::now();
    let (id, new) = rt.block_on(async {
        let url = format!("{}/api/v1/imports?kind=sims&file_name=delivery.csv", api.base);
        let r = api.http.post(url).bearer_auth(&api.token).body(bytes).send().await.unwrap_or_else(|e| panic!("upload: {e}"));
        let st = r.status().as_u16();
        let v: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
        assert_eq!(st, 201, "upload: {v}");
        (v["id"].as_u64().unwrap_or(0), v["new"].as_u64().unwrap_or(0))
    });
    let preview_s = secs(t0);
    assert_eq!(new, n_file, "every row valid");
    let (st, v) = rt.block_on(api.call(reqwest::Method::POST, &format!("/api/v1/imports/{id}/confirm"), Some(serde_json::json!({}))));
    assert_eq!(st, 202, "confirm: {v}");
    let mut last = 0;
    loop {
        let (st, v) = rt.block_on(api.call(reqwest::Method::GET, &format!("/api/v1/imports/{id}"), None));
        assert_eq!(st, 200, "progress: {v}");
        let applied = v["applied"].as_u64().unwrap_or(0);
        if applied >= last + n_file / 10 || v["state"] == "done" {
            println!("  import progress: {applied}/{n_file} ({:.1} s)", secs(t0));
            last = applied;
        }
        if v["state"] == "done" {
            assert_eq!(v["created_count"].as_u64(), Some(n_file), "{v}");
            break;
        }
        assert_eq!(v["state"], "applying", "{v}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let import_s = secs(t0);
    println!(
        "SIM delivery import of {n_file} rows ({size_mb:.1} MB CSV) via HTTP: preview {preview_s:.2} s, upload to last SIM written {import_s:.2} s — limit 20 s: {}",
        if import_s <= 20.0 { "PASS" } else { "FAIL" }
    );
    let _ = server.kill();
    let _ = server.wait();
    std::thread::sleep(Duration::from_millis(50));
}

/// Percent-encodes a query value.
fn urlencoding(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
