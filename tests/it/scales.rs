//! Scales end to end: every protocol's simulator over TCP and a pty is detected and read, its
//! stable, unstable, overload and disconnected states reach the API and `/metrics`; the till
//! takes only a stable weight, once per return to zero, records it with the sale line, allows a
//! manual weight only with its right, never blocks on a dead scale; bad input is refused with
//! stable codes; every route keeps companies apart.

use std::time::Duration;

use dukan::scales::proto::{Protocol, State};
use dukan::scales::sim::Sim;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

async fn spawn() -> TestApp {
    TestApp::spawn_with(|c| c.webhooks_allow_loopback = true).await
}

fn code(v: &Value) -> String {
    match v["code"].as_str() {
        Some("validation") | None => v["errors"][0]["code"].as_str().unwrap_or_default().to_string(),
        Some(c) => c.to_string(),
    }
}

/// Polls the scale's status until `state` (and `grams`, when given) shows.
async fn wait_for(t: &TestApp, c: &Client, id: u64, state: &str, grams: Option<i64>) -> Value {
    let mut last = Value::Null;
    for _ in 0..150 {
        let (s, v) = t.get(c, &format!("/api/v1/scales/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        if v["state"] == state && grams.is_none_or(|g| v["grams"] == g) {
            return v;
        }
        last = v;
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
    panic!("scale {id} never {state} {grams:?}: {last}");
}

/// A simulator on TCP, one on a pty, both detected as their protocol; the pty one is added and
/// read through its states.
async fn check_protocol(t: &TestApp, c: &Client, p: Protocol) {
    let sim = Sim::new(p);
    sim.set(1250, State::Stable);
    let port = sim.serve_tcp().await.expect("tcp");
    let (s, found) = t.post(c, "/api/v1/scales/detect", json!({"link": "tcp", "address": format!("127.0.0.1:{port}")})).await;
    assert_eq!((s, found["protocol"].as_str()), (StatusCode::OK, Some(p.code())), "TCP detect of {}: {found}", p.code());
    let path = sim.serve_pty().expect("pty");
    let (s, found) = t.post(c, "/api/v1/scales/detect", json!({"link": "serial", "address": path})).await;
    assert_eq!((s, found["protocol"].as_str()), (StatusCode::OK, Some(p.code())), "pty detect of {}: {found}", p.code());
    // A pty takes any line settings: the first tried, the protocol's usual ones, answers.
    assert!(found["line"].is_string(), "{found}");
    let (s, scale) = t
        .post(c, "/api/v1/scales", json!({"name": format!("Весы {}", p.code()), "link": "serial", "address": path, "protocol": p.code()}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{scale}");
    let id = scale["id"].as_u64().expect("id");
    // Protocols without a stability flag settle after equal weights in a row.
    wait_for(t, c, id, "stable", Some(1250)).await;
    if p.reports_stability() {
        sim.set(700, State::Unstable);
        wait_for(t, c, id, "unstable", None).await;
        sim.set(99_000, State::Overload);
        wait_for(t, c, id, "overload", None).await;
    } else {
        sim.set(700, State::Unstable);
        wait_for(t, c, id, "stable", Some(700)).await;
    }
    sim.pull_cable(true);
    let down = wait_for(t, c, id, "disconnected", None).await;
    assert!(down["errors"].as_u64().unwrap_or(0) >= 3, "{down}");
    sim.set(400, State::Stable);
    sim.pull_cable(false);
    wait_for(t, c, id, "stable", Some(400)).await;
}

#[tokio::test]
async fn every_protocol_is_detected_and_read_over_tcp_and_a_pty() {
    let t = spawn().await;
    t.company("Весовая", "owner@scales.kg", "password-123").await;
    let c = t.login("owner@scales.kg", "password-123").await;
    let all = Protocol::ALL.into_iter().map(|p| check_protocol(&t, &c, p));
    futures_util::future::join_all(all).await;
    let metrics = t.http.get(t.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics.contains("dukan_scale_state{company="), "{metrics}");
    assert!(metrics.contains("dukan_scale_errors_total{company="), "{metrics}");
    // The zero and tare orders reach the scale (MT-SICS answers both).
    let (_, list) = t.get(&c, "/api/v1/scales").await;
    let sics = list.as_array().expect("list").iter().find(|s| s["protocol"] == "sics").expect("sics")["id"].as_u64().expect("id");
    let (s, v) = t.post(&c, &format!("/api/v1/scales/{sics}/tare"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    wait_for(&t, &c, sics, "stable", Some(0)).await;
    let esp = list.as_array().expect("list").iter().find(|s| s["protocol"] == "esp").expect("esp")["id"].as_u64().expect("id");
    let (s, v) = t.post(&c, &format!("/api/v1/scales/{esp}/zero"), json!({})).await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, "scale_no_zero_tare".into()));
}

/// A shop with a weighed product (PLU 7, 500.00 a kg), a cash box with an open shift and a
/// scale on a simulator bound to it.
struct Shop {
    owner: Client,
    cash_box: u64,
    scale: u64,
    sim: Sim,
    product: u64,
}

async fn shop(t: &TestApp, name: &str, email: &str) -> Shop {
    t.company(name, email, "password-123").await;
    let owner = t.login(email, "password-123").await;
    let (s, p) = t
        .post(
            &owner,
            "/api/v1/products",
            json!({"name": "Яблоки", "unit": "kg", "weighed": true, "plu": "7", "price": "500", "barcodes": ["4600000000008"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (_, w) = t.post(&owner, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let (s, d) = t
        .post(
            &owner,
            "/api/v1/documents",
            json!({"kind": "receipt", "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "50", "cost": "300"}], "post": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (_, cb) = t.post(&owner, "/api/v1/cash-boxes", json!({"name": "Касса 1", "warehouse": w["id"]})).await;
    let (s, shift) = t.post(&owner, "/api/v1/shifts", json!({"cash_box": cb["id"], "opening_cash": "0"})).await;
    assert_eq!(s, StatusCode::CREATED, "{shift}");
    let sim = Sim::new(Protocol::Sics);
    let port = sim.serve_tcp().await.expect("tcp");
    let (s, scale) = t
        .post(
            &owner,
            "/api/v1/scales",
            json!({"name": "Весы у кассы", "link": "tcp", "address": format!("127.0.0.1:{port}"), "protocol": "sics", "resolution_g": 2, "cash_box": cb["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{scale}");
    let id = |v: &Value| v["id"].as_u64().expect("id");
    Shop { owner, cash_box: id(&cb), scale: id(&scale), sim, product: id(&p) }
}

#[tokio::test]
async fn the_till_takes_only_a_stable_weight_once_and_records_it_with_the_sale_line() {
    let t = spawn().await;
    let s = shop(&t, "Фрукты", "owner@fruit.kg").await;
    let weigh = |code: &str| json!({"cash_box": s.cash_box, "code": code});
    s.sim.set(1233, State::Unstable);
    wait_for(&t, &s.owner, s.scale, "unstable", Some(1234)).await;
    let (st, e) = t.post(&s.owner, "/api/v1/pos/cart/weigh", weigh("7")).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "scale_unstable".into()), "an unstable weight is never taken");
    s.sim.set(1233, State::Stable);
    wait_for(&t, &s.owner, s.scale, "stable", Some(1234)).await;
    let (st, v) = t.post(&s.owner, "/api/v1/pos/cart/weigh", weigh("7")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["qty"].as_str(), v["product"].as_u64()), (Some("1.234"), Some(s.product)), "grams at the 2 g division: {v}");
    let (st, e) = t.post(&s.owner, "/api/v1/pos/cart/weigh", weigh("4600000000008")).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "scale_not_zeroed".into()), "the same weight twice: {e}");
    // Back to zero, then a second weighing of the same product adds to its line.
    s.sim.set(0, State::Stable);
    wait_for(&t, &s.owner, s.scale, "stable", Some(0)).await;
    let (st, e) = t.post(&s.owner, "/api/v1/pos/cart/weigh", weigh("7")).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "scale_empty".into()));
    s.sim.set(500, State::Stable);
    wait_for(&t, &s.owner, s.scale, "stable", Some(500)).await;
    let (st, v) = t.post(&s.owner, "/api/v1/pos/cart/weigh", weigh("4600000000008")).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["cart"]["lines"][0]["qty"], "1.734", "{v}");
    let (st, sale) = t
        .post(
            &s.owner,
            "/api/v1/sales",
            json!({"idempotency_key": "weighed-1", "cash_box": s.cash_box, "payments": [{"method": "cash", "amount": "867"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");
    let sale_id = sale["id"].as_u64().expect("id");
    let (st, w) = t.get(&s.owner, &format!("/api/v1/sales/{sale_id}/weights")).await;
    assert_eq!(st, StatusCode::OK, "{w}");
    assert_eq!(w[0]["line"], 0);
    assert_eq!(w[0]["grams"], 1734);
    assert_eq!(w[0]["manual"], false);
    assert_eq!(w[0]["readings"].as_array().map(Vec::len), Some(2));
    assert_eq!(w[0]["readings"][0]["scale"].as_u64(), Some(s.scale));
    // A dead scale never blocks the till: refused at once, and a manual weight still sells.
    s.sim.pull_cable(true);
    wait_for(&t, &s.owner, s.scale, "disconnected", None).await;
    let started = std::time::Instant::now();
    let (st, e) = t.post(&s.owner, "/api/v1/pos/cart/weigh", weigh("7")).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "scale_offline".into()));
    assert!(started.elapsed() < Duration::from_secs(1), "the till waited on a dead scale");
    let manual = json!({"cash_box": s.cash_box, "code": "7", "manual_kg": "0,750"});
    let (st, v) = t.post(&s.owner, "/api/v1/pos/cart/weigh", manual.clone()).await;
    assert_eq!((st, v["qty"].as_str()), (StatusCode::OK, Some("0.750")), "{v}");
    let (st, sale) = t
        .post(
            &s.owner,
            "/api/v1/sales",
            json!({"idempotency_key": "weighed-2", "cash_box": s.cash_box, "payments": [{"method": "cash", "amount": "375"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");
    let (_, w) = t.get(&s.owner, &format!("/api/v1/sales/{}/weights", sale["id"])).await;
    assert_eq!((w[0]["grams"].as_i64(), w[0]["manual"].as_bool()), (Some(750), Some(true)), "{w}");
    // A cashier without the manual-weight right is refused; with it, allowed.
    let (st, role) = t.post(&s.owner, "/api/v1/roles", json!({"name": "Кассир весов", "permissions": ["cashier", "sale"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{role}");
    let (_, branches) = t.get(&s.owner, "/api/v1/branches").await;
    let branch = branches.as_array().and_then(|b| b.first()).map(|b| b["id"].clone()).expect("a branch");
    let (st, u) = t
        .post(
            &s.owner,
            "/api/v1/users",
            json!({"email": "cashier@fruit.kg", "name": "Айбек", "role": "staff", "custom_role": role["id"], "branches": [branch], "password": "password-456"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let cashier = t.login("cashier@fruit.kg", "password-456").await;
    let (st, shift) = t.post(&cashier, "/api/v1/shifts", json!({"cash_box": s.cash_box, "opening_cash": "0"})).await;
    assert!(st == StatusCode::CREATED || st == StatusCode::CONFLICT, "{shift}");
    let (st, e) = t.post(&cashier, "/api/v1/pos/cart/weigh", manual.clone()).await;
    assert_eq!((st, code(&e)), (StatusCode::FORBIDDEN, "forbidden".into()), "{e}");
    let (st, r) = t
        .put(
            &s.owner,
            &format!("/api/v1/roles/{}", role["id"]),
            json!({"name": "Кассир весов", "permissions": ["cashier", "sale", "scales_manual"]}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (st, v) = t.post(&cashier, "/api/v1/pos/cart/weigh", manual).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // Bad input: 4xx with stable codes, never 500.
    let (_, plain) = t.post(&s.owner, "/api/v1/products", json!({"name": "Кефир", "price": "60", "barcodes": ["4600000000015"]})).await;
    assert!(plain["id"].is_u64(), "{plain}");
    s.sim.set(0, State::Stable);
    s.sim.pull_cable(false);
    wait_for(&t, &s.owner, s.scale, "stable", Some(0)).await;
    s.sim.set(500, State::Stable);
    wait_for(&t, &s.owner, s.scale, "stable", Some(500)).await;
    for (body, status, want) in [
        (weigh("4600000000015"), StatusCode::CONFLICT, "not_weighed"),
        (weigh("999999"), StatusCode::CONFLICT, "barcode_unknown"),
        (json!({"cash_box": s.cash_box, "code": "7", "manual_kg": "много"}), StatusCode::UNPROCESSABLE_ENTITY, "qty"),
        (json!({"cash_box": s.cash_box, "code": "7", "manual_kg": "5000"}), StatusCode::UNPROCESSABLE_ENTITY, "weight_range"),
        (json!({"cash_box": 999_999, "code": "7"}), StatusCode::NOT_FOUND, "not_found"),
    ] {
        let (st, e) = t.post(&s.owner, "/api/v1/pos/cart/weigh", body.clone()).await;
        assert_eq!((st, code(&e)), (status, want.to_string()), "{body}: {e}");
    }
    let base = json!({"name": "Весы", "link": "tcp", "address": "127.0.0.1:4001", "protocol": "sics"});
    for (patch, want) in [
        (json!({"protocol": "toledo"}), "scale_protocol"),
        (json!({"link": "serial", "address": "/etc/passwd"}), "scale_path"),
        (json!({"link": "serial", "address": "/dev/pts/0", "line": "9600 9Z1"}), "scale_line"),
        (json!({"address": "no-port"}), "scale_address"),
        (json!({"address": "169.254.169.254:80"}), "scale_address_forbidden"),
        (json!({"link": "usb"}), "scale_link"),
        (json!({"resolution_g": 3}), "scale_resolution"),
        (json!({"name": ""}), "required"),
        (json!({"cash_box": s.cash_box}), "scale_box_taken"),
        (json!({"cash_box": 999_999}), "unknown_cash_box"),
    ] {
        let mut body = base.clone();
        for (k, v) in patch.as_object().expect("patch") {
            body[k] = v.clone();
        }
        let (st, e) = t.post(&s.owner, "/api/v1/scales", body.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        let codes: Vec<&str> = e["errors"].as_array().expect("errors").iter().filter_map(|x| x["code"].as_str()).collect();
        assert!(codes.contains(&want), "{body}: {e}");
    }
    let (st, e) = t.post(&s.owner, "/api/v1/scales/detect", json!({"link": "tcp", "address": "127.0.0.1:1"})).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "scale_not_detected".into()), "{e}");
    // Only those who manage scales see the list; a cashier may follow the box's scale.
    let (st, _) = t.get(&cashier, "/api/v1/scales").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) = t.get(&cashier, &format!("/api/v1/scales/{}", s.scale)).await;
    assert_eq!(st, StatusCode::OK);
    t.assert_consistent();
}

#[tokio::test]
async fn the_live_stream_delivers_weights_as_they_change() {
    let t = spawn().await;
    let s = shop(&t, "Поток", "owner@live.kg").await;
    wait_for(&t, &s.owner, s.scale, "stable", Some(0)).await;
    let mut res = t.http.get(t.url(&format!("/api/v1/scales/{}/live", s.scale))).bearer_auth(&s.owner.token).send().await.expect("stream");
    assert_eq!(res.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.sim.set(2500, State::Stable);
    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(chunk)) = res.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("\"grams\":2500") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got.ok(), Some(true), "{seen}");
    assert!(seen.contains("event: weight"), "{seen}");
    // The pages follow the same events with the session cookie.
    let p = crate::browser::Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@live.kg"), ("password", "password-123")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut res =
        p.http.get(t.url(&format!("/scales/{}/live", s.scale))).header("accept", "text/event-stream").send().await.expect("page stream");
    assert_eq!(res.status(), StatusCode::OK, "{:?}", res.headers());
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.sim.set(3000, State::Stable);
    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(chunk)) = res.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("\"grams\":3000") {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(got.ok(), Some(true), "{seen}");
}

#[tokio::test]
async fn another_companys_scales_are_not_found_on_every_route() {
    let t = spawn().await;
    let a = shop(&t, "Ала-Тоо", "owner@a.kg").await;
    let b = shop(&t, "Бишкек", "owner@b.kg").await;
    b.sim.set(800, State::Stable);
    wait_for(&t, &b.owner, b.scale, "stable", Some(800)).await;
    let (st, v) = t.post(&b.owner, "/api/v1/pos/cart/weigh", json!({"cash_box": b.cash_box, "code": "7"})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (st, sale) = t
        .post(
            &b.owner,
            "/api/v1/sales",
            json!({"idempotency_key": "b-1", "cash_box": b.cash_box, "payments": [{"method": "cash", "amount": "400"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");
    let sale = sale["id"].as_u64().expect("id");
    let body = json!({"name": "Чужие", "link": "tcp", "address": "127.0.0.1:4001", "protocol": "sics"});
    let routes: Vec<(reqwest::Method, String, Option<Value>)> = vec![
        (reqwest::Method::GET, format!("/api/v1/scales/{}", b.scale), None),
        (reqwest::Method::PUT, format!("/api/v1/scales/{}", b.scale), Some(body.clone())),
        (reqwest::Method::DELETE, format!("/api/v1/scales/{}", b.scale), None),
        (reqwest::Method::POST, format!("/api/v1/scales/{}/zero", b.scale), None),
        (reqwest::Method::POST, format!("/api/v1/scales/{}/tare", b.scale), None),
        (reqwest::Method::GET, format!("/api/v1/scales/{}/live", b.scale), None),
        (reqwest::Method::GET, format!("/api/v1/sales/{sale}/weights"), None),
        (reqwest::Method::POST, "/api/v1/pos/cart/weigh".to_string(), Some(json!({"cash_box": b.cash_box, "code": "7"}))),
    ];
    for (method, path, body) in routes {
        let (st, e) = t.call(method.clone(), &path, Some(&a.owner.token), body).await;
        assert_eq!((st, code(&e)), (StatusCode::NOT_FOUND, "not_found".into()), "{method} {path}: {e}");
    }
    let (_, list) = t.get(&a.owner, "/api/v1/scales").await;
    let ids: Vec<u64> = list.as_array().expect("list").iter().filter_map(|s| s["id"].as_u64()).collect();
    assert_eq!(ids, [a.scale]);
    let mut foreign = body.clone();
    foreign["cash_box"] = json!(b.cash_box);
    let (st, e) = t.post(&a.owner, "/api/v1/scales", foreign).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_cash_box")), "{e}");
    let (st, v) = t.get(&b.owner, &format!("/api/v1/scales/{}", b.scale)).await;
    assert_eq!((st, v["name"].as_str()), (StatusCode::OK, Some("Весы у кассы")), "b's scale is unchanged");
    t.assert_consistent();
}
