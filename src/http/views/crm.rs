//! CRM pages: the kanban board (`/crm`: a column per stage, cards that move by drag and drop
//! or by a "move to" select that works from the keyboard and without JavaScript), the deal
//! list with filters and the forecast (`/crm/deals`), the deal page, tasks (`/crm/tasks`: my,
//! overdue, today), and two fragments other pages load: the client card's CRM panel
//! (contacts and the timeline, paged) and the reminders.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::crm::deals::{self, DealDraft, DealFilter, LineDraft};
use crate::crm::model::{Contact, Deal, Pipeline, Task, TaskKind, TaskStatus};
use crate::crm::tasks::{self, TaskDraft, TaskList};
use crate::crm::timeline::{self, ItemKind};
use crate::crm::{self, ContactDraft};
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{ClientId, CrmDealId, StageId, TaskId, UserId};
use crate::money::display;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/crm", get(board_page))
        .route("/crm/deals", get(list_page).post(create_deal))
        .route("/crm/deals/{id}", get(deal_page).post(save_deal))
        .route("/crm/deals/{id}/move", post(move_deal))
        .route("/crm/deals/{id}/lines", post(save_lines))
        .route("/crm/tasks", get(tasks_page).post(create_task))
        .route("/crm/tasks/{id}/status", post(task_status))
        .route("/crm/clients/{id}/panel", get(client_panel))
        .route("/crm/clients/{id}/timeline", get(timeline_rows))
        .route("/crm/clients/{id}/contacts", post(add_contact))
        .route("/crm/reminders", get(reminders))
        .route("/crm/live", get(board_live))
}

/// The board's live stream: `deal` events (a deal created, edited or moved by anyone in the
/// company) on which an open board re-reads itself, as its viewer, without a reload.
pub async fn board_live(State(app): State<App>, ui: Ui) -> Result<Response> {
    deals::require_deals(ui.actor())?;
    Ok(crate::http::live::stream(&app, ui.actor().company, deals::BOARD_TOPIC).into_response())
}

const FLASHES: &[&str] = &["lines_saved", "deal_saved", "deal_moved", "task_saved", "task_status", "contact_saved", "document_created"];

/// Where a form came from, for the redirect after it: only our own CRM and client pages.
fn back(f: &Fields, default: &str) -> String {
    let b = f.get("back");
    let ours = ["/crm", "/clients/"].iter().any(|p| b.starts_with(p)) && !b.contains("//") && !b.contains('\\');
    if ours { b } else { default.to_string() }
}

fn with_ok(to: &str, key: &str) -> String {
    let sep = if to.contains('?') { '&' } else { '?' };
    format!("{to}{sep}ok={key}")
}

fn user_choices(app: &App, ui: &Ui, chosen: Option<UserId>, any: bool) -> Result<Vec<Choice>> {
    let tx = app.db.read()?;
    let mut out = Vec::new();
    if any {
        out.push(Choice { value: String::new(), label: "—".into(), selected: chosen.is_none() });
    }
    for u in crate::tenancy::query::users(&tx, ui.actor().company)?.into_iter().filter(|u| u.active) {
        out.push(Choice { value: u.id.0.to_string(), selected: Some(u.id) == chosen, label: u.name });
    }
    Ok(out)
}

pub(super) fn client_choices(app: &App, ui: &Ui, chosen: Option<ClientId>) -> Result<Vec<Choice>> {
    let mut out = vec![Choice { value: String::new(), label: "—".into(), selected: chosen.is_none() }];
    if crate::clients::require_read(ui.actor()).is_err() {
        return Ok(out);
    }
    let tx = app.db.read()?;
    for c in crate::clients::list(&tx, ui.actor().company, 0, 200, false)? {
        out.push(Choice { value: c.id.0.to_string(), selected: Some(c.id) == chosen, label: c.name });
    }
    Ok(out)
}

fn stage_choices(p: &Pipeline, chosen: Option<StageId>, any: bool) -> Vec<Choice> {
    let mut out = Vec::new();
    if any {
        out.push(Choice { value: String::new(), label: "—".into(), selected: chosen.is_none() });
    }
    out.extend(p.stages.iter().map(|s| Choice { value: s.id.0.to_string(), label: s.name.clone(), selected: Some(s.id) == chosen }));
    out
}

/// A card on the board or a row of the list.
pub struct Card {
    pub id: u64,
    pub title: String,
    pub value: String,
    pub client: String,
    pub owner: String,
    pub close: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub stages: Vec<Choice>,
}

/// What cards need besides the deal: client and user names, read once per page.
struct Names {
    users: BTreeMap<UserId, String>,
    clients: BTreeMap<ClientId, String>,
}

impl Names {
    fn load(app: &App, ui: &Ui, deals: &[&Deal]) -> Result<Names> {
        let tx = app.db.read()?;
        let users = crate::tenancy::query::user_names(&tx, ui.actor().company)?;
        let mut clients = BTreeMap::new();
        for id in deals.iter().filter_map(|d| d.client) {
            if let std::collections::btree_map::Entry::Vacant(e) = clients.entry(id) {
                match crate::clients::read_client(&tx, ui.actor(), id) {
                    Ok(c) => {
                        e.insert(c.name);
                    }
                    Err(Error::NotFound) => {}
                    Err(other) => return Err(other),
                }
            }
        }
        Ok(Names { users, clients })
    }

    fn card(&self, lang: Lang, p: &Pipeline, d: &Deal) -> Card {
        Card {
            id: d.id.0,
            title: d.title.clone(),
            value: display::amount(lang, d.value),
            client: d.client.and_then(|c| self.clients.get(&c).cloned()).unwrap_or_default(),
            owner: self.users.get(&d.owner).cloned().unwrap_or_default(),
            close: d.expected_close.clone().unwrap_or_default(),
            status: d.status(),
            status_label: lang.t(&format!("crm.status_{}", d.status())),
            stages: stage_choices(p, Some(d.stage), false),
        }
    }
}

pub struct Column {
    pub id: u64,
    pub name: String,
    pub probability: u8,
    pub kind: &'static str,
    pub count: u64,
    pub value: String,
    pub cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "crm_board.html")]
pub struct BoardPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub pipeline: u64,
    pub pipelines: Vec<Choice>,
    pub columns: Vec<Column>,
    pub lost_reasons: Vec<String>,
    pub clients: Vec<Choice>,
    pub form: DealForm,
}

#[derive(Default, Clone)]
pub struct DealForm {
    pub title: String,
    pub value: String,
    pub expected_close: String,
    pub notes: String,
}

fn pipeline_of(app: &App, ui: &Ui, raw: Option<u64>) -> Result<(Pipeline, Vec<Choice>)> {
    let tx = app.db.read()?;
    let all = deals::pipelines(&tx, ui.actor())?;
    let p = match raw {
        Some(id) => all.iter().find(|p| p.id.0 == id).cloned().ok_or(Error::NotFound)?,
        None => all.first().cloned().ok_or(Error::NotFound)?,
    };
    let choices = all.iter().map(|x| Choice { value: x.id.0.to_string(), label: x.name.clone(), selected: x.id == p.id }).collect();
    Ok((p, choices))
}

fn board_for(app: &App, ui: &Ui, uri: &Uri, pipeline: Option<u64>, form: DealForm, errs: Errors) -> Result<BoardPage> {
    deals::require_deals(ui.actor())?;
    let (p, pipelines) = pipeline_of(app, ui, pipeline)?;
    let cols = deals::board(&app.db.read()?, ui.actor(), &p, 30)?;
    let all: Vec<&Deal> = cols.iter().flat_map(|c| c.deals.iter()).collect();
    let names = Names::load(app, ui, &all)?;
    let lang = ui.lang;
    let columns = cols
        .iter()
        .map(|c| Column {
            id: c.stage.id.0,
            name: c.stage.name.clone(),
            probability: c.stage.probability,
            kind: c.stage.kind.code(),
            count: c.count,
            value: display::amount(lang, c.value),
            cards: c.deals.iter().map(|d| names.card(lang, &p, d)).collect(),
        })
        .collect();
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri, FLASHES, "crm_");
    Ok(BoardPage {
        lang,
        shell,
        errs,
        pipeline: p.id.0,
        pipelines,
        columns,
        lost_reasons: p.lost_reasons.clone(),
        clients: client_choices(app, ui, None)?,
        form,
    })
}

pub async fn board_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
    render(StatusCode::OK, &board_for(&app, &ui, &uri, q.id("pipeline").filter(|p| *p > 0), DealForm::default(), Errors::default())?)
}

fn deal_draft(f: &Fields) -> DealDraft {
    DealDraft {
        pipeline: f.id("pipeline"),
        stage: None,
        title: f.get("title"),
        value: f.get("value"),
        client: f.id("client"),
        contact: f.id("contact"),
        owner: f.id("owner"),
        expected_close: f.get("expected_close"),
        // The edit form carries no lines: they are kept, and edited by their own form.
        lines: None,
        notes: f.get("notes"),
    }
}

const DEAL_FIELDS: &[&str] = &["title", "value", "client", "contact", "owner", "expected_close", "notes"];

pub async fn create_deal(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = deal_draft(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| deals::save_deal(tx, &actor, now, None, &saving)).await {
        Ok(deal) => {
            app.live.publish(ui.actor().company, deals::BOARD_TOPIC, deals::board_event(&deal));
            Ok(see_other(&with_ok(&back(&f, &format!("/crm?pipeline={}", deal.pipeline)), "deal_saved")))
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, DEAL_FIELDS)?;
            let form = DealForm { title: d.title, value: d.value, expected_close: d.expected_close, notes: d.notes };
            render(status, &board_for(&app, &ui, &uri, d.pipeline.filter(|p| *p > 0), form, errs)?)
        }
    }
}

pub async fn move_deal(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let (stage, reason) = (StageId(f.id("stage").unwrap_or(0)), f.get("lost_reason"));
    let deal = app.db.write(move |tx| deals::move_deal(tx, &actor, now, CrmDealId(id), stage, &reason)).await;
    match deal {
        Ok(d) => {
            app.live.publish(ui.actor().company, deals::BOARD_TOPIC, deals::board_event(&d));
            Ok(see_other(&with_ok(&back(&f, &format!("/crm?pipeline={}", d.pipeline)), "deal_moved")))
        }
        Err(e @ (Error::Validation(_) | Error::Refused { .. })) => Ok(super::flash_error(&e, ui.lang)),
        Err(e) => Err(e),
    }
}

// ---- the list and the forecast ----

pub struct ForecastRow {
    pub name: String,
    pub count: u64,
    pub value: String,
    pub weighted: String,
}

#[derive(Template)]
#[template(path = "crm_deals.html")]
pub struct ListPage {
    pub lang: Lang,
    pub shell: Shell,
    pub pipeline: u64,
    pub pipelines: Vec<Choice>,
    pub stages: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub clients: Vec<Choice>,
    pub close_from: String,
    pub close_to: String,
    pub rows: Vec<(Card, String)>,
    pub by_stage: Vec<ForecastRow>,
    pub by_owner: Vec<ForecastRow>,
    pub total: ForecastRow,
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    deals::require_deals(ui.actor())?;
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let (p, pipelines) = pipeline_of(&app, &ui, q.id("pipeline").filter(|p| *p > 0))?;
    let filter = DealFilter {
        pipeline: Some(p.id.0),
        stage: q.id("stage"),
        owner: q.id("owner"),
        client: q.id("client"),
        close_from: q.get("close_from"),
        close_to: q.get("close_to"),
        limit: 200,
    };
    let tx = app.db.read()?;
    let found = deals::list(&tx, ui.actor(), &filter)?;
    let f = deals::forecast(&tx, ui.actor(), &p)?;
    let refs: Vec<&Deal> = found.iter().collect();
    let names = Names::load(&app, &ui, &refs)?;
    let lang = ui.lang;
    let row = |name: String, r: &deals::ForecastRow| ForecastRow {
        name,
        count: r.count,
        value: display::amount(lang, r.value),
        weighted: display::amount(lang, r.weighted),
    };
    let page = ListPage {
        lang,
        shell: Shell::load(&app, &ui)?,
        pipeline: p.id.0,
        pipelines,
        stages: stage_choices(&p, filter.stage.map(StageId), true),
        owners: user_choices(&app, &ui, filter.owner.map(UserId), true)?,
        clients: client_choices(&app, &ui, filter.client.map(ClientId))?,
        close_from: filter.close_from.clone(),
        close_to: filter.close_to.clone(),
        rows: found.iter().map(|d| (names.card(lang, &p, d), p.stage(d.stage).map(|s| s.name.clone()).unwrap_or_default())).collect(),
        by_stage: f.by_stage.iter().map(|(s, r)| row(format!("{} · {}%", s.name, s.probability), r)).collect(),
        by_owner: f.by_owner.iter().map(|(u, r)| row(names.users.get(u).cloned().unwrap_or_default(), r)).collect(),
        total: row(lang.t("crm.total").into(), &f.total),
    };
    render(StatusCode::OK, &page)
}

// ---- one deal ----

pub struct TaskRow {
    pub id: u64,
    pub kind: &'static str,
    pub title: String,
    pub due: String,
    pub status: &'static str,
    pub overdue: bool,
    pub assignee: String,
    pub client: Option<u64>,
    pub deal: Option<u64>,
}

fn task_rows(app: &App, ui: &Ui, tz: &str, list: &[Task]) -> Result<Vec<TaskRow>> {
    let names = crate::tenancy::query::user_names(&app.db.read()?, ui.actor().company)?;
    let now = app.now();
    Ok(list
        .iter()
        .map(|t| TaskRow {
            id: t.id.0,
            kind: t.kind.code(),
            title: t.title.clone(),
            due: t.due.format_local(tz),
            status: t.status.code(),
            overdue: t.status != TaskStatus::Done && t.due < now,
            assignee: names.get(&t.assignee).cloned().unwrap_or_default(),
            client: t.client.map(|c| c.0),
            deal: t.deal.map(|d| d.0),
        })
        .collect())
}

fn kind_choices(lang: Lang) -> Vec<Choice> {
    TaskKind::ALL
        .iter()
        .map(|k| Choice { value: k.code().into(), label: lang.t(&format!("crm.kind_{}", k.code())).into(), selected: *k == TaskKind::Call })
        .collect()
}

/// A deal line as the page shows and edits it: the plain qty and price go back into inputs.
pub struct LineRow {
    pub product: u64,
    pub name: String,
    pub qty: String,
    pub price: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "crm_deal.html")]
pub struct DealPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub card: Card,
    pub stage: String,
    pub lost_reason: String,
    pub closed: bool,
    pub lines: Vec<LineRow>,
    /// The catalogue's goods the lines form offers to add.
    pub products: Vec<Choice>,
    pub form: DealForm,
    pub clients: Vec<Choice>,
    pub contacts: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub can_reassign: bool,
    pub lost_reasons: Vec<String>,
    pub tasks: Vec<TaskRow>,
    pub kinds: Vec<Choice>,
    pub can_tasks: bool,
    /// Where the task buttons return to.
    pub back: String,
    /// A won deal with lines offers "create order" to whoever works orders.
    pub can_order: bool,
    pub warehouses: Vec<Choice>,
    /// The deal's orders: id, number, status label.
    pub orders: Vec<(u64, String, String)>,
    /// Documents made from the deal, newest first, and the templates to make one from.
    pub docs: Vec<super::crm_docs::DocRow>,
    pub doc_templates: Vec<Choice>,
}

pub(super) fn deal_for(app: &App, ui: &Ui, uri: &Uri, id: u64, form: Option<DealForm>, errs: Errors) -> Result<DealPage> {
    let tx = app.db.read()?;
    let d = deals::deal(&tx, ui.actor(), CrmDealId(id))?;
    let p = deals::pipeline(&tx, ui.actor(), d.pipeline)?;
    let names = Names::load(app, ui, &[&d])?;
    let lang = ui.lang;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri, FLASHES, "crm_");
    let contacts: Vec<Contact> = match d.client {
        Some(c) => crm::contacts(&tx, ui.actor(), c).unwrap_or_default(),
        None => Vec::new(),
    };
    let mut contact_choices = vec![Choice { value: String::new(), label: "—".into(), selected: d.contact.is_none() }];
    contact_choices.extend(contacts.iter().map(|k| Choice {
        value: k.id.0.to_string(),
        label: k.name.clone(),
        selected: Some(k.id) == d.contact,
    }));
    let can_tasks = tasks::require_tasks(ui.actor()).is_ok();
    let task_list = if can_tasks { tasks::of_deal(&tx, ui.actor(), d.id)? } else { Vec::new() };
    let tasks = task_rows(app, ui, &shell.timezone, &task_list)?;
    let may_order = crate::crm::orders::require_orders(ui.actor()).is_ok();
    let orders = if may_order {
        let f = crate::crm::orders::OrderFilter { deal: Some(d.id.0), limit: 20, ..Default::default() };
        crate::crm::orders::list(&tx, ui.actor(), &f)?
            .into_iter()
            .map(|o| (o.id.0, o.number, lang.t(&format!("crm.order_status_{}", o.status.code())).to_string()))
            .collect()
    } else {
        Vec::new()
    };
    let mut products = vec![Choice { value: String::new(), label: "—".into(), selected: true }];
    if d.closed.is_none() {
        for p in crate::catalog::query::active_goods(&tx, ui.actor().company, None, 500)? {
            products.push(Choice {
                value: p.id.0.to_string(),
                label: format!("{} · {}", p.name, display::amount(lang, p.price)),
                selected: false,
            });
        }
    }
    let (docs, doc_templates) = super::crm_docs::deal_docs(app, ui, &shell.timezone, d.id)?;
    Ok(DealPage {
        docs,
        doc_templates,
        can_order: may_order && d.status() == "won" && !d.lines.is_empty(),
        warehouses: if may_order { super::crm_orders::warehouse_choices(app, ui)? } else { Vec::new() },
        orders,
        lang,
        card: names.card(lang, &p, &d),
        stage: p.stage(d.stage).map(|s| s.name.clone()).unwrap_or_default(),
        lost_reason: d.lost_reason.clone(),
        closed: d.closed.is_some(),
        lines: d
            .lines
            .iter()
            .map(|l| LineRow {
                product: l.product.0,
                name: l.name.clone(),
                qty: l.qty.normalize().to_string(),
                price: l.price.to_string(),
                amount: display::amount(lang, l.amount()),
            })
            .collect(),
        products,
        form: form.unwrap_or_else(|| DealForm {
            title: d.title.clone(),
            value: d.value.to_string(),
            expected_close: d.expected_close.clone().unwrap_or_default(),
            notes: d.notes.clone(),
        }),
        clients: client_choices(app, ui, d.client)?,
        contacts: contact_choices,
        owners: user_choices(app, ui, Some(d.owner), false)?,
        can_reassign: deals::sees_all(ui.actor()),
        lost_reasons: p.lost_reasons.clone(),
        tasks,
        kinds: kind_choices(lang),
        can_tasks,
        back: format!("/crm/deals/{}", d.id),
        errs,
        shell,
    })
}

pub async fn deal_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &deal_for(&app, &ui, &uri, id, None, Errors::default())?)
}

pub async fn save_deal(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = deal_draft(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| deals::save_deal(tx, &actor, now, Some(CrmDealId(id)), &saving)).await {
        Ok(deal) => {
            app.live.publish(ui.actor().company, deals::BOARD_TOPIC, deals::board_event(&deal));
            Ok(see_other(&format!("/crm/deals/{id}?ok=deal_saved")))
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, DEAL_FIELDS)?;
            let form = DealForm { title: d.title, value: d.value, expected_close: d.expected_close, notes: d.notes };
            render(status, &deal_for(&app, &ui, &uri, id, Some(form), errs)?)
        }
    }
}

/// The deal page's lines form: parallel `line_product`/`line_qty`/`line_price` fields in
/// order (the last row adds a product when one is chosen) and `line_remove` checkboxes naming
/// the rows to drop.
pub async fn save_lines(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let removed: Vec<u64> = f.ids("line_remove");
    let (qtys, prices) = (f.all("line_qty"), f.all("line_price"));
    let mut lines = Vec::new();
    for (i, product) in f.all("line_product").iter().enumerate() {
        let Ok(product) = product.trim().parse::<u64>() else { continue };
        if removed.contains(&(i as u64)) {
            continue;
        }
        let qty = qtys.get(i).cloned().unwrap_or_default();
        let price = prices.get(i).cloned().unwrap_or_default();
        lines.push(LineDraft { product, qty, price });
    }
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| deals::save_lines(tx, &actor, now, CrmDealId(id), lines)).await {
        Ok(deal) => {
            app.live.publish(ui.actor().company, deals::BOARD_TOPIC, deals::board_event(&deal));
            Ok(see_other(&format!("/crm/deals/{id}?ok=lines_saved")))
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["lines"])?;
            render(status, &deal_for(&app, &ui, &uri, id, None, errs)?)
        }
    }
}

// ---- tasks ----

#[derive(Template)]
#[template(path = "crm_tasks.html")]
pub struct TasksPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub lists: Vec<(&'static str, bool)>,
    pub tasks: Vec<TaskRow>,
    pub reminders: Vec<TaskRow>,
    pub kinds: Vec<Choice>,
    pub users: Vec<Choice>,
    pub clients: Vec<Choice>,
    pub title: String,
    pub due: String,
    /// Where the task buttons return to.
    pub back: String,
}

fn tasks_for(app: &App, ui: &Ui, uri: &Uri, which: TaskList, title: String, due: String, errs: Errors) -> Result<TasksPage> {
    tasks::require_tasks(ui.actor())?;
    let now = app.now();
    let tx = app.db.read()?;
    let list = tasks::list(&tx, ui.actor(), which, now, 200)?;
    let rem = tasks::reminders(&tx, ui.actor(), now, 20)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "crm_");
    let mut lists = vec![("my", which == TaskList::Mine), ("overdue", which == TaskList::Overdue), ("today", which == TaskList::Today)];
    if deals::sees_all(ui.actor()) {
        lists.push(("all", which == TaskList::All));
    }
    Ok(TasksPage {
        lang: ui.lang,
        tasks: task_rows(app, ui, &shell.timezone, &list)?,
        reminders: task_rows(app, ui, &shell.timezone, &rem)?,
        lists,
        kinds: kind_choices(ui.lang),
        users: user_choices(app, ui, Some(ui.actor().user), false)?,
        clients: client_choices(app, ui, None)?,
        title,
        due,
        back: format!("/crm/tasks?list={}", which.code()),
        errs,
        shell,
    })
}

pub async fn tasks_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let which = TaskList::parse(&q.get("list")).ok_or(Error::NotFound)?;
    render(StatusCode::OK, &tasks_for(&app, &ui, &uri, which, String::new(), String::new(), Errors::default())?)
}

pub async fn create_task(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = TaskDraft {
        kind: f.get("kind"),
        title: f.get("title"),
        notes: f.get("notes"),
        due: f.get("due"),
        assignee: f.id("assignee"),
        client: f.id("client"),
        deal: f.id("deal"),
    };
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| tasks::save_task(tx, &actor, now, None, &saving)).await {
        Ok(_) => Ok(see_other(&with_ok(&back(&f, "/crm/tasks"), "task_saved"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["kind", "title", "due", "assignee", "client"])?;
            render(status, &tasks_for(&app, &ui, &uri, TaskList::Mine, d.title, d.due, errs)?)
        }
    }
}

pub async fn task_status(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let to = TaskStatus::parse(&f.get("status")).ok_or_else(|| {
        Error::field("status", "task_status", "Статус: pending, in_progress или done", "Status: pending, in_progress or done")
    })?;
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| tasks::set_status(tx, &actor, now, TaskId(id), to)).await {
        Ok(_) => Ok(see_other(&with_ok(&back(&f, "/crm/tasks"), "task_status"))),
        Err(e @ Error::Refused { .. }) => Ok(super::flash_error(&e, ui.lang)),
        Err(e) => Err(e),
    }
}

// ---- fragments: the client card's panel, the timeline's pages, reminders ----

pub struct TimelineRow {
    pub at: String,
    pub kind: String,
    pub text: String,
    pub amount: String,
    pub href: String,
}

#[derive(Template)]
#[template(path = "crm_timeline_rows.html")]
pub struct TimelineRows {
    pub lang: Lang,
    pub client: u64,
    pub rows: Vec<TimelineRow>,
    pub next: Option<String>,
}

fn timeline_for(app: &App, ui: &Ui, client: u64, cursor: timeline::Cursor) -> Result<TimelineRows> {
    let tx = app.db.read()?;
    let page = timeline::page(&tx, ui.actor(), ClientId(client), cursor, timeline::MAX_PAGE)?;
    let tz = crate::tenancy::query::company(&tx, ui.actor().company)?.timezone;
    let lang = ui.lang;
    let rows = page
        .items
        .iter()
        .map(|i| {
            let (text, amount, href) = match &i.kind {
                ItemKind::Crm(e) => {
                    let href = match (e.deal, e.task) {
                        (Some(d), _) => format!("/crm/deals/{d}"),
                        _ => String::new(),
                    };
                    (e.text.clone(), String::new(), href)
                }
                ItemKind::Sale { id, number, total, .. } => (number.clone(), display::amount(lang, *total), format!("/sales/{id}")),
                ItemKind::Debt { kind, amount } => {
                    (lang.t(&format!("clients.debt_{kind}")).to_string(), display::amount(lang, *amount), String::new())
                }
                ItemKind::Installment { id, title, amount } => (title.clone(), display::amount(lang, *amount), format!("/deals/{id}")),
            };
            TimelineRow {
                at: i.at.format_local(&tz),
                kind: lang.t(&format!("crm.event_{}", i.kind.code())).to_string(),
                text,
                amount,
                href,
            }
        })
        .collect();
    Ok(TimelineRows { lang, client, rows, next: page.next.map(|c| c.encode()) })
}

#[derive(Template)]
#[template(path = "crm_panel.html")]
pub struct Panel {
    pub lang: Lang,
    pub csrf: String,
    pub client: u64,
    pub contacts: Vec<Contact>,
    pub rows: Vec<TimelineRow>,
    pub next: Option<String>,
    pub can_deals: bool,
    pub reviews: Vec<super::crm_public::ReviewRow>,
    pub can_review: bool,
    pub review_action: String,
    /// The client's calendar events; None without the calendar.
    pub events: Option<Vec<super::crm_calendar::ClientEventRow>>,
    pub docs: Vec<super::crm_docs::DocRow>,
    pub files: super::crm_attachments::CardFiles,
}

fn html<T: Template>(t: &T) -> Result<Response> {
    Ok(Html(t.render().map_err(|e| Error::Internal(format!("template: {e}")))?).into_response())
}

/// The client card's CRM panel; empty for users without the CRM (the card always asks).
pub async fn client_panel(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    if crm::require_crm(ui.actor()).is_err() {
        return Ok(Html(String::new()).into_response());
    }
    let tx = app.db.read()?;
    let contacts = crm::contacts(&tx, ui.actor(), ClientId(id)).or_else(|e| match e {
        Error::Forbidden { .. } => Ok(Vec::new()),
        other => Err(other),
    })?;
    let csrf = Shell::load(&app, &ui)?.csrf;
    let first = timeline_for(&app, &ui, id, timeline::Cursor::START)?;
    let tz = crate::tenancy::query::company(&tx, ui.actor().company)?.timezone;
    let panel = Panel {
        docs: super::crm_docs::client_docs(&app, &ui, &tz, ClientId(id))?,
        files: super::crm_attachments::card_files(&app, &ui, &tz, ClientId(id))?,
        reviews: super::crm_public::review_rows(&app, &ui, &tz, Some(id), None)?,
        can_review: super::crm_public::can_review(&ui),
        review_action: format!("/crm/clients/{id}/reviews"),
        events: super::crm_calendar::client_rows(&app, &ui, id)?,
        lang: ui.lang,
        csrf,
        client: id,
        contacts,
        rows: first.rows,
        next: first.next,
        can_deals: deals::require_deals(ui.actor()).is_ok(),
    };
    html(&panel)
}

pub async fn timeline_rows(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let cursor = timeline::cursor_from(Some(&q.get("cursor")))?;
    html(&timeline_for(&app, &ui, id, cursor)?)
}

pub async fn add_contact(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = ContactDraft {
        name: f.get("name"),
        position: f.get("position"),
        phones: vec![f.get("phones")],
        email: f.get("email"),
        notes: f.get("notes"),
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| crm::save_contact(tx, &actor, now, Some(ClientId(id)), None, &d)).await {
        Ok(_) => Ok(see_other(&format!("/clients/{id}?ok=client_saved"))),
        Err(e @ Error::Validation(_)) => Ok(super::flash_error(&e, ui.lang)),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "crm_reminders.html")]
pub struct Reminders {
    pub lang: Lang,
    pub tasks: Vec<TaskRow>,
}

/// The signed-in user's reminders (due within the hour or overdue), for the dashboard.
pub async fn reminders(State(app): State<App>, ui: Ui) -> Result<Response> {
    let list = tasks::reminders(&app.db.read()?, ui.actor(), app.now(), 10)?;
    if list.is_empty() {
        return Ok(Html(String::new()).into_response());
    }
    let tz = crate::tenancy::query::company(&app.db.read()?, ui.actor().company)?.timezone;
    html(&Reminders { lang: ui.lang, tasks: task_rows(&app, &ui, &tz, &list)? })
}
