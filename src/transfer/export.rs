//! Export of a product list to CSV (UTF-8 with BOM, `;`, as Russian Excel opens it) and XLSX.
//! The columns are those the importer reads, so an export imports back unchanged; barcodes,
//! codes, articles and PLUs are text cells so spreadsheets keep leading zeros and all digits.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::columns::Column;
use crate::catalog::model::Product;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::{BrandId, CategoryId};

/// Category paths and brand names by id, for the category and brand columns.
pub struct Names {
    pub categories: HashMap<CategoryId, String>,
    pub brands: HashMap<BrandId, String>,
}

enum Cell {
    Text(String),
    /// A decimal amount; XLSX shows it as a number, CSV as its exact text.
    Number(Decimal),
}

fn cells(p: &Product, names: &Names, lang: Lang) -> Vec<Cell> {
    let text = |s: &str| Cell::Text(s.to_string());
    Column::ALL
        .iter()
        .map(|c| match c {
            Column::Code => text(&p.code),
            Column::Name => text(&p.name),
            Column::Kind => text(p.kind.code()),
            Column::Article => text(&p.article),
            Column::Barcodes => Cell::Text(p.barcodes.join(", ")),
            Column::Unit => text(lang.pick(p.unit.label_ru(), p.unit.code())),
            Column::Weighed => text(match (p.weighed, lang) {
                (true, Lang::Ru) => "да",
                (false, Lang::Ru) => "нет",
                (true, Lang::En) => "yes",
                (false, Lang::En) => "no",
            }),
            Column::Plu => Cell::Text(p.plu.map(|n| n.to_string()).unwrap_or_default()),
            // An unknown purchase price is stored as a bare 0 (the form leaves it empty);
            // an empty cell reads back the same way.
            Column::PurchasePrice if p.purchase_price.is_zero() => Cell::Text(String::new()),
            Column::PurchasePrice => Cell::Number(p.purchase_price),
            Column::Markup => Cell::Number(p.markup),
            Column::Price => Cell::Number(p.price),
            Column::Discount => Cell::Number(p.discount),
            Column::Category => Cell::Text(p.category.and_then(|c| names.categories.get(&c).cloned()).unwrap_or_default()),
            Column::Brand => Cell::Text(p.brand.and_then(|b| names.brands.get(&b).cloned()).unwrap_or_default()),
            Column::Country => text(&p.country),
            Column::Expiry => text(&p.expiry),
            // Zero means "no threshold" and is written as an empty cell (the rule wants > 0).
            Column::ReorderLevel if p.reorder_level.is_zero() => Cell::Text(String::new()),
            Column::ReorderLevel => Cell::Number(p.reorder_level),
        })
        .collect()
}

pub fn csv(products: &[Product], names: &Names, lang: Lang) -> Result<Vec<u8>> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(&mut out);
        let fail = |e: csv::Error| Error::Internal(format!("csv export: {e}"));
        w.write_record(Column::ALL.iter().map(|c| c.header(lang))).map_err(fail)?;
        for p in products {
            let row: Vec<String> = cells(p, names, lang)
                .into_iter()
                .map(|c| match c {
                    Cell::Text(s) => s,
                    Cell::Number(d) => d.to_string(),
                })
                .collect();
            w.write_record(&row).map_err(fail)?;
        }
        w.flush().map_err(|e| Error::Internal(format!("csv export: {e}")))?;
    }
    Ok(out)
}

pub fn xlsx(products: &[Product], names: &Names, lang: Lang) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("xlsx export: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("0.00");
    for (col, c) in Column::ALL.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, c.header(lang), &bold).map_err(fail)?;
        let width = if *c == Column::Name { 40.0 } else { 16.0 };
        sheet.set_column_width(col, width).map_err(fail)?;
    }
    for (i, p) in products.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| Error::Internal("xlsx export: too many rows".into()))?;
        for (col, cell) in cells(p, names, lang).into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(s) => sheet.write_string_with_format(row, col, s, &text).map_err(fail)?,
                // Spreadsheets hold numbers as doubles; 2-decimal amounts below 10^13 read
                // back to the same decimal (the importer parses the shortest text form).
                Cell::Number(d) => sheet.write_number_with_format(row, col, d.to_f64().unwrap_or_default(), &money).map_err(fail)?,
            };
        }
    }
    book.save_to_buffer().map_err(fail)
}
