//! Stock documents: the list (kind and status filters, newest first), the editor of a new
//! document or a draft (date, warehouses, supplier, reason and note, lines picked with the
//! product search, "save draft" and "post") and the document's page with post, cancel and
//! delete-draft, a count's expected and counted quantities side by side.
//!
//! Line fields are repeated form fields (`line_product`, `line_name`, `line_qty`,
//! `line_cost`, `line_amount`), one of each per row; blank rows are dropped before the domain
//! sees the lines, so its `lines[i].qty` messages name the rows as shown again.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use rust_decimal::Decimal;

use super::fmt::{amount, money, qty, quantity, signed_quantity, unit_label};
use super::form::{merged, refused, stock_flash as flash};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::catalog::query::{find_product, require_module};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{DocumentId, ProductId, WarehouseId};
use crate::inventory::model::{DocKind, DocStatus, Document, Warehouse};
use crate::inventory::query::{self, documents_page, require_read as require_stock_read, status_code};
use crate::inventory::{self, DocDraft, LineDraft};
use crate::money::round_money;
use crate::tenancy::actor::BranchScope;
use crate::tenancy::perms::Perm;
use crate::tenancy::store as tenancy_store;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/documents", get(list_page).post(create))
        .route("/documents/new", get(new_page))
        .route("/documents/{id}", get(view_page))
        .route("/documents/{id}/edit", get(edit_page).post(save))
        .route("/documents/{id}/post", post(post_page))
        .route("/documents/{id}/cancel", post(cancel))
        .route("/documents/{id}/delete", post(delete))
}

/// Documents per page of the list.
const PAGE: usize = 50;

fn require_read(ui: &Ui) -> Result<()> {
    require_stock_read(ui.actor())?;
    require_module(ui.actor())
}

fn require_edit(ui: &Ui) -> Result<()> {
    ui.actor().require(Perm::DOCUMENT)?;
    require_module(ui.actor())
}

fn kind_label(lang: Lang, kind: DocKind) -> &'static str {
    lang.t(&format!("doc_kinds.{}", kind.code()))
}

fn status_label(lang: Lang, status: DocStatus) -> &'static str {
    lang.t(&format!("doc_status.{}", status_code(status)))
}

fn timezone(app: &App, ui: &Ui) -> Result<String> {
    crate::tenancy::timezone(&app.db.read()?, ui.actor().company)
}

// ---- the list ----

pub struct DocRow {
    pub id: u64,
    pub number: String,
    pub date: String,
    pub kind: &'static str,
    pub warehouse: String,
    pub counterparty: String,
    pub total: String,
    pub status: &'static str,
    pub status_label: &'static str,
}

#[derive(Template)]
#[template(path = "documents.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    new_kinds: Vec<(&'static str, &'static str)>,
    rows: Vec<DocRow>,
    older: Option<String>,
    can_edit: bool,
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_read(&ui)?;
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, ui.lang, &uri);
    let lang = ui.lang;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let kind = DocKind::parse(&f.get("kind")).map(|k| k.code());
    let status = [DocStatus::Draft, DocStatus::Posted, DocStatus::Cancelled].into_iter().map(status_code).find(|s| *s == f.get("status"));
    let tx = app.db.read()?;
    let names: BTreeMap<u64, String> = query::warehouses(&tx, ui.actor().company)?.into_iter().map(|w| (w.id.0, w.name)).collect();
    let docs = documents_page(&tx, ui.actor().company, kind, status, f.id("before"), PAGE)?;
    let older = (docs.len() == PAGE).then(|| docs.last().map(|d| d.id.0)).flatten().map(|before| {
        let mut pairs = vec![("before", before.to_string())];
        pairs.extend(kind.map(|k| ("kind", k.to_string())));
        pairs.extend(status.map(|s| ("status", s.to_string())));
        format!("/documents?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    });
    let name = |w: WarehouseId| names.get(&w.0).cloned().unwrap_or_default();
    let rows = docs
        .iter()
        .map(|d| DocRow {
            id: d.id.0,
            number: d.number.clone(),
            date: d.date.format_local(&shell.timezone),
            kind: kind_label(lang, d.kind),
            warehouse: match d.to_warehouse {
                Some(to) => format!("{} → {}", name(d.warehouse), name(to)),
                None => name(d.warehouse),
            },
            counterparty: [d.supplier.as_str(), d.reason.as_str()].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" · "),
            total: if d.kind == DocKind::Receipt { amount(lang, d.lines.iter().map(|l| l.amount).sum()) } else { String::new() },
            status: status_code(d.status),
            status_label: status_label(lang, d.status),
        })
        .collect();
    let mut kinds = vec![Choice { value: String::new(), label: lang.t("documents.all").into(), selected: kind.is_none() }];
    kinds.extend(DocKind::ALL.map(|k| Choice {
        value: k.code().into(),
        label: kind_label(lang, k).into(),
        selected: kind == Some(k.code()),
    }));
    let mut statuses = vec![Choice { value: String::new(), label: lang.t("documents.all").into(), selected: status.is_none() }];
    statuses.extend([DocStatus::Draft, DocStatus::Posted, DocStatus::Cancelled].map(|s| Choice {
        value: status_code(s).into(),
        label: status_label(lang, s).into(),
        selected: status == Some(status_code(s)),
    }));
    let page = ListPage {
        lang,
        shell,
        kinds,
        statuses,
        new_kinds: DocKind::ALL.map(|k| (k.code(), kind_label(lang, k))).to_vec(),
        rows,
        older,
        can_edit: ui.actor().can(Perm::DOCUMENT),
    };
    render(StatusCode::OK, &page)
}

// ---- the editor ----

/// A line as typed.
#[derive(Clone, Default)]
struct LineInput {
    product: Option<u64>,
    name: String,
    qty: String,
    cost: String,
    amount: String,
}

/// The document as typed.
#[derive(Clone)]
struct DocInput {
    kind: DocKind,
    date: String,
    warehouse: Option<u64>,
    to_warehouse: Option<u64>,
    supplier: String,
    reason: String,
    note: String,
    lines: Vec<LineInput>,
}

fn doc_input(f: &Fields, kind: DocKind) -> DocInput {
    let columns = ["line_product", "line_name", "line_qty", "line_cost", "line_amount"].map(|n| f.all(n));
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    let cell = |c: usize, i: usize| columns[c].get(i).cloned().unwrap_or_default();
    let lines = (0..rows)
        .map(|i| LineInput {
            product: cell(0, i).trim().parse().ok(),
            name: cell(1, i),
            qty: cell(2, i),
            cost: cell(3, i),
            amount: cell(4, i),
        })
        .filter(|l| l.product.is_some() || [&l.name, &l.qty, &l.cost, &l.amount].iter().any(|s| !s.trim().is_empty()))
        .collect();
    DocInput {
        kind,
        date: f.get("date"),
        warehouse: f.id("warehouse"),
        to_warehouse: f.id("to_warehouse"),
        supplier: f.get("supplier"),
        reason: f.get("reason"),
        note: f.get("note"),
        lines,
    }
}

fn input_of(app: &App, ui: &Ui, d: &Document, tz: &str) -> Result<DocInput> {
    let tx = app.db.read()?;
    let mut lines = Vec::with_capacity(d.lines.len());
    for l in &d.lines {
        let name = find_product(&tx, ui.actor().company, l.product)?.map(|p| p.name).unwrap_or_default();
        // A receipt line shows its unit cost when that gives back the stored total exactly,
        // else the total itself.
        let unit = if l.qty.is_zero() { Decimal::ZERO } else { round_money(l.amount / l.qty) };
        let (cost, amount) = match d.kind {
            DocKind::Receipt if round_money(unit * l.qty) == l.amount => (money(unit), String::new()),
            DocKind::Receipt => (String::new(), money(l.amount)),
            _ => (String::new(), String::new()),
        };
        lines.push(LineInput { product: Some(l.product.0), name, qty: qty(l.qty), cost, amount });
    }
    Ok(DocInput {
        kind: d.kind,
        date: d.date.date_local(tz),
        warehouse: Some(d.warehouse.0),
        to_warehouse: d.to_warehouse.map(|w| w.0),
        supplier: d.supplier.clone(),
        reason: d.reason.clone(),
        note: d.note.clone(),
        lines,
    })
}

/// The domain's draft: a date of today means now (so the day's documents keep the order they
/// were posted in), another day its start in the company's time zone.
fn to_draft(input: &DocInput, now: Ts, tz: &str) -> Result<DocDraft> {
    let raw = input.date.trim();
    let date = if raw.is_empty() || raw == now.date_local(tz) {
        None
    } else {
        Some(Ts::parse_date(raw, tz).ok_or_else(|| Error::field("date", "date", "Дата в формате ГГГГ-ММ-ДД", "Date as YYYY-MM-DD"))?)
    };
    Ok(DocDraft {
        kind: input.kind.code().into(),
        date,
        warehouse: input.warehouse.map(WarehouseId),
        to_warehouse: input.to_warehouse.map(WarehouseId),
        supplier: input.supplier.clone(),
        reason: input.reason.clone(),
        note: input.note.clone(),
        lines: input
            .lines
            .iter()
            .map(|l| LineDraft { product: l.product.map(ProductId), qty: l.qty.clone(), cost: l.cost.clone(), amount: l.amount.clone() })
            .collect(),
    })
}

pub struct LineRow {
    pub index: usize,
    pub product: String,
    pub name: String,
    pub qty: String,
    pub cost: String,
    pub amount: String,
    pub err_product: String,
    pub err_qty: String,
    pub err_cost: String,
    pub err_amount: String,
}

impl LineRow {
    pub fn invalid(&self) -> bool {
        !(self.err_product.is_empty() && self.err_qty.is_empty() && self.err_cost.is_empty() && self.err_amount.is_empty())
    }
}

#[derive(Template)]
#[template(path = "document_form.html")]
struct EditorPage {
    lang: Lang,
    shell: Shell,
    id: Option<u64>,
    kind: &'static str,
    kind_label: &'static str,
    date: String,
    warehouses: Vec<Choice>,
    to_warehouses: Vec<Choice>,
    supplier: String,
    reason: String,
    note: String,
    lines: Vec<LineRow>,
    receipt: bool,
    transfer: bool,
    count: bool,
    has_supplier: bool,
    has_reason: bool,
    errs: Errors,
}

const DOC_FIELDS: &[&str] = &["date", "warehouse", "to_warehouse", "supplier", "reason", "note", "lines"];

/// Active warehouses (and the chosen one); `placeholder` adds a first empty choice.
fn warehouse_choices(all: &[Warehouse], chosen: Option<u64>, placeholder: Option<&str>) -> Vec<Choice> {
    let mut out: Vec<Choice> =
        placeholder.map(|p| Choice { value: String::new(), label: p.to_string(), selected: chosen.is_none() }).into_iter().collect();
    out.extend(all.iter().filter(|w| w.active || Some(w.id.0) == chosen).map(|w| Choice {
        value: w.id.0.to_string(),
        label: w.name.clone(),
        selected: Some(w.id.0) == chosen,
    }));
    out
}

fn editor(
    app: &App,
    ui: &Ui,
    id: Option<u64>,
    input: &DocInput,
    line_errs: &BTreeMap<(usize, String), String>,
    errs: Errors,
) -> Result<EditorPage> {
    require_edit(ui)?;
    let lang = ui.lang;
    let tx = app.db.read()?;
    let all = query::warehouses(&tx, ui.actor().company)?;
    let mut rows = Vec::with_capacity(input.lines.len() + 1);
    for (index, l) in input.lines.iter().enumerate() {
        let product = match l.product {
            Some(p) => find_product(&tx, ui.actor().company, ProductId(p))?,
            None => None,
        };
        let err = |field: &str| line_errs.get(&(index, field.to_string())).cloned().unwrap_or_default();
        rows.push(LineRow {
            index,
            product: l.product.map(|p| p.to_string()).unwrap_or_default(),
            name: product.map(|p| p.name).unwrap_or_else(|| l.name.clone()),
            qty: l.qty.clone(),
            cost: l.cost.clone(),
            amount: l.amount.clone(),
            err_product: err("product"),
            err_qty: err("qty"),
            err_cost: err("cost"),
            err_amount: err("amount"),
        });
    }
    // One blank row to type into; the page adds more by cloning it.
    rows.push(LineRow {
        index: rows.len(),
        product: String::new(),
        name: String::new(),
        qty: String::new(),
        cost: String::new(),
        amount: String::new(),
        err_product: String::new(),
        err_qty: String::new(),
        err_cost: String::new(),
        err_amount: String::new(),
    });
    let kind = input.kind;
    Ok(EditorPage {
        lang,
        shell: Shell::load(app, ui)?,
        id,
        kind: kind.code(),
        kind_label: kind_label(lang, kind),
        date: input.date.clone(),
        warehouses: warehouse_choices(&all, input.warehouse, None),
        to_warehouses: warehouse_choices(&all, input.to_warehouse, Some(lang.t("documents.choose_warehouse"))),
        supplier: input.supplier.clone(),
        reason: input.reason.clone(),
        note: input.note.clone(),
        lines: rows,
        receipt: kind == DocKind::Receipt,
        transfer: kind == DocKind::Transfer,
        count: kind == DocKind::Count,
        has_supplier: matches!(kind, DocKind::Receipt | DocKind::SupplierReturn),
        has_reason: matches!(kind, DocKind::WriteOff | DocKind::SupplierReturn | DocKind::Count),
        errs,
    })
}

pub async fn new_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    require_edit(&ui)?;
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let kind = DocKind::parse(&f.get("kind")).unwrap_or(DocKind::Receipt);
    let all = query::warehouses(&app.db.read()?, ui.actor().company)?;
    let active: Vec<&Warehouse> = all.iter().filter(|w| w.active).collect();
    // A new document starts in the warehouse of the branch the user works in.
    let here = match ui.actor().branch {
        BranchScope::Branch(b) => active.iter().find(|w| w.branch == Some(b)),
        BranchScope::Company => None,
    };
    let input = DocInput {
        kind,
        date: app.now().date_local(&timezone(&app, &ui)?),
        warehouse: here.or(active.first()).map(|w| w.id.0),
        to_warehouse: None,
        supplier: String::new(),
        reason: String::new(),
        note: String::new(),
        lines: Vec::new(),
    };
    render(StatusCode::OK, &editor(&app, &ui, None, &input, &BTreeMap::new(), Errors::default())?)
}

fn load(app: &App, ui: &Ui, id: u64) -> Result<Document> {
    query::document(&app.db.read()?, ui.actor().company, DocumentId(id))
}

pub async fn edit_page(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    require_edit(&ui)?;
    let d = load(&app, &ui, id)?;
    if d.status != DocStatus::Draft {
        return Ok(see_other(&format!("/documents/{id}")));
    }
    let input = input_of(&app, &ui, &d, &timezone(&app, &ui)?)?;
    render(StatusCode::OK, &editor(&app, &ui, Some(id), &input, &BTreeMap::new(), Errors::default())?)
}

/// `lines[3].qty` → (3, "qty").
fn line_field(field: &str) -> Option<(usize, String)> {
    let rest = field.strip_prefix("lines[")?;
    let (index, sub) = rest.split_once("].")?;
    Some((index.parse().ok()?, sub.to_string()))
}

async fn save_editor(app: App, ui: Ui, id: Option<u64>, f: Fields) -> Result<Response> {
    let kind = match id {
        Some(id) => load(&app, &ui, id)?.kind,
        None => DocKind::parse(&f.get("kind")).ok_or(Error::BadRequest { code: "invalid_kind", detail: "unknown document kind".into() })?,
    };
    let input = doc_input(&f, kind);
    let post = f.get("action") == "post";
    let saved = match to_draft(&input, app.now(), &timezone(&app, &ui)?) {
        Ok(draft) => {
            let (now, actor) = (app.now(), ui.actor().clone());
            app.db.write(move |tx| query::save_document(tx, &actor, now, id.map(DocumentId), &draft, post)).await
        }
        Err(e) => Err(e),
    };
    let e = match saved {
        Ok(doc) => {
            let ok = if post { "document_posted" } else { "document_saved" };
            return Ok(see_other(&format!("/documents/{}?ok={ok}", doc.id.0)));
        }
        Err(e) => e,
    };
    let (status, errs, line_errs) = match e {
        Error::Validation(list) => {
            let (lines, rest): (Vec<FieldError>, Vec<FieldError>) = merged(list).into_iter().partition(|x| line_field(&x.field).is_some());
            let line_errs =
                lines.iter().filter_map(|x| line_field(&x.field).map(|k| (k, x.message(ui.lang).to_string()))).collect::<BTreeMap<_, _>>();
            (StatusCode::UNPROCESSABLE_ENTITY, Errors::new(&rest, ui.lang, DOC_FIELDS), line_errs)
        }
        other => {
            let (status, errs) = refused(other, ui.lang, DOC_FIELDS)?;
            (status, errs, BTreeMap::new())
        }
    };
    render(status, &editor(&app, &ui, id, &input, &line_errs, errs)?)
}

pub async fn create(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    save_editor(app, ui, None, f).await
}

pub async fn save(State(app): State<App>, ui: Ui, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    save_editor(app, ui, Some(id), f).await
}

// ---- the document's page ----

pub struct ViewLine {
    pub product: u64,
    pub name: String,
    pub unit: &'static str,
    pub qty: String,
    pub cost: String,
    pub amount: String,
    pub expected: String,
    /// Counted minus expected, signed ("+2", "-1", "0").
    pub diff: String,
}

#[derive(Template)]
#[template(path = "document.html")]
struct ViewPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    number: String,
    kind_label: &'static str,
    status: &'static str,
    status_label: &'static str,
    date: String,
    warehouse: String,
    to_warehouse: String,
    supplier: String,
    reason: String,
    note: String,
    lines: Vec<ViewLine>,
    total: String,
    receipt: bool,
    count: bool,
    draft: bool,
    posted: bool,
    /// "2026-03-01 09:00 · Name" of the posting and the cancellation.
    posted_by: String,
    cancelled_by: String,
    can_edit: bool,
    errs: Errors,
}

fn view(app: &App, ui: &Ui, uri: &Uri, id: u64, errs: Errors) -> Result<ViewPage> {
    require_read(ui)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let lang = ui.lang;
    let d = load(app, ui, id)?;
    let company = ui.actor().company;
    let tx = app.db.read()?;
    let all = query::warehouses(&tx, company)?;
    let name = |w: WarehouseId| all.iter().find(|x| x.id == w).map(|x| x.name.clone()).unwrap_or_default();
    let users = tenancy_store::users(&tx, company)?;
    let who = |at: Option<(Ts, crate::ids::UserId)>| -> Result<String> {
        let Some((t, u)) = at else { return Ok(String::new()) };
        let user = users.iter().find(|x| x.id == u).map(|x| x.name.clone()).unwrap_or_default();
        Ok(format!("{} · {user}", t.format_local(&shell.timezone)))
    };
    let (posted_by, cancelled_by) = (who(d.posted)?, who(d.cancelled)?);
    let mut lines = Vec::with_capacity(d.lines.len());
    for l in &d.lines {
        let product = find_product(&tx, company, l.product)?;
        // A draft count is compared with what is on hand now; a posted one with what was
        // expected when it was posted.
        let expected = match d.status {
            DocStatus::Draft => query::balance(&tx, company, d.warehouse, l.product)?.qty,
            _ => l.expected,
        };
        lines.push(ViewLine {
            product: l.product.0,
            name: product.as_ref().map(|p| p.name.clone()).unwrap_or_else(|| format!("#{}", l.product.0)),
            unit: product.map(|p| unit_label(lang, p.unit)).unwrap_or(""),
            qty: quantity(lang, l.qty),
            cost: if l.qty.is_zero() { String::new() } else { amount(lang, l.amount / l.qty) },
            amount: amount(lang, l.amount),
            expected: quantity(lang, expected),
            diff: signed_quantity(lang, l.qty - expected),
        });
    }
    let date = d.date.format_local(&shell.timezone);
    Ok(ViewPage {
        lang,
        shell,
        id,
        number: d.number.clone(),
        kind_label: kind_label(lang, d.kind),
        status: status_code(d.status),
        status_label: status_label(lang, d.status),
        date,
        warehouse: name(d.warehouse),
        to_warehouse: d.to_warehouse.map(name).unwrap_or_default(),
        supplier: d.supplier.clone(),
        reason: d.reason.clone(),
        note: d.note.clone(),
        lines,
        total: amount(lang, d.lines.iter().map(|l| l.amount).sum()),
        receipt: d.kind == DocKind::Receipt,
        count: d.kind == DocKind::Count,
        draft: d.status == DocStatus::Draft,
        posted: d.status == DocStatus::Posted,
        posted_by,
        cancelled_by,
        can_edit: ui.actor().can(Perm::DOCUMENT),
        errs,
    })
}

pub async fn view_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &view(&app, &ui, &uri, id, Errors::default())?)
}

/// Posts or cancels from the document's page; a refusal (out of stock, closed period) is
/// shown on the page.
async fn change(app: App, ui: Ui, uri: Uri, id: u64, cancel: bool) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let changed =
        app.db
            .write(move |tx| {
                if cancel { inventory::cancel(tx, &actor, now, DocumentId(id)) } else { inventory::post(tx, &actor, now, DocumentId(id)) }
            })
            .await;
    match changed {
        Ok(_) => Ok(see_other(&format!("/documents/{id}?ok={}", if cancel { "document_cancelled" } else { "document_posted" }))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &view(&app, &ui, &uri, id, errs)?)
        }
    }
}

pub async fn post_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    change(app, ui, uri, id, false).await
}

pub async fn cancel(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    change(app, ui, uri, id, true).await
}

pub async fn delete(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| inventory::delete_draft(tx, &actor, now, DocumentId(id))).await {
        Ok(()) => Ok(see_other("/documents?ok=document_deleted")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &view(&app, &ui, &uri, id, errs)?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_fields_name_their_row() {
        assert_eq!(line_field("lines[3].qty"), Some((3, "qty".to_string())));
        assert_eq!(line_field("lines[0].product"), Some((0, "product".to_string())));
        assert_eq!(line_field("lines"), None);
        assert_eq!(line_field("warehouse"), None);
    }

    #[test]
    fn blank_rows_are_dropped_and_the_rest_keep_their_order() {
        let f = Fields::parse(
            "line_product=5&line_name=A&line_qty=1&line_cost=2&line_amount=&line_product=&line_name=&line_qty=&line_cost=&line_amount=&line_product=&line_name=B&line_qty=x&line_cost=&line_amount=".as_bytes(),
        );
        let input = doc_input(&f, DocKind::Receipt);
        let got: Vec<(Option<u64>, &str, &str)> = input.lines.iter().map(|l| (l.product, l.name.as_str(), l.qty.as_str())).collect();
        assert_eq!(got, vec![(Some(5), "A", "1"), (None, "B", "x")]);
    }
}
