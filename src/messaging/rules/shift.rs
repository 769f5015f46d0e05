//! The built-in "shift closed short" rule (issue 16): when a cash shift closes with less cash
//! counted than expected, by at least the company's threshold (default: any shortage), every
//! active owner and admin is told — in the bell unless they muted `shift_short`, by e-mail
//! when they asked for it and e-mail is set up (`mail::configured_stored`), by the staff
//! WhatsApp template when they asked for it — in the close's own transaction
//! (`pos::ShiftClosed`, wired in `wiring`). Each firing is logged in the rules' log under rule id 0 (`SHIFT_RULE`), one row
//! per shift, so the rules page shows what was sent.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::ids::{CompanyId, RuleId, UserId};
use crate::pos::model::Shift;
use crate::storage::{Read, Record, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::SystemRole;

use super::store::{FIRED, SHIFT_SHORT};
use super::{Fired, Live};

/// The event code users' preferences name.
pub const EVENT: &str = "shift_short";
/// The rule id the built-in rule's firings are logged under (real rules' ids start at 1).
pub const SHIFT_RULE: RuleId = RuleId(0);

/// A company's settings of the built-in rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShiftShort {
    /// Tell only of a shortage of at least this much (0: any shortage).
    #[serde(with = "rust_decimal::serde::str")]
    pub threshold: Decimal,
    pub active: bool,
    pub updated: Ts,
}

impl Record for ShiftShort {
    const TYPE: &'static str = "messaging_shiftshort.v1";
}

impl Default for ShiftShort {
    fn default() -> Self {
        ShiftShort { threshold: Decimal::ZERO, active: true, updated: Ts(0) }
    }
}

pub fn settings(tx: &impl Read, c: CompanyId) -> Result<ShiftShort> {
    Ok(tx.get(SHIFT_SHORT, c.0)?.unwrap_or_default())
}

/// Saves the threshold (money, ≥ 0) and whether the rule is on; the rules right.
pub fn save(tx: &mut WriteTx, actor: &Actor, now: Ts, threshold: &str, active: bool) -> Result<ShiftShort> {
    super::require_admin(actor)?;
    actor.require_writable()?;
    let threshold = if threshold.trim().is_empty() {
        Decimal::ZERO
    } else {
        crate::money::parse_money("threshold", threshold, false).map_err(|e| Error::Validation(vec![e]))?
    };
    let s = ShiftShort { threshold, active, updated: now };
    tx.insert(SHIFT_SHORT, actor.company.0, &s)?;
    audit::record(
        tx,
        actor.company,
        actor,
        now,
        "notify.shift_short.save",
        "rule:shift_short".into(),
        format!("threshold {threshold}, active {active}"),
    )?;
    Ok(s)
}

/// The close's reaction: tells the owners and admins of a shortage at or above the threshold.
pub fn shift_closed(tx: &mut WriteTx, actor: &Actor, now: Ts, shift: &Shift) -> Result<Vec<Live>> {
    let c = actor.company;
    let short = -shift.difference().unwrap_or_default();
    let rule = settings(tx, c)?;
    if !rule.active || short <= Decimal::ZERO || short < rule.threshold {
        return Ok(Vec::new());
    }
    let currency = crate::tenancy::store::company(tx, c)?.map(|co| co.country.currency()).ok_or(Error::NotFound)?;
    let money = |d: Decimal| crate::money::display::money(crate::i18n::Lang::Ru, d, currency);
    let cash_box = tx.get(crate::pos::store::CASH_BOXES, (c.0, shift.cash_box.0))?.map(|b| b.name).unwrap_or_default();
    let users = crate::tenancy::store::users(tx, c)?;
    let cashier = users.iter().find(|u| u.id == shift.cashier).map(|u| u.name.clone()).unwrap_or_default();
    let text = format!(
        "Смена {} закрыта с недостачей {}: касса «{cash_box}», кассир {cashier}, ожидалось {}, пересчитано {}",
        shift.number,
        money(short),
        money(shift.expected_cash()),
        money(shift.closing_cash.unwrap_or_default()),
    );
    let to: Vec<UserId> =
        users.iter().filter(|u| u.active && matches!(u.role, SystemRole::Owner | SystemRole::Admin)).map(|u| u.id).collect();
    let mut live = Vec::new();
    let subject = format!("Dukan: недостача в смене {}", shift.number);
    // The hook has no configuration: whether e-mail goes anywhere is read from the data file
    // (the company's own server, or the box-wide one as noted at start). Without it nothing is
    // queued that could only fail later; the log says why.
    let can_mail = crate::messaging::mail::configured_stored(tx, c)?;
    let link = format!("/shifts/{}", shift.id);
    let note = super::Note { event: EVENT, subject: &subject, text: &text, link: &link };
    let told = super::tell(tx, c, &to, &note, can_mail, now, &mut live)?;
    let day = super::day_key(&now.date_local(&crate::tenancy::timezone(tx, c)?));
    tx.insert(FIRED, (c.0, SHIFT_RULE.0, day, shift.id.0), &Fired { at: now, text, outcome: told })?;
    Ok(live)
}
