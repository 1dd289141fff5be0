//! Strict JSON, through serde_json, with duplicate member names refused at every depth.
//!
//! serde_json alone keeps the last of two equal member names, while JavaScript's
//! `JSON.parse` (the Document Server) keeps the last and other parsers keep the first: a
//! parser differential an attacker can use (`{"alg":"HS256","alg":"none"}`). Here any
//! duplicate, at any depth, is an error. Everything else is serde_json's own strictness: UTF-8
//! only, no trailing data, no comments, no `NaN`, no lone surrogate escapes, numbers that fit
//! an `f64` (`1e400` is refused), and at most [`MAX_DEPTH`] levels of nesting.
//!
//! Two ways in, with the same rules:
//! - [`parse`] builds a [`Value`]. It is used on what a verified token signed, and on a
//!   callback's body once its token verified.
//! - [`check`] builds no value: it keeps only the names of the objects open at the time (to
//!   find duplicates) and the few top-level members asked for. It is used on what a request
//!   carries before any token has verified (the body, a token's header), so that what it
//!   takes stays within the size of the text: a value tree takes many times that.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    Deserialize, DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor,
};
use serde_json::{Map, Number, Value};
use thiserror::Error;

/// The deepest nesting accepted: serde_json's recursion limit of 128 lets 127 levels through
/// (`[[...]]` 127 times; a flat object is one level).
pub const MAX_DEPTH: usize = 127;

/// Why bytes are not strict JSON. The text never contains any of the input.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum JsonError {
    /// Not JSON at all: a syntax error, bad UTF-8, trailing data, a number out of range, or
    /// nesting deeper than [`MAX_DEPTH`].
    #[error("invalid JSON")]
    Syntax,
    /// An object has two members with the same name (after unescaping).
    #[error("duplicate member name in JSON object")]
    Duplicate,
    /// Valid JSON, but not an object where one is required.
    #[error("JSON value is not an object")]
    NotObject,
}

/// The message of the duplicate-member error raised inside the visitors.
const DUPLICATE: &str = "duplicate member name";

/// Maps serde_json's error onto ours: the visitors accept every JSON type, so the only data
/// error they raise is the duplicate marker; the rest are syntax.
fn classify(err: serde_json::Error) -> JsonError {
    if err.is_data() && err.to_string().starts_with(DUPLICATE) {
        JsonError::Duplicate
    } else {
        JsonError::Syntax
    }
}

/// Runs `seed` over the whole of `text` (nothing may follow the value). The text is UTF-8
/// (checked in one pass by the caller), so that serde_json does not check each string again.
fn run<'a, S: DeserializeSeed<'a>>(text: &'a str, seed: S) -> Result<S::Value, JsonError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let value = seed.deserialize(&mut de).map_err(classify)?;
    de.end().map_err(|_| JsonError::Syntax)?;
    Ok(value)
}

/* building values */

/// Parses strict JSON into a [`Value`].
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let text = std::str::from_utf8(bytes).map_err(|_| JsonError::Syntax)?;
    run(text, std::marker::PhantomData::<StrictValue>).map(|v| v.0)
}

/// Parses strict JSON that must be an object.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, JsonError> {
    match parse(bytes)? {
        Value::Object(map) => Ok(map),
        _ => Err(JsonError::NotObject),
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

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
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

/* checking without building values */

/// Checks that `text` is strict JSON (the rules of [`parse`]) without building it. When the
/// text is an object, returns the raw texts of its members named in `wanted` (`None` for
/// those it lacks), for [`string`] and [`number`] to read; when it is JSON of another type,
/// `Ok(None)`.
///
/// What it takes besides the text: the names of the objects open at one time (each once,
/// unescaped) with 8 bytes per name, and 8 bytes per wanted member. `wanted` holds distinct
/// names. It accepts exactly the texts [`parse`] accepts; the error kind can differ in one
/// case: a duplicate name followed, in the same object, by a syntax error is a duplicate to
/// `parse` (which sees it first) and a syntax error here (names are compared when the
/// object closes).
pub fn check<'a, const N: usize>(
    text: &'a str,
    wanted: [&str; N],
) -> Result<Option<[Option<&'a str>; N]>, JsonError> {
    let Some(object) = read(text, &[], Some(&wanted), Values::Strict)? else {
        return Ok(None);
    };
    let raw = |name| {
        let (_, value) = object.members.get(object.position(text, name)?)?;
        Some(span_of(text, *value))
    };
    Ok(Some(wanted.map(raw)))
}

/// The member names of the objects open during a check, one after the other in one string,
/// each with its start and end in it.
struct Names {
    text: String,
    spans: Vec<(u32, u32)>,
    /// How many more levels of nesting are allowed.
    depth: usize,
}

/// Objects of at most this many members have their names compared pairwise (at most 120
/// comparisons), larger ones sorted.
const SMALL_OBJECT: usize = 16;

/// Where the names of an object start in [`Names`]: its spans, its text.
type Mark = (usize, usize);

impl Names {
    fn with_depth(depth: usize) -> Names {
        Names {
            text: String::new(),
            spans: Vec::new(),
            depth,
        }
    }

    /// Enters a container: an error beyond the allowed depth.
    fn descend<E: serde::de::Error>(&mut self) -> Result<(), E> {
        self.depth = self
            .depth
            .checked_sub(1)
            .ok_or_else(|| E::custom("too deep"))?;
        Ok(())
    }

    fn open(&self) -> Mark {
        (self.spans.len(), self.text.len())
    }

    /// Adds a name of the object opened last.
    fn push<E: serde::de::Error>(&mut self, name: &str) -> Result<(), E> {
        let start = self.text.len();
        self.text.push_str(name);
        // Offsets are 32-bit to keep the list small: names of open objects totalling 4 GiB
        // are refused.
        let span = u32::try_from(start)
            .ok()
            .zip(u32::try_from(self.text.len()).ok());
        self.spans
            .push(span.ok_or_else(|| E::custom("member names too long"))?);
        Ok(())
    }

    fn name(&self, (start, end): (u32, u32)) -> &str {
        // The spans are this list's own, within `text` and on character boundaries.
        self.text.get(start as usize..end as usize).unwrap_or("")
    }

    /// Closes the object opened at `mark`: an error when two of its names are equal. The
    /// names of a large object are sorted (by length, then by their bytes), so that the check
    /// costs n log n comparisons, not n²; those of a small one are compared pairwise. Most
    /// comparisons are of two lengths.
    fn close<E: serde::de::Error>(&mut self, (first, start): Mark) -> Result<(), E> {
        let mut spans = std::mem::take(&mut self.spans);
        let object = spans.get_mut(first..).unwrap_or_default();
        let len = |(start, end): (u32, u32)| end - start;
        let same = |a: (u32, u32), b: (u32, u32)| len(a) == len(b) && self.name(a) == self.name(b);
        let distinct = if object.len() <= SMALL_OBJECT {
            // few names: each against those after it
            !object
                .iter()
                .enumerate()
                .any(|(i, a)| object.iter().skip(i + 1).any(|b| same(*a, *b)))
        } else {
            object.sort_unstable_by(|a, b| {
                len(*a)
                    .cmp(&len(*b))
                    .then_with(|| self.name(*a).cmp(self.name(*b)))
            });
            !object
                .windows(2)
                .any(|pair| matches!(pair, [a, b] if same(*a, *b)))
        };
        spans.truncate(first);
        self.spans = spans;
        self.text.truncate(start);
        if distinct {
            Ok(())
        } else {
            Err(E::custom(DUPLICATE))
        }
    }
}

/// Checks one value and keeps nothing of it.
struct Checked<'n>(&'n mut Names);

impl<'de> DeserializeSeed<'de> for Checked<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Checked<'_> {
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
        self.0.descend()?;
        while seq.next_element_seed(Checked(self.0))?.is_some() {}
        self.0.depth += 1;
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.descend()?;
        let mark = self.0.open();
        while map.next_key_seed(Name(self.0))?.is_some() {
            map.next_value_seed(Checked(self.0))?;
        }
        self.0.depth += 1;
        self.0.close(mark)
    }
}

/// A member name, added to the names of its object.
struct Name<'n>(&'n mut Names);

impl<'de> DeserializeSeed<'de> for Name<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Name<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<(), E> {
        self.0.push(name)
    }
}

/* objects read once: members as raw texts */

/// Where a text lies in the text it was read from: its first and past-the-last byte.
type Span = (u32, u32);

/// A member name in an [`Object`]: where it is in the text (no escapes), or unescaped.
#[derive(Clone, Debug)]
enum Label {
    At(Span),
    Escaped(Box<str>),
}

/// A JSON object read in one pass: its members' names and the raw texts of their values,
/// sorted by name (distinct), and for chosen members whose values are objects, their
/// members read the same way. Spans are offsets in the text it was read from, which every
/// accessor takes again (so the object can be kept beside a text it does not borrow).
#[derive(Clone, Debug, Default)]
pub struct Object {
    members: Vec<(Label, Span)>,
    nested: Vec<(usize, Object)>,
}

/// How [`object`] checks the values it skips.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Values {
    /// As strict JSON at every depth (duplicates, numbers, depth): the text's only read.
    Strict,
    /// Syntax only, for a text [`check`] already accepted.
    Checked,
}

fn span_of(text: &str, (start, end): Span) -> &str {
    text.get(start as usize..end as usize).unwrap_or("")
}

fn to_span(start: usize, end: usize) -> Result<Span, JsonError> {
    u32::try_from(start)
        .ok()
        .zip(u32::try_from(end).ok())
        .ok_or(JsonError::Syntax)
}

/// A member's name, read from `text` or unescaped.
fn label<'t>(text: &'t str, name: &'t Label) -> &'t str {
    match name {
        Label::At(span) => span_of(text, *span),
        Label::Escaped(name) => name,
    }
}

impl Object {
    fn position(&self, text: &str, name: &str) -> Option<usize> {
        self.members
            .binary_search_by(|(n, _)| label(text, n).cmp(name))
            .ok()
    }

    /// The object with the text it was read from, to read its members.
    pub fn view<'a>(&'a self, text: &'a str) -> View<'a> {
        View { text, object: self }
    }
}

/// An [`Object`] with the text it was read from.
#[derive(Clone, Copy)]
pub struct View<'a> {
    text: &'a str,
    object: &'a Object,
}

impl<'a> View<'a> {
    /// The raw text of the member `name`'s value.
    pub fn get(self, name: &str) -> Option<&'a str> {
        let (_, value) = self
            .object
            .members
            .get(self.object.position(self.text, name)?)?;
        Some(span_of(self.text, *value))
    }

    /// Whether it has a member `name`.
    pub fn has(self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The member `name` read as an object (when it was asked for as nested and is one).
    pub fn nested(self, name: &str) -> Option<View<'a>> {
        let i = self.object.position(self.text, name)?;
        let (_, inner) = self.object.nested.iter().find(|(at, _)| *at == i)?;
        Some(inner.view(self.text))
    }

    /// The members, sorted by name: names and raw value texts.
    pub fn iter(self) -> impl Iterator<Item = (&'a str, &'a str)> {
        let View { text, object } = self;
        (object.members.iter()).map(move |(name, value)| (label(text, name), span_of(text, *value)))
    }
}

/// Reads `text` once: when it is an object, its members (see [`Object`]) with those named
/// in `nest` read as objects too when they are; when it is JSON of another type, `Ok(None)`.
/// With [`Values::Strict`] it accepts exactly the texts [`parse`] accepts.
///
/// The top level is walked here (white space, `{`, `:`, `,`, `}`), each name and value by
/// serde_json from where it starts, which says where it ends.
pub fn object(text: &str, nest: &[&str], values: Values) -> Result<Option<Object>, JsonError> {
    read(text, nest, None, values)
}

/// [`object`], keeping only the top-level members named in `keep` when it is given (the
/// others are checked, their names too for duplicates, and not kept).
fn read(
    text: &str,
    nest: &[&str],
    keep: Option<&[&str]>,
    values: Values,
) -> Result<Option<Object>, JsonError> {
    let start = skip_whitespace(text, 0);
    if text.as_bytes().get(start) != Some(&b'{') {
        return match values {
            Values::Strict => run(text, Checked(&mut Names::with_depth(MAX_DEPTH))),
            Values::Checked => Ok(()),
        }
        .map(|()| None);
    }
    let (object, end) = read_object(text, start, (nest, keep), values, MAX_DEPTH)?;
    match skip_whitespace(text, end) == text.len() {
        true => Ok(Some(object)),
        false => Err(JsonError::Syntax),
    }
}

fn skip_whitespace(text: &str, mut at: usize) -> usize {
    while text.as_bytes().get(at).copied().is_some_and(is_whitespace) {
        at += 1;
    }
    at
}

/// The object starting at `at` (its `{`), `depth` levels allowed with its own: the object
/// (its members named in `keep`, or all) and where it ends.
fn read_object(
    text: &str,
    at: usize,
    (nest, keep): (&[&str], Option<&[&str]>),
    values: Values,
    depth: usize,
) -> Result<(Object, usize), JsonError> {
    let byte = |at: usize| text.as_bytes().get(at).copied();
    if depth == 0 {
        return Err(JsonError::Syntax);
    }
    let mut object = Object::default();
    let mut names = Names::with_depth(0);
    let mark = names.open();
    let mut nested = Vec::new();
    let mut at = skip_whitespace(text, at + 1);
    if byte(at) == Some(b'}') {
        return Ok((object, at + 1));
    }
    loop {
        if byte(at) != Some(b'"') {
            return Err(JsonError::Syntax);
        }
        // a name without escapes is borrowed from the text, one with them unescaped
        let (name, end) = match read_one::<&str>(text, at) {
            Ok((_, end)) => (Label::At(to_span(at + 1, end - 1)?), end),
            Err(_) => {
                let (name, end) = read_one::<String>(text, at)?;
                (Label::Escaped(name.into_boxed_str()), end)
            }
        };
        at = skip_whitespace(text, end);
        if byte(at) != Some(b':') {
            return Err(JsonError::Syntax);
        }
        at = skip_whitespace(text, at + 1);
        let start = at;
        let key = label(text, &name);
        names.push(key).map_err(classify)?;
        let kept = keep.is_none_or(|keep| keep.contains(&key));
        let nests = nest.contains(&key) && byte(at) == Some(b'{');
        at = if nests {
            let (inner, end) = read_object(text, at, (&[], None), values, depth - 1)?;
            nested.push((name.clone(), inner));
            end
        } else if values == Values::Checked {
            read_one::<serde::de::IgnoredAny>(text, at)?.1
        } else if depth == MAX_DEPTH {
            read_one::<StrictIn<{ MAX_DEPTH - 1 }>>(text, at)?.1
        } else {
            read_one::<StrictIn<{ MAX_DEPTH - 2 }>>(text, at)?.1
        };
        if kept {
            object.members.push((name, to_span(start, at)?));
        }
        at = skip_whitespace(text, at);
        match byte(at) {
            Some(b',') => at = skip_whitespace(text, at + 1),
            Some(b'}') => break,
            _ => return Err(JsonError::Syntax),
        }
    }
    names.close(mark).map_err(classify)?;
    // sorted by name (distinct: the names were checked)
    (object.members).sort_unstable_by(|(a, _), (b, _)| label(text, a).cmp(label(text, b)));
    for (name, inner) in nested {
        if let Some(i) = object.position(text, label(text, &name)) {
            object.nested.push((i, inner));
        }
    }
    Ok((object, at + 1))
}

/// One JSON value of type `T` starting at `at`: it, and where it ends.
fn read_one<'a, T: Deserialize<'a>>(text: &'a str, at: usize) -> Result<(T, usize), JsonError> {
    let rest = text.get(at..).ok_or(JsonError::Syntax)?;
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<T>();
    match stream.next() {
        Some(Ok(value)) => Ok((value, at + stream.byte_offset())),
        Some(Err(err)) => Err(classify(err)),
        None => Err(JsonError::Syntax),
    }
}

/// A value checked as [`check`] checks it, `DEPTH` levels allowed.
struct StrictIn<const DEPTH: usize>;

impl<'de, const DEPTH: usize> Deserialize<'de> for StrictIn<DEPTH> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut names = Names::with_depth(DEPTH);
        Checked(&mut names).deserialize(deserializer)?;
        Ok(StrictIn)
    }
}

/// A string member's value (its raw text, as [`Object::get`] gives it), unescaped: borrowed
/// when it has no escapes; `None` when the value is not a string.
pub fn string(raw: &str) -> Option<Cow<'_, str>> {
    match serde_json::from_str::<&str>(raw) {
        Ok(s) => Some(Cow::Borrowed(s)),
        Err(_) => serde_json::from_str::<String>(raw).ok().map(Cow::Owned),
    }
}

/// A number member's value (its raw text); `None` when the value is not a number.
pub fn number(raw: &str) -> Option<Number> {
    serde_json::from_str(raw).ok()
}

/// Whether two raw JSON texts (each strict JSON) are the same value: the same bytes, or else
/// equal once parsed (member order, white space and escapes may differ).
pub fn same_value(a: &str, b: &str) -> bool {
    a == b || matches!((parse(a.as_bytes()), parse(b.as_bytes())), (Ok(x), Ok(y)) if x == y)
}

/// Whether a raw JSON text is an empty object.
pub fn is_empty_object(raw: &str) -> bool {
    let mut bytes = raw.bytes().filter(|b| !is_whitespace(*b));
    bytes.next() == Some(b'{') && bytes.next() == Some(b'}') && bytes.next().is_none()
}

/// Whether the bytes start, after JSON whitespace, like a JSON value would: `{ [ " - 0-9`,
/// or one of the literals `true`, `false`, `null` (spelled out, so that a form body such as
/// `token=...` or `name=...` does not count). This is the Document Server's question "is the
/// body JSON?" asked cheaply; whether a body that starts like JSON is strict JSON is for
/// [`check`] to say.
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

    /// [`check`] on bytes: not UTF-8 is a syntax error.
    fn check<'a, const N: usize>(
        input: &'a [u8],
        wanted: [&str; N],
    ) -> Result<Option<[Option<&'a str>; N]>, JsonError> {
        let text = std::str::from_utf8(input).map_err(|_| JsonError::Syntax)?;
        super::check(text, wanted)
    }

    /// What `check` says of a text, in the terms `parse` uses.
    fn checked(input: &[u8]) -> Result<bool, JsonError> {
        check(input, []).map(|top| top.is_some())
    }

    /// [`object`]'s verdict on `input`; for an object, its members (and the nested ones)
    /// are checked against what [`parse`] builds.
    fn read(input: &[u8]) -> Result<bool, JsonError> {
        let text = std::str::from_utf8(input).map_err(|_| JsonError::Syntax)?;
        let nest = ["a", "h", "x"];
        let Some(object) = object(text, &nest, Values::Strict)? else {
            return Ok(false);
        };
        let map = parse_object(input).expect("what object reads, parse reads");
        let view = object.view(text);
        assert_eq!(view.iter().count(), map.len());
        for (name, raw) in view.iter() {
            assert_eq!(parse(raw.as_bytes()).ok().as_ref(), map.get(name), "{name}");
            assert_eq!(view.get(name), Some(raw));
            let inner = view.nested(name);
            assert_eq!(
                inner.is_some(),
                nest.contains(&name) && map[name].is_object()
            );
            for (n, r) in inner.iter().flat_map(|o| o.iter()) {
                assert_eq!(parse(r.as_bytes()).ok().as_ref(), map[name].get(n));
            }
        }
        // the same text, already checked, read again for its members only
        let again = super::object(text, &[], Values::Checked)?.expect("an object");
        assert!(again.view(text).iter().eq(view.iter()));
        Ok(true)
    }

    #[test]
    fn check_agrees_with_parse() {
        let mut inputs: Vec<Vec<u8>> = [
            &br#"{"a":1,"b":"x","c":{"d":[1,{"e":null}]},"f":true,"g":-1.5e3}"#[..],
            br#" { "a" : 1 } "#,
            br#"{}"#,
            br#"[]"#,
            br#"[{}, {"a": [{}]}]"#,
            br#"{"a":1,"a":2}"#,
            br#"{"a":1,"\u0061":2}"#,
            br#"{"x":{"a":1,"a":2}}"#,
            br#"{"x":[{"a":1,"a":2}]}"#,
            br#"{"x":{"a":1},"y":{"a":1}}"#,
            br#"{"a":{"b":1},"b":{"a":1}}"#,
            br#"{"x":{"a":1,"b":{"a":1}},"a":2}"#,
            br#"{"x":"\ud800"}"#,
            br#"{"\ud800":1}"#,
            br#"{"x":"\ud83d\ude00"}"#,
            "{\"x\":\"\\u00e9\",\"\\u00e9\":1,\"\u{e9}\":2}".as_bytes(),
            br#"{"x":1e400}"#,
            br#"{"x":[1e400]}"#,
            br#"{"x":01}"#,
            b"{\"x\":\"\xff\"}",
            b"{\"\xff\":1}",
            br#"{"x":1}x"#,
            br#"{"x":1,}"#,
            br#"[1,]"#,
            b"{",
            b"",
            b"1 2",
            b"\"s\"",
            b"-0",
            b"null",
            b"true",
            b"{\"a\":\"\x01\"}",
        ]
        .iter()
        .map(|s| s.to_vec())
        .collect();
        for depth in [1, 126, 127, 128, 129, 500] {
            inputs.push(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes());
            inputs.push(format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth)).into_bytes());
        }
        for input in &inputs {
            let parsed = parse(input).map(|v| v.is_object());
            assert_eq!(checked(input), parsed, "{}", String::from_utf8_lossy(input));
            assert_eq!(read(input), parsed, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn check_agrees_with_parse_on_mutations() {
        // Every one-byte change of a callback-like text: the same verdict both ways.
        let base = br#"{"key":"k1","status":2,"h":{"a":[1,{"b":null,"c":"\u00e9"}],"b":-1.5e3},"u":["x","y"],"t":true}"#;
        for i in 0..base.len() {
            for byte in [
                b'"', b'{', b'}', b'[', b']', b',', b':', b'a', b'b', b'1', b'\\', b' ', 0xff,
            ] {
                let mut input = base.to_vec();
                input[i] = byte;
                let parsed = parse(&input).map(|v| v.is_object());
                assert_eq!(
                    checked(&input),
                    parsed,
                    "{}",
                    String::from_utf8_lossy(&input)
                );
                assert_eq!(read(&input), parsed, "{}", String::from_utf8_lossy(&input));
            }
        }
    }

    #[test]
    fn check_keeps_wanted_members() {
        let text =
            br#"{"alg":"HS256","n":0,"e":"a\"b","o":{"alg":"x"},"l":[1],"z":null,"f":false}"#;
        let found = check(text, ["alg", "n", "e", "o", "l", "z", "f", "missing"]).unwrap();
        let [alg, n, e, o, l, z, f, missing] = found.unwrap();
        assert_eq!(alg, Some(r#""HS256""#));
        assert!(matches!(alg.and_then(string), Some(Cow::Borrowed("HS256"))));
        assert_eq!(n.and_then(number), Some(Number::from(0)));
        assert_eq!(n.and_then(string), None);
        assert!(matches!(e.and_then(string), Some(Cow::Owned(s)) if s == "a\"b"));
        assert_eq!(e.and_then(number), None);
        assert_eq!(o, Some(r#"{"alg":"x"}"#));
        assert_eq!(l, Some("[1]"));
        assert_eq!(z, Some("null"));
        assert_eq!(f, Some("false"));
        assert_eq!(missing, None);
        // Only the top level counts; a wanted name twice is a duplicate.
        assert_eq!(check(br#"{"o":{"alg":"x"}}"#, ["alg"]), Ok(Some([None])));
        assert_eq!(
            check(br#"{"alg":"a","alg":"a"}"#, ["alg"]),
            Err(JsonError::Duplicate)
        );
        assert_eq!(check(br#"[{"alg":"a"}]"#, ["alg"]), Ok(None));
        assert_eq!(
            check(br#"{"o":{"a":{"b":1,"b":1}}}"#, ["o"]),
            Err(JsonError::Duplicate)
        );
    }

    #[test]
    fn check_finds_duplicates_in_objects_of_any_size() {
        for n in [2usize, 3, 17, 100, 5000] {
            let members: Vec<String> = (0..n).map(|i| format!("\"m{i}\":{i}")).collect();
            let good = format!("{{{}}}", members.join(","));
            assert_eq!(checked(good.as_bytes()), Ok(true), "{n}");
            for (a, b) in [(0, n - 1), (n / 2 - 1, n / 2), (n - 2, n - 1)] {
                let mut m = members.clone();
                m[b] = format!("\"m{a}\":0");
                let bad = format!("{{\"x\":{{{}}}}}", m.join(","));
                assert_eq!(
                    checked(bad.as_bytes()),
                    Err(JsonError::Duplicate),
                    "{n} {a} {b}"
                );
            }
        }
    }

    #[test]
    fn nesting_limit_is_max_depth() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            parse(nested(MAX_DEPTH + 1).as_bytes()),
            Err(JsonError::Syntax)
        );
        assert_eq!(checked(nested(MAX_DEPTH).as_bytes()), Ok(false));
        assert_eq!(
            checked(nested(MAX_DEPTH + 1).as_bytes()),
            Err(JsonError::Syntax)
        );
        let objects = |depth: usize| format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        assert!(parse(objects(MAX_DEPTH).as_bytes()).is_ok());
        assert_eq!(
            parse(objects(MAX_DEPTH + 1).as_bytes()),
            Err(JsonError::Syntax)
        );
        assert_eq!(checked(objects(MAX_DEPTH).as_bytes()), Ok(true));
        assert_eq!(
            checked(objects(MAX_DEPTH + 1).as_bytes()),
            Err(JsonError::Syntax)
        );
        for depth in [1, 2, 3, MAX_DEPTH - 1, MAX_DEPTH] {
            assert_eq!(read(objects(depth).as_bytes()), Ok(true), "{depth}");
            if depth >= 3 {
                let arrays = format!(r#"{{"a":{{"b":{}}}}}"#, nested(depth - 2));
                assert_eq!(read(arrays.as_bytes()), Ok(true), "{depth}");
            }
        }
        assert_eq!(
            read(objects(MAX_DEPTH + 1).as_bytes()),
            Err(JsonError::Syntax)
        );
        let too_deep = format!(r#"{{"a":{{"b":{}}}}}"#, nested(MAX_DEPTH - 1));
        assert_eq!(read(too_deep.as_bytes()), Err(JsonError::Syntax));
        assert!(parse(too_deep.as_bytes()).is_err());
    }

    #[test]
    fn names_are_released_when_objects_close() {
        let mut names = Names::with_depth(MAX_DEPTH);
        let outer = names.open();
        names.push::<serde_json::Error>("a").unwrap();
        let inner = names.open();
        names.push::<serde_json::Error>("b").unwrap();
        names.push::<serde_json::Error>("a").unwrap();
        assert!(names.close::<serde_json::Error>(inner).is_ok());
        assert_eq!((names.spans.len(), names.text.as_str()), (1, "a"));
        names.push::<serde_json::Error>("a").unwrap();
        assert!(names.close::<serde_json::Error>(outer).is_err());
        assert_eq!((names.spans.len(), names.text.len()), (0, 0));
    }
}
