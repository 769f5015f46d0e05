//! Documents from templates in a real browser (issue 17): from a deal the owner makes a
//! commercial offer from the built-in template, sees it listed on the deal page and on the
//! client card, and downloads it with the browser's session: a PDF with the offer's number.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, click, fill, run, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;
use crate::documents::pdf_lines;

#[tokio::test]
async fn a_commercial_offer_made_from_a_deal_is_listed_and_downloads_as_a_pdf() {
    run("crm-documents", flow).await;
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let o = crate::crm::owner(t, "owner@offer-browser.kg").await;
    let client = crate::crm::client(t, &o, "Айгүл Ташиева").await;
    let (_, p) = t.post(&o, "/api/v1/products", json!({"name": "Кондиционер", "price": "25000"})).await;
    let d = crate::crm::deal(t, &o, json!({"title": "Кондиционеры", "client": client, "lines": [{"product": p["id"], "qty": "2"}]})).await;
    let deal = d["id"].as_u64().ok_or("deal id")?;
    let year = t.app.now().date_local("Asia/Bishkek")[..4].to_string();
    let number = format!("КП-{year}-0001");

    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@offer-browser.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    c.goto(&format!("{}/crm/deals/{deal}", t.base)).await?;
    wait_for(c, "main[data-page=crm-deal] #deal-document-form").await?;
    c.find(Locator::Css("#d-template")).await?.select_by_value("offer.ru").await?;
    click(c, "#deal-document-create").await?;
    // The page after the post: its flash and the new document's link.
    wait_xpath(c, &format!("//ul[@id='deal-documents']//a[@class='doc-link' and text()='{number}']")).await?;
    screenshot(c, "crm-documents-deal").await?;

    c.goto(&format!("{}/clients/{client}", t.base)).await?;
    let link = wait_xpath(c, &format!("//ul[@id='client-documents']//a[@class='doc-link' and text()='{number}']")).await?;
    let href = link.attr("href").await?.ok_or("link href")?;

    // The download, fetched with the browser's session cookie as the browser's own would be.
    let cookies = c.get_all_cookies().await?;
    let cookie = cookies.iter().map(|k| format!("{}={}", k.name(), k.value())).collect::<Vec<_>>().join("; ");
    let resp = t.http.get(t.url(&href)).header("cookie", cookie).send().await?;
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let disposition = resp.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert_eq!(disposition, format!("attachment; filename=\"offer-{year}-0001.pdf\""));
    let pdf = resp.bytes().await?;
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    let lines = pdf_lines(&pdf).concat();
    assert!(lines.iter().any(|l| *l == format!("Коммерческое предложение № {number}")), "{lines:#?}");
    assert!(lines.iter().any(|l| l == "Для: Айгүл Ташиева"), "{lines:#?}");
    t.assert_consistent();
    Ok(())
}
