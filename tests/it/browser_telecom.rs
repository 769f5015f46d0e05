//! The telecom desk in a real browser (headless Chromium, see `browser.rs`): a new subscriber
//! whose phone another already has shows the duplicate warning; a contract is activated with
//! a free SIM; a payment is taken; billing runs for a date a month later; the balance shows
//! the fee taken.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, click, fill, run, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;
use crate::telecom::{desk, iccid, person};

#[tokio::test]
async fn a_subscriber_gets_a_contract_pays_and_is_billed_in_a_real_browser() {
    run("telecom", flow).await;
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let d = desk(t, "desk@telecom.kg").await;
    person(t, &d.c, "Бекова", "9000001", "0555 900 900").await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "desk@telecom.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    // A new subscriber with a phone already on file: saved, with the warning on the card.
    c.goto(&format!("{}/telecom/subscribers", t.base)).await?;
    wait_for(c, "main[data-page=telecom-subscribers] #subscriber-form").await?;
    fill(c, "#f-last_name", "Усенов").await?;
    fill(c, "#f-first_name", "Марат").await?;
    fill(c, "#f-doc_series", "AN").await?;
    fill(c, "#f-doc_number", "9000002").await?;
    fill(c, "#f-phone", "0555 900 900").await?;
    click(c, "#create-subscriber").await?;
    wait_for(c, "main[data-page=telecom-subscriber] #duplicate-warning").await?;
    let warning = c.find(Locator::Css("#duplicate-warning")).await?.text().await?;
    assert!(warning.contains("Бекова Айбек"), "{warning}");
    screenshot(c, "telecom-duplicate").await?;

    // A contract with a free SIM, activated at once.
    c.find(Locator::Css("#f-tariff")).await?.select_by_value(&d.tariff.to_string()).await?;
    c.find(Locator::Css("#f-sim")).await?.select_by_value(&d.sims[0].to_string()).await?;
    click(c, "#create-contract").await?;
    wait_for(c, "main[data-page=telecom-contract] #contract-status").await?;
    assert_eq!(c.find(Locator::Css("#contract-status")).await?.text().await?, "Действует");
    let sim = c.find(Locator::Css("#contract-sim")).await?.text().await?;
    assert!(sim.contains(&iccid(1)), "{sim}");
    let url = c.current_url().await?;

    // A payment of 500.
    fill(c, "#pay-form #f-amount", "500").await?;
    click(c, "#take-payment").await?;
    wait_xpath(c, "//dd[@id='contract-balance' and text()='500,00']").await?;

    // A month later: billing for 1 April charges the fee once; running it again charges nothing.
    t.clock.advance_ms(31 * 86_400_000);
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "desk@telecom.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    c.goto(&format!("{}/telecom/billing", t.base)).await?;
    wait_for(c, "main[data-page=telecom-billing] #billing-form").await?;
    // The form offers today, 1 April.
    let date = c.find(Locator::Css("#f-date")).await?.prop("value").await?.unwrap_or_default();
    assert_eq!(date, "2026-04-01");
    click(c, "#run-billing").await?;
    wait_xpath(c, "//strong[@id='billed-charges' and text()='1']").await?;
    click(c, "#run-billing").await?;
    wait_xpath(c, "//strong[@id='billed-charges' and text()='0']").await?;
    screenshot(c, "telecom-billing").await?;
    c.goto(url.as_str()).await?;
    wait_xpath(c, "//dd[@id='contract-balance' and text()='200,00']").await?;
    screenshot(c, "telecom-contract").await?;
    // On a 390 px phone every desk page fits without sideways scrolling.
    c.set_window_size(390, 844).await?;
    let pages = [
        (format!("{}/telecom/subscribers", t.base), "telecom-subscribers"),
        (url.to_string(), "telecom-contract"),
        (format!("{}/telecom/sims", t.base), "telecom-sims"),
        (format!("{}/telecom/billing", t.base), "telecom-billing"),
    ];
    for (page, id) in pages {
        c.goto(&page).await?;
        wait_for(c, &format!("main[data-page={id}]")).await?;
        let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await?;
        assert!(v[0].as_i64() <= v[1].as_i64(), "{page} is wider than the screen: {v}");
    }
    let owner = t.login("desk@telecom.kg", "password-123").await;
    let (_, contracts) = t.get(&owner, "/api/v1/telecom/contracts?status=active").await;
    assert_eq!(contracts[0]["balance"], json!("200.00"), "{contracts}");
    t.assert_consistent();
    Ok(())
}
