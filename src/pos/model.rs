//! Cash boxes, shifts, the cash ledger, carts, sales and returns as stored, and the cart
//! arithmetic of the seed (spec A6 "Recalculation").

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::clock::Ts;
use crate::ids::{BranchId, CashBoxId, ClientId, ProductId, SaleId, ShiftId, UserId, WarehouseId};
use crate::inventory::model::MoveKey;
use crate::money::round_money;
use crate::storage::Record;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CashBox {
    pub id: CashBoxId,
    pub name: String,
    /// `None` = company-wide.
    pub branch: Option<BranchId>,
    /// An expense-only box (spec A7 `is_consumption`): cash flows, no sales, no shifts.
    pub expense_only: bool,
    /// Where its sales take goods from.
    pub warehouse: Option<WarehouseId>,
    pub active: bool,
}

impl Record for CashBox {
    const TYPE: &'static str = "cash_box.v1";
}

/// How a sale is paid (or refunded). Wallets are the company's configured local banks and
/// e-wallets (MBank, Optima, O!Bank, Bakai…).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Method {
    Cash,
    Card,
    Transfer,
    Wallet(String),
    /// On credit: the client owes it (a receivable).
    Debt,
}

impl Method {
    pub fn code(&self) -> String {
        match self {
            Method::Cash => "cash".into(),
            Method::Card => "card".into(),
            Method::Transfer => "transfer".into(),
            Method::Wallet(w) => format!("wallet:{w}"),
            Method::Debt => "debt".into(),
        }
    }

    /// Parses a code against the company's wallet list.
    pub fn parse(code: &str, wallets: &[String]) -> Option<Method> {
        match code.trim() {
            "cash" => Some(Method::Cash),
            "card" => Some(Method::Card),
            "transfer" => Some(Method::Transfer),
            "debt" => Some(Method::Debt),
            other => {
                let name = other.strip_prefix("wallet:")?;
                wallets.iter().find(|w| w.as_str() == name).map(|w| Method::Wallet(w.clone()))
            }
        }
    }

    pub fn label(&self, lang: crate::i18n::Lang) -> String {
        let ru = lang == crate::i18n::Lang::Ru;
        match self {
            Method::Cash => (if ru { "Наличные" } else { "Cash" }).into(),
            Method::Card => (if ru { "Карта" } else { "Card" }).into(),
            Method::Transfer => (if ru { "Перевод" } else { "Bank transfer" }).into(),
            Method::Wallet(w) => w.clone(),
            Method::Debt => (if ru { "В долг" } else { "On credit" }).into(),
        }
    }
}

/// Running totals of a shift, updated by every operation that touches it, so an X report or a
/// close never visits the shift's sales (closing is O(1)).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftTotals {
    pub sales: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub sales_amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub discounts: Decimal,
    /// Cost of goods sold (FIFO) of the shift's sales, net of returns.
    #[serde(with = "rust_decimal::serde::str")]
    pub cogs: Decimal,
    pub returns: u64,
    #[serde(with = "rust_decimal::serde::str")]
    pub returns_amount: Decimal,
    /// Sale payments by method code (cash net of change).
    #[serde(with = "decimal_map")]
    pub paid: BTreeMap<String, Decimal>,
    /// Refunds by method code.
    #[serde(with = "decimal_map")]
    pub refunded: BTreeMap<String, Decimal>,
    #[serde(with = "rust_decimal::serde::str")]
    pub cash_in: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cash_out: Decimal,
    /// Debt repayments taken in cash during the shift.
    #[serde(with = "rust_decimal::serde::str")]
    pub debt_cash: Decimal,
}

/// A map of amounts stored as decimal strings (postcard cannot carry `Decimal`'s own
/// self-describing form).
pub(crate) mod decimal_map {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(m: &BTreeMap<String, Decimal>, s: S) -> Result<S::Ok, S::Error> {
        m.iter().map(|(k, v)| (k.as_str(), v.to_string())).collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
        let rows = Vec::<(String, String)>::deserialize(d)?;
        rows.into_iter().map(|(k, v)| v.parse::<Decimal>().map(|v| (k, v)).map_err(serde::de::Error::custom)).collect()
    }
}

impl ShiftTotals {
    pub fn cash_sales(&self) -> Decimal {
        self.paid.get("cash").copied().unwrap_or_default()
    }

    pub fn cash_refunds(&self) -> Decimal {
        self.refunded.get("cash").copied().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShiftStatus {
    Open,
    Closed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Shift {
    pub id: ShiftId,
    /// Per company, gapless: "С-000001".
    pub number: String,
    pub cash_box: CashBoxId,
    pub branch: Option<BranchId>,
    pub cashier: UserId,
    pub status: ShiftStatus,
    pub opened: Ts,
    pub closed: Option<Ts>,
    #[serde(with = "rust_decimal::serde::str")]
    pub opening_cash: Decimal,
    /// Counted at close.
    #[serde(with = "rust_decimal::serde::str_option")]
    pub closing_cash: Option<Decimal>,
    pub totals: ShiftTotals,
    /// Cash-ledger rows written so far (the next row's sequence number).
    pub cash_rows: u64,
}

impl Shift {
    /// expected = opening + cash sales − cash refunds + cash in − cash out (+ debts repaid in cash).
    pub fn expected_cash(&self) -> Decimal {
        let t = &self.totals;
        self.opening_cash + t.cash_sales() - t.cash_refunds() + t.cash_in - t.cash_out + t.debt_cash
    }

    /// Counted − expected: negative is a shortage, positive a surplus.
    pub fn difference(&self) -> Option<Decimal> {
        self.closing_cash.map(|c| c - self.expected_cash())
    }
}

impl Record for Shift {
    const TYPE: &'static str = "shift.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CashKind {
    Opening,
    Sale,
    Refund,
    CashIn,
    CashOut,
    DebtPayment,
}

impl CashKind {
    pub fn code(self) -> &'static str {
        match self {
            CashKind::Opening => "opening",
            CashKind::Sale => "sale",
            CashKind::Refund => "refund",
            CashKind::CashIn => "cash_in",
            CashKind::CashOut => "cash_out",
            CashKind::DebtPayment => "debt_payment",
        }
    }
}

/// One change of the cash in a shift's drawer (append-only; signed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CashEntry {
    pub kind: CashKind,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// What caused it: "sale:123", "return:456", "flow:789".
    pub reference: String,
    pub at: Ts,
    pub user: UserId,
}

impl Record for CashEntry {
    const TYPE: &'static str = "cash_entry.v1";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowStatus {
    Pending,
    Approved,
    Rejected,
}

/// Cash put into or taken out of a box, with a reason; counts only once approved (spec A7).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CashFlow {
    pub id: u64,
    pub cash_box: CashBoxId,
    pub shift: Option<ShiftId>,
    pub income: bool,
    pub reason: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub status: FlowStatus,
    pub created: Ts,
    pub created_by: UserId,
    pub decided: Option<(Ts, UserId)>,
}

impl Record for CashFlow {
    const TYPE: &'static str = "cash_flow.v1";
}

/// A line of a cart or of a sale request, before arithmetic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    /// `None` = a custom item typed at the till.
    pub product: Option<ProductId>,
    pub name: String,
    pub barcode: String,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    /// The product's list price (the base of the seed's arithmetic); the unit price for custom items.
    #[serde(with = "rust_decimal::serde::str")]
    pub list_price: Decimal,
    /// Line discount, an amount.
    #[serde(with = "rust_decimal::serde::str")]
    pub discount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderDiscount {
    None,
    Percent(#[serde(with = "rust_decimal::serde::str")] Decimal),
    Amount(#[serde(with = "rust_decimal::serde::str")] Decimal),
}

/// The open cart of one cashier at one cash box: server-side, so a closed browser or a
/// closed shift never loses it (it carries over to the next shift with a warning).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cart {
    pub id: u64,
    pub cash_box: CashBoxId,
    pub user: UserId,
    pub shift: Option<ShiftId>,
    /// Set when the cart outlived the shift it was started in.
    pub carried_from: Option<ShiftId>,
    pub lines: Vec<CartLine>,
    pub discount: OrderDiscount,
    pub client: Option<ClientId>,
    pub updated: Ts,
}

impl Record for Cart {
    const TYPE: &'static str = "cart.v1";
}

/// The seed's cart arithmetic (spec A6 "Recalculation"), in money rounded half-up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Per line: the amount the line is sold for before the order discount.
    pub line_amounts: Vec<Decimal>,
    pub subtotal: Decimal,
    pub line_discounts: Decimal,
    pub order_discount: Decimal,
    pub discount_total: Decimal,
    pub total: Decimal,
}

pub fn recalc(lines: &[CartLine], discount: OrderDiscount) -> Totals {
    let mut t = Totals::default();
    for l in lines {
        let actual = round_money(l.unit_price * l.qty) - l.discount;
        let base = round_money(l.list_price * l.qty);
        t.subtotal += base.max(actual);
        t.line_discounts += (base - actual).max(Decimal::ZERO);
        t.line_amounts.push(actual);
    }
    let room = (t.subtotal - t.line_discounts).max(Decimal::ZERO);
    let wanted = match discount {
        OrderDiscount::None => Decimal::ZERO,
        OrderDiscount::Percent(p) => round_money(p * t.subtotal / Decimal::ONE_HUNDRED),
        OrderDiscount::Amount(a) => a,
    };
    t.order_discount = wanted.min(room);
    t.discount_total = t.line_discounts + t.order_discount;
    t.total = round_money(t.subtotal - t.discount_total);
    t.subtotal = round_money(t.subtotal);
    t
}

/// Splits `amount` over `weights` proportionally, to the cent, the rounding remainder going to
/// the largest weights first, so the parts sum to `amount` exactly.
pub fn allocate(amount: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    let total: Decimal = weights.iter().copied().filter(|w| *w > Decimal::ZERO).sum();
    if total.is_zero() || amount.is_zero() {
        return vec![Decimal::ZERO; weights.len()];
    }
    let cent = Decimal::new(1, 2);
    let mut parts: Vec<Decimal> = weights
        .iter()
        .map(|w| {
            if *w > Decimal::ZERO {
                (amount * *w / total).round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero)
            } else {
                Decimal::ZERO
            }
        })
        .collect();
    let mut rest = amount - parts.iter().copied().sum::<Decimal>();
    let mut order: Vec<usize> = (0..weights.len()).filter(|i| weights[*i] > Decimal::ZERO).collect();
    order.sort_by(|a, b| weights[*b].cmp(&weights[*a]).then(a.cmp(b)));
    let mut i = 0;
    while rest >= cent && !order.is_empty() {
        parts[order[i % order.len()]] += cent;
        rest -= cent;
        i += 1;
    }
    parts
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    pub method: Method,
    /// Applied to the sale (cash net of change).
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaleLine {
    pub product: Option<ProductId>,
    pub name: String,
    pub barcode: String,
    pub unit: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub unit_price: Decimal,
    /// Line discount plus this line's share of the order discount.
    #[serde(with = "rust_decimal::serde::str")]
    pub discount: Decimal,
    /// What the line was sold for, after every discount.
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    /// FIFO cost at the sale (snapshot of the consumed layers).
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    /// Stock movements the line wrote (the product, or a bundle's components).
    pub moves: Vec<MoveKey>,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned_qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned_amount: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaleStatus {
    Paid,
    /// Some of it is owed by the client.
    Debt,
    /// Every line returned.
    Returned,
}

impl SaleStatus {
    pub fn code(self) -> &'static str {
        match self {
            SaleStatus::Paid => "paid",
            SaleStatus::Debt => "debt",
            SaleStatus::Returned => "returned",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Sale {
    pub id: SaleId,
    /// Per company, gapless: "П-000001".
    pub number: String,
    pub status: SaleStatus,
    pub at: Ts,
    pub cash_box: CashBoxId,
    pub shift: ShiftId,
    pub branch: Option<BranchId>,
    pub warehouse: Option<WarehouseId>,
    pub cashier: UserId,
    pub client: Option<ClientId>,
    pub lines: Vec<SaleLine>,
    #[serde(with = "rust_decimal::serde::str")]
    pub subtotal: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub discount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub total: Decimal,
    pub payments: Vec<Payment>,
    #[serde(with = "rust_decimal::serde::str")]
    pub cash_received: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub change: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub returned: Decimal,
    pub returns: Vec<u64>,
    pub idempotency_key: String,
}

impl Sale {
    pub fn cost(&self) -> Decimal {
        self.lines.iter().map(|l| l.cost).sum()
    }

    pub fn debt(&self) -> Decimal {
        self.payments.iter().filter(|p| p.method == Method::Debt).map(|p| p.amount).sum()
    }
}

impl Record for Sale {
    const TYPE: &'static str = "sale.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReturnLine {
    pub line: usize,
    #[serde(with = "rust_decimal::serde::str")]
    pub qty: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cost: Decimal,
    pub moves: Vec<MoveKey>,
}

/// A return of some or all of a sale's lines, refunded in the shift it was made in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaleReturn {
    pub id: u64,
    /// Per company, gapless: "В-000001".
    pub number: String,
    pub sale: SaleId,
    pub at: Ts,
    pub shift: ShiftId,
    pub user: UserId,
    pub lines: Vec<ReturnLine>,
    pub method: Method,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub reason: String,
    pub idempotency_key: String,
}

impl Record for SaleReturn {
    const TYPE: &'static str = "sale_return.v1";
}

/// A client-chosen key seen before: the request's fingerprint and what it produced.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Idempotent {
    pub fingerprint: [u8; 32],
    /// "sale:123" or "return:456".
    pub result: String,
    pub at: Ts,
}

impl Record for Idempotent {
    const TYPE: &'static str = "idempotency.v1";
}

/// How a weighed-goods barcode is read (spec hardware.md): `PP IIIII VVVVV K` by default —
/// prefix, item (PLU) digits, value digits, EAN-13 check digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightRule {
    pub prefixes: Vec<u8>,
    pub item_digits: u8,
    /// The value is grams (weight) or the price in minor units (price-embedded).
    pub price_embedded: bool,
}

impl Default for WeightRule {
    fn default() -> Self {
        WeightRule { prefixes: (20..=29).collect(), item_digits: 5, price_embedded: false }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosSettings {
    /// Local banks and wallets offered as payment methods.
    pub wallets: Vec<String>,
    pub weight_rule: WeightRule,
}

impl Default for PosSettings {
    fn default() -> Self {
        PosSettings { wallets: ["MBank", "Optima", "O!Bank", "Bakai"].map(String::from).to_vec(), weight_rule: WeightRule::default() }
    }
}

impl Record for PosSettings {
    const TYPE: &'static str = "pos_settings.v1";
}

/// A scanned weighed-goods code: the item number and the quantity (kg) or the embedded price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Weighed {
    Weight { item: u32, kg: Decimal },
    Price { item: u32, amount: Decimal },
}

impl WeightRule {
    /// Reads a 13-digit code by this rule; `None` when it is not one (wrong prefix, length or
    /// check digit).
    pub fn parse(&self, code: &str) -> Option<Weighed> {
        let b = code.as_bytes();
        if b.len() != 13 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let digits: Vec<u8> = b.iter().map(|c| c - b'0').collect();
        if crate::catalog::barcode::gtin_check_digit(&digits[..12]) != digits[12] {
            return None;
        }
        let prefix = digits[0] * 10 + digits[1];
        if !self.prefixes.contains(&prefix) {
            return None;
        }
        let n = usize::from(self.item_digits.clamp(1, 9));
        if 2 + n >= 12 {
            return None;
        }
        let num = |ds: &[u8]| ds.iter().fold(0u64, |acc, d| acc * 10 + u64::from(*d));
        let item = u32::try_from(num(&digits[2..2 + n])).ok()?;
        let value = num(&digits[2 + n..12]);
        if self.price_embedded {
            Some(Weighed::Price { item, amount: Decimal::new(i64::try_from(value).ok()?, 2) })
        } else {
            if value == 0 {
                return None;
            }
            Some(Weighed::Weight { item, kg: Decimal::new(i64::try_from(value).ok()?, 3) })
        }
    }
}

impl WeightRule {
    /// The code a label or a label scale prints for `item` weighing `grams` (or, under a
    /// price-embedded rule, costing `amount`): the rule's first prefix, the item and the value
    /// zero-padded, the EAN-13 check digit. `None` when the item or value does not fit its
    /// digits or the weight is zero — the inverse of [`WeightRule::parse`].
    pub fn encode(&self, item: u32, grams: i64, amount: Decimal) -> Option<String> {
        let prefix = *self.prefixes.first()?;
        let n = usize::from(self.item_digits.clamp(1, 9));
        if 2 + n >= 12 || prefix > 99 {
            return None;
        }
        let value_digits = 10 - n;
        let value = if self.price_embedded {
            let minor = (amount * Decimal::ONE_HUNDRED).round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            i64::try_from(minor).ok()?
        } else {
            grams
        };
        if value < 0 || (!self.price_embedded && value == 0) {
            return None;
        }
        let item_s = format!("{item:0n$}");
        let value_s = format!("{value:0value_digits$}");
        if item_s.len() != n || value_s.len() != value_digits {
            return None;
        }
        Some(crate::catalog::barcode::ean13_with_check(&format!("{prefix:02}{item_s}{value_s}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().expect("decimal")
    }

    fn line(unit: &str, list: &str, qty: &str, disc: &str) -> CartLine {
        CartLine {
            product: None,
            name: "x".into(),
            barcode: String::new(),
            unit: "pcs".into(),
            qty: d(qty),
            unit_price: d(unit),
            list_price: d(list),
            discount: d(disc),
        }
    }

    #[test]
    fn the_seed_cart_arithmetic() {
        // A raised price counts at the raised amount; a lowered one as a line discount.
        let lines = [line("120", "100", "2", "0"), line("100", "100", "1", "10"), line("90", "100", "1", "0")];
        let t = recalc(&lines, OrderDiscount::Percent(d("10")));
        assert_eq!(t.line_amounts, vec![d("240.00"), d("90.00"), d("90.00")]);
        assert_eq!(t.subtotal, d("440.00"));
        assert_eq!(t.line_discounts, d("20.00"));
        assert_eq!(t.order_discount, d("44.00"));
        assert_eq!(t.total, d("376.00"));
        // The order discount is capped at what is left after line discounts.
        let t = recalc(&[line("100", "100", "1", "30")], OrderDiscount::Amount(d("500")));
        assert_eq!((t.order_discount, t.total), (d("70.00"), d("0.00")));
    }

    #[test]
    fn allocation_sums_exactly() {
        let parts = allocate(d("10.00"), &[d("1"), d("1"), d("1")]);
        assert_eq!(parts.iter().copied().sum::<Decimal>(), d("10.00"));
        assert_eq!(parts, vec![d("3.34"), d("3.33"), d("3.33")]);
        assert_eq!(allocate(d("0.05"), &[d("0"), d("2")]), vec![d("0"), d("0.05")]);
    }

    #[test]
    fn weighed_barcodes() {
        let rule = WeightRule::default();
        let code = crate::catalog::barcode::ean13_with_check("220001501500");
        assert_eq!(rule.parse(&code), Some(Weighed::Weight { item: 15, kg: d("1.500") }));
        // Wrong check digit, wrong prefix, zero weight.
        let mut bad = code.clone();
        bad.replace_range(12..13, if code.ends_with('0') { "1" } else { "0" });
        assert_eq!(rule.parse(&bad), None);
        assert_eq!(rule.parse(&crate::catalog::barcode::ean13_with_check("460000150150")), None);
        assert_eq!(rule.parse(&crate::catalog::barcode::ean13_with_check("220001500000")), None);
        let price = WeightRule { price_embedded: true, ..WeightRule::default() };
        assert_eq!(price.parse(&code), Some(Weighed::Price { item: 15, amount: d("15.00") }));
        // Encoding is parsing's inverse, and refuses what does not fit.
        assert_eq!(rule.encode(15, 1500, Decimal::ZERO), Some(crate::catalog::barcode::ean13_with_check("200001501500")));
        assert_eq!(rule.encode(15, 1500, Decimal::ZERO).and_then(|c| rule.parse(&c)), Some(Weighed::Weight { item: 15, kg: d("1.500") }));
        assert_eq!(price.encode(15, 0, d("15.004")).and_then(|c| price.parse(&c)), Some(Weighed::Price { item: 15, amount: d("15.00") }));
        assert_eq!(rule.encode(100_000, 1500, Decimal::ZERO), None);
        assert_eq!(rule.encode(15, 100_000, Decimal::ZERO), None);
        assert_eq!(rule.encode(15, 0, Decimal::ZERO), None);
    }
}
