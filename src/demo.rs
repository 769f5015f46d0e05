//! `dukan demo`: a live shop in one command — a company with a Russian-language catalogue
//! (categories, brands, valid EAN-13 barcodes, weighed goods with PLU), two warehouses and
//! posted stock documents, written through the same domain functions as the API. `large`
//! builds the benchmark dataset (300,000 products in one company, 20 companies). Later
//! capabilities extend it with their own data.

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

/// SplitMix64: a fixed sequence from a fixed seed, so every demo shop sells the same way.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// 0..n
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// The shop's till history, written through the POS use cases (so shift totals, cash ledger,
/// FIFO costs and the sales projection all hold): a second branch at the market, three cash
/// boxes, two cashiers, closed shifts over the last four weeks with a few hundred sales
/// (cash with change, cards, wallets, transfers, split payments, discounts), partial and full
/// returns, one shift closed short, and today's shift still open.
pub fn demo_pos(db: &Db, now: Ts, a: &Actor, products: &[(ProductId, bool)], main: WarehouseId, market: WarehouseId) -> Result<()> {
    use crate::pos::{self, CashBoxDraft, CheckoutDraft, LineDraft as SaleLine, PaymentDraft, ReturnDraft};
    use crate::tenancy::{branches, users};

    let c = a.company;
    let tz = crate::tenancy::timezone(&db.read()?, c)?;
    let first_branch = crate::tenancy::store::branches(&db.read()?, c)?.first().map(|b| b.id);
    let (cashiers, boxes) = db.write_blocking(|tx| -> Result<_> {
        let draft = branches::BranchDraft { name: "Ошский рынок".into(), active: true, ..branches::BranchDraft::default() };
        let b2 = branches::save(tx, a, now, None, &draft)?;
        let mut cashiers = Vec::new();
        for (n, (name, email)) in [("Гульнара Токтогулова", "gulnara"), ("Нурлан Бекиев", "nurlan")].into_iter().enumerate()
        {
            let d = users::UserDraft {
                email: format!("{email}.{}@dukan.kg", c.0),
                name: name.into(),
                role: "admin".into(),
                branches: if n == 0 { first_branch.into_iter().collect() } else { vec![b2] },
                ..users::UserDraft::default()
            };
            cashiers.push(users::create(tx, a, now, &d, None)?);
        }
        let mut boxes = Vec::new();
        for (name, branch, wh) in [("Касса 1", first_branch, main), ("Касса 2", first_branch, main), ("Касса рынка", Some(b2), market)]
        {
            let d = CashBoxDraft { name: name.into(), branch, expense_only: false, warehouse: Some(wh), active: true };
            boxes.push(pos::save_cash_box(tx, a, now, None, &d)?);
        }
        Ok((cashiers, boxes))
    })?;
    let actor_of = |user: UserId| Actor { user, role: SystemRole::Admin, ..a.clone() };
    let day = |d: i64| Ts(now.0 - d * Ts::MS_PER_DAY);
    // The market sells what was moved there at the start (the first forty products); the
    // shop's boxes sell the next hundred and twenty.
    let market_goods: Vec<(ProductId, bool)> = products.iter().take(40).copied().collect();
    db.write_blocking(|tx| -> Result<()> {
        let lines = market_goods
            .iter()
            .map(|(p, weighed)| LineDraft {
                product: Some(*p),
                qty: if *weighed { "20".into() } else { "35".into() },
                ..LineDraft::default()
            })
            .collect();
        let d = DocDraft {
            kind: "transfer".into(),
            date: Some(day(29)),
            warehouse: Some(main),
            to_warehouse: Some(market),
            lines,
            ..DocDraft::default()
        };
        let id = inventory::save_draft(tx, a, now, None, &d)?;
        inventory::post(tx, a, now, id).map(|_| ())
    })?;
    let main_goods: Vec<(ProductId, bool)> = products.iter().skip(40).take(120).copied().collect();
    let today = Ts::parse_date(&now.date_local(&tz), &tz).unwrap_or(now);
    let hour = 3_600_000i64;
    let mut rng = Rng(0xD0CA_2026);
    let mut key = 0u64;
    let wallets = ["MBank", "Optima", "O!Bank", "Bakai"];
    // (days ago, box index, cashier index): box 1 daily, the market box most days, box 2 on
    // busy days; today only box 1, left open.
    let mut shifts: Vec<(i64, usize, usize)> = Vec::new();
    for d in (1..=27i64).rev() {
        shifts.push((d, 0, 0));
        if d % 7 != 0 {
            shifts.push((d, 2, 1));
        }
        if d % 3 == 0 {
            shifts.push((d, 1, 1));
        }
    }
    shifts.push((0, 0, 0));
    for (d, bi, ci) in shifts {
        let start = if d == 0 { Ts(now.0 - 2 * hour).max(today) } else { Ts(today.0 - d * Ts::MS_PER_DAY + 9 * hour) };
        let cashier = actor_of(cashiers[ci]);
        let cash_box = boxes[bi];
        let goods = if bi == 2 { &market_goods } else { &main_goods };
        let shift = db.write_blocking(|tx| pos::open_shift(tx, &cashier, start, cash_box, "2000"))?;
        let count = if d == 0 { 3 } else { 7 + rng.below(6) };
        let span = if d == 0 { (now.0 - start.0).max(60_000) } else { 10 * hour };
        for n in 0..count {
            let at = Ts(start.0 + span * (n as i64 + 1) / (count as i64 + 2));
            let lines: Vec<SaleLine> = (0..1 + rng.below(3))
                .map(|_| {
                    let (p, weighed) = goods[rng.below(goods.len() as u64) as usize];
                    let qty = if weighed { format!("0.{}", 3 + rng.below(6)) } else { (1 + rng.below(2)).to_string() };
                    SaleLine { product: Some(p), qty, ..SaleLine::default() }
                })
                .collect();
            let mut lines_unique: Vec<SaleLine> = Vec::new();
            for l in lines {
                if !lines_unique.iter().any(|u| u.product == l.product) {
                    lines_unique.push(l);
                }
            }
            let discount_percent = match rng.below(10) {
                0 => "5",
                1 => "10",
                _ => "",
            };
            let kind = rng.below(20);
            key += 1;
            let sale_key = format!("demo-{}-{key}", c.0);
            let sold = db.write_blocking(|tx| -> Result<_> {
                // The total first (prices are the catalogue's), then a payment that fits it.
                let mut draft = CheckoutDraft {
                    key: sale_key.clone(),
                    cash_box: Some(cash_box),
                    lines: Some(lines_unique.clone()),
                    discount_percent: discount_percent.into(),
                    ..CheckoutDraft::default()
                };
                let total = preview_total(tx, c, &lines_unique, discount_percent)?;
                let half = crate::money::round_money(total / Decimal::TWO);
                draft.payments = match kind {
                    0..=9 => {
                        // Cash, handed over rounded up to the next 50 (change back).
                        let fifty = Decimal::from(50);
                        vec![PaymentDraft { method: "cash".into(), amount: ((total / fifty).ceil() * fifty).to_string() }]
                    }
                    10..=13 => vec![PaymentDraft { method: "card".into(), amount: total.to_string() }],
                    14..=17 => {
                        vec![PaymentDraft { method: format!("wallet:{}", wallets[(kind - 14) as usize]), amount: total.to_string() }]
                    }
                    18 => vec![PaymentDraft { method: "transfer".into(), amount: total.to_string() }],
                    _ => vec![
                        PaymentDraft { method: "cash".into(), amount: half.to_string() },
                        PaymentDraft { method: "card".into(), amount: (total - half).to_string() },
                    ],
                };
                pos::checkout(tx, &cashier, at, &draft)
            })?;
            // About one sale in twenty comes back within the hour: the whole sale, or one unit.
            if rng.below(20) == 0 && d > 0 {
                let method = if sold.payments.iter().any(|p| p.method == crate::pos::model::Method::Cash) { "cash" } else { "card" };
                let lines = match sold.lines.first() {
                    Some(l) if l.qty > Decimal::ONE && rng.below(2) == 0 => vec![(0usize, "1".to_string())],
                    _ => Vec::new(),
                };
                let r = ReturnDraft {
                    key: format!("{sale_key}-return"),
                    cash_box: None,
                    lines,
                    method: method.into(),
                    reason: "Покупатель передумал".into(),
                };
                db.write_blocking(|tx| pos::return_sale(tx, &cashier, Ts(at.0 + hour / 2), sold.id, &r))?;
            }
        }
        if d == 0 {
            continue;
        }
        let close_at = Ts(start.0 + 11 * hour);
        let expected = db.read()?.get(crate::pos::store::SHIFTS, (c.0, shift.id.0))?.map(|s| s.expected_cash()).unwrap_or_default();
        // One shift closes 150 short, one 20 over; the rest count exactly.
        let counted = match (d, bi) {
            (3, 0) => expected - Decimal::from(150),
            (12, 2) => expected + Decimal::from(20),
            _ => expected,
        };
        db.write_blocking(|tx| pos::close_shift(tx, &cashier, close_at, shift.id, &counted.to_string()))?;
    }
    Ok(())
}

/// What a sale of these lines will total (the seed's cart arithmetic at catalogue prices).
fn preview_total(tx: &crate::storage::WriteTx, c: CompanyId, lines: &[crate::pos::LineDraft], percent: &str) -> Result<Decimal> {
    use crate::pos::model::{CartLine, OrderDiscount, recalc};
    let mut cart = Vec::new();
    for l in lines {
        let Some(pid) = l.product else { continue };
        let Some(p) = tx.get(crate::catalog::store::PRODUCTS, (c.0, pid.0))? else { continue };
        let qty: Decimal = l.qty.parse().unwrap_or(Decimal::ONE);
        cart.push(CartLine {
            product: Some(pid),
            name: p.name,
            barcode: String::new(),
            unit: String::new(),
            qty,
            unit_price: p.price,
            list_price: p.price,
            discount: Decimal::ZERO,
        });
    }
    let discount = match percent.parse::<Decimal>() {
        Ok(p) => OrderDiscount::Percent(p),
        Err(_) => OrderDiscount::None,
    };
    Ok(recalc(&cart, discount).total)
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

/// Clients of the demo shop: buyers, a supplier and a contractor with legal details, debts
/// written by hand with a part repaid by card, and installment deals (one partly paid).
pub fn demo_clients(db: &Db, now: Ts, a: &Actor) -> Result<()> {
    use crate::clients::{self, ClientDraft, DebtPaymentDraft, deals};
    let people = [
        ("client", "Садыров Айбек", "0555 123 456", "", ""),
        ("client", "Токтогулова Асель", "0700 222 333", "asel@mail.kg", ""),
        ("client", "Иванов Сергей", "0772 444 555", "", ""),
        ("client", "Жумабекова Гульнара", "0555 987 654", "", ""),
        ("supplier", "ОсОО «Ак-Суу Сүт»", "0312 555 777", "info@aksuu.kg", "01234567891234"),
        ("contractor", "ИП Мамытов (ремонт холодильников)", "0550 101 202", "", ""),
    ];
    db.write_blocking(|tx| -> Result<()> {
        let mut ids = Vec::new();
        for (kind, name, phone, email, inn) in people {
            let d = ClientDraft {
                kind: kind.into(),
                name: name.into(),
                phone: phone.into(),
                email: email.into(),
                inn: inn.into(),
                ..ClientDraft::default()
            };
            ids.push(clients::save_client(tx, a, now, None, &d)?.0.id);
        }
        for (i, amount) in [(0, "1250.00"), (1, "480.50"), (2, "3100.00")] {
            clients::add_manual_debt(tx, a, now, ids[i], amount, "", "Товар в долг до зарплаты")?;
        }
        let pay =
            DebtPaymentDraft { key: "demo-pay-1".into(), amount: "500".into(), method: "card".into(), cash_box: None, note: String::new() };
        clients::pay_debt(tx, a, now, ids[0], &pay)?;
        let fridge = deals::DealDraft {
            kind: "debt".into(),
            title: "Холодильник Atlant".into(),
            amount: "42000".into(),
            prepayment: "6000".into(),
            months: 6,
            first_due: String::new(),
        };
        let deal = deals::create_deal(tx, a, now, ids[3], &fridge)?;
        deals::pay(tx, a, now, deal.id, &deals::DealPayDraft { key: "demo-deal-1".into(), installment: None, amount: String::new() })?;
        let tv = deals::DealDraft {
            kind: "debt".into(),
            title: "Телевизор".into(),
            amount: "27999.99".into(),
            prepayment: String::new(),
            months: 4,
            first_due: String::new(),
        };
        deals::create_deal(tx, a, now, ids[1], &tv)?;
        Ok(())
    })
}

/// The demo shop's money: a bank account with the owner's capital, a category of its own, a
/// month of approved expenses (rent, salaries, utilities, a tax, advertising), a transfer to
/// the bank and two expenses waiting for approval (the company then asks for approval).
pub fn demo_money(db: &Db, now: Ts, a: &Actor) -> Result<()> {
    use crate::finance::model::{AccountRef, MoneyDocKind};
    use crate::finance::{self, BankAccountDraft, MoneyDocDraft};
    db.write_blocking(|tx| -> Result<()> {
        let bank = finance::save_bank_account(
            tx,
            a,
            now,
            None,
            &BankAccountDraft {
                name: "Расчётный счёт, Оптима Банк".into(),
                details: "1091820000001234".into(),
                active: true,
                ..Default::default()
            },
        )?;
        let bank = AccountRef::Bank(bank.id);
        let ads = finance::save_category(tx, a, now, "", "Реклама", false)?;
        let box_id = crate::pos::query::cash_boxes(tx, a)?.into_iter().next().map(|b| AccountRef::CashBox(b.id));
        let day = |d: i64| now.plus_days(-d);
        let doc = |kind, account, to_account, amount: &str, category: &str, memo: &str, date| MoneyDocDraft {
            kind,
            account,
            to_account,
            amount: amount.parse().unwrap_or_default(),
            category: category.into(),
            counterparty: None,
            reference: String::new(),
            memo: memo.into(),
            date: Some(date),
        };
        let approved = [
            doc(MoneyDocKind::Income, bank, None, "500000", "other", "Вклад владельца", day(30)),
            doc(MoneyDocKind::Expense, bank, None, "45000", "rent", "Аренда магазина за месяц", day(28)),
            doc(MoneyDocKind::Expense, bank, None, "38000", "salary", "Зарплата кассиров, первая половина", day(21)),
            doc(MoneyDocKind::Expense, bank, None, "6200.50", "utilities", "Электричество и вода", day(15)),
            doc(MoneyDocKind::Expense, bank, None, "38000", "salary", "Зарплата кассиров, вторая половина", day(7)),
            doc(MoneyDocKind::Expense, bank, None, "12400", "taxes", "Единый налог", day(5)),
            doc(MoneyDocKind::Expense, bank, None, "3500", &ads.code, "Листовки у рынка", day(3)),
        ];
        for d in &approved {
            finance::create_money_doc(tx, a, now, d)?;
        }
        if let Some(cash) = box_id {
            finance::create_money_doc(
                tx,
                a,
                now,
                &doc(MoneyDocKind::Transfer, bank, Some(cash), "5000", "", "Размен в кассу расходов", day(2)),
            )?;
        }
        finance::set_settings(tx, a, now, true)?;
        for d in [
            doc(MoneyDocKind::Expense, bank, None, "2800", "utilities", "Интернет и телефон", day(1)),
            doc(MoneyDocKind::Expense, bank, None, "1500", "other", "Хозтовары", day(0)),
        ] {
            finance::create_money_doc(tx, a, now, &d)?;
        }
        Ok(())
    })
}

/// The demo shop's suppliers and purchases: two more suppliers (the dairy one is a client
/// already), purchases on credit (one paid in part at once, one due this week), a cash purchase
/// from the bank approved by the owner and one still waiting for approval, a supplier payment,
/// a return of one line against the payable, and a draft. Runs after `demo_money`, so the bank
/// account exists and the company asks for approval.
pub fn demo_purchases(db: &Db, now: Ts, a: &Actor, products: &[(ProductId, bool)], main: WarehouseId) -> Result<()> {
    use crate::clients::{self, ClientDraft};
    use crate::purchasing::{self, PaymentDraft, PurchaseDraft, PurchaseLineDraft, ReturnDraft};
    let goods: Vec<ProductId> = products.iter().filter(|(_, weighed)| !weighed).map(|(p, _)| *p).take(40).collect();
    if goods.len() < 20 {
        return Ok(());
    }
    db.write_blocking(|tx| -> Result<()> {
        let c = a.company;
        let bank = purchasing::query::accounts(tx, a)?
            .into_iter()
            .find(|(acc, _)| matches!(acc, purchasing::model::PayFrom::Bank(_)))
            .map(|(acc, _)| acc.code())
            .unwrap_or_default();
        let mut suppliers = Vec::new();
        for (name, phone, inn) in
            [("ОсОО «Бишкек Дистрибьюшн»", "0312 909 090", "02345678912345"), ("ИП Касымов (овощи и фрукты)", "0555 303 404", "")]
        {
            let d =
                ClientDraft { kind: "supplier".into(), name: name.into(), phone: phone.into(), inn: inn.into(), ..ClientDraft::default() };
            suppliers.push(clients::save_client(tx, a, now, None, &d)?.0.id);
        }
        if let Some(dairy) = purchasing::query::suppliers(tx, a, false)?.into_iter().find(|s| s.client.name.contains("Ак-Суу")) {
            suppliers.insert(0, dairy.client.id);
        }
        let lines = |from: usize, n: usize, price: u32| -> Vec<PurchaseLineDraft> {
            (from..from + n)
                .map(|i| PurchaseLineDraft {
                    product: Some(goods[i % goods.len()]),
                    qty: format!("{}", 6 + (i % 5) * 6),
                    price: format!("{}.{:02}", price + (i as u32 * 7) % 90, (i * 37) % 100),
                })
                .collect()
        };
        let purchase = |tx: &mut crate::storage::WriteTx, d: &PurchaseDraft| -> Result<crate::purchasing::model::Purchase> {
            let p = purchasing::save_purchase(tx, a, now, None, d)?;
            purchasing::post_purchase(tx, a, now, p.id)
        };
        let day = |d: i64| Some(now.plus_days(-d));
        let first = suppliers.first().copied();
        let second = suppliers.get(1).copied().or(first);
        let third = suppliers.get(2).copied().or(first);
        // On credit, 14 days, a part paid at once from the bank (that payment waits for approval).
        let dairy = purchase(
            tx,
            &PurchaseDraft {
                supplier: first,
                warehouse: Some(main),
                date: day(20),
                terms: "credit".into(),
                account: bank.clone(),
                paid_now: "5000".into(),
                due_days: "14".into(),
                note: "Молочка на месяц".into(),
                lines: lines(0, 8, 60),
            },
        )?;
        // On credit, due this week.
        purchase(
            tx,
            &PurchaseDraft {
                supplier: second,
                warehouse: Some(main),
                date: day(3),
                terms: "credit".into(),
                due_days: "7".into(),
                lines: lines(8, 10, 110),
                ..PurchaseDraft::default()
            },
        )?;
        // In cash from the bank: approved by the owner, then one still waiting.
        let veg = purchase(
            tx,
            &PurchaseDraft {
                supplier: third,
                warehouse: Some(main),
                date: day(6),
                terms: "cash".into(),
                account: bank.clone(),
                lines: lines(18, 4, 35),
                ..PurchaseDraft::default()
            },
        )?;
        let mut pending: Vec<_> = veg.money_doc.into_iter().collect();
        if let Some(pay) = dairy.payment.and_then(|id| tx.get(crate::purchasing::store::PAYMENTS, (c, id)).ok().flatten()) {
            pending.push(pay.money_doc);
        }
        crate::finance::decide_many(tx, a, now, &pending, true)?;
        purchase(
            tx,
            &PurchaseDraft {
                supplier: third,
                warehouse: Some(main),
                date: day(0),
                terms: "cash".into(),
                account: bank.clone(),
                note: "Ждёт одобрения".into(),
                lines: lines(22, 3, 40),
                ..PurchaseDraft::default()
            },
        )?;
        // A supplier payment from the bank, approved.
        if let Some(sup) = first {
            let d = PaymentDraft {
                key: "demo-supplier-pay-1".into(),
                amount: "3000".into(),
                account: bank.clone(),
                prepayment: false,
                note: "Оплата по накладной".into(),
            };
            let pay = purchasing::pay_supplier(tx, a, now, sup, &d)?;
            crate::finance::decide(tx, a, now, pay.money_doc, true)?;
        }
        // One line of the dairy purchase back against the payable.
        let back =
            ReturnDraft { lines: vec![(1, "2".into())], note: "Истёк срок годности".into(), ..ReturnDraft::default() };
        purchasing::return_goods(tx, a, now, dairy.id, &back)?;
        // A draft to finish.
        purchasing::save_purchase(
            tx,
            a,
            now,
            None,
            &PurchaseDraft {
                supplier: second,
                warehouse: Some(main),
                terms: "credit".into(),
                lines: lines(25, 3, 90),
                ..PurchaseDraft::default()
            },
        )?;
        Ok(())
    })
}

/// Two field agents with lots from the main warehouse (one accepted in full, one in part),
/// sales across their lots, and a return awaiting the owner's decision. Goods short in the
/// warehouse are skipped rather than failing the demo.
pub fn demo_agents(db: &Db, now: Ts, a: &Actor, products: &[(ProductId, bool)], main: WarehouseId) -> Result<()> {
    use crate::agents::{self, TransferDraft, TransferItem, returns, sales};
    use crate::tenancy::{roles, users};

    let c = a.company;
    let first_branch = crate::tenancy::store::branches(&db.read()?, c)?.first().map(|b| b.id);
    let agent_ids = db.write_blocking(|tx| -> Result<Vec<UserId>> {
        let draft = roles::RoleDraft { name: "Торговый агент".into(), permissions: vec!["agent".into(), "dashboard".into()] };
        let role = roles::save(tx, a, now, None, &draft)?;
        let mut out = Vec::new();
        for (name, email) in [("Эрлан Садыков", "erlan"), ("Айгуль Мамытова", "aigul")] {
            let d = users::UserDraft {
                email: format!("{email}.{}@dukan.kg", c.0),
                name: name.into(),
                role: "staff".into(),
                custom_role: Some(role),
                branches: first_branch.into_iter().collect(),
                primary_branch: first_branch,
                ..users::UserDraft::default()
            };
            out.push(users::create(tx, a, now, &d, None)?);
        }
        Ok(out)
    })?;
    let goods: Vec<ProductId> = products.iter().filter(|(_, weighed)| !weighed).map(|(p, _)| *p).skip(45).take(6).collect();
    for (n, agent) in agent_ids.iter().enumerate() {
        let mine: Vec<ProductId> = goods.iter().skip(n * 3).take(3).copied().collect();
        for (k, qty) in [(0, 4), (1, 3)] {
            let made = db.write_blocking(|tx| {
                let mut items = Vec::new();
                for p in &mine {
                    let price = catalog::query::find_product(tx, c, *p)?.map(|p| p.price).unwrap_or_default();
                    items.push(TransferItem { product: *p, qty: Decimal::from(qty), price, accept: k == 0 });
                }
                let d = TransferDraft {
                    agent: *agent,
                    warehouse: main,
                    items,
                    external_ref: Some(format!("demo-{}-{n}-{k}", c.0)),
                    source: String::new(),
                };
                agents::transfer(tx, a, now, &d)
            });
            let Ok(lots) = made else { continue };
            if k == 1
                && let Some(lot) = lots.first()
            {
                db.write_blocking(|tx| agents::accept(tx, a, now, lot.id, Some(Decimal::from(2))))?;
            }
        }
        let Some(first) = mine.first().copied() else { continue };
        let d = sales::CheckoutDraft {
            agent: Some(*agent),
            lines: vec![sales::LineDraft { product: Some(first), qty: "5".into(), ..Default::default() }],
            ..Default::default()
        };
        let _ = db.write_blocking(|tx| sales::checkout(tx, a, now, &d));
        if let Some(second) = mine.get(1).copied() {
            let d = sales::CheckoutDraft {
                agent: Some(*agent),
                lines: vec![sales::LineDraft { product: Some(second), qty: "2".into(), ..Default::default() }],
                ..Default::default()
            };
            let _ = db.write_blocking(|tx| sales::checkout(tx, a, now, &d));
            let _ = db.write_blocking(|tx| returns::create(tx, a, now, *agent, second, Decimal::ONE));
        }
    }
    demo_requests(db, now, a, &agent_ids, &goods, main)
}

/// A "10 + 1" promo gift on one product, and each agent's request cart for it: the first
/// approved (its lots made, gift included), the second submitted and waiting for the owner.
fn demo_requests(db: &Db, now: Ts, a: &Actor, agents: &[UserId], goods: &[ProductId], main: WarehouseId) -> Result<()> {
    use crate::agents::requests::{self, Edit};
    use crate::tenancy::perms::{Perm, PermSet};

    let (Some(gifted), Some(plain)) = (goods.first().copied(), goods.get(1).copied()) else { return Ok(()) };
    db.write_blocking(|tx| {
        let d = crate::catalog::promo::PromoDraft {
            name: "10 + 1 в подарок".into(),
            scope: "product".into(),
            target: Some(gifted.0),
            min_qty: "10".into(),
            gift_qty: "1".into(),
            active: true,
            ..Default::default()
        };
        crate::catalog::promo::save_rule(tx, a, now, None, &d)
    })?;
    for (n, agent) in agents.iter().enumerate() {
        // The agent builds the cart themself: an actor of their own, holding the agent right.
        let mut me = a.clone();
        me.user = *agent;
        me.role = crate::tenancy::model::SystemRole::Staff;
        me.perms = PermSet::of(&[Perm::AGENT]);
        let made = db.write_blocking(|tx| -> Result<crate::agents::request_store::AgentRequest> {
            let r = requests::create(tx, &me, now, None)?;
            requests::edit(tx, &me, now, r.id, &Edit::Add { product: gifted, qty: Decimal::from(10) })?;
            requests::edit(tx, &me, now, r.id, &Edit::Add { product: plain, qty: Decimal::from(2) })?;
            requests::submit(tx, &me, now, r.id)
        });
        let Ok(r) = made else { continue };
        if n == 0 {
            // Short stock leaves the request waiting rather than failing the demo.
            let _ = db.write_blocking(|tx| requests::approve(tx, a, now, r.id, main));
        }
    }
    Ok(())
}

/// The telecom desk of the demo company: three tariffs (one with a price rise ahead), twenty
/// generated SIMs, subscribers with passports and ПИН, contracts activated 45 days ago with
/// their top-ups, and today's billing run (one month charged; one contract goes below zero
/// and is suspended for its balance).
pub fn demo_telecom(db: &Db, now: Ts, a: &Actor) -> Result<()> {
    use crate::telecom::billing::{self, PaymentDraft};
    use crate::telecom::contracts::{self, ContractDraft};
    use crate::telecom::sims::{self, GenerateDraft};
    use crate::telecom::tariffs::{self, RevisionDraft, TariffDraft};
    use crate::telecom::{self, SubscriberDraft};
    let then = now.plus_days(-45);
    let tz = crate::tenancy::timezone(&db.read()?, a.company)?;
    db.write_blocking(|tx| -> Result<()> {
        let mut tariff_ids = Vec::new();
        for (name, fee, minutes, kind) in
            [("Старт", "250", "300", "prepaid"), ("Безлимит", "690", "0", "prepaid"), ("Бизнес", "1200", "2000", "postpaid")]
        {
            let terms = RevisionDraft {
                monthly_fee: fee.into(),
                minutes: minutes.into(),
                gb: "10".into(),
                minute_rate: "1.50".into(),
                sms_rate: "1".into(),
                gb_rate: "100".into(),
                ..Default::default()
            };
            let t = tariffs::create_tariff(
                tx,
                a,
                then,
                &TariffDraft { name: name.into(), pay_kind: kind.into(), priority: "0".into(), terms },
            )?;
            tariff_ids.push(t.id);
        }
        let rise = RevisionDraft {
            valid_from: now.plus_days(10).date_local(&tz),
            monthly_fee: "750".into(),
            gb: "15".into(),
            ..Default::default()
        };
        tariffs::revise(tx, a, now, tariff_ids[1], &rise)?;
        let g = GenerateDraft {
            count: "20".into(),
            start: "1".into(),
            iccid: "89996010000000{num:04}".into(),
            imsi: "43701000{num:07}".into(),
            msisdn: "+996705{num:06}".into(),
            branch: None,
        };
        let stock = sims::generate(tx, a, then, &g)?.created;
        let people = [
            ("Асанов", "Бакыт", "Темирович", "AN", "1234567", "22505199012345", "0555 100 201"),
            ("Токтогулова", "Асель", "Маратовна", "ID", "0456789", "10304199500012", "0700 100 202"),
            ("Иванов", "Сергей", "Петрович", "AN", "2345678", "", "0772 100 203"),
            ("Жумабекова", "Гульнара", "", "ID", "0567890", "11212198800033", "0555 100 204"),
            ("Мамытов", "Эрлан", "Капарович", "AN", "3456789", "", "0550 100 205"),
            ("Сыдыкова", "Айпери", "", "AN", "4567890", "", "0700 100 206"),
            ("Осмонов", "Нурлан", "Бекович", "AN", "5678901", "", "0555 100 207"),
        ];
        let mut subs = Vec::new();
        for (last, first, patronymic, series, number, pin, phone) in people {
            let d = SubscriberDraft {
                last_name: last.into(),
                first_name: first.into(),
                patronymic: patronymic.into(),
                doc_series: series.into(),
                doc_number: number.into(),
                personal_no: pin.into(),
                phone: phone.into(),
                ..Default::default()
            };
            subs.push(telecom::save_subscriber(tx, a, then, None, &d)?.0.id);
        }
        let org = SubscriberDraft {
            kind: "organization".into(),
            org_name: "ОсОО «Ак-Суу Логистик»".into(),
            org_inn: "01506201910123".into(),
            phone: "0312 100 300".into(),
            email: "office@aksuu.kg".into(),
            ..Default::default()
        };
        subs.push(telecom::save_subscriber(tx, a, then, None, &org)?.0.id);
        // (subscriber, tariff, top-up): the sixth pays too little and is suspended by billing.
        let plan =
            [(0, 0, "600"), (1, 1, "1500"), (2, 0, "300"), (3, 1, "700"), (4, 0, "1000"), (5, 1, "400"), (7, 2, "5000"), (7, 2, "2500")];
        for (i, (s, t, paid)) in plan.iter().enumerate() {
            let draft = ContractDraft {
                subscriber: Some(subs[*s]),
                tariff: Some(tariff_ids[*t]),
                sim: stock.get(i).map(|x| x.id),
                ..Default::default()
            };
            let k = contracts::create_contract(tx, a, then, &draft)?;
            contracts::activate(tx, a, then, k.id, None)?;
            let p =
                PaymentDraft { amount: (*paid).into(), method: "cash".into(), transaction_id: format!("demo-{i}"), note: String::new() };
            billing::pay(tx, a, then, k.id, &p)?;
        }
        // A draft waiting for its SIM, and a contract already terminated.
        contracts::create_contract(
            tx,
            a,
            now,
            &ContractDraft { subscriber: Some(subs[6]), tariff: Some(tariff_ids[0]), ..Default::default() },
        )?;
        let old = ContractDraft {
            subscriber: Some(subs[6]),
            tariff: Some(tariff_ids[0]),
            sim: stock.get(10).map(|x| x.id),
            ..Default::default()
        };
        let k = contracts::create_contract(tx, a, then, &old)?;
        contracts::activate(tx, a, then, k.id, None)?;
        contracts::terminate(tx, a, now, k.id)?;
        billing::bill_day(tx, a.company, &now.date_local(&tz), now)?;
        Ok(())
    })
}

/// The demo CRM: a wholesale client with two contacts, the default pipeline with deals on
/// every stage (one won, one lost), and tasks — one overdue, one due within the hour, one
/// done — so the board, the forecast, the reminders and the client timeline have something
/// to show.
pub fn demo_crm(db: &Db, now: Ts, a: &Actor) -> Result<()> {
    use crate::crm::deals::{self, DealDraft};
    use crate::crm::tasks::{self, TaskDraft};
    use crate::crm::{self, ContactDraft};
    db.write_blocking(|tx| -> Result<()> {
        let d = crate::clients::ClientDraft {
            name: "ОсОО «Ала-Тоо Трейд»".into(), phone: "0312 900 100".into(), ..Default::default()
        };
        let client = crate::clients::save_client(tx, a, now, None, &d)?.0.id;
        let buyer = ContactDraft {
            name: "Бакыт Асанов".into(),
            position: "Закупщик".into(),
            phones: vec!["0555 321 654".into()],
            email: "bakyt@alatoo.kg".into(),
            notes: String::new(),
        };
        let buyer = crm::save_contact(tx, a, now, Some(client), None, &buyer)?;
        let boss = ContactDraft { name: "Нургуль Исакова".into(), position: "Директор".into(), ..Default::default() };
        crm::save_contact(tx, a, now, Some(client), None, &boss)?;
        let deal = |title: &str, value: &str, with_client: bool| DealDraft {
            title: title.into(),
            value: value.into(),
            client: with_client.then_some(client.0),
            contact: with_client.then_some(buyer.id.0),
            expected_close: now.plus_days(14).date_local("Asia/Bishkek"),
            ..DealDraft::default()
        };
        let big = deals::save_deal(tx, a, now, None, &deal("Поставка напитков на лето", "185000", true))?;
        let pipeline = deals::pipeline(tx, a, big.pipeline)?;
        let stage = |i: usize| pipeline.stages.get(i).map(|s| s.id);
        let mut made = vec![big];
        for (title, value) in [
            ("Кофемашина в офис", "64000"),
            ("Оптовая бакалея", "92000"),
            ("Корпоративные подарки", "38000"),
            ("Сухофрукты к празднику", "21000"),
        ] {
            made.push(deals::save_deal(tx, a, now, None, &deal(title, value, false))?);
        }
        let moves = [(0, 2, ""), (1, 1, ""), (2, 3, ""), (3, 4, "Дорого")];
        for (i, to, reason) in moves {
            if let Some(s) = stage(to) {
                deals::move_deal(tx, a, now, made[i].id, s, reason)?;
            }
        }
        let task = |title: &str, kind: &str, due: Ts, deal: Option<u64>| TaskDraft {
            kind: kind.into(),
            title: title.into(),
            due: due.format_local("Asia/Bishkek").replace(' ', "T"),
            client: Some(client.0),
            deal,
            ..TaskDraft::default()
        };
        tasks::save_task(tx, a, now, None, &task("Отправить коммерческое предложение", "message", now.plus_days(-1), Some(made[0].id.0)))?;
        tasks::save_task(tx, a, now, None, &task("Позвонить Бакыту", "call", now.plus_ms(40 * 60_000), Some(made[0].id.0)))?;
        let met = tasks::save_task(tx, a, now, None, &task("Встреча на складе", "meeting", now.plus_days(-2), None))?;
        tasks::set_status(tx, a, now, met.id, crate::crm::model::TaskStatus::Done)?;
        Ok(())
    })
}
