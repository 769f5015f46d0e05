//! Rights: nobody raises their own rights or acts on someone more privileged, sign-in cannot
//! lock people out, refresh tokens stay with their user and company, names and e-mails carry
//! no invisible characters. Each test is the attack as it arrives over HTTP.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of, location};
use crate::common::{Client, TestApp};

fn field_codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| (e["field"].as_str().unwrap_or("").into(), e["code"].as_str().unwrap_or("").into())).collect())
        .unwrap_or_default()
}

/// A company with an owner, an admin, a cashier (preset role) and a staff manager whose role
/// holds only `employees` (the attacker of most tests).
struct Shop {
    owner: Client,
    main: u64,
    admin: u64,
    cashier: u64,
    cashier_role: u64,
    manager: Client,
    manager_id: u64,
    manager_role: u64,
}

async fn user(t: &TestApp, by: &Client, email: &str, extra: Value) -> u64 {
    let mut body = json!({"email": email, "name": email.split('@').next().unwrap_or("x"), "password": "Kx7-long-pass"});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (s, u) = t.post(by, "/api/v1/users", body).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    u["user"]["id"].as_u64().expect("id")
}

async fn shop(t: &TestApp) -> Shop {
    t.company("Нур Маркет", "owner@nur.kg", "owner-pass-1").await;
    let owner = t.login("owner@nur.kg", "owner-pass-1").await;
    let (_, branches) = t.get(&owner, "/api/v1/branches").await;
    let main = branches[0]["id"].as_u64().expect("branch");
    let (_, roles) = t.get(&owner, "/api/v1/roles").await;
    let cashier_role =
        roles.as_array().expect("roles").iter().find(|r| r["name"] == "Кассир").expect("cashier")["id"].as_u64().expect("id");
    let (s, r) = t.post(&owner, "/api/v1/roles", json!({"name": "Кадры", "permissions": ["employees"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let manager_role = r["id"].as_u64().expect("role");
    let admin = user(t, &owner, "admin@nur.kg", json!({"role": "admin", "branches": [main]})).await;
    let cashier = user(t, &owner, "cashier@nur.kg", json!({"custom_role": cashier_role, "branches": [main]})).await;
    let manager_id = user(t, &owner, "hr@nur.kg", json!({"custom_role": manager_role, "branches": [main]})).await;
    let manager = t.login("hr@nur.kg", "Kx7-long-pass").await;
    Shop { owner, main, admin, cashier, cashier_role, manager, manager_id, manager_role }
}

fn invites(t: &TestApp) -> u64 {
    t.app.db.read().expect("read").len(dukan::auth::store::INVITES).expect("len")
}

#[tokio::test]
async fn an_employees_manager_cannot_reset_the_password_of_anyone_above_them() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let before = invites(&t);
    for target in [s.admin, s.cashier] {
        let (st, e) = t.post(&s.manager, &format!("/api/v1/users/{target}/invite"), json!({})).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "user {target}: {e}");
        assert!(e.get("invite_path").is_none());
    }
    assert_eq!(invites(&t), before, "a refused invite writes nothing");
    // A colleague with no more rights than the manager can still be sent a link.
    let peer = user(&t, &s.owner, "peer@nur.kg", json!({"custom_role": s.manager_role, "branches": [s.main]})).await;
    let (st, e) = t.post(&s.manager, &format!("/api/v1/users/{peer}/invite"), json!({})).await;
    assert_eq!(st, StatusCode::OK, "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn nobody_assigns_themselves_or_a_newcomer_a_bigger_role() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let all: Vec<&str> = dukan::tenancy::perms::ALL.iter().map(|p| p.code).collect();
    let (st, r) = t.post(&s.owner, "/api/v1/roles", json!({"name": "Всё", "permissions": all})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let all_role = r["id"].as_u64().expect("role");

    let me = json!({"email": "hr@nur.kg", "name": "hr", "custom_role": all_role, "branches": [s.main]});
    let (st, e) = t.put(&s.manager, &format!("/api/v1/users/{}", s.manager_id), me).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("custom_role".into(), "escalation".into())]), "{e}");
    let (_, mine) = t.get(&s.owner, &format!("/api/v1/users/{}", s.manager_id)).await;
    assert_eq!(mine["custom_role"].as_u64(), Some(s.manager_role), "nothing written");

    let (_, before) = t.get(&s.owner, "/api/v1/users").await;
    let newcomer =
        json!({"email": "friend@nur.kg", "name": "Друг", "custom_role": all_role, "branches": [s.main], "password": "Kx7-long-pass"});
    let (st, e) = t.post(&s.manager, "/api/v1/users", newcomer).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("custom_role".into(), "escalation".into())]), "{e}");
    let (_, after) = t.get(&s.owner, "/api/v1/users").await;
    assert_eq!(before.as_array().map(Vec::len), after.as_array().map(Vec::len), "nothing written");
    t.assert_consistent();
}

#[tokio::test]
async fn roles_are_edited_only_within_ones_own_rights() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    // The manager's own role cannot gain a right the manager lacks.
    let (st, e) = t
        .put(&s.manager, &format!("/api/v1/roles/{}", s.manager_role), json!({"name": "Кадры", "permissions": ["employees", "sale"]}))
        .await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("permissions".into(), "escalation".into())]), "{e}");
    // A role with rights beyond the manager's (held by the cashier) cannot be cut down or deleted.
    let (st, e) =
        t.put(&s.manager, &format!("/api/v1/roles/{}", s.cashier_role), json!({"name": "Кассир", "permissions": ["employees"]})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (_, role) = t.get(&s.owner, &format!("/api/v1/roles/{}", s.cashier_role)).await;
    assert!(role["permissions"].as_array().is_some_and(|p| p.iter().any(|c| c == "sale")), "nothing written: {role}");
    let (_, roles) = t.get(&s.owner, "/api/v1/roles").await;
    let operator = roles.as_array().expect("roles").iter().find(|r| r["name"] == "Оператор (телеком)").expect("operator")["id"].clone();
    let (st, e) = t.call(Method::DELETE, &format!("/api/v1/roles/{operator}"), Some(&s.manager.token), None).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    assert_eq!(t.get(&s.owner, &format!("/api/v1/roles/{operator}")).await.0, StatusCode::OK);
    t.assert_consistent();
}

#[tokio::test]
async fn nobody_deactivates_activates_or_edits_someone_above_them() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    for target in [s.cashier, s.admin] {
        let (st, e) = t.post(&s.manager, &format!("/api/v1/users/{target}/deactivate"), json!({})).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    }
    t.login("cashier@nur.kg", "Kx7-long-pass").await;
    let edit = json!({"email": "cashier@nur.kg", "name": "Переименован", "custom_role": s.manager_role, "branches": [s.main]});
    let (st, e) = t.put(&s.manager, &format!("/api/v1/users/{}", s.cashier), edit).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");

    // The owner deactivates the cashier; the manager cannot bring them back.
    assert_eq!(t.post(&s.owner, &format!("/api/v1/users/{}/deactivate", s.cashier), json!({})).await.0, StatusCode::NO_CONTENT);
    let (st, e) = t.post(&s.manager, &format!("/api/v1/users/{}/activate", s.cashier), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (_, c) = t.get(&s.owner, &format!("/api/v1/users/{}", s.cashier)).await;
    assert_eq!((c["active"].clone(), c["name"].clone()), (json!(false), json!("cashier")), "nothing written");
    t.assert_consistent();
}

#[tokio::test]
async fn branch_access_is_granted_only_within_ones_own() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, b) = t.post(&s.owner, "/api/v1/branches", json!({"name": "Ошский рынок"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let osh = b["id"].as_u64().expect("branch");
    let me = json!({"email": "hr@nur.kg", "name": "hr", "custom_role": s.manager_role, "branches": [s.main, osh]});
    let (st, e) = t.put(&s.manager, &format!("/api/v1/users/{}", s.manager_id), me).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("branches".into(), "escalation".into())]), "{e}");
    let newcomer =
        json!({"email": "osh@nur.kg", "name": "Ош", "custom_role": s.manager_role, "branches": [osh], "password": "Kx7-long-pass"});
    let (st, e) = t.post(&s.manager, "/api/v1/users", newcomer).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("branches".into(), "escalation".into())]), "{e}");
    let (_, mine) = t.get(&s.owner, &format!("/api/v1/users/{}", s.manager_id)).await;
    assert_eq!(mine["branches"], json!([s.main]), "nothing written");
    t.assert_consistent();
}

#[tokio::test]
async fn refresh_yields_tokens_only_for_its_own_user_and_live_company() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@box.kg", "op-pass-12").await;
    let s = shop(&t).await;
    let cashier = t.login("cashier@nur.kg", "Kx7-long-pass").await;
    let refresh = |token: String| {
        let t = &t;
        async move { t.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": token}))).await }
    };
    // A family whose stored owner no longer matches (a tampered row) yields nothing.
    let fam = {
        let claims = dukan::auth::decode_access(&t.app.keys, &cashier.token, t.app.now()).expect("claims");
        claims.fam
    };
    let other = s.owner.body["user"]["id"].as_u64().expect("owner id");
    t.app
        .db
        .write(move |tx| {
            let mut f = tx.get(dukan::auth::store::FAMILIES, fam)?.ok_or(dukan::error::Error::NotFound)?;
            f.user = dukan::ids::UserId(other);
            f.token_version = 0;
            tx.insert(dukan::auth::store::FAMILIES, fam, &f)?;
            Ok::<_, dukan::error::Error>(())
        })
        .await
        .expect("tamper");
    let (st, e) = refresh(cashier.refresh.clone()).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("token_invalid")), "{e}");
    let (st, _) = t.get(&cashier, "/api/v1/me").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "the access token of a tampered family stops too");

    // A deactivated company's tokens are not renewed.
    let manager = t.login("hr@nur.kg", "Kx7-long-pass").await;
    let cid = s.owner.company_id();
    let plan = t.get(&op, "/api/v1/platform/plans").await.1[0]["id"].clone();
    let (st, e) = t
        .put(&op, &format!("/api/v1/platform/companies/{cid}/subscription"), json!({"plan": plan, "grace_days": 7, "active": false}))
        .await;
    assert!(st.is_success(), "{e}");
    let (st, e) = refresh(manager.refresh.clone()).await;
    assert!(st == StatusCode::UNAUTHORIZED || st == StatusCode::FORBIDDEN, "{st} {e}");
    assert!(e.get("access_token").is_none());
}

#[tokio::test]
async fn wrong_passwords_from_elsewhere_do_not_lock_the_owner_out() {
    let t = TestApp::spawn_with(|c| c.trusted_proxy = true).await;
    t.company("Нур", "owner@nur.kg", "owner-pass-1").await;
    let login = |ip: &'static str, pw: &'static str| {
        let t = &t;
        async move {
            let r = t
                .http
                .post(t.url("/api/v1/auth/login"))
                .header("x-forwarded-for", ip)
                .json(&json!({"email": "owner@nur.kg", "password": pw}))
                .send()
                .await
                .expect("send");
            r.status()
        }
    };
    for _ in 0..5 {
        assert_eq!(login("10.9.9.9", "guess-guess").await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(login("10.9.9.9", "guess-guess").await, StatusCode::TOO_MANY_REQUESTS, "the guessing address is stopped");
    assert_eq!(login("10.9.9.9", "owner-pass-1").await, StatusCode::TOO_MANY_REQUESTS, "even with the right password");
    let started = std::time::Instant::now();
    assert_eq!(login("10.0.0.5", "owner-pass-1").await, StatusCode::OK, "the owner's own address still signs in");
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "slowed at most, never locked");
}

#[tokio::test]
async fn common_passwords_are_refused_everywhere() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    let (st, e) = t
        .post(&s.owner, "/api/v1/users", json!({"email": "weak@nur.kg", "name": "Слабый", "branches": [s.main], "password": "12345678"}))
        .await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("password".into(), "password_common".into())]), "{e}");
    let (st, e) =
        t.post(&s.owner, "/api/v1/auth/password", json!({"current_password": "owner-pass-1", "new_password": "Qwertyuiop"})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("new_password".into(), "password_common".into())]), "{e}");
    t.login("owner@nur.kg", "owner-pass-1").await;
}

#[tokio::test]
async fn invisible_and_bidi_characters_are_refused_in_names_and_emails() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    for (name, email) in [("Ай\u{202E}гуль", "aigul@nur.kg"), ("Айгуль", "aig\u{200B}ul@nur.kg"), ("\u{FEFF}Айгуль", "ai@nur.kg")]
    {
        let (st, e) = t
            .post(&s.owner, "/api/v1/users", json!({"email": email, "name": name, "branches": [s.main], "password": "Kx7-long-pass"}))
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{name:?} {email:?}: {e}");
        let codes = field_codes(&e);
        assert!(codes.iter().all(|(_, c)| c == "invisible_char"), "{codes:?}");
    }
    let (st, e) = t.post(&s.owner, "/api/v1/branches", json!({"name": "Ош\u{2028}рынок"})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("name".into(), "invisible_char".into())]), "{e}");
    let (st, e) = t.post(&s.owner, "/api/v1/roles", json!({"name": "Кас\u{2066}сир", "permissions": []})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("name".into(), "invisible_char".into())]), "{e}");
    let (st, e) = t.put(&s.owner, "/api/v1/company", json!({"name": "Нур\u{200D}", "timezone": "Asia/Bishkek"})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("name".into(), "invisible_char".into())]), "{e}");
    let (_, users) = t.get(&s.owner, "/api/v1/users").await;
    assert_eq!(users.as_array().map(Vec::len), Some(4), "nothing written");
    t.assert_consistent();
}

/// Signs in through the page, with the form's CSRF token as a browser sends it.
async fn page_sign_in(p: &Plain, email: &str, password: &str) -> String {
    let r = p.submit("/login", &[("email", email), ("password", password), ("next", "/")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/"));
    csrf_of(&p.get("/").await.text().await.expect("body"))
}

#[tokio::test]
async fn the_platform_form_reveals_nothing_to_other_companies() {
    let t = TestApp::spawn().await;
    let op = t.first_run("op@box.kg", "op-pass-12").await;
    let platform_company = op.company_id();
    t.company("Нур Маркет", "owner@nur.kg", "owner-pass-1").await;
    let p = Plain::new(&t);
    let csrf = page_sign_in(&p, "owner@nur.kg", "owner-pass-1").await;
    let form = [("_csrf", csrf.as_str()), ("plan", ""), ("end", ""), ("grace_days", "x"), ("active", "1")];
    let r = p.post(&format!("/platform/companies/{platform_company}"), &form).await;
    let status = r.status().as_u16();
    let body = r.text().await.expect("body");
    assert!(status == 403 || status == 404, "{status}");
    assert!(!body.contains("Первая компания"), "the other company's name leaked");
}

#[tokio::test]
async fn an_email_used_in_another_company_is_refused_without_saying_why() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    t.company("Чужая", "boss@other.kg", "boss-pass-1").await;
    let (st, e) = t
        .post(
            &s.owner,
            "/api/v1/users",
            json!({"email": "boss@other.kg", "name": "Босс", "branches": [s.main], "password": "Kx7-long-pass"}),
        )
        .await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("email".into(), "email_unavailable".into())]), "{e}");
    let text = e.to_string();
    assert!(!text.contains("занят") && !text.contains("taken") && !text.contains("Чужая"), "{text}");
    // Sign-in still finds each user by e-mail alone.
    t.login("boss@other.kg", "boss-pass-1").await;
    // Inside one's own company the reason is given.
    let (st, e) = t
        .post(
            &s.owner,
            "/api/v1/users",
            json!({"email": "cashier@nur.kg", "name": "Двойник", "branches": [s.main], "password": "Kx7-long-pass"}),
        )
        .await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![("email".into(), "email_taken".into())]), "{e}");
}

#[tokio::test]
async fn rotated_and_revoked_refresh_tokens_are_swept() {
    use dukan::auth::store::{FAMILIES, REFRESH, USED};
    let t = TestApp::spawn().await;
    t.company("Нур", "owner@nur.kg", "owner-pass-1").await;
    let c = t.login("owner@nur.kg", "owner-pass-1").await;
    let mut token = c.refresh.clone();
    for _ in 0..3 {
        let (s, r) = t.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": token}))).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        token = r["refresh_token"].as_str().expect("token").to_string();
    }
    let rows = |t: &TestApp| {
        let tx = t.app.db.read().expect("read");
        (tx.len(FAMILIES).expect("len"), tx.len(REFRESH).expect("len"), tx.len(USED).expect("len"))
    };
    assert_eq!(rows(&t), (1, 1, 3), "only the current token is live; the rotated ones wait for reuse detection");
    let sweep = |t: &TestApp| {
        let now = t.app.now();
        let db = t.app.db.clone();
        async move { db.write(move |tx| dukan::auth::sweep(tx, now)).await.expect("sweep") }
    };
    sweep(&t).await;
    assert_eq!(rows(&t), (1, 1, 3), "nothing swept within a week");
    t.clock.advance_ms(8 * 24 * 3_600_000);
    sweep(&t).await;
    assert_eq!(rows(&t), (1, 1, 0), "rotated tokens go after a week");
    let (s, r) = t.call(Method::POST, "/api/v1/auth/refresh", None, Some(json!({"refresh_token": token}))).await;
    assert_eq!(s, StatusCode::OK, "the family still works: {r}");
    // A signed-out family goes with all its tokens.
    let access = r["access_token"].as_str().expect("access").to_string();
    assert_eq!(t.call(Method::POST, "/api/v1/auth/logout", Some(&access), None).await.0, StatusCode::NO_CONTENT);
    sweep(&t).await;
    assert_eq!(rows(&t), (0, 0, 0));
    t.assert_consistent();
}

#[tokio::test]
async fn a_link_made_before_a_promotion_no_longer_signs_anyone_in() {
    let t = TestApp::spawn().await;
    let s = shop(&t).await;
    // The manager invites a newcomer with the manager's own rights and keeps the link.
    let (st, u) = t
        .post(
            &s.manager,
            "/api/v1/users",
            json!({"email": "new@nur.kg", "name": "Новый", "custom_role": s.manager_role, "branches": [s.main]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let id = u["user"]["id"].as_u64().expect("id");
    let token = u["invite_path"].as_str().expect("link").trim_start_matches("/invite/").to_string();
    let live = |t: &TestApp, token: &str| dukan::auth::invite(&t.app.db.read().expect("read"), token, t.app.now()).is_ok();
    assert!(live(&t, &token));
    // The owner then makes them an admin: the manager's link must not open an admin account.
    let promote = json!({"email": "new@nur.kg", "name": "Новый", "role": "admin", "branches": [s.main]});
    assert_eq!(t.put(&s.owner, &format!("/api/v1/users/{id}"), promote).await.0, StatusCode::OK);
    assert!(!live(&t, &token), "the link died with the promotion");
    // Same when the role they hold gains rights.
    let peer = user(&t, &s.owner, "peer@nur.kg", json!({"custom_role": s.manager_role, "branches": [s.main]})).await;
    let (_, link) = t.post(&s.manager, &format!("/api/v1/users/{peer}/invite"), json!({})).await;
    let token = link["invite_path"].as_str().expect("link").trim_start_matches("/invite/").to_string();
    assert!(live(&t, &token));
    let (st, e) =
        t.put(&s.owner, &format!("/api/v1/roles/{}", s.manager_role), json!({"name": "Кадры", "permissions": ["employees", "sale"]})).await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert!(!live(&t, &token), "the link died when the role gained rights");
    t.assert_consistent();
}
