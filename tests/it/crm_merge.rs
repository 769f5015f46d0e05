//! Duplicate clients through the API and the page: detection by phone, e-mail, INN and name;
//! a merge moves the duplicate's sales, debt ledger, installment deals, CRM deals, tasks,
//! contacts, orders, timeline, reviews and calendar events to the survivor in one
//! transaction (documents, agents' requests and till carts: the property test in
//! `src/dedup/tests.rs`), `dukan check` stays
//! clean; undo on the same day restores exactly, and is refused the next day or once a moved
//! record changed; rights; another company's clients and merges are "not found".

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of, location};
use crate::common::{Client, TestApp};
use crate::crm::staff;
use crate::pos::till;

async fn new_client(t: &TestApp, c: &Client, body: Value) -> u64 {
    let (s, v) = t.post(c, "/api/v1/clients", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["client"]["id"].as_u64().expect("id")
}

/// What the API shows linked to a client: deal ids, task titles, contact names, debt balance
/// and ledger kinds, installment deal ids, order ids, sale count.
async fn links(t: &TestApp, c: &Client, cl: u64) -> Value {
    let ids = |v: &Value, key: &str| -> Vec<Value> {
        let mut out: Vec<Value> = v.as_array().map(|a| a.iter().map(|x| x[key].clone()).collect()).unwrap_or_default();
        out.sort_by_key(|x| x.to_string());
        out
    };
    let (_, deals) = t.get(c, &format!("/api/v1/crm/deals?client={cl}")).await;
    let (_, contacts) = t.get(c, &format!("/api/v1/crm/clients/{cl}/contacts")).await;
    let (_, debts) = t.get(c, &format!("/api/v1/clients/{cl}/debts")).await;
    let (_, inst) = t.get(c, &format!("/api/v1/clients/{cl}/deals")).await;
    let (_, orders) = t.get(c, &format!("/api/v1/crm/orders?client={cl}")).await;
    let (_, timeline) = t.get(c, &format!("/api/v1/crm/clients/{cl}/timeline?limit=50")).await;
    let (_, reviews) = t.get(c, &format!("/api/v1/crm/clients/{cl}/reviews")).await;
    let (_, events) = t.get(c, &format!("/api/v1/crm/clients/{cl}/events")).await;
    json!({
        "deals": ids(&deals, "id"),
        "contacts": ids(&contacts, "name"),
        "balance": debts["balance"],
        "entries": debts["entries"].as_array().map(Vec::len),
        "installments": ids(&inst, "id"),
        "orders": ids(&orders, "id"),
        "timeline": timeline["items"].as_array().map(Vec::len),
        "reviews": ids(&reviews, "id"),
        "events": ids(&events, "id"),
    })
}

#[tokio::test]
async fn a_merge_moves_every_linked_record_and_undo_restores_it() {
    let t = TestApp::spawn().await;
    let k = till(&t, "owner@merge.kg").await;
    let c = &k.s.c;
    let keep = new_client(&t, c, json!({"name": "ОсОО Ала-Тоо Трейд", "phone": "0555 111 222"})).await;
    let dup = new_client(&t, c, json!({"name": "Ала-Тоо Трейд", "phone": "+996 555 111 222", "email": "info@alatoo.kg"})).await;
    let other = new_client(&t, c, json!({"name": "Кафе Арзу", "phone": "0700 999 888"})).await;

    // The duplicate's history: a debt sale, a manual debt, an installment deal, a CRM deal with
    // a task and a contact, an order. The survivor has a debt of its own.
    let sale = |key: &str, client: u64| json!({"idempotency_key": key, "cash_box": k.cash_box, "client": client, "lines": [{"product": k.s.milk, "qty": "2"}], "payments": [{"method": "debt", "amount": "204"}]});
    let (s, v) = t.post(c, "/api/v1/sales", sale("m-1", dup)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = t.post(c, "/api/v1/sales", sale("m-2", keep)).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = t.post(c, &format!("/api/v1/clients/{dup}/debts"), json!({"amount": "50"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, inst) = t.post(c, &format!("/api/v1/clients/{dup}/deals"), json!({"kind": "debt", "amount": "600", "months": 3})).await;
    assert_eq!(s, StatusCode::CREATED, "{inst}");
    let (s, d) = t.post(c, "/api/v1/crm/deals", json!({"title": "Поставка", "value": "1000", "client": dup})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (s, task) =
        t.post(c, "/api/v1/crm/tasks", json!({"title": "Позвонить", "due": "2026-03-05", "client": dup, "deal": d["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{task}");
    let (s, k1) = t.post(c, &format!("/api/v1/crm/clients/{dup}/contacts"), json!({"name": "Бакыт", "phones": ["0555 000 001"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{k1}");
    let (s, o) =
        t.post(c, "/api/v1/crm/orders", json!({"client": dup, "warehouse": k.s.main, "lines": [{"product": k.s.milk, "qty": "1"}]})).await;
    assert_eq!(s, StatusCode::CREATED, "{o}");
    let (s, r) = t.post(c, &format!("/api/v1/crm/clients/{dup}/reviews"), json!({"rating": 5, "text": "Всё привезли"})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, ev) =
        t.post(c, "/api/v1/crm/calendar/events", json!({"title": "Встреча в офисе", "start": "2026-03-06T10:00", "client": dup})).await;
    assert_eq!(s, StatusCode::CREATED, "{ev}");
    let before_keep = links(&t, c, keep).await;
    let before_dup = links(&t, c, dup).await;

    // Detection: the same E.164 phone and nearly the same name.
    let (s, pairs) = t.get(c, "/api/v1/crm/duplicates").await;
    assert_eq!(s, StatusCode::OK, "{pairs}");
    let pair = pairs.as_array().expect("pairs").iter().find(|p| p["a"]["id"] == json!(keep) && p["b"]["id"] == json!(dup)).cloned();
    let pair = pair.unwrap_or_else(|| panic!("the pair is listed: {pairs}"));
    assert_eq!(pair["reasons"], json!(["phone", "name"]), "{pair}");
    assert!(!pairs.to_string().contains(&format!("\"id\":{other}")), "an unrelated client is no candidate: {pairs}");

    // Merge.
    let (s, m) = t.post(c, "/api/v1/crm/merges", json!({"survivor": keep, "duplicate": dup})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(
        (m["sales"].as_u64(), m["debt_rows"].as_u64(), m["crm_deals"].as_u64(), m["tasks"].as_u64(), m["contacts"].as_u64()),
        (Some(1), Some(2), Some(1), Some(1), Some(1)),
        "{m}"
    );
    assert_eq!((m["installment_deals"].as_u64(), m["orders"].as_u64()), (Some(1), Some(1)), "{m}");
    assert_eq!((m["reviews"].as_u64(), m["calendar_events"].as_u64(), m["documents"].as_u64()), (Some(1), Some(1), Some(0)), "{m}");
    let after = links(&t, c, keep).await;
    assert_eq!(after["balance"], "458.00", "204 + 204 + 50: {after}");
    assert_eq!(after["entries"].as_u64(), Some(3), "{after}");
    assert_eq!(after["deals"], json!([d["id"]]), "{after}");
    assert_eq!(after["contacts"], json!(["Бакыт"]), "{after}");
    assert_eq!(after["installments"], json!([inst["id"]]), "{after}");
    assert_eq!(after["orders"], json!([o["id"]]), "{after}");
    assert_eq!(after["reviews"], json!([r["id"]]), "{after}");
    assert_eq!(after["events"], json!([ev["event"]["id"]]), "{after}");
    let (_, tk) = t.get(c, &format!("/api/v1/crm/tasks/{}", task["id"])).await;
    assert_eq!(tk["client"].as_u64(), Some(keep), "{tk}");
    let (_, sales) = t.get(c, &format!("/api/v1/clients/{keep}/sales")).await;
    assert_eq!(sales.as_array().map(Vec::len).or(sales["items"].as_array().map(Vec::len)), Some(2), "{sales}");
    let (_, dc) = t.get(c, &format!("/api/v1/clients/{dup}")).await;
    assert_eq!(dc["client"]["archived"], json!(true), "the duplicate is archived: {dc}");
    let empty = links(&t, c, dup).await;
    assert_eq!((empty["deals"].clone(), empty["balance"].clone()), (json!([]), json!("0.00")), "{empty}");
    t.assert_consistent();
    // Neither may be merged again while the merge stands.
    let (s, e) = t.post(c, "/api/v1/crm/merges", json!({"survivor": other, "duplicate": dup})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("merge_merged")), "{e}");

    // Undo on the same day restores exactly.
    let (s, u) = t.post(c, &format!("/api/v1/crm/merges/{}/undo", m["id"]), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{u}");
    assert!(u["undone"].is_string(), "{u}");
    assert_eq!(links(&t, c, keep).await, before_keep);
    assert_eq!(links(&t, c, dup).await, before_dup);
    let (_, dc) = t.get(c, &format!("/api/v1/clients/{dup}")).await;
    assert_eq!(dc["client"]["archived"], json!(false), "{dc}");
    t.assert_consistent();
    let (s, e) = t.post(c, &format!("/api/v1/crm/merges/{}/undo", m["id"]), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("merge_undone")), "{e}");
    let (_, log) = t.get(c, "/api/v1/crm/merges").await;
    assert_eq!(log[0]["id"], m["id"], "{log}");
}

#[tokio::test]
async fn undo_is_refused_the_next_day_or_once_a_moved_record_changed() {
    let t = TestApp::spawn().await;
    let c = crate::crm::owner(&t, "owner@merge2.kg").await;
    let a = crate::crm::client(&t, &c, "Асанов Бакыт").await;
    let b = crate::crm::client(&t, &c, "Бакыт Асанов").await;
    let (_, d) = t.post(&c, "/api/v1/crm/deals", json!({"title": "Сделка", "value": "10", "client": b})).await;

    // Bad input: the same client twice, an unknown one, a missing body field.
    let (s, e) = t.post(&c, "/api/v1/crm/merges", json!({"survivor": a, "duplicate": a})).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("merge_same")), "{e}");
    let (s, e) = t.post(&c, "/api/v1/crm/merges", json!({"survivor": a, "duplicate": 999_999_999u64})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{e}");
    let (s, _) = t.post(&c, "/api/v1/crm/merges", json!({"survivor": a})).await;
    assert!(s.is_client_error(), "{s}");

    // A moved deal edited after the merge: the undo would lose that edit, so it is refused.
    let (s, m) = t.post(&c, "/api/v1/crm/merges", json!({"survivor": a, "duplicate": b})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (s, _) = t.put(&c, &format!("/api/v1/crm/deals/{}", d["id"]), json!({"title": "Сделка после", "value": "10", "client": a})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = t.post(&c, &format!("/api/v1/crm/merges/{}/undo", m["id"]), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("merge_changed")), "{e}");
    t.assert_consistent();

    // The next day, undo is refused.
    let x = crate::crm::client(&t, &c, "Третий").await;
    let y = crate::crm::client(&t, &c, "Четвёртый").await;
    let (s, m2) = t.post(&c, "/api/v1/crm/merges", json!({"survivor": x, "duplicate": y})).await;
    assert_eq!(s, StatusCode::CREATED, "{m2}");
    t.clock.advance_ms(24 * 3_600_000);
    let c = t.login("owner@merge2.kg", "password-123").await;
    let (s, e) = t.post(&c, &format!("/api/v1/crm/merges/{}/undo", m2["id"]), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("merge_too_late")), "{e}");
}

#[tokio::test]
async fn merging_needs_the_right_and_sees_only_its_own_company() {
    let t = TestApp::spawn().await;
    let c = crate::crm::owner(&t, "owner@merge3.kg").await;
    let a = crate::crm::client(&t, &c, "Первый").await;
    let b = crate::crm::client(&t, &c, "Второй").await;
    let (_, owned) = t.post(&c, "/api/v1/crm/deals", json!({"title": "Сделка владельца", "value": "10", "client": b})).await;
    assert!(owned["id"].is_u64());

    // A salesperson: no merging, no duplicates list.
    let (sp, _) = staff(&t, &c, "seller@merge3.kg", json!(["crm_deals", "clients"])).await;
    let (s, _) = t.get(&sp, "/api/v1/crm/duplicates").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.post(&sp, "/api/v1/crm/merges", json!({"survivor": a, "duplicate": b})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // CRM settings without everyone's deals: the duplicate holds a deal they cannot see.
    let (st, _) = staff(&t, &c, "settings@merge3.kg", json!(["crm_settings", "crm_deals", "clients"])).await;
    let (s, e) = t.post(&st, "/api/v1/crm/merges", json!({"survivor": a, "duplicate": b})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{e}");

    // Another company's clients and merges are not found.
    let o2 = crate::crm::owner(&t, "owner@merge4.kg").await;
    let z = crate::crm::client(&t, &o2, "Чужой").await;
    let (s, _) = t.post(&o2, "/api/v1/crm/merges", json!({"survivor": z, "duplicate": b})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, m) = t.post(&c, "/api/v1/crm/merges", json!({"survivor": a, "duplicate": b})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let (s, _) = t.post(&o2, &format!("/api/v1/crm/merges/{}/undo", m["id"]), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, log) = t.get(&o2, "/api/v1/crm/merges").await;
    assert_eq!(log, json!([]), "{log}");

    // The page: the merge log with its undo button; the undo posts back to the page.
    let p = Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@merge3.kg"), ("password", "password-123"), ("next", "/crm/duplicates")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let page = p.get("/crm/duplicates").await.text().await.expect("body");
    assert!(page.contains("merge-log") && page.contains(&format!("undo-{}", m["id"])), "the page lists the merge");
    let csrf = csrf_of(&page);
    let r = p.post(&format!("/crm/merges/{}/undo", m["id"]), &[("_csrf", csrf.as_str())]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/crm/duplicates?ok=merge_undone"));
    // The duplicates page lists the pair again; merge it back from the page.
    let page = p.get("/crm/duplicates?ok=merge_undone").await.text().await.expect("body");
    assert!(page.contains("duplicate-pairs"), "pairs table");
    let (sa, sb) = (a.to_string(), b.to_string());
    let r = p.post("/crm/duplicates/merge", &[("_csrf", csrf.as_str()), ("survivor", sa.as_str()), ("duplicate", sb.as_str())]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/crm/duplicates?ok=merged"));
    let r = p.post("/crm/duplicates/merge", &[("_csrf", csrf.as_str()), ("survivor", sa.as_str()), ("duplicate", sa.as_str())]).await;
    assert_eq!(r.status().as_u16(), 422);
    t.assert_consistent();
}
