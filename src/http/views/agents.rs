//! Field agents' pages: "my goods" / "goods on agents" with acceptance and returns, the
//! phone-sized sale page (the agent's own, or an owner's on an agent's behalf, chosen
//! explicitly), transfers to agents, and returns awaiting a decision.
//!
//! Every page needs the `agents` plan feature; the domain checks who may act for whom.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;

use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::agents::model::ReturnStatus;
use crate::agents::sales::{CheckoutDraft, LineDraft};
use crate::agents::{self, TransferDraft, TransferItem, query, returns, sales};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{AgentReturnId, ClientId, LotId, ProductId, UserId, WarehouseId};
use crate::pos::PaymentDraft;
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/agents/goods", get(goods_page))
        .route("/agents/lots/{id}/accept", post(accept))
        .route("/agents/lots/{id}/cancel", post(cancel))
        .route("/agents/returns", get(returns_page).post(create_return))
        .route("/agents/returns/{id}/approve", post(approve))
        .route("/agents/returns/{id}/reject", post(reject))
        .route("/agents/sell", get(sell_page).post(sell))
        .route("/agents/transfer", get(transfer_page).post(transfer))
}

/// Success messages the agents' redirects may ask for (`flash.agents_<key>`).
const FLASHES: &[&str] = &["accepted", "cancelled", "returned", "decided", "sold", "transferred"];

fn gate(actor: &Actor) -> Result<()> {
    actor.require_feature("agents")?;
    if actor.owner_like() || actor.perms.has(Perm::AGENT) { Ok(()) } else { Err(Error::Forbidden { permission: Perm::AGENT.code() }) }
}

fn n(d: Decimal) -> String {
    d.normalize().to_string()
}

fn agent_choices(app: &App, actor: &Actor, chosen: Option<UserId>, all_label: Option<&str>) -> Result<Vec<Choice>> {
    let mut out = Vec::new();
    if let Some(label) = all_label {
        out.push(Choice { value: String::new(), label: label.into(), selected: chosen.is_none() });
    }
    for (id, name) in agents::agents(&app.db.read()?, actor.company)? {
        out.push(Choice { value: id.0.to_string(), label: name, selected: chosen == Some(id) });
    }
    Ok(out)
}

// ---- goods ----

pub struct LotView {
    pub id: u64,
    pub created: String,
    pub transferred: String,
    pub accepted: String,
    pub returned: String,
    pub sold: String,
    pub reserved: String,
    pub on_hand: String,
    pub remaining: String,
    pub open: bool,
}

pub struct GoodsView {
    pub product: u64,
    pub name: String,
    pub agent_name: String,
    pub on_hand: String,
    pub awaiting: String,
    pub reserved: String,
    pub last: String,
    pub lots: Vec<LotView>,
    /// The viewer holds these goods (may hand some back).
    pub mine: bool,
}

#[derive(Template)]
#[template(path = "agents_goods.html")]
struct GoodsPage {
    lang: Lang,
    shell: Shell,
    owner: bool,
    agents: Vec<Choice>,
    q: String,
    rows: Vec<GoodsView>,
    errs: Errors,
}

fn goods_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<GoodsPage> {
    let actor = ui.actor();
    gate(actor)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "agents_");
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let owner = actor.owner_like();
    let agent = match f.id("agent") {
        Some(a) => Some(UserId(a)),
        None if owner => None,
        None => Some(actor.user),
    };
    let q = f.get("q");
    let tz = shell.timezone.clone();
    let rows = query::goods(&app.db.read()?, actor, agent, &q)?
        .into_iter()
        .map(|g| GoodsView {
            product: g.product.0,
            on_hand: n(g.on_hand()),
            awaiting: n(g.awaiting()),
            reserved: n(g.holding.reserved),
            last: g.holding.last_movement.map(|t| t.format_local(&tz)).unwrap_or_default(),
            mine: g.agent == actor.user,
            lots: g
                .lots
                .iter()
                .filter(|l| l.in_layer() > Decimal::ZERO || l.reserved > Decimal::ZERO)
                .map(|l| LotView {
                    id: l.id.0,
                    created: l.created.format_local(&tz),
                    transferred: n(l.transferred),
                    accepted: n(l.accepted),
                    returned: n(l.returned),
                    sold: n(l.sold),
                    reserved: n(l.reserved),
                    on_hand: n(l.free()),
                    remaining: n(l.remaining()),
                    open: !l.closed(),
                })
                .collect(),
            name: g.name,
            agent_name: g.agent_name,
        })
        .collect();
    let agents = if owner { agent_choices(app, actor, agent, Some(ui.lang.t("agents.all_agents")))? } else { Vec::new() };
    Ok(GoodsPage { lang: ui.lang, shell, owner, agents, q, rows, errs })
}

pub async fn goods_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &goods_for(&app, &ui, &uri, Errors::default())?)
}

async fn goods_refused(app: &App, ui: &Ui, uri: &Uri, e: Error) -> Result<Response> {
    let (status, errs) = refused(e, ui.lang, &[])?;
    render(status, &goods_for(app, ui, uri, errs)?)
}

pub async fn accept(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    gate(ui.actor())?;
    let qty = match f.get("qty").trim() {
        "" => None,
        s => Some(crate::money::parse_qty("qty", s).map_err(|e| Error::Validation(vec![e]))?),
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| agents::accept(tx, &actor, now, LotId(id), qty)).await {
        Ok(_) => Ok(see_other("/agents/goods?ok=accepted")),
        Err(e) => goods_refused(&app, &ui, &uri, e).await,
    }
}

pub async fn cancel(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    gate(ui.actor())?;
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| agents::cancel_remainder(tx, &actor, now, LotId(id))).await {
        Ok(_) => Ok(see_other("/agents/goods?ok=cancelled")),
        Err(e) => goods_refused(&app, &ui, &uri, e).await,
    }
}

pub async fn create_return(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    gate(ui.actor())?;
    let product = ProductId(f.id("product").unwrap_or(0));
    let qty = crate::money::parse_qty("qty", &f.get("qty")).map_err(|e| Error::Validation(vec![e]));
    let (now, actor) = (app.now(), ui.actor().clone());
    let result = match qty {
        Ok(q) => app.db.write(move |tx| returns::create(tx, &actor, now, actor.user, product, q)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/agents/goods?ok=returned")),
        Err(e) => goods_refused(&app, &ui, &uri, e).await,
    }
}

// ---- returns ----

pub struct ReturnView {
    pub id: u64,
    pub agent: String,
    pub product: String,
    pub qty: String,
    pub status: &'static str,
    pub pending: bool,
    pub created: String,
}

#[derive(Template)]
#[template(path = "agents_returns.html")]
struct ReturnsPage {
    lang: Lang,
    shell: Shell,
    owner: bool,
    pending_count: usize,
    pending_qty: String,
    rows: Vec<ReturnView>,
    warehouses: Vec<Choice>,
    errs: Errors,
}

fn returns_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<ReturnsPage> {
    let actor = ui.actor();
    gate(actor)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "agents_");
    let owner = actor.owner_like();
    let tx = app.db.read()?;
    let list = query::returns(&tx, actor, if owner { None } else { Some(actor.user) }, None)?;
    let (pending_count, pending_qty) = query::returns_summary(&list);
    let names = crate::tenancy::query::user_names(&tx, actor.company)?;
    let mut rows = Vec::with_capacity(list.len());
    for r in list {
        rows.push(ReturnView {
            id: r.id.0,
            agent: names.get(&r.agent).cloned().unwrap_or_default(),
            product: crate::catalog::query::find_product(&tx, actor.company, r.product)?.map(|p| p.name).unwrap_or_default(),
            qty: n(r.qty),
            status: ui.lang.t(&format!("agents.status_{}", r.status.code())),
            pending: r.status == ReturnStatus::Pending,
            created: r.created.format_local(&shell.timezone),
        });
    }
    let warehouses = crate::inventory::query::warehouses(&tx, actor.company)?
        .into_iter()
        .filter(|w| w.active)
        .map(|w| Choice { value: w.id.0.to_string(), label: w.name, selected: false })
        .collect();
    Ok(ReturnsPage { lang: ui.lang, shell, owner, pending_count, pending_qty: n(pending_qty), rows, warehouses, errs })
}

pub async fn returns_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &returns_for(&app, &ui, &uri, Errors::default())?)
}

async fn decide(app: App, ui: Ui, uri: Uri, id: u64, approve: bool, warehouse: Option<WarehouseId>) -> Result<Response> {
    gate(ui.actor())?;
    let (now, actor) = (app.now(), ui.actor().clone());
    let result = app
        .db
        .write(move |tx| {
            if approve {
                returns::approve(tx, &actor, now, AgentReturnId(id), warehouse)
            } else {
                returns::reject(tx, &actor, now, AgentReturnId(id))
            }
        })
        .await;
    match result {
        Ok(_) => Ok(see_other("/agents/returns?ok=decided")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &returns_for(&app, &ui, &uri, errs)?)
        }
    }
}

pub async fn approve(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let wh = f.id("warehouse").map(WarehouseId);
    decide(app, ui, uri, id, true, wh).await
}

pub async fn reject(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    decide(app, ui, uri, id, false, None).await
}

// ---- sell ----

pub struct SellLine {
    pub product: u64,
    pub name: String,
    pub barcode: String,
    pub price: String,
    pub on_hand: String,
}

pub struct RecentSale {
    pub number: String,
    pub at: String,
    pub total: String,
    pub cost: String,
}

#[derive(Template)]
#[template(path = "agents_sell.html")]
struct SellPage {
    lang: Lang,
    shell: Shell,
    owner: bool,
    /// The agent whose goods are sold; none chosen yet (an owner) shows only the choice.
    agent: Option<u64>,
    agents: Vec<Choice>,
    lines: Vec<SellLine>,
    clients: Vec<Choice>,
    methods: Vec<Choice>,
    key: String,
    recent: Vec<RecentSale>,
    errs: Errors,
}

fn sell_for(app: &App, ui: &Ui, uri: &Uri, agent: Option<UserId>, errs: Errors) -> Result<SellPage> {
    let actor = ui.actor();
    gate(actor)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "agents_");
    let owner = actor.owner_like();
    let agent = match agent {
        Some(a) => Some(a),
        None if actor.perms.has(Perm::AGENT) => Some(actor.user),
        None => None,
    };
    let tx = app.db.read()?;
    let mut lines = Vec::new();
    let mut recent = Vec::new();
    if let Some(a) = agent {
        for g in query::goods(&tx, actor, Some(a), "")? {
            if g.on_hand() > Decimal::ZERO {
                lines.push(SellLine { product: g.product.0, price: n(g.price), on_hand: n(g.on_hand()), barcode: g.barcode, name: g.name });
            }
        }
        for s in query::sales(&tx, actor, Some(a), 5)? {
            recent.push(RecentSale {
                number: s.number.clone(),
                at: s.at.format_local(&shell.timezone),
                total: super::fmt::amount(ui.lang, s.total),
                cost: super::fmt::amount(ui.lang, s.cost()),
            });
        }
    }
    let mut clients = vec![Choice { value: String::new(), label: ui.lang.t("agents.no_client").into(), selected: true }];
    if actor.can(Perm::CLIENTS) || actor.can(Perm::SALE) || actor.perms.has(Perm::AGENT) {
        for c in crate::clients::list(&tx, actor.company, 0, 200, false)? {
            clients.push(Choice { value: c.id.0.to_string(), label: c.name, selected: false });
        }
    }
    let methods = ["cash", "card", "transfer", "debt"]
        .iter()
        .map(|m| Choice { value: (*m).into(), label: ui.lang.t(&format!("agents.method_{m}")).into(), selected: *m == "cash" })
        .collect();
    let agents = if owner { agent_choices(app, actor, agent, Some(ui.lang.t("agents.choose_agent")))? } else { Vec::new() };
    let (key, _) = crate::auth::random_token();
    Ok(SellPage { lang: ui.lang, shell, owner, agent: agent.map(|a| a.0), agents, lines, clients, methods, key, recent, errs })
}

pub async fn sell_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    render(StatusCode::OK, &sell_for(&app, &ui, &uri, f.id("agent").map(UserId), Errors::default())?)
}

pub async fn sell(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    gate(ui.actor())?;
    let agent = f.id("agent").map(UserId);
    let mut lines = Vec::new();
    for pid in f.ids("product") {
        let qty = f.get(&format!("qty_{pid}"));
        if !qty.trim().is_empty() && qty.trim() != "0" {
            lines.push(LineDraft { product: Some(ProductId(pid)), qty, ..Default::default() });
        }
    }
    let barcode = f.get("barcode");
    if !barcode.trim().is_empty() {
        lines.push(LineDraft { barcode, qty: f.get("barcode_qty"), ..Default::default() });
    }
    let method = f.get("method");
    let d = CheckoutDraft {
        key: f.get("key"),
        agent,
        cash_box: None,
        lines,
        client: f.id("client").map(ClientId),
        // Empty: the whole total by the chosen method.
        payments: vec![PaymentDraft { method: if method.is_empty() { "cash".into() } else { method }, amount: String::new() }],
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    let result = app.db.write_batched(move |tx| sales::checkout(tx, &actor, now, &d)).await;
    let back = agent.map(|a| format!("&agent={a}")).unwrap_or_default();
    match result {
        Ok(_) => Ok(see_other(&format!("/agents/sell?ok=sold{back}"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &sell_for(&app, &ui, &uri, agent, errs)?)
        }
    }
}

// ---- transfer ----

/// Product rows on the transfer form.
const TRANSFER_ROWS: usize = 6;

#[derive(Template)]
#[template(path = "agents_transfer.html")]
struct TransferPage {
    lang: Lang,
    shell: Shell,
    agents: Vec<Choice>,
    warehouses: Vec<Choice>,
    products: Vec<Choice>,
    rows: Vec<usize>,
    errs: Errors,
}

fn transfer_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<TransferPage> {
    let actor = ui.actor();
    actor.require_feature("agents")?;
    actor.require(Perm::DOCUMENT)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "agents_");
    let tx = app.db.read()?;
    let warehouses = crate::inventory::query::warehouses(&tx, actor.company)?
        .into_iter()
        .filter(|w| w.active)
        .map(|w| Choice { value: w.id.0.to_string(), label: w.name, selected: false })
        .collect();
    let mut products = vec![Choice { value: String::new(), label: "—".into(), selected: true }];
    for p in crate::catalog::query::active_goods(&tx, actor.company, None, 1000)? {
        products.push(Choice { value: p.id.0.to_string(), label: p.name, selected: false });
    }
    Ok(TransferPage {
        lang: ui.lang,
        shell,
        agents: agent_choices(app, actor, None, None)?,
        warehouses,
        products,
        rows: (0..TRANSFER_ROWS).collect(),
        errs,
    })
}

pub async fn transfer_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &transfer_for(&app, &ui, &uri, Errors::default())?)
}

pub async fn transfer(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let accept = f.has("accept");
    let mut items = Vec::new();
    let mut bad = Vec::new();
    for i in 0..TRANSFER_ROWS {
        let Some(pid) = f.id(&format!("product_{i}")) else { continue };
        match crate::money::parse_qty(&format!("qty_{i}"), &f.get(&format!("qty_{i}"))) {
            Ok(qty) => items.push((ProductId(pid), qty)),
            Err(e) => bad.push(e),
        }
    }
    let (now, actor) = (app.now(), ui.actor().clone());
    let (agent, warehouse) = (UserId(f.id("agent").unwrap_or(0)), WarehouseId(f.id("warehouse").unwrap_or(0)));
    let result = if bad.is_empty() {
        app.db
            .write(move |tx| {
                let mut list = Vec::with_capacity(items.len());
                for (product, qty) in items {
                    let price = crate::catalog::query::find_product(tx, actor.company, product)?.map(|p| p.price).unwrap_or_default();
                    list.push(TransferItem { product, qty, price, accept });
                }
                let d = TransferDraft { agent, warehouse, items: list, external_ref: None, source: String::new() };
                agents::transfer(tx, &actor, now, &d)
            })
            .await
    } else {
        Err(Error::Validation(bad))
    };
    match result {
        Ok(_) => Ok(see_other("/agents/transfer?ok=transferred")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &transfer_for(&app, &ui, &uri, errs)?)
        }
    }
}
