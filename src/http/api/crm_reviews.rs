//! Client reviews under `/api/v1/crm/`: a rating 1–5 and a text, of a client or of one of
//! its orders (`crm::reviews`). Reading needs a CRM right; recording needs `crm_reviews`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Limits;
use crate::app::App;
use crate::crm::model::Review;
use crate::crm::reviews::{self, ReviewDraft};
use crate::error::Result;
use crate::http::extract::{Auth, Json, Path};
use crate::http::problem::Problem;
use crate::ids::{ClientId, OrderId};

#[derive(Serialize, ToSchema)]
pub struct CrmReviewDto {
    pub id: u64,
    pub client: u64,
    /// The order reviewed, when the review is of an order.
    pub order: Option<u64>,
    /// 1–5.
    pub rating: u8,
    pub text: String,
    pub created: String,
    /// The user who recorded it.
    pub created_by: u64,
}

impl From<&Review> for CrmReviewDto {
    fn from(r: &Review) -> Self {
        CrmReviewDto {
            id: r.id.0,
            client: r.client.0,
            order: r.order.map(|o| o.0),
            rating: r.rating,
            text: r.text.clone(),
            created: r.created.rfc3339(),
            created_by: r.created_by.0,
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct CrmReviewInput {
    /// A whole number from 1 to 5.
    pub rating: u32,
    /// Up to 2,000 characters; may be empty.
    pub text: String,
}

impl From<CrmReviewInput> for ReviewDraft {
    fn from(i: CrmReviewInput) -> Self {
        ReviewDraft { rating: i.rating.to_string(), text: i.text }
    }
}

fn dtos(list: &[Review]) -> Vec<CrmReviewDto> {
    list.iter().map(CrmReviewDto::from).collect()
}

#[utoipa::path(get, path = "/api/v1/crm/clients/{id}/reviews", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "newest first, at most 50", body = Vec<CrmReviewDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn client_reviews(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CrmReviewDto>>> {
    let tx = app.db.read()?;
    Ok(Json(dtos(&reviews::of_client(&tx, &a.actor, ClientId(id))?)))
}

#[utoipa::path(post, path = "/api/v1/crm/clients/{id}/reviews", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmReviewInput, responses((status = 201, body = CrmReviewDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_client_review(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmReviewInput>,
) -> Result<(StatusCode, Json<CrmReviewDto>)> {
    let (now, d) = (app.now(), ReviewDraft::from(i));
    let r = app.db.write(move |tx| reviews::add(tx, &a.actor, now, Some(ClientId(id)), None, &d)).await?;
    Ok((StatusCode::CREATED, Json(CrmReviewDto::from(&r))))
}

#[utoipa::path(get, path = "/api/v1/crm/orders/{id}/reviews", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    responses((status = 200, description = "newest first, at most 50", body = Vec<CrmReviewDto>), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn order_reviews(State(app): State<App>, a: Auth, Path(id): Path<u64>) -> Result<Json<Vec<CrmReviewDto>>> {
    let tx = app.db.read()?;
    Ok(Json(dtos(&reviews::of_order(&tx, &a.actor, OrderId(id))?)))
}

#[utoipa::path(post, path = "/api/v1/crm/orders/{id}/reviews", tag = "crm", security(("bearer" = [])), params(("id" = u64, Path)),
    request_body = CrmReviewInput, responses((status = 201, body = CrmReviewDto), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn add_order_review(
    State(app): State<App>,
    a: Auth,
    Path(id): Path<u64>,
    Json(i): Json<CrmReviewInput>,
) -> Result<(StatusCode, Json<CrmReviewDto>)> {
    let (now, d) = (app.now(), ReviewDraft::from(i));
    let r = app.db.write(move |tx| reviews::add(tx, &a.actor, now, None, Some(OrderId(id)), &d)).await?;
    Ok((StatusCode::CREATED, Json(CrmReviewDto::from(&r))))
}

pub fn routes(_limits: &Limits) -> OpenApiRouter<App> {
    OpenApiRouter::new().routes(routes!(client_reviews, add_client_review)).routes(routes!(order_reviews, add_order_review))
}
