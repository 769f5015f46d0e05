//! Label scales end to end: a local agent speaking the seed's protocol over a real WebSocket
//! (token in a header, `hello`, `plu_batch`, `plu_batch_result`) gets the PLU list, its
//! answers are stored per PLU, a price change re-syncs it through the outbox, and a rotated
//! token locks the old one out; a Mertech scale on the TCP simulator is retried while it is
//! off and then synced with progress; bad input, rights and other companies' ids are refused.

use std::time::Duration;

use dukan::scales::label_sim::LabelSim;
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::{Client, TestApp};

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn spawn() -> TestApp {
    TestApp::spawn_with(|c| c.webhooks_allow_loopback = true).await
}

fn code(v: &Value) -> String {
    match v["code"].as_str() {
        Some("validation") | None => v["errors"][0]["code"].as_str().unwrap_or_default().to_string(),
        Some(c) => c.to_string(),
    }
}

/// A company with `n` weighed products (PLU 1..=n, 450.50 a kg); returns the owner and ids.
async fn shop(t: &TestApp, name: &str, email: &str, n: usize) -> (Client, Vec<u64>) {
    t.company(name, email, "password-123").await;
    let owner = t.login(email, "password-123").await;
    let mut ids = Vec::new();
    for i in 1..=n {
        let (s, p) = t
            .post(
                &owner,
                "/api/v1/products",
                json!({"name": format!("Сыр {i}"), "unit": "kg", "weighed": true, "plu": i.to_string(), "price": "450.50"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        ids.push(p["id"].as_u64().expect("id"));
    }
    (owner, ids)
}

async fn connect(t: &TestApp, token: &str) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let url = t.url("/api/v1/scale-agent").replacen("http", "ws", 1);
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert("x-scale-token", token.parse().expect("header"));
    tokio_tungstenite::connect_async(req).await.map(|(ws, _)| ws)
}

/// The next text message as JSON (pings skipped), or `None` when the server closed.
async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        match tokio::time::timeout(Duration::from_secs(15), ws.next()).await.expect("a message in time") {
            Some(Ok(Message::Text(t))) => return Some(serde_json::from_str(t.as_str()).expect("json")),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return None,
        }
    }
}

/// Runs the label-sync worker's steps until its queue is empty (the server under test runs
/// no workers of its own).
async fn drain(t: &TestApp) {
    for _ in 0..10 {
        if !dukan::workers::label_sync_once(t.app.clone()).await.expect("label sync step") {
            return;
        }
    }
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.expect("send");
}

/// Polls a label scale until `done` says so.
async fn wait_until(t: &TestApp, c: &Client, id: u64, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        let (s, v) = t.get(c, &format!("/api/v1/label-scales/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if done(&v) {
            return v;
        }
        last = v;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("label scale {id} never {what}: {last}");
}

#[tokio::test]
async fn an_agent_gets_the_plu_list_and_every_answer_is_stored() {
    let t = spawn().await;
    let (owner, ids) = shop(&t, "Гастроном", "owner@gastro.kg", 3).await;
    let (s, scale) = t.post(&owner, "/api/v1/label-scales", json!({"name": "Весы в зале", "link": "agent"})).await;
    assert_eq!(s, StatusCode::CREATED, "{scale}");
    let id = scale["id"].as_u64().expect("id");
    let token = scale["token"].as_str().expect("the token, once").to_string();
    let (_, again) = t.get(&owner, &format!("/api/v1/label-scales/{id}")).await;
    assert!(again["token"].is_null(), "the token is shown only once: {again}");

    // No token, a wrong one: refused before the upgrade.
    for bad in ["", "ls.1.2.nope", &format!("{token}x")] {
        let err = connect(&t, bad).await.expect_err("refused");
        match err {
            tokio_tungstenite::tungstenite::Error::Http(r) => assert_eq!(r.status().as_u16(), 401, "{bad}"),
            other => panic!("{bad}: {other}"),
        }
    }

    let mut ws = connect(&t, &token).await.expect("the agent connects");
    let hello = next(&mut ws).await.expect("hello");
    assert_eq!((hello["type"].as_str(), hello["scale_id"].as_u64()), (Some("hello"), Some(id)), "{hello}");
    send(&mut ws, json!({"action": "hello", "name": "agent-1 192.168.1.20"})).await;
    let batch = next(&mut ws).await.expect("plu_batch");
    assert_eq!(batch["action"], "plu_batch", "{batch}");
    let items = batch["items"].as_array().expect("items");
    assert_eq!(items.len(), 3, "{batch}");
    assert_eq!(
        (items[0]["plu_number"].as_u64(), items[0]["price"].as_f64(), items[0]["is_piece"].as_bool()),
        (Some(1), Some(450.5), Some(false))
    );
    assert_eq!(items[0]["name"], "Сыр 1");
    send(
        &mut ws,
        json!({"action": "plu_batch_result", "batch": batch["batch"], "items": [
            {"plu_number": 1, "ok": true}, {"plu_number": 2, "ok": true}, {"plu_number": 3, "ok": false, "message": "нет места в памяти"}
        ]}),
    )
    .await;
    let v = wait_until(&t, &owner, id, "synced", |v| v["up_to_date"] == true).await;
    assert_eq!(
        (v["last_accepted"].as_u64(), v["last_rejected"].as_u64(), v["agent"].as_str()),
        (Some(2), Some(1), Some("agent-1 192.168.1.20")),
        "{v}"
    );
    let (_, results) = t.get(&owner, &format!("/api/v1/label-scales/{id}/results")).await;
    let stored = results[0]["items"].as_array().expect("items");
    assert_eq!(stored.len(), 3, "{results}");
    assert_eq!(
        (stored[2]["plu"].as_u64(), stored[2]["accepted"].as_bool(), stored[2]["message"].as_str()),
        (Some(3), Some(false), Some("нет места в памяти"))
    );

    // A price change marks the scale out of date and reaches the connected agent by itself.
    let (s, p) = t
        .put(
            &owner,
            &format!("/api/v1/products/{}", ids[1]),
            json!({"name": "Сыр 2", "unit": "kg", "weighed": true, "plu": "2", "price": "470"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    drain(&t).await;
    let batch = next(&mut ws).await.expect("the re-sync");
    assert_eq!(batch["action"], "plu_batch");
    let dearer = batch["items"].as_array().expect("items").iter().find(|i| i["plu_number"] == 2).cloned().expect("plu 2");
    assert_eq!(dearer["price"].as_f64(), Some(470.0), "{dearer}");
    // An unrelated message first, then the answer in the other spelling.
    send(&mut ws, json!({"action": "status", "ok": true})).await;
    send(
        &mut ws,
        json!({"action": "plu_batch_result", "items": [{"plu": 1, "status": "ok"}, {"plu": 2, "status": "ok"}, {"plu": 3, "status": "ok"}]}),
    )
    .await;
    let v = wait_until(&t, &owner, id, "re-synced", |v| v["up_to_date"] == true && v["last_accepted"] == 3).await;
    assert_eq!(v["held_version"], v["version"]);

    // Product 3 moves to PLU 50: the scale still holds PLU 3 for it until the next sync
    // completes, so PLU 3 is not given to another product meanwhile.
    let (s, p) = t
        .put(
            &owner,
            &format!("/api/v1/products/{}", ids[2]),
            json!({"name": "Сыр 3", "unit": "kg", "weighed": true, "plu": "50", "price": "450.50"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let sausage = json!({"name": "Колбаса", "unit": "kg", "weighed": true, "plu": "3", "price": "600"});
    drain(&t).await;
    let batch = next(&mut ws).await.expect("the re-sync");
    let plus: Vec<u64> = batch["items"].as_array().expect("items").iter().filter_map(|i| i["plu_number"].as_u64()).collect();
    assert_eq!(plus, vec![1, 2, 50], "{batch}");
    let (s, e) = t.post(&owner, "/api/v1/products", sausage.clone()).await;
    assert_eq!((s, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "plu_held".into()), "{e}");
    send(
        &mut ws,
        json!({"action": "plu_batch_result", "batch": batch["batch"], "items": [{"plu_number": 1, "ok": true}, {"plu_number": 2, "ok": true}, {"plu_number": 50, "ok": true}]}),
    )
    .await;
    wait_until(&t, &owner, id, "synced again", |v| v["up_to_date"] == true && v["running"].is_null()).await;
    let (s, e) = t.post(&owner, "/api/v1/products", sausage).await;
    assert_eq!(s, StatusCode::CREATED, "PLU 3 is free once no scale holds it: {e}");
    // That new weighed product queued another sync, which this agent leaves unanswered.
    drain(&t).await;
    assert_eq!(next(&mut ws).await.expect("another batch")["action"], "plu_batch");

    // A rotated token closes the door to the old one.
    let (s, r) = t.post(&owner, &format!("/api/v1/label-scales/{id}/token"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let fresh = r["token"].as_str().expect("new token").to_string();
    assert_ne!(fresh, token);
    assert!(connect(&t, &token).await.is_err(), "the old token is refused");
    let mut ws2 = connect(&t, &fresh).await.expect("the new token works");
    assert_eq!(next(&mut ws2).await.expect("hello")["type"], "hello");

    // A message larger than the bound ends the connection.
    send(&mut ws2, json!({"action": "hello", "name": "x".repeat(300 * 1024)})).await;
    assert!(next(&mut ws2).await.is_none(), "an oversized message closes the connection");
    t.assert_consistent();
}

#[tokio::test]
async fn a_mertech_scale_is_retried_while_off_then_synced_with_progress() {
    let t = spawn().await;
    let (owner, _) = shop(&t, "Мясной ряд", "owner@meat.kg", 120).await;
    let sim = LabelSim::new(*b"1234");
    sim.set_down(true);
    let port = sim.serve().await.expect("sim");
    let body = json!({"name": "Mertech M-ER 725", "link": "mertech", "address": format!("127.0.0.1:{port}"), "password": "1234"});
    let (s, scale) = t.post(&owner, "/api/v1/label-scales", body).await;
    assert_eq!(s, StatusCode::CREATED, "{scale}");
    let id = scale["id"].as_u64().expect("id");
    drain(&t).await;
    let v = wait_until(&t, &owner, id, "failed", |v| v["last_error"].is_string()).await;
    assert_eq!(
        (v["up_to_date"].as_bool(), v["queued"].as_bool()),
        (Some(false), Some(true)),
        "a failed sync stays queued for its retry: {v}"
    );
    sim.set_down(false);
    // The retry comes by itself once the backoff has passed.
    t.clock.advance_ms(10_000);
    drain(&t).await;
    let v = wait_until(&t, &owner, id, "synced", |v| v["up_to_date"] == true).await;
    assert_eq!((v["last_accepted"].as_u64(), v["last_rejected"].as_u64(), v["last_error"].as_str()), (Some(120), Some(0), None), "{v}");
    assert_eq!(sim.count(), 120);
    assert_eq!(sim.plu(5), Some(("Сыр 5".to_string(), "450.50".to_string())));
    let (_, results) = t.get(&owner, &format!("/api/v1/label-scales/{id}/results")).await;
    assert_eq!(results.as_array().map(Vec::len), Some(2), "two batches of up to 100");

    // "Sync now" sends everything again; the page's event stream shows the progress.
    let p = crate::browser::Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@meat.kg"), ("password", "password-123")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut res =
        p.http.get(t.url(&format!("/label-scales/{id}/events"))).header("accept", "text/event-stream").send().await.expect("events");
    assert_eq!(res.status(), StatusCode::OK);
    let (s, v) = t.post(&owner, &format!("/api/v1/label-scales/{id}/sync"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let worker = tokio::spawn(dukan::workers::label_sync_once(t.app.clone()));
    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        while let Ok(Some(chunk)) = res.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("\"done\":100,\"total\":120") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got.ok(), Some(true), "{seen}");
    assert!(worker.await.expect("worker task").expect("worker step"));
    let uploads = sim.uploads.load(std::sync::atomic::Ordering::Relaxed);
    wait_until(&t, &owner, id, "re-synced", |v| v["up_to_date"] == true && v["running"].is_null()).await;
    assert!(uploads >= 3, "{uploads}");
    let page = p.get(&format!("/label-scales/{id}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(html.contains("id=\"label-scale-results\"") && html.contains("Сыр 1"), "the results table");
    t.assert_consistent();
}

#[tokio::test]
async fn bad_input_rights_and_other_companies_are_refused() {
    let t = spawn().await;
    let (owner, _) = shop(&t, "Ала-Тоо", "owner@alatoo.kg", 1).await;
    let (other, _) = shop(&t, "Бишкек", "owner@bishkek.kg", 1).await;
    for (body, want) in [
        (json!({"name": "", "link": "agent"}), "required"),
        (json!({"name": "Весы", "link": "bluetooth"}), "label_scale_link"),
        (json!({"name": "Весы", "link": "mertech", "address": "nowhere"}), "scale_address"),
        (json!({"name": "Весы", "link": "mertech", "address": "127.0.0.1:5001", "password": "12345"}), "label_scale_password"),
    ] {
        let (s, e) = t.post(&owner, "/api/v1/label-scales", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        let codes: Vec<&str> = e["errors"].as_array().expect("errors").iter().filter_map(|x| x["code"].as_str()).collect();
        assert!(codes.contains(&want) || want == "required", "{body}: {e}");
    }
    let (s, e) = t.call(reqwest::Method::POST, "/api/v1/label-scales", Some(&owner.token), Some(json!({"name": 5}))).await;
    assert!(s.is_client_error(), "{e}");
    // A user without the scales right sees nothing.
    let (_, role) = t.post(&owner, "/api/v1/roles", json!({"name": "Кассир", "permissions": ["cashier", "sale"]})).await;
    let (_, branches) = t.get(&owner, "/api/v1/branches").await;
    let branch = branches.as_array().and_then(|b| b.first()).map(|b| b["id"].clone()).expect("a branch");
    let (s, u) = t
        .post(
            &owner,
            "/api/v1/users",
            json!({"email": "cashier@alatoo.kg", "name": "Айбек", "role": "staff", "custom_role": role["id"], "branches": [branch], "password": "password-456"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let cashier = t.login("cashier@alatoo.kg", "password-456").await;
    let (s, _) = t.get(&cashier, "/api/v1/label-scales").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.post(&cashier, "/api/v1/label-scales", json!({"name": "Весы", "link": "agent"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Another company's scale: every page and action is not found, like a missing one, and
    // its token does not open this company's door.
    let (_, theirs) = t.post(&other, "/api/v1/label-scales", json!({"name": "Чужие весы", "link": "agent"})).await;
    let their_id = theirs["id"].as_u64().expect("id");
    let (_, list) = t.get(&owner, "/api/v1/label-scales").await;
    assert!(list.as_array().expect("list").iter().all(|s| s["id"] != their_id), "{list}");
    let p = crate::browser::Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@alatoo.kg"), ("password", "password-123")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = p.get("/label-scales").await.text().await.expect("list page");
    let csrf = crate::browser::csrf_of(&html);
    assert!(!html.contains("Чужие весы"));
    for id in [their_id, 999_999_999] {
        for page in ["/label-scales/{id}", "/label-scales/{id}/status", "/label-scales/{id}/events"] {
            let path = page.replace("{id}", &id.to_string());
            assert_eq!(p.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        for action in ["/label-scales/{id}", "/label-scales/{id}/token", "/label-scales/{id}/sync", "/label-scales/{id}/delete"] {
            let path = action.replace("{id}", &id.to_string());
            let r = p.post(&path, &[("_csrf", csrf.as_str()), ("name", "x"), ("link", "agent")]).await;
            assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }
    let (s, still) = t.get(&other, &format!("/api/v1/label-scales/{their_id}")).await;
    assert_eq!((s, still["name"].as_str()), (StatusCode::OK, Some("Чужие весы")));

    // The page: add an agent scale, see its token once, sync now.
    let r = p.post("/label-scales", &[("_csrf", csrf.as_str()), ("name", "Весы у кассы"), ("link", "agent")]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.expect("page");
    assert!(html.contains("id=\"label-scale-token-value\">ls."), "the token is shown once");
    let mine = html.split("action=\"/label-scales/").nth(1).and_then(|s| s.split('/').next()).expect("the scale's id").to_string();
    let r = p.post(&format!("/label-scales/{mine}/sync"), &[("_csrf", csrf.as_str())]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = p.get(&format!("/label-scales/{mine}")).await.text().await.expect("page");
    assert!(!html.contains("label-scale-token-value"), "the token is not shown again");
    t.assert_consistent();
}

/// "Sync now" on a scale whose job is backing off tries at once; a new address is out of date
/// and gets the whole list.
#[tokio::test]
async fn sync_now_skips_the_backoff_and_a_new_address_gets_the_whole_list() {
    let t = spawn().await;
    let (owner, _) = shop(&t, "Колбасы", "owner@kolbasy.kg", 30).await;
    let sim = LabelSim::new(*b"1234");
    sim.set_down(true);
    let port = sim.serve().await.expect("sim");
    let body = json!({"name": "Mertech", "link": "mertech", "address": format!("127.0.0.1:{port}"), "password": "1234"});
    let (_, scale) = t.post(&owner, "/api/v1/label-scales", body).await;
    let id = scale["id"].as_u64().expect("id");
    drain(&t).await;
    wait_until(&t, &owner, id, "failed", |v| v["last_error"].is_string()).await;
    sim.set_down(false);
    // No clock advance: without "sync now" the job would wait out its backoff.
    drain(&t).await;
    assert_eq!(sim.count(), 0, "the backoff holds");
    let (s, v) = t.post(&owner, &format!("/api/v1/label-scales/{id}/sync"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    drain(&t).await;
    wait_until(&t, &owner, id, "synced", |v| v["up_to_date"] == true).await;
    assert_eq!(sim.count(), 30);

    // The scale moves to another address (or is swapped): it holds nothing yet.
    let other = LabelSim::new(*b"1234");
    let port2 = other.serve().await.expect("second sim");
    let body = json!({"name": "Mertech", "link": "mertech", "address": format!("127.0.0.1:{port2}"), "password": "1234", "active": true});
    let (s, v) = t.put(&owner, &format!("/api/v1/label-scales/{id}"), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["up_to_date"], false, "{v}");
    drain(&t).await;
    wait_until(&t, &owner, id, "synced again", |v| v["up_to_date"] == true).await;
    assert_eq!(other.count(), 30, "the whole list went to the new address");
    t.assert_consistent();
}

/// One agent per scale (a second connection with the token takes over and the first is
/// closed), and only while the company is active on a plan with scales.
#[tokio::test]
async fn one_agent_per_scale_and_only_for_an_active_company_with_scales() {
    let t = spawn().await;
    let op = t.first_run("op@box.kg", "password-op").await;
    let (owner, _) = shop(&t, "Сырный", "owner@syr.kg", 2).await;
    let (_, scale) = t.post(&owner, "/api/v1/label-scales", json!({"name": "Весы", "link": "agent"})).await;
    let token = scale["token"].as_str().expect("token").to_string();

    let mut first = connect(&t, &token).await.expect("first agent");
    assert_eq!(next(&mut first).await.expect("hello")["type"], "hello");
    send(&mut first, json!({"action": "hello", "name": "agent-1"})).await;
    assert_eq!(next(&mut first).await.expect("batch")["action"], "plu_batch");
    let mut second = connect(&t, &token).await.expect("second agent");
    assert_eq!(next(&mut second).await.expect("hello")["type"], "hello");
    assert!(next(&mut first).await.is_none(), "the first agent is closed once the second connects");
    drop(second);

    // Blocked, or on a plan without scales: the token no longer opens the door.
    let cid = owner.company_id();
    let (_, plans) = t.get(&op, "/api/v1/platform/plans").await;
    let plans = plans.as_array().expect("plans").clone();
    let with = plans.iter().find(|p| p["features"].as_array().is_some_and(|f| f.contains(&json!("scales")))).expect("a plan with scales");
    let without =
        plans.iter().find(|p| p["features"].as_array().is_some_and(|f| !f.contains(&json!("scales")))).expect("a plan without scales");
    for (plan, active, want) in [(&without["id"], true, 403u16), (&with["id"], false, 403), (&with["id"], true, 101)] {
        let (s, e) = t
            .put(
                &op,
                &format!("/api/v1/platform/companies/{cid}/subscription"),
                json!({"plan": plan, "end": null, "grace_days": 7, "active": active}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
        match connect(&t, &token).await {
            Ok(_) => assert_eq!(want, 101, "plan {plan}, active {active}"),
            Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), want, "plan {plan}, active {active}"),
            Err(other) => panic!("{other}"),
        }
    }
}
