//! CRM orders through the API: placing an order reserves stock (never beyond what is
//! available, and reserved stock is not for sale at the till), cancelling releases it,
//! completing it at a till makes one sale (idempotent by key, a second completion refused), a
//! won deal becomes an order, bad input and rights, the pages; and the live board stream.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of, location};
use crate::common::TestApp;
use crate::crm::{deal, stages};
use crate::pos::till;

fn codes(v: &Value) -> Vec<String> {
    v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["code"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

#[tokio::test]
async fn an_order_reserves_stock_cancel_releases_it_and_completion_sells_it_once() {
    let t = TestApp::spawn().await;
    // 10 milk in the main warehouse, a cash box selling from it, an open shift.
    let s = till(&t, "owner@orders.kg").await;
    let c = &s.s.c;
    let (st, cl) = t.post(c, "/api/v1/clients", json!({"name": "Кафе Арзу", "phone": "0555 111 222"})).await;
    assert_eq!(st, StatusCode::CREATED, "{cl}");
    let cl = cl["client"]["id"].as_u64().expect("client");

    let (st, o1) = t
        .post(
            c,
            "/api/v1/crm/orders",
            json!({"client": cl, "warehouse": s.s.main, "lines": [{"product": s.s.milk, "qty": "6", "price": "100"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{o1}");
    assert_eq!(
        (o1["status"].as_str(), o1["total"].as_str(), o1["number"].as_str()),
        (Some("new"), Some("600.00"), Some("З-000001")),
        "{o1}"
    );

    // Only 4 are available now: a second order of 5 is refused, naming the product.
    let (st, e) = t.post(c, "/api/v1/crm/orders", json!({"warehouse": s.s.main, "lines": [{"product": s.s.milk, "qty": "5"}]})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock")), "{e}");
    // And the till cannot sell the reserved units either.
    let (st, e) = t
        .post(
            c,
            "/api/v1/sales",
            json!({"idempotency_key": "walk-in", "cash_box": s.cash_box, "lines": [{"product": s.s.milk, "qty": "5"}], "payments": [{"method": "cash", "amount": "1000"}]}),
        )
        .await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock")), "{e}");
    let (st, o2) = t.post(c, "/api/v1/crm/orders", json!({"warehouse": s.s.main, "lines": [{"product": s.s.milk, "qty": "4"}]})).await;
    assert_eq!(st, StatusCode::CREATED, "{o2}");
    t.assert_consistent();

    // Cancelling the second releases its 4; cancelling again is refused.
    let (st, x) = t.post(c, &format!("/api/v1/crm/orders/{}/cancel", o2["id"]), json!({})).await;
    assert_eq!((st, x["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{x}");
    let (st, x) = t.post(c, &format!("/api/v1/crm/orders/{}/cancel", o2["id"]), json!({})).await;
    assert_eq!((st, x["code"].as_str()), (StatusCode::CONFLICT, Some("order_closed")), "{x}");
    let (st, e) = t
        .post(
            c,
            "/api/v1/sales",
            json!({"idempotency_key": "walk-in-2", "cash_box": s.cash_box, "lines": [{"product": s.s.milk, "qty": "4"}], "payments": [{"method": "cash", "amount": "1000"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "released stock sells: {e}");

    // Confirm, then complete at the till: one sale at the order's price for its client.
    let (st, x) = t.post(c, &format!("/api/v1/crm/orders/{}/confirm", o1["id"]), json!({})).await;
    assert_eq!((st, x["status"].as_str()), (StatusCode::OK, Some("pending")), "{x}");
    let done = json!({"idempotency_key": "order-1", "cash_box": s.cash_box, "payments": [{"method": "cash", "amount": "600"}]});
    let (st, x) = t.post(c, &format!("/api/v1/crm/orders/{}/complete", o1["id"]), done.clone()).await;
    assert_eq!((st, x["status"].as_str()), (StatusCode::OK, Some("completed")), "{x}");
    let sale = x["sale"].as_u64().expect("sale");
    let (_, sv) = t.get(c, &format!("/api/v1/sales/{sale}")).await;
    assert_eq!((sv["total"].as_str(), sv["client"].as_u64()), (Some("600.00"), Some(cl)), "{sv}");
    // A retry with the same key answers with the same order; another completion is refused.
    let (st, again) = t.post(c, &format!("/api/v1/crm/orders/{}/complete", o1["id"]), done).await;
    assert_eq!((st, again["sale"].as_u64()), (StatusCode::OK, Some(sale)), "{again}");
    let other = json!({"idempotency_key": "order-1-bis", "cash_box": s.cash_box, "payments": [{"method": "cash", "amount": "600"}]});
    let (st, e) = t.post(c, &format!("/api/v1/crm/orders/{}/complete", o1["id"]), other).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("order_closed")), "{e}");
    let (_, sales) = t.get(c, "/api/v1/sales").await;
    let n = sales["items"].as_array().map(Vec::len).unwrap_or_else(|| sales.as_array().map(Vec::len).unwrap_or(0));
    assert_eq!(n, 2, "the walk-in sale and the order's: {sales}");
    let (_, card) = t.get(c, &format!("/api/v1/products/{}/stock", s.s.milk)).await;
    let qty = card["warehouses"].as_array().expect("warehouses").iter().find(|w| w["warehouse"] == s.s.main).map(|w| w["qty"].clone());
    assert_eq!(qty.and_then(|q| q.as_str().map(str::to_string)).as_deref(), Some("0"), "{card}");

    // The client's timeline tells the story.
    let (_, tl) = t.get(c, &format!("/api/v1/crm/clients/{cl}/timeline")).await;
    let kinds: Vec<&str> = tl["items"].as_array().expect("items").iter().filter_map(|i| i["kind"].as_str()).collect();
    assert!(kinds.contains(&"order_placed") && kinds.contains(&"order_completed") && kinds.contains(&"sale"), "{tl}");
    let (_, listed) = t.get(c, &format!("/api/v1/crm/orders?client={cl}")).await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let (_, listed) = t.get(c, "/api/v1/crm/orders?status=cancelled").await;
    assert_eq!(listed[0]["id"], o2["id"], "{listed}");
    t.assert_consistent();
}

#[tokio::test]
async fn a_failed_completion_keeps_the_order_open_and_reserved() {
    let t = TestApp::spawn().await;
    let s = till(&t, "owner@orders2.kg").await;
    let c = &s.s.c;
    let (_, o) =
        t.post(c, "/api/v1/crm/orders", json!({"warehouse": s.s.main, "lines": [{"product": s.s.milk, "qty": "2", "price": "50"}]})).await;
    // Underpaid: refused with the payment problem, nothing written.
    let body = json!({"idempotency_key": "k1", "cash_box": s.cash_box, "payments": [{"method": "cash", "amount": "10"}]});
    let (st, e) = t.post(c, &format!("/api/v1/crm/orders/{}/complete", o["id"]), body).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(codes(&e).contains(&"underpaid".to_string()), "{e}");
    let (_, x) = t.get(c, &format!("/api/v1/crm/orders/{}", o["id"])).await;
    assert_eq!(x["status"], "new", "{x}");
    t.assert_consistent();
    // A cash box of another warehouse cannot complete it.
    let (_, other) = t.post(c, "/api/v1/cash-boxes", json!({"name": "Касса 2", "warehouse": s.s.second})).await;
    let body = json!({"idempotency_key": "k2", "cash_box": other["id"], "payments": [{"method": "cash", "amount": "100"}]});
    let (st, e) = t.post(c, &format!("/api/v1/crm/orders/{}/complete", o["id"]), body).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(codes(&e).contains(&"warehouse_mismatch".to_string()), "{e}");

    // Bad input: no lines, no warehouse, an unknown product, a negative quantity, a bad status.
    let (st, e) = t.post(c, "/api/v1/crm/orders", json!({"lines": []})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let got = codes(&e);
    assert!(got.contains(&"required".to_string()), "{e}");
    let (st, e) = t.post(c, "/api/v1/crm/orders", json!({"warehouse": s.s.main, "lines": [{"product": 999999, "qty": "-1"}]})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let got = codes(&e);
    assert!(got.contains(&"unknown_product".to_string()) && got.contains(&"qty".to_string()), "{e}");
    let (st, e) = t.get(c, "/api/v1/crm/orders?status=lost").await;
    assert_eq!((st, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["order_status".to_string()]), "{e}");
    let (st, e) = t.post(c, "/api/v1/crm/orders", json!({"warehouse": s.s.main, "lines": [], "colour": "red"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")), "unknown fields are refused: {e}");
}

#[tokio::test]
async fn a_won_deal_becomes_an_order_once_and_rights_are_checked() {
    let t = TestApp::spawn().await;
    let s = till(&t, "owner@orders3.kg").await;
    let c = &s.s.c;
    let (_, cl) = t.post(c, "/api/v1/clients", json!({"name": "ОсОО Бишкек Сут"})).await;
    let cl = cl["client"]["id"].as_u64().expect("client");
    let d =
        deal(&t, c, json!({"title": "Поставка молока", "client": cl, "lines": [{"product": s.s.milk, "qty": "3", "price": "95"}]})).await;
    let st_ids = stages(&t, c).await;
    // Not won yet: refused.
    let (st, e) = t.post(c, &format!("/api/v1/crm/deals/{}/order", d["id"]), json!({"warehouse": s.s.main})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("deal_not_won")), "{e}");
    let (st, w) = t.post(c, &format!("/api/v1/crm/deals/{}/move", d["id"]), json!({"stage": st_ids[3]})).await;
    assert_eq!((st, w["status"].as_str()), (StatusCode::OK, Some("won")), "{w}");
    let (st, o) = t.post(c, &format!("/api/v1/crm/deals/{}/order", d["id"]), json!({"warehouse": s.s.main})).await;
    assert_eq!(st, StatusCode::CREATED, "{o}");
    assert_eq!((o["deal"].as_u64(), o["client"].as_u64(), o["total"].as_str()), (d["id"].as_u64(), Some(cl), Some("285.00")), "{o}");
    let (st, e) = t.post(c, &format!("/api/v1/crm/deals/{}/order", d["id"]), json!({"warehouse": s.s.main})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("deal_has_order")), "{e}");
    let (_, listed) = t.get(c, &format!("/api/v1/crm/orders?deal={}", d["id"])).await;
    assert_eq!(listed[0]["id"], o["id"], "{listed}");

    // The pages, without JavaScript: the deal lists its order, the order shows what it
    // reserves and completes at the till from its form.
    let p = Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@orders3.kg"), ("password", "password-123"), ("next", "/crm/orders")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/crm/orders"));
    let page = p.get("/crm/orders").await.text().await.expect("body");
    assert!(page.contains("orders-list") && page.contains(o["number"].as_str().expect("number")), "orders list page");
    let csrf = csrf_of(&page);
    let page = p.get(&format!("/crm/deals/{}", d["id"])).await.text().await.expect("body");
    assert!(page.contains(&format!("/crm/orders/{}", o["id"])), "the deal page lists its order");
    let page = p.get(&format!("/crm/orders/{}", o["id"])).await.text().await.expect("body");
    assert!(page.contains("order-reserved") && page.contains("order-complete"), "order page");
    let key = page.split("name=\"key\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("key").to_string();
    let cash_box = s.cash_box.to_string();
    let form = [("_csrf", csrf.as_str()), ("key", key.as_str()), ("cash_box", cash_box.as_str()), ("method", "cash"), ("amount", "285")];
    let r = p.post(&format!("/crm/orders/{}/complete", o["id"]), &form).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/crm/orders/{}?ok=order_completed", o["id"]).as_str()));
    let page = p.get(&format!("/crm/orders/{}?ok=order_completed", o["id"])).await.text().await.expect("body");
    assert!(page.contains("data-status=\"completed\"") && page.contains("order-sale"), "completed order links its sale");

    // A salesperson without the orders right sees none of it.
    let (sp, _) = crate::crm::staff(&t, c, "seller@orders3.kg", json!(["crm_deals"])).await;
    let (st, e) = t.get(&sp, "/api/v1/crm/orders").await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (st, _) = t.post(&sp, "/api/v1/crm/orders", json!({"warehouse": s.s.main, "lines": [{"product": s.s.milk}]})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    t.assert_consistent();
}

/// Reads the SSE stream until `want` shows up, or gives up after `secs` seconds.
async fn heard(r: &mut reqwest::Response, want: &str, secs: u64) -> bool {
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    while !seen.contains(want) {
        match tokio::time::timeout_at(deadline, r.chunk()).await {
            Ok(Ok(Some(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            _ => return false,
        }
    }
    true
}

#[tokio::test]
async fn the_live_board_hears_its_own_company_only() {
    let t = TestApp::spawn().await;
    let a = crate::crm::owner(&t, "owner@live-a.kg").await;
    let b = crate::crm::owner(&t, "owner@live-b.kg").await;
    let p = Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@live-a.kg"), ("password", "password-123"), ("next", "/crm")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let mut stream = p.get("/crm/live").await;
    assert_eq!(stream.status().as_u16(), 200);
    // Another company's deal is not heard; the company's own move is.
    let other = deal(&t, &b, json!({"title": "Чужая сделка", "value": "5"})).await;
    assert!(!heard(&mut stream, &format!("\"deal\":{}", other["id"]), 2).await, "another company's deal reached this board");
    let mine = deal(&t, &a, json!({"title": "Своя сделка", "value": "5"})).await;
    assert!(heard(&mut stream, &format!("\"deal\":{}", mine["id"]), 10).await, "the company's new deal reached the board");
    let st = stages(&t, &a).await;
    let (s, _) = t.post(&a, &format!("/api/v1/crm/deals/{}/move", mine["id"]), json!({"stage": st[1]})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(heard(&mut stream, &format!("\"stage\":{}", st[1]), 10).await, "the move reached the board");
    // Without the CRM rights there is no stream.
    let (cashier, _) = crate::crm::staff(&t, &a, "cashier@live-a.kg", json!(["sale"])).await;
    drop(cashier);
    let q = Plain::new(&t);
    let r = q.submit("/login", &[("email", "cashier@live-a.kg"), ("password", "password-456"), ("next", "/")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(q.get("/crm/live").await.status().as_u16(), 403);
}
