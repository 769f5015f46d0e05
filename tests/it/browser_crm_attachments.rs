//! Files on the client card and documents from an order in a real browser (issue 17): the
//! owner attaches a scan on the client card and sees it listed with its size, then makes an
//! invoice on the order page with its button and sees it listed there.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, click, fill, run, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;

#[tokio::test]
async fn a_file_is_attached_on_the_card_and_an_invoice_made_on_the_order_page() {
    run("crm-attachments", flow).await;
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let o = crate::crm::owner(t, "owner@attach-browser.kg").await;
    let client = crate::crm::client(t, &o, "Айбек Садыров").await;
    let (_, w) = t.post(&o, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let (_, p) = t.post(&o, "/api/v1/products", json!({"name": "Кондиционер", "price": "25000"})).await;
    let receipt =
        json!({"kind": "receipt", "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "3", "cost": "20000"}], "post": true});
    t.post(&o, "/api/v1/documents", receipt).await;
    let body = json!({"client": client, "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "2"}]});
    let (_, order) = t.post(&o, "/api/v1/crm/orders", body).await;
    let order = order["id"].as_u64().ok_or("order id")?;
    let number = format!("СЧ-{}-0001", &t.app.now().date_local("Asia/Bishkek")[..4]);

    let dir = tempfile::tempdir()?;
    let scan = dir.path().join("Скан договора.pdf");
    std::fs::write(&scan, vec![b'%'; 3000])?;

    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@attach-browser.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    c.goto(&format!("{}/clients/{client}", t.base)).await?;
    wait_for(c, "#attachment-form #a-file").await?;
    c.find(Locator::Css("#a-file")).await?.send_keys(scan.to_str().ok_or("path")?).await?;
    click(c, "#attachment-form button[type=submit]").await?;
    // The card after the post: the file listed with its size.
    let link = wait_xpath(c, "//ul[@id='client-attachments']//a[@class='attachment-link' and text()='Скан договора.pdf']").await?;
    assert!(link.attr("href").await?.is_some_and(|h| h.ends_with("/file")));
    let row = c.find(Locator::XPath("//ul[@id='client-attachments']/li[1]")).await?.text().await?;
    assert!(row.contains("2,9 КБ"), "{row}");
    screenshot(c, "crm-attachments-card").await?;

    c.goto(&format!("{}/crm/orders/{order}", t.base)).await?;
    wait_for(c, "main[data-page=crm-order] #order-document-form").await?;
    c.find(Locator::Css("#o-template")).await?.select_by_value("invoice.ru").await?;
    click(c, "#order-document-create").await?;
    wait_xpath(c, &format!("//ul[@id='order-documents']//a[@class='doc-link' and text()='{number}']")).await?;
    screenshot(c, "crm-attachments-order").await?;
    t.assert_consistent();
    Ok(())
}
