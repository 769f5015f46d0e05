//! Documents from templates (issue 17): a company template and the built-in ones make
//! numbered PDFs from a deal (numbers per kind and year, gapless: a refused render uses none),
//! the PDF's text read back, the lists on the deal page and the client card, the timeline; the
//! sandbox (syntax errors with their line, refused operators and tags, runaway loops, huge
//! output, oversized bodies) answering 4xx; the preview; rights; and another company's ids
//! answering 404 on every new route.

use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{Plain, location};
use crate::common::{Client, TestApp};
use crate::crm_public::signed_in;
use crate::documents::pdf_lines;

struct Shop {
    client: u64,
    deal: u64,
}

/// A company with legal details, a client and a deal of two lines (3 000 + 9 500).
async fn shop(t: &TestApp, o: &Client) -> Shop {
    let legal = json!({"inn": "01234567891234", "address": "Бишкек, ул. Токтогула 1"});
    let (s, v) = t.put(o, "/api/v1/company", json!({"name": "Мебель Плюс", "timezone": "Asia/Bishkek", "legal": legal})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let client = crate::crm::client(t, o, "ОсОО «Ромашка»").await;
    let mut ids = Vec::new();
    for (name, price) in [("Стул офисный", "1500"), ("Стол | угловой", "9500")] {
        let (s, p) = t.post(o, "/api/v1/products", json!({"name": name, "price": price})).await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        ids.push(p["id"].clone());
    }
    let d = crate::crm::deal(
        t,
        o,
        json!({"title": "Мебель в офис", "client": client, "lines": [{"product": ids[0], "qty": "2"}, {"product": ids[1], "qty": "1"}]}),
    )
    .await;
    Shop { client, deal: d["id"].as_u64().expect("deal id") }
}

fn year(t: &TestApp) -> String {
    t.app.now().date_local("Asia/Bishkek")[..4].to_string()
}

/// The ids of the documents a page links to, in page order.
fn doc_ids(html: &str) -> Vec<u64> {
    html.split("/crm/documents/").skip(1).filter_map(|s| s.split('/').next()?.parse().ok()).collect()
}

async fn generate(p: &Plain, csrf: &str, deal: u64, template: &str) -> reqwest::Response {
    p.post(&format!("/crm/deals/{deal}/documents"), &[("_csrf", csrf), ("template", template)]).await
}

async fn save_template(p: &Plain, csrf: &str, kind: &str, name: &str, body: &str) -> reqwest::Response {
    p.post("/crm/templates", &[("_csrf", csrf), ("kind", kind), ("lang", "ru"), ("name", name), ("body", body)]).await
}

fn template_id(r: &reqwest::Response) -> u64 {
    let to = location(r);
    to.strip_prefix("/crm/templates/").and_then(|s| s.split('?').next()).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{to}"))
}

async fn pdf_of(p: &Plain, doc: u64) -> Vec<String> {
    let r = p.get(&format!("/crm/documents/{doc}/pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let bytes = r.bytes().await.expect("pdf");
    assert!(bytes.starts_with(b"%PDF"), "a PDF");
    pdf_lines(&bytes).concat()
}

#[tokio::test]
async fn documents_from_a_deal_are_numbered_per_kind_stored_listed_and_read_back() {
    let t = TestApp::spawn().await;
    t.company("Мебель", "owner@docs.kg", "password-123").await;
    let o = t.login("owner@docs.kg", "password-123").await;
    let s = shop(&t, &o).await;
    let y = year(&t);
    let (p, csrf) = signed_in(&t, "owner@docs.kg", "password-123", "/crm/templates").await;

    // The company's own offer: the built-in Russian one with a closing line of its own.
    let body = format!("{}\nСпасибо, {{{{ client.name }}}}!\n", dukan::crm::templating::builtin("offer.ru").expect("built-in").body);
    let r = save_template(&p, &csrf, "offer", "Наше КП", &body).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap_or_default());
    let own = template_id(&r);
    let list = p.get("/crm/templates").await.text().await.expect("templates page");
    assert!(list.contains("Наше КП") && list.contains("copy-offer.ru"), "own and built-in templates listed");

    let r = generate(&p, &csrf, s.deal, &own.to_string()).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, format!("/crm/deals/{}?ok=document_created#documents", s.deal).as_str()));
    assert_eq!(generate(&p, &csrf, s.deal, "offer.ru").await.status().as_u16(), 303);
    assert_eq!(generate(&p, &csrf, s.deal, "invoice.ru").await.status().as_u16(), 303);
    let page = p.get(&format!("/crm/deals/{}", s.deal)).await.text().await.expect("deal page");
    for number in [format!("КП-{y}-0001"), format!("КП-{y}-0002"), format!("СЧ-{y}-0001")] {
        assert!(page.contains(&number), "{number} on the deal page");
    }
    let docs = doc_ids(&page);
    assert_eq!(docs.len(), 3, "{docs:?}");
    // Newest first: the invoice, then the two offers.
    let (invoice, first) = (docs[0], docs[2]);

    let nb = '\u{a0}';
    let lines = pdf_of(&p, first).await;
    for expected in [
        "Мебель Плюс".to_string(),
        format!("Коммерческое предложение № КП-{y}-0001"),
        "Для: ОсОО «Ромашка»".to_string(),
        format!("1 Стул офисный 2 1{nb}500,00 3{nb}000,00"),
        format!("2 Стол | угловой 1 9{nb}500,00 9{nb}500,00"),
        format!("Итого 12{nb}500,00"),
        format!("Итого: 12{nb}500,00{nb}сом"),
        "Сумма прописью: Двенадцать тысяч пятьсот сомов 00 тыйынов".to_string(),
        "Спасибо, ОсОО «Ромашка»!".to_string(),
        "Страница 1 из 1".to_string(),
    ] {
        assert!(lines.contains(&expected), "{expected:?} missing from {lines:#?}");
    }
    let lines = pdf_of(&p, invoice).await;
    assert!(
        lines.iter().any(|l| *l
            == format!(
                "Счёт на оплату № СЧ-{y}-0001 от {}",
                t.app.now().date_local("Asia/Bishkek").split('-').rev().collect::<Vec<_>>().join(".")
            )),
        "{lines:#?}"
    );

    // The client card lists them; the timeline has a row per document.
    let panel = p.get(&format!("/crm/clients/{}/panel", s.client)).await.text().await.expect("panel");
    assert_eq!(doc_ids(&panel).len(), 3, "{panel}");
    let (st, tl) = t.get(&o, &format!("/api/v1/crm/clients/{}/timeline", s.client)).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(tl.to_string().matches("\"document\"").count(), 3, "{tl}");

    // Editing the template later changes no document already made.
    let r = p
        .post(
            &format!("/crm/templates/{own}"),
            &[("_csrf", csrf.as_str()), ("kind", "offer"), ("lang", "ru"), ("name", "Наше КП"), ("body", "# Другое")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(pdf_of(&p, first).await.iter().any(|l| l == "Спасибо, ОсОО «Ромашка»!"));
    t.assert_consistent();
}

#[tokio::test]
async fn the_sandbox_answers_4xx_with_the_line_and_a_refused_render_uses_no_number() {
    let t = TestApp::spawn().await;
    t.company("Мебель", "owner@sandbox.kg", "password-123").await;
    let o = t.login("owner@sandbox.kg", "password-123").await;
    let s = shop(&t, &o).await;
    let y = year(&t);
    let (p, csrf) = signed_in(&t, "owner@sandbox.kg", "password-123", "/crm/templates").await;

    for (body, says) in [
        ("# КП\n\n{% if deal.title %}\nбез конца", "Строка"),
        ("# КП\n{{ 'x' * 1000000000 }}", "Строка 2: «*» в шаблоне не поддерживается"),
        ("{% include 'other' %}", "Строка 1: тег «include»"),
        ("{% set all %}{{ deal.title }}{% endset %}", "тег «set … endset»"),
    ] {
        let r = save_template(&p, &csrf, "offer", "Плохой", body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let html = r.text().await.expect("editor");
        assert!(html.contains(says), "{says:?} for {body:?}");
    }
    let r = save_template(&p, &csrf, "offer", "Огромный", &"x".repeat(65 * 1024)).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("editor").contains("длиннее 64"));
    let r = save_template(&p, &csrf, "memo", "Вид", "# x").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Valid syntax that runs away: saved, but making a document from it is refused, and the
    // number it would have taken goes to the next document.
    let loops = "{% for a in deal.lines %}".repeat(40) + &"{% endfor %}".repeat(40);
    let huge = format!("{{% for a in deal.lines %}}{{% for b in deal.lines %}}{}{{% endfor %}}{{% endfor %}}", "x".repeat(40_000));
    for (body, says) in [(loops.as_str(), "слишком много шагов"), (huge.as_str(), "больше 128")] {
        let r = save_template(&p, &csrf, "offer", "Цикл", body).await;
        assert_eq!(r.status().as_u16(), 303);
        let r = generate(&p, &csrf, s.deal, &template_id(&r).to_string()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.text().await.expect("deal page").contains(says), "{says}");
    }
    assert_eq!(generate(&p, &csrf, s.deal, "no.such").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(generate(&p, &csrf, s.deal, "offer.en").await.status().as_u16(), 303);
    let page = p.get(&format!("/crm/deals/{}", s.deal)).await.text().await.expect("deal page");
    assert!(page.contains(&format!("КП-{y}-0001")) && !page.contains(&format!("КП-{y}-0002")), "gapless");
    let lines = pdf_of(&p, doc_ids(&page)[0]).await;
    assert!(lines.iter().any(|l| l == "In words: Twelve thousand five hundred and 00/100 KGS"), "{lines:#?}");

    // The preview: a sample, a deal, and a refused body shown in the editor.
    let body = "# Проба {{ doc.number }}\nКлиент: {{ client.name }}";
    let preview = |deal: String| {
        let p = &p;
        let csrf = csrf.clone();
        async move {
            p.post(
                "/crm/templates/preview",
                &[("_csrf", csrf.as_str()), ("kind", "offer"), ("lang", "ru"), ("name", "x"), ("body", body), ("deal", &deal)],
            )
            .await
        }
    };
    let r = preview(String::new()).await;
    assert_eq!(r.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("application/pdf"));
    let lines = pdf_lines(&r.bytes().await.expect("pdf")).concat();
    assert!(
        lines.iter().any(|l| *l == format!("Проба КП-{y}-ОБРАЗЕЦ")) && lines.iter().any(|l| l == "Клиент: ОсОО «Пример»"),
        "{lines:#?}"
    );
    let r = preview(s.deal.to_string()).await;
    let lines = pdf_lines(&r.bytes().await.expect("pdf")).concat();
    assert!(lines.iter().any(|l| l == "Клиент: ОсОО «Ромашка»"), "{lines:#?}");
    let r = p.post("/crm/templates/preview", &[("_csrf", csrf.as_str()), ("kind", "offer"), ("lang", "ru"), ("body", "{% for %}")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    t.assert_consistent();
}

#[tokio::test]
async fn templates_are_settings_documents_follow_the_deal_and_other_companies_get_404() {
    let t = TestApp::spawn().await;
    t.company("Мебель", "owner@rights.kg", "password-123").await;
    t.company("Чужая", "owner@alien.kg", "password-123").await;
    let o = t.login("owner@rights.kg", "password-123").await;
    let s = shop(&t, &o).await;
    let (p, csrf) = signed_in(&t, "owner@rights.kg", "password-123", "/crm/templates").await;
    let tpl = template_id(&save_template(&p, &csrf, "act", "Акт", "# Акт {{ doc.number }}").await);
    assert_eq!(generate(&p, &csrf, s.deal, &tpl.to_string()).await.status().as_u16(), 303);
    let page = p.get(&format!("/crm/deals/{}", s.deal)).await.text().await.expect("deal page");
    let doc = doc_ids(&page)[0];

    // A salesperson with own deals only: no template settings, none of the owner's deal's
    // documents; their own deal works.
    crate::crm::staff(&t, &o, "seller@rights.kg", json!(["crm_deals", "clients"])).await;
    let (sp, scsrf) = signed_in(&t, "seller@rights.kg", "password-456", "/crm/deals").await;
    for path in ["/crm/templates", &format!("/crm/templates/{tpl}"), "/crm/templates/new"] {
        assert_eq!(sp.get(path).await.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r =
        sp.post("/crm/templates", &[("_csrf", scsrf.as_str()), ("kind", "offer"), ("lang", "ru"), ("name", "x"), ("body", "# x")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(sp.post("/crm/templates/preview", &[("_csrf", scsrf.as_str()), ("body", "# x")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(generate(&sp, &scsrf, s.deal, "offer.ru").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(sp.get(&format!("/crm/documents/{doc}/pdf")).await.status(), StatusCode::FORBIDDEN);
    let panel = sp.get(&format!("/crm/clients/{}/panel", s.client)).await.text().await.expect("panel");
    assert!(doc_ids(&panel).is_empty(), "the owner's deal's document is not on the seller's card");
    let seller = t.login("seller@rights.kg", "password-456").await;
    let own = crate::crm::deal(&t, &seller, json!({"title": "Своя", "client": s.client, "value": "100"})).await;
    assert_eq!(generate(&sp, &scsrf, own["id"].as_u64().expect("id"), "offer.ru").await.status().as_u16(), 303);

    // Another company: every new route with this company's ids is "not found", nothing written.
    let (ap, acsrf) = signed_in(&t, "owner@alien.kg", "password-123", "/crm/templates").await;
    let form = [("_csrf", acsrf.as_str()), ("kind", "offer"), ("lang", "ru"), ("name", "чужой"), ("body", "# чужой")];
    for (path, post) in [
        (format!("/crm/templates/{tpl}"), false),
        (format!("/crm/templates/new?from={tpl}"), false),
        (format!("/crm/documents/{doc}/pdf"), false),
        (format!("/crm/templates/{tpl}"), true),
        (format!("/crm/templates/{tpl}/delete"), true),
        (format!("/crm/deals/{}/documents", s.deal), true),
    ] {
        let r = if post { ap.post(&path, &form).await } else { ap.get(&path).await };
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let mut with_deal = form.to_vec();
    let deal = s.deal.to_string();
    with_deal.push(("deal", &deal));
    assert_eq!(ap.post("/crm/templates/preview", &with_deal).await.status(), StatusCode::NOT_FOUND);
    assert!(!ap.get("/crm/templates").await.text().await.expect("list").contains(&format!("/crm/templates/{tpl}\"")));
    let r = generate(&ap, &acsrf, s.deal, &tpl.to_string()).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(p.get(&format!("/crm/templates/{tpl}")).await.text().await.expect("editor").contains("# Акт"), "untouched");
    t.assert_consistent();
}
