//! The telecom kinds of import (spec B7, issue 13): a SIM delivery (`iccid, imsi, msisdn,
//! puk, tariff`) and individual subscribers, through the same preview → confirm → resumable
//! job as products.
//!
//! - `preview` checks every row with the desk's own rules (`telecom::sims::check_sim`,
//!   `telecom::check_subscriber`) plus uniqueness inside the file, lists every problem of
//!   every row at once, and writes only the import and its rows.
//! - `apply_chunk` writes `CHUNK` rows per transaction — the records through their one write
//!   path (indexes included), one audit row per batch, and the progress — checking each row
//!   again against the data as it is then (a SIM taken meanwhile fails its row, not the file).
//!
//! Subscribers follow the dedup rules (spec B6): an identical document or personal number
//! (in the data or earlier in the file) is an error; a shared phone, e-mail or name with
//! birth date is reported as a warning (`LIKELY_DUPLICATE`) and the row is still imported.

use std::collections::HashMap;

use super::columns::{Column, Header};
use super::model::{Import, ImportRow, Kind, PreviewCounts, RowError, State};
use super::store::{IMPORTS, KINDS, ROWS};
use super::{MAX_ROWS, file_error, read, row_cells};
use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Result};
use crate::ids::{CompanyId, ImportId, SubscriberId};
use crate::storage::{Read, WriteTx};
use crate::telecom::{self, SubscriberDraft, sims::SimDraft};
use crate::tenancy::actor::Actor;

/// The code of a warning row problem: reported, but the row is still imported.
pub const LIKELY_DUPLICATE: &str = "likely_duplicate";

/// Whether a row problem stops the row (every problem but a likely-duplicate warning).
pub fn blocks(e: &RowError) -> bool {
    e.code != LIKELY_DUPLICATE
}

fn columns_of(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Sims => &Column::SIMS,
        _ => &Column::SUBSCRIBERS,
    }
}

/// The file column a desk rule's `FieldError::field` complains about.
fn column_of_field(field: &str) -> Option<Column> {
    Some(match field {
        "iccid" => Column::Iccid,
        "imsi" => Column::Imsi,
        "msisdn" => Column::Msisdn,
        "puk" => Column::Puk,
        "tariff" => Column::Tariff,
        "last_name" => Column::LastName,
        "first_name" => Column::FirstName,
        "patronymic" => Column::Patronymic,
        "birth_date" => Column::BirthDate,
        "doc_kind" => Column::DocKind,
        "document" => Column::DocNumber,
        "personal_no" => Column::PersonalNo,
        "phone" => Column::Phone,
        "email" => Column::Email,
        "address" => Column::Address,
        _ => return None,
    })
}

fn name_in(columns: &[(Column, String)], c: Column) -> String {
    columns.iter().find(|(x, _)| *x == c).map(|(_, n)| n.clone()).unwrap_or_default()
}

/// A rule's refusal as row problems; a failure that is not about the row's cells (storage)
/// is returned as the error it is.
fn problems_of(columns: &[(Column, String)], e: Error) -> Result<Vec<RowError>> {
    match e {
        Error::Validation(fields) => Ok(fields
            .iter()
            .map(|f| RowError::from_field(f, column_of_field(&f.field).map(|c| name_in(columns, c)).unwrap_or_default()))
            .collect()),
        e @ (Error::Refused { .. } | Error::NotFound | Error::WrongState { .. }) => {
            let f = FieldError::new("", "refused", e.message(crate::i18n::Lang::Ru), e.message(crate::i18n::Lang::En));
            Ok(vec![RowError::from_field(&f, String::new())])
        }
        e => Err(e),
    }
}

/// What a SIM row asks for.
fn sim_draft(row: &ImportRow) -> SimDraft {
    let cell = |c| row.cell(c).unwrap_or("").to_string();
    SimDraft { iccid: cell(Column::Iccid), imsi: cell(Column::Imsi), msisdn: cell(Column::Msisdn), puk: cell(Column::Puk), branch: None }
}

/// What a subscriber row asks for (an individual).
fn subscriber_draft(row: &ImportRow) -> SubscriberDraft {
    let cell = |c| row.cell(c).unwrap_or("").to_string();
    SubscriberDraft {
        last_name: cell(Column::LastName),
        first_name: cell(Column::FirstName),
        patronymic: cell(Column::Patronymic),
        birth_date: cell(Column::BirthDate),
        doc_kind: cell(Column::DocKind),
        doc_series: cell(Column::DocSeries),
        doc_number: cell(Column::DocNumber),
        personal_no: cell(Column::PersonalNo),
        phone: cell(Column::Phone),
        email: cell(Column::Email),
        address: cell(Column::Address),
        ..SubscriberDraft::default()
    }
}

/// A SIM row's tariff cell: empty, or the name of a tariff taking new contracts.
fn tariff_problem(tx: &impl Read, c: CompanyId, name: &str) -> Result<Option<FieldError>> {
    let name = name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let found = match tx.get(telecom::store::TARIFF_NAMES, (c, telecom::store::fold(name).as_str()))? {
        Some(id) => tx.get(telecom::store::TARIFFS, (c, crate::ids::TariffId(id)))?,
        None => None,
    };
    Ok(match found {
        Some(t) if !t.archived => None,
        Some(_) => Some(FieldError::new("tariff", "tariff_archived", "Тариф в архиве", "The tariff is archived")),
        None => Some(FieldError::new("tariff", "unknown_tariff", format!("Нет тарифа «{name}»"), format!("No tariff “{name}”"))),
    })
}

/// What the whole file is checked against: the desk's country, settings and stock branch.
struct Ctx {
    desk: telecom::Desk,
    settings: telecom::model::Settings,
    branch: crate::ids::BranchId,
}

impl Ctx {
    fn load(tx: &impl Read, actor: &Actor, now: Ts) -> Result<Ctx> {
        let desk = telecom::desk(tx, actor.company, now)?;
        let settings = telecom::settings(tx, actor.company)?;
        let branch = telecom::sims::stock_branch_checked(tx, actor, &SimDraft::default())?;
        Ok(Ctx { desk, settings, branch })
    }
}

/// One row checked against the data: its problems, and for SIMs the numbers and for
/// subscribers the marks that must be unique within the file.
fn check_row(
    tx: &impl Read,
    actor: &Actor,
    ctx: &Ctx,
    now: Ts,
    kind: Kind,
    row: &ImportRow,
    columns: &[(Column, String)],
) -> Result<Checked> {
    let c = actor.company;
    match kind {
        Kind::Sims => {
            let d = sim_draft(row);
            let (mut errors, sim) = match telecom::sims::check_sim(tx, c, ctx.desk.country, &ctx.settings, &d, ctx.branch, now) {
                Ok(sim) => (Vec::new(), Some(sim)),
                Err(e) => (problems_of(columns, e)?, None),
            };
            if let Some(f) = tariff_problem(tx, c, row.cell(Column::Tariff).unwrap_or(""))? {
                errors.push(RowError::from_field(&f, name_in(columns, Column::Tariff)));
            }
            // Numbers as typed, digits only, so a number repeated in the file is caught even
            // when the row has other problems.
            let unique = [(Column::Iccid, &d.iccid), (Column::Imsi, &d.imsi), (Column::Msisdn, &d.msisdn)]
                .into_iter()
                .map(|(col, v)| (col, telecom::store::number_key(v)))
                .filter(|(_, k)| *k != 0)
                .map(|(col, k)| (col, u64::from(col as u8), k, true))
                .collect();
            Ok(Checked { errors, unique, sim, subscriber: None })
        }
        _ => {
            let d = subscriber_draft(row);
            match telecom::check_subscriber(tx, actor, &ctx.desk, now, None, &d) {
                Ok((s, dups)) => {
                    let errors = dups
                        .iter()
                        .map(|dup| RowError {
                            column: String::new(),
                            code: LIKELY_DUPLICATE.into(),
                            ru: format!("Возможный дубль абонента «{}» ({})", dup.subscriber.display_name(), dup.reasons.join(", ")),
                            en: format!("Likely duplicate of subscriber “{}” ({})", dup.subscriber.display_name(), dup.reasons.join(", ")),
                        })
                        .collect();
                    let identity = telecom::store::identity_marks(&s).into_iter().map(|(_, h)| (Column::DocNumber, 0, u128::from(h), true));
                    let likely = telecom::store::likely_marks(&s).into_iter().map(|(_, h)| (Column::Phone, 1, u128::from(h), false));
                    Ok(Checked { errors, unique: identity.chain(likely).collect(), sim: None, subscriber: Some(s) })
                }
                Err(e) => Ok(Checked { errors: problems_of(columns, e)?, unique: Vec::new(), sim: None, subscriber: None }),
            }
        }
    }
}

struct Checked {
    errors: Vec<RowError>,
    /// (column, key space, key, whether a repeat is an error rather than a warning).
    unique: Vec<(Column, u64, u128, bool)>,
    sim: Option<telecom::model::Sim>,
    subscriber: Option<telecom::model::Subscriber>,
}

/// Checks a read file of a telecom kind and stores it as an import in `Preview`; writes
/// nothing else.
pub fn preview(tx: &mut WriteTx, actor: &Actor, now: Ts, kind: Kind, file_name: &str, sheet: &read::Sheet) -> Result<Import> {
    kind.require(actor)?;
    actor.require_writable()?;
    let company = actor.company;
    let set = columns_of(kind);
    let header = Header::parse_in(&sheet.rows[0], set);
    let needed: &[Column] = match kind {
        Kind::Sims => &[Column::Iccid, Column::Imsi, Column::Msisdn],
        _ => &[Column::LastName, Column::FirstName, Column::Phone],
    };
    let missing: Vec<String> = needed.iter().filter(|c| !header.has(**c)).map(|c| header.name_of(*c)).collect();
    if !missing.is_empty() {
        let list = missing.join(", ");
        return Err(file_error(
            "no_columns",
            format!("В первой строке нет нужных колонок: {list}"),
            format!("The first row lacks the needed columns: {list}"),
        ));
    }
    if sheet.rows.len() - 1 > MAX_ROWS {
        return Err(file_error(
            "too_many_rows",
            format!("Не более {MAX_ROWS} строк в одном файле"),
            format!("At most {MAX_ROWS} rows per file"),
        ));
    }
    let ctx = Ctx::load(tx, actor, now)?;
    let id = ImportId(tx.next_id()?);
    let (mut new, mut errors, mut index) = (0u32, 0u32, 0u64);
    let mut seen: HashMap<(u64, u128), u32> = HashMap::new();
    for (i, raw) in sheet.rows.iter().enumerate().skip(1) {
        let Some(cells) = row_cells(&header, raw) else {
            continue;
        };
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut row = ImportRow { line, cells, target: None, errors: Vec::new(), applied: None };
        let checked = check_row(tx, actor, &ctx, now, kind, &row, &header.names)?;
        row.errors = checked.errors;
        for (column, space, key, hard) in checked.unique {
            match seen.get(&(space, key)) {
                Some(first) => row.errors.push(RowError {
                    column: header.name_of(column),
                    code: if hard { "duplicate_in_file".into() } else { LIKELY_DUPLICATE.into() },
                    ru: format!("Повтор строки {first}"),
                    en: format!("Repeats row {first}"),
                }),
                None => {
                    seen.insert((space, key), line);
                }
            }
        }
        if row.errors.iter().any(blocks) {
            errors += 1;
        } else {
            new += 1;
        }
        tx.insert(ROWS, (company.0, id.0, index), &row)?;
        index += 1;
    }
    let counts = PreviewCounts { rows: index, new, updates: 0, errors };
    let import = Import::preview(id, actor.user, file_name, &sheet.format, now, &header, counts);
    tx.insert(IMPORTS, (company.0, id.0), &import)?;
    tx.insert(KINDS, (company.0, id.0), &kind)?;
    audit::record(tx, company, actor, now, "import.preview", format!("import:{id}"), format!("{} {}", kind.code(), import.file_name))?;
    Ok(import)
}

/// Applies up to `chunk` rows of an applying telecom import in this one transaction: each row
/// checked again, written through its record's one write path, one audit row for the batch,
/// and the progress. The import is `Done` after its last row.
pub fn apply_chunk(tx: &mut WriteTx, actor: &Actor, now: Ts, kind: Kind, id: ImportId, chunk: u32) -> Result<Import> {
    let company = actor.company;
    let c = company.0;
    let mut import = tx.get(IMPORTS, (c, id.0))?.ok_or(Error::NotFound)?;
    if import.state != State::Applying {
        return Ok(import);
    }
    let columns = import.columns.clone();
    let ctx = Ctx::load(tx, actor, now)?;
    let from = u64::from(import.next_row);
    let to = from + u64::from(chunk.max(1));
    let rows = tx.list(ROWS, (c, id.0, from), (c, id.0, to - 1), usize::MAX)?;
    let (mut written, mut failed) = (0u32, 0u32);
    for ((_, _, index), mut row) in rows {
        import.next_row = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if row.errors.iter().any(blocks) {
            failed += 1;
            continue;
        }
        let checked = check_row(tx, actor, &ctx, now, kind, &row, &columns)?;
        if checked.errors.iter().any(blocks) {
            row.errors.extend(checked.errors.into_iter().filter(blocks));
            tx.insert(ROWS, (c, id.0, index), &row)?;
            failed += 1;
            continue;
        }
        if let Some(sim) = checked.sim {
            telecom::sims::store_checked(tx, company, sim)?;
        } else if let Some(mut s) = checked.subscriber {
            s.id = SubscriberId(tx.next_id()?);
            telecom::store::put_subscriber(tx, company, None, &s)?;
        }
        written += 1;
    }
    import.created_count += written;
    import.failed_count += failed;
    let action = match kind {
        Kind::Sims => "telecom.sim.import",
        _ => "telecom.subscriber.import",
    };
    audit::record(
        tx,
        company,
        actor,
        now,
        action,
        format!("import:{id}"),
        format!("rows {}–{}: +{written} !{failed}", from + 1, import.next_row),
    )?;
    if import.next_row >= import.rows {
        import.next_row = import.rows;
        import.state = State::Done;
        import.finished = Some(now);
        let summary = format!("+{} !{}", import.created_count, import.failed_count);
        audit::record(tx, company, actor, now, "import.apply", format!("import:{id}"), summary)?;
    }
    tx.insert(IMPORTS, (c, id.0), &import)?;
    Ok(import)
}
