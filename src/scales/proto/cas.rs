//! CAS (PD-II, ER, "CAS-M"; 9600 8N1): `ENQ` is answered `ACK`, then `DC1` gets the weight
//! frame `SOH STX STA SIGN W5..W0 UN1 UN0 BCC ETX EOT` — STA `S` stable / `U` unstable, SIGN
//! `-`, space or `F` (overload), BCC the XOR of STA…UN0. Zero is `<ZK>` TAB, tare `<TK>` TAB.
//! PD-II per uniCenta's driver (7E1) sends `W` for the same frame (†: its zero/tare are `Z`/`T`).

use super::*;

const SOH: u8 = 0x01;
const STX: u8 = 0x02;
const ETX: u8 = 0x03;
const EOT: u8 = 0x04;
const ENQ: u8 = 0x05;
const ACK: u8 = 0x06;
const DC1: u8 = 0x11;
const NAK: u8 = 0x15;
const FRAME: usize = 15;

pub fn requests(cmd: Command) -> Vec<Vec<u8>> {
    match cmd {
        Command::Weigh => vec![vec![ENQ], vec![DC1]],
        Command::Zero => vec![b"<ZK>\t".to_vec()],
        Command::Tare => vec![b"<TK>\t".to_vec()],
    }
}

pub fn pd2_request(cmd: Command) -> Option<Vec<u8>> {
    Some(match cmd {
        Command::Weigh => b"W".to_vec(),
        Command::Zero => b"Z".to_vec(),
        Command::Tare => b"T".to_vec(),
    })
}

pub fn decode(buf: &[u8]) -> Decoded {
    match buf.first() {
        None => Decoded::Need,
        Some(&ACK) => Decoded::Frame(Answer::Ack, 1),
        Some(&NAK) => Decoded::Frame(Answer::Refused, 1),
        Some(&SOH) => {
            if buf.len() < FRAME {
                return if buf.get(1).is_some_and(|b| *b != STX) { Decoded::Skip(1) } else { Decoded::Need };
            }
            let f = &buf[..FRAME];
            if f[1] != STX || f[13] != ETX || f[14] != EOT || xor(&f[2..12]) != f[12] {
                return Decoded::Skip(1);
            }
            let state = match (f[2], f[3]) {
                (_, b'F') => State::Overload,
                (b'S', b' ' | b'-' | b'+') => State::Stable,
                (b'U', b' ' | b'-' | b'+') => State::Unstable,
                _ => return Decoded::Skip(1),
            };
            let (Some(w), Some(unit)) = (ascii_decimal(&f[4..10]), Unit::parse(&f[10..12])) else {
                return if state == State::Overload {
                    Decoded::Frame(Answer::Weight(Reading::new(Decimal::ZERO, Unit::Kg, state)), FRAME)
                } else {
                    Decoded::Skip(1)
                };
            };
            let w = if f[3] == b'-' { -w } else { w };
            Decoded::Frame(Answer::Weight(Reading::new(w, unit, state)), FRAME)
        }
        Some(_) => Decoded::Skip(1),
    }
}

pub fn request_of(buf: &[u8]) -> Req {
    match buf.first() {
        None => Req::Need,
        Some(&ENQ) => Req::Enquiry(1),
        Some(&DC1) | Some(b'W') => Req::Cmd(Command::Weigh, 1),
        Some(b'Z') => Req::Cmd(Command::Zero, 1),
        Some(b'T') => Req::Cmd(Command::Tare, 1),
        Some(b'<') => match buf.get(..5) {
            None if b"<ZK>\t".starts_with(buf) || b"<TK>\t".starts_with(buf) => Req::Need,
            Some(b"<ZK>\t") => Req::Cmd(Command::Zero, 5),
            Some(b"<TK>\t") => Req::Cmd(Command::Tare, 5),
            _ => Req::Skip(1),
        },
        Some(_) => Req::Skip(1),
    }
}

pub fn ack() -> Vec<u8> {
    vec![ACK]
}

/// The weight frame; underload is shown as a negative weight, as CAS scales do.
pub fn answer(r: &Reading) -> Vec<u8> {
    let sta = if r.state == State::Unstable { b'U' } else { b'S' };
    let sign = match r.state {
        State::Overload => b'F',
        _ if r.weight.is_sign_negative() && !r.weight.is_zero() => b'-',
        _ => b' ',
    };
    let digits = format!("{:06.3}", r.weight.abs());
    let mut body = vec![sta, sign];
    body.extend_from_slice(&digits.as_bytes()[..6.min(digits.len())]);
    body.extend_from_slice(b"kg");
    let mut out = vec![SOH, STX];
    out.extend_from_slice(&body);
    out.push(xor(&body));
    out.extend_from_slice(&[ETX, EOT]);
    out
}
