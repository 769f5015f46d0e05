//! Catalog and stock through the API: documents of every kind, FIFO cost explained on the
//! product card, cancellation by reversal, the closed period, the negative-stock policy,
//! back-dated postings that re-cost later movements (and transfers), and bad input.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

pub struct Shop {
    pub c: Client,
    pub main: u64,
    pub second: u64,
    pub milk: u64,
}

pub async fn shop(t: &TestApp, email: &str) -> Shop {
    t.company("Магазин", email, "password-123").await;
    let c = t.login(email, "password-123").await;
    let (s, w1) = t.post(&c, "/api/v1/warehouses", json!({"name": "Основной склад"})).await;
    assert_eq!(s, StatusCode::CREATED, "{w1}");
    let (_, w2) = t.post(&c, "/api/v1/warehouses", json!({"name": "Склад на Ошском"})).await;
    let (s, milk) = t
        .post(&c, "/api/v1/products", json!({"name": "Молоко Простоквашино 3,2% 1 л", "barcodes": ["4600682000358"], "purchase_price": "85", "markup": "20", "reorder_level": "5"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{milk}");
    Shop { main: w1["id"].as_u64().expect("id"), second: w2["id"].as_u64().expect("id"), milk: milk["id"].as_u64().expect("id"), c }
}

async fn doc(t: &TestApp, c: &Client, body: Value) -> (StatusCode, Value) {
    t.post(c, "/api/v1/documents", body).await
}

async fn balance(t: &TestApp, c: &Client, product: u64, warehouse: u64) -> (String, String) {
    let (_, card) = t.get(c, &format!("/api/v1/products/{product}/stock")).await;
    card["warehouses"]
        .as_array()
        .expect("warehouses")
        .iter()
        .find(|w| w["warehouse"] == warehouse)
        .map(|w| (w["qty"].as_str().unwrap_or("").to_string(), w["value"].as_str().unwrap_or("").to_string()))
        .unwrap_or(("0".into(), "0".into()))
}

#[tokio::test]
async fn receipts_and_write_offs_follow_fifo_and_explain_their_cost() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@shop.kg").await;
    let c = &s.c;
    let (_, milk) = t.get(c, &format!("/api/v1/products/{}", s.milk)).await;
    assert_eq!((milk["price"].as_str(), milk["code"].as_str()), (Some("102.00"), Some("0001")), "85 + 20% markup; first internal code");

    let (st, r1) = doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "supplier": "ОсОО Сут", "lines": [{"product": s.milk, "qty": "5", "cost": "85"}], "post": true})).await;
    assert_eq!(st, StatusCode::CREATED, "{r1}");
    assert_eq!((r1["number"].as_str(), r1["status"].as_str(), r1["total"].as_str()), (Some("ПР-000001"), Some("posted"), Some("425.00")));
    let (_, r2) = doc(
        &t,
        c,
        json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "5", "amount": "450.00"}], "post": true}),
    )
    .await;
    assert_eq!(r2["number"], "ПР-000002");
    let (st, w) = doc(
        &t,
        c,
        json!({"kind": "write_off", "warehouse": s.main, "reason": "Просрочка", "lines": [{"product": s.milk, "qty": "7"}], "post": true}),
    )
    .await;
    assert_eq!((st, w["number"].as_str()), (StatusCode::CREATED, Some("СП-000001")), "{w}");
    assert_eq!(balance(&t, c, s.milk, s.main).await, ("3".to_string(), "270.00".to_string()));

    let (_, card) = t.get(c, &format!("/api/v1/products/{}/stock", s.milk)).await;
    let out = &card["moves"][0];
    assert_eq!((out["kind"].as_str(), out["value"].as_str()), (Some("write_off"), Some("-605.00")));
    assert_eq!(
        out["layers"],
        json!([{"document": "ПР-000001", "qty": "5", "amount": "425.00"}, {"document": "ПР-000002", "qty": "2", "amount": "180.00"}])
    );

    let (_, report) = t.get(c, &format!("/api/v1/stock?warehouse={}", s.main)).await;
    assert_eq!((report["total_value"].as_str(), report["total_sale_value"].as_str()), (Some("270.00"), Some("306.00")));
    let (_, low) = t.get(c, &format!("/api/v1/stock?warehouse={}&low=true", s.main)).await;
    assert_eq!(low["rows"].as_array().map(Vec::len), Some(1), "3 on hand is at or below the reorder level of 5");
    t.assert_consistent();
}

#[tokio::test]
async fn transfers_counts_returns_and_cancellation() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@shop.kg").await;
    let c = &s.c;
    doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "4", "cost": "80"}], "post": true}))
        .await;
    doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "6", "cost": "90"}], "post": true}))
        .await;
    let (st, tr) = doc(&t, c, json!({"kind": "transfer", "warehouse": s.main, "to_warehouse": s.second, "lines": [{"product": s.milk, "qty": "5"}], "post": true})).await;
    assert_eq!(st, StatusCode::CREATED, "{tr}");
    assert_eq!(balance(&t, c, s.milk, s.second).await, ("5".to_string(), "410.00".to_string()), "4×80 + 1×90 travel with the goods");
    assert_eq!(balance(&t, c, s.milk, s.main).await, ("5".to_string(), "450.00".to_string()));

    let (st, count) =
        doc(&t, c, json!({"kind": "count", "warehouse": s.second, "lines": [{"product": s.milk, "qty": "3"}], "post": true})).await;
    assert_eq!(st, StatusCode::CREATED, "{count}");
    assert_eq!(count["lines"][0]["expected"], "5");
    // A transfer arrives as one layer at the cost it left with (410.00 for 5): the loss of 2
    // takes 2/5 of it.
    assert_eq!(balance(&t, c, s.milk, s.second).await, ("3".to_string(), "246.00".to_string()));
    let (_, gain) =
        doc(&t, c, json!({"kind": "count", "warehouse": s.second, "lines": [{"product": s.milk, "qty": "4"}], "post": true})).await;
    assert_eq!(gain["status"], "posted");
    assert_eq!(balance(&t, c, s.milk, s.second).await.0, "4");
    let (st, ret) =
        doc(&t, c, json!({"kind": "supplier_return", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "1"}], "post": true})).await;
    assert_eq!((st, ret["number"].as_str()), (StatusCode::CREATED, Some("ВП-000001")));

    // Cancelling the transfer puts the goods back where they came from, at their cost.
    let (st, e) = t.post(c, &format!("/api/v1/documents/{}/cancel", tr["id"]), json!({})).await;
    assert_eq!(st, StatusCode::CONFLICT, "the second warehouse already counted and sold from it: {e}");
    assert_eq!(e["code"], "out_of_stock");
    let (st, _) = t.post(c, &format!("/api/v1/documents/{}/cancel", ret["id"]), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(balance(&t, c, s.milk, s.main).await, ("5".to_string(), "450.00".to_string()));
    let (st, e) = t.post(c, &format!("/api/v1/documents/{}/cancel", ret["id"]), json!({})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")));
    let (_, docs) = t.get(c, "/api/v1/documents?status=cancelled").await;
    assert_eq!(docs.as_array().map(Vec::len), Some(1), "a cancelled document stays, never deleted");
    t.assert_consistent();
}

#[tokio::test]
async fn back_dated_receipts_re_cost_later_movements_and_transfers() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@shop.kg").await;
    let c = &s.c;
    doc(&t, c, json!({"kind": "receipt", "date": "2026-02-10", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "10", "cost": "100"}], "post": true})).await;
    doc(&t, c, json!({"kind": "transfer", "date": "2026-02-12", "warehouse": s.main, "to_warehouse": s.second, "lines": [{"product": s.milk, "qty": "4"}], "post": true})).await;
    assert_eq!(balance(&t, c, s.milk, s.second).await.1, "400.00");
    let (st, e) = doc(&t, c, json!({"kind": "receipt", "date": "2026-02-01", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "3", "cost": "50"}], "post": true})).await;
    assert_eq!(st, StatusCode::CREATED, "{e}");
    // The transfer now takes the cheaper, older goods first: 3×50 + 1×100.
    assert_eq!(balance(&t, c, s.milk, s.second).await, ("4".to_string(), "250.00".to_string()));
    assert_eq!(balance(&t, c, s.milk, s.main).await, ("9".to_string(), "900.00".to_string()));

    // Close February: earlier postings are refused, later ones still work.
    let (st, _) = t.put(c, "/api/v1/inventory/settings", json!({"allow_negative": false, "locked_until": "2026-02-28"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, e) = doc(&t, c, json!({"kind": "receipt", "date": "2026-02-15", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "1", "cost": "1"}], "post": true})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("period_closed")), "{e}");
    assert!(e["detail"].as_str().is_some_and(|d| d.contains("2026-02-28")));
    let (st, _) =
        doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "1", "cost": "1"}], "post": true}))
            .await;
    assert_eq!(st, StatusCode::CREATED);
    t.assert_consistent();
}

#[tokio::test]
async fn negative_stock_is_refused_by_default_with_names_and_numbers() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@shop.kg").await;
    let c = &s.c;
    doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "2", "cost": "85"}], "post": true}))
        .await;
    let (st, e) =
        doc(&t, c, json!({"kind": "write_off", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "3"}], "post": true})).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("out_of_stock")));
    let detail = e["detail"].as_str().unwrap_or("");
    assert!(
        detail.contains("Молоко") && detail.contains("Основной склад") && detail.contains("нужно 3") && detail.contains("доступно 2"),
        "{detail}"
    );
    let (_, docs) = t.get(c, "/api/v1/documents").await;
    assert_eq!(docs.as_array().map(Vec::len), Some(1), "nothing was half-written: no draft left behind");

    let (st, _) = t.put(c, "/api/v1/inventory/settings", json!({"allow_negative": true, "locked_until": null})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, _) =
        doc(&t, c, json!({"kind": "write_off", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "3"}], "post": true})).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(balance(&t, c, s.milk, s.main).await, ("-1".to_string(), "-85.00".to_string()), "the overdrawn unit at the purchase price");
    doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "5", "cost": "90"}], "post": true}))
        .await;
    assert_eq!(balance(&t, c, s.milk, s.main).await, ("4".to_string(), "360.00".to_string()));
    t.assert_consistent();
}

#[tokio::test]
async fn bad_documents_list_every_problem_at_once() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@shop.kg").await;
    let c = &s.c;
    let (_, svc) = t.post(c, "/api/v1/products", json!({"kind": "service", "name": "Доставка", "price": "150"})).await;
    let lines = json!([
        {"product": s.milk, "qty": "2", "cost": "85"},
        {"product": 999_999_999, "qty": "1", "cost": "1"},
        {"product": s.milk, "qty": "0", "cost": "1"},
        {"product": svc["id"], "qty": "1", "cost": "1"},
        {"product": s.milk, "qty": "1.0001", "cost": "-5"},
    ]);
    let (st, e) = doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "lines": lines, "post": true})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = e["errors"].as_array().expect("errors").iter().filter_map(|x| x["field"].as_str()).collect();
    assert_eq!(fields, vec!["lines[1].product", "lines[2].qty", "lines[3].product", "lines[4].qty", "lines[4].cost"], "{e}");
    let (st, e) =
        doc(&t, c, json!({"kind": "transfer", "warehouse": s.main, "to_warehouse": s.main, "lines": [{"product": s.milk, "qty": "1"}]}))
            .await;
    assert_eq!((st, e["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("to_warehouse")));
    let (st, e) = doc(&t, c, json!({"kind": "gift", "warehouse": s.main, "lines": []})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (_, draft) =
        doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "1", "cost": "1"}]})).await;
    assert_eq!((draft["status"].as_str(), draft["number"].as_str()), (Some("draft"), Some("")), "drafts get a number only when posted");
    assert_eq!(t.call(Method::DELETE, &format!("/api/v1/documents/{}", draft["id"]), Some(&c.token), None).await.0, StatusCode::NO_CONTENT);
    t.assert_consistent();
}

#[tokio::test]
async fn barcodes_plu_and_deletion_rules() {
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@shop.kg").await;
    let c = &s.c;
    let (st, e) = t.post(c, "/api/v1/products", json!({"name": "Кефир", "barcodes": ["4600682000358"]})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(e["errors"][0]["message"].as_str().is_some_and(|m| m.contains("Молоко")), "the collision names the holder: {e}");
    let (st, e) = t.post(c, "/api/v1/products", json!({"name": "Кефир", "barcodes": ["4600682000359"]})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("barcode")));
    let (_, apples) =
        t.post(c, "/api/v1/products", json!({"name": "Яблоки Иссык-Куль", "unit": "kg", "weighed": true, "price": "120"})).await;
    let (_, pears) = t.post(c, "/api/v1/products", json!({"name": "Груши", "unit": "кг", "weighed": true, "price": "150"})).await;
    assert_eq!((apples["plu"].as_u64(), pears["plu"].as_u64()), (Some(1), Some(2)), "PLUs assigned in order");
    let (st, e) = t.post(c, "/api/v1/products", json!({"name": "Сливы", "unit": "kg", "weighed": true, "plu": "2"})).await;
    assert_eq!((st, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("plu_taken")));

    doc(&t, c, json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "1", "cost": "85"}], "post": true}))
        .await;
    let (st, e) = t.call(Method::DELETE, &format!("/api/v1/products/{}", s.milk), Some(&c.token), None).await;
    assert_eq!((st, e["code"].as_str()), (StatusCode::CONFLICT, Some("product_has_movements")));
    assert_eq!(t.call(Method::DELETE, &format!("/api/v1/products/{}", pears["id"]), Some(&c.token), None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(t.post(c, &format!("/api/v1/products/{}/archive", s.milk), json!({})).await.0, StatusCode::NO_CONTENT);
    let (_, page) = t.get(c, "/api/v1/products").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "archived and deleted products are not listed");

    // Another company learns the barcode from the shared catalogue.
    t.company("Другой", "other@shop.kg", "password-123").await;
    let o = t.login("other@shop.kg", "password-123").await;
    let (_, look) = t.get(&o, "/api/v1/barcodes/4600682000358").await;
    assert_eq!((look["product"].is_null(), look["global"]["name"].as_str()), (true, Some("Молоко Простоквашино 3,2% 1 л")));
    let (st, made) = t.post(&o, "/api/v1/products/by-barcode", json!({"barcode": "4600682000358", "price": "99"})).await;
    assert_eq!(
        (st, made["name"].as_str(), made["price"].as_str()),
        (StatusCode::CREATED, Some("Молоко Простоквашино 3,2% 1 л"), Some("99.00"))
    );
    t.assert_consistent();
}

/// `check` compares every stock row with the balance behind it, and finds rows with none.
#[tokio::test]
async fn check_finds_a_tampered_and_an_orphan_stock_row() {
    use dukan::ids::{CompanyId, ProductId, WarehouseId};
    use dukan::inventory::store::STOCK_ROWS;
    let t = TestApp::spawn().await;
    let s = shop(&t, "owner@tamper.kg").await;
    let (st, r) = doc(
        &t,
        &s.c,
        json!({"kind": "receipt", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "5", "cost": "85"}], "post": true}),
    )
    .await;
    assert_eq!(st, StatusCode::CREATED, "{r}");
    t.assert_consistent();
    let rows = t
        .app
        .db
        .read()
        .expect("read")
        .list(STOCK_ROWS, (CompanyId::MIN, WarehouseId::MIN, ProductId::MIN), (CompanyId::MAX, WarehouseId::MAX, ProductId::MAX), 10)
        .expect("rows");
    assert_eq!(rows.len(), 1, "one item has stock");
    let ((cid, wh, p), row) = rows[0].clone();
    t.app
        .db
        .write(move |tx| {
            let mut changed = row.clone();
            changed.qty += rust_decimal::Decimal::ONE;
            tx.insert(STOCK_ROWS, (cid, wh, p), &changed)?;
            tx.insert(STOCK_ROWS, (cid, wh, ProductId(p.0 + 1_000_000)), &row)?;
            Ok::<(), dukan::error::Error>(())
        })
        .await
        .expect("tamper");
    let problems = dukan::check::run(&t.app.db).expect("check runs");
    let about = |needle: &str| problems.iter().filter(|p| p.contains(needle)).count();
    assert_eq!((about(&format!("stock row {cid}/{wh}/{p}: stored")), about("no balance behind it")), (1, 1), "{problems:#?}");
}
