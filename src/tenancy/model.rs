//! Companies, branches, users, roles and plans as stored, with the parsers that build them
//! from user input. A stored record's type name carries its version ("user.v1").

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::perms::PermSet;
use crate::clock::Ts;
use crate::country::Country;
use crate::error::FieldError;
use crate::i18n::Lang;
use crate::ids::{BranchId, CompanyId, PlanId, RoleId, UserId};
use crate::storage::Record;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Legal {
    pub inn: String,
    pub okpo: String,
    pub bank_name: String,
    pub bank_account: String,
    pub bik: String,
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    pub country: Country,
    pub timezone: String,
    pub plan: PlanId,
    pub owner: UserId,
    pub legal: Legal,
    pub phones: Vec<String>,
    pub created: Ts,
    /// End of the paid period; `None` = no end. After it plus `grace_days` the company is
    /// read-only.
    pub subscription_end: Option<Ts>,
    pub grace_days: u32,
    pub active: bool,
    pub logo: Option<Logo>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Logo {
    pub mime: String,
    pub bytes: Vec<u8>,
}

impl Record for Company {
    const TYPE: &'static str = "company.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Full,
    /// Inside the grace period: everything works, a banner warns.
    Grace {
        ends: Ts,
    },
    ReadOnly,
}

impl Company {
    pub fn access(&self, now: Ts) -> Access {
        match self.subscription_end {
            None => Access::Full,
            Some(end) if now <= end => Access::Full,
            Some(end) => {
                let grace_end = end.plus_days(self.grace_days as i64);
                if now <= grace_end { Access::Grace { ends: grace_end } } else { Access::ReadOnly }
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Branch {
    pub id: BranchId,
    pub name: String,
    /// Short code, unique per company ("B001" by default).
    pub code: String,
    pub address: String,
    pub phone: String,
    pub timezone: String,
    pub active: bool,
    /// A branch may run on its own plan; otherwise the company's applies.
    pub plan: Option<PlanId>,
    pub created: Ts,
}

impl Record for Branch {
    const TYPE: &'static str = "branch.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SystemRole {
    Owner,
    Admin,
    /// Rights come from the custom role.
    Staff,
}

impl SystemRole {
    pub fn code(self) -> &'static str {
        match self {
            SystemRole::Owner => "owner",
            SystemRole::Admin => "admin",
            SystemRole::Staff => "staff",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Lower-cased; unique among active users of the whole box (it is the login).
    pub email: String,
    pub name: String,
    pub phone: String,
    pub role: SystemRole,
    pub custom_role: Option<RoleId>,
    /// Branch memberships; `primary_branch` is one of them.
    pub branches: Vec<BranchId>,
    pub primary_branch: Option<BranchId>,
    pub active: bool,
    pub deactivated: Option<Ts>,
    /// Argon2id PHC string; `None` until an invited user sets one.
    pub password: Option<String>,
    pub lang: Lang,
    /// Bumped on password change and deactivation: every token issued before stops working.
    pub token_version: u32,
    pub platform_admin: bool,
    pub created: Ts,
    pub last_login: Option<Ts>,
}

impl Record for User {
    const TYPE: &'static str = "user.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub perms: PermSet,
    /// Preset key ("operator"...) for roles created with the company.
    pub preset: Option<String>,
    pub created: Ts,
}

impl Record for Role {
    const TYPE: &'static str = "role.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub id: PlanId,
    pub name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub monthly_price: Decimal,
    pub features: Vec<String>,
    pub created: Ts,
}

impl Record for Plan {
    const TYPE: &'static str = "plan.v1";
}

impl Plan {
    pub fn has(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }
}

/// Modules a plan can switch on. The foundation pages (settings, branches, employees, roles,
/// audit, backups) are always available.
pub static FEATURES: &[(&str, &str, &str)] = &[
    ("catalog", "Каталог и склад", "Catalog and stock"),
    ("pos", "Касса и продажи", "Point of sale"),
    ("clients", "Клиенты и долги", "Clients and debts"),
    ("agents", "Агенты", "Field agents"),
    ("analytics", "Аналитика", "Analytics"),
    ("crm", "CRM: сделки и задачи", "CRM: deals and tasks"),
    ("barber", "Барбершоп", "Barbershop"),
    ("cafe", "Кафе", "Cafe"),
    ("education", "Образование", "Education"),
    ("construction", "Строительство", "Construction"),
    ("booking", "Хостел и бронирование", "Hostel and booking"),
    ("logistics", "Логистика", "Logistics"),
    ("consulting", "Консалтинг", "Consulting"),
    ("messaging", "WhatsApp и Instagram", "WhatsApp and Instagram"),
    ("scales", "Весы и этикетки", "Scales and labels"),
    ("telecom", "Телеком", "Telecom"),
];

pub fn all_features() -> Vec<String> {
    FEATURES.iter().map(|f| f.0.to_string()).collect()
}

// ---- parsers: user text in, normalised value or a field error out ----

/// Characters that change how text is shown without showing themselves: zero-width and
/// joiner characters, bidi embeddings, overrides and isolates, line and paragraph separators,
/// the BOM, invisible operators, fillers and tag characters. A name or e-mail holding one can
/// impersonate another ("admin\u{200B}@…") or reorder what a reader sees (U+202E).
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// The one check every name and e-mail input goes through (people, companies, roles,
/// branches, and every other name parsed by `parse_name`).
pub fn refuse_invisible(field: &str, s: &str) -> Result<(), FieldError> {
    match s.chars().any(is_invisible) {
        true => Err(FieldError::new(
            field,
            "invisible_char",
            "Уберите невидимые и управляющие символы",
            "Remove invisible and text-direction characters",
        )),
        false => Ok(()),
    }
}

pub fn parse_name(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::required(field));
    }
    refuse_invisible(field, s)?;
    if s.chars().count() > max || s.chars().any(char::is_control) {
        return Err(FieldError::new(field, "too_long", format!("Не длиннее {max} символов"), format!("At most {max} characters")));
    }
    Ok(s.to_string())
}

pub fn parse_optional_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.chars().count() > max || s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(field, "too_long", format!("Не длиннее {max} символов"), format!("At most {max} characters")));
    }
    Ok(s.to_string())
}

pub fn parse_email(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim().to_lowercase();
    let bad = || FieldError::new(field, "email", "Некорректный e-mail", "Not a valid e-mail address");
    if s.is_empty() {
        return Err(FieldError::required(field));
    }
    refuse_invisible(field, &s)?;
    let (local, domain) = s.split_once('@').ok_or_else(bad)?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(s) } else { Err(bad()) }
}

pub fn parse_password(field: &str, raw: &str) -> Result<String, FieldError> {
    let n = raw.chars().count();
    if n < 8 {
        return Err(FieldError::new(field, "password_short", "Пароль — не короче 8 символов", "Password must be at least 8 characters"));
    }
    if n > 256 {
        return Err(FieldError::new(field, "password_long", "Пароль — не длиннее 256 символов", "Password must be at most 256 characters"));
    }
    if is_common_password(raw) {
        return Err(FieldError::new(
            field,
            "password_common",
            "Этот пароль слишком распространён, придумайте другой",
            "This password is too common, choose another",
        ));
    }
    Ok(raw.to_string())
}

/// The 1,000 most common passwords (zxcvbn's list, `common-passwords-LICENSE`), most common
/// first; compared without regard to case.
static COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

pub fn is_common_password(raw: &str) -> bool {
    let lower = raw.trim().to_lowercase();
    COMMON_PASSWORDS.lines().any(|p| p == lower)
}

pub fn parse_timezone(field: &str, raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if !s.is_empty() && jiff::tz::TimeZone::get(s).is_ok() {
        return Ok(s.to_string());
    }
    Err(FieldError::new(field, "timezone", "Неизвестный часовой пояс (например, Asia/Bishkek)", "Unknown time zone (e.g. Asia/Bishkek)"))
}

pub fn parse_country(field: &str, raw: &str) -> Result<Country, FieldError> {
    Country::parse(raw).ok_or_else(|| FieldError::new(field, "country", "Страна: KG или RU", "Country must be KG or RU"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_checked() {
        assert_eq!(parse_email("e", " Owner@Shop.KG ").as_deref(), Ok("owner@shop.kg"));
        for bad in ["", "a@b", "@shop.kg", "a b@shop.kg", "a@@shop.kg", "a@.kg"] {
            assert!(parse_email("e", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invisible_characters_are_refused_in_names_and_emails() {
        for bad in ["Ай\u{202E}гуль", "a\u{200B}b", "\u{FEFF}Нур", "Нур\u{2028}Маркет", "x\u{2066}y", "x\u{E0041}"] {
            assert_eq!(parse_name("n", bad, 100).map_err(|e| e.code), Err("invisible_char"), "{bad:?}");
        }
        assert_eq!(parse_email("e", "adm\u{200D}in@shop.kg").map_err(|e| e.code), Err("invisible_char"));
        for good in ["Айгуль Асанова", "O'Brien-Smith", "Нур Маркет №1", "café"] {
            assert_eq!(parse_name("n", good, 100).as_deref(), Ok(good));
        }
    }

    #[test]
    fn common_passwords_are_refused() {
        assert_eq!(COMMON_PASSWORDS.lines().count(), 1000);
        for bad in ["12345678", "password", "Qwertyuiop", "iloveyou"] {
            assert_eq!(parse_password("p", bad).map_err(|e| e.code), Err("password_common"), "{bad}");
        }
        assert!(parse_password("p", "Kx7-long-pass").is_ok());
    }

    #[test]
    fn access_follows_the_subscription_and_grace() {
        let c = |end: Option<Ts>| Company {
            id: CompanyId(1),
            name: "x".into(),
            country: Country::KG,
            timezone: "Asia/Bishkek".into(),
            plan: PlanId(1),
            owner: UserId(2),
            legal: Legal::default(),
            phones: vec![],
            created: Ts(0),
            subscription_end: end,
            grace_days: 7,
            active: true,
            logo: None,
        };
        let day = Ts::MS_PER_DAY;
        assert_eq!(c(None).access(Ts(100 * day)), Access::Full);
        assert_eq!(c(Some(Ts(10 * day))).access(Ts(10 * day)), Access::Full);
        assert_eq!(c(Some(Ts(10 * day))).access(Ts(12 * day)), Access::Grace { ends: Ts(17 * day) });
        assert_eq!(c(Some(Ts(10 * day))).access(Ts(17 * day + 1)), Access::ReadOnly);
    }
}
