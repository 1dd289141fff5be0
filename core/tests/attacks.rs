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

fn all_algs() -> onlyoffice_jwt_core::Verifier {
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
    // The claims are only decoded after the signature, which covers their text.
    let bad_claims = format!("{h}.{}", one_mod_four(&c));
    let t = sign_input(Algorithm::HS256, &bad_claims, SECRET);
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Malformed));
    assert_eq!(
        v.verify(format!("{bad_claims}.{s}").as_bytes(), NOW),
        Err(Refusal::Signature)
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
fn oversized_tokens() {
    let v = all_algs();
    let big = "x".repeat(20_000);
    let t = hs256_token(r#"{"alg":"HS256"}"#, &format!(r#"{{"c":"{big}"}}"#), SECRET);
    assert!(t.len() > 16 * 1024);
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Malformed));
    let fits = "x".repeat(10_000);
    let t = hs256_token(
        r#"{"alg":"HS256"}"#,
        &format!(r#"{{"c":"{fits}"}}"#),
        SECRET,
    );
    assert!(v.verify(t.as_bytes(), NOW).is_ok());
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
    let signed = v.verify_signature(t.as_bytes()).expect("signature ok");
    assert_eq!(signed.payload, b"plain text payload");
    assert_eq!(signed.algorithm, Algorithm::HS256);
    assert_eq!(v.verify(t.as_bytes(), NOW), Err(Refusal::Malformed));
}
