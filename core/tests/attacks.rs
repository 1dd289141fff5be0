//! Hand-built attack tokens (jwt-anchors §7): every one must be refused, with the right
//! refusal.

mod common;

use common::*;
use onlyoffice_jwt_core::{b64, Algorithm, Refusal};

const SECRET: &[u8] = b"correct-horse-battery-staple-0123";
const NOW: i64 = 1_735_732_900;
const CLAIMS: &str = r#"{"c":"info","key":"Khirz6zTPdfd7"}"#;

fn good() -> String {
    hs256_token(r#"{"alg":"HS256","typ":"JWT"}"#, CLAIMS, SECRET)
}

fn all_algs() -> onlyoffice_jwt_core::CachedVerifier {
    verifier(&[SECRET], &ALL, 60, false)
}

#[test]
fn baseline_is_accepted() {
    assert!(all_algs().verify(good().as_bytes(), NOW).is_ok());
}

#[test]
fn alg_none_in_every_casing() {
    let v = all_algs();
    let claims = b64::encode(CLAIMS.as_bytes());
    let (_, _, real_sig) = segments(&good());
    for name in ["none", "None", "NONE", "nOnE", ""] {
        let header = b64::encode(format!(r#"{{"alg":"{name}","typ":"JWT"}}"#).as_bytes());
        // Empty signature: refused as malformed (a JWS has three non-empty segments).
        let unsigned = format!("{header}.{claims}.");
        assert_eq!(
            v.verify(unsigned.as_bytes(), NOW),
            Err(Refusal::Malformed),
            "{name}"
        );
        // A leftover signature: refused on the algorithm.
        let leftover = format!("{header}.{claims}.{real_sig}");
        assert_eq!(
            v.verify(leftover.as_bytes(), NOW),
            Err(Refusal::Algorithm),
            "{name}"
        );
        // MAC'd correctly over the forged header: still the algorithm.
        let signed = sign_input(Algorithm::HS256, &format!("{header}.{claims}"), SECRET);
        assert_eq!(
            v.verify(signed.as_bytes(), NOW),
            Err(Refusal::Algorithm),
            "{name}"
        );
    }
}

#[test]
fn other_algorithm_names() {
    let v = all_algs();
    for name in [
        "RS256", "ES256", "PS256", "EdDSA", "hs256", "Hs256", "HS256 ", " HS256", "HS 256",
        "HS1024", "dir",
    ] {
        let t = hs256_token(&format!(r#"{{"alg":"{name}"}}"#), CLAIMS, SECRET);
        assert_eq!(
            v.verify(t.as_bytes(), NOW),
            Err(Refusal::Algorithm),
            "{name}"
        );
    }
    for header in [
        r#"{}"#,
        r#"{"alg":null}"#,
        r#"{"alg":256}"#,
        r#"{"alg":["HS256"]}"#,
        r#"{"alg":{"name":"HS256"}}"#,
        r#"{"typ":"JWT"}"#,
    ] {
        let t = hs256_token(header, CLAIMS, SECRET);
        assert_eq!(
            v.verify(t.as_bytes(), NOW),
            Err(Refusal::Algorithm),
            "{header}"
        );
    }
}

#[test]
fn alg_swapped_after_signing() {
    let v = all_algs();
    // Signed as HS256, header then claims HS512 (the signature no longer covers this header,
    // and its length is wrong for HS512).
    let (_, claims, sig) = segments(&good());
    let header = b64::encode(br#"{"alg":"HS512","typ":"JWT"}"#);
    let swapped = format!("{header}.{claims}.{sig}");
    assert_eq!(v.verify(swapped.as_bytes(), NOW), Err(Refusal::Signature));
    // Signed with HS512 over an HS256 header: wrong length again.
    let t = sign_raw(
        Algorithm::HS512,
        br#"{"alg":"HS256"}"#,
        CLAIMS.as_bytes(),
        SECRET,
    );
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Signature));
    // An HS384 header with a valid HS384 MAC but HS384 not allowed.
    let t = sign_raw(
        Algorithm::HS384,
        br#"{"alg":"HS384"}"#,
        CLAIMS.as_bytes(),
        SECRET,
    );
    let only256 = hs256(SECRET, 60);
    assert_eq!(only256.verify(t.as_bytes(), NOW), Err(Refusal::Algorithm));
}

#[test]
fn stripped_or_foreign_signature() {
    let v = all_algs();
    let t = good();
    let (h, c, s) = segments(&t);
    assert_eq!(
        v.verify(format!("{h}.{c}.").as_bytes(), NOW),
        Err(Refusal::Malformed)
    );
    assert_eq!(
        v.verify(format!("{h}.{c}").as_bytes(), NOW),
        Err(Refusal::Malformed)
    );
    let foreign = hs256_token(r#"{"alg":"HS256","typ":"JWT"}"#, CLAIMS, b"another-secret");
    assert_eq!(v.verify(foreign.as_bytes(), NOW), Err(Refusal::Signature));
    let blank = hs256_token(r#"{"alg":"HS256","typ":"JWT"}"#, CLAIMS, b"");
    assert_eq!(v.verify(blank.as_bytes(), NOW), Err(Refusal::Signature));
    // All-zero MAC of the right length.
    let zeros = b64::encode(&[0u8; 32]);
    assert_eq!(
        v.verify(format!("{h}.{c}.{zeros}").as_bytes(), NOW),
        Err(Refusal::Signature)
    );
    // One flipped bit of the MAC.
    let mut mac = b64::decode(s.as_bytes()).expect("b64");
    mac[31] ^= 1;
    let flipped = b64::encode(&mac);
    assert_eq!(
        v.verify(format!("{h}.{c}.{flipped}").as_bytes(), NOW),
        Err(Refusal::Signature)
    );
    // Truncated and extended MACs.
    let short = b64::encode(&mac[..31]);
    assert_eq!(
        v.verify(format!("{h}.{c}.{short}").as_bytes(), NOW),
        Err(Refusal::Signature)
    );
    let mut long = b64::decode(s.as_bytes()).expect("b64");
    long.push(0);
    let long = b64::encode(&long);
    assert_eq!(
        v.verify(format!("{h}.{c}.{long}").as_bytes(), NOW),
        Err(Refusal::Signature)
    );
}

#[test]
fn tampered_header_or_claims() {
    let v = all_algs();
    let (h, c, s) = segments(&good());
    let other_header = b64::encode(br#"{"alg":"HS256","typ":"JWS"}"#);
    assert_eq!(
        v.verify(format!("{other_header}.{c}.{s}").as_bytes(), NOW),
        Err(Refusal::Signature)
    );
    let other_claims = b64::encode(br#"{"c":"drop","key":"Khirz6zTPdfd7"}"#);
    assert_eq!(
        v.verify(format!("{h}.{other_claims}.{s}").as_bytes(), NOW),
        Err(Refusal::Signature)
    );
    // Claims that are not even JSON, with the original signature: the signature fails
    // first, the claims are never parsed.
    let junk = b64::encode(b"not json");
    assert_eq!(
        v.verify(format!("{h}.{junk}.{s}").as_bytes(), NOW),
        Err(Refusal::Signature)
    );
}

#[test]
fn crit_is_refused_whatever_its_value() {
    let v = all_algs();
    for crit in [
        r#"["exp"]"#,
        r#"["unknown"]"#,
        "[]",
        r#""b64""#,
        "null",
        "false",
        "{}",
    ] {
        let t = hs256_token(
            &format!(r#"{{"alg":"HS256","crit":{crit}}}"#),
            CLAIMS,
            SECRET,
        );
        assert_eq!(
            v.verify(t.as_bytes(), NOW),
            Err(Refusal::Algorithm),
            "{crit}"
        );
    }
}

#[test]
fn header_key_material_is_ignored() {
    let v = all_algs();
    let attacker: &[u8] = b"attacker-chosen-key";
    let k = b64::encode(attacker);
    let headers = [
        format!(r#"{{"alg":"HS256","jwk":{{"kty":"oct","k":"{k}"}}}}"#),
        r#"{"alg":"HS256","jku":"https://attacker.example/jwks.json"}"#.to_owned(),
        r#"{"alg":"HS256","x5u":"https://attacker.example/cert.pem"}"#.to_owned(),
        r#"{"alg":"HS256","x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}"#.to_owned(),
        r#"{"alg":"HS256","kid":"../../../../dev/null"}"#.to_owned(),
        r#"{"alg":"HS256","kid":""}"#.to_owned(),
        r#"{"alg":"HS256","kid":"x' UNION SELECT 'attacker-chosen-key';--"}"#.to_owned(),
        r#"{"alg":"HS256","kid":"|sleep 10"}"#.to_owned(),
        r#"{"alg":"HS256","kid":17}"#.to_owned(),
        r#"{"alg":"HS256","kid":{"a":null}}"#.to_owned(),
    ];
    for header in &headers {
        // Signed with the attacker's key: refused.
        let forged = hs256_token(header, CLAIMS, attacker);
        assert_eq!(
            v.verify(forged.as_bytes(), NOW),
            Err(Refusal::Signature),
            "{header}"
        );
        // Signed with the configured key: accepted, the extra members are just carried.
        let real = hs256_token(header, CLAIMS, SECRET);
        assert!(v.verify(real.as_bytes(), NOW).is_ok(), "{header}");
    }
    // /dev/null's content (empty) as the key.
    let t = hs256_token(r#"{"alg":"HS256","kid":"/dev/null"}"#, CLAIMS, b"");
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Signature));
}

#[test]
fn base64_strictness() {
    let v = all_algs();
    let t = good();
    let (h, c, s) = segments(&t);
    let padded = |seg: &str| format!("{seg}=");
    let cases = [
        // padding on each segment
        format!("{}.{c}.{s}", padded(&h)),
        format!("{h}.{}.{s}", padded(&c)),
        format!("{h}.{c}.{}", padded(&s)),
        format!("{h}.{c}.{s}=="),
        // whitespace
        format!(" {t}"),
        format!("{t} "),
        format!("{t}\n"),
        format!("{h} .{c}.{s}"),
        format!("{h}.\t{c}.{s}"),
        format!("{h}.{c}.{}\r\n{}", &s[..20], &s[20..]),
        // characters outside the alphabet
        format!("{h}?.{c}.{s}"),
        format!("{h}.{c}.{s}#"),
        format!("{h}.{c}%2E.{s}"),
    ];
    for bad in &cases {
        assert_eq!(
            v.verify(bad.as_bytes(), NOW),
            Err(Refusal::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn standard_alphabet_is_refused() {
    let v = all_algs();
    // Find claims whose encoding has '-' or '_', then send it with '+' / '/' instead: the
    // same octets under the standard alphabet.
    let mut n = 0;
    loop {
        let claims = format!(r#"{{"c":"info","pad":"{}"}}"#, "?".repeat(n) + ">>>");
        let t = hs256_token(r#"{"alg":"HS256"}"#, &claims, SECRET);
        assert!(v.verify(t.as_bytes(), NOW).is_ok());
        let (h, c, s) = segments(&t);
        if c.contains('-') || c.contains('_') {
            let std = c.replace('-', "+").replace('_', "/");
            let bad = format!("{h}.{std}.{s}");
            assert_eq!(v.verify(bad.as_bytes(), NOW), Err(Refusal::Malformed));
            break;
        }
        n += 1;
        assert!(n < 50);
    }
    // A signature under the standard alphabet (re-signed so only the alphabet differs).
    for i in 0..200 {
        let t = hs256_token(r#"{"alg":"HS256"}"#, &format!(r#"{{"i":{i}}}"#), SECRET);
        let (h, c, s) = segments(&t);
        if s.contains('-') || s.contains('_') {
            let std = s.replace('-', "+").replace('_', "/");
            assert_eq!(
                v.verify(format!("{h}.{c}.{std}").as_bytes(), NOW),
                Err(Refusal::Malformed)
            );
            return;
        }
    }
    panic!("no signature with - or _ in 200 tries");
}

#[test]
fn non_canonical_trailing_bits() {
    let v = all_algs();
    // Claims whose encoding ends in a partial group; bump the last character so that only
    // unused bits change: same octets, different text. The MAC is recomputed over the new
    // text so that only the encoding is wrong.
    for claims in [r#"{"c":"info"}"#, r#"{"c":"info1"}"#, r#"{"c":"info12"}"#] {
        let c = b64::encode(claims.as_bytes());
        let h = b64::encode(br#"{"alg":"HS256"}"#);
        let rem = claims.len() % 3;
        if rem == 0 {
            continue;
        }
        let mut bytes = c.clone().into_bytes();
        let last = bytes.last_mut().expect("non-empty");
        *last = match *last {
            b'A' => b'B',
            b'Q' => b'R',
            b'g' => b'h',
            b'w' => b'x',
            b'E' => b'F',
            b'I' => b'J',
            b'M' => b'N',
            b'U' => b'V',
            b'Y' => b'Z',
            b'c' => b'd',
            b'k' => b'l',
            b'o' => b'p',
            b's' => b't',
            b'0' => b'1',
            b'4' => b'5',
            b'8' => b'9',
            other => panic!("unexpected final char {}", other as char),
        };
        let odd = String::from_utf8(bytes).expect("ascii");
        assert_ne!(odd, c);
        let t = sign_input(Algorithm::HS256, &format!("{h}.{odd}"), SECRET);
        assert_eq!(
            v.verify(t.as_bytes(), NOW),
            Err(Refusal::Malformed),
            "{claims}"
        );
        let t = sign_input(Algorithm::HS256, &format!("{h}.{c}"), SECRET);
        assert!(v.verify(t.as_bytes(), NOW).is_ok());
    }
    // Non-canonical signature encoding: 32 bytes take 43 characters, the last of which
    // carries 2 unused bits; setting the lowest one keeps the octets and breaks the encoding.
    let (h, c, s) = segments(&good());
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut sig = s.into_bytes();
    let last = sig.last_mut().expect("non-empty");
    let index = alphabet.iter().position(|a| a == last).expect("alphabet");
    assert_eq!(index & 3, 0, "canonical: unused bits are zero");
    *last = alphabet[index | 1];
    let odd = String::from_utf8(sig).expect("ascii");
    assert_eq!(
        v.verify(format!("{h}.{c}.{odd}").as_bytes(), NOW),
        Err(Refusal::Signature)
    );
}

#[test]
fn impossible_lengths() {
    let v = all_algs();
    let (h, c, s) = segments(&good());
    let one_mod_four = |seg: &str| {
        let mut len = seg.len();
        while len % 4 != 1 {
            len -= 1;
        }
        seg[..len].to_owned()
    };
    let bad_header = format!("{}.{c}.{s}", one_mod_four(&h));
    assert_eq!(
        v.verify(bad_header.as_bytes(), NOW),
        Err(Refusal::Malformed)
    );
    assert_eq!(
        v.verify(format!("A.{c}.{s}").as_bytes(), NOW),
        Err(Refusal::Malformed)
    );
    // The claims segment is decoded before the signature is checked: not base64url is
    // malformed, whatever the signature.
    let bad_claims = format!("{h}.{}", one_mod_four(&c));
    let t = sign_input(Algorithm::HS256, &bad_claims, SECRET);
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Malformed));
    assert_eq!(
        v.verify(format!("{bad_claims}.{s}").as_bytes(), NOW),
        Err(Refusal::Malformed)
    );
}

#[test]
fn duplicate_members() {
    let v = all_algs();
    let headers = [
        r#"{"alg":"HS256","alg":"none"}"#,
        r#"{"alg":"HS256","alg":"HS256"}"#,
        r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
        r#"{"alg":"HS256","x":{"a":1,"a":2}}"#,
        r#"{"alg":"HS256","\u0061lg":"HS256"}"#,
    ];
    for header in headers {
        let t = hs256_token(header, CLAIMS, SECRET);
        assert_eq!(
            v.verify(t.as_bytes(), NOW),
            Err(Refusal::Malformed),
            "{header}"
        );
    }
    let claims = [
        r#"{"exp":1,"exp":9999999999}"#,
        r#"{"c":"info","c":"drop"}"#,
        r#"{"payload":{"url":"a","url":"b"}}"#,
        r#"{"a":[{"b":1,"b":1}]}"#,
    ];
    for claim in claims {
        let t = hs256_token(r#"{"alg":"HS256"}"#, claim, SECRET);
        assert_eq!(
            v.verify(t.as_bytes(), NOW),
            Err(Refusal::Malformed),
            "{claim}"
        );
    }
}

#[test]
fn header_and_claims_must_be_json_objects() {
    let v = all_algs();
    let not_objects = [
        "[]",
        r#"["alg","HS256"]"#,
        r#""{\"alg\":\"HS256\"}""#,
        "123",
        "null",
        "true",
        "",
        "\u{feff}{}",
        r#"{"alg":"HS256"} x"#,
        r#"{"alg":"HS256"}{}"#,
        "{'alg':'HS256'}",
        r#"{"alg":"HS256",}"#,
        "{/* */\"alg\":\"HS256\"}",
        r#"{"alg":NaN}"#,
    ];
    for text in not_objects {
        let header = sign_raw(Algorithm::HS256, text.as_bytes(), CLAIMS.as_bytes(), SECRET);
        let claims = sign_raw(
            Algorithm::HS256,
            br#"{"alg":"HS256"}"#,
            text.as_bytes(),
            SECRET,
        );
        if !text.is_empty() {
            assert_eq!(
                v.verify(header.as_bytes(), NOW),
                Err(Refusal::Malformed),
                "header {text}"
            );
        }
        assert_eq!(
            v.verify(claims.as_bytes(), NOW),
            Err(Refusal::Malformed),
            "claims {text}"
        );
    }
    // Invalid UTF-8 and UTF-16.
    for bytes in [
        &b"{\"alg\":\"HS256\",\"x\":\"\xff\"}"[..],
        b"\xff\xfe{\x00}\x00",
    ] {
        let header = sign_raw(Algorithm::HS256, bytes, CLAIMS.as_bytes(), SECRET);
        assert_eq!(v.verify(header.as_bytes(), NOW), Err(Refusal::Malformed));
        let claims = sign_raw(Algorithm::HS256, br#"{"alg":"HS256"}"#, bytes, SECRET);
        assert_eq!(v.verify(claims.as_bytes(), NOW), Err(Refusal::Malformed));
    }
    // Deep nesting in the claims.
    let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(300), "]".repeat(300));
    let t = hs256_token(r#"{"alg":"HS256"}"#, &deep, SECRET);
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Malformed));
}

#[test]
fn segment_counts() {
    let v = all_algs();
    let t = good();
    let (h, c, s) = segments(&t);
    let cases = [
        String::new(),
        ".".to_owned(),
        "..".to_owned(),
        "...".to_owned(),
        h.clone(),
        format!("{h}.{c}"),
        format!("{c}.{s}"),
        format!("{t}."),
        format!(".{t}"),
        format!("{t}.{s}"),
        format!("{h}.{c}.{s}.{s}.{s}"),
        format!("{h}..{s}"),
        format!(".{c}.{s}"),
        format!("{h}.{c}.{s}.{c}.{s}"),
    ];
    for bad in &cases {
        assert_eq!(
            v.verify(bad.as_bytes(), NOW),
            Err(Refusal::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn json_serialization_is_refused() {
    let v = all_algs();
    let (h, c, s) = segments(&good());
    let flattened = format!(r#"{{"payload":"{c}","protected":"{h}","signature":"{s}"}}"#);
    let general =
        format!(r#"{{"payload":"{c}","signatures":[{{"protected":"{h}","signature":"{s}"}}]}}"#);
    for t in [flattened, general] {
        assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Malformed));
    }
    // A compact token hidden inside a JSON string (CVE-2022-39227 style polyglot).
    let polyglot =
        format!(r#"{{"{h}.{c}":"","protected":"{h}","payload":"{c}","signature":"{s}"}}"#);
    assert_eq!(v.verify(polyglot.as_bytes(), NOW), Err(Refusal::Malformed));
}

#[test]
fn long_tokens_are_judged_like_short_ones() {
    // No length cap: a long genuine token verifies, a long forged or tampered one is refused
    // for what it is, never as malformed for its length.
    let v = all_algs();
    for len in [10_000, 20_000, 1 << 20, 4 << 20] {
        let big = "x".repeat(len);
        let claims = format!(r#"{{"c":"{big}"}}"#);
        let t = hs256_token(r#"{"alg":"HS256"}"#, &claims, SECRET);
        assert!(v.verify(t.as_bytes(), NOW).is_ok(), "{len}");
        let forged = hs256_token(r#"{"alg":"HS256"}"#, &claims, b"another secret");
        assert_eq!(v.verify(forged.as_bytes(), NOW), Err(Refusal::Signature));
    }
}

#[test]
fn jwe_shapes_are_refused() {
    let v = all_algs();
    // Five segments.
    let jwe = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGeipsEdY3mx_etLbbWSrFr05kLzcSr4qKAq7YN7e9jwQRb23nfa6c9d-StnImGyFDbSv04uVuxIp5Zms1gNxKKK2Da14B8S4rzVRltdYwam_lDp5XnZAYpQdb76FdIKLaVmqgfwX7XWRxv2322i-vDxRfqNzo_tETKzpVLzfiwQyeyPGLBIO56YJ7eObdv0je81860ppamavo35UgoRdbYaBcoh9QcfylQr66oc6vFWXRcZ_ZT2LawVCWTIy3brGPi6UklfCpIMfIjf7iGdXKHzg.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6jiSdiwkIr3ajwQzaBtQD_A.XFBoMYUZodetZdvTiFvSkQ";
    assert_eq!(v.verify(jwe.as_bytes(), NOW), Err(Refusal::Malformed));
    // Three segments, but a JWE header: no HMAC alg.
    let t = hs256_token(r#"{"alg":"dir","enc":"A128GCM"}"#, CLAIMS, SECRET);
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Algorithm));
}

#[test]
fn rs256_to_hs256_confusion_with_public_key_text() {
    // The configured secret happens to be what an attacker knows (a PEM public key text):
    // a token MAC'd with other bytes (with/without the final newline) fails.
    let pem = b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n";
    let v = verifier(&[SECRET], &ALL, 60, false);
    for key in [&pem[..], &pem[..pem.len() - 1]] {
        let t = hs256_token(r#"{"alg":"HS256"}"#, CLAIMS, key);
        assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Signature));
    }
}

#[test]
fn refusal_text_never_contains_token_material() {
    let v = all_algs();
    let t = hs256_token(r#"{"alg":"none"}"#, r#"{"secret-marker":1}"#, SECRET);
    let err = v.verify(t.as_bytes(), NOW).expect_err("refused");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("secret-marker"));
    assert!(!text.contains(&t[..10]));
}

#[test]
fn verify_signature_skips_the_payload() {
    let v = all_algs();
    let t = hs256_token(r#"{"alg":"HS256"}"#, "plain text payload", SECRET);
    let signed = v
        .verifier
        .verify_signature(t.as_bytes())
        .expect("signature ok");
    assert_eq!(signed.payload, b"plain text payload");
    assert_eq!(signed.algorithm, Algorithm::HS256);
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Malformed));
}

// ---------------------------------------------------------------------------------------
// More vectors of jwt-anchors §7, and the same attacks carried by whole requests through
// `policy::check` (header, body and query tokens, every profile that reads them).

mod policy_attacks {
    use super::*;
    use onlyoffice_jwt_core::policy::{check, Accepted, Header, RequestParts};
    use onlyoffice_jwt_core::{CachedVerifier, Profile};

    fn profile_verifier(profile: Profile) -> CachedVerifier {
        verifier(&[SECRET], &ALL, 60, profile.requires_exp_by_default())
    }

    fn run(profile: Profile, parts: &RequestParts<'_>) -> Result<Accepted, Refusal> {
        check(profile, parts, &profile_verifier(profile), NOW)
    }

    fn req<'a>(
        headers: &'a [&'a [u8]],
        body: Option<&'a [u8]>,
        args: &'a [u8],
    ) -> RequestParts<'a> {
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

    fn command_token() -> String {
        hs256_token(r#"{"alg":"HS256","typ":"JWT"}"#, CLAIMS, SECRET)
    }

    fn command_header_token() -> String {
        hs256_token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            &format!(r#"{{"payload":{CLAIMS}}}"#),
            SECRET,
        )
    }

    /// A status-2 callback body carrying its own flat token, and the matching `payload`
    /// header token, both expiring 300 s after NOW.
    fn callback_pair() -> (String, String) {
        let fields = r#""key":"a1b2c3d4e5f6a7b8c9d0","status":2,"url":"https://ds.example/cache/files/x/output.docx""#;
        let exp = NOW + 300;
        let flat = hs256_token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            &format!(r#"{{{fields},"iat":{NOW},"exp":{exp}}}"#),
            SECRET,
        );
        let wrapped = hs256_token(
            r#"{"alg":"HS256","typ":"JWT"}"#,
            &format!(r#"{{"payload":{{{fields}}},"iat":{NOW},"exp":{exp}}}"#),
            SECRET,
        );
        (format!(r#"{{{fields},"token":"{flat}"}}"#), wrapped)
    }

    /// Bad tokens of every kind, each with the refusal it must get.
    fn bad_tokens(claims: &str) -> Vec<(&'static str, String, Refusal)> {
        let (h, c, s) = segments(&hs256_token(r#"{"alg":"HS256"}"#, claims, SECRET));
        let none = b64::encode(br#"{"alg":"none"}"#);
        vec![
            (
                "foreign secret",
                hs256_token(r#"{"alg":"HS256"}"#, claims, b"another-secret"),
                Refusal::Signature,
            ),
            (
                "alg none unsigned",
                format!("{none}.{c}."),
                Refusal::Malformed,
            ),
            (
                "alg none leftover sig",
                format!("{none}.{c}.{s}"),
                Refusal::Algorithm,
            ),
            ("stripped signature", format!("{h}.{c}"), Refusal::Malformed),
            (
                "padded signature",
                format!("{h}.{c}.{s}="),
                Refusal::Malformed,
            ),
            (
                "four segments",
                format!("{h}.{c}.{s}.{s}"),
                Refusal::Malformed,
            ),
            ("garbage", "not-a-jwt".to_owned(), Refusal::Malformed),
            (
                "crit",
                hs256_token(r#"{"alg":"HS256","crit":["exp"]}"#, claims, SECRET),
                Refusal::Algorithm,
            ),
        ]
    }

    #[test]
    fn attack_time_claims_of_wrong_type_through_bearer() {
        for name in ["exp", "nbf", "iat"] {
            for value in [
                "\"4133862000\"",
                "true",
                "false",
                "null",
                "[]",
                "{}",
                "[4133862000]",
            ] {
                let t = hs256_token(
                    r#"{"alg":"HS256"}"#,
                    &format!(r#"{{"sub":"a","{name}":{value}}}"#),
                    SECRET,
                );
                let header = bearer(&t);
                assert_eq!(
                    run(Profile::Bearer, &req(&[&header], None, b"")).err(),
                    Some(Refusal::Malformed),
                    "{name}: {value}"
                );
            }
        }
    }

    #[test]
    fn attack_huge_time_claims_through_callback() {
        // callback requires exp: every form of exp, with the body matching the claims.
        let cases: &[(&str, Option<Refusal>)] = &[
            ("1e400", Some(Refusal::Malformed)),
            ("-1e400", Some(Refusal::Malformed)),
            ("9999999999999999999999", None),
            ("1e300", None),
            ("-1e300", Some(Refusal::Expired)),
            ("-0", Some(Refusal::Expired)),
            ("-9223372036854775809", Some(Refusal::Expired)),
            ("18446744073709551616", None),
            ("4133862000.5", None),
            ("0.0000001", Some(Refusal::Expired)),
        ];
        for (exp, want) in cases {
            let t = hs256_token(
                r#"{"alg":"HS256"}"#,
                &format!(r#"{{"key":"k","status":4,"exp":{exp}}}"#),
                SECRET,
            );
            let body = format!(r#"{{"key":"k","status":4,"token":"{t}"}}"#);
            let got = run(Profile::Callback, &req(&[], Some(body.as_bytes()), b""));
            assert_eq!(got.err(), *want, "exp {exp}");
        }
    }

    #[test]
    fn attack_very_long_and_odd_kid() {
        let v = all_algs();
        let long = "k".repeat(10_000);
        for kid in [
            format!("\"{long}\""),
            "null".to_owned(),
            "[\"a\"]".to_owned(),
        ] {
            let header = format!(r#"{{"alg":"HS256","kid":{kid}}}"#);
            let forged = hs256_token(&header, CLAIMS, b"attacker");
            assert_eq!(v.verify(forged.as_bytes(), NOW), Err(Refusal::Signature));
            let real = hs256_token(&header, CLAIMS, SECRET);
            assert!(v.verify(real.as_bytes(), NOW).is_ok());
        }
    }

    #[test]
    fn attack_header_non_canonical_trailing_bits() {
        // {"alg":"HS256"} is 15 bytes: 20 characters, no partial group. Add a member so the
        // header ends in a partial group, then set an unused bit of its last character.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut tried = 0;
        for pad in ["", "x", "xx"] {
            let header = format!(r#"{{"alg":"HS256","p":"{pad}"}}"#);
            let unused_bits = match header.len() % 3 {
                1 => 0b1111,
                2 => 0b11,
                _ => continue,
            };
            let h = b64::encode(header.as_bytes());
            let c = b64::encode(CLAIMS.as_bytes());
            let mut bytes = h.clone().into_bytes();
            let last = bytes.last_mut().expect("non-empty");
            let index = alphabet.iter().position(|a| a == last).expect("alphabet");
            assert_eq!(index & unused_bits, 0);
            *last = alphabet[index | 1];
            let odd = String::from_utf8(bytes).expect("ascii");
            let t = sign_input(Algorithm::HS256, &format!("{odd}.{c}"), SECRET);
            assert_eq!(
                all_algs().verify(t.as_bytes(), NOW),
                Err(Refusal::Malformed),
                "{header}"
            );
            let t = sign_input(Algorithm::HS256, &format!("{h}.{c}"), SECRET);
            assert!(all_algs().verify(t.as_bytes(), NOW).is_ok());
            tried += 1;
        }
        assert_eq!(tried, 2);
    }

    #[test]
    fn attack_empty_token_everywhere() {
        // Empty or blank header values are no token.
        for value in [&b"Bearer"[..], b"Bearer ", b"Bearer \t ", b"bearer  "] {
            assert_eq!(
                run(Profile::Bearer, &req(&[value], None, b"")).err(),
                Some(Refusal::Missing),
                "{value:?}"
            );
        }
        // An empty body token or query token is no token (as the DS's `if (token)`).
        for body in [r#"{"token":""}"#, r#"{"token":null}"#, r#"{"c":"info"}"#] {
            assert_eq!(
                run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).err(),
                Some(Refusal::Missing),
                "{body}"
            );
        }
        assert_eq!(
            run(Profile::Command, &req(&[], None, b"token=")).err(),
            Some(Refusal::Missing)
        );
        assert_eq!(
            run(Profile::Command, &req(&[], None, b"token")).err(),
            Some(Refusal::Missing)
        );
        // A blank but non-empty token is a malformed token, not a missing one.
        for body in [r#"{"token":" "}"#, r#"{"token":"."}"#, r#"{"token":".."}"#] {
            assert_eq!(
                run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).err(),
                Some(Refusal::Malformed),
                "{body}"
            );
        }
        assert_eq!(
            run(Profile::Command, &req(&[], None, b"token=%20")).err(),
            Some(Refusal::Malformed)
        );
    }

    #[test]
    fn attack_bearer_scheme_variants() {
        let t = command_token();
        let cases: Vec<(String, Option<Refusal>)> = vec![
            (format!("Bearer {t}"), None),
            (format!("bearer {t}"), None),
            (format!("BEARER {t}"), None),
            (format!("bEaReR {t}"), None),
            (format!("Bearer  {t}"), None),
            (format!("Bearer\t{t}"), None),
            (format!("Bearer {t} "), None),
            ("Bearer".to_owned(), Some(Refusal::Missing)),
            (format!("Bearer{t}"), Some(Refusal::Missing)),
            (format!("Basic {t}"), Some(Refusal::Missing)),
            (format!("Token {t}"), Some(Refusal::Missing)),
            (t.clone(), Some(Refusal::Missing)),
            (format!(" Bearer {t}"), Some(Refusal::Missing)),
            (format!("Bearer {t} {t}"), Some(Refusal::Malformed)),
            (format!("Bearer {t},"), Some(Refusal::Malformed)),
            (format!("Bearer {t}="), Some(Refusal::Malformed)),
            (format!("Bearer \"{t}\""), Some(Refusal::Malformed)),
            (format!("Bearer {t}\0"), Some(Refusal::Malformed)),
        ];
        for (value, want) in &cases {
            let got = run(Profile::Bearer, &req(&[value.as_bytes()], None, b""));
            assert_eq!(got.err(), *want, "{value:?}");
        }
    }

    #[test]
    fn attack_bad_token_in_every_place() {
        let wrapped = format!(r#"{{"payload":{CLAIMS}}}"#);
        for (name, bad, want) in bad_tokens(CLAIMS) {
            // body token
            let body = format!(r#"{{"token":"{bad}"}}"#);
            assert_eq!(
                run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).err(),
                Some(want),
                "body: {name}"
            );
            // query token (no JSON body)
            let args = format!("token={bad}");
            assert_eq!(
                run(Profile::Command, &req(&[], None, args.as_bytes())).err(),
                Some(want),
                "query: {name}"
            );
        }
        for (name, bad, want) in bad_tokens(&wrapped) {
            let header = bearer(&bad);
            assert_eq!(
                run(Profile::Command, &req(&[&header], Some(b"{}"), b"")).err(),
                Some(want),
                "header: {name}"
            );
            assert_eq!(
                run(Profile::Bearer, &req(&[&header], None, b"")).err(),
                Some(want),
                "bearer: {name}"
            );
        }
    }

    #[test]
    fn attack_body_and_header_tokens_either_bad() {
        let good_body = format!(r#"{{"token":"{}"}}"#, command_token());
        let good_header = bearer(&command_header_token());
        assert!(run(
            Profile::Command,
            &req(&[&good_header], Some(good_body.as_bytes()), b"")
        )
        .is_ok());
        let wrapped = format!(r#"{{"payload":{CLAIMS}}}"#);
        for (name, bad, want) in bad_tokens(&wrapped) {
            // good body, bad header
            let header = bearer(&bad);
            assert_eq!(
                run(
                    Profile::Command,
                    &req(&[&header], Some(good_body.as_bytes()), b"")
                )
                .err(),
                Some(want),
                "good body, bad header: {name}"
            );
            // good query, bad header
            let args = format!("token={}", command_token());
            assert_eq!(
                run(Profile::Command, &req(&[&header], None, args.as_bytes())).err(),
                Some(want),
                "good query, bad header: {name}"
            );
        }
        for (name, bad, want) in bad_tokens(CLAIMS) {
            // bad body, good header: the header does not rescue the request
            let body = format!(r#"{{"token":"{bad}"}}"#);
            assert_eq!(
                run(
                    Profile::Command,
                    &req(&[&good_header], Some(body.as_bytes()), b"")
                )
                .err(),
                Some(want),
                "bad body, good header: {name}"
            );
        }
    }

    #[test]
    fn attack_callback_tokens_either_bad() {
        let (body, header) = callback_pair();
        let good_header = bearer(&header);
        assert!(run(
            Profile::Callback,
            &req(&[&good_header], Some(body.as_bytes()), b"")
        )
        .is_ok());
        // A good body token with a bad header token.
        let (_, c, s) = segments(&header);
        let none = b64::encode(br#"{"alg":"none"}"#);
        for (name, bad, want) in [
            ("alg none", format!("{none}.{c}.{s}"), Refusal::Algorithm),
            ("stripped", format!("{none}.{c}."), Refusal::Malformed),
            (
                "foreign",
                hs256_token(r#"{"alg":"HS256"}"#, r#"{"payload":{}}"#, b"x"),
                Refusal::Signature,
            ),
        ] {
            let h = bearer(&bad);
            assert_eq!(
                run(Profile::Callback, &req(&[&h], Some(body.as_bytes()), b"")).err(),
                Some(want),
                "{name}"
            );
        }
        // A bad body token with a good header token.
        let forged = body.replace(
            &body[body.find("\"token\":\"").expect("token") + 9..body.len() - 2],
            &hs256_token(r#"{"alg":"HS256"}"#, r#"{"key":"x","status":2}"#, b"x"),
        );
        assert_ne!(forged, body);
        assert_eq!(
            run(
                Profile::Callback,
                &req(&[&good_header], Some(forged.as_bytes()), b"")
            )
            .err(),
            Some(Refusal::Signature)
        );
        // The body altered after signing, either token alone and both together.
        let altered = body.replace("output.docx", "evil.docx");
        let stripped = {
            let i = altered.find(",\"token\"").expect("token");
            format!("{}}}", &altered[..i])
        };
        for (name, headers, b) in [
            ("body token", &[][..], &altered),
            ("header token", &[&good_header[..]][..], &stripped),
            ("both tokens", &[&good_header[..]][..], &altered),
        ] {
            assert_eq!(
                run(Profile::Callback, &req(headers, Some(b.as_bytes()), b"")).err(),
                Some(Refusal::BodyMismatch),
                "{name}"
            );
        }
    }

    #[test]
    fn attack_body_token_types_and_duplicates() {
        let header = bearer(&command_header_token());
        for token in ["true", "1", "-1", "{}", "[]", r#"["x"]"#, r#"{"a":"b"}"#] {
            let body = format!(r#"{{"token":{token}}}"#);
            assert_eq!(
                run(
                    Profile::Command,
                    &req(&[&header], Some(body.as_bytes()), b"")
                )
                .err(),
                Some(Refusal::Malformed),
                "{token}"
            );
        }
        let t = command_token();
        let mut invalid_utf8 = format!(r#"{{"token":"{t}","x":"?"}}"#).into_bytes();
        let q = invalid_utf8
            .iter()
            .rposition(|b| *b == b'?')
            .expect("marker");
        invalid_utf8[q] = 0xff;
        for body in [
            format!(r#"{{"token":"{t}","token":"{t}"}}"#).into_bytes(),
            format!(r#"{{"token":"{t}","tok\u0065n":"x"}}"#).into_bytes(),
            format!(r#"{{"token":"{t}","c":{{"a":1,"a":2}}}}"#).into_bytes(),
            format!(r#"{{"token":"{t}"}} {{}}"#).into_bytes(),
            format!(r#"{{"token":"{t}",}}"#).into_bytes(),
            format!("{{\"token\":\"{t}\",\"x\":\"\\ud800\"}}").into_bytes(),
            invalid_utf8,
        ] {
            assert_eq!(
                run(Profile::Command, &req(&[], Some(&body), b"")).err(),
                Some(Refusal::BadBody),
                "{:?}",
                String::from_utf8_lossy(&body)
            );
        }
        // A JSON-escaped token is the same token once unescaped (as for the DS).
        let escaped = t.replace('.', "\\u002e");
        let body = format!(r#"{{"token":"{escaped}"}}"#);
        assert!(run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).is_ok());
        // Whitespace or a NUL inside the JSON string is part of the token: malformed.
        for token in [format!(" {t}"), format!("{t}\\n"), format!("{t}\\u0000")] {
            let body = format!(r#"{{"token":"{token}"}}"#);
            assert_eq!(
                run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).err(),
                Some(Refusal::Malformed),
                "{token:?}"
            );
        }
    }

    #[test]
    fn attack_alg_none_through_every_profile() {
        let claims = b64::encode(
            br#"{"c":"info","url":"u","outputtype":"pdf","key":"k","status":2,"exp":9999999999,"payload":{"url":"/"}}"#,
        );
        for name in ["none", "None", "NONE", "nOnE"] {
            let header = b64::encode(format!(r#"{{"alg":"{name}","typ":"JWT"}}"#).as_bytes());
            for sig in ["", "c2lnbmF0dXJl"] {
                let t = format!("{header}.{claims}.{sig}");
                let want = if sig.is_empty() {
                    Refusal::Malformed
                } else {
                    Refusal::Algorithm
                };
                let h = bearer(&t);
                for profile in [Profile::Bearer, Profile::Download, Profile::Command] {
                    assert_eq!(
                        run(profile, &req(&[&h], None, b"")).err(),
                        Some(want),
                        "{name} {profile:?} header"
                    );
                }
                let body = format!(r#"{{"key":"k","status":2,"token":"{t}"}}"#);
                for profile in [
                    Profile::Command,
                    Profile::Convert,
                    Profile::Builder,
                    Profile::Callback,
                ] {
                    assert_eq!(
                        run(profile, &req(&[], Some(body.as_bytes()), b"")).err(),
                        Some(want),
                        "{name} {profile:?} body"
                    );
                }
            }
        }
    }

    #[test]
    fn attack_oversized_json_bodies_are_bounded() {
        let t = command_token();
        // 100 000 distinct members, then the token.
        let mut members = String::new();
        for i in 0..100_000 {
            members.push_str(&format!("\"m{i}\":{i},"));
        }
        let body = format!("{{{members}\"token\":\"{t}\"}}");
        assert!(run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).is_ok());
        // The same members in a genuine callback: they are not claimed.
        let (cb, _) = callback_pair();
        let big_cb = format!("{{{members}{}", &cb[1..]);
        assert_eq!(
            run(Profile::Callback, &req(&[], Some(big_cb.as_bytes()), b"")).err(),
            Some(Refusal::BodyMismatch)
        );
        // A 1 MB string member.
        let body = format!(r#"{{"x":"{}","token":"{t}"}}"#, "a".repeat(1 << 20));
        assert!(run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).is_ok());
        // 100 000 nested arrays: refused, no stack overflow.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            run(Profile::Command, &req(&[], Some(deep.as_bytes()), b"")).err(),
            Some(Refusal::BadBody)
        );
        let deep_obj = format!(
            r#"{{"token":"{t}","x":{}1{}}}"#,
            r#"{"a":"#.repeat(100_000),
            "}".repeat(100_000)
        );
        assert_eq!(
            run(Profile::Command, &req(&[], Some(deep_obj.as_bytes()), b"")).err(),
            Some(Refusal::BadBody)
        );
        // A huge array.
        let body = format!(r#"{{"x":[{}0],"token":"{t}"}}"#, "0,".repeat(500_000));
        assert!(run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).is_ok());
    }

    #[test]
    fn attack_non_object_claims_through_profiles() {
        for claims in ["[]", "\"str\"", "123", "null", "true"] {
            let t = hs256_token(r#"{"alg":"HS256"}"#, claims, SECRET);
            let h = bearer(&t);
            assert_eq!(
                run(Profile::Bearer, &req(&[&h], None, b"")).err(),
                Some(Refusal::Malformed),
                "{claims}"
            );
            let body = format!(r#"{{"token":"{t}"}}"#);
            assert_eq!(
                run(Profile::Command, &req(&[], Some(body.as_bytes()), b"")).err(),
                Some(Refusal::Malformed),
                "{claims}"
            );
        }
    }
}
