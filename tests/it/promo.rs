//! Promo gift rules over the API and the pages: create, read, change, delete; every bad input
//! a 422 with its field; rights and the plan feature; the page's form round trip.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

async fn owner(t: &TestApp, email: &str) -> Client {
    t.company("Подарки", email, "password-123").await;
    t.login(email, "password-123").await
}

fn field(e: &Value) -> (Option<&str>, Option<&str>) {
    (e["errors"][0]["field"].as_str(), e["errors"][0]["code"].as_str())
}

#[tokio::test]
async fn promo_rules_crud_and_validation() {
    let t = TestApp::spawn().await;
    let o = owner(&t, "owner@promo.kg").await;
    let (_, brand) = t.post(&o, "/api/v1/brands", json!({"name": "Шоро"})).await;
    let (_, p) = t.post(&o, "/api/v1/products", json!({"name": "Максым", "brand": brand["id"], "price": "40"})).await;

    let (s, r) = t
        .post(&o, "/api/v1/promo-rules", json!({"name": "10+1", "scope": "brand", "target": brand["id"], "min_qty": 10, "gift_qty": "1", "priority": 5, "from": "2026-01-01", "to": "2026-12-31"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!(
        (r["scope"].as_str(), r["target"].clone(), r["min_qty"].as_u64(), r["inclusive"].as_bool()),
        (Some("brand"), brand["id"].clone(), Some(10), Some(true))
    );
    assert_eq!((r["from"].as_str(), r["to"].as_str(), r["active"].as_bool()), (Some("2026-01-01"), Some("2026-12-31"), Some(true)));
    let id = r["id"].as_u64().expect("id");

    let (s, all) = t.post(&o, "/api/v1/promo-rules", json!({"name": "Всем", "min_qty": "3", "gift_qty": "1", "inclusive": false})).await;
    assert_eq!((s, all["scope"].as_str(), all["target"].clone()), (StatusCode::CREATED, Some("all"), Value::Null), "{all}");

    let (s, list) = t.get(&o, "/api/v1/promo-rules").await;
    assert_eq!(s, StatusCode::OK);
    let names: Vec<&str> = list.as_array().expect("list").iter().filter_map(|r| r["name"].as_str()).collect();
    assert_eq!(names, ["10+1", "Всем"], "most specific first");

    let (s, r) = t
        .put(
            &o,
            &format!("/api/v1/promo-rules/{id}"),
            json!({"name": "Максым 5+1", "scope": "product", "target": p["id"], "min_qty": 5, "gift_qty": 1, "active": false}),
        )
        .await;
    assert_eq!(
        (s, r["scope"].as_str(), r["target"].clone(), r["active"].as_bool()),
        (StatusCode::OK, Some("product"), p["id"].clone(), Some(false)),
        "{r}"
    );
    assert_eq!(t.get(&o, &format!("/api/v1/promo-rules/{id}")).await.1["name"], "Максым 5+1");

    // Every bad input: 422 naming its field with a stable code.
    let base = json!({"name": "x", "min_qty": 1, "gift_qty": 1});
    let cases: &[(&str, Value, &str, &str)] = &[
        ("min_qty", json!(0), "min_qty", "whole"),
        ("min_qty", json!("1.5"), "min_qty", "whole"),
        ("gift_qty", json!(-1), "gift_qty", "whole"),
        ("priority", json!("high"), "priority", "whole"),
        ("from", json!("31.12.2026"), "from", "date"),
        ("scope", json!("shop"), "scope", "unknown"),
        ("name", json!("  "), "name", "required"),
    ];
    for (key, value, want_field, want_code) in cases {
        let mut body = base.clone();
        body[*key] = value.clone();
        let (s, e) = t.post(&o, "/api/v1/promo-rules", body).await;
        assert_eq!((s, field(&e)), (StatusCode::UNPROCESSABLE_ENTITY, (Some(*want_field), Some(*want_code))), "{key}={value}: {e}");
    }
    let (s, e) = t.post(&o, "/api/v1/promo-rules", json!({"name": "x", "scope": "brand", "min_qty": 1, "gift_qty": 1})).await;
    assert_eq!((s, field(&e)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("target"), Some("required"))), "{e}");
    let (s, e) = t
        .post(&o, "/api/v1/promo-rules", json!({"name": "x", "scope": "category", "target": brand["id"], "min_qty": 1, "gift_qty": 1}))
        .await;
    assert_eq!((s, field(&e)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("target"), Some("unknown"))), "a brand id is no category: {e}");
    let (s, e) = t
        .post(&o, "/api/v1/promo-rules", json!({"name": "x", "min_qty": 1, "gift_qty": 1, "from": "2026-05-02", "to": "2026-05-01"}))
        .await;
    assert_eq!((s, field(&e)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("to"), Some("before_from"))), "{e}");
    let (s, e) = t.post(&o, "/api/v1/promo-rules", json!({"name": "x", "min_qty": 1, "gift_qty": 1, "branch": 999_999})).await;
    assert_eq!((s, field(&e)), (StatusCode::UNPROCESSABLE_ENTITY, (Some("branch"), Some("unknown"))), "{e}");
    let (s, _) = t.post(&o, "/api/v1/promo-rules", json!({"min_qty": 1})).await;
    assert!(s.is_client_error(), "a body without its fields: {s}");

    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/promo-rules/{id}"), Some(&o.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(t.get(&o, &format!("/api/v1/promo-rules/{id}")).await.0, StatusCode::NOT_FOUND);
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/promo-rules/{id}"), Some(&o.token), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "deleting twice");
    t.assert_consistent();
}

#[tokio::test]
async fn promo_rules_need_the_catalog_right_and_the_agents_feature() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@promo.kg", "password-op").await;
    let o = owner(&t, "owner@rights.kg").await;
    let (s, r) = t.post(&o, "/api/v1/roles", json!({"name": "Продавец зала", "permissions": ["sale"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (_, b) = t.post(&o, "/api/v1/branches", json!({"name": "Ош"})).await;
    let (s, u) = t
        .post(&o, "/api/v1/users", json!({"email": "cashier@rights.kg", "name": "Айбек", "role": "staff", "custom_role": r["id"], "branches": [b["id"]], "password": "password-456"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let cashier = t.login("cashier@rights.kg", "password-456").await;
    let (_, rule) = t.post(&o, "/api/v1/promo-rules", json!({"name": "Всем", "min_qty": 1, "gift_qty": 1})).await;
    let id = rule["id"].as_u64().expect("id");
    for (method, path, body) in [
        (reqwest::Method::GET, "/api/v1/promo-rules".to_string(), None),
        (reqwest::Method::POST, "/api/v1/promo-rules".to_string(), Some(json!({"name": "Мне", "min_qty": 1, "gift_qty": 5}))),
        (reqwest::Method::GET, format!("/api/v1/promo-rules/{id}"), None),
        (reqwest::Method::PUT, format!("/api/v1/promo-rules/{id}"), Some(json!({"name": "Мне", "min_qty": 1, "gift_qty": 5}))),
        (reqwest::Method::DELETE, format!("/api/v1/promo-rules/{id}"), None),
    ] {
        let (s, e) = t.call(method.clone(), &path, Some(&cashier.token), body).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{method} {path}: {e}");
    }

    // A plan without field agents: the rules are off for the owner too.
    let cid = o.company_id();
    let (_, plans) = t.get(&op, "/api/v1/platform/plans").await;
    let telecom = plans.as_array().expect("plans").iter().find(|p| p["name"] == "Телеком").expect("plan")["id"].clone();
    let (s, e) = t
        .put(&op, &format!("/api/v1/platform/companies/{cid}/subscription"), json!({"plan": telecom, "grace_days": 7, "active": true}))
        .await;
    assert!(s.is_success(), "{e}");
    let o = t.login("owner@rights.kg", "password-123").await;
    let (s, e) = t.get(&o, "/api/v1/promo-rules").await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("feature_disabled")), "{e}");
    assert_eq!(t.get(&o, &format!("/api/v1/promo-rules/{id}")).await.0, StatusCode::FORBIDDEN);
    t.assert_consistent();
}

#[tokio::test]
async fn the_promo_page_creates_changes_and_deletes_a_rule() {
    let t = TestApp::spawn().await;
    let o = owner(&t, "page@promo.kg").await;
    let (_, p) = t.post(&o, "/api/v1/products", json!({"name": "Чалап", "barcodes": ["4870001000011"], "price": "35"})).await;
    let form = crate::browser::Plain::new(&t);
    let r = form.submit("/login", &[("email", "page@promo.kg"), ("password", "password-123"), ("next", "/promo-rules")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let page = form.get("/promo-rules").await.text().await.expect("page");
    assert!(page.contains("id=\"promo-form\"") && page.contains("href=\"/promo-rules\""), "the form and the menu item");
    let csrf = crate::browser::csrf_of(&page);

    // An unknown barcode comes back on the product field, the form as typed.
    let bad = [
        ("_csrf", csrf.as_str()),
        ("name", "Чалап 6+1"),
        ("scope", "product"),
        ("product", "0000"),
        ("min_qty", "6"),
        ("gift_qty", "1"),
        ("inclusive", "1"),
        ("active", "1"),
    ];
    let r = form.post("/promo-rules", &bad).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.expect("body");
    assert!(html.contains("id=\"e-product\"") && html.contains("Чалап 6+1"), "{html}");

    let good = [
        ("_csrf", csrf.as_str()),
        ("name", "Чалап 6+1"),
        ("scope", "product"),
        ("product", "4870001000011"),
        ("min_qty", "6"),
        ("gift_qty", "1"),
        ("inclusive", "1"),
        ("active", "1"),
    ];
    let r = form.post("/promo-rules", &good).await;
    assert_eq!(r.status().as_u16(), 303);
    let list = t.get(&o, "/api/v1/promo-rules").await.1;
    assert_eq!((list[0]["scope"].as_str(), list[0]["target"].clone()), (Some("product"), p["id"].clone()), "{list}");
    let id = list[0]["id"].as_u64().expect("id");
    let page = form.get(&format!("/promo-rules/{id}")).await.text().await.expect("edit page");
    assert!(page.contains("value=\"4870001000011\""), "the product shown by its barcode");

    // Unticked boxes switch the rule off and make it strict.
    let change = [("_csrf", csrf.as_str()), ("name", "Чалап 6+1"), ("scope", "all"), ("min_qty", "6"), ("gift_qty", "2")];
    assert_eq!(form.post(&format!("/promo-rules/{id}"), &change).await.status().as_u16(), 303);
    let r = t.get(&o, &format!("/api/v1/promo-rules/{id}")).await.1;
    assert_eq!(
        (r["scope"].as_str(), r["gift_qty"].as_u64(), r["active"].as_bool(), r["inclusive"].as_bool()),
        (Some("all"), Some(2), Some(false), Some(false)),
        "{r}"
    );
    assert_eq!(form.post(&format!("/promo-rules/{id}/delete"), &[("_csrf", csrf.as_str())]).await.status().as_u16(), 303);
    assert_eq!(t.get(&o, &format!("/api/v1/promo-rules/{id}")).await.0, StatusCode::NOT_FOUND);
    t.assert_consistent();
}
