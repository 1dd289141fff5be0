//! How the module's variables show a token's values: never with a control character.
//!
//! nginx copies a variable's bytes as they are into whatever uses it: `proxy_set_header`,
//! `add_header`, a log line. A claim is text the signer took from a user (a display name,
//! an e-mail address), so a CR or LF in it would start a new header line. Every rendering
//! here is free of the control characters 0x00-0x1F and 0x7F; other bytes (UTF-8, U+2028
//! included) are kept.

use serde_json::Value;

/// Whether `byte` is a control character (0x00-0x1F, 0x7F).
pub fn is_control(byte: u8) -> bool {
    byte < 0x20 || byte == 0x7f
}

/// `$jwt_claim_<name>` and `$jwt_header_<name>`: a string as it is when it holds no control
/// character, else as its JSON text (quoted, the controls escaped: `"a\r\nb"`); any other
/// value as compact JSON (strings in it escaped the same way).
pub fn value(value: &Value) -> Vec<u8> {
    match value {
        Value::String(s) if !s.bytes().any(is_control) => s.as_bytes().to_vec(),
        other => escape_del(other.to_string().into_bytes()),
    }
}

/// `$jwt_payload`: the claims' JSON text as signed, but with each TAB, LF and CR (which
/// strict JSON allows only as whitespace between its tokens) as a space, and DEL (which it
/// allows raw inside strings) as `\u007f`. The text means the same JSON.
pub fn json_text(text: &[u8]) -> Vec<u8> {
    let spaced = text
        .iter()
        .map(|&b| match b {
            b'\t' | b'\n' | b'\r' => b' ',
            b => b,
        })
        .collect();
    escape_del(spaced)
}

/// serde_json escapes 0x00-0x1F in strings, not DEL: write it as `\u007f`.
fn escape_del(text: Vec<u8>) -> Vec<u8> {
    if !text.contains(&0x7f) {
        return text;
    }
    let mut out = Vec::with_capacity(text.len() + 5);
    for b in text {
        match b {
            0x7f => out.extend_from_slice(b"\\u007f"),
            b => out.push(b),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn clean(bytes: &[u8]) -> bool {
        !bytes.iter().copied().any(is_control)
    }

    #[test]
    fn strings() {
        assert_eq!(value(&json!("alice")), b"alice");
        assert_eq!(value(&json!("a\u{2028}b")), "a\u{2028}b".as_bytes());
        assert_eq!(value(&json!("é")), "é".as_bytes());
        assert_eq!(
            value(&json!("alice\r\nX-Injected: yes")),
            br#""alice\r\nX-Injected: yes""#
        );
        assert_eq!(value(&json!("a\nb")), br#""a\nb""#);
        assert_eq!(value(&json!("a\tb")), br#""a\tb""#);
        assert_eq!(value(&json!("a\u{0}b")), br#""a\u0000b""#);
        assert_eq!(value(&json!("a\u{7f}b")), br#""a\u007fb""#);
        assert_eq!(value(&json!("a\u{1b}b")), br#""a\u001bb""#);
        assert_eq!(value(&json!("\"quoted\"")), b"\"quoted\"");
    }

    #[test]
    fn other_values() {
        assert_eq!(value(&json!(1)), b"1");
        assert_eq!(value(&json!(true)), b"true");
        assert_eq!(value(&json!(null)), b"null");
        assert_eq!(value(&json!(["a\nb", "c\u{7f}"])), br#"["a\nb","c\u007f"]"#);
        assert_eq!(value(&json!({"k": "v\r"})), br#"{"k":"v\r"}"#);
    }

    #[test]
    fn payload_text() {
        let text = b"{\r\n\t\"sub\": \"a\x7fb\",\n \"n\":1}";
        let out = json_text(text);
        assert!(clean(&out));
        assert_eq!(out, br#"{   "sub": "a\u007fb",  "n":1}"#);
        let parsed: Value = serde_json::from_slice(&out).unwrap();
        let original: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(parsed, original);
    }

    #[test]
    fn every_control_is_escaped() {
        for c in (0u8..0x20).chain([0x7f]) {
            let s = format!("x{}y", char::from(c));
            let out = value(&Value::String(s.clone()));
            assert!(clean(&out), "{c:#x}");
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
    }
}
