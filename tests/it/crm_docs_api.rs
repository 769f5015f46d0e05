//! Documents from templates over JSON and from orders (issue 17): templates listed, read,
//! created, edited and deleted through `/api/v1/crm/templates` (a refused body is a 422 whose
//! message names the line), the built-in ones and the field list, the PDF preview; documents
//! made from a deal and from an order — the order's lines and client on the PDF, numbered with
//! the deal's documents, listed on the order (API and page), the client and the timeline —
//! downloaded as PDF; rights and bad input.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};
use crate::crm_public::signed_in;
use crate::documents::pdf_lines;

struct Shop {
    client: u64,
    deal: u64,
    order: u64,
}

/// A company with a client, two stocked products, a deal and an order of both (3 000 + 9 500).
async fn shop(t: &TestApp, o: &Client) -> Shop {
    let (s, v) = t.put(o, "/api/v1/company", json!({"name": "Мебель Плюс", "timezone": "Asia/Bishkek"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let client = crate::crm::client(t, o, "ОсОО «Ромашка»").await;
    let (_, w) = t.post(o, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let mut ids = Vec::new();
    for (name, price) in [("Стул офисный", "1500"), ("Стол угловой", "9500")] {
        let (s, p) = t.post(o, "/api/v1/products", json!({"name": name, "price": price})).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        ids.push(p["id"].clone());
    }
    let lines: Vec<Value> = ids.iter().map(|p| json!({"product": p, "qty": "5", "cost": "100"})).collect();
    let (s, d) = t.post(o, "/api/v1/documents", json!({"kind": "receipt", "warehouse": w["id"], "lines": lines, "post": true})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let lines = json!([{"product": ids[0], "qty": "2"}, {"product": ids[1], "qty": "1"}]);
    let deal = crate::crm::deal(t, o, json!({"title": "Мебель в офис", "client": client, "lines": lines})).await;
    let (s, order) = t.post(o, "/api/v1/crm/orders", json!({"client": client, "warehouse": w["id"], "lines": lines})).await;
    assert_eq!(s, StatusCode::CREATED, "{order}");
    Shop { client, deal: deal["id"].as_u64().expect("deal"), order: order["id"].as_u64().expect("order") }
}

fn year(t: &TestApp) -> String {
    t.app.now().date_local("Asia/Bishkek")[..4].to_string()
}

async fn pdf_text(t: &TestApp, c: &Client, doc: &Value) -> Vec<String> {
    let r = t.http.get(t.url(doc["pdf"].as_str().expect("pdf url"))).bearer_auth(&c.token).send().await.expect("pdf");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    assert!(r.headers().get("content-disposition").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("attachment;")));
    pdf_lines(&r.bytes().await.expect("bytes")).concat()
}

fn ids(list: &Value) -> Vec<u64> {
    list.as_array().expect("list").iter().filter_map(|d| d["id"].as_u64()).collect()
}

#[tokio::test]
async fn an_order_makes_numbered_documents_with_its_lines_and_client() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@orderdocs.kg").await;
    let s = shop(&t, &o).await;
    let y = year(&t);

    let (st, deal_doc) = t.post(&o, &format!("/api/v1/crm/deals/{}/documents", s.deal), json!({"template": "invoice.ru"})).await;
    assert_eq!(st, StatusCode::CREATED, "{deal_doc}");
    let (st, doc) = t.post(&o, &format!("/api/v1/crm/orders/{}/documents", s.order), json!({"template": "invoice.ru"})).await;
    assert_eq!(st, StatusCode::CREATED, "{doc}");
    assert_eq!(
        (doc["number"].as_str(), doc["order"].as_u64(), doc["deal"].as_u64(), doc["client"].as_u64()),
        (Some(format!("СЧ-{y}-0002").as_str()), Some(s.order), None, Some(s.client)),
        "numbered with the deal's invoices: {doc}"
    );
    let nb = '\u{a0}';
    let lines = pdf_text(&t, &o, &doc).await;
    for expected in [
        "Покупатель: ОсОО «Ромашка»".to_string(),
        "Основание: Заказ З-000001".to_string(),
        format!("1 Стул офисный 2 1{nb}500,00 3{nb}000,00"),
        format!("2 Стол угловой 1 9{nb}500,00 9{nb}500,00"),
        format!("Итого к оплате 12{nb}500,00"),
    ] {
        assert!(lines.contains(&expected), "{expected:?} missing from {lines:#?}");
    }

    // A company template may name the order.
    let body = json!({"kind": "act", "name": "Акт по заказу", "lang": "ru", "body": "# Акт {{ doc.number }}\nПо заказу {{ order.number }} от {{ order.date }}"});
    let (st, tpl) = t.post(&o, "/api/v1/crm/templates", body).await;
    assert_eq!(st, StatusCode::CREATED, "{tpl}");
    let (st, act) = t.post(&o, &format!("/api/v1/crm/orders/{}/documents", s.order), json!({"template": tpl["id"]})).await;
    assert_eq!(st, StatusCode::CREATED, "{act}");
    let today = t.app.now().date_local("Asia/Bishkek").split('-').rev().collect::<Vec<_>>().join(".");
    assert!(pdf_text(&t, &o, &act).await.contains(&format!("По заказу З-000001 от {today}")));

    // Listed on the order, the client and the timeline; the deal keeps only its own.
    let (_, list) = t.get(&o, &format!("/api/v1/crm/orders/{}/documents", s.order)).await;
    assert_eq!(ids(&list), vec![act["id"].as_u64().expect("id"), doc["id"].as_u64().expect("id")], "newest first");
    let (_, list) = t.get(&o, &format!("/api/v1/crm/deals/{}/documents", s.deal)).await;
    assert_eq!(ids(&list), vec![deal_doc["id"].as_u64().expect("id")]);
    let (_, list) = t.get(&o, &format!("/api/v1/crm/clients/{}/documents", s.client)).await;
    assert_eq!(list.as_array().map(Vec::len), Some(3));
    let (_, tl) = t.get(&o, &format!("/api/v1/crm/clients/{}/timeline", s.client)).await;
    assert_eq!(tl.to_string().matches("\"document\"").count(), 3, "{tl}");

    // The order page lists them and makes one with its button.
    let (p, csrf) = signed_in(&t, "owner@orderdocs.kg", "password-123", &format!("/crm/orders/{}", s.order)).await;
    let page = p.get(&format!("/crm/orders/{}", s.order)).await.text().await.expect("order page");
    assert!(page.contains("id=\"order-document-form\"") && page.contains(&format!("СЧ-{y}-0002")), "the order's documents");
    let r = p.post(&format!("/crm/orders/{}/documents", s.order), &[("_csrf", csrf.as_str()), ("template", "offer.ru")]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(crate::browser::location(&r), format!("/crm/orders/{}?ok=document_created#documents", s.order));
    let page = p.get(&format!("/crm/orders/{}?ok=document_created", s.order)).await.text().await.expect("order page");
    assert!(page.contains(&format!("КП-{y}-0001")) && page.contains("Документ создан."), "the new offer on the page");
    let r = p.post(&format!("/crm/orders/{}/documents", s.order), &[("_csrf", csrf.as_str()), ("template", "no.such")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let panel = p.get(&format!("/crm/clients/{}/panel", s.client)).await.text().await.expect("panel");
    assert!(panel.contains(&format!("href=\"/crm/orders/{}\"", s.order)), "the card links the document to its order");

    // Orders' documents follow the orders' right: a salesperson without it neither makes nor
    // reads them, and does not see them on the client.
    crate::crm::staff(&t, &o, "seller@orderdocs.kg", json!(["crm_deals", "crm_all_deals", "clients"])).await;
    let seller = t.login("seller@orderdocs.kg", "password-456").await;
    let (st, _) = t.post(&seller, &format!("/api/v1/crm/orders/{}/documents", s.order), json!({"template": "offer.ru"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    for path in [
        format!("/api/v1/crm/documents/{}", doc["id"]),
        format!("/api/v1/crm/documents/{}/pdf", doc["id"]),
        format!("/api/v1/crm/orders/{}/documents", s.order),
    ] {
        assert_eq!(t.get(&seller, &path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, list) = t.get(&seller, &format!("/api/v1/crm/clients/{}/documents", s.client)).await;
    assert_eq!(ids(&list), vec![deal_doc["id"].as_u64().expect("id")], "only the deal's document");
    t.assert_consistent();
}

#[tokio::test]
async fn templates_over_json_with_the_line_of_a_refused_body_a_preview_and_documents_of_a_deal() {
    let t = TestApp::spawn().await;
    let o = crate::crm::owner(&t, "owner@tplapi.kg").await;
    let s = shop(&t, &o).await;
    let y = year(&t);

    let (st, list) = t.get(&o, "/api/v1/crm/templates").await;
    assert_eq!(st, StatusCode::OK);
    let keys: Vec<&str> = list.as_array().expect("list").iter().filter_map(|x| x["key"].as_str()).collect();
    assert_eq!(keys.len(), 8, "the eight built-in ones: {list}");
    assert!(keys.contains(&"offer.ru") && list[0]["body"].is_null(), "bodies are left out of the list");
    let (st, b) = t.get(&o, "/api/v1/crm/templates/builtin/offer.ru").await;
    assert_eq!((st, b["builtin"].as_bool()), (StatusCode::OK, Some(true)));
    assert!(b["body"].as_str().is_some_and(|x| x.contains("doc.number")));
    assert_eq!(t.get(&o, "/api/v1/crm/templates/builtin/memo.ru").await.0, StatusCode::NOT_FOUND);
    let (st, fields) = t.get(&o, "/api/v1/crm/templates/fields").await;
    assert_eq!(st, StatusCode::OK);
    assert!(fields.as_array().expect("fields").iter().any(|f| f["name"] == "order.number / date"), "{fields}");

    // Create, read, edit; a body the sandbox refuses names its line.
    let body = json!({"kind": "offer", "name": "Короткое КП", "lang": "ru", "body": "# КП {{ doc.number }}\nДля {{ client.name }}"});
    let (st, tpl) = t.post(&o, "/api/v1/crm/templates", body).await;
    assert_eq!(st, StatusCode::CREATED, "{tpl}");
    let id = tpl["id"].as_u64().expect("id");
    let (st, got) = t.get(&o, &format!("/api/v1/crm/templates/{id}")).await;
    assert_eq!((st, got["body"].as_str()), (StatusCode::OK, Some("# КП {{ doc.number }}\nДля {{ client.name }}")));
    for (body, code, line) in [
        ("# КП\n\n{% if deal.title %}\nбез конца", "template_syntax", "Строка"),
        ("# КП\n{{ 'x' * 1000000000 }}", "template_operator", "Строка 2:"),
        ("{% include 'other' %}", "template_tag", "Строка 1:"),
    ] {
        let (st, e) =
            t.put(&o, &format!("/api/v1/crm/templates/{id}"), json!({"kind": "offer", "name": "x", "lang": "ru", "body": body})).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("validation")), "{e}");
        assert_eq!((e["errors"][0]["field"].as_str(), e["errors"][0]["code"].as_str()), (Some("body"), Some(code)), "{e}");
        assert!(e["errors"][0]["message"].as_str().is_some_and(|m| m.starts_with(line)), "{e}");
    }
    let (st, e) = t.post(&o, "/api/v1/crm/templates", json!({"kind": "memo", "name": "", "lang": "fr", "body": ""})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let mut refused: Vec<&str> = e["errors"].as_array().expect("errors").iter().filter_map(|f| f["field"].as_str()).collect();
    refused.sort_unstable();
    assert_eq!(refused, vec!["body", "kind", "lang", "name"], "every field at once: {e}");
    let (st, _) = t.post(&o, "/api/v1/crm/templates", json!({"kind": "offer", "colour": "red"})).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "unknown fields are refused");
    let (st, edited) = t
        .put(
            &o,
            &format!("/api/v1/crm/templates/{id}"),
            json!({"kind": "offer", "name": "КП", "lang": "ru", "body": "# КП {{ doc.number }}"}),
        )
        .await;
    assert_eq!((st, edited["name"].as_str()), (StatusCode::OK, Some("КП")));

    // The preview: a PDF against a sample or the deal; nothing numbered.
    let r = t
        .http
        .post(t.url("/api/v1/crm/templates/preview"))
        .bearer_auth(&o.token)
        .json(&json!({"kind": "offer", "lang": "ru", "body": "# Проба {{ doc.number }}\nКлиент: {{ client.name }}", "deal": s.deal}))
        .send()
        .await
        .expect("preview");
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let lines = pdf_lines(&r.bytes().await.expect("pdf")).concat();
    assert!(lines.contains(&format!("Проба КП-{y}-ОБРАЗЕЦ")) && lines.contains(&"Клиент: ОсОО «Ромашка»".to_string()), "{lines:#?}");
    let (st, e) = t.post(&o, "/api/v1/crm/templates/preview", json!({"kind": "offer", "lang": "ru", "body": "{% for %}"})).await;
    assert_eq!((st, e["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("body")));

    // Documents of the deal from the stored template (its id as a number) and a built-in one.
    let (st, first) = t.post(&o, &format!("/api/v1/crm/deals/{}/documents", s.deal), json!({"template": id})).await;
    assert_eq!((st, first["number"].as_str()), (StatusCode::CREATED, Some(format!("КП-{y}-0001").as_str())), "{first}");
    assert!(pdf_text(&t, &o, &first).await.contains(&format!("КП КП-{y}-0001")));
    let (st, second) = t.post(&o, &format!("/api/v1/crm/deals/{}/documents", s.deal), json!({"template": "offer.en"})).await;
    assert_eq!((st, second["number"].as_str()), (StatusCode::CREATED, Some(format!("КП-{y}-0002").as_str())));
    let (st, got) = t.get(&o, &format!("/api/v1/crm/documents/{}", second["id"])).await;
    assert_eq!((st, got["deal"].as_u64(), got["template"].as_str()), (StatusCode::OK, Some(s.deal), Some("Commercial offer (en)")));
    for bad in [json!({"template": "no.such"}), json!({"template": {"id": 1}})] {
        let (st, e) = t.post(&o, &format!("/api/v1/crm/deals/{}/documents", s.deal), bad).await;
        assert_eq!((st, e["errors"][0]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("template")), "{e}");
    }
    let (st, _) = t.post(&o, &format!("/api/v1/crm/deals/{}/documents", s.deal), json!({"template": 999_999_999})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "an unknown template id");

    // Deleting a template keeps what was made from it.
    let (st, _) = t.call(Method::DELETE, &format!("/api/v1/crm/templates/{id}"), Some(&o.token), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    assert_eq!(t.get(&o, &format!("/api/v1/crm/templates/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&o, &format!("/api/v1/crm/documents/{}", first["id"])).await.0, StatusCode::OK);

    // Rights: templates are settings; a salesperson with own deals reads the list only, and
    // another's deal's documents are forbidden to them.
    crate::crm::staff(&t, &o, "seller@tplapi.kg", json!(["crm_deals", "clients"])).await;
    let seller = t.login("seller@tplapi.kg", "password-456").await;
    assert_eq!(t.get(&seller, "/api/v1/crm/templates").await.0, StatusCode::OK);
    let body = json!({"kind": "offer", "name": "x", "lang": "ru", "body": "# x"});
    assert_eq!(t.post(&seller, "/api/v1/crm/templates", body).await.0, StatusCode::FORBIDDEN);
    let preview = json!({"kind": "offer", "lang": "ru", "body": "# x"});
    assert_eq!(t.post(&seller, "/api/v1/crm/templates/preview", preview).await.0, StatusCode::FORBIDDEN);
    for path in [format!("/api/v1/crm/deals/{}/documents", s.deal), format!("/api/v1/crm/documents/{}/pdf", first["id"])] {
        assert_eq!(t.get(&seller, &path).await.0, StatusCode::FORBIDDEN, "{path}");
    }
    // Another company: the deal in a preview is not found; the list shows none of these.
    t.company("Чужая", "owner@tplalien.kg", "password-123").await;
    let alien = t.login("owner@tplalien.kg", "password-123").await;
    let (st, _) =
        t.post(&alien, "/api/v1/crm/templates/preview", json!({"kind": "offer", "lang": "ru", "body": "# x", "deal": s.deal})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list) = t.get(&alien, "/api/v1/crm/templates").await;
    assert!(ids(&list).is_empty(), "{list}");

    // Every route is in the OpenAPI document.
    let (_, spec) = t.call(Method::GET, "/api/openapi.json", None, None).await;
    for (path, method) in [
        ("/api/v1/crm/templates", "post"),
        ("/api/v1/crm/templates/{id}", "put"),
        ("/api/v1/crm/templates/builtin/{key}", "get"),
        ("/api/v1/crm/templates/fields", "get"),
        ("/api/v1/crm/templates/preview", "post"),
        ("/api/v1/crm/deals/{id}/documents", "post"),
        ("/api/v1/crm/orders/{id}/documents", "get"),
        ("/api/v1/crm/clients/{id}/documents", "get"),
        ("/api/v1/crm/documents/{id}/pdf", "get"),
        ("/api/v1/crm/clients/{id}/attachments", "post"),
        ("/api/v1/crm/attachments/{id}/file", "get"),
    ] {
        assert!(spec["paths"][path].get(method).is_some(), "{method} {path} is documented");
    }
    t.assert_consistent();
}
