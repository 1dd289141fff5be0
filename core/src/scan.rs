//! A strict JSON validator that builds nothing: one pass over the bytes, no allocation but
//! the list of member names it compares for duplicates (on the stack while it holds at most
//! [`INLINE_NAMES`] names at once, as a token's claims do).
//!
//! It accepts exactly what [`crate::json::parse`] accepts (serde_json's grammar: UTF-8, no
//! trailing data, no lone surrogates, finite numbers, at most 127 levels of nesting; and no
//! duplicate member names at any depth), which a unit test and the `json_scan` fuzz target
//! check against serde_json. It is what lets the module verify a token, or compare a
//! callback body with its token, without building the JSON values of either.

use std::borrow::Cow;

use smallvec::SmallVec;

/// The deepest nesting accepted: what serde_json's recursion limit lets through.
pub const MAX_DEPTH: usize = 127;

/// How many member names (of the objects open at one time) are kept without allocating.
pub const INLINE_NAMES: usize = 32;

/// Why a text is not strict JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanError {
    /// Not JSON (or not within the limits above).
    Syntax,
    /// Two members of one object have the same name (after unescaping).
    Duplicate,
}

/// A top-level member: its name and its value's raw text.
pub type Member<'a> = (Cow<'a, str>, &'a [u8]);

/// What a scan keeps of a top-level object: nothing is kept unless asked for.
#[derive(Debug, Default)]
pub struct TopLevel<'a> {
    /// When `Some`, the object's members, as names and raw value texts, in document order.
    pub members: Option<Vec<Member<'a>>>,
    /// When `Some`, the members of the object's `payload` member (if that is an object).
    pub payload: Option<Vec<Member<'a>>>,
    /// The raw texts of the `exp`, `nbf` and `iat` members, always kept.
    pub times: [Option<&'a [u8]>; 3],
    /// Members already known to be strict JSON, from another text scanned at top level
    /// (a callback's body, for its tokens' claims). A member of this object or of its
    /// `payload` whose value starts with the very bytes of the known member of that name is
    /// not scanned again: the same bytes are the same value, valid alike. The known values
    /// must nest at most `MAX_DEPTH - 2` levels (see [`TopLevel::deepest`]).
    pub known: &'a [Member<'a>],
    /// The text the `known` members were scanned from (a JSON object), or empty. When this
    /// object (or its `payload`) starts with the same bytes as that text, the known members
    /// those bytes hold in full are taken as they are, and the scan goes on after them.
    pub known_text: &'a [u8],
    /// Set by the scan: the deepest nesting it scanned (1 for a flat object; values taken
    /// from `known` are not counted).
    pub deepest: usize,
}

impl<'a> TopLevel<'a> {
    /// Keeps what is asked for of the member `name` with the raw text `raw`.
    #[allow(clippy::ptr_arg)] // the name is cloned, borrowed or owned as it is, into the list
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt_body")]
    fn keep(&mut self, name: &Cow<'a, str>, raw: &'a [u8]) {
        if let Some(slot) = time_slot(&mut self.times, name) {
            *slot = Some(raw);
        }
        if let Some(list) = self.members.as_mut() {
            list.push((name.clone(), raw));
        }
    }

    /// Whether the scan lists members or may take known ones (more than the time claims).
    fn lists(&self) -> bool {
        self.members.is_some()
            || self.payload.is_some()
            || !self.known.is_empty()
            || !self.known_text.is_empty()
    }
}

/// The slot of `times` for the member `name`: `exp`, `nbf` and `iat`, in that order.
fn time_slot<'s, 'a>(
    times: &'s mut [Option<&'a [u8]>; 3],
    name: &str,
) -> Option<&'s mut Option<&'a [u8]>> {
    let [exp, nbf, iat] = times;
    match name {
        "exp" => Some(exp),
        "nbf" => Some(nbf),
        "iat" => Some(iat),
        _ => None,
    }
}

/// Validates `bytes` as one JSON value; when it is an object, fills `top` as it asks.
/// Nested objects are validated but not listed.
pub fn scan<'a>(bytes: &'a [u8], top: &mut TopLevel<'a>) -> Result<(), ScanError> {
    scan_with(bytes, top, None)
}

/// [`scan`], calling `pump` before each member of an object and each element of an array:
/// work that does not depend on the scan (a MAC) runs in the scan's shadow that way.
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt_body")]
pub fn scan_with<'a>(
    bytes: &'a [u8],
    top: &mut TopLevel<'a>,
    pump: Option<&mut dyn FnMut()>,
) -> Result<(), ScanError> {
    // JSON outside strings is ASCII, and nothing outside strings accepts other bytes; inside
    // strings, the runs of non-ASCII bytes are checked to be UTF-8 as they are met (see
    // `Scanner::plain`), which is the whole text's check without a pass of its own.
    let mut s = Scanner::new(bytes, pump);
    s.ws();
    if s.peek() == Some(b'{') {
        s.object(1, Some(top))?;
    } else {
        s.value(0)?;
    }
    s.ws();
    top.deepest = s.deepest;
    if s.pos == bytes.len() {
        Ok(())
    } else {
        Err(ScanError::Syntax)
    }
}

/// Validates `bytes` as a JSON object of which only the raw texts of the top-level `exp`,
/// `nbf` and `iat` are wanted (a bearer token's claims), calling `pump` as [`scan_with`]
/// does. Any error is [`ScanError::Syntax`] or [`ScanError::Duplicate`]; a text that is JSON
/// but not an object is a syntax error here.
pub fn scan_object_times<'a>(
    bytes: &'a [u8],
    pump: Option<&mut dyn FnMut()>,
) -> Result<[Option<&'a [u8]>; 3], ScanError> {
    let mut s = Scanner::new(bytes, pump);
    let mut times = [None; 3];
    s.ws();
    s.plain_object(1, Some(&mut times))?;
    s.ws();
    if s.pos == bytes.len() {
        Ok(times)
    } else {
        Err(ScanError::Syntax)
    }
}

/// A member name, with a cheap summary of it: equal names have equal fingerprints, so two
/// names need comparing only when their fingerprints are equal.
struct Name<'a> {
    fingerprint: u64,
    text: Cow<'a, str>,
}

/// The fingerprint of a name: its length and, read as words (with no loop), its first and
/// last eight bytes, or first and last four, or first, middle and last byte: all of a name
/// shorter than eight bytes.
fn fingerprint(name: &[u8]) -> u64 {
    let len = name.len();
    let word = |at: usize| {
        name.get(at..at + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map_or(0, u64::from_le_bytes)
    };
    let half = |at: usize| {
        name.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u64::from(u32::from_le_bytes(b)))
    };
    let byte = |at: usize| name.get(at).map_or(0, |b| u64::from(*b));
    let (head, tail) = match len {
        8.. => (word(0), word(len - 8)),
        4..=7 => (half(0), half(len - 4)),
        _ => (
            (byte(0) << 16) | (byte(len / 2) << 8) | byte(len.wrapping_sub(1)),
            0,
        ),
    };
    (head ^ tail.rotate_left(29)).wrapping_add(len as u64)
}

struct Scanner<'a, 'p> {
    /// Called before each member and element.
    pump: Option<&'p mut dyn FnMut()>,
    /// The whole input; what [`Scanner::plain`] moved over is known to be UTF-8.
    bytes: &'a [u8],
    pos: usize,
    /// The deepest nesting met so far.
    deepest: usize,
    /// Member names of the objects being scanned, innermost last.
    names: SmallVec<[Name<'a>; INLINE_NAMES]>,
}

impl<'a, 'p> Scanner<'a, 'p> {
    fn new(bytes: &'a [u8], pump: Option<&'p mut dyn FnMut()>) -> Self {
        Scanner {
            pump,
            bytes,
            pos: 0,
            names: SmallVec::new(),
            deepest: 0,
        }
    }
    #[inline(always)]
    fn pump(&mut self) {
        if let Some(pump) = self.pump.as_mut() {
            pump();
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Result<(), ScanError> {
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(ScanError::Syntax)
        }
    }

    /// `true`, `false` or `null`, out of line: the values of a token's claims are mostly
    /// strings, numbers and objects, whose code stays together that way.
    #[inline(never)]
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt_body")]
    fn literal_value(&mut self) -> Result<(), ScanError> {
        match self.peek() {
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            _ => self.literal(b"null"),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), ScanError> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(ScanError::Syntax)
        }
    }

    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    fn value(&mut self, depth: usize) -> Result<(), ScanError> {
        match self.peek() {
            Some(b'{') => self.object(depth + 1, None),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.skip_string(),
            Some(b't' | b'f' | b'n') => self.literal_value(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(ScanError::Syntax),
        }
    }

    /// Opens an object or array at nesting `depth`: `true` when it is empty (and closed).
    #[inline(always)]
    fn open(&mut self, depth: usize, open: u8, close: u8) -> Result<bool, ScanError> {
        if depth > MAX_DEPTH {
            return Err(ScanError::Syntax);
        }
        self.deepest = self.deepest.max(depth);
        self.eat(open)?;
        self.ws();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// A member's name and the colon after it, white space around them skipped. Inlined in
    /// both object loops: a call per member costs more than the code it would share.
    #[inline(always)]
    fn member_name(&mut self) -> Result<Cow<'a, str>, ScanError> {
        self.ws();
        let name = self.string()?;
        self.ws();
        self.eat(b':')?;
        self.ws();
        Ok(name)
    }

    /// Keeps a member's name for the duplicate check of its object.
    #[inline(always)]
    fn push_name(&mut self, name: Cow<'a, str>) {
        self.names.push(Name {
            fingerprint: fingerprint(name.as_bytes()),
            text: name,
        });
    }

    /// After a member or an element: `true` past a comma (another follows), `false` past
    /// `close`, which ends the object or array.
    #[inline(always)]
    fn more(&mut self, close: u8) -> Result<bool, ScanError> {
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(ScanError::Syntax),
        }
    }

    /// An object; the top-level one (with `top`) keeps what `top` asks for.
    fn object(&mut self, depth: usize, top: Option<&mut TopLevel<'a>>) -> Result<(), ScanError> {
        match top {
            Some(top) if top.lists() => self.listed_object(depth, top),
            Some(top) => self.plain_object(depth, Some(&mut top.times)),
            None => self.plain_object(depth, None),
        }
    }

    /// An object of which only the time claims are kept (when `times` is given), as every
    /// object of a bearer token's claims is: the short loop, whose code a request runs.
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    fn plain_object(
        &mut self,
        depth: usize,
        mut times: Option<&mut [Option<&'a [u8]>; 3]>,
    ) -> Result<(), ScanError> {
        if self.open(depth, b'{', b'}')? {
            return Ok(());
        }
        let start = self.names.len();
        loop {
            self.pump();
            let name = self.member_name()?;
            let value_start = self.pos;
            self.value(depth)?;
            if let Some(times) = times.as_deref_mut() {
                if let (Some(slot), Some(raw)) = (
                    time_slot(times, &name),
                    self.bytes.get(value_start..self.pos),
                ) {
                    *slot = Some(raw);
                }
            }
            self.push_name(name);
            if !self.more(b'}')? {
                break;
            }
        }
        self.check_names(start, 0)
    }

    /// A top-level object (or its `payload`) whose members `top` lists, or that may take
    /// known members (a callback token's claims).
    #[inline(never)]
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt_body")]
    fn listed_object(&mut self, depth: usize, top: &mut TopLevel<'a>) -> Result<(), ScanError> {
        if depth > MAX_DEPTH {
            return Err(ScanError::Syntax);
        }
        self.deepest = self.deepest.max(depth);
        let open = self.pos;
        self.eat(b'{')?;
        let start = self.names.len();
        let resumed = self.take_known_prefix(open, top);
        // Names taken with a known prefix are distinct from one another.
        let distinct = self.names.len() - start;
        if !resumed {
            self.ws();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(());
            }
        }
        loop {
            self.pump();
            let name = self.member_name()?;
            let value_start = self.pos;
            let wants_payload = name == "payload" && top.payload.is_some();
            if let (false, Some(len)) = (wants_payload, self.known_len(top.known, &name)) {
                self.pos += len;
            } else if name == "payload" && self.peek() == Some(b'{') {
                if let Some(mut payload) = top.payload.take() {
                    let mut nested = TopLevel {
                        members: Some(payload),
                        known: top.known,
                        known_text: top.known_text,
                        ..TopLevel::default()
                    };
                    self.object(depth + 1, Some(&mut nested))?;
                    payload = nested.members.unwrap_or_default();
                    top.payload = Some(payload);
                } else {
                    self.value(depth)?;
                }
            } else {
                self.value(depth)?;
            }
            let raw = self
                .bytes
                .get(value_start..self.pos)
                .ok_or(ScanError::Syntax)?;
            top.keep(&name, raw);
            self.push_name(name);
            if !self.more(b'}')? {
                break;
            }
        }
        self.check_names(start, distinct)
    }

    /// When the object opening at `open` starts with the same bytes as `top.known_text`, takes
    /// the known members that those common bytes hold in full, each with the comma after it,
    /// as if they had been scanned: their names, values and time claims are kept as a scan
    /// keeps them, and the scan resumes after the last such comma. Returns whether it did.
    ///
    /// The scanner's state after a member and its comma depends only on the bytes before
    /// them, so scanning bytes equal to those of an object already scanned (which had no
    /// error and no duplicate up to there) ends in the same state. A `payload` member that
    /// `top` wants to look into is not taken, nor anything after it.
    fn take_known_prefix(&mut self, open: usize, top: &mut TopLevel<'a>) -> bool {
        let known = top.known_text;
        let Some(known_open) = known.iter().position(|b| !is_whitespace(*b)) else {
            return false;
        };
        let here = self.bytes.get(open..).unwrap_or_default();
        let there = known.get(known_open..).unwrap_or_default();
        if there.first() != Some(&b'{') {
            return false;
        }
        let common = common_prefix(here, there);
        // The known members held in full by the common bytes, each with the comma after it;
        // the scan resumes after the last such comma.
        let mut resume = None;
        for (name, value) in top.known {
            if name == "payload" && top.payload.is_some() {
                break;
            }
            let Some(start) = offset_in(known, value).and_then(|o| o.checked_sub(known_open))
            else {
                break;
            };
            let end = start + value.len();
            let after = there.get(end..).unwrap_or_default();
            let comma = end + after.iter().take_while(|b| is_whitespace(**b)).count();
            let Some(raw) = here.get(start..end) else {
                break;
            };
            if there.get(comma) != Some(&b',') || comma + 1 > common {
                break;
            }
            top.keep(name, raw);
            self.names.push(Name {
                fingerprint: fingerprint(name.as_bytes()),
                text: name.clone(),
            });
            resume = Some(comma + 1);
        }
        let Some(resume) = resume else {
            return false;
        };
        self.pos = open + resume;
        true
    }

    /// The length of the known member `name`'s value when the text at the scan position
    /// starts with exactly its bytes (and they are not the start of a longer number).
    fn known_len(&self, known: &[Member<'_>], name: &str) -> Option<usize> {
        let (_, value) = known.iter().find(|(n, _)| n == name)?;
        let rest = self.bytes.get(self.pos..)?;
        let after = rest.get(value.len()..)?;
        let continues_number = matches!(
            after.first(),
            Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
        );
        (rest.starts_with(value) && !continues_number).then_some(value.len())
    }

    /// Refuses duplicates among the names pushed since `start` (of which the first
    /// `distinct` are known to differ from one another), then pops them.
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    fn check_names(&mut self, start: usize, distinct: usize) -> Result<(), ScanError> {
        let own = self.names.get_mut(start..).unwrap_or_default();
        let same = |a: &Name<'_>, b: &Name<'_>| a.fingerprint == b.fingerprint && a.text == b.text;
        let duplicate = match own.len() {
            0 | 1 => false,
            // Small objects: compare pairs (no sorting, no moves), names only where their
            // fingerprints are equal; each name with the ones before it.
            2..=16 => {
                let mut duplicate = false;
                for j in distinct.max(1)..own.len() {
                    if let (Some(b), Some(before)) = (own.get(j), own.get(..j)) {
                        for a in before {
                            duplicate |= same(a, b);
                        }
                    }
                }
                duplicate
            }
            _ => {
                own.sort_unstable_by(|a, b| {
                    (a.fingerprint.cmp(&b.fingerprint)).then_with(|| a.text.cmp(&b.text))
                });
                own.windows(2).any(|w| matches!(w, [a, b] if same(a, b)))
            }
        };
        self.names.truncate(start);
        if duplicate {
            Err(ScanError::Duplicate)
        } else {
            Ok(())
        }
    }

    #[inline(never)]
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt_body")]
    fn array(&mut self, depth: usize) -> Result<(), ScanError> {
        if self.open(depth, b'[', b']')? {
            return Ok(());
        }
        loop {
            self.pump();
            self.ws();
            self.value(depth)?;
            if !self.more(b']')? {
                return Ok(());
            }
        }
    }

    /// Moves over the string bytes from the scan position that need no attention: ASCII
    /// other than `"`, `\\` and control characters, and runs of non-ASCII bytes, which must
    /// be UTF-8. Stops at the first byte that needs attention, or at the end.
    ///
    /// A run of non-ASCII bytes between ASCII ones (or the ends) is UTF-8 exactly when the
    /// text around it is: no UTF-8 sequence holds an ASCII byte, and every ASCII byte is a
    /// character of its own.
    #[inline(always)]
    fn plain(&mut self) -> Result<(), ScanError> {
        loop {
            self.pos += plain_run(self.bytes.get(self.pos..).unwrap_or_default());
            match self.peek() {
                Some(0x80..) => self.non_ascii()?,
                _ => return Ok(()),
            }
        }
    }

    /// Moves over the run of non-ASCII bytes at the scan position, which must be UTF-8.
    #[cold]
    #[inline(never)]
    fn non_ascii(&mut self) -> Result<(), ScanError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        let len = rest.iter().take_while(|b| **b >= 0x80).count();
        if std::str::from_utf8(rest.get(..len).unwrap_or_default()).is_err() {
            return Err(ScanError::Syntax);
        }
        self.pos += len;
        Ok(())
    }

    /// The text from `start` to the scan position, which [`Scanner::plain`] moved over.
    fn plain_str(&self, start: usize) -> Result<&'a str, ScanError> {
        let bytes = self.bytes.get(start..self.pos).ok_or(ScanError::Syntax)?;
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: `plain` moved over these bytes in one call: ASCII, and runs of non-ASCII
        // bytes it checked to be UTF-8, cut at ASCII bytes (character boundaries).
        Ok(unsafe { std::str::from_utf8_unchecked(bytes) })
    }

    /// A string that is only validated (a value: nothing is kept of it).
    fn skip_string(&mut self) -> Result<(), ScanError> {
        self.eat(b'"')?;
        loop {
            self.plain()?;
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(None)?;
                }
                _ => return Err(ScanError::Syntax),
            }
        }
    }

    /// A string: its content, borrowed when it holds no escape.
    #[inline(always)]
    fn string(&mut self) -> Result<Cow<'a, str>, ScanError> {
        self.eat(b'"')?;
        let start = self.pos;
        // Fast path: plain bytes up to the closing quote.
        self.plain()?;
        let plain = self.plain_str(start)?;
        if self.peek() == Some(b'"') {
            self.pos += 1;
            return Ok(Cow::Borrowed(plain));
        }
        self.escaped_string(plain)
    }

    /// The rest of a string that holds an escape, after its first run of plain bytes: the
    /// slow path of [`Scanner::string`], out of line.
    #[cold]
    #[inline(never)]
    fn escaped_string(&mut self, plain: &str) -> Result<Cow<'a, str>, ScanError> {
        let mut out = String::from(plain);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.pos += 1;
                    self.escape(Some(&mut out))?;
                }
                _ => return Err(ScanError::Syntax),
            }
            let run_start = self.pos;
            self.plain()?;
            out.push_str(self.plain_str(run_start)?);
        }
    }

    /// An escape after its backslash, unescaped into `out` when given.
    fn escape(&mut self, out: Option<&mut String>) -> Result<(), ScanError> {
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let first = self.hex4()?;
                let c = match first {
                    0xd800..=0xdbff => {
                        // A high surrogate must be followed by an escaped low one.
                        self.literal(b"\\u")?;
                        let second = self.hex4()?;
                        if !(0xdc00..=0xdfff).contains(&second) {
                            return Err(ScanError::Syntax);
                        }
                        let code = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
                        char::from_u32(code).ok_or(ScanError::Syntax)?
                    }
                    0xdc00..=0xdfff => return Err(ScanError::Syntax),
                    _ => char::from_u32(first).ok_or(ScanError::Syntax)?,
                };
                if let Some(out) = out {
                    out.push(c);
                }
                return Ok(());
            }
            _ => return Err(ScanError::Syntax),
        };
        self.pos += 1;
        if let Some(out) = out {
            out.push(c);
        }
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ScanError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or(ScanError::Syntax)?;
        let mut v = 0u32;
        for &d in digits {
            let n = (d as char).to_digit(16).ok_or(ScanError::Syntax)?;
            v = (v << 4) | n;
        }
        self.pos += 4;
        Ok(v)
    }

    /// A number of JSON's grammar whose value is a finite `f64`.
    fn number(&mut self) -> Result<(), ScanError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(ScanError::Syntax),
        }
        let mut simple = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            simple = false;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(ScanError::Syntax);
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            simple = false;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(ScanError::Syntax);
            }
            self.digits();
        }
        let text = self.bytes.get(start..self.pos).ok_or(ScanError::Syntax)?;
        // Integers of up to 300 digits are finite as f64; anything else is checked.
        if simple && text.len() <= 300 {
            return Ok(());
        }
        finite_number(text)
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }
}

/// Whether the text of a JSON number with a fraction or an exponent (or of more than 300
/// digits) is a finite `f64`.
#[cold]
#[inline(never)]
fn finite_number(text: &[u8]) -> Result<(), ScanError> {
    let finite = std::str::from_utf8(text)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .is_some_and(f64::is_finite);
    if finite {
        Ok(())
    } else {
        Err(ScanError::Syntax)
    }
}

/// JSON's insignificant white space.
fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// How many bytes `a` and `b` have in common at their start.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let mut n = 0;
    for (x, y) in a.chunks_exact(16).zip(b.chunks_exact(16)) {
        let (Ok(x), Ok(y)) = (<[u8; 16]>::try_from(x), <[u8; 16]>::try_from(y)) else {
            break;
        };
        let diff = u128::from_le_bytes(x) ^ u128::from_le_bytes(y);
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 16;
    }
    let rest = a.get(n..).unwrap_or_default().iter();
    n + rest
        .zip(b.get(n..).unwrap_or_default())
        .take_while(|(x, y)| x == y)
        .count()
}

/// Where `part`, a subslice of `whole`, starts in it.
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (offset + part.len() <= whole.len()).then_some(offset)
}

/// The length of the run of ASCII string bytes at the start of `bytes` that need no
/// attention: no `"`, no `\\`, no control character, no byte from 0x80 on (which
/// [`Scanner::plain`] checks as UTF-8). Sixteen bytes at a time with SSE2 (part of x86-64),
/// then byte by byte.
#[cfg(target_arch = "x86_64")]
fn plain_run(bytes: &[u8]) -> usize {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    let mut n = 0;
    // SAFETY: SSE2 is part of x86-64, so every x86-64 CPU runs these instructions; each load
    // reads the 16 bytes of one `chunk`, with no alignment requirement.
    unsafe {
        let quote = _mm_set1_epi8(b'"' as i8);
        let backslash = _mm_set1_epi8(b'\\' as i8);
        let control = _mm_set1_epi8(0x1f);
        for chunk in bytes.chunks_exact(16) {
            let x = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            // a control character is one that min(x, 0x1f) leaves unchanged
            let special = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                _mm_cmpeq_epi8(_mm_min_epu8(x, control), x),
            );
            // a byte from 0x80 on has its top bit set already
            let mask = _mm_movemask_epi8(special) | _mm_movemask_epi8(x);
            if mask != 0 {
                return n + mask.trailing_zeros() as usize;
            }
            n += 16;
        }
    }
    n + plain_run_bytes(bytes.get(n..).unwrap_or_default())
}

/// [`plain_run`] where there is no SSE2: eight bytes at a time while no byte of the eight
/// needs attention (the classic "has a zero byte" test, on three masks, and the top bits),
/// then byte by byte.
#[cfg(not(target_arch = "x86_64"))]
fn plain_run(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut n = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        // bytes < 0x20: (x - 0x20..) & !x & 0x80.. is exact for bytes below 0x80, and bytes
        // from 0x80 on have their top bit set in x, so !x clears them.
        let special = has_zero(x ^ (ONES * u64::from(b'"')))
            | has_zero(x ^ (ONES * u64::from(b'\\')))
            | (x.wrapping_sub(ONES * 0x20) & !x & HIGHS)
            | (x & HIGHS);
        if special != 0 {
            break;
        }
        n += 8;
    }
    n + plain_run_bytes(bytes.get(n..).unwrap_or_default())
}

/// [`plain_run`] one byte at a time.
fn plain_run_bytes(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b))
        .unwrap_or(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    /// The scanner and serde_json (with the duplicate check) agree on `input`.
    fn agree(input: &[u8]) {
        let scanned = scan(input, &mut TopLevel::default());
        let parsed = json::parse(input);
        assert_eq!(
            scanned.is_ok(),
            parsed.is_ok(),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        // The kind of error may differ for an input with a duplicate name and a later syntax
        // error (serde_json sees the duplicate first); callers refuse both kinds alike.
        same_on_both_paths(input);
    }

    /// The short loop (nothing listed) and the listing one (members and `payload` listed)
    /// give the same verdict and the same time claims; so does the times-only entry point
    /// for objects.
    fn same_on_both_paths(input: &[u8]) {
        let mut plain = TopLevel::default();
        let plain_result = scan(input, &mut plain);
        let mut listed = TopLevel {
            members: Some(Vec::new()),
            payload: Some(Vec::new()),
            ..TopLevel::default()
        };
        let listed_result = scan(input, &mut listed);
        let text = String::from_utf8_lossy(input);
        assert_eq!(plain_result, listed_result, "{text:?}");
        assert_eq!(plain.times, listed.times, "{text:?}");
        assert_eq!(plain.deepest, listed.deepest, "{text:?}");
        let is_object = input.iter().find(|b| !is_whitespace(**b)) == Some(&b'{');
        match scan_object_times(input, None) {
            Ok(times) => {
                assert!(plain_result.is_ok() && is_object, "{text:?}");
                assert_eq!(times, plain.times, "{text:?}");
            }
            Err(e) => assert!(plain_result == Err(e) || !is_object, "{text:?}"),
        }
    }

    #[test]
    fn finds_duplicates_in_objects_of_any_size() {
        // Names of 1 to 20 bytes that share heads, tails and lengths, in objects small enough
        // for the pairwise check and large enough for the sorted one; each with one name
        // repeated (plain, or spelled with an escape) and without.
        let name = |i: usize| {
            let len = 1 + i % 20;
            let mut n: Vec<u8> = (0..len).map(|k| b'a' + ((i / 20 + k) % 3) as u8).collect();
            if let Some(last) = n.last_mut() {
                *last = b'a' + (i % 7) as u8;
            }
            String::from_utf8(n).unwrap_or_default()
        };
        for count in 2..48 {
            let mut names: Vec<String> = Vec::new();
            for i in 0.. {
                if names.len() == count {
                    break;
                }
                let n = name(i * 13 + count);
                if !names.contains(&n) {
                    names.push(n);
                }
            }
            let object = |names: &[String]| {
                let members: Vec<String> = names.iter().map(|n| format!(r#""{n}":0"#)).collect();
                format!("{{{}}}", members.join(","))
            };
            agree(object(&names).as_bytes());
            assert!(scan(object(&names).as_bytes(), &mut TopLevel::default()).is_ok());
            for (from, to) in [(0, count - 1), (count / 2, count / 3), (count - 1, 0)] {
                let mut with_duplicate = names.clone();
                if let Some(first) = names.get(from) {
                    let copy = if from % 2 == 0 {
                        first.clone()
                    } else {
                        format!("\\u{:04x}{}", first.as_bytes()[0], &first[1..])
                    };
                    with_duplicate[to] = copy;
                }
                if from != to {
                    let text = object(&with_duplicate);
                    agree(text.as_bytes());
                    assert_eq!(
                        scan(text.as_bytes(), &mut TopLevel::default()),
                        Err(ScanError::Duplicate),
                        "{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn agrees_with_serde_json_on_edge_cases() {
        let cases: &[&[u8]] = &[
            b"0",
            b"-0",
            b"00",
            b"01",
            b"1.",
            b".5",
            b"1e",
            b"1e+",
            b"1E-2",
            b"-",
            b"+1",
            b"1.7976931348623157e308",
            b"1.8e308",
            b"-1.8e308",
            b"1e-400",
            b"123456789012345678901234567890",
            b"true",
            b"tru",
            b"truee",
            b"null",
            b"nul",
            b"false",
            b" \t\r\n1\n",
            b"\x0c1",
            b"\"\"",
            b"\"a\x01\"",
            b"\"\\u0000\"",
            b"\"\\ud83d\\ude00\"",
            b"\"\\ud83d\"",
            b"\"\\ude00\"",
            b"\"\\ud83d\\u0041\"",
            b"\"\\x\"",
            b"\"\\u12\"",
            b"\"\\u12G4\"",
            b"\"\xc0\x80\"",
            b"\"\xf0\x9f\x98\x80\"",
            b"\"\xed\xa0\x80\"",
            // UTF-8 is checked run by run: names, values, after escapes, across 16-byte chunks
            b"\"\xc3\"",
            b"\"\xc3",
            b"\"\x80\"",
            b"\"\xe0\x80\x80\"",
            b"\"\xf4\x90\x80\x80\"",
            b"\"\\n\xff\"",
            b"\"\\n\xc3\xa9\\t\xc3\xa9\"",
            b"\"abcdefghijklmno\xc3\xa9pqrstuvwxyz0123456789\xe2\x82\xac\"",
            b"\"abcdefghijklmno\xc3pqrstuvwxyz0123456789\"",
            b"\"abcdefghijklmnopqrstuvwxyz0123456789\xf0\x9f\x98\"",
            b"\xc3\xa9",
            b"[1,\xc3\xa9]",
            b"{\"\xc3\xa9\":1,\"e\":2}",
            b"{\"\xc3\xa9\":1,\"\\u00e9\":2}",
            b"{\"\xc3\xa9\":1,\"\xc3\xa9\":2}",
            b"{\"\xc3\":1}",
            b"{\"a\xc3\xa9\\u00e9\xc3\xa9\":1,\"a\\u00e9\xc3\xa9\xc3\xa9\":2}",
            b"\"abc",
            b"\"\\\"\"",
            b"\"\\/\"",
            b"{}",
            b"{ }",
            b"{\"a\":1,}",
            b"{\"a\" 1}",
            b"{\"a\":}",
            b"{1:1}",
            b"{\"a\":1\"b\":2}",
            b"[]",
            b"[1,]",
            b"[,1]",
            b"[1 2]",
            b"[",
            b"]",
            b"{}}",
            b"[]]",
            b"{\"a\":1,\"a\":1}",
            b"{\"a\":1,\"\\u0061\":1}",
            b"{\"a\":{\"b\":1,\"b\":2}}",
            b"[{\"a\":1},{\"a\":1}]",
            b"{\"a\":[{\"b\":1,\"c\":2,\"b\":3}]}",
            b"{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,\"8\":8,\"9\":9,\"1\":0}",
            b"{\"1\":1,\"2\":2,\"3\":3,\"4\":4,\"5\":5,\"6\":6,\"7\":7,\"8\":8,\"9\":9,\"10\":0}",
        ];
        for input in cases {
            agree(input);
        }
        for depth in [1, 100, 126, 127, 128, 129, 130, 500] {
            agree(format!("{}{}", "[".repeat(depth), "]".repeat(depth)).as_bytes());
            agree(format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).as_bytes());
            agree(
                format!(
                    "{}{{}}{}",
                    "[{\"a\":".repeat(depth / 2),
                    "}]".repeat(depth / 2)
                )
                .as_bytes(),
            );
        }
    }

    #[test]
    fn agrees_with_serde_json_on_mutations() {
        let seed = br#"{"key":"a1b2","status":2,"url":"https://x/y?z=1","history":{"serverVersion":"8.2.0","changes":[{"created":"2025-01-01 11:58:10","user":{"id":"a@b","name":"\u00e9"}}]},"users":["a@b"],"n":-1.5e3,"t":true,"f":false,"z":null}"#;
        let alphabet = b"{}[]\":,\\ 0123456789.eE+-tfnrulsabu\xc3\xa9\xff\x01";
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let mut input = seed.to_vec();
            for _ in 0..(next() % 3 + 1) {
                let at = (next() as usize) % (input.len() + 1);
                let byte = alphabet[(next() as usize) % alphabet.len()];
                match next() % 3 {
                    0 if at < input.len() => input[at] = byte,
                    1 if at < input.len() => {
                        input.remove(at);
                    }
                    _ => input.insert(at, byte),
                }
            }
            agree(&input);
        }
    }

    #[test]
    fn plain_runs() {
        for input in [
            &b""[..],
            b"abc",
            b"abcdefgh",
            b"abcdefgh\"",
            b"abcdefg\"h",
            b"abcdefghij\\",
            b"\x1fabcdefgh",
            b"abcdefgh\x7fijklmnop\x01",
            b"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff \x00",
        ] {
            let want = input
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || !(0x20..0x80).contains(&b))
                .unwrap_or(input.len());
            assert_eq!(plain_run(input), want, "{input:?}");
        }
    }

    /// Scans keeping the top-level and `payload` members.
    fn members_of(input: &[u8]) -> Result<(Vec<Member<'_>>, Vec<Member<'_>>), ScanError> {
        let mut top = TopLevel {
            members: Some(Vec::new()),
            payload: Some(Vec::new()),
            ..TopLevel::default()
        };
        scan(input, &mut top)?;
        Ok((
            top.members.unwrap_or_default(),
            top.payload.unwrap_or_default(),
        ))
    }

    #[test]
    fn lists_payload_members() {
        let input = br#"{"payload":{"key":"k","status":2,"x":{"payload":{"no":1}}},"iat":1}"#;
        let (members, payload) = members_of(input).unwrap();
        let names: Vec<&str> = payload.iter().map(|(n, _)| &**n).collect();
        assert_eq!(names, ["key", "status", "x"]);
        assert_eq!(members.len(), 2);
        assert!(members_of(br#"{"payload":{"a":1,"a":2}}"#).is_err());
        let (_, payload) = members_of(br#"{"payload":"x"}"#).unwrap();
        assert!(payload.is_empty());
    }

    #[test]
    fn keeps_time_claims() {
        let mut top = TopLevel::default();
        scan(br#"{"exp":1,"payload":{"nbf":2},"iat":-3.5}"#, &mut top).unwrap();
        assert_eq!(top.times, [Some(&b"1"[..]), None, Some(&b"-3.5"[..])]);
        // values of any kind are kept whole, nested ones too, by every entry point
        let input = br#"{"exp":[4133862000],"nbf":{"a":{"b":[1]}},"x":{"iat":1},"iat":"2"}"#;
        let want = [
            Some(&b"[4133862000]"[..]),
            Some(&br#"{"a":{"b":[1]}}"#[..]),
            Some(&br#""2""#[..]),
        ];
        assert_eq!(scan_object_times(input, None), Ok(want));
        same_on_both_paths(input);
    }

    #[test]
    fn lists_top_level_members() {
        let (members, _) = members_of(br#" {"a" : 1 , "b":{"c":[1,2]}, "d\u0065":"x"} "#).unwrap();
        let names: Vec<&str> = members.iter().map(|(n, _)| &**n).collect();
        assert_eq!(names, ["a", "b", "de"]);
        assert_eq!(members[1].1, br#"{"c":[1,2]}"#);
        assert_eq!(members[2].1, br#""x""#);
    }
}
