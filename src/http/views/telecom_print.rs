//! The counter's printouts: the contract (`/telecom/contracts/{id}/contract.pdf`) and a
//! payment's receipt (`/telecom/contracts/{id}/receipts/{seq}.pdf`) as PDFs, drawn by
//! `telecom::print` on the document layer.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::Ui;
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::ids::ContractId;
use crate::telecom::print;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/telecom/contracts/{id}/contract.pdf", get(contract_pdf))
        .route("/telecom/contracts/{id}/receipts/{file}", get(receipt_pdf))
}

pub async fn contract_pdf(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let doc = print::contract_document(&app.db.read()?, ui.actor(), ContractId(id))?;
    Ok(crate::http::shared::pdf_download(&format!("contract-{id}.pdf"), print::pdf(&doc)?))
}

/// `{file}` is `<seq>.pdf`: the ledger row of the payment.
pub async fn receipt_pdf(State(app): State<App>, ui: Ui, Path((id, file)): Path<(u64, String)>) -> Result<Response> {
    let seq = file.strip_suffix(".pdf").and_then(|s| s.parse::<u64>().ok()).ok_or(Error::NotFound)?;
    let doc = print::receipt_document(&app.db.read()?, ui.actor(), ContractId(id), seq)?;
    Ok(crate::http::shared::pdf_download(&format!("receipt-{id}-{seq}.pdf"), print::pdf(&doc)?))
}
