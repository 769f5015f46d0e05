//! The till with a scale in a real browser: a simulated MT-SICS scale on a pty is bound to the
//! cash box; its weight reaches the till page live (server-sent events); while it is unstable a
//! scanned weighed product is refused and nothing is added; once stable, scanning the product's
//! PLU adds the line with the weight and its price. And the labels page: a weighed-goods label
//! printed from it reaches a fake TSPL printer, and its barcode, scanned at the till, gives back
//! the same product and weight.

use fantoccini::Client;
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{R, click, fill, run, wait_for, wait_xpath};
use crate::browser_stock::drain;
use crate::common::TestApp;
use crate::pos::stocked_box;
use dukan::scales::proto::{Protocol, State};
use dukan::scales::sim::Sim;

#[tokio::test]
async fn a_stable_weight_is_taken_at_the_till_and_an_unstable_one_is_not() {
    run("scales", flow).await;
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let (s, cash_box, _cheese) = stocked_box(t, "scale@shop.kg").await;
    let sim = Sim::new(Protocol::Sics);
    sim.set(900, State::Unstable);
    let path = sim.serve_pty()?;
    let (st, scale) = t
        .post(&s.c, "/api/v1/scales", json!({"name": "Весы", "link": "serial", "address": path, "protocol": "sics", "cash_box": cash_box}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{scale}");
    drain(t).await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "scale@shop.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    c.goto(&format!("{}/pos?cash_box={cash_box}", t.base)).await?;
    wait_for(c, "#open-shift-form").await?;
    fill(c, "#open-shift-form #f-opening_cash", "0").await?;
    click(c, "#open-shift-form button[type=submit]").await?;
    wait_for(c, "#scan-form").await?;

    // The moving weight shows live; scanning the cheese's PLU now is refused.
    wait_for(c, "#till-scale .scale-state[data-state=unstable]").await?;
    fill(c, "#scan", "15").await?;
    click(c, "#scan-form button[type=submit]").await?;
    wait_xpath(c, "//div[@class='form-error']/p[contains(., 'не успокоился')]").await?;
    assert!(c.find(fantoccini::Locator::XPath("//table[@id='cart']//div[contains(., 'Сыр Гауда')]")).await.is_err(), "nothing added");

    // It settles at 1.250 kg: the page follows without a reload, and the scan takes it.
    sim.set(1250, State::Stable);
    wait_xpath(c, "//div[@id='till-scale']//span[@class='scale-kg' and .='1,250']").await?;
    wait_for(c, "#till-scale .scale-state[data-state=stable]").await?;
    fill(c, "#scan", "15").await?;
    click(c, "#scan-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='cart']//tr[td/div[contains(., 'Сыр Гауда')] and td[contains(., '000,00')]]").await?;
    let qty = wait_for(c, "#cart input[name=qty]").await?.prop("value").await?.unwrap_or_default();
    assert_eq!(qty.replace(",", ".").trim_end_matches("0"), "1.25", "the line's weight");
    Ok(())
}

#[tokio::test]
async fn a_weighed_label_printed_from_the_page_scans_back_at_the_till() {
    run("labels", label_flow).await;
}

async fn label_flow(c: &Client, t: &TestApp) -> R {
    let mut fake = crate::labels::fake_label_printer().await;
    let s = crate::labels::shop(t, "Фрукты", "labels@shop.kg", fake.port).await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "labels@shop.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    c.goto(&format!("{}/labels", t.base)).await?;
    wait_for(c, "#labels-weighed").await?;
    assert!(c.find(fantoccini::Locator::Css("#labels-barcode")).await.is_err(), "no barcode before a print");
    fill(c, "#labels-weighed #f-weight", "1.234").await?;
    fill(c, "#labels-weighed #f-shelf_life_days", "3").await?;
    click(c, "#labels-weighed button[type=submit]").await?;
    // The answer is the page again, now naming the label's barcode.
    let barcode = wait_for(c, "#labels-barcode code").await?.text().await?;
    assert_eq!(barcode.len(), 13, "an EAN-13: {barcode}");
    assert!(crate::labels::print(t).await);
    let bytes = fake.next().await;
    assert_eq!(dukan::printing::tspl::barcodes(&bytes), vec![barcode.clone()], "the printed barcode is the one shown");
    let (st, v) = t.post(&s.owner, "/api/v1/pos/cart/scan", json!({"cash_box": s.cash_box, "code": barcode})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["product"].as_u64(), v["qty"].as_str()), (Some(s.weighed), Some("1.234")), "{v}");
    Ok(())
}
