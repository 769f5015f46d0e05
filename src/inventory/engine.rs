//! The FIFO engine. One algorithm serves every posting: to apply movements at some point of an
//! item's history (one product in one warehouse), undo the item's later movements in reverse
//! order, then redo them all in `(date, order, id)` order. A posting dated now touches only its
//! own movement; a back-dated one re-costs what follows it; a cancellation inserts reversals
//! right after the originals, so later movements are re-costed as if the originals never
//! happened — all inside the caller's write transaction.
//!
//! The engine is generic over where layers live (`Layers`): the data file when posting, a map
//! in memory when `check` and the property tests replay an item from scratch.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{Effect, Intent, Layer, Move};
use crate::money::round_money;

/// Open layers in key order: `((date_ms, id), layer)`.
pub type OpenLayers = Vec<((i64, u64), Layer)>;

/// Open cost layers of one item, keyed `(date_ms, id)`.
pub trait Layers {
    type Err;
    fn open(&self) -> Result<OpenLayers, Self::Err>;
    /// One layer by its key (a `Take` names its layers; it never lists them all).
    fn get(&self, key: (i64, u64)) -> Result<Option<Layer>, Self::Err>;
    /// Adds `(dq, da)` to a layer, creating it at zero if missing and deleting it when both
    /// reach zero.
    fn adjust(&mut self, key: (i64, u64), dq: Decimal, da: Decimal) -> Result<(), Self::Err>;
}

#[derive(Debug, Default)]
pub struct MemLayers(pub BTreeMap<(i64, u64), Layer>);

impl Layers for MemLayers {
    type Err = std::convert::Infallible;

    fn open(&self) -> Result<OpenLayers, Self::Err> {
        Ok(self.0.iter().map(|(k, l)| (*k, l.clone())).collect())
    }

    fn get(&self, key: (i64, u64)) -> Result<Option<Layer>, Self::Err> {
        Ok(self.0.get(&key).cloned())
    }

    fn adjust(&mut self, key: (i64, u64), dq: Decimal, da: Decimal) -> Result<(), Self::Err> {
        let l = self.0.entry(key).or_insert(Layer { qty: Decimal::ZERO, amount: Decimal::ZERO });
        l.qty += dq;
        l.amount += da;
        if l.qty.is_zero() && l.amount.is_zero() {
            self.0.remove(&key);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub allow_negative: bool,
    /// Unit cost assumed for overdrawn units when no layer gives one (the purchase price).
    pub fallback_unit_cost: Decimal,
}

/// Why a movement cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Negative stock is off and only `available` of `needed` is on hand at that point.
    Short { available: Decimal, needed: Decimal, date: i64, move_id: u64 },
    /// A reversal whose original is not right before it (a bug, never user input).
    Orphan { move_id: u64 },
}

pub enum Failure<E> {
    Refused(Refusal),
    Store(E),
}

impl<E> From<E> for Failure<E> {
    fn from(e: E) -> Self {
        Failure::Store(e)
    }
}

/// Reverts a movement's effects on the layers.
pub fn undo<L: Layers>(layers: &mut L, m: &Move) -> Result<(), L::Err> {
    for e in m.effects.iter().rev() {
        layers.adjust((e.layer_date, e.layer), -e.dq, -e.da)?;
    }
    Ok(())
}

/// Computes and applies a movement's effects given the layers as they stand just before it.
/// `prev` is the movement sorted right before it (needed for reversals). `date` is its date.
pub fn redo<L: Layers>(layers: &mut L, m: &mut Move, date: i64, prev: Option<&Move>, policy: Policy) -> Result<(), Failure<L::Err>> {
    let mut effects = Vec::new();
    let mut variance = Decimal::ZERO;
    let qty = match &m.intent {
        Intent::In { qty, amount } => {
            let (mut rest_q, mut rest_a) = (*qty, *amount);
            // Deficit layers (allowed negative stock) are settled first, oldest first.
            for (key, l) in layers.open()? {
                if rest_q <= Decimal::ZERO {
                    break;
                }
                if l.qty >= Decimal::ZERO {
                    continue;
                }
                let (owed_q, owed_a) = (-l.qty, -l.amount);
                let s = rest_q.min(owed_q);
                let estimate = if s == owed_q { owed_a } else { round_money(owed_a * s / owed_q) };
                let actual = if s == rest_q { rest_a } else { round_money(rest_a * s / rest_q) };
                effects.push(Effect { layer_date: key.0, layer: key.1, dq: s, da: estimate });
                variance += actual - estimate;
                rest_q -= s;
                rest_a -= actual;
            }
            if !rest_q.is_zero() || !rest_a.is_zero() {
                effects.push(Effect { layer_date: date, layer: m.id, dq: rest_q, da: rest_a });
            }
            *qty
        }
        Intent::Out { qty } => {
            let mut need = *qty;
            let mut last_unit = None;
            for (key, l) in layers.open()? {
                if need.is_zero() {
                    break;
                }
                if l.qty <= Decimal::ZERO {
                    continue;
                }
                let take = need.min(l.qty);
                let amount = if take == l.qty { l.amount } else { round_money(l.amount * take / l.qty) };
                effects.push(Effect { layer_date: key.0, layer: key.1, dq: -take, da: -amount });
                last_unit = Some(l.amount / l.qty);
                need -= take;
            }
            if !need.is_zero() {
                if !policy.allow_negative {
                    return Err(Failure::Refused(Refusal::Short { available: *qty - need, needed: *qty, date, move_id: m.id }));
                }
                let unit = last_unit.unwrap_or(policy.fallback_unit_cost);
                effects.push(Effect { layer_date: date, layer: m.id, dq: -need, da: -round_money(need * unit) });
            }
            -*qty
        }
        Intent::Take { picks } => {
            let mut total = Decimal::ZERO;
            for p in picks {
                let l = layers.get((p.layer_date, p.layer))?.unwrap_or(Layer { qty: Decimal::ZERO, amount: Decimal::ZERO });
                if p.qty <= Decimal::ZERO || l.qty < p.qty {
                    return Err(Failure::Refused(Refusal::Short {
                        available: l.qty.max(Decimal::ZERO),
                        needed: p.qty,
                        date,
                        move_id: m.id,
                    }));
                }
                let amount = if p.qty == l.qty { l.amount } else { round_money(l.amount * p.qty / l.qty) };
                effects.push(Effect { layer_date: p.layer_date, layer: p.layer, dq: -p.qty, da: -amount });
                // A layer named twice is taken from as it stands after the first pick.
                layers.adjust((p.layer_date, p.layer), -p.qty, -amount)?;
                total += p.qty;
            }
            for e in &effects {
                layers.adjust((e.layer_date, e.layer), -e.dq, -e.da)?;
            }
            -total
        }
        Intent::Restore { picks } => {
            effects = picks.iter().map(|p| Effect { layer_date: p.layer_date, layer: p.layer, dq: p.qty, da: p.amount }).collect();
            picks.iter().map(|p| p.qty).sum()
        }
        Intent::Reverse { of } => {
            let Some(orig) = prev.filter(|p| p.id == *of) else {
                return Err(Failure::Refused(Refusal::Orphan { move_id: m.id }));
            };
            effects =
                orig.effects.iter().rev().map(|e| Effect { layer_date: e.layer_date, layer: e.layer, dq: -e.dq, da: -e.da }).collect();
            variance = -orig.variance;
            -orig.qty
        }
    };
    for e in &effects {
        layers.adjust((e.layer_date, e.layer), e.dq, e.da)?;
    }
    m.qty = qty;
    m.value = effects.iter().map(|e| e.da).sum();
    m.effects = effects;
    m.variance = variance;
    Ok(())
}

/// Replays an item's movements (sorted) from empty layers, filling the computed fields.
/// Returns the final layers. Used by `check` and the property tests.
pub fn replay(moves: &mut [(i64, Move)], policy: Policy) -> Result<MemLayers, Refusal> {
    let mut layers = MemLayers::default();
    let (mut q, mut v) = (Decimal::ZERO, Decimal::ZERO);
    for i in 0..moves.len() {
        let (before, rest) = moves.split_at_mut(i);
        let prev = before.last().map(|(_, m)| m);
        let (date, m) = &mut rest[0];
        match redo(&mut layers, m, *date, prev, policy) {
            Ok(()) => {}
            Err(Failure::Refused(r)) => return Err(r),
            Err(Failure::Store(never)) => match never {},
        }
        q += m.qty;
        v += m.value;
        m.qty_after = q;
        m.value_after = v;
    }
    Ok(layers)
}

#[cfg(test)]
mod tests;
