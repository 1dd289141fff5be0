//! `json::check` (the strict check that builds no value, used on what a request carries
//! before any token verified) against `json::parse` (the strict parse that builds a value),
//! and the helpers that read the texts they accept. On every input:
//!
//! - `check` gives the verdict of `parse`, with the same error kind; when the text is an
//!   object, the wanted members' values are the parsed ones (scalars equal, numbers of the
//!   same kind and value, arrays and objects by kind, missing names `None`), and when it is
//!   JSON of another type, `None`. The wanted names are those the core asks for (`token`,
//!   `alg`, `crit`, `exp`, `nbf`, `iat`) and names of the input's own members.
//! - `parse` is serde_json's own parse when that accepts the text and it has no duplicate
//!   member names: a text serde_json accepts is refused only as a duplicate.
//! - `json::members` lists an object's members, sorted, with raw texts that parse to the
//!   members' values, and `json::member` finds each; `json::is_empty_object` says whether a
//!   raw text is `{}`.
//! - an input with a newline is also a callback body (before it) and claims (after it):
//!   `json::same_value` of a body member and the claim of that name is the equality of
//!   their parsed values.
//! - `b64::decode` (and `decode_to` into a signature-sized buffer) gives what a plain
//!   base64url decoder written here gives: RFC 7515's unpadded URL-safe alphabet with zero
//!   trailing bits, one spelling per octet string.

#![no_main]

use libfuzzer_sys::fuzz_target;
use onlyoffice_jwt_core::b64;
use onlyoffice_jwt_core::json::{self, JsonError, Member};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The names the core asks `check` for: a body's `token`, a header's `alg` and `crit`, the
/// claims' time claims.
const FIXED: [&str; 6] = ["token", "alg", "crit", "exp", "nbf", "iat"];

/// Whether a member `check` reported is the value `parse` built.
fn agrees(member: &Member<'_>, value: &Value) -> bool {
    match (member, value) {
        (Member::Null, Value::Null) => true,
        (Member::Bool(a), Value::Bool(b)) => a == b,
        (Member::Integer(i), Value::Number(n)) => {
            n.as_i64().map(i128::from).or(n.as_u64().map(i128::from)) == Some(*i)
        }
        (Member::Number(f), Value::Number(n)) => {
            n.is_f64() && n.as_f64().is_some_and(|g| g.to_bits() == f.to_bits())
        }
        (Member::String(a), Value::String(b)) => **a == **b,
        (Member::Array, Value::Array(_)) | (Member::Object, Value::Object(_)) => true,
        _ => false,
    }
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

/// `members` and `member` on a text `parse` accepted as the object `map`.
fn check_members(data: &[u8], map: &Map<String, Value>, names: &[String]) {
    let members = json::members(data).expect("an object's members are listed");
    assert_eq!(members.len(), map.len(), "member count");
    assert!(
        members.windows(2).all(|w| w[0].0 < w[1].0),
        "members sorted by name, each once"
    );
    for (name, raw) in &members {
        let value = json::parse(raw.get().as_bytes()).expect("a member's raw text parses");
        assert_eq!(map.get(&**name), Some(&value), "member {name:?}");
        assert!(json::same_value(raw, raw));
        let empty = matches!(&value, Value::Object(m) if m.is_empty());
        assert_eq!(
            json::is_empty_object(raw),
            empty,
            "is_empty_object {:?}",
            raw.get()
        );
    }
    for name in names {
        let raw = json::member(&members, name).map(RawValue::get);
        let value = raw.map(|r| json::parse(r.as_bytes()).expect("raw text parses"));
        assert_eq!(value.as_ref(), map.get(name), "member() {name:?}");
    }
}

fuzz_target!(|data: &[u8]| {
    check_b64(data);

    let parsed = json::parse(data);
    let names = wanted(parsed.as_ref().ok().and_then(Value::as_object));
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let wanted: [&str; 9] = std::array::from_fn(|i| names.get(i).copied().unwrap_or(""));
    let checked = json::check(data, wanted);

    match (&parsed, &checked) {
        (Ok(Value::Object(map)), Ok(Some(found))) => {
            for (name, member) in wanted.iter().zip(found) {
                match (member, map.get(*name)) {
                    (None, None) => {}
                    (Some(m), Some(v)) if agrees(m, v) => {}
                    (m, v) => panic!("member {name:?}: check {m:?} but parse {v:?}"),
                }
            }
            check_members(
                data,
                map,
                &names.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            );
        }
        (Ok(Value::Object(_)), Ok(None)) => panic!("check: not an object, parse: an object"),
        (Ok(_), Ok(Some(_))) => panic!("check: an object, parse: {parsed:?}"),
        (Ok(_), Ok(None)) => assert!(json::members(data).is_none(), "members of a non-object"),
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
        if let (Ok(Value::Object(_)), Ok(Value::Object(_))) =
            (json::parse(body), json::parse(claims))
        {
            let body = json::members(body).expect("body members");
            let claims = json::members(claims).expect("claims members");
            for (name, value) in &body {
                let Some(claim) = json::member(&claims, name) else {
                    continue;
                };
                let equal =
                    json::parse(value.get().as_bytes()) == json::parse(claim.get().as_bytes());
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
