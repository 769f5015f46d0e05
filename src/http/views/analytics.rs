//! The sales analytics page `/analytics`: a period picker with filters, the key figures, and
//! server-rendered inline SVG charts (revenue bars with a gross-profit line per day, the
//! payment split, per cashier) that scale to a phone's width — no chart library, no JS.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::fmt::{amount, quantity};
use super::{Choice, Fields, Shell, Ui, render};
use crate::analytics::{self, Report};
use crate::app::App;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::{BranchId, CashBoxId, UserId};

pub fn routes() -> Router<App> {
    Router::new().route("/analytics", get(page))
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 72.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

/// One bar of the per-day chart, in SVG user units.
pub struct Bar {
    pub x: String,
    pub y: String,
    pub w: String,
    pub h: String,
    pub title: String,
}

pub struct Tick {
    pub x: String,
    pub y: String,
    pub label: String,
}

/// A labelled horizontal bar (payment split, cashiers): its length in percent of the largest.
pub struct Share {
    pub label: String,
    pub value: String,
    pub percent: String,
}

pub struct Figure {
    pub key: &'static str,
    pub value: String,
    pub id: &'static str,
}

pub struct ProductLine {
    pub name: String,
    pub qty: String,
    pub revenue: String,
    pub margin: String,
}

pub struct CashierLine {
    pub name: String,
    pub sales: u64,
    pub revenue: String,
    pub average: String,
    pub margin: String,
}

pub struct MethodLine {
    pub label: String,
    pub paid: String,
    pub refunded: String,
    pub net: String,
}

pub struct GapLine {
    pub shift: u64,
    pub number: String,
    pub cashier: String,
    pub closed: String,
    pub expected: String,
    pub counted: String,
    pub difference: String,
    pub shortage: bool,
}

#[derive(Template)]
#[template(path = "analytics.html")]
struct AnalyticsPage {
    lang: Lang,
    shell: Shell,
    tabs: Vec<super::analytics_tabs::TabLink>,
    periods: Vec<(&'static str, &'static str, bool)>,
    from: String,
    to: String,
    quick: Vec<(String, &'static str)>,
    branches: Vec<Choice>,
    boxes: Vec<Choice>,
    cashiers: Vec<Choice>,
    error: Option<String>,
    has_data: bool,
    figures: Vec<Figure>,
    bars: Vec<Bar>,
    line: String,
    ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    zero_y: String,
    methods: Vec<MethodLine>,
    method_bars: Vec<Share>,
    top_revenue: Vec<ProductLine>,
    top_margin: Vec<ProductLine>,
    cashier_lines: Vec<CashierLine>,
    cashier_bars: Vec<Share>,
    gaps: Vec<GapLine>,
}

/// Chart geometry only: amounts become floats for pixel positions, never for arithmetic.
pub(super) fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

pub(super) fn num(x: f64) -> String {
    format!("{x:.1}")
}

/// A round axis maximum at or above `max`: 1, 2 or 5 times a power of ten.
pub(super) fn nice(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * p).find(|v| *v >= max).unwrap_or(10.0 * p)
}

fn method_label(lang: Lang, code: &str) -> String {
    match code {
        "cash" | "card" | "transfer" | "debt" => lang.t(&format!("pos.method_{code}")).to_string(),
        other => other.strip_prefix("wallet:").unwrap_or(other).to_string(),
    }
}

/// Horizontal bars scaled to the largest value (negative values draw as empty bars).
pub(super) fn shares(lang: Lang, rows: &[(String, Decimal)]) -> Vec<Share> {
    let max = rows.iter().map(|(_, v)| f(*v)).fold(0.0, f64::max);
    rows.iter()
        .map(|(label, v)| {
            let pct = if max > 0.0 { (f(*v) / max * 100.0).clamp(0.0, 100.0) } else { 0.0 };
            Share { label: label.clone(), value: amount(lang, *v), percent: num(pct) }
        })
        .collect()
}

fn product_lines(rows: &[analytics::ProductRow], lang: Lang) -> Vec<ProductLine> {
    rows.iter()
        .map(|p| ProductLine {
            name: if p.product.is_none() { lang.t("analytics.custom_items").to_string() } else { p.name.clone() },
            qty: quantity(lang, p.qty),
            revenue: amount(lang, p.revenue),
            margin: amount(lang, p.margin),
        })
        .collect()
}

struct Chart {
    bars: Vec<Bar>,
    line: String,
    ticks: Vec<Tick>,
    y_ticks: Vec<Tick>,
    zero_y: String,
}

/// Revenue bars and a gross-profit polyline over the days of the period.
fn day_chart(lang: Lang, r: &Report) -> Chart {
    let n = r.days.len().max(1) as f64;
    let hi = r.days.iter().map(|d| f(d.revenue).max(f(d.margin))).fold(0.0, f64::max);
    let lo = r.days.iter().map(|d| f(d.revenue).min(f(d.margin))).fold(0.0, f64::min);
    let top = nice(hi);
    let bottom = if lo < 0.0 { -nice(-lo) } else { 0.0 };
    let plot_h = H - BOTTOM - TOP;
    let y_of = |v: f64| TOP + (top - v) / (top - bottom) * plot_h;
    let step = (W - LEFT) / n;
    let bar_w = (step * 0.7).max(1.0);
    let mut bars = Vec::new();
    let mut points = Vec::new();
    let mut ticks = Vec::new();
    let label_every = (r.days.len() / 7).max(1);
    for (i, d) in r.days.iter().enumerate() {
        let x = LEFT + i as f64 * step + (step - bar_w) / 2.0;
        let v = f(d.revenue);
        let (y0, y1) = (y_of(v.max(0.0)), y_of(v.min(0.0)));
        bars.push(Bar {
            x: num(x),
            y: num(y0),
            w: num(bar_w),
            h: num((y1 - y0).max(0.0)),
            title: format!("{}: {} / {}", d.day, amount(lang, d.revenue), amount(lang, d.margin)),
        });
        points.push(format!("{},{}", num(x + bar_w / 2.0), num(y_of(f(d.margin)))));
        if i % label_every == 0 {
            // "DD.MM" under the bar.
            let label = format!("{}.{}", d.day.get(8..10).unwrap_or(""), d.day.get(5..7).unwrap_or(""));
            ticks.push(Tick { x: num(x + bar_w / 2.0), y: num(H - 6.0), label });
        }
    }
    // The negative tick only when it stands clear of the zero line's label.
    let mut y_ticks: Vec<Tick> = [top, top / 2.0, 0.0, bottom]
        .iter()
        .filter(|v| **v >= 0.0 || y_of(**v) - y_of(0.0) > 18.0)
        .map(|v| Tick { x: num(LEFT - 6.0), y: num(y_of(*v) + 4.0), label: format!("{v:.0}") })
        .collect();
    y_ticks.dedup_by(|a, b| a.label == b.label);
    Chart { bars, line: points.join(" "), ticks, y_ticks, zero_y: num(y_of(0.0)) }
}

pub async fn page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let fields = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let q = analytics::Query {
        period: fields.get("period"),
        warehouse: None,
        from: fields.get("from"),
        to: fields.get("to"),
        branch: fields.id("branch").map(BranchId),
        cash_box: fields.id("cash_box").map(CashBoxId),
        cashier: fields.id("cashier").map(UserId),
    };
    let tx = app.db.read()?;
    let now = app.now();
    let lang = ui.lang;
    let (report, error) = match analytics::sales_report(&tx, ui.actor(), now, &q) {
        Ok(r) => (Some(r), None),
        Err(Error::Validation(list)) => (None, Some(list.iter().map(|e| e.message(lang)).collect::<Vec<_>>().join("; "))),
        Err(e) => return Err(e),
    };
    let tz = crate::tenancy::timezone(&tx, ui.actor().company)?;
    let today: jiff::civil::Date = now.date_local(&tz).parse().map_err(|e| Error::Internal(format!("today: {e}")))?;
    let back = |days: i64| today.checked_sub(jiff::Span::new().days(days)).map(|d| d.to_string()).unwrap_or_default();
    let quick = vec![
        (format!("from={}&to={today}", back(6)), "analytics.last_7"),
        (format!("from={}&to={today}", back(29)), "analytics.last_30"),
        (format!("from={}&to={today}", today.first_of_month()), "analytics.this_month"),
    ];
    let chosen = |name: &str, v: u64| fields.id(name) == Some(v);
    let choices = analytics::choices(&tx, ui.actor())?;
    let branches = choices
        .branches
        .into_iter()
        .map(|b| Choice { value: b.id.0.to_string(), selected: chosen("branch", b.id.0), label: b.name })
        .collect();
    let boxes = choices
        .cash_boxes
        .into_iter()
        .map(|b| Choice { value: b.id.0.to_string(), selected: chosen("cash_box", b.id.0), label: b.name })
        .collect();
    let names = choices.cashiers;
    let cashiers =
        names.iter().map(|(id, n)| Choice { value: id.0.to_string(), selected: chosen("cashier", id.0), label: n.clone() }).collect();
    let shell = Shell::load(&app, &ui)?;
    let (from, to) = match &report {
        Some(r) => (r.from.clone(), r.to.clone()),
        None => (fields.get("from"), fields.get("to")),
    };
    let period = fields.get("period");
    let periods =
        [("custom", "tabs.period_custom"), ("day", "tabs.period_day"), ("week", "tabs.period_week"), ("month", "tabs.period_month")]
            .into_iter()
            .map(|(v, k)| (v, k, period == v || (v == "custom" && period.is_empty())))
            .collect();
    let mut page = AnalyticsPage {
        lang,
        tabs: super::analytics_tabs::tab_links(ui.actor(), None, &super::analytics_tabs::carried_query(&fields)),
        periods,
        shell,
        from,
        to,
        quick,
        branches,
        boxes,
        cashiers,
        error,
        has_data: false,
        figures: Vec::new(),
        bars: Vec::new(),
        line: String::new(),
        ticks: Vec::new(),
        y_ticks: Vec::new(),
        zero_y: String::new(),
        methods: Vec::new(),
        method_bars: Vec::new(),
        top_revenue: Vec::new(),
        top_margin: Vec::new(),
        cashier_lines: Vec::new(),
        cashier_bars: Vec::new(),
        gaps: Vec::new(),
    };
    if let Some(r) = &report {
        let s = &r.summary;
        page.has_data = s.sales > 0 || s.returns > 0;
        page.figures = vec![
            Figure { key: "analytics.revenue", value: amount(lang, s.revenue), id: "fig-revenue" },
            Figure { key: "analytics.sales", value: s.sales.to_string(), id: "fig-sales" },
            Figure { key: "analytics.average_check", value: amount(lang, s.average_check), id: "fig-average" },
            Figure { key: "analytics.cogs", value: amount(lang, s.cogs), id: "fig-cogs" },
            Figure { key: "analytics.margin", value: amount(lang, s.margin), id: "fig-margin" },
            Figure {
                key: "analytics.margin_percent",
                value: s.margin_percent.map(|p| format!("{p} %")).unwrap_or_else(|| "—".into()),
                id: "fig-margin-percent",
            },
            Figure { key: "analytics.discounts", value: amount(lang, s.discounts), id: "fig-discounts" },
            Figure { key: "analytics.returned", value: format!("{} ({})", amount(lang, s.returned), s.returns), id: "fig-returned" },
        ];
        let chart = day_chart(lang, r);
        page.bars = chart.bars;
        page.line = chart.line;
        page.ticks = chart.ticks;
        page.y_ticks = chart.y_ticks;
        page.zero_y = chart.zero_y;
        page.methods = r
            .methods
            .iter()
            .map(|m| MethodLine {
                label: method_label(lang, &m.method),
                paid: amount(lang, m.paid),
                refunded: amount(lang, m.refunded),
                net: amount(lang, m.net),
            })
            .collect();
        page.method_bars = shares(lang, &r.methods.iter().map(|m| (method_label(lang, &m.method), m.net)).collect::<Vec<_>>());
        page.top_revenue = product_lines(&r.top_by_revenue, lang);
        page.top_margin = product_lines(&r.top_by_margin, lang);
        page.cashier_lines = r
            .cashiers
            .iter()
            .map(|c| CashierLine {
                name: c.name.clone(),
                sales: c.summary.sales,
                revenue: amount(lang, c.summary.revenue),
                average: amount(lang, c.summary.average_check),
                margin: amount(lang, c.summary.margin),
            })
            .collect();
        page.cashier_bars = shares(lang, &r.cashiers.iter().map(|c| (c.name.clone(), c.summary.revenue)).collect::<Vec<_>>());
        page.gaps = r
            .discrepancies
            .iter()
            .map(|d| GapLine {
                shift: d.shift.0,
                number: d.number.clone(),
                cashier: d.cashier_name.clone(),
                closed: d.closed.format_local(&tz),
                expected: amount(lang, d.expected),
                counted: amount(lang, d.counted),
                difference: amount(lang, d.difference),
                shortage: d.difference < Decimal::ZERO,
            })
            .collect();
    }
    render(if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &page)
}
