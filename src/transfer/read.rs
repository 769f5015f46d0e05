//! Reading an uploaded file into a grid of text cells: CSV (UTF-8, with or without BOM, or
//! Windows-1251; `;`, `,` or tab between fields) and spreadsheets (XLSX, XLSB and XLS through
//! calamine, ODS through our own streaming reader; first sheet). Numbers from spreadsheets
//! become their shortest decimal text, so `12.5` stays "12.5" and a 13-digit barcode stays 13
//! digits.
//!
//! Every reader is bounded by `Limits` *while* it reads, whatever the file declares: rows,
//! columns, the grid's area (cells including the gaps before a row's last value), the total
//! cell text and, for zip-based formats, the bytes actually inflated (a zip entry's declared
//! size can lie, so a pre-scan inflates every entry into a counter before anything is kept).
//! Cells arrive one at a time (calamine's xlsx/xlsb cell readers, our ODS reader, the CSV
//! reader) and only non-empty ones are kept, so a sheet whose only cells are `A1` and
//! `XFD1048576` is refused at the second cell instead of allocating its declared range.

use std::io::{Cursor, Read};

use calamine::{Data, DataRef, Reader};

/// The bounds of one read. `LIMITS` is what uploads and `dukan import` use; memory while
/// reading stays within a small multiple of `unpacked_bytes + cells × 24 + text_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Rows including the header row.
    pub rows: u32,
    pub columns: u32,
    /// Grid area: the sum over rows of (last non-empty column + 1).
    pub cells: usize,
    /// Sum of the kept cells' text, in bytes.
    pub text_bytes: usize,
    /// Bytes inflated from all entries of a zip-based file (XLSX, XLSB, ODS).
    pub unpacked_bytes: u64,
    /// Entries of a zip-based file.
    pub zip_entries: usize,
}

/// A product import: the header plus `transfer::MAX_ROWS` rows of at most 100 columns.
pub const LIMITS: Limits = Limits {
    rows: super::MAX_ROWS as u32 + 1,
    columns: 100,
    cells: 4_000_000,
    text_bytes: 64 << 20,
    unpacked_bytes: 256 << 20,
    zip_entries: 10_000,
};

/// The grid of a file: the header row first. Trailing empty rows are dropped; a row ends at
/// its last non-empty cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub rows: Vec<Vec<String>>,
    /// What was detected, shown on the preview ("CSV, Windows-1251, «;»").
    pub format: String,
}

/// Why a file cannot be read at all (as opposed to a row with problems).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    Empty,
    Spreadsheet(String),
    Csv(String),
    /// The file goes past one of the `Limits`; `limit` is that bound.
    TooLarge {
        bound: Bound,
        limit: u64,
    },
}

/// Which of the `Limits` a file went past.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Rows,
    Columns,
    Cells,
    TextBytes,
    Unpacked,
    ZipEntries,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Zip,
    Ole,
    Text,
}

fn kind_of(bytes: &[u8]) -> Kind {
    if bytes.starts_with(b"PK\x03\x04") {
        Kind::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Kind::Ole
    } else {
        Kind::Text
    }
}

pub fn read(bytes: &[u8]) -> Result<Sheet, ReadError> {
    read_with(bytes, &LIMITS)
}

pub fn read_with(bytes: &[u8], limits: &Limits) -> Result<Sheet, ReadError> {
    let mut sheet = match kind_of(bytes) {
        Kind::Zip => zipped(bytes, limits)?,
        Kind::Ole => xls(bytes, limits)?,
        Kind::Text => csv_text(bytes, limits)?,
    };
    while sheet.rows.last().is_some_and(|r| r.iter().all(|c| c.trim().is_empty())) {
        sheet.rows.pop();
    }
    if sheet.rows.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(sheet)
}

/// The grid being filled cell by cell, refusing the first cell past a limit.
pub(super) struct Grid<'a> {
    pub(super) limits: &'a Limits,
    rows: Vec<Vec<String>>,
    area: usize,
    text: usize,
}

impl<'a> Grid<'a> {
    fn new(limits: &'a Limits) -> Grid<'a> {
        Grid { limits, rows: Vec::new(), area: 0, text: 0 }
    }

    pub(super) fn put(&mut self, row: u32, col: u32, text: String) -> Result<(), ReadError> {
        if text.is_empty() {
            return Ok(());
        }
        let limits = self.limits;
        if row >= limits.rows {
            return Err(ReadError::TooLarge { bound: Bound::Rows, limit: u64::from(limits.rows) });
        }
        if col >= limits.columns {
            return Err(ReadError::TooLarge { bound: Bound::Columns, limit: u64::from(limits.columns) });
        }
        let (r, c) = (row as usize, col as usize);
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        let line = &mut self.rows[r];
        if line.len() <= c {
            self.area += c + 1 - line.len();
            if self.area > limits.cells {
                return Err(ReadError::TooLarge { bound: Bound::Cells, limit: limits.cells as u64 });
            }
            line.resize(c + 1, String::new());
        }
        self.text = self.text - line[c].len() + text.len();
        if self.text > limits.text_bytes {
            return Err(ReadError::TooLarge { bound: Bound::TextBytes, limit: limits.text_bytes as u64 });
        }
        line[c] = text;
        Ok(())
    }
}

/// Inflates every entry of a zip into a counter, refusing past `unpacked_bytes` (counting
/// what is actually inflated, not what the entry declares) or `zip_entries`. Returns the
/// entry names, which tell the format.
fn prescan_zip(bytes: &[u8], limits: &Limits) -> Result<Vec<String>, ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    if archive.len() > limits.zip_entries {
        return Err(ReadError::TooLarge { bound: Bound::ZipEntries, limit: limits.zip_entries as u64 });
    }
    let mut names = Vec::with_capacity(archive.len());
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
        names.push(entry.name().to_string());
        let room = limits.unpacked_bytes - total;
        let inflated =
            std::io::copy(&mut (&mut entry).take(room + 1), &mut std::io::sink()).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
        total += inflated;
        if total > limits.unpacked_bytes {
            return Err(ReadError::TooLarge { bound: Bound::Unpacked, limit: limits.unpacked_bytes });
        }
    }
    Ok(names)
}

fn zipped(bytes: &[u8], limits: &Limits) -> Result<Sheet, ReadError> {
    let names = prescan_zip(bytes, limits)?;
    let has = |name: &str| names.iter().any(|n| n == name);
    let spreadsheet_error = |e: &dyn std::fmt::Display| ReadError::Spreadsheet(e.to_string());
    let mut grid = Grid::new(limits);
    let format = if has("content.xml") && has("mimetype") {
        super::ods::read(bytes, &mut grid)?;
        "ODS"
    } else if has("xl/workbook.bin") {
        let mut book = calamine::Xlsb::new(Cursor::new(bytes)).map_err(|e| spreadsheet_error(&e))?;
        let name = book.sheet_names().first().cloned().ok_or(ReadError::Empty)?;
        let mut cells = book.worksheet_cells_reader(&name).map_err(|e| spreadsheet_error(&e))?;
        while let Some(cell) = cells.next_cell().map_err(|e| spreadsheet_error(&e))? {
            let (row, col) = cell.get_position();
            grid.put(row, col, ref_text(cell.get_value()))?;
        }
        "XLSB"
    } else {
        let mut book = calamine::Xlsx::new(Cursor::new(bytes)).map_err(|e| spreadsheet_error(&e))?;
        let name = book.sheet_names().first().cloned().ok_or(ReadError::Empty)?;
        let mut cells = book.worksheet_cells_reader(&name).map_err(|e| spreadsheet_error(&e))?;
        while let Some(cell) = cells.next_cell().map_err(|e| spreadsheet_error(&e))? {
            let (row, col) = cell.get_position();
            grid.put(row, col, ref_text(cell.get_value()))?;
        }
        "XLSX"
    };
    Ok(Sheet { rows: grid.rows, format: format.to_string() })
}

/// XLS (BIFF in an OLE container): calamine parses every sheet when it opens the file, so
/// `xls::prescan` first bounds what it will allocate (every sheet's declared and used area
/// against `limits.cells`) and refuses sector chains that leave the file or loop.
fn xls(bytes: &[u8], limits: &Limits) -> Result<Sheet, ReadError> {
    super::xls::prescan(bytes, limits)?;
    let mut book = calamine::Xls::new(Cursor::new(bytes)).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| ReadError::Spreadsheet(e.to_string()))?,
        None => return Err(ReadError::Empty),
    };
    let mut grid = Grid::new(limits);
    let (row0, col0) = range.start().unwrap_or((0, 0));
    for (row, col, cell) in range.used_cells() {
        grid.put(row0 + row as u32, col0 + col as u32, cell_text(cell))?;
    }
    Ok(Sheet { rows: grid.rows, format: "XLS".to_string() })
}

fn ref_text(cell: &DataRef) -> String {
    match cell {
        DataRef::Empty => String::new(),
        DataRef::SharedString(s) => s.to_string(),
        DataRef::String(s) => s.clone(),
        other => cell_text(&Data::from(other.clone())),
    }
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Rust prints the shortest text that reads back as the same double: 12.3 → "12.3",
        // 4600000000000 → "4600000000000"; the money parser then applies its own rules.
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        // Excel counts days from 1899-12-30 (the 1900 leap-year bug included).
        Data::DateTime(d) => {
            let days = d.as_f64().floor() as i64;
            jiff::Span::new()
                .try_days(days)
                .ok()
                .and_then(|span| jiff::civil::date(1899, 12, 30).checked_add(span).ok())
                .map(|date| date.to_string())
                .unwrap_or_else(|| d.as_f64().to_string())
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Decodes CSV text: UTF-8 when the bytes are valid UTF-8 (a BOM is dropped), otherwise
/// Windows-1251, the encoding Russian Excel saves "CSV (разделители — запятые)" in.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(body) {
        Ok(s) => (s.to_string(), "UTF-8"),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1251.decode(body);
            (text.into_owned(), "Windows-1251")
        }
    }
}

/// The field delimiter: whichever of `;`, tab and `,` occurs most in the header line outside
/// quotes (`;` wins ties: Russian Excel's choice, and decimal commas are common).
pub fn delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for ch in header.chars() {
        match ch {
            '"' => quoted = !quoted,
            ';' if !quoted => counts[0] += 1,
            '\t' if !quoted => counts[1] += 1,
            ',' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = [b';', b'\t', b','].into_iter().zip(counts).max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
    match best {
        Some((d, n)) if n > 0 => d,
        _ => b';',
    }
}

fn csv_text(bytes: &[u8], limits: &Limits) -> Result<Sheet, ReadError> {
    let (text, encoding) = decode(bytes);
    if text.contains('\0') {
        return Err(ReadError::Csv("binary data".into()));
    }
    let delim = delimiter(&text);
    let mut reader = csv::ReaderBuilder::new().delimiter(delim).has_headers(false).flexible(true).from_reader(text.as_bytes());
    // One record reused for every line; only non-empty fields are kept, each checked.
    let mut record = csv::StringRecord::new();
    let mut grid = Grid::new(limits);
    let mut row = 0u32;
    while reader.read_record(&mut record).map_err(|e| ReadError::Csv(e.to_string()))? {
        for (col, field) in record.iter().enumerate() {
            grid.put(row, u32::try_from(col).unwrap_or(u32::MAX), field.to_string())?;
        }
        row = row.saturating_add(1);
    }
    let shown = match delim {
        b'\t' => "tab".to_string(),
        d => format!("«{}»", d as char),
    };
    Ok(Sheet { rows: grid.rows, format: format!("CSV, {encoding}, {shown}") })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8], rows: &[&[&str]], format: &str) {
        let sheet = read(bytes).expect("readable");
        let want: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect();
        assert_eq!(sheet.rows, want);
        assert_eq!(sheet.format, format);
    }

    #[test]
    fn csv_encodings_and_delimiters() {
        check("Название;Цена\nХлеб;45,50\n".as_bytes(), &[&["Название", "Цена"], &["Хлеб", "45,50"]], "CSV, UTF-8, «;»");
        check(b"\xEF\xBB\xBFname,price\n\"Milk, 1l\",80\n\n", &[&["name", "price"], &["Milk, 1l", "80"]], "CSV, UTF-8, «,»");
        let (cp1251, _, _) = encoding_rs::WINDOWS_1251.encode("Название;Цена\nСыр;100\n");
        check(&cp1251, &[&["Название", "Цена"], &["Сыр", "100"]], "CSV, Windows-1251, «;»");
        check(b"a\tb\n1\t2\n", &[&["a", "b"], &["1", "2"]], "CSV, UTF-8, tab");
    }

    #[test]
    fn unreadable_files() {
        assert_eq!(read(b""), Err(ReadError::Empty));
        assert_eq!(read(b"\n\n"), Err(ReadError::Empty));
        assert!(matches!(read(b"PK\x03\x04garbage"), Err(ReadError::Spreadsheet(_))));
        assert!(matches!(read(b"a;b\0c"), Err(ReadError::Csv(_))));
    }

    /// A zip with the given entries, deflated.
    pub(crate) fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            out.start_file(*name, options).unwrap();
            out.write_all(bytes).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    /// A minimal XLSX whose first sheet's `<sheetData>` is `data`.
    fn xlsx_of(data: &[u8]) -> Vec<u8> {
        let sheet = [
            b"<?xml version=\"1.0\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>".as_slice(),
            data,
            b"</sheetData></worksheet>",
        ]
        .concat();
        zip_of(&[
            ("[Content_Types].xml", br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#),
            ("_rels/.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#),
            ("xl/workbook.xml", br#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#),
            ("xl/_rels/workbook.xml.rels", br#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#),
            ("xl/worksheets/sheet1.xml", &sheet),
        ])
    }

    /// A minimal ODS whose tables are `tables` (each a `<table:table>` element).
    pub(crate) fn ods_of(tables: &str) -> Vec<u8> {
        let content = format!(
            r#"<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
        );
        zip_of(&[("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", content.as_bytes())])
    }

    const SMALL: Limits = Limits { rows: 10, columns: 5, cells: 30, text_bytes: 1000, unpacked_bytes: 1 << 20, zip_entries: 20 };

    fn refused(bytes: &[u8], limits: &Limits, bound: Bound) {
        let started = std::time::Instant::now();
        match read_with(bytes, limits) {
            Err(ReadError::TooLarge { bound: got, .. }) => assert_eq!(got, bound),
            other => panic!("expected {bound:?}, got {other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "refused quickly: {:?}", started.elapsed());
    }

    #[test]
    fn sparse_xlsx_is_refused_before_any_dense_range() {
        // The issue's file: only A1 and XFD1048576. calamine's range would be 17·10⁹ cells.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "Название").unwrap();
        sheet.write(1_048_575, 16_383, 1).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert!(bytes.len() < 10_000);
        refused(&bytes, &LIMITS, Bound::Rows);
        // Far right in the header row: the column bound.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        sheet.write(0, 0, "Название").unwrap();
        sheet.write(0, 16_383, 1).unwrap();
        refused(&book.save_to_buffer().unwrap(), &LIMITS, Bound::Columns);
    }

    #[test]
    fn xlsx_cells_stream_into_the_grid() {
        let data = br#"<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>price</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>Milk</t></is></c><c r="C2"><v>12.5</v></c></row><row r="3"><c r="E3" s="1"/></row>"#;
        check(&xlsx_of(data), &[&["name", "", "price"], &["Milk", "", "12.5"]], "XLSX");
        // Past the grid area: rows 1..4 reaching column E cost 5 cells each.
        let wide: String = (1..=7).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>1</v></c><c r="E{r}"><v>2</v></c></row>"#)).collect();
        refused(&xlsx_of(wide.as_bytes()), &SMALL, Bound::Cells);
    }

    #[test]
    fn zip_bomb_is_refused_by_what_it_inflates() {
        // 4 MiB of blanks inside the sheet deflate to a few KiB; the bound is 1 MiB inflated.
        let mut data = b"<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>".to_vec();
        data.extend(std::iter::repeat_n(b' ', 4 << 20));
        let bomb = xlsx_of(&data);
        assert!(bomb.len() < 64 << 10, "{} bytes", bomb.len());
        refused(&bomb, &SMALL, Bound::Unpacked);
        let ods = ods_of(&format!("<table:table>{}</table:table>", " ".repeat(4 << 20)));
        refused(&ods, &SMALL, Bound::Unpacked);
        let many: Vec<(String, Vec<u8>)> = (0..30).map(|i| (format!("f{i}"), Vec::new())).collect();
        let entries: Vec<(&str, &[u8])> = many.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        refused(&zip_of(&entries), &SMALL, Bound::ZipEntries);
    }

    #[test]
    fn csv_is_bounded_while_streaming() {
        // The issue's CSV: 1,000,000 columns in one line.
        let mut wide = b"a".to_vec();
        wide.extend(std::iter::repeat_n(b";x".as_slice(), 1_000_000).flatten());
        refused(&wide, &LIMITS, Bound::Columns);
        // Empty fields cost nothing; a value past the column bound is refused.
        let mut sparse = b"a".to_vec();
        sparse.extend(std::iter::repeat_n(b';', 1_000_000));
        sparse.extend(b"b\n");
        refused(&sparse, &LIMITS, Bound::Columns);
        refused("h\n".repeat(11).as_bytes(), &SMALL, Bound::Rows);
        refused(format!("h\n{}\n", "x".repeat(1001)).as_bytes(), &SMALL, Bound::TextBytes);
        // Within the bounds nothing changes; trailing empty fields end a row.
        check(b"a;b;\n1;;\n", &[&["a", "b"], &["1"]], "CSV, UTF-8, «;»");
    }

    #[test]
    fn ods_first_table_with_repeats() {
        let table = r#"<table:table table:name="A"><table:table-column table:number-columns-repeated="1024"/>
            <table:table-row><table:table-cell office:value-type="string"><text:p>name</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string"><text:p>price</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16380"/></table:table-row>
            <table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string"><text:p>Milk<text:s text:c="2"/>1&amp;2</text:p><text:p>l</text:p><office:annotation><text:p>note</text:p></office:annotation></table:table-cell><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="float" office:value="4600000000000"><text:p>4,6E+12</text:p></table:table-cell></table:table-row>
            <table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>
            </table:table><table:table table:name="B"><table:table-row><table:table-cell office:value-type="string"><text:p>other</text:p></table:table-cell></table:table-row></table:table>"#;
        let milk: &[&str] = &["Milk  1&2\nl", "", "", "4600000000000"];
        check(&ods_of(table), &[&["name", "", "", "price"], milk, milk], "ODS");
        // A non-empty cell repeated across every column, or a row repeated a million times.
        let wide = r#"<table:table><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        refused(&ods_of(wide), &LIMITS, Bound::Columns);
        let tall = r#"<table:table><table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="3" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        refused(&ods_of(tall), &LIMITS, Bound::Rows);
        let far = r#"<table:table><table:table-row table:number-rows-repeated="1048575"/><table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>"#;
        refused(&ods_of(far), &LIMITS, Bound::Rows);
    }

    #[test]
    fn delimiter_ignores_quoted_commas() {
        assert_eq!(delimiter("\"a,b,c\";d"), b';');
        assert_eq!(delimiter("a,b;c,d"), b',');
        assert_eq!(delimiter("single"), b';');
    }
}
