//! Property test of the balance ledger and billing against a real data file: random payments,
//! refunds, corrections, billing days, suspensions and resumptions over months keep
//! balance = Σ rows, never charge a (contract, period) twice, charge nothing on a repeated
//! run, and leave `store::verify` silent; a refused step changes nothing.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::billing::{self, PaymentDraft};
use super::contracts::{self, ContractDraft};
use super::model::{ContractStatus, EntryKind};
use super::sims::{self, SimDraft};
use super::store::{CHARGED, LEDGER};
use super::tariffs::{self, RevisionDraft, TariffDraft};
use super::*;
use crate::ids::ContractId;
use crate::storage::Db;
use crate::tenancy::ParsedCompany;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::{Access, SystemRole, all_features};
use crate::tenancy::perms::PermSet;

const T0: Ts = Ts(1_780_000_000_000);

struct World {
    _dir: tempfile::TempDir,
    db: Db,
    actor: Actor,
    contract: ContractId,
}

fn world() -> World {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = crate::schema::open(&dir.path().join("t.redb"), 8 << 20).expect("open");
    let parsed = ParsedCompany {
        name: "Телеком".into(),
        country: Country::KG,
        owner_name: "Айбек".into(),
        owner_email: "owner@example.kg".into(),
        owner_password: String::new(),
        plan: None,
    };
    let (company, user) =
        db.write_blocking(|tx| crate::tenancy::create_company(tx, T0, &parsed, "x".into(), crate::tenancy::Creator::Cli)).expect("company");
    let actor = Actor {
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
    };
    let contract = db
        .write_blocking(|tx| -> Result<ContractId> {
            let d = SubscriberDraft {
                last_name: "Иванов".into(),
                first_name: "Иван".into(),
                doc_series: "AN".into(),
                doc_number: "1234567".into(),
                phone: "0555123456".into(),
                ..Default::default()
            };
            let (s, _) = save_subscriber(tx, &actor, T0, None, &d)?;
            let terms = RevisionDraft { monthly_fee: "300".into(), ..Default::default() };
            let t = tariffs::create_tariff(tx, &actor, T0, &TariffDraft { name: "Базовый".into(), terms, ..Default::default() })?;
            let sd = SimDraft {
                iccid: "89014103211118510720".into(),
                imsi: "437010123456789".into(),
                msisdn: "+996555000001".into(),
                ..Default::default()
            };
            let sim = sims::create_sim(tx, &actor, T0, &sd)?;
            let k = contracts::create_contract(
                tx,
                &actor,
                T0,
                &ContractDraft { subscriber: Some(s.id), tariff: Some(t.id), sim: Some(sim.id), ..Default::default() },
            )?;
            contracts::activate(tx, &actor, T0, k.id, None)?;
            Ok(k.id)
        })
        .expect("setup");
    World { _dir: dir, db, actor, contract }
}

#[derive(Debug, Clone)]
enum Op {
    Pay(i64),
    Refund(i64),
    Correct(i64),
    Bill(i64),
    Suspend,
    Resume,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (1i64..100_000).prop_map(Op::Pay),
        (1i64..50_000).prop_map(Op::Refund),
        (-50_000i64..50_000).prop_map(Op::Correct),
        (0i64..70).prop_map(Op::Bill),
        Just(Op::Suspend),
        Just(Op::Resume),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn the_balance_is_the_sum_of_rows_and_no_period_is_charged_twice(ops in proptest::collection::vec(op(), 1..30)) {
        let w = world();
        let (a, id) = (&w.actor, w.contract);
        let mut now = T0;
        for (i, op) in ops.iter().enumerate() {
            let before = billing::balance(&w.db.read().expect("read"), a.company, id).expect("balance");
            let result = w.db.write_blocking(|tx| -> Result<()> {
                match op {
                    Op::Pay(c) => {
                        let d = PaymentDraft { amount: Decimal::new(*c, 2).to_string(), transaction_id: format!("t{i}"), ..Default::default() };
                        billing::pay(tx, a, now, id, &d).map(|_| ())
                    }
                    Op::Refund(c) => billing::refund(tx, a, now, id, &Decimal::new(*c, 2).to_string(), "", "возврат").map(|_| ()),
                    Op::Correct(c) => billing::correct(tx, a, now, id, &Decimal::new(*c, 2).to_string(), "сверка").map(|_| ()),
                    Op::Bill(days) => {
                        now = now.plus_days(*days);
                        let date = now.date_local("Asia/Bishkek");
                        billing::bill_day(tx, a.company, &date, now)?;
                        // The same day again charges nothing.
                        let again = billing::bill_day(tx, a.company, &date, now)?;
                        if again.charges != 0 {
                            return Err(crate::error::Error::Internal(format!("second run charged {}", again.charges)));
                        }
                        Ok(())
                    }
                    Op::Suspend => contracts::suspend(tx, a, now, id).map(|_| ()),
                    Op::Resume => contracts::resume(tx, a, now, id).map(|_| ()),
                }
            });
            let tx = w.db.read().expect("read");
            let after = billing::balance(&tx, a.company, id).expect("balance");
            if let Err(e) = &result {
                prop_assert!(!matches!(e, crate::error::Error::Internal(_) | crate::error::Error::Storage(_)), "{op:?}: {e}");
                prop_assert_eq!(&after, &before, "a refused {:?} changed the balance", op);
            }
            if let (Op::Refund(c), Err(_)) = (op, &result) {
                prop_assert!(Decimal::new(*c, 2) > before.balance, "refund {c} refused with {}", before.balance);
            }
            let rows = tx.list(LEDGER, (a.company, id, 0), (a.company, id, u64::MAX), usize::MAX).expect("ledger");
            let sum: Decimal = rows.iter().map(|(_, e)| e.amount).sum();
            prop_assert_eq!(sum, after.balance);
            let periods: Vec<u32> = rows.iter().filter(|(_, e)| e.kind == EntryKind::Charge).filter_map(|(_, e)| e.period).collect();
            let mut unique = periods.clone();
            unique.dedup();
            prop_assert_eq!(&periods, &unique, "a period charged twice");
            prop_assert_eq!(tx.len(CHARGED).expect("len"), periods.len() as u64);
            let k = tx.get(store::CONTRACTS, (a.company, id)).expect("get").expect("contract");
            if k.status == ContractStatus::Active {
                prop_assert!(after.balance >= Decimal::ZERO, "active below zero: {}", after.balance);
            }
            let problems = store::verify(&tx).expect("verify");
            prop_assert!(problems.is_empty(), "{problems:?}");
        }
    }
}

#[test]
fn a_revision_prices_only_the_periods_due_after_it() {
    let w = world();
    let (a, id) = (&w.actor, w.contract);
    let later = T0.plus_days(40);
    w.db.write_blocking(|tx| -> Result<()> {
        let t = query::tariffs(tx, a)?.remove(0);
        let r = RevisionDraft { valid_from: later.date_local("Asia/Bishkek"), monthly_fee: "500".into(), ..Default::default() };
        tariffs::revise(tx, a, T0, t.id, &r)?;
        billing::pay(tx, a, T0, id, &PaymentDraft { amount: "5000".into(), ..Default::default() })?;
        billing::bill_day(tx, a.company, &T0.plus_days(100).date_local("Asia/Bishkek"), T0.plus_days(100))?;
        Ok(())
    })
    .expect("billing");
    let tx = w.db.read().expect("read");
    let fees: Vec<String> = tx
        .list(LEDGER, (a.company, id, 0), (a.company, id, u64::MAX), usize::MAX)
        .expect("ledger")
        .into_iter()
        .filter(|(_, e)| e.kind == EntryKind::Charge)
        .map(|(_, e)| (-e.amount).to_string())
        .collect();
    // Period 1 falls due 30–31 days after activation (old price), 2 and 3 after day 40.
    assert_eq!(fees, vec!["300.00", "500.00", "500.00"]);
    assert!(store::verify(&tx).expect("verify").is_empty());
}
