//! MT-SICS (Mettler Toledo Standard Interface Command Set, 9600 8N1, CR LF): `SI` weighs
//! immediately and says `S S <value> <unit>` when stable or `S D …` while moving; `S +` and
//! `S -` are over and under range, `S I` busy, `ES`/`ET`/`EL` errors. `Z` zeroes (`Z A`), `T`
//! tares (`T S <tare> <unit>`).

use super::*;

pub fn request(cmd: Command) -> Option<Vec<u8>> {
    Some(match cmd {
        Command::Weigh => b"SI\r\n".to_vec(),
        Command::Zero => b"Z\r\n".to_vec(),
        Command::Tare => b"T\r\n".to_vec(),
    })
}

pub fn decode(buf: &[u8]) -> Decoded {
    let Some(end) = find(buf, 0, b'\n') else {
        return if buf.len() >= MAX_FRAME { Decoded::Skip(buf.len()) } else { Decoded::Need };
    };
    let line = buf[..end].strip_suffix(b"\r").unwrap_or(&buf[..end]);
    let words: Vec<&[u8]> = line.split(|b| *b == b' ').filter(|w| !w.is_empty()).collect();
    let weight = |state: State, value: &[u8], unit: &[u8]| match (ascii_decimal(value), Unit::parse(unit)) {
        (Some(w), Some(u)) => Some(Answer::Weight(Reading::new(w, u, state))),
        _ => None,
    };
    let answer = match words.as_slice() {
        [b"S", b"S", value, unit] => weight(State::Stable, value, unit),
        [b"S", b"D", value, unit] => weight(State::Unstable, value, unit),
        [b"S", b"+"] => Some(Answer::Weight(Reading::new(Decimal::ZERO, Unit::Kg, State::Overload))),
        [b"S", b"-"] => Some(Answer::Weight(Reading::new(Decimal::ZERO, Unit::Kg, State::Underload))),
        [b"Z" | b"ZI", b"A" | b"D"] | [b"T" | b"TI", b"S" | b"D", _, _] => Some(Answer::Ack),
        [b"S" | b"SI" | b"Z" | b"ZI" | b"T" | b"TI", b"I" | b"+" | b"-" | b"L"] | [b"ES" | b"ET" | b"EL"] => Some(Answer::Refused),
        _ => None,
    };
    match answer {
        Some(a) => Decoded::Frame(a, end + 1),
        None => Decoded::Skip(end + 1),
    }
}

pub fn request_of(buf: &[u8]) -> Req {
    let Some(end) = find(buf, 0, b'\n') else {
        return if buf.len() >= MAX_FRAME { Req::Skip(buf.len()) } else { Req::Need };
    };
    let line = buf[..end].strip_suffix(b"\r").unwrap_or(&buf[..end]);
    match line {
        b"S" | b"SI" => Req::Cmd(Command::Weigh, end + 1),
        b"Z" | b"ZI" => Req::Cmd(Command::Zero, end + 1),
        b"T" | b"TI" => Req::Cmd(Command::Tare, end + 1),
        _ => Req::Skip(end + 1),
    }
}

pub fn answer(r: &Reading) -> Vec<u8> {
    match r.state {
        State::Stable | State::Unstable => {
            let s = if r.state == State::Stable { 'S' } else { 'D' };
            format!("S {s} {:>10.3} kg\r\n", r.weight).into_bytes()
        }
        State::Overload => b"S +\r\n".to_vec(),
        State::Underload => b"S -\r\n".to_vec(),
    }
}

pub fn ack(cmd: Command, tare: Decimal) -> Vec<u8> {
    match cmd {
        Command::Zero => b"Z A\r\n".to_vec(),
        Command::Tare => format!("T S {tare:>10.3} kg\r\n").into_bytes(),
        Command::Weigh => Vec::new(),
    }
}
