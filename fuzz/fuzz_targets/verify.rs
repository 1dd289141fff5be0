//! `Verifier::verify` (and its first half, `verify_signature`) on arbitrary bytes, with a
//! model of what it must answer.
//!
//! Each input is used three ways:
//! 1. as a token, for several configurations (keys, algorithms, leeway, `require_exp`) and
//!    clocks: the verdict of `verify` must be the model's (steps 1 to 6 of `jws`, written
//!    again here on the `base64` crate and the strict parse), `verify_signature` must stop
//!    where the model stops before the claims, and an accepted token must carry the
//!    canonical MAC of a configured key under its header's allowed `alg`;
//! 2. as the claims of a token signed here with a configured key (and with a foreign one):
//!    the verdict must be what a plain model of RFC 7519 and the module's rules says, and the
//!    claim lookups of the accepted token what the model finds in the parsed claims;
//! 3. as the header of a token signed here: likewise for `alg` and `crit`.
//!
//! Ways 2 and 3 reach the code after the signature check, which random tokens never do.
//! One configuration also holds public keys (Ed25519 and P-256, as JWKs through the key-file
//! loader, beside an HMAC secret): its EdDSA and ES256 tokens are signed here with aws-lc-rs,
//! and the model accepts an EdDSA signature that is the key's (deterministic) one and an
//! ES256 signature that aws-lc-rs verifies under the configured public key.
//! Nothing is refused for its length: the verifier has no length limit, nor has the model.

#![no_main]

use std::rc::Rc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, Ed25519KeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use onlyoffice_jwt_core::{
    b64, json, keys, Algorithm, AlgorithmSet, CachedVerifier, Key, Refusal, Verified, Verifier,
};
use serde_json::{Map, Value};

const NOW: i64 = 1_735_732_900;
const SECRET_A: &[u8] = b"fuzz-secret-a-0123456789abcdefghijkl";
const SECRET_B: &[u8] = b"b";
const FOREIGN: &[u8] = b"fuzz-secret-not-configured-0123456789";
const ALL: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];
const WITH_PUBLIC: [Algorithm; 4] = [
    Algorithm::HS256,
    Algorithm::HS512,
    Algorithm::EdDSA,
    Algorithm::ES256,
];

/// The private keys of the public-key configuration, and foreign ones.
struct Signers {
    ed: Ed25519KeyPair,
    ec: EcdsaKeyPair,
    foreign_ed: Ed25519KeyPair,
    foreign_ec: EcdsaKeyPair,
    /// The configured public keys, read as a key file.
    keys: Vec<Key>,
}

fn signers() -> Signers {
    let ed = Ed25519KeyPair::generate().expect("ed25519 key");
    let ec = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("p-256 key");
    let point = ec.public_key().as_ref().to_vec();
    let jwks = format!(
        r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{}"}},{{"kty":"EC","crv":"P-256","x":"{}","y":"{}"}}]}}"#,
        STRICT.encode(ed.public_key().as_ref()),
        STRICT.encode(&point[1..33]),
        STRICT.encode(&point[33..65]),
    );
    Signers {
        keys: keys::load(jwks.as_bytes()).expect("public keys load"),
        ed,
        ec,
        foreign_ed: Ed25519KeyPair::generate().expect("ed25519 key"),
        foreign_ec: EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("p-256 key"),
    }
}

thread_local! {
    static SIGNERS: Signers = signers();
}

/// RFC 7515's BASE64URL, configured here and not taken from the core: unpadded, URL-safe,
/// canonical trailing bits.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

struct Config {
    /// With public keys, accepted public-key tokens are cached, as in the module.
    verifier: CachedVerifier,
    secrets: &'static [&'static [u8]],
    algorithms: &'static [Algorithm],
    /// The public keys of [`SIGNERS`] are configured too.
    public: bool,
}

fn config(
    secrets: &'static [&'static [u8]],
    algorithms: &'static [Algorithm],
    leeway: i64,
    require_exp: bool,
    public: bool,
) -> Config {
    let mut set = AlgorithmSet::empty();
    for alg in algorithms {
        set.insert(*alg);
    }
    let mut keys: Vec<Key> = secrets.iter().map(|s| Key::new(s)).collect();
    if public {
        SIGNERS.with(|s| keys.extend(s.keys.iter().cloned()));
    }
    Config {
        verifier: CachedVerifier::from(Verifier {
            keys: Rc::from(keys),
            algorithms: set,
            leeway,
            require_exp,
            ..Verifier::default()
        }),
        secrets,
        algorithms,
        public,
    }
}

thread_local! {
    static CONFIGS: [Config; 5] = [
        // the default: one secret, HS256
        config(&[SECRET_A], &[Algorithm::HS256], 60, false, false),
        // rotation: two secrets (one empty-ish), every algorithm
        config(&[SECRET_B, SECRET_A], &ALL, 60, false, false),
        // callback-like: exp required, no leeway, HS512 only
        config(&[SECRET_A], &[Algorithm::HS512], 0, true, false),
        // extreme leeway
        config(&[SECRET_A, b""], &[Algorithm::HS384, Algorithm::HS256], i64::MAX, false, false),
        // a secret and public keys
        config(&[SECRET_A], &WITH_PUBLIC, 60, false, true),
    ];
}

thread_local! {
    /// The keyed states of every secret used here, computed once.
    static KEYS: Vec<(&'static [u8], Key)> =
        [SECRET_A, SECRET_B, FOREIGN, b""].iter().map(|s| (*s, Key::new(s))).collect();
}

/// The signature segment of `input` under `alg` with `secret`; for EdDSA and ES256, with
/// the configured private key (a foreign one for [`FOREIGN`]).
fn mac(secret: &[u8], alg: Algorithm, input: &[u8]) -> Option<String> {
    let foreign = secret == FOREIGN;
    match alg {
        Algorithm::EdDSA => {
            return SIGNERS.with(|s| {
                let key = if foreign { &s.foreign_ed } else { &s.ed };
                Some(STRICT.encode(key.sign(input)))
            })
        }
        Algorithm::ES256 => {
            return SIGNERS.with(|s| {
                let key = if foreign { &s.foreign_ec } else { &s.ec };
                let sig = key.sign(&SystemRandom::new(), input).ok()?;
                Some(STRICT.encode(sig))
            })
        }
        _ => {}
    }
    KEYS.with(|keys| {
        keys.iter()
            .find(|(s, _)| *s == secret)
            .and_then(|(_, key)| key.sign(alg, input))
    })
}

fn token(header: &[u8], claims: &[u8], alg: Algorithm, secret: &[u8]) -> Vec<u8> {
    let input = format!("{}.{}", STRICT.encode(header), STRICT.encode(claims));
    let sig = mac(secret, alg, input.as_bytes()).unwrap_or_default();
    format!("{input}.{sig}").into_bytes()
}

/// A NumericDate as the model sees it.
#[derive(Clone, Copy)]
enum Date {
    Int(i128),
    Float(f64),
}

impl Date {
    fn of(value: &Value) -> Option<Date> {
        let n = value.as_number()?;
        if let Some(i) = n.as_i64() {
            Some(Date::Int(i.into()))
        } else if let Some(u) = n.as_u64() {
            Some(Date::Int(u.into()))
        } else {
            n.as_f64().filter(|f| f.is_finite()).map(Date::Float)
        }
    }

    /// `t >= self`
    fn reached_at(self, t: i128) -> bool {
        match self {
            Date::Int(d) => t >= d,
            Date::Float(d) => (t as f64) >= d,
        }
    }
}

/// The model's verdict on claims that were signed correctly.
fn model_claims(claims: &[u8], leeway: i64, require_exp: bool, now: i64) -> Result<(), Refusal> {
    let map = json::parse_object(claims).map_err(|_| Refusal::Malformed)?;
    let mut dates = [None; 3];
    for (slot, name) in dates.iter_mut().zip(["exp", "nbf", "iat"]) {
        if let Some(value) = map.get(name) {
            *slot = Some(Date::of(value).ok_or(Refusal::Malformed)?);
        }
    }
    let (now, leeway) = (i128::from(now), i128::from(leeway));
    match dates[0] {
        Some(exp) if exp.reached_at(now - leeway) => return Err(Refusal::Expired),
        None if require_exp => return Err(Refusal::Expired),
        _ => {}
    }
    for date in dates[1..].iter().flatten() {
        if !date.reached_at(now + leeway) {
            return Err(Refusal::NotYetValid);
        }
    }
    Ok(())
}

/// The model's verdict on a header that was signed correctly with its own `alg`.
fn model_header(header: &Map<String, Value>, allowed: &[Algorithm]) -> Result<Algorithm, Refusal> {
    if header.contains_key("crit") {
        return Err(Refusal::Algorithm);
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|name| Algorithm::from_name(name.as_bytes()))
        .ok_or(Refusal::Algorithm)?;
    if allowed.contains(&alg) {
        Ok(alg)
    } else {
        Err(Refusal::Algorithm)
    }
}

/// What the model knows of a token once its signature verified.
struct ModelSigned {
    header: Map<String, Value>,
    algorithm: Algorithm,
    claims: Vec<u8>,
}

/// The model's steps 1 to 5 on any bytes: form, header, algorithm, claims encoding,
/// signature.
fn model_signature(cfg: &Config, data: &[u8]) -> Result<ModelSigned, Refusal> {
    let segments: Vec<&[u8]> = data.split(|b| *b == b'.').collect();
    let [h, c, s] = segments[..] else {
        return Err(Refusal::Malformed);
    };
    let alphabet = |b: &u8| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_';
    if h.is_empty() || c.is_empty() || s.is_empty() || !s.iter().all(alphabet) {
        return Err(Refusal::Malformed);
    }
    let header = STRICT.decode(h).map_err(|_| Refusal::Malformed)?;
    let header = json::parse_object(&header).map_err(|_| Refusal::Malformed)?;
    let algorithm = model_header(&header, cfg.algorithms)?;
    let claims = STRICT.decode(c).map_err(|_| Refusal::Malformed)?;
    // base64url has one spelling per octet string: comparing the texts compares the MACs.
    let input = &data[..h.len() + 1 + c.len()];
    let signed = match algorithm {
        Algorithm::EdDSA => {
            cfg.public && mac(SECRET_A, algorithm, input).is_some_and(|m| m.as_bytes() == s)
        }
        Algorithm::ES256 => {
            cfg.public
                && SIGNERS.with(|signers| {
                    let point = signers.ec.public_key().as_ref().to_vec();
                    STRICT.decode(s).is_ok_and(|sig| {
                        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                            .verify(input, &sig)
                            .is_ok()
                    })
                })
        }
        _ => cfg
            .secrets
            .iter()
            .any(|k| mac(k, algorithm, input).is_some_and(|m| m.as_bytes() == s)),
    };
    if !signed {
        return Err(Refusal::Signature);
    }
    Ok(ModelSigned {
        header,
        algorithm,
        claims,
    })
}

/// The claim lookups of a verified token against the model's reading of the parsed claims:
/// top level first, then an object `payload`; ignoring ASCII case, the first matching name
/// in name order.
fn check_lookups(verified: &Verified, claims: &Map<String, Value>, header: &Map<String, Value>) {
    fn ignore_case<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
        map.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .min_by(|a, b| a.0.cmp(b.0))
            .map(|(_, v)| v)
    }
    let payload = claims.get("payload").and_then(Value::as_object);
    assert_eq!(verified.payload(), payload, "payload");
    let claim = |name: &str| {
        claims
            .get(name)
            .or_else(|| payload.and_then(|p| p.get(name)))
    };
    let mut names: Vec<&str> = claims.keys().map(String::as_str).take(16).collect();
    if let Some(p) = payload {
        names.extend(p.keys().map(String::as_str).take(16));
    }
    names.extend(["exp", "payload", "key", "KEY", ""]);
    for name in names {
        assert_eq!(verified.claim(name), claim(name), "claim {name:?}");
        let lower = name.to_ascii_lowercase();
        let want = claim(&lower)
            .or_else(|| ignore_case(claims, &lower))
            .or_else(|| payload.and_then(|p| ignore_case(p, &lower)));
        assert_eq!(
            verified.claim_ignore_case(&lower),
            want,
            "claim ignoring case {lower:?}"
        );
    }
    for name in header
        .keys()
        .map(String::as_str)
        .take(16)
        .chain(["alg", "KID"])
    {
        let lower = name.to_ascii_lowercase();
        let want = header.get(&lower).or_else(|| ignore_case(header, &lower));
        assert_eq!(
            verified.header_ignore_case(&lower),
            want,
            "header {lower:?}"
        );
    }
}

/// Whether the configuration holds the key this target signs `alg` tokens with.
fn holds_key(cfg: &Config, alg: Algorithm) -> bool {
    match alg {
        Algorithm::EdDSA | Algorithm::ES256 => cfg.public,
        _ => cfg.secrets.contains(&SECRET_A),
    }
}

/// Way 1: any bytes as a token.
fn arbitrary_token(cfg: &Config, data: &[u8]) {
    let model = model_signature(cfg, data);
    let signed = cfg.verifier.verifier.verify_signature(data);
    match (&model, &signed) {
        (Ok(m), Ok(s)) => {
            assert_eq!(json::parse_object(s.header.as_bytes()).as_ref(), Ok(&m.header));
            assert_eq!(s.algorithm, m.algorithm, "algorithm");
            assert_eq!(s.payload, m.claims, "payload");
        }
        (Err(m), Err(s)) => assert_eq!(m, s, "verify_signature"),
        _ => panic!(
            "verify_signature {:?} but the model {:?}",
            signed.as_ref().map(|_| ()),
            model.as_ref().map(|_| ())
        ),
    }
    for now in [NOW, 0, i64::MAX, i64::MIN] {
        let v = &cfg.verifier;
        let want = match &model {
            Ok(m) => model_claims(&m.claims, v.verifier.leeway, v.verifier.require_exp, now),
            Err(e) => Err(*e),
        };
        let got = v.verify(data, now);
        assert_eq!(
            got.as_ref().map(|_| ()).map_err(|e| *e),
            want,
            "verify at {now}"
        );
        let (Ok(verified), Ok(m)) = (got, &model) else {
            continue;
        };
        // The lazily parsed claims are the strict parse of the signed text.
        let claims = json::parse_object(&m.claims).expect("accepted claims parse");
        assert_eq!(verified.claims_json(), &m.claims[..]);
        assert_eq!(verified.claims(), &claims);
        assert_eq!(verified.header(), &m.header);
        check_lookups(&verified, &claims, &m.header);
    }
}

/// Way 2: the bytes as claims, signed here with each of `algs`, under the usual header and
/// an unusual one.
fn as_claims(cfg: &Config, data: &[u8], algs: &[Algorithm]) {
    for &alg in algs {
        let header_std = format!(r#"{{"alg":"{}","typ":"JWT"}}"#, alg.name());
        let header_odd = format!(r#"{{"typ":"JWT","alg":"{}","Kid":"k1"}}"#, alg.name());
        for (i, header) in [header_std, header_odd].into_iter().enumerate() {
            let t = token(header.as_bytes(), data, alg, SECRET_A);
            let v = &cfg.verifier;
            // An empty claims segment is not a compact JWS.
            let signed = if data.is_empty() {
                Err(Refusal::Malformed)
            } else if !cfg.algorithms.contains(&alg) {
                Err(Refusal::Algorithm)
            } else if !holds_key(cfg, alg) {
                Err(Refusal::Signature)
            } else {
                Ok(())
            };
            let want = signed
                .and_then(|()| model_claims(data, v.verifier.leeway, v.verifier.require_exp, NOW));
            let got = v.verify(&t, NOW);
            assert_eq!(
                got.as_ref().map(|_| ()).map_err(|e| *e),
                want,
                "claims {:?}",
                String::from_utf8_lossy(data)
            );
            // Again, now and much later: a token the cache holds (public keys) gets what the
            // model gives at that time.
            for now in [NOW, NOW + 400 * 365 * 86_400] {
                let want = signed.and_then(|()| {
                    model_claims(data, v.verifier.leeway, v.verifier.require_exp, now)
                });
                assert_eq!(v.verify(&t, now).map(|_| ()), want, "again at {now}");
            }
            // The first half stops before the claims: it accepts whatever JSON or not.
            let first = v.verifier.verify_signature(&t);
            assert_eq!(first.as_ref().map(|_| ()).map_err(|e| *e), signed);
            if let Ok(first) = first {
                assert_eq!(first.payload, data);
                assert_eq!(first.header.as_bytes(), header.as_bytes());
                assert_eq!(first.algorithm, alg);
            }
            if let Ok(verified) = got {
                let claims = json::parse_object(data).expect("accepted claims parse");
                let header = json::parse_object(header.as_bytes()).expect("header parses");
                assert_eq!(verified.claims_json(), data);
                assert_eq!(verified.claims(), &claims);
                check_lookups(&verified, &claims, &header);
            }
            if i > 0 {
                continue;
            }
            // Signed with a key that is not configured: refused, whatever the claims.
            let forged = token(header.as_bytes(), data, alg, FOREIGN);
            let want = if data.is_empty() {
                Refusal::Malformed
            } else if !cfg.algorithms.contains(&alg) {
                Refusal::Algorithm
            } else {
                Refusal::Signature
            };
            assert_eq!(v.verify(&forged, NOW).err(), Some(want));
            assert_eq!(v.verifier.verify_signature(&forged).err(), Some(want));
            // The MAC of another algorithm under this header: refused.
            let other = ALL[(ALL.iter().position(|a| *a == alg).unwrap_or(0) + 1) % 3];
            let swapped = token(header.as_bytes(), data, other, SECRET_A);
            assert!(v.verify(&swapped, NOW).is_err());
        }
    }
}

/// Way 3: the bytes as the header, signed here with the alg it names (HS256 otherwise).
fn as_header(cfg: &Config, data: &[u8]) {
    const CLAIMS: &[u8] = br#"{"sub":"fuzz","exp":4102444800}"#;
    let parsed = json::parse_object(data);
    let named = parsed
        .as_ref()
        .ok()
        .and_then(|h| h.get("alg"))
        .and_then(Value::as_str)
        .and_then(|name| Algorithm::from_name(name.as_bytes()));
    let alg = named.unwrap_or(Algorithm::HS256);
    let t = token(data, CLAIMS, alg, SECRET_A);
    let want = match &parsed {
        Err(_) => Err(Refusal::Malformed),
        Ok(header) => model_header(header, cfg.algorithms).and_then(|_| {
            if holds_key(cfg, alg) {
                Ok(())
            } else {
                Err(Refusal::Signature)
            }
        }),
    };
    let got = cfg.verifier.verify(&t, NOW);
    assert_eq!(
        got.as_ref().map(|_| ()).map_err(|e| *e),
        want,
        "header {:?}",
        String::from_utf8_lossy(data)
    );
    let first = cfg.verifier.verifier.verify_signature(&t);
    assert_eq!(first.as_ref().map(|_| ()).map_err(|e| *e), want);
    if let (Ok(verified), Ok(header)) = (got, parsed) {
        assert_eq!(verified.header(), &header);
        let claims = json::parse_object(CLAIMS).expect("claims parse");
        check_lookups(&verified, &claims, &header);
    }
}

fuzz_target!(|data: &[u8]| {
    // The core's encoder is the model's.
    assert_eq!(b64::encode(data), STRICT.encode(data), "base64url encoding");
    CONFIGS.with(|configs| {
        for cfg in configs {
            arbitrary_token(cfg, data);
        }
        as_claims(&configs[1], data, &ALL);
        as_claims(&configs[2], data, &[Algorithm::HS512, Algorithm::HS256]);
        as_claims(&configs[4], data, &WITH_PUBLIC);
        as_header(&configs[0], data);
        as_header(&configs[1], data);
        as_header(&configs[4], data);
    });
});
