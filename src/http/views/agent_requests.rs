//! Agents' request-cart pages (spec A8): the agent's phone-sized list and cart — add, change
//! and remove items while it is a draft, pick a client, submit and see the promo gifts — and
//! the owner-like user's list of submitted requests with approve (from a warehouse) or reject.
//! An approved request shows the lots it made.
//!
//! Every page needs the `agents` plan feature and an agent or a request manager; the domain
//! (`agents::requests`) decides what each may do with a cart.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;

use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::agents::request_store::{AgentRequest, RequestStatus};
use crate::agents::requests::{self, Edit};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{AgentRequestId, ClientId, ProductId, WarehouseId};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/agents/requests", get(list_page).post(create))
        .route("/agents/requests/{id}", get(card_page))
        .route("/agents/requests/{id}/items", post(add_item))
        .route("/agents/requests/{id}/items/{product}", post(set_item))
        .route("/agents/requests/{id}/items/{product}/remove", post(remove_item))
        .route("/agents/requests/{id}/client", post(set_client))
        .route("/agents/requests/{id}/submit", post(submit))
        .route("/agents/requests/{id}/approve", post(approve))
        .route("/agents/requests/{id}/reject", post(reject))
}

/// Success messages the request redirects may ask for (`flash.agent_request_<key>`).
const FLASHES: &[&str] = &["saved", "submitted", "approved", "rejected"];

fn gate(actor: &Actor) -> Result<()> {
    actor.require_feature("agents")?;
    if requests::manages(actor) || actor.perms.has(Perm::AGENT) { Ok(()) } else { Err(Error::Forbidden { permission: Perm::AGENT.code() }) }
}

fn status_label(lang: Lang, s: RequestStatus) -> &'static str {
    lang.t(&format!("agent_requests.status_{}", s.code()))
}

// ---- list ----

pub struct RequestRow {
    pub id: u64,
    pub agent: String,
    pub created: String,
    pub status: &'static str,
    pub items: usize,
    pub units: u64,
    pub gifts: u64,
}

#[derive(Template)]
#[template(path = "agent_requests.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    manager: bool,
    agent: bool,
    statuses: Vec<Choice>,
    rows: Vec<RequestRow>,
    errs: Errors,
}

fn list_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<ListPage> {
    let actor = ui.actor();
    gate(actor)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "agent_request_");
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let manager = requests::manages(actor);
    // A manager starts at what waits for a decision; an agent sees every cart of theirs.
    let asked = f.get("status");
    let status = match asked.as_str() {
        "" if manager => Some(RequestStatus::Submitted),
        "" | "all" => None,
        s => RequestStatus::parse(s),
    };
    let tx = app.db.read()?;
    let names = crate::tenancy::query::user_names(&tx, actor.company)?;
    let rows = requests::list(&tx, actor, status, 200)?
        .into_iter()
        .map(|r| RequestRow {
            id: r.id.0,
            agent: names.get(&r.agent).cloned().unwrap_or_default(),
            created: r.created.format_local(&shell.timezone),
            status: status_label(ui.lang, r.status),
            items: r.items.len(),
            units: r.items.iter().map(|i| i.qty).sum(),
            gifts: r.items.iter().map(|i| i.gift).sum(),
        })
        .collect();
    let chosen = status.map(|s| s.code()).unwrap_or("all");
    let statuses = ["submitted", "draft", "approved", "rejected", "all"]
        .iter()
        .map(|s| Choice { value: (*s).into(), label: ui.lang.t(&format!("agent_requests.status_{s}")).into(), selected: *s == chosen })
        .collect();
    let agent = actor.perms.has(Perm::AGENT);
    Ok(ListPage { lang: ui.lang, shell, manager, agent, statuses, rows, errs })
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &list_for(&app, &ui, &uri, Errors::default())?)
}

pub async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    gate(ui.actor())?;
    let client = f.id("client").map(ClientId);
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| requests::create(tx, &actor, now, client)).await {
        Ok(r) => Ok(see_other(&format!("/agents/requests/{}", r.id))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &list_for(&app, &ui, &uri, errs)?)
        }
    }
}

// ---- one request ----

pub struct ItemRow {
    pub product: u64,
    pub name: String,
    pub qty: u64,
    pub gift: u64,
    pub total: u64,
    pub price: String,
    pub lots: String,
}

#[derive(Template)]
#[template(path = "agent_request.html")]
struct CardPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    agent: String,
    status: &'static str,
    status_code: &'static str,
    created: String,
    client: String,
    reason: String,
    /// The viewer's own draft: items and client may change.
    editable: bool,
    /// A submitted request the viewer may decide.
    decide: bool,
    items: Vec<ItemRow>,
    gifts: u64,
    products: Vec<Choice>,
    clients: Vec<Choice>,
    warehouses: Vec<Choice>,
    errs: Errors,
}

fn card_for(app: &App, ui: &Ui, uri: &Uri, id: u64, errs: Errors) -> Result<CardPage> {
    let actor = ui.actor();
    gate(actor)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "agent_request_");
    let tx = app.db.read()?;
    let r: AgentRequest = requests::get(&tx, actor, AgentRequestId(id))?;
    let c = actor.company;
    let lang = ui.lang;
    let mut items = Vec::with_capacity(r.items.len());
    for it in &r.items {
        let name = crate::catalog::query::find_product(&tx, c, it.product)?.map(|p| p.name).unwrap_or_default();
        let lots = it.lots.iter().map(|l| format!("№{l}")).collect::<Vec<_>>().join(", ");
        items.push(ItemRow {
            product: it.product.0,
            name,
            qty: it.qty,
            gift: it.gift,
            total: it.total(),
            price: if r.status == RequestStatus::Draft { String::new() } else { super::fmt::amount(lang, it.price) },
            lots,
        });
    }
    let editable = r.status == RequestStatus::Draft && r.agent == actor.user;
    let decide = r.status == RequestStatus::Submitted && requests::manages(actor);
    let client = match r.client {
        Some(cl) => crate::clients::read_client_unchecked(&tx, c, cl)?.map(|x| x.name).unwrap_or_default(),
        None => String::new(),
    };
    let mut products = Vec::new();
    let mut clients = Vec::new();
    if editable {
        products.push(Choice { value: String::new(), label: "—".into(), selected: true });
        for p in crate::catalog::query::active_goods(&tx, c, None, 1000)? {
            products.push(Choice { value: p.id.0.to_string(), label: p.name, selected: false });
        }
        clients.push(Choice { value: String::new(), label: lang.t("agents.no_client").into(), selected: r.client.is_none() });
        for cl in crate::clients::list(&tx, c, 0, 200, false)? {
            clients.push(Choice { value: cl.id.0.to_string(), selected: r.client == Some(cl.id), label: cl.name });
        }
    }
    let warehouses = if decide {
        crate::inventory::query::warehouses(&tx, c)?
            .into_iter()
            .filter(|w| w.active)
            .map(|w| Choice { value: w.id.0.to_string(), label: w.name, selected: false })
            .collect()
    } else {
        Vec::new()
    };
    let names = crate::tenancy::query::user_names(&tx, c)?;
    Ok(CardPage {
        lang,
        id,
        agent: names.get(&r.agent).cloned().unwrap_or_default(),
        status: status_label(lang, r.status),
        status_code: r.status.code(),
        created: r.created.format_local(&shell.timezone),
        shell,
        client,
        reason: r.reason.clone(),
        editable,
        decide,
        gifts: r.items.iter().map(|i| i.gift).sum(),
        items,
        products,
        clients,
        warehouses,
        errs,
    })
}

pub async fn card_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &card_for(&app, &ui, &uri, id, Errors::default())?)
}

/// Runs one change of request `id`, then back to its card (with `ok` on success, the card
/// with the refusal otherwise).
async fn change(
    app: App,
    ui: Ui,
    uri: Uri,
    id: u64,
    ok: &str,
    op: impl FnOnce(&mut crate::storage::WriteTx, &Actor, crate::clock::Ts) -> Result<AgentRequest> + Send + 'static,
) -> Result<Response> {
    gate(ui.actor())?;
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| op(tx, &actor, now)).await {
        Ok(_) => Ok(see_other(&format!("/agents/requests/{id}?ok={ok}"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &card_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

fn qty(f: &Fields) -> Result<Decimal> {
    crate::money::parse_qty("qty", &f.get("qty")).map_err(|e| Error::Validation(vec![e]))
}

pub async fn add_item(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let e = qty(&f).map(|qty| Edit::Add { product: ProductId(f.id("product").unwrap_or(0)), qty });
    change(app, ui, uri, id, "saved", move |tx, a, now| requests::edit(tx, a, now, AgentRequestId(id), &e?)).await
}

pub async fn set_item(State(app): State<App>, ui: Ui, uri: Uri, Path((id, product)): Path<(u64, u64)>, f: Fields) -> Result<Response> {
    let e = qty(&f).map(|qty| Edit::Set { product: ProductId(product), qty });
    change(app, ui, uri, id, "saved", move |tx, a, now| requests::edit(tx, a, now, AgentRequestId(id), &e?)).await
}

pub async fn remove_item(State(app): State<App>, ui: Ui, uri: Uri, Path((id, product)): Path<(u64, u64)>) -> Result<Response> {
    let e = Edit::Remove { product: ProductId(product) };
    change(app, ui, uri, id, "saved", move |tx, a, now| requests::edit(tx, a, now, AgentRequestId(id), &e)).await
}

pub async fn set_client(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let e = Edit::Client(f.id("client").map(ClientId));
    change(app, ui, uri, id, "saved", move |tx, a, now| requests::edit(tx, a, now, AgentRequestId(id), &e)).await
}

pub async fn submit(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    change(app, ui, uri, id, "submitted", move |tx, a, now| requests::submit(tx, a, now, AgentRequestId(id))).await
}

pub async fn approve(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let wh = WarehouseId(f.id("warehouse").unwrap_or(0));
    change(app, ui, uri, id, "approved", move |tx, a, now| requests::approve(tx, a, now, AgentRequestId(id), wh)).await
}

pub async fn reject(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let reason = f.get("reason");
    change(app, ui, uri, id, "rejected", move |tx, a, now| requests::reject(tx, a, now, AgentRequestId(id), &reason)).await
}
