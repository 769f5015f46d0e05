//! Property test of the finance ledger against a real data file: random income, expense and
//! transfer documents created approved or pending, single and bulk decisions and reversals
//! across a cash box and two bank accounts. After every step each balance is what the
//! approved documents add up to, the daily projection nets to the same, `verify` finds
//! nothing, and a refused step leaves the file exactly as it was.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::model::*;
use super::store::*;
use super::*;
use crate::clock::Ts;
use crate::i18n::Lang;
use crate::ids::{CashBoxId, CompanyId, PlanId, UserId};
use crate::storage::Db;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::{Access, Company, Legal, SystemRole};
use crate::tenancy::perms::{Perm, PermSet};

fn owner() -> Actor {
    Actor {
        company: CompanyId(1),
        user: UserId(2),
        user_name: "Owner".into(),
        role: SystemRole::Owner,
        perms: PermSet::default(),
        branch: BranchScope::Company,
        ip: "127.0.0.1".into(),
        lang: Lang::Ru,
        platform_admin: false,
        access: Access::Full,
        features: vec!["pos".into()],
    }
}

/// A clerk with the finance right only: documents wait for a decision.
fn clerk() -> Actor {
    Actor { user: UserId(3), user_name: "Clerk".into(), role: SystemRole::Staff, perms: PermSet::of(&[Perm::FINANCE]), ..owner() }
}

#[derive(Debug, Clone)]
enum Op {
    Create { kind: u8, from: usize, to: usize, cents: i64, by_clerk: bool, back_days: i64 },
    Decide { doc: usize, approve: bool },
    DecideMany { docs: Vec<usize>, approve: bool },
    Reverse { doc: usize },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..3, 0usize..3, 0usize..3, 1i64..1_000_000, any::<bool>(), 0i64..40)
            .prop_map(|(kind, from, to, cents, by_clerk, back_days)| Op::Create { kind, from, to, cents, by_clerk, back_days }),
        2 => (0usize..40, any::<bool>()).prop_map(|(doc, approve)| Op::Decide { doc, approve }),
        1 => (proptest::collection::vec(0usize..40, 1..5), any::<bool>()).prop_map(|(docs, approve)| Op::DecideMany { docs, approve }),
        1 => (0usize..40).prop_map(|doc| Op::Reverse { doc }),
    ]
}

/// Everything a step may touch, to compare before and after a refusal.
fn snapshot(db: &Db, accounts: &[AccountRef]) -> (Vec<Decimal>, u64, u64, u64, Vec<MoneyDoc>) {
    let tx = db.read().expect("read");
    let c = CompanyId(1);
    let balances = accounts.iter().map(|a| balance(&tx, c, *a).expect("balance")).collect();
    let docs =
        tx.list(MONEY_DOCS, (c, MoneyDocId::MIN), (c, MoneyDocId::MAX), usize::MAX).expect("docs").into_iter().map(|(_, d)| d).collect();
    (balances, tx.len(ACCOUNT_LEDGER).expect("len"), tx.len(MONEY_JOURNAL).expect("len"), tx.len(daily::MONEY_DAYS).expect("len"), docs)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn balances_are_what_approved_documents_add_up_to(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("t.redb"), 8 << 20, &[], crate::wiring::hooks()).expect("open");
        let a = owner();
        let start = Ts(1_796_239_800_000);
        let accounts = db
            .write_blocking(|tx| -> crate::error::Result<Vec<AccountRef>> {
                let co = Company {
                    id: a.company, name: "x".into(), country: crate::country::Country::KG, timezone: "Asia/Bishkek".into(),
                    plan: PlanId(1), owner: a.user, legal: Legal::default(), phones: vec![], created: Ts(0),
                    subscription_end: None, grace_days: 7, active: true, logo: None,
                };
                tx.insert(crate::tenancy::store::COMPANIES, a.company.0, &co)?;
                while tx.next_id()? < 10 {}
                let b = crate::pos::model::CashBox { id: CashBoxId(5), name: "Касса".into(), branch: None, expense_only: false, warehouse: None, active: true };
                tx.insert(crate::pos::store::CASH_BOXES, (a.company.0, 5), &b)?;
                let bank1 = save_bank_account(tx, &a, start, None, &BankAccountDraft { name: "Банк 1".into(), active: true, ..Default::default() })?;
                let bank2 = save_bank_account(tx, &a, start, None, &BankAccountDraft { name: "Банк 2".into(), active: true, ..Default::default() })?;
                Ok(vec![AccountRef::CashBox(CashBoxId(5)), AccountRef::Bank(bank1.id), AccountRef::Bank(bank2.id)])
            })
            .expect("setup");
        let mut ids: Vec<MoneyDocId> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let now = start.plus_ms(i as i64 * 60_000);
            let before = snapshot(&db, &accounts);
            let pick = |n: usize| ids.get(n % ids.len().max(1)).copied().unwrap_or(MoneyDocId(1));
            let result = db.write_blocking(|tx| -> crate::error::Result<Vec<MoneyDoc>> {
                match op {
                    Op::Create { kind, from, to, cents, by_clerk, back_days } => {
                        let kind = [MoneyDocKind::Income, MoneyDocKind::Expense, MoneyDocKind::Transfer][*kind as usize];
                        let d = MoneyDocDraft {
                            kind, account: accounts[*from], to_account: Some(accounts[*to]), amount: Decimal::new(*cents, 2),
                            category: "rent".into(), counterparty: None, reference: String::new(), memo: String::new(),
                            date: Some(now.plus_days(-back_days)),
                        };
                        let actor = if *by_clerk { clerk() } else { owner() };
                        Ok(vec![create_money_doc(tx, &actor, now, &d)?])
                    }
                    Op::Decide { doc, approve } => Ok(vec![decide(tx, &a, now, pick(*doc), *approve)?]),
                    Op::DecideMany { docs, approve } => {
                        let list: Vec<MoneyDocId> = docs.iter().map(|d| pick(*d)).collect();
                        decide_many(tx, &a, now, &list, *approve)
                    }
                    Op::Reverse { doc } => Ok(vec![reverse(tx, &a, now, pick(*doc))?]),
                }
            });
            match result {
                Ok(docs) => {
                    for d in docs {
                        if !ids.contains(&d.id) {
                            ids.push(d.id);
                        }
                    }
                }
                Err(_) => prop_assert_eq!(snapshot(&db, &accounts), before, "a refused step wrote something"),
            }
            let tx = db.read().expect("read");
            let c = a.company;
            let docs: Vec<MoneyDoc> = tx.list(MONEY_DOCS, (c, MoneyDocId::MIN), (c, MoneyDocId::MAX), usize::MAX).expect("docs").into_iter().map(|(_, d)| d).collect();
            let mut total = Decimal::ZERO;
            for acc in &accounts {
                let want: Decimal = docs
                    .iter()
                    .filter(|d| matches!(d.status, MoneyDocStatus::Approved | MoneyDocStatus::Reversed))
                    .flat_map(doc_rows)
                    .filter(|(x, _, _)| x == acc)
                    .map(|(_, _, amount)| amount)
                    .sum();
                let have = balance(&tx, c, *acc).expect("balance");
                prop_assert_eq!(have, want, "account {:?}", acc);
                total += have;
            }
            for d in &docs {
                if let Some(r) = d.reversed_by {
                    prop_assert_eq!(d.status, MoneyDocStatus::Reversed);
                    prop_assert!(docs.iter().any(|x| x.id == r && x.reverses == Some(d.id) && x.status == MoneyDocStatus::Approved));
                }
            }
            let net: Decimal = daily::days(&tx, c, 0, u64::MAX).expect("days").iter().map(|(_, _, _, m)| m.income - m.expense).sum();
            prop_assert_eq!(net, total);
            let problems = verify(&tx).expect("verify");
            prop_assert!(problems.is_empty(), "{problems:?}");
        }
    }
}

#[test]
fn the_balance_at_a_date_leaves_out_later_days() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = Db::open(&dir.path().join("t.redb"), 8 << 20, &[], crate::wiring::hooks()).expect("open");
    let a = owner();
    let now = Ts(1_796_239_800_000);
    let bank = db
        .write_blocking(|tx| -> crate::error::Result<AccountRef> {
            let acc = save_bank_account(tx, &a, now, None, &BankAccountDraft { name: "Банк".into(), active: true, ..Default::default() })?;
            let acc = AccountRef::Bank(acc.id);
            for (back, cents) in [(10, 10000), (5, 5000), (0, 700)] {
                let d = MoneyDocDraft {
                    kind: MoneyDocKind::Income,
                    account: acc,
                    to_account: None,
                    amount: Decimal::new(cents, 2),
                    category: "other".into(),
                    counterparty: None,
                    reference: String::new(),
                    memo: String::new(),
                    date: Some(now.plus_days(-back)),
                };
                create_money_doc(tx, &a, now, &d)?;
            }
            Ok(acc)
        })
        .expect("write");
    let tx = db.read().expect("read");
    let day = |back: i64| crate::pos::daily::day_of(now.plus_days(-back), "");
    assert_eq!(balance(&tx, a.company, bank).expect("b"), Decimal::new(15700, 2));
    assert_eq!(balance_at(&tx, a.company, bank, day(0)).expect("b"), Decimal::new(15700, 2));
    assert_eq!(balance_at(&tx, a.company, bank, day(1)).expect("b"), Decimal::new(15000, 2));
    assert_eq!(balance_at(&tx, a.company, bank, day(7)).expect("b"), Decimal::new(10000, 2));
    assert_eq!(balance_at(&tx, a.company, bank, day(11)).expect("b"), Decimal::ZERO);
}
