//! The printable contract and payment receipt: valid PDFs whose text carries the contract
//! number, the subscriber and their document, the SIM, the tariff revision in force, the
//! payment and the balance after it; charges have no receipt; other companies get 404.

use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;
use crate::documents::pdf_lines;
use crate::telecom::{active_contract, desk, iccid};

async fn pdf(t: &TestApp, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let r = t.http.get(t.url(path)).bearer_auth(token).send().await.expect("pdf");
    let status = r.status();
    if status == StatusCode::OK {
        assert_eq!(r.headers()["content-type"], "application/pdf", "{path}");
    }
    (status, r.bytes().await.expect("bytes").to_vec())
}

#[tokio::test]
async fn the_contract_and_the_receipt_print_with_what_the_counter_needs() {
    let t = TestApp::spawn().await;
    let d = desk(&t, "owner@print.kg").await;
    let (_, k) = active_contract(&t, &d, "9090909", "0555 909 090", d.sims[0]).await;
    let (s, p) =
        t.post(&d.c, &format!("/api/v1/telecom/contracts/{k}/payments"), json!({"amount": "450", "transaction_id": "print-1"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let seq = p["entry"]["seq"].as_u64().expect("seq");
    let (_, card) = t.get(&d.c, &format!("/api/v1/telecom/contracts/{k}")).await;
    let number = card["contract"]["number"].as_str().expect("number").to_string();

    for path in [format!("/api/v1/telecom/contracts/{k}/contract.pdf"), format!("/telecom/contracts/{k}/contract.pdf")] {
        let (s, bytes) = pdf(&t, &d.c.token, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert!(bytes.starts_with(b"%PDF-"), "{path}");
        let text = pdf_lines(&bytes).concat().join("\n");
        for want in [number.as_str(), "Осмонов Айбек", "AN 9090909", &iccid(1), "+996555909090", "+996700000001", "Базовый", "Абонент"]
        {
            assert!(text.contains(want), "{want} missing from the contract:\n{text}");
        }
    }
    for path in [format!("/api/v1/telecom/contracts/{k}/receipts/{seq}"), format!("/telecom/contracts/{k}/receipts/{seq}.pdf")] {
        let (s, bytes) = pdf(&t, &d.c.token, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        let text = pdf_lines(&bytes).concat().join("\n");
        for want in [number.as_str(), "КВИТАНЦИЯ", "print-1", "450", "Баланс после оплаты"] {
            assert!(text.contains(want), "{want} missing from the receipt:\n{text}");
        }
    }
    // A row that is not a payment has no receipt; nor has a row that does not exist.
    let (_, run) = t.post(&d.c, "/api/v1/telecom/billing/run", json!({})).await;
    assert!(run.get("charges").is_some(), "{run}");
    for path in [format!("/api/v1/telecom/contracts/{k}/receipts/99"), format!("/telecom/contracts/{k}/receipts/x.pdf")] {
        let (s, _) = pdf(&t, &d.c.token, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    // The contract page links both.
    let r = t.http.get(t.url(&format!("/telecom/contracts/{k}"))).bearer_auth(&d.c.token).send().await.expect("page");
    let html = r.text().await.expect("html");
    assert!(html.contains(&format!("/telecom/contracts/{k}/contract.pdf")), "print link");
    assert!(html.contains(&format!("/telecom/contracts/{k}/receipts/{seq}.pdf")), "receipt link");
    // Another company gets 404 for both.
    let other = desk(&t, "owner@print-other.kg").await;
    for path in [
        format!("/api/v1/telecom/contracts/{k}/contract.pdf"),
        format!("/api/v1/telecom/contracts/{k}/receipts/{seq}"),
        format!("/telecom/contracts/{k}/contract.pdf"),
        format!("/telecom/contracts/{k}/receipts/{seq}.pdf"),
    ] {
        let (s, _) = pdf(&t, &other.c.token, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
    }
    t.assert_consistent();
}
