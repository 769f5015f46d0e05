//! Clients in a real browser (headless Chromium, see `browser.rs`): at the till the cashier
//! quick-creates a client, sells on credit, then takes part of the debt in cash on the client
//! card (it lands in the open shift) and reads the reconciliation statement.

use fantoccini::{Client, Locator};

use crate::browser::{R, click, fill, run, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;
use crate::pos::till;

#[tokio::test]
async fn a_sale_on_credit_is_repaid_and_reconciled_in_a_real_browser() {
    run("clients", flow).await;
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let k = till(t, "till@clients.kg").await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "till@clients.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    // The till: scan milk, quick-create the client, sell on credit.
    c.goto(&format!("{}/pos?cash_box={}", t.base, k.cash_box)).await?;
    wait_for(c, "#scan-form").await?;
    fill(c, "#scan", "4600682000358").await?;
    click(c, "#scan-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='cart']//*[contains(text(), 'Молоко')]").await?;
    click(c, "#pos-client details summary").await?;
    fill(c, "#client-quick #f-client_name", "Айбек Садыров").await?;
    fill(c, "#client-quick #f-client_phone", "0555 777 888").await?;
    click(c, "#client-quick button[type=submit]").await?;
    wait_xpath(c, "//a[@id='cart-client' and text()='Айбек Садыров']").await?;
    screenshot(c, "clients-till").await?;
    fill(c, "#f-pay_debt", "102").await?;
    click(c, "#checkout").await?;
    wait_for(c, "main[data-page=sale]").await?;

    // The client card: 102 owed; 50 taken in cash into the open shift.
    c.goto(&format!("{}/clients?q=айбек", t.base)).await?;
    wait_xpath(c, "//table[@id='client-list']//a[text()='Айбек Садыров']").await?.click().await?;
    wait_for(c, "main[data-page=client] #balance").await?;
    assert_eq!(c.find(Locator::Css("#balance")).await?.text().await?, "102,00");
    let phone_line = c.find(Locator::Css("main p.muted")).await?.text().await?;
    assert!(phone_line.contains("+996555777888"), "{phone_line}");
    fill(c, "#debt-pay-form #f-amount", "50").await?;
    click(c, "#debt-pay").await?;
    wait_xpath(c, "//span[@id='balance' and text()='52,00']").await?;
    screenshot(c, "clients-card").await?;
    let (_, shift) = t.get(&k.s.c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!(shift["debt_cash"], "50.00", "{shift}");

    // The statement, as the browser downloads it (JSON here; the PDF link sits beside it).
    let href = c.find(Locator::Css("#statement-json")).await?.attr("href").await?.unwrap_or_default();
    c.goto(&format!("{}{href}", t.base)).await?;
    let body = c.find(Locator::Css("body")).await?.text().await?;
    let s: serde_json::Value = serde_json::from_str(&body)?;
    assert_eq!((s["debit"].as_str(), s["credit"].as_str(), s["closing"].as_str()), (Some("102.00"), Some("50.00"), Some("52.00")), "{s}");
    c.goto(&format!("{}/debtors", t.base)).await?;
    wait_xpath(c, "//table[@id='debtors']//a[text()='Айбек Садыров']").await?;
    Ok(())
}
