//! The analytics tabs beside sales, `/analytics/<tab>` (stock, cash boxes, shifts, products,
//! users, finance): one template renders any `analytics::tab::TabReport` — the filters, the
//! figures as tiles, and each table with its chart (horizontal bars, or bars over time with a
//! line) as inline SVG that scales to a phone's width — plus the link to the XLSX export.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use rust_decimal::Decimal;

use super::analytics::{Share, Tick, f, nice, num, shares};
use super::fmt::{amount, quantity};
use super::{Choice, Fields, Shell, Ui, render};
use crate::analytics::tab::{Cell, Chart, Tab, TabReport};
use crate::analytics::{self, Query};
use crate::app::App;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::{BranchId, CashBoxId, UserId, WarehouseId};
use crate::money::display;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new().route("/analytics/{tab}", get(page))
}

/// A link of the tab bar every analytics page shows.
pub struct TabLink {
    pub href: String,
    pub key: String,
    pub active: bool,
}

/// The tab bar: sales first, then every tab the actor may open (finance needs its right).
pub fn tab_links(actor: &Actor, active: Option<Tab>, query: &str) -> Vec<TabLink> {
    let q = if query.is_empty() { String::new() } else { format!("?{query}") };
    let mut out = vec![TabLink { href: format!("/analytics{q}"), key: "tabs.sales".into(), active: active.is_none() }];
    for t in Tab::ALL {
        if t == Tab::Finance && !actor.can(Perm::FINANCE) {
            continue;
        }
        out.push(TabLink { href: format!("/analytics/{}{q}", t.code()), key: format!("tabs.{}", t.code()), active: active == Some(t) });
    }
    out
}

/// The filters of a tab link: the period and the scope, never the page's own extras.
pub fn carried_query(fields: &Fields) -> String {
    ["period", "from", "to", "branch", "cash_box", "cashier"]
        .iter()
        .filter_map(|k| {
            let v = fields.get(k);
            (!v.is_empty()).then(|| format!("{k}={}", urlencoding(&v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

pub(super) fn urlencoding(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).map(|e| e.trim_start_matches('=').to_string()).unwrap_or_default()
}

pub struct FigureTile {
    pub key: String,
    pub value: String,
    pub id: String,
}

/// Vertical bars over time with an optional line (the finance tab's months).
pub struct Series {
    pub bars: Vec<super::analytics::Bar>,
    pub line: String,
    pub ticks: Vec<Tick>,
    pub y_ticks: Vec<Tick>,
    pub zero_y: String,
}

pub struct TableView {
    pub id: String,
    pub title: String,
    pub headers: Vec<(String, bool)>,
    /// (text, numeric, negative)
    pub rows: Vec<Vec<(String, bool, bool)>>,
    pub bars: Vec<Share>,
    pub series: Option<Series>,
}

#[derive(Template)]
#[template(path = "analytics_tab.html")]
struct TabPage {
    lang: Lang,
    shell: Shell,
    tab: String,
    tab_key: String,
    tabs: Vec<TabLink>,
    from: String,
    to: String,
    periods: Vec<(&'static str, &'static str, bool)>,
    branches: Vec<Choice>,
    boxes: Vec<Choice>,
    cashiers: Vec<Choice>,
    warehouses: Vec<Choice>,
    error: Option<String>,
    figures: Vec<FigureTile>,
    tables: Vec<TableView>,
    export: String,
}

pub(super) fn text(lang: Lang, column: &str, c: &Cell) -> (String, bool, bool) {
    match c {
        Cell::Text(s) if column == "level" => (lang.t(&format!("tabs.level_{s}")).to_string(), false, s == "critical"),
        Cell::Text(s) => (s.clone(), false, false),
        Cell::Count(n) => (n.to_string(), true, false),
        Cell::Id(id) => (id.map(|i| i.to_string()).unwrap_or_default(), true, false),
        Cell::Money(d) => (amount(lang, *d), true, *d < Decimal::ZERO),
        Cell::Qty(d) => (quantity(lang, *d), true, *d < Decimal::ZERO),
        Cell::Percent(p) => (p.map(|p| format!("{} %", display::number(lang, p, 1))).unwrap_or_else(|| "—".into()), true, false),
        Cell::Days(p) => (p.map(|p| display::number(lang, p, 1)).unwrap_or_else(|| "—".into()), true, false),
    }
}

fn value(c: Option<&Cell>) -> Decimal {
    match c {
        Some(Cell::Money(d) | Cell::Qty(d)) => *d,
        Some(Cell::Count(n)) => Decimal::from(*n),
        _ => Decimal::ZERO,
    }
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 72.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 10.0;

/// Bars of `bars` per row with a polyline of `line`, labelled by `labels`.
fn series(lang: Lang, labels: &[String], bars: &[Decimal], line: &[Decimal]) -> Series {
    let n = labels.len().max(1) as f64;
    let all = || bars.iter().chain(line.iter()).map(|d| f(*d));
    let top = nice(all().fold(0.0, f64::max));
    let lo = all().fold(0.0, f64::min);
    let bottom = if lo < 0.0 { -nice(-lo) } else { 0.0 };
    let plot_h = H - BOTTOM - TOP;
    let y_of = |v: f64| TOP + (top - v) / (top - bottom) * plot_h;
    let step = (W - LEFT) / n;
    let bar_w = (step * 0.7).max(1.0);
    let mut out = Series { bars: Vec::new(), line: String::new(), ticks: Vec::new(), y_ticks: Vec::new(), zero_y: num(y_of(0.0)) };
    let mut points = Vec::new();
    let every = (labels.len() / 7).max(1);
    for (i, label) in labels.iter().enumerate() {
        let x = LEFT + i as f64 * step + (step - bar_w) / 2.0;
        let v = bars.get(i).copied().unwrap_or_default();
        let (y0, y1) = (y_of(f(v).max(0.0)), y_of(f(v).min(0.0)));
        let l = line.get(i).copied();
        out.bars.push(super::analytics::Bar {
            x: num(x),
            y: num(y0),
            w: num(bar_w),
            h: num((y1 - y0).max(0.0)),
            title: match l {
                Some(l) => format!("{label}: {} / {}", amount(lang, v), amount(lang, l)),
                None => format!("{label}: {}", amount(lang, v)),
            },
        });
        if let Some(l) = l {
            points.push(format!("{},{}", num(x + bar_w / 2.0), num(y_of(f(l)))));
        }
        if i % every == 0 {
            out.ticks.push(Tick { x: num(x + bar_w / 2.0), y: num(H - 6.0), label: label.clone() });
        }
    }
    out.line = points.join(" ");
    out.y_ticks = [top, top / 2.0, 0.0, bottom]
        .iter()
        .filter(|v| **v >= 0.0 || y_of(**v) - y_of(0.0) > 18.0)
        .map(|v| Tick { x: num(LEFT - 6.0), y: num(y_of(*v) + 4.0), label: format!("{v:.0}") })
        .collect();
    out.y_ticks.dedup_by(|a, b| a.label == b.label);
    out
}

pub(super) fn table_view(lang: Lang, t: &analytics::tab::Table) -> TableView {
    // Ids and codes are for the API; people read the names beside them.
    let keep: Vec<usize> = (0..t.columns.len())
        .filter(|i| t.columns[*i] != "code" && !t.rows.iter().any(|r| matches!(r.get(*i), Some(Cell::Id(_)))))
        .collect();
    let numeric = |i: usize| t.rows.first().map(|r| !matches!(r.get(i), Some(Cell::Text(_)))).unwrap_or(false);
    let headers = keep.iter().map(|i| (lang.t(&format!("tabs.col.{}", t.columns[*i])).to_string(), numeric(*i))).collect();
    let rows = t.rows.iter().map(|r| keep.iter().map(|i| text(lang, t.columns[*i], &r[*i])).collect()).collect();
    let label = |r: &Vec<Cell>, col: usize| match r.get(col) {
        Some(Cell::Text(s)) => s.clone(),
        other => other.and_then(Cell::plain).unwrap_or_default(),
    };
    let (bars, series) = match t.chart {
        Some(Chart::Bars { label: l, value: v }) => {
            (shares(lang, &t.rows.iter().take(12).map(|r| (label(r, l), value(r.get(v)))).collect::<Vec<_>>()), None)
        }
        Some(Chart::Series { label: l, bars: b, line }) => {
            let labels: Vec<String> = t.rows.iter().map(|r| label(r, l)).collect();
            let bars: Vec<Decimal> = t.rows.iter().map(|r| value(r.get(b))).collect();
            let line: Vec<Decimal> = line.map(|c| t.rows.iter().map(|r| value(r.get(c))).collect()).unwrap_or_default();
            (Vec::new(), Some(series(lang, &labels, &bars, &line)))
        }
        None => (Vec::new(), None),
    };
    TableView { id: t.id.to_string(), title: lang.t(&format!("tabs.table.{}", t.id)).to_string(), headers, rows, bars, series }
}

pub async fn page(State(app): State<App>, ui: Ui, uri: Uri, Path(tab): Path<String>) -> Result<Response> {
    let tab = Tab::parse(&tab).ok_or(Error::NotFound)?;
    let query = uri.query().unwrap_or("");
    let fields = Fields::parse(query.as_bytes());
    let q = Query {
        period: fields.get("period"),
        from: fields.get("from"),
        to: fields.get("to"),
        branch: fields.id("branch").map(BranchId),
        cash_box: fields.id("cash_box").map(CashBoxId),
        cashier: fields.id("cashier").map(UserId),
        warehouse: fields.id("warehouse").map(WarehouseId),
    };
    let lang = ui.lang;
    let actor = ui.actor();
    let tx = app.db.read()?;
    let (report, error): (Option<TabReport>, Option<String>) = match analytics::tab::report(&tx, actor, app.now(), tab, &q) {
        Ok(r) => (Some(r), None),
        Err(Error::Validation(list)) => (None, Some(list.iter().map(|e| e.message(lang)).collect::<Vec<_>>().join("; "))),
        Err(e) => return Err(e),
    };
    let chosen = |name: &str, v: u64| fields.id(name) == Some(v);
    let choices = analytics::choices(&tx, actor)?;
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
    let cashiers = choices
        .cashiers
        .iter()
        .map(|(id, n)| Choice { value: id.0.to_string(), selected: chosen("cashier", id.0), label: n.clone() })
        .collect();
    let warehouses = if tab == Tab::Stock {
        analytics::warehouse_choices(&tx, actor)?
            .into_iter()
            .map(|(id, name)| Choice { value: id.0.to_string(), selected: chosen("warehouse", id.0), label: name })
            .collect()
    } else {
        Vec::new()
    };
    drop(tx);
    let period = fields.get("period");
    let periods =
        [("custom", "tabs.period_custom"), ("day", "tabs.period_day"), ("week", "tabs.period_week"), ("month", "tabs.period_month")]
            .into_iter()
            .map(|(v, k)| (v, k, period == v || (v == "custom" && period.is_empty())))
            .collect();
    let (from, to) = match &report {
        Some(r) => (r.from.clone(), r.to.clone()),
        None => (fields.get("from"), fields.get("to")),
    };
    let mut export_q = carried_query(&fields);
    if let Some(w) = fields.id("warehouse") {
        export_q = if export_q.is_empty() { format!("warehouse={w}") } else { format!("{export_q}&warehouse={w}") };
    }
    let page = TabPage {
        lang,
        shell: Shell::load(&app, &ui)?,
        tab: tab.code().to_string(),
        tab_key: format!("tabs.{}", tab.code()),
        tabs: tab_links(actor, Some(tab), &carried_query(&fields)),
        from,
        to,
        periods,
        branches,
        boxes,
        cashiers,
        warehouses,
        figures: report
            .as_ref()
            .map(|r| {
                r.figures
                    .iter()
                    .map(|fg| FigureTile {
                        key: format!("tabs.fig.{}", fg.key),
                        value: text(lang, fg.key, &fg.value).0,
                        id: format!("fig-{}", fg.key.replace('_', "-")),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        tables: report.as_ref().map(|r| r.tables.iter().map(|t| table_view(lang, t)).collect()).unwrap_or_default(),
        export: format!(
            "/api/v1/analytics/{}/export.xlsx{}",
            tab.code(),
            if export_q.is_empty() { String::new() } else { format!("?{export_q}") }
        ),
        error,
    };
    render(if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &page)
}
