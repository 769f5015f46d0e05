//! `dukan import`: the steps the command runs, shared by the control socket (server running)
//! and the command itself (data file opened directly). The CLI acts as a user of the company:
//! its owner (`--company ID`) or the user with that e-mail (`--company E-MAIL`).

use std::path::Path;

use super::model::{Import, State};
use crate::clock::Ts;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::ids::{CompanyId, ImportId};
use crate::storage::{Db, ReadTx, outbox};
use crate::tenancy::actor::Actor;

/// The actor `who` names: a company id (its owner) or a user's e-mail.
pub fn actor(tx: &ReadTx, who: &str, now: Ts) -> Result<Actor> {
    let who = who.trim();
    let (company, user) = match who.parse::<u64>() {
        Ok(id) => {
            let company = crate::tenancy::store::company(tx, CompanyId(id))?.ok_or(Error::NotFound)?;
            (company.id, company.owner)
        }
        Err(_) => {
            let found = tx.get(crate::tenancy::store::LOGINS, who.to_lowercase().as_str())?.ok_or(Error::NotFound)?;
            (found.company, found.user)
        }
    };
    crate::auth::actor_for_user(tx, company, user, now, "cli")
}

/// One line per problem: "row 4, Штрихкод: Barcode 123: wrong check digit".
pub fn problems(tx: &ReadTx, company: CompanyId, id: ImportId, lang: Lang) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for row in super::rows(tx, company, id, 0, usize::MAX, true)? {
        for e in &row.errors {
            let column = if e.column.is_empty() { String::new() } else { format!(", {}", e.column) };
            out.push(format!("row {}{column}: {}", row.line, e.message(lang)));
        }
    }
    Ok(out)
}

/// Reads `path` and stores its preview.
pub fn preview(db: &Db, who: &str, path: &Path, now: Ts) -> Result<Import> {
    let bytes =
        std::fs::read(path).map_err(|e| Error::BadRequest { code: "unreadable_file", detail: format!("{}: {e}", path.display()) })?;
    let actor = actor(&db.read()?, who, now)?;
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let sheet = super::read_file(&bytes, &super::read::LIMITS)?;
    db.write_blocking(|tx| super::preview(tx, &actor, now, &name, &sheet))
}

pub fn confirm(db: &Db, who: &str, id: ImportId, skip_invalid: bool, now: Ts) -> Result<Import> {
    let actor = actor(&db.read()?, who, now)?;
    db.write_blocking(|tx| super::confirm(tx, &actor, now, id, skip_invalid))
}

pub fn status(db: &Db, who: &str, id: ImportId, now: Ts) -> Result<Import> {
    let tx = db.read()?;
    let actor = actor(&tx, who, now)?;
    super::import(&tx, actor.company, id)
}

/// Applies a confirmed import to the end without a server: the same chunks and outbox job
/// the import worker runs. `progress(applied, total)` after each chunk.
pub fn apply_all(db: &Db, id: ImportId, company: CompanyId, now: &dyn Fn() -> Ts, progress: &dyn Fn(u32, u32)) -> Result<Import> {
    let job = outbox::due(&db.read()?, "import", i64::MAX, usize::MAX)?
        .into_iter()
        .find(|(_, j)| j.company == company.0 && j.kind == outbox::JobKind::ImportApply { import: id.0 })
        .map(|(job_id, _)| job_id);
    if let Some(job) = job {
        loop {
            let at = now();
            let actor = super::actor_of(&db.read()?, company, id, at)?;
            let step = db.write_blocking(|tx| super::apply_job(tx, actor, at, company, id, job))?;
            match step {
                Some((done, total)) => progress(done, total),
                None => break,
            }
        }
    }
    let import = super::import(&db.read()?, company, id)?;
    progress(import.next_row, import.rows);
    Ok(import)
}

pub fn finished(i: &Import) -> bool {
    matches!(i.state, State::Done | State::Failed)
}
