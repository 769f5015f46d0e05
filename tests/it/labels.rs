//! Labels end to end: a fake TSPL label printer on TCP receives the jobs the real server
//! sends; a weighed label's barcode, scanned at the till, gives back the same product and
//! weight; shelf labels of everything whose price changed; setup rules, rights, bad input and
//! another company's products and printers.

use std::time::Duration;

use dukan::printing::tspl::{self, Cmd};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

use crate::common::{Client, TestApp};

/// A TSPL printer on 127.0.0.1: it never answers, and hands every job to the test.
pub struct FakeLabelPrinter {
    pub port: u16,
    jobs: mpsc::UnboundedReceiver<Vec<u8>>,
}

pub async fn fake_label_printer() -> FakeLabelPrinter {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, jobs) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let _ = sock.read_to_end(&mut buf).await;
                if !buf.is_empty() {
                    let _ = tx.send(buf);
                }
            });
        }
    });
    FakeLabelPrinter { port, jobs }
}

impl FakeLabelPrinter {
    pub async fn next(&mut self) -> Vec<u8> {
        tokio::time::timeout(Duration::from_secs(10), self.jobs.recv()).await.expect("a job within 10 s").expect("job")
    }
}

fn code(v: &Value) -> String {
    v["code"].as_str().unwrap_or_default().to_string()
}

pub(crate) struct Shop {
    pub(crate) owner: Client,
    pub(crate) printer: u64,
    pub(crate) weighed: u64,
    pub(crate) piece: u64,
    pub(crate) cash_box: u64,
}

pub(crate) async fn print(t: &TestApp) -> bool {
    dukan::workers::print_once(t.app.clone()).await.expect("print step")
}

/// A shop with a weighed product (PLU 7, 500.00 a kg), a piece product, a cash box with an
/// open shift and a label printer on `port`.
pub(crate) async fn shop(t: &TestApp, name: &str, email: &str, port: u16) -> Shop {
    t.company(name, email, "password-123").await;
    let owner = t.login(email, "password-123").await;
    let id = |v: &Value| v["id"].as_u64().expect("id");
    let (s, w) =
        t.post(&owner, "/api/v1/products", json!({"name": "Яблоки", "unit": "kg", "weighed": true, "plu": "7", "price": "500"})).await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    let (s, p) = t.post(&owner, "/api/v1/products", json!({"name": "Кефир 1 л", "price": "60", "barcodes": ["4600682000358"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (_, wh) = t.post(&owner, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let (s, d) = t
        .post(
            &owner,
            "/api/v1/documents",
            json!({"kind": "receipt", "warehouse": wh["id"], "lines": [{"product": w["id"], "qty": "50", "cost": "300"}], "post": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (_, cb) = t.post(&owner, "/api/v1/cash-boxes", json!({"name": "Касса 1", "warehouse": wh["id"]})).await;
    let (s, shift) = t.post(&owner, "/api/v1/shifts", json!({"cash_box": cb["id"], "opening_cash": "0"})).await;
    assert_eq!(s, StatusCode::CREATED, "{shift}");
    // The printer is also bound to the cash box: as a label printer it must not get receipts.
    let (s, pr) = t
        .post(
            &owner,
            "/api/v1/printers",
            json!({"name": "Этикетки", "transport": "tcp", "address": format!("127.0.0.1:{port}"), "model": "xprinter", "code_page": "wpc1251", "width": "58", "cash_boxes": [cb["id"]]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{pr}");
    let (s, setup) = t.put(&owner, &format!("/api/v1/printers/{}/label", pr["id"]), json!({"language": "tspl", "size": "58x40"})).await;
    assert_eq!(s, StatusCode::OK, "{setup}");
    assert_eq!((setup["language"].as_str(), setup["text"].as_str()), (Some("tspl"), Some("bitmap")), "{setup}");
    Shop { owner, printer: id(&pr), weighed: id(&w), piece: id(&p), cash_box: id(&cb) }
}

#[tokio::test]
async fn a_weighed_labels_barcode_scans_back_to_the_same_product_and_weight() {
    let t = TestApp::spawn().await;
    let mut fake = fake_label_printer().await;
    let s = shop(&t, "Фрукты", "owner@fruit.kg", fake.port).await;
    let (st, r) = t
        .post(
            &s.owner,
            &format!("/api/v1/printers/{}/labels/weighed", s.printer),
            json!({"product": s.weighed, "weight": "1.234", "shelf_life_days": 3}),
        )
        .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{r}");
    let barcode = r["barcode"].as_str().expect("barcode").to_string();
    assert!(print(&t).await);
    let bytes = fake.next().await;
    assert!(bytes.starts_with(b"SIZE 58 mm,40 mm\r\n"), "TSPL, no ESC/POS status query first: {:02x?}", &bytes[..8.min(bytes.len())]);
    let cmds = tspl::decode(&bytes);
    assert_eq!(tspl::barcodes(&bytes), std::slice::from_ref(&barcode));
    for text in ["Яблоки", "Цена за кг: 500.00", "Вес: 1.234 кг", "Сумма: 617.00"] {
        assert!(cmds.contains(&Cmd::Text(text.into())), "{text:?} missing from {cmds:?}");
    }
    assert!(cmds.iter().any(|c| matches!(c, Cmd::Text(t) if t.starts_with("Годен до: "))), "{cmds:?}");
    assert_eq!(cmds.last(), Some(&Cmd::Print));

    // The till's own scan reads it back: the same product, the same weight.
    let (st, v) = t.post(&s.owner, "/api/v1/pos/cart/scan", json!({"cash_box": s.cash_box, "code": barcode})).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!((v["product"].as_u64(), v["qty"].as_str(), v["weighed"].as_bool()), (Some(s.weighed), Some("1.234"), Some(true)), "{v}");

    // Bad input: no weight, a piece product, a label printer that is not one.
    let path = format!("/api/v1/printers/{}/labels/weighed", s.printer);
    let (st, e) = t.post(&s.owner, &path, json!({"product": s.weighed, "weight": "0"})).await;
    assert_eq!((st, code(&e)), (StatusCode::UNPROCESSABLE_ENTITY, "validation".into()), "{e}");
    let (st, e) = t.post(&s.owner, &path, json!({"product": s.weighed, "weight": "abc"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (st, e) = t.post(&s.owner, &path, json!({"product": s.weighed, "weight": "100.000"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "a weight that does not fit five digits: {e}");
    let (st, e) = t.post(&s.owner, &path, json!({"product": s.piece, "weight": "1"})).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "label_not_weighed".into()), "{e}");
    let (st, e) = t.post(&s.owner, &path, json!({"product": 999_999, "weight": "1"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn shelf_labels_print_what_changed_since_the_last_print_and_never_receipts() {
    let t = TestApp::spawn().await;
    let mut fake = fake_label_printer().await;
    let s = shop(&t, "Ош Базар", "owner@osh.kg", fake.port).await;
    let (st, changed) = t.get(&s.owner, "/api/v1/labels/changed").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(changed.as_array().map(Vec::len), Some(2), "never printed: both changed {changed}");

    let shelf = format!("/api/v1/printers/{}/labels/shelf", s.printer);
    let (st, r) = t.post(&s.owner, &shelf, json!({"changed": true})).await;
    assert_eq!((st, r["labels"].as_u64()), (StatusCode::ACCEPTED, Some(2)), "{r}");
    assert!(print(&t).await);
    let bytes = fake.next().await;
    assert_eq!(tspl::decode(&bytes).iter().filter(|c| **c == Cmd::Print).count(), 2);
    assert_eq!(tspl::barcodes(&bytes), ["4600682000358"], "the weighed product shows its PLU, not a barcode");
    let (_, changed) = t.get(&s.owner, "/api/v1/labels/changed").await;
    assert_eq!(changed, json!([]));
    let (st, e) = t.post(&s.owner, &shelf, json!({"changed": true})).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "labels_none".into()), "{e}");

    // A price cut: only that product, with its old price struck through.
    let (st, p) = t
        .put(&s.owner, &format!("/api/v1/products/{}", s.piece), json!({"name": "Кефир 1 л", "price": "55", "barcodes": ["4600682000358"]}))
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let (_, changed) = t.get(&s.owner, "/api/v1/labels/changed").await;
    assert_eq!(changed.as_array().map(Vec::len), Some(1), "{changed}");
    assert_eq!(changed[0]["product"].as_u64(), Some(s.piece), "{changed}");
    assert!(changed[0]["printed_price"].as_str().is_some_and(|p| p.starts_with("60")), "{changed}");
    let (st, _) = t.post(&s.owner, &shelf, json!({"changed": true})).await;
    assert_eq!(st, StatusCode::ACCEPTED);
    assert!(print(&t).await);
    let cmds = tspl::decode(&fake.next().await);
    assert!(cmds.contains(&Cmd::Text("Было: 60.00".into())) && cmds.contains(&Cmd::Bar), "{cmds:?}");
    assert!(cmds.contains(&Cmd::Text("55.00 / шт".into())), "{cmds:?}");

    // A selection prints whatever is chosen, changed or not.
    let (st, r) = t.post(&s.owner, &shelf, json!({"products": [s.weighed, s.piece, s.piece]})).await;
    assert_eq!((st, r["labels"].as_u64()), (StatusCode::ACCEPTED, Some(3)), "{r}");
    assert!(print(&t).await);
    let _ = fake.next().await;

    // A sale at the box the printer is bound to prints no receipt on a label printer.
    let (st, sale) = t
        .post(
            &s.owner,
            "/api/v1/sales",
            json!({"idempotency_key": "l-1", "cash_box": s.cash_box, "lines": [{"product": s.weighed, "qty": "1"}], "payments": [{"method": "cash", "amount": "500"}]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{sale}");
    assert!(!print(&t).await, "no receipt job for a label printer");
    t.assert_consistent();
}

#[tokio::test]
async fn label_setup_is_checked_and_needs_the_labels_right() {
    let t = TestApp::spawn().await;
    let fake = fake_label_printer().await;
    let s = shop(&t, "Дордой", "owner@dordoi.kg", fake.port).await;
    let path = format!("/api/v1/printers/{}/label", s.printer);
    let (st, e) = t.put(&s.owner, &path, json!({"language": "zpl", "size": "5x4000", "dpi": 600, "text": "x"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["errors"].as_array().expect("errors").iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(fields, ["language", "size", "dpi", "text"], "{e}");
    let (st, ok) = t.put(&s.owner, &path, json!({"language": "escpos", "size": "40x30", "dpi": 300, "text": "codepage"})).await;
    assert_eq!((st, ok["size"].as_str(), ok["dpi"].as_u64()), (StatusCode::OK, Some("40x30"), Some(300)), "{ok}");
    let (_, list) = t.get(&s.owner, "/api/v1/label-printers").await;
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");

    // A cashier without the labels right is refused every label route.
    let (st, role) = t.post(&s.owner, "/api/v1/roles", json!({"name": "Кассир без этикеток", "permissions": ["cashier", "sale"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{role}");
    let (_, branches) = t.get(&s.owner, "/api/v1/branches").await;
    let branch = branches.as_array().and_then(|b| b.first()).map(|b| b["id"].clone()).expect("a branch");
    let (st, u) = t
        .post(
            &s.owner,
            "/api/v1/users",
            json!({"email": "cashier@dordoi.kg", "name": "Айбек", "role": "staff", "custom_role": role["id"], "branches": [branch], "password": "password-456"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let cashier = t.login("cashier@dordoi.kg", "password-456").await;
    for (st, body) in [
        t.put(&cashier, &path, json!({"language": "tspl", "size": "58x40"})).await,
        t.post(&cashier, &format!("/api/v1/printers/{}/labels/shelf", s.printer), json!({"changed": true})).await,
        t.get(&cashier, "/api/v1/labels/changed").await,
        t.get(&cashier, "/api/v1/label-printers").await,
    ] {
        assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    }

    // Back to a receipt printer: labels are refused on it.
    let (st, _) = t.call(reqwest::Method::DELETE, &path, Some(&s.owner.token), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (st, e) = t.post(&s.owner, &format!("/api/v1/printers/{}/labels/shelf", s.printer), json!({"products": [s.piece]})).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "not_label_printer".into()), "{e}");
}

#[tokio::test]
async fn another_companys_products_never_get_onto_a_label() {
    let t = TestApp::spawn().await;
    let fake = fake_label_printer().await;
    let a = shop(&t, "Ала-Тоо", "owner@alatoo.kg", fake.port).await;
    let b = shop(&t, "Бишкек Маркет", "owner@bm.kg", fake.port).await;
    let (st, e) = t.post(&a.owner, &format!("/api/v1/printers/{}/labels/shelf", a.printer), json!({"products": [b.piece]})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    let (st, e) =
        t.post(&a.owner, &format!("/api/v1/printers/{}/labels/weighed", a.printer), json!({"product": b.weighed, "weight": "1"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{e}");
    let (_, changed) = t.get(&a.owner, "/api/v1/labels/changed").await;
    let ids: Vec<u64> = changed.as_array().expect("list").iter().filter_map(|c| c["product"].as_u64()).collect();
    assert!(!ids.contains(&b.piece) && !ids.contains(&b.weighed), "{changed}");
    let (_, printers) = t.get(&a.owner, "/api/v1/label-printers").await;
    assert_eq!(printers.as_array().map(Vec::len), Some(1), "{printers}");
}

#[tokio::test]
async fn a_kitchen_ticket_prints_on_the_stations_printer_through_the_queue() {
    let t = TestApp::spawn().await;
    let f = crate::isolation::fixture(&t, "Чайхана", "owner@chai.kg").await;
    let mut kitchen = crate::printing::fake_tcp().await;
    let p =
        crate::printing::add_printer(&t, &f, json!({"name": "Кухня", "address": format!("127.0.0.1:{}", kitchen.port), "cash_boxes": []}))
            .await;
    let path = format!("/api/v1/printers/{}/station", p["id"]);
    let (st, e) = t.post(&f.client, &format!("{path}/test"), json!(null)).await;
    assert_eq!((st, code(&e)), (StatusCode::CONFLICT, "no_station".into()), "{e}");
    let (st, e) = t.put(&f.client, &path, json!({"station": "a b"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (st, s) = t.put(&f.client, &path, json!({"station": "Kitchen"})).await;
    assert_eq!((st, s["station"].as_str()), (StatusCode::OK, Some("kitchen")), "{s}");
    let (_, s) = t.get(&f.client, &path).await;
    assert_eq!(s["station"].as_str(), Some("kitchen"), "{s}");
    let (st, r) = t.post(&f.client, &format!("{path}/test"), json!(null)).await;
    assert_eq!((st, r["printers"].as_u64()), (StatusCode::ACCEPTED, Some(1)), "{r}");
    assert!(print(&t).await);
    let text = dukan::printing::escpos::text_of(&kitchen.next().await);
    for want in ["KITCHEN", "Заказ ТЕСТ · Стол 1", "2 x Плов", "! без лука", "Тестовый заказ"] {
        assert!(text.contains(want), "{want:?} missing from\n{text}");
    }
    // Unbound: no ticket.
    let (st, s) = t.put(&f.client, &path, json!({"station": ""})).await;
    assert_eq!((st, s["station"].clone()), (StatusCode::OK, Value::Null), "{s}");
    t.assert_consistent();
}
