//! Barcodes: GTIN check digits (EAN-13, EAN-8, UPC-A, GTIN-14) and Code 128 text, plus the
//! weighed-goods EAN-13 rule of the scales (`PP CCCCC WWWWW K`, prefixes 20–29).

/// The GTIN check digit of `digits` (all but the last).
pub fn gtin_check_digit(body: &[u8]) -> u8 {
    // Weights 3,1,3,1… from the rightmost digit of the body.
    let sum: u32 = body.iter().rev().enumerate().map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 }).sum();
    ((10 - sum % 10) % 10) as u8
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbology {
    Ean13,
    Ean8,
    UpcA,
    Gtin14,
    Code128,
}

/// Validates a barcode typed or scanned by a person; returns its symbology.
pub fn classify(code: &str) -> Result<Symbology, &'static str> {
    if code.is_empty() || code.len() > 48 {
        return Err("length");
    }
    if code.bytes().all(|b| b.is_ascii_digit()) {
        let kind = match code.len() {
            13 => Symbology::Ean13,
            8 => Symbology::Ean8,
            12 => Symbology::UpcA,
            14 => Symbology::Gtin14,
            _ => return Ok(Symbology::Code128),
        };
        let digits: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
        let (body, check) = digits.split_at(digits.len() - 1);
        return if gtin_check_digit(body) == check[0] { Ok(kind) } else { Err("check_digit") };
    }
    if code.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Ok(Symbology::Code128);
    }
    Err("characters")
}

/// Appends the check digit to a 12-digit EAN-13 body.
pub fn ean13_with_check(body12: &str) -> String {
    let digits: Vec<u8> = body12.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    format!("{body12}{}", gtin_check_digit(&digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digits_of_real_codes() {
        assert_eq!(classify("4600682000358"), Ok(Symbology::Ean13));
        assert_eq!(classify("4600682000359"), Err("check_digit"));
        assert_eq!(classify("96385074"), Ok(Symbology::Ean8));
        assert_eq!(classify("036000291452"), Ok(Symbology::UpcA));
        assert_eq!(classify("ART-0012"), Ok(Symbology::Code128));
        assert_eq!(classify("Сыр"), Err("characters"));
        assert_eq!(ean13_with_check("211234501500"), "2112345015002");
    }
}
