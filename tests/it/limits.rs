//! Uploaded data cannot exhaust the box: oversized, sparse and bomb spreadsheets are refused
//! on `POST /api/v1/imports` with `import_too_large`, over-budget images on the product image
//! and logo routes with `image_too_large`, a busy box answers `503 busy` with `Retry-After`,
//! and a property test sends random oversized and sparse files to every upload route.

use std::io::Write;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

async fn send(t: &TestApp, c: &Client, method: reqwest::Method, path: &str, body: Vec<u8>) -> (StatusCode, Option<String>, Value) {
    let resp = t.http.request(method, t.url(path)).bearer_auth(&c.token).body(body).send().await.expect("send");
    let status = resp.status();
    let retry = resp.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()).map(str::to_string);
    let text = resp.text().await.expect("body");
    (status, retry, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The problem's field code, else its code.
fn code(problem: &Value) -> String {
    problem["errors"][0]["code"].as_str().or(problem["code"].as_str()).unwrap_or_default().to_string()
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in entries {
        out.start_file(*name, options).expect("entry");
        out.write_all(bytes).expect("write");
    }
    out.finish().expect("zip").into_inner()
}

/// An XLSX whose only cells are the given (row, column, text) ones.
fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, col, text) in cells {
        sheet.write(*row, *col, *text).expect("cell");
    }
    book.save_to_buffer().expect("xlsx")
}

/// An ODS whose first table is one row, repeated `rows` times, of a text cell repeated `cols`
/// times.
fn ods(rows: u32, cols: u32) -> Vec<u8> {
    let content = format!(
        r#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table><table:table-row><table:table-cell office:value-type="string"><text:p>Название</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="{rows}"><table:table-cell table:number-columns-repeated="{cols}" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", content.as_bytes())])
}

/// An XLS (BIFF8 in a version-3 compound file) whose one sheet holds only the given (row,
/// column, text) cells as LABEL records: the globals (BOF, BOUNDSHEET, EOF), the sheet (BOF,
/// cells, EOF), padded to 4096 bytes so the stream sits in regular sectors.
fn xls(cells: &[(u16, u16, &str)]) -> Vec<u8> {
    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        [kind.to_le_bytes().as_slice(), &(data.len() as u16).to_le_bytes(), data].concat()
    }
    let bof = |kind: u16| record(0x0809, &[0x0600u16.to_le_bytes().as_slice(), &kind.to_le_bytes(), &[0; 12]].concat());
    let sheet_at = (bof(5).len() + 4 + 10 + 4) as u32;
    let mut stream =
        [bof(5), record(0x0085, &[sheet_at.to_le_bytes().as_slice(), &[0, 0, 2, 0], b"S1"].concat()), record(0x000A, &[]), bof(0x10)]
            .concat();
    for (row, col, text) in cells {
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let head = [row.to_le_bytes().as_slice(), &col.to_le_bytes(), &[0, 0], &(utf16.len() as u16 / 2).to_le_bytes(), &[1]].concat();
        stream.extend(record(0x0204, &[head, utf16].concat()));
    }
    stream.extend(record(0x000A, &[]));
    stream.resize(stream.len().max(4096).next_multiple_of(512), 0);
    let sectors = stream.len() / 512;
    assert!(sectors + 2 <= 128, "one FAT sector");
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    for (at, value) in [(24, 0x3Eu16), (26, 3), (28, 0xFFFE), (30, 9), (32, 6)] {
        header[at..at + 2].copy_from_slice(&value.to_le_bytes());
    }
    for (at, value) in [(44, 1u32), (48, 1), (56, 4096), (60, 0xFFFF_FFFE), (68, 0xFFFF_FFFE), (76, 0)] {
        header[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }
    for i in 1..109 {
        header[76 + 4 * i..80 + 4 * i].copy_from_slice(&u32::MAX.to_le_bytes());
    }
    // Sector 0 is the FAT, sector 1 the directory, then the stream's chain.
    let mut fat = vec![u32::MAX; 128];
    fat[0] = 0xFFFF_FFFD;
    fat[1] = 0xFFFF_FFFE;
    for i in 0..sectors {
        fat[2 + i] = if i + 1 == sectors { 0xFFFF_FFFE } else { (3 + i) as u32 };
    }
    let entry = |name: &str, kind: u8, child: u32, start: u32, len: u32| {
        let mut e = vec![0u8; 128];
        let utf16: Vec<u8> = name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
        e[..utf16.len()].copy_from_slice(&utf16);
        e[64..66].copy_from_slice(&(utf16.len() as u16).to_le_bytes());
        (e[66], e[67]) = (kind, 1);
        for (at, value) in [(68, u32::MAX), (72, u32::MAX), (76, child), (116, start), (120, len)] {
            e[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
        e
    };
    let mut directory = [entry("Root Entry", 5, 1, 0xFFFF_FFFE, 0), entry("Workbook", 2, u32::MAX, 2, stream.len() as u32)].concat();
    directory.resize(512, 0);
    [header, fat.iter().flat_map(|v| v.to_le_bytes()).collect(), directory, stream].concat()
}

/// A PNG whose header claims `width` × `height` RGB pixels over no real data.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = !0u32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        !crc
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let ihdr = [width.to_be_bytes().as_slice(), height.to_be_bytes().as_slice(), &[8, 2, 0, 0, 0]].concat();
    for (kind, data) in [(b"IHDR", ihdr.as_slice()), (b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]), (b"IEND", &[])] {
        out.extend((data.len() as u32).to_be_bytes());
        let body = [kind.as_slice(), data].concat();
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    out
}

async fn setup(t: &TestApp) -> (Client, u64) {
    t.company("Ала-Тоо", "owner@alatoo.kg", "password-123").await;
    let c = t.login("owner@alatoo.kg", "password-123").await;
    let (s, p) = t.post(&c, "/api/v1/products", json!({"name": "Чайник", "price": "10"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (c, p["id"].as_u64().expect("id"))
}

#[tokio::test]
async fn oversized_and_sparse_spreadsheets_are_refused_and_the_server_stays_up() {
    // A small inflate bound so the zip bomb stays cheap to build.
    let t = TestApp::spawn_with(|c| c.import_unpacked_mb = 4).await;
    let (c, _) = setup(&t).await;
    let mut wide = b"\xd0\x9d\xd0\xb0\xd0\xb7\xd0\xb2\xd0\xb0\xd0\xbd\xd0\xb8\xd0\xb5".to_vec();
    wide.extend(std::iter::repeat_n(b";x".as_slice(), 1_000_000).flatten());
    let mut blanks = b"<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>".to_vec();
    blanks.extend(std::iter::repeat_n(b' ', 8 << 20));
    let bomb = zip_of(&[("xl/workbook.xml", b"<workbook/>"), ("xl/worksheets/sheet1.xml", &blanks)]);
    assert!(bomb.len() < 100 << 10);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        // The issue's file: only A1 and XFD1048576.
        ("sparse.xlsx", xlsx(&[(0, 0, "Название"), (1_048_575, 16_383, "x")]), "строк"),
        ("wide.xlsx", xlsx(&[(0, 0, "Название"), (0, 16_383, "x")]), "колонок"),
        ("wide.csv", wide, "колонок"),
        ("bomb.xlsx", bomb, "распакованном"),
        ("rows.ods", ods(1_048_575, 1), "строк"),
        ("cols.ods", ods(1, 16_384), "колонок"),
        // Old Excel: calamine would allocate the 65,536 × 256 range of these two cells.
        ("sparse.xls", xls(&[(0, 0, "Название"), (65_535, 255, "x")]), "ячеек"),
    ];
    for (name, bytes, limit) in cases {
        let started = std::time::Instant::now();
        let (s, _, p) = send(&t, &c, reqwest::Method::POST, &format!("/api/v1/imports?file_name={name}"), bytes).await;
        assert_eq!((s, code(&p).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "import_too_large"), "{name}: {p}");
        assert!(p["errors"][0]["message"].as_str().unwrap_or_default().contains(limit), "{name} names its limit: {p}");
        assert!(started.elapsed() < std::time::Duration::from_secs(20), "{name} took {:?}", started.elapsed());
    }
    let (s, imports) = t.get(&c, "/api/v1/imports").await;
    assert_eq!((s, imports.as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "nothing stored: {imports}");
    // Within the bounds the same shapes import.
    let (s, _, p) = send(&t, &c, reqwest::Method::POST, "/api/v1/imports?file_name=ok.ods", ods(3, 1)).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!((p["format"].as_str(), p["rows"].as_u64()), (Some("ODS"), Some(3)), "{p}");
    let (s, _, p) =
        send(&t, &c, reqwest::Method::POST, "/api/v1/imports?file_name=ok.xls", xls(&[(0, 0, "Название"), (1, 0, "Чай"), (2, 0, "Сахар")]))
            .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    assert_eq!((p["format"].as_str(), p["rows"].as_u64()), (Some("XLS"), Some(2)), "{p}");
    t.assert_consistent();
}

#[tokio::test]
async fn over_budget_images_are_refused_on_every_image_route() {
    let t = TestApp::spawn().await;
    let (c, product) = setup(&t).await;
    let image_path = format!("/api/v1/products/{product}/images");
    for (w, h) in [(12_000, 12_000), (9_000, 9_000), (40_000, 10)] {
        let (s, _, p) = send(&t, &c, reqwest::Method::POST, &image_path, png_header(w, h)).await;
        assert_eq!((s, code(&p).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "image_too_large"), "{w}×{h}: {p}");
        let (s, _, p) = send(&t, &c, reqwest::Method::PUT, "/api/v1/company/logo", png_header(w, h)).await;
        assert_eq!((s, code(&p).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "image_too_large"), "logo {w}×{h}: {p}");
    }
    // Within the budget but without its data: refused as not an image, nothing stored.
    let (s, _, p) = send(&t, &c, reqwest::Method::POST, &image_path, png_header(6_000, 6_000)).await;
    assert_eq!((s, code(&p).as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "image_invalid"), "{p}");
    let (s, list) = t.get(&c, &image_path).await;
    assert_eq!((s, list.as_array().map(Vec::len)), (StatusCode::OK, Some(0)));
    let (s, _, _) = send(&t, &c, reqwest::Method::GET, "/api/v1/company/logo", Vec::new()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _, p) = send(&t, &c, reqwest::Method::POST, &image_path, crate::images::png(300, 200)).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    t.assert_consistent();
}

#[tokio::test]
async fn parses_beyond_the_slots_wait_then_get_busy() {
    let t = TestApp::spawn_with(|c| c.heavy_wait_ms = 1_000).await;
    let (c, product) = setup(&t).await;
    let csv = "Название;Цена\nХлеб;45\n".as_bytes().to_vec();
    let sheets = t.app.sheet_slots.clone().acquire_many_owned(2).await.expect("sheet slots");
    let images = t.app.image_slots.clone().acquire_many_owned(2).await.expect("image slots");
    let (s, retry, p) = send(&t, &c, reqwest::Method::POST, "/api/v1/imports", csv.clone()).await;
    assert_eq!((s, code(&p).as_str(), retry.as_deref()), (StatusCode::SERVICE_UNAVAILABLE, "busy", Some("5")), "{p}");
    let image_path = format!("/api/v1/products/{product}/images");
    let (s, retry, p) = send(&t, &c, reqwest::Method::POST, &image_path, crate::images::png(50, 50)).await;
    assert_eq!((s, code(&p).as_str(), retry.as_deref()), (StatusCode::SERVICE_UNAVAILABLE, "busy", Some("5")), "{p}");
    let (s, _, p) = send(&t, &c, reqwest::Method::PUT, "/api/v1/company/logo", crate::images::png(50, 50)).await;
    assert_eq!((s, code(&p).as_str()), (StatusCode::SERVICE_UNAVAILABLE, "busy"), "{p}");
    // A request that waits gets its slot as soon as one frees.
    let pending = {
        let (http, url, token, body) = (t.http.clone(), t.url("/api/v1/imports"), c.token.clone(), csv.clone());
        tokio::spawn(async move { http.post(url).bearer_auth(token).body(body).send().await.expect("send").status() })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    drop(sheets);
    assert_eq!(pending.await.expect("task"), StatusCode::CREATED);
    drop(images);
    let (s, _, p) = send(&t, &c, reqwest::Method::POST, "/api/v1/imports", csv).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (s, _, p) = send(&t, &c, reqwest::Method::POST, &image_path, crate::images::png(50, 50)).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
}

/// Random spreadsheets and images, oversized, sparse, repeated or lying about their size,
/// sent to every upload route: each answer is a 2xx or a 4xx with a known code, never a 5xx,
/// and the server keeps answering. `DUKAN_FUZZ_CASES` scales the case count (default 600 → 40).
#[tokio::test]
async fn fuzzing_uploads_with_oversized_and_sparse_files_never_yields_a_server_error() {
    let t = TestApp::spawn_with(|c| c.import_unpacked_mb = 4).await;
    let (c, product) = setup(&t).await;
    let cases = std::env::var("DUKAN_FUZZ_CASES").ok().and_then(|v| v.parse::<usize>().ok()).unwrap_or(600) / 15;
    let header = prop_oneof![Just("Название".to_string()), Just("Штрихкод".to_string()), "[a-zа-я]{0,6}"];
    let sheet_cell = (0u32..1_048_576, 0u16..16_384, "[0-9a-zа-я;\"]{1,8}");
    let files = prop_oneof![
        // XLSX with a header and a few cells anywhere in the sheet.
        (header.clone(), prop::collection::vec(sheet_cell, 0..4)).prop_map(|(h, cells)| {
            let mut all: Vec<(u32, u16, &str)> = vec![(0, 0, h.as_str())];
            all.extend(cells.iter().map(|(r, c, v)| (*r, *c, v.as_str())));
            ("xlsx", xlsx(&all))
        }),
        // XLS with a header and a few cells anywhere in the sheet.
        (header.clone(), prop::collection::vec((0u16..=65_535, 0u16..=255, "[0-9a-zа-я]{1,8}"), 0..4)).prop_map(|(h, cells)| {
            let mut all: Vec<(u16, u16, &str)> = vec![(0, 0, h.as_str())];
            all.extend(cells.iter().map(|(r, c, v)| (*r, *c, v.as_str())));
            ("xls", xls(&all))
        }),
        // ODS with repeated rows and cells.
        (0u32..2_000_000, 0u32..20_000).prop_map(|(rows, cols)| ("ods", ods(rows, cols.max(1)))),
        // CSV: a header, then lines of many fields and blank runs.
        (header, 0usize..300_000, 0usize..3, 0usize..5_000).prop_map(|(h, fields, lines, blanks)| {
            let line = format!("{}x\n", ";".repeat(blanks));
            let mut body = format!("{h}{}\n", ";v".repeat(fields));
            body.push_str(&line.repeat(lines));
            ("csv", body.into_bytes())
        }),
        // Bytes of one sheet inflated from runs of blanks.
        (0usize..(12 << 20))
            .prop_map(|n| ("xlsx", zip_of(&[("xl/workbook.xml", b"<workbook/>"), ("xl/worksheets/sheet1.xml", &vec![b' '; n])]))),
        // Images whose header claims any size, and real small ones.
        (1u32..60_000, 1u32..60_000).prop_map(|(w, h)| ("png", png_header(w, h))),
        (1u32..400, 1u32..400).prop_map(|(w, h)| ("png", crate::images::png(w, h))),
    ];
    let known =
        ["import_too_large", "unreadable", "empty", "no_columns", "image_too_large", "image_invalid", "images_too_many", "validation"];
    let mut runner = TestRunner::deterministic();
    let image_path = format!("/api/v1/products/{product}/images");
    for _ in 0..cases.max(10) {
        let (kind, bytes) = files.new_tree(&mut runner).expect("file").current();
        for (method, path) in [
            (reqwest::Method::POST, format!("/api/v1/imports?file_name=f.{kind}")),
            (reqwest::Method::POST, image_path.clone()),
            (reqwest::Method::PUT, "/api/v1/company/logo".to_string()),
        ] {
            let (s, _, p) = send(&t, &c, method.clone(), &path, bytes.clone()).await;
            assert!(s.is_success() || s.is_client_error(), "{method} {path} ({kind}, {} bytes) -> {s}: {p}", bytes.len());
            if s.is_client_error() {
                assert!(known.contains(&code(&p).as_str()), "{method} {path} ({kind}) -> unknown code: {p}");
            }
        }
        if let (StatusCode::OK, list) = t.get(&c, &image_path).await
            && list.as_array().is_some_and(|l| l.len() >= 9)
        {
            for img in list.as_array().into_iter().flatten() {
                let id = img["id"].as_u64().unwrap_or_default();
                send(&t, &c, reqwest::Method::DELETE, &format!("{image_path}/{id}"), Vec::new()).await;
            }
        }
    }
    let (s, _) = t.call(reqwest::Method::GET, "/healthz", None, None).await;
    assert_eq!(s, StatusCode::OK);
    t.assert_consistent();
}
