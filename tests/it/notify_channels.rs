//! A notification's channels beyond the bell: the staff WhatsApp template (the company's
//! choice of channel and template, each user's preference, the send through the inbox's own
//! path as the fake Meta receives it — template name, language, variables — and its log), and
//! e-mail only when it is set up (nothing queued otherwise, the rule log says why).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::messaging::{accepted, channel, code, drain, fake_meta, messages};
use crate::notify_rules::{client_with_deal, close, log, member, open, rule, texts};
use crate::smtp_fake::SmtpFake;

async fn shift_log(t: &TestApp, c: &crate::common::Client) -> Vec<Value> {
    let (st, l) = t.get(c, "/api/v1/notify/shift-short/log").await;
    assert_eq!(st, StatusCode::OK, "{l}");
    l.as_array().expect("log").clone()
}

#[tokio::test]
async fn staff_who_ask_for_it_get_the_companys_whatsapp_template() {
    let meta = fake_meta(accepted).await;
    let t = crate::messaging::spawn(&meta).await;
    let k = crate::pos::till(&t, "owner@wa-staff.kg").await;
    let c = &k.s.c;
    let admin = member(&t, c, "admin@wa-staff.kg", json!({"role": "admin", "phone": "+996 555 111 222"})).await;
    let nophone = member(&t, c, "nophone@wa-staff.kg", json!({"role": "admin"})).await;
    let (clerk, _) = crate::messaging::staff(&t, c, "clerk@wa-staff.kg", &["cashier"]).await;
    let (ch, _) = channel(&t, c, "1065403522").await;
    let (_, tpl) =
        t.post(c, "/api/v1/messaging/templates", json!({"name": "staff_alert", "language": "ru", "body": "Dukan: {{1}} ({{2}})"})).await;
    let (_, many) =
        t.post(c, "/api/v1/messaging/templates", json!({"name": "too_many", "language": "ru", "body": "{{1}} {{2}} {{3}} {{4}}"})).await;
    let ig = json!({"name": "Инста", "kind": "instagram", "phone_number_id": "17841400000000001",
        "access_token": "t", "app_secret": "s", "verify_token": "v"});
    let (st, ig) = t.post(c, "/api/v1/messaging/channels", ig).await;
    assert_eq!(st, StatusCode::CREATED, "{ig}");

    // The company's choice: the rules right only; a WhatsApp channel and a template with at
    // most three variables, each refused by field, never a 500.
    let (st, s) = t.get(c, "/api/v1/notify/staff-whatsapp").await;
    assert_eq!((st, &s), (StatusCode::OK, &json!({"channel": null, "template": null})));
    let (st, _) = t.put(&clerk, "/api/v1/notify/staff-whatsapp", json!({"channel": ch, "template": tpl["id"]})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for (bad, field) in [
        (json!({"channel": ch, "template": many["id"]}), "template"),
        (json!({"channel": ig["id"], "template": tpl["id"]}), "channel"),
        (json!({"channel": 999_999, "template": tpl["id"]}), "channel"),
        (json!({"channel": ch, "template": null}), "template"),
    ] {
        let (st, e) = t.put(c, "/api/v1/notify/staff-whatsapp", bad.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {e}");
        assert_eq!(e["errors"][0]["field"], field, "{bad}: {e}");
    }
    assert_eq!(code(&t.put(c, "/api/v1/notify/staff-whatsapp", json!({"channel": ch, "template": many["id"]})).await.1), "template_params");
    let (st, s) = t.put(c, "/api/v1/notify/staff-whatsapp", json!({"channel": ch, "template": tpl["id"]})).await;
    assert_eq!((st, &s), (StatusCode::OK, &json!({"channel": ch, "template": tpl["id"]})), "{s}");

    // Each user's own choice: the admin with a phone and the one without want it by WhatsApp.
    for who in [&admin, &nophone] {
        let (st, p) = t.put(who, "/api/v1/notify/preferences", json!({"muted": [], "email": [], "whatsapp": ["shift_short"]})).await;
        assert_eq!((st, &p["whatsapp"]), (StatusCode::OK, &json!(["shift_short"])), "{p}");
    }
    let (st, e) = t.put(&admin, "/api/v1/notify/preferences", json!({"muted": [], "email": [], "whatsapp": ["weather"]})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (_, p) = t.get(c, "/api/v1/notify/preferences").await;
    assert_eq!(p["whatsapp"], json!([]), "the owner keeps the default");

    // A shift closes 150 short: the bell for all three, the template to the admin's phone.
    close(&t, c, k.shift, "850").await;
    drain(&t).await;
    let bell = texts(&t, &admin).await;
    assert_eq!(bell.len(), 1, "{bell:?}");
    let calls = meta.calls.lock().expect("lock").clone();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].0, "/1065403522/messages");
    let vars = calls[0].2["template"]["components"][0]["parameters"].clone();
    assert!(vars[1]["text"].as_str().is_some_and(|s| s.starts_with("Dukan: недостача в смене")), "{vars}");
    assert_eq!(
        calls[0].2,
        json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "996555111222", "type": "template",
               "template": {"name": "staff_alert", "language": {"code": "ru"}, "components": [{"type": "body", "parameters": [
                   {"type": "text", "text": bell[0]}, {"type": "text", "text": vars[1]["text"]}]}]}})
    );
    assert!(bell[0].contains("недостачей 150,00"), "{bell:?}");
    let l = shift_log(&t, c).await;
    assert_eq!(l[0]["outcome"], "in-app: 3, e-mail: 0, WhatsApp: 1; WhatsApp not sent: no phone", "{l:?}");
    // The send's log: the admin's conversation on the channel, the template delivered to Meta.
    let (_, convs) = t.get(c, "/api/v1/messaging/conversations").await;
    assert_eq!(convs.as_array().map(Vec::len), Some(1), "{convs}");
    assert_eq!((convs[0]["phone"].as_str(), convs[0]["name"].as_str()), (Some("+996555111222"), Some("admin@wa-staff.kg")), "{convs}");
    let sent = messages(&t, c, convs[0]["id"].as_u64().expect("id")).await;
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0]["kind"].as_str(), sent[0]["state"].as_str()), (Some("template"), Some("sent")), "{sent:?}");
    assert_eq!(sent[0]["text"], format!("Dukan: {} ({})", bell[0], vars[1]["text"].as_str().unwrap_or_default()));

    // The preferences page: the third column, saved by its form.
    let p = crate::browser::Plain::new(&t);
    assert_eq!(p.submit("/login", &[("email", "admin@wa-staff.kg"), ("password", "password-123")]).await.status(), 303);
    let page = p.get("/notify/preferences").await.text().await.expect("page");
    assert!(page.contains("name=\"wa_shift_short\" value=\"1\" aria-label=\"В WhatsApp\" checked"), "{page}");
    assert!(!page.contains("id=\"wa-off\"") && !page.contains("id=\"wa-no-phone\""), "set up, with a phone");
    let csrf = crate::browser::csrf_of(&page);
    let r = p.post("/notify/preferences", &[("_csrf", csrf.as_str()), ("bell_shift_short", "1"), ("wa_low_stock", "1")]).await;
    assert_eq!(r.status(), 303);
    let (_, prefs) = t.get(&admin, "/api/v1/notify/preferences").await;
    assert_eq!(prefs["whatsapp"], json!(["low_stock"]), "{prefs}");
    let p2 = crate::browser::Plain::new(&t);
    p2.submit("/login", &[("email", "nophone@wa-staff.kg"), ("password", "password-123")]).await;
    assert!(p2.get("/notify/preferences").await.text().await.expect("page").contains("id=\"wa-no-phone\""));

    // The rules page chooses it too; switched off, nothing goes by WhatsApp and the log says so.
    let owner = crate::browser::Plain::new(&t);
    owner.submit("/login", &[("email", "owner@wa-staff.kg"), ("password", "password-123")]).await;
    let page = owner.get("/notify/rules").await.text().await.expect("page");
    let form = page.split("id=\"staff-whatsapp-form\"").nth(1).and_then(|f| f.split("</form>").next()).expect("the staff form");
    assert!(form.contains("staff_alert (ru)") && form.contains("WhatsApp магазина"), "{form}");
    assert!(!form.contains("too_many") && !form.contains("Инста"), "four variables, an Instagram channel: not offered: {form}");
    let csrf = crate::browser::csrf_of(&page);
    let r = owner.post("/notify/staff-whatsapp", &[("_csrf", csrf.as_str()), ("wa_channel", ""), ("wa_template", "")]).await;
    assert_eq!(r.status(), 303);
    let (_, s) = t.get(c, "/api/v1/notify/staff-whatsapp").await;
    assert_eq!(s, json!({"channel": null, "template": null}));
    let (st, _) = t.put(&nophone, "/api/v1/notify/preferences", json!({"muted": [], "email": [], "whatsapp": []})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = t.put(&admin, "/api/v1/notify/preferences", json!({"muted": [], "email": [], "whatsapp": ["shift_short"]})).await;
    assert_eq!(st, StatusCode::OK);
    let next = open(&t, c, k.cash_box, "1000").await;
    close(&t, c, next, "900").await;
    drain(&t).await;
    assert_eq!(meta.calls.lock().expect("lock").len(), 1, "no new send");
    let l = shift_log(&t, c).await;
    assert_eq!(l[0]["outcome"], "in-app: 3, e-mail: 0, WhatsApp: 0; WhatsApp not sent: no staff template chosen", "{l:?}");
    t.assert_consistent();
}

#[tokio::test]
async fn without_e_mail_set_up_nothing_is_queued_and_the_log_says_why() {
    // No box-wide server; the company may set its own (on loopback here, as tests allow).
    let t = TestApp::spawn_with(|c| c.webhooks_allow_loopback = true).await;
    let k = crate::pos::till(&t, "owner@nomail.kg").await;
    let c = &k.s.c;
    let (st, p) = t.put(c, "/api/v1/notify/preferences", json!({"muted": [], "email": ["shift_short", "installment_due"]})).await;
    assert_eq!(st, StatusCode::OK, "{p}");

    // The built-in rule: the bell rings, no e-mail is queued, the log says why.
    close(&t, c, k.shift, "900").await;
    assert_eq!(texts(&t, c).await.len(), 1);
    let l = shift_log(&t, c).await;
    assert_eq!(l[0]["outcome"], "in-app: 1, e-mail: 0; e-mail is not set up (1 wanted it)", "{l:?}");
    // A staff rule and an e-mail rule, the same.
    client_with_deal(&t, c, "Бектур", "2026-03-02").await;
    let staff = rule(&t, c, json!({"name": "Завтра платёж", "trigger": "installment_due", "action": "staff", "perm": "clients"})).await;
    let mail = rule(&t, c, json!({"name": "Письмо", "trigger": "installment_due", "action": "email", "email": "boss@nomail.kg"})).await;
    dukan::workers::rules_once(t.app.clone()).await.expect("rules step");
    assert_eq!(log(&t, c, staff).await[0]["outcome"], "in-app: 1, e-mail: 0; e-mail is not set up (1 wanted it)");
    assert_eq!(log(&t, c, mail).await[0]["outcome"], "e-mail is not set up");
    let (_, mails) = t.get(c, "/api/v1/mail/log").await;
    assert_eq!(mails, json!([]), "nothing queued that could only fail");

    // With the company's own server the next shortage is e-mailed.
    let fake = SmtpFake::start().await;
    let (st, s) = t
        .put(c, "/api/v1/mail/settings", json!({"host": "127.0.0.1", "port": fake.port, "security": "plain", "from": "shop@nomail.kg"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{s}");
    let next = open(&t, c, k.cash_box, "1000").await;
    close(&t, c, next, "800").await;
    assert_eq!(shift_log(&t, c).await[0]["outcome"], "in-app: 1, e-mail: 1");
    crate::mail::pump(&t).await;
    let got = fake.wait_for(1, 20).await;
    assert_eq!(got[0].to, vec!["owner@nomail.kg".to_string()]);
    t.assert_consistent();
}
