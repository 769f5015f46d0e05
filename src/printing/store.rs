//! Printing tables. Every key starts with the company; a job's key also names its printer, so
//! a printer's queue is one range scan in job order.

use crate::storage::{Table, TableInfo};

use super::{PrintJob, Printer, PrinterStatus, SaleReceipt};

pub const PRINTERS: Table<(u64, u64), Printer> = Table::new("company_printerid_printer");
/// Queued jobs per printer, oldest first; a job leaves when it has printed.
pub const PRINT_JOBS: Table<(u64, u64, u64), PrintJob> = Table::new("company_printer_jobid_printjob");
/// Jobs that print a sale's receipt: the job's bytes are laid out and encoded by the print
/// worker when it sends them, not in the checkout transaction (the single writer every till
/// waits on).
pub const SALE_RECEIPTS: Table<(u64, u64, u64), SaleReceipt> = Table::new("company_printer_jobid_salereceipt");
/// The last status a printer reported (or that it could not be reached).
pub const PRINTER_STATUS: Table<(u64, u64), PrinterStatus> = Table::new("company_printerid_printerstatus");

pub fn tables() -> Vec<TableInfo> {
    vec![
        PRINTERS.info("(CompanyId, PrinterId)", "receipt printers: transport, ESC/POS profile, assigned cash boxes"),
        PRINT_JOBS.info(
            "(CompanyId, PrinterId, job id)",
            "queued print jobs, one queue per printer (ESC/POS bytes; a sale receipt's are encoded when sent)",
        ),
        SALE_RECEIPTS.info("(CompanyId, PrinterId, job id)", "the sale a queued receipt job prints, encoded when it is sent"),
        PRINTER_STATUS.info("(CompanyId, PrinterId)", "last status read back from a printer (DLE EOT) and printed count"),
    ]
}
