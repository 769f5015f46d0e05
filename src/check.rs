//! `dukan check`: recomputes every index and projection from primary data and lists every
//! mismatch. Integration tests call it at the end; backups run it on their copy.

use crate::error::Result;
use crate::storage::{Db, ReadTx};

pub fn run(db: &Db) -> Result<Vec<String>> {
    let tx = db.read()?;
    let mut problems = crate::tenancy::store::verify(&tx)?;
    problems.extend(crate::catalog::store::verify(&tx)?);
    problems.extend(crate::catalog::images::verify(&tx)?);
    problems.extend(crate::inventory::store::verify(&tx)?);
    problems.extend(crate::pos::store::verify(&tx)?);
    problems.extend(crate::pos::daily::verify(&tx)?);
    problems.extend(crate::agents::store::verify(&tx)?);
    problems.extend(crate::agents::daily::verify(&tx)?);
    problems.extend(crate::agents::request_store::verify(&tx)?);
    // Clients sit below pos: their check is handed pos's sales.
    problems.extend(crate::clients::store::verify(&tx, &mut |visit| {
        tx.range(crate::pos::store::SALES, (0, 0), (u64::MAX, u64::MAX), false, usize::MAX, |(c, id), sale| visit(c, id, &sale))
    })?);
    problems.extend(crate::finance::store::verify(&tx)?);
    problems.extend(crate::purchasing::store::verify(&tx)?);
    problems.extend(crate::printing::verify(&tx)?);
    problems.extend(crate::messaging::store::verify(&tx)?);
    problems.extend(crate::telecom::store::verify(&tx)?);
    problems.extend(crate::telecom::search::verify(&tx)?);
    problems.extend(crate::telecom::usage::verify(&tx)?);
    problems.extend(crate::scales::verify(&tx, &mut |c, sale, line| {
        let sale = tx.get(crate::pos::store::SALES, (c.0, sale.0))?;
        Ok(sale.and_then(|s| s.lines.get(line as usize).map(|l| (l.product, l.qty))))
    })?);
    problems.extend(crate::crm::store::verify(&tx)?);
    problems.extend(crate::inventory::reserve::verify(&tx)?);
    problems.extend(crate::tenancy::slug::verify(&tx)?);
    problems.extend(crate::telecom::store::verify_tickets(&tx)?);
    problems.extend(crate::scales::label::verify(&tx)?);
    problems.extend(ids_below_counter(&tx)?);
    Ok(problems)
}

/// Every stored id must be below the box-wide counter, or a future id would collide.
fn ids_below_counter(tx: &ReadTx) -> Result<Vec<String>> {
    use crate::tenancy::store::{BRANCHES, COMPANIES, ROLES, USERS};
    let next = tx.meta("next_id")?.unwrap_or(1);
    let mut max = 0u64;
    for (id, _) in tx.list(COMPANIES, 0, u64::MAX, usize::MAX)? {
        max = max.max(id);
    }
    for (cid, _) in tx.list(COMPANIES, 0, u64::MAX, usize::MAX)? {
        let lo = (cid, 0);
        let hi = (cid, u64::MAX);
        for ((_, id), _) in tx.list(USERS, lo, hi, usize::MAX)? {
            max = max.max(id);
        }
        for ((_, id), _) in tx.list(BRANCHES, lo, hi, usize::MAX)? {
            max = max.max(id);
        }
        for ((_, id), _) in tx.list(ROLES, lo, hi, usize::MAX)? {
            max = max.max(id);
        }
        tx.range(crate::audit::AUDIT, lo, hi, true, 1, |(_, id), _| {
            max = max.max(id);
            Ok(false)
        })?;
    }
    tx.range(crate::storage::outbox::OUTBOX, 0, u64::MAX, true, 1, |id, _| {
        max = max.max(id);
        Ok(false)
    })?;
    Ok(if max >= next { vec![format!("id counter {next} is not above the largest stored id {max}")] } else { vec![] })
}
