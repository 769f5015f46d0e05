//! Field agents in a real browser (headless Chromium, see `browser.rs`): the owner transfers
//! goods on the transfer page, the agent signs in on a 390 px phone screen, accepts both lots,
//! sells across them and sees what is on hand drop, hands one unit back; the owner approves
//! the return; the agent builds a request cart, submits it and sees the promo gift; the owner
//! approves it (the lots it made shown) and reads the sale and its profit on the agents'
//! report — no page scrolls sideways on the phone.

use fantoccini::Client;
use serde_json::json;

use crate::agents::field;
use crate::browser::{R, click, fill, run, wait_for, wait_xpath};
use crate::common::TestApp;

#[tokio::test]
async fn the_owner_transfers_and_the_agent_accepts_and_sells_on_a_phone() {
    run("agents", agents_flow).await;
}

async fn fits(c: &Client, what: &str) -> R {
    let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await?;
    let (scroll, inner) = (v[0].as_i64().unwrap_or(i64::MAX), v[1].as_i64().unwrap_or(0));
    if scroll > inner {
        return Err(format!("{what}: the page scrolls sideways ({scroll} > {inner})").into());
    }
    Ok(())
}

async fn sign_in(c: &Client, t: &TestApp, email: &str, password: &str) -> R {
    c.delete_all_cookies().await?;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", email).await?;
    fill(c, "#f-password", password).await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    Ok(())
}

async fn agents_flow(c: &Client, t: &TestApp) -> R {
    let f = field(t, "owner@browser-agents.kg").await;
    // The owner transfers 3 milk on the page; a second lot of 4 comes through the API.
    sign_in(c, t, "owner@browser-agents.kg", "password-123").await?;
    c.goto(&format!("{}/agents/transfer", t.base)).await?;
    wait_for(c, "main[data-page=agents-transfer] #transfer-form").await?;
    c.find(fantoccini::Locator::Css("#f-agent")).await?.select_by_value(&f.agent_id.to_string()).await?;
    c.find(fantoccini::Locator::Css("#f-warehouse")).await?.select_by_value(&f.s.main.to_string()).await?;
    c.find(fantoccini::Locator::Css("select[name=product_0]")).await?.select_by_value(&f.s.milk.to_string()).await?;
    fill(c, "input[name=qty_0]", "3").await?;
    click(c, "#transfer-form button[type=submit]").await?;
    wait_xpath(c, "//div[@id='flash']//span[contains(., 'Товар передан агенту')]").await?;
    let body = json!({"agent": f.agent_id, "warehouse": f.s.main, "items": [{"product": f.s.milk, "qty": "4"}]});
    let (st, lots) = t.post(&f.s.c, "/api/v1/agents/transfers", body).await;
    assert_eq!(st, reqwest::StatusCode::CREATED, "{lots}");

    // The agent, on a phone, accepts both lots from "goods on hand".
    c.set_window_size(390, 844).await?;
    sign_in(c, t, &format!("agent.{}", "owner@browser-agents.kg"), "password-456").await?;
    for _ in 0..2 {
        c.goto(&format!("{}/agents/goods", t.base)).await?;
        wait_for(c, "main[data-page=agents-goods] .accept-form").await?;
        fits(c, "goods at 390").await?;
        click(c, ".accept-form button[type=submit]").await?;
        wait_xpath(c, "//div[@id='flash']//span[contains(., 'Товар принят')]").await?;
    }
    wait_xpath(c, &format!("//span[@class='on-hand' and @data-product='{}' and .='7']", f.s.milk)).await?;

    // Sells 5: the first lot's 3 and 2 of the second.
    c.goto(&format!("{}/agents/sell", t.base)).await?;
    wait_for(c, "main[data-page=agents-sell] #sell-form").await?;
    fits(c, "sale at 390").await?;
    fill(c, &format!("input[name=qty_{}]", f.s.milk), "5").await?;
    click(c, "#sell-submit").await?;
    wait_xpath(c, "//div[@id='flash']//span[contains(., 'Продажа проведена')]").await?;
    wait_xpath(c, &format!("//td[@class='on-hand' and @data-product='{}' and .='2']", f.s.milk)).await?;
    wait_for(c, "#recent-sales").await?;
    c.goto(&format!("{}/agents/goods", t.base)).await?;
    wait_xpath(c, &format!("//span[@class='on-hand' and @data-product='{}' and .='2']", f.s.milk)).await?;

    // The allocation went FIFO across the two lots.
    let (_, sales) = t.get(&f.agent, "/api/v1/agents/sales").await;
    let allocs: Vec<String> = sales[0]["lines"][0]["allocations"]
        .as_array()
        .map(|a| a.iter().map(|x| x["qty"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_default();
    assert_eq!(allocs, vec!["3".to_string(), "2".to_string()]);

    // The agent hands one unit back from "my goods"; the owner approves it on the returns page.
    c.goto(&format!("{}/agents/goods", t.base)).await?;
    wait_for(c, &format!("#return-{}", f.s.milk)).await?;
    fill(c, &format!("#return-qty-{}", f.s.milk), "1").await?;
    click(c, &format!("#return-{} button[type=submit]", f.s.milk)).await?;
    wait_xpath(c, "//div[@id='flash']//span[contains(., 'Возврат отправлен')]").await?;

    // A promo rule "2 + 1" on milk; the agent builds a request of 2 on the phone and submits it.
    let rule = json!({"name": "2+1", "scope": "product", "target": f.s.milk, "min_qty": 2, "gift_qty": 1});
    let (st, r) = t.post(&f.s.c, "/api/v1/promo-rules", rule).await;
    assert_eq!(st, reqwest::StatusCode::CREATED, "{r}");
    c.goto(&format!("{}/agents/requests", t.base)).await?;
    wait_for(c, "main[data-page=agent-requests] #request-create").await?;
    fits(c, "requests at 390").await?;
    click(c, "#request-create").await?;
    wait_for(c, "main[data-page=agent-request] #item-add").await?;
    c.find(fantoccini::Locator::Css("#item-add #f-product")).await?.select_by_value(&f.s.milk.to_string()).await?;
    fill(c, "#item-add #f-qty", "2").await?;
    click(c, "#item-add-submit").await?;
    wait_xpath(c, "//div[@id='flash']//span[contains(., 'Заявка сохранена')]").await?;
    wait_for(c, &format!("#item-{}", f.s.milk)).await?;
    fits(c, "request cart at 390").await?;
    click(c, "#request-submit-button").await?;
    wait_xpath(c, "//div[@id='flash']//span[contains(., 'Заявка отправлена')]").await?;
    wait_xpath(c, &format!("//tr[@id='item-{}']/td[contains(@class, 'gift') and .='1']", f.s.milk)).await?;
    wait_for(c, "#request-gifts").await?;

    // The owner approves the return, then the request from the main warehouse.
    c.set_window_size(1280, 900).await?;
    sign_in(c, t, "owner@browser-agents.kg", "password-123").await?;
    c.goto(&format!("{}/agents/returns", t.base)).await?;
    wait_for(c, "main[data-page=agents-returns] #returns-list form button.btn-primary").await?;
    click(c, "#returns-list form button.btn-primary").await?;
    wait_xpath(c, "//div[@id='flash']//span[contains(., 'Решение по возврату сохранено')]").await?;
    c.goto(&format!("{}/agents/requests", t.base)).await?;
    let link = wait_for(c, "main[data-page=agent-requests] #request-list a").await?;
    link.click().await?;
    wait_for(c, "main[data-page=agent-request] #request-approve").await?;
    wait_xpath(c, &format!("//tr[@id='item-{}']/td[contains(@class, 'gift') and .='1']", f.s.milk)).await?;
    c.find(fantoccini::Locator::Css("#request-approve #f-warehouse")).await?.select_by_value(&f.s.main.to_string()).await?;
    click(c, "#request-approve-button").await?;
    wait_xpath(c, "//div[@id='flash']//span[contains(., 'Заявка одобрена')]").await?;
    wait_xpath(c, "//p[@id='request-status' and @data-status='approved']").await?;
    wait_xpath(c, &format!("//tr[@id='item-{}']/td[@class='lots' and contains(., '№')]", f.s.milk)).await?;

    // The owner's report shows the one sale and its profit (5 × 102 less the two lots' cost).
    let (_, report) = t.get(&f.s.c, "/api/v1/agents/analytics").await;
    assert_eq!(report["summary"]["amount"].as_str(), Some("510.00"), "{report}");
    let profit = report["summary"]["gross_profit"].as_str().unwrap_or("").split('.').next().unwrap_or("").to_string();
    assert!(!profit.is_empty() && profit != "0", "{report}");
    c.goto(&format!("{}/agents/analytics", t.base)).await?;
    wait_for(c, "main[data-page=agents-analytics] #figures").await?;
    wait_xpath(c, "//div[@id='fig-sales']/span[@class='tile-value' and .='1']").await?;
    wait_xpath(c, &format!("//div[@id='fig-gross-profit']/span[@class='tile-value' and starts-with(., '{profit}')]")).await?;
    wait_for(c, "#chart-agent_days").await?;
    wait_for(c, "#agents-export").await?;
    Ok(())
}
