//! The CRM under `/api/v1/crm/`: pipelines and stages, deals (board, list with filters,
//! forecast, stage moves), tasks with their status and reminders, contacts of a client and
//! the client timeline.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Limits;
use crate::app::App;
use crate::crm::deals::{self, DealDraft, DealFilter, LineDraft, PipelineDraft, StageDraft};
use crate::crm::model::{Contact, Deal, Pipeline, Stage, Task, TaskStatus};
use crate::crm::tasks::{self, TaskDraft, TaskList};
use crate::crm::timeline::{self, ItemKind};
use crate::crm::{self, ContactDraft};
use crate::error::{Error, Result};
use crate::http::extract::{Auth, Json, Path, Query};
use crate::http::problem::Problem;
use crate::ids::{ClientId, ContactId, CrmDealId, PipelineId, StageId, TaskId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

// ---- contacts ----

#[derive(Serialize, ToSchema)]
pub struct CrmContactDto {
    pub id: u64,
    pub client: u64,
    pub name: String,
    pub position: String,
    /// E.164
    pub phones: Vec<String>,
    pub email: Option<String>,
    pub notes: String,
    pub created: String,
}

impl From<&Contact> for CrmContactDto {
    fn from(c: &Contact) -> Self {
        CrmContactDto {
            id: c.id.0,
            client: c.client.0,
            name: c.name.clone(),
            position: c.position.clone(),
            phones: c.phones.clone(),
            email: c.email.clone(),
            notes: c.notes.clone(),
            created: c.created.rfc3339(),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmContactInput {
    pub name: String,
    pub position: String,
    /// Phones in any national or international spelling; stored as E.164.
    pub phones: Vec<String>,
    pub email: String,
    pub notes: String,
}

impl From<CrmContactInput> for ContactDraft {
    fn from(i: CrmContactInput) -> Self {
        ContactDraft { name: i.name, position: i.position, phones: i.phones, email: i.email, notes: i.notes }
    }
}

#[utoipa::path(get, path = "/api/v1/crm/clients/{id}/contacts", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<CrmContactDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn contacts(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CrmContactDto>>> {
    let tx = app.db.read()?;
    Ok(Json(crm::contacts(&tx, &a.actor, ClientId(id))?.iter().map(CrmContactDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/crm/clients/{id}/contacts", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmContactInput, responses((status = 201, body = CrmContactDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn create_contact(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmContactInput>,
) -> Result<(StatusCode, Json<CrmContactDto>)> {
    let (now, d) = (app.now(), ContactDraft::from(i));
    let k = app.db.write(move |tx| crm::save_contact(tx, &a.actor, now, Some(ClientId(id)), None, &d)).await?;
    Ok((StatusCode::CREATED, Json(CrmContactDto::from(&k))))
}

#[utoipa::path(get, path = "/api/v1/crm/contacts/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmContactDto), (status = 404, body = Problem)))]
pub async fn get_contact(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmContactDto>> {
    let tx = app.db.read()?;
    Ok(Json(CrmContactDto::from(&crm::contact(&tx, &a.actor, ContactId(id))?)))
}

#[utoipa::path(put, path = "/api/v1/crm/contacts/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmContactInput, responses((status = 200, body = CrmContactDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_contact(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmContactInput>,
) -> Result<Json<CrmContactDto>> {
    let (now, d) = (app.now(), ContactDraft::from(i));
    let k = app.db.write(move |tx| crm::save_contact(tx, &a.actor, now, None, Some(ContactId(id)), &d)).await?;
    Ok(Json(CrmContactDto::from(&k)))
}

#[utoipa::path(delete, path = "/api/v1/crm/contacts/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_contact(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<StatusCode> {
    let now = app.now();
    app.db.write(move |tx| crm::delete_contact(tx, &a.actor, now, ContactId(id))).await?;
    Ok(StatusCode::NO_CONTENT)
}

// ---- pipelines ----

#[derive(Serialize, ToSchema)]
pub struct CrmStageDto {
    /// 0 on the default pipeline before it is stored (the company's first deal stores it).
    pub id: u64,
    pub name: String,
    /// Win probability, percent.
    pub probability: u8,
    /// open, won, lost
    pub kind: String,
}

impl From<&Stage> for CrmStageDto {
    fn from(s: &Stage) -> Self {
        CrmStageDto { id: s.id.0, name: s.name.clone(), probability: s.probability, kind: s.kind.code().into() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CrmPipelineDto {
    pub id: u64,
    pub name: String,
    pub stages: Vec<CrmStageDto>,
    pub lost_reasons: Vec<String>,
}

impl From<&Pipeline> for CrmPipelineDto {
    fn from(p: &Pipeline) -> Self {
        CrmPipelineDto {
            id: p.id.0,
            name: p.name.clone(),
            stages: p.stages.iter().map(CrmStageDto::from).collect(),
            lost_reasons: p.lost_reasons.clone(),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmStageInput {
    /// An existing stage (keeps its deals); omitted: a new stage.
    pub id: Option<u64>,
    pub name: String,
    /// 0–100; defaults to 100 for won and 0 for lost stages.
    pub probability: Option<u32>,
    /// open (default), won, lost
    pub kind: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmPipelineInput {
    pub name: String,
    /// In board order.
    pub stages: Vec<CrmStageInput>,
    pub lost_reasons: Vec<String>,
}

impl From<CrmPipelineInput> for PipelineDraft {
    fn from(i: CrmPipelineInput) -> Self {
        PipelineDraft {
            name: i.name,
            stages: i
                .stages
                .into_iter()
                .map(|s| StageDraft {
                    id: s.id,
                    name: s.name,
                    probability: s.probability.map(|p| p.to_string()).unwrap_or_default(),
                    kind: s.kind,
                })
                .collect(),
            lost_reasons: i.lost_reasons,
        }
    }
}

#[utoipa::path(get, path = "/api/v1/crm/pipelines", tag = "crm", security(("bearer" = [])),
    responses((status = 200, body = Vec<CrmPipelineDto>), (status = 403, body = Problem)))]
pub async fn pipelines(State(app): State<App>, a: Auth) -> Result<Json<Vec<CrmPipelineDto>>> {
    let tx = app.db.read()?;
    Ok(Json(deals::pipelines(&tx, &a.actor)?.iter().map(CrmPipelineDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/crm/pipelines", tag = "crm", security(("bearer" = [])), request_body = CrmPipelineInput,
    responses((status = 201, body = CrmPipelineDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_pipeline(
    State(app): State<App>,
    a: Auth,
    Json(i): Json<CrmPipelineInput>,
) -> Result<(StatusCode, Json<CrmPipelineDto>)> {
    let (now, d) = (app.now(), PipelineDraft::from(i));
    let p = app.db.write(move |tx| deals::save_pipeline(tx, &a.actor, now, None, &d)).await?;
    Ok((StatusCode::CREATED, Json(CrmPipelineDto::from(&p))))
}

#[utoipa::path(get, path = "/api/v1/crm/pipelines/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmPipelineDto), (status = 404, body = Problem)))]
pub async fn get_pipeline(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmPipelineDto>> {
    let tx = app.db.read()?;
    Ok(Json(CrmPipelineDto::from(&deals::pipeline(&tx, &a.actor, PipelineId(id))?)))
}

#[utoipa::path(put, path = "/api/v1/crm/pipelines/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmPipelineInput, responses((status = 200, body = CrmPipelineDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_pipeline(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmPipelineInput>,
) -> Result<Json<CrmPipelineDto>> {
    let (now, d) = (app.now(), PipelineDraft::from(i));
    let p = app.db.write(move |tx| deals::save_pipeline(tx, &a.actor, now, Some(PipelineId(id)), &d)).await?;
    Ok(Json(CrmPipelineDto::from(&p)))
}

// ---- deals ----

#[derive(Serialize, ToSchema)]
pub struct CrmLineDto {
    pub product: u64,
    pub name: String,
    pub qty: String,
    pub price: String,
    pub amount: String,
}

#[derive(Serialize, ToSchema)]
pub struct CrmDealDto {
    pub id: u64,
    pub pipeline: u64,
    pub stage: u64,
    /// open, won, lost
    pub status: String,
    pub title: String,
    pub value: String,
    pub client: Option<u64>,
    pub contact: Option<u64>,
    pub owner: u64,
    /// YYYY-MM-DD
    pub expected_close: Option<String>,
    pub lines: Vec<CrmLineDto>,
    pub lost_reason: String,
    pub notes: String,
    pub created: String,
    pub updated: String,
    pub closed: Option<String>,
}

impl From<&Deal> for CrmDealDto {
    fn from(d: &Deal) -> Self {
        CrmDealDto {
            id: d.id.0,
            pipeline: d.pipeline.0,
            stage: d.stage.0,
            status: d.status().into(),
            title: d.title.clone(),
            value: d.value.to_string(),
            client: d.client.map(|c| c.0),
            contact: d.contact.map(|c| c.0),
            owner: d.owner.0,
            expected_close: d.expected_close.clone(),
            lines: d
                .lines
                .iter()
                .map(|l| CrmLineDto {
                    product: l.product.0,
                    name: l.name.clone(),
                    qty: l.qty.normalize().to_string(),
                    price: l.price.to_string(),
                    amount: l.amount().to_string(),
                })
                .collect(),
            lost_reason: d.lost_reason.clone(),
            notes: d.notes.clone(),
            created: d.created.rfc3339(),
            updated: d.updated.rfc3339(),
            closed: d.closed.map(|t| t.rfc3339()),
        }
    }
}

#[derive(Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmLineInput {
    pub product: u64,
    /// Default 1.
    pub qty: String,
    /// Default: the product's price.
    pub price: String,
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmDealInput {
    /// Default: the company's first pipeline (created on first use).
    pub pipeline: Option<u64>,
    /// On create only; default: the first open stage. Moves go through `/move`.
    pub stage: Option<u64>,
    pub title: String,
    /// Ignored when `lines` are given (the value is their sum).
    pub value: String,
    pub client: Option<u64>,
    pub contact: Option<u64>,
    /// Default: the caller; someone else needs `crm_all_deals`.
    pub owner: Option<u64>,
    /// YYYY-MM-DD
    pub expected_close: String,
    /// Absent: an edit keeps the deal's lines; `[]` clears them.
    pub lines: Option<Vec<CrmLineInput>>,
    pub notes: String,
}

impl From<CrmDealInput> for DealDraft {
    fn from(i: CrmDealInput) -> Self {
        DealDraft {
            pipeline: i.pipeline,
            stage: i.stage,
            title: i.title,
            value: i.value,
            client: i.client,
            contact: i.contact,
            owner: i.owner,
            expected_close: i.expected_close,
            lines: i.lines.map(|ls| ls.into_iter().map(|l| LineDraft { product: l.product, qty: l.qty, price: l.price }).collect()),
            notes: i.notes,
        }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmDealQuery {
    pub pipeline: Option<u64>,
    pub stage: Option<u64>,
    pub owner: Option<u64>,
    pub client: Option<u64>,
    /// Expected close from (YYYY-MM-DD, inclusive).
    pub close_from: Option<String>,
    pub close_to: Option<String>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/crm/deals", tag = "crm", security(("bearer" = [])), params(CrmDealQuery),
    responses((status = 200, body = Vec<CrmDealDto>), (status = 403, body = Problem)))]
pub async fn list_deals(State(app): State<App>, a: Auth, Query(q): Query<CrmDealQuery>) -> Result<Json<Vec<CrmDealDto>>> {
    let tx = app.db.read()?;
    let f = DealFilter {
        pipeline: q.pipeline,
        stage: q.stage,
        owner: q.owner,
        client: q.client,
        close_from: q.close_from.unwrap_or_default(),
        close_to: q.close_to.unwrap_or_default(),
        limit: q.limit.unwrap_or(100),
    };
    Ok(Json(deals::list(&tx, &a.actor, &f)?.iter().map(CrmDealDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/crm/deals", tag = "crm", security(("bearer" = [])), request_body = CrmDealInput,
    responses((status = 201, body = CrmDealDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_deal(State(app): State<App>, a: Auth, Json(i): Json<CrmDealInput>) -> Result<(StatusCode, Json<CrmDealDto>)> {
    let (now, d, company) = (app.now(), DealDraft::from(i), a.actor.company);
    let deal = app.db.write(move |tx| deals::save_deal(tx, &a.actor, now, None, &d)).await?;
    app.live.publish(company, deals::BOARD_TOPIC, deals::board_event(&deal));
    Ok((StatusCode::CREATED, Json(CrmDealDto::from(&deal))))
}

#[utoipa::path(get, path = "/api/v1/crm/deals/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmDealDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn get_deal(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmDealDto>> {
    let tx = app.db.read()?;
    Ok(Json(CrmDealDto::from(&deals::deal(&tx, &a.actor, CrmDealId(id))?)))
}

#[utoipa::path(put, path = "/api/v1/crm/deals/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmDealInput, responses((status = 200, body = CrmDealDto), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_deal(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<CrmDealInput>) -> Result<Json<CrmDealDto>> {
    let (now, d) = (app.now(), DealDraft::from(i));
    let deal = app.db.write(move |tx| deals::save_deal(tx, &a.actor, now, Some(CrmDealId(id)), &d)).await?;
    Ok(Json(CrmDealDto::from(&deal)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmMoveInput {
    pub stage: u64,
    /// Required when the stage is a lost one: one of the pipeline's lost reasons.
    pub lost_reason: String,
}

#[utoipa::path(post, path = "/api/v1/crm/deals/{id}/move", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmMoveInput, responses((status = 200, body = CrmDealDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn move_deal(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<CrmMoveInput>) -> Result<Json<CrmDealDto>> {
    let (now, company) = (app.now(), a.actor.company);
    let deal = app.db.write(move |tx| deals::move_deal(tx, &a.actor, now, CrmDealId(id), StageId(i.stage), &i.lost_reason)).await?;
    app.live.publish(company, deals::BOARD_TOPIC, deals::board_event(&deal));
    Ok(Json(CrmDealDto::from(&deal)))
}

#[utoipa::path(get, path = "/api/v1/crm/deals/{id}/tasks", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = Vec<CrmTaskDto>), (status = 404, body = Problem)))]
pub async fn deal_tasks(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CrmTaskDto>>> {
    let tx = app.db.read()?;
    let d = deals::deal(&tx, &a.actor, CrmDealId(id))?;
    Ok(Json(tasks::of_deal(&tx, &a.actor, d.id)?.iter().map(CrmTaskDto::from).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct CrmColumnDto {
    pub stage: CrmStageDto,
    /// Deals on the stage (the caller's own without `crm_all_deals`).
    pub count: u64,
    pub value: String,
    /// The first cards, newest change first.
    pub deals: Vec<CrmDealDto>,
}

#[derive(Serialize, ToSchema)]
pub struct CrmBoardDto {
    pub pipeline: CrmPipelineDto,
    pub columns: Vec<CrmColumnDto>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmBoardQuery {
    /// Default: the first pipeline.
    pub pipeline: Option<u64>,
    /// Cards per stage (default 30, at most 200).
    pub per_stage: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/crm/board", tag = "crm", security(("bearer" = [])), params(CrmBoardQuery),
    responses((status = 200, body = CrmBoardDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn board(State(app): State<App>, a: Auth, Query(q): Query<CrmBoardQuery>) -> Result<Json<CrmBoardDto>> {
    let tx = app.db.read()?;
    deals::require_deals(&a.actor)?;
    let p = deals::pipeline(&tx, &a.actor, PipelineId(q.pipeline.unwrap_or(0)))?;
    let columns = deals::board(&tx, &a.actor, &p, q.per_stage.unwrap_or(30).clamp(1, 200))?;
    Ok(Json(CrmBoardDto {
        pipeline: CrmPipelineDto::from(&p),
        columns: columns
            .iter()
            .map(|c| CrmColumnDto {
                stage: CrmStageDto::from(&c.stage),
                count: c.count,
                value: c.value.to_string(),
                deals: c.deals.iter().map(CrmDealDto::from).collect(),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CrmForecastRowDto {
    /// The stage (by stage) or the owner (by owner).
    pub id: u64,
    pub name: String,
    pub count: u64,
    pub value: String,
    /// Σ value × probability.
    pub weighted: String,
}

#[derive(Serialize, ToSchema)]
pub struct CrmForecastDto {
    pub by_stage: Vec<CrmForecastRowDto>,
    /// Open stages only.
    pub by_owner: Vec<CrmForecastRowDto>,
    /// Open stages only.
    pub total_value: String,
    pub total_weighted: String,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmForecastQuery {
    pub pipeline: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/crm/forecast", tag = "crm", security(("bearer" = [])), params(CrmForecastQuery),
    responses((status = 200, body = CrmForecastDto), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn forecast(State(app): State<App>, a: Auth, Query(q): Query<CrmForecastQuery>) -> Result<Json<CrmForecastDto>> {
    let tx = app.db.read()?;
    deals::require_deals(&a.actor)?;
    let p = deals::pipeline(&tx, &a.actor, PipelineId(q.pipeline.unwrap_or(0)))?;
    let f = deals::forecast(&tx, &a.actor, &p)?;
    let names = crate::tenancy::query::user_names(&tx, a.actor.company)?;
    Ok(Json(CrmForecastDto {
        by_stage: f
            .by_stage
            .iter()
            .map(|(s, r)| CrmForecastRowDto {
                id: s.id.0,
                name: s.name.clone(),
                count: r.count,
                value: r.value.to_string(),
                weighted: r.weighted.to_string(),
            })
            .collect(),
        by_owner: f
            .by_owner
            .iter()
            .map(|(u, r)| CrmForecastRowDto {
                id: u.0,
                name: names.get(u).cloned().unwrap_or_default(),
                count: r.count,
                value: r.value.to_string(),
                weighted: r.weighted.to_string(),
            })
            .collect(),
        total_value: f.total.value.to_string(),
        total_weighted: f.total.weighted.to_string(),
    }))
}

// ---- tasks ----

#[derive(Serialize, ToSchema)]
pub struct CrmTaskDto {
    pub id: u64,
    /// call, meeting, message, todo
    pub kind: String,
    pub title: String,
    pub notes: String,
    /// pending, in_progress, done
    pub status: String,
    pub due: String,
    pub assignee: u64,
    pub client: Option<u64>,
    pub deal: Option<u64>,
    pub created: String,
    pub done_at: Option<String>,
}

impl From<&Task> for CrmTaskDto {
    fn from(t: &Task) -> Self {
        CrmTaskDto {
            id: t.id.0,
            kind: t.kind.code().into(),
            title: t.title.clone(),
            notes: t.notes.clone(),
            status: t.status.code().into(),
            due: t.due.rfc3339(),
            assignee: t.assignee.0,
            client: t.client.map(|c| c.0),
            deal: t.deal.map(|d| d.0),
            created: t.created.rfc3339(),
            done_at: t.done_at.map(|x| x.rfc3339()),
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmTaskInput {
    /// call, meeting, message, todo (default)
    pub kind: String,
    pub title: String,
    pub notes: String,
    /// Local time of the company: YYYY-MM-DDTHH:MM, or YYYY-MM-DD.
    pub due: String,
    /// Default: the caller.
    pub assignee: Option<u64>,
    pub client: Option<u64>,
    pub deal: Option<u64>,
}

impl From<CrmTaskInput> for TaskDraft {
    fn from(i: CrmTaskInput) -> Self {
        TaskDraft { kind: i.kind, title: i.title, notes: i.notes, due: i.due, assignee: i.assignee, client: i.client, deal: i.deal }
    }
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmTaskQuery {
    /// my (default), overdue, today, all
    pub list: Option<String>,
    pub limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/crm/tasks", tag = "crm", security(("bearer" = [])), params(CrmTaskQuery),
    responses((status = 200, body = Vec<CrmTaskDto>), (status = 400, body = Problem), (status = 403, body = Problem)))]
pub async fn list_tasks(State(app): State<App>, a: Auth, Query(q): Query<CrmTaskQuery>) -> Result<Json<Vec<CrmTaskDto>>> {
    let which = TaskList::parse(q.list.as_deref().unwrap_or(""))
        .ok_or(Error::BadRequest { code: "bad_list", detail: "list is my, overdue, today or all".into() })?;
    let tx = app.db.read()?;
    Ok(Json(tasks::list(&tx, &a.actor, which, app.now(), q.limit.unwrap_or(200))?.iter().map(CrmTaskDto::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/crm/tasks", tag = "crm", security(("bearer" = [])), request_body = CrmTaskInput,
    responses((status = 201, body = CrmTaskDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn create_task(State(app): State<App>, a: Auth, Json(i): Json<CrmTaskInput>) -> Result<(StatusCode, Json<CrmTaskDto>)> {
    let (now, d) = (app.now(), TaskDraft::from(i));
    let t = app.db.write(move |tx| tasks::save_task(tx, &a.actor, now, None, &d)).await?;
    Ok((StatusCode::CREATED, Json(CrmTaskDto::from(&t))))
}

#[utoipa::path(get, path = "/api/v1/crm/tasks/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = CrmTaskDto), (status = 404, body = Problem)))]
pub async fn get_task(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<CrmTaskDto>> {
    let tx = app.db.read()?;
    Ok(Json(CrmTaskDto::from(&tasks::task(&tx, &a.actor, TaskId(id))?)))
}

#[utoipa::path(put, path = "/api/v1/crm/tasks/{id}", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmTaskInput, responses((status = 200, body = CrmTaskDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn put_task(State(app): State<App>, a: Auth, Path(id): Path<u64>, Json(i): Json<CrmTaskInput>) -> Result<Json<CrmTaskDto>> {
    let (now, d) = (app.now(), TaskDraft::from(i));
    let t = app.db.write(move |tx| tasks::save_task(tx, &a.actor, now, Some(TaskId(id)), &d)).await?;
    Ok(Json(CrmTaskDto::from(&t)))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmTaskStatusInput {
    /// in_progress or done
    pub status: String,
}

#[utoipa::path(post, path = "/api/v1/crm/tasks/{id}/status", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmTaskStatusInput, responses((status = 200, body = CrmTaskDto), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn task_status(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmTaskStatusInput>,
) -> Result<Json<CrmTaskDto>> {
    let to = TaskStatus::parse(&i.status).ok_or_else(|| {
        Error::field("status", "task_status", "Статус: pending, in_progress или done", "Status: pending, in_progress or done")
    })?;
    let now = app.now();
    let t = app.db.write(move |tx| tasks::set_status(tx, &a.actor, now, TaskId(id), to)).await?;
    Ok(Json(CrmTaskDto::from(&t)))
}

#[utoipa::path(get, path = "/api/v1/crm/reminders", tag = "crm", security(("bearer" = [])),
    responses((status = 200, body = Vec<CrmTaskDto>)))]
pub async fn reminders(State(app): State<App>, a: Auth) -> Result<Json<Vec<CrmTaskDto>>> {
    let tx = app.db.read()?;
    Ok(Json(tasks::reminders(&tx, &a.actor, app.now(), 50)?.iter().map(CrmTaskDto::from).collect()))
}

// ---- timeline ----

#[derive(Serialize, ToSchema)]
pub struct CrmTimelineItemDto {
    pub at: String,
    /// contact_added, contact_edited, deal_created, deal_edited, deal_moved, deal_won, deal_lost,
    /// task_created, task_started, task_done, sale, debt, installment
    pub kind: String,
    pub text: String,
    /// Sales, debts and installment deals: the amount (debts signed).
    pub amount: Option<String>,
    /// The record it is about: "crm_deal:1", "task:2", "contact:3", "sale:4", "deal:5".
    pub target: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CrmTimelineDto {
    pub items: Vec<CrmTimelineItemDto>,
    /// Pass as `cursor` for the next page; absent at the end.
    pub next: Option<String>,
}

#[derive(Deserialize, IntoParams, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmTimelineQuery {
    pub cursor: Option<String>,
    /// At most 50 (the default).
    pub limit: Option<usize>,
}

pub fn timeline_item(i: &timeline::Item) -> CrmTimelineItemDto {
    let (text, amount, target) = match &i.kind {
        ItemKind::Crm(e) => (
            e.text.clone(),
            None,
            e.deal.map(|d| format!("crm_deal:{d}")).or(e.task.map(|t| format!("task:{t}"))).or(e.contact.map(|k| format!("contact:{k}"))),
        ),
        ItemKind::Sale { id, number, total, status } => {
            (format!("{number} ({status})"), Some(total.to_string()), Some(format!("sale:{id}")))
        }
        ItemKind::Debt { kind, amount } => ((*kind).to_string(), Some(amount.to_string()), None),
        ItemKind::Installment { id, title, amount } => (title.clone(), Some(amount.to_string()), Some(format!("deal:{id}"))),
    };
    CrmTimelineItemDto { at: i.at.rfc3339(), kind: i.kind.code().into(), text, amount, target }
}

#[utoipa::path(get, path = "/api/v1/crm/clients/{id}/timeline", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path), CrmTimelineQuery),
    responses((status = 200, body = CrmTimelineDto), (status = 400, body = Problem), (status = 404, body = Problem)))]
pub async fn client_timeline(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Query(q): Query<CrmTimelineQuery>,
) -> Result<Json<CrmTimelineDto>> {
    let cursor = timeline::cursor_from(q.cursor.as_deref())?;
    let tx = app.db.read()?;
    let page = timeline::page(&tx, &a.actor, ClientId(id), cursor, q.limit.unwrap_or(timeline::MAX_PAGE))?;
    Ok(Json(CrmTimelineDto { items: page.items.iter().map(timeline_item).collect(), next: page.next.map(|c| c.encode()) }))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new()
        .routes(routes!(pipelines, create_pipeline))
        .routes(routes!(get_pipeline, put_pipeline))
        .routes(routes!(board))
        .routes(routes!(forecast))
        .routes(routes!(list_deals, create_deal))
        .routes(routes!(get_deal, put_deal))
        .routes(routes!(move_deal))
        .routes(routes!(deal_tasks))
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_task, put_task))
        .routes(routes!(task_status))
        .routes(routes!(reminders))
        .routes(routes!(contacts, create_contact))
        .routes(routes!(get_contact, put_contact, delete_contact))
        .routes(routes!(client_timeline))
}
