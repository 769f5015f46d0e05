//! Sales pages: the sales list with filters, the sale card with its receipt preview, and
//! returns.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;

use super::cashier::{flash, line_qty, method_label, new_key, printer_states, problem};
use super::fmt::qty;
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{CashBoxId, SaleId, ShiftId, UserId};
use crate::money::display;
use crate::pos::model::Sale;
use crate::pos::query::{self, SaleFilter};
use crate::pos::{self, ReturnDraft};
use crate::printing::query::PreviewLine;

pub fn routes() -> Router<App> {
    Router::new().route("/sales", get(sales_page)).route("/sales/{id}", get(sale_page)).route("/sales/{id}/return", post(return_sale))
}

pub struct SaleRow {
    pub id: u64,
    pub number: String,
    pub at: String,
    pub status: &'static str,
    pub cashier: String,
    pub total: String,
    pub methods: String,
}

#[derive(Template)]
#[template(path = "sales.html")]
struct SalesPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<SaleRow>,
    status: String,
    from: String,
    to: String,
    shift: String,
    cashiers: Vec<Choice>,
    boxes: Vec<Choice>,
    methods: Vec<Choice>,
    /// The filters as a query string, for the "more" link.
    filters: String,
    more: Option<u64>,
}

fn status_label(lang: Lang, code: &str) -> &'static str {
    lang.t(&format!("pos.status_{code}"))
}

/// The sales list with every filter of spec A6: status, cashier, shift, cash box, payment
/// method and period.
pub async fn sales_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let text = |name: &str| Some(f.get(name)).filter(|s| !s.trim().is_empty());
    let q = SaleFilter {
        status: text("status"),
        cashier: f.id("cashier").map(UserId),
        shift: f.id("shift").map(ShiftId),
        cash_box: f.id("cash_box").map(CashBoxId),
        method: text("method"),
        from: text("from"),
        to: text("to"),
        before: f.id("before").map(SaleId),
        limit: Some(100),
    };
    let tx = app.db.read()?;
    let sales = query::sales(&tx, ui.actor(), &q)?;
    let names = crate::tenancy::query::user_names(&tx, ui.actor().company)?;
    let tz = crate::tenancy::timezone(&tx, ui.actor().company)?;
    let more = (sales.len() == 100).then(|| sales.last().map(|s| s.id.0)).flatten();
    let rows = sales
        .iter()
        .map(|s| SaleRow {
            id: s.id.0,
            number: s.number.clone(),
            at: s.at.format_local(&tz),
            status: status_label(ui.lang, s.status.code()),
            cashier: names.get(&s.cashier).cloned().unwrap_or_default(),
            total: display::amount(ui.lang, s.total),
            methods: s.payments.iter().map(|p| method_label(ui.lang, &p.method.code())).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let chosen = |name: &str, value: &str| f.get(name).trim() == value;
    let cashiers = names
        .iter()
        .map(|(id, n)| Choice { value: id.0.to_string(), label: n.clone(), selected: chosen("cashier", &id.0.to_string()) })
        .collect();
    let boxes = query::cash_boxes(&tx, ui.actor())?
        .into_iter()
        .filter(|b| !b.expense_only)
        .map(|b| Choice { value: b.id.0.to_string(), label: b.name, selected: chosen("cash_box", &b.id.0.to_string()) })
        .collect();
    let wallets = pos::settings(&tx, ui.actor().company)?.wallets;
    let methods = ["cash", "card", "transfer", "debt"]
        .iter()
        .map(|m| m.to_string())
        .chain(wallets.iter().map(|w| format!("wallet:{w}")))
        .map(|m| Choice { label: method_label(ui.lang, &m), selected: chosen("method", &m), value: m })
        .collect();
    let filters = ["status", "cashier", "shift", "cash_box", "method", "from", "to"]
        .iter()
        .filter(|k| !f.get(k).trim().is_empty())
        .map(|k| format!("{k}={}&", form_urlencoded_value(&f.get(k))))
        .collect::<String>();
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, ui.lang, &uri);
    render(
        StatusCode::OK,
        &SalesPage {
            lang: ui.lang,
            shell,
            rows,
            status: f.get("status"),
            from: f.get("from"),
            to: f.get("to"),
            shift: f.get("shift"),
            cashiers,
            boxes,
            methods,
            filters,
            more,
        },
    )
}

fn form_urlencoded_value(v: &str) -> String {
    serde_urlencoded::to_string([("v", v)]).map(|s| s.trim_start_matches("v=").to_string()).unwrap_or_default()
}

pub struct SaleLineRow {
    pub index: usize,
    pub name: String,
    pub qty: String,
    pub unit: String,
    pub price: String,
    pub discount: String,
    pub amount: String,
    pub returned: String,
    pub returnable: String,
}

/// The sale as the paper receipt shows it (the same content the printer gets).
pub struct Receipt {
    pub company: String,
    pub number: String,
    pub at: String,
    pub cashier: String,
    pub lines: Vec<SaleLineRow>,
    pub subtotal: String,
    pub discount: String,
    pub total: String,
    pub payments: Vec<(String, String)>,
    pub change: String,
}

#[derive(Template)]
#[template(path = "sale.html")]
struct SalePage {
    lang: Lang,
    shell: Shell,
    id: u64,
    status: &'static str,
    returnable: bool,
    receipt: Receipt,
    cost: String,
    returns: Vec<(String, String, String)>,
    wallets: Vec<String>,
    key: String,
    errs: Errors,
    /// The receipt as the printer gets it (same layout), and the box's printers with status.
    printed: Vec<PreviewLine>,
    printers: Vec<(String, String, String)>,
}

fn sale_page_for(app: &App, ui: &Ui, uri: &Uri, sale: &Sale, errs: Errors) -> Result<SalePage> {
    let tx = app.db.read()?;
    let c = ui.actor().company;
    let company = crate::tenancy::query::company(&tx, c)?;
    let names = crate::tenancy::query::user_names(&tx, c)?;
    let lines: Vec<SaleLineRow> = sale
        .lines
        .iter()
        .enumerate()
        .map(|(index, l)| SaleLineRow {
            index,
            name: l.name.clone(),
            qty: line_qty(l.qty, &l.unit),
            unit: ui.lang.t(&format!("units.{}", l.unit)).to_string(),
            price: display::amount(ui.lang, l.unit_price),
            discount: if l.discount.is_zero() { String::new() } else { display::amount(ui.lang, l.discount) },
            amount: display::amount(ui.lang, l.amount),
            returned: if l.returned_qty.is_zero() { String::new() } else { qty(l.returned_qty) },
            returnable: qty(l.qty - l.returned_qty),
        })
        .collect();
    let returns = query::sale_returns(&tx, ui.actor(), sale)?
        .into_iter()
        .map(|ret| (ret.number, ret.at.format_local(&company.timezone), display::amount(ui.lang, ret.amount)))
        .collect();
    let settings = pos::settings(&tx, c)?;
    let printed = crate::printing::query::preview_lines(&tx, ui.actor(), sale.id)?;
    let printers = printer_states(&tx, ui, sale.cash_box)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    Ok(SalePage {
        printed,
        printers,
        lang: ui.lang,
        shell,
        id: sale.id.0,
        status: status_label(ui.lang, sale.status.code()),
        returnable: sale.lines.iter().any(|l| l.returned_qty < l.qty),
        receipt: Receipt {
            company: company.name,
            number: sale.number.clone(),
            at: sale.at.format_local(&company.timezone),
            cashier: names.get(&sale.cashier).cloned().unwrap_or_default(),
            lines,
            subtotal: display::amount(ui.lang, sale.subtotal),
            discount: display::amount(ui.lang, sale.discount),
            total: display::amount(ui.lang, sale.total),
            payments: sale.payments.iter().map(|p| (method_label(ui.lang, &p.method.code()), display::amount(ui.lang, p.amount))).collect(),
            change: display::amount(ui.lang, sale.change),
        },
        cost: display::amount(ui.lang, sale.cost()),
        returns,
        wallets: settings.wallets,
        key: new_key(),
        errs,
    })
}

pub async fn sale_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    let sale = query::readable_sale(&app.db.read()?, ui.actor(), SaleId(id))?;
    render(StatusCode::OK, &sale_page_for(&app, &ui, &uri, &sale, Errors::default())?)
}

pub async fn return_sale(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    let sale = query::readable_sale(&app.db.read()?, ui.actor(), SaleId(id))?;
    let lines: Vec<(usize, String)> = (0..sale.lines.len())
        .filter_map(|i| {
            let v = f.get(&format!("qty_{i}"));
            let zero = v.trim().is_empty() || v.trim().replace(',', ".").parse::<Decimal>().is_ok_and(|d| d.is_zero());
            (!zero).then_some((i, v))
        })
        .collect();
    let method = if f.get("method") == "wallet" { format!("wallet:{}", f.get("wallet")) } else { f.get("method") };
    if lines.is_empty() {
        let errs = Errors::form(ui.lang.t("pos.return_nothing").to_string());
        return render(StatusCode::UNPROCESSABLE_ENTITY, &sale_page_for(&app, &ui, &uri, &sale, errs)?);
    }
    let d = ReturnDraft { key: f.get("key"), cash_box: None, lines, method, reason: f.get("reason") };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| pos::return_sale(tx, &actor, now, SaleId(id), &d)).await {
        Ok(_) => Ok(see_other(&format!("/sales/{id}?ok=returned"))),
        Err(e) => {
            let errs = problem(e, ui.lang)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &sale_page_for(&app, &ui, &uri, &sale, errs)?)
        }
    }
}
