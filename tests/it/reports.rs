//! Stock reports through the API: the movement journal (every filter, paging, links to
//! documents), turnover for a period, on hand by category with warehouse totals, the
//! low-stock list, XLSX exports, and bad input.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::stock::{Shop, shop};

struct Data {
    s: Shop,
    bread: u64,
    bakery: u64,
    receipt: u64,
    write_off: u64,
}

/// Milk 10 @ 85 and bread 20 @ 30 into the main warehouse in January; 3 milk moved to the
/// second warehouse on 5 February; 2 bread written off on 15 February.
async fn data(t: &TestApp, email: &str) -> Data {
    let s = shop(t, email).await;
    let c = &s.c;
    let (_, cat) = t.post(c, "/api/v1/categories", json!({"name": "Хлеб"})).await;
    let (st, bread) =
        t.post(c, "/api/v1/products", json!({"name": "Хлеб белый", "category": cat["id"], "purchase_price": "30", "price": "45"})).await;
    assert_eq!(st, StatusCode::CREATED, "{bread}");
    let bread = bread["id"].as_u64().expect("id");
    let post = |body: Value| async move {
        let (st, d) = t.post(c, "/api/v1/documents", body).await;
        assert_eq!(st, StatusCode::CREATED, "{d}");
        d["id"].as_u64().expect("id")
    };
    let receipt = post(json!({"kind": "receipt", "date": "2026-01-10", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "10", "cost": "85"}], "post": true})).await;
    post(json!({"kind": "receipt", "date": "2026-01-20", "warehouse": s.main, "lines": [{"product": bread, "qty": "20", "cost": "30"}], "post": true})).await;
    post(json!({"kind": "transfer", "date": "2026-02-05", "warehouse": s.main, "to_warehouse": s.second, "lines": [{"product": s.milk, "qty": "3"}], "post": true})).await;
    let write_off = post(
        json!({"kind": "write_off", "date": "2026-02-15", "warehouse": s.main, "lines": [{"product": bread, "qty": "2"}], "post": true}),
    )
    .await;
    Data { s, bread, bakery: cat["id"].as_u64().expect("id"), receipt, write_off }
}

fn kinds(v: &Value) -> Vec<String> {
    v["rows"].as_array().expect("rows").iter().map(|r| r["kind"].as_str().unwrap_or("").to_string()).collect()
}

async fn journal(t: &TestApp, c: &Client, query: &str) -> Vec<String> {
    let (st, j) = t.get(c, &format!("/api/v1/stock/journal?{query}")).await;
    assert_eq!(st, StatusCode::OK, "{query}: {j}");
    kinds(&j)
}

#[tokio::test]
async fn the_journal_filters_by_warehouse_product_kind_and_period_and_pages() {
    let t = TestApp::spawn().await;
    let d = data(&t, "journal@shop.kg").await;
    let (c, s) = (&d.s.c, &d.s);

    let (st, all) = t.get(c, "/api/v1/stock/journal").await;
    assert_eq!(st, StatusCode::OK, "{all}");
    assert_eq!(kinds(&all), ["receipt", "receipt", "transfer_out", "transfer_in", "write_off"]);
    let first = &all["rows"][0];
    assert_eq!(
        (first["number"].as_str(), first["href"].clone(), first["qty"].as_str(), first["value"].as_str(), first["product_name"].as_str()),
        (Some("ПР-000001"), json!(format!("/documents/{}", d.receipt)), Some("10"), Some("850.00"), Some("Молоко Простоквашино 3,2% 1 л"))
    );
    assert_eq!(all["rows"][0]["warehouse_name"], "Основной склад");
    assert_eq!(all["next"], Value::Null);

    assert_eq!(journal(&t, c, &format!("warehouse={}", s.second)).await, ["transfer_in"]);
    assert_eq!(journal(&t, c, &format!("product={}", s.milk)).await, ["receipt", "transfer_out", "transfer_in"]);
    assert_eq!(journal(&t, c, &format!("product={}&warehouse={}", s.milk, s.main)).await, ["receipt", "transfer_out"]);
    assert_eq!(journal(&t, c, &format!("product={}&kind=transfer_in", s.milk)).await, ["transfer_in"]);
    assert_eq!(journal(&t, c, "kind=write_off").await, ["write_off"]);
    assert_eq!(journal(&t, c, "kind=receipt,transfer_in").await, ["receipt", "receipt", "transfer_in"]);
    assert_eq!(journal(&t, c, "from=2026-02-01&to=2026-02-10").await, ["transfer_out", "transfer_in"]);
    assert_eq!(journal(&t, c, "to=2026-01-10").await, ["receipt"], "the last day is included");
    assert_eq!(journal(&t, c, "from=2026-02-16").await, Vec::<String>::new());

    // Pages of two, whole company and one product, join up to the unpaged list.
    for base in ["", &format!("product={}&", s.milk)] {
        let (_, whole) = t.get(c, &format!("/api/v1/stock/journal?{base}")).await;
        let mut ids = Vec::new();
        let mut after = String::new();
        loop {
            let (st, page) = t.get(c, &format!("/api/v1/stock/journal?{base}limit=2{after}")).await;
            assert_eq!(st, StatusCode::OK, "{page}");
            ids.extend(page["rows"].as_array().expect("rows").iter().map(|r| r["id"].clone()));
            match page["next"].as_str() {
                Some(n) => after = format!("&after={n}"),
                None => break,
            }
        }
        let expected: Vec<Value> = whole["rows"].as_array().expect("rows").iter().map(|r| r["id"].clone()).collect();
        assert_eq!(ids, expected, "{base}");
    }

    // Cancelling appends reversals, which the journal shows with the document they undo.
    let (st, _) = t.post(c, &format!("/api/v1/documents/{}/cancel", d.write_off), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, wo) = t.get(c, "/api/v1/stock/journal?kind=write_off").await;
    let qtys: Vec<&str> = wo["rows"].as_array().expect("rows").iter().map(|r| r["qty"].as_str().unwrap_or("")).collect();
    assert_eq!(qtys, ["-2", "2"]);
    assert_eq!(wo["rows"][1]["href"], json!(format!("/documents/{}", d.write_off)));

    for (query, status) in [
        ("kind=bogus", StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2026-13-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2026-02-10&to=2026-02-01", StatusCode::UNPROCESSABLE_ENTITY),
        ("after=abc", StatusCode::UNPROCESSABLE_ENTITY),
        ("warehouse=999999999", StatusCode::NOT_FOUND),
        ("product=999999999", StatusCode::NOT_FOUND),
        ("warehouse=abc", StatusCode::BAD_REQUEST),
        ("colour=red", StatusCode::BAD_REQUEST),
    ] {
        let (st, body) = t.get(c, &format!("/api/v1/stock/journal?{query}")).await;
        assert_eq!(st, status, "{query}: {body}");
        assert!(body["code"].is_string(), "{query}: {body}");
    }
    t.assert_consistent();
}

fn row(v: &Value, product: u64) -> &Value {
    v["rows"].as_array().expect("rows").iter().find(|r| r["product"] == product).unwrap_or(&Value::Null)
}

fn fields(r: &Value, names: &[&str]) -> Vec<String> {
    names.iter().map(|n| r[*n].as_str().unwrap_or("-").to_string()).collect()
}

const TURN: &[&str] = &["opening_qty", "opening_value", "in_qty", "in_value", "out_qty", "out_value", "closing_qty", "closing_value"];

#[tokio::test]
async fn turnover_shows_opening_in_out_and_closing_per_product() {
    let t = TestApp::spawn().await;
    let d = data(&t, "turnover@shop.kg").await;
    let (c, s) = (&d.s.c, &d.s);

    let (st, feb) = t.get(c, &format!("/api/v1/stock/turnover?warehouse={}&from=2026-02-01&to=2026-02-28", s.main)).await;
    assert_eq!(st, StatusCode::OK, "{feb}");
    assert_eq!(fields(row(&feb, s.milk), TURN), ["10", "850.00", "0", "0", "3", "255.00", "7", "595.00"]);
    assert_eq!(fields(row(&feb, d.bread), TURN), ["20", "600.00", "0", "0", "2", "60.00", "18", "540.00"]);
    assert_eq!(fields(&feb["total"], TURN), ["30", "1450.00", "0", "0", "5", "315.00", "25", "1135.00"]);

    // All warehouses: the transfer is both an issue and a receipt.
    let (_, all) = t.get(c, "/api/v1/stock/turnover?from=2026-02-01&to=2026-02-28").await;
    assert_eq!(fields(row(&all, s.milk), TURN), ["10", "850.00", "3", "255.00", "3", "255.00", "10", "850.00"]);

    // January from nothing; a category; a period before any movement.
    let (_, jan) = t.get(c, &format!("/api/v1/stock/turnover?warehouse={}&from=2026-01-01&to=2026-01-31", s.main)).await;
    assert_eq!(fields(row(&jan, s.milk), TURN), ["0", "0", "10", "850.00", "0", "0", "10", "850.00"]);
    let (_, cat) = t.get(c, &format!("/api/v1/stock/turnover?category={}&from=2026-01-01&to=2026-02-28", d.bakery)).await;
    assert_eq!(cat["rows"].as_array().map(|r| r.len()), Some(1), "{cat}");
    assert_eq!(fields(row(&cat, d.bread), TURN), ["0", "0", "20", "600.00", "2", "60.00", "18", "540.00"]);
    let (_, before) = t.get(c, "/api/v1/stock/turnover?from=2025-01-01&to=2025-12-31").await;
    assert_eq!(before["rows"], json!([]));

    // Closing today equals stock on hand.
    let (_, now) = t.get(c, &format!("/api/v1/stock/turnover?warehouse={}&from=2026-01-01&to=2026-12-31", s.main)).await;
    let (_, stock) = t.get(c, &format!("/api/v1/stock?warehouse={}", s.main)).await;
    assert_eq!(now["total"]["closing_value"], stock["total_value"]);

    for (query, status) in [
        ("from=2026-02-01".to_string(), StatusCode::BAD_REQUEST),
        ("from=&to=2026-02-01".to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("from=2026-02-10&to=2026-02-01".to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("from=01.02.2026&to=2026-02-01".to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("warehouse=999999999&from=2026-02-01&to=2026-02-28".to_string(), StatusCode::NOT_FOUND),
        ("category=999999999&from=2026-02-01&to=2026-02-28".to_string(), StatusCode::NOT_FOUND),
    ] {
        let (st, body) = t.get(c, &format!("/api/v1/stock/turnover?{query}")).await;
        assert_eq!(st, status, "{query}: {body}");
    }
    t.assert_consistent();
}

pub(crate) async fn download(t: &TestApp, c: &Client, path: &str) -> (StatusCode, String, Vec<u8>) {
    let resp = t.http.get(t.url(path)).bearer_auth(&c.token).send().await.expect("request");
    let status = resp.status();
    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (status, ct, resp.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn on_hand_by_category_with_totals_low_stock_and_xlsx_exports() {
    let t = TestApp::spawn().await;
    let d = data(&t, "onhand@shop.kg").await;
    let (c, s) = (&d.s.c, &d.s);

    let (_, all) = t.get(c, &format!("/api/v1/stock?warehouse={}", s.main)).await;
    assert_eq!((all["total_value"].as_str(), all["warehouse_value"].as_str()), (Some("1135.00"), Some("1135.00")), "{all}");
    let (_, bakery) = t.get(c, &format!("/api/v1/stock?warehouse={}&category={}", s.main, d.bakery)).await;
    assert_eq!(bakery["rows"].as_array().map(|r| r.len()), Some(1), "{bakery}");
    assert_eq!(
        (bakery["total_value"].as_str(), bakery["total_sale_value"].as_str(), bakery["warehouse_value"].as_str()),
        (Some("540.00"), Some("810.00"), Some("1135.00")),
        "18 × 45 at sale price; the warehouse total ignores the filter"
    );
    let (_, paged) = t.get(c, &format!("/api/v1/stock?warehouse={}&limit=1", s.main)).await;
    assert_eq!((paged["rows"].as_array().map(|r| r.len()), paged["warehouse_value"].as_str()), (Some(1), Some("1135.00")));

    // Renaming and repricing a product refreshes its report rows in every warehouse.
    let (st, p) = t
        .put(
            c,
            &format!("/api/v1/products/{}", d.bread),
            json!({"name": "Хлеб чёрный", "category": d.bakery, "price": "50", "reorder_level": "20"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let (_, bakery) = t.get(c, &format!("/api/v1/stock?warehouse={}&category={}", s.main, d.bakery)).await;
    assert_eq!((bakery["rows"][0]["name"].as_str(), bakery["total_sale_value"].as_str()), (Some("Хлеб чёрный"), Some("900.00")));
    let (_, all) = t.get(c, &format!("/api/v1/stock?warehouse={}", s.main)).await;
    assert_eq!(all["warehouse_sale_value"].as_str(), Some("1614.00"), "7 × 102 + 18 × 50: {all}");

    // Low stock: bread (18 ≤ 20) is listed; milk (7 > 5) is not until it drops to 4.
    let (_, l) = t.get(c, &format!("/api/v1/stock?warehouse={}&low=true", s.main)).await;
    assert_eq!(l["rows"].as_array().map(|r| r.iter().map(|x| x["product"].as_u64()).collect::<Vec<_>>()), Some(vec![Some(d.bread)]));
    let (st, _) = t
        .post(
            c,
            "/api/v1/documents",
            json!({"kind": "write_off", "warehouse": s.main, "lines": [{"product": s.milk, "qty": "3"}], "post": true}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, l) = t.get(c, &format!("/api/v1/stock?warehouse={}&low=true", s.main)).await;
    assert_eq!(l["rows"].as_array().map(|r| r.len()), Some(2), "{l}");

    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    for path in [
        format!("/api/v1/stock/export.xlsx?warehouse={}", s.main),
        format!("/api/v1/stock/export.xlsx?warehouse={}&low=true&category={}", s.main, d.bakery),
        format!("/api/v1/stock/journal.xlsx?product={}", s.milk),
        "/api/v1/stock/journal.xlsx".to_string(),
        format!("/api/v1/stock/turnover.xlsx?warehouse={}&from=2026-01-01&to=2026-02-28", s.main),
    ] {
        let (st, ct, body) = download(&t, c, &path).await;
        assert_eq!((st, ct.as_str()), (StatusCode::OK, xlsx), "{path}");
        assert_eq!(&body[..2], b"PK", "{path}: a zip");
    }
    for (path, status) in [
        ("/api/v1/stock/export.xlsx".to_string(), StatusCode::BAD_REQUEST),
        ("/api/v1/stock/export.xlsx?warehouse=999999999".to_string(), StatusCode::NOT_FOUND),
        ("/api/v1/stock/turnover.xlsx?from=2026-02-10&to=2026-02-01".to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        ("/api/v1/stock/journal.xlsx?kind=nope".to_string(), StatusCode::UNPROCESSABLE_ENTITY),
        (format!("/api/v1/stock?warehouse={}&category=999999999", s.main), StatusCode::NOT_FOUND),
    ] {
        let (st, _, _) = download(&t, c, &path).await;
        assert_eq!(st, status, "{path}");
    }
    t.assert_consistent();
}

#[tokio::test]
async fn the_journal_and_turnover_pages_show_filters_rows_links_and_exports() {
    use crate::browser::{Plain, location};
    let t = TestApp::spawn().await;
    let d = data(&t, "pages@shop.kg").await;
    let p = Plain::new(&t);
    let r = p.submit("/login", &[("email", "pages@shop.kg"), ("password", "password-123"), ("next", "/stock")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/stock"));
    let stock = p.get("/stock").await.text().await.expect("body");
    assert!(
        stock.contains("href=\"/stock/journal\"") && stock.contains("/api/v1/stock/export.xlsx?warehouse="),
        "links from the stock page"
    );

    let r = p.get(&format!("/stock/journal?product={}&kind=transfer_out", d.s.milk)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("Журнал движений") && html.contains("ПМ-000001") && !html.contains("ПР-000001"), "only the transfer out: {html}");
    assert!(html.contains(&format!("/api/v1/stock/journal.xlsx?product={}", d.s.milk)), "the export keeps the filters");
    let next = p.get("/stock/journal?from=2026-02-10&to=2026-02-01").await;
    assert_eq!(next.status(), 422, "a bad period is a 4xx page");

    let empty = p.get("/stock/turnover").await.text().await.expect("body");
    assert!(empty.contains("Укажите период"));
    let r = p.get(&format!("/stock/turnover?warehouse={}&from=2026-02-01&to=2026-02-28", d.s.main)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("Хлеб белый") && html.contains("1\u{a0}135,00") && html.contains("turnover-export"), "rows, totals, export");

    // The exports work with the browser session too.
    let r = p.get(&format!("/api/v1/stock/export.xlsx?warehouse={}", d.s.main)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.expect("body")[..2], b"PK");
}
