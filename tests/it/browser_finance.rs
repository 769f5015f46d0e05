//! Money in a real browser (headless Chromium, see `browser.rs`): the company asks for approval
//! of every money document; the owner records rent as an expense from the bank account, it
//! waits, is approved from the documents list with its checkbox, and the account's balance on
//! the accounts page drops by the rent.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, click, fill, run, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;

#[tokio::test]
async fn rent_is_recorded_approved_and_leaves_the_account_in_a_real_browser() {
    run("finance", flow).await;
}

async fn flow(c: &Client, t: &TestApp) -> R {
    t.company("Деньги", "owner@money.kg", "password-123").await;
    let o = t.login("owner@money.kg", "password-123").await;
    let (_, b) = t.post(&o, "/api/v1/finance/bank-accounts", json!({"name": "Оптима"})).await;
    let bank = format!("bank:{}", b["id"]);
    let (_, d) = t
        .post(
            &o,
            "/api/v1/finance/docs",
            json!({"kind": "income", "account": bank, "amount": "10000", "category": "other", "idempotency_key": "seed"}),
        )
        .await;
    assert_eq!(d["status"], "approved", "{d}");
    t.put(&o, "/api/v1/finance/settings", json!({"require_approval": true})).await;

    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@money.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    c.goto(&format!("{}/money/docs/new", t.base)).await?;
    wait_for(c, "main[data-page=money-doc-form] #doc-form").await?;
    c.find(Locator::Css("#f-kind")).await?.select_by_value("expense").await?;
    c.find(Locator::Css("#f-account")).await?.select_by_value(&bank).await?;
    c.find(Locator::Css("#f-category")).await?.select_by_value("rent").await?;
    fill(c, "#f-amount", "3000").await?;
    fill(c, "#f-memo", "Аренда за декабрь").await?;
    click(c, "#doc-save").await?;
    let row = wait_xpath(c, "//main[@data-page='money-docs']//tr[@data-status='pending']").await?;
    let id = row.attr("data-doc").await?.unwrap_or_default();
    screenshot(c, "finance-pending").await?;
    click(c, &format!("#docs input[value='{id}']")).await?;
    click(c, "#docs-approve").await?;
    wait_xpath(c, &format!("//main[@data-page='money-docs']//tr[@data-doc='{id}' and @data-status='approved']")).await?;

    c.goto(&format!("{}/money", t.base)).await?;
    let cell = wait_for(c, &format!("main[data-page=money-accounts] tr[data-account='{bank}'] .balance")).await?;
    let text = cell.text().await?;
    assert!(text.starts_with("7 000,00") || text.starts_with("7\u{a0}000,00"), "{text}");
    screenshot(c, "finance-accounts").await?;

    // Every money page opens, and none scrolls sideways on a phone.
    c.set_window_size(390, 844).await?;
    for (path, page) in [
        ("/money".to_string(), "money-accounts"),
        (format!("/money/ledger?account={bank}"), "money-ledger"),
        ("/money/docs".to_string(), "money-docs"),
        ("/money/docs/new".to_string(), "money-doc-form"),
        ("/money/categories".to_string(), "money-categories"),
        ("/money/journal?kind=expense".to_string(), "money-journal"),
    ] {
        c.goto(&format!("{}{path}", t.base)).await?;
        wait_for(c, &format!("main[data-page={page}]")).await?;
        let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await?;
        let (scroll, inner) = (v[0].as_i64().unwrap_or(i64::MAX), v[1].as_i64().unwrap_or(0));
        assert!(scroll <= inner, "{path} scrolls sideways at 390 px ({scroll} > {inner})");
    }
    let journal = c.find(Locator::Css("#money-journal")).await?.text().await?;
    assert!(journal.contains("Аренда") || journal.contains("Rent"), "{journal}");
    screenshot(c, "finance-journal-phone").await?;
    Ok(())
}
