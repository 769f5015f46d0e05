//! Golden scenarios from spec A8 and a property test: random interleavings of transfers,
//! acceptances, returns (pending, approved, rejected), agent sales and their returns against
//! a real data file; after every step the lots' counters, FIFO order, `dukan check`'s verifies
//! and the stock ledger's closing (quantity and value) must hold.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::model::{AgentSale, Lot, ReturnStatus};
use super::sales::{CheckoutDraft, LineDraft};
use super::*;
use crate::catalog::ProductDraft;
use crate::i18n::Lang;
use crate::ids::{CompanyId, ProductId, WarehouseId};
use crate::inventory::{DocDraft, LineDraft as DocLineDraft};
use crate::pos::CashBoxDraft;
use crate::storage::Db;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::{Access, SystemRole, all_features};
use crate::tenancy::perms::PermSet;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

struct Fx {
    _dir: tempfile::TempDir,
    db: Db,
    owner: Actor,
    agent: Actor,
    wh: WarehouseId,
    products: Vec<ProductId>,
    clock: std::cell::Cell<i64>,
}

impl Fx {
    fn new() -> Fx {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = crate::schema::open(&dir.path().join("t.redb"), 8 << 20).expect("open");
        let now = Ts(1_796_000_000_000);
        let parsed = crate::tenancy::ParsedCompany {
            name: "Тест".into(),
            country: crate::country::Country::KG,
            owner_name: "Owner".into(),
            owner_email: "o@example.com".into(),
            owner_password: String::new(),
            plan: None,
        };
        let (company, owner_id) = db
            .write_blocking(|tx| crate::tenancy::create_company(tx, now, &parsed, "x".into(), crate::tenancy::Creator::Cli))
            .expect("company");
        let owner = Actor {
            company,
            user: owner_id,
            user_name: "Owner".into(),
            role: SystemRole::Owner,
            perms: PermSet::all(),
            branch: BranchScope::Company,
            ip: String::new(),
            lang: Lang::Ru,
            platform_admin: false,
            access: Access::Full,
            features: all_features(),
        };
        let (agent_id, role_perms, wh, products) = db
            .write_blocking(|tx| -> crate::error::Result<_> {
                let role = crate::tenancy::roles::save(
                    tx,
                    &owner,
                    now,
                    None,
                    &crate::tenancy::roles::RoleDraft { name: "Агент".into(), permissions: vec!["agent".into(), "sale".into()] },
                )?;
                let branch = crate::tenancy::store::branches(tx, company)?.first().map(|b| b.id);
                let draft = crate::tenancy::users::UserDraft {
                    branches: branch.into_iter().collect(),
                    primary_branch: branch,
                    email: "agent@example.com".into(),
                    name: "Агент Бек".into(),
                    role: "staff".into(),
                    custom_role: Some(role),
                    ..Default::default()
                };
                let agent = crate::tenancy::users::create(tx, &owner, now, &draft, Some("x".into()))?;
                let perms = crate::tenancy::query::role(tx, company, role)?.perms;
                let wh = crate::inventory::save_warehouse(tx, &owner, now, None, "Склад", None, true)?;
                let mut products = Vec::new();
                for name in ["Чай", "Сахар"] {
                    let pd = ProductDraft {
                        name: name.into(),
                        unit: "pcs".into(),
                        purchase_price: "100".into(),
                        price: "150".into(),
                        ..ProductDraft::default()
                    };
                    products.push(crate::catalog::save_product(tx, &owner, now, None, &pd)?);
                }
                crate::pos::save_cash_box(
                    tx,
                    &owner,
                    now,
                    None,
                    &CashBoxDraft { name: "Касса".into(), branch: None, expense_only: false, warehouse: None, active: true },
                )?;
                Ok((agent, perms, wh, products))
            })
            .expect("setup");
        let agent =
            Actor { user: agent_id, user_name: "Агент Бек".into(), role: SystemRole::Staff, perms: role_perms, ..owner.clone() };
        Fx { _dir: dir, db, owner, agent, wh, products, clock: std::cell::Cell::new(now.0) }
    }

    fn now(&self) -> Ts {
        self.clock.set(self.clock.get() + 60_000);
        Ts(self.clock.get())
    }

    fn r<T>(&self, f: impl FnOnce(&crate::storage::ReadTx) -> crate::error::Result<T>) -> crate::error::Result<T> {
        f(&self.db.read()?)
    }

    fn c(&self) -> CompanyId {
        self.owner.company
    }

    fn receive(&self, p: ProductId, qty: &str, cost: &str) {
        let now = self.now();
        self.db
            .write_blocking(|tx| -> crate::error::Result<()> {
                let draft = DocDraft {
                    kind: "receipt".into(),
                    warehouse: Some(self.wh),
                    lines: vec![DocLineDraft { product: Some(p), qty: qty.into(), cost: cost.into(), amount: String::new() }],
                    ..Default::default()
                };
                let id = crate::inventory::save_draft(tx, &self.owner, now, None, &draft)?;
                crate::inventory::post(tx, &self.owner, now, id).map(|_| ())
            })
            .expect("receipt");
    }

    fn transfer(&self, p: ProductId, qty: &str, accept: bool) -> crate::error::Result<Vec<Lot>> {
        let now = self.now();
        let d = TransferDraft {
            agent: self.agent.user,
            warehouse: self.wh,
            items: vec![TransferItem { product: p, qty: d(qty), price: d("150"), accept }],
            external_ref: None,
            source: String::new(),
        };
        self.db.write_blocking(|tx| transfer(tx, &self.owner, now, &d))
    }

    fn accept(&self, lot: LotId, qty: Option<&str>) -> crate::error::Result<Lot> {
        let now = self.now();
        self.db.write_blocking(|tx| accept(tx, &self.agent, now, lot, qty.map(d)))
    }

    fn give_back(&self, p: ProductId, qty: &str) -> crate::error::Result<model::AgentReturn> {
        let now = self.now();
        self.db.write_blocking(|tx| returns::create(tx, &self.agent, now, self.agent.user, p, d(qty)))
    }

    fn sell(&self, p: ProductId, qty: &str) -> crate::error::Result<AgentSale> {
        let now = self.now();
        let draft =
            CheckoutDraft { lines: vec![LineDraft { product: Some(p), qty: qty.into(), ..Default::default() }], ..Default::default() };
        self.db.write_blocking(|tx| sales::checkout(tx, &self.agent, now, &draft))
    }

    fn on_hand(&self, p: ProductId) -> Decimal {
        self.r(|tx| on_hand(tx, self.c(), self.agent.user, p)).expect("on hand")
    }

    fn lots(&self, p: ProductId) -> Vec<Lot> {
        self.r(|tx| store::lots_of(tx, self.c(), self.agent.user, p).map_err(crate::error::Error::from)).expect("lots")
    }

    fn problems(&self) -> Vec<String> {
        self.r(|tx| {
            let mut p = crate::inventory::store::verify(tx)?;
            p.extend(store::verify(tx)?);
            p.extend(daily::verify(tx)?);
            p.extend(super::request_store::verify(tx)?);
            Ok::<_, crate::error::Error>(p)
        })
        .expect("verify")
    }

    fn warehouse(&self, p: ProductId) -> (Decimal, Decimal) {
        let b = self.r(|tx| crate::inventory::store::balance(tx, self.c(), self.wh, p).map_err(crate::error::Error::from)).expect("bal");
        (b.qty, b.value)
    }
}

fn message(e: &crate::error::Error) -> String {
    match e {
        crate::error::Error::Refused { ru, .. } => ru.clone(),
        crate::error::Error::Validation(f) => f.iter().map(|f| f.ru.clone()).collect::<Vec<_>>().join("; "),
        other => format!("{other:?}"),
    }
}

#[test]
fn the_seed_scenario_transfer_accept_return_sell() {
    let fx = Fx::new();
    let tea = fx.products[0];
    fx.receive(tea, "10", "100");
    let lots = fx.transfer(tea, "10", false).expect("transfer");
    // Stock leaves the warehouse at transfer, before acceptance, with its cost.
    assert_eq!(fx.warehouse(tea), (d("0"), d("0")));
    assert_eq!(lots[0].cost, d("1000.00"));
    assert_eq!(fx.on_hand(tea), d("0"));
    fx.accept(lots[0].id, Some("7")).expect("accept 7");
    assert_eq!(message(&fx.accept(lots[0].id, Some("4")).expect_err("more than remains")), "Осталось принять 3");
    let r = fx.give_back(tea, "2").expect("return 2");
    assert_eq!(r.status, ReturnStatus::Pending);
    assert_eq!(fx.on_hand(tea), d("5"));
    let sale = fx.sell(tea, "4").expect("sell 4");
    assert_eq!(sale.lines[0].cost, d("400.00"));
    assert_eq!(fx.on_hand(tea), d("1"));
    assert_eq!(message(&fx.sell(tea, "2").expect_err("short")), "Недостаточно у агента: «Чай». Нужно 2, доступно 1");
    assert_eq!(message(&fx.give_back(tea, "2").expect_err("not on hand")), "На руках 1");
    assert_eq!(message(&fx.sell(tea, "1.5").expect_err("whole")), "Для агента количество должно быть целым и больше нуля");
    // Approving puts the goods back at the lot's cost; repeating changes nothing.
    let now = fx.now();
    let approved = fx.db.write_blocking(|tx| returns::approve(tx, &fx.owner, now, r.id, None)).expect("approve");
    assert_eq!((approved.status, approved.cost), (ReturnStatus::Approved, d("200.00")));
    let again = fx.db.write_blocking(|tx| returns::approve(tx, &fx.owner, now, r.id, None)).expect("approve again");
    assert_eq!(again, approved);
    assert!(fx.db.write_blocking(|tx| returns::reject(tx, &fx.owner, now, r.id)).is_err());
    assert_eq!(fx.warehouse(tea), (d("2"), d("200.00")));
    let lot = &fx.lots(tea)[0];
    assert_eq!((lot.transferred, lot.accepted, lot.returned, lot.sold, lot.reserved), (d("10"), d("7"), d("2"), d("4"), d("0")));
    // The 3 never accepted go back to the warehouse at the lot's cost; the lot closes.
    assert!(fx.db.write_blocking(|tx| cancel_remainder(tx, &fx.agent, now, lot.id)).is_err(), "owners only");
    let lot = fx.db.write_blocking(|tx| cancel_remainder(tx, &fx.owner, now, lot.id)).expect("cancel");
    assert!(lot.closed() && lot.cancelled == d("3"));
    assert_eq!(fx.warehouse(tea), (d("5"), d("500.00")));
    assert_eq!(message(&fx.accept(lot.id, Some("1")).expect_err("closed")), "Партия уже принята полностью");
    assert_eq!(fx.problems(), Vec::<String>::new());
}

#[test]
fn a_return_attaches_to_the_newest_single_lot_and_sales_go_fifo_across_lots() {
    let fx = Fx::new();
    let tea = fx.products[0];
    fx.receive(tea, "5", "100");
    fx.receive(tea, "5", "120");
    let first = fx.transfer(tea, "4", true).expect("first")[0].clone();
    let second = fx.transfer(tea, "6", true).expect("second")[0].clone();
    // The second lot takes the last unit at 100 and five at 120.
    assert_eq!((first.cost, second.cost), (d("400.00"), d("700.00")));
    let r = fx.give_back(tea, "3").expect("return");
    assert_eq!(r.lot, second.id);
    // 7 are free (4 + 3): a sale of 6 takes the first lot whole, then 2 of the second.
    let sale = fx.sell(tea, "6").expect("sale");
    let allocs: Vec<(LotId, Decimal)> = sale.lines[0].allocations.iter().map(|a| (a.lot, a.qty)).collect();
    assert_eq!(allocs, vec![(first.id, d("4")), (second.id, d("2"))]);
    // 400 for the first lot, and 2 of the second's 700 for 6.
    assert_eq!(sale.lines[0].cost, d("400.00") + d("233.33"));
    // A return larger than any single lot holds is refused, even if the lots together hold it.
    assert_eq!(message(&fx.give_back(tea, "2").expect_err("split")), "На руках 1");
    // Returning 5 of the sale gives back the newest allocation first: 2 to the second lot, 3 to the first.
    let now = fx.now();
    let back = fx.db.write_blocking(|tx| sales::return_lines(tx, &fx.agent, now, sale.id, &[(0, d("5"))], "cash")).expect("sale return");
    assert_eq!(back.returns[0].lines[0].cost, d("233.33") + d("300.00"));
    let lots = fx.lots(tea);
    assert_eq!((lots[0].sold, lots[1].sold), (d("1"), d("0")));
    assert_eq!(fx.on_hand(tea), d("6"));
    assert_eq!(fx.problems(), Vec::<String>::new());
}

#[test]
fn rights_and_idempotent_transfers() {
    let fx = Fx::new();
    let tea = fx.products[0];
    fx.receive(tea, "10", "100");
    let now = fx.now();
    let draft = TransferDraft {
        agent: fx.agent.user,
        warehouse: fx.wh,
        items: vec![TransferItem { product: tea, qty: d("3"), price: d("150"), accept: false }],
        external_ref: Some("req-1".into()),
        source: String::new(),
    };
    let a = fx.db.write_blocking(|tx| transfer(tx, &fx.owner, now, &draft)).expect("first");
    let b = fx.db.write_blocking(|tx| transfer(tx, &fx.owner, now, &draft)).expect("again");
    assert_eq!(a, b);
    assert_eq!(fx.warehouse(tea).0, d("7"));
    // The agent cannot transfer to themself, and the owner is not an agent.
    assert!(matches!(fx.db.write_blocking(|tx| transfer(tx, &fx.agent, now, &draft)), Err(crate::error::Error::Forbidden { .. })));
    let to_owner = TransferDraft { agent: fx.owner.user, external_ref: None, ..draft.clone() };
    assert!(fx.db.write_blocking(|tx| transfer(tx, &fx.owner, now, &to_owner)).is_err());
    // Without the plan feature nothing works.
    let no_plan = Actor { features: vec!["catalog".into()], ..fx.owner.clone() };
    assert!(matches!(
        fx.db.write_blocking(|tx| transfer(tx, &no_plan, now, &TransferDraft { external_ref: None, ..draft.clone() })),
        Err(crate::error::Error::FeatureDisabled { .. })
    ));
    // Only owner-like users decide returns.
    fx.accept(a[0].id, None).expect("accept");
    let r = fx.give_back(tea, "1").expect("return");
    assert!(fx.db.write_blocking(|tx| returns::approve(tx, &fx.agent, now, r.id, None)).is_err());
    assert_eq!(fx.problems(), Vec::<String>::new());
}

#[derive(Debug, Clone)]
enum Op {
    Receive(usize, u8, u16),
    Transfer(usize, u8, bool),
    Accept(usize, u8),
    Return(usize, u8),
    Decide(usize, bool),
    Sell(usize, u8),
    SaleReturn(usize, u8),
    Cancel(usize),
    /// The agent submits a request cart of (product, qty); the owner leaves it (0), approves
    /// it from the warehouse (1) or rejects it (2).
    Request(usize, u8, u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0usize..2, 1u8..8, 50u16..200).prop_map(|(p, q, c)| Op::Receive(p, q, c)),
        (0usize..2, 1u8..6, any::<bool>()).prop_map(|(p, q, a)| Op::Transfer(p, q, a)),
        (0usize..8, 0u8..5).prop_map(|(l, q)| Op::Accept(l, q)),
        (0usize..2, 1u8..4).prop_map(|(p, q)| Op::Return(p, q)),
        (0usize..8, any::<bool>()).prop_map(|(r, a)| Op::Decide(r, a)),
        (0usize..2, 1u8..6).prop_map(|(p, q)| Op::Sell(p, q)),
        (0usize..8, 1u8..4).prop_map(|(s, q)| Op::SaleReturn(s, q)),
        (0usize..8).prop_map(Op::Cancel),
        (0usize..2, 1u8..6, 0u8..3).prop_map(|(p, q, d)| Op::Request(p, q, d)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn lots_counters_fifo_and_the_ledger_close_under_any_interleaving(ops in proptest::collection::vec(op(), 1..30)) {
        let fx = Fx::new();
        let c = fx.c();
        let mut received = [(Decimal::ZERO, Decimal::ZERO); 2];
        let mut returns: Vec<model::AgentReturn> = Vec::new();
        let mut sold: Vec<AgentSale> = Vec::new();
        // A "3 + 1" gift on the first product: approved requests of 3 or more move a gift lot too.
        let rule = crate::catalog::promo::PromoDraft {
            name: "3+1".into(), scope: "product".into(), target: Some(fx.products[0].0), min_qty: "3".into(), gift_qty: "1".into(),
            inclusive: true, active: true, ..Default::default()
        };
        let now = fx.now();
        fx.db.write_blocking(|tx| crate::catalog::promo::save_rule(tx, &fx.owner, now, None, &rule)).expect("promo rule");
        for op in &ops {
            match op {
                Op::Receive(p, q, cost) => {
                    fx.receive(fx.products[*p], &q.to_string(), &cost.to_string());
                    received[*p].0 += Decimal::from(*q);
                    received[*p].1 += Decimal::from(*q) * Decimal::from(*cost);
                }
                Op::Transfer(p, q, a) => { let _ = fx.transfer(fx.products[*p], &q.to_string(), *a); }
                Op::Accept(l, q) => {
                    let all: Vec<Lot> = fx.lots(fx.products[0]).into_iter().chain(fx.lots(fx.products[1])).collect();
                    if let Some(lot) = all.get(*l) {
                        let q = if *q == 0 { None } else { Some(q.to_string()) };
                        let _ = fx.accept(lot.id, q.as_deref());
                    }
                }
                Op::Return(p, q) => {
                    if let Ok(r) = fx.give_back(fx.products[*p], &q.to_string()) { returns.push(r); }
                }
                Op::Decide(r, approve) => {
                    if let Some(r) = returns.get(*r) {
                        let now = fx.now();
                        let _ = fx.db.write_blocking(|tx| if *approve { returns::approve(tx, &fx.owner, now, r.id, None) } else { returns::reject(tx, &fx.owner, now, r.id) });
                    }
                }
                Op::Sell(p, q) => {
                    let before: Vec<Lot> = fx.lots(fx.products[*p]);
                    if let Ok(s) = fx.sell(fx.products[*p], &q.to_string()) {
                        let allocs = &s.lines[0].allocations;
                        prop_assert_eq!(allocs.iter().map(|a| a.qty).sum::<Decimal>(), s.lines[0].qty);
                        // FIFO: the lots used are the first ones with free quantity, in order,
                        // each but the last drained.
                        let expected: Vec<LotId> = before.iter().filter(|l| l.free() > Decimal::ZERO).map(|l| l.id).take(allocs.len()).collect();
                        prop_assert_eq!(allocs.iter().map(|a| a.lot).collect::<Vec<_>>(), expected);
                        for a in &allocs[..allocs.len() - 1] {
                            let was = before.iter().find(|l| l.id == a.lot).map(|l| l.free()).unwrap_or_default();
                            prop_assert_eq!(a.qty, was);
                        }
                        sold.push(s);
                    }
                }
                Op::Cancel(l) => {
                    let all: Vec<Lot> = fx.lots(fx.products[0]).into_iter().chain(fx.lots(fx.products[1])).collect();
                    if let Some(lot) = all.get(*l) {
                        let now = fx.now();
                        let _ = fx.db.write_blocking(|tx| cancel_remainder(tx, &fx.owner, now, lot.id));
                    }
                }
                Op::Request(p, q, decision) => {
                    let now = fx.now();
                    let product = fx.products[*p];
                    let made = fx.db.write_blocking(|tx| {
                        let r = super::requests::create(tx, &fx.agent, now, None)?;
                        super::requests::edit(tx, &fx.agent, now, r.id, &super::requests::Edit::Add { product, qty: Decimal::from(*q) })?;
                        super::requests::submit(tx, &fx.agent, now, r.id)
                    });
                    if let Ok(r) = made {
                        // Exactly one gift unit from 3 units of the first product up, none otherwise.
                        let want = u64::from(*p == 0 && *q >= 3);
                        prop_assert_eq!(r.items[0].gift, want, "gift on {:?}", op);
                        let _ = match decision {
                            1 => fx.db.write_blocking(|tx| super::requests::approve(tx, &fx.owner, now, r.id, fx.wh)),
                            2 => fx.db.write_blocking(|tx| super::requests::reject(tx, &fx.owner, now, r.id, "")),
                            _ => Ok(r),
                        };
                    }
                }
                Op::SaleReturn(s, q) => {
                    if let Some(s) = sold.get(*s) {
                        let now = fx.now();
                        let _ = fx.db.write_blocking(|tx| sales::return_lines(tx, &fx.agent, now, s.id, &[(0, Decimal::from(*q))], "cash"));
                    }
                }
            }
            let problems = fx.problems();
            prop_assert!(problems.is_empty(), "{:?} after {:?}", problems, op);
            for (i, p) in fx.products.iter().enumerate() {
                let lots = fx.lots(*p);
                for l in &lots {
                    prop_assert!(l.returned <= l.accepted && l.accepted + l.cancelled <= l.transferred);
                    prop_assert!(l.sold + l.reserved <= l.accepted - l.returned);
                    prop_assert!(l.free() >= Decimal::ZERO);
                }
                // The ledger closes: warehouse + agent's location + sold through the agent = received,
                // in quantity and at cost.
                let (wq, wv) = fx.warehouse(*p);
                let loc = fx.r(|tx| location_of(tx, c, fx.agent.user)).expect("loc");
                let (aq, av) = match loc {
                    Some(w) => { let b = fx.r(|tx| crate::inventory::store::balance(tx, c, w, *p).map_err(crate::error::Error::from)).expect("b"); (b.qty, b.value) }
                    None => (Decimal::ZERO, Decimal::ZERO),
                };
                prop_assert_eq!(aq, lots.iter().map(|l| l.in_layer()).sum::<Decimal>());
                let all_sales = fx.r(|tx| {
                    let mut v = Vec::new();
                    tx.range(store::SALES, (c, crate::ids::SaleId::MIN), (c, crate::ids::SaleId::MAX), false, usize::MAX, |_, s: AgentSale| { v.push(s); Ok(true) })?;
                    Ok::<_, crate::error::Error>(v)
                }).expect("sales");
                let (mut sq, mut sv) = (Decimal::ZERO, Decimal::ZERO);
                for s in all_sales.iter() {
                    for l in s.lines.iter().filter(|l| l.product == *p) { sq += l.qty - l.returned_qty; sv += l.cost; }
                    for r in &s.returns { for rl in &r.lines { if s.lines[rl.line as usize].product == *p { sv -= rl.cost; } } }
                }
                prop_assert_eq!(wq + aq + sq, received[i].0);
                prop_assert_eq!(wv + av + sv, received[i].1);
            }
        }
    }
}
