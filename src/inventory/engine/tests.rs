//! Golden FIFO cases and properties of the engine: posting movements in any order (back-dated
//! ones included) gives exactly the state of replaying them in date order, and the layers always
//! sum to the balance — Decimal equality, no epsilon.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::ids::DocumentId;
use crate::inventory::model::MoveKind;

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn mv(id: u64, intent: Intent) -> Move {
    Move {
        id,
        doc: DocumentId(0),
        kind: MoveKind::Receipt,
        intent,
        pair: None,
        qty: Decimal::ZERO,
        value: Decimal::ZERO,
        effects: vec![],
        variance: Decimal::ZERO,
        qty_after: Decimal::ZERO,
        value_after: Decimal::ZERO,
    }
}

fn inn(id: u64, q: &str, a: &str) -> Move {
    mv(id, Intent::In { qty: d(q), amount: d(a) })
}

fn out(id: u64, q: &str) -> Move {
    mv(id, Intent::Out { qty: d(q) })
}

const STRICT: Policy = Policy { allow_negative: false, fallback_unit_cost: Decimal::ZERO };

fn check(moves: Vec<Move>, policy: Policy, expected_values: &[&str], expected_layers: &[(u64, &str, &str)]) {
    let mut dated: Vec<(i64, Move)> = moves.into_iter().map(|m| (m.id as i64, m)).collect();
    let layers = replay(&mut dated, policy).expect("replay");
    let values: Vec<String> = dated.iter().map(|(_, m)| m.value.to_string()).collect();
    assert_eq!(values, expected_values);
    let got: Vec<(u64, String, String)> = layers.0.iter().map(|(k, l)| (k.1, l.qty.to_string(), l.amount.to_string())).collect();
    let want: Vec<(u64, String, String)> = expected_layers.iter().map(|(id, q, a)| (*id, q.to_string(), a.to_string())).collect();
    assert_eq!(got, want);
}

#[test]
fn a_sale_consumes_the_oldest_receipts_first() {
    // 5 at 85.00 (#12), 5 at 90.00 (#15); selling 7 takes 5 from #12 and 2 from #15.
    let mut moves = vec![(12, inn(12, "5", "425.00")), (15, inn(15, "5", "450.00")), (20, out(20, "7"))];
    let layers = replay(&mut moves, STRICT).expect("replay");
    let sale = &moves[2].1;
    assert_eq!(sale.value, d("-605.00"));
    let takes: Vec<(u64, String, String)> = sale.effects.iter().map(|e| (e.layer, e.dq.to_string(), e.da.to_string())).collect();
    assert_eq!(takes, vec![(12, "-5".into(), "-425.00".into()), (15, "-2".into(), "-180.00".into())]);
    assert_eq!(layers.0.len(), 1);
    assert_eq!((moves[2].1.qty_after, moves[2].1.value_after), (d("3"), d("270.00")));
}

#[test]
fn thirds_round_half_up_and_the_last_unit_takes_the_rest() {
    check(vec![inn(1, "3", "100.00"), out(2, "1"), out(3, "1"), out(4, "1")], STRICT, &["100.00", "-33.33", "-33.34", "-33.33"], &[]);
}

#[test]
fn weighed_goods_keep_grams() {
    check(
        vec![inn(1, "2.500", "375.00"), out(2, "0.125"), out(3, "0.333")],
        STRICT,
        &["375.00", "-18.75", "-49.95"],
        &[(1, "2.042", "306.30")],
    );
}

#[test]
fn refused_when_negative_stock_is_off() {
    let mut moves = vec![(1, inn(1, "2", "20.00")), (2, out(2, "3"))];
    assert_eq!(replay(&mut moves, STRICT).err(), Some(Refusal::Short { available: d("2"), needed: d("3"), date: 2, move_id: 2 }));
}

#[test]
fn allowed_negative_stock_settles_with_a_variance() {
    let policy = Policy { allow_negative: true, fallback_unit_cost: d("50") };
    let mut moves = vec![(1, out(1, "2")), (2, inn(2, "5", "300.00"))];
    let layers = replay(&mut moves, policy).expect("replay");
    assert_eq!(moves[0].1.value, d("-100.00"), "overdrawn at the purchase price");
    assert_eq!(moves[1].1.variance, d("20.00"), "2 units really cost 120.00");
    assert_eq!(moves[1].1.value, d("280.00"));
    let got: Vec<_> = layers.0.iter().map(|(k, l)| (k.1, l.qty, l.amount)).collect();
    assert_eq!(got, vec![(2, d("3"), d("180.00"))]);
    assert_eq!(moves[1].1.value_after, d("180.00"));
}

#[test]
fn a_reversal_undoes_exactly_its_original() {
    check(
        vec![inn(1, "4", "100.00"), out(2, "3"), mv(3, Intent::Reverse { of: 2 }), out(4, "1")],
        STRICT,
        &["100.00", "-75.00", "75.00", "-25.00"],
        &[(1, "3", "75.00")],
    );
}

/// One posting: a movement with a date.
#[derive(Debug, Clone)]
enum Op {
    In { date: i64, qty: i64, unit_cents: i64 },
    Out { date: i64, qty: i64 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0i64..40, 1i64..9000, 1i64..50_000).prop_map(|(date, qty, unit_cents)| Op::In { date, qty, unit_cents }),
        (0i64..40, 1i64..6000).prop_map(|(date, qty)| Op::Out { date, qty }),
    ]
}

/// Incremental posting as the storage path does it: insert at the sorted position, undo what
/// follows, redo from there. Returns false (and restores the state) when refused.
fn post(list: &mut Vec<(i64, Move)>, layers: &mut MemLayers, date: i64, m: Move, policy: Policy) -> bool {
    let pos = list.partition_point(|(dt, x)| (*dt, x.id) < (date, m.id));
    let saved_list = list.clone();
    let saved_layers = MemLayers(layers.0.clone());
    for (_, later) in list[pos..].iter().rev() {
        undo(layers, later).expect("infallible");
    }
    list.insert(pos, (date, m));
    let (mut q, mut v) = match pos.checked_sub(1).map(|i| &list[i].1) {
        Some(p) => (p.qty_after, p.value_after),
        None => (Decimal::ZERO, Decimal::ZERO),
    };
    for i in pos..list.len() {
        let (before, rest) = list.split_at_mut(i);
        let prev = before.last().map(|(_, m)| m);
        let (dt, m) = &mut rest[0];
        if redo(layers, m, *dt, prev, policy).is_err() {
            *list = saved_list;
            *layers = saved_layers;
            return false;
        }
        q += m.qty;
        v += m.value;
        m.qty_after = q;
        m.value_after = v;
    }
    true
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn posting_in_any_order_equals_replay_in_date_order(ops in prop::collection::vec(op(), 1..40), negative in any::<bool>()) {
        let policy = Policy { allow_negative: negative, fallback_unit_cost: d("12.34") };
        let mut list: Vec<(i64, Move)> = Vec::new();
        let mut layers = MemLayers::default();
        for (i, o) in ops.iter().enumerate() {
            let id = i as u64 + 1;
            let (date, m) = match o {
                Op::In { date, qty, unit_cents } => {
                    let q = Decimal::new(*qty, 3);
                    (*date, mv(id, Intent::In { qty: q, amount: round_money(q * Decimal::new(*unit_cents, 2)) }))
                }
                Op::Out { date, qty } => (*date, mv(id, Intent::Out { qty: Decimal::new(*qty, 3) })),
            };
            let accepted = post(&mut list, &mut layers, date, m, policy);
            if !negative && !accepted {
                // A refusal leaves the item exactly as it was.
                continue;
            }
            prop_assert!(accepted || !negative);
        }
        let mut fresh: Vec<(i64, Move)> = list.iter().map(|(dt, m)| (*dt, mv(m.id, m.intent.clone()))).collect();
        let scratch = replay(&mut fresh, policy).expect("replay of an accepted history succeeds");
        for ((_, a), (_, b)) in list.iter().zip(fresh.iter()) {
            prop_assert_eq!(&a.effects, &b.effects);
            prop_assert_eq!((a.qty, a.value, a.qty_after, a.value_after), (b.qty, b.value, b.qty_after, b.value_after));
        }
        prop_assert_eq!(layers.0.len(), scratch.0.len());
        let sum_q: Decimal = layers.0.values().map(|l| l.qty).sum();
        let sum_a: Decimal = layers.0.values().map(|l| l.amount).sum();
        let bal_q: Decimal = list.iter().map(|(_, m)| m.qty).sum();
        let bal_v: Decimal = list.iter().map(|(_, m)| m.value).sum();
        prop_assert_eq!(sum_q, bal_q, "layers hold the stock on hand");
        prop_assert_eq!(sum_a, bal_v, "layers hold the stock value at cost");
        if !negative {
            prop_assert!(layers.0.values().all(|l| l.qty > Decimal::ZERO));
        }
        // Money stays on the minor unit.
        prop_assert!(list.iter().all(|(_, m)| m.effects.iter().all(|e| e.da.scale() <= 2)));
    }
}
