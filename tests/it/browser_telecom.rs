//! The telecom desk in a real browser (headless Chromium, see `browser.rs`): a new subscriber
//! whose phone another already has shows the duplicate warning; a contract is activated with
//! a free SIM; a payment is taken; billing runs for a date a month later; the balance shows
//! the fee taken. The contract prints as a PDF; a ticket opened and resolved in one tab
//! appears in, then leaves, the open queue of a second tab without a reload.

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

#[tokio::test]
async fn tickets_update_live_in_a_second_tab_and_the_contract_prints_in_a_real_browser() {
    run("telecom-tickets", tickets_flow).await;
}

async fn tickets_flow(c: &Client, t: &TestApp) -> R {
    let d = desk(t, "tickets@telecom.kg").await;
    let (subscriber, k) = crate::telecom::active_contract(t, &d, "9100001", "0555 910 001", d.sims[0]).await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "tickets@telecom.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    // The contract's print link answers a PDF.
    c.goto(&format!("{}/telecom/contracts/{k}", t.base)).await?;
    wait_for(c, "main[data-page=telecom-contract] #print-contract").await?;
    let href = c.find(Locator::Css("#print-contract")).await?.attr("href").await?.unwrap_or_default();
    let r = t.http.get(t.url(&href)).bearer_auth(&d.c.token).send().await?;
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await?.starts_with(b"%PDF-"), "{href}");

    // Tab one follows the open queue.
    let first = c.window().await?;
    c.goto(&format!("{}/telecom/tickets", t.base)).await?;
    wait_for(c, "main[data-page=telecom-tickets] #ticket-table").await?;

    // Tab two opens a ticket from the subscriber's card …
    let second = c.new_window(true).await?;
    c.switch_to_window(second.handle).await?;
    c.goto(&format!("{}/telecom/subscribers/{subscriber}", t.base)).await?;
    wait_for(c, "main[data-page=telecom-subscriber] #new-ticket").await?;
    click(c, "#new-ticket").await?;
    wait_for(c, "main[data-page=telecom-ticket-new] #ticket-form").await?;
    fill(c, "#f-subject", "Нет связи после замены SIM").await?;
    c.find(Locator::Css("#f-priority")).await?.select_by_value("high").await?;
    click(c, "#create-ticket").await?;
    wait_for(c, "main[data-page=telecom-ticket] #ticket-status[data-status=new]").await?;
    let url = c.current_url().await?;
    let id = url.path().trim_start_matches("/telecom/tickets/").to_string();

    // … and tab one shows it without a reload.
    c.switch_to_window(first.clone()).await?;
    wait_for(c, &format!("#ticket-table tr#ticket-{id}")).await?;
    screenshot(c, "telecom-ticket-queue").await?;

    // Tab two takes and resolves it; it leaves tab one's open queue, again without a reload.
    let tabs = c.windows().await?;
    let other = tabs.into_iter().find(|w| *w != first).expect("the second tab");
    c.switch_to_window(other).await?;
    click(c, "#ticket-take").await?;
    wait_for(c, "main[data-page=telecom-ticket] #ticket-status[data-status=in_progress]").await?;
    fill(c, "#f-resolution", "Перерегистрировали SIM в сети").await?;
    click(c, "#ticket-resolve").await?;
    wait_for(c, "main[data-page=telecom-ticket] #ticket-status[data-status=resolved]").await?;
    let resolution = c.find(Locator::Css("#ticket-resolution")).await?.text().await?;
    assert!(resolution.contains("Перерегистрировали"), "{resolution}");
    screenshot(c, "telecom-ticket").await?;
    c.switch_to_window(first).await?;
    wait_xpath(c, &format!("//table[@id='ticket-table' and not(.//tr[@id='ticket-{id}'])]")).await?;

    // The queue and the card fit a 390 px phone.
    c.set_window_size(390, 844).await?;
    for (page, name) in [(format!("{}/telecom/tickets", t.base), "telecom-tickets"), (url.to_string(), "telecom-ticket")] {
        c.goto(&page).await?;
        wait_for(c, &format!("main[data-page={name}]")).await?;
        let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await?;
        assert!(v[0].as_i64() <= v[1].as_i64(), "{page} is wider than the screen: {v}");
    }
    Ok(())
}
