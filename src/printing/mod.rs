//! Receipt printing on ESC/POS printers (issue 4): printers with their transport and profile,
//! documents (`receipt`), the byte encoder and decoder (`escpos`, `codepage`, `font`), the
//! per-printer persisted queue and the transports that send it (`transport`).
//!
//! Invariants:
//! - pos never calls printing: a checkout pushes one outbox `Receipt { sale }` row and a shift
//!   close one `ZReport { shift }` row in their own transaction; the print worker fans each out
//!   ([`fan_out`]) into one job per active printer of the cash box, removing the row in the
//!   same transaction, so a retried fan-out never queues a job twice;
//! - a print job (fanned out, a re-print, a test page) is an outbox `Print` row plus the job
//!   row, written in one transaction;
//! - each printer's queue is strictly ordered: the worker only ever sends a printer's oldest
//!   job, one at a time, so jobs never interleave; a failed job (unreachable, paper out) blocks
//!   its printer's later jobs until it prints, and survives restarts;
//! - a serial or USB printer's device path must start with one of `Config::printer_paths`.

pub mod codepage;
pub mod escpos;
pub mod font;
pub mod kitchen;
pub mod labels;
pub mod png;
pub mod query;
pub mod receipt;
pub mod store;
pub mod transport;
pub mod tspl;

use serde::{Deserialize, Serialize};

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{CashBoxId, CompanyId, PrinterId, SaleId};
use crate::pos::model::{Method, Sale, Shift};
use crate::storage::{Read, ReadTx, Record, StorageError, WriteTx, outbox};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_name;
use crate::tenancy::perms::Perm;
use codepage::CodePage;
use escpos::{Health, Model, Profile, Width};
use receipt::{Receipt, ReceiptLine, Report};
use store::*;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Transport {
    /// A network printer, usually port 9100.
    Tcp {
        host: String,
        port: u16,
    },
    Serial {
        path: String,
        baud: u32,
    },
    /// A USB printer class device (`/dev/usb/lp0`), write-only.
    Usb {
        path: String,
    },
}

impl Transport {
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Tcp { .. } => "tcp",
            Transport::Serial { .. } => "serial",
            Transport::Usb { .. } => "usb",
        }
    }

    /// What the form shows in its address field.
    pub fn address(&self) -> String {
        match self {
            Transport::Tcp { host, port } => format!("{host}:{port}"),
            Transport::Serial { path, .. } | Transport::Usb { path } => path.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Printer {
    pub id: PrinterId,
    pub name: String,
    pub transport: Transport,
    pub profile: Profile,
    /// Receipts of sales at these cash boxes (and their shifts' Z reports) print here.
    pub cash_boxes: Vec<CashBoxId>,
    pub active: bool,
}

impl Record for Printer {
    const TYPE: &'static str = "printer.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrintJob {
    pub id: u64,
    /// "Чек П-000012", "Z-отчёт С-000003", "Тестовая страница".
    pub title: String,
    pub bytes: Vec<u8>,
    pub created: Ts,
    /// Its outbox row (attempts, backoff, last error live there).
    pub outbox: u64,
}

impl Record for PrintJob {
    const TYPE: &'static str = "printjob.v1";
}

/// What a sale-receipt job prints (see `store::SALE_RECEIPTS`); its [`PrintJob`] carries no
/// bytes until the worker sends it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SaleReceipt {
    pub sale: u64,
    /// A re-print: marked as a copy, no drawer kick.
    pub copy: bool,
}

impl Record for SaleReceipt {
    const TYPE: &'static str = "salereceipt.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PrinterStatus {
    pub health: Health,
    pub detail: String,
    pub at: Ts,
    pub printed: u64,
}

impl Record for PrinterStatus {
    const TYPE: &'static str = "printerstatus.v1";
}

/// The printer form as typed.
#[derive(Debug, Clone, Default)]
pub struct PrinterDraft {
    pub name: String,
    /// "tcp", "serial" or "usb".
    pub transport: String,
    /// host:port for TCP, the device path otherwise.
    pub address: String,
    pub baud: String,
    pub model: String,
    pub code_page: String,
    /// `ESC t n` override; empty = the model's number for the code page.
    pub table: String,
    pub width: String,
    pub cancel_kanji: bool,
    pub cash_boxes: Vec<CashBoxId>,
    pub active: bool,
}

fn parse_transport(p: &mut Problems, d: &PrinterDraft, allowed: &[String]) -> Option<Transport> {
    let address = d.address.trim();
    let path_ok = |path: &str| !path.contains("..") && allowed.iter().any(|a| !a.is_empty() && path.starts_with(a.as_str()));
    match d.transport.trim() {
        "tcp" => {
            let (host, port) = match address.rsplit_once(':') {
                Some((h, port)) => (h, port.parse::<u16>().ok()),
                None => (address, Some(9100)),
            };
            let host_ok = !host.is_empty() && host.len() <= 253 && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
            match (host_ok, port) {
                (true, Some(port)) if port > 0 => Some(Transport::Tcp { host: host.to_string(), port }),
                _ => {
                    p.push(FieldError::new(
                        "address",
                        "printer_address",
                        "Адрес принтера: хост или IP и порт, например 192.168.1.50:9100",
                        "Printer address: host or IP and port, e.g. 192.168.1.50:9100",
                    ));
                    None
                }
            }
        }
        kind @ ("serial" | "usb") => {
            if !path_ok(address) {
                p.push(FieldError::new(
                    "address",
                    "printer_path",
                    format!("Устройство должно начинаться с одного из: {}", allowed.join(", ")),
                    format!("The device must start with one of: {}", allowed.join(", ")),
                ));
                return None;
            }
            if kind == "usb" {
                return Some(Transport::Usb { path: address.to_string() });
            }
            let baud = d.baud.trim();
            match if baud.is_empty() { Some(9600) } else { baud.parse::<u32>().ok() } {
                Some(b @ (1200 | 2400 | 4800 | 9600 | 19200 | 38400 | 57600 | 115200)) => {
                    Some(Transport::Serial { path: address.to_string(), baud: b })
                }
                _ => {
                    p.push(FieldError::new(
                        "baud",
                        "printer_baud",
                        "Скорость: 1200–115200 бод (обычно 9600 или 19200)",
                        "Baud rate: 1200–115200 (usually 9600 or 19200)",
                    ));
                    None
                }
            }
        }
        _ => {
            p.push(FieldError::new(
                "transport",
                "printer_transport",
                "Выберите подключение: сеть, COM-порт или USB",
                "Choose a connection: network, serial or USB",
            ));
            None
        }
    }
}

fn parse_profile(p: &mut Problems, d: &PrinterDraft) -> Option<Profile> {
    let model =
        p.take(Model::parse(d.model.trim()).ok_or_else(|| FieldError::new("model", "printer_model", "Выберите модель", "Choose a model")));
    let page = p.take(
        CodePage::parse(d.code_page.trim())
            .ok_or_else(|| FieldError::new("code_page", "code_page", "Выберите кодовую страницу", "Choose a code page")),
    );
    let width = p.take(
        Width::parse(d.width.trim())
            .ok_or_else(|| FieldError::new("width", "paper_width", "Ширина ленты: 58 или 80 мм", "Paper width: 58 or 80 mm")),
    );
    let (model, page, width) = (model?, page?, width?);
    let table = match d.table.trim() {
        "" => model.table(page),
        n => n.parse::<u8>().ok(),
    };
    let Some(table) = table else {
        p.push(FieldError::new(
            "table",
            "code_table",
            "Укажите номер таблицы ESC t (0–255): у этой модели нет известного номера для выбранной страницы",
            "Enter the ESC t table number (0–255): this model has no known number for the chosen page",
        ));
        return None;
    };
    Some(Profile { model, code_page: page, table, width, cancel_kanji: d.cancel_kanji })
}

/// Adds or edits a printer. Cash boxes must be the company's own.
pub fn save_printer(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: Option<PrinterId>,
    d: &PrinterDraft,
    allowed: &[String],
) -> Result<PrinterId> {
    manager(actor)?;
    let c = actor.company.0;
    if let Some(id) = id
        && tx.get(PRINTERS, (c, id.0))?.is_none()
    {
        return Err(Error::NotFound);
    }
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 100));
    let transport = parse_transport(&mut p, d, allowed);
    let profile = parse_profile(&mut p, d);
    let mut boxes = d.cash_boxes.clone();
    boxes.sort();
    boxes.dedup();
    for b in &boxes {
        if tx.get(crate::pos::store::CASH_BOXES, (c, b.0))?.is_none() {
            p.push(FieldError::new("cash_boxes", "unknown_cash_box", "Нет такой кассы", "No such cash box"));
            break;
        }
    }
    p.finish()?;
    let (Some(name), Some(transport), Some(profile)) = (name, transport, profile) else {
        return Err(Error::Internal("printer draft parsed without values".into()));
    };
    let pid = id.unwrap_or(PrinterId(tx.next_id()?));
    let printer = Printer { id: pid, name: name.clone(), transport, profile, cash_boxes: boxes, active: d.active };
    tx.insert(PRINTERS, (c, pid.0), &printer)?;
    audit::record(tx, actor.company, actor, now, "printer.save", format!("printer:{pid}"), name)?;
    Ok(pid)
}

fn manager(actor: &Actor) -> Result<()> {
    actor.require(Perm::CASHBOX)?;
    actor.require_feature("pos")?;
    actor.require_writable()
}

/// Whether `actor` may set printers up (the check every printer change makes first).
pub fn require_manager(actor: &Actor) -> Result<()> {
    actor.require(Perm::CASHBOX)?;
    actor.require_feature("pos")
}

pub fn printers(tx: &ReadTx, c: CompanyId) -> Result<Vec<Printer>> {
    Ok(tx.list(PRINTERS, (c.0, 0), (c.0, u64::MAX), usize::MAX)?.into_iter().map(|(_, p)| p).collect())
}

pub fn printer(tx: &ReadTx, c: CompanyId, id: PrinterId) -> Result<Printer> {
    tx.get(PRINTERS, (c.0, id.0))?.ok_or(Error::NotFound)
}

/// Every printer of the box with its last known status (the operations page), at most `cap`.
pub fn every_printer(tx: &ReadTx, cap: usize) -> Result<Vec<(CompanyId, Printer, Option<PrinterStatus>)>> {
    let mut out = Vec::new();
    for ((c, id), p) in tx.list(PRINTERS, (0, 0), (u64::MAX, u64::MAX), cap)? {
        out.push((CompanyId(c), p, tx.get(PRINTER_STATUS, (c, id))?));
    }
    Ok(out)
}

pub fn status(tx: &ReadTx, c: CompanyId, id: PrinterId) -> Result<Option<PrinterStatus>> {
    Ok(tx.get(PRINTER_STATUS, (c.0, id.0))?)
}

/// A queued job as the printer page shows it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub id: u64,
    pub title: String,
    pub created: Ts,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub bytes: usize,
}

pub fn queue(tx: &ReadTx, c: CompanyId, id: PrinterId) -> Result<Vec<Queued>> {
    let jobs = tx.list(PRINT_JOBS, (c.0, id.0, 0), (c.0, id.0, u64::MAX), 200)?;
    let mut out = Vec::new();
    for (_, j) in jobs {
        let o = tx.get(outbox::OUTBOX, j.outbox)?;
        out.push(Queued {
            id: j.id,
            title: j.title,
            created: j.created,
            attempts: o.as_ref().map_or(0, |o| o.attempts),
            last_error: o.and_then(|o| o.last_error),
            bytes: j.bytes.len(),
        });
    }
    Ok(out)
}

/// The printers a cash box prints on, with their last status (for the POS page).
pub fn for_cash_box(tx: &ReadTx, c: CompanyId, b: CashBoxId) -> Result<Vec<(Printer, Option<PrinterStatus>)>> {
    let mut out = Vec::new();
    for p in printers(tx, c)? {
        if p.active && p.cash_boxes.contains(&b) {
            let s = tx.get(PRINTER_STATUS, (c.0, p.id.0))?;
            out.push((p, s));
        }
    }
    Ok(out)
}

fn enqueue(
    tx: &mut WriteTx,
    c: CompanyId,
    printer: PrinterId,
    title: String,
    bytes: Vec<u8>,
    now: Ts,
) -> std::result::Result<u64, StorageError> {
    let id = tx.next_id()?;
    let outbox = outbox::push(tx, c.0, outbox::JobKind::Print { printer: printer.0, job: id }, now.0)?;
    tx.insert(PRINT_JOBS, (c.0, printer.0, id), &PrintJob { id, title, bytes, created: now, outbox })?;
    Ok(id)
}

/// The active receipt printers of a cash box (a label printer never prints receipts).
fn assigned(tx: &WriteTx, c: CompanyId, b: CashBoxId) -> Result<Vec<Printer>> {
    let mut out = Vec::new();
    for (_, p) in tx.list(PRINTERS, (c.0, 0), (c.0, u64::MAX), usize::MAX)? {
        if p.active && p.cash_boxes.contains(&b) && tx.get(LABEL_SETUPS, (c, p.id))?.is_none() {
            out.push(p);
        }
    }
    Ok(out)
}

/// Everything a receipt prints, looked up by the caller (from a read or a write transaction).
pub struct ReceiptSources {
    pub company: Option<crate::tenancy::model::Company>,
    pub cashier: Option<crate::tenancy::model::User>,
    pub cash_box: Option<crate::pos::model::CashBox>,
}

pub fn receipt_of(sale: &Sale, src: &ReceiptSources, copy: bool) -> Receipt {
    let company = src.company.as_ref();
    let mut header = Vec::new();
    if let Some(co) = company {
        if !co.legal.address.is_empty() {
            header.push(co.legal.address.clone());
        }
        if !co.legal.inn.is_empty() {
            header.push(format!("ИНН {}", co.legal.inn));
        }
        if !co.phones.is_empty() {
            header.push(co.phones.join(", "));
        }
    }
    let tz = company.map_or("UTC", |c| c.timezone.as_str());
    let lang = crate::i18n::Lang::Ru;
    Receipt {
        company: company.map_or_else(String::new, |c| c.name.clone()),
        header,
        number: sale.number.clone(),
        at: sale.at.format_local(tz),
        cashier: src.cashier.as_ref().map_or_else(|| sale.cashier.to_string(), |u| u.name.clone()),
        cash_box: src.cash_box.as_ref().map_or_else(|| sale.cash_box.to_string(), |b| b.name.clone()),
        lines: sale
            .lines
            .iter()
            .map(|l| ReceiptLine {
                name: l.name.clone(),
                qty: l.qty,
                unit: l.unit.clone(),
                unit_price: l.unit_price,
                discount: l.discount,
                amount: l.amount,
            })
            .collect(),
        subtotal: sale.subtotal,
        discount: sale.discount,
        total: sale.total,
        payments: sale.payments.iter().map(|p| (p.method.label(lang), p.amount)).collect(),
        cash_received: sale.cash_received,
        change: sale.change,
        paid_in_cash: sale.payments.iter().any(|p| p.method == Method::Cash),
        qr: sale_reference(sale),
        copy,
    }
}

/// The sale reference printed as QR: the sale number and its id.
pub fn sale_reference(sale: &Sale) -> String {
    format!("DUKAN:{}:{}", sale.number, sale.id)
}

/// Receipt and Z-report rows pos pushed that wait for their fan-out, oldest first.
pub fn fan_out_pending(tx: &impl Read) -> Result<Vec<(u64, outbox::Job)>> {
    let mut out = Vec::new();
    tx.range(outbox::OUTBOX, 0, u64::MAX, false, usize::MAX, |id, job| {
        if matches!(job.kind, outbox::JobKind::Receipt { .. } | outbox::JobKind::ZReport { .. }) {
            out.push((id, job));
        }
        Ok(true)
    })?;
    Ok(out)
}

/// Fans every pending receipt and Z report out into one print job per active printer of its
/// cash box (none when the box has no printer), each job dated when its sale or close was.
/// Each outbox row leaves in this same transaction, so a fan-out that fails or is retried
/// queues nothing twice. Returns how many rows it took.
pub fn fan_out(tx: &mut WriteTx) -> Result<usize> {
    let pending = fan_out_pending(tx)?;
    for (id, job) in &pending {
        let (c, at) = (CompanyId(job.company), Ts(job.created_ms));
        // Ids come from the box-wide counter in commit order: a printer numbered above the
        // row was added after the sale or close, so it does not print it (as when the job was
        // queued in the checkout itself).
        let existed = |p: &Printer| p.id.0 < *id;
        match job.kind {
            outbox::JobKind::Receipt { sale } => match tx.get(crate::pos::store::SALES, (c.0, sale))? {
                Some(sale) => {
                    let printers: Vec<Printer> = assigned(tx, c, sale.cash_box)?.into_iter().filter(existed).collect();
                    queue_sale(tx, c, &sale, at, false, &printers)?;
                }
                None => tracing::error!(company = c.0, sale, "the sale of a queued receipt is missing"),
            },
            outbox::JobKind::ZReport { shift } => match tx.get(crate::pos::store::SHIFTS, (c.0, shift))? {
                Some(shift) => {
                    let printers: Vec<Printer> = assigned(tx, c, shift.cash_box)?.into_iter().filter(existed).collect();
                    queue_z_report(tx, c, &shift, at, &printers)?;
                }
                None => tracing::error!(company = c.0, shift, "the shift of a queued Z report is missing"),
            },
            _ => continue,
        }
        outbox::done(tx, *id)?;
    }
    Ok(pending.len())
}

/// Queues the sale's receipt on every active printer of its cash box now (a re-print).
pub fn enqueue_sale(tx: &mut WriteTx, c: CompanyId, sale: &Sale, now: Ts, copy: bool) -> Result<usize> {
    let printers = assigned(tx, c, sale.cash_box)?;
    queue_sale(tx, c, sale, now, copy, &printers)
}

/// Queues the sale's receipt on `printers`. Only the job rows are written here; the worker lays
/// the receipt out for each printer's profile and encodes it when it sends the job. Returns how
/// many jobs were queued.
fn queue_sale(tx: &mut WriteTx, c: CompanyId, sale: &Sale, now: Ts, copy: bool, printers: &[Printer]) -> Result<usize> {
    for p in printers {
        let title = if copy { format!("Копия чека {}", sale.number) } else { format!("Чек {}", sale.number) };
        let job = enqueue(tx, c, p.id, title, Vec::new(), now)?;
        tx.insert(SALE_RECEIPTS, (c.0, p.id.0, job), &SaleReceipt { sale: sale.id.0, copy })?;
    }
    Ok(printers.len())
}

/// The ESC/POS bytes of a sale-receipt job for `printer`, from the sale as stored. A receipt
/// prints the sale as checked out: later returns do not change its lines.
fn encode_sale_receipt(tx: &ReadTx, c: CompanyId, printer: &Printer, r: SaleReceipt) -> Result<Vec<u8>> {
    let sale = tx
        .get(crate::pos::store::SALES, (c.0, r.sale))?
        .ok_or_else(|| Error::Internal(format!("sale {} of a queued receipt is missing", r.sale)))?;
    let src = sources(tx, c, &sale)?;
    Ok(escpos::encode(&receipt_of(&sale, &src, r.copy).layout(printer.profile.width.chars()), &printer.profile))
}

fn sources(tx: &ReadTx, c: CompanyId, sale: &Sale) -> Result<ReceiptSources> {
    Ok(ReceiptSources {
        company: tx.get(crate::tenancy::store::COMPANIES, c.0)?,
        cashier: tx.get(crate::tenancy::store::USERS, (c.0, sale.cashier.0))?,
        cash_box: tx.get(crate::pos::store::CASH_BOXES, (c.0, sale.cash_box.0))?,
    })
}

/// Prints a copy of a sale's receipt (no drawer kick).
pub fn reprint(tx: &mut WriteTx, actor: &Actor, now: Ts, sale: SaleId) -> Result<usize> {
    actor.require(Perm::CASHIER)?;
    actor.require_feature("pos")?;
    let c = actor.company;
    let sale = tx.get(crate::pos::store::SALES, (c.0, sale.0))?.ok_or(Error::NotFound)?;
    if !actor.owner_like()
        && let crate::tenancy::actor::BranchScope::Branch(b) = actor.branch
        && sale.branch.is_some_and(|x| x != b)
    {
        return Err(Error::NotFound);
    }
    let n = enqueue_sale(tx, c, &sale, now, true)?;
    if n == 0 {
        return Err(Error::refused(
            "no_printer",
            "К кассе этой продажи не назначен принтер",
            "No printer is assigned to this sale's cash box",
        ));
    }
    audit::record(tx, c, actor, now, "sale.reprint", format!("sale:{}", sale.id), sale.number.clone())?;
    Ok(n)
}

pub fn report_of(shift: &Shift, closing: bool, company: Option<&crate::tenancy::model::Company>, cashier: &str, cash_box: &str) -> Report {
    let tz = company.map_or("UTC", |c| c.timezone.as_str());
    let t = &shift.totals;
    let money = |d: rust_decimal::Decimal| format!("{d:.2}");
    let mut rows = vec![
        ("Наличные на начало".to_string(), money(shift.opening_cash)),
        ("Продаж".to_string(), t.sales.to_string()),
        ("Сумма продаж".to_string(), money(t.sales_amount)),
        ("Скидки".to_string(), money(t.discounts)),
        ("Возвратов".to_string(), t.returns.to_string()),
        ("Сумма возвратов".to_string(), money(t.returns_amount)),
    ];
    for (method, amount) in &t.paid {
        rows.push((format!("Оплата: {}", method_label(method)), money(*amount)));
    }
    for (method, amount) in &t.refunded {
        rows.push((format!("Возврат: {}", method_label(method)), money(*amount)));
    }
    rows.push(("Внесено".into(), money(t.cash_in)));
    rows.push(("Изъято".into(), money(t.cash_out)));
    rows.push(("Наличные в кассе (расчёт)".into(), money(shift.expected_cash())));
    if let Some(counted) = shift.closing_cash {
        rows.push(("Пересчитано".into(), money(counted)));
        rows.push(("Расхождение".into(), money(shift.difference().unwrap_or_default())));
    }
    Report {
        company: company.map_or_else(String::new, |c| c.name.clone()),
        closing,
        shift: shift.number.clone(),
        cash_box: cash_box.to_string(),
        cashier: cashier.to_string(),
        opened: shift.opened.format_local(tz),
        closed: shift.closed.map(|t| t.format_local(tz)).unwrap_or_default(),
        rows,
    }
}

fn method_label(code: &str) -> String {
    match Method::parse(code, &[code.trim_start_matches("wallet:").to_string()]) {
        Some(m) => m.label(crate::i18n::Lang::Ru),
        None => code.to_string(),
    }
}

/// Queues the Z report of a closed shift on `printers` (the fan-out of a shift close's
/// `ZReport` row), encoded for each printer's profile.
fn queue_z_report(tx: &mut WriteTx, c: CompanyId, shift: &Shift, now: Ts, printers: &[Printer]) -> Result<usize> {
    if printers.is_empty() {
        return Ok(0);
    }
    let company = tx.get(crate::tenancy::store::COMPANIES, c.0)?;
    let cashier = tx.get(crate::tenancy::store::USERS, (c.0, shift.cashier.0))?.map_or_else(|| shift.cashier.to_string(), |u| u.name);
    let cash_box = tx.get(crate::pos::store::CASH_BOXES, (c.0, shift.cash_box.0))?.map_or_else(|| shift.cash_box.to_string(), |b| b.name);
    let report = report_of(shift, true, company.as_ref(), &cashier, &cash_box);
    for p in printers {
        let bytes = escpos::encode(&report.layout(p.profile.width.chars()), &p.profile);
        enqueue(tx, c, p.id, format!("Z-отчёт {}", shift.number), bytes, now)?;
    }
    Ok(printers.len())
}

/// Queues the test page: every candidate code page of the model, then the chosen one.
pub fn test_print(tx: &mut WriteTx, actor: &Actor, now: Ts, id: PrinterId) -> Result<u64> {
    manager(actor)?;
    let c = actor.company;
    let p = tx.get(PRINTERS, (c.0, id.0))?.ok_or(Error::NotFound)?;
    let bytes = receipt::test_page(&p.name, p.profile.model, p.profile.table, &p.profile);
    let job = enqueue(tx, c, id, "Тестовая страница".into(), bytes, now)?;
    audit::record(tx, c, actor, now, "printer.test", format!("printer:{id}"), p.name)?;
    Ok(job)
}

/// Drops a printer's queued jobs (a shop gave up on them).
pub fn clear_queue(tx: &mut WriteTx, actor: &Actor, now: Ts, id: PrinterId) -> Result<usize> {
    manager(actor)?;
    let c = actor.company;
    let p = tx.get(PRINTERS, (c.0, id.0))?.ok_or(Error::NotFound)?;
    let jobs = tx.list(PRINT_JOBS, (c.0, id.0, 0), (c.0, id.0, u64::MAX), usize::MAX)?;
    for (key, j) in &jobs {
        tx.remove(PRINT_JOBS, *key)?;
        tx.remove(SALE_RECEIPTS, *key)?;
        outbox::done(tx, j.outbox)?;
    }
    audit::record(tx, c, actor, now, "printer.clear", format!("printer:{id}"), format!("{} ({} jobs)", p.name, jobs.len()))?;
    Ok(jobs.len())
}

/// The next thing the print worker should send: per printer, its oldest job if due.
pub struct Due {
    pub company: CompanyId,
    pub printer: Printer,
    pub job: PrintJob,
    /// A label printer: not asked for ESC/POS status before the job.
    pub label: bool,
}

/// For each printer with queued jobs, its oldest job when that job's backoff has passed. A
/// printer whose oldest job is waiting sends nothing (order is kept).
pub fn due(tx: &ReadTx, now: Ts) -> Result<Vec<Due>> {
    let mut heads: std::collections::BTreeMap<(u64, u64), (u64, outbox::Job)> = std::collections::BTreeMap::new();
    tx.range(outbox::OUTBOX, 0, u64::MAX, false, usize::MAX, |id, job| {
        if let outbox::JobKind::Print { printer, .. } = job.kind {
            heads.entry((job.company, printer)).or_insert((id, job));
        }
        Ok(true)
    })?;
    let mut out = Vec::new();
    for ((c, pid), (_, job)) in heads {
        let outbox::JobKind::Print { job: jid, .. } = job.kind else { continue };
        if job.not_before_ms > now.0 {
            continue;
        }
        let (Some(printer), Some(mut pj)) = (tx.get(PRINTERS, (c, pid))?, tx.get(PRINT_JOBS, (c, pid, jid))?) else {
            continue;
        };
        if let Some(r) = tx.get(SALE_RECEIPTS, (c, pid, jid))? {
            match encode_sale_receipt(tx, CompanyId(c), &printer, r) {
                Ok(bytes) => pj.bytes = bytes,
                Err(e) => {
                    // Cannot happen while sales are never deleted (`dukan check` verifies it); the
                    // job stays at the head of its queue, where the shop sees it and can clear it.
                    tracing::error!(company = c, printer = pid, job = jid, error = %e, "receipt job cannot be encoded");
                    continue;
                }
            }
        }
        let label = tx.get(LABEL_SETUPS, (CompanyId(c), printer.id))?.is_some();
        out.push(Due { company: CompanyId(c), printer, job: pj, label });
    }
    Ok(out)
}

/// Records a send: on success the job leaves the queue; on failure it backs off and the
/// printer's status says why.
pub fn record_send(
    tx: &mut WriteTx,
    c: CompanyId,
    printer: PrinterId,
    job: &PrintJob,
    health: Health,
    error: Option<String>,
    now: Ts,
) -> Result<()> {
    let mut st = tx.get(PRINTER_STATUS, (c.0, printer.0))?.unwrap_or(PrinterStatus { health, detail: String::new(), at: now, printed: 0 });
    st.health = health;
    st.at = now;
    st.detail = error.clone().unwrap_or_default();
    match error {
        None => {
            st.printed += 1;
            tx.remove(PRINT_JOBS, (c.0, printer.0, job.id))?;
            tx.remove(SALE_RECEIPTS, (c.0, printer.0, job.id))?;
            outbox::done(tx, job.outbox)?;
        }
        Some(e) => outbox::failed(tx, job.outbox, e, now.0)?,
    }
    tx.insert(PRINTER_STATUS, (c.0, printer.0), &st)?;
    Ok(())
}

/// Every print outbox row has its job and every job its outbox row.
pub fn verify(tx: &ReadTx) -> std::result::Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    tx.range(PRINT_JOBS, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(c, p, id), j| {
        match tx.get(outbox::OUTBOX, j.outbox)? {
            Some(o) if o.kind == (outbox::JobKind::Print { printer: p, job: id }) && o.company == c => {}
            _ => problems.push(format!("print job {id} of printer {p}, company {c}: no outbox row")),
        }
        Ok(true)
    })?;
    tx.range(SALE_RECEIPTS, (0, 0, 0), (u64::MAX, u64::MAX, u64::MAX), false, usize::MAX, |(c, p, id), r| {
        if tx.get(PRINT_JOBS, (c, p, id))?.is_none() {
            problems.push(format!("receipt of sale {} on printer {p}, company {c}: no print job {id}", r.sale));
        }
        if tx.get(crate::pos::store::SALES, (c, r.sale))?.is_none() {
            problems.push(format!("print job {id} of printer {p}, company {c}: sale {} is missing", r.sale));
        }
        Ok(true)
    })?;
    // A label setup and a station belong to an existing printer, never both to one.
    let lo = (CompanyId(0), crate::ids::PrinterId(0));
    let hi = (CompanyId(u64::MAX), crate::ids::PrinterId(u64::MAX));
    tx.range(LABEL_SETUPS, lo, hi, false, usize::MAX, |(c, p), _| {
        if tx.get(PRINTERS, (c.0, p.0))?.is_none() {
            problems.push(format!("label setup of missing printer {p}, company {c}"));
        }
        Ok(true)
    })?;
    tx.range(STATIONS, lo, hi, false, usize::MAX, |(c, p), s| {
        if tx.get(PRINTERS, (c.0, p.0))?.is_none() || tx.get(LABEL_SETUPS, (c, p))?.is_some() {
            problems.push(format!("station {} of printer {p}, company {c}: no such receipt printer", s.code));
        }
        Ok(true)
    })?;
    Ok(problems)
}

/// The receipt of a sale laid out for preview (80 mm, or the width of the first printer of
/// its cash box), from the same model the printer gets.
pub fn preview(tx: &ReadTx, actor: &Actor, sale: SaleId) -> Result<escpos::Doc> {
    Ok(preview_at(tx, actor, sale)?.0)
}

/// The same receipt drawn as a PNG (`png::render`).
pub fn preview_png(tx: &ReadTx, actor: &Actor, sale: SaleId) -> Result<Vec<u8>> {
    let (doc, width) = preview_at(tx, actor, sale)?;
    Ok(png::render(&doc, width))
}

fn preview_at(tx: &ReadTx, actor: &Actor, sale: SaleId) -> Result<(escpos::Doc, Width)> {
    let c = actor.company;
    let sale = tx.get(crate::pos::store::SALES, (c.0, sale.0))?.ok_or(Error::NotFound)?;
    if !actor.owner_like()
        && let crate::tenancy::actor::BranchScope::Branch(b) = actor.branch
        && sale.branch.is_some_and(|x| x != b)
    {
        return Err(Error::NotFound);
    }
    let src = sources(tx, c, &sale)?;
    let width = for_cash_box(tx, c, sale.cash_box)?.first().map_or(Width::Mm80, |(p, _)| p.profile.width);
    Ok((receipt_of(&sale, &src, false).layout(width.chars()), width))
}

#[cfg(test)]
mod tests;
