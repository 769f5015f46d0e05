//! Product import and export over the API: CSV in Windows-1251 with `;` and UTF-8 with `,`,
//! XLSX built here with rust_xlsxwriter, every row's problems listed at once (bad check
//! digits, duplicates inside the file and against the catalog), nothing written before
//! confirmation, the import worker's chunks surviving a restart, export → import round trips
//! (CSV and XLSX), and files refused whole.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

/// A valid EAN-13 from its first twelve digits.
fn ean13(first12: &str) -> String {
    dukan::catalog::barcode::ean13_with_check(first12)
}

async fn upload(t: &TestApp, c: &Client, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let resp =
        t.http.post(t.url(&format!("/api/v1/imports?file_name={name}"))).bearer_auth(&c.token).body(bytes).send().await.expect("upload");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Runs the import worker's step until it has nothing left to do.
async fn drain(t: &TestApp) {
    for _ in 0..1000 {
        if !dukan::workers::import_once(t.app.clone()).await.expect("import step") {
            return;
        }
    }
    panic!("the import worker never became idle");
}

async fn products(t: &TestApp, c: &Client) -> Vec<Value> {
    let (s, page) = t.get(c, "/api/v1/products?limit=1000").await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"].as_array().expect("items").clone()
}

fn by_name<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("no product {name} in {list:?}"))
}

async fn error_rows(t: &TestApp, c: &Client, import: u64) -> Vec<(u64, Vec<(String, String)>)> {
    let (s, rows) = t.get(c, &format!("/api/v1/imports/{import}/rows?errors_only=true")).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    rows["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            let errors = r["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .map(|e| (e["column"].as_str().unwrap_or("").to_string(), e["code"].as_str().unwrap_or("").to_string()))
                .collect();
            (r["line"].as_u64().expect("line"), errors)
        })
        .collect()
}

#[tokio::test]
async fn windows_1251_with_semicolons_lists_every_problem_and_applies_only_after_confirm() {
    let t = TestApp::spawn().await;
    t.company("Ромашка", "owner@romashka.kg", "password-123").await;
    let c = t.login("owner@romashka.kg", "password-123").await;
    let (milk, kefir) = (ean13("460000000001"), ean13("460000000002"));
    let (s, p) = t.post(&c, "/api/v1/products", json!({"name": "Молоко", "barcodes": [milk], "price": "80", "article": "M-1"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, k) = t.post(&c, "/api/v1/products", json!({"name": "Кефир", "barcodes": [kefir], "price": "60"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let sour_cream = ean13("460000000004");
    let (s, _) = t.post(&c, "/api/v1/products", json!({"name": "Сметана", "barcodes": [sour_cream], "price": "90"})).await;
    assert_eq!(s, StatusCode::CREATED);
    let kefir_code = k["code"].as_str().expect("code").to_string();
    let bread = ean13("460000000010");
    let good = ean13("460000000011");
    let bad_digit = format!("{}{}", &good[..12], (good.as_bytes()[12] - b'0' + 1) % 10);
    let text = format!(
        "Код;Название;Штрихкод;Ед.;Цена закупки;Наценка;Цена;Категория;Бренд;Цвет\n\
         ;Хлеб белый;{bread};шт;30;20;;Выпечка / Хлеб;Нон;белый\n\
         ;Молоко 3,2%;{milk};;;;95,50;;;\n\
         ;Батон;{bad_digit};ящик;;;abc;;;\n\
         ;Хлеб ржаной;{bread};шт;;;40;;;\n\
         {kefir_code};Ряженка;{sour_cream};шт;;;70;;;\n\
         ;;;;;;;;;\n\
         ;Сахар;;кг;;;120;Бакалея;;\n"
    );
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&text);
    let (s, import) = upload(&t, &c, "prices.csv", bytes.into_owned()).await;
    assert_eq!(s, StatusCode::CREATED, "{import}");
    assert_eq!(import["format"], "CSV, Windows-1251, «;»");
    assert_eq!(import["state"], "preview");
    assert_eq!(import["unknown_columns"], json!(["Цвет"]));
    assert_eq!((import["rows"].as_u64(), import["new"].as_u64(), import["updates"].as_u64()), (Some(6), Some(2), Some(1)), "{import}");
    assert_eq!(import["errors"], 3, "{import}");
    let id = import["id"].as_u64().expect("id");
    let errors = error_rows(&t, &c, id).await;
    let lines: Vec<u64> = errors.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, vec![4, 5, 6], "rows with problems by spreadsheet row number: {errors:?}");
    let codes_of = |line: u64| -> Vec<(String, String)> { errors.iter().find(|(l, _)| *l == line).expect("row").1.clone() };
    let row4 = codes_of(4);
    for expected in [("Штрихкод", "barcode"), ("Ед.", "unit"), ("Цена", "amount")] {
        assert!(row4.contains(&(expected.0.to_string(), expected.1.to_string())), "every problem of row 4 at once: {row4:?}");
    }
    assert_eq!(codes_of(5), vec![("Штрихкод".to_string(), "duplicate_in_file".to_string())]);
    assert_eq!(codes_of(6), vec![("Штрихкод".to_string(), "barcode_taken".to_string())]);

    // Nothing is written before confirmation, and a file with problems is not applied whole.
    assert_eq!(products(&t, &c).await.len(), 3);
    let (_, cats) = t.get(&c, "/api/v1/categories").await;
    assert_eq!(cats, json!([]));
    drain(&t).await;
    assert_eq!(products(&t, &c).await.len(), 3);
    let (s, refused) = t.post(&c, &format!("/api/v1/imports/{id}/confirm"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["code"], "import_has_errors");

    let (s, confirmed) = t.post(&c, &format!("/api/v1/imports/{id}/confirm"), json!({"skip_invalid": true})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{confirmed}");
    let (s, again) = t.post(&c, &format!("/api/v1/imports/{id}/confirm"), json!({"skip_invalid": true})).await;
    assert_eq!((s, again["code"].as_str()), (StatusCode::CONFLICT, Some("import_not_preview")));
    drain(&t).await;
    let (_, done) = t.get(&c, &format!("/api/v1/imports/{id}")).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (done["created_count"].as_u64(), done["updated_count"].as_u64(), done["failed_count"].as_u64()),
        (Some(2), Some(1), Some(3))
    );
    assert_eq!(done["applied"], 6);

    let list = products(&t, &c).await;
    assert_eq!(list.len(), 5);
    assert_eq!(by_name(&list, "Кефир")["barcodes"], json!([kefir]), "a refused row changes nothing");
    let white = by_name(&list, "Хлеб белый");
    assert_eq!(white["price"], "36.00", "price from purchase price and markup, half-up");
    assert_eq!(white["barcodes"], json!([bread]));
    let milk_now = by_name(&list, "Молоко 3,2%");
    assert_eq!(milk_now["id"], p["id"], "matched by barcode: the existing product was updated");
    assert_eq!(milk_now["price"], "95.50");
    assert_eq!(milk_now["article"], "M-1", "columns absent from the file keep their values");
    assert_eq!(by_name(&list, "Сахар")["unit"], "kg");
    let (_, cats) = t.get(&c, "/api/v1/categories").await;
    let mut names: Vec<&str> = cats.as_array().expect("cats").iter().filter_map(|x| x["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["Бакалея", "Выпечка", "Хлеб"], "missing categories created along the path");
    let bakery = cats.as_array().expect("cats").iter().find(|x| x["name"] == "Выпечка").expect("Выпечка")["id"].clone();
    let bread_cat = cats.as_array().expect("cats").iter().find(|x| x["name"] == "Хлеб").expect("Хлеб").clone();
    assert_eq!(bread_cat["parent"], bakery);
    assert_eq!(white["category"], bread_cat["id"]);
    let (_, brands) = t.get(&c, "/api/v1/brands").await;
    assert_eq!(brands[0]["name"], "Нон");
    t.assert_consistent();
}

#[tokio::test]
async fn utf8_commas_and_xlsx_import_and_a_bad_row_blocks_confirm() {
    let t = TestApp::spawn().await;
    t.company("Береке", "owner@bereke.kg", "password-123").await;
    let c = t.login("owner@bereke.kg", "password-123").await;
    let csv = format!(
        "\u{feff}name,barcode,unit,price,weighed,PLU\n\"Tea, green\",{},pcs,150.5,no,\nApples,,kg,\"89,90\",yes,7\n",
        ean13("460000000050")
    );
    let (s, import) = upload(&t, &c, "utf8.csv", csv.into_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{import}");
    assert_eq!(import["format"], "CSV, UTF-8, «,»");
    assert_eq!((import["new"].as_u64(), import["errors"].as_u64()), (Some(2), Some(0)), "{import}");
    let (s, _) = t.post(&c, &format!("/api/v1/imports/{}/confirm", import["id"]), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    drain(&t).await;
    let list = products(&t, &c).await;
    assert_eq!(by_name(&list, "Tea, green")["price"], "150.50");
    let apples = by_name(&list, "Apples");
    assert_eq!((apples["weighed"].as_bool(), apples["plu"].as_u64(), apples["price"].as_str()), (Some(true), Some(7), Some("89.90")));

    // An XLSX with numbers as numbers: prices, a 13-digit barcode, a PLU; and one row whose
    // PLU repeats another's inside the file.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in ["Наименование", "Штрихкод", "Цена", "PLU", "Весовой"].iter().enumerate() {
        sheet.write_string(0, col as u16, *h).expect("header");
    }
    let barcode: f64 = ean13("460000000099").parse().expect("number");
    sheet.write_string(1, 0, "Сыр").expect("cell");
    sheet.write_number(1, 1, barcode).expect("cell");
    sheet.write_number(1, 2, 512.3).expect("cell");
    sheet.write_number(1, 3, 12.0).expect("cell");
    sheet.write_string(1, 4, "да").expect("cell");
    sheet.write_string(2, 0, "Творог").expect("cell");
    sheet.write_number(2, 2, 99.0).expect("cell");
    sheet.write_number(2, 3, 12.0).expect("cell");
    let bytes = book.save_to_buffer().expect("xlsx");
    let (s, import) = upload(&t, &c, "book.xlsx", bytes).await;
    assert_eq!(s, StatusCode::CREATED, "{import}");
    assert_eq!((import["format"].as_str(), import["errors"].as_u64()), (Some("XLSX"), Some(1)), "{import}");
    let id = import["id"].as_u64().expect("id");
    assert_eq!(error_rows(&t, &c, id).await, vec![(3, vec![("PLU".to_string(), "duplicate_in_file".to_string())])]);
    let (s, _) = t.post(&c, &format!("/api/v1/imports/{id}/confirm"), json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Fixed file: discard the old preview, upload again, apply.
    let (s, _) = t.call(reqwest::Method::DELETE, &format!("/api/v1/imports/{id}"), Some(&c.token), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = t.get(&c, &format!("/api/v1/imports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Наименование").expect("cell");
    sheet.write_string(0, 1, "Штрихкод").expect("cell");
    sheet.write_string(0, 2, "Цена").expect("cell");
    sheet.write_string(1, 0, "Сыр").expect("cell");
    sheet.write_number(1, 1, barcode).expect("cell");
    sheet.write_number(1, 2, 512.3).expect("cell");
    let (s, import) = upload(&t, &c, "book.xlsx", book.save_to_buffer().expect("xlsx")).await;
    assert_eq!((s, import["errors"].as_u64()), (StatusCode::CREATED, Some(0)), "{import}");
    let (s, _) = t.post(&c, &format!("/api/v1/imports/{}/confirm", import["id"]), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    drain(&t).await;
    let cheese = by_name(&products(&t, &c).await, "Сыр").clone();
    assert_eq!((cheese["price"].as_str(), cheese["barcodes"][0].as_str()), (Some("512.30"), Some(ean13("460000000099").as_str())));
    t.assert_consistent();
}

#[tokio::test]
async fn export_to_csv_and_xlsx_imports_back_unchanged_and_into_another_company() {
    let t = TestApp::spawn().await;
    t.company("Ала-Тоо", "owner@alatoo.kg", "password-123").await;
    let c = t.login("owner@alatoo.kg", "password-123").await;
    let (_, cat) = t.post(&c, "/api/v1/categories", json!({"name": "Напитки"})).await;
    let (_, sub) = t.post(&c, "/api/v1/categories", json!({"name": "Соки", "parent": cat["id"]})).await;
    let (_, brand) = t.post(&c, "/api/v1/brands", json!({"name": "Шоро"})).await;
    let inputs = [
        json!({"name": "Сок яблочный; 1 л", "barcodes": [ean13("000000000001"), ean13("460000000003")], "category": sub["id"], "brand": brand["id"],
               "purchase_price": "85", "markup": "20", "article": "S-1", "country": "KG", "expiry": "2027-01-31", "reorder_level": "5"}),
        json!({"name": "Чай \"Зелёный\"", "unit": "pack", "price": "99.90", "discount": "5"}),
        json!({"name": "Помидоры", "unit": "kg", "weighed": true, "price": "120"}),
        json!({"kind": "service", "name": "Доставка", "price": "200"}),
    ];
    for i in &inputs {
        let (s, p) = t.post(&c, "/api/v1/products", i.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
    }
    let before = products(&t, &c).await;
    for format in ["csv", "xlsx"] {
        let resp =
            t.http.get(t.url(&format!("/api/v1/products/export?format={format}"))).bearer_auth(&c.token).send().await.expect("export");
        assert_eq!(resp.status(), StatusCode::OK);
        let bytes = resp.bytes().await.expect("bytes").to_vec();
        if format == "csv" {
            assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
            let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
            assert!(text.starts_with("Код;Название;"), "{text}");
            assert!(text.contains(&ean13("000000000001")), "barcodes with leading zeros kept: {text}");
        } else {
            assert!(bytes.starts_with(b"PK"));
        }
        let (s, import) = upload(&t, &c, &format!("export.{format}"), bytes.clone()).await;
        assert_eq!(s, StatusCode::CREATED, "{import}");
        assert_eq!(
            (import["rows"].as_u64(), import["updates"].as_u64(), import["new"].as_u64(), import["errors"].as_u64()),
            (Some(4), Some(4), Some(0), Some(0)),
            "{format}: {import}"
        );
        assert!(import["unknown_columns"].as_array().expect("unknown").is_empty());
        let (s, _) = t.post(&c, &format!("/api/v1/imports/{}/confirm", import["id"]), json!({})).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        drain(&t).await;
        assert_eq!(products(&t, &c).await, before, "{format}: re-importing an export changes nothing");

        // Into an empty company: the same catalogue, created (categories and brands too).
        let other = format!("other-{format}@alatoo.kg");
        t.company(&format!("Копия {format}"), &other, "password-123").await;
        let o = t.login(&other, "password-123").await;
        let (s, import) = upload(&t, &o, &format!("export.{format}"), bytes).await;
        assert_eq!((s, import["new"].as_u64(), import["errors"].as_u64()), (StatusCode::CREATED, Some(4), Some(0)), "{import}");
        let (s, _) = t.post(&o, &format!("/api/v1/imports/{}/confirm", import["id"]), json!({})).await;
        assert_eq!(s, StatusCode::ACCEPTED);
        drain(&t).await;
        let copied = products(&t, &o).await;
        let juice = by_name(&copied, "Сок яблочный; 1 л");
        assert_eq!(
            (juice["price"].as_str(), juice["expiry"].as_str(), juice["reorder_level"].as_str()),
            (Some("102.00"), Some("2027-01-31"), Some("5"))
        );
        assert_eq!(juice["barcodes"], by_name(&before, "Сок яблочный; 1 л")["barcodes"]);
        assert_eq!(by_name(&copied, "Доставка")["kind"], "service");
        assert_eq!(by_name(&copied, "Помидоры")["weighed"], true);
        let (_, cats) = t.get(&o, "/api/v1/categories").await;
        assert_eq!(cats.as_array().expect("cats").len(), 2, "{cats}");
    }
    // Filters of the list apply to the export.
    let resp = t.http.get(t.url("/api/v1/products/export?kind=service")).bearer_auth(&c.token).send().await.expect("export");
    let text = resp.text().await.expect("text");
    assert_eq!(text.lines().count(), 2, "{text}");
    t.assert_consistent();
}

#[tokio::test]
async fn files_that_cannot_be_imported_are_refused_whole() {
    let t = TestApp::spawn().await;
    t.company("Ромашка", "owner@romashka.kg", "password-123").await;
    let c = t.login("owner@romashka.kg", "password-123").await;
    for (bytes, code) in [
        (Vec::new(), "validation"),
        (b"PK\x03\x04not really a zip".to_vec(), "validation"),
        (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1broken xls".to_vec(), "validation"),
        ("Цвет;Размер\nкрасный;XL\n".as_bytes().to_vec(), "validation"),
        (b"\x00\x01\x02binary".to_vec(), "validation"),
    ] {
        let (s, body) = upload(&t, &c, "bad", bytes).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["code"], code);
        assert_eq!(body["errors"][0]["field"], "file", "{body}");
    }
    let huge = vec![b'a'; 21 * 1024 * 1024];
    let (s, _) = upload(&t, &c, "huge.csv", huge).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, body) = t.get(&c, "/api/v1/products/export?format=pdf").await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation")));
    let (s, _) = t.get(&c, "/api/v1/imports/999999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = t.get(&c, "/api/v1/imports").await;
    assert_eq!(list, json!([]), "refused files leave nothing behind");
    t.assert_consistent();
}

#[tokio::test]
async fn a_confirmed_import_resumes_after_a_restart() {
    let t = TestApp::spawn().await;
    t.company("Ромашка", "owner@romashka.kg", "password-123").await;
    let c = t.login("owner@romashka.kg", "password-123").await;
    let mut text = String::from("Название;Цена;Артикул\n");
    for i in 0..1200 {
        text.push_str(&format!("Товар {i};{}.50;A-{i}\n", 10 + i));
    }
    let (s, import) = upload(&t, &c, "big.csv", text.into_bytes()).await;
    assert_eq!((s, import["new"].as_u64()), (StatusCode::CREATED, Some(1200)), "{import}");
    let id = import["id"].as_u64().expect("id");
    let (s, _) = t.post(&c, &format!("/api/v1/imports/{id}/confirm"), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert!(dukan::workers::import_once(t.app.clone()).await.expect("one chunk"));
    let (_, mid) = t.get(&c, &format!("/api/v1/imports/{id}")).await;
    assert_eq!((mid["state"].as_str(), mid["applied"].as_u64()), (Some("applying"), Some(500)), "{mid}");

    let dir = t.stop().await;
    let t = TestApp::spawn_in(dir).await;
    let c = t.login("owner@romashka.kg", "password-123").await;
    drain(&t).await;
    let (_, done) = t.get(&c, &format!("/api/v1/imports/{id}")).await;
    assert_eq!(
        (done["state"].as_str(), done["created_count"].as_u64(), done["failed_count"].as_u64()),
        (Some("done"), Some(1200), Some(0)),
        "{done}"
    );
    let (_, page) = t.get(&c, "/api/v1/products?limit=1000").await;
    assert_eq!(page["items"].as_array().expect("items").len(), 1000);
    assert!(page["next_after"].as_u64().is_some());
    t.assert_consistent();
}

#[tokio::test]
async fn prices_in_exponent_or_underscore_notation_are_row_errors() {
    let t = TestApp::spawn().await;
    t.company("Нотация", "owner@notation.kg", "password-123").await;
    let c = t.login("owner@notation.kg", "password-123").await;
    let csv = "name;price;purchase_price\nA;1e5;\nB;1_000;\nC;10;2E1\nD;12,5;\n";
    let (s, import) = upload(&t, &c, "notation.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(s, StatusCode::CREATED, "{import}");
    assert_eq!((import["new"].as_u64(), import["errors"].as_u64()), (Some(1), Some(3)), "{import}");
    let rows = error_rows(&t, &c, import["id"].as_u64().expect("id")).await;
    let lines: Vec<u64> = rows.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, [2, 3, 4], "{rows:?}");
    assert!(rows.iter().all(|(_, e)| e.iter().all(|(_, code)| code == "amount")), "{rows:?}");
}

#[tokio::test]
async fn a_till_only_role_exports_no_costs_and_formula_cells_come_out_quoted() {
    use dukan::transfer::columns::Column;
    let t = TestApp::spawn().await;
    t.company("Касса", "owner@till.kg", "password-123").await;
    let c = t.login("owner@till.kg", "password-123").await;
    for name in ["=1+1", "+996 акция", "-5% скидка", "@SUM(A1)", "Хлеб"] {
        let (s, p) = t.post(&c, "/api/v1/products", json!({"name": name, "purchase_price": "85.17", "markup": "20"})).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
    }
    let (_, b) = t.post(&c, "/api/v1/branches", json!({"name": "Магазин"})).await;
    let (st, role) = t.post(&c, "/api/v1/roles", json!({"name": "Только касса", "permissions": ["sale", "cashier", "dashboard"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{role}");
    let (st, u) = t
        .post(
            &c,
            "/api/v1/users",
            json!({"email": "cashier@till.kg", "name": "Айгуль", "role": "staff", "custom_role": role["id"], "branches": [b["id"]], "password": "password-456"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{u}");
    let cashier = t.login("cashier@till.kg", "password-456").await;
    let export = |who: &Client| {
        let req = t.http.get(t.url("/api/v1/products/export?format=csv")).bearer_auth(&who.token);
        async move {
            let resp = req.send().await.expect("export");
            assert_eq!(resp.status(), StatusCode::OK);
            resp.text().await.expect("text")
        }
    };
    let cost_headers = [Column::PurchasePrice, Column::Markup].map(|c| c.header(dukan::i18n::Lang::Ru));
    let owners = export(&c).await;
    assert!(cost_headers.iter().all(|h| owners.contains(h)) && owners.contains("85.17"), "{owners}");
    let tills = export(&cashier).await;
    assert!(cost_headers.iter().all(|h| !tills.contains(h)) && !tills.contains("85.17"), "no purchase price or markup: {tills}");
    assert!(tills.contains("102.20"), "the selling price is there: {tills}");
    let (_, list) = t.get(&cashier, "/api/v1/products").await;
    let first = &list["items"][0];
    assert_eq!(
        (first["purchase_price"].as_str(), first["markup"].as_str(), first["price"].as_str()),
        (Some(""), Some(""), Some("102.20")),
        "{first}"
    );
    let (_, one) = t.get(&cashier, &format!("/api/v1/products/{}", first["id"])).await;
    assert_eq!(one["purchase_price"], "", "{one}");
    for quoted in ["'=1+1", "'+996 акция", "'-5% скидка", "'@SUM(A1)"] {
        assert!(owners.contains(quoted), "{quoted}: {owners}");
        assert!(tills.contains(quoted), "{quoted}: {tills}");
    }
    // The quoted file imports back to the same names.
    let (s, import) = upload(&t, &c, "back.csv", owners.into_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{import}");
    assert_eq!((import["new"].as_u64(), import["errors"].as_u64()), (Some(0), Some(0)), "{import}");
    let (s, _) = t.post(&c, &format!("/api/v1/imports/{}/confirm", import["id"]), json!({})).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    drain(&t).await;
    let mut names: Vec<String> = products(&t, &c).await.iter().map(|p| p["name"].as_str().unwrap_or("").to_string()).collect();
    names.sort();
    assert_eq!(names, ["+996 акция", "-5% скидка", "=1+1", "@SUM(A1)", "Хлеб"], "no name gained a quote");
}
