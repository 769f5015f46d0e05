//! Client reviews (spec A12 "reviews"): a rating 1–5 and a text, of a client or of one of its
//! orders, recorded by staff holding `crm_reviews`; anyone with a CRM right reads them on the
//! client card and the order page. A review is history: it is never edited, and it adds a row
//! to the client's timeline in its own transaction.

use super::model::{Event, EventKind, Review};
use super::store::{self, CLIENT_REVIEWS, ORDER_REVIEWS, ORDERS, REVIEWS};
use super::{client_of, require_crm};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{ClientId, OrderId, ReviewId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_optional_text;
use crate::tenancy::perms::Perm;

/// How many reviews a card shows, newest first.
pub const SHOWN: usize = 50;

#[derive(Debug, Clone, Default)]
pub struct ReviewDraft {
    pub rating: String,
    pub text: String,
}

fn parse_rating(raw: &str) -> std::result::Result<u8, FieldError> {
    match raw.trim().parse::<u8>() {
        Ok(r @ 1..=5) => Ok(r),
        _ => Err(FieldError::new("rating", "rating", "Оценка: целое от 1 до 5", "Rating: a whole number from 1 to 5")),
    }
}

/// Records a review of `client`, or of `order` (whose client it then is).
pub fn add(tx: &mut WriteTx, actor: &Actor, now: Ts, client: Option<ClientId>, order: Option<OrderId>, d: &ReviewDraft) -> Result<Review> {
    require_crm(actor)?;
    actor.require(Perm::CRM_REVIEWS)?;
    actor.require_writable()?;
    let c = actor.company;
    let (client, order) = match (client, order) {
        (_, Some(o)) => {
            let o = tx.get(ORDERS, (c, o))?.ok_or(Error::NotFound)?;
            let Some(cl) = o.client else {
                return Err(Error::refused("order_no_client", "У заказа нет клиента", "The order has no client"));
            };
            (cl, Some(o.id))
        }
        (Some(cl), None) => (client_of(tx, actor, cl)?.id, None),
        (None, None) => return Err(Error::NotFound),
    };
    let mut p = Problems::default();
    let rating = p.take(parse_rating(&d.rating));
    let text = p.take(parse_optional_text("text", &d.text, 2000)).unwrap_or_default();
    p.finish()?;
    let rating = rating.ok_or_else(|| Error::Internal("review parsed with problems".into()))?;
    let review = Review { id: ReviewId(tx.next_id()?), client, order, rating, text, created: now, created_by: actor.user };
    store::put_review(tx, c, None, &review)?;
    let stars = "★".repeat(usize::from(rating));
    let shown: String = if review.text.is_empty() { stars.clone() } else { format!("{stars} {}", review.text) }.chars().take(300).collect();
    store::add_event(
        tx,
        c,
        client,
        now,
        &Event { kind: EventKind::Review, user: actor.user, deal: None, task: None, contact: None, text: shown },
    )?;
    audit::record(tx, c, actor, now, "crm.review.create", format!("review:{}", review.id), format!("client:{client} rating:{rating}"))?;
    Ok(review)
}

fn load(tx: &impl Read, actor: &Actor, ids: Vec<ReviewId>) -> Result<Vec<Review>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(r) = tx.get(REVIEWS, (actor.company, id))? {
            out.push(r);
        }
    }
    Ok(out)
}

/// A client's reviews, newest first.
pub fn of_client(tx: &impl Read, actor: &Actor, client: ClientId) -> Result<Vec<Review>> {
    require_crm(actor)?;
    client_of(tx, actor, client)?;
    let c = actor.company;
    let mut ids = Vec::new();
    tx.range(CLIENT_REVIEWS, (c, client, ReviewId::MIN), (c, client, ReviewId::MAX), true, SHOWN, |(_, _, id), _| {
        ids.push(id);
        Ok(true)
    })?;
    load(tx, actor, ids)
}

/// An order's reviews, newest first.
pub fn of_order(tx: &impl Read, actor: &Actor, order: OrderId) -> Result<Vec<Review>> {
    require_crm(actor)?;
    let c = actor.company;
    tx.get(ORDERS, (c, order))?.ok_or(Error::NotFound)?;
    let mut ids = Vec::new();
    tx.range(ORDER_REVIEWS, (c, order, ReviewId::MIN), (c, order, ReviewId::MAX), true, SHOWN, |(_, _, id), _| {
        ids.push(id);
        Ok(true)
    })?;
    load(tx, actor, ids)
}

#[cfg(test)]
mod tests {
    use super::parse_rating;

    #[test]
    fn ratings_are_one_to_five() {
        for (raw, want) in [("1", Some(1)), (" 5 ", Some(5)), ("0", None), ("6", None), ("4.5", None), ("", None), ("-1", None)] {
            assert_eq!(parse_rating(raw).ok(), want, "{raw}");
        }
    }
}
