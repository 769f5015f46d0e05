//! Shtrih / Mertech POS2 (POS2-M Pro; 9600 8N1†): frames are `STX len cmd data… LRC`, the LRC
//! the XOR of len…data. Command `3A` with password "0030" reads the weight channel: `3A err
//! flags(2, LE) weight(4, LE, signed grams) tare(2, LE) 00` — flags bit 0 stable, bit 1 zero,
//! bit 3 tare set, bit 6 over the maximum. `30` zeroes, `31`† tares.

use super::*;

const STX: u8 = 0x02;
const ACK: u8 = 0x06;
const NAK: u8 = 0x15;
const PASSWORD: &[u8; 4] = b"0030";
pub const WEIGHT: u8 = 0x3a;
pub const ZERO: u8 = 0x30;
pub const TARE: u8 = 0x31;

/// `STX len payload LRC`.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![STX, payload.len() as u8];
    out.extend_from_slice(payload);
    out.push(xor(&out[1..]));
    out
}

pub fn request(cmd: Command) -> Option<Vec<u8>> {
    let code = match cmd {
        Command::Weigh => WEIGHT,
        Command::Zero => ZERO,
        Command::Tare => TARE,
    };
    let mut payload = vec![code];
    payload.extend_from_slice(PASSWORD);
    Some(frame(&payload))
}

/// A whole `STX len payload LRC` frame at the start of `buf`: its payload and length.
fn split(buf: &[u8]) -> Result<(&[u8], usize), Decoded> {
    match buf.first() {
        None => return Err(Decoded::Need),
        Some(&STX) => {}
        Some(_) => return Err(Decoded::Skip(1)),
    }
    let Some(&len) = buf.get(1) else { return Err(Decoded::Need) };
    let len = usize::from(len);
    if len == 0 || len > 40 {
        return Err(Decoded::Skip(1));
    }
    let total = len + 3;
    if buf.len() < total {
        return Err(Decoded::Need);
    }
    if xor(&buf[1..2 + len]) != buf[2 + len] {
        return Err(Decoded::Skip(1));
    }
    Ok((&buf[2..2 + len], total))
}

pub fn decode(buf: &[u8]) -> Decoded {
    match buf.first() {
        Some(&ACK) => return Decoded::Skip(1),
        Some(&NAK) => return Decoded::Frame(Answer::Refused, 1),
        _ => {}
    }
    let (payload, total) = match split(buf) {
        Ok(x) => x,
        Err(d) => return d,
    };
    let answer = match payload {
        [WEIGHT, 0, f0, f1, w0, w1, w2, w3, t0, t1, _] => {
            let flags = u16::from_le_bytes([*f0, *f1]);
            let grams = i32::from_le_bytes([*w0, *w1, *w2, *w3]);
            let tare = u16::from_le_bytes([*t0, *t1]);
            let state = if flags & (1 << 6) != 0 {
                State::Overload
            } else if flags & 1 != 0 {
                State::Stable
            } else {
                State::Unstable
            };
            let mut r = Reading::new(Decimal::from(grams), Unit::G, state);
            r.tare = (flags & (1 << 3) != 0).then(|| Decimal::from(tare));
            Answer::Weight(r)
        }
        [_, 0, ..] => Answer::Ack,
        _ => Answer::Refused,
    };
    Decoded::Frame(answer, total)
}

pub fn request_of(buf: &[u8]) -> Req {
    match split(buf) {
        Ok(([WEIGHT, ..], n)) => Req::Cmd(Command::Weigh, n),
        Ok(([ZERO, ..], n)) => Req::Cmd(Command::Zero, n),
        Ok(([TARE, ..], n)) => Req::Cmd(Command::Tare, n),
        Ok((_, n)) => Req::Skip(n),
        Err(Decoded::Need) => Req::Need,
        Err(_) => Req::Skip(1),
    }
}

/// The weight channel answer for `grams` with `tare_grams` held.
pub fn answer(r: &Reading, grams: i32, tare_grams: u16) -> Vec<u8> {
    let mut flags: u16 = 0;
    match r.state {
        State::Stable => flags |= 1,
        State::Overload => flags |= 1 << 6,
        State::Unstable | State::Underload => {}
    }
    if grams == 0 {
        flags |= 1 << 1;
    }
    if tare_grams > 0 {
        flags |= 1 << 3;
    }
    let mut payload = vec![WEIGHT, 0];
    payload.extend_from_slice(&flags.to_le_bytes());
    payload.extend_from_slice(&grams.to_le_bytes());
    payload.extend_from_slice(&tare_grams.to_le_bytes());
    payload.push(0);
    frame(&payload)
}

pub fn ack(code: u8) -> Vec<u8> {
    frame(&[code, 0])
}
