//! Dukan: one executable that runs a small business — many companies in one redb file.
//!
//! Codemap, in reading order (see README.md for the bird's-eye view, the layer list that
//! `tidy` checks, and the invariants):
//! - `clock`, `ids`, `i18n`, `config`, `memory`, `metrics`: the vocabulary every module shares.
//! - `storage`: the only module that imports redb — data file, transactions, the `Read` trait,
//!   typed keys, tables, the migration mechanism, hooks, outbox.
//! - `error`, `country`, `money` (decimals, `display` for people), `xlsx`, `documents` (PDF).
//! - `audit`: the append-only log every write appends to in its own transaction.
//! - `tenancy`: companies, branches, users, roles, permission flags, plans, and the `Actor`
//!   every domain call receives.
//! - `auth`: passwords, sessions, tokens; builds the `Actor`.
//! - `webhooks`, `catalog`, `inventory` (stock ledger, FIFO, `take_for_sale`), `search`.
//! - `clients`: clients, the debt ledger, installment deals, the reconciliation statement;
//!   `scales`: scale protocols, device workers, live weight and the weights of sale lines.
//! - `pos`: cash boxes, shifts, checkout, returns and the daily sales projection; `agents`:
//!   field agents' lots on the stock ledger, their returns and sales; `purchasing`: suppliers,
//!   purchases in cash or on credit, payables, the supplier act; `printing`:
//!   receipts on ESC/POS printers, fanned out from the outbox; `telecom`: the operator desk
//!   (subscribers, SIM stock, tariffs with revisions, contracts, the balance ledger, billing).
//!   `crm`: contacts, pipelines, deals on a board, tasks and the client timeline.
//! - `finance`: money accounts (cash boxes, bank accounts) and their ledgers, money documents,
//!   the money journal and the daily money projection.
//! - `analytics` (sales report, dashboard), `transfer` (product import and export), `check`,
//!   `dedup` (duplicate clients: detection, merge with undo).
//! - `backup`: verified one-file backups and restore.
//! - `schema`: every table and the named migrations; `wiring`: every cross-domain reaction.
//! - `workers`: background loops over the outbox; `app`: the `App` state; `http`: the only
//!   module that imports axum, askama and rust-embed.
//! - `control`, `demo`, `seed`: the local control socket, the demo shop, benchmark data.

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

pub mod agents;
pub mod clients;
pub mod crm;
pub mod inventory;
pub mod pos;
pub mod purchasing;
pub mod scales;
pub mod telecom;

pub mod finance;

pub mod analytics;
pub mod dedup;
pub mod messaging;
pub mod printing;
pub mod transfer;
pub mod webhooks;

pub mod search;

pub mod backup;
// The relay for Meta's webhooks and the box's link to it (issue 16, relay).
pub mod check;
pub mod demo;
pub mod relay;
pub mod schema;
pub mod seed;
pub mod wiring;

pub mod errlog;
pub mod metrics;
pub mod workers;

pub mod live;
pub mod memory;
pub use memory::release_memory;

pub mod app;
pub mod control;
pub mod http;
pub mod ops;
#[cfg(test)]
mod tidy;
