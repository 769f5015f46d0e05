//! DIGI (the Siemens Nixdorf set, serial): `STX W ETX` asks, `STX w <weight> ETX` answers,
//! the weight in kg when it has a dot, in grams otherwise (†: only the request and the answer's
//! start are documented). No stability flag: a worker settles it over `SETTLE` polls.

use super::*;

const STX: u8 = 0x02;
const ETX: u8 = 0x03;

pub fn request(cmd: Command) -> Option<Vec<u8>> {
    match cmd {
        Command::Weigh => Some(vec![STX, b'W', ETX]),
        Command::Zero | Command::Tare => None,
    }
}

pub fn decode(buf: &[u8]) -> Decoded {
    match buf {
        [] | [STX] => return Decoded::Need,
        [STX, b'w', ..] => {}
        _ => return Decoded::Skip(1),
    }
    let Some(end) = find(buf, 2, ETX) else {
        return if buf.len() >= 16 { Decoded::Skip(1) } else { Decoded::Need };
    };
    let body = &buf[2..end];
    let unit = if body.contains(&b'.') { Unit::Kg } else { Unit::G };
    match ascii_decimal(body) {
        Some(w) => Decoded::Frame(Answer::Weight(Reading::new(w, unit, State::Unstable)), end + 1),
        None => Decoded::Skip(end + 1),
    }
}

pub fn request_of(buf: &[u8]) -> Req {
    match buf {
        [] | [STX] | [STX, b'W'] => Req::Need,
        [STX, b'W', ETX, ..] => Req::Cmd(Command::Weigh, 3),
        _ => Req::Skip(1),
    }
}

pub fn answer(grams: i64) -> Vec<u8> {
    let mut out = vec![STX, b'w'];
    out.extend_from_slice(format!("{grams:06}").as_bytes());
    out.push(ETX);
    out
}
