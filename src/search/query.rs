//! From what a person typed to tantivy queries. A `Plan` is the plain description (testable
//! without an index); `exact_query` and `text_query` turn it into queries over [`Fields`].
//!
//! Every word must match (AND), in any of four ways, best first: its stem, a prefix of a name
//! word (typing in progress), a prefix of a name word's sound key (unstressed vowels, doubled
//! letters), or a whole name word within a typo distance (1 from 4 characters, 2 from 8).
//! The typo match compares the word as typed, not its stem: a typo that drops the first vowel
//! ("мсло") leaves the stemmer nothing to cut, so stems of typos drift further than the words.
//! It compares whole words, not prefixes: "мсло" is one edit from "масло" but also from "моло",
//! the start of every "молоко", and fuzzy matches all score alike.

use std::fmt;

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;

use super::Filters;
use super::analysis::{self, MAX_PREFIX_CHARS};
use super::index::{Fields, kind_code};

/// Longest text tried as an exact key (barcodes are at most 48 characters).
const MAX_KEY_CHARS: usize = 48;
/// At most this many words are searched; the rest of a pasted paragraph is ignored.
const MAX_WORDS: usize = 8;

const BOOST_STEM: f32 = 3.0;
const BOOST_PREFIX: f32 = 2.0;
const BOOST_SOUND: f32 = 1.0;
const BOOST_FUZZY: f32 = 0.5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordPlan {
    pub stem: String,
    /// The word as typed (lowercased).
    pub word: String,
    pub prefix: String,
    pub sound: String,
    /// Edit distance allowed between the typed word and a name word (0 = exact only).
    pub distance: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The whole text as a barcode, PLU, internal code or article.
    pub exact: Option<String>,
    pub words: Vec<WordPlan>,
}

/// Typo tolerance by the length of the typed word.
pub fn distance(chars: usize) -> u8 {
    match chars {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

pub fn plan(text: &str) -> Plan {
    let key = super::index::key(text);
    let exact = (!key.is_empty() && key.chars().count() <= MAX_KEY_CHARS).then_some(key);
    let mut stemmer = analysis::stemmed_analyzer();
    let words = analysis::words(text)
        .into_iter()
        .take(MAX_WORDS)
        .map(|w| {
            let stem = analysis::tokens(&mut stemmer, &w.text).into_iter().next().unwrap_or_else(|| w.text.clone());
            let sound = analysis::sound(&w.text);
            WordPlan {
                stem,
                word: w.text.clone(),
                prefix: analysis::prefix(&w.text, MAX_PREFIX_CHARS).to_string(),
                sound: analysis::prefix(&sound, MAX_PREFIX_CHARS).to_string(),
                // A number one edit away is another size or code ("400" for "4600"), not a typo.
                distance: if w.text.chars().all(|c| c.is_numeric()) { 0 } else { distance(w.text.chars().count()) },
            }
        })
        .collect();
    Plan { exact, words }
}

/// `=key | stem prefix* ≈sound ~distance & …`, for tests and logs.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(k) = &self.exact {
            write!(f, "={k} |")?;
        }
        for (i, w) in self.words.iter().enumerate() {
            let sep = if i == 0 { " " } else { " & " };
            write!(f, "{sep}{} {}* ≈{}", w.stem, w.prefix, w.sound)?;
            if w.distance > 0 {
                write!(f, " ~{}", w.distance)?;
            }
        }
        Ok(())
    }
}

fn term(field: tantivy::schema::Field, text: &str) -> Term {
    Term::from_field_text(field, text)
}

fn boosted(q: impl Query, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(Box::new(q), boost))
}

/// Filter clauses that do not change the score.
fn filter_clauses(f: &Fields, filters: &Filters) -> Vec<(Occur, Box<dyn Query>)> {
    let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let mut must = |t: Term| {
        let q = TermQuery::new(t, IndexRecordOption::Basic);
        out.push((Occur::Must, Box::new(ConstScoreQuery::new(Box::new(q), 0.0))));
    };
    if let Some(c) = filters.category {
        must(Term::from_field_u64(f.category, c.0));
    }
    if let Some(b) = filters.brand {
        must(Term::from_field_u64(f.brand, b.0));
    }
    if let Some(k) = filters.kind {
        must(Term::from_field_u64(f.kind, kind_code(k)));
    }
    if !filters.include_archived {
        out.push((Occur::MustNot, Box::new(TermQuery::new(Term::from_field_bool(f.archived, true), IndexRecordOption::Basic))));
    }
    out
}

pub fn exact_query(plan: &Plan, f: &Fields, filters: &Filters) -> Option<Box<dyn Query>> {
    let key = plan.exact.as_ref()?;
    let mut clauses = filter_clauses(f, filters);
    clauses.push((Occur::Must, Box::new(TermQuery::new(term(f.keys, key), IndexRecordOption::Basic))));
    Some(Box::new(BooleanQuery::new(clauses)))
}

pub fn text_query(plan: &Plan, f: &Fields, filters: &Filters) -> Option<Box<dyn Query>> {
    if plan.words.is_empty() {
        return None;
    }
    let mut clauses = filter_clauses(f, filters);
    for w in &plan.words {
        let mut any: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Should, boosted(TermQuery::new(term(f.name, &w.stem), IndexRecordOption::WithFreqs), BOOST_STEM)),
            (Occur::Should, boosted(TermQuery::new(term(f.prefix, &w.prefix), IndexRecordOption::WithFreqs), BOOST_PREFIX)),
            (Occur::Should, boosted(TermQuery::new(term(f.sound, &w.sound), IndexRecordOption::WithFreqs), BOOST_SOUND)),
        ];
        if w.distance > 0 {
            any.push((Occur::Should, boosted(FuzzyTermQuery::new(term(f.words, &w.word), w.distance, true), BOOST_FUZZY)));
        }
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: &str) {
        assert_eq!(plan(input).to_string(), expected, "plan of {input:?}");
    }

    #[test]
    fn plans() {
        check("мол", "=мол | мол мол* ≈мал");
        check("Малако", "=малако | малак малако* ≈малака ~1");
        check("молоко 3,2", "=молоко 3,2 | молок молоко* ≈малака ~1 & 3 3* ≈3 & 2 2* ≈2");
        check("4600682000358", "=4600682000358 | 4600682000358 4600682000358* ≈4600682000358");
        check("молоко 4600", "=молоко 4600 | молок молоко* ≈малака ~1 & 4600 4600* ≈4600");
        check("  ", "");
        check("Простоквашино", "=простоквашино | простоквашин простоквашино* ≈прастаквашина ~2");
        check("Chocolate", "=chocolate | chocol chocolate* ≈chocolate ~2");
    }

    #[test]
    fn long_input_is_bounded() {
        let long = "молоко ".repeat(30);
        let p = plan(&long);
        assert_eq!(p.words.len(), MAX_WORDS);
        assert_eq!(p.exact, None);
        let word = "а".repeat(30);
        assert_eq!(plan(&word).words[0].prefix.chars().count(), MAX_PREFIX_CHARS);
    }

    #[test]
    fn typo_distance_by_length() {
        assert_eq!([3, 4, 7, 8, 20].map(distance), [0, 1, 1, 2, 2]);
    }
}
