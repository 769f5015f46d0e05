//! Money pages: accounts with balances (and at a chosen date) and new bank accounts
//! (`/money`), an account's ledger, money documents with bulk approve / reject and reversal,
//! the new income / expense / transfer form, categories, the money journal with its XLSX
//! export, and the cash-box summary (spec A7) linked from the cash boxes page.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::cashier::{method_label, new_key};
use super::form::{flash, refused};
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::{Error, Result};
use crate::finance::model::{AccountRef, MoneyDocKind, MoneyDocStatus, RowKind};
use crate::finance::query::{self, DocFilter, JournalAsk};
use crate::finance::{self, BankAccountDraft, MoneyDocForm};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{BranchId, CashBoxId, MoneyDocId};
use crate::money::display;
use crate::tenancy::perms::Perm;

/// Success messages the money pages' redirects may ask for (`flash.finance_<key>`).
pub const FINANCE_FLASHES: &[&str] = &["doc_saved", "docs_decided", "doc_reversed", "bank_saved", "category_saved", "noncash_saved"];

pub fn routes() -> Router<App> {
    Router::new()
        .route("/money", get(accounts_page))
        .route("/money/bank-accounts", post(create_bank))
        .route("/money/noncash", post(set_noncash))
        .route("/money/ledger", get(ledger_page))
        .route("/money/docs", get(docs_page))
        .route("/money/docs/new", get(new_doc_page).post(create_doc))
        .route("/money/docs/decide", post(decide))
        .route("/money/docs/{id}/reverse", post(reverse))
        .route("/money/categories", get(categories_page).post(save_category))
        .route("/money/journal", get(journal_page))
        .route("/money/cash-boxes/{id}", get(cash_box_page))
}

fn shell(app: &App, ui: &Ui, uri: &Uri) -> Result<Shell> {
    ui.actor().require(Perm::FINANCE)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri, FINANCE_FLASHES, "finance_");
    Ok(shell)
}

fn money(lang: Lang, shell: &Shell, d: rust_decimal::Decimal) -> String {
    display::money(lang, d, shell.currency)
}

fn kind_label(lang: Lang, k: RowKind) -> &'static str {
    lang.t(&format!("finance.kind_{}", k.code()))
}

/// Names of the actor's accounts by key, and the choices of a select.
fn account_names(app: &App, ui: &Ui) -> Result<BTreeMap<u64, (String, String)>> {
    let tx = app.db.read()?;
    Ok(query::accounts(&tx, ui.actor(), None)?.into_iter().map(|a| (a.account.key(), (a.account.code(), a.name))).collect())
}

fn account_choices(names: &BTreeMap<u64, (String, String)>, chosen: &str, blank: Option<&str>) -> Vec<Choice> {
    let mut out: Vec<Choice> =
        blank.map(|b| Choice { value: String::new(), label: b.to_string(), selected: chosen.is_empty() }).into_iter().collect();
    out.extend(names.values().map(|(code, name)| Choice { value: code.clone(), label: name.clone(), selected: code == chosen }));
    out
}

// ---- accounts ----

pub struct AccountRowView {
    pub code: String,
    pub name: String,
    pub cash_box: Option<u64>,
    pub active: bool,
    pub balance: String,
    pub balance_at: String,
}

#[derive(Template)]
#[template(path = "money_accounts.html")]
struct AccountsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<AccountRowView>,
    at: String,
    approver: bool,
    errs: Errors,
    name: String,
    /// The bank accounts that may take card, transfer and wallet payments; the chosen one
    /// selected, a first blank choice for "none".
    noncash: Vec<Choice>,
}

fn accounts_for(app: &App, ui: &Ui, uri: &Uri, name: String, errs: Errors) -> Result<AccountsPage> {
    let shell = shell(app, ui, uri)?;
    let at = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("at");
    let day = match at.trim() {
        "" => None,
        raw => Some(finance::parse_day(raw)?),
    };
    let tx = app.db.read()?;
    let rows = query::accounts(&tx, ui.actor(), day)?
        .into_iter()
        .map(|a| AccountRowView {
            code: a.account.code(),
            cash_box: match a.account {
                AccountRef::CashBox(b) => Some(b.0),
                AccountRef::Bank(_) => None,
            },
            name: a.name,
            active: a.active,
            balance: money(ui.lang, &shell, a.balance),
            balance_at: a.balance_at.map(|b| money(ui.lang, &shell, b)).unwrap_or_default(),
        })
        .collect::<Vec<AccountRowView>>();
    let chosen = finance::noncash_account(&tx, ui.actor().company)?.map(|a| AccountRef::Bank(a).code()).unwrap_or_default();
    let mut noncash = vec![Choice { value: String::new(), label: ui.lang.t("finance.noncash_none").into(), selected: chosen.is_empty() }];
    noncash.extend(rows.iter().filter(|r| r.cash_box.is_none() && r.active).map(|r| Choice {
        value: r.code.clone(),
        label: r.name.clone(),
        selected: r.code == chosen,
    }));
    Ok(AccountsPage { lang: ui.lang, shell, rows, at, approver: finance::may_approve(ui.actor()), errs, name, noncash })
}

/// Chooses the bank account for the tills' non-cash payments (owner-like users).
pub async fn set_noncash(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let account = match AccountRef::parse(&f.get("noncash")) {
        Some(AccountRef::Bank(id)) => Some(id),
        _ => None,
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| finance::set_noncash_account(tx, &actor, now, account)).await {
        Ok(_) => Ok(see_other("/money?ok=noncash_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["account"])?;
            render(status, &accounts_for(&app, &ui, &uri, String::new(), errs)?)
        }
    }
}

pub async fn accounts_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &accounts_for(&app, &ui, &uri, String::new(), Errors::default())?)
}

pub async fn create_bank(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = BankAccountDraft { name: f.get("name"), branch: f.id("branch").map(BranchId), details: f.get("details"), active: true };
    let (now, actor, name) = (app.now(), ui.actor().clone(), d.name.clone());
    match app.db.write(move |tx| finance::save_bank_account(tx, &actor, now, None, &d)).await {
        Ok(_) => Ok(see_other("/money?ok=bank_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["name"])?;
            render(status, &accounts_for(&app, &ui, &uri, name, errs)?)
        }
    }
}

// ---- an account's ledger ----

pub struct LedgerRowView {
    pub date: String,
    pub kind: &'static str,
    pub category: String,
    pub amount: String,
    pub reference: String,
}

#[derive(Template)]
#[template(path = "money_ledger.html")]
struct LedgerPage {
    lang: Lang,
    shell: Shell,
    name: String,
    balance: String,
    rows: Vec<LedgerRowView>,
    more: Option<String>,
}

pub async fn ledger_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let shell = shell(&app, &ui, &uri)?;
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let account = AccountRef::parse(&q.get("account")).ok_or(Error::NotFound)?;
    let tx = app.db.read()?;
    let view = query::account(&tx, ui.actor(), account)?;
    let cats = query::category_names(&tx, ui.actor().company, ui.lang)?;
    let before = q.id("before");
    let rows = query::ledger(&tx, ui.actor(), account, before, 100)?;
    let more = match rows.last() {
        Some((seq, _)) if rows.len() == 100 && *seq > 0 => Some(format!("/money/ledger?account={}&before={seq}", account.code())),
        _ => None,
    };
    let rows = rows
        .iter()
        .map(|(_, r)| LedgerRowView {
            date: r.at.format_local(&shell.timezone),
            kind: kind_label(ui.lang, r.kind),
            category: cats.get(&r.category).cloned().unwrap_or_else(|| kind_label(ui.lang, r.kind).to_string()),
            amount: money(ui.lang, &shell, r.amount),
            reference: r.reference.clone(),
        })
        .collect();
    let balance = money(ui.lang, &shell, view.balance);
    render(StatusCode::OK, &LedgerPage { lang: ui.lang, shell, name: view.name, balance, rows, more })
}

// ---- documents ----

pub struct DocRowView {
    pub id: u64,
    pub number: String,
    pub date: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_code: &'static str,
    pub account: String,
    pub category: String,
    pub amount: String,
    pub memo: String,
    pub pending: bool,
    pub reversible: bool,
}

#[derive(Template)]
#[template(path = "money_docs.html")]
struct DocsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<DocRowView>,
    statuses: Vec<Choice>,
    approver: bool,
    errs: Errors,
}

fn docs_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<DocsPage> {
    let shell = shell(app, ui, uri)?;
    let status = MoneyDocStatus::parse(&Fields::parse(uri.query().unwrap_or("").as_bytes()).get("status"));
    let names = account_names(app, ui)?;
    let tx = app.db.read()?;
    let cats = query::category_names(&tx, ui.actor().company, ui.lang)?;
    let approver = finance::may_approve(ui.actor());
    let rows = query::money_docs(&tx, ui.actor(), &DocFilter { status, limit: Some(200), ..Default::default() })?
        .into_iter()
        .map(|d| {
            let from = names.get(&d.account.key()).map(|n| n.1.clone()).unwrap_or_default();
            let account = match d.to_account {
                Some(to) => format!("{from} → {}", names.get(&to.key()).map(|n| n.1.clone()).unwrap_or_default()),
                None => from,
            };
            DocRowView {
                id: d.id.0,
                number: d.number,
                date: d.date.format_local(&shell.timezone),
                kind: ui.lang.t(&format!("finance.doc_{}", d.kind.code())),
                status: ui.lang.t(&format!("finance.status_{}", d.status.code())),
                status_code: d.status.code(),
                account,
                category: cats.get(&d.category).cloned().unwrap_or_else(|| ui.lang.t("finance.kind_transfer_in").to_string()),
                amount: money(ui.lang, &shell, if d.reverses.is_some() { -d.amount } else { d.amount }),
                memo: d.memo,
                pending: d.status == MoneyDocStatus::Pending,
                reversible: approver && d.status == MoneyDocStatus::Approved && d.reverses.is_none(),
            }
        })
        .collect();
    let mut statuses = vec![Choice { value: String::new(), label: ui.lang.t("finance.all_statuses").into(), selected: status.is_none() }];
    for s in [MoneyDocStatus::Pending, MoneyDocStatus::Approved, MoneyDocStatus::Rejected, MoneyDocStatus::Reversed] {
        statuses.push(Choice {
            value: s.code().into(),
            label: ui.lang.t(&format!("finance.status_{}", s.code())).into(),
            selected: status == Some(s),
        });
    }
    Ok(DocsPage { lang: ui.lang, shell, rows, statuses, approver, errs })
}

pub async fn docs_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &docs_for(&app, &ui, &uri, Errors::default())?)
}

pub async fn decide(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let ids: Vec<MoneyDocId> = f.ids("id").into_iter().map(MoneyDocId).collect();
    let approve = f.get("action") == "approve";
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| finance::decide_many(tx, &actor, now, &ids, approve)).await {
        Ok(_) => Ok(see_other("/money/docs?ok=docs_decided")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &docs_for(&app, &ui, &uri, errs)?)
        }
    }
}

pub async fn reverse(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, _f: Fields) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| finance::reverse(tx, &actor, now, MoneyDocId(id))).await {
        Ok(_) => Ok(see_other("/money/docs?ok=doc_reversed")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &docs_for(&app, &ui, &uri, errs)?)
        }
    }
}

// ---- the new document form ----

#[derive(Template)]
#[template(path = "money_doc_form.html")]
struct DocFormPage {
    lang: Lang,
    shell: Shell,
    kinds: Vec<Choice>,
    accounts: Vec<Choice>,
    to_accounts: Vec<Choice>,
    categories: Vec<Choice>,
    amount: String,
    date: String,
    memo: String,
    key: String,
    errs: Errors,
}

fn doc_form_for(app: &App, ui: &Ui, uri: &Uri, f: &Fields, errs: Errors) -> Result<DocFormPage> {
    let shell = shell(app, ui, uri)?;
    let names = account_names(app, ui)?;
    let tx = app.db.read()?;
    let kind = MoneyDocKind::parse(&f.get("kind")).unwrap_or(MoneyDocKind::Expense);
    let kinds = [MoneyDocKind::Expense, MoneyDocKind::Income, MoneyDocKind::Transfer]
        .iter()
        .map(|k| Choice { value: k.code().into(), label: ui.lang.t(&format!("finance.doc_{}", k.code())).into(), selected: *k == kind })
        .collect();
    let chosen = f.get("category");
    let categories = query::categories(&tx, ui.actor().company, ui.lang)?
        .into_iter()
        .filter(|c| !c.archived)
        .map(|c| Choice { selected: c.code == chosen, value: c.code, label: c.name })
        .collect();
    let key = match f.get("idempotency_key") {
        k if k.is_empty() => new_key(),
        k => k,
    };
    Ok(DocFormPage {
        lang: ui.lang,
        shell,
        kinds,
        accounts: account_choices(&names, &f.get("account"), None),
        to_accounts: account_choices(&names, &f.get("to_account"), Some(ui.lang.t("finance.to_account_none"))),
        categories,
        amount: f.get("amount"),
        date: f.get("date"),
        memo: f.get("memo"),
        key,
        errs,
    })
}

pub async fn new_doc_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let f = Fields::parse(uri.query().unwrap_or("").as_bytes());
    render(StatusCode::OK, &doc_form_for(&app, &ui, &uri, &f, Errors::default())?)
}

pub async fn create_doc(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let form = MoneyDocForm {
        kind: f.get("kind"),
        account: f.get("account"),
        to_account: f.get("to_account"),
        amount: f.get("amount"),
        category: f.get("category"),
        counterparty: None,
        memo: f.get("memo"),
        date: f.get("date"),
    };
    let (now, actor, key) = (app.now(), ui.actor().clone(), f.get("idempotency_key"));
    let done = app
        .db
        .write(move |tx| {
            let d = form.parse(tx, actor.company)?;
            finance::create_money_doc_once(tx, &actor, now, &key, &d)
        })
        .await;
    match done {
        Ok(_) => Ok(see_other("/money/docs?ok=doc_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["kind", "account", "to_account", "amount", "category", "date", "memo"])?;
            render(status, &doc_form_for(&app, &ui, &uri, &f, errs)?)
        }
    }
}

// ---- categories ----

pub struct CategoryRowView {
    pub code: String,
    pub name: String,
    pub builtin: bool,
    pub archived: bool,
}

#[derive(Template)]
#[template(path = "money_categories.html")]
struct CategoriesPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<CategoryRowView>,
    approver: bool,
    errs: Errors,
}

fn categories_for(app: &App, ui: &Ui, uri: &Uri, errs: Errors) -> Result<CategoriesPage> {
    let shell = shell(app, ui, uri)?;
    let tx = app.db.read()?;
    let rows = query::categories(&tx, ui.actor().company, ui.lang)?
        .into_iter()
        .map(|c| CategoryRowView { code: c.code, name: c.name, builtin: c.builtin, archived: c.archived })
        .collect();
    Ok(CategoriesPage { lang: ui.lang, shell, rows, approver: finance::may_approve(ui.actor()), errs })
}

pub async fn categories_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &categories_for(&app, &ui, &uri, Errors::default())?)
}

pub async fn save_category(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    let (code, name, archived) = (f.get("code"), f.get("name"), f.has("archived"));
    match app.db.write(move |tx| finance::save_category(tx, &actor, now, &code, &name, archived)).await {
        Ok(_) => Ok(see_other("/money/categories?ok=category_saved")),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &[])?;
            render(status, &categories_for(&app, &ui, &uri, errs)?)
        }
    }
}

// ---- the journal ----

pub struct JournalRowView {
    pub date: String,
    pub account: String,
    pub kind: &'static str,
    pub category: String,
    pub amount: String,
    pub doc: String,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "money_journal.html")]
struct JournalPage {
    lang: Lang,
    shell: Shell,
    accounts: Vec<Choice>,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    from: String,
    to: String,
    rows: Vec<JournalRowView>,
    more: Option<String>,
    export: String,
}

pub async fn journal_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    let shell = shell(&app, &ui, &uri)?;
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes());
    let offset = q.id("offset").unwrap_or(0) as usize;
    let ask = JournalAsk {
        from: q.get("from"),
        to: q.get("to"),
        account: q.get("account"),
        kind: q.get("kind"),
        category: q.get("category"),
        status: q.get("status"),
        offset,
        limit: Some(100),
        ..Default::default()
    };
    let names = account_names(&app, &ui)?;
    let tx = app.db.read()?;
    let filter = ask.parse(&tx, ui.actor().company)?;
    let page = query::journal(&tx, ui.actor(), &filter)?;
    let cats = query::category_names(&tx, ui.actor().company, ui.lang)?;
    let filters: String = [("from", &ask.from), ("to", &ask.to), ("account", &ask.account), ("kind", &ask.kind), ("status", &ask.status)]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}&", urlencode(v)))
        .collect();
    let rows = page
        .rows
        .iter()
        .map(|r| JournalRowView {
            date: r.row.at.format_local(&shell.timezone),
            account: names.get(&r.account.key()).map(|n| n.1.clone()).unwrap_or_default(),
            kind: kind_label(ui.lang, r.row.kind),
            category: cats.get(&r.row.category).cloned().unwrap_or_else(|| kind_label(ui.lang, r.row.kind).to_string()),
            amount: money(ui.lang, &shell, r.row.amount),
            doc: r.doc.as_ref().map(|d| d.1.clone()).unwrap_or_else(|| r.row.reference.clone()),
            status: ui.lang.t(&format!("finance.status_{}", r.doc.as_ref().map_or("approved", |d| d.2.code()))),
        })
        .collect();
    let mut kinds = vec![Choice { value: String::new(), label: ui.lang.t("finance.all_kinds").into(), selected: ask.kind.is_empty() }];
    kinds.extend(RowKind::ALL.iter().map(|k| Choice {
        value: k.code().into(),
        label: kind_label(ui.lang, *k).into(),
        selected: ask.kind == k.code(),
    }));
    let mut statuses =
        vec![Choice { value: String::new(), label: ui.lang.t("finance.all_statuses").into(), selected: ask.status.is_empty() }];
    statuses.extend(["pending", "approved", "rejected", "reversed"].into_iter().map(|code| Choice {
        value: code.into(),
        label: ui.lang.t(&format!("finance.status_{code}")).into(),
        selected: ask.status == code,
    }));
    let page = JournalPage {
        lang: ui.lang,
        accounts: account_choices(&names, &ask.account, Some(ui.lang.t("finance.all_accounts"))),
        kinds,
        statuses,
        from: ask.from.clone(),
        to: ask.to.clone(),
        rows,
        more: page.more.then(|| format!("/money/journal?{filters}offset={}", offset + 100)),
        export: format!("/api/v1/finance/journal.xlsx?{}", filters.trim_end_matches('&')),
        shell,
    };
    render(StatusCode::OK, &page)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- the cash-box summary ----

pub struct ShiftRowView {
    pub id: u64,
    pub number: String,
    pub opened: String,
    pub expected: String,
}

pub struct FlowRowView {
    pub date: String,
    pub reason: String,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "money_cash_box.html")]
struct CashBoxPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    balance: String,
    period: String,
    sales: u64,
    methods: Vec<(String, String)>,
    shifts: Vec<ShiftRowView>,
    flows: Vec<FlowRowView>,
}

pub async fn cash_box_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    let shell = shell(&app, &ui, &uri)?;
    let tx = app.db.read()?;
    let (from, to) = query::today_and_back(&tx, ui.actor().company, app.now(), 30)?;
    let s = query::cash_box_summary(&tx, ui.actor(), CashBoxId(id), from, to)?;
    let page = CashBoxPage {
        lang: ui.lang,
        id,
        name: s.name.clone(),
        balance: money(ui.lang, &shell, s.balance),
        period: format!("{} — {}", crate::pos::daily::day_text(s.from_day), crate::pos::daily::day_text(s.to_day)),
        sales: s.sales,
        methods: s.sales_by_method.iter().map(|(m, a)| (method_label(ui.lang, m), money(ui.lang, &shell, *a))).collect(),
        shifts: s
            .open_shifts
            .iter()
            .map(|sh| ShiftRowView {
                id: sh.id.0,
                number: sh.number.clone(),
                opened: sh.opened.format_local(&shell.timezone),
                expected: money(ui.lang, &shell, sh.expected_cash()),
            })
            .collect(),
        flows: s
            .flows
            .iter()
            .map(|f| FlowRowView {
                date: f.created.format_local(&shell.timezone),
                reason: f.reason.clone(),
                amount: money(ui.lang, &shell, if f.income { f.amount } else { -f.amount }),
            })
            .collect(),
        shell,
    };
    render(StatusCode::OK, &page)
}
