//! Purchasing tables, the payable ledger append (the one write path of a supplier's balance),
//! the purchase write path (which keeps the per-supplier index), and `verify`.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::model::{
    CreditRow, DueRow, PayableBalance, PayableEntry, PayableKind, PaymentStatus, Purchase, PurchaseKey, PurchaseReturn, PurchaseStatus,
    SupplierLink, SupplierPayment, Terms,
};
use crate::ids::{ClientId, CompanyId, DocumentId, PurchaseId, PurchaseReturnId, SupplierPaymentId};
use crate::storage::{Read, StorageError, Table, TableInfo, WriteTx};

pub const PURCHASES: Table<(CompanyId, PurchaseId), Purchase> = Table::new("company_purchaseid_purchase");
pub const SUPPLIER_PURCHASES: Table<(CompanyId, ClientId, PurchaseId), u64> = Table::new("company_supplier_purchaseid_unit");
pub const PURCHASE_RETURNS: Table<(CompanyId, PurchaseReturnId), PurchaseReturn> = Table::new("company_purchasereturnid_purchasereturn");
pub const PAYMENTS: Table<(CompanyId, SupplierPaymentId), SupplierPayment> = Table::new("company_supplierpaymentid_supplierpayment");
pub const SUPPLIER_PAYMENTS: Table<(CompanyId, ClientId, SupplierPaymentId), u64> = Table::new("company_supplier_paymentid_unit");
pub const PAYABLE_LEDGER: Table<(CompanyId, ClientId, u64), PayableEntry> = Table::new("company_supplier_seq_payableentry");
pub const PAYABLE_BALANCES: Table<(CompanyId, ClientId), PayableBalance> = Table::new("company_supplier_payablebalance");
pub const PURCHASE_KEYS: Table<(CompanyId, &'static str), PurchaseKey> = Table::new("company_key_purchaseop");
pub const DOC_SUPPLIERS: Table<(CompanyId, DocumentId), SupplierLink> = Table::new("company_documentid_supplierlink");
pub const SUPPLIER_CREDITS: Table<(CompanyId, ClientId, u64, PurchaseId), CreditRow> =
    Table::new("company_supplier_date_purchaseid_creditrow");
pub const DUE_PURCHASES: Table<(CompanyId, u64, PurchaseId), DueRow> = Table::new("company_due_purchaseid_duerow");

pub fn tables() -> Vec<TableInfo> {
    vec![
        PURCHASES.info("(CompanyId, PurchaseId)", "purchases: drafts, waiting for cash, posted, rejected, cancelled"),
        SUPPLIER_PURCHASES.info("(CompanyId, ClientId, PurchaseId)", "a supplier's purchases (index kept by put_purchase)"),
        PURCHASE_RETURNS.info("(CompanyId, PurchaseReturnId)", "returns of purchased goods to the supplier"),
        PAYMENTS.info("(CompanyId, SupplierPaymentId)", "supplier payments and prepayments, each through a money document"),
        SUPPLIER_PAYMENTS.info("(CompanyId, ClientId, SupplierPaymentId)", "a supplier's payments (index)"),
        PAYABLE_LEDGER.info("(CompanyId, ClientId, seq)", "append-only payable ledger: credit purchases, payments, returns, cancels"),
        PAYABLE_BALANCES.info("(CompanyId, ClientId)", "payable balance = Σ ledger rows (below zero only by prepayments and refunds owed)"),
        PURCHASE_KEYS.info("(CompanyId, scoped idempotency key)", "idempotency keys of supplier payments"),
        DOC_SUPPLIERS.info("(CompanyId, DocumentId)", "stock documents linked to a supplier client (purchases, the matching step)"),
        SUPPLIER_CREDITS.info(
            "(CompanyId, ClientId, date ms, PurchaseId)",
            "a supplier's posted credit purchases by date: due date and total less returns",
        ),
        DUE_PURCHASES.info(
            "(CompanyId, due YYYYMMDD, PurchaseId)",
            "credit purchases with something left to pay, by due date (\"to pay this week\")",
        ),
    ]
}

/// Appends one row to a supplier's ledger and moves the balance with it.
pub fn append_payable(
    tx: &mut WriteTx,
    c: CompanyId,
    supplier: ClientId,
    entry: &PayableEntry,
) -> Result<(u64, PayableBalance), StorageError> {
    let mut bal = tx.get(PAYABLE_BALANCES, (c, supplier))?.unwrap_or_default();
    let seq = bal.rows;
    bal.rows += 1;
    bal.owed += entry.amount;
    tx.insert(PAYABLE_LEDGER, (c, supplier, seq), entry)?;
    tx.insert(PAYABLE_BALANCES, (c, supplier), &bal)?;
    settle(tx, c, supplier, bal.owed)?;
    Ok((seq, bal))
}

/// The one write path of a purchase: the record, its supplier index, and (posted on credit)
/// its credit row and place in the due-date index.
pub fn put_purchase(tx: &mut WriteTx, c: CompanyId, old: Option<&Purchase>, new: &Purchase) -> Result<(), StorageError> {
    if let Some(old) = old {
        if old.supplier != new.supplier {
            tx.remove(SUPPLIER_PURCHASES, (c, old.supplier, old.id))?;
        }
        if let Some(row) = credit_row(old) {
            tx.remove(SUPPLIER_CREDITS, (c, old.supplier, date_key(old), old.id))?;
            tx.remove(DUE_PURCHASES, (c, row.due, old.id))?;
        }
    }
    tx.insert(SUPPLIER_PURCHASES, (c, new.supplier, new.id), &0)?;
    tx.insert(PURCHASES, (c, new.id), new)?;
    let changed = old.map(credit_row) != Some(credit_row(new));
    if let Some(row) = credit_row(new) {
        tx.insert(SUPPLIER_CREDITS, (c, new.supplier, date_key(new), new.id), &row)?;
    }
    if changed || old.is_some_and(|o| credit_row(o).is_some()) {
        let owed = balance(tx, c, new.supplier)?.owed;
        settle(tx, c, new.supplier, owed)?;
    }
    Ok(())
}

/// A purchase's credit row: posted on credit, with a due date.
fn credit_row(p: &Purchase) -> Option<CreditRow> {
    if p.terms != Terms::Credit || p.status != PurchaseStatus::Posted {
        return None;
    }
    let due = super::model::day_number(p.due.as_deref()?);
    Some(CreditRow { due, net: p.total - p.returned_amount() })
}

fn date_key(p: &Purchase) -> u64 {
    u64::try_from(p.date.0).unwrap_or(0)
}

/// Spreads a supplier's payable over its newest posted credit purchases (payments settle the
/// oldest first) and keeps the due-date index to exactly the purchases with something left.
/// The indexed purchases are always the newest ones of the supplier that still have a net
/// amount, so the walk stops at the first such purchase that owes nothing and was not indexed:
/// every older one is not indexed either (a purchase returned in full is skipped, never a stop).
fn settle(tx: &mut WriteTx, c: CompanyId, supplier: ClientId, owed: Decimal) -> Result<(), StorageError> {
    // What to change, gathered first: the walk reads the index while the credit rows are open.
    let mut changes: Vec<((CompanyId, u64, PurchaseId), Option<DueRow>)> = Vec::new();
    let mut left = owed;
    tx.range(
        SUPPLIER_CREDITS,
        (c, supplier, 0, PurchaseId::MIN),
        (c, supplier, u64::MAX, PurchaseId::MAX),
        true,
        usize::MAX,
        |(_, _, _, id), row| {
            let part = row.net.min(left).max(Decimal::ZERO);
            left -= part;
            let key = (c, row.due, id);
            let had = tx.get(DUE_PURCHASES, key)?;
            if part > Decimal::ZERO {
                let want = DueRow { supplier, outstanding: part };
                if had.as_ref() != Some(&want) {
                    changes.push((key, Some(want)));
                }
            } else if had.is_some() {
                changes.push((key, None));
            } else if left <= Decimal::ZERO && row.net > Decimal::ZERO {
                // A purchase returned in full owes nothing and is never indexed, so only an
                // unindexed purchase that still has a net amount ends the indexed run.
                return Ok(false);
            }
            Ok(true)
        },
    )?;
    for (key, row) in changes {
        match row {
            Some(row) => tx.insert(DUE_PURCHASES, key, &row)?,
            None => {
                tx.remove(DUE_PURCHASES, key)?;
            }
        }
    }
    Ok(())
}

/// The one write path of a supplier payment: the record and its supplier index.
pub fn put_payment(tx: &mut WriteTx, c: CompanyId, p: &SupplierPayment) -> Result<(), StorageError> {
    tx.insert(SUPPLIER_PAYMENTS, (c, p.supplier, p.id), &0)?;
    tx.insert(PAYMENTS, (c, p.id), p)?;
    Ok(())
}

pub fn balance(tx: &impl Read, c: CompanyId, supplier: ClientId) -> Result<PayableBalance, StorageError> {
    Ok(tx.get(PAYABLE_BALANCES, (c, supplier))?.unwrap_or_default())
}

pub fn ledger(tx: &impl Read, c: CompanyId, supplier: ClientId) -> Result<Vec<(u64, PayableEntry)>, StorageError> {
    Ok(tx.list(PAYABLE_LEDGER, (c, supplier, 0), (c, supplier, u64::MAX), usize::MAX)?.into_iter().map(|((_, _, s), e)| (s, e)).collect())
}

/// Recomputes every purchasing projection and index and lists each difference:
/// - payable balance = Σ ledger rows, row count = ledger length;
/// - payable = Σ credit purchases − payments − returns − cancels: every posted or cancelled
///   credit purchase has exactly one `Purchase` row of its total, every cancelled one a
///   `Cancel` row, every applied payment one `Payment`/`Prepayment` row of its amount, and no
///   row names a purchase or payment that does not say so;
/// - a posted purchase's receipt is posted (a cancelled one's cancelled, a draft's or one
///   waiting for cash a draft, a rejected one's gone), and its returns are
///   Σ its lines' returned quantities;
/// - the supplier indexes match the records.
pub fn verify(tx: &impl Read) -> Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let mut sums: BTreeMap<(CompanyId, ClientId), (Decimal, u64)> = BTreeMap::new();
    // (company, purchase) → (Σ Purchase rows, Σ Cancel rows); (company, payment) → Σ payment rows.
    let mut by_purchase: BTreeMap<(CompanyId, PurchaseId), (Decimal, Decimal, u32)> = BTreeMap::new();
    let mut by_payment: BTreeMap<(CompanyId, SupplierPaymentId), Decimal> = BTreeMap::new();
    tx.range(
        PAYABLE_LEDGER,
        (CompanyId::MIN, ClientId::MIN, 0),
        (CompanyId::MAX, ClientId::MAX, u64::MAX),
        false,
        usize::MAX,
        |(c, s, _), e| {
            let slot = sums.entry((c, s)).or_default();
            slot.0 += e.amount;
            slot.1 += 1;
            match (e.kind, e.purchase, e.payment) {
                (PayableKind::Purchase, Some(p), _) => {
                    let x = by_purchase.entry((c, p)).or_default();
                    x.0 += e.amount;
                    x.2 += 1;
                }
                (PayableKind::Cancel, Some(p), _) => by_purchase.entry((c, p)).or_default().1 += e.amount,
                (PayableKind::Payment | PayableKind::Prepayment | PayableKind::PaymentReversed, _, Some(pay)) => {
                    *by_payment.entry((c, pay)).or_default() += e.amount
                }
                (PayableKind::Return, _, _) => {}
                (kind, _, _) => problems.push(format!("payable row of kind {} at company {c} supplier {s} names nothing", kind.code())),
            }
            Ok(true)
        },
    )?;
    let mut have = BTreeMap::new();
    tx.range(PAYABLE_BALANCES, (CompanyId::MIN, ClientId::MIN), (CompanyId::MAX, ClientId::MAX), false, usize::MAX, |k, b| {
        have.insert(k, (b.owed, b.rows));
        Ok(true)
    })?;
    for (k, want) in &sums {
        if have.get(k) != Some(want) {
            problems.push(format!(
                "payable balance of supplier {} at company {} is {:?}, its ledger says {:?}",
                k.1,
                k.0,
                have.get(k),
                want
            ));
        }
    }
    for (k, h) in &have {
        if !sums.contains_key(k) && (h.0 != Decimal::ZERO || h.1 != 0) {
            problems.push(format!("payable balance of supplier {} at company {} has no ledger", k.1, k.0));
        }
    }

    let mut index = Vec::new();
    tx.range(PURCHASES, (CompanyId::MIN, PurchaseId::MIN), (CompanyId::MAX, PurchaseId::MAX), false, usize::MAX, |(c, id), p| {
        index.push((c, p.supplier, id));
        let rows = by_purchase.remove(&(c, id)).unwrap_or_default();
        let credit_posted = p.terms == Terms::Credit && matches!(p.status, PurchaseStatus::Posted | PurchaseStatus::Cancelled);
        let want_purchase = if credit_posted { p.total } else { Decimal::ZERO };
        if rows.0 != want_purchase || rows.2 != u32::from(credit_posted) {
            problems.push(format!("purchase {id} at company {c}: payable purchase rows {} (×{}), want {want_purchase}", rows.0, rows.2));
        }
        let cancelled_credit = p.terms == Terms::Credit && p.status == PurchaseStatus::Cancelled;
        if cancelled_credit != (rows.1 != Decimal::ZERO) {
            problems.push(format!("purchase {id} at company {c}: cancel rows {} disagree with status {}", rows.1, p.status.code()));
        }
        let want_doc = match p.status {
            PurchaseStatus::Posted => Some(crate::inventory::model::DocStatus::Posted),
            PurchaseStatus::Cancelled => Some(crate::inventory::model::DocStatus::Cancelled),
            PurchaseStatus::Draft | PurchaseStatus::CashPending => Some(crate::inventory::model::DocStatus::Draft),
            // A rejected purchase's draft receipt was removed with the rejection.
            PurchaseStatus::Rejected => None,
        };
        let doc = match p.document {
            Some(d) => tx.get(crate::inventory::store::DOCUMENTS, (c, d))?.map(|d| d.status),
            None => None,
        };
        if doc != want_doc {
            problems.push(format!("purchase {id} at company {c} is {} but its receipt is {doc:?}", p.status.code()));
        }
        let total: Decimal = p.lines.iter().map(|l| l.amount).sum();
        if total != p.total || p.lines.iter().any(|l| l.returned > l.qty || l.returned < Decimal::ZERO) {
            problems.push(format!("purchase {id} at company {c}: lines do not add up to the total or over-returned"));
        }
        Ok(true)
    })?;
    for ((c, p), _) in by_purchase {
        problems.push(format!("payable rows name purchase {p} at company {c}, which does not exist"));
    }
    let mut returned: BTreeMap<(CompanyId, PurchaseId, u32), Decimal> = BTreeMap::new();
    tx.range(
        PURCHASE_RETURNS,
        (CompanyId::MIN, PurchaseReturnId::MIN),
        (CompanyId::MAX, PurchaseReturnId::MAX),
        false,
        usize::MAX,
        |(c, _), r| {
            for l in &r.lines {
                *returned.entry((c, r.purchase, l.line)).or_default() += l.qty;
            }
            Ok(true)
        },
    )?;
    tx.range(PURCHASES, (CompanyId::MIN, PurchaseId::MIN), (CompanyId::MAX, PurchaseId::MAX), false, usize::MAX, |(c, id), p| {
        for (i, l) in p.lines.iter().enumerate() {
            let r = returned.get(&(c, id, i as u32)).copied().unwrap_or_default();
            if r != l.returned {
                problems.push(format!("purchase {id} at company {c} line {}: returned {} but its returns say {r}", i + 1, l.returned));
            }
        }
        Ok(true)
    })?;
    let mut have_index = Vec::new();
    tx.range(
        SUPPLIER_PURCHASES,
        (CompanyId::MIN, ClientId::MIN, PurchaseId::MIN),
        (CompanyId::MAX, ClientId::MAX, PurchaseId::MAX),
        false,
        usize::MAX,
        |k, _| {
            have_index.push(k);
            Ok(true)
        },
    )?;
    index.sort();
    if index != have_index {
        problems.push("the supplier purchases index disagrees with purchases".into());
    }

    let mut pay_index = Vec::new();
    tx.range(
        PAYMENTS,
        (CompanyId::MIN, SupplierPaymentId::MIN),
        (CompanyId::MAX, SupplierPaymentId::MAX),
        false,
        usize::MAX,
        |(c, id), p| {
            pay_index.push((c, p.supplier, id));
            let rows = by_payment.remove(&(c, id)).unwrap_or_default();
            let want = match p.status {
                PaymentStatus::Applied => -p.amount,
                PaymentStatus::Pending | PaymentStatus::Rejected | PaymentStatus::Reversed => Decimal::ZERO,
            };
            if rows != want {
                problems.push(format!("supplier payment {id} at company {c} is {} but its payable rows sum to {rows}", p.status.code()));
            }
            Ok(true)
        },
    )?;
    for ((c, p), _) in by_payment {
        problems.push(format!("payable rows name supplier payment {p} at company {c}, which does not exist"));
    }
    let mut have_pay_index = Vec::new();
    tx.range(
        SUPPLIER_PAYMENTS,
        (CompanyId::MIN, ClientId::MIN, SupplierPaymentId::MIN),
        (CompanyId::MAX, ClientId::MAX, SupplierPaymentId::MAX),
        false,
        usize::MAX,
        |k, _| {
            have_pay_index.push(k);
            Ok(true)
        },
    )?;
    pay_index.sort();
    if pay_index != have_pay_index {
        problems.push("the supplier payments index disagrees with payments".into());
    }
    verify_due(tx, &mut problems)?;
    Ok(problems)
}

/// Builds the credit rows and the due-date index of a file written before they existed
/// (purchases posted on credit, no credit rows): ready to be an upgrade step. A file that
/// has credit rows already is left as is.
pub fn build_due(tx: &mut WriteTx) -> Result<(), StorageError> {
    if tx.len(SUPPLIER_CREDITS)? > 0 {
        return Ok(());
    }
    let mut rows = Vec::new();
    tx.range(PURCHASES, (CompanyId::MIN, PurchaseId::MIN), (CompanyId::MAX, PurchaseId::MAX), false, usize::MAX, |(c, id), p| {
        if let Some(row) = credit_row(&p) {
            rows.push(((c, p.supplier, date_key(&p), id), row));
        }
        Ok(true)
    })?;
    let mut suppliers = std::collections::BTreeSet::new();
    for (key, row) in rows {
        suppliers.insert((key.0, key.1));
        tx.insert(SUPPLIER_CREDITS, key, &row)?;
    }
    for (c, s) in suppliers {
        let owed = balance(tx, c, s)?.owed;
        settle(tx, c, s, owed)?;
    }
    Ok(())
}

/// The credit rows are exactly the posted credit purchases, and the due-date index is the
/// payable spread over each supplier's newest ones.
fn verify_due(tx: &impl Read, problems: &mut Vec<String>) -> Result<(), StorageError> {
    let mut want: BTreeMap<(CompanyId, ClientId, u64, PurchaseId), CreditRow> = BTreeMap::new();
    tx.range(PURCHASES, (CompanyId::MIN, PurchaseId::MIN), (CompanyId::MAX, PurchaseId::MAX), false, usize::MAX, |(c, id), p| {
        if let Some(row) = credit_row(&p) {
            want.insert((c, p.supplier, date_key(&p), id), row);
        }
        Ok(true)
    })?;
    let mut have = BTreeMap::new();
    let (lo, hi) = ((CompanyId::MIN, ClientId::MIN, 0, PurchaseId::MIN), (CompanyId::MAX, ClientId::MAX, u64::MAX, PurchaseId::MAX));
    tx.range(SUPPLIER_CREDITS, lo, hi, false, usize::MAX, |k, row| {
        have.insert(k, row);
        Ok(true)
    })?;
    if want != have {
        problems.push("the suppliers' credit rows disagree with the posted credit purchases".into());
    }
    let mut due_want = BTreeMap::new();
    let mut left: Option<((CompanyId, ClientId), Decimal)> = None;
    for ((c, s, _, id), row) in want.iter().rev() {
        if left.as_ref().is_none_or(|(k, _)| *k != (*c, *s)) {
            left = Some(((*c, *s), balance(tx, *c, *s)?.owed));
        }
        if let Some((_, l)) = left.as_mut() {
            let part = row.net.min(*l).max(Decimal::ZERO);
            *l -= part;
            if part > Decimal::ZERO {
                due_want.insert((*c, row.due, *id), DueRow { supplier: *s, outstanding: part });
            }
        }
    }
    let mut due_have = BTreeMap::new();
    tx.range(
        DUE_PURCHASES,
        (CompanyId::MIN, 0, PurchaseId::MIN),
        (CompanyId::MAX, u64::MAX, PurchaseId::MAX),
        false,
        usize::MAX,
        |k, row| {
            due_have.insert(k, row);
            Ok(true)
        },
    )?;
    if due_want != due_have {
        problems.push(format!("the due-date index holds {} purchases, the payables say {}", due_have.len(), due_want.len()));
    }
    Ok(())
}
