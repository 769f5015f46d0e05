//! Draws laid-out pages with krilla: text through its shaper in DejaVu Sans (regular and
//! bold, each embedded once and subsetted to the glyphs used, with a ToUnicode map so the
//! text copies out as written), rules as stroked paths, the logo as an image XObject.

use krilla::Document as Pdf;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use super::layout::{BOLD, Item, PAGE_H, PAGE_W, Page, REGULAR};
use super::{Document, ImageKind, RenderError};

/// The PDF of pages laid out by `layout`; `doc` gives the logo and the metadata.
pub fn render_pages(pages: &[Page], doc: &Document) -> Result<Vec<u8>, RenderError> {
    let font = |data: &'static [u8]| Font::new(data.into(), 0).ok_or_else(|| RenderError("font: not a usable TrueType font".into()));
    let (regular, bold) = (font(REGULAR)?, font(BOLD)?);
    let logo = match &doc.header.logo {
        Some(l) => {
            let data = l.bytes.clone().into();
            let image = match l.kind {
                ImageKind::Png => Image::from_png(data, true),
                ImageKind::Jpeg => Image::from_jpeg(data, true),
                ImageKind::Webp => Image::from_webp(data, true),
            };
            Some(image.map_err(|e| RenderError(format!("logo: {e}")))?)
        }
        None => None,
    };
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| RenderError("page size".into()))?;
    let mut pdf = Pdf::new();
    let mut metadata = Metadata::new().creator("Dukan".into());
    if !doc.metadata_title.is_empty() {
        metadata = metadata.title(doc.metadata_title.clone());
    }
    pdf.set_metadata(metadata);
    for page in pages {
        let mut p = pdf.start_page_with(settings.clone());
        let mut surface = p.surface();
        for item in &page.items {
            match item {
                Item::Text { x, y, size, bold: is_bold, text } => {
                    surface.set_stroke(None);
                    surface.set_fill(Some(Fill::default()));
                    let face = if *is_bold { bold.clone() } else { regular.clone() };
                    surface.draw_text(Point::from_xy(*x, *y), face, *size, text, false, TextDirection::LeftToRight);
                }
                Item::Rule { x1, y1, x2, y2, width } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y1);
                    path.line_to(*x2, *y2);
                    let Some(path) = path.finish() else { continue };
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke { width: *width, ..Stroke::default() }));
                    surface.draw_path(&path);
                }
                Item::Logo { x, y, w, h } => {
                    let (Some(image), Some(size)) = (&logo, Size::from_wh(*w, *h)) else { continue };
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    surface.draw_image(image.clone(), size);
                    surface.pop();
                }
            }
        }
        surface.finish();
        p.finish();
    }
    let mut bytes = pdf.finish().map_err(|e| RenderError(format!("{e:?}")))?;
    // krilla stops right after `%%EOF`; an end-of-line there is what most writers (and our
    // statement before it) produce, and what line-based tools expect.
    if !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    Ok(bytes)
}
