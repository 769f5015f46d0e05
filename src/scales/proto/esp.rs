//! Samsung / CAS ESP (9600 8N1): `P` CR asks, the answer is the weight in kg as ASCII digits
//! and a dot up to CR. It says nothing about stability, so a worker takes a weight as stable
//! only after it came back unchanged `SETTLE` times; nor can it be zeroed or tared from here.

use super::*;

const CR: u8 = 0x0d;

pub fn request(cmd: Command) -> Option<Vec<u8>> {
    match cmd {
        Command::Weigh => Some(b"P\r".to_vec()),
        Command::Zero | Command::Tare => None,
    }
}

fn weight_byte(b: u8) -> bool {
    b.is_ascii_digit() || b" .-+".contains(&b)
}

pub fn decode(buf: &[u8]) -> Decoded {
    if let Some(bad) = buf.iter().position(|b| !weight_byte(*b) && *b != CR) {
        return Decoded::Skip(bad + 1);
    }
    let Some(end) = find(buf, 0, CR) else {
        return if buf.len() >= 16 { Decoded::Skip(buf.len()) } else { Decoded::Need };
    };
    match ascii_decimal(&buf[..end]) {
        Some(w) => Decoded::Frame(Answer::Weight(Reading::new(w, Unit::Kg, State::Unstable)), end + 1),
        None => Decoded::Skip(end + 1),
    }
}

pub fn request_of(buf: &[u8]) -> Req {
    match buf {
        [] | [b'P'] => Req::Need,
        [b'P', b'\r', ..] => Req::Cmd(Command::Weigh, 2),
        _ => Req::Skip(1),
    }
}

pub fn answer(r: &Reading) -> Vec<u8> {
    format!("{:07.3}\r", r.weight).into_bytes()
}
