//! A small line markup for documents people write (the CRM's templates produce it), read into
//! a title, subtitle lines and `Block`s. One construct per line:
//!
//! - `# Title` — the document's title (the first one; a later one is a bold paragraph);
//! - `> text` — a subtitle line, centred under the title;
//! - `## Heading` or a whole line in `**…**` — a bold paragraph;
//! - `| a | b |` — a table row, the first of a run of rows being the header row; an optional
//!   `|---|--:|` line right after it gives each column's share of the width (its dashes) and
//!   alignment (`--:` right, `:-:` centre); `|= Итого | 100 |` is a total row;
//! - `[sign] Seller | Buyer` — signature lines side by side;
//! - `---` — vertical space; a blank line ends a paragraph; other lines are paragraph text
//!   (consecutive lines are one paragraph, broken where they were).
//!
//! `\|` is a literal bar in a cell. The reader never fails: anything it does not recognise is
//! text, so a template's output always becomes a document.

use super::{Align, Block, Column, Row, RowKind, Table};

/// Columns a table keeps; cells past them are dropped.
pub const MAX_COLUMNS: usize = 12;

/// What a markup text says, ready for a `Document`.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub title: Option<String>,
    pub subtitle: Vec<String>,
    pub blocks: Vec<Block>,
}

/// Splits a row line into its cells at unescaped bars, without the outer bars.
fn cells(line: &str) -> Vec<String> {
    let inner = line.trim();
    let inner = inner.strip_prefix('|').unwrap_or(inner);
    let inner = if inner.ends_with('|') && !inner.ends_with("\\|") { &inner[..inner.len() - 1] } else { inner };
    let mut out = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                chars.next();
                cell.push('|');
            }
            '|' => out.push(std::mem::take(&mut cell)),
            c => cell.push(c),
        }
    }
    out.push(cell);
    out.into_iter().map(|s| s.trim().to_string()).collect()
}

/// A `|---|--:|` line: each cell only dashes and colons.
fn is_rule(line: &str) -> bool {
    let cs = cells(line);
    !cs.is_empty() && cs.iter().all(|c| !c.is_empty() && c.contains('-') && c.chars().all(|ch| ch == '-' || ch == ':'))
}

fn unescape(s: &str) -> String {
    s.replace("\\|", "|")
}

struct Reader {
    parsed: Parsed,
    paragraph: Vec<String>,
    table: Option<Table>,
    /// Whether the current table has taken its header row (and may take a rule line).
    header_only: bool,
}

impl Reader {
    fn end_paragraph(&mut self) {
        if !self.paragraph.is_empty() {
            let text = std::mem::take(&mut self.paragraph).join("\n");
            self.parsed.blocks.push(Block::Paragraph { text, bold: false });
        }
    }

    fn end_table(&mut self) {
        if let Some(t) = self.table.take() {
            self.parsed.blocks.push(Block::Table(t));
        }
        self.header_only = false;
    }

    fn end(&mut self) {
        self.end_paragraph();
        self.end_table();
    }

    fn bold(&mut self, text: &str) {
        self.end();
        self.parsed.blocks.push(Block::Paragraph { text: unescape(text.trim()), bold: true });
    }

    fn row(&mut self, line: &str) {
        self.end_paragraph();
        let trimmed = line.trim_start();
        if self.header_only && is_rule(trimmed) {
            if let Some(t) = &mut self.table {
                for (col, spec) in t.columns.iter_mut().zip(cells(trimmed)) {
                    col.width = spec.chars().filter(|c| *c == '-').count().max(1) as f32;
                    col.align = match (spec.starts_with(':'), spec.ends_with(':')) {
                        (true, true) => Align::Center,
                        (false, true) => Align::Right,
                        _ => Align::Left,
                    };
                }
            }
            self.header_only = false;
            return;
        }
        // `|= a | b |`: the first cell is what follows the `=`.
        let (kind, mut cs) = match trimmed.strip_prefix("|=") {
            Some(rest) => (RowKind::Total, cells(&format!("|{rest}"))),
            None => (RowKind::Body, cells(trimmed)),
        };
        cs.truncate(MAX_COLUMNS);
        match &mut self.table {
            None => {
                let columns = cs.into_iter().map(|title| Column { title, width: 1.0, align: Align::Left }).collect();
                self.table = Some(Table { columns, rows: Vec::new() });
                self.header_only = true;
            }
            Some(t) => {
                cs.resize(t.columns.len(), String::new());
                t.rows.push(Row { kind, cells: cs });
                self.header_only = false;
            }
        }
    }
}

/// Reads markup into a title, subtitle lines and blocks.
pub fn parse(text: &str) -> Parsed {
    let mut r = Reader { parsed: Parsed::default(), paragraph: Vec::new(), table: None, header_only: false };
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim_start();
        if trimmed.starts_with('|') {
            r.row(line);
            continue;
        }
        if let Some(title) = trimmed.strip_prefix("# ") {
            if r.parsed.title.is_none() {
                r.end();
                r.parsed.title = Some(unescape(title.trim()));
            } else {
                r.bold(title);
            }
        } else if let Some(heading) = trimmed.strip_prefix("## ") {
            r.bold(heading);
        } else if trimmed.len() > 4 && trimmed.starts_with("**") && trimmed.ends_with("**") {
            r.bold(&trimmed[2..trimmed.len() - 2]);
        } else if let Some(sub) = trimmed.strip_prefix("> ") {
            r.end();
            r.parsed.subtitle.push(unescape(sub.trim()));
        } else if let Some(parties) = trimmed.strip_prefix("[sign]") {
            r.end();
            r.parsed.blocks.push(Block::Signatures(cells(parties).into_iter().filter(|p| !p.is_empty()).collect()));
        } else if trimmed == "---" {
            r.end();
            r.parsed.blocks.push(Block::Space(12.0));
        } else if trimmed.is_empty() {
            r.end();
        } else {
            r.end_table();
            r.paragraph.push(unescape(trimmed));
        }
    }
    r.end();
    r.parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks as short strings, so a case reads as what the page will show.
    fn shape(p: &Parsed) -> Vec<String> {
        p.blocks
            .iter()
            .map(|b| match b {
                Block::Paragraph { text, bold } => format!("{}{}", if *bold { "B:" } else { "P:" }, text.replace('\n', "/")),
                Block::Table(t) => {
                    let cols: Vec<String> = t.columns.iter().map(|c| format!("{}@{}{:?}", c.title, c.width, c.align)).collect();
                    let rows: Vec<String> = t
                        .rows
                        .iter()
                        .map(|r| format!("{}{}", if r.kind == RowKind::Total { "=" } else { "" }, r.cells.join(",")))
                        .collect();
                    format!("T[{}]{}", cols.join(";"), rows.join(";"))
                }
                Block::Signatures(s) => format!("S:{}", s.join(",")),
                Block::Space(_) => "-".into(),
            })
            .collect()
    }

    fn check(text: &str, title: Option<&str>, subtitle: &[&str], blocks: &[&str]) {
        let p = parse(text);
        assert_eq!(p.title.as_deref(), title, "{text}");
        assert_eq!(p.subtitle, subtitle, "{text}");
        assert_eq!(shape(&p), blocks, "{text}");
    }

    #[test]
    fn every_construct_reads_as_its_block() {
        check("# КП\n> № 1\nТекст\nдальше\n\nВторой", Some("КП"), &["№ 1"], &["P:Текст/дальше", "P:Второй"]);
        check(
            "## Условия\n**Итого к оплате**\n---\n[sign] Продавец | Покупатель",
            None,
            &[],
            &["B:Условия", "B:Итого к оплате", "-", "S:Продавец,Покупатель"],
        );
        check("# A\n# B", Some("A"), &[], &["B:B"]);
    }

    #[test]
    fn tables_take_a_header_widths_alignment_and_total_rows() {
        check(
            "| № | Товар | Сумма |\n|--|:------:|---:|\n| 1 | Стул | 10 |\n|= | Итого | 10 |",
            None,
            &[],
            &["T[№@2Left;Товар@6Center;Сумма@3Right]1,Стул,10;=,Итого,10"],
        );
        // Short rows are padded, long rows cut to the header; a text line ends the table.
        check("|a|b|\n|1|\n|1|2|3|\nпосле", None, &[], &["T[a@1Left;b@1Left]1,;1,2", "P:после"]);
        // A rule line later in a table is an ordinary row.
        check("|a|\n|x|\n|---|", None, &[], &["T[a@1Left]x;---"]);
    }

    #[test]
    fn escaped_bars_stay_in_their_cell() {
        check("|a|b|\n|Стул \\| белый|5|", None, &[], &["T[a@1Left;b@1Left]Стул | белый,5"]);
        check("Цена \\| скидка", None, &[], &["P:Цена | скидка"]);
    }

    #[test]
    fn a_wide_table_keeps_twelve_columns() {
        let header = format!("|{}|", (0..20).map(|i| i.to_string()).collect::<Vec<_>>().join("|"));
        let p = parse(&header);
        let Some(Block::Table(t)) = p.blocks.first() else { panic!("a table") };
        assert_eq!(t.columns.len(), MAX_COLUMNS);
    }
}
