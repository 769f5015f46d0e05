//! Point-of-sale tables and `verify`: every shift's running totals against its cash ledger, and
//! every sale's payments against its total.

use rust_decimal::Decimal;

use super::model::{Cart, CashBox, CashEntry, CashFlow, Idempotent, Method, PosSettings, Sale, SaleReturn, SaleStatus, Shift, ShiftStatus};
use crate::ids::{CashBoxId, CompanyId, ShiftId, UserId};
use crate::storage::{ReadTx, StorageError, Table, TableInfo};

pub const CASH_BOXES: Table<(u64, u64), CashBox> = Table::new("company_cashboxid_cashbox");
pub const SHIFTS: Table<(u64, u64), Shift> = Table::new("company_shiftid_shift");
/// The open shift of a cashier at a box: at most one (spec A7).
pub const OPEN_SHIFTS: Table<(CompanyId, CashBoxId, UserId), u64> = Table::new("company_cashbox_cashier_openshiftid");
pub const CASH_LEDGER: Table<(CompanyId, ShiftId, u64), CashEntry> = Table::new("company_shift_seq_cashentry");
pub const CASH_FLOWS: Table<(CompanyId, u64), CashFlow> = Table::new("company_flowid_cashflow");
pub const CARTS: Table<(CompanyId, u64), Cart> = Table::new("company_cartid_cart");
/// The open cart of a user at a box.
pub const ACTIVE_CARTS: Table<(CompanyId, UserId, CashBoxId), u64> = Table::new("company_user_cashbox_cartid");
pub const SALES: Table<(u64, u64), Sale> = Table::new("company_saleid_sale");
/// Sales by shift, for the shift's sale list.
pub const SHIFT_SALES: Table<(u64, u64, u64), u64> = Table::new("company_shift_saleid_unit");
pub const RETURNS: Table<(u64, u64), SaleReturn> = Table::new("company_returnid_salereturn");
pub const IDEMPOTENCY: Table<(CompanyId, &'static str), Idempotent> = Table::new("company_key_idempotency");
pub const POS_SETTINGS: Table<u64, PosSettings> = Table::new("companyid_possettings");

pub fn tables() -> Vec<TableInfo> {
    vec![
        CASH_BOXES.info("(CompanyId, CashBoxId)", "cash boxes (branch or company-wide; expense-only boxes)"),
        SHIFTS.info("(CompanyId, ShiftId)", "cashier shifts with running totals (closing is O(1))"),
        OPEN_SHIFTS.info("(CompanyId, CashBoxId, UserId) -> ShiftId", "the one open shift per cashier and box"),
        CASH_LEDGER.info("(CompanyId, ShiftId, seq)", "append-only cash movements of a shift's drawer"),
        CASH_FLOWS.info("(CompanyId, flow id)", "cash in / cash out with reason and approval"),
        CARTS.info("(CompanyId, cart id)", "open POS carts (server-side; carried over between shifts)"),
        ACTIVE_CARTS.info("(CompanyId, UserId, CashBoxId) -> cart id", "the open cart of a cashier at a box"),
        SALES.info("(CompanyId, SaleId)", "sales: lines with FIFO cost snapshots, payments, returns"),
        SHIFT_SALES.info("(CompanyId, ShiftId, SaleId)", "sales of a shift"),
        RETURNS.info("(CompanyId, return id)", "sale returns (refunds), per line and quantity"),
        IDEMPOTENCY.info("(CompanyId, client key)", "idempotency keys of checkouts and returns: fingerprint and result"),
        POS_SETTINGS.info("CompanyId", "POS settings: wallets offered, weighed-barcode rule"),
    ]
}

/// Recomputes what the POS projections must be and lists every difference.
/// A sale's number, for the stock journal's links; `None` when the company has no such sale.
pub fn sale_number(tx: &impl crate::storage::Read, company: crate::ids::CompanyId, sale: u64) -> Result<Option<String>, StorageError> {
    Ok(tx.get(SALES, (company.0, sale))?.map(|s| s.number))
}

pub fn verify(tx: &ReadTx) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let mut open = std::collections::BTreeSet::new();
    tx.range(SHIFTS, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, id), shift| {
        let mut sum = Decimal::ZERO;
        let mut rows = 0u64;
        tx.range(CASH_LEDGER, (CompanyId(c), ShiftId(id), 0), (CompanyId(c), ShiftId(id), u64::MAX), false, usize::MAX, |_, e| {
            sum += e.amount;
            rows += 1;
            Ok(true)
        })?;
        if sum != shift.expected_cash() {
            problems.push(format!("shift {id} of company {c}: cash ledger sums to {sum}, running totals expect {}", shift.expected_cash()));
        }
        if rows != shift.cash_rows {
            problems.push(format!("shift {id} of company {c}: {rows} cash rows, the shift counts {}", shift.cash_rows));
        }
        if shift.status == ShiftStatus::Open {
            open.insert((c, shift.cash_box.0, shift.cashier.0, id));
        }
        Ok(true)
    })?;
    let mut indexed = std::collections::BTreeSet::new();
    tx.range(
        OPEN_SHIFTS,
        (CompanyId::MIN, CashBoxId::MIN, UserId::MIN),
        (CompanyId::MAX, CashBoxId::MAX, UserId::MAX),
        false,
        usize::MAX,
        |(CompanyId(c), CashBoxId(b), UserId(u)), id| {
            indexed.insert((c, b, u, id));
            Ok(true)
        },
    )?;
    for missing in open.symmetric_difference(&indexed) {
        problems.push(format!("open-shift index disagrees with shifts at {missing:?}"));
    }
    tx.range(SALES, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, id), sale| {
        let paid: Decimal = sale.payments.iter().map(|p| p.amount).sum();
        if paid != sale.total {
            problems.push(format!("sale {} of company {c}: payments {paid} ≠ total {}", sale.number, sale.total));
        }
        let lines: Decimal = sale.lines.iter().map(|l| l.amount).sum();
        if lines != sale.total {
            problems.push(format!("sale {} of company {c}: lines {lines} ≠ total {}", sale.number, sale.total));
        }
        let returned: Decimal = sale.lines.iter().map(|l| l.returned_amount).sum();
        if returned != sale.returned {
            problems.push(format!("sale {} of company {c}: returned lines {returned} ≠ {}", sale.number, sale.returned));
        }
        let debt = sale.payments.iter().any(|p| p.method == Method::Debt);
        if debt != (sale.status == SaleStatus::Debt) && sale.status != SaleStatus::Returned {
            problems.push(format!("sale {} of company {c}: status {:?} disagrees with its payments", sale.number, sale.status));
        }
        if tx.get(SHIFT_SALES, (c, sale.shift.0, id))?.is_none() {
            problems.push(format!("sale {} of company {c}: missing from its shift's list", sale.number));
        }
        Ok(true)
    })?;
    Ok(problems)
}
