//! The raster fallback's font: an 8×16 subset of GNU Unifont (GPL-2.0-or-later with the font
//! embedding exception; see `unifont-LICENSE`) covering ASCII, all of Cyrillic U+0400–U+04FF
//! (Kyrgyz Ө Ү Ң, Kazakh Ә Ғ Қ Ұ Һ) and a few receipt symbols (№ « » – — ° •).

use std::collections::HashMap;
use std::sync::OnceLock;

const HEX: &str = include_str!("unifont-subset.hex");

/// One glyph: 16 rows of 8 pixels, the top row first, the leftmost pixel in bit 7.
pub type Glyph = [u8; 16];

fn glyphs() -> &'static HashMap<char, Glyph> {
    static GLYPHS: OnceLock<HashMap<char, Glyph>> = OnceLock::new();
    GLYPHS.get_or_init(|| {
        let mut map = HashMap::new();
        for line in HEX.lines() {
            let Some((code, bits)) = line.split_once(':') else { continue };
            let Some(c) = u32::from_str_radix(code, 16).ok().and_then(char::from_u32) else { continue };
            let mut g = [0u8; 16];
            for (i, row) in g.iter_mut().enumerate() {
                *row = bits.get(i * 2..i * 2 + 2).and_then(|h| u8::from_str_radix(h, 16).ok()).unwrap_or(0);
            }
            map.insert(c, g);
        }
        map
    })
}

/// The glyph of `c`; a missing character is drawn as `?`.
pub fn glyph(c: char) -> Glyph {
    let map = glyphs();
    map.get(&c).or_else(|| map.get(&'?')).copied().unwrap_or([0; 16])
}

pub fn has_glyph(c: char) -> bool {
    glyphs().contains_key(&c)
}

/// The character whose glyph is exactly `g` (the test decoder reads raster lines back;
/// look-alikes such as Latin A and Cyrillic А resolve to the Cyrillic one).
pub fn char_of(g: &Glyph) -> Option<char> {
    glyphs().iter().filter(|(_, x)| *x == g).map(|(c, _)| *c).max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_kyrgyz_and_russian_letters() {
        for c in "АБВЯабвяЁёӨөҮүҢңӘәҒғҚқҰұҺһ№0123456789 .,:-=*".chars() {
            assert!(has_glyph(c), "{c}");
        }
        assert_eq!(char_of(&glyph('Ө')), Some('Ө'));
    }
}
