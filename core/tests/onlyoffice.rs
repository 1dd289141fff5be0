//! The ONLYOFFICE request shapes (protocol reference §3) through `policy::check`.

mod common;

use common::*;
use onlyoffice_jwt_core::policy::{check, Accepted, Header, RequestParts};
use onlyoffice_jwt_core::{Algorithm, CachedVerifier, Profile, Refusal};
use serde_json::{json, Value};

const DS_SECRET: &[u8] = b"my_jwt_secret";
const IAT: i64 = 1_735_732_800;
const NOW: i64 = 1_735_732_900;

/// The exact status-4 callback of the protocol reference.
const STATUS4_BODY: &str = r#"{"key":"a1b2c3d4e5f6a7b8c9d0","status":4,"actions":[{"type":0,"userid":"alice@example.com"}],"token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJrZXkiOiJhMWIyYzNkNGU1ZjZhN2I4YzlkMCIsInN0YXR1cyI6NCwiYWN0aW9ucyI6W3sidHlwZSI6MCwidXNlcmlkIjoiYWxpY2VAZXhhbXBsZS5jb20ifV0sImlhdCI6MTczNTczMjgwMCwiZXhwIjoxNzM1NzMzMTAwfQ.kWZDv3WFbMXMF0HehQt0Hbyd20dnt6CA-9sgPPL4vQw"}"#;
const STATUS4_HEADER: &str = "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJwYXlsb2FkIjp7ImtleSI6ImExYjJjM2Q0ZTVmNmE3YjhjOWQwIiwic3RhdHVzIjo0LCJhY3Rpb25zIjpbeyJ0eXBlIjowLCJ1c2VyaWQiOiJhbGljZUBleGFtcGxlLmNvbSJ9XX0sImlhdCI6MTczNTczMjgwMCwiZXhwIjoxNzM1NzMzMTAwfQ.LDxuG2KrHb_HkzbTLymDGpq3FdbBneU54BKRTkDh2kQ";

/// As the glue builds it for a profile: the DS's HS256..HS512, 60 s leeway, `require_exp` by
/// profile default.
fn ds_verifier(profile: Profile) -> CachedVerifier {
    verifier(&[DS_SECRET], &ALL, 60, profile.requires_exp_by_default())
}

fn run(profile: Profile, parts: &RequestParts<'_>) -> Result<Accepted, Refusal> {
    check(profile, parts, &ds_verifier(profile), NOW)
}

fn parts<'a>(headers: &'a [&'a [u8]], body: Option<&'a [u8]>, args: &'a [u8]) -> RequestParts<'a> {
    RequestParts {
        token_override: None,
        header: Header::of(headers),
        args,
        body,
        request_uri: b"/",
    }
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

/// A DS-style outbox token: `claims` + iat + exp(iat + 300), HS256.
fn ds_sign(claims: &Value) -> String {
    let mut claims = claims.clone();
    if let Some(map) = claims.as_object_mut() {
        map.insert("iat".into(), json!(IAT));
        map.insert("exp".into(), json!(IAT + 300));
    }
    mint(Algorithm::HS256, &claims, DS_SECRET)
}

/// A callback body with its flat body token, and the `{payload}` header token.
fn callback(fields: &Value) -> (Vec<u8>, Vec<u8>) {
    let body_token = ds_sign(fields);
    let header_token = ds_sign(&json!({ "payload": fields }));
    let mut body = fields.clone();
    body.as_object_mut()
        .expect("object")
        .insert("token".into(), json!(body_token));
    (
        serde_json::to_vec(&body).expect("json"),
        bearer(&header_token),
    )
}

fn status2_fields() -> Value {
    json!({
        "key": "a1b2c3d4e5f6a7b8c9d0",
        "status": 2,
        "url": "https://office.example.com/cache/files/data/a1b2c3d4e5f6a7b8c9d0_4711/output.docx/output.docx?md5=abc&expires=1735733700&filename=output.docx",
        "changesurl": "https://office.example.com/cache/files/data/a1b2c3d4e5f6a7b8c9d0_4711/changes.zip/changes.zip?md5=def&expires=1735733700&filename=changes.zip",
        "history": {"serverVersion": "8.2.0", "changes": [{"created": "2025-01-01 11:58:10", "user": {"id": "alice@example.com", "name": "alice"}}]},
        "users": ["alice@example.com"],
        "actions": [{"type": 0, "userid": "alice@example.com"}],
        "lastsave": "2025-01-01T11:58:10.000Z",
        "notmodified": false,
        "filetype": "docx"
    })
}

// ---------------------------------------------------------------------------------------
// callback

#[test]
fn status4_example_with_both_tokens() {
    let header = STATUS4_HEADER.as_bytes();
    let accepted = run(
        Profile::Callback,
        &parts(&[header], Some(STATUS4_BODY.as_bytes()), b""),
    )
    .expect("the reference example verifies");
    // The body token is the authoritative one: flat claims.
    assert_eq!(
        accepted.token.claims().get("key"),
        Some(&json!("a1b2c3d4e5f6a7b8c9d0"))
    );
    assert_eq!(
        accepted.token.claims().get("exp"),
        Some(&json!(1_735_733_100))
    );
    assert!(accepted.token.claims().get("payload").is_none());
}

#[test]
fn status4_example_with_each_token_alone() {
    let header = STATUS4_HEADER.as_bytes();
    // Header token only: the body without its token member.
    let mut body: Value = serde_json::from_str(STATUS4_BODY).expect("json");
    let body_token = body
        .as_object_mut()
        .and_then(|m| m.remove("token"))
        .expect("token");
    let bare = serde_json::to_vec(&body).expect("json");
    let accepted =
        run(Profile::Callback, &parts(&[header], Some(&bare), b"")).expect("header token");
    assert_eq!(accepted.token.claim("status"), Some(&json!(4)));
    assert!(accepted.token.claims().contains_key("payload"));
    // Body token only.
    assert!(run(
        Profile::Callback,
        &parts(&[], Some(STATUS4_BODY.as_bytes()), b"")
    )
    .is_ok());
    // The body token directly.
    let v = ds_verifier(Profile::Callback);
    assert!(v
        .verify(body_token.as_str().expect("string").as_bytes(), NOW)
        .is_ok());
}

#[test]
fn status4_example_times() {
    let header = STATUS4_HEADER.as_bytes();
    let body = Some(STATUS4_BODY.as_bytes());
    let v = ds_verifier(Profile::Callback);
    let at = |now| check(Profile::Callback, &parts(&[header], body, b""), &v, now).map(|_| ());
    assert_eq!(at(1_735_733_100 + 59), Ok(()));
    assert_eq!(at(1_735_733_100 + 60), Err(Refusal::Expired));
    assert_eq!(at(IAT - 60), Ok(()));
    assert_eq!(at(IAT - 61), Err(Refusal::NotYetValid));
}

#[test]
fn status4_example_with_another_secret() {
    let v = verifier(&[b"not-the-secret"], &ALL, 60, true);
    let header = STATUS4_HEADER.as_bytes();
    let got = check(
        Profile::Callback,
        &parts(&[header], Some(STATUS4_BODY.as_bytes()), b""),
        &v,
        NOW,
    );
    assert_eq!(got, Err(Refusal::Signature));
}

#[test]
fn callback_body_must_match_the_claims() {
    let header = STATUS4_HEADER.as_bytes();
    let original: Value = serde_json::from_str(STATUS4_BODY).expect("json");
    let edits: &[(&str, Value)] = &[
        ("key", json!("ffffffffffffffffffff")),
        ("status", json!(2)),
        ("status", json!("4")),
        ("status", json!(4.0)),
        ("url", json!("http://attacker.example/evil.docx")),
        (
            "actions",
            json!([{"type": 1, "userid": "alice@example.com"}]),
        ),
        ("users", json!(["mallory"])),
        ("history", json!({"changes": []})),
    ];
    for (name, value) in edits {
        let mut body = original.clone();
        body.as_object_mut()
            .expect("object")
            .insert((*name).to_owned(), value.clone());
        let bytes = serde_json::to_vec(&body).expect("json");
        for headers in [&[header][..], &[]] {
            let got = run(Profile::Callback, &parts(headers, Some(&bytes), b""));
            assert_eq!(
                got.map(|_| ()),
                Err(Refusal::BodyMismatch),
                "{name}={value}"
            );
        }
    }
}

#[test]
fn forged_callback_without_token_body_and_header() {
    // The seahub attack: a bare body naming a live key, no token at all.
    let body =
        br#"{"key":"a1b2c3d4e5f6a7b8c9d0","status":2,"url":"http://attacker.example/x.docx"}"#;
    assert_eq!(
        run(Profile::Callback, &parts(&[], Some(body), b"")),
        Err(Refusal::Missing)
    );
    // The attacker reuses a captured status-4 header token with a status-2 body.
    let header = STATUS4_HEADER.as_bytes();
    let got = run(Profile::Callback, &parts(&[header], Some(body), b""));
    assert_eq!(got, Err(Refusal::BodyMismatch));
}

#[test]
fn callback_status2_full() {
    let (body, header) = callback(&status2_fields());
    let accepted = run(Profile::Callback, &parts(&[&header], Some(&body), b"")).expect("valid");
    assert_eq!(accepted.token.claims().get("status"), Some(&json!(2)));
}

#[test]
fn callback_extra_body_member() {
    let (body, header) = callback(&status2_fields());
    let mut value: Value = serde_json::from_slice(&body).expect("json");
    value
        .as_object_mut()
        .expect("object")
        .insert("forcesavetype".into(), json!(1));
    let bytes = serde_json::to_vec(&value).expect("json");
    let got = run(Profile::Callback, &parts(&[&header], Some(&bytes), b""));
    assert_eq!(got, Err(Refusal::BodyMismatch));
    // A missing body member is fine (claims the body lacks).
    let mut value: Value = serde_json::from_slice(&body).expect("json");
    value.as_object_mut().expect("object").remove("users");
    let bytes = serde_json::to_vec(&value).expect("json");
    assert!(run(Profile::Callback, &parts(&[&header], Some(&bytes), b"")).is_ok());
}

#[test]
fn callback_size_trim() {
    // The DS trims the callback object (no changesurl, history {}), re-signs the header
    // token; the body token was signed before, with everything.
    let full = status2_fields();
    let body_token = ds_sign(&full);
    let mut trimmed = full.clone();
    let map = trimmed.as_object_mut().expect("object");
    map.remove("changesurl");
    map.insert("history".into(), json!({}));
    let header = bearer(&ds_sign(&json!({ "payload": trimmed })));
    let mut body = trimmed.clone();
    body.as_object_mut()
        .expect("object")
        .insert("token".into(), json!(body_token));
    let body = serde_json::to_vec(&body).expect("json");
    let accepted =
        run(Profile::Callback, &parts(&[&header], Some(&body), b"")).expect("trim passes");
    assert!(accepted.token.claims().contains_key("changesurl"));
    // The trimmed body with only the header token.
    let bare = serde_json::to_vec(&trimmed).expect("json");
    assert!(run(Profile::Callback, &parts(&[&header], Some(&bare), b"")).is_ok());
    // A trimmed header with the untrimmed body: changesurl is not in its payload.
    let mut untrimmed = full.clone();
    untrimmed
        .as_object_mut()
        .expect("object")
        .insert("token".into(), json!(body_token));
    let untrimmed = serde_json::to_vec(&untrimmed).expect("json");
    let got = run(Profile::Callback, &parts(&[&header], Some(&untrimmed), b""));
    assert_eq!(got, Err(Refusal::BodyMismatch));
}

#[test]
fn callback_needs_a_json_object_body() {
    let header = STATUS4_HEADER.as_bytes();
    for body in [
        None,
        Some(&b""[..]),
        Some(b"  "),
        Some(b"key=a&status=4"),
        Some(b"[1]"),
        Some(b"\"x\""),
    ] {
        let got = run(Profile::Callback, &parts(&[header], body, b""));
        assert_eq!(got, Err(Refusal::BodyMismatch), "{body:?}");
    }
    assert_eq!(
        run(Profile::Callback, &parts(&[header], Some(b"{"), b"")),
        Err(Refusal::BadBody)
    );
    // A callback never takes a query token.
    let body = br#"{"key":"a1b2c3d4e5f6a7b8c9d0","status":4}"#;
    let args = format!("token={}", STATUS4_HEADER.trim_start_matches("Bearer "));
    assert_eq!(
        run(
            Profile::Callback,
            &parts(&[], Some(b"x=1"), args.as_bytes())
        ),
        Err(Refusal::Missing)
    );
    assert_eq!(
        run(Profile::Callback, &parts(&[], Some(body), args.as_bytes())),
        Err(Refusal::Missing)
    );
}

#[test]
fn callback_requires_exp_key_and_status() {
    let no_exp = mint(
        Algorithm::HS256,
        &json!({"key": "k", "status": 4}),
        DS_SECRET,
    );
    let body = format!(r#"{{"key":"k","status":4,"token":"{no_exp}"}}"#);
    assert_eq!(
        run(Profile::Callback, &parts(&[], Some(body.as_bytes()), b"")),
        Err(Refusal::Expired)
    );
    for fields in [
        json!({"key": "k"}),
        json!({"status": 4}),
        json!({"url": "u"}),
    ] {
        let token = ds_sign(&fields);
        let mut body = fields.clone();
        body.as_object_mut()
            .expect("object")
            .insert("token".into(), json!(token));
        let body = serde_json::to_vec(&body).expect("json");
        assert_eq!(
            run(Profile::Callback, &parts(&[], Some(&body), b"")),
            Err(Refusal::Claims),
            "{fields}"
        );
    }
}

#[test]
fn callback_header_token_is_checked_too() {
    let header = STATUS4_HEADER.as_bytes();
    // A good body token, a header token of another callback: the header's payload does
    // not match the body.
    let (_, other_header) = callback(&status2_fields());
    let got = run(
        Profile::Callback,
        &parts(&[&other_header], Some(STATUS4_BODY.as_bytes()), b""),
    );
    assert_eq!(got, Err(Refusal::BodyMismatch));
    // A forged header token next to a good body token.
    let forged = bearer(&mint(Algorithm::HS256, &json!({"payload": {}}), b"guess"));
    let got = run(
        Profile::Callback,
        &parts(&[&forged], Some(STATUS4_BODY.as_bytes()), b""),
    );
    assert_eq!(got, Err(Refusal::Signature));
    // A garbage header value with the Bearer scheme.
    let got = run(
        Profile::Callback,
        &parts(&[b"Bearer x"], Some(STATUS4_BODY.as_bytes()), b""),
    );
    assert_eq!(got, Err(Refusal::Malformed));
    // A header with another scheme is no header token.
    let got = run(
        Profile::Callback,
        &parts(&[b"Basic YTpi"], Some(STATUS4_BODY.as_bytes()), b""),
    );
    assert!(got.is_ok());
    // Two header values are ambiguous.
    let got = run(
        Profile::Callback,
        &parts(&[header, header], Some(STATUS4_BODY.as_bytes()), b""),
    );
    assert_eq!(got, Err(Refusal::Malformed));
}

#[test]
fn first_refusal_wins_primary_first() {
    let expired_body = {
        let t = mint(
            Algorithm::HS256,
            &json!({"key": "k", "status": 4, "exp": IAT - 1000}),
            DS_SECRET,
        );
        format!(r#"{{"key":"k","status":4,"token":"{t}"}}"#)
    };
    let forged_header = bearer(&mint(Algorithm::HS256, &json!({"payload": {}}), b"guess"));
    let got = run(
        Profile::Callback,
        &parts(&[&forged_header], Some(expired_body.as_bytes()), b""),
    );
    assert_eq!(got, Err(Refusal::Expired));
}

#[test]
fn callback_verdicts_do_not_change_with_a_second_secret() {
    // One secret and two (rotation) take different paths to the MACs of a callback's two
    // tokens (side by side under one key; each key in turn): every request gets the same
    // verdict both ways, decoy `token` members and odd bodies included.
    let one = ds_verifier(Profile::Callback);
    let two = verifier(&[b"another secret", DS_SECRET], &ALL, 60, true);
    let fields = status2_fields();
    let (body, header) = callback(&fields);
    let body = String::from_utf8(body).expect("utf-8");
    let body_token = ds_sign(&fields);
    let forged = mint(Algorithm::HS256, &json!({"payload": fields}), b"guess");
    let hs384 = mint(
        Algorithm::HS384,
        &json!({"payload": fields, "exp": IAT + 300}),
        DS_SECRET,
    );
    let decoy = |inner: &str| body.replacen("{", &format!(r#"{{"x":{{"token":"{inner}"}},"#), 1);
    let bodies = [
        body.clone(),
        body.replace("\"status\":2", "\"status\":6"),
        body.replace(&body_token, &forged),
        body.replace(&body_token, &body_token.replacen('.', "\\u002e", 1)),
        decoy(&body_token),
        decoy("a.b.c"),
        decoy(&forged),
        decoy(&body_token).replace(
            &format!(r#""token":"{body_token}"}}"#),
            &format!(r#""token":"{forged}"}}"#),
        ),
        body.replacen("{", r#"{"token":"x","#, 1),
        body.replace(r#""token":""#, r#""token" : ""#),
        body.replace(&body_token, ""),
        body.replace(&body_token, &hs384),
        format!(r#"{{"key":"k","status":4,"token":"{body_token}""#),
    ];
    let headers = [
        header.clone(),
        bearer(&forged),
        bearer(&hs384),
        b"Basic abc".to_vec(),
    ];
    let mut accepted = Vec::new();
    for (b, body) in bodies.iter().enumerate() {
        for (h, header) in headers.iter().enumerate() {
            for values in [&[&header[..]][..], &[], &[&header[..], &header[..]]] {
                let request = parts(values, Some(body.as_bytes()), b"");
                let got = check(Profile::Callback, &request, &one, NOW);
                assert_eq!(got, check(Profile::Callback, &request, &two, NOW), "{body}");
                if got.is_ok() {
                    accepted.push((b, h, values.len()));
                }
            }
        }
    }
    // The genuine body, its token spelled with an escape, and with a space before its value:
    // alone, with the genuine header token, the HS384 one, or another scheme; with an empty
    // body token, the header token decides.
    let mut expected = Vec::new();
    for b in [0, 3, 9] {
        expected.extend([
            (b, 0, 1),
            (b, 0, 0),
            (b, 1, 0),
            (b, 2, 1),
            (b, 2, 0),
            (b, 3, 1),
            (b, 3, 0),
        ]);
    }
    expected.extend([(10, 0, 1), (10, 2, 1)]);
    expected.sort();
    accepted.sort();
    assert_eq!(accepted, expected);
}

// ---------------------------------------------------------------------------------------
// command

fn command_fields() -> Value {
    json!({"c": "info", "key": "Khirz6zTPdfd7"})
}

#[test]
fn command_body_token() {
    let token = mint(Algorithm::HS256, &command_fields(), DS_SECRET);
    let body = format!(r#"{{"token":"{token}"}}"#);
    let accepted = run(Profile::Command, &parts(&[], Some(body.as_bytes()), b"")).expect("valid");
    assert_eq!(accepted.token.claim("c"), Some(&json!("info")));
    // The unsigned rest of the body does not matter to the DS (tokenRequiredParams).
    let body = format!(r#"{{"c":"drop","key":"other","token":"{token}"}}"#);
    assert!(run(Profile::Command, &parts(&[], Some(body.as_bytes()), b"")).is_ok());
}

#[test]
fn command_header_token() {
    // The docs' form: body without token, header {"payload": {...}}.
    let header = bearer(&mint(
        Algorithm::HS256,
        &json!({"payload": command_fields()}),
        DS_SECRET,
    ));
    let body = br#"{"c":"info","key":"Khirz6zTPdfd7"}"#;
    let accepted = run(Profile::Command, &parts(&[&header], Some(body), b"")).expect("valid");
    assert_eq!(accepted.token.claim("key"), Some(&json!("Khirz6zTPdfd7")));
    // Falsy body tokens fall back to the header.
    for token in ["null", "false", "0", "\"\"", "0.0"] {
        let body = format!(r#"{{"c":"info","token":{token}}}"#);
        assert!(
            run(
                Profile::Command,
                &parts(&[&header], Some(body.as_bytes()), b"")
            )
            .is_ok(),
            "{token}"
        );
        assert_eq!(
            run(Profile::Command, &parts(&[], Some(body.as_bytes()), b"")),
            Err(Refusal::Missing)
        );
    }
    // Truthy non-string tokens are malformed.
    for token in ["true", "1", "{}", "[]", "[\"a\"]"] {
        let body = format!(r#"{{"c":"info","token":{token}}}"#);
        let got = run(
            Profile::Command,
            &parts(&[&header], Some(body.as_bytes()), b""),
        );
        assert_eq!(got, Err(Refusal::Malformed), "{token}");
    }
    // A JSON body that is not an object: the header.
    assert!(run(Profile::Command, &parts(&[&header], Some(b"[1,2]"), b"")).is_ok());
    // No body at all: the header.
    assert!(run(Profile::Command, &parts(&[&header], None, b"")).is_ok());
}

#[test]
fn command_query_token() {
    let token = mint(Algorithm::HS256, &command_fields(), DS_SECRET);
    let args = format!("a=1&token={token}");
    for body in [None, Some(&b""[..]), Some(b"c=info&key=x")] {
        let accepted =
            run(Profile::Command, &parts(&[], body, args.as_bytes())).expect("query token");
        assert_eq!(accepted.token.claim("c"), Some(&json!("info")));
    }
    // With a JSON body the query is not the token source (the DS reads the body), but a
    // query token beside the body token must verify and fit too.
    assert_eq!(
        run(Profile::Command, &parts(&[], Some(b"{}"), args.as_bytes())),
        Err(Refusal::Missing)
    );
    let body = format!(r#"{{"token":"{token}"}}"#);
    assert!(run(
        Profile::Command,
        &parts(&[], Some(body.as_bytes()), args.as_bytes())
    )
    .is_ok());
    for other in [
        mint(Algorithm::HS256, &command_fields(), b"guess"),
        editor_config_token(),
    ] {
        let args = format!("token={other}");
        assert!(run(
            Profile::Command,
            &parts(&[], Some(body.as_bytes()), args.as_bytes())
        )
        .is_err());
    }
    // Two query tokens are ambiguous.
    let twice = format!("token={token}&token={token}");
    assert_eq!(
        run(Profile::Command, &parts(&[], None, twice.as_bytes())),
        Err(Refusal::Malformed)
    );
    // An empty query token falls back to the header.
    let header = bearer(&token);
    assert!(run(Profile::Command, &parts(&[&header], None, b"token=")).is_ok());
    // Query token + a bad header token: refused on the header.
    let forged = bearer(&mint(Algorithm::HS256, &command_fields(), b"guess"));
    assert_eq!(
        run(Profile::Command, &parts(&[&forged], None, args.as_bytes())),
        Err(Refusal::Signature)
    );
}

#[test]
fn command_claims() {
    for claims in [
        json!({"key": "k"}),
        json!({"c": 1}),
        json!({"c": null}),
        json!({"payload": {"c": ["info"]}}),
        json!({"c": "info", "document": {"key": "k"}}),
        json!({"payload": {"c": "info", "editorConfig": {}}}),
    ] {
        let token = mint(Algorithm::HS256, &claims, DS_SECRET);
        let body = format!(r#"{{"token":"{token}"}}"#);
        assert_eq!(
            run(Profile::Command, &parts(&[], Some(body.as_bytes()), b"")),
            Err(Refusal::Claims),
            "{claims}"
        );
    }
}

#[test]
fn duplicate_body_token_is_a_bad_body() {
    let token = mint(Algorithm::HS256, &command_fields(), DS_SECRET);
    let body = format!(r#"{{"token":"{token}","token":"x"}}"#);
    assert_eq!(
        run(Profile::Command, &parts(&[], Some(body.as_bytes()), b"")),
        Err(Refusal::BadBody)
    );
    let body = format!("{{\"token\":\"{token}\",\"x\":\"\\udc00\"}}");
    assert_eq!(
        run(Profile::Command, &parts(&[], Some(body.as_bytes()), b"")),
        Err(Refusal::BadBody)
    );
}

// ---------------------------------------------------------------------------------------
// browser tokens replayed at the inbox

fn editor_config_token() -> String {
    mint(
        Algorithm::HS256,
        &json!({
            "document": {"fileType": "docx", "key": "a1b2c3d4e5f6a7b8c9d0", "title": "report.docx",
                         "url": "https://seafile.example.com/seafhttp/files/tok/report.docx",
                         "permissions": {"download": true, "edit": true, "fillForms": true, "copy": true, "print": true, "review": true}},
            "documentType": "word",
            "editorConfig": {"callbackUrl": "https://seafile.example.com/onlyoffice/editor-callback/", "lang": "en", "mode": "edit",
                             "customization": {"forcesave": false, "submitForm": false},
                             "user": {"id": "alice@example.com", "name": "alice", "avatar_url": ""}},
            "exp": NOW + 3 * 86_400
        }),
        DS_SECRET,
    )
}

fn file_key_token() -> String {
    mint(
        Algorithm::HS256,
        &json!({"repo_id": "5c7d8ad1-0000-4000-8000-000000000000", "file_path": "/report.docx"}),
        DS_SECRET,
    )
}

fn session_token() -> String {
    mint(
        Algorithm::HS256,
        &json!({"document": {"key": "k", "permissions": {}}, "editorConfig": {"user": {"id": "u"}}, "iat": IAT, "exp": IAT + 30 * 86_400}),
        DS_SECRET,
    )
}

#[test]
fn browser_tokens_are_refused_at_the_inbox() {
    for token in [editor_config_token(), file_key_token(), session_token()] {
        for profile in [Profile::Command, Profile::Convert, Profile::Builder] {
            let body = format!(r#"{{"token":"{token}"}}"#);
            assert_eq!(
                run(profile, &parts(&[], Some(body.as_bytes()), b"")),
                Err(Refusal::Claims),
                "{profile:?}"
            );
            let header = bearer(&token);
            assert_eq!(
                run(profile, &parts(&[&header], None, b"")),
                Err(Refusal::Claims),
                "{profile:?}"
            );
            let args = format!("token={token}");
            assert_eq!(
                run(profile, &parts(&[], None, args.as_bytes())),
                Err(Refusal::Claims),
                "{profile:?}"
            );
        }
    }
    // An editor token with the claims an inbox profile wants is still refused.
    let sneaky = mint(
        Algorithm::HS256,
        &json!({"c": "drop", "url": "u", "outputtype": "pdf", "document": {"key": "k"}}),
        DS_SECRET,
    );
    for profile in [Profile::Command, Profile::Convert, Profile::Builder] {
        let body = format!(r#"{{"token":"{sneaky}"}}"#);
        assert_eq!(
            run(profile, &parts(&[], Some(body.as_bytes()), b"")),
            Err(Refusal::Claims)
        );
    }
    // A good command token in the body, an editor token in the header: refused.
    let good = mint(Algorithm::HS256, &command_fields(), DS_SECRET);
    let body = format!(r#"{{"token":"{good}"}}"#);
    let header = bearer(&editor_config_token());
    assert_eq!(
        run(
            Profile::Command,
            &parts(&[&header], Some(body.as_bytes()), b"")
        ),
        Err(Refusal::Claims)
    );
}

// ---------------------------------------------------------------------------------------
// convert (seahub's converter call)

fn seahub_conversion() -> (Vec<u8>, Vec<u8>) {
    let payload = json!({
        "url": "https://seafile.example.com/seafhttp/files/tok/report.doc",
        "outputtype": "docx",
        "filetype": "doc",
        "title": "report.doc",
        "key": "a1b2c3d4e5f6a7b8c9d0"
    });
    // PyJWT, no exp, flat body token.
    let body_token = mint(Algorithm::HS256, &payload, DS_SECRET);
    let mut body = payload.clone();
    body.as_object_mut()
        .expect("object")
        .insert("token".into(), json!(body_token));
    // The header token wraps the payload including the body token, also without exp.
    let header = bearer(&mint(
        Algorithm::HS256,
        &json!({ "payload": body }),
        DS_SECRET,
    ));
    (serde_json::to_vec(&body).expect("json"), header)
}

#[test]
fn seahub_conversion_passes() {
    let (body, header) = seahub_conversion();
    let accepted = run(Profile::Convert, &parts(&[&header], Some(&body), b"")).expect("valid");
    assert_eq!(
        accepted.token.claims().get("outputtype"),
        Some(&json!("docx"))
    );
    assert!(accepted.token.claims().get("exp").is_none());
    assert!(run(Profile::Convert, &parts(&[], Some(&body), b"")).is_ok());
}

#[test]
fn convert_claims() {
    for claims in [
        json!({"url": "u"}),
        json!({"outputtype": "pdf"}),
        json!({"payload": {"url": "u"}}),
    ] {
        let token = mint(Algorithm::HS256, &claims, DS_SECRET);
        let body = format!(r#"{{"token":"{token}"}}"#);
        assert_eq!(
            run(Profile::Convert, &parts(&[], Some(body.as_bytes()), b"")),
            Err(Refusal::Claims),
            "{claims}"
        );
    }
    let wrapped = bearer(&mint(
        Algorithm::HS256,
        &json!({"payload": {"url": "u", "outputtype": "pdf"}}),
        DS_SECRET,
    ));
    assert!(run(Profile::Convert, &parts(&[&wrapped], Some(b"{}"), b"")).is_ok());
    // GET /ConvertService.ashx?...&token=...
    let token = mint(
        Algorithm::HS256,
        &json!({"url": "u", "outputtype": "pdf"}),
        DS_SECRET,
    );
    let args = format!("url=u&outputtype=pdf&token={token}");
    assert!(run(Profile::Convert, &parts(&[], None, args.as_bytes())).is_ok());
}

// ---------------------------------------------------------------------------------------
// builder

#[test]
fn builder() {
    let token = mint(
        Algorithm::HS256,
        &json!({"url": "https://example.com/script.docbuilder", "async": false}),
        DS_SECRET,
    );
    let body = format!(
        r#"{{"async":false,"url":"https://example.com/script.docbuilder","token":"{token}"}}"#
    );
    assert!(run(Profile::Builder, &parts(&[], Some(body.as_bytes()), b"")).is_ok());
    // A raw script body: refused whatever the tokens.
    let script = b"builder.CreateFile(\"docx\");\nbuilder.SaveFile(\"docx\", \"/etc/passwd\");";
    let header = bearer(&token);
    let args = format!("token={token}");
    assert_eq!(
        run(
            Profile::Builder,
            &parts(&[&header], Some(script), args.as_bytes())
        ),
        Err(Refusal::BadBody)
    );
    assert_eq!(
        run(Profile::Builder, &parts(&[], Some(script), b"")),
        Err(Refusal::BadBody)
    );
    // No body: query or header token, with url.
    assert!(run(Profile::Builder, &parts(&[], None, args.as_bytes())).is_ok());
    assert!(run(Profile::Builder, &parts(&[&header], None, b"")).is_ok());
    let no_url = mint(Algorithm::HS256, &json!({"c": "info"}), DS_SECRET);
    let body = format!(r#"{{"token":"{no_url}"}}"#);
    assert_eq!(
        run(Profile::Builder, &parts(&[], Some(body.as_bytes()), b"")),
        Err(Refusal::Claims)
    );
}

/// The tokens an integrator signs for the editor in the browser (ONLYOFFICE API methods that
/// take a `token`, seahub's reference data): none is a command, a conversion or a script.
fn browser_shapes() -> Vec<(&'static str, Value)> {
    let url = "https://seafile.example.com/seafhttp/files/tok/a.docx";
    vec![
        (
            "setHistoryData",
            json!({"changesUrl": url, "fileType": "docx", "key": "k2",
                   "previous": {"fileType": "docx", "key": "k1", "url": url},
                   "url": url, "version": 2}),
        ),
        (
            "setRequestedDocument",
            json!({"c": "compare", "fileType": "docx", "url": url}),
        ),
        (
            "insertImage",
            json!({"c": "add", "fileType": "png", "url": url}),
        ),
        (
            "insertImage (images)",
            json!({"c": "add", "images": [{"fileType": "png", "url": url}]}),
        ),
        (
            "setMailMergeRecipients",
            json!({"fileType": "csv", "url": url}),
        ),
        (
            "setReferenceData",
            json!({"fileType": "xlsx", "key": "k", "path": "a.xlsx",
                   "referenceData": {"fileKey": "f", "instanceId": "i"}, "url": url}),
        ),
        (
            "setRequestedSpreadsheet",
            json!({"fileType": "xlsx", "path": "a.xlsx", "title": "a.xlsx",
                   "referenceData": {"fileKey": "f", "instanceId": "i"}, "url": url}),
        ),
    ]
}

#[test]
fn browser_method_tokens_are_no_inbox_tokens() {
    for (name, claims) in browser_shapes() {
        for wrapped in [claims.clone(), json!({ "payload": claims })] {
            let token = ds_sign(&wrapped);
            for profile in [Profile::Command, Profile::Convert, Profile::Builder] {
                let body = format!(r#"{{"token":"{token}"}}"#);
                assert_eq!(
                    run(profile, &parts(&[], Some(body.as_bytes()), b"")).map(|_| ()),
                    Err(Refusal::Claims),
                    "{name} at {profile:?}: {wrapped}"
                );
            }
        }
    }
}

#[test]
fn builder_takes_only_what_builder_request_reads() {
    let url = "https://example.com/script.docbuilder";
    let builder = |claims: Value| {
        let token = ds_sign(&claims);
        let body = format!(r#"{{"token":"{token}"}}"#);
        run(Profile::Builder, &parts(&[], Some(body.as_bytes()), b"")).map(|_| ())
    };
    for good in [
        json!({"url": url}),
        json!({"url": url, "async": true, "key": "k", "argument": {"a": 1}}),
        json!({"payload": {"url": url, "async": false}}),
        json!({"payload": {"url": url, "async": true}, "iss": "i", "sub": "s", "aud": "a", "nbf": IAT, "jti": "j"}),
        json!({"payload": {"url": url}, "async": true}),
    ] {
        assert_eq!(builder(good.clone()), Ok(()), "{good}");
    }
    for bad in [
        // the token the Document Server signs for each of its downloads
        json!({"payload": {"url": url}}),
        json!({"url": url, "fileType": "docx"}),
        json!({"url": url, "userdata": "x"}),
        json!({"url": url, "token": "x"}),
        json!({"url": url, "query": {"url": url}}),
        json!({"payload": {"url": url, "fileType": "docx"}}),
        json!({"payload": {"url": url, "iat": IAT}}),
        json!({"payload": "x", "url": url}),
        json!({"key": "k", "async": false}),
    ] {
        assert_eq!(builder(bad.clone()), Err(Refusal::Claims), "{bad}");
    }
}

#[test]
fn command_takes_only_the_document_servers_commands() {
    let command = |claims: Value| {
        let token = ds_sign(&claims);
        let body = format!(r#"{{"token":"{token}"}}"#);
        run(Profile::Command, &parts(&[], Some(body.as_bytes()), b"")).map(|_| ())
    };
    for c in [
        "info",
        "drop",
        "saved",
        "forcesave",
        "meta",
        "getForgotten",
        "deleteForgotten",
        "getForgottenList",
        "version",
        "license",
    ] {
        assert_eq!(command(json!({"c": c, "key": "k"})), Ok(()), "{c}");
        assert_eq!(
            command(json!({"payload": {"c": c, "key": "k"}})),
            Ok(()),
            "{c}"
        );
    }
    // The Document Server reads `payload` over the top level, and `query` over both.
    assert_eq!(
        command(json!({"c": "info", "payload": {"c": "add"}, "key": "k"})),
        Err(Refusal::Claims)
    );
    assert_eq!(
        command(json!({"c": "add", "payload": {"c": "info"}, "key": "k"})),
        Ok(())
    );
    assert_eq!(
        command(json!({"c": "info", "query": {"c": "add"}, "key": "k"})),
        Err(Refusal::Claims)
    );
    assert_eq!(
        command(json!({"c": "info", "query": {"document": {}}, "key": "k"})),
        Err(Refusal::Claims)
    );
    for c in [
        "add",
        "compare",
        "combine",
        "insertText",
        "INFO",
        "Info",
        "",
        "info ",
    ] {
        assert_eq!(
            command(json!({"c": c, "key": "k"})),
            Err(Refusal::Claims),
            "{c:?}"
        );
    }
}

#[test]
fn callback_history_trim_runs_one_way() {
    let full = status2_fields();
    let body_token = ds_sign(&full);
    let full_header = bearer(&ds_sign(&json!({ "payload": full })));
    let with_history = |history: Value, token: &str| {
        let mut body = full.clone();
        let map = body.as_object_mut().expect("object");
        map.insert("history".into(), history);
        map.insert("token".into(), json!(token));
        serde_json::to_vec(&body).expect("json")
    };
    // A body history of {} against the body token's, with no header token or an untrimmed
    // one: no trim happened.
    let body = with_history(json!({}), &body_token);
    for headers in [&[][..], &[&full_header[..]][..]] {
        assert_eq!(
            run(Profile::Callback, &parts(headers, Some(&body), b"")).map(|_| ()),
            Err(Refusal::BodyMismatch)
        );
    }
    // With a trimmed header token it is the Document Server's trim.
    let mut trimmed = full.clone();
    trimmed
        .as_object_mut()
        .expect("object")
        .insert("history".into(), json!({}));
    let trimmed_header = bearer(&ds_sign(&json!({ "payload": trimmed })));
    assert!(run(
        Profile::Callback,
        &parts(&[&trimmed_header], Some(&body), b"")
    )
    .is_ok());
    // A body token that signed {} matches only {}.
    let empty_token = ds_sign(&trimmed);
    let body = with_history(json!({"changes": []}), &empty_token);
    assert_eq!(
        run(Profile::Callback, &parts(&[], Some(&body), b"")).map(|_| ()),
        Err(Refusal::BodyMismatch)
    );
    // A trimmed header token's {} matches any body history, the body token's must still.
    let body = with_history(full["history"].clone(), &body_token);
    assert!(run(
        Profile::Callback,
        &parts(&[&trimmed_header], Some(&body), b"")
    )
    .is_ok());
    let other = json!({"changes": [{"created": "2025-01-01 00:00:00"}]});
    let body = with_history(other.clone(), &body_token);
    assert_eq!(
        run(
            Profile::Callback,
            &parts(&[&trimmed_header], Some(&body), b"")
        )
        .map(|_| ()),
        Err(Refusal::BodyMismatch)
    );
    // The header token alone, trimmed: nothing checks another body history, only {} matches.
    let bare = |history: Value| {
        let mut bare = full.clone();
        bare.as_object_mut()
            .expect("object")
            .insert("history".into(), history);
        serde_json::to_vec(&bare).expect("json")
    };
    assert_eq!(
        run(
            Profile::Callback,
            &parts(&[&trimmed_header], Some(&bare(other)), b"")
        )
        .map(|_| ()),
        Err(Refusal::BodyMismatch)
    );
    assert!(run(
        Profile::Callback,
        &parts(&[&trimmed_header], Some(&bare(json!({}))), b"")
    )
    .is_ok());
}

// ---------------------------------------------------------------------------------------
// download

fn download_token(url: &str) -> Vec<u8> {
    bearer(&ds_sign(&json!({"payload": {"url": url}})))
}

fn download(header: &[u8], request_uri: &[u8]) -> Result<Accepted, Refusal> {
    let headers = [header];
    let parts = RequestParts {
        token_override: None,
        header: Header::of(&headers),
        args: b"",
        body: None,
        request_uri,
    };
    run(Profile::Download, &parts)
}

#[test]
fn download_url_must_match_the_request() {
    let url = "https://seafile.example.com/seafhttp/files/3f1e-tok/report%20(1).docx?dl=1&x=a%2Fb";
    let header = download_token(url);
    let same: &[&[u8]] = &[
        b"/seafhttp/files/3f1e-tok/report%20(1).docx?dl=1&x=a%2Fb",
        b"/seafhttp/files/3f1e-tok/report (1).docx?dl=1&x=a%2Fb",
        b"/seafhttp/files/3f1e-tok/report%20(1).docx?dl=1&x=a%2fb",
        b"/seafhttp/files/%33f1e-tok/report%20(1).docx?%64l=1&x=a%2Fb",
        b"/seafhttp/files/3f1e%2Dtok/report%20(1)%2edocx?dl=1&x=a%2Fb",
        b"https://seafile.example.com/seafhttp/files/3f1e-tok/report%20(1).docx?dl=1&x=a%2Fb",
    ];
    for uri in same {
        assert!(
            download(&header, uri).is_ok(),
            "{}",
            String::from_utf8_lossy(uri)
        );
    }
    let different: &[&[u8]] = &[
        b"/seafhttp/files/3f1e-tok/report%20(2).docx?dl=1&x=a%2Fb",
        b"/seafhttp/files/3f1e-tok/report+(1).docx?dl=1&x=a%2Fb",
        // RFC 3986 6.2.2: a reserved character and its encoding differ
        b"/seafhttp/files/3f1e-tok/report (1).docx?dl=1&x=a/b",
        b"/seafhttp/files/3f1e-tok/report%20%281%29.docx?dl=1&x=a%2Fb",
        b"/seafhttp/files/3f1e-tok%2Freport%20(1).docx?dl=1&x=a%2Fb",
        b"/seafhttp/files/3f1e-tok/report%20(1).docx?dl=1%26x=a%2Fb",
        b"/seafhttp/files/3f1e-tok/report%20(1).docx?dl=1",
        b"/seafhttp/files/3f1e-tok/report%20(1).docx?dl=1&x=a%2Fb&y=1",
        b"/seafhttp/files/3f1e-tok/report%20(1).docx",
        b"/SEAFHTTP/files/3f1e-tok/report%20(1).docx?dl=1&x=a%2Fb",
        b"/seafhttp/files/3f1e-tok/report%20(1).docx/?dl=1&x=a%2Fb",
        b"/other/report.docx",
    ];
    for uri in different {
        assert_eq!(
            download(&header, uri).map(|_| ()),
            Err(Refusal::Claims),
            "{}",
            String::from_utf8_lossy(uri)
        );
    }
}

#[test]
fn download_edges() {
    // Empty query vs no query; fragment dropped; empty path is "/".
    assert!(download(&download_token("https://h.example/a/b?"), b"/a/b").is_ok());
    assert!(download(&download_token("https://h.example/a/b#frag"), b"/a/b").is_ok());
    assert!(download(&download_token("https://h.example"), b"/").is_ok());
    assert!(download(&download_token("/a/b?x=1"), b"/a/b?x=1").is_ok());
    // `+` is not a space in either part, nor `%2B` (a reserved character's encoding).
    assert_eq!(
        download(
            &download_token("https://h.example/a+b?q=c+d"),
            b"/a%20b?q=c+d"
        )
        .map(|_| ()),
        Err(Refusal::Claims)
    );
    assert_eq!(
        download(
            &download_token("https://h.example/a+b?q=c+d"),
            b"/a%2Bb?q=c%2bd"
        )
        .map(|_| ()),
        Err(Refusal::Claims)
    );
    assert!(download(
        &download_token("https://h.example/a+b?q=c+d"),
        b"/a+b?q=c+d"
    )
    .is_ok());
    // Unreserved characters and their encodings are the same; so are raw UTF-8 and its
    // encoding, the octets a client sends for it.
    assert!(download(
        &download_token("https://h.example/%7Eu/r\u{e9}s"),
        b"/~u/r%C3%A9s"
    )
    .is_ok());
    assert!(download(
        &download_token("https://h.example/a?file=a%26b%3Dc"),
        b"/a?file=a%26b%3dc"
    )
    .is_ok());
    assert_eq!(
        download(
            &download_token("https://h.example/a?file=a%26b%3Dc"),
            b"/a?file=a&b=c"
        )
        .map(|_| ()),
        Err(Refusal::Claims)
    );
    // Claims of the wrong shape.
    for claims in [
        json!({"url": "https://h.example/a"}),
        json!({"payload": {"url": 1}}),
        json!({"payload": "https://h.example/a"}),
        json!({"payload": {}}),
    ] {
        let header = bearer(&ds_sign(&claims));
        assert_eq!(
            download(&header, b"/a").map(|_| ()),
            Err(Refusal::Claims),
            "{claims}"
        );
    }
    // exp is required.
    let header = bearer(&mint(
        Algorithm::HS256,
        &json!({"payload": {"url": "https://h.example/a"}}),
        DS_SECRET,
    ));
    assert_eq!(download(&header, b"/a").map(|_| ()), Err(Refusal::Expired));
    // No header token.
    let parts = RequestParts {
        request_uri: b"/a",
        ..Default::default()
    };
    assert_eq!(run(Profile::Download, &parts), Err(Refusal::Missing));
}

// ---------------------------------------------------------------------------------------
// bearer and misc

#[test]
fn bearer_profile() {
    let token = mint(Algorithm::HS256, &json!({"sub": "alice"}), DS_SECRET);
    let header = bearer(&token);
    assert!(run(Profile::Bearer, &parts(&[&header], None, b"")).is_ok());
    let lower = format!("bearer   {token}  ");
    assert!(run(Profile::Bearer, &parts(&[lower.as_bytes()], None, b"")).is_ok());
    assert_eq!(
        run(Profile::Bearer, &parts(&[], None, b"")),
        Err(Refusal::Missing)
    );
    assert_eq!(
        run(Profile::Bearer, &parts(&[b"Basic YTpi"], None, b"")),
        Err(Refusal::Missing)
    );
    assert_eq!(
        run(Profile::Bearer, &parts(&[b"Bearer"], None, b"")),
        Err(Refusal::Missing)
    );
    assert_eq!(
        run(Profile::Bearer, &parts(&[&header, &header], None, b"")),
        Err(Refusal::Malformed)
    );
    let two_words = format!("Bearer {token} {token}");
    assert_eq!(
        run(Profile::Bearer, &parts(&[two_words.as_bytes()], None, b"")),
        Err(Refusal::Malformed)
    );
    // onlyoffice_jwt_token replaces the header.
    let with_override = |value: &'static [u8]| RequestParts {
        token_override: Some(value),
        header: Header::of(&[]),
        ..Default::default()
    };
    assert_eq!(
        run(Profile::Bearer, &with_override(b"")),
        Err(Refusal::Missing)
    );
    assert_eq!(
        run(Profile::Bearer, &with_override(b"garbage")),
        Err(Refusal::Malformed)
    );
    let leaked: &'static [u8] = Box::leak(token.clone().into_bytes().into_boxed_slice());
    assert!(run(Profile::Bearer, &with_override(leaked)).is_ok());
    // The header is not looked at when the override is set (even if it is empty).
    let parts = RequestParts {
        token_override: Some(b""),
        header: Header::of(&[&header]),
        ..Default::default()
    };
    assert_eq!(run(Profile::Bearer, &parts), Err(Refusal::Missing));
}

#[test]
fn off_and_documentserver_fail_closed() {
    let header = bearer(&mint(Algorithm::HS256, &json!({}), DS_SECRET));
    for profile in [Profile::Off, Profile::DocumentServer] {
        assert_eq!(
            run(profile, &parts(&[&header], None, b"")),
            Err(Refusal::Claims)
        );
    }
}
