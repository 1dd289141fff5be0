//! Strict compact JWS (HMAC) verification.
//!
//! Order of work, so that a forged token costs no more than a good one: split into exactly
//! three non-empty segments, take the header (a precomputed common one, or strict
//! base64url-decode and parse it as a strict JSON object), check `alg` against the allowed
//! set and refuse `crit`; strict base64url-decode the claims; compute the HMAC of
//! `header.claims` with every configured key (precomputed keyed states; two HS256 MACs side by
//! side when there are two to compute) and compare in constant time; validate the claims as
//! JSON (without building them) and check the time claims. Under one HS256 secret the claims
//! are validated while the MAC is computed (in its shadow), but the verdicts keep that order:
//! a bad signature is refused as such, whatever the claims hold.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::fmt;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::{Map, Number, Value};
use sha2::{Sha384, Sha512};
use subtle::{Choice, ConstantTimeEq};

use crate::hs256::{self, Hs256Key};
use crate::{b64, json, Refusal};

/// The longest token looked at, in bytes; a longer one is [`Refusal::Malformed`].
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// An HMAC algorithm of RFC 7518 §3.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
}

impl Algorithm {
    /// Parses an algorithm name, exactly as written (`HS256`, not `hs256`).
    pub fn from_name(name: &[u8]) -> Option<Algorithm> {
        match name {
            b"HS256" => Some(Algorithm::HS256),
            b"HS384" => Some(Algorithm::HS384),
            b"HS512" => Some(Algorithm::HS512),
            _ => None,
        }
    }

    /// The name as written in a JOSE header.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
        }
    }

    /// The length of the MAC (and of the decoded signature), in bytes.
    pub const fn mac_len(self) -> usize {
        match self {
            Algorithm::HS256 => 32,
            Algorithm::HS384 => 48,
            Algorithm::HS512 => 64,
        }
    }
}

/// A set of allowed algorithms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlgorithmSet(u8);

impl AlgorithmSet {
    /// No algorithm.
    pub const fn empty() -> Self {
        AlgorithmSet(0)
    }
    /// The default of `onlyoffice_jwt_algorithms`: HS256.
    pub const fn default_set() -> Self {
        AlgorithmSet(1)
    }
    /// Adds an algorithm.
    pub fn insert(&mut self, alg: Algorithm) {
        self.0 |= Self::bit(alg);
    }
    /// Whether the algorithm is allowed.
    pub fn contains(self, alg: Algorithm) -> bool {
        self.0 & Self::bit(alg) != 0
    }
    /// Whether no algorithm is allowed.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    const fn bit(alg: Algorithm) -> u8 {
        match alg {
            Algorithm::HS256 => 1,
            Algorithm::HS384 => 2,
            Algorithm::HS512 => 4,
        }
    }
}

/// One secret, with the HMAC keyed states precomputed at configuration time.
///
/// The secret itself is not kept, only the inner and outer keyed hash states; `Debug` prints
/// nothing about either.
#[derive(Clone)]
pub struct Key {
    /// HS256: the module's own HMAC, which can compute two MACs side by side.
    hs256: Hs256Key,
    // HS384 and HS512: the hmac crate's states. `None` only if that crate ever refused a key
    // length (it accepts any today): such a key then verifies nothing, which fails closed.
    hs384: Option<Hmac<Sha384>>,
    hs512: Option<Hmac<Sha512>>,
}

impl Key {
    /// Precomputes the keyed states of `secret` (any length, even empty) for all three
    /// algorithms.
    pub fn new(secret: &[u8]) -> Key {
        Key {
            hs256: Hs256Key::new(secret),
            hs384: KeyInit::new_from_slice(secret).ok(),
            hs512: KeyInit::new_from_slice(secret).ok(),
        }
    }

    /// Whether this key's MAC of `input` under `alg` equals `signature`, in constant time
    /// (for a given `signature` length).
    fn matches(&self, alg: Algorithm, input: &[u8], signature: &[u8]) -> Choice {
        match alg {
            Algorithm::HS256 => hs256::tag_eq(&self.hs256.mac(input), signature),
            Algorithm::HS384 => mac_matches(self.hs384.as_ref(), input, signature),
            Algorithm::HS512 => mac_matches(self.hs512.as_ref(), input, signature),
        }
    }

    /// The MAC of `input` under `alg`, unpadded-base64url-encoded: the signature segment a
    /// token with signing input `input` needs. For tests and tools.
    pub fn sign(&self, alg: Algorithm, input: &[u8]) -> Option<String> {
        match alg {
            Algorithm::HS256 => Some(self.hs256.mac(input).to_vec()),
            Algorithm::HS384 => mac_of(self.hs384.as_ref(), input),
            Algorithm::HS512 => mac_of(self.hs512.as_ref(), input),
        }
        .map(|mac| b64::encode(&mac))
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key { .. }")
    }
}

/// Clones the keyed state, feeds `input` and compares the tag with `signature`. Never
/// inlined, so that profiles show the HMAC's cost on its own.
#[inline(never)]
fn mac_matches<M: Mac + Clone>(state: Option<&M>, input: &[u8], signature: &[u8]) -> Choice {
    match state {
        Some(state) => {
            let mut mac = state.clone();
            mac.update(input);
            mac.finalize().into_bytes().as_slice().ct_eq(signature)
        }
        None => Choice::from(0),
    }
}

fn mac_of<M: Mac + Clone>(state: Option<&M>, input: &[u8]) -> Option<Vec<u8>> {
    let mut mac = state?.clone();
    mac.update(input);
    Some(mac.finalize().into_bytes().to_vec())
}

/// Everything the verification of one location needs; built at configuration time.
pub struct Verifier {
    /// The secrets, any of which verifies (rotation).
    pub keys: std::rc::Rc<[Key]>,
    /// The allowed `alg` values.
    pub algorithms: AlgorithmSet,
    /// seconds
    pub leeway: i64,
    /// Refuse a token without `exp` (as [`Refusal::Expired`]).
    pub require_exp: bool,
}

/// A verified token.
///
/// The header and the claims are kept as the JSON text that was signed and parsed into maps
/// only when asked for: `bearer` needs nothing of them after verification (unless a variable
/// reads a claim), so it never builds them. Both texts were checked to be strict JSON objects
/// during verification, so the parse cannot fail.
#[derive(Debug, Clone)]
pub struct Verified {
    header_json: Cow<'static, [u8]>,
    claims_json: Vec<u8>,
    header: OnceCell<Map<String, Value>>,
    claims: OnceCell<Map<String, Value>>,
}

impl PartialEq for Verified {
    fn eq(&self, other: &Self) -> bool {
        self.header() == other.header() && self.claims() == other.claims()
    }
}

impl Verified {
    /// The JOSE header.
    pub fn header(&self) -> &Map<String, Value> {
        self.header
            .get_or_init(|| json::parse_object(&self.header_json).unwrap_or_default())
    }

    /// The claims.
    pub fn claims(&self) -> &Map<String, Value> {
        self.claims
            .get_or_init(|| json::parse_object(&self.claims_json).unwrap_or_default())
    }

    /// The claims' JSON text, exactly as signed.
    pub fn claims_json(&self) -> &[u8] {
        &self.claims_json
    }

    /// A claim: top level first, else under an object `payload`.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        let claims = self.claims();
        claims.get(name).or_else(|| {
            claims
                .get("payload")
                .and_then(Value::as_object)
                .and_then(|payload| payload.get(name))
        })
    }

    /// A claim for `$jwt_claim_<name>`, whose name nginx has lowercased: as [`Self::claim`],
    /// then, when no claim has exactly that name, the first (in name order) whose name equals
    /// it ignoring ASCII case, so that `$jwt_claim_userid` finds `userId`.
    pub fn claim_ignore_case(&self, name: &str) -> Option<&Value> {
        self.claim(name).or_else(|| {
            let claims = self.claims();
            get_ignore_case(claims, name).or_else(|| {
                claims
                    .get("payload")
                    .and_then(Value::as_object)
                    .and_then(|payload| get_ignore_case(payload, name))
            })
        })
    }

    /// A header member for `$jwt_header_<name>`, exact name first, then ignoring ASCII case.
    pub fn header_ignore_case(&self, name: &str) -> Option<&Value> {
        let header = self.header();
        header.get(name).or_else(|| get_ignore_case(header, name))
    }

    #[cfg(test)]
    fn from_maps(header: Map<String, Value>, claims: Map<String, Value>) -> Verified {
        let json = |m: &Map<String, Value>| serde_json::to_vec(m).unwrap_or_default();
        Verified {
            header_json: Cow::Owned(json(&header)),
            claims_json: json(&claims),
            header: OnceCell::from(header),
            claims: OnceCell::from(claims),
        }
    }
}

fn get_ignore_case<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// A compact JWS whose signature verified, before anything is known about its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedPayload {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The algorithm the header named (allowed, and the one that verified).
    pub algorithm: Algorithm,
    /// The decoded payload octets (for a JWT: the claims' JSON text).
    pub payload: Vec<u8>,
}

/// The three segments of a compact JWS and the signing input they make.
struct Segments<'a> {
    header: &'a [u8],
    claims: &'a [u8],
    signature: &'a [u8],
    /// `header.claims`, exactly as it appears in the token.
    signing_input: &'a [u8],
}

impl<'a> Segments<'a> {
    /// Step 1: exactly three non-empty segments (the signature of base64url characters), at most
    /// [`MAX_TOKEN_LEN`] bytes in all.
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    fn split(token: &'a [u8]) -> Result<Segments<'a>, Refusal> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(Refusal::Malformed);
        }
        // A third dot would be in the signature, which must be base64url characters only.
        let first = find_dot(token).ok_or(Refusal::Malformed)?;
        let second = token
            .get(first + 1..)
            .and_then(find_dot)
            .map(|n| first + 1 + n)
            .ok_or(Refusal::Malformed)?;
        let header = token.get(..first).unwrap_or_default();
        let claims = token.get(first + 1..second).unwrap_or_default();
        let signature = token.get(second + 1..).unwrap_or_default();
        // The header and the claims are checked by decoding them (strict base64url); the
        // signature, which is only decoded after its length is checked, here.
        if header.is_empty()
            || claims.is_empty()
            || signature.is_empty()
            || !signature.iter().all(|b| b64::is_alphabet(*b))
        {
            return Err(Refusal::Malformed);
        }
        Ok(Segments {
            header,
            claims,
            signature,
            signing_input: token.get(..second).unwrap_or_default(),
        })
    }
}

/// The position of the first `.` in `bytes`: sixteen bytes at a time with SSE2 (part of
/// x86-64), then byte by byte. The code is small, which matters more on this path than the
/// speed of longer searches.
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
fn find_dot(bytes: &[u8]) -> Option<usize> {
    let mut n = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        for chunk in bytes.chunks_exact(16) {
            // SAFETY: SSE2 is part of x86-64; the load reads the 16 bytes of `chunk`, with no
            // alignment requirement.
            let mask = unsafe {
                let x = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
                _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'.' as i8)))
            };
            if mask != 0 {
                return Some(n + mask.trailing_zeros() as usize);
            }
            n += 16;
        }
    }
    let rest = bytes.get(n..)?;
    rest.iter().position(|b| *b == b'.').map(|i| n + i)
}

impl Verifier {
    /// Verifies a compact JWS at time `now` (seconds since the epoch).
    ///
    /// The claims are checked to be a strict JSON object and their time claims are checked,
    /// without building a map of them: [`Verified::claims`] parses them when first asked.
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    pub fn verify(&self, token: &[u8], now: i64) -> Result<Verified, Refusal> {
        let prepared = self.prepare(token)?;
        let claims = &prepared.verified.claims_json;
        let times = match (prepared.algorithm, &*self.keys) {
            // One HS256 secret, as nearly everyone has: the claims are scanned while the MAC
            // is computed, a block of it before each member. The verdicts come in the same
            // order as below: the signature's first, then the claims'.
            (Algorithm::HS256, [key]) => {
                let buf = decode_signature(Algorithm::HS256, &prepared.segments)
                    .ok_or(Refusal::Signature)?;
                let signature = buf.get(..32).ok_or(Refusal::Signature)?;
                let mut mac = key.hs256.stream(prepared.segments.signing_input);
                let times = json::scan_times_with(claims, Some(&mut || mac.step()));
                if !bool::from(hs256::tag_eq(&mac.finish(), signature)) {
                    return Err(Refusal::Signature);
                }
                times
            }
            _ => {
                self.check_signature(prepared.algorithm, &prepared.segments)?;
                json::scan_times(claims)
            }
        };
        self.check_times(times.map_err(|_| Refusal::Malformed)?, now)?;
        Ok(prepared.verified)
    }

    /// [`Verifier::verify`] for callers that read the claims anyway: they are parsed once,
    /// here, and the time claims are taken from the map.
    pub fn verify_parsed(&self, token: &[u8], now: i64) -> Result<Verified, Refusal> {
        let (verified, _) = self.verify_parts(token)?;
        let claims = json::parse_object(&verified.claims_json).map_err(|_| Refusal::Malformed)?;
        let times = json::TimeClaims {
            exp: time_claim(&claims, "exp")?,
            nbf: time_claim(&claims, "nbf")?,
            iat: time_claim(&claims, "iat")?,
        };
        self.check_times(times, now)?;
        let _ = verified.claims.set(claims);
        Ok(verified)
    }

    /// Steps 1 to 5: the token's form, its header, its algorithm, its signature, and the
    /// decoded claims text (not yet known to be JSON).
    fn verify_parts(&self, token: &[u8]) -> Result<(Verified, Algorithm), Refusal> {
        let prepared = self.prepare(token)?;
        self.check_signature(prepared.algorithm, &prepared.segments)?;
        Ok((prepared.verified, prepared.algorithm))
    }

    /// Steps 1 to 3 and the decoding of the claims: all but the signature.
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    fn prepare<'t>(&self, token: &'t [u8]) -> Result<Prepared<'t>, Refusal> {
        let segments = Segments::split(token)?;
        let (header_json, header, algorithm) = match known_header(segments.header) {
            Some((json, alg)) => (Cow::Borrowed(json), OnceCell::new(), alg),
            None => decoded_header(segments.header)?,
        };
        if !self.algorithms.contains(algorithm) {
            return Err(Refusal::Algorithm);
        }
        // Decoded before the signature is checked: a good token pays for it anyway, and a
        // claims segment that is not base64url is malformed whatever its signature.
        let claims_json = b64::decode(segments.claims).ok_or(Refusal::Malformed)?;
        let verified = Verified {
            header_json,
            claims_json,
            header,
            claims: OnceCell::new(),
        };
        Ok(Prepared {
            segments,
            algorithm,
            verified,
        })
    }

    /// Steps 1 to 5 for callers that validate the claims themselves: the returned token's
    /// signature is good, but its claims are not yet known to be JSON, nor in time. The caller
    /// must check both (strict JSON object, then [`Verifier::check_times`]) before using it.
    pub(crate) fn verify_signature_only(&self, token: &[u8]) -> Result<Verified, Refusal> {
        self.verify_parts(token).map(|(verified, _)| verified)
    }

    /// [`Verifier::verify_signature_only`] for two tokens, with the MACs of both computed
    /// side by side when both are HS256 (the two tokens of a save callback): each result is
    /// what that token alone would give.
    pub(crate) fn verify_signature_only_pair(
        &self,
        a: &[u8],
        b: &[u8],
    ) -> [Result<Verified, Refusal>; 2] {
        let (a, b) = match (self.prepare(a), self.prepare(b)) {
            (Ok(a), Ok(b))
                if a.algorithm == Algorithm::HS256 && b.algorithm == Algorithm::HS256 =>
            {
                (a, b)
            }
            (a, b) => {
                return [a, b].map(|prepared| {
                    let prepared = prepared?;
                    self.check_signature(prepared.algorithm, &prepared.segments)?;
                    Ok(prepared.verified)
                })
            }
        };
        let signatures = [&a, &b].map(|p| decode_signature(Algorithm::HS256, &p.segments));
        let mut ok = [Choice::from(0), Choice::from(0)];
        for key in self.keys.iter() {
            let macs = Hs256Key::mac_pair(
                &key.hs256,
                a.segments.signing_input,
                &key.hs256,
                b.segments.signing_input,
            );
            for ((ok, mac), signature) in ok.iter_mut().zip(&macs).zip(&signatures) {
                if let Some(signature) = signature {
                    *ok |= hs256::tag_eq(mac, signature.get(..32).unwrap_or_default());
                }
            }
        }
        let verdict = |prepared: Prepared<'_>, ok: Choice| {
            if bool::from(ok) {
                Ok(prepared.verified)
            } else {
                Err(Refusal::Signature)
            }
        };
        let [ok_a, ok_b] = ok;
        [verdict(a, ok_a), verdict(b, ok_b)]
    }

    /// Steps 1 to 4 of [`Verifier::verify`]: the token's form, its header, its algorithm and
    /// its signature, but nothing about the payload (which a JWS need not make JSON).
    pub fn verify_signature(&self, token: &[u8]) -> Result<SignedPayload, Refusal> {
        let (verified, algorithm) = self.verify_parts(token)?;
        let header = verified.header().clone();
        Ok(SignedPayload {
            header,
            algorithm,
            payload: verified.claims_json,
        })
    }

    /// Step 4: the decoded signature has the algorithm's MAC length and some key's MAC of the
    /// signing input equals it. Every key is tried (no early exit) and compared in constant
    /// time.
    fn check_signature(&self, alg: Algorithm, segments: &Segments<'_>) -> Result<(), Refusal> {
        let buf = decode_signature(alg, segments).ok_or(Refusal::Signature)?;
        let signature = buf.get(..alg.mac_len()).ok_or(Refusal::Signature)?;
        let mut ok = Choice::from(0);
        if alg == Algorithm::HS256 {
            // two keys at a time (secret rotation), side by side
            for keys in self.keys.chunks(2) {
                let input = segments.signing_input;
                ok |= match keys {
                    [a, b] => {
                        let [x, y] = Hs256Key::mac_pair(&a.hs256, input, &b.hs256, input);
                        hs256::tag_eq(&x, signature) | hs256::tag_eq(&y, signature)
                    }
                    _ => keys.iter().fold(Choice::from(0), |ok, key| {
                        ok | key.matches(alg, input, signature)
                    }),
                };
            }
        } else {
            for key in self.keys.iter() {
                ok |= key.matches(alg, segments.signing_input, signature);
            }
        }
        if bool::from(ok) {
            Ok(())
        } else {
            Err(Refusal::Signature)
        }
    }

    /// Step 6: `exp`, `nbf` and `iat` are numbers when present, and `now` lies within them
    /// give or take the leeway.
    pub(crate) fn check_times(&self, times: json::TimeClaims, now: i64) -> Result<(), Refusal> {
        let json::TimeClaims { exp, nbf, iat } = times;
        let now = i128::from(now);
        let leeway = i128::from(self.leeway);
        match exp {
            // expired when now >= exp + leeway
            Some(exp) if exp.reached_at(now - leeway) => return Err(Refusal::Expired),
            None if self.require_exp => return Err(Refusal::Expired),
            _ => {}
        }
        // not yet valid when now + leeway < nbf (or iat)
        let valid = |date: Option<NumericDate>| date.map_or(true, |d| d.reached_at(now + leeway));
        if valid(nbf) && valid(iat) {
            Ok(())
        } else {
            Err(Refusal::NotYetValid)
        }
    }
}

/// A token checked but for its signature.
struct Prepared<'t> {
    segments: Segments<'t>,
    algorithm: Algorithm,
    verified: Verified,
}

/// The decoded signature (its first `alg.mac_len()` bytes), when its segment has the length
/// of one of `alg` and is strict base64url.
fn decode_signature(alg: Algorithm, segments: &Segments<'_>) -> Option<[u8; 64]> {
    if segments.signature.len() != b64::encoded_len(alg.mac_len()) {
        return None;
    }
    let mut buf = [0u8; 64];
    let len = b64::decode_to_slice(segments.signature, &mut buf)?;
    (len == alg.mac_len()).then_some(buf)
}

/// A header's JSON text, its map when it was parsed, and its algorithm.
type DecodedHeader = (Cow<'static, [u8]>, OnceCell<Map<String, Value>>, Algorithm);

/// A header that is not one of [`KNOWN_HEADERS`]: decoded and parsed, with its algorithm.
#[cold]
#[inline(never)]
fn decoded_header(segment: &[u8]) -> Result<DecodedHeader, Refusal> {
    let bytes = b64::decode(segment).ok_or(Refusal::Malformed)?;
    let map = json::parse_object(&bytes).map_err(|_| Refusal::Malformed)?;
    let alg = algorithm_in(&map)?;
    Ok((Cow::Owned(bytes), OnceCell::from(map), alg))
}

/// Step 3: `alg` a string naming an algorithm we implement, and no `crit`. Nothing else of
/// the header (`kid`, `jwk`, `jku`, `x5u`, `x5c`, ...) is looked at. Whether the algorithm is
/// allowed is the caller's question.
fn algorithm_in(header: &Map<String, Value>) -> Result<Algorithm, Refusal> {
    if header.contains_key("crit") {
        return Err(Refusal::Algorithm);
    }
    let name = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(Refusal::Algorithm)?;
    Algorithm::from_name(name.as_bytes()).ok_or(Refusal::Algorithm)
}

/// The headers nearly every signer writes, as (segment, JSON text, algorithm): a token whose
/// header segment is one of these skips decoding and parsing it. The table is checked against
/// the generic path by a unit test.
const KNOWN_HEADERS: [(&[u8], &[u8], Algorithm); 6] = [
    (
        b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        br#"{"alg":"HS256","typ":"JWT"}"#,
        Algorithm::HS256,
    ),
    (
        b"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9",
        br#"{"typ":"JWT","alg":"HS256"}"#,
        Algorithm::HS256,
    ),
    (
        b"eyJhbGciOiJIUzI1NiJ9",
        br#"{"alg":"HS256"}"#,
        Algorithm::HS256,
    ),
    (
        b"eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9",
        br#"{"alg":"HS384","typ":"JWT"}"#,
        Algorithm::HS384,
    ),
    (
        b"eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9",
        br#"{"alg":"HS512","typ":"JWT"}"#,
        Algorithm::HS512,
    ),
    (
        b"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9",
        br#"{"typ":"JWT","alg":"HS512"}"#,
        Algorithm::HS512,
    ),
];

fn known_header(segment: &[u8]) -> Option<(&'static [u8], Algorithm)> {
    KNOWN_HEADERS
        .iter()
        .find(|(seg, _, _)| *seg == segment)
        .map(|(_, json, alg)| (*json, *alg))
}

/// A NumericDate (RFC 7519 §2): integers kept exact, fractions as `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumericDate {
    /// An integer number of seconds, exact.
    Int(i128),
    /// A fractional (or too large) number of seconds.
    Float(f64),
}

impl NumericDate {
    /// `t >= self`. JSON numbers are finite, so nothing is NaN and huge values compare
    /// without overflow.
    fn reached_at(self, t: i128) -> bool {
        match self {
            NumericDate::Int(date) => t >= date,
            NumericDate::Float(date) => float_reached_at(date, t),
        }
    }
}

/// [`NumericDate::reached_at`] for a fractional date, out of line: the conversion of `t`
/// is not done for integer dates.
#[cold]
#[inline(never)]
fn float_reached_at(date: f64, t: i128) -> bool {
    (t as f64) >= date
}

/// A NumericDate claim: absent, or a JSON number (anything else is malformed).
fn time_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<NumericDate>, Refusal> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => numeric_date(n).map(Some).ok_or(Refusal::Malformed),
        Some(_) => Err(Refusal::Malformed),
    }
}

pub(crate) fn numeric_date(n: &Number) -> Option<NumericDate> {
    if let Some(i) = n.as_i64() {
        Some(NumericDate::Int(i128::from(i)))
    } else if let Some(u) = n.as_u64() {
        Some(NumericDate::Int(i128::from(u)))
    } else {
        n.as_f64().filter(|f| f.is_finite()).map(NumericDate::Float)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn verifier(secret: &[u8], leeway: i64, require_exp: bool) -> Verifier {
        let mut algorithms = AlgorithmSet::empty();
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            algorithms.insert(alg);
        }
        Verifier {
            keys: Rc::from(vec![Key::new(secret)]),
            algorithms,
            leeway,
            require_exp,
        }
    }

    fn token(alg: Algorithm, header: &str, claims: &str, secret: &[u8]) -> String {
        let input = format!(
            "{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(claims.as_bytes())
        );
        let sig = Key::new(secret)
            .sign(alg, input.as_bytes())
            .unwrap_or_default();
        format!("{input}.{sig}")
    }

    #[test]
    fn pairs_verify_as_single_tokens_do() {
        // three keys (rotation), tokens signed by each, by none, of each algorithm, and
        // malformed: every pair gives what each token gives alone
        let secrets: [&[u8]; 4] = [b"key one", b"key two", b"key three", b"not configured"];
        let mut v = verifier(secrets[0], 60, false);
        v.keys = Rc::from(secrets[..3].iter().map(|s| Key::new(s)).collect::<Vec<_>>());
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        let mut tokens = Vec::new();
        for secret in secrets {
            tokens.push(token(Algorithm::HS256, header, r#"{"a":1}"#, secret));
            tokens.push(token(
                Algorithm::HS256,
                header,
                &format!(r#"{{"b":"{}"}}"#, "x".repeat(100)),
                secret,
            ));
        }
        tokens.push(token(
            Algorithm::HS384,
            r#"{"alg":"HS384"}"#,
            r#"{"c":3}"#,
            secrets[1],
        ));
        tokens.push("a.b".to_owned());
        let short = tokens[0].rsplit_once('.').map(|(i, _)| format!("{i}.AAAA"));
        tokens.extend(short);
        for a in &tokens {
            for b in &tokens {
                let pair = v.verify_signature_only_pair(a.as_bytes(), b.as_bytes());
                let alone = [a, b].map(|t| v.verify_signature_only(t.as_bytes()));
                for (p, s) in pair.iter().zip(&alone) {
                    assert_eq!(
                        p.as_ref().map(Verified::claims_json).map_err(|e| *e),
                        s.as_ref().map(Verified::claims_json).map_err(|e| *e),
                        "{a} {b}"
                    );
                }
            }
        }
        assert!(v.verify_signature_only(tokens[2].as_bytes()).is_ok());
        assert!(v.verify_signature_only(tokens[6].as_bytes()).is_err());
    }

    #[test]
    fn one_secret_verifies_as_several_do() {
        // One HS256 secret takes the path that scans the claims while the MAC is computed;
        // with a second secret configured the claims are scanned after the signature is
        // checked. Both give the same verdict, in the same order (the signature's first).
        let one = verifier(b"key one", 60, false);
        let mut two = verifier(b"key one", 60, false);
        two.keys = Rc::from(vec![Key::new(b"another key"), Key::new(b"key one")]);
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        let long = "x".repeat(300);
        let claims = [
            r#"{"a":1}"#.to_owned(),
            format!(r#"{{"payload":{{"u":"{long}","v":[1,2,{{"w":3}}]}},"iat":100,"exp":200}}"#),
            r#"{"exp":10}"#.to_owned(),
            r#"{"nbf":1000}"#.to_owned(),
            r#"{"exp":"soon"}"#.to_owned(),
            r#"{"a":1,"a":2}"#.to_owned(),
            format!(r#"{{"a":"{long}","b":1,"b":2}}"#),
            r#"{"a":1"#.to_owned(),
            "[1]".to_owned(),
            r#"{"é":1,"\u00e9":2}"#.to_owned(),
        ];
        for claims in &claims {
            for secret in [&b"key one"[..], b"not configured"] {
                let good = token(Algorithm::HS256, header, claims, secret);
                let short = good.rsplit_once('.').map(|(i, _)| format!("{i}.AAAA"));
                let bad_char = good
                    .rsplit_once('.')
                    .map(|(i, s)| format!("{i}.{}*", &s[1..]));
                // claims that are not base64url, with a good and a short signature
                let bad_claims = good.replacen(".", ".*", 1);
                let both_bad = short.as_ref().map(|t| t.replacen(".", ".*", 1));
                let variants = [Some(good), short, bad_char, Some(bad_claims), both_bad];
                for t in variants.into_iter().flatten() {
                    let verdict = one.verify(t.as_bytes(), 150);
                    assert_eq!(verdict, two.verify(t.as_bytes(), 150), "{t}");
                    assert_eq!(verdict, one.verify_parsed(t.as_bytes(), 150), "{t}");
                }
            }
        }
        let good = token(Algorithm::HS256, header, &claims[1], b"key one");
        assert!(one.verify(good.as_bytes(), 150).is_ok());
        let forged = token(Algorithm::HS256, header, &claims[5], b"not configured");
        assert_eq!(one.verify(forged.as_bytes(), 150), Err(Refusal::Signature));
    }

    #[test]
    fn algorithm_names() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            assert_eq!(Algorithm::from_name(alg.name().as_bytes()), Some(alg));
        }
        for name in [&b"hs256"[..], b"none", b"RS256", b"HS256 ", b"", b"HS1024"] {
            assert_eq!(Algorithm::from_name(name), None);
        }
        assert_eq!(Algorithm::HS384.mac_len(), 48);
    }

    #[test]
    fn algorithm_set() {
        let mut set = AlgorithmSet::empty();
        assert!(set.is_empty());
        set.insert(Algorithm::HS512);
        assert!(set.contains(Algorithm::HS512));
        assert!(!set.contains(Algorithm::HS256));
        assert!(AlgorithmSet::default_set().contains(Algorithm::HS256));
        assert!(!AlgorithmSet::default_set().contains(Algorithm::HS384));
    }

    #[test]
    fn key_debug_hides_everything() {
        let text = format!("{:?}", Key::new(b"super-secret-value"));
        assert_eq!(text, "Key { .. }");
    }

    #[test]
    fn rfc7515_appendix_a1_signature() {
        // RFC 7515 A.1: the HS256 example, with its exact header bytes (CRLF inside).
        let k = b64::decode(
            b"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow",
        )
        .unwrap_or_default();
        let token = b"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let v = Verifier {
            keys: Rc::from(vec![Key::new(&k)]),
            algorithms: AlgorithmSet::default_set(),
            leeway: 0,
            require_exp: true,
        };
        let ok = v
            .verify(token, 1_300_819_379)
            .map(|t| t.claims().get("iss").cloned());
        assert_eq!(ok, Ok(Some(Value::from("joe"))));
        assert_eq!(v.verify(token, 1_300_819_380), Err(Refusal::Expired));
    }

    #[test]
    fn segments() {
        let v = verifier(b"k", 0, false);
        for bad in [
            &b""[..],
            b".",
            b"..",
            b"a.b",
            b"a.b.c.d",
            b"a..c",
            b".b.c",
            b"a.b.",
            b"a.b.c d",
            b"a.b.c=",
            b"a+.b.c",
        ] {
            assert_eq!(v.verify(bad, 0).err(), Some(Refusal::Malformed), "{bad:?}");
        }
        let long = vec![b'a'; MAX_TOKEN_LEN + 1];
        assert_eq!(v.verify(&long, 0).err(), Some(Refusal::Malformed));
    }

    #[test]
    fn verifies_each_algorithm() {
        let v = verifier(b"secret", 0, false);
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let header = format!(r#"{{"alg":"{}"}}"#, alg.name());
            let t = token(alg, &header, r#"{"a":1}"#, b"secret");
            let verified = v.verify(t.as_bytes(), 0);
            assert_eq!(
                verified.map(|v| v.claims().get("a").cloned()),
                Ok(Some(Value::from(1)))
            );
        }
    }

    #[test]
    fn signature_length_must_fit_algorithm() {
        let v = verifier(b"secret", 0, false);
        // An HS512 MAC under an HS256 header.
        let t = token(Algorithm::HS512, r#"{"alg":"HS256"}"#, "{}", b"secret");
        assert_eq!(v.verify(t.as_bytes(), 0), Err(Refusal::Signature));
        // A truncated HS256 MAC.
        let t = token(Algorithm::HS256, r#"{"alg":"HS256"}"#, "{}", b"secret");
        assert_eq!(
            v.verify(&t.as_bytes()[..t.len() - 4], 0),
            Err(Refusal::Signature)
        );
    }

    #[test]
    fn claim_lookup() {
        let verified = Verified::from_maps(
            Map::new(),
            serde_json::from_str(r#"{"a":1,"payload":{"a":2,"b":3}}"#).unwrap_or_default(),
        );
        assert_eq!(verified.claim("a"), Some(&Value::from(1)));
        assert_eq!(verified.claim("b"), Some(&Value::from(3)));
        assert_eq!(verified.claim("c"), None);
        let mixed = Verified::from_maps(
            Map::new(),
            serde_json::from_str(r#"{"userId":1,"userid":2,"payload":{"fileType":"docx"}}"#)
                .unwrap_or_default(),
        );
        assert_eq!(mixed.claim_ignore_case("userid"), Some(&Value::from(2)));
        assert_eq!(
            mixed.claim_ignore_case("filetype"),
            Some(&Value::from("docx"))
        );
        assert_eq!(mixed.claim_ignore_case("nothing"), None);
        let not_object = Verified::from_maps(
            Map::new(),
            serde_json::from_str(r#"{"payload":"x"}"#).unwrap_or_default(),
        );
        assert_eq!(not_object.claims_json(), br#"{"payload":"x"}"#);
        assert_eq!(not_object.claim("x"), None);
    }

    #[test]
    fn known_headers_match_the_generic_path() {
        for (segment, json, alg) in KNOWN_HEADERS {
            assert_eq!(b64::decode(segment).as_deref(), Some(json));
            let map = json::parse_object(json).unwrap();
            assert_eq!(algorithm_in(&map), Ok(alg));
        }
    }

    #[test]
    fn finds_dots_wherever_they_are() {
        // Around the 16-byte chunks and in the tail, none, one and two dots.
        for len in 0..70 {
            for first in 0..=len {
                for second in [
                    None,
                    Some(first + 1),
                    Some(first + 17),
                    Some(len.max(1) - 1),
                ] {
                    let mut bytes = vec![b'a'; len];
                    if let Some(b) = bytes.get_mut(first) {
                        *b = b'.';
                    }
                    if let Some(b) = second.and_then(|i| bytes.get_mut(i)) {
                        *b = b'.';
                    }
                    let want = bytes.iter().position(|b| *b == b'.');
                    assert_eq!(find_dot(&bytes), want, "{len} {first} {second:?}");
                }
            }
        }
        // A third dot is in the signature, which is then not base64url.
        assert_eq!(Segments::split(b"a.b.c.d").err(), Some(Refusal::Malformed));
        assert!(Segments::split(b"a.b.c").is_ok());
        for token in [&b"abc"[..], b"a.b", b".b.c", b"a..c", b"a.b.", b"a.b.c."] {
            assert_eq!(
                Segments::split(token).err(),
                Some(Refusal::Malformed),
                "{token:?}"
            );
        }
    }

    #[test]
    fn lazy_and_parsed_verification_agree() {
        let v = verifier(b"secret", 0, false);
        let key = Key::new(b"secret");
        for claims in [
            r#"{"a":1}"#,
            r#"{"exp":10}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"exp":"x"}"#,
            "[1]",
        ] {
            for header in [
                r#"{"alg":"HS256","typ":"JWT"}"#,
                r#"{"typ":"JWT","alg":"HS256","kid":"k"}"#,
            ] {
                let input = format!(
                    "{}.{}",
                    b64::encode(header.as_bytes()),
                    b64::encode(claims.as_bytes())
                );
                let token = format!(
                    "{input}.{}",
                    key.sign(Algorithm::HS256, input.as_bytes()).unwrap()
                );
                let lazy = v.verify(token.as_bytes(), 5);
                let parsed = v.verify_parsed(token.as_bytes(), 5);
                assert_eq!(lazy, parsed, "{header} {claims}");
                if let Ok(lazy) = lazy {
                    assert_eq!(lazy.claims_json(), claims.as_bytes());
                    assert_eq!(lazy.header().get("alg"), Some(&Value::from("HS256")));
                }
            }
        }
    }

    #[test]
    fn numeric_dates() {
        let date = |text: &str| {
            serde_json::from_str::<Number>(text)
                .ok()
                .and_then(|n| numeric_date(&n))
        };
        assert_eq!(date("10"), Some(NumericDate::Int(10)));
        assert_eq!(date("-10"), Some(NumericDate::Int(-10)));
        assert_eq!(
            date("18446744073709551615"),
            Some(NumericDate::Int(18_446_744_073_709_551_615))
        );
        assert_eq!(date("10.5"), Some(NumericDate::Float(10.5)));
        assert!(NumericDate::Int(10).reached_at(10));
        assert!(!NumericDate::Int(10).reached_at(9));
        assert!(NumericDate::Float(9.5).reached_at(10));
        assert!(!NumericDate::Float(10.5).reached_at(10));
        assert!(!NumericDate::Float(1e300).reached_at(i128::from(i64::MAX)));
        assert!(NumericDate::Float(-1e300).reached_at(i128::from(i64::MIN)));
    }
}
