//! Dukan: one executable that runs a small business — many companies in one redb file.
//!
//! Codemap, in reading order (see README.md for the bird's-eye view and invariants):
//! - `clock`, `ids`, `error`, `i18n`, `country`, `config`: the vocabulary every module shares;
//!   `money` (decimals, compact stored form); `xlsx`: the only importer of rust_xlsxwriter.
//! - `storage`: the only module that imports redb — data file, transactions, tables,
//!   migrations, outbox.
//! - `tenancy`: companies, branches, users, roles, permission flags, plans.
//! - `auth`: passwords, sessions, tokens, and the `Actor` every domain call receives.
//! - `audit`: the append-only log every write appends to in its own transaction.
//! - `pos`: tills, shifts, checkout, returns and the daily sales projection; `analytics`: the
//!   sales report read from that projection.
//! - `backup`, `check`: verified one-file backups and restore; the consistency checker.
//! - `demo`: the demo shop of `dukan demo`; `seed`: synthetic benchmark data. `schema`: the registry of every table, rendered to `schema/keyspace.txt`.
//! - `clients`: clients, the debt ledger wired into `pos`, installment deals, the reconciliation statement.
//! - `transfer`: product import (CSV/XLSX/XLS/ODS → preview → confirmed, chunked apply) and
//!   export (CSV, XLSX).
//! - `pos`, `printing`: cash boxes, shifts, checkout; receipts on ESC/POS printers and their
//!   per-printer queues.
//! - `search`: the only module that imports tantivy — per-company product indexes derived from
//!   the catalog, fed from the outbox, rebuildable.
//! - `workers`, `metrics`: background loops over the outbox; Prometheus text.
//! - `app`: the `App` state handed to HTTP handlers and workers; `control`: the local socket
//!   `dukan backup`/`check` use while a server holds the data file.
//! - `http`: the only module that imports axum, askama and rust-embed: API, pages, assets.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod clock;
pub mod config;
pub mod country;
pub mod documents;
pub mod error;
pub mod i18n;
pub mod ids;
pub mod money;
pub mod xlsx;

pub mod storage;

pub mod audit;
pub mod auth;
pub mod tenancy;

pub mod catalog;

pub mod clients;
pub mod inventory;
pub mod pos;

pub mod analytics;
pub mod printing;
pub mod transfer;
pub mod webhooks;

pub mod search;

pub mod backup;
pub mod check;
pub mod demo;
pub mod schema;
pub mod seed;

pub mod metrics;
pub mod workers;

pub mod memory;
pub use memory::release_memory;

pub mod app;
pub mod control;
pub mod http;
