//! The CRM through the API: contacts with E.164 phones, the default pipeline created on first
//! use, deals with product lines on the board, stage moves (won and lost terminal, lost needs
//! a reason), the forecast, pipeline settings, tasks through their states with the my /
//! overdue / today lists and reminders, the client timeline merged and paged, bad input with
//! stable codes, and who may see and move what.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

fn field_codes(v: &Value) -> Vec<String> {
    v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["code"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub async fn owner(t: &TestApp, email: &str) -> Client {
    t.company("Торговый дом", email, "password-123").await;
    t.login(email, "password-123").await
}

pub async fn client(t: &TestApp, c: &Client, name: &str) -> u64 {
    let (s, v) = t.post(c, "/api/v1/clients", json!({"name": name})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["client"]["id"].as_u64().expect("id")
}

pub async fn staff(t: &TestApp, owner: &Client, email: &str, permissions: Value) -> (Client, u64) {
    let (_, branches) = t.get(owner, "/api/v1/branches").await;
    let (st, r) = t.post(owner, "/api/v1/roles", json!({"name": format!("Роль {email}"), "permissions": permissions})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (st, u) = t
        .post(owner, "/api/v1/users", json!({"email": email, "name": format!("Менеджер {email}"), "role": "staff", "custom_role": r["id"], "branches": [branches[0]["id"]], "password": "password-456"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    (t.login(email, "password-456").await, u["user"]["id"].as_u64().expect("user id"))
}

/// The stage ids of the first pipeline, in board order.
pub async fn stages(t: &TestApp, c: &Client) -> Vec<u64> {
    let (s, ps) = t.get(c, "/api/v1/crm/pipelines").await;
    assert_eq!(s, StatusCode::OK, "{ps}");
    ps[0]["stages"].as_array().expect("stages").iter().map(|s| s["id"].as_u64().expect("stage id")).collect()
}

pub async fn deal(t: &TestApp, c: &Client, body: Value) -> Value {
    let (s, d) = t.post(c, "/api/v1/crm/deals", body).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    d
}

async fn move_to(t: &TestApp, c: &Client, deal: &Value, stage: u64, reason: &str) -> (StatusCode, Value) {
    t.post(c, &format!("/api/v1/crm/deals/{}/move", deal["id"]), json!({"stage": stage, "lost_reason": reason})).await
}

#[tokio::test]
async fn deals_move_across_the_board_and_won_and_lost_are_terminal() {
    let t = TestApp::spawn().await;
    let o = owner(&t, "owner@crm.kg").await;

    // Before the first deal the board shows the default pipeline, not yet stored.
    let (s, ps) = t.get(&o, "/api/v1/crm/pipelines").await;
    assert_eq!(s, StatusCode::OK, "{ps}");
    assert_eq!((ps[0]["id"].as_u64(), ps[0]["stages"].as_array().map(Vec::len)), (Some(0), Some(5)), "{ps}");

    let cl = client(&t, &o, "ОсОО Ала-Тоо Трейд").await;
    let (s, k) = t
        .post(
            &o,
            &format!("/api/v1/crm/clients/{cl}/contacts"),
            json!({"name": "Бакыт Асанов", "position": "Закупщик", "phones": ["0555 123 456"], "email": "Bakyt@Ala-Too.KG"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    assert_eq!((k["phones"][0].as_str(), k["email"].as_str()), (Some("+996555123456"), Some("bakyt@ala-too.kg")), "{k}");
    let (s, e) = t.post(&o, &format!("/api/v1/crm/clients/{cl}/contacts"), json!({"name": "", "phones": ["12"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(field_codes(&e).contains(&"required".to_string()), "{e}");

    let (s, p) = t.post(&o, "/api/v1/products", json!({"name": "Кондиционер", "price": "25000"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let d = deal(
        &t,
        &o,
        json!({"title": "Кондиционеры в офис", "client": cl, "contact": k["id"], "expected_close": "2026-03-20",
               "lines": [{"product": p["id"], "qty": "3"}, {"product": p["id"], "qty": "1", "price": "20000"}]}),
    )
    .await;
    assert_eq!((d["value"].as_str(), d["status"].as_str()), (Some("95000.00"), Some("open")), "{d}");
    let st = stages(&t, &o).await;
    assert!(st.iter().all(|s| *s > 0), "the first deal stored the default pipeline: {st:?}");
    assert_eq!(d["stage"].as_u64(), Some(st[0]));

    let (s, b) = t.get(&o, "/api/v1/crm/board").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!((b["columns"][0]["count"].as_u64(), b["columns"][0]["value"].as_str()), (Some(1), Some("95000.00")), "{b}");
    assert_eq!(b["columns"][0]["deals"][0]["id"], d["id"]);

    let (s, m) = move_to(&t, &o, &d, st[2], "").await;
    assert_eq!((s, m["stage"].as_u64()), (StatusCode::OK, Some(st[2])), "{m}");
    let (s, b) = t.get(&o, "/api/v1/crm/board").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((b["columns"][0]["count"].as_u64(), b["columns"][2]["count"].as_u64()), (Some(0), Some(1)), "{b}");

    // Lost needs a reason from the pipeline's list.
    let (s, e) = move_to(&t, &o, &d, st[4], "").await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["lost_reason_required".to_string()]), "{e}");
    let (s, e) = move_to(&t, &o, &d, st[4], "Погода").await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_lost_reason".to_string()]), "{e}");
    let (s, e) = move_to(&t, &o, &d, 999_999, "").await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_stage".to_string()]), "{e}");

    // Won is terminal; so is lost.
    let (s, w) = move_to(&t, &o, &d, st[3], "").await;
    assert_eq!((s, w["status"].as_str()), (StatusCode::OK, Some("won")), "{w}");
    let (s, e) = move_to(&t, &o, &d, st[0], "").await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("deal_closed")), "{e}");
    let d2 = deal(&t, &o, json!({"title": "Сервис", "value": "1000", "client": cl})).await;
    let (s, l) = move_to(&t, &o, &d2, st[4], "Дорого").await;
    assert_eq!((s, l["status"].as_str(), l["lost_reason"].as_str()), (StatusCode::OK, Some("lost"), Some("Дорого")), "{l}");
    let (s, e) = move_to(&t, &o, &d2, st[1], "").await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("deal_closed")), "{e}");

    // Forecast: open stages weigh value by probability (10 % and 60 %).
    deal(&t, &o, json!({"title": "Лид", "value": "1000"})).await;
    let d4 = deal(&t, &o, json!({"title": "Переговоры", "value": "500.50"})).await;
    move_to(&t, &o, &d4, st[2], "").await;
    let (s, f) = t.get(&o, "/api/v1/crm/forecast").await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!((f["total_value"].as_str(), f["total_weighted"].as_str()), (Some("1500.50"), Some("400.30")), "{f}");
    assert_eq!(f["by_stage"][3]["value"].as_str(), Some("95000.00"), "{f}");
    assert_eq!(f["by_owner"].as_array().map(Vec::len), Some(1), "{f}");

    // The list view filters by stage, client and expected close.
    let (_, l) = t.get(&o, &format!("/api/v1/crm/deals?client={cl}")).await;
    assert_eq!(l.as_array().map(Vec::len), Some(2), "{l}");
    let (_, l) = t.get(&o, &format!("/api/v1/crm/deals?stage={}", st[2])).await;
    assert_eq!(l[0]["id"], d4["id"], "{l}");
    let (_, l) = t.get(&o, "/api/v1/crm/deals?close_from=2026-03-01&close_to=2026-03-31").await;
    assert_eq!((l.as_array().map(Vec::len), &l[0]["id"]), (Some(1), &d["id"]), "{l}");

    // Bad input: stable codes, never a 500.
    for (body, code) in [
        (json!({"title": ""}), "required"),
        (json!({"title": "x", "value": "-5"}), "amount"),
        (json!({"title": "x", "value": "1e5"}), "amount"),
        (json!({"title": "x", "client": 999_999}), "unknown_client"),
        (json!({"title": "x", "lines": [{"product": 999_999}]}), "unknown_product"),
        (json!({"title": "x", "expected_close": "20.03.2026"}), "date"),
        (json!({"title": "x", "stage": st[3]}), "stage_terminal"),
        (json!({"title": "x", "client": cl, "contact": 999_999}), "unknown_contact"),
    ] {
        let (s, e) = t.post(&o, "/api/v1/crm/deals", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        let codes = field_codes(&e);
        assert!(codes.iter().any(|c| c.contains(code)), "{body}: {code} not in {codes:?}");
    }
    let (s, e) = t.post(&o, "/api/v1/crm/deals", json!({"title": "x", "colour": "red"})).await;
    assert!(s.is_client_error(), "{s} {e}");
    t.assert_consistent();
}

#[tokio::test]
async fn pipelines_are_edited_and_a_stage_holding_deals_stays() {
    let t = TestApp::spawn().await;
    let o = owner(&t, "owner@pipes.kg").await;
    let d = deal(&t, &o, json!({"title": "Первая", "value": "10"})).await;
    let (_, ps) = t.get(&o, "/api/v1/crm/pipelines").await;
    let pid = ps[0]["id"].as_u64().expect("pipeline");
    let st = stages(&t, &o).await;
    // Drop the first stage (it holds the deal): refused.
    let body = json!({"name": "Продажи", "lost_reasons": ["Дорого"], "stages": [
        {"id": st[1], "name": "Квалификация", "probability": 30},
        {"id": st[3], "name": "Выиграна", "kind": "won"},
        {"id": st[4], "name": "Проиграна", "kind": "lost"}]});
    let (s, e) = t.put(&o, &format!("/api/v1/crm/pipelines/{pid}"), body).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("stage_has_deals")), "{e}");
    for (stages, code) in [
        (json!([{"name": "Один", "probability": 10}, {"name": "Потеряна", "kind": "lost"}]), "stages_incomplete"),
        (json!([{"name": "Один", "probability": 150}, {"name": "В", "kind": "won"}, {"name": "П", "kind": "lost"}]), "probability"),
        (json!([{"name": "Один", "kind": "maybe"}, {"name": "В", "kind": "won"}, {"name": "П", "kind": "lost"}]), "stage_kind"),
        (json!([{"id": 424242, "name": "Чужой"}, {"name": "В", "kind": "won"}, {"name": "П", "kind": "lost"}]), "unknown_stage"),
    ] {
        let (s, e) = t.put(&o, &format!("/api/v1/crm/pipelines/{pid}"), json!({"name": "Продажи", "stages": stages})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert!(field_codes(&e).contains(&code.to_string()), "{code}: {e}");
    }
    // Reorder, rename, add a stage; the deal stays on its stage.
    let body = json!({"name": "Опт", "lost_reasons": ["Дорого", "Пропал"], "stages": [
        {"id": st[0], "name": "Новый лид", "probability": 5},
        {"name": "Счёт выставлен", "probability": 80},
        {"id": st[3], "name": "Выиграна", "kind": "won"},
        {"id": st[4], "name": "Проиграна", "kind": "lost"}]});
    let (s, p) = t.put(&o, &format!("/api/v1/crm/pipelines/{pid}"), body).await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(
        (p["name"].as_str(), p["stages"].as_array().map(Vec::len), p["stages"][0]["name"].as_str()),
        (Some("Опт"), Some(4), Some("Новый лид"))
    );
    let (_, again) = t.get(&o, &format!("/api/v1/crm/deals/{}", d["id"])).await;
    assert_eq!(again["stage"].as_u64(), Some(st[0]));
    // A second pipeline; deals name it explicitly.
    let (s, p2) = t
        .post(&o, "/api/v1/crm/pipelines", json!({"name": "Сервис", "stages": [{"name": "Заявка", "probability": 50}, {"name": "Готово", "kind": "won"}, {"name": "Отказ", "kind": "lost"}]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p2}");
    let d2 = deal(&t, &o, json!({"title": "Ремонт", "pipeline": p2["id"]})).await;
    assert_eq!(d2["stage"], p2["stages"][0]["id"]);
    let (s, b) = t.get(&o, &format!("/api/v1/crm/board?pipeline={}", p2["id"])).await;
    assert_eq!((s, b["columns"][0]["count"].as_u64()), (StatusCode::OK, Some(1)), "{b}");
    let (s, e) = t.post(&o, &format!("/api/v1/crm/deals/{}/move", d2["id"]), json!({"stage": st[0]})).await;
    assert_eq!(
        (s, field_codes(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_stage".to_string()]),
        "another pipeline's stage: {e}"
    );
    t.assert_consistent();
}

#[tokio::test]
async fn tasks_go_pending_in_progress_done_and_fill_the_lists_and_reminders() {
    let t = TestApp::spawn().await;
    let o = owner(&t, "owner@tasks.kg").await;
    let cl = client(&t, &o, "Нурлан").await;
    let d = deal(&t, &o, json!({"title": "Поставка", "client": cl, "value": "100"})).await;
    // 2026-03-01 09:00 UTC is 15:00 in Bishkek.
    let (s, soon) =
        t.post(&o, "/api/v1/crm/tasks", json!({"kind": "call", "title": "Позвонить", "due": "2026-03-01T15:30", "deal": d["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{soon}");
    assert_eq!((soon["status"].as_str(), soon["client"].as_u64()), (Some("pending"), Some(cl)), "the deal's client: {soon}");
    let (_, later) = t.post(&o, "/api/v1/crm/tasks", json!({"kind": "meeting", "title": "Встреча", "due": "2026-03-01 20:00"})).await;
    let (_, late) = t.post(&o, "/api/v1/crm/tasks", json!({"title": "Отправить КП", "due": "2026-02-27"})).await;
    let (_, next_week) = t.post(&o, "/api/v1/crm/tasks", json!({"kind": "message", "title": "Напомнить", "due": "2026-03-08T10:00"})).await;

    let ids = |v: &Value| -> Vec<u64> {
        v.as_array().unwrap_or_else(|| panic!("list: {v}")).iter().map(|x| x["id"].as_u64().expect("id")).collect()
    };
    let (_, r) = t.get(&o, "/api/v1/crm/reminders").await;
    assert_eq!(ids(&r), vec![late["id"].as_u64().unwrap(), soon["id"].as_u64().unwrap()], "overdue and due within the hour: {r}");
    let (_, my) = t.get(&o, "/api/v1/crm/tasks").await;
    assert_eq!(ids(&my).len(), 4);
    let (_, over) = t.get(&o, "/api/v1/crm/tasks?list=overdue").await;
    assert_eq!(ids(&over), vec![late["id"].as_u64().unwrap()]);
    let (_, today) = t.get(&o, "/api/v1/crm/tasks?list=today").await;
    assert_eq!(ids(&today), vec![soon["id"].as_u64().unwrap(), later["id"].as_u64().unwrap()]);
    let (s, e) = t.get(&o, "/api/v1/crm/tasks?list=someday").await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_list")), "{e}");
    assert!(ids(&my).contains(&next_week["id"].as_u64().unwrap()));

    // pending → in_progress → done; done is final.
    let path = format!("/api/v1/crm/tasks/{}/status", soon["id"]);
    let (s, x) = t.post(&o, &path, json!({"status": "in_progress"})).await;
    assert_eq!((s, x["status"].as_str()), (StatusCode::OK, Some("in_progress")), "{x}");
    let (s, e) = t.post(&o, &path, json!({"status": "pending"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("task_status")), "{e}");
    let (s, x) = t.post(&o, &path, json!({"status": "done"})).await;
    assert_eq!((s, x["status"].as_str(), x["done_at"].is_string()), (StatusCode::OK, Some("done"), true), "{x}");
    let (s, e) = t.post(&o, &path, json!({"status": "in_progress"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("task_status")), "{e}");
    let (s, e) = t.put(&o, &format!("/api/v1/crm/tasks/{}", soon["id"]), json!({"title": "Ещё раз", "due": "2026-03-02"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("task_done")), "{e}");
    let (s, e) = t.post(&o, &path, json!({"status": "finished"})).await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["task_status".to_string()]), "{e}");
    let (_, r) = t.get(&o, "/api/v1/crm/reminders").await;
    assert_eq!(ids(&r), vec![late["id"].as_u64().unwrap()], "a done task leaves the reminders");
    let (_, dt) = t.get(&o, &format!("/api/v1/crm/deals/{}/tasks", d["id"])).await;
    assert_eq!(ids(&dt), vec![soon["id"].as_u64().unwrap()]);

    // Time passes: the evening meeting comes within the hour.
    t.clock.advance_ms(4 * 3_600_000 + 30 * 60_000);
    let o = t.login("owner@tasks.kg", "password-123").await;
    let (_, r) = t.get(&o, "/api/v1/crm/reminders").await;
    assert!(ids(&r).contains(&later["id"].as_u64().unwrap()), "{r}");

    for (body, code) in [
        (json!({"title": "x", "due": "завтра"}), "due"),
        (json!({"title": "x", "due": ""}), "required"),
        (json!({"title": "x", "due": "2026-03-02", "kind": "party"}), "task_kind"),
        (json!({"title": "x", "due": "2026-03-02", "deal": 999_999}), "unknown_deal"),
        (json!({"title": "x", "due": "2026-03-02", "assignee": 999_999}), "unknown_user"),
    ] {
        let (s, e) = t.post(&o, "/api/v1/crm/tasks", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert!(field_codes(&e).contains(&code.to_string()), "{body}: {e}");
    }
    t.assert_consistent();
}

#[tokio::test]
async fn salespeople_see_and_move_only_their_own_deals() {
    let t = TestApp::spawn().await;
    let o = owner(&t, "owner@sales.kg").await;
    let (a, a_id) = staff(&t, &o, "a@sales.kg", json!(["crm_deals", "crm_tasks", "clients"])).await;
    let (b, b_id) = staff(&t, &o, "b@sales.kg", json!(["crm_deals"])).await;
    let (boss, _) = staff(&t, &o, "boss@sales.kg", json!(["crm_deals", "crm_all_deals"])).await;
    let (cashier, _) = staff(&t, &o, "cash@sales.kg", json!(["sale", "clients"])).await;

    let da = deal(&t, &a, json!({"title": "Сделка А", "value": "100"})).await;
    let db = deal(&t, &b, json!({"title": "Сделка Б", "value": "200"})).await;
    assert_eq!((da["owner"].as_u64(), db["owner"].as_u64()), (Some(a_id), Some(b_id)));
    let st = stages(&t, &a).await;

    let (s, e) = t.get(&b, &format!("/api/v1/crm/deals/{}", da["id"])).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, _) = move_to(&t, &b, &da, st[1], "").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.put(&b, &format!("/api/v1/crm/deals/{}", da["id"]), json!({"title": "Моя"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, board) = t.get(&b, "/api/v1/crm/board").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!((board["columns"][0]["count"].as_u64(), &board["columns"][0]["deals"][0]["id"]), (Some(1), &db["id"]), "{board}");
    let (s, _) = t.get(&b, &format!("/api/v1/crm/deals?owner={a_id}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, f) = t.get(&b, "/api/v1/crm/forecast").await;
    assert_eq!(f["total_value"].as_str(), Some("200.00"), "{f}");
    let (s, _) = t.post(&a, "/api/v1/crm/deals", json!({"title": "Подарок", "owner": b_id})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // crm_all_deals sees and moves everyone's, and hands deals over.
    let (_, board) = t.get(&boss, "/api/v1/crm/board").await;
    assert_eq!(board["columns"][0]["count"].as_u64(), Some(2), "{board}");
    let (s, m) = move_to(&t, &boss, &da, st[1], "").await;
    assert_eq!(s, StatusCode::OK, "{m}");
    let (s, h) =
        t.put(&boss, &format!("/api/v1/crm/deals/{}", db["id"]), json!({"title": "Сделка Б", "value": "200", "owner": a_id})).await;
    assert_eq!((s, h["owner"].as_u64()), (StatusCode::OK, Some(a_id)), "{h}");
    let (s, _) = t.get(&b, &format!("/api/v1/crm/deals/{}", db["id"])).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "handed over");

    // Without any CRM right, or without the settings right, it is 403.
    for (method, path, body) in [
        (Method::GET, "/api/v1/crm/board".to_string(), None),
        (Method::GET, "/api/v1/crm/pipelines".to_string(), None),
        (Method::POST, "/api/v1/crm/deals".to_string(), Some(json!({"title": "x"}))),
        (Method::GET, "/api/v1/crm/tasks".to_string(), None),
        (Method::POST, "/api/v1/crm/tasks".to_string(), Some(json!({"title": "x", "due": "2026-03-02"}))),
        (Method::GET, format!("/api/v1/crm/deals/{}", da["id"]), None),
    ] {
        let (s, e) = t.call(method.clone(), &path, Some(&cashier.token), body).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{method} {path}: {e}");
    }
    let (s, e) = t.put(&a, &format!("/api/v1/crm/pipelines/{}", 0), json!({"name": "x", "stages": []})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");
    let (s, e) = t.post(&b, "/api/v1/crm/tasks", json!({"title": "x", "due": "2026-03-02"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "tasks need crm_tasks: {e}");
    // Tasks: a's own are not b's or anyone else's to see.
    let (_, task) = t.post(&a, "/api/v1/crm/tasks", json!({"title": "Свой звонок", "due": "2026-03-02"})).await;
    let (s, _) = t.get(&boss, &format!("/api/v1/crm/tasks/{}", task["id"])).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "boss lacks crm_tasks");
    let (s, _) = t.get(&o, &format!("/api/v1/crm/tasks/{}", task["id"])).await;
    assert_eq!(s, StatusCode::OK, "the owner sees every task");
    t.assert_consistent();
}

#[tokio::test]
async fn the_client_timeline_merges_crm_events_debts_and_installments_page_by_page() {
    let t = TestApp::spawn().await;
    let o = owner(&t, "owner@timeline.kg").await;
    let cl = client(&t, &o, "Айпери").await;
    let other = client(&t, &o, "Другой клиент").await;
    let (s, debt) = t.post(&o, &format!("/api/v1/clients/{cl}/debts"), json!({"amount": "300"})).await;
    assert_eq!(s, StatusCode::CREATED, "{debt}");
    t.clock.advance_ms(60_000);
    let (s, inst) = t
        .post(&o, &format!("/api/v1/clients/{cl}/deals"), json!({"kind": "debt", "title": "Холодильник", "amount": "900", "months": 3}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    t.clock.advance_ms(60_000);
    t.post(&o, &format!("/api/v1/crm/clients/{cl}/contacts"), json!({"name": "Айпери", "phones": ["+996 700 111 222"]})).await;
    let d = deal(&t, &o, json!({"title": "Большой заказ", "client": cl, "value": "5000"})).await;
    deal(&t, &o, json!({"title": "Чужая сделка", "client": other, "value": "1"})).await;
    for i in 0..60 {
        t.clock.advance_ms(1_000);
        let (s, x) = t.post(&o, "/api/v1/crm/tasks", json!({"title": format!("Задача {i}"), "due": "2026-03-05", "client": cl})).await;
        assert_eq!(s, StatusCode::CREATED, "{x}");
    }
    t.clock.advance_ms(1_000);
    let st = stages(&t, &o).await;
    move_to(&t, &o, &d, st[3], "").await;

    let (s, p1) = t.get(&o, &format!("/api/v1/crm/clients/{cl}/timeline")).await;
    assert_eq!(s, StatusCode::OK, "{p1}");
    let items = p1["items"].as_array().expect("items");
    assert_eq!(items.len(), 50);
    assert_eq!(
        (items[0]["kind"].as_str(), items[0]["target"].as_str()),
        (Some("deal_won"), Some(format!("crm_deal:{}", d["id"]).as_str())),
        "{p1}"
    );
    assert_eq!(items[1]["text"].as_str(), Some("Задача 59"));
    let next = p1["next"].as_str().expect("a next page");
    let (s, p2) = t.get(&o, &format!("/api/v1/crm/clients/{cl}/timeline?cursor={next}")).await;
    assert_eq!(s, StatusCode::OK, "{p2}");
    let kinds: Vec<&str> = p2["items"].as_array().expect("items").iter().filter_map(|i| i["kind"].as_str()).collect();
    assert_eq!(
        kinds,
        ["task_created"; 11].iter().copied().chain(["deal_created", "contact_added", "installment", "debt"]).collect::<Vec<_>>(),
        "{p2}"
    );
    assert!(p2["next"].is_null(), "{p2}");
    let all: Vec<String> =
        items.iter().chain(p2["items"].as_array().expect("items")).map(|i| format!("{}{}", i["kind"], i["text"])).collect();
    assert!(!all.iter().any(|x| x.contains("Чужая")), "another client's deal is not on this timeline");

    let (s, small) = t.get(&o, &format!("/api/v1/crm/clients/{cl}/timeline?limit=500")).await;
    assert_eq!((s, small["items"].as_array().map(Vec::len)), (StatusCode::OK, Some(50)), "pages stay at 50");
    let (s, e) = t.get(&o, &format!("/api/v1/crm/clients/{cl}/timeline?cursor=garbage")).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_cursor")), "{e}");
    let (s, _) = t.get(&o, "/api/v1/crm/clients/999999/timeline").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    t.assert_consistent();
}

/// Issue 17 bug: saving the deal edit form (which has no lines) wiped the deal's product
/// lines. Editing title, value or notes keeps the lines; the lines are edited by their own
/// form on the same page; an API edit without `lines` keeps them too.
#[tokio::test]
async fn editing_a_deal_keeps_its_lines_and_lines_are_edited_where_they_are_shown() {
    use crate::browser::{Plain, csrf_of, location};
    let t = TestApp::spawn().await;
    let o = owner(&t, "owner@dealedit.kg").await;
    let cl = client(&t, &o, "ОсОО Бишкек Сервис").await;
    let (_, p) = t.post(&o, "/api/v1/products", json!({"name": "Принтер", "price": "12000"})).await;
    let (_, q) = t.post(&o, "/api/v1/products", json!({"name": "Картридж", "price": "1500"})).await;
    let d = deal(&t, &o, json!({"title": "Принтеры", "client": cl, "lines": [{"product": p["id"], "qty": "2"}]})).await;
    assert_eq!(d["value"].as_str(), Some("24000.00"), "{d}");
    let id = d["id"].as_u64().expect("id");

    let w = Plain::new(&t);
    let r = w.submit("/login", &[("email", "owner@dealedit.kg"), ("password", "password-123"), ("next", "/crm")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let page = w.get(&format!("/crm/deals/{id}")).await.text().await.expect("body");
    assert!(page.contains("deal-lines-form") && page.contains("Принтер"), "the deal page edits its lines");
    let csrf = csrf_of(&page);
    let cls = cl.to_string();
    let form = [("_csrf", csrf.as_str()), ("title", "Принтеры в офис"), ("client", cls.as_str()), ("notes", "срочно")];
    let r = w.post(&format!("/crm/deals/{id}"), &form).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/crm/deals/{id}?ok=deal_saved").as_str()));
    let (_, after) = t.get(&o, &format!("/api/v1/crm/deals/{id}")).await;
    assert_eq!(after["title"].as_str(), Some("Принтеры в офис"), "{after}");
    assert_eq!(after["lines"].as_array().map(Vec::len), Some(1), "the edit form kept the lines: {after}");
    assert_eq!(after["value"].as_str(), Some("24000.00"), "{after}");

    // The lines form: change the qty of the first, add a second product at its price.
    let (ps, qs) = (p["id"].to_string(), q["id"].to_string());
    let form = [
        ("_csrf", csrf.as_str()),
        ("line_product", ps.as_str()),
        ("line_qty", "3"),
        ("line_price", "11000"),
        ("line_product", qs.as_str()),
        ("line_qty", "4"),
        ("line_price", ""),
    ];
    let r = w.post(&format!("/crm/deals/{id}/lines"), &form).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/crm/deals/{id}?ok=lines_saved").as_str()));
    let (_, after) = t.get(&o, &format!("/api/v1/crm/deals/{id}")).await;
    assert_eq!((after["lines"].as_array().map(Vec::len), after["value"].as_str()), (Some(2), Some("39000.00")), "{after}");
    assert_eq!((after["title"].as_str(), after["notes"].as_str()), (Some("Принтеры в офис"), Some("срочно")), "{after}");
    // Bad input on the lines form is a 422 page, never a 500; nothing changes.
    let form = [("_csrf", csrf.as_str()), ("line_product", ps.as_str()), ("line_qty", "-1"), ("line_price", "")];
    let r = w.post(&format!("/crm/deals/{id}/lines"), &form).await;
    assert_eq!(r.status().as_u16(), 422);
    // Removing a row.
    let form = [
        ("_csrf", csrf.as_str()),
        ("line_product", ps.as_str()),
        ("line_qty", "3"),
        ("line_price", "11000"),
        ("line_remove", "0"),
        ("line_product", qs.as_str()),
        ("line_qty", "4"),
        ("line_price", "1500"),
    ];
    let r = w.post(&format!("/crm/deals/{id}/lines"), &form).await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, after) = t.get(&o, &format!("/api/v1/crm/deals/{id}")).await;
    assert_eq!((after["lines"].as_array().map(Vec::len), after["value"].as_str()), (Some(1), Some("6000.00")), "{after}");

    // The API: a PUT without `lines` keeps them; `lines: []` clears them.
    let (s, put) = t.put(&o, &format!("/api/v1/crm/deals/{id}"), json!({"title": "Картриджи", "client": cl})).await;
    assert_eq!((s, put["lines"].as_array().map(Vec::len), put["value"].as_str()), (StatusCode::OK, Some(1), Some("6000.00")), "{put}");
    let (s, put) = t.put(&o, &format!("/api/v1/crm/deals/{id}"), json!({"title": "Картриджи", "value": "500", "lines": []})).await;
    assert_eq!((s, put["lines"].as_array().map(Vec::len), put["value"].as_str()), (StatusCode::OK, Some(0), Some("500.00")), "{put}");
    t.assert_consistent();
}
