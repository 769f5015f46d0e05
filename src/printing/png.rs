//! The receipt as a PNG picture, drawn line by line with the raster font (what a printer
//! without the right code page would print): a 1-bit grayscale PNG with stored (uncompressed)
//! deflate blocks, so no compression library is needed.

use super::escpos::{Align, Block, Doc, Width, raster};

/// Draws `doc` at the paper width; a QR block is shown as its text.
pub fn render(doc: &Doc, width: Width) -> Vec<u8> {
    let row_bytes = width.dots() / 8;
    let mut bits = Vec::new();
    for block in &doc.blocks {
        let (_, _, b) = match block {
            Block::Line { text, align, big, .. } => raster(width, text, *align, *big),
            Block::Qr(data) => raster(width, &format!("[QR] {data}"), Align::Center, false),
            Block::Barcode(code) => raster(width, &format!("||| {code} |||"), Align::Center, false),
            Block::Feed(n) => (row_bytes, 24 * usize::from(*n), vec![0; row_bytes * 24 * usize::from(*n)]),
        };
        bits.extend(b);
    }
    encode(row_bytes * 8, bits.len() / row_bytes.max(1), row_bytes, &bits)
}

fn encode(width: usize, height: usize, row_bytes: usize, bits: &[u8]) -> Vec<u8> {
    // Scanlines: filter byte 0, then the row with ink as 0 (black) and paper as 1 (white).
    let mut raw = Vec::with_capacity((row_bytes + 1) * height);
    for row in bits.chunks(row_bytes) {
        raw.push(0);
        raw.extend(row.iter().map(|b| !b));
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend(len.to_le_bytes());
        z.extend((!len).to_le_bytes());
        z.extend(*block);
    }
    if blocks.is_empty() {
        z.extend([1, 0, 0, 0xFF, 0xFF]);
    }
    z.extend(adler32(&raw).to_be_bytes());
    let mut out = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    let mut ihdr = Vec::new();
    ihdr.extend((width as u32).to_be_bytes());
    ihdr.extend((height as u32).to_be_bytes());
    ihdr.extend([1, 0, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend(kind);
    out.extend(data);
    let crc = crc32(&out[start..]);
    out.extend(crc.to_be_bytes());
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for x in data {
        a = (a + u32::from(*x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn a_receipt_png_has_the_paper_width_and_a_row_per_dot() {
        let mut doc = Doc::default();
        doc.line("Өрүк", Align::Left);
        doc.blocks.push(Block::Feed(1));
        let png = render(&doc, Width::Mm58);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[16..24], &[0, 0, 1, 128, 0, 0, 0, 48]);
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
    }
}
