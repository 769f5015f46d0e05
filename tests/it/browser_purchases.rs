//! The purchasing pages as a browser without JavaScript uses them: receive goods on credit
//! from a supplier, pay half from the cash box, return one line, see the payable and download
//! the act; every page of the group renders in both languages. (The chromium walk through the
//! same pages is still to come.)

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Plain, csrf_of, location};
use crate::common::TestApp;
use crate::purchases::supplier;
use crate::stock::shop;

#[tokio::test]
async fn receive_on_credit_pay_half_from_the_cash_box_return_a_line_and_download_the_act() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@pages.kg").await;
    let sup = supplier(&t, &s.c, "ОсОО Сүт").await;
    let (st, cb) = t.post(&s.c, "/api/v1/cash-boxes", json!({"name": "Касса 1", "warehouse": s.main})).await;
    assert_eq!(st, StatusCode::CREATED, "{cb}");
    let (st, shift) = t.post(&s.c, "/api/v1/shifts", json!({"cash_box": cb["id"], "opening_cash": "5000"})).await;
    assert_eq!(st, StatusCode::CREATED, "{shift}");

    let p = Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@pages.kg"), ("password", "password-123"), ("next", "/purchases")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/purchases"));
    let form = p.get(&format!("/purchases/new?supplier={sup}")).await.text().await.expect("form");
    assert!(form.contains("id=\"purchase-form\"") && form.contains(&format!("value=\"box:{}\"", cb["id"])), "accounts offered");
    let csrf = csrf_of(&form);
    let (sup_s, wh, milk) = (sup.to_string(), s.main.to_string(), s.milk.to_string());

    // A bad line is shown again with its message; nothing is saved.
    let bad = [
        ("_csrf", csrf.as_str()),
        ("supplier", sup_s.as_str()),
        ("warehouse", wh.as_str()),
        ("terms", "credit"),
        ("line_product", milk.as_str()),
        ("line_name", "Молоко"),
        ("line_qty", "x"),
        ("line_cost", "60"),
        ("action", "post"),
    ];
    let r = p.post("/purchases", &bad).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("value=\"Молоко\""), "the typed line stays");

    let good = [
        ("_csrf", csrf.as_str()),
        ("supplier", sup_s.as_str()),
        ("warehouse", wh.as_str()),
        ("terms", "credit"),
        ("due_days", "3"),
        ("line_product", milk.as_str()),
        ("line_name", "Молоко"),
        ("line_qty", "10"),
        ("line_cost", "60"),
        ("action", "post"),
    ];
    let r = p.post("/purchases", &good).await;
    assert_eq!(r.status(), 303);
    let to = location(&r).to_string();
    assert!(to.ends_with("?ok=posted"), "{to}");
    let id = to.trim_start_matches("/purchases/").split('?').next().unwrap_or("").to_string();
    let page = p.get(&to).await.text().await.expect("purchase page");
    assert!(page.contains("id=\"purchase-status\"") && page.contains("Проведена") && page.contains("ЗК-000001"), "posted purchase page");

    // Pay half from the cash box.
    let card = p.get(&format!("/suppliers/{sup}")).await.text().await.expect("supplier page");
    let key = card.split("name=\"key\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("key").to_string();
    let account = format!("box:{}", cb["id"]);
    let r = p.post(&format!("/suppliers/{sup}/pay"), &[("_csrf", &csrf), ("key", &key), ("amount", "300"), ("account", &account)]).await;
    assert_eq!((r.status().as_u16(), location(&r).to_string()), (303, format!("/suppliers/{sup}?ok=paid")));
    let r = p.post(&format!("/suppliers/{sup}/pay"), &[("_csrf", &csrf), ("key", &key), ("amount", "300"), ("account", &account)]).await;
    assert_eq!(r.status(), 303, "a double submit is the same payment");

    // Return one unit of the line against the payable.
    let r = p.post(&format!("/purchases/{id}/return"), &[("_csrf", &csrf), ("return_qty", "1"), ("refund", "payable")]).await;
    assert_eq!((r.status().as_u16(), location(&r).to_string()), (303, format!("/purchases/{id}?ok=returned")));
    let r = p.post(&format!("/purchases/{id}/return"), &[("_csrf", &csrf), ("return_qty", "99"), ("refund", "payable")]).await;
    assert_eq!(r.status(), 422, "more than bought is refused on the page");

    let card = p.get(&format!("/suppliers/{sup}")).await.text().await.expect("supplier page");
    let balance = card.split("id=\"supplier-balance\"").nth(1).and_then(|r| r.split('<').next()).unwrap_or("");
    assert!(balance.contains("240,00"), "600 − 300 paid − 60 returned: {balance}");
    let (_, api_card) = t.get(&s.c, &format!("/api/v1/suppliers/{sup}")).await;
    assert_eq!(api_card["balance"], "240.00");
    assert_eq!(api_card["payments"].as_array().map(Vec::len), Some(1), "{api_card}");

    let r = p.get(&format!("/suppliers/{sup}/act.pdf")).await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.expect("pdf").starts_with(b"%PDF"));

    for path in ["/suppliers", "/purchases", "/purchases/due", "/suppliers/matching", &format!("/purchases?supplier={sup}&status=posted")] {
        let r = p.get(path).await;
        assert_eq!(r.status(), 200, "{path}");
        let body = r.text().await.expect("body");
        assert!(body.contains("href=\"/suppliers\"") && body.contains("href=\"/purchases/due\""), "the Purchases group in the nav: {path}");
    }
    let r = p.post("/lang", &[("_csrf", &csrf), ("lang", "en"), ("back", "/purchases/due")]).await;
    assert_eq!(location(&r), "/purchases/due");
    let due = p.get("/purchases/due").await.text().await.expect("due");
    assert!(due.contains("To pay this week") && due.contains("ЗК-000001"), "English, and the purchase is due in 3 days");
    t.assert_consistent();
}
