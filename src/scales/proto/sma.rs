//! SMA level 1 (Scale Manufacturers Association; serial): `LF W CR` weighs, `LF Z CR` zeroes,
//! `LF T CR` tares; each is answered `LF <s><r><n><m><f><xxxxxx.xxx><uuu> CR` — status `s`
//! (space fine, `Z` centre of zero, `O` over, `U` under, `E`/`I`/`T` zero, initial-zero and tare
//! errors), range `r`, gross/net `n`, motion `m` (`M` moving), future `f`, the weight in ten
//! characters and the unit in three.

use super::*;

const LF: u8 = 0x0a;
const CR: u8 = 0x0d;
const BODY: usize = 18;

pub fn request(cmd: Command) -> Option<Vec<u8>> {
    Some(match cmd {
        Command::Weigh => b"\nW\r".to_vec(),
        Command::Zero => b"\nZ\r".to_vec(),
        Command::Tare => b"\nT\r".to_vec(),
    })
}

pub fn decode(buf: &[u8]) -> Decoded {
    match buf.first() {
        None => return Decoded::Need,
        Some(&LF) => {}
        Some(_) => return Decoded::Skip(1),
    }
    let Some(end) = find(buf, 1, CR) else {
        return if buf.len() > BODY + 1 { Decoded::Skip(1) } else { Decoded::Need };
    };
    let body = &buf[1..end];
    if body.len() != BODY {
        return Decoded::Skip(end + 1);
    }
    let state = match (body[0], body[3]) {
        (b'O', _) => State::Overload,
        (b'U', _) => State::Underload,
        (b'E' | b'I' | b'T', _) => return Decoded::Frame(Answer::Refused, end + 1),
        (b' ' | b'Z', b'M') => State::Unstable,
        (b' ' | b'Z', b' ') => State::Stable,
        _ => return Decoded::Skip(end + 1),
    };
    match (ascii_decimal(&body[5..15]), Unit::parse(&body[15..18])) {
        (Some(w), Some(u)) => Decoded::Frame(Answer::Weight(Reading::new(w, u, state)), end + 1),
        _ if matches!(state, State::Overload | State::Underload) => {
            Decoded::Frame(Answer::Weight(Reading::new(Decimal::ZERO, Unit::Kg, state)), end + 1)
        }
        _ => Decoded::Skip(end + 1),
    }
}

pub fn request_of(buf: &[u8]) -> Req {
    match buf {
        [] | [LF] | [LF, _] => Req::Need,
        [LF, b'W', CR, ..] => Req::Cmd(Command::Weigh, 3),
        [LF, b'Z', CR, ..] => Req::Cmd(Command::Zero, 3),
        [LF, b'T', CR, ..] => Req::Cmd(Command::Tare, 3),
        _ => Req::Skip(1),
    }
}

pub fn answer(r: &Reading, net: bool) -> Vec<u8> {
    let (s, m) = match r.state {
        State::Stable if r.weight.is_zero() => (b'Z', b' '),
        State::Stable => (b' ', b' '),
        State::Unstable => (b' ', b'M'),
        State::Overload => (b'O', b' '),
        State::Underload => (b'U', b' '),
    };
    let mut out = vec![LF, s, b'1', if net { b'N' } else { b'G' }, m, b' '];
    out.extend_from_slice(format!("{:>10.3}", r.weight).as_bytes());
    out.extend_from_slice(b"kg ");
    out.push(CR);
    out
}
