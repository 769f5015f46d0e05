//! Telecom support tickets through the API: opening with bad input refused field by field,
//! every state-machine transition allowed and refused (B3), the SLA due time and the overdue
//! queue, the my / unassigned queues, priority changes, comments and the log, the live topic
//! the queue page follows, the preset roles (B5), and tenant isolation of every ticket route.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::telecom::{active_contract, codes, desk, person};

async fn act(t: &TestApp, c: &Client, id: u64, action: &str, body: Value) -> (StatusCode, Value) {
    t.post(c, &format!("/api/v1/telecom/tickets/{id}/{action}"), body).await
}

fn uid(c: &Client) -> u64 {
    c.body["user"]["id"].as_u64().expect("user id")
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array().map(|a| a.iter().filter_map(|x| x["id"].as_u64()).collect()).unwrap_or_default()
}

async fn queue(t: &TestApp, c: &Client, q: &str) -> Vec<u64> {
    let (s, v) = t.get(c, &format!("/api/v1/telecom/tickets?queue={q}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    ids(&v)
}

pub async fn open_ticket(t: &TestApp, c: &Client, subscriber: u64, subject: &str, priority: &str) -> u64 {
    let body = json!({"subscriber": subscriber, "subject": subject, "category": "technical", "priority": priority});
    let (s, v) = t.post(c, "/api/v1/telecom/tickets", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!((v["status"].as_str(), v["assignee"].as_u64()), (Some("new"), None), "{v}");
    v["id"].as_u64().expect("id")
}

#[tokio::test]
async fn tickets_follow_the_state_machine_of_spec_b3() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@tickets.kg").await;
    let (sub, k) = active_contract(&t, &d, "7070707", "0555 707 070", d.sims[0]).await;
    let other = person(&t, &d.c, "Другой", "7070708", "0555 707 071").await["subscriber"]["id"].as_u64().expect("id");
    let me = uid(&d.c);

    // Bad input: every field's code at once; a contract of another subscriber is not one.
    let bad = json!({"subscriber": 999_999, "contract": k, "subject": "", "category": "weather", "priority": "urgent"});
    let (s, e) = t.post(&d.c, "/api/v1/telecom/tickets", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    for code in ["unknown_subscriber", "unknown_contract", "subject", "category", "priority"] {
        assert!(codes(&e).contains(&code.to_string()), "{code} missing: {e}");
    }
    let (s, e) = t.post(&d.c, "/api/v1/telecom/tickets", json!({"subscriber": other, "contract": k, "subject": "x"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_contract".to_string()]), "{e}");
    let (s, e) = t.post(&d.c, "/api/v1/telecom/tickets", json!({"subscriber": sub, "subject": "x", "colour": "red"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_body")), "unknown fields are refused: {e}");

    let body = json!({"subscriber": sub, "contract": k, "subject": "Нет связи", "description": "С утра", "category": "technical", "priority": "high"});
    let (s, v) = t.post(&d.c, "/api/v1/telecom/tickets", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_u64().expect("id");
    assert_eq!((v["status"].as_str(), v["overdue"].as_bool(), v["contract"].as_u64()), (Some("new"), Some(false), Some(k)));
    assert_eq!(queue(&t, &d.c, "unassigned").await, vec![id]);
    assert_eq!(queue(&t, &d.c, "my").await, Vec::<u64>::new());

    // start needs an assignee; resolve needs a resolution; a new ticket is not reopened.
    let (s, e) = act(&t, &d.c, id, "start", json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("ticket_needs_assignee")), "{e}");
    let (s, e) = act(&t, &d.c, id, "resolve", json!({"text": "  "})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["ticket_needs_resolution".to_string()]), "{e}");
    let (s, e) = act(&t, &d.c, id, "reopen", json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("ticket_transition")), "{e}");
    let (s, e) = act(&t, &d.c, id, "close", json!({})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["ticket_close_needs_reason".to_string()]), "{e}");
    let (s, _) = act(&t, &d.c, id, "fly", json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Taking it puts a new ticket in progress, in my queue; waiting and back.
    let (s, v) = act(&t, &d.c, id, "take", json!({})).await;
    assert_eq!((s, v["status"].as_str(), v["assignee"].as_u64()), (StatusCode::OK, Some("in_progress"), Some(me)), "{v}");
    assert_eq!(queue(&t, &d.c, "my").await, vec![id]);
    assert_eq!(queue(&t, &d.c, "unassigned").await, Vec::<u64>::new());
    let (_, v) = act(&t, &d.c, id, "wait", json!({})).await;
    assert_eq!(v["status"], "waiting");
    let (_, e) = act(&t, &d.c, id, "wait", json!({})).await;
    assert_eq!(e["code"], "ticket_transition", "waiting is not waited again");
    let (_, v) = act(&t, &d.c, id, "start", json!({})).await;
    assert_eq!(v["status"], "in_progress");
    // Unassigning an in-progress ticket sends it back to new.
    let (_, v) = act(&t, &d.c, id, "assign", json!({"user": null})).await;
    assert_eq!((v["status"].as_str(), v["assignee"].as_u64()), (Some("new"), None), "{v}");
    let (s, e) = act(&t, &d.c, id, "assign", json!({"user": 999_999})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_user".to_string()]), "{e}");
    act(&t, &d.c, id, "assign", json!({"user": me})).await;

    // Comments go to the log; a priority change moves the due time and is logged.
    let (s, e) = act(&t, &d.c, id, "comment", json!({"text": ""})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    act(&t, &d.c, id, "comment", json!({"text": "Перезагрузили телефон"})).await;
    let (_, before) = t.get(&d.c, &format!("/api/v1/telecom/tickets/{id}")).await;
    let (_, v) = act(&t, &d.c, id, "priority", json!({"priority": "low"})).await;
    assert!(v["due"].as_str() > before["ticket"]["due"].as_str(), "low gives more time: {v} {before}");
    let (s, e) = act(&t, &d.c, id, "priority", json!({"priority": "asap"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["priority".to_string()]), "{e}");

    // Resolve, close, reopen (fresh SLA, in progress), close with a reason from in progress.
    let (_, v) = act(&t, &d.c, id, "resolve", json!({"text": "Заменили SIM-карту"})).await;
    assert_eq!((v["status"].as_str(), v["resolution"].as_str()), (Some("resolved"), Some("Заменили SIM-карту")), "{v}");
    assert_eq!(queue(&t, &d.c, "open").await, Vec::<u64>::new(), "a resolved ticket leaves the queues");
    for action in ["start", "wait", "assign", "priority", "resolve"] {
        let (s, e) = act(&t, &d.c, id, action, json!({"text": "x", "priority": "high", "user": me})).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("ticket_transition")), "{action}: {e}");
    }
    let (_, v) = act(&t, &d.c, id, "close", json!({})).await;
    assert_eq!(v["status"], "closed", "a resolved ticket closes without a reason");
    let (_, e) = act(&t, &d.c, id, "close", json!({"text": "ещё раз"})).await;
    assert_eq!(e["code"], "ticket_transition");
    let (_, v) = act(&t, &d.c, id, "reopen", json!({"text": "Снова нет связи"})).await;
    assert_eq!((v["status"].as_str(), v["assignee"].as_u64(), v["closed_at"].as_str()), (Some("in_progress"), Some(me), None), "{v}");
    assert_eq!(queue(&t, &d.c, "my").await, vec![id]);
    let (_, v) = act(&t, &d.c, id, "close", json!({"text": "Абонент не отвечает"})).await;
    assert_eq!(v["status"], "closed");

    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/tickets/{id}")).await;
    let kinds: Vec<&str> = card["notes"].as_array().expect("notes").iter().filter_map(|n| n["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["assigned", "status", "status", "assigned", "assigned", "comment", "priority", "status", "status", "status", "status"],
        "{card}"
    );
    assert_eq!(queue(&t, &d.c, "all").await, vec![id]);
    t.assert_consistent();
}

#[tokio::test]
async fn the_sla_makes_tickets_overdue_and_the_queues_are_live() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@sla.kg").await;
    let sub = person(&t, &d.c, "Срочный", "6060606", "0555 606 060").await["subscriber"]["id"].as_u64().expect("id");
    let critical = open_ticket(&t, &d.c, sub, "Авария", "critical").await;
    let low = open_ticket(&t, &d.c, sub, "Вопрос", "low").await;
    assert_eq!(queue(&t, &d.c, "open").await, vec![critical, low], "soonest due first");
    assert_eq!(queue(&t, &d.c, "overdue").await, Vec::<u64>::new());

    // The queue page's stream hears every change.
    let mut res = t.http.get(t.url("/telecom/tickets/events")).bearer_auth(&d.c.token).send().await.expect("stream");
    assert_eq!(res.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(100)).await;
    act(&t, &d.c, low, "take", json!({})).await;
    let mut seen = String::new();
    let heard = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(chunk)) = res.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(&format!("data: {low}")) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(heard.ok(), Some(true), "{seen}");
    assert!(seen.contains("event: ticket"), "{seen}");

    // Five hours later the critical one (4 h) is overdue, the low one (72 h) is not.
    t.clock.advance_ms(5 * 3_600_000);
    let c = t.login(&d.email, "password-123").await;
    assert_eq!(queue(&t, &c, "overdue").await, vec![critical]);
    let (_, v) = t.get(&c, &format!("/api/v1/telecom/tickets/{critical}")).await;
    assert_eq!(v["ticket"]["overdue"], true, "{v}");
    // Resolving takes it out of the overdue queue.
    act(&t, &c, critical, "resolve", json!({"text": "Восстановили"})).await;
    assert_eq!(queue(&t, &c, "overdue").await, Vec::<u64>::new());
    let (s, e) = t.get(&c, "/api/v1/telecom/tickets?queue=soon").await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["queue".to_string()]), "{e}");
    // The pages render the queues and the card.
    for path in ["/telecom/tickets", "/telecom/tickets?queue=overdue", "/telecom/tickets/list?queue=my", &format!("/telecom/tickets/{low}")]
    {
        let r = t.http.get(t.url(path)).bearer_auth(&c.token).send().await.expect("page");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
    t.assert_consistent();
}

#[tokio::test]
async fn employees_take_tickets_and_operators_hand_them_out() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@ticket-roles.kg").await;
    let sub = person(&t, &d.c, "Роли", "5050505", "0555 505 050").await["subscriber"]["id"].as_u64().expect("id");
    let employee = crate::telecom::role_user(&t, &d.c, "employee", "emp@ticket-roles.kg").await;
    let operator = crate::telecom::role_user(&t, &d.c, "operator", "op@ticket-roles.kg").await;
    let (emp_id, op_id) = (uid(&employee), uid(&operator));
    let id = open_ticket(&t, &employee, sub, "Баланс", "medium").await;
    // An employee takes work but does not hand it to others; an operator does.
    let (s, v) = act(&t, &employee, id, "assign", json!({"user": op_id})).await;
    assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{v}");
    let (s, v) = act(&t, &employee, id, "take", json!({})).await;
    assert_eq!((s, v["assignee"].as_u64()), (StatusCode::OK, Some(emp_id)), "{v}");
    let (s, v) = act(&t, &employee, id, "assign", json!({"user": null})).await;
    assert_eq!(s, StatusCode::OK, "one's own ticket is given back: {v}");
    let (s, v) = act(&t, &operator, id, "assign", json!({"user": emp_id})).await;
    assert_eq!((s, v["assignee"].as_u64()), (StatusCode::OK, Some(emp_id)), "{v}");
    assert_eq!(queue(&t, &employee, "my").await, vec![id]);
    let (s, v) = act(&t, &employee, id, "assign", json!({"user": null})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    act(&t, &operator, id, "assign", json!({"user": emp_id})).await;
    let (s, v) = act(&t, &employee, id, "resolve", json!({"text": "Объяснили начисление"})).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("resolved")), "{v}");
    t.assert_consistent();
}

#[tokio::test]
async fn every_ticket_route_is_isolated_between_companies() {
    let t = TestApp::spawn().await;
    let a = desk(&t, "owner@a-tickets.kg").await;
    let b = desk(&t, "owner@b-tickets.kg").await;
    let (sub, k) = active_contract(&t, &b, "4040404", "0555 404 040", b.sims[0]).await;
    let id = open_ticket(&t, &b.c, sub, "Чужое", "high").await;
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/telecom/tickets/{id}"), None),
        (Method::POST, format!("/api/v1/telecom/tickets/{id}/take"), Some(json!({}))),
        (Method::POST, format!("/api/v1/telecom/tickets/{id}/resolve"), Some(json!({"text": "x"}))),
        (Method::POST, format!("/api/v1/telecom/tickets/{id}/comment"), Some(json!({"text": "x"}))),
    ] {
        let (s, v) = t.call(method.clone(), &path, Some(&a.c.token), body.or(Some(json!({})))).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{method} {path}: {v}");
    }
    // Another company's subscriber and contract cannot be named in a ticket.
    let mine = person(&t, &a.c, "Свой", "4040405", "0555 404 041").await["subscriber"]["id"].as_u64().expect("id");
    let (s, e) = t.post(&a.c, "/api/v1/telecom/tickets", json!({"subscriber": sub, "subject": "x"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_subscriber".to_string()]), "{e}");
    let (s, e) = t.post(&a.c, "/api/v1/telecom/tickets", json!({"subscriber": mine, "contract": k, "subject": "x"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_contract".to_string()]), "{e}");
    for q in ["open", "unassigned", "all", "overdue"] {
        assert_eq!(queue(&t, &a.c, q).await, Vec::<u64>::new(), "{q}");
    }
    for path in [format!("/telecom/tickets/{id}"), format!("/telecom/tickets/new?subscriber={sub}")] {
        let r = t.http.get(t.url(&path)).bearer_auth(&a.c.token).send().await.expect("page");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (_, v) = t.get(&b.c, &format!("/api/v1/telecom/tickets/{id}")).await;
    assert_eq!((v["ticket"]["status"].as_str(), v["notes"].as_array().map(Vec::len)), (Some("new"), Some(0)), "untouched: {v}");
    t.assert_consistent();
}
