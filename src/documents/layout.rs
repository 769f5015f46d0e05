//! Places a `Document` on A4 pages: every text run, rule and the logo gets its position in
//! points from the page's top-left corner. Text is measured with the same DejaVu Sans that
//! `pdf` embeds, so wrapped cells and right-aligned amounts land where they are drawn.

use super::{Align, Block, Document, RenderError, RowKind, Table};

pub(super) static REGULAR: &[u8] = include_bytes!("../../web/fonts/DejaVuSans.ttf");
pub(super) static BOLD: &[u8] = include_bytes!("../../web/fonts/DejaVuSans-Bold.ttf");

/// A4 portrait in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 42.5;
const MARGIN_TOP: f32 = 42.5;
/// Body text stops here; the page number sits below it.
const BODY_BOTTOM: f32 = PAGE_H - 56.0;
const FOOTER_BASELINE: f32 = PAGE_H - 28.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN_X;

const NAME_SIZE: f32 = 13.0;
const DETAIL_SIZE: f32 = 8.5;
const TITLE_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 9.5;
const CELL_SIZE: f32 = 8.5;
const FOOTER_SIZE: f32 = 8.0;
const LOGO_MAX_H: f32 = 56.0;
const LOGO_MAX_W: f32 = 140.0;
const CELL_PAD_X: f32 = 3.0;
const CELL_PAD_Y: f32 = 3.0;

/// One thing drawn on a page. `y` of a text is its baseline, of a logo its top edge.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Text { x: f32, y: f32, size: f32, bold: bool, text: String },
    Rule { x1: f32, y1: f32, x2: f32, y2: f32, width: f32 },
    Logo { x: f32, y: f32, w: f32, h: f32 },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub items: Vec<Item>,
}

impl Page {
    /// The page's text runs in drawing order (tests read pages back through this).
    pub fn texts(&self) -> Vec<&str> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Text { text, .. } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }
}

/// Advance widths of the two faces.
struct Fonts<'a> {
    regular: ttf_parser::Face<'a>,
    bold: ttf_parser::Face<'a>,
}

impl Fonts<'_> {
    fn load() -> Result<Fonts<'static>, RenderError> {
        let parse = |data: &'static [u8]| ttf_parser::Face::parse(data, 0).map_err(|e| RenderError(format!("font: {e}")));
        Ok(Fonts { regular: parse(REGULAR)?, bold: parse(BOLD)? })
    }

    /// The width of `text` at `size`, without kerning (a few hundredths of a point per pair).
    fn width(&self, text: &str, size: f32, bold: bool) -> f32 {
        let face = if bold { &self.bold } else { &self.regular };
        let upem = f32::from(face.units_per_em());
        let units: u32 = text.chars().map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).map_or(0, u32::from)).sum();
        units as f32 * size / upem
    }

    /// Greedy word wrap at spaces and line breaks; a word wider than the line is cut between
    /// characters. No-break spaces (inside amounts) never break.
    fn wrap(&self, text: &str, size: f32, bold: bool, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() { word.to_string() } else { format!("{line} {word}") };
                if self.width(&candidate, size, bold) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                for c in word.chars() {
                    line.push(c);
                    if self.width(&line, size, bold) > width && line.chars().count() > 1 {
                        line.pop();
                        lines.push(std::mem::replace(&mut line, c.to_string()));
                    }
                }
            }
            lines.push(line);
        }
        lines
    }
}

fn leading(size: f32) -> f32 {
    size * 1.3
}

struct Cursor<'a> {
    fonts: Fonts<'a>,
    pages: Vec<Page>,
    /// The top of the next line on the current page.
    y: f32,
}

impl Cursor<'_> {
    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = MARGIN_TOP;
    }

    /// Starts a new page unless `height` still fits on this one; true when it broke.
    fn room_for(&mut self, height: f32) -> bool {
        if self.y + height <= BODY_BOTTOM || self.y <= MARGIN_TOP {
            return false;
        }
        self.new_page();
        true
    }

    fn text(&mut self, x: f32, baseline: f32, size: f32, bold: bool, text: &str) {
        if text.is_empty() {
            return;
        }
        self.page().items.push(Item::Text { x, y: baseline, size, bold, text: text.to_string() });
    }

    fn rule(&mut self, y: f32, x1: f32, x2: f32, width: f32) {
        self.page().items.push(Item::Rule { x1, y1: y, x2, y2: y, width });
    }

    /// Lines of text aligned inside `x..x + width`, starting at the cursor.
    fn lines(&mut self, lines: &[String], x: f32, width: f32, size: f32, bold: bool, align: Align) {
        for line in lines {
            self.room_for(leading(size));
            let w = self.fonts.width(line, size, bold);
            let at = match align {
                Align::Left => x,
                Align::Center => x + (width - w) / 2.0,
                Align::Right => x + width - w,
            };
            let baseline = self.y + size;
            self.text(at, baseline, size, bold, line);
            self.y += leading(size);
        }
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool, align: Align) {
        let lines = self.fonts.wrap(text, size, bold, TEXT_W);
        self.lines(&lines, MARGIN_X, TEXT_W, size, bold, align);
    }

    fn header(&mut self, doc: &Document) -> Result<(), RenderError> {
        let top = self.y;
        let mut text_x = MARGIN_X;
        let mut bottom = top;
        if let Some(logo) = &doc.header.logo {
            let (w, h) = image_size(&logo.bytes)?;
            let scale = (LOGO_MAX_H / h).min(LOGO_MAX_W / w).min(1.0);
            let (w, h) = (w * scale, h * scale);
            self.page().items.push(Item::Logo { x: MARGIN_X, y: top, w, h });
            text_x += w + 12.0;
            bottom = top + h;
        }
        let width = PAGE_W - MARGIN_X - text_x;
        let name = self.fonts.wrap(&doc.header.name, NAME_SIZE, true, width);
        self.lines(&name, text_x, width, NAME_SIZE, true, Align::Left);
        for detail in doc.header.details.iter().filter(|d| !d.trim().is_empty()) {
            let lines = self.fonts.wrap(detail, DETAIL_SIZE, false, width);
            self.lines(&lines, text_x, width, DETAIL_SIZE, false, Align::Left);
        }
        self.y = self.y.max(bottom) + 6.0;
        self.rule(self.y, MARGIN_X, PAGE_W - MARGIN_X, 0.8);
        self.y += 16.0;
        Ok(())
    }

    fn table(&mut self, table: &Table) {
        let total: f32 = table.columns.iter().map(|c| c.width.max(0.0)).sum();
        let mut x = MARGIN_X;
        let columns: Vec<(f32, f32, Align)> = table
            .columns
            .iter()
            .map(|c| {
                let w = if total > 0.0 { TEXT_W * c.width.max(0.0) / total } else { TEXT_W / table.columns.len() as f32 };
                let column = (x, w, c.align);
                x += w;
                column
            })
            .collect();
        let titles: Vec<String> = table.columns.iter().map(|c| c.title.clone()).collect();
        self.room_for(3.0 * self.row_height(&columns, &titles, true));
        self.header_row(&columns, &titles);
        let mut totals_started = false;
        for row in &table.rows {
            let bold = row.kind == RowKind::Total;
            let height = self.row_height(&columns, &row.cells, bold);
            if self.room_for(height) {
                self.header_row(&columns, &titles);
            }
            if bold && !totals_started {
                self.rule(self.y, MARGIN_X, PAGE_W - MARGIN_X, 0.8);
                totals_started = true;
            }
            self.row(&columns, &row.cells, bold);
            self.rule(self.y, MARGIN_X, PAGE_W - MARGIN_X, if bold { 0.8 } else { 0.3 });
        }
        self.y += 10.0;
    }

    fn row_height(&self, columns: &[(f32, f32, Align)], cells: &[String], bold: bool) -> f32 {
        let lines = columns
            .iter()
            .zip(cells)
            .map(|((_, w, _), cell)| self.fonts.wrap(cell, CELL_SIZE, bold, w - 2.0 * CELL_PAD_X).len())
            .max()
            .unwrap_or(1);
        lines as f32 * leading(CELL_SIZE) + 2.0 * CELL_PAD_Y
    }

    fn header_row(&mut self, columns: &[(f32, f32, Align)], titles: &[String]) {
        self.rule(self.y, MARGIN_X, PAGE_W - MARGIN_X, 0.8);
        self.row(columns, titles, true);
        self.rule(self.y, MARGIN_X, PAGE_W - MARGIN_X, 0.8);
    }

    /// One table row at the cursor; the caller made room for it.
    fn row(&mut self, columns: &[(f32, f32, Align)], cells: &[String], bold: bool) {
        let top = self.y + CELL_PAD_Y;
        let mut bottom = top;
        for ((x, w, align), cell) in columns.iter().zip(cells) {
            let inner = w - 2.0 * CELL_PAD_X;
            let mut baseline = top + CELL_SIZE;
            for line in self.fonts.wrap(cell, CELL_SIZE, bold, inner) {
                let lw = self.fonts.width(&line, CELL_SIZE, bold);
                let at = match align {
                    Align::Left => x + CELL_PAD_X,
                    Align::Center => x + (w - lw) / 2.0,
                    Align::Right => x + w - CELL_PAD_X - lw,
                };
                self.text(at, baseline, CELL_SIZE, bold, &line);
                baseline += leading(CELL_SIZE);
            }
            bottom = bottom.max(baseline - CELL_SIZE);
        }
        self.y = bottom.max(top + leading(CELL_SIZE)) + CELL_PAD_Y;
    }

    fn signatures(&mut self, parties: &[String]) {
        if parties.is_empty() {
            return;
        }
        self.room_for(56.0);
        let width = TEXT_W / parties.len() as f32;
        let line_y = self.y + 30.0;
        for (i, party) in parties.iter().enumerate() {
            let x = MARGIN_X + width * i as f32;
            self.rule(line_y, x, x + width - 24.0, 0.6);
            let mut baseline = line_y + 4.0 + DETAIL_SIZE;
            for line in self.fonts.wrap(party, DETAIL_SIZE, false, width - 24.0) {
                self.text(x, baseline, DETAIL_SIZE, false, &line);
                baseline += leading(DETAIL_SIZE);
            }
        }
        self.y = line_y + 4.0 + 2.0 * leading(DETAIL_SIZE);
    }

    fn footers(&mut self, label: &str) {
        let count = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let text = label.replace("{page}", &(i + 1).to_string()).replace("{pages}", &count.to_string());
            if text.is_empty() {
                continue;
            }
            let w = self.fonts.width(&text, FOOTER_SIZE, false);
            page.items.push(Item::Text { x: PAGE_W - MARGIN_X - w, y: FOOTER_BASELINE, size: FOOTER_SIZE, bold: false, text });
        }
    }
}

/// The pixel size of a logo, read from its header without decoding it.
fn image_size(bytes: &[u8]) -> Result<(f32, f32), RenderError> {
    let (w, h) = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| RenderError(format!("logo: {e}")))?
        .into_dimensions()
        .map_err(|e| RenderError(format!("logo: {e}")))?;
    if w == 0 || h == 0 {
        return Err(RenderError("logo: empty image".into()));
    }
    Ok((w as f32, h as f32))
}

/// Every page of the document, page numbers included.
pub fn layout(doc: &Document) -> Result<Vec<Page>, RenderError> {
    let mut c = Cursor { fonts: Fonts::load()?, pages: vec![Page::default()], y: MARGIN_TOP };
    c.header(doc)?;
    c.paragraph(&doc.title, TITLE_SIZE, true, Align::Center);
    for line in &doc.subtitle {
        c.paragraph(line, BODY_SIZE, false, Align::Center);
    }
    c.y += 10.0;
    for block in &doc.blocks {
        match block {
            Block::Paragraph { text, bold } => {
                c.paragraph(text, BODY_SIZE, *bold, Align::Left);
                c.y += 4.0;
            }
            Block::Table(t) => c.table(t),
            Block::Signatures(parties) => c.signatures(parties),
            Block::Space(points) => c.y += points,
        }
    }
    c.footers(&doc.page_label);
    Ok(c.pages)
}
