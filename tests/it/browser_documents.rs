//! The reconciliation statement as a person gets it (headless Chromium, see `browser.rs`): the
//! owner opens a client card with a few debts and downloads the statement PDF from the card's
//! form with the browser's own session; the PDF carries the company header and every row.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, fill, run, wait_for, wait_xpath};
use crate::common::TestApp;
use crate::documents::{first_page_png, pdf_lines};

#[tokio::test]
async fn a_statement_pdf_downloaded_from_a_client_card_has_the_header_and_all_rows() {
    run("documents", flow).await;
}

async fn flow(c: &Client, t: &TestApp) -> R {
    t.company("Нур", "docs@shop.kg", "password-123").await;
    let api = t.login("docs@shop.kg", "password-123").await;
    let legal = json!({"inn": "01234567891234", "okpo": "12345678", "address": "Ош, ул. Ленина 1"});
    t.put(
        &api,
        "/api/v1/company",
        json!({"name": "Нур Маркет ОсОО", "timezone": "Asia/Bishkek", "phones": ["0555 111 222"], "legal": legal}),
    )
    .await;
    let (_, cl) = t.post(&api, "/api/v1/clients", json!({"name": "Айгүл Ташиева"})).await;
    let client = cl["client"]["id"].as_u64().ok_or("client id")?;
    for (amount, note) in [("1500", "накладная 1"), ("240.50", "накладная 2"), ("99.90", "Өрүк, 2 кг")] {
        t.post(&api, &format!("/api/v1/clients/{client}/debts"), json!({"amount": amount, "due": "2027-01-31", "note": note})).await;
    }

    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "docs@shop.kg").await?;
    fill(c, "#f-password", "password-123").await?;
    c.find(Locator::Css("main button[type=submit]")).await?.click().await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    c.goto(&format!("{}/clients/{client}", t.base)).await?;
    wait_for(c, "main[data-page=client] #statement-pdf").await?;
    wait_xpath(c, "//main//*[contains(text(), 'Айгүл Ташиева')]").await?;

    // What the PDF button submits: the form's action with its (default, empty) period, fetched
    // with the browser's session cookie, as the browser's download would be.
    let form = c.find(Locator::Css("#statement-form")).await?;
    let action = form.attr("action").await?.ok_or("form action")?;
    let mut query = Vec::new();
    for input in form.find_all(Locator::Css("input[name]")).await? {
        let name = input.attr("name").await?.unwrap_or_default();
        let value = input.prop("value").await?.unwrap_or_default();
        query.push((name, value));
    }
    let cookies = c.get_all_cookies().await?;
    let cookie = cookies.iter().map(|k| format!("{}={}", k.name(), k.value())).collect::<Vec<_>>().join("; ");
    let url = format!("{}?{}", t.url(&action), serde_urlencoded::to_string(&query)?);
    let resp = t.http.get(url).header("cookie", cookie).send().await?;
    assert_eq!(resp.status().as_u16(), 200);
    let disposition = resp.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(disposition.starts_with("attachment; filename=\"akt-sverki-"), "{disposition}");
    let pdf = resp.bytes().await?;
    let pages = pdf_lines(&pdf);
    assert_eq!(pages.len(), 1, "{pages:#?}");
    let lines = &pages[0];
    let today = lines.iter().find_map(|l| l.strip_suffix(" Сальдо на конец периода 1\u{a0}840,40")).ok_or("closing row")?.to_string();
    for expected in [
        "Нур Маркет ОсОО",
        "ИНН 01234567891234, ОКПО 12345678",
        "Ош, ул. Ленина 1",
        "Тел.: +996555111222",
        "АКТ СВЕРКИ ВЗАИМНЫХ РАСЧЁТОВ",
        "между Нур Маркет ОсОО и Айгүл Ташиева",
        "Дата Документ Дебет Кредит",
        &format!("{today} Долг: накладная 1 1\u{a0}500,00"),
        &format!("{today} Долг: накладная 2 240,50"),
        &format!("{today} Долг: Өрүк, 2 кг 99,90"),
        "Обороты за период 1\u{a0}840,40",
        "Страница 1 из 1",
    ] {
        assert!(lines.iter().any(|l| l == expected), "{expected:?} missing from {lines:#?}");
    }
    if let Some(page) = first_page_png(&pdf) {
        assert!(page.pixels().any(|p| p.0[0] < 128), "the statement page renders with ink on it");
    }
    Ok(())
}
