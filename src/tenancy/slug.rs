//! Company slugs: the short, URL-safe name a company's public pages live under
//! (`/r/<slug>/…`: request and booking forms). One per company, unique in the box.
//!
//! Invariants:
//! - a slug is 3–40 characters of `a-z`, `0-9` and single inner hyphens, and is not a
//!   reserved word (a top-level path of the server or a word people would mistake for it);
//! - `COMPANY_SLUGS` (company → slug) and `SLUGS` (slug → company) always mirror each other:
//!   `put_slug` is the one write path and `verify` checks both directions;
//! - a new company gets a slug transliterated from its name (Russian and Kyrgyz letters to
//!   Latin), suffixed `-2`, `-3`, … when taken; the owner or the platform operator may change it.

use serde::{Deserialize, Serialize};

use super::actor::Actor;
use super::model::SystemRole;
use super::store::COMPANIES;
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Result};
use crate::ids::CompanyId;
use crate::storage::{Read, ReadTx, Record, StorageError, Table, TableInfo, WriteTx};

/// Company → its slug.
pub const COMPANY_SLUGS: Table<u64, CompanySlug> = Table::new("companyid_slug");
/// Slug → company. The one tenant-facing table keyed by something other than the company id:
/// a public page knows only the slug from its URL, and this row only names the company.
pub const SLUGS: Table<&'static str, SlugRef> = Table::new("slug_companyref");

pub fn tables() -> Vec<TableInfo> {
    vec![
        COMPANY_SLUGS.info("CompanyId", "the company's slug for its public pages"),
        SLUGS.info(
            "&str slug",
            "slug → company: keyed by slug (not company) because public pages know only the slug; holds nothing but the company id; unique across the box",
        ),
    ]
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanySlug {
    pub slug: String,
}

impl Record for CompanySlug {
    const TYPE: &'static str = "companyslug.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlugRef {
    pub company: CompanyId,
}

impl Record for SlugRef {
    const TYPE: &'static str = "slugref.v1";
}

pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 40;

/// Words no company may take: top-level paths of the server, and words a visitor would read as
/// the box's own pages.
pub static RESERVED: &[&str] = &[
    "api", "static", "assets", "login", "logout", "signup", "setup", "help", "platform", "r", "admin", "www", "metrics", "healthz",
    "invite", "settings", "ops", "public", "dukan", "support", "status", "app", "mail", "root", "system", "new", "edit",
];

/// Latin for one Cyrillic letter (Russian and Kyrgyz), lower case; `None` for any other char.
fn latin(c: char) -> Option<&'static str> {
    Some(match c {
        'а' => "a",
        'б' => "b",
        'в' => "v",
        'г' => "g",
        'д' => "d",
        'е' | 'э' => "e",
        'ё' => "yo",
        'ж' => "zh",
        'з' => "z",
        'и' => "i",
        'й' => "y",
        'к' => "k",
        'л' => "l",
        'м' => "m",
        'н' => "n",
        'ң' => "ng",
        'о' | 'ө' => "o",
        'п' => "p",
        'р' => "r",
        'с' => "s",
        'т' => "t",
        'у' | 'ү' => "u",
        'ф' => "f",
        'х' => "kh",
        'ц' => "ts",
        'ч' => "ch",
        'ш' => "sh",
        'щ' => "shch",
        'ъ' | 'ь' => "",
        'ы' => "y",
        'ю' => "yu",
        'я' => "ya",
        _ => return None,
    })
}

/// A name as a slug candidate: transliterated, lower case, every run of other characters one
/// hyphen, trimmed of hyphens, at most `MAX_LEN` characters. May be shorter than `MIN_LEN`.
pub fn transliterate(name: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let piece: Option<String> = match c {
            'a'..='z' | '0'..='9' => Some(c.to_string()),
            _ => latin(c).map(str::to_string),
        };
        match piece {
            Some(p) if p.is_empty() => {}
            Some(p) => {
                if gap && !out.is_empty() {
                    out.push('-');
                }
                gap = false;
                out.push_str(&p);
            }
            None => gap = true,
        }
    }
    truncate(&out, MAX_LEN)
}

fn truncate(s: &str, max: usize) -> String {
    let cut: String = s.chars().take(max).collect();
    cut.trim_end_matches('-').to_string()
}

/// A slug typed by a person: trimmed and lower-cased, then checked.
pub fn parse_slug(field: &str, raw: &str) -> std::result::Result<String, FieldError> {
    let s = raw.trim().to_lowercase();
    if s.is_empty() {
        return Err(FieldError::required(field));
    }
    let n = s.chars().count();
    if !(MIN_LEN..=MAX_LEN).contains(&n) {
        return Err(FieldError::new(field, "slug_length", "Адрес — от 3 до 40 символов", "The address must be 3 to 40 characters"));
    }
    let chars_ok = s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !chars_ok || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
        return Err(FieldError::new(
            field,
            "slug_chars",
            "Только латинские буквы, цифры и дефис (не в начале и не в конце)",
            "Only Latin letters, digits and inner hyphens",
        ));
    }
    if RESERVED.contains(&s.as_str()) {
        return Err(FieldError::new(field, "slug_reserved", "Этот адрес зарезервирован", "This address is reserved"));
    }
    Ok(s)
}

/// The company's slug, if it has one.
pub fn of(tx: &impl Read, company: CompanyId) -> std::result::Result<Option<String>, StorageError> {
    Ok(tx.get(COMPANY_SLUGS, company.0)?.map(|s| s.slug))
}

/// The company a slug names.
pub fn company_by_slug(tx: &impl Read, slug: &str) -> std::result::Result<Option<CompanyId>, StorageError> {
    let s = slug.trim().to_lowercase();
    if s.is_empty() || s.len() > MAX_LEN * 4 {
        return Ok(None);
    }
    Ok(tx.get(SLUGS, s.as_str())?.map(|r| r.company))
}

/// The one write path: stores the company's slug and moves the index from its old one.
fn put_slug(tx: &mut WriteTx, company: CompanyId, slug: &str) -> std::result::Result<(), StorageError> {
    if let Some(old) = tx.get(COMPANY_SLUGS, company.0)? {
        tx.remove(SLUGS, old.slug.as_str())?;
    }
    tx.insert(SLUGS, slug, &SlugRef { company })?;
    tx.insert(COMPANY_SLUGS, company.0, &CompanySlug { slug: slug.to_string() })
}

/// The first free slug for a name: its transliteration (or `company` when nothing of it is
/// Latin-able, padded when too short), then `-2`, `-3`, … until neither taken nor reserved.
pub fn free_slug_for(tx: &impl Read, name: &str) -> std::result::Result<String, StorageError> {
    let mut base = transliterate(name);
    if base.is_empty() {
        base = "company".into();
    } else if base.chars().count() < MIN_LEN {
        base = format!("{base}-co");
    }
    let taken = |s: &str| -> std::result::Result<bool, StorageError> { Ok(RESERVED.contains(&s) || tx.get(SLUGS, s)?.is_some()) };
    if !taken(&base)? {
        return Ok(base);
    }
    let mut n = 2u64;
    loop {
        let suffix = format!("-{n}");
        let candidate = format!("{}{suffix}", truncate(&base, MAX_LEN - suffix.len()));
        if !taken(&candidate)? {
            return Ok(candidate);
        }
        n += 1;
    }
}

/// Gives a new company (or one from before slugs) its default slug.
pub fn assign_default(tx: &mut WriteTx, company: CompanyId, name: &str) -> std::result::Result<String, StorageError> {
    let slug = free_slug_for(tx, name)?;
    put_slug(tx, company, &slug)?;
    Ok(slug)
}

/// Changes a company's slug: its owner, or the platform operator for any company. A slug
/// another company holds is refused; the company's old slug is free again at once.
pub fn set_slug(tx: &mut WriteTx, actor: &Actor, now: Ts, company: CompanyId, raw: &str) -> Result<String> {
    let own = company == actor.company && actor.role == SystemRole::Owner;
    if !own && !actor.platform_admin {
        return Err(Error::Forbidden { permission: "owner" });
    }
    if own && !actor.platform_admin {
        actor.require_writable()?;
    }
    tx.get(COMPANIES, company.0)?.ok_or(Error::NotFound)?;
    let slug = parse_slug("slug", raw).map_err(|e| Error::Validation(vec![e]))?;
    match tx.get(SLUGS, slug.as_str())? {
        Some(r) if r.company == company => return Ok(slug),
        Some(_) => return Err(Error::field("slug", "slug_taken", "Этот адрес уже занят", "This address is already taken")),
        None => {}
    }
    let old = of(tx, company)?.unwrap_or_default();
    put_slug(tx, company, &slug)?;
    audit::record(tx, company, actor, now, "company.slug", format!("company:{company}"), format!("{old} → {slug}"))?;
    Ok(slug)
}

/// Upgrade to schema version 7: every company from before slugs gets its default one, in id
/// order (so the oldest company keeps the plain transliteration).
pub fn build_all(tx: &mut WriteTx) -> std::result::Result<(), StorageError> {
    for (id, c) in tx.list(COMPANIES, 0, u64::MAX, usize::MAX)? {
        if tx.get(COMPANY_SLUGS, id)?.is_none() {
            assign_default(tx, CompanyId(id), &c.name)?;
        }
    }
    Ok(())
}

/// Every company has a valid slug, and the two tables mirror each other.
pub fn verify(tx: &ReadTx) -> std::result::Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let mut held = 0u64;
    for (id, _) in tx.list(COMPANIES, 0, u64::MAX, usize::MAX)? {
        match tx.get(COMPANY_SLUGS, id)? {
            None => problems.push(format!("company {id}: no slug")),
            Some(s) => {
                held += 1;
                if parse_slug("slug", &s.slug).is_err() {
                    problems.push(format!("company {id}: slug {:?} breaks the slug rules", s.slug));
                }
                match tx.get(SLUGS, s.slug.as_str())? {
                    Some(r) if r.company.0 == id => {}
                    Some(r) => problems.push(format!("slug {}: points to company {} instead of {id}", s.slug, r.company)),
                    None => problems.push(format!("slug {}: missing from the index for company {id}", s.slug)),
                }
            }
        }
    }
    let (rows, index) = (tx.len(COMPANY_SLUGS)?, tx.len(SLUGS)?);
    if rows != held || index != held {
        problems.push(format!("slug tables hold {rows} company rows and {index} index rows for {held} companies with slugs"));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_transliterated() {
        assert_eq!(transliterate("Береке"), "bereke");
        assert_eq!(transliterate("Нур Маркет №1"), "nur-market-1");
        assert_eq!(transliterate("Өмүр-Таң"), "omur-tang");
        assert_eq!(transliterate("  Щедрый  Ёжик!! "), "shchedryy-yozhik");
        assert_eq!(transliterate("Café Bishkek"), "caf-bishkek");
        assert_eq!(transliterate("Объект"), "obekt");
        assert_eq!(transliterate("★★★"), "");
        assert!(transliterate(&"я".repeat(100)).chars().count() <= MAX_LEN);
    }

    #[test]
    fn slugs_are_checked() {
        assert_eq!(parse_slug("s", " Bereke-2 ").as_deref(), Ok("bereke-2"));
        for (bad, code) in [
            ("ab", "slug_length"),
            (&"a".repeat(41) as &str, "slug_length"),
            ("-abc", "slug_chars"),
            ("abc-", "slug_chars"),
            ("a--b", "slug_chars"),
            ("абв", "slug_chars"),
            ("a b c", "slug_chars"),
            ("api", "slug_reserved"),
            ("Login", "slug_reserved"),
            ("", "required"),
        ] {
            assert_eq!(parse_slug("s", bad).map_err(|e| e.code), Err(code), "{bad}");
        }
    }
}
