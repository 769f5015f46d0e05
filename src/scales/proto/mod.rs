//! Scale protocols as sans-IO codecs: each protocol turns a command into request bytes and
//! reads answers out of a byte buffer, with no port, socket or clock in sight. A decoder only
//! ever returns a whole frame (terminated, and checksummed where the protocol has one), so a
//! cable pulled mid-frame leaves `Need` and never a half reading; it consumes at most what it
//! was given and skips garbage one byte at a time, so a worker's buffer stays bounded.

pub mod cas;
pub mod digi;
pub mod esp;
pub mod mt8217;
pub mod pos2;
pub mod sics;
pub mod sma;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// What the weight display says about the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Stable,
    /// Still moving (`S D`, CAS `U`, a motion bit): shown, never sold.
    Unstable,
    Overload,
    Underload,
}

impl State {
    pub fn code(self) -> &'static str {
        match self {
            State::Stable => "stable",
            State::Unstable => "unstable",
            State::Overload => "overload",
            State::Underload => "underload",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    Kg,
    G,
    Lb,
}

impl Unit {
    fn parse(raw: &[u8]) -> Option<Unit> {
        match raw.iter().filter(|b| !b.is_ascii_whitespace()).map(u8::to_ascii_lowercase).collect::<Vec<_>>().as_slice() {
            b"kg" | b"" => Some(Unit::Kg),
            b"g" => Some(Unit::G),
            b"lb" => Some(Unit::Lb),
            _ => None,
        }
    }
}

/// One weight as the scale reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub weight: Decimal,
    pub unit: Unit,
    pub state: State,
    /// The tare the scale holds, in the same unit, when the protocol reports it.
    pub tare: Option<Decimal>,
}

impl Reading {
    pub fn new(weight: Decimal, unit: Unit, state: State) -> Reading {
        Reading { weight, unit, state, tare: None }
    }

    /// The weight in grams, rounded half-up to a multiple of `resolution` grams; `None` for
    /// pounds (a till in KG/RU never sells by the pound).
    pub fn grams(&self, resolution: u32) -> Option<i64> {
        let g = match self.unit {
            Unit::Kg => self.weight * Decimal::from(1000),
            Unit::G => self.weight,
            Unit::Lb => return None,
        };
        let step = Decimal::from(resolution.max(1));
        let steps = (g / step).round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(steps * step).ok()
    }
}

/// What a decoder made of the bytes so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// A whole answer, and how many bytes it took.
    Frame(Answer, usize),
    /// Not a whole frame yet; keep the bytes and read more.
    Need,
    /// The first `n` bytes can never start a frame: drop them.
    Skip(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Weight(Reading),
    /// An acknowledgement (CAS `ACK`, SICS `Z A`, a zero/tare done).
    Ack,
    /// The scale refused or could not execute the command.
    Refused,
}

/// A command a worker sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Weigh,
    Zero,
    Tare,
}

/// Serial line settings: baud, data bits, parity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub baud: u32,
    pub data_bits: u8,
    pub parity: Parity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Parity {
    None,
    Even,
    Odd,
}

impl Line {
    pub const fn new(baud: u32, data_bits: u8, parity: Parity) -> Line {
        Line { baud, data_bits, parity }
    }

    /// "9600 8N1".
    pub fn label(&self) -> String {
        let p = match self.parity {
            Parity::None => 'N',
            Parity::Even => 'E',
            Parity::Odd => 'O',
        };
        format!("{} {}{}1", self.baud, self.data_bits, p)
    }

    pub fn parse(raw: &str) -> Option<Line> {
        let (baud, frame) = raw.trim().split_once(' ')?;
        let baud = baud.parse::<u32>().ok().filter(|b| [1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200].contains(b))?;
        let f = frame.trim().as_bytes();
        let (bits, parity, stop) = (f.first()?, f.get(1)?, f.get(2)?);
        let data_bits = match bits {
            b'7' => 7,
            b'8' => 8,
            _ => return None,
        };
        let parity = match parity.to_ascii_uppercase() {
            b'N' => Parity::None,
            b'E' => Parity::Even,
            b'O' => Parity::Odd,
            _ => return None,
        };
        (f.len() == 3 && *stop == b'1').then_some(Line { baud, data_bits, parity })
    }
}

/// The protocols a scale may speak. Codes are stored; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Protocol {
    /// Mettler Toledo 8217 (Ariva-S "protocol option 3").
    Mt8217,
    /// Mettler Toledo Standard Interface Command Set.
    Sics,
    /// CAS ENQ → ACK, DC1 → weight frame.
    Cas,
    /// CAS PD-II: `W` → the same weight frame (uniCenta's driver; 7E1).
    CasPd2,
    /// Samsung / CAS ESP.
    Esp,
    /// Shtrih / Mertech POS2 (POS2-M Pro).
    Pos2,
    /// DIGI (Siemens Nixdorf set).
    Digi,
    /// SMA level 1.
    Sma,
}

impl Protocol {
    pub const ALL: [Protocol; 8] =
        [Protocol::Mt8217, Protocol::Sics, Protocol::Cas, Protocol::CasPd2, Protocol::Esp, Protocol::Pos2, Protocol::Digi, Protocol::Sma];

    pub fn code(self) -> &'static str {
        match self {
            Protocol::Mt8217 => "mt8217",
            Protocol::Sics => "sics",
            Protocol::Cas => "cas",
            Protocol::CasPd2 => "cas_pd2",
            Protocol::Esp => "esp",
            Protocol::Pos2 => "pos2",
            Protocol::Digi => "digi",
            Protocol::Sma => "sma",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Protocol::Mt8217 => "Mettler Toledo 8217",
            Protocol::Sics => "Mettler Toledo MT-SICS",
            Protocol::Cas => "CAS (ENQ/ACK/DC1)",
            Protocol::CasPd2 => "CAS PD-II",
            Protocol::Esp => "Samsung / CAS ESP",
            Protocol::Pos2 => "Штрих / Mertech POS2",
            Protocol::Digi => "DIGI",
            Protocol::Sma => "SMA",
        }
    }

    pub fn parse(code: &str) -> Option<Protocol> {
        Protocol::ALL.into_iter().find(|p| p.code() == code.trim())
    }

    /// The line settings the protocol's scales usually ship with; Detect tries these first.
    pub fn line(self) -> Line {
        match self {
            Protocol::Mt8217 | Protocol::CasPd2 => Line::new(9600, 7, Parity::Even),
            _ => Line::new(9600, 8, Parity::None),
        }
    }

    /// Whether its frames say stable or moving. Those that do not (ESP, DIGI) are taken as
    /// stable only after the same weight came back [`SETTLE`] times in a row.
    pub fn reports_stability(self) -> bool {
        !matches!(self, Protocol::Esp | Protocol::Digi)
    }

    /// Whether the scale can be zeroed and tared from here.
    pub fn zero_tare(self) -> bool {
        !matches!(self, Protocol::Esp | Protocol::Digi)
    }

    /// The exchanges one command takes: each request and whether its answer is a bare ACK
    /// (CAS asks `ENQ` first) or the command's own answer. Empty: not supported.
    pub fn exchanges(self, cmd: Command) -> Vec<Vec<u8>> {
        match self {
            Protocol::Mt8217 => mt8217::request(cmd).into_iter().collect(),
            Protocol::Sics => sics::request(cmd).into_iter().collect(),
            Protocol::Cas => cas::requests(cmd),
            Protocol::CasPd2 => cas::pd2_request(cmd).into_iter().collect(),
            Protocol::Esp => esp::request(cmd).into_iter().collect(),
            Protocol::Pos2 => pos2::request(cmd).into_iter().collect(),
            Protocol::Digi => digi::request(cmd).into_iter().collect(),
            Protocol::Sma => sma::request(cmd).into_iter().collect(),
        }
    }

    pub fn decode(self, buf: &[u8]) -> Decoded {
        match self {
            Protocol::Mt8217 => mt8217::decode(buf),
            Protocol::Sics => sics::decode(buf),
            Protocol::Cas | Protocol::CasPd2 => cas::decode(buf),
            Protocol::Esp => esp::decode(buf),
            Protocol::Pos2 => pos2::decode(buf),
            Protocol::Digi => digi::decode(buf),
            Protocol::Sma => sma::decode(buf),
        }
    }
}

/// Equal consecutive weights that make a reading stable on a protocol without a stability flag.
pub const SETTLE: u32 = 3;

/// The largest buffer a worker keeps; a decoder that still says `Need` past it is fed garbage.
pub const MAX_FRAME: usize = 64;

/// An ASCII decimal with optional sign, spaces and one dot (`"  -1.234"`), or `None`.
pub(crate) fn ascii_decimal(raw: &[u8]) -> Option<Decimal> {
    let s = std::str::from_utf8(raw).ok()?.trim();
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, s.strip_prefix('+').unwrap_or(s).trim_start()),
    };
    if digits.is_empty()
        || digits.len() > 12
        || !digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        || digits.bytes().filter(|b| *b == b'.').count() > 1
    {
        return None;
    }
    let d: Decimal = digits.parse().ok()?;
    Some(if neg { -d } else { d })
}

/// Position of `byte` in `buf` at or after `from`.
pub(crate) fn find(buf: &[u8], from: usize, byte: u8) -> Option<usize> {
    buf.get(from..)?.iter().position(|b| *b == byte).map(|i| i + from)
}

/// XOR of all bytes (the LRC of CAS and Shtrih frames).
pub(crate) fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |a, b| a ^ b)
}

#[cfg(test)]
mod tests;

/// What a simulated scale made of the bytes a worker sent (see `scales::sim`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Req {
    Cmd(Command, usize),
    /// CAS `ENQ`: answered with `ACK`.
    Enquiry(usize),
    Need,
    Skip(usize),
}
