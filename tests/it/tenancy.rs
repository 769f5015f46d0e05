//! Companies, branches, users, roles: the rules of the tenancy issue, through the API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| (e["field"].as_str().unwrap_or("").into(), e["code"].as_str().unwrap_or("").into())).collect())
        .unwrap_or_default()
}

async fn owner(t: &TestApp) -> Client {
    t.company("Нур Маркет", "owner@nur.kg", "password-123").await;
    t.login("owner@nur.kg", "password-123").await
}

#[tokio::test]
async fn branches_are_numbered_unique_and_never_all_deactivated() {
    let t = TestApp::spawn().await;
    let o = owner(&t).await;
    let (s, b) = t.post(&o, "/api/v1/branches", json!({"name": "Ошский рынок", "phone": "0555 12 34 56"})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["code"], "B002");
    assert_eq!(b["phone"], "+996555123456");
    assert_eq!(b["timezone"], "Asia/Bishkek");

    let (s, e) = t.post(&o, "/api/v1/branches", json!({"name": " ошский РЫНОК ", "phone": "12", "timezone": "Mars/Base"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let codes = field_codes(&e);
    for want in [("name", "name_taken"), ("phone", "phone"), ("timezone", "timezone")] {
        assert!(codes.contains(&(want.0.into(), want.1.into())), "{want:?} missing in {e}");
    }
    assert!(e["detail"].as_str().is_some_and(|d| d.contains("поля")), "Russian message by default: {e}");

    let (_, list) = t.get(&o, "/api/v1/branches").await;
    let main = list.as_array().expect("list").iter().find(|b| b["code"] == "B001").expect("main")["id"].clone();
    let (s, _) = t.put(&o, &format!("/api/v1/branches/{}", b["id"]), json!({"name": "Ошский рынок", "active": false})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = t.put(&o, &format!("/api/v1/branches/{main}"), json!({"name": "Главный филиал", "active": false})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&e), vec![("active".to_string(), "last_branch".to_string())]);
    t.assert_consistent();
}

#[tokio::test]
async fn users_invites_deactivation_and_email_reuse() {
    let t = TestApp::spawn().await;
    let o = owner(&t).await;
    let (_, branches) = t.get(&o, "/api/v1/branches").await;
    let main = branches[0]["id"].as_u64().expect("branch");

    // Invited: no password anywhere; the link is the only way in.
    let (s, u) = t.post(&o, "/api/v1/users", json!({"email": "Aigul@Nur.kg", "name": "Айгуль", "branches": [main]})).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    assert_eq!(u["user"]["email"], "aigul@nur.kg");
    assert_eq!(u["user"]["has_password"], false);
    assert!(u["invite_path"].as_str().is_some_and(|p| p.starts_with("/invite/") && p.len() > 40));
    assert!(!u.to_string().contains("password\":\""), "no password in the response: {u}");
    let (s, _) = t.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"email": "aigul@nur.kg", "password": ""}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Set by the admin: can sign in.
    let (s, u2) =
        t.post(&o, "/api/v1/users", json!({"email": "bakyt@nur.kg", "name": "Бакыт", "branches": [main], "password": "password-b1"})).await;
    assert_eq!(s, StatusCode::CREATED, "{u2}");
    let bakyt = t.login("bakyt@nur.kg", "password-b1").await;
    let id = u2["user"]["id"].as_u64().expect("id");

    let (s, e) = t
        .post(&o, "/api/v1/users", json!({"email": "bakyt@nur.kg", "name": "Другой", "branches": [main], "password": "password-b2"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&e), vec![("email".to_string(), "email_taken".to_string())]);

    // Deactivation: tokens stop at once, history stays, the e-mail becomes free.
    let (s, _) = t.post(&o, &format!("/api/v1/users/{id}/deactivate"), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t.get(&bakyt, "/api/v1/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, old) = t.get(&o, &format!("/api/v1/users/{id}")).await;
    assert_eq!((s, old["active"].clone()), (StatusCode::OK, json!(false)));
    let (s, _) = t
        .post(&o, "/api/v1/users", json!({"email": "bakyt@nur.kg", "name": "Новый Бакыт", "branches": [main], "password": "password-b3"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "e-mail of a deactivated user is reusable");
    let (s, e) = t.post(&o, &format!("/api/v1/users/{id}/activate"), json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "reactivation needs the e-mail free: {e}");

    // The owner cannot be deactivated.
    let owner_id = o.body["user"]["id"].as_u64().expect("owner");
    let (s, e) = t.post(&o, &format!("/api/v1/users/{owner_id}/deactivate"), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("owner_protected")));
    t.assert_consistent();
}

#[tokio::test]
async fn permissions_are_enforced_on_the_server() {
    let t = TestApp::spawn().await;
    let o = owner(&t).await;
    let (_, branches) = t.get(&o, "/api/v1/branches").await;
    let main = branches[0]["id"].as_u64().expect("branch");
    let (_, role) = t.post(&o, "/api/v1/roles", json!({"name": "Управляющий", "permissions": ["dashboard", "branch", "employees"]})).await;
    let (s, _) = t
        .post(
            &o,
            "/api/v1/users",
            json!({"email": "man@nur.kg", "name": "Манас", "custom_role": role["id"], "branches": [main], "password": "password-m1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let m = t.login("man@nur.kg", "password-m1").await;
    let (_, me) = t.get(&m, "/api/v1/me").await;
    assert_eq!(me["permissions"], json!(["dashboard", "employees", "branch"]));

    assert_eq!(t.get(&m, "/api/v1/branches").await.0, StatusCode::OK);
    let (s, e) = t.get(&m, "/api/v1/company").await;
    assert_eq!(s, StatusCode::OK, "reading the company card needs no flag: {e}");
    let (s, e) = t.put(&m, "/api/v1/company", json!({"name": "Захват", "timezone": "Asia/Bishkek"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")));
    assert_eq!(t.get(&m, "/api/v1/audit").await.0, StatusCode::FORBIDDEN);
    assert_eq!(t.get(&m, "/api/v1/backups").await.0, StatusCode::FORBIDDEN);
    assert_eq!(t.get(&m, "/api/v1/platform/companies").await.0, StatusCode::FORBIDDEN);

    // No one grants what they do not hold, and only the owner appoints admins.
    let (s, e) = t.post(&m, "/api/v1/roles", json!({"name": "Всё", "permissions": ["settings"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_codes(&e), vec![("permissions".to_string(), "escalation".to_string())]);
    let (s, e) = t
        .post(
            &m,
            "/api/v1/users",
            json!({"email": "adm@nur.kg", "name": "А", "role": "admin", "branches": [main], "password": "password-a1"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let owner_id = o.body["user"]["id"].as_u64().expect("owner");
    let (s, _) = t.put(&m, &format!("/api/v1/users/{owner_id}"), json!({"email": "owner@nur.kg", "name": "X", "branches": [main]})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "a manager cannot edit the owner");

    // Taking a right away works on the next request.
    let (s, _) = t.put(&o, &format!("/api/v1/roles/{}", role["id"]), json!({"name": "Управляющий", "permissions": ["dashboard"]})).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t.get(&m, "/api/v1/branches").await.0, StatusCode::FORBIDDEN);
    let (s, e) = t.call(Method::DELETE, &format!("/api/v1/roles/{}", role["id"]), Some(&o.token), None).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("role_in_use")));
    t.assert_consistent();
}

#[tokio::test]
async fn password_change_ends_other_sessions_and_demotion_is_immediate() {
    let t = TestApp::spawn().await;
    let o = owner(&t).await;
    let second = t.login("owner@nur.kg", "password-123").await;
    let (s, e) = t.post(&o, "/api/v1/auth/password", json!({"current_password": "nope-nope", "new_password": "password-999"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = t.post(&o, "/api/v1/auth/password", json!({"current_password": "password-123", "new_password": "short"})).await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("new_password".to_string(), "password_short".to_string())]));
    let (s, _) = t.post(&o, "/api/v1/auth/password", json!({"current_password": "password-123", "new_password": "password-999"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(t.get(&second, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let (s, _) = t.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": second.refresh}))).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let o = t.login("owner@nur.kg", "password-999").await;

    let (_, branches) = t.get(&o, "/api/v1/branches").await;
    let main = branches[0]["id"].as_u64().expect("branch");
    let (_, a) = t
        .post(
            &o,
            "/api/v1/users",
            json!({"email": "adm@nur.kg", "name": "Админ", "role": "admin", "branches": [main], "password": "password-a1"}),
        )
        .await;
    let admin = t.login("adm@nur.kg", "password-a1").await;
    assert_eq!(t.get(&admin, "/api/v1/audit").await.0, StatusCode::OK);
    let (s, _) = t
        .put(
            &o,
            &format!("/api/v1/users/{}", a["user"]["id"]),
            json!({"email": "adm@nur.kg", "name": "Админ", "role": "staff", "branches": [main]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t.get(&admin, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "a demoted admin's tokens end");
}

#[tokio::test]
async fn expired_subscription_makes_the_company_read_only_after_grace() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@box.kg", "password-op").await;
    t.company("Должник", "owner@debt.kg", "password-123").await;
    let o = t.login("owner@debt.kg", "password-123").await;
    let cid = o.company_id();
    let (_, plans) = t.get(&op, "/api/v1/platform/plans").await;
    let shop = plans.as_array().expect("plans").iter().find(|p| p["name"] == "Магазин").expect("shop plan")["id"].clone();

    // Paid through 2026-03-10, 7 grace days: writable on the 12th, read-only on the 18th.
    let (s, e) = t
        .put(
            &op,
            &format!("/api/v1/platform/companies/{cid}/subscription"),
            json!({"plan": shop, "end": "2026-03-10", "grace_days": 7, "active": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{e}");
    let (_, me) = t.get(&o, "/api/v1/me").await;
    assert_eq!(me["access"], "full");
    assert!(
        me["features"].as_array().expect("features").contains(&json!("pos"))
            && !me["features"].as_array().expect("f").contains(&json!("telecom"))
    );
    t.clock.advance_ms(11 * 86_400_000);
    assert_eq!(t.get(&o, "/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "access tokens live 15 minutes");
    let o = t.login("owner@debt.kg", "password-123").await;
    let (_, me) = t.get(&o, "/api/v1/me").await;
    assert_eq!(me["access"], "grace");
    assert_eq!(t.post(&o, "/api/v1/branches", json!({"name": "Ещё можно"})).await.0, StatusCode::CREATED);
    t.clock.advance_ms(7 * 86_400_000);
    let o = t.login("owner@debt.kg", "password-123").await;
    let op = t.login("op@box.kg", "password-op").await;
    let (s, e) = t.post(&o, "/api/v1/branches", json!({"name": "Уже нельзя"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("subscription_expired")));
    assert_eq!(t.get(&o, "/api/v1/branches").await.0, StatusCode::OK, "reads keep working");

    // Renewal restores writes; deactivation locks everyone out.
    let (s, _) = t
        .put(
            &op,
            &format!("/api/v1/platform/companies/{cid}/subscription"),
            json!({"plan": shop, "end": "2026-12-31", "grace_days": 7, "active": true}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(t.post(&o, "/api/v1/branches", json!({"name": "Снова можно"})).await.0, StatusCode::CREATED);
    let (s, _) = t
        .put(
            &op,
            &format!("/api/v1/platform/companies/{cid}/subscription"),
            json!({"plan": shop, "end": null, "grace_days": 7, "active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, e) = t.get(&o, "/api/v1/me").await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("company_inactive")));
    t.assert_consistent();
}

#[tokio::test]
async fn every_write_leaves_one_audit_row() {
    let t = TestApp::spawn().await;
    let o = owner(&t).await;
    let (_, before) = t.get(&o, "/api/v1/audit?limit=500").await;
    let n0 = before["items"].as_array().expect("items").len();
    t.post(&o, "/api/v1/branches", json!({"name": "Склад"})).await;
    t.post(&o, "/api/v1/roles", json!({"name": "Продавец", "permissions": ["sale"]})).await;
    t.put(&o, "/api/v1/company", json!({"name": "Нур Маркет ОсОО", "timezone": "Asia/Bishkek", "legal": {"inn": "01234567891234"}})).await;
    let failed = t.post(&o, "/api/v1/branches", json!({"name": ""})).await;
    assert_eq!(failed.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, after) = t.get(&o, "/api/v1/audit?limit=500").await;
    let items = after["items"].as_array().expect("items");
    assert_eq!(items.len(), n0 + 3, "three writes, three rows; the refused write left none: {after}");
    let actions: Vec<&str> = items.iter().take(3).filter_map(|i| i["action"].as_str()).collect();
    assert_eq!(actions, vec!["company.update", "role.create", "branch.create"]);
    assert!(items.iter().take(3).all(|i| i["ip"] == "127.0.0.1" && i["user_name"] == "Владелец Нур Маркет"), "who and from where: {after}");
    let (_, filtered) = t.get(&o, "/api/v1/audit?action=role.").await;
    assert_eq!(filtered["items"].as_array().map(Vec::len), Some(1));
    let (_, page) = t.get(&o, "/api/v1/audit?limit=2").await;
    let next = page["next_before"].as_u64().expect("more pages");
    let (_, page2) = t.get(&o, &format!("/api/v1/audit?limit=2&before={next}")).await;
    assert_eq!(page2["items"][0]["action"], "branch.create");
}

#[tokio::test]
async fn company_settings_legal_details_and_logo() {
    let t = TestApp::spawn().await;
    let o = owner(&t).await;
    let (s, e) = t
        .put(&o, "/api/v1/company", json!({"name": "Нур", "timezone": "Asia/Bishkek", "phones": ["0555 111 222", "12"], "legal": {"inn": "123", "bik": "12345", "okpo": "12345678"}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let codes = field_codes(&e);
    for want in [("phones", "phone"), ("inn", "inn"), ("bik", "digits")] {
        assert!(codes.contains(&(want.0.into(), want.1.into())), "{want:?} in {e}");
    }
    let legal = json!({"inn": "01234567891234", "okpo": "12345678", "bank_name": "Оптима Банк", "bank_account": "1090000123456789", "bik": "109001", "address": "Бишкек, ул. Киевская 1"});
    let (s, c) = t
        .put(
            &o,
            "/api/v1/company",
            json!({"name": "Нур Маркет ОсОО", "timezone": "Asia/Bishkek", "phones": ["0555 111 222"], "legal": legal}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!((c["phones"][0].as_str(), c["legal"]["bik"].as_str()), (Some("+996555111222"), Some("109001")));

    // The logo is decoded and stored re-encoded (at most 512 px), never as uploaded.
    let png = crate::images::png(1000, 400);
    let resp = t
        .http
        .put(t.url("/api/v1/company/logo"))
        .bearer_auth(&o.token)
        .header("content-type", "image/jpeg")
        .body(png.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = t.http.get(t.url("/api/v1/company/logo")).bearer_auth(&o.token).send().await.expect("get");
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    let stored = resp.bytes().await.expect("bytes").to_vec();
    assert_ne!(stored, png);
    let back = image::load_from_memory(&stored).expect("a png");
    assert_eq!((back.width(), back.height()), (512, 205));
    for (ct, body) in [
        ("image/png", b"\x89PNG\r\n\x1a\n-logo-bytes".to_vec()),
        ("image/svg+xml", br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.to_vec()),
    ] {
        let resp = t
            .http
            .put(t.url("/api/v1/company/logo"))
            .bearer_auth(&o.token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .expect("put");
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let problem: serde_json::Value = resp.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["code"], "image_invalid", "{problem}");
    }
    let resp = t
        .http
        .put(t.url("/api/v1/company/logo"))
        .bearer_auth(&o.token)
        .header("content-type", "application/x-msdownload")
        .body(vec![1, 2])
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let resp = t
        .http
        .put(t.url("/api/v1/company/logo"))
        .bearer_auth(&o.token)
        .header("content-type", "image/png")
        .body(vec![0u8; 5 << 20])
        .send()
        .await
        .expect("put");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn only_the_platform_operator_puts_a_branch_on_its_own_plan() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@box.kg", "password-op").await;
    let o = owner(&t).await;
    let (_, plans) = t.get(&op, "/api/v1/platform/plans").await;
    let all = plans[0]["id"].clone();
    let (s, e) = t.post(&o, "/api/v1/branches", json!({"name": "Филиал с бонусом", "plan": all})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(field_codes(&e), vec![("plan".to_string(), "forbidden".to_string())]);
    let (s, b) = t.post(&op, "/api/v1/branches", json!({"name": "Филиал оператора", "plan": all})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    // Editing other fields keeps the plan; the owner cannot drop it either.
    let (s, _) = t.put(&op, &format!("/api/v1/branches/{}", b["id"]), json!({"name": "Переименован", "plan": all})).await;
    assert_eq!(s, StatusCode::OK);
}
