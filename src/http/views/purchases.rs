//! Purchasing pages: suppliers with their payables, the supplier card (purchases, payments,
//! ledger, the payment form, the act download), purchases (list with filters, the new-purchase
//! form with the stock documents' line editor, the purchase page with post, cancel and
//! return), "to pay this week", and the one-time matching of free-text suppliers. Every form
//! works without JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;

use super::fmt::{amount, qty, quantity};
use super::form::{flash as form_flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::clock::Ts;
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{ClientId, ProductId, PurchaseId, WarehouseId};
use crate::purchasing::model::{PayFrom, PaymentStatus, Purchase, PurchaseStatus, Terms};
use crate::purchasing::query::{self, PurchaseFilter};
use crate::purchasing::{self, PaymentDraft, PurchaseDraft, PurchaseLineDraft, ReturnDraft, act};

pub fn routes() -> Router<App> {
    Router::new()
        .route("/suppliers", get(suppliers_page))
        .route("/suppliers/matching", get(matching_page).post(match_name))
        .route("/suppliers/{id}", get(supplier_page))
        .route("/suppliers/{id}/pay", post(pay))
        .route("/suppliers/{id}/act.pdf", get(act_pdf))
        .route("/purchases", get(list_page).post(create))
        .route("/purchases/new", get(new_page))
        .route("/purchases/due", get(due_page))
        .route("/purchases/{id}", get(purchase_page))
        .route("/purchases/{id}/edit", get(edit_page).post(update))
        .route("/purchases/{id}/post", post(post_purchase))
        .route("/purchases/{id}/cancel", post(cancel))
        .route("/purchases/{id}/delete", post(delete))
        .route("/purchases/{id}/return", post(return_goods))
}

/// Success messages these pages' redirects may ask for (`flash.purchases_<key>`).
pub const FLASHES: &[&str] = &["saved", "posted", "cancelled", "deleted", "returned", "paid", "matched"];

fn flash(shell: &mut Shell, lang: Lang, uri: &Uri) {
    form_flash(shell, lang, uri, FLASHES, "purchases_");
}

fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

fn status_label(lang: Lang, s: PurchaseStatus) -> &'static str {
    lang.t(&format!("purchases.status_{}", s.code()))
}

fn terms_label(lang: Lang, t: Terms) -> &'static str {
    lang.t(&format!("purchases.terms_{}", t.code()))
}

fn account_choices(app: &App, ui: &Ui, chosen: &str) -> Result<Vec<Choice>> {
    let tx = app.db.read()?;
    let mut out = vec![Choice { value: String::new(), label: ui.lang.t("purchases.choose_account").into(), selected: chosen.is_empty() }];
    for (a, name) in query::accounts(&tx, ui.actor())? {
        let code = a.code();
        let label = match a {
            PayFrom::CashBox(_) => format!("{} · {name}", ui.lang.t("purchases.cash_box")),
            PayFrom::Bank(_) => format!("{} · {name}", ui.lang.t("purchases.bank")),
        };
        out.push(Choice { selected: code == chosen, value: code, label });
    }
    Ok(out)
}

fn supplier_choices(app: &App, ui: &Ui, chosen: Option<u64>, placeholder: &str) -> Result<Vec<Choice>> {
    let tx = app.db.read()?;
    let mut out = vec![Choice { value: String::new(), label: placeholder.into(), selected: chosen.is_none() }];
    for r in query::suppliers(&tx, ui.actor(), false)? {
        out.push(Choice { value: r.client.id.0.to_string(), selected: Some(r.client.id.0) == chosen, label: r.client.name });
    }
    out.sort_by(|a, b| (!a.value.is_empty()).cmp(&!b.value.is_empty()).then(a.label.cmp(&b.label)));
    Ok(out)
}

// ---- suppliers ----

pub struct SupplierRow {
    pub id: u64,
    pub name: String,
    pub phone: String,
    pub balance: String,
    pub owes_us: bool,
}

#[derive(Template)]
#[template(path = "suppliers.html")]
struct SuppliersPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<SupplierRow>,
    total: String,
    unmatched: usize,
}

pub async fn suppliers_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let tx = app.db.read()?;
    let rows = query::suppliers(&tx, ui.actor(), false)?;
    let unmatched = purchasing::unmatched_names(&tx, ui.actor())?.len();
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, ui.lang, &uri);
    let lang = ui.lang;
    let total: Decimal = rows.iter().map(|r| r.balance.owed.max(Decimal::ZERO)).sum();
    let rows = rows
        .iter()
        .map(|r| SupplierRow {
            id: r.client.id.0,
            name: r.client.name.clone(),
            phone: r.client.phone.clone().unwrap_or_default(),
            balance: amount(lang, r.balance.owed),
            owes_us: r.balance.owed < Decimal::ZERO,
        })
        .collect();
    render(StatusCode::OK, &SuppliersPage { lang, shell, rows, total: amount(lang, total), unmatched })
}

pub struct PurchaseRow {
    pub id: u64,
    pub number: String,
    pub date: String,
    pub supplier: String,
    pub terms: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub total: String,
    pub due: String,
}

fn purchase_row(lang: Lang, tz: &str, p: &Purchase, supplier: String) -> PurchaseRow {
    PurchaseRow {
        id: p.id.0,
        number: if p.number.is_empty() { lang.t("purchases.draft_no").into() } else { p.number.clone() },
        date: p.date.date_local(tz),
        supplier,
        terms: terms_label(lang, p.terms),
        status: status_label(lang, p.status),
        status_code: p.status.code(),
        total: amount(lang, p.total),
        due: p.due.clone().unwrap_or_default(),
    }
}

pub struct LedgerRow {
    pub at: String,
    pub kind: &'static str,
    pub amount: String,
    pub note: String,
}

pub struct PaymentRow {
    pub at: String,
    pub amount: String,
    pub status: &'static str,
    pub prepayment: bool,
}

#[derive(Template)]
#[template(path = "supplier.html")]
struct SupplierPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    inn: String,
    phone: String,
    balance: String,
    owes_us: bool,
    purchases: Vec<PurchaseRow>,
    payments: Vec<PaymentRow>,
    ledger: Vec<LedgerRow>,
    accounts: Vec<Choice>,
    amount_value: String,
    key: String,
    errs: Errors,
}

fn supplier_for(app: &App, ui: &Ui, uri: &Uri, id: u64, amount_value: String, account: &str, errs: Errors) -> Result<SupplierPage> {
    let tx = app.db.read()?;
    let card = query::supplier_card(&tx, ui.actor(), ClientId(id))?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let (lang, tz) = (ui.lang, shell.timezone.clone());
    let purchases = card.purchases.iter().map(|p| purchase_row(lang, &tz, p, card.client.name.clone())).collect();
    let payments = card
        .payments
        .iter()
        .map(|p| PaymentRow {
            at: p.at.format_local(&tz),
            amount: amount(lang, p.amount),
            status: lang.t(&format!("purchases.payment_{}", p.status.code())),
            prepayment: p.prepayment && p.status != PaymentStatus::Rejected,
        })
        .collect();
    let ledger = card
        .ledger
        .iter()
        .rev()
        .map(|(_, e)| LedgerRow {
            at: e.at.format_local(&tz),
            kind: lang.t(&format!("purchases.row_{}", e.kind.code())),
            amount: amount(lang, e.amount),
            note: e.note.clone(),
        })
        .collect();
    Ok(SupplierPage {
        lang,
        id,
        name: card.client.name.clone(),
        inn: card.client.legal.inn.clone(),
        phone: card.client.phone.clone().unwrap_or_default(),
        balance: amount(lang, card.balance.owed),
        owes_us: card.balance.owed < Decimal::ZERO,
        purchases,
        payments,
        ledger,
        accounts: account_choices(app, ui, account)?,
        amount_value,
        key: new_key(),
        errs,
        shell,
    })
}

pub async fn supplier_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &supplier_for(&app, &ui, &uri, id, String::new(), "", Errors::default())?)
}

pub async fn pay(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = PaymentDraft {
        key: f.get("key"),
        amount: f.get("amount"),
        account: f.get("account"),
        prepayment: f.has("prepayment"),
        note: f.get("note"),
    };
    let (now, actor, paying) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| purchasing::pay_supplier(tx, &actor, now, ClientId(id), &paying)).await {
        Ok(_) => Ok(see_other(&format!("/suppliers/{id}?ok=paid"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["amount", "account"])?;
            render(status, &supplier_for(&app, &ui, &uri, id, d.amount, &d.account, errs)?)
        }
    }
}

pub async fn act_pdf(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let a = act::build(&app.db.read()?, ui.actor(), app.now(), ClientId(id), &f.get("from"), &f.get("to"))?;
    let name = format!("akt-sverki-postavshchik-{}-{}-{}.pdf", a.supplier.id, a.from, a.to);
    Ok(crate::http::shared::pdf_download(&name, act::pdf(&a)?))
}

// ---- purchases ----

#[derive(Template)]
#[template(path = "purchases.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<PurchaseRow>,
    statuses: Vec<Choice>,
    suppliers: Vec<Choice>,
    errs: Errors,
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    purchasing::require_read(ui.actor())?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let lang = ui.lang;
    let status = PurchaseStatus::parse(&f.get("status"));
    let supplier = f.id("supplier");
    let mut statuses = vec![Choice { value: String::new(), label: lang.t("purchases.all").into(), selected: status.is_none() }];
    statuses.extend(PurchaseStatus::ALL.map(|s| Choice {
        value: s.code().into(),
        label: status_label(lang, s).into(),
        selected: Some(s) == status,
    }));
    let suppliers = supplier_choices(&app, &ui, supplier, lang.t("purchases.all"))?;
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, lang, &uri);
    let tx = app.db.read()?;
    let filter = PurchaseFilter { supplier: supplier.map(ClientId), status, ..Default::default() };
    let mut rows = Vec::new();
    for p in query::purchases(&tx, ui.actor(), &filter, 200)? {
        let name = purchasing::supplier(&tx, ui.actor().company, p.supplier)?.map(|s| s.name).unwrap_or_default();
        rows.push(purchase_row(lang, &shell.timezone, &p, name));
    }
    render(StatusCode::OK, &ListPage { lang, shell, rows, statuses, suppliers, errs: Errors::default() })
}

pub struct LineRow {
    pub index: usize,
    pub product: String,
    pub name: String,
    pub qty: String,
    pub price: String,
}

#[derive(Template)]
#[template(path = "purchase_form.html")]
struct FormPage {
    lang: Lang,
    shell: Shell,
    /// The draft being edited; `None` for a new purchase.
    editing: Option<u64>,
    suppliers: Vec<Choice>,
    warehouses: Vec<Choice>,
    terms: Vec<Choice>,
    accounts: Vec<Choice>,
    date: String,
    paid_now: String,
    due_days: String,
    note: String,
    lines: Vec<LineRow>,
    errs: Errors,
}

/// The form as typed, so a refused form shows again with everything in it.
struct Typed {
    supplier: Option<u64>,
    warehouse: Option<u64>,
    terms: String,
    account: String,
    date: String,
    paid_now: String,
    due_days: String,
    note: String,
    lines: Vec<LineRow>,
}

fn typed(f: &Fields) -> Typed {
    let columns = ["line_product", "line_name", "line_qty", "line_cost"].map(|n| f.all(n));
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let cell = |c: usize, i: usize| columns[c].get(i).cloned().unwrap_or_default();
    let lines = (0..rows)
        .map(|i| LineRow { index: i, product: cell(0, i), name: cell(1, i), qty: cell(2, i), price: cell(3, i) })
        .filter(|l| [&l.product, &l.name, &l.qty, &l.price].iter().any(|s| !s.trim().is_empty()))
        .enumerate()
        .map(|(i, mut l)| {
            l.index = i;
            l
        })
        .collect();
    Typed {
        supplier: f.id("supplier"),
        warehouse: f.id("warehouse"),
        terms: f.get("terms"),
        account: f.get("account"),
        date: f.get("date"),
        paid_now: f.get("paid_now"),
        due_days: f.get("due_days"),
        note: f.get("note"),
        lines,
    }
}

fn form_for(app: &App, ui: &Ui, editing: Option<u64>, t: Typed, errs: Errors) -> Result<FormPage> {
    purchasing::require_read(ui.actor())?;
    let lang = ui.lang;
    let shell = Shell::load(app, ui)?;
    let tx = app.db.read()?;
    let mut warehouses = Vec::new();
    for w in crate::inventory::query::warehouses(&tx, ui.actor().company)? {
        if w.active {
            let selected = t.warehouse.map_or(warehouses.is_empty(), |c| c == w.id.0);
            warehouses.push(Choice { value: w.id.0.to_string(), label: w.name, selected });
        }
    }
    let terms = [Terms::Credit, Terms::Cash]
        .into_iter()
        .map(|k| Choice {
            value: k.code().into(),
            label: terms_label(lang, k).into(),
            selected: t.terms == k.code() || (t.terms.is_empty() && k == Terms::Credit),
        })
        .collect();
    let mut lines = t.lines;
    if lines.is_empty() {
        lines.push(LineRow { index: 0, product: String::new(), name: String::new(), qty: String::new(), price: String::new() });
    }
    let date = if t.date.is_empty() { app.now().date_local(&shell.timezone) } else { t.date };
    Ok(FormPage {
        lang,
        editing,
        suppliers: supplier_choices(app, ui, t.supplier, lang.t("purchases.choose_supplier"))?,
        warehouses,
        terms,
        accounts: account_choices(app, ui, &t.account)?,
        date,
        paid_now: t.paid_now,
        due_days: if t.due_days.is_empty() { "7".into() } else { t.due_days },
        note: t.note,
        lines,
        errs,
        shell,
    })
}

pub async fn new_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let mut t = typed(&Fields::parse(b""));
    t.supplier = f.id("supplier");
    render(StatusCode::OK, &form_for(&app, &ui, None, t, Errors::default())?)
}

/// The draft as stored, typed back into the form.
pub async fn edit_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    let tx = app.db.read()?;
    let card = query::purchase(&tx, ui.actor(), PurchaseId(id))?;
    let p = &card.purchase;
    if p.status != PurchaseStatus::Draft {
        return Ok(see_other(&format!("/purchases/{id}")));
    }
    let tz = crate::tenancy::timezone(&tx, ui.actor().company)?;
    let lines = p
        .lines
        .iter()
        .enumerate()
        .map(|(index, l)| LineRow {
            index,
            product: l.product.0.to_string(),
            name: card.products.get(&l.product).cloned().unwrap_or_default(),
            qty: qty(l.qty),
            price: qty(l.price),
        })
        .collect();
    let t = Typed {
        supplier: Some(p.supplier.0),
        warehouse: Some(p.warehouse.0),
        terms: p.terms.code().into(),
        account: p.account.map(|a| a.code()).unwrap_or_default(),
        date: p.date.date_local(&tz),
        paid_now: if p.paid_now.is_zero() { String::new() } else { p.paid_now.to_string() },
        due_days: p.due_days.to_string(),
        note: p.note.clone(),
        lines,
    };
    drop(tx);
    render(StatusCode::OK, &form_for(&app, &ui, Some(id), t, Errors::default())?)
}

const FORM_FIELDS: &[&str] = &["supplier", "warehouse", "terms", "account", "date", "paid_now", "due_days", "lines"];

pub async fn create(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    save(app, ui, None, f).await
}

pub async fn update(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    save(app, ui, Some(id), f).await
}

/// Saves a new purchase or an edited draft from the form, and posts it when asked.
async fn save(app: App, ui: Ui, id: Option<u64>, f: Fields) -> Result<Response> {
    let t = typed(&f);
    let tz = crate::tenancy::timezone(&app.db.read()?, ui.actor().company)?;
    let date = match t.date.trim() {
        "" => None,
        s => Ts::parse_date(s, &tz),
    };
    let d = PurchaseDraft {
        supplier: t.supplier.map(ClientId),
        warehouse: t.warehouse.map(WarehouseId),
        date,
        terms: t.terms.clone(),
        account: t.account.clone(),
        paid_now: t.paid_now.clone(),
        due_days: t.due_days.clone(),
        note: t.note.clone(),
        lines: t
            .lines
            .iter()
            .map(|l| PurchaseLineDraft {
                product: l.product.trim().parse().ok().map(ProductId),
                qty: l.qty.clone(),
                price: l.price.clone(),
            })
            .collect(),
    };
    let post_it = f.get("action") == "post";
    let (now, actor) = (app.now(), ui.actor().clone());
    let saved = app
        .db
        .write(move |tx| {
            let p = purchasing::save_purchase(tx, &actor, now, id.map(PurchaseId), &d)?;
            if post_it { purchasing::post_purchase(tx, &actor, now, p.id) } else { Ok(p) }
        })
        .await;
    match saved {
        Ok(p) => Ok(see_other(&format!("/purchases/{}?ok={}", p.id, if post_it { "posted" } else { "saved" }))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, FORM_FIELDS)?;
            render(status, &form_for(&app, &ui, id, t, errs)?)
        }
    }
}

pub struct CardLine {
    pub index: usize,
    pub name: String,
    pub qty: String,
    pub price: String,
    pub amount: String,
    pub returned: String,
    pub left: String,
}

pub struct ReturnRow {
    pub at: String,
    pub amount: String,
    pub lines: String,
}

#[derive(Template)]
#[template(path = "purchase.html")]
struct CardPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    number: String,
    status: &'static str,
    status_code: &'static str,
    supplier_id: u64,
    supplier: String,
    warehouse: String,
    date: String,
    terms: &'static str,
    due: String,
    total: String,
    receipt: String,
    lines: Vec<CardLine>,
    returns: Vec<ReturnRow>,
    can_post: bool,
    can_cancel: bool,
    can_return: bool,
    accounts: Vec<Choice>,
    errs: Errors,
}

fn card_for(app: &App, ui: &Ui, uri: &Uri, id: u64, errs: Errors) -> Result<CardPage> {
    let tx = app.db.read()?;
    let card = query::purchase(&tx, ui.actor(), PurchaseId(id))?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let (lang, tz) = (ui.lang, shell.timezone.clone());
    let p = &card.purchase;
    let lines = p
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| CardLine {
            index: i,
            name: card.products.get(&l.product).cloned().unwrap_or_default(),
            qty: quantity(lang, l.qty),
            price: amount(lang, l.price),
            amount: amount(lang, l.amount),
            returned: quantity(lang, l.returned),
            left: qty(l.qty - l.returned),
        })
        .collect();
    let returns = card
        .returns
        .iter()
        .map(|r| ReturnRow {
            at: r.at.format_local(&tz),
            amount: amount(lang, r.amount),
            lines: r
                .lines
                .iter()
                .map(|l| format!("{} × {}", card.products.get(&l.product).cloned().unwrap_or_default(), quantity(lang, l.qty)))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let can_return = p.status == PurchaseStatus::Posted && p.lines.iter().any(|l| l.returned < l.qty);
    Ok(CardPage {
        lang,
        id,
        number: if p.number.is_empty() { lang.t("purchases.draft_no").into() } else { p.number.clone() },
        status: status_label(lang, p.status),
        status_code: p.status.code(),
        supplier_id: card.supplier.id.0,
        supplier: card.supplier.name.clone(),
        warehouse: card.warehouse.clone(),
        date: p.date.date_local(&tz),
        terms: terms_label(lang, p.terms),
        due: p.due.clone().unwrap_or_default(),
        total: amount(lang, p.total),
        receipt: card.receipt.clone(),
        lines,
        returns,
        can_post: p.status == PurchaseStatus::Draft,
        can_cancel: p.status == PurchaseStatus::Posted && p.returns.is_empty(),
        can_return,
        accounts: account_choices(app, ui, "")?,
        errs,
        shell,
    })
}

pub async fn purchase_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &card_for(&app, &ui, &uri, id, Errors::default())?)
}

async fn act_on(app: App, ui: Ui, uri: Uri, id: u64, what: &'static str) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let pid = PurchaseId(id);
    let done = app
        .db
        .write(move |tx| match what {
            "post" => purchasing::post_purchase(tx, &actor, now, pid).map(|_| ()),
            "cancel" => purchasing::cancel_purchase(tx, &actor, now, pid).map(|_| ()),
            _ => purchasing::delete_draft(tx, &actor, now, pid),
        })
        .await;
    match done {
        Ok(()) if what == "delete" => Ok(see_other("/purchases?ok=deleted")),
        Ok(()) => Ok(see_other(&format!("/purchases/{id}?ok={}", if what == "post" { "posted" } else { "cancelled" }))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &card_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

pub async fn post_purchase(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    act_on(app, ui, uri, id, "post").await
}

pub async fn cancel(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    act_on(app, ui, uri, id, "cancel").await
}

pub async fn delete(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    act_on(app, ui, uri, id, "delete").await
}

pub async fn return_goods(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let qtys = f.all("return_qty");
    let lines = qtys.iter().enumerate().filter(|(_, q)| !q.trim().is_empty() && q.trim() != "0").map(|(i, q)| (i, q.clone())).collect();
    let d = ReturnDraft { lines, refund: f.get("refund"), account: f.get("account"), note: f.get("note") };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| purchasing::return_goods(tx, &actor, now, PurchaseId(id), &d)).await {
        Ok(_) => Ok(see_other(&format!("/purchases/{id}?ok=returned"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &card_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

// ---- to pay ----

pub struct DueRow {
    pub id: u64,
    pub number: String,
    pub supplier_id: u64,
    pub supplier: String,
    pub due: String,
    pub overdue: bool,
    pub outstanding: String,
}

#[derive(Template)]
#[template(path = "purchases_due.html")]
struct DuePage {
    lang: Lang,
    shell: Shell,
    rows: Vec<DueRow>,
    total: String,
}

pub async fn due_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    let tx = app.db.read()?;
    let now = app.now();
    let rows = query::to_pay(&tx, ui.actor(), now, 7)?;
    let shell = Shell::load(&app, &ui)?;
    let today = now.date_local(&shell.timezone);
    let lang = ui.lang;
    let total: Decimal = rows.iter().map(|d| d.outstanding).sum();
    let rows = rows
        .iter()
        .map(|d| DueRow {
            id: d.purchase.id.0,
            number: d.purchase.number.clone(),
            supplier_id: d.supplier.id.0,
            supplier: d.supplier.name.clone(),
            due: d.purchase.due.clone().unwrap_or_default(),
            overdue: d.purchase.due.as_deref().is_some_and(|due| due < today.as_str()),
            outstanding: amount(lang, d.outstanding),
        })
        .collect();
    render(StatusCode::OK, &DuePage { lang, shell, rows, total: amount(lang, total) })
}

// ---- the matching step ----

pub struct NameRow {
    pub name: String,
    pub documents: usize,
}

#[derive(Template)]
#[template(path = "supplier_matching.html")]
struct MatchingPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<NameRow>,
    suppliers: Vec<Choice>,
    errs: Errors,
}

fn matching_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<MatchingPage> {
    let names = purchasing::unmatched_names(&app.db.read()?, ui.actor())?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    Ok(MatchingPage {
        lang: ui.lang,
        rows: names.into_iter().map(|(name, documents)| NameRow { name, documents }).collect(),
        suppliers: supplier_choices(app, ui, None, ui.lang.t("purchases.create_supplier"))?,
        errs,
        shell,
    })
}

pub async fn matching_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &matching_for(&app, &ui, &uri, Errors::default())?)
}

pub async fn match_name(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (name, supplier) = (f.get("name"), f.id("supplier").map(ClientId));
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| purchasing::match_name(tx, &actor, now, &name, supplier)).await {
        Ok(_) => Ok(see_other("/suppliers/matching?ok=matched")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &matching_for(&app, &ui, &uri, errs)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flash_and_label_has_a_string_in_both_languages() {
        for lang in [Lang::Ru, Lang::En] {
            for key in FLASHES {
                let k = format!("flash.purchases_{key}");
                assert_ne!(lang.t(&k), k, "missing {k}");
            }
            for s in PurchaseStatus::ALL {
                assert_ne!(status_label(lang, s), format!("purchases.status_{}", s.code()));
            }
            for t in [Terms::Cash, Terms::Credit] {
                assert_ne!(terms_label(lang, t), format!("purchases.terms_{}", t.code()));
            }
        }
    }
}
