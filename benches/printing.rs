//! Receipt encoding cost (`cargo bench --bench printing`; numbers go to BENCHMARKS.md): lay out
//! and encode a 10-line receipt for an 80 mm printer, once where every character is in the code
//! page (KZ-1048) and once where Kyrgyz letters force raster lines (PC866).

use std::time::Instant;

use dukan::printing::codepage::CodePage;
use dukan::printing::escpos::{self, Model, Profile, Width};
use dukan::printing::receipt::{Receipt, ReceiptLine};
use rust_decimal::Decimal;

fn receipt() -> Receipt {
    let line = |i: u32| ReceiptLine {
        name: if i.is_multiple_of(3) { format!("Өрүк кургатылган {i}") } else { format!("Молоко 3,2% 1 л №{i}") },
        qty: Decimal::from(i),
        unit: "шт".into(),
        unit_price: Decimal::new(8550, 2),
        discount: Decimal::ZERO,
        amount: Decimal::new(8550, 2) * Decimal::from(i),
    };
    Receipt {
        company: "Дукан Ош".into(),
        header: vec!["г. Ош, ул. Ленина 1".into()],
        number: "П-000042".into(),
        at: "2026-12-03 10:15".into(),
        cashier: "Айгүл".into(),
        cash_box: "Касса 1".into(),
        lines: (1..=10).map(line).collect(),
        subtotal: Decimal::new(470250, 2),
        discount: Decimal::ZERO,
        total: Decimal::new(470250, 2),
        payments: vec![("Наличные".into(), Decimal::new(470250, 2))],
        cash_received: Decimal::new(500000, 2),
        change: Decimal::new(29750, 2),
        paid_in_cash: true,
        qr: "DUKAN:П-000042:1234".into(),
        copy: false,
    }
}

fn main() {
    let r = receipt();
    for page in [CodePage::Kz1048, CodePage::Pc866] {
        let profile = Profile {
            model: Model::Epson,
            code_page: page,
            table: Model::Epson.table(page).unwrap_or(17),
            width: Width::Mm80,
            cancel_kanji: false,
        };
        let n = 2_000;
        let start = Instant::now();
        let mut bytes = 0;
        for _ in 0..n {
            bytes += escpos::encode(&r.layout(48), &profile).len();
        }
        let per = start.elapsed() / n;
        println!("{}: {per:?} per receipt, {} bytes", page.label(), bytes / n as usize);
    }
}
