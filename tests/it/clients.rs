//! Clients through the API: CRUD with phones normalised by country, the duplicate warning, the
//! picker, archive instead of delete; debt sales at the POS → receivable → repayment in a later
//! shift's cash; refusals (payment above the balance, unknown client); idempotent retries;
//! returns of debt sales; installment deals (schedule, pay, refund, no spill-over, frozen
//! terms); "clients with debts"; the reconciliation statement as JSON and PDF.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::pos::till;

async fn ru_company(t: &TestApp, email: &str) -> Client {
    let draft = dukan::tenancy::CompanyDraft {
        name: "Лавка".into(),
        country: "RU".into(),
        owner_name: "Владелец".into(),
        owner_email: email.into(),
        owner_password: "password-123".into(),
        plan: None,
    };
    let parsed = draft.parse().expect("valid company");
    let hash = t.app.hasher.hash("password-123".into()).await.expect("hash");
    let now = t.app.now();
    t.app
        .db
        .write(move |tx| dukan::tenancy::create_company(tx, now, &parsed, hash, dukan::tenancy::Creator::Cli))
        .await
        .expect("create company");
    t.login(email, "password-123").await
}

fn ids(v: &Value) -> Vec<u64> {
    v.as_array().map(|a| a.iter().filter_map(|c| c["id"].as_u64()).collect()).unwrap_or_default()
}

fn field_codes(v: &Value) -> Vec<String> {
    v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["code"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

#[tokio::test]
async fn clients_are_saved_with_normalised_phones_warned_about_duplicates_and_found_by_prefix() {
    let t = TestApp::spawn().await;
    t.company("Магазин", "kg@shop.kg", "password-123").await;
    let c = t.login("kg@shop.kg", "password-123").await;

    let (st, a) = t
        .post(
            &c,
            "/api/v1/clients",
            json!({"name": "Иванов Иван", "phone": "0555 123 456", "email": "Ivan@Mail.kg", "inn": "01234567891234"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    assert_eq!(
        (a["client"]["phone"].as_str(), a["client"]["email"].as_str(), a["client"]["kind"].as_str()),
        (Some("+996555123456"), Some("ivan@mail.kg"), Some("client"))
    );
    assert_eq!(a["duplicates"], json!([]));
    let ivan = a["client"]["id"].as_u64().expect("id");

    // Same phone in another spelling: saved, with a warning naming the first client.
    let (st, b) = t.post(&c, "/api/v1/clients", json!({"name": "Иванова Мария", "phone": "+996 (555) 12-34-56", "kind": "supplier"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    assert_eq!(ids(&b["duplicates"]), vec![ivan]);
    let maria = b["client"]["id"].as_u64().expect("id");
    let (st, e) = t.post(&c, "/api/v1/clients", json!({"name": "ООО Ромашка", "email": "ivan@mail.kg", "kind": "contractor"})).await;
    assert_eq!(st, StatusCode::CREATED, "{e}");
    assert_eq!(ids(&e["duplicates"]), vec![ivan], "the same e-mail warns too");
    let romashka = e["client"]["id"].as_u64().expect("id");

    // Bad input: every field named at once, nothing written.
    let (st, bad) = t
        .post(&c, "/api/v1/clients", json!({"name": "", "phone": "+7 916 123 45 67", "email": "nope", "inn": "123", "kind": "friend"}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let codes = field_codes(&bad);
    for code in ["required", "phone", "email", "inn", "client_kind"] {
        assert!(codes.contains(&code.to_string()), "{code} missing in {bad}");
    }
    let (st, bad) = t.post(&c, "/api/v1/clients", json!({"name": "X", "colour": "red"})).await;
    assert!(st.is_client_error(), "unknown fields are refused: {bad}");

    // The picker: name prefixes (every word), phone digits, case and ё folded.
    let (_, found) = t.get(&c, "/api/v1/clients?q=иван").await;
    assert_eq!(ids(&found), vec![ivan, maria]);
    let (_, found) = t.get(&c, "/api/v1/clients?q=ИВАНОВА%20мар").await;
    assert_eq!(ids(&found), vec![maria]);
    let (_, found) = t.get(&c, "/api/v1/clients?q=555%2012").await;
    assert_eq!(ids(&found), vec![ivan, maria]);
    let (_, found) = t.get(&c, "/api/v1/clients?q=ромаш").await;
    assert_eq!(ids(&found), vec![romashka]);
    let (_, found) = t.get(&c, "/api/v1/clients?q=мар%20иван").await;
    assert_eq!(ids(&found), vec![maria], "words in any order, every one must match");
    let (_, found) = t.get(&c, "/api/v1/clients?q=иван%20ромаш").await;
    assert_eq!(ids(&found), Vec::<u64>::new(), "no client holds both words");

    // Edit, archive (leaves the picker), restore, delete an unreferenced client.
    let (st, ed) =
        t.put(&c, &format!("/api/v1/clients/{maria}"), json!({"name": "Петрова Мария", "phone": "0700 111 222", "kind": "supplier"})).await;
    assert_eq!(st, StatusCode::OK, "{ed}");
    assert_eq!(ed["duplicates"], json!([]));
    let (_, found) = t.get(&c, "/api/v1/clients?q=иванова").await;
    assert_eq!(ids(&found), Vec::<u64>::new(), "the old name left the index");
    let (_, found) = t.get(&c, "/api/v1/clients?q=петр").await;
    assert_eq!(ids(&found), vec![maria]);
    let (st, _) = t.post(&c, &format!("/api/v1/clients/{maria}/archive"), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, found) = t.get(&c, "/api/v1/clients?q=петр").await;
    assert_eq!(ids(&found), Vec::<u64>::new());
    let (_, archived) = t.get(&c, "/api/v1/clients?archived=true").await;
    assert_eq!(ids(&archived), vec![maria]);
    let (st, _) = t.post(&c, &format!("/api/v1/clients/{maria}/restore"), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let st = t.call(reqwest::Method::DELETE, &format!("/api/v1/clients/{romashka}"), Some(&c.token), None).await.0;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) = t.get(&c, &format!("/api/v1/clients/{romashka}")).await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // A Russian company normalises to +7.
    let r = ru_company(&t, "ru@shop.ru").await;
    let (st, ru) = t.post(&r, "/api/v1/clients", json!({"name": "Сидоров", "phone": "8 (916) 123-45-67", "inn": "7707083893"})).await;
    assert_eq!(st, StatusCode::CREATED, "{ru}");
    assert_eq!(ru["client"]["phone"], "+79161234567");
    let (st, bad) = t.post(&r, "/api/v1/clients", json!({"name": "Сидоров", "phone": "0555 123 456", "inn": "7707083894"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(field_codes(&bad).contains(&"inn".to_string()), "{bad}");
    t.assert_consistent();
}

async fn sell_on_credit(
    t: &TestApp,
    c: &Client,
    key: &str,
    cash_box: u64,
    milk: u64,
    client: Option<u64>,
    amount: &str,
) -> (StatusCode, Value) {
    t.post(
        c,
        "/api/v1/sales",
        json!({"idempotency_key": key, "cash_box": cash_box, "client": client, "lines": [{"product": milk, "qty": "2"}], "payments": [{"method": "debt", "amount": amount}]}),
    )
    .await
}

#[tokio::test]
async fn a_debt_sale_creates_a_receivable_repaid_into_a_later_shift() {
    let t = TestApp::spawn().await;
    let k = till(&t, "debt@shop.kg").await;
    let c = &k.s.c;
    let (_, cl) = t.post(c, "/api/v1/clients", json!({"name": "Асан Усенов", "phone": "0555 000 111"})).await;
    let client = cl["client"]["id"].as_u64().expect("id");

    // Refusals first: no client, an unknown client. Nothing is written.
    let (st, r) = sell_on_credit(&t, c, "d-0", k.cash_box, k.s.milk, None, "204").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(field_codes(&r).contains(&"client_required".to_string()), "{r}");
    let (st, r) = sell_on_credit(&t, c, "d-0", k.cash_box, k.s.milk, Some(999_999_999), "204").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(field_codes(&r).contains(&"unknown_client".to_string()), "{r}");

    // 2 milk × 102.00 on credit.
    let (st, sale) = sell_on_credit(&t, c, "d-1", k.cash_box, k.s.milk, Some(client), "204").await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");
    assert_eq!(sale["status"], "debt");
    let (_, debts) = t.get(c, &format!("/api/v1/clients/{client}/debts")).await;
    assert_eq!(debts["balance"], "204.00", "{debts}");
    assert_eq!(debts["entries"][0]["kind"], "sale");
    let (_, history) = t.get(c, &format!("/api/v1/clients/{client}/sales")).await;
    assert_eq!(ids(&history), vec![sale["id"].as_u64().expect("id")]);
    let (st, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/clients/{client}"), Some(&c.token), None).await;
    assert_eq!(st, StatusCode::CONFLICT, "a client with sales is archived, not deleted");

    // Close the shift; a new one takes the repayment.
    let (_, first) = t.get(c, &format!("/api/v1/shifts/{}", k.shift)).await;
    let (st, closed) = t.post(c, &format!("/api/v1/shifts/{}/close", k.shift), json!({"closing_cash": first["expected_cash"]})).await;
    assert_eq!(st, StatusCode::OK, "{closed}");
    t.clock.advance_ms(86_400_000);
    let fresh = t.login("debt@shop.kg", "password-123").await;
    let c = &fresh;
    let (st, sh) = t.post(c, "/api/v1/shifts", json!({"cash_box": k.cash_box, "opening_cash": "500"})).await;
    assert_eq!(st, StatusCode::CREATED, "{sh}");
    let shift2 = sh["id"].as_u64().expect("id");

    let pay = |key: &str, amount: &str| json!({"idempotency_key": key, "amount": amount, "method": "cash", "cash_box": k.cash_box});
    let (st, over) = t.post(c, &format!("/api/v1/clients/{client}/debts/payments"), pay("p-0", "204.01")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{over}");
    assert!(field_codes(&over).contains(&"payment_exceeds_debt".to_string()), "{over}");
    let (st, p1) = t.post(c, &format!("/api/v1/clients/{client}/debts/payments"), pay("p-1", "100")).await;
    assert_eq!(st, StatusCode::CREATED, "{p1}");
    assert_eq!((p1["balance"].as_str(), p1["entry"]["shift"].as_u64()), (Some("104.00"), Some(shift2)));
    // A retry returns the first result and takes no more cash; the key cannot be reused.
    let (st, again) = t.post(c, &format!("/api/v1/clients/{client}/debts/payments"), pay("p-1", "100")).await;
    assert_eq!(st, StatusCode::CREATED, "{again}");
    assert_eq!((again["entry"]["seq"].clone(), again["balance"].clone()), (p1["entry"]["seq"].clone(), json!("104.00")));
    let (st, reused) = t.post(c, &format!("/api/v1/clients/{client}/debts/payments"), pay("p-1", "10")).await;
    assert_eq!(st, StatusCode::CONFLICT, "{reused}");
    let (_, s2) = t.get(c, &format!("/api/v1/shifts/{shift2}")).await;
    assert_eq!((s2["debt_cash"].as_str(), s2["expected_cash"].as_str()), (Some("100.00"), Some("600.00")), "{s2}");
    let (_, cash) = t.get(c, &format!("/api/v1/shifts/{shift2}/cash")).await;
    assert!(cash.as_array().expect("rows").iter().any(|r| r["kind"] == "debt_payment" && r["amount"] == "100.00"), "{cash}");
    let (_, s1) = t.get(c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!(s1["debt_cash"], "0", "the closed shift of the sale is untouched: {s1}");

    // Returning the sale to the debt reduces what is owed, never below zero.
    let sale_id = sale["id"].as_u64().expect("id");
    let (st, r) = t.post(c, &format!("/api/v1/sales/{sale_id}/returns"), json!({"idempotency_key": "r-1", "method": "debt"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "204 to the debt with 104 owed is refused: {r}");
    let (st, r) = t
        .post(
            c,
            &format!("/api/v1/sales/{sale_id}/returns"),
            json!({"idempotency_key": "r-2", "method": "debt", "lines": [{"line": 0, "qty": "1"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (_, debts) = t.get(c, &format!("/api/v1/clients/{client}/debts")).await;
    assert_eq!(debts["balance"], "2.00", "{debts}");
    let kinds: Vec<&str> = debts["entries"].as_array().expect("entries").iter().filter_map(|e| e["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["sale", "payment", "reversal"]);

    // The statement: 204 debit, 100 + 102 credit, 2 owed.
    let (st, s) = t.get(c, &format!("/api/v1/clients/{client}/statement")).await;
    assert_eq!(st, StatusCode::OK, "{s}");
    assert_eq!(
        (s["opening"].as_str(), s["debit"].as_str(), s["credit"].as_str(), s["closing"].as_str(), s["currency"].as_str()),
        (Some("0.00"), Some("204.00"), Some("202.00"), Some("2.00"), Some("KGS")),
        "{s}"
    );
    assert_eq!(s["rows"].as_array().map(Vec::len), Some(3));
    let today = s["to"].as_str().expect("to").to_string();
    let (_, later) = t.get(c, &format!("/api/v1/clients/{client}/statement?from={today}&to={today}")).await;
    assert_eq!((later["opening"].as_str(), later["closing"].as_str()), (Some("204.00"), Some("2.00")), "{later}");
    let (st, bad) = t.get(c, &format!("/api/v1/clients/{client}/statement?from=2026-13-01")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    let resp = t.http.get(t.url(&format!("/api/v1/clients/{client}/statement.pdf"))).bearer_auth(&c.token).send().await.expect("pdf");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let pdf = resp.bytes().await.expect("bytes");
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    assert!(pdf.windows(9).any(|w| w == b"FontFile2") && pdf.ends_with(b"%%EOF\n"));
    assert!(pdf.len() < 100_000, "the font is subsetted: {} bytes", pdf.len());

    // Clients with debts.
    let (_, debtors) = t.get(c, "/api/v1/debtors").await;
    assert_eq!(debtors[0]["client"]["id"].as_u64(), Some(client), "{debtors}");
    assert_eq!(debtors[0]["total"], "2.00");
    t.assert_consistent();
}

#[tokio::test]
async fn installment_deals_follow_the_schedule_without_spill_over_and_freeze_once_paid() {
    let t = TestApp::spawn().await;
    t.company("Мебель", "deal@shop.kg", "password-123").await;
    let c = t.login("deal@shop.kg", "password-123").await;
    let (_, cl) = t.post(&c, "/api/v1/clients", json!({"name": "Бектур"})).await;
    let client = cl["client"]["id"].as_u64().expect("id");
    let (_, cl2) = t.post(&c, "/api/v1/clients", json!({"name": "Гульнара"})).await;
    let client2 = cl2["client"]["id"].as_u64().expect("id");

    for (body, code) in [
        (json!({"kind": "debt", "amount": "1000", "months": 0}), "months"),
        (json!({"kind": "debt", "amount": "100", "prepayment": "200", "months": 2}), "prepayment_exceeds_amount"),
        (json!({"kind": "debt", "amount": "100", "prepayment": "100", "months": 2}), "deal_no_debt"),
        (json!({"kind": "debt", "amount": "0.05", "months": 10}), "installment_below_cent"),
        (json!({"kind": "debt", "amount": "1000", "months": 3, "first_due": "31.01.2026"}), "date"),
        (json!({"kind": "lease", "amount": "1000", "months": 3}), "deal_kind"),
    ] {
        let (st, r) = t.post(&c, &format!("/api/v1/clients/{client}/deals"), body.clone()).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {r}");
        assert!(field_codes(&r).contains(&code.to_string()), "{body}: {r}");
    }

    let terms = json!({"kind": "debt", "title": "Диван", "amount": "1000", "prepayment": "99.99", "months": 3, "first_due": "2026-01-31"});
    let (st, d) = t.post(&c, &format!("/api/v1/clients/{client}/deals"), terms.clone()).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let id = d["id"].as_u64().expect("id");
    let sched: Vec<(String, String, String)> = d["installments"]
        .as_array()
        .expect("installments")
        .iter()
        .map(|i| {
            (
                i["due"].as_str().unwrap_or("").into(),
                i["amount"].as_str().unwrap_or("").into(),
                i["balance_after"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        sched,
        vec![
            ("2026-01-31".into(), "300.00".into(), "600.01".into()),
            ("2026-02-28".into(), "300.00".into(), "300.01".into()),
            ("2026-03-31".into(), "300.01".into(), "0.00".into())
        ]
    );
    assert_eq!((d["debt"].as_str(), d["remaining"].as_str(), d["frozen"].as_bool()), (Some("900.01"), Some("900.01"), Some(false)));
    let (_, d2) = t.post(&c, &format!("/api/v1/clients/{client2}/deals"), json!({"kind": "debt", "amount": "50", "months": 1})).await;
    assert_eq!(d2["installments"].as_array().map(Vec::len), Some(1));

    // Before any payment the terms may change (the schedule is rebuilt).
    let (st, e) = t
        .put(
            &c,
            &format!("/api/v1/deals/{id}"),
            json!({"kind": "debt", "title": "Диван", "amount": "1000", "prepayment": "100", "months": 3, "first_due": "2026-01-31"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(e["installments"][2]["amount"], "300.00");

    let pay = |key: &str, extra: Value| {
        let mut b = json!({"idempotency_key": key});
        if let (Some(o), Some(x)) = (b.as_object_mut(), extra.as_object()) {
            o.extend(x.clone());
        }
        b
    };
    // Pay the first installment in full (the default amount).
    let (st, p) = t.post(&c, &format!("/api/v1/deals/{id}/pay"), pay("k1", json!({}))).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!((p["installments"][0]["paid"].as_str(), p["installments"][0]["paid_on"].is_string()), (Some("300.00"), true));
    // No spill-over: 400 on installment 2 (300 due) is refused, nothing moves.
    let (st, r) = t.post(&c, &format!("/api/v1/deals/{id}/pay"), pay("k2", json!({"installment": 2, "amount": "400"}))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    assert!(field_codes(&r).contains(&"installment_overpaid".to_string()), "{r}");
    let (st, r) = t.post(&c, &format!("/api/v1/deals/{id}/pay"), pay("k3", json!({"installment": 1}))).await;
    assert_eq!(st, StatusCode::CONFLICT, "{r}");
    let (st, p) = t.post(&c, &format!("/api/v1/deals/{id}/pay"), pay("k4", json!({"amount": "100"}))).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!((p["installments"][1]["paid"].as_str(), p["installments"][1]["paid_on"].is_null()), (Some("100.00"), true));
    // A replay returns the current state and pays nothing more.
    let (st, again) = t.post(&c, &format!("/api/v1/deals/{id}/pay"), pay("k4", json!({"amount": "100"}))).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!((again["paid"].as_str(), again["payments"].as_array().map(Vec::len)), (Some("400.00"), Some(2)));

    // Frozen: other terms are refused; the same terms with a new title save (A15.9).
    assert_eq!(again["frozen"], true);
    let (st, r) = t.put(&c, &format!("/api/v1/deals/{id}"), terms.clone()).await;
    assert_eq!(st, StatusCode::CONFLICT, "{r}");
    assert_eq!(r["code"], "deal_frozen");
    let (st, r) = t.put(&c, &format!("/api/v1/deals/{id}"), json!({"kind": "debt", "title": "Диван угловой", "amount": "1000", "prepayment": "100", "months": 3, "first_due": "2026-01-31"})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!((r["title"].as_str(), r["paid"].as_str()), (Some("Диван угловой"), Some("400.00")));

    // Refunds take the highest-numbered paid installment, at most what was paid on it.
    let (st, r) = t.post(&c, &format!("/api/v1/deals/{id}/refund"), pay("u1", json!({"amount": "100.01"}))).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let (st, r) = t.post(&c, &format!("/api/v1/deals/{id}/refund"), pay("u2", json!({}))).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["installments"][1]["paid"], "0.00");
    let (st, r) = t.post(&c, &format!("/api/v1/deals/{id}/refund"), pay("u3", json!({"amount": "50"}))).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!((r["installments"][0]["paid"].as_str(), r["installments"][0]["paid_on"].is_null()), (Some("250.00"), true));
    assert_eq!(r["remaining"], "650.00");

    // Clients with debts: largest first, overdue counted from the due dates.
    let (_, debtors) = t.get(&c, "/api/v1/debtors").await;
    let order: Vec<u64> = debtors.as_array().expect("list").iter().filter_map(|d| d["client"]["id"].as_u64()).collect();
    assert_eq!(order, vec![client, client2]);
    assert_eq!(debtors[0]["deals"], "650.00");
    // The statement carries the deal: 900 debit, 400 paid, 150 refunded.
    let (_, s) = t.get(&c, &format!("/api/v1/clients/{client}/statement")).await;
    assert_eq!(
        (s["debit"].as_str(), s["credit"].as_str(), s["closing"].as_str()),
        (Some("1050.00"), Some("400.00"), Some("650.00")),
        "{s}"
    );
    t.assert_consistent();
}
