//! Wiring: every cross-domain reaction, in one place. A domain never calls a domain above it;
//! when a change in one must update another, the lower domain declares a hook type (a plain
//! `fn` pointer type over its own types) and calls whatever is registered for it, inside its
//! own write transaction, and [`hooks`] below registers who reacts. `crate::schema::open`
//! hands the table to the data file, so every write transaction carries it.
//!
//! The reactions, trigger → effect (all in the trigger's write transaction, so the effect is
//! atomic with the change):
//! - **product written** (`catalog::store::ProductChanged`, from `catalog::store::put_product`)
//!   → inventory refreshes the product's stock-report rows in every warehouse when a field they
//!   copy changed (`inventory::store::product_changed`: name, price, category, reorder level).
//! - **company settings saved** (`tenancy::CompanyChanged`, from `tenancy::update_settings`)
//!   → when the time zone changed, pos rebuilds the company's daily sales totals, which are
//!   keyed by local day (`pos::daily::rebuild_company`), and agents rebuild theirs
//!   (`agents::daily::rebuild_company`).
//! - **debt repaid in cash at a till** (`clients::DebtCashTaken`, from `clients::pay_debt`)
//!   → pos puts the cash into the cashier's open shift at that cash box and answers with the
//!   shift (`pos::take_debt_cash`).
//! - **users' rights changed or they left** (`tenancy::UsersRightsChanged`, from
//!   `tenancy::users` and `tenancy::roles`: deactivation, a new role or branches, a custom role
//!   edited) → auth drops the invitation links they hold (`auth::drop_invites`), so a link made
//!   under fewer rights never signs anyone in with more.
//! - **cash moved in a cash box** (`pos::CashMoved`, from pos's one cash-row writer, flows on
//!   expense-only boxes and a shift's counted difference at close) → finance appends the row to
//!   the box's account (`finance::cash_moved`); rows a money document made are its own.
//! - **company time zone changed** also → finance rebuilds its per-day account totals and the
//!   daily money projection (`finance::store::rebuild_company`).
//! - **a money document decided or reversed** (`finance::MoneyDocDecided`, from
//!   `finance::decide` and `finance::reverse`) → purchasing follows the documents it asked
//!   for by their reference (`purchasing::money_doc_decided`): a cash purchase waiting for its
//!   expense is posted or rejected, a pending supplier payment is applied to the payable or
//!   rejected, a refund not brought becomes a payable row, a cash purchase's expense is
//!   reversed only by cancelling the purchase.
//! - **card, transfer or wallet money taken or refunded at a till** (`pos::NonCashMoved`, from
//!   `pos::checkout` and `pos::return_sale`) → finance appends it to the bank account the
//!   company chose for non-cash takings, if any (`finance::non_cash_moved`).
//!
//! - **product written** also → when a weighed product's label fields changed (name, price,
//!   PLU, barcodes, archived), scales raises the company's PLU list version and queues a
//!   `LabelSync` outbox job for every active label scale (`scales::label::product_changed`).
//!
//! - **a request from the public form** (`crm::requests::RequestReceived`, from
//!   `crm::requests::submit`) → messaging notifies the company's CRM users in-app
//!   (`messaging::notify::notify`, to every holder of `crm_deals`).
//!
//! - **a cash shift closed** (`pos::ShiftClosed`, from `pos::close_shift`) → messaging tells
//!   the owners and admins of a shortage at or above the company's threshold, in the bell and
//!   by e-mail per their preferences (`messaging::rules::shift::shift_closed`; the e-mails are
//!   outbox rows of the close's transaction).
//!
//! Reactions that travel as outbox jobs instead (drained by a worker after the commit, see
//! `storage::outbox::JobKind`): a product write queues its search indexing (`IndexProduct`);
//! a checkout queues its receipt (`Receipt`) and a shift close its Z report (`ZReport`), which
//! the print worker fans out to the cash box's printers (`printing::fan_out`); stock and
//! catalog events queue webhook deliveries (`Webhook`).
//!
//! Calls that go downward need no wiring and stay direct: checkout records a client's purchase
//! and debt (`clients::on_checkout`, `clients::reverse_sale_debt`); every write appends its
//! audit row (`audit::record`).

use crate::storage::Hooks;

/// The one table of cross-domain reactions (see the module notes).
pub fn hooks() -> Hooks {
    Hooks::builder()
        .on::<crate::catalog::store::ProductChanged>(crate::inventory::store::product_changed)
        .on::<crate::tenancy::CompanyChanged>(company_changed)
        .on::<crate::clients::DebtCashTaken>(crate::pos::take_debt_cash)
        .on::<crate::tenancy::UsersRightsChanged>(crate::auth::drop_invites)
        .on::<crate::pos::CashMoved>(crate::finance::cash_moved)
        .on::<crate::finance::MoneyDocDecided>(crate::purchasing::money_doc_decided)
        .on::<crate::pos::NonCashMoved>(crate::finance::non_cash_moved)
        // Label scales (issue 15).
        .on::<crate::catalog::store::ProductChanged>(crate::scales::label::product_changed)
        // The public request form (issue 17, crm4).
        .on::<crate::crm::requests::RequestReceived>(request_received)
        // A shift closed short (issue 16).
        .on::<crate::pos::ShiftClosed>(crate::messaging::rules::shift::shift_closed)
        .build()
}

/// A request from the public form notifies everyone who works deals (owners and admins hold
/// every right) with a link to the new lead.
fn request_received(
    tx: &mut crate::storage::WriteTx,
    c: crate::ids::CompanyId,
    deal: &crate::crm::model::Deal,
    now: crate::clock::Ts,
) -> crate::error::Result<Vec<(String, crate::live::Event)>> {
    use crate::messaging::notify::{Target, notify};
    notify(tx, c, Target::Perm(crate::tenancy::perms::Perm::CRM_DEALS), "crm.request", &deal.title, &format!("/crm/deals/{}", deal.id), now)
}

/// A new time zone moves sales between local days: the daily totals are rebuilt.
fn company_changed(
    tx: &mut crate::storage::WriteTx,
    old: &crate::tenancy::model::Company,
    new: &crate::tenancy::model::Company,
) -> Result<(), crate::storage::StorageError> {
    if old.timezone == new.timezone {
        return Ok(());
    }
    crate::pos::daily::rebuild_company(tx, new.id)?;
    crate::finance::store::rebuild_company(tx, new.id)?;
    crate::agents::daily::rebuild_company(tx, new.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reaction_is_registered_once() {
        let h = hooks();
        assert_eq!(h.of::<crate::catalog::store::ProductChanged>().count(), 2);
        assert_eq!(h.of::<crate::tenancy::CompanyChanged>().count(), 1);
        assert_eq!(h.of::<crate::clients::DebtCashTaken>().count(), 1);
        assert_eq!(h.of::<crate::tenancy::UsersRightsChanged>().count(), 1);
        assert_eq!(h.of::<crate::pos::CashMoved>().count(), 1);
        assert_eq!(h.of::<crate::finance::MoneyDocDecided>().count(), 1);
        assert_eq!(h.of::<crate::pos::NonCashMoved>().count(), 1);
        assert_eq!(h.of::<crate::crm::requests::RequestReceived>().count(), 1);
        assert_eq!(h.of::<crate::pos::ShiftClosed>().count(), 1);
        assert_eq!(h.len(), 10);
    }
}
