//! Labels (issue 15): weighed-goods labels (name, price per kg, weight, total, packed and
//! expiry dates, and the EAN-13 weight code made by the company's own weighed-code rule, the
//! one the till parses) and shelf labels (name, price, barcode, the old price when it fell),
//! laid out once as `Content` and encoded in TSPL or, for a printer that prefers it, ESC/POS;
//! queued on a label printer's print queue like any job.
//!
//! Invariants:
//! - a printer is a label printer while it has a `LabelSetup` row; it never prints receipts
//!   (`printing::assigned` skips it) and the worker does not ask it for ESC/POS status;
//! - a weighed label's barcode is `WeightRule::encode` of the product's PLU and the weight, so
//!   `WeightRule::parse` (the till's scan) gives back the same PLU and weight;
//! - printing a product's label records the price it printed (`LABEL_PRICES`) in the same
//!   transaction as the job, so "prices changed since the last print" is exact.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::escpos::{Align, Block, Doc};
use super::store::{LABEL_PRICES, LABEL_SETUPS, PRINTERS};
use super::tspl::{self, Item, Label, TextMode};
use crate::audit;
use crate::catalog::model::{Kind, Product};
use crate::catalog::store::PRODUCTS;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CompanyId, PrinterId, ProductId};
use crate::money::round_money;
use crate::storage::{Read, Record, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

/// What a label printer speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    Tspl,
    /// A receipt-style printer used for labels: the same content as lines and a `GS k` code.
    EscPos,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::Tspl => "tspl",
            Language::EscPos => "escpos",
        }
    }

    pub fn parse(code: &str) -> Option<Language> {
        [Language::Tspl, Language::EscPos].into_iter().find(|l| l.code() == code.trim())
    }
}

/// A printer's label settings; its presence makes the printer a label printer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelSetup {
    pub language: Language,
    pub width_mm: u32,
    pub height_mm: u32,
    pub gap_mm: u32,
    /// 203 or 300.
    pub dpi: u32,
    pub text: TextMode,
}

impl Record for LabelSetup {
    const TYPE: &'static str = "labelsetup.v1";
}

/// The price a product's last label showed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelPrice {
    #[serde(with = "crate::money::compact")]
    pub price: Decimal,
    pub at: Ts,
}

impl Record for LabelPrice {
    const TYPE: &'static str = "labelprice.v1";
}

/// The label settings form as typed.
#[derive(Debug, Clone, Default)]
pub struct SetupDraft {
    pub language: String,
    /// "58x40".
    pub size: String,
    pub gap: String,
    pub dpi: String,
    pub text: String,
}

fn labeller(actor: &Actor) -> Result<()> {
    actor.require(Perm::MARKET_LABEL)?;
    actor.require_feature("scales")
}

/// Makes `printer` a label printer with these settings (or changes them).
pub fn set_setup(tx: &mut WriteTx, actor: &Actor, now: Ts, printer: PrinterId, d: &SetupDraft) -> Result<LabelSetup> {
    labeller(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let p = tx.get(PRINTERS, (c.0, printer.0))?.ok_or(Error::NotFound)?;
    let mut problems = Problems::default();
    let language = problems.take(
        Language::parse(&d.language)
            .ok_or_else(|| FieldError::new("language", "label_language", "Выберите язык: TSPL или ESC/POS", "Choose TSPL or ESC/POS")),
    );
    let size = d.size.trim().to_lowercase().replace(['×', 'х'], "x");
    let dims = size.split_once('x').and_then(|(w, h)| Some((w.trim().parse::<u32>().ok()?, h.trim().parse::<u32>().ok()?)));
    let dims = problems.take(
        dims.filter(|(w, h)| (20..=120).contains(w) && (15..=200).contains(h))
            .ok_or_else(|| FieldError::new("size", "label_size", "Размер этикетки в мм, например 58x40", "Label size in mm, e.g. 58x40")),
    );
    let gap = match d.gap.trim() {
        "" => Some(2),
        g => problems.take(
            g.parse::<u32>().ok().filter(|g| *g <= 10).ok_or_else(|| FieldError::new("gap", "label_gap", "Зазор: 0–10 мм", "Gap: 0–10 mm")),
        ),
    };
    let dpi = match d.dpi.trim() {
        "" | "203" => Some(203),
        "300" => Some(300),
        _ => {
            problems.push(FieldError::new("dpi", "label_dpi", "Разрешение: 203 или 300 dpi", "Resolution: 203 or 300 dpi"));
            None
        }
    };
    let text = match d.text.trim() {
        "" => Some(TextMode::Bitmap),
        t => problems.take(
            TextMode::parse(t)
                .ok_or_else(|| FieldError::new("text", "label_text", "Текст: кодовая страница или картинка", "Text: code page or bitmap")),
        ),
    };
    problems.finish()?;
    let (Some(language), Some((width_mm, height_mm)), Some(gap_mm), Some(dpi), Some(text)) = (language, dims, gap, dpi, text) else {
        return Err(Error::Internal("label setup parsed without values".into()));
    };
    let setup = LabelSetup { language, width_mm, height_mm, gap_mm, dpi, text };
    tx.insert(LABEL_SETUPS, (c, printer), &setup)?;
    // A label printer prints no order tickets either.
    tx.remove(super::store::STATIONS, (c, printer))?;
    audit::record(tx, c, actor, now, "printer.label_setup", format!("printer:{printer}"), p.name)?;
    Ok(setup)
}

/// Makes a label printer a receipt printer again.
pub fn clear_setup(tx: &mut WriteTx, actor: &Actor, now: Ts, printer: PrinterId) -> Result<()> {
    labeller(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let p = tx.get(PRINTERS, (c.0, printer.0))?.ok_or(Error::NotFound)?;
    tx.remove(LABEL_SETUPS, (c, printer))?;
    audit::record(tx, c, actor, now, "printer.label_clear", format!("printer:{printer}"), p.name)?;
    Ok(())
}

pub fn setup(tx: &impl Read, c: CompanyId, printer: PrinterId) -> Result<Option<LabelSetup>> {
    Ok(tx.get(LABEL_SETUPS, (c, printer))?)
}

/// The company's label printers with their settings.
pub fn label_printers(tx: &impl Read, actor: &Actor) -> Result<Vec<(super::Printer, LabelSetup)>> {
    labeller(actor)?;
    let c = actor.company;
    let mut out = Vec::new();
    for (_, p) in tx.list(PRINTERS, (c.0, 0), (c.0, u64::MAX), usize::MAX)? {
        if let Some(s) = tx.get(LABEL_SETUPS, (c, p.id))? {
            out.push((p, s));
        }
    }
    Ok(out)
}

/// One line of a label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextLine {
    pub text: String,
    pub big: bool,
    /// Struck through (the old price).
    pub strike: bool,
}

/// What a label says, before it is laid out for a printer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub lines: Vec<TextLine>,
    /// An EAN-13 (or, for a shelf label of a product with another code, a Code 128).
    pub barcode: Option<String>,
}

fn line(text: impl Into<String>, big: bool) -> TextLine {
    TextLine { text: text.into(), big, strike: false }
}

fn money(d: Decimal) -> String {
    // Labels print plain amounts, like receipts: a printer's code page may lack the no-break
    // space `money::display` groups digits with.
    format!("{:.2}", round_money(d))
}

/// A weighed-goods label: `grams` of `product` packed on `packed`, best before `expiry`.
pub fn weighed_content(product: &Product, grams: i64, rule: &crate::pos::model::WeightRule, packed: &str, expiry: &str) -> Result<Content> {
    let plu = product.plu.ok_or_else(|| {
        Error::refused(
            "label_no_plu",
            "У весового товара нет PLU — сохраните товар заново",
            "The weighed product has no PLU — save it again",
        )
    })?;
    let kg = Decimal::new(grams, 3);
    let total = round_money(product.price * kg);
    let code = rule.encode(plu, grams, total).ok_or_else(|| {
        Error::field(
            "weight",
            "label_code",
            "Вес или PLU не помещаются в весовой штрихкод по правилу компании",
            "The weight or PLU does not fit the company's weighed barcode rule",
        )
    })?;
    let mut lines = vec![
        line(product.name.clone(), true),
        line(format!("Цена за кг: {}", money(product.price)), false),
        line(format!("Вес: {kg} кг"), false),
        line(format!("Сумма: {}", money(total)), true),
        line(format!("Упаковано: {packed}"), false),
    ];
    if !expiry.is_empty() {
        lines.push(line(format!("Годен до: {expiry}"), false));
    }
    Ok(Content { lines, barcode: Some(code) })
}

/// A shelf label: name, price per unit, the old price struck through when it was higher, and
/// the product's first barcode (a weighed product shows its PLU instead).
pub fn shelf_content(product: &Product, old_price: Option<Decimal>) -> Content {
    let mut lines = vec![line(product.name.clone(), true)];
    if let Some(old) = old_price.filter(|o| *o > product.price) {
        lines.push(TextLine { text: format!("Было: {}", money(old)), big: false, strike: true });
    }
    lines.push(line(format!("{} / {}", money(product.price), product.unit.label_ru()), true));
    let barcode = match (product.weighed, product.plu) {
        (true, Some(plu)) => {
            lines.push(line(format!("PLU {plu}"), false));
            None
        }
        _ => product.barcodes.first().cloned(),
    };
    Content { lines, barcode }
}

/// Lays `content` out on a label of `setup`'s size (positions at 203 dpi; `tspl` scales).
pub fn layout(content: &Content, setup: &LabelSetup) -> Label {
    let dots = tspl::DOTS_PER_MM;
    let (width, height) = (setup.width_mm * dots, setup.height_mm * dots);
    let margin = 2 * dots;
    let mut items = Vec::new();
    let mut y = margin;
    for l in &content.lines {
        let fit = tspl::fits(width.saturating_sub(2 * margin), l.big);
        let text: String = l.text.chars().take(fit).collect();
        let h = if l.big { 36 } else { 22 };
        if l.strike {
            let w = (text.chars().count() as u32) * tspl::char_width(l.big);
            items.push(Item::Bar { x: margin, y: y + h / 2 - 2, width: w, height: 2 });
        }
        items.push(Item::Text { x: margin, y, big: l.big, text });
        y += h;
    }
    if let Some(code) = &content.barcode {
        // The digits under the bars take about 26 dots; keep the bars at least 5 mm tall.
        let bars = height.saturating_sub(y + 6 + 26 + margin / 2).max(5 * dots);
        let ean = code.len() == 13 && code.bytes().all(|b| b.is_ascii_digit());
        // An EAN-13 at a 2-dot module is 190 dots wide plus quiet zones; centred.
        let x = if ean { width.saturating_sub(190 + 22) / 2 } else { margin };
        items.push(Item::Barcode { x, y: y + 6, height: bars, ean, code: code.clone() });
    }
    Label { width_mm: setup.width_mm, height_mm: setup.height_mm, gap_mm: setup.gap_mm, items }
}

/// The ESC/POS document of labels for a printer that prefers it: lines, the code, a cut.
pub fn doc(contents: &[Content]) -> Doc {
    let mut doc = Doc::default();
    for c in contents {
        for l in &c.lines {
            let text = if l.strike { format!("({})", l.text) } else { l.text.clone() };
            doc.blocks.push(Block::Line { text, align: Align::Center, bold: l.big, big: false });
        }
        if let Some(code) = &c.barcode {
            doc.blocks.push(Block::Barcode(code.clone()));
        }
        doc.blocks.push(Block::Feed(2));
    }
    doc.cut = true;
    doc
}

/// The bytes of `contents` for `printer` under `setup`.
pub fn bytes(contents: &[Content], printer: &super::Printer, setup: &LabelSetup) -> Vec<u8> {
    match setup.language {
        Language::Tspl => tspl::encode(&contents.iter().map(|c| layout(c, setup)).collect::<Vec<_>>(), setup.dpi, setup.text),
        Language::EscPos => super::escpos::encode(&doc(contents), &printer.profile),
    }
}

fn label_printer(tx: &WriteTx, c: CompanyId, printer: PrinterId) -> Result<(super::Printer, LabelSetup)> {
    let p = tx.get(PRINTERS, (c.0, printer.0))?.ok_or(Error::NotFound)?;
    let s = tx.get(LABEL_SETUPS, (c, printer))?.ok_or_else(|| {
        Error::refused("not_label_printer", "Этот принтер не настроен для этикеток", "This printer is not set up for labels")
    })?;
    Ok((p, s))
}

/// Most labels one job prints (a shop's whole price change fits; a bigger one is split).
pub const MAX_LABELS: usize = 2000;

/// Queues shelf labels of `products` (one each, in the given order) on a label printer and
/// records the prices they show. Returns how many were queued.
pub fn print_shelf(tx: &mut WriteTx, actor: &Actor, now: Ts, printer: PrinterId, products: &[ProductId]) -> Result<usize> {
    labeller(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let (p, setup) = label_printer(tx, c, printer)?;
    if products.is_empty() {
        return Err(Error::refused("labels_none", "Не выбрано ни одного товара", "No product is selected"));
    }
    if products.len() > MAX_LABELS {
        return Err(Error::refused(
            "labels_too_many",
            format!("Не больше {MAX_LABELS} этикеток за раз"),
            format!("At most {MAX_LABELS} labels at a time"),
        ));
    }
    let mut contents = Vec::with_capacity(products.len());
    for id in products {
        let product = tx.get(PRODUCTS, (c.0, id.0))?.ok_or(Error::NotFound)?;
        let last = tx.get(LABEL_PRICES, (c, *id))?;
        contents.push(shelf_content(&product, last.map(|l| l.price)));
        tx.insert(LABEL_PRICES, (c, *id), &LabelPrice { price: product.price, at: now })?;
    }
    let title = format!("Ценники: {}", contents.len());
    super::enqueue(tx, c, printer, title.clone(), bytes(&contents, &p, &setup), now)?;
    audit::record(tx, c, actor, now, "labels.shelf", format!("printer:{printer}"), title)?;
    Ok(contents.len())
}

/// The company's goods whose price differs from their last label's (or that never had one),
/// archived ones left out, in id order, at most `limit`.
pub fn changed(tx: &impl Read, c: CompanyId, limit: usize) -> Result<Vec<(Product, Option<Decimal>)>> {
    let mut out = Vec::new();
    let mut failed = None;
    tx.range(PRODUCTS, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, p| {
        if p.archived || p.kind == Kind::Service {
            return Ok(true);
        }
        let last = match tx.get(LABEL_PRICES, (c, p.id)) {
            Ok(l) => l,
            Err(e) => {
                failed = Some(e);
                return Ok(false);
            }
        };
        if last.is_none_or(|l| l.price != p.price) {
            out.push((p, last.map(|l| l.price)));
        }
        Ok(out.len() < limit)
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(out)
}

/// [`changed`] for a person allowed to print labels.
pub fn changed_for(tx: &impl Read, actor: &Actor, limit: usize) -> Result<Vec<(Product, Option<Decimal>)>> {
    labeller(actor)?;
    changed(tx, actor.company, limit)
}

/// The company's weighed goods (not archived), in id order, at most `limit`: what the
/// weighed-label form offers.
pub fn weighed_products(tx: &impl Read, actor: &Actor, limit: usize) -> Result<Vec<Product>> {
    labeller(actor)?;
    let c = actor.company;
    let mut out = Vec::new();
    tx.range(PRODUCTS, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, p| {
        if p.weighed && !p.archived {
            out.push(p);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// The shelf labels of everything whose price changed since its last label.
pub fn print_changed(tx: &mut WriteTx, actor: &Actor, now: Ts, printer: PrinterId) -> Result<usize> {
    labeller(actor)?;
    let ids: Vec<ProductId> = changed(tx, actor.company, MAX_LABELS)?.into_iter().map(|(p, _)| p.id).collect();
    print_shelf(tx, actor, now, printer, &ids)
}

/// The weighed label form as typed.
#[derive(Debug, Clone, Default)]
pub struct WeighedDraft {
    pub product: u64,
    /// Kilograms, e.g. "1.234".
    pub weight: String,
    /// Days from packing to the expiry date; empty = the product's own expiry date, if any.
    pub shelf_life_days: String,
    pub copies: String,
}

/// Queues weighed-goods labels for one packed item; returns the barcode they carry.
pub fn print_weighed(tx: &mut WriteTx, actor: &Actor, now: Ts, printer: PrinterId, d: &WeighedDraft) -> Result<String> {
    labeller(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let (p, setup) = label_printer(tx, c, printer)?;
    let product = tx.get(PRODUCTS, (c.0, d.product))?.filter(|p| !p.archived).ok_or(Error::NotFound)?;
    if !product.weighed {
        return Err(Error::refused("label_not_weighed", "Товар не весовой", "The product is not sold by weight"));
    }
    let mut problems = Problems::default();
    let kg = problems.take(crate::money::parse_qty("weight", &d.weight));
    let days = match d.shelf_life_days.trim() {
        "" => None,
        s => problems.take(
            s.parse::<i64>()
                .ok()
                .filter(|n| (0..=3650).contains(n))
                .ok_or_else(|| FieldError::new("shelf_life_days", "shelf_life", "Срок годности: 0–3650 дней", "Shelf life: 0–3650 days")),
        ),
    };
    let copies = match d.copies.trim() {
        "" => Some(1),
        s => problems.take(
            s.parse::<usize>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| FieldError::new("copies", "label_copies", "Копий: 1–100", "Copies: 1–100")),
        ),
    };
    problems.finish()?;
    let (Some(kg), Some(copies)) = (kg, copies) else {
        return Err(Error::Internal("weighed label parsed without values".into()));
    };
    let grams = i64::try_from((kg * Decimal::from(1000)).trunc()).unwrap_or(0);
    if grams <= 0 {
        return Err(Error::field("weight", "label_weight", "Вес должен быть больше нуля", "The weight must be above zero"));
    }
    let tz = crate::tenancy::timezone(tx, c)?;
    let packed = now.date_local(&tz);
    let expiry = match days {
        Some(n) => now.plus_days(n).date_local(&tz),
        None => product.expiry.clone(),
    };
    let rule = crate::pos::settings(tx, c)?.weight_rule;
    let content = weighed_content(&product, grams, &rule, &packed, &expiry)?;
    let code = content.barcode.clone().unwrap_or_default();
    let contents = vec![content; copies];
    super::enqueue(tx, c, printer, format!("Весовая этикетка {}", product.name), bytes(&contents, &p, &setup), now)?;
    audit::record(tx, c, actor, now, "labels.weighed", format!("product:{}", product.id), code.clone())?;
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::model::{Characteristics, Unit};
    use crate::pos::model::{Weighed, WeightRule};

    fn product(weighed: bool) -> Product {
        Product {
            id: ProductId(7),
            kind: Kind::Goods,
            name: "Сыр Өзгөн".into(),
            article: String::new(),
            code: "0007".into(),
            barcodes: vec!["4600682000358".into()],
            unit: if weighed { Unit::Kg } else { Unit::Piece },
            weighed,
            plu: weighed.then_some(15),
            brand: None,
            category: None,
            purchase_price: Decimal::ZERO,
            markup: Decimal::ZERO,
            price: Decimal::new(45000, 2),
            discount: Decimal::ZERO,
            country: String::new(),
            expiry: String::new(),
            packages: Vec::new(),
            characteristics: Characteristics::default(),
            components: Vec::new(),
            recipe: Vec::new(),
            reorder_level: Decimal::ZERO,
            archived: false,
            created: Ts(0),
            updated: Ts(0),
        }
    }

    fn setup(language: Language) -> LabelSetup {
        LabelSetup { language, width_mm: 58, height_mm: 40, gap_mm: 2, dpi: 203, text: TextMode::Codepage }
    }

    #[test]
    fn a_weighed_labels_barcode_parses_back_to_its_plu_and_weight() {
        for rule in [WeightRule::default(), WeightRule { prefixes: vec![22], item_digits: 6, price_embedded: false }] {
            for grams in [1, 250, 1234, 9999] {
                let c = weighed_content(&product(true), grams, &rule, "2026-12-07", "2026-12-10").expect("content");
                let label = layout(&c, &setup(Language::Tspl));
                let bytes = tspl::encode(&[label], 203, TextMode::Codepage);
                let codes = tspl::barcodes(&bytes);
                assert_eq!(codes.len(), 1);
                assert_eq!(rule.parse(&codes[0]), Some(Weighed::Weight { item: 15, kg: Decimal::new(grams, 3) }), "{rule:?} {grams}");
            }
        }
    }

    #[test]
    fn weighed_label_says_price_weight_total_and_dates() {
        let c = weighed_content(&product(true), 1234, &WeightRule::default(), "2026-12-07", "2026-12-10").expect("content");
        let text: Vec<&str> = c.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            text,
            ["Сыр Өзгөн", "Цена за кг: 450.00", "Вес: 1.234 кг", "Сумма: 555.30", "Упаковано: 2026-12-07", "Годен до: 2026-12-10"]
        );
        let mut no_plu = product(true);
        no_plu.plu = None;
        assert!(weighed_content(&no_plu, 1000, &WeightRule::default(), "", "").is_err());
        assert!(weighed_content(&product(true), 100_000, &WeightRule::default(), "", "").is_err());
    }

    #[test]
    fn shelf_label_strikes_an_old_higher_price_only() {
        let p = product(false);
        let c = shelf_content(&p, Some(Decimal::new(50000, 2)));
        assert_eq!(c.lines[1], TextLine { text: "Было: 500.00".into(), big: false, strike: true });
        assert_eq!(c.lines[2].text, "450.00 / шт");
        assert_eq!(c.barcode.as_deref(), Some("4600682000358"));
        assert_eq!(shelf_content(&p, Some(Decimal::new(40000, 2))).lines.len(), 2);
        let cmds = tspl::decode(&bytes(&[c], &printer(), &setup(Language::Tspl)));
        assert!(cmds.contains(&tspl::Cmd::Bar));
        assert!(cmds.contains(&tspl::Cmd::Barcode { kind: "EAN13".into(), code: "4600682000358".into() }));
        let w = shelf_content(&product(true), None);
        assert_eq!((w.barcode, w.lines.last().map(|l| l.text.clone())), (None, Some("PLU 15".into())));
    }

    fn printer() -> super::super::Printer {
        super::super::Printer {
            id: PrinterId(1),
            name: "Labels".into(),
            transport: super::super::Transport::Tcp { host: "127.0.0.1".into(), port: 9100 },
            profile: super::super::escpos::Profile {
                model: super::super::escpos::Model::Epson,
                code_page: super::super::codepage::CodePage::Pc866,
                table: 17,
                width: super::super::escpos::Width::Mm58,
                cancel_kanji: false,
            },
            cash_boxes: Vec::new(),
            active: true,
        }
    }

    #[test]
    fn an_escpos_label_printer_gets_lines_and_a_gs_k_code() {
        let c = weighed_content(&product(true), 500, &WeightRule::default(), "2026-12-07", "").expect("content");
        let code = c.barcode.clone().expect("code");
        let ops = super::super::escpos::decode(&bytes(&[c], &printer(), &setup(Language::EscPos)), &|_| None);
        assert!(ops.contains(&super::super::escpos::Op::Barcode(code)));
        assert!(ops.contains(&super::super::escpos::Op::Cut));
    }

    #[test]
    fn two_hundred_labels_encode_quickly_enough_for_a_debug_build() {
        let contents: Vec<Content> = (1..=200)
            .map(|g| weighed_content(&product(true), g * 10, &WeightRule::default(), "2026-12-07", "").expect("content"))
            .collect();
        let bytes = bytes(&contents, &printer(), &setup(Language::Tspl));
        assert_eq!(tspl::barcodes(&bytes).len(), 200);
    }
}
