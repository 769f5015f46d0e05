//! Point-of-sale pages: the till (`/pos`: open a shift, scan — a USB scanner types into the
//! page —, edit lines, discounts, mixed payment, checkout), shifts (X report, cash in/out,
//! close → Z report) and cash boxes; the sales list and sale card are in `sales`. Every form works without JavaScript; `app.js` only routes scanner keystrokes typed
//! outside a field into the scan box.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::cashier::{flash, line_qty, method_label, new_key, printer_states, problem};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{BranchId, CashBoxId, ShiftId, WarehouseId};
use crate::money::display;
use crate::money::round_money;
use crate::pos::model::{CashKind, OrderDiscount, Shift, ShiftStatus, recalc};
use crate::pos::query::{self, ShiftFilter};
use crate::pos::{self, CashBoxDraft, CheckoutDraft, LineEdit, PaymentDraft};
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/pos", get(till_page))
        .route("/pos/open", post(open_shift))
        .route("/pos/scan", post(scan))
        .route("/pos/weigh", post(weigh))
        .route("/pos/find", get(find_partial))
        .route("/pos/add", post(add))
        .route("/pos/custom", post(custom))
        .route("/pos/line/{index}", post(edit_line))
        .route("/pos/discount", post(discount))
        .route("/pos/clear", post(clear))
        .route("/pos/checkout", post(checkout))
        .route("/pos/client", post(set_client))
        .route("/pos/client/new", post(quick_client))
        .route("/shifts", get(shifts_page))
        .route("/shifts/{id}", get(shift_page))
        .route("/shifts/{id}/close", post(close_shift))
        .route("/shifts/{id}/flow", post(cash_flow))
        .route("/cash-boxes", get(boxes_page).post(create_box))
}

// ---- the till ----

pub struct CartRow {
    pub index: usize,
    pub name: String,
    pub qty: String,
    pub unit: String,
    pub price: String,
    pub discount: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "pos.html")]
struct TillPage {
    lang: Lang,
    shell: Shell,
    boxes: Vec<Choice>,
    cash_box: u64,
    shift: Option<(u64, String)>,
    carried: bool,
    rows: Vec<CartRow>,
    subtotal: String,
    discount_total: String,
    total: String,
    discount_percent: String,
    discount_amount: String,
    wallets: Vec<String>,
    key: String,
    errs: Errors,
    q: String,
    hits: Vec<Hit>,
    /// The cart's client (id, name).
    client: Option<(u64, String)>,
    client_q: String,
    /// Picker results: (id, name, phone).
    picks: Vec<(u64, String, String)>,
    /// The box's printers: (name, status code, status words).
    printers: Vec<(String, String, String)>,
    /// The box's scale, its weight followed live.
    scale: Option<super::scales::Live>,
    /// The cashier may type a weight by hand (`Perm::SCALES_MANUAL`).
    manual_weight: bool,
}

/// A search hit on the till: one tap adds it to the cart.
pub struct Hit {
    pub id: u64,
    pub name: String,
    pub code: String,
    pub price: String,
    pub unit: String,
}

#[derive(Template)]
#[template(path = "pos_hits.html")]
struct HitsPartial {
    lang: Lang,
    shell: Shell,
    cash_box: u64,
    q: String,
    hits: Vec<Hit>,
}

/// Goods and services matching what the cashier typed (the search module), for the till.
async fn hits(app: &App, ui: &Ui, q: &str) -> Result<Vec<Hit>> {
    if q.trim().is_empty() {
        return Ok(Vec::new());
    }
    let found = crate::http::shared::search_products(app, ui.actor(), q.to_string(), crate::search::Filters::default(), 12).await?;
    Ok(found
        .into_iter()
        .map(|p| Hit {
            id: p.id.0,
            unit: ui.lang.t(&format!("units.{}", p.unit.code())).to_string(),
            price: display::amount(ui.lang, p.price),
            code: p.code,
            name: p.name,
        })
        .collect())
}

async fn till(app: &App, ui: &Ui, uri: &Uri, chosen: Option<u64>, errs: Errors) -> Result<TillPage> {
    let actor = ui.actor();
    actor.require_feature("pos")?;
    actor.require(Perm::CASHIER)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let tx = app.db.read()?;
    let boxes: Vec<_> = query::cash_boxes(&tx, actor)?.into_iter().filter(|b| b.active && !b.expense_only).collect();
    let Some(first) = boxes.first().map(|b| b.id.0) else {
        return Err(Error::refused(
            "no_cash_box",
            "Нет касс: создайте кассу в разделе «Кассы»",
            "No cash boxes yet: create one under “Cash boxes”",
        ));
    };
    let cash_box = chosen.filter(|c| boxes.iter().any(|b| b.id.0 == *c)).unwrap_or(first);
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("q");
    let shift = query::open_shift(&tx, actor, CashBoxId(cash_box))?.map(|s| (s.id.0, s.number));
    let settings = pos::settings(&tx, actor.company)?;
    let printers = printer_states(&tx, ui, CashBoxId(cash_box))?;
    let scale = match actor.has_feature("scales") {
        true => crate::scales::for_cash_box(&tx, actor.company, CashBoxId(cash_box))?
            .map(|s| super::scales::live_widget(ui.lang, s.id, app.scales.status(actor.company, s.id))),
        false => None,
    };
    drop(tx);
    let (now, a) = (app.now(), actor.clone());
    let cart = app.db.write(move |tx| pos::cart(tx, &a, now, CashBoxId(cash_box))).await?;
    let t = recalc(&cart.lines, cart.discount);
    let client_q = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("client_q");
    let tx = app.db.read()?;
    let client = match cart.client {
        Some(id) => crate::clients::read_client_unchecked(&tx, actor.company, id)?.map(|c| (c.id.0, c.name)),
        None => None,
    };
    let picks = if client_q.trim().is_empty() {
        Vec::new()
    } else {
        crate::clients::pick(&tx, actor.company, &client_q, 10)?
            .into_iter()
            .map(|c| (c.id.0, c.name, c.phone.unwrap_or_default()))
            .collect()
    };
    drop(tx);
    let rows = cart
        .lines
        .iter()
        .zip(&t.line_amounts)
        .enumerate()
        .map(|(index, (l, amount))| CartRow {
            index,
            name: l.name.clone(),
            qty: line_qty(l.qty, &l.unit),
            unit: ui.lang.t(&format!("units.{}", l.unit)).to_string(),
            price: display::amount(ui.lang, l.unit_price),
            discount: if l.discount.is_zero() { String::new() } else { display::amount(ui.lang, l.discount) },
            amount: display::amount(ui.lang, *amount),
        })
        .collect();
    let (discount_percent, discount_amount) = match cart.discount {
        OrderDiscount::Percent(p) => (p.to_string(), String::new()),
        // A form field: the plain number the parser reads back.
        OrderDiscount::Amount(a) => (String::new(), round_money(a).to_string()),
        OrderDiscount::None => (String::new(), String::new()),
    };
    Ok(TillPage {
        lang: ui.lang,
        boxes: boxes.iter().map(|b| Choice { value: b.id.0.to_string(), label: b.name.clone(), selected: b.id.0 == cash_box }).collect(),
        cash_box,
        carried: cart.carried_from.is_some(),
        shift,
        rows,
        subtotal: display::amount(ui.lang, t.subtotal),
        discount_total: display::amount(ui.lang, t.discount_total),
        total: display::amount(ui.lang, t.total),
        discount_percent,
        discount_amount,
        wallets: settings.wallets,
        key: new_key(),
        errs,
        hits: hits(app, ui, &q).await?,
        q,
        shell,
        client,
        client_q,
        picks,
        printers,
        manual_weight: scale.is_some() && actor.can(Perm::SCALES_MANUAL),
        scale,
    })
}

pub async fn till_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let chosen = Fields::parse(uri.query().unwrap_or("").as_bytes()).id("cash_box");
    render(StatusCode::OK, &till(&app, &ui, &uri, chosen, Errors::default()).await?)
}

/// Runs a till action; success goes back to the till, a refusal re-renders it with the message.
async fn till_action<F>(app: App, ui: Ui, uri: Uri, cash_box: u64, ok: &str, f: F) -> Result<Response>
where
    F: FnOnce(&mut crate::storage::WriteTx, &crate::tenancy::actor::Actor, crate::clock::Ts, CashBoxId) -> Result<()> + Send + 'static,
{
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| f(tx, &actor, now, CashBoxId(cash_box))).await {
        Ok(()) => Ok(see_other(&format!("/pos?cash_box={cash_box}{ok}"))),
        Err(e) => {
            let errs = problem(e, ui.lang)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &till(&app, &ui, &uri, Some(cash_box), errs).await?)
        }
    }
}

pub async fn open_shift(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (b, opening) = (f.id("cash_box").unwrap_or(0), f.get("opening_cash"));
    till_action(app, ui, uri, b, "&ok=shift_opened", move |tx, a, now, b| pos::open_shift(tx, a, now, b, &opening).map(|_| ())).await
}

pub async fn scan(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (b, code) = (f.id("cash_box").unwrap_or(0), f.get("code"));
    if crate::http::shared::scan_weighs(&app, ui.actor(), CashBoxId(b), &code)? {
        return weigh_action(app, ui, uri, b, code, None).await;
    }
    till_action(app, ui, uri, b, "", move |tx, a, now, b| pos::scan(tx, a, now, b, &code).map(|_| ())).await
}

/// A weighed product from the box's scale, or by a weight typed by hand (`/pos/weigh`).
pub async fn weigh(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (b, code, kg) = (f.id("cash_box").unwrap_or(0), f.get("code"), f.get("manual_kg"));
    weigh_action(app, ui, uri, b, code, Some(kg)).await
}

async fn weigh_action(app: App, ui: Ui, uri: Uri, b: u64, code: String, manual_kg: Option<String>) -> Result<Response> {
    match crate::http::shared::weigh(&app, ui.actor(), CashBoxId(b), code, manual_kg).await {
        Ok(_) => Ok(see_other(&format!("/pos?cash_box={b}"))),
        Err(e) => {
            let errs = problem(e, ui.lang)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &till(&app, &ui, &uri, Some(b), errs).await?)
        }
    }
}

/// The till's search box as the cashier types (htmx); without JavaScript the same hits come
/// with the whole till page (`/pos?q=`).
pub async fn find_partial(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    ui.actor().require(Perm::CASHIER)?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let q = f.get("q");
    let hits = hits(&app, &ui, &q).await?;
    let shell = Shell::load(&app, &ui)?;
    render(StatusCode::OK, &HitsPartial { lang: ui.lang, shell, cash_box: f.id("cash_box").unwrap_or(0), q, hits })
}

pub async fn add(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (b, product) = (f.id("cash_box").unwrap_or(0), f.id("product").unwrap_or(0));
    let q = if f.get("qty").trim().is_empty() { "1".to_string() } else { f.get("qty") };
    till_action(app, ui, uri, b, "", move |tx, a, now, b| pos::add_product(tx, a, now, b, crate::ids::ProductId(product), &q).map(|_| ()))
        .await
}

pub async fn custom(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (b, name, price, q) = (f.id("cash_box").unwrap_or(0), f.get("name"), f.get("price"), f.get("qty"));
    till_action(app, ui, uri, b, "", move |tx, a, now, b| pos::add_custom(tx, a, now, b, &name, &price, &q).map(|_| ())).await
}

pub async fn edit_line(State(app): State<App>, ui: Ui, uri: Uri, Path(index): Path<usize>, f: Fields) -> Result<Response> {
    let b = f.id("cash_box").unwrap_or(0);
    let edit = LineEdit {
        qty: f.has("remove").then(|| "0".to_string()).or(f.has("qty").then(|| f.get("qty"))),
        price: None,
        discount: f.has("discount").then(|| f.get("discount")),
    };
    till_action(app, ui, uri, b, "", move |tx, a, now, b| pos::update_line(tx, a, now, b, index, &edit).map(|_| ())).await
}

pub async fn discount(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (b, p, amt) = (f.id("cash_box").unwrap_or(0), f.get("discount_percent"), f.get("discount_amount"));
    till_action(app, ui, uri, b, "", move |tx, a, now, b| pos::set_discount(tx, a, now, b, &p, &amt).map(|_| ())).await
}

pub async fn clear(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let b = f.id("cash_box").unwrap_or(0);
    till_action(app, ui, uri, b, "", move |tx, a, now, b| pos::clear_cart(tx, a, now, b).map(|_| ())).await
}

/// Picks the cart's client (an empty id removes it).
pub async fn set_client(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (b, client) = (f.id("cash_box").unwrap_or(0), f.id("client").map(crate::ids::ClientId));
    till_action(app, ui, uri, b, "", move |tx, a, now, b| {
        if let Some(c) = client {
            crate::clients::client(tx, a, c)?;
        }
        pos::set_client(tx, a, now, b, client).map(|_| ())
    })
    .await
}

/// Quick create at the till: a client with a name and a phone, set on the cart.
pub async fn quick_client(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let b = f.id("cash_box").unwrap_or(0);
    let d = crate::clients::ClientDraft { name: f.get("client_name"), phone: f.get("client_phone"), ..Default::default() };
    till_action(app, ui, uri, b, "", move |tx, a, now, b| {
        let (c, _) = crate::clients::save_client(tx, a, now, None, &d)?;
        pos::set_client(tx, a, now, b, Some(c.id)).map(|_| ())
    })
    .await
}

pub async fn checkout(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let b = f.id("cash_box").unwrap_or(0);
    let mut payments = Vec::new();
    for (method, field) in [("cash", "pay_cash"), ("card", "pay_card"), ("transfer", "pay_transfer"), ("debt", "pay_debt")] {
        if !f.get(field).trim().is_empty() {
            payments.push(PaymentDraft { method: method.into(), amount: f.get(field) });
        }
    }
    if !f.get("pay_wallet").trim().is_empty() {
        payments.push(PaymentDraft { method: format!("wallet:{}", f.get("wallet")), amount: f.get("pay_wallet") });
    }
    // The form's key was made when the till was shown: a double submit is one sale.
    let d = CheckoutDraft { key: f.get("key"), cash_box: Some(CashBoxId(b)), payments, ..CheckoutDraft::default() };
    let (now, actor) = (app.now(), ui.actor().clone());
    // The same batched path as the API's checkout: checkout is a pure function of the
    // transaction, so a batch may re-run it when a neighbour fails.
    match app.db.write_batched(move |tx| pos::checkout(tx, &actor, now, &d)).await {
        Ok(sale) => Ok(see_other(&format!("/sales/{}?ok=sold", sale.id))),
        Err(e) => {
            let errs = problem(e, ui.lang)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &till(&app, &ui, &uri, Some(b), errs).await?)
        }
    }
}

// ---- shifts ----

pub struct ShiftRow {
    pub id: u64,
    pub number: String,
    pub cashier: String,
    pub opened: String,
    pub open: bool,
    pub sales: u64,
    pub amount: String,
    pub difference: String,
}

#[derive(Template)]
#[template(path = "shifts.html")]
struct ShiftsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<ShiftRow>,
}

pub async fn shifts_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    let tx = app.db.read()?;
    let shifts = query::shifts(&tx, ui.actor(), &ShiftFilter { limit: Some(200), ..ShiftFilter::default() })?;
    let names = crate::tenancy::query::user_names(&tx, ui.actor().company)?;
    let tz = crate::tenancy::timezone(&tx, ui.actor().company)?;
    let rows = shifts
        .iter()
        .map(|s| ShiftRow {
            id: s.id.0,
            number: s.number.clone(),
            cashier: names.get(&s.cashier).cloned().unwrap_or_default(),
            opened: s.opened.format_local(&tz),
            open: s.status == ShiftStatus::Open,
            sales: s.totals.sales,
            amount: display::amount(ui.lang, s.totals.sales_amount),
            difference: s.difference().map(|d| display::amount(ui.lang, d)).unwrap_or_default(),
        })
        .collect();
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, ui.lang, &uri);
    render(StatusCode::OK, &ShiftsPage { lang: ui.lang, shell, rows })
}

#[derive(Template)]
#[template(path = "shift.html")]
struct ShiftPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    number: String,
    cashier: String,
    open: bool,
    opened: String,
    closed: String,
    report: Vec<(String, String)>,
    expected: String,
    counted: String,
    difference: String,
    cash: Vec<(String, String, String, String)>,
    errs: Errors,
}

fn shift_page_for(app: &App, ui: &Ui, uri: &Uri, s: &Shift, errs: Errors) -> Result<ShiftPage> {
    let lang = ui.lang;
    let tx = app.db.read()?;
    let tz = crate::tenancy::timezone(&tx, ui.actor().company)?;
    let names = crate::tenancy::query::user_names(&tx, ui.actor().company)?;
    let t = &s.totals;
    let mut report = vec![
        (lang.t("pos.opening_cash").to_string(), display::amount(lang, s.opening_cash)),
        (lang.t("pos.sales_count").to_string(), t.sales.to_string()),
        (lang.t("pos.sales_amount").to_string(), display::amount(lang, t.sales_amount)),
        (lang.t("pos.discounts").to_string(), display::amount(lang, t.discounts)),
    ];
    for (m, a) in &t.paid {
        report.push((format!("{}: {}", lang.t("pos.paid_by"), method_label(lang, m)), display::amount(lang, *a)));
    }
    report.push((lang.t("pos.returns").to_string(), format!("{} / {}", t.returns, display::amount(lang, t.returns_amount))));
    for (m, a) in &t.refunded {
        report.push((format!("{}: {}", lang.t("pos.refunded_by"), method_label(lang, m)), display::amount(lang, *a)));
    }
    report.push((lang.t("pos.cash_in").to_string(), display::amount(lang, t.cash_in)));
    report.push((lang.t("pos.cash_out").to_string(), display::amount(lang, t.cash_out)));
    report.push((lang.t("pos.cogs").to_string(), display::amount(lang, t.cogs)));
    report.push((lang.t("pos.margin").to_string(), display::amount(lang, t.sales_amount - t.returns_amount - t.cogs)));
    let cash = query::cash_ledger(&tx, ui.actor(), s, 2000)?
        .into_iter()
        .map(|e| {
            let kind = match e.kind {
                CashKind::Opening => "opening",
                CashKind::Sale => "sale",
                CashKind::Refund => "refund",
                CashKind::CashIn => "cash_in",
                CashKind::CashOut => "cash_out",
                CashKind::DebtPayment => "debt_payment",
            };
            (e.at.format_local(&tz), lang.t(&format!("pos.cash_{kind}")).to_string(), e.reference, display::amount(lang, e.amount))
        })
        .collect();
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri);
    Ok(ShiftPage {
        lang,
        shell,
        id: s.id.0,
        number: s.number.clone(),
        cashier: names.get(&s.cashier).cloned().unwrap_or_default(),
        open: s.status == ShiftStatus::Open,
        opened: s.opened.format_local(&tz),
        closed: s.closed.map(|t| t.format_local(&tz)).unwrap_or_default(),
        report,
        expected: display::amount(lang, s.expected_cash()),
        counted: s.closing_cash.map(|d| display::amount(lang, d)).unwrap_or_default(),
        difference: s.difference().map(|d| display::amount(lang, d)).unwrap_or_default(),
        cash,
        errs,
    })
}

pub async fn shift_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    let s = query::readable_shift(&app.db.read()?, ui.actor(), ShiftId(id))?;
    render(StatusCode::OK, &shift_page_for(&app, &ui, &uri, &s, Errors::default())?)
}

pub async fn close_shift(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let counted = f.get("closing_cash");
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| pos::close_shift(tx, &actor, now, ShiftId(id), &counted)).await {
        Ok(closed) => {
            crate::messaging::publish(&app.live, ui.actor().company, closed.live);
            Ok(see_other(&format!("/shifts/{id}?ok=shift_closed")))
        }
        Err(e) => {
            let errs = problem(e, ui.lang)?;
            let s = query::readable_shift(&app.db.read()?, ui.actor(), ShiftId(id))?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &shift_page_for(&app, &ui, &uri, &s, errs)?)
        }
    }
}

pub async fn cash_flow(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let s = query::readable_shift(&app.db.read()?, ui.actor(), ShiftId(id))?;
    let (income, amount, reason) = (f.get("kind") == "in", f.get("amount"), f.get("reason"));
    let (now, actor, b) = (app.now(), ui.actor().clone(), s.cash_box);
    match app.db.write(move |tx| pos::cash_flow(tx, &actor, now, b, income, &amount, &reason)).await {
        Ok(_) => Ok(see_other(&format!("/shifts/{id}?ok=flow_saved"))),
        Err(e) => {
            let errs = problem(e, ui.lang)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &shift_page_for(&app, &ui, &uri, &s, errs)?)
        }
    }
}

// ---- cash boxes ----

pub struct BoxRow {
    pub id: u64,
    pub name: String,
    pub warehouse: String,
    pub expense_only: bool,
    pub open_shifts: usize,
}

#[derive(Template)]
#[template(path = "cash_boxes.html")]
struct BoxesPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<BoxRow>,
    warehouses: Vec<Choice>,
    branches: Vec<Choice>,
    name: String,
    errs: Errors,
}

fn boxes_page_for(app: &App, ui: &Ui, uri: &Uri, name: String, errs: Errors) -> Result<BoxesPage> {
    let actor = ui.actor();
    actor.require_feature("pos")?;
    actor.require(Perm::CASHBOX)?;
    let tx = app.db.read()?;
    let whs = crate::inventory::query::warehouses(&tx, actor.company)?;
    let mut rows = Vec::new();
    for b in query::cash_boxes(&tx, actor)? {
        let open_shifts = query::open_shift_count(&tx, actor, b.id)?;
        rows.push(BoxRow {
            id: b.id.0,
            warehouse: b.warehouse.and_then(|w| whs.iter().find(|x| x.id == w)).map(|w| w.name.clone()).unwrap_or_default(),
            name: b.name,
            expense_only: b.expense_only,
            open_shifts,
        });
    }
    let mut branches = vec![Choice { value: String::new(), label: ui.lang.t("warehouses.company_wide").into(), selected: true }];
    for b in crate::tenancy::query::branches(&tx, actor.company)? {
        if b.active {
            branches.push(Choice { value: b.id.0.to_string(), label: b.name, selected: false });
        }
    }
    let warehouses =
        whs.iter().filter(|w| w.active).map(|w| Choice { value: w.id.0.to_string(), label: w.name.clone(), selected: false }).collect();
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    Ok(BoxesPage { lang: ui.lang, shell, rows, warehouses, branches, name, errs })
}

pub async fn boxes_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &boxes_page_for(&app, &ui, &uri, String::new(), Errors::default())?)
}

pub async fn create_box(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = CashBoxDraft {
        name: f.get("name"),
        branch: f.id("branch").map(BranchId),
        expense_only: f.has("expense_only"),
        warehouse: f.id("warehouse").map(WarehouseId),
        active: true,
    };
    let (now, actor, name) = (app.now(), ui.actor().clone(), d.name.clone());
    match app.db.write(move |tx| pos::save_cash_box(tx, &actor, now, None, &d)).await {
        Ok(_) => Ok(see_other("/cash-boxes?ok=cash_box_saved")),
        Err(e) => {
            let errs = match e {
                Error::Validation(list) => Errors::new(&list, ui.lang, &["name", "branch", "warehouse"]),
                other => return Err(other),
            };
            render(StatusCode::UNPROCESSABLE_ENTITY, &boxes_page_for(&app, &ui, &uri, name, errs)?)
        }
    }
}
