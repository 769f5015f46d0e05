//! Issue 17's whole CRM flow in one real browser run: a visitor's request on the company's
//! public form becomes a lead on the board; the owner drags it across the stages, adds a task
//! on the deal page and completes it, makes a commercial offer PDF from the deal, wins the deal
//! by dragging it onto the won column, and the dashboard's "deals won" tile counts it.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, click, fill, mark_page, run, screenshot, wait_for, wait_new_page, wait_xpath};
use crate::common::TestApp;
use crate::documents::pdf_lines;

#[tokio::test]
async fn a_public_request_is_worked_to_a_won_deal_and_the_dashboard_counts_it() {
    run("crm-flow", flow).await;
}

/// The dashboard's won-deals tile: (count, label with the Σ value).
async fn won_tile(c: &Client, t: &TestApp) -> R<(String, String)> {
    c.goto(&format!("{}/", t.base)).await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    let count = wait_for(c, "#crm-won-deals .tile-value").await?.text().await?;
    let label = wait_for(c, "#crm-won-deals .tile-label").await?.text().await?;
    Ok((count.trim().to_string(), label))
}

/// Drags a deal's card onto a stage's column (the board's drop submits the card's move form)
/// and waits for the board the move answers with.
async fn drag(c: &Client, deal: u64, stage: u64, title: &str) -> R {
    mark_page(c).await?;
    c.execute(
        "const card = document.getElementById(arguments[0]);
         const col = document.getElementById(arguments[1]);
         const dt = new DataTransfer();
         card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: dt}));
         col.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: dt}));
         col.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));",
        vec![json!(format!("deal-{deal}")), json!(format!("stage-{stage}"))],
    )
    .await?;
    wait_new_page(c).await?;
    wait_xpath(c, &format!("//section[@id='stage-{stage}']//a[text()='{title}']")).await?;
    Ok(())
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let o = crate::crm::owner(t, "owner@crm-flow.kg").await;
    let slug = dukan::tenancy::query::company_slug(&t.app.db.read()?, dukan::ids::CompanyId(o.company_id()))?;
    let (_, p) = t.post(&o, "/api/v1/products", json!({"name": "Сплит-система", "price": "25000"})).await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@crm-flow.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    let (won_before, _) = won_tile(c, t).await?;
    assert_eq!(won_before, "0", "no deal won yet");

    // The owner switches the request form on; a visitor sends a request.
    c.goto(&format!("{}/crm/request-form", t.base)).await?;
    wait_for(c, "main[data-page=crm-request-form] #request-settings").await?;
    click(c, "#f-enabled").await?;
    click(c, "#request-settings-save").await?;
    wait_for(c, "main[data-page=crm-request-form] #f-enabled:checked").await?;
    c.goto(&format!("{}/r/{slug}", t.base)).await?;
    wait_for(c, "main[data-page=crm-request] #request-form").await?;
    fill(c, "#f-name", "Нурлан").await?;
    fill(c, "#f-phone", "0555 987 654").await?;
    fill(c, "#f-message", "Нужны три кондиционера в офис").await?;
    click(c, "#request-submit").await?;
    wait_for(c, "main[data-page=crm-request] #request-sent").await?;

    // The lead is on the board's first column; drag it across the open stages.
    let title = "Заявка: Нурлан";
    let st = crate::crm::stages(t, &o).await;
    c.goto(&format!("{}/crm", t.base)).await?;
    wait_for(c, "main[data-page=crm-board] #board").await?;
    wait_xpath(c, &format!("//section[@id='stage-{}']//a[text()='{title}']", st[0])).await?;
    let (_, deals) = t.get(&o, "/api/v1/crm/deals").await;
    let deal = deals[0]["id"].as_u64().ok_or("the lead's deal")?;
    let client = deals[0]["client"].as_u64().ok_or("the lead's client")?;
    drag(c, deal, st[1], title).await?;
    drag(c, deal, st[2], title).await?;
    screenshot(c, "crm-flow-board").await?;

    // The deal gets its product line (3 × 25 000), then a task on its page, completed.
    let body = json!({"title": title, "client": client, "lines": [{"product": p["id"], "qty": "3"}]});
    let (s, e) = t.put(&o, &format!("/api/v1/crm/deals/{deal}"), body).await;
    assert!(s.is_success(), "{e}");
    c.goto(&format!("{}/crm/deals/{deal}", t.base)).await?;
    wait_for(c, "main[data-page=crm-deal] #deal-title").await?;
    click(c, "#new-task").await?;
    fill(c, "#t-title", "Выехать на замер").await?;
    c.execute("document.getElementById('t-due').value = '2026-03-01T16:00';", vec![]).await?;
    click(c, "#task-add").await?;
    wait_xpath(c, "//li[contains(@class,'crm-task-pending')]//strong[text()='Выехать на замер']").await?;
    let (_, tasks) = t.get(&o, &format!("/api/v1/crm/deals/{deal}/tasks")).await;
    let task = tasks[0]["id"].as_u64().ok_or("task id")?;
    click(c, &format!("#task-done-{task}")).await?;
    wait_xpath(c, "//li[contains(@class,'crm-task-done')]//strong[text()='Выехать на замер']").await?;

    // A commercial offer from the built-in template, downloaded with the browser's session.
    let year = t.app.now().date_local("Asia/Bishkek")[..4].to_string();
    let number = format!("КП-{year}-0001");
    wait_for(c, "main[data-page=crm-deal] #deal-document-form").await?;
    c.find(Locator::Css("#d-template")).await?.select_by_value("offer.ru").await?;
    click(c, "#deal-document-create").await?;
    let link = wait_xpath(c, &format!("//ul[@id='deal-documents']//a[@class='doc-link' and text()='{number}']")).await?;
    let href = link.attr("href").await?.ok_or("link href")?;
    let cookies = c.get_all_cookies().await?;
    let cookie = cookies.iter().map(|k| format!("{}={}", k.name(), k.value())).collect::<Vec<_>>().join("; ");
    let resp = t.http.get(t.url(&href)).header("cookie", cookie).send().await?;
    assert_eq!(resp.status().as_u16(), 200);
    let pdf = resp.bytes().await?;
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let lines = pdf_lines(&pdf).concat();
    assert!(lines.iter().any(|l| *l == format!("Коммерческое предложение № {number}")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.contains("Сплит-система")), "{lines:#?}");
    screenshot(c, "crm-flow-deal").await?;

    // Won: dragged onto the won column.
    c.goto(&format!("{}/crm", t.base)).await?;
    wait_for(c, "main[data-page=crm-board] #board").await?;
    drag(c, deal, st[3], title).await?;
    let (_, d) = t.get(&o, &format!("/api/v1/crm/deals/{deal}")).await;
    assert_eq!(d["stage"].as_u64(), Some(st[3]), "{d}");

    // The dashboard counts the won deal and its value.
    let (won_after, label) = won_tile(c, t).await?;
    assert_eq!(won_after, "1", "{label}");
    let digits: String = label.chars().filter(char::is_ascii_digit).collect();
    assert!(digits.contains("75000"), "the won value 75 000 in {label:?}");
    screenshot(c, "crm-flow-dashboard").await?;
    t.assert_consistent();
    Ok(())
}
