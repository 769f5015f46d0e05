//! Document templates people edit (issue 17): a minijinja body rendered in a sandbox against
//! the documented context (`FIELDS`), producing the line markup of `documents::markup`.
//!
//! The sandbox, so that a company's template can neither read the box nor exhaust it:
//! - no loader, and minijinja built without `multi_template`, `macros` and `loader`: a
//!   template cannot include, extend or import anything, nor define macros;
//! - an empty environment with a short list of filters that never grow a value (`upper`,
//!   `default`, `length`…), no functions (no `range`), and no operator that builds a bigger
//!   string (`*`, `~`, `+` are refused before parsing), no capturing tags (`{% set %}` blocks,
//!   `{% filter %}`, recursive loops), so every byte produced goes through the capped writer;
//! - fuel: each render may run at most `FUEL` instructions (nested loops stop);
//! - the body is at most `BODY_MAX` bytes and the output at most `OUTPUT_MAX`, counted while it
//!   is written.
//!
//! Every refusal is a field error on `body` with a stable code and, where minijinja knows it,
//! the line: the editor shows it beside the text, never a 500.
//!
//! Printed values are made safe for the markup: a `|` becomes `\|` (a product named "A | B"
//! stays in its cell) and line breaks become spaces (a note cannot start a heading).

use std::io::Write;

use minijinja::{Environment, ErrorKind, Value};
use serde::Serialize;

use super::model::DocKind;
use crate::error::FieldError;
use crate::i18n::Lang;

/// The largest template body, in bytes.
pub const BODY_MAX: usize = 64 * 1024;
/// The largest rendered markup, in bytes (about forty pages).
pub const OUTPUT_MAX: usize = 128 * 1024;
/// Instructions one render may run: a 500-line offer needs about 15,000.
pub const FUEL: u64 = 100_000;

/// Statement tags a template may use; `set` only in its `{% set x = … %}` form.
const TAGS: [&str; 11] = ["if", "elif", "else", "endif", "for", "endfor", "set", "raw", "endraw", "with", "endwith"];

fn body_error(code: &'static str, line: Option<usize>, ru: &str, en: &str) -> FieldError {
    match line {
        Some(n) => FieldError::new("body", code, format!("Строка {n}: {ru}"), format!("Line {n}: {en}")),
        None => FieldError::new("body", code, ru, en),
    }
}

/// Refuses what the sandbox does not run, before minijinja parses anything: operators that
/// build strings, capturing and unknown tags. Text inside `{% raw %}` and string literals is
/// not code.
fn scan(body: &str) -> Result<(), FieldError> {
    let bytes = body.as_bytes();
    let (mut i, mut line, mut raw) = (0usize, 1usize, false);
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
        }
        let opener = bytes.get(i + 1).copied();
        if b != b'{' || !matches!(opener, Some(b'{' | b'%' | b'#')) {
            i += 1;
            continue;
        }
        let close: &[u8] = match opener {
            Some(b'{') => b"}}",
            Some(b'%') => b"%}",
            _ => b"#}",
        };
        let (code, tag_line) = (opener != Some(b'#'), line);
        i += 2;
        let start = i;
        let mut quote: Option<u8> = None;
        let mut end = bytes.len();
        while i < bytes.len() {
            let c = bytes[i];
            if c == b'\n' {
                line += 1;
            }
            match quote {
                Some(_) if c == b'\\' => i += 1,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if bytes[i..].starts_with(close) => {
                    end = i;
                    i += 2;
                    break;
                }
                None if !code || raw => {}
                None if c == b'\'' || c == b'"' => quote = Some(c),
                None if matches!(c, b'*' | b'~' | b'+') => {
                    return Err(body_error(
                        "template_operator",
                        Some(line),
                        &format!("«{}» в шаблоне не поддерживается: суммы уже посчитаны (deal.total, строки sum)", c as char),
                        &format!("“{}” is not supported in templates: the sums are already computed (deal.total, line sum)", c as char),
                    ));
                }
                None => {}
            }
            i += 1;
        }
        if opener != Some(b'%') {
            continue;
        }
        let inner = body.get(start..end).unwrap_or("").trim_matches(|c: char| c == '-' || c == '+' || c.is_whitespace());
        let mut words = inner.split_whitespace();
        let tag = words.next().unwrap_or("");
        if raw && tag != "endraw" {
            continue;
        }
        let refused = |what: &str| {
            body_error(
                "template_tag",
                Some(tag_line),
                &format!("тег «{what}» в шаблонах документов не поддерживается"),
                &format!("the tag “{what}” is not supported in document templates"),
            )
        };
        if !TAGS.contains(&tag) {
            return Err(refused(tag));
        }
        if tag == "set" && !inner.contains('=') {
            return Err(refused("set … endset"));
        }
        if tag == "for" && inner.split_whitespace().any(|w| w == "recursive") {
            return Err(refused("for … recursive"));
        }
        raw = match tag {
            "raw" => true,
            "endraw" => false,
            _ => raw,
        };
    }
    Ok(())
}

/// The environment every render runs in; see the module's notes.
fn environment<'source>() -> Environment<'source> {
    let mut env = Environment::empty();
    env.set_fuel(Some(FUEL));
    // A tag alone on its line leaves no blank line behind: markup is line-based.
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("upper", minijinja::filters::upper);
    env.add_filter("lower", minijinja::filters::lower);
    env.add_filter("title", minijinja::filters::title);
    env.add_filter("capitalize", minijinja::filters::capitalize);
    env.add_filter("trim", minijinja::filters::trim);
    env.add_filter("length", minijinja::filters::length);
    env.add_filter("default", minijinja::filters::default);
    env.add_filter("d", minijinja::filters::default);
    env.add_filter("first", minijinja::filters::first);
    env.add_filter("last", minijinja::filters::last);
    env.add_test("defined", minijinja::tests::is_defined);
    env.add_test("undefined", minijinja::tests::is_undefined);
    env.add_test("none", minijinja::tests::is_none);
    env.set_formatter(|out, _state, value| {
        if value.is_undefined() || value.is_none() {
            return Ok(());
        }
        let text = value.to_string().replace('|', "\\|").replace("\r\n", " ").replace(['\r', '\n'], " ");
        out.write_str(&text).map_err(|_| minijinja::Error::new(ErrorKind::WriteFailure, "the output is too large"))
    });
    env
}

/// Output written up to `OUTPUT_MAX` bytes; past it every write fails and `over` says why.
struct Capped {
    out: Vec<u8>,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.out.len() + buf.len() > OUTPUT_MAX {
            self.over = true;
            return Err(std::io::Error::other("output cap"));
        }
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn refusal(e: &minijinja::Error, over: bool) -> FieldError {
    if over {
        let kib = OUTPUT_MAX / 1024;
        return body_error(
            "template_output_too_large",
            None,
            &format!("документ получается больше {kib} КиБ текста"),
            &format!("the document would be larger than {kib} KiB of text"),
        );
    }
    let detail = e.detail().map(str::to_string).unwrap_or_else(|| e.kind().to_string());
    match e.kind() {
        ErrorKind::OutOfFuel => body_error(
            "template_fuel",
            e.line(),
            "шаблон делает слишком много шагов (вложенные циклы?)",
            "the template runs too many steps (nested loops?)",
        ),
        ErrorKind::SyntaxError => {
            body_error("template_syntax", e.line(), &format!("ошибка синтаксиса: {detail}"), &format!("syntax error: {detail}"))
        }
        _ => body_error("template_error", e.line(), &format!("ошибка шаблона: {detail}"), &format!("template error: {detail}")),
    }
}

/// Checks a body without rendering it: its size, what the sandbox refuses, and its syntax.
pub fn check(body: &str) -> Result<(), FieldError> {
    if body.len() > BODY_MAX {
        let kib = BODY_MAX / 1024;
        return Err(body_error(
            "template_too_large",
            None,
            &format!("шаблон длиннее {kib} КиБ"),
            &format!("the template is longer than {kib} KiB"),
        ));
    }
    if body.trim().is_empty() {
        return Err(FieldError::required("body"));
    }
    scan(body)?;
    let env = environment();
    env.template_from_str(body).map(|_| ()).map_err(|e| refusal(&e, false))
}

/// The markup `body` produces for `ctx`.
pub fn render(body: &str, ctx: &Context) -> Result<String, FieldError> {
    check(body)?;
    let env = environment();
    let template = env.template_from_str(body).map_err(|e| refusal(&e, false))?;
    let mut out = Capped { out: Vec::new(), over: false };
    let rendered = template.render_captured_to(Value::from_serialize(ctx), &mut out).map(|_| ());
    if let Err(e) = rendered {
        return Err(refusal(&e, out.over));
    }
    String::from_utf8(out.out).map_err(|_| body_error("template_error", None, "вывод не в UTF-8", "the output is not UTF-8"))
}

// ---- the context ----

/// Everything a template may print, as `FIELDS` documents it. Money arrives formatted in the
/// company's currency and the template's language; numbers are never computed in a template.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Context {
    pub company: CompanyFields,
    pub client: ClientFields,
    pub deal: DealFields,
    pub doc: DocFields,
    /// Filled for a document made from an order; its lines are then `deal.lines`.
    pub order: OrderFields,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct OrderFields {
    /// "З-000001"; empty for a document made from a deal.
    pub number: String,
    pub date: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CompanyFields {
    pub name: String,
    pub inn: String,
    pub okpo: String,
    pub address: String,
    pub phones: String,
    pub bank_name: String,
    pub bank_account: String,
    pub bik: String,
    pub currency: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClientFields {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub inn: String,
    pub okpo: String,
    pub address: String,
    pub bank: String,
    pub bik: String,
    pub account: String,
    /// The deal's contact person at the client.
    pub contact: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct LineFields {
    pub n: usize,
    pub name: String,
    pub qty: String,
    pub price: String,
    pub sum: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DealFields {
    pub title: String,
    pub owner: String,
    pub expected_close: String,
    pub notes: String,
    pub lines: Vec<LineFields>,
    pub count: usize,
    /// With the currency: "12 500,00 сом".
    pub total: String,
    /// Without it: "12 500,00".
    pub total_amount: String,
    pub total_words: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DocFields {
    pub number: String,
    pub date: String,
    pub kind: String,
}

/// The fields the editor lists: (name, what it holds in Russian, in English).
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("company.name", "название компании", "the company's name"),
    ("company.inn / okpo", "ИНН, ОКПО компании", "the company's tax id, OKPO"),
    ("company.address / phones", "адрес, телефоны", "address, phones"),
    ("company.bank_name / bank_account / bik", "банк, расчётный счёт, БИК", "bank, account, BIK"),
    ("company.currency", "валюта (KGS, RUB)", "currency (KGS, RUB)"),
    ("client.name / phone / email", "клиент: название, телефон, e-mail", "client: name, phone, e-mail"),
    ("client.inn / okpo / address", "ИНН, ОКПО, адрес клиента", "the client's tax id, OKPO, address"),
    ("client.bank / bik / account", "банк, БИК, счёт клиента", "the client's bank, BIK, account"),
    ("client.contact", "контактное лицо сделки", "the deal's contact person"),
    ("deal.title / owner", "сделка: название, ответственный", "deal: title, owner"),
    ("deal.expected_close / notes", "ожидаемое закрытие, заметки", "expected close, notes"),
    ("deal.lines", "строки: n, name, qty, price, sum", "lines: n, name, qty, price, sum"),
    ("deal.count", "число строк", "number of lines"),
    ("deal.total / total_amount", "итого с валютой / без", "total with / without the currency"),
    ("deal.total_words", "итого прописью", "total in words"),
    ("doc.number / date / kind", "номер, дата, вид документа", "number, date, kind of document"),
    ("order.number / date", "заказ: номер, дата (документ из заказа)", "order: number, date (a document made from an order)"),
];

/// The kind's name as a document title.
pub fn kind_title(kind: DocKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (DocKind::Offer, Lang::Ru) => "Коммерческое предложение",
        (DocKind::Invoice, Lang::Ru) => "Счёт на оплату",
        (DocKind::Act, Lang::Ru) => "Акт выполненных работ",
        (DocKind::Contract, Lang::Ru) => "Договор",
        (DocKind::Offer, Lang::En) => "Commercial offer",
        (DocKind::Invoice, Lang::En) => "Invoice",
        (DocKind::Act, Lang::En) => "Certificate of completion",
        (DocKind::Contract, Lang::En) => "Contract",
    }
}

// ---- built-in templates ----

/// A template shipped with Dukan: the company uses it as it is or copies it to edit.
pub struct Builtin {
    pub kind: DocKind,
    pub lang: Lang,
    pub body: &'static str,
}

impl Builtin {
    /// Its key in forms: "offer.ru".
    pub fn key(&self) -> String {
        format!("{}.{}", self.kind.code(), self.lang.code())
    }

    pub fn name(&self) -> String {
        format!("{} ({})", kind_title(self.kind, self.lang), self.lang.code())
    }
}

pub static BUILTINS: [Builtin; 8] = [
    Builtin { kind: DocKind::Offer, lang: Lang::Ru, body: include_str!("../../web/doc-templates/offer.ru.jinja") },
    Builtin { kind: DocKind::Offer, lang: Lang::En, body: include_str!("../../web/doc-templates/offer.en.jinja") },
    Builtin { kind: DocKind::Invoice, lang: Lang::Ru, body: include_str!("../../web/doc-templates/invoice.ru.jinja") },
    Builtin { kind: DocKind::Invoice, lang: Lang::En, body: include_str!("../../web/doc-templates/invoice.en.jinja") },
    Builtin { kind: DocKind::Act, lang: Lang::Ru, body: include_str!("../../web/doc-templates/act.ru.jinja") },
    Builtin { kind: DocKind::Act, lang: Lang::En, body: include_str!("../../web/doc-templates/act.en.jinja") },
    Builtin { kind: DocKind::Contract, lang: Lang::Ru, body: include_str!("../../web/doc-templates/contract.ru.jinja") },
    Builtin { kind: DocKind::Contract, lang: Lang::En, body: include_str!("../../web/doc-templates/contract.en.jinja") },
];

pub fn builtin(key: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.key() == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            client: ClientFields { name: "ОсОО «Ромашка»".into(), ..Default::default() },
            deal: DealFields {
                lines: vec![
                    LineFields {
                        n: 1, name: "Стул | белый".into(), qty: "2".into(), price: "1 500,00".into(), sum: "3 000,00".into()
                    },
                    LineFields { n: 2, name: "Стол".into(), qty: "1".into(), price: "9 500,00".into(), sum: "9 500,00".into() },
                ],
                count: 2,
                total: "12 500,00 сом".into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn refused(body: &str) -> (String, String) {
        match render(body, &ctx()) {
            Ok(out) => panic!("rendered: {out:?}"),
            Err(e) => (e.code.to_string(), e.en),
        }
    }

    #[test]
    fn a_body_renders_its_fields_with_bars_escaped_and_lines_kept() {
        let out = render("# КП для {{ client.name }}\n{% for l in deal.lines %}| {{ l.n }} | {{ l.name }} | {{ l.sum }} |\n{% endfor %}Итого: {{ deal.total }}{{ missing }}", &ctx())
            .expect("renders");
        assert_eq!(out, "# КП для ОсОО «Ромашка»\n| 1 | Стул \\| белый | 3 000,00 |\n| 2 | Стол | 9 500,00 |\nИтого: 12 500,00 сом");
        assert_eq!(
            render("{{ client.name|upper }} {{ client.inn|default('—', true) }} {{ deal.lines|length }}", &ctx()).expect("filters"),
            "ОСОО «РОМАШКА» — 2"
        );
    }

    #[test]
    fn the_sandbox_refuses_with_a_code_and_a_line() {
        for (body, code, line) in [
            ("ok\n{{ 'x' * 1000000000 }}", "template_operator", "Line 2"),
            ("{{ a ~ a }}", "template_operator", "Line 1"),
            ("{{ 1 + 1 }}", "template_operator", "Line 1"),
            ("\n\n{% include 'x' %}", "template_tag", "Line 3"),
            ("{% set big %}{{ deal.title }}{% endset %}", "template_tag", "Line 1"),
            ("{% filter upper %}x{% endfilter %}", "template_tag", "Line 1"),
            ("{% for l in deal.lines recursive %}{{ loop(l) }}{% endfor %}", "template_tag", "Line 1"),
            ("{% macro m() %}{% endmacro %}", "template_tag", "Line 1"),
            ("a\nb\n{% if deal.title %}\nno end", "template_syntax", "Line"),
            ("{{ range(10) }}", "template_error", "Line 1"),
            ("{{ deal.title|replace('a', 'b') }}", "template_error", "Line 1"),
        ] {
            let (got, en) = refused(body);
            assert_eq!(got, code, "{body}: {en}");
            assert!(en.starts_with(line), "{body}: {en}");
        }
        // Operators inside string literals and raw blocks are text.
        assert_eq!(render("{{ '1 + 1 * 2 ~ x' }}{% raw %}{{ a * b }}{% endraw %}", &ctx()).expect("text"), "1 + 1 * 2 ~ x{{ a * b }}");
    }

    #[test]
    fn loops_run_out_of_fuel_and_output_stops_at_its_cap() {
        let nested = "{% for a in deal.lines %}".repeat(40) + &"{% endfor %}".repeat(40);
        assert_eq!(refused(&nested).0, "template_fuel");
        let long = "x".repeat(60 * 1024);
        let body = format!("{}{long}{}", "{% for a in deal.lines %}{% for b in deal.lines %}", "{% endfor %}{% endfor %}");
        assert_eq!(refused(&body).0, "template_output_too_large");
        assert_eq!(refused(&"x".repeat(BODY_MAX + 1)).0, "template_too_large");
    }

    #[test]
    fn every_builtin_renders_and_reads_as_a_titled_document() {
        for b in &BUILTINS {
            let out = render(b.body, &ctx()).unwrap_or_else(|e| panic!("{}: {}", b.key(), e.en));
            let parsed = crate::documents::markup::parse(&out);
            assert!(parsed.title.is_some(), "{}", b.key());
            assert!(out.contains("Стул \\| белый"), "{} lists the lines", b.key());
        }
    }
}
