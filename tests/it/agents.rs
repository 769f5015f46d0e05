//! Field agents through the API: transfers through the stock ledger, acceptance, returns on
//! the newest single lot and their decisions, FIFO sales across lots and their returns, rights
//! and the plan feature, bad input, tenant isolation of every route, and concurrency (two
//! checkouts for the last units, an approval racing a sale).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::stock::{Shop, shop};

pub struct Field {
    pub s: Shop,
    pub agent: Client,
    pub agent_id: u64,
}

/// A shop with 10 milk (5 at 85, 5 at 90) in the main warehouse, a cash box, and an agent.
pub async fn field(t: &TestApp, email: &str) -> Field {
    let s = shop(t, email).await;
    let c = &s.c;
    for (qty, cost) in [("5", "85"), ("5", "90")] {
        let body = json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": qty, "cost": cost}], "post": true});
        let (st, d) = t.post(c, "/api/v1/documents", body).await;
        assert_eq!(st, StatusCode::CREATED, "{d}");
    }
    let (st, b) = t.post(c, "/api/v1/cash-boxes", json!({"name": "Касса агентов", "warehouse": s.main})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let agent_email = format!("agent.{email}");
    let (agent, agent_id) = staff(t, c, &agent_email, json!(["agent", "dashboard"])).await;
    Field { s, agent, agent_id }
}

pub async fn staff(t: &TestApp, owner: &Client, email: &str, perms: Value) -> (Client, u64) {
    let (st, role) = t.post(owner, "/api/v1/roles", json!({"name": email, "permissions": perms})).await;
    assert_eq!(st, StatusCode::CREATED, "{role}");
    let (_, branches) = t.get(owner, "/api/v1/branches").await;
    let user = json!({"email": email, "name": format!("Агент {email}"), "role": "staff", "custom_role": role["id"], "branches": [branches[0]["id"]], "password": "password-456"});
    let (st, u) = t.post(owner, "/api/v1/users", user).await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    (t.login(email, "password-456").await, u["user"]["id"].as_u64().expect("user id"))
}

async fn transfer(t: &TestApp, f: &Field, qty: &str, accept: bool) -> Value {
    let body = json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": f.s.milk, "qty": qty, "accept": accept}]});
    let (st, lots) = t.post(&f.s.c, "/api/v1/agents/transfers", body).await;
    assert_eq!(st, StatusCode::CREATED, "{lots}");
    lots[0].clone()
}

async fn on_hand(t: &TestApp, c: &Client, product: u64) -> String {
    let (st, goods) = t.get(c, "/api/v1/agents/goods").await;
    assert_eq!(st, StatusCode::OK, "{goods}");
    goods
        .as_array()
        .expect("goods")
        .iter()
        .find(|g| g["product"] == product)
        .map(|g| g["on_hand"].as_str().unwrap_or("").to_string())
        .unwrap_or("0".into())
}

async fn warehouse_qty(t: &TestApp, c: &Client, product: u64, warehouse: u64) -> String {
    let (_, card) = t.get(c, &format!("/api/v1/products/{product}/stock")).await;
    card["warehouses"]
        .as_array()
        .expect("warehouses")
        .iter()
        .find(|w| w["warehouse"] == warehouse)
        .map(|w| w["qty"].as_str().unwrap_or("").to_string())
        .unwrap_or("0".into())
}

async fn sell(t: &TestApp, c: &Client, product: u64, qty: &str, key: &str) -> (StatusCode, Value) {
    t.post(c, "/api/v1/agents/sales", json!({"idempotency_key": key, "lines": [{"product": product, "qty": qty}]})).await
}

#[tokio::test]
async fn transfer_accept_sell_across_lots_return_and_decide() {
    let t = TestApp::spawn().await;
    let f = field(&t, "owner@agents.kg").await;
    let (owner, agent, milk) = (&f.s.c, &f.agent, f.s.milk);

    // Stock leaves the warehouse at transfer, at its FIFO cost; nothing is on hand until accepted.
    let first = transfer(&t, &f, "6", false).await;
    assert_eq!((first["status"].as_str(), first["unit_cost"].as_str()), (Some("open"), Some("85.83")), "{first}");
    assert_eq!(warehouse_qty(&t, owner, milk, f.s.main).await, "4");
    assert_eq!(on_hand(&t, agent, milk).await, "0");
    let (st, lot) = t.post(agent, &format!("/api/v1/agents/lots/{}/accept", first["id"]), json!({"qty": "4"})).await;
    assert_eq!((st, lot["accepted"].as_str()), (StatusCode::OK, Some("4")), "{lot}");
    let (st, e) = t.post(agent, &format!("/api/v1/agents/lots/{}/accept", first["id"]), json!({"qty": "3"})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("exceeds_remaining")), "{e}");
    let second = transfer(&t, &f, "4", true).await;
    assert_eq!(second["status"], "closed");
    assert_eq!(on_hand(&t, agent, milk).await, "8");

    // 7 sold: the first lot's 4 accepted units, then 3 of the second.
    let (st, sale) = sell(&t, agent, milk, "7", "s1").await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");
    let allocs: Vec<(u64, String)> = sale["lines"][0]["allocations"]
        .as_array()
        .expect("allocations")
        .iter()
        .map(|a| (a["lot"].as_u64().unwrap_or(0), a["qty"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(allocs, vec![(first["id"].as_u64().unwrap_or(0), "4".into()), (second["id"].as_u64().unwrap_or(0), "3".into())]);
    let (_, again) = sell(&t, agent, milk, "7", "s1").await;
    assert_eq!(again["id"], sale["id"], "a retry returns the same sale");
    let (st, short) = sell(&t, agent, milk, "2", "s2").await;
    assert_eq!((st, short["code"].as_str()), (StatusCode::CONFLICT, Some("agent_short")), "{short}");
    assert!(
        short["detail"].as_str().unwrap_or("").contains("Нужно 2, доступно 1") || short.to_string().contains("2 needed, 1 available"),
        "{short}"
    );

    // A return attaches to the newest lot that holds it; the owner approves it back into stock.
    let (st, r) = t.post(agent, "/api/v1/agents/returns", json!({"product": milk, "qty": "1"})).await;
    assert_eq!((st, r["lot"].clone()), (StatusCode::CREATED, second["id"].clone()), "{r}");
    let (st, e) = t.post(agent, "/api/v1/agents/returns", json!({"product": milk, "qty": "1"})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_on_hand")), "{e}");
    assert_eq!(e["errors"][0]["message"], "На руках 0");
    let (st, e) = t.post(agent, &format!("/api/v1/agents/returns/{}/approve", r["id"]), json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    let (st, ok) = t.post(owner, &format!("/api/v1/agents/returns/{}/approve", r["id"]), json!({})).await;
    assert_eq!((st, ok["status"].as_str()), (StatusCode::OK, Some("approved")), "{ok}");
    let (_, same) = t.post(owner, &format!("/api/v1/agents/returns/{}/approve", r["id"]), json!({})).await;
    assert_eq!(same, ok, "repeating an approval changes nothing");
    let (st, _) = t.post(owner, &format!("/api/v1/agents/returns/{}/reject", r["id"]), json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(warehouse_qty(&t, owner, milk, f.s.main).await, "1");

    // Returning 4 of the sale gives back the second lot's 3, then one of the first's.
    let (st, back) =
        t.post(agent, &format!("/api/v1/agents/sales/{}/returns", sale["id"]), json!({"lines": [{"line": 0, "qty": "4"}]})).await;
    assert_eq!(st, StatusCode::CREATED, "{back}");
    let (_, l1) = t.get(agent, &format!("/api/v1/agents/lots/{}", first["id"])).await;
    let (_, l2) = t.get(agent, &format!("/api/v1/agents/lots/{}", second["id"])).await;
    assert_eq!((l1["sold"].as_str(), l2["sold"].as_str()), (Some("3"), Some("0")));
    assert_eq!(on_hand(&t, agent, milk).await, "4");
    let (_, rs) = t.get(owner, "/api/v1/agents/returns").await;
    assert_eq!((rs["pending_count"].as_u64(), rs["returns"].as_array().map(|a| a.len())), (Some(0), Some(1)));

    // An unaccepted remainder goes back to the warehouse at the lot's cost (owners only).
    let third = transfer(&t, &f, "1", false).await;
    assert_eq!(t.post(agent, &format!("/api/v1/agents/lots/{}/cancel", third["id"]), json!({})).await.0, StatusCode::FORBIDDEN);
    let (st, c3) = t.post(owner, &format!("/api/v1/agents/lots/{}/cancel", third["id"]), json!({})).await;
    assert_eq!((st, c3["cancelled"].as_str(), c3["status"].as_str()), (StatusCode::OK, Some("1"), Some("closed")), "{c3}");
    assert_eq!(warehouse_qty(&t, owner, milk, f.s.main).await, "1");

    // External references make transfers idempotent.
    let body = json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": milk, "qty": "1"}], "external_ref": "req-7"});
    let (_, a) = t.post(owner, "/api/v1/agents/transfers", body.clone()).await;
    let (_, b) = t.post(owner, "/api/v1/agents/transfers", body).await;
    assert_eq!(a, b);
    assert_eq!(warehouse_qty(&t, owner, milk, f.s.main).await, "0");
    t.assert_consistent();
}

#[tokio::test]
async fn bad_input_is_refused_with_stable_codes() {
    let t = TestApp::spawn().await;
    let f = field(&t, "owner@bad.kg").await;
    let (owner, agent, milk) = (&f.s.c, &f.agent, f.s.milk);
    let cases = [
        (json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": milk, "qty": "1.5"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": milk, "qty": "0"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": milk, "qty": "11"}]}), StatusCode::CONFLICT),
        (json!({"agent": f.agent_id, "warehouse": f.s.main, "items": []}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"agent": f.agent_id, "warehouse": 999_999, "items": [{"product": milk, "qty": "1"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": 999_999, "qty": "1"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"agent": 1, "warehouse": f.s.main, "items": [{"product": milk, "qty": "1"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": milk, "qty": "abc"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"agent": "x"}), StatusCode::BAD_REQUEST),
    ];
    for (body, want) in cases {
        let (st, e) = t.post(owner, "/api/v1/agents/transfers", body.clone()).await;
        assert_eq!(st, want, "{body} → {e}");
        assert!(e["code"].is_string(), "{e}");
    }
    transfer(&t, &f, "3", true).await;
    for (body, want) in [
        (json!({"lines": [{"product": milk, "qty": "1.5"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"lines": [{"product": milk, "qty": "-1"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"lines": []}), StatusCode::UNPROCESSABLE_ENTITY),
        (json!({"lines": [{"barcode": "0000"}]}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"lines": [{"product": milk, "qty": "1"}], "payments": [{"method": "bitcoin", "amount": "1"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"lines": [{"product": milk, "qty": "1"}], "payments": [{"method": "debt", "amount": "102"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"lines": [{"product": milk, "qty": "1"}], "cash_box": 999_999}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (st, e) = t.post(agent, "/api/v1/agents/sales", body.clone()).await;
        assert_eq!(st, want, "{body} → {e}");
    }
    // Scanning the barcode sells the product.
    let (st, s) = t.post(agent, "/api/v1/agents/sales", json!({"lines": [{"barcode": "4600682000358", "qty": "1"}]})).await;
    assert_eq!((st, s["lines"][0]["product"].as_u64()), (StatusCode::CREATED, Some(milk)), "{s}");
    let (st, _) = t.post(agent, "/api/v1/agents/returns", json!({"product": milk, "qty": "0"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = t.post(agent, "/api/v1/agents/lots/999999/accept", json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = t.get(owner, "/api/v1/agents/returns?status=maybe").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    t.assert_consistent();
}

#[tokio::test]
async fn rights_and_the_plan_feature_guard_everything() {
    let t = TestApp::spawn().await;
    let f = field(&t, "owner@rights.kg").await;
    let (owner, agent, milk) = (&f.s.c, &f.agent, f.s.milk);
    let lot = transfer(&t, &f, "2", false).await;
    let (clerk, _) = staff(&t, owner, "clerk@rights.kg", json!(["dashboard", "sale"])).await;
    let (other_agent, _) = staff(&t, owner, "agent2@rights.kg", json!(["agent"])).await;
    // A user who is not an agent sees none of it.
    for path in ["/api/v1/agents/goods", "/api/v1/agents/returns", "/api/v1/agents/sales", "/api/v1/agents"] {
        let (st, _) = t.get(&clerk, path).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path}");
    }
    // An agent cannot transfer, decide returns, list every agent, or act on another's lot.
    let body = json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": milk, "qty": "1"}]});
    assert_eq!(t.post(agent, "/api/v1/agents/transfers", body).await.0, StatusCode::FORBIDDEN);
    assert_eq!(t.get(agent, "/api/v1/agents").await.0, StatusCode::FORBIDDEN);
    assert_eq!(t.post(&other_agent, &format!("/api/v1/agents/lots/{}/accept", lot["id"]), json!({})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(t.get(&other_agent, &format!("/api/v1/agents/lots/{}", lot["id"])).await.0, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&other_agent, &format!("/api/v1/agents/goods?agent={}", f.agent_id)).await.0, StatusCode::FORBIDDEN);
    // The owner may accept and sell on the agent's behalf, naming the agent.
    let (st, _) = t.post(owner, &format!("/api/v1/agents/lots/{}/accept", lot["id"]), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, s) = t.post(owner, "/api/v1/agents/sales", json!({"agent": f.agent_id, "lines": [{"product": milk, "qty": "1"}]})).await;
    assert_eq!((st, s["agent"].as_u64()), (StatusCode::CREATED, Some(f.agent_id)), "{s}");
    // Without an agent named the owner is no agent: refused, never the main stock silently.
    let (st, _) = t.post(owner, "/api/v1/agents/sales", json!({"lines": [{"product": milk, "qty": "1"}]})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    // A plan without the agents module switches all of it off.
    let company = owner.company_id();
    t.app
        .db
        .write(move |tx| -> dukan::error::Result<()> {
            let id = tx.next_id()?;
            let plan = dukan::tenancy::model::Plan {
                id: dukan::ids::PlanId(id),
                name: "Без агентов".into(),
                monthly_price: Default::default(),
                features: vec!["catalog".into(), "pos".into()],
                created: dukan::clock::Ts(0),
            };
            tx.insert(dukan::tenancy::store::PLANS, id, &plan)?;
            let mut co = tx.get(dukan::tenancy::store::COMPANIES, company)?.expect("company");
            co.plan = dukan::ids::PlanId(id);
            tx.insert(dukan::tenancy::store::COMPANIES, company, &co)?;
            Ok(())
        })
        .await
        .expect("plan");
    let (st, e) = t.get(agent, "/api/v1/agents/goods").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{e}");
    let (st, _) = t.post(agent, "/api/v1/agents/sales", json!({"lines": [{"product": milk, "qty": "1"}]})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_agents_route_is_isolated_between_companies() {
    let t = TestApp::spawn().await;
    let a = field(&t, "owner@a-agents.kg").await;
    let b = field(&t, "owner@b-agents.kg").await;
    let lot = transfer(&t, &a, "5", true).await;
    let (_, sale) = sell(&t, &a.agent, a.s.milk, "2", "iso").await;
    let (_, ret) = t.post(&a.agent, "/api/v1/agents/returns", json!({"product": a.s.milk, "qty": "1"})).await;
    let (lot, sale, ret) = (lot["id"].clone(), sale["id"].clone(), ret["id"].clone());
    // B's owner and B's agent try every route with A's ids.
    for c in [&b.s.c, &b.agent] {
        let tries: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, format!("/api/v1/agents/lots/{lot}"), None),
            (Method::POST, format!("/api/v1/agents/lots/{lot}/accept"), Some(json!({}))),
            (Method::POST, format!("/api/v1/agents/lots/{lot}/cancel"), None),
            (Method::POST, format!("/api/v1/agents/returns/{ret}/approve"), Some(json!({}))),
            (Method::POST, format!("/api/v1/agents/returns/{ret}/reject"), None),
            (Method::GET, format!("/api/v1/agents/sales/{sale}"), None),
            (Method::POST, format!("/api/v1/agents/sales/{sale}/returns"), Some(json!({"lines": [{"line": 0, "qty": "1"}]}))),
            (Method::GET, format!("/api/v1/agents/goods?agent={}", a.agent_id), None),
            (Method::GET, format!("/api/v1/agents/returns?agent={}", a.agent_id), None),
            (Method::GET, format!("/api/v1/agents/sales?agent={}", a.agent_id), None),
            (
                Method::POST,
                "/api/v1/agents/transfers".into(),
                Some(json!({"agent": a.agent_id, "warehouse": a.s.main, "items": [{"product": a.s.milk, "qty": "1"}]})),
            ),
            (Method::POST, "/api/v1/agents/sales".into(), Some(json!({"agent": a.agent_id, "lines": [{"product": a.s.milk, "qty": "1"}]}))),
            (Method::POST, "/api/v1/agents/returns".into(), Some(json!({"agent": a.agent_id, "product": a.s.milk, "qty": "1"}))),
        ];
        for (method, path, body) in tries {
            let (st, v) = t.call(method.clone(), &path, Some(&c.token), body).await;
            assert!(st.is_client_error(), "{method} {path} answered {st}: {v}");
            if st != StatusCode::FORBIDDEN {
                assert!(!v.to_string().contains("Молоко"), "{method} {path} leaked: {v}");
            }
        }
    }
    // B's own lists show nothing of A's.
    let (_, goods) = t.get(&b.s.c, "/api/v1/agents/goods").await;
    assert_eq!(goods, json!([]));
    let (_, sales) = t.get(&b.s.c, "/api/v1/agents/sales").await;
    assert_eq!(sales, json!([]));
    // A is untouched.
    assert_eq!(on_hand(&t, &a.agent, a.s.milk).await, "2");
    t.assert_consistent();
}

#[tokio::test]
async fn two_checkouts_for_the_last_units_cannot_both_succeed() {
    let t = TestApp::spawn().await;
    let f = field(&t, "owner@race.kg").await;
    transfer(&t, &f, "3", true).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (http, url, token, milk) = (t.http.clone(), t.url("/api/v1/agents/sales"), f.agent.token.clone(), f.s.milk);
        tasks.push(tokio::spawn(async move {
            let body = json!({"idempotency_key": format!("race-{i}"), "lines": [{"product": milk, "qty": "2"}]});
            http.post(url).bearer_auth(token).json(&body).send().await.expect("send").status()
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.expect("join") {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1, "3 on hand: only one sale of 2 fits");
    assert_eq!(on_hand(&t, &f.agent, f.s.milk).await, "1");

    // An approval racing a sale: 1 on hand after a pending return of 1 → both may succeed only
    // because the return's units are reserved; on hand never goes below zero.
    transfer(&t, &f, "1", true).await;
    let (st, r) = t.post(&f.agent, "/api/v1/agents/returns", json!({"product": f.s.milk, "qty": "1"})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let approve = {
        let (http, url, token) = (t.http.clone(), t.url(&format!("/api/v1/agents/returns/{}/approve", r["id"])), f.s.c.token.clone());
        tokio::spawn(async move { http.post(url).bearer_auth(token).json(&json!({})).send().await.expect("send").status() })
    };
    let sale = {
        let (http, url, token, milk) = (t.http.clone(), t.url("/api/v1/agents/sales"), f.agent.token.clone(), f.s.milk);
        tokio::spawn(async move {
            let body = json!({"lines": [{"product": milk, "qty": "1"}]});
            http.post(url).bearer_auth(token).json(&body).send().await.expect("send").status()
        })
    };
    assert_eq!(approve.await.expect("join"), StatusCode::OK);
    assert_eq!(sale.await.expect("join"), StatusCode::CREATED);
    assert_eq!(on_hand(&t, &f.agent, f.s.milk).await, "0");
    let (st, _) = sell(&t, &f.agent, f.s.milk, "1", "after").await;
    assert_eq!(st, StatusCode::CONFLICT);
    t.assert_consistent();
}

#[tokio::test]
async fn the_pages_render_for_the_agent_and_the_owner() {
    let t = TestApp::spawn().await;
    let f = field(&t, "owner@pages.kg").await;
    transfer(&t, &f, "2", false).await;
    for (c, path) in [
        (&f.agent, "/agents/goods"),
        (&f.agent, "/agents/sell"),
        (&f.agent, "/agents/returns"),
        (&f.s.c, "/agents/goods"),
        (&f.s.c, "/agents/sell"),
        (&f.s.c, "/agents/transfer"),
        (&f.s.c, "/agents/returns"),
    ] {
        let resp = t.http.get(t.url(path)).bearer_auth(&c.token).send().await.expect("send");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
    }
}
