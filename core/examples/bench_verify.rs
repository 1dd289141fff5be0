//! Times the verifier alone, outside nginx, on the requests `scripts/bench` sends: how much
//! of the module's cost per request is the check itself.
//!
//!     cargo run --release -p onlyoffice-jwt-core --example bench_verify [iterations [case]]
//!
//! Prints nanoseconds per check for each case, the best of seven runs (on this CPU: with
//! SHA-NI where it has it).
//! Under `valgrind --tool=callgrind` it gives exact instruction counts instead.

use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use onlyoffice_jwt_core::{
    b64, check, Algorithm, AlgorithmSet, CachedVerifier, Header, Key, Profile, RequestParts,
    Verifier,
};

const SECRET: &[u8] = b"bench-secret-0123456789abcdef0123456789";
const NOW: i64 = 1_735_732_900;

fn token(claims: &str) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64::encode(claims.as_bytes())
    );
    let sig = Key::new(SECRET)
        .sign(Algorithm::HS256, input.as_bytes())
        .unwrap_or_default();
    format!("{input}.{sig}")
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200_000);
    // as the module configures them: a `bearer` location reads its claims flat
    let verifier = |flat| {
        CachedVerifier::from(Verifier {
            keys: Rc::from(vec![Key::new(SECRET)]),
            algorithms: AlgorithmSet::default_set(),
            leeway: 60,
            require_exp: false,
            flat,
            ..Verifier::default()
        })
    };
    let (bearer_verifier, verifier) = (verifier(true), verifier(false));
    let exp = NOW + 86_400;
    let url = "https://seafile.example.com/seafhttp/files/0f3c2a9e-7d4b-4b6e-9a51-2c8d7e6f1a0b/report.docx";
    let bearer = token(&format!(
        r#"{{"payload":{{"c":"forcesave","key":"a1b2c3d4e5f6a7b8c9d0","userdata":"seafile:{}","url":"{url}"}},"iat":{NOW},"exp":{exp}}}"#,
        "x".repeat(150)
    ));
    let header = format!("Bearer {bearer}");
    let changes: Vec<String> = (0..6)
        .map(|m| format!(r#"{{"created":"2025-01-01 11:{m:02}:10","user":{{"id":"user{m}@example.com","name":"user {m}"}}}}"#))
        .collect();
    let fields = format!(
        r#""key":"a1b2c3d4e5f6a7b8c9d0","status":2,"url":"{url}","history":{{"serverVersion":"8.2.0","changes":[{}]}},"users":["alice@example.com"],"actions":[{{"type":0,"userid":"alice@example.com"}}],"lastsave":"2025-01-01T11:58:10.000Z","notmodified":false,"filetype":"docx""#,
        changes.join(",")
    );
    let body_token = token(&format!(r#"{{{fields},"iat":{NOW},"exp":{exp}}}"#));
    let header_token = format!(
        "Bearer {}",
        token(&format!(
            r#"{{"payload":{{{fields}}},"iat":{NOW},"exp":{exp}}}"#
        ))
    );
    let callback_body = format!(r#"{{{fields},"token":"{body_token}"}}"#);

    let header_values = [header.as_bytes()];
    let callback_headers = [header_token.as_bytes()];
    let cases: [(&str, Profile, RequestParts<'_>); 2] = [
        (
            "bearer",
            Profile::Bearer,
            RequestParts {
                header: Header::of(&header_values),
                ..Default::default()
            },
        ),
        (
            "callback",
            Profile::Callback,
            RequestParts {
                header: Header::of(&callback_headers),
                body: Some(callback_body.as_bytes()),
                ..Default::default()
            },
        ),
    ];
    // Each figure is the best of seven runs of `iterations / 7` calls: the machine's noise
    // only ever adds time.
    let best = |f: &dyn Fn()| {
        let n = (iterations / 7).max(1);
        (0..7)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..n {
                    f();
                }
                start.elapsed().as_nanos() as f64 / f64::from(n)
            })
            .fold(f64::INFINITY, f64::min)
    };
    // the HMAC alone, for scale
    let key = Key::new(SECRET);
    let input = bearer
        .rsplit_once('.')
        .map(|(i, _)| i)
        .unwrap_or_default()
        .as_bytes();
    let ns = best(&|| {
        black_box(key.sign(Algorithm::HS256, black_box(input)));
    });
    println!(
        "{:<9} {ns:8.0} ns per HMAC-SHA256 of the bearer token's signing input",
        "hmac"
    );
    // the pieces of the bearer check, for scale
    let claims_seg = bearer.split('.').nth(1).unwrap_or_default().as_bytes();
    let claims = b64::decode(claims_seg).unwrap_or_default();
    let time = |label: &str, f: &dyn Fn()| {
        let ns = best(f);
        println!("{label:<9} {ns:8.0} ns per {label} of the bearer token's claims");
    };
    time("base64", &|| {
        black_box(b64::decode(black_box(claims_seg)));
    });
    time("parse", &|| {
        black_box(onlyoffice_jwt_core::json::parse_object(black_box(&claims))).ok();
    });
    time("verify", &|| {
        black_box(bearer_verifier.verify(black_box(bearer.as_bytes()), NOW)).ok();
    });
    let only = std::env::args().nth(2);
    for (name, profile, parts) in cases {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let verifier = match profile {
            Profile::Bearer => &bearer_verifier,
            _ => &verifier,
        };
        assert!(
            check(profile, &parts, verifier, NOW).is_ok(),
            "{name} must be accepted"
        );
        let ns = best(&|| {
            black_box(check(profile, black_box(&parts), verifier, NOW)).ok();
        });
        println!("{name:<9} {ns:8.0} ns per check");
    }
}
