//! Product import and export (CSV, XLSX/XLS/ODS in; CSV and XLSX out).
//!
//! An import goes preview → confirm → apply:
//! - `preview` reads the file, maps its header, checks every row with the catalog's own rules
//!   (`catalog::check_product`) plus uniqueness inside the file, and stores the import and
//!   its rows in one transaction. The catalog is not touched.
//! - `confirm` refuses an import with problems unless the user chose to skip invalid rows,
//!   then queues `JobKind::ImportApply` in the outbox.
//! - `apply_chunk` (the import worker, or `dukan import` without a server) applies `CHUNK`
//!   rows per transaction, checking each row again against the data as it is then; progress
//!   (`next_row`) commits with the products, so a restart resumes where it stopped.
//!
//! A row updates an existing product when its code, one of its barcodes, or its article
//! (when exactly one product has it) matches; columns absent from the file keep the
//! product's values. Missing categories ("A / B" paths) and brands are created when applied.

pub mod cli;
pub mod clients;
pub mod columns;
pub mod contacts;
pub mod export;
pub mod model;
mod ods;
pub mod read;
pub mod store;
pub mod telecom;
mod xls;

use std::collections::HashMap;

use crate::audit;
use crate::catalog::model::Product;
use crate::catalog::store::{BARCODES, BRANDS, CATEGORIES, PRODUCTS};
use crate::catalog::{self, ProductDraft};
use crate::clock::Ts;
use crate::error::{Error, FieldError, Result};
use crate::ids::{BrandId, CategoryId, CompanyId, ImportId, ProductId};
use crate::storage::outbox::{self, JobKind};
use crate::storage::{ReadTx, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::perms::Perm;
use columns::{Column, Header};
use model::{Import, ImportRow, Kind, PreviewCounts, RowError, State};
use store::{IMPORTS, ROWS};

/// A data row's cells in the header's columns, trimmed, with spreadsheet formulas disarmed;
/// `None` when every cell is empty (such a row is skipped, not counted). Every import kind's
/// preview reads its rows through this.
pub(crate) fn row_cells(header: &Header, raw: &[String]) -> Option<Vec<(Column, String)>> {
    let cells: Vec<(Column, String)> = header
        .columns
        .iter()
        .map(|(pos, c)| (*c, raw.get(*pos).map(|v| export::unquote_formula(v.trim()).to_string()).unwrap_or_default()))
        .collect();
    (!cells.iter().all(|(_, v)| v.is_empty())).then_some(cells)
}

/// Rows applied per write transaction.
pub const CHUNK: u32 = 500;
/// Data rows accepted in one file.
pub const MAX_ROWS: usize = 200_000;

fn file_error(code: &'static str, ru: impl Into<String>, en: impl Into<String>) -> Error {
    Error::Validation(vec![FieldError::new("file", code, ru, en)])
}

/// Splits a barcode cell: several codes separated by commas, semicolons, bars or spaces.
pub fn split_barcodes(cell: &str) -> Vec<String> {
    cell.split([',', ';', '|', ' ', '\t', '\n']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

fn parse_weighed(cell: &str) -> Option<bool> {
    match cell.trim().to_lowercase().as_str() {
        "" | "нет" | "no" | "0" | "false" | "-" | "н" | "n" => Some(false),
        "да" | "yes" | "1" | "true" | "+" | "д" | "y" | "вес" => Some(true),
        _ => None,
    }
}

fn parse_kind(cell: &str) -> Option<&'static str> {
    match cell.trim().to_lowercase().as_str() {
        "" | "goods" | "товар" => Some("goods"),
        "service" | "услуга" => Some("service"),
        "bundle" | "комплект" => Some("bundle"),
        _ => None,
    }
}

/// The draft a row asks for: `base`'s values (on update) overlaid with the row's cells.
/// `category` and `brand` are the resolved ids of the row's category and brand cells.
fn draft_of(
    row: &ImportRow,
    base: Option<&Product>,
    category: Option<CategoryId>,
    brand: Option<BrandId>,
) -> (ProductDraft, Vec<(Column, FieldError)>) {
    let mut d = match base {
        Some(p) => ProductDraft::from_product(p),
        None => ProductDraft { unit: "pcs".into(), ..ProductDraft::default() },
    };
    let mut problems = Vec::new();
    for (column, value) in &row.cells {
        // On update an empty cell keeps the product's value: a file with a few filled
        // columns (say, new prices) never wipes the rest.
        if base.is_some() && value.is_empty() {
            continue;
        }
        let v = value.clone();
        match column {
            Column::Code => {}
            Column::Name => d.name = v,
            Column::Kind => match parse_kind(&v) {
                Some(k) => d.kind = k.to_string(),
                None => problems
                    .push((*column, FieldError::new("kind", "kind", "Тип: товар, услуга или комплект", "Kind: goods, service or bundle"))),
            },
            Column::Article => d.article = v,
            Column::Barcodes => d.barcodes = split_barcodes(&v),
            Column::Unit if v.is_empty() => d.unit = base.map(|p| p.unit.code().to_string()).unwrap_or_else(|| "pcs".into()),
            Column::Unit => d.unit = v,
            Column::Weighed => match parse_weighed(&v) {
                Some(w) => d.weighed = w,
                None => problems.push((*column, FieldError::new("weighed", "weighed", "Весовой: да или нет", "Weighed: yes or no"))),
            },
            Column::Plu => d.plu = v,
            Column::PurchasePrice => d.purchase_price = v,
            Column::Markup => d.markup = v,
            Column::Price => {
                // A price column without a markup column sets the price itself: the stored
                // markup would otherwise recompute it (`price_from_markup`).
                if !v.is_empty() && row.cell(Column::Markup).is_none_or(str::is_empty) {
                    d.markup = String::new();
                }
                d.price = v;
            }
            Column::Discount => d.discount = v,
            Column::Category => d.category = category,
            Column::Brand => d.brand = brand,
            Column::Country => d.country = v,
            Column::Expiry => d.expiry = v,
            Column::ReorderLevel => d.reorder_level = v,
            // Not a product column: a product file's header never maps one (`Column::ALL`).
            _ => {}
        }
    }
    (d, problems)
}

fn row_errors(header_name: &dyn Fn(Column) -> String, cell_problems: Vec<(Column, FieldError)>, rule: Result<()>) -> Result<Vec<RowError>> {
    let mut out: Vec<RowError> = cell_problems.iter().map(|(c, e)| RowError::from_field(e, header_name(*c))).collect();
    match rule {
        Ok(()) => {}
        Err(Error::Validation(fields)) => {
            for f in &fields {
                let column = Column::of_field(&f.field).map(header_name).unwrap_or_default();
                out.push(RowError::from_field(f, column));
            }
        }
        Err(e) => return Err(e),
    }
    Ok(out)
}

/// What the company has, for matching rows to products without a scan per row.
struct Lookup {
    by_code: HashMap<String, ProductId>,
    /// Articles held by exactly one product (`None` = ambiguous).
    by_article: HashMap<String, Option<ProductId>>,
    categories: HashMap<String, CategoryId>,
    brands: HashMap<String, BrandId>,
}

impl Lookup {
    fn load(tx: &WriteTx, company: CompanyId) -> Result<Lookup> {
        let c = company.0;
        let mut by_code = HashMap::new();
        let mut by_article: HashMap<String, Option<ProductId>> = HashMap::new();
        tx.range(PRODUCTS, (c, 0), (c, u64::MAX), false, usize::MAX, |_, p| {
            by_code.insert(p.code.clone(), p.id);
            if !p.article.is_empty() {
                by_article.entry(p.article.to_lowercase()).and_modify(|e| *e = None).or_insert(Some(p.id));
            }
            Ok(true)
        })?;
        let all = tx.list(CATEGORIES, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|(_, cat)| cat).collect();
        let categories = catalog::category_paths(all).into_iter().map(|(id, path)| (path.to_lowercase(), id)).collect();
        let brands = tx.list(BRANDS, (c, 0), (c, u64::MAX), usize::MAX)?.into_iter().map(|(_, b)| (b.name.to_lowercase(), b.id)).collect();
        Ok(Lookup { by_code, by_article, categories, brands })
    }

    fn target(&self, tx: &WriteTx, company: CompanyId, row: &ImportRow) -> Result<Option<ProductId>> {
        if let Some(code) = row.cell(Column::Code).filter(|c| !c.is_empty())
            && let Some(id) = self.by_code.get(code)
        {
            return Ok(Some(*id));
        }
        for b in split_barcodes(row.cell(Column::Barcodes).unwrap_or("")) {
            if let Some(id) = tx.get(BARCODES, (company.0, b.as_str()))? {
                return Ok(Some(ProductId(id)));
            }
        }
        let article = row.cell(Column::Article).unwrap_or("").to_lowercase();
        Ok(self.by_article.get(&article).copied().flatten())
    }
}

fn normal_path(path: &str) -> String {
    path.split('/').map(str::trim).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(catalog::PATH_SEPARATOR).to_lowercase()
}

/// Reads a file into its grid, before any transaction (a large spreadsheet takes a while to
/// unpack). A file that cannot be read is refused whole; a reader that panics on a damaged
/// file counts as unreadable.
pub fn read_file(bytes: &[u8], limits: &read::Limits) -> Result<read::Sheet> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read::read_with(bytes, limits)))
        .unwrap_or_else(|_| Err(read::ReadError::Spreadsheet("damaged file".into())));
    outcome.map_err(|e| match e {
        read::ReadError::Empty => file_error("empty", "Файл пуст", "The file is empty"),
        read::ReadError::Spreadsheet(why) | read::ReadError::Csv(why) => {
            file_error("unreadable", format!("Файл не читается: {why}"), format!("Cannot read the file: {why}"))
        }
        read::ReadError::TooLarge { bound, limit } => too_large(bound, limit),
    })
}

/// The refusal of a file past one of `read::Limits`, naming the limit.
fn too_large(bound: read::Bound, limit: u64) -> Error {
    let (ru, en) = match bound {
        read::Bound::Rows => (format!("не более {} строк", limit - 1), format!("at most {} rows", limit - 1)),
        read::Bound::Columns => (format!("не более {limit} колонок"), format!("at most {limit} columns")),
        read::Bound::Cells => (format!("не более {limit} ячеек"), format!("at most {limit} cells")),
        read::Bound::TextBytes => {
            (format!("не более {} МБ текста в ячейках", limit >> 20), format!("at most {} MB of cell text", limit >> 20))
        }
        read::Bound::Unpacked => {
            (format!("не более {} МБ в распакованном виде", limit >> 20), format!("at most {} MB unpacked", limit >> 20))
        }
        read::Bound::ZipEntries => (format!("не более {limit} частей в архиве"), format!("at most {limit} parts in the archive")),
    };
    file_error("import_too_large", format!("Файл слишком большой: {ru}"), format!("The file is too large: {en}"))
}

/// Checks a read file of `kind` and stores it as an import in `Preview` (products here, the
/// telecom kinds in `telecom`); writes nothing else.
pub fn preview_kind(tx: &mut WriteTx, actor: &Actor, now: Ts, kind: Kind, file_name: &str, sheet: &read::Sheet) -> Result<Import> {
    match kind {
        Kind::Products => preview(tx, actor, now, file_name, sheet),
        Kind::Clients => clients::preview(tx, actor, now, file_name, sheet),
        Kind::Contacts => contacts::preview(tx, actor, now, file_name, sheet),
        _ => telecom::preview(tx, actor, now, kind, file_name, sheet),
    }
}

/// Checks a read file and stores it as an import in `Preview`; writes nothing else. A file
/// without a usable header or with too many rows is refused whole; problems of single rows
/// are stored with the rows.
pub fn preview(tx: &mut WriteTx, actor: &Actor, now: Ts, file_name: &str, sheet: &read::Sheet) -> Result<Import> {
    actor.require(Perm::PRODUCTS)?;
    actor.require_feature("catalog")?;
    actor.require_writable()?;
    let company = actor.company;
    let header = Header::parse(&sheet.rows[0]);
    if !header.usable() {
        return Err(file_error(
            "no_columns",
            "В первой строке нет знакомых колонок: нужна хотя бы «Название», «Код», «Штрихкод» или «Артикул»",
            "The first row has no known columns: it needs at least “Name”, “Code”, “Barcode” or “Article”",
        ));
    }
    if sheet.rows.len() - 1 > MAX_ROWS {
        return Err(file_error(
            "too_many_rows",
            format!("Не более {MAX_ROWS} строк в одном файле"),
            format!("At most {MAX_ROWS} rows per file"),
        ));
    }
    let lookup = Lookup::load(tx, company)?;
    let name_of = |c: Column| header.name_of(c);
    let id = ImportId(tx.next_id()?);
    let (mut new, mut updates, mut errors, mut index) = (0u32, 0u32, 0u32, 0u64);
    let mut seen_barcodes: HashMap<String, u32> = HashMap::new();
    let mut seen_plus: HashMap<String, u32> = HashMap::new();
    let mut seen_targets: HashMap<ProductId, u32> = HashMap::new();
    for (i, raw) in sheet.rows.iter().enumerate().skip(1) {
        let Some(cells) = row_cells(&header, raw) else {
            continue;
        };
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let mut row = ImportRow { line, cells, target: None, errors: Vec::new(), applied: None };
        row.target = lookup.target(tx, company, &row)?;
        let base = match row.target {
            Some(t) => tx.get(PRODUCTS, (company.0, t.0))?,
            None => None,
        };
        let category = row.cell(Column::Category).and_then(|p| lookup.categories.get(&normal_path(p)).copied());
        let brand = row.cell(Column::Brand).and_then(|b| lookup.brands.get(&b.trim().to_lowercase()).copied());
        let (draft, cell_problems) = draft_of(&row, base.as_ref(), category, brand);
        let rule = catalog::check_product(tx, actor, row.target, &draft).map(|_| ());
        row.errors = row_errors(&name_of, cell_problems, rule)?;
        let in_file =
            |ru: String, en: String, column: Column| RowError { column: header.name_of(column), code: "duplicate_in_file".into(), ru, en };
        for b in &draft.barcodes {
            match seen_barcodes.get(b) {
                Some(first) => row.errors.push(in_file(
                    format!("Штрихкод {b} уже есть в строке {first}"),
                    format!("Barcode {b} is already in row {first}"),
                    Column::Barcodes,
                )),
                None => {
                    seen_barcodes.insert(b.clone(), line);
                }
            }
        }
        let plu = draft.plu.trim().to_string();
        if !plu.is_empty() {
            match seen_plus.get(&plu) {
                Some(first) => row.errors.push(in_file(
                    format!("PLU {plu} уже есть в строке {first}"),
                    format!("PLU {plu} is already in row {first}"),
                    Column::Plu,
                )),
                None => {
                    seen_plus.insert(plu, line);
                }
            }
        }
        if let Some(t) = row.target {
            match seen_targets.get(&t) {
                Some(first) => row.errors.push(RowError {
                    column: String::new(),
                    code: "duplicate_in_file".into(),
                    ru: format!("Этот товар уже обновляет строка {first}"),
                    en: format!("Row {first} already updates this product"),
                }),
                None => {
                    seen_targets.insert(t, line);
                }
            }
        }
        match (row.errors.is_empty(), row.target) {
            (false, _) => errors += 1,
            (true, Some(_)) => updates += 1,
            (true, None) => new += 1,
        }
        tx.insert(ROWS, (company.0, id.0, index), &row)?;
        index += 1;
    }
    let counts = PreviewCounts { rows: index, new, updates, errors };
    let import = Import::preview(id, actor.user, file_name, &sheet.format, now, &header, counts);
    tx.insert(IMPORTS, (company.0, id.0), &import)?;
    audit::record(tx, company, actor, now, "import.preview", format!("import:{id}"), import.file_name.clone())?;
    Ok(import)
}

/// The company's import `id`; another company's is as missing as an unknown one.
pub fn import(tx: &impl crate::storage::Read, company: CompanyId, id: ImportId) -> Result<Import> {
    tx.get(store::IMPORTS, (company.0, id.0))?.ok_or(Error::NotFound)
}

/// What the company's import `id` brings in (products for an unknown id).
pub fn kind(tx: &impl crate::storage::Read, company: CompanyId, id: ImportId) -> Result<Kind> {
    Ok(store::kind(tx, company, id)?)
}

/// The company's imports, newest first.
pub fn imports(tx: &impl crate::storage::Read, company: CompanyId, limit: usize) -> Result<Vec<Import>> {
    let mut out = Vec::new();
    tx.range(store::IMPORTS, (company.0, 0), (company.0, u64::MAX), true, limit, |_, i| {
        out.push(i);
        Ok(true)
    })?;
    Ok(out)
}

/// Up to `limit` rows of an import from index `from`, only those with problems when
/// `errors_only`.
pub fn rows(
    tx: &impl crate::storage::Read,
    company: CompanyId,
    id: ImportId,
    from: u64,
    limit: usize,
    errors_only: bool,
) -> Result<Vec<ImportRow>> {
    let mut out = Vec::new();
    tx.range(store::ROWS, (company.0, id.0, from), (company.0, id.0, u64::MAX), false, usize::MAX, |_, row| {
        if !errors_only || !row.errors.is_empty() {
            out.push(row);
        }
        Ok(out.len() < limit)
    })?;
    Ok(out)
}

/// Starts applying a previewed import. With problems it is refused unless `skip_invalid`
/// (then the rows with problems are skipped and counted as failed). A contacts import is
/// written whole right here, in this transaction; the other kinds go to the import worker.
pub fn confirm(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ImportId, skip_invalid: bool) -> Result<Import> {
    let kind = store::kind(tx, actor.company, id)?;
    kind.require(actor)?;
    actor.require_writable()?;
    let c = actor.company.0;
    let mut import = tx.get(IMPORTS, (c, id.0))?.ok_or(Error::NotFound)?;
    if import.state != State::Preview {
        return Err(Error::refused("import_not_preview", "Этот импорт уже подтверждён", "This import has already been confirmed"));
    }
    if import.errors > 0 && !skip_invalid {
        return Err(Error::refused(
            "import_has_errors",
            format!("В файле есть ошибки ({} строк): исправьте их или пропустите эти строки", import.errors),
            format!("The file has problems ({} rows): fix them or skip those rows", import.errors),
        ));
    }
    import.state = State::Applying;
    import.skip_invalid = skip_invalid;
    tx.insert(IMPORTS, (c, id.0), &import)?;
    audit::record(tx, actor.company, actor, now, "import.confirm", format!("import:{id}"), import.file_name.clone())?;
    if kind == Kind::Contacts {
        return contacts::apply(tx, actor, now, id);
    }
    outbox::push(tx, c, JobKind::ImportApply { import: id.0 }, now.0)?;
    Ok(import)
}

/// Deletes an import that was not confirmed, with its rows.
pub fn discard(tx: &mut WriteTx, actor: &Actor, id: ImportId) -> Result<()> {
    store::kind(tx, actor.company, id)?.require(actor)?;
    let c = actor.company.0;
    let import = tx.get(IMPORTS, (c, id.0))?.ok_or(Error::NotFound)?;
    if import.state != State::Preview {
        return Err(Error::refused("import_not_preview", "Этот импорт уже подтверждён", "This import has already been confirmed"));
    }
    for index in 0..u64::from(import.rows) {
        tx.remove(ROWS, (c, id.0, index))?;
    }
    tx.remove(IMPORTS, (c, id.0))?;
    tx.remove(store::KINDS, (c, id.0))?;
    Ok(())
}

/// Stops an applying import for good (its user can no longer edit products).
pub fn fail(tx: &mut WriteTx, company: CompanyId, id: ImportId, now: Ts, reason: &str) -> Result<()> {
    if let Some(mut import) = tx.get(IMPORTS, (company.0, id.0))? {
        import.state = State::Failed;
        import.failure = Some(reason.to_string());
        import.finished = Some(now);
        tx.insert(IMPORTS, (company.0, id.0), &import)?;
    }
    Ok(())
}

/// Applies up to `chunk` rows of an applying import, each checked again and saved through
/// the catalog's write path, and records progress. Returns the import as it is now; its
/// state is `Done` after the last row.
pub fn apply_chunk(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ImportId, chunk: u32) -> Result<Import> {
    let company = actor.company;
    let c = company.0;
    let kind = store::kind(tx, company, id)?;
    if kind == Kind::Clients {
        return clients::apply_chunk(tx, actor, now, id, chunk);
    }
    if kind == Kind::Contacts {
        return contacts::apply(tx, actor, now, id);
    }
    if kind != Kind::Products {
        return telecom::apply_chunk(tx, actor, now, kind, id, chunk);
    }
    let mut import = tx.get(IMPORTS, (c, id.0))?.ok_or(Error::NotFound)?;
    if import.state != State::Applying {
        return Ok(import);
    }
    let names = import.columns.clone();
    let name_of = |col: Column| names.iter().find(|(x, _)| *x == col).map(|(_, n)| n.clone()).unwrap_or_default();
    let from = u64::from(import.next_row);
    let to = from + u64::from(chunk.max(1));
    let rows = tx.list(ROWS, (c, id.0, from), (c, id.0, to - 1), usize::MAX)?;
    for ((_, _, index), mut row) in rows {
        import.next_row = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if !row.errors.is_empty() || row.applied.is_some() {
            import.failed_count += u32::from(row.applied.is_none());
            continue;
        }
        let base = match row.target {
            Some(t) => tx.get(PRODUCTS, (c, t.0))?,
            None => None,
        };
        let resolved = (|| -> Result<(Option<CategoryId>, Option<BrandId>)> {
            let category = match row.cell(Column::Category) {
                Some(path) if !path.is_empty() => catalog::category_path(tx, actor, now, path)?,
                _ => None,
            };
            let brand = match row.cell(Column::Brand) {
                Some(name) => catalog::brand_named(tx, actor, now, name)?,
                None => None,
            };
            Ok((category, brand))
        })();
        let outcome = match resolved {
            Ok((category, brand)) => {
                let (draft, cell_problems) = draft_of(&row, base.as_ref(), category, brand);
                match catalog::check_product(tx, actor, base.as_ref().map(|p| p.id), &draft) {
                    Ok(checked) if cell_problems.is_empty() => Ok(checked),
                    Ok(_) => Err(row_errors(&name_of, cell_problems, Ok(()))?),
                    Err(e) => Err(row_errors(&name_of, cell_problems, Err(e))?),
                }
            }
            Err(e) => Err(row_errors(&name_of, Vec::new(), Err(e))?),
        };
        match outcome {
            Ok(checked) => {
                let update = checked.is_update();
                let pid = catalog::save_shared(tx, actor, now, checked)?;
                row.applied = Some(pid);
                if update {
                    import.updated_count += 1;
                } else {
                    import.created_count += 1;
                }
            }
            Err(errors) => {
                row.errors = errors;
                import.failed_count += 1;
            }
        }
        tx.insert(ROWS, (c, id.0, index), &row)?;
    }
    if import.next_row >= import.rows {
        import.next_row = import.rows;
        import.state = State::Done;
        import.finished = Some(now);
        let summary = format!("+{} ~{} !{}", import.created_count, import.updated_count, import.failed_count);
        audit::record(tx, company, actor, now, "import.apply", format!("import:{id}"), summary)?;
    }
    tx.insert(IMPORTS, (c, id.0), &import)?;
    Ok(import)
}

/// Who applies an import: its uploader with the rights they hold now; `None` when they can
/// no longer edit products (deactivated, demoted, company switched off).
pub fn actor_of(tx: &ReadTx, company: CompanyId, id: ImportId, now: Ts) -> Result<Option<Actor>> {
    let Some(import) = store::import(tx, company, id)? else {
        return Ok(None);
    };
    let kind = store::kind(tx, company, id)?;
    match crate::auth::actor_for_user(tx, company, import.user, now, "import") {
        Ok(actor) if kind == Kind::Products && actor.can(Perm::PRODUCTS) => Ok(Some(actor)),
        Ok(actor) if kind != Kind::Products && kind.allowed(&actor) => Ok(Some(actor)),
        Ok(_) | Err(Error::TokenInvalid | Error::CompanyInactive) => Ok(None),
        Err(e) => Err(e),
    }
}

/// One step of an `ImportApply` outbox job: the next chunk, and the job removed once the
/// import is finished (or failed because its user lost the right). Returns `(applied rows,
/// total rows)` while rows remain.
pub fn apply_job(
    tx: &mut WriteTx,
    actor: Option<Actor>,
    now: Ts,
    company: CompanyId,
    id: ImportId,
    job: u64,
) -> Result<Option<(u32, u32)>> {
    let import = match &actor {
        Some(actor) => match apply_chunk(tx, actor, now, id, CHUNK) {
            Err(Error::NotFound) => None,
            other => Some(other?),
        },
        None => {
            fail(tx, company, id, now, "the user who confirmed the import no longer has the right to import it")?;
            None
        }
    };
    match import {
        Some(i) if i.state == State::Applying => Ok(Some((i.next_row, i.rows))),
        _ => {
            outbox::done(tx, job)?;
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells() {
        assert_eq!(split_barcodes("4600000000015, 4600000000022|  123 "), vec!["4600000000015", "4600000000022", "123"]);
        assert_eq!(parse_weighed("Да"), Some(true));
        assert_eq!(parse_weighed(""), Some(false));
        assert_eq!(parse_weighed("maybe"), None);
        assert_eq!(parse_kind("Услуга"), Some("service"));
        assert_eq!(normal_path(" Напитки/ Соки "), "напитки / соки");
    }

    #[test]
    fn a_price_column_alone_sets_the_price() {
        let row = ImportRow {
            line: 2,
            cells: vec![(Column::Name, "Хлеб".into()), (Column::Price, "45,50".into())],
            target: None,
            errors: Vec::new(),
            applied: None,
        };
        let (d, problems) = draft_of(&row, None, None, None);
        assert!(problems.is_empty());
        assert_eq!((d.name.as_str(), d.price.as_str(), d.markup.as_str(), d.unit.as_str()), ("Хлеб", "45,50", "", "pcs"));
    }
}
