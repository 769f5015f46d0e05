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

fn cas_frame(sta: u8, sign: u8, w: &[u8; 6]) -> Vec<u8> {
    let mut body = vec![sta, sign];
    body.extend_from_slice(w);
    body.extend_from_slice(b"kg");
    let mut f = vec![0x01, 0x02];
    f.extend_from_slice(&body);
    f.push(xor(&body));
    f.extend_from_slice(&[0x03, 0x04]);
    f
}

/// A POS2 weight answer: 1234 g, stable, tare 100 g held.
const POS2_STABLE: [u8; 11] = [0x3a, 0x00, 0x09, 0x00, 0xd2, 0x04, 0x00, 0x00, 0x64, 0x00, 0x00];

/// Every decoder case of every protocol: the protocol, the bytes, what they decode to.
fn decoder_cases() -> Vec<(Protocol, Vec<u8>, Decoded)> {
    use Protocol::*;
    use State::*;
    use Unit::*;
    let w = |v: &str, u: Unit, s: State, n: usize| Decoded::Frame(weight(d(v), u, s), n);
    let f = Decoded::Frame;
    let b = |s: &[u8]| s.to_vec();
    let mut cas_bad = cas_frame(b'S', b' ', b"01.234");
    cas_bad[12] ^= 1;
    let pos2_ok = pos2::frame(&POS2_STABLE);
    let mut pos2_tared = Reading::new(d("1234"), G, Stable);
    pos2_tared.tare = Some(d("100"));
    let mut pos2_bad = pos2_ok.clone();
    pos2_bad[13] ^= 0xff;
    vec![
        (Mt8217, b(b"\x02001.234\r"), w("1.234", Kg, Stable, 9)),
        (Mt8217, b(b"\x02000.500N\rrest"), w("0.500", Kg, Stable, 10)),
        (Mt8217, b(b"\x02?!\r"), w("0", Kg, Unstable, 4)),
        (Mt8217, b(b"\x02?\x22\r"), w("0", Kg, Overload, 4)),
        (Mt8217, b(b"\x02?\x24\r"), w("0", Kg, Underload, 4)),
        (Mt8217, b(b"\x02001.2"), Decoded::Need),
        (Mt8217, b(b"x\x02"), Decoded::Skip(1)),
        (Mt8217, b(b"\x02abc\r"), Decoded::Skip(5)),
        (Sics, b(b"S S      1.234 kg\r\n"), w("1.234", Kg, Stable, 19)),
        (Sics, b(b"S D      0.120 kg\r\n"), w("0.120", Kg, Unstable, 19)),
        (Sics, b(b"S S    250 g\r\n"), w("250", G, Stable, 14)),
        (Sics, b(b"S +\r\n"), w("0", Kg, Overload, 5)),
        (Sics, b(b"S -\r\n"), w("0", Kg, Underload, 5)),
        (Sics, b(b"S I\r\n"), f(Answer::Refused, 5)),
        (Sics, b(b"ES\r\n"), f(Answer::Refused, 4)),
        (Sics, b(b"Z A\r\n"), f(Answer::Ack, 5)),
        (Sics, b(b"T S      0.500 kg\r\n"), f(Answer::Ack, 19)),
        (Sics, b(b"S S   1.2"), Decoded::Need),
        (Sics, b(b"I4 A \"123\"\r\n"), Decoded::Skip(12)),
        (Cas, vec![0x06], f(Answer::Ack, 1)),
        (Cas, cas_frame(b'S', b' ', b"01.234"), w("1.234", Kg, Stable, 15)),
        (Cas, cas_frame(b'U', b' ', b"00.350"), w("0.350", Kg, Unstable, 15)),
        (Cas, cas_frame(b'S', b'-', b"00.010"), w("-0.010", Kg, Stable, 15)),
        (Cas, cas_frame(b'S', b'F', b"99.999"), w("99.999", Kg, Overload, 15)),
        (Cas, cas_bad, Decoded::Skip(1)),
        (Cas, cas_frame(b'S', b' ', b"01.234")[..9].to_vec(), Decoded::Need),
        (Esp, b(b"001.234\r"), w("1.234", Kg, Unstable, 8)),
        (Esp, b(b"  0.5"), Decoded::Need),
        (Esp, b(b"kg\r"), Decoded::Skip(1)),
        (Esp, b(b"..\r"), Decoded::Skip(3)),
        (Pos2, pos2_ok.clone(), f(Answer::Weight(pos2_tared), 14)),
        (Pos2, pos2::frame(&[0x3a, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), w("16", G, Unstable, 14)),
        (Pos2, pos2::frame(&[0x3a, 0x00, 0x40, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]), w("16", G, Overload, 14)),
        (Pos2, pos2::frame(&[0x30, 0x00]), f(Answer::Ack, 5)),
        (Pos2, pos2::frame(&[0x3a, 0x58]), f(Answer::Refused, 5)),
        (Pos2, pos2_ok[..7].to_vec(), Decoded::Need),
        (Pos2, pos2_bad, Decoded::Skip(1)),
        (Pos2, vec![0x06], Decoded::Skip(1)),
        (Digi, b(b"\x02w001234\x03"), w("1234", G, Unstable, 9)),
        (Digi, b(b"\x02w 1.234\x03"), w("1.234", Kg, Unstable, 9)),
        (Digi, b(b"\x02w0012"), Decoded::Need),
        (Digi, b(b"\x02W\x03"), Decoded::Skip(1)),
        (Sma, b(b"\n 1G       1.234kg \r"), w("1.234", Kg, Stable, 20)),
        (Sma, b(b"\n 1GM      0.400kg \r"), w("0.400", Kg, Unstable, 20)),
        (Sma, b(b"\nZ1G       0.000kg \r"), w("0", Kg, Stable, 20)),
        (Sma, b(b"\nO1G  ----------kg \r"), w("0", Kg, Overload, 20)),
        (Sma, b(b"\nT1G       0.000kg \r"), f(Answer::Refused, 20)),
        (Sma, b(b"\n 1G   "), Decoded::Need),
        (Sma, b(b"\n?\r"), Decoded::Skip(3)),
    ]
}

#[test]
fn every_protocol_decodes_its_golden_bytes() {
    for (p, bytes, expected) in decoder_cases() {
        check(p, &bytes, expected);
    }
    // Every protocol has cases (a new protocol must bring its own).
    for p in Protocol::ALL {
        assert!(p == Protocol::CasPd2 || decoder_cases().iter().any(|(q, ..)| *q == p), "{} has no decoder case", p.code());
    }
}

#[test]
fn encoders_write_the_frames_the_decoders_read() {
    assert_eq!(cas::answer(&Reading::new(d("1.234"), Unit::Kg, State::Stable)), cas_frame(b'S', b' ', b"01.234"));
    assert_eq!(pos2::frame(&POS2_STABLE)[..2], [0x02, 0x0b]);
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
