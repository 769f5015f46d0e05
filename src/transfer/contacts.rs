//! The contacts kind of import (issue 17): people at client companies — client, name, role,
//! phone, e-mail — through the same preview (the dry run, every problem of every row listed);
//! the confirmation then writes every good row in ONE transaction (`confirm` calls [`apply`]
//! in its own transaction: no job, never half a file).
//!
//! The client cell finds one of the company's clients that is not archived: by INN (the cell
//! is the INN of exactly one client), then by phone (the cell read as a phone of the company's
//! country, in E.164, as the clients import stores phones), then by name (case, `ё` and spaces
//! folded). None is `unknown_client`, several are `ambiguous_client`. Each row is checked with
//! the contact form's own rules (`crm::parse_contact`, phones in E.164 for the company's
//! country); a phone or e-mail that the client's contacts, or an earlier row for the same
//! client, already have is a `likely_duplicate` warning and the row is still imported.

use std::collections::{HashMap, HashSet};

use super::columns::{Column, Header};
use super::model::{Import, ImportRow, Kind, PreviewCounts, RowError, State};
use super::store::{IMPORTS, KINDS, ROWS};
use super::telecom::{LIKELY_DUPLICATE, blocks};
use super::{MAX_ROWS, file_error, read, row_cells};
use crate::audit;
use crate::clients::store::{CLIENT_CONTACTS, CLIENTS, contact_hash};
use crate::clock::Ts;
use crate::country::Country;
use crate::crm::{self, ContactDraft};
use crate::error::{Error, Result};
use crate::ids::{ClientId, CompanyId, ContactId, ImportId};
use crate::storage::{Read, WriteTx};
use crate::tenancy::actor::Actor;

fn draft(row: &ImportRow) -> ContactDraft {
    let cell = |c| row.cell(c).unwrap_or("").to_string();
    let phone = cell(Column::Phone);
    ContactDraft {
        name: cell(Column::Person),
        position: cell(Column::Role),
        phones: if phone.is_empty() { Vec::new() } else { vec![phone] },
        email: cell(Column::Email),
        notes: String::new(),
    }
}

fn column_of_field(field: &str) -> Option<Column> {
    Some(match field {
        "name" => Column::Person,
        "position" => Column::Role,
        "phones" => Column::Phone,
        "email" => Column::Email,
        _ => return None,
    })
}

fn name_in(columns: &[(Column, String)], c: Column) -> String {
    columns.iter().find(|(x, _)| *x == c).map(|(_, n)| n.clone()).unwrap_or_default()
}

/// A client name as matched: lower case, `ё` as `е`, single spaces.
fn folded(name: &str) -> String {
    name.to_lowercase().replace('ё', "е").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The company's clients that are not archived, by INN and by folded name; phones are found
/// through the clients' own contact index.
struct Clients {
    active: HashSet<u64>,
    by_inn: HashMap<String, Vec<ClientId>>,
    by_name: HashMap<String, Vec<ClientId>>,
}

impl Clients {
    fn load(tx: &impl Read, c: CompanyId) -> Result<Clients> {
        let mut out = Clients { active: HashSet::new(), by_inn: HashMap::new(), by_name: HashMap::new() };
        tx.range(CLIENTS, (c.0, 0), (c.0, u64::MAX), false, usize::MAX, |_, cl| {
            if cl.archived {
                return Ok(true);
            }
            out.active.insert(cl.id.0);
            let inn = cl.legal.inn.trim();
            if !inn.is_empty() {
                out.by_inn.entry(inn.to_string()).or_default().push(cl.id);
            }
            out.by_name.entry(folded(&cl.name)).or_default().push(cl.id);
            Ok(true)
        })?;
        Ok(out)
    }

    /// The one client a cell names, or the row's problem.
    fn resolve(
        &self,
        tx: &impl Read,
        c: CompanyId,
        country: Country,
        column: &str,
        cell: &str,
    ) -> Result<std::result::Result<ClientId, RowError>> {
        let problem = |code: &str, ru: String, en: String| Ok(Err(RowError { column: column.to_string(), code: code.into(), ru, en }));
        let cell = cell.trim();
        if cell.is_empty() {
            return problem("required", "Укажите клиента".into(), "Name the client".into());
        }
        let one = |ids: &[ClientId]| match ids {
            [id] => Ok(Ok(*id)),
            _ => problem(
                "ambiguous_client",
                format!("Под «{cell}» подходят {} клиента: укажите ИНН или телефон", ids.len()),
                format!("{} clients match “{cell}”: give the INN or the phone", ids.len()),
            ),
        };
        let digits: String = cell.chars().filter(|ch| !ch.is_whitespace()).collect();
        if digits.chars().all(|ch| ch.is_ascii_digit())
            && let Some(ids) = self.by_inn.get(&digits)
        {
            return one(ids);
        }
        if let Ok(phone) = country.parse_phone("client", cell) {
            let hash = contact_hash("p", &phone);
            let mut ids = Vec::new();
            tx.range(CLIENT_CONTACTS, (c.0, hash, 0), (c.0, hash, u64::MAX), false, usize::MAX, |(_, _, id), _| {
                if self.active.contains(&id) {
                    ids.push(ClientId(id));
                }
                Ok(true)
            })?;
            if !ids.is_empty() {
                return one(&ids);
            }
        }
        match self.by_name.get(&folded(cell)) {
            Some(ids) => one(ids),
            None => problem("unknown_client", format!("Нет клиента «{cell}»"), format!("No client “{cell}”")),
        }
    }
}

/// The (client, phone or e-mail) marks of a client's existing contacts.
fn existing(tx: &impl Read, c: CompanyId, client: ClientId) -> Result<HashSet<u64>> {
    let mut out = HashSet::new();
    for ((_, _, id), _) in tx.list(crm::store::CLIENT_CONTACTS, (c, client, ContactId::MIN), (c, client, ContactId::MAX), usize::MAX)? {
        if let Some(k) = tx.get(crm::store::CONTACTS, (c, id))? {
            out.extend(k.phones.iter().map(|p| contact_hash("p", p)));
            out.extend(k.email.iter().map(|e| contact_hash("e", e)));
        }
    }
    Ok(out)
}

/// Reads and checks rows against the data as it is: the clients, and each client's existing
/// contacts (read once per client).
struct Checker {
    company: CompanyId,
    country: Country,
    clients: Clients,
    contacts: HashMap<ClientId, HashSet<u64>>,
}

/// A row's problems, its client when found, and the (column, mark) pairs that find its
/// repeats in the file.
type Checked = (Vec<RowError>, Option<ClientId>, Vec<(Column, u64)>);

impl Checker {
    fn new(tx: &impl Read, company: CompanyId) -> Result<Checker> {
        let country = crate::tenancy::query::company(tx, company)?.country;
        Ok(Checker { company, country, clients: Clients::load(tx, company)?, contacts: HashMap::new() })
    }

    fn check(&mut self, tx: &impl Read, row: &ImportRow, columns: &[(Column, String)]) -> Result<Checked> {
        let c = self.company;
        let mut errors = Vec::new();
        let client =
            match self.clients.resolve(tx, c, self.country, &name_in(columns, Column::Client), row.cell(Column::Client).unwrap_or(""))? {
                Ok(id) => Some(id),
                Err(e) => {
                    errors.push(e);
                    None
                }
            };
        let parsed = match crm::parse_contact(self.country, &draft(row)) {
            Ok(f) => Some(f),
            Err(Error::Validation(fields)) => {
                errors.extend(
                    fields
                        .iter()
                        .map(|f| RowError::from_field(f, column_of_field(&f.field).map(|col| name_in(columns, col)).unwrap_or_default())),
                );
                None
            }
            Err(e) => return Err(e),
        };
        let mut marks = Vec::new();
        if let (Some(client), Some(f)) = (client, parsed) {
            let known = match self.contacts.entry(client) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(existing(tx, c, client)?),
            };
            let values = f
                .phones
                .iter()
                .map(|p| (Column::Phone, contact_hash("p", p)))
                .chain(f.email.iter().map(|e| (Column::Email, contact_hash("e", e))));
            for (column, hash) in values {
                // A mark is per client: the same phone at two clients is two people's desk phone.
                marks.push((column, hash ^ client.0.rotate_left(17)));
                if known.contains(&hash) {
                    errors.push(RowError {
                        column: name_in(columns, column),
                        code: LIKELY_DUPLICATE.into(),
                        ru: "Уже есть у контакта этого клиента".into(),
                        en: "A contact of this client already has it".into(),
                    });
                }
            }
        }
        Ok((errors, client, marks))
    }
}

/// Checks a read contacts file and stores it as an import in `Preview`; writes nothing else.
pub fn preview(tx: &mut WriteTx, actor: &Actor, now: Ts, file_name: &str, sheet: &read::Sheet) -> Result<Import> {
    Kind::Contacts.require(actor)?;
    actor.require_writable()?;
    let company = actor.company;
    let header = Header::parse_in(&sheet.rows[0], &Column::CONTACTS);
    let missing: Vec<String> =
        [Column::Client, Column::Person].into_iter().filter(|c| !header.has(*c)).map(|c| header.name_of(c)).collect();
    if !missing.is_empty() {
        let names = missing.join(", ");
        return Err(file_error(
            "no_columns",
            format!("В первой строке нет нужных колонок: {names}"),
            format!("The first row lacks the needed columns: {names}"),
        ));
    }
    if sheet.rows.len() - 1 > MAX_ROWS {
        return Err(file_error(
            "too_many_rows",
            format!("Не более {MAX_ROWS} строк в одном файле"),
            format!("At most {MAX_ROWS} rows per file"),
        ));
    }
    let mut checker = Checker::new(tx, company)?;
    let id = ImportId(tx.next_id()?);
    let (mut new, mut errors, mut index) = (0u32, 0u32, 0u64);
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for (i, raw) in sheet.rows.iter().enumerate().skip(1) {
        let Some(cells) = row_cells(&header, raw) else {
            continue;
        };
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut row = ImportRow { line, cells, target: None, errors: Vec::new(), applied: None };
        let (found, _, marks) = checker.check(tx, &row, &header.names)?;
        row.errors = found;
        super::clients::note_repeats(&mut seen, marks, line, &header, &mut row.errors);
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
    tx.insert(KINDS, (company.0, id.0), &Kind::Contacts)?;
    audit::record(tx, company, actor, now, "import.preview", format!("import:{id}"), format!("contacts {}", import.file_name))?;
    Ok(import)
}

/// Writes every remaining row of a confirmed contacts import in this one transaction, each
/// checked again against the data as it is now and saved through `crm::save_contact` (its
/// indexes, timeline and audit rows); the import is `Done` after it.
pub fn apply(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ImportId) -> Result<Import> {
    let company = actor.company;
    let c = company.0;
    let mut import = tx.get(IMPORTS, (c, id.0))?.ok_or(Error::NotFound)?;
    if import.state != State::Applying {
        return Ok(import);
    }
    let columns = import.columns.clone();
    let mut checker = Checker::new(tx, company)?;
    let rows = tx.list(ROWS, (c, id.0, u64::from(import.next_row)), (c, id.0, u64::MAX), usize::MAX)?;
    for ((_, _, index), mut row) in rows {
        if row.errors.iter().any(blocks) {
            import.failed_count += 1;
            continue;
        }
        let (found, client, _) = checker.check(tx, &row, &columns)?;
        let Some(client) = client.filter(|_| !found.iter().any(blocks)) else {
            row.errors.extend(found.into_iter().filter(blocks));
            tx.insert(ROWS, (c, id.0, index), &row)?;
            import.failed_count += 1;
            continue;
        };
        crm::save_contact(tx, actor, now, Some(client), None, &draft(&row))?;
        import.created_count += 1;
    }
    import.next_row = import.rows;
    import.state = State::Done;
    import.finished = Some(now);
    let summary = format!("+{} !{}", import.created_count, import.failed_count);
    audit::record(tx, company, actor, now, "import.apply", format!("import:{id}"), summary)?;
    tx.insert(IMPORTS, (c, id.0), &import)?;
    Ok(import)
}
