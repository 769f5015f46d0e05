//! Company slugs, self-registration and trials (issue 18): slug rules (transliteration,
//! collisions, reserved words, edits, isolation), sign-up closed and open, its abuse guards,
//! trial end → read-only, and the operator's N×30-day extension with its audit row.

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Plain, csrf_of, location};
use crate::common::TestApp;
use dukan::ids::CompanyId;
use dukan::tenancy::query;

fn slug_of(t: &TestApp, c: u64) -> String {
    query::company_slug(&t.app.db.read().expect("read"), CompanyId(c)).expect("slug")
}

fn by_slug(t: &TestApp, s: &str) -> Option<u64> {
    query::company_by_slug(&t.app.db.read().expect("read"), s).expect("lookup").map(|c| c.0)
}

/// A plain-HTTP browser signed in as `email`, and the CSRF token of `page`.
async fn signed_in(t: &TestApp, email: &str, password: &str, page: &str) -> (Plain, String) {
    let p = Plain::new(t);
    let r = p.submit("/login", &[("email", email), ("password", password), ("next", page)]).await;
    assert_eq!(r.status().as_u16(), 303, "sign in {email}");
    let html = p.get(page).await.text().await.expect("page");
    let csrf = csrf_of(&html);
    (p, csrf)
}

#[tokio::test]
async fn slugs_are_transliterated_unique_reserved_and_editable() {
    let t = TestApp::spawn().await;
    let _op = t.first_run("op@box.kg", "operator-pass-1").await;
    let a = t.company("Береке", "owner@bereke.kg", "password-123").await;
    let b = t.company("Береке", "owner@bereke2.kg", "password-123").await;
    let api = t.company("API", "owner@api.kg", "password-123").await;
    let kg = t.company("Өмүр Таң", "owner@omur.kg", "password-123").await;
    assert_eq!(slug_of(&t, a), "bereke");
    assert_eq!(slug_of(&t, b), "bereke-2", "a taken slug gets a suffix");
    assert_eq!(slug_of(&t, api), "api-2", "a reserved word is never a slug");
    assert_eq!(slug_of(&t, kg), "omur-tang", "Kyrgyz letters");
    assert_eq!(by_slug(&t, "bereke"), Some(a));
    assert_eq!(by_slug(&t, " BEREKE "), Some(a), "case-insensitive");
    assert_eq!(by_slug(&t, "nope-nope"), None);

    // The owner edits it on the settings page; the rules hold there too.
    let (p, csrf) = signed_in(&t, "owner@bereke2.kg", "password-123", "/settings").await;
    let html = p.get("/settings").await.text().await.expect("settings");
    assert!(html.contains("id=\"slug-form\"") && html.contains("value=\"bereke-2\""), "the slug form with the slug");
    for (bad, code) in [("bereke", "Этот адрес уже занят"), ("login", "зарезервирован"), ("ab", "от 3 до 40"), ("Бер ке", "латинские")]
    {
        let r = p.post("/settings/slug", &[("_csrf", csrf.as_str()), ("slug", bad)]).await;
        assert_eq!(r.status().as_u16(), 422, "{bad}");
        let body = r.text().await.expect("body");
        assert!(body.contains("id=\"e-slug\"") && body.contains(code), "{bad}: {code}");
    }
    let r = p.post("/settings/slug", &[("_csrf", csrf.as_str()), ("slug", "Bereke-Market")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(slug_of(&t, b), "bereke-market");
    assert_eq!(by_slug(&t, "bereke-2"), None, "the old slug is free again");
    assert_eq!(by_slug(&t, "bereke-market"), Some(b));

    // Isolation: a company's owner cannot touch another company's slug or subscription,
    // and its own slug edit changes only its own company.
    let r = p.post(&format!("/platform/companies/{a}/slug"), &[("_csrf", csrf.as_str()), ("slug", "stolen")]).await;
    assert_eq!(r.status().as_u16(), 403);
    let r = p.post(&format!("/platform/companies/{a}/extend"), &[("_csrf", csrf.as_str()), ("months", "12")]).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(p.get("/platform/signup").await.status().as_u16(), 403);
    assert_eq!(slug_of(&t, a), "bereke");

    // The platform operator edits any company's slug.
    let (op, csrf) = signed_in(&t, "op@box.kg", "operator-pass-1", &format!("/platform/companies/{a}")).await;
    let r = op.post(&format!("/platform/companies/{a}/slug"), &[("_csrf", csrf.as_str()), ("slug", "bereke-market")]).await;
    assert_eq!(r.status().as_u16(), 422, "taken by the other company");
    let r = op.post(&format!("/platform/companies/{a}/slug"), &[("_csrf", csrf.as_str()), ("slug", "bereke-bishkek")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(by_slug(&t, "bereke-bishkek"), Some(a));
    t.assert_consistent();
}

#[tokio::test]
async fn closed_signup_is_not_found_and_unlinked() {
    let t = TestApp::spawn().await;
    let _op = t.first_run("op@box.kg", "operator-pass-1").await;
    let p = Plain::new(&t);
    assert_eq!(p.get("/signup").await.status().as_u16(), 404);
    let login = p.get("/login").await.text().await.expect("login");
    assert!(!login.contains("href=\"/signup\""), "no link while closed");
    // Posting anyway creates nothing.
    let csrf = csrf_of(&login);
    let r = p.post("/signup", &[("_csrf", csrf.as_str()), ("name", "Спам"), ("sector", "shop")]).await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(query::company_count(&t.app.db.read().expect("read")).expect("count"), 1);
}

fn form<'a>(name: &'a str, email: &'a str, sector: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", name),
        ("country", "KG"),
        ("sector", sector),
        ("owner_name", "Азамат"),
        ("owner_email", email),
        ("owner_password", "trial-pass-77"),
        ("owner_password2", "trial-pass-77"),
        ("website", ""),
    ]
}

#[tokio::test]
async fn open_signup_creates_a_trial_company_with_the_sectors_plan() {
    let t = TestApp::spawn_with(|c| c.signup = Some("open".into())).await;
    let op = t.first_run("op@box.kg", "operator-pass-1").await;
    let p = Plain::new(&t);
    let login = p.get("/login").await.text().await.expect("login");
    assert!(login.contains("href=\"/signup\""), "the sign-in page links to sign-up");
    let page = p.get("/signup").await.text().await.expect("signup");
    assert!(page.contains("id=\"signup-form\"") && page.contains("value=\"telecom\""), "the form with sectors");

    // Every rule at once: mismatched passwords, unknown sector, bad e-mail.
    let mut bad = form("Связь Плюс", "not-an-email", "spaceport");
    bad[6] = ("owner_password2", "other-pass-99");
    let r = p.submit("/signup", &bad).await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.expect("body");
    for field in ["e-owner_password2", "e-sector", "e-owner_email"] {
        assert!(html.contains(&format!("id=\"{field}\"")), "{field}");
    }
    assert!(!html.contains("trial-pass-77"), "a password is never echoed");

    let r = p.submit("/signup", &form("Связь Плюс", "owner@svyaz.kg", "telecom")).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/"), "signed in at once");
    let home = p.get("/").await.text().await.expect("home");
    assert!(home.contains("id=\"trial-banner\"") && home.contains("10"), "the trial banner");
    assert!(home.contains("href=\"/telecom") && !home.contains("href=\"/pos\""), "only the telecom plan's modules");

    let tx = t.app.db.read().expect("read");
    let c = query::companies(&tx).expect("companies").into_iter().find(|c| c.name == "Связь Плюс").expect("company");
    let plan = query::plan(&tx, c.plan).expect("plan");
    assert_eq!(plan.name, "Телеком");
    assert_eq!(c.subscription_end, Some(crate::common::START.plus_days(10)));
    assert_eq!(query::company_slug(&tx, c.id).expect("slug"), "svyaz-plyus");
    drop(tx);

    // The trial ends, then the grace period: read-only.
    t.clock.advance_ms(18 * 86_400_000);
    let o = t.login("owner@svyaz.kg", "trial-pass-77").await;
    let (s, e) = t.post(&o, "/api/v1/branches", json!({"name": "Ош"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("subscription_expired")), "{e}");

    // The operator extends by 2×30 days from now (the end has passed), with an audit row.
    let (ops, csrf) = signed_in(&t, "op@box.kg", "operator-pass-1", &format!("/platform/companies/{}", c.id)).await;
    let r = ops.post(&format!("/platform/companies/{}/extend", c.id), &[("_csrf", csrf.as_str()), ("months", "2")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let end = query::company(&t.app.db.read().expect("read"), c.id).expect("company").subscription_end;
    assert_eq!(end, Some(crate::common::START.plus_days(18 + 60)));
    let r = ops.post(&format!("/platform/companies/{}/extend", c.id), &[("_csrf", csrf.as_str()), ("months", "0")]).await;
    assert_eq!(r.status().as_u16(), 422, "1 to 36 periods");
    let (s, _) = t.post(&o, "/api/v1/branches", json!({"name": "Ош"})).await;
    assert_eq!(s, StatusCode::CREATED, "writable again");
    let home = p.get("/").await.text().await.expect("home");
    assert!(!home.contains("id=\"trial-banner\""), "an extended company is no longer on trial");
    let (_, audit) = t.get(&o, "/api/v1/audit?action=company.extend").await;
    assert!(
        audit["items"].as_array().is_some_and(|a| a.iter().any(|e| e["detail"].as_str().is_some_and(|d| d.contains("months=2")))),
        "{audit}"
    );
    let _ = op;
    t.assert_consistent();
}

#[tokio::test]
async fn signup_guards_honeypot_and_rate_limit() {
    let t = TestApp::spawn_with(|c| c.signup = Some("open".into())).await;
    let _op = t.first_run("op@box.kg", "operator-pass-1").await;
    let p = Plain::new(&t);
    let mut robot = form("Бот", "bot@spam.kg", "shop");
    robot[7] = ("website", "http://spam.example");
    let r = p.submit("/signup", &robot).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/login"), "told nothing");
    assert_eq!(query::company_count(&t.app.db.read().expect("read")).expect("count"), 1, "and nothing created");
    // Five attempts an hour from one address (the robot's counted too).
    for n in 0..4 {
        let r = p.submit("/signup", &form("Х", "not-an-email", "shop")).await;
        let st = r.status().as_u16();
        let loc = format!("{:?}", r.headers().get("location"));
        assert_eq!(st, 422, "attempt {n}: {loc} {}", r.text().await.unwrap_or_default());
    }
    let r = p.submit("/signup", &form("Магазин Шестой", "six@shop.kg", "shop")).await;
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(query::company_count(&t.app.db.read().expect("read")).expect("count"), 1);
}

#[tokio::test]
async fn the_operator_opens_signup_and_maps_sectors_to_plans() {
    let t = TestApp::spawn().await;
    let _op = t.first_run("op@box.kg", "operator-pass-1").await;
    let (ops, csrf) = signed_in(&t, "op@box.kg", "operator-pass-1", "/platform/signup").await;
    let page = ops.get("/platform/signup").await.text().await.expect("page");
    assert!(page.contains("id=\"signup-settings\"") && page.contains("name=\"plan_cafe\""));
    let plans = query::plans(&t.app.db.read().expect("read")).expect("plans");
    let all = plans[0].id.0.to_string();
    let r =
        ops.post("/platform/signup", &[("_csrf", csrf.as_str()), ("open", "1"), ("trial_days", "0"), ("plan_shop", all.as_str())]).await;
    assert_eq!(r.status().as_u16(), 422, "a trial of at least one day");
    let r = ops
        .post(
            "/platform/signup",
            &[("_csrf", csrf.as_str()), ("open", "1"), ("trial_days", "5"), ("contact", "+996 555 000 111"), ("plan_shop", all.as_str())],
        )
        .await;
    let st = r.status().as_u16();
    assert_eq!(st, 303, "{}", r.text().await.unwrap_or_default());
    let p = Plain::new(&t);
    let page = p.get("/signup").await.text().await.expect("signup");
    assert!(page.contains("5"), "the trial length is shown");
    let r = p.submit("/signup", &form("Кафе Ала-Тоо", "owner@alatoo.kg", "shop")).await;
    assert_eq!(r.status().as_u16(), 303);
    let home = p.get("/").await.text().await.expect("home");
    assert!(home.contains("href=\"tel:+996555000111\""), "the operator's contact in the banner");
    let tx = t.app.db.read().expect("read");
    let c = query::companies(&tx).expect("companies").into_iter().find(|c| c.name == "Кафе Ала-Тоо").expect("company");
    assert_eq!(c.plan, plans[0].id, "the operator's mapping");
    assert_eq!(c.subscription_end, Some(crate::common::START.plus_days(5)));
    drop(tx);
    // Closing it again: 404.
    let r = ops.post("/platform/signup", &[("_csrf", csrf.as_str()), ("trial_days", "5")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(p.get("/signup").await.status().as_u16(), 404);
    t.assert_consistent();
}
