//! The JSON API under `/api/v1/`, and its OpenAPI 3.1 description.

pub mod agent_analytics;
pub mod agent_requests;
pub mod agents;
pub mod analytics;
pub mod auth;
pub mod catalog;
pub mod catalog_search;
pub mod clients;
pub mod crm;
// Files attached to a client's card (issue 17, attachments).
pub mod crm_attachments;
// Documents from templates, over JSON (issue 17, tmpl API).
pub mod crm_docs;
// The CRM calendar (issue 17, calendar).
pub mod crm_calendar;
pub mod crm_merge;
pub mod crm_orders;
pub mod crm_reviews;
pub mod dto;
pub mod finance;
pub mod images;
pub mod label_scales;
pub mod messaging;
// E-mail and notification rules (issue 16, msg3).
pub mod mail;
pub mod notify_rules;
pub mod ops;
pub mod pos;
pub mod printing;
pub mod promo;
pub mod purchases;
pub mod reports;
pub mod sales;
pub mod scales;
pub mod stock;
pub mod telecom;
pub mod telecom_reports;
pub mod tenancy;
pub mod transfer;
pub mod webhooks;
// Issue 15, second slice: labels.
pub mod kitchen;
pub mod labels;

use axum::extract::DefaultBodyLimit;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::app::App;
use crate::config::Config;

/// Body limits of the API's routes, from the configuration.
pub struct Limits {
    pub upload: usize,
    pub import: usize,
    pub image: usize,
    pub public: usize,
    pub attachment: usize,
}

impl Limits {
    pub fn from_config(config: &Config) -> Limits {
        Limits {
            upload: config.upload_limit_kb * 1024,
            import: config.import_limit_kb * 1024,
            image: config.image_limit_kb * 1024,
            public: config.public_body_limit_kb * 1024,
            attachment: config.attachment_limit_kb * 1024,
        }
    }
}

/// A route whose body may be larger than the default limit (file uploads).
fn limited(route: UtoipaMethodRouter<App>, limit: usize) -> UtoipaMethodRouter<App> {
    let (schemas, paths, method) = route;
    (schemas, paths, method.layer(DefaultBodyLimit::max(limit)))
}

/// A route anyone may call, behind [`crate::http::public`]'s small-body guard.
fn public(route: UtoipaMethodRouter<App>, limit: usize) -> UtoipaMethodRouter<App> {
    let (schemas, paths, method) = route;
    (schemas, paths, crate::http::public(method, limit))
}

/// The API's routes anyone may call (sign-in, token refresh).
pub fn public_routes(limits: &Limits) -> OpenApiRouter<App> {
    auth::public_routes(limits)
        .merge(messaging::public_routes(limits))
        .merge(telecom::gateway::public_routes(limits))
        .merge(label_scales::public_routes(limits))
}

/// The API's routes for a signed-in company user; each file declares its own.
pub fn signed_in_routes(limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .merge(auth::routes(limits))
        .merge(tenancy::routes(limits))
        .merge(catalog_search::routes(limits))
        .merge(ops::routes(limits))
        .merge(catalog::routes(limits))
        .merge(promo::routes(limits))
        .merge(agent_requests::routes(limits))
        .merge(agent_analytics::routes(limits))
        .merge(transfer::routes(limits))
        .merge(images::routes(limits))
        .merge(stock::routes(limits))
        .merge(reports::routes(limits))
        .merge(webhooks::routes(limits))
        .merge(pos::routes(limits))
        .merge(sales::routes(limits))
        .merge(agents::routes(limits))
        .merge(analytics::routes(limits))
        .merge(clients::routes(limits))
        .merge(finance::routes(limits))
        .merge(purchases::routes(limits))
        .merge(printing::routes(limits))
        .merge(messaging::routes(limits))
        .merge(mail::routes(limits))
        .merge(notify_rules::routes(limits))
        .merge(telecom::routes(limits))
        .merge(scales::routes(limits))
        .merge(crm::routes(limits))
        .merge(crm_orders::routes(limits))
        .merge(crm_reviews::routes(limits))
        .merge(labels::routes(limits))
        .merge(telecom_reports::routes(limits))
        .merge(kitchen::routes(limits))
        // Duplicate clients (issue 17, crm3).
        .merge(crm_merge::routes(limits))
        // Label scales (issue 15).
        .merge(label_scales::routes(limits))
        // The CRM calendar (issue 17, calendar).
        .merge(crm_calendar::routes(limits))
        // Files attached to a client's card (issue 17, attachments).
        .merge(crm_attachments::routes(limits))
        .merge(crm_docs::routes(limits))
}

/// The platform operator's API (companies, plans, subscriptions).
pub fn platform_routes() -> OpenApiRouter<App> {
    ops::platform_routes()
}

/// The document's header: title, description and the bearer scheme. Its paths are filled in
/// by the routers above, from each handler's `#[utoipa::path]`.
#[derive(OpenApi)]
#[openapi(
    info(title = "Dukan API", description = "JSON API of the Dukan appliance. Errors are application/problem+json with a stable `code`. \
        Authenticate with `POST /api/v1/auth/login`, then send `Authorization: Bearer <access_token>`; \
        optionally `X-Dukan-Branch: <id>` to act in another of your branches."),
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
