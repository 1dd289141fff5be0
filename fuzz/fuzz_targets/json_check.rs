//! `json::check` (the strict check that builds no value, used on what a request carries
//! before any token verified) against `json::parse` (the strict parse that builds a value),
//! and the helpers that read the texts they accept. On every input:
//!
//! - `check` gives the verdict of `parse`, with the same error kind; when the text is an
//!   object, the wanted members' raw texts parse to the parsed members and `json::string` and
//!   `json::number` read them as those (missing names `None`), and when it is JSON of another
//!   type, `None`. The wanted names are those the core asks for (`token`,
//!   `alg`, `crit`, `exp`, `nbf`, `iat`) and names of the input's own members.
//! - `parse` is serde_json's own parse when that accepts the text and it has no duplicate
//!   member names: a text serde_json accepts is refused only as a duplicate.
//! - `json::object` (the one read of a body or of claims) gives `parse`'s verdict and, on an
//!   object, its members sorted with raw texts that parse to the members' values (a nested
//!   `payload` too), and the same members when read again as already checked;
//!   `json::is_empty_object` says whether a raw text is `{}`.
//! - an input with a newline is also a callback body (before it) and claims (after it):
//!   `json::same_value` of a body member and the claim of that name is the equality of
//!   their parsed values.
//! - `b64::decode` (and `decode_to` into a signature-sized buffer) gives what a plain
//!   base64url decoder written here gives: RFC 7515's unpadded URL-safe alphabet with zero
//!   trailing bits, one spelling per octet string.

#![no_main]

use libfuzzer_sys::fuzz_target;
use onlyoffice_jwt_core::b64;
use onlyoffice_jwt_core::json::{self, JsonError};
use serde_json::{Map, Value};

/// The names the core asks `check` for: a body's `token`, a header's `alg` and `crit`, the
/// claims' time claims.
const FIXED: [&str; 6] = ["token", "alg", "crit", "exp", "nbf", "iat"];

/// Whether a member's raw text `check` reported is the value `parse` built, and
/// `json::string` and `json::number` read it as that value.
fn agrees(raw: &str, value: &Value) -> bool {
    json::parse(raw.as_bytes()).as_ref() == Ok(value)
        && json::string(raw).as_deref() == value.as_str()
        && json::number(raw).as_ref() == value.as_number()
}

/// The wanted names: [`FIXED`], then up to three names of the object's own members (the
/// first, the middle and the last in name order), each once; `""` fills what is left.
fn wanted(map: Option<&Map<String, Value>>) -> Vec<String> {
    let mut names: Vec<String> = FIXED.iter().map(|s| s.to_string()).collect();
    if let Some(map) = map {
        let keys: Vec<&String> = map.keys().collect();
        if !keys.is_empty() {
            for i in [0, keys.len() / 2, keys.len() - 1] {
                if !names.contains(keys[i]) {
                    names.push(keys[i].clone());
                }
            }
        }
    }
    // a wanted name twice would be looked for once
    for filler in ["", "key", "status"] {
        if names.len() < 9 && !names.iter().any(|n| n == filler) {
            names.push(filler.to_string());
        }
    }
    names
}

/// serde_json's own parse, which keeps the last of two equal member names.
fn plain_parse(data: &[u8]) -> Option<Value> {
    serde_json::from_slice::<Value>(data).ok()
}

/// A plain base64url decoder: the URL-safe alphabet, no padding, no length of 1 mod 4, and
/// the unused low bits of the last character zero.
fn model_b64(input: &[u8]) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in input {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // 2 or 4 bits left over must be zero
    (acc == 0).then_some(out)
}

fn check_b64(data: &[u8]) {
    let model = model_b64(data);
    let got = b64::decode(data);
    assert_eq!(got, model, "base64url decode");
    if let Some(bytes) = &got {
        assert_eq!(b64::encode(bytes).as_bytes(), data, "base64url spelling");
    }
    assert_eq!(
        data.iter().all(|b| b64::is_alphabet(*b)),
        data.iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'),
        "base64url alphabet"
    );
    // A signature's buffer: up to an HS512 MAC.
    let mut buf = [0u8; 64];
    let into = b64::decode_to(data, &mut buf).map(<[u8]>::to_vec);
    assert_eq!(into, model.filter(|m| m.len() <= 64), "base64url decode_to");
}

/// The object `object` read from `text`, which `parse` accepted as `map`: its members,
/// sorted, each once, with raw texts that parse to the members' values; `get` finds each
/// of `names`; the member `payload`, asked for as nested, is read as an object when it is one.
fn check_object(text: &str, object: &json::Object, map: &Map<String, Value>, names: &[&str]) {
    let view = object.view(text);
    assert_eq!(view.iter().count(), map.len(), "member count");
    let members: Vec<(&str, &str)> = view.iter().collect();
    assert!(
        members.windows(2).all(|w| w[0].0 < w[1].0),
        "members sorted by name, each once"
    );
    for (name, raw) in &members {
        let value = json::parse(raw.as_bytes()).expect("a member's raw text parses");
        assert_eq!(map.get(*name), Some(&value), "member {name:?}");
        assert!(json::same_value(raw, raw));
        let empty = matches!(&value, Value::Object(m) if m.is_empty());
        assert_eq!(json::is_empty_object(raw), empty, "is_empty_object {raw:?}");
    }
    for name in names {
        let value = view
            .get(name)
            .map(|r| json::parse(r.as_bytes()).expect("raw text parses"));
        assert_eq!(value.as_ref(), map.get(*name), "get {name:?}");
    }
    match (view.nested("payload"), map.get("payload")) {
        (Some(inner), Some(Value::Object(payload))) => {
            assert_eq!(inner.iter().count(), payload.len(), "payload member count");
            for (name, raw) in inner.iter() {
                let value = json::parse(raw.as_bytes()).expect("a member's raw text parses");
                assert_eq!(payload.get(name), Some(&value), "payload member {name:?}");
            }
        }
        (None, Some(Value::Object(_))) => panic!("payload not read as an object"),
        (Some(_), _) => panic!("payload read as an object, parse: {:?}", map.get("payload")),
        (None, _) => {}
    }
}

/// A text read as an object, when it is one.
fn read(text: &[u8]) -> Option<(&str, json::Object)> {
    let text = std::str::from_utf8(text).ok()?;
    let object = json::object(text, &[], json::Values::Strict).ok()??;
    Some((text, object))
}

/// `object`, the one read of a body or of claims: `parse`'s verdict, with the same error
/// kind; on an object, what [`check_object`] asks; read again with `Values::Checked`, the
/// same members.
fn check_read(data: &[u8], parsed: &Result<Value, JsonError>, names: &[&str]) {
    let Ok(text) = std::str::from_utf8(data) else {
        assert!(parsed.is_err(), "parse accepts invalid UTF-8");
        return;
    };
    let read = json::object(text, &["payload"], json::Values::Strict);
    match (parsed, &read) {
        (Ok(Value::Object(map)), Ok(Some(object))) => {
            check_object(text, object, map, names);
            let again = json::object(text, &[], json::Values::Checked)
                .expect("a checked text reads")
                .expect("an object");
            assert!(again.view(text).iter().eq(object.view(text).iter()));
        }
        (Ok(Value::Object(_)), _) => panic!("object {read:?} but parse: an object"),
        (Ok(_), Ok(None)) => {}
        (Ok(_), _) => panic!("object {read:?} but parse {parsed:?}"),
        (Err(p), Err(o)) if p == o => {}
        (Err(JsonError::Duplicate), Err(JsonError::Syntax)) => {
            // As for `check`: a syntax error after a duplicate name, where `object` sees
            // the duplicate only when the object closes.
            assert!(
                plain_parse(data).is_none(),
                "object Syntax, parse Duplicate"
            );
        }
        _ => panic!("object {read:?} but parse {parsed:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    check_b64(data);

    let parsed = json::parse(data);
    let names = wanted(parsed.as_ref().ok().and_then(Value::as_object));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let wanted: [&str; 9] = std::array::from_fn(|i| names.get(i).copied().unwrap_or(""));
    let text = std::str::from_utf8(data).map_err(|_| JsonError::Syntax);
    let checked = text.and_then(|text| json::check(text, wanted));

    match (&parsed, &checked) {
        (Ok(Value::Object(map)), Ok(Some(found))) => {
            for (name, member) in wanted.iter().zip(found) {
                match (member, map.get(*name)) {
                    (None, None) => {}
                    (Some(m), Some(v)) if agrees(m, v) => {}
                    (m, v) => panic!("member {name:?}: check {m:?} but parse {v:?}"),
                }
            }
        }
        (Ok(Value::Object(_)), Ok(None)) => panic!("check: not an object, parse: an object"),
        (Ok(_), Ok(Some(_))) => panic!("check: an object, parse: {parsed:?}"),
        (Ok(_), Ok(None)) => {}
        (Err(p), Err(c)) if p == c => {}
        (Err(JsonError::Duplicate), Err(JsonError::Syntax)) => {
            // `parse` reports a duplicate when it reads the second name's value, `check`
            // when the object closes: a syntax error in between is what `check` sees first.
            // The text is not JSON either way; what this tolerates is exactly that case.
            assert!(
                plain_parse(data).is_none(),
                "check Syntax, parse Duplicate, serde_json accepts"
            );
        }
        _ => panic!("check {checked:?} but parse {parsed:?}"),
    }

    check_read(data, &parsed, &names);

    // `parse` is serde_json's parse with duplicates refused.
    match (&parsed, plain_parse(data)) {
        (Ok(value), plain) => assert_eq!(Some(value), plain.as_ref(), "parse vs serde_json"),
        (Err(e), Some(_)) => assert_eq!(*e, JsonError::Duplicate, "serde_json accepts"),
        (Err(e), None) => assert_ne!(*e, JsonError::NotObject),
    }
    match json::parse_object(data) {
        Ok(map) => assert_eq!(parsed.as_ref().ok().and_then(Value::as_object), Some(&map)),
        Err(JsonError::NotObject) => assert!(parsed.as_ref().is_ok_and(|v| !v.is_object())),
        Err(e) => assert_eq!(parsed.as_ref().err(), Some(&e)),
    }

    // A body and a claims text: a member's sameness is the equality of the parsed values.
    if let Some(at) = data.iter().position(|b| *b == b'\n') {
        let (body, claims) = (&data[..at], &data[at + 1..]);
        if let (Some((body_text, body)), Some((claims_text, claims))) = (read(body), read(claims)) {
            let claims = claims.view(claims_text);
            for (name, value) in body.view(body_text).iter() {
                let Some(claim) = claims.get(name) else {
                    continue;
                };
                let equal = json::parse(value.as_bytes()) == json::parse(claim.as_bytes());
                assert_eq!(json::same_value(value, claim), equal, "same_value {name:?}");
                assert_eq!(
                    json::same_value(claim, value),
                    equal,
                    "same_value {name:?} swapped"
                );
            }
        }
    }
});
