//! Mettler Toledo 8217 ("protocol option 3", 9600 7E1): `W` weighs, `Z` zeroes, `T` tares.
//! The answer is `STX <weight kg> [N] CR` (N: net of a tare) or, when the scale cannot give a
//! weight, `STX ? <status> CR` whose status bits say motion (0), over capacity (1) or under
//! zero (2) — so a moving load never comes back as a number.

use super::*;

const STX: u8 = 0x02;
const CR: u8 = 0x0d;

pub fn request(cmd: Command) -> Option<Vec<u8>> {
    Some(match cmd {
        Command::Weigh => b"W".to_vec(),
        Command::Zero => b"Z".to_vec(),
        Command::Tare => b"T".to_vec(),
    })
}

pub fn decode(buf: &[u8]) -> Decoded {
    match buf.first() {
        None => return Decoded::Need,
        Some(&STX) => {}
        Some(_) => return Decoded::Skip(1),
    }
    let Some(end) = find(buf, 1, CR) else {
        return if buf.len() >= 16 { Decoded::Skip(1) } else { Decoded::Need };
    };
    let body = &buf[1..end];
    let answer = match body {
        [b'?', status] => {
            let state = if status & 0b010 != 0 {
                State::Overload
            } else if status & 0b100 != 0 {
                State::Underload
            } else {
                State::Unstable
            };
            Answer::Weight(Reading::new(Decimal::ZERO, Unit::Kg, state))
        }
        _ => {
            let digits = body.strip_suffix(b"N").unwrap_or(body);
            match ascii_decimal(digits) {
                Some(w) => Answer::Weight(Reading::new(w, Unit::Kg, State::Stable)),
                None => return Decoded::Skip(end + 1),
            }
        }
    };
    Decoded::Frame(answer, end + 1)
}

/// A simulated scale's reading of the bytes it was sent.
pub fn request_of(buf: &[u8]) -> Req {
    match buf.first() {
        None => Req::Need,
        Some(b'W') => Req::Cmd(Command::Weigh, 1),
        Some(b'Z') => Req::Cmd(Command::Zero, 1),
        Some(b'T') => Req::Cmd(Command::Tare, 1),
        Some(_) => Req::Skip(1),
    }
}

/// The answer a scale gives to `W`.
pub fn answer(r: &Reading, net: bool) -> Vec<u8> {
    let mut out = vec![STX];
    match r.state {
        State::Stable => {
            out.extend_from_slice(format!("{:07.3}", r.weight).as_bytes());
            if net {
                out.push(b'N');
            }
        }
        State::Unstable => out.extend_from_slice(&[b'?', 0x21]),
        State::Overload => out.extend_from_slice(&[b'?', 0x22]),
        State::Underload => out.extend_from_slice(&[b'?', 0x24]),
    }
    out.push(CR);
    out
}
