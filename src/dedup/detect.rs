//! Likely duplicate clients: pairs sharing a normalised phone, e-mail or INN, or whose names
//! are the same or nearly the same once case, punctuation and legal forms are folded away.

use std::collections::{BTreeMap, BTreeSet};

use crate::clients::model::Client;
use crate::clients::store::CLIENTS;
use crate::error::Result;
use crate::storage::Read;
use crate::tenancy::actor::Actor;

/// Why two clients look like one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reason {
    Phone,
    Email,
    Inn,
    Name,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Reason::Phone => "phone",
            Reason::Email => "email",
            Reason::Inn => "inn",
            Reason::Name => "name",
        }
    }
}

/// A candidate pair, the older client first (the usual survivor).
#[derive(Debug, Clone)]
pub struct Pair {
    pub a: Client,
    pub b: Client,
    pub reasons: Vec<Reason>,
}

/// Legal forms and filler words that say nothing about who the client is.
const NOISE: [&str; 10] = ["осоо", "ооо", "оао", "зао", "ип", "ао", "llc", "ltd", "ojsc", "тоо"];

/// The words of a name: lower-cased letters and digits, legal forms dropped, sorted.
pub fn name_words(name: &str) -> Vec<String> {
    let folded: String = name.to_lowercase().chars().map(|ch| if ch.is_alphanumeric() { ch } else { ' ' }).collect();
    let mut words: Vec<String> = folded.split_whitespace().filter(|w| !NOISE.contains(w)).map(str::to_string).collect();
    words.sort();
    words.dedup();
    words
}

/// Character bigrams of the joined words, for a similarity that forgives one typo.
fn bigrams(words: &[String]) -> BTreeSet<(char, char)> {
    let joined: Vec<char> = words.join(" ").chars().collect();
    joined.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Dice similarity of two names' bigrams, 0–1.
pub fn similarity(a: &[String], b: &[String]) -> f64 {
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let common = x.intersection(&y).count();
    (2 * common) as f64 / (x.len() + y.len()) as f64
}

/// How many clients one scan reads; a bigger company sees the first this many.
const SCAN: usize = 20_000;
/// A name word shared by more clients than this is too common to pair on.
const BUCKET: usize = 40;

/// Candidate pairs among the company's clients that are not archived, strongest first.
pub fn candidates(tx: &impl Read, actor: &Actor, limit: usize) -> Result<Vec<Pair>> {
    super::require_merge(actor)?;
    let c = actor.company.0;
    let mut clients = Vec::new();
    tx.range(CLIENTS, (c, 0), (c, u64::MAX), false, SCAN, |_, cl| {
        if !cl.archived {
            clients.push(cl);
        }
        Ok(true)
    })?;
    let mut found: BTreeMap<(usize, usize), BTreeSet<Reason>> = BTreeMap::new();
    let mut by: BTreeMap<(Reason, String), Vec<usize>> = BTreeMap::new();
    let mut words = Vec::with_capacity(clients.len());
    for (i, cl) in clients.iter().enumerate() {
        if let Some(p) = &cl.phone {
            by.entry((Reason::Phone, p.clone())).or_default().push(i);
        }
        if let Some(e) = &cl.email {
            by.entry((Reason::Email, e.clone())).or_default().push(i);
        }
        let inn = cl.legal.inn.trim();
        if !inn.is_empty() {
            by.entry((Reason::Inn, inn.to_string())).or_default().push(i);
        }
        let w = name_words(&cl.name);
        for word in w.iter().filter(|w| w.chars().count() >= 3) {
            by.entry((Reason::Name, word.clone())).or_default().push(i);
        }
        words.push(w);
    }
    for ((reason, _), ids) in &by {
        if *reason == Reason::Name && ids.len() > BUCKET {
            continue;
        }
        for (n, &i) in ids.iter().enumerate() {
            for &j in &ids[n + 1..] {
                let ok = match reason {
                    Reason::Name => words[i] == words[j] || similarity(&words[i], &words[j]) >= 0.8,
                    _ => true,
                };
                if ok {
                    found.entry((i, j)).or_default().insert(*reason);
                }
            }
        }
    }
    let mut pairs: Vec<Pair> = found
        .into_iter()
        .map(|((i, j), reasons)| Pair { a: clients[i].clone(), b: clients[j].clone(), reasons: reasons.into_iter().collect() })
        .collect();
    pairs.sort_by_key(|p| (std::cmp::Reverse(p.reasons.len()), p.a.id, p.b.id));
    pairs.truncate(limit);
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(a: &str, b: &str, alike: bool) {
        let (x, y) = (name_words(a), name_words(b));
        assert_eq!(x == y || similarity(&x, &y) >= 0.8, alike, "{a} / {b}: {}", similarity(&x, &y));
    }

    #[test]
    fn names_fold_legal_forms_case_and_typos() {
        check("ОсОО «Ала-Тоо Трейд»", "ала-тоо трейд", true);
        check("ИП Асанов Бакыт", "Бакыт Асанов", true);
        check("Асанов Бакыт", "Асанов Бакытт", true);
        check("Асанов Бакыт", "Асанова Гульнара", false);
        check("ООО Ромашка", "ООО Лютик", false);
    }
}
