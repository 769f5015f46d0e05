//! The telecom desk's pages: subscribers (search, the new-subscriber form, the card with its
//! likely duplicates, contracts and the new-contract form), SIM stock (list by status, add
//! one, generate from templates), tariffs with their revisions, contracts (the card with its
//! state actions, the payment form and the ledger), and the billing run with the event feed.
//! Every form works without JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};

use super::fmt::amount;
use super::form::refused;
use super::{Choice, Errors, Fields, Shell, Ui, render, see_other};
use crate::app::App;
use crate::error::Result;
use crate::http::extract::Path;
use crate::i18n::Lang;
use crate::ids::{ContractId, SimId, SubscriberId, TariffId};
use crate::telecom::billing::{self, BillReport, PaymentDraft};
use crate::telecom::contracts::{self, ContractDraft};
use crate::telecom::model::{ContractStatus, SimStatus, Subscriber, SubscriberStatus, Tariff};
use crate::telecom::query;
use crate::telecom::{self, SubscriberDraft};

pub fn routes() -> Router<App> {
    use super::telecom_stock::{
        archive_tariff, create_sim, create_tariff, generate_sims, revise_tariff, sims_page, tariff_page, tariffs_page,
    };
    Router::new()
        .route("/telecom", get(|| async { see_other("/telecom/subscribers") }))
        .route("/telecom/subscribers", get(subscribers_page).post(create_subscriber))
        .route("/telecom/subscribers/{id}", get(subscriber_page))
        .route("/telecom/subscribers/{id}/contracts", post(create_contract))
        .route("/telecom/sims", get(sims_page).post(create_sim))
        .route("/telecom/sims/generate", post(generate_sims))
        .route("/telecom/tariffs", get(tariffs_page).post(create_tariff))
        .route("/telecom/tariffs/{id}", get(tariff_page))
        .route("/telecom/tariffs/{id}/revisions", post(revise_tariff))
        .route("/telecom/tariffs/{id}/archive", post(archive_tariff))
        .route("/telecom/contracts", get(contracts_page))
        .route("/telecom/contracts/{id}", get(contract_page))
        .route("/telecom/contracts/{id}/{action}", post(contract_action))
        .route("/telecom/billing", get(billing_page).post(run_billing))
}

pub(super) fn t(lang: Lang, key: &str) -> &'static str {
    lang.t(&format!("telecom.{key}"))
}

/// The success message a redirect asked for (`?ok=<key>`, each `telecom.ok_<key>`).
pub(super) fn flash(shell: &mut Shell, lang: Lang, uri: &Uri) {
    const OK: &[&str] = &["saved", "created", "activated", "suspended", "resumed", "terminated", "paid", "revised", "archived", "merged"];
    let ok = Fields::parse(uri.query().unwrap_or("").as_bytes()).get("ok");
    if let Some(key) = OK.iter().find(|k| **k == ok) {
        shell.flash = Some(t(lang, &format!("ok_{key}")));
    }
}

pub(super) fn new_key() -> String {
    let bytes: [u8; 16] = rand::random();
    hex::encode(bytes)
}

/// A refused form's fields as typed, for the template to show again.
pub struct Typed(pub Fields);

impl Typed {
    pub fn val(&self, name: &str) -> String {
        self.0.get(name)
    }
}

pub(super) fn query_of(uri: &Uri) -> Fields {
    Fields::parse(uri.query().unwrap_or("").as_bytes())
}

// ---- subscribers ----

pub struct SubscriberRow {
    pub id: u64,
    pub name: String,
    pub phone: String,
    pub document: String,
    pub status: &'static str,
    pub status_code: &'static str,
}

fn subscriber_row(lang: Lang, s: &Subscriber) -> SubscriberRow {
    SubscriberRow {
        id: s.id.0,
        name: s.display_name(),
        phone: s.phone.clone(),
        document: s.document.as_ref().map(|d| format!("{} {}", d.series, d.number)).or_else(|| s.org_inn.clone()).unwrap_or_default(),
        status: t(lang, &format!("subscriber_{}", s.status.code())),
        status_code: s.status.code(),
    }
}

#[derive(Template)]
#[template(path = "telecom_subscribers.html")]
struct SubscribersPage {
    lang: Lang,
    shell: Shell,
    q: String,
    rows: Vec<SubscriberRow>,
    kinds: Vec<Choice>,
    doc_kinds: Vec<Choice>,
    form: Typed,
    errs: Errors,
    can_edit: bool,
}

fn subscribers_for(app: &App, ui: &Ui, uri: &Uri, form: Fields, errs: Errors) -> Result<SubscribersPage> {
    telecom::require_view(ui.actor())?;
    let lang = ui.lang;
    let q = query_of(uri).get("q");
    let rows = query::subscribers(&app.db.read()?, ui.actor(), &q, None, None, 200)?.iter().map(|s| subscriber_row(lang, s)).collect();
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri);
    let kind = form.get("kind");
    let kinds = ["individual", "organization"]
        .into_iter()
        .map(|k| Choice { value: k.into(), label: t(lang, &format!("kind_{k}")).into(), selected: kind == k })
        .collect();
    let doc_kind = form.get("doc_kind");
    let doc_kinds = ["passport", "id_card", "driver_license", "foreign_passport"]
        .into_iter()
        .map(|k| Choice { value: k.into(), label: t(lang, &format!("doc_{k}")).into(), selected: doc_kind == k })
        .collect();
    let can_edit = ui.actor().can(crate::tenancy::perms::Perm::TELECOM_CUSTOMERS);
    Ok(SubscribersPage { lang, shell, q, rows, kinds, doc_kinds, form: Typed(form), errs, can_edit })
}

pub async fn subscribers_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    render(StatusCode::OK, &subscribers_for(&app, &ui, &uri, Fields::parse(b""), Errors::default())?)
}

const SUBSCRIBER_FIELDS: &[&str] = &[
    "kind",
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "org_name",
    "org_inn",
    "doc_kind",
    "doc_series",
    "doc_number",
    "document",
    "personal_no",
    "phone",
    "email",
    "address",
];

pub async fn create_subscriber(State(app): State<App>, ui: Ui, uri: Uri, f: Fields) -> Result<Response> {
    let d = SubscriberDraft {
        kind: f.get("kind"),
        last_name: f.get("last_name"),
        first_name: f.get("first_name"),
        patronymic: f.get("patronymic"),
        birth_date: f.get("birth_date"),
        org_name: f.get("org_name"),
        org_inn: f.get("org_inn"),
        doc_kind: f.get("doc_kind"),
        doc_series: f.get("doc_series"),
        doc_number: f.get("doc_number"),
        personal_no: f.get("personal_no"),
        phone: f.get("phone"),
        email: f.get("email"),
        address: f.get("address"),
        notes: String::new(),
    };
    let (now, actor) = (app.now(), ui.actor().clone());
    match app.db.write(move |tx| telecom::save_subscriber(tx, &actor, now, None, &d)).await {
        Ok((s, _)) => Ok(see_other(&format!("/telecom/subscribers/{}?ok=created", s.id))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, SUBSCRIBER_FIELDS)?;
            render(status, &subscribers_for(&app, &ui, &uri, f, errs)?)
        }
    }
}

pub struct ContractRowView {
    pub id: u64,
    pub number: String,
    pub msisdn: String,
    pub tariff: String,
    pub status: &'static str,
    pub status_code: &'static str,
    pub balance: String,
    pub negative: bool,
}

fn contract_row(lang: Lang, r: &query::ContractRow) -> ContractRowView {
    ContractRowView {
        id: r.contract.id.0,
        number: r.contract.number.clone(),
        msisdn: r.msisdn.clone(),
        tariff: r.tariff.clone(),
        status: t(lang, &format!("contract_{}", r.contract.status.code())),
        status_code: r.contract.status.code(),
        balance: amount(lang, r.balance.balance),
        negative: r.balance.balance < rust_decimal::Decimal::ZERO,
    }
}

pub struct DuplicateRow {
    pub id: u64,
    pub name: String,
    pub reasons: String,
}

#[derive(Template)]
#[template(path = "telecom_subscriber.html")]
struct SubscriberPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    name: String,
    facts: Vec<(&'static str, String)>,
    status: &'static str,
    duplicates: Vec<DuplicateRow>,
    contracts: Vec<ContractRowView>,
    tariffs: Vec<Choice>,
    sims: Vec<Choice>,
    errs: Errors,
    can_contract: bool,
    can_edit: bool,
    /// The subscriber's tickets: id, subject, status code, status label.
    tickets: Vec<(u64, String, &'static str, &'static str)>,
    can_ticket: bool,
}

fn tariff_choices(tariffs: &[Tariff], chosen: Option<u64>, lang: Lang) -> Vec<Choice> {
    let mut out = vec![Choice { value: String::new(), label: t(lang, "choose_tariff").into(), selected: chosen.is_none() }];
    out.extend(tariffs.iter().filter(|x| !x.archived).map(|x| Choice {
        value: x.id.0.to_string(),
        label: match x.revisions.last() {
            Some(r) => format!("{} · {}", x.name, amount(lang, r.monthly_fee)),
            None => x.name.clone(),
        },
        selected: Some(x.id.0) == chosen,
    }));
    out
}

fn free_sim_choices(app: &App, ui: &Ui, chosen: Option<u64>) -> Result<Vec<Choice>> {
    let lang = ui.lang;
    let mut out = vec![Choice { value: String::new(), label: t(lang, "choose_sim").into(), selected: chosen.is_none() }];
    for s in query::sims(&app.db.read()?, ui.actor(), Some(SimStatus::Free), "", 500)? {
        out.push(Choice { value: s.id.0.to_string(), label: format!("{} · {}", s.msisdn, s.iccid), selected: Some(s.id.0) == chosen });
    }
    Ok(out)
}

fn subscriber_for(app: &App, ui: &Ui, uri: &Uri, id: u64, form: &Fields, errs: Errors) -> Result<SubscriberPage> {
    let lang = ui.lang;
    let tx = app.db.read()?;
    let card = query::subscriber(&tx, ui.actor(), SubscriberId(id))?;
    let s = &card.subscriber;
    let mut facts = vec![("phone", s.phone.clone())];
    if let Some(d) = &s.document {
        facts.push(("document", format!("{} {} {}", t(lang, &format!("doc_{}", d.kind.code())), d.series, d.number)));
    }
    for (key, value) in [("personal_no", &s.personal_no), ("org_inn", &s.org_inn), ("birth_date", &s.birth_date), ("email", &s.email)] {
        if let Some(v) = value {
            facts.push((key, v.clone()));
        }
    }
    if !s.address.is_empty() {
        facts.push(("address", s.address.clone()));
    }
    let facts = facts.into_iter().map(|(k, v)| (t(lang, k), v)).collect();
    let duplicates = card
        .duplicates
        .iter()
        .map(|d| DuplicateRow {
            id: d.subscriber.id.0,
            name: d.subscriber.display_name(),
            reasons: d.reasons.iter().map(|r| t(lang, &format!("dup_{r}"))).collect::<Vec<_>>().join(", "),
        })
        .collect();
    let tariffs = query::tariffs(&tx, ui.actor())?;
    let mut shell = Shell::load(app, ui)?;
    flash(&mut shell, lang, uri);
    Ok(SubscriberPage {
        lang,
        id,
        name: s.display_name(),
        facts,
        status: t(lang, &format!("subscriber_{}", s.status.code())),
        duplicates,
        contracts: card.contracts.iter().map(|r| contract_row(lang, r)).collect(),
        tariffs: tariff_choices(&tariffs, form.id("tariff"), lang),
        sims: free_sim_choices(app, ui, form.id("sim"))?,
        errs,
        can_contract: ui.actor().can(crate::tenancy::perms::Perm::TELECOM_SIMS) && s.status == SubscriberStatus::Active,
        tickets: crate::telecom::tickets::of_subscriber(&tx, ui.actor().company, s.id)?
            .into_iter()
            .map(|x| (x.id.0, x.subject, x.status.code(), t(lang, &format!("ticket_{}", x.status.code()))))
            .collect(),
        can_ticket: ui.actor().can(crate::tenancy::perms::Perm::TELECOM_TICKETS),
        can_edit: ui.actor().can(crate::tenancy::perms::Perm::TELECOM_CUSTOMERS),
        shell,
    })
}

pub async fn subscriber_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &subscriber_for(&app, &ui, &uri, id, &Fields::parse(b""), Errors::default())?)
}

pub async fn create_contract(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>, f: Fields) -> Result<Response> {
    let d = ContractDraft {
        subscriber: Some(SubscriberId(id)),
        tariff: f.id("tariff").map(TariffId),
        sim: f.id("sim").map(SimId),
        signed: f.get("signed"),
        notes: f.get("notes"),
    };
    let activate = f.has("activate");
    let (now, actor) = (app.now(), ui.actor().clone());
    let result = app
        .db
        .write(move |tx| {
            let k = contracts::create_contract(tx, &actor, now, &d)?;
            if activate { contracts::activate(tx, &actor, now, k.id, None) } else { Ok(k) }
        })
        .await;
    match result {
        Ok(k) => {
            let ok = if k.status == ContractStatus::Active { "activated" } else { "created" };
            Ok(see_other(&format!("/telecom/contracts/{}?ok={ok}", k.id)))
        }
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["tariff", "sim", "signed"])?;
            render(status, &subscriber_for(&app, &ui, &uri, id, &f, errs)?)
        }
    }
}

// ---- contracts ----

#[derive(Template)]
#[template(path = "telecom_contracts.html")]
struct ContractsPage {
    lang: Lang,
    shell: Shell,
    rows: Vec<ContractRowView>,
    statuses: Vec<Choice>,
}

pub async fn contracts_page(State(app): State<App>, ui: Ui, uri: Uri) -> Result<Response> {
    telecom::require_view(ui.actor())?;
    let lang = ui.lang;
    let status = ContractStatus::parse(&query_of(&uri).get("status"));
    let rows = query::contracts(&app.db.read()?, ui.actor(), status, 300)?.iter().map(|r| contract_row(lang, r)).collect();
    let mut statuses = vec![Choice { value: String::new(), label: t(lang, "all").into(), selected: status.is_none() }];
    statuses.extend(ContractStatus::ALL.iter().map(|s| Choice {
        value: s.code().into(),
        label: t(lang, &format!("contract_{}", s.code())).into(),
        selected: Some(*s) == status,
    }));
    let mut shell = Shell::load(&app, &ui)?;
    flash(&mut shell, lang, &uri);
    render(StatusCode::OK, &ContractsPage { lang, shell, rows, statuses })
}

pub struct LedgerRow {
    /// A payment's receipt link.
    pub receipt: Option<String>,
    pub at: String,
    pub kind: &'static str,
    pub amount: String,
    pub balance: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "telecom_contract.html")]
struct ContractPage {
    lang: Lang,
    shell: Shell,
    id: u64,
    number: String,
    subscriber_id: u64,
    subscriber: String,
    tariff: String,
    sim: String,
    status: &'static str,
    status_code: &'static str,
    dates: String,
    next_bill: String,
    balance: String,
    negative: bool,
    ledger: Vec<LedgerRow>,
    sims: Vec<Choice>,
    methods: Vec<Choice>,
    key: String,
    form: Typed,
    errs: Errors,
    can_activate: bool,
    can_suspend: bool,
    can_resume: bool,
    can_terminate: bool,
    can_pay: bool,
}

fn contract_for(app: &App, ui: &Ui, uri: &Uri, id: u64, form: Fields, errs: Errors) -> Result<ContractPage> {
    let lang = ui.lang;
    let card = query::contract(&app.db.read()?, ui.actor(), ContractId(id))?;
    let k = &card.contract;
    let shell = {
        let mut s = Shell::load(app, ui)?;
        flash(&mut s, lang, uri);
        s
    };
    let tz = shell.timezone.clone();
    let ledger = card
        .ledger
        .iter()
        .rev()
        .map(|(seq, e)| LedgerRow {
            receipt: (e.kind == crate::telecom::model::EntryKind::Payment).then(|| format!("/telecom/contracts/{id}/receipts/{seq}.pdf")),
            at: e.at.format_local(&tz),
            kind: t(lang, &format!("entry_{}", e.kind.code())),
            amount: amount(lang, e.amount),
            balance: amount(lang, e.balance_after),
            note: match (e.period, &e.transaction_id) {
                (Some(p), _) => format!("{} {p} · {}", t(lang, "period"), e.date),
                (None, Some(tid)) => format!("{} · {tid}", t(lang, &format!("method_{}", e.method.code()))),
                (None, None) => {
                    [t(lang, &format!("method_{}", e.method.code())).to_string(), e.reason.clone()].join(" ").trim().to_string()
                }
            },
        })
        .collect();
    let actor = ui.actor();
    use crate::tenancy::perms::Perm;
    let method = form.get("method");
    let methods = ["cash", "card", "bank_transfer", "mobile_payment", "terminal"]
        .into_iter()
        .map(|m| Choice { value: m.into(), label: t(lang, &format!("method_{m}")).into(), selected: method == m })
        .collect();
    let dates = [
        Some(format!("{} {}", t(lang, "signed"), k.signed)),
        k.activated.as_ref().map(|d| format!("{} {d}", t(lang, "activated"))),
        k.terminated.as_ref().map(|d| format!("{} {d}", t(lang, "terminated"))),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let open = matches!(k.status, ContractStatus::Active | ContractStatus::Suspended);
    Ok(ContractPage {
        lang,
        id,
        number: k.number.clone(),
        subscriber_id: card.subscriber.id.0,
        subscriber: card.subscriber.display_name(),
        tariff: card.tariff.name.clone(),
        sim: card.sim.as_ref().map(|s| format!("{} · {}", s.msisdn, s.iccid)).unwrap_or_default(),
        status: t(lang, &format!("contract_{}", k.status.code())),
        status_code: k.status.code(),
        dates,
        next_bill: if k.status == ContractStatus::Active { k.due_date(k.next_period).unwrap_or_default() } else { String::new() },
        balance: amount(lang, card.balance.balance),
        negative: card.balance.balance < rust_decimal::Decimal::ZERO,
        ledger,
        sims: if k.status == ContractStatus::Draft { free_sim_choices(app, ui, k.sim.map(|s| s.0))? } else { Vec::new() },
        methods,
        key: new_key(),
        form: Typed(form),
        errs,
        can_activate: k.status == ContractStatus::Draft && actor.can(Perm::TELECOM_SIMS),
        can_suspend: k.status == ContractStatus::Active && actor.can(Perm::TELECOM_CUSTOMERS),
        can_resume: k.status == ContractStatus::Suspended && actor.can(Perm::TELECOM_CUSTOMERS),
        can_terminate: k.status != ContractStatus::Terminated && actor.can(Perm::TELECOM_TERMINATE),
        can_pay: open && actor.can(Perm::TELECOM_PAYMENTS),
        shell,
    })
}

pub async fn contract_page(State(app): State<App>, ui: Ui, uri: Uri, Path(id): Path<u64>) -> Result<Response> {
    render(StatusCode::OK, &contract_for(&app, &ui, &uri, id, Fields::parse(b""), Errors::default())?)
}

/// The contract card's forms: activate, suspend, resume, terminate, pay.
pub async fn contract_action(
    State(app): State<App>,
    ui: Ui,
    uri: Uri,
    Path((id, action)): Path<(u64, String)>,
    f: Fields,
) -> Result<Response> {
    let (now, actor, k) = (app.now(), ui.actor().clone(), ContractId(id));
    let typed = Fields::parse(b"");
    let result = match action.as_str() {
        "activate" => {
            let sim = f.id("sim").map(SimId);
            app.db.write(move |tx| contracts::activate(tx, &actor, now, k, sim)).await.map(|_| "activated")
        }
        "suspend" => app.db.write(move |tx| contracts::suspend(tx, &actor, now, k)).await.map(|_| "suspended"),
        "resume" => app.db.write(move |tx| contracts::resume(tx, &actor, now, k)).await.map(|_| "resumed"),
        "terminate" => app.db.write(move |tx| contracts::terminate(tx, &actor, now, k)).await.map(|_| "terminated"),
        "pay" => {
            let d = PaymentDraft { amount: f.get("amount"), method: f.get("method"), transaction_id: f.get("key"), note: f.get("note") };
            app.db.write(move |tx| billing::pay(tx, &actor, now, k, &d)).await.map(|_| "paid")
        }
        _ => return Err(crate::error::Error::NotFound),
    };
    match result {
        Ok(ok) => Ok(see_other(&format!("/telecom/contracts/{id}?ok={ok}"))),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["amount", "method", "sim"])?;
            let form = if action == "pay" { f } else { typed };
            render(status, &contract_for(&app, &ui, &uri, id, form, errs)?)
        }
    }
}

// ---- billing ----

pub struct EventRow {
    pub at: String,
    pub kind: &'static str,
    pub contract: u64,
    pub balance: String,
}

#[derive(Template)]
#[template(path = "telecom_billing.html")]
struct BillingPage {
    lang: Lang,
    shell: Shell,
    date: String,
    report: Option<(String, u64, u64, String)>,
    events: Vec<EventRow>,
    errs: Errors,
    can_run: bool,
}

fn billing_for(app: &App, ui: &Ui, date: String, report: Option<&BillReport>, errs: Errors) -> Result<BillingPage> {
    let lang = ui.lang;
    let shell = Shell::load(app, ui)?;
    let events = query::events(&app.db.read()?, ui.actor(), 50)?
        .into_iter()
        .map(|(_, e)| EventRow {
            at: e.at.format_local(&shell.timezone),
            kind: t(lang, &format!("event_{}", e.kind.code())),
            contract: e.contract.0,
            balance: amount(lang, e.balance),
        })
        .collect();
    let date = if date.is_empty() { app.now().date_local(&shell.timezone) } else { date };
    use crate::tenancy::perms::Perm;
    let can_run = ui.actor().can(Perm::TELECOM_PAYMENTS) && ui.actor().can(Perm::TELECOM_TARIFFS);
    Ok(BillingPage {
        lang,
        date,
        report: report.map(|r| (r.date.clone(), r.contracts, r.charges, amount(lang, r.amount))),
        events,
        errs,
        can_run,
        shell,
    })
}

pub async fn billing_page(State(app): State<App>, ui: Ui) -> Result<Response> {
    telecom::require_view(ui.actor())?;
    render(StatusCode::OK, &billing_for(&app, &ui, String::new(), None, Errors::default())?)
}

pub async fn run_billing(State(app): State<App>, ui: Ui, f: Fields) -> Result<Response> {
    let date = f.get("date");
    let (now, actor, asked) = (app.now(), ui.actor().clone(), date.clone());
    match app.db.write(move |tx| billing::run_billing(tx, &actor, now, &asked)).await {
        Ok(r) => render(StatusCode::OK, &billing_for(&app, &ui, date, Some(&r), Errors::default())?),
        Err(e) => {
            let (status, errs) = refused(e, ui.lang, &["date"])?;
            render(status, &billing_for(&app, &ui, date, None, errs)?)
        }
    }
}
