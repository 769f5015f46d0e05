//! The purchasing pages, twice: in headless chromium (a draft typed with the product picker,
//! edited, posted on credit; half paid from the cash box; one line returned; the payable and
//! the act on the supplier's page), and as a browser without JavaScript uses them (bad input
//! shown again, a double-submitted payment, every page of the group in both languages).

use fantoccini::{Client as Browser, Locator};
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Plain, R, click, csrf_of, fill, location, run, screenshot, type_ahead, wait_for, wait_xpath};
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

#[tokio::test]
async fn a_purchase_on_credit_half_paid_and_a_line_returned_in_a_real_browser() {
    run("purchases", chromium_flow).await;
}

/// Marks the current page so a wait can tell the next one from it.
async fn mark_stale(b: &Browser) -> R {
    b.execute("document.getElementById('main').dataset.stale = '1'", vec![]).await?;
    Ok(())
}

/// Milk: a draft of 4 at 60, edited to 10 at 60 (600) and posted on credit; 300 paid from the
/// cash box; 1 returned (60) → owed 240.
async fn chromium_flow(b: &Browser, t: &TestApp) -> R {
    let s = shop(t, "owner@chromium-buy.kg").await;
    let sup = supplier(t, &s.c, "ОсОО Сүт Продукт").await;
    let (st, cb) = t.post(&s.c, "/api/v1/cash-boxes", json!({"name": "Касса 1", "warehouse": s.main})).await;
    assert_eq!(st, StatusCode::CREATED, "{cb}");
    let (st, shift) = t.post(&s.c, "/api/v1/shifts", json!({"cash_box": cb["id"], "opening_cash": "5000"})).await;
    assert_eq!(st, StatusCode::CREATED, "{shift}");
    crate::browser_stock::drain(t).await;

    b.goto(&format!("{}/login", t.base)).await?;
    wait_for(b, "main[data-page=login]").await?;
    fill(b, "#f-email", "owner@chromium-buy.kg").await?;
    fill(b, "#f-password", "password-123").await?;
    click(b, "main button[type=submit]").await?;
    wait_for(b, "main[data-page=dashboard]").await?;

    // A draft: the supplier chosen, the product picked by typing, 4 at 60.
    b.goto(&format!("{}/purchases/new?supplier={sup}", t.base)).await?;
    wait_for(b, "main[data-page=document-form] #purchase-form").await?;
    type_ahead(b, "#lines tr:first-child input[name=line_name]", "молоко").await?;
    wait_for(b, "#lines tr:first-child .pick-results [data-pick]").await?.click().await?;
    let chosen = b.find(Locator::Css("#lines tr:first-child input[name=line_product]")).await?.prop("value").await?.unwrap_or_default();
    assert_eq!(chosen, s.milk.to_string(), "the pick fills the line's product");
    fill(b, "#lines tr:first-child input[name=line_qty]", "4").await?;
    fill(b, "#lines tr:first-child input[name=line_cost]", "60").await?;
    fill(b, "#f-due_days", "3").await?;
    mark_stale(b).await?;
    click(b, "#save-purchase").await?;
    let status = wait_for(b, "main:not([data-stale])[data-page=purchase] #purchase-status").await?.text().await?;
    assert_eq!(status, "Черновик");

    // Edited on its page: 10 instead of 4.
    click(b, "#edit-purchase").await?;
    wait_for(b, "main[data-page=document-form] #purchase-edit-title").await?;
    let typed = b.find(Locator::Css("#lines tr:first-child input[name=line_name]")).await?.prop("value").await?.unwrap_or_default();
    assert!(typed.contains("Молоко"), "the stored line is typed back: {typed}");
    fill(b, "#lines tr:first-child input[name=line_qty]", "10").await?;
    mark_stale(b).await?;
    click(b, "#post-purchase").await?;
    wait_for(b, "main:not([data-stale])[data-page=purchase] #purchase-status").await?;
    assert_eq!(b.find(Locator::Css("#purchase-status")).await?.text().await?, "Проведена");
    assert_eq!(b.find(Locator::Css("#purchase-total")).await?.text().await?, "600,00");
    let purchase_url = b.current_url().await?;

    // Half paid from the cash box on the supplier's page.
    b.goto(&format!("{}/suppliers/{sup}", t.base)).await?;
    wait_for(b, "main[data-page=supplier] #pay-form").await?;
    fill(b, "#f-amount", "300").await?;
    b.find(Locator::Css("#f-account")).await?.select_by_value(&format!("box:{}", cb["id"])).await?;
    mark_stale(b).await?;
    click(b, "#pay-supplier").await?;
    let balance = wait_for(b, "main:not([data-stale])[data-page=supplier] #supplier-balance").await?.text().await?;
    assert_eq!(balance, "300,00", "600 − 300 paid");

    // One unit of the line back against the payable.
    b.goto(purchase_url.as_str()).await?;
    wait_for(b, "main[data-page=purchase] #return-form").await?;
    fill(b, "#return-qty-0", "1").await?;
    mark_stale(b).await?;
    click(b, "#return-goods").await?;
    wait_xpath(b, "//main[not(@data-stale)][@data-page='purchase']//table[@id='purchase-returns']//tbody/tr").await?;

    // The payable and the act on the supplier's page.
    b.goto(&format!("{}/suppliers/{sup}", t.base)).await?;
    let balance = wait_for(b, "main[data-page=supplier] #supplier-balance").await?.text().await?;
    assert_eq!(balance, "240,00", "600 − 300 paid − 60 returned");
    let href = b.find(Locator::Css("#act-pdf")).await?.attr("href").await?.unwrap_or_default();
    assert_eq!(href, format!("/suppliers/{sup}/act.pdf"));
    let (st, act) = t.get(&s.c, &format!("/api/v1/suppliers/{sup}/act")).await;
    assert_eq!((st, act["closing"].as_str()), (StatusCode::OK, Some("240.00")), "{act}");
    let pdf = Plain::new(t);
    pdf.submit("/login", &[("email", "owner@chromium-buy.kg"), ("password", "password-123"), ("next", "/")]).await;
    let r = pdf.get(&href).await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await?.starts_with(b"%PDF"), "the act the link downloads is a PDF");
    screenshot(b, "supplier-page").await?;
    t.assert_consistent();
    Ok(())
}
