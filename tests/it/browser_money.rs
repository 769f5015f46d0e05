//! Issue 14 end to end: goods received on credit from a supplier, half paid from the cash box,
//! one line returned; the payable and the reconciliation act agree; rent recorded as an expense
//! on the money pages; the finance tab shows net profit = gross profit − rent, in a real
//! browser at a phone's width.
//!
//! Purchases have no pages on this branch yet, so the purchase, the payment and the return go
//! through the API (as a till or an integration would); the money document and the finance
//! tab go through the pages.

use fantoccini::{Client as Browser, Locator};
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{R, click, fill, run, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;
use crate::stock::shop;

#[tokio::test]
async fn a_credit_purchase_half_paid_and_rent_show_on_the_finance_tab_in_a_real_browser() {
    run("money", flow).await;
}

/// Milk: 10 bought at 80 on credit (800); 400 paid from the box; 2 returned (160) → owed 240.
/// Sold 3 at 102 in cash (306, cost 240) → gross profit 66; rent 30 → net profit 36.
async fn flow(b: &Browser, t: &TestApp) -> R {
    let s = shop(t, "owner@money-e2e.kg").await;
    let c = &s.c;
    let (st, sup) = t.post(c, "/api/v1/clients", json!({"kind": "supplier", "name": "ОсОО Молочный завод"})).await;
    assert_eq!(st, StatusCode::CREATED, "{sup}");
    let sup = sup["client"]["id"].as_u64().expect("supplier id");
    let (st, p) = t
        .post(
            c,
            "/api/v1/purchases",
            json!({"supplier": sup, "warehouse": s.main, "terms": "credit", "due_days": "7", "post": true,
                   "lines": [{"product": s.milk, "qty": "10", "price": "80"}]}),
        )
        .await;
    assert_eq!((st, p["status"].as_str(), p["total"].as_str()), (StatusCode::CREATED, Some("posted"), Some("800.00")), "{p}");
    let purchase = p["id"].as_u64().expect("purchase id");

    // A till sells three milks in cash, so the box holds money to pay with.
    let (st, cb) = t.post(c, "/api/v1/cash-boxes", json!({"name": "Касса 1", "warehouse": s.main})).await;
    assert_eq!(st, StatusCode::CREATED, "{cb}");
    let cash_box = cb["id"].as_u64().expect("box id");
    let (st, sh) = t.post(c, "/api/v1/shifts", json!({"cash_box": cash_box, "opening_cash": "1000"})).await;
    assert_eq!(st, StatusCode::CREATED, "{sh}");
    let (st, sale) = t
        .post(
            c,
            "/api/v1/sales",
            json!({"idempotency_key": "e2e-1", "cash_box": cash_box, "lines": [{"product": s.milk, "qty": "3"}],
                   "payments": [{"method": "cash", "amount": "306"}]}),
        )
        .await;
    assert_eq!((st, sale["total"].as_str()), (StatusCode::CREATED, Some("306.00")), "{sale}");

    // Half the purchase paid from the cash box; one line partly returned.
    let (st, pay) = t
        .post(
            c,
            &format!("/api/v1/suppliers/{sup}/payments"),
            json!({"idempotency_key": "e2e-pay", "amount": "400", "account": format!("box:{cash_box}")}),
        )
        .await;
    assert!(st.is_success(), "{st}: {pay}");
    let (st, r) = t.post(c, &format!("/api/v1/purchases/{purchase}/returns"), json!({"lines": [{"line": 0, "qty": "2"}]})).await;
    assert_eq!((st, r["amount"].as_str()), (StatusCode::CREATED, Some("160.00")), "{r}");
    let (_, card) = t.get(c, &format!("/api/v1/suppliers/{sup}")).await;
    assert_eq!(card["balance"].as_str(), Some("240.00"), "800 − 400 − 160: {card}");
    let (st, act) = t.get(c, &format!("/api/v1/suppliers/{sup}/act")).await;
    assert_eq!(st, StatusCode::OK, "{act}");
    assert_eq!(act["closing"].as_str(), Some("240.00"), "the act closes on the payable: {act}");
    let resp = t.http.get(t.url(&format!("/api/v1/suppliers/{sup}/act.pdf"))).bearer_auth(&c.token).send().await?;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await?.starts_with(b"%PDF"), "the act as a PDF");

    // In the browser: rent from the cash box on the money pages.
    b.goto(&format!("{}/login", t.base)).await?;
    wait_for(b, "main[data-page=login]").await?;
    fill(b, "#f-email", "owner@money-e2e.kg").await?;
    fill(b, "#f-password", "password-123").await?;
    click(b, "main button[type=submit]").await?;
    wait_for(b, "main[data-page=dashboard]").await?;
    b.goto(&format!("{}/money/docs/new", t.base)).await?;
    wait_for(b, "main[data-page=money-doc-form] #doc-form").await?;
    b.find(Locator::Css("#f-kind")).await?.select_by_value("expense").await?;
    b.find(Locator::Css("#f-account")).await?.select_by_value(&format!("box:{cash_box}")).await?;
    b.find(Locator::Css("#f-category")).await?.select_by_value("rent").await?;
    fill(b, "#f-amount", "30").await?;
    fill(b, "#f-memo", "Аренда за март").await?;
    click(b, "#doc-save").await?;
    // The owner's document is approved at once (the company does not ask for approval).
    wait_xpath(b, "//main[@data-page='money-docs']//tr[@data-status='approved']").await?;

    // The finance tab: gross profit 306 − 240 = 66, rent 30, net profit 36.
    let day = t.app.now().date_local("Asia/Bishkek");
    b.goto(&format!("{}/analytics/finance?from={day}&to={day}", t.base)).await?;
    let gross = wait_for(b, "main[data-page=analytics-finance] #fig-gross-profit .tile-value").await?.text().await?;
    assert_eq!(gross, "66,00");
    assert_eq!(b.find(Locator::Css("#fig-operating-expense .tile-value")).await?.text().await?, "30,00");
    assert_eq!(b.find(Locator::Css("#fig-net-profit .tile-value")).await?.text().await?, "36,00");
    assert_eq!(b.find(Locator::Css("#fig-supplier-payments .tile-value")).await?.text().await?, "400,00");
    let rent = b.find(Locator::Css("#expenses tbody tr:first-child")).await?.text().await?;
    assert!(rent.contains("Аренда") && rent.contains("30,00"), "{rent}");
    assert_eq!(b.find_all(Locator::Css("#chart-months rect.chart-bar")).await?.len(), 1, "a bar per month");
    // At a phone's width nothing scrolls sideways.
    b.set_window_size(390, 844).await?;
    b.refresh().await?;
    wait_for(b, "main[data-page=analytics-finance] #chart-months").await?;
    let fits = b
        .execute(
            "const r = document.getElementById('chart-months').getBoundingClientRect(); \
             return r.width > 200 && r.right <= window.innerWidth && document.documentElement.scrollWidth <= window.innerWidth;",
            vec![],
        )
        .await?;
    assert_eq!(fits, json!(true), "the finance tab fits a 390px screen");
    screenshot(b, "finance-tab-phone").await?;
    t.assert_consistent();
    Ok(())
}
