//! The printer page in a real browser (headless Chromium, see `browser.rs`): the owner adds a
//! network printer pointed at the fake TCP printer, assigns it to a cash box, prints the test
//! page and sees it arrive and the status turn to "ready".

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, click, fill, nav_labels, run, wait_for, wait_xpath};
use crate::common::TestApp;
use crate::printing::fake_tcp;

#[tokio::test]
async fn add_a_printer_and_print_the_test_page_in_a_real_browser() {
    run("printers", printer_flow).await;
}

async fn printer_flow(c: &Client, t: &TestApp) -> R {
    t.company("Ош Базар", "owner@osh.kg", "owner-pass-1").await;
    let api = t.login("owner@osh.kg", "owner-pass-1").await;
    let (_, w) = t.post(&api, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let (_, cb) = t.post(&api, "/api/v1/cash-boxes", json!({"name": "Касса у входа", "warehouse": w["id"]})).await;
    let mut fake = fake_tcp().await;

    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@osh.kg").await?;
    fill(c, "#f-password", "owner-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    assert!(nav_labels(c).await?.iter().any(|l| l == "Принтеры"), "the printers page is in the menu");
    click(c, "#nav a[href='/printers']").await?;
    wait_for(c, "#printer-create").await?;

    // A wrong device path is refused beside the field.
    fill(c, "#printer-create #f-name", "Чековый у кассы").await?;
    c.find(Locator::Css("#printer-create #f-transport option[value=usb]")).await?.click().await?;
    fill(c, "#printer-create #f-address", "/etc/passwd").await?;
    click(c, "#printer-create button[type=submit]").await?;
    wait_for(c, "#printer-create #e-address").await?;

    c.find(Locator::Css("#printer-create #f-transport option[value=tcp]")).await?.click().await?;
    fill(c, "#printer-create #f-address", &format!("127.0.0.1:{}", fake.port)).await?;
    c.find(Locator::Css("#printer-create #f-code_page option[value=kz1048]")).await?.click().await?;
    click(c, &format!("#printer-create input[name=cash_boxes][value='{}']", cb["id"])).await?;
    click(c, "#printer-create button[type=submit]").await?;
    wait_for(c, "main[data-page=printer] #printer-test").await?;
    click(c, "#printer-test button").await?;
    // The page before the post already has a `#queue td` ("queue empty"): wait for the job's
    // own row, or the element found may belong to the page being replaced.
    wait_xpath(c, "//table[@id='queue']//td[contains(text(), 'Тестовая страница')]").await?;

    assert!(dukan::workers::print_once(t.app.clone()).await?);
    let text = dukan::printing::escpos::text_of(&fake.next().await);
    assert!(text.contains("Чековый у кассы") && text.contains("ESC t 53: KZ-1048"), "{text}");

    c.refresh().await?;
    let status = wait_for(c, "#printer-status").await?;
    assert_eq!(status.attr("data-status").await?.as_deref(), Some("ready"));
    assert_eq!(c.find(Locator::Css("#printed")).await?.text().await?, "1");
    let listed = {
        click(c, "#nav a[href='/printers']").await?;
        wait_for(c, "#printers td.printer-status").await?.text().await?
    };
    assert_eq!(listed, "готов");
    Ok(())
}
