//! A company's country decides its currency, default time zone, phone numbering and the shape
//! of its legal identifiers. Parsers here turn user text into normalised values or a field
//! error; they are shared by every domain that stores phones or legal details.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Country {
    KG,
    RU,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Currency {
    KGS,
    RUB,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::KGS => "KGS",
            Currency::RUB => "RUB",
        }
    }

    /// Digits after the decimal point of the minor unit (tyiyn, kopeck).
    pub fn minor_digits(self) -> u32 {
        2
    }
}

impl Country {
    pub fn parse(s: &str) -> Option<Country> {
        match s.trim().to_ascii_uppercase().as_str() {
            "KG" => Some(Country::KG),
            "RU" => Some(Country::RU),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Country::KG => "KG",
            Country::RU => "RU",
        }
    }

    pub fn currency(self) -> Currency {
        match self {
            Country::KG => Currency::KGS,
            Country::RU => Currency::RUB,
        }
    }

    pub fn default_timezone(self) -> &'static str {
        match self {
            Country::KG => "Asia/Bishkek",
            Country::RU => "Europe/Moscow",
        }
    }

    /// Normalises a phone number to E.164: KG `+996` and 9 digits (accepting a leading 0 or
    /// 996), RU `+7` and 10 digits (accepting a leading 8 or 7). A national number never starts
    /// with 0 (that is the trunk prefix), so `+7 0…` or a bare `0…` of ten digits is refused.
    pub fn parse_phone(self, field: &str, raw: &str) -> Result<String, FieldError> {
        let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
        let junk = raw.chars().any(|c| !(c.is_ascii_digit() || " +-()".contains(c)));
        let national = match self {
            Country::KG => match digits.len() {
                9 => Some(digits.clone()),
                10 if digits.starts_with('0') => Some(digits[1..].to_string()),
                12 if digits.starts_with("996") => Some(digits[3..].to_string()),
                _ => None,
            },
            Country::RU => match digits.len() {
                10 => Some(digits.clone()),
                11 if digits.starts_with('8') || digits.starts_with('7') => Some(digits[1..].to_string()),
                _ => None,
            },
        };
        let national = national.filter(|n| !n.starts_with('0'));
        match (national, junk) {
            (Some(n), false) => Ok(match self {
                Country::KG => format!("+996{n}"),
                Country::RU => format!("+7{n}"),
            }),
            _ => Err(FieldError::new(
                field,
                "phone",
                self.pick("Телефон в формате +996 XXX XXX XXX", "Телефон в формате +7 XXX XXX-XX-XX"),
                self.pick("Phone as +996 XXX XXX XXX", "Phone as +7 XXX XXX-XX-XX"),
            )),
        }
    }

    /// Taxpayer number: KG 14 digits; RU 10 (company) or 12 (person) digits with check digits.
    pub fn parse_inn(self, field: &str, raw: &str) -> Result<String, FieldError> {
        let s = raw.trim();
        let ok = s.chars().all(|c| c.is_ascii_digit())
            && match self {
                Country::KG => s.len() == 14,
                Country::RU => ru_inn_valid(s),
            };
        if ok {
            Ok(s.to_string())
        } else {
            Err(FieldError::new(
                field,
                "inn",
                self.pick("ИНН — 14 цифр", "ИНН — 10 или 12 цифр с верной контрольной суммой"),
                self.pick("INN is 14 digits", "INN is 10 or 12 digits with valid check digits"),
            ))
        }
    }

    /// A run of digits of one of the allowed lengths (OKPO, BIK, bank account).
    pub fn parse_digits(self, field: &str, raw: &str, kg: &[usize], ru: &[usize]) -> Result<String, FieldError> {
        let s = raw.trim();
        let lens = match self {
            Country::KG => kg,
            Country::RU => ru,
        };
        if s.chars().all(|c| c.is_ascii_digit()) && lens.contains(&s.len()) {
            return Ok(s.to_string());
        }
        let want = lens.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" / ");
        Err(FieldError::new(field, "digits", format!("Нужно цифр: {want}"), format!("Expected {want} digits")))
    }

    fn pick<T: ?Sized>(self, kg: &'static T, ru: &'static T) -> &'static T {
        match self {
            Country::KG => kg,
            Country::RU => ru,
        }
    }
}

fn ru_inn_valid(s: &str) -> bool {
    let d: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    let check = |weights: &[u32], digits: &[u32]| -> u32 { weights.iter().zip(digits).map(|(w, d)| w * d).sum::<u32>() % 11 % 10 };
    match d.len() {
        10 => check(&[2, 4, 10, 3, 5, 9, 4, 6, 8], &d) == d[9],
        12 => check(&[7, 2, 4, 10, 3, 5, 9, 4, 6, 8], &d) == d[10] && check(&[3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], &d) == d[11],
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_phone(country: Country, input: &str, expected: Option<&str>) {
        assert_eq!(country.parse_phone("phone", input).ok().as_deref(), expected, "{country:?} {input}");
    }

    #[test]
    fn phones_normalise_to_e164() {
        check_phone(Country::KG, "0555 123 456", Some("+996555123456"));
        check_phone(Country::KG, "+996 (555) 12-34-56", Some("+996555123456"));
        check_phone(Country::KG, "555123456", Some("+996555123456"));
        check_phone(Country::KG, "+7 916 123 45 67", None);
        check_phone(Country::RU, "8 (916) 123-45-67", Some("+79161234567"));
        check_phone(Country::RU, "+7 916 123 45 67", Some("+79161234567"));
        check_phone(Country::RU, "916123456", None);
        check_phone(Country::RU, "0916123456", None);
        check_phone(Country::RU, "+7 016 123 45 67", None);
        check_phone(Country::RU, "8 016 123 45 67", None);
        check_phone(Country::KG, "+996 055 512 345", None);
        check_phone(Country::KG, "00 555 12345", None);
        check_phone(Country::RU, "+7 916 123 45 6x", None);
    }

    #[test]
    fn inn_rules_follow_the_country() {
        assert!(Country::RU.parse_inn("inn", "7707083893").is_ok()); // Sberbank
        assert!(Country::RU.parse_inn("inn", "7707083894").is_err());
        assert!(Country::RU.parse_inn("inn", "500100732259").is_ok());
        assert!(Country::KG.parse_inn("inn", "01234567891234").is_ok());
        assert!(Country::KG.parse_inn("inn", "0123456789").is_err());
    }
}
