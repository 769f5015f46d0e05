//! The demo shop's clients, debts, installment deals and money documents.

use crate::clock::Ts;
use crate::error::Result;
use crate::storage::Db;
use crate::tenancy::actor::Actor;

/// Clients of the demo shop: buyers, a supplier and a contractor with legal details, debts
/// written by hand with a part repaid by card, and installment deals (one partly paid).
pub(super) fn demo_clients(db: &Db, now: Ts, a: &Actor) -> Result<()> {
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
pub(super) fn demo_money(db: &Db, now: Ts, a: &Actor) -> Result<()> {
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
