//! Strict compact JWS verification: one path for every algorithm and number of keys.
//!
//! The order of the checks, which is also the order of the verdicts:
//! 1. exactly three non-empty segments, the signature of base64url characters (malformed);
//! 2. the header strict base64url and a strict JSON object, checked without building it
//!    (malformed);
//! 3. `alg` a string naming an allowed algorithm, and no `crit` (algorithm);
//! 4. the claims strict base64url (malformed);
//! 5. the signature of `header.claims` under some configured key that fits the algorithm
//!    (the key's kind is the algorithm's, and the JWK's `alg`, if any, is it); when the token
//!    has a `kid` and some keys have one, only the keys with that `kid`. HMAC: every such key
//!    tried, each MAC compared in constant time; public keys: through `jsonwebtoken` (on
//!    aws-lc-rs), and `aws-lc-rs` itself for ES512, which `jsonwebtoken` lacks (signature);
//! 6. the claims a strict JSON object (malformed), with `exp`, `nbf` and `iat` numbers when
//!    present and the current time within them, give or take the leeway (expired, not yet
//!    valid);
//! 7. `iss` and `aud` among the configured ones, when there are any (issuer, audience).
//!
//! Nothing is built from the token before step 5 but the decoded claims (three quarters of
//! its segment), the decoded signature and the header's member names and `kid`. The header and the claims are checked as
//! strict JSON without building their values; their maps are parsed when first asked for.

use std::cell::OnceCell;
use std::fmt;
use std::rc::Rc;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};
use subtle::{Choice, ConstantTimeEq};

use crate::cache;
use crate::json::{self, Member};
use crate::keys::PublicKey;
use crate::{b64, Refusal};

/// A JWS algorithm of RFC 7518 §3 (and EdDSA, RFC 8037). `none` is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// HMAC with SHA-256.
    HS256,
    /// HMAC with SHA-384.
    HS384,
    /// HMAC with SHA-512.
    HS512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256 (salt of the hash's length).
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA with P-256 and SHA-256.
    ES256,
    /// ECDSA with P-384 and SHA-384.
    ES384,
    /// ECDSA with P-521 and SHA-512.
    ES512,
    /// EdDSA with Ed25519.
    EdDSA,
}

/// The kinds of key, each verifying its own algorithms only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// An HMAC secret (`kty: oct`): HS256, HS384, HS512.
    Hmac,
    /// An RSA public key: RS256 ... PS512.
    Rsa,
    /// An EC public key on P-256 (ES256), P-384 (ES384) or P-521 (ES512).
    Ec(Curve),
    /// An Ed25519 public key (`kty: OKP`): EdDSA.
    Ed25519,
}

/// The curves of ECDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

impl Algorithm {
    /// Every algorithm, in the order of their names' documentation.
    pub const ALL: [Algorithm; 13] = [
        Algorithm::HS256,
        Algorithm::HS384,
        Algorithm::HS512,
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
    ];

    /// Parses an algorithm name, exactly as written (`HS256`, not `hs256`).
    pub fn from_name(name: &[u8]) -> Option<Algorithm> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.name().as_bytes() == name)
    }

    /// The name as written in a JOSE header.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HS256 => "HS256",
            Algorithm::HS384 => "HS384",
            Algorithm::HS512 => "HS512",
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
        }
    }

    /// The kind of key that verifies it.
    pub fn family(self) -> Family {
        match self {
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512 => Family::Hmac,
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => Family::Rsa,
            Algorithm::ES256 => Family::Ec(Curve::P256),
            Algorithm::ES384 => Family::Ec(Curve::P384),
            Algorithm::ES512 => Family::Ec(Curve::P521),
            Algorithm::EdDSA => Family::Ed25519,
        }
    }

    /// The length of an HMAC algorithm's MAC, in bytes (its minimum key length too).
    pub const fn mac_len(self) -> Option<usize> {
        match self {
            Algorithm::HS256 => Some(32),
            Algorithm::HS384 => Some(48),
            Algorithm::HS512 => Some(64),
            _ => None,
        }
    }
}

/// A set of allowed algorithms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlgorithmSet(u16);

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
    /// The allowed algorithms.
    pub fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |alg| self.contains(*alg))
    }
    fn bit(alg: Algorithm) -> u16 {
        1 << Algorithm::ALL.iter().position(|a| *a == alg).unwrap_or(15)
    }
}

/// One secret, as the `hmac` crate's keyed states for the three algorithms, made at
/// configuration time and cloned for each MAC.
#[derive(Clone)]
pub struct HmacKey {
    // `None` only if the crate ever refused a key length (HMAC takes any): such a key then
    // verifies nothing, which fails closed.
    hs256: Option<Hmac<Sha256>>,
    hs384: Option<Hmac<Sha384>>,
    hs512: Option<Hmac<Sha512>>,
}

impl HmacKey {
    fn new(secret: &[u8]) -> HmacKey {
        HmacKey {
            hs256: KeyInit::new_from_slice(secret).ok(),
            hs384: KeyInit::new_from_slice(secret).ok(),
            hs512: KeyInit::new_from_slice(secret).ok(),
        }
    }

    /// Whether the MAC of `input` under `alg` is `signature`, compared in constant time.
    fn verifies(&self, alg: Algorithm, input: &[u8], signature: &[u8]) -> Choice {
        fn run<M: Mac + Clone>(state: Option<&M>, input: &[u8], signature: &[u8]) -> Choice {
            let Some(state) = state else {
                return Choice::from(0);
            };
            let mut mac = state.clone();
            mac.update(input);
            mac.finalize().into_bytes().as_slice().ct_eq(signature)
        }
        match alg {
            Algorithm::HS256 => run(self.hs256.as_ref(), input, signature),
            Algorithm::HS384 => run(self.hs384.as_ref(), input, signature),
            Algorithm::HS512 => run(self.hs512.as_ref(), input, signature),
            _ => Choice::from(0),
        }
    }

    fn sign(&self, alg: Algorithm, input: &[u8]) -> Option<String> {
        fn run<M: Mac + Clone>(state: Option<&M>, input: &[u8]) -> Option<String> {
            let mut mac = state?.clone();
            mac.update(input);
            Some(b64::encode(&mac.finalize().into_bytes()))
        }
        match alg {
            Algorithm::HS256 => run(self.hs256.as_ref(), input),
            Algorithm::HS384 => run(self.hs384.as_ref(), input),
            Algorithm::HS512 => run(self.hs512.as_ref(), input),
            _ => None,
        }
    }
}

/// What a key verifies with.
#[derive(Clone)]
enum Material {
    // boxed: the three keyed states take 800 bytes
    Hmac(Box<HmacKey>),
    Public(PublicKey),
}

/// One verification key: an HMAC secret or a public key, with the `kid` and `alg` its JWK
/// gave. Made at configuration time; `Debug` prints nothing of the key itself.
#[derive(Clone)]
pub struct Key {
    material: Material,
    /// The JWK's `kid`.
    pub kid: Option<String>,
    /// The JWK's `alg`: the only algorithm the key verifies when set.
    pub alg: Option<Algorithm>,
}

impl Key {
    /// An HMAC secret (any length, even empty), for any HS algorithm.
    pub fn new(secret: &[u8]) -> Key {
        Key {
            material: Material::Hmac(Box::new(HmacKey::new(secret))),
            kid: None,
            alg: None,
        }
    }

    /// A public key (see [`crate::keys`]).
    pub fn public(key: PublicKey, kid: Option<String>, alg: Option<Algorithm>) -> Key {
        Key {
            material: Material::Public(key),
            kid,
            alg,
        }
    }

    /// The same key with a JWK's `kid` and `alg`.
    pub fn with(self, kid: Option<String>, alg: Option<Algorithm>) -> Key {
        Key { kid, alg, ..self }
    }

    /// The kind of key.
    pub fn family(&self) -> Family {
        match &self.material {
            Material::Hmac(_) => Family::Hmac,
            Material::Public(key) => key.family(),
        }
    }

    /// Whether the key may verify `alg`: the key's kind is the algorithm's (an RSA key never
    /// verifies an HS token, a secret never an RS one), and the JWK's `alg`, if any, is it.
    pub fn fits(&self, alg: Algorithm) -> bool {
        self.family() == alg.family() && self.alg.is_none_or(|own| own == alg)
    }

    /// Whether `signature` (decoded from `segment`) signs `input` under `alg` with this key.
    /// The caller checked [`Key::fits`].
    fn verifies(&self, alg: Algorithm, input: &[u8], segment: &[u8], signature: &[u8]) -> Choice {
        match &self.material {
            Material::Hmac(key) => key.verifies(alg, input, signature),
            Material::Public(key) => {
                Choice::from(u8::from(key.verifies(alg, input, segment, signature)))
            }
        }
    }

    /// The MAC of `input` under `alg`, unpadded-base64url-encoded: the signature segment a
    /// token with signing input `input` needs. For tests and tools; `None` for a public key.
    pub fn sign(&self, alg: Algorithm, input: &[u8]) -> Option<String> {
        match &self.material {
            Material::Hmac(key) => key.sign(alg, input),
            Material::Public(_) => None,
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Key {{ {:?}, kid: {:?}, alg: {:?} }}",
            self.family(),
            self.kid,
            self.alg
        )
    }
}

/// Everything the verification of one location needs; built at configuration time.
#[derive(Default)]
pub struct Verifier {
    /// The keys, any of which that fits verifies (rotation).
    pub keys: Rc<[Key]>,
    /// The allowed `alg` values.
    pub algorithms: AlgorithmSet,
    /// seconds
    pub leeway: i64,
    /// Refuse a token without `exp` (as [`Refusal::Expired`]).
    pub require_exp: bool,
    /// When not empty, `iss` must be one of these.
    pub issuers: Rc<[String]>,
    /// When not empty, `aud` (a string or an array of strings) must hold one of these.
    pub audiences: Rc<[String]>,
    /// Where accepted public-key tokens are kept in the worker's cache; `None`: not kept (a
    /// verifier with secrets only needs none: HS tokens are never kept).
    pub cache: Option<cache::CacheKey>,
}

/// A verified token: the texts of its header and claims, as signed, both checked to be
/// strict JSON objects, and their maps, parsed when first asked for (a `bearer` check needs
/// neither).
#[derive(Debug, Clone)]
pub struct Verified {
    header_json: Vec<u8>,
    claims_json: Vec<u8>,
    header: OnceCell<Map<String, Value>>,
    claims: OnceCell<Map<String, Value>>,
}

impl PartialEq for Verified {
    fn eq(&self, other: &Self) -> bool {
        self.header_json == other.header_json && self.claims_json == other.claims_json
    }
}

/// The map of a text that [`json::check`] accepted as an object. [`json::parse`] accepts the
/// same texts (the unit tests and the `json_check` fuzz target hold them to it), so the
/// empty map is never taken; were it ever, every claim would read as absent, which refuses
/// the token wherever a claim is required.
fn parsed<'a>(cell: &'a OnceCell<Map<String, Value>>, text: &[u8]) -> &'a Map<String, Value> {
    cell.get_or_init(|| json::parse_object(text).unwrap_or_default())
}

impl Verified {
    fn new(signed: SignedPayload) -> Verified {
        Verified {
            header_json: signed.header,
            claims_json: signed.payload,
            header: OnceCell::new(),
            claims: OnceCell::new(),
        }
    }

    /// The JOSE header.
    pub fn header(&self) -> &Map<String, Value> {
        parsed(&self.header, &self.header_json)
    }

    /// The claims.
    pub fn claims(&self) -> &Map<String, Value> {
        parsed(&self.claims, &self.claims_json)
    }

    /// The claims' JSON text, exactly as signed.
    pub fn claims_json(&self) -> &[u8] {
        &self.claims_json
    }

    /// The claims' `payload` member, when it is an object.
    pub fn payload(&self) -> Option<&Map<String, Value>> {
        self.claims().get("payload").and_then(Value::as_object)
    }

    /// A claim: top level first, else under an object `payload`.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims()
            .get(name)
            .or_else(|| self.payload().and_then(|payload| payload.get(name)))
    }

    /// A claim for `$jwt_claim_<name>`, whose name nginx has lowercased: as [`Self::claim`],
    /// then, when no claim has exactly that name, the first (in name order) whose name equals
    /// it ignoring ASCII case, so that `$jwt_claim_userid` finds `userId`.
    pub fn claim_ignore_case(&self, name: &str) -> Option<&Value> {
        self.claim(name).or_else(|| {
            get_ignore_case(self.claims(), name)
                .or_else(|| self.payload().and_then(|p| get_ignore_case(p, name)))
        })
    }

    /// A header member for `$jwt_header_<name>`, exact name first, then ignoring ASCII case.
    pub fn header_ignore_case(&self, name: &str) -> Option<&Value> {
        let header = self.header();
        header.get(name).or_else(|| get_ignore_case(header, name))
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
    /// The JOSE header's JSON text (a strict JSON object).
    pub header: Vec<u8>,
    /// The algorithm the header named (allowed, and the one that verified).
    pub algorithm: Algorithm,
    /// The decoded payload octets (for a JWT: the claims' JSON text).
    pub payload: Vec<u8>,
}

/// What the worker's cache keeps of a public-key token that [`Verifier::verify`] accepted:
/// its verified texts and its time claims, which are checked again on every request.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedToken {
    pub signed: SignedPayload,
    /// `exp`, `nbf` and `iat`.
    pub times: [Option<NumericDate>; 3],
}

/// Splits `bytes` at its first dot: the part before it and the part after it.
fn split_at_dot(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let dot = memchr::memchr(b'.', bytes)?;
    Some((bytes.get(..dot)?, bytes.get(dot + 1..)?))
}

impl Verifier {
    /// Verifies a compact JWS as a JWT at time `now` (seconds since the epoch): steps 1 to 7.
    /// A public-key token it accepted is kept in the worker's cache (see [`cache`]) when the
    /// verifier has a place there: the same bytes again skip steps 1 to 5 and the issuer and
    /// audience, which cannot change for them, but not the times.
    pub fn verify(&self, token: &[u8], now: i64) -> Result<Verified, Refusal> {
        if let Some(hit) = self.cache.and_then(|at| cache::get(at, token)) {
            self.check_times(hit.times.map(Ok), now)?;
            return Ok(Verified::new(hit.signed));
        }
        let signed = self.verify_signature(token)?;
        let [exp, nbf, iat, iss, aud] =
            json::check(&signed.payload, ["exp", "nbf", "iat", "iss", "aud"])
                .ok()
                .flatten()
                .ok_or(Refusal::Malformed)?;
        let times = [exp, nbf, iat].map(numeric_date);
        self.check_times(times, now)?;
        self.check_issuer(iss)?;
        self.check_audience(aud, &signed.payload)?;
        if let (Some(at), None, [Ok(exp), Ok(nbf), Ok(iat)]) =
            (self.cache, signed.algorithm.mac_len(), times)
        {
            let cached = CachedToken {
                signed: signed.clone(),
                times: [exp, nbf, iat],
            };
            cache::put(at, token, cached);
        }
        Ok(Verified::new(signed))
    }

    /// Steps 1 to 5: the token's form, its header, its algorithm and its signature, but
    /// nothing about the payload (which a JWS need not make JSON).
    pub fn verify_signature(&self, token: &[u8]) -> Result<SignedPayload, Refusal> {
        let (header, rest) = split_at_dot(token).ok_or(Refusal::Malformed)?;
        let (claims, signature) = split_at_dot(rest).ok_or(Refusal::Malformed)?;
        // A third dot would be in the signature, which must be base64url characters only.
        if header.is_empty()
            || claims.is_empty()
            || signature.is_empty()
            || !signature.iter().all(|b| b64::is_alphabet(*b))
        {
            return Err(Refusal::Malformed);
        }
        let header_json = b64::decode(header).ok_or(Refusal::Malformed)?;
        let (algorithm, kid) = header_algorithm(&header_json)?;
        if !self.algorithms.contains(algorithm) {
            return Err(Refusal::Algorithm);
        }
        let payload = b64::decode(claims).ok_or(Refusal::Malformed)?;
        let signing_input = token
            .get(..header.len() + 1 + claims.len())
            .unwrap_or(token);
        // A `kid` picks among the keys that have one; without a match nothing verifies (a
        // `kid` that is not a string matches no key).
        let by_kid = kid.is_some() && self.keys.iter().any(|key| key.kid.is_some());
        let token_kid = kid.flatten();
        let candidates = self
            .keys
            .iter()
            .filter(|key| key.fits(algorithm))
            .filter(|key| !by_kid || (key.kid.is_some() && key.kid == token_kid));
        let matched = match algorithm.mac_len() {
            Some(len) => {
                let mut buf = [0; 64];
                let mac = b64::decode_to(signature, &mut buf)
                    .filter(|s| s.len() == len)
                    .ok_or(Refusal::Signature)?;
                let mut matched = Choice::from(0);
                for key in candidates {
                    matched |= key.verifies(algorithm, signing_input, signature, mac);
                }
                bool::from(matched)
            }
            None => {
                let decoded = b64::decode(signature).ok_or(Refusal::Signature)?;
                candidates.into_iter().any(|key| {
                    bool::from(key.verifies(algorithm, signing_input, signature, &decoded))
                })
            }
        };
        if !matched {
            return Err(Refusal::Signature);
        }
        Ok(SignedPayload {
            header: header_json,
            algorithm,
            payload,
        })
    }

    /// Step 7: `iss` one of the configured issuers, when there are any.
    fn check_issuer(&self, iss: Option<Member<'_>>) -> Result<(), Refusal> {
        if self.issuers.is_empty() {
            return Ok(());
        }
        match iss {
            Some(Member::String(iss)) if self.issuers.iter().any(|i| *i == *iss) => Ok(()),
            _ => Err(Refusal::Issuer),
        }
    }

    /// Step 7: `aud` (a string, or an array of strings: RFC 7519 §4.1.3) holds one of the
    /// configured audiences, when there are any.
    fn check_audience(&self, aud: Option<Member<'_>>, claims: &[u8]) -> Result<(), Refusal> {
        if self.audiences.is_empty() {
            return Ok(());
        }
        let wanted = |a: &str| self.audiences.iter().any(|w| w == a);
        let found = match aud {
            Some(Member::String(aud)) => wanted(&aud),
            Some(Member::Array) => json::parse_object(claims).is_ok_and(|claims| {
                claims
                    .get("aud")
                    .and_then(Value::as_array)
                    .is_some_and(|list| list.iter().filter_map(Value::as_str).any(wanted))
            }),
            _ => false,
        };
        if found {
            Ok(())
        } else {
            Err(Refusal::Audience)
        }
    }

    /// Step 6's time claims: `exp`, `nbf` and `iat` are numbers when present, and `now` lies
    /// within them give or take the leeway.
    fn check_times(
        &self,
        [exp, nbf, iat]: [Result<Option<NumericDate>, Refusal>; 3],
        now: i64,
    ) -> Result<(), Refusal> {
        let (exp, nbf, iat) = (exp?, nbf?, iat?);
        let now = i128::from(now);
        let leeway = i128::from(self.leeway);
        match exp {
            // expired when now >= exp + leeway
            Some(exp) if exp.reached_at(now - leeway) => return Err(Refusal::Expired),
            None if self.require_exp => return Err(Refusal::Expired),
            _ => {}
        }
        // not yet valid when now + leeway < nbf (or iat)
        let valid = |date: Option<NumericDate>| date.is_none_or(|d| d.reached_at(now + leeway));
        if valid(nbf) && valid(iat) {
            Ok(())
        } else {
            Err(Refusal::NotYetValid)
        }
    }
}

/// Steps 2 and 3: the header is a strict JSON object whose `alg` is a string naming an
/// algorithm we implement, with no `crit`; and its `kid`: absent, or present (`Some`) with its
/// string (`None` when it is not a string). Nothing else of the header (`jwk`, `jku`, `x5u`,
/// `x5c`, ...) is looked at. Whether the algorithm is allowed is the caller's question.
type Kid = Option<Option<String>>;

fn header_algorithm(header: &[u8]) -> Result<(Algorithm, Kid), Refusal> {
    let [alg, crit, kid] = json::check(header, ["alg", "crit", "kid"])
        .ok()
        .flatten()
        .ok_or(Refusal::Malformed)?;
    let kid = kid.map(|kid| match kid {
        Member::String(kid) => Some(kid.into_owned()),
        _ => None,
    });
    match (alg, crit) {
        (Some(Member::String(name)), None) => Algorithm::from_name(name.as_bytes())
            .map(|alg| (alg, kid))
            .ok_or(Refusal::Algorithm),
        _ => Err(Refusal::Algorithm),
    }
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
            NumericDate::Float(date) => (t as f64) >= date,
        }
    }
}

/// A NumericDate claim: absent, or a JSON number (anything else is malformed).
fn numeric_date(claim: Option<Member<'_>>) -> Result<Option<NumericDate>, Refusal> {
    match claim {
        None => Ok(None),
        Some(Member::Integer(i)) => Ok(Some(NumericDate::Int(i))),
        Some(Member::Number(f)) if f.is_finite() => Ok(Some(NumericDate::Float(f))),
        Some(_) => Err(Refusal::Malformed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(secrets: &[&[u8]], leeway: i64, require_exp: bool) -> Verifier {
        let mut algorithms = AlgorithmSet::empty();
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            algorithms.insert(alg);
        }
        Verifier {
            keys: secrets.iter().map(|s| Key::new(s)).collect(),
            algorithms,
            leeway,
            require_exp,
            ..Verifier::default()
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
    fn algorithm_names() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.name().as_bytes()), Some(alg));
        }
        for name in [
            &b"hs256"[..],
            b"none",
            b"rs256",
            b"EDDSA",
            b"ES521",
            b"HS256 ",
            b"",
        ] {
            assert_eq!(Algorithm::from_name(name), None);
        }
        assert_eq!(Algorithm::HS384.mac_len(), Some(48));
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
        let mut all = AlgorithmSet::empty();
        for alg in Algorithm::ALL {
            assert!(!all.contains(alg));
            all.insert(alg);
        }
        assert!(all.iter().eq(Algorithm::ALL));
    }

    #[test]
    fn key_debug_hides_everything() {
        let text = format!("{:?}", Key::new(b"super-secret-value"));
        assert_eq!(text, "Key { Hmac, kid: None, alg: None }");
        assert!(!text.contains("secret"));
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
            ..Verifier::default()
        };
        let ok = v
            .verify(token, 1_300_819_379)
            .map(|t| t.claims().get("iss").cloned());
        assert_eq!(ok, Ok(Some(Value::from("joe"))));
        assert_eq!(v.verify(token, 1_300_819_380), Err(Refusal::Expired));
    }

    #[test]
    fn segments() {
        let v = verifier(&[b"k"], 0, false);
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
    }

    #[test]
    fn no_length_cap() {
        // A token of several megabytes verifies like a short one.
        let v = verifier(&[b"secret"], 0, false);
        let claims = format!(
            r#"{{"a":"{}","b":[{}]}}"#,
            "x".repeat(3 << 20),
            "1,".repeat(1000) + "1"
        );
        let t = token(Algorithm::HS256, r#"{"alg":"HS256"}"#, &claims, b"secret");
        assert!(t.len() > 4 << 20);
        let verified = v.verify(t.as_bytes(), 0);
        assert_eq!(verified.map(|v| v.claims_json().len()), Ok(claims.len()));
    }

    #[test]
    fn verifies_each_algorithm_with_any_key() {
        let v = verifier(&[b"one", b"two", b"three"], 0, false);
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let header = format!(r#"{{"alg":"{}"}}"#, alg.name());
            for secret in [&b"one"[..], b"two", b"three"] {
                let t = token(alg, &header, r#"{"a":1}"#, secret);
                let verified = v.verify(t.as_bytes(), 0);
                assert_eq!(
                    verified.map(|v| v.claims().get("a").cloned()),
                    Ok(Some(Value::from(1)))
                );
            }
            let t = token(alg, &header, r#"{"a":1}"#, b"four");
            assert_eq!(v.verify(t.as_bytes(), 0), Err(Refusal::Signature));
        }
    }

    #[test]
    fn verdicts_come_in_order() {
        let v = verifier(&[b"secret"], 0, true);
        let h = r#"{"alg":"HS256"}"#;
        let forged = |claims: &str| token(Algorithm::HS256, h, claims, b"other");
        let good = |claims: &str| token(Algorithm::HS256, h, claims, b"secret");
        // the claims are looked at only once the signature verified
        assert_eq!(
            v.verify(forged("[1]").as_bytes(), 0),
            Err(Refusal::Signature)
        );
        assert_eq!(
            v.verify(forged("{}").as_bytes(), 0),
            Err(Refusal::Signature)
        );
        assert_eq!(v.verify(good("[1]").as_bytes(), 0), Err(Refusal::Malformed));
        assert_eq!(
            v.verify(good(r#"{"exp":"1"}"#).as_bytes(), 0),
            Err(Refusal::Malformed)
        );
        assert_eq!(v.verify(good("{}").as_bytes(), 0), Err(Refusal::Expired));
        // a claims segment that is not base64url is malformed whatever its signature
        let t = forged("{}");
        let bad = t.replacen('.', ".!", 1);
        assert_eq!(v.verify(bad.as_bytes(), 0), Err(Refusal::Malformed));
        // the algorithm before the claims' encoding
        let t = token(Algorithm::HS256, r#"{"alg":"none"}"#, "{}", b"secret");
        let bad = t.replacen('.', ".!", 1);
        assert_eq!(v.verify(bad.as_bytes(), 0), Err(Refusal::Algorithm));
        // headers
        for (header, want) in [
            (r#"{"alg":"HS256","crit":[]}"#, Refusal::Algorithm),
            (r#"{"alg":"HS256","crit":null}"#, Refusal::Algorithm),
            (r#"{"alg":1}"#, Refusal::Algorithm),
            (r#"{"typ":"JWT"}"#, Refusal::Algorithm),
            (r#"{"alg":"HS256","alg":"HS256"}"#, Refusal::Malformed),
            (r#"["HS256"]"#, Refusal::Malformed),
            (r#"{"alg":"HS256""#, Refusal::Malformed),
        ] {
            let t = token(Algorithm::HS256, header, r#"{"exp":10}"#, b"secret");
            assert_eq!(v.verify(t.as_bytes(), 0), Err(want), "{header}");
        }
        let t = token(
            Algorithm::HS256,
            r#"{"alg":"HS256","kid":"x"}"#,
            r#"{"exp":10}"#,
            b"secret",
        );
        assert!(v.verify(t.as_bytes(), 0).is_ok());
    }

    #[test]
    fn signature_length_must_fit_algorithm() {
        let v = verifier(&[b"secret"], 0, false);
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
        let v = verifier(&[b"k"], 0, false);
        let verified = |claims: &str| {
            let t = token(
                Algorithm::HS256,
                r#"{"alg":"HS256","Kid":"x"}"#,
                claims,
                b"k",
            );
            v.verify(t.as_bytes(), 0).unwrap()
        };
        let nested = verified(r#"{"a":1,"payload":{"a":2,"b":3}}"#);
        assert_eq!(nested.claim("a"), Some(&Value::from(1)));
        assert_eq!(nested.claim("b"), Some(&Value::from(3)));
        assert_eq!(nested.claim("c"), None);
        assert_eq!(nested.header_ignore_case("kid"), Some(&Value::from("x")));
        let mixed = verified(r#"{"userId":1,"userid":2,"payload":{"fileType":"docx"}}"#);
        assert_eq!(mixed.claim_ignore_case("userid"), Some(&Value::from(2)));
        assert_eq!(
            mixed.claim_ignore_case("filetype"),
            Some(&Value::from("docx"))
        );
        assert_eq!(mixed.claim_ignore_case("nothing"), None);
        let not_object = verified(r#"{"payload":"x"}"#);
        assert_eq!(not_object.claims_json(), br#"{"payload":"x"}"#);
        assert_eq!(not_object.claim("x"), None);
        assert_eq!(not_object.payload(), None);
    }

    #[test]
    fn numeric_dates() {
        let date = |text: &str| {
            let claims = format!(r#"{{"exp":{text}}}"#);
            let [exp] = json::check(claims.as_bytes(), ["exp"]).ok()??;
            numeric_date(exp).ok()?
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
