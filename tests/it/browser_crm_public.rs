//! The public request form in a real browser on a phone-sized window (issue 17, crm4): the
//! owner switches the form on, a visitor sends a request from `/r/<slug>`, the lead appears
//! on the board, and the owner records the client's review on the client card.

use fantoccini::{Client, Locator};

use crate::browser::{R, click, fill, run, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;

#[tokio::test]
async fn a_public_request_becomes_a_lead_on_the_board_in_a_real_browser() {
    run("crm-public", flow).await;
}

async fn fits(c: &Client, what: &str) -> R {
    let v = c.execute("return [document.documentElement.scrollWidth, window.innerWidth];", vec![]).await?;
    let (scroll, inner) = (v[0].as_i64().unwrap_or(i64::MAX), v[1].as_i64().unwrap_or(0));
    if scroll > inner {
        return Err(format!("{what}: the page scrolls sideways ({scroll} > {inner})").into());
    }
    Ok(())
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let o = crate::crm::owner(t, "owner@form-browser.kg").await;
    let company = o.company_id();
    let slug = dukan::tenancy::query::company_slug(&t.app.db.read()?, dukan::ids::CompanyId(company))?;
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@form-browser.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    // The owner switches the form on.
    c.goto(&format!("{}/crm/request-form", t.base)).await?;
    wait_for(c, "main[data-page=crm-request-form] #request-settings").await?;
    click(c, "#f-enabled").await?;
    click(c, "#request-settings-save").await?;
    wait_for(c, "main[data-page=crm-request-form] #f-enabled:checked").await?;
    fits(c, "the form settings at 390").await?;

    // A visitor fills it in.
    c.goto(&format!("{}/r/{slug}", t.base)).await?;
    wait_for(c, "main[data-page=crm-request] #request-form").await?;
    fits(c, "the public form at 390").await?;
    fill(c, "#f-name", "Нурлан").await?;
    fill(c, "#f-phone", "0555 987 654").await?;
    fill(c, "#f-message", "Сколько стоит доставка в Кант?").await?;
    click(c, "#request-submit").await?;
    wait_for(c, "main[data-page=crm-request] #request-sent").await?;
    screenshot(c, "crm-public-sent").await?;

    // The lead is on the board's first column.
    let st = crate::crm::stages(t, &o).await;
    c.goto(&format!("{}/crm", t.base)).await?;
    wait_for(c, "main[data-page=crm-board] #board").await?;
    wait_xpath(c, &format!("//section[@id='stage-{}']//a[text()='Заявка: Нурлан']", st[0])).await?;
    screenshot(c, "crm-public-board").await?;

    // A review on the client card.
    let (_, deals) = t.get(&o, "/api/v1/crm/deals").await;
    let client = deals[0]["client"].as_u64().ok_or("the lead's client")?;
    c.goto(&format!("{}/clients/{client}", t.base)).await?;
    wait_for(c, "main[data-page=client] #crm-panel #reviews").await?;
    click(c, "#review-new").await?;
    c.find(Locator::Css("#r-rating")).await?.select_by_value("4").await?;
    fill(c, "#r-text", "Вежливо ответили").await?;
    click(c, "#review-save").await?;
    wait_xpath(c, "//ul[@id='review-list']/li[contains(., 'Вежливо ответили')]").await?;
    fits(c, "the client card at 390").await?;
    t.assert_consistent();
    Ok(())
}
