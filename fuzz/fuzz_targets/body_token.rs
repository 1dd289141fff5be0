//! `policy::check` on arbitrary request pieces, for every profile that finds a token:
//! `command`, `convert`, `builder`, `callback` (body, query, header) and `bearer`,
//! `download` (header).
//!
//! The input is split on NUL bytes into the body, the query string, the token header's
//! value(s) and the request target: `body \0 args \0 header [\0 uri [\0 second header]]`.
//! An input without NUL is a body alone. In every piece, the placeholders `$T` (a valid
//! token whose claims fit every profile but `builder`), `$B` (a valid builder token), `$F`
//! (`$T`'s claims signed with another secret), `$E` (expired) and `$N` (alg none) are
//! replaced by those tokens, so that the fuzzer reaches the code behind a valid signature.
//!
//! Besides "no panic", the verdicts must hold a few invariants: a refusal maps to a status of
//! SPEC's table; a request without any token material is never accepted; a forged, expired
//! or `none` token in the header (or in `onlyoffice_jwt_token`) is never accepted, whatever
//! else the request carries.

#![no_main]

use std::rc::Rc;

use libfuzzer_sys::fuzz_target;
use onlyoffice_jwt_core::policy::{check, Header, RequestParts};
use onlyoffice_jwt_core::{
    b64, Algorithm, AlgorithmSet, CachedVerifier, Key, Profile, Refusal, Verifier,
};

const NOW: i64 = 1_735_732_900;
const SECRET: &[u8] = b"fuzz-body-secret-0123456789abcdefghij";
const FOREIGN: &[u8] = b"fuzz-body-foreign-0123456789abcdefghi";

/// Claims that fit every profile but `builder`: `c`, `url`, `outputtype`, `key`, `status`,
/// `exp`, and a `payload.url` for `download`.
const CLAIMS: &str = r#"{"c":"info","key":"Khirz6zTPdfd7","url":"http://ds/a.docx","outputtype":"pdf","status":2,"exp":4102444800,"payload":{"url":"/dl/f.docx?x=1","c":"info","key":"Khirz6zTPdfd7","status":2}}"#;

/// What `builder` takes: only what the Document Server's `builderRequest` reads.
const BUILDER_CLAIMS: &str =
    r#"{"async":false,"url":"https://x/script.docbuilder","key":"k1","exp":4102444800}"#;

const PROFILES: [Profile; 6] = [
    Profile::Bearer,
    Profile::Command,
    Profile::Convert,
    Profile::Builder,
    Profile::Callback,
    Profile::Download,
];

fn sign(header: &str, claims: &str, secret: &[u8]) -> String {
    let input = format!(
        "{}.{}",
        b64::encode(header.as_bytes()),
        b64::encode(claims.as_bytes())
    );
    let sig = Key::new(secret)
        .sign(Algorithm::HS256, input.as_bytes())
        .unwrap_or_default();
    format!("{input}.{sig}")
}

struct Fixture {
    verifiers: Vec<(Profile, CachedVerifier)>,
    good: Vec<u8>,
    builder: Vec<u8>,
    forged: Vec<u8>,
    expired: Vec<u8>,
    none: Vec<u8>,
}

thread_local! {
    static FIXTURE: Fixture = {
        let header = r#"{"alg":"HS256","typ":"JWT"}"#;
        let good = sign(header, CLAIMS, SECRET);
        let builder = sign(header, BUILDER_CLAIMS, SECRET);
        let forged = sign(header, CLAIMS, FOREIGN);
        let expired = sign(header, &CLAIMS.replace("4102444800", "1000"), SECRET);
        let none = format!(
            "{}.{}.{}",
            b64::encode(br#"{"alg":"none"}"#),
            b64::encode(CLAIMS.as_bytes()),
            good.rsplit('.').next().unwrap_or_default()
        );
        let mut set = AlgorithmSet::empty();
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            set.insert(alg);
        }
        let verifiers = PROFILES
            .iter()
            .map(|p| {
                (
                    *p,
                    CachedVerifier::from(Verifier {
                        keys: Rc::from(vec![Key::new(SECRET)]),
                        algorithms: set,
                        leeway: 60,
                        require_exp: p.requires_exp_by_default(),
                        ..Verifier::default()
                    }),
                )
            })
            .collect();
        Fixture {
            verifiers,
            good: good.into_bytes(),
            builder: builder.into_bytes(),
            forged: forged.into_bytes(),
            expired: expired.into_bytes(),
            none: none.into_bytes(),
        }
    };
}

/// Replaces the placeholders; `None` when there were none.
fn substitute(piece: &[u8], fx: &Fixture) -> Option<Vec<u8>> {
    if !piece.contains(&b'$') {
        return None;
    }
    let mut out = Vec::with_capacity(piece.len() + 512);
    let mut i = 0;
    let mut replaced = false;
    while let Some(&b) = piece.get(i) {
        let token = match (b, piece.get(i + 1)) {
            (b'$', Some(b'T')) => Some(&fx.good),
            (b'$', Some(b'B')) => Some(&fx.builder),
            (b'$', Some(b'F')) => Some(&fx.forged),
            (b'$', Some(b'E')) => Some(&fx.expired),
            (b'$', Some(b'N')) => Some(&fx.none),
            _ => None,
        };
        match token {
            Some(t) => {
                out.extend_from_slice(t);
                replaced = true;
                i += 2;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    replaced.then_some(out)
}

fn status_ok(refusal: Refusal) -> bool {
    matches!(refusal.status(), 400 | 401 | 403 | 413)
        && refusal != Refusal::BodyTooLarge
        && refusal != Refusal::Require
}

fuzz_target!(|data: &[u8]| {
    FIXTURE.with(|fx| {
        let mut pieces = data.split(|b| *b == 0);
        let body_raw = pieces.next().unwrap_or_default();
        let args_raw = pieces.next();
        let header_raw = pieces.next();
        let uri_raw = pieces.next();
        let header2_raw = pieces.next();

        let owned: Vec<Option<Vec<u8>>> =
            [Some(body_raw), args_raw, header_raw, uri_raw, header2_raw]
                .iter()
                .map(|p| p.and_then(|p| substitute(p, fx)))
                .collect();
        let pick = |i: usize, raw: Option<&'_ [u8]>| -> Option<Vec<u8>> {
            owned[i].clone().or_else(|| raw.map(<[u8]>::to_vec))
        };
        let body = pick(0, Some(body_raw)).unwrap_or_default();
        let args = pick(1, args_raw).unwrap_or_default();
        let header = pick(2, header_raw);
        let uri = pick(3, uri_raw).unwrap_or_else(|| b"/dl/f.docx?x=1".to_vec());
        let header2 = pick(4, header2_raw);

        let headers: Vec<&[u8]> = [header.as_deref(), header2.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        // An input that is only a body is sent without a body too, as for a GET.
        let bodies: &[Option<&[u8]>] = if args_raw.is_none() {
            &[Some(&body), None]
        } else {
            &[Some(&body)]
        };

        for (profile, verifier) in &fx.verifiers {
            for body in bodies {
                let parts = RequestParts {
                    token_override: None,
                    header: Header::of(&headers),
                    args: &args,
                    body: *body,
                    request_uri: &uri,
                };
                let got = check(*profile, &parts, verifier, NOW);
                if let Err(refusal) = got {
                    assert!(status_ok(refusal), "{refusal:?}");
                }
                // Nothing that could be a token anywhere: no acceptance.
                let material = |p: &[u8]| p.contains(&b'.');
                if !material(body.unwrap_or_default())
                    && !material(&args)
                    && !headers.iter().any(|h| material(h))
                {
                    assert!(
                        matches!(
                            got,
                            Err(Refusal::Missing | Refusal::Malformed | Refusal::BadBody)
                        ),
                        "{profile:?} accepted a request without a token: {got:?}"
                    );
                }
                // `onlyoffice_jwt_token` with a bad token: never accepted.
                if *profile == Profile::Bearer {
                    for bad in [&fx.forged, &fx.expired, &fx.none] {
                        let parts = RequestParts {
                            token_override: Some(bad),
                            ..parts
                        };
                        assert!(check(*profile, &parts, verifier, NOW).is_err());
                    }
                    let parts = RequestParts {
                        token_override: Some(&fx.good),
                        ..parts
                    };
                    assert!(check(*profile, &parts, verifier, NOW).is_ok());
                }
            }
        }

        // A bad header token is refused by every profile, whatever else the request
        // carries: it is the only token of bearer and download, and the others verify it
        // next to the body or query token.
        for bad in [&fx.forged, &fx.expired, &fx.none] {
            let header = [b"Bearer ".as_slice(), bad.as_slice()].concat();
            let parts = RequestParts {
                token_override: None,
                header: Header::of(&[&header]),
                args: &args,
                body: Some(&body),
                request_uri: &uri,
            };
            for (profile, verifier) in &fx.verifiers {
                let got = check(*profile, &parts, verifier, NOW);
                assert!(got.is_err(), "{profile:?} accepted a bad header token");
            }
        }
    });
});
