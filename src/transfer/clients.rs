//! The clients kind of import (issue 17, crm4): name, phone, e-mail, INN, address and notes,
//! through the same preview (the dry run) → confirm → resumable job as products.
//!
//! Each row is checked with the client form's own rules (`clients::parse_draft`, phones read
//! for the company's country). A phone or e-mail that an existing client, or an earlier row of
//! the file, already has is reported on the row as a warning (`LIKELY_DUPLICATE`) and the row
//! is still imported — the same rule as the client form, where two family members may share a
//! phone. `apply_chunk` writes each row through `clients::save_client` (indexes and its audit
//! row), checking it again against the data as it is then.

use std::collections::HashMap;

use super::columns::{Column, Header};
use super::model::{Import, ImportRow, Kind, PreviewCounts, RowError, State};
use super::store::{IMPORTS, KINDS, ROWS};
use super::telecom::{LIKELY_DUPLICATE, blocks};
use super::{MAX_ROWS, file_error, read, row_cells};
use crate::audit;
use crate::clients::store::{CLIENT_CONTACTS, CLIENTS, contact_hash};
use crate::clients::{self, ClientDraft};
use crate::clock::Ts;
use crate::error::{Error, Problems, Result};
use crate::ids::{CompanyId, ImportId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;

fn draft(row: &ImportRow) -> ClientDraft {
    let cell = |c| row.cell(c).unwrap_or("").to_string();
    ClientDraft {
        kind: "client".into(),
        name: cell(Column::Name),
        phone: cell(Column::Phone),
        email: cell(Column::Email),
        inn: cell(Column::Inn),
        address: cell(Column::Address),
        notes: cell(Column::Notes),
        ..ClientDraft::default()
    }
}

fn column_of_field(field: &str) -> Option<Column> {
    Some(match field {
        "name" => Column::Name,
        "phone" => Column::Phone,
        "email" => Column::Email,
        "inn" => Column::Inn,
        "address" => Column::Address,
        "notes" => Column::Notes,
        _ => return None,
    })
}

fn name_in(columns: &[(Column, String)], c: Column) -> String {
    columns.iter().find(|(x, _)| *x == c).map(|(_, n)| n.clone()).unwrap_or_default()
}

/// The name of an existing client of the company holding this contact hash, if any.
fn holder(tx: &impl Read, c: CompanyId, hash: u64) -> Result<Option<String>> {
    let mut found = None;
    tx.range(CLIENT_CONTACTS, (c.0, hash, 0), (c.0, hash, u64::MAX), false, 1, |(_, _, id), _| {
        found = Some(id);
        Ok(false)
    })?;
    Ok(match found {
        Some(id) => tx.get(CLIENTS, (c.0, id))?.map(|cl| cl.name),
        None => None,
    })
}

/// A row's problems, and the (column, contact hash) pairs that find its repeats in the file.
type Checked = (Vec<RowError>, Vec<(Column, u64)>);

/// A row checked against the data: its problems and the contact hashes to find repeats in
/// the file with.
fn check_row(
    tx: &impl Read,
    c: CompanyId,
    country: crate::country::Country,
    row: &ImportRow,
    columns: &[(Column, String)],
) -> Result<Checked> {
    let mut p = Problems::default();
    let parsed = clients::parse_draft(country, &draft(row), &mut p);
    let mut errors: Vec<RowError> = match p.finish() {
        Ok(()) => Vec::new(),
        Err(Error::Validation(fields)) => fields
            .iter()
            .map(|f| RowError::from_field(f, column_of_field(&f.field).map(|col| name_in(columns, col)).unwrap_or_default()))
            .collect(),
        Err(e) => return Err(e),
    };
    let mut marks = Vec::new();
    if let Some(f) = parsed {
        let contacts = [(Column::Phone, "p", f.phone), (Column::Email, "e", f.email)];
        for (col, tag, value) in contacts {
            let Some(value) = value else { continue };
            let hash = contact_hash(tag, &value);
            marks.push((col, hash));
            if let Some(name) = holder(tx, c, hash)? {
                errors.push(RowError {
                    column: name_in(columns, col),
                    code: LIKELY_DUPLICATE.into(),
                    ru: format!("Уже есть у клиента «{name}»"),
                    en: format!("Client “{name}” already has it"),
                });
            }
        }
    }
    Ok((errors, marks))
}

/// Checks a read client file and stores it as an import in `Preview`; writes nothing else.
pub fn preview(tx: &mut WriteTx, actor: &Actor, now: Ts, file_name: &str, sheet: &read::Sheet) -> Result<Import> {
    Kind::Clients.require(actor)?;
    actor.require_writable()?;
    let company = actor.company;
    let header = Header::parse_in(&sheet.rows[0], &Column::CLIENTS);
    if !header.has(Column::Name) {
        let name = header.name_of(Column::Name);
        return Err(file_error(
            "no_columns",
            format!("В первой строке нет нужных колонок: {name}"),
            format!("The first row lacks the needed columns: {name}"),
        ));
    }
    if sheet.rows.len() - 1 > MAX_ROWS {
        return Err(file_error(
            "too_many_rows",
            format!("Не более {MAX_ROWS} строк в одном файле"),
            format!("At most {MAX_ROWS} rows per file"),
        ));
    }
    let country = crate::tenancy::query::company(tx, company)?.country;
    let id = ImportId(tx.next_id()?);
    let (mut new, mut errors, mut index) = (0u32, 0u32, 0u64);
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for (i, raw) in sheet.rows.iter().enumerate().skip(1) {
        let Some(cells) = row_cells(&header, raw) else {
            continue;
        };
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut row = ImportRow { line, cells, target: None, errors: Vec::new(), applied: None };
        let (found, marks) = check_row(tx, company, country, &row, &header.names)?;
        row.errors = found;
        note_repeats(&mut seen, marks, line, &header, &mut row.errors);
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
    tx.insert(KINDS, (company.0, id.0), &Kind::Clients)?;
    audit::record(tx, company, actor, now, "import.preview", format!("import:{id}"), format!("clients {}", import.file_name))?;
    Ok(import)
}

/// Applies up to `chunk` rows of an applying client import in this one transaction; the
/// import is `Done` after its last row.
pub fn apply_chunk(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ImportId, chunk: u32) -> Result<Import> {
    let company = actor.company;
    let c = company.0;
    let mut import = tx.get(IMPORTS, (c, id.0))?.ok_or(Error::NotFound)?;
    if import.state != State::Applying {
        return Ok(import);
    }
    let columns = import.columns.clone();
    let country = crate::tenancy::query::company(tx, company)?.country;
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
        let (found, _) = check_row(tx, company, country, &row, &columns)?;
        if found.iter().any(blocks) {
            row.errors.extend(found.into_iter().filter(blocks));
            tx.insert(ROWS, (c, id.0, index), &row)?;
            failed += 1;
            continue;
        }
        clients::save_client(tx, actor, now, None, &draft(&row))?;
        written += 1;
    }
    import.created_count += written;
    import.failed_count += failed;
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

/// Marks a row whose phone, e-mail or other duplicate mark an earlier row of the same file
/// already had (`likely_duplicate`, a warning naming that row); remembers the first row of each
/// mark. Shared by the clients and contacts previews.
pub(super) fn note_repeats(
    seen: &mut HashMap<u64, u32>,
    marks: impl IntoIterator<Item = (Column, u64)>,
    line: u32,
    header: &Header,
    errors: &mut Vec<RowError>,
) {
    for (column, mark) in marks {
        match seen.get(&mark) {
            Some(first) => errors.push(RowError {
                column: header.name_of(column),
                code: LIKELY_DUPLICATE.into(),
                ru: format!("Как в строке {first}"),
                en: format!("Same as row {first}"),
            }),
            None => {
                seen.insert(mark, line);
            }
        }
    }
}
