//! SIM stock: one SIM by hand, a batch generated from templates (spec B7; duplicates skipped
//! and reported), block and unblock (spec B3). Binding and release belong to contracts.

use super::model::{ContractStatus, Settings, Sim, SimStatus};
use super::store::{CONTRACTS, SIM_NUMBERS, SIMS, number_key, put_sim};
use super::{require, settings, validate};
use crate::audit;
use crate::clock::Ts;
use crate::country::Country;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{BranchId, CompanyId, SimId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::{Actor, BranchScope};
use crate::tenancy::perms::Perm;

#[derive(Debug, Clone, Default)]
pub struct SimDraft {
    pub iccid: String,
    pub imsi: String,
    pub msisdn: String,
    pub puk: String,
    /// The branch whose stock holds it; absent: the actor's branch, else the first branch.
    pub branch: Option<BranchId>,
}

/// The branch a new SIM goes to: the one named (of this company), the actor's, or the first.
fn stock_branch(tx: &impl Read, actor: &Actor, named: Option<BranchId>) -> Result<BranchId> {
    let branches = crate::tenancy::query::branches(tx, actor.company)?;
    match (named, actor.branch) {
        (Some(b), _) => branches
            .iter()
            .find(|x| x.id == b)
            .map(|x| x.id)
            .ok_or_else(|| Error::field("branch", "unknown_branch", "Нет такого филиала", "No such branch")),
        (None, BranchScope::Branch(b)) => Ok(b),
        (None, BranchScope::Company) => {
            branches.first().map(|b| b.id).ok_or_else(|| Error::field("branch", "unknown_branch", "Нет филиала", "No branch"))
        }
    }
}

/// The SIM already holding one of `sim`'s numbers, and which number.
fn taken(tx: &impl Read, c: CompanyId, sim: &Sim) -> Result<Option<&'static str>> {
    for (kind, field, n) in [(0u8, "iccid", &sim.iccid), (1, "imsi", &sim.imsi), (2, "msisdn", &sim.msisdn)] {
        if tx.get(SIM_NUMBERS, (c, kind, number_key(n)))?.is_some_and(|other| other != sim.id.0) {
            return Ok(Some(field));
        }
    }
    Ok(None)
}

fn taken_error(field: &str) -> FieldError {
    FieldError::new(field, "sim_number_taken", "Этот номер уже есть на складе", "This number is already in stock")
}

pub fn create_sim(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &SimDraft) -> Result<Sim> {
    require(actor, &[Perm::TELECOM_SIMS])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let s = settings(tx, c)?;
    let branch = stock_branch_checked(tx, actor, d)?;
    let mut sim = check_sim(tx, c, desk.country, &s, d, branch, now)?;
    sim.id = SimId(tx.next_id()?);
    put_sim(tx, c, None, &sim)?;
    audit::record(tx, c, actor, now, "telecom.sim.create", format!("sim {}", sim.id), sim.iccid.clone())?;
    Ok(sim)
}

/// The branch a new SIM of `d` goes to (see `stock_branch`).
pub fn stock_branch_checked(tx: &impl Read, actor: &Actor, d: &SimDraft) -> Result<BranchId> {
    stock_branch(tx, actor, d.branch)
}

/// Checks a SIM as typed and builds it unsaved (id 0, free, in `branch`): every problem of
/// its numbers at once, a number already in stock among them. Imports check each row with
/// this before anything is written, and again when the row is applied.
pub fn check_sim(tx: &impl Read, c: CompanyId, country: Country, s: &Settings, d: &SimDraft, branch: BranchId, now: Ts) -> Result<Sim> {
    let mut p = Problems::default();
    let iccid = p.take(validate::iccid("iccid", &d.iccid));
    let imsi = p.take(validate::imsi("imsi", &d.imsi, &s.mcc, &s.mnc));
    let msisdn = p.take(validate::msisdn(country, "msisdn", &d.msisdn));
    let puk = match d.puk.trim() {
        "" => None,
        raw => p.take(validate::puk("puk", raw)),
    };
    for (kind, field, n) in [(0u8, "iccid", &iccid), (1, "imsi", &imsi), (2, "msisdn", &msisdn)] {
        if let Some(n) = n
            && tx.get(SIM_NUMBERS, (c, kind, number_key(n)))?.is_some()
        {
            p.push(taken_error(field));
        }
    }
    p.finish()?;
    let (Some(iccid), Some(imsi), Some(msisdn)) = (iccid, imsi, msisdn) else {
        return Err(Error::Internal("SIM parsed with problems".into()));
    };
    Ok(Sim { id: SimId(0), iccid, imsi, msisdn, puk, status: SimStatus::Free, branch, contract: None, created: now })
}

/// Stores a SIM `check_sim` built, under a new id, through the SIM's one write path. The
/// caller holds the bulk right and writes the audit row (imports write one per batch).
pub fn store_checked(tx: &mut WriteTx, c: CompanyId, mut sim: Sim) -> Result<Sim> {
    sim.id = SimId(tx.next_id()?);
    put_sim(tx, c, None, &sim)?;
    Ok(sim)
}

#[derive(Debug, Clone, Default)]
pub struct GenerateDraft {
    /// 1–1000.
    pub count: String,
    /// The first value of `{num}` (default 1).
    pub start: String,
    /// The ICCID without its check digit (18 or 19 digits once filled in); the Luhn check
    /// digit is computed and appended.
    pub iccid: String,
    /// 15 digits once filled in.
    pub imsi: String,
    /// The MSISDN, once filled in, as the desk would type it.
    pub msisdn: String,
    pub branch: Option<BranchId>,
}

/// Fills the first `{num}` or `{num:0N}` (N digits, zero-padded) of a template.
pub fn fill(template: &str, num: u64) -> Option<String> {
    let open = template.find("{num")?;
    let close = open + template[open..].find('}')?;
    let spec = &template[open + 4..close];
    let value = match spec.strip_prefix(":0") {
        Some(w) => format!("{num:0width$}", width = w.parse::<usize>().ok().filter(|w| *w <= 20)?),
        None if spec.is_empty() => num.to_string(),
        None => return None,
    };
    Some(format!("{}{value}{}", &template[..open], &template[close + 1..]))
}

/// What a generation did: the SIMs created, and the ICCIDs skipped with the number that was
/// already in stock (or repeated within the batch).
#[derive(Debug, Clone, Default)]
pub struct Generated {
    pub created: Vec<Sim>,
    pub skipped: Vec<(String, &'static str)>,
}

/// Generates test stock from templates (spec B7). Every SIM must pass the same validators as
/// one typed by hand — a template yielding an invalid number refuses the whole batch — and
/// SIMs whose numbers are already in stock are skipped and reported.
pub fn generate(tx: &mut WriteTx, actor: &Actor, now: Ts, d: &GenerateDraft) -> Result<Generated> {
    require(actor, &[Perm::TELECOM_SIMS_BULK])?;
    let c = actor.company;
    let desk = super::desk(tx, c, now)?;
    let s = settings(tx, c)?;
    let mut p = Problems::default();
    let count = match d.count.trim().parse::<u64>() {
        Ok(n) if (1..=1000).contains(&n) => n,
        _ => {
            p.push(FieldError::new("count", "count", "Количество: от 1 до 1000", "Count: 1 to 1000"));
            0
        }
    };
    let start = match d.start.trim() {
        "" => 1,
        raw => raw.parse::<u64>().unwrap_or_else(|_| {
            p.push(FieldError::new("start", "start", "Начальный номер: целое число", "Start: a whole number"));
            1
        }),
    };
    for (field, t) in [("iccid", &d.iccid), ("imsi", &d.imsi), ("msisdn", &d.msisdn)] {
        if fill(t, 0).is_none() {
            p.push(FieldError::new(
                field,
                "template",
                "Шаблон должен содержать {num} или {num:05}",
                "The template needs {num} or {num:05}",
            ));
        }
    }
    p.finish()?;
    let branch = stock_branch(tx, actor, d.branch)?;
    let mut out = Generated::default();
    for num in start..start.saturating_add(count) {
        let mut p = Problems::default();
        let body = fill(&d.iccid, num).unwrap_or_default();
        let iccid = match (body.len(), validate::luhn_digit(&body)) {
            (18 | 19, Some(check)) if body.chars().all(|ch| ch.is_ascii_digit()) => {
                p.take(validate::iccid("iccid", &format!("{body}{check}")))
            }
            _ => {
                p.push(FieldError::new(
                    "iccid",
                    "template",
                    "Шаблон ICCID даёт 18–19 цифр без контрольной",
                    "The ICCID template gives 18–19 digits before the check digit",
                ));
                None
            }
        };
        let imsi = p.take(validate::imsi("imsi", &fill(&d.imsi, num).unwrap_or_default(), &s.mcc, &s.mnc));
        let msisdn = p.take(validate::msisdn(desk.country, "msisdn", &fill(&d.msisdn, num).unwrap_or_default()));
        p.finish()?;
        let (Some(iccid), Some(imsi), Some(msisdn)) = (iccid, imsi, msisdn) else {
            return Err(Error::Internal("generated SIM parsed with problems".into()));
        };
        let mut sim = Sim { id: SimId(0), iccid, imsi, msisdn, puk: None, status: SimStatus::Free, branch, contract: None, created: now };
        if let Some(field) = taken(tx, c, &sim)? {
            out.skipped.push((sim.iccid, field));
            continue;
        }
        sim.id = SimId(tx.next_id()?);
        put_sim(tx, c, None, &sim)?;
        out.created.push(sim);
    }
    audit::record(
        tx,
        c,
        actor,
        now,
        "telecom.sim.generate",
        String::new(),
        format!("{} created, {} skipped", out.created.len(), out.skipped.len()),
    )?;
    Ok(out)
}

/// Blocks a SIM (any status but closed); it keeps its contract.
pub fn block(tx: &mut WriteTx, actor: &Actor, now: Ts, id: SimId) -> Result<Sim> {
    require(actor, &[Perm::TELECOM_SIMS])?;
    let c = actor.company;
    let old = tx.get(SIMS, (c, id))?.ok_or(Error::NotFound)?;
    if matches!(old.status, SimStatus::Closed | SimStatus::Blocked) {
        return Err(Error::WrongState { state: old.status.code() });
    }
    let new = Sim { status: SimStatus::Blocked, ..old.clone() };
    put_sim(tx, c, Some(&old), &new)?;
    audit::record(tx, c, actor, now, "telecom.sim.block", format!("sim {id}"), new.iccid.clone())?;
    Ok(new)
}

/// Unblocks a SIM: it follows its contract (active or suspended), or is free without one.
pub fn unblock(tx: &mut WriteTx, actor: &Actor, now: Ts, id: SimId) -> Result<Sim> {
    require(actor, &[Perm::TELECOM_SIMS])?;
    let c = actor.company;
    let old = tx.get(SIMS, (c, id))?.ok_or(Error::NotFound)?;
    if old.status != SimStatus::Blocked {
        return Err(Error::WrongState { state: old.status.code() });
    }
    let status = match old.contract {
        Some(k) => match tx.get(CONTRACTS, (c, k))?.map(|k| k.status) {
            Some(ContractStatus::Suspended) => SimStatus::Suspended,
            _ => SimStatus::Active,
        },
        None => SimStatus::Free,
    };
    let new = Sim { status, ..old.clone() };
    put_sim(tx, c, Some(&old), &new)?;
    audit::record(tx, c, actor, now, "telecom.sim.unblock", format!("sim {id}"), new.iccid.clone())?;
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn templates_fill_their_placeholder() {
        assert_eq!(fill("89996010000{num:07}", 42).as_deref(), Some("899960100000000042"));
        assert_eq!(fill("+996555{num:06}", 7).as_deref(), Some("+996555000007"));
        assert_eq!(fill("437010{num}", 5).as_deref(), Some("4370105"));
        assert_eq!(fill("no placeholder", 1), None);
        assert_eq!(fill("{num:x}", 1), None);
    }
}
