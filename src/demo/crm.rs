//! The demo shop's CRM: a pipeline with deals, tasks and a client timeline.

use crate::clock::Ts;
use crate::error::Result;
use crate::storage::Db;
use crate::tenancy::actor::Actor;

/// The demo CRM: a wholesale client with two contacts, the default pipeline with deals on
/// every stage (one won, one lost), and tasks — one overdue, one due within the hour, one
/// done — so the board, the forecast, the reminders and the client timeline have something
/// to show.
pub(super) fn demo_crm(db: &Db, now: Ts, a: &Actor) -> Result<()> {
    use crate::crm::deals::{self, DealDraft};
    use crate::crm::tasks::{self, TaskDraft};
    use crate::crm::{self, ContactDraft};
    db.write_blocking(|tx| -> Result<()> {
        let d = crate::clients::ClientDraft {
            name: "ОсОО «Ала-Тоо Трейд»".into(), phone: "0312 900 100".into(), ..Default::default()
        };
        let client = crate::clients::save_client(tx, a, now, None, &d)?.0.id;
        let buyer = ContactDraft {
            name: "Бакыт Асанов".into(),
            position: "Закупщик".into(),
            phones: vec!["0555 321 654".into()],
            email: "bakyt@alatoo.kg".into(),
            notes: String::new(),
        };
        let buyer = crm::save_contact(tx, a, now, Some(client), None, &buyer)?;
        let boss = ContactDraft { name: "Нургуль Исакова".into(), position: "Директор".into(), ..Default::default() };
        crm::save_contact(tx, a, now, Some(client), None, &boss)?;
        let deal = |title: &str, value: &str, with_client: bool| DealDraft {
            title: title.into(),
            value: value.into(),
            client: with_client.then_some(client.0),
            contact: with_client.then_some(buyer.id.0),
            expected_close: now.plus_days(14).date_local("Asia/Bishkek"),
            ..DealDraft::default()
        };
        let big = deals::save_deal(tx, a, now, None, &deal("Поставка напитков на лето", "185000", true))?;
        let pipeline = deals::pipeline(tx, a, big.pipeline)?;
        let stage = |i: usize| pipeline.stages.get(i).map(|s| s.id);
        let mut made = vec![big];
        for (title, value) in [
            ("Кофемашина в офис", "64000"),
            ("Оптовая бакалея", "92000"),
            ("Корпоративные подарки", "38000"),
            ("Сухофрукты к празднику", "21000"),
        ] {
            made.push(deals::save_deal(tx, a, now, None, &deal(title, value, false))?);
        }
        let moves = [(0, 2, ""), (1, 1, ""), (2, 3, ""), (3, 4, "Дорого")];
        for (i, to, reason) in moves {
            if let Some(s) = stage(to) {
                deals::move_deal(tx, a, now, made[i].id, s, reason)?;
            }
        }
        let task = |title: &str, kind: &str, due: Ts, deal: Option<u64>| TaskDraft {
            kind: kind.into(),
            title: title.into(),
            due: due.format_local("Asia/Bishkek").replace(' ', "T"),
            client: Some(client.0),
            deal,
            ..TaskDraft::default()
        };
        tasks::save_task(tx, a, now, None, &task("Отправить коммерческое предложение", "message", now.plus_days(-1), Some(made[0].id.0)))?;
        tasks::save_task(tx, a, now, None, &task("Позвонить Бакыту", "call", now.plus_ms(40 * 60_000), Some(made[0].id.0)))?;
        let met = tasks::save_task(tx, a, now, None, &task("Встреча на складе", "meeting", now.plus_days(-2), None))?;
        tasks::set_status(tx, a, now, met.id, crate::crm::model::TaskStatus::Done)?;
        demo_order(tx, a, now, client)
    })
}

/// An open order of the wholesale client reserving two units of the first product the first
/// warehouse has at least five of, so the orders page and a reservation have something to show.
fn demo_order(tx: &mut crate::storage::WriteTx, a: &Actor, now: Ts, client: crate::ids::ClientId) -> Result<()> {
    use crate::crm::orders::{self, OrderDraft, OrderLineDraft};
    let Some(wh) = crate::inventory::query::warehouses(tx, a.company)?.into_iter().find(|w| w.active) else { return Ok(()) };
    let mut product = None;
    for p in crate::catalog::query::active_goods(tx, a.company, None, 200)? {
        if crate::inventory::reserve::available(tx, a.company, wh.id, p.id)? >= rust_decimal::Decimal::from(5) {
            product = Some(p.id);
            break;
        }
    }
    let Some(product) = product else { return Ok(()) };
    let d = OrderDraft {
        client: Some(client.0),
        warehouse: Some(wh.id.0),
        lines: vec![OrderLineDraft { product: product.0, qty: "2".into(), price: String::new() }],
        notes: "Самовывоз в пятницу".into(),
    };
    orders::create(tx, a, now, &d)?;
    Ok(())
}
