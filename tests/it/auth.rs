//! Sign-in, tokens, `/me`, refresh rotation and reuse detection, password change.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;

#[tokio::test]
async fn login_me_refresh_and_reuse_detection() {
    let t = TestApp::spawn().await;
    let cid = t.company("Нур", "owner@nur.kg", "secret-pass-1").await;
    let c = t.login("Owner@Nur.kg", "secret-pass-1").await;
    assert_eq!(c.company_id(), cid);
    assert!(c.body.get("password").is_none() && c.body["user"].get("password").is_none(), "no password in any response");

    let (status, me) = t.get(&c, "/api/v1/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["email"], "owner@nur.kg");
    assert_eq!(me["company"]["currency"], "KGS");
    assert_eq!(me["branches"].as_array().map(Vec::len), Some(1));
    assert!(me["permissions"].as_array().is_some_and(|p| p.len() >= 65));

    // Rotation: the new refresh token works once; the old one is refused and revokes the family.
    let (status, r1) = t.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": c.refresh}))).await;
    assert_eq!(status, StatusCode::OK, "{r1}");
    let (status, again) = t.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": c.refresh}))).await;
    assert_eq!((status, again["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_invalid")));
    let (status, _) = t.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": r1["refresh_token"]}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the whole family is revoked after reuse");
    let (status, _) = t.call(Method::GET, "/api/v1/me", r1["access_token"].as_str(), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "access tokens of a revoked family stop at once");
    t.assert_consistent();
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_the_same() {
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "secret-pass-1").await;
    for (email, pw) in [("owner@nur.kg", "wrong-pass"), ("nobody@nur.kg", "secret-pass-1")] {
        let (status, body) = t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": email, "password": pw}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "bad_credentials");
    }
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account() {
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "secret-pass-1").await;
    for _ in 0..5 {
        let (status, _) =
            t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "owner@nur.kg", "password": "guess-guess"}))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let resp = t
        .http
        .post(t.url("/api/v1/auth/login"))
        .json(&json!({"email": "owner@nur.kg", "password": "secret-pass-1"}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "even the right password waits once the account is locked");
    assert!(resp.headers().get("retry-after").is_some());
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["code"], "rate_limited");
    t.clock.advance_ms(15 * 60_000);
    t.login("owner@nur.kg", "secret-pass-1").await;
}
