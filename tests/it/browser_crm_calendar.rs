//! The calendar in a real browser on a phone-sized window (headless Chromium, see
//! `browser.rs`): an event booked on a resource from the week view's form appears in that
//! week; a second one on the same resource at the same time is saved with the conflict
//! warning on its page, and the week marks both; on an exclusive resource the form answers
//! with the refusal instead.

use fantoccini::Client;
use serde_json::json;

use crate::browser::{R, click, fill, run, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;

#[tokio::test]
async fn an_event_with_a_resource_lands_in_the_week_and_a_clash_is_flagged_in_a_real_browser() {
    run("crm-calendar", flow).await;
}

/// Fills the week view's new-event form and sends it (date-time inputs set from script: their
/// typed format depends on the browser's locale).
async fn book(c: &Client, title: &str, start: &str, end: &str, resource: u64) -> R {
    click(c, "#new-event-open").await?;
    wait_for(c, "#e-form #e-title").await?;
    fill(c, "#e-title", title).await?;
    c.execute(
        "document.getElementById('e-start').value = arguments[0]; document.getElementById('e-end').value = arguments[1];
         const r = document.getElementById('e-res-' + arguments[2]); if (!r.checked) { r.click(); }",
        vec![json!(start), json!(end), json!(resource.to_string())],
    )
    .await?;
    click(c, "#e-save").await?;
    Ok(())
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let o = crate::crm::owner(t, "owner@cal-browser.kg").await;
    let chair = crate::crm_calendar::resource(t, &o, "Кресло у окна", "chair", false).await;
    let cabin = crate::crm_calendar::resource(t, &o, "Кабинка", "room", true).await;
    c.set_window_size(390, 844).await?;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@cal-browser.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    // The calendar is in the navigation; its week of March 2nd.
    c.find(fantoccini::Locator::Css("#nav a[href='/crm/calendar']")).await?;
    c.goto(&format!("{}/crm/calendar?view=week&date=2026-03-02", t.base)).await?;
    wait_for(c, "main[data-page=crm-calendar] #day-2026-03-02").await?;

    book(c, "Стрижка Азамата", "2026-03-03T10:00", "2026-03-03T11:00", chair).await?;
    wait_xpath(c, "//div[@id='day-2026-03-03']//span[@class='cal-title' and text()='Стрижка Азамата']").await?;
    let first = c.find(fantoccini::Locator::XPath("//li[contains(., 'Стрижка Азамата')]")).await?.attr("class").await?;
    assert!(!first.unwrap_or_default().contains("cal-conflict"), "alone, no conflict");

    // The same chair half an hour later: saved, and its page warns with the first listed.
    book(c, "Окрашивание", "2026-03-03T10:30", "2026-03-03T12:00", chair).await?;
    let warning = wait_for(c, "main[data-page=crm-cal-event] #conflicts").await?.text().await?;
    assert!(warning.contains("Стрижка Азамата") && warning.contains("Кресло у окна"), "{warning}");
    screenshot(c, "crm-calendar-conflict").await?;

    // Back in the week, both are marked.
    c.goto(&format!("{}/crm/calendar?view=week&date=2026-03-02", t.base)).await?;
    wait_xpath(c, "//div[@id='day-2026-03-03']//li[contains(@class,'cal-conflict')][contains(., 'Окрашивание')]").await?;
    wait_xpath(c, "//div[@id='day-2026-03-03']//li[contains(@class,'cal-conflict')][contains(., 'Стрижка Азамата')]").await?;

    // An exclusive cabin: the second booking is refused on the form, nothing saved.
    book(c, "Массаж", "2026-03-04T15:00", "2026-03-04T16:00", cabin).await?;
    wait_xpath(c, "//div[@id='day-2026-03-04']//span[@class='cal-title' and text()='Массаж']").await?;
    book(c, "Пилинг", "2026-03-04T15:30", "2026-03-04T16:30", cabin).await?;
    let refusal = wait_for(c, "main[data-page=crm-calendar] .form-error").await?.text().await?;
    assert!(refusal.contains("Кабинка"), "{refusal}");
    let (_, v) = t.get(&o, &format!("/api/v1/crm/calendar?view=day&date=2026-03-04&resource={cabin}")).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1), "{v}");
    screenshot(c, "crm-calendar-week").await?;
    Ok(())
}
