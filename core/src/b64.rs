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
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
pub fn decode(input: &[u8]) -> Option<Vec<u8>> {
    // one allocation of the exact size
    let mut out = Vec::with_capacity(decoded_len(input.len())?);
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
#[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
pub fn decode_to_slice(input: &[u8], out: &mut [u8]) -> Option<usize> {
    let len = decoded_len(input.len())?;
    let out = out.get_mut(..len)?;
    // Whole blocks of 32 characters with AVX2 where the CPU has it; the scalar loop below
    // decodes what is left (and finds the bad character of a block the vector code stopped at).
    let blocks = simd::decode_blocks(input, out);
    let input = input.get(blocks * 32..)?;
    let out = out.get_mut(blocks * 24..)?;
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

/// The vector decoder: whole blocks of 32 characters (24 octets) at a time.
#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi8, _mm256_and_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256,
        _mm256_madd_epi16, _mm256_maddubs_epi16, _mm256_permutevar8x32_epi32, _mm256_set1_epi32,
        _mm256_set1_epi8, _mm256_setr_epi32, _mm256_setr_epi8, _mm256_shuffle_epi8,
        _mm256_srli_epi32, _mm256_storeu_si256, _mm256_testz_si256,
    };

    /// Decodes the leading whole 32-character blocks of `input` into `out` (24 octets each)
    /// and returns how many it decoded: all of them, or those before the first block holding
    /// a character outside the alphabet. Decodes nothing on a CPU without AVX2.
    pub(super) fn decode_blocks(input: &[u8], out: &mut [u8]) -> usize {
        if input.len() < 32 || !std::is_x86_feature_detected!("avx2") {
            return 0;
        }
        // SAFETY: the CPU has AVX2, checked just above.
        unsafe { decode_blocks_avx2(input, out) }
    }

    /// The AVX2 loop: classify each byte by its two nibbles (one table lookup each, a byte is
    /// in the alphabet when the two classes share no bit), add the offset that maps its
    /// range of the alphabet to its 6-bit value, then pack four 6-bit values into three
    /// octets with two multiply-adds and two shuffles.
    ///
    /// # Safety
    ///
    /// The CPU must support AVX2.
    #[target_feature(enable = "avx2")]
    #[cfg_attr(target_os = "linux", link_section = ".text.hot.onlyoffice_jwt")]
    unsafe fn decode_blocks_avx2(input: &[u8], out: &mut [u8]) -> usize {
        // Classes by high nibble: 2 ('-'), 3 (digits), 4 and 6 (letters from 1), 5 (letters
        // to 0xa and '_' at 0xf), 7 (letters to 0xa); any other high nibble is never valid.
        let hi_class = lanes(&[
            0x20, 0x20, 0x01, 0x02, 0x04, 0x08, 0x04, 0x10, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
            0x20, 0x20,
        ]);
        // For each low nibble, the classes in which it is NOT in the alphabet.
        let lo_invalid = lanes(&[
            0x25, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x21, 0x23, 0x3b, 0x3b, 0x3a,
            0x3b, 0x33,
        ]);
        // What to add to a byte to get its value, by high nibble; '_' (0x5f) is fixed up.
        let offsets = lanes(&[
            0,
            0,
            17,
            4,
            -65i8 as u8,
            -65i8 as u8,
            -71i8 as u8,
            -71i8 as u8,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        ]);
        let nibble = _mm256_set1_epi8(0x0f);
        let underscore = _mm256_set1_epi8(b'_' as i8);
        // '_' + (-65 + 33) = 63
        let underscore_fix = _mm256_set1_epi8(33);
        let pairs = _mm256_set1_epi32(0x0140_0140);
        let quads = _mm256_set1_epi32(0x0001_1000);
        let order = _mm256_setr_epi8(
            2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14,
            13, 12, -1, -1, -1, -1,
        );
        let together = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);

        let mut blocks = 0;
        for (chars, octets) in input.chunks_exact(32).zip(out.chunks_exact_mut(24)) {
            // SAFETY: `chars` is 32 readable bytes; the load has no alignment requirement.
            let v = unsafe { _mm256_loadu_si256(chars.as_ptr().cast::<__m256i>()) };
            let hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), nibble);
            let lo = _mm256_and_si256(v, nibble);
            let class = _mm256_shuffle_epi8(hi_class, hi);
            let invalid = _mm256_shuffle_epi8(lo_invalid, lo);
            if _mm256_testz_si256(class, invalid) == 0 {
                break;
            }
            let fix = _mm256_and_si256(_mm256_cmpeq_epi8(v, underscore), underscore_fix);
            let offset = _mm256_add_epi8(_mm256_shuffle_epi8(offsets, hi), fix);
            let values = _mm256_add_epi8(v, offset);
            // [a b c d] -> a << 6 | b, c << 6 | d -> a << 18 | b << 12 | c << 6 | d
            let merged = _mm256_madd_epi16(_mm256_maddubs_epi16(values, pairs), quads);
            let packed = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(merged, order), together);
            let mut buf = [0u8; 32];
            // SAFETY: `buf` is 32 writable bytes; the store has no alignment requirement.
            unsafe { _mm256_storeu_si256(buf.as_mut_ptr().cast::<__m256i>(), packed) };
            octets.copy_from_slice(buf.get(..24).unwrap_or_default());
            blocks += 1;
        }
        blocks
    }

    /// A 16-byte table repeated in both 128-bit lanes (`vpshufb` looks up within a lane).
    #[target_feature(enable = "avx2")]
    unsafe fn lanes(table: &[u8; 16]) -> __m256i {
        let mut both = [0u8; 32];
        both[..16].copy_from_slice(table);
        both[16..].copy_from_slice(table);
        // SAFETY: `both` is 32 readable bytes; the load has no alignment requirement.
        unsafe { _mm256_loadu_si256(both.as_ptr().cast::<__m256i>()) }
    }
}

/// No vector decoder on other architectures: the scalar loop does everything.
#[cfg(not(target_arch = "x86_64"))]
mod simd {
    pub(super) fn decode_blocks(_input: &[u8], _out: &mut [u8]) -> usize {
        0
    }
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
        for len in 0..200 {
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
    fn every_byte_at_every_place_of_a_block() {
        // 100 characters: three whole 32-character blocks for the vector decoder, then a tail.
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let valid: Vec<u8> = (0..100).map(|i| alphabet[(i * 7 + 3) % 64]).collect();
        assert_eq!(decode(&valid), STRICT.decode(&valid).ok());
        assert!(decode(&valid).is_some());
        for place in 0..valid.len() {
            for byte in 0..=255u8 {
                let mut input = valid.clone();
                input[place] = byte;
                assert_eq!(
                    decode(&input),
                    STRICT.decode(&input).ok(),
                    "byte {byte:#04x} at {place}"
                );
            }
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
