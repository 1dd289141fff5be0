//! Strict base64url: no padding, no whitespace, canonical trailing bits.
//!
//! RFC 7515 §2 defines `BASE64URL(OCTETS)` as the URL-safe alphabet with every trailing `=`
//! omitted. Anything else a lenient decoder would accept (padding, `+` and `/`, whitespace,
//! a length of 1 mod 4, unused low bits that are not zero) is refused here, so that one token
//! has exactly one spelling. The work is the `base64` crate's.

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

/// The `base64` crate's engine with the rules above.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Whether `byte` belongs to the base64url alphabet (`A-Z a-z 0-9 - _`).
pub fn is_alphabet(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'
}

/// Decodes strict base64url; `None` when `input` is not the canonical unpadded encoding of
/// some octets.
pub fn decode(input: &[u8]) -> Option<Vec<u8>> {
    STRICT.decode(input).ok()
}

/// Decodes strict base64url into `out`; the decoded bytes, or `None` when `input` is not
/// canonical or does not fit.
pub fn decode_to<'o>(input: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let len = STRICT.decode_slice(input, out).ok()?;
    out.get(..len)
}

/// Encodes as unpadded base64url.
pub fn encode(bytes: &[u8]) -> String {
    STRICT.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for len in 0..70 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = encode(&data);
            assert!(!text.contains('='));
            assert_eq!(decode(text.as_bytes()), Some(data));
        }
    }

    #[test]
    fn refuses_lenient_forms() {
        for bad in [
            &b"QQ=="[..],
            b"QQ=",
            b"Q",
            b"QR",
            b"Q Q",
            b"QQ\n",
            b"+/8",
            b"a/b",
            b"ab+c",
            b"\xff\xff",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        assert_eq!(decode(b"QQ"), Some(b"A".to_vec()));
        assert_eq!(decode(b"-_8"), Some(vec![0xfb, 0xff]));
        assert_eq!(decode(b""), Some(Vec::new()));
    }

    #[test]
    fn alphabet() {
        let all: Vec<u8> = (0..=255u8).filter(|b| is_alphabet(*b)).collect();
        assert_eq!(
            all,
            b"-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".to_vec()
        );
    }
}
