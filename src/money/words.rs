//! Amounts in words for documents: "Сто восемь тысяч девятьсот четырнадцать сомов 01 тыйын"
//! (Russian, the currency's name declined by the number) and "One hundred eight thousand nine
//! hundred fourteen and 01/100 KGS" (English). Whole units are written out, the minor unit
//! stays two digits, as invoices and contracts write it.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::round_money;
use crate::country::Currency;
use crate::i18n::Lang;

const RU_ONES: [&str; 10] = ["", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"];
const RU_TEENS: [&str; 10] = [
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
];
const RU_TENS: [&str; 10] = ["", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто"];
const RU_HUNDREDS: [&str; 10] = ["", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот"];
/// Thousands and up: (forms for 1, 2–4, 5+; feminine).
const RU_SCALES: [([&str; 3], bool); 4] = [
    (["тысяча", "тысячи", "тысяч"], true),
    (["миллион", "миллиона", "миллионов"], false),
    (["миллиард", "миллиарда", "миллиардов"], false),
    (["триллион", "триллиона", "триллионов"], false),
];

const EN_ONES: [&str; 20] = [
    "",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
];
const EN_TENS: [&str; 10] = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
const EN_SCALES: [&str; 4] = ["thousand", "million", "billion", "trillion"];

/// Which of the three Russian forms a count takes: 1 сом, 2 сома, 5 сомов (11–14 as 5).
fn ru_form(n: u64) -> usize {
    match (n % 100, n % 10) {
        (11..=14, _) => 2,
        (_, 1) => 0,
        (_, 2..=4) => 1,
        _ => 2,
    }
}

fn ru_triplet(n: u64, feminine: bool, out: &mut Vec<&'static str>) {
    let (h, t, o) = ((n / 100) as usize, (n / 10 % 10) as usize, (n % 10) as usize);
    out.push(RU_HUNDREDS[h]);
    if t == 1 {
        out.push(RU_TEENS[o]);
        return;
    }
    out.push(RU_TENS[t]);
    out.push(match (o, feminine) {
        (1, true) => "одна",
        (2, true) => "две",
        _ => RU_ONES[o],
    });
}

/// Splits a whole number into triplets, highest first, with their scale index (0 = units).
fn triplets(n: u64) -> Vec<(usize, u64)> {
    let mut out = Vec::new();
    let (mut rest, mut scale) = (n, 0);
    while rest > 0 {
        out.push((scale, rest % 1000));
        rest /= 1000;
        scale += 1;
    }
    out.reverse();
    out
}

fn ru_number(n: u64, feminine: bool) -> String {
    if n == 0 {
        return "ноль".into();
    }
    let mut words = Vec::new();
    for (scale, t) in triplets(n) {
        if t == 0 {
            continue;
        }
        match scale.checked_sub(1).and_then(|i| RU_SCALES.get(i)) {
            Some((forms, fem)) => {
                ru_triplet(t, *fem, &mut words);
                words.push(forms[ru_form(t)]);
            }
            None => ru_triplet(t, feminine, &mut words),
        }
    }
    words.into_iter().filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn en_number(n: u64) -> String {
    if n == 0 {
        return "zero".into();
    }
    let mut words: Vec<&str> = Vec::new();
    for (scale, t) in triplets(n) {
        if t == 0 {
            continue;
        }
        let (h, rest) = ((t / 100) as usize, (t % 100) as usize);
        if h > 0 {
            words.extend([EN_ONES[h], "hundred"]);
        }
        if rest >= 20 {
            words.extend([EN_TENS[rest / 10], EN_ONES[rest % 10]]);
        } else {
            words.push(EN_ONES[rest]);
        }
        if let Some(s) = scale.checked_sub(1).and_then(|i| EN_SCALES.get(i)) {
            words.push(s);
        }
    }
    words.into_iter().filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// `d` rounded to the minor unit, in words; amounts of a quadrillion and more (never money)
/// stay in figures.
pub fn amount(lang: Lang, d: Decimal, currency: Currency) -> String {
    let d = round_money(d);
    let negative = d.is_sign_negative() && !d.is_zero();
    let abs = d.abs();
    let Some(whole) = abs.trunc().to_u64().filter(|w| *w < 1_000_000_000_000_000) else {
        return super::display::money(lang, d, currency);
    };
    let minor = ((abs - abs.trunc()) * Decimal::ONE_HUNDRED).to_u64().unwrap_or(0);
    match lang {
        Lang::Ru => {
            let (major, minor_names) = match currency {
                Currency::KGS => (["сом", "сома", "сомов"], ["тыйын", "тыйына", "тыйынов"]),
                Currency::RUB => (["рубль", "рубля", "рублей"], ["копейка", "копейки", "копеек"]),
            };
            let text = format!(
                "{}{} {} {minor:02} {}",
                if negative { "минус " } else { "" },
                ru_number(whole, false),
                major[ru_form(whole)],
                minor_names[ru_form(minor)]
            );
            capitalized(&text)
        }
        Lang::En => {
            capitalized(&format!("{}{} and {minor:02}/100 {}", if negative { "minus " } else { "" }, en_number(whole), currency.code()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(lang: Lang, value: &str, currency: Currency, expected: &str) {
        let d: Decimal = value.parse().expect("decimal");
        assert_eq!(amount(lang, d, currency), expected, "{value}");
    }

    #[test]
    fn russian_declines_the_currency_and_thousands() {
        for (value, currency, expected) in [
            ("108914.01", Currency::KGS, "Сто восемь тысяч девятьсот четырнадцать сомов 01 тыйын"),
            ("1", Currency::KGS, "Один сом 00 тыйынов"),
            ("2.02", Currency::KGS, "Два сома 02 тыйына"),
            ("11", Currency::KGS, "Одиннадцать сомов 00 тыйынов"),
            ("21001", Currency::RUB, "Двадцать одна тысяча один рубль 00 копеек"),
            ("2000000", Currency::RUB, "Два миллиона рублей 00 копеек"),
            ("1234567.5", Currency::RUB, "Один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 50 копеек"),
            ("0", Currency::KGS, "Ноль сомов 00 тыйынов"),
            ("0.01", Currency::RUB, "Ноль рублей 01 копейка"),
            ("-5", Currency::KGS, "Минус пять сомов 00 тыйынов"),
            ("112", Currency::KGS, "Сто двенадцать сомов 00 тыйынов"),
        ] {
            check(Lang::Ru, value, currency, expected);
        }
    }

    #[test]
    fn english_writes_the_whole_units_and_the_cents_as_a_fraction() {
        check(Lang::En, "108914.01", Currency::KGS, "One hundred eight thousand nine hundred fourteen and 01/100 KGS");
        check(Lang::En, "1000000", Currency::RUB, "One million and 00/100 RUB");
        check(Lang::En, "40.5", Currency::KGS, "Forty and 50/100 KGS");
    }
}
