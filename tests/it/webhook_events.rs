//! Outgoing events beyond stock (issue 16, second slice): a sale, a return, a debt repayment,
//! an installment, a shift close and product changes each reach a subscribed endpoint signed,
//! with the documented payload; unsubscribed and disabled endpoints get nothing; a rotated
//! secret signs from then on and is shown once; the webhooks page manages endpoints and shows
//! the delivery log; another company's endpoint is a 404 on every page.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of, location};
use crate::common::TestApp;
use crate::pos::till;
use crate::webhooks::{Seen, receiver};

/// Runs the webhook worker until nothing is due.
async fn drain(t: &TestApp) {
    for _ in 0..50 {
        if !dukan::workers::webhook_once(t.app.clone()).await.expect("worker") {
            return;
        }
    }
    panic!("the webhook outbox did not drain");
}

/// (event, data) of every request received, each checked against `secret`.
fn received(seen: &Seen, secret: &str) -> Vec<(String, Value)> {
    seen.lock()
        .expect("lock")
        .iter()
        .map(|(headers, body)| {
            let sig = headers.get("x-dukan-signature").and_then(|v| v.to_str().ok()).expect("signature");
            assert!(dukan::webhooks::verify(secret, body, sig), "signed with the endpoint's current secret");
            let v: Value = serde_json::from_slice(body).expect("json");
            assert_eq!(headers.get("x-dukan-event").and_then(|h| h.to_str().ok()), v["event"].as_str());
            assert_eq!(headers.get("x-dukan-delivery").and_then(|h| h.to_str().ok()), Some(v["delivery"].to_string().as_str()));
            (v["event"].as_str().unwrap_or("").to_string(), v["data"].clone())
        })
        .collect()
}

#[tokio::test]
async fn sales_returns_debts_shifts_and_products_become_signed_events() {
    let t = TestApp::spawn_with(|c| c.webhooks_allow_loopback = true).await;
    let k = till(&t, "events@shop.kg").await;
    let c = &k.s.c;
    let (all_url, all_seen) = receiver(0).await;
    let (sales_url, sales_seen) = receiver(0).await;
    let (off_url, off_seen) = receiver(0).await;
    let every = ["sale.created", "sale.returned", "shift.closed", "debt.paid", "product.changed"];
    let (st, all) = t.post(c, "/api/v1/webhooks", json!({"url": all_url, "events": every})).await;
    assert_eq!(st, StatusCode::CREATED, "{all}");
    let secret = all["secret"].as_str().expect("the secret, once").to_string();
    let (_, only_sales) = t.post(c, "/api/v1/webhooks", json!({"url": sales_url, "events": ["sale.created"]})).await;
    let sales_secret = only_sales["secret"].as_str().expect("secret").to_string();
    let (_, off) = t.post(c, "/api/v1/webhooks", json!({"url": off_url, "events": every, "active": false})).await;
    assert_eq!(off["active"], false);
    let (_, listed) = t.get(c, "/api/v1/webhooks").await;
    assert!(listed.as_array().expect("list").iter().all(|h| h.get("secret").is_none()), "never listed again: {listed}");
    let (_, events) = t.get(c, "/api/v1/webhooks/events").await;
    for e in every {
        assert!(events.as_array().expect("events").iter().any(|x| x == e), "{e} in {events}");
    }
    let (st, e) = t.post(c, "/api/v1/webhooks", json!({"url": all_url, "events": ["sale.deleted"]})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_event")), "{e}");

    // A product edit, a sale on credit to a client, a cash sale, its return, a repayment, an
    // installment, and the shift's close.
    let (st, p) = t
        .put(
            c,
            &format!("/api/v1/products/{}", k.s.milk),
            json!({"name": "Молоко 1 л", "barcodes": ["4600682000358"], "purchase_price": "85", "markup": "20"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let (_, cl) = t.post(c, "/api/v1/clients", json!({"name": "Асан Усенов", "phone": "0555 000 111"})).await;
    let client = cl["client"]["id"].as_u64().expect("client");
    let (st, credit) = t
        .post(
            c,
            "/api/v1/sales",
            json!({"idempotency_key": "e-1", "cash_box": k.cash_box, "client": client, "lines": [{"product": k.s.milk, "qty": "2"}], "payments": [{"method": "debt", "amount": "204"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{credit}");
    let (st, sale) = t
        .post(
            c,
            "/api/v1/sales",
            json!({"idempotency_key": "e-2", "cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "1"}], "payments": [{"method": "cash", "amount": "102"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");
    let (st, ret) = t
        .post(
            c,
            &format!("/api/v1/sales/{}/returns", sale["id"]),
            json!({"idempotency_key": "r-1", "lines": [{"line": 0, "qty": "1"}], "method": "cash", "reason": "брак"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{ret}");
    let (st, paid) = t
        .post(
            c,
            &format!("/api/v1/clients/{client}/debts/payments"),
            json!({"idempotency_key": "p-1", "amount": "100", "method": "cash", "cash_box": k.cash_box}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{paid}");
    let (st, deal) = t
        .post(
            c,
            &format!("/api/v1/clients/{client}/deals"),
            json!({"kind": "debt", "title": "Холодильник", "amount": "3000", "months": 3, "first_due": "2026-01-31"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{deal}");
    let (st, dp) = t.post(c, &format!("/api/v1/deals/{}/pay", deal["id"]), json!({"idempotency_key": "i-1"})).await;
    assert_eq!(st, StatusCode::OK, "{dp}");
    let (_, x) = t.get(c, &format!("/api/v1/shifts/{}", k.shift)).await;
    let (st, z) = t.post(c, &format!("/api/v1/shifts/{}/close", k.shift), json!({"closing_cash": x["expected_cash"]})).await;
    assert_eq!(st, StatusCode::OK, "{z}");
    drain(&t).await;

    let got = received(&all_seen, &secret);
    let names: Vec<&str> = got.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        ["product.changed", "sale.created", "sale.created", "sale.returned", "debt.paid", "debt.paid", "shift.closed"],
        "every event once, in commit order"
    );
    let data = |i: usize| &got[i].1;
    assert_eq!(
        (data(0)["action"].as_str(), data(0)["name"].as_str(), data(0)["price"].as_str()),
        (Some("updated"), Some("Молоко 1 л"), Some("102.00"))
    );
    assert_eq!(
        (data(1)["number"].as_str(), data(1)["client"].as_u64(), data(1)["total"].as_str()),
        (Some("П-000001"), Some(client), Some("204.00"))
    );
    assert_eq!(data(1)["payments"], json!([{"method": "debt", "amount": "204.00"}]));
    assert_eq!((data(1)["lines"][0]["qty"].as_str(), data(1)["lines"][0]["amount"].as_str()), (Some("2"), Some("204.00")));
    assert!(data(1)["lines"][0].get("cost").is_none(), "no cost figures leave the box");
    assert_eq!(
        (data(3)["sale"].as_u64(), data(3)["amount"].as_str(), data(3)["reason"].as_str()),
        (sale["id"].as_u64(), Some("102.00"), Some("брак"))
    );
    assert_eq!(data(3)["lines"][0]["product"].as_u64(), Some(k.s.milk));
    assert_eq!(
        (data(4)["kind"].as_str(), data(4)["amount"].as_str(), data(4)["owed"].as_str()),
        (Some("debt"), Some("100.00"), Some("104.00"))
    );
    assert_eq!(
        (data(5)["kind"].as_str(), data(5)["deal"].as_u64(), data(5)["installment"].as_u64()),
        (Some("installment"), deal["id"].as_u64(), Some(1))
    );
    assert_eq!((data(6)["id"].as_u64(), data(6)["difference"].as_str(), data(6)["sales"].as_u64()), (Some(k.shift), Some("0.00"), Some(2)));

    let only: Vec<String> = received(&sales_seen, &sales_secret).into_iter().map(|(e, _)| e).collect();
    assert_eq!(only, ["sale.created", "sale.created"], "only what it subscribed to");
    assert!(off_seen.lock().expect("lock").is_empty(), "a disabled endpoint gets nothing");

    // A rotated secret is shown once and signs what is sent from then on.
    let (st, rotated) = t.post(c, &format!("/api/v1/webhooks/{}/rotate", all["id"]), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{rotated}");
    let fresh = rotated["secret"].as_str().expect("the new secret").to_string();
    assert_ne!(fresh, secret);
    all_seen.lock().expect("lock").clear();
    let (st, _) = t.post(c, "/api/v1/products", json!({"name": "Кефир", "price": "60"})).await;
    assert_eq!(st, StatusCode::CREATED);
    drain(&t).await;
    let got = received(&all_seen, &fresh);
    assert_eq!((got.len(), got[0].1["action"].as_str()), (1, Some("created")));
    let (headers, body) = all_seen.lock().expect("lock")[0].clone();
    let sig = headers.get("x-dukan-signature").and_then(|v| v.to_str().ok()).expect("sig").to_string();
    assert!(!dukan::webhooks::verify(&secret, &body, &sig), "the old secret no longer verifies");
    t.assert_consistent();
}

#[tokio::test]
async fn the_webhooks_page_creates_disables_rotates_and_shows_the_log() {
    let t = TestApp::spawn_with(|c| c.webhooks_allow_loopback = true).await;
    let k = till(&t, "page@shop.kg").await;
    let (url, _seen) = receiver(1).await;
    let p = Plain::new(&t);
    let r = p.submit("/login", &[("email", "page@shop.kg"), ("password", "password-123")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let html = p.get("/webhooks").await.text().await.expect("page");
    assert!(html.contains("id=\"webhook-form\"") && html.contains("value=\"sale.created\""), "the form lists the events");
    let csrf = csrf_of(&html);

    // Refused: no events chosen; the typed URL comes back with the message beside the field.
    let r = p.post("/webhooks", &[("_csrf", &csrf), ("url", &url)]).await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.expect("body");
    assert!(body.contains("id=\"e-events\"") && body.contains(&url), "{body}");
    let r = p.post("/webhooks", &[("_csrf", &csrf), ("url", "ftp://x"), ("events", "sale.created")]).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.expect("body").contains("id=\"e-url\""));

    // Created: the secret is on the answer, once.
    let r = p.post("/webhooks", &[("_csrf", &csrf), ("url", &url), ("events", "sale.created"), ("events", "shift.closed")]).await;
    assert_eq!(r.status().as_u16(), 201);
    let body = r.text().await.expect("body");
    let secret = body.split("id=\"secret-value\">").nth(1).and_then(|s| s.split('<').next()).expect("secret shown").to_string();
    assert_eq!(secret.len(), 64, "{secret}");
    let (_, hooks) = t.get(&k.s.c, "/api/v1/webhooks").await;
    let id = hooks[0]["id"].as_u64().expect("id");
    assert_eq!(hooks[0]["events"], json!(["sale.created", "shift.closed"]));
    let page = p.get(&format!("/webhooks/{id}")).await.text().await.expect("page");
    assert!(!page.contains(&secret), "never shown again");

    // A sale whose first delivery fails: the log shows the retry with its attempt count.
    let (st, _) = t
        .post(
            &k.s.c,
            "/api/v1/sales",
            json!({"idempotency_key": "w-1", "cash_box": k.cash_box, "lines": [{"product": k.s.milk}], "payments": [{"method": "cash", "amount": "102"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    assert!(dukan::workers::webhook_once(t.app.clone()).await.expect("worker"));
    let page = p.get(&format!("/webhooks/{id}")).await.text().await.expect("page");
    assert!(page.contains("data-state=\"pending\" data-attempts=\"1\"") && page.contains("HTTP 500"), "{page}");
    t.clock.advance_ms(5_000);
    drain(&t).await;
    let page = p.get(&format!("/webhooks/{id}")).await.text().await.expect("page");
    assert!(page.contains("data-state=\"delivered\" data-attempts=\"2\""), "{page}");

    // Events changed, disabled, rotated, deleted.
    let r = p.post(&format!("/webhooks/{id}"), &[("_csrf", &csrf), ("url", &url), ("events", "debt.paid")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/webhooks/{id}?ok=webhook_saved").as_str()));
    let r = p.post(&format!("/webhooks/{id}/active"), &[("_csrf", &csrf), ("active", "0")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, hooks) = t.get(&k.s.c, "/api/v1/webhooks").await;
    assert_eq!((hooks[0]["events"].clone(), hooks[0]["active"].clone()), (json!(["debt.paid"]), json!(false)));
    let r = p.post(&format!("/webhooks/{id}/rotate"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.expect("body");
    let fresh = body.split("id=\"secret-value\">").nth(1).and_then(|s| s.split('<').next()).expect("new secret").to_string();
    assert_ne!(fresh, secret);
    let r = p.post(&format!("/webhooks/{id}/rotate"), &[("url", &url)]).await;
    assert_eq!(r.status().as_u16(), 403, "no CSRF token, no rotation");

    // Another company's owner: every page of this endpoint is a 404.
    t.company("Другая", "other@shop.kg", "password-123").await;
    let q = Plain::new(&t);
    q.submit("/login", &[("email", "other@shop.kg"), ("password", "password-123")]).await;
    let other_csrf = csrf_of(&q.get("/webhooks").await.text().await.expect("page"));
    assert_eq!(q.get(&format!("/webhooks/{id}")).await.status().as_u16(), 404);
    for path in
        [format!("/webhooks/{id}"), format!("/webhooks/{id}/active"), format!("/webhooks/{id}/rotate"), format!("/webhooks/{id}/delete")]
    {
        let r =
            q.post(&path, &[("_csrf", &other_csrf), ("url", "https://example.com/x"), ("events", "sale.created"), ("active", "1")]).await;
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }
    let (_, hooks) = t.get(&k.s.c, "/api/v1/webhooks").await;
    assert_eq!(hooks[0]["active"], false, "untouched by the other company");

    let r = p.post(&format!("/webhooks/{id}/delete"), &[("_csrf", &csrf)]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/webhooks?ok=webhook_deleted"));
    assert_eq!(p.get(&format!("/webhooks/{id}")).await.status().as_u16(), 404);
    t.assert_consistent();
}
