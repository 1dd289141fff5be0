//! The module's own JSON scanner and base64url decoder against the libraries they replace on
//! the request path: on every input they must give the same verdict.
//!
//! - `scan::scan` (one pass, builds nothing) must accept exactly what `json::parse`
//!   (serde_json with duplicate names refused) accepts (the kind of error may differ when an
//!   input has both a duplicate name and a later syntax error: serde_json sees the duplicate
//!   first, the scanner compares names at the end of each object; every caller refuses both
//!   kinds alike); for an
//!   object, the member names and raw texts it lists must be the parsed object's, each raw
//!   text parsing to the member's value, and the same for a `payload` object member.
//! - the short loop that keeps only the time claims (a bearer token's claims, and nothing
//!   listed) must give the verdict, the time claims and the depth of the listing loop above,
//!   and `scan::scan_object_times` must give them too for an object.
//! - `b64::decode` (a table) must agree with the base64 crate's strict URL-safe engine.
//! - an input with a newline is also a callback body (before it) and claims (after it): the
//!   claims scanned with the body's members as known values must give what they give alone.

#![no_main]

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use libfuzzer_sys::fuzz_target;
use onlyoffice_jwt_core::scan::{scan, scan_object_times, TopLevel};
use onlyoffice_jwt_core::{b64, json};
use serde_json::Value;

const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

fuzz_target!(|data: &[u8]| {
    assert_eq!(b64::decode(data), STRICT.decode(data).ok(), "base64url");

    let mut top = TopLevel {
        members: Some(Vec::new()),
        payload: Some(Vec::new()),
        ..TopLevel::default()
    };
    let scanned = scan(data, &mut top);
    let parsed = json::parse(data);
    match (&scanned, &parsed) {
        (Ok(()), Ok(value)) => {
            if let Value::Object(map) = value {
                let members = top.members.unwrap_or_default();
                assert_eq!(members.len(), map.len(), "member count");
                for (name, raw) in &members {
                    let raw_value = json::parse(raw).expect("a member's raw text parses");
                    assert_eq!(map.get(&**name), Some(&raw_value), "member {name}");
                }
                if let Some(Value::Object(payload)) = map.get("payload") {
                    let listed = top.payload.unwrap_or_default();
                    assert_eq!(listed.len(), payload.len(), "payload member count");
                    for (name, raw) in &listed {
                        let raw_value = json::parse(raw).expect("a payload raw text parses");
                        assert_eq!(payload.get(&**name), Some(&raw_value), "payload {name}");
                    }
                }
            }
        }
        (Err(_), Err(_)) => {}
        _ => panic!("scanner {scanned:?} but serde_json {parsed:?}"),
    }

    // Nothing listed: the short loop, whose verdict and time claims must be the same.
    let mut plain = TopLevel::default();
    let plain_scanned = scan(data, &mut plain);
    assert_eq!(plain_scanned, scanned, "short loop verdict");
    assert_eq!(plain.times, top.times, "short loop time claims");
    assert_eq!(plain.deepest, top.deepest, "short loop depth");
    let is_object = data
        .iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        == Some(&b'{');
    match scan_object_times(data, None) {
        Ok(times) => {
            assert!(scanned.is_ok() && is_object, "times-only scan accepted");
            assert_eq!(times, top.times, "times-only scan time claims");
        }
        Err(e) => assert!(!is_object || scanned == Err(e), "times-only scan error"),
    }

    // Split at the first newline into a body and a claims text: skipping the body's known
    // member values must change nothing of what the claims scan gives.
    if let Some(at) = data.iter().position(|b| *b == b'\n') {
        let (body, claims) = (&data[..at], &data[at + 1..]);
        if let Ok(known) = json::scan_members(body) {
            let none = json::Members::default();
            let alone = json::scan_members_and_payload(claims, &none);
            let knowing = json::scan_members_and_payload(claims, &known);
            match (&alone, &knowing) {
                (Ok((a, ap)), Ok((k, kp))) => {
                    assert!(a.iter().eq(k.iter()), "members with known values");
                    assert!(ap.iter().eq(kp.iter()), "payload with known values");
                }
                (Err(a), Err(k)) => assert_eq!(a, k, "error with known values"),
                _ => panic!("known values changed the verdict: {alone:?} vs {knowing:?}"),
            }
        }
    }
});
