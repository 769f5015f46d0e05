//! Mertech (Shtrih-Print successor) label-scale protocol over TCP, sans-IO: bytes out for a
//! command, bytes in → whole frames. What `shared/spec/hardware.md` and Mertech's protocol
//! pages document, and what we assume beyond them:
//!
//! - documented: over TCP every command is prefixed with 4 bytes holding the length of the
//!   whole following command, little-endian; a command is `STX (0x02)`, one length byte (the
//!   length of the rest of the command, `0xFF` when above 255), the command code, then — for
//!   commands that need it — the 4-byte password; an answer repeats `STX`, the length byte and
//!   the code, then a result code (0 = success). The scale-state request is exactly
//!   `03 00 00 00 02 01 11`.
//! - assumed (not published byte for byte in what we hold): the product upload is command
//!   `0x50` carrying, after the password, a 4-byte little-endian length and a UTF-8 JSON
//!   document `{"products":[{"plu","code","name","price","barcode","shelfLife","weighted"}]}`;
//!   its answer carries, after the result code, a 4-byte little-endian length and
//!   `{"results":[{"plu","ok","message"}]}`. A non-zero result code rejects the whole batch
//!   with that code. Only `PRODUCTS` and the JSON shapes need changing should a real scale
//!   differ; the framing is the documented one.

use serde::{Deserialize, Serialize};

use super::label::{ItemResult, PluItem};

pub const STX: u8 = 0x02;
/// "Scale state" (documented).
pub const STATE: u8 = 0x11;
/// Product upload as JSON (assumed code, see the module notes).
pub const PRODUCTS: u8 = 0x50;
/// The largest frame we accept or send: a batch of 100 PLUs is ~20 KB.
pub const MAX_FRAME: usize = 1 << 20;

/// One command or answer: its code and the bytes after the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub code: u8,
    pub rest: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameError {
    /// Longer than `MAX_FRAME` or shorter than STX + length + code.
    BadLength,
    /// The first byte of a command is not STX.
    NoStx,
}

/// The TCP bytes of a command with `code` and `rest`.
pub fn encode(code: u8, rest: &[u8]) -> Vec<u8> {
    let body_len = 1 + rest.len();
    let mut out = Vec::with_capacity(4 + 2 + body_len);
    out.extend_from_slice(&((2 + body_len) as u32).to_le_bytes());
    out.push(STX);
    out.push(u8::try_from(body_len).unwrap_or(0xFF));
    out.push(code);
    out.extend_from_slice(rest);
    out
}

/// Takes one whole frame off the front of `buf`: `Ok(None)` until it is all there.
pub fn decode(buf: &[u8]) -> Result<Option<(Frame, usize)>, FrameError> {
    let Some(prefix) = buf.get(..4) else { return Ok(None) };
    let n = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if !(3..=MAX_FRAME).contains(&n) {
        return Err(FrameError::BadLength);
    }
    let Some(cmd) = buf.get(4..4 + n) else { return Ok(None) };
    if cmd[0] != STX {
        return Err(FrameError::NoStx);
    }
    Ok(Some((Frame { code: cmd[2], rest: cmd[3..].to_vec() }, 4 + n)))
}

/// The scale-state request (no password).
pub fn state_request() -> Vec<u8> {
    encode(STATE, &[])
}

#[derive(Serialize, Deserialize)]
struct Products {
    products: Vec<WireProduct>,
}

#[derive(Serialize, Deserialize)]
pub struct WireProduct {
    pub plu: u32,
    pub code: String,
    pub name: String,
    /// Price per kg, decimal text ("450.00").
    pub price: String,
    pub barcode: Option<String>,
    #[serde(rename = "shelfLife")]
    pub shelf_life: u32,
    pub weighted: bool,
}

#[derive(Serialize, Deserialize)]
struct Results {
    results: Vec<WireResult>,
}

#[derive(Serialize, Deserialize)]
pub struct WireResult {
    pub plu: u32,
    pub ok: bool,
    #[serde(default)]
    pub message: String,
}

fn with_len(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + json.len());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(json);
    out
}

fn json_after(bytes: &[u8]) -> Option<&[u8]> {
    let len = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    bytes.get(4..4 + len)
}

/// The upload command for a batch of PLUs.
pub fn products_request(password: [u8; 4], items: &[PluItem]) -> Vec<u8> {
    let products = items
        .iter()
        .map(|i| WireProduct {
            plu: i.plu,
            code: i.code.clone(),
            name: i.name.clone(),
            price: format!("{:.2}", i.price),
            barcode: i.barcode.clone(),
            shelf_life: i.shelf_life_days,
            weighted: true,
        })
        .collect();
    let json = serde_json::to_vec(&Products { products }).unwrap_or_default();
    let mut rest = password.to_vec();
    rest.extend_from_slice(&with_len(&json));
    encode(PRODUCTS, &rest)
}

/// What the scale said to an upload: per PLU, or the whole batch refused with a message.
pub fn products_answer(frame: &Frame) -> Result<Vec<ItemResult>, String> {
    if frame.code != PRODUCTS {
        return Err(format!("unexpected answer 0x{:02x}", frame.code));
    }
    match frame.rest.first() {
        Some(0) => {}
        Some(code) => return Err(format!("scale error {code}")),
        None => return Err("empty answer".into()),
    }
    let json = json_after(&frame.rest[1..]).ok_or("short answer")?;
    let results: Results = serde_json::from_slice(json).map_err(|_| "unreadable answer".to_string())?;
    Ok(results.results.into_iter().map(|r| ItemResult { plu: r.plu, accepted: r.ok, message: r.message }).collect())
}

/// The simulator's side: the password and products of an upload command.
pub fn parse_products(frame: &Frame) -> Option<([u8; 4], Vec<WireProduct>)> {
    let password: [u8; 4] = frame.rest.get(..4)?.try_into().ok()?;
    let json = json_after(&frame.rest[4..])?;
    let p: Products = serde_json::from_slice(json).ok()?;
    Some((password, p.products))
}

/// The simulator's side: an upload answer.
pub fn products_reply(result: u8, results: Vec<WireResult>) -> Vec<u8> {
    let mut rest = vec![result];
    if result == 0 {
        let json = serde_json::to_vec(&Results { results }).unwrap_or_default();
        rest.extend_from_slice(&with_len(&json));
    }
    encode(PRODUCTS, &rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ProductId;
    use rust_decimal::Decimal;

    #[test]
    fn the_state_request_is_the_documented_bytes() {
        assert_eq!(state_request(), vec![0x03, 0x00, 0x00, 0x00, 0x02, 0x01, 0x11]);
    }

    #[test]
    fn an_upload_frames_password_length_and_json() {
        let item = PluItem {
            plu: 7,
            product: ProductId(1),
            code: "0001".into(),
            name: "Сыр".into(),
            price: Decimal::new(4505, 1),
            barcode: None,
            shelf_life_days: 0,
        };
        let bytes = products_request(*b"0030", &[item]);
        let json = r#"{"products":[{"plu":7,"code":"0001","name":"Сыр","price":"450.50","barcode":null,"shelfLife":0,"weighted":true}]}"#
            .as_bytes();
        let mut want = Vec::new();
        let n = 3 + 4 + 4 + json.len();
        want.extend_from_slice(&(n as u32).to_le_bytes());
        // 1 + 4 + 4 + 116 = 125 bytes after the length byte: below 256, so written as is.
        assert_eq!(json.len(), 116);
        want.extend_from_slice(&[0x02, 125, 0x50]);
        want.extend_from_slice(b"0030");
        want.extend_from_slice(&(json.len() as u32).to_le_bytes());
        want.extend_from_slice(json);
        assert_eq!(bytes, want);
        let (frame, used) = decode(&bytes).unwrap().unwrap();
        assert_eq!(used, bytes.len());
        let (pw, products) = parse_products(&frame).unwrap();
        assert_eq!((pw, products.len(), products[0].price.as_str()), (*b"0030", 1, "450.50"));
    }

    #[test]
    fn a_short_length_byte_is_the_real_length_below_256() {
        assert_eq!(encode(0x11, &[1, 2]), vec![5, 0, 0, 0, 0x02, 3, 0x11, 1, 2]);
    }

    #[test]
    fn answers_decode_whole_or_not_at_all() {
        let reply = products_reply(
            0,
            vec![WireResult { plu: 7, ok: true, message: String::new() }, WireResult { plu: 8, ok: false, message: "нет места".into() }],
        );
        for cut in 0..reply.len() {
            assert_eq!(decode(&reply[..cut]), Ok(None), "cut at {cut}");
        }
        let (frame, _) = decode(&reply).unwrap().unwrap();
        let results = products_answer(&frame).unwrap();
        assert_eq!(results[1], ItemResult { plu: 8, accepted: false, message: "нет места".into() });
        let refused = products_reply(3, vec![]);
        assert_eq!(refused, vec![4, 0, 0, 0, 0x02, 2, 0x50, 3]);
        assert_eq!(products_answer(&decode(&refused).unwrap().unwrap().0), Err("scale error 3".into()));
    }

    #[test]
    fn bad_frames_are_errors_never_panics() {
        assert_eq!(decode(&[0xFF, 0xFF, 0xFF, 0x7F, 2]), Err(FrameError::BadLength));
        assert_eq!(decode(&[1, 0, 0, 0, 2]), Err(FrameError::BadLength));
        assert_eq!(decode(&[3, 0, 0, 0, 9, 1, 0x11]), Err(FrameError::NoStx));
    }

    proptest::proptest! {
        #[test]
        fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64)) {
            if let Ok(Some((frame, used))) = decode(&bytes) {
                proptest::prop_assert!(used <= bytes.len());
                let _ = products_answer(&frame);
                let _ = parse_products(&frame);
            }
        }
    }
}
