//! Documents from templates (`cargo bench --bench crm_docs`; numbers go to BENCHMARKS.md):
//! `DUKAN_BENCH_DOCS` (default 100) commercial offers of a deal with 20 lines made from the
//! built-in Russian offer through `crm::docs::generate` — number, sandboxed render, markup,
//! PDF under the company's header, stored with its indexes and timeline row in one durable
//! write transaction, as the deal page's button does — and the render alone (context,
//! minijinja, markup, layout and PDF without the transaction). Goal: p50 ≤ 100 ms per
//! document in a release build.

use std::time::Instant;

use dukan::clock::Ts;
use dukan::crm::deals::{self, DealDraft, LineDraft};

mod common;
use common::measure::{env, pct};

fn main() {
    let n: usize = env("DUKAN_BENCH_DOCS", 100);
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let db = dukan::schema::open(&dir.path().join("dukan.redb"), 64 << 20).unwrap_or_else(|e| panic!("open: {e}"));
    let now = Ts(1_772_355_600_000);
    let a = common::sales::company(&db, now, "docs@bench.local");
    let deal = db
        .write_blocking(|tx| -> dukan::error::Result<_> {
            let client = dukan::clients::ClientDraft { name: "ОсОО «Покупатель»".into(), ..Default::default() };
            let client = dukan::clients::save_client(tx, &a, now, None, &client)?.0.id;
            let mut lines = Vec::new();
            for i in 0..20 {
                let d = dukan::catalog::ProductDraft {
                    name: format!("Кресло офисное, модель {i}"),
                    unit: "pcs".into(),
                    price: format!("{}", 4_500 + 250 * i),
                    ..Default::default()
                };
                let product = dukan::catalog::save_product(tx, &a, now, None, &d)?;
                lines.push(LineDraft { product: product.0, qty: format!("{}", 1 + i % 4), price: String::new() });
            }
            let d =
                DealDraft { title: "Мебель в офис".into(), client: Some(client.0), lines: Some(lines), ..Default::default() };
            deals::save_deal(tx, &a, now, None, &d)
        })
        .unwrap_or_else(|e| panic!("deal: {e}"));

    let mut made = Vec::with_capacity(n);
    let mut size = 0;
    for _ in 0..n {
        let t = Instant::now();
        let doc = db
            .write_blocking(|tx| dukan::crm::docs::generate(tx, &a, now, deal.id, "offer.ru"))
            .unwrap_or_else(|e| panic!("generate: {e}"));
        made.push(t.elapsed().as_secs_f64() * 1000.0);
        size = doc.size;
    }
    let mut rendered = Vec::with_capacity(n);
    let tx = db.read().unwrap_or_else(|e| panic!("read: {e}"));
    let body = dukan::crm::templating::builtin("offer.ru").map(|b| b.body.to_string()).unwrap_or_default();
    let draft = dukan::crm::docs::TemplateDraft { kind: "offer".into(), lang: "ru".into(), name: "КП".into(), body };
    for _ in 0..n {
        let t = Instant::now();
        let pdf = dukan::crm::docs::preview(&tx, &a, now, &draft, Some(deal.id)).unwrap_or_else(|e| panic!("preview: {e}"));
        rendered.push(t.elapsed().as_secs_f64() * 1000.0);
        assert!(pdf.starts_with(b"%PDF"));
    }
    let profile = if cfg!(debug_assertions) { "debug" } else { "release" };
    println!("crm_docs ({profile}): {n} offers of 20 lines, {size} B each");
    println!("  generate (durable write) p50 {:.1} ms  p99 {:.1} ms", pct(made.clone(), 0.5), pct(made, 0.99));
    println!("  render only (preview)    p50 {:.1} ms  p99 {:.1} ms", pct(rendered.clone(), 0.5), pct(rendered, 0.99));
}
