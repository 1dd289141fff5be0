//! Strict JSON: serde_json with duplicate member names refused at every depth.
//!
//! serde_json alone keeps the last of two equal member names, while JavaScript's
//! `JSON.parse` (the Document Server) keeps the last and other parsers keep the first: a
//! parser differential an attacker can use (`{"alg":"HS256","alg":"none"}`). Here any
//! duplicate, at any depth, is an error. Everything else is serde_json's own strictness: UTF-8
//! only, no trailing data, no comments, no `NaN`, no lone surrogate escapes, numbers that fit an
//! `f64`, and at most 128 levels of nesting.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use thiserror::Error;

use crate::jws::{numeric_date, NumericDate};
use crate::scan;

/// Why bytes are not strict JSON. The text never contains any of the input.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at all: a syntax error, bad UTF-8, trailing data, a number out of range, or
    /// nesting deeper than 128 levels.
    #[error("invalid JSON")]
    Syntax,
    /// An object has two members with the same name (after unescaping).
    #[error("duplicate member name in JSON object")]
    Duplicate,
    /// Valid JSON, but not an object where one is required.
    #[error("JSON value is not an object")]
    NotObject,
}

/// The marker message of the duplicate-member error raised inside the visitor.
const DUPLICATE: &str = "duplicate member name";

/// Parses strict JSON into a [`Value`].
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue::deserialize(&mut de).map_err(classify)?;
    de.end().map_err(|_| JsonError::Syntax)?;
    Ok(value.0)
}

/// Parses strict JSON that must be an object.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match parse(bytes)? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::NotObject),
    }
}

/// Whether the bytes start, after JSON whitespace, like a JSON value would: `{ [ " - 0-9`,
/// or one of the literals `true`, `false`, `null` (spelled out, so that a form body such as
/// `token=...` or `name=...` does not count). This is the Document Server's question "is the
/// body JSON?" asked cheaply; whether a body that starts like JSON is strict JSON is for
/// [`parse`] to say.
pub fn looks_like_json(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !is_whitespace(*b))
        .unwrap_or(bytes.len());
    let rest = bytes.get(start..).unwrap_or_default();
    match rest.first() {
        Some(b'{' | b'[' | b'"' | b'-' | b'0'..=b'9') => true,
        Some(b't') => rest.starts_with(b"true"),
        Some(b'f') => rest.starts_with(b"false"),
        Some(b'n') => rest.starts_with(b"null"),
        _ => false,
    }
}

/// JSON's insignificant whitespace (RFC 8259 §2).
pub fn is_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Maps serde_json's error onto ours: the visitor below accepts every JSON type, so the only
/// data error (as opposed to a syntax/EOF error) it can produce is the duplicate marker.
fn classify(err: serde_json::Error) -> JsonError {
    if err.is_data() {
        JsonError::Duplicate
    } else {
        JsonError::Syntax
    }
}

/// A [`Value`] built by a visitor that refuses duplicate member names.
struct StrictValue(Value);

impl<'de> Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        // serde_json never hands out a non-finite float; refuse one anyway instead of
        // turning it into `null` as `Value::from(f64)` would.
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(StrictValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(name) = access.next_key::<String>()? {
            let StrictValue(value) = access.next_value()?;
            if map.insert(name, value).is_some() {
                return Err(A::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(map))
    }
}

/* validation without building values */

/// The time claims of a claims object, as [`scan_times`] finds them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeClaims {
    /// Expiration time.
    pub exp: Option<NumericDate>,
    /// Not before.
    pub nbf: Option<NumericDate>,
    /// Issued at.
    pub iat: Option<NumericDate>,
}

/// Checks that `bytes` are a strict JSON object (the same rules as [`parse`]) and returns its
/// top-level `exp`, `nbf` and `iat`, without building the object. A time claim that is not
/// a number is an error.
pub fn scan_times(bytes: &[u8]) -> Result<TimeClaims, JsonError> {
    scan_times_with(bytes, None)
}

/// [`scan_times`], calling `pump` as [`scan::scan_with`] does.
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
pub fn scan_times_with(
    bytes: &[u8],
    pump: Option<&mut dyn FnMut()>,
) -> Result<TimeClaims, JsonError> {
    let Ok(raw) = scan::scan_object_times(bytes, pump) else {
        return Err(object_error(bytes));
    };
    // One loop over the three, not three copies of the conversion.
    let mut times = [None; 3];
    for (time, raw) in times.iter_mut().zip(raw) {
        if let Some(raw) = raw {
            *time = Some(time_claim(raw)?);
        }
    }
    let [exp, nbf, iat] = times;
    Ok(TimeClaims { exp, nbf, iat })
}

/// Why `bytes` are not a strict JSON object, when they are not: scanned again from the
/// start, to tell a JSON text that is not an object from one that is not JSON.
#[cold]
#[inline(never)]
fn object_error(bytes: &[u8]) -> JsonError {
    match scan_object_with(bytes, &mut scan::TopLevel::default(), None) {
        Err(e) => e,
        Ok(()) => JsonError::Syntax,
    }
}

/// A time claim's raw text as a NumericDate: an integer of up to 18 digits is read directly,
/// anything else through serde_json; a value that is not a number is an error.
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
fn time_claim(raw: &[u8]) -> Result<NumericDate, JsonError> {
    let (negative, digits) = match raw.strip_prefix(b"-") {
        Some(digits) => (true, digits),
        None => (false, raw),
    };
    if let Some(n) = small_integer(digits) {
        let n = i128::from(n);
        return Ok(NumericDate::Int(if negative { -n } else { n }));
    }
    match serde_json::from_slice::<Value>(raw) {
        Ok(Value::Number(n)) => numeric_date(&n).ok_or(JsonError::Syntax),
        _ => Err(JsonError::Syntax),
    }
}

/// The value of 1 to 18 decimal digits (which fit in 64 bits), in one pass; `None` for
/// anything else.
fn small_integer(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 18 {
        return None;
    }
    let mut n = 0u64;
    for &d in digits {
        let v = d.wrapping_sub(b'0');
        if v > 9 {
            return None;
        }
        n = n * 10 + u64::from(v);
    }
    Some(n)
}

/* members as raw text */

/// The members of a JSON object as names and raw value texts, for comparing objects without
/// building them: two members whose texts are the same bytes are equal, and only texts that
/// differ are parsed (see [`raw_eq`]).
#[derive(Debug, Default)]
pub struct Members<'a> {
    list: Vec<(Cow<'a, str>, &'a [u8])>,
    /// The text the members were scanned from.
    text: &'a [u8],
    /// The deepest nesting in the object (1 when flat).
    deepest: usize,
}

impl<'a> Members<'a> {
    /// The raw text of the member called `name`.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.list
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, raw)| *raw)
    }

    /// [`Members::get`], looking first at position `hint` (where the member is when two
    /// objects list the same members in the same order).
    pub fn get_at(&self, name: &str, hint: usize) -> Option<&'a [u8]> {
        match self.list.get(hint) {
            Some((n, raw)) if n == name => Some(*raw),
            _ => self.get(name),
        }
    }

    /// The members, in document order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &'a [u8])> + '_ {
        self.list.iter().map(|(n, raw)| (&**n, *raw))
    }

    /// The time claims among the members; a time claim that is not a number is an error.
    pub fn times(&self) -> Result<TimeClaims, JsonError> {
        let time = |name| self.get(name).map(time_claim).transpose();
        Ok(TimeClaims {
            exp: time("exp")?,
            nbf: time("nbf")?,
            iat: time("iat")?,
        })
    }
}

/// Room for the members of a callback (about a dozen) without growing the list.
const MEMBERS: usize = 16;

/// Checks that `bytes` are a strict JSON object (the rules of [`parse`]) and returns its
/// members as raw texts, in one pass ([`crate::scan`]). Nothing but the member list (and the
/// names that hold escapes) is allocated.
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt_body")]
pub fn scan_members(bytes: &[u8]) -> Result<Members<'_>, JsonError> {
    let mut top = scan::TopLevel {
        members: Some(Vec::with_capacity(MEMBERS)),
        ..Default::default()
    };
    scan_object(bytes, &mut top)?;
    Ok(Members {
        list: top.members.unwrap_or_default(),
        text: bytes,
        deepest: top.deepest,
    })
}

/// [`scan_members`], and the members of the object's `payload` member (when it is an object;
/// else none) from the same pass.
///
/// A member (of the object or of its `payload`) whose value is spelled with the very bytes of
/// the `known` member of that name is not scanned again, only compared: a callback's tokens
/// sign the body's own members, so their claims are checked at the cost of a comparison.
pub fn scan_members_and_payload<'a>(
    bytes: &'a [u8],
    known: &'a Members<'a>,
) -> Result<(Members<'a>, Members<'a>), JsonError> {
    let mut top = scan::TopLevel {
        members: Some(Vec::with_capacity(MEMBERS)),
        payload: Some(Vec::with_capacity(MEMBERS)),
        // Known values sit one or two levels deeper here than in their own text.
        known: if known.deepest + 2 <= scan::MAX_DEPTH {
            &known.list
        } else {
            &[]
        },
        known_text: known.text,
        ..Default::default()
    };
    scan_object(bytes, &mut top)?;
    Ok((
        Members {
            list: top.members.unwrap_or_default(),
            text: bytes,
            deepest: top.deepest,
        },
        Members {
            list: top.payload.unwrap_or_default(),
            text: bytes,
            deepest: top.deepest,
        },
    ))
}

/// Scans `bytes`, which must be a strict JSON object, keeping what `top` asks for.
fn scan_object<'a>(bytes: &'a [u8], top: &mut scan::TopLevel<'a>) -> Result<(), JsonError> {
    scan_object_with(bytes, top, None)
}

fn scan_object_with<'a>(
    bytes: &'a [u8],
    top: &mut scan::TopLevel<'a>,
    pump: Option<&mut dyn FnMut()>,
) -> Result<(), JsonError> {
    let first = bytes.iter().find(|b| !is_whitespace(**b));
    scan::scan_with(bytes, top, pump).map_err(|e| match e {
        scan::ScanError::Syntax => JsonError::Syntax,
        scan::ScanError::Duplicate => JsonError::Duplicate,
    })?;
    if first == Some(&b'{') {
        Ok(())
    } else {
        Err(JsonError::NotObject)
    }
}

/// Whether two raw JSON texts (each strict JSON) are equal values: the same bytes, or else
/// equal once parsed (member order, white space and escapes may differ).
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt_body")]
pub fn raw_eq(a: &[u8], b: &[u8]) -> bool {
    a == b
        || matches!(
            (serde_json::from_slice::<Value>(a), serde_json::from_slice::<Value>(b)),
            (Ok(x), Ok(y)) if x == y
        )
}

/// Whether a raw JSON text is an empty object.
pub fn raw_is_empty_object(raw: &[u8]) -> bool {
    let mut bytes = raw.iter().filter(|b| !is_whitespace(**b));
    bytes.next() == Some(&b'{') && bytes.next() == Some(&b'}') && bytes.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_plain_json() {
        assert_eq!(
            parse(br#"{"a":1,"b":[true,false,null,"x",-1.5e3,18446744073709551615]}"#),
            Ok(json!({"a":1,"b":[true,false,null,"x",-1500.0,18446744073709551615u64]}))
        );
        assert_eq!(parse(b" [1, 2] "), Ok(json!([1, 2])));
        assert_eq!(parse(b"\"s\""), Ok(json!("s")));
        assert_eq!(parse(b"0"), Ok(json!(0)));
    }

    #[test]
    fn known_members_change_no_verdict() {
        let body = br#"{"key":"k1","status":2,"n":12,"f":1.5,"t":true,"h":{"a":[1,{"b":null}]},"s":"x\"y"}"#;
        let known = scan_members(body).unwrap();
        let claims: &[&[u8]] = &[
            br#"{"key":"k1","status":2,"n":12,"f":1.5,"t":true,"h":{"a":[1,{"b":null}]},"s":"x\"y","exp":9}"#,
            br#"{"payload":{"key":"k1","status":2,"h":{"a":[1,{"b":null}]}},"exp":9}"#,
            // a longer number that starts with the known one
            br#"{"n":123,"f":1.55,"status":2.5,"g":1e5}"#,
            br#"{"n":12e1,"f":1.5e-1,"status":2E1,"n2":-12}"#,
            // the known bytes followed by what makes the text invalid
            br#"{"t":truex}"#,
            br#"{"key":"k1"x}"#,
            br#"{"h":{"a":[1,{"b":null}]}}}"#,
            br#"{"h":{"a":[1,{"b":null}]},"h":1}"#,
            br#"{"payload":{"key":"k1","key":"k1"}}"#,
            br#"{"key":"k1""#,
            br#"{"status":2"#,
            br#"{"status":2 ,"key" : "k1" }"#,
            // other values under known names
            br#"{"key":"k2","h":{"a":[1]},"s":"x"}"#,
            br#"{"key":k1}"#,
            // the body's own text, whole or cut, and what may follow a common start
            body,
            br#"{"key":"k1","status":2,"n":12,"f":1.5,"t":true,"h":{"a":[1,{"b":null}]},"s":"x\"y""#,
            br#"{"key":"k1","status":2,"#,
            br#"{"key":"k1","status":2,}"#,
            br#"{"key":"k1","status":2,"key":"k1"}"#,
            br#"{"key":"k1","status":2,"n":12,"status":2}"#,
            br#"{"key":"k1","status":2,"n":123,"f":1.5}"#,
            br#"{"key":"k1","status":2,"n":12,"f":1.5,"t":true,"h":{"a":[1,{"b":null}]},"exp":7}"#,
            br#"{"key":"k1","status":2,"n":12,"f":1.5,"t":true,"h":{"a":[1,{"b":null}]}}"#,
            br#"{"payload":{"key":"k1","status":2,"n":12,"f":1.5,"exp":3},"exp":9}"#,
            br#"{"payload":{"key":"k1","status":2,"key":"k1"},"exp":9}"#,
            br#"{"payload":{"key":"k1","status":2,"n":12}"#,
        ];
        let none = Members::default();
        // The same members, payload members or error with the body's members known as without.
        let same_verdict = |text: &[u8], known: &Members<'_>| {
            let alone = scan_members_and_payload(text, &none);
            let knowing = scan_members_and_payload(text, known);
            match (&alone, &knowing) {
                (Ok((a, ap)), Ok((k, kp))) => {
                    assert_eq!(a.list, k.list, "{}", String::from_utf8_lossy(text));
                    assert_eq!(ap.list, kp.list, "{}", String::from_utf8_lossy(text));
                }
                (Err(a), Err(k)) => assert_eq!(a, k, "{}", String::from_utf8_lossy(text)),
                _ => panic!(
                    "{}: {:?} without known members, {:?} with",
                    String::from_utf8_lossy(text),
                    alone.is_ok(),
                    knowing.is_ok()
                ),
            }
        };
        for text in claims {
            same_verdict(text, &known);
        }
        // A body with white space and a `payload` member of its own: a claims text with the
        // same start keeps its `payload` members apart.
        let body = br#" { "payload" : {"key":"k1"} , "key" : "k1" , "status":2 }"#;
        let known = scan_members(body).unwrap();
        for text in [
            &br#"{ "payload" : {"key":"k1"} , "key" : "k1" , "status":2 }"#[..],
            br#"{ "payload" : {"key":"k1"} , "key" : "k1" , "exp":2 }"#,
            br#"{ "payload" : {"key":"k1","key":"k1"} , "key" : "k1" }"#,
            br#"{ "payload" : {"key":"k1"} , "key" : "k1" , "key":2 }"#,
        ] {
            same_verdict(text, &known);
        }
        // Known values as deep as the limit allows are scanned again, not skipped: the same
        // value one level deeper is too deep.
        let deep = format!("{}1{}", "[".repeat(126), "]".repeat(126));
        let body = format!(r#"{{"d":{deep}}}"#);
        let known = scan_members(body.as_bytes()).unwrap();
        let claims = format!(r#"{{"payload":{{"d":{deep}}}}}"#);
        assert!(scan_members_and_payload(claims.as_bytes(), &known).is_err());
        assert!(scan_members_and_payload(claims.as_bytes(), &none).is_err());
    }

    #[test]
    fn members_agree_with_parse() {
        for input in [
            &br#"{"a":1,"b":"x","c":{"d":[1,{"e":null}]},"f":true,"g":-1.5e3}"#[..],
            br#" { "a" : 1 } "#,
            br#"{}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"a":1,"\u0061":2}"#,
            br#"{"x":{"a":1,"a":2}}"#,
            br#"{"x":[{"a":1,"a":2}]}"#,
            br#"{"x":"\ud800"}"#,
            br#"{"x":"\u00e9"}"#,
            br#"{"x":1e400}"#,
            br#"{"x":[1e400]}"#,
            br#"{"x":01}"#,
            b"{\"x\":\"\xff\"}",
            br#"{"x":1}x"#,
            br#"[1]"#,
            b"{",
        ] {
            assert_eq!(
                scan_members(input).is_ok(),
                parse_object(input).is_ok(),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        let m = scan_members(br#"{"a":1,"b":{"c":"d"},"exp":5}"#).unwrap();
        assert_eq!(m.get("b"), Some(&br#"{"c":"d"}"#[..]));
        assert_eq!(m.get("z"), None);
        assert_eq!(m.times().map(|t| t.exp), Ok(Some(NumericDate::Int(5))));
        assert!(scan_members(br#"{"exp":"5"}"#).unwrap().times().is_err());
        assert!(raw_eq(br#"{"a":1,"b":[2]}"#, br#"{ "b": [2], "a": 1 }"#));
        assert!(!raw_eq(b"1", b"2"));
        assert!(raw_is_empty_object(b" { } "));
        assert!(!raw_is_empty_object(b"[]"));
    }

    #[test]
    fn scan_agrees_with_parse() {
        for input in [
            &br#"{"a":1,"exp":2,"nbf":3.5,"iat":4,"b":{"c":[1,{"d":null}]}}"#[..],
            br#"{"a":1,"a":2}"#,
            br#"{"x":{"a":1,"\u0061":2}}"#,
            br#"{"x":[{"a":1},{"a":1,"b":1,"a":3}]}"#,
            br#"{"exp":"1"}"#,
            br#"{"exp":null}"#,
            br#"{"exp":1e400}"#,
            br#"[1]"#,
            b"{",
            b"{}x",
            b"{\"a\":\"\xff\"}",
        ] {
            let scanned = scan_times(input);
            let parsed = parse_object(input);
            assert_eq!(
                scanned.is_ok(),
                parsed.is_ok() && !input.starts_with(b"{\"exp\":"),
                "{input:?}"
            );
        }
        let times = scan_times(br#"{"exp":2,"nbf":3.5,"iat":-4}"#).unwrap();
        assert_eq!(times.exp, Some(NumericDate::Int(2)));
        assert_eq!(times.nbf, Some(NumericDate::Float(3.5)));
        assert_eq!(times.iat, Some(NumericDate::Int(-4)));
        assert_eq!(
            scan_times(br#"{"exp":1,"exp":1}"#),
            Err(JsonError::Duplicate)
        );
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(200), "]".repeat(200));
        assert_eq!(scan_times(deep.as_bytes()), Err(JsonError::Syntax));
    }

    #[test]
    fn time_scan_errors_are_the_parsers() {
        // The times-only scan fails with the error kind the parser gives: not JSON, not an
        // object, or a duplicate name.
        for input in [
            &b"[1]"[..],
            b"\"x\"",
            b"12",
            b"null",
            b"{",
            b"{}x",
            b"[",
            b"",
            b" ",
            br#"{"a":1,"a":2}"#,
            br#"{"a":{"b":1,"b":1}}"#,
            br#"{"a":[1,{"b":1,"\u0062":2}]}"#,
            br#"{"a":1,}"#,
            b"{\"a\":\"\xff\"}",
        ] {
            let parsed = parse_object(input).map(|_| ());
            assert!(parsed.is_err(), "{input:?}");
            assert_eq!(scan_times(input).map(|_| ()), parsed, "{input:?}");
        }
    }

    #[test]
    fn refuses_duplicates_at_every_depth() {
        assert_eq!(parse(br#"{"a":1,"a":2}"#), Err(JsonError::Duplicate));
        assert_eq!(parse(br#"{"a":1,"a":1}"#), Err(JsonError::Duplicate));
        assert_eq!(parse(br#"{"x":{"a":1,"a":2}}"#), Err(JsonError::Duplicate));
        assert_eq!(
            parse(br#"[{"a":1},{"b":{"c":[{"d":1,"d":1}]}}]"#),
            Err(JsonError::Duplicate)
        );
        // Escapes are compared after unescaping, as JavaScript does.
        assert_eq!(
            parse(br#"{"alg":"HS256","\u0061lg":"none"}"#),
            Err(JsonError::Duplicate)
        );
        // Equal names in different objects are fine.
        assert!(parse(br#"{"a":{"a":{"a":1}},"b":{"a":2}}"#).is_ok());
    }

    #[test]
    fn refuses_invalid_json() {
        for input in [
            &b""[..],
            b"   ",
            b"{",
            b"{} {}",
            b"{}x",
            b"{'a':1}",
            b"{\"a\":1,}",
            b"[1,]",
            b"NaN",
            b"Infinity",
            b"-",
            b"01",
            b"1e400",
            b"-1e400",
            b"{/*c*/}",
            b"\xef\xbb\xbf{}",
            b"{\"a\":\"\xff\"}",
            b"\"\\ud800\"",
            b"\"\\udc00x\"",
            b"\"a\x01\"",
        ] {
            assert_eq!(parse(input), Err(JsonError::Syntax), "{input:?}");
        }
    }

    #[test]
    fn refuses_deep_nesting() {
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(ok.as_bytes()).is_ok());
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse(deep.as_bytes()), Err(JsonError::Syntax));
        let objects = format!("{}1{}", r#"{"a":"#.repeat(5000), "}".repeat(5000));
        assert_eq!(parse(objects.as_bytes()), Err(JsonError::Syntax));
    }

    #[test]
    fn parse_object_requires_object() {
        assert!(parse_object(b"{}").is_ok());
        for input in [&b"[]"[..], b"\"{}\"", b"1", b"null", b"true"] {
            assert_eq!(parse_object(input), Err(JsonError::NotObject), "{input:?}");
        }
        assert_eq!(parse_object(b"{"), Err(JsonError::Syntax));
    }

    #[test]
    fn big_numbers() {
        assert_eq!(parse(b"1e300"), Ok(json!(1e300)));
        assert!(parse(b"99999999999999999999999").is_ok_and(|v| v.is_f64()));
        assert!(parse(b"-0").is_ok_and(|v| v.as_f64() == Some(0.0)));
    }

    #[test]
    fn looks_like_json_first_byte() {
        for input in [
            &b"{"[..],
            b" [",
            b"\r\n\t\"",
            b"-1",
            b"-",
            b"0",
            b"9",
            b"true",
            b" false",
            b"null",
            b"truex",
            b"nullify=1",
        ] {
            assert!(looks_like_json(input), "{input:?}");
        }
        for input in [
            &b""[..],
            b" \n",
            b"builder.CreateFile",
            b"token=x",
            b"filetype=docx",
            b"name=x",
            b"tru",
            b"f",
            b"nul",
            b"+1",
            b"\xef\xbb\xbf{}",
            b"\x0b{",
        ] {
            assert!(!looks_like_json(input), "{input:?}");
        }
    }

    #[test]
    fn errors_carry_no_input() {
        for e in [
            JsonError::Syntax,
            JsonError::Duplicate,
            JsonError::NotObject,
        ] {
            assert!(!e.to_string().contains('"'));
        }
    }
}
