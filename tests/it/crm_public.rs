//! The public request form (`/r/<slug>`) and client reviews (issue 17, crm4): a request
//! becomes a lead with a client matched by phone and a notification; the form's settings,
//! frame policy, honeypot, limits and bad input; the same 404 for an unknown slug, a form
//! switched off and a deactivated company; reviews on the client card and the order page,
//! with their rights and tenant isolation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of, location};
use crate::common::TestApp;
use dukan::ids::{CompanyId, UserId};

fn slug_of(t: &TestApp, c: u64) -> String {
    dukan::tenancy::query::company_slug(&t.app.db.read().expect("read"), CompanyId(c)).expect("slug")
}

/// A plain-HTTP browser signed in as `email`, and the CSRF token of `page`.
pub async fn signed_in(t: &TestApp, email: &str, password: &str, page: &str) -> (Plain, String) {
    let p = Plain::new(t);
    let r = p.submit("/login", &[("email", email), ("password", password), ("next", page)]).await;
    assert_eq!(r.status().as_u16(), 303, "sign in {email}");
    let html = p.get(page).await.text().await.expect("page");
    (p, csrf_of(&html))
}

async fn switch_on(p: &Plain, csrf: &str, origins: &str) -> reqwest::Response {
    p.post(
        "/crm/request-form",
        &[("_csrf", csrf), ("enabled", "1"), ("ask_email", "1"), ("ask_message", "1"), ("intro", "Перезвоним"), ("embed_origins", origins)],
    )
    .await
}

/// A visitor without a session (a fresh client: no cookies).
fn visitor(t: &TestApp) -> Plain {
    Plain::new(t)
}

async fn deals_of(t: &TestApp, o: &crate::common::Client) -> Vec<Value> {
    let (s, v) = t.get(o, "/api/v1/crm/deals").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["deals"].as_array().or(v.as_array()).cloned().unwrap_or_default()
}

fn unread(t: &TestApp, c: u64, u: u64) -> u64 {
    dukan::messaging::notify::unread(&t.app.db.read().expect("read"), CompanyId(c), UserId(u)).expect("unread")
}

#[tokio::test]
async fn a_public_request_becomes_a_lead_with_a_client_and_a_notification() {
    let t = TestApp::spawn().await;
    let a = t.company("Береке", "owner@bereke.kg", "password-123").await;
    let o = t.login("owner@bereke.kg", "password-123").await;
    let owner_id = o.body["user"]["id"].as_u64().expect("user id");
    let slug = slug_of(&t, a);
    let v = visitor(&t);

    // Off until the company switches it on: the same 404 as an unknown slug.
    assert_eq!(v.get(&format!("/r/{slug}")).await.status(), StatusCode::NOT_FOUND);
    let (p, csrf) = signed_in(&t, "owner@bereke.kg", "password-123", "/crm/request-form").await;
    let page = p.get("/crm/request-form").await.text().await.expect("settings");
    assert!(page.contains(&format!("/r/{slug}/embed")), "the embed code names the slug");
    let r = switch_on(&p, &csrf, "").await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/crm/request-form?ok=form_saved"));

    // The plain page may not be framed; the embed may, by any site while none is listed.
    let r = v.get(&format!("/r/{slug}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("x-frame-options").and_then(|h| h.to_str().ok()), Some("DENY"));
    assert!(r.text().await.expect("form").contains("id=\"request-form\""));
    let r = v.get(&format!("/r/{slug}/embed")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-frame-options").is_none());
    let csp = r.headers().get("content-security-policy").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
    assert!(csp.ends_with("frame-ancestors *"), "{csp}");

    let form = [("name", "Айгуль"), ("phone", "0555 123 456"), ("email", "Aigul@Mail.KG"), ("message", "Нужны 20 стульев")];
    let r = v.post(&format!("/r/{slug}"), &form).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.expect("thanks").contains("id=\"request-sent\""));

    let deals = deals_of(&t, &o).await;
    assert_eq!(deals.len(), 1, "{deals:?}");
    assert_eq!(deals[0]["title"].as_str(), Some("Заявка: Айгуль"));
    let client = deals[0]["client"].as_u64().expect("a client");
    let (_, cl) = t.get(&o, &format!("/api/v1/clients/{client}")).await;
    let cl = if cl["client"].is_object() { cl["client"].clone() } else { cl };
    assert_eq!((cl["phone"].as_str(), cl["email"].as_str()), (Some("+996555123456"), Some("aigul@mail.kg")), "{cl}");
    assert_eq!(unread(&t, a, owner_id), 1, "the owner was notified");
    let (_, tl) = t.get(&o, &format!("/api/v1/crm/clients/{client}/timeline")).await;
    assert!(tl.to_string().contains("Нужны 20 стульев"), "{tl}");

    // The same phone, written differently, is the same client.
    let r = v.post(&format!("/r/{slug}/embed"), &[("name", "Айгуль К."), ("phone", "+996 555 12-34-56")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let deals = deals_of(&t, &o).await;
    assert_eq!(deals.len(), 2);
    assert!(deals.iter().all(|d| d["client"].as_u64() == Some(client)), "{deals:?}");

    // Bad input: the form again with the visitor's values and messages, nothing stored.
    let r = v.post(&format!("/r/{slug}"), &[("name", ""), ("phone", "12"), ("email", "not-mail")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("form");
    for id in ["e-name", "e-phone", "e-email"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id} shown");
    }
    let long = "я".repeat(2001);
    let r = v.post(&format!("/r/{slug}"), &[("name", "Бакыт"), ("phone", "0700 111 222"), ("message", long.as_str())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The honeypot: thanked, nothing kept.
    let r = v.post(&format!("/r/{slug}"), &[("name", "Bot"), ("phone", "0700 111 222"), ("website", "http://spam")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(deals_of(&t, &o).await.len(), 2);

    // Listed sites only; a bad address is refused with its field.
    let r = switch_on(&p, &csrf, "https://shop.example\nhttps://bereke.kg").await;
    assert_eq!(r.status().as_u16(), 303);
    let r = v.get(&format!("/r/{slug}/embed")).await;
    let csp = r.headers().get("content-security-policy").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
    assert!(csp.ends_with("frame-ancestors https://shop.example https://bereke.kg"), "{csp}");
    let r = switch_on(&p, &csrf, "shop.example").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("page").contains("id=\"e-embed_origins\""));

    // Switched off again: gone, for reading and for posting.
    let r = p.post("/crm/request-form", &[("_csrf", csrf.as_str())]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(v.get(&format!("/r/{slug}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(v.post(&format!("/r/{slug}"), &form).await.status(), StatusCode::NOT_FOUND);
    t.assert_consistent();
}

#[tokio::test]
async fn unknown_off_and_deactivated_companies_look_the_same_and_limits_hold() {
    let t = TestApp::spawn().await;
    let a = t.company("Ала-Тоо", "owner@alatoo.kg", "password-123").await;
    let b = t.company("Нарын", "owner@naryn.kg", "password-123").await;
    let (sa, sb) = (slug_of(&t, a), slug_of(&t, b));
    for (email, _) in [("owner@alatoo.kg", a), ("owner@naryn.kg", b)] {
        let (p, csrf) = signed_in(&t, email, "password-123", "/crm/request-form").await;
        assert_eq!(switch_on(&p, &csrf, "").await.status().as_u16(), 303);
    }
    let v = visitor(&t);
    let missing = v.get("/r/no-such-shop").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let missing = missing.text().await.expect("404 page");

    // A request into B never lands in A.
    let r = v.post(&format!("/r/{sb}"), &[("name", "Азамат"), ("phone", "0555 000 111")]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let oa = t.login("owner@alatoo.kg", "password-123").await;
    let ob = t.login("owner@naryn.kg", "password-123").await;
    assert_eq!(deals_of(&t, &oa).await.len(), 0);
    assert_eq!(deals_of(&t, &ob).await.len(), 1);

    // A deactivated company answers exactly like a slug nobody has.
    t.app
        .db
        .write(move |tx| {
            let mut c = dukan::tenancy::query::company(tx, CompanyId(a))?;
            c.active = false;
            tx.insert(dukan::tenancy::store::COMPANIES, a, &c)?;
            Ok::<(), dukan::error::Error>(())
        })
        .await
        .expect("deactivate");
    let r = v.get(&format!("/r/{sa}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.text().await.expect("404 page"), missing);
    assert_eq!(v.post(&format!("/r/{sa}"), &[("name", "X"), ("phone", "0555 000 112")]).await.status(), StatusCode::NOT_FOUND);

    // Ten requests an hour from one address (the one above and the refused one count too).
    let mut last = StatusCode::OK;
    for i in 0..12 {
        let phone = format!("0555 000 {:03}", 200 + i);
        last = v.post(&format!("/r/{sb}"), &[("name", "Гость"), ("phone", phone.as_str())]).await.status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    t.assert_consistent();
}

#[tokio::test]
async fn reviews_of_clients_and_orders_with_rights_and_isolation() {
    let t = TestApp::spawn().await;
    t.company("Береке", "owner@rev.kg", "password-123").await;
    t.company("Чужая", "owner@other.kg", "password-123").await;
    let o = t.login("owner@rev.kg", "password-123").await;
    let client = crate::crm::client(&t, &o, "Айбек").await;
    let (s, p) = t.post(&o, "/api/v1/products", json!({"kind": "service", "name": "Сборка", "price": "1500"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, w) = t.post(&o, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let wh = w["id"].clone();
    let (s, order) =
        t.post(&o, "/api/v1/crm/orders", json!({"client": client, "warehouse": wh, "lines": [{"product": p["id"], "qty": "2"}]})).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    let order = order["id"].as_u64().expect("order id");

    let (p, csrf) = signed_in(&t, "owner@rev.kg", "password-123", &format!("/clients/{client}")).await;
    let r =
        p.post(&format!("/crm/clients/{client}/reviews"), &[("_csrf", csrf.as_str()), ("rating", "5"), ("text", "Быстро привезли")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/clients/{client}?ok=client_saved").as_str()));
    let r = p
        .post(&format!("/crm/orders/{order}/reviews"), &[("_csrf", csrf.as_str()), ("rating", "3"), ("text", "Один стул со сколом")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    for bad in ["0", "6", "4.5", ""] {
        let r = p.post(&format!("/crm/clients/{client}/reviews"), &[("_csrf", csrf.as_str()), ("rating", bad)]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "rating {bad}");
    }
    let panel = p.get(&format!("/crm/clients/{client}/panel")).await.text().await.expect("panel");
    assert!(panel.contains("Быстро привезли") && panel.contains("Один стул со сколом"), "both on the client card");
    assert!(panel.contains("★★★★★"), "stars");
    let page = p.get(&format!("/crm/orders/{order}")).await.text().await.expect("order page");
    assert!(page.contains("Один стул со сколом") && !page.contains("Быстро привезли"), "only the order's own review");
    let (_, tl) = t.get(&o, &format!("/api/v1/crm/clients/{client}/timeline")).await;
    assert!(tl.to_string().contains("review"), "{tl}");

    // Rights: a salesperson without crm_reviews reads but may not write.
    let (seller, _) = crate::crm::staff(&t, &o, "seller@rev.kg", json!(["crm_deals", "clients"])).await;
    drop(seller);
    let (sp, scsrf) = signed_in(&t, "seller@rev.kg", "password-456", &format!("/clients/{client}")).await;
    let r = sp.post(&format!("/crm/clients/{client}/reviews"), &[("_csrf", scsrf.as_str()), ("rating", "1")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let panel = sp.get(&format!("/crm/clients/{client}/panel")).await.text().await.expect("panel");
    assert!(panel.contains("Быстро привезли") && !panel.contains("id=\"review-form\""));

    // Another company's owner: the same 404 as a missing client or order, nothing written.
    let (op, ocsrf) = signed_in(&t, "owner@other.kg", "password-123", "/crm/request-form").await;
    for path in [format!("/crm/clients/{client}/reviews"), format!("/crm/orders/{order}/reviews"), "/crm/clients/999999/reviews".into()] {
        let r = op.post(&path, &[("_csrf", ocsrf.as_str()), ("rating", "1"), ("text", "чужой")]).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let panel = p.get(&format!("/crm/clients/{client}/panel")).await.text().await.expect("panel");
    assert!(!panel.contains("чужой"));
    // Its settings page is its own: its own slug, never the other's.
    let own = op.get("/crm/request-form").await.text().await.expect("settings");
    assert!(!own.contains("/r/bereke"), "another company's slug");
    t.assert_consistent();
}

#[tokio::test]
async fn reviews_through_the_json_api() {
    let t = TestApp::spawn().await;
    t.company("Береке", "owner@rev-api.kg", "password-123").await;
    let o = t.login("owner@rev-api.kg", "password-123").await;
    let client = crate::crm::client(&t, &o, "Айбек").await;
    let (_, p) = t.post(&o, "/api/v1/products", json!({"kind": "service", "name": "Сборка", "price": "1500"})).await;
    let (_, w) = t.post(&o, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let (s, order) = t
        .post(&o, "/api/v1/crm/orders", json!({"client": client, "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "1"}]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    let order = order["id"].as_u64().expect("order id");

    let (s, r) = t.post(&o, &format!("/api/v1/crm/clients/{client}/reviews"), json!({"rating": 5, "text": "Быстро"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!((r["client"].as_u64(), r["order"].clone(), r["rating"].as_u64()), (Some(client), Value::Null, Some(5)), "{r}");
    let (s, r) = t.post(&o, &format!("/api/v1/crm/orders/{order}/reviews"), json!({"rating": 2})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    assert_eq!((r["client"].as_u64(), r["order"].as_u64(), r["text"].as_str()), (Some(client), Some(order), Some("")), "{r}");
    // Bad input: out of range, wrong type, unknown field — 422/400 with a code, nothing written.
    for bad in [json!({"rating": 0}), json!({"rating": 6}), json!({"rating": "five"}), json!({"rating": 3, "stars": 3})] {
        let (s, e) = t.post(&o, &format!("/api/v1/crm/clients/{client}/reviews"), bad.clone()).await;
        assert!(s.is_client_error() && e["code"].is_string(), "{bad}: {s} {e}");
    }
    let (s, all) = t.get(&o, &format!("/api/v1/crm/clients/{client}/reviews")).await;
    assert_eq!(s, StatusCode::OK);
    let ratings: Vec<_> = all.as_array().expect("list").iter().map(|r| r["rating"].as_u64()).collect();
    assert_eq!(ratings, [Some(2), Some(5)], "both, newest first: {all}");
    let (_, of_order) = t.get(&o, &format!("/api/v1/crm/orders/{order}/reviews")).await;
    assert_eq!(of_order.as_array().map(Vec::len), Some(1), "only the order's own: {of_order}");

    // Rights: without crm_reviews a salesperson reads but may not record.
    let (sp, _) = crate::crm::staff(&t, &o, "seller@rev-api.kg", json!(["crm_deals", "clients"])).await;
    let (s, _) = t.get(&sp, &format!("/api/v1/crm/clients/{client}/reviews")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = t.post(&sp, &format!("/api/v1/crm/clients/{client}/reviews"), json!({"rating": 1})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, _) = t.post(&o, "/api/v1/crm/clients/999999/reviews", json!({"rating": 1})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, all) = t.get(&o, &format!("/api/v1/crm/clients/{client}/reviews")).await;
    assert_eq!(all.as_array().map(Vec::len), Some(2), "refused writes wrote nothing");
    t.assert_consistent();
}

async fn upload(t: &TestApp, c: &crate::common::Client, bytes: &str) -> (StatusCode, Value) {
    let url = t.url("/api/v1/imports?kind=clients&file_name=clients.csv");
    let resp = t.http.post(url).bearer_auth(&c.token).body(bytes.as_bytes().to_vec()).send().await.expect("upload");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn clients_named(t: &TestApp, c: &crate::common::Client) -> Vec<String> {
    let (s, v) = t.get(c, "/api/v1/clients?limit=100").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let list = v["items"].as_array().or(v["clients"].as_array()).or(v.as_array()).cloned().unwrap_or_default();
    list.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect()
}

#[tokio::test]
async fn clients_import_from_a_file_with_a_dry_run_and_duplicates_per_row() {
    let t = TestApp::spawn().await;
    t.company("Импорт", "owner@imp-clients.kg", "password-123").await;
    let o = t.login("owner@imp-clients.kg", "password-123").await;
    crate::crm::client(&t, &o, "Старый клиент").await;
    let (s, v) = t.post(&o, "/api/v1/clients", json!({"name": "С телефоном", "phone": "0555 100 200"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let before = clients_named(&t, &o).await.len();

    let file = "Название;Телефон;E-mail;ИНН;Примечание\n\
                ОсОО Бакай;0700 111 222;info@bakai.kg;;опт\n\
                Айгерим;+996 555 100 200;;;\n\
                ;0700 333 444;;;\n\
                Бекзат;12;not-mail;;\n\
                Бакай-2;0700 111 222;;;\n";
    let (s, i) = upload(&t, &o, file).await;
    assert_eq!((s, i["new"].as_u64(), i["errors"].as_u64()), (StatusCode::CREATED, Some(3), Some(2)), "{i}");
    let id = i["id"].as_u64().expect("id");
    let (s, rows) = t.get(&o, &format!("/api/v1/imports/{id}/rows")).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    let codes = |line: u64| -> Vec<String> {
        rows["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|r| r["line"].as_u64() == Some(line))
            .map(|r| r["errors"].as_array().expect("errors").iter().map(|e| e["code"].as_str().unwrap_or("").to_string()).collect())
            .unwrap_or_default()
    };
    assert_eq!(codes(2), Vec::<String>::new());
    assert_eq!(codes(3), ["likely_duplicate"], "the phone of an existing client, written differently");
    assert_eq!(codes(4), ["required"]);
    let mut bad = codes(5);
    bad.sort();
    assert_eq!(bad, ["email", "phone"]);
    assert_eq!(codes(6), ["likely_duplicate"], "a phone repeated in the file");
    assert_eq!(clients_named(&t, &o).await.len(), before, "the preview is a dry run: nothing written");

    let (s, e) = t.post(&o, &format!("/api/v1/imports/{id}/confirm"), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("import_has_errors")), "{e}");
    let (s, v) = t.post(&o, &format!("/api/v1/imports/{id}/confirm"), json!({"skip_invalid": true})).await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::ACCEPTED, Some("applying")), "{v}");
    for _ in 0..100 {
        if !dukan::workers::import_once(t.app.clone()).await.expect("import step") {
            break;
        }
    }
    let (_, v) = t.get(&o, &format!("/api/v1/imports/{id}")).await;
    assert_eq!((v["state"].as_str(), v["created_count"].as_u64(), v["failed_count"].as_u64()), (Some("done"), Some(3), Some(2)), "{v}");
    let names = clients_named(&t, &o).await;
    assert_eq!(names.len(), before + 3, "{names:?}");
    assert!(names.iter().any(|n| n == "ОсОО Бакай") && names.iter().any(|n| n == "Айгерим"), "{names:?}");

    // A file without a name column is refused whole; a salesperson without the clients right may not import.
    let (s, e) = upload(&t, &o, "Телефон\n0700 999 888\n").await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_columns")), "{e}");
    let (seller, _) = crate::crm::staff(&t, &o, "seller@imp-clients.kg", json!(["crm_deals"])).await;
    let (s, _) = upload(&t, &seller, file).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    t.assert_consistent();
}
