//! Helpers shared by the integration tests: verifiers, hand-built tokens and tokens minted
//! by the `jsonwebtoken` crate (an independent implementation).

#![allow(dead_code)]

use std::rc::Rc;

use onlyoffice_jwt_core::{b64, Algorithm, AlgorithmSet, CachedVerifier, Key, Verifier};
use serde_json::Value;

/// All three HMAC algorithms.
pub const ALL: [Algorithm; 3] = [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512];

/// A set of algorithms.
pub fn algs(list: &[Algorithm]) -> AlgorithmSet {
    let mut set = AlgorithmSet::empty();
    for alg in list {
        set.insert(*alg);
    }
    set
}

/// A verifier with the given secrets, algorithms, leeway and `require_exp`.
pub fn verifier(
    secrets: &[&[u8]],
    allowed: &[Algorithm],
    leeway: i64,
    require_exp: bool,
) -> CachedVerifier {
    CachedVerifier::from(Verifier {
        keys: Rc::from(secrets.iter().map(|s| Key::new(s)).collect::<Vec<_>>()),
        algorithms: algs(allowed),
        leeway,
        require_exp,
        ..Verifier::default()
    })
}

/// A verifier with one secret, HS256 only, the given leeway, `exp` not required.
pub fn hs256(secret: &[u8], leeway: i64) -> CachedVerifier {
    verifier(&[secret], &[Algorithm::HS256], leeway, false)
}

/// `b64(header).b64(claims).b64(HMAC(secret, ...))`, the MAC computed with `alg` whatever
/// the header says.
pub fn sign_raw(alg: Algorithm, header: &[u8], claims: &[u8], secret: &[u8]) -> String {
    let input = format!("{}.{}", b64::encode(header), b64::encode(claims));
    let sig = Key::new(secret)
        .sign(alg, input.as_bytes())
        .expect("hmac key");
    format!("{input}.{sig}")
}

/// A hand-built HS256 token with header and claims given as JSON text.
pub fn hs256_token(header: &str, claims: &str, secret: &[u8]) -> String {
    sign_raw(
        Algorithm::HS256,
        header.as_bytes(),
        claims.as_bytes(),
        secret,
    )
}

/// Signs `signing_input` (already `header.claims` text) and appends the signature.
pub fn sign_input(alg: Algorithm, signing_input: &str, secret: &[u8]) -> String {
    let sig = Key::new(secret)
        .sign(alg, signing_input.as_bytes())
        .expect("hmac key");
    format!("{signing_input}.{sig}")
}

/// A token minted by the `jsonwebtoken` crate.
pub fn mint(alg: Algorithm, claims: &Value, secret: &[u8]) -> String {
    let alg = match alg {
        Algorithm::HS256 => jsonwebtoken::Algorithm::HS256,
        Algorithm::HS384 => jsonwebtoken::Algorithm::HS384,
        Algorithm::HS512 => jsonwebtoken::Algorithm::HS512,
        other => panic!("{other:?} is not an HMAC algorithm"),
    };
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(alg),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("jsonwebtoken encode")
}

/// A token minted by `jsonwebtoken` with a custom header.
pub fn mint_with_header(header: &jsonwebtoken::Header, claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("jsonwebtoken encode")
}

/// The segments of a compact token.
pub fn segments(token: &str) -> (String, String, String) {
    let mut parts = token.split('.');
    let h = parts.next().unwrap_or_default().to_owned();
    let c = parts.next().unwrap_or_default().to_owned();
    let s = parts.next().unwrap_or_default().to_owned();
    (h, c, s)
}
