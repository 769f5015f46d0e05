//! Stock reports read from the balance projection, never from the ledger: on hand per
//! warehouse with value at cost and at the sale price, and the low-stock list.

use rust_decimal::Decimal;

use super::store::BALANCES;
use crate::catalog::store::PRODUCTS;
use crate::ids::{CompanyId, ProductId, WarehouseId};
use crate::money::round_money;
use crate::storage::{ReadTx, StorageError};

#[derive(Debug, Clone)]
pub struct Row {
    pub product: ProductId,
    pub name: String,
    pub qty: Decimal,
    pub value: Decimal,
    pub sale_value: Decimal,
    pub reorder_level: Decimal,
}

#[derive(Debug, Default)]
pub struct OnHand {
    pub rows: Vec<Row>,
    pub total_value: Decimal,
    pub total_sale_value: Decimal,
    /// Cursor for the next page when `rows` is full.
    pub next_after: Option<u64>,
}

/// Up to `limit` products of one warehouse after the `after` cursor; `low` keeps only those at
/// or below their reorder level. Balances and products are both ordered by product id, so the
/// report is a merge of two sequential range scans, never a lookup per row.
pub fn on_hand(tx: &ReadTx, c: CompanyId, wh: WarehouseId, after: Option<u64>, low: bool, limit: usize) -> Result<OnHand, StorageError> {
    let mut out = OnHand::default();
    let lo = after.map(|a| a.saturating_add(1)).unwrap_or(0);
    let mut balances = Vec::new();
    tx.range(BALANCES, (c.0, wh.0, lo), (c.0, wh.0, u64::MAX), false, usize::MAX, |(_, _, pid), b| {
        balances.push((pid, b));
        Ok(true)
    })?;
    let (Some(first), Some(last_pid)) = (balances.first().map(|b| b.0), balances.last().map(|b| b.0)) else {
        return Ok(out);
    };
    let mut next = balances.into_iter().peekable();
    let mut last = None;
    tx.range(PRODUCTS, (c.0, first), (c.0, last_pid), false, usize::MAX, |(_, pid), p| {
        while next.peek().is_some_and(|(b, _)| *b < pid) {
            next.next();
        }
        let Some((_, b)) = next.next_if(|(b, _)| *b == pid) else {
            return Ok(true);
        };
        if low && (p.reorder_level.is_zero() || b.qty > p.reorder_level) {
            return Ok(true);
        }
        let sale = round_money(b.qty * p.price);
        out.total_value += b.value;
        out.total_sale_value += sale;
        out.rows.push(Row {
            product: ProductId(pid),
            name: p.name,
            qty: b.qty,
            value: b.value,
            sale_value: sale,
            reorder_level: p.reorder_level,
        });
        last = Some(pid);
        Ok(out.rows.len() < limit)
    })?;
    if out.rows.len() == limit {
        out.next_after = last;
    }
    Ok(out)
}
