//! The `callback` profile's body comparison, with bodies and tokens built from the input.
//!
//! The input is read as JSON (an object is used as the callback's fields; anything else is
//! put into a field), `key`, `status` and `exp` are made present, and the fields are signed
//! the way the Document Server signs a callback: a flat body token and a header token with
//! the fields under `payload`. Then:
//! - the genuine shapes (body token, header token, both, the body written with other white
//!   space, and the size trim: a body and header `payload` without `changesurl` and with
//!   `history: {}`) must be accepted, and a header token nested deeper than the strict
//!   parser's limit ([`json::MAX_DEPTH`]) refused as malformed;
//! - a body with a member the tokens lack, or with one value changed, must be refused with
//!   `body_mismatch`;
//! - the raw input as the body, next to the genuine tokens, must not panic.
//!
//! Nothing depends on the length of the tokens: the verifier has no length limit.

#![no_main]

use std::rc::Rc;

use libfuzzer_sys::fuzz_target;
use onlyoffice_jwt_core::policy::{check, Header, RequestParts};
use onlyoffice_jwt_core::{
    b64, json, Algorithm, AlgorithmSet, CachedVerifier, Key, Profile, Refusal, Verifier,
};
use serde_json::{Map, Value};

const NOW: i64 = 1_735_732_900;
const EXP: i64 = NOW + 300;
const SECRET: &[u8] = b"fuzz-callback-secret-0123456789abcdef";

thread_local! {
    static KEY: Key = Key::new(SECRET);
    static VERIFIER: CachedVerifier = {
        let mut set = AlgorithmSet::empty();
        set.insert(Algorithm::HS256);
        CachedVerifier::from(Verifier {
            keys: Rc::from(vec![Key::new(SECRET)]),
            algorithms: set,
            leeway: 60,
            require_exp: Profile::Callback.requires_exp_by_default(),
            ..Verifier::default()
        })
    };
}

fn sign(claims: &Map<String, Value>) -> String {
    let header = br#"{"alg":"HS256","typ":"JWT"}"#;
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    let input = format!("{}.{}", b64::encode(header), b64::encode(&claims));
    let sig = KEY
        .with(|key| key.sign(Algorithm::HS256, input.as_bytes()))
        .unwrap_or_default();
    format!("{input}.{sig}")
}

/// Nesting depth of a value (a scalar is 0).
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The callback's fields, from any input.
fn fields_of(data: &[u8]) -> Map<String, Value> {
    let mut fields = match json::parse(data) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            let mut map = Map::new();
            map.insert("url".into(), other);
            map
        }
        Err(_) => {
            let mut map = Map::new();
            map.insert("url".into(), Value::from(String::from_utf8_lossy(data)));
            map
        }
    };
    fields.remove("token");
    fields.remove("nbf");
    fields.remove("iat");
    fields
        .entry("key")
        .or_insert_with(|| Value::from("a1b2c3d4e5f6a7b8c9d0"));
    fields.entry("status").or_insert_with(|| Value::from(2));
    fields.insert("exp".into(), Value::from(EXP));
    fields
}

fn run(body: &[u8], header: Option<&str>) -> Result<(), Refusal> {
    let value = header.map(|t| format!("Bearer {t}").into_bytes());
    let headers: Vec<&[u8]> = value.iter().map(Vec::as_slice).collect();
    let parts = RequestParts {
        token_override: None,
        header: Header::of(&headers),
        args: b"",
        body: Some(body),
        request_uri: b"/onlyoffice/editor-callback/",
    };
    VERIFIER.with(|v| check(Profile::Callback, &parts, v, NOW).map(|_| ()))
}

fn with_token(fields: &Map<String, Value>, token: &str) -> Vec<u8> {
    let mut body = fields.clone();
    body.insert("token".into(), Value::from(token));
    serde_json::to_vec(&body).unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let fields = fields_of(data);
    let body_token = sign(&fields);
    let mut wrapped = Map::new();
    wrapped.insert("payload".into(), Value::Object(fields.clone()));
    wrapped.insert("iat".into(), Value::from(NOW));
    wrapped.insert("exp".into(), Value::from(EXP));
    let header_token = sign(&wrapped);

    let bare = serde_json::to_vec(&fields).unwrap_or_default();
    let with_body_token = with_token(&fields, &body_token);

    // Anything goes for the raw input: no panic.
    let _ = run(data, Some(&header_token));
    let _ = run(data, None);

    // The fields come from a strict parse (or are a flat object), so they are within the
    // nesting limit; the header token's claims are one level deeper and may not be.
    assert!(depth(&Value::Object(fields.clone())) <= json::MAX_DEPTH);
    let fits = depth(&Value::Object(wrapped.clone())) <= json::MAX_DEPTH;

    let mut pretty = fields.clone();
    pretty.insert("token".into(), Value::from(body_token.as_str()));
    let pretty = serde_json::to_vec_pretty(&pretty).unwrap_or_default();
    assert_eq!(
        run(&with_body_token, None),
        Ok(()),
        "body token: {:?}",
        String::from_utf8_lossy(&bare)
    );
    assert_eq!(run(&pretty, None), Ok(()), "body token, pretty body");
    let genuine = [
        ("header token", run(&bare, Some(&header_token))),
        ("both tokens", run(&with_body_token, Some(&header_token))),
        (
            "both tokens, pretty body",
            run(&pretty, Some(&header_token)),
        ),
    ];
    for (name, got) in &genuine {
        // Too deep, the header token's claims are not strict JSON.
        let want = if fits {
            Ok(())
        } else {
            Err(Refusal::Malformed)
        };
        assert_eq!(got, &want, "{name}: {:?}", String::from_utf8_lossy(&bare));
    }

    // The Document Server's size trim: header payload and body without changesurl and with
    // history {}, the body token untrimmed.
    if fields.contains_key("history") || fields.contains_key("changesurl") {
        let mut trimmed = fields.clone();
        trimmed.remove("changesurl");
        if trimmed.contains_key("history") {
            trimmed.insert("history".into(), Value::Object(Map::new()));
        }
        let mut wrapped_trimmed = wrapped.clone();
        wrapped_trimmed.insert("payload".into(), Value::Object(trimmed.clone()));
        let trimmed_header = sign(&wrapped_trimmed);
        let got = run(&with_token(&trimmed, &body_token), Some(&trimmed_header));
        if fits {
            assert_eq!(got, Ok(()), "trimmed");
        }
        // A trimmed header token alone checks nothing of another body `history`: only `{}`
        // matches it.
        let untrimmed_history = fields
            .get("history")
            .is_some_and(|h| !h.as_object().is_some_and(Map::is_empty));
        if fits && untrimmed_history {
            let mut body = trimmed.clone();
            body.insert(
                "history".into(),
                fields.get("history").cloned().unwrap_or_default(),
            );
            assert_eq!(
                run(
                    &serde_json::to_vec(&body).unwrap_or_default(),
                    Some(&trimmed_header)
                ),
                Err(Refusal::BodyMismatch),
                "trimmed header token alone, body history not {{}}"
            );
        }
        // Only the header token is trimmed: a body `history` of `{}` against the body
        // token's non-empty one, without a trimmed header token, is refused.
        let signed_empty = fields
            .get("history")
            .is_some_and(|h| h.as_object().is_some_and(Map::is_empty));
        if trimmed.contains_key("history") && !signed_empty {
            assert_eq!(
                run(&with_token(&trimmed, &body_token), None),
                Err(Refusal::BodyMismatch),
                "body history trimmed, body token alone"
            );
            if fits {
                assert_eq!(
                    run(&with_token(&trimmed, &body_token), Some(&header_token)),
                    Err(Refusal::BodyMismatch),
                    "body history trimmed, header token not"
                );
            }
        }
    }

    // A member the tokens lack.
    let mut extra_name = String::from("fuzz_extra");
    while fields.contains_key(&extra_name) {
        extra_name.push('_');
    }
    let mut extra = fields.clone();
    extra.insert(extra_name, Value::from(1));
    let got_body = run(&with_token(&extra, &body_token), None);
    let got_header = run(
        &serde_json::to_vec(&extra).unwrap_or_default(),
        Some(&header_token),
    );
    assert_eq!(
        got_body,
        Err(Refusal::BodyMismatch),
        "extra member, body token"
    );
    if fits {
        assert_eq!(
            got_header,
            Err(Refusal::BodyMismatch),
            "extra member, header token"
        );
    }

    // One value changed (wrapped in an array, which differs from any value). `history` is
    // left alone: a header token's `{}` matches anything.
    let changed_name = fields.keys().find(|n| n.as_str() != "history").cloned();
    if let Some(name) = changed_name {
        let mut changed = fields.clone();
        let old = changed.get(&name).cloned().unwrap_or(Value::Null);
        changed.insert(name.clone(), Value::Array(vec![old]));
        let got_body = run(&with_token(&changed, &body_token), None);
        let got_header = run(
            &serde_json::to_vec(&changed).unwrap_or_default(),
            Some(&header_token),
        );
        // The changed body is one level deeper where the value was wrapped.
        if depth(&Value::Object(changed.clone())) <= json::MAX_DEPTH {
            assert_eq!(
                got_body,
                Err(Refusal::BodyMismatch),
                "{name} changed, body token"
            );
        }
        if fits && depth(&Value::Object(changed.clone())) <= json::MAX_DEPTH {
            assert_eq!(
                got_header,
                Err(Refusal::BodyMismatch),
                "{name} changed, header token"
            );
        }
    }
});
