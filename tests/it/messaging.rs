//! Messaging against a fake Meta: a local axum server that answers the Cloud API's
//! `POST /{phone_number_id}/messages` as documented and records every call, and helpers that
//! post webhooks to the box signed as Meta signs them. Covers the verification challenge,
//! signature fuzz, dedupe of replayed message ids, statuses, the 24-hour window at its edges,
//! replies reaching the fake correctly shaped, failures with Meta's error text, templates,
//! notes, assignment and notifications, the client link, rights, bad input and tenant
//! isolation of every route (a webhook for one company never lands in another).

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

pub const APP_SECRET: &str = "meta-app-secret-1";
pub const VERIFY: &str = "verify-me-123";
pub const TOKEN: &str = "EAAG-access-token";

/// One call the fake received: path, `Authorization` header, JSON body.
pub type Calls = Arc<Mutex<Vec<(String, String, Value)>>>;

/// The fake Cloud API. `answer` decides each call's status and body from its number (0-based).
pub struct FakeMeta {
    pub base: String,
    pub calls: Calls,
}

pub async fn fake_meta(answer: fn(usize) -> (u16, Value)) -> FakeMeta {
    let calls: Calls = Arc::default();
    let seen = calls.clone();
    let app = axum::Router::new().route(
        "/{pnid}/messages",
        axum::routing::post(move |axum::extract::Path(pnid): axum::extract::Path<String>, headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let n = {
                    let mut v = seen.lock().expect("lock");
                    v.push((format!("/{pnid}/messages"), auth, json));
                    v.len() - 1
                };
                let (status, body) = answer(n);
                (AxStatus::from_u16(status).expect("status"), axum::Json(body))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}/v21.0", listener.local_addr().expect("addr"));
    let app = axum::Router::new().nest("/v21.0", app);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    FakeMeta { base, calls }
}

/// Meta's success answer, with a message id per call.
pub fn accepted(n: usize) -> (u16, Value) {
    (
        200,
        json!({"messaging_product": "whatsapp", "contacts": [{"input": "996555123456", "wa_id": "996555123456"}], "messages": [{"id": format!("wamid.OUT{n}")}]}),
    )
}

/// A server whose Cloud API base is the fake's, allowed to reach it on loopback.
pub async fn spawn(meta: &FakeMeta) -> TestApp {
    let base = meta.base.clone();
    TestApp::spawn_with(move |c| {
        c.webhooks_allow_loopback = true;
        c.meta_graph_url = base;
    })
    .await
}

/// Creates a WhatsApp channel; returns (channel id, webhook path).
pub async fn channel(t: &TestApp, c: &Client, pnid: &str) -> (u64, String) {
    let (st, ch) = t
        .post(
            c,
            "/api/v1/messaging/channels",
            json!({"name": "WhatsApp магазина", "phone_number_id": pnid, "access_token": TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{ch}");
    (ch["id"].as_u64().expect("id"), ch["webhook_path"].as_str().expect("path").to_string())
}

pub fn sign(secret: &str, body: &[u8]) -> String {
    dukan::webhooks::sign(secret, body)
}

/// A webhook body with one text message.
pub fn text_body(pnid: &str, from: &str, wamid: &str, text: &str, at_s: i64) -> String {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "996700000000", "phone_number_id": pnid},
        "contacts": [{"profile": {"name": "Айгуль"}, "wa_id": from}],
        "messages": [{"from": from, "id": wamid, "timestamp": at_s.to_string(), "type": "text", "text": {"body": text}}]
    }}]}]})
    .to_string()
}

pub fn status_body(pnid: &str, wamid: &str, status: &str) -> String {
    let mut s = json!({"id": wamid, "status": status, "timestamp": "1", "recipient_id": "996555123456"});
    if status == "failed" {
        s["errors"] = json!([{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "more than 24 hours"}}]);
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "996700000000", "phone_number_id": pnid}, "statuses": [s]
    }}]}]})
    .to_string()
}

/// Posts a webhook body with a signature header as given.
pub async fn post_raw(t: &TestApp, path: &str, body: &[u8], signature: &str) -> StatusCode {
    t.http
        .post(t.url(path))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_vec())
        .send()
        .await
        .expect("post")
        .status()
}

/// Posts a correctly signed body and lets the worker process it.
pub async fn deliver(t: &TestApp, path: &str, body: &str) {
    assert_eq!(post_raw(t, path, body.as_bytes(), &sign(APP_SECRET, body.as_bytes())).await, StatusCode::OK);
    drain(t).await;
}

pub async fn drain(t: &TestApp) {
    while dukan::workers::messaging_once(t.app.clone()).await.expect("worker") {}
}

fn now_s(t: &TestApp) -> i64 {
    t.app.now().0 / 1000
}

/// The field error's code when there is one, else the problem's.
pub fn code(v: &Value) -> String {
    v["errors"][0]["code"].as_str().or(v["code"].as_str()).unwrap_or_default().to_string()
}

async fn first_conversation(t: &TestApp, c: &Client) -> Value {
    let (st, list) = t.get(c, "/api/v1/messaging/conversations").await;
    assert_eq!(st, StatusCode::OK, "{list}");
    list[0].clone()
}

pub async fn messages(t: &TestApp, c: &Client, conv: u64) -> Vec<Value> {
    let (st, list) = t.get(c, &format!("/api/v1/messaging/conversations/{conv}/messages")).await;
    assert_eq!(st, StatusCode::OK, "{list}");
    list.as_array().cloned().unwrap_or_default()
}

fn inbound_rows(t: &TestApp) -> u64 {
    let tx = t.app.db.read().expect("read");
    tx.len(dukan::messaging::store::INBOUND).expect("len") + dukan::storage::outbox::pending(&tx).expect("outbox")
}

/// A staff user holding exactly `perms`, signed in.
pub async fn staff(t: &TestApp, owner: &Client, email: &str, perms: &[&str]) -> (Client, u64) {
    let (st, r) = t.post(owner, "/api/v1/roles", json!({"name": format!("Роль {email}"), "permissions": perms})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (_, branches) = t.get(owner, "/api/v1/branches").await;
    let (st, u) = t
        .post(
            owner,
            "/api/v1/users",
            json!({"name": email, "email": email, "password": "password-123", "role": "staff", "custom_role": r["id"], "branches": [branches[0]["id"]]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    (t.login(email, "password-123").await, u["user"]["id"].as_u64().expect("user id"))
}

#[tokio::test]
async fn the_verification_challenge_answers_only_subscribe_with_the_right_token() {
    let meta = fake_meta(accepted).await;
    let t = spawn(&meta).await;
    let c = t.first_run("owner@wa.kg", "password-123").await;
    let (id, path) = channel(&t, &c, "1065403522").await;
    let get = |q: String| {
        let url = t.url(&format!("{path}?{q}"));
        let http = t.http.clone();
        async move {
            let r = http.get(url).send().await.expect("get");
            (r.status(), r.text().await.expect("text"))
        }
    };
    let (st, body) = get(format!("hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444")).await;
    assert_eq!((st, body.as_str()), (StatusCode::OK, "1158201444"));
    for q in [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".to_string(),
        format!("hub.mode=unsubscribe&hub.verify_token={VERIFY}&hub.challenge=1"),
        format!("hub.verify_token={VERIFY}&hub.challenge=1"),
        format!("hub.mode=subscribe&hub.verify_token={VERIFY}x&hub.challenge=1"),
        format!("hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge="),
    ] {
        let (st, body) = get(q.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{q}: {body}");
    }
    let other = t.url(&format!(
        "/api/v1/messaging/webhooks/{}/{}?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=5",
        c.company_id() + 1000,
        id
    ));
    assert_eq!(t.http.get(other).send().await.expect("get").status(), StatusCode::NOT_FOUND);
    let other = t.url(&format!(
        "/api/v1/messaging/webhooks/{}/{}?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=5",
        c.company_id(),
        id + 1000
    ));
    assert_eq!(t.http.get(other).send().await.expect("get").status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn any_flipped_bit_in_body_or_signature_is_refused_and_nothing_is_stored() {
    let meta = fake_meta(accepted).await;
    let t = spawn(&meta).await;
    let c = t.first_run("owner@wa.kg", "password-123").await;
    let (_, path) = channel(&t, &c, "1065403522").await;
    let body = text_body("1065403522", "996555123456", "wamid.IN1", "Салам! Есть молоко?", now_s(&t));
    let good = sign(APP_SECRET, body.as_bytes());
    let before = inbound_rows(&t);
    // Every bit of the signature header.
    for i in 0..good.len() {
        for bit in 0..8 {
            let mut h = good.clone().into_bytes();
            h[i] ^= 1 << bit;
            let Ok(h) = String::from_utf8(h) else { continue };
            if axum::http::HeaderValue::from_str(&h).is_err() {
                continue;
            }
            assert_eq!(post_raw(&t, &path, body.as_bytes(), &h).await, StatusCode::UNAUTHORIZED, "header byte {i} bit {bit}");
        }
    }
    // Bits of the body, spread over all of it.
    let bytes = body.as_bytes();
    for k in (0..bytes.len() * 8).step_by(13) {
        let mut b = bytes.to_vec();
        b[k / 8] ^= 1 << (k % 8);
        assert_eq!(post_raw(&t, &path, &b, &good).await, StatusCode::UNAUTHORIZED, "body bit {k}");
    }
    assert_eq!(post_raw(&t, &path, bytes, "").await, StatusCode::UNAUTHORIZED, "no header");
    assert_eq!(post_raw(&t, &path, bytes, &sign("another-secret", bytes)).await, StatusCode::UNAUTHORIZED, "wrong secret");
    assert_eq!(inbound_rows(&t), before, "nothing stored");
    // Too large a body is refused before it is read.
    let big = vec![b' '; dukan::messaging::WEBHOOK_BODY_LIMIT + 1];
    assert_eq!(post_raw(&t, &path, &big, &sign(APP_SECRET, &big)).await, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(inbound_rows(&t), before);
    // The untouched body goes in.
    assert_eq!(post_raw(&t, &path, bytes, &good).await, StatusCode::OK);
    assert_eq!(inbound_rows(&t), before + 2, "the raw event and its outbox job");
    drain(&t).await;
    assert_eq!(inbound_rows(&t), before, "processed and removed");
    let conv = first_conversation(&t, &c).await;
    assert_eq!(conv["phone"], "+996555123456");
    assert_eq!(conv["name"], "Айгуль");
    assert_eq!(conv["unread"], 1);
    t.assert_consistent();
}

#[tokio::test]
async fn a_replayed_message_id_is_stored_once_and_statuses_only_move_forward() {
    let meta = fake_meta(accepted).await;
    let t = spawn(&meta).await;
    let c = t.first_run("owner@wa.kg", "password-123").await;
    let (_, path) = channel(&t, &c, "1065403522").await;
    let body = text_body("1065403522", "996555123456", "wamid.IN1", "Салам!", now_s(&t));
    for _ in 0..3 {
        deliver(&t, &path, &body).await;
    }
    let conv = first_conversation(&t, &c).await;
    let id = conv["id"].as_u64().expect("id");
    assert_eq!(messages(&t, &c, id).await.len(), 1, "stored once");
    assert_eq!(conv["unread"], 1);

    // The reply reaches the fake as the Cloud API documents it.
    let (st, m) = t.post(&c, &format!("/api/v1/messaging/conversations/{id}/messages"), json!({"text": "Есть, 2 литра"})).await;
    assert_eq!((st, m["state"].as_str()), (StatusCode::ACCEPTED, Some("queued")), "{m}");
    drain(&t).await;
    let calls = meta.calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, "/1065403522/messages");
    assert_eq!(calls[0].1, format!("Bearer {TOKEN}"));
    assert_eq!(
        calls[0].2,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "996555123456", "type": "text", "text": {"preview_url": false, "body": "Есть, 2 литра"}})
    );
    let out = messages(&t, &c, id).await.into_iter().find(|m| m["direction"] == "out").expect("out");
    assert_eq!((out["state"].as_str(), out["wamid"].as_str()), (Some("sent"), Some("wamid.OUT0")));

    // Out of order: read before delivered; a late "sent" changes nothing.
    for (status, want) in [("read", "read"), ("delivered", "read"), ("sent", "read")] {
        deliver(&t, &path, &status_body("1065403522", "wamid.OUT0", status)).await;
        let out = messages(&t, &c, id).await.into_iter().find(|m| m["direction"] == "out").expect("out");
        assert_eq!(out["state"], want, "after {status}");
    }
    // Failed wins even after read, with Meta's error text, and stays.
    deliver(&t, &path, &status_body("1065403522", "wamid.OUT0", "failed")).await;
    deliver(&t, &path, &status_body("1065403522", "wamid.OUT0", "delivered")).await;
    let out = messages(&t, &c, id).await.into_iter().find(|m| m["direction"] == "out").expect("out");
    assert_eq!(out["state"], "failed");
    assert_eq!(out["error"], "131047 Re-engagement message: more than 24 hours");
    // A status naming another channel's number is dropped.
    let (_, m2) = t.post(&c, &format!("/api/v1/messaging/conversations/{id}/messages"), json!({"text": "Ещё?"})).await;
    drain(&t).await;
    deliver(&t, &path, &status_body("999", "wamid.OUT1", "read")).await;
    let out = messages(&t, &c, id).await.into_iter().find(|x| x["id"] == m2["id"]).expect("second");
    assert_eq!(out["state"], "sent");
    t.assert_consistent();
}

#[tokio::test]
async fn the_24_hour_window_at_its_edges_and_templates_outside_it() {
    let meta = fake_meta(accepted).await;
    let t = spawn(&meta).await;
    let c = t.first_run("owner@wa.kg", "password-123").await;
    let (_, path) = channel(&t, &c, "1065403522").await;
    deliver(&t, &path, &text_body("1065403522", "996555123456", "wamid.IN1", "Салам!", now_s(&t))).await;
    let id = first_conversation(&t, &c).await["id"].as_u64().expect("id");
    let send = format!("/api/v1/messaging/conversations/{id}/messages");

    t.clock.advance_ms(24 * 3_600_000 - 1);
    // Access tokens last 15 minutes: sign in again after moving the clock.
    let c = t.login("owner@wa.kg", "password-123").await;
    let (st, conv) = t.get(&c, &format!("/api/v1/messaging/conversations/{id}")).await;
    assert_eq!((st, conv["window_open"].as_bool()), (StatusCode::OK, Some(true)), "{conv}");
    let (st, m) = t.post(&c, &send, json!({"text": "В последнюю миллисекунду"})).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{m}");

    t.clock.advance_ms(1);
    let c = t.login("owner@wa.kg", "password-123").await;
    let (_, conv) = t.get(&c, &format!("/api/v1/messaging/conversations/{id}")).await;
    assert_eq!(conv["window_open"], false);
    let (st, e) = t.post(&c, &send, json!({"text": "Слишком поздно"})).await;
    assert_eq!((st, code(&e).as_str()), (StatusCode::CONFLICT, "window_closed"), "{e}");

    let (st, tpl) = t
        .post(
            &c,
            "/api/v1/messaging/templates",
            json!({"name": "payment_due", "language": "ru", "body": "Здравствуйте, {{1}}! Платёж {{2}} завтра."}),
        )
        .await;
    assert_eq!((st, tpl["params"].as_u64()), (StatusCode::CREATED, Some(2)), "{tpl}");
    let (st, e) = t.post(&c, &send, json!({"template": tpl["id"], "params": ["Айгуль"]})).await;
    assert_eq!((st, code(&e).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "template_params"), "{e}");
    let (st, m) = t.post(&c, &send, json!({"template": tpl["id"], "params": ["Айгуль", "1 500 сом"]})).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{m}");
    assert_eq!(m["text"], "Здравствуйте, Айгуль! Платёж 1 500 сом завтра.");
    drain(&t).await;
    let calls = meta.calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 2);
    assert_eq!(
        calls[1].2,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "996555123456", "type": "template",
               "template": {"name": "payment_due", "language": {"code": "ru"}, "components": [{"type": "body", "parameters": [{"type": "text", "text": "Айгуль"}, {"type": "text", "text": "1 500 сом"}]}]}})
    );
    // A new inbound message opens the window again.
    deliver(&t, &path, &text_body("1065403522", "996555123456", "wamid.IN2", "Спасибо", now_s(&t))).await;
    let (st, _) = t.post(&c, &send, json!({"text": "Пожалуйста"})).await;
    assert_eq!(st, StatusCode::ACCEPTED);
}

fn refuse_token(_: usize) -> (u16, Value) {
    (400, json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "A"}}))
}

fn unavailable(_: usize) -> (u16, Value) {
    (503, json!({"error": {"message": "Service temporarily unavailable", "code": 2}}))
}

#[tokio::test]
async fn a_refused_send_fails_with_metas_error_and_an_unavailable_api_is_retried_with_backoff() {
    for (answer, retried) in [(refuse_token as fn(usize) -> (u16, Value), false), (unavailable, true)] {
        let meta = fake_meta(answer).await;
        let t = spawn(&meta).await;
        let c = t.first_run("owner@wa.kg", "password-123").await;
        let (_, path) = channel(&t, &c, "1065403522").await;
        deliver(&t, &path, &text_body("1065403522", "996555123456", "wamid.IN1", "Салам!", now_s(&t))).await;
        let id = first_conversation(&t, &c).await["id"].as_u64().expect("id");
        let (st, _) = t.post(&c, &format!("/api/v1/messaging/conversations/{id}/messages"), json!({"text": "Ответ"})).await;
        assert_eq!(st, StatusCode::ACCEPTED);
        drain(&t).await;
        let out = || async { messages(&t, &c, id).await.into_iter().find(|m| m["direction"] == "out").expect("out") };
        if !retried {
            let m = out().await;
            assert_eq!((m["state"].as_str(), m["error"].as_str()), (Some("failed"), Some("190 Invalid OAuth access token.")));
            continue;
        }
        assert_eq!(out().await["state"], "queued", "kept for a retry");
        assert_eq!(meta.calls.lock().expect("lock").len(), 1);
        drain(&t).await;
        assert_eq!(meta.calls.lock().expect("lock").len(), 1, "backing off: nothing due yet");
        for _ in 0..dukan::messaging::MAX_SEND_ATTEMPTS {
            t.clock.advance_ms(700_000);
            drain(&t).await;
        }
        let c = t.login("owner@wa.kg", "password-123").await;
        let m = messages(&t, &c, id).await.into_iter().find(|m| m["direction"] == "out").expect("out");
        assert_eq!((m["state"].as_str(), m["error"].as_str()), (Some("failed"), Some("2 Service temporarily unavailable")));
        assert_eq!(meta.calls.lock().expect("lock").len(), dukan::messaging::MAX_SEND_ATTEMPTS as usize);
    }
}

#[tokio::test]
async fn notes_assignment_notifications_and_the_client_link() {
    let meta = fake_meta(accepted).await;
    let t = spawn(&meta).await;
    let c = t.first_run("owner@wa.kg", "password-123").await;
    let (agent, agent_id) = staff(&t, &c, "agent@wa.kg", &["inbox", "clients"]).await;
    let (_cashier, _) = staff(&t, &c, "cashier@wa.kg", &["cashier"]).await;
    let (st, client) = t.post(&c, "/api/v1/clients", json!({"kind": "client", "name": "Айгуль Осмонова", "phone": "0555 123 456"})).await;
    assert_eq!(st, StatusCode::CREATED, "{client}");
    let (_, path) = channel(&t, &c, "1065403522").await;
    deliver(&t, &path, &text_body("1065403522", "996555123456", "wamid.IN1", "Салам!", now_s(&t))).await;
    deliver(&t, &path, &text_body("1065403522", "996555123456", "wamid.IN2", "Есть молоко?", now_s(&t))).await;
    let conv = first_conversation(&t, &agent).await;
    let id = conv["id"].as_u64().expect("id");
    assert_eq!(conv["client"], client["client"]["id"], "linked by phone");
    assert_eq!(conv["unread"], 2);

    // Unassigned: every inbox user hears of it once (not per message), the cashier not at all.
    let (_, n) = t.get(&agent, "/api/v1/messaging/notifications").await;
    assert_eq!((n["unread"].as_u64(), n["items"][0]["link"].as_str()), (Some(1), Some(format!("/inbox/{id}").as_str())), "{n}");
    let (_, n) = t.get(&c, "/api/v1/messaging/notifications").await;
    assert_eq!(n["unread"], 1);
    let (_, n) = t.get(&_cashier, "/api/v1/messaging/notifications").await;
    assert_eq!(n["unread"], 0);

    // The agent takes it; assigning someone else needs the admin right.
    let (st, v) = t.post(&agent, &format!("/api/v1/messaging/conversations/{id}/assign"), json!({"user": agent_id})).await;
    assert_eq!((st, v["assignee"].as_u64()), (StatusCode::OK, Some(agent_id)), "{v}");
    let owner_id = c.body["user"]["id"].as_u64().expect("owner id");
    let (st, _) = t.post(&agent, &format!("/api/v1/messaging/conversations/{id}/assign"), json!({"user": owner_id})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, e) = t.post(&c, &format!("/api/v1/messaging/conversations/{id}/assign"), json!({"user": 999_999})).await;
    assert_eq!((st, code(&e).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "not_an_agent"), "{e}");
    let (st, _) = t.post(&c, &format!("/api/v1/messaging/conversations/{id}/assign"), json!({"user": owner_id})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = t.post(&c, &format!("/api/v1/messaging/conversations/{id}/assign"), json!({"user": agent_id})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, n) = t.get(&agent, "/api/v1/messaging/notifications").await;
    assert_eq!(n["unread"], 2, "assigned by someone else: told");

    // Read one, then all.
    let first = n["items"][0]["id"].as_u64().expect("id");
    assert_eq!(
        t.call(Method::POST, &format!("/api/v1/messaging/notifications/{first}/read"), Some(&agent.token), None).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, n) = t.get(&agent, "/api/v1/messaging/notifications").await;
    assert_eq!(n["unread"], 1);
    assert_eq!(t.call(Method::POST, "/api/v1/messaging/notifications/read", Some(&agent.token), None).await.0, StatusCode::NO_CONTENT);
    let (_, n) = t.get(&agent, "/api/v1/messaging/notifications").await;
    assert_eq!(n["unread"], 0);
    // Another user's notification is not found.
    let (_, owner_n) = t.get(&c, "/api/v1/messaging/notifications").await;
    let theirs = owner_n["items"][0]["id"].as_u64().expect("id");
    assert_eq!(
        t.call(Method::POST, &format!("/api/v1/messaging/notifications/{theirs}/read"), Some(&agent.token), None).await.0,
        StatusCode::NOT_FOUND
    );

    // Notes stay in the box; opening marks read.
    let (st, note) = t.post(&agent, &format!("/api/v1/messaging/conversations/{id}/notes"), json!({"text": "Постоянный клиент"})).await;
    assert_eq!((st, note["direction"].as_str()), (StatusCode::CREATED, Some("note")), "{note}");
    assert_eq!(
        t.call(Method::POST, &format!("/api/v1/messaging/conversations/{id}/read"), Some(&agent.token), None).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, v) = t.get(&agent, &format!("/api/v1/messaging/conversations/{id}")).await;
    assert_eq!(v["unread"], 0);
    drain(&t).await;
    assert!(meta.calls.lock().expect("lock").is_empty(), "a note is never sent");

    // Unlink, then create a client from the conversation.
    let (st, v) = t.post(&agent, &format!("/api/v1/messaging/conversations/{id}/client"), json!({"client": null})).await;
    assert_eq!((st, v["client"].is_null()), (StatusCode::OK, true), "{v}");
    let (st, v) =
        t.post(&agent, &format!("/api/v1/messaging/conversations/{id}/client"), json!({"create_name": "Айгуль (WhatsApp)"})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, card) = t.get(&agent, &format!("/api/v1/clients/{}", v["client"])).await;
    assert_eq!(card["client"]["phone"], "+996555123456", "{card}");
    t.assert_consistent();
}

#[tokio::test]
async fn rights_and_bad_input() {
    let meta = fake_meta(accepted).await;
    let t = spawn(&meta).await;
    let c = t.first_run("owner@wa.kg", "password-123").await;
    let (agent, _) = staff(&t, &c, "agent@wa.kg", &["inbox"]).await;
    let (cashier, _) = staff(&t, &c, "cashier@wa.kg", &["cashier"]).await;
    let (st, _) = t.get(&cashier, "/api/v1/messaging/conversations").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = t.get(&agent, "/api/v1/messaging/conversations").await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = t.get(&agent, "/api/v1/messaging/channels").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "channels need the admin right");
    let (st, _) = t.post(&agent, "/api/v1/messaging/templates", json!({"name": "x", "language": "ru", "body": "y"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = t.get(&agent, "/api/v1/messaging/templates").await;
    assert_eq!(st, StatusCode::OK, "agents read templates to send them");

    // Bad input: 4xx with stable codes, never 500.
    let (st, e) = t.post(&c, "/api/v1/messaging/channels", json!({"name": "", "phone_number_id": "12ab"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["errors"].as_array().expect("errors").iter().filter_map(|x| x["field"].as_str()).collect();
    for f in ["name", "phone_number_id", "access_token", "app_secret", "verify_token"] {
        assert!(fields.contains(&f), "{f} in {e}");
    }
    let (st, _) = t.post(&c, "/api/v1/messaging/channels", json!({"name": "x", "phone_number_id": "1", "extra": 1})).await;
    assert!(st.is_client_error());
    let (st, e) = t.post(&c, "/api/v1/messaging/templates", json!({"name": "Bad Name", "language": "ru!", "body": ""})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (chan, path) = channel(&t, &c, "1065403522").await;
    // Editing keeps secrets left empty.
    let (st, ch) =
        t.put(&c, &format!("/api/v1/messaging/channels/{chan}"), json!({"name": "Новое имя", "phone_number_id": "1065403522"})).await;
    assert_eq!((st, ch["secrets_ok"].as_bool()), (StatusCode::OK, Some(true)), "{ch}");
    deliver(&t, &path, &text_body("1065403522", "996555123456", "wamid.IN1", "Салам!", now_s(&t))).await;
    let id = first_conversation(&t, &c).await["id"].as_u64().expect("id");
    let send = format!("/api/v1/messaging/conversations/{id}/messages");
    for body in [
        json!({}),
        json!({"text": "a", "template": 1}),
        json!({"text": "   "}),
        json!({"text": "x".repeat(4097)}),
        json!({"template": 123}),
    ] {
        let (st, e) = t.post(&agent, &send, body.clone()).await;
        assert!(st.is_client_error(), "{body}: {st} {e}");
    }
    let (st, _) = t.post(&cashier, &send, json!({"text": "hi"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = t.get(&agent, "/api/v1/messaging/conversations/abc").await;
    assert!(st.is_client_error());
    // A body that is signed but not a webhook payload is accepted and dropped by the worker.
    deliver(&t, &path, "{\"entry\": 5}").await;
    deliver(&t, &path, "not json").await;
    assert_eq!(inbound_rows(&t), 0);
    t.assert_consistent();
}

#[tokio::test]
async fn every_messaging_route_is_isolated_between_companies() {
    let meta = fake_meta(accepted).await;
    let t = spawn(&meta).await;
    let a = t.first_run("a@wa.kg", "password-123").await;
    t.company("Б", "b@wa.kg", "password-123").await;
    let b = t.login("b@wa.kg", "password-123").await;
    let (chan, path) = channel(&t, &a, "1111").await;
    let (bchan, bpath) = channel(&t, &b, "2222").await;
    deliver(&t, &path, &text_body("1111", "996555123456", "wamid.A1", "Для А", now_s(&t))).await;
    let conv = first_conversation(&t, &a).await["id"].as_u64().expect("id");
    let (_, tpl) = t.post(&a, "/api/v1/messaging/templates", json!({"name": "hello", "language": "ru", "body": "Привет"})).await;
    let tpl = tpl["id"].as_u64().expect("tpl");
    let (_, n) = t.get(&a, "/api/v1/messaging/notifications").await;
    let note = n["items"][0]["id"].as_u64().expect("notification");

    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::PUT, format!("/api/v1/messaging/channels/{chan}"), Some(json!({"name": "x", "phone_number_id": "1"}))),
        (Method::PUT, format!("/api/v1/messaging/templates/{tpl}"), Some(json!({"name": "x", "language": "ru", "body": "y"}))),
        (Method::GET, format!("/api/v1/messaging/conversations/{conv}"), None),
        (Method::GET, format!("/api/v1/messaging/conversations/{conv}/messages"), None),
        (Method::POST, format!("/api/v1/messaging/conversations/{conv}/messages"), Some(json!({"text": "x"}))),
        (Method::POST, format!("/api/v1/messaging/conversations/{conv}/messages"), Some(json!({"template": tpl, "params": []}))),
        (Method::POST, format!("/api/v1/messaging/conversations/{conv}/notes"), Some(json!({"text": "x"}))),
        (Method::POST, format!("/api/v1/messaging/conversations/{conv}/assign"), Some(json!({"user": null}))),
        (Method::POST, format!("/api/v1/messaging/conversations/{conv}/read"), None),
        (Method::POST, format!("/api/v1/messaging/conversations/{conv}/client"), Some(json!({"client": null}))),
        (Method::POST, format!("/api/v1/messaging/notifications/{note}/read"), None),
    ];
    for (m, p, body) in routes {
        let (st, e) = t.call(m.clone(), &p, Some(&b.token), body).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{m} {p}: {e}");
    }
    let (_, list) = t.get(&b, "/api/v1/messaging/conversations").await;
    assert_eq!(list, json!([]));
    let (_, list) = t.get(&b, "/api/v1/messaging/channels").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    let (_, list) = t.get(&b, "/api/v1/messaging/templates").await;
    assert_eq!(list, json!([]));
    let (_, n) = t.get(&b, "/api/v1/messaging/notifications").await;
    assert_eq!(n["unread"], 0);

    // A's webhook, signed with A's secret, can never land in B: B's path (B's company with A's
    // channel id, or A's company with B's channel id) refuses it, and B's channel drops items
    // naming A's number even when signed with B's secret.
    let body = text_body("1111", "996555999999", "wamid.A2", "Чужое", now_s(&t));
    let sig = sign(APP_SECRET, body.as_bytes());
    let (ac, bc) = (a.company_id(), b.company_id());
    for p in [format!("/api/v1/messaging/webhooks/{bc}/{chan}"), format!("/api/v1/messaging/webhooks/{ac}/{bchan}")] {
        assert_eq!(post_raw(&t, &p, body.as_bytes(), &sig).await, StatusCode::UNAUTHORIZED, "{p}");
    }
    deliver(&t, &bpath, &body).await;
    let (_, list) = t.get(&b, "/api/v1/messaging/conversations").await;
    assert_eq!(list, json!([]), "an item for another number is dropped");
    let (_, list) = t.get(&a, "/api/v1/messaging/conversations").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    t.assert_consistent();
}

// ---- Instagram channels (issue 16) ----

pub const IG_ACCOUNT: &str = "17841400000000001";

/// The Graph API's answer to an Instagram send.
pub fn ig_accepted(n: usize) -> (u16, Value) {
    (200, json!({"recipient_id": "IGSID1", "message_id": format!("aWdfOUT{n}")}))
}

/// An Instagram webhook body with one text message from `from` to the account.
pub fn ig_body(from: &str, mid: &str, text: &str, at_ms: i64) -> String {
    json!({"object": "instagram", "entry": [{"id": IG_ACCOUNT, "time": at_ms, "messaging": [
        {"sender": {"id": from}, "recipient": {"id": IG_ACCOUNT}, "timestamp": at_ms, "message": {"mid": mid, "text": text}}
    ]}]})
    .to_string()
}

#[tokio::test]
async fn an_instagram_channel_takes_signed_webhooks_into_the_inbox_and_replies_through_the_graph_api() {
    let meta = fake_meta(ig_accepted).await;
    let t = spawn(&meta).await;
    let c = t.first_run("owner@ig.kg", "password-123").await;
    let ig = json!({"name": "Instagram магазина", "kind": "instagram", "phone_number_id": IG_ACCOUNT,
        "access_token": TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY});
    let mut bad = ig.clone();
    bad["kind"] = json!("telegram");
    let (st, e) = t.post(&c, "/api/v1/messaging/channels", bad).await;
    assert_eq!((st, code(&e).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid"), "{e}");
    let (st, ch) = t.post(&c, "/api/v1/messaging/channels", ig).await;
    assert_eq!(st, StatusCode::CREATED, "{ch}");
    let id = ch["id"].as_u64().expect("id");
    let path = format!("/api/v1/messaging/instagram/{}/{id}", c.company_id());
    assert_eq!((ch["kind"].as_str(), ch["webhook_path"].as_str()), (Some("instagram"), Some(path.as_str())), "{ch}");
    // An edit keeps the kind.
    let (st, ch) = t.put(&c, &format!("/api/v1/messaging/channels/{id}"), json!({"name": "Инста", "phone_number_id": IG_ACCOUNT})).await;
    assert_eq!((st, ch["kind"].as_str()), (StatusCode::OK, Some("instagram")), "{ch}");

    // Meta's subscription check, on the Instagram route only.
    let q = format!("hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=42");
    let r = t.http.get(t.url(&format!("{path}?{q}"))).send().await.expect("get");
    assert_eq!((r.status(), r.text().await.expect("text").as_str()), (StatusCode::OK, "42"));
    let (wa, wa_path) = channel(&t, &c, "1065403522").await;
    let r = t.http.get(t.url(&format!("/api/v1/messaging/instagram/{}/{wa}?{q}", c.company_id()))).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "a WhatsApp channel has no Instagram route");

    // The signature is checked before anything reads the body; another kind's route refuses.
    let body = ig_body("IGSID1", "aWdfIN1", "Есть размер M?", t.app.now().0);
    let good = sign(APP_SECRET, body.as_bytes());
    let before = inbound_rows(&t);
    assert_eq!(post_raw(&t, &path, body.as_bytes(), "sha256=00").await, StatusCode::UNAUTHORIZED);
    assert_eq!(post_raw(&t, &path, body.as_bytes(), &sign("another", body.as_bytes())).await, StatusCode::UNAUTHORIZED);
    let wa_as_ig = format!("/api/v1/messaging/instagram/{}/{wa}", c.company_id());
    assert_eq!(post_raw(&t, &wa_as_ig, body.as_bytes(), &good).await, StatusCode::UNAUTHORIZED);
    let foreign = format!("/api/v1/messaging/instagram/{}/{id}", c.company_id() + 1000);
    assert_eq!(post_raw(&t, &foreign, body.as_bytes(), &good).await, StatusCode::UNAUTHORIZED, "another company's path");
    assert_eq!(inbound_rows(&t), before, "nothing stored");
    // Into the same inbox, once however often Meta redelivers.
    for _ in 0..2 {
        deliver(&t, &path, &body).await;
    }
    // A WhatsApp body signed for the Instagram channel is dropped by the reader, not stored.
    deliver(&t, &path, &text_body("1065403522", "996555123456", "wamid.X", "не тот канал", now_s(&t))).await;
    let (_, list) = t.get(&c, "/api/v1/messaging/conversations").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let conv = &list[0];
    assert_eq!((conv["name"].as_str(), conv["phone"].as_str()), (Some("Instagram IGSID1"), Some("")), "{conv}");
    let conv_id = conv["id"].as_u64().expect("id");
    let got = messages(&t, &c, conv_id).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["text"], "Есть размер M?");

    // The reply goes out as the Graph API's Instagram send from the account.
    let (st, m) = t.post(&c, &format!("/api/v1/messaging/conversations/{conv_id}/messages"), json!({"text": "Да, есть"})).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{m}");
    drain(&t).await;
    let calls = meta.calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, format!("/{IG_ACCOUNT}/messages"));
    assert_eq!(calls[0].1, format!("Bearer {TOKEN}"));
    assert_eq!(calls[0].2, json!({"recipient": {"id": "IGSID1"}, "message": {"text": "Да, есть"}}));
    let got = messages(&t, &c, conv_id).await;
    assert_eq!(got.last().map(|m| m["state"].clone()), Some(json!("sent")), "{got:?}");
    // Templates are WhatsApp's: refused for an Instagram conversation.
    let (_, tpl) = t.post(&c, "/api/v1/messaging/templates", json!({"name": "hello", "language": "ru", "body": "Здравствуйте"})).await;
    let (st, e) =
        t.post(&c, &format!("/api/v1/messaging/conversations/{conv_id}/messages"), json!({"template": tpl["id"], "params": []})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("template_whatsapp_only")), "{e}");
    // The WhatsApp channel still takes its own webhooks on its own route.
    deliver(&t, &wa_path, &text_body("1065403522", "996555123456", "wamid.WA1", "Салам", now_s(&t))).await;
    let (_, list) = t.get(&c, "/api/v1/messaging/conversations").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    t.assert_consistent();
}
