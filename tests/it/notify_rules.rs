//! Notification rules and preferences: each date-driven rule firing and not firing
//! (installment due tomorrow, debt overdue by N days, low stock), once per rule, subject and
//! day however often the scheduler ticks; the staff action honouring each user's
//! preferences (muted in the bell, wanted by e-mail — delivered to the SMTP fake), the
//! e-mail action, the rule log, bad input, rights and the preferences API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::smtp_fake::SmtpFake;

pub async fn rule(t: &TestApp, c: &Client, body: Value) -> u64 {
    let (st, r) = t.post(c, "/api/v1/notify/rules", body).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    r["id"].as_u64().expect("id")
}

pub async fn texts(t: &TestApp, c: &Client) -> Vec<String> {
    let (_, n) = t.get(c, "/api/v1/messaging/notifications").await;
    n["items"].as_array().expect("items").iter().filter_map(|i| i["text"].as_str().map(String::from)).collect()
}

pub async fn log(t: &TestApp, c: &Client, id: u64) -> Vec<Value> {
    let (st, l) = t.get(c, &format!("/api/v1/notify/rules/{id}/log")).await;
    assert_eq!(st, StatusCode::OK, "{l}");
    l.as_array().expect("log").clone()
}

pub async fn client_with_deal(t: &TestApp, c: &Client, name: &str, first_due: &str) {
    let (_, cl) = t.post(c, "/api/v1/clients", json!({"name": name})).await;
    let id = cl["client"]["id"].as_u64().expect("client id");
    let (st, d) = t
        .post(
            c,
            &format!("/api/v1/clients/{id}/deals"),
            json!({"kind": "debt", "title": "Диван", "amount": "1000", "months": 2, "first_due": first_due}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
}

#[tokio::test]
async fn date_rules_fire_once_per_day_and_only_when_due() {
    let fake = SmtpFake::start().await;
    let t = crate::mail::spawn(&fake).await;
    let s = crate::stock::shop(&t, "owner@rules.kg").await;
    let c = &s.c;
    // Milk: 3 on hand, minimum 5 → low. Bread: 10 on hand, minimum 2 → fine.
    let (_, bread) =
        t.post(c, "/api/v1/products", json!({"name": "Хлеб", "purchase_price": "20", "markup": "10", "reorder_level": "2"})).await;
    let doc = json!({"kind": "receipt", "warehouse": s.main, "lines": [
        {"product": s.milk, "qty": "3", "cost": "85"}, {"product": bread["id"], "qty": "10", "cost": "20"}], "post": true});
    let (st, d) = t.post(c, "/api/v1/documents", doc).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    // The test clock is 2026-03-01 in Bishkek: due tomorrow, overdue since January, not yet due.
    client_with_deal(&t, c, "Бектур", "2026-03-02").await;
    client_with_deal(&t, c, "Гульнара", "2026-01-31").await;
    client_with_deal(&t, c, "Азамат", "2026-03-10").await;

    let due = rule(&t, c, json!({"name": "Завтра платёж", "trigger": "installment_due", "action": "staff", "perm": "clients"})).await;
    let overdue =
        rule(&t, c, json!({"name": "Долг 10 дней", "trigger": "debt_overdue", "days": 10, "action": "staff", "perm": "clients"})).await;
    let late =
        rule(&t, c, json!({"name": "Долг 60 дней", "trigger": "debt_overdue", "days": 60, "action": "staff", "perm": "clients"})).await;
    let low = rule(&t, c, json!({"name": "Мало товара", "trigger": "low_stock", "action": "email", "email": "stock@rules.kg"})).await;
    let off =
        rule(&t, c, json!({"name": "Выключено", "trigger": "low_stock", "action": "staff", "perm": "clients", "active": false})).await;
    // The owner also wants installment reminders by e-mail.
    let (st, p) = t.put(c, "/api/v1/notify/preferences", json!({"muted": [], "email": ["installment_due"]})).await;
    assert_eq!(st, StatusCode::OK, "{p}");

    for _ in 0..3 {
        assert!(!dukan::workers::rules_once(t.app.clone()).await.expect("rules step"));
    }
    let got = texts(&t, c).await;
    assert_eq!(got.len(), 2, "once each, however often the scheduler ticks: {got:?}");
    assert!(got.iter().any(|x| x.contains("Бектур") && x.contains("2026-03-02")), "{got:?}");
    assert!(got.iter().any(|x| x.contains("Гульнара")), "{got:?}");
    assert!(!got.iter().any(|x| x.contains("Азамат")), "not due yet: {got:?}");
    assert_eq!(log(&t, c, due).await.len(), 1);
    assert_eq!(log(&t, c, overdue).await.len(), 1);
    assert!(log(&t, c, late).await.is_empty(), "29 days overdue is not 60");
    assert!(log(&t, c, off).await.is_empty(), "a switched-off rule never fires");
    let low_log = log(&t, c, low).await;
    assert_eq!(low_log.len(), 1, "milk only: {low_log:?}");
    assert!(
        low_log[0]["text"].as_str().unwrap_or("").contains("Молоко")
            && low_log[0]["outcome"].as_str().unwrap_or("").contains("e-mail queued")
    );
    // Two e-mails: the low-stock rule's and the owner's own installment reminder.
    crate::mail::pump(&t).await;
    let mails = fake.wait_for(2, 20).await;
    let mut to: Vec<String> = mails.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, vec!["owner@rules.kg".to_string(), "stock@rules.kg".to_string()]);

    // The next day: the installment is due today (not tomorrow), the debt is still overdue.
    t.clock.advance_ms(86_400_000);
    dukan::workers::rules_once(t.app.clone()).await.expect("rules step");
    let again = t.login("owner@rules.kg", "password-123").await;
    let c = &again;
    assert_eq!(log(&t, c, due).await.len(), 1, "due today is not due tomorrow");
    assert_eq!(log(&t, c, overdue).await.len(), 2, "a daily reminder while overdue");
    t.assert_consistent();
}

#[tokio::test]
async fn preferences_mute_the_bell_and_rules_check_rights_and_input() {
    let t = TestApp::spawn().await;
    t.company("Правила", "owner@prefs.kg", "owner-pass-1").await;
    let c = t.login("owner@prefs.kg", "owner-pass-1").await;
    client_with_deal(&t, &c, "Бектур", "2026-03-02").await;
    let (clerk, _) = {
        let (_, r) = t.post(&c, "/api/v1/roles", json!({"name": "Клиенты", "permissions": ["clients"]})).await;
        let (_, b) = t.get(&c, "/api/v1/branches").await;
        let (st, u) = t
            .post(
                &c,
                "/api/v1/users",
                json!({"name": "Кассир", "email": "clerk@prefs.kg", "password": "password-123", "role": "staff", "custom_role": r["id"], "branches": [b[0]["id"]]}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{u}");
        (t.login("clerk@prefs.kg", "password-123").await, u)
    };

    // Rights: a clerk may set their own preferences but not the company's rules.
    let (st, _) = t.get(&clerk, "/api/v1/notify/rules").await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _) =
        t.post(&clerk, "/api/v1/notify/rules", json!({"name": "x", "trigger": "low_stock", "action": "staff", "perm": "clients"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, e) = t.put(&clerk, "/api/v1/notify/preferences", json!({"muted": ["nonsense"], "email": []})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (st, p) = t.put(&clerk, "/api/v1/notify/preferences", json!({"muted": ["installment_due"], "email": []})).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let (_, p) = t.get(&clerk, "/api/v1/notify/preferences").await;
    assert_eq!(p["muted"], json!(["installment_due"]));

    // Bad input: each field named, never a 500.
    let (st, e) = t.post(&c, "/api/v1/notify/rules", json!({"name": "", "trigger": "weather", "action": "pigeon"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let s = e.to_string();
    for f in ["name", "trigger", "action"] {
        assert!(s.contains(&format!("\"{f}\"")), "{f} in {e}");
    }
    let (st, e) =
        t.post(&c, "/api/v1/notify/rules", json!({"name": "x", "trigger": "low_stock", "action": "whatsapp", "template": 1})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e.to_string().contains("no_client"), "{e}");
    let (st, e) =
        t.post(&c, "/api/v1/notify/rules", json!({"name": "x", "trigger": "low_stock", "action": "email", "email": "nope"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (st, e) =
        t.post(&c, "/api/v1/notify/rules", json!({"name": "x", "trigger": "low_stock", "action": "staff", "perm": "flying"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // The clerk muted installment reminders: only the owner's bell rings.
    let id = rule(&t, &c, json!({"name": "Завтра платёж", "trigger": "installment_due", "action": "staff", "perm": "clients"})).await;
    dukan::workers::rules_once(t.app.clone()).await.expect("rules step");
    assert_eq!(texts(&t, &c).await.len(), 1);
    assert!(texts(&t, &clerk).await.is_empty(), "muted");
    let l = log(&t, &c, id).await;
    assert_eq!(l[0]["outcome"], "in-app: 1, e-mail: 0", "{l:?}");

    // Edit, read back, delete.
    let (st, r) = t
        .put(
            &c,
            &format!("/api/v1/notify/rules/{id}"),
            json!({"name": "Иначе", "trigger": "installment_due", "action": "staff", "perm": "sale", "active": false}),
        )
        .await;
    assert_eq!((st, r["perm"].as_str(), r["active"].as_bool()), (StatusCode::OK, Some("sale"), Some(false)), "{r}");
    let (st, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/notify/rules/{id}"), Some(&c.token), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = t.get(&c, &format!("/api/v1/notify/rules/{id}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    t.assert_consistent();
}

/// A user of the company's first warehouse branch with a role (`admin`, or staff with rights).
pub async fn member(t: &TestApp, owner: &Client, email: &str, role: Value) -> Client {
    let (_, b) = t.get(owner, "/api/v1/branches").await;
    let mut body = json!({"name": email, "email": email, "password": "password-123", "branches": [b[0]["id"]]});
    for (k, v) in role.as_object().expect("role fields") {
        body[k] = v.clone();
    }
    let (st, u) = t.post(owner, "/api/v1/users", body).await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    t.login(email, "password-123").await
}

pub async fn close(t: &TestApp, c: &Client, shift: u64, counted: &str) {
    let (st, z) = t.post(c, &format!("/api/v1/shifts/{shift}/close"), json!({"closing_cash": counted})).await;
    assert_eq!(st, StatusCode::OK, "{z}");
}

pub async fn open(t: &TestApp, c: &Client, cash_box: u64, opening: &str) -> u64 {
    let (st, sh) = t.post(c, "/api/v1/shifts", json!({"cash_box": cash_box, "opening_cash": opening})).await;
    assert_eq!(st, StatusCode::CREATED, "{sh}");
    sh["id"].as_u64().expect("shift id")
}

#[tokio::test]
async fn a_shift_closed_short_tells_owners_and_admins_once_over_the_threshold() {
    let fake = SmtpFake::start().await;
    let t = crate::mail::spawn(&fake).await;
    let k = crate::pos::till(&t, "owner@short.kg").await;
    let c = &k.s.c;
    let admin = member(&t, c, "admin@short.kg", json!({"role": "admin"})).await;
    let (st, r) = t.post(c, "/api/v1/roles", json!({"name": "Старший кассир", "permissions": ["cashier", "cashbox"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let clerk = member(&t, c, "clerk@short.kg", json!({"role": "staff", "custom_role": r["id"]})).await;
    // The default: on, any shortage.
    let (st, s) = t.get(c, "/api/v1/notify/shift-short").await;
    assert_eq!((st, s["threshold"].as_str(), s["active"].as_bool()), (StatusCode::OK, Some("0"), Some(true)), "{s}");
    // The owner also wants it by e-mail; the admin keeps the defaults (bell only).
    let (st, p) = t.put(c, "/api/v1/notify/preferences", json!({"muted": [], "email": ["shift_short"]})).await;
    assert_eq!(st, StatusCode::OK, "{p}");

    // Exact and over: nobody is told. 1000 in the drawer, 1000 and 1010 counted.
    close(&t, c, k.shift, "1000").await;
    let over = open(&t, c, k.cash_box, "1000").await;
    close(&t, c, over, "1010").await;
    assert!(texts(&t, c).await.is_empty());

    // The threshold: bad input is refused field by field, never a 500; the rules right only.
    for bad in [json!({"threshold": "-5"}), json!({"threshold": "abc"}), json!({"threshold": "1.234"})] {
        let (st, e) = t.put(c, "/api/v1/notify/shift-short", bad.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {e}");
        assert!(e.to_string().contains("threshold"), "{e}");
    }
    let (st, _) = t.put(&clerk, "/api/v1/notify/shift-short", json!({"threshold": "0"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, s) = t.put(c, "/api/v1/notify/shift-short", json!({"threshold": "50"})).await;
    assert_eq!((st, s["threshold"].as_str()), (StatusCode::OK, Some("50.00")), "{s}");

    // 20 short, under 50: nothing. Then the clerk's shift closes 150 short: owner and admin told.
    let small = open(&t, c, k.cash_box, "1000").await;
    close(&t, c, small, "980").await;
    assert!(texts(&t, c).await.is_empty(), "under the threshold");
    let big = open(&t, &clerk, k.cash_box, "500").await;
    close(&t, &clerk, big, "350").await;
    for who in [c, &admin] {
        let got = texts(&t, who).await;
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].contains("недостачей 150,00") && got[0].contains("Касса 1") && got[0].contains("clerk@short.kg"), "{got:?}");
    }
    assert!(texts(&t, &clerk).await.is_empty(), "a cashier is not an owner or admin");
    let (_, n) = t.get(c, "/api/v1/messaging/notifications").await;
    assert_eq!(n["items"][0]["link"], format!("/shifts/{big}"), "{n}");
    // The owner's e-mail, in the close's transaction: queued already, delivered by the worker.
    crate::mail::pump(&t).await;
    let mails = fake.wait_for(1, 20).await;
    assert_eq!(mails[0].to, vec!["owner@short.kg".to_string()]);
    assert!(mails[0].data.contains("150,00"), "{}", mails[0].data);
    // The rule's log: one firing, with what it sent.
    let (st, l) = t.get(c, "/api/v1/notify/shift-short/log").await;
    assert_eq!(st, StatusCode::OK, "{l}");
    let l = l.as_array().expect("log").clone();
    assert_eq!((l.len(), l[0]["subject"].as_u64(), l[0]["outcome"].as_str()), (1, Some(big), Some("in-app: 2, e-mail: 1")), "{l:?}");

    // The admin mutes it; switched off, nobody is told.
    let (st, _) = t.put(&admin, "/api/v1/notify/preferences", json!({"muted": ["shift_short"], "email": []})).await;
    assert_eq!(st, StatusCode::OK);
    let next = open(&t, c, k.cash_box, "1000").await;
    close(&t, c, next, "900").await;
    assert_eq!((texts(&t, c).await.len(), texts(&t, &admin).await.len()), (2, 1), "the admin muted it");
    let (st, _) = t.put(c, "/api/v1/notify/shift-short", json!({"threshold": "0", "active": false})).await;
    assert_eq!(st, StatusCode::OK);
    let last = open(&t, c, k.cash_box, "1000").await;
    close(&t, c, last, "1").await;
    assert_eq!(texts(&t, c).await.len(), 2, "switched off");

    // The rules page shows the setting and the firings; its form saves the threshold.
    let p = crate::browser::Plain::new(&t);
    assert_eq!(p.submit("/login", &[("email", "owner@short.kg"), ("password", "password-123")]).await.status(), 303);
    let page = p.get("/notify/rules").await.text().await.expect("page");
    assert!(page.contains("id=\"shift-short-log\"") && page.contains("недостачей 100,00"), "{page}");
    let csrf = crate::browser::csrf_of(&page);
    let r = p.post("/notify/shift-short", &[("_csrf", csrf.as_str()), ("threshold", "25"), ("active", "1")]).await;
    assert_eq!(r.status(), 303);
    let (_, s) = t.get(c, "/api/v1/notify/shift-short").await;
    assert_eq!((s["threshold"].as_str(), s["active"].as_bool()), (Some("25.00"), Some(true)), "{s}");
    let r = p.post("/notify/shift-short", &[("_csrf", csrf.as_str()), ("threshold", "много")]).await;
    assert_eq!(r.status(), 422);
    t.assert_consistent();
}
