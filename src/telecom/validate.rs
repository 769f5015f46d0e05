//! Parsers of every telecom identifier: ICCID (Luhn), IMSI (the company's MCC/MNC), MSISDN in
//! E.164, identity documents by country (RU passport and INN, KG passport/ID card and the
//! 14-digit ПИН), organisation INN/BIN and the contract number. Each takes what a person typed
//! and returns the one normal form or a `FieldError`; nothing is ever padded, cut or invented.

use crate::country::Country;
use crate::error::FieldError;

/// Digits only, after removing the spaces and dashes people type between groups.
fn compact(raw: &str) -> String {
    raw.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')).collect()
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_digit())
}

/// The Luhn (mod 10) check over every digit, the last one being the check digit.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, ch) in digits.chars().rev().enumerate() {
        let Some(mut d) = ch.to_digit(10) else { return false };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// The Luhn check digit that completes `body` (used by SIM generation, where the template
/// gives the issuer's digits and the check digit is computed, as an issuer does).
pub fn luhn_digit(body: &str) -> Option<char> {
    (0..10u32).filter_map(|d| char::from_digit(d, 10)).find(|d| luhn_valid(&format!("{body}{d}")))
}

/// ICCID: 19 or 20 digits, starting with 89 (telecom), with a valid Luhn check digit.
pub fn iccid(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = compact(raw);
    if all_digits(&s) && (19..=20).contains(&s.len()) && s.starts_with("89") && luhn_valid(&s) {
        return Ok(s);
    }
    Err(FieldError::new(
        field,
        "iccid",
        "ICCID: 19–20 цифр, начинается с 89, верная контрольная цифра",
        "ICCID: 19–20 digits starting with 89 with a valid check digit",
    ))
}

/// IMSI: exactly 15 digits starting with the company's MCC and MNC.
pub fn imsi(field: &str, raw: &str, mcc: &str, mnc: &str) -> Result<String, FieldError> {
    let s = compact(raw);
    let prefix = format!("{mcc}{mnc}");
    if all_digits(&s) && s.len() == 15 && s.starts_with(&prefix) {
        return Ok(s);
    }
    Err(FieldError::new(
        field,
        "imsi",
        format!("IMSI: 15 цифр, начинается с {prefix} (MCC и MNC компании)"),
        format!("IMSI: 15 digits starting with {prefix} (the company's MCC and MNC)"),
    ))
}

/// MSISDN: the country's E.164 number (KG +996 and 9 digits, RU +7 and 10), never cut to fit.
pub fn msisdn(country: Country, field: &str, raw: &str) -> Result<String, FieldError> {
    country.parse_phone(field, raw).map_err(|mut e| {
        e.code = "msisdn";
        e
    })
}

/// PUK: 8 digits.
pub fn puk(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = compact(raw);
    if all_digits(&s) && s.len() == 8 {
        return Ok(s);
    }
    Err(FieldError::new(field, "puk", "PUK: 8 цифр", "PUK: 8 digits"))
}

/// MCC: 3 digits; MNC: 2 or 3 digits.
pub fn mcc_mnc(mcc: &str, mnc: &str) -> Result<(String, String), FieldError> {
    let (mcc, mnc) = (mcc.trim(), mnc.trim());
    if !(all_digits(mcc) && mcc.len() == 3) {
        return Err(FieldError::new("mcc", "mcc", "MCC: 3 цифры", "MCC: 3 digits"));
    }
    if !(all_digits(mnc) && (2..=3).contains(&mnc.len())) {
        return Err(FieldError::new("mnc", "mnc", "MNC: 2 или 3 цифры", "MNC: 2 or 3 digits"));
    }
    Ok((mcc.to_string(), mnc.to_string()))
}

/// Kinds of identity document of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DocKind {
    Passport,
    IdCard,
    DriverLicense,
    ForeignPassport,
}

impl DocKind {
    pub const ALL: [DocKind; 4] = [DocKind::Passport, DocKind::IdCard, DocKind::DriverLicense, DocKind::ForeignPassport];

    pub fn code(self) -> &'static str {
        match self {
            DocKind::Passport => "passport",
            DocKind::IdCard => "id_card",
            DocKind::DriverLicense => "driver_license",
            DocKind::ForeignPassport => "foreign_passport",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        DocKind::ALL.into_iter().find(|k| k.code() == s.trim())
    }
}

/// An identity document as (series, number), normalised for the company's country:
/// - RU passport `XXXX XXXXXX`: 4 digits of series, 6 of number;
/// - KG passport `AN1234567` and ID card `ID1234567`: two Latin letters and 7 digits;
/// - other documents (a driver's licence, a foreign passport): series of 0–10 and number of
///   4–12 Latin letters or digits, upper-cased.
pub fn document(country: Country, kind: DocKind, series: &str, number: &str) -> Result<(String, String), FieldError> {
    let series = compact(series).to_uppercase();
    let number = compact(number).to_uppercase();
    match (country, kind) {
        (Country::RU, DocKind::Passport) => {
            let joined = format!("{series}{number}");
            if all_digits(&joined) && joined.len() == 10 {
                return Ok((joined[..4].to_string(), joined[4..].to_string()));
            }
            Err(FieldError::new(
                "document",
                "passport",
                "Паспорт РФ: серия 4 цифры и номер 6 цифр (XXXX XXXXXX)",
                "Russian passport: 4-digit series and 6-digit number (XXXX XXXXXX)",
            ))
        }
        (Country::KG, DocKind::Passport | DocKind::IdCard) => {
            // Typed as one value ("AN1234567") or split into series and number.
            let joined = format!("{series}{number}");
            let letters: String = joined.chars().take(2).collect();
            let digits: String = joined.chars().skip(2).collect();
            let letters_ok = letters.len() == 2 && letters.chars().all(|c| c.is_ascii_uppercase());
            if letters_ok && all_digits(&digits) && digits.len() == 7 {
                return Ok((letters, digits));
            }
            Err(FieldError::new(
                "document",
                "passport",
                "Паспорт или ID-карта КР: две латинские буквы и 7 цифр (AN1234567, ID1234567)",
                "Kyrgyz passport or ID card: two Latin letters and 7 digits (AN1234567, ID1234567)",
            ))
        }
        _ => {
            let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
            if alnum(&series) && series.len() <= 10 && alnum(&number) && (4..=12).contains(&number.len()) {
                return Ok((series, number));
            }
            Err(FieldError::new(
                "document",
                "document",
                "Документ: серия до 10 и номер 4–12 латинских букв или цифр",
                "Document: series up to 10 and number of 4–12 Latin letters or digits",
            ))
        }
    }
}

/// The KG personal number (ПИН): 14 digits — 1 (female) or 2 (male), the birth date as
/// DDMMYYYY, then 5 digits. Returns the number and the birth date it carries ("YYYY-MM-DD").
pub fn kg_pin(field: &str, raw: &str) -> Result<(String, String), FieldError> {
    let s = compact(raw);
    let bad = || {
        FieldError::new(
            field,
            "pin",
            "ПИН: 14 цифр, 1 или 2 и дата рождения ДДММГГГГ",
            "PIN: 14 digits, 1 or 2 then the birth date DDMMYYYY",
        )
    };
    if !(all_digits(&s) && s.len() == 14 && (s.starts_with('1') || s.starts_with('2'))) {
        return Err(bad());
    }
    let date = format!("{}-{}-{}", &s[5..9], &s[3..5], &s[1..3]);
    match date.parse::<jiff::civil::Date>() {
        Ok(_) => Ok((s, date)),
        Err(_) => Err(bad()),
    }
}

/// A person's INN: RU 12 digits with both check digits; KG the 14-digit ПИН serves.
pub fn person_inn(country: Country, field: &str, raw: &str) -> Result<String, FieldError> {
    let s = compact(raw);
    match country {
        Country::RU if s.len() == 12 => country.parse_inn(field, &s),
        Country::RU => Err(FieldError::new(
            field,
            "inn",
            "ИНН физического лица — 12 цифр с верной контрольной суммой",
            "A person's INN is 12 digits with valid check digits",
        )),
        Country::KG => kg_pin(field, &s).map(|(pin, _)| pin),
    }
}

/// An organisation's taxpayer number: RU INN of 10 digits with its check digit; KG INN of 14
/// digits (its first digit 0 or 1 for a legal entity, 2 for an entrepreneur).
pub fn org_inn(country: Country, field: &str, raw: &str) -> Result<String, FieldError> {
    let s = compact(raw);
    let ok = match country {
        Country::RU => s.len() == 10 && country.parse_inn(field, &s).is_ok(),
        Country::KG => all_digits(&s) && s.len() == 14 && matches!(s.as_bytes()[0], b'0' | b'1' | b'2'),
    };
    if ok {
        return Ok(s);
    }
    Err(FieldError::new(
        field,
        "org_inn",
        "ИНН организации: РФ — 10 цифр с контрольной, КР — 14 цифр",
        "Organisation INN: RU 10 digits with a check digit, KG 14 digits",
    ))
}

/// The contract number `YYYYMM-XXXXXXXX`: a real month and 8 upper-case hex digits.
pub fn contract_number(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    let bad = || FieldError::new(field, "contract_number", "Номер договора: ГГГГММ-XXXXXXXX", "Contract number: YYYYMM-XXXXXXXX");
    let (ym, hex) = s.split_once('-').ok_or_else(bad)?;
    let month_ok = all_digits(ym) && ym.len() == 6 && matches!(ym[4..].parse::<u8>(), Ok(1..=12)) && ym[..4] >= *"2000";
    let hex_ok = hex.len() == 8 && hex.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c));
    if month_ok && hex_ok { Ok(s.to_string()) } else { Err(bad()) }
}

/// The number of the `seq`-th contract of a month ("YYYY-MM-DD" date in, 1-based seq).
pub fn format_contract_number(date: &str, seq: u64) -> String {
    let ym: String = date.chars().filter(char::is_ascii_digit).take(6).collect();
    format!("{ym}-{seq:08X}")
}

/// A date "YYYY-MM-DD" (a real calendar date).
pub fn date(field: &str, raw: &str) -> Result<String, FieldError> {
    match raw.trim().parse::<jiff::civil::Date>() {
        Ok(d) => Ok(d.to_string()),
        Err(_) => Err(FieldError::new(field, "date", "Дата: ГГГГ-ММ-ДД", "Date as YYYY-MM-DD")),
    }
}

/// An e-mail address, lower-cased: one `@`, something before it, a dot after it, no spaces.
pub fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim().to_lowercase();
    let ok = match s.split_once('@') {
        Some((user, host)) => {
            !user.is_empty() && host.contains('.') && !host.starts_with('.') && !host.ends_with('.') && !host.contains('@')
        }
        None => false,
    };
    if ok && !s.chars().any(char::is_whitespace) {
        return Ok(s);
    }
    Err(FieldError::new(field, "email", "Неверный e-mail", "Invalid e-mail"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check<T: std::fmt::Debug + PartialEq>(got: Result<T, FieldError>, want: Option<T>, input: &str) {
        assert_eq!(got.ok(), want, "{input}");
    }

    #[test]
    fn iccids_need_89_nineteen_or_twenty_digits_and_the_luhn_digit() {
        for (input, want) in [
            ("89014103211118510720", Some("89014103211118510720")),   // a real 20-digit ICCID
            ("8999601000000000008", Some("8999601000000000008")),     // 19 digits
            ("8970 1011 2345 6789 019", Some("8970101123456789019")), // typed in groups
            ("89014103211118510721", None),                           // check digit wrong
            ("8970101123456789012", None),                            // check digit wrong
            ("79014103211118510720", None),                           // not telecom
            ("890141032111185107", None),                             // 18 digits
            ("890141032111185107201", None),                          // 21 digits
            ("8901410321111851072A", None),
            ("", None),
        ] {
            check(iccid("iccid", input), want.map(String::from), input);
        }
    }

    #[test]
    fn imsis_are_fifteen_digits_under_the_companys_mcc_and_mnc() {
        for (input, want) in [
            ("437010123456789", Some("437010123456789")),
            ("437 01 0123456789", Some("437010123456789")),
            ("437050123456789", None), // another operator's MNC
            ("250010123456789", None), // another country
            ("43701012345678", None),  // 14 digits
            ("4370101234567890", None),
        ] {
            check(imsi("imsi", input, "437", "01"), want.map(String::from), input);
        }
        assert!(mcc_mnc("437", "01").is_ok());
        assert!(mcc_mnc("437", "001").is_ok());
        assert!(mcc_mnc("43", "01").is_err());
        assert!(mcc_mnc("437", "1").is_err());
    }

    #[test]
    fn msisdns_are_e164_of_the_country_and_never_cut() {
        for (country, input, want) in [
            (Country::KG, "+996 555 123 456", Some("+996555123456")),
            (Country::KG, "0555123456", Some("+996555123456")),
            (Country::KG, "996555123456", Some("+996555123456")),
            (Country::KG, "+9965551234567", None), // one digit too many: refused, not cut
            (Country::KG, "55512345", None),
            (Country::RU, "+7 916 123-45-67", Some("+79161234567")),
            (Country::RU, "8 916 123 45 67", Some("+79161234567")),
            (Country::RU, "+7 916 123 45 678", None),
            (Country::RU, "+996555123456", None),
        ] {
            check(msisdn(country, "msisdn", input), want.map(String::from), input);
        }
        assert_eq!(msisdn(Country::KG, "msisdn", "1").map_err(|e| e.code), Err("msisdn"));
    }

    #[test]
    fn russian_inns_carry_check_digits() {
        for (input, want) in [
            ("500100732259", Some("500100732259")),
            ("5001 0073 2259", Some("500100732259")),
            ("500100732258", None),
            ("7707083893", None), // a company's INN is not a person's
        ] {
            check(person_inn(Country::RU, "inn", input), want.map(String::from), input);
        }
        for (input, want) in [("7707083893", Some("7707083893")), ("7707083894", None), ("500100732259", None)] {
            check(org_inn(Country::RU, "inn", input), want.map(String::from), input);
        }
        for (input, want) in [
            ("01234567891234", Some("01234567891234")),
            ("21234567891234", Some("21234567891234")),
            ("91234567891234", None),
            ("0123456789", None),
        ] {
            check(org_inn(Country::KG, "inn", input), want.map(String::from), input);
        }
    }

    #[test]
    fn passports_follow_the_country() {
        let p = DocKind::Passport;
        for (country, kind, series, number, want) in [
            (Country::RU, p, "4506", "123456", Some(("4506", "123456"))),
            (Country::RU, p, "45 06", "123456", Some(("4506", "123456"))),
            (Country::RU, p, "", "4506 123456", Some(("4506", "123456"))),
            (Country::RU, p, "450", "123456", None),
            (Country::RU, p, "45AB", "123456", None),
            (Country::KG, p, "AN", "1234567", Some(("AN", "1234567"))),
            (Country::KG, p, "", "an1234567", Some(("AN", "1234567"))),
            (Country::KG, DocKind::IdCard, "ID", "0123456", Some(("ID", "0123456"))),
            (Country::KG, p, "AN", "123456", None),
            (Country::KG, p, "A1", "1234567", None),
            (Country::KG, p, "АН", "1234567", None), // Cyrillic letters are not the series
            (Country::KG, DocKind::DriverLicense, "KG", "12345678", Some(("KG", "12345678"))),
            (Country::RU, DocKind::ForeignPassport, "75", "1234567", Some(("75", "1234567"))),
            (Country::RU, DocKind::ForeignPassport, "75", "123", None),
        ] {
            let got = document(country, kind, series, number);
            assert_eq!(got.ok(), want.map(|(s, n)| (s.to_string(), n.to_string())), "{country:?} {series} {number}");
        }
    }

    #[test]
    fn kyrgyz_personal_numbers_carry_sex_and_birth_date() {
        for (input, want) in [
            ("22505199012345", Some(("22505199012345", "1990-05-25"))),
            ("1 01 01 2000 00001", Some(("10101200000001", "2000-01-01"))),
            ("32505199012345", None), // first digit 1 or 2
            ("23102199012345", None), // 31 February
            ("2250519901234", None),  // 13 digits
        ] {
            check(kg_pin("pin", input), want.map(|(a, b)| (a.to_string(), b.to_string())), input);
        }
    }

    #[test]
    fn contract_numbers_are_a_month_and_eight_hex_digits() {
        for (input, want) in [
            ("202612-0000001A", true),
            ("202601-FFFFFFFF", true),
            ("202613-00000001", false),
            ("202612-0000001a", false),
            ("202612-000001", false),
            ("20261-200000001", false),
            ("2026120000001A", false),
        ] {
            assert_eq!(contract_number("number", input).is_ok(), want, "{input}");
        }
        assert_eq!(format_contract_number("2026-12-07", 26), "202612-0000001A");
        assert!(contract_number("n", &format_contract_number("2026-12-07", 1)).is_ok());
    }

    #[test]
    fn luhn_digits_complete_a_body() {
        assert_eq!(luhn_digit("899960100000000000"), Some('8'));
        assert_eq!(luhn_digit("8901410321111851072"), Some('0'));
        assert!(email("e", "A@B.kg").is_ok());
        assert!(email("e", "a@b").is_err());
        assert!(date("d", "2026-02-30").is_err());
    }
}
