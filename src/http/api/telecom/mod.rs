//! The telecom desk's API under `/api/v1/telecom/`, one file per resource: subscribers (with
//! likely duplicates), SIM stock (create, generate, block, unblock, the binding history),
//! tariffs with revisions, contracts and their state machine, and billing (payments idempotent
//! on `transaction_id`, refunds, corrections, the billing run, the event feed, the settings).
//! Rights: see `telecom`.

pub mod billing;
pub mod contracts;
pub mod gateway;
pub mod sims;
pub mod subscribers;
pub mod tariffs;
pub mod tickets;

use utoipa_axum::router::OpenApiRouter;

use super::Limits;
use crate::app::App;
use crate::error::{Error, Result};

/// An optional status filter of a list, parsed by the status type's `parse`.
fn parse_status<T>(raw: Option<&str>, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| Error::field("status", "status", "Нет такого статуса", "No such status")),
    }
}

/// The desk's routes for a signed-in caller.
pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .merge(subscribers::routes())
        .merge(sims::routes())
        .merge(tariffs::routes())
        .merge(contracts::routes())
        .merge(billing::routes())
        .merge(tickets::routes())
        .merge(gateway::routes())
}
