//! Agents' request carts through the API: a draft's items, submit with promo gifts, approve
//! into accepted lots (gift units at price 0, real cost), reject, repeated decisions, rights,
//! bad input, and tenant isolation of every route.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::agents::{Field, field, staff};
use crate::common::{Client, TestApp};

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

async fn draft(t: &TestApp, f: &Field, items: &[(u64, &str)]) -> u64 {
    let (s, r) = t.post(&f.agent, "/api/v1/agents/requests", json!({})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::CREATED, Some("draft")), "{r}");
    let id = r["id"].as_u64().expect("id");
    for (product, qty) in items {
        let (s, r) = t.post(&f.agent, &format!("/api/v1/agents/requests/{id}/items"), json!({"product": product, "qty": qty})).await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    id
}

fn code(v: &Value) -> Option<&str> {
    v["code"].as_str()
}

#[tokio::test]
async fn a_request_goes_from_draft_to_lots_with_its_gift() {
    let t = TestApp::spawn().await;
    let f = field(&t, "owner@requests.kg").await;
    let (o, milk, main) = (&f.s.c, f.s.milk, f.s.main);
    let (s, rule) =
        t.post(o, "/api/v1/promo-rules", json!({"name": "4+1", "scope": "product", "target": milk, "min_qty": 4, "gift_qty": 1})).await;
    assert_eq!(s, StatusCode::CREATED, "{rule}");

    let id = draft(&t, &f, &[(milk, "3"), (milk, "2")]).await;
    let path = format!("/api/v1/agents/requests/{id}");
    let (_, r) = t.get(&f.agent, &path).await;
    assert_eq!(
        (r["items"][0]["qty"].as_u64(), r["items"].as_array().map(Vec::len)),
        (Some(5), Some(1)),
        "adding again adds to the line: {r}"
    );
    let (s, r) = t.put(&f.agent, &format!("{path}/items/{milk}"), json!({"qty": 4})).await;
    assert_eq!((s, r["items"][0]["qty"].as_u64()), (StatusCode::OK, Some(4)), "{r}");

    // Bad input: 422 with a stable code, never a 500.
    for bad in [json!("0"), json!("1.5"), json!("abc"), json!(-2), json!(null)] {
        let (s, e) = t.post(&f.agent, &format!("{path}/items"), json!({"product": milk, "qty": bad})).await;
        assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("whole_qty")), "qty {bad}: {e}");
    }
    let (s, e) = t.post(&f.agent, &format!("{path}/items"), json!({"product": 999_999_999u64, "qty": 1})).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_product")), "{e}");
    let (s, e) = t.put(&f.agent, &format!("{path}/client"), json!({"client": 999_999_999u64})).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown")), "{e}");
    let (s, _) = t.put(&f.agent, &format!("{path}/items/999999999"), json!({"qty": 1})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "changing a product the draft lacks");
    let (s, _) = t.post(&f.agent, &format!("{path}/items"), json!({"product": milk})).await;
    assert!(s.is_client_error(), "a body without qty: {s}");

    // Only its agent edits or submits it; only a manager decides.
    let (other, _) = staff(&t, o, "other.agent@requests.kg", json!(["agent"])).await;
    assert_eq!(t.get(&other, &path).await.0, StatusCode::NOT_FOUND, "another agent's cart is not there");
    assert_eq!(t.post(&other, &format!("{path}/submit"), json!({})).await.0, StatusCode::NOT_FOUND);
    let (s, e) = t.post(&f.agent, &format!("{path}/approve"), json!({"warehouse": main})).await;
    assert_eq!((s, code(&e)), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = t.post(&f.agent, &format!("{path}/approve"), json!({"warehouse": main})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, e) = t.post(o, &format!("{path}/approve"), json!({"warehouse": main})).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, Some("wrong_state")), "a draft is not decided: {e}");

    // Submit: 4 asked, the rule gives 1, the price is the product's.
    let (s, r) = t.post(&f.agent, &format!("{path}/submit"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let item = &r["items"][0];
    assert_eq!(
        (r["status"].as_str(), item["qty"].as_u64(), item["gift"].as_u64(), item["total"].as_u64(), item["price"].as_str()),
        (Some("submitted"), Some(4), Some(1), Some(5), Some("102.00")),
        "{r}"
    );
    let (s, e) = t.post(&f.agent, &format!("{path}/items"), json!({"product": milk, "qty": 1})).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, Some("wrong_state")), "items change only in a draft: {e}");
    assert_eq!(t.post(&f.agent, &format!("{path}/submit"), json!({})).await.0, StatusCode::CONFLICT);

    // Approve from the empty warehouse: short stock, nothing moves.
    let (s, e) = t.post(o, &format!("{path}/approve"), json!({"warehouse": f.s.second})).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, Some("out_of_stock")), "{e}");
    let (s, e) = t.post(o, &format!("{path}/approve"), json!({"warehouse": 999_999_999u64})).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_warehouse")), "{e}");
    assert_eq!(t.get(o, &path).await.1["status"], "submitted");

    // Approve: two accepted lots, 4 at 102 and the gift at 0, both at FIFO cost 85.
    let (s, r) = t.post(o, &format!("{path}/approve"), json!({"warehouse": main})).await;
    assert_eq!((s, r["status"].as_str()), (StatusCode::OK, Some("approved")), "{r}");
    let lots: Vec<u64> = r["items"][0]["lots"].as_array().expect("lots").iter().filter_map(Value::as_u64).collect();
    assert_eq!(lots.len(), 2, "{r}");
    let (_, paid) = t.get(o, &format!("/api/v1/agents/lots/{}", lots[0])).await;
    let (_, gift) = t.get(o, &format!("/api/v1/agents/lots/{}", lots[1])).await;
    assert_eq!(
        (paid["transferred"].as_str(), paid["accepted"].as_str(), paid["price"].as_str(), paid["unit_cost"].as_str()),
        (Some("4"), Some("4"), Some("102.00"), Some("85.00")),
        "{paid}"
    );
    assert_eq!(
        (gift["transferred"].as_str(), gift["accepted"].as_str(), gift["price"].as_str(), gift["unit_cost"].as_str()),
        (Some("1"), Some("1"), Some("0"), Some("85.00")),
        "{gift}"
    );
    assert_eq!(paid["source"].as_str(), Some(format!("request:{id}").as_str()));
    assert_eq!(warehouse_qty(&t, o, milk, main).await, "5");

    // Repeating the decision changes nothing; the other decision is refused.
    let (s, again) = t.post(o, &format!("{path}/approve"), json!({"warehouse": main})).await;
    assert_eq!((s, again["items"][0]["lots"].clone()), (StatusCode::OK, r["items"][0]["lots"].clone()));
    let (s, e) = t.post(o, &format!("{path}/reject"), json!({})).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    assert_eq!(warehouse_qty(&t, o, milk, main).await, "5");

    // A second request below the threshold is rejected: nothing moves, twice.
    let second = draft(&t, &f, &[(milk, "2")]).await;
    let (_, r) = t.post(&f.agent, &format!("/api/v1/agents/requests/{second}/submit"), json!({})).await;
    assert_eq!(r["items"][0]["gift"].as_u64(), Some(0), "2 is below the rule's 4: {r}");
    let (s, r) = t.post(o, &format!("/api/v1/agents/requests/{second}/reject"), json!({"reason": "Нет машины"})).await;
    assert_eq!((s, r["status"].as_str(), r["reason"].as_str()), (StatusCode::OK, Some("rejected"), Some("Нет машины")), "{r}");
    let (s, again) = t.post(o, &format!("/api/v1/agents/requests/{second}/reject"), json!({"reason": "другое"})).await;
    assert_eq!((s, again["reason"].as_str()), (StatusCode::OK, Some("Нет машины")), "a repeated reject changes nothing");
    let (s, e) = t.post(o, &format!("/api/v1/agents/requests/{second}/approve"), json!({"warehouse": main})).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    assert_eq!(warehouse_qty(&t, o, milk, main).await, "5");

    // An empty draft cannot be sent; lists: the agent's own, the owner's all, by status.
    let empty = draft(&t, &f, &[]).await;
    let (s, e) = t.post(&f.agent, &format!("/api/v1/agents/requests/{empty}/submit"), json!({})).await;
    assert_eq!((s, code(&e)), (StatusCode::CONFLICT, Some("request_empty")), "{e}");
    let ids = |v: &Value| v.as_array().expect("list").iter().filter_map(|r| r["id"].as_u64()).collect::<Vec<_>>();
    assert_eq!(ids(&t.get(&f.agent, "/api/v1/agents/requests").await.1), [empty, second, id], "newest first");
    assert_eq!(ids(&t.get(&other, "/api/v1/agents/requests").await.1), Vec::<u64>::new());
    assert_eq!(ids(&t.get(o, "/api/v1/agents/requests?status=approved").await.1), [id]);
    let (s, e) = t.get(o, "/api/v1/agents/requests?status=lost").await;
    assert_eq!((s, e["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")), "{e}");
    let (cashier, _) = staff(&t, o, "cashier@requests.kg", json!(["sale"])).await;
    let (s, e) = t.post(&cashier, "/api/v1/agents/requests", json!({})).await;
    assert_eq!((s, code(&e)), (StatusCode::FORBIDDEN, Some("forbidden")), "not an agent: {e}");
    t.assert_consistent();
}

#[tokio::test]
async fn every_request_route_is_isolated_between_companies() {
    let t = TestApp::spawn().await;
    let a = field(&t, "owner@a-requests.kg").await;
    let b = field(&t, "owner@b-requests.kg").await;
    let submitted = draft(&t, &a, &[(a.s.milk, "2")]).await;
    assert_eq!(t.post(&a.agent, &format!("/api/v1/agents/requests/{submitted}/submit"), json!({})).await.0, StatusCode::OK);
    let open = draft(&t, &a, &[(a.s.milk, "1")]).await;
    let milk = a.s.milk;
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/agents/requests/{id}".into(), None),
        (Method::POST, "/api/v1/agents/requests/{id}/items".into(), Some(json!({"product": milk, "qty": 1}))),
        (Method::PUT, format!("/api/v1/agents/requests/{{id}}/items/{milk}"), Some(json!({"qty": 3}))),
        (Method::DELETE, format!("/api/v1/agents/requests/{{id}}/items/{milk}"), None),
        (Method::PUT, "/api/v1/agents/requests/{id}/client".into(), Some(json!({"client": null}))),
        (Method::POST, "/api/v1/agents/requests/{id}/submit".into(), None),
        (Method::POST, "/api/v1/agents/requests/{id}/approve".into(), Some(json!({"warehouse": b.s.main}))),
        (Method::POST, "/api/v1/agents/requests/{id}/reject".into(), Some(json!({}))),
    ];
    for c in [&b.s.c, &b.agent] {
        for (method, path, body) in &routes {
            for id in [open, submitted] {
                let foreign = path.replace("{id}", &id.to_string());
                let (st, v) = t.call(method.clone(), &foreign, Some(&c.token), body.clone()).await;
                let (st_missing, _) = t.call(method.clone(), &path.replace("{id}", "999999999"), Some(&c.token), body.clone()).await;
                assert!(st.is_client_error(), "{method} {foreign} answered {st}: {v}");
                assert_eq!(st, st_missing, "{method} {path}: another company's request must look missing: {v}");
                assert!(!v.to_string().contains("Молоко"), "{method} {foreign} leaked: {v}");
            }
        }
        let (_, list) = t.get(c, "/api/v1/agents/requests").await;
        assert_eq!(list, json!([]), "B's list shows none of A's requests");
    }
    // A's requests are untouched.
    let (_, r) = t.get(&a.s.c, &format!("/api/v1/agents/requests/{open}")).await;
    assert_eq!((r["status"].as_str(), r["items"][0]["qty"].as_u64()), (Some("draft"), Some(1)), "{r}");
    assert_eq!(t.get(&a.s.c, &format!("/api/v1/agents/requests/{submitted}")).await.1["status"], "submitted");
    t.assert_consistent();
}
