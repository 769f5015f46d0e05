//! The demo telecom desk: subscribers, SIMs, tariffs, contracts and a billing run.

use crate::clock::Ts;
use crate::error::Result;
use crate::storage::Db;
use crate::tenancy::actor::Actor;

/// The telecom desk of the demo company: three tariffs (one with a price rise ahead), twenty
/// generated SIMs, subscribers with passports and ПИН, contracts activated 45 days ago with
/// their top-ups, today's billing run (one month charged; one contract goes below zero
/// and is suspended for its balance), and support tickets in every state.
pub(super) fn demo_telecom(db: &Db, now: Ts, a: &Actor) -> Result<()> {
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
        // Tickets in each state: new (one of them past its SLA), in progress, waiting,
        // resolved and closed.
        use crate::telecom::tickets::{self, Action, TicketDraft};
        let me = a.user;
        // (subscriber index, subject, category, priority, hours ago, actions)
        type Case = (usize, &'static str, &'static str, &'static str, i64, Vec<Action>);
        let cases: [Case; 6] = [
            (0, "Нет связи в подъезде", "technical", "high", 2, vec![]),
            (1, "Списали абонплату дважды?", "billing", "critical", 6, vec![]),
            (2, "Сменить тариф на «Безлимит»", "tariff", "medium", 3, vec![Action::Assign(Some(me))]),
            (3, "Потерял SIM-карту", "sim", "high", 20, vec![Action::Assign(Some(me)), Action::Wait]),
            (
                4,
                "Не приходят SMS",
                "technical",
                "medium",
                30,
                vec![Action::Assign(Some(me)), Action::Resolve("Сбросили настройки SMS-центра".into())],
            ),
            (5, "Жалоба на качество связи", "complaint", "low", 60, vec![Action::Close("Абонент не выходит на связь".into())]),
        ];
        for (s, subject, category, priority, hours_ago, actions) in cases {
            let at = now.plus_ms(-hours_ago * 3_600_000);
            let draft = TicketDraft {
                subscriber: subs[s].0,
                contract: None,
                subject: subject.into(),
                description: String::new(),
                category: category.into(),
                priority: priority.into(),
            };
            let ticket = tickets::create(tx, a, at, &draft)?;
            for action in &actions {
                tickets::act(tx, a, at.plus_ms(600_000), ticket.id, action)?;
            }
        }
        Ok(())
    })?;
    demo_telecom_scale(db, now, a, &tz)
}

// Slice B: the desk at the scale.

/// A few thousand subscribers, SIMs and contracts activated over the last two months, with
/// top-ups, a month of daily billing runs and a usage file rated against the allowances — what
/// the search, the report and its charts show. Written in transactions of 500.
fn demo_telecom_scale(db: &Db, now: Ts, a: &Actor, tz: &str) -> Result<()> {
    use crate::telecom::billing::{self, PaymentDraft};
    use crate::telecom::contracts::{self, ContractDraft};
    use crate::telecom::sims::{self, GenerateDraft};
    use crate::telecom::{self, SubscriberDraft};
    const N: usize = 3000;
    const LAST: [&str; 16] = [
        "Абдыкадыров",
        "Бакиев",
        "Жумабеков",
        "Исаков",
        "Касымов",
        "Маматов",
        "Осмонов",
        "Турдуев",
        "Иванов",
        "Петров",
        "Смирнов",
        "Кузнецов",
        "Алиев",
        "Садыков",
        "Токтогулов",
        "Эркинбаев",
    ];
    const FIRST: [&str; 12] =
        ["Азамат", "Нурлан", "Бакыт", "Эркин", "Тимур", "Руслан", "Айбек", "Улан", "Данияр", "Эльдар", "Максат", "Адилет"];
    let tariffs: Vec<_> = crate::telecom::query::tariffs(&db.read()?, a)?.into_iter().filter(|t| !t.archived).map(|t| t.id).collect();
    let mut sims_made = Vec::new();
    db.write_blocking(|tx| -> Result<()> {
        for batch in 0..(N / 1000) as u64 {
            let g = GenerateDraft {
                count: "1000".into(),
                start: (batch * 1000 + 1).to_string(),
                iccid: "8999601000001{num:05}".into(),
                imsi: "43701001{num:07}".into(),
                msisdn: "+996706{num:06}".into(),
                branch: None,
            };
            sims_made.extend(sims::generate(tx, a, now.plus_days(-60), &g)?.created.into_iter().map(|s| s.id));
        }
        Ok(())
    })?;
    for chunk in 0..N.div_ceil(500) {
        db.write_blocking(|tx| -> Result<()> {
            for i in chunk * 500..((chunk + 1) * 500).min(N) {
                let at = now.plus_days(-((i % 60) as i64) - 1);
                let female = i % 3 == 0;
                let last = LAST[i % LAST.len()];
                let d = SubscriberDraft {
                    last_name: if female { format!("{last}а") } else { last.to_string() },
                    first_name: if female {
                        ["Айгерим", "Асель", "Динара", "Жазгуль"][i % 4].into()
                    } else {
                        FIRST[(i / 7) % FIRST.len()].into()
                    },
                    doc_series: "AN".into(),
                    doc_number: format!("{}", 6_000_000 + i),
                    phone: format!("+996555{:06}", 300_000 + i),
                    ..Default::default()
                };
                let s = telecom::save_subscriber(tx, a, at, None, &d)?.0.id;
                // Nine in ten sign a contract; every twelfth pays too little and is suspended.
                if i % 10 == 9 || tariffs.is_empty() {
                    continue;
                }
                let draft = ContractDraft {
                    subscriber: Some(s),
                    tariff: Some(tariffs[i % tariffs.len()]),
                    sim: sims_made.get(i).copied(),
                    ..Default::default()
                };
                let k = contracts::create_contract(tx, a, at, &draft)?;
                contracts::activate(tx, a, at, k.id, None)?;
                let amount = if i % 12 == 0 { "100".to_string() } else { format!("{}", 500 + (i % 8) * 250) };
                let p = PaymentDraft { amount, method: ["cash", "card", "mobile_payment"][i % 3].into(), ..Default::default() };
                billing::pay(tx, a, at, k.id, &p)?;
            }
            Ok(())
        })?;
    }
    // The scheduler's daily runs over the last month.
    for back in (0..30).rev() {
        let day = now.plus_days(-back);
        db.write_blocking(|tx| billing::bill_day(tx, a.company, &day.date_local(tz), day))?;
    }
    // Yesterday's usage file: every fifth SIM made calls; every fifteenth went past its minutes.
    let mut rows = vec![vec!["id".to_string(), "msisdn".into(), "kind".into(), "amount".into()]];
    for i in (0..N).filter(|i| i % 10 != 9 && i % 5 == 0) {
        let msisdn = format!("+996706{:06}", i + 1);
        let minutes = if i % 15 == 0 { 2500 } else { 120 };
        rows.push(vec![format!("demo-{i}-v"), msisdn.clone(), "voice".into(), minutes.to_string()]);
        rows.push(vec![format!("demo-{i}-d"), msisdn, "data".into(), "2048".into()]);
    }
    db.write_blocking(|tx| crate::telecom::usage::import(tx, a, now, &rows))?;
    Ok(())
}
