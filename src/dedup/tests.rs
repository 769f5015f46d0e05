//! Property test of the merge over random link graphs in a real data file: after a merge every
//! record that named the duplicate names the survivor and nothing else moved, the survivor's
//! debt is the sum of both, `check` is clean; the undo gives back exactly the graph before.
//! The graph spans every client-linked kind: deals, tasks, contacts, debts, installment deals,
//! the timeline, reviews, documents made from templates, calendar events, agents' request
//! carts and open till carts.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;

use crate::clock::Ts;
use crate::ids::{ClientId, CompanyId, UserId};
use crate::storage::Db;
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::model::{Access, SystemRole, all_features};
use crate::tenancy::perms::PermSet;

const T0: Ts = Ts(1_780_000_000_000);

fn owner(company: CompanyId, user: UserId) -> Actor {
    Actor {
        company,
        user,
        user_name: "owner".into(),
        role: SystemRole::Owner,
        perms: PermSet::all(),
        branch: BranchScope::Company,
        ip: "127.0.0.1".into(),
        lang: crate::i18n::Lang::Ru,
        platform_admin: false,
        access: Access::Full,
        features: all_features(),
    }
}

#[derive(Debug, Clone)]
enum Link {
    Deal,
    Task,
    Contact,
    Debt(u32),
    Installment,
    Review,
    /// A deal with a commercial offer made from it.
    Document,
    CalEvent,
    AgentRequest,
    Cart,
}

fn link() -> impl Strategy<Value = Link> {
    prop_oneof![
        Just(Link::Deal),
        Just(Link::Task),
        Just(Link::Contact),
        (1u32..50_000).prop_map(Link::Debt),
        Just(Link::Installment),
        Just(Link::Review),
        Just(Link::Document),
        Just(Link::CalEvent),
        Just(Link::AgentRequest),
        Just(Link::Cart),
    ]
}

/// Who each record names, read from the primaries, and every client's debt balance.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Graph {
    owners: BTreeMap<(&'static str, u64), u64>,
    debts: BTreeMap<u64, (Decimal, u64)>,
    events: BTreeMap<u64, u64>,
}

fn graph(db: &Db, c: CompanyId) -> Graph {
    let tx = db.read().expect("read");
    let mut g = Graph::default();
    let all = usize::MAX;
    tx.range(crate::crm::store::DEALS, (c, crate::ids::CrmDealId::MIN), (c, crate::ids::CrmDealId::MAX), false, all, |k, d| {
        g.owners.insert(("deal", k.1.0), d.client.map_or(0, |x| x.0));
        Ok(true)
    })
    .expect("deals");
    tx.range(crate::crm::store::TASKS, (c, crate::ids::TaskId::MIN), (c, crate::ids::TaskId::MAX), false, all, |k, t| {
        g.owners.insert(("task", k.1.0), t.client.map_or(0, |x| x.0));
        Ok(true)
    })
    .expect("tasks");
    tx.range(crate::crm::store::CONTACTS, (c, crate::ids::ContactId::MIN), (c, crate::ids::ContactId::MAX), false, all, |k, x| {
        g.owners.insert(("contact", k.1.0), x.client.0);
        Ok(true)
    })
    .expect("contacts");
    tx.range(crate::clients::store::DEALS, (c.0, 0), (c.0, u64::MAX), false, all, |k, d| {
        g.owners.insert(("installment", k.1), d.client.0);
        Ok(true)
    })
    .expect("installments");
    tx.range(crate::crm::store::REVIEWS, (c, crate::ids::ReviewId::MIN), (c, crate::ids::ReviewId::MAX), false, all, |k, r| {
        g.owners.insert(("review", k.1.0), r.client.0);
        Ok(true)
    })
    .expect("reviews");
    tx.range(crate::crm::store::DOCS, (c, crate::ids::CrmDocId::MIN), (c, crate::ids::CrmDocId::MAX), false, all, |k, d| {
        g.owners.insert(("document", k.1.0), d.client.map_or(0, |x| x.0));
        Ok(true)
    })
    .expect("documents");
    let (e0, e1) = ((c, crate::ids::CalEventId::MIN), (c, crate::ids::CalEventId::MAX));
    tx.range(crate::crm::calendar::store::EVENTS, e0, e1, false, all, |k, e| {
        g.owners.insert(("calendar", k.1.0), e.client.map_or(0, |x| x.0));
        Ok(true)
    })
    .expect("calendar");
    let (r0, r1) = ((c, crate::ids::AgentRequestId::MIN), (c, crate::ids::AgentRequestId::MAX));
    tx.range(crate::agents::request_store::REQUESTS, r0, r1, false, all, |k, r| {
        g.owners.insert(("agent_request", k.1.0), r.client.map_or(0, |x| x.0));
        Ok(true)
    })
    .expect("agent requests");
    tx.range(crate::pos::store::CARTS, (c, 0), (c, u64::MAX), false, all, |k, cart| {
        g.owners.insert(("cart", k.1), cart.client.map_or(0, |x| x.0));
        Ok(true)
    })
    .expect("carts");
    tx.range(crate::clients::store::DEBT_BALANCES, (c.0, 0), (c.0, u64::MAX), false, all, |k, b| {
        g.debts.insert(k.1, (b.owed, b.rows));
        Ok(true)
    })
    .expect("balances");
    tx.range(crate::crm::store::TIMELINE, (c, ClientId::MIN, 0, 0), (c, ClientId::MAX, u64::MAX, u64::MAX), false, all, |k, _| {
        g.events.insert(k.3, k.1.0);
        Ok(true)
    })
    .expect("timeline");
    g
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]
    #[test]
    fn a_merge_repoints_every_link_and_its_undo_restores_the_graph(
        links in proptest::collection::vec((0usize..4, link()), 0..25),
        survivor in 0usize..4,
        step in 1usize..4,
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = crate::schema::open(&dir.path().join("t.redb"), 8 << 20).expect("open");
        let parsed = crate::tenancy::ParsedCompany {
            name: "Магазин".into(),
            country: crate::country::Country::KG,
            owner_name: "Айбек".into(),
            owner_email: "owner@example.kg".into(),
            owner_password: String::new(),
            plan: None,
        };
        let (company, user) = db
            .write_blocking(|tx| crate::tenancy::create_company(tx, T0, &parsed, "x".into(), crate::tenancy::Creator::Cli))
            .expect("company");
        let a = owner(company, user);
        let clients: Vec<ClientId> = db
            .write_blocking(|tx| {
                let mut out = Vec::new();
                for i in 0..4 {
                    let d = crate::clients::ClientDraft { name: format!("Клиент {i}"), ..Default::default() };
                    out.push(crate::clients::save_client(tx, &a, T0, None, &d)?.0.id);
                }
                Ok::<_, crate::error::Error>(out)
            })
            .expect("clients");
        db.write_blocking(|tx| {
            for (n, (who, l)) in links.iter().enumerate() {
                let (cl, now) = (clients[*who], T0.plus_ms(n as i64 + 1));
                match l {
                    Link::Deal => {
                        let d = crate::crm::deals::DealDraft { title: format!("Сделка {n}"), value: "10".into(), client: Some(cl.0), ..Default::default() };
                        crate::crm::deals::save_deal(tx, &a, now, None, &d)?;
                    }
                    Link::Task => {
                        let d = crate::crm::tasks::TaskDraft { title: format!("Задача {n}"), due: "2026-07-01".into(), client: Some(cl.0), ..Default::default() };
                        crate::crm::tasks::save_task(tx, &a, now, None, &d)?;
                    }
                    Link::Contact => {
                        let d = crate::crm::ContactDraft { name: format!("Контакт {n}"), ..Default::default() };
                        crate::crm::save_contact(tx, &a, now, Some(cl), None, &d)?;
                    }
                    Link::Debt(cents) => {
                        crate::clients::add_manual_debt(tx, &a, now, cl, &Decimal::new(i64::from(*cents), 2).to_string(), "", "")?;
                    }
                    Link::Installment => {
                        let d = crate::clients::deals::DealDraft { kind: "debt".into(), title: format!("Рассрочка {n}"), amount: "300".into(), months: 3, ..Default::default() };
                        crate::clients::deals::create_deal(tx, &a, now, cl, &d)?;
                    }
                    Link::Review => {
                        let d = crate::crm::reviews::ReviewDraft { rating: "4".into(), text: format!("Отзыв {n}") };
                        crate::crm::reviews::add(tx, &a, now, Some(cl), None, &d)?;
                    }
                    Link::Document => {
                        let d = crate::crm::deals::DealDraft { title: format!("КП {n}"), value: "500".into(), client: Some(cl.0), ..Default::default() };
                        let deal = crate::crm::deals::save_deal(tx, &a, now, None, &d)?;
                        crate::crm::docs::generate(tx, &a, now, deal.id, "offer.ru")?;
                    }
                    Link::CalEvent => {
                        let d = crate::crm::calendar::EventDraft {
                            title: format!("Встреча {n}"),
                            kind: "meeting".into(),
                            start: format!("2026-07-{:02}T10:00", n % 28 + 1),
                            client: Some(cl.0),
                            ..Default::default()
                        };
                        crate::crm::calendar::save_event(tx, &a, now, None, &d)?;
                    }
                    Link::AgentRequest => {
                        // An agent's draft cart for the client, as `agents::requests::create`
                        // stores it (the owner is no agent, so the fixture writes it).
                        let r = crate::agents::request_store::AgentRequest {
                            id: crate::ids::AgentRequestId(tx.next_id()?),
                            agent: user,
                            client: Some(cl),
                            branch: None,
                            status: crate::agents::request_store::RequestStatus::Draft,
                            items: Vec::new(),
                            created: now,
                            updated: now,
                            submitted: None,
                            decided: None,
                            warehouse: None,
                            reason: String::new(),
                        };
                        crate::agents::request_store::put_request(tx, company, &r)?;
                    }
                    Link::Cart => {
                        // A cashier's open cart with the client chosen, as the till keeps it.
                        let cart = crate::pos::model::Cart {
                            id: tx.next_id()?,
                            cash_box: crate::ids::CashBoxId(1),
                            user,
                            shift: None,
                            carried_from: None,
                            lines: Vec::new(),
                            discount: crate::pos::model::OrderDiscount::None,
                            client: Some(cl),
                            updated: now,
                        };
                        tx.insert(crate::pos::store::CARTS, (company, cart.id), &cart)?;
                    }
                }
            }
            Ok::<_, crate::error::Error>(())
        })
        .expect("links");
        let (keep, dup) = (clients[survivor], clients[(survivor + step) % 4]);
        let before = graph(&db, company);
        let now = T0.plus_ms(10_000);

        let m = db.write_blocking(|tx| super::merge(tx, &a, now, keep, dup)).expect("merge");
        let after = graph(&db, company);
        let mut want = before.clone();
        for owner in want.owners.values_mut() {
            if *owner == dup.0 {
                *owner = keep.0;
            }
        }
        for owner in want.events.values_mut() {
            if *owner == dup.0 {
                *owner = keep.0;
            }
        }
        let (kb, db_) = (before.debts.get(&keep.0).cloned().unwrap_or_default(), before.debts.get(&dup.0).cloned().unwrap_or_default());
        want.debts.remove(&dup.0);
        if kb.1 + db_.1 > 0 {
            want.debts.insert(keep.0, (kb.0 + db_.0, kb.1 + db_.1));
        }
        prop_assert_eq!(&after, &want);
        let moved = before.owners.values().filter(|o| **o == dup.0).count() + before.events.values().filter(|o| **o == dup.0).count();
        let extras = crate::dedup::extras(&db.read().expect("read"), company, m.id).expect("extras");
        prop_assert_eq!(m.moved() + extras.moved(), moved + db_.1 as usize);
        prop_assert_eq!(crate::check::run(&db).expect("check"), Vec::<String>::new());

        db.write_blocking(|tx| super::undo(tx, &a, now, m.id)).expect("undo");
        prop_assert_eq!(graph(&db, company), before);
        prop_assert_eq!(crate::check::run(&db).expect("check"), Vec::<String>::new());
    }
}
