//! The owner's dashboard on `/`: today's takings, open shifts, low stock, debts due this week,
//! printers in trouble, open and won CRM deals (all from `analytics::dashboard`, each card
//! only for those allowed to see it) and the state of backups, which this page reads itself
//! because `backup` sits above `analytics` in the layers.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::{Shell, Ui, render};
use crate::analytics::dashboard::{self, Rows};
use crate::app::App;
use crate::backup::{self, State as BState};
use crate::clock::Ts;
use crate::error::Result;
use crate::i18n::Lang;
use crate::money::display;

/// A good backup older than this is shown as a warning (the schedule is daily).
const STALE_BACKUP_MS: i64 = 36 * 3_600_000;

pub struct BackupHealth {
    /// "" when no backup ever succeeded.
    pub last_good: String,
    /// When the last good backup finished, in the company's zone ("" when none).
    pub last_good_at: String,
    pub stale: bool,
    /// (when, error) of a failed backup newer than the last good one.
    pub failed: Option<(String, String)>,
    /// Only the platform operator may open the backups page.
    pub link: bool,
}

pub struct TodayCard {
    pub day: String,
    pub revenue: String,
    pub sales: u64,
}

pub struct ShiftLine {
    pub id: u64,
    pub number: String,
    pub cash_box: String,
    pub cashier: String,
    pub opened: String,
    pub expected: String,
}

pub struct StockLine {
    pub product: u64,
    pub name: String,
    pub warehouse: String,
    pub qty: String,
    pub reorder_level: String,
}

pub struct DebtLine {
    pub client: u64,
    pub name: String,
    pub due: String,
    pub amount: String,
    pub overdue: bool,
}

pub struct PrinterLine {
    pub name: String,
    pub status: String,
    pub detail: String,
    pub queued: usize,
    pub stuck: bool,
}

/// The CRM tiles: open and won deals, counts and Σ values written out.
pub struct DealsCard {
    pub open: u64,
    pub open_value: String,
    pub won: u64,
    pub won_value: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    lang: Lang,
    shell: Shell,
    today: Option<TodayCard>,
    shifts: Option<Rows<ShiftLine>>,
    low_stock: Option<Rows<StockLine>>,
    debts: Option<Rows<DebtLine>>,
    printers: Vec<PrinterLine>,
    deals: Option<DealsCard>,
    counts: Option<(usize, usize)>,
    backups: Option<BackupHealth>,
}

/// "5 min ago", "3 h ago", "2 days ago".
pub fn ago(lang: Lang, now: Ts, then: Ts) -> String {
    let minutes = (now.0 - then.0).max(0) / 60_000;
    let (key, n) = match minutes {
        0 => return lang.t("time.just_now").to_string(),
        m if m < 60 => ("time.minutes_ago", m),
        m if m < 48 * 60 => ("time.hours_ago", m / 60),
        m => ("time.days_ago", m / (24 * 60)),
    };
    lang.t(key).replace("{n}", &n.to_string())
}

fn lines<T, U>(rows: Option<Rows<T>>, f: impl Fn(T) -> U) -> Option<Rows<U>> {
    rows.map(|r| Rows { rows: r.rows.into_iter().map(f).collect(), more: r.more })
}

pub async fn dashboard(State(app): State<App>, ui: Ui) -> Result<Response> {
    let shell = Shell::load(&app, &ui)?;
    let (actor, lang, now) = (ui.actor(), ui.lang, app.now());
    let (tz, currency) = (shell.timezone.as_str(), shell.currency);
    let tx = app.db.read()?;
    let d = dashboard::load(&tx, actor, now)?;
    let money = |v| display::money(lang, v, currency);
    let today = d.today.map(|t| TodayCard { day: t.day, revenue: money(t.revenue), sales: t.sales });
    let shifts = lines(d.open_shifts, |s| ShiftLine {
        id: s.shift.0,
        number: s.number,
        cash_box: s.cash_box,
        cashier: s.cashier,
        opened: s.opened.format_local(tz),
        expected: money(s.expected_cash),
    });
    let low_stock = lines(d.low_stock, |r| StockLine {
        product: r.product.0,
        name: r.name,
        warehouse: r.warehouse,
        qty: display::qty(lang, r.qty),
        reorder_level: display::qty(lang, r.reorder_level),
    });
    let deals = d.deals.map(|x| DealsCard { open: x.open, open_value: money(x.open_value), won: x.won, won_value: money(x.won_value) });
    let debts =
        lines(d.debts_due, |r| DebtLine { client: r.client.0, name: r.name, due: r.due, amount: money(r.amount), overdue: r.overdue });
    let printers = d
        .printers
        .unwrap_or_default()
        .into_iter()
        .map(|p| PrinterLine {
            name: p.name,
            status: lang.t(&format!("printing.status_{}", p.health.unwrap_or("none"))).to_string(),
            detail: p.detail,
            queued: p.queued,
            stuck: p.stuck,
        })
        .collect();
    // The backup covers the whole box: its owner-like users see whether it is healthy, the
    // platform operator also gets the link to the backups page.
    let backups = if actor.platform_admin || actor.owner_like() {
        let (good, failed) = backup::latest(&tx)?;
        let good_at = good.and_then(|b| match b.state {
            BState::Good { finished, .. } => Some(finished),
            _ => None,
        });
        let failed = failed.and_then(|b| match b.state {
            BState::Failed { finished, error } => Some((finished.format_local(tz), error)),
            _ => None,
        });
        Some(BackupHealth {
            last_good: good_at.map(|t| ago(lang, now, t)).unwrap_or_default(),
            last_good_at: good_at.map(|t| t.format_local(tz)).unwrap_or_default(),
            stale: good_at.is_none_or(|t| now.0 - t.0 > STALE_BACKUP_MS),
            failed,
            link: actor.platform_admin,
        })
    } else {
        None
    };
    render(StatusCode::OK, &Dashboard { lang, shell, today, shifts, low_stock, debts, printers, deals, counts: d.counts, backups })
}
