//! The till in a real browser (headless Chromium, see `browser.rs`): the owner opens a shift
//! with counted cash, finds an item by part of its name and taps it, types a barcode into the
//! scan box, then "scans" a weighed-goods label
//! the way a USB scanner does (keystrokes on the page, Enter at the end), pays part by card
//! and part in cash, reads the change on the receipt preview, returns one line for cash and
//! closes the shift, reading the Z report: expected cash equals the counted cash.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};

use crate::browser::{R, click, fill, run, type_ahead, wait_for, wait_xpath};
use crate::browser_stock::drain;
use crate::common::TestApp;
use crate::pos::{stocked_box, weighed};

#[tokio::test]
async fn open_scan_pay_mixed_return_and_close_in_a_real_browser() {
    run("pos", till_flow).await;
}

/// Types `text` then Enter as a keyboard-wedge scanner does, with the focus on no field.
async fn scanner(c: &Client, text: &str) -> R {
    c.execute("document.activeElement && document.activeElement.blur()", vec![]).await?;
    let mut keys = KeyActions::new("scanner".into());
    for ch in text.chars().chain([char::from(Key::Enter)]) {
        keys = keys.then(KeyAction::Down { value: ch }).then(KeyAction::Up { value: ch });
    }
    c.perform_actions(keys).await?;
    Ok(())
}

/// The element's text; amounts group thousands with a no-break space, read here as a space.
async fn text_of(c: &Client, css: &str) -> R<String> {
    Ok(wait_for(c, css).await?.text().await?.replace('\u{a0}', " "))
}

async fn till_flow(c: &Client, t: &TestApp) -> R {
    stocked_box(t, "till@shop.kg").await;
    drain(t).await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "till@shop.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;

    // Open the shift with 1000 counted in the drawer.
    click(c, "#nav a[href='/pos']").await?;
    wait_for(c, "#open-shift-form").await?;
    fill(c, "#open-shift-form #f-opening_cash", "1000").await?;
    click(c, "#open-shift-form button[type=submit]").await?;
    wait_for(c, "#scan-form").await?;

    // Milk found by typing part of its name and tapped; then its barcode typed into the scan
    // box (the line becomes 2); 1.250 kg of cheese from a scale label scanned with the focus
    // anywhere on the page.
    // Hits for part of the name may show, then be replaced: tap one for the whole text.
    type_ahead(c, "#find", "молок").await?;
    wait_for(c, "#hits .pos-hit").await?.click().await?;
    wait_xpath(c, "//table[@id='cart']//div[contains(., 'Молоко')]").await?;
    fill(c, "#scan", "4600682000358").await?;
    click(c, "#scan-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='cart']//tr[td[contains(., 'Молоко')] and td[.='204,00']]").await?;
    scanner(c, &weighed(15, 1250)).await?;
    wait_xpath(c, "//table[@id='cart']//div[contains(., 'Сыр Гауда')]").await?;
    assert_eq!(text_of(c, "#total").await?, "1 204,00", "2 × 102 + 1.250 kg × 800");

    // Mixed payment: 600 by card, 1000 in cash → 396 change.
    fill(c, "#pay-form #f-pay_card", "600").await?;
    fill(c, "#pay-form #f-pay_cash", "1000").await?;
    click(c, "#checkout").await?;
    wait_for(c, "main[data-page=sale] #receipt").await?;
    assert_eq!(text_of(c, "#receipt-total").await?, "1 204,00");
    assert_eq!(text_of(c, "#change").await?, "396,00");
    let receipt = text_of(c, "#receipt").await?;
    assert!(receipt.contains("Молоко") && receipt.contains("1.250"), "the preview lists both lines: {receipt}");

    // Return the milk for cash.
    fill(c, "#return-form #f-qty_0", "1").await?;
    c.find(Locator::Css("#return-form #f-method")).await?.select_by_value("cash").await?;
    fill(c, "#return-form #f-reason", "Брак").await?;
    click(c, "#return-form button[type=submit]").await?;
    let returns = text_of(c, "#returns").await?;
    assert!(returns.contains("102,00"), "the return is listed: {returns}");

    // Close the shift: 1000 + 1000 − 396 − 102 = 1502 expected, 1502 counted.
    click(c, "#nav a[href='/pos']").await?;
    wait_for(c, "#shift-link").await?.click().await?;
    wait_for(c, "#close-form").await?;
    assert_eq!(text_of(c, "#expected").await?, "1 502,00");
    fill(c, "#close-form #f-closing_cash", "1502").await?;
    click(c, "#close-form button[type=submit]").await?;
    wait_for(c, "#difference").await?;
    let heading = wait_xpath(c, "//h2[contains(., 'Z-отчёт')]").await?.text().await?;
    assert_eq!(heading, "Z-отчёт");
    assert_eq!(text_of(c, "#difference").await?, "0,00");
    Ok(())
}
