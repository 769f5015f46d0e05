//! Scales (issue 15): scales on a serial port, a USB-serial adapter or a TCP serial server,
//! each speaking one of the protocols of `proto` (sans-IO codecs), polled by a supervised
//! worker per scale (`device`), with simulators for tests and benches (`sim`). At the till a
//! weighed product's quantity comes from the cash box's scale (`Taken`), recorded with the
//! sale line in `SALE_WEIGHTS` by the checkout's own transaction.
//!
//! Invariants:
//! - only a stable reading is ever taken, and the weight must return to zero between two
//!   takes (`device::Devices::take`); a manual weight needs `Perm::SCALES_MANUAL` and is
//!   marked manual;
//! - a sale line's recorded weight is the sum of the readings taken into it (`on_checkout`
//!   moves them from `CART_WEIGHTS` in the checkout transaction; an edited quantity drops them);
//! - live state (weight, stability, disconnects) is memory only, never stored: a restart
//!   starts every worker afresh and the page shows what it reads;
//! - a serial scale's path must start with one of `Config::printer_paths`; a TCP scale's
//!   addresses pass the same guard as webhooks (`webhooks::guard::Policy`), at save time for
//!   literal addresses and at every connect for names.

pub mod device;
pub mod label;
pub mod label_sim;
pub mod mertech;
pub mod proto;
pub mod sim;
pub mod store;
pub mod upload;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::audit;
use crate::clock::Ts;
use crate::error::{Error, FieldError, Problems, Result};
use crate::ids::{BranchId, CashBoxId, CompanyId, ProductId, SaleId, ScaleId};
use crate::money::parse_qty;
use crate::storage::{Read, ReadTx, Record, StorageError, WriteTx};
use crate::tenancy::actor::Actor;
use crate::tenancy::model::parse_name;
use crate::tenancy::perms::Perm;
use crate::webhooks::guard::Policy;
use proto::{Line, Protocol};
use store::*;

/// How the box reaches a scale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Link {
    /// A TCP serial server (MT-SICS over Ethernet, a Moxa/USR box), e.g. port 4001.
    Tcp {
        host: String,
        port: u16,
    },
    Serial {
        path: String,
        line: Line,
    },
}

impl Link {
    pub fn kind(&self) -> &'static str {
        match self {
            Link::Tcp { .. } => "tcp",
            Link::Serial { .. } => "serial",
        }
    }

    pub fn address(&self) -> String {
        match self {
            Link::Tcp { host, port } => format!("{host}:{port}"),
            Link::Serial { path, .. } => path.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scale {
    pub id: ScaleId,
    pub name: String,
    pub link: Link,
    pub protocol: Protocol,
    /// The scale's division in grams (1, 2, 5, 10, 20 or 50): readings are rounded to it.
    pub resolution_g: u32,
    /// The till whose weighed goods take their quantity from this scale (one scale per box).
    pub cash_box: Option<CashBoxId>,
    /// The cash box's branch, for branch-scoped users.
    pub branch: Option<BranchId>,
    pub active: bool,
}

impl Record for Scale {
    const TYPE: &'static str = "scale.v1";
}

/// A weight taken for a sale line: from a scale's stable reading, or typed by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Taken {
    /// `None` for a manual entry.
    pub scale: Option<ScaleId>,
    /// Net grams at the scale's resolution.
    pub grams: i64,
    /// The tare the scale held (0 when none or unknown).
    pub tare_grams: i64,
    pub at: Ts,
    pub manual: bool,
}

impl Taken {
    /// The quantity in kg (3 places, exact: grams are whole).
    pub fn kg(&self) -> Decimal {
        Decimal::new(self.grams, 3)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CartWeights {
    pub readings: Vec<Taken>,
}

impl Record for CartWeights {
    const TYPE: &'static str = "cartweights.v1";
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaleWeight {
    pub product: ProductId,
    pub readings: Vec<Taken>,
}

impl SaleWeight {
    pub fn grams(&self) -> i64 {
        self.readings.iter().map(|r| r.grams).sum()
    }

    pub fn manual(&self) -> bool {
        self.readings.iter().any(|r| r.manual)
    }
}

impl Record for SaleWeight {
    const TYPE: &'static str = "saleweight.v1";
}

/// The scale form as typed.
#[derive(Debug, Clone, Default)]
pub struct ScaleDraft {
    pub name: String,
    /// "tcp" or "serial".
    pub link: String,
    /// host:port for TCP, the device path for serial.
    pub address: String,
    /// "9600 8N1"; empty = the protocol's usual settings.
    pub line: String,
    pub protocol: String,
    pub resolution_g: String,
    pub cash_box: Option<CashBoxId>,
    pub active: bool,
}

/// Where a scale may be reached from: serial path prefixes and the outgoing address policy.
#[derive(Debug, Clone)]
pub struct Reach {
    pub paths: Vec<String>,
    pub policy: Policy,
}

impl Reach {
    pub fn of(config: &crate::config::Config) -> Reach {
        Reach { paths: config.printer_paths.clone(), policy: Policy::of(config) }
    }

    pub fn path_ok(&self, path: &str) -> bool {
        !path.contains("..") && self.paths.iter().any(|a| !a.is_empty() && path.starts_with(a.as_str()))
    }
}

/// Parses a link: TCP `host:port` (a literal address must pass the policy) or a serial path
/// under the allowed prefixes with its line settings.
pub fn parse_link(p: &mut Problems, kind: &str, address: &str, line: &str, protocol: Option<Protocol>, reach: &Reach) -> Option<Link> {
    let address = address.trim();
    match kind.trim() {
        "tcp" => {
            let (host, port) = match address.rsplit_once(':') {
                Some((h, port)) => (h.trim_start_matches('[').trim_end_matches(']'), port.parse::<u16>().ok()),
                None => (address, None),
            };
            let host_ok = !host.is_empty() && host.len() <= 253 && host.chars().all(|c| c.is_ascii_alphanumeric() || ".-_:".contains(c));
            let literal_ok = host.parse::<std::net::IpAddr>().map_or(true, |ip| reach.policy.allows(ip));
            match (host_ok, port) {
                (true, Some(port)) if port > 0 && literal_ok => Some(Link::Tcp { host: host.to_string(), port }),
                (true, Some(port)) if port > 0 => {
                    p.push(FieldError::new(
                        "address",
                        "scale_address_forbidden",
                        "Этот адрес недоступен для устройств",
                        "Devices may not be reached at this address",
                    ));
                    None
                }
                _ => {
                    p.push(FieldError::new(
                        "address",
                        "scale_address",
                        "Адрес весов: хост или IP и порт, например 192.168.1.60:4001",
                        "Scale address: host or IP and port, e.g. 192.168.1.60:4001",
                    ));
                    None
                }
            }
        }
        "serial" => {
            if !reach.path_ok(address) {
                p.push(FieldError::new(
                    "address",
                    "scale_path",
                    format!("Порт должен начинаться с одного из: {}", reach.paths.join(", ")),
                    format!("The port must start with one of: {}", reach.paths.join(", ")),
                ));
                return None;
            }
            let line = match line.trim() {
                "" => protocol.map(Protocol::line),
                raw => Line::parse(raw),
            };
            match line {
                Some(line) => Some(Link::Serial { path: address.to_string(), line }),
                None if protocol.is_none() => None,
                None => {
                    p.push(FieldError::new(
                        "line",
                        "scale_line",
                        "Параметры линии: скорость и формат, например 9600 8N1 или 9600 7E1",
                        "Line settings: baud and frame, e.g. 9600 8N1 or 9600 7E1",
                    ));
                    None
                }
            }
        }
        _ => {
            p.push(FieldError::new(
                "link",
                "scale_link",
                "Выберите подключение: сеть или COM-порт",
                "Choose a connection: network or serial",
            ));
            None
        }
    }
}

/// Who manages scales: `Perm::MARKET_SCALES` on a plan with the `scales` feature.
pub fn manager(actor: &Actor) -> Result<()> {
    actor.require(Perm::MARKET_SCALES)?;
    actor.require_feature("scales")
}

/// Who sees a scale's live weight: its managers and cashiers.
pub fn viewer(actor: &Actor) -> Result<()> {
    actor.require_feature("scales")?;
    if actor.can(Perm::CASHIER) {
        return Ok(());
    }
    actor.require(Perm::MARKET_SCALES)
}

/// The rights to manage scales (for pages deciding what to show).
pub fn may_manage(actor: &Actor) -> bool {
    manager(actor).is_ok()
}

/// Adds or edits a scale. `cash_box` is what pos found for `d.cash_box` (pos owns cash
/// boxes and calls this, see `pos::save_scale`): `None` for no box, `Some(None)` for a box the
/// company does not have, else the box's branch. A box has at most one scale.
pub fn save_scale(
    tx: &mut WriteTx,
    actor: &Actor,
    now: Ts,
    id: Option<ScaleId>,
    d: &ScaleDraft,
    cash_box: Option<Option<Option<BranchId>>>,
    reach: &Reach,
) -> Result<Scale> {
    manager(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    if let Some(id) = id
        && tx.get(SCALES, (c, id))?.is_none()
    {
        return Err(Error::NotFound);
    }
    let mut p = Problems::default();
    let name = p.take(parse_name("name", &d.name, 100));
    let protocol = Protocol::parse(&d.protocol);
    if protocol.is_none() {
        p.push(FieldError::new("protocol", "scale_protocol", "Выберите протокол весов", "Choose the scale's protocol"));
    }
    let link = parse_link(&mut p, &d.link, &d.address, &d.line, protocol, reach);
    let resolution = match d.resolution_g.trim() {
        "" => Some(1),
        raw => raw.parse::<u32>().ok().filter(|r| [1, 2, 5, 10, 20, 50].contains(r)),
    };
    if resolution.is_none() {
        p.push(FieldError::new(
            "resolution_g",
            "scale_resolution",
            "Дискретность: 1, 2, 5, 10, 20 или 50 г",
            "Division: 1, 2, 5, 10, 20 or 50 g",
        ));
    }
    let mut branch = None;
    if let Some(b) = d.cash_box {
        match cash_box {
            Some(Some(br)) => branch = br,
            _ => p.push(FieldError::new("cash_box", "unknown_cash_box", "Нет такой кассы", "No such cash box")),
        }
        let taken = scales(tx, c)?.into_iter().any(|s| s.cash_box == Some(b) && Some(s.id) != id);
        if taken {
            p.push(FieldError::new("cash_box", "scale_box_taken", "К этой кассе уже подключены весы", "This cash box already has a scale"));
        }
    }
    p.finish()?;
    let (Some(name), Some(protocol), Some(link), Some(resolution_g)) = (name, protocol, link, resolution) else {
        return Err(Error::Internal("scale draft parsed without values".into()));
    };
    let sid = match id {
        Some(id) => id,
        None => ScaleId(tx.next_id()?),
    };
    let scale = Scale { id: sid, name: name.clone(), link, protocol, resolution_g, cash_box: d.cash_box, branch, active: d.active };
    tx.insert(SCALES, (c, sid), &scale)?;
    audit::record(tx, c, actor, now, "scale.save", format!("scale:{sid}"), name)?;
    Ok(scale)
}

pub fn delete_scale(tx: &mut WriteTx, actor: &Actor, now: Ts, id: ScaleId) -> Result<()> {
    manager(actor)?;
    actor.require_writable()?;
    let c = actor.company;
    let s = tx.get(SCALES, (c, id))?.ok_or(Error::NotFound)?;
    tx.remove(SCALES, (c, id))?;
    audit::record(tx, c, actor, now, "scale.delete", format!("scale:{id}"), s.name)?;
    Ok(())
}

pub fn scales(tx: &impl Read, c: CompanyId) -> Result<Vec<Scale>> {
    Ok(tx.list(SCALES, (c, ScaleId::MIN), (c, ScaleId::MAX), usize::MAX)?.into_iter().map(|(_, s)| s).collect())
}

/// The company's scales as the Devices page lists them.
pub fn list(tx: &ReadTx, actor: &Actor) -> Result<Vec<Scale>> {
    manager(actor)?;
    scales(tx, actor.company)
}

pub fn scale(tx: &ReadTx, actor: &Actor, id: ScaleId) -> Result<Scale> {
    viewer(actor)?;
    tx.get(SCALES, (actor.company, id))?.ok_or(Error::NotFound)
}

/// The active scale bound to a cash box.
pub fn for_cash_box(tx: &impl Read, c: CompanyId, b: CashBoxId) -> Result<Option<Scale>> {
    Ok(scales(tx, c)?.into_iter().find(|s| s.active && s.cash_box == Some(b)))
}

/// Every active scale of every company (what the workers run).
pub fn all_active(tx: &ReadTx) -> Result<Vec<(CompanyId, Scale)>> {
    let rows = tx.list(SCALES, (CompanyId::MIN, ScaleId::MIN), (CompanyId::MAX, ScaleId::MAX), usize::MAX)?;
    Ok(rows.into_iter().filter(|(_, s)| s.active).map(|((c, _), s)| (c, s)).collect())
}

/// A weight typed by hand at the till: allowed with `Perm::SCALES_MANUAL` only, marked manual.
pub fn manual(actor: &Actor, now: Ts, raw_kg: &str) -> Result<Taken> {
    actor.require(Perm::SCALES_MANUAL)?;
    let kg = parse_qty("weight", raw_kg).map_err(|e| Error::Validation(vec![e]))?;
    let grams = (kg * Decimal::from(1000)).trunc();
    let grams = i64::try_from(grams)
        .ok()
        .filter(|g| *g > 0 && *g <= 1_000_000)
        .ok_or_else(|| Error::field("weight", "weight_range", "Вес: от 0,001 до 1000 кг", "Weight: 0.001 to 1000 kg"))?;
    Ok(Taken { scale: None, grams, tare_grams: 0, at: now, manual: true })
}

/// Notes a weight taken into `cart` for `product` (its cart line's quantity grew by it).
pub fn note_cart(tx: &mut WriteTx, c: CompanyId, cart: u64, product: ProductId, taken: Taken) -> Result<()> {
    let mut w = tx.get(CART_WEIGHTS, (c, cart, product))?.unwrap_or_default();
    w.readings.push(taken);
    tx.insert(CART_WEIGHTS, (c, cart, product), &w)?;
    Ok(())
}

/// The cart line of `product` was edited or removed by hand: its readings no longer explain
/// its quantity, so they are dropped.
pub fn forget_cart(tx: &mut WriteTx, c: CompanyId, cart: u64, product: ProductId) -> Result<()> {
    tx.remove(CART_WEIGHTS, (c, cart, product))?;
    Ok(())
}

/// The checkout of `cart` as sale `sale`: each line whose product has readings gets a
/// `SaleWeight` (when they add up to its quantity); the cart's readings are cleared. Runs in
/// the checkout's transaction.
pub fn on_checkout(tx: &mut WriteTx, c: CompanyId, cart: u64, sale: SaleId, lines: &[(Option<ProductId>, Decimal)]) -> Result<()> {
    let notes = tx.list(CART_WEIGHTS, (c, cart, ProductId::MIN), (c, cart, ProductId::MAX), usize::MAX)?;
    if notes.is_empty() {
        return Ok(());
    }
    for (i, (product, qty)) in lines.iter().enumerate() {
        let Some(product) = product else { continue };
        let Some((_, w)) = notes.iter().find(|((_, _, p), _)| p == product) else { continue };
        let weight = SaleWeight { product: *product, readings: w.readings.clone() };
        if Decimal::new(weight.grams(), 3) == *qty {
            tx.insert(SALE_WEIGHTS, (c, sale, i as u32), &weight)?;
        }
    }
    for (key, _) in notes {
        tx.remove(CART_WEIGHTS, key)?;
    }
    Ok(())
}

/// A sale's weighed lines: (line index, weight).
pub fn sale_weights(tx: &impl Read, c: CompanyId, sale: SaleId) -> Result<Vec<(u32, SaleWeight)>> {
    Ok(tx.list(SALE_WEIGHTS, (c, sale, 0), (c, sale, u32::MAX), usize::MAX)?.into_iter().map(|((_, _, i), w)| (i, w)).collect())
}

/// A sale line as `verify` needs it: its product and quantity (`check` reads pos's sales).
pub type LineOf<'a> = dyn FnMut(CompanyId, SaleId, u32) -> std::result::Result<Option<(Option<ProductId>, Decimal)>, StorageError> + 'a;

/// Every sale weight names an existing line of its sale, of the same product, whose quantity
/// is the sum of its readings.
pub fn verify(tx: &ReadTx, line_of: &mut LineOf) -> std::result::Result<Vec<String>, StorageError> {
    let mut problems = Vec::new();
    let (lo, hi) = ((CompanyId::MIN, SaleId::MIN, 0), (CompanyId::MAX, SaleId::MAX, u32::MAX));
    tx.range(SALE_WEIGHTS, lo, hi, false, usize::MAX, |(c, s, i), w| {
        match line_of(c, s, i)? {
            Some((product, qty)) if product == Some(w.product) && qty == Decimal::new(w.grams(), 3) => {}
            Some(_) => problems.push(format!("sale {s} line {i}, company {c}: weight {} g does not match the line", w.grams())),
            None => problems.push(format!("sale {s} line {i}, company {c}: weight of a missing line")),
        }
        Ok(true)
    })?;
    Ok(problems)
}

#[cfg(test)]
mod tests;
