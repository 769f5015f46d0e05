//! Permissions: the seed's 65 `can_view_*` flags plus the telecom rights of spec B5, each with
//! a fixed bit in a `PermSet`. Bits are stored in the data file: a permission keeps its bit
//! forever, new ones take new bits, and `schema/permissions.txt` (checked by a test) records
//! the assignment. Unlike the original, every endpoint and page checks them on the server.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Perm(u8);

pub struct PermInfo {
    pub bit: u8,
    pub code: &'static str,
    pub group: &'static str,
    pub ru: &'static str,
    pub en: &'static str,
}

macro_rules! perms {
    ($($bit:literal $konst:ident $code:literal $group:literal $ru:literal $en:literal;)*) => {
        impl Perm { $(pub const $konst: Perm = Perm($bit);)* }
        pub static ALL: &[PermInfo] = &[$(PermInfo { bit: $bit, code: $code, group: $group, ru: $ru, en: $en },)*];
    };
}

perms! {
    0 DASHBOARD "dashboard" "general" "Главная" "Dashboard";
    1 CASHBOX "cashbox" "general" "Кассы" "Cash boxes";
    2 DEPARTMENTS "departments" "general" "Отделы" "Departments";
    3 ORDERS "orders" "general" "Заказы" "Orders";
    4 ANALYTICS "analytics" "general" "Аналитика" "Analytics";
    5 PRODUCTS "products" "general" "Товары" "Products";
    6 BOOKING "booking" "general" "Бронирование" "Booking";
    7 DEPARTMENT_ANALYTICS "department_analytics" "general" "Аналитика отделов" "Department analytics";
    8 EMPLOYEES "employees" "general" "Сотрудники и роли" "Employees and roles";
    9 CLIENTS "clients" "general" "Клиенты" "Clients";
    10 BRAND_CATEGORY "brand_category" "general" "Бренды и категории" "Brands and categories";
    11 SETTINGS "settings" "general" "Настройки компании" "Company settings";
    12 SALE "sale" "general" "Продажа" "Sale";
    13 ADDITIONAL_SERVICES "additional_services" "general" "Доп. услуги" "Additional services";
    14 DEBTS "debts" "general" "Долги" "Debts";
    15 BUILDING_WORK_PROCESS "building_work_process" "building" "Процесс работ" "Work process";
    16 BUILDING_OBJECTS "building_objects" "building" "Объекты" "Objects";
    17 BUILDING_CLIENTS "building_clients" "building" "Клиенты стройки" "Construction clients";
    18 BUILDING_SALES "building_sales" "building" "Продажи объектов" "Object sales";
    19 BUILDING_TREATIES "building_treaties" "building" "Договоры" "Contracts";
    20 BUILDING_PAYMENTS "building_payments" "building" "Платежи" "Payments";
    21 BUILDING_CASHBOX "building_cashbox" "building" "Касса стройки" "Construction cash box";
    22 BUILDING_SUPPLIERS "building_suppliers" "building" "Поставщики" "Suppliers";
    23 BUILDING_MATERIALS "building_materials" "building" "Материалы" "Materials";
    24 BUILDING_WAREHOUSE "building_warehouse" "building" "Склад стройки" "Construction warehouse";
    25 BUILDING_DOCUMENTS "building_documents" "building" "Документы" "Documents";
    26 BUILDING_ANALYTICS "building_analytics" "building" "Аналитика стройки" "Construction analytics";
    27 BUILDING_SALARY "building_salary" "building" "Зарплата" "Salary";
    28 BUILDING_TASKS "building_tasks" "building" "Задачи" "Tasks";
    29 BARBER_CLIENTS "barber_clients" "barber" "Клиенты барбершопа" "Barbershop clients";
    30 BARBER_SERVICES "barber_services" "barber" "Услуги" "Services";
    31 BARBER_HISTORY "barber_history" "barber" "История" "History";
    32 BARBER_RECORDS "barber_records" "barber" "Записи" "Appointments";
    33 HOSTEL_ROOMS "hostel_rooms" "hostel" "Комнаты" "Rooms";
    34 HOSTEL_BOOKING "hostel_booking" "hostel" "Бронирования" "Bookings";
    35 HOSTEL_CLIENTS "hostel_clients" "hostel" "Гости" "Guests";
    36 HOSTEL_ANALYTICS "hostel_analytics" "hostel" "Аналитика хостела" "Hostel analytics";
    37 CAFE_MENU "cafe_menu" "cafe" "Меню" "Menu";
    38 CAFE_ORDERS "cafe_orders" "cafe" "Заказы кафе" "Cafe orders";
    39 CAFE_PURCHASING "cafe_purchasing" "cafe" "Закупки" "Purchasing";
    40 CAFE_BOOKING "cafe_booking" "cafe" "Бронь столов" "Table booking";
    41 CAFE_CLIENTS "cafe_clients" "cafe" "Гости кафе" "Cafe guests";
    42 CAFE_TABLES "cafe_tables" "cafe" "Столы" "Tables";
    43 CAFE_COOK "cafe_cook" "cafe" "Кухня" "Kitchen";
    44 CAFE_INVENTORY "cafe_inventory" "cafe" "Инвентаризация кафе" "Cafe inventory";
    45 SCHOOL_STUDENTS "school_students" "school" "Ученики" "Students";
    46 SCHOOL_GROUPS "school_groups" "school" "Группы" "Groups";
    47 SCHOOL_LESSONS "school_lessons" "school" "Уроки" "Lessons";
    48 SCHOOL_TEACHERS "school_teachers" "school" "Преподаватели" "Teachers";
    49 SCHOOL_LEADS "school_leads" "school" "Лиды" "Leads";
    50 SCHOOL_INVOICES "school_invoices" "school" "Счета" "Invoices";
    51 CLIENT_REQUESTS "client_requests" "market" "Заявки клиентов" "Client requests";
    52 SALARY "salary" "market" "Зарплаты" "Salaries";
    53 SALES "sales" "market" "Продажи" "Sales";
    54 SERVICES "services" "market" "Услуги" "Services";
    55 AGENT "agent" "market" "Агенты" "Agents";
    56 CATALOG "catalog" "market" "Каталог" "Catalog";
    57 BRANCH "branch" "general" "Филиалы" "Branches";
    58 LOGISTICS "logistics" "market" "Логистика" "Logistics";
    59 REQUEST "request" "market" "Заявки агентов" "Agent requests";
    60 SHIFTS "shifts" "market" "Смены" "Shifts";
    61 CASHIER "cashier" "market" "Касса (POS)" "Till (POS)";
    62 DOCUMENT "document" "market" "Складские документы" "Stock documents";
    63 MARKET_SCALES "market_scales" "market" "Весы" "Scales";
    64 MARKET_LABEL "market_label" "market" "Этикетки" "Labels";
    65 TELECOM_VIEW "telecom_view" "telecom" "Телеком: просмотр" "Telecom: view";
    66 TELECOM_CUSTOMERS "telecom_customers" "telecom" "Абоненты: изменение" "Subscribers: edit";
    67 TELECOM_SIMS "telecom_sims" "telecom" "SIM: создание и привязка" "SIMs: create and assign";
    68 TELECOM_SIMS_BULK "telecom_sims_bulk" "telecom" "SIM: массовые операции" "SIMs: bulk operations";
    69 TELECOM_TARIFFS "telecom_tariffs" "telecom" "Тарифы: изменение" "Tariffs: edit";
    70 TELECOM_PAYMENTS "telecom_payments" "telecom" "Платежи абонентов" "Subscriber payments";
    71 TELECOM_TERMINATE "telecom_terminate" "telecom" "Расторжение договоров" "Terminate contracts";
    72 TELECOM_TICKETS "telecom_tickets" "telecom" "Обращения" "Support tickets";
    73 TELECOM_EMULATORS "telecom_emulators" "telecom" "Эмуляторы трафика" "Traffic emulators";
    74 FINANCE "finance" "finance" "Деньги: счета, расходы, журнал" "Money: accounts, expenses, journal";
    75 PURCHASES "purchases" "finance" "Поставщики и закупки" "Suppliers and purchases";
    76 CRM_DEALS "crm_deals" "crm" "CRM: свои сделки" "CRM: own deals";
    77 CRM_ALL_DEALS "crm_all_deals" "crm" "CRM: все сделки" "CRM: everyone's deals";
    78 CRM_TASKS "crm_tasks" "crm" "CRM: задачи" "CRM: tasks";
    79 CRM_SETTINGS "crm_settings" "crm" "CRM: воронки и этапы" "CRM: pipelines and stages";
    80 SCALES_MANUAL "scales_manual" "market" "Ручной ввод веса на кассе" "Manual weight entry at the till";
    82 INBOX "inbox" "messaging" "Переписка: чтение и ответы" "Inbox: read and reply";
    83 INBOX_ADMIN "inbox_admin" "messaging" "Переписка: каналы, шаблоны, назначение" "Inbox: channels, templates, assignment";
    84 CRM_ORDERS "crm_orders" "crm" "CRM: заказы" "CRM: orders";
    86 MAIL_SETTINGS "mail_settings" "messaging" "Почта: настройки SMTP и журнал писем" "E-mail: SMTP settings and the delivery log";
    87 NOTIFY_RULES "notify_rules" "messaging" "Правила уведомлений" "Notification rules";
    88 CRM_REVIEWS "crm_reviews" "crm" "CRM: отзывы клиентов" "CRM: client reviews";
}

/// Groups in the order the role editor shows them.
pub static GROUPS: &[(&str, &str, &str)] = &[
    ("general", "Общие", "General"),
    ("market", "Магазин", "Shop"),
    ("building", "Строительство", "Construction"),
    ("barber", "Барбершоп", "Barbershop"),
    ("hostel", "Хостел", "Hostel"),
    ("cafe", "Кафе", "Cafe"),
    ("school", "Образование", "Education"),
    ("telecom", "Телеком", "Telecom"),
    ("finance", "Финансы и закупки", "Finance and purchasing"),
    ("messaging", "Сообщения", "Messaging"),
    ("crm", "CRM", "CRM"),
];

impl Perm {
    pub fn info(self) -> &'static PermInfo {
        // ALL is sorted by bit (checked by a test); bits other helpers reserve may be absent.
        match ALL.binary_search_by_key(&self.0, |p| p.bit) {
            Ok(i) => &ALL[i],
            Err(_) => &ALL[0],
        }
    }

    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn parse(code: &str) -> Option<Perm> {
        ALL.iter().find(|p| p.code == code).map(|p| Perm(p.bit))
    }
}

/// A set of permissions, stored as a bitset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PermSet(pub u128);

impl PermSet {
    pub fn all() -> PermSet {
        PermSet(ALL.iter().fold(0u128, |acc, p| acc | (1u128 << p.bit)))
    }

    pub fn of(perms: &[Perm]) -> PermSet {
        PermSet(perms.iter().fold(0u128, |acc, p| acc | (1u128 << p.0)))
    }

    pub fn has(self, perm: Perm) -> bool {
        self.0 & (1u128 << perm.0) != 0
    }

    pub fn codes(self) -> Vec<&'static str> {
        ALL.iter().filter(|p| self.0 & (1u128 << p.bit) != 0).map(|p| p.code).collect()
    }

    /// Parses permission codes, returning the unknown ones as the error.
    pub fn parse_codes<S: AsRef<str>>(codes: &[S]) -> Result<PermSet, Vec<String>> {
        let mut set = 0u128;
        let mut unknown = Vec::new();
        for c in codes {
            match Perm::parse(c.as_ref()) {
                Some(p) => set |= 1u128 << p.0,
                None => unknown.push(c.as_ref().to_string()),
            }
        }
        if unknown.is_empty() { Ok(PermSet(set)) } else { Err(unknown) }
    }
}

/// Preset roles created with every company: the telecom roles of spec B5 (employee < operator
/// < supervisor) and a cashier for the shop. Owners edit them like any custom role.
pub fn presets() -> Vec<(&'static str, &'static str, PermSet)> {
    let employee = [Perm::DASHBOARD, Perm::TELECOM_VIEW, Perm::TELECOM_TICKETS];
    let operator =
        [&employee[..], &[Perm::TELECOM_CUSTOMERS, Perm::TELECOM_SIMS, Perm::TELECOM_PAYMENTS, Perm::TELECOM_TERMINATE]].concat();
    let supervisor = [&operator[..], &[Perm::TELECOM_SIMS_BULK, Perm::TELECOM_TARIFFS, Perm::TELECOM_EMULATORS, Perm::ANALYTICS]].concat();
    let cashier = [Perm::DASHBOARD, Perm::CASHIER, Perm::SALE, Perm::SHIFTS, Perm::CLIENTS, Perm::PRODUCTS];
    vec![
        ("employee", "Сотрудник (телеком)", PermSet::of(&employee)),
        ("operator", "Оператор (телеком)", PermSet::of(&operator)),
        ("supervisor", "Супервайзер (телеком)", PermSet::of(&supervisor)),
        ("cashier", "Кассир", PermSet::of(&cashier)),
    ]
}

/// The text of `schema/permissions.txt`: one line per bit.
pub fn render_table() -> String {
    let mut out = String::from("# bit code group — generated by tenancy::perms tests; bits never move\n");
    for p in ALL {
        out.push_str(&format!("{:3} {} {}\n", p.bit, p.code, p.group));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_ascending_unique_and_grouped() {
        for w in ALL.windows(2) {
            assert!(w[0].bit < w[1].bit, "{} is out of place", w[1].code);
        }
        for p in ALL {
            assert!(GROUPS.iter().any(|g| g.0 == p.group), "{} has unknown group", p.code);
            assert_eq!(Perm(p.bit).code(), p.code);
        }
        // The seed's own flags are bits 0–75 outside the telecom and finance groups; later bits
        // are this project's own (80: manual weight at the till, 82–83: the inbox, …).
        let seed_flags = ALL.iter().filter(|p| p.bit <= 75 && !["telecom", "finance"].contains(&p.group)).count();
        assert_eq!(seed_flags, 65, "the seed has 65 can_view_* flags");
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_reported() {
        let set = PermSet::of(&[Perm::SALE, Perm::TELECOM_SIMS]);
        assert_eq!(PermSet::parse_codes(&set.codes()), Ok(set));
        assert_eq!(PermSet::parse_codes(&["sale", "fly"]), Err(vec!["fly".to_string()]));
        assert!(PermSet::all().has(Perm::MARKET_LABEL));
        assert!(!set.has(Perm::DASHBOARD));
    }

    #[test]
    fn permission_bits_match_the_committed_schema() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/permissions.txt");
        let rendered = render_table();
        if std::env::var_os("DUKAN_BLESS").is_some() {
            std::fs::write(&path, &rendered).expect("write schema");
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(committed, rendered, "permission bits changed; if intended run with DUKAN_BLESS=1 and commit");
    }
}
