//! Printing tables. Every key starts with the company; a job's key also names its printer, so
//! a printer's queue is one range scan in job order.

use crate::storage::{Table, TableInfo};

use super::kitchen::Station;
use super::labels::{LabelPrice, LabelSetup};
use super::{PrintJob, Printer, PrinterStatus, SaleReceipt};
use crate::ids::{CompanyId, PrinterId, ProductId};

pub const PRINTERS: Table<(u64, u64), Printer> = Table::new("company_printerid_printer");
/// Queued jobs per printer, oldest first; a job leaves when it has printed.
pub const PRINT_JOBS: Table<(u64, u64, u64), PrintJob> = Table::new("company_printer_jobid_printjob");
/// Jobs that print a sale's receipt: the job's bytes are laid out and encoded by the print
/// worker when it sends them, not in the checkout transaction (the single writer every till
/// waits on).
pub const SALE_RECEIPTS: Table<(u64, u64, u64), SaleReceipt> = Table::new("company_printer_jobid_salereceipt");
/// The last status a printer reported (or that it could not be reached).
pub const PRINTER_STATUS: Table<(u64, u64), PrinterStatus> = Table::new("company_printerid_printerstatus");

/// Label printers: a printer with a row here prints labels (TSPL or ESC/POS), never receipts.
pub const LABEL_SETUPS: Table<(CompanyId, PrinterId), LabelSetup> = Table::new("company_printerid_labelsetup");
/// The price each product's last shelf label showed ("prices changed since the last print").
pub const LABEL_PRICES: Table<(CompanyId, ProductId), LabelPrice> = Table::new("company_productid_labelprice");

/// Kitchen and bar printers: the station whose order tickets a printer prints.
pub const STATIONS: Table<(CompanyId, PrinterId), Station> = Table::new("company_printerid_station");

pub fn tables() -> Vec<TableInfo> {
    vec![
        PRINTERS.info("(CompanyId, PrinterId)", "receipt printers: transport, ESC/POS profile, assigned cash boxes"),
        PRINT_JOBS.info(
            "(CompanyId, PrinterId, job id)",
            "queued print jobs, one queue per printer (ESC/POS bytes; a sale receipt's are encoded when sent)",
        ),
        SALE_RECEIPTS.info("(CompanyId, PrinterId, job id)", "the sale a queued receipt job prints, encoded when it is sent"),
        PRINTER_STATUS.info("(CompanyId, PrinterId)", "last status read back from a printer (DLE EOT) and printed count"),
        LABEL_SETUPS.info("(CompanyId, PrinterId)", "label printers: language (TSPL or ESC/POS), label size, gap, dpi, text mode"),
        LABEL_PRICES.info("(CompanyId, ProductId)", "the price a product's last shelf label printed, and when"),
        STATIONS.info("(CompanyId, PrinterId)", "the station (kitchen, bar, …) whose order tickets a printer prints"),
    ]
}
