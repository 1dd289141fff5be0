//! Requests at real sizes: save callbacks built as the Document Server builds them, with
//! histories of 0 to 5000 changes, and command and bearer tokens far beyond a few kilobytes.
//! Tokens are minted by the `jsonwebtoken` crate. Nothing genuine may be refused for its
//! size, and a tampered body is refused at every size.

mod common;

use common::{hs256, mint};
use onlyoffice_jwt_core::{check, Algorithm, Header, Profile, Refusal, RequestParts};
use serde_json::{json, Value};

const SECRET: &[u8] = b"sizes-0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_735_732_900;
/// The Document Server trims its header token when it would reach this many characters.
const TRIM_AT: usize = 7168;

/// A status-2 callback object with `changes` history entries.
fn callback_object(changes: usize) -> Value {
    let key = "a1b2c3d4e5f6a7b8c9d0";
    let base = "https://office.example.com/cache/files/data";
    let history: Vec<Value> = (0..changes)
        .map(|i| {
            json!({
                "created": format!("2025-01-{:02} {:02}:{:02}:10", 1 + i / 1440 % 28, i / 60 % 24, i % 60),
                "user": {"id": format!("user-{}@example.com", i % 7), "name": format!("User {}", i % 7)},
            })
        })
        .collect();
    json!({
        "key": key,
        "status": 2,
        "url": format!("{base}/{key}_4711/output.docx/output.docx?md5=abc&expires=1735733700&filename=output.docx"),
        "changesurl": format!("{base}/{key}_4711/changes.zip/changes.zip?md5=def&expires=1735733700&filename=changes.zip"),
        "history": {"serverVersion": "8.2.0", "changes": history},
        "users": ["user-0@example.com"],
        "actions": [{"type": 0, "userid": "user-0@example.com"}],
        "lastsave": "2025-01-01T11:58:10.000Z",
        "notmodified": false,
        "filetype": "docx",
    })
}

fn with_times(mut claims: Value) -> Value {
    claims["iat"] = json!(NOW);
    claims["exp"] = json!(NOW + 300);
    claims
}

/// The body and the `Authorization` value the Document Server posts for `object`.
fn ds_callback(object: &Value) -> (String, String, bool) {
    let body_token = mint(Algorithm::HS256, &with_times(object.clone()), SECRET);
    let mut posted = object.clone();
    let mut header_token = mint(
        Algorithm::HS256,
        &with_times(json!({"payload": posted})),
        SECRET,
    );
    let trimmed = header_token.len() >= TRIM_AT;
    if trimmed {
        let Value::Object(map) = &mut posted else {
            unreachable!()
        };
        map.remove("changesurl");
        map.insert("history".into(), json!({}));
        header_token = mint(
            Algorithm::HS256,
            &with_times(json!({"payload": posted})),
            SECRET,
        );
    }
    posted["token"] = json!(body_token);
    (
        posted.to_string(),
        format!("Bearer {header_token}"),
        trimmed,
    )
}

fn callback(body: &str, header: &str) -> Result<(), Refusal> {
    let v = {
        let mut v = hs256(SECRET, 60);
        v.verifier.require_exp = true;
        v
    };
    let headers = [header.as_bytes()];
    let parts = RequestParts {
        header: Header::of(&headers),
        body: Some(body.as_bytes()),
        ..Default::default()
    };
    check(Profile::Callback, &parts, &v, NOW).map(|_| ())
}

#[test]
fn genuine_callbacks_of_every_size_are_accepted() {
    for changes in [0, 10, 100, 150, 400, 1500, 5000] {
        let object = callback_object(changes);
        let (body, header, trimmed) = ds_callback(&object);
        assert_eq!(trimmed, changes >= 100, "{changes} changes");
        assert_eq!(
            callback(&body, &header),
            Ok(()),
            "{changes} changes, {} bytes",
            body.len()
        );
        if changes == 5000 {
            assert!(body.len() > 400_000, "{}", body.len());
        }
    }
}

#[test]
fn a_changed_member_deep_in_the_history_is_refused_at_every_size() {
    for changes in [0, 10, 100, 150, 400, 1500, 5000] {
        let object = callback_object(changes);
        let (_, header, _) = ds_callback(&object);
        let (body, _, _) = ds_callback(&object);
        // the body with its full history, one member changed where it is deepest
        let mut forged: Value = serde_json::from_str(&body).unwrap();
        forged["history"] = object["history"].clone();
        match forged["history"]["changes"]
            .as_array_mut()
            .and_then(|c| c.last_mut())
        {
            Some(last) => last["user"]["name"] = json!("Mallory"),
            None => forged["history"]["serverVersion"] = json!("8.2.1"),
        }
        assert_eq!(
            callback(&forged.to_string(), &header),
            Err(Refusal::BodyMismatch),
            "{changes} changes"
        );
    }
}

#[test]
fn long_command_and_bearer_tokens_are_accepted() {
    let v = hs256(SECRET, 60);
    for len in [16 * 1024, 64 * 1024, 900 * 1024] {
        let token = mint(
            Algorithm::HS256,
            &json!({"c": "forcesave", "key": "k", "userdata": "u".repeat(len)}),
            SECRET,
        );
        let body = json!({"token": token}).to_string();
        let parts = RequestParts {
            body: Some(body.as_bytes()),
            ..Default::default()
        };
        assert!(check(Profile::Command, &parts, &v, NOW).is_ok(), "{len}");
        let header = format!("Bearer {token}");
        let headers = [header.as_bytes()];
        let parts = RequestParts {
            header: Header::of(&headers),
            ..Default::default()
        };
        assert!(check(Profile::Bearer, &parts, &v, NOW).is_ok(), "{len}");
        let forged = mint(Algorithm::HS256, &json!({"c": "x".repeat(len)}), b"other");
        let header = format!("Bearer {forged}");
        let headers = [header.as_bytes()];
        let parts = RequestParts {
            header: Header::of(&headers),
            ..Default::default()
        };
        assert_eq!(
            check(Profile::Bearer, &parts, &v, NOW).map(|_| ()),
            Err(Refusal::Signature)
        );
    }
}
