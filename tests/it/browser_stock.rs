//! The catalog and stock pages in a real browser (headless Chromium, see `browser.rs`): a
//! company owner creates a warehouse and a product with an EAN-13 barcode, posts two receipts
//! and a write-off through the document editor (picking the product with the search
//! typeahead), reads the FIFO explanation on the product card and finds the product by a
//! misspelt name. Then the same pages over plain HTTP, as a browser without JavaScript gets
//! them: 303 on success, 422 with field and line messages, 409 refusals on the form.

use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::json;

use crate::browser::{
    Plain, R, click, click_confirmed, csrf_of, fill, location, nav_labels, run, screenshot, type_ahead, wait_for, wait_xpath,
};
use crate::common::TestApp;

const MILK: &str = "Молоко Простоквашино 3,2% 1 л";

/// Runs the search worker's step until it has nothing left to do.
pub(crate) async fn drain(t: &TestApp) {
    for _ in 0..100 {
        if !dukan::workers::search_once(t.app.clone()).await.expect("search step") {
            return;
        }
    }
    panic!("the search worker never became idle");
}

#[tokio::test]
async fn warehouse_product_receipts_write_off_and_search_in_a_real_browser() {
    run("stock", stock_flow).await;
}

/// Marks the current page so a wait can tell the next one from it.
async fn mark_stale(c: &Client) -> R {
    c.execute("document.getElementById('main').dataset.stale = '1'", vec![]).await?;
    Ok(())
}

/// Opens the editor of a new document of `kind` and fills its first line by typing `typed`
/// into the product picker and choosing the first hit.
async fn new_document(c: &Client, kind: &str, typed: &str, qty: &str) -> R {
    click(c, "#nav a[href='/documents']").await?;
    wait_for(c, &format!("#new-documents a[data-kind={kind}]")).await?.click().await?;
    wait_for(c, "#doc-form").await?;
    // The hits for the whole text, not those for part of it that a slow keystroke asked for.
    type_ahead(c, "#lines tr:first-child input[name=line_name]", typed).await?;
    wait_for(c, "#lines tr:first-child .pick-results [data-pick]").await?.click().await?;
    let chosen = c.find(Locator::Css("#lines tr:first-child input[name=line_product]")).await?.prop("value").await?.unwrap_or_default();
    assert!(!chosen.is_empty(), "the pick fills the line's product");
    fill(c, "#lines tr:first-child input[name=line_qty]", qty).await?;
    Ok(())
}

/// Posts the open editor and returns the document's heading once its page shows.
async fn post_document(c: &Client) -> R<String> {
    mark_stale(c).await?;
    click(c, "#doc-form #post-document").await?;
    wait_for(c, "main:not([data-stale])[data-page=document] #doc-title").await?;
    Ok(c.find(Locator::Css("#doc-title")).await?.text().await?)
}

async fn stock_flow(c: &Client, t: &TestApp) -> R {
    t.company("Магазин у дома", "owner@dom.kg", "owner-pass-1").await;
    c.goto(&format!("{}/login", t.base)).await?;
    wait_for(c, "main[data-page=login]").await?;
    fill(c, "#f-email", "owner@dom.kg").await?;
    fill(c, "#f-password", "owner-pass-1").await?;
    click(c, "main button[type=submit]").await?;
    wait_for(c, "main[data-page=dashboard]").await?;
    let nav = nav_labels(c).await?;
    for label in ["Товары", "Категории", "Бренды", "Складские документы", "Остатки", "Склады"]
    {
        assert!(nav.iter().any(|l| l == label), "the plan has the catalog: {label} in {nav:?}");
    }

    // A warehouse: an empty name is refused beside the field, then it is created.
    click(c, "#nav a[href='/warehouses']").await?;
    wait_for(c, "#warehouse-form").await?;
    click(c, "#warehouse-form button[type=submit]").await?;
    wait_for(c, "#warehouse-form #e-name").await?;
    fill(c, "#warehouse-form #f-name", "Основной склад").await?;
    click(c, "#warehouse-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='warehouse-list']//a[text()='Основной склад']").await?;
    assert!(c.find(Locator::Css("#flash .flash-ok")).await?.text().await?.contains("Склад сохранён"));
    screenshot(c, "stock-warehouses").await?;

    // A product: the markup computes the price as it is typed; a wrong check digit is
    // reported beside the barcodes, then the right code is saved.
    click(c, "#nav a[href='/products']").await?;
    wait_for(c, "#new-product").await?.click().await?;
    wait_for(c, "#product-form").await?;
    screenshot(c, "stock-product-new").await?;
    fill(c, "#product-form #f-name", MILK).await?;
    fill(c, "#product-form #f-barcodes", "4600682000359").await?;
    fill(c, "#product-form #f-purchase_price", "85").await?;
    fill(c, "#product-form #f-markup", "20").await?;
    let price = c.find(Locator::Css("#product-form #f-price")).await?;
    assert_eq!(price.prop("value").await?.as_deref(), Some("102.00"), "price follows the markup");
    assert_eq!(price.prop("readOnly").await?.as_deref(), Some("true"));
    assert!(c.find(Locator::Css("#markup-note")).await?.is_displayed().await?);
    fill(c, "#product-form #f-reorder_level", "5").await?;
    screenshot(c, "stock-product-form").await?;
    click(c, "#product-form .sticky-actions button[type=submit]").await?;
    let message = wait_for(c, "#product-form #e-barcodes").await?.text().await?;
    assert!(message.contains("контрольная цифра"), "{message}");
    fill(c, "#product-form #f-barcodes", "4600682000358").await?;
    click(c, "#product-form .sticky-actions button[type=submit]").await?;
    wait_for(c, "main[data-page=product] #product-facts").await?;
    let card_url = c.current_url().await?;
    let facts = c.find(Locator::Css("#product-facts")).await?.text().await?;
    assert!(facts.contains("4600682000358") && facts.contains("102,00") && facts.contains("0001"), "{facts}");

    // The same barcode on a second product names the product that has it.
    click(c, "#nav a[href='/products']").await?;
    wait_for(c, "#new-product").await?.click().await?;
    wait_for(c, "#product-form").await?;
    fill(c, "#product-form #f-name", "Кефир").await?;
    fill(c, "#product-form #f-barcodes", "4600682000358").await?;
    click(c, "#product-form .sticky-actions button[type=submit]").await?;
    let message = wait_for(c, "#product-form #e-barcodes").await?.text().await?;
    assert!(message.contains(&format!("уже у товара «{MILK}»")), "{message}");
    drain(t).await;

    // Two receipts: 5 at 85.00 (the picker offers the purchase price), then 5 at 90.00 after
    // a bad quantity is shown beside its line.
    new_document(c, "receipt", "простокваш", "5").await?;
    fill(c, "#doc-form #f-supplier", "ОсОО Сут").await?;
    let cost = c.find(Locator::Css("#lines tr:first-child input[name=line_cost]")).await?.prop("value").await?;
    assert_eq!(cost.as_deref(), Some("85.00"), "a receipt line starts at the purchase price");
    screenshot(c, "stock-receipt").await?;
    let title = post_document(c).await?;
    assert!(title.contains("ПР-000001"), "{title}");
    assert_eq!(c.find(Locator::Css("#doc-total")).await?.text().await?, "425,00");

    new_document(c, "receipt", "4600682000358", "пять").await?;
    fill(c, "#lines tr:first-child input[name=line_cost]", "90").await?;
    click(c, "#doc-form #post-document").await?;
    let message = wait_for(c, "#doc-form #e-lines-0-qty").await?.text().await?;
    assert!(message.starts_with("Строка 1"), "{message}");
    screenshot(c, "stock-receipt-error").await?;
    fill(c, "#lines tr:first-child input[name=line_qty]", "5").await?;
    let title = post_document(c).await?;
    assert!(title.contains("ПР-000002"), "{title}");

    // A write-off of more than is on hand is refused on the form; 7 posts.
    new_document(c, "write_off", "малоко", "20").await?;
    fill(c, "#doc-form #f-reason", "Просрочка").await?;
    click(c, "#doc-form #post-document").await?;
    let refusal = wait_for(c, "#doc-form .form-error").await?.text().await?;
    assert!(refusal.contains("Недостаточно") && refusal.contains("доступно 10"), "{refusal}");
    fill(c, "#lines tr:first-child input[name=line_qty]", "7").await?;
    let title = post_document(c).await?;
    assert!(title.contains("СП-000001"), "{title}");
    screenshot(c, "stock-document").await?;

    // The card: 3 left worth 270.00, the write-off explained by the receipts' layers.
    c.goto(card_url.as_str()).await?;
    wait_for(c, "#card-moves").await?;
    assert_eq!(c.find(Locator::Css("#card-total-qty")).await?.text().await?, "3 шт");
    assert_eq!(c.find(Locator::Css("#card-total-value")).await?.text().await?, "270,00");
    let write_off = wait_xpath(c, "//table[@id='card-moves']//tr[.//a[text()='СП-000001']]").await?.text().await?;
    for layer in ["5 из ПР-000001 по 85,00", "2 из ПР-000002 по 90,00"] {
        assert!(write_off.contains(layer), "{layer} in {write_off}");
    }
    assert!(write_off.contains("-605,00"), "{write_off}");
    screenshot(c, "stock-card").await?;

    // A product with movements cannot be deleted: the card says why.
    click_confirmed(c, "#delete-product button").await?;
    let refusal = wait_for(c, "main .form-error").await?.text().await?;
    assert!(refusal.contains("есть движения"), "{refusal}");

    // Stock on hand: value at cost and at the sale price; 3 is below the reorder level of 5.
    click(c, "#nav a[href='/stock']").await?;
    wait_for(c, "main[data-page=stock] .stock-table").await?;
    let report = c.find(Locator::Css(".stock-section")).await?.text().await?;
    assert!(report.contains("270,00") && report.contains("306,00") && report.contains("мало"), "{report}");
    screenshot(c, "stock-report").await?;

    // The search box: another product first, so the typeahead visibly narrows the list.
    let api = t.login("owner@dom.kg", "owner-pass-1").await;
    let (status, body) = t.post(&api, "/api/v1/products", json!({"name": "Хлеб Бородинский", "price": "45"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    drain(t).await;
    click(c, "#nav a[href='/products']").await?;
    wait_xpath(c, "//table[@id='product-list']//a[text()='Хлеб Бородинский']").await?;
    // Every pause in the typing may swap in the list for part of the query: read the one
    // answering the whole query.
    type_ahead(c, "#f-q", "малоко прастоквашино").await?;
    let names: Vec<String> = {
        let mut out = Vec::new();
        for a in c.find_all(Locator::Css("#product-list tbody a")).await? {
            out.push(a.text().await?);
        }
        out
    };
    assert_eq!(names, vec![MILK.to_string()], "the misspelt name finds the milk only");
    screenshot(c, "stock-search").await?;

    // A category and a brand.
    click(c, "#nav a[href='/categories']").await?;
    wait_for(c, "#category-form").await?;
    fill(c, "#category-form #f-name", "Молочные продукты").await?;
    click(c, "#category-form button[type=submit]").await?;
    wait_xpath(c, "//table[@id='category-list']//td[contains(., 'Молочные продукты')]").await?;
    c.find(Locator::Css("#category-form #f-parent")).await?.select_by_label("Молочные продукты").await?;
    fill(c, "#category-form #f-name", "Кефир").await?;
    click(c, "#category-form button[type=submit]").await?;
    let child = wait_xpath(c, "//table[@id='category-list']//td[contains(., 'Кефир')]").await?;
    assert_eq!(child.attr("style").await?.as_deref(), Some("--depth: 1"), "a subcategory is indented");
    screenshot(c, "stock-categories").await?;

    // On a 7" tablet: the pages fit, the navigation folds.
    c.set_window_size(600, 960).await?;
    c.goto(card_url.as_str()).await?;
    wait_for(c, "#card-moves").await?;
    screenshot(c, "stock-card-tablet").await?;
    c.execute("document.getElementById('card-moves').scrollIntoView()", vec![]).await?;
    screenshot(c, "stock-card-moves-tablet").await?;
    c.goto(&format!("{}/products", t.base)).await?;
    wait_for(c, "#product-list").await?;
    screenshot(c, "stock-products-tablet").await?;
    c.goto(&format!("{}/documents/new?kind=receipt", t.base)).await?;
    wait_for(c, "#doc-form").await?;
    type_ahead(c, "#lines tr:first-child input[name=line_name]", "хлеб").await?;
    wait_for(c, "#lines tr:first-child .pick-results [data-pick]").await?;
    screenshot(c, "stock-receipt-tablet").await?;
    c.goto(&format!("{}/stock", t.base)).await?;
    wait_for(c, ".stock-table").await?;
    screenshot(c, "stock-report-tablet").await?;
    c.goto(&format!("{}{}/edit", t.base, card_url.path())).await?;
    wait_for(c, "#product-form").await?;
    screenshot(c, "stock-product-form-tablet").await?;
    c.goto(&format!("{}/documents", t.base)).await?;
    wait_for(c, "#document-list").await?;
    screenshot(c, "stock-documents-tablet").await?;

    // The English switch covers these pages too.
    c.set_window_size(1280, 900).await?;
    c.goto(card_url.as_str()).await?;
    wait_for(c, "#card-moves").await?;
    click(c, ".lang-switch button[value=en]").await?;
    wait_xpath(c, "//nav[@id='nav']//a[text()='Stock documents']").await?;
    let moves = wait_for(c, "#card-moves").await?.text().await?;
    assert!(moves.contains("5 from ПР-000001 at 85.00") && moves.contains("Write-off"), "{moves}");
    screenshot(c, "stock-card-en").await?;
    Ok(())
}

// ---- the same pages without JavaScript ----

/// Signs in through the page; returns the session's CSRF token.
async fn sign_in(p: &Plain, email: &str, password: &str) -> String {
    let r = p.submit("/login", &[("email", email), ("password", password), ("next", "/products")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/products"));
    csrf_of(&p.get("/products").await.text().await.expect("body"))
}

fn id_after<'a>(location: &'a str, prefix: &str) -> &'a str {
    location.strip_prefix(prefix).and_then(|rest| rest.split(['?', '/', '#']).next()).unwrap_or("")
}

#[tokio::test]
async fn stock_pages_work_without_javascript() {
    let t = TestApp::spawn().await;
    t.company("Без скриптов", "owner@plain.kg", "owner-pass-1").await;
    let p = Plain::new(&t);
    let csrf = sign_in(&p, "owner@plain.kg", "owner-pass-1").await;
    let csrf = csrf.as_str();

    let r = p.post("/warehouses", &[("_csrf", csrf), ("name", "Склад"), ("branch", "")]).await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/warehouses?ok=warehouse_saved"));
    let page = p.get("/warehouses").await.text().await.expect("body");
    let warehouse = page.split("href=\"/warehouses/").nth(1).and_then(|r| r.split('"').next()).expect("warehouse link").to_string();

    // Every bad field is reported at once, values kept.
    let r = p.post("/products", &[("_csrf", csrf), ("name", ""), ("barcodes", "Сыр\n4600682000359"), ("purchase_price", "-1")]).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("body");
    for id in ["e-name", "e-barcodes", "e-purchase_price"] {
        assert!(body.contains(&format!("id=\"{id}\"")), "{id} shown");
    }
    assert!(body.contains("недопустимые символы") && body.contains("контрольная цифра"), "both bad barcodes reported beside the field");
    let product = [("_csrf", csrf), ("name", MILK), ("barcodes", "4600682000358"), ("purchase_price", "85"), ("price", "110")];
    let r = p.post("/products", &product).await;
    assert_eq!(r.status(), 303);
    let milk = id_after(location(&r), "/products/").to_string();
    assert!(p.get(&format!("/products/{milk}")).await.text().await.expect("body").contains("110,00"), "manual price kept at zero markup");

    // A document's lines: a bad quantity and an unknown product are reported on their rows.
    let doc = |lines: &[(&'static str, &'static str, &'static str)], action: &'static str| {
        let mut form: Vec<(String, String)> = vec![
            ("_csrf".into(), csrf.to_string()),
            ("kind".into(), "receipt".into()),
            ("date".into(), String::new()),
            ("warehouse".into(), warehouse.clone()),
            ("action".into(), action.into()),
        ];
        for (product, q, cost) in lines {
            let product = if *product == "milk" { milk.clone() } else { product.to_string() };
            form.extend([
                ("line_product".into(), product),
                ("line_name".into(), String::new()),
                ("line_qty".into(), q.to_string()),
                ("line_cost".into(), cost.to_string()),
                ("line_amount".into(), String::new()),
            ]);
        }
        form
    };
    let form = doc(&[("milk", "abc", "85"), ("", "", ""), ("", "2", "")], "post");
    let r = p.http.post(format!("{}/documents", t.base)).header("accept", "text/html").form(&form).send().await.expect("post");
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("body");
    assert!(body.contains("id=\"e-lines-0-qty\"") && body.contains("id=\"e-lines-1-product\""), "blank rows dropped, messages on rows");
    let form = doc(&[("milk", "5", "85")], "save");
    let r = p.http.post(format!("{}/documents", t.base)).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 303);
    let draft = id_after(location(&r), "/documents/").to_string();
    assert!(location(&r).ends_with("?ok=document_saved"), "{}", location(&r));
    let page = p.get(&format!("/documents/{draft}")).await.text().await.expect("body");
    assert!(page.contains("Черновик") && page.contains("425,00"), "a draft with its total");
    let r = p.post(&format!("/documents/{draft}/post"), &[("_csrf", csrf)]).await;
    assert_eq!(location(&r), format!("/documents/{draft}?ok=document_posted"));

    // The closed period and out-of-stock refusals arrive as the form's error (409).
    let form: Vec<(String, String)> =
        doc(&[("milk", "9", "")], "post").into_iter().map(|(k, v)| if k == "kind" { (k, "write_off".into()) } else { (k, v) }).collect();
    let r = p.http.post(format!("{}/documents", t.base)).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 409);
    let body = r.text().await.expect("body");
    assert!(body.contains("class=\"form-error\"") && body.contains("доступно 5"), "out of stock on the form");

    // A transfer needs its target; a count shows what was expected beside what was counted.
    let r = p.post("/warehouses", &[("_csrf", csrf), ("name", "Витрина"), ("branch", "")]).await;
    assert_eq!(r.status(), 303);
    let page = p.get("/warehouses").await.text().await.expect("body");
    let shelf = page
        .split("href=\"/warehouses/")
        .skip(1)
        .filter_map(|r| r.split('"').next())
        .find(|id| *id != warehouse)
        .expect("second warehouse")
        .to_string();
    let with = |kind: &str, extra: &[(&str, &str)], q: &'static str| -> Vec<(String, String)> {
        let mut form: Vec<(String, String)> =
            doc(&[("milk", q, "")], "post").into_iter().map(|(k, v)| if k == "kind" { (k, kind.to_string()) } else { (k, v) }).collect();
        form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        form
    };
    let r = p.http.post(format!("{}/documents", t.base)).form(&with("transfer", &[], "2")).send().await.expect("post");
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("body").contains("id=\"e-to_warehouse\""), "the target warehouse is asked for");
    let r =
        p.http.post(format!("{}/documents", t.base)).form(&with("transfer", &[("to_warehouse", &shelf)], "2")).send().await.expect("post");
    assert_eq!(r.status(), 303);
    let r = p.http.post(format!("{}/documents", t.base)).form(&with("count", &[], "2")).send().await.expect("post");
    let count = id_after(location(&r), "/documents/").to_string();
    let page = p.get(&format!("/documents/{count}")).await.text().await.expect("body");
    assert!(page.contains("ИН-000001") && page.contains("По учёту") && page.contains("Посчитано"), "count columns");
    let row = page.split("<tbody>").nth(1).and_then(|b| b.split("</tr>").next()).expect("count row");
    assert!(row.contains(">3 шт<") && row.contains(">2 шт<") && row.contains(">-1<"), "expected 3, counted 2: {row}");

    let r = p.post("/stock/settings", &[("_csrf", csrf), ("locked_until", "2026-12-31")]).await;
    assert_eq!(location(&r), "/stock/settings?ok=stock_settings_saved");
    let r = p.post(&format!("/documents/{draft}/cancel"), &[("_csrf", csrf)]).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.expect("body").contains("Период закрыт"), "period closed shown on the document");
    let r = p.post("/stock/settings", &[("_csrf", csrf), ("locked_until", "31.12.2026")]).await;
    assert_eq!(r.status(), 422, "a bad date is a field message");

    // Deleting a product with movements is refused with the reason; a fresh one goes.
    let r = p.post(&format!("/products/{milk}/delete"), &[("_csrf", csrf)]).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.expect("body").contains("есть движения"));
    let r = p.post("/products", &[("_csrf", csrf), ("name", "Лишний"), ("kind", "service"), ("price", "10")]).await;
    let spare = id_after(location(&r), "/products/").to_string();
    let r = p.post(&format!("/products/{spare}/delete"), &[("_csrf", csrf)]).await;
    assert_eq!(location(&r), "/products?ok=product_deleted");

    // The typeahead's partial and the picker answer with fragments, not pages.
    drain(&t).await;
    let r = p.get("/products/search?q=%D0%BC%D0%B0%D0%BB%D0%BE%D0%BA%D0%BE").await;
    let body = r.text().await.expect("body");
    assert!(body.contains(MILK) && !body.contains("<html"), "{body}");
    let body = p.get("/products/pick?line_name=4600682000358").await.text().await.expect("body");
    assert!(body.contains(&format!("data-pick=\"{milk}\"")) && body.contains("data-cost=\"85.00\""), "{body}");

    // Filling from the shared catalogue: the milk taught it its barcode; a second company
    // gets the name and unit from it, and the barcode is refused in the first one.
    let body = p.get("/products/new?barcode=4600682000358").await.text().await.expect("body");
    assert!(body.contains("id=\"lookup-message\"") && body.contains(&format!("href=\"/products/{milk}\"")), "already ours");

    // A storekeeper with only the products right sees the catalog, not the stock documents.
    let api = t.login("owner@plain.kg", "owner-pass-1").await;
    let (_, role) = t.post(&api, "/api/v1/roles", json!({"name": "Товаровед", "permissions": ["dashboard", "products"]})).await;
    let (_, branches) = t.get(&api, "/api/v1/branches").await;
    let user = json!({"email": "goods@plain.kg", "name": "Товаровед", "role": "staff", "custom_role": role["id"], "branches": [branches[0]["id"]], "password": "goods-pass-1"});
    let (status, body) = t.post(&api, "/api/v1/users", user).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let staff = Plain::new(&t);
    sign_in(&staff, "goods@plain.kg", "goods-pass-1").await;
    let page = staff.get("/products").await.text().await.expect("body");
    assert!(page.contains("href=\"/products\"") && !page.contains("href=\"/documents\"") && !page.contains("href=\"/warehouses\""), "nav");
    for path in ["/stock/settings", "/warehouses", "/documents/new?kind=receipt", "/categories/1"] {
        assert_eq!(staff.get(path).await.status(), 403, "{path}");
    }
    assert_eq!(staff.get(&format!("/products/{milk}")).await.status(), 200, "the card is readable");

    // The pages speak English too.
    let r = p.post("/lang", &[("_csrf", csrf), ("lang", "en"), ("back", "/products")]).await;
    assert_eq!(location(&r), "/products");
    let page = p.get(&format!("/documents/{count}")).await.text().await.expect("body");
    assert!(page.contains("Stock count") && page.contains("Expected") && page.contains("Counted"), "English document page");

    t.company("Второй", "owner@second.kg", "owner-pass-2").await;
    let other = Plain::new(&t);
    sign_in(&other, "owner@second.kg", "owner-pass-2").await;
    let body = other.get("/products/new?barcode=4600682000358").await.text().await.expect("body");
    assert!(
        body.contains(&format!("value=\"{MILK}\"")) && body.contains("Заполнено из общего каталога"),
        "filled from the shared catalogue"
    );
    t.assert_consistent();
}
