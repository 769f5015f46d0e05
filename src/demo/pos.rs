//! The demo shop's till history: branches, cash boxes, cashiers, four weeks of shifts and sales.

use rust_decimal::Decimal;

use crate::clock::Ts;
use crate::error::Result;
use crate::ids::{CompanyId, ProductId, UserId, WarehouseId};
use crate::inventory::{self, DocDraft, LineDraft};
use crate::storage::Db;
use crate::tenancy::actor::Actor;
use crate::tenancy::model::SystemRole;

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
pub(super) fn demo_pos(db: &Db, now: Ts, a: &Actor, products: &[(ProductId, bool)], main: WarehouseId, market: WarehouseId) -> Result<()> {
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
