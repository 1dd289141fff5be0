//! What the check takes before any token has verified: about twice the size of the request
//! at most (a value tree of a 1 MB array of small numbers used to take 17 MB). The worst
//! shapes here come to 2.0 times; the bound asserted leaves a little room for the growth
//! steps of the allocations.
//! The allocator counts every byte the test binary holds; each shape is checked alone.

mod common;

use common::{hs256, mint};
use onlyoffice_jwt_core::{check, Algorithm, Header, Profile, RequestParts};
use peak_alloc::PeakAlloc;
use serde_json::json;

#[global_allocator]
static ALLOC: PeakAlloc = PeakAlloc;

const MB: usize = 1 << 20;

/// Bytes the check of `parts` holds at its peak, beyond what was held before it.
fn peak_of(profile: Profile, parts: &RequestParts<'_>) -> usize {
    let v = hs256(b"memory-0123456789abcdef0123456789abcdef", 60);
    let before = ALLOC.current_usage();
    ALLOC.reset_peak_usage();
    let verdict = check(profile, parts, &v, 0);
    assert!(verdict.is_err(), "nothing here carries a good token");
    ALLOC.peak_usage().saturating_sub(before)
}

/// `open`, then `item` repeated up to about 1 MB (separated by commas), then `close`.
fn repeated(open: &str, item: &dyn Fn(usize) -> String, close: &str) -> String {
    let mut text = String::from(open);
    let mut i = 0;
    while text.len() < MB {
        if i > 0 {
            text.push(',');
        }
        text.push_str(&item(i));
        i += 1;
    }
    text.push_str(close);
    text
}

#[test]
fn memory_before_a_token_verifies_stays_within_twice_the_request() {
    let deep = format!("{}0{}", "[".repeat(126), "]".repeat(126));
    let forged = mint(
        Algorithm::HS256,
        &json!({"c": "forcesave", "pad": "x".repeat(MB - 200 * 1024)}),
        b"not the secret",
    );
    let shapes: Vec<(&str, String)> = vec![
        (
            "array of small numbers",
            repeated("[", &|_| "0".into(), "]"),
        ),
        (
            "nested arrays, 127 levels",
            repeated("[", &|_| deep.clone(), "]"),
        ),
        (
            "many short members",
            repeated("{", &|i| format!("\"{i:x}\":0"), "}"),
        ),
        ("many empty objects", repeated("[", &|_| "{}".into(), "]")),
        (
            "objects of short members",
            repeated("[", &|i| format!("{{\"a\":{i},\"b\":0,\"c\":0}}"), "]"),
        ),
        (
            "long strings with escapes",
            repeated(
                "{",
                &|i| format!("\"s{i}\":\"{}\"", "\\u0041\\n".repeat(64)),
                "}",
            ),
        ),
        (
            "names with escapes",
            repeated("{", &|i| format!("\"\\u0061{i:x}\":0"), "}"),
        ),
        (
            "a forged 1 MB body token",
            json!({ "token": forged }).to_string(),
        ),
    ];
    for (name, body) in &shapes {
        for profile in [Profile::Callback, Profile::Command] {
            let parts = RequestParts {
                body: Some(body.as_bytes()),
                ..Default::default()
            };
            let peak = peak_of(profile, &parts);
            let ratio = peak as f64 / body.len() as f64;
            println!(
                "{name:<28} {:>8} bytes, {:?}: {peak:>8} bytes at the peak ({ratio:.2} x)",
                body.len(),
                profile
            );
            assert!(ratio <= 2.25, "{name}, {profile:?}: {ratio:.2} x the body");
        }
    }
    // a forged header token of 1 MB (nginx would need header buffers that large)
    let header = format!("Bearer {forged}");
    let headers = [header.as_bytes()];
    let parts = RequestParts {
        header: Header::of(&headers),
        ..Default::default()
    };
    let peak = peak_of(Profile::Bearer, &parts);
    println!("forged 1 MB header token: {peak} bytes at the peak");
    assert!(peak as f64 <= 2.25 * header.len() as f64);
}
