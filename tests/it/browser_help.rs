//! Sign-up and the guide in a real browser (issue 18): a shop registers itself on an open box,
//! lands on its dashboard under the trial banner, signs out and in again, and sees only the
//! modules of its sector's plan; the guide opens from the header's "?". With
//! `DUKAN_SCREENSHOTS=1` a second flow photographs the main pages at 390 px and desktop width
//! into `web/help/img/` for the guide (recompressed, so each stays small).

use fantoccini::{Client, Locator};

use serde_json::json;

use crate::browser::{R, click, fill, run, run_with, wait_for, wait_xpath};
use crate::common::TestApp;

#[tokio::test]
async fn self_registration_trial_banner_and_the_sectors_modules() {
    run_with("signup", |c| c.signup = Some("open".into()), flow).await;
}

async fn flow(c: &Client, t: &TestApp) -> R {
    let _operator = t.first_run("op@box.kg", "operator-pass-1").await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "#signup-link").await?.click().await?;
    wait_for(c, "main[data-page=signup]").await?;
    fill(c, "#f-name", "Связь Плюс").await?;
    click(c, "#f-sector option[value=telecom]").await?;
    fill(c, "#f-owner_name", "Азамат").await?;
    fill(c, "#f-owner_email", "owner@svyaz.kg").await?;
    fill(c, "#f-owner_password", "trial-pass-77").await?;
    fill(c, "#f-owner_password2", "trial-pass-77").await?;
    click(c, "#signup-form button[type=submit]").await?;
    let banner = wait_for(c, "#trial-banner").await?.text().await?;
    assert!(banner.contains("10"), "ten trial days: {banner}");

    // Out and in again: the banner stays, and the navigation holds the telecom plan only.
    click(c, ".user-menu summary").await?;
    click(c, "#logout").await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@svyaz.kg").await?;
    fill(c, "#f-password", "trial-pass-77").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "#trial-banner").await?;
    wait_for(c, "#nav a[href='/telecom/subscribers']").await?;
    for absent in ["/pos", "/products", "/crm"] {
        assert!(c.find(Locator::Css(&format!("#nav a[href='{absent}']"))).await.is_err(), "{absent} is not in the telecom plan");
    }

    // The guide from the header.
    click(c, "#help-link").await?;
    wait_for(c, "#help-toc").await?;
    click(c, "#help-toc a[href='/help/till']").await?;
    wait_xpath(c, "//article[@id='help-body']/h1[.='Касса и смены']").await?;
    Ok(())
}

/// The platform operator opens the operations page from the menu, narrows the recent errors
/// to one line, and finds the diagnostics download.
#[tokio::test]
async fn the_operator_reads_the_operations_page_and_filters_the_errors() {
    run("ops", ops_flow).await;
}

async fn ops_flow(c: &Client, t: &TestApp) -> R {
    let _operator = t.first_run("op@box.kg", "operator-pass-1").await;
    dukan::errlog::record(tracing::Level::ERROR, "dukan::printing", "browser-ops printer at 10.0.0.7 refused");
    dukan::errlog::record(tracing::Level::WARN, "dukan::messaging", "browser-ops Meta answered 429");
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "op@box.kg").await?;
    fill(c, "#f-password", "operator-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    c.goto(&format!("{}/platform", t.base)).await?;
    wait_for(c, "main[data-page=platform]").await?;
    click(c, "#nav a[href='/platform/ops']").await?;
    let version = wait_for(c, "main[data-page=ops] #fact-version").await?.text().await?;
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
    wait_xpath(c, "//table[@id='ops-errors']//td[contains(., 'browser-ops Meta answered 429')]").await?;
    click(c, "#f-level option[value=error]").await?;
    fill(c, "#f-q", "browser-ops").await?;
    click(c, "#error-filters button[type=submit]").await?;
    // The new page is the one whose filter field holds the typed text and lists one line.
    wait_xpath(c, "//main[@data-page='ops']//select[@id='f-level']/option[@value='error' and @selected]").await?;
    wait_xpath(c, "//table[@id='ops-errors']//td[contains(., 'browser-ops printer at 10.0.0.7 refused')]").await?;
    assert!(
        c.find(Locator::XPath("//table[@id='ops-errors']//td[contains(., 'browser-ops Meta answered 429')]")).await.is_err(),
        "the warning is filtered out"
    );
    let href = wait_for(c, "#diagnostics").await?.attr("href").await?;
    assert_eq!(href.as_deref(), Some("/platform/ops/diagnostics"));
    Ok(())
}

#[tokio::test]
async fn screenshots_for_the_guide() {
    if std::env::var("DUKAN_SCREENSHOTS").as_deref() != Ok("1") {
        return;
    }
    run("screenshots", shots).await;
}

/// Re-encodes a screenshot with the best PNG compression, halving a desktop one's size first,
/// and writes it into the guide's images.
fn save(png: &[u8], name: &str, half: bool) -> R {
    let mut img = image::load_from_memory(png)?;
    if half {
        img = img.resize(img.width() / 2, img.height() / 2, image::imageops::FilterType::Triangle);
    }
    let mut out = Vec::new();
    let encoder = image::codecs::png::PngEncoder::new_with_quality(
        &mut out,
        image::codecs::png::CompressionType::Best,
        image::codecs::png::FilterType::Adaptive,
    );
    img.to_rgb8().write_with_encoder(encoder)?;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("web/help/img/{name}.png"));
    std::fs::write(path, out)?;
    Ok(())
}

async fn shots(c: &Client, t: &TestApp) -> R {
    let (s, _cash_box, _cheese) = crate::pos::stocked_box(t, "guide@shop.kg").await;
    let _ = t.post(&s.c, "/api/v1/clients", json!({"name": "Иванов Иван", "phone": "0555 123 456"})).await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "guide@shop.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    for (path, name, mobile) in [
        ("/", "dashboard", false),
        ("/products", "products", false),
        ("/documents", "documents", false),
        ("/clients", "clients", false),
        ("/scales", "scales", false),
        ("/pos", "pos", true),
    ] {
        let (w, h) = if mobile { (390, 844) } else { (1280, 800) };
        c.set_window_size(w, h).await?;
        c.goto(&format!("{}{path}", t.base)).await?;
        wait_for(c, "main[data-page]").await?;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let kind = if mobile { "mobile" } else { "desktop" };
        save(&c.screenshot().await?, &format!("{name}-{kind}"), !mobile)?;
    }
    Ok(())
}
