//! The one integration-test binary: each module drives the real server over HTTP.

mod common;

mod auth;
mod browser;
mod browser_print;
mod browser_stock;
mod cli;
mod input;
mod isolation;
mod ops;
mod pos;
pub mod printing;
mod search;
pub mod stock;
mod tenancy;
mod upgrade;
mod webhooks;
