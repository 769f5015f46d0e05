//! The contacts import (issue 17) through the API and the import page: the client cell
//! found by INN, phone or name; the dry run lists every row's problems (unknown or ambiguous
//! client, bad phone or e-mail, a missing name, repeats as warnings) and writes nothing; the
//! confirmation writes every good row at once with phones in E.164; the read limits are the
//! other imports'; rights; another company's clients and imports stay out of reach.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::browser::{Plain, csrf_of};
use crate::common::{Client, TestApp};
use crate::crm::staff;

async fn upload(t: &TestApp, c: &Client, name: &str, bytes: &[u8]) -> (StatusCode, Value) {
    let url = t.url(&format!("/api/v1/imports?kind=contacts&file_name={name}"));
    let resp = t.http.post(url).bearer_auth(&c.token).body(bytes.to_vec()).send().await.expect("upload");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn new_client(t: &TestApp, c: &Client, body: Value) -> u64 {
    let (s, v) = t.post(c, "/api/v1/clients", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["client"]["id"].as_u64().expect("id")
}

/// (name, position, phones, e-mail) of a client's contacts, sorted by name.
async fn contacts(t: &TestApp, c: &Client, client: u64) -> Vec<(String, String, Vec<String>, Option<String>)> {
    let (s, v) = t.get(c, &format!("/api/v1/crm/clients/{client}/contacts")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let mut out: Vec<_> = v
        .as_array()
        .expect("contacts")
        .iter()
        .map(|k| {
            let phones =
                k["phones"].as_array().map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect()).unwrap_or_default();
            (
                k["name"].as_str().unwrap_or("").to_string(),
                k["position"].as_str().unwrap_or("").to_string(),
                phones,
                k["email"].as_str().map(str::to_string),
            )
        })
        .collect();
    out.sort();
    out
}

/// The problem codes of the preview's row at spreadsheet line `line`, sorted.
async fn codes(t: &TestApp, c: &Client, id: u64, line: u64) -> Vec<String> {
    let (s, rows) = t.get(c, &format!("/api/v1/imports/{id}/rows")).await;
    assert_eq!(s, StatusCode::OK, "{rows}");
    let mut out: Vec<String> = rows["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|r| r["line"].as_u64() == Some(line))
        .map(|r| r["errors"].as_array().expect("errors").iter().map(|e| e["code"].as_str().unwrap_or("").to_string()).collect())
        .unwrap_or_else(|| vec![format!("no row {line}")]);
    out.sort();
    out
}

#[tokio::test]
async fn contacts_import_finds_clients_by_inn_phone_or_name_and_writes_at_once() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@imp-contacts.kg").await;
    let bakai = new_client(&t, &o, json!({"name": "ОсОО Бакай", "inn": "01234567890123"})).await;
    let arzu = new_client(&t, &o, json!({"name": "Кафе Арзу", "phone": "0700 111 222"})).await;
    let tash = new_client(&t, &o, json!({"name": "Ташкент Трейд"})).await;
    // Two clients of one name: the name alone cannot tell them apart.
    new_client(&t, &o, json!({"name": "Азия"})).await;
    new_client(&t, &o, json!({"name": "АЗИЯ "})).await;
    let (s, k) = t.post(&o, &format!("/api/v1/crm/clients/{arzu}/contacts"), json!({"name": "Арзу", "phones": ["0555 000 111"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{k}");

    let file = "Клиент;ФИО;Должность;Телефон;E-mail\n\
                01234567890123;Бакыт Асанов;бухгалтер;0555 123 456;Bakyt@Bakai.kg\n\
                +996 700 111 222;Айпери;директор;;\n\
                ташкент  трейд;Дильшод;;+996 (555) 987-654;\n\
                Азия;Нурлан;;;\n\
                Нет такого;Эрлан;;;\n\
                Кафе Арзу;;;12;not-mail\n\
                Кафе Арзу;Арзу-2;;0555 000 111;\n\
                01234567890123;Бакыт (второй);;0555 123 456;\n\
                ;Без клиента;;;\n";
    let before = (contacts(&t, &o, bakai).await, contacts(&t, &o, arzu).await, contacts(&t, &o, tash).await);
    let (s, i) = upload(&t, &o, "contacts.csv", file.as_bytes()).await;
    assert_eq!(
        (s, i["kind"].as_str(), i["new"].as_u64(), i["errors"].as_u64()),
        (StatusCode::CREATED, Some("contacts"), Some(5), Some(4)),
        "{i}"
    );
    let id = i["id"].as_u64().expect("id");
    assert_eq!(codes(&t, &o, id, 2).await, Vec::<String>::new(), "by INN");
    assert_eq!(codes(&t, &o, id, 3).await, Vec::<String>::new(), "by the client's phone, written differently");
    assert_eq!(codes(&t, &o, id, 4).await, Vec::<String>::new(), "by name, case and spaces folded");
    assert_eq!(codes(&t, &o, id, 5).await, ["ambiguous_client"]);
    assert_eq!(codes(&t, &o, id, 6).await, ["unknown_client"]);
    assert_eq!(codes(&t, &o, id, 7).await, ["email", "phone", "required"], "every problem of the row at once");
    assert_eq!(codes(&t, &o, id, 8).await, ["likely_duplicate"], "a phone the client's contact already has");
    assert_eq!(codes(&t, &o, id, 9).await, ["likely_duplicate"], "a phone an earlier row gave the same client");
    assert_eq!(codes(&t, &o, id, 10).await, ["required"], "no client");
    assert_eq!(
        (contacts(&t, &o, bakai).await, contacts(&t, &o, arzu).await, contacts(&t, &o, tash).await),
        before,
        "the preview is a dry run"
    );

    // With problems the confirmation is refused; skipping them writes the rest at once.
    let (s, e) = t.post(&o, &format!("/api/v1/imports/{id}/confirm"), json!({})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("import_has_errors")), "{e}");
    let (s, v) = t.post(&o, &format!("/api/v1/imports/{id}/confirm"), json!({"skip_invalid": true})).await;
    assert_eq!(
        (s, v["state"].as_str(), v["created_count"].as_u64(), v["failed_count"].as_u64()),
        (StatusCode::ACCEPTED, Some("done"), Some(5), Some(4)),
        "{v}"
    );
    let phone = |p: &str| vec![p.to_string()];
    assert_eq!(
        contacts(&t, &o, bakai).await,
        vec![
            ("Бакыт (второй)".to_string(), String::new(), phone("+996555123456"), None),
            ("Бакыт Асанов".to_string(), "бухгалтер".to_string(), phone("+996555123456"), Some("bakyt@bakai.kg".to_string())),
        ]
    );
    let arzu_names: Vec<String> = contacts(&t, &o, arzu).await.into_iter().map(|k| k.0).collect();
    assert_eq!(arzu_names, ["Айпери", "Арзу", "Арзу-2"]);
    assert_eq!(contacts(&t, &o, tash).await, vec![("Дильшод".to_string(), String::new(), phone("+996555987654"), None)]);
    let (s, e) = t.post(&o, &format!("/api/v1/imports/{id}/confirm"), json!({"skip_invalid": true})).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::CONFLICT, Some("import_not_preview")), "{e}");
    t.assert_consistent();
}

#[tokio::test]
async fn contacts_import_keeps_the_limits_rights_and_company_walls() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@imp-contacts2.kg").await;
    let client = new_client(&t, &o, json!({"name": "Ала-Тоо"})).await;

    // A file without the client or name column is refused whole; so is one past a read limit.
    let (s, e) = upload(&t, &o, "c.csv", "ФИО;Телефон\nАйбек;0555 111 222\n".as_bytes()).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("no_columns")), "{e}");
    let mut wide = "Клиент;ФИО".as_bytes().to_vec();
    wide.extend(std::iter::repeat_n(b";x".as_slice(), 1_000_000).flatten());
    let (s, e) = upload(&t, &o, "wide.csv", &wide).await;
    assert_eq!((s, e["errors"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("import_too_large")), "{e}");
    let (s, e) = upload(&t, &o, "empty.csv", b"").await;
    assert!(s.is_client_error(), "{s} {e}");

    // Rights: a salesperson without the clients right may not import, nor see the import.
    let file = "Клиент;Контакт\nАла-Тоо;Айбек\n";
    let (s, i) = upload(&t, &o, "c.csv", file.as_bytes()).await;
    assert_eq!(s, StatusCode::CREATED, "{i}");
    let id = i["id"].as_u64().expect("id");
    let (seller, _) = staff(&t, &o, "seller@imp-contacts2.kg", json!(["crm_deals"])).await;
    let (s, _) = upload(&t, &seller, "c.csv", file.as_bytes()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = t.get(&seller, &format!("/api/v1/imports/{id}")).await;
    assert!(s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN, "{s}");
    let (s, _) = t.post(&seller, &format!("/api/v1/imports/{id}/confirm"), json!({})).await;
    assert!(s == StatusCode::NOT_FOUND || s == StatusCode::FORBIDDEN, "{s}");

    // Another company: its client names do not resolve here, its imports are not found.
    let o2 = crate::crm::owner(&t, "owner@imp-contacts3.kg").await;
    let (s, i2) = upload(&t, &o2, "c.csv", file.as_bytes()).await;
    assert_eq!((s, i2["errors"].as_u64()), (StatusCode::CREATED, Some(1)), "Ала-Тоо is another company's client: {i2}");
    let id2 = i2["id"].as_u64().expect("id");
    assert_eq!(codes(&t, &o2, id2, 2).await, ["unknown_client"]);
    let (s, _) = t.get(&o2, &format!("/api/v1/imports/{id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = t.post(&o2, &format!("/api/v1/imports/{id}/confirm"), json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The import page: the contacts tab and its hint; confirming from the page writes the file.
    let p = Plain::new(&t);
    let r = p
        .submit("/login", &[("email", "owner@imp-contacts2.kg"), ("password", "password-123"), ("next", "/products/import?kind=contacts")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let page = p.get("/products/import?kind=contacts").await.text().await.expect("body");
    assert!(page.contains("Импорт контактов клиентов") && page.contains("kind=contacts"), "the contacts import page");
    let view = p.get(&format!("/products/import/{id}")).await.text().await.expect("body");
    let csrf = csrf_of(&view);
    let r = p.post(&format!("/products/import/{id}/confirm"), &[("_csrf", csrf.as_str())]).await;
    assert!(r.status().is_redirection() || r.status().is_success(), "{}", r.status());
    let names: Vec<String> = contacts(&t, &o, client).await.into_iter().map(|k| k.0).collect();
    assert_eq!(names, ["Айбек"]);
    t.assert_consistent();
}
