//! The calendar through the API and its pages: events with resources and a client (on the
//! client's timeline and card), day / week / month views of the company, a user and a
//! resource, recurrence at its edges (the 31st, weekdays, the bounds), one occurrence
//! cancelled or edited and the whole series edited, conflicts warned about (participant,
//! shared resource) and refused (exclusive resource, 409 `resource_busy`, nothing written),
//! rights (own events only without `crm_all_deals`, others' shown as busy), bad input with
//! stable codes, and another company's ids answering 404 on every page route.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of};
use crate::common::{Client, TestApp};

fn field_codes(v: &Value) -> Vec<String> {
    v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["code"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub async fn resource(t: &TestApp, c: &Client, name: &str, kind: &str, exclusive: bool) -> u64 {
    let (s, r) = t.post(c, "/api/v1/crm/calendar/resources", json!({"name": name, "kind": kind, "exclusive": exclusive})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    r["id"].as_u64().expect("resource id")
}

pub async fn event(t: &TestApp, c: &Client, body: Value) -> Value {
    let (s, e) = t.post(c, "/api/v1/crm/calendar/events", body).await;
    assert_eq!(s, StatusCode::CREATED, "{e}");
    e
}

/// (title, local start "YYYY-MM-DD HH:MM" in Bishkek, conflict) of a view's items.
async fn shown(t: &TestApp, c: &Client, query: &str) -> Vec<(String, String, bool)> {
    let (s, v) = t.get(c, &format!("/api/v1/crm/calendar?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{query}: {v}");
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            let at = dukan::clock::Ts(i["at"].as_i64().expect("at"));
            (i["title"].as_str().unwrap_or("").to_string(), at.format_local("Asia/Bishkek"), i["conflict"] == true)
        })
        .collect()
}

fn item(title: &str, at: &str, conflict: bool) -> (String, String, bool) {
    (title.to_string(), at.to_string(), conflict)
}

/// Milliseconds of a local Bishkek time (UTC+6, no DST).
fn ms(local: &str) -> i64 {
    let dt: jiff::civil::DateTime = local.parse().expect("datetime");
    dt.to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Bishkek").expect("zone")).expect("zoned").timestamp().as_millisecond()
}

#[tokio::test]
async fn events_recur_take_exceptions_and_show_their_conflicts() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@cal.kg").await;
    let client = crate::crm::client(&t, &o, "Айпери Садыкова").await;
    let room = resource(&t, &o, "Кабинет 1", "room", false).await;
    let chair = resource(&t, &o, "Кресло 1", "chair", true).await;

    // A single event with a room and a client: in the week view, the client's list and timeline.
    let e1 = event(
        &t,
        &o,
        json!({"title": "Консультация", "kind": "appointment", "start": "2026-03-02T10:00", "end": "2026-03-02T11:00", "resources": [room], "client": client}),
    )
    .await;
    assert_eq!(e1["conflicts"], json!([]), "{e1}");
    assert_eq!((e1["event"]["start"].as_str(), e1["event"]["zone"].as_str()), (Some("2026-03-02T04:00:00Z"), Some("Asia/Bishkek")));
    assert_eq!(shown(&t, &o, "view=week&date=2026-03-04").await, [item("Консультация", "2026-03-02 10:00", false)]);
    let (_, list) = t.get(&o, &format!("/api/v1/crm/clients/{client}/events")).await;
    assert_eq!(list[0]["title"], "Консультация", "{list}");
    let (_, tl) = t.get(&o, &format!("/api/v1/crm/clients/{client}/timeline")).await;
    assert_eq!(tl["items"][0]["kind"], "calendar_planned", "{tl}");
    assert!(tl["items"][0]["text"].as_str().unwrap_or("").contains("2026-03-02 10:00"), "{tl}");

    // The same room half an hour later: saved, with the first listed as a conflict; both marked.
    let e2 = event(&t, &o, json!({"title": "Планёрка", "start": "2026-03-02T10:30", "end": "2026-03-02T11:30", "resources": [room]})).await;
    assert_eq!(e2["conflicts"].as_array().map(Vec::len), Some(1), "{e2}");
    assert_eq!(e2["conflicts"][0]["event"], e1["event"]["id"]);
    assert_eq!(e2["conflicts"][0]["resources"], json!([room]));
    assert_eq!(
        shown(&t, &o, "view=day&date=2026-03-02").await,
        [item("Консультация", "2026-03-02 10:00", true), item("Планёрка", "2026-03-02 10:30", true)]
    );
    // Touching ends are no overlap; a participant alone makes one.
    let e3 = event(&t, &o, json!({"title": "Звонок", "kind": "call", "start": "2026-03-02T11:30", "end": "2026-03-02T12:00"})).await;
    assert_eq!(e3["conflicts"], json!([]), "{e3}");
    let e4 = event(&t, &o, json!({"title": "Обед", "start": "2026-03-02T11:45", "end": "2026-03-02T12:30"})).await;
    assert_eq!(e4["conflicts"][0]["event"], e3["event"]["id"], "the owner takes part in both: {e4}");

    // An exclusive chair refuses the overlap and writes nothing.
    event(&t, &o, json!({"title": "Стрижка", "start": "2026-03-03T12:00", "end": "2026-03-03T13:00", "resources": [chair]})).await;
    let (s, e) = t
        .post(
            &o,
            "/api/v1/crm/calendar/events",
            json!({"title": "Борода", "start": "2026-03-03T12:30", "end": "2026-03-03T13:30", "resources": [chair]}),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("resource_busy")), "{e}");
    assert_eq!(shown(&t, &o, &format!("view=day&date=2026-03-03&resource={chair}")).await, [item("Стрижка", "2026-03-03 12:00", false)]);
    // Right after it, the chair is free.
    event(&t, &o, json!({"title": "Борода", "start": "2026-03-03T13:00", "end": "2026-03-03T13:30", "resources": [chair]})).await;

    // Monthly on the 31st: the months without one are skipped.
    let m = event(
        &t,
        &o,
        json!({"title": "Отчёт", "start": "2026-01-31T09:00", "end": "2026-01-31T10:00", "repeat": {"freq": "monthly", "count": 4}}),
    )
    .await;
    assert_eq!(m["event"]["repeat"]["freq"], "monthly", "{m}");
    assert_eq!(
        shown(&t, &o, "view=month&date=2026-04-10").await.iter().filter(|i| i.0 == "Отчёт").count(),
        1,
        "only March 31st in April's grid"
    );
    assert_eq!(shown(&t, &o, "view=day&date=2026-03-31").await, [item("Отчёт", "2026-03-31 09:00", false)]);
    assert_eq!(shown(&t, &o, "view=day&date=2026-05-31").await, [item("Отчёт", "2026-05-31 09:00", false)]);
    assert_eq!(shown(&t, &o, "view=day&date=2026-07-31").await, [item("Отчёт", "2026-07-31 09:00", false)]);
    assert!(shown(&t, &o, "view=day&date=2026-08-31").await.is_empty(), "four occurrences, no fifth");

    // Weekly on Monday and Wednesday evenings, four times, in a room.
    let w = event(
        &t,
        &o,
        json!({"title": "Урок", "kind": "lesson", "start": "2026-03-09T18:00", "end": "2026-03-09T19:30", "resources": [room], "repeat": {"freq": "weekly", "weekdays": ["mon", "wed"], "count": 4}}),
    )
    .await;
    let wid = w["event"]["id"].as_u64().expect("series id");
    let week = |date: &'static str| format!("view=week&date={date}&resource={room}");
    assert_eq!(
        shown(&t, &o, &week("2026-03-11")).await,
        [item("Урок", "2026-03-09 18:00", false), item("Урок", "2026-03-11 18:00", false)]
    );
    assert_eq!(
        shown(&t, &o, &week("2026-03-16")).await,
        [item("Урок", "2026-03-16 18:00", false), item("Урок", "2026-03-18 18:00", false)]
    );
    assert!(shown(&t, &o, &week("2026-03-23")).await.is_empty());

    // This occurrence: Wednesday the 11th cancelled (once), Monday the 16th moved to Tuesday.
    let wed = ms("2026-03-11T18:00");
    let (s, series) = t.post(&o, &format!("/api/v1/crm/calendar/events/{wid}/occurrences/{wed}/cancel"), json!({})).await;
    assert_eq!(s, StatusCode::OK, "{series}");
    assert_eq!(series["skipped"].as_array().map(Vec::len), Some(1));
    for at in [wed, ms("2026-03-10T18:00")] {
        let (s, _) = t.post(&o, &format!("/api/v1/crm/calendar/events/{wid}/occurrences/{at}/cancel"), json!({})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "not a live occurrence: {at}");
    }
    assert_eq!(shown(&t, &o, &week("2026-03-11")).await, [item("Урок", "2026-03-09 18:00", false)]);
    let mon = ms("2026-03-16T18:00");
    let body =
        json!({"title": "Урок (перенос)", "kind": "lesson", "start": "2026-03-17T19:00", "end": "2026-03-17T20:30", "resources": [room]});
    let (s, moved) = t.put(&o, &format!("/api/v1/crm/calendar/events/{wid}/occurrences/{mon}"), body).await;
    assert_eq!(s, StatusCode::CREATED, "{moved}");
    assert_eq!(moved["event"]["series"].as_u64(), Some(wid));
    let body = json!({"title": "x", "start": "2026-03-17T19:00", "repeat": {"freq": "daily", "count": 2}});
    let (s, e) = t.put(&o, &format!("/api/v1/crm/calendar/events/{wid}/occurrences/{}", ms("2026-03-18T18:00")), body).await;
    assert_eq!((s, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["occurrence_repeats".to_string()]), "{e}");
    assert_eq!(
        shown(&t, &o, &week("2026-03-16")).await,
        [item("Урок (перенос)", "2026-03-17 19:00", false), item("Урок", "2026-03-18 18:00", false)]
    );

    // The whole series renamed: its skips stay.
    let body = json!({"title": "Английский", "kind": "lesson", "start": "2026-03-09T18:00", "end": "2026-03-09T19:30", "resources": [room], "repeat": {"freq": "weekly", "weekdays": ["mon", "wed"], "count": 4}});
    let (s, e) = t.put(&o, &format!("/api/v1/crm/calendar/events/{wid}"), body).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(
        shown(&t, &o, &week("2026-03-16")).await,
        [item("Урок (перенос)", "2026-03-17 19:00", false), item("Английский", "2026-03-18 18:00", false)]
    );
    assert_eq!(shown(&t, &o, &week("2026-03-11")).await, [item("Английский", "2026-03-09 18:00", false)]);

    // Done and cancelled: a cancelled event takes no time.
    let id1 = e1["event"]["id"].as_u64().expect("id");
    let body = json!({"title": "Консультация", "status": "cancelled", "start": "2026-03-02T10:00", "end": "2026-03-02T11:00", "resources": [room], "client": client});
    let (s, e) = t.put(&o, &format!("/api/v1/crm/calendar/events/{id1}"), body).await;
    assert_eq!((s, e["event"]["status"].as_str()), (StatusCode::OK, Some("cancelled")), "{e}");
    assert_eq!(
        shown(&t, &o, "view=day&date=2026-03-02").await[..2],
        [item("Консультация", "2026-03-02 10:00", false), item("Планёрка", "2026-03-02 10:30", false)]
    );
    let (_, tl) = t.get(&o, &format!("/api/v1/crm/clients/{client}/timeline")).await;
    assert_eq!(tl["items"][0]["kind"], "calendar_cancelled", "{tl}");

    // An all-day event spans its dates, inclusive.
    let a = event(&t, &o, json!({"title": "Выставка", "all_day": true, "start": "2026-03-05", "end": "2026-03-06"})).await;
    assert_eq!((a["event"]["start"].as_str(), a["event"]["end"].as_str()), (Some("2026-03-04T18:00:00Z"), Some("2026-03-06T18:00:00Z")));
    t.assert_consistent();
}

#[tokio::test]
async fn bad_input_is_refused_with_stable_codes() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@cal-bad.kg").await;
    let cases = [
        (json!({"title": "a", "start": "2026-03-02T10:00", "end": "2026-03-02T09:00"}), "end_before_start"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "end": "2026-03-02T10:00"}), "end_before_start"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "end": "2027-04-02T10:00"}), "too_long"),
        (json!({"title": "a", "start": "вчера"}), "datetime"),
        (json!({"title": "", "start": "2026-03-02T10:00"}), "required"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "kind": "party"}), "event_kind"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "status": "maybe"}), "event_status"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "resources": [999999]}), "unknown_resource"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "participants": [999999]}), "unknown_user"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "client": 999999}), "unknown_client"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "repeat": {"freq": "daily", "count": 501}}), "too_many_occurrences"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "repeat": {"freq": "daily", "until": "2027-12-31"}}), "too_many_occurrences"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "repeat": {"freq": "weekly", "until": "2029-01-01"}}), "repeat_too_long"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "repeat": {"freq": "monthly", "count": 100}}), "repeat_too_long"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "repeat": {"freq": "daily"}}), "repeat_end"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "repeat": {"freq": "hourly", "count": 2}}), "repeat"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "repeat": {"freq": "daily", "interval": 0, "count": 2}}), "interval"),
        (json!({"title": "a", "start": "2026-03-02T10:00", "repeat": {"freq": "weekly", "weekdays": ["пн"], "count": 2}}), "weekday"),
    ];
    for (body, code) in cases {
        let (s, e) = t.post(&o, "/api/v1/crm/calendar/events", body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert!(field_codes(&e).contains(&code.to_string()), "{body}: want {code}, got {e}");
    }
    let (s, e) = t.post(&o, "/api/v1/crm/calendar/events", json!({"title": "a", "start": "2026-03-02T10:00", "colour": "red"})).await;
    assert!(s.is_client_error(), "unknown field: {e}");
    let (s, e) = t.post(&o, "/api/v1/crm/calendar/resources", json!({"name": "", "kind": "boat"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(field_codes(&e).contains(&"resource_kind".to_string()), "{e}");
    for (q, code) in
        [("view=year", "bad_view"), ("date=02.03.2026", "bad_date"), ("user=me&resource=1", "bad_scope"), ("user=boss", "bad_user")]
    {
        let (s, e) = t.get(&o, &format!("/api/v1/crm/calendar?{q}")).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{q}: {e}");
    }
    let (s, _) = t.get(&o, "/api/v1/crm/calendar?resource=999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    t.assert_consistent();
}

#[tokio::test]
async fn without_everyone_s_deals_a_user_sees_the_events_they_take_part_in() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@cal-rights.kg").await;
    let (staff, staff_id) = crate::crm::staff(&t, &o, "master@cal-rights.kg", json!(["crm_tasks"])).await;
    let (seller, _) = crate::crm::staff(&t, &o, "seller@cal-rights.kg", json!(["crm_deals"])).await;
    let room = resource(&t, &o, "Зал", "room", false).await;
    let own =
        event(&t, &o, json!({"title": "Совет директоров", "start": "2026-03-02T10:00", "end": "2026-03-02T12:00", "resources": [room]}))
            .await;
    let own_id = own["event"]["id"].as_u64().expect("id");
    let shared = event(&t, &o, json!({"title": "Разбор", "start": "2026-03-03T10:00", "participants": [staff_id]})).await;

    // The master sees what they take part in, never the owner's own event.
    assert_eq!(shown(&t, &staff, "view=week&date=2026-03-02").await, [item("Разбор", "2026-03-03 10:00", false)]);
    assert!(shown(&t, &staff, &format!("view=week&date=2026-03-02&resource={room}")).await.is_empty());
    let (s, _) = t.get(&staff, &format!("/api/v1/crm/calendar/events/{own_id}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.get(&staff, &format!("/api/v1/crm/calendar/events/{}", shared["event"]["id"])).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = t.get(&staff, "/api/v1/crm/calendar?user=me").await;
    assert_eq!(s, StatusCode::OK);
    let (s, e) = t.get(&staff, &format!("/api/v1/crm/calendar?user={}", o.body["user"]["id"])).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    // Their booking of the same room warns about the owner's event without naming it.
    let mine =
        event(&t, &staff, json!({"title": "Репетиция", "start": "2026-03-02T11:00", "end": "2026-03-02T11:30", "resources": [room]})).await;
    assert_eq!((mine["conflicts"][0]["event"].as_u64(), mine["conflicts"][0]["title"].as_str()), (Some(own_id), Some("")), "{mine}");
    // Resources are settings.
    let (s, _) = t.post(&staff, "/api/v1/crm/calendar/resources", json!({"name": "Свой зал"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, list) = t.get(&staff, "/api/v1/crm/calendar/resources").await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));
    // The owner sees everyone's, marked where the room is double-booked.
    assert_eq!(
        shown(&t, &o, &format!("view=day&date=2026-03-02&resource={room}")).await,
        [item("Совет директоров", "2026-03-02 10:00", true), item("Репетиция", "2026-03-02 11:00", true)]
    );
    // A salesperson without tasks has no calendar.
    let (s, _) = t.get(&seller, "/api/v1/crm/calendar").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.post(&seller, "/api/v1/crm/calendar/events", json!({"title": "a", "start": "2026-03-02T10:00"})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    t.assert_consistent();
}

#[tokio::test]
async fn pages_show_views_conflicts_and_answer_404_for_another_company() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@cal-pages.kg").await;
    let client = crate::crm::client(&t, &o, "Бекзат").await;
    let room = resource(&t, &o, "Кабинет", "room", false).await;
    let e = event(
        &t,
        &o,
        json!({"title": "Приём", "start": "2026-03-02T10:00", "end": "2026-03-02T11:00", "resources": [room], "client": client}),
    )
    .await;
    let series = event(&t, &o, json!({"title": "Планёрка", "start": "2026-03-02T09:00", "repeat": {"freq": "daily", "count": 5}})).await;
    let id = e["event"]["id"].as_u64().expect("id");
    let sid = series["event"]["id"].as_u64().expect("series");

    let p = Plain::new(&t);
    let r = p.submit("/login", &[("email", "owner@cal-pages.kg"), ("password", "password-123")]).await;
    assert_eq!(r.status().as_u16(), 303);
    for (path, want) in [
        ("/crm/calendar?view=week&date=2026-03-02".to_string(), "Приём"),
        ("/crm/calendar?view=day&date=2026-03-04".to_string(), "Планёрка"),
        ("/crm/calendar?view=month&date=2026-03-15".to_string(), "id=\"day-2026-03-31\""),
        (format!("/crm/calendar?view=week&date=2026-03-02&resource={room}"), "Приём"),
        ("/crm/calendar?user=me&view=week&date=2026-03-02".to_string(), "Планёрка"),
        (format!("/crm/calendar/events/{id}"), "Кабинет"),
        (format!("/crm/calendar/events/{sid}?at={}", ms("2026-03-03T09:00")), "occurrence-cancel"),
        ("/crm/calendar/resources".to_string(), "Кабинет"),
        (format!("/crm/clients/{client}/panel"), "Приём"),
    ] {
        let resp = p.get(&path).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let html = resp.text().await.expect("html");
        assert!(html.contains(want), "{path} shows {want}");
    }
    // A form post: the new event overlaps the first on the room → its page lists the conflict.
    let html = p.get("/crm/calendar?view=week&date=2026-03-02").await.text().await.expect("html");
    let csrf = csrf_of(&html);
    let room_s = room.to_string();
    let form = [
        ("_csrf", csrf.as_str()),
        ("title", "Уборка"),
        ("kind", "other"),
        ("start", "2026-03-02T10:30"),
        ("end", "2026-03-02T11:30"),
        ("resources", room_s.as_str()),
        ("back", "/crm/calendar?view=week&date=2026-03-02"),
    ];
    let r = p.post("/crm/calendar/events", &form).await;
    assert_eq!(r.status().as_u16(), 303);
    let to = crate::browser::location(&r).to_string();
    assert!(to.starts_with("/crm/calendar/events/"), "{to}");
    let html = p.get(&to).await.text().await.expect("event page");
    assert!(html.contains("id=\"conflicts\"") && html.contains("Приём"), "the conflict is listed");
    let week = p.get("/crm/calendar?view=week&date=2026-03-02").await.text().await.expect("week");
    assert_eq!(week.matches("cal-conflict-mark").count(), 2, "both occurrences marked");
    let bad = [("_csrf", csrf.as_str()), ("title", "Ночь"), ("start", "2026-03-02T10:30"), ("end", "2026-03-02T09:30")];
    let r = p.post("/crm/calendar/events", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Another company's owner: its ids are the same 404 as missing ones.
    t.company("Чужая", "owner@cal-other.kg", "password-123").await;
    let q = Plain::new(&t);
    let r = q.submit("/login", &[("email", "owner@cal-other.kg"), ("password", "password-123")]).await;
    assert_eq!(r.status().as_u16(), 303);
    let qcsrf = csrf_of(&q.get("/crm/calendar").await.text().await.expect("calendar"));
    let at = ms("2026-03-03T09:00").to_string();
    for missing in [false, true] {
        let (eid, sid, rid) = if missing { (999_999_999, 999_999_999, 999_999_999) } else { (id, sid, room) };
        for path in [format!("/crm/calendar/events/{eid}"), format!("/crm/calendar?resource={rid}")] {
            assert_eq!(q.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
        let posts = [
            (format!("/crm/calendar/events/{eid}"), vec![("title", "x"), ("start", "2026-03-02T10:00")]),
            (format!("/crm/calendar/events/{sid}/occurrences/{at}"), vec![("title", "x"), ("start", "2026-03-02T10:00")]),
            (format!("/crm/calendar/events/{sid}/occurrences/{at}/cancel"), vec![]),
            (format!("/crm/calendar/resources/{rid}"), vec![("name", "x"), ("active", "1")]),
        ];
        for (path, fields) in posts {
            let mut form = vec![("_csrf", qcsrf.as_str())];
            form.extend(fields);
            assert_eq!(q.post(&path, &form).await.status(), StatusCode::NOT_FOUND, "{path}");
        }
    }
    let other = q.get("/crm/calendar?view=week&date=2026-03-02").await.text().await.expect("calendar");
    assert!(!other.contains("Приём") && !other.contains("Кабинет"), "another company's events and resources");
    let (_, v) = t.get(&o, &format!("/api/v1/crm/calendar/events/{sid}")).await;
    assert_eq!(v["event"]["skipped"], json!([]), "nothing cancelled by the other company");
    t.assert_consistent();
}
