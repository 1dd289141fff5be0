//! Strict JSON: serde_json with duplicate member names refused at every depth.
//!
//! serde_json alone keeps the last of two equal member names, while JavaScript's
//! `JSON.parse` (the Document Server) keeps the last and other parsers keep the first: a
//! parser differential an attacker can use (`{"alg":"HS256","alg":"none"}`). Here any
//! duplicate, at any depth, is an error. Everything else is serde_json's own strictness: UTF-8
//! only, no trailing data, no comments, no `NaN`, no lone surrogate escapes, numbers that fit an
//! `f64`, and at most 128 levels of nesting.

use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use thiserror::Error;

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
            if map.contains_key(&name) {
                return Err(A::Error::custom(DUPLICATE));
            }
            let StrictValue(value) = access.next_value()?;
            map.insert(name, value);
        }
        Ok(Value::Object(map))
    }
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
    fn keeps_member_order() {
        let map = parse_object(br#"{"z":1,"a":2,"m":3}"#).unwrap();
        let names: Vec<&str> = map.keys().map(String::as_str).collect();
        assert_eq!(names, ["z", "a", "m"]);
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
