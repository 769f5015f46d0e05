//! The one integration-test binary: each module drives the real server over HTTP.

mod common;

mod auth;
