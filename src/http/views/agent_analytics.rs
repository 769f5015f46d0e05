//! The agents' report page `/agents/analytics` (spec A11): an agent's own figures and charts,
//! or the owner's across agents (narrowed to one with `agent=`), over a day, a week, a month
//! or a custom period, drawn with the analytics tabs' figures, tables and inline-SVG charts,
//! with the XLSX export of the same tables.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;

use super::analytics_tabs::{FigureTile, TableView, table_view, text, urlencoding};
use super::{Choice, Fields, Shell, Ui, render};
use crate::analytics::agents::{self, AgentQuery};
use crate::app::App;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::UserId;

pub fn routes() -> Router<App> {
    Router::new().route("/agents/analytics", get(page))
}

#[derive(Template)]
#[template(path = "agents_analytics.html")]
struct Page {
    lang: Lang,
    shell: Shell,
    /// Sees every agent (may choose one).
    owner: bool,
    agents: Vec<Choice>,
    periods: Vec<(&'static str, &'static str, bool)>,
    from: String,
    to: String,
    error: Option<String>,
    figures: Vec<FigureTile>,
    tables: Vec<TableView>,
    export: String,
}

pub async fn page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let query = uri.query().unwrap_or("");
    let fields = Fields::parse(query.as_bytes());
    let q =
        AgentQuery { period: fields.get("period"), from: fields.get("from"), to: fields.get("to"), agent: fields.id("agent").map(UserId) };
    let (lang, actor) = (ui.lang, ui.actor());
    let tx = app.db.read()?;
    let (report, error) = match agents::report(&tx, actor, app.now(), &q) {
        Ok(r) => (Some(r), None),
        Err(Error::Validation(list)) => (None, Some(list.iter().map(|e| e.message(lang)).collect::<Vec<_>>().join("; "))),
        Err(e) => return Err(e),
    };
    let owner = report.as_ref().is_some_and(|r| r.agent.is_none()) || q.agent.is_some_and(|a| a != actor.user);
    let mut agents = Vec::new();
    if owner {
        agents.push(Choice { value: String::new(), label: lang.t("agents.all_agents").into(), selected: q.agent.is_none() });
        for (id, name) in crate::agents::agents(&tx, actor.company)? {
            agents.push(Choice { value: id.0.to_string(), label: name, selected: q.agent == Some(id) });
        }
    }
    drop(tx);
    let period = fields.get("period");
    let periods =
        [("month", "tabs.period_month"), ("day", "tabs.period_day"), ("week", "tabs.period_week"), ("custom", "tabs.period_custom")]
            .into_iter()
            .map(|(v, k)| (v, k, period == v || (v == "month" && period.is_empty())))
            .collect();
    let (from, to) = match &report {
        Some(r) => (r.from.clone(), r.to.clone()),
        None => (fields.get("from"), fields.get("to")),
    };
    let (figures, tables) = report.as_ref().map(agents::tables).unwrap_or_default();
    let carried: Vec<String> = ["period", "from", "to", "agent"]
        .iter()
        .filter_map(|k| {
            let v = fields.get(k);
            (!v.is_empty()).then(|| format!("{k}={}", urlencoding(&v)))
        })
        .collect();
    let page = Page {
        lang,
        shell: Shell::load(&app, &ui)?,
        owner,
        agents,
        periods,
        from,
        to,
        figures: figures
            .iter()
            .map(|fg| FigureTile {
                key: format!("tabs.fig.{}", fg.key),
                value: text(lang, fg.key, &fg.value).0,
                id: format!("fig-{}", fg.key.replace('_', "-")),
            })
            .collect(),
        tables: tables.iter().map(|t| table_view(lang, t)).collect(),
        export: format!(
            "/api/v1/agents/analytics.xlsx{}",
            if carried.is_empty() { String::new() } else { format!("?{}", carried.join("&")) }
        ),
        error,
    };
    render(if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &page)
}
