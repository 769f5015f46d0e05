//! Documents from templates (issue 17): the company's templates (kind, name, language, body)
//! beside the built-in ones (`templating::BUILTINS`), a preview against a sample or one of
//! the company's deals, and documents made from a deal — numbered per kind and year
//! (КП-2026-0001) by a counter taken in the transaction that stores the document, drawn to a
//! PDF by `crate::documents` under the company's header, and stored as issued (the PDF
//! bytes, at most `PDF_MAX`), listed on the deal and the client card and in the client's
//! timeline. An order makes documents the same way (`generate_for_order`): its lines are the
//! document's lines, its client the buyer; they are listed on the order page.
//!
//! Rights: templates are CRM settings (`crm_settings`). Making, listing and downloading a
//! deal's documents follows the deal: `crm_deals` for one's own deals, `crm_all_deals` for
//! everyone's; an order's documents follow the orders' right (`crm_orders`). A client's list
//! shows only the documents its reader may see.

use rust_decimal::Decimal;

use super::model::{CrmDoc, Deal, DealLine, DocFile, DocKind, DocTemplate, Event, EventKind, Order};
use super::store::{self, CLIENT_DOCS, CONTACTS, DEAL_DOCS, DOC_FILES, DOC_ORDERS, DOC_TEMPLATES, DOCS, ORDER_DOCS};
use super::templating::{self, ClientFields, CompanyFields, Context, DealFields, DocFields, LineFields, OrderFields};
use super::{client_of, require_crm};
use super::{deals, orders};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::i18n::Lang;
use crate::ids::{ClientId, CrmDealId, CrmDocId, DocTemplateId, OrderId, ProductId};
use crate::money::{display, words};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{Company, parse_name};
use crate::tenancy::perms::Perm;

/// The largest PDF a document may store (a logo and forty pages fit well inside).
pub const PDF_MAX: usize = 4 * 1024 * 1024;
/// Templates a company may keep.
pub const TEMPLATES_MAX: usize = 100;
/// Documents a deal page or a client card lists, newest first.
pub const SHOWN: usize = 100;

/// Editing templates (and previewing them) is a CRM setting.
pub fn require_settings(actor: &Actor) -> Result<()> {
    require_crm(actor)?;
    actor.require(Perm::CRM_SETTINGS)
}

#[derive(Debug, Clone, Default)]
pub struct TemplateDraft {
    pub kind: String,
    pub name: String,
    pub lang: String,
    pub body: String,
}

impl TemplateDraft {
    pub fn of(t: &DocTemplate) -> TemplateDraft {
        TemplateDraft { kind: t.kind.code().into(), name: t.name.clone(), lang: t.lang.code().into(), body: t.body.clone() }
    }
}

fn parse_kind(raw: &str) -> std::result::Result<DocKind, FieldError> {
    DocKind::parse(raw).ok_or_else(|| {
        FieldError::new("kind", "doc_kind", "Вид: offer, invoice, act или contract", "Kind: offer, invoice, act or contract")
    })
}

fn parse_lang(raw: &str) -> std::result::Result<Lang, FieldError> {
    Lang::parse(raw).ok_or_else(|| FieldError::new("lang", "lang", "Язык: ru или en", "Language: ru or en"))
}

/// The company's templates, by kind and then name; anyone working deals reads them (to
/// choose one), only `crm_settings` edits them.
pub fn templates(tx: &impl Read, actor: &Actor) -> Result<Vec<DocTemplate>> {
    require_crm(actor)?;
    let c = actor.company;
    let mut out: Vec<DocTemplate> =
        tx.list(DOC_TEMPLATES, (c, DocTemplateId::MIN), (c, DocTemplateId::MAX), TEMPLATES_MAX)?.into_iter().map(|(_, t)| t).collect();
    out.sort_by(|a, b| (a.kind as u8, &a.name).cmp(&(b.kind as u8, &b.name)));
    Ok(out)
}

pub fn template(tx: &impl Read, actor: &Actor, id: DocTemplateId) -> Result<DocTemplate> {
    require_settings(actor)?;
    tx.get(DOC_TEMPLATES, (actor.company, id))?.ok_or(Error::NotFound)
}

/// Creates (`id` None) or edits a template; the body is checked (size, sandbox, syntax) first.
pub fn save_template(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<DocTemplateId>, d: &TemplateDraft) -> Result<DocTemplate> {
    require_settings(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) => Some(tx.get(DOC_TEMPLATES, (c, id))?.ok_or(Error::NotFound)?),
        None => None,
    };
    if old.is_none() && tx.list(DOC_TEMPLATES, (c, DocTemplateId::MIN), (c, DocTemplateId::MAX), TEMPLATES_MAX)?.len() >= TEMPLATES_MAX {
        return Err(Error::refused(
            "too_many_templates",
            format!("Не больше {TEMPLATES_MAX} шаблонов"),
            format!("At most {TEMPLATES_MAX} templates"),
        ));
    }
    let mut p = Problems::default();
    let kind = p.take(parse_kind(&d.kind));
    let lang = p.take(parse_lang(&d.lang));
    let name = p.take(parse_name("name", &d.name, 200));
    p.take(templating::check(&d.body));
    p.finish()?;
    let (Some(kind), Some(lang), Some(name)) = (kind, lang, name) else {
        return Err(Error::Internal("template draft parsed with problems".into()));
    };
    let new = DocTemplate {
        id: match id {
            Some(id) => id,
            None => DocTemplateId(tx.next_id()?),
        },
        kind,
        name,
        lang,
        body: d.body.clone(),
        created: old.as_ref().map_or(now, |o| o.created),
        created_by: old.as_ref().map_or(actor.user, |o| o.created_by),
        updated: now,
    };
    tx.insert(DOC_TEMPLATES, (c, new.id), &new)?;
    let action = if old.is_some() { "crm.template.update" } else { "crm.template.create" };
    audit::record(tx, c, actor, now, action, format!("crm_template:{}", new.id), new.name.clone())?;
    Ok(new)
}

/// Removes a template; documents made from it keep its name and their PDF.
pub fn delete_template(tx: &mut WriteTx, actor: &Actor, now: Ts, id: DocTemplateId) -> Result<()> {
    require_settings(actor)?;
    actor.require_writable()?;
    let old = tx.get(DOC_TEMPLATES, (actor.company, id))?.ok_or(Error::NotFound)?;
    tx.remove(DOC_TEMPLATES, (actor.company, id))?;
    audit::record(tx, actor.company, actor, now, "crm.template.delete", format!("crm_template:{id}"), old.name)?;
    Ok(())
}

/// A template chosen to make a document: a stored one by id, or a built-in one by its key
/// ("offer.ru").
struct Chosen {
    kind: DocKind,
    lang: Lang,
    name: String,
    body: String,
}

fn chosen(tx: &impl Read, actor: &Actor, choice: &str) -> Result<Chosen> {
    let choice = choice.trim();
    if let Ok(id) = choice.parse::<u64>() {
        let t = tx.get(DOC_TEMPLATES, (actor.company, DocTemplateId(id)))?.ok_or(Error::NotFound)?;
        return Ok(Chosen { kind: t.kind, lang: t.lang, name: t.name, body: t.body });
    }
    match templating::builtin(choice) {
        Some(b) => Ok(Chosen { kind: b.kind, lang: b.lang, name: b.name(), body: b.body.to_string() }),
        None => Err(Error::field("template", "template", "Выберите шаблон", "Choose a template")),
    }
}

fn date_for(lang: Lang, iso: &str) -> String {
    match (lang, iso.split('-').collect::<Vec<_>>().as_slice()) {
        (Lang::Ru, [y, m, d]) => format!("{d}.{m}.{y}"),
        _ => iso.to_string(),
    }
}

fn company_fields(company: &Company) -> CompanyFields {
    let l = &company.legal;
    CompanyFields {
        name: company.name.clone(),
        inn: l.inn.clone(),
        okpo: l.okpo.clone(),
        address: l.address.clone(),
        phones: company.phones.iter().filter(|p| !p.trim().is_empty()).cloned().collect::<Vec<_>>().join(", "),
        bank_name: l.bank_name.clone(),
        bank_account: l.bank_account.clone(),
        bik: l.bik.clone(),
        currency: company.country.currency().code().into(),
    }
}

/// The deal part of the context: lines and totals written for `lang` in the company's currency.
fn deal_fields(company: &Company, lang: Lang, deal: &Deal, owner: String) -> DealFields {
    let currency = company.country.currency();
    let lines: Vec<LineFields> = deal
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LineFields {
            n: i + 1,
            name: l.name.clone(),
            qty: display::qty(lang, l.qty),
            price: display::amount(lang, l.price),
            sum: display::amount(lang, l.amount()),
        })
        .collect();
    let total = if deal.lines.is_empty() { deal.value } else { deal.lines.iter().map(DealLine::amount).sum::<Decimal>() };
    DealFields {
        title: deal.title.clone(),
        owner,
        expected_close: deal.expected_close.as_deref().map(|d| date_for(lang, d)).unwrap_or_default(),
        notes: deal.notes.clone(),
        count: lines.len(),
        lines,
        total: display::money(lang, total, currency),
        total_amount: display::amount(lang, total),
        total_words: words::amount(lang, total, currency),
    }
}

fn doc_fields(company: &Company, kind: DocKind, lang: Lang, number: &str, now: Ts) -> DocFields {
    DocFields {
        number: number.to_string(),
        date: date_for(lang, &now.date_local(&company.timezone)),
        kind: templating::kind_title(kind, lang).to_string(),
    }
}

/// Everything a template sees for a document made from `deal`.
fn context(tx: &impl Read, company: &Company, deal: &Deal, kind: DocKind, lang: Lang, number: &str, now: Ts) -> Result<Context> {
    let c = company.id;
    let client = match deal.client {
        Some(id) => tx.get(crate::clients::store::CLIENTS, (c.0, id.0))?,
        None => None,
    };
    let contact = match deal.contact {
        Some(id) => tx.get(CONTACTS, (c, id))?.map(|k| k.name),
        None => None,
    };
    let client = match client {
        Some(cl) => ClientFields {
            name: cl.name,
            phone: cl.phone.unwrap_or_default(),
            email: cl.email.unwrap_or_default(),
            inn: cl.legal.inn,
            okpo: cl.legal.okpo,
            address: cl.legal.address,
            bank: cl.legal.bank,
            bik: cl.legal.bik,
            account: cl.legal.account,
            contact: contact.unwrap_or_default(),
        },
        None => ClientFields::default(),
    };
    let owner = crate::tenancy::query::user(tx, c, deal.owner).map(|u| u.name).unwrap_or_default();
    Ok(Context {
        company: company_fields(company),
        client,
        deal: deal_fields(company, lang, deal, owner),
        doc: doc_fields(company, kind, lang, number, now),
        order: OrderFields::default(),
    })
}

/// A made-up deal for previews without one: two lines, a client with details.
fn sample(company: &Company, kind: DocKind, lang: Lang, number: &str, now: Ts) -> Context {
    let line = |name: &str, qty: i64, price: i64| DealLine {
        product: ProductId(0),
        name: name.into(),
        qty: Decimal::from(qty),
        price: Decimal::from(price),
    };
    let (client, lines, title, owner) = match lang {
        Lang::Ru => {
            ("ОсОО «Пример»", vec![line("Стул офисный", 4, 3_500), line("Стол письменный", 1, 12_900)], "Мебель в офис", "Менеджер")
        }
        Lang::En => ("Example LLC", vec![line("Office chair", 4, 3_500), line("Desk", 1, 12_900)], "Office furniture", "Manager"),
    };
    let deal = Deal {
        id: CrmDealId(0),
        pipeline: crate::ids::PipelineId(0),
        stage: crate::ids::StageId(0),
        title: title.into(),
        value: lines.iter().map(DealLine::amount).sum(),
        client: None,
        contact: None,
        owner: crate::ids::UserId(0),
        expected_close: None,
        lines,
        lost_reason: String::new(),
        notes: String::new(),
        created: now,
        created_by: crate::ids::UserId(0),
        updated: now,
        closed: None,
    };
    Context {
        company: company_fields(company),
        client: ClientFields { name: client.into(), inn: "01234567890123".into(), address: "Бишкек".into(), ..Default::default() },
        deal: deal_fields(company, lang, &deal, owner.into()),
        doc: doc_fields(company, kind, lang, number, now),
        order: OrderFields::default(),
    }
}

/// The markup drawn as an A4 PDF under the company's header; (title, bytes).
fn draw(company: &Company, markup: &str, kind: DocKind, lang: Lang, number: &str) -> Result<(String, Vec<u8>)> {
    let parsed = crate::documents::markup::parse(markup);
    let title = parsed.title.unwrap_or_else(|| format!("{} № {number}", templating::kind_title(kind, lang)));
    let doc = crate::documents::Document {
        header: crate::clients::statement::company_header(company),
        title: title.clone(),
        subtitle: parsed.subtitle,
        blocks: parsed.blocks,
        page_label: match lang {
            Lang::Ru => crate::documents::PAGE_RU,
            Lang::En => crate::documents::PAGE_EN,
        }
        .into(),
        metadata_title: title.clone(),
    };
    let bytes = crate::documents::render(&doc).map_err(|e| Error::Internal(e.to_string()))?;
    if bytes.len() > PDF_MAX {
        return Err(Error::refused(
            "document_too_large",
            format!("Документ больше {} МиБ", PDF_MAX / 1024 / 1024),
            format!("The document is larger than {} MiB", PDF_MAX / 1024 / 1024),
        ));
    }
    Ok((title, bytes))
}

fn year(company: &Company, now: Ts) -> String {
    now.date_local(&company.timezone).chars().take(4).collect()
}

/// A body (typed, not yet saved) drawn against a sample, or against one of the company's
/// deals the actor may see; nothing is numbered or stored. The number reads "КП-2026-ОБРАЗЕЦ".
pub fn preview(tx: &impl Read, actor: &Actor, now: Ts, d: &TemplateDraft, deal: Option<CrmDealId>) -> Result<Vec<u8>> {
    require_settings(actor)?;
    let mut p = Problems::default();
    let kind = p.take(parse_kind(&d.kind));
    let lang = p.take(parse_lang(&d.lang));
    p.take(templating::check(&d.body));
    p.finish()?;
    let (Some(kind), Some(lang)) = (kind, lang) else {
        return Err(Error::Internal("preview parsed with problems".into()));
    };
    let company = crate::tenancy::query::company(tx, actor.company)?;
    let number = format!("{}-{}-{}", kind.prefix(), year(&company, now), lang.pick("ОБРАЗЕЦ", "SAMPLE"));
    let ctx = match deal {
        Some(id) => context(tx, &company, &deals::deal(tx, actor, id)?, kind, lang, &number, now)?,
        None => sample(&company, kind, lang, &number, now),
    };
    let markup = templating::render(&d.body, &ctx).map_err(|e| Error::Validation(vec![e]))?;
    Ok(draw(&company, &markup, kind, lang, &number)?.1)
}

/// What a document is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Deal(CrmDealId),
    Order(OrderId),
}

/// Makes a document of a deal (`generate`) or an order (`generate_for_order`).
pub fn make(tx: &mut WriteTx, actor: &Actor, now: Ts, source: Source, choice: &str) -> Result<CrmDoc> {
    match source {
        Source::Deal(id) => generate(tx, actor, now, id, choice),
        Source::Order(id) => generate_for_order(tx, actor, now, id, choice),
    }
}

/// Makes a document of `deal` from the chosen template (a stored id or a built-in key): the
/// number, the PDF, the record, its indexes, the client's timeline row and the audit row in
/// one transaction. A template that fails to render refuses the whole operation, so the
/// number is not used up.
pub fn generate(tx: &mut WriteTx, actor: &Actor, now: Ts, deal: CrmDealId, choice: &str) -> Result<CrmDoc> {
    let d = deals::deal(tx, actor, deal)?;
    actor.require_writable()?;
    let t = chosen(tx, actor, choice)?;
    issue(tx, actor, now, t, &d, None)
}

/// Makes a document of an order as `generate` does of a deal: the order's lines are the
/// document's lines (`deal.lines`), its client the buyer, its number `order.number`. Follows
/// the order's right (`crm_orders`); listed on the order page and the client card.
pub fn generate_for_order(tx: &mut WriteTx, actor: &Actor, now: Ts, order: OrderId, choice: &str) -> Result<CrmDoc> {
    let o = orders::order(tx, actor, order)?;
    actor.require_writable()?;
    let t = chosen(tx, actor, choice)?;
    let lang = t.lang;
    let d = Deal {
        id: CrmDealId(0),
        pipeline: crate::ids::PipelineId(0),
        stage: crate::ids::StageId(0),
        title: format!("{} {}", lang.pick("Заказ", "Order"), o.number),
        value: o.total,
        client: o.client,
        contact: None,
        owner: o.created_by,
        expected_close: None,
        lines: o.lines.clone(),
        lost_reason: String::new(),
        notes: o.notes.clone(),
        created: o.created,
        created_by: o.created_by,
        updated: o.updated,
        closed: None,
    };
    issue(tx, actor, now, t, &d, Some(&o))
}

/// The document of `d` (a deal, or an order read as one) drawn from `t` and stored.
fn issue(tx: &mut WriteTx, actor: &Actor, now: Ts, t: Chosen, d: &Deal, order: Option<&Order>) -> Result<CrmDoc> {
    let c = actor.company;
    let company = crate::tenancy::query::company(tx, c)?;
    let year = year(&company, now);
    let seq = tx.next_counter(c.0, &format!("crm_doc_{}_{year}", t.kind.code()))?;
    let number = format!("{}-{year}-{seq:04}", t.kind.prefix());
    let mut ctx = context(tx, &company, d, t.kind, t.lang, &number, now)?;
    if let Some(o) = order {
        ctx.order = OrderFields { number: o.number.clone(), date: date_for(t.lang, &o.created.date_local(&company.timezone)) };
    }
    let markup = templating::render(&t.body, &ctx).map_err(|e| Error::Validation(vec![e]))?;
    let (title, bytes) = draw(&company, &markup, t.kind, t.lang, &number)?;
    let doc = CrmDoc {
        id: CrmDocId(tx.next_id()?),
        kind: t.kind,
        number,
        template: t.name,
        client: d.client,
        deal: if order.is_some() { None } else { Some(d.id) },
        title,
        size: bytes.len() as u64,
        created: now,
        created_by: actor.user,
    };
    store::put_doc(tx, c, None, &doc, Some(&DocFile { bytes }), order.map(|o| o.id))?;
    if let Some(client) = d.client {
        let text = format!("{} · {}", doc.number, templating::kind_title(doc.kind, Lang::Ru));
        let deal = order.map_or(Some(d.id), |o| o.deal);
        store::add_event(
            tx,
            c,
            client,
            now,
            &Event { kind: EventKind::Document, user: actor.user, deal, task: None, contact: None, text },
        )?;
    }
    let target = order.map_or(String::new(), |o| format!(" ({})", o.number));
    audit::record(tx, c, actor, now, "crm.document.create", format!("crm_doc:{}", doc.id), format!("{}{target}", doc.number))?;
    Ok(doc)
}

fn load(tx: &impl Read, actor: &Actor, ids: Vec<CrmDocId>) -> Result<Vec<CrmDoc>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(d) = tx.get(DOCS, (actor.company, id))? {
            out.push(d);
        }
    }
    Ok(out)
}

/// A deal's documents, newest first.
pub fn of_deal(tx: &impl Read, actor: &Actor, deal: CrmDealId) -> Result<Vec<CrmDoc>> {
    deals::deal(tx, actor, deal)?;
    let c = actor.company;
    let mut ids = Vec::new();
    tx.range(DEAL_DOCS, (c, deal, CrmDocId::MIN), (c, deal, CrmDocId::MAX), true, SHOWN, |(_, _, id), _| {
        ids.push(id);
        Ok(true)
    })?;
    load(tx, actor, ids)
}

/// An order's documents, newest first.
pub fn of_order(tx: &impl Read, actor: &Actor, order: OrderId) -> Result<Vec<CrmDoc>> {
    orders::order(tx, actor, order)?;
    let c = actor.company;
    let mut ids = Vec::new();
    tx.range(ORDER_DOCS, (c, order, CrmDocId::MIN), (c, order, CrmDocId::MAX), true, SHOWN, |(_, _, id), _| {
        ids.push(id);
        Ok(true)
    })?;
    load(tx, actor, ids)
}

/// The order a document was made from, if it was.
pub fn order_of(tx: &impl Read, actor: &Actor, d: &CrmDoc) -> Result<Option<OrderId>> {
    Ok(tx.get(DOC_ORDERS, (actor.company, d.id))?.map(OrderId))
}

/// A document the actor may read: the one of a deal follows the deal, the one of an order
/// needs the orders' right; another company's is not found.
pub fn document(tx: &impl Read, actor: &Actor, id: CrmDocId) -> Result<CrmDoc> {
    require_crm(actor)?;
    let d = tx.get(DOCS, (actor.company, id))?.ok_or(Error::NotFound)?;
    if let Some(deal) = d.deal {
        deals::deal(tx, actor, deal)?;
    } else if order_of(tx, actor, &d)?.is_some() {
        orders::require_orders(actor)?;
    }
    Ok(d)
}

/// Whether the actor may see a document (see `document`).
fn visible(tx: &impl Read, actor: &Actor, d: &CrmDoc) -> Result<bool> {
    match document(tx, actor, d.id) {
        Ok(_) => Ok(true),
        Err(Error::Forbidden { .. } | Error::NotFound) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A client's documents the actor may see, newest first.
pub fn of_client(tx: &impl Read, actor: &Actor, client: ClientId) -> Result<Vec<CrmDoc>> {
    require_crm(actor)?;
    client_of(tx, actor, client)?;
    let c = actor.company;
    let mut ids = Vec::new();
    tx.range(CLIENT_DOCS, (c, client, CrmDocId::MIN), (c, client, CrmDocId::MAX), true, SHOWN, |(_, _, id), _| {
        ids.push(id);
        Ok(true)
    })?;
    let mut out = Vec::new();
    for d in load(tx, actor, ids)? {
        if visible(tx, actor, &d)? {
            out.push(d);
        }
    }
    Ok(out)
}

/// The PDF's file name in ASCII ("offer-2026-0001.pdf"): the number's Cyrillic prefix
/// replaced by the kind.
pub fn pdf_name(d: &CrmDoc) -> String {
    let tail = d.number.split_once('-').map_or(d.number.as_str(), |(_, t)| t);
    format!("{}-{tail}.pdf", d.kind.code())
}

/// A document and its PDF; another company's is not found, a deal's the actor may not see
/// is forbidden.
pub fn file(tx: &impl Read, actor: &Actor, id: CrmDocId) -> Result<(CrmDoc, Vec<u8>)> {
    let d = document(tx, actor, id)?;
    let bytes = tx.get(DOC_FILES, (actor.company, id))?.ok_or(Error::NotFound)?.bytes;
    Ok((d, bytes))
}
