//! Payment gateway callbacks: a tiny fake gateway signs callbacks with the secret the desk
//! rotated; a correct one becomes a payment, a replay returns the same payment, any flipped
//! bit of body or signature is refused with 401 and nothing stored, unknown contracts and bad
//! amounts are refused with stable codes, and the secret is shown only once.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::telecom::{active_contract, codes, desk};

/// The gateway's side: it knows the secret and the header, and posts signed bodies.
struct FakeGateway {
    company: u64,
    header: String,
    secret: String,
}

impl FakeGateway {
    fn sign(&self, body: &[u8]) -> String {
        dukan::webhooks::sign(&self.secret, body)
    }

    async fn post_raw(&self, t: &TestApp, body: &[u8], signature: &str) -> (StatusCode, Value) {
        let r = t
            .http
            .post(t.url(&format!("/api/v1/telecom/gateway/{}/callback", self.company)))
            .header("content-type", "application/json")
            .header(self.header.as_str(), signature)
            .body(body.to_vec())
            .send()
            .await
            .expect("callback");
        let status = r.status();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn pay(&self, t: &TestApp, body: Value) -> (StatusCode, Value) {
        let raw = serde_json::to_vec(&body).expect("json");
        self.post_raw(t, &raw, &self.sign(&raw)).await
    }
}

async fn ledger_len(t: &TestApp, c: &crate::common::Client, k: u64) -> usize {
    let (_, v) = t.get(c, &format!("/api/v1/telecom/contracts/{k}")).await;
    v["ledger"].as_array().map(Vec::len).unwrap_or(0)
}

#[tokio::test]
async fn signed_callbacks_pay_once_and_anything_else_is_refused() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@gateway.kg").await;
    let (_, k) = active_contract(&t, &d, "2020202", "0555 202 020", d.sims[0]).await;
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/contracts/{k}")).await;
    let number = card["contract"]["number"].as_str().expect("number").to_string();
    let company = d.c.company_id();

    // Before a secret exists every callback is refused.
    let early = FakeGateway { company, header: "x-signature".into(), secret: "guess".into() };
    let (s, _) = early.pay(&t, json!({"transaction_id": "g-0", "contract": number, "amount": "10", "status": "completed"})).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, e) = t.put(&d.c, "/api/v1/telecom/gateway", json!({"header": "X-Pay-Signature"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("gateway_no_secret")), "{e}");

    // Rotating shows the secret once; reading the settings never shows it.
    let (s, g) = t.post(&d.c, "/api/v1/telecom/gateway/rotate", json!({"header": "X-Pay-Signature"})).await;
    assert_eq!(s, StatusCode::OK, "{g}");
    let secret = g["secret"].as_str().expect("secret").to_string();
    assert_eq!((g["header"].as_str(), secret.len()), (Some("x-pay-signature"), 64), "{g}");
    let (_, again) = t.get(&d.c, "/api/v1/telecom/gateway").await;
    assert_eq!((again["secret"].clone(), again["configured"].as_bool()), (Value::Null, Some(true)), "{again}");
    let (s, e) = t.put(&d.c, "/api/v1/telecom/gateway", json!({"header": "bad header!"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["header".to_string()]), "{e}");
    let gw = FakeGateway { company, header: "x-pay-signature".into(), secret };

    // A completed callback pays; the replay returns the same payment and writes nothing.
    let body = json!({"transaction_id": "g-1", "contract": number, "amount": "250.50", "status": "completed", "extra": "kept quiet"});
    let (s, first) = gw.pay(&t, body.clone()).await;
    assert_eq!((s, first["accepted"].as_bool(), first["replayed"].as_bool()), (StatusCode::OK, Some(true), Some(false)), "{first}");
    assert_eq!(first["balance_after"], "250.50");
    let rows = ledger_len(&t, &d.c, k).await;
    let (s, replay) = gw.pay(&t, body).await;
    assert_eq!((s, replay["replayed"].as_bool(), replay["seq"].clone()), (StatusCode::OK, Some(true), first["seq"].clone()), "{replay}");
    assert_eq!(ledger_len(&t, &d.c, k).await, rows, "a replay stores nothing");
    // The same transaction id with another amount is refused.
    let (s, e) = gw.pay(&t, json!({"transaction_id": "g-1", "contract": number, "amount": "999", "status": "completed"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("transaction_id_reused")), "{e}");

    // Any flipped bit of the body or of the signature: 401, nothing stored.
    let raw =
        serde_json::to_vec(&json!({"transaction_id": "g-2", "contract": number, "amount": "10", "status": "completed"})).expect("json");
    let sig = gw.sign(&raw);
    for bit in (0..raw.len() * 8).step_by(7) {
        let mut bad = raw.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        let (s, _) = gw.post_raw(&t, &bad, &sig).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "body bit {bit}");
    }
    for bit in (0..sig.len() * 8).step_by(5) {
        let mut bad = sig.clone().into_bytes();
        bad[bit / 8] ^= 1 << (bit % 8);
        let Ok(bad) = String::from_utf8(bad) else { continue };
        if reqwest::header::HeaderValue::from_str(&bad).is_err() {
            continue;
        }
        let (s, _) = gw.post_raw(&t, &raw, &bad).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "signature bit {bit}");
    }
    let (s, _) = gw.post_raw(&t, &raw, "").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "no signature");
    let other = FakeGateway { company, header: "x-pay-signature".into(), secret: "another secret".into() };
    let (s, _) = other.post_raw(&t, &raw, &other.sign(&raw)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "signed with another secret");
    let elsewhere = FakeGateway { company: company + 1_000_000, header: gw.header.clone(), secret: gw.secret.clone() };
    let (s, _) = elsewhere.post_raw(&t, &raw, &gw.sign(&raw)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "another company's address");
    assert_eq!(ledger_len(&t, &d.c, k).await, rows, "no refused callback stored anything");
    // The untouched body pays.
    let (s, ok) = gw.post_raw(&t, &raw, &sig).await;
    assert_eq!((s, ok["accepted"].as_bool()), (StatusCode::OK, Some(true)), "{ok}");

    // Signed but wrong: stable codes, nothing stored.
    let rows = ledger_len(&t, &d.c, k).await;
    let cases = [
        (json!({"transaction_id": "g-3", "contract": "202001-FFFFFFFF", "amount": "10", "status": "completed"}), "unknown_contract"),
        (json!({"transaction_id": "g-4", "contract": number, "amount": "0", "status": "completed"}), "amount_positive"),
        (json!({"transaction_id": "g-5", "contract": number, "amount": "-5", "status": "completed"}), "amount"),
        (json!({"transaction_id": "g-6", "contract": number, "amount": "1.001", "status": "completed"}), "amount"),
        (json!({"transaction_id": "", "contract": number, "amount": "10", "status": "completed"}), "transaction_id"),
        (json!({"transaction_id": "g-7", "contract": number, "amount": "10", "status": "maybe"}), "status"),
    ];
    for (body, code) in cases {
        let (s, e) = gw.pay(&t, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert!(codes(&e).contains(&code.to_string()), "{code}: {e}");
    }
    let (s, e) = gw.post_raw(&t, b"not json", &gw.sign(b"not json")).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("gateway_body")), "{e}");
    // A failed payment is acknowledged and stores nothing.
    let (s, v) = gw.pay(&t, json!({"transaction_id": "g-8", "contract": number, "amount": "10", "status": "failed"})).await;
    assert_eq!((s, v["accepted"].as_bool()), (StatusCode::OK, Some(false)), "{v}");
    assert_eq!(ledger_len(&t, &d.c, k).await, rows);

    // The settings are the supervisors'; the page shows a rotated secret once.
    let employee = crate::telecom::role_user(&t, &d.c, "operator", "op@gateway.kg").await;
    let (s, _) = t.get(&employee, "/api/v1/telecom/gateway").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.post(&employee, "/api/v1/telecom/gateway/rotate", json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let r = t.http.get(t.url("/telecom/gateway")).bearer_auth(&d.c.token).send().await.expect("page");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    assert!(!html.contains(&gw.secret), "the page never shows a stored secret");
    t.assert_consistent();
}
