//! The money side of purchasing, through finance's money documents: paying a supplier (an
//! expense), a supplier refunding a return (an income), and reversing either. Every call
//! writes in the caller's transaction; an approved document has moved the money already, a
//! pending one moves it when finance decides (purchasing's `MoneyDocDecided` reaction,
//! `super::money_doc_decided`, registered in `wiring`).

use rust_decimal::Decimal;

use super::model::PayFrom;
use crate::clock::Ts;
use crate::error::Result;
use crate::finance::model::{AccountRef, MoneyDocKind, MoneyDocStatus};
use crate::finance::{self, MoneyDocDraft};
use crate::ids::{ClientId, MoneyDocId};
use crate::storage::WriteTx;
use crate::tenancy::actor::Actor;

/// A money document purchasing asked for: approved at once, or waiting for approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cash {
    pub doc: MoneyDocId,
    pub approved: bool,
}

/// What purchasing asks finance for.
pub struct CashRequest<'a> {
    pub income: bool,
    pub account: PayFrom,
    pub amount: Decimal,
    pub supplier: ClientId,
    pub reference: String,
    pub memo: &'a str,
    pub date: Ts,
}

pub fn account_ref(a: PayFrom) -> AccountRef {
    match a {
        PayFrom::CashBox(b) => AccountRef::CashBox(b),
        PayFrom::Bank(b) => AccountRef::Bank(b),
    }
}

/// Files a money document of category `supplier`, counterparty the supplier, referencing what
/// purchasing records it for (`purchase:ID`, `purchase_return:ID`, `supplier_payment:ID`).
pub fn request(tx: &mut WriteTx, actor: &Actor, now: Ts, r: &CashRequest) -> Result<Cash> {
    let draft = MoneyDocDraft {
        kind: if r.income { MoneyDocKind::Income } else { MoneyDocKind::Expense },
        account: account_ref(r.account),
        to_account: None,
        amount: r.amount,
        category: "supplier".into(),
        counterparty: Some(r.supplier),
        reference: r.reference.clone(),
        memo: r.memo.to_string(),
        date: Some(r.date.min(now)),
    };
    let doc = finance::create_money_doc(tx, actor, now, &draft)?;
    Ok(Cash { doc: doc.id, approved: doc.status == MoneyDocStatus::Approved })
}

/// Reverses an approved money document (finance's rights apply: approvers only).
pub fn reverse(tx: &mut WriteTx, actor: &Actor, now: Ts, doc: MoneyDocId) -> Result<()> {
    finance::reverse(tx, actor, now, doc)?;
    Ok(())
}
