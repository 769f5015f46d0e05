//! The demo shop's field agents: transfers, acceptance, sales on their lots and request carts.

use rust_decimal::Decimal;

use crate::catalog;
use crate::clock::Ts;
use crate::error::Result;
use crate::ids::{ProductId, UserId, WarehouseId};
use crate::storage::Db;
use crate::tenancy::actor::Actor;

/// Two field agents with lots from the main warehouse (one accepted in full, one in part),
/// sales across their lots, and a return awaiting the owner's decision. Goods short in the
/// warehouse are skipped rather than failing the demo.
pub(super) fn demo_agents(db: &Db, now: Ts, a: &Actor, products: &[(ProductId, bool)], main: WarehouseId) -> Result<()> {
    use crate::agents::{self, TransferDraft, TransferItem, returns, sales};
    use crate::tenancy::{roles, users};

    let c = a.company;
    let first_branch = crate::tenancy::store::branches(&db.read()?, c)?.first().map(|b| b.id);
    let agent_ids = db.write_blocking(|tx| -> Result<Vec<UserId>> {
        let draft = roles::RoleDraft { name: "Торговый агент".into(), permissions: vec!["agent".into(), "dashboard".into()] };
        let role = roles::save(tx, a, now, None, &draft)?;
        let mut out = Vec::new();
        for (name, email) in [("Эрлан Садыков", "erlan"), ("Айгуль Мамытова", "aigul")] {
            let d = users::UserDraft {
                email: format!("{email}.{}@dukan.kg", c.0),
                name: name.into(),
                role: "staff".into(),
                custom_role: Some(role),
                branches: first_branch.into_iter().collect(),
                primary_branch: first_branch,
                ..users::UserDraft::default()
            };
            out.push(users::create(tx, a, now, &d, None)?);
        }
        Ok(out)
    })?;
    let goods: Vec<ProductId> = products.iter().filter(|(_, weighed)| !weighed).map(|(p, _)| *p).skip(45).take(6).collect();
    for (n, agent) in agent_ids.iter().enumerate() {
        let mine: Vec<ProductId> = goods.iter().skip(n * 3).take(3).copied().collect();
        for (k, qty) in [(0, 4), (1, 3)] {
            let made = db.write_blocking(|tx| {
                let mut items = Vec::new();
                for p in &mine {
                    let price = catalog::query::find_product(tx, c, *p)?.map(|p| p.price).unwrap_or_default();
                    items.push(TransferItem { product: *p, qty: Decimal::from(qty), price, accept: k == 0 });
                }
                let d = TransferDraft {
                    agent: *agent,
                    warehouse: main,
                    items,
                    external_ref: Some(format!("demo-{}-{n}-{k}", c.0)),
                    source: String::new(),
                };
                agents::transfer(tx, a, now, &d)
            });
            let Ok(lots) = made else { continue };
            if k == 1
                && let Some(lot) = lots.first()
            {
                db.write_blocking(|tx| agents::accept(tx, a, now, lot.id, Some(Decimal::from(2))))?;
            }
        }
        let Some(first) = mine.first().copied() else { continue };
        let d = sales::CheckoutDraft {
            agent: Some(*agent),
            lines: vec![sales::LineDraft { product: Some(first), qty: "5".into(), ..Default::default() }],
            ..Default::default()
        };
        let _ = db.write_blocking(|tx| sales::checkout(tx, a, now, &d));
        if let Some(second) = mine.get(1).copied() {
            let d = sales::CheckoutDraft {
                agent: Some(*agent),
                lines: vec![sales::LineDraft { product: Some(second), qty: "2".into(), ..Default::default() }],
                ..Default::default()
            };
            let _ = db.write_blocking(|tx| sales::checkout(tx, a, now, &d));
            let _ = db.write_blocking(|tx| returns::create(tx, a, now, *agent, second, Decimal::ONE));
        }
    }
    demo_requests(db, now, a, &agent_ids, &goods, main)
}

/// A "10 + 1" promo gift on one product, and each agent's request cart for it: the first
/// approved (its lots made, gift included), the second submitted and waiting for the owner.
fn demo_requests(db: &Db, now: Ts, a: &Actor, agents: &[UserId], goods: &[ProductId], main: WarehouseId) -> Result<()> {
    use crate::agents::requests::{self, Edit};
    use crate::tenancy::perms::{Perm, PermSet};

    let (Some(gifted), Some(plain)) = (goods.first().copied(), goods.get(1).copied()) else { return Ok(()) };
    db.write_blocking(|tx| {
        let d = crate::catalog::promo::PromoDraft {
            name: "10 + 1 в подарок".into(),
            scope: "product".into(),
            target: Some(gifted.0),
            min_qty: "10".into(),
            gift_qty: "1".into(),
            active: true,
            ..Default::default()
        };
        crate::catalog::promo::save_rule(tx, a, now, None, &d)
    })?;
    for (n, agent) in agents.iter().enumerate() {
        // The agent builds the cart themself: an actor of their own, holding the agent right.
        let mut me = a.clone();
        me.user = *agent;
        me.role = crate::tenancy::model::SystemRole::Staff;
        me.perms = PermSet::of(&[Perm::AGENT]);
        let made = db.write_blocking(|tx| -> Result<crate::agents::request_store::AgentRequest> {
            let r = requests::create(tx, &me, now, None)?;
            requests::edit(tx, &me, now, r.id, &Edit::Add { product: gifted, qty: Decimal::from(10) })?;
            requests::edit(tx, &me, now, r.id, &Edit::Add { product: plain, qty: Decimal::from(2) })?;
            requests::submit(tx, &me, now, r.id)
        });
        let Ok(r) = made else { continue };
        if n == 0 {
            // Short stock leaves the request waiting rather than failing the demo.
            let _ = db.write_blocking(|tx| requests::approve(tx, a, now, r.id, main));
        }
    }
    Ok(())
}
