//! Golden bytes from `shared/spec/hardware.md` per protocol, the simulators' answers decoded
//! back, and every decoder fed arbitrary bytes (never a panic, never more consumed than given).

use super::*;
use proptest::prelude::*;
fn d(s: &str) -> Decimal {
    s.parse().expect("decimal")
}

fn weight(w: Decimal, unit: Unit, state: State) -> Answer {
    Answer::Weight(Reading::new(w, unit, state))
}

/// One decoder case: the bytes, and the answer with the bytes it took (or `Need`/`Skip`).
fn check(p: Protocol, bytes: &[u8], expected: Decoded) {
    assert_eq!(p.decode(bytes), expected, "{} {:02x?}", p.code(), bytes);
}

#[test]
fn requests_are_the_documented_bytes() {
    let w = |p: Protocol| p.exchanges(Command::Weigh);
    assert_eq!(w(Protocol::Mt8217), [b"W".to_vec()]);
    assert_eq!(w(Protocol::Sics), [b"SI\r\n".to_vec()]);
    assert_eq!(w(Protocol::Cas), [vec![0x05], vec![0x11]]);
    assert_eq!(w(Protocol::CasPd2), [b"W".to_vec()]);
    assert_eq!(w(Protocol::Esp), [vec![0x50, 0x0d]]);
    assert_eq!(w(Protocol::Pos2), [vec![0x02, 0x05, 0x3a, 0x30, 0x30, 0x33, 0x30, 0x05 ^ 0x3a ^ 0x30 ^ 0x30 ^ 0x33 ^ 0x30]]);
    assert_eq!(w(Protocol::Digi), [vec![0x02, b'W', 0x03]]);
    assert_eq!(w(Protocol::Sma), [b"\nW\r".to_vec()]);
    assert_eq!(Protocol::Cas.exchanges(Command::Zero), [vec![0x3c, 0x5a, 0x4b, 0x3e, 0x09]]);
    assert_eq!(Protocol::Cas.exchanges(Command::Tare), [vec![0x3c, 0x54, 0x4b, 0x3e, 0x09]]);
    assert_eq!(Protocol::Mt8217.exchanges(Command::Zero), [b"Z".to_vec()]);
    assert_eq!(Protocol::Sma.exchanges(Command::Tare), [b"\nT\r".to_vec()]);
    assert!(Protocol::Esp.exchanges(Command::Zero).is_empty());
}

#[test]
fn mettler_8217() {
    let p = Protocol::Mt8217;
    check(p, b"\x02001.234\r", Decoded::Frame(weight(d("1.234"), Unit::Kg, State::Stable), 9));
    check(p, b"\x02000.500N\rrest", Decoded::Frame(weight(d("0.500"), Unit::Kg, State::Stable), 10));
    check(p, b"\x02?!\r", Decoded::Frame(weight(d("0"), Unit::Kg, State::Unstable), 4));
    check(p, b"\x02?\x22\r", Decoded::Frame(weight(d("0"), Unit::Kg, State::Overload), 4));
    check(p, b"\x02?\x24\r", Decoded::Frame(weight(d("0"), Unit::Kg, State::Underload), 4));
    check(p, b"\x02001.2", Decoded::Need);
    check(p, b"x\x02", Decoded::Skip(1));
    check(p, b"\x02abc\r", Decoded::Skip(5));
}

#[test]
fn mt_sics() {
    let p = Protocol::Sics;
    check(p, b"S S      1.234 kg\r\n", Decoded::Frame(weight(d("1.234"), Unit::Kg, State::Stable), 19));
    check(p, b"S D      0.120 kg\r\n", Decoded::Frame(weight(d("0.120"), Unit::Kg, State::Unstable), 19));
    check(p, b"S S    250 g\r\n", Decoded::Frame(weight(d("250"), Unit::G, State::Stable), 14));
    check(p, b"S +\r\n", Decoded::Frame(weight(d("0"), Unit::Kg, State::Overload), 5));
    check(p, b"S -\r\n", Decoded::Frame(weight(d("0"), Unit::Kg, State::Underload), 5));
    check(p, b"S I\r\n", Decoded::Frame(Answer::Refused, 5));
    check(p, b"ES\r\n", Decoded::Frame(Answer::Refused, 4));
    check(p, b"Z A\r\n", Decoded::Frame(Answer::Ack, 5));
    check(p, b"T S      0.500 kg\r\n", Decoded::Frame(Answer::Ack, 19));
    check(p, b"S S   1.2", Decoded::Need);
    check(p, b"I4 A \"123\"\r\n", Decoded::Skip(12));
}

#[test]
fn cas() {
    let frame = |sta: u8, sign: u8, w: &[u8; 6]| {
        let mut body = vec![sta, sign];
        body.extend_from_slice(w);
        body.extend_from_slice(b"kg");
        let mut f = vec![0x01, 0x02];
        f.extend_from_slice(&body);
        f.push(xor(&body));
        f.extend_from_slice(&[0x03, 0x04]);
        f
    };
    let p = Protocol::Cas;
    check(p, &[0x06], Decoded::Frame(Answer::Ack, 1));
    check(p, &frame(b'S', b' ', b"01.234"), Decoded::Frame(weight(d("1.234"), Unit::Kg, State::Stable), 15));
    check(p, &frame(b'U', b' ', b"00.350"), Decoded::Frame(weight(d("0.350"), Unit::Kg, State::Unstable), 15));
    check(p, &frame(b'S', b'-', b"00.010"), Decoded::Frame(weight(d("-0.010"), Unit::Kg, State::Stable), 15));
    check(p, &frame(b'S', b'F', b"99.999"), Decoded::Frame(weight(d("99.999"), Unit::Kg, State::Overload), 15));
    let mut bad = frame(b'S', b' ', b"01.234");
    bad[12] ^= 1;
    check(p, &bad, Decoded::Skip(1));
    check(p, &frame(b'S', b' ', b"01.234")[..9], Decoded::Need);
    assert_eq!(cas::answer(&Reading::new(d("1.234"), Unit::Kg, State::Stable)), frame(b'S', b' ', b"01.234"));
}

#[test]
fn samsung_esp() {
    let p = Protocol::Esp;
    check(p, b"001.234\r", Decoded::Frame(weight(d("1.234"), Unit::Kg, State::Unstable), 8));
    check(p, b"  0.5", Decoded::Need);
    check(p, b"kg\r", Decoded::Skip(1));
    check(p, b"..\r", Decoded::Skip(3));
}

#[test]
fn shtrih_pos2() {
    let p = Protocol::Pos2;
    // 1234 g, stable, tare 100 g held.
    let payload = [0x3a, 0x00, 0x09, 0x00, 0xd2, 0x04, 0x00, 0x00, 0x64, 0x00, 0x00];
    let f = pos2::frame(&payload);
    assert_eq!(f[..2], [0x02, 0x0b]);
    let mut r = Reading::new(d("1234"), Unit::G, State::Stable);
    r.tare = Some(d("100"));
    check(p, &f, Decoded::Frame(Answer::Weight(r), 14));
    let moving = pos2::frame(&[0x3a, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    check(p, &moving, Decoded::Frame(weight(d("16"), Unit::G, State::Unstable), 14));
    let over = pos2::frame(&[0x3a, 0x00, 0x40, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);
    check(p, &over, Decoded::Frame(weight(d("16"), Unit::G, State::Overload), 14));
    check(p, &pos2::frame(&[0x30, 0x00]), Decoded::Frame(Answer::Ack, 5));
    check(p, &pos2::frame(&[0x3a, 0x58]), Decoded::Frame(Answer::Refused, 5));
    check(p, &f[..7], Decoded::Need);
    let mut bad = f.clone();
    bad[13] ^= 0xff;
    check(p, &bad, Decoded::Skip(1));
    check(p, &[0x06], Decoded::Skip(1));
}

#[test]
fn digi() {
    let p = Protocol::Digi;
    check(p, b"\x02w001234\x03", Decoded::Frame(weight(d("1234"), Unit::G, State::Unstable), 9));
    check(p, b"\x02w 1.234\x03", Decoded::Frame(weight(d("1.234"), Unit::Kg, State::Unstable), 9));
    check(p, b"\x02w0012", Decoded::Need);
    check(p, b"\x02W\x03", Decoded::Skip(1));
}

#[test]
fn sma() {
    let p = Protocol::Sma;
    check(p, b"\n 1G       1.234kg \r", Decoded::Frame(weight(d("1.234"), Unit::Kg, State::Stable), 20));
    check(p, b"\n 1GM      0.400kg \r", Decoded::Frame(weight(d("0.400"), Unit::Kg, State::Unstable), 20));
    check(p, b"\nZ1G       0.000kg \r", Decoded::Frame(weight(d("0"), Unit::Kg, State::Stable), 20));
    check(p, b"\nO1G  ----------kg \r", Decoded::Frame(weight(d("0"), Unit::Kg, State::Overload), 20));
    check(p, b"\nT1G       0.000kg \r", Decoded::Frame(Answer::Refused, 20));
    check(p, b"\n 1G   ", Decoded::Need);
    check(p, b"\n?\r", Decoded::Skip(3));
}

#[test]
fn simulator_answers_decode_to_what_they_say() {
    let states = [State::Stable, State::Unstable, State::Overload, State::Underload];
    for s in states {
        let r = Reading::new(d("1.250"), Unit::Kg, s);
        let back = |p: Protocol, bytes: Vec<u8>| match p.decode(&bytes) {
            Decoded::Frame(Answer::Weight(got), n) if n == bytes.len() => got,
            other => panic!("{} {s:?}: {other:?}", p.code()),
        };
        assert_eq!(back(Protocol::Sics, sics::answer(&r)).state, s);
        assert_eq!(back(Protocol::Mt8217, mt8217::answer(&r, false)).state, s);
        assert_eq!(back(Protocol::Sma, sma::answer(&r, false)).state, s);
        if s != State::Underload {
            assert_eq!(back(Protocol::Cas, cas::answer(&r)).state, s);
            assert_eq!(back(Protocol::Pos2, pos2::answer(&r, 1250, 0)).state, s);
        }
    }
    let stable = Reading::new(d("1.250"), Unit::Kg, State::Stable);
    assert_eq!(stable.grams(1), Some(1250));
    assert_eq!(Reading::new(d("1.2475"), Unit::Kg, State::Stable).grams(5), Some(1250));
    assert_eq!(Reading::new(d("1.2474"), Unit::Kg, State::Stable).grams(5), Some(1245));
    assert_eq!(Reading::new(d("3"), Unit::Lb, State::Stable).grams(1), None);
}

#[test]
fn sim_requests_are_recognised() {
    for p in Protocol::ALL {
        for cmd in [Command::Weigh, Command::Zero, Command::Tare] {
            let exchanges = p.exchanges(cmd);
            let Some(last) = exchanges.last() else { continue };
            let got = match p {
                Protocol::Mt8217 => mt8217::request_of(last),
                Protocol::Sics => sics::request_of(last),
                Protocol::Cas | Protocol::CasPd2 => cas::request_of(last),
                Protocol::Esp => esp::request_of(last),
                Protocol::Pos2 => pos2::request_of(last),
                Protocol::Digi => digi::request_of(last),
                Protocol::Sma => sma::request_of(last),
            };
            assert_eq!(got, Req::Cmd(cmd, last.len()), "{} {cmd:?}", p.code());
        }
    }
}

#[test]
fn line_settings_parse() {
    assert_eq!(Line::parse("9600 7E1"), Some(Line::new(9600, 7, Parity::Even)));
    assert_eq!(Line::parse("4800 8N1").map(|l| l.label()), Some("4800 8N1".into()));
    assert_eq!(Line::parse("9601 8N1"), None);
    assert_eq!(Line::parse("9600 9N1"), None);
}

proptest! {
    #[test]
    fn decoders_never_panic_and_never_overrun(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        for p in Protocol::ALL {
            match p.decode(&bytes) {
                Decoded::Frame(_, n) | Decoded::Skip(n) => prop_assert!(n >= 1 && n <= bytes.len(), "{} took {n} of {}", p.code(), bytes.len()),
                Decoded::Need => prop_assert!(bytes.len() < MAX_FRAME, "{} wants more than {MAX_FRAME} bytes", p.code()),
            }
        }
    }

    #[test]
    fn a_frame_cut_short_is_never_a_reading(w in 0u32..60_000, cut in 0usize..20) {
        let r = Reading::new(Decimal::new(i64::from(w), 3), Unit::Kg, State::Stable);
        for (p, bytes) in [
            (Protocol::Sics, sics::answer(&r)),
            (Protocol::Cas, cas::answer(&r)),
            (Protocol::Mt8217, mt8217::answer(&r, false)),
            (Protocol::Sma, sma::answer(&r, false)),
            (Protocol::Pos2, pos2::answer(&r, w as i32, 0)),
            (Protocol::Esp, esp::answer(&r)),
            (Protocol::Digi, digi::answer(i64::from(w))),
        ] {
            let n = cut.min(bytes.len() - 1);
            prop_assert_eq!(p.decode(&bytes[..n]), Decoded::Need, "{} cut at {}", p.code(), n);
            match p.decode(&bytes) {
                Decoded::Frame(Answer::Weight(_), took) => prop_assert_eq!(took, bytes.len()),
                other => prop_assert!(false, "{}: {:?}", p.code(), other),
            }
        }
    }
}
