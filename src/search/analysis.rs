//! Text analysis shared by indexing and querying: how a product name becomes words, stems,
//! typing prefixes and sound keys. The same functions feed the tantivy tokenizers registered on
//! every index and the query builder, so both sides always agree.

use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer};

/// Longest word kept; longer runs (pasted junk, long codes) are cut.
pub const MAX_WORD_CHARS: usize = 40;
/// Longest typing prefix indexed; a longer query word is matched by its first this-many chars.
pub const MAX_PREFIX_CHARS: usize = 20;

/// Tokenizer names as registered on each index.
pub const STEMMED: &str = "dukan_stemmed";
pub const WORDS: &str = "dukan_words";
pub const PREFIX: &str = "dukan_prefix";
pub const SOUND: &str = "dukan_sound";

/// A word of the text with its byte span in the original.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Digit,
    Other,
}

fn class(c: char) -> Class {
    if c.is_numeric() {
        Class::Digit
    } else if c.is_alphabetic() {
        Class::Letter
    } else {
        Class::Other
    }
}

/// Splits `text` into lowercased words: runs of letters or of digits ("500г" is "500" and
/// "г", "3,2%" is "3" and "2"); "ё" is folded to "е" because people type either.
pub fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut current: Option<(Class, Word, usize)> = None;
    for (at, c) in text.char_indices() {
        let k = class(c);
        let continues = matches!(&current, Some((ck, _, _)) if *ck == k);
        if !continues && let Some((_, w, _)) = current.take() {
            out.push(w);
        }
        if k == Class::Other {
            continue;
        }
        let (_, word, chars) = current.get_or_insert_with(|| (k, Word { text: String::new(), from: at, to: at }, 0));
        word.to = at + c.len_utf8();
        if *chars < MAX_WORD_CHARS {
            for l in c.to_lowercase() {
                word.text.push(if l == 'ё' { 'е' } else { l });
            }
            *chars += 1;
        }
    }
    if let Some((_, w, _)) = current {
        out.push(w);
    }
    out
}

/// The sound key of a lowercased word: Russian unstressed vowels are written as they sound
/// ("малако" and "молоко" both give "малака"), soft and hard signs are dropped and doubled
/// letters collapse, so common spelling mistakes still find the product.
pub fn sound(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut last = None;
    for c in word.chars() {
        let mapped = match c {
            'о' | 'а' | 'я' => 'а',
            'е' | 'ё' | 'э' | 'и' | 'ы' | 'й' => 'и',
            'у' | 'ю' => 'у',
            'ь' | 'ъ' => continue,
            other => other,
        };
        // Doubled letters collapse; digits are kept as they are ("500" stays "500").
        if last != Some(mapped) || !mapped.is_alphabetic() {
            out.push(mapped);
        }
        last = Some(mapped);
    }
    out
}

/// The first `n` characters of `word`.
pub fn prefix(word: &str, n: usize) -> &str {
    match word.char_indices().nth(n) {
        Some((at, _)) => &word[..at],
        None => word,
    }
}

/// Every prefix of `word`, shortest first, up to `MAX_PREFIX_CHARS` characters.
fn edges(word: &str) -> impl Iterator<Item = &str> {
    word.char_indices().skip(1).map(|(at, _)| &word[..at]).chain(std::iter::once(word)).take(MAX_PREFIX_CHARS)
}

/// What a tokenizer emits for each word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The word itself (stemmers follow in the `STEMMED` analyzer, none in `WORDS`).
    Words,
    /// Every typing prefix of the word ("мол" finds "молоко").
    Prefixes,
    /// Every prefix of the word's sound key.
    SoundPrefixes,
}

/// A tantivy tokenizer over [`words`].
#[derive(Debug, Clone, Copy)]
pub struct WordTokenizer(pub Mode);

pub struct VecTokenStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(t) => {
                self.current = t;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let mut tokens = Vec::new();
        for (position, w) in words(text).into_iter().enumerate() {
            let token = |text: &str| Token { offset_from: w.from, offset_to: w.to, position, text: text.to_string(), position_length: 1 };
            match self.0 {
                Mode::Words => tokens.push(token(&w.text)),
                Mode::Prefixes => tokens.extend(edges(&w.text).map(token)),
                Mode::SoundPrefixes => tokens.extend(edges(&sound(&w.text)).map(token)),
            }
        }
        VecTokenStream { tokens: tokens.into_iter(), current: Token::default() }
    }
}

/// Words stemmed as Russian, then as English (each stemmer leaves the other alphabet alone).
pub fn stemmed_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordTokenizer(Mode::Words))
        .filter(Stemmer::new(Language::Russian))
        .filter(Stemmer::new(Language::English))
        .build()
}

/// The analyzers every index registers, by name.
pub fn analyzers() -> [(&'static str, TextAnalyzer); 4] {
    [
        (STEMMED, stemmed_analyzer()),
        (WORDS, TextAnalyzer::from(WordTokenizer(Mode::Words))),
        (PREFIX, TextAnalyzer::from(WordTokenizer(Mode::Prefixes))),
        (SOUND, TextAnalyzer::from(WordTokenizer(Mode::SoundPrefixes))),
    ]
}

/// Runs an analyzer over `text` and collects the token texts.
pub fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    analyzer.token_stream(text).process(&mut |t| out.push(t.text.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, mode: &str, expected: &[&str]) {
        let got: Vec<String> = match mode {
            "words" => words(input).into_iter().map(|w| w.text).collect(),
            "stemmed" => tokens(&mut stemmed_analyzer(), input),
            "prefix" => tokens(&mut TextAnalyzer::from(WordTokenizer(Mode::Prefixes)), input),
            "sound" => words(input).iter().map(|w| sound(&w.text)).collect(),
            other => panic!("unknown mode {other}"),
        };
        assert_eq!(got, expected, "{mode} of {input:?}");
    }

    #[test]
    fn words_split_letters_from_digits_and_fold_yo() {
        check("Молоко Простоквашино 3,2% 1 л", "words", &["молоко", "простоквашино", "3", "2", "1", "л"]);
        check("Сыр «Российский» 500г", "words", &["сыр", "российский", "500", "г"]);
        check("Ёжик в тумане", "words", &["ежик", "в", "тумане"]);
        check("Coca-Cola Zero 0.5L", "words", &["coca", "cola", "zero", "0", "5", "l"]);
        check("  ", "words", &[]);
        check("ART-0012", "words", &["art", "0012"]);
    }

    #[test]
    fn long_words_are_cut() {
        let long = "а".repeat(100);
        assert_eq!(words(&long)[0].text.chars().count(), MAX_WORD_CHARS);
        assert_eq!(words(&long)[0].to, long.len());
    }

    #[test]
    fn stems_russian_and_english() {
        check("Молоко молока молоком", "stemmed", &["молок", "молок", "молок"]);
        check("Сыры сыр", "stemmed", &["сыр", "сыр"]);
        check("Chocolate chocolates milk", "stemmed", &["chocol", "chocol", "milk"]);
        check("Шоколад Alpen Gold 90 г", "stemmed", &["шоколад", "alpen", "gold", "90", "г"]);
    }

    #[test]
    fn prefixes_of_every_word() {
        check("Сыр Мол", "prefix", &["с", "сы", "сыр", "м", "мо", "мол"]);
        let long = "простоквашинопростоквашино";
        let grams = tokens(&mut TextAnalyzer::from(WordTokenizer(Mode::Prefixes)), long);
        assert_eq!(grams.len(), MAX_PREFIX_CHARS);
        assert_eq!(grams.last().map(String::as_str), Some(prefix(long, MAX_PREFIX_CHARS)));
    }

    #[test]
    fn sound_keys_forgive_unstressed_vowels() {
        check("малако молоко", "sound", &["малака", "малака"]);
        check("карова корова", "sound", &["карава", "карава"]);
        check("вьетнам ветнам", "sound", &["витнам", "витнам"]);
        check("масса маса", "sound", &["маса", "маса"]);
        check("milk 500", "sound", &["milk", "500"]);
    }
}
