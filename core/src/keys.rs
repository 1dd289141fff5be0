//! Key files (`onlyoffice_jwt_key_file`): a JWK Set (RFC 7517 `{"keys":[...]}`), a single
//! JWK, or one PEM public key (SPKI `BEGIN PUBLIC KEY`, or PKCS#1 `BEGIN RSA PUBLIC KEY`).
//!
//! Keys are made with the `jsonwebtoken` crate (its `DecodingKey`) and checked with
//! `aws-lc-rs` (the crate's backend) when they are read, so that a key that could never verify
//! is a configuration error, not a refusal at request time:
//! - `RSA`: `n` and `e`; the modulus 2048 to 8192 bits (aws-lc-rs verifies no other), the
//!   exponent odd and above 1;
//! - `EC`: `crv` P-256, P-384 or P-521, `x` and `y` of at most the curve's length (shorter
//!   ones are padded: some encoders drop leading zeros), a point on the curve;
//! - `OKP`: `crv` Ed25519, `x` of 32 bytes, a valid point;
//! - `oct`: `k`, an HMAC secret of at least the hash length of its `alg` (32 bytes without
//!   one), RFC 7518 §3.2.
//!
//! Refused: a private key (a JWK with `d`, `p`, `q`, ... or a PEM `PRIVATE KEY`), a key whose
//! `alg`, `kty` and `crv` disagree, an `alg` that is not a JWS algorithm of ours, two keys with
//! the same `kid`, a set that mixes `oct` secrets with public keys (Wycheproof's advice: such
//! a set is ambiguous; several files may still be given), an empty set. Keys for encryption (`use` other than `sig`, or `key_ops`
//! without `verify`) are left out; a set with no other key is refused.

use std::fmt;

use aws_lc_rs::signature::{self as lc, ParsedPublicKey, VerificationAlgorithm};
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use jsonwebtoken::DecodingKey;
use serde_json::{Map, Value};
use sha2::{Sha256, Sha384, Sha512};
use subtle::{Choice, ConstantTimeEq};
use thiserror::Error;

use crate::alg::{Algorithm, Curve, Family};
use crate::{b64, json};

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

    /// The MAC of `input` under `alg`, into `out`: its length, 0 for another algorithm.
    fn mac(&self, alg: Algorithm, input: &[u8], out: &mut [u8; 64]) -> usize {
        fn run<M: Mac + Clone>(state: Option<&M>, input: &[u8], out: &mut [u8; 64]) -> usize {
            let Some(mut mac) = state.cloned() else {
                return 0;
            };
            mac.update(input);
            let bytes = mac.finalize().into_bytes();
            out.iter_mut().zip(&bytes).for_each(|(o, b)| *o = *b);
            bytes.len()
        }
        match alg {
            Algorithm::HS256 => run(self.hs256.as_ref(), input, out),
            Algorithm::HS384 => run(self.hs384.as_ref(), input, out),
            Algorithm::HS512 => run(self.hs512.as_ref(), input, out),
            _ => 0,
        }
    }

    /// Whether the MAC of `input` under `alg` is `signature`, compared in constant time.
    fn verifies(&self, alg: Algorithm, input: &[u8], signature: &[u8]) -> Choice {
        let mut mac = [0; 64];
        match self.mac(alg, input, &mut mac) {
            0 => Choice::from(0),
            len => mac.get(..len).unwrap_or_default().ct_eq(signature),
        }
    }

    fn sign(&self, alg: Algorithm, input: &[u8]) -> Option<String> {
        let mut mac = [0; 64];
        let len = self.mac(alg, input, &mut mac);
        (len != 0).then(|| b64::encode(mac.get(..len).unwrap_or_default()))
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
    pub fn public(key: PublicKey) -> Key {
        Key {
            material: Material::Public(key),
            kid: None,
            alg: None,
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
    pub(crate) fn verifies(
        &self,
        alg: Algorithm,
        input: &[u8],
        segment: &[u8],
        signature: &[u8],
    ) -> Choice {
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

/// The smallest and largest RSA moduli accepted, in bits.
pub const RSA_MIN_BITS: usize = 2048;
pub const RSA_MAX_BITS: usize = 8192;
/// The shortest `oct` key accepted without an `alg`: HS256's.
pub const OCT_MIN_LEN: usize = 32;

/// What is wrong with a key file. The text names the key (its place in the set and its
/// `kid`) but shows nothing of the key material.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyError {
    #[error("not a JWK Set, a JWK or a PEM public key")]
    Format,
    #[error("no key")]
    Empty,
    #[error("no signature key (every key is for encryption)")]
    NoSignatureKey,
    #[error("HMAC secrets and public keys in one set: give them in separate files")]
    Mixed,
    #[error("two keys with the kid \"{0}\"")]
    DuplicateKid(String),
    #[error("{0}: {1}")]
    Key(String, KeyProblem),
}

/// What is wrong with one key.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum KeyProblem {
    #[error("is a private key, a public key is expected")]
    Private,
    #[error("\"{0}\" is missing or not a string")]
    Member(&'static str),
    #[error("\"{0}\" is not base64url")]
    Base64(&'static str),
    #[error("unsupported kty \"{0}\"")]
    Kty(String),
    #[error("unsupported crv \"{0}\"")]
    Crv(String),
    #[error("alg \"{0}\" is not a signature algorithm this module verifies")]
    Alg(String),
    #[error("alg \"{0}\" does not fit a key of kty \"{1}\"")]
    Mismatch(String, String),
    #[error("RSA modulus of {0} bits, it must have {RSA_MIN_BITS} to {RSA_MAX_BITS}")]
    RsaBits(usize),
    #[error("RSA public exponent must be odd and above 1")]
    RsaExponent,
    #[error("not a valid public key for its curve")]
    Point,
    #[error("HMAC key of {0} bytes, {1} are needed")]
    Short(usize, usize),
    #[error("unsupported PEM \"{0}\"")]
    Pem(String),
}

/// A public key that `jsonwebtoken` (or, for ES512, `aws-lc-rs`) verifies with.
#[derive(Clone)]
pub struct PublicKey {
    family: Family,
    key: DecodingKey,
    /// The parsed point of a P-521 key: `jsonwebtoken` has no ES512.
    p521: Option<ParsedPublicKey>,
}

impl PublicKey {
    /// The kind of key.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Whether `signature` (the decoded `segment`) signs `input` under `alg`.
    pub(crate) fn verifies(
        &self,
        alg: Algorithm,
        input: &[u8],
        segment: &[u8],
        signature: &[u8],
    ) -> bool {
        if alg.family() != self.family {
            return false;
        }
        if let Some(p521) = &self.p521 {
            return alg == Algorithm::ES512 && p521.verify_sig(input, signature).is_ok();
        }
        let (Some(alg), Ok(segment)) = (jwt_algorithm(alg), std::str::from_utf8(segment)) else {
            return false;
        };
        jsonwebtoken::crypto::verify(segment, input, &self.key, alg).unwrap_or(false)
    }

    /// An RSA key from its modulus and exponent (big-endian octets).
    fn rsa(n: &[u8], e: &[u8]) -> Result<PublicKey, KeyProblem> {
        let bits = bit_length(n);
        if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
            return Err(KeyProblem::RsaBits(bits));
        }
        if bit_length(e) < 2 || e.last().is_none_or(|last| last & 1 == 0) {
            return Err(KeyProblem::RsaExponent);
        }
        // without leading zero octets, which aws-lc-rs does not take
        Ok(PublicKey {
            family: Family::Rsa,
            key: DecodingKey::from_rsa_raw_components(significant(n), significant(e)),
            p521: None,
        })
    }

    /// An EC key from its uncompressed point (`04 || x || y`).
    fn ec(curve: Curve, point: &[u8]) -> Result<PublicKey, KeyProblem> {
        let (check, len): (&'static dyn VerificationAlgorithm, usize) = match curve {
            Curve::P256 => (&lc::ECDSA_P256_SHA256_FIXED, 65),
            Curve::P384 => (&lc::ECDSA_P384_SHA384_FIXED, 97),
            Curve::P521 => (&lc::ECDSA_P521_SHA512_FIXED, 133),
        };
        if point.len() != len || point.first() != Some(&4) {
            return Err(KeyProblem::Point);
        }
        let parsed = ParsedPublicKey::new(check, point).map_err(|_| KeyProblem::Point)?;
        Ok(PublicKey {
            family: Family::Ec(curve),
            key: DecodingKey::from_ec_der(point),
            p521: (curve == Curve::P521).then_some(parsed),
        })
    }

    /// An Ed25519 key from its 32 bytes.
    fn ed25519(x: &[u8]) -> Result<PublicKey, KeyProblem> {
        if x.len() != 32 {
            return Err(KeyProblem::Point);
        }
        ParsedPublicKey::new(&lc::ED25519, x).map_err(|_| KeyProblem::Point)?;
        Ok(PublicKey {
            family: Family::Ed25519,
            key: DecodingKey::from_ed_der(x),
            p521: None,
        })
    }
}

/// The `jsonwebtoken` name of a public-key algorithm it implements.
fn jwt_algorithm(alg: Algorithm) -> Option<jsonwebtoken::Algorithm> {
    use jsonwebtoken::Algorithm as J;
    Some(match alg {
        Algorithm::RS256 => J::RS256,
        Algorithm::RS384 => J::RS384,
        Algorithm::RS512 => J::RS512,
        Algorithm::PS256 => J::PS256,
        Algorithm::PS384 => J::PS384,
        Algorithm::PS512 => J::PS512,
        Algorithm::ES256 => J::ES256,
        Algorithm::ES384 => J::ES384,
        Algorithm::EdDSA => J::EdDSA,
        _ => return None,
    })
}

/// A big-endian unsigned integer without its leading zero octets.
fn significant(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

/// The number of significant bits of a big-endian unsigned integer.
fn bit_length(bytes: &[u8]) -> usize {
    let bytes = significant(bytes);
    match bytes.first() {
        Some(top) => (bytes.len() - 1) * 8 + 8 - top.leading_zeros() as usize,
        None => 0,
    }
}

/// Reads a key file's text.
pub fn load(text: &[u8]) -> Result<Vec<Key>, KeyError> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace());
    let rest = start.and_then(|i| text.get(i..)).unwrap_or_default();
    if rest.starts_with(b"-----BEGIN ") {
        return pem(rest).map(|key| vec![key]);
    }
    let map = json::parse_object(rest).map_err(|_| KeyError::Format)?;
    let jwks: Vec<(String, &Map<String, Value>)> = match map.get("keys") {
        Some(Value::Array(keys)) => keys
            .iter()
            .enumerate()
            .map(|(i, key)| key.as_object().map(|k| (name(i + 1, k), k)))
            .collect::<Option<_>>()
            .ok_or(KeyError::Format)?,
        Some(_) => return Err(KeyError::Format),
        None => vec![(name(1, &map), &map)],
    };
    if jwks.is_empty() {
        return Err(KeyError::Empty);
    }
    let mut keys: Vec<Key> = Vec::new();
    for (name, jwk) in jwks {
        if let Some(key) = self::jwk(jwk).map_err(|problem| KeyError::Key(name, problem))? {
            if let Some(kid) = &key.kid {
                if keys.iter().any(|k| k.kid.as_ref() == Some(kid)) {
                    return Err(KeyError::DuplicateKid(kid.clone()));
                }
            }
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err(KeyError::NoSignatureKey);
    }
    let secrets = keys.iter().filter(|k| k.family() == Family::Hmac).count();
    if secrets != 0 && secrets != keys.len() {
        return Err(KeyError::Mixed);
    }
    Ok(keys)
}

/// How a key is named in messages: its place in the file and its `kid`.
fn name(place: usize, jwk: &Map<String, Value>) -> String {
    match jwk.get("kid").and_then(Value::as_str) {
        Some(kid) => format!("key {place} (kid \"{}\")", kid.escape_default()),
        None => format!("key {place}"),
    }
}

/// The JWK members that only a private key has (RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2).
const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "priv"];

/// One JWK: a key, or `None` for a key that is not for signatures.
fn jwk(jwk: &Map<String, Value>) -> Result<Option<Key>, KeyProblem> {
    let string = |name: &'static str| {
        jwk.get(name)
            .and_then(Value::as_str)
            .ok_or(KeyProblem::Member(name))
    };
    let bytes = |name: &'static str| {
        string(name).and_then(|s| b64::decode(s.as_bytes()).ok_or(KeyProblem::Base64(name)))
    };
    let kty = string("kty")?;
    if kty != "oct" && PRIVATE.iter().any(|m| jwk.contains_key(*m)) {
        return Err(KeyProblem::Private);
    }
    let for_signatures = jwk.get("use").is_none_or(|u| u == "sig")
        && jwk.get("key_ops").is_none_or(|ops| {
            ops.as_array()
                .is_some_and(|ops| ops.iter().any(|op| op == "verify"))
        });
    if !for_signatures {
        return Ok(None);
    }
    let alg = match jwk.get("alg") {
        None => None,
        Some(Value::String(name)) => Some(
            Algorithm::from_name(name.as_bytes()).ok_or_else(|| KeyProblem::Alg(name.clone()))?,
        ),
        Some(_) => return Err(KeyProblem::Member("alg")),
    };
    let kid = match jwk.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(KeyProblem::Member("kid")),
    };
    let key = match kty {
        "oct" => {
            let k = bytes("k")?;
            let needed = alg.and_then(Algorithm::mac_len).unwrap_or(OCT_MIN_LEN);
            if k.len() < needed {
                return Err(KeyProblem::Short(k.len(), needed));
            }
            Key::new(&k)
        }
        "RSA" => Key::public(PublicKey::rsa(&bytes("n")?, &bytes("e")?)?),
        "EC" => {
            let curve = match string("crv")? {
                "P-256" => Curve::P256,
                "P-384" => Curve::P384,
                "P-521" => Curve::P521,
                other => return Err(KeyProblem::Crv(other.to_owned())),
            };
            // RFC 7518 §6.2.1.2 wants full-length coordinates; some encoders drop leading
            // zero octets (PyJWT before 2.8), which are put back
            let size: usize = match curve {
                Curve::P256 => 32,
                Curve::P384 => 48,
                Curve::P521 => 66,
            };
            let mut point = vec![4];
            for name in ["x", "y"] {
                let c = bytes(name)?;
                point.resize(point.len() + size.saturating_sub(c.len()), 0);
                point.extend(c);
            }
            Key::public(PublicKey::ec(curve, &point)?)
        }
        "OKP" => match string("crv")? {
            "Ed25519" => Key::public(PublicKey::ed25519(&bytes("x")?)?),
            other => return Err(KeyProblem::Crv(other.to_owned())),
        },
        other => return Err(KeyProblem::Kty(other.to_owned())),
    };
    if let Some(alg) = alg {
        if alg.family() != key.family() {
            return Err(KeyProblem::Mismatch(alg.name().to_owned(), kty.to_owned()));
        }
    }
    Ok(Some(key.with(kid, alg)))
}

/// One PEM public key.
fn pem(text: &[u8]) -> Result<Key, KeyError> {
    let problem = |p| KeyError::Key("the PEM key".to_owned(), p);
    let label = text
        .get(11..)
        .and_then(|rest| rest.split(|b| *b == b'-').next())
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .unwrap_or_default();
    match label.as_str() {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
        l if l.contains("PRIVATE") => return Err(problem(KeyProblem::Private)),
        l => return Err(problem(KeyProblem::Pem(l.to_owned()))),
    }
    let key = if let Ok(rsa) = DecodingKey::from_rsa_pem(text) {
        let (n, e) = rsa_components(rsa.as_bytes()).ok_or(KeyError::Format)?;
        PublicKey::rsa(&n, &e).map_err(problem)?
    } else if let Ok(ec) = DecodingKey::from_ec_pem(text) {
        let point = ec.as_bytes();
        let curve = match point.len() {
            65 => Curve::P256,
            97 => Curve::P384,
            133 => Curve::P521,
            _ => return Err(problem(KeyProblem::Point)),
        };
        PublicKey::ec(curve, point).map_err(problem)?
    } else if let Ok(ed) = DecodingKey::from_ed_pem(text) {
        PublicKey::ed25519(ed.as_bytes()).map_err(problem)?
    } else {
        return Err(KeyError::Format);
    };
    Ok(Key::public(key))
}

/// The modulus and exponent of a PKCS#1 `RSAPublicKey`.
fn rsa_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    use simple_asn1::ASN1Block;
    match simple_asn1::from_der(der).ok()?.as_slice() {
        [ASN1Block::Sequence(_, items)] => match items.as_slice() {
            [ASN1Block::Integer(_, n), ASN1Block::Integer(_, e)] => {
                // two's complement: a negative integer has its top bit set
                let (n, e) = (n.to_signed_bytes_be(), e.to_signed_bytes_be());
                let negative = |v: &[u8]| v.first().is_none_or(|b| b & 0x80 != 0);
                (!negative(&n) && !negative(&e)).then_some((n, e))
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_debug_hides_everything() {
        let text = format!("{:?}", Key::new(b"super-secret-value"));
        assert_eq!(text, "Key { Hmac, kid: None, alg: None }");
        assert!(!text.contains("secret"));
    }

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[1, 0, 1]), 17);
    }

    #[test]
    fn refuses_what_is_not_a_key_file() {
        for text in [
            &b""[..],
            b"  ",
            b"{",
            b"[]",
            b"{\"keys\":{}}",
            b"{\"keys\":[1]}",
        ] {
            assert_eq!(load(text).err(), Some(KeyError::Format), "{text:?}");
        }
        assert_eq!(load(b"{\"keys\":[]}").err(), Some(KeyError::Empty));
        assert!(matches!(
            load(b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n"),
            Err(KeyError::Key(_, KeyProblem::Private))
        ));
        assert!(matches!(
            load(b"-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n"),
            Err(KeyError::Key(_, KeyProblem::Pem(_)))
        ));
    }

    #[test]
    fn oct_keys() {
        let k32 = b64::encode(&[7; 32]);
        let k31 = b64::encode(&[7; 31]);
        let keys = load(format!(r#"{{"kty":"oct","k":"{k32}","kid":"a"}}"#).as_bytes());
        let keys = keys.expect("an oct key");
        assert_eq!(keys[0].kid.as_deref(), Some("a"));
        assert!(keys[0].fits(Algorithm::HS512) && !keys[0].fits(Algorithm::RS256));
        assert_eq!(
            load(format!(r#"{{"kty":"oct","k":"{k31}"}}"#).as_bytes()).err(),
            Some(KeyError::Key("key 1".into(), KeyProblem::Short(31, 32)))
        );
        assert_eq!(
            load(format!(r#"{{"kty":"oct","k":"{k32}","alg":"HS384"}}"#).as_bytes()).err(),
            Some(KeyError::Key("key 1".into(), KeyProblem::Short(32, 48)))
        );
        assert_eq!(
            load(format!(r#"{{"kty":"oct","k":"{k32}","alg":"RS256"}}"#).as_bytes()).err(),
            Some(KeyError::Key(
                "key 1".into(),
                KeyProblem::Mismatch("RS256".into(), "oct".into())
            ))
        );
        let set = format!(
            r#"{{"keys":[{{"kty":"oct","k":"{k32}","kid":"x"}},{{"kty":"oct","k":"{k32}","kid":"x"}}]}}"#
        );
        assert_eq!(
            load(set.as_bytes()).err(),
            Some(KeyError::DuplicateKid("x".into()))
        );
        let enc = format!(r#"{{"keys":[{{"kty":"oct","k":"{k32}","use":"enc"}}]}}"#);
        assert_eq!(load(enc.as_bytes()).err(), Some(KeyError::NoSignatureKey));
    }
}
