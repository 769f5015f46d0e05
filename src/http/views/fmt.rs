//! Numbers and labels as the pages show them. Amounts and quantities read the way the
//! reader's language writes them (`108 914,01` in Russian, `108,914.01` in English) through
//! `crate::money::display`, the one place that formats them; the plain forms (`270.00`, `3`)
//! are what a form field is filled with, since the parsers read them back. A leaf: nothing is
//! routed through it.

use rust_decimal::Decimal;

use crate::catalog::model::Unit;
use crate::i18n::Lang;
use crate::money::display;
use crate::money::round_money;

/// An amount with its two places, grouped for `lang`: table cells and totals.
pub fn amount(lang: Lang, d: Decimal) -> String {
    display::amount(lang, d)
}

/// A quantity without trailing zeros, grouped for `lang` ("1 250,5").
pub fn quantity(lang: Lang, d: Decimal) -> String {
    display::qty(lang, d)
}

/// A signed quantity: a gain shows its plus ("+2").
pub fn signed_quantity(lang: Lang, d: Decimal) -> String {
    if d > Decimal::ZERO { format!("+{}", quantity(lang, d)) } else { quantity(lang, d) }
}

/// Money with its two places as a form field holds it ("270.00").
pub fn money(d: Decimal) -> String {
    round_money(d).to_string()
}

/// A quantity without trailing zeros as a form field holds it ("3", "0.125").
pub fn qty(d: Decimal) -> String {
    d.normalize().to_string()
}

/// A form field's number where zero means "none": empty, else without trailing zeros.
pub fn zero_blank(d: Decimal) -> String {
    if d.is_zero() { String::new() } else { d.normalize().to_string() }
}

pub fn unit_label(lang: Lang, unit: Unit) -> &'static str {
    lang.t(&format!("units.{}", unit.code()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    #[test]
    fn pages_read_numbers_in_the_reader_s_language_and_fields_keep_them_plain() {
        assert_eq!((money(d("2.345")), qty(d("3.000")), zero_blank(d("0.00"))), ("2.35".to_string(), "3".to_string(), String::new()));
        assert_eq!(amount(Lang::En, d("108914.005")), "108,914.01");
        assert_eq!(amount(Lang::Ru, d("108914.01")), "108\u{a0}914,01");
        assert_eq!((quantity(Lang::Ru, d("0.125")), signed_quantity(Lang::En, d("2"))), ("0,125".to_string(), "+2".to_string()));
    }
}
