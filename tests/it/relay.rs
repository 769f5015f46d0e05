//! `dukan relay` and the box in one process: a fake Meta posts webhooks to the relay while the
//! box is stopped, the box starts, connects over its link and gets every message exactly once;
//! a link cut mid-stream loses nothing; a wrong token is refused; Meta's subscription check is
//! answered by the box through the relay; the relay's address is vetted like every outgoing
//! request; a webhook naming one company's channel under another company lands nowhere.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dukan::clock::{Clock, SystemClock};
use dukan::relay::server::Relay;
use dukan::relay::store;
use reqwest::StatusCode;

use crate::common::{Client, TestApp};
use crate::messaging::{APP_SECRET, VERIFY, accepted, channel, drain, fake_meta, sign, text_body};

pub struct TestRelay {
    pub relay: Arc<Relay>,
    pub base: String,
    pub ws: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn start_relay() -> TestRelay {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let relay = Arc::new(Relay::open(&dir.path().join("relay.redb"), clock).expect("open relay"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let served = relay.clone();
    tokio::spawn(async move {
        let _ = dukan::http::relay::serve(served, listener, std::future::pending()).await;
    });
    TestRelay { relay, base: format!("http://{addr}"), ws: format!("ws://{addr}"), http: reqwest::Client::new(), _dir: dir }
}

impl TestRelay {
    pub async fn add_box(&self, name: &str) -> (u64, String) {
        let name = name.to_string();
        self.relay.db.write(move |tx| store::add_box(tx, &name, dukan::clock::Ts(1))).await.expect("add box")
    }

    pub fn depth(&self, box_id: u64) -> u64 {
        self.relay.depth(box_id).expect("depth")
    }

    /// Posts a body to the relay as Meta does; returns the status.
    pub async fn post(&self, box_id: u64, company: u64, channel: u64, body: &str, signature: &str) -> StatusCode {
        self.http
            .post(format!("{}{}", self.base, dukan::relay::hook_path(box_id, company, channel)))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body.to_string())
            .send()
            .await
            .expect("post")
            .status()
    }
}

/// A box whose link goes to `relay` with `token` (not started: `t.app.start_relay_link()`).
pub async fn box_for(meta_base: &str, relay: &TestRelay, token: &str, dir: Option<tempfile::TempDir>) -> TestApp {
    let (meta_base, url, token) = (meta_base.to_string(), relay.ws.clone(), token.to_string());
    TestApp::spawn_configured(dir.unwrap_or_else(|| tempfile::tempdir().expect("tempdir")), move |c| {
        c.webhooks_allow_loopback = true;
        c.meta_graph_url = meta_base;
        c.relay.url = Some(url);
        c.relay.token = Some(token);
    })
    .await
}

pub async fn eventually(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(std::time::Instant::now() < end, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every inbound message's Meta id with how many times it is stored, over all conversations.
async fn stored_wamids(t: &TestApp, c: &Client) -> BTreeMap<String, usize> {
    let (st, list) = t.get(c, "/api/v1/messaging/conversations").await;
    assert_eq!(st, StatusCode::OK, "{list}");
    let mut out = BTreeMap::new();
    for conv in list.as_array().cloned().unwrap_or_default() {
        let id = conv["id"].as_u64().expect("id");
        let (_, msgs) = t.get(c, &format!("/api/v1/messaging/conversations/{id}/messages")).await;
        for m in msgs.as_array().cloned().unwrap_or_default() {
            if m["direction"] == "in" {
                *out.entry(m["wamid"].as_str().unwrap_or_default().to_string()).or_default() += 1;
            }
        }
    }
    out
}

fn now_s() -> i64 {
    crate::common::START.0 / 1000
}

#[tokio::test]
async fn every_message_arrives_once_after_the_box_was_off_and_across_cut_links() {
    let meta = fake_meta(accepted).await;
    let relay = start_relay().await;
    let (box_id, token) = relay.add_box("Магазин").await;
    let t = box_for(&meta.base, &relay, &token, None).await;
    let owner = t.first_run("owner@relay.kg", "password-123").await;
    let company = owner.company_id();
    let (ch, _) = channel(&t, &owner, "1065403522").await;
    // The box goes off; Meta keeps posting to the relay.
    let dir = t.stop().await;
    let mut sent = Vec::new();
    for i in 0..30 {
        let wamid = format!("wamid.OFF{i}");
        let body = text_body("1065403522", &format!("99655512{:04}", i % 3), &wamid, &format!("Сообщение {i}"), now_s());
        assert_eq!(relay.post(box_id, company, ch, &body, &sign(APP_SECRET, body.as_bytes())).await, StatusCode::OK);
        sent.push(wamid);
    }
    // A replay of the same message id, a forged signature and a body naming another company.
    let replay = text_body("1065403522", "996555120000", "wamid.OFF0", "Сообщение 0", now_s());
    assert_eq!(relay.post(box_id, company, ch, &replay, &sign(APP_SECRET, replay.as_bytes())).await, StatusCode::OK);
    let forged = text_body("1065403522", "996555129999", "wamid.FORGED", "подделка", now_s());
    assert_eq!(relay.post(box_id, company, ch, &forged, &sign("not-the-secret", forged.as_bytes())).await, StatusCode::OK);
    let elsewhere = text_body("1065403522", "996555129998", "wamid.ELSEWHERE", "чужое", now_s());
    assert_eq!(relay.post(box_id, company + 1, ch, &elsewhere, &sign(APP_SECRET, elsewhere.as_bytes())).await, StatusCode::OK);
    // Refused at the relay: no signature, a signature of the wrong shape, an unknown box.
    assert_eq!(relay.post(box_id, company, ch, &forged, "").await, StatusCode::UNAUTHORIZED);
    assert_eq!(relay.post(box_id, company, ch, &forged, "sha1=abc").await, StatusCode::UNAUTHORIZED);
    assert_eq!(relay.post(box_id + 1000, company, ch, &forged, &sign(APP_SECRET, forged.as_bytes())).await, StatusCode::NOT_FOUND);
    assert_eq!(relay.depth(box_id), 33, "queued while the box is off");

    // The box comes back and connects.
    let t = box_for(&meta.base, &relay, &token, Some(dir)).await;
    let link = t.app.start_relay_link().expect("configured");
    eventually("the queue to drain", 20, || relay.depth(box_id) == 0).await;
    drain(&t).await;
    let owner = t.login("owner@relay.kg", "password-123").await;
    let got = stored_wamids(&t, &owner).await;
    assert_eq!(got.len(), 30, "{got:?}");
    assert!(sent.iter().all(|w| got.get(w) == Some(&1)), "each exactly once: {got:?}");
    eventually("the link's state", 5, || {
        let s = t.app.relay.status();
        s.connected && s.received == 33 && s.depth == Some(0) && s.last_message.is_some()
    })
    .await;

    // Cut the link again and again while Meta posts: nothing is lost, nothing doubled.
    let poster = {
        let (base, http) = (relay.base.clone(), relay.http.clone());
        tokio::spawn(async move {
            for i in 0..200 {
                let body = text_body("1065403522", "996555123456", &format!("wamid.CUT{i}"), "ещё", now_s());
                let st = http
                    .post(format!("{base}{}", dukan::relay::hook_path(box_id, company, ch)))
                    .header("x-hub-signature-256", sign(APP_SECRET, body.as_bytes()))
                    .body(body)
                    .send()
                    .await
                    .expect("post")
                    .status();
                assert_eq!(st, StatusCode::OK);
            }
        })
    };
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        relay.relay.kick(box_id);
    }
    poster.await.expect("poster");
    eventually("the queue to drain after cuts", 30, || relay.depth(box_id) == 0).await;
    drain(&t).await;
    let got = stored_wamids(&t, &owner).await;
    assert_eq!(got.len(), 230);
    assert!(got.values().all(|&n| n == 1), "{got:?}");
    assert!(!got.contains_key("wamid.FORGED") && !got.contains_key("wamid.ELSEWHERE"));
    link.abort();
    t.assert_consistent();
}

#[tokio::test]
async fn a_wrong_token_is_refused_and_the_box_shows_why() {
    let meta = fake_meta(accepted).await;
    let relay = start_relay().await;
    let (box_id, token) = relay.add_box("Магазин").await;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let refused = |auth: Option<String>, url: String| async move {
        let mut req = url.into_client_request().expect("request");
        if let Some(a) = auth {
            req.headers_mut().insert("authorization", a.parse().expect("header"));
        }
        match tokio_tungstenite::connect_async(req).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
            Err(e) => panic!("{e}"),
            Ok(_) => 101,
        }
    };
    let link = format!("{}/link", relay.ws);
    assert_eq!(refused(None, link.clone()).await, 401, "no token");
    assert_eq!(refused(Some(format!("Bearer {box_id}.{}", "0".repeat(64))), link.clone()).await, 401, "wrong token");
    assert_eq!(refused(Some(token.clone()), link.clone()).await, 401, "not a bearer header");
    assert_eq!(refused(None, format!("{link}?token={token}")).await, 401, "a token in the URL is not read");
    assert_eq!(refused(Some(format!("Bearer {token}")), link.clone()).await, 101, "the right token");

    // Rotation: the old token is refused from then on.
    let new = relay.relay.db.write(move |tx| store::rotate(tx, box_id, dukan::clock::Ts(2))).await.expect("rotate").expect("box");
    assert_eq!(refused(Some(format!("Bearer {token}")), link.clone()).await, 401, "the old token");
    assert_eq!(refused(Some(format!("Bearer {new}")), link.clone()).await, 101);

    // A box with the old token keeps retrying and says why.
    let t = box_for(&meta.base, &relay, &token, None).await;
    let handle = t.app.start_relay_link().expect("configured");
    eventually("the refusal", 10, || t.app.relay.status().error.is_some_and(|e| e.contains("refused this box's token"))).await;
    assert!(!t.app.relay.status().connected);
    assert!(!relay.relay.connected(box_id));
    handle.abort();
}

#[tokio::test]
async fn the_subscription_check_is_answered_by_the_box_through_the_relay() {
    let meta = fake_meta(accepted).await;
    let relay = start_relay().await;
    let (box_id, token) = relay.add_box("Магазин").await;
    let t = box_for(&meta.base, &relay, &token, None).await;
    let owner = t.first_run("owner@relay.kg", "password-123").await;
    let company = owner.company_id();
    let (ch, _) = channel(&t, &owner, "1065403522").await;
    let get = |q: String, company: u64| {
        let url = format!("{}{}?{q}", relay.base, dukan::relay::hook_path(box_id, company, ch));
        let http = relay.http.clone();
        async move {
            let r = http.get(url).send().await.expect("get");
            (r.status(), r.text().await.expect("text"))
        }
    };
    let good = format!("hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444");
    assert_eq!(get(good.clone(), company).await.0, StatusCode::SERVICE_UNAVAILABLE, "no box connected");
    let link = t.app.start_relay_link().expect("configured");
    eventually("the link", 10, || relay.relay.connected(box_id)).await;
    assert_eq!(get(good.clone(), company).await, (StatusCode::OK, "1158201444".to_string()));
    assert_eq!(get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1".to_string(), company).await.0, StatusCode::FORBIDDEN);
    assert_eq!(get(good.clone(), company + 1).await.0, StatusCode::NOT_FOUND, "another company's path");
    link.abort();
}

#[tokio::test]
async fn the_relay_address_is_vetted_like_every_outgoing_request() {
    let relay = start_relay().await;
    let (box_id, token) = relay.add_box("Магазин").await;
    for (url, loopback) in [(relay.ws.clone(), false), ("ws://169.254.169.254".to_string(), true), ("ws://0.0.0.0:1".to_string(), true)] {
        let token = token.clone();
        let t = TestApp::spawn_with(move |c| {
            c.webhooks_allow_loopback = loopback;
            c.relay.url = Some(url);
            c.relay.token = Some(token);
        })
        .await;
        let link = t.app.start_relay_link().expect("configured");
        eventually("the refusal", 10, || t.app.relay.status().error.is_some_and(|e| e.contains("no address this box may connect to")))
            .await;
        assert!(!relay.relay.connected(box_id));
        link.abort();
    }
    // No url or token: no link.
    let t = TestApp::spawn().await;
    assert!(t.app.start_relay_link().is_none());
    assert!(!t.app.relay.status().configured);
}
