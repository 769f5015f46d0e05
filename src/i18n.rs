//! Languages and the UI string tables (`web/i18n/ru.toml`, `web/i18n/en.toml`, embedded).
//! Russian is the default; a missing English string falls back to Russian, and a test keeps
//! both tables on the same keys.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    Ru,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ru" => Some(Lang::Ru),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the first supported language of an `Accept-Language` header, Russian otherwise.
    pub fn from_accept_language(header: &str) -> Lang {
        for part in header.split(',') {
            let tag = part.split(';').next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(lang) = Lang::parse(primary) {
                return lang;
            }
        }
        Lang::Ru
    }

    /// The UI string for `key`; the key itself when neither table has it (visible, not fatal).
    pub fn t(self, key: &str) -> &'static str {
        let table = match self {
            Lang::Ru => &*RU,
            Lang::En => &*EN,
        };
        if let Some(s) = table.get(key) {
            return s;
        }
        if let Some(s) = RU.get(key) {
            return s;
        }
        tracing::warn!(key, "missing UI string");
        Box::leak(key.to_string().into_boxed_str())
    }

    /// Chooses between a Russian and an English text written inline (error messages).
    pub fn pick<'a>(self, ru: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ru => ru,
            Lang::En => en,
        }
    }
}

fn load(src: &'static str) -> HashMap<String, &'static str> {
    let parsed: toml::Table = match toml::from_str(src) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!("UI string table does not parse: {e}");
            return HashMap::new();
        }
    };
    let mut out = HashMap::new();
    flatten("", &parsed, &mut out);
    out
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, &'static str>) {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::String(s) => {
                out.insert(key, Box::leak(s.clone().into_boxed_str()));
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            _ => {}
        }
    }
}

static RU: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| load(include_str!("../web/i18n/ru.toml")));
static EN: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| load(include_str!("../web/i18n/en.toml")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_tables_have_the_same_keys() {
        let mut ru: Vec<_> = RU.keys().collect();
        let mut en: Vec<_> = EN.keys().collect();
        ru.sort();
        en.sort();
        assert!(!ru.is_empty());
        let only_ru: Vec<_> = ru.iter().filter(|k| !EN.contains_key(k.as_str())).collect();
        let only_en: Vec<_> = en.iter().filter(|k| !RU.contains_key(k.as_str())).collect();
        assert!(only_ru.is_empty() && only_en.is_empty(), "only ru: {only_ru:?}; only en: {only_en:?}");
    }

    #[test]
    fn every_key_used_by_a_template_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(&dir).expect("templates dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("template");
            for piece in text.split("t(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or("");
                if !RU.contains_key(key) {
                    missing.push(format!("{}: {key}", path.display()));
                }
            }
        }
        assert!(missing.is_empty(), "missing UI strings: {missing:#?}");
    }

    #[test]
    fn accept_language_picks_the_first_supported() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,ru;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("de-DE,ru;q=0.5"), Lang::Ru);
        assert_eq!(Lang::from_accept_language(""), Lang::Ru);
    }
}
