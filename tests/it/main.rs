//! The one integration-test binary: each module drives the real server over HTTP.

mod common;

mod agent_analytics;
mod agent_requests;
pub mod agents;
mod analytics;
mod analytics_tabs;
mod auth;
mod box_ops;
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
mod crm_orders;
// Packaging (issue 18).
mod packaging;
// Scales and labels, second slice (issue 15).
pub mod labels;
// Slugs, sign-up and trial, operations, user guide (issue 18).
mod browser_help;
mod help;
mod signup;
// Telecom slice A (issue 13, tele2).
mod telecom_gateway;
mod telecom_merge;
mod telecom_print;
pub mod telecom_tickets;
// Telecom slice B: search, usage rating, reports (issue 13).
mod telecom_reports;
// Messaging, second slice (issue 16): outgoing events and the webhooks page.
mod webhook_events;
// tele4: the telecom kinds of import, the bulk SIM page, tickets in the report (issue 13).
mod telecom_import;
// Duplicate clients: detection, merge, undo (issue 17, crm3).
mod crm_merge;
// Label scales (issue 15).
mod label_scales;
// The public request form and reviews (issue 17, crm4).
mod browser_crm_public;
mod crm_public;
// The relay for Meta webhooks and the box link (issue 16, relay).
mod relay;
// E-mail over SMTP and notification rules (issue 16, msg3).
mod browser_notify;
mod mail;
mod notify_channels;
mod notify_rules;
mod smtp_fake;
// The CRM calendar: resources, events, recurrence, conflicts (issue 17, calendar).
mod browser_crm_calendar;
mod crm_calendar;
// Documents from templates (issue 17, tmpl).
mod browser_crm_documents;
mod crm_documents;
// The contacts import and the whole CRM flow in one browser run (issue 17).
mod browser_crm_flow;
mod crm_contacts_import;
// Files attached to a client's card (issue 17, attachments).
mod crm_attachments;
// Documents from orders and the templates API (issue 17, tmpl API).
mod browser_crm_attachments;
mod crm_docs_api;
