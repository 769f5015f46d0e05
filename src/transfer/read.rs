//! Reading an uploaded file into a grid of text cells: CSV (UTF-8, with or without BOM, or
//! Windows-1251; `;`, `,` or tab between fields) and spreadsheets (XLSX, XLS, XLSB, ODS through
//! calamine, first sheet). Numbers from spreadsheets become their shortest decimal text, so
//! `12.5` stays "12.5" and a 13-digit barcode stays 13 digits.

use std::io::Cursor;

use calamine::{Data, Reader};

/// The grid of a file: the header row first. Trailing empty rows are dropped.
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
    let mut sheet = match kind_of(bytes) {
        Kind::Zip | Kind::Ole => spreadsheet(bytes)?,
        Kind::Text => csv_text(bytes)?,
    };
    while sheet.rows.last().is_some_and(|r| r.iter().all(|c| c.trim().is_empty())) {
        sheet.rows.pop();
    }
    if sheet.rows.is_empty() {
        return Err(ReadError::Empty);
    }
    Ok(sheet)
}

fn spreadsheet(bytes: &[u8]) -> Result<Sheet, ReadError> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    let format = match &book {
        calamine::Sheets::Xlsx(_) => "XLSX",
        calamine::Sheets::Xls(_) => "XLS",
        calamine::Sheets::Xlsb(_) => "XLSB",
        calamine::Sheets::Ods(_) => "ODS",
    };
    let range = match book.worksheet_range_at(0) {
        Some(r) => r.map_err(|e| ReadError::Spreadsheet(e.to_string()))?,
        None => return Err(ReadError::Empty),
    };
    let rows = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
    Ok(Sheet { rows, format: format.to_string() })
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

fn csv_text(bytes: &[u8]) -> Result<Sheet, ReadError> {
    let (text, encoding) = decode(bytes);
    if text.contains('\0') {
        return Err(ReadError::Csv("binary data".into()));
    }
    let delim = delimiter(&text);
    let mut reader = csv::ReaderBuilder::new().delimiter(delim).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReadError::Csv(e.to_string()))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    let shown = match delim {
        b'\t' => "tab".to_string(),
        d => format!("«{}»", d as char),
    };
    Ok(Sheet { rows, format: format!("CSV, {encoding}, {shown}") })
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

    #[test]
    fn delimiter_ignores_quoted_commas() {
        assert_eq!(delimiter("\"a,b,c\";d"), b';');
        assert_eq!(delimiter("a,b;c,d"), b',');
        assert_eq!(delimiter("single"), b';');
    }
}
