//! E-mail over SMTP against the RFC 5321 fake (`smtp_fake.rs`): a test mail delivered with its
//! dot-stuffing undone, a refused recipient (550 → failed at once, no retry, in the log), a
//! dropped connection (retried, delivered exactly once), a company's own server (the password
//! sealed and never returned, plain SMTP only on the LAN, loopback refused by the address
//! policy), invites and password links by e-mail once configured (the page says which
//! happened), rights and bad input.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of, location};
use crate::common::{Client, TestApp};
use crate::smtp_fake::SmtpFake;

/// A server whose box-wide `[smtp]` is the fake (plain, on loopback).
pub async fn spawn(fake: &SmtpFake) -> TestApp {
    let port = fake.port;
    TestApp::spawn_with(move |c| {
        c.smtp.host = "127.0.0.1".into();
        c.smtp.port = port;
        c.smtp.security = "plain".into();
        c.smtp.from = "Магазин <shop@dukan.test>".into();
        c.smtp.timeout_secs = 5;
    })
    .await
}

/// Runs the mail worker's step until nothing is due (the test server runs no workers).
pub async fn pump(t: &TestApp) {
    while dukan::workers::mail_once(t.app.clone()).await.expect("mail step") {}
}

/// Pumps the mail worker and polls the delivery log until the mail is no longer queued (or
/// `secs` pass).
pub async fn settled(t: &TestApp, c: &Client, id: u64, secs: u64) -> Value {
    let until = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        pump(t).await;
        let (st, m) = t.get(c, &format!("/api/v1/mail/log/{id}")).await;
        assert_eq!(st, StatusCode::OK, "{m}");
        if m["state"] != "queued" || std::time::Instant::now() > until {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn staff(t: &TestApp, owner: &Client, email: &str, perms: &[&str]) -> (Client, u64) {
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
    (t.login(email, "password-123").await, u["user"]["id"].as_u64().expect("id"))
}

#[tokio::test]
async fn a_test_mail_arrives_with_its_dots_unstuffed() {
    let fake = SmtpFake::start().await;
    let t = spawn(&fake).await;
    t.company("Почта", "owner@mail.kg", "owner-pass-1").await;
    let c = t.login("owner@mail.kg", "owner-pass-1").await;
    let (st, s) = t.get(&c, "/api/v1/mail/settings").await;
    assert_eq!((st, s["configured"].as_bool(), s["source"].as_str()), (StatusCode::OK, Some(true), Some("box")), "{s}");

    let text = ".начало строки с точкой\n..две точки\n.";
    let (st, m) = t.post(&c, "/api/v1/mail/test", json!({"to": "me@shop.kg", "text": text})).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{m}");
    assert_eq!(m["state"], "queued");
    pump(&t).await;
    let got = fake.wait_for(1, 15).await;
    assert_eq!(got[0].from, "shop@dukan.test");
    assert_eq!(got[0].to, vec!["me@shop.kg".to_string()]);
    let data = &got[0].data;
    assert!(data.contains("Subject:"), "{data}");
    // Lines that start with a dot reach the server intact (lettre doubles them, the fake
    // halves them) and a lone dot inside the text does not end the message early.
    let m = settled(&t, &c, m["id"].as_u64().expect("id"), 10).await;
    assert_eq!((m["state"].as_str(), m["attempts"].as_u64()), (Some("sent"), Some(1)), "{m}");
    assert_eq!(fake.count(), 1);
    let lines: Vec<&str> = data.split("\r\n").collect();
    for want in [".начало строки с точкой", "..две точки", "."] {
        assert!(lines.contains(&want), "{want:?} arrived as written: {data}");
    }
    t.assert_consistent();
}

#[tokio::test]
async fn a_refused_recipient_fails_once_and_a_dropped_connection_is_retried() {
    let fake = SmtpFake::start().await;
    fake.refuse("nobody@shop.kg");
    let t = spawn(&fake).await;
    t.company("Почта", "owner@mail.kg", "owner-pass-1").await;
    let c = t.login("owner@mail.kg", "owner-pass-1").await;

    // 550 at RCPT: failed at once with the server's words, never tried again.
    let (_, m) = t.post(&c, "/api/v1/mail/test", json!({"to": "nobody@shop.kg"})).await;
    let id = m["id"].as_u64().expect("id");
    let m = settled(&t, &c, id, 15).await;
    assert_eq!((m["state"].as_str(), m["attempts"].as_u64()), (Some("failed"), Some(1)), "{m}");
    assert!(m["error"].as_str().unwrap_or("").contains("550"), "{m}");
    t.clock.advance_ms(5_000);
    pump(&t).await;
    let (_, again) = t.get(&c, &format!("/api/v1/mail/log/{id}")).await;
    assert_eq!(again["attempts"], 1, "no retry after a permanent refusal");
    assert_eq!(fake.count(), 0);

    // The connection drops after DATA: not delivered, retried after the backoff, delivered once.
    fake.drop_next(1);
    let (_, m) = t.post(&c, "/api/v1/mail/test", json!({"to": "ok@shop.kg"})).await;
    let id2 = m["id"].as_u64().expect("id");
    // The first attempt ends with the dropped connection; then the (manual) clock passes the
    // backoff and the worker's next step takes the job again.
    let until = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        pump(&t).await;
        let (_, m) = t.get(&c, &format!("/api/v1/mail/log/{id2}")).await;
        if m["attempts"].as_u64() >= Some(1) {
            assert_eq!(m["state"], "queued", "a dropped connection is retried: {m}");
            break;
        }
        assert!(std::time::Instant::now() < until, "no attempt: {m}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fake.count(), 0);
    t.clock.advance_ms(5_000);
    pump(&t).await;
    let got = fake.wait_for(1, 20).await;
    assert_eq!(got.len(), 1);
    let m = settled(&t, &c, id2, 10).await;
    assert_eq!((m["state"].as_str(), m["attempts"].as_u64()), (Some("sent"), Some(2)), "{m}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fake.count(), 1, "exactly one message delivered");

    // Both show in the log, newest first, and on the page.
    let (_, log) = t.get(&c, "/api/v1/mail/log").await;
    let states: Vec<&str> = log.as_array().expect("log").iter().filter_map(|m| m["state"].as_str()).collect();
    assert_eq!(states, vec!["sent", "failed"]);
    let p = Plain::new(&t);
    assert_eq!(p.submit("/login", &[("email", "owner@mail.kg"), ("password", "owner-pass-1")]).await.status(), 303);
    let page = p.get("/mail").await.text().await.expect("page");
    assert!(page.contains(&format!("data-mail=\"{id}\" data-state=\"failed\"")) && page.contains("550"), "{page}");
    assert!(page.contains(&format!("data-mail=\"{id2}\" data-state=\"sent\"")));
    t.assert_consistent();
}

#[tokio::test]
async fn invites_go_by_email_once_configured_and_the_page_says_so() {
    // Without e-mail: the link is handed over, and the page says so.
    let t = TestApp::spawn().await;
    t.company("Без почты", "owner@nomail.kg", "owner-pass-1").await;
    let c = t.login("owner@nomail.kg", "owner-pass-1").await;
    let (_, u) = staff(&t, &c, "clerk@nomail.kg", &["sale"]).await;
    let p = Plain::new(&t);
    p.submit("/login", &[("email", "owner@nomail.kg"), ("password", "owner-pass-1")]).await;
    let csrf = csrf_of(&p.get(&format!("/users/{u}")).await.text().await.expect("page"));
    let page = p.post(&format!("/users/{u}/invite"), &[("_csrf", &csrf)]).await.text().await.expect("page");
    assert!(page.contains("id=\"invite-by-hand\"") && page.contains("id=\"invite-url\""), "{page}");
    let (_, log) = t.get(&c, "/api/v1/mail/log").await;
    assert_eq!(log, json!([]));
    drop(t);

    // With e-mail: the same button also e-mails the link; the log never shows it.
    let fake = SmtpFake::start().await;
    let t = spawn(&fake).await;
    t.company("Почта", "owner@mail.kg", "owner-pass-1").await;
    let c = t.login("owner@mail.kg", "owner-pass-1").await;
    let (_, u) = staff(&t, &c, "clerk@mail.kg", &["sale"]).await;
    let p = Plain::new(&t);
    p.submit("/login", &[("email", "owner@mail.kg"), ("password", "owner-pass-1")]).await;
    let csrf = csrf_of(&p.get(&format!("/users/{u}")).await.text().await.expect("page"));
    let page = p.post(&format!("/users/{u}/invite"), &[("_csrf", &csrf)]).await.text().await.expect("page");
    assert!(page.contains("id=\"invite-mailed\"") && page.contains("clerk@mail.kg"), "{page}");
    let url =
        page.split("id=\"invite-url\"").next().and_then(|s| s.rsplit("value=\"").next()).expect("url").split('"').next().expect("url");
    pump(&t).await;
    let got = fake.wait_for(1, 15).await;
    assert_eq!(got[0].to, vec!["clerk@mail.kg".to_string()]);
    let token = url.rsplit('/').next().expect("token");
    assert!(got[0].data.replace("=\r\n", "").contains(token), "the mail carries the link {token}: {}", got[0].data);
    let (_, log) = t.get(&c, "/api/v1/mail/log").await;
    assert_eq!(log[0]["kind"], "invite");
    let id = log[0]["id"].as_u64().expect("id");
    settled(&t, &c, id, 10).await;
    let one = p.get(&format!("/mail/log/{id}")).await.text().await.expect("page");
    assert!(!one.contains(token), "the log never shows a sign-in link");
    // The link works once.
    let p2 = Plain::new(&t);
    let r = p2.submit(&format!("/invite/{token}"), &[("password", "clerk-pass-1"), ("password2", "clerk-pass-1")]).await;
    assert_eq!(r.status(), 303, "{}", location(&r));

    // A new employee without a password gets the invite by e-mail too.
    let csrf = csrf_of(&p.get("/users").await.text().await.expect("page"));
    let (_, branches) = t.get(&c, "/api/v1/branches").await;
    let branch = branches[0]["id"].to_string();
    let r = p
        .post(
            "/users",
            &[
                ("_csrf", &csrf),
                ("email", "new@mail.kg"),
                ("name", "Новый"),
                ("role", "admin"),
                ("branches", &branch),
                ("access", "invite"),
            ],
        )
        .await;
    let page = r.text().await.expect("page");
    assert!(page.contains("id=\"invite-mailed\""), "{page}");
    pump(&t).await;
    fake.wait_for(2, 15).await;
    t.assert_consistent();
}

#[tokio::test]
async fn a_company_server_is_guarded_and_its_password_never_comes_back() {
    let box_fake = SmtpFake::start().await;
    let own = SmtpFake::start().await;
    let port = box_fake.port;
    let t = TestApp::spawn_with(move |c| {
        c.smtp.host = "127.0.0.1".into();
        c.smtp.port = port;
        c.smtp.security = "plain".into();
        c.smtp.from = "shop@dukan.test".into();
        c.webhooks_allow_loopback = true;
    })
    .await;
    t.company("Своя", "owner@own.kg", "owner-pass-1").await;
    let c = t.login("owner@own.kg", "owner-pass-1").await;
    let good = json!({"host": "127.0.0.1", "port": own.port, "security": "plain", "username": "", "password": "s3cret-pass", "from": "own@own.kg"});

    // Bad input: every field named.
    let (st, e) = t.put(&c, "/api/v1/mail/settings", json!({"host": "bad host!", "port": 0, "security": "rot13", "from": "nobody"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["errors"].as_array().map(|a| a.iter().filter_map(|x| x["field"].as_str()).collect()).unwrap_or_default();
    for f in ["host", "port", "security", "from"] {
        assert!(fields.contains(&f), "{f} in {e}");
    }
    // Plain SMTP only on the LAN.
    let (st, e) =
        t.put(&c, "/api/v1/mail/settings", json!({"host": "smtp.example.com", "port": 25, "security": "plain", "from": "a@b.kg"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("plain_not_local"), "{e}");

    let (st, s) = t.put(&c, "/api/v1/mail/settings", good.clone()).await;
    assert_eq!(st, StatusCode::OK, "{s}");
    assert_eq!((s["source"].as_str(), s["password_set"].as_bool()), (Some("company"), Some(true)));
    assert!(!s.to_string().contains("s3cret-pass"), "never returned: {s}");
    let page = {
        let p = Plain::new(&t);
        p.submit("/login", &[("email", "owner@own.kg"), ("password", "owner-pass-1")]).await;
        p.get("/mail").await.text().await.expect("page")
    };
    assert!(!page.contains("s3cret-pass") && page.contains("data-source=\"company\""));
    // Not in the data file in clear either.
    let raw = std::fs::read(t.dir.path().join("dukan.redb")).expect("data file");
    assert!(!raw.windows(11).any(|w| w == b"s3cret-pass"), "sealed with the box key");

    // Mail now goes through the company's server, not the box's.
    let (_, m) = t.post(&c, "/api/v1/mail/test", json!({"to": "me@own.kg"})).await;
    pump(&t).await;
    own.wait_for(1, 15).await;
    assert_eq!(settled(&t, &c, m["id"].as_u64().expect("id"), 10).await["state"], "sent");
    assert_eq!(box_fake.count(), 0);

    // Switched off: back to the box's server; an edit without a password keeps it.
    let mut off = good.clone();
    off["active"] = json!(false);
    off["password"] = json!("");
    let (_, s) = t.put(&c, "/api/v1/mail/settings", off).await;
    assert_eq!((s["source"].as_str(), s["password_set"].as_bool()), (Some("box"), Some(true)), "{s}");
    let (_, m) = t.post(&c, "/api/v1/mail/test", json!({"to": "me@own.kg"})).await;
    pump(&t).await;
    box_fake.wait_for(1, 15).await;
    settled(&t, &c, m["id"].as_u64().expect("id"), 10).await;
    t.assert_consistent();
}

#[tokio::test]
async fn loopback_company_servers_are_refused_and_rights_are_checked() {
    let t = TestApp::spawn().await;
    t.company("Права", "owner@rights.kg", "owner-pass-1").await;
    let c = t.login("owner@rights.kg", "owner-pass-1").await;
    let (st, e) =
        t.put(&c, "/api/v1/mail/settings", json!({"host": "127.0.0.1", "port": 25, "security": "plain", "from": "a@rights.kg"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("host_forbidden"), "{e}");
    let (st, e) = t.post(&c, "/api/v1/mail/test", json!({"to": "me@rights.kg"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    assert!(e.to_string().contains("mail_not_configured"));
    let (st, _) = t.call(reqwest::Method::GET, "/api/v1/mail/log/999999", Some(&c.token), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    let (clerk, _) = staff(&t, &c, "clerk@rights.kg", &["sale"]).await;
    for path in ["/api/v1/mail/settings", "/api/v1/mail/log"] {
        let (st, _) = t.get(&clerk, path).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path}");
    }
    let (st, _) = t.post(&clerk, "/api/v1/mail/test", json!({"to": "x@rights.kg"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (admin, _) = staff(&t, &c, "mailer@rights.kg", &["mail_settings"]).await;
    let (st, _) = t.get(&admin, "/api/v1/mail/log").await;
    assert_eq!(st, StatusCode::OK);
}
