//! The telecom kinds of import (issue 13, spec B7): a SIM delivery and subscribers through the
//! import module's preview → confirm → resumable job; every invalid row's problems listed at
//! once and nothing written before confirm; re-imports reported as duplicates; the bulk right
//! checked before the body is read; the kind picker only with the telecom feature; tenant
//! isolation of the import routes for the telecom kinds. Also the bulk SIM assignment page
//! and the tickets in the telecom report.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of};
use crate::common::{Client, TestApp};
use crate::telecom::{desk, iccid, person, role_user};

async fn upload(t: &TestApp, c: &Client, kind: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let url = t.url(&format!("/api/v1/imports?kind={kind}&file_name={kind}.csv"));
    let resp = t.http.post(url).bearer_auth(&c.token).body(bytes).send().await.expect("upload");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn drain(t: &TestApp) {
    for _ in 0..1000 {
        if !dukan::workers::import_once(t.app.clone()).await.expect("import step") {
            return;
        }
    }
    panic!("the import worker never became idle");
}

/// (line, [codes]) of every row with problems.
async fn problems(t: &TestApp, c: &Client, import: u64) -> Vec<(u64, Vec<String>)> {
    let (s, rows) = t.get(c, &format!("/api/v1/imports/{import}/rows?errors_only=true")).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    rows["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            let codes = r["errors"].as_array().expect("errors").iter().map(|e| e["code"].as_str().unwrap_or("").to_string()).collect();
            (r["line"].as_u64().expect("line"), codes)
        })
        .collect()
}

async fn sims(t: &TestApp, c: &Client) -> Vec<Value> {
    let (s, v) = t.get(c, "/api/v1/telecom/sims?limit=1000").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().or_else(|| v["items"].as_array()).expect("sims").clone()
}

/// A delivery row of SIM `n` (the numbering of `crate::telecom::add_sim`).
fn sim_row(n: u64, puk: &str, tariff: &str) -> String {
    format!("{},4370100000{n:05},+996700{n:06},{puk},{tariff}\n", iccid(n))
}

fn delivery() -> Vec<u8> {
    let mut bad_luhn = iccid(12);
    let last = bad_luhn.pop().and_then(|c| c.to_digit(10)).expect("digit");
    bad_luhn.push(char::from_digit((last + 1) % 10, 10).expect("digit"));
    let mut csv = String::from("iccid,imsi,msisdn,puk,tariff\n");
    csv += &sim_row(10, "12345678", "базовый");
    csv += &sim_row(11, "", "");
    // Every problem of one row at once: Luhn, MCC/MNC, E.164, PUK, tariff.
    csv += &format!("{bad_luhn},250010000000012,12345,12,Нет такого\n");
    // Row 2 again within the file.
    csv += &sim_row(10, "", "");
    // SIM 1 is already in stock (the desk made it).
    csv += &sim_row(1, "", "");
    csv.into_bytes()
}

#[tokio::test]
async fn a_sim_delivery_lists_every_problem_then_imports_free_sims_and_a_repeat_is_all_duplicates() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@sim-import.kg").await;
    let before = sims(&t, &d.c).await.len();

    let (s, i) = upload(&t, &d.c, "sims", delivery()).await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
    assert_eq!(
        (i["kind"].as_str(), i["rows"].as_u64(), i["new"].as_u64(), i["errors"].as_u64()),
        (Some("sims"), Some(5), Some(2), Some(3)),
        "{i}"
    );
    let id = i["id"].as_u64().expect("id");
    let found = problems(&t, &d.c, id).await;
    let of = |line: u64| found.iter().find(|(l, _)| *l == line).map(|(_, c)| c.clone()).unwrap_or_default();
    let mut bad = of(4);
    bad.sort();
    assert_eq!(bad, ["iccid", "imsi", "msisdn", "puk", "unknown_tariff"], "{found:?}");
    assert_eq!(of(5), ["duplicate_in_file"; 3], "{found:?}");
    assert_eq!(of(6), ["sim_number_taken"; 3], "{found:?}");
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(sims(&t, &d.c).await.len(), before, "nothing is written before confirm");

    // A file with problems is refused unless its invalid rows are skipped.
    let (s, e) = t.post(&d.c, &format!("/api/v1/imports/{id}/confirm"), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("import_has_errors")), "{e}");
    let (s, v) = t.post(&d.c, &format!("/api/v1/imports/{id}/confirm"), json!({"skip_invalid": true})).await;
    assert_eq!((s, v["state"].as_str()), (StatusCode::ACCEPTED, Some("applying")), "{v}");
    drain(&t).await;
    let (_, v) = t.get(&d.c, &format!("/api/v1/imports/{id}")).await;
    assert_eq!((v["state"].as_str(), v["created_count"].as_u64(), v["failed_count"].as_u64()), (Some("done"), Some(2), Some(3)), "{v}");
    let now = sims(&t, &d.c).await;
    assert_eq!(now.len(), before + 2, "{now:?}");
    for n in [10, 11] {
        let sim = now.iter().find(|s| s["iccid"] == iccid(n)).unwrap_or_else(|| panic!("SIM {n} in {now:?}"));
        assert_eq!(sim["status"], "free", "{sim}");
    }

    // The same file again: every row that was imported is now a duplicate of stock.
    let (s, i) = upload(&t, &d.c, "sims", delivery()).await;
    assert_eq!((s, i["new"].as_u64(), i["errors"].as_u64()), (StatusCode::CREATED, Some(0), Some(5)), "{i}");
    let again = problems(&t, &d.c, i["id"].as_u64().expect("id")).await;
    assert_eq!(again.iter().find(|(l, _)| *l == 2).map(|(_, c)| c.clone()), Some(vec!["sim_number_taken".to_string(); 3]), "{again:?}");

    // A file without the needed columns is refused whole.
    let (s, e) = upload(&t, &d.c, "sims", b"iccid;puk\n1;2\n".to_vec()).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_columns")), "{e}");
    let (s, e) = upload(&t, &d.c, "lemons", delivery()).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn subscribers_import_with_the_dedup_rules() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@sub-import.kg").await;
    person(&t, &d.c, "Сыдыков", "1234567", "0555 111 111").await;
    let csv = "Фамилия;Имя;Отчество;Дата рождения;Серия;Номер документа;Телефон;E-mail\n\
        Асанов;Бакыт;;1990-01-02;AN;7654321;0555 222 222;\n\
        Копия;Документа;;;AN;1234567;0555 333 333;\n\
        Общий;Телефон;;;AN;7777777;0555 111 111;\n\
        Повтор;Строки;;;AN;7654321;0555 444 444;\n\
        Плохой;;;2990-01-01;;;123;нет-почты\n";
    let (s, i) = upload(&t, &d.c, "subscribers", csv.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
    assert_eq!((i["kind"].as_str(), i["new"].as_u64(), i["errors"].as_u64()), (Some("subscribers"), Some(2), Some(3)), "{i}");
    let found = problems(&t, &d.c, i["id"].as_u64().expect("id")).await;
    let of = |line: u64| found.iter().find(|(l, _)| *l == line).map(|(_, c)| c.clone()).unwrap_or_default();
    assert_eq!(of(3), ["duplicate_document"], "an identical document is refused: {found:?}");
    assert_eq!(of(4), ["likely_duplicate"], "a shared phone is a warning: {found:?}");
    assert!(of(5).contains(&"duplicate_in_file".to_string()), "{found:?}");
    let bad = of(6);
    for code in ["name", "birth_date", "required", "phone", "email"] {
        assert!(bad.iter().any(|c| c == code), "{code} in {bad:?}");
    }
    let (_, before) = t.get(&d.c, "/api/v1/telecom/subscribers?limit=100").await;
    let count = |v: &Value| v.as_array().or_else(|| v["items"].as_array()).map(Vec::len).unwrap_or(0);
    assert_eq!(count(&before), 1, "nothing written before confirm: {before}");
    let (s, _) = t.post(&d.c, &format!("/api/v1/imports/{}/confirm", i["id"]), json!({"skip_invalid": true})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    drain(&t).await;
    let (_, after) = t.get(&d.c, "/api/v1/telecom/subscribers?limit=100").await;
    assert_eq!(count(&after), 3, "{after}");
    let (_, hits) = t.get(&d.c, "/api/v1/telecom/subscribers?q=Асанов").await;
    assert_eq!(count(&hits), 1, "an imported subscriber is searchable: {hits}");
    t.assert_consistent();
}

#[tokio::test]
async fn import_rights_are_checked_before_the_body_and_kinds_need_the_telecom_feature() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@import-rights.kg").await;
    let operator = role_user(&t, &d.c, "operator", "op@import-rights.kg").await;
    let employee = role_user(&t, &d.c, "employee", "emp@import-rights.kg").await;
    let supervisor = role_user(&t, &d.c, "supervisor", "sup@import-rights.kg").await;
    // A body over the size limit: read first, it would be 413; the right comes first.
    let huge = vec![b'a'; 21 * 1024 * 1024];
    for (who, kind) in [(&operator, "sims"), (&employee, "sims"), (&employee, "subscribers"), (&operator, "products")] {
        let (s, e) = upload(&t, who, kind, huge.clone()).await;
        assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{kind}: {e}");
    }
    let (s, i) = upload(&t, &supervisor, "sims", delivery()).await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
    let id = i["id"].as_u64().expect("id");
    // Someone who may not import SIMs neither sees nor confirms a SIM import.
    let (s, _) = t.get(&operator, &format!("/api/v1/imports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.post(&operator, &format!("/api/v1/imports/{id}/confirm"), json!({"skip_invalid": true})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, list) = t.get(&operator, "/api/v1/imports").await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
    let (_, list) = t.get(&supervisor, "/api/v1/imports").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let (s, _) = upload(&t, &operator, "subscribers", "Фамилия;Имя;Телефон\n".as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "operators import subscribers");

    // The kind picker offers the telecom kinds with the feature only.
    let page = |path: &'static str| {
        let (t, token) = (&t, d.c.token.clone());
        async move { t.http.get(t.url(path)).bearer_auth(token).send().await.expect("page").text().await.expect("body") }
    };
    let html = page("/products/import").await;
    assert!(html.contains("import-kinds") && html.contains("kind=sims") && html.contains("kind=subscribers"), "picker");
    let html = page("/products/import?kind=sims").await;
    assert!(html.contains("action=\"/products/import?kind=sims\""), "the form posts its kind");
    let company = d.c.company_id();
    t.app
        .db
        .write(move |tx| -> dukan::error::Result<()> {
            let id = tx.next_id()?;
            let plan = dukan::tenancy::model::Plan {
                id: dukan::ids::PlanId(id),
                name: "Без телекома".into(),
                monthly_price: Default::default(),
                features: vec!["catalog".into(), "pos".into()],
                created: dukan::clock::Ts(0),
            };
            tx.insert(dukan::tenancy::store::PLANS, id, &plan)?;
            let mut co = tx.get(dukan::tenancy::store::COMPANIES, company)?.expect("company");
            co.plan = dukan::ids::PlanId(id);
            tx.insert(dukan::tenancy::store::COMPANIES, company, &co)?;
            Ok(())
        })
        .await
        .expect("plan");
    let html = page("/products/import").await;
    assert!(!html.contains("kind=sims") && html.contains("id=\"import-form\""), "no telecom kinds without the feature");
    let (s, e) = upload(&t, &d.c, "sims", delivery()).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::FORBIDDEN, Some("feature_disabled")), "{e}");
}

#[tokio::test]
async fn a_telecom_import_is_isolated_between_companies() {
    let t = TestApp::spawn().await;
    let a = desk(&t, "owner@a-import.kg").await;
    let b = desk(&t, "owner@b-import.kg").await;
    let (_, i) = upload(&t, &b.c, "sims", delivery()).await;
    let id = i["id"].as_u64().expect("id");
    for path in [format!("/api/v1/imports/{id}"), format!("/api/v1/imports/{id}/rows")] {
        let (s, _) = t.get(&a.c, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    let (s, _) = t.post(&a.c, &format!("/api/v1/imports/{id}/confirm"), json!({"skip_invalid": true})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let r = t.http.delete(t.url(&format!("/api/v1/imports/{id}"))).bearer_auth(&a.c.token).send().await.expect("delete");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    for path in [format!("/products/import/{id}"), format!("/products/import/{id}/progress")] {
        let r = t.http.get(t.url(&path)).bearer_auth(&a.c.token).send().await.expect("page");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (_, v) = t.get(&b.c, &format!("/api/v1/imports/{id}")).await;
    assert_eq!(v["state"], "preview", "B's import untouched: {v}");
}

#[tokio::test]
async fn the_bulk_assignment_page_opens_contracts_and_shows_them() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@assign-page.kg").await;
    let org = json!({"kind": "organization", "org_name": "ОсОО Ромашка", "org_inn": "01234567890123", "phone": "0555 909 090"});
    let (s, o) = t.post(&d.c, "/api/v1/telecom/subscribers", org).await;
    let org_id = if s == StatusCode::CREATED {
        o["subscriber"]["id"].as_u64().expect("id")
    } else {
        // The INN rule may want another checksum; a person works the same for the page.
        person(&t, &d.c, "Организация", "4545454", "0555 909 091").await["subscriber"]["id"].as_u64().expect("id")
    };
    let p = Plain::new(&t);
    p.submit("/login", &[("email", "owner@assign-page.kg"), ("password", "password-123"), ("next", "/telecom/sims")]).await;
    let page = p.get("/telecom/sims").await.text().await.expect("body");
    assert!(page.contains("href=\"/telecom/sims/assign\"") && page.contains("kind=sims"), "the SIM list links both");
    let page = p.get("/telecom/sims/assign").await.text().await.expect("body");
    assert!(page.contains("id=\"assign-form\""), "form");
    let csrf = csrf_of(&page);
    let (org_s, tariff_s) = (org_id.to_string(), d.tariff.to_string());
    // Asking for more free SIMs than there are is refused and changes nothing.
    let r =
        p.post("/telecom/sims/assign", &[("_csrf", csrf.as_str()), ("count", "9"), ("subscriber", &org_s), ("tariff", &tariff_s)]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r =
        p.post("/telecom/sims/assign", &[("_csrf", csrf.as_str()), ("count", "2"), ("subscriber", &org_s), ("tariff", &tariff_s)]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("body");
    assert!(html.contains("id=\"assigned-count\">2<"), "the result shows two contracts");
    let (_, v) = t.get(&d.c, &format!("/api/v1/telecom/subscribers/{org_id}")).await;
    assert_eq!(v["contracts"].as_array().map(Vec::len), Some(2), "{v}");
    // An operator (no bulk right) is refused the page.
    let operator = role_user(&t, &d.c, "operator", "op@assign-page.kg").await;
    let r = t.http.get(t.url("/telecom/sims/assign")).bearer_auth(&operator.token).send().await.expect("page");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    t.assert_consistent();
}

#[tokio::test]
async fn the_telecom_report_counts_tickets() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@report-tickets.kg").await;
    let sub = person(&t, &d.c, "Тикетов", "3131313", "0555 313 131").await["subscriber"]["id"].as_u64().expect("id");
    let me = d.c.body["user"]["id"].as_u64().expect("user id");
    let mut ids = Vec::new();
    for (subject, priority) in [("Нет связи", "critical"), ("Медленный интернет", "low"), ("Вопрос", "medium")]
    {
        let body = json!({"subscriber": sub, "subject": subject, "category": "technical", "priority": priority});
        let (s, v) = t.post(&d.c, "/api/v1/telecom/tickets", body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        ids.push(v["id"].as_u64().expect("id"));
    }
    t.post(&d.c, &format!("/api/v1/telecom/tickets/{}/assign", ids[2]), json!({"user": me})).await;
    let (s, v) = t.post(&d.c, &format!("/api/v1/telecom/tickets/{}/resolve", ids[2]), json!({"text": "Ответили"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Five hours on: the critical ticket (4 h) is overdue, the low one (72 h) is not.
    t.clock.advance_ms(5 * 3_600_000);
    let c = t.login("owner@report-tickets.kg", "password-123").await;
    let (s, r) = t.get(&c, "/api/v1/telecom/reports").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let f = &r["figures"];
    assert_eq!(
        (f["tickets_open"].as_u64(), f["tickets_overdue"].as_u64(), f["tickets_opened"].as_u64(), f["tickets_resolved"].as_u64()),
        (Some(2), Some(1), Some(3), Some(1)),
        "{r}"
    );
    let by_status = r["tables"]["telecom_tickets"].as_array().expect("tickets table").clone();
    let count = |st: &str| by_status.iter().find(|row| row["status"] == st).and_then(|row| row["count"].as_u64());
    assert_eq!((count("new"), count("resolved"), count("closed")), (Some(2), Some(1), Some(0)), "{by_status:?}");
    for (format, needle) in [("csv", "Заявки по статусам"), ("csv1251", ""), ("xlsx", "")] {
        let resp = t
            .http
            .get(t.url(&format!("/api/v1/telecom/reports/export?format={format}")))
            .bearer_auth(&c.token)
            .send()
            .await
            .expect("export");
        assert_eq!(resp.status(), StatusCode::OK, "{format}");
        let bytes = resp.bytes().await.expect("bytes");
        if !needle.is_empty() {
            assert!(String::from_utf8_lossy(&bytes).contains(needle), "{format}");
        }
    }
    let html = t.http.get(t.url("/telecom/reports")).bearer_auth(&c.token).send().await.expect("page").text().await.expect("body");
    assert!(html.contains("Просроченные заявки") || html.contains("Overdue tickets"), "the page shows the ticket figures");
}
