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

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Number, Value};
use thiserror::Error;

use crate::jws::{numeric_date, NumericDate};

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
/// top-level `exp`, `nbf` and `iat`, without building the object: no value is allocated, and
/// member names are only copied when they hold escapes. A time claim that is not a number is
/// an error.
pub fn scan_times(bytes: &[u8]) -> Result<TimeClaims, JsonError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut names = Vec::new();
    let times = de
        .deserialize_map(TopScan { names: &mut names })
        .map_err(classify)?;
    de.end().map_err(|_| JsonError::Syntax)?;
    Ok(times)
}

/// Member names of the objects being scanned, innermost last: one vector for the whole scan.
type Names<'de> = Vec<Cow<'de, str>>;

/// Refuses duplicates among the names an object pushed since `start`, then pops them.
/// Sorting keeps this O(n log n) for objects with many members.
fn check_names<E: serde::de::Error>(names: &mut Names<'_>, start: usize) -> Result<(), E> {
    let own = names.get_mut(start..).unwrap_or_default();
    own.sort_unstable();
    let duplicate = own.windows(2).any(|w| matches!(w, [a, b] if a == b));
    names.truncate(start);
    if duplicate {
        Err(E::custom(DUPLICATE))
    } else {
        Ok(())
    }
}

/// The top-level object of a scan.
struct TopScan<'a, 'de> {
    names: &'a mut Names<'de>,
}

impl<'de> Visitor<'de> for TopScan<'_, 'de> {
    type Value = TimeClaims;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<TimeClaims, A::Error> {
        let mut times = TimeClaims::default();
        let start = self.names.len();
        while let Some(name) = access.next_key_seed(NameSeed)? {
            let slot = match &*name {
                "exp" => Some(&mut times.exp),
                "nbf" => Some(&mut times.nbf),
                "iat" => Some(&mut times.iat),
                _ => None,
            };
            match slot {
                Some(slot) => *slot = Some(access.next_value_seed(TimeSeed)?),
                None => access.next_value_seed(Scan { names: self.names })?,
            }
            self.names.push(name);
        }
        check_names(self.names, start)?;
        Ok(times)
    }
}

/// Any value inside a scanned object.
struct Scan<'a, 'de> {
    names: &'a mut Names<'de>,
}

impl<'de> DeserializeSeed<'de> for Scan<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(Scan {
                names: &mut *self.names,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<(), A::Error> {
        let start = self.names.len();
        while let Some(name) = access.next_key_seed(NameSeed)? {
            access.next_value_seed(Scan {
                names: &mut *self.names,
            })?;
            self.names.push(name);
        }
        check_names(self.names, start)
    }
}

/// A member name, borrowed from the input when it holds no escape.
struct NameSeed;

impl<'de> DeserializeSeed<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Cow<'de, str>, D::Error> {
        de.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for NameSeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// A time claim's value: a number, or an error.
struct TimeSeed;

impl<'de> DeserializeSeed<'de> for TimeSeed {
    type Value = NumericDate;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<NumericDate, D::Error> {
        match Value::deserialize(de)? {
            Value::Number(n) => numeric_date(&n).ok_or_else(|| D::Error::custom("time claim")),
            _ => Err(D::Error::custom("time claim")),
        }
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
