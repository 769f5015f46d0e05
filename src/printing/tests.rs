//! Golden files of ESC/POS bytes (one receipt per code-page profile) and round trips through
//! the decoder. `DUKAN_BLESS=1 cargo test --lib printing` rewrites the golden files.

use rust_decimal::Decimal;

use super::codepage::CodePage;
use super::escpos::{self, Health, Model, Op, Profile, Width};
use super::receipt::{Receipt, ReceiptLine, Report};

fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn sample_receipt() -> Receipt {
    Receipt {
        company: "Дукан Ош".into(),
        header: vec!["г. Ош, ул. Ленина 1".into(), "ИНН 01234567890123".into()],
        number: "П-000042".into(),
        at: "2026-12-03 10:15".into(),
        cashier: "Айгүл".into(),
        cash_box: "Касса 1".into(),
        lines: vec![
            ReceiptLine {
                name: "Хлеб белый".into(),
                qty: d("2"),
                unit: "шт".into(),
                unit_price: d("35.00"),
                discount: d("0"),
                amount: d("70.00"),
            },
            ReceiptLine {
                name: "Өрүк кургатылган".into(),
                qty: d("0.455"),
                unit: "кг".into(),
                unit_price: d("420.00"),
                discount: d("11.10"),
                amount: d("180.00"),
            },
        ],
        subtotal: d("261.10"),
        discount: d("11.10"),
        total: d("250.00"),
        payments: vec![("Наличные".into(), d("250.00"))],
        cash_received: d("300.00"),
        change: d("50.00"),
        paid_in_cash: true,
        qr: "DUKAN:П-000042:1234".into(),
        copy: false,
    }
}

fn profiles() -> Vec<(&'static str, Profile)> {
    let p = |model, code_page, width, cancel_kanji| Profile {
        model,
        code_page,
        table: Model::table(model, code_page).expect("table"),
        width,
        cancel_kanji,
    };
    vec![
        ("epson-pc866-58", p(Model::Epson, CodePage::Pc866, Width::Mm58, false)),
        ("epson-wpc1251-80", p(Model::Epson, CodePage::Wpc1251, Width::Mm80, false)),
        ("epson-kz1048-80", p(Model::Epson, CodePage::Kz1048, Width::Mm80, false)),
        ("xprinter-pc866-58", p(Model::Xprinter, CodePage::Pc866, Width::Mm58, true)),
        ("xprinter-wpc1251-80", p(Model::Xprinter, CodePage::Wpc1251, Width::Mm80, true)),
    ]
}

fn page_of(model: Model) -> impl Fn(u8) -> Option<CodePage> {
    move |n| CodePage::ALL.into_iter().find(|p| model.table(*p) == Some(n))
}

/// A readable listing of decoded ops, committed next to each golden file for review.
fn listing(ops: &[Op]) -> String {
    ops.iter().map(|op| format!("{op:?}\n")).collect::<String>().replace('\u{0}', "")
}

#[test]
fn receipts_match_golden_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/escpos");
    let bless = std::env::var_os("DUKAN_BLESS").is_some();
    for (name, profile) in profiles() {
        let bytes = escpos::encode(&sample_receipt().layout(profile.width.chars()), &profile);
        let ops = escpos::decode(&bytes, &page_of(profile.model));
        let bin = dir.join(format!("receipt-{name}.bin"));
        let txt = dir.join(format!("receipt-{name}.txt"));
        if bless {
            std::fs::create_dir_all(&dir).expect("golden dir");
            std::fs::write(&bin, &bytes).expect("write golden");
            std::fs::write(&txt, listing(&ops)).expect("write listing");
        }
        let golden = std::fs::read(&bin).unwrap_or_default();
        assert!(golden == bytes, "{name}: ESC/POS bytes differ from {} (DUKAN_BLESS=1 to accept)", bin.display());
        assert_eq!(std::fs::read_to_string(&txt).unwrap_or_default(), listing(&ops), "{name} listing");
    }
}

#[test]
fn every_profile_prints_the_same_text() {
    for (name, profile) in profiles() {
        let bytes = escpos::encode(&sample_receipt().layout(profile.width.chars()), &profile);
        let ops = escpos::decode(&bytes, &page_of(profile.model));
        let text = escpos::text_of(&ops);
        for expected in ["Дукан Ош", "П-000042", "Хлеб белый", "Өрүк кургатылган", "Айгүл", "250.00", "Сдача", "50.00"]
        {
            assert!(text.contains(expected), "{name}: {expected:?} missing from\n{text}");
        }
        // Init, then FS . on clones, then the code table — and nothing of it on Epson.
        let mut head = vec![Op::Init];
        if profile.cancel_kanji {
            head.push(Op::CancelKanji);
        }
        head.push(Op::Table(profile.table));
        assert_eq!(&ops[..head.len()], &head[..], "{name}");
        assert!(ops.contains(&Op::Qr("DUKAN:П-000042:1234".into())), "{name}");
        assert!(ops.contains(&Op::Cut) && ops.contains(&Op::Drawer), "{name}");
        // Kyrgyz letters go raster exactly when the page lacks them.
        let rasters = ops.iter().filter(|o| matches!(o, Op::Raster { .. })).count();
        assert_eq!(rasters > 0, profile.code_page != CodePage::Kz1048, "{name}: {rasters} raster lines");
    }
}

#[test]
fn raster_lines_have_the_paper_width() {
    let profile = profiles().remove(0).1;
    let bytes = escpos::encode(&sample_receipt().layout(32), &profile);
    for op in escpos::decode(&bytes, &page_of(Model::Epson)) {
        if let Op::Raster { width_bytes, rows, .. } = op {
            assert_eq!((width_bytes, rows % 24), (384 / 8, 0));
        }
    }
}

#[test]
fn no_drawer_for_card_payments_or_copies() {
    let profile = profiles().remove(2).1;
    let mut card = sample_receipt();
    card.paid_in_cash = false;
    let mut copy = sample_receipt();
    copy.copy = true;
    for r in [card, copy] {
        let ops = escpos::decode(&escpos::encode(&r.layout(48), &profile), &page_of(Model::Epson));
        assert!(!ops.contains(&Op::Drawer));
        assert!(ops.contains(&Op::Cut));
    }
}

#[test]
fn z_report_lays_out_label_value_rows() {
    let report = Report {
        company: "Дукан".into(),
        closing: true,
        shift: "С-000003".into(),
        cash_box: "Касса 1".into(),
        cashier: "Айгүл".into(),
        opened: "2026-12-03 09:00".into(),
        closed: "2026-12-03 21:00".into(),
        rows: vec![("Сумма продаж".into(), "12500.00".into()), ("Расхождение".into(), "0.00".into())],
    };
    let profile = profiles().remove(2).1;
    let text = escpos::text_of(&escpos::decode(&escpos::encode(&report.layout(48), &profile), &page_of(Model::Epson)));
    assert!(text.contains("Z-ОТЧЁТ"), "{text}");
    assert!(text.contains(&format!("Сумма продаж{}12500.00", " ".repeat(48 - 12 - 8))), "{text}");
}

#[test]
fn test_page_prints_every_candidate_table() {
    let profile = profiles().remove(0).1;
    let bytes = super::receipt::test_page("Чеки", Model::Epson, 17, &profile);
    let tables: Vec<u8> = escpos::decode(&bytes, &page_of(Model::Epson))
        .into_iter()
        .filter_map(|o| match o {
            Op::Table(n) if n != 0 => Some(n),
            _ => None,
        })
        .collect();
    assert_eq!(tables, vec![17, 17, 46, 53, 17]);
}

#[test]
fn status_answers() {
    let check = |a: [u8; 3], expected: Health| assert_eq!(Health::from_answers(a), expected, "{a:?}");
    check([0x12, 0x12, 0x12], Health::Ready);
    check([0x12, 0x12, 0x72], Health::PaperOut);
    check([0x12, 0x32, 0x12], Health::PaperOut);
    check([0x12, 0x16, 0x12], Health::CoverOpen);
    check([0x1A, 0x12, 0x12], Health::Offline);
    check([0x12, 0x12, 0x1E], Health::PaperNearEnd);
    check([0x00, 0x00, 0x00], Health::Unknown);
}
