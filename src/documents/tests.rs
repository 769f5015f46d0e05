//! Layout checks that need no PDF reader: tables break across pages with their header row
//! repeated, every page is numbered, long cells wrap inside their column, amounts never
//! break at their no-break spaces, and both faces carry the Kyrgyz letters. The text of real
//! PDFs is checked in `tests/it/documents.rs`.

use super::layout::{BOLD, REGULAR};
use super::*;

fn table(rows: usize) -> Document {
    let column = |title: &str, width: f32, align: Align| Column { title: title.into(), width, align };
    Document {
        header: CompanyHeader {
            name: "ОсОО «Дукан»".into(), details: vec!["ИНН 01234567890123".into(), String::new()], logo: None
        },
        title: "АКТ".into(),
        subtitle: vec!["за период".into()],
        blocks: vec![
            Block::Table(Table {
                columns: vec![column("№", 10.0, Align::Right), column("Документ", 60.0, Align::Left), column("Сумма", 30.0, Align::Right)],
                rows: (1..=rows)
                    .map(|i| Row::body(vec![i.to_string(), format!("Строка {i}"), format!("{i},00")]))
                    .chain([Row::total(vec![String::new(), "Итого".into(), "1\u{a0}000,00".into()])])
                    .collect(),
            }),
            Block::Signatures(vec!["Продавец".into(), "Покупатель".into()]),
        ],
        page_label: PAGE_RU.into(),
        metadata_title: String::new(),
    }
}

#[test]
fn a_long_table_breaks_across_pages_repeating_its_header_and_numbering_every_page() {
    let pages = layout(&table(120)).expect("layout");
    assert!(pages.len() >= 3, "{} pages", pages.len());
    let n = pages.len();
    for (i, page) in pages.iter().enumerate() {
        let texts = page.texts();
        // Every page the table reaches repeats its header row once; the signatures may sit
        // alone on a last page.
        let reached = texts.iter().any(|t| t.starts_with("Строка") || *t == "Итого");
        assert_eq!(texts.iter().filter(|t| **t == "Документ").count(), usize::from(reached), "page {} repeats the header row once", i + 1);
        assert_eq!(texts.last().copied(), Some(format!("Страница {} из {n}", i + 1).as_str()));
    }
    // The company header is on the first page only; every row is on exactly one page.
    assert_eq!(pages.iter().filter(|p| p.texts().contains(&"ОсОО «Дукан»")).count(), 1);
    for i in 1..=120 {
        let row = format!("Строка {i}");
        assert_eq!(pages.iter().filter(|p| p.texts().contains(&row.as_str())).count(), 1, "{row}");
    }
    // The totals follow the last row and the signatures end the document, wherever the page
    // breaks fall (the signatures may take a page of their own).
    let all: Vec<&str> = pages.iter().flat_map(|p| p.texts()).collect();
    let total_at = all.iter().position(|t| *t == "Итого").expect("a totals row");
    assert!(all.iter().position(|t| *t == "Строка 120").is_some_and(|row| row < total_at), "{all:?}");
    assert_eq!(all.get(total_at + 1..).and_then(|rest| rest.iter().find(|t| t.contains("000,00"))).copied(), Some("1\u{a0}000,00"));
    assert!(pages[n - 1].texts().contains(&"Покупатель"), "{:?}", pages[n - 1].texts());
    // Nothing is drawn below the body except the page number.
    for page in &pages {
        for item in &page.items {
            if let Item::Text { y, text, .. } = item
                && !text.starts_with("Страница")
            {
                assert!(*y < layout::PAGE_H - 56.0, "{text} at {y}");
            }
        }
    }
}

#[test]
fn a_short_document_is_one_page_and_long_cells_wrap_inside_their_column() {
    let mut doc = table(2);
    let long = "Продажа в долг П-000042: хлеб, молоко, сахар, мука, масло, чай, кофе, соль, рис, гречка, макароны";
    if let Block::Table(t) = &mut doc.blocks[0] {
        t.rows[0].cells[1] = long.into();
    }
    let pages = layout(&doc).expect("layout");
    assert_eq!(pages.len(), 1);
    let texts = pages[0].texts();
    assert_eq!(texts.last().copied(), Some("Страница 1 из 1"));
    let pieces: Vec<&str> = texts.iter().copied().filter(|t| long.contains(*t) && t.len() > 10).collect();
    assert!(pieces.len() >= 2, "{pieces:?}");
    assert_eq!(pieces.join(" "), long);
    // A right-aligned amount keeps its no-break space and ends at the column's right edge.
    assert!(texts.contains(&"1\u{a0}000,00"));
}

#[test]
fn the_page_label_follows_the_language_the_caller_chose() {
    let mut doc = table(1);
    doc.page_label = PAGE_EN.into();
    let pages = layout(&doc).expect("layout");
    assert_eq!(pages[0].texts().last().copied(), Some("Page 1 of 1"));
}

#[test]
fn both_faces_carry_cyrillic_and_the_kyrgyz_letters() {
    // The faces are subsets (web/fonts/SUBSET.md): what a shop's document needs must stay in.
    for (name, data) in [("regular", REGULAR), ("bold", BOLD)] {
        let face = ttf_parser::Face::parse(data, 0).expect("font");
        for c in "АаЯяЁёңөүҢӨҮҺһӘәҒғҚқ№«»—–…•₽₸€$×÷±≤≥°%‰½ʻʼÇçŞşĞğİıÄäÖöÜüẞ★☆✓✔αβµΩ€□■▪↑→".chars()
        {
            assert!(face.glyph_index(c).is_some(), "{name} lacks {c}");
        }
    }
}

#[test]
fn a_logo_sits_left_of_the_company_name_and_a_broken_one_is_an_error() {
    let mut png = Vec::new();
    image::RgbaImage::from_pixel(200, 100, image::Rgba([0, 80, 160, 255]))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let mut doc = table(1);
    doc.header.logo = Some(Logo { kind: ImageKind::Png, bytes: png });
    let pages = layout(&doc).expect("layout");
    let logo = pages[0].items.iter().find_map(|i| match i {
        Item::Logo { x, w, h, .. } => Some((*x, *w, *h)),
        _ => None,
    });
    let (x, w, h) = logo.expect("logo drawn");
    assert!((h - 56.0).abs() < 0.01 && (w - 112.0).abs() < 0.01, "{w}x{h}");
    let name_x = pages[0].items.iter().find_map(|i| match i {
        Item::Text { x, text, .. } if text == "ОсОО «Дукан»" => Some(*x),
        _ => None,
    });
    assert!(name_x.expect("name") > x + w);
    assert!(render(&doc).expect("pdf").starts_with(b"%PDF-"));
    doc.header.logo = Some(Logo { kind: ImageKind::Png, bytes: b"\x89PNG\r\n\x1a\nnot really".to_vec() });
    assert!(render(&doc).is_err());
}
