//! The demo shop's suppliers, purchases, a payment, a return and a draft.

use crate::clock::Ts;
use crate::error::Result;
use crate::ids::{ProductId, WarehouseId};
use crate::storage::Db;
use crate::tenancy::actor::Actor;

/// The demo shop's suppliers and purchases: two more suppliers (the dairy one is a client
/// already), purchases on credit (one paid in part at once, one due this week), a cash purchase
/// from the bank approved by the owner and one still waiting for approval, a supplier payment,
/// a return of one line against the payable, and a draft. Runs after `demo_money`, so the bank
/// account exists and the company asks for approval.
pub(super) fn demo_purchases(db: &Db, now: Ts, a: &Actor, products: &[(ProductId, bool)], main: WarehouseId) -> Result<()> {
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
