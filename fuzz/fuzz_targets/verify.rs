//! `Verifier::verify` on arbitrary bytes, with a model of what it must answer.
//!
//! Each input is used three ways:
//! 1. as a token, for several configurations (keys, algorithms, leeway, `require_exp`) and
//!    clocks: `verify` and `verify_parsed` must agree, and an accepted token must carry the
//!    canonical MAC of a configured key under its header's allowed `alg`;
//! 2. as the claims of a token signed here with a configured key (and with a foreign one):
//!    the verdict must be what a plain model of RFC 7519 and the module's rules says;
//! 3. as the header of a token signed here: likewise for `alg` and `crit`.
//!
//! Ways 2 and 3 reach the code after the signature check, which random tokens never do.

#![no_main]

use std::rc::Rc;

use libfuzzer_sys::fuzz_target;
use onlyoffice_jwt_core::jws::MAX_TOKEN_LEN;
use onlyoffice_jwt_core::{b64, json, Algorithm, AlgorithmSet, Key, Refusal, Verifier};
use serde_json::{Map, Value};

const NOW: i64 = 1_735_732_900;
const SECRET_A: &[u8] = b"fuzz-secret-a-0123456789abcdefghijkl";
const SECRET_B: &[u8] = b"b";
const FOREIGN: &[u8] = b"fuzz-secret-not-configured-0123456789";
const ALL: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

struct Config {
    verifier: Verifier,
    secrets: &'static [&'static [u8]],
    algorithms: &'static [Algorithm],
}

fn config(
    secrets: &'static [&'static [u8]],
    algorithms: &'static [Algorithm],
    leeway: i64,
    require_exp: bool,
) -> Config {
    let mut set = AlgorithmSet::empty();
    for alg in algorithms {
        set.insert(*alg);
    }
    Config {
        verifier: Verifier {
            keys: Rc::from(secrets.iter().map(|s| Key::new(s)).collect::<Vec<_>>()),
            algorithms: set,
            leeway,
            require_exp,
        },
        secrets,
        algorithms,
    }
}

thread_local! {
    static CONFIGS: [Config; 4] = [
        // the default: one secret, HS256
        config(&[SECRET_A], &[Algorithm::HS256], 60, false),
        // rotation: two secrets (one empty-ish), every algorithm
        config(&[SECRET_B, SECRET_A], &ALL, 60, false),
        // callback-like: exp required, no leeway, HS512 only
        config(&[SECRET_A], &[Algorithm::HS512], 0, true),
        // extreme leeway
        config(&[SECRET_A, b""], &[Algorithm::HS384, Algorithm::HS256], i64::MAX, false),
    ];
}

thread_local! {
    /// The keyed states of every secret used here, computed once.
    static KEYS: Vec<(&'static [u8], Key)> =
        [SECRET_A, SECRET_B, FOREIGN, b""].iter().map(|s| (*s, Key::new(s))).collect();
}

/// The signature segment of `input` under `alg` with `secret`.
fn mac(secret: &[u8], alg: Algorithm, input: &[u8]) -> Option<String> {
    KEYS.with(|keys| {
        keys.iter()
            .find(|(s, _)| *s == secret)
            .and_then(|(_, key)| key.sign(alg, input))
    })
}

fn token(header: &[u8], claims: &[u8], alg: Algorithm, secret: &[u8]) -> Vec<u8> {
    let input = format!("{}.{}", b64::encode(header), b64::encode(claims));
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

/// Way 1: any bytes as a token.
fn arbitrary_token(cfg: &Config, data: &[u8]) {
    for now in [NOW, 0, i64::MAX, i64::MIN] {
        let lazy = cfg.verifier.verify(data, now);
        let parsed = cfg.verifier.verify_parsed(data, now);
        assert_eq!(lazy, parsed, "verify and verify_parsed disagree");
        let Ok(verified) = lazy else { continue };
        // The lazily parsed claims are the strict parse of the signed text.
        assert_eq!(
            json::parse_object(verified.claims_json()).as_ref(),
            Ok(verified.claims())
        );
        // An accepted token carries the canonical MAC of a configured key, under an
        // allowed alg that its header names.
        let text = std::str::from_utf8(data).expect("an accepted token is ASCII");
        let mut parts = text.split('.');
        let (Some(h), Some(c), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            panic!("accepted a token that is not three segments");
        };
        let header = b64::decode(h.as_bytes()).expect("header base64url");
        let header = json::parse_object(&header).expect("header JSON");
        let alg = model_header(&header, cfg.algorithms).expect("allowed alg");
        assert_eq!(&header, verified.header());
        let input = format!("{h}.{c}");
        assert!(
            cfg.secrets
                .iter()
                .any(|k| mac(k, alg, input.as_bytes()).as_deref() == Some(s)),
            "accepted a token no configured key signed"
        );
        assert_eq!(
            b64::decode(c.as_bytes()).as_deref(),
            Some(verified.claims_json())
        );
    }
}

/// Way 2: the bytes as claims, signed here with each of `algs`, under the usual header
/// (which takes the verifier's fast path) and an unusual one.
fn as_claims(cfg: &Config, data: &[u8], algs: &[Algorithm]) {
    for &alg in algs {
        let header_std = format!(r#"{{"alg":"{}","typ":"JWT"}}"#, alg.name());
        let header_odd = format!(r#"{{"typ":"JWT","alg":"{}","kid":"k1"}}"#, alg.name());
        for (i, header) in [header_std, header_odd].into_iter().enumerate() {
            let t = token(header.as_bytes(), data, alg, SECRET_A);
            let v = &cfg.verifier;
            // An empty claims segment is not a compact JWS.
            let want = if t.len() > MAX_TOKEN_LEN || data.is_empty() {
                Err(Refusal::Malformed)
            } else if !cfg.algorithms.contains(&alg) {
                Err(Refusal::Algorithm)
            } else if !cfg.secrets.contains(&SECRET_A) {
                Err(Refusal::Signature)
            } else {
                model_claims(data, v.leeway, v.require_exp, NOW)
            };
            let got = v.verify(&t, NOW);
            assert_eq!(
                got.as_ref().map(|_| ()).map_err(|e| *e),
                want,
                "claims {:?}",
                String::from_utf8_lossy(data)
            );
            assert_eq!(v.verify_parsed(&t, NOW).map(|_| ()), want);
            if let Ok(verified) = got {
                assert_eq!(verified.claims_json(), data);
                assert_eq!(json::parse_object(data).as_ref(), Ok(verified.claims()));
            }
            if i > 0 {
                continue;
            }
            // Signed with a key that is not configured: refused, whatever the claims.
            let forged = token(header.as_bytes(), data, alg, FOREIGN);
            let want = if forged.len() > MAX_TOKEN_LEN || data.is_empty() {
                Refusal::Malformed
            } else if !cfg.algorithms.contains(&alg) {
                Refusal::Algorithm
            } else {
                Refusal::Signature
            };
            assert_eq!(v.verify(&forged, NOW).err(), Some(want));
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
    let want = if t.len() > MAX_TOKEN_LEN {
        Err(Refusal::Malformed)
    } else {
        match &parsed {
            Err(_) => Err(Refusal::Malformed),
            Ok(header) => model_header(header, cfg.algorithms).and_then(|_| {
                if cfg.secrets.contains(&SECRET_A) {
                    Ok(())
                } else {
                    Err(Refusal::Signature)
                }
            }),
        }
    };
    let got = cfg.verifier.verify(&t, NOW);
    assert_eq!(
        got.as_ref().map(|_| ()).map_err(|e| *e),
        want,
        "header {:?}",
        String::from_utf8_lossy(data)
    );
    if let (Ok(verified), Ok(header)) = (got, parsed) {
        assert_eq!(verified.header(), &header);
    }
}

fuzz_target!(|data: &[u8]| {
    CONFIGS.with(|configs| {
        for cfg in configs {
            arbitrary_token(cfg, data);
        }
        as_claims(&configs[1], data, &ALL);
        as_claims(&configs[2], data, &[Algorithm::HS512, Algorithm::HS256]);
        as_header(&configs[0], data);
        as_header(&configs[1], data);
    });
});
