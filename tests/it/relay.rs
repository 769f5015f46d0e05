//! `dukan relay` and the box in one process: a fake Meta posts webhooks to the relay while the
//! box is stopped, the box starts, connects over its link and gets every message exactly once;
//! a link cut mid-stream loses nothing; a wrong token is refused; Meta's subscription check is
//! answered by the box through the relay; the relay's address is vetted like every outgoing
//! request; a webhook naming one company's channel under another company lands nowhere; an
//! Instagram channel's webhooks come through the same path; boxes are added and tokens rotated
//! with `dukan relay` while the relay runs (its control socket), and queued webhooks are kept.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dukan::clock::{Clock, SystemClock};
use dukan::relay::server::Relay;
use dukan::relay::store;
use reqwest::StatusCode;

use crate::common::{Client, TestApp};
use crate::messaging::{
    APP_SECRET, IG_ACCOUNT, TOKEN, VERIFY, accepted, channel, drain, fake_meta, ig_accepted, ig_body, messages, sign, text_body,
};

pub struct TestRelay {
    pub relay: Arc<Relay>,
    /// The relay's data file; its control socket listens beside it.
    pub data: std::path::PathBuf,
    pub base: String,
    pub ws: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn start_relay() -> TestRelay {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let data = dir.path().join("relay.redb");
    let relay = Arc::new(Relay::open(&data, clock).expect("open relay"));
    dukan::relay::control::serve(relay.clone(), &dukan::relay::control::socket_path(&data)).expect("control socket");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let served = relay.clone();
    tokio::spawn(async move {
        let _ = dukan::http::relay::serve(served, listener, std::future::pending()).await;
    });
    TestRelay { relay, data, base: format!("http://{addr}"), ws: format!("ws://{addr}"), http: reqwest::Client::new(), _dir: dir }
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

#[tokio::test]
async fn an_instagram_channels_webhooks_come_through_the_relay_once() {
    let meta = fake_meta(ig_accepted).await;
    let relay = start_relay().await;
    let (box_id, token) = relay.add_box("Магазин").await;
    let t = box_for(&meta.base, &relay, &token, None).await;
    let owner = t.first_run("owner@ig-relay.kg", "password-123").await;
    let company = owner.company_id();
    let ig = serde_json::json!({"name": "Instagram магазина", "kind": "instagram", "phone_number_id": IG_ACCOUNT,
        "access_token": TOKEN, "app_secret": APP_SECRET, "verify_token": VERIFY});
    let (st, ch) = t.post(&owner, "/api/v1/messaging/channels", ig).await;
    assert_eq!(st, StatusCode::CREATED, "{ch}");
    let ch = ch["id"].as_u64().expect("id");
    let link = t.app.start_relay_link().expect("configured");
    eventually("the link", 10, || relay.relay.connected(box_id)).await;

    // Meta's subscription check for the Instagram channel, answered by the box.
    let hook = format!("{}{}", relay.base, dukan::relay::hook_path(box_id, company, ch));
    let check = |token: &str| format!("{hook}?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=7781");
    let r = relay.http.get(check(VERIFY)).send().await.expect("get");
    assert_eq!((r.status(), r.text().await.expect("text")), (StatusCode::OK, "7781".to_string()));
    let r = relay.http.get(check("wrong")).send().await.expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A message, Meta's redelivery of it, and a body signed with another secret.
    let at = t.app.now().0;
    let body = ig_body("IGSID7", "aWdfRELAY1", "Привет из Instagram", at);
    for _ in 0..2 {
        assert_eq!(relay.post(box_id, company, ch, &body, &sign(APP_SECRET, body.as_bytes())).await, StatusCode::OK);
    }
    let forged = ig_body("IGSID8", "aWdfFORGED", "подделка", at);
    assert_eq!(relay.post(box_id, company, ch, &forged, &sign("another", forged.as_bytes())).await, StatusCode::OK);
    eventually("the queue to drain", 20, || relay.depth(box_id) == 0).await;
    drain(&t).await;
    let (_, list) = t.get(&owner, "/api/v1/messaging/conversations").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "the forged one is dropped: {list}");
    assert_eq!((list[0]["name"].as_str(), list[0]["phone"].as_str()), (Some("Instagram IGSID7"), Some("")), "{list}");
    let conv = list[0]["id"].as_u64().expect("id");
    let got = messages(&t, &owner, conv).await;
    assert_eq!(got.len(), 1, "stored once: {got:?}");
    assert_eq!((got[0]["text"].as_str(), got[0]["wamid"].as_str()), (Some("Привет из Instagram"), Some("aWdfRELAY1")));
    assert_eq!(t.app.relay.status().received, 3);

    // The reply goes out through the Graph API as for a direct webhook.
    let (st, m) =
        t.post(&owner, &format!("/api/v1/messaging/conversations/{conv}/messages"), serde_json::json!({"text": "Здравствуйте!"})).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{m}");
    drain(&t).await;
    let calls = meta.calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].0, format!("/{IG_ACCOUNT}/messages"));
    assert_eq!(calls[0].2, serde_json::json!({"recipient": {"id": "IGSID7"}, "message": {"text": "Здравствуйте!"}}));
    link.abort();
    t.assert_consistent();
}

/// Runs `dukan relay --data <the relay's file> ARGS` as an operator would, while the relay
/// holds its file: (exit success, stdout, stderr).
async fn relay_cli(relay: &TestRelay, args: &[&str]) -> (bool, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_dukan"));
    cmd.arg("relay").arg("--data").arg(&relay.data).args(args);
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.expect("join").expect("run dukan relay");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn field<'a>(out: &'a str, name: &str) -> &'a str {
    out.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_else(|| panic!("no {name} in {out}")).trim()
}

#[tokio::test]
async fn boxes_are_added_and_tokens_rotated_while_the_relay_runs() {
    let meta = fake_meta(accepted).await;
    let relay = start_relay().await;
    // Added from the command line while the relay runs: it signs in at once, no restart.
    let (ok, out, err) = relay_cli(&relay, &["--add-box", "Второй магазин"]).await;
    assert!(ok, "{out}{err}");
    let box_id: u64 = field(&out, "box:").parse().expect("box id");
    let old = field(&out, "token:").to_string();
    assert!(out.contains(&format!("/hook/{box_id}/<company>/<channel>")), "{out}");
    let t = box_for(&meta.base, &relay, &old, None).await;
    let owner = t.first_run("owner@rotate.kg", "password-123").await;
    let company = owner.company_id();
    let (ch, _) = channel(&t, &owner, "1065403522").await;
    let link = t.app.start_relay_link().expect("configured");
    eventually("the new box's link", 10, || relay.relay.connected(box_id)).await;
    let (ok, out, _) = relay_cli(&relay, &["--list-boxes"]).await;
    assert!(ok && out.contains(&format!("{box_id}\tВторой магазин\tqueued 0\tconnected")), "{out}");
    let post = |i: usize| {
        let body = text_body("1065403522", "996555123456", &format!("wamid.ROT{i}"), &format!("Сообщение {i}"), now_s());
        let signature = sign(APP_SECRET, body.as_bytes());
        (body, signature)
    };
    for i in 0..3 {
        let (body, signature) = post(i);
        assert_eq!(relay.post(box_id, company, ch, &body, &signature).await, StatusCode::OK);
    }
    eventually("the first messages", 20, || relay.depth(box_id) == 0).await;

    // Rotated while the box is connected: its link ends now and the old token is refused.
    let (ok, out, err) = relay_cli(&relay, &["--rotate-box", &box_id.to_string()]).await;
    assert!(ok, "{out}{err}");
    let new = field(&out, "token:").to_string();
    assert_ne!(new, old);
    eventually("the refusal", 15, || t.app.relay.status().error.is_some_and(|e| e.contains("refused this box's token"))).await;
    assert!(!relay.relay.connected(box_id));
    // Meta keeps posting meanwhile: the relay keeps every webhook for the box.
    for i in 3..8 {
        let (body, signature) = post(i);
        assert_eq!(relay.post(box_id, company, ch, &body, &signature).await, StatusCode::OK);
    }
    assert_eq!(relay.depth(box_id), 5);
    let (ok, _, err) = relay_cli(&relay, &["--rotate-box", "999999"]).await;
    assert!(!ok && err.contains("no box 999999"), "{err}");

    // The box with the new token gets what was queued, each message once.
    link.abort();
    let dir = t.stop().await;
    let t = box_for(&meta.base, &relay, &new, Some(dir)).await;
    let link = t.app.start_relay_link().expect("configured");
    eventually("the queue to drain", 20, || relay.depth(box_id) == 0).await;
    drain(&t).await;
    let owner = t.login("owner@rotate.kg", "password-123").await;
    let got = stored_wamids(&t, &owner).await;
    assert_eq!(got.len(), 8, "{got:?}");
    assert!(got.values().all(|&n| n == 1), "{got:?}");
    link.abort();
    t.assert_consistent();
}
