//! The demo telecom desk: subscribers, SIMs, tariffs, contracts and a billing run.

use crate::clock::Ts;
use crate::error::Result;
use crate::storage::Db;
use crate::tenancy::actor::Actor;

/// The telecom desk of the demo company: three tariffs (one with a price rise ahead), twenty
/// generated SIMs, subscribers with passports and ПИН, contracts activated 45 days ago with
/// their top-ups, and today's billing run (one month charged; one contract goes below zero
/// and is suspended for its balance).
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
        Ok(())
    })
}
