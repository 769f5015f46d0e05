//! Tenant isolation, by construction and tested: two companies, and every route of one
//! tried with the other's ids. Later capabilities add their routes to `ROUTES` (and their
//! record kinds to `Kind`) so every endpoint joins this check.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Client, TestApp};

/// Which record of the other company a route's `{id}` is filled with.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Branch,
    User,
    Role,
    Product,
    Warehouse,
    Document,
    Category,
    Brand,
    Webhook,
    CashBox,
    Shift,
    Sale,
    CashFlow,
    /// A client record (clients module).
    Customer,
    Deal,
    Import,
    Printer,
    /// A product image; `{product}` in the path is the other company's product.
    Image,
    PromoRule,
    /// A purchase (purchasing module).
    Purchase,
    /// A client of the supplier kind.
    Supplier,
    /// A bank account (finance module).
    BankAccount,
    /// A money document (finance module).
    MoneyDoc,
}

pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub kind: Kind,
    /// A body valid in shape, so only the id decides the outcome.
    pub body: fn() -> Option<Value>,
}

fn none() -> Option<Value> {
    None
}

fn branch_body() -> Option<Value> {
    Some(json!({"name": "Чужой филиал"}))
}

fn user_body() -> Option<Value> {
    Some(json!({"email": "x@y.kg", "name": "X", "branches": []}))
}

fn role_body() -> Option<Value> {
    Some(json!({"name": "Чужая роль", "permissions": []}))
}

fn product_body() -> Option<Value> {
    Some(json!({"name": "Чужой товар"}))
}

fn move_body() -> Option<Value> {
    Some(json!({"position": 0}))
}

fn named_body() -> Option<Value> {
    Some(json!({"name": "Чужое имя"}))
}

fn webhook_body() -> Option<Value> {
    Some(json!({"url": "https://example.invalid/hook", "events": ["stock.changed"]}))
}

fn document_body() -> Option<Value> {
    Some(json!({"kind": "write_off", "warehouse": 1, "lines": []}))
}

fn close_body() -> Option<Value> {
    Some(json!({"closing_cash": "0"}))
}

fn customer_body() -> Option<Value> {
    Some(json!({"name": "Чужой клиент"}))
}

fn debt_payment_body() -> Option<Value> {
    Some(json!({"idempotency_key": "isolation", "amount": "1", "method": "card"}))
}

fn manual_debt_body() -> Option<Value> {
    Some(json!({"amount": "1"}))
}

fn deal_body() -> Option<Value> {
    Some(json!({"kind": "debt", "amount": "100", "months": 2}))
}

fn deal_pay_body() -> Option<Value> {
    Some(json!({"idempotency_key": "isolation"}))
}

fn confirm_body() -> Option<Value> {
    Some(json!({"skip_invalid": true}))
}

fn printer_body() -> Option<Value> {
    Some(
        json!({"name": "Чужой принтер", "transport": "tcp", "address": "127.0.0.1:9", "model": "epson", "code_page": "pc866", "width": "58"}),
    )
}

fn promo_body() -> Option<Value> {
    Some(json!({"name": "Чужая акция", "min_qty": 1, "gift_qty": 1}))
}

fn return_body() -> Option<Value> {
    Some(json!({"idempotency_key": "isolation"}))
}

fn purchase_body() -> Option<Value> {
    Some(json!({"supplier": 1, "warehouse": 1, "lines": []}))
}

fn purchase_return_body() -> Option<Value> {
    Some(json!({"lines": [{"line": 0, "qty": "1"}]}))
}

fn supplier_payment_body() -> Option<Value> {
    Some(json!({"idempotency_key": "isolation", "amount": "1", "account": "box:1"}))
}

fn bank_body() -> Option<Value> {
    Some(json!({"name": "Чужой счёт"}))
}

fn decide_body() -> Option<Value> {
    Some(json!({}))
}

fn link_body() -> Option<Value> {
    Some(json!({"document": 1}))
}

pub const ROUTES: &[Route] = &[
    Route { method: Method::GET, path: "/api/v1/branches/{id}", kind: Kind::Branch, body: none },
    Route { method: Method::PUT, path: "/api/v1/branches/{id}", kind: Kind::Branch, body: branch_body },
    Route { method: Method::GET, path: "/api/v1/users/{id}", kind: Kind::User, body: none },
    Route { method: Method::PUT, path: "/api/v1/users/{id}", kind: Kind::User, body: user_body },
    Route { method: Method::POST, path: "/api/v1/users/{id}/deactivate", kind: Kind::User, body: none },
    Route { method: Method::POST, path: "/api/v1/users/{id}/activate", kind: Kind::User, body: none },
    Route { method: Method::POST, path: "/api/v1/users/{id}/invite", kind: Kind::User, body: none },
    Route { method: Method::GET, path: "/api/v1/roles/{id}", kind: Kind::Role, body: none },
    Route { method: Method::PUT, path: "/api/v1/roles/{id}", kind: Kind::Role, body: role_body },
    Route { method: Method::DELETE, path: "/api/v1/roles/{id}", kind: Kind::Role, body: none },
    Route { method: Method::GET, path: "/api/v1/products/{id}", kind: Kind::Product, body: none },
    Route { method: Method::PUT, path: "/api/v1/products/{id}", kind: Kind::Product, body: product_body },
    Route { method: Method::DELETE, path: "/api/v1/products/{id}", kind: Kind::Product, body: none },
    Route { method: Method::POST, path: "/api/v1/products/{id}/archive", kind: Kind::Product, body: none },
    Route { method: Method::POST, path: "/api/v1/products/{id}/restore", kind: Kind::Product, body: none },
    Route { method: Method::GET, path: "/api/v1/products/{id}/stock", kind: Kind::Product, body: none },
    Route { method: Method::GET, path: "/api/v1/products/{id}/images", kind: Kind::Product, body: none },
    Route { method: Method::POST, path: "/api/v1/products/{id}/images", kind: Kind::Product, body: none },
    Route { method: Method::GET, path: "/api/v1/products/{product}/images/{id}/320.jpg", kind: Kind::Image, body: none },
    Route { method: Method::POST, path: "/api/v1/products/{product}/images/{id}/move", kind: Kind::Image, body: move_body },
    Route { method: Method::DELETE, path: "/api/v1/products/{product}/images/{id}", kind: Kind::Image, body: none },
    Route { method: Method::PUT, path: "/api/v1/warehouses/{id}", kind: Kind::Warehouse, body: named_body },
    Route { method: Method::GET, path: "/api/v1/stock?warehouse={id}", kind: Kind::Warehouse, body: none },
    Route { method: Method::GET, path: "/api/v1/stock/export.xlsx?warehouse={id}", kind: Kind::Warehouse, body: none },
    Route { method: Method::GET, path: "/api/v1/stock/journal?warehouse={id}", kind: Kind::Warehouse, body: none },
    Route { method: Method::GET, path: "/api/v1/stock/journal?product={id}", kind: Kind::Product, body: none },
    Route { method: Method::GET, path: "/api/v1/stock/journal.xlsx?product={id}", kind: Kind::Product, body: none },
    Route {
        method: Method::GET,
        path: "/api/v1/stock/turnover?warehouse={id}&from=2026-01-01&to=2026-12-31",
        kind: Kind::Warehouse,
        body: none,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/stock/turnover?category={id}&from=2026-01-01&to=2026-12-31",
        kind: Kind::Category,
        body: none,
    },
    Route {
        method: Method::GET,
        path: "/api/v1/stock/turnover.xlsx?warehouse={id}&from=2026-01-01&to=2026-12-31",
        kind: Kind::Warehouse,
        body: none,
    },
    Route { method: Method::GET, path: "/api/v1/documents/{id}", kind: Kind::Document, body: none },
    Route { method: Method::PUT, path: "/api/v1/documents/{id}", kind: Kind::Document, body: document_body },
    Route { method: Method::DELETE, path: "/api/v1/documents/{id}", kind: Kind::Document, body: none },
    Route { method: Method::POST, path: "/api/v1/documents/{id}/post", kind: Kind::Document, body: none },
    Route { method: Method::POST, path: "/api/v1/documents/{id}/cancel", kind: Kind::Document, body: none },
    Route { method: Method::PUT, path: "/api/v1/categories/{id}", kind: Kind::Category, body: named_body },
    Route { method: Method::PUT, path: "/api/v1/brands/{id}", kind: Kind::Brand, body: named_body },
    Route { method: Method::PUT, path: "/api/v1/webhooks/{id}", kind: Kind::Webhook, body: webhook_body },
    Route { method: Method::DELETE, path: "/api/v1/webhooks/{id}", kind: Kind::Webhook, body: none },
    Route { method: Method::GET, path: "/api/v1/webhooks/{id}/deliveries", kind: Kind::Webhook, body: none },
    Route { method: Method::PUT, path: "/api/v1/cash-boxes/{id}", kind: Kind::CashBox, body: named_body },
    Route { method: Method::GET, path: "/api/v1/pos/cart?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/shifts/{id}", kind: Kind::Shift, body: none },
    Route { method: Method::GET, path: "/api/v1/shifts/{id}/cash", kind: Kind::Shift, body: none },
    Route { method: Method::POST, path: "/api/v1/shifts/{id}/close", kind: Kind::Shift, body: close_body },
    Route { method: Method::GET, path: "/api/v1/sales/{id}", kind: Kind::Sale, body: none },
    Route { method: Method::GET, path: "/api/v1/sales/{id}/returns", kind: Kind::Sale, body: none },
    Route { method: Method::POST, path: "/api/v1/sales/{id}/returns", kind: Kind::Sale, body: return_body },
    Route { method: Method::POST, path: "/api/v1/cash-flows/{id}/approve", kind: Kind::CashFlow, body: none },
    Route { method: Method::POST, path: "/api/v1/cash-flows/{id}/reject", kind: Kind::CashFlow, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/sales?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/sales?branch={id}", kind: Kind::Branch, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/sales?cashier={id}", kind: Kind::User, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/stock?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/stock?branch={id}", kind: Kind::Branch, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/stock?cashier={id}", kind: Kind::User, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/stock/export.xlsx?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/cash_boxes?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/cash_boxes?branch={id}", kind: Kind::Branch, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/cash_boxes?cashier={id}", kind: Kind::User, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/cash_boxes/export.xlsx?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/shifts?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/shifts?branch={id}", kind: Kind::Branch, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/shifts?cashier={id}", kind: Kind::User, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/shifts/export.xlsx?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/products?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/products?branch={id}", kind: Kind::Branch, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/products?cashier={id}", kind: Kind::User, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/products/export.xlsx?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/users?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/users?branch={id}", kind: Kind::Branch, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/users?cashier={id}", kind: Kind::User, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/users/export.xlsx?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/finance?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/finance?branch={id}", kind: Kind::Branch, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/finance/export.xlsx?cash_box={id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/stock?warehouse={id}", kind: Kind::Warehouse, body: none },
    Route { method: Method::GET, path: "/api/v1/analytics/stock/export.xlsx?warehouse={id}", kind: Kind::Warehouse, body: none },
    Route { method: Method::GET, path: "/api/v1/clients/{id}", kind: Kind::Customer, body: none },
    Route { method: Method::PUT, path: "/api/v1/clients/{id}", kind: Kind::Customer, body: customer_body },
    Route { method: Method::DELETE, path: "/api/v1/clients/{id}", kind: Kind::Customer, body: none },
    Route { method: Method::POST, path: "/api/v1/clients/{id}/archive", kind: Kind::Customer, body: none },
    Route { method: Method::POST, path: "/api/v1/clients/{id}/restore", kind: Kind::Customer, body: none },
    Route { method: Method::GET, path: "/api/v1/clients/{id}/sales", kind: Kind::Customer, body: none },
    Route { method: Method::GET, path: "/api/v1/clients/{id}/debts", kind: Kind::Customer, body: none },
    Route { method: Method::POST, path: "/api/v1/clients/{id}/debts", kind: Kind::Customer, body: manual_debt_body },
    Route { method: Method::POST, path: "/api/v1/clients/{id}/debts/payments", kind: Kind::Customer, body: debt_payment_body },
    Route { method: Method::GET, path: "/api/v1/clients/{id}/deals", kind: Kind::Customer, body: none },
    Route { method: Method::POST, path: "/api/v1/clients/{id}/deals", kind: Kind::Customer, body: deal_body },
    Route { method: Method::GET, path: "/api/v1/clients/{id}/statement", kind: Kind::Customer, body: none },
    Route { method: Method::GET, path: "/api/v1/clients/{id}/statement.pdf", kind: Kind::Customer, body: none },
    Route { method: Method::GET, path: "/api/v1/deals/{id}", kind: Kind::Deal, body: none },
    Route { method: Method::PUT, path: "/api/v1/deals/{id}", kind: Kind::Deal, body: deal_body },
    Route { method: Method::POST, path: "/api/v1/deals/{id}/pay", kind: Kind::Deal, body: deal_pay_body },
    Route { method: Method::POST, path: "/api/v1/deals/{id}/refund", kind: Kind::Deal, body: deal_pay_body },
    Route { method: Method::GET, path: "/api/v1/imports/{id}", kind: Kind::Import, body: none },
    Route { method: Method::GET, path: "/api/v1/imports/{id}/rows", kind: Kind::Import, body: none },
    Route { method: Method::POST, path: "/api/v1/imports/{id}/confirm", kind: Kind::Import, body: confirm_body },
    Route { method: Method::DELETE, path: "/api/v1/imports/{id}", kind: Kind::Import, body: none },
    Route { method: Method::POST, path: "/api/v1/sales/{id}/reprint", kind: Kind::Sale, body: none },
    Route { method: Method::GET, path: "/api/v1/sales/{id}/receipt", kind: Kind::Sale, body: none },
    Route { method: Method::GET, path: "/api/v1/sales/{id}/receipt.png", kind: Kind::Sale, body: none },
    Route { method: Method::GET, path: "/api/v1/printers/{id}", kind: Kind::Printer, body: none },
    Route { method: Method::PUT, path: "/api/v1/printers/{id}", kind: Kind::Printer, body: printer_body },
    Route { method: Method::POST, path: "/api/v1/printers/{id}/test", kind: Kind::Printer, body: none },
    Route { method: Method::GET, path: "/api/v1/printers/{id}/queue", kind: Kind::Printer, body: none },
    Route { method: Method::DELETE, path: "/api/v1/printers/{id}/queue", kind: Kind::Printer, body: none },
    Route { method: Method::GET, path: "/api/v1/promo-rules/{id}", kind: Kind::PromoRule, body: none },
    Route { method: Method::PUT, path: "/api/v1/promo-rules/{id}", kind: Kind::PromoRule, body: promo_body },
    Route { method: Method::DELETE, path: "/api/v1/promo-rules/{id}", kind: Kind::PromoRule, body: none },
    Route { method: Method::GET, path: "/api/v1/purchases/{id}", kind: Kind::Purchase, body: none },
    Route { method: Method::PUT, path: "/api/v1/purchases/{id}", kind: Kind::Purchase, body: purchase_body },
    Route { method: Method::DELETE, path: "/api/v1/purchases/{id}", kind: Kind::Purchase, body: none },
    Route { method: Method::POST, path: "/api/v1/purchases/{id}/post", kind: Kind::Purchase, body: none },
    Route { method: Method::POST, path: "/api/v1/purchases/{id}/cancel", kind: Kind::Purchase, body: none },
    Route { method: Method::POST, path: "/api/v1/purchases/{id}/returns", kind: Kind::Purchase, body: purchase_return_body },
    Route { method: Method::GET, path: "/api/v1/suppliers/{id}", kind: Kind::Supplier, body: none },
    Route { method: Method::POST, path: "/api/v1/suppliers/{id}/payments", kind: Kind::Supplier, body: supplier_payment_body },
    Route { method: Method::GET, path: "/api/v1/suppliers/{id}/act", kind: Kind::Supplier, body: none },
    Route { method: Method::GET, path: "/api/v1/suppliers/{id}/act.pdf", kind: Kind::Supplier, body: none },
    Route { method: Method::POST, path: "/api/v1/suppliers/{id}/documents", kind: Kind::Supplier, body: link_body },
    Route { method: Method::GET, path: "/api/v1/finance/bank-accounts/{id}", kind: Kind::BankAccount, body: none },
    Route { method: Method::PUT, path: "/api/v1/finance/bank-accounts/{id}", kind: Kind::BankAccount, body: bank_body },
    Route { method: Method::GET, path: "/api/v1/finance/ledger?account=bank:{id}", kind: Kind::BankAccount, body: none },
    Route { method: Method::GET, path: "/api/v1/finance/ledger?account=box:{id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/finance/cash-boxes/{id}/summary", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/finance/docs/{id}", kind: Kind::MoneyDoc, body: none },
    Route { method: Method::POST, path: "/api/v1/finance/docs/{id}/approve", kind: Kind::MoneyDoc, body: decide_body },
    Route { method: Method::POST, path: "/api/v1/finance/docs/{id}/reject", kind: Kind::MoneyDoc, body: decide_body },
    Route { method: Method::POST, path: "/api/v1/finance/docs/{id}/reverse", kind: Kind::MoneyDoc, body: decide_body },
];

/// Records of one company, created through the API.
pub struct Fixture {
    pub client: Client,
    pub branch: u64,
    pub user: u64,
    pub role: u64,
    pub product: u64,
    pub warehouse: u64,
    pub document: u64,
    pub category: u64,
    pub brand: u64,
    pub webhook: u64,
    pub cash_box: u64,
    pub shift: u64,
    pub sale: u64,
    pub cash_flow: u64,
    pub customer: u64,
    pub deal: u64,
    pub import: u64,
    pub printer: u64,
    pub image: u64,
    pub promo: u64,
    pub purchase: u64,
    pub supplier: u64,
    pub bank_account: u64,
    pub money_doc: u64,
}

pub async fn fixture(t: &TestApp, name: &str, email: &str) -> Fixture {
    t.company(name, email, "password-123").await;
    let client = t.login(email, "password-123").await;
    let (s, b) = t.post(&client, "/api/v1/branches", json!({"name": format!("{name} — склад")})).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, r) = t.post(&client, "/api/v1/roles", json!({"name": "Кассир зала", "permissions": ["sale", "dashboard"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{r}");
    let (s, u) = t
        .post(
            &client,
            "/api/v1/users",
            json!({"email": format!("staff.{email}"), "name": "Айгуль", "role": "staff", "custom_role": r["id"], "branches": [b["id"]], "password": "password-456"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{u}");
    let (_, cat) = t.post(&client, "/api/v1/categories", json!({"name": "Молочные продукты"})).await;
    let (_, brand) = t.post(&client, "/api/v1/brands", json!({"name": "Простоквашино"})).await;
    let (s, p) =
        t.post(&client, "/api/v1/products", json!({"name": "Кефир", "category": cat["id"], "brand": brand["id"], "price": "60"})).await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (_, w) = t.post(&client, "/api/v1/warehouses", json!({"name": "Склад"})).await;
    let (s, d) = t
        .post(
            &client,
            "/api/v1/documents",
            json!({"kind": "receipt", "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "5", "cost": "40"}], "post": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{d}");
    let (_, hook) = t.post(&client, "/api/v1/webhooks", json!({"url": "http://192.168.0.9:9/hook", "events": ["stock.changed"]})).await;
    let (s, cb) = t.post(&client, "/api/v1/cash-boxes", json!({"name": "Касса", "warehouse": w["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{cb}");
    let (s, shift) = t.post(&client, "/api/v1/shifts", json!({"cash_box": cb["id"], "opening_cash": "100"})).await;
    assert_eq!(s, StatusCode::CREATED, "{shift}");
    let (s, sale) = t
        .post(
            &client,
            "/api/v1/sales",
            json!({"idempotency_key": "fixture", "cash_box": cb["id"], "lines": [{"product": p["id"]}], "payments": [{"method": "cash", "amount": "60"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sale}");
    let (s, flow) =
        t.post(&client, "/api/v1/cash-flows", json!({"cash_box": cb["id"], "kind": "in", "amount": "10", "reason": "Размен"})).await;
    assert_eq!(s, StatusCode::CREATED, "{flow}");
    let (s, customer) = t.post(&client, "/api/v1/clients", json!({"name": "Асель Токтогулова", "phone": "0555 123 456"})).await;
    assert_eq!(s, StatusCode::CREATED, "{customer}");
    let customer = customer["client"]["id"].as_u64().expect("id");
    let (s, deal) =
        t.post(&client, &format!("/api/v1/clients/{customer}/deals"), json!({"kind": "debt", "amount": "300", "months": 3})).await;
    assert_eq!(s, StatusCode::CREATED, "{deal}");
    let upload = t
        .http
        .post(t.url("/api/v1/imports?file_name=isolation.csv"))
        .bearer_auth(&client.token)
        .body("Название;Цена\nЧужой импорт;10\n")
        .send()
        .await
        .expect("upload");
    assert_eq!(upload.status(), StatusCode::CREATED);
    let import: Value = upload.json().await.expect("import json");
    let mut pbody = printer_body().expect("body");
    pbody["name"] = json!("Чековый");
    let (s, printer) = t.post(&client, "/api/v1/printers", pbody).await;
    assert_eq!(s, StatusCode::CREATED, "{printer}");
    let upload = t
        .http
        .post(t.url(&format!("/api/v1/products/{}/images", p["id"])))
        .bearer_auth(&client.token)
        .body(crate::images::png(40, 30))
        .send()
        .await
        .expect("upload image");
    assert_eq!(upload.status(), StatusCode::CREATED);
    let image: Value = upload.json().await.expect("image json");
    let (s, promo) = t
        .post(&client, "/api/v1/promo-rules", json!({"name": "5+1", "scope": "product", "target": p["id"], "min_qty": 5, "gift_qty": 1}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{promo}");
    let (s, sup) = t.post(&client, "/api/v1/clients", json!({"kind": "supplier", "name": "Поставщик молока"})).await;
    assert_eq!(s, StatusCode::CREATED, "{sup}");
    let supplier = sup["client"]["id"].as_u64().expect("id");
    let (s, purchase) = t
        .post(
            &client,
            "/api/v1/purchases",
            json!({"supplier": supplier, "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "2", "price": "40"}], "post": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{purchase}");
    let (s, bank) = t.post(&client, "/api/v1/finance/bank-accounts", json!({"name": format!("{name} — банк")})).await;
    assert_eq!(s, StatusCode::CREATED, "{bank}");
    let (s, money_doc) = t
        .post(
            &client,
            "/api/v1/finance/docs",
            json!({"idempotency_key": "fixture", "kind": "income", "account": format!("bank:{}", bank["id"]), "amount": "100", "category": "other"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{money_doc}");
    let id = |v: &Value| v["id"].as_u64().expect("id");
    Fixture {
        bank_account: id(&bank),
        money_doc: id(&money_doc),
        purchase: id(&purchase),
        supplier,
        promo: id(&promo),
        image: id(&image),
        customer,
        deal: id(&deal),
        import: id(&import),
        cash_box: id(&cb),
        shift: id(&shift),
        sale: id(&sale),
        cash_flow: id(&flow),
        printer: id(&printer),
        branch: id(&b),
        user: u["user"]["id"].as_u64().expect("id"),
        role: id(&r),
        product: id(&p),
        warehouse: id(&w),
        document: id(&d),
        category: id(&cat),
        brand: id(&brand),
        webhook: id(&hook),
        client,
    }
}

/// Every route of `ROUTES`, called by `a` with `b`'s ids, answers 404 exactly like a missing
/// record; afterwards `b`'s records are unchanged and `a`'s lists do not show them.
pub async fn assert_isolated(t: &TestApp, a: &Fixture, b: &Fixture) {
    for route in ROUTES {
        let id = match route.kind {
            Kind::Branch => b.branch,
            Kind::User => b.user,
            Kind::Role => b.role,
            Kind::Product => b.product,
            Kind::Warehouse => b.warehouse,
            Kind::Document => b.document,
            Kind::Category => b.category,
            Kind::Brand => b.brand,
            Kind::PromoRule => b.promo,
            Kind::Webhook => b.webhook,
            Kind::CashBox => b.cash_box,
            Kind::Shift => b.shift,
            Kind::Sale => b.sale,
            Kind::CashFlow => b.cash_flow,
            Kind::Customer => b.customer,
            Kind::Deal => b.deal,
            Kind::Import => b.import,
            Kind::Printer => b.printer,
            Kind::Image => b.image,
            Kind::Purchase => b.purchase,
            Kind::Supplier => b.supplier,
            Kind::BankAccount => b.bank_account,
            Kind::MoneyDoc => b.money_doc,
        };
        let path = route.path.replace("{id}", &id.to_string()).replace("{product}", &b.product.to_string());
        let (status, body) = t.call(route.method.clone(), &path, Some(&a.client.token), (route.body)()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{} {path} with another company's id: {body}", route.method);
        assert_eq!(body["code"], "not_found");
        let missing = route.path.replace("{id}", "999999999").replace("{product}", &b.product.to_string());
        let (status_missing, _) = t.call(route.method.clone(), &missing, Some(&a.client.token), (route.body)()).await;
        assert_eq!(status_missing, status, "{} {}: foreign and missing ids must look the same", route.method, route.path);
    }
    for (list, id) in [
        ("/api/v1/branches", b.branch),
        ("/api/v1/users", b.user),
        ("/api/v1/roles", b.role),
        ("/api/v1/products", b.product),
        ("/api/v1/warehouses", b.warehouse),
        ("/api/v1/documents", b.document),
        ("/api/v1/categories", b.category),
        ("/api/v1/brands", b.brand),
        ("/api/v1/webhooks", b.webhook),
        ("/api/v1/cash-boxes", b.cash_box),
        ("/api/v1/shifts", b.shift),
        ("/api/v1/sales", b.sale),
        ("/api/v1/cash-flows", b.cash_flow),
        ("/api/v1/clients", b.customer),
        ("/api/v1/clients?q=асель", b.customer),
        ("/api/v1/imports", b.import),
        ("/api/v1/printers", b.printer),
        ("/api/v1/promo-rules", b.promo),
        ("/api/v1/purchases", b.purchase),
    ] {
        let (_, items) = t.get(&a.client, list).await;
        let items = if items.get("items").is_some() { items["items"].clone() } else { items };
        let ids: Vec<u64> = items.as_array().expect("list").iter().filter_map(|i| i["id"].as_u64()).collect();
        assert!(!ids.contains(&id), "{list} of one company shows another's record {id}");
    }
    for scope in ["product", "brand", "category"] {
        let target = match scope {
            "product" => b.product,
            "brand" => b.brand,
            _ => b.category,
        };
        let body = json!({"name": "Чужой охват", "scope": scope, "target": target, "min_qty": 1, "gift_qty": 1});
        let (s, e) = t.post(&a.client, "/api/v1/promo-rules", body).await;
        assert_eq!(
            (s, e["errors"][0]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown")),
            "a promo rule on another company's {scope}: {e}"
        );
    }
    let (s, u) = t.get(&b.client, &format!("/api/v1/users/{}", b.user)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u["active"], true, "the other company's user was not deactivated");
    let (_, audit) = t.get(&a.client, "/api/v1/audit?limit=500").await;
    let targets: Vec<String> =
        audit["items"].as_array().expect("items").iter().map(|i| i["target"].as_str().unwrap_or("").to_string()).collect();
    assert!(!targets.contains(&format!("user:{}", b.user)), "one company's audit log shows another's records");
}

#[tokio::test]
async fn another_companys_records_are_not_found_on_every_route() {
    let t = TestApp::spawn().await;
    let a = fixture(&t, "Ала-Тоо", "owner@alatoo.kg").await;
    let b = fixture(&t, "Бишкек Маркет", "owner@bm.kg").await;
    assert_isolated(&t, &a, &b).await;
    assert_isolated(&t, &b, &a).await;
    t.assert_consistent();
}

#[tokio::test]
async fn a_user_cannot_join_another_companys_branch_or_role() {
    let t = TestApp::spawn().await;
    let a = fixture(&t, "Ала-Тоо", "owner@alatoo.kg").await;
    let b = fixture(&t, "Бишкек Маркет", "owner@bm.kg").await;
    let (s, body) = t
        .post(
            &a.client,
            "/api/v1/users",
            json!({"email": "new@alatoo.kg", "name": "Нурлан", "custom_role": b.role, "branches": [b.branch], "password": "password-789"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    assert!(fields.contains(&"branches") && fields.contains(&"custom_role"), "{body}");
    // The API's branch header cannot pick another company's branch either.
    let (s, _) = t.call(Method::GET, "/api/v1/me", Some(&a.client.token), None).await;
    assert_eq!(s, StatusCode::OK);
    let resp = t
        .http
        .get(t.url("/api/v1/me"))
        .bearer_auth(&a.client.token)
        .header("X-Dukan-Branch", b.branch.to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}
