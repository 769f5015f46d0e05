//! Scale tables. Every key starts with the company; a sale's weights are keyed by its line, so
//! the sale card reads them with one range scan.

use crate::ids::{CompanyId, ProductId, SaleId, ScaleId};
use crate::storage::{Table, TableInfo};

use super::{CartWeights, SaleWeight, Scale};

pub const SCALES: Table<(CompanyId, ScaleId), Scale> = Table::new("company_scaleid_scale");
/// Readings taken into an open cart per product, moved to `SALE_WEIGHTS` by its checkout.
pub const CART_WEIGHTS: Table<(CompanyId, u64, ProductId), CartWeights> = Table::new("company_cart_product_cartweights");
/// The readings a sale line's quantity came from (or its manual entry).
pub const SALE_WEIGHTS: Table<(CompanyId, SaleId, u32), SaleWeight> = Table::new("company_sale_line_saleweight");

pub fn tables() -> Vec<TableInfo> {
    vec![
        SCALES.info("(CompanyId, ScaleId)", "scales: link (TCP or serial with line settings), protocol, resolution, bound cash box"),
        CART_WEIGHTS.info("(CompanyId, cart id, ProductId)", "scale readings (or manual weights) taken into an open cart, per product"),
        SALE_WEIGHTS
            .info("(CompanyId, SaleId, line index)", "the readings a weighed sale line's quantity came from, written by its checkout"),
    ]
}
