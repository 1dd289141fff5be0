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

/// The base64 crate's engine with the same rules: used to encode, and by the tests as the
/// reference the table-driven decoder below must agree with.
const STRICT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(false),
);

/// Whether `byte` belongs to the base64url alphabet (`A-Z a-z 0-9 - _`).
pub fn is_alphabet(byte: u8) -> bool {
    DECODE[usize::from(byte)] != INVALID
}

/// Each byte's 6-bit value in the base64url alphabet, or [`INVALID`].
static DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut i = 0;
    while i < 64 {
        table[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Not a base64url character (any value with one of the two top bits set would do).
const INVALID: u8 = 0xff;

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
    let Some(len) = decoded_len(input.len()) else {
        return false;
    };
    out.resize(len, 0);
    decode_to_slice(input, out) == Some(len)
}

/// Decodes strict base64url into the start of `out` without allocating; returns the decoded
/// length, or `None` when `input` is not canonical or `out` is too short.
///
/// Four characters make three octets; an invalid character is found by OR-ing the table's
/// values (one branch per input, not per character). The last one to three characters must
/// carry zeros in their unused low bits.
pub fn decode_to_slice(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = decoded_len(input.len())?;
    let out = out.get_mut(..len)?;
    let value = |b: u8| u32::from(DECODE[usize::from(b)]);
    let mut bad = 0u32;
    let mut chars = input.chunks_exact(4);
    let mut octets = out.chunks_exact_mut(3);
    for (c, o) in (&mut chars).zip(&mut octets) {
        let (a, b, cc, d) = match *c {
            [a, b, cc, d] => (value(a), value(b), value(cc), value(d)),
            _ => return None,
        };
        bad |= a | b | cc | d;
        let n = (a << 18) | (b << 12) | (cc << 6) | d;
        o.copy_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let tail = octets.into_remainder();
    match (chars.remainder(), tail) {
        ([], []) => {}
        (&[a, b], [o]) => {
            let (a, b) = (value(a), value(b));
            bad |= a | b | (b & 0x0f) << 8;
            *o = ((a << 2) | (b >> 4)) as u8;
        }
        (&[a, b, c], [o1, o2]) => {
            let (a, b, c) = (value(a), value(b), value(c));
            bad |= a | b | c | (c & 0x03) << 8;
            let n = (a << 10) | (b << 4) | (c >> 2);
            *o1 = (n >> 8) as u8;
            *o2 = n as u8;
        }
        _ => return None,
    }
    // A valid character is below 64; INVALID and a non-zero trailing bit set bits above.
    (bad < 64).then_some(len)
}

/// The length of the octets that `len` base64url characters encode, or `None` for the
/// impossible length (1 mod 4).
const fn decoded_len(len: usize) -> Option<usize> {
    match len % 4 {
        0 => Some(len / 4 * 3),
        2 => Some(len / 4 * 3 + 1),
        3 => Some(len / 4 * 3 + 2),
        _ => None,
    }
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
    fn agrees_with_the_base64_crate() {
        let alphabet = b"AZaz09-_+/= .Q\x00\xff";
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for len in 0..64 {
            for _ in 0..200 {
                let input: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 7;
                        state ^= state << 17;
                        // mostly valid characters, some invalid ones
                        if state % 16 == 0 {
                            alphabet[(state >> 8) as usize % alphabet.len()]
                        } else {
                            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                                [(state >> 8) as usize % 64]
                        }
                    })
                    .collect();
                assert_eq!(decode(&input), STRICT.decode(&input).ok(), "{input:?}");
            }
        }
        for bytes in [
            &b""[..],
            b"f",
            b"fo",
            b"foo",
            b"\xff\xfe\xfd\x00",
            &[0u8; 100],
        ] {
            assert_eq!(decode(encode(bytes).as_bytes()).as_deref(), Some(bytes));
        }
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
