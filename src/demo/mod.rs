//! `dukan demo`: a live shop in one command — a company with a Russian-language catalogue
//! (categories, brands, valid EAN-13 barcodes, weighed goods with PLU), two warehouses and
//! posted stock documents, written through the same domain functions as the API. `large`
//! builds the benchmark dataset (300,000 products in one company, 20 companies). Later
//! capabilities extend it with their own data, each in a file of its own below.

mod agents;
mod clients;
mod crm;
mod pos;
mod purchases;
mod telecom;

use rust_decimal::Decimal;

use crate::auth::password::Hasher;
use crate::catalog::barcode::ean13_with_check;
use crate::catalog::{self, ProductDraft};
use crate::clock::Ts;
use crate::error::Result;
use crate::i18n::Lang;
use crate::ids::{CompanyId, ProductId, UserId, WarehouseId};
use crate::inventory::{self, DocDraft, LineDraft};
use crate::storage::Db;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::{Access, SystemRole, all_features};
use crate::tenancy::perms::PermSet;
use crate::tenancy::{self, Creator, ParsedCompany};
use agents::demo_agents;
use clients::{demo_clients, demo_money};
use crm::demo_crm;
use pos::demo_pos;
use purchases::demo_purchases;
use telecom::demo_telecom;

pub struct Login {
    pub email: String,
    pub password: String,
    pub company: CompanyId,
}

/// An item template: (name, unit, weighed, purchase price).
type Item = (&'static str, &'static str, bool, u32);

/// Categories with their brands and item templates.
const CATALOG: &[(&str, &[&str], &[Item])] = &[
    (
        "Молочные продукты",
        &["Простоквашино", "Домик в деревне", "Ак-Суу", "Эмиль"],
        &[
            ("Молоко 3,2% 1 л", "pcs", false, 72),
            ("Кефир 2,5% 900 мл", "pcs", false, 68),
            ("Сметана 20% 400 г", "pcs", false, 95),
            ("Творог 9% 200 г", "pcs", false, 88),
            ("Сыр Российский", "kg", true, 720),
        ],
    ),
    (
        "Хлеб и выпечка",
        &["Хлебозавод №1", "Нан", "Бишкек Нан"],
        &[
            ("Хлеб белый 500 г", "pcs", false, 28),
            ("Лепёшка тандырная", "pcs", false, 22),
            ("Батон нарезной", "pcs", false, 34),
            ("Самса с мясом", "pcs", false, 45),
        ],
    ),
    (
        "Фрукты и овощи",
        &["Иссык-Куль", "Чуйская долина", "Ош"],
        &[
            ("Яблоки", "kg", true, 85),
            ("Картофель", "kg", true, 32),
            ("Помидоры", "kg", true, 110),
            ("Огурцы", "kg", true, 90),
            ("Лук репчатый", "kg", true, 25),
        ],
    ),
    (
        "Мясо и птица",
        &["Мясной двор", "Ала-Тоо Эт"],
        &[
            ("Говядина мякоть", "kg", true, 650),
            ("Баранина", "kg", true, 700),
            ("Курица охлаждённая", "kg", true, 320),
            ("Фарш говяжий", "kg", true, 560),
        ],
    ),
    (
        "Бакалея",
        &["Мистраль", "Макфа", "Ак-Тилек"],
        &[
            ("Рис девзира 1 кг", "pcs", false, 160),
            ("Гречка 900 г", "pcs", false, 95),
            ("Макароны 450 г", "pcs", false, 55),
            ("Мука высший сорт 2 кг", "pcs", false, 85),
            ("Сахар 1 кг", "pcs", false, 70),
        ],
    ),
    (
        "Напитки",
        &["Шоро", "Арашан", "Coca-Cola", "Ак-Суу"],
        &[
            ("Максым 1 л", "pcs", false, 45),
            ("Чалап 0,5 л", "pcs", false, 30),
            ("Вода минеральная 1,5 л", "pcs", false, 35),
            ("Газированный напиток 1 л", "pcs", false, 60),
            ("Чай чёрный 100 пакетиков", "pcs", false, 190),
        ],
    ),
];

fn owner_actor(company: CompanyId, user: UserId) -> Actor {
    Actor {
        company,
        user,
        user_name: "demo".into(),
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

/// A random password for the demo owner (no secret lives in the code).
fn password() -> String {
    let (token, _) = crate::auth::random_token();
    token.chars().filter(|c| c.is_ascii_alphanumeric()).take(14).collect()
}

/// Creates one demo company with `products` products (at least the hand-written catalogue).
pub fn company(db: &Db, hasher: &Hasher, now: Ts, name: &str, email: &str, products: usize, tick: &dyn Fn(u64)) -> Result<Login> {
    let password = password();
    let hash = hasher.hash_blocking(&password)?;
    let parsed = ParsedCompany {
        name: name.into(),
        country: crate::country::Country::KG,
        owner_name: "Айбек Асанов".into(),
        owner_email: email.into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, owner) = db.write_blocking(|tx| tenancy::create_company(tx, now, &parsed, hash, Creator::Cli))?;
    let a = owner_actor(company, owner);
    let (main, market) = db.write_blocking(|tx| -> Result<(WarehouseId, WarehouseId)> {
        Ok((
            inventory::save_warehouse(tx, &a, now, None, "Основной склад", None, true)?,
            inventory::save_warehouse(tx, &a, now, None, "Точка на Ошском рынке", None, true)?,
        ))
    })?;
    // Products: the catalogue, then numbered variants until `products` is reached.
    let mut made: Vec<(ProductId, bool)> = Vec::new();
    let mut serial = 0u64;
    let templates: Vec<(usize, usize, usize)> = CATALOG
        .iter()
        .enumerate()
        .flat_map(|(ci, c)| (0..c.1.len()).flat_map(move |bi| (0..c.2.len()).map(move |ii| (ci, bi, ii))))
        .collect();
    let total = products.max(templates.len());
    let mut i = 0;
    while i < total {
        let batch_end = (i + 5000).min(total);
        let batch = db.write_blocking(|tx| -> Result<Vec<(ProductId, bool)>> {
            let mut out = Vec::new();
            let mut cats = Vec::new();
            for (cname, brands, _) in CATALOG {
                let cat = catalog::category_named(tx, &a, now, cname)?;
                let bs: Vec<_> = brands.iter().map(|b| catalog::brand_named(tx, &a, now, b)).collect::<Result<_>>()?;
                cats.push((cat, bs));
            }
            for n in i..batch_end {
                let (ci, bi, ii) = templates[n % templates.len()];
                let (item, unit, weighed, cost) = CATALOG[ci].2[ii];
                let round = n / templates.len();
                let name = if round == 0 {
                    format!("{item} «{}»", CATALOG[ci].1[bi])
                } else {
                    format!("{item} «{}» арт. {round}", CATALOG[ci].1[bi])
                };
                serial += 1;
                // In-store EAN-13 with the company prefix 47 and a running number.
                let barcode =
                    if weighed { Vec::new() } else { vec![ean13_with_check(&format!("47{:010}", company.0 % 100 * 100_000_000 + serial))] };
                let purchase = Decimal::from(cost) + Decimal::from(round as u64 % 17);
                let draft = ProductDraft {
                    name,
                    barcodes: barcode,
                    unit: unit.into(),
                    weighed,
                    brand: cats[ci].1[bi],
                    category: cats[ci].0,
                    purchase_price: purchase.to_string(),
                    markup: "25".into(),
                    country: "Кыргызстан".into(),
                    reorder_level: if weighed { "5".into() } else { "10".into() },
                    ..ProductDraft::default()
                };
                out.push((catalog::save_product(tx, &a, now, None, &draft)?, weighed));
            }
            Ok(out)
        })?;
        tick(batch.len() as u64);
        made.extend(batch);
        i = batch_end;
    }
    // Stock: receipts into the main warehouse over the last month, a transfer to the market,
    // a write-off and a count.
    let day = |d: i64| Ts(now.0 - d * Ts::MS_PER_DAY);
    for (chunk_no, chunk) in made.chunks(20_000).enumerate() {
        for (k, (days_ago, qty, markup)) in [(30i64, "40", "0.95"), (15, "30", "1.00"), (5, "25", "1.04")].into_iter().enumerate() {
            let lines: Vec<LineDraft> = chunk
                .iter()
                .map(|(p, weighed)| LineDraft {
                    product: Some(*p),
                    qty: if *weighed { format!("{qty}.500") } else { qty.into() },
                    cost: String::new(),
                    amount: String::new(),
                })
                .collect();
            db.write_blocking(|tx| -> Result<()> {
                let mut lines = lines.clone();
                for l in lines.iter_mut() {
                    let cost = tx
                        .get(crate::catalog::store::PRODUCTS, (company.0, l.product.map(|p| p.0).unwrap_or(0)))?
                        .map(|p| p.purchase_price)
                        .unwrap_or_default();
                    let factor: Decimal = markup.parse().unwrap_or(Decimal::ONE);
                    l.cost = crate::money::round_money(cost * factor).to_string();
                }
                let d = DocDraft {
                    kind: "receipt".into(),
                    date: Some(day(days_ago)),
                    warehouse: Some(main),
                    supplier: format!("ОсОО «Поставщик {}»", chunk_no * 3 + k + 1),
                    lines,
                    ..DocDraft::default()
                };
                let id = inventory::save_draft(tx, &a, now, None, &d)?;
                inventory::post(tx, &a, now, id).map(|_| ())
            })?;
        }
        let pick: Vec<ProductId> = chunk.iter().step_by(3).map(|(p, _)| *p).collect();
        db.write_blocking(|tx| -> Result<()> {
            let lines = pick.iter().map(|p| LineDraft { product: Some(*p), qty: "12".into(), ..LineDraft::default() }).collect();
            let d = DocDraft {
                kind: "transfer".into(),
                date: Some(day(4)),
                warehouse: Some(main),
                to_warehouse: Some(market),
                lines,
                ..DocDraft::default()
            };
            let id = inventory::save_draft(tx, &a, now, None, &d)?;
            inventory::post(tx, &a, now, id)?;
            let lines = pick.iter().take(10).map(|p| LineDraft { product: Some(*p), qty: "1".into(), ..LineDraft::default() }).collect();
            let d = DocDraft {
                kind: "write_off".into(),
                date: Some(day(2)),
                warehouse: Some(market),
                reason: "Повреждена упаковка".into(),
                lines,
                ..DocDraft::default()
            };
            let id = inventory::save_draft(tx, &a, now, None, &d)?;
            inventory::post(tx, &a, now, id).map(|_| ())
        })?;
    }
    demo_pos(db, now, &a, &made, main, market)?;
    demo_clients(db, now, &a)?;
    demo_money(db, now, &a)?;
    demo_purchases(db, now, &a, &made, main)?;
    demo_agents(db, now, &a, &made, main)?;
    demo_telecom(db, now, &a)?;
    demo_crm(db, now, &a)?;
    Ok(Login { email: email.into(), password, company })
}

/// `small`: one shop. `large`: the benchmark dataset — one company with 300,000 products and
/// 19 more with a small catalogue each (20 companies).
pub fn run(db: &Db, hasher: &Hasher, now: Ts, large: bool, tick: &dyn Fn(u64)) -> Result<Login> {
    let taken = |email: &str| -> Result<bool> { Ok(db.read()?.get(crate::tenancy::store::LOGINS, email)?.is_some()) };
    let mut n = 1;
    let mut email = "demo@dukan.kg".to_string();
    while taken(&email)? {
        n += 1;
        email = format!("demo{n}@dukan.kg");
    }
    let login = company(db, hasher, now, "Демо-магазин «Береке»", &email, if large { 300_000 } else { 0 }, tick)?;
    if large {
        for k in 2..=20 {
            let e = format!("demo{n}-{k}@dukan.kg");
            company(db, hasher, now, &format!("Демо-магазин №{k}"), &e, 0, tick)?;
        }
    }
    Ok(login)
}
