//! Point of sale through the API: cash boxes, shifts with running totals and the cash ledger,
//! cart arithmetic, weighed barcodes, checkout (FIFO cost, idempotency under concurrent
//! retries, every short line named), returns, cash in/out with approval, bad input, isolation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::stock::{Shop, shop};

pub struct Till {
    pub s: Shop,
    pub cash_box: u64,
    pub shift: u64,
    pub cheese: u64,
}

/// A shop with stock (10 milk at 85 then 90; 5 kg of weighed cheese, PLU 15), a cash box
/// selling from the main warehouse and an open shift with 1000 in the drawer.
pub async fn till(t: &TestApp, email: &str) -> Till {
    let (s, cash_box, cheese) = stocked_box(t, email).await;
    let (st, sh) = t.post(&s.c, "/api/v1/shifts", json!({"cash_box": cash_box, "opening_cash": "1000"})).await;
    assert_eq!(st, StatusCode::CREATED, "{sh}");
    Till { shift: sh["id"].as_u64().expect("id"), cash_box, cheese, s }
}

/// The shop of [`till`] before any shift: (shop, cash box, cheese).
pub async fn stocked_box(t: &TestApp, email: &str) -> (Shop, u64, u64) {
    let s = shop(t, email).await;
    let c = &s.c;
    let (st, cheese) = t
        .post(
            c,
            "/api/v1/products",
            json!({"name": "Сыр Гауда весовой", "unit": "kg", "weighed": true, "plu": "15", "purchase_price": "600", "price": "800"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{cheese}");
    let cheese = cheese["id"].as_u64().expect("id");
    for (qty, cost) in [("5", "85"), ("5", "90")] {
        let (st, d) = t
            .post(
                c,
                "/api/v1/documents",
                json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": qty, "cost": cost}], "post": true}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{d}");
    }
    let (st, d) = t
        .post(
            c,
            "/api/v1/documents",
            json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": cheese, "qty": "5", "cost": "600"}], "post": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let (st, b) = t.post(c, "/api/v1/cash-boxes", json!({"name": "Касса 1", "warehouse": s.main})).await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    (s, b["id"].as_u64().expect("id"), cheese)
}

async fn sell(t: &TestApp, c: &Client, key: &str, body: Value) -> (StatusCode, Value) {
    let mut body = body;
    body["idempotency_key"] = json!(key);
    t.post(c, "/api/v1/sales", body).await
}

pub fn weighed(plu: u32, grams: u32) -> String {
    let body = format!("22{plu:05}{grams:05}");
    let digits: Vec<u32> = body.chars().map(|ch| ch.to_digit(10).expect("digit")).collect();
    let sum: u32 = digits.iter().rev().enumerate().map(|(i, d)| d * if i % 2 == 0 { 3 } else { 1 }).sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

#[tokio::test]
async fn a_shift_sells_with_fifo_cost_and_closes_with_the_cash_counted() {
    let t = TestApp::spawn().await;
    let k = till(&t, "pos@shop.kg").await;
    let c = &k.s.c;

    // The cart: scan milk twice, a weighed cheese code, a 10% order discount.
    let (st, r) = t.post(c, "/api/v1/pos/cart/scan", json!({"cash_box": k.cash_box, "code": "4600682000358"})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    t.post(c, "/api/v1/pos/cart/scan", json!({"cash_box": k.cash_box, "code": "4600682000358"})).await;
    let (st, r) = t.post(c, "/api/v1/pos/cart/scan", json!({"cash_box": k.cash_box, "code": weighed(15, 1250)})).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!((r["qty"].as_str(), r["weighed"].as_bool()), (Some("1.250"), Some(true)));
    let (st, cart) = t.put(c, "/api/v1/pos/cart", json!({"cash_box": k.cash_box, "discount_percent": "10"})).await;
    assert_eq!(st, StatusCode::OK, "{cart}");
    // 2 × 102.00 + 1.25 kg × 800 = 1204.00; 10% = 120.40; total 1083.60.
    assert_eq!(
        (cart["subtotal"].as_str(), cart["discount_total"].as_str(), cart["total"].as_str()),
        (Some("1204.00"), Some("120.40"), Some("1083.60"))
    );
    assert_eq!(cart["lines"].as_array().map(Vec::len), Some(2), "a repeated scan adds to the line");

    // Mixed payment: 500 card + 600 cash handed over → 16.40 change.
    let (st, sale) = sell(
        &t,
        c,
        "k-1",
        json!({"cash_box": k.cash_box, "payments": [{"method": "card", "amount": "500"}, {"method": "cash", "amount": "600"}]}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");
    assert_eq!(
        (sale["number"].as_str(), sale["status"].as_str(), sale["total"].as_str(), sale["change"].as_str()),
        (Some("П-000001"), Some("paid"), Some("1083.60"), Some("16.40"))
    );
    let paid: Vec<(String, String)> = sale["payments"]
        .as_array()
        .expect("payments")
        .iter()
        .map(|p| (p["method"].as_str().unwrap_or("").into(), p["amount"].as_str().unwrap_or("").into()))
        .collect();
    assert!(paid.contains(&("cash".into(), "583.60".into())) && paid.contains(&("card".into(), "500.00".into())), "{paid:?}");
    // FIFO cost: 2 milk from the 85.00 layer; 1.25 kg cheese at 600.
    assert_eq!(
        (sale["lines"][0]["cost"].as_str(), sale["lines"][1]["cost"].as_str(), sale["cost"].as_str()),
        (Some("170.00"), Some("750.00"), Some("920.00"))
    );
    let amounts: rust_decimal::Decimal = sale["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["amount"].as_str().unwrap_or("0").parse::<rust_decimal::Decimal>().expect("dec"))
        .sum();
    assert_eq!(amounts.to_string(), "1083.60", "order discount allocated to the cent");
    let (_, cart) = t.get(c, &format!("/api/v1/pos/cart?cash_box={}", k.cash_box)).await;
    assert_eq!(cart["lines"], json!([]), "the cart is cleared by checkout");

    // A direct sale (no cart), on a wallet.
    let (st, s2) = sell(&t, c, "k-2", json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "3"}], "payments": [{"method": "wallet:MBank", "amount": "306"}]})).await;
    assert_eq!(st, StatusCode::CREATED, "{s2}");
    assert_eq!(s2["lines"][0]["cost"], "255.00", "the last 3 of the 85.00 layer");

    // X report: running totals.
    let (_, x) = t.get(c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!((x["sales"].as_u64(), x["sales_amount"].as_str(), x["expected_cash"].as_str()), (Some(2), Some("1389.60"), Some("1583.60")));

    // Return one milk of the first sale in cash: stock back at its FIFO cost.
    let (st, ret) = t
        .post(
            c,
            &format!("/api/v1/sales/{}/returns", sale["id"]),
            json!({"idempotency_key": "r-1", "lines": [{"line": 0, "qty": "1"}], "method": "cash"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{ret}");
    assert_eq!((ret["number"].as_str(), ret["amount"].as_str()), (Some("В-000001"), Some("91.80")), "102 less its 10% share");
    assert_eq!(ret["lines"][0].get(3).and_then(Value::as_str), Some("85.00"));

    // Cash out by the owner (approved at once), then close with 20 short.
    let (st, f) =
        t.post(c, "/api/v1/cash-flows", json!({"cash_box": k.cash_box, "kind": "out", "amount": "100", "reason": "Инкассация"})).await;
    assert_eq!((st, f["status"].as_str()), (StatusCode::CREATED, Some("approved")), "{f}");
    let (_, x) = t.get(c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!(x["expected_cash"], "1391.80");
    let (st, z) = t.post(c, &format!("/api/v1/shifts/{}/close", k.shift), json!({"closing_cash": "1371.80"})).await;
    assert_eq!(st, StatusCode::OK, "{z}");
    assert_eq!((z["status"].as_str(), z["difference"].as_str(), z["returns"].as_u64()), (Some("closed"), Some("-20.00"), Some(1)));
    let (_, cash) = t.get(c, &format!("/api/v1/shifts/{}/cash", k.shift)).await;
    let sum: rust_decimal::Decimal = cash
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["amount"].as_str().unwrap_or("0").parse::<rust_decimal::Decimal>().expect("dec"))
        .sum();
    assert_eq!(sum.to_string(), "1391.80", "Σ cash ledger = expected cash");

    // After the close: no sales without a shift.
    let (st, e) = sell(
        &t,
        c,
        "k-3",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk}], "payments": [{"method": "cash", "amount": "102"}]}),
    )
    .await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("shift_not_open")), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn checkout_is_idempotent_under_concurrent_retries() {
    let t = TestApp::spawn().await;
    let k = till(&t, "retry@shop.kg").await;
    let body =
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "1"}], "payments": [{"method": "cash", "amount": "200"}]});
    let mut tasks = Vec::new();
    for key in 0..8 {
        for _ in 0..3 {
            let (t2, token, mut b) = (t.url("/api/v1/sales"), k.s.c.token.clone(), body.clone());
            b["idempotency_key"] = json!(format!("retry-{key}"));
            tasks.push(tokio::spawn(async move {
                let r = reqwest::Client::new().post(t2).bearer_auth(token).json(&b).send().await.expect("send");
                let st = r.status();
                (key, st, r.json::<Value>().await.expect("json"))
            }));
        }
    }
    let mut ids: std::collections::BTreeMap<i32, std::collections::BTreeSet<u64>> = Default::default();
    for task in tasks {
        let (key, st, sale) = task.await.expect("task");
        assert_eq!(st, StatusCode::CREATED, "{sale}");
        ids.entry(key).or_default().insert(sale["id"].as_u64().expect("id"));
    }
    assert!(ids.values().all(|v| v.len() == 1), "every retry of a key got the same sale: {ids:?}");
    let (_, sales) = t.get(&k.s.c, &format!("/api/v1/sales?shift={}", k.shift)).await;
    assert_eq!(sales.as_array().map(Vec::len), Some(8), "24 requests, 8 keys → 8 sales");
    let (_, x) = t.get(&k.s.c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!((x["sales"].as_u64(), x["expected_cash"].as_str()), (Some(8), Some("1816.00")));
    let (_, card) = t.get(&k.s.c, &format!("/api/v1/products/{}/stock", k.s.milk)).await;
    assert_eq!(card["warehouses"][0]["qty"], "2", "10 − 8");
    // The same key with another body is refused.
    let (st, e) = sell(
        &t,
        &k.s.c,
        "retry-0",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "2"}], "payments": [{"method": "cash", "amount": "500"}]}),
    )
    .await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("idempotency_conflict")));
    t.assert_consistent();
}

#[tokio::test]
async fn refusals_name_every_problem_and_write_nothing() {
    let t = TestApp::spawn().await;
    let k = till(&t, "bad@shop.kg").await;
    let c = &k.s.c;
    // Every short line named at once.
    let (st, e) = sell(&t, c, "b-1", json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "11"}, {"product": k.cheese, "qty": "5.5"}], "payments": [{"method": "cash", "amount": "99999"}]})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock")), "{e}");
    let detail = e["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("Молоко") && detail.contains("Сыр"), "{detail}");
    // Bad input: unknown product, bad qty, price below cost without a discount, underpaid,
    // unknown method, debt without a client, both discounts.
    let (st, e) = sell(&t, c, "b-2", json!({"cash_box": k.cash_box, "lines": [{"product": 999999}, {"product": k.s.milk, "qty": "-1"}, {"product": k.s.milk, "price": "50"}], "payments": [{"method": "bitcoin", "amount": "1"}]})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let codes: Vec<&str> = e["errors"].as_array().expect("errors").iter().filter_map(|f| f["code"].as_str()).collect();
    for code in ["unknown_product", "qty", "below_cost", "payment_method"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let (st, e) = sell(
        &t,
        c,
        "b-3",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk}], "payments": [{"method": "cash", "amount": "100"}]}),
    )
    .await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("underpaid")), "{e}");
    let (st, e) = sell(
        &t,
        c,
        "b-4",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk}], "payments": [{"method": "card", "amount": "200"}]}),
    )
    .await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("overpaid")), "card gives no change: {e}");
    let (st, e) = sell(
        &t,
        c,
        "b-5",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk}], "payments": [{"method": "debt", "amount": "102"}]}),
    )
    .await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("client_required")), "{e}");
    let (st, e) = t.put(c, "/api/v1/pos/cart", json!({"cash_box": k.cash_box, "discount_percent": "5", "discount_amount": "10"})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("discount_both")));
    // A client the company does not have (or another company's) is refused, not kept on the cart.
    let (st, e) = t.put(c, "/api/v1/pos/cart", json!({"cash_box": k.cash_box, "client": 987_654_321u64})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_client")), "{e}");
    let (_, cart) = t.get(c, &format!("/api/v1/pos/cart?cash_box={}", k.cash_box)).await;
    assert!(cart["client"].is_null(), "{cart}");
    let (st, e) = sell(
        &t,
        c,
        "",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk}], "payments": [{"method": "cash", "amount": "102"}]}),
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "empty key: {e}");
    let (st, _) = t.post(c, "/api/v1/pos/cart/scan", json!({"cash_box": k.cash_box, "code": "2200099001007"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "unknown PLU");
    // A second shift for the same cashier and box is refused.
    let (st, e) = t.post(c, "/api/v1/shifts", json!({"cash_box": k.cash_box})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("shift_already_open")));
    // Nothing was sold.
    let (_, x) = t.get(c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!((x["sales"].as_u64(), x["expected_cash"].as_str()), (Some(0), Some("1000.00")));
    let (_, card) = t.get(c, &format!("/api/v1/products/{}/stock", k.s.milk)).await;
    assert_eq!(card["warehouses"][0]["qty"], "10");
    // A return of more than was sold, and a cash refund bigger than the drawer.
    let (_, sale) = sell(
        &t,
        c,
        "b-6",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk, "qty": "2"}], "payments": [{"method": "card", "amount": "204"}]}),
    )
    .await;
    let (st, e) = t
        .post(c, &format!("/api/v1/sales/{}/returns", sale["id"]), json!({"idempotency_key": "r", "lines": [{"line": 0, "qty": "3"}]}))
        .await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("return_too_much")), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn cashier_cash_out_waits_for_approval_and_carts_survive_the_shift() {
    let t = TestApp::spawn().await;
    let k = till(&t, "flow@shop.kg").await;
    let c = &k.s.c;
    let (_, roles) = t.get(c, "/api/v1/roles").await;
    let role = roles.as_array().expect("roles").iter().find(|r| r["name"] == "Кассир").cloned().expect("the cashier preset role");
    let (_, branches) = t.get(c, "/api/v1/branches").await;
    let (st, u) = t
        .post(c, "/api/v1/users", json!({"name": "Айгуль", "email": "cashier@shop.kg", "password": "password-123", "role": "staff", "custom_role": role["id"], "branches": [branches[0]["id"]]}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let cashier = t.login("cashier@shop.kg", "password-123").await;
    let (_, me) = t.get(&cashier, "/api/v1/me").await;
    assert!(me.to_string().contains("cashier"), "{me}");
    let (st, sh) = t.post(&cashier, "/api/v1/shifts", json!({"cash_box": k.cash_box, "opening_cash": "500"})).await;
    assert_eq!(st, StatusCode::CREATED, "two cashiers, one box, each their own shift: {sh}");
    let (st, f) = t
        .post(&cashier, "/api/v1/cash-flows", json!({"cash_box": k.cash_box, "kind": "out", "amount": "50", "reason": "Вода для офиса"}))
        .await;
    assert_eq!((st, f["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{f}");
    let (_, x) = t.get(&cashier, &format!("/api/v1/shifts/{}", sh["id"])).await;
    assert_eq!(x["expected_cash"], "500.00", "a pending flow does not count");
    let (st, _) = t.post(&cashier, &format!("/api/v1/cash-flows/{}/approve", f["id"]), json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "a cashier cannot approve");
    let (st, f2) = t.post(c, &format!("/api/v1/cash-flows/{}/approve", f["id"]), json!({})).await;
    assert_eq!((st, f2["status"].as_str()), (StatusCode::OK, Some("approved")));
    let (_, x) = t.get(&cashier, &format!("/api/v1/shifts/{}", sh["id"])).await;
    assert_eq!(x["expected_cash"], "450.00");
    // The cashier's cart outlives the shift and is flagged in the next one.
    t.post(&cashier, "/api/v1/pos/cart/scan", json!({"cash_box": k.cash_box, "code": "4600682000358"})).await;
    let (st, _) = t.post(&cashier, &format!("/api/v1/shifts/{}/close", sh["id"]), json!({"closing_cash": "450"})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, sh2) = t.post(&cashier, "/api/v1/shifts", json!({"cash_box": k.cash_box})).await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, cart) = t.get(&cashier, &format!("/api/v1/pos/cart?cash_box={}", k.cash_box)).await;
    assert_eq!(
        (cart["lines"].as_array().map(Vec::len), cart["carried_from"].clone(), cart["shift"].clone()),
        (Some(1), sh["id"].clone(), sh2["id"].clone())
    );
    // The cashier sees only their own shifts; the owner sees both.
    let (_, mine) = t.get(&cashier, "/api/v1/shifts").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(2));
    let (_, all) = t.get(c, "/api/v1/shifts").await;
    assert_eq!(all.as_array().map(Vec::len), Some(3));
    t.assert_consistent();
}

#[tokio::test]
async fn another_company_cannot_touch_this_till() {
    let t = TestApp::spawn().await;
    let k = till(&t, "a@shop.kg").await;
    let (_, sale) = sell(
        &t,
        &k.s.c,
        "i-1",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk}], "payments": [{"method": "cash", "amount": "102"}]}),
    )
    .await;
    let other = shop(&t, "b@shop.kg").await;
    let o = &other.c;
    for path in [
        format!("/api/v1/sales/{}", sale["id"]),
        format!("/api/v1/shifts/{}", k.shift),
        format!("/api/v1/shifts/{}/cash", k.shift),
        format!("/api/v1/sales/{}/returns", sale["id"]),
    ] {
        let (st, _) = t.get(o, &path).await;
        assert_eq!(st, StatusCode::NOT_FOUND, "{path}");
    }
    let (st, _) = t.post(o, "/api/v1/shifts", json!({"cash_box": k.cash_box})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = sell(
        &t,
        o,
        "i-1",
        json!({"cash_box": k.cash_box, "lines": [{"product": k.s.milk}], "payments": [{"method": "cash", "amount": "102"}]}),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "their cash box is not ours");
    let (st, _) = t.post(o, &format!("/api/v1/sales/{}/returns", sale["id"]), json!({"idempotency_key": "x"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list) = t.get(o, "/api/v1/sales").await;
    assert_eq!(list, json!([]));
    t.assert_consistent();
}

/// The issue's replay rule: 1,000 checkouts, each sent three times at once (a till retrying
/// over a flaky network), make exactly 1,000 sales, numbered without gaps, with stock and
/// cash exact to the cent.
#[tokio::test]
async fn a_thousand_checkouts_retried_three_times_make_a_thousand_sales() {
    let t = TestApp::spawn().await;
    let k = till(&t, "replay@shop.kg").await;
    let (st, d) = t
        .post(
            &k.s.c,
            "/api/v1/documents",
            json!({"kind": "receipt", "warehouse": k.s.main, "lines": [{"product": k.s.milk, "qty": "2000", "cost": "80"}], "post": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{d}");
    let (_, card) = t.get(&k.s.c, &format!("/api/v1/products/{}/stock", k.s.milk)).await;
    let before: rust_decimal::Decimal = card["warehouses"][0]["qty"].as_str().expect("qty").parse().expect("decimal");

    // Sale i sells 1 or 2 milk (102 each); odd sales pay cash (with change), even ones by card.
    let body = |i: u64| {
        let qty = 1 + i % 2;
        let payment = if i % 2 == 1 { json!({"method": "cash", "amount": "500"}) } else { json!({"method": "card", "amount": "102"}) };
        json!({"cash_box": k.cash_box, "idempotency_key": format!("replay-{i}"), "lines": [{"product": k.s.milk, "qty": qty.to_string()}], "payments": [payment]})
    };
    let (url, token) = (t.url("/api/v1/sales"), k.s.c.token.clone());
    let http = reqwest::Client::new();
    let sem = std::sync::Arc::new(tokio::sync::Semaphore::new(48));
    let mut tasks = Vec::new();
    for i in 0..1000u64 {
        for _ in 0..3 {
            let (url, token, http, b, sem) = (url.clone(), token.clone(), http.clone(), body(i), sem.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await.expect("permit");
                let r = http.post(url).bearer_auth(token).json(&b).send().await.expect("send");
                let st = r.status();
                (i, st, r.json::<Value>().await.expect("json"))
            }));
        }
    }
    let mut seen: std::collections::BTreeMap<u64, std::collections::BTreeSet<u64>> = Default::default();
    let mut numbers = std::collections::BTreeSet::new();
    for task in tasks {
        let (i, st, sale) = task.await.expect("task");
        assert_eq!(st, StatusCode::CREATED, "{sale}");
        seen.entry(i).or_default().insert(sale["id"].as_u64().expect("id"));
        numbers.insert(sale["number"].as_str().expect("number").to_string());
    }
    assert_eq!(seen.len(), 1000);
    assert!(seen.values().all(|ids| ids.len() == 1), "every retry got its first answer");
    let distinct: std::collections::BTreeSet<u64> = seen.values().flatten().copied().collect();
    assert_eq!(distinct.len(), 1000, "exactly 1,000 sales");
    let expected: std::collections::BTreeSet<String> = (1..=1000).map(|n| format!("П-{n:06}")).collect();
    assert_eq!(numbers, expected, "numbered 1..1000 without gaps");

    // Stock: 500 sales of 2 and 500 of 1.
    let (_, card) = t.get(&k.s.c, &format!("/api/v1/products/{}/stock", k.s.milk)).await;
    let after: rust_decimal::Decimal = card["warehouses"][0]["qty"].as_str().expect("qty").parse().expect("decimal");
    assert_eq!(before - after, rust_decimal::Decimal::from(1500));
    // Cash: the odd sales (2 milk at 102) were paid in cash; the change went back out.
    let (_, x) = t.get(&k.s.c, &format!("/api/v1/shifts/{}", k.shift)).await;
    assert_eq!(x["sales"].as_u64(), Some(1000), "{x}");
    assert_eq!(x["expected_cash"].as_str(), Some("103000.00"), "1000 opening + 500 × 204: {x}");
    t.assert_consistent();
}
