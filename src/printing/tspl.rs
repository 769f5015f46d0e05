//! TSPL bytes for label printers (Xprinter XP-365B, Gprinter, TSC), sans-IO: a `Label` of
//! text, EAN-13 barcodes and bars, encoded as `SIZE`/`GAP`/`CLS`/`TEXT`/`BARCODE`/`BAR`/`PRINT`
//! lines ended by CRLF, and `decode`, which reads such bytes back for tests and fake printers.
//!
//! Text goes out in one of two ways (`TextMode`): as `TEXT` with the printer's Windows-1251
//! code page selected by `CODEPAGE 1251`, or as a `BITMAP` drawn with the embedded Unifont
//! subset. A line with a character 1251 lacks (Kyrgyz Ө Ү Ң, Kazakh letters) is always a
//! bitmap, so no label prints a `?`. Positions are given in dots at 203 dpi (8 dots per mm)
//! and scaled for a 300 dpi head (12 dots per mm), so a template is written once.

use serde::{Deserialize, Serialize};

use super::codepage::CodePage;
use super::font;

/// How label text reaches the paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextMode {
    /// `CODEPAGE 1251` and the printer's own font; lines 1251 lacks become bitmaps.
    Codepage,
    /// Every line a `BITMAP` of the embedded font: works on every printer, larger jobs.
    Bitmap,
}

impl TextMode {
    pub fn code(self) -> &'static str {
        match self {
            TextMode::Codepage => "codepage",
            TextMode::Bitmap => "bitmap",
        }
    }

    pub fn parse(code: &str) -> Option<TextMode> {
        [TextMode::Codepage, TextMode::Bitmap].into_iter().find(|m| m.code() == code.trim())
    }
}

/// One thing drawn on a label; coordinates in dots at 203 dpi from the top left corner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// One line of text; `big` is twice the size. The caller fits it to the label.
    Text { x: u32, y: u32, big: bool, text: String },
    /// A barcode with its digits printed under the bars: an EAN-13, or else a Code 128.
    Barcode { x: u32, y: u32, height: u32, ean: bool, code: String },
    /// A filled rectangle (a rule, or the line through an old price).
    Bar { x: u32, y: u32, width: u32, height: u32 },
}

/// One label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub width_mm: u32,
    pub height_mm: u32,
    pub gap_mm: u32,
    pub items: Vec<Item>,
}

/// Dots at 203 dpi per millimetre (what templates are written in).
pub const DOTS_PER_MM: u32 = 8;

/// The width of a character of a text line in dots at 203 dpi (the printer's font "2" is
/// 12 dots wide, font "3" 16; the bitmap font is 8 dots wide, drawn at twice that when big).
pub fn char_width(big: bool) -> u32 {
    if big { 16 } else { 12 }
}

/// How many characters of a line fit in `dots`.
pub fn fits(dots: u32, big: bool) -> usize {
    (dots / char_width(big)) as usize
}

/// The TSPL bytes of `labels`, one `PRINT` each, for a printer of `dpi` (203 or 300).
pub fn encode(labels: &[Label], dpi: u32, mode: TextMode) -> Vec<u8> {
    let s = |v: u32| if dpi >= 300 { v * 12 / DOTS_PER_MM } else { v };
    let mut out = Vec::new();
    let line = |out: &mut Vec<u8>, l: String| {
        out.extend_from_slice(l.as_bytes());
        out.extend_from_slice(b"\r\n");
    };
    for label in labels {
        line(&mut out, format!("SIZE {} mm,{} mm", label.width_mm, label.height_mm));
        line(&mut out, format!("GAP {} mm,0 mm", label.gap_mm));
        line(&mut out, "DIRECTION 1".into());
        if mode == TextMode::Codepage {
            line(&mut out, "CODEPAGE 1251".into());
        }
        line(&mut out, "CLS".into());
        for item in &label.items {
            match item {
                Item::Text { x, y, big, text } => {
                    let text: String = text.chars().filter(|c| !c.is_control()).map(|c| if c == '"' { '\'' } else { c }).collect();
                    let bytes: Option<Vec<u8>> = text.chars().map(|c| CodePage::Wpc1251.encode(c)).collect();
                    match (mode, bytes) {
                        (TextMode::Codepage, Some(bytes)) => {
                            let font = if *big { "3" } else { "2" };
                            let m = if dpi >= 300 { 2 } else { 1 };
                            out.extend_from_slice(format!("TEXT {},{},\"{font}\",0,{m},{m},\"", s(*x), s(*y)).as_bytes());
                            out.extend_from_slice(&bytes);
                            out.extend_from_slice(b"\"\r\n");
                        }
                        _ => {
                            let scale = match (*big, dpi >= 300) {
                                (false, false) => 1,
                                (false, true) | (true, false) => 2,
                                (true, true) => 3,
                            };
                            bitmap(&mut out, s(*x), s(*y), &text, scale)
                        }
                    }
                }
                Item::Barcode { x, y, height, ean, code } => {
                    // Narrow bar 2 dots (3 at 300 dpi): an EAN-13 is 95 modules wide, 190 dots.
                    let narrow = if dpi >= 300 { 3 } else { 2 };
                    let kind = if *ean { "EAN13" } else { "128" };
                    let code: String = code.chars().filter(|c| c.is_ascii_graphic() && *c != '"').collect();
                    line(&mut out, format!("BARCODE {},{},\"{kind}\",{},1,0,{narrow},{narrow},\"{code}\"", s(*x), s(*y), s(*height)));
                }
                Item::Bar { x, y, width, height } => line(&mut out, format!("BAR {},{},{},{}", s(*x), s(*y), s(*width), s(*height))),
            }
        }
        line(&mut out, "PRINT 1,1".into());
    }
    out
}

/// `BITMAP x,y,width bytes,height,0,<data>`: the line drawn with the embedded 8×16 font at
/// `scale`. TSPL prints the 0 bits, so ink is a cleared bit.
fn bitmap(out: &mut Vec<u8>, x: u32, y: u32, text: &str, scale: u32) {
    let scale = scale.max(1) as usize;
    let chars: Vec<char> = text.chars().collect();
    let width_bytes = chars.len() * scale;
    let rows = 16 * scale;
    let mut bits = vec![0xffu8; width_bytes * rows];
    for (col, c) in chars.iter().enumerate() {
        let g = font::glyph(*c);
        for (gy, row) in g.iter().enumerate() {
            for gx in 0..8 {
                if row & (0x80 >> gx) == 0 {
                    continue;
                }
                for dy in 0..scale {
                    for dx in 0..scale {
                        let px = col * 8 * scale + gx * scale + dx;
                        let py = gy * scale + dy;
                        bits[py * width_bytes + px / 8] &= !(0x80 >> (px % 8));
                    }
                }
            }
        }
    }
    out.extend_from_slice(format!("BITMAP {x},{y},{width_bytes},{rows},0,").as_bytes());
    out.extend_from_slice(&bits);
    out.extend_from_slice(b"\r\n");
}

/// A decoded TSPL command (tests and fake printers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Size(String),
    Gap(String),
    Codepage(String),
    Cls,
    /// Text of a `TEXT` command (decoded as Windows-1251) or read back out of a `BITMAP`.
    Text(String),
    Barcode {
        kind: String,
        code: String,
    },
    Bar,
    Print,
    Other(String),
}

/// Reads TSPL bytes back: one command per CRLF-ended line, `BITMAP` data skipped by its size.
pub fn decode(bytes: &[u8]) -> Vec<Cmd> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"BITMAP ") {
            // Six comma-separated fields, the last one the raw data.
            let mut commas = Vec::new();
            for (k, b) in rest.iter().enumerate() {
                if *b == b',' {
                    commas.push(k);
                    if commas.len() == 5 {
                        break;
                    }
                }
            }
            let Some(&data_at) = commas.get(4) else { break };
            let head = String::from_utf8_lossy(&rest[7..data_at]).into_owned();
            let nums: Vec<usize> = head.split(',').filter_map(|n| n.trim().parse().ok()).collect();
            let (w, h) = (nums.get(2).copied().unwrap_or(0), nums.get(3).copied().unwrap_or(0));
            let start = data_at + 1;
            let end = (start + w * h).min(rest.len());
            out.push(Cmd::Text(read_bitmap(&rest[start..end], w, h)));
            i += end + 2;
            continue;
        }
        let end = rest.windows(2).position(|p| p == b"\r\n").unwrap_or(rest.len());
        let raw = &rest[..end];
        i += end + 2;
        let text: String = raw.iter().map(|b| CodePage::Wpc1251.decode(*b)).collect();
        let (word, args) = text.split_once(' ').unwrap_or((text.as_str(), ""));
        let quoted: Vec<&str> = args.split('"').skip(1).step_by(2).collect();
        out.push(match word {
            "SIZE" => Cmd::Size(args.to_string()),
            "GAP" => Cmd::Gap(args.to_string()),
            "CODEPAGE" => Cmd::Codepage(args.to_string()),
            "CLS" => Cmd::Cls,
            "TEXT" => Cmd::Text(quoted.get(1).copied().unwrap_or_default().to_string()),
            "BARCODE" => Cmd::Barcode {
                kind: quoted.first().copied().unwrap_or_default().to_string(),
                code: quoted.get(1).copied().unwrap_or_default().to_string(),
            },
            "BAR" => Cmd::Bar,
            "PRINT" => Cmd::Print,
            _ => Cmd::Other(text.clone()),
        });
    }
    out
}

/// The text a bitmap line shows (what `bitmap` drew), trailing blanks trimmed.
fn read_bitmap(bits: &[u8], width_bytes: usize, rows: usize) -> String {
    let scale = rows / 16;
    if scale == 0 || bits.len() < width_bytes * rows {
        return String::new();
    }
    let ink = |x: usize, y: usize| bits[y * width_bytes + x / 8] & (0x80 >> (x % 8)) == 0;
    let mut out = String::new();
    for col in 0..width_bytes / scale {
        let mut g = [0u8; 16];
        for (gy, row) in g.iter_mut().enumerate() {
            for gx in 0..8 {
                if ink(col * 8 * scale + gx * scale, gy * scale) {
                    *row |= 0x80 >> gx;
                }
            }
        }
        out.push(if g == [0; 16] { ' ' } else { font::char_of(&g).unwrap_or('\u{fffd}') });
    }
    out.trim_end().to_string()
}

/// The barcodes printed in TSPL bytes (what a scanner would read off the labels).
pub fn barcodes(bytes: &[u8]) -> Vec<String> {
    decode(bytes)
        .into_iter()
        .filter_map(|c| match c {
            Cmd::Barcode { code, .. } => Some(code),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(items: Vec<Item>) -> Label {
        Label { width_mm: 58, height_mm: 40, gap_mm: 2, items }
    }

    #[test]
    fn golden_bytes_of_a_codepage_label() {
        let l = label(vec![
            Item::Text { x: 8, y: 8, big: false, text: "Сыр \"Гауда\"".into() },
            Item::Barcode { x: 40, y: 180, height: 80, ean: true, code: "2200015012341".into() },
            Item::Bar { x: 8, y: 100, width: 120, height: 2 },
        ]);
        let mut want = b"SIZE 58 mm,40 mm\r\nGAP 2 mm,0 mm\r\nDIRECTION 1\r\nCODEPAGE 1251\r\nCLS\r\nTEXT 8,8,\"2\",0,1,1,\"".to_vec();
        want.extend([0xd1, 0xfb, 0xf0, b' ', b'\'', 0xc3, 0xe0, 0xf3, 0xe4, 0xe0, b'\'']);
        want.extend_from_slice(b"\"\r\nBARCODE 40,180,\"EAN13\",80,1,0,2,2,\"2200015012341\"\r\nBAR 8,100,120,2\r\nPRINT 1,1\r\n");
        assert_eq!(encode(&[l], 203, TextMode::Codepage), want);
    }

    #[test]
    fn a_300_dpi_head_gets_scaled_positions() {
        let l = label(vec![Item::Barcode { x: 40, y: 180, height: 80, ean: true, code: "2200015012341".into() }]);
        let bytes = encode(&[l], 300, TextMode::Bitmap);
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("BARCODE 60,270,\"EAN13\",120,1,0,3,3,\"2200015012341\"\r\n"), "{text}");
        assert!(!text.contains("CODEPAGE"));
    }

    #[test]
    fn text_the_code_page_lacks_is_drawn_and_reads_back() {
        let l = label(vec![
            Item::Text { x: 0, y: 0, big: true, text: "Сүт Өзгөн 1 кг".into() },
            Item::Text { x: 0, y: 40, big: false, text: "Цена".into() },
        ]);
        let cmds = decode(&encode(std::slice::from_ref(&l), 203, TextMode::Codepage));
        assert_eq!(cmds[5], Cmd::Text("Сүт Өзгөн 1 кг".into()));
        assert_eq!(cmds[6], Cmd::Text("Цена".into()));
        let bytes = encode(&[l], 203, TextMode::Bitmap);
        assert!(bytes.windows(7).any(|w| w == b"BITMAP "));
        let cmds = decode(&bytes);
        let texts: Vec<&Cmd> = cmds.iter().filter(|c| matches!(c, Cmd::Text(_))).collect();
        assert_eq!(texts, [&Cmd::Text("Сүт Өзгөн 1 кг".into()), &Cmd::Text("Цена".into())]);
        assert_eq!(cmds.last(), Some(&Cmd::Print));
    }

    #[test]
    fn every_label_prints_once_and_barcodes_read_back() {
        let two = [
            label(vec![Item::Barcode { x: 0, y: 0, height: 60, ean: true, code: "4600682000358".into() }]),
            label(vec![Item::Barcode { x: 0, y: 0, height: 60, ean: true, code: "2200015012341".into() }]),
        ];
        let bytes = encode(&two, 203, TextMode::Codepage);
        assert_eq!(decode(&bytes).iter().filter(|c| **c == Cmd::Print).count(), 2);
        assert_eq!(barcodes(&bytes), ["4600682000358", "2200015012341"]);
    }
}
