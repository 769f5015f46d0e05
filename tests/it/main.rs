//! The one integration-test binary: each module drives the real server over HTTP.

mod common;

mod agent_analytics;
mod agent_requests;
pub mod agents;
mod analytics;
mod analytics_tabs;
mod auth;
mod browser;
mod browser_agents;
mod browser_clients;
mod browser_documents;
mod browser_finance;
mod browser_import;
mod browser_money;
mod browser_pos;
mod browser_print;
mod browser_purchases;
mod browser_scales;
mod browser_shell;
mod browser_stock;
mod cli;
mod clients;
mod dashboard;
mod documents;
mod edge;
mod files;
mod finance;
pub mod images;
mod import;
mod input;
mod isolation;
mod limits;
mod ops;
mod pos;
pub mod printing;
mod promo;
pub mod purchases;
mod reports;
mod rights;
mod scales;
mod search;
pub mod stock;
mod tenancy;
mod upgrade;
mod webhooks;

// Messaging (issue 16).
mod browser_messaging;
mod browser_telecom;
pub mod messaging;
pub mod telecom;
// CRM (issue 17).
mod browser_crm;
pub mod crm;
