//! Purchases through the API: a credit purchase posts stock at its prices and grows the
//! payable; returns within what was bought shrink both; cancel by reversal; "to pay"; the
//! supplier card and act (JSON and PDF); the matching step for free-text suppliers; drafts,
//! bad input with stable codes, and who may do what.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser::location;
use crate::common::{Client, TestApp};
use crate::stock::{Shop, shop};

pub fn field_codes(v: &Value) -> Vec<String> {
    v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["code"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub async fn supplier(t: &TestApp, c: &Client, name: &str) -> u64 {
    let (s, v) = t.post(c, "/api/v1/clients", json!({"kind": "supplier", "name": name})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["client"]["id"].as_u64().expect("id")
}

pub async fn buy_on_credit(t: &TestApp, s: &Shop, supplier: u64, lines: Value) -> Value {
    let (st, p) = t
        .post(
            &s.c,
            "/api/v1/purchases",
            json!({"supplier": supplier, "warehouse": s.main, "terms": "credit", "due_days": "5", "lines": lines, "post": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    assert_eq!(p["status"], "posted", "{p}");
    p
}

async fn payable(t: &TestApp, c: &Client, supplier: u64) -> String {
    let (s, card) = t.get(c, &format!("/api/v1/suppliers/{supplier}")).await;
    assert_eq!(s, StatusCode::OK, "{card}");
    card["balance"].as_str().unwrap_or("").to_string()
}

async fn on_hand(t: &TestApp, c: &Client, product: u64, warehouse: u64) -> (String, String) {
    let (_, card) = t.get(c, &format!("/api/v1/products/{product}/stock")).await;
    card["warehouses"]
        .as_array()
        .expect("warehouses")
        .iter()
        .find(|w| w["warehouse"] == warehouse)
        .map(|w| (w["qty"].as_str().unwrap_or("").to_string(), w["value"].as_str().unwrap_or("").to_string()))
        .unwrap_or(("0".into(), "0".into()))
}

#[tokio::test]
async fn a_credit_purchase_posts_stock_grows_the_payable_and_returns_shrink_both() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@buy.kg").await;
    let sup = supplier(&t, &s.c, "ОсОО Молочный завод").await;
    let p = buy_on_credit(&t, &s, sup, json!([{"product": s.milk, "qty": "10", "price": "80"}])).await;
    let id = p["id"].as_u64().expect("id");
    assert!(p["number"].as_str().is_some_and(|n| n.starts_with("ЗК-")), "{p}");
    assert_eq!(p["total"], "800.00");
    assert!(p["due"].is_string(), "{p}");
    assert_eq!(on_hand(&t, &s.c, s.milk, s.main).await, ("10".into(), "800.00".into()));
    assert_eq!(payable(&t, &s.c, sup).await, "800.00");

    // Returns: never more than bought minus returned.
    let (st, e) = t.post(&s.c, &format!("/api/v1/purchases/{id}/returns"), json!({"lines": [{"line": 0, "qty": "11"}]})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["return_exceeds_purchase".to_string()]), "{e}");
    let (st, r) = t.post(&s.c, &format!("/api/v1/purchases/{id}/returns"), json!({"lines": [{"line": 0, "qty": "4"}]})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!((r["amount"].as_str(), r["refund"].as_str()), (Some("320.00"), Some("payable")));
    assert_eq!(on_hand(&t, &s.c, s.milk, s.main).await, ("6".into(), "480.00".into()));
    assert_eq!(payable(&t, &s.c, sup).await, "480.00");
    let (st, e) = t.post(&s.c, &format!("/api/v1/purchases/{id}/returns"), json!({"lines": [{"line": 0, "qty": "7"}]})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["return_exceeds_purchase".to_string()]), "{e}");
    let (st, e) = t.post(&s.c, &format!("/api/v1/purchases/{id}/returns"), json!({"lines": [{"line": 3, "qty": "1"}]})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_line".to_string()]), "{e}");

    // A purchase with returns is not cancelled.
    let (st, e) = t.post(&s.c, &format!("/api/v1/purchases/{id}/cancel"), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("purchase_has_returns")), "{e}");

    // The card and the list show it.
    let (_, card) = t.get(&s.c, &format!("/api/v1/purchases/{id}")).await;
    assert_eq!(card["purchase"]["lines"][0]["returned"], "4", "{card}");
    assert_eq!(card["returns"].as_array().map(Vec::len), Some(1));
    assert!(card["receipt"].as_str().is_some_and(|n| n.starts_with("ПР-")), "{card}");
    let (_, list) = t.get(&s.c, &format!("/api/v1/purchases?supplier={sup}&status=posted")).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let (_, none) = t.get(&s.c, "/api/v1/purchases?status=draft").await;
    assert_eq!(none, json!([]));
    let (_, suppliers) = t.get(&s.c, "/api/v1/suppliers").await;
    assert_eq!((suppliers[0]["supplier"]["id"].as_u64(), suppliers[0]["balance"].as_str()), (Some(sup), Some("480.00")), "{suppliers}");
    let (_, due) = t.get(&s.c, "/api/v1/purchases/due?days=7").await;
    assert_eq!((due[0]["purchase"]["id"].as_u64(), due[0]["outstanding"].as_str()), (Some(id), Some("480.00")), "{due}");
    let (_, due) = t.get(&s.c, "/api/v1/purchases/due?days=1").await;
    assert_eq!(due, json!([]), "due in 5 days is not due tomorrow");
    t.assert_consistent();
}

#[tokio::test]
async fn cancel_reverses_stock_and_payable_and_states_are_kept() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@cancel.kg").await;
    let sup = supplier(&t, &s.c, "ИП Асанов").await;
    let (st, draft) = t
        .post(
            &s.c,
            "/api/v1/purchases",
            json!({"supplier": sup, "warehouse": s.main, "lines": [{"product": s.milk, "qty": "3", "price": "90.50"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{draft}");
    assert_eq!(
        (draft["status"].as_str(), draft["terms"].as_str(), draft["total"].as_str()),
        (Some("draft"), Some("credit"), Some("271.50"))
    );
    let id = draft["id"].as_u64().expect("id");
    assert_eq!(on_hand(&t, &s.c, s.milk, s.main).await.0, "0", "a draft moves nothing");
    assert_eq!(payable(&t, &s.c, sup).await, "0.00");
    // A draft is edited and then posted.
    let (st, edited) = t
        .put(
            &s.c,
            &format!("/api/v1/purchases/{id}"),
            json!({"supplier": sup, "warehouse": s.main, "lines": [{"product": s.milk, "qty": "4", "price": "90.50"}]}),
        )
        .await;
    assert_eq!((st, edited["total"].as_str()), (StatusCode::OK, Some("362.00")), "{edited}");
    let (st, posted) = t.post(&s.c, &format!("/api/v1/purchases/{id}/post"), json!({})).await;
    assert_eq!((st, posted["status"].as_str()), (StatusCode::OK, Some("posted")), "{posted}");
    let (st, e) = t.post(&s.c, &format!("/api/v1/purchases/{id}/post"), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    let (st, e) = t.put(&s.c, &format!("/api/v1/purchases/{id}"), json!({"supplier": sup, "warehouse": s.main, "lines": []})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    let (st, e) = t.call(Method::DELETE, &format!("/api/v1/purchases/{id}"), Some(&s.c.token), None).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    assert_eq!(payable(&t, &s.c, sup).await, "362.00");

    let (st, c) = t.post(&s.c, &format!("/api/v1/purchases/{id}/cancel"), json!({})).await;
    assert_eq!((st, c["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{c}");
    assert_eq!(on_hand(&t, &s.c, s.milk, s.main).await.0, "0");
    assert_eq!(payable(&t, &s.c, sup).await, "0.00");
    let (st, e) = t.post(&s.c, &format!("/api/v1/purchases/{id}/cancel"), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    let (st, e) = t.post(&s.c, &format!("/api/v1/purchases/{id}/returns"), json!({"lines": [{"line": 0, "qty": "1"}]})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");

    // A draft is deleted with its receipt.
    let (_, d2) = t
        .post(
            &s.c,
            "/api/v1/purchases",
            json!({"supplier": sup, "warehouse": s.main, "lines": [{"product": s.milk, "qty": "1", "price": "1"}]}),
        )
        .await;
    let (st, _) = t.call(Method::DELETE, &format!("/api/v1/purchases/{}", d2["id"]), Some(&s.c.token), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = t.get(&s.c, &format!("/api/v1/purchases/{}", d2["id"])).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The act: the purchase and its cancel, nothing owed.
    let (st, act) = t.get(&s.c, &format!("/api/v1/suppliers/{sup}/act")).await;
    assert_eq!(st, StatusCode::OK, "{act}");
    assert_eq!(
        (act["credit"].as_str(), act["debit"].as_str(), act["closing"].as_str()),
        (Some("362.00"), Some("362.00"), Some("0.00")),
        "{act}"
    );
    let resp = t.http.get(t.url(&format!("/api/v1/suppliers/{sup}/act.pdf"))).bearer_auth(&s.c.token).send().await.expect("pdf");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[reqwest::header::CONTENT_TYPE], "application/pdf");
    assert!(resp.bytes().await.expect("bytes").starts_with(b"%PDF"));
    let (st, e) = t.get(&s.c, &format!("/api/v1/suppliers/{sup}/act?from=2026-13-01")).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["date".to_string()]), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn bad_purchases_list_every_problem_with_stable_codes() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@bad.kg").await;
    let customer = t.post(&s.c, "/api/v1/clients", json!({"name": "Просто клиент"})).await.1["client"]["id"].as_u64().expect("id");
    let (st, e) = t
        .post(
            &s.c,
            "/api/v1/purchases",
            json!({"supplier": customer, "warehouse": s.main, "terms": "barter", "due_days": "-1", "lines": [{"product": s.milk, "qty": "0", "price": "-5"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let codes = field_codes(&e);
    for code in ["unknown_supplier", "terms", "due_days"] {
        assert!(codes.contains(&code.to_string()), "{code} in {codes:?}");
    }
    let sup = supplier(&t, &s.c, "Поставщик").await;
    let (st, e) = t
        .post(
            &s.c,
            "/api/v1/purchases",
            json!({"supplier": sup, "warehouse": s.main, "terms": "cash", "lines": [{"product": s.milk, "qty": "1", "price": "1"}]}),
        )
        .await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["required".to_string()]), "cash needs an account: {e}");
    let (st, e) = t.post(&s.c, "/api/v1/purchases", json!({"supplier": sup, "warehouse": s.main, "lines": []})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["required".to_string()]), "{e}");
    let (st, e) = t
        .post(
            &s.c,
            "/api/v1/purchases",
            json!({"supplier": sup, "warehouse": 999999, "lines": [{"product": 999999, "qty": "1", "price": "1"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let codes = field_codes(&e);
    assert!(codes.contains(&"unknown_warehouse".to_string()) && codes.contains(&"unknown_product".to_string()), "{codes:?}");
    let (st, e) = t.post(&s.c, "/api/v1/purchases", json!({"supplier": sup, "warehouse": s.main, "surprise": 1})).await;
    assert!(st.is_client_error(), "{st} {e}");
    let (st, e) = t.get(&s.c, "/api/v1/purchases?status=lost").await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["status".to_string()]), "{e}");
    // Payments: a key is required, and more than owed only as a stated prepayment.
    let (st, e) = t.post(&s.c, &format!("/api/v1/suppliers/{sup}/payments"), json!({"amount": "10", "account": "box:1"})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["idempotency_key".to_string()]), "{e}");
    let (st, e) = t
        .post(&s.c, &format!("/api/v1/suppliers/{sup}/payments"), json!({"idempotency_key": "p1", "amount": "10", "account": "box:1"}))
        .await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["payment_exceeds_payable".to_string()]), "{e}");
    let (st, e) = t
        .post(&s.c, &format!("/api/v1/suppliers/{sup}/payments"), json!({"idempotency_key": "p2", "amount": "10", "account": "safe"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(field_codes(&e).contains(&"unknown_account".to_string()), "{e}");
    // A customer is not a supplier.
    let (st, _) = t.get(&s.c, &format!("/api/v1/suppliers/{customer}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    t.assert_consistent();
}

#[tokio::test]
async fn the_matching_step_links_free_text_suppliers_once() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@match.kg").await;
    for name in ["Ак-Суу ОсОО", "ак-суу осоо ", "Базар"] {
        let (st, d) = t
            .post(&s.c, "/api/v1/documents", json!({"kind": "receipt", "warehouse": s.main, "supplier": name, "lines": [{"product": s.milk, "qty": "1", "cost": "10"}], "post": true}))
            .await;
        assert_eq!(st, StatusCode::CREATED, "{d}");
    }
    let (_, names) = t.get(&s.c, "/api/v1/suppliers/matching").await;
    assert_eq!(names, json!([{"name": "Ак-Суу ОсОО", "documents": 2}, {"name": "Базар", "documents": 1}]));
    let (st, m) = t.post(&s.c, "/api/v1/suppliers/matching", json!({"name": "Ак-Суу ОсОО"})).await;
    assert_eq!((st, m["linked"].as_u64()), (StatusCode::OK, Some(2)), "{m}");
    let created = m["supplier"].as_u64().expect("id");
    let (_, card) = t.get(&s.c, &format!("/api/v1/clients/{created}")).await;
    assert_eq!(card["client"]["kind"], "supplier");
    let (st, m) = t.post(&s.c, "/api/v1/suppliers/matching", json!({"name": "Ак-Суу ОсОО", "supplier": created})).await;
    assert_eq!((st, m["linked"].as_u64()), (StatusCode::OK, Some(0)), "idempotent: {m}");
    let existing = supplier(&t, &s.c, "Центральный рынок").await;
    let (_, m) = t.post(&s.c, "/api/v1/suppliers/matching", json!({"name": "Базар", "supplier": existing})).await;
    assert_eq!(m["linked"].as_u64(), Some(1), "{m}");
    let (_, names) = t.get(&s.c, "/api/v1/suppliers/matching").await;
    assert_eq!(names, json!([]));
    // The documents keep their free text.
    let (_, docs) = t.get(&s.c, "/api/v1/documents").await;
    let docs = if docs.get("items").is_some() { docs["items"].clone() } else { docs };
    assert!(docs.as_array().expect("docs").iter().any(|d| d["supplier"] == "Базар"), "{docs}");
    let (st, e) = t.post(&s.c, "/api/v1/suppliers/matching", json!({"name": "  "})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["required".to_string()]), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn without_the_purchases_right_every_route_is_forbidden() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@rights.kg").await;
    let sup = supplier(&t, &s.c, "Поставщик").await;
    let p = buy_on_credit(&t, &s, sup, json!([{"product": s.milk, "qty": "2", "price": "50"}])).await;
    let (_, branches) = t.get(&s.c, "/api/v1/branches").await;
    let (st, r) = t.post(&s.c, "/api/v1/roles", json!({"name": "Склад", "permissions": ["document", "products", "clients"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (st, u) = t
        .post(&s.c, "/api/v1/users", json!({"email": "store@rights.kg", "name": "Кладовщик", "role": "staff", "custom_role": r["id"], "branches": [branches[0]["id"]], "password": "password-456"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let clerk = t.login("store@rights.kg", "password-456").await;
    let id = p["id"].as_u64().expect("id");
    for (method, path, body) in [
        (Method::GET, "/api/v1/purchases".to_string(), None),
        (Method::POST, "/api/v1/purchases".to_string(), Some(json!({"supplier": sup, "warehouse": s.main, "lines": []}))),
        (Method::GET, format!("/api/v1/purchases/{id}"), None),
        (Method::POST, format!("/api/v1/purchases/{id}/cancel"), None),
        (Method::POST, format!("/api/v1/purchases/{id}/returns"), Some(json!({"lines": [{"line": 0, "qty": "1"}]}))),
        (Method::GET, "/api/v1/purchases/due".to_string(), None),
        (Method::GET, "/api/v1/suppliers".to_string(), None),
        (Method::GET, format!("/api/v1/suppliers/{sup}"), None),
        (
            Method::POST,
            format!("/api/v1/suppliers/{sup}/payments"),
            Some(json!({"idempotency_key": "x", "amount": "1", "account": "box:1"})),
        ),
        (Method::GET, format!("/api/v1/suppliers/{sup}/act"), None),
        (Method::GET, format!("/api/v1/suppliers/{sup}/act.pdf"), None),
        (Method::GET, "/api/v1/suppliers/matching".to_string(), None),
        (Method::POST, "/api/v1/suppliers/matching".to_string(), Some(json!({"name": "x"}))),
    ] {
        let (st, e) = t.call(method.clone(), &path, Some(&clerk.token), body).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{method} {path}: {e}");
    }
    // The pages say the same.
    let pages = crate::browser::Plain::new(&t);
    pages.submit("/login", &[("email", "store@rights.kg"), ("password", "password-456"), ("next", "/")]).await;
    let csrf = crate::browser::csrf_of(&pages.get("/products").await.text().await.expect("a page the clerk may open"));
    for path in [
        "/purchases".to_string(),
        "/purchases/new".to_string(),
        format!("/purchases/{id}"),
        format!("/purchases/{id}/edit"),
        "/purchases/due".to_string(),
        "/suppliers".to_string(),
        format!("/suppliers/{sup}"),
        format!("/suppliers/{sup}/act.pdf"),
        "/suppliers/matching".to_string(),
    ] {
        assert_eq!(pages.get(&path).await.status(), 403, "GET {path}");
    }
    for path in [
        "/purchases".to_string(),
        format!("/purchases/{id}/edit"),
        format!("/purchases/{id}/post"),
        format!("/purchases/{id}/cancel"),
        format!("/purchases/{id}/return"),
        format!("/suppliers/{sup}/pay"),
    ] {
        let r =
            pages.post(&path, &[("_csrf", csrf.as_str()), ("amount", "1"), ("account", "box:1"), ("key", "k"), ("return_qty", "1")]).await;
        assert_eq!(r.status(), 403, "POST {path}");
    }
    assert_eq!(payable(&t, &s.c, sup).await, "100.00");
    t.assert_consistent();
}

async fn staff(t: &TestApp, owner: &Client, email: &str, permissions: Value) -> Client {
    let (_, branches) = t.get(owner, "/api/v1/branches").await;
    let (st, r) = t.post(owner, "/api/v1/roles", json!({"name": format!("Роль {email}"), "permissions": permissions})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (st, u) = t
        .post(owner, "/api/v1/users", json!({"email": email, "name": "Сотрудник", "role": "staff", "custom_role": r["id"], "branches": [branches[0]["id"]], "password": "password-456"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    t.login(email, "password-456").await
}

async fn money_doc(t: &TestApp, c: &Client, id: &Value) -> Value {
    let (st, d) = t.get(c, &format!("/api/v1/finance/docs/{id}")).await;
    assert_eq!(st, StatusCode::OK, "{d}");
    d
}

#[tokio::test]
async fn cash_purchases_wait_for_approval_and_supplier_payments_are_idempotent() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@cash.kg").await;
    let sup = supplier(&t, &s.c, "ОсОО Нан").await;
    let (st, bank) = t.post(&s.c, "/api/v1/finance/bank-accounts", json!({"name": "Расчётный счёт"})).await;
    assert_eq!(st, StatusCode::CREATED, "{bank}");
    let account = format!("bank:{}", bank["id"]);
    let buyer = staff(&t, &s.c, "buyer@cash.kg", json!(["purchases", "products"])).await;
    let cash = |qty: &str| json!({"supplier": sup, "warehouse": s.main, "terms": "cash", "account": account, "lines": [{"product": s.milk, "qty": qty, "price": "50"}], "post": true});

    // A buyer who may not approve: the expense waits, and so does the stock.
    let (st, p) = t.post(&buyer, "/api/v1/purchases", cash("10")).await;
    assert_eq!((st, p["status"].as_str()), (StatusCode::CREATED, Some("cash_pending")), "{p}");
    assert_eq!(on_hand(&t, &s.c, s.milk, s.main).await.0, "0");
    let doc = &p["money_doc"];
    let d = money_doc(&t, &s.c, doc).await;
    assert_eq!(
        (d["status"].as_str(), d["kind"].as_str(), d["category"].as_str(), d["counterparty"].as_u64(), d["reference"].as_str()),
        (Some("pending"), Some("expense"), Some("supplier"), Some(sup), Some(format!("purchase:{}", p["id"]).as_str()))
    );
    let (st, e) = t.post(&buyer, &format!("/api/v1/finance/docs/{doc}/approve"), json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a buyer does not approve: {e}");
    let (st, e) = t.post(&buyer, &format!("/api/v1/purchases/{}/cancel", p["id"]), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    let (st, _) = t.post(&s.c, &format!("/api/v1/finance/docs/{doc}/approve"), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, card) = t.get(&s.c, &format!("/api/v1/purchases/{}", p["id"])).await;
    assert_eq!(card["purchase"]["status"], "posted", "{card}");
    assert_eq!(on_hand(&t, &s.c, s.milk, s.main).await, ("10".into(), "500.00".into()));

    // Rejected: nothing moves.
    let (_, p2) = t.post(&buyer, "/api/v1/purchases", cash("3")).await;
    let (st, _) = t.post(&s.c, &format!("/api/v1/finance/docs/{}/reject", p2["money_doc"]), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, card) = t.get(&s.c, &format!("/api/v1/purchases/{}", p2["id"])).await;
    assert_eq!(card["purchase"]["status"], "rejected", "{card}");
    assert_eq!(on_hand(&t, &s.c, s.milk, s.main).await.0, "10");
    assert_eq!(payable(&t, &s.c, sup).await, "0.00", "cash purchases never touch the payable");

    // The owner may approve: posted at once; cancelled, the expense is reversed.
    let (_, p3) = t.post(&s.c, "/api/v1/purchases", cash("2")).await;
    assert_eq!(p3["status"], "posted", "{p3}");
    let (st, e) = t.post(&s.c, &format!("/api/v1/finance/docs/{}/reverse", p3["money_doc"]), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("cancel_the_purchase")), "{e}");
    let (st, c3) = t.post(&s.c, &format!("/api/v1/purchases/{}/cancel", p3["id"]), json!({})).await;
    assert_eq!((st, c3["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{c3}");
    assert_eq!(money_doc(&t, &s.c, &p3["money_doc"]).await["status"], "reversed");
    assert_eq!(on_hand(&t, &s.c, s.milk, s.main).await.0, "10");

    // On credit, then paid by the buyer: pending until approved, idempotent by key.
    let (st, credit) = t
        .post(
            &buyer,
            "/api/v1/purchases",
            json!({"supplier": sup, "warehouse": s.main, "lines": [{"product": s.milk, "qty": "20", "price": "50"}], "post": true}),
        )
        .await;
    assert_eq!((st, credit["status"].as_str()), (StatusCode::CREATED, Some("posted")), "{credit}");
    assert_eq!(payable(&t, &s.c, sup).await, "1000.00");
    let pay = json!({"idempotency_key": "pay-1", "amount": "400", "account": account});
    let (st, p1) = t.post(&buyer, &format!("/api/v1/suppliers/{sup}/payments"), pay.clone()).await;
    assert_eq!((st, p1["status"].as_str()), (StatusCode::OK, Some("pending")), "{p1}");
    let (_, again) = t.post(&buyer, &format!("/api/v1/suppliers/{sup}/payments"), pay).await;
    assert_eq!(again["id"], p1["id"], "a replay returns the first payment");
    let (st, e) = t
        .post(&buyer, &format!("/api/v1/suppliers/{sup}/payments"), json!({"idempotency_key": "pay-1", "amount": "5", "account": account}))
        .await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("idempotency_key_reused")), "{e}");
    assert_eq!(payable(&t, &s.c, sup).await, "1000.00", "a pending payment does not reduce the payable");
    let (st, e) = t
        .post(
            &buyer,
            &format!("/api/v1/suppliers/{sup}/payments"),
            json!({"idempotency_key": "pay-2", "amount": "700", "account": account}),
        )
        .await;
    assert_eq!(
        (st, field_codes(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["payment_exceeds_payable".to_string()]),
        "600 left after the pending 400: {e}"
    );
    let (st, _) = t.post(&s.c, &format!("/api/v1/finance/docs/{}/approve", p1["money_doc"]), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(payable(&t, &s.c, sup).await, "600.00");
    let (_, card) = t.get(&s.c, &format!("/api/v1/suppliers/{sup}")).await;
    assert_eq!(card["payments"][0]["status"], "applied", "{card}");

    // A stated prepayment may take the payable below zero; a plain payment may not.
    let (st, pre) = t
        .post(
            &s.c,
            &format!("/api/v1/suppliers/{sup}/payments"),
            json!({"idempotency_key": "pay-3", "amount": "800", "account": account, "prepayment": true}),
        )
        .await;
    assert_eq!((st, pre["status"].as_str()), (StatusCode::OK, Some("applied")), "{pre}");
    assert_eq!(payable(&t, &s.c, sup).await, "-200.00");

    // A cash refund of a return comes into the account; the payable stays.
    let (st, r) = t
        .post(
            &s.c,
            &format!("/api/v1/purchases/{}/returns", credit["id"]),
            json!({"lines": [{"line": 0, "qty": "2"}], "refund": "cash", "account": account}),
        )
        .await;
    assert_eq!((st, r["refund"].as_str()), (StatusCode::CREATED, Some(account.as_str())), "{r}");
    assert_eq!(money_doc(&t, &s.c, &r["money_doc"]).await["kind"], "income");
    assert_eq!(payable(&t, &s.c, sup).await, "-200.00");
    let (_, act) = t.get(&s.c, &format!("/api/v1/suppliers/{sup}/act")).await;
    assert_eq!(
        (act["credit"].as_str(), act["debit"].as_str(), act["closing"].as_str()),
        (Some("1000.00"), Some("1200.00"), Some("-200.00")),
        "{act}"
    );
    t.assert_consistent();
}

async fn due_list(t: &TestApp, c: &Client) -> Vec<(String, String)> {
    let (st, v) = t.get(c, "/api/v1/purchases/due").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array()
        .expect("list")
        .iter()
        .map(|d| (d["purchase"]["number"].as_str().unwrap_or("").to_string(), d["outstanding"].as_str().unwrap_or("").to_string()))
        .collect()
}

/// "To pay this week" follows the payable as payments settle the oldest purchases first,
/// returns shrink a purchase and a cancel takes it out; purchases due later are not listed.
#[tokio::test]
async fn to_pay_this_week_follows_payments_returns_and_cancels() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@due.kg").await;
    let sup = supplier(&t, &s.c, "ОсОО Срок").await;
    let other = supplier(&t, &s.c, "ОсОО Другой").await;
    let p1 = buy_on_credit(&t, &s, sup, json!([{"product": s.milk, "qty": "5", "price": "80"}])).await; // 400, due in 5 days
    let p2 = buy_on_credit(&t, &s, sup, json!([{"product": s.milk, "qty": "3", "price": "100"}])).await; // 300
    let (st, later) = t
        .post(
            &s.c,
            "/api/v1/purchases",
            json!({"supplier": other, "warehouse": s.main, "terms": "credit", "due_days": "30", "post": true,
                   "lines": [{"product": s.milk, "qty": "1", "price": "50"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{later}");
    let n = |p: &Value| p["number"].as_str().expect("number").to_string();
    assert_eq!(due_list(&t, &s.c).await, vec![(n(&p1), "400.00".into()), (n(&p2), "300.00".into())]);
    let (st, v) = t.get(&s.c, "/api/v1/purchases/due?days=31").await;
    assert_eq!((st, v.as_array().map(Vec::len)), (StatusCode::OK, Some(3)), "a month ahead lists the later one: {v}");

    let pay =
        |key: &'static str, amount: &'static str| json!({"idempotency_key": key, "amount": amount, "account": "", "prepayment": false});
    let bank = {
        let (st, b) = t.post(&s.c, "/api/v1/finance/bank-accounts", json!({"name": "Банк"})).await;
        assert_eq!(st, StatusCode::CREATED, "{b}");
        format!("bank:{}", b["id"])
    };
    let mut body = pay("due-1", "250");
    body["account"] = json!(bank);
    let (st, v) = t.post(&s.c, &format!("/api/v1/suppliers/{sup}/payments"), body).await;
    assert!(st.is_success(), "{v}");
    assert_eq!(due_list(&t, &s.c).await, vec![(n(&p1), "150.00".into()), (n(&p2), "300.00".into())], "the oldest settles first");

    let (st, r) = t.post(&s.c, &format!("/api/v1/purchases/{}/returns", p2["id"]), json!({"lines": [{"line": 0, "qty": "1"}]})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(due_list(&t, &s.c).await, vec![(n(&p1), "150.00".into()), (n(&p2), "200.00".into())], "a return shrinks the newest");

    let mut body = pay("due-2", "200");
    body["account"] = json!(bank);
    let (st, v) = t.post(&s.c, &format!("/api/v1/suppliers/{sup}/payments"), body).await;
    assert!(st.is_success(), "{v}");
    assert_eq!(due_list(&t, &s.c).await, vec![(n(&p2), "150.00".into())], "the first purchase is paid off");
    t.assert_consistent();
}

/// A draft is edited on its page (supplier, warehouse, lines); a posted one is not; the
/// pages of another company's purchase are not found.
#[tokio::test]
async fn a_draft_is_edited_on_its_page() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@edit.kg").await;
    let sup = supplier(&t, &s.c, "ОсОО Первый").await;
    let sup2 = supplier(&t, &s.c, "ОсОО Второй").await;
    let (st, d) = t
        .post(
            &s.c,
            "/api/v1/purchases",
            json!({"supplier": sup, "warehouse": s.main, "terms": "credit", "lines": [{"product": s.milk, "qty": "4", "price": "60"}]}),
        )
        .await;
    assert_eq!((st, d["status"].as_str()), (StatusCode::CREATED, Some("draft")), "{d}");
    let id = d["id"].as_u64().expect("id");

    let p = crate::browser::Plain::new(&t);
    p.submit("/login", &[("email", "owner@edit.kg"), ("password", "password-123"), ("next", "/")]).await;
    let card = p.get(&format!("/purchases/{id}")).await.text().await.expect("card");
    assert!(card.contains(&format!("href=\"/purchases/{id}/edit\"")), "a draft's page links to its editor");
    let form = p.get(&format!("/purchases/{id}/edit")).await.text().await.expect("form");
    assert!(form.contains("id=\"purchase-edit-title\"") && form.contains(&format!("action=\"/purchases/{id}/edit\"")), "the editor");
    assert!(
        form.contains("value=\"4\"") && form.contains("value=\"60\"") && form.contains(&format!("value=\"{}\"", s.milk)),
        "lines typed back"
    );
    let csrf = crate::browser::csrf_of(&form);
    let (sup2_s, wh2, milk) = (sup2.to_string(), s.second.to_string(), s.milk.to_string());
    let fields = |qty: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("supplier", sup2_s.clone()),
            ("warehouse", wh2.clone()),
            ("terms", "credit".to_string()),
            ("due_days", "10".to_string()),
            ("line_product", milk.clone()),
            ("line_name", "Молоко".to_string()),
            ("line_qty", qty.to_string()),
            ("line_cost", "55".to_string()),
            ("action", "save".to_string()),
        ]
    };
    let bad_fields = fields("много");
    let bad: Vec<(&str, &str)> = bad_fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = p.post(&format!("/purchases/{id}/edit"), &bad).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("value=\"много\""), "the typed line stays");
    let good_fields = fields("6");
    let good: Vec<(&str, &str)> = good_fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = p.post(&format!("/purchases/{id}/edit"), &good).await;
    assert_eq!((r.status().as_u16(), location(&r).to_string()), (303, format!("/purchases/{id}?ok=saved")));
    let (_, v) = t.get(&s.c, &format!("/api/v1/purchases/{id}")).await;
    assert_eq!(
        (
            v["purchase"]["supplier"].as_u64(),
            v["purchase"]["warehouse"].as_u64(),
            v["purchase"]["total"].as_str(),
            v["purchase"]["due_days"].as_u64(),
            v["purchase"]["status"].as_str()
        ),
        (Some(sup2), Some(s.second), Some("330.00"), Some(10), Some("draft")),
        "{v}"
    );
    let (st, v) = t.post(&s.c, &format!("/api/v1/purchases/{id}/post"), json!({})).await;
    assert!(st.is_success(), "{v}");
    let r = p.get(&format!("/purchases/{id}/edit")).await;
    assert_eq!((r.status().as_u16(), location(&r).to_string()), (303, format!("/purchases/{id}")), "a posted purchase has no editor");
    let r = p.post(&format!("/purchases/{id}/edit"), &good).await;
    assert_eq!(r.status(), 409, "nor can it be saved over");

    // Another company's purchase and supplier pages are not found.
    shop(&t, "other@edit.kg").await;
    let q = crate::browser::Plain::new(&t);
    q.submit("/login", &[("email", "other@edit.kg"), ("password", "password-123"), ("next", "/")]).await;
    for path in
        [format!("/purchases/{id}"), format!("/purchases/{id}/edit"), format!("/suppliers/{sup}"), format!("/suppliers/{sup}/act.pdf")]
    {
        assert_eq!(q.get(&path).await.status(), 404, "{path}");
    }
    let their_csrf = crate::browser::csrf_of(&q.get("/purchases/new").await.text().await.expect("form"));
    let theirs: Vec<(&str, &str)> = good.iter().map(|(k, v)| if *k == "_csrf" { (*k, their_csrf.as_str()) } else { (*k, *v) }).collect();
    let r = q.post(&format!("/purchases/{id}/edit"), &theirs).await;
    assert_eq!(r.status(), 404, "another company's draft is not saved over");
    t.assert_consistent();
}
