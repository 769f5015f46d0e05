//! The import page in a real browser (headless Chromium, see `browser.rs`): the owner opens
//! the import from the products list, uploads a CSV with one bad row, reads the problem in
//! the preview, chooses to skip it and confirms, watches the progress bar finish while the
//! import worker runs, and finds the product in the list. Then the same pages over plain
//! HTTP, as without JavaScript: a multipart upload whose `_csrf` is a form field, and the
//! refusals (no token, no file, a file with problems confirmed without skipping).

use fantoccini::{Client, Locator};

use crate::browser::{Plain, R, click, csrf_of, fill, location, run, wait_for, wait_xpath};
use crate::common::TestApp;

const CSV: &str = "Название;Штрихкод;Цена\nЛаваш армянский;4600000000015;35\nБатон;4600000000016;40\n";

/// Runs the import worker's step until it has nothing left to do.
async fn drain(t: &TestApp) {
    for _ in 0..100 {
        if !dukan::workers::import_once(t.app.clone()).await.expect("import step") {
            return;
        }
    }
    panic!("the import worker never became idle");
}

#[tokio::test]
async fn upload_preview_skip_confirm_and_progress_in_a_real_browser() {
    run("import", import_flow).await;
}

async fn import_flow(c: &Client, t: &TestApp) -> R {
    t.company("Нон-Хаус", "owner@non.kg", "owner-pass-1").await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@non.kg").await?;
    fill(c, "#f-password", "owner-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    click(c, "#nav a[href='/products']").await?;
    wait_for(c, "main[data-page=products] #open-import").await?.click().await?;
    wait_for(c, "#import-form").await?;

    let dir = tempfile::tempdir()?;
    let file = dir.path().join("товары.csv");
    std::fs::write(&file, CSV)?;
    c.find(Locator::Css("#f-file")).await?.send_keys(&file.display().to_string()).await?;
    click(c, "#import-upload").await?;
    wait_for(c, "#import-summary").await?;
    assert_eq!(c.find(Locator::Css("#count-errors")).await?.text().await?, "1");
    assert_eq!(c.find(Locator::Css("#count-new")).await?.text().await?, "1");
    let problems = c.find(Locator::Css("#import-problems")).await?.text().await?;
    assert!(problems.contains("4600000000016") && problems.contains("контрольная цифра"), "the bad row's problem: {problems}");
    let sample = c.find(Locator::Css("#import-sample")).await?.text().await?;
    assert!(sample.contains("Лаваш армянский") && sample.contains("Батон"), "{sample}");

    // Confirming without skipping is refused; with the box ticked it starts.
    click(c, "#import-confirm").await?;
    wait_xpath(c, "//*[@id='flash']//*[contains(., 'ошибки')]").await?;
    click(c, "#skip-invalid").await?;
    click(c, "#import-confirm").await?;
    wait_for(c, "#import-progress #import-bar").await?;
    drain(t).await;
    wait_for(c, "#import-result").await?;
    let result = c.find(Locator::Css("#import-result")).await?.text().await?;
    assert!(result.contains("Создано: 1") && result.contains("Пропущено: 1"), "{result}");
    assert_eq!(c.find(Locator::Css("#import-bar")).await?.attr("value").await?.as_deref(), Some("100"));

    click(c, "#import-progress a[href='/products']").await?;
    wait_xpath(c, "//table[@id='product-list']//a[text()='Лаваш армянский']").await?;
    let list = c.find(Locator::Css("#product-list")).await?.text().await?;
    assert!(!list.contains("Батон"), "the skipped row created nothing: {list}");
    Ok(())
}

fn multipart(csrf: Option<&str>, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "dukanImportBoundary7";
    let mut body = Vec::new();
    if let Some(token) = csrf {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{token}\r\n").as_bytes());
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"prices.csv\"\r\nContent-Type: text/csv\r\n\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn import_pages_work_without_javascript() {
    let t = TestApp::spawn().await;
    t.company("Нон-Хаус", "owner@plain.kg", "owner-pass-1").await;
    let p = Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@plain.kg"), ("password", "owner-pass-1"), ("next", "/products")]).await;
    assert_eq!(location(&r), "/products");
    let page = p.get("/products").await.text().await.expect("body");
    assert!(page.contains("href=\"/products/import\"") && page.contains("/products/export?format=xlsx"), "links on the list");
    let csrf = csrf_of(&page);
    let upload = |csrf: Option<String>, file: &'static [u8]| {
        let (content_type, body) = multipart(csrf.as_deref(), file);
        p.http
            .post(format!("{}/products/import", t.base))
            .header("accept", "text/html")
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    assert_eq!(upload(None, CSV.as_bytes()).await.expect("post").status(), 403, "no token, no upload");
    let r = upload(Some(csrf.clone()), b"").await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"e-file\""), "the message beside the file field");
    let r = upload(Some(csrf.clone()), CSV.as_bytes()).await.expect("post");
    assert_eq!(r.status(), 303);
    let preview = location(&r).to_string();
    assert!(preview.starts_with("/products/import/"), "{preview}");
    let page = p.get(&preview).await.text().await.expect("body");
    assert!(page.contains("id=\"import-problems\"") && page.contains("id=\"skip-invalid\""), "problems and the choice to skip them");
    let r = p.post(&format!("{preview}/confirm"), &[("_csrf", &csrf)]).await;
    assert_eq!(r.status(), 409, "a file with problems is not applied whole");
    let r = p.post(&format!("{preview}/confirm"), &[("_csrf", &csrf), ("skip_invalid", "1")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, preview.as_str()));
    let page = p.get(&preview).await.text().await.expect("body");
    assert!(page.contains("hx-trigger=\"every 1s\""), "the progress polls while applying");
    drain(&t).await;
    let part = p.get(&format!("{preview}/progress")).await.text().await.expect("body");
    assert!(part.contains("id=\"import-result\"") && !part.contains("every 1s"), "{part}");
    let r = p.get("/products/export?format=csv").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("body").contains("Лаваш армянский"));
    t.assert_consistent();
}
