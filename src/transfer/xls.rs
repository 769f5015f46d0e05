//! The pre-scan of an XLS (BIFF records inside an OLE compound file) that runs before calamine
//! opens it. calamine parses every sheet at open: it follows the file's sector chains without
//! loop checks, reserves room for each sheet's declared DIMENSIONS and allocates the bounding box
//! of each sheet's cells (`Range::from_sparse`), up to 65,536 × 65,536 cells. Nothing of that
//! can be bounded from outside, so this module reads the same structures calamine will read,
//! the same way, and refuses the file first:
//!
//! - the compound file: every sector chain calamine follows (DIFAT, directory, mini stream,
//!   mini FAT, the `Workbook`/`Book` stream) must stay inside the file and the FAT, and must not
//!   visit a sector twice, so what is read is at most the upload's own bytes;
//! - the BIFF records: per sheet named by a BOUNDSHEET record (calamine walks each from its
//!   offset), the area of its DIMENSIONS and of its cells' bounding box, summed over all sheets,
//!   must stay within `Limits::cells` (`import_too_large`, the cells bound);
//! - a record walk costs at most about two passes over the stream, whatever the offsets say.
//!
//! Malformed structure is `ReadError::Spreadsheet` (`unreadable`), never a panic.

use super::read::{Bound, Limits, ReadError};

const ENDOFCHAIN: u32 = 0xFFFF_FFFE;
/// Sector ids at and above this are markers, not sectors (calamine's `RESERVED_SECTORS`).
const RESERVED: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
/// calamine reads streams shorter than this from the mini stream.
const MINI_CUTOFF: usize = 4096;
const MINI_SECTOR: usize = 64;
/// calamine reserves `u32` room for the header's bytes 62..66 read as a count; real files have
/// at most a few hundred thousand there (the halves of two neighbouring fields).
const MAX_DIFAT_HINT: u32 = 1 << 24;

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUNDSHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
const MULRK: u16 = 0x00BD;
const MULBLANK: u16 = 0x00BE;
/// Records whose data opens with the cell's row (u16) and column (u16): NUMBER, RK,
/// LABELSST, LABEL, BOOLERR, FORMULA, BLANK, RSTRING.
const CELLS: [u16; 8] = [0x0203, 0x027E, 0x00FD, 0x0204, 0x0205, 0x0006, 0x0201, 0x00D6];

/// Refuses an XLS that would make calamine allocate past `limits.cells` cells, read outside
/// the file, or loop; otherwise calamine may open it.
pub(super) fn prescan(bytes: &[u8], limits: &Limits) -> Result<(), ReadError> {
    let stream = workbook_stream(bytes)?;
    check_sheets(&stream, limits)
}

fn damaged(why: &str) -> ReadError {
    ReadError::Spreadsheet(format!("damaged XLS file: {why}"))
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    bytes.get(at..at + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// The sectors of the file as calamine addresses them: sector `id` starts at
/// `header + id × size`, ids above `len / size` are refused, the last one may be short.
struct Sectors<'a> {
    bytes: &'a [u8],
    size: usize,
    header: usize,
    max_id: u32,
}

impl<'a> Sectors<'a> {
    fn get(&self, id: u32) -> Result<&'a [u8], ReadError> {
        let start = self.header + id as usize * self.size;
        // calamine slices past its buffer (a panic) for a sector starting at or after the end.
        if id > self.max_id || start >= self.bytes.len() {
            return Err(damaged("a sector past the end of the file"));
        }
        Ok(&self.bytes[start..(start + self.size).min(self.bytes.len())])
    }
}

/// The bytes of a chain from `start`, as calamine's `get_chain` reads them: sector by sector
/// until `ENDOFCHAIN` or `len` bytes. A next id outside `fat` (a panic in calamine) or a
/// sector seen twice (an endless loop) is refused, so the result is at most `sectors` distinct
/// sectors long.
fn chain<'a>(
    mut id: u32,
    fat: &[u32],
    len: usize,
    sectors: u32,
    get: impl Fn(u32) -> Result<&'a [u8], ReadError>,
) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    let mut seen = vec![false; sectors as usize + 1];
    while id != ENDOFCHAIN {
        match seen.get_mut(id as usize) {
            Some(s) if !*s => *s = true,
            Some(_) => return Err(damaged("a sector chain loops")),
            None => return Err(damaged("a sector past the end of the file")),
        }
        let sector = get(id)?;
        out.extend_from_slice(&sector[..sector.len().min(len - out.len())]);
        if out.len() >= len {
            break;
        }
        id = *fat.get(id as usize).ok_or_else(|| damaged("a sector chain leaves the allocation table"))?;
    }
    Ok(out)
}

/// The workbook stream, read the way calamine's `Cfb::new` and `get_stream` read it.
fn workbook_stream(bytes: &[u8]) -> Result<Vec<u8>, ReadError> {
    let header = bytes.get(..512).ok_or_else(|| damaged("shorter than its header"))?;
    if !header.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(damaged("not an OLE compound file"));
    }
    let version = u16_at(header, 26);
    let size = match u16_at(header, 30) {
        9 => 512,
        12 if bytes.len() >= 4096 => 4096,
        _ => return Err(damaged("sector size")),
    };
    if u16_at(header, 32) != 6 {
        return Err(damaged("mini sector size"));
    }
    let max_id = u32::try_from(bytes.len() / size).unwrap_or(u32::MAX);
    let fat_len = u32_at(header, 44);
    let dir_start = u32_at(header, 48);
    let mini_fat_start = u32_at(header, 60);
    let mini_fat_len = u32_at(header, 64);
    let difat_start = u32_at(header, 68);
    // calamine reserves these counts before reading anything.
    if fat_len > max_id || mini_fat_len > max_id || u32_at(header, 62) > MAX_DIFAT_HINT {
        return Err(damaged("more sectors declared than the file holds"));
    }
    let sectors = Sectors { bytes, size, header: size, max_id };

    // The DIFAT: 109 ids in the header, then a chain whose sectors end with the next id.
    let mut difat: Vec<u32> = (0..109).map(|i| u32_at(header, 76 + 4 * i)).collect();
    let mut seen = vec![false; max_id as usize + 1];
    let mut id = difat_start;
    while id < RESERVED {
        match seen.get_mut(id as usize) {
            Some(s) if !*s => *s = true,
            _ => return Err(damaged("the DIFAT chain loops or leaves the file")),
        }
        let sector = sectors.get(id)?;
        difat.extend(sector.chunks_exact(4).map(|b| u32_at(b, 0)));
        id = difat.pop().unwrap_or(ENDOFCHAIN);
    }
    // The FAT, in calamine's order. Some writers fill the header's unused DIFAT slots with 0
    // instead of FREESECT, so a sector may be listed more than once; the table stays within
    // the file's sector count plus those 109 slots, whatever the DIFAT chain repeats.
    let fat_ids: Vec<u32> = difat.into_iter().filter(|id| *id < DIFSECT).collect();
    if fat_ids.len() > max_id as usize + 1 + 109 {
        return Err(damaged("more FAT sectors listed than the file holds"));
    }
    let mut fat = Vec::new();
    for id in fat_ids {
        fat.extend(sectors.get(id)?.chunks_exact(4).map(|b| u32_at(b, 0)));
    }

    let directory = chain(dir_start, &fat, usize::MAX, max_id, |id| sectors.get(id))?;
    // calamine cuts the directory into 128-byte entries and indexes into each.
    if directory.is_empty() || directory.len() % 128 != 0 {
        return Err(damaged("directory"));
    }
    let entries: Vec<(String, u32, usize)> = directory
        .chunks_exact(128)
        .map(|entry| {
            let name: Vec<u16> = (0..32).map(|i| u16_at(entry, 2 * i)).take_while(|c| *c != 0).collect();
            let len = match size {
                512 => u32_at(entry, 120) as usize,
                _ => usize::try_from(u64::from(u32_at(entry, 120)) | u64::from(u32_at(entry, 124)) << 32).unwrap_or(usize::MAX),
            };
            (String::from_utf16_lossy(&name), u32_at(entry, 116), len)
        })
        .collect();
    let root = &entries[0];
    if version != 3 && root.1 == ENDOFCHAIN {
        return Err(damaged("empty root directory"));
    }
    let (mini_fat, mini_stream) = match mini_fat_len {
        0 => (Vec::new(), Vec::new()),
        _ => {
            let stream = chain(root.1, &fat, root.2, max_id, |id| sectors.get(id))?;
            let table = chain(mini_fat_start, &fat, mini_fat_len as usize * size, max_id, |id| sectors.get(id))?;
            (table.chunks_exact(4).map(|b| u32_at(b, 0)).collect::<Vec<u32>>(), stream)
        }
    };

    let (_, start, len) = ["Workbook", "Book", "WORKBOOK", "BOOK"]
        .iter()
        .find_map(|name| entries.iter().find(|e| e.0 == *name))
        .ok_or_else(|| damaged("no Workbook stream"))?;
    if *len >= MINI_CUTOFF {
        return chain(*start, &fat, *len, max_id, |id| sectors.get(id));
    }
    // A mini sector must lie whole inside the mini stream (calamine would read past it).
    let mini_sectors = u32::try_from(mini_stream.len() / MINI_SECTOR).unwrap_or(u32::MAX);
    chain(*start, &mini_fat, *len, mini_sectors, |id| {
        let from = id as usize * MINI_SECTOR;
        mini_stream.get(from..from + MINI_SECTOR).ok_or_else(|| damaged("a mini sector past the mini stream"))
    })
}

/// BIFF records: `(type, data)`, each a u16 type and a u16 length before its data. Every record
/// costs one unit of `budget`; running out, or a record cut short, is refused.
struct Records<'a, 'b> {
    rest: &'a [u8],
    budget: &'b mut usize,
}

impl<'a> Records<'a, '_> {
    fn next(&mut self) -> Result<Option<(u16, &'a [u8])>, ReadError> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        if *self.budget == 0 {
            return Err(damaged("too many records"));
        }
        *self.budget -= 1;
        let len = usize::from(u16_at(self.rest, 2));
        if self.rest.len() < 4 + len {
            return Err(damaged("a record is cut short"));
        }
        let (record, rest) = self.rest.split_at(4 + len);
        self.rest = rest;
        Ok(Some((u16_at(record, 0), &record[4..])))
    }
}

/// The smallest rectangle holding some cells, as calamine's `Range::from_sparse` sizes it.
#[derive(Default)]
struct Bounds {
    rows: Option<(u32, u32)>,
    cols: Option<(u32, u32)>,
}

impl Bounds {
    fn add(&mut self, row: u16, col: u16) {
        let (row, col) = (u32::from(row), u32::from(col));
        self.rows = Some(self.rows.map_or((row, row), |(lo, hi)| (lo.min(row), hi.max(row))));
        self.cols = Some(self.cols.map_or((col, col), |(lo, hi)| (lo.min(col), hi.max(col))));
    }

    fn area(&self) -> u64 {
        match (self.rows, self.cols) {
            (Some((r0, r1)), Some((c0, c1))) => u64::from(r1 - r0 + 1) * u64::from(c1 - c0 + 1),
            _ => 0,
        }
    }
}

/// The globals substream up to its EOF names the sheets by offset; calamine walks each sheet
/// from its offset and sizes it by DIMENSIONS and by its cells. The sum over sheets of the larger
/// of the two must fit `limits.cells`.
fn check_sheets(stream: &[u8], limits: &Limits) -> Result<(), ReadError> {
    // Globals once, each sheet once: a quarter of the stream each at most (4-byte headers).
    let mut budget = stream.len() / 2 + 64;
    let mut offsets = Vec::new();
    let mut globals = Records { rest: stream, budget: &mut budget };
    while let Some((kind, data)) = globals.next()? {
        match kind {
            EOF => break,
            // calamine reads the version from a BOF, and the offset, visibility and type
            // from a BOUNDSHEET, without checking their length.
            BOF if data.len() < 2 => return Err(damaged("BOF record")),
            BOUNDSHEET => {
                let offset = u32_at(data, 0) as usize;
                if data.len() < 6 || offset > stream.len() {
                    return Err(damaged("a sheet outside the workbook stream"));
                }
                offsets.push(offset);
            }
            _ => {}
        }
    }
    let too_large = || ReadError::TooLarge { bound: Bound::Cells, limit: limits.cells as u64 };
    let mut total = 0u64;
    for offset in offsets {
        let mut records = Records { rest: &stream[offset..], budget: &mut budget };
        let mut declared = 0u64;
        let mut cells = Bounds::default();
        // Embedded substreams (a chart in a sheet) open with BOF and close with EOF; calamine
        // stops at the first EOF, this walk at the sheet's own, seeing at least as many cells.
        let mut depth = 0u32;
        while let Some((kind, data)) = records.next()? {
            match kind {
                BOF => depth += 1,
                EOF if depth <= 1 => break,
                EOF => depth -= 1,
                DIMENSIONS => declared = declared.max(dimensions_area(data)?),
                MULRK | MULBLANK if data.len() >= 6 => {
                    let (row, first, last) = (u16_at(data, 0), u16_at(data, 2), u16_at(data, data.len() - 2));
                    cells.add(row, first);
                    cells.add(row, last.max(first));
                }
                kind if CELLS.contains(&kind) && data.len() >= 4 => cells.add(u16_at(data, 0), u16_at(data, 2)),
                _ => {}
            }
        }
        total += declared.max(cells.area());
        if total > limits.cells as u64 {
            return Err(too_large());
        }
    }
    Ok(())
}

/// The cells calamine reserves for a DIMENSIONS record, computed as its `parse_dimensions`
/// does (BIFF8: rwMic u32, rwMac u32, colMic u16, colMac u16; BIFF5: the rows as u16). A last
/// row before the first would underflow there and is refused.
fn dimensions_area(data: &[u8]) -> Result<u64, ReadError> {
    let (first_row, rows_end, mut first_col, cols_end) = match data.len() {
        10 => (u32::from(u16_at(data, 0)), u32::from(u16_at(data, 2)), u32::from(u16_at(data, 4)), u32::from(u16_at(data, 6))),
        14 => (u32_at(data, 0), u32_at(data, 4), u32::from(u16_at(data, 8)), u32::from(u16_at(data, 10))),
        _ => return Err(damaged("DIMENSIONS record")),
    };
    if first_col > 0xFF || cols_end < first_col {
        first_col = 0;
    }
    if rows_end == 0 || cols_end == 0 {
        return Ok(1);
    }
    let rows = (rows_end - 1).checked_sub(first_row).ok_or_else(|| damaged("DIMENSIONS record"))?;
    let cols = (cols_end - 1).checked_sub(first_col).ok_or_else(|| damaged("DIMENSIONS record"))?;
    Ok((u64::from(rows) + 1) * (u64::from(cols) + 1))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::transfer::read::{LIMITS, Sheet, read_with};

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        [kind.to_le_bytes().as_slice(), &(data.len() as u16).to_le_bytes(), data].concat()
    }

    fn bof(kind: u16) -> Vec<u8> {
        let mut data = vec![0u8; 16];
        data[..2].copy_from_slice(&0x0600u16.to_le_bytes());
        data[2..4].copy_from_slice(&kind.to_le_bytes());
        record(BOF, &data)
    }

    pub(crate) fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
        record(0x0203, &[row.to_le_bytes().as_slice(), &col.to_le_bytes(), &[0, 0], &value.to_le_bytes()].concat())
    }

    pub(crate) fn label(row: u16, col: u16, text: &str) -> Vec<u8> {
        let head = [row.to_le_bytes().as_slice(), &col.to_le_bytes(), &[0, 0], &(text.len() as u16).to_le_bytes(), &[0]].concat();
        record(0x0204, &[head.as_slice(), text.as_bytes()].concat())
    }

    /// BIFF8 DIMENSIONS: rows `first..end`, columns `first_col..end_col` (the ends exclusive).
    pub(crate) fn dimensions(first: u32, end: u32, first_col: u16, end_col: u16) -> Vec<u8> {
        record(
            DIMENSIONS,
            &[first.to_le_bytes().as_slice(), &end.to_le_bytes(), &first_col.to_le_bytes(), &end_col.to_le_bytes(), &[0, 0]].concat(),
        )
    }

    /// A BIFF8 workbook stream: globals naming one sheet per body, then each sheet's BOF, body
    /// records and EOF.
    pub(crate) fn workbook(sheets: &[Vec<u8>]) -> Vec<u8> {
        let boundsheet_len = 4 + 10;
        let globals_len = bof(5).len() + sheets.len() * boundsheet_len + 4;
        let mut globals = bof(5);
        let mut body = Vec::new();
        for (i, sheet) in sheets.iter().enumerate() {
            let offset = (globals_len + body.len()) as u32;
            globals.extend(record(BOUNDSHEET, &[offset.to_le_bytes().as_slice(), &[0, 0, 2, 0], format!("S{i}").as_bytes()].concat()));
            body.extend([bof(0x10), sheet.clone(), record(EOF, &[])].concat());
        }
        globals.extend(record(EOF, &[]));
        [globals, body].concat()
    }

    /// A version-3 compound file (512-byte sectors) holding `stream` as "Workbook": the header,
    /// sector 0 the FAT, sector 1 the directory, then the stream, padded to 4096 bytes so it
    /// does not go to the mini stream (the padding is never walked: it follows the last EOF).
    pub(crate) fn ole(stream: &[u8]) -> Vec<u8> {
        compound(stream, false)
    }

    /// With `mini`, a stream shorter than 4096 bytes stays short and lives in the mini stream:
    /// sector 2 is the mini FAT, sectors from 3 the mini stream (the root entry's chain).
    fn compound(stream: &[u8], mini: bool) -> Vec<u8> {
        let len = if mini { stream.len() } else { stream.len().max(MINI_CUTOFF) };
        assert!(!mini || len < MINI_CUTOFF);
        let mut data = stream.to_vec();
        data.resize(len.next_multiple_of(MINI_SECTOR), 0);
        let (first, minis) = if mini { (3, data.len() / MINI_SECTOR) } else { (2, 0) };
        let count = data.len().div_ceil(512);
        assert!(count + first <= 128 && minis <= 128, "one FAT sector, one mini FAT sector");
        let mut header = vec![0u8; 512];
        header[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
        for (at, value) in [(24, 0x3Eu16), (26, 3), (28, 0xFFFE), (30, 9), (32, 6)] {
            header[at..at + 2].copy_from_slice(&value.to_le_bytes());
        }
        let (mini_fat_start, mini_fat_len) = if mini { (2, 1) } else { (ENDOFCHAIN, 0) };
        for (at, value) in [(44, 1u32), (48, 1), (56, 4096), (60, mini_fat_start), (64, mini_fat_len), (68, ENDOFCHAIN), (72, 0), (76, 0)] {
            header[at..at + 4].copy_from_slice(&value.to_le_bytes());
        }
        for i in 1..109 {
            header[76 + 4 * i..80 + 4 * i].copy_from_slice(&u32::MAX.to_le_bytes());
        }
        let chain_of = |table: &mut [u32], from: usize, n: usize| {
            for i in 0..n {
                table[from + i] = if i + 1 == n { ENDOFCHAIN } else { (from + i + 1) as u32 };
            }
        };
        let mut fat = vec![u32::MAX; 128];
        fat[0] = 0xFFFF_FFFD;
        fat[1] = ENDOFCHAIN;
        fat[2] = ENDOFCHAIN;
        chain_of(&mut fat, first, count);
        let mut mini_fat = vec![u32::MAX; 128];
        chain_of(&mut mini_fat, 0, minis);
        let entry = |name: &str, kind: u8, child: u32, start: u32, len: usize| {
            let mut e = vec![0u8; 128];
            let utf16: Vec<u8> = name.encode_utf16().chain([0]).flat_map(u16::to_le_bytes).collect();
            e[..utf16.len()].copy_from_slice(&utf16);
            e[64..66].copy_from_slice(&(utf16.len() as u16).to_le_bytes());
            e[66] = kind;
            e[67] = 1;
            for (at, value) in [(68, u32::MAX), (72, u32::MAX), (76, child), (116, start), (120, len as u32)] {
                e[at..at + 4].copy_from_slice(&value.to_le_bytes());
            }
            e
        };
        let (root_start, stream_start) = if mini { (3, 0) } else { (ENDOFCHAIN, 2) };
        let mut directory =
            [entry("Root Entry", 5, 1, root_start, minis * MINI_SECTOR), entry("Workbook", 2, u32::MAX, stream_start, len)].concat();
        directory.resize(512, 0);
        data.resize(count * 512, 0);
        let table = |t: &[u32]| t.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>();
        let mini_fat = if mini { table(&mini_fat) } else { Vec::new() };
        [header, table(&fat), directory, mini_fat, data].concat()
    }

    fn refused(bytes: &[u8], bound: Bound) {
        let started = std::time::Instant::now();
        match read_with(bytes, &LIMITS) {
            Err(ReadError::TooLarge { bound: got, limit }) => assert_eq!((got, limit), (bound, LIMITS.cells as u64)),
            other => panic!("expected {bound:?}, got {other:?}"),
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "refused quickly: {:?}", started.elapsed());
    }

    fn unreadable(bytes: &[u8]) {
        match read_with(bytes, &LIMITS) {
            Err(ReadError::Spreadsheet(_)) => {}
            other => panic!("expected unreadable, got {other:?}"),
        }
    }

    #[test]
    fn a_small_sheet_passes_and_reads_into_its_grid() {
        let sheet = [dimensions(0, 2, 0, 3), label(0, 0, "name"), label(0, 2, "price"), label(1, 0, "Milk"), number(1, 2, 12.5)].concat();
        let bytes = ole(&workbook(&[sheet]));
        assert_eq!(prescan(&bytes, &LIMITS), Ok(()));
        let want = Sheet {
            rows: vec![vec!["name".into(), "".into(), "price".into()], vec!["Milk".into(), "".into(), "12.5".into()]],
            format: "XLS".into(),
        };
        assert_eq!(read_with(&bytes, &LIMITS), Ok(want.clone()));
        // Unused header DIFAT slots written as 0 rather than FREESECT list sector 0 again.
        let mut zeroed = bytes.clone();
        zeroed[80..512].fill(0);
        assert_eq!(read_with(&zeroed, &LIMITS), Ok(want));
    }

    #[test]
    fn files_written_by_another_tool_still_import() {
        // Written by Python's xlwt (BIFF8, shared strings, two sheets; see tests/golden).
        let products = include_bytes!("../../tests/golden/xlwt-products.xls");
        let rows: Vec<Vec<String>> = [["Название", "Цена", "Штрихкод"], ["Хлеб", "45.5", "4600000000013"], ["Молоко", "", "4600000000020"]]
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect();
        assert_eq!(read_with(products, &LIMITS), Ok(Sheet { rows, format: "XLS".into() }));
        refused(include_bytes!("../../tests/golden/xlwt-sparse.xls"), Bound::Cells);
    }

    #[test]
    fn a_short_stream_is_read_from_the_mini_stream() {
        let bytes = compound(&workbook(&[[label(0, 0, "name"), number(1, 0, 2.0)].concat()]), true);
        assert_eq!(read_with(&bytes, &LIMITS), Ok(Sheet { rows: vec![vec!["name".into()], vec!["2".into()]], format: "XLS".into() }));
        refused(&compound(&workbook(&[[label(0, 0, "name"), number(65_535, 255, 1.0)].concat()]), true), Bound::Cells);
        // The mini FAT (sector 2, at byte 1536): mini sector 0 leads to itself, or past the
        // mini stream.
        for next in [0u32, 5] {
            let mut damaged = bytes.clone();
            damaged[1536..1540].copy_from_slice(&next.to_le_bytes());
            unreadable(&damaged);
        }
    }

    #[test]
    fn sparse_sheets_are_refused_by_their_bounding_box() {
        // calamine would allocate 65,536 × 256 cells (~537 MB) for two cells.
        let sparse = [label(0, 0, "name"), number(65_535, 255, 1.0)].concat();
        refused(&ole(&workbook(&[sparse])), Bound::Cells);
        // The same as MULRK reaching the last column, and as two sheets each within the bound.
        let mulrk = record(MULRK, &[65_535u16.to_le_bytes().as_slice(), &0u16.to_le_bytes(), &[0; 6], &255u16.to_le_bytes()].concat());
        refused(&ole(&workbook(&[[label(0, 0, "name"), mulrk].concat()])), Bound::Cells);
        let half = [number(0, 0, 1.0), number(29_999, 99, 1.0)].concat();
        assert_eq!(prescan(&ole(&workbook(std::slice::from_ref(&half))), &LIMITS), Ok(()));
        refused(&ole(&workbook(&[half.clone(), half])), Bound::Cells);
    }

    #[test]
    fn a_lying_dimensions_record_is_refused() {
        // One cell, but DIMENSIONS declares the whole sheet: calamine reserves it all.
        refused(&ole(&workbook(&[[dimensions(0, 65_536, 0, 256), label(0, 0, "name")].concat()])), Bound::Cells);
        refused(&ole(&workbook(&[[dimensions(0, u32::MAX, 0, 255), label(0, 0, "name")].concat()])), Bound::Cells);
        // A last row before the first underflows calamine's arithmetic.
        unreadable(&ole(&workbook(&[[dimensions(10, 5, 0, 1), label(0, 0, "name")].concat()])));
    }

    #[test]
    fn damaged_compound_files_are_unreadable_not_panics() {
        let good = ole(&workbook(&[label(0, 0, "name")]));
        unreadable(&good[..600]);
        unreadable(&good[..100]);
        let mut garbage = good[..8].to_vec();
        garbage.extend(std::iter::repeat_n(0xAB, 5000));
        unreadable(&garbage);
        // The directory chain loops onto itself (calamine: an endless, growing read).
        let mut looped = good.clone();
        looped[512 + 4..512 + 8].copy_from_slice(&1u32.to_le_bytes());
        unreadable(&looped);
        // The stream's chain loops back to its first sector.
        let mut looped = good.clone();
        looped[512 + 4 * 5..512 + 4 * 6].copy_from_slice(&2u32.to_le_bytes());
        unreadable(&looped);
        // The stream's chain points past the FAT (calamine: an index panic).
        let mut outside = good.clone();
        outside[512 + 4 * 2..512 + 4 * 3].copy_from_slice(&500u32.to_le_bytes());
        unreadable(&outside);
        // The header declares billions of FAT sectors (calamine reserves them).
        let mut declared = good.clone();
        declared[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        unreadable(&declared);
        // A sheet offset past the stream (calamine slices out of bounds).
        let mut stream = workbook(&[label(0, 0, "name")]);
        let at = bof(5).len() + 4;
        stream[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        unreadable(&ole(&stream));
        // A record cut short.
        let cut = [bof(5), record(BOUNDSHEET, &[0; 8])[..8].to_vec()].concat();
        assert!(matches!(check_sheets(&cut, &LIMITS), Err(ReadError::Spreadsheet(_))));
    }
}
