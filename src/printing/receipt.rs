//! The documents a printer prints, as plain data laid out into a `Doc` for a line width: the
//! sale receipt, the X/Z shift report and the code-page test page. The HTML preview on the sale
//! page renders the same `Doc`, so what the screen shows is what the paper gets.

use rust_decimal::Decimal;

use super::codepage::CodePage;
use super::escpos::{Align, Block, Doc, Model, select_table};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLine {
    pub name: String,
    pub qty: Decimal,
    pub unit: String,
    pub unit_price: Decimal,
    /// Line discount (already subtracted from `amount`).
    pub discount: Decimal,
    pub amount: Decimal,
}

/// A sale receipt: everything printed, nothing looked up later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub company: String,
    /// Address, INN, phones — printed small under the name, one per line.
    pub header: Vec<String>,
    pub number: String,
    /// Local time, already formatted.
    pub at: String,
    pub cashier: String,
    pub cash_box: String,
    pub lines: Vec<ReceiptLine>,
    pub subtotal: Decimal,
    pub discount: Decimal,
    pub total: Decimal,
    /// (method label, amount) — the cash amount is what stays in the drawer.
    pub payments: Vec<(String, Decimal)>,
    pub cash_received: Decimal,
    pub change: Decimal,
    pub paid_in_cash: bool,
    /// The sale reference carried by the QR code.
    pub qr: String,
    pub copy: bool,
}

/// An X (interim) or Z (closing) shift report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub company: String,
    pub closing: bool,
    pub shift: String,
    pub cash_box: String,
    pub cashier: String,
    pub opened: String,
    pub closed: String,
    /// (label, value) rows in print order.
    pub rows: Vec<(String, String)>,
}

fn money(d: Decimal) -> String {
    format!("{:.2}", d)
}

fn qty(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Splits `text` into pieces of at most `width` characters, at spaces when possible.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        while word.len() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.push(word.drain(..width).collect());
        }
        let word: String = word.into_iter().collect();
        let needed = current.chars().count() + usize::from(!current.is_empty()) + word.chars().count();
        if needed > width && !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// `left` and `right` on one line of `width`, or `left` wrapped with `right` under it.
fn pair(doc: &mut Doc, width: usize, left: &str, right: &str, bold: bool) {
    let (l, r) = (left.chars().count(), right.chars().count());
    if l + r < width {
        let text = format!("{left}{}{right}", " ".repeat(width - l - r));
        doc.blocks.push(Block::Line { text, align: Align::Left, bold, big: false });
        return;
    }
    for piece in wrap(left, width) {
        doc.blocks.push(Block::Line { text: piece, align: Align::Left, bold, big: false });
    }
    doc.blocks.push(Block::Line { text: right.to_string(), align: Align::Right, bold, big: false });
}

fn rule(doc: &mut Doc, width: usize) {
    doc.line("-".repeat(width), Align::Left);
}

fn centred(doc: &mut Doc, width: usize, text: &str, bold: bool, big: bool) {
    let w = if big { width / 2 } else { width };
    for piece in wrap(text, w) {
        doc.blocks.push(Block::Line { text: piece, align: Align::Center, bold, big });
    }
}

impl Receipt {
    pub fn layout(&self, width: usize) -> Doc {
        let mut doc = Doc { cut: true, drawer: self.paid_in_cash && !self.copy, ..Doc::default() };
        centred(&mut doc, width, &self.company, true, true);
        for h in &self.header {
            centred(&mut doc, width, h, false, false);
        }
        rule(&mut doc, width);
        if self.copy {
            centred(&mut doc, width, "КОПИЯ", true, false);
        }
        pair(&mut doc, width, "Продажа", &self.number, true);
        pair(&mut doc, width, "Дата", &self.at, false);
        pair(&mut doc, width, "Кассир", &self.cashier, false);
        pair(&mut doc, width, "Касса", &self.cash_box, false);
        rule(&mut doc, width);
        for line in &self.lines {
            for piece in wrap(&line.name, width) {
                doc.line(piece, Align::Left);
            }
            let unit = if line.unit.is_empty() { String::new() } else { format!(" {}", line.unit) };
            pair(&mut doc, width, &format!("  {}{unit} x {}", qty(line.qty), money(line.unit_price)), &money(line.amount), false);
            if !line.discount.is_zero() {
                pair(&mut doc, width, "  Скидка", &format!("-{}", money(line.discount)), false);
            }
        }
        rule(&mut doc, width);
        if !self.discount.is_zero() {
            pair(&mut doc, width, "Сумма без скидки", &money(self.subtotal), false);
            pair(&mut doc, width, "Скидка", &format!("-{}", money(self.discount)), false);
        }
        let total = money(self.total);
        let half = width / 2;
        if 5 + total.len() < half {
            let text = format!("ИТОГО{}{total}", " ".repeat(half - 5 - total.chars().count()));
            doc.blocks.push(Block::Line { text, align: Align::Left, bold: true, big: true });
        } else {
            pair(&mut doc, width, "ИТОГО", &total, true);
        }
        for (label, amount) in &self.payments {
            pair(&mut doc, width, label, &money(*amount), false);
        }
        if !self.change.is_zero() {
            pair(&mut doc, width, "Получено наличными", &money(self.cash_received), false);
            pair(&mut doc, width, "Сдача", &money(self.change), true);
        }
        rule(&mut doc, width);
        doc.blocks.push(Block::Qr(self.qr.clone()));
        centred(&mut doc, width, &self.qr, false, false);
        centred(&mut doc, width, "Спасибо за покупку!", false, false);
        doc.blocks.push(Block::Feed(2));
        doc
    }
}

impl Report {
    pub fn layout(&self, width: usize) -> Doc {
        let mut doc = Doc { cut: true, ..Doc::default() };
        centred(&mut doc, width, &self.company, true, false);
        centred(&mut doc, width, if self.closing { "Z-ОТЧЁТ" } else { "X-ОТЧЁТ" }, true, true);
        rule(&mut doc, width);
        pair(&mut doc, width, "Смена", &self.shift, true);
        pair(&mut doc, width, "Касса", &self.cash_box, false);
        pair(&mut doc, width, "Кассир", &self.cashier, false);
        pair(&mut doc, width, "Открыта", &self.opened, false);
        if !self.closed.is_empty() {
            pair(&mut doc, width, "Закрыта", &self.closed, false);
        }
        rule(&mut doc, width);
        for (label, value) in &self.rows {
            pair(&mut doc, width, label, value, false);
        }
        doc.blocks.push(Block::Feed(2));
        doc
    }
}

/// The sample printed under each candidate code page of the test page: Russian and Kyrgyz.
pub const SAMPLE: &str = "Ёё Жж Щщ Юю Яя № Өө Үү Ңң";

/// The test page: for every code page the model can select, its `ESC t n` and the sample
/// encoded in it, so the shop sees which one prints correctly. Returns raw bytes (it switches
/// tables mid-job, which no other document does).
pub fn test_page(printer: &str, model: Model, table: u8, profile: &super::escpos::Profile) -> Vec<u8> {
    let width = profile.width.chars();
    let mut head = Doc::default();
    centred(&mut head, width, printer, true, false);
    centred(&mut head, width, "Тестовая страница / Test page", false, false);
    rule(&mut head, width);
    let mut out = super::escpos::encode(&head, profile);
    let mut candidates: Vec<(CodePage, u8)> = CodePage::ALL.iter().filter_map(|p| model.table(*p).map(|n| (*p, n))).collect();
    if !candidates.iter().any(|(p, n)| *p == profile.code_page && *n == table) {
        candidates.push((profile.code_page, table));
    }
    for (page, n) in candidates {
        out.extend(select_table(0));
        out.extend(format!("ESC t {n}: {}\n", page.label()).bytes());
        out.extend(select_table(n));
        out.extend(SAMPLE.chars().map(|c| page.encode(c).unwrap_or(b'?')));
        out.push(b'\n');
    }
    out.extend(select_table(table));
    let mut tail = Doc { cut: true, ..Doc::default() };
    rule(&mut tail, width);
    tail.line(format!("{} / ESC t {table}", profile.code_page.label()), Align::Left);
    tail.line(SAMPLE, Align::Left);
    tail.blocks.push(Block::Feed(2));
    let body = super::escpos::encode(&tail, profile);
    out.extend(&body[super::escpos::init(profile).len()..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_long_words() {
        let check = |text: &str, width: usize, expected: &[&str]| assert_eq!(wrap(text, width), expected, "{text}");
        check("Молоко Простоквашино 3,2%", 10, &["Молоко", "Простокваш", "ино 3,2%"]);
        check("", 10, &[""]);
        check("Хлеб", 10, &["Хлеб"]);
    }
}
