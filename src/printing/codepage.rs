//! Single-byte code pages a receipt printer can hold: PC866, WPC1251 and KZ-1048. Each table
//! lists the characters of bytes 0x80..=0xFF (generated from Python's codecs `cp866`, `cp1251`,
//! `kz1048`); bytes below 0x80 are ASCII. U+FFFD marks a byte the page leaves undefined.

/// A code page; which `ESC t n` number selects it depends on the printer model (`Profile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CodePage {
    Pc866,
    Wpc1251,
    Kz1048,
}

const PC866: &str =
    "АБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмноп░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀рстуфхцчшщъыьэюяЁёЄєЇїЎў°∙·√№¤■\u{a0}";
const WPC1251: &str = "ЂЃ‚ѓ„…†‡€‰Љ‹ЊЌЋЏђ‘’“”•–—�™љ›њќћџ\u{a0}ЎўЈ¤Ґ¦§Ё©Є«¬\u{ad}®Ї°±Ііґµ¶·ё№є»јЅѕїАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя";
const KZ1048: &str = "ЂЃ‚ѓ„…†‡€‰Љ‹ЊҚҺЏђ‘’“”•–—�™љ›њқһџ\u{a0}ҰұӘ¤Ө¦§Ё©Ғ«¬\u{ad}®Ү°±Ііөµ¶·ё№ғ»әҢңүАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдежзийклмнопрстуфхцчшщъыьэюя";

impl CodePage {
    pub const ALL: [CodePage; 3] = [CodePage::Pc866, CodePage::Wpc1251, CodePage::Kz1048];

    pub fn code(self) -> &'static str {
        match self {
            CodePage::Pc866 => "pc866",
            CodePage::Wpc1251 => "wpc1251",
            CodePage::Kz1048 => "kz1048",
        }
    }

    pub fn parse(code: &str) -> Option<CodePage> {
        CodePage::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            CodePage::Pc866 => "PC866",
            CodePage::Wpc1251 => "WPC1251",
            CodePage::Kz1048 => "KZ-1048",
        }
    }

    fn upper_half(self) -> &'static str {
        match self {
            CodePage::Pc866 => PC866,
            CodePage::Wpc1251 => WPC1251,
            CodePage::Kz1048 => KZ1048,
        }
    }

    /// The byte for `c`, or `None` when this page lacks it (the caller rasterizes the line).
    pub fn encode(self, c: char) -> Option<u8> {
        if (c as u32) < 0x80 {
            return Some(c as u8);
        }
        if c == '\u{fffd}' {
            return None;
        }
        let index = self.upper_half().chars().position(|x| x == c)?;
        u8::try_from(0x80 + index).ok()
    }

    pub fn decode(self, b: u8) -> char {
        if b < 0x80 {
            return b as char;
        }
        self.upper_half().chars().nth(usize::from(b - 0x80)).unwrap_or('\u{fffd}')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_128_characters_and_round_trips() {
        for page in CodePage::ALL {
            assert_eq!(page.upper_half().chars().count(), 128, "{page:?}");
            for b in 0x80..=0xFFu8 {
                let c = page.decode(b);
                if c != '\u{fffd}' {
                    assert_eq!(page.encode(c), Some(b), "{page:?} {b:#x}");
                }
            }
        }
    }

    #[test]
    fn known_bytes() {
        let check = |page: CodePage, c: char, expected: Option<u8>| assert_eq!(page.encode(c), expected, "{page:?} {c}");
        check(CodePage::Pc866, 'А', Some(0x80));
        check(CodePage::Pc866, 'я', Some(0xEF));
        check(CodePage::Pc866, 'Ё', Some(0xF0));
        check(CodePage::Pc866, '№', Some(0xFC));
        check(CodePage::Pc866, 'і', None);
        check(CodePage::Pc866, 'Ө', None);
        check(CodePage::Wpc1251, 'А', Some(0xC0));
        check(CodePage::Wpc1251, 'і', Some(0xB3));
        check(CodePage::Wpc1251, 'Ң', None);
        check(CodePage::Kz1048, 'Ө', Some(0xA5));
        check(CodePage::Kz1048, 'Ү', Some(0xAF));
        check(CodePage::Kz1048, 'Ң', Some(0xBD));
        check(CodePage::Kz1048, 'ң', Some(0xBE));
    }
}
