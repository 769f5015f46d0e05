//! The shape every analytics tab beside sales reports in: key figures and named tables of
//! typed cells, with which columns a chart draws. One shape serves the JSON API (a table is a
//! list of objects keyed by column), the page (one template for every tab) and the XLSX export
//! (a sheet per table), so the three can never disagree on a number.

use rust_decimal::Decimal;

use crate::money::round_money;

/// The tabs of `/analytics/<tab>` (the sales tab is `/analytics` itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Stock,
    CashBoxes,
    Shifts,
    Products,
    Users,
    Finance,
}

impl Tab {
    pub const ALL: [Tab; 6] = [Tab::Stock, Tab::CashBoxes, Tab::Shifts, Tab::Products, Tab::Users, Tab::Finance];

    /// The path segment and the i18n key suffix.
    pub fn code(self) -> &'static str {
        match self {
            Tab::Stock => "stock",
            Tab::CashBoxes => "cash_boxes",
            Tab::Shifts => "shifts",
            Tab::Products => "products",
            Tab::Users => "users",
            Tab::Finance => "finance",
        }
    }

    pub fn parse(code: &str) -> Option<Tab> {
        Tab::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// One value. Money keeps two places, quantities up to three; `None` in a ratio means "no
/// basis" (nothing sold, nothing to divide by), shown as a dash and sent as null.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// A record id (product, user, shift, cash box); null when there is none.
    Id(Option<u64>),
    Money(Decimal),
    Qty(Decimal),
    /// Percent to one place.
    Percent(Option<Decimal>),
    /// Days to one place.
    Days(Option<Decimal>),
}

impl Cell {
    pub fn money(d: Decimal) -> Cell {
        Cell::Money(round_money(d))
    }

    /// `part ÷ whole × 100` to one place, `None` when `whole` is zero.
    pub fn share(part: Decimal, whole: Decimal) -> Cell {
        Cell::Percent((!whole.is_zero()).then(|| (part * Decimal::ONE_HUNDRED / whole).round_dp(1)))
    }

    /// The value as plain text for JSON: "12.50", "3", null.
    pub fn plain(&self) -> Option<String> {
        match self {
            Cell::Text(s) => Some(s.clone()),
            Cell::Count(n) => Some(n.to_string()),
            Cell::Id(id) => id.map(|i| i.to_string()),
            Cell::Money(d) => Some(round_money(*d).to_string()),
            Cell::Qty(d) => Some(d.normalize().to_string()),
            Cell::Percent(p) | Cell::Days(p) => p.map(|p| format!("{p:.1}")),
        }
    }
}

/// A chart over a table: horizontal bars (label column → value column, a category share or a
/// ranking) or vertical bars over time (label column → one bar series and an optional line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Bars { label: usize, value: usize },
    Series { label: usize, bars: usize, line: Option<usize> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Stable id: the JSON key, the HTML id and the i18n key `tabs.table.<id>`.
    pub id: &'static str,
    /// Column keys: JSON field names and i18n keys `tabs.col.<key>`.
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    pub chart: Option<Chart>,
}

impl Table {
    pub fn new(id: &'static str, columns: &[&'static str]) -> Table {
        Table { id, columns: columns.to_vec(), rows: Vec::new(), chart: None }
    }

    pub fn chart(mut self, chart: Chart) -> Table {
        self.chart = Some(chart);
        self
    }

    /// The cell of `column` in row `i` (tests and callers that pick one value).
    pub fn cell(&self, i: usize, column: &str) -> Option<&Cell> {
        let col = self.columns.iter().position(|c| *c == column)?;
        self.rows.get(i)?.get(col)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    /// JSON key and i18n key `tabs.fig.<key>`.
    pub key: &'static str,
    pub value: Cell,
}

/// One tab over one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabReport {
    pub tab: Tab,
    /// "YYYY-MM-DD", both inclusive.
    pub from: String,
    pub to: String,
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
}

impl TabReport {
    pub fn figure(&self, key: &str) -> Option<&Cell> {
        self.figures.iter().find(|f| f.key == key).map(|f| &f.value)
    }

    pub fn table(&self, id: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.id == id)
    }
}

pub(crate) fn fig(key: &'static str, value: Cell) -> Figure {
    Figure { key, value }
}

/// Rows sorted by a money or quantity column, largest first, ties by the first column's text.
pub(crate) fn sort_desc(rows: &mut [Vec<Cell>], col: usize) {
    let key = |r: &Vec<Cell>| match r.get(col) {
        Some(Cell::Money(d) | Cell::Qty(d)) => *d,
        Some(Cell::Count(n)) => Decimal::from(*n),
        _ => Decimal::ZERO,
    };
    let name = |r: &Vec<Cell>| match r.first() {
        Some(Cell::Text(s)) => s.clone(),
        _ => String::new(),
    };
    rows.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| name(a).cmp(&name(b))));
}

/// Runs `f` with the tab's report for `tab` (the dispatch the API and the pages share).
pub fn report(
    tx: &crate::storage::ReadTx,
    actor: &crate::tenancy::actor::Actor,
    now: crate::clock::Ts,
    tab: Tab,
    q: &super::Query,
) -> crate::error::Result<TabReport> {
    match tab {
        Tab::Stock => super::stock::report(tx, actor, now, q),
        Tab::CashBoxes => super::cash::report(tx, actor, now, q),
        Tab::Shifts => super::shifts::report(tx, actor, now, q),
        Tab::Products => super::products::report(tx, actor, now, q),
        Tab::Users => super::users::report(tx, actor, now, q),
        Tab::Finance => super::finance::report(tx, actor, now, q),
    }
}

/// The report as an XLSX workbook: a sheet of figures, then a sheet per table, headers and
/// titles in `lang`; id columns are left out (they mean nothing in a spreadsheet).
pub fn workbook(lang: crate::i18n::Lang, r: &TabReport) -> crate::error::Result<Vec<u8>> {
    let title = format!("{} {}…{}", lang.t(&format!("tabs.{}", r.tab.code())), r.from, r.to);
    workbook_of(lang, title, &r.figures, &r.tables)
}

/// Figures and tables as a workbook under `title` (the tabs' and the agents' report).
pub fn workbook_of(lang: crate::i18n::Lang, title: String, figures: &[Figure], tables: &[Table]) -> crate::error::Result<Vec<u8>> {
    use crate::xlsx::{Cell as X, Sheet};
    let x = |c: &Cell| match c {
        Cell::Text(s) => X::Text(s.clone()),
        Cell::Count(n) => X::Qty(Decimal::from(*n)),
        Cell::Money(d) => X::Money(*d),
        Cell::Qty(d) => X::Qty(*d),
        Cell::Percent(p) | Cell::Days(p) => p.map(X::Qty).unwrap_or_else(|| X::Text("—".into())),
        Cell::Id(id) => X::Text(id.map(|i| i.to_string()).unwrap_or_default()),
    };
    let figures: Vec<Vec<crate::xlsx::Cell>> =
        figures.iter().map(|f| vec![X::Text(lang.t(&format!("tabs.fig.{}", f.key)).to_string()), x(&f.value)]).collect();
    let mut sheets_of = Vec::new();
    for t in tables {
        let keep: Vec<usize> =
            (0..t.columns.len()).filter(|i| !t.rows.iter().any(|row| matches!(row.get(*i), Some(Cell::Id(_))))).collect();
        let headers: Vec<String> =
            keep.iter().filter_map(|i| t.columns.get(*i)).map(|c| lang.t(&format!("tabs.col.{c}")).to_string()).collect();
        let rows: Vec<Vec<crate::xlsx::Cell>> = t.rows.iter().map(|row| keep.iter().filter_map(|i| row.get(*i)).map(x).collect()).collect();
        sheets_of.push((lang.t(&format!("tabs.table.{}", t.id)).to_string(), headers, rows));
    }
    let mut sheets =
        vec![Sheet { title, headers: vec![lang.t("tabs.figure").to_string(), lang.t("tabs.value").to_string()], rows: &figures }];
    for (title, headers, rows) in &sheets_of {
        sheets.push(Sheet { title: title.clone(), headers: headers.clone(), rows });
    }
    crate::xlsx::workbook_sheets(&sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_print_plainly_and_shares_round_to_one_place() {
        assert_eq!(Cell::money(Decimal::new(12345, 3)).plain().as_deref(), Some("12.35"));
        assert_eq!(Cell::Money(Decimal::ZERO).plain().as_deref(), Some("0.00"));
        assert_eq!(Cell::Qty(Decimal::new(2500, 3)).plain().as_deref(), Some("2.5"));
        assert_eq!(Cell::share(Decimal::ONE, Decimal::from(3)), Cell::Percent(Some(Decimal::new(333, 1))));
        assert_eq!(Cell::share(Decimal::ONE, Decimal::ZERO).plain(), None);
        assert_eq!(Tab::parse("cash_boxes"), Some(Tab::CashBoxes));
        assert_eq!(Tab::parse("sales"), None);
    }
}
