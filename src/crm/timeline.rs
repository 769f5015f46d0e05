//! The client timeline: everything that happened to a client, newest first, paged by a
//! cursor, merged on read from four indexes that already exist — the CRM's own events
//! (`store::TIMELINE`, by time), the client's sales (`clients::store::CLIENT_SALES`, by sale
//! id), the debt ledger (by sequence) and the installment deals (by deal id). No backfill:
//! older sales and debts show up because they are read where they already live.
//!
//! The cursor holds one position per source (the last row consumed from it), so a page costs
//! at most `limit + 1` rows of each source whatever its depth. Sources keyed by id are in
//! time order because ids come from the one ascending counter.

use super::model::{Event, EventKind};
use super::store::TIMELINE;
use super::{client_of, deals};
use crate::clients::store::{CLIENT_DEALS as INSTALLMENT_DEALS, CLIENT_SALES, DEALS as INSTALLMENTS, DEBT_LEDGER};
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{ClientId, CrmDealId};
use crate::storage::Read;
use crate::tenancy::actor::Actor;

/// Where each source resumes: exclusive upper bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub event: (u64, u64),
    pub sale: u64,
    pub debt: u64,
    pub installment: u64,
}

impl Cursor {
    pub const START: Cursor = Cursor { event: (u64::MAX, u64::MAX), sale: u64::MAX, debt: u64::MAX, installment: u64::MAX };

    pub fn encode(&self) -> String {
        format!("{}.{}.{}.{}.{}", self.event.0, self.event.1, self.sale, self.debt, self.installment)
    }

    pub fn parse(s: &str) -> Option<Cursor> {
        let parts: Vec<u64> = s.trim().split('.').map(|p| p.parse().ok()).collect::<Option<_>>()?;
        match parts[..] {
            [a, b, c, d, e] => Some(Cursor { event: (a, b), sale: c, debt: d, installment: e }),
            _ => None,
        }
    }
}

/// What a timeline item is about.
#[derive(Debug, Clone)]
pub enum ItemKind {
    Crm(Event),
    /// A sale: number, total, status code.
    Sale {
        id: u64,
        number: String,
        total: rust_decimal::Decimal,
        status: &'static str,
    },
    /// A debt ledger row: kind code and signed amount.
    Debt {
        kind: &'static str,
        amount: rust_decimal::Decimal,
    },
    /// An installment deal was opened.
    Installment {
        id: u64,
        title: String,
        amount: rust_decimal::Decimal,
    },
}

impl ItemKind {
    pub fn code(&self) -> &'static str {
        match self {
            ItemKind::Crm(e) => e.kind.code(),
            ItemKind::Sale { .. } => "sale",
            ItemKind::Debt { .. } => "debt",
            ItemKind::Installment { .. } => "installment",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Item {
    pub at: Ts,
    pub kind: ItemKind,
}

pub struct Page {
    pub items: Vec<Item>,
    /// The cursor of the next page; None at the end.
    pub next: Option<Cursor>,
}

enum Pos {
    Event((u64, u64)),
    Sale(u64),
    Debt(u64),
    Installment(u64),
}

/// The largest page.
pub const MAX_PAGE: usize = 50;

/// One page of a client's timeline, newest first. Sales and debts appear for those who may
/// read clients' money; deal events of other owners' deals only for `crm_all_deals`.
pub fn page(tx: &impl Read, actor: &Actor, client: ClientId, cursor: Cursor, limit: usize) -> Result<Page> {
    super::require_crm(actor)?;
    let client = client_of(tx, actor, client)?.id;
    let c = actor.company;
    let limit = limit.clamp(1, MAX_PAGE);
    let money = crate::clients::require_read(actor).is_ok();
    let mut rows: Vec<(Ts, u8, u64, Pos, Option<ItemKind>)> = Vec::new();
    let mut more = false;

    let mut n = 0;
    if cursor.event != (0, 0) {
        let hi = if cursor.event.1 == 0 { (cursor.event.0.saturating_sub(1), u64::MAX) } else { (cursor.event.0, cursor.event.1 - 1) };
        tx.range(TIMELINE, (c, client, 0, 0), (c, client, hi.0, hi.1), true, limit + 1, |(_, _, at, seq), e| {
            n += 1;
            rows.push((Ts(at as i64), 3, seq, Pos::Event((at, seq)), Some(ItemKind::Crm(e))));
            Ok(true)
        })?;
    }
    more |= n > limit;
    if money {
        let mut ids = Vec::new();
        if cursor.sale > 0 {
            tx.range(CLIENT_SALES, (c.0, client.0, 0), (c.0, client.0, cursor.sale - 1), true, limit + 1, |(_, _, id), _| {
                ids.push(id);
                Ok(true)
            })?;
        }
        more |= ids.len() > limit;
        for id in ids {
            if let Some(s) = tx.get(crate::pos::store::SALES, (c.0, id))? {
                let kind = ItemKind::Sale { id, number: s.number.clone(), total: s.total, status: s.status.code() };
                rows.push((s.at, 2, id, Pos::Sale(id), Some(kind)));
            }
        }
        let mut n = 0;
        if cursor.debt > 0 {
            tx.range(DEBT_LEDGER, (c.0, client.0, 0), (c.0, client.0, cursor.debt - 1), true, limit + 1, |(_, _, seq), e| {
                n += 1;
                rows.push((e.at, 1, seq, Pos::Debt(seq), Some(ItemKind::Debt { kind: e.kind.code(), amount: e.amount })));
                Ok(true)
            })?;
        }
        more |= n > limit;
        let mut ids = Vec::new();
        if cursor.installment > 0 {
            tx.range(INSTALLMENT_DEALS, (c.0, client.0, 0), (c.0, client.0, cursor.installment - 1), true, limit + 1, |(_, _, id), _| {
                ids.push(id);
                Ok(true)
            })?;
        }
        more |= ids.len() > limit;
        for id in ids {
            if let Some(d) = tx.get(INSTALLMENTS, (c.0, id))? {
                rows.push((
                    d.created,
                    0,
                    id,
                    Pos::Installment(id),
                    Some(ItemKind::Installment { id, title: d.title.clone(), amount: d.amount }),
                ));
            }
        }
    }
    // Newest first; ties broken by source and id so the order is total and stable.
    rows.sort_by_key(|r| std::cmp::Reverse((r.0, r.1, r.2)));
    more |= rows.len() > limit;
    let mut next = cursor;
    let mut items = Vec::with_capacity(limit);
    let all = deals::sees_all(actor);
    for (at, _, _, pos, kind) in rows.into_iter().take(limit) {
        match pos {
            Pos::Event(k) => next.event = k,
            Pos::Sale(id) => next.sale = id,
            Pos::Debt(seq) => next.debt = seq,
            Pos::Installment(id) => next.installment = id,
        }
        let Some(kind) = kind else { continue };
        if let ItemKind::Crm(e) = &kind
            && !all
            && let Some(deal) = e.deal
            && !owns(tx, actor, deal)?
        {
            continue;
        }
        items.push(Item { at, kind });
    }
    Ok(Page { items, next: more.then_some(next) })
}

fn owns(tx: &impl Read, actor: &Actor, deal: CrmDealId) -> Result<bool> {
    Ok(tx.get(super::store::DEALS, (actor.company, deal))?.is_some_and(|d| d.owner == actor.user))
}

/// Whether an event kind is about a deal (for pages that link it).
pub fn is_deal_event(k: EventKind) -> bool {
    matches!(k, EventKind::DealCreated | EventKind::DealEdited | EventKind::DealMoved | EventKind::DealWon | EventKind::DealLost)
}

/// Parses a cursor from a query, refusing a malformed one with a 400.
pub fn cursor_from(raw: Option<&str>) -> Result<Cursor> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(Cursor::START),
        Some(s) => Cursor::parse(s).ok_or(Error::BadRequest { code: "bad_cursor", detail: "malformed timeline cursor".into() }),
    }
}
