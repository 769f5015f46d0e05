//! Pipelines and deals: the default pipeline created on first use, pipeline settings, deal
//! create/edit, stage moves (won and lost are terminal; lost needs a reason), the board read
//! from its index, the filtered list and the forecast (Σ value × probability) by stage and
//! by owner.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::model::{Deal, DealLine, Event, EventKind, Pipeline, Stage, StageKind};
use super::store::{self, BOARD, CLIENT_DEALS, DEALS, OWNER_BOARD, PIPELINES};
use super::{client_of, require_crm};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{ClientId, CompanyId, ContactId, CrmDealId, PipelineId, ProductId, StageId, UserId};
use crate::money::{parse_money, parse_qty, round_money};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::{parse_name, parse_optional_text};
use crate::tenancy::perms::Perm;

/// The live topic open boards follow (`live::Hub`): every deal created, edited or moved is
/// published there after its transaction commits.
pub const BOARD_TOPIC: &str = "crm.board";

/// The event a change of `d` publishes on [`BOARD_TOPIC`]: only ids, so a board that hears it
/// re-reads what its viewer may see instead of trusting the payload.
pub fn board_event(d: &Deal) -> crate::live::Event {
    crate::live::Event::new("deal", format!("{{\"deal\":{},\"pipeline\":{},\"stage\":{}}}", d.id, d.pipeline, d.stage))
}

/// Reading or working deals: own deals, or everyone's.
pub fn require_deals(actor: &Actor) -> Result<()> {
    require_crm(actor)?;
    if actor.can(Perm::CRM_DEALS) || actor.can(Perm::CRM_ALL_DEALS) { Ok(()) } else { Err(Error::Forbidden { permission: "crm_deals" }) }
}

/// Whether the actor sees every deal, not only their own.
pub fn sees_all(actor: &Actor) -> bool {
    actor.can(Perm::CRM_ALL_DEALS)
}

fn require_own(actor: &Actor, d: &Deal) -> Result<()> {
    if sees_all(actor) || d.owner == actor.user { Ok(()) } else { Err(Error::Forbidden { permission: "crm_all_deals" }) }
}

/// The stages a new company's pipeline starts with (spec A12: lead, prospect, deal, closed,
/// lost). Ids are 0 until the pipeline is stored on first use.
fn default_stages() -> Vec<(&'static str, u8, StageKind)> {
    vec![
        ("Лид", 10, StageKind::Open),
        ("Квалификация", 30, StageKind::Open),
        ("Переговоры", 60, StageKind::Open),
        ("Выиграна", 100, StageKind::Won),
        ("Проиграна", 0, StageKind::Lost),
    ]
}

const DEFAULT_LOST_REASONS: [&str; 3] = ["Дорого", "Выбрали другого", "Нет ответа"];

/// The default pipeline as it would be stored, with ids 0: what the board shows before the
/// company's first deal.
pub fn template() -> Pipeline {
    Pipeline {
        id: PipelineId(0),
        name: "Продажи".into(),
        stages: default_stages()
            .into_iter()
            .map(|(name, probability, kind)| Stage { id: StageId(0), name: name.into(), probability, kind })
            .collect(),
        lost_reasons: DEFAULT_LOST_REASONS.iter().map(|s| s.to_string()).collect(),
        created: Ts(0),
    }
}

/// The company's pipelines in creation order; the default template (unsaved, id 0) when it
/// has none yet.
pub fn pipelines(tx: &impl Read, actor: &Actor) -> Result<Vec<Pipeline>> {
    require_crm(actor)?;
    let c = actor.company;
    let found: Vec<Pipeline> = tx.list(PIPELINES, (c, PipelineId::MIN), (c, PipelineId::MAX), 100)?.into_iter().map(|(_, p)| p).collect();
    Ok(if found.is_empty() { vec![template()] } else { found })
}

pub fn pipeline(tx: &impl Read, actor: &Actor, id: PipelineId) -> Result<Pipeline> {
    require_crm(actor)?;
    if id.0 == 0 {
        return pipelines(tx, actor)?.into_iter().next().ok_or(Error::NotFound);
    }
    tx.get(PIPELINES, (actor.company, id))?.ok_or(Error::NotFound)
}

/// The company's first pipeline, created from the template on first use.
fn ensure_default(tx: &mut WriteTx, c: CompanyId, now: Ts) -> Result<Pipeline> {
    if let Some((_, p)) = tx.list(PIPELINES, (c, PipelineId::MIN), (c, PipelineId::MAX), 1)?.into_iter().next() {
        return Ok(p);
    }
    let mut p = template();
    p.id = PipelineId(tx.next_id()?);
    p.created = now;
    for s in &mut p.stages {
        s.id = StageId(tx.next_id()?);
    }
    tx.insert(PIPELINES, (c, p.id), &p)?;
    Ok(p)
}

#[derive(Debug, Clone, Default)]
pub struct StageDraft {
    /// An existing stage's id; None adds a stage.
    pub id: Option<u64>,
    pub name: String,
    pub probability: String,
    pub kind: String,
}

#[derive(Debug, Clone, Default)]
pub struct PipelineDraft {
    pub name: String,
    pub stages: Vec<StageDraft>,
    pub lost_reasons: Vec<String>,
}

/// Creates (`id` = None) or replaces a pipeline's name, stages (in board order) and lost
/// reasons. A stage that still holds deals cannot be removed; a pipeline needs at least one
/// open, one won and one lost stage.
pub fn save_pipeline(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<PipelineId>, d: &PipelineDraft) -> Result<Pipeline> {
    require_crm(actor)?;
    actor.require(Perm::CRM_SETTINGS)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) if id.0 == 0 => Some(ensure_default(tx, c, now)?),
        Some(id) => Some(tx.get(PIPELINES, (c, id))?.ok_or(Error::NotFound)?),
        None => None,
    };
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 100));
    let mut stages = Vec::new();
    for (i, s) in d.stages.iter().enumerate() {
        let field = format!("stages[{i}]");
        let sname = p.take(parse_name(&field, &s.name, 60));
        let kind = StageKind::parse(&s.kind);
        if kind.is_none() {
            p.push(FieldError::new(&field, "stage_kind", "Тип этапа: open, won или lost", "Stage kind: open, won or lost"));
        }
        let probability = match (kind, s.probability.trim()) {
            (Some(StageKind::Won), "") => Some(100),
            (Some(StageKind::Lost), "") => Some(0),
            (_, raw) => match raw.parse::<u8>() {
                Ok(v) if v <= 100 => Some(v),
                _ => {
                    p.push(FieldError::new(&field, "probability", "Вероятность: целое от 0 до 100", "Probability: a whole number 0–100"));
                    None
                }
            },
        };
        let sid = match s.id {
            Some(sid) => {
                if old.as_ref().is_none_or(|o| o.stage(StageId(sid)).is_none()) {
                    p.push(FieldError::new(&field, "unknown_stage", "Нет такого этапа", "No such stage"));
                }
                Some(StageId(sid))
            }
            None => None,
        };
        if let (Some(n), Some(k), Some(pr)) = (sname, kind, probability) {
            stages.push((sid, n, pr, k));
        }
    }
    for k in StageKind::ALL {
        if !stages.iter().any(|s| s.3 == k) {
            p.push(FieldError::new(
                "stages",
                "stages_incomplete",
                "Нужны хотя бы один открытый, один выигрышный и один проигрышный этап",
                "A pipeline needs at least one open, one won and one lost stage",
            ));
            break;
        }
    }
    if d.stages.len() > 30 {
        p.push(FieldError::new("stages", "too_many_stages", "Не больше 30 этапов", "At most 30 stages"));
    }
    let mut lost_reasons = Vec::new();
    for r in &d.lost_reasons {
        if let Some(r) = p.take(parse_optional_text("lost_reasons", r, 100))
            && !r.is_empty()
            && !lost_reasons.contains(&r)
        {
            lost_reasons.push(r);
        }
    }
    p.finish()?;
    let name = name.ok_or_else(|| Error::Internal("pipeline draft parsed with problems".into()))?;
    let pid = match &old {
        Some(o) => o.id,
        None => PipelineId(tx.next_id()?),
    };
    let mut new_stages = Vec::new();
    for (sid, name, probability, kind) in stages {
        let id = match sid {
            Some(id) => id,
            None => StageId(tx.next_id()?),
        };
        new_stages.push(Stage { id, name, probability, kind });
    }
    if let Some(o) = &old {
        let kept: BTreeSet<StageId> = new_stages.iter().map(|s| s.id).collect();
        for s in o.stages.iter().filter(|s| !kept.contains(&s.id)) {
            if store::stage_total(tx, c, o.id, s.id, None)?.count > 0 {
                return Err(Error::refused(
                    "stage_has_deals",
                    format!("На этапе «{}» есть сделки: перенесите их перед удалением", s.name),
                    format!("Stage “{}” holds deals: move them before removing it", s.name),
                ));
            }
        }
    }
    let new = Pipeline { id: pid, name, stages: new_stages, lost_reasons, created: old.as_ref().map_or(now, |o| o.created) };
    tx.insert(PIPELINES, (c, pid), &new)?;
    audit::record(
        tx,
        c,
        actor,
        now,
        if old.is_some() { "crm.pipeline.update" } else { "crm.pipeline.create" },
        format!("pipeline:{pid}"),
        new.name.clone(),
    )?;
    Ok(new)
}

#[derive(Debug, Clone, Default)]
pub struct LineDraft {
    pub product: u64,
    pub qty: String,
    /// Empty: the product's price.
    pub price: String,
}

#[derive(Debug, Clone, Default)]
pub struct DealDraft {
    /// None: the company's first pipeline (created on first use).
    pub pipeline: Option<u64>,
    /// None: the pipeline's first open stage (on create) or the deal's stage (on edit).
    pub stage: Option<u64>,
    pub title: String,
    /// Ignored when there are lines (the value is their sum).
    pub value: String,
    pub client: Option<u64>,
    pub contact: Option<u64>,
    /// None: the actor (on create) or unchanged.
    pub owner: Option<u64>,
    pub expected_close: String,
    /// None keeps the deal's lines (on edit; none on create): a form that does not show the
    /// lines must not erase them. Some replaces them, Some(empty) clears them.
    pub lines: Option<Vec<LineDraft>>,
    pub notes: String,
}

impl DealDraft {
    /// The draft that saves `d` unchanged: the start of an edit of one part of it.
    pub fn of(d: &Deal) -> DealDraft {
        DealDraft {
            pipeline: Some(d.pipeline.0),
            stage: None,
            title: d.title.clone(),
            value: d.value.to_string(),
            client: d.client.map(|c| c.0),
            contact: d.contact.map(|k| k.0),
            owner: Some(d.owner.0),
            expected_close: d.expected_close.clone().unwrap_or_default(),
            lines: None,
            notes: d.notes.clone(),
        }
    }
}

fn stage_text(p: &Pipeline, s: StageId) -> String {
    p.stage(s).map(|s| s.name.clone()).unwrap_or_default()
}

fn event(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &Deal, kind: EventKind, text: String) -> Result<()> {
    if let Some(client) = d.client {
        store::add_event(
            tx,
            actor.company,
            client,
            now,
            &Event { kind, user: actor.user, deal: Some(d.id), task: None, contact: None, text },
        )?;
    }
    Ok(())
}

/// Creates (`id` = None) or edits a deal's fields. A stage given on create places the deal
/// there (open stages only); on edit stage changes go through `move_deal`.
pub fn save_deal(tx: &mut WriteTx, actor: &Actor, now: Ts, id: Option<CrmDealId>, d: &DealDraft) -> Result<Deal> {
    require_deals(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = match id {
        Some(id) => {
            let o = tx.get(DEALS, (c, id))?.ok_or(Error::NotFound)?;
            require_own(actor, &o)?;
            Some(o)
        }
        None => None,
    };
    let pipeline = match (&old, d.pipeline) {
        (Some(o), _) => tx.get(PIPELINES, (c, o.pipeline))?.ok_or(Error::NotFound)?,
        (None, None | Some(0)) => ensure_default(tx, c, now)?,
        (None, Some(pid)) => match tx.get(PIPELINES, (c, PipelineId(pid)))? {
            Some(p) => p,
            None => return Err(Error::field("pipeline", "unknown_pipeline", "Нет такой воронки", "No such pipeline")),
        },
    };
    let mut p = Problems::default();
    let title = p.take(parse_name("title", &d.title, 200));
    let notes = p.take(parse_optional_text("notes", &d.notes, 2000)).unwrap_or_default();
    let stage = match (&old, d.stage) {
        (Some(o), _) => Some(o.stage),
        (None, None | Some(0)) => match pipeline.first_open() {
            Some(s) => Some(s.id),
            None => {
                p.push(FieldError::new("stage", "unknown_stage", "В воронке нет открытого этапа", "The pipeline has no open stage"));
                None
            }
        },
        (None, Some(sid)) => match pipeline.stage(StageId(sid)) {
            Some(s) if s.kind == StageKind::Open => Some(s.id),
            Some(_) => {
                p.push(FieldError::new(
                    "stage",
                    "stage_terminal",
                    "Новая сделка начинается на открытом этапе",
                    "A new deal starts on an open stage",
                ));
                None
            }
            None => {
                p.push(FieldError::new("stage", "unknown_stage", "Нет такого этапа", "No such stage"));
                None
            }
        },
    };
    let client = match d.client {
        Some(cl) => match client_of(tx, actor, ClientId(cl)) {
            Ok(x) => Some(x.id),
            Err(Error::NotFound) => {
                p.push(FieldError::new("client", "unknown_client", "Нет такого клиента", "No such client"));
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let contact = match d.contact {
        Some(k) => match tx.get(store::CONTACTS, (c, ContactId(k)))? {
            Some(x) if Some(x.client) == client => Some(x.id),
            _ => {
                p.push(FieldError::new("contact", "unknown_contact", "Нет такого контакта у клиента", "No such contact at the client"));
                None
            }
        },
        None => None,
    };
    let owner = match d.owner.map(UserId) {
        None => old.as_ref().map_or(actor.user, |o| o.owner),
        Some(u) if u == actor.user || old.as_ref().is_some_and(|o| o.owner == u) => u,
        Some(u) => {
            if !sees_all(actor) {
                return Err(Error::Forbidden { permission: "crm_all_deals" });
            }
            match crate::tenancy::query::user(tx, c, u) {
                Ok(user) if user.active => u,
                Ok(_) | Err(Error::NotFound) => {
                    p.push(FieldError::new("owner", "unknown_user", "Нет такого сотрудника", "No such employee"));
                    actor.user
                }
                Err(e) => return Err(e),
            }
        }
    };
    let expected_close = match d.expected_close.trim() {
        "" => None,
        raw => match raw.parse::<jiff::civil::Date>() {
            Ok(date) => Some(date.to_string()),
            Err(_) => {
                p.push(FieldError::new("expected_close", "date", "Дата в виде ГГГГ-ММ-ДД", "A date as YYYY-MM-DD"));
                None
            }
        },
    };
    let lines = match &d.lines {
        Some(drafts) => parse_lines(tx, c, drafts, &mut p)?,
        None => old.as_ref().map(|o| o.lines.clone()).unwrap_or_default(),
    };
    let priced_by_lines = match &d.lines {
        Some(drafts) => !drafts.is_empty(),
        None => !lines.is_empty(),
    };
    let value = if priced_by_lines {
        Some(lines.iter().map(DealLine::amount).sum())
    } else {
        match d.value.trim() {
            "" => Some(Decimal::ZERO),
            raw => p.take(parse_money("value", raw, false)),
        }
    };
    if value.is_some_and(|v| v < Decimal::ZERO) {
        p.push(FieldError::new("value", "value_negative", "Сумма не меньше нуля", "Value not below zero"));
    }
    p.finish()?;
    let (Some(title), Some(stage), Some(value)) = (title, stage, value) else {
        return Err(Error::Internal("deal draft parsed with problems".into()));
    };
    let new = Deal {
        id: match id {
            Some(id) => id,
            None => CrmDealId(tx.next_id()?),
        },
        pipeline: pipeline.id,
        stage,
        title,
        value: round_money(value),
        client,
        contact,
        owner,
        expected_close,
        lines,
        lost_reason: old.as_ref().map(|o| o.lost_reason.clone()).unwrap_or_default(),
        notes,
        created: old.as_ref().map_or(now, |o| o.created),
        created_by: old.as_ref().map_or(actor.user, |o| o.created_by),
        updated: now,
        closed: old.as_ref().and_then(|o| o.closed),
    };
    store::put_deal(tx, c, old.as_ref(), &new)?;
    let (kind, action) =
        if old.is_some() { (EventKind::DealEdited, "crm.deal.update") } else { (EventKind::DealCreated, "crm.deal.create") };
    event(tx, actor, now, &new, kind, format!("{} · {}", new.title, stage_text(&pipeline, new.stage)))?;
    audit::record(tx, c, actor, now, action, format!("crm_deal:{}", new.id), new.title.clone())?;
    Ok(new)
}

/// Parses product lines against the catalogue; a line without a price takes the product's.
fn parse_lines(tx: &impl Read, c: CompanyId, drafts: &[LineDraft], p: &mut Problems) -> Result<Vec<DealLine>> {
    let mut lines = Vec::new();
    for (i, l) in drafts.iter().enumerate() {
        let field = format!("lines[{i}]");
        let product = match crate::catalog::query::find_product(tx, c, ProductId(l.product))? {
            Some(pr) => Some(pr),
            None => {
                p.push(FieldError::new(&field, "unknown_product", "Нет такого товара", "No such product"));
                None
            }
        };
        let qty = if l.qty.trim().is_empty() { Some(Decimal::ONE) } else { p.take(parse_qty(&field, &l.qty)) };
        if qty.is_some_and(|q| q <= Decimal::ZERO) {
            p.push(FieldError::new(&field, "qty_positive", "Количество больше нуля", "Quantity above zero"));
        }
        let price = match (l.price.trim(), &product) {
            ("", Some(pr)) => Some(pr.price),
            ("", None) => None,
            (raw, _) => p.take(parse_money(&field, raw, false)),
        };
        if price.is_some_and(|x| x < Decimal::ZERO) {
            p.push(FieldError::new(&field, "price_negative", "Цена не меньше нуля", "Price not below zero"));
        }
        if let (Some(pr), Some(qty), Some(price)) = (product, qty, price) {
            lines.push(DealLine { product: pr.id, name: pr.name, qty, price });
        }
    }
    if drafts.len() > 200 {
        p.push(FieldError::new("lines", "too_many_lines", "Не больше 200 строк", "At most 200 lines"));
    }
    Ok(lines)
}

/// Replaces a deal's product lines and keeps every other field: the deal page edits lines
/// where it shows them, apart from the deal's other fields.
pub fn save_lines(tx: &mut WriteTx, actor: &Actor, now: Ts, id: CrmDealId, lines: Vec<LineDraft>) -> Result<Deal> {
    let old = deal(tx, actor, id)?;
    let mut d = DealDraft { lines: Some(lines), ..DealDraft::of(&old) };
    // A contact removed since keeps its id on the deal but is no longer a valid choice.
    if let Some(k) = old.contact
        && tx.get(store::CONTACTS, (actor.company, k))?.is_none()
    {
        d.contact = None;
    }
    save_deal(tx, actor, now, Some(id), &d)
}

/// Moves a deal to another stage of its pipeline. A won or lost deal stays where it is; a
/// lost stage needs one of the pipeline's lost reasons (or any text when it has none).
pub fn move_deal(tx: &mut WriteTx, actor: &Actor, now: Ts, id: CrmDealId, stage: StageId, lost_reason: &str) -> Result<Deal> {
    require_deals(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let old = tx.get(DEALS, (c, id))?.ok_or(Error::NotFound)?;
    require_own(actor, &old)?;
    let pipeline = tx.get(PIPELINES, (c, old.pipeline))?.ok_or(Error::NotFound)?;
    let Some(to) = pipeline.stage(stage).cloned() else {
        return Err(Error::field("stage", "unknown_stage", "Нет такого этапа в воронке сделки", "No such stage on the deal's pipeline"));
    };
    if old.closed.is_some() {
        return Err(Error::refused("deal_closed", "Сделка закрыта (выиграна или проиграна)", "The deal is closed (won or lost)"));
    }
    if to.id == old.stage {
        return Ok(old);
    }
    let reason = lost_reason.trim().to_string();
    if to.kind == StageKind::Lost {
        if reason.is_empty() {
            return Err(Error::field(
                "lost_reason",
                "lost_reason_required",
                "Укажите причину проигрыша",
                "Give the reason the deal was lost",
            ));
        }
        if !pipeline.lost_reasons.is_empty() && !pipeline.lost_reasons.contains(&reason) {
            return Err(Error::field("lost_reason", "unknown_lost_reason", "Нет такой причины проигрыша", "No such lost reason"));
        }
    }
    let new = Deal {
        stage: to.id,
        updated: now,
        closed: if to.kind == StageKind::Open { None } else { Some(now) },
        lost_reason: if to.kind == StageKind::Lost { reason } else { String::new() },
        ..old.clone()
    };
    store::put_deal(tx, c, Some(&old), &new)?;
    let (kind, action) = match to.kind {
        StageKind::Open => (EventKind::DealMoved, "crm.deal.move"),
        StageKind::Won => (EventKind::DealWon, "crm.deal.won"),
        StageKind::Lost => (EventKind::DealLost, "crm.deal.lost"),
    };
    let text = format!("{} · {} → {}", new.title, stage_text(&pipeline, old.stage), to.name);
    let text = if new.lost_reason.is_empty() { text } else { format!("{text} ({})", new.lost_reason) };
    event(tx, actor, now, &new, kind, text.clone())?;
    audit::record(tx, c, actor, now, action, format!("crm_deal:{id}"), text)?;
    Ok(new)
}

pub fn deal(tx: &impl Read, actor: &Actor, id: CrmDealId) -> Result<Deal> {
    require_deals(actor)?;
    let d = tx.get(DEALS, (actor.company, id))?.ok_or(Error::NotFound)?;
    require_own(actor, &d)?;
    Ok(d)
}

/// One column of the board: the stage, its totals (the actor's own when they see only their
/// deals) and its first cards, newest change first.
pub struct Column {
    pub stage: Stage,
    pub count: u64,
    pub value: Decimal,
    pub deals: Vec<Deal>,
}

/// The board's first screen: `per_stage` cards of each stage, from the board index.
pub fn board(tx: &impl Read, actor: &Actor, pipeline: &Pipeline, per_stage: usize) -> Result<Vec<Column>> {
    require_deals(actor)?;
    let c = actor.company;
    let mine = (!sees_all(actor)).then_some(actor.user);
    let mut out = Vec::with_capacity(pipeline.stages.len());
    for s in &pipeline.stages {
        let total = if pipeline.id.0 == 0 { Default::default() } else { store::stage_total(tx, c, pipeline.id, s.id, mine)? };
        let mut ids = Vec::new();
        if pipeline.id.0 != 0 {
            match mine {
                Some(u) => tx.range(
                    OWNER_BOARD,
                    (c, u, pipeline.id, s.id, 0, CrmDealId::MIN),
                    (c, u, pipeline.id, s.id, u64::MAX, CrmDealId::MAX),
                    true,
                    per_stage,
                    |k, _| {
                        ids.push(k.5);
                        Ok(true)
                    },
                )?,
                None => tx.range(
                    BOARD,
                    (c, pipeline.id, s.id, 0, CrmDealId::MIN),
                    (c, pipeline.id, s.id, u64::MAX, CrmDealId::MAX),
                    true,
                    per_stage,
                    |k, _| {
                        ids.push(k.4);
                        Ok(true)
                    },
                )?,
            }
        }
        let mut deals = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(d) = tx.get(DEALS, (c, id))? {
                deals.push(d);
            }
        }
        out.push(Column { stage: s.clone(), count: total.count, value: total.value, deals });
    }
    Ok(out)
}

#[derive(Debug, Clone, Default)]
pub struct DealFilter {
    pub pipeline: Option<u64>,
    pub stage: Option<u64>,
    pub owner: Option<u64>,
    pub client: Option<u64>,
    /// "YYYY-MM-DD", inclusive.
    pub close_from: String,
    pub close_to: String,
    pub limit: usize,
}

/// Deals matching a filter, read from the narrowest index the filter names (the client's
/// deals, an owner's board, one stage of the board, or the pipeline's stages in order).
pub fn list(tx: &impl Read, actor: &Actor, f: &DealFilter) -> Result<Vec<Deal>> {
    require_deals(actor)?;
    let c = actor.company;
    let owner = match (sees_all(actor), f.owner) {
        (true, o) => o.map(UserId),
        (false, Some(o)) if UserId(o) != actor.user => return Err(Error::Forbidden { permission: "crm_all_deals" }),
        (false, _) => Some(actor.user),
    };
    let pipeline = pipeline(tx, actor, PipelineId(f.pipeline.unwrap_or(0)))?;
    if let Some(cl) = f.client {
        client_of(tx, actor, ClientId(cl))?;
    }
    let limit = f.limit.clamp(1, 500);
    let matches = |d: &Deal| {
        d.pipeline == pipeline.id
            && f.stage.is_none_or(|s| d.stage.0 == s)
            && owner.is_none_or(|o| d.owner == o)
            && f.client.is_none_or(|cl| d.client == Some(ClientId(cl)))
            && (f.close_from.is_empty() || d.expected_close.as_deref().is_some_and(|x| x >= f.close_from.as_str()))
            && (f.close_to.is_empty() || d.expected_close.as_deref().is_some_and(|x| x <= f.close_to.as_str()))
    };
    let mut out = Vec::new();
    let mut failure = None;
    let mut take = |id: CrmDealId, out: &mut Vec<Deal>| -> bool {
        match tx.get(DEALS, (c, id)) {
            Ok(Some(d)) if matches(&d) => out.push(d),
            Ok(_) => {}
            Err(e) => failure = Some(e),
        }
        out.len() < limit && failure.is_none()
    };
    if pipeline.id.0 == 0 {
        return Ok(out);
    }
    if let Some(cl) = f.client {
        tx.range(CLIENT_DEALS, (c, ClientId(cl), CrmDealId::MIN), (c, ClientId(cl), CrmDealId::MAX), true, usize::MAX, |k, _| {
            Ok(take(k.2, &mut out))
        })?;
    } else {
        let stages: Vec<StageId> = match f.stage {
            Some(s) => vec![StageId(s)],
            None => pipeline.stages.iter().map(|s| s.id).collect(),
        };
        for s in stages {
            let more = match owner {
                Some(u) => {
                    let mut more = true;
                    tx.range(
                        OWNER_BOARD,
                        (c, u, pipeline.id, s, 0, CrmDealId::MIN),
                        (c, u, pipeline.id, s, u64::MAX, CrmDealId::MAX),
                        true,
                        usize::MAX,
                        |k, _| {
                            more = take(k.5, &mut out);
                            Ok(more)
                        },
                    )?;
                    more
                }
                None => {
                    let mut more = true;
                    tx.range(
                        BOARD,
                        (c, pipeline.id, s, 0, CrmDealId::MIN),
                        (c, pipeline.id, s, u64::MAX, CrmDealId::MAX),
                        true,
                        usize::MAX,
                        |k, _| {
                            more = take(k.4, &mut out);
                            Ok(more)
                        },
                    )?;
                    more
                }
            };
            if !more {
                break;
            }
        }
    }
    if let Some(e) = failure {
        return Err(e.into());
    }
    Ok(out)
}

/// A forecast row: deals, Σ value and Σ value × probability.
#[derive(Debug, Clone, Default)]
pub struct ForecastRow {
    pub count: u64,
    pub value: Decimal,
    pub weighted: Decimal,
}

pub struct Forecast {
    /// Every stage in board order.
    pub by_stage: Vec<(Stage, ForecastRow)>,
    /// Open stages only, per owner.
    pub by_owner: BTreeMap<UserId, ForecastRow>,
    /// Open stages only.
    pub total: ForecastRow,
}

/// The forecast of a pipeline from the stage totals: Σ value × probability per stage, and per
/// owner over the open stages. A salesperson sees only their own.
pub fn forecast(tx: &impl Read, actor: &Actor, pipeline: &Pipeline) -> Result<Forecast> {
    require_deals(actor)?;
    let c = actor.company;
    let mine = (!sees_all(actor)).then_some(actor.user);
    let mut by_stage = Vec::new();
    let mut by_owner: BTreeMap<UserId, ForecastRow> = BTreeMap::new();
    let mut total = ForecastRow::default();
    for s in &pipeline.stages {
        let p = Decimal::from(s.probability) / Decimal::from(100);
        let mut row = ForecastRow::default();
        let rows = if pipeline.id.0 == 0 { Vec::new() } else { store::stage_owner_totals(tx, c, pipeline.id, s.id)? };
        for (u, t) in rows.into_iter().filter(|(u, _)| mine.is_none_or(|m| m == *u)) {
            row.count += t.count;
            row.value += t.value;
            if s.kind == StageKind::Open {
                let o = by_owner.entry(u).or_default();
                o.count += t.count;
                o.value += t.value;
                o.weighted += round_money(t.value * p);
            }
        }
        row.weighted = round_money(row.value * p);
        if s.kind == StageKind::Open {
            total.count += row.count;
            total.value += row.value;
            total.weighted += row.weighted;
        }
        by_stage.push((s.clone(), row));
    }
    Ok(Forecast { by_stage, by_owner, total })
}
