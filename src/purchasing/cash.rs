//! The money side of purchasing, through finance's money documents: paying a supplier (an
//! expense), a supplier refunding a return (an income), and reversing either. Every call
//! writes in the caller's transaction; an approved document has moved the money already, a
//! pending one moves it when finance decides (purchasing's `MoneyDocDecided` reaction).

use rust_decimal::Decimal;

use super::model::PayFrom;
use crate::clock::Ts;
use crate::error::{Error, Result};
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

pub fn request(_tx: &mut WriteTx, _actor: &Actor, _now: Ts, _r: &CashRequest) -> Result<Cash> {
    Err(unavailable())
}

pub fn reverse(_tx: &mut WriteTx, _actor: &Actor, _now: Ts, _doc: MoneyDocId) -> Result<()> {
    Err(unavailable())
}

fn unavailable() -> Error {
    Error::refused("finance_unavailable", "Оплата из кассы или счёта пока недоступна", "Paying from a cash box or account is not available yet")
}
