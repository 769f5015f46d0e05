//! Export of a product list to CSV (UTF-8 with BOM, `;`, as Russian Excel opens it) and XLSX.
//! The columns are those the importer reads, so an export imports back unchanged; barcodes,
//! codes, articles and PLUs are text cells so spreadsheets keep leading zeros and all digits.
//! A CSV text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR
//! first) gets a leading `'` (OWASP CSV injection); the importer drops it again
//! (`unquote_formula`). XLSX text cells are shared strings, never formulas.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::columns::Column;
use crate::catalog::model::{Kind, Product};
use crate::catalog::query::{self, ListFilter};
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::{BrandId, CategoryId, CompanyId};
use crate::storage::Read;

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

/// The columns of an export: the importer's, without purchase price and markup (which give it
/// away) unless the caller may see costs.
pub fn columns(costs: bool) -> Vec<Column> {
    Column::ALL.iter().copied().filter(|c| costs || !matches!(c, Column::PurchasePrice | Column::Markup)).collect()
}

fn cells(p: &Product, names: &Names, lang: Lang, columns: &[Column]) -> Vec<Cell> {
    let text = |s: &str| Cell::Text(s.to_string());
    columns
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
            // The telecom kinds' columns are never among a product export's.
            _ => Cell::Text(String::new()),
        })
        .collect()
}

/// Characters that make a spreadsheet read a cell as a formula.
const FORMULA_START: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// `'=1+1` for `=1+1`: the cell opens as the text it is.
fn quote_formula(s: String) -> String {
    if s.starts_with(FORMULA_START) { format!("'{s}") } else { s }
}

/// The importer's inverse of `quote_formula`: `'=1+1` reads back as `=1+1`.
pub fn unquote_formula(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => s,
    }
}

pub fn csv(products: &[Product], names: &Names, lang: Lang, costs: bool) -> Result<Vec<u8>> {
    let columns = columns(costs);
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::WriterBuilder::new().delimiter(b';').from_writer(&mut out);
        let fail = |e: csv::Error| Error::Internal(format!("csv export: {e}"));
        w.write_record(columns.iter().map(|c| c.header(lang))).map_err(fail)?;
        for p in products {
            let row: Vec<String> = cells(p, names, lang, &columns)
                .into_iter()
                .map(|c| match c {
                    Cell::Text(s) => quote_formula(s),
                    Cell::Number(d) => d.to_string(),
                })
                .collect();
            w.write_record(&row).map_err(fail)?;
        }
        w.flush().map_err(|e| Error::Internal(format!("csv export: {e}")))?;
    }
    Ok(out)
}

pub fn xlsx(products: &[Product], names: &Names, lang: Lang, costs: bool) -> Result<Vec<u8>> {
    let columns = columns(costs);
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| Error::Internal(format!("xlsx export: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let money = Format::new().set_num_format("0.00");
    for (col, c) in columns.iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, c.header(lang), &bold).map_err(fail)?;
        let width = if *c == Column::Name { 40.0 } else { 16.0 };
        sheet.set_column_width(col, width).map_err(fail)?;
    }
    for (i, p) in products.iter().enumerate() {
        let row = u32::try_from(i + 1).map_err(|_| Error::Internal("xlsx export: too many rows".into()))?;
        for (col, cell) in cells(p, names, lang, &columns).into_iter().enumerate() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::{Characteristics, Kind, Unit};
    use crate::clock::Ts;
    use crate::ids::ProductId;

    fn product(name: &str, article: &str) -> Product {
        Product {
            id: ProductId(1),
            kind: Kind::Goods,
            name: name.into(),
            article: article.into(),
            code: "0001".into(),
            barcodes: Vec::new(),
            unit: Unit::Piece,
            weighed: false,
            plu: None,
            brand: None,
            category: None,
            purchase_price: Decimal::new(8500, 2),
            markup: Decimal::ZERO,
            price: Decimal::new(-1, 0),
            discount: Decimal::ZERO,
            country: String::new(),
            expiry: String::new(),
            packages: Vec::new(),
            characteristics: Characteristics::default(),
            components: Vec::new(),
            recipe: Vec::new(),
            reorder_level: Decimal::ZERO,
            archived: false,
            created: Ts(0),
            updated: Ts(0),
        }
    }

    fn names() -> Names {
        Names { categories: HashMap::new(), brands: HashMap::new() }
    }

    #[test]
    fn csv_cells_that_look_like_formulas_are_quoted() {
        let ps = [product("=1+1", "+7"), product("-2", "@SUM(A1)"), product("\tTab", "\rcr"), product("Чай", "A-1")];
        let bytes = csv(&ps, &names(), Lang::En, true).expect("csv");
        let text = String::from_utf8(bytes).expect("utf8");
        let mut rows = csv::ReaderBuilder::new().delimiter(b';').from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let cells: Vec<(String, String)> = rows
            .records()
            .map(|r| r.expect("row"))
            .map(|r| {
                (
                    r[Column::ALL.iter().position(|c| *c == Column::Name).expect("name")].to_string(),
                    r[Column::ALL.iter().position(|c| *c == Column::Article).expect("article")].to_string(),
                )
            })
            .collect();
        assert_eq!(
            cells,
            [("'=1+1", "'+7"), ("'-2", "'@SUM(A1)"), ("'\tTab", "'\rcr"), ("Чай", "A-1")].map(|(a, b)| (a.to_string(), b.to_string()))
        );
        for (quoted, plain) in [("'=1+1", "=1+1"), ("'\tTab", "\tTab"), ("'quote", "'quote"), ("Чай", "Чай")] {
            assert_eq!(unquote_formula(quoted), plain);
        }
    }

    #[test]
    fn xlsx_writes_formula_like_text_as_strings() {
        use calamine::{Reader, Xlsx};
        let bytes = xlsx(&[product("=1+1", "@x")], &names(), Lang::En, true).expect("xlsx");
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("open");
        let sheet = book.sheet_names()[0].clone();
        let formulas = book.worksheet_formula(&sheet).expect("formulas");
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula cells");
        let values = book.worksheet_range(&sheet).expect("range");
        let name_col = Column::ALL.iter().position(|c| *c == Column::Name).expect("name") as u32;
        assert_eq!(values.get_value((1, name_col)).map(|v| v.to_string()), Some("=1+1".to_string()));
    }
}

/// An export as asked on the products page or the API: the list's filters (the same as the
/// product list's) and the format.
#[derive(Debug, Clone, Default)]
pub struct ExportAsk {
    /// csv or xlsx.
    pub format: String,
    pub category: Option<CategoryId>,
    pub brand: Option<BrandId>,
    /// goods, service or bundle; empty for all.
    pub kind: String,
    pub archived: bool,
}

/// A finished export file: its bytes, MIME type and file extension.
pub struct ExportFile {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
    pub ext: &'static str,
}

/// The file of an export: the products passing the list's filters, with the columns the
/// importer reads (so the file imports back unchanged). `costs`: whether the caller may see
/// purchase prices (`catalog::query::can_see_costs`).
pub fn file(tx: &impl Read, company: CompanyId, ask: &ExportAsk, lang: Lang, costs: bool) -> Result<ExportFile> {
    let kind = match Some(ask.kind.trim()).filter(|k| !k.is_empty()) {
        Some(k) => Some(
            Kind::parse(k).ok_or_else(|| Error::field("kind", "kind", "Тип: goods, service, bundle", "Kind: goods, service, bundle"))?,
        ),
        None => None,
    };
    let filter = ListFilter { category: ask.category, brand: ask.brand, kind, archived: ask.archived };
    let (products, _) = query::list_page(tx, company, &filter, None, usize::MAX)?;
    let names = Names {
        categories: crate::catalog::category_paths(query::categories(tx, company)?),
        brands: query::brands(tx, company)?.into_iter().map(|b| (b.id, b.name)).collect(),
    };
    match ask.format.as_str() {
        "csv" => Ok(ExportFile { bytes: csv(&products, &names, lang, costs)?, mime: "text/csv; charset=utf-8", ext: "csv" }),
        "xlsx" => Ok(ExportFile {
            bytes: xlsx(&products, &names, lang, costs)?,
            mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ext: "xlsx",
        }),
        _ => Err(Error::field("format", "format", "Формат: csv или xlsx", "Format: csv or xlsx")),
    }
}
