//! Strict base64url: no padding, no whitespace, canonical trailing bits.
//!
//! RFC 7515 §2 defines `BASE64URL(OCTETS)` as the URL-safe alphabet with every trailing `=`
//! omitted. Anything else a lenient decoder would accept (padding, `+` and `/`, whitespace,
//! a length of 1 mod 4, unused low bits that are not zero) is refused here, so that one token
//! has exactly one spelling.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// The engine: URL-safe alphabet, padding refused, non-zero trailing bits refused.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Whether `byte` belongs to the base64url alphabet (`A-Z a-z 0-9 - _`).
pub fn is_alphabet(byte: u8) -> bool {
    ALPHABET[usize::from(byte)]
}

/// Whether each byte is a base64url character: one table look-up a byte.
static ALPHABET: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
        b += 1;
    }
    table
};

/// Decodes strict base64url; `None` when `input` is not the canonical unpadded encoding of
/// some octets.
pub fn decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    decode_into(input, &mut out).then_some(out)
}

/// Decodes strict base64url into `out`, which is cleared first (its allocation is reused).
/// Returns `false`, with `out` in an unspecified state, when `input` is not canonical.
pub fn decode_into(input: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    STRICT.decode_vec(input, out).is_ok()
}

/// Decodes strict base64url into the start of `out` without allocating; returns the decoded
/// length, or `None` when `input` is not canonical or `out` is shorter than
/// [`base64::decoded_len_estimate`] of `input`'s length.
pub fn decode_to_slice(input: &[u8], out: &mut [u8]) -> Option<usize> {
    STRICT.decode_slice(input, out).ok()
}

/// Encodes octets as unpadded base64url (for tests and tools; verification never encodes).
pub fn encode(bytes: &[u8]) -> String {
    STRICT.encode(bytes)
}

/// The length of the unpadded base64url encoding of `len` octets.
pub const fn encoded_len(len: usize) -> usize {
    let tail = match len % 3 {
        0 => 0,
        1 => 2,
        _ => 3,
    };
    (len / 3) * 4 + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_canonical() {
        assert_eq!(decode(b"").as_deref(), Some(&b""[..]));
        assert_eq!(decode(b"Zg").as_deref(), Some(&b"f"[..]));
        assert_eq!(decode(b"Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(decode(b"Zm9v").as_deref(), Some(&b"foo"[..]));
        assert_eq!(decode(b"-_-_").as_deref(), Some(&[0xfb, 0xff, 0xbf][..]));
    }

    #[test]
    fn refuses_padding() {
        assert_eq!(decode(b"Zg=="), None);
        assert_eq!(decode(b"Zm8="), None);
        assert_eq!(decode(b"Zm9v="), None);
        assert_eq!(decode(b"="), None);
    }

    #[test]
    fn refuses_standard_alphabet() {
        assert_eq!(decode(b"+/+/"), None);
        assert_eq!(decode(b"ab+c"), None);
        assert_eq!(decode(b"ab/c"), None);
    }

    #[test]
    fn refuses_whitespace_and_other_bytes() {
        for input in [
            &b" Zm9v"[..],
            b"Zm9v ",
            b"Zm 9v",
            b"Zm9v\n",
            b"\tZm9v",
            b"Zm9?",
            b"Zm9#",
            b"Z\xc3\xa9",
        ] {
            assert_eq!(decode(input), None, "{input:?}");
        }
    }

    #[test]
    fn refuses_impossible_length() {
        assert_eq!(decode(b"A"), None);
        assert_eq!(decode(b"Zm9vY"), None);
    }

    #[test]
    fn refuses_non_canonical_trailing_bits() {
        // "Zg" is 'f'; "Zh" carries the same byte with non-zero unused bits.
        assert_eq!(decode(b"Zh"), None);
        assert_eq!(decode(b"Zm9"), None);
        assert_eq!(decode(b"Zm8").as_deref(), Some(&b"fo"[..]));
        assert_eq!(decode(b"AB"), None);
        assert_eq!(decode(b"AA").as_deref(), Some(&[0u8][..]));
    }

    #[test]
    fn decode_into_reuses_and_clears() {
        let mut buf = b"garbage".to_vec();
        assert!(decode_into(b"Zm9v", &mut buf));
        assert_eq!(buf, b"foo");
        assert!(!decode_into(b"Zm9v=", &mut buf));
    }

    #[test]
    fn decode_to_slice_bounds() {
        let mut out = [0u8; 3];
        assert_eq!(decode_to_slice(b"Zm9v", &mut out), Some(3));
        assert_eq!(&out, b"foo");
        let mut small = [0u8; 2];
        assert_eq!(decode_to_slice(b"Zm9v", &mut small), None);
    }

    #[test]
    fn encode_round_trip_and_lengths() {
        for len in 0..80usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let text = encode(&bytes);
            assert_eq!(text.len(), encoded_len(len));
            assert_eq!(decode(text.as_bytes()), Some(bytes));
        }
        assert_eq!(encoded_len(32), 43);
        assert_eq!(encoded_len(48), 64);
        assert_eq!(encoded_len(64), 86);
    }

    #[test]
    fn alphabet() {
        let all: Vec<u8> = (0..=255u8).filter(|b| is_alphabet(*b)).collect();
        assert_eq!(all.len(), 64);
        assert!(!is_alphabet(b'='));
        assert!(!is_alphabet(b'+'));
        assert!(!is_alphabet(b'/'));
        assert!(!is_alphabet(b'.'));
    }
}
