//! The JSON API under `/api/v1/`, and its OpenAPI 3.1 description.

pub mod analytics;
pub mod auth;
pub mod catalog;
pub mod catalog_search;
pub mod clients;
pub mod dto;
pub mod images;
pub mod ops;
pub mod pos;
pub mod printing;
pub mod reports;
pub mod sales;
pub mod stock;
pub mod tenancy;
pub mod transfer;
pub mod webhooks;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::app::App;

pub fn routes(upload_limit: usize, import_limit: usize, image_limit: usize, public_limit: usize) -> Router<App> {
    Router::new()
        .route("/api/v1/auth/login", crate::http::public(post(auth::login), public_limit))
        .route("/api/v1/auth/refresh", crate::http::public(post(auth::refresh), public_limit))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/password", post(auth::change_password))
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/company", get(tenancy::get_company).put(tenancy::put_company))
        .route(
            "/api/v1/company/logo",
            get(tenancy::get_logo).put(tenancy::put_logo).delete(tenancy::delete_logo).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/v1/branches", get(tenancy::list_branches).post(tenancy::create_branch))
        .route("/api/v1/branches/{id}", get(tenancy::get_branch).put(tenancy::put_branch))
        .route("/api/v1/users", get(tenancy::list_users).post(tenancy::create_user))
        .route("/api/v1/users/{id}", get(tenancy::get_user).put(tenancy::put_user))
        .route("/api/v1/users/{id}/deactivate", post(tenancy::deactivate_user))
        .route("/api/v1/users/{id}/activate", post(tenancy::activate_user))
        .route("/api/v1/users/{id}/invite", post(tenancy::invite_user))
        .route("/api/v1/roles", get(tenancy::list_roles).post(tenancy::create_role))
        .route("/api/v1/roles/{id}", get(tenancy::get_role).put(tenancy::put_role).delete(tenancy::delete_role))
        .route("/api/v1/permissions", get(tenancy::list_permissions))
        .route("/api/v1/products/search", get(catalog_search::search_products))
        .route("/api/v1/audit", get(ops::list_audit))
        .route("/api/v1/backups", get(ops::list_backups).post(ops::create_backup))
        .route("/api/v1/backups/{id}/download", get(ops::download_backup))
        .route("/api/v1/platform/companies", get(ops::list_companies).post(ops::create_company))
        .route("/api/v1/platform/companies/{id}/subscription", put(ops::put_subscription))
        .route("/api/v1/platform/plans", get(ops::list_plans).post(ops::create_plan))
        .route("/api/v1/platform/plans/{id}", put(ops::put_plan))
        .route("/api/v1/products", get(catalog::list_products).post(catalog::create_product))
        .route("/api/v1/products/export", get(transfer::export))
        .route("/api/v1/imports", get(transfer::list).post(transfer::upload).layer(DefaultBodyLimit::max(import_limit)))
        .route("/api/v1/imports/{id}", get(transfer::get).delete(transfer::discard))
        .route("/api/v1/imports/{id}/rows", get(transfer::rows))
        .route("/api/v1/imports/{id}/confirm", post(transfer::confirm))
        .route("/api/v1/products/by-barcode", post(catalog::create_by_barcode))
        .route("/api/v1/products/{id}", get(catalog::get_product).put(catalog::put_product).delete(catalog::delete_product))
        .route("/api/v1/products/{id}/images", get(images::list).post(images::upload).layer(DefaultBodyLimit::max(image_limit)))
        .route("/api/v1/products/{id}/images/{image}", axum::routing::delete(images::delete))
        .route("/api/v1/products/{id}/images/{image}/move", post(images::move_to))
        .route("/api/v1/products/{id}/images/{image}/{size}", get(images::bytes))
        .route("/api/v1/products/{id}/archive", post(catalog::archive_product))
        .route("/api/v1/products/{id}/restore", post(catalog::restore_product))
        .route("/api/v1/products/{id}/stock", get(stock::stock_card))
        .route("/api/v1/barcodes/{code}", get(catalog::lookup_barcode))
        .route("/api/v1/categories", get(catalog::list_categories).post(catalog::create_category))
        .route("/api/v1/categories/{id}", put(catalog::put_category))
        .route("/api/v1/brands", get(catalog::list_brands).post(catalog::create_brand))
        .route("/api/v1/brands/{id}", put(catalog::put_brand))
        .route("/api/v1/warehouses", get(stock::list_warehouses).post(stock::create_warehouse))
        .route("/api/v1/warehouses/{id}", put(stock::put_warehouse))
        .route("/api/v1/inventory/settings", get(stock::get_settings).put(stock::put_settings))
        .route("/api/v1/documents", get(stock::list_documents).post(stock::create_document))
        .route("/api/v1/documents/{id}", get(stock::get_document).put(stock::put_document).delete(stock::delete_document))
        .route("/api/v1/documents/{id}/post", post(stock::post_document))
        .route("/api/v1/documents/{id}/cancel", post(stock::cancel_document))
        .route("/api/v1/stock", get(stock::stock))
        .route("/api/v1/stock/export.xlsx", get(reports::stock_xlsx))
        .route("/api/v1/stock/journal", get(reports::journal))
        .route("/api/v1/stock/journal.xlsx", get(reports::journal_xlsx))
        .route("/api/v1/stock/turnover", get(reports::turnover))
        .route("/api/v1/stock/turnover.xlsx", get(reports::turnover_xlsx))
        .route("/api/v1/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/api/v1/webhooks/{id}", put(webhooks::put).delete(webhooks::delete))
        .route("/api/v1/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/api/v1/cash-boxes", get(pos::list_cash_boxes).post(pos::create_cash_box))
        .route("/api/v1/cash-boxes/{id}", put(pos::put_cash_box))
        .route("/api/v1/pos/settings", get(pos::get_settings).put(pos::put_settings))
        .route("/api/v1/shifts", get(pos::list_shifts).post(pos::open_shift))
        .route("/api/v1/shifts/{id}", get(pos::get_shift))
        .route("/api/v1/shifts/{id}/close", post(pos::close_shift))
        .route("/api/v1/shifts/{id}/cash", get(pos::shift_cash))
        .route("/api/v1/cash-flows", get(pos::list_flows).post(pos::create_flow))
        .route("/api/v1/cash-flows/{id}/approve", post(pos::approve_flow))
        .route("/api/v1/cash-flows/{id}/reject", post(pos::reject_flow))
        .route("/api/v1/pos/cart", get(pos::get_cart).put(pos::put_cart).delete(pos::clear_cart))
        .route("/api/v1/pos/cart/scan", post(pos::scan))
        .route("/api/v1/pos/cart/items", post(pos::add_item))
        .route("/api/v1/pos/cart/items/{index}", put(pos::put_line))
        .route("/api/v1/sales", get(sales::list_sales).post(sales::checkout))
        .route("/api/v1/sales/{id}", get(sales::get_sale))
        .route("/api/v1/sales/{id}/returns", get(sales::list_returns).post(sales::return_sale))
        .route("/api/v1/analytics/sales", get(analytics::sales))
        .route("/api/v1/clients", get(clients::list).post(clients::create))
        .route("/api/v1/clients/{id}", get(clients::get).put(clients::put).delete(clients::delete))
        .route("/api/v1/clients/{id}/archive", post(clients::archive))
        .route("/api/v1/clients/{id}/restore", post(clients::restore))
        .route("/api/v1/clients/{id}/sales", get(clients::sales))
        .route("/api/v1/clients/{id}/debts", get(clients::debts).post(clients::add_debt))
        .route("/api/v1/clients/{id}/debts/payments", post(clients::pay_debt))
        .route("/api/v1/clients/{id}/deals", get(clients::client_deals).post(clients::create_deal))
        .route("/api/v1/clients/{id}/statement", get(clients::statement_json))
        .route("/api/v1/clients/{id}/statement.pdf", get(clients::statement_pdf))
        .route("/api/v1/debtors", get(clients::debtors))
        .route("/api/v1/deals/{id}", get(clients::get_deal).put(clients::put_deal))
        .route("/api/v1/deals/{id}/pay", post(clients::pay_deal))
        .route("/api/v1/deals/{id}/refund", post(clients::refund_deal))
        .route("/api/v1/sales/{id}/reprint", post(printing::reprint))
        .route("/api/v1/sales/{id}/receipt", get(printing::receipt))
        .route("/api/v1/sales/{id}/receipt.png", get(printing::receipt_png))
        .route("/api/v1/printers", get(printing::list).post(printing::create))
        .route("/api/v1/printers/{id}", get(printing::get).put(printing::put))
        .route("/api/v1/printers/{id}/test", post(printing::test))
        .route("/api/v1/printers/{id}/queue", get(printing::queue).delete(printing::clear_queue))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Dukan API", description = "JSON API of the Dukan appliance. Errors are application/problem+json with a stable `code`. \
        Authenticate with `POST /api/v1/auth/login`, then send `Authorization: Bearer <access_token>`; \
        optionally `X-Dukan-Branch: <id>` to act in another of your branches."),
    paths(
        auth::login, auth::refresh, auth::logout, auth::change_password, auth::me,
        tenancy::get_company, tenancy::put_company, tenancy::put_logo, tenancy::get_logo, tenancy::delete_logo,
        tenancy::list_branches, tenancy::create_branch, tenancy::get_branch, tenancy::put_branch,
        tenancy::list_users, tenancy::create_user, tenancy::get_user, tenancy::put_user,
        tenancy::deactivate_user, tenancy::activate_user, tenancy::invite_user,
        tenancy::list_roles, tenancy::create_role, tenancy::get_role, tenancy::put_role, tenancy::delete_role, tenancy::list_permissions,
        catalog_search::search_products,
        ops::list_audit, ops::list_backups, ops::create_backup, ops::download_backup,
        ops::list_companies, ops::create_company, ops::put_subscription, ops::list_plans, ops::create_plan, ops::put_plan,
        catalog::list_products, catalog::create_product, catalog::create_by_barcode, catalog::get_product, catalog::put_product,
        catalog::delete_product, catalog::archive_product, catalog::restore_product, catalog::lookup_barcode,
        images::list, images::upload, images::delete, images::move_to, images::bytes,
        transfer::upload, transfer::list, transfer::get, transfer::rows, transfer::confirm, transfer::discard, transfer::export,
        catalog::list_categories, catalog::create_category, catalog::put_category, catalog::list_brands, catalog::create_brand, catalog::put_brand,
        stock::list_warehouses, stock::create_warehouse, stock::put_warehouse, stock::get_settings, stock::put_settings,
        stock::list_documents, stock::create_document, stock::get_document, stock::put_document, stock::delete_document,
        stock::post_document, stock::cancel_document, stock::stock, stock::stock_card,
        reports::journal, reports::journal_xlsx, reports::turnover, reports::turnover_xlsx, reports::stock_xlsx,
        webhooks::list, webhooks::create, webhooks::put, webhooks::delete, webhooks::deliveries,
        pos::list_cash_boxes, pos::create_cash_box, pos::put_cash_box, pos::get_settings, pos::put_settings,
        pos::list_shifts, pos::open_shift, pos::get_shift, pos::close_shift, pos::shift_cash,
        pos::list_flows, pos::create_flow, pos::approve_flow, pos::reject_flow,
        pos::get_cart, pos::put_cart, pos::clear_cart, pos::scan, pos::add_item, pos::put_line,
        sales::list_sales, sales::checkout, sales::get_sale, sales::return_sale, sales::list_returns,
        analytics::sales,
        clients::list, clients::create, clients::get, clients::put, clients::delete, clients::archive, clients::restore,
        clients::sales, clients::debts, clients::add_debt, clients::pay_debt, clients::debtors,
        clients::client_deals, clients::create_deal, clients::get_deal, clients::put_deal, clients::pay_deal, clients::refund_deal,
        clients::statement_json, clients::statement_pdf,
        printing::list, printing::create, printing::get, printing::put, printing::test, printing::queue, printing::clear_queue,
        printing::reprint, printing::receipt, printing::receipt_png,
        crate::http::healthz,
    ),
    modifiers(&BearerScheme)
)]
pub struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

#[cfg(test)]
mod tidy {
    //! Source walks over `src/http`: every request DTO refuses unknown fields, and no two
    //! OpenAPI schemas share a name (utoipa names a component after the Rust type, so two
    //! `MoveDto`s would silently document one of them wrong).

    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("read src/http").flatten() {
            let path = entry.path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// (file, type name, its attribute lines) for every struct or enum in `src/http`.
    fn types() -> Vec<(String, String, String)> {
        let mut files = Vec::new();
        rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http"), &mut files);
        let mut out = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            let mut attrs = String::new();
            for line in text.lines().map(str::trim) {
                if line.starts_with("#[") {
                    attrs.push_str(line);
                } else if let Some(rest) =
                    line.strip_prefix("pub struct ").or(line.strip_prefix("struct ")).or(line.strip_prefix("pub enum "))
                {
                    let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    out.push((file.display().to_string(), name, std::mem::take(&mut attrs)));
                } else if !line.starts_with("///") {
                    attrs.clear();
                }
            }
        }
        out
    }

    #[test]
    fn every_request_dto_denies_unknown_fields() {
        let lax: Vec<String> = types()
            .into_iter()
            .filter(|(_, _, attrs)| attrs.contains("Deserialize") && attrs.contains("derive") && !attrs.contains("deny_unknown_fields"))
            .map(|(file, name, _)| format!("{file}: {name}"))
            .collect();
        assert!(lax.is_empty(), "request types that drop unknown fields: {lax:#?}");
    }

    #[test]
    fn no_two_schemas_share_a_name() {
        let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (file, name, attrs) in types() {
            if attrs.contains("ToSchema") {
                seen.entry(name).or_default().push(file);
            }
        }
        let twice: Vec<_> = seen.into_iter().filter(|(_, files)| files.len() > 1).collect();
        assert!(twice.is_empty(), "schema names used by two types: {twice:#?}");
    }
}
