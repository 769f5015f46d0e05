//! The telecom desk through the API: subscribers with validation by country and duplicate
//! detection, SIM stock (Luhn, generation with skips, binding history), tariffs with
//! revisions, every contract transition allowed and refused, payments idempotent on their
//! transaction id, billing once per period with auto-suspend and auto-resume, the preset
//! roles of spec B5, the plan feature, bad input with stable codes, and tenant isolation of
//! every `{id}` route (API and pages).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

pub fn codes(v: &Value) -> Vec<String> {
    v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["code"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub struct Desk {
    pub email: String,
    pub c: Client,
    pub tariff: u64,
    pub sims: Vec<u64>,
}

/// A valid ICCID: the 18-digit body `8999601000000000` + `n` (2 digits) and its Luhn digit.
pub fn iccid(n: u64) -> String {
    let body = format!("89996010000000{n:04}");
    for d in 0..10 {
        let s = format!("{body}{d}");
        let sum: u32 = s
            .chars()
            .rev()
            .enumerate()
            .map(|(i, c)| {
                let v = c.to_digit(10).expect("digit");
                if i % 2 == 1 { if v * 2 > 9 { v * 2 - 9 } else { v * 2 } } else { v }
            })
            .sum();
        if sum.is_multiple_of(10) {
            return s;
        }
    }
    unreachable!()
}

pub async fn add_sim(t: &TestApp, c: &Client, n: u64) -> u64 {
    let body = json!({"iccid": iccid(n), "imsi": format!("4370100000{n:05}"), "msisdn": format!("+996700{n:06}")});
    let (s, v) = t.post(c, "/api/v1/telecom/sims", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_u64().expect("id")
}

pub async fn person(t: &TestApp, c: &Client, last: &str, doc: &str, phone: &str) -> Value {
    let body = json!({"last_name": last, "first_name": "Айбек", "doc_series": "AN", "doc_number": doc, "phone": phone});
    let (s, v) = t.post(c, "/api/v1/telecom/subscribers", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

pub async fn desk(t: &TestApp, email: &str) -> Desk {
    t.company(&format!("Связь {email}"), email, "password-123").await;
    let c = t.login(email, "password-123").await;
    let (s, v) = t.post(&c, "/api/v1/telecom/tariffs", json!({"name": "Базовый", "terms": {"monthly_fee": "300", "minutes": "500"}})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let tariff = v["id"].as_u64().expect("id");
    let mut sims = Vec::new();
    for n in 1..=3 {
        sims.push(add_sim(t, &c, n).await);
    }
    Desk { email: email.to_string(), c, tariff, sims }
}

/// Moves the clock `days` forward and signs in again (access tokens last minutes).
pub async fn later(t: &TestApp, d: &mut Desk, days: i64) {
    t.clock.advance_ms(days * 86_400_000);
    d.c = t.login(&d.email, "password-123").await;
}

/// A subscriber with an active contract on `sim`; returns (subscriber, contract).
pub async fn active_contract(t: &TestApp, d: &Desk, doc: &str, phone: &str, sim: u64) -> (u64, u64) {
    let s = person(t, &d.c, "Осмонов", doc, phone).await["subscriber"]["id"].as_u64().expect("id");
    let (st, k) =
        t.post(&d.c, "/api/v1/telecom/contracts", json!({"subscriber": s, "tariff": d.tariff, "sim": sim, "activate": true})).await;
    assert_eq!(st, StatusCode::CREATED, "{k}");
    assert_eq!(k["status"], "active");
    (s, k["id"].as_u64().expect("id"))
}

async fn balance(t: &TestApp, c: &Client, k: u64) -> String {
    let (s, v) = t.get(c, &format!("/api/v1/telecom/contracts/{k}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v["balance"].as_str().expect("balance").to_string()
}

async fn status(t: &TestApp, c: &Client, k: u64) -> (String, String) {
    let (_, v) = t.get(c, &format!("/api/v1/telecom/contracts/{k}")).await;
    (v["contract"]["status"].as_str().unwrap_or("").to_string(), v["sim"]["status"].as_str().unwrap_or("").to_string())
}

#[tokio::test]
async fn subscribers_are_validated_by_country_and_duplicates_are_found() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@subs.kg").await;
    // Bad input: each field's stable code, all at once.
    let bad = json!({"last_name": "И", "first_name": "", "doc_series": "A1", "doc_number": "123", "personal_no": "32505199012345", "phone": "+7 916 123 45 67", "email": "x@y"});
    let (s, e) = t.post(&d.c, "/api/v1/telecom/subscribers", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    for code in ["name", "passport", "pin", "phone", "email"] {
        assert!(codes(&e).contains(&code.to_string()), "{code} missing: {e}");
    }
    // The ПИН carries the birth date; a different birth date is refused.
    let body = json!({"last_name": "Асанов", "first_name": "Бакыт", "doc_series": "AN", "doc_number": "1234567", "personal_no": "22505199012345", "birth_date": "1991-05-25", "phone": "0555 111 222"});
    let (s, e) = t.post(&d.c, "/api/v1/telecom/subscribers", body).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["pin_birth_date".to_string()]), "{e}");
    let body = json!({"last_name": "Асанов", "first_name": "Бакыт", "doc_series": "", "doc_number": "an 1234567", "personal_no": "22505199012345", "phone": "0555 111 222"});
    let (s, a) = t.post(&d.c, "/api/v1/telecom/subscribers", body).await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["subscriber"]["birth_date"], "1990-05-25");
    assert_eq!(a["subscriber"]["phone"], "+996555111222");
    assert_eq!((a["subscriber"]["doc_series"].as_str(), a["subscriber"]["doc_number"].as_str()), (Some("AN"), Some("1234567")));
    assert_eq!(a["duplicates"], json!([]));
    let first = a["subscriber"]["id"].as_u64().expect("id");
    // The same document (typed differently) is refused; so is the same ПИН.
    let body =
        json!({"last_name": "Другой", "first_name": "Человек", "doc_series": "an", "doc_number": "1234567", "phone": "0700 000 001"});
    let (s, e) = t.post(&d.c, "/api/v1/telecom/subscribers", body).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["duplicate_document".to_string()]), "{e}");
    let body = json!({"last_name": "Другой", "first_name": "Человек", "doc_series": "ID", "doc_number": "7654321", "personal_no": "22505199012345", "phone": "0700 000 001"});
    let (s, e) = t.post(&d.c, "/api/v1/telecom/subscribers", body).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["duplicate_document".to_string()]), "{e}");
    // The same phone is saved and reported; the card of either shows the other.
    let b = person(&t, &d.c, "Асанова", "7777777", "+996555111222").await;
    assert_eq!(b["duplicates"][0]["id"].as_u64(), Some(first), "{b}");
    assert_eq!(b["duplicates"][0]["reasons"], json!(["phone"]));
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/subscribers/{first}")).await;
    assert_eq!(card["duplicates"][0]["id"], b["subscriber"]["id"], "{card}");
    // Editing into the same phone and name + birth date is reported the same way.
    let id = b["subscriber"]["id"].as_u64().expect("id");
    let edit = json!({"last_name": "Асанов", "first_name": "Бакыт", "birth_date": "1990-05-25", "doc_series": "AN", "doc_number": "7777777", "phone": "+996555111222"});
    let (s, v) = t.put(&d.c, &format!("/api/v1/telecom/subscribers/{id}"), edit).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["duplicates"][0]["reasons"], json!(["phone", "name"]), "{v}");
    // Organisations need their INN.
    let (s, e) = t
        .post(
            &d.c,
            "/api/v1/telecom/subscribers",
            json!({"kind": "organization", "org_name": "ОсОО Ала-Тоо", "org_inn": "123", "phone": "0312 000 000"}),
        )
        .await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["org_inn".to_string()]), "{e}");
    let (s, o) = t
        .post(
            &d.c,
            "/api/v1/telecom/subscribers",
            json!({"kind": "organization", "org_name": "ОсОО Ала-Тоо", "org_inn": "01234567891234", "phone": "0312 000 000"}),
        )
        .await;
    assert_eq!((s, o["subscriber"]["name"].as_str()), (StatusCode::CREATED, Some("ОсОО Ала-Тоо")), "{o}");
    // Search by a phone fragment and by the document.
    let (_, found) = t.get(&d.c, "/api/v1/telecom/subscribers?q=111222").await;
    assert_eq!(found.as_array().map(Vec::len), Some(2), "{found}");
    let (_, found) = t.get(&d.c, "/api/v1/telecom/subscribers?q=7777777").await;
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    let (s, _) = t.get(&d.c, "/api/v1/telecom/subscribers?status=maybe").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    t.assert_consistent();
}

#[tokio::test]
async fn sims_need_valid_numbers_and_generation_skips_what_is_in_stock() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@sims.kg").await;
    let mut wrong = iccid(9);
    let last = wrong.pop().and_then(|c| c.to_digit(10)).expect("digit");
    wrong.push(char::from_digit((last + 1) % 10, 10).expect("digit"));
    let (s, e) = t.post(&d.c, "/api/v1/telecom/sims", json!({"iccid": wrong, "imsi": "250010000000001", "msisdn": "+99670000000"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(codes(&e), vec!["iccid", "imsi", "msisdn"], "{e}");
    let (s, e) =
        t.post(&d.c, "/api/v1/telecom/sims", json!({"iccid": iccid(1), "imsi": "437010000000099", "msisdn": "+996700000099"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["sim_number_taken".to_string()]), "{e}");
    // Generation: 5 SIMs whose 2nd and 3rd overlap the stock's ICCIDs 1 and 2.
    let body =
        json!({"count": "5", "start": "0", "iccid": "89996010000000{num:04}", "imsi": "43701999{num:07}", "msisdn": "+996777{num:06}"});
    let (s, g) = t.post(&d.c, "/api/v1/telecom/sims/generate", body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    assert_eq!(g["created"], 2, "{g}");
    assert_eq!(g["skipped"].as_array().map(Vec::len), Some(3), "{g}");
    assert_eq!(g["skipped"][0]["iccid"], iccid(1), "{g}");
    assert_eq!(g["sims"][0]["iccid"], iccid(0));
    // Again: everything is already in stock.
    let (_, g) = t.post(&d.c, "/api/v1/telecom/sims/generate", body).await;
    assert_eq!((g["created"].as_u64(), g["skipped"].as_array().map(Vec::len)), (Some(0), Some(5)), "{g}");
    for bad in [
        json!({"count": "0", "iccid": "8999{num}", "imsi": "43701{num:010}", "msisdn": "+996555{num:06}"}),
        json!({"count": "2", "iccid": "8999", "imsi": "43701{num:010}", "msisdn": "+996555{num:06}"}),
        json!({"count": "2", "iccid": "8999601{num:04}", "imsi": "43701{num:010}", "msisdn": "+996555{num:06}"}),
        json!({"count": "2", "iccid": "89996010000000{num:04}", "imsi": "25001{num:010}", "msisdn": "+996555{num:06}"}),
    ] {
        let (s, e) = t.post(&d.c, "/api/v1/telecom/sims/generate", bad.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad} → {e}");
    }
    let (_, free) = t.get(&d.c, "/api/v1/telecom/sims?status=free").await;
    assert_eq!(free.as_array().map(Vec::len), Some(5), "{free}");
    let (_, one) = t.get(&d.c, &format!("/api/v1/telecom/sims?number={}", iccid(2))).await;
    assert_eq!(one[0]["id"].as_u64(), Some(d.sims[1]), "{one}");
    // Block and unblock a free SIM; a blocked SIM is not activated.
    let (s, b) = t.post(&d.c, &format!("/api/v1/telecom/sims/{}/block", d.sims[2]), json!({})).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("blocked")), "{b}");
    let (s, e) = t.post(&d.c, &format!("/api/v1/telecom/sims/{}/block", d.sims[2]), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")));
    let s1 = person(&t, &d.c, "Блок", "1111111", "0555 000 001").await["subscriber"]["id"].clone();
    let (s, e) =
        t.post(&d.c, "/api/v1/telecom/contracts", json!({"subscriber": s1, "tariff": d.tariff, "sim": d.sims[2], "activate": true})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["sim_not_free".to_string()]), "{e}");
    let (s, b) = t.post(&d.c, &format!("/api/v1/telecom/sims/{}/unblock", d.sims[2]), json!({})).await;
    assert_eq!((s, b["status"].as_str()), (StatusCode::OK, Some("free")), "{b}");
    let (s, e) = t.post(&d.c, &format!("/api/v1/telecom/sims/{}/unblock", d.sims[2]), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")));
    // Settings: the MCC/MNC the IMSI must carry.
    let (s, v) = t.put(&d.c, "/api/v1/telecom/settings", json!({"mcc": "437", "mnc": "05", "low_balance": "50"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, e) =
        t.post(&d.c, "/api/v1/telecom/sims", json!({"iccid": iccid(50), "imsi": "437010000000050", "msisdn": "+996700000050"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["imsi".to_string()]), "{e}");
    let (s, e) = t.put(&d.c, "/api/v1/telecom/settings", json!({"mcc": "43", "mnc": "05", "low_balance": "50"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["mcc".to_string()]), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn every_contract_transition_is_allowed_or_refused_by_the_state_machine() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@states.kg").await;
    let s = person(&t, &d.c, "Сыдыков", "2222222", "0555 222 222").await["subscriber"]["id"].as_u64().expect("id");
    let (st, k) = t.post(&d.c, "/api/v1/telecom/contracts", json!({"subscriber": s, "tariff": d.tariff})).await;
    assert_eq!(st, StatusCode::CREATED, "{k}");
    let id = k["id"].as_u64().expect("id");
    assert_eq!(k["status"], "draft");
    let number = k["number"].as_str().expect("number");
    assert_eq!(number, "202603-00000001", "{k}");
    let post = |path: String, body: Value| {
        let t = &t;
        let c = &d.c;
        async move { t.post(c, &path, body).await }
    };
    let path = |action: &str| format!("/api/v1/telecom/contracts/{id}/{action}");
    // From draft: suspend and resume are refused; activation needs a SIM, a free one.
    for action in ["suspend", "resume"] {
        let (st, e) = post(path(action), json!({})).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{action}: {e}");
    }
    let (st, e) = post(path("activate"), json!({})).await;
    assert_eq!((st, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["required".to_string()]), "{e}");
    let (st, e) = post(path("payments"), json!({"amount": "10"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    let (st, k) = post(path("activate"), json!({"sim": d.sims[0]})).await;
    assert_eq!((st, k["status"].as_str()), (StatusCode::OK, Some("active")), "{k}");
    assert_eq!(k["activated"], "2026-03-01");
    assert_eq!(k["next_bill"], "2026-04-01");
    assert_eq!(status(&t, &d.c, id).await, ("active".into(), "active".into()));
    let (st, e) = post(path("activate"), json!({"sim": d.sims[1]})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    // The SIM is taken: another contract cannot have it.
    let (st, e) = t.post(&d.c, "/api/v1/telecom/contracts", json!({"subscriber": s, "tariff": d.tariff, "sim": d.sims[0]})).await;
    assert_eq!((st, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["sim_not_free".to_string()]), "{e}");
    // Active ⇄ suspended; the SIM follows.
    let (st, e) = post(path("resume"), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    let (st, k) = post(path("suspend"), json!({})).await;
    assert_eq!((st, k["status"].as_str(), k["suspension"].as_str()), (StatusCode::OK, Some("suspended"), Some("manual")), "{k}");
    assert_eq!(status(&t, &d.c, id).await, ("suspended".into(), "suspended".into()));
    let (st, e) = post(path("suspend"), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    // Money does not lift a person's suspension.
    let (st, _) = post(path("payments"), json!({"amount": "1000"})).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(status(&t, &d.c, id).await.0, "suspended");
    let (st, k) = post(path("resume"), json!({})).await;
    assert_eq!((st, k["status"].as_str()), (StatusCode::OK, Some("active")), "{k}");
    // Terminate frees the SIM and closes its binding; nothing moves a terminated contract.
    let (st, k) = post(path("terminate"), json!({})).await;
    assert_eq!((st, k["status"].as_str(), k["terminated"].as_str()), (StatusCode::OK, Some("terminated"), Some("2026-03-01")), "{k}");
    let (_, sim) = t.get(&d.c, &format!("/api/v1/telecom/sims/{}", d.sims[0])).await;
    assert_eq!(sim["sim"]["status"], "free", "{sim}");
    assert_eq!(sim["sim"]["contract"], Value::Null);
    assert_eq!(sim["bindings"][0]["contract"].as_u64(), Some(id), "{sim}");
    assert!(sim["bindings"][0]["released"].is_string(), "{sim}");
    for action in ["activate", "suspend", "resume", "terminate"] {
        let (st, e) = post(path(action), json!({})).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{action}: {e}");
    }
    let (st, e) = post(path("payments"), json!({"amount": "10"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{e}");
    // The balance stays on the ledger and can be refunded.
    let (st, r) = post(path("refunds"), json!({"amount": "1000", "reason": "Расторжение"})).await;
    assert_eq!((st, r["balance"].as_str()), (StatusCode::CREATED, Some("0.00")), "{r}");
    // The freed SIM goes to a new contract; a terminated draft needs no SIM.
    let (_, k2) = active_contract(&t, &d, "3333333", "0555 333 333", d.sims[0]).await;
    let (_, sim) = t.get(&d.c, &format!("/api/v1/telecom/sims/{}", d.sims[0])).await;
    assert_eq!(sim["bindings"].as_array().map(Vec::len), Some(2), "{sim}");
    assert_eq!(sim["sim"]["contract"].as_u64(), Some(k2));
    let (_, draft) = t.post(&d.c, "/api/v1/telecom/contracts", json!({"subscriber": s, "tariff": d.tariff})).await;
    assert_eq!(draft["number"], "202603-00000003", "{draft}");
    let (st, k3) = t.post(&d.c, &format!("/api/v1/telecom/contracts/{}/terminate", draft["id"]), json!({})).await;
    assert_eq!((st, k3["status"].as_str()), (StatusCode::OK, Some("terminated")), "{k3}");
    // Archiving a subscriber needs every contract ended.
    let (st, e) = t.post(&d.c, &format!("/api/v1/telecom/subscribers/{s}/status"), json!({"status": "archived"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::OK, None), "{e}");
    let (st, e) = t.post(&d.c, "/api/v1/telecom/contracts", json!({"subscriber": s, "tariff": d.tariff})).await;
    assert_eq!((st, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["subscriber_not_active".to_string()]), "{e}");
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/contracts/{k2}")).await;
    let s2 = card["subscriber"]["id"].as_u64().expect("id");
    let (st, e) = t.post(&d.c, &format!("/api/v1/telecom/subscribers/{s2}/status"), json!({"status": "archived"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("subscriber_has_contracts")), "{e}");
    // Dates: a contract is not signed in the future.
    let (st, e) = t.post(&d.c, "/api/v1/telecom/contracts", json!({"subscriber": s2, "tariff": d.tariff, "signed": "2026-03-02"})).await;
    assert_eq!((st, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["signed_in_future".to_string()]), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn tariffs_change_by_revisions_and_archiving_keeps_contracts() {
    let t = TestApp::spawn().await;
    let mut d = desk(&t, "owner@tariffs.kg").await;
    let (s, e) = t.post(&d.c, "/api/v1/telecom/tariffs", json!({"name": "базовый", "terms": {"monthly_fee": "1"}})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["name_taken".to_string()]), "{e}");
    let (s, e) = t
        .post(&d.c, "/api/v1/telecom/tariffs", json!({"name": "Х", "pay_kind": "later", "terms": {"monthly_fee": "-1", "minutes": "x"}}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(codes(&e), vec!["name", "pay_kind", "amount", "whole"], "{e}");
    let rev = format!("/api/v1/telecom/tariffs/{}/revisions", d.tariff);
    let (s, e) = t.post(&d.c, &rev, json!({"valid_from": "2026-02-28", "monthly_fee": "400"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["revision_date".to_string()]), "{e}");
    let (s, e) = t.post(&d.c, &rev, json!({"valid_from": "2026-03-01", "monthly_fee": "400"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["revision_date".to_string()]), "{e}");
    let (s, v) = t.post(&d.c, &rev, json!({"valid_from": "2026-04-15", "monthly_fee": "400"})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["revisions"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["revisions"][0]["monthly_fee"], "300.00", "the old revision is unchanged: {v}");
    // A contract keeps an archived tariff; new contracts cannot take it.
    let (_, k) = active_contract(&t, &d, "4444444", "0555 444 444", d.sims[0]).await;
    let (s, v) = t.post(&d.c, &format!("/api/v1/telecom/tariffs/{}/archive", d.tariff), json!({})).await;
    assert_eq!((s, v["archived"].as_bool()), (StatusCode::OK, Some(true)), "{v}");
    let s2 = person(&t, &d.c, "Новый", "5555555", "0555 555 555").await["subscriber"]["id"].clone();
    let (s, e) = t.post(&d.c, "/api/v1/telecom/contracts", json!({"subscriber": s2, "tariff": d.tariff})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["tariff_archived".to_string()]), "{e}");
    // The fee of each period is the revision in force on its due date.
    t.post(&d.c, &format!("/api/v1/telecom/contracts/{k}/payments"), json!({"amount": "2000"})).await;
    later(&t, &mut d, 70).await;
    let (s, r) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({})).await;
    assert_eq!((s, r["charges"].as_u64()), (StatusCode::OK, Some(2)), "{r}");
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/contracts/{k}")).await;
    let fees: Vec<(&str, &str)> = card["ledger"]
        .as_array()
        .expect("ledger")
        .iter()
        .filter(|e| e["kind"] == "charge")
        .map(|e| (e["date"].as_str().unwrap_or(""), e["amount"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(fees, vec![("2026-04-01", "-300.00"), ("2026-05-01", "-400.00")], "{card}");
    let (s, v) = t.post(&d.c, &format!("/api/v1/telecom/tariffs/{}/restore", d.tariff), json!({})).await;
    assert_eq!((s, v["archived"].as_bool()), (StatusCode::OK, Some(false)));
    t.assert_consistent();
}

#[tokio::test]
async fn payments_are_idempotent_and_billing_charges_each_period_once() {
    let t = TestApp::spawn().await;
    let mut d = desk(&t, "owner@billing.kg").await;
    let (_, k) = active_contract(&t, &d, "6666666", "0555 666 666", d.sims[0]).await;
    let pay = format!("/api/v1/telecom/contracts/{k}/payments");
    let (s, p) = t.post(&d.c, &pay, json!({"amount": "450", "method": "terminal", "transaction_id": "qiwi-1"})).await;
    assert_eq!((s, p["balance"].as_str()), (StatusCode::CREATED, Some("450.00")), "{p}");
    let (s, again) = t.post(&d.c, &pay, json!({"amount": "450", "method": "terminal", "transaction_id": "qiwi-1"})).await;
    assert_eq!(
        (s, again["replayed"].as_bool(), again["entry"]["seq"].clone()),
        (StatusCode::OK, Some(true), p["entry"]["seq"].clone()),
        "{again}"
    );
    assert_eq!(balance(&t, &d.c, k).await, "450.00");
    let (s, e) = t.post(&d.c, &pay, json!({"amount": "451", "method": "terminal", "transaction_id": "qiwi-1"})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("transaction_id_reused")), "{e}");
    for (bad, code) in [
        (json!({"amount": "0"}), "amount_positive"),
        (json!({"amount": "-5"}), "amount"),
        (json!({"amount": "1e3"}), "amount"),
        (json!({"amount": "10", "method": "system"}), "method"),
        (json!({"amount": "10", "method": "barter"}), "method"),
    ] {
        let (s, e) = t.post(&d.c, &pay, bad.clone()).await;
        assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![code.to_string()]), "{bad} → {e}");
    }
    // Nothing is due before 1 April; a billing date in the future is refused.
    let (s, r) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({"date": "2026-03-01"})).await;
    assert_eq!((s, r["charges"].as_u64()), (StatusCode::OK, Some(0)), "{r}");
    let (s, e) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({"date": "2026-04-01"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["billing_date_in_future".to_string()]), "{e}");
    let (s, e) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({"date": "1 April"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["date".to_string()]), "{e}");
    // 1 April: one charge; the same day again charges nothing.
    later(&t, &mut d, 31).await;
    let (_, r) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({"date": "2026-04-01"})).await;
    assert_eq!((r["charges"].as_u64(), r["amount"].as_str()), (Some(1), Some("300.00")), "{r}");
    let (_, r) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({"date": "2026-04-01"})).await;
    assert_eq!(r["charges"].as_u64(), Some(0), "{r}");
    assert_eq!(balance(&t, &d.c, k).await, "150.00");
    // 1 May: the fee takes the balance below zero → suspended for the balance.
    later(&t, &mut d, 30).await;
    let (_, r) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({})).await;
    assert_eq!((r["date"].as_str(), r["charges"].as_u64()), (Some("2026-05-01"), Some(1)), "{r}");
    assert_eq!(balance(&t, &d.c, k).await, "-150.00");
    assert_eq!(status(&t, &d.c, k).await, ("suspended".into(), "suspended".into()));
    let (s, e) = t.post(&d.c, &format!("/api/v1/telecom/contracts/{k}/resume"), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("balance_negative")), "{e}");
    // 1 June passes while suspended: nothing is charged for it then.
    later(&t, &mut d, 31).await;
    let (_, r) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({})).await;
    assert_eq!(r["charges"].as_u64(), Some(0), "{r}");
    // A top-up above zero resumes it and catches up June's fee while the balance covers it.
    let (s, p) = t.post(&d.c, &pay, json!({"amount": "500", "transaction_id": "cash-2"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!(status(&t, &d.c, k).await, ("active".into(), "active".into()));
    assert_eq!(balance(&t, &d.c, k).await, "50.00");
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/contracts/{k}")).await;
    let periods: Vec<u64> = card["ledger"].as_array().expect("ledger").iter().filter_map(|e| e["period"].as_u64()).collect();
    assert_eq!(periods, vec![1, 2, 3], "{card}");
    assert_eq!(card["contract"]["next_bill"], "2026-07-01");
    assert_eq!(card["charged"], "900.00");
    // The feed, newest first: the first payment, May's fee crossing below 100 and the
    // suspension, the top-up, the resumption, and June's fee crossing below 100 again.
    let (_, events) = t.get(&d.c, "/api/v1/telecom/events").await;
    let kinds: Vec<&str> = events.as_array().expect("events").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["low_balance", "resumed", "payment_received", "suspended", "low_balance", "payment_received"], "{events}");
    // Refunds subtract and never below zero; corrections need a reason.
    let refund = format!("/api/v1/telecom/contracts/{k}/refunds");
    let (s, e) = t.post(&d.c, &refund, json!({"amount": "51", "reason": "Ошибка"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["refund_exceeds_balance".to_string()]), "{e}");
    let (s, e) = t.post(&d.c, &refund, json!({"amount": "10"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["required".to_string()]), "{e}");
    let (s, r) = t.post(&d.c, &refund, json!({"amount": "20", "reason": "Ошибка оператора"})).await;
    assert_eq!((s, r["balance"].as_str(), r["entry"]["amount"].as_str()), (StatusCode::CREATED, Some("30.00"), Some("-20.00")), "{r}");
    let corr = format!("/api/v1/telecom/contracts/{k}/corrections");
    let (s, e) = t.post(&d.c, &corr, json!({"amount": "0", "reason": "x"})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["amount_zero".to_string()]), "{e}");
    let (s, c) = t.post(&d.c, &corr, json!({"amount": "-40", "reason": "Сверка"})).await;
    assert_eq!((s, c["balance"].as_str()), (StatusCode::CREATED, Some("-10.00")), "{c}");
    assert_eq!(status(&t, &d.c, k).await.0, "suspended");
    t.assert_consistent();
}

pub async fn role_user(t: &TestApp, owner: &Client, preset: &str, email: &str) -> Client {
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
async fn the_preset_roles_of_spec_b5_decide_who_does_what() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@roles.kg").await;
    let (_, k) = active_contract(&t, &d, "8888888", "0555 888 888", d.sims[0]).await;
    let employee = role_user(&t, &d.c, "employee", "emp@roles.kg").await;
    let operator = role_user(&t, &d.c, "operator", "op@roles.kg").await;
    let supervisor = role_user(&t, &d.c, "supervisor", "sup@roles.kg").await;
    let subscriber =
        json!({"last_name": "Роль", "first_name": "Тест", "doc_series": "AN", "doc_number": "9990001", "phone": "0555 999 001"});
    let generate =
        json!({"count": "1", "iccid": "89996010000000{num:04}", "imsi": "43701888{num:07}", "msisdn": "+996777{num:06}", "start": "20"});
    // (who, method, path, body, allowed)
    let cases: Vec<(&Client, Method, String, Option<Value>, bool)> = vec![
        (&employee, Method::GET, "/api/v1/telecom/subscribers".into(), None, true),
        (&employee, Method::GET, format!("/api/v1/telecom/contracts/{k}"), None, true),
        (&employee, Method::GET, "/api/v1/telecom/sims".into(), None, true),
        (&employee, Method::POST, "/api/v1/telecom/subscribers".into(), Some(subscriber.clone()), false),
        (&employee, Method::POST, format!("/api/v1/telecom/contracts/{k}/payments"), Some(json!({"amount": "5"})), false),
        (&employee, Method::POST, "/api/v1/telecom/sims".into(), Some(json!({})), false),
        (&employee, Method::POST, format!("/api/v1/telecom/contracts/{k}/suspend"), None, false),
        (&employee, Method::POST, format!("/api/v1/telecom/contracts/{k}/terminate"), None, false),
        (&operator, Method::POST, "/api/v1/telecom/subscribers".into(), Some(subscriber), true),
        (&operator, Method::POST, format!("/api/v1/telecom/contracts/{k}/payments"), Some(json!({"amount": "500"})), true),
        (&operator, Method::POST, "/api/v1/telecom/sims/generate".into(), Some(generate.clone()), false),
        (&operator, Method::POST, "/api/v1/telecom/tariffs".into(), Some(json!({"name": "Оп", "terms": {"monthly_fee": "1"}})), false),
        (&operator, Method::POST, format!("/api/v1/telecom/tariffs/{}/archive", d.tariff), None, false),
        (&operator, Method::POST, format!("/api/v1/telecom/contracts/{k}/corrections"), Some(json!({"amount": "1", "reason": "x"})), false),
        (&operator, Method::POST, "/api/v1/telecom/billing/run".into(), Some(json!({})), false),
        (&operator, Method::PUT, "/api/v1/telecom/settings".into(), Some(json!({"mcc": "437", "mnc": "01", "low_balance": "1"})), false),
        (&operator, Method::POST, format!("/api/v1/telecom/contracts/{k}/suspend"), None, true),
        (&operator, Method::POST, format!("/api/v1/telecom/contracts/{k}/resume"), None, true),
        (&supervisor, Method::POST, "/api/v1/telecom/sims/generate".into(), Some(generate), true),
        (&supervisor, Method::POST, "/api/v1/telecom/tariffs".into(), Some(json!({"name": "Супер", "terms": {"monthly_fee": "1"}})), true),
        (
            &supervisor,
            Method::POST,
            format!("/api/v1/telecom/contracts/{k}/corrections"),
            Some(json!({"amount": "1", "reason": "x"})),
            true,
        ),
        (&supervisor, Method::POST, "/api/v1/telecom/billing/run".into(), Some(json!({})), true),
        (&operator, Method::POST, format!("/api/v1/telecom/contracts/{k}/terminate"), None, true),
    ];
    for (who, method, path, body, allowed) in cases {
        let (s, v) = t.call(method.clone(), &path, Some(&who.token), body.or(Some(json!({})))).await;
        if allowed {
            assert!(s.is_success(), "{method} {path}: {s} {v}");
        } else {
            assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{method} {path}: {v}");
        }
    }
    // Pages follow the same rights.
    for (who, path, want) in [(&employee, "/telecom/subscribers", StatusCode::OK), (&employee, "/telecom/billing", StatusCode::OK)] {
        let r = t.http.get(t.url(path)).bearer_auth(&who.token).send().await.expect("page");
        assert_eq!(r.status(), want, "{path}");
    }
    // A plan without the telecom module switches all of it off, even for the owner.
    let company = d.c.company_id();
    t.app
        .db
        .write(move |tx| -> dukan::error::Result<()> {
            let id = tx.next_id()?;
            let plan = dukan::tenancy::model::Plan {
                id: dukan::ids::PlanId(id),
                name: "Магазин без телекома".into(),
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
    for path in ["/api/v1/telecom/subscribers", "/api/v1/telecom/sims", "/api/v1/telecom/tariffs", "/api/v1/telecom/contracts"] {
        let (s, v) = t.get(&d.c, path).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::FORBIDDEN, Some("feature_disabled")), "{path}: {v}");
    }
    t.assert_consistent();
}

#[tokio::test]
async fn every_telecom_id_route_is_isolated_between_companies() {
    let t = TestApp::spawn().await;
    let a = desk(&t, "owner@a-telecom.kg").await;
    let b = desk(&t, "owner@b-telecom.kg").await;
    let (sub, k) = active_contract(&t, &b, "1212121", "0555 121 212", b.sims[0]).await;
    let (sim, tariff) = (b.sims[0], b.tariff);
    t.post(&b.c, &format!("/api/v1/telecom/contracts/{k}/payments"), json!({"amount": "100", "transaction_id": "b-1"})).await;
    let api: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/telecom/subscribers/{sub}"), None),
        (
            Method::PUT,
            format!("/api/v1/telecom/subscribers/{sub}"),
            Some(
                json!({"last_name": "Чужой", "first_name": "Абонент", "doc_series": "AN", "doc_number": "1313131", "phone": "0555 131 313"}),
            ),
        ),
        (Method::POST, format!("/api/v1/telecom/subscribers/{sub}/status"), Some(json!({"status": "blocked"}))),
        (Method::GET, format!("/api/v1/telecom/sims/{sim}"), None),
        (Method::POST, format!("/api/v1/telecom/sims/{sim}/block"), None),
        (Method::POST, format!("/api/v1/telecom/sims/{sim}/unblock"), None),
        (Method::GET, format!("/api/v1/telecom/tariffs/{tariff}"), None),
        (Method::PUT, format!("/api/v1/telecom/tariffs/{tariff}"), Some(json!({"name": "Чужой"}))),
        (
            Method::POST,
            format!("/api/v1/telecom/tariffs/{tariff}/revisions"),
            Some(json!({"valid_from": "2026-05-01", "monthly_fee": "1"})),
        ),
        (Method::POST, format!("/api/v1/telecom/tariffs/{tariff}/archive"), None),
        (Method::POST, format!("/api/v1/telecom/tariffs/{tariff}/restore"), None),
        (Method::GET, format!("/api/v1/telecom/contracts/{k}"), None),
        (Method::POST, format!("/api/v1/telecom/contracts/{k}/activate"), Some(json!({"sim": a.sims[0]}))),
        (Method::POST, format!("/api/v1/telecom/contracts/{k}/suspend"), None),
        (Method::POST, format!("/api/v1/telecom/contracts/{k}/resume"), None),
        (Method::POST, format!("/api/v1/telecom/contracts/{k}/terminate"), None),
        (Method::POST, format!("/api/v1/telecom/contracts/{k}/payments"), Some(json!({"amount": "5"}))),
        (Method::POST, format!("/api/v1/telecom/contracts/{k}/refunds"), Some(json!({"amount": "5", "reason": "x"}))),
        (Method::POST, format!("/api/v1/telecom/contracts/{k}/corrections"), Some(json!({"amount": "5", "reason": "x"}))),
    ];
    for (method, path, body) in api {
        let (s, v) = t.call(method.clone(), &path, Some(&a.c.token), body.or(Some(json!({})))).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{method} {path}: {v}");
    }
    // Another company's ids are not usable in one's own records either.
    let mine = person(&t, &a.c, "Свой", "1414141", "0555 141 414").await["subscriber"]["id"].clone();
    let (s, e) = t.post(&a.c, "/api/v1/telecom/contracts", json!({"subscriber": sub, "tariff": a.tariff})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_subscriber".to_string()]), "{e}");
    let (s, e) = t.post(&a.c, "/api/v1/telecom/contracts", json!({"subscriber": mine, "tariff": tariff, "sim": sim})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_tariff".to_string(), "unknown_sim".to_string()]), "{e}");
    // A transaction id of another company is another payment, not a replay.
    let (_, k_a) = active_contract(&t, &a, "1515151", "0555 151 515", a.sims[0]).await;
    let (s, p) =
        t.post(&a.c, &format!("/api/v1/telecom/contracts/{k_a}/payments"), json!({"amount": "100", "transaction_id": "b-1"})).await;
    assert_eq!((s, p["replayed"].as_bool()), (StatusCode::CREATED, Some(false)), "{p}");
    // Lists, the duplicate check and the feed never show the other company.
    let (_, subs) = t.get(&a.c, "/api/v1/telecom/subscribers?q=121212").await;
    assert_eq!(subs, json!([]));
    let (_, same_phone) = t
        .post(
            &a.c,
            "/api/v1/telecom/subscribers",
            json!({"last_name": "Тот", "first_name": "Же", "doc_series": "AN", "doc_number": "1616161", "phone": "0555 121 212"}),
        )
        .await;
    assert_eq!(same_phone["duplicates"], json!([]), "{same_phone}");
    let (_, sims) = t.get(&a.c, &format!("/api/v1/telecom/sims?number={}", iccid(1))).await;
    assert_eq!(sims[0]["id"].as_u64(), Some(a.sims[0]), "{sims}");
    let (_, events) = t.get(&a.c, "/api/v1/telecom/events").await;
    assert!(events.as_array().expect("events").iter().all(|e| e["contract"].as_u64() == Some(k_a)), "{events}");
    // Pages too.
    for path in [format!("/telecom/subscribers/{sub}"), format!("/telecom/tariffs/{tariff}"), format!("/telecom/contracts/{k}")] {
        let r = t.http.get(t.url(&path)).bearer_auth(&a.c.token).send().await.expect("page");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(balance(&t, &b.c, k).await, "100.00", "the other company's contract is untouched");
    t.assert_consistent();
}

#[tokio::test]
async fn the_daily_scheduler_bills_each_company_once_a_day() {
    let t = TestApp::spawn().await;
    let mut d = desk(&t, "owner@schedule.kg").await;
    let (_, k) = active_contract(&t, &d, "1717171", "0555 171 717", d.sims[0]).await;
    t.post(&d.c, &format!("/api/v1/telecom/contracts/{k}/payments"), json!({"amount": "1000"})).await;
    dukan::workers::billing_once(t.app.clone()).await.expect("step");
    assert_eq!(balance(&t, &d.c, k).await, "1000.00", "nothing is due on the day of activation");
    later(&t, &mut d, 31).await;
    for _ in 0..3 {
        dukan::workers::billing_once(t.app.clone()).await.expect("step");
    }
    assert_eq!(balance(&t, &d.c, k).await, "700.00");
    let (_, audit) = t.get(&d.c, "/api/v1/audit?action=telecom.billing").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(2), "one run per local day: {audit}");
    t.assert_consistent();
}
