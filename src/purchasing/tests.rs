//! Property and unit tests of purchasing against a real data file: random purchases, returns,
//! cancellations (and, through finance, cash purchases, payments and decisions); after every
//! step the payable identity (balance = Σ ledger = what the model expects) and the stock
//! identities (`inventory::store::verify`) hold, and a refused step changes nothing.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::model::PurchaseStatus;
use super::*;
use crate::clients::model::ClientLegal;
use crate::clock::Ts;
use crate::ids::{ClientId, ProductId, UserId, WarehouseId};
use crate::storage::Db;
use crate::tenancy::ParsedCompany;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::{Access, SystemRole, all_features};
use crate::tenancy::perms::PermSet;

const T0: Ts = Ts(1_780_000_000_000);

pub(super) struct World {
    pub _dir: tempfile::TempDir,
    pub db: Db,
    pub actor: Actor,
    pub supplier: ClientId,
    pub warehouse: WarehouseId,
    pub products: Vec<ProductId>,
}

pub(super) fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = crate::schema::open(&dir.path().join("t.redb"), 8 << 20).expect("open");
    let parsed = ParsedCompany {
        name: "Магазин".into(),
        country: crate::country::Country::KG,
        owner_name: "Айбек".into(),
        owner_email: "owner@example.kg".into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, owner) =
        db.write_blocking(|tx| crate::tenancy::create_company(tx, T0, &parsed, "x".into(), crate::tenancy::Creator::Cli)).expect("company");
    let actor = owner_actor(company, owner);
    let (supplier, warehouse, products) = db
        .write_blocking(|tx| -> Result<_> {
            let wh = inventory::save_warehouse(tx, &actor, T0, None, "Склад", None, true)?;
            let draft =
                crate::clients::ClientDraft { kind: "supplier".into(), name: "ОсОО Поставщик".into(), ..Default::default() };
            let (sup, _) = crate::clients::save_client(tx, &actor, T0, None, &draft)?;
            let mut products = Vec::new();
            for name in ["Чай", "Сахар", "Мука"] {
                let d = crate::catalog::ProductDraft { name: name.into(), unit: "шт".into(), ..Default::default() };
                products.push(crate::catalog::save_product(tx, &actor, T0, None, &d)?);
            }
            Ok((sup.id, wh, products))
        })
        .expect("setup");
    let _ = ClientLegal::default();
    World { _dir: dir, db, actor, supplier, warehouse, products }
}

fn owner_actor(company: crate::ids::CompanyId, user: UserId) -> Actor {
    Actor {
        company,
        user,
        user_name: "owner".into(),
        role: SystemRole::Owner,
        perms: PermSet::all(),
        branch: BranchScope::Company,
        ip: String::new(),
        lang: crate::i18n::Lang::Ru,
        platform_admin: false,
        access: Access::Full,
        features: all_features(),
    }
}

pub(super) fn credit_draft(w: &World, lines: &[(usize, i64, i64)]) -> PurchaseDraft {
    PurchaseDraft {
        supplier: Some(w.supplier),
        warehouse: Some(w.warehouse),
        date: None,
        terms: "credit".into(),
        due_days: "7".into(),
        lines: lines
            .iter()
            .map(|(p, qty, cents)| PurchaseLineDraft {
                product: Some(w.products[*p % w.products.len()]),
                qty: qty.to_string(),
                price: Decimal::new(*cents, 2).to_string(),
            })
            .collect(),
        ..Default::default()
    }
}

/// Every identity at once: the supplier's balance is the model's, Σ ledger = balance, and
/// `check`'s purchasing and inventory parts find nothing.
fn assert_identities(w: &World, expected: Decimal) -> std::result::Result<(), TestCaseError> {
    let tx = w.db.read().expect("read");
    let bal = store::balance(&tx, w.actor.company, w.supplier).expect("balance");
    prop_assert_eq!(bal.owed, expected);
    let sum: Decimal = store::ledger(&tx, w.actor.company, w.supplier).expect("ledger").iter().map(|(_, e)| e.amount).sum();
    prop_assert_eq!(sum, bal.owed);
    let mut problems = store::verify(&tx).expect("verify");
    problems.extend(crate::inventory::store::verify(&tx).expect("inventory verify"));
    problems.extend(crate::finance::store::verify(&tx).expect("finance verify"));
    prop_assert!(problems.is_empty(), "{problems:?}");
    Ok(())
}

#[derive(Debug, Clone)]
enum Op {
    /// A purchase on credit, or in cash from the bank account (its expense pending or not).
    Buy {
        product: usize,
        qty: i64,
        cents: i64,
        cash: bool,
        pending: bool,
    },
    /// A return of the purchase's line: against the payable (credit) or refunded in cash.
    Return {
        purchase: usize,
        qty: i64,
        pending: bool,
    },
    Cancel {
        purchase: usize,
    },
    Pay {
        cents: i64,
        prepayment: bool,
        pending: bool,
    },
    /// Approve or reject the n-th money document still pending.
    Decide {
        which: usize,
        approve: bool,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..3, 1i64..20, 1i64..100_000, any::<bool>(), any::<bool>())
            .prop_map(|(product, qty, cents, cash, pending)| Op::Buy { product, qty, cents, cash, pending }),
        2 => (0usize..8, 1i64..25, any::<bool>()).prop_map(|(purchase, qty, pending)| Op::Return { purchase, qty, pending }),
        1 => (0usize..8).prop_map(|purchase| Op::Cancel { purchase }),
        3 => (1i64..1_000_000, prop::bool::weighted(0.15), any::<bool>())
            .prop_map(|(cents, prepayment, pending)| Op::Pay { cents, prepayment, pending }),
        3 => (0usize..4, any::<bool>()).prop_map(|(which, approve)| Op::Decide { which, approve }),
    ]
}

/// The model's view of one purchase.
struct Bought {
    id: PurchaseId,
    qty: i64,
    cents: i64,
    returned: i64,
    cash: bool,
    posted: bool,
}

/// A money document the model waits on.
#[derive(Debug)]
enum Waiting {
    Purchase(usize),
    Payment { amount: Decimal, prepayment: bool },
    Refund { amount: Decimal },
}

fn bank(w: &World) -> crate::ids::AccountId {
    let a = w.actor.clone();
    w.db.write_blocking(|tx| {
        let d = crate::finance::BankAccountDraft { name: "Расчётный счёт".into(), active: true, ..Default::default() };
        crate::finance::save_bank_account(tx, &a, T0, None, &d).map(|b| b.id)
    })
    .expect("bank account")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn the_payable_is_the_exact_sum_of_its_rows_and_refusals_change_nothing(ops in proptest::collection::vec(op(), 1..30)) {
        let w = world();
        let account = format!("bank:{}", bank(&w));
        let mut expected = Decimal::ZERO;
        let mut bought: Vec<Bought> = Vec::new();
        let mut waiting: Vec<(crate::ids::MoneyDocId, Waiting)> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let now = T0.plus_ms(1000 * (i as i64 + 1));
            let a = w.actor.clone();
            let approval = |pending: bool| {
                w.db.write_blocking(|tx| crate::finance::set_settings(tx, &a, now, pending)).expect("settings");
            };
            // Payments not yet approved hold their amount back from what may still leave the payable.
            let held: Decimal = waiting.iter().map(|(_, x)| match x { Waiting::Payment { amount, prepayment: false } => *amount, _ => Decimal::ZERO }).sum();
            let room = expected - held;
            match op {
                Op::Buy { product, qty, cents, cash, pending } => {
                    approval(*pending);
                    let mut d = credit_draft(&w, &[(*product, *qty, *cents)]);
                    if *cash {
                        d.terms = "cash".into();
                        d.account = account.clone();
                    }
                    let p = w.db.write_blocking(|tx| {
                        let p = save_purchase(tx, &a, now, None, &d)?;
                        post_purchase(tx, &a, now, p.id)
                    }).expect("a purchase posts");
                    let total = round_money(Decimal::from(*qty) * Decimal::new(*cents, 2));
                    let posted = !(*cash && *pending);
                    prop_assert_eq!(p.status, if posted { PurchaseStatus::Posted } else { PurchaseStatus::CashPending });
                    if !*cash {
                        expected += total;
                    }
                    if !posted {
                        waiting.push((p.money_doc.expect("money doc"), Waiting::Purchase(bought.len())));
                    }
                    bought.push(Bought { id: p.id, qty: *qty, cents: *cents, returned: 0, cash: *cash, posted });
                }
                Op::Return { purchase, qty, pending } => {
                    let Some(b) = bought.get_mut(*purchase) else { continue };
                    approval(*pending);
                    let amount = round_money(Decimal::from(*qty) * Decimal::new(b.cents, 2));
                    let ok = b.posted && b.returned + qty <= b.qty && (b.cash || amount <= room);
                    let d = if b.cash {
                        ReturnDraft { lines: vec![(0, qty.to_string())], refund: "cash".into(), account: account.clone(), ..Default::default() }
                    } else {
                        ReturnDraft { lines: vec![(0, qty.to_string())], ..Default::default() }
                    };
                    let r = w.db.write_blocking(|tx| return_goods(tx, &a, now, b.id, &d));
                    prop_assert_eq!(r.is_ok(), ok, "return {} of {:?}: {:?}", qty, (b.qty, b.returned, b.posted), r.as_ref().err());
                    if let Ok(r) = r {
                        b.returned += qty;
                        if !b.cash {
                            expected -= amount;
                        } else if *pending {
                            waiting.push((r.money_doc.expect("refund doc"), Waiting::Refund { amount }));
                        }
                    }
                }
                Op::Cancel { purchase } => {
                    let Some(b) = bought.get_mut(*purchase) else { continue };
                    let total = round_money(Decimal::from(b.qty) * Decimal::new(b.cents, 2));
                    let ok = b.posted && b.returned == 0 && (b.cash || total <= room);
                    let r = w.db.write_blocking(|tx| cancel_purchase(tx, &a, now, b.id));
                    prop_assert_eq!(r.is_ok(), ok, "cancel: {:?}", r.err());
                    if ok {
                        b.posted = false;
                        if !b.cash {
                            expected -= total;
                        }
                    }
                }
                Op::Pay { cents, prepayment, pending } => {
                    approval(*pending);
                    let amount = Decimal::new(*cents, 2);
                    let ok = *prepayment || amount <= room;
                    let d = PaymentDraft { key: format!("k{i}"), amount: amount.to_string(), account: account.clone(), prepayment: *prepayment, note: String::new() };
                    let r = w.db.write_blocking(|tx| pay_supplier(tx, &a, now, w.supplier, &d));
                    prop_assert_eq!(r.is_ok(), ok, "pay {} with {} room: {:?}", amount, room, r.as_ref().err());
                    if let Ok(pay) = r {
                        if *pending {
                            waiting.push((pay.money_doc, Waiting::Payment { amount, prepayment: *prepayment }));
                        } else {
                            expected -= amount;
                        }
                        // A replay returns the same payment and writes nothing.
                        let again = w.db.write_blocking(|tx| pay_supplier(tx, &a, now, w.supplier, &d)).expect("replay");
                        prop_assert_eq!(again.id, pay.id);
                    }
                }
                Op::Decide { which, approve } => {
                    if waiting.is_empty() {
                        continue;
                    }
                    let at = which % waiting.len();
                    let ok = match &waiting[at].1 {
                        Waiting::Payment { amount, prepayment } => !*approve || *prepayment || *amount <= expected,
                        Waiting::Purchase(_) | Waiting::Refund { .. } => true,
                    };
                    let doc = waiting[at].0;
                    let r = w.db.write_blocking(|tx| crate::finance::decide(tx, &a, now, doc, *approve));
                    prop_assert_eq!(r.is_ok(), ok, "decide {:?}: {:?}", waiting[at].1, r.as_ref().err());
                    if ok {
                        match waiting.remove(at).1 {
                            Waiting::Purchase(n) => bought[n].posted = *approve,
                            Waiting::Payment { amount, .. } if *approve => expected -= amount,
                            Waiting::Refund { amount } if !*approve => expected -= amount,
                            _ => {}
                        }
                    }
                }
            }
            assert_identities(&w, expected)?;
        }
    }
}

#[test]
fn a_draft_reports_every_bad_field_at_once_and_writes_nothing() {
    let w = world();
    let a = w.actor.clone();
    let d = PurchaseDraft {
        supplier: Some(ClientId(999_999)),
        terms: "barter".into(),
        lines: vec![PurchaseLineDraft { product: None, qty: "-1".into(), price: "x".into() }],
        ..Default::default()
    };
    let err = w.db.write_blocking(|tx| save_purchase(tx, &a, T0, None, &d)).expect_err("refused");
    let fields: Vec<&str> = err.fields().iter().map(|f| f.field.as_str()).collect();
    for f in ["supplier", "terms", "lines[0].qty", "lines[0].price"] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    let tx = w.db.read().expect("read");
    assert!(query::purchases(&tx, &a, &query::PurchaseFilter::default(), 10).expect("list").is_empty());
}

#[test]
fn cash_terms_need_an_account_and_finance() {
    let w = world();
    let a = w.actor.clone();
    let mut d = credit_draft(&w, &[(0, 2, 1000)]);
    d.terms = "cash".into();
    let err = w.db.write_blocking(|tx| save_purchase(tx, &a, T0, None, &d)).expect_err("no account");
    assert_eq!(err.fields()[0].code, "required");
}

#[test]
fn the_matching_step_links_free_text_documents_once() {
    let w = world();
    let a = w.actor.clone();
    let receipt = |supplier: &str| DocDraft {
        kind: "receipt".into(),
        warehouse: Some(w.warehouse),
        supplier: supplier.into(),
        lines: vec![LineDraft { product: Some(w.products[0]), qty: "1".into(), cost: "10".into(), amount: String::new() }],
        ..Default::default()
    };
    let (r1, r2) = (receipt("Старый поставщик"), receipt("  старый поставщик "));
    w.db.write_blocking(|tx| -> Result<()> {
        inventory::save_draft(tx, &a, T0, None, &r1)?;
        inventory::save_draft(tx, &a, T0, None, &r2)?;
        Ok(())
    })
    .expect("receipts");
    let names = unmatched_names(&w.db.read().expect("read"), &a).expect("names");
    assert_eq!(names, vec![("Старый поставщик".to_string(), 2)]);
    let (sid, linked) = w.db.write_blocking(|tx| match_name(tx, &a, T0, "Старый поставщик", None)).expect("match");
    assert_eq!(linked, 2);
    let (again, linked) = w.db.write_blocking(|tx| match_name(tx, &a, T0, "Старый поставщик", Some(sid))).expect("match again");
    assert_eq!((again, linked), (sid, 0));
    assert!(unmatched_names(&w.db.read().expect("read"), &a).expect("names").is_empty());
}

/// A file written before the due-date index (credit rows and index removed here) gets both
/// from `build_due`, and `check` agrees with them; a second run changes nothing.
#[test]
fn build_due_fills_the_index_of_an_older_file() {
    use super::store::{DUE_PURCHASES, SUPPLIER_CREDITS, build_due, verify};
    let w = world();
    let a = &w.actor;
    w.db.write_blocking(|tx| -> Result<()> {
        for lines in [[(0, 5, 8000)], [(1, 3, 10000)]] {
            let p = save_purchase(tx, a, T0, None, &credit_draft(&w, &lines))?;
            post_purchase(tx, a, T0, p.id)?;
        }
        Ok(())
    })
    .expect("purchases");
    let due = |w: &World| {
        w.db.read()
            .expect("read")
            .list(DUE_PURCHASES, (w.actor.company, 0, PurchaseId::MIN), (w.actor.company, u64::MAX, PurchaseId::MAX), 100)
            .expect("due")
    };
    let before = due(&w);
    assert_eq!(before.len(), 2);
    w.db.write_blocking(|tx| -> Result<()> {
        let c = a.company;
        for (k, _) in
            tx.list(SUPPLIER_CREDITS, (c, ClientId::MIN, 0, PurchaseId::MIN), (c, ClientId::MAX, u64::MAX, PurchaseId::MAX), 100)?
        {
            tx.remove(SUPPLIER_CREDITS, k)?;
        }
        for (k, _) in tx.list(DUE_PURCHASES, (c, 0, PurchaseId::MIN), (c, u64::MAX, PurchaseId::MAX), 100)? {
            tx.remove(DUE_PURCHASES, k)?;
        }
        Ok(())
    })
    .expect("strip");
    assert!(!verify(&w.db.read().expect("read")).expect("verify").is_empty(), "check notices the missing index");
    w.db.write_blocking(|tx| build_due(tx).map_err(crate::error::Error::from)).expect("build");
    w.db.write_blocking(|tx| build_due(tx).map_err(crate::error::Error::from)).expect("again");
    assert_eq!(due(&w), before);
    assert_eq!(verify(&w.db.read().expect("read")).expect("verify"), Vec::<String>::new());
}
