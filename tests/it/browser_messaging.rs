//! The inbox in a real browser against the fake Meta (`messaging.rs`): a message the fake
//! posts appears live in the open conversation, the agent replies and the fake receives the
//! Cloud API call, a delivery status shows up live; after 24 hours the composer is gone and
//! only a template can be sent.

use fantoccini::{Client, Locator};
use serde_json::json;

use crate::browser::{R, click, fill, run_with, screenshot, wait_for, wait_xpath};
use crate::common::TestApp;
use crate::messaging::{TOKEN, accepted, channel, deliver, drain, fake_meta, status_body, text_body};

#[tokio::test]
async fn an_inbound_message_appears_live_and_the_reply_reaches_meta_in_a_real_browser() {
    let meta = fake_meta(accepted).await;
    let base = meta.base.clone();
    let calls = meta.calls.clone();
    let tweak = move |c: &mut dukan::config::Config| {
        c.webhooks_allow_loopback = true;
        c.meta_graph_url = base;
        // The flow moves the clock a day ahead; the browser session outlives it.
        c.session_hours = 72;
    };
    run_with("messaging", tweak, async move |c: &Client, t: &TestApp| -> R {
        let owner = t.first_run("owner@inbox.kg", "password-123").await;
        let (_, path) = channel(t, &owner, "1065403522").await;
        let (st, _) = t
            .post(&owner, "/api/v1/messaging/templates", json!({"name": "order_ready", "language": "ru", "body": "Заказ {{1}} готов"}))
            .await;
        assert!(st.is_success());
        let now = || t.app.now().0 / 1000;
        deliver(t, &path, &text_body("1065403522", "996555123456", "wamid.IN1", "Салам! Есть молоко?", now())).await;
        let (_, list) = t.get(&owner, "/api/v1/messaging/conversations").await;
        let id = list[0]["id"].as_u64().ok_or("no conversation")?;

        c.goto(&format!("{}/login", t.base)).await?;
        wait_for(c, "main[data-page=login]").await?;
        fill(c, "#f-email", "owner@inbox.kg").await?;
        fill(c, "#f-password", "password-123").await?;
        click(c, "main button[type=submit]").await?;
        wait_for(c, "main[data-page=dashboard]").await?;
        // The bell counts the new conversation (it is a live region too: found by its text).
        wait_xpath(c, "//span[@id='bell-count' and text()='1']").await?;

        click(c, "#nav a[href='/inbox']").await?;
        wait_for(c, &format!("main[data-page=inbox] #conversations [data-conversation='{id}']")).await?;
        // The list is a live region (it reloads when its stream opens): go by address.
        c.goto(&format!("{}/inbox/{id}", t.base)).await?;
        wait_for(c, "main[data-page=conversation] #messages .msg-in").await?;

        // A second message arrives while the page is open: it appears without a reload.
        deliver(t, &path, &text_body("1065403522", "996555123456", "wamid.IN2", "И хлеб", now())).await;
        wait_xpath(c, "//div[@id='messages']//span[@class='msg-text' and text()='И хлеб']").await?;

        // The reply goes out through the fake's Cloud API, correctly shaped.
        fill(c, "#f-text", "Есть, заходите").await?;
        click(c, "#composer button[type=submit]").await?;
        wait_xpath(c, "//div[@id='messages']//div[contains(@class,'msg-out')]//span[text()='Есть, заходите']").await?;
        drain(t).await;
        {
            let got = calls.lock().map_err(|_| "lock")?.clone();
            assert_eq!(got.len(), 1);
            assert_eq!(got[0].0, "/1065403522/messages");
            assert_eq!(got[0].1, format!("Bearer {TOKEN}"));
            assert_eq!(got[0].2["to"], "996555123456");
            assert_eq!(got[0].2["text"]["body"], "Есть, заходите");
        }
        wait_for(c, "#messages .msg-out[data-state=sent]").await?;
        deliver(t, &path, &status_body("1065403522", "wamid.OUT0", "delivered")).await;
        wait_for(c, "#messages .msg-out[data-state=delivered]").await?;
        screenshot(c, "messaging-conversation").await?;

        // A day later the window is closed: no composer, a template goes instead.
        t.clock.advance_ms(25 * 3_600_000);
        c.goto(&format!("{}/inbox/{id}", t.base)).await?;
        wait_for(c, "main[data-page=conversation] #window-closed").await?;
        assert!(c.find(Locator::Css("#composer")).await.is_err(), "no free-form composer outside the window");
        fill(c, "form[data-template=order_ready] input[name=param]", "№42").await?;
        click(c, "form[data-template=order_ready] button[type=submit]").await?;
        wait_xpath(c, "//div[@id='messages']//span[text()='Заказ №42 готов']").await?;
        drain(t).await;
        let got = calls.lock().map_err(|_| "lock")?.clone();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].2["type"], "template");
        assert_eq!(got[1].2["template"]["components"][0]["parameters"][0]["text"], "№42");
        screenshot(c, "messaging-window-closed").await?;
        Ok(())
    })
    .await;
}
