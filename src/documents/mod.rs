//! Printable documents (statements, contracts, invoices, acts, Z reports) as A4 PDFs: the
//! caller hands over plain data (a company header, a title, tables, totals, paragraphs,
//! signature lines) and gets the bytes back.
//!
//! This is a leaf module: it knows nothing of storage or of any domain, and it formats no
//! numbers. Callers format money through `crate::money::display` before they hand it over,
//! so a document shows amounts exactly as the pages do.
//!
//! Two steps, kept apart so that tests can check the second without reading a PDF:
//! `layout` places every line, rule and image on numbered pages (tables break across pages
//! and repeat their header row; page numbers go in once the page count is known), and `pdf`
//! draws those pages with krilla in DejaVu Sans, embedded and subsetted to the glyphs used,
//! so the text is real text that can be selected, searched and copied (Cyrillic and the
//! Kyrgyz letters ң ө ү included).

mod layout;
pub mod markup;
mod pdf;
pub mod reconciliation;

#[cfg(test)]
mod tests;

pub use layout::{Item, Page, layout};
pub use pdf::render_pages;

/// The page-number line in Russian; `{page}` and `{pages}` are replaced.
pub const PAGE_RU: &str = "Страница {page} из {pages}";
/// The page-number line in English.
pub const PAGE_EN: &str = "Page {page} of {pages}";

/// One document, top to bottom.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub header: CompanyHeader,
    pub title: String,
    /// Lines under the title (period, parties, currency), centred.
    pub subtitle: Vec<String>,
    pub blocks: Vec<Block>,
    /// The footer of every page, e.g. [`PAGE_RU`].
    pub page_label: String,
    /// The PDF's title in the reader's window; the file's own metadata.
    pub metadata_title: String,
}

/// The issuing company at the top of the first page.
#[derive(Debug, Clone, Default)]
pub struct CompanyHeader {
    pub name: String,
    /// Legal details, one a line: INN, OKPO, address, phone, bank. Empty lines are dropped.
    pub details: Vec<String>,
    pub logo: Option<Logo>,
}

/// A raster logo, drawn at most 60 pt high at the header's left.
#[derive(Debug, Clone)]
pub struct Logo {
    pub kind: ImageKind,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

impl ImageKind {
    /// The kinds a PDF can carry, by MIME type; SVG and the rest are not drawn.
    pub fn from_mime(mime: &str) -> Option<ImageKind> {
        match mime {
            "image/png" => Some(ImageKind::Png),
            "image/jpeg" => Some(ImageKind::Jpeg),
            "image/webp" => Some(ImageKind::Webp),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Block {
    Paragraph {
        text: String,
        bold: bool,
    },
    Table(Table),
    /// One signature line per party, side by side, the party's name under its line.
    Signatures(Vec<String>),
    /// Vertical space in points.
    Space(f32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    /// A share of the text width: widths are relative to their sum.
    pub width: f32,
    pub align: Align,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowKind {
    #[default]
    Body,
    /// Bold; the first total row of a table has a rule above it.
    Total,
}

#[derive(Debug, Clone, Default)]
pub struct Row {
    pub kind: RowKind,
    /// One cell a column; a long cell wraps inside its column.
    pub cells: Vec<String>,
}

impl Row {
    pub fn body(cells: Vec<String>) -> Row {
        Row { kind: RowKind::Body, cells }
    }

    pub fn total(cells: Vec<String>) -> Row {
        Row { kind: RowKind::Total, cells }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// Why a document could not be drawn (a broken font or logo): the caller reports it as an
/// internal error; the text is for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderError(pub String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "document: {}", self.0)
    }
}

impl std::error::Error for RenderError {}

/// The document as PDF bytes.
pub fn render(doc: &Document) -> Result<Vec<u8>, RenderError> {
    let pages = layout(doc)?;
    render_pages(&pages, doc)
}
