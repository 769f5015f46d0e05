//! Seeding the in-process benches share: a company with its owner acting, a catalogue with a
//! stocked warehouse and two cash boxes, and a year of checkouts through `pos::checkout`.

use std::time::{Duration, Instant};

use dukan::clock::Ts;
use dukan::i18n::Lang;
use dukan::ids::{CashBoxId, CompanyId, ProductId, UserId, WarehouseId};
use dukan::pos::{self, CashBoxDraft, CheckoutDraft, LineDraft, PaymentDraft};
use dukan::storage::Db;
use dukan::tenancy::actor::{Actor, BranchScope};
use dukan::tenancy::model::{Access, SystemRole, all_features};
use dukan::tenancy::perms::PermSet;
use dukan::tenancy::{Creator, ParsedCompany};

/// The owner of `company` acting with every right and module.
pub fn owner(company: CompanyId, user: UserId) -> Actor {
    Actor {
        company,
        user,
        user_name: "bench".into(),
        role: SystemRole::Owner,
        perms: PermSet::all(),
        branch: BranchScope::Company,
        ip: String::new(),
        lang: Lang::Ru,
        platform_admin: false,
        access: Access::Full,
        features: all_features(),
    }
}

/// A Kyrgyz company created at `now`, and its owner acting.
pub fn company(db: &Db, now: Ts, email: &str) -> Actor {
    let parsed = ParsedCompany {
        name: "Бенчмарк".into(),
        country: dukan::country::Country::KG,
        owner_name: "Владелец".into(),
        owner_email: email.into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, user) =
        db.write_blocking(|tx| dukan::tenancy::create_company(tx, now, &parsed, "not-a-hash".into(), Creator::Cli)).expect("company");
    owner(company, user)
}

/// `n` products received into one warehouse (1,000,000 each at cost 50), and two cash boxes
/// selling from it.
pub fn catalogue(db: &Db, a: &Actor, start: Ts, n: usize) -> (Vec<ProductId>, Vec<CashBoxId>, WarehouseId) {
    db.write_blocking(|tx| -> dukan::error::Result<_> {
        let wh = dukan::inventory::save_warehouse(tx, a, start, None, "Склад", None, true)?;
        let mut products = Vec::new();
        for i in 0..n {
            let d = dukan::catalog::ProductDraft {
                name: format!("Товар {i}"),
                unit: "pcs".into(),
                purchase_price: format!("{}", 40 + i % 50),
                markup: "25".into(),
                ..dukan::catalog::ProductDraft::default()
            };
            products.push(dukan::catalog::save_product(tx, a, start, None, &d)?);
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
        let id = dukan::inventory::save_draft(tx, a, start, None, &d)?;
        dukan::inventory::post(tx, a, start, id)?;
        let mut boxes = Vec::new();
        for name in ["Касса 1", "Касса 2"] {
            let d = CashBoxDraft { name: name.into(), branch: None, expense_only: false, warehouse: Some(wh), active: true };
            boxes.push(pos::save_cash_box(tx, a, start, None, &d)?);
        }
        Ok((products, boxes, wh))
    })
    .expect("catalogue")
}

/// `sales` checkouts evenly over `days` days from `start` (08:00–20:00 local, a shift a day
/// per box, 1–4 lines, the four payment methods in turn), 1,000 per commit. Returns how many
/// were written and how long it took.
pub fn checkouts(db: &Db, a: &Actor, start: Ts, days: i64, sales: u64, products: &[ProductId], boxes: &[CashBoxId]) -> (u64, Duration) {
    let per_day = sales.div_ceil(days as u64);
    let t0 = Instant::now();
    let mut n = 0u64;
    let hour = 3_600_000i64;
    let np = products.len() as u64;
    for day in 0..days {
        let open = Ts(start.0 + day * Ts::MS_PER_DAY + 2 * hour);
        let shifts: Vec<_> = db
            .write_blocking(|tx| boxes.iter().map(|b| pos::open_shift(tx, a, open, *b, "0")).collect::<dukan::error::Result<Vec<_>>>())
            .expect("open shifts");
        let today = per_day.min(sales - n);
        for chunk in (0..today).collect::<Vec<_>>().chunks(1000) {
            db.write_blocking(|tx| -> dukan::error::Result<()> {
                for i in chunk {
                    let k = n + i;
                    let at = Ts(open.0 + 12 * hour * (*i as i64) / today.max(1) as i64);
                    let lines: Vec<LineDraft> = (0..1 + k % 4)
                        .map(|j| LineDraft {
                            product: Some(products[((k * 7 + j * 13) % np) as usize]),
                            qty: (1 + (k + j) % 3).to_string(),
                            price: "100".into(),
                            ..LineDraft::default()
                        })
                        .collect();
                    let total: u64 = (0..1 + k % 4).map(|j| 100 * (1 + (k + j) % 3)).sum();
                    let method = ["cash", "card", "wallet:MBank", "transfer"][(k % 4) as usize];
                    let d = CheckoutDraft {
                        key: format!("s{k}"),
                        cash_box: Some(boxes[(k as usize) % boxes.len()]),
                        lines: Some(lines),
                        payments: vec![PaymentDraft { method: method.into(), amount: total.to_string() }],
                        ..CheckoutDraft::default()
                    };
                    pos::checkout(tx, a, at, &d)?;
                }
                Ok(())
            })
            .expect("checkout");
        }
        n += today;
        let close = Ts(open.0 + 13 * hour);
        db.write_blocking(|tx| -> dukan::error::Result<()> {
            for s in &shifts {
                let expected = tx.get(pos::store::SHIFTS, (a.company.0, s.id.0))?.map(|s| s.expected_cash()).unwrap_or_default();
                pos::close_shift(tx, a, close, s.id, &expected.to_string())?;
            }
            Ok(())
        })
        .expect("close shifts");
        if n >= sales {
            break;
        }
    }
    (n, t0.elapsed())
}

/// A temporary data directory under `DUKAN_BENCH_DIR` (`/dev/shm` keeps fdatasync off the
/// disk) or the system temp dir.
pub fn tempdir() -> tempfile::TempDir {
    match std::env::var_os("DUKAN_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("tempdir")
}
