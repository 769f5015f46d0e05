//! Subscriber edit (the likely duplicates show on the card it returns to, as after create),
//! merge (contracts with their payments and tickets move over in one transaction; two
//! different personal numbers are refused; `dukan check` passes), and bulk SIM assignment
//! (N free SIMs → N active contracts, or into another branch's stock; all or nothing;
//! supervisors only).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::telecom::{active_contract, add_sim, codes, desk, person, role_user};
use crate::telecom_tickets::open_ticket;

fn id(v: &Value) -> u64 {
    v["subscriber"]["id"].as_u64().expect("id")
}

#[tokio::test]
async fn a_duplicate_merges_into_its_survivor_with_everything_it_held() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@merge.kg").await;
    // The same person twice: the second time with a mistyped passport and a contract, a
    // payment and a ticket; the same phone makes them likely duplicates.
    let (gone, k) = active_contract(&t, &d, "1111001", "0555 111 000", d.sims[0]).await;
    let (s, p) = t.post(&d.c, &format!("/api/v1/telecom/contracts/{k}/payments"), json!({"amount": "700", "transaction_id": "m-1"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let ticket = open_ticket(&t, &d.c, gone, "Не работает интернет", "medium").await;
    let keep = id(&person(&t, &d.c, "Осмонов", "1111000", "0555 111 000").await);

    // Editing through the API finds the duplicates too, and still refuses an identical document.
    let body = json!({"last_name": "Осмонов", "first_name": "Айбек", "patronymic": "Уланович", "doc_series": "AN", "doc_number": "1111000", "phone": "0555 111 000", "email": "aibek@example.kg"});
    let (s, v) = t.put(&d.c, &format!("/api/v1/telecom/subscribers/{keep}"), body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["duplicates"][0]["id"].as_u64(), Some(gone), "{v}");
    let body = json!({"last_name": "Осмонов", "first_name": "Айбек", "doc_series": "AN", "doc_number": "1111001", "phone": "0555 111 000"});
    let (s, e) = t.put(&d.c, &format!("/api/v1/telecom/subscribers/{keep}"), body).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["duplicate_document".to_string()]), "{e}");

    // Refusals write nothing.
    let path = format!("/api/v1/telecom/subscribers/{keep}/merge");
    let (s, e) = t.post(&d.c, &path, json!({"duplicate": keep})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["merge_same".to_string()]), "{e}");
    let (s, e) = t.post(&d.c, &path, json!({"duplicate": 999_999})).await;
    assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_subscriber".to_string()]), "{e}");
    let employee = role_user(&t, &d.c, "employee", "emp@merge.kg").await;
    let (s, _) = t.post(&employee, &path, json!({"duplicate": gone})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let (s, m) = t.post(&d.c, &path, json!({"duplicate": gone})).await;
    assert_eq!((s, m["contracts"].as_u64(), m["tickets"].as_u64()), (StatusCode::OK, Some(1), Some(1)), "{m}");
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/subscribers/{keep}")).await;
    assert_eq!(card["contracts"][0]["contract"]["id"].as_u64(), Some(k), "{card}");
    assert_eq!(card["contracts"][0]["balance"], "700.00", "the payment came along: {card}");
    let (_, old) = t.get(&d.c, &format!("/api/v1/telecom/subscribers/{gone}")).await;
    assert_eq!((old["subscriber"]["status"].as_str(), old["contracts"].as_array().map(Vec::len)), (Some("archived"), Some(0)), "{old}");
    let (_, tk) = t.get(&d.c, &format!("/api/v1/telecom/tickets/{ticket}")).await;
    assert_eq!(tk["ticket"]["subscriber"].as_u64(), Some(keep), "{tk}");
    let (_, kc) = t.get(&d.c, &format!("/api/v1/telecom/contracts/{k}")).await;
    assert_eq!(kc["contract"]["subscriber"].as_u64(), Some(keep), "{kc}");

    // Two different ПИН are two different people.
    let with_pin = |doc: &str, pin: &str, phone: &str| json!({"last_name": "Асанова", "first_name": "Бермет", "doc_series": "AN", "doc_number": doc, "personal_no": pin, "phone": phone});
    let (_, a) = t.post(&d.c, "/api/v1/telecom/subscribers", with_pin("2222000", "22505199012345", "0555 222 000")).await;
    let (_, b) = t.post(&d.c, "/api/v1/telecom/subscribers", with_pin("2222001", "22505199054321", "0555 222 000")).await;
    let (s, e) = t.post(&d.c, &format!("/api/v1/telecom/subscribers/{}/merge", id(&a)), json!({"duplicate": id(&b)})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("merge_documents_conflict")), "{e}");
    let (_, still) = t.get(&d.c, &format!("/api/v1/telecom/subscribers/{}", id(&b))).await;
    assert_eq!(still["subscriber"]["status"], "active");

    // The pages: the edit form comes filled in and saves; the card offers the merge.
    for path in [format!("/telecom/subscribers/{keep}/edit"), format!("/telecom/subscribers/{}", id(&a))] {
        let r = t.http.get(t.url(&path)).bearer_auth(&d.c.token).send().await.expect("page");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let html = r.text().await.expect("html");
        assert!(html.contains("Осмонов") || html.contains("/merge"), "{path}");
    }
    t.assert_consistent();
}

#[tokio::test]
async fn free_sims_are_assigned_in_bulk_all_or_nothing() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@bulk.kg").await;
    for n in 4..=6 {
        add_sim(&t, &d.c, n).await;
    }
    let org = id(&person(&t, &d.c, "Оптовый", "3333000", "0555 333 000").await);
    let operator = role_user(&t, &d.c, "operator", "op@bulk.kg").await;
    let body = json!({"count": "2", "subscriber": org, "tariff": d.tariff});
    let (s, _) = t.post(&operator, "/api/v1/telecom/sims/assign", body.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "bulk assignment is the supervisors'");

    let free = |v: &Value| v.as_array().map(Vec::len).unwrap_or(0);
    let (_, before) = t.get(&d.c, "/api/v1/telecom/sims?status=free").await;
    assert_eq!(free(&before), 6);
    let (s, e) = t.post(&d.c, "/api/v1/telecom/sims/assign", json!({"count": "7", "subscriber": org, "tariff": d.tariff})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("not_enough_free_sims")), "{e}");
    for (bad, code) in [
        (json!({"count": "0", "subscriber": org, "tariff": d.tariff}), "count"),
        (json!({"count": "1"}), "required"),
        (json!({"count": "1", "to_branch": 999_999}), "unknown_branch"),
    ] {
        let (s, e) = t.post(&d.c, "/api/v1/telecom/sims/assign", bad.clone()).await;
        assert_eq!((s, codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec![code.to_string()]), "{bad}: {e}");
    }
    let (_, after) = t.get(&d.c, "/api/v1/telecom/sims?status=free").await;
    assert_eq!(free(&after), 6, "a refused assignment takes nothing");

    let (s, made) = t.post(&d.c, "/api/v1/telecom/sims/assign", body).await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let contracts = made["contracts"].as_array().expect("contracts");
    assert_eq!(contracts.len(), 2);
    assert!(contracts.iter().all(|k| k["status"] == "active" && k["subscriber"].as_u64() == Some(org)), "{made}");
    assert_ne!(contracts[0]["sim"], contracts[1]["sim"]);
    let (_, left) = t.get(&d.c, "/api/v1/telecom/sims?status=free").await;
    assert_eq!(free(&left), 4);

    // Into a dealer's branch.
    let (s, dealer) = t.post(&d.c, "/api/v1/branches", json!({"name": "Дилер Ош"})).await;
    assert_eq!(s, StatusCode::CREATED, "{dealer}");
    let dealer = dealer["id"].as_u64().expect("branch");
    let (s, moved) = t.post(&d.c, "/api/v1/telecom/sims/assign", json!({"count": "3", "to_branch": dealer})).await;
    assert_eq!(s, StatusCode::CREATED, "{moved}");
    let moved = moved["moved"].as_array().expect("moved");
    assert!(moved.len() == 3 && moved.iter().all(|s| s["branch"].as_u64() == Some(dealer) && s["status"] == "free"), "{moved:?}");
    let (s, e) = t.post(&d.c, "/api/v1/telecom/sims/assign", json!({"count": "2", "to_branch": dealer})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("not_enough_free_sims")), "one left outside the dealer: {e}");
    t.assert_consistent();
}
