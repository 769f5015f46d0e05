//! Notification rules in a real browser: the owner asks for installment reminders by e-mail
//! on "My notifications", adds a rule on "Notification rules", the scheduler runs, the bell
//! shows the reminder and the SMTP fake (`smtp_fake.rs`) receives the e-mail.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, click, fill, run_with, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;
use crate::smtp_fake::SmtpFake;

#[tokio::test]
async fn a_rule_set_in_the_browser_rings_the_bell_and_sends_the_email() {
    let fake = SmtpFake::start().await;
    let port = fake.port;
    let tweak = move |c: &mut dukan::config::Config| {
        c.smtp.host = "127.0.0.1".into();
        c.smtp.port = port;
        c.smtp.security = "plain".into();
        c.smtp.from = "shop@dukan.test".into();
    };
    run_with("notify", tweak, async move |c: &Client, t: &TestApp| -> R {
        let owner = t.first_run("owner@bell.kg", "password-123").await;
        let (_, cl) = t.post(&owner, "/api/v1/clients", json!({"name": "Бектур"})).await;
        let client = cl["client"]["id"].as_u64().ok_or("client")?;
        let (st, _) = t
            .post(
                &owner,
                &format!("/api/v1/clients/{client}/deals"),
                json!({"kind": "debt", "amount": "1000", "months": 2, "first_due": "2026-03-02"}),
            )
            .await;
        assert!(st.is_success());

        c.goto(&format!("{}/login", t.base)).await?;
        wait_for(c, "main[data-page=login]").await?;
        fill(c, "#f-email", "owner@bell.kg").await?;
        fill(c, "#f-password", "password-123").await?;
        click(c, "main button[type=submit]").await?;
        wait_for(c, "main[data-page=dashboard]").await?;

        // My notifications: installment reminders by e-mail too.
        c.goto(&format!("{}/notify/preferences", t.base)).await?;
        wait_for(c, "main[data-page=notify-prefs] #prefs").await?;
        click(c, "input[name=email_installment_due]").await?;
        click(c, "#prefs button[type=submit]").await?;
        wait_for(c, "main[data-page=notify-prefs] .flash-ok").await?;
        assert!(c.find(Locator::Css("input[name=email_installment_due][checked]")).await.is_ok(), "saved");

        // Notification rules: installment due tomorrow → staff with the clients right.
        click(c, "#nav a[href='/notify/rules']").await?;
        wait_for(c, "main[data-page=notify-rules] #rule-create").await?;
        fill(c, "#rule-create #f-name", "Завтра платёж").await?;
        c.find(Locator::Css("#rule-create #f-trigger")).await?.select_by_value("installment_due").await?;
        c.find(Locator::Css("#rule-create #f-action")).await?.select_by_value("staff").await?;
        c.find(Locator::Css("#rule-create #f-perm")).await?.select_by_value("clients").await?;
        click(c, "#rule-create button[type=submit]").await?;
        wait_xpath(c, "//table[@id='rules']//a[text()='Завтра платёж']").await?;
        screenshot(c, "notify-rules").await?;

        // The scheduler's tick: the bell rings live and the e-mail reaches the SMTP server.
        dukan::workers::rules_once(t.app.clone()).await?;
        wait_xpath(c, "//span[@id='bell-count' and text()='1']").await?;
        crate::mail::pump(t).await;
        let mails = fake.wait_for(1, 20).await;
        assert_eq!(mails[0].to, vec!["owner@bell.kg".to_string()]);
        assert!(mails[0].data.contains("Бектур"), "{}", mails[0].data);
        click(c, "#nav a[href='/notifications']").await?;
        wait_xpath(c, "//main[@data-page='notifications']//*[contains(text(), 'Бектур')]").await?;
        Ok(())
    })
    .await;
}
