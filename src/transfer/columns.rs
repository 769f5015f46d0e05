//! The columns of an import or export file and the header names (Russian and English) that
//! name them. Headers are compared after normalising case, `ё`, punctuation and spaces, so
//! "Ед. изм.", "ед изм" and "Unit" all land where they should.

use serde::{Deserialize, Serialize};

/// A product field a file column can carry. Stored inside import rows: append new variants
/// at the end only (postcard numbers them by position).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Column {
    Code,
    Name,
    Kind,
    Article,
    Barcodes,
    Unit,
    Weighed,
    Plu,
    PurchasePrice,
    Markup,
    Price,
    Discount,
    Category,
    Brand,
    Country,
    Expiry,
    ReorderLevel,
    // The telecom kinds (SIM delivery, subscribers); appended, so stored rows keep their numbers.
    Iccid,
    Imsi,
    Msisdn,
    Puk,
    Tariff,
    LastName,
    FirstName,
    Patronymic,
    BirthDate,
    DocKind,
    DocSeries,
    DocNumber,
    PersonalNo,
    Phone,
    Email,
    Address,
    // The clients kind (issue 17, crm4); appended too.
    Inn,
    Notes,
    // The contacts kind (issue 17): the client a contact works at, the person, their role.
    Client,
    Person,
    Role,
}

impl Column {
    /// Export order.
    pub const ALL: [Column; 17] = [
        Column::Code,
        Column::Name,
        Column::Kind,
        Column::Article,
        Column::Barcodes,
        Column::Unit,
        Column::Weighed,
        Column::Plu,
        Column::PurchasePrice,
        Column::Markup,
        Column::Price,
        Column::Discount,
        Column::Category,
        Column::Brand,
        Column::Country,
        Column::Expiry,
        Column::ReorderLevel,
    ];

    /// A SIM delivery file's columns.
    pub const SIMS: [Column; 5] = [Column::Iccid, Column::Imsi, Column::Msisdn, Column::Puk, Column::Tariff];

    /// A subscriber file's columns (individuals).
    pub const SUBSCRIBERS: [Column; 11] = [
        Column::LastName,
        Column::FirstName,
        Column::Patronymic,
        Column::BirthDate,
        Column::DocKind,
        Column::DocSeries,
        Column::DocNumber,
        Column::PersonalNo,
        Column::Phone,
        Column::Email,
        Column::Address,
    ];

    /// A client file's columns.
    pub const CLIENTS: [Column; 6] = [Column::Name, Column::Phone, Column::Email, Column::Inn, Column::Address, Column::Notes];

    /// A contacts file's columns: the client first, so "Клиент" names it and not a name.
    pub const CONTACTS: [Column; 5] = [Column::Client, Column::Person, Column::Role, Column::Phone, Column::Email];

    /// Russian header, English header, then further accepted spellings.
    fn names(self) -> &'static [&'static str] {
        match self {
            Column::Code => &["Код", "Code", "код товара", "internal code"],
            Column::Name => &["Название", "Name", "наименование", "товар", "product", "title", "клиент", "фио", "client"],
            Column::Kind => &["Тип", "Kind", "type", "вид"],
            Column::Article => &["Артикул", "Article", "sku", "vendor code"],
            Column::Barcodes => &["Штрихкод", "Barcode", "штрихкоды", "штрих-код", "штрих-коды", "barcodes", "ean"],
            Column::Unit => &["Ед.", "Unit", "ед изм", "единица", "единица измерения", "units"],
            Column::Weighed => &["Весовой", "Weighed", "весовой товар", "by weight"],
            Column::Plu => &["PLU", "PLU", "плу"],
            Column::PurchasePrice => &["Цена закупки", "Purchase price", "закупочная цена", "себестоимость", "cost"],
            Column::Markup => &["Наценка", "Markup", "наценка %", "markup %"],
            Column::Price => &["Цена", "Price", "цена продажи", "розничная цена", "sale price", "retail price"],
            Column::Discount => &["Скидка", "Discount", "скидка %", "discount %"],
            Column::Category => &["Категория", "Category", "группа", "group"],
            Column::Brand => &["Бренд", "Brand", "марка"],
            Column::Country => &["Страна", "Country", "страна происхождения", "country of origin"],
            Column::Expiry => &["Срок годности", "Expiry", "годен до", "best before"],
            Column::ReorderLevel => &["Мин. остаток", "Reorder level", "минимальный остаток", "min stock"],
            Column::Iccid => &["ICCID", "ICCID", "айсиайди"],
            Column::Imsi => &["IMSI", "IMSI"],
            Column::Msisdn => &["MSISDN", "MSISDN", "номер", "номер телефона", "phone number"],
            Column::Puk => &["PUK", "PUK", "puk_code", "puk code", "пук"],
            Column::Tariff => &["Тариф", "Tariff", "tariff name", "тарифный план"],
            Column::LastName => &["Фамилия", "Last name", "last_name", "surname"],
            Column::FirstName => &["Имя", "First name", "first_name"],
            Column::Patronymic => &["Отчество", "Patronymic", "middle name", "middle_name"],
            Column::BirthDate => &["Дата рождения", "Birth date", "birth_date", "date of birth", "дата рожд"],
            Column::DocKind => &["Вид документа", "Document kind", "doc_kind", "документ"],
            Column::DocSeries => &["Серия", "Series", "doc_series", "серия документа", "document series"],
            Column::DocNumber => &["Номер документа", "Document number", "doc_number", "номер паспорта", "passport number"],
            Column::PersonalNo => &["ПИН", "Personal number", "personal_no", "инн", "pin", "inn"],
            Column::Phone => &["Телефон", "Phone", "тел", "мобильный", "mobile"],
            Column::Email => &["E-mail", "Email", "e-mail", "почта", "электронная почта"],
            Column::Address => &["Адрес", "Address"],
            Column::Inn => &["ИНН", "INN", "tax id", "taxpayer number"],
            Column::Notes => &["Примечание", "Notes", "комментарий", "comment", "заметки"],
            Column::Client => &["Клиент", "Client", "компания", "company", "организация", "organization", "контрагент"],
            Column::Person => &["Контакт", "Contact", "ФИО", "имя", "name", "контактное лицо", "contact name", "full name"],
            Column::Role => &["Должность", "Role", "роль", "position", "title", "job title"],
        }
    }

    /// The header written on export.
    pub fn header(self, lang: crate::i18n::Lang) -> &'static str {
        let n = self.names();
        lang.pick(n[0], n[1])
    }

    /// Which product-rule field (`catalog::check_product`'s `FieldError::field`) this column
    /// feeds, so a rule's complaint lands on the file's column.
    pub fn of_field(field: &str) -> Option<Column> {
        Some(match field {
            "name" => Column::Name,
            "kind" => Column::Kind,
            "article" => Column::Article,
            "barcodes" => Column::Barcodes,
            "unit" => Column::Unit,
            "plu" => Column::Plu,
            "purchase_price" => Column::PurchasePrice,
            "markup" => Column::Markup,
            "price" => Column::Price,
            "discount" => Column::Discount,
            "category" => Column::Category,
            "brand" => Column::Brand,
            "country" => Column::Country,
            "expiry" => Column::Expiry,
            "reorder_level" => Column::ReorderLevel,
            _ => return None,
        })
    }

    pub fn from_header(header: &str) -> Option<Column> {
        Column::from_header_in(header, &Column::ALL)
    }

    /// The column of `set` a header names.
    pub fn from_header_in(header: &str, set: &[Column]) -> Option<Column> {
        let h = normalise(header);
        if h.is_empty() {
            return None;
        }
        set.iter().copied().find(|c| c.names().iter().any(|n| normalise(n) == h))
    }
}

fn normalise(s: &str) -> String {
    let lowered = s.trim().to_lowercase().replace('ё', "е");
    let cleaned: String = lowered.chars().map(|c| if c.is_alphanumeric() || c == '-' { c } else { ' ' }).collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How a file's header row maps to columns: `(position, column)` for recognised headers,
/// and the headers that were not recognised (or repeated a column already taken).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    pub columns: Vec<(usize, Column)>,
    pub names: Vec<(Column, String)>,
    pub unknown: Vec<String>,
}

impl Header {
    pub fn parse(row: &[String]) -> Header {
        Header::parse_in(row, &Column::ALL)
    }

    /// The header row read against one import kind's columns (`Column::SIMS`, …).
    pub fn parse_in(row: &[String], set: &[Column]) -> Header {
        let mut h = Header::default();
        for (i, raw) in row.iter().enumerate() {
            match Column::from_header_in(raw, set) {
                Some(c) if !h.columns.iter().any(|(_, taken)| *taken == c) => {
                    h.columns.push((i, c));
                    h.names.push((c, raw.trim().to_string()));
                }
                _ if raw.trim().is_empty() => {}
                _ => h.unknown.push(raw.trim().to_string()),
            }
        }
        h
    }

    pub fn has(&self, c: Column) -> bool {
        self.columns.iter().any(|(_, x)| *x == c)
    }

    /// The file's own header text for a column (its English name when absent).
    pub fn name_of(&self, c: Column) -> String {
        self.names.iter().find(|(x, _)| *x == c).map(|(_, n)| n.clone()).unwrap_or_else(|| c.names()[1].to_string())
    }

    /// Whether rows can be matched or created at all.
    pub fn usable(&self) -> bool {
        [Column::Name, Column::Code, Column::Barcodes, Column::Article].into_iter().any(|c| self.has(c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_and_english_headers() {
        let row: Vec<String> = ["Название", "ед. изм.", "Штрих-код", "Цена закупки", "Наценка, %", "PRICE", "Цвет", "цена", ""]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let h = Header::parse(&row);
        assert_eq!(
            h.columns,
            vec![
                (0, Column::Name),
                (1, Column::Unit),
                (2, Column::Barcodes),
                (3, Column::PurchasePrice),
                (4, Column::Markup),
                (5, Column::Price)
            ]
        );
        assert_eq!(h.unknown, vec!["Цвет".to_string(), "цена".to_string()], "unknown and repeated columns are reported");
        assert_eq!(h.name_of(Column::Price), "PRICE");
        assert!(h.usable());
        assert!(!Header::parse(&["Цвет".to_string()]).usable());
    }

    #[test]
    fn every_export_header_reads_back() {
        for lang in [crate::i18n::Lang::Ru, crate::i18n::Lang::En] {
            for c in Column::ALL {
                assert_eq!(Column::from_header(c.header(lang)), Some(c), "{c:?}");
            }
        }
    }
}
