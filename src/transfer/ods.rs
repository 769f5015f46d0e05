//! A streaming reader for the first table of an ODS file's `content.xml`. calamine's ODS
//! reader parses every sheet at open and expands `number-rows-repeated` /
//! `number-columns-repeated` into dense ranges (up to 10⁸ cells), so a few hundred bytes of
//! XML can ask for gigabytes; here repeated *empty* cells and rows only move the cursor, and
//! repeated non-empty ones go through `Grid::put` one by one, which refuses the first cell
//! past a limit. The caller has already checked the inflated size of the whole zip.

use std::io::{BufReader, Cursor};

use quick_xml::events::{BytesStart, Event};

use super::read::{Bound, Grid, ReadError};

fn xml_error(e: impl std::fmt::Display) -> ReadError {
    ReadError::Spreadsheet(format!("content.xml: {e}"))
}

/// The repeat count in `attr` (1 when absent or unreadable, never 0).
fn repeats(e: &BytesStart, attr: &[u8]) -> u32 {
    match e.try_get_attribute(attr) {
        Ok(Some(a)) => std::str::from_utf8(&a.value).ok().and_then(|v| v.trim().parse::<u32>().ok()).unwrap_or(1).max(1),
        _ => 1,
    }
}

fn attr(e: &BytesStart, name: &[u8]) -> Option<String> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => std::str::from_utf8(&a.value).ok().and_then(|v| quick_xml::escape::unescape(v).ok()).map(|v| v.into_owned()),
        _ => None,
    }
}

/// The value a typed cell carries in its attributes; `None` for text cells.
fn typed_value(e: &BytesStart) -> Option<String> {
    match attr(e, b"office:value-type").as_deref() {
        Some("float" | "percentage" | "currency") => {
            let raw = attr(e, b"office:value")?;
            // The same text calamine's numbers get: the shortest decimal that reads back.
            Some(raw.trim().parse::<f64>().map(|f| f.to_string()).unwrap_or(raw))
        }
        Some("date") => attr(e, b"office:date-value"),
        Some("time") => attr(e, b"office:time-value"),
        Some("boolean") => attr(e, b"office:boolean-value").map(|b| if b == "true" { "1" } else { "0" }.to_string()),
        _ => None,
    }
}

/// The cell being read: its repeat count, typed value and text.
struct Cell {
    repeat: u32,
    value: Option<String>,
    text: String,
    paragraphs: u32,
}

/// Reads the first table into `grid`.
pub fn read(bytes: &[u8], grid: &mut Grid) -> Result<(), ReadError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    let content = archive.by_name("content.xml").map_err(|e| ReadError::Spreadsheet(e.to_string()))?;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(content));
    let text_limit = grid.limits.text_bytes;
    let columns = grid.limits.columns;
    let mut buf = Vec::new();
    let (mut tables, mut depth) = (0u32, 0u32);
    let (mut row, mut col, mut row_repeat) = (0u32, 0u32, 1u32);
    let mut row_cells: Vec<(u32, String)> = Vec::new();
    let mut cell: Option<Cell> = None;
    let mut annotation = 0u32;
    loop {
        buf.clear();
        let event = xml.read_event_into(&mut buf).map_err(xml_error)?;
        let (start, empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            let name = e.name();
            match name.as_ref() {
                b"table:table" => {
                    if tables > 0 && depth == 0 {
                        break;
                    }
                    tables += 1;
                    if !empty {
                        depth += 1;
                    }
                }
                _ if depth != 1 => {}
                b"table:table-row" => {
                    row_repeat = repeats(e, b"table:number-rows-repeated");
                    col = 0;
                    row_cells.clear();
                    if empty {
                        finish_row(grid, &mut row, row_repeat, &row_cells)?;
                    }
                }
                b"table:table-cell" | b"table:covered-table-cell" => {
                    let c = Cell {
                        repeat: repeats(e, b"table:number-columns-repeated"),
                        value: typed_value(e),
                        text: String::new(),
                        paragraphs: 0,
                    };
                    if empty {
                        finish_cell(c, &mut col, &mut row_cells, columns, text_limit)?;
                    } else {
                        cell = Some(c);
                    }
                }
                b"office:annotation" if !empty => annotation += 1,
                _ if annotation > 0 => {}
                b"text:p" | b"text:h" => {
                    if let Some(c) = cell.as_mut() {
                        if c.paragraphs > 0 {
                            c.text.push('\n');
                        }
                        c.paragraphs += 1;
                    }
                }
                b"text:s" => {
                    if let Some(c) = cell.as_mut() {
                        let n = repeats(e, b"text:c").min(1024) as usize;
                        c.text.extend(std::iter::repeat_n(' ', n));
                    }
                }
                b"text:tab" => cell.iter_mut().for_each(|c| c.text.push('\t')),
                b"text:line-break" => cell.iter_mut().for_each(|c| c.text.push('\n')),
                _ => {}
            }
            if let Some(c) = &cell
                && c.text.len() > text_limit
            {
                return Err(ReadError::TooLarge { bound: Bound::TextBytes, limit: text_limit as u64 });
            }
            continue;
        }
        match event {
            Event::End(e) => match e.name().as_ref() {
                b"table:table" => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        break;
                    }
                }
                _ if depth != 1 => {}
                b"table:table-row" => finish_row(grid, &mut row, row_repeat, &row_cells)?,
                b"table:table-cell" | b"table:covered-table-cell" => {
                    if let Some(c) = cell.take() {
                        finish_cell(c, &mut col, &mut row_cells, columns, text_limit)?;
                    }
                }
                b"office:annotation" => annotation = annotation.saturating_sub(1),
                _ => {}
            },
            Event::Text(t) if annotation == 0 => {
                if let Some(c) = cell.as_mut() {
                    c.text.push_str(&t.decode().map_err(xml_error)?);
                    if c.text.len() > text_limit {
                        return Err(ReadError::TooLarge { bound: Bound::TextBytes, limit: text_limit as u64 });
                    }
                }
            }
            Event::GeneralRef(r) if annotation == 0 => {
                if let Some(c) = cell.as_mut() {
                    match r.resolve_char_ref().map_err(xml_error)? {
                        Some(ch) => c.text.push(ch),
                        None => {
                            let name = r.decode().map_err(xml_error)?;
                            let resolved = quick_xml::escape::unescape(&format!("&{name};")).map_err(xml_error)?.into_owned();
                            c.text.push_str(&resolved);
                        }
                    }
                }
            }
            Event::CData(t) if annotation == 0 => {
                if let Some(c) = cell.as_mut() {
                    c.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if tables == 0 {
        return Err(ReadError::Empty);
    }
    Ok(())
}

/// Adds a finished cell to its row: an empty one only moves the cursor; a non-empty one is
/// kept once per repeat, each checked against the column bound.
fn finish_cell(c: Cell, col: &mut u32, row_cells: &mut Vec<(u32, String)>, columns: u32, text_limit: usize) -> Result<(), ReadError> {
    let content = c.value.unwrap_or(c.text);
    if !content.is_empty() {
        let mut kept = row_cells.iter().map(|(_, t)| t.len()).sum::<usize>();
        for i in 0..c.repeat {
            let at = col.saturating_add(i);
            if at >= columns {
                return Err(ReadError::TooLarge { bound: Bound::Columns, limit: u64::from(columns) });
            }
            kept += content.len();
            if kept > text_limit {
                return Err(ReadError::TooLarge { bound: Bound::TextBytes, limit: text_limit as u64 });
            }
            row_cells.push((at, content.clone()));
        }
    }
    *col = col.saturating_add(c.repeat);
    Ok(())
}

/// Stores a finished row `repeat` times; a row without values only moves the cursor.
fn finish_row(grid: &mut Grid, row: &mut u32, repeat: u32, cells: &[(u32, String)]) -> Result<(), ReadError> {
    if cells.is_empty() {
        *row = row.saturating_add(repeat);
        return Ok(());
    }
    for _ in 0..repeat {
        for (col, text) in cells {
            grid.put(*row, *col, text.clone())?;
        }
        *row = row.saturating_add(1);
    }
    Ok(())
}
