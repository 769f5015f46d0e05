//! Scale tables. Every key starts with the company; a sale's weights are keyed by its line, so
//! the sale card reads them with one range scan.

use crate::ids::{CompanyId, LabelScaleId, ProductId, SaleId, ScaleId};
use crate::storage::{Table, TableInfo};

use super::label::{Hold, LabelBatch, LabelScale};
use super::{CartWeights, SaleWeight, Scale};

pub const SCALES: Table<(CompanyId, ScaleId), Scale> = Table::new("company_scaleid_scale");
/// Readings taken into an open cart per product, moved to `SALE_WEIGHTS` by its checkout.
pub const CART_WEIGHTS: Table<(CompanyId, u64, ProductId), CartWeights> = Table::new("company_cart_product_cartweights");
/// The readings a sale line's quantity came from (or its manual entry).
pub const SALE_WEIGHTS: Table<(CompanyId, SaleId, u32), SaleWeight> = Table::new("company_sale_line_saleweight");

/// Label scales: link (agent or Mertech TCP), hashed token, sync state.
pub const LABEL_SCALES: Table<(CompanyId, LabelScaleId), LabelScale> = Table::new("company_labelscaleid_labelscale");
/// Every PLU batch a label scale answered, by batch id (ascending = oldest first).
pub const LABEL_BATCHES: Table<(CompanyId, LabelScaleId, u64), LabelBatch> = Table::new("company_labelscale_batch_labelbatch");
/// The PLUs a label scale holds (accepted by it) → product and the sync that sent them.
pub const LABEL_HOLDS: Table<(CompanyId, LabelScaleId, u64), Hold> = Table::new("company_labelscale_plu_hold");
/// The version of the company's PLU list: raised by every change a label scale must learn.
pub const LABEL_VERSION: Table<CompanyId, u64> = Table::new("company_plulistversion");

pub fn tables() -> Vec<TableInfo> {
    vec![
        SCALES.info("(CompanyId, ScaleId)", "scales: link (TCP or serial with line settings), protocol, resolution, bound cash box"),
        CART_WEIGHTS.info("(CompanyId, cart id, ProductId)", "scale readings (or manual weights) taken into an open cart, per product"),
        SALE_WEIGHTS
            .info("(CompanyId, SaleId, line index)", "the readings a weighed sale line's quantity came from, written by its checkout"),
        LABEL_SCALES.info("(CompanyId, LabelScaleId)", "label scales: agent or Mertech TCP link, SHA-256 of the token, PLU sync state"),
        LABEL_BATCHES
            .info("(CompanyId, LabelScaleId, batch id)", "every PLU batch result: accepted/rejected per PLU with the scale's message"),
        LABEL_HOLDS.info("(CompanyId, LabelScaleId, u64 PLU)", "PLUs a label scale accepted and holds: product and sync id"),
        LABEL_VERSION.info("CompanyId", "the company's PLU list version, raised by every weighed-product change"),
    ]
}
