//! CRM order pages: the list with a new-order form (`/crm/orders`), the order card
//! (`/crm/orders/{id}`: lines, what is reserved, confirm, cancel, complete at a till), and
//! "create order" from a won deal's page (`/crm/deals/{id}/order`).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::crm::model::{Order, OrderStatus};
use crate::crm::orders::{self, CompleteDraft, OrderDraft, OrderFilter, OrderLineDraft};
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{CashBoxId, CrmDealId, OrderId};
use crate::money::display;
use crate::pos::PaymentDraft;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/crm/orders", get(list_page).post(create_order))
        .route("/crm/orders/{id}", get(order_page))
        .route("/crm/orders/{id}/confirm", post(confirm_order))
        .route("/crm/orders/{id}/cancel", post(cancel_order))
        .route("/crm/orders/{id}/complete", post(complete_order))
        .route("/crm/deals/{id}/order", post(order_from_deal))
}

const FLASHES: &[&str] = &["order_placed", "order_confirmed", "order_cancelled", "order_completed", "document_created"];
const FIELDS: &[&str] = &["client", "warehouse", "lines", "notes"];
/// How many line rows the new-order form offers.
const FORM_LINES: usize = 5;

pub struct OrderRow {
    pub id: u64,
    pub number: String,
    pub status: String,
    pub status_label: String,
    pub client: String,
    pub total: String,
    pub created: String,
}

fn status_label(lang: Lang, s: OrderStatus) -> String {
    lang.t(&format!("crm.order_status_{}", s.code())).to_string()
}

fn client_name(tx: &crate::storage::ReadTx, ui: &Ui, o: &Order) -> String {
    o.client.and_then(|c| crate::crm::client_of(tx, ui.actor(), c).ok()).map(|c| c.name).unwrap_or_default()
}

fn row(tx: &crate::storage::ReadTx, ui: &Ui, tz: &str, o: &Order) -> OrderRow {
    OrderRow {
        id: o.id.0,
        number: o.number.clone(),
        status: o.status.code().into(),
        status_label: status_label(ui.lang, o.status),
        client: client_name(tx, ui, o),
        total: display::amount(ui.lang, o.total),
        created: o.created.format_local(tz),
    }
}

pub fn warehouse_choices(app: &App, ui: &Ui) -> Result<Vec<Choice>> {
    let tx = app.db.read()?;
    Ok(crate::inventory::query::warehouses(&tx, ui.actor().company)?
        .into_iter()
        .filter(|w| w.active)
        .enumerate()
        .map(|(i, w)| Choice { value: w.id.0.to_string(), label: w.name, selected: i == 0 })
        .collect())
}

#[derive(Template)]
#[template(path = "crm_orders.html")]
pub struct ListPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub orders: Vec<OrderRow>,
    pub statuses: Vec<(String, String, bool)>,
    pub clients: Vec<Choice>,
    pub warehouses: Vec<Choice>,
    pub products: Vec<Choice>,
    pub rows: Vec<usize>,
}

fn list_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<ListPage> {
    orders::require_orders(ui.actor())?;
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let status = OrderStatus::parse(&q.get("status"));
    let tx = app.db.read()?;
    let list = orders::list(&tx, ui.actor(), &OrderFilter { status, limit: 200, ..Default::default() })?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "crm_");
    let orders = list.iter().map(|o| row(&tx, ui, &shell.timezone, o)).collect();
    let mut statuses = vec![(String::new(), ui.lang.t("crm.order_status_all").to_string(), status.is_none())];
    statuses.extend(OrderStatus::ALL.into_iter().map(|s| (s.code().to_string(), status_label(ui.lang, s), status == Some(s))));
    let mut products = vec![Choice { value: String::new(), label: "—".into(), selected: true }];
    for p in crate::catalog::query::active_goods(&tx, ui.actor().company, None, 500)? {
        products.push(Choice {
            value: p.id.0.to_string(),
            label: format!("{} · {}", p.name, display::amount(ui.lang, p.price)),
            selected: false,
        });
    }
    Ok(ListPage {
        lang: ui.lang,
        errs,
        orders,
        statuses,
        clients: super::crm::client_choices(app, ui, None)?,
        warehouses: warehouse_choices(app, ui)?,
        products,
        rows: (0..FORM_LINES).collect(),
        shell,
    })
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &list_for(&app, &ui, &uri, Errors::default())?)
}

pub async fn create_order(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let mut lines = Vec::new();
    for i in 0..FORM_LINES {
        if let Some(product) = f.id(&format!("product_{i}")) {
            lines.push(OrderLineDraft { product, qty: f.get(&format!("qty_{i}")), price: String::new() });
        }
    }
    let d = OrderDraft { client: f.id("client"), warehouse: f.id("warehouse"), lines, notes: f.get("notes") };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| orders::create(tx, &actor, now, &d)).await {
        Ok(o) => Ok(see_other(&format!("/crm/orders/{}?ok=order_placed", o.id))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, FIELDS)?;
            render(status, &list_for(&app, &ui, &uri, errs)?)
        }
    }
}

#[derive(Template)]
#[template(path = "crm_order.html")]
pub struct OrderPage {
    pub lang: Lang,
    pub shell: Shell,
    pub errs: Errors,
    pub order: OrderRow,
    pub open: bool,
    pub new: bool,
    pub warehouse: String,
    pub deal: Option<u64>,
    pub sale: Option<u64>,
    pub notes: String,
    /// name, qty, price, amount
    pub lines: Vec<(String, String, String, String)>,
    /// name, qty
    pub reserved: Vec<(String, String)>,
    pub cash_boxes: Vec<Choice>,
    pub methods: Vec<Choice>,
    pub amount: String,
    /// The completion's idempotency key, made when the page is shown: a double submit is one sale.
    pub key: String,
    pub reviews: Vec<super::crm_public::ReviewRow>,
    /// The order has a client to review, and the actor may.
    pub can_review: bool,
    pub review_action: String,
    /// The order's documents and the templates to make one from.
    pub docs: Vec<super::crm_docs::DocRow>,
    pub doc_templates: Vec<Choice>,
}

pub(super) fn order_for(app: &App, ui: &Ui, uri: &Uri, id: u64, errs: Errors) -> Result<OrderPage> {
    let tx = app.db.read()?;
    let o = orders::order(&tx, ui.actor(), OrderId(id))?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FLASHES, "crm_");
    let names: std::collections::BTreeMap<_, _> = o.lines.iter().map(|l| (l.product, l.name.clone())).collect();
    let mut reserved = Vec::new();
    for (p, q) in orders::reserved(&tx, ui.actor(), &o)? {
        let name = match names.get(&p) {
            Some(n) => n.clone(),
            None => crate::catalog::query::find_product(&tx, ui.actor().company, p)?.map(|x| x.name).unwrap_or_default(),
        };
        reserved.push((name, display::qty(ui.lang, q)));
    }
    let warehouse = crate::inventory::query::warehouses(&tx, ui.actor().company)?
        .into_iter()
        .find(|w| w.id == o.warehouse)
        .map(|w| w.name)
        .unwrap_or_default();
    let cash_boxes = match crate::pos::query::cash_boxes(&tx, ui.actor()) {
        Ok(list) => list
            .into_iter()
            .filter(|b| b.active && !b.expense_only && b.warehouse == Some(o.warehouse))
            .map(|b| Choice { value: b.id.0.to_string(), label: b.name, selected: false })
            .collect(),
        Err(_) => Vec::new(),
    };
    let (docs, doc_templates) = super::crm_docs::order_docs(app, ui, &shell.timezone, o.id)?;
    let methods = ["cash", "card", "transfer", "debt"]
        .into_iter()
        .map(|m| Choice { value: m.into(), label: ui.lang.t(&format!("crm.pay_{m}")).to_string(), selected: m == "cash" })
        .collect();
    Ok(OrderPage {
        lang: ui.lang,
        errs,
        order: row(&tx, ui, &shell.timezone, &o),
        open: o.status.is_open(),
        new: o.status == OrderStatus::New,
        warehouse,
        deal: o.deal.map(|d| d.0),
        sale: o.sale.map(|s| s.0),
        notes: o.notes.clone(),
        lines: o
            .lines
            .iter()
            .map(|l| {
                (l.name.clone(), display::qty(ui.lang, l.qty), display::amount(ui.lang, l.price), display::amount(ui.lang, l.amount()))
            })
            .collect(),
        reserved,
        cash_boxes,
        methods,
        amount: o.total.to_string(),
        key: format!("order-{}-{}", o.id, app.now().0),
        reviews: super::crm_public::review_rows(app, ui, &shell.timezone, None, Some(id))?,
        can_review: o.client.is_some() && super::crm_public::can_review(ui),
        review_action: format!("/crm/orders/{id}/reviews"),
        docs,
        doc_templates,
        shell,
    })
}

pub async fn order_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &order_for(&app, &ui, &uri, id, Errors::default())?)
}

async fn act(
    app: App,
    ui: Ui,
    uri: Uri,
    id: u64,
    ok: &str,
    op: impl FnOnce(&mut crate::storage::WriteTx, &crate::tenancy::actor::Actor, crate::clock::Ts) -> Result<Order> + Send + 'static,
) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| op(tx, &actor, now)).await {
        Ok(_) => Ok(see_other(&format!("/crm/orders/{id}?ok={ok}"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["cash_box", "payments"])?;
            render(status, &order_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

pub async fn confirm_order(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    act(app, ui, uri, id, "order_confirmed", move |tx, a, now| orders::confirm(tx, a, now, OrderId(id))).await
}

pub async fn cancel_order(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    act(app, ui, uri, id, "order_cancelled", move |tx, a, now| orders::cancel(tx, a, now, OrderId(id))).await
}

pub async fn complete_order(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = CompleteDraft {
        key: f.get("key"),
        cash_box: f.id("cash_box").map(CashBoxId),
        payments: vec![PaymentDraft { method: f.get("method"), amount: f.get("amount") }],
    };
    act(app, ui, uri, id, "order_completed", move |tx, a, now| orders::complete(tx, a, now, OrderId(id), &d)).await
}

/// "Create order" on a won deal's page; a refusal goes back to the deal with its message.
pub async fn order_from_deal(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let (now, actor, wh) = (app.now(), ui.actor().clone(), f.id("warehouse"));
    match app.db.write(move |tx| orders::from_deal(tx, &actor, now, CrmDealId(id), wh)).await {
        Ok(o) => Ok(see_other(&format!("/crm/orders/{}?ok=order_placed", o.id))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            let uri: Uri = format!("/crm/deals/{id}").parse().map_err(|_| crate::error::Error::NotFound)?;
            render(status, &super::crm::deal_for(&app, &ui, &uri, id, None, errs)?)
        }
    }
}
