//! Unit tests: the installment schedule, the picker token packing, and a property test of the
//! debt ledger against a real data file (random debt sales, payments and reversals: the
//! balance is Σ rows exactly, never negative, and `verify` finds nothing).

use jiff::civil::Date;
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::deals::schedule;
use super::model::{Client, ClientKind, ClientLegal};
use super::store::{self, pack};
use super::*;
use crate::i18n::Lang;
use crate::ids::{CashBoxId, ClientId, CompanyId, SaleId, ShiftId, UserId};
use crate::pos::model::{Method, Payment, Sale, SaleStatus};
use crate::storage::Db;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::{Access, SystemRole};
use crate::tenancy::perms::PermSet;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn check_schedule(debt: &str, months: u32, start: Date, expected: &[(&str, &str, &str)]) {
    let got: Vec<(String, String, String)> =
        schedule(d(debt), months, start).into_iter().map(|i| (i.due, i.amount.to_string(), i.balance_after.to_string())).collect();
    let want: Vec<(String, String, String)> = expected.iter().map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())).collect();
    assert_eq!(got, want, "{debt} over {months}");
}

#[test]
fn schedules_are_cent_exact_and_the_last_installment_absorbs_the_remainder() {
    check_schedule(
        "100.00",
        3,
        Date::constant(2026, 1, 31),
        &[("2026-01-31", "33.33", "66.67"), ("2026-02-28", "33.33", "33.34"), ("2026-03-31", "33.34", "0.00")],
    );
    // Half-up rounding would give 0.02 × 5 = 0.10 and a last installment of 0.00.
    check_schedule(
        "0.11",
        6,
        Date::constant(2026, 12, 1),
        &[
            ("2026-12-01", "0.01", "0.10"),
            ("2027-01-01", "0.01", "0.09"),
            ("2027-02-01", "0.01", "0.08"),
            ("2027-03-01", "0.01", "0.07"),
            ("2027-04-01", "0.01", "0.06"),
            ("2027-05-01", "0.06", "0.00"),
        ],
    );
    check_schedule("1000", 1, Date::constant(2026, 5, 10), &[("2026-05-10", "1000.00", "0.00")]);
    assert!(schedule(d("0"), 3, Date::constant(2026, 1, 1)).is_empty());
}

proptest! {
    #[test]
    fn schedules_sum_to_the_debt(cents in 1i64..100_000_000, months in 1u32..=120) {
        let debt = Decimal::new(cents, 2);
        prop_assume!(debt >= Decimal::new(i64::from(months), 2));
        let s = schedule(debt, months, Date::constant(2026, 1, 31));
        prop_assert_eq!(s.len(), months as usize);
        prop_assert_eq!(s.iter().map(|i| i.amount).sum::<Decimal>(), debt);
        prop_assert!(s.iter().all(|i| i.amount >= Decimal::new(1, 2) && i.amount.scale() == 2));
        prop_assert!(s.windows(2).all(|w| w[0].due < w[1].due));
        prop_assert_eq!(s.last().map(|i| i.balance_after), Some(Decimal::ZERO));
    }
}

#[test]
fn packed_tokens_order_like_their_bytes() {
    assert!(pack("иван", 0) < pack("иваново", 0));
    assert!(pack("иваново", 0) <= pack("иван", 0xFF));
    assert!(pack("ивам", 0xFF) < pack("иван", 0));
    assert_eq!(pack("abcdefghijklmnopqrstuvwxyz", 0), pack("abcdefghijklmnop", 0));
}

fn actor() -> Actor {
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
        features: vec!["clients".into(), "pos".into()],
    }
}

#[derive(Debug, Clone)]
enum Op {
    Sale(i64),
    Pay(i64),
    Reverse(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![(1i64..500_000).prop_map(Op::Sale), (1i64..500_000).prop_map(Op::Pay), (1i64..500_000).prop_map(Op::Reverse)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn the_debt_ledger_balance_is_the_exact_sum_and_never_negative(ops in proptest::collection::vec(op(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(&dir.path().join("t.redb"), 8 << 20, &[], crate::storage::Hooks::default()).expect("open");
        let a = actor();
        let client = ClientId(10);
        db.write_blocking(|tx| -> crate::error::Result<()> {
            let cl = Client { id: client, kind: ClientKind::Client, name: "Иван".into(), phone: None, email: None, legal: ClientLegal::default(), notes: String::new(), archived: false, created: crate::clock::Ts(0), created_by: a.user };
            store::put_client(tx, a.company, None, &cl)?;
            Ok(())
        }).expect("client");
        let mut expected = Decimal::ZERO;
        for (i, op) in ops.iter().enumerate() {
            let key = format!("k{i}");
            let result = db.write_blocking(|tx| -> crate::error::Result<()> {
                match op {
                    Op::Sale(cents) => {
                        let amount = Decimal::new(*cents, 2);
                        let sale = Sale {
                            id: SaleId(1000 + i as u64), number: format!("П-{i}"), status: SaleStatus::Debt, at: crate::clock::Ts(i as i64),
                            cash_box: CashBoxId(3), shift: ShiftId(4), branch: None, warehouse: None, cashier: a.user, client: Some(client),
                            lines: Vec::new(), subtotal: amount, discount: Decimal::ZERO, total: amount,
                            payments: vec![Payment { method: Method::Debt, amount }], cash_received: Decimal::ZERO, change: Decimal::ZERO,
                            returned: Decimal::ZERO, returns: Vec::new(), idempotency_key: key.clone(),
                        };
                        tx.insert(crate::pos::store::SALES, (a.company.0, sale.id.0), &sale)?;
                        on_checkout(tx, &a, crate::clock::Ts(i as i64), &sale)
                    }
                    Op::Pay(cents) => {
                        let draft = DebtPaymentDraft { key: key.clone(), amount: Decimal::new(*cents, 2).to_string(), method: "card".into(), cash_box: None, note: String::new() };
                        pay_debt(tx, &a, crate::clock::Ts(i as i64), client, &draft).map(|_| ())
                    }
                    Op::Reverse(cents) => reverse_sale_debt(tx, &a, crate::clock::Ts(i as i64), client, SaleId(1), Decimal::new(*cents, 2), String::new()),
                }
            });
            match (op, result) {
                (Op::Sale(c), Ok(())) => expected += Decimal::new(*c, 2),
                (Op::Pay(c) | Op::Reverse(c), Ok(())) => {
                    prop_assert!(Decimal::new(*c, 2) <= expected);
                    expected -= Decimal::new(*c, 2);
                }
                (Op::Pay(c) | Op::Reverse(c), Err(_)) => prop_assert!(Decimal::new(*c, 2) > expected, "refused {c} with {expected} owed"),
                (Op::Sale(_), Err(e)) => prop_assert!(false, "sale refused: {e}"),
            }
            let tx = db.read().expect("read");
            let bal = balance(&tx, a.company, client).expect("balance");
            prop_assert_eq!(bal.owed, expected);
            prop_assert!(bal.owed >= Decimal::ZERO);
            let sum: Decimal = ledger(&tx, a.company, client).expect("ledger").iter().map(|(_, e)| e.amount).sum();
            prop_assert_eq!(sum, bal.owed);
        }
        let tx = db.read().expect("read");
        let problems = store::verify(&tx, &mut |visit| {
            tx.range(crate::pos::store::SALES, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, id), sale| visit(c, id, &sale))
        })
        .expect("verify");
        prop_assert!(problems.is_empty(), "{problems:?}");
    }
}
