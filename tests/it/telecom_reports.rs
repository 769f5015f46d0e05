//! Telecom slice B through the API and pages: subscriber search by every key (and never into
//! another company), usage rating with allowance edges and idempotent re-imports, the report
//! as JSON, page and exports (CSV UTF-8, CSV Windows-1251, XLSX), B5 role checks and tenant
//! isolation.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::telecom::{active_contract, codes, desk, iccid, later, person};

async fn upload_usage(t: &TestApp, c: &Client, csv: &str) -> (StatusCode, Value) {
    let resp =
        t.http.post(t.url("/api/v1/telecom/usage")).bearer_auth(&c.token).body(csv.as_bytes().to_vec()).send().await.expect("upload");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn raw(t: &TestApp, c: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = t.http.get(t.url(path)).bearer_auth(&c.token).send().await.expect("get");
    let status = resp.status();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, ct, resp.bytes().await.expect("bytes").to_vec())
}

async fn found(t: &TestApp, c: &Client, q: &str) -> Vec<u64> {
    let path = format!("/api/v1/telecom/subscribers?q={}", urlencode(q));
    let (s, v) = t.get(c, &path).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    v.as_array().expect("list").iter().filter_map(|s| s["id"].as_u64()).collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn page(t: &TestApp, c: &Client, path: &str) -> (StatusCode, String) {
    let r = t.http.get(t.url(path)).bearer_auth(&c.token).send().await.expect("page");
    let status = r.status();
    (status, r.text().await.expect("html"))
}

async fn balance(t: &TestApp, c: &Client, k: u64) -> String {
    let (s, v) = t.get(c, &format!("/api/v1/telecom/contracts/{k}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["balance"].as_str().expect("balance").to_string()
}

async fn role_user(t: &TestApp, owner: &Client, preset: &str, email: &str) -> Client {
    let (_, roles) = t.get(owner, "/api/v1/roles").await;
    let name = match preset {
        "employee" => "Сотрудник (телеком)",
        "operator" => "Оператор (телеком)",
        _ => "Супервайзер (телеком)",
    };
    let role = roles.as_array().expect("roles").iter().find(|r| r["name"] == name).expect("preset role")["id"].clone();
    let (_, branches) = t.get(owner, "/api/v1/branches").await;
    let user = json!({"email": email, "name": preset, "role": "staff", "custom_role": role, "branches": [branches[0]["id"]], "password": "password-456"});
    let (s, u) = t.post(owner, "/api/v1/users", user).await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    t.login(email, "password-456").await
}

#[tokio::test]
async fn subscribers_are_found_by_name_phone_document_iccid_msisdn_and_contract_within_their_company() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@search.kg").await;
    let a = person(&t, &d.c, "Жумабеков", "1234567", "+996555123456").await["subscriber"]["id"].as_u64().expect("id");
    let b = person(&t, &d.c, "Жумалиева", "7654321", "+996777654321").await["subscriber"]["id"].as_u64().expect("id");
    let (k_sub, k) = active_contract(&t, &d, "5550001", "+996700111222", d.sims[0]).await;
    // Name prefixes: one word, two words in order, any case, ё as е.
    assert_eq!(found(&t, &d.c, "Жума").await.len(), 2);
    assert_eq!(found(&t, &d.c, "жумаб").await, vec![a]);
    assert_eq!(found(&t, &d.c, "Жумалиева Ай").await, vec![b]);
    assert_eq!(found(&t, &d.c, "Айбек Жумалиева").await, vec![b], "words in any order");
    assert!(found(&t, &d.c, "Жумалиева Бакыт").await.is_empty(), "every word must match");
    // Phone fragments, with or without the country code and spaces.
    assert_eq!(found(&t, &d.c, "123 456").await, vec![a]);
    assert_eq!(found(&t, &d.c, "+996 777 65").await, vec![b]);
    // Document: series+number or number alone.
    assert_eq!(found(&t, &d.c, "AN 7654321").await, vec![b]);
    assert_eq!(found(&t, &d.c, "1234567").await, vec![a]);
    // The contract's ICCID, MSISDN fragment and number find its subscriber.
    assert_eq!(found(&t, &d.c, &iccid(1)).await, vec![k_sub]);
    assert_eq!(found(&t, &d.c, "700000001").await, vec![k_sub], "the SIM's MSISDN +996700000001");
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/contracts/{k}")).await;
    let number = card["contract"]["number"].as_str().expect("number").to_string();
    assert_eq!(found(&t, &d.c, &number).await, vec![k_sub], "{number}");
    // An edit moves the index with the record.
    let edit =
        json!({"last_name": "Токтогулов", "first_name": "Айбек", "doc_series": "AN", "doc_number": "1234567", "phone": "+996555123456"});
    let (s, v) = t.put(&d.c, &format!("/api/v1/telecom/subscribers/{a}"), edit).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(found(&t, &d.c, "Жумаб").await.is_empty());
    assert_eq!(found(&t, &d.c, "Токто").await, vec![a]);
    // The subscribers page searches the same way.
    let (s, html) = page(&t, &d.c, &format!("/telecom/subscribers?q={}", urlencode("Токто"))).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Токтогулов"), "{html}");
    // Another company never finds them, even by exact document or ICCID.
    let other = desk(&t, "owner@search-other.kg").await;
    for q in ["Токто", "Жума", "AN1234567", "555123456", &iccid(1), &number] {
        assert!(found(&t, &other.c, q).await.is_empty(), "{q} leaked");
    }
    t.assert_consistent();
}

#[tokio::test]
async fn usage_is_rated_with_allowances_and_a_file_imported_twice_charges_once() {
    let t = TestApp::spawn().await;
    let mut d = desk(&t, "owner@usage.kg").await;
    // Tariff with allowances: 100 min at 1.50, 10 SMS at 1.00, data unlimited (0) at 100/GB.
    let terms = json!({"name": "Лимит", "terms": {"monthly_fee": "300", "minutes": "100", "sms": "10", "gb": "0", "minute_rate": "1.50", "sms_rate": "1.00", "gb_rate": "100"}});
    let (s, tv) = t.post(&d.c, "/api/v1/telecom/tariffs", terms).await;
    assert_eq!(s, StatusCode::CREATED, "{tv}");
    d.tariff = tv["id"].as_u64().expect("id");
    let (_, k) = active_contract(&t, &d, "5550002", "+996700111333", d.sims[0]).await;
    let (s, v) = t.post(&d.c, &format!("/api/v1/telecom/contracts/{k}/payments"), json!({"amount": "1000"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    later(&t, &mut d, 1).await;
    // Within the allowance: exactly 100 minutes and 10 SMS charge nothing; data is unlimited.
    let msisdn = "+996700000001";
    let csv =
        format!("id,msisdn,kind,amount,time\n1,{msisdn},voice,60,\n2,{msisdn},voice,40,\n3,{msisdn},sms,10,\n4,{msisdn},data,50000,\n");
    let (s, r) = upload_usage(&t, &d.c, &csv).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["new"].as_u64(), r["charges"].as_u64()), (Some(4), Some(0)), "{r}");
    assert_eq!(balance(&t, &d.c, k).await, "1000.00");
    // One minute over, one SMS over: 1.50 + 1.00.
    let csv2 = format!("id,msisdn,kind,amount,time\n5,{msisdn},voice,1,\n6,{msisdn},sms,1,\n");
    let (s, r) = upload_usage(&t, &d.c, &csv2).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["charges"].as_u64(), r["amount"].as_str()), (Some(2), Some("2.50")), "{r}");
    assert_eq!(balance(&t, &d.c, k).await, "997.50");
    // The same files again: every record is known, nothing is charged.
    for f in [&csv, &csv2] {
        let (s, r) = upload_usage(&t, &d.c, f).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!((r["new"].as_u64(), r["charges"].as_u64()), (Some(0), Some(0)), "{r}");
    }
    assert_eq!(balance(&t, &d.c, k).await, "997.50");
    // Half a minute more: the overage of the period's total (1.5 min × 1.50 = 2.25) less what
    // was charged (1.50) — one more charge of 0.75, by contract number, without an id column.
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/contracts/{k}")).await;
    let number = card["contract"]["number"].as_str().expect("number").to_string();
    let (s, r) = upload_usage(&t, &d.c, &format!("contract,kind,amount\n{number},voice,\"0,5\"\n")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["amount"].as_str(), Some("0.75"), "{r}");
    assert_eq!(balance(&t, &d.c, k).await, "996.75");
    // Every invalid row reported at once; nothing written.
    let bad = format!(
        "id,msisdn,kind,amount,time\n7,{msisdn},video,1,\n8,+996700999999,voice,1,\n9,{msisdn},voice,-1,\n9,{msisdn},sms,1,\n10,{msisdn},sms,1,2099-01-01\n11,{msisdn},sms,1,\n"
    );
    let (s, e) = upload_usage(&t, &d.c, &bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    for code in ["usage_kind", "usage_unknown_number", "usage_amount", "usage_repeated_in_file", "usage_in_future"] {
        assert!(codes(&e).contains(&code.to_string()), "{code} missing: {e}");
    }
    assert_eq!(balance(&t, &d.c, k).await, "996.75");
    let (s, r) = upload_usage(&t, &d.c, &format!("id,msisdn,kind,amount\n11,{msisdn},sms,1\n")).await;
    assert_eq!((s, r["new"].as_u64()), (StatusCode::OK, Some(1)), "row 11 was not written by the refused file: {r}");
    t.assert_consistent();
}

#[tokio::test]
async fn the_report_counts_money_and_exports_csv_in_two_encodings_and_xlsx() {
    let t = TestApp::spawn().await;
    let mut d = desk(&t, "owner@report.kg").await;
    let (_, k1) = active_contract(&t, &d, "5550003", "+996700111444", d.sims[0]).await;
    let (_, k2) = active_contract(&t, &d, "5550004", "+996700111555", d.sims[1]).await;
    for (k, amount) in [(k1, "500"), (k2, "1200")] {
        let (s, v) = t.post(&d.c, &format!("/api/v1/telecom/contracts/{k}/payments"), json!({"amount": amount})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    later(&t, &mut d, 35).await;
    let (s, v) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, r) = t.get(&d.c, "/api/v1/telecom/reports").await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["figures"]["subscribers"], 2, "{r}");
    assert_eq!(r["figures"]["contracts_live"], 2, "{r}");
    assert_eq!(r["figures"]["sims_free"], 1, "{r}");
    assert_eq!(r["figures"]["revenue"], "1700.00", "{r}");
    assert_eq!(r["figures"]["charged"], "600.00", "{r}");
    assert_eq!(r["tables"]["telecom_top_payers"][0]["paid"], "1200.00", "{r}");
    assert_eq!(r["tables"]["telecom_tariffs"][0]["live_contracts"], 2, "{r}");
    let months = r["tables"]["telecom_months"].as_array().expect("months");
    assert_eq!(months.len(), 12, "{r}");
    // Bad input: a stable code, never a 500.
    let (s, e) = t.get(&d.c, "/api/v1/telecom/reports?from=2026-13-01").await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["date".to_string()]), "{e}");
    let (s, e) = t.get(&d.c, "/api/v1/telecom/reports/export?format=pdf").await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["format".to_string()]), "{e}");
    // Exports.
    let (s, ct, utf8) = raw(&t, &d.c, "/api/v1/telecom/reports/export?format=csv").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.contains("utf-8"), "{ct}");
    let text = String::from_utf8(utf8.clone()).expect("utf-8");
    assert!(text.starts_with('\u{feff}') && text.contains("Абонентов;2") && text.contains("1200.00"), "{text}");
    let (s, ct, cp) = raw(&t, &d.c, "/api/v1/telecom/reports/export?format=csv1251").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.contains("windows-1251"), "{ct}");
    let (back, _, bad) = encoding_rs::WINDOWS_1251.decode(&cp);
    assert!(!bad && back.contains("Абонентов;2"), "{back}");
    assert!(cp.len() < utf8.len(), "one byte per Cyrillic letter");
    let (s, ct, x) = raw(&t, &d.c, "/api/v1/telecom/reports/export?format=xlsx").await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.contains("spreadsheetml"), "{ct}");
    assert!(x.starts_with(b"PK"), "a zip");
    // The page, with its tiles, chart and export links.
    let (s, html) = page(&t, &d.c, "/telecom/reports").await;
    assert_eq!(s, StatusCode::OK);
    for id in ["fig-subscribers", "chart-telecom_months", "export-csv1251", "telecom_top_payers"] {
        assert!(html.contains(id), "{id} missing");
    }
    // Another company's report counts nothing of this one's.
    let other = desk(&t, "owner@report-other.kg").await;
    let (_, r) = t.get(&other.c, "/api/v1/telecom/reports").await;
    assert_eq!((r["figures"]["subscribers"].as_u64(), r["figures"]["revenue"].as_str()), (Some(0), Some("0.00")), "{r}");
    assert_eq!(r["tables"]["telecom_top_payers"], json!([]), "{r}");
    t.assert_consistent();
}

#[tokio::test]
async fn reports_and_usage_follow_the_b5_roles_and_the_plan() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@roles-b.kg").await;
    let employee = role_user(&t, &d.c, "employee", "emp@roles-b.kg").await;
    let operator = role_user(&t, &d.c, "operator", "op@roles-b.kg").await;
    let supervisor = role_user(&t, &d.c, "supervisor", "sup@roles-b.kg").await;
    // Search: everyone who views the desk.
    person(&t, &d.c, "Асанов", "1112223", "+996555000111").await;
    assert_eq!(found(&t, &employee, "Асан").await.len(), 1);
    // Reports: money figures, operators and supervisors.
    let (s, _) = t.get(&employee, "/api/v1/telecom/reports").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.get(&employee, "/api/v1/telecom/reports/export?format=xlsx").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for c in [&operator, &supervisor] {
        let (s, v) = t.get(c, "/api/v1/telecom/reports").await;
        assert_eq!(s, StatusCode::OK, "{v}");
    }
    // Usage import: supervisors (payments + tariffs), refused before the file is read.
    for c in [&employee, &operator] {
        let (s, _) = upload_usage(&t, c, "msisdn,kind,amount\n+996700000001,voice,1\n").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let (s, e) = upload_usage(&t, &supervisor, "msisdn,kind,amount\n+996700000001,voice,1\n").await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["usage_unknown_number".to_string()]), "{e}");
    // Without the plan feature: refused.
    let (s, v) = t.call(Method::GET, "/api/v1/telecom/reports", None, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
}
