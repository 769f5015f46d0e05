//! Client pages: the list with the picker search and a create form, the client card (details,
//! debts with the repayment form, purchase history, deals, the statement download), the deal
//! page (schedule, pay, refund) and "clients with debts". Every form works without JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::{Choice, Errors, Fields, Shell, Ui, flash_text, render, see_other};
use crate::app::App;
use crate::clients::deals::{self, DealDraft, DealPayDraft};
use crate::clients::model::{Client, ClientKind, DealKind, DealPaymentKind};
use crate::clients::{self, ClientDraft, DebtPaymentDraft};
use crate::error::{Error, Result};
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{CashBoxId, ClientId};
use crate::money::display;
use crate::tenancy::perms::Perm;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/clients", get(list_page).post(create))
        .route("/clients/{id}", get(card_page).post(save))
        .route("/clients/{id}/archive", post(archive))
        .route("/clients/{id}/restore", post(restore))
        .route("/clients/{id}/pay", post(pay_debt))
        .route("/clients/{id}/deals", post(create_deal))
        .route("/deals/{id}", get(deal_page))
        .route("/deals/{id}/pay", post(pay_deal))
        .route("/deals/{id}/refund", post(refund_deal))
        .route("/debtors", get(debtors_page))
}

const FLASHES: &[&str] = &[
    "client_saved",
    "client_archived",
    "client_restored",
    "debt_paid",
    "deal_saved",
    "deal_paid",
    "deal_refunded",
    "attachment_saved",
    "attachment_deleted",
];

fn flash(shell: &mut Shell, lang: Lang, uri: &Uri) {
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if let Some(key) = FLASHES.iter().find(|k| **k == ok) {
        shell.flash = Some(flash_text(lang, key));
    }
}

/// A refused write as form messages; anything that is not the user's input goes on.
fn refused(e: Error, lang: Lang, shown: &[&str]) -> Result<Errors> {
    match e {
        Error::Validation(list) => Ok(Errors::new(&list, lang, shown)),
        e @ Error::Refused { .. } => Ok(Errors::form(e.message(lang))),
        other => Err(other),
    }
}

fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

fn kind_choices(lang: Lang, chosen: ClientKind) -> Vec<Choice> {
    ClientKind::ALL
        .iter()
        .map(|k| Choice { value: k.code().into(), label: lang.t(&format!("clients.kind_{}", k.code())).into(), selected: *k == chosen })
        .collect()
}

fn draft_of(f: &Fields) -> ClientDraft {
    ClientDraft {
        kind: f.get("kind"),
        name: f.get("name"),
        phone: f.get("phone"),
        email: f.get("email"),
        inn: f.get("inn"),
        okpo: f.get("okpo"),
        bank: f.get("bank"),
        bik: f.get("bik"),
        account: f.get("account"),
        address: f.get("address"),
        notes: f.get("notes"),
    }
}

const CLIENT_FIELDS: &[&str] = &["kind", "name", "phone", "email", "inn", "okpo", "bank", "bik", "account", "address", "notes"];

pub struct ClientRow {
    pub id: u64,
    pub name: String,
    pub kind: &'static str,
    pub phone: String,
    pub email: String,
}

fn row(lang: Lang, c: &Client) -> ClientRow {
    ClientRow {
        id: c.id.0,
        name: c.name.clone(),
        kind: lang.t(&format!("clients.kind_{}", c.kind.code())),
        phone: c.phone.clone().unwrap_or_default(),
        email: c.email.clone().unwrap_or_default(),
    }
}

#[derive(Template)]
#[template(path = "clients.html")]
struct ListPage {
    lang: Lang,
    shell: Shell,
    q: String,
    rows: Vec<ClientRow>,
    kinds: Vec<Choice>,
    draft: ClientDraft,
    errs: Errors,
}

fn list_for(app: &App, ui: &Ui, uri: &Uri, draft: ClientDraft, errs: Errors) -> Result<ListPage> {
    clients::require_read(ui.actor())?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let q = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("q");
    let tx = app.db.read()?;
    let found = if q.trim().is_empty() {
        clients::list(&tx, ui.actor().company, 0, 200, false)?
    } else {
        clients::pick(&tx, ui.actor().company, &q, 50)?
    };
    let kinds = kind_choices(ui.lang, ClientKind::parse(&draft.kind).unwrap_or(ClientKind::Client));
    Ok(ListPage { lang: ui.lang, shell, q, rows: found.iter().map(|c| row(ui.lang, c)).collect(), kinds, draft, errs })
}

pub async fn list_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &list_for(&app, &ui, &uri, ClientDraft::default(), Errors::default())?)
}

pub async fn create(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = draft_of(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| clients::save_client(tx, &actor, now, None, &saving)).await {
        Ok((c, _)) => Ok(see_other(&format!("/clients/{}?ok=client_saved", c.id))),
        Err(e) => {
            let errs = refused(e, ui.lang, CLIENT_FIELDS)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &list_for(&app, &ui, &uri, d, errs)?)
        }
    }
}

pub struct LedgerRow {
    pub at: String,
    pub kind: &'static str,
    pub amount: String,
    pub note: String,
}

pub struct SaleRow {
    pub id: u64,
    pub number: String,
    pub at: String,
    pub total: String,
    pub status: String,
}

pub struct DealRow {
    pub id: u64,
    pub title: String,
    pub kind: &'static str,
    pub amount: String,
    pub remaining: String,
}

#[derive(Template)]
#[template(path = "client_card.html")]
pub(super) struct CardPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    client: ClientRow,
    archived: bool,
    draft: ClientDraft,
    kinds: Vec<Choice>,
    duplicates: Vec<ClientRow>,
    balance: String,
    ledger: Vec<LedgerRow>,
    sales: Vec<SaleRow>,
    deals: Vec<DealRow>,
    deal_kinds: Vec<Choice>,
    boxes: Vec<Choice>,
    key: String,
    can_edit: bool,
    errs: Errors,
    /// The client's WhatsApp conversations (id, preview), for those with the inbox right.
    conversations: Vec<(u64, String)>,
}

pub(super) fn card_for(app: &App, ui: &Ui, uri: &Uri, id: u64, draft: Option<ClientDraft>, errs: Errors) -> Result<CardPage> {
    let actor = ui.actor();
    clients::require_read(actor)?;
    let tx = app.db.read()?;
    let c = clients::read_client(&tx, actor, ClientId(id))?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let tz = shell.timezone.clone();
    let lang = ui.lang;
    let duplicates = clients::duplicates_read(&tx, actor.company, &c)?.iter().map(|d| row(lang, d)).collect();
    let balance = display::amount(lang, clients::balance(&tx, actor.company, c.id)?.owed);
    let ledger = clients::ledger(&tx, actor.company, c.id)?
        .iter()
        .rev()
        .map(|(_, e)| LedgerRow {
            at: e.at.format_local(&tz),
            kind: lang.t(&format!("clients.debt_{}", e.kind.code())),
            amount: display::amount(lang, e.amount),
            note: if e.method.is_empty() { e.note.clone() } else { format!("{} {}", e.method, e.note) },
        })
        .collect();
    let sales = crate::pos::client_purchases(&tx, actor.company, c.id, 100)?
        .iter()
        .map(|s| SaleRow {
            id: s.id.0,
            number: s.number.clone(),
            at: s.at.format_local(&tz),
            total: display::amount(lang, s.total),
            status: lang.t(&format!("pos.status_{}", s.status.code())).to_string(),
        })
        .collect();
    let deals = deals::client_deals(&tx, actor.company, c.id)?
        .iter()
        .map(|d| DealRow {
            id: d.id,
            title: d.title.clone(),
            kind: lang.t(&format!("clients.deal_{}", d.kind.code())),
            amount: display::amount(lang, d.amount),
            remaining: display::amount(lang, d.remaining()),
        })
        .collect();
    let mut boxes = Vec::new();
    for b in crate::pos::query::cash_boxes(&tx, actor)? {
        if b.active && crate::pos::query::open_shift(&tx, actor, b.id)?.is_some() {
            boxes.push(Choice { value: b.id.0.to_string(), label: b.name, selected: boxes.is_empty() });
        }
    }
    let draft = draft.unwrap_or_else(|| ClientDraft::of(&c));
    let deal_kinds = DealKind::ALL
        .iter()
        .map(|k| Choice {
            value: k.code().into(),
            label: lang.t(&format!("clients.deal_{}", k.code())).into(),
            selected: *k == DealKind::Debt,
        })
        .collect();
    Ok(CardPage {
        lang,
        shell,
        id,
        client: row(lang, &c),
        archived: c.archived,
        kinds: kind_choices(lang, ClientKind::parse(&draft.kind).unwrap_or(c.kind)),
        draft,
        duplicates,
        balance,
        ledger,
        sales,
        deals,
        deal_kinds,
        boxes,
        key: new_key(),
        can_edit: actor.can(Perm::CLIENTS),
        errs,
        conversations: crate::messaging::inbox::of_client(&tx, actor, c.id)?
            .into_iter()
            .map(|v| (v.id.0, format!("{} · {}", v.phone, v.preview)))
            .collect(),
    })
}

pub async fn card_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &card_for(&app, &ui, &uri, id, None, Errors::default())?)
}

pub async fn save(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = draft_of(&f);
    let (now, actor, saving) = (app.now(), ui.actor().clone(), d.clone());
    match app.db.write(move |tx| clients::save_client(tx, &actor, now, Some(ClientId(id)), &saving)).await {
        Ok(_) => Ok(see_other(&format!("/clients/{id}?ok=client_saved"))),
        Err(e) => {
            let errs = refused(e, ui.lang, CLIENT_FIELDS)?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &card_for(&app, &ui, &uri, id, Some(d), errs)?)
        }
    }
}

async fn set_archived(app: App, ui: Ui, id: u64, archived: bool) -> Result<Response> {
    let (now, actor) = (app.now(), ui.actor().clone());
    app.db.write(move |tx| clients::set_archived(tx, &actor, now, ClientId(id), archived)).await?;
    Ok(see_other(&format!("/clients/{id}?ok={}", if archived { "client_archived" } else { "client_restored" })))
}

pub async fn archive(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    set_archived(app, ui, id, true).await
}

pub async fn restore(State(app): State<App>, ui: Ui, Path(id): Path<u64>) -> Result<Response> {
    set_archived(app, ui, id, false).await
}

pub async fn pay_debt(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let method = f.get("method");
    let d = DebtPaymentDraft {
        key: f.get("key"),
        amount: f.get("amount"),
        cash_box: if method == "cash" { f.id("cash_box").map(CashBoxId) } else { None },
        method,
        note: f.get("note"),
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| clients::pay_debt(tx, &actor, now, ClientId(id), &d)).await {
        Ok(_) => Ok(see_other(&format!("/clients/{id}?ok=debt_paid"))),
        Err(e) => {
            let errs = refused(e, ui.lang, &["amount", "cash_box"])?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &card_for(&app, &ui, &uri, id, None, errs)?)
        }
    }
}

fn deal_draft(f: &Fields) -> DealDraft {
    DealDraft {
        kind: f.get("deal_kind"),
        title: f.get("title"),
        amount: f.get("deal_amount"),
        prepayment: f.get("prepayment"),
        months: f.get("months").trim().parse().unwrap_or(0),
        first_due: f.get("first_due"),
    }
}

pub async fn create_deal(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = deal_draft(&f);
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| deals::create_deal(tx, &actor, now, ClientId(id), &d)).await {
        Ok(deal) => Ok(see_other(&format!("/deals/{}?ok=deal_saved", deal.id))),
        Err(e) => {
            let errs = refused(e, ui.lang, &[])?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &card_for(&app, &ui, &uri, id, None, errs)?)
        }
    }
}

pub struct InstallmentRow {
    pub number: u32,
    pub due: String,
    pub amount: String,
    pub paid: String,
    pub paid_on: String,
    pub balance_after: String,
    pub overdue: bool,
}

pub struct PaymentRow {
    pub date: String,
    pub kind: &'static str,
    pub installment: u32,
    pub amount: String,
}

#[derive(Template)]
#[template(path = "deal.html")]
struct DealPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    client: ClientRow,
    title: String,
    kind: &'static str,
    amount: String,
    prepayment: String,
    debt: String,
    paid: String,
    remaining: String,
    frozen: bool,
    installments: Vec<InstallmentRow>,
    payments: Vec<PaymentRow>,
    key: String,
    errs: Errors,
}

fn deal_for(app: &App, ui: &Ui, uri: &Uri, id: u64, errs: Errors) -> Result<DealPage> {
    let actor = ui.actor();
    clients::require_read(actor)?;
    let tx = app.db.read()?;
    let d = deals::read_deal(&tx, actor, id)?;
    let c = clients::read_client(&tx, actor, d.client)?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, ui.lang, uri);
    let today = app.now().date_local(&shell.timezone);
    let lang = ui.lang;
    Ok(DealPage {
        lang,
        id,
        client: row(lang, &c),
        title: d.title.clone(),
        kind: lang.t(&format!("clients.deal_{}", d.kind.code())),
        amount: display::amount(lang, d.amount),
        prepayment: display::amount(lang, d.prepayment),
        debt: display::amount(lang, d.debt()),
        paid: display::amount(lang, d.paid()),
        remaining: display::amount(lang, d.remaining()),
        frozen: d.frozen(),
        installments: d
            .installments
            .iter()
            .map(|i| InstallmentRow {
                number: i.number,
                due: i.due.clone(),
                amount: display::amount(lang, i.amount),
                paid: display::amount(lang, i.paid),
                paid_on: i.paid_on.clone().unwrap_or_default(),
                balance_after: display::amount(lang, i.balance_after),
                overdue: i.paid_on.is_none() && i.due < today,
            })
            .collect(),
        payments: d
            .payments
            .iter()
            .map(|p| PaymentRow {
                date: p.date.clone(),
                kind: if p.kind == DealPaymentKind::Pay { lang.t("clients.deal_pay") } else { lang.t("clients.deal_refund") },
                installment: p.installment,
                amount: display::amount(lang, p.amount),
            })
            .collect(),
        key: new_key(),
        errs,
        shell,
    })
}

pub async fn deal_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &deal_for(&app, &ui, &uri, id, Errors::default())?)
}

async fn deal_action(app: App, ui: Ui, uri: Uri, id: u64, f: Fields, refund: bool) -> Result<Response> {
    let d = DealPayDraft { key: f.get("key"), installment: f.get("installment").trim().parse().ok(), amount: f.get("amount") };
    let (now, actor) = (app.now(), ui.actor().clone());
    let done =
        app.db.write(move |tx| if refund { deals::refund(tx, &actor, now, id, &d) } else { deals::pay(tx, &actor, now, id, &d) }).await;
    match done {
        Ok(_) => Ok(see_other(&format!("/deals/{id}?ok={}", if refund { "deal_refunded" } else { "deal_paid" }))),
        Err(e) => {
            let errs = refused(e, ui.lang, &[])?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &deal_for(&app, &ui, &uri, id, errs)?)
        }
    }
}

pub async fn pay_deal(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    deal_action(app, ui, uri, id, f, false).await
}

pub async fn refund_deal(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    deal_action(app, ui, uri, id, f, true).await
}

pub struct DebtorRow {
    pub id: u64,
    pub name: String,
    pub phone: String,
    pub debts: String,
    pub deals: String,
    pub overdue: String,
    pub total: String,
}

#[derive(Template)]
#[template(path = "debtors.html")]
struct DebtorsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<DebtorRow>,
}

pub async fn debtors_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    clients::require_read(ui.actor())?;
    let shell = Shell::load(&app, &ui)?;
    let today = app.now().date_local(&shell.timezone);
    let rows = clients::debtors(&app.db.read()?, ui.actor().company, &today)?
        .iter()
        .map(|d| DebtorRow {
            id: d.client.id.0,
            name: d.client.name.clone(),
            phone: d.client.phone.clone().unwrap_or_default(),
            debts: display::amount(ui.lang, d.debts),
            deals: display::amount(ui.lang, d.deals),
            overdue: display::amount(ui.lang, d.overdue),
            total: display::amount(ui.lang, d.total()),
        })
        .collect();
    render(StatusCode::OK, &DebtorsPage { lang: ui.lang, shell, rows })
}
