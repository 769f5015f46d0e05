//! Duplicate clients under `/api/v1/crm/duplicates` and `/api/v1/crm/merges`: candidate
//! pairs, merge a duplicate into a survivor, the merge log, undo within the day.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::clients::model::Client;
use crate::dedup::{self, detect, store::ClientMerge, store::MergeExtras};
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{ClientId, MergeId};

#[derive(Serialize, ToSchema)]
pub struct DuplicateClientDto {
    pub id: u64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub inn: String,
}

impl From<&Client> for DuplicateClientDto {
    fn from(c: &Client) -> Self {
        DuplicateClientDto { id: c.id.0, name: c.name.clone(), phone: c.phone.clone(), email: c.email.clone(), inn: c.legal.inn.clone() }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DuplicatePairDto {
    /// The older client: the usual survivor.
    pub a: DuplicateClientDto,
    pub b: DuplicateClientDto,
    /// phone, email, inn, name
    pub reasons: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ClientMergeDto {
    pub id: u64,
    pub survivor: u64,
    pub duplicate: u64,
    pub at: String,
    /// Linked records moved (sales, debt rows, deals, tasks, contacts, orders, events, …).
    pub moved: usize,
    pub sales: usize,
    pub debt_rows: u64,
    pub crm_deals: usize,
    pub installment_deals: usize,
    pub tasks: usize,
    pub contacts: usize,
    pub orders: usize,
    pub conversations: usize,
    pub events: usize,
    pub agent_sales: usize,
    pub reviews: usize,
    pub documents: usize,
    pub calendar_events: usize,
    pub agent_requests: usize,
    pub carts: usize,
    pub undone: Option<String>,
}

impl ClientMergeDto {
    fn of(m: &ClientMerge, x: &MergeExtras) -> Self {
        ClientMergeDto {
            id: m.id.0,
            survivor: m.survivor.0,
            duplicate: m.duplicate.0,
            at: m.at.rfc3339(),
            moved: m.moved() + x.moved(),
            sales: m.sales.len(),
            debt_rows: m.debt_rows,
            crm_deals: m.crm_deals.len(),
            installment_deals: m.installment_deals.len(),
            tasks: m.tasks.len(),
            contacts: m.contacts.len(),
            orders: m.orders.len(),
            conversations: m.conversations.len(),
            events: m.events.len(),
            agent_sales: m.agent_sales.len(),
            reviews: x.reviews.len(),
            documents: x.documents.len(),
            calendar_events: x.calendar_events.len(),
            agent_requests: x.agent_requests.len(),
            carts: x.carts.len(),
            undone: m.undone.map(|t| t.rfc3339()),
        }
    }
}

#[utoipa::path(get, path = "/api/v1/crm/duplicates", tag = "crm", security(("bearer" = [])),
    responses((status = 200, body = Vec<DuplicatePairDto>), (status = 403, body = Problem)))]
pub async fn duplicates(State(app): State<App>, a: Auth) -> Result<Json<Vec<DuplicatePairDto>>> {
    let tx = app.db.read()?;
    let pairs = detect::candidates(&tx, &a.actor, 200)?;
    Ok(Json(
        pairs
            .iter()
            .map(|p| DuplicatePairDto {
                a: (&p.a).into(),
                b: (&p.b).into(),
                reasons: p.reasons.iter().map(|r| r.code().to_string()).collect(),
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientMergeInput {
    /// The client that stays.
    pub survivor: u64,
    /// The client whose records move to the survivor; it is archived.
    pub duplicate: u64,
}

#[utoipa::path(get, path = "/api/v1/crm/merges", tag = "crm", security(("bearer" = [])),
    responses((status = 200, body = Vec<ClientMergeDto>), (status = 403, body = Problem)))]
pub async fn list_merges(State(app): State<App>, a: Auth) -> Result<Json<Vec<ClientMergeDto>>> {
    let tx = app.db.read()?;
    let mut out = Vec::new();
    for m in dedup::merges(&tx, &a.actor, 100)? {
        out.push(ClientMergeDto::of(&m, &dedup::extras(&tx, a.actor.company, m.id)?));
    }
    Ok(Json(out))
}

#[utoipa::path(post, path = "/api/v1/crm/merges", tag = "crm", security(("bearer" = [])), request_body = ClientMergeInput,
    responses((status = 201, body = ClientMergeDto), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn create_merge(State(app): State<App>, a: Auth, Json(i): Json<ClientMergeInput>) -> Result<(StatusCode, Json<ClientMergeDto>)> {
    let now = app.now();
    let dto = app
        .db
        .write(move |tx| {
            let m = dedup::merge(tx, &a.actor, now, ClientId(i.survivor), ClientId(i.duplicate))?;
            Ok::<_, crate::error::Error>(ClientMergeDto::of(&m, &dedup::extras(tx, a.actor.company, m.id)?))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(dto)))
}

#[utoipa::path(post, path = "/api/v1/crm/merges/{id}/undo", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = ClientMergeDto), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn undo_merge(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<ClientMergeDto>> {
    let now = app.now();
    let dto = app
        .db
        .write(move |tx| {
            let m = dedup::undo(tx, &a.actor, now, MergeId(id))?;
            Ok::<_, crate::error::Error>(ClientMergeDto::of(&m, &dedup::extras(tx, a.actor.company, m.id)?))
        })
        .await?;
    Ok(Json(dto))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(duplicates)).routes(routes!(list_merges, create_merge)).routes(routes!(undo_merge))
}
