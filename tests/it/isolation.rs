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
    // CRM (issue 17).
    CrmPipeline,
    CrmDeal,
    CrmTask,
    CrmContact,
    // Field agents (issue 12).
    /// A user holding the agent permission.
    Agent,
    /// An agent's lot (accepted in part, so it is still open).
    Lot,
    AgentReturn,
    AgentSale,
    AgentRequest,
    /// A bank account (finance module).
    BankAccount,
    /// A money document (finance module).
    MoneyDoc,
    // CRM orders (issue 17, second slice).
    CrmOrder,
    // Telecom desk (issue 13).
    TelSubscriber,
    TelSim,
    TelTariff,
    TelContract,
    TelTicket,
    // Duplicate clients (issue 17, crm3).
    ClientMerge,
    // Label scales (issue 15).
    LabelScale,
    // The CRM calendar (issue 17, calendar): a resource, and a daily series on it.
    CalResource,
    CalEvent,
    // Files on the client card (issue 17, attachments).
    CrmAttachment,
    // Documents from templates over JSON (issue 17, tmpl API): a template and a deal's document.
    CrmTemplate,
    CrmDocument,
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

fn label_scale_body() -> Option<Value> {
    Some(json!({"name": "Чужие весы", "link": "agent"}))
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

fn crm_pipeline_body() -> Option<Value> {
    Some(
        json!({"name": "Чужая", "stages": [{"name": "А", "probability": 10}, {"name": "Б", "kind": "won"}, {"name": "В", "kind": "lost"}]}),
    )
}

fn crm_deal_body() -> Option<Value> {
    Some(json!({"title": "Чужая сделка"}))
}

fn crm_move_body() -> Option<Value> {
    Some(json!({"stage": 1}))
}

fn crm_task_body() -> Option<Value> {
    Some(json!({"title": "Чужая задача", "due": "2026-03-02"}))
}

fn crm_status_body() -> Option<Value> {
    Some(json!({"status": "done"}))
}

fn crm_review_body() -> Option<Value> {
    Some(json!({"rating": 5, "text": "Чужой отзыв"}))
}

fn crm_contact_body() -> Option<Value> {
    Some(json!({"name": "Чужой контакт"}))
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
    // Scales (the scale routes themselves are checked in `scales.rs`, with scales on simulators).
    Route { method: Method::GET, path: "/api/v1/sales/{id}/weights", kind: Kind::Sale, body: none },
    // CRM (issue 17).
    Route { method: Method::GET, path: "/api/v1/crm/pipelines/{id}", kind: Kind::CrmPipeline, body: none },
    Route { method: Method::PUT, path: "/api/v1/crm/pipelines/{id}", kind: Kind::CrmPipeline, body: crm_pipeline_body },
    Route { method: Method::GET, path: "/api/v1/crm/board?pipeline={id}", kind: Kind::CrmPipeline, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/forecast?pipeline={id}", kind: Kind::CrmPipeline, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/deals?pipeline={id}", kind: Kind::CrmPipeline, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/deals?client={id}", kind: Kind::Customer, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/deals/{id}", kind: Kind::CrmDeal, body: none },
    Route { method: Method::PUT, path: "/api/v1/crm/deals/{id}", kind: Kind::CrmDeal, body: crm_deal_body },
    Route { method: Method::POST, path: "/api/v1/crm/deals/{id}/move", kind: Kind::CrmDeal, body: crm_move_body },
    Route { method: Method::GET, path: "/api/v1/crm/deals/{id}/tasks", kind: Kind::CrmDeal, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/tasks/{id}", kind: Kind::CrmTask, body: none },
    Route { method: Method::PUT, path: "/api/v1/crm/tasks/{id}", kind: Kind::CrmTask, body: crm_task_body },
    Route { method: Method::POST, path: "/api/v1/crm/tasks/{id}/status", kind: Kind::CrmTask, body: crm_status_body },
    Route { method: Method::GET, path: "/api/v1/crm/clients/{id}/contacts", kind: Kind::Customer, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/clients/{id}/contacts", kind: Kind::Customer, body: crm_contact_body },
    Route { method: Method::GET, path: "/api/v1/crm/clients/{id}/timeline", kind: Kind::Customer, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/contacts/{id}", kind: Kind::CrmContact, body: none },
    Route { method: Method::PUT, path: "/api/v1/crm/contacts/{id}", kind: Kind::CrmContact, body: crm_contact_body },
    Route { method: Method::DELETE, path: "/api/v1/crm/contacts/{id}", kind: Kind::CrmContact, body: none },
    // CRM orders (issue 17, second slice).
    Route { method: Method::GET, path: "/api/v1/crm/orders/{id}", kind: Kind::CrmOrder, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/orders/{id}/confirm", kind: Kind::CrmOrder, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/orders/{id}/cancel", kind: Kind::CrmOrder, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/orders/{id}/complete", kind: Kind::CrmOrder, body: crm_complete_body },
    // CRM reviews.
    Route { method: Method::GET, path: "/api/v1/crm/clients/{id}/reviews", kind: Kind::Customer, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/clients/{id}/reviews", kind: Kind::Customer, body: crm_review_body },
    Route { method: Method::GET, path: "/api/v1/crm/orders/{id}/reviews", kind: Kind::CrmOrder, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/orders/{id}/reviews", kind: Kind::CrmOrder, body: crm_review_body },
    Route { method: Method::GET, path: "/api/v1/crm/orders?client={id}", kind: Kind::Customer, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/orders?deal={id}", kind: Kind::CrmDeal, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/deals/{id}/order", kind: Kind::CrmDeal, body: crm_deal_order_body },
    // Field agents (issue 12): what an owner-like user calls.
    Route { method: Method::GET, path: "/api/v1/agents/goods?agent={id}", kind: Kind::Agent, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/returns?agent={id}", kind: Kind::Agent, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/sales?agent={id}", kind: Kind::Agent, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/analytics?agent={id}", kind: Kind::Agent, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/analytics.xlsx?agent={id}", kind: Kind::Agent, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/lots/{id}", kind: Kind::Lot, body: none },
    Route { method: Method::POST, path: "/api/v1/agents/lots/{id}/accept", kind: Kind::Lot, body: accept_body },
    Route { method: Method::POST, path: "/api/v1/agents/lots/{id}/cancel", kind: Kind::Lot, body: none },
    Route { method: Method::POST, path: "/api/v1/agents/returns/{id}/approve", kind: Kind::AgentReturn, body: empty_body },
    Route { method: Method::POST, path: "/api/v1/agents/returns/{id}/reject", kind: Kind::AgentReturn, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/sales/{id}", kind: Kind::AgentSale, body: none },
    Route { method: Method::POST, path: "/api/v1/agents/sales/{id}/returns", kind: Kind::AgentSale, body: agent_sale_return_body },
    Route { method: Method::GET, path: "/api/v1/agents/requests/{id}", kind: Kind::AgentRequest, body: none },
    Route { method: Method::POST, path: "/api/v1/agents/requests/{id}/approve", kind: Kind::AgentRequest, body: request_approve_body },
    Route { method: Method::POST, path: "/api/v1/agents/requests/{id}/reject", kind: Kind::AgentRequest, body: request_reject_body },
    Route { method: Method::GET, path: "/api/v1/finance/bank-accounts/{id}", kind: Kind::BankAccount, body: none },
    Route { method: Method::PUT, path: "/api/v1/finance/bank-accounts/{id}", kind: Kind::BankAccount, body: bank_body },
    Route { method: Method::GET, path: "/api/v1/finance/ledger?account=bank:{id}", kind: Kind::BankAccount, body: none },
    Route { method: Method::GET, path: "/api/v1/finance/ledger?account=box:{id}", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/finance/cash-boxes/{id}/summary", kind: Kind::CashBox, body: none },
    Route { method: Method::GET, path: "/api/v1/finance/docs/{id}", kind: Kind::MoneyDoc, body: none },
    Route { method: Method::POST, path: "/api/v1/finance/docs/{id}/approve", kind: Kind::MoneyDoc, body: decide_body },
    Route { method: Method::POST, path: "/api/v1/finance/docs/{id}/reject", kind: Kind::MoneyDoc, body: decide_body },
    Route { method: Method::POST, path: "/api/v1/finance/docs/{id}/reverse", kind: Kind::MoneyDoc, body: decide_body },
    // Labels (issue 15, second slice).
    Route { method: Method::PUT, path: "/api/v1/printers/{id}/label", kind: Kind::Printer, body: label_setup_body },
    Route { method: Method::DELETE, path: "/api/v1/printers/{id}/label", kind: Kind::Printer, body: none },
    Route { method: Method::POST, path: "/api/v1/printers/{id}/labels/shelf", kind: Kind::Printer, body: label_shelf_body },
    Route { method: Method::POST, path: "/api/v1/printers/{id}/labels/weighed", kind: Kind::Printer, body: label_weighed_body },
    // Telecom desk (issue 13).
    Route { method: Method::GET, path: "/api/v1/telecom/subscribers/{id}", kind: Kind::TelSubscriber, body: none },
    Route { method: Method::PUT, path: "/api/v1/telecom/subscribers/{id}", kind: Kind::TelSubscriber, body: tel_subscriber_body },
    Route { method: Method::POST, path: "/api/v1/telecom/subscribers/{id}/status", kind: Kind::TelSubscriber, body: tel_status_body },
    Route { method: Method::GET, path: "/api/v1/telecom/sims/{id}", kind: Kind::TelSim, body: none },
    Route { method: Method::POST, path: "/api/v1/telecom/sims/{id}/block", kind: Kind::TelSim, body: none },
    Route { method: Method::POST, path: "/api/v1/telecom/sims/{id}/unblock", kind: Kind::TelSim, body: none },
    Route { method: Method::GET, path: "/api/v1/telecom/tariffs/{id}", kind: Kind::TelTariff, body: none },
    Route { method: Method::PUT, path: "/api/v1/telecom/tariffs/{id}", kind: Kind::TelTariff, body: named_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tariffs/{id}/revisions", kind: Kind::TelTariff, body: tel_revision_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tariffs/{id}/archive", kind: Kind::TelTariff, body: none },
    Route { method: Method::POST, path: "/api/v1/telecom/tariffs/{id}/restore", kind: Kind::TelTariff, body: none },
    Route { method: Method::GET, path: "/api/v1/telecom/contracts/{id}", kind: Kind::TelContract, body: none },
    Route { method: Method::POST, path: "/api/v1/telecom/contracts/{id}/activate", kind: Kind::TelContract, body: empty_body },
    Route { method: Method::POST, path: "/api/v1/telecom/contracts/{id}/suspend", kind: Kind::TelContract, body: none },
    Route { method: Method::POST, path: "/api/v1/telecom/contracts/{id}/resume", kind: Kind::TelContract, body: none },
    Route { method: Method::POST, path: "/api/v1/telecom/contracts/{id}/terminate", kind: Kind::TelContract, body: none },
    Route { method: Method::POST, path: "/api/v1/telecom/contracts/{id}/payments", kind: Kind::TelContract, body: tel_pay_body },
    Route { method: Method::POST, path: "/api/v1/telecom/contracts/{id}/refunds", kind: Kind::TelContract, body: tel_amount_body },
    Route { method: Method::POST, path: "/api/v1/telecom/contracts/{id}/corrections", kind: Kind::TelContract, body: tel_amount_body },
    Route { method: Method::GET, path: "/api/v1/telecom/contracts/{id}/contract.pdf", kind: Kind::TelContract, body: none },
    Route { method: Method::GET, path: "/api/v1/telecom/contracts/{id}/receipts/0", kind: Kind::TelContract, body: none },
    Route { method: Method::GET, path: "/api/v1/telecom/tickets/{id}", kind: Kind::TelTicket, body: none },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/take", kind: Kind::TelTicket, body: empty_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/assign", kind: Kind::TelTicket, body: empty_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/start", kind: Kind::TelTicket, body: empty_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/wait", kind: Kind::TelTicket, body: empty_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/resolve", kind: Kind::TelTicket, body: tel_text_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/close", kind: Kind::TelTicket, body: tel_text_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/reopen", kind: Kind::TelTicket, body: tel_text_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/priority", kind: Kind::TelTicket, body: tel_priority_body },
    Route { method: Method::POST, path: "/api/v1/telecom/tickets/{id}/comment", kind: Kind::TelTicket, body: tel_text_body },
    Route { method: Method::GET, path: "/api/v1/printers/{id}/station", kind: Kind::Printer, body: none },
    Route { method: Method::PUT, path: "/api/v1/printers/{id}/station", kind: Kind::Printer, body: station_body },
    Route { method: Method::POST, path: "/api/v1/printers/{id}/station/test", kind: Kind::Printer, body: none },
    // Outgoing webhooks' secret rotation (issue 16, second slice).
    Route { method: Method::POST, path: "/api/v1/webhooks/{id}/rotate", kind: Kind::Webhook, body: none },
    // Duplicate clients (issue 17, crm3).
    Route { method: Method::POST, path: "/api/v1/crm/merges/{id}/undo", kind: Kind::ClientMerge, body: none },
    // Label scales (issue 15).
    Route { method: Method::GET, path: "/api/v1/label-scales/{id}", kind: Kind::LabelScale, body: none },
    Route { method: Method::PUT, path: "/api/v1/label-scales/{id}", kind: Kind::LabelScale, body: label_scale_body },
    Route { method: Method::POST, path: "/api/v1/label-scales/{id}/token", kind: Kind::LabelScale, body: none },
    Route { method: Method::POST, path: "/api/v1/label-scales/{id}/sync", kind: Kind::LabelScale, body: none },
    Route { method: Method::GET, path: "/api/v1/label-scales/{id}/results", kind: Kind::LabelScale, body: none },
    Route { method: Method::DELETE, path: "/api/v1/label-scales/{id}", kind: Kind::LabelScale, body: none },
    // The CRM calendar (issue 17, calendar).
    Route { method: Method::GET, path: "/api/v1/crm/calendar/resources/{id}", kind: Kind::CalResource, body: none },
    Route { method: Method::PUT, path: "/api/v1/crm/calendar/resources/{id}", kind: Kind::CalResource, body: cal_resource_body },
    Route { method: Method::GET, path: "/api/v1/crm/calendar?resource={id}", kind: Kind::CalResource, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/calendar/events/{id}", kind: Kind::CalEvent, body: none },
    Route { method: Method::PUT, path: "/api/v1/crm/calendar/events/{id}", kind: Kind::CalEvent, body: cal_event_body },
    Route {
        method: Method::PUT,
        path: "/api/v1/crm/calendar/events/{id}/occurrences/1772424000000",
        kind: Kind::CalEvent,
        body: cal_event_body,
    },
    Route {
        method: Method::POST,
        path: "/api/v1/crm/calendar/events/{id}/occurrences/1772424000000/cancel",
        kind: Kind::CalEvent,
        body: none,
    },
    Route { method: Method::GET, path: "/api/v1/crm/clients/{id}/events", kind: Kind::Customer, body: none },
    // Files on the client card (issue 17, attachments).
    Route { method: Method::GET, path: "/api/v1/crm/clients/{id}/attachments", kind: Kind::Customer, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/clients/{id}/attachments?name=x.pdf", kind: Kind::Customer, body: empty_body },
    Route { method: Method::GET, path: "/api/v1/crm/attachments/{id}", kind: Kind::CrmAttachment, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/attachments/{id}/file", kind: Kind::CrmAttachment, body: none },
    Route { method: Method::DELETE, path: "/api/v1/crm/attachments/{id}", kind: Kind::CrmAttachment, body: none },
    // Documents from templates over JSON (issue 17, tmpl API).
    Route { method: Method::GET, path: "/api/v1/crm/templates/{id}", kind: Kind::CrmTemplate, body: none },
    Route { method: Method::PUT, path: "/api/v1/crm/templates/{id}", kind: Kind::CrmTemplate, body: crm_template_body },
    Route { method: Method::DELETE, path: "/api/v1/crm/templates/{id}", kind: Kind::CrmTemplate, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/deals/{id}/documents", kind: Kind::CrmDeal, body: crm_document_body },
    Route { method: Method::GET, path: "/api/v1/crm/deals/{id}/documents", kind: Kind::CrmDeal, body: none },
    Route { method: Method::POST, path: "/api/v1/crm/orders/{id}/documents", kind: Kind::CrmOrder, body: crm_document_body },
    Route { method: Method::GET, path: "/api/v1/crm/orders/{id}/documents", kind: Kind::CrmOrder, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/clients/{id}/documents", kind: Kind::Customer, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/documents/{id}", kind: Kind::CrmDocument, body: none },
    Route { method: Method::GET, path: "/api/v1/crm/documents/{id}/pdf", kind: Kind::CrmDocument, body: none },
];

fn crm_template_body() -> Option<Value> {
    Some(json!({"kind": "offer", "name": "Чужой шаблон", "lang": "ru", "body": "# Чужой"}))
}

fn crm_document_body() -> Option<Value> {
    Some(json!({"template": "offer.ru"}))
}

fn cal_resource_body() -> Option<Value> {
    Some(json!({"name": "Чужой кабинет", "kind": "room"}))
}

fn cal_event_body() -> Option<Value> {
    Some(json!({"title": "Чужое событие", "start": "2026-03-02T10:00"}))
}

/// Telecom pages with an `{id}`, tried by `a`'s owner with `b`'s ids and a missing one.
pub const TELECOM_PAGES: &[(&str, Kind)] = &[
    ("/telecom/subscribers/{id}", Kind::TelSubscriber),
    ("/telecom/tariffs/{id}", Kind::TelTariff),
    ("/telecom/contracts/{id}", Kind::TelContract),
    ("/telecom/contracts/{id}/contract.pdf", Kind::TelContract),
    ("/telecom/tickets/{id}", Kind::TelTicket),
    ("/telecom/tickets/new?subscriber={id}", Kind::TelSubscriber),
];

fn tel_subscriber_body() -> Option<Value> {
    Some(json!({"last_name": "Чужой", "first_name": "Абонент", "doc_series": "AN", "doc_number": "1313131", "phone": "0555 131 313"}))
}

fn tel_status_body() -> Option<Value> {
    Some(json!({"status": "blocked"}))
}

fn tel_revision_body() -> Option<Value> {
    Some(json!({"valid_from": "2026-05-01", "monthly_fee": "1"}))
}

fn tel_pay_body() -> Option<Value> {
    Some(json!({"amount": "5"}))
}

fn tel_amount_body() -> Option<Value> {
    Some(json!({"amount": "5", "reason": "x"}))
}

fn tel_text_body() -> Option<Value> {
    Some(json!({"text": "x"}))
}

fn tel_priority_body() -> Option<Value> {
    Some(json!({"priority": "high"}))
}

fn station_body() -> Option<Value> {
    Some(json!({"station": "kitchen"}))
}

fn label_setup_body() -> Option<Value> {
    Some(json!({"language": "tspl", "size": "58x40"}))
}

fn label_shelf_body() -> Option<Value> {
    Some(json!({"changed": true}))
}

fn label_weighed_body() -> Option<Value> {
    Some(json!({"product": 1, "weight": "1.000"}))
}

/// Field agents' routes only an agent calls (an owner is refused them whatever the id), tried
/// by company `a`'s agent with `b`'s ids; `{product}` is `a`'s own product.
pub const AGENT_ROUTES: &[Route] = &[
    Route { method: Method::GET, path: "/api/v1/agents/lots/{id}", kind: Kind::Lot, body: none },
    Route { method: Method::POST, path: "/api/v1/agents/lots/{id}/accept", kind: Kind::Lot, body: accept_body },
    Route { method: Method::GET, path: "/api/v1/agents/sales/{id}", kind: Kind::AgentSale, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/requests/{id}", kind: Kind::AgentRequest, body: none },
    Route { method: Method::POST, path: "/api/v1/agents/requests/{id}/items", kind: Kind::AgentRequest, body: request_item_body },
    Route { method: Method::PUT, path: "/api/v1/agents/requests/{id}/items/{product}", kind: Kind::AgentRequest, body: request_qty_body },
    Route { method: Method::DELETE, path: "/api/v1/agents/requests/{id}/items/{product}", kind: Kind::AgentRequest, body: none },
    Route { method: Method::PUT, path: "/api/v1/agents/requests/{id}/client", kind: Kind::AgentRequest, body: request_client_body },
    Route { method: Method::POST, path: "/api/v1/agents/requests/{id}/submit", kind: Kind::AgentRequest, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/analytics?agent={id}", kind: Kind::Agent, body: none },
    Route { method: Method::GET, path: "/api/v1/agents/goods?agent={id}", kind: Kind::Agent, body: none },
];

/// Field agents' pages, tried by `a`'s owner with `b`'s ids: the same 404 as a missing record.
pub const AGENT_PAGES: &[(&str, Kind)] = &[
    ("/agents/requests/{id}", Kind::AgentRequest),
    ("/agents/analytics?agent={id}", Kind::Agent),
    ("/agents/goods?agent={id}", Kind::Agent),
    ("/agents/sell?agent={id}", Kind::Agent),
];

fn crm_complete_body() -> Option<Value> {
    Some(json!({"idempotency_key": "iso", "cash_box": 1, "payments": [{"method": "cash", "amount": "1"}]}))
}

fn crm_deal_order_body() -> Option<Value> {
    Some(json!({"warehouse": 1}))
}

fn accept_body() -> Option<Value> {
    Some(json!({"qty": "1"}))
}

fn empty_body() -> Option<Value> {
    Some(json!({}))
}

fn agent_sale_return_body() -> Option<Value> {
    Some(json!({"lines": [{"line": 0, "qty": "1"}]}))
}

fn request_approve_body() -> Option<Value> {
    Some(json!({"warehouse": 1}))
}

fn request_reject_body() -> Option<Value> {
    Some(json!({"reason": ""}))
}

fn request_item_body() -> Option<Value> {
    Some(json!({"product": 1, "qty": 1}))
}

fn request_qty_body() -> Option<Value> {
    Some(json!({"qty": 2}))
}

fn request_client_body() -> Option<Value> {
    Some(json!({"client": null}))
}

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
    // CRM (issue 17).
    pub crm_pipeline: u64,
    pub crm_deal: u64,
    pub crm_task: u64,
    pub crm_contact: u64,
    // Field agents (issue 12).
    pub email: String,
    pub agent_client: Client,
    pub agent: u64,
    pub lot: u64,
    pub agent_return: u64,
    pub agent_sale: u64,
    pub agent_request: u64,
    pub bank_account: u64,
    pub money_doc: u64,
    // CRM orders (issue 17, second slice).
    pub crm_order: u64,
    // Telecom desk (issue 13).
    pub tel_subscriber: u64,
    pub tel_sim: u64,
    pub tel_tariff: u64,
    pub tel_contract: u64,
    pub tel_ticket: u64,
    // Duplicate clients (issue 17, crm3): a merge of two clients made for it.
    pub client_merge: u64,
    // Label scales (issue 15).
    pub label_scale: u64,
    // The CRM calendar (issue 17, calendar).
    pub cal_resource: u64,
    pub cal_event: u64,
    // Files on the client card (issue 17, attachments).
    pub crm_attachment: u64,
    // Documents from templates over JSON (issue 17, tmpl API).
    pub crm_template: u64,
    pub crm_document: u64,
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
    let (s, label_scale) = t.post(&client, "/api/v1/label-scales", json!({"name": "Весы этикеток", "link": "agent"})).await;
    assert_eq!(s, StatusCode::CREATED, "{label_scale}");
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
    let (s, crm_contact) = t.post(&client, &format!("/api/v1/crm/clients/{customer}/contacts"), json!({"name": "Бакыт"})).await;
    assert_eq!(s, StatusCode::CREATED, "{crm_contact}");
    let (s, crm_deal) = t.post(&client, "/api/v1/crm/deals", json!({"title": "Сделка", "client": customer, "value": "10"})).await;
    assert_eq!(s, StatusCode::CREATED, "{crm_deal}");
    let (s, crm_task) =
        t.post(&client, "/api/v1/crm/tasks", json!({"title": "Позвонить", "due": "2026-03-02", "deal": crm_deal["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{crm_task}");
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
    // Field agents: an agent holding 3 accepted units and an open lot of 2 (1 accepted), a
    // sale of 1, a pending return of 1, and a draft request.
    let (s, ar) = t.post(&client, "/api/v1/roles", json!({"name": "Агент", "permissions": ["agent"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{ar}");
    let agent_email = format!("agent.{email}");
    let (s, au) = t
        .post(
            &client,
            "/api/v1/users",
            json!({"email": agent_email, "name": "Агент", "role": "staff", "custom_role": ar["id"], "branches": [b["id"]], "password": "password-456"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{au}");
    let agent = au["user"]["id"].as_u64().expect("id");
    let agent_client = t.login(&agent_email, "password-456").await;
    // Their own 5 units, so the rest of the fixture's stock stays for the tests that use it.
    let body = json!({"kind": "receipt", "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "5", "cost": "40"}], "post": true});
    let (s, extra) = t.post(&client, "/api/v1/documents", body).await;
    assert_eq!(s, StatusCode::CREATED, "{extra}");
    let mut lots = Vec::new();
    for (qty, accept) in [("3", true), ("2", false)] {
        let body = json!({"agent": agent, "warehouse": w["id"], "items": [{"product": p["id"], "qty": qty, "accept": accept}]});
        let (s, made) = t.post(&client, "/api/v1/agents/transfers", body).await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        lots.push(id(&made[0]));
    }
    let (s, acc) = t.post(&agent_client, &format!("/api/v1/agents/lots/{}/accept", lots[1]), json!({"qty": "1"})).await;
    assert_eq!(s, StatusCode::OK, "{acc}");
    let (s, agent_sale) = t
        .post(&agent_client, "/api/v1/agents/sales", json!({"idempotency_key": "fixture", "lines": [{"product": p["id"], "qty": "1"}]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{agent_sale}");
    let (s, agent_return) = t.post(&agent_client, "/api/v1/agents/returns", json!({"product": p["id"], "qty": "1"})).await;
    assert_eq!(s, StatusCode::CREATED, "{agent_return}");
    let (s, request) = t.post(&agent_client, "/api/v1/agents/requests", json!({})).await;
    assert_eq!(s, StatusCode::CREATED, "{request}");
    let (s, item) =
        t.post(&agent_client, &format!("/api/v1/agents/requests/{}/items", id(&request)), json!({"product": p["id"], "qty": 2})).await;
    assert_eq!(s, StatusCode::OK, "{item}");
    // A CRM order reserving one unit of its own receipt.
    let body = json!({"kind": "receipt", "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "1", "cost": "40"}], "post": true});
    let (s, extra) = t.post(&client, "/api/v1/documents", body).await;
    assert_eq!(s, StatusCode::CREATED, "{extra}");
    let body = json!({"client": customer, "warehouse": w["id"], "lines": [{"product": p["id"], "qty": "1"}]});
    let (s, crm_order) = t.post(&client, "/api/v1/crm/orders", body).await;
    assert_eq!(s, StatusCode::CREATED, "{crm_order}");
    // Telecom: a tariff, a SIM, a subscriber with an active, paid contract, an open ticket.
    let (s, tel_tariff) = t.post(&client, "/api/v1/telecom/tariffs", json!({"name": "Базовый", "terms": {"monthly_fee": "300"}})).await;
    assert_eq!(s, StatusCode::CREATED, "{tel_tariff}");
    let tel_sim = crate::telecom::add_sim(t, &client, 1).await;
    let tel_subscriber =
        crate::telecom::person(t, &client, "Изолянтов", "3030303", "0555 303 030").await["subscriber"]["id"].as_u64().expect("id");
    let body = json!({"subscriber": tel_subscriber, "tariff": tel_tariff["id"], "sim": tel_sim, "activate": true});
    let (s, tel_contract) = t.post(&client, "/api/v1/telecom/contracts", body).await;
    assert_eq!(s, StatusCode::CREATED, "{tel_contract}");
    let (s, tel_ticket) = t
        .post(&client, "/api/v1/telecom/tickets", json!({"subscriber": tel_subscriber, "contract": tel_contract["id"], "subject": "Связь"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{tel_ticket}");
    let (_, twin_a) = t.post(&client, "/api/v1/clients", json!({"name": "Близнец Первый", "phone": "0555 404 404"})).await;
    let (_, twin_b) = t.post(&client, "/api/v1/clients", json!({"name": "Близнец Второй", "phone": "0555 404 405"})).await;
    let body = json!({"survivor": twin_a["client"]["id"], "duplicate": twin_b["client"]["id"]});
    let (s, client_merge) = t.post(&client, "/api/v1/crm/merges", body).await;
    assert_eq!(s, StatusCode::CREATED, "{client_merge}");
    // A calendar resource and a daily series on it from 10:00 on March 2nd (Bishkek), whose
    // first occurrence starts at 1772424000000 ms.
    let (s, cal_resource) = t.post(&client, "/api/v1/crm/calendar/resources", json!({"name": "Кабинет", "kind": "room"})).await;
    assert_eq!(s, StatusCode::CREATED, "{cal_resource}");
    let body = json!({"title": "Приём", "start": "2026-03-02T10:00", "resources": [cal_resource["id"]], "client": customer, "repeat": {"freq": "daily", "count": 3}});
    let (s, cal_event) = t.post(&client, "/api/v1/crm/calendar/events", body).await;
    assert_eq!(s, StatusCode::CREATED, "{cal_event}");
    let upload = t
        .http
        .post(t.url(&format!("/api/v1/crm/clients/{customer}/attachments?name=iso.pdf")))
        .bearer_auth(&client.token)
        .body(b"%PDF-1.4 isolation".to_vec())
        .send()
        .await
        .expect("upload attachment");
    assert_eq!(upload.status(), StatusCode::CREATED);
    let crm_attachment: Value = upload.json().await.expect("attachment json");
    let body = json!({"kind": "offer", "name": "Наше КП", "lang": "ru", "body": "# КП {{ doc.number }}"});
    let (s, crm_template) = t.post(&client, "/api/v1/crm/templates", body).await;
    assert_eq!(s, StatusCode::CREATED, "{crm_template}");
    let (s, crm_document) =
        t.post(&client, &format!("/api/v1/crm/deals/{}/documents", crm_deal["id"]), json!({"template": crm_template["id"]})).await;
    assert_eq!(s, StatusCode::CREATED, "{crm_document}");
    Fixture {
        crm_template: id(&crm_template),
        crm_document: id(&crm_document),
        crm_attachment: id(&crm_attachment),
        cal_resource: id(&cal_resource),
        cal_event: cal_event["event"]["id"].as_u64().expect("event id"),
        client_merge: id(&client_merge),
        crm_order: id(&crm_order),
        tel_subscriber,
        tel_sim,
        tel_tariff: id(&tel_tariff),
        tel_contract: id(&tel_contract),
        tel_ticket: id(&tel_ticket),
        crm_pipeline: crm_deal["pipeline"].as_u64().expect("pipeline"),
        crm_deal: id(&crm_deal),
        crm_task: id(&crm_task),
        crm_contact: id(&crm_contact),
        email: email.to_string(),
        agent_client,
        agent,
        lot: lots[1],
        agent_return: id(&agent_return),
        agent_sale: id(&agent_sale),
        agent_request: id(&request),
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
        label_scale: id(&label_scale),
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
            Kind::CrmPipeline => b.crm_pipeline,
            Kind::CrmDeal => b.crm_deal,
            Kind::CrmTask => b.crm_task,
            Kind::CrmContact => b.crm_contact,
            Kind::Agent => b.agent,
            Kind::Lot => b.lot,
            Kind::AgentReturn => b.agent_return,
            Kind::AgentSale => b.agent_sale,
            Kind::AgentRequest => b.agent_request,
            Kind::BankAccount => b.bank_account,
            Kind::MoneyDoc => b.money_doc,
            Kind::CrmOrder => b.crm_order,
            Kind::TelSubscriber => b.tel_subscriber,
            Kind::TelSim => b.tel_sim,
            Kind::TelTariff => b.tel_tariff,
            Kind::TelContract => b.tel_contract,
            Kind::TelTicket => b.tel_ticket,
            Kind::ClientMerge => b.client_merge,
            Kind::LabelScale => b.label_scale,
            Kind::CalResource => b.cal_resource,
            Kind::CalEvent => b.cal_event,
            Kind::CrmAttachment => b.crm_attachment,
            Kind::CrmTemplate => b.crm_template,
            Kind::CrmDocument => b.crm_document,
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
        ("/api/v1/crm/deals", b.crm_deal),
        ("/api/v1/crm/tasks?list=all", b.crm_task),
        ("/api/v1/crm/orders", b.crm_order),
        ("/api/v1/crm/merges", b.client_merge),
        ("/api/v1/crm/calendar/resources", b.cal_resource),
        ("/api/v1/crm/templates", b.crm_template),
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
    assert_agents_isolated(t, a, b).await;
    assert_telecom_isolated(t, a, b).await;
    let (s, u) = t.get(&b.client, &format!("/api/v1/users/{}", b.user)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(u["active"], true, "the other company's user was not deactivated");
    let (_, audit) = t.get(&a.client, "/api/v1/audit?limit=500").await;
    let targets: Vec<String> =
        audit["items"].as_array().expect("items").iter().map(|i| i["target"].as_str().unwrap_or("").to_string()).collect();
    assert!(!targets.contains(&format!("user:{}", b.user)), "one company's audit log shows another's records");
}

fn agent_id(b: &Fixture, kind: Kind) -> u64 {
    match kind {
        Kind::Agent => b.agent,
        Kind::Lot => b.lot,
        Kind::AgentReturn => b.agent_return,
        Kind::AgentSale => b.agent_sale,
        Kind::AgentRequest => b.agent_request,
        other => panic!("not an agents' kind: {other:?}"),
    }
}

/// `a`'s agent on every agent-only route and `a`'s owner on every agents' page, with `b`'s
/// ids: 404 exactly like a missing record; `a`'s lists show none of `b`'s agent records, and
/// `b`'s lot, return and request are unchanged.
async fn assert_agents_isolated(t: &TestApp, a: &Fixture, b: &Fixture) {
    for route in AGENT_ROUTES {
        let path = route.path.replace("{id}", &agent_id(b, route.kind).to_string()).replace("{product}", &a.product.to_string());
        let (status, body) = t.call(route.method.clone(), &path, Some(&a.agent_client.token), (route.body)()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{} {path} by an agent with another company's id: {body}", route.method);
        let missing = route.path.replace("{id}", "999999999").replace("{product}", &a.product.to_string());
        let (status_missing, _) = t.call(route.method.clone(), &missing, Some(&a.agent_client.token), (route.body)()).await;
        assert_eq!(status_missing, status, "{} {}: foreign and missing ids must look the same", route.method, route.path);
    }
    let owner = crate::browser::Plain::new(t);
    let r = owner.submit("/login", &[("email", a.email.as_str()), ("password", "password-123")]).await;
    assert_eq!(r.status().as_u16(), 303, "the owner signs in");
    for (page, kind) in AGENT_PAGES {
        for id in [agent_id(b, *kind), 999_999_999] {
            let path = page.replace("{id}", &id.to_string());
            let resp = owner.get(&path).await;
            assert_eq!(resp.status(), StatusCode::NOT_FOUND, "page {path} with another company's or a missing id");
        }
    }
    for (list, id) in [
        ("/api/v1/agents", b.agent),
        ("/api/v1/agents/sales", b.agent_sale),
        ("/api/v1/agents/requests?status=draft", b.agent_request),
        ("/api/v1/agents/requests", b.agent_request),
    ] {
        let (st, items) = t.get(&a.client, list).await;
        assert_eq!(st, StatusCode::OK, "{list}: {items}");
        let ids: Vec<u64> = items.as_array().expect("list").iter().filter_map(|i| i["id"].as_u64()).collect();
        assert!(!ids.contains(&id), "{list} of one company shows another's record {id}");
    }
    let (_, returns) = t.get(&a.client, "/api/v1/agents/returns").await;
    let ids: Vec<u64> = returns["returns"].as_array().expect("returns").iter().filter_map(|i| i["id"].as_u64()).collect();
    assert!(!ids.contains(&b.agent_return), "another company's agent return is listed");
    let (_, goods) = t.get(&a.client, "/api/v1/agents/goods").await;
    assert!(goods.as_array().expect("goods").iter().all(|g| g["agent"] != b.agent), "another company's agent goods are listed");
    let (_, lot) = t.get(&b.client, &format!("/api/v1/agents/lots/{}", b.lot)).await;
    assert_eq!((lot["accepted"].as_str(), lot["cancelled"].as_str()), (Some("1"), Some("0")), "{lot}");
    let (_, ret) = t.get(&b.client, "/api/v1/agents/returns?status=pending").await;
    assert_eq!(ret["pending_count"], 1, "{ret}");
    let (_, req) = t.get(&b.client, &format!("/api/v1/agents/requests/{}", b.agent_request)).await;
    assert_eq!((req["status"].as_str(), req["items"][0]["qty"].as_u64()), (Some("draft"), Some(2)), "{req}");
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

/// Telecom pages with `b`'s ids answer `a`'s owner 404, and `a`'s lists never show `b`'s records.
async fn assert_telecom_isolated(t: &TestApp, a: &Fixture, b: &Fixture) {
    let owner = crate::browser::Plain::new(t);
    let r = owner.submit("/login", &[("email", a.email.as_str()), ("password", "password-123")]).await;
    assert_eq!(r.status().as_u16(), 303, "the owner signs in");
    for (page, kind) in TELECOM_PAGES {
        let theirs = match kind {
            Kind::TelSubscriber => b.tel_subscriber,
            Kind::TelTariff => b.tel_tariff,
            Kind::TelContract => b.tel_contract,
            _ => b.tel_ticket,
        };
        for id in [theirs, 999_999_999] {
            let path = page.replace("{id}", &id.to_string());
            assert_eq!(owner.get(&path).await.status(), StatusCode::NOT_FOUND, "page {path} with another company's or a missing id");
        }
    }
    for (list, id) in [
        ("/api/v1/telecom/subscribers", b.tel_subscriber),
        ("/api/v1/telecom/sims", b.tel_sim),
        ("/api/v1/telecom/tariffs", b.tel_tariff),
        ("/api/v1/telecom/tickets?queue=all", b.tel_ticket),
        ("/api/v1/telecom/tickets?queue=unassigned", b.tel_ticket),
    ] {
        let (_, items) = t.get(&a.client, list).await;
        let ids: Vec<u64> = items.as_array().expect("list").iter().filter_map(|i| i["id"].as_u64()).collect();
        assert!(!ids.contains(&id), "{list} of one company shows another's record {id}");
    }
}

// ---- Messaging, e-mail and notification rules (issue 16, msg3) ----

/// One company's messaging records: a channel, a template, a conversation (from a signed
/// inbound message) with the owner's notification about it, an e-mail and a rule.
struct MsgFixture {
    client: Client,
    channel: u64,
    template: u64,
    conversation: u64,
    notification: u64,
    mail: u64,
    rule: u64,
}

async fn msg_fixture(t: &TestApp, name: &str, email: &str, pnid: &str) -> MsgFixture {
    use crate::messaging as m;
    t.company(name, email, "password-123").await;
    let client = t.login(email, "password-123").await;
    let (channel, path) = m::channel(t, &client, pnid).await;
    let (s, tpl) =
        t.post(&client, "/api/v1/messaging/templates", json!({"name": "reminder", "language": "ru", "body": "Здравствуйте, {{1}}"})).await;
    assert_eq!(s, StatusCode::CREATED, "{tpl}");
    let at = t.app.now().0 / 1000;
    m::deliver(t, &path, &m::text_body(pnid, "996555000111", &format!("wamid.{pnid}"), "Салам", at)).await;
    let (_, convs) = t.get(&client, "/api/v1/messaging/conversations").await;
    let (_, notes) = t.get(&client, "/api/v1/messaging/notifications").await;
    let (s, mail) = t.post(&client, "/api/v1/mail/test", json!({"to": format!("me.{email}")})).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{mail}");
    let (s, rule) = t
        .post(&client, "/api/v1/notify/rules", json!({"name": "Мало", "trigger": "low_stock", "action": "staff", "perm": "products"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{rule}");
    let id = |v: &Value| v["id"].as_u64().expect("id");
    MsgFixture {
        channel,
        template: id(&tpl),
        conversation: id(&convs[0]),
        notification: id(&notes["items"][0]),
        mail: id(&mail),
        rule: id(&rule),
        client,
    }
}

#[tokio::test]
async fn messaging_mail_and_rule_ids_of_another_company_are_not_found() {
    let fake = crate::smtp_fake::SmtpFake::start().await;
    let (meta, port) = (crate::messaging::fake_meta(crate::messaging::accepted).await, fake.port);
    let base = meta.base.clone();
    let t = TestApp::spawn_with(move |c| {
        c.webhooks_allow_loopback = true;
        c.meta_graph_url = base;
        c.smtp.host = "127.0.0.1".into();
        c.smtp.port = port;
        c.smtp.security = "plain".into();
        c.smtp.from = "shop@dukan.test".into();
    })
    .await;
    let a = msg_fixture(&t, "Первая", "a@msg.kg", "111111").await;
    let b = msg_fixture(&t, "Вторая", "b@msg.kg", "222222").await;
    crate::mail::pump(&t).await;
    fake.wait_for(2, 20).await;
    let routes: &[(Method, &str, u64, Option<Value>)] = &[
        (Method::PUT, "/api/v1/messaging/channels/{id}", b.channel, Some(json!({"name": "x", "phone_number_id": "333"}))),
        (Method::PUT, "/api/v1/messaging/templates/{id}", b.template, Some(json!({"name": "x", "language": "ru", "body": "x"}))),
        (Method::GET, "/api/v1/messaging/conversations/{id}", b.conversation, None),
        (Method::GET, "/api/v1/messaging/conversations/{id}/messages", b.conversation, None),
        (Method::POST, "/api/v1/messaging/conversations/{id}/messages", b.conversation, Some(json!({"text": "чужой"}))),
        (Method::POST, "/api/v1/messaging/conversations/{id}/notes", b.conversation, Some(json!({"text": "чужой"}))),
        (Method::POST, "/api/v1/messaging/conversations/{id}/assign", b.conversation, Some(json!({"user": null}))),
        (Method::POST, "/api/v1/messaging/conversations/{id}/read", b.conversation, None),
        (Method::POST, "/api/v1/messaging/conversations/{id}/client", b.conversation, Some(json!({"client": null}))),
        (Method::POST, "/api/v1/messaging/notifications/{id}/read", b.notification, None),
        (Method::GET, "/api/v1/mail/log/{id}", b.mail, None),
        (Method::GET, "/api/v1/notify/rules/{id}", b.rule, None),
        (
            Method::PUT,
            "/api/v1/notify/rules/{id}",
            b.rule,
            Some(json!({"name": "x", "trigger": "low_stock", "action": "staff", "perm": "sale"})),
        ),
        (Method::GET, "/api/v1/notify/rules/{id}/log", b.rule, None),
        (Method::DELETE, "/api/v1/notify/rules/{id}", b.rule, None),
    ];
    for (method, path, id, body) in routes {
        let p = path.replace("{id}", &id.to_string());
        let (st, e) = t.call(method.clone(), &p, Some(&a.client.token), body.clone()).await;
        assert_eq!((st, e["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")), "{method} {p}: {e}");
        let missing = path.replace("{id}", "999999999");
        let (st2, _) = t.call(method.clone(), &missing, Some(&a.client.token), body.clone()).await;
        assert_eq!(st2, st, "{method} {path}: foreign and missing ids look the same");
    }
    // Pages with an id answer 404 as well.
    let p = crate::browser::Plain::new(&t);
    p.submit("/login", &[("email", "a@msg.kg"), ("password", "password-123")]).await;
    for page in [format!("/inbox/{}", b.conversation), format!("/mail/log/{}", b.mail), format!("/notify/rules/{}", b.rule)] {
        assert_eq!(p.get(&page).await.status(), StatusCode::NOT_FOUND, "{page}");
    }
    // Lists never show the other company's records, and B's are untouched.
    for (list, id) in [
        ("/api/v1/messaging/channels", b.channel),
        ("/api/v1/messaging/templates", b.template),
        ("/api/v1/messaging/conversations", b.conversation),
        ("/api/v1/mail/log", b.mail),
        ("/api/v1/notify/rules", b.rule),
    ] {
        let (_, items) = t.get(&a.client, list).await;
        let ids: Vec<u64> = items.as_array().expect("list").iter().filter_map(|i| i["id"].as_u64()).collect();
        assert!(!ids.contains(&id), "{list} shows another company's {id}");
    }
    let (_, notes) = t.get(&a.client, "/api/v1/messaging/notifications").await;
    assert!(!notes["items"].as_array().expect("items").iter().any(|n| n["id"] == b.notification));
    // The "shift closed short" threshold is per company: A's setting leaves B's default.
    let (st, s) = t.put(&a.client, "/api/v1/notify/shift-short", json!({"threshold": "75", "active": false})).await;
    assert_eq!((st, s["threshold"].as_str()), (StatusCode::OK, Some("75.00")), "{s}");
    let (_, s) = t.get(&b.client, "/api/v1/notify/shift-short").await;
    assert_eq!((s["threshold"].as_str(), s["active"].as_bool()), (Some("0"), Some(true)), "B's own setting: {s}");
    // The staff WhatsApp choice names the company's own channel and template only; B's is B's.
    let (st, e) = t.put(&a.client, "/api/v1/notify/staff-whatsapp", json!({"channel": b.channel, "template": b.template})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (st, s) = t.put(&b.client, "/api/v1/notify/staff-whatsapp", json!({"channel": b.channel, "template": b.template})).await;
    assert_eq!(st, StatusCode::OK, "{s}");
    let (_, s) = t.get(&a.client, "/api/v1/notify/staff-whatsapp").await;
    assert_eq!(s, json!({"channel": null, "template": null}), "{s}");
    let (st, r) = t.get(&b.client, &format!("/api/v1/notify/rules/{}", b.rule)).await;
    assert_eq!((st, r["name"].as_str()), (StatusCode::OK, Some("Мало")));
    let (_, n) = t.get(&b.client, "/api/v1/messaging/notifications").await;
    assert_eq!(n["unread"], 1, "B's notification is still unread");
    t.assert_consistent();
}
