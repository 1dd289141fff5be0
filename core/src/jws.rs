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

use std::borrow::Cow;
use std::cell::OnceCell;
use std::rc::Rc;

use serde_json::{Map, Value};
use subtle::Choice;

use crate::alg::{Algorithm, AlgorithmSet};
use crate::b64;
use crate::error::Refusal;
use crate::json;
use crate::keys::Key;

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
    /// Claims read flat, their `payload` and `query` not as objects: for a location whose
    /// checks read no claim inside them (`bearer`).
    pub flat: bool,
}

/// A verified token: the texts of its header and claims, as signed, and its claims read
/// once (strict JSON, duplicates refused at every depth) into their members' raw texts, with
/// those of an object `payload` and an object `query` (unless [`Verifier::flat`]), and its
/// time claims: what every later
/// check uses. The maps of header and claims are parsed only when a variable asks for them.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The algorithm that verified it.
    pub(crate) algorithm: Algorithm,
    header_json: String,
    claims_json: String,
    members: json::Object,
    /// `exp`, `nbf` and `iat`.
    pub(crate) times: [Option<NumericDate>; 3],
    header: OnceCell<Map<String, Value>>,
    claims: OnceCell<Map<String, Value>>,
}

impl PartialEq for Verified {
    fn eq(&self, other: &Self) -> bool {
        self.header_json == other.header_json && self.claims_json == other.claims_json
    }
}

/// The map of a text that was read as a strict JSON object. [`json::parse`] accepts the same
/// texts (the unit tests and the `json_check` fuzz target hold them to it), so the empty map
/// is never taken; were it ever, every claim would read as absent to the variables.
fn parsed<'a>(cell: &'a OnceCell<Map<String, Value>>, text: &str) -> &'a Map<String, Value> {
    cell.get_or_init(|| json::parse_object(text.as_bytes()).unwrap_or_default())
}

impl Verified {
    /// Step 6's reading: the claims a strict JSON object, `exp`, `nbf` and `iat` numbers when
    /// present (malformed otherwise).
    fn new(signed: SignedPayload, nest: &[&str]) -> Result<Verified, Refusal> {
        let header_json = signed.header;
        let claims_json = String::from_utf8(signed.payload).map_err(|_| Refusal::Malformed)?;
        let members = json::object(&claims_json, nest, json::Values::Strict)
            .ok()
            .flatten()
            .ok_or(Refusal::Malformed)?;
        let view = members.view(&claims_json);
        let [exp, nbf, iat] = ["exp", "nbf", "iat"].map(|name| numeric_date(view.get(name)));
        let times = [exp?, nbf?, iat?];
        Ok(Verified {
            algorithm: signed.algorithm,
            header_json,
            claims_json,
            members,
            times,
            header: OnceCell::new(),
            claims: OnceCell::new(),
        })
    }

    /// The bytes of its texts (for the cache's bound).
    pub fn text_len(&self) -> usize {
        self.header_json.len() + self.claims_json.len()
    }

    /// The claims' members, as raw texts, with those of `payload` and `query` when they are
    /// objects ([`json::View::nested`]).
    pub fn members(&self) -> json::View<'_> {
        self.members.view(&self.claims_json)
    }

    /// The claims' JSON text, exactly as signed.
    pub fn claims_json(&self) -> &[u8] {
        self.claims_json.as_bytes()
    }

    /// The JOSE header, parsed (for the variables).
    pub fn header(&self) -> &Map<String, Value> {
        parsed(&self.header, &self.header_json)
    }

    /// The claims, parsed (for the variables).
    pub fn claims(&self) -> &Map<String, Value> {
        parsed(&self.claims, &self.claims_json)
    }

    /// The claims' `payload` member, parsed, when it is an object.
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
    pub header: String,
    /// The algorithm the header named (allowed, and the one that verified).
    pub algorithm: Algorithm,
    /// The decoded payload octets (for a JWT: the claims' JSON text).
    pub payload: Vec<u8>,
}

/// Splits `bytes` at its first dot: the part before it and the part after it.
fn split_at_dot(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let dot = memchr::memchr(b'.', bytes)?;
    Some((bytes.get(..dot)?, bytes.get(dot + 1..)?))
}

impl Verifier {
    /// Verifies a compact JWS as a JWT at time `now` (seconds since the epoch): steps 1 to 7.
    pub fn verify(&self, token: &[u8], now: i64) -> Result<Verified, Refusal> {
        let nest: &[&str] = if self.flat {
            &[]
        } else {
            &["payload", "query"]
        };
        let verified = Verified::new(self.verify_signature(token)?, nest)?;
        self.check_times(verified.times, now)?;
        self.check_issuer(verified.members().get("iss"))?;
        self.check_audience(verified.members().get("aud"))?;
        Ok(verified)
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
        let header_json = b64::decode(header).and_then(|h| String::from_utf8(h).ok());
        let header_json = header_json.ok_or(Refusal::Malformed)?;
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
    fn check_issuer(&self, iss: Option<&str>) -> Result<(), Refusal> {
        if self.issuers.is_empty() {
            return Ok(());
        }
        match iss.and_then(json::string) {
            Some(iss) if self.issuers.iter().any(|i| *i == *iss) => Ok(()),
            _ => Err(Refusal::Issuer),
        }
    }

    /// Step 7: `aud` (a string, or an array of strings: RFC 7519 §4.1.3) holds one of the
    /// configured audiences, when there are any.
    fn check_audience(&self, aud: Option<&str>) -> Result<(), Refusal> {
        if self.audiences.is_empty() {
            return Ok(());
        }
        let wanted = |a: &str| self.audiences.iter().any(|w| w == a);
        let found = match aud {
            // the array's own text, read for its strings
            Some(list) if list.starts_with('[') => json::parse(list.as_bytes()).is_ok_and(|list| {
                list.as_array()
                    .is_some_and(|list| list.iter().filter_map(Value::as_str).any(wanted))
            }),
            Some(aud) => json::string(aud).is_some_and(|aud| wanted(&aud)),
            None => false,
        };
        if found {
            Ok(())
        } else {
            Err(Refusal::Audience)
        }
    }

    /// Step 6's time claims: `exp`, `nbf` and `iat` are numbers when present, and `now` lies
    /// within them give or take the leeway.
    pub(crate) fn check_times(
        &self,
        [exp, nbf, iat]: [Option<NumericDate>; 3],
        now: i64,
    ) -> Result<(), Refusal> {
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
fn header_algorithm(header: &str) -> Result<(Algorithm, Option<Option<String>>), Refusal> {
    let [alg, crit, kid] = json::check(header, ["alg", "crit", "kid"])
        .ok()
        .flatten()
        .ok_or(Refusal::Malformed)?;
    let kid = kid.map(|kid| json::string(kid).map(Cow::into_owned));
    match (alg.and_then(json::string), crit) {
        (Some(name), None) => Algorithm::from_name(name.as_bytes())
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

/// A NumericDate claim's raw text: absent, or a JSON number (anything else is malformed).
fn numeric_date(claim: Option<&str>) -> Result<Option<NumericDate>, Refusal> {
    let Some(claim) = claim else {
        return Ok(None);
    };
    let number = json::number(claim).ok_or(Refusal::Malformed)?;
    let integer = number.as_i64().map(i128::from);
    match integer.or(number.as_u64().map(i128::from)) {
        Some(i) => Ok(Some(NumericDate::Int(i))),
        None => Ok(number.as_f64().map(NumericDate::Float)),
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
    fn flat_claims_are_read_as_strictly() {
        let header = r#"{"alg":"HS256"}"#;
        let claims = r#"{"payload":{"url":"u"},"query":{"c":"info"},"exp":99}"#;
        let t = token(Algorithm::HS256, header, claims, b"k");
        for flat in [false, true] {
            let v = Verifier {
                flat,
                ..verifier(&[b"k"], 0, false)
            };
            let verified = v.verify(t.as_bytes(), 0).expect("accepted");
            let members = verified.members();
            assert_eq!(members.get("exp"), Some("99"));
            assert_eq!(members.get("query"), Some(r#"{"c":"info"}"#));
            assert_eq!(members.nested("payload").is_some(), !flat);
            let c = members.nested("query").and_then(|query| query.get("c"));
            assert_eq!(c, (!flat).then_some(r#""info""#));
            // a duplicate inside `payload` is refused all the same
            let dup = token(
                Algorithm::HS256,
                header,
                r#"{"payload":{"a":1,"a":1}}"#,
                b"k",
            );
            assert_eq!(v.verify(dup.as_bytes(), 0), Err(Refusal::Malformed));
        }
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
        let date = |text: &str| numeric_date(Some(text)).ok()?;
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
