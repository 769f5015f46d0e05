//! The error table: every failure a user can see has a variant here with a stable `code`, an
//! HTTP status and a Russian and English message. Business variants carry their data. The
//! HTTP layer renders them as `application/problem+json` (API) or form errors (UI); storage
//! and internal failures are logged with context and shown opaque.

use crate::i18n::Lang;
use crate::storage::StorageError;

/// One line that cannot be served from stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shortage {
    pub product: String,
    pub warehouse: String,
    pub available: rust_decimal::Decimal,
    pub needed: rust_decimal::Decimal,
}

/// A problem with one input field, shown beside that field in forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub ru: String,
    pub en: String,
}

impl FieldError {
    pub fn new(field: &str, code: &'static str, ru: impl Into<String>, en: impl Into<String>) -> FieldError {
        FieldError { field: field.to_string(), code, ru: ru.into(), en: en.into() }
    }

    pub fn message(&self, lang: Lang) -> &str {
        lang.pick(&self.ru, &self.en)
    }

    pub fn required(field: &str) -> FieldError {
        FieldError::new(field, "required", "Обязательное поле", "This field is required")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not found")]
    NotFound,
    #[error("invalid input: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("malformed request: {detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("payload too large")]
    PayloadTooLarge,
    /// A file over a limit of its own (an attachment over the per-file size): 413 with a
    /// code that names the limit.
    #[error("too large ({code}): {en}")]
    TooLarge { code: &'static str, ru: String, en: String },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("not signed in")]
    Unauthorized,
    #[error("wrong e-mail or password")]
    BadCredentials,
    #[error("token expired or revoked")]
    TokenInvalid,
    #[error("missing permission {permission}")]
    Forbidden { permission: &'static str },
    #[error("module {feature} is not in the company's plan")]
    FeatureDisabled { feature: &'static str },
    #[error("subscription ended; company is read-only")]
    ReadOnly,
    #[error("company deactivated")]
    CompanyInactive,
    #[error("csrf token missing or wrong")]
    Csrf,
    #[error("too many attempts; retry in {retry_after_s}s")]
    RateLimited { retry_after_s: u64 },
    #[error("already set up")]
    AlreadySetUp,
    #[error("e-mail {email} is taken")]
    EmailTaken { email: String },
    #[error("name {name} is taken")]
    NameTaken { name: String },
    #[error("cannot remove the company owner")]
    OwnerProtected,
    #[error("role {name} is used by {users} users")]
    RoleInUse { name: String, users: usize },
    #[error("not enough stock: {0:?}")]
    OutOfStock(Vec<Shortage>),
    #[error("period closed until {until}")]
    PeriodClosed { until: String },
    #[error("product {name} has stock movements")]
    HasMovements { name: String },
    #[error("document is {state}")]
    WrongState { state: &'static str },
    /// A business rule refuses the operation in the current state (a shift not open, a key
    /// reused with other content, not enough cash in the drawer…).
    #[error("refused ({code}): {en}")]
    Refused { code: &'static str, ru: String, en: String },
    #[error("backup failed: {0}")]
    Backup(String),
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("internal: {0}")]
    Internal(String),
    /// The client paused its request body too long, or sent it slower than the minimum rate.
    #[error("request body too slow")]
    RequestTimeout,
    /// Every parse or decode slot stayed taken for the bounded wait; retry later.
    #[error("busy; retry in {retry_after_s}s")]
    Busy { retry_after_s: u64 },
}

impl Error {
    pub fn refused(code: &'static str, ru: impl Into<String>, en: impl Into<String>) -> Error {
        Error::Refused { code, ru: ru.into(), en: en.into() }
    }

    pub fn field(field: &str, code: &'static str, ru: impl Into<String>, en: impl Into<String>) -> Error {
        Error::Validation(vec![FieldError::new(field, code, ru, en)])
    }

    /// The stable, documented code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotFound => "not_found",
            Error::Validation(_) => "validation",
            Error::BadRequest { code, .. } => code,
            Error::PayloadTooLarge => "payload_too_large",
            Error::TooLarge { code, .. } => code,
            Error::MethodNotAllowed => "method_not_allowed",
            Error::Unauthorized => "unauthorized",
            Error::BadCredentials => "bad_credentials",
            Error::TokenInvalid => "token_invalid",
            Error::Forbidden { .. } => "forbidden",
            Error::FeatureDisabled { .. } => "feature_disabled",
            Error::ReadOnly => "subscription_expired",
            Error::CompanyInactive => "company_inactive",
            Error::Csrf => "csrf",
            Error::RateLimited { .. } => "rate_limited",
            Error::AlreadySetUp => "already_set_up",
            Error::EmailTaken { .. } => "email_taken",
            Error::NameTaken { .. } => "name_taken",
            Error::OwnerProtected => "owner_protected",
            Error::RoleInUse { .. } => "role_in_use",
            Error::OutOfStock(_) => "out_of_stock",
            Error::PeriodClosed { .. } => "period_closed",
            Error::HasMovements { .. } => "product_has_movements",
            Error::WrongState { .. } => "wrong_state",
            Error::Refused { code, .. } => code,
            Error::Backup(_) => "backup_failed",
            Error::Storage(_) | Error::Internal(_) => "internal",
            Error::RequestTimeout => "request_timeout",
            Error::Busy { .. } => "busy",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::NotFound => 404,
            Error::Validation(_) => 422,
            Error::BadRequest { .. } => 400,
            Error::PayloadTooLarge | Error::TooLarge { .. } => 413,
            Error::MethodNotAllowed => 405,
            Error::Unauthorized | Error::BadCredentials | Error::TokenInvalid => 401,
            Error::Forbidden { .. } | Error::FeatureDisabled { .. } | Error::ReadOnly | Error::CompanyInactive | Error::Csrf => 403,
            Error::RateLimited { .. } => 429,
            Error::OutOfStock(_)
            | Error::PeriodClosed { .. }
            | Error::HasMovements { .. }
            | Error::WrongState { .. }
            | Error::Refused { .. } => 409,
            Error::AlreadySetUp | Error::EmailTaken { .. } | Error::NameTaken { .. } | Error::OwnerProtected | Error::RoleInUse { .. } => {
                409
            }
            Error::Backup(_) | Error::Storage(_) | Error::Internal(_) => 500,
            Error::RequestTimeout => 408,
            Error::Busy { .. } => 503,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let (ru, en): (String, String) = match self {
            Error::NotFound => ("Не найдено".into(), "Not found".into()),
            Error::Validation(_) => ("Проверьте выделенные поля".into(), "Please check the highlighted fields".into()),
            Error::BadRequest { detail, .. } => (format!("Некорректный запрос: {detail}"), format!("Malformed request: {detail}")),
            Error::PayloadTooLarge => ("Слишком большой запрос".into(), "Request body too large".into()),
            Error::TooLarge { ru, en, .. } => (ru.clone(), en.clone()),
            Error::MethodNotAllowed => ("Метод не поддерживается".into(), "Method not allowed".into()),
            Error::Unauthorized => ("Войдите в систему".into(), "Please sign in".into()),
            Error::BadCredentials => ("Неверный e-mail или пароль".into(), "Wrong e-mail or password".into()),
            Error::TokenInvalid => ("Сессия истекла, войдите снова".into(), "Session expired, please sign in again".into()),
            Error::Forbidden { permission } => {
                (format!("Недостаточно прав ({permission})"), format!("You do not have permission ({permission})"))
            }
            Error::FeatureDisabled { feature } => {
                (format!("Модуль «{feature}» не входит в тариф"), format!("Module “{feature}” is not in your plan"))
            }
            Error::ReadOnly => (
                "Подписка закончилась: данные доступны только для чтения. Продлите подписку.".into(),
                "The subscription has ended: data is read-only. Please renew.".into(),
            ),
            Error::CompanyInactive => ("Компания отключена".into(), "The company is deactivated".into()),
            Error::Csrf => ("Форма устарела, обновите страницу".into(), "The form expired, reload the page".into()),
            Error::RateLimited { retry_after_s } => (
                format!("Слишком много попыток, повторите через {retry_after_s} с"),
                format!("Too many attempts, retry in {retry_after_s} s"),
            ),
            Error::AlreadySetUp => ("Начальная настройка уже выполнена".into(), "First-run setup is already done".into()),
            Error::EmailTaken { email } => (format!("E-mail {email} уже занят"), format!("E-mail {email} is already taken")),
            Error::NameTaken { name } => (format!("Название «{name}» уже занято"), format!("The name “{name}” is already taken")),
            Error::OwnerProtected => {
                ("Владельца компании нельзя отключить или понизить".into(), "The company owner cannot be deactivated or demoted".into())
            }
            Error::RoleInUse { name, users } => {
                (format!("Роль «{name}» назначена сотрудникам: {users}"), format!("The role “{name}” is assigned to {users} users"))
            }
            Error::OutOfStock(lines) => {
                let ru: Vec<String> = lines
                    .iter()
                    .map(|s| format!("«{}» на складе «{}»: нужно {}, доступно {}", s.product, s.warehouse, s.needed, s.available))
                    .collect();
                let en: Vec<String> = lines
                    .iter()
                    .map(|s| format!("“{}” in “{}”: {} needed, {} available", s.product, s.warehouse, s.needed, s.available))
                    .collect();
                (format!("Недостаточно товара: {}", ru.join("; ")), format!("Not enough stock: {}", en.join("; ")))
            }
            Error::PeriodClosed { until } => (
                format!("Период закрыт по {until}: проводки с более ранней датой запрещены"),
                format!("The period is closed through {until}: postings dated earlier are refused"),
            ),
            Error::HasMovements { name } => (
                format!("У товара «{name}» есть движения: его можно только архивировать"),
                format!("“{name}” has stock movements: archive it instead"),
            ),
            Error::WrongState { state } => (format!("Документ в состоянии «{state}»"), format!("The document is {state}")),
            Error::Refused { ru, en, .. } => (ru.clone(), en.clone()),
            Error::Backup(e) => (format!("Резервная копия не создана: {e}"), format!("Backup failed: {e}")),
            Error::Storage(_) | Error::Internal(_) => {
                ("Внутренняя ошибка, она записана в журнал".into(), "Internal error; it has been logged".into())
            }
            Error::RequestTimeout => {
                ("Запрос передавался слишком медленно, повторите".into(), "The request was sent too slowly; please retry".into())
            }
            Error::Busy { retry_after_s } => (
                format!("Сервер занят обработкой других файлов, повторите через {retry_after_s} с"),
                format!("The server is busy with other files, retry in {retry_after_s} s"),
            ),
        };
        lang.pick(&ru, &en).to_string()
    }

    /// Seconds for a `Retry-After` header, for the errors that have one.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::RateLimited { retry_after_s } | Error::Busy { retry_after_s } => Some(*retry_after_s),
            _ => None,
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            Error::Validation(f) => f,
            _ => &[],
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Collects field errors so a form reports every problem at once.
#[derive(Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    /// Records the error of a parse, keeping the value when it succeeded.
    pub fn take<T>(&mut self, r: std::result::Result<T, FieldError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() { Ok(()) } else { Err(Error::Validation(self.0)) }
    }
}
