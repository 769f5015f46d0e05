//! Money and quantities: `rust_decimal` everywhere, never floats. Money rounds half-up to the
//! currency's minor unit (2 places for som and rouble); quantities keep 3 places (grams).

use rust_decimal::{Decimal, RoundingStrategy};

use crate::error::FieldError;

pub mod words;

pub const MONEY_DP: u32 = 2;
pub const QTY_DP: u32 = 3;

/// Rounds an amount half-up (away from zero at .5) to kopecks/tyiyn.
pub fn round_money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(MONEY_DP, RoundingStrategy::MidpointAwayFromZero).normalize_scale(MONEY_DP)
}

pub fn round_qty(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(QTY_DP, RoundingStrategy::MidpointAwayFromZero)
}

trait Scale {
    fn normalize_scale(self, dp: u32) -> Decimal;
}

impl Scale for Decimal {
    /// Always carry exactly `dp` places so "12.5" prints as "12.50".
    fn normalize_scale(mut self, dp: u32) -> Decimal {
        self.rescale(dp);
        self
    }
}

/// Plain decimal notation only: an optional sign, ASCII digits, and at most one `.` or `,`
/// with digits on both sides; spaces (thousands) are ignored. `Decimal::from_str` alone would
/// also take `1e5` and `1_000`, which a person never means as an amount.
fn parse_decimal(raw: &str) -> Option<Decimal> {
    let s: String = raw.trim().chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    let s = s.replace(',', ".");
    if s.is_empty() || s.len() > 32 {
        return None;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(&s);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return None;
    }
    s.parse::<Decimal>().ok()
}

/// A money amount typed by a person: "1 234,5" → 1234.50. Refuses more than 2 decimals.
pub fn parse_money(field: &str, raw: &str, allow_negative: bool) -> Result<Decimal, FieldError> {
    match parse_decimal(raw) {
        Some(d) if d.scale() <= MONEY_DP && (allow_negative || d >= Decimal::ZERO) && d.abs() < Decimal::new(1_000_000_000_000, 0) => {
            Ok(round_money(d))
        }
        _ => Err(FieldError::new(
            field,
            "amount",
            "Сумма: число не меньше 0, не более 2 знаков после запятой",
            "Amount: a number ≥ 0 with at most 2 decimals",
        )),
    }
}

/// A quantity: positive, at most 3 decimals (grams of a kilogram).
pub fn parse_qty(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    match parse_decimal(raw) {
        Some(d) if d.scale() <= QTY_DP && d > Decimal::ZERO && d < Decimal::new(1_000_000_000, 0) => Ok(d.normalize()),
        _ => Err(FieldError::new(
            field,
            "qty",
            "Количество: число больше 0, до 3 знаков после запятой",
            "Quantity: a number > 0 with at most 3 decimals",
        )),
    }
}

/// A percentage 0–100 with at most 2 decimals.
pub fn parse_percent(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    match parse_decimal(raw) {
        Some(d) if d.scale() <= 2 && d >= Decimal::ZERO && d <= Decimal::ONE_HUNDRED => Ok(d),
        _ => Err(FieldError::new(field, "percent", "Процент от 0 до 100", "A percentage from 0 to 100")),
    }
}

/// A markup percentage: ≥ 0, may exceed 100, at most 2 decimals.
pub fn parse_percent_any(field: &str, raw: &str) -> Result<Decimal, FieldError> {
    match parse_decimal(raw) {
        Some(d) if d.scale() <= 2 && d >= Decimal::ZERO && d < Decimal::new(100_000, 0) => Ok(d),
        _ => Err(FieldError::new(field, "percent", "Наценка: число от 0, до 2 знаков", "Markup: a number ≥ 0 with at most 2 decimals")),
    }
}

/// Serde for a Decimal stored compactly as its mantissa and scale (postcard varints) rather
/// than as a string: projections read on every report row use it (`#[serde(with = ...)]`).
pub mod compact {
    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        (d.mantissa(), d.scale()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let (mantissa, scale) = <(i128, u32)>::deserialize(d)?;
        Decimal::try_from_i128_with_scale(mantissa, scale).map_err(serde::de::Error::custom)
    }
}

/// How people read numbers and money: the one formatting used by pages, receipts and
/// documents. Russian groups thousands with a no-break space and uses a decimal comma
/// (`108 914,01 сом`); English groups with commas and a decimal point (`108,914.01 KGS`).
/// The wire format (JSON, CSV, XLSX) stays plain `108914.01`: see [`round_money`].
pub mod display {
    use rust_decimal::Decimal;

    use super::{MONEY_DP, round_money};
    use crate::country::Currency;
    use crate::i18n::Lang;

    /// The thousands separator of Russian text: a no-break space, so an amount never wraps.
    pub const RU_GROUP: char = '\u{a0}';

    /// `d` with exactly `places` decimals (half-up), grouped for `lang`.
    pub fn number(lang: Lang, d: Decimal, places: u32) -> String {
        let rounded = d.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        let plain = format!("{:.*}", places as usize, rounded.abs());
        let (whole, fraction) = plain.split_once('.').unwrap_or((&plain, ""));
        let (group, point) = match lang {
            Lang::Ru => (RU_GROUP, ','),
            Lang::En => (',', '.'),
        };
        let mut out = String::with_capacity(plain.len() + whole.len() / 3 + 1);
        if rounded.is_sign_negative() && !rounded.is_zero() {
            out.push('-');
        }
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(group);
            }
            out.push(c);
        }
        if !fraction.is_empty() {
            out.push(point);
            out.push_str(fraction);
        }
        out
    }

    /// An amount with its two places, grouped, without a currency: table cells.
    pub fn amount(lang: Lang, d: Decimal) -> String {
        number(lang, round_money(d), MONEY_DP)
    }

    /// A quantity without trailing zeros ("3", "0,125" in Russian).
    pub fn qty(lang: Lang, d: Decimal) -> String {
        let n = d.normalize();
        number(lang, n, n.scale())
    }

    /// The currency as a reader names it: `сом`/`₽` in Russian, the ISO code in English.
    pub fn currency(lang: Lang, currency: Currency) -> &'static str {
        match (lang, currency) {
            (Lang::Ru, Currency::KGS) => "сом",
            (Lang::Ru, Currency::RUB) => "₽",
            (Lang::En, c) => c.code(),
        }
    }

    /// An amount with its currency: `108 914,01 сом`, `108,914.01 KGS`.
    pub fn money(lang: Lang, d: Decimal, c: Currency) -> String {
        format!(
            "{}{}{}",
            amount(lang, d),
            match lang {
                Lang::Ru => RU_GROUP,
                Lang::En => ' ',
            },
            currency(lang, c)
        )
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn d(s: &str) -> Decimal {
            s.parse().expect("decimal")
        }

        #[test]
        fn amounts_read_the_way_each_language_writes_them() {
            let nb = RU_GROUP;
            for (lang, value, expected) in [
                (Lang::Ru, "108914.005", format!("108{nb}914,01{nb}сом")),
                (Lang::En, "108914.005", "108,914.01 KGS".to_string()),
                (Lang::Ru, "0", format!("0,00{nb}сом")),
                (Lang::En, "-1234567.5", "-1,234,567.50 KGS".to_string()),
                (Lang::En, "999.999", "1,000.00 KGS".to_string()),
                (Lang::Ru, "-0.001", format!("0,00{nb}сом")),
            ] {
                assert_eq!(money(lang, d(value), Currency::KGS), expected, "{lang:?} {value}");
            }
            assert_eq!(money(Lang::Ru, d("5"), Currency::RUB), format!("5,00{nb}₽"));
            assert_eq!(money(Lang::En, d("5"), Currency::RUB), "5.00 RUB");
        }

        #[test]
        fn quantities_drop_trailing_zeros() {
            assert_eq!(qty(Lang::Ru, d("0.1250")), "0,125");
            assert_eq!(qty(Lang::En, d("12000.000")), "12,000");
            assert_eq!(amount(Lang::En, d("12.5")), "12.50");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn rounding_is_half_up_to_two_places() {
        assert_eq!(round_money(d("2.345")).to_string(), "2.35");
        assert_eq!(round_money(d("2.344")).to_string(), "2.34");
        assert_eq!(round_money(d("-2.345")).to_string(), "-2.35");
        assert_eq!(round_money(d("7")).to_string(), "7.00");
    }

    #[test]
    fn people_type_amounts_with_commas_and_spaces() {
        assert_eq!(parse_money("p", "1 234,5", false).map(|v| v.to_string()), Ok("1234.50".to_string()));
        assert!(parse_money("p", "1.234", false).is_err());
        assert!(parse_money("p", "-1", false).is_err());
        assert!(parse_money("p", "abc", false).is_err());
        assert_eq!(parse_qty("q", "0,125").map(|v| v.to_string()), Ok("0.125".to_string()));
        assert!(parse_qty("q", "0").is_err() && parse_qty("q", "1.0001").is_err());
        assert!(parse_percent("p", "100.5").is_err());
    }

    #[test]
    fn only_plain_decimal_notation_is_money() {
        for raw in
            ["1e5", "1E5", "1e-2", "1_000", "1_000.50", "0x10", "inf", "NaN", "1.2.3", "1,2,3", "--1", "+-1", ".5", "5.", "١٢", "1'000"]
        {
            assert!(parse_money("p", raw, true).is_err(), "{raw} is not money");
            assert!(parse_qty("q", raw).is_err(), "{raw} is not a quantity");
            assert!(parse_percent_any("m", raw).is_err(), "{raw} is not a percentage");
        }
        for (raw, want) in [("+5", "5.00"), ("-5,5", "-5.50"), ("1\u{a0}000", "1000.00"), ("0012.3", "12.30"), (" 7 ", "7.00")] {
            assert_eq!(parse_money("p", raw, true).map(|v| v.to_string()), Ok(want.to_string()), "{raw}");
        }
    }

    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Compact(#[serde(with = "compact")] Decimal);

    #[test]
    fn compact_decimals_round_trip_exactly_and_stay_small() {
        for s in ["0", "1.000", "-12.50", "0.001", "79228162514264337593543950335", "-0.0000000000000000000000000001"] {
            let bytes = postcard::to_allocvec(&Compact(d(s))).expect("encode");
            let back: Compact = postcard::from_bytes(&bytes).expect("decode");
            assert_eq!(back.0.to_string(), d(s).to_string(), "{s}");
        }
        assert_eq!(postcard::to_allocvec(&Compact(d("12.50"))).expect("encode").len(), 3);
        assert!(postcard::from_bytes::<Compact>(&postcard::to_allocvec(&(1i128, 40u32)).expect("encode")).is_err());
    }
}
