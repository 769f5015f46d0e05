//! Stock-change webhooks: signed over the raw body, delivered by the outbox worker with
//! retries and backoff, every attempt in the delivery log; a receiver verifies the signature.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::common::TestApp;
use crate::stock::shop;

pub type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A receiver on 127.0.0.1 that records requests and fails the first `fail_first` of them.
pub async fn receiver(fail_first: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let s = s.clone();
            async move {
                let mut v = s.lock().expect("lock");
                v.push((headers, body.to_vec()));
                if v.len() <= fail_first { AxStatus::INTERNAL_SERVER_ERROR } else { AxStatus::OK }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, seen)
}

/// What an external receiver does: HMAC-SHA256 of the raw bytes with the shared secret.
fn their_check(secret: &str, body: &[u8], header: &str) -> bool {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    header.strip_prefix("sha256=").is_some_and(|hex_sig| hex::decode(hex_sig).is_ok_and(|sig| mac.verify_slice(&sig).is_ok()))
}

#[tokio::test]
async fn stock_changes_are_delivered_signed_with_retries() {
    let t = TestApp::spawn_with(|c| c.webhooks_allow_loopback = true).await;
    let s = shop(&t, "owner@shop.kg").await;
    let (url, seen) = receiver(1).await;
    let (st, hook) = t.post(&s.c, "/api/v1/webhooks", json!({"url": url, "events": ["stock.changed"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().expect("secret").to_string();
    let (st, e) = t.post(&s.c, "/api/v1/webhooks", json!({"url": "ftp://x", "events": ["sold.out"]})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    t.post(
        &s.c,
        "/api/v1/documents",
        json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "5", "cost": "85"}], "post": true}),
    )
    .await;
    assert!(dukan::workers::webhook_once(t.app.clone()).await.expect("worker"));
    let (_, log) = t.get(&s.c, &format!("/api/v1/webhooks/{}/deliveries", hook["id"])).await;
    assert_eq!(
        (log[0]["state"].as_str(), log[0]["attempts"].as_u64(), log[0]["last_error"].as_str()),
        (Some("pending"), Some(1), Some("HTTP 500"))
    );
    assert!(!dukan::workers::webhook_once(t.app.clone()).await.expect("worker"), "backing off: nothing due yet");
    t.clock.advance_ms(5_000);
    assert!(dukan::workers::webhook_once(t.app.clone()).await.expect("worker"));
    let (_, log) = t.get(&s.c, &format!("/api/v1/webhooks/{}/deliveries", hook["id"])).await;
    assert_eq!((log[0]["state"].as_str(), log[0]["status"].as_u64(), log[0]["attempts"].as_u64()), (Some("delivered"), Some(200), Some(2)));

    let requests = seen.lock().expect("lock").clone();
    assert_eq!(requests.len(), 2);
    for (headers, body) in &requests {
        let sig = headers.get("x-dukan-signature").and_then(|v| v.to_str().ok()).expect("signature header");
        assert!(their_check(&secret, body, sig), "the receiver verifies the signature over the raw body");
        assert!(dukan::webhooks::verify(&secret, body, sig));
        assert_eq!(headers.get("x-dukan-event").and_then(|v| v.to_str().ok()), Some("stock.changed"));
        // Any bit flip of the body is caught.
        for i in [0, body.len() / 2, body.len() - 1] {
            let mut flipped = body.clone();
            flipped[i] ^= 0x01;
            assert!(!their_check(&secret, &flipped, sig) && !dukan::webhooks::verify(&secret, &flipped, sig));
        }
        assert!(!dukan::webhooks::verify("another-secret", body, sig));
    }
    let payload: Value = serde_json::from_slice(&requests[1].1).expect("json");
    assert_eq!(payload["event"], "stock.changed");
    assert_eq!(payload["data"]["document"]["number"], "ПР-000001");
    assert_eq!(payload["data"]["items"][0]["qty"], "5");
    assert_eq!(payload["data"]["items"][0]["value"], "425.00");
    t.assert_consistent();
}

#[tokio::test]
async fn an_unreachable_receiver_is_given_up_after_the_last_attempt() {
    let t = TestApp::spawn_with(|c| c.webhooks_allow_loopback = true).await;
    let s = shop(&t, "owner@shop.kg").await;
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/gone", closed.local_addr().expect("addr"));
    drop(closed);
    let (_, hook) = t.post(&s.c, "/api/v1/webhooks", json!({"url": url, "events": ["stock.changed"]})).await;
    t.post(
        &s.c,
        "/api/v1/documents",
        json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "1", "cost": "85"}], "post": true}),
    )
    .await;
    for _ in 0..dukan::webhooks::MAX_ATTEMPTS {
        dukan::workers::webhook_once(t.app.clone()).await.expect("worker");
        t.clock.advance_ms(700_000);
    }
    let c = t.login("owner@shop.kg", "password-123").await;
    let (_, log) = t.get(&c, &format!("/api/v1/webhooks/{}/deliveries", hook["id"])).await;
    assert_eq!((log[0]["state"].as_str(), log[0]["attempts"].as_u64()), (Some("failed"), Some(dukan::webhooks::MAX_ATTEMPTS as u64)));
    // A generic class, never the client library's text with the address and port.
    assert_eq!(log[0]["last_error"].as_str(), Some("connection refused"), "{log}");
    let left = dukan::storage::outbox::due(&t.app.db.read().expect("read"), "webhook", i64::MAX, 10).expect("due");
    assert!(left.is_empty(), "a given-up delivery leaves the outbox");
}

async fn receipt_posted(t: &TestApp, s: &crate::stock::Shop) {
    let (st, doc) = t
        .post(
            &s.c,
            "/api/v1/documents",
            json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "1", "cost": "85"}], "post": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{doc}");
}

#[tokio::test]
async fn webhook_urls_to_the_box_itself_are_refused_on_save() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@shop.kg").await;
    let cases = [
        ("http://127.0.0.1:8080/", "url_forbidden"),
        ("http://localhost/", "url_forbidden"),
        ("http://0x7f000001/", "url_forbidden"),
        ("http://2130706433/", "url_forbidden"),
        ("http://169.254.169.254/", "url_forbidden"),
        ("http://[::1]/", "url_forbidden"),
        ("http://[::ffff:127.0.0.1]/", "url_forbidden"),
        ("http://0.0.0.0:9100/", "url_forbidden"),
        ("http://user:pw@example.com/", "url_userinfo"),
    ];
    for (url, code) in cases {
        let (st, e) = t.post(&s.c, "/api/v1/webhooks", json!({"url": url, "events": ["stock.changed"]})).await;
        assert_eq!(
            (st, e["errors"][0]["field"].as_str(), e["errors"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("url"), Some(code)),
            "{url}: {e}"
        );
    }
    let (st, hook) = t.post(&s.c, "/api/v1/webhooks", json!({"url": "http://192.168.1.20:8000/hook", "events": ["stock.changed"]})).await;
    assert_eq!(st, StatusCode::CREATED, "a LAN receiver stays allowed: {hook}");
    let (st, e) =
        t.put(&s.c, &format!("/api/v1/webhooks/{}", hook["id"]), json!({"url": "http://127.1/", "events": ["stock.changed"]})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("url_forbidden")), "{e}");
    let (_, list) = t.get(&s.c, "/api/v1/webhooks").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["url"], "http://192.168.1.20:8000/hook");

    let lan_off = TestApp::spawn_with(|c| c.webhooks_allow_private = false).await;
    let s = shop(&lan_off, "owner@shop.kg").await;
    let (st, e) =
        lan_off.post(&s.c, "/api/v1/webhooks", json!({"url": "http://192.168.1.20:8000/hook", "events": ["stock.changed"]})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("url_forbidden")), "{e}");
}

#[tokio::test]
async fn a_stored_url_that_now_points_at_the_box_is_not_connected_to() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@shop.kg").await;
    let (url, seen) = receiver(0).await;
    // A row saved before the rules existed (or a name that now resolves to loopback): the
    // worker vets the address again when it connects.
    let company = s.c.company_id();
    let url = url.replace("127.0.0.1", "localhost");
    let hook = t
        .app
        .db
        .write(move |tx| {
            let id = tx.next_id()?;
            let hook = dukan::webhooks::Webhook {
                id,
                url,
                secret: "s".into(),
                events: vec!["stock.changed".into()],
                active: true,
                created: crate::common::START,
            };
            tx.insert(dukan::webhooks::HOOKS, (company, id), &hook)?;
            Ok::<_, dukan::error::Error>(id)
        })
        .await
        .expect("stored");
    receipt_posted(&t, &s).await;
    assert!(dukan::workers::webhook_once(t.app.clone()).await.expect("worker"));
    assert!(seen.lock().expect("lock").is_empty(), "nothing reached the receiver on this machine");
    let (_, log) = t.get(&s.c, &format!("/api/v1/webhooks/{hook}/deliveries")).await;
    assert_eq!((log[0]["state"].as_str(), log[0]["last_error"].as_str()), (Some("pending"), Some("address not allowed")), "{log}");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let t = TestApp::spawn_with(|c| c.webhooks_allow_loopback = true).await;
    let s = shop(&t, "owner@shop.kg").await;
    let (target, seen) = receiver(0).await;
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let target = target.clone();
            async move { (AxStatus::FOUND, [(axum::http::header::LOCATION, target)]) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let (st, hook) = t.post(&s.c, "/api/v1/webhooks", json!({"url": url, "events": ["stock.changed"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{hook}");
    receipt_posted(&t, &s).await;
    assert!(dukan::workers::webhook_once(t.app.clone()).await.expect("worker"));
    assert!(seen.lock().expect("lock").is_empty(), "the redirect target was never called");
    let (_, log) = t.get(&s.c, &format!("/api/v1/webhooks/{}/deliveries", hook["id"])).await;
    assert_eq!((log[0]["state"].as_str(), log[0]["last_error"].as_str()), (Some("pending"), Some("HTTP 302")), "{log}");
}
