//! Verification of tokens minted by an independent implementation (`jsonwebtoken`):
//! algorithms, key rotation, leeway edges, `require_exp`.

mod common;

use common::*;
use onlyoffice_jwt_core::{Algorithm, Refusal};
use serde_json::{json, Value};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_735_732_900;

#[test]
fn accepts_each_algorithm_when_allowed() {
    for alg in ALL {
        let claims = json!({"sub": "alice", "n": 1, "exp": NOW + 300});
        let token = mint(alg, &claims, SECRET);
        let v = verifier(&[SECRET], &[alg], 0, false);
        let verified = v.verify(token.as_bytes(), NOW).expect("valid token");
        assert_eq!(Value::Object(verified.claims().clone()), claims);
        assert_eq!(verified.header().get("alg"), Some(&json!(alg.name())));
        assert_eq!(verified.header().get("typ"), Some(&json!("JWT")));
    }
}

#[test]
fn refuses_algorithms_not_allowed() {
    for alg in ALL {
        let token = mint(alg, &json!({"a": 1}), SECRET);
        let others: Vec<Algorithm> = ALL.into_iter().filter(|a| *a != alg).collect();
        let v = verifier(&[SECRET], &others, 0, false);
        assert_eq!(v.verify(token.as_bytes(), NOW), Err(Refusal::Algorithm));
        let none = verifier(&[SECRET], &[], 0, false);
        assert_eq!(none.verify(token.as_bytes(), NOW), Err(Refusal::Algorithm));
    }
}

#[test]
fn default_set_is_hs256_only() {
    let mut v = hs256(SECRET, 0);
    v.verifier.algorithms = onlyoffice_jwt_core::AlgorithmSet::default_set();
    assert!(v
        .verify(mint(Algorithm::HS256, &json!({}), SECRET).as_bytes(), NOW)
        .is_ok());
    assert_eq!(
        v.verify(mint(Algorithm::HS512, &json!({}), SECRET).as_bytes(), NOW),
        Err(Refusal::Algorithm)
    );
}

#[test]
fn rotation_any_configured_key_verifies() {
    let old: &[u8] = b"old-secret-old-secret-old-secret";
    let new: &[u8] = b"new-secret-new-secret-new-secret";
    let other: &[u8] = b"someone-elses-secret-xxxxxxxxxxx";
    let v = verifier(&[new, old], &ALL, 0, false);
    for alg in ALL {
        assert!(v
            .verify(mint(alg, &json!({"k": "old"}), old).as_bytes(), NOW)
            .is_ok());
        assert!(v
            .verify(mint(alg, &json!({"k": "new"}), new).as_bytes(), NOW)
            .is_ok());
        assert_eq!(
            v.verify(mint(alg, &json!({"k": "x"}), other).as_bytes(), NOW),
            Err(Refusal::Signature)
        );
    }
    let no_keys = verifier(&[], &ALL, 0, false);
    assert_eq!(
        no_keys.verify(mint(Algorithm::HS256, &json!({}), old).as_bytes(), NOW),
        Err(Refusal::Signature)
    );
}

#[test]
fn short_long_and_empty_secrets() {
    let long = vec![0x5a; 300];
    for secret in [&b""[..], b"secret", &long[..]] {
        let v = verifier(&[secret], &ALL, 0, false);
        for alg in ALL {
            let t = mint(alg, &json!({"x": true}), secret);
            assert!(
                v.verify(t.as_bytes(), NOW).is_ok(),
                "{alg:?} {}",
                secret.len()
            );
        }
    }
    // A key longer than the block is hashed: its hash, as a key, gives the same MAC (HMAC's
    // definition); a different long key does not.
    let v = verifier(&[&long[..]], &ALL, 0, false);
    let mut other = long.clone();
    other[299] = 0;
    let t = mint(Algorithm::HS256, &json!({}), &other);
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Signature));
}

#[test]
fn exp_edges() {
    let exp = NOW;
    let t = mint(Algorithm::HS256, &json!({"exp": exp}), SECRET);
    // leeway 0: valid strictly before exp, expired at exp ("on or after").
    let v = hs256(SECRET, 0);
    assert!(v.verify(t.as_bytes(), exp - 1).is_ok());
    assert_eq!(v.verify(t.as_bytes(), exp), Err(Refusal::Expired));
    // leeway 60: valid until exp + 59, expired at exp + 60.
    let v = hs256(SECRET, 60);
    assert!(v.verify(t.as_bytes(), exp + 59).is_ok());
    assert_eq!(v.verify(t.as_bytes(), exp + 60), Err(Refusal::Expired));
    assert_eq!(v.verify(t.as_bytes(), exp + 10_000), Err(Refusal::Expired));
}

#[test]
fn fractional_exp() {
    let t = mint(Algorithm::HS256, &json!({"exp": 1000.5}), SECRET);
    let v = hs256(SECRET, 0);
    assert!(v.verify(t.as_bytes(), 1000).is_ok());
    assert_eq!(v.verify(t.as_bytes(), 1001), Err(Refusal::Expired));
    let v = hs256(SECRET, 60);
    assert!(v.verify(t.as_bytes(), 1060).is_ok());
    assert_eq!(v.verify(t.as_bytes(), 1061), Err(Refusal::Expired));
}

#[test]
fn nbf_edges() {
    let nbf = NOW;
    let t = mint(Algorithm::HS256, &json!({"nbf": nbf}), SECRET);
    let v = hs256(SECRET, 0);
    assert!(v.verify(t.as_bytes(), nbf).is_ok(), "nbf == now is valid");
    assert_eq!(v.verify(t.as_bytes(), nbf - 1), Err(Refusal::NotYetValid));
    let v = hs256(SECRET, 60);
    assert!(v.verify(t.as_bytes(), nbf - 60).is_ok());
    assert_eq!(v.verify(t.as_bytes(), nbf - 61), Err(Refusal::NotYetValid));
}

#[test]
fn iat_edges() {
    let iat = NOW;
    let t = mint(Algorithm::HS256, &json!({"iat": iat}), SECRET);
    let v = hs256(SECRET, 0);
    assert!(v.verify(t.as_bytes(), iat).is_ok());
    assert!(
        v.verify(t.as_bytes(), iat + 1_000_000).is_ok(),
        "old iat alone is fine"
    );
    assert_eq!(v.verify(t.as_bytes(), iat - 1), Err(Refusal::NotYetValid));
    let v = hs256(SECRET, 60);
    assert!(v.verify(t.as_bytes(), iat - 60).is_ok());
    assert_eq!(v.verify(t.as_bytes(), iat - 61), Err(Refusal::NotYetValid));
}

#[test]
fn require_exp() {
    let without = mint(Algorithm::HS256, &json!({"iat": NOW}), SECRET);
    let with = mint(
        Algorithm::HS256,
        &json!({"iat": NOW, "exp": NOW + 300}),
        SECRET,
    );
    let strict = verifier(&[SECRET], &ALL, 60, true);
    let lax = verifier(&[SECRET], &ALL, 60, false);
    assert_eq!(
        strict.verify(without.as_bytes(), NOW),
        Err(Refusal::Expired)
    );
    assert!(lax.verify(without.as_bytes(), NOW).is_ok());
    assert!(strict.verify(with.as_bytes(), NOW).is_ok());
    // A token without exp never expires when exp is not required.
    assert!(lax
        .verify(without.as_bytes(), NOW + 100 * 365 * 86_400)
        .is_ok());
}

#[test]
fn time_claims_of_wrong_type_are_malformed() {
    let v = hs256(SECRET, 60);
    for name in ["exp", "nbf", "iat"] {
        for value in [
            json!("4133862000"),
            json!(null),
            json!(true),
            json!(false),
            json!([]),
            json!({}),
        ] {
            let t = mint(Algorithm::HS256, &json!({ name: value }), SECRET);
            assert_eq!(
                v.verify(t.as_bytes(), NOW),
                Err(Refusal::Malformed),
                "{name}: {value}"
            );
        }
    }
}

#[test]
fn huge_and_odd_numbers() {
    let v = hs256(SECRET, 60);
    let cases: &[(&str, Result<(), Refusal>)] = &[
        (r#"{"exp":1e300}"#, Ok(())),
        (r#"{"exp":-1e300}"#, Err(Refusal::Expired)),
        (r#"{"exp":9999999999999999999999}"#, Ok(())),
        (r#"{"exp":18446744073709551615}"#, Ok(())),
        (r#"{"exp":-9223372036854775808}"#, Err(Refusal::Expired)),
        (r#"{"exp":0}"#, Err(Refusal::Expired)),
        (r#"{"exp":-0}"#, Err(Refusal::Expired)),
        (r#"{"exp":1e10}"#, Ok(())),
        (r#"{"nbf":1e300}"#, Err(Refusal::NotYetValid)),
        (r#"{"nbf":-1e300}"#, Ok(())),
        (r#"{"iat":1e300}"#, Err(Refusal::NotYetValid)),
        (r#"{"iat":18446744073709551615}"#, Err(Refusal::NotYetValid)),
        (r#"{"exp":1e400}"#, Err(Refusal::Malformed)),
        (r#"{"nbf":-1e400}"#, Err(Refusal::Malformed)),
    ];
    for (claims, want) in cases {
        let t = hs256_token(r#"{"alg":"HS256"}"#, claims, SECRET);
        for now in [NOW, i64::MAX, i64::MIN, 0] {
            let got = v.verify(t.as_bytes(), now).map(|_| ());
            if now == NOW {
                assert_eq!(&got, want, "{claims}");
            }
        }
    }
    // Extreme clocks and leeways do not overflow.
    let extreme = verifier(&[SECRET], &ALL, i64::MAX, true);
    let t = hs256_token(r#"{"alg":"HS256"}"#, r#"{"exp":1,"nbf":2,"iat":3}"#, SECRET);
    for now in [i64::MIN, -1, 0, i64::MAX] {
        let _ = extreme.verify(t.as_bytes(), now);
    }
}

#[test]
fn expiry_is_checked_before_not_before() {
    let v = hs256(SECRET, 0);
    let t = mint(Algorithm::HS256, &json!({"exp": 10, "nbf": 100}), SECRET);
    assert_eq!(v.verify(t.as_bytes(), 50), Err(Refusal::Expired));
}

#[test]
fn claims_and_header_are_kept_exactly() {
    let claims = json!({"z": 1, "a": {"y": [1, 2.5, "x"], "b": null}, "payload": {"c": "info"}});
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("key-1".to_owned());
    let t = mint_with_header(&header, &claims, SECRET);
    let verified = hs256(SECRET, 0).verify(t.as_bytes(), NOW).expect("valid");
    assert_eq!(Value::Object(verified.claims().clone()), claims);
    // The claims' text is kept exactly as signed ($jwt_payload shows it).
    let segment = t.split('.').nth(1).expect("claims segment");
    assert_eq!(
        Some(verified.claims_json().to_vec()),
        onlyoffice_jwt_core::b64::decode(segment.as_bytes())
    );
    assert_eq!(verified.header().get("kid"), Some(&json!("key-1")));
    assert_eq!(verified.claim("c"), Some(&json!("info")));
}
