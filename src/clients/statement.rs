//! The reconciliation statement (акт сверки) of a client for a period: opening balance, every
//! debit (sales on credit, debts written by hand, installment debts, refunded installments) and
//! credit (repayments, returns to the debt, installments paid), turnovers and the closing
//! balance; as data for JSON and as a PDF with an embedded, subsetted DejaVu Sans Mono.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rust_decimal::Decimal;

use super::deals::{client_deals, parse_date};
use super::model::{Client, DealKind, DealPaymentKind, DebtKind};
use super::{ledger, read_client};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::ClientId;
use crate::money::round_money;
use crate::storage::ReadTx;
use crate::tenancy::actor::Actor;

#[derive(Debug, Clone)]
pub struct StatementRow {
    pub at: Ts,
    pub date: String,
    pub document: String,
    pub debit: Decimal,
    pub credit: Decimal,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub company: String,
    pub client: Client,
    pub from: String,
    pub to: String,
    pub currency: &'static str,
    pub opening: Decimal,
    pub rows: Vec<StatementRow>,
    pub debit: Decimal,
    pub credit: Decimal,
    pub closing: Decimal,
}

/// Every movement of the client's account, in time order: (instant, document, debit, credit).
fn movements(tx: &ReadTx, actor: &Actor, id: ClientId) -> Result<Vec<(Ts, String, Decimal, Decimal)>> {
    let c = actor.company;
    let mut out = Vec::new();
    for (_, e) in ledger(tx, c, id)? {
        let doc = match e.kind {
            DebtKind::Sale => format!("Продажа в долг {}", e.note),
            DebtKind::Manual => format!("Долг: {}", e.note),
            DebtKind::Payment => format!("Оплата долга ({})", e.method),
            DebtKind::Reversal => format!("Возврат в счёт долга {}", e.note),
        };
        let (debit, credit) = if e.amount >= Decimal::ZERO { (e.amount, Decimal::ZERO) } else { (Decimal::ZERO, -e.amount) };
        out.push((e.at, doc, debit, credit));
    }
    for d in client_deals(tx, c, id)? {
        if d.kind != DealKind::Debt {
            continue;
        }
        out.push((d.created, format!("Рассрочка №{} {}", d.id, d.title), d.debt(), Decimal::ZERO));
        for p in &d.payments {
            match p.kind {
                DealPaymentKind::Pay => {
                    out.push((p.at, format!("Взнос №{} по рассрочке №{}", p.installment, d.id), Decimal::ZERO, p.amount))
                }
                DealPaymentKind::Refund => {
                    out.push((p.at, format!("Возврат взноса №{} по рассрочке №{}", p.installment, d.id), p.amount, Decimal::ZERO))
                }
            }
        }
    }
    out.sort_by_key(|m| m.0);
    Ok(out)
}

/// The statement for `from..=to` ("YYYY-MM-DD" in the company's zone; empty = since the
/// client was created / until today).
pub fn build(tx: &ReadTx, actor: &Actor, now: Ts, id: ClientId, from: &str, to: &str) -> Result<Statement> {
    super::require_read(actor)?;
    let client = read_client(tx, actor, id)?;
    let company = tx.get(crate::tenancy::store::COMPANIES, actor.company.0)?.ok_or(Error::NotFound)?;
    let tz = company.timezone.clone();
    let mut p = Problems::default();
    let from =
        if from.trim().is_empty() { Some(client.created.date_local(&tz)) } else { p.take(parse_date("from", from)).map(|d| d.to_string()) };
    let to = if to.trim().is_empty() { Some(now.date_local(&tz)) } else { p.take(parse_date("to", to)).map(|d| d.to_string()) };
    if let (Some(f), Some(t)) = (&from, &to)
        && f > t
    {
        p.push(FieldError::new("to", "period", "Конец периода раньше начала", "The period ends before it starts"));
    }
    p.finish()?;
    let (from, to) = (from.unwrap_or_default(), to.unwrap_or_default());
    let start = Ts::parse_date(&from, &tz).ok_or_else(|| Error::Internal("period start".into()))?;
    let end = Ts::parse_date(&to, &tz).ok_or_else(|| Error::Internal("period end".into()))?.plus_days(1);
    let mut opening = Decimal::ZERO;
    let mut rows = Vec::new();
    let (mut debit, mut credit) = (Decimal::ZERO, Decimal::ZERO);
    for (at, document, d, cr) in movements(tx, actor, id)? {
        if at < start {
            opening += d - cr;
        } else if at < end {
            debit += d;
            credit += cr;
            rows.push(StatementRow { at, date: at.date_local(&tz), document, debit: round_money(d), credit: round_money(cr) });
        }
    }
    let closing = round_money(opening + debit - credit);
    Ok(Statement {
        company: company.name,
        client,
        from,
        to,
        currency: company.country.currency().code(),
        opening: round_money(opening),
        rows,
        debit: round_money(debit),
        credit: round_money(credit),
        closing,
    })
}

// ---- PDF ----

static FONT: &[u8] = include_bytes!("../../web/fonts/DejaVuSansMono.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 40.0;
const SIZE: f32 = 9.0;
const LEADING: f32 = 12.0;
/// Characters per line at 9 pt (DejaVu Sans Mono advances 0.602 em).
const COLUMNS: usize = 94;

fn money(d: Decimal) -> String {
    if d.is_zero() { String::new() } else { round_money(d).to_string() }
}

fn fit(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n <= width { format!("{s}{}", " ".repeat(width - n)) } else { s.chars().take(width.saturating_sub(1)).chain(['…']).collect() }
}

fn right(s: &str, width: usize) -> String {
    format!("{}{s}", " ".repeat(width.saturating_sub(s.chars().count())))
}

fn row(date: &str, doc: &str, debit: &str, credit: &str) -> String {
    format!("{} {} {} {}", fit(date, 10), fit(doc, 52), right(debit, 15), right(credit, 15))
}

/// The statement's text lines (also what the PDF shows).
pub fn lines(s: &Statement) -> Vec<(f32, String)> {
    let mut out = vec![
        (12.0, "АКТ СВЕРКИ ВЗАИМНЫХ РАСЧЁТОВ".to_string()),
        (SIZE, format!("за период с {} по {}", s.from, s.to)),
        (SIZE, format!("между {} и {}", s.company, s.client.name)),
    ];
    if !s.client.legal.inn.is_empty() {
        out.push((SIZE, format!("ИНН контрагента: {}", s.client.legal.inn)));
    }
    out.push((SIZE, format!("Валюта: {}", s.currency)));
    out.push((SIZE, String::new()));
    out.push((SIZE, row("Дата", "Документ", "Дебет", "Кредит")));
    out.push((SIZE, "-".repeat(COLUMNS)));
    let (od, oc) = if s.opening >= Decimal::ZERO { (money(s.opening), String::new()) } else { (String::new(), money(-s.opening)) };
    out.push((SIZE, row(&s.from, "Сальдо на начало периода", &od, &oc)));
    for r in &s.rows {
        out.push((SIZE, row(&r.date, &r.document, &money(r.debit), &money(r.credit))));
    }
    out.push((SIZE, "-".repeat(COLUMNS)));
    out.push((SIZE, row("", "Обороты за период", &money(s.debit), &money(s.credit))));
    let (cd, cc) = if s.closing >= Decimal::ZERO { (money(s.closing), String::new()) } else { (String::new(), money(-s.closing)) };
    out.push((SIZE, row(&s.to, "Сальдо на конец периода", &cd, &cc)));
    out.push((SIZE, String::new()));
    let closing = round_money(s.closing.abs());
    out.push((
        SIZE,
        if s.closing > Decimal::ZERO {
            format!("На {} задолженность {} перед {}: {closing} {}", s.to, s.client.name, s.company, s.currency)
        } else if s.closing < Decimal::ZERO {
            format!("На {} задолженность {} перед {}: {closing} {}", s.to, s.company, s.client.name, s.currency)
        } else {
            format!("На {} задолженности нет.", s.to)
        },
    ));
    out.push((SIZE, String::new()));
    out.push((SIZE, format!("{}  ____________________      {}  ____________________", fit(&s.company, 20), fit(&s.client.name, 20))));
    out
}

/// Renders the statement as a PDF 1.7 document: A4 pages, one Type0/CIDFontType2 font whose
/// program is subsetted to the glyphs used, Identity-H encoding, a ToUnicode map so the text
/// can be copied and searched.
pub fn pdf(s: &Statement) -> Result<Vec<u8>> {
    let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| Error::Internal(format!("font: {e}")))?;
    let upem = f32::from(face.units_per_em());
    let text = lines(s);
    let mut remap = subsetter::GlyphRemapper::new();
    let mut unicode: BTreeMap<u16, char> = BTreeMap::new();
    let mut encode = |line: &str| -> String {
        let mut hex = String::with_capacity(line.len() * 4);
        for ch in line.chars() {
            let gid = face.glyph_index(ch).or_else(|| face.glyph_index('?')).map_or(0, |g| g.0);
            let new = remap.remap(gid);
            unicode.entry(new).or_insert(ch);
            let _ = write!(hex, "{new:04X}");
        }
        hex
    };
    // Pages: content streams.
    let per_page = ((PAGE_H - 2.0 * MARGIN) / LEADING) as usize;
    let mut pages: Vec<String> = Vec::new();
    for chunk in text.chunks(per_page.max(1)) {
        let mut content = String::from("BT\n");
        let mut y = PAGE_H - MARGIN;
        for (size, line) in chunk {
            y -= LEADING;
            let _ = writeln!(content, "/F1 {size} Tf 1 0 0 1 {MARGIN} {y} Tm <{}> Tj", encode(line));
        }
        content.push_str("ET\n");
        pages.push(content);
    }
    let program = subsetter::subset(FONT, 0, &remap).map_err(|e| Error::Internal(format!("font subset: {e:?}")))?;
    // Widths of the new glyph ids, in 1/1000 em.
    let mut widths = String::new();
    for old in remap.remapped_gids() {
        let adv = face.glyph_hor_advance(ttf_parser::GlyphId(old)).unwrap_or(0);
        let _ = write!(widths, "{} ", (f32::from(adv) * 1000.0 / upem).round() as i32);
    }
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let pairs: Vec<(u16, char)> = unicode.into_iter().collect();
    for chunk in pairs.chunks(100) {
        let _ = writeln!(cmap, "{} beginbfchar", chunk.len());
        for (gid, ch) in chunk {
            let mut units = [0u16; 2];
            let hex: String = ch.encode_utf16(&mut units).iter().map(|u| format!("{u:04X}")).collect();
            let _ = writeln!(cmap, "<{gid:04X}> <{hex}>");
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");

    let bbox = face.global_bounding_box();
    let scale = |v: i16| (f32::from(v) * 1000.0 / upem).round() as i32;
    let n_pages = pages.len();
    // Objects: 1 catalog, 2 pages, 3 font, 4 cid font, 5 descriptor, 6 program, 7 tounicode,
    // then (page, content) pairs.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    let kids: Vec<String> = (0..n_pages).map(|i| format!("{} 0 R", 8 + 2 * i)).collect();
    objects.push(format!("<< /Type /Pages /Kids [{}] /Count {n_pages} >>", kids.join(" ")).into_bytes());
    objects.push(b"<< /Type /Font /Subtype /Type0 /BaseFont /DKNAAA+DejaVuSansMono /Encoding /Identity-H /DescendantFonts [4 0 R] /ToUnicode 7 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /DKNAAA+DejaVuSansMono /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor 5 0 R /CIDToGIDMap /Identity /W [0 [{widths}]] >>"
        )
        .into_bytes(),
    );
    objects.push(
        format!(
            "<< /Type /FontDescriptor /FontName /DKNAAA+DejaVuSansMono /Flags 5 /FontBBox [{} {} {} {}] /ItalicAngle 0 /Ascent {} /Descent {} /CapHeight {} /StemV 80 /FontFile2 6 0 R >>",
            scale(bbox.x_min),
            scale(bbox.y_min),
            scale(bbox.x_max),
            scale(bbox.y_max),
            scale(face.ascender()),
            scale(face.descender()),
            scale(face.capital_height().unwrap_or(face.ascender())),
        )
        .into_bytes(),
    );
    let mut stream = format!("<< /Length {} /Length1 {} >>\nstream\n", program.len(), program.len()).into_bytes();
    stream.extend_from_slice(&program);
    stream.extend_from_slice(b"\nendstream");
    objects.push(stream);
    objects.push(format!("<< /Length {} >>\nstream\n{cmap}\nendstream", cmap.len() + 1).into_bytes());
    for (i, content) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                9 + 2 * i
            )
            .into_bytes(),
        );
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len() + 1).into_bytes());
    }
    let mut out: Vec<u8> = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for off in offsets {
        let _ = writeln!(table, "{off:010} 00000 n ");
    }
    let _ = write!(table, "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1);
    out.extend_from_slice(table.as_bytes());
    Ok(out)
}
