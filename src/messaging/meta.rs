//! Meta's WhatsApp Cloud API, as documented: the webhook payload (`messages` and `statuses`
//! under `entry[].changes[].value`) read into [`Inbound`] items, and the send call
//! `POST {base}/{phone_number_id}/messages` with a bearer token. The base URL is configuration
//! (`meta_graph_url`), so tests talk to a local fake that speaks the same JSON.

use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{Delivery, TemplateSend};

/// What one webhook body says, item by item, for one phone number id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    Message {
        wamid: String,
        from: String,
        name: String,
        kind: String,
        text: String,
        at_s: i64,
    },
    /// The contact reacted to one of the conversation's messages (empty emoji: removed).
    Reaction {
        wamid: String,
        from: String,
        name: String,
        target: String,
        emoji: String,
    },
    Status {
        wamid: String,
        state: Delivery,
    },
    /// A message the business sent from elsewhere (the Instagram app, say): Meta echoes it so
    /// the conversation shows it; stored once as an outbound message already sent.
    Echo {
        wamid: String,
        to: String,
        kind: String,
        text: String,
        at_s: i64,
    },
}

#[derive(Deserialize)]
struct Payload {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: Value,
}

/// Reads a webhook body. Items for another phone number id than `phone_number_id` are
/// dropped (a body can only act on the channel whose secret signed it). Fields other than
/// `messages` are ignored on purpose: `smb_message_echoes` (messages the business sent from
/// the WhatsApp Business app) and account updates are not conversation traffic in this slice.
pub fn parse_webhook(body: &[u8], phone_number_id: &str) -> Result<Vec<Inbound>, String> {
    let payload: Payload = serde_json::from_slice(body).map_err(|e| format!("not a webhook payload: {e}"))?;
    let mut out = Vec::new();
    for change in payload.entry.iter().flat_map(|e| &e.changes) {
        if change.field != "messages" {
            continue;
        }
        let v = &change.value;
        if v["metadata"]["phone_number_id"].as_str() != Some(phone_number_id) {
            continue;
        }
        let names: Vec<(String, String)> = v["contacts"]
            .as_array()
            .map(|cs| cs.iter().map(|c| (str_of(&c["wa_id"]), str_of(&c["profile"]["name"]))).collect())
            .unwrap_or_default();
        let name_of = |wa: &str| names.iter().find(|(w, _)| w == wa).map(|(_, n)| n.clone()).unwrap_or_default();
        for m in v["messages"].as_array().into_iter().flatten() {
            let (wamid, from, kind) = (str_of(&m["id"]), digits(&str_of(&m["from"])), str_of(&m["type"]));
            if wamid.is_empty() || from.is_empty() {
                continue;
            }
            let name = name_of(&from);
            if kind == "reaction" {
                let target = str_of(&m["reaction"]["message_id"]);
                out.push(Inbound::Reaction { wamid, from, name, target, emoji: str_of(&m["reaction"]["emoji"]) });
                continue;
            }
            let text = match kind.as_str() {
                "text" => str_of(&m["text"]["body"]),
                "button" => str_of(&m["button"]["text"]),
                "interactive" => {
                    let i = &m["interactive"];
                    let t = str_of(&i["button_reply"]["title"]);
                    if t.is_empty() { str_of(&i["list_reply"]["title"]) } else { t }
                }
                // Media and others: the caption when there is one; the page shows the kind.
                other => str_of(&m[other]["caption"]),
            };
            let at_s = str_of(&m["timestamp"]).parse().unwrap_or(0);
            out.push(Inbound::Message { wamid, from, name, kind, text, at_s });
        }
        for s in v["statuses"].as_array().into_iter().flatten() {
            let wamid = str_of(&s["id"]);
            let state = match s["status"].as_str() {
                Some("sent") => Delivery::Sent,
                Some("delivered") => Delivery::Delivered,
                Some("read") => Delivery::Read,
                Some("failed") => Delivery::Failed { error: error_text(&s["errors"][0]) },
                _ => continue,
            };
            out.push(Inbound::Status { wamid, state });
        }
    }
    Ok(out)
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).take(15).collect()
}

/// Meta's error object as one line: `131047 Re-engagement message: <details>`.
pub fn error_text(e: &Value) -> String {
    let code = str_of(&e["code"]);
    let title = [str_of(&e["title"]), str_of(&e["message"])].into_iter().find(|s| !s.is_empty()).unwrap_or_default();
    let details = str_of(&e["error_data"]["details"]);
    let mut out = format!("{code} {title}").trim().to_string();
    if !details.is_empty() && details != title {
        out = format!("{out}: {details}");
    }
    if out.is_empty() { "failed".into() } else { out.chars().take(500).collect() }
}

/// The JSON body of a send.
pub fn send_body(to: &str, text: &str, template: Option<&TemplateSend>) -> Value {
    match template {
        None => json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": {"preview_url": false, "body": text},
        }),
        Some(t) => {
            let parameters: Vec<Value> = t.params.iter().map(|p| json!({"type": "text", "text": p})).collect();
            let components = if parameters.is_empty() { json!([]) } else { json!([{"type": "body", "parameters": parameters}]) };
            json!({
                "messaging_product": "whatsapp",
                "recipient_type": "individual",
                "to": to,
                "type": "template",
                "template": {"name": t.name, "language": {"code": t.language}, "components": components},
            })
        }
    }
}

/// What a send attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Accepted: Meta's message id.
    Sent(String),
    /// Refused for good (4xx other than 429): Meta's error text.
    Refused(String),
    /// Worth retrying (network, timeout, 429, 5xx).
    Retry(String),
}

/// Reads the answer to a send: `messages[0].id` on success, `error` otherwise.
pub fn read_send_answer(status: u16, body: &[u8]) -> SendOutcome {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        let id = str_of(&v["messages"][0]["id"]);
        return if id.is_empty() { SendOutcome::Retry("answer without a message id".into()) } else { SendOutcome::Sent(id) };
    }
    let text = if v["error"].is_object() { error_text(&v["error"]) } else { format!("HTTP {status}") };
    if status == 429 || status >= 500 { SendOutcome::Retry(text) } else { SendOutcome::Refused(text) }
}

/// Sends one WhatsApp message. `client` is the box's guarded outgoing client (`webhooks::guard`).
pub async fn send(client: &reqwest::Client, base: &str, phone_number_id: &str, token: &str, body: &Value) -> SendOutcome {
    post(client, base, phone_number_id, token, body, read_send_answer).await
}

/// Sends one Instagram message from the account `account_id` (`instagram_send_body`).
pub async fn send_instagram(client: &reqwest::Client, base: &str, account_id: &str, token: &str, body: &Value) -> SendOutcome {
    post(client, base, account_id, token, body, read_instagram_answer).await
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    sender: &str,
    token: &str,
    body: &Value,
    read: fn(u16, &[u8]) -> SendOutcome,
) -> SendOutcome {
    let url = format!("{}/{}/messages", base.trim_end_matches('/'), sender);
    let sent = client.post(url).bearer_auth(token).header("content-type", "application/json").body(body.to_string()).send().await;
    match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            match r.bytes().await {
                Ok(b) => read(status, &b),
                Err(e) => SendOutcome::Retry(crate::webhooks::guard::error_class(&e).to_string()),
            }
        }
        Err(e) => SendOutcome::Retry(crate::webhooks::guard::error_class(&e).to_string()),
    }
}

// Instagram Messaging (issue 16): the Graph API's webhook for `object: instagram` and its send
// call, read into the same `Inbound` items as WhatsApp's; `process` and the worker pick them
// by the channel's kind.

/// Reads an Instagram webhook body for the account `account_id` (the Instagram professional
/// account's id): entries of another account are dropped, as are events not addressed to it.
/// Messages (text, or the attachment's type), postbacks (their button title, kind
/// `postback`), reactions, reads (the message marked read) and echoes of the business's own
/// messages.
pub fn parse_instagram(body: &[u8], account_id: &str) -> Result<Vec<Inbound>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("not a webhook payload: {e}"))?;
    if v["object"].as_str() != Some("instagram") {
        return Err("not an Instagram webhook".into());
    }
    let mut out = Vec::new();
    for entry in v["entry"].as_array().into_iter().flatten() {
        if str_of(&entry["id"]) != account_id {
            continue;
        }
        for ev in entry["messaging"].as_array().into_iter().flatten() {
            let (sender, recipient) = (str_of(&ev["sender"]["id"]), str_of(&ev["recipient"]["id"]));
            let at_s = ev["timestamp"].as_i64().unwrap_or(0) / 1000;
            let m = &ev["message"];
            if m.is_object() {
                let wamid = str_of(&m["mid"]);
                let (kind, text) = match m["attachments"][0]["type"].as_str() {
                    Some(t) if str_of(&m["text"]).is_empty() => (t.to_string(), String::new()),
                    _ => ("text".to_string(), str_of(&m["text"])),
                };
                if wamid.is_empty() {
                    continue;
                }
                if m["is_echo"].as_bool() == Some(true) {
                    if sender == account_id && !recipient.is_empty() {
                        out.push(Inbound::Echo { wamid, to: recipient, kind, text, at_s });
                    }
                } else if recipient == account_id && !sender.is_empty() && m["is_deleted"].as_bool() != Some(true) {
                    out.push(Inbound::Message { wamid, from: sender, name: String::new(), kind, text, at_s });
                }
                continue;
            }
            if recipient != account_id || sender.is_empty() {
                continue;
            }
            if ev["postback"].is_object() {
                let p = &ev["postback"];
                let wamid = str_of(&p["mid"]);
                if !wamid.is_empty() {
                    out.push(Inbound::Message {
                        wamid,
                        from: sender,
                        name: String::new(),
                        kind: "postback".into(),
                        text: str_of(&p["title"]),
                        at_s,
                    });
                }
            } else if ev["reaction"].is_object() {
                let r = &ev["reaction"];
                let emoji = if r["action"].as_str() == Some("unreact") { String::new() } else { str_of(&r["emoji"]) };
                out.push(Inbound::Reaction { wamid: String::new(), from: sender, name: String::new(), target: str_of(&r["mid"]), emoji });
            } else if ev["read"].is_object() {
                let wamid = str_of(&ev["read"]["mid"]);
                if !wamid.is_empty() {
                    out.push(Inbound::Status { wamid, state: Delivery::Read });
                }
            }
        }
    }
    Ok(out)
}

/// The JSON body of an Instagram text send (`POST {base}/{account_id}/messages`).
pub fn instagram_send_body(to: &str, text: &str) -> Value {
    json!({"recipient": {"id": to}, "message": {"text": text}})
}

/// Reads the answer to an Instagram send: `message_id` on success, `error` otherwise.
pub fn read_instagram_answer(status: u16, body: &[u8]) -> SendOutcome {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        let id = str_of(&v["message_id"]);
        return if id.is_empty() { SendOutcome::Retry("answer without a message id".into()) } else { SendOutcome::Sent(id) };
    }
    read_send_answer(status, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{
        "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
        "contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"996555123456"}],
        "messages":[{"from":"996555123456","id":"wamid.A1","timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}},
                    {"from":"996555123456","id":"wamid.A2","timestamp":"1749416390","type":"reaction","reaction":{"message_id":"wamid.OUT","emoji":"👍"}}],
        "statuses":[{"id":"wamid.OUT","status":"failed","timestamp":"1749416400","recipient_id":"996555123456",
                     "errors":[{"code":131047,"title":"Re-engagement message","error_data":{"details":"Message failed to send because more than 24 hours have passed"}}]}]
        },"field":"messages"}]}]}"#;

    #[test]
    fn reads_messages_reactions_and_statuses_of_its_own_number_only() {
        let got = parse_webhook(BODY.as_bytes(), "106540352242922").unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            Inbound::Message {
                wamid: "wamid.A1".into(),
                from: "996555123456".into(),
                name: "Sheena Nelson".into(),
                kind: "text".into(),
                text: "Does it come in another color?".into(),
                at_s: 1_749_416_383
            }
        );
        assert!(matches!(&got[1], Inbound::Reaction { target, emoji, .. } if target == "wamid.OUT" && emoji == "👍"));
        assert_eq!(
            got[2],
            Inbound::Status {
                wamid: "wamid.OUT".into(),
                state: Delivery::Failed {
                    error: "131047 Re-engagement message: Message failed to send because more than 24 hours have passed".into()
                }
            }
        );
        assert!(parse_webhook(BODY.as_bytes(), "999").unwrap().is_empty(), "another number's items are dropped");
        assert!(parse_webhook(b"[1,2", "1").is_err());
    }

    #[test]
    fn send_answers() {
        assert_eq!(
            read_send_answer(
                200,
                br#"{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],"messages":[{"id":"wamid.X"}]}"#
            ),
            SendOutcome::Sent("wamid.X".into())
        );
        assert_eq!(
            read_send_answer(400, br#"{"error":{"message":"Invalid OAuth access token.","type":"OAuthException","code":190}}"#),
            SendOutcome::Refused("190 Invalid OAuth access token.".into())
        );
        assert!(matches!(read_send_answer(503, b""), SendOutcome::Retry(_)));
        assert!(matches!(read_send_answer(429, b"{}"), SendOutcome::Retry(_)));
    }

    const IG: &str = r#"{"object":"instagram","entry":[{"id":"17841400000000001","time":1749416400000,"messaging":[
        {"sender":{"id":"IGSID1"},"recipient":{"id":"17841400000000001"},"timestamp":1749416383000,"message":{"mid":"aWdfZAG1","text":"Есть размер M?"}},
        {"sender":{"id":"IGSID1"},"recipient":{"id":"17841400000000001"},"timestamp":1749416384000,"message":{"mid":"aWdfZAG2","attachments":[{"type":"image","payload":{"url":"https://x"}}]}},
        {"sender":{"id":"IGSID1"},"recipient":{"id":"17841400000000001"},"timestamp":1749416385000,"postback":{"mid":"aWdfZAG3","title":"Узнать цену","payload":"PRICE"}},
        {"sender":{"id":"IGSID1"},"recipient":{"id":"17841400000000001"},"timestamp":1749416386000,"reaction":{"mid":"aWdfOUT","action":"react","reaction":"love","emoji":"❤️"}},
        {"sender":{"id":"IGSID1"},"recipient":{"id":"17841400000000001"},"timestamp":1749416387000,"read":{"mid":"aWdfOUT"}},
        {"sender":{"id":"17841400000000001"},"recipient":{"id":"IGSID1"},"timestamp":1749416388000,"message":{"mid":"aWdfECHO","text":"Да, есть","is_echo":true}},
        {"sender":{"id":"IGSID1"},"recipient":{"id":"OTHER"},"timestamp":1749416389000,"message":{"mid":"aWdfX","text":"не нам"}}
    ]},{"id":"OTHERACCOUNT","time":1,"messaging":[{"sender":{"id":"IGSID2"},"recipient":{"id":"OTHERACCOUNT"},"timestamp":1,"message":{"mid":"m","text":"x"}}]}]}"#;

    #[test]
    fn reads_instagram_messages_postbacks_reactions_reads_and_echoes_of_its_own_account() {
        let got = parse_instagram(IG.as_bytes(), "17841400000000001").unwrap();
        assert_eq!(got.len(), 6, "{got:?}");
        assert_eq!(
            got[0],
            Inbound::Message {
                wamid: "aWdfZAG1".into(),
                from: "IGSID1".into(),
                name: String::new(),
                kind: "text".into(),
                text: "Есть размер M?".into(),
                at_s: 1_749_416_383
            }
        );
        assert!(matches!(&got[1], Inbound::Message { kind, text, .. } if kind == "image" && text.is_empty()));
        assert!(matches!(&got[2], Inbound::Message { kind, text, .. } if kind == "postback" && text == "Узнать цену"));
        assert!(matches!(&got[3], Inbound::Reaction { target, emoji, .. } if target == "aWdfOUT" && emoji == "❤️"));
        assert_eq!(got[4], Inbound::Status { wamid: "aWdfOUT".into(), state: Delivery::Read });
        assert!(matches!(&got[5], Inbound::Echo { wamid, to, text, .. } if wamid == "aWdfECHO" && to == "IGSID1" && text == "Да, есть"));
        assert!(parse_instagram(IG.as_bytes(), "nobody").unwrap().is_empty());
        assert!(parse_instagram(BODY.as_bytes(), "17841400000000001").is_err(), "a WhatsApp body is not an Instagram one");
        assert_eq!(instagram_send_body("IGSID1", "Да"), json!({"recipient": {"id": "IGSID1"}, "message": {"text": "Да"}}));
        assert_eq!(read_instagram_answer(200, br#"{"recipient_id":"IGSID1","message_id":"aWdfNEW"}"#), SendOutcome::Sent("aWdfNEW".into()));
        assert_eq!(
            read_instagram_answer(400, br#"{"error":{"message":"Outside of allowed window","code":10,"error_subcode":2534022}}"#),
            SendOutcome::Refused("10 Outside of allowed window".into())
        );
    }
}
