//! Bad input gets a 4xx problem response, never a 500, a panic or a partial write: malformed
//! JSON, wrong types, unknown fields, invalid UTF-8, huge bodies, malformed path ids and query
//! strings — and a property-based fuzzer over every operation of the OpenAPI document.

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;

async fn raw(
    t: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, String, Value) {
    let mut req = t.http.request(method, t.url(path)).bearer_auth(token).body(body);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = resp.text().await.unwrap_or_default();
    (status, ct, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

#[tokio::test]
async fn money_is_plain_decimal_notation_in_the_api_and_in_forms() {
    let t = TestApp::spawn().await;
    t.company("Нотация", "owner@notation.kg", "secret-pass-1").await;
    let c = t.login("owner@notation.kg", "secret-pass-1").await;
    for price in ["1e5", "1_000", "1E2", "0x10"] {
        let (s, e) = t.post(&c, "/api/v1/products", json!({"name": "Чай", "price": price})).await;
        assert_eq!(
            (s.as_u16(), e["errors"][0]["field"].as_str(), e["errors"][0]["code"].as_str()),
            (422, Some("price"), Some("amount")),
            "{price}: {e}"
        );
    }
    let (s, p) = t.post(&c, "/api/v1/products", json!({"name": "Чай", "price": "1 000,5"})).await;
    assert_eq!((s.as_u16(), p["price"].as_str()), (201, Some("1000.50")), "{p}");

    let form = crate::browser::Plain::new(&t);
    let r = form.submit("/login", &[("email", "owner@notation.kg"), ("password", "secret-pass-1"), ("next", "/products")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let csrf = crate::browser::csrf_of(&form.get("/products").await.text().await.expect("body"));
    for price in ["1e5", "1_000"] {
        let r = form.post("/products", &[("_csrf", &csrf), ("name", "Кофе"), ("price", price)]).await;
        assert_eq!(r.status().as_u16(), 422, "{price}");
        assert!(r.text().await.expect("body").contains("id=\"e-price\""), "{price}: the message is beside the field");
    }
    let (_, list) = t.get(&c, "/api/v1/products").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "only the plain amount was saved: {list}");
}

#[tokio::test]
async fn unknown_fields_in_nested_objects_are_refused() {
    let t = TestApp::spawn().await;
    t.company("Строгий", "owner@strict.kg", "secret-pass-1").await;
    let c = t.login("owner@strict.kg", "secret-pass-1").await;
    let (s, part) = t.post(&c, "/api/v1/products", json!({"name": "Мука", "price": "50"})).await;
    assert_eq!(s.as_u16(), 201, "{part}");
    let bodies = [
        json!({"name": "Коробка", "price": "10", "packages": [{"name": "ящик", "qty": "12", "price": "1"}]}),
        json!({"name": "Набор", "kind": "bundle", "price": "10", "components": [{"product": part["id"], "qty": "1", "cost": "5"}]}),
        json!({"name": "Хлеб", "price": "10", "recipe": [{"product": part["id"], "qty": "0.5", "unit": "kg"}]}),
    ];
    for body in bodies {
        let (s, e) = t.post(&c, "/api/v1/products", body.clone()).await;
        assert_eq!((s.as_u16(), e["code"].as_str()), (400, Some("invalid_body")), "{body}: {e}");
    }
    let (s, e) = t.post(&c, &format!("/api/v1/products/{}/images/1/move", part["id"]), json!({"position": 0, "to": "front"})).await;
    assert_eq!((s.as_u16(), e["code"].as_str()), (400, Some("invalid_body")), "{e}");
    let (_, list) = t.get(&c, "/api/v1/products").await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "nothing else was written: {list}");
}

#[tokio::test]
async fn malformed_requests_get_problem_responses() {
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "secret-pass-1").await;
    let c = t.login("owner@nur.kg", "secret-pass-1").await;
    let json_ct = Some("application/json");
    // (method, path, content type, body, status, code)
    type Case<'a> = (Method, &'a str, Option<&'a str>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (Method::POST, "/api/v1/branches", json_ct, b"{\"name\": ".to_vec(), 400, "malformed_json"),
        (Method::POST, "/api/v1/branches", json_ct, b"{\"name\": 42}".to_vec(), 400, "invalid_body"),
        (Method::POST, "/api/v1/branches", json_ct, b"{\"name\": \"x\", \"owner\": 1}".to_vec(), 400, "invalid_body"),
        (Method::POST, "/api/v1/branches", json_ct, b"[1,2,3]".to_vec(), 400, "invalid_body"),
        (Method::POST, "/api/v1/branches", json_ct, vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'], 400, "malformed_json"),
        (Method::POST, "/api/v1/branches", None, b"{\"name\": \"x\"}".to_vec(), 400, "unsupported_media_type"),
        (Method::POST, "/api/v1/branches", Some("text/plain"), b"name=x".to_vec(), 400, "unsupported_media_type"),
        (Method::GET, "/api/v1/users/abc", None, vec![], 400, "invalid_path"),
        (Method::GET, "/api/v1/users/-1", None, vec![], 400, "invalid_path"),
        (Method::GET, "/api/v1/users/99999999999999999999999", None, vec![], 400, "invalid_path"),
        (Method::GET, "/api/v1/users/%00", None, vec![], 400, "invalid_path"),
        (Method::GET, "/api/v1/audit?limit=abc", None, vec![], 400, "invalid_query"),
        (Method::GET, "/api/v1/audit?colour=red", None, vec![], 400, "invalid_query"),
        (Method::GET, "/api/v1/audit?from=31.12.2026", None, vec![], 422, "validation"),
        (Method::GET, "/api/v1/nothing-here", None, vec![], 404, "not_found"),
        (Method::DELETE, "/api/v1/me", None, vec![], 405, "method_not_allowed"),
    ];
    for (method, path, ct, body, status, code) in cases {
        let (s, content_type, problem) = raw(&t, method.clone(), path, &c.token, ct, body).await;
        assert_eq!(s.as_u16(), status, "{method} {path}: {problem}");
        assert_eq!(content_type, "application/problem+json", "{method} {path}");
        assert_eq!(problem["code"], code, "{method} {path}: {problem}");
        assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    }

    // A body over the limit (1 MiB) is refused before it is parsed.
    let huge = format!("{{\"name\": \"{}\"}}", "я".repeat(600_000));
    let (s, _, problem) = raw(&t, Method::POST, "/api/v1/branches", &c.token, json_ct, huge.into_bytes()).await;
    assert_eq!((s.as_u16(), problem["code"].as_str()), (413, Some("payload_too_large")));

    // Over-long fields are a field error, not a crash or a truncation.
    let (s, e) = t.post(&c, "/api/v1/branches", json!({"name": "ы".repeat(5000)})).await;
    assert_eq!((s.as_u16(), e["errors"][0]["code"].as_str()), (422, Some("too_long")));

    // Garbage tokens are a 401, whatever their shape.
    for token in ["", "abc", "a.b.c", &"x".repeat(10_000)] {
        let (s, _, p) = raw(&t, Method::GET, "/api/v1/me", token, None, vec![]).await;
        assert_eq!((s.as_u16(), p["code"].as_str().is_some()), (401, true), "token {token:.20}");
    }
    let (_, branches) = t.get(&c, "/api/v1/branches").await;
    assert_eq!(branches.as_array().map(Vec::len), Some(1), "nothing was half-written");
    t.assert_consistent();
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
        Just(json!("")),
        Just(json!("KG")),
        Just(json!("2026-02-30")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("name".to_string()),
                    Just("email".to_string()),
                    Just("password".to_string()),
                    Just("branches".to_string()),
                    Just("permissions".to_string()),
                    Just("features".to_string()),
                    Just("plan".to_string()),
                    Just("end".to_string()),
                    Just("refresh_token".to_string()),
                    "[a-z_]{1,12}"
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Every operation of the published OpenAPI document, called with generated bodies and path
/// values by a signed-in platform operator: no response may be a 5xx.
#[tokio::test]
async fn fuzzing_every_documented_operation_never_yields_a_server_error() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@box.kg", "password-op").await;
    let (_, spec) = t.call(Method::GET, "/api/openapi.json", None, None).await;
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete"] {
            if item.get(method).is_some() && path != "/api/v1/auth/logout" && path != "/api/v1/auth/password" {
                ops.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    assert!(ops.len() >= 30, "the document lists the API: {ops:?}");
    let mut runner = TestRunner::deterministic();
    let bodies = arbitrary_json();
    let ids = prop_oneof![Just("1".to_string()), any::<u64>().prop_map(|n| n.to_string()), "[a-zA-Z0-9%._~-]{0,24}"];
    let cases: usize = std::env::var("DUKAN_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    let mut seen_5xx = Vec::new();
    for i in 0..cases {
        let (method, path) = &ops[i % ops.len()];
        let id = ids.new_tree(&mut runner).expect("id").current();
        let body = bodies.new_tree(&mut runner).expect("body").current();
        let path = path.replace("{id}", if id.is_empty() { "0" } else { &id });
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let send_body = matches!(method, Method::POST | Method::PUT);
        let mut req = t.http.request(method.clone(), t.url(&path)).bearer_auth(&op.token);
        if send_body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status();
        if status.is_server_error() {
            seen_5xx.push(format!("{method} {path} {body} -> {status}: {}", resp.text().await.unwrap_or_default()));
        }
    }
    assert!(seen_5xx.is_empty(), "server errors: {seen_5xx:#?}");
    t.assert_consistent();
}
