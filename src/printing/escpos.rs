//! ESC/POS bytes, written by hand for byte-exact control: a `Doc` (lines, QR, feeds, cut,
//! drawer kick) encoded for a printer `Profile`, and `decode`, which turns bytes back into
//! commands and text (tests and the fake printers use it; it also reads raster lines back).
//!
//! Every job starts with `ESC @`, then `FS .` when the profile asks (Chinese clones start in
//! Kanji mode after every init), then `ESC t n` with the model's number for the code page.
//! A line with a character the code page lacks is printed as a `GS v 0` raster image drawn
//! with the embedded font, in the same 12×24 cells as the printer's font A.
//!
//! The command bytes come from the `escpos` crate's constants wherever they are the bytes we
//! send (init, code table, alignment, emphasis, character size, feed, drawer pin, the QR
//! function codes, status query); the crate's `Printer` writes through an I/O driver and
//! encodes text with its own tables, so we use its vocabulary only. Ours are the rest: `FS .`,
//! the feed-and-cut `GS V 66 n`, the drawer pulse times, the raster command, the code pages
//! (KZ-1048 above all), the raster glyphs and the decoder (README, "Printing").

use escpos_rs::utils::{
    DLE, EOT, ESC, ESC_CASH_DRAWER_2, ESC_CHARACTER_PAGE_CODE, ESC_HARDWARE_INIT, ESC_PAPER_FEED, ESC_TEXT_EMPHASIS_OFF,
    ESC_TEXT_EMPHASIS_ON, ESC_TEXT_JUSTIFY_CENTER, ESC_TEXT_JUSTIFY_LEFT, ESC_TEXT_JUSTIFY_RIGHT, GS, GS_2D, GS_2D_QRCODE_CORRECTION_LEVEL,
    GS_2D_QRCODE_MODEL, GS_2D_QRCODE_PRINT_SYMBOL_DATA, GS_2D_QRCODE_SIZE, GS_TEXT_SIZE_SELECT, LF,
};
use serde::{Deserialize, Serialize};

use super::codepage::CodePage;
use super::font;

/// File separator: `FS .` cancels Kanji mode; the crate has no FS commands.
const FS: u8 = 0x1C;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Width {
    Mm58,
    Mm80,
}

impl Width {
    /// Characters of font A per line.
    pub fn chars(self) -> usize {
        match self {
            Width::Mm58 => 32,
            Width::Mm80 => 48,
        }
    }

    pub fn dots(self) -> usize {
        self.chars() * CELL_W
    }

    pub fn code(self) -> &'static str {
        match self {
            Width::Mm58 => "58",
            Width::Mm80 => "80",
        }
    }

    pub fn parse(code: &str) -> Option<Width> {
        [Width::Mm58, Width::Mm80].into_iter().find(|w| w.code() == code)
    }
}

/// Printer families whose `ESC t` numbering we know. `Custom` means the shop typed the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Model {
    Epson,
    Xprinter,
    Custom,
}

impl Model {
    pub const ALL: [Model; 3] = [Model::Epson, Model::Xprinter, Model::Custom];

    pub fn code(self) -> &'static str {
        match self {
            Model::Epson => "epson",
            Model::Xprinter => "xprinter",
            Model::Custom => "custom",
        }
    }

    pub fn parse(code: &str) -> Option<Model> {
        Model::ALL.into_iter().find(|m| m.code() == code)
    }

    /// The `ESC t n` number of a code page on this model (hardware.md: Epson PC866 = 17,
    /// WPC1251 = 46, KZ-1048 = 53; Xprinter-type clones put 1251 at 73 and lack KZ-1048).
    pub fn table(self, page: CodePage) -> Option<u8> {
        match (self, page) {
            (Model::Epson | Model::Xprinter, CodePage::Pc866) => Some(17),
            (Model::Epson, CodePage::Wpc1251) => Some(46),
            (Model::Epson, CodePage::Kz1048) => Some(53),
            (Model::Xprinter, CodePage::Wpc1251) => Some(73),
            _ => None,
        }
    }
}

/// How one printer wants its bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub model: Model,
    pub code_page: CodePage,
    /// The `ESC t n` number that selects `code_page` on this printer.
    pub table: u8,
    pub width: Width,
    /// Send `FS .` (cancel Kanji mode) after every `ESC @`.
    pub cancel_kanji: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// One printed line, already laid out to fit (`big` = double width and height, so half as
    /// many characters fit).
    Line {
        text: String,
        align: Align,
        bold: bool,
        big: bool,
    },
    Qr(String),
    /// A barcode, centred, its digits printed under it: an EAN-13 when it is 13 digits,
    /// otherwise a Code 128 (labels on a printer that prefers ESC/POS).
    Barcode(String),
    Feed(u8),
}

/// A printable document: what receipts, reports and test pages lay themselves out into.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Doc {
    pub blocks: Vec<Block>,
    pub cut: bool,
    /// Kick the cash drawer (`ESC p 0 25 250`) after printing.
    pub drawer: bool,
}

impl Doc {
    pub fn line(&mut self, text: impl Into<String>, align: Align) {
        self.blocks.push(Block::Line { text: text.into(), align, bold: false, big: false });
    }
}

const CELL_W: usize = 12;
const CELL_H: usize = 24;

/// The start of every job: init, Kanji off when asked, code table.
pub fn init(p: &Profile) -> Vec<u8> {
    let mut out = ESC_HARDWARE_INIT.to_vec();
    if p.cancel_kanji {
        out.extend([FS, b'.']);
    }
    out.extend(select_table(p.table));
    out
}

/// `ESC t n`: selects character code table `n` (numbers differ per model, see `Model::table`).
pub fn select_table(n: u8) -> Vec<u8> {
    let mut out = ESC_CHARACTER_PAGE_CODE.to_vec();
    out.push(n);
    out
}

pub fn encode(doc: &Doc, p: &Profile) -> Vec<u8> {
    let mut out = init(p);
    for block in &doc.blocks {
        match block {
            Block::Line { text, align, bold, big } => line(&mut out, p, text, *align, *bold, *big),
            Block::Qr(data) => qr(&mut out, data),
            Block::Barcode(code) => barcode(&mut out, code),
            Block::Feed(n) => {
                out.extend_from_slice(ESC_PAPER_FEED);
                out.push(*n);
            }
        }
    }
    if doc.cut {
        // Feed 3 lines past the tear bar and cut partially (GS V 66 n): ours, the crate's
        // cut (`GS V 65 1`) does not feed first.
        out.extend([GS, b'V', 66, 3]);
    }
    if doc.drawer {
        // Pin 2, on for 50 ms, off for 500 ms (the pulse times are ours).
        out.extend_from_slice(ESC_CASH_DRAWER_2);
        out.extend([25, 250]);
    }
    out
}

/// `GS h 80` (bars 10 mm tall), `GS H 2` (digits below), then `GS k m n data`: m = 67 for
/// an EAN-13, 73 for a Code 128 (its data starting `{B`, code set B).
fn barcode(out: &mut Vec<u8>, code: &str) {
    let code: String = code.chars().filter(|c| c.is_ascii_graphic()).take(200).collect();
    out.extend_from_slice(justify(Align::Center));
    out.extend([GS, b'h', 80, GS, b'H', 2]);
    if code.len() == 13 && code.bytes().all(|b| b.is_ascii_digit()) {
        out.extend([GS, b'k', 67, 13]);
        out.extend_from_slice(code.as_bytes());
    } else {
        out.extend([GS, b'k', 73, (code.len() + 2) as u8, b'{', b'B']);
        out.extend_from_slice(code.as_bytes());
    }
    out.push(LF);
    out.extend_from_slice(justify(Align::Left));
}

/// `ESC a n`.
fn justify(a: Align) -> &'static [u8] {
    match a {
        Align::Left => ESC_TEXT_JUSTIFY_LEFT,
        Align::Center => ESC_TEXT_JUSTIFY_CENTER,
        Align::Right => ESC_TEXT_JUSTIFY_RIGHT,
    }
}

/// `GS ! n`: character size, `0x11` = double width and height, `0` = normal.
fn size(n: u8) -> Vec<u8> {
    let mut out = GS_TEXT_SIZE_SELECT.to_vec();
    out.push(n);
    out
}

fn line(out: &mut Vec<u8>, p: &Profile, text: &str, align: Align, bold: bool, big: bool) {
    let encoded: Option<Vec<u8>> = text.chars().map(|c| p.code_page.encode(c)).collect();
    let Some(bytes) = encoded else {
        raster_line(out, p, text, align, big);
        return;
    };
    out.extend_from_slice(justify(align));
    if bold {
        out.extend_from_slice(ESC_TEXT_EMPHASIS_ON);
    }
    if big {
        out.extend(size(0x11));
    }
    out.extend(bytes);
    out.push(LF);
    if big {
        out.extend(size(0));
    }
    if bold {
        out.extend_from_slice(ESC_TEXT_EMPHASIS_OFF);
    }
}

/// `GS v 0`: the line drawn with the embedded font in font-A cells (scaled ×2 when big),
/// aligned to whole cells so that the decoder can read it back.
fn raster_line(out: &mut Vec<u8>, p: &Profile, text: &str, align: Align, big: bool) {
    let (row_bytes, rows, bits) = raster(p.width, text, align, big);
    out.extend_from_slice(ESC_TEXT_JUSTIFY_LEFT);
    // `GS v 0 m`, m = 0: normal density. Ours: the crate has this prefix only behind its
    // `graphics` feature, which brings the whole `image` crate with default formats.
    out.extend([GS, b'v', b'0', 0]);
    out.extend(u16_le(row_bytes));
    out.extend(u16_le(rows));
    out.extend(bits);
}

/// One line as a 1-bit image the width of the paper: (bytes per row, rows, bits; 1 = ink).
pub fn raster(width: Width, text: &str, align: Align, big: bool) -> (usize, usize, Vec<u8>) {
    let scale = if big { 2 } else { 1 };
    let (cw, ch) = (CELL_W * scale, CELL_H * scale);
    let cols = width.dots() / cw;
    let chars: Vec<char> = text.chars().take(cols).collect();
    let first = match align {
        Align::Left => 0,
        Align::Center => (cols - chars.len()) / 2,
        Align::Right => cols - chars.len(),
    };
    let row_bytes = width.dots() / 8;
    let mut bits = vec![0u8; row_bytes * ch];
    for (i, c) in chars.iter().enumerate() {
        let g = font::glyph(*c);
        let x0 = (first + i) * cw + 2 * scale;
        let y0 = 4 * scale;
        for (gy, row) in g.iter().enumerate() {
            for gx in 0..8 {
                if row & (0x80 >> gx) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let (x, y) = (x0 + gx * scale + dx, y0 + gy * scale + dy);
                        bits[y * row_bytes + x / 8] |= 0x80 >> (x % 8);
                    }
                }
            }
        }
    }
    (row_bytes, ch, bits)
}

fn u16_le(n: usize) -> [u8; 2] {
    [(n & 0xFF) as u8, ((n >> 8) & 0xFF) as u8]
}

/// `GS ( k`: QR model 2, module size 6, error correction M, store, print — centred.
fn qr(out: &mut Vec<u8>, data: &str) {
    out.extend_from_slice(ESC_TEXT_JUSTIFY_CENTER);
    out.extend_from_slice(GS_2D_QRCODE_MODEL);
    out.extend([50, 0]);
    out.extend_from_slice(GS_2D_QRCODE_SIZE);
    out.push(6);
    out.extend_from_slice(GS_2D_QRCODE_CORRECTION_LEVEL);
    out.push(49);
    // Store the data: function 180 (`49 80 48`), length counted with those three bytes.
    out.extend_from_slice(GS_2D);
    out.extend(u16_le(data.len() + 3));
    out.extend([49, 80, 48]);
    out.extend(data.as_bytes());
    out.extend_from_slice(GS_2D_QRCODE_PRINT_SYMBOL_DATA);
    out.extend_from_slice(ESC_TEXT_JUSTIFY_LEFT);
}

/// The real-time status queries sent before a job (`DLE EOT n`): printer, offline cause,
/// paper sensor.
pub const STATUS_QUERY: [u8; 9] = [DLE, EOT, 1, DLE, EOT, 2, DLE, EOT, 4];

/// What the printer said about itself (`DLE EOT` answers), or that nobody answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Health {
    Ready,
    PaperNearEnd,
    PaperOut,
    CoverOpen,
    Offline,
    /// The transport does not read back, or the printer did not answer the status query.
    Unknown,
    /// Could not connect or write.
    Unreachable,
}

impl Health {
    pub fn code(self) -> &'static str {
        match self {
            Health::Ready => "ready",
            Health::PaperNearEnd => "paper_near_end",
            Health::PaperOut => "paper_out",
            Health::CoverOpen => "cover_open",
            Health::Offline => "offline",
            Health::Unknown => "unknown",
            Health::Unreachable => "unreachable",
        }
    }

    /// Whether a job may be sent now (near-end still prints).
    pub fn can_print(self) -> bool {
        matches!(self, Health::Ready | Health::PaperNearEnd | Health::Unknown)
    }

    /// Reads the three answers to `STATUS_QUERY`. Each answer has bit 4 set and bits 0 and 7
    /// clear; anything else means the bytes are not a status answer.
    pub fn from_answers(a: [u8; 3]) -> Health {
        let [printer, offline, paper] = a;
        if a.iter().any(|b| b & 0x93 != 0x12) {
            return Health::Unknown;
        }
        if paper & 0x60 != 0 || offline & 0x20 != 0 {
            return Health::PaperOut;
        }
        if offline & 0x04 != 0 {
            return Health::CoverOpen;
        }
        if printer & 0x08 != 0 {
            return Health::Offline;
        }
        if paper & 0x0C != 0 {
            return Health::PaperNearEnd;
        }
        Health::Ready
    }
}

/// A decoded command (tests and fake printers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Init,
    CancelKanji,
    Table(u8),
    Align(u8),
    Bold(bool),
    Size(u8),
    /// A text line (ended by LF), decoded with the code page the last `ESC t` selected.
    Text(String),
    /// A raster image; `text` is what the embedded font reads in it (raster lines only).
    Raster {
        width_bytes: usize,
        rows: usize,
        text: String,
    },
    Qr(String),
    Barcode(String),
    Feed(u8),
    Cut,
    Drawer,
    Status(u8),
    Byte(u8),
}

/// Decodes ESC/POS bytes. `page_of` maps an `ESC t` number to the code page it selects on the
/// printer being emulated.
pub fn decode(bytes: &[u8], page_of: &dyn Fn(u8) -> Option<CodePage>) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut page = CodePage::Pc866;
    let mut text = String::new();
    let mut i = 0;
    let at = |k: usize| bytes.get(k).copied().unwrap_or(0);
    while i < bytes.len() {
        let b = bytes[i];
        let consumed = match (b, at(i + 1)) {
            (LF, _) => {
                ops.push(Op::Text(std::mem::take(&mut text)));
                1
            }
            (ESC, b'@') => {
                ops.push(Op::Init);
                2
            }
            (FS, b'.') => {
                ops.push(Op::CancelKanji);
                2
            }
            (ESC, b't') => {
                ops.push(Op::Table(at(i + 2)));
                page = page_of(at(i + 2)).unwrap_or(page);
                3
            }
            (ESC, b'a') => {
                ops.push(Op::Align(at(i + 2)));
                3
            }
            (ESC, b'E') => {
                ops.push(Op::Bold(at(i + 2) != 0));
                3
            }
            (GS, b'!') => {
                ops.push(Op::Size(at(i + 2)));
                3
            }
            (ESC, b'd') => {
                ops.push(Op::Feed(at(i + 2)));
                3
            }
            (ESC, b'p') => {
                ops.push(Op::Drawer);
                5
            }
            (DLE, EOT) => {
                ops.push(Op::Status(at(i + 2)));
                3
            }
            (GS, b'V') => {
                ops.push(Op::Cut);
                if matches!(at(i + 2), 65 | 66) { 4 } else { 3 }
            }
            (GS, b'h' | b'H') => {
                ops.push(Op::Byte(b));
                3
            }
            (GS, b'k') => {
                let n = usize::from(at(i + 3));
                let end = (i + 4 + n).min(bytes.len());
                let data = String::from_utf8_lossy(&bytes[(i + 4).min(end)..end]).into_owned();
                ops.push(Op::Barcode(data.strip_prefix("{B").map(str::to_string).unwrap_or(data)));
                end - i
            }
            (GS, b'v') => {
                let width_bytes = usize::from(at(i + 4)) | usize::from(at(i + 5)) << 8;
                let rows = usize::from(at(i + 6)) | usize::from(at(i + 7)) << 8;
                let end = (i + 8 + width_bytes * rows).min(bytes.len());
                let text = read_raster(&bytes[i + 8..end], width_bytes, rows);
                ops.push(Op::Raster { width_bytes, rows, text });
                end - i
            }
            (GS, b'(') if at(i + 2) == b'k' => {
                let len = usize::from(at(i + 3)) | usize::from(at(i + 4)) << 8;
                let end = (i + 5 + len).min(bytes.len());
                if at(i + 6) == 80 {
                    ops.push(Op::Qr(String::from_utf8_lossy(&bytes[(i + 8).min(end)..end]).into_owned()));
                }
                end - i
            }
            (0x20..=0xFF, _) => {
                text.push(page.decode(b));
                1
            }
            _ => {
                ops.push(Op::Byte(b));
                1
            }
        };
        i += consumed.max(1);
    }
    if !text.is_empty() {
        ops.push(Op::Text(text));
    }
    ops
}

/// Reads a raster line drawn by `raster_line` back into text (trailing blanks trimmed).
fn read_raster(bits: &[u8], width_bytes: usize, rows: usize) -> String {
    let scale = rows / CELL_H;
    if scale == 0 || !rows.is_multiple_of(CELL_H) || bits.len() < width_bytes * rows {
        return String::new();
    }
    let pixel = |x: usize, y: usize| bits[y * width_bytes + x / 8] & (0x80 >> (x % 8)) != 0;
    let (cw, cols) = (CELL_W * scale, width_bytes * 8 / (CELL_W * scale));
    let mut out = String::new();
    for col in 0..cols {
        let mut g = [0u8; 16];
        for (gy, row) in g.iter_mut().enumerate() {
            for gx in 0..8 {
                if pixel(col * cw + 2 * scale + gx * scale, 4 * scale + gy * scale) {
                    *row |= 0x80 >> gx;
                }
            }
        }
        out.push(if g == [0; 16] { ' ' } else { font::char_of(&g).unwrap_or('\u{fffd}') });
    }
    out.trim_end().to_string()
}

/// The printed text of decoded ops: text and raster lines, one per line.
pub fn text_of(ops: &[Op]) -> String {
    let mut out = String::new();
    for op in ops {
        match op {
            Op::Text(t) => {
                out.push_str(t);
                out.push('\n');
            }
            Op::Raster { text, .. } => {
                out.push_str(text.trim_start());
                out.push('\n');
            }
            _ => {}
        }
    }
    out
}
