//! Sales pages: the sales list with filters, the sale card with its receipt preview, and
//! returns.

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use rust_decimal::Decimal;

use super::fmt::{money, qty};
use super::pos::{flash, line_qty, method_label, new_key, printer_states, problem};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::{Error, Result};
use crate::http::api::pos::{cash_boxes, user_names};
use crate::http::api::sales::{SaleQuery, list_sales_in, readable_sale};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::SaleId;
use crate::pos::model::Sale;
use crate::pos::store::{POS_SETTINGS, RETURNS};
use crate::pos::{self, ReturnDraft};

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
    let q = SaleQuery {
        status: text("status"),
        cashier: f.id("cashier"),
        shift: f.id("shift"),
        cash_box: f.id("cash_box"),
        method: text("method"),
        from: text("from"),
        to: text("to"),
        before: f.id("before"),
        limit: Some(100),
    };
    let tx = app.db.read()?;
    let sales = list_sales_in(&tx, ui.actor(), &q)?;
    let names = user_names(&tx, ui.actor())?;
    let tz = crate::tenancy::store::company(&tx, ui.actor().company)?.map(|c| c.timezone).unwrap_or_default();
    let more = (sales.len() == 100).then(|| sales.last().map(|s| s.id.0)).flatten();
    let rows = sales
        .iter()
        .map(|s| SaleRow {
            id: s.id.0,
            number: s.number.clone(),
            at: s.at.format_local(&tz),
            status: status_label(ui.lang, s.status.code()),
            cashier: names.get(&s.cashier.0).cloned().unwrap_or_default(),
            total: money(s.total),
            methods: s.payments.iter().map(|p| method_label(ui.lang, &p.method.code())).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let chosen = |name: &str, value: &str| f.get(name).trim() == value;
    let cashiers = names
        .iter()
        .map(|(id, n)| Choice { value: id.to_string(), label: n.clone(), selected: chosen("cashier", &id.to_string()) })
        .collect();
    let boxes = cash_boxes(&tx, ui.actor())?
        .into_iter()
        .filter(|b| !b.expense_only)
        .map(|b| Choice { value: b.id.0.to_string(), label: b.name, selected: chosen("cash_box", &b.id.0.to_string()) })
        .collect();
    let wallets = tx.get(POS_SETTINGS, ui.actor().company.0)?.unwrap_or_default().wallets;
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
    printed: Vec<crate::http::api::printing::PreviewLine>,
    printers: Vec<(String, String, String)>,
}

fn sale_page_for(app: &App, ui: &Ui, uri: &Uri, sale: &Sale, errs: Errors) -> Result<SalePage> {
    let tx = app.db.read()?;
    let c = ui.actor().company;
    let company = crate::tenancy::store::company(&tx, c)?.ok_or(Error::NotFound)?;
    let names = user_names(&tx, ui.actor())?;
    let lines: Vec<SaleLineRow> = sale
        .lines
        .iter()
        .enumerate()
        .map(|(index, l)| SaleLineRow {
            index,
            name: l.name.clone(),
            qty: line_qty(l.qty, &l.unit),
            unit: ui.lang.t(&format!("units.{}", l.unit)).to_string(),
            price: money(l.unit_price),
            discount: if l.discount.is_zero() { String::new() } else { money(l.discount) },
            amount: money(l.amount),
            returned: if l.returned_qty.is_zero() { String::new() } else { qty(l.returned_qty) },
            returnable: qty(l.qty - l.returned_qty),
        })
        .collect();
    let mut returns = Vec::new();
    for r in &sale.returns {
        if let Some(ret) = tx.get(RETURNS, (c.0, *r))? {
            returns.push((ret.number, ret.at.format_local(&company.timezone), money(ret.amount)));
        }
    }
    let settings = tx.get(POS_SETTINGS, c.0)?.unwrap_or_default();
    let printed =
        crate::printing::preview(&tx, ui.actor(), sale.id)?.blocks.into_iter().map(crate::http::api::printing::preview_line).collect();
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
            cashier: names.get(&sale.cashier.0).cloned().unwrap_or_default(),
            lines,
            subtotal: money(sale.subtotal),
            discount: money(sale.discount),
            total: money(sale.total),
            payments: sale.payments.iter().map(|p| (method_label(ui.lang, &p.method.code()), money(p.amount))).collect(),
            change: money(sale.change),
        },
        cost: money(sale.cost()),
        returns,
        wallets: settings.wallets,
        key: new_key(),
        errs,
    })
}

pub async fn sale_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    let sale = readable_sale(&app.db.read()?, ui.actor(), SaleId(id))?;
    render(StatusCode::OK, &sale_page_for(&app, &ui, &uri, &sale, Errors::default())?)
}

pub async fn return_sale(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    ui.actor().require_feature("pos")?;
    let sale = readable_sale(&app.db.read()?, ui.actor(), SaleId(id))?;
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
