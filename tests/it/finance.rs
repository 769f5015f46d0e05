//! Finance through the API: the cash box's account follows the drawer (sales, the close
//! difference), bank accounts, income / expense / transfer documents and their effect on the
//! accounts and the open shift, idempotent creation, reversal, the journal and its XLSX,
//! the balance at a date; pending documents, bulk decisions, repeated decisions, who may see
//! and approve, the approval setting, categories; bad input; tenant isolation of every route.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::pos::till;

fn field_codes(v: &Value) -> Vec<String> {
    v["errors"].as_array().map(|a| a.iter().filter_map(|e| e["code"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

async fn balance_of(t: &TestApp, c: &Client, account: &str) -> String {
    let (st, list) = t.get(c, "/api/v1/finance/accounts").await;
    assert_eq!(st, StatusCode::OK, "{list}");
    list.as_array()
        .and_then(|a| a.iter().find(|x| x["account"] == account))
        .map(|x| x["balance"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("{account} not in {list}"))
}

async fn doc(t: &TestApp, c: &Client, key: &str, body: Value) -> (StatusCode, Value) {
    let mut body = body;
    body["idempotency_key"] = json!(key);
    t.post(c, "/api/v1/finance/docs", body).await
}

async fn bank(t: &TestApp, c: &Client, name: &str) -> String {
    let (st, b) = t.post(c, "/api/v1/finance/bank-accounts", json!({"name": name, "details": "Оптима, 1234"})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    format!("bank:{}", b["id"])
}

/// A staff user holding exactly `perms`, signed in.
async fn staff(t: &TestApp, owner: &Client, email: &str, perms: &[&str]) -> Client {
    let (st, r) = t.post(owner, "/api/v1/roles", json!({"name": format!("Роль {email}"), "permissions": perms})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (_, branches) = t.get(owner, "/api/v1/branches").await;
    let (st, u) = t
        .post(
            owner,
            "/api/v1/users",
            json!({"name": email, "email": email, "password": "password-123", "role": "staff", "custom_role": r["id"], "branches": [branches[0]["id"]]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    t.login(email, "password-123").await
}

#[tokio::test]
async fn documents_move_accounts_and_the_drawer_and_the_box_account_follows_the_shift() {
    let t = TestApp::spawn().await;
    let k = till(&t, "fin@shop.kg").await;
    let c = &k.s.c;
    let boxa = format!("box:{}", k.cash_box);
    assert_eq!(balance_of(&t, c, &boxa).await, "0.00", "the opening count is cash the box already holds");
    let (st, s) = t
        .post(
            c,
            "/api/v1/sales",
            json!({"idempotency_key": "s-1", "cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "1"}], "payments": [{"method": "cash", "amount": "102"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{s}");
    assert_eq!(balance_of(&t, c, &boxa).await, "102.00");

    let banka = bank(&t, c, "Расчётный счёт").await;
    let income = json!({"kind": "income", "account": banka, "amount": "5000", "category": "other", "memo": "Взнос владельца"});
    let (st, inc) = doc(&t, c, "d-1", income.clone()).await;
    assert_eq!((st, inc["status"].as_str(), inc["number"].as_str()), (StatusCode::CREATED, Some("approved"), Some("ПКО-000001")), "{inc}");
    let (st, again) = doc(&t, c, "d-1", income.clone()).await;
    assert_eq!((st, &again["id"]), (StatusCode::CREATED, &inc["id"]), "a retry returns the first document");
    let (st, e) = doc(&t, c, "d-1", json!({"kind": "income", "account": banka, "amount": "1", "category": "other"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("idempotency_conflict")), "{e}");
    let (st, e) = t.post(c, "/api/v1/finance/docs", income.clone()).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["idempotency_key".to_string()]), "{e}");
    assert_eq!(balance_of(&t, c, &banka).await, "5000.00");

    // Rent paid from the cash box while the owner's shift is open: the drawer pays it.
    let (st, rent) = doc(&t, c, "d-2", json!({"kind": "expense", "account": boxa, "amount": "50", "category": "rent"})).await;
    assert_eq!(
        (st, rent["status"].as_str(), rent["number"].as_str()),
        (StatusCode::CREATED, Some("approved"), Some("РКО-000001")),
        "{rent}"
    );
    assert_eq!(balance_of(&t, c, &boxa).await, "52.00");
    let (_, sh) = t.get(c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!(sh["expected_cash"], "1052.00", "{sh}");
    let (st, e) = doc(&t, c, "d-3", json!({"kind": "expense", "account": boxa, "amount": "5000", "category": "rent"})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("not_enough_cash")), "{e}");

    let (st, tr) = doc(&t, c, "d-4", json!({"kind": "transfer", "account": banka, "to_account": boxa, "amount": "300"})).await;
    assert_eq!((st, tr["category"].as_str(), tr["number"].as_str()), (StatusCode::CREATED, Some("transfer"), Some("ПЕР-000001")), "{tr}");
    assert_eq!((balance_of(&t, c, &banka).await, balance_of(&t, c, &boxa).await), ("4700.00".into(), "352.00".into()));

    // Reversal: a new document with the opposite rows; the original is marked, never deleted.
    let (st, rev) = t.post(c, &format!("/api/v1/finance/docs/{}/reverse", rent["id"]), json!({})).await;
    assert_eq!((st, rev["reverses"].as_u64(), rev["number"].as_str()), (StatusCode::OK, rent["id"].as_u64(), Some("РКО-000002")), "{rev}");
    let (_, orig) = t.get(c, &format!("/api/v1/finance/docs/{}", rent["id"])).await;
    assert_eq!((orig["status"].as_str(), &orig["reversed_by"]), (Some("reversed"), &rev["id"]));
    let (st, e) = t.post(c, &format!("/api/v1/finance/docs/{}/reverse", rent["id"]), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("money_doc_not_reversible")), "{e}");
    assert_eq!(balance_of(&t, c, &boxa).await, "402.00");

    // Closing 2 short: the account moves by the counted difference.
    let (_, sh) = t.get(c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!(sh["expected_cash"], "1402.00", "{sh}");
    let (st, _) = t.post(c, &format!("/api/v1/shifts/{}/close", k.shift), json!({"closing_cash": "1400"})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(balance_of(&t, c, &boxa).await, "400.00");

    let (st, ledger) = t.get(c, &format!("/api/v1/finance/ledger?account={boxa}")).await;
    assert_eq!(st, StatusCode::OK, "{ledger}");
    let kinds: Vec<&str> = ledger.as_array().expect("rows").iter().filter_map(|r| r["kind"].as_str()).collect();
    assert_eq!(kinds, ["shift_difference", "expense", "transfer_in", "expense", "sale"], "newest first");

    let (st, j) = t.get(c, "/api/v1/finance/journal?kind=expense").await;
    assert_eq!(st, StatusCode::OK, "{j}");
    let amounts: Vec<&str> = j["rows"].as_array().expect("rows").iter().filter_map(|r| r["amount"].as_str()).collect();
    assert_eq!(amounts, ["50.00", "-50.00"], "{j}");
    let (_, j) = t.get(c, "/api/v1/finance/journal?status=reversed").await;
    assert_eq!(j["rows"].as_array().map(Vec::len), Some(1), "{j}");
    let (_, j) = t.get(c, "/api/v1/finance/journal?limit=2").await;
    assert_eq!((j["rows"].as_array().map(Vec::len), j["more"].as_bool()), (Some(2), Some(true)), "{j}");
    let resp =
        reqwest::Client::new().get(t.url("/api/v1/finance/journal.xlsx?from=2000-01-01")).bearer_auth(&c.token).send().await.expect("xlsx");
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.bytes().await.expect("bytes").starts_with(b"PK"), "a zip workbook");
    let (st, e) = t.get(c, "/api/v1/finance/journal?kind=gift&from=nope").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    let (_, past) = t.get(c, "/api/v1/finance/accounts?at=2000-01-01").await;
    assert!(past.as_array().expect("list").iter().all(|a| a["balance_at"] == "0.00"), "{past}");

    let (st, sum) = t.get(c, &format!("/api/v1/finance/cash-boxes/{}/summary", k.cash_box)).await;
    assert_eq!((st, sum["balance"].as_str(), sum["sales"].as_u64()), (StatusCode::OK, Some("400.00"), Some(1)), "{sum}");
    assert_eq!(sum["sales_by_method"]["cash"], "102.00", "{sum}");

    // Bad input: every field named, nothing written.
    let (st, e) = doc(&t, c, "d-5", json!({"kind": "gift", "account": "box:x", "amount": "-5"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let codes = field_codes(&e);
    for code in ["kind", "unknown_account", "amount"] {
        assert!(codes.contains(&code.to_string()), "{code} missing in {e}");
    }
    let (st, e) = doc(&t, c, "d-6", json!({"kind": "expense", "account": "bank:999999", "amount": "5", "category": "nope"})).await;
    assert_eq!(
        (st, field_codes(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_account".to_string(), "unknown_category".to_string()]),
        "{e}"
    );
    let (st, e) = doc(&t, c, "d-7", json!({"kind": "transfer", "account": banka, "to_account": banka, "amount": "5"})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["same_account".to_string()]), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn pending_documents_wait_for_an_approver_and_decisions_are_final() {
    let t = TestApp::spawn().await;
    t.company("Магазин", "own@fin.kg", "password-123").await;
    let o = t.login("own@fin.kg", "password-123").await;
    let banka = bank(&t, &o, "Банк").await;
    let clerk = staff(&t, &o, "clerk@fin.kg", &["finance"]).await;
    let cashier = staff(&t, &o, "till@fin.kg", &["cashier"]).await;
    let manager = staff(&t, &o, "boss@fin.kg", &["finance", "cashbox"]).await;

    let (st, _) = t.get(&cashier, "/api/v1/finance/accounts").await;
    assert_eq!(st, StatusCode::FORBIDDEN, "no finance right, no money pages");
    let (st, _) = doc(&t, &cashier, "x", json!({"kind": "expense", "account": banka, "amount": "5", "category": "rent"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    let mut ids = Vec::new();
    for (i, amount) in ["100", "200", "300"].iter().enumerate() {
        let (st, d) =
            doc(&t, &clerk, &format!("c-{i}"), json!({"kind": "expense", "account": banka, "amount": amount, "category": "salary"})).await;
        assert_eq!((st, d["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{d}");
        ids.push(d["id"].as_u64().expect("id"));
    }
    assert_eq!(balance_of(&t, &o, &banka).await, "0.00", "pending documents do not count");
    let (st, _) = t.post(&clerk, &format!("/api/v1/finance/docs/{}/approve", ids[0]), json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the clerk cannot approve");
    let (_, pending) = t.get(&o, "/api/v1/finance/docs?status=pending").await;
    assert_eq!(pending.as_array().map(Vec::len), Some(3));

    let (st, done) = t.post(&manager, "/api/v1/finance/docs/decide", json!({"ids": [ids[0], ids[1]], "approve": true})).await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert!(done.as_array().expect("docs").iter().all(|d| d["status"] == "approved"), "{done}");
    assert_eq!(balance_of(&t, &o, &banka).await, "-300.00");
    let (st, d) = t.post(&o, &format!("/api/v1/finance/docs/{}/approve", ids[0]), json!({})).await;
    assert_eq!((st, d["status"].as_str()), (StatusCode::OK, Some("approved")), "repeating a decision is a no-op");
    assert_eq!(balance_of(&t, &o, &banka).await, "-300.00");
    let (st, e) = t.post(&o, &format!("/api/v1/finance/docs/{}/reject", ids[0]), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("money_doc_decided")), "{e}");
    // A bulk decision with one refusal writes nothing.
    let (st, e) = t.post(&o, "/api/v1/finance/docs/decide", json!({"ids": [ids[2], ids[0]], "approve": false})).await;
    assert_eq!(st, StatusCode::CONFLICT, "{e}");
    let (_, d3) = t.get(&o, &format!("/api/v1/finance/docs/{}", ids[2])).await;
    assert_eq!(d3["status"], "pending");
    let (st, d3) = t.post(&o, &format!("/api/v1/finance/docs/{}/reject", ids[2]), json!({})).await;
    assert_eq!((st, d3["status"].as_str()), (StatusCode::OK, Some("rejected")));
    let (st, d3) = t.post(&o, &format!("/api/v1/finance/docs/{}/reject", ids[2]), json!({})).await;
    assert_eq!((st, d3["status"].as_str()), (StatusCode::OK, Some("rejected")));
    let (st, e) = t.post(&o, "/api/v1/finance/docs/decide", json!({"ids": [], "approve": true})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // The company asks for approval of every document: even the owner's waits.
    let (st, s) = t.put(&clerk, "/api/v1/finance/settings", json!({"require_approval": true})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{s}");
    let (st, _) = t.put(&o, "/api/v1/finance/settings", json!({"require_approval": true})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, d) = doc(&t, &o, "o-1", json!({"kind": "income", "account": banka, "amount": "10", "category": "other"})).await;
    assert_eq!(d["status"], "pending", "{d}");

    // Categories: add, use, archive; the supplier category stays.
    let (st, cat) = t.post(&o, "/api/v1/finance/categories", json!({"name": "Реклама"})).await;
    assert_eq!(st, StatusCode::OK, "{cat}");
    let code = cat["code"].as_str().expect("code").to_string();
    let (st, d) = doc(&t, &clerk, "c-ad", json!({"kind": "expense", "account": banka, "amount": "7", "category": code})).await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let (st, _) = t.post(&o, "/api/v1/finance/categories", json!({"code": code, "name": "Реклама", "archived": true})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = doc(&t, &clerk, "c-ad2", json!({"kind": "expense", "account": banka, "amount": "7", "category": code})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_category".to_string()]), "{e}");
    let (st, e) = t.post(&o, "/api/v1/finance/categories", json!({"code": "supplier", "name": "Поставщики", "archived": true})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("category_required")), "{e}");
    let (st, _) = t.post(&o, "/api/v1/finance/categories", json!({"code": "rent", "name": "Аренда помещения"})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, cats) = t.get(&o, "/api/v1/finance/categories").await;
    let names: Vec<&str> = cats.as_array().expect("cats").iter().filter_map(|c| c["name"].as_str()).collect();
    assert!(names.contains(&"Аренда помещения") && names.contains(&"Реклама"), "{cats}");
    t.assert_consistent();
}

#[tokio::test]
async fn another_companys_money_is_not_found_on_every_finance_route() {
    let t = TestApp::spawn().await;
    t.company("А", "a@fin.kg", "password-123").await;
    t.company("Б", "b@fin.kg", "password-123").await;
    let a = t.login("a@fin.kg", "password-123").await;
    let b = t.login("b@fin.kg", "password-123").await;
    let bank_b = bank(&t, &b, "Банк Б").await;
    let bank_a = bank(&t, &a, "Банк А").await;
    let (st, cb) = t.post(&b, "/api/v1/cash-boxes", json!({"name": "Касса Б"})).await;
    assert_eq!(st, StatusCode::CREATED, "{cb}");
    let box_b = cb["id"].as_u64().expect("id");
    let (_, d) = doc(&t, &b, "b-1", json!({"kind": "income", "account": bank_b, "amount": "100", "category": "other"})).await;
    let doc_b = d["id"].as_u64().expect("id");
    let bank_b_id = bank_b.trim_start_matches("bank:").to_string();
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/finance/bank-accounts/{bank_b_id}"), None),
        (Method::PUT, format!("/api/v1/finance/bank-accounts/{bank_b_id}"), Some(json!({"name": "Чужой"}))),
        (Method::GET, format!("/api/v1/finance/ledger?account={bank_b}"), None),
        (Method::GET, format!("/api/v1/finance/ledger?account=box:{box_b}"), None),
        (Method::GET, format!("/api/v1/finance/docs/{doc_b}"), None),
        (Method::POST, format!("/api/v1/finance/docs/{doc_b}/approve"), Some(json!({}))),
        (Method::POST, format!("/api/v1/finance/docs/{doc_b}/reject"), Some(json!({}))),
        (Method::POST, format!("/api/v1/finance/docs/{doc_b}/reverse"), Some(json!({}))),
        (Method::POST, "/api/v1/finance/docs/decide".into(), Some(json!({"ids": [doc_b], "approve": false}))),
        (Method::GET, format!("/api/v1/finance/cash-boxes/{box_b}/summary"), None),
    ];
    for (method, path, body) in routes {
        let (st, v) = t.call(method.clone(), &path, Some(&a.token), body).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{method} {path}: {v}");
    }
    for (key, account) in [("x-1", bank_b.clone()), ("x-2", format!("box:{box_b}"))] {
        let (st, e) = doc(&t, &a, key, json!({"kind": "expense", "account": account, "amount": "1", "category": "rent"})).await;
        assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_account".to_string()]), "{e}");
    }
    let (st, e) = doc(&t, &a, "x-3", json!({"kind": "transfer", "account": bank_a, "to_account": bank_b, "amount": "1"})).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_account".to_string()]), "{e}");
    // A's lists hold nothing of B's.
    for path in ["/api/v1/finance/accounts", "/api/v1/finance/docs", "/api/v1/finance/journal", "/api/v1/finance/categories"] {
        let (st, v) = t.get(&a, path).await;
        assert_eq!(st, StatusCode::OK, "{path}: {v}");
        let text = v.to_string();
        assert!(!text.contains("Банк Б") && !text.contains("Касса Б") && !text.contains(&format!("\"id\":{doc_b}")), "{path}: {v}");
    }
    // B's records are unchanged.
    let (_, d) = t.get(&b, &format!("/api/v1/finance/docs/{doc_b}")).await;
    assert_eq!(d["status"], "approved");
    assert_eq!(balance_of(&t, &b, &bank_b).await, "100.00");
    t.assert_consistent();
}

/// A version 3 file (built here by stripping the finance ledger from a live one) gets its
/// cash-box accounts built from shifts and flows on open: the same balances and ledgers; a new
/// time zone then rebuilds the per-day totals and `check` still agrees.
#[tokio::test]
async fn a_version_3_file_gets_its_cash_box_accounts_built_from_shifts_and_flows() {
    use dukan::finance::daily::MONEY_DAYS;
    use dukan::finance::store::{ACCOUNT_BALANCES, ACCOUNT_DAYS, ACCOUNT_LEDGER, MONEY_JOURNAL};
    use dukan::ids::CompanyId;
    let t = TestApp::spawn().await;
    let k = till(&t, "v3@shop.kg").await;
    let c = &k.s.c;
    let (st, s) = t
        .post(
            c,
            "/api/v1/sales",
            json!({"idempotency_key": "s-1", "cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "2"}], "payments": [{"method": "cash", "amount": "204"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{s}");
    let (st, f) =
        t.post(c, "/api/v1/cash-flows", json!({"cash_box": k.cash_box, "kind": "out", "amount": "100", "reason": "Инкассация"})).await;
    assert_eq!(st, StatusCode::CREATED, "{f}");
    let (st, b) = t.post(c, "/api/v1/cash-boxes", json!({"name": "Расходы", "expense_only": true})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let spend = b["id"].as_u64().expect("id");
    let (st, f) = t.post(c, "/api/v1/cash-flows", json!({"cash_box": spend, "kind": "in", "amount": "300", "reason": "Размен"})).await;
    assert_eq!((st, f["status"].as_str()), (StatusCode::CREATED, Some("approved")), "{f}");
    let (st, _) = t.post(c, &format!("/api/v1/shifts/{}/close", k.shift), json!({"closing_cash": "1100"})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, before) = t.get(c, "/api/v1/finance/accounts").await;
    let (_, ledger_before) = t.get(c, &format!("/api/v1/finance/ledger?account=box:{}", k.cash_box)).await;
    assert_eq!(balance_of(&t, c, &format!("box:{}", k.cash_box)).await, "100.00", "204 sold − 100 out − 4 short");
    assert_eq!(balance_of(&t, c, &format!("box:{spend}")).await, "300.00");
    let now = t.app.now();
    t.app
        .db
        .write(move |tx| {
            let (lo, hi) = (CompanyId::MIN, CompanyId::MAX);
            for (k, _) in tx.list(ACCOUNT_LEDGER, (lo, 0, 0), (hi, u64::MAX, u64::MAX), usize::MAX)? {
                tx.remove(ACCOUNT_LEDGER, k)?;
            }
            for (k, _) in tx.list(ACCOUNT_BALANCES, (lo, 0), (hi, u64::MAX), usize::MAX)? {
                tx.remove(ACCOUNT_BALANCES, k)?;
            }
            for (k, _) in tx.list(ACCOUNT_DAYS, (lo, 0, 0), (hi, u64::MAX, u64::MAX), usize::MAX)? {
                tx.remove(ACCOUNT_DAYS, k)?;
            }
            for (k, _) in tx.list(MONEY_JOURNAL, (lo, 0, 0, 0), (hi, u64::MAX, u64::MAX, u64::MAX), usize::MAX)? {
                tx.remove(MONEY_JOURNAL, k)?;
            }
            for (k, _) in tx.list(MONEY_DAYS, (lo, 0, 0, String::new()), (hi, u64::MAX, u64::MAX, "\u{10FFFF}".to_string()), usize::MAX)? {
                tx.remove(MONEY_DAYS, &k)?;
            }
            tx.set_meta("schema_version", 3).map(|_| now)
        })
        .await
        .map_err(|e: dukan::storage::StorageError| e)
        .expect("strip to version 3");
    let dir = t.stop().await;
    let t = TestApp::spawn_in(dir).await;
    t.assert_consistent();
    let c = t.login("v3@shop.kg", "password-123").await;
    let (_, after) = t.get(&c, "/api/v1/finance/accounts").await;
    assert_eq!(after, before);
    let (_, ledger_after) = t.get(&c, &format!("/api/v1/finance/ledger?account=box:{}", k.cash_box)).await;
    let kinds = |v: &Value| v.as_array().map(|a| a.iter().map(|r| (r["kind"].clone(), r["amount"].clone())).collect::<Vec<_>>());
    assert_eq!(kinds(&ledger_after), kinds(&ledger_before));
    let (st, co) = t.put(&c, "/api/v1/company", json!({"name": "Магазин", "timezone": "Europe/Moscow"})).await;
    assert_eq!(st, StatusCode::OK, "{co}");
    t.assert_consistent();
}

/// Card, transfer and wallet money at the tills lands on the bank account the owner chose
/// (refunds leave it); before a choice, nowhere. Only owner-like users choose, and only an
/// active bank account of their own company.
#[tokio::test]
async fn non_cash_till_payments_land_on_the_chosen_bank_account() {
    let t = TestApp::spawn().await;
    let k = till(&t, "noncash@shop.kg").await;
    let c = &k.s.c;
    let acquiring = bank(&t, c, "Эквайринг").await;
    let sell = |key: &'static str, method: &'static str| json!({"idempotency_key": key, "cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "2"}], "payments": [{"method": method, "amount": "204"}]});
    let (st, s0) = t.post(c, "/api/v1/sales", sell("nc-0", "card")).await;
    assert_eq!(st, StatusCode::CREATED, "{s0}");
    assert_eq!(balance_of(&t, c, &acquiring).await, "0.00", "no account chosen yet: nothing lands");
    let (st, v) = t.get(c, "/api/v1/finance/noncash-account").await;
    assert_eq!((st, v["account"].clone()), (StatusCode::OK, Value::Null), "{v}");

    let id: u64 = acquiring.trim_start_matches("bank:").parse().expect("id");
    let (st, v) = t.call(Method::PUT, "/api/v1/finance/noncash-account", Some(&c.token), Some(json!({"account": id}))).await;
    assert_eq!((st, v["account"].as_u64()), (StatusCode::OK, Some(id)), "{v}");
    let (st, s1) = t.post(c, "/api/v1/sales", sell("nc-1", "card")).await;
    assert_eq!(st, StatusCode::CREATED, "{s1}");
    let (st, s2) = t.post(c, "/api/v1/sales", sell("nc-2", "transfer")).await;
    assert_eq!(st, StatusCode::CREATED, "{s2}");
    let (st, s3) = t.post(c, "/api/v1/sales", sell("nc-3", "cash")).await;
    assert_eq!(st, StatusCode::CREATED, "{s3}");
    assert_eq!(balance_of(&t, c, &acquiring).await, "408.00", "card and transfer, not cash");
    let (st, r) = t
        .post(
            c,
            &format!("/api/v1/sales/{}/returns", s1["id"]),
            json!({"idempotency_key": "nc-r", "lines": [{"line": 0, "qty": "1"}], "method": "card"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    assert_eq!(balance_of(&t, c, &acquiring).await, "306.00", "the card refund leaves the account");
    let (_, ledger) = t.get(c, &format!("/api/v1/finance/ledger?account={acquiring}")).await;
    let kinds: Vec<&str> = ledger.as_array().expect("rows").iter().filter_map(|r| r["kind"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "sale").count(), 2, "{ledger}");
    assert_eq!(kinds.iter().filter(|k| **k == "refund").count(), 1, "{ledger}");

    // Bad choices and who may choose.
    let (st, e) = t.call(Method::PUT, "/api/v1/finance/noncash-account", Some(&c.token), Some(json!({"account": 999_999}))).await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_account".to_string()]), "{e}");
    t.company("Чужой", "other@noncash.kg", "password-123").await;
    let other = t.login("other@noncash.kg", "password-123").await;
    let (st, e) = t.call(Method::PUT, "/api/v1/finance/noncash-account", Some(&other.token), Some(json!({"account": id}))).await;
    assert_eq!(
        (st, field_codes(&e)),
        (StatusCode::UNPROCESSABLE_ENTITY, vec!["unknown_account".to_string()]),
        "another company's account: {e}"
    );
    let cashier = staff(&t, c, "cashier@noncash.kg", &["sale", "finance"]).await;
    let (st, _) = t.call(Method::PUT, "/api/v1/finance/noncash-account", Some(&cashier.token), Some(json!({"account": null}))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, v) = t.call(Method::PUT, "/api/v1/finance/noncash-account", Some(&c.token), Some(json!({"account": null}))).await;
    assert_eq!((st, v["account"].clone()), (StatusCode::OK, Value::Null));
    let (st, _) = t.post(c, "/api/v1/sales", sell("nc-4", "card")).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(balance_of(&t, c, &acquiring).await, "306.00", "no account chosen again");
    t.assert_consistent();
}

/// The journal's status filter: approved and reversed movements, and the pending and
/// rejected documents that moved nothing yet; on the API and the page.
#[tokio::test]
async fn the_journal_filters_by_status() {
    let t = TestApp::spawn().await;
    t.company("Журнал", "journal@fin.kg", "password-123").await;
    let c = t.login("journal@fin.kg", "password-123").await;
    let acc = bank(&t, &c, "Банк").await;
    let (st, a) = doc(&t, &c, "j-1", json!({"kind": "income", "account": acc, "amount": "500", "category": "other"})).await;
    assert_eq!(st, StatusCode::CREATED, "{a}");
    let (st, r) = doc(&t, &c, "j-2", json!({"kind": "expense", "account": acc, "amount": "70", "category": "rent"})).await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    let (st, v) = t.post(&c, &format!("/api/v1/finance/docs/{}/reverse", r["id"]), json!({})).await;
    assert!(st.is_success(), "{v}");
    let (st, v) = t.call(Method::PUT, "/api/v1/finance/settings", Some(&c.token), Some(json!({"require_approval": true}))).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, p) = doc(&t, &c, "j-3", json!({"kind": "expense", "account": acc, "amount": "30", "category": "utilities"})).await;
    assert_eq!(p["status"], "pending", "{p}");
    let (_, x) = doc(&t, &c, "j-4", json!({"kind": "expense", "account": acc, "amount": "20", "category": "other"})).await;
    let (st, v) = t.post(&c, &format!("/api/v1/finance/docs/{}/reject", x["id"]), json!({})).await;
    assert!(st.is_success(), "{v}");

    let rows = |v: &Value| -> Vec<(String, String)> {
        v["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("rows in {v}"))
            .iter()
            .map(|r| (r["amount"].as_str().unwrap_or("").to_string(), r["status"].as_str().unwrap_or("").to_string()))
            .collect()
    };
    let (st, v) = t.get(&c, "/api/v1/finance/journal?status=pending").await;
    assert_eq!((st, rows(&v)), (StatusCode::OK, vec![("-30.00".into(), "pending".into())]), "{v}");
    let (_, v) = t.get(&c, "/api/v1/finance/journal?status=rejected").await;
    assert_eq!(rows(&v), vec![("-20.00".to_string(), "rejected".to_string())], "{v}");
    let (_, v) = t.get(&c, "/api/v1/finance/journal?status=approved").await;
    assert_eq!(
        rows(&v),
        vec![("70.00".to_string(), "approved".to_string()), ("500.00".to_string(), "approved".to_string())],
        "the reversal and the income: {v}"
    );
    let (_, v) = t.get(&c, "/api/v1/finance/journal?status=reversed").await;
    assert_eq!(rows(&v), vec![("-70.00".to_string(), "reversed".to_string())], "{v}");
    let (_, v) = t.get(&c, "/api/v1/finance/journal").await;
    assert_eq!(rows(&v).len(), 3, "without a filter: the rows that moved money: {v}");
    let (st, e) = t.get(&c, "/api/v1/finance/journal?status=maybe").await;
    assert_eq!((st, field_codes(&e)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["status".to_string()]), "{e}");

    let pages = crate::browser::Plain::new(&t);
    pages.submit("/login", &[("email", "journal@fin.kg"), ("password", "password-123"), ("next", "/")]).await;
    let html = pages.get("/money/journal?status=pending").await.text().await.expect("html");
    assert!(html.contains("id=\"j-status\"") && html.contains("value=\"pending\" selected"), "the status filter on the page");
    let (pending, income) = (p["number"].as_str().expect("number"), a["number"].as_str().expect("number"));
    assert!(html.contains(pending) && !html.contains(income), "only the pending document ({pending}, not {income})");
    t.assert_consistent();
}

/// Without the finance right the money pages are refused; choosing the non-cash account on
/// its page is for owner-like users only.
#[tokio::test]
async fn money_pages_need_the_finance_right() {
    let t = TestApp::spawn().await;
    let k = till(&t, "pages@fin.kg").await;
    let c = &k.s.c;
    let acc = bank(&t, c, "Банк").await;
    staff(&t, c, "seller@fin.kg", &["sale"]).await;
    staff(&t, c, "accountant@fin.kg", &["finance"]).await;
    let seller = crate::browser::Plain::new(&t);
    seller.submit("/login", &[("email", "seller@fin.kg"), ("password", "password-123"), ("next", "/")]).await;
    for path in [
        "/money".to_string(),
        format!("/money/ledger?account={acc}"),
        "/money/docs".to_string(),
        "/money/docs/new".to_string(),
        "/money/journal".to_string(),
        "/money/categories".to_string(),
        format!("/money/cash-boxes/{}", k.cash_box),
    ] {
        assert_eq!(seller.get(&path).await.status(), 403, "GET {path}");
    }
    let accountant = crate::browser::Plain::new(&t);
    accountant.submit("/login", &[("email", "accountant@fin.kg"), ("password", "password-123"), ("next", "/")]).await;
    let page = accountant.get("/money").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(!html.contains("id=\"noncash-form\""), "only approvers see the non-cash choice");
    let csrf = crate::browser::csrf_of(&html);
    let r = accountant.post("/money/noncash", &[("_csrf", csrf.as_str()), ("noncash", acc.as_str())]).await;
    assert_eq!(r.status(), 403, "an accountant does not choose the account");
    let owner = crate::browser::Plain::new(&t);
    owner.submit("/login", &[("email", "pages@fin.kg"), ("password", "password-123"), ("next", "/")]).await;
    let html = owner.get("/money").await.text().await.expect("html");
    assert!(html.contains("id=\"noncash-form\""), "the owner chooses the non-cash account");
    let csrf = crate::browser::csrf_of(&html);
    let r = owner.post("/money/noncash", &[("_csrf", csrf.as_str()), ("noncash", acc.as_str())]).await;
    assert_eq!((r.status().as_u16(), crate::browser::location(&r)), (303, "/money?ok=noncash_saved"));
    let html = owner.get("/money?ok=noncash_saved").await.text().await.expect("html");
    assert!(html.contains(&format!("value=\"{acc}\" selected")), "the choice is shown");
    let (_, v) = t.get(c, "/api/v1/finance/noncash-account").await;
    assert_eq!(format!("bank:{}", v["account"]), acc);
    t.assert_consistent();
}
