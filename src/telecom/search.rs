//! Subscriber search: the telecom index kind. A term index in the data file, written by the
//! subscriber's and the contract's one write paths in the same transaction as the record, so a
//! saved subscriber is findable the moment its save is answered; `dukan check` recomputes it and
//! `dukan reindex` rebuilds it.
//!
//! Terms (`store::SEARCH_TERMS`, key `(company, term, subscriber)`, value = how many sources
//! give the term, so two contracts with the same term and a subscriber field never remove each
//! other's row):
//! - `n` + each folded word of the name (last, first, patronymic, or the organisation's name),
//!   and `f` + the whole folded name, so words typed in the name's order are one range;
//! - `t` + every digit suffix of at least [`MIN_SUFFIX`] digits of the phone and of each
//!   contract's MSISDN, so a fragment of a number is a prefix of one of its suffixes;
//! - `k` + the letters and digits of the document (series+number and number alone), personal
//!   number, INN, e-mail, each contract's number and SIM ICCID.
//!
//! A term is packed big-endian into two `u128`s (tag byte, then up to 31 bytes of UTF-8), so a
//! typed prefix is one key range. Longer terms are cut; hits are re-read and checked against
//! the record, so a cut term only costs a few extra reads. The company id leads every key:
//! a search can only range inside the actor's company.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Contract, Subscriber};
use super::require_view;
use super::store::{self, CONTRACTS, SEARCH_TERMS, SIMS, SUBSCRIBERS};
use crate::error::Result;
use crate::ids::{CompanyId, ContractId, SubscriberId};
use crate::storage::{Read, StorageError, WriteTx};
use crate::tenancy::actor::Actor;

/// Shortest number suffix indexed: a fragment of 3 digits matches as a prefix of these.
pub const MIN_SUFFIX: usize = 4;
/// Index rows looked at for one name word before giving up on more hits.
const MAX_CANDIDATES: usize = 5000;

/// A term packed into a key: tag byte, then the text's bytes, zero-padded to 32 bytes.
fn pack(tag: u8, text: &str, pad: u8) -> (u128, u128) {
    let mut bytes = [pad; 32];
    bytes[0] = tag;
    for (i, b) in text.as_bytes().iter().take(31).enumerate() {
        bytes[i + 1] = *b;
    }
    let mut a = [0u8; 16];
    let mut b = [0u8; 16];
    a.copy_from_slice(&bytes[..16]);
    b.copy_from_slice(&bytes[16..]);
    (u128::from_be_bytes(a), u128::from_be_bytes(b))
}

/// Letters and digits only, lower-cased, ё → е: how keys and typed keys are compared.
pub fn alnum(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).map(|c| if c == 'ё' { 'е' } else { c }).collect()
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The words of a name as compared: folded, split on anything but letters and digits.
pub fn name_words(s: &str) -> Vec<String> {
    store::fold(s).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

fn add_suffixes(out: &mut Vec<(u8, String)>, number: &str) {
    let d = digits(number);
    for start in 0..d.len().saturating_sub(MIN_SUFFIX - 1) {
        out.push((b't', d[start..].to_string()));
    }
}

fn push_key(out: &mut Vec<(u8, String)>, raw: &str) {
    let k = alnum(raw);
    if !k.is_empty() {
        out.push((b'k', k));
    }
}

/// The terms a subscriber record gives.
pub fn subscriber_terms(s: &Subscriber) -> Vec<(u8, String)> {
    let name = name_words(&s.display_name());
    let mut out: Vec<(u8, String)> = name.iter().map(|w| (b'n', w.clone())).collect();
    if name.len() > 1 {
        out.push((b'f', name.join(" ")));
    }
    add_suffixes(&mut out, &s.phone);
    if let Some(d) = &s.document {
        push_key(&mut out, &format!("{}{}", d.series, d.number));
        push_key(&mut out, &d.number);
    }
    for k in [&s.personal_no, &s.org_inn, &s.email].into_iter().flatten() {
        push_key(&mut out, k);
    }
    out.sort();
    out.dedup();
    out
}

/// The terms a contract gives its subscriber: its number, and its SIM's ICCID and MSISDN.
pub fn contract_terms(tx: &impl Read, c: CompanyId, k: &Contract) -> std::result::Result<Vec<(u8, String)>, StorageError> {
    let mut out = Vec::new();
    push_key(&mut out, &k.number);
    if let Some(sim) = k.sim
        && let Some(s) = tx.get(SIMS, (c, sim))?
    {
        push_key(&mut out, &s.iccid);
        add_suffixes(&mut out, &s.msisdn);
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn key(c: CompanyId, term: &(u8, String), s: SubscriberId) -> (CompanyId, u128, u128, SubscriberId) {
    let (a, b) = pack(term.0, &term.1, 0);
    (c, a, b, s)
}

fn add(tx: &mut WriteTx, c: CompanyId, terms: &[(u8, String)], s: SubscriberId) -> std::result::Result<(), StorageError> {
    for t in terms {
        let k = key(c, t, s);
        let n = tx.get(SEARCH_TERMS, k)?.unwrap_or(0);
        tx.insert(SEARCH_TERMS, k, &(n + 1))?;
    }
    Ok(())
}

fn drop_terms(tx: &mut WriteTx, c: CompanyId, terms: &[(u8, String)], s: SubscriberId) -> std::result::Result<(), StorageError> {
    for t in terms {
        let k = key(c, t, s);
        match tx.get(SEARCH_TERMS, k)? {
            Some(n) if n > 1 => tx.insert(SEARCH_TERMS, k, &(n - 1))?,
            Some(_) => {
                tx.remove(SEARCH_TERMS, k)?;
            }
            None => {}
        }
    }
    Ok(())
}

/// Called by `store::put_subscriber`: the record's terms by diff.
pub fn on_subscriber(tx: &mut WriteTx, c: CompanyId, old: Option<&Subscriber>, new: &Subscriber) -> std::result::Result<(), StorageError> {
    let before = old.map(subscriber_terms).unwrap_or_default();
    let after = subscriber_terms(new);
    if before == after {
        return Ok(());
    }
    drop_terms(tx, c, &before, new.id)?;
    add(tx, c, &after, new.id)
}

/// Called by `store::put_contract` before the record is written: the contract's terms by diff.
pub fn on_contract(tx: &mut WriteTx, c: CompanyId, old: Option<&Contract>, new: &Contract) -> std::result::Result<(), StorageError> {
    // Billing moves a contract's period twice a month per contract: no term changes, no reads.
    if old.is_some_and(|o| o.number == new.number && o.sim == new.sim && o.subscriber == new.subscriber) {
        return Ok(());
    }
    let before = match old {
        Some(o) => contract_terms(tx, c, o)?,
        None => Vec::new(),
    };
    let after = contract_terms(tx, c, new)?;
    if before == after && old.is_none_or(|o| o.subscriber == new.subscriber) {
        return Ok(());
    }
    if let Some(o) = old {
        drop_terms(tx, c, &before, o.subscriber)?;
    }
    add(tx, c, &after, new.subscriber)
}

/// Subscriber ids under the term prefix `tag`+`text`, in key order, at most `limit`.
fn prefix(tx: &impl Read, c: CompanyId, tag: u8, text: &str, limit: usize) -> Result<Vec<SubscriberId>> {
    let (a0, b0) = pack(tag, text, 0);
    let (a1, b1) = pack(tag, text, 0xff);
    // Padding with 0xff only covers what follows the typed bytes when they fit.
    let mut out = Vec::new();
    tx.range(SEARCH_TERMS, (c, a0, b0, SubscriberId::MIN), (c, a1, b1, SubscriberId::MAX), false, limit, |(_, _, _, s), _| {
        out.push(s);
        Ok(true)
    })?;
    Ok(out)
}

/// Does the subscriber's name have, for every typed word, a word starting with it?
fn name_matches(s: &Subscriber, words: &[String]) -> bool {
    let have = name_words(&s.display_name());
    words.iter().all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
}

/// Subscribers matching `q`, at most `limit`: a number fragment (phone, MSISDN), a key prefix
/// (ICCID, document, personal number, INN, contract number), or name word prefixes (every
/// typed word must start a word of the name). Key matches come first.
pub fn find(tx: &impl Read, actor: &Actor, q: &str, limit: usize) -> Result<Vec<Subscriber>> {
    require_view(actor)?;
    find_in(tx, actor.company, q, limit)
}

/// [`find`] without the rights check: the company is the caller's (tests and benches).
pub fn find_in(tx: &impl Read, c: CompanyId, q: &str, limit: usize) -> Result<Vec<Subscriber>> {
    let limit = limit.clamp(1, 500);
    let mut ids: Vec<SubscriberId> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut push = |ids: &mut Vec<SubscriberId>, found: Vec<SubscriberId>| {
        for id in found {
            if seen.insert(id) {
                ids.push(id);
            }
        }
    };
    let key = alnum(q);
    if key.is_empty() {
        return Ok(Vec::new());
    }
    let numeric: String = q.chars().filter(|c| !c.is_whitespace() && !"+-()".contains(*c)).collect();
    let is_number = !numeric.is_empty() && numeric.chars().all(|c| c.is_ascii_digit());
    if key.chars().count() >= 2 {
        push(&mut ids, prefix(tx, c, b'k', &key, limit)?);
    }
    if is_number && numeric.len() >= 3 && ids.len() < limit {
        push(&mut ids, prefix(tx, c, b't', &numeric, limit * 4)?);
    }
    let mut out = Vec::with_capacity(limit);
    for id in ids {
        if out.len() >= limit {
            break;
        }
        if let Some(s) = tx.get(SUBSCRIBERS, (c, id))? {
            out.push(s);
        }
    }
    let words = name_words(q);
    if out.len() < limit && !is_number && !words.is_empty() {
        let mut done: BTreeSet<SubscriberId> = out.iter().map(|s| s.id).collect();
        if words.len() > 1 {
            // Typed in the name's order ("иванов пе"): one range of whole-name terms.
            for id in prefix(tx, c, b'f', &words.join(" "), limit * 2)? {
                if out.len() >= limit {
                    break;
                }
                if done.insert(id)
                    && let Some(s) = tx.get(SUBSCRIBERS, (c, id))?
                    && name_matches(&s, &words)
                {
                    out.push(s);
                }
            }
        }
        // Any order: the longest word narrows most; the others are checked on the record.
        let first = words.iter().max_by_key(|w| w.len()).cloned().unwrap_or_default();
        for id in prefix(tx, c, b'n', &first, MAX_CANDIDATES)? {
            if out.len() >= limit {
                break;
            }
            if !done.insert(id) {
                continue;
            }
            if let Some(s) = tx.get(SUBSCRIBERS, (c, id))?
                && name_matches(&s, &words)
            {
                out.push(s);
            }
        }
    }
    Ok(out)
}

/// An index row's key: company, packed term (two halves), subscriber.
type TermKey = (CompanyId, u128, u128, SubscriberId);

/// Rows the index should hold for every company (or one): term → how many sources give it.
pub fn expected(tx: &impl Read, only: Option<CompanyId>) -> std::result::Result<BTreeMap<TermKey, u64>, StorageError> {
    let (c0, c1) = only.map_or((CompanyId::MIN, CompanyId::MAX), |c| (c, c));
    let mut want: BTreeMap<TermKey, u64> = BTreeMap::new();
    tx.range(SUBSCRIBERS, (c0, SubscriberId::MIN), (c1, SubscriberId::MAX), false, usize::MAX, |(c, id), s| {
        for t in subscriber_terms(&s) {
            *want.entry(key(c, &t, id)).or_default() += 1;
        }
        Ok(true)
    })?;
    let mut contracts = Vec::new();
    tx.range(CONTRACTS, (c0, ContractId::MIN), (c1, ContractId::MAX), false, usize::MAX, |(c, _), k| {
        contracts.push((c, k));
        Ok(true)
    })?;
    for (c, k) in contracts {
        for t in contract_terms(tx, c, &k)? {
            *want.entry(key(c, &t, k.subscriber)).or_default() += 1;
        }
    }
    Ok(want)
}

/// Recomputes the index from subscribers and contracts and lists each disagreement.
pub fn verify(tx: &impl Read) -> std::result::Result<Vec<String>, StorageError> {
    let want = expected(tx, None)?;
    let mut have = BTreeMap::new();
    tx.range(
        SEARCH_TERMS,
        (CompanyId::MIN, 0, 0, SubscriberId::MIN),
        (CompanyId::MAX, u128::MAX, u128::MAX, SubscriberId::MAX),
        false,
        usize::MAX,
        |k, v| {
            have.insert(k, v);
            Ok(true)
        },
    )?;
    let mut problems = Vec::new();
    if want != have {
        let wrong: BTreeSet<(CompanyId, SubscriberId)> = want
            .iter()
            .filter(|(k, v)| have.get(*k) != Some(*v))
            .chain(have.iter().filter(|(k, v)| want.get(*k) != Some(*v)))
            .map(|(k, _)| (k.0, k.3))
            .collect();
        for (c, s) in wrong.iter().take(20) {
            problems.push(format!("telecom search index disagrees with subscriber {s} (company {c}); `dukan reindex` rebuilds it"));
        }
    }
    Ok(problems)
}

/// Rebuilds the company's index from its subscribers and contracts; returns the rows written.
pub fn rebuild(tx: &mut WriteTx, c: CompanyId) -> std::result::Result<u64, StorageError> {
    let old = tx.list(SEARCH_TERMS, (c, 0, 0, SubscriberId::MIN), (c, u128::MAX, u128::MAX, SubscriberId::MAX), usize::MAX)?;
    for (k, _) in old {
        tx.remove(SEARCH_TERMS, k)?;
    }
    let want = expected(tx, Some(c))?;
    let rows = want.len() as u64;
    for (k, n) in want {
        tx.insert(SEARCH_TERMS, k, &n)?;
    }
    Ok(rows)
}

/// `dukan reindex`: rebuilds the index of `only` (or of every company with subscribers), one
/// write transaction per company; returns the rows written per company.
pub fn reindex(db: &crate::storage::Db, only: Option<CompanyId>) -> std::result::Result<Vec<(CompanyId, u64)>, StorageError> {
    let companies: Vec<CompanyId> = {
        let tx = db.read()?;
        let all = tx.list(crate::tenancy::store::COMPANIES, 0, u64::MAX, usize::MAX)?;
        all.into_iter().map(|(id, _)| CompanyId(id)).filter(|c| only.is_none_or(|o| o == *c)).collect()
    };
    let mut out = Vec::new();
    for c in companies {
        let has = !db.read()?.list(SUBSCRIBERS, (c, SubscriberId::MIN), (c, SubscriberId::MAX), 1)?.is_empty();
        if has {
            out.push((c, db.write_blocking(|tx| rebuild(tx, c))?));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_prefixes_bound_their_terms() {
        let (a, b) = pack(b'n', "иванов", 0);
        let (lo_a, lo_b) = pack(b'n', "ива", 0);
        let (hi_a, hi_b) = pack(b'n', "ива", 0xff);
        assert!((lo_a, lo_b) <= (a, b) && (a, b) <= (hi_a, hi_b));
        let (x, y) = pack(b'n', "иг", 0);
        assert!((x, y) > (hi_a, hi_b));
        let (t, u) = pack(b't', "ива", 0);
        assert!((t, u) > (hi_a, hi_b), "tags never overlap");
    }

    #[test]
    fn keys_and_suffixes() {
        assert_eq!(alnum("202612-AB00 0001"), "202612ab000001");
        let mut out = Vec::new();
        add_suffixes(&mut out, "+996555123");
        let got: Vec<&str> = out.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(got, ["996555123", "96555123", "6555123", "555123", "55123", "5123"]);
        assert_eq!(name_words("Иванов  Пётр-Сергеевич"), ["иванов", "петр", "сергеевич"]);
    }
}
