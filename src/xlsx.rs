//! Spreadsheet export: the only module that imports `rust_xlsxwriter`. A report is a title,
//! column headers and rows of text or decimal cells; numbers keep their places through the
//! cell format.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, Workbook};

use crate::error::{Error, Result};

pub enum Cell {
    Text(String),
    /// A quantity (3 places shown).
    Qty(Decimal),
    /// An amount of money (2 places shown).
    Money(Decimal),
}

/// One worksheet named `title` (cut to Excel's 31 characters): a bold header row, then `rows`.
/// Excel stores numbers as binary floating point; the decimals are converted only here, at
/// the edge, and the exact values stay in the data file.
pub fn workbook(title: &str, headers: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>> {
    workbook_sheets(&[Sheet { title: title.to_string(), headers: headers.iter().map(|h| h.to_string()).collect(), rows }])
}

/// One worksheet of [`workbook_sheets`].
pub struct Sheet<'a> {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: &'a [Vec<Cell>],
}

/// A workbook of several sheets, in order (a report with several tables). Sheet names are
/// cut to Excel's 31 characters and made unique by a number when two would collide.
pub fn workbook_sheets(sheets: &[Sheet<'_>]) -> Result<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("xlsx: {e}"));
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let qty = Format::new().set_num_format("#,##0.###");
    let mut used: Vec<String> = Vec::new();
    for s in sheets {
        let sheet = book.add_worksheet();
        let base: String = s.title.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        let mut name = base.clone();
        let mut n = 2;
        while used.iter().any(|u| u.to_lowercase() == name.to_lowercase()) {
            let suffix = format!(" {n}");
            name = format!("{}{suffix}", base.chars().take(31 - suffix.len()).collect::<String>());
            n += 1;
        }
        used.push(name.clone());
        sheet.set_name(name).map_err(fail)?;
        for (col, h) in s.headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, h, &bold).map_err(fail)?;
            sheet.set_column_width(col as u16, if col == 0 { 40 } else { 16 }).map_err(fail)?;
        }
        for (i, row) in s.rows.iter().enumerate() {
            let r = (i + 1) as u32;
            for (col, cell) in row.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, col, s).map(|_| ()),
                    Cell::Qty(d) => sheet.write_number_with_format(r, col, d.to_f64().unwrap_or_default(), &qty).map(|_| ()),
                    Cell::Money(d) => sheet.write_number_with_format(r, col, d.to_f64().unwrap_or_default(), &money).map(|_| ()),
                }
                .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
    }
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workbook_is_a_zip_with_the_sheet_and_its_strings() {
        let rows = vec![vec![Cell::Text("Хлеб".into()), Cell::Qty(Decimal::new(12_500, 3)), Cell::Money(Decimal::new(4_550, 2))]];
        let bytes = workbook("Остатки: склад/1", &["Товар", "Кол-во", "Сумма"], &rows).expect("xlsx");
        assert_eq!(&bytes[..2], b"PK");
        assert!(bytes.len() > 1000);
    }
}
