//! Products, categories and brands as stored, and the parsers that build a product from a
//! form or an API body.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{BrandId, CategoryId, ProductId};
use crate::storage::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    Goods,
    Service,
    /// Sold as one line; its components are written off.
    Bundle,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Goods => "goods",
            Kind::Service => "service",
            Kind::Bundle => "bundle",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s.trim() {
            "goods" | "" => Some(Kind::Goods),
            "service" => Some(Kind::Service),
            "bundle" => Some(Kind::Bundle),
            _ => None,
        }
    }

    /// Only goods have stock; services never, bundles through their components.
    pub fn stocked(self) -> bool {
        self == Kind::Goods
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    Piece,
    Kg,
    G,
    L,
    M,
    Pack,
}

impl Unit {
    pub const ALL: [Unit; 6] = [Unit::Piece, Unit::Kg, Unit::G, Unit::L, Unit::M, Unit::Pack];

    pub fn code(self) -> &'static str {
        match self {
            Unit::Piece => "pcs",
            Unit::Kg => "kg",
            Unit::G => "g",
            Unit::L => "l",
            Unit::M => "m",
            Unit::Pack => "pack",
        }
    }

    pub fn label_ru(self) -> &'static str {
        match self {
            Unit::Piece => "шт",
            Unit::Kg => "кг",
            Unit::G => "г",
            Unit::L => "л",
            Unit::M => "м",
            Unit::Pack => "уп",
        }
    }

    pub fn parse(s: &str) -> Option<Unit> {
        let s = s.trim().to_lowercase();
        Unit::ALL.into_iter().find(|u| u.code() == s || u.label_ru() == s.trim_end_matches('.'))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    pub product: ProductId,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Characteristics {
    /// Millimetres and grams as typed; free text keeps "30×20×10" readable.
    pub dimensions: String,
    pub weight: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Product {
    pub id: ProductId,
    pub kind: Kind,
    pub name: String,
    pub article: String,
    /// Internal code, auto-numbered per company ("0001").
    pub code: String,
    /// Unique per company (index `company_barcode_productid`).
    pub barcodes: Vec<String>,
    pub unit: Unit,
    pub weighed: bool,
    /// Label-scale PLU, unique per company; assigned automatically for weighed goods.
    pub plu: Option<u32>,
    pub brand: Option<BrandId>,
    pub category: Option<CategoryId>,
    #[serde(with = "rust_decimal::serde::str")]
    pub purchase_price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub markup: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub price: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub discount: Decimal,
    pub country: String,
    /// "YYYY-MM-DD" or empty.
    pub expiry: String,
    pub packages: Vec<Package>,
    pub characteristics: Characteristics,
    /// Bundle components (written off when the bundle sells).
    pub components: Vec<Component>,
    /// Raw materials per unit of a produced good.
    pub recipe: Vec<Component>,
    /// Low-stock threshold (0 = none).
    #[serde(with = "rust_decimal::serde::str")]
    pub reorder_level: Decimal,
    pub archived: bool,
    pub created: Ts,
    pub updated: Ts,
}

impl Record for Product {
    const TYPE: &'static str = "product.v1";
}

/// The seed's price rule (spec A5): price = purchase × (1 + markup/100), rounded half-up; a
/// manual price is kept when the markup is zero.
pub fn price_from_markup(purchase: Decimal, markup: Decimal, manual: Decimal) -> Decimal {
    if markup.is_zero() {
        return crate::money::round_money(manual);
    }
    crate::money::round_money(purchase * (Decimal::ONE + markup / Decimal::ONE_HUNDRED))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Category {
    pub id: CategoryId,
    pub name: String,
    pub parent: Option<CategoryId>,
}

impl Record for Category {
    const TYPE: &'static str = "category.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Brand {
    pub id: BrandId,
    pub name: String,
}

impl Record for Brand {
    const TYPE: &'static str = "brand.v1";
}

/// An entry of the box-wide barcode catalogue shared by all companies (spec A5 "global
/// catalogue"): what a barcode is, so a new product can be created by scanning it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GlobalItem {
    pub name: String,
    pub brand: String,
    pub category: String,
    pub unit: Unit,
}

impl Record for GlobalItem {
    const TYPE: &'static str = "global_item.v1";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_price_rule() {
        let d = |s: &str| s.parse::<Decimal>().expect("decimal");
        assert_eq!(price_from_markup(d("85"), d("20"), d("0")).to_string(), "102.00");
        assert_eq!(price_from_markup(d("33.33"), d("15"), d("0")).to_string(), "38.33");
        assert_eq!(price_from_markup(d("0.05"), d("10"), d("0")).to_string(), "0.06", "half-up: 0.055 → 0.06");
        assert_eq!(price_from_markup(d("85"), d("0"), d("99.9")).to_string(), "99.90", "manual price kept");
        assert_eq!(Unit::parse("кг"), Some(Unit::Kg));
        assert_eq!(Unit::parse("шт."), Some(Unit::Piece));
    }
}
